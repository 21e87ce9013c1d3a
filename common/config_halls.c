/* config_halls: the `halls` section of the configuration -- halls, their biz types,
 * cameras, windows (with their biz and camera references), staffing plan and staff, the
 * parent tree -- and hall references from accounts and tokens.
 */
#include "config_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int category_index(const cfg_t *c, const char *id)
{
    for (int i = 0; i < c->city.ncategories; i++)
        if (c->city.categories[i].id && !strcmp(c->city.categories[i].id, id)) return i;
    return -1;
}

/* Parses item I (mapping V at LINE) of one of the hall's lists. */
typedef void (*item_fn)(cfgl *L, cfg_hall *h, struct fy_node *v, int line, const char *path, int i);

/* List KEY of hall mapping MAP into a new array *arr of *n items of SIZE bytes, each item
 * parsed by FN. */
static void parse_list(cfgl *L, cfg_hall *h, struct fy_node *map, int mline, const char *base,
                       const char *key, bool required, void **arr, int *n, size_t size, item_fn fn)
{
    char path[CFGL_PATHN];
    int line;
    struct fy_node *v = cfgl_get(map, key, mline, &line);
    cfgl_path_key(path, base, key);
    if (!v) {
        if (required) cfgl_missing(L, line, base, key);
        return;
    }
    if (!cfgl_want_seq(L, v, line, path)) return;
    int count = fy_node_sequence_item_count(v), i = 0;
    if (required && count == 0) cfgl_error(L, line, path, "must not be empty");
    *arr = cfgl_calloc(L, (size_t)count, size);
    if (!*arr) return;
    *n = count;
    void *it = NULL;
    struct fy_node *e;
    for (; (e = fy_node_sequence_iterate(v, &it)); i++) {
        char ipath[CFGL_PATHN];
        int eline = cfgl_line_or(e, line);
        cfgl_path_idx(ipath, path, i);
        if (cfgl_want_map(L, e, eline, ipath)) fn(L, h, e, eline, ipath, i);
    }
}

static int id_line(struct fy_node *map, int mline)
{
    int line;
    cfgl_get(map, "id", mline, &line);
    return line;
}

static void parse_biz(cfgl *L, cfg_hall *h, struct fy_node *v, int line, const char *path, int i)
{
    static const char *const keys[] = {"id", "name", "category", "sla_min", "sla_s", NULL};
    cfg_biz *b = &h->biz[i];
    char f[CFGL_PATHN];
    int l;
    cfgl_check_keys(L, v, path, keys);
    b->id = cfgl_req_str(L, v, line, path, "id", true);
    cfgl_path_key(f, path, "id");
    cfgl_dup_check(L, b->id, i, h->biz, sizeof *b, id_line(v, line), f);
    b->name = cfgl_req_str(L, v, line, path, "name", false);
    b->category = cfgl_req_str(L, v, line, path, "category", false);
    if (b->category && category_index(L->cfg, b->category) < 0) {
        cfgl_get(v, "category", line, &l);
        cfgl_path_key(f, path, "category");
        cfgl_error(L, l, f, "unknown category '%s'", b->category);
    }
    long long sla = 30;
    cfgl_opt_int(L, v, line, path, "sla_min", 1, 1440, &sla);
    b->sla_s = (int)sla * 60;
    if (cfgl_get(v, "sla_s", line, &l)) {
        if (cfgl_get(v, "sla_min", line, &l)) {
            cfgl_path_key(f, path, "sla_s");
            cfgl_error(L, l, f, "give sla_min or sla_s, not both");
        }
        cfgl_opt_int32(L, v, line, path, "sla_s", 1, 86400, &b->sla_s);
    }
}

static void parse_camera(cfgl *L, cfg_hall *h, struct fy_node *v, int line, const char *path, int i)
{
    static const char *const keys[] = {"id", "name", "area", "main", "sub", NULL};
    static const char *const schemes[] = {"rtsp://", "rtsps://", "http://", "https://", NULL};
    cfg_camera *cam = &h->cameras[i];
    char f[CFGL_PATHN];
    cfgl_check_keys(L, v, path, keys);
    cam->id = cfgl_req_str(L, v, line, path, "id", true);
    cfgl_path_key(f, path, "id");
    cfgl_dup_check(L, cam->id, i, h->cameras, sizeof *cam, id_line(v, line), f);
    cam->name = cfgl_req_str(L, v, line, path, "name", false);
    cam->area = cfgl_enum(L, v, line, path, "area", cfg_area_name, CFG_AREA_BACK_OFFICE + 1);
    cam->main_url = cfgl_opt_str(L, v, line, path, "main");
    cam->sub_url = cfgl_opt_str(L, v, line, path, "sub");
    char **urls[2] = {&cam->main_url, &cam->sub_url};
    for (int k = 0; k < 2; k++)
        if (*urls[k] && !cfgl_url_ok(*urls[k], schemes)) {
            int l;
            cfgl_get(v, k ? "sub" : "main", line, &l);
            cfgl_path_key(f, path, k ? "sub" : "main");
            cfgl_error(L, l, f, "bad stream URL '%s' (expected rtsp:// or http[s]://)", *urls[k]);
        }
}

/* A list of ids of hall items (LOOKUP) into indexes. */
static void parse_refs(cfgl *L, const cfg_hall *h, struct fy_node *map, int mline, const char *base,
                       const char *key, bool required, const char *what,
                       int (*lookup)(const cfg_hall *, const char *), int **out, int *nout)
{
    char path[CFGL_PATHN];
    int line;
    struct fy_node *v = cfgl_get(map, key, mline, &line);
    cfgl_path_key(path, base, key);
    if (!v) {
        if (required) cfgl_missing(L, line, base, key);
        return;
    }
    if (!cfgl_want_seq(L, v, line, path)) return;
    int n = fy_node_sequence_item_count(v), i = 0;
    if (required && n == 0) cfgl_error(L, line, path, "must list at least one %s", what);
    *out = cfgl_calloc(L, (size_t)n, sizeof **out);
    if (!*out) return;
    void *it = NULL;
    struct fy_node *e;
    for (; (e = fy_node_sequence_iterate(v, &it)); i++) {
        char ipath[CFGL_PATHN];
        int eline = cfgl_line_or(e, line);
        cfgl_path_idx(ipath, path, i);
        size_t len;
        const char *s = cfgl_want_scalar(L, e, eline, ipath, &len);
        if (!s) continue;
        char id[CFGL_ID_MAX + 1];
        snprintf(id, sizeof id, "%.*s", (int)(len <= CFGL_ID_MAX ? len : CFGL_ID_MAX), s);
        int k = len <= CFGL_ID_MAX ? lookup(h, id) : -1;
        if (k < 0) {
            cfgl_error(L, eline, ipath, "unknown %s '%s'", what, id);
            continue;
        }
        bool dup = false;
        for (int j = 0; j < *nout && !dup; j++)
            dup = (*out)[j] == k;
        if (dup) {
            cfgl_error(L, eline, ipath, "%s '%s' listed twice", what, id);
            continue;
        }
        (*out)[(*nout)++] = k;
    }
}

static void parse_window(cfgl *L, cfg_hall *h, struct fy_node *v, int line, const char *path, int i)
{
    static const char *const keys[] = {"id", "biz", "cameras", NULL};
    cfg_window *w = &h->windows[i];
    char f[CFGL_PATHN];
    cfgl_check_keys(L, v, path, keys);
    w->id = cfgl_req_str(L, v, line, path, "id", true);
    cfgl_path_key(f, path, "id");
    cfgl_dup_check(L, w->id, i, h->windows, sizeof *w, id_line(v, line), f);
    parse_refs(L, h, v, line, path, "biz", true, "biz", cfg_biz_index, &w->biz, &w->nbiz);
    parse_refs(L, h, v, line, path, "cameras", false, "camera", cfg_camera_index, &w->cameras,
               &w->ncameras);
}

static void parse_staffing(cfgl *L, cfg_hall *h, struct fy_node *v, int line, const char *path,
                           int i)
{
    static const char *const keys[] = {"days", "from", "to", "windows", NULL};
    cfg_staffing *s = &h->staffing[i];
    char f[CFGL_PATHN];
    int l, lto = line;
    struct fy_node *n;
    bool ok = true;
    cfgl_check_keys(L, v, path, keys);
    if ((n = cfgl_get(v, "days", line, &l))) {
        cfgl_path_key(f, path, "days");
        s->days_mask = (uint8_t)cfgl_days(L, n, l, f);
        ok = ok && s->days_mask;
    } else {
        cfgl_missing(L, l, path, "days");
        ok = false;
    }
    const char *tkeys[2] = {"from", "to"};
    int *tv[2] = {&s->from_min, &s->to_min};
    for (int k = 0; k < 2; k++) {
        if (!(n = cfgl_get(v, tkeys[k], line, &l))) {
            cfgl_missing(L, l, path, tkeys[k]);
            ok = false;
            continue;
        }
        cfgl_path_key(f, path, tkeys[k]);
        *tv[k] = cfgl_time(L, n, l, f);
        ok = ok && *tv[k] >= 0;
        lto = l;
    }
    if (ok && s->from_min >= s->to_min) {
        cfgl_path_key(f, path, "to");
        cfgl_error(L, lto, f, "must be after from");
        ok = false;
    }
    if ((n = cfgl_get(v, "windows", line, &l))) {
        long long x;
        cfgl_path_key(f, path, "windows");
        if (cfgl_int(L, n, l, f, 0, 100000, &x) == 0) {
            s->windows = (int)x;
            if (x > h->nwindows)
                cfgl_error(L, l, f, "%lld exceeds the hall's window count (%d)", x, h->nwindows);
        }
    } else {
        cfgl_missing(L, l, path, "windows");
    }
    for (int j = 0; ok && j < i; j++) {
        const cfg_staffing *o = &h->staffing[j];
        if ((o->days_mask & s->days_mask) && o->from_min < s->to_min && s->from_min < o->to_min &&
            o->from_min < o->to_min) {
            cfgl_error(L, line, path, "overlaps staffing[%d]", j);
            break;
        }
    }
    if (!ok) s->days_mask = 0;
}

static void parse_staff(cfgl *L, cfg_hall *h, struct fy_node *v, int line, const char *path, int i)
{
    static const char *const keys[] = {"id", "name", NULL};
    cfg_staff *s = &h->staff[i];
    char f[CFGL_PATHN];
    cfgl_check_keys(L, v, path, keys);
    s->id = cfgl_req_str(L, v, line, path, "id", true);
    cfgl_path_key(f, path, "id");
    cfgl_dup_check(L, s->id, i, h->staff, sizeof *s, id_line(v, line), f);
    s->name = cfgl_req_str(L, v, line, path, "name", false);
}

static void parse_hall(cfgl *L, cfg_hall *h, struct fy_node *map, int mline, const char *base)
{
    static const char *const keys[] = {"id",  "name",    "level",    "parent", "location", "hours",
                                       "biz", "windows", "staffing", "staff",  "cameras",  NULL};
    int line;
    struct fy_node *v;
    char f[CFGL_PATHN];
    cfgl_check_keys(L, map, base, keys);
    h->id = cfgl_req_str(L, map, mline, base, "id", true);
    h->name = cfgl_req_str(L, map, mline, base, "name", false);
    h->level = cfgl_enum(L, map, mline, base, "level", cfg_level_name, CFG_LEVEL_VILLAGE + 1);
    h->parent = cfgl_opt_str(L, map, mline, base, "parent");
    h->parent_index = -1;
    if ((v = cfgl_get(map, "location", mline, &line))) {
        h->loc_line = line;
        cfgl_path_key(f, base, "location");
        if (cfgl_want_map(L, v, line, f)) {
            static const char *const lkeys[] = {"lat", "lng", NULL};
            const char *ck[2] = {"lat", "lng"};
            double *dv[2] = {&h->lat, &h->lng}, lim[2] = {90, 180};
            cfgl_check_keys(L, v, f, lkeys);
            for (int k = 0; k < 2; k++) {
                int l;
                struct fy_node *n = cfgl_get(v, ck[k], line, &l);
                char g[CFGL_PATHN];
                if (!n) {
                    cfgl_missing(L, l, f, ck[k]);
                    continue;
                }
                cfgl_path_key(g, f, ck[k]);
                cfgl_double(L, n, l, g, -lim[k], lim[k], dv[k]);
            }
        }
    } else {
        cfgl_missing(L, line, base, "location");
    }
    h->hours = L->cfg->city.hours;
    if ((v = cfgl_get(map, "hours", mline, &line))) {
        cfgl_path_key(f, base, "hours");
        cfgl_hours(L, v, line, f, &h->hours);
    }
    parse_list(L, h, map, mline, base, "biz", true, (void **)&h->biz, &h->nbiz, sizeof *h->biz,
               parse_biz);
    parse_list(L, h, map, mline, base, "cameras", false, (void **)&h->cameras, &h->ncameras,
               sizeof *h->cameras, parse_camera);
    parse_list(L, h, map, mline, base, "windows", true, (void **)&h->windows, &h->nwindows,
               sizeof *h->windows, parse_window);
    parse_list(L, h, map, mline, base, "staffing", false, (void **)&h->staffing, &h->nstaffing,
               sizeof *h->staffing, parse_staffing);
    parse_list(L, h, map, mline, base, "staff", false, (void **)&h->staff, &h->nstaff,
               sizeof *h->staff, parse_staff);
}

void cfgl_parse_halls(cfgl *L, struct fy_node *seq, int sline)
{
    cfg_t *c = L->cfg;
    if (!cfgl_want_seq(L, seq, sline, "halls")) return;
    int n = fy_node_sequence_item_count(seq), i = 0;
    if (n == 0) cfgl_error(L, sline, "halls", "must list at least one hall");
    int *lines = cfgl_calloc(L, (size_t)n, sizeof *lines);
    struct fy_node **nodes = cfgl_calloc(L, (size_t)n, sizeof *nodes);
    c->halls = cfgl_calloc(L, (size_t)n, sizeof *c->halls);
    if (!lines || !nodes || !c->halls) goto done;
    c->nhalls = n;
    void *it = NULL;
    struct fy_node *v;
    for (; (v = fy_node_sequence_iterate(seq, &it)); i++) {
        char path[CFGL_PATHN];
        lines[i] = cfgl_line_or(v, sline);
        nodes[i] = v;
        cfgl_path_idx(path, "halls", i);
        c->halls[i].parent_index = -1;
        if (!cfgl_want_map(L, v, lines[i], path)) continue;
        parse_hall(L, &c->halls[i], v, lines[i], path);
        char f[CFGL_PATHN];
        cfgl_path_key(f, path, "id");
        cfgl_dup_check(L, c->halls[i].id, i, c->halls, sizeof *c->halls, id_line(v, lines[i]), f);
    }
    for (i = 0; i < n; i++) {
        cfg_hall *h = &c->halls[i];
        char f[CFGL_PATHN];
        int l;
        if (!h->parent || !nodes[i]) continue;
        snprintf(f, sizeof f, "halls[%d].parent", i);
        cfgl_get(nodes[i], "parent", lines[i], &l);
        int p = cfg_hall_index(c, h->parent);
        if (p < 0) {
            cfgl_error(L, l, f, "unknown hall '%s'", h->parent);
            continue;
        }
        if (p == i) {
            cfgl_error(L, l, f, "a hall cannot be its own parent");
            continue;
        }
        h->parent_index = p;
    }
    for (i = 0; i < n; i++) {
        int p = c->halls[i].parent_index, steps = 0;
        while (p >= 0 && p != i && steps++ <= n)
            p = c->halls[p].parent_index;
        if (p == i && c->halls[i].parent_index >= 0) {
            char f[CFGL_PATHN];
            int l;
            snprintf(f, sizeof f, "halls[%d].parent", i);
            cfgl_get(nodes[i], "parent", lines[i], &l);
            cfgl_error(L, l, f, "parent chain loops back to '%s'",
                       c->halls[i].id ? c->halls[i].id : "?");
            c->halls[i].parent_index = -1;
        }
    }
done:
    free(lines);
    free(nodes);
}

/* Is hall I inside the subtree of one of the halls marked in LISTED? */
static bool in_listed_subtree(const cfg_t *c, const bool *listed, int i)
{
    for (int steps = 0; i >= 0 && steps <= c->nhalls; steps++) {
        if (listed[i]) return true;
        i = c->halls[i].parent_index;
    }
    return false;
}

/* A list of hall ids (or "all" when ALLOW_ALL) into sorted hall indexes, subtrees expanded
 * when EXPAND. Returns 1 for "all", 0 otherwise. */
int cfgl_hall_refs(cfgl *L, struct fy_node *v, int line, const char *path, bool allow_all,
                   bool expand, int **out, int *nout)
{
    cfg_t *c = L->cfg;
    if (allow_all && cfgl_scalar_is(v, "all")) return 1;
    if (fy_node_get_type(v) == FYNT_SCALAR) {
        cfgl_error(L, line, path,
                   allow_all ? "expected a list of hall ids or all"
                             : "expected a list of hall ids");
        return 0;
    }
    if (!cfgl_want_seq(L, v, line, path)) return 0;
    bool *listed = cfgl_calloc(L, (size_t)c->nhalls, sizeof *listed);
    *out = cfgl_calloc(L, (size_t)c->nhalls, sizeof **out);
    if (!listed || !*out) {
        free(listed);
        return 0;
    }
    int i = 0, count = 0;
    void *it = NULL;
    struct fy_node *e;
    for (; (e = fy_node_sequence_iterate(v, &it)); i++) {
        char ipath[CFGL_PATHN];
        int eline = cfgl_line_or(e, line);
        size_t len;
        cfgl_path_idx(ipath, path, i);
        const char *s = cfgl_want_scalar(L, e, eline, ipath, &len);
        if (!s) continue;
        char id[CFGL_ID_MAX + 1];
        snprintf(id, sizeof id, "%.*s", (int)(len <= CFGL_ID_MAX ? len : CFGL_ID_MAX), s);
        int k = len <= CFGL_ID_MAX ? cfg_hall_index(c, id) : -1;
        if (k < 0) {
            cfgl_error(L, eline, ipath, "unknown hall '%s'", id);
            continue;
        }
        listed[k] = true;
        count++;
    }
    if (i == 0) cfgl_error(L, line, path, "must list at least one hall");
    for (int h = 0; count && h < c->nhalls; h++)
        if (expand ? in_listed_subtree(c, listed, h) : listed[h]) (*out)[(*nout)++] = h;
    free(listed);
    return 0;
}
