/* config_walls: the `walls` section -- video walls driven by several hosts whose state (scene,
 * tour position, hero pin) the hub decides (server/wallctl.c, docs/wall.md "One wall, many
 * hosts").
 *
 *   walls:
 *     - id: main
 *       name: 指挥中心大屏
 *       layout: config/walls/3x3.yaml
 *       hosts:
 *         - {id: row3-left,  viewport: [0, 2208, 1920, 1080]}
 *         - {id: row3-mid,   viewport: [1944, 2208, 1920, 1080]}
 *       scenes: [overview, hall, cameras, statistics, night]
 *       playlist: [{scene: overview, dwell_s: 60}, {scene: cameras, dwell_s: 30}]
 *       schedule:                       # first match; business time and calendar
 *         - {days: workday, from: "17:30", to: "24:00", scene: night}
 *         - {days: offday, scene: night}   # weekends and holidays; 调休 Saturdays work
 *       tour_s: 15
 *       pin_s: 20
 *       grace_s: 30
 *       show_s: 60
 */
#include "config_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cfg_wall_index(const cfg_t *cfg, const char *id)
{
    for (int i = 0; id && i < cfg->nwalls; i++)
        if (strcmp(cfg->walls[i].id, id) == 0) return i;
    return -1;
}

/* viewport: [x, y, w, h] of integers, w and h > 0. */
static void parse_viewport(cfgl *L, struct fy_node *v, int line, const char *path, cfg_wall_host *h)
{
    if (!cfgl_want_seq(L, v, line, path)) return;
    if (fy_node_sequence_item_count(v) != 4) {
        cfgl_error(L, line, path, "must be [x, y, width, height]");
        return;
    }
    long long x[4];
    for (int i = 0; i < 4; i++) {
        char p[CFGL_PATHN];
        cfgl_path_idx(p, path, i);
        struct fy_node *e = fy_node_sequence_get_by_index(v, i);
        if (cfgl_int(L, e, cfgl_line_or(e, line), p, i < 2 ? 0 : 1, 100000, &x[i]) < 0) return;
    }
    h->x = (int)x[0];
    h->y = (int)x[1];
    h->w = (int)x[2];
    h->h = (int)x[3];
}

static void parse_hosts(cfgl *L, struct fy_node *seq, int sline, const char *base, cfg_wall *w)
{
    static const char *const keys[] = {"id", "viewport", NULL};
    if (!cfgl_want_seq(L, seq, sline, base)) return;
    int n = fy_node_sequence_item_count(seq), i = 0;
    w->hosts = cfgl_calloc(L, n > 0 ? (size_t)n : 1, sizeof *w->hosts);
    if (!w->hosts) return;
    void *it = NULL;
    struct fy_node *e;
    for (; (e = fy_node_sequence_iterate(seq, &it)); i++) {
        char ip[CFGL_PATHN], f[CFGL_PATHN];
        int el = cfgl_line_or(e, sline), l;
        cfgl_path_idx(ip, base, i);
        if (!cfgl_want_map(L, e, el, ip)) continue;
        cfgl_check_keys(L, e, ip, keys);
        cfg_wall_host *h = &w->hosts[w->nhosts];
        h->id = cfgl_req_str(L, e, el, ip, "id", true);
        if (!h->id) continue;
        cfgl_path_key(f, ip, "id");
        cfgl_dup_check(L, h->id, w->nhosts, w->hosts, sizeof *w->hosts, el, f);
        struct fy_node *v = cfgl_get(e, "viewport", el, &l);
        cfgl_path_key(f, ip, "viewport");
        if (v)
            parse_viewport(L, v, l, f, h);
        else
            cfgl_missing(L, el, ip, "viewport");
        w->nhosts++;
    }
}

static void parse_scenes(cfgl *L, struct fy_node *seq, int sline, const char *base, cfg_wall *w)
{
    if (!cfgl_want_seq(L, seq, sline, base)) return;
    int n = fy_node_sequence_item_count(seq), i = 0;
    if (n == 0) {
        cfgl_error(L, sline, base, "must name at least one scene");
        return;
    }
    w->scenes = cfgl_calloc(L, (size_t)n, sizeof *w->scenes);
    if (!w->scenes) return;
    void *it = NULL;
    struct fy_node *e;
    for (; (e = fy_node_sequence_iterate(seq, &it)); i++) {
        char p[CFGL_PATHN];
        cfgl_path_idx(p, base, i);
        char *s = cfgl_id(L, e, cfgl_line_or(e, sline), p);
        if (!s) continue;
        for (int k = 0; k < w->nscenes; k++)
            if (!strcmp(w->scenes[k], s))
                cfgl_error(L, cfgl_line_or(e, sline), p, "duplicate scene");
        w->scenes[w->nscenes++] = s;
    }
}

static int scene_index(const cfg_wall *w, const char *s, size_t n)
{
    for (int k = 0; k < w->nscenes; k++)
        if (strlen(w->scenes[k]) == n && !strncmp(w->scenes[k], s, n)) return k;
    return -1;
}

/* {scene, dwell_s} items into *out; a plain scene name is an item with dwell 60. */
static void parse_items(cfgl *L, struct fy_node *seq, int sline, const char *base,
                        const cfg_wall *w, cfg_wall_item **out, int *nout)
{
    static const char *const keys[] = {"scene", "dwell_s", NULL};
    if (!cfgl_want_seq(L, seq, sline, base)) return;
    int n = fy_node_sequence_item_count(seq), i = 0;
    if (n == 0) {
        cfgl_error(L, sline, base, "must name at least one scene");
        return;
    }
    if (!(*out = cfgl_calloc(L, (size_t)n, sizeof **out))) return;
    void *it = NULL;
    struct fy_node *e;
    for (; (e = fy_node_sequence_iterate(seq, &it)); i++) {
        char ip[CFGL_PATHN], f[CFGL_PATHN];
        int el = cfgl_line_or(e, sline), l = el;
        cfgl_path_idx(ip, base, i);
        cfg_wall_item *item = &(*out)[*nout];
        item->dwell_s = 60;
        struct fy_node *sv = e;
        if (fy_node_get_type(e) == FYNT_MAPPING) {
            cfgl_check_keys(L, e, ip, keys);
            cfgl_opt_int32(L, e, el, ip, "dwell_s", 5, 86400, &item->dwell_s);
            sv = cfgl_get(e, "scene", el, &l);
            if (!sv) {
                cfgl_missing(L, el, ip, "scene");
                continue;
            }
            cfgl_path_key(f, ip, "scene");
        } else {
            snprintf(f, sizeof f, "%s", ip);
        }
        size_t len;
        const char *s = cfgl_want_scalar(L, sv, l, f, &len);
        if (!s) continue;
        if ((item->scene = scene_index(w, s, len)) < 0) {
            cfgl_error(L, l, f, "unknown scene '%.*s' (not in this wall's scenes)", (int)len, s);
            continue;
        }
        (*nout)++;
    }
}

static void parse_sched(cfgl *L, struct fy_node *seq, int sline, const char *base, cfg_wall *w)
{
    static const char *const keys[] = {"days", "from", "to", "scene", "playlist", NULL};
    if (!cfgl_want_seq(L, seq, sline, base)) return;
    int n = fy_node_sequence_item_count(seq), i = 0;
    if (!(w->sched = cfgl_calloc(L, n > 0 ? (size_t)n : 1, sizeof *w->sched))) return;
    void *it = NULL;
    struct fy_node *e;
    for (; (e = fy_node_sequence_iterate(seq, &it)); i++) {
        char ip[CFGL_PATHN], f[CFGL_PATHN];
        int el = cfgl_line_or(e, sline), l;
        cfgl_path_idx(ip, base, i);
        if (!cfgl_want_map(L, e, el, ip)) continue;
        cfgl_check_keys(L, e, ip, keys);
        cfg_wall_sched *sc = &w->sched[w->nsched];
        sc->line = el;
        sc->to_min = 24 * 60;
        struct fy_node *v;
        if ((v = cfgl_get(e, "days", el, &l))) {
            cfgl_path_key(f, ip, "days");
            if (cfgl_scalar_is(v, "workday"))
                sc->days = CFG_WALL_WORKDAYS;
            else if (cfgl_scalar_is(v, "offday"))
                sc->days = CFG_WALL_OFFDAYS;
            else if (!cfgl_scalar_is(v, "all"))
                cfgl_error(L, l, f, "must be workday, offday or all");
        }
        if ((v = cfgl_get(e, "from", el, &l))) {
            cfgl_path_key(f, ip, "from");
            sc->from_min = cfgl_time(L, v, l, f);
        }
        if ((v = cfgl_get(e, "to", el, &l))) {
            cfgl_path_key(f, ip, "to");
            sc->to_min = cfgl_time(L, v, l, f);
        }
        if (sc->from_min >= 0 && sc->to_min >= 0 && sc->from_min >= sc->to_min)
            cfgl_error(L, el, ip, "from must be before to");
        struct fy_node *scv = cfgl_get(e, "scene", el, &l), *plv;
        int pl;
        plv = cfgl_get(e, "playlist", el, &pl);
        if (!scv == !plv) {
            cfgl_error(L, el, ip, "give either scene or playlist");
            continue;
        }
        if (scv) {
            /* one scene: a one-item playlist */
            size_t len;
            cfgl_path_key(f, ip, "scene");
            const char *s = cfgl_want_scalar(L, scv, l, f, &len);
            int k = s ? scene_index(w, s, len) : -1;
            if (s && k < 0)
                cfgl_error(L, l, f, "unknown scene '%.*s' (not in this wall's scenes)", (int)len,
                           s);
            if (k < 0 || !(sc->items = cfgl_calloc(L, 1, sizeof *sc->items))) continue;
            sc->items[0] = (cfg_wall_item){k, 86400};
            sc->nitems = 1;
        } else {
            cfgl_path_key(f, ip, "playlist");
            parse_items(L, plv, pl, f, w, &sc->items, &sc->nitems);
        }
        w->nsched++;
    }
}

static void parse_wall(cfgl *L, struct fy_node *e, int el, const char *ip, cfg_wall *w)
{
    static const char *const keys[] = {"id",     "name",     "layout",   "hosts",
                                       "scenes", "tour_s",   "pin_s",    "grace_s",
                                       "show_s", "playlist", "schedule", NULL};
    char f[CFGL_PATHN];
    int l;
    cfgl_check_keys(L, e, ip, keys);
    w->name = cfgl_opt_str(L, e, el, ip, "name");
    w->layout = cfgl_opt_str(L, e, el, ip, "layout");
    w->tour_s = 15;
    w->pin_s = 20;
    w->grace_s = 30;
    w->show_s = 60;
    cfgl_opt_int32(L, e, el, ip, "tour_s", 2, 3600, &w->tour_s);
    cfgl_opt_int32(L, e, el, ip, "pin_s", 2, 3600, &w->pin_s);
    cfgl_opt_int32(L, e, el, ip, "grace_s", 0, 3600, &w->grace_s);
    cfgl_opt_int32(L, e, el, ip, "show_s", 2, 86400, &w->show_s);
    struct fy_node *v = cfgl_get(e, "hosts", el, &l);
    cfgl_path_key(f, ip, "hosts");
    if (v)
        parse_hosts(L, v, l, f, w);
    else
        cfgl_missing(L, el, ip, "hosts");
    if ((v = cfgl_get(e, "scenes", el, &l))) {
        cfgl_path_key(f, ip, "scenes");
        parse_scenes(L, v, l, f, w);
    }
    if (!w->nscenes && !L->oom) {
        free(w->scenes);
        w->scenes = cfgl_calloc(L, 1, sizeof *w->scenes);
        if (w->scenes && (w->scenes[0] = cfgl_strndup(L, "overview", 8))) w->nscenes = 1;
    }
    if ((v = cfgl_get(e, "playlist", el, &l))) {
        cfgl_path_key(f, ip, "playlist");
        parse_items(L, v, l, f, w, &w->playlist, &w->nplaylist);
    }
    if ((v = cfgl_get(e, "schedule", el, &l))) {
        cfgl_path_key(f, ip, "schedule");
        parse_sched(L, v, l, f, w);
    }
}

void cfgl_parse_walls(cfgl *L, struct fy_node *seq, int sline)
{
    const char *base = "walls";
    cfg_t *c = L->cfg;
    if (!cfgl_want_seq(L, seq, sline, base)) return;
    int n = fy_node_sequence_item_count(seq), i = 0;
    c->walls = cfgl_calloc(L, n > 0 ? (size_t)n : 1, sizeof *c->walls);
    if (!c->walls) return;
    void *it = NULL;
    struct fy_node *e;
    for (; (e = fy_node_sequence_iterate(seq, &it)); i++) {
        char ip[CFGL_PATHN], f[CFGL_PATHN];
        int el = cfgl_line_or(e, sline);
        cfgl_path_idx(ip, base, i);
        if (!cfgl_want_map(L, e, el, ip)) continue;
        cfg_wall *w = &c->walls[c->nwalls];
        w->id = cfgl_req_str(L, e, el, ip, "id", true);
        if (!w->id) continue;
        cfgl_path_key(f, ip, "id");
        cfgl_dup_check(L, w->id, c->nwalls, c->walls, sizeof *c->walls, el, f);
        c->nwalls++;
        parse_wall(L, e, el, ip, w);
    }
}

void cfg_walls_free(cfg_t *cfg)
{
    for (int i = 0; i < cfg->nwalls; i++) {
        cfg_wall *w = &cfg->walls[i];
        free(w->id);
        free(w->name);
        free(w->layout);
        for (int k = 0; k < w->nhosts; k++)
            free(w->hosts[k].id);
        free(w->hosts);
        for (int k = 0; k < w->nscenes; k++)
            free(w->scenes[k]);
        free(w->scenes);
        free(w->playlist);
        for (int k = 0; k < w->nsched; k++)
            free(w->sched[k].items);
        free(w->sched);
    }
    free(cfg->walls);
    cfg->walls = NULL;
    cfg->nwalls = 0;
}
