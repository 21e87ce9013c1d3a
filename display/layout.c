/* layout: wall layout files (libfyaml) and the viewport / bezel / seam arithmetic. */
#include "layout.h"

#include "yamldiag.h"
#include "xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

static const char *const panel_types[] = {"header", "kpi",   "map",     "ranking", "trend",
                                          "alerts", "clock", "cameras", NULL};

typedef struct lctx {
    const char *file;
    char *errs;
    size_t len;
    int n;
} lctx;

static void err(lctx *c, int line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void err(lctx *c, int line, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *line_text = NULL;
    int k = asprintf(&line_text, "%s:%d: %s: %s\n", c->file, line > 0 ? line : 1, field, msg);
    if (k < 0) return;
    char *n = realloc(c->errs, c->len + (size_t)k + 1);
    if (n) {
        memcpy(n + c->len, line_text, (size_t)k + 1);
        c->errs = n;
        c->len += (size_t)k;
        c->n++;
    }
    free(line_text);
}

/* YAML -> JSON: plain scalars that read as numbers / booleans / null become those. */
static json_t *to_json(struct fy_node *n)
{
    if (!n) return json_null();
    void *it = NULL;
    switch (fy_node_get_type(n)) {
    case FYNT_SCALAR: {
        size_t len = 0;
        const char *s = fy_node_get_scalar(n, &len);
        if (!s) return json_null();
        char buf[64];
        if (fy_node_get_style(n) == FYNS_PLAIN && len < sizeof buf) {
            memcpy(buf, s, len);
            buf[len] = 0;
            if (!strcmp(buf, "true")) return json_true();
            if (!strcmp(buf, "false")) return json_false();
            if (!strcmp(buf, "null") || !strcmp(buf, "~") || len == 0) return json_null();
            char *end;
            errno = 0;
            long long v = strtoll(buf, &end, 10);
            if (*end == 0 && errno == 0 && end != buf) return json_integer(v);
            double dv = strtod(buf, &end);
            if (*end == 0 && end != buf && isfinite(dv)) return json_real(dv);
        }
        return json_stringn(s, len);
    }
    case FYNT_SEQUENCE: {
        json_t *a = json_array();
        struct fy_node *ch;
        while ((ch = fy_node_sequence_iterate(n, &it)))
            json_array_append_new(a, to_json(ch));
        return a;
    }
    case FYNT_MAPPING: {
        json_t *o = json_object();
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(n, &it))) {
            size_t kl = 0;
            const char *k = fy_node_get_scalar(fy_node_pair_key(p), &kl);
            if (!k) continue;
            char *key = strndup(k, kl);
            if (!key) continue;
            json_object_set_new(o, key, to_json(fy_node_pair_value(p)));
            free(key);
        }
        return o;
    }
    }
    return json_null();
}

static bool num_in(json_t *v, double lo, double hi, double *out)
{
    if (!json_is_number(v)) return false;
    double d = json_number_value(v);
    if (d < lo || d > hi) return false;
    *out = d;
    return true;
}

static int line_of_key(struct fy_node *map, const char *key, int fallback);

/* "unknown key" for every key of o (the JSON of map) not in keys, at the key's own line */
static void check_keys(lctx *c, json_t *o, struct fy_node *map, int line, const char *where,
                       const char *const *keys)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        bool ok = false;
        for (int i = 0; keys[i]; i++)
            if (!strcmp(keys[i], k)) ok = true;
        if (!ok) {
            char f[128];
            snprintf(f, sizeof f, "%s%s%s", where, *where ? "." : "", k);
            err(c, line_of_key(map, k, line), f, "unknown key");
        }
    }
}

/* An integer field in [lo, hi]; *out unchanged when absent (unless required). */
static void int_field(lctx *c, json_t *o, int line, const char *where, const char *key, int lo,
                      int hi, bool required, int *out)
{
    char f[128];
    snprintf(f, sizeof f, "%s%s%s", where, *where ? "." : "", key);
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (required) err(c, line, f, "required field missing");
        return;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        err(c, line, f, "must be an integer from %d to %d", lo, hi);
        return;
    }
    *out = (int)json_integer_value(v);
}

static int line_of_key(struct fy_node *map, const char *key, int fallback)
{
    struct fy_node *v = map ? fy_node_mapping_lookup_by_string(map, key, FY_NT) : NULL;
    int l = ydiag_node_line(v);
    return l ? l : fallback;
}

static bool type_ok(const char *t)
{
    for (int i = 0; panel_types[i]; i++)
        if (!strcmp(panel_types[i], t)) return true;
    return false;
}

static void parse_panel(lctx *c, layout *l, struct fy_node *pn, int idx)
{
    char where[32];
    snprintf(where, sizeof where, "panels[%d]", idx);
    int line = ydiag_node_line(pn);
    if (!fy_node_is_mapping(pn)) {
        err(c, line, where, "must be a mapping with type and rect");
        return;
    }
    json_t *o = to_json(pn);
    layout_panel *p = &l->panels[l->npanels];
    memset(p, 0, sizeof *p);
    p->line = line;
    p->opts = o;
    char f[64];
    json_t *t = json_object_get(o, "type");
    snprintf(f, sizeof f, "%s.type", where);
    if (!json_is_string(t)) {
        err(c, line, f, "required field missing");
    } else if (!type_ok(json_string_value(t))) {
        err(c, line_of_key(pn, "type", line), f,
            "unknown panel type '%s' (header, kpi, map, ranking, trend, alerts, clock, "
            "cameras)",
            json_string_value(t));
    } else {
        p->type = cw_xstrdup(json_string_value(t));
    }
    json_t *title = json_object_get(o, "title");
    if (title) {
        snprintf(f, sizeof f, "%s.title", where);
        if (!json_is_string(title))
            err(c, line_of_key(pn, "title", line), f, "must be a string");
        else
            p->title = cw_xstrdup(json_string_value(title));
    }
    json_t *r = json_object_get(o, "rect");
    snprintf(f, sizeof f, "%s.rect", where);
    int rl = line_of_key(pn, "rect", line);
    double v[4];
    if (!r) {
        err(c, line, f, "required field missing");
    } else if (!json_is_array(r) || json_array_size(r) != 4 ||
               !num_in(json_array_get(r, 0), 0, l->canvas_w, &v[0]) ||
               !num_in(json_array_get(r, 1), 0, l->canvas_h, &v[1]) ||
               !num_in(json_array_get(r, 2), 1, l->canvas_w, &v[2]) ||
               !num_in(json_array_get(r, 3), 1, l->canvas_h, &v[3])) {
        err(c, rl, f, "must be [x, y, width, height] in canvas pixels (canvas %dx%d)", l->canvas_w,
            l->canvas_h);
    } else if (v[0] + v[2] > l->canvas_w || v[1] + v[3] > l->canvas_h) {
        err(c, rl, f, "[%g, %g, %g, %g] reaches outside the %dx%d canvas", v[0], v[1], v[2], v[3],
            l->canvas_w, l->canvas_h);
    } else {
        p->r = (layout_rect){(float)v[0], (float)v[1], (float)v[2], (float)v[3]};
    }
    json_t *sc = json_object_get(o, "scenes");
    if (sc) {
        snprintf(f, sizeof f, "%s.scenes", where);
        size_t n = json_array_size(sc), k;
        json_t *v;
        bool ok = json_is_array(sc) && n > 0 && (p->scenes = cw_xcalloc(n, sizeof *p->scenes));
        json_array_foreach(sc, k, v) ok = ok && json_is_string(v) && json_string_length(v) > 0 &&
                                          json_string_length(v) < sizeof l->scene;
        if (!ok)
            err(c, line_of_key(pn, "scenes", line), f, "must be a list of scene names");
        else
            json_array_foreach(sc, k, v) p->scenes[p->nscenes++] = cw_xstrdup(json_string_value(v));
    }
    l->npanels++;
}

static layout *parse_doc(lctx *c, struct fy_document *doc, const char *path)
{
    layout *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    snprintf(l->scene, sizeof l->scene, "overview");
    l->path = cw_xstrdup(path);
    l->scale = 1;
    l->fps = 60;
    l->anim_fps = 30;
    struct fy_node *root = fy_document_root(doc);
    if (!root || !fy_node_is_mapping(root)) {
        err(c, 1, "(layout)", "the file must be a mapping (screens, panels, ...)");
        return l;
    }
    json_t *o = to_json(root);
    static const char *const top[] = {"title",    "screens", "canvas",   "scale", "fps",
                                      "anim_fps", "panels",  "language", NULL};
    check_keys(c, o, root, ydiag_node_line(root), "", top);
    json_t *title = json_object_get(o, "title");
    if (title && !json_is_string(title))
        err(c, line_of_key(root, "title", 1), "title", "must be a string");
    else if (title)
        l->title = cw_xstrdup(json_string_value(title));

    struct fy_node *sn = fy_node_mapping_lookup_by_string(root, "screens", FY_NT);
    json_t *s = json_object_get(o, "screens");
    int sl = line_of_key(root, "screens", 1);
    l->cols = l->rows = 1;
    if (!json_is_object(s)) {
        err(c, sl, "screens", "required: {cols, rows, width, height, bezel_x, bezel_y}");
    } else {
        static const char *const sk[] = {"cols",    "rows",    "width", "height",
                                         "bezel_x", "bezel_y", NULL};
        sl = ydiag_node_line(sn) ? ydiag_node_line(sn) : sl;
        check_keys(c, s, sn, sl, "screens", sk);
        int_field(c, s, sl, "screens", "cols", 1, 16, true, &l->cols);
        int_field(c, s, sl, "screens", "rows", 1, 16, true, &l->rows);
        int_field(c, s, sl, "screens", "width", 64, 16384, true, &l->screen_w);
        int_field(c, s, sl, "screens", "height", 64, 16384, true, &l->screen_h);
        int_field(c, s, sl, "screens", "bezel_x", 0, 2000, false, &l->bezel_x);
        int_field(c, s, sl, "screens", "bezel_y", 0, 2000, false, &l->bezel_y);
    }
    l->canvas_w = l->cols * l->screen_w + (l->cols - 1) * l->bezel_x;
    l->canvas_h = l->rows * l->screen_h + (l->rows - 1) * l->bezel_y;
    json_t *cv = json_object_get(o, "canvas");
    if (cv) {
        int cl = line_of_key(root, "canvas", 1), w = 0, h = 0;
        static const char *const ck[] = {"width", "height", NULL};
        if (!json_is_object(cv)) {
            err(c, cl, "canvas", "must be {width, height}");
        } else {
            check_keys(c, cv, fy_node_mapping_lookup_by_string(root, "canvas", FY_NT), cl, "canvas",
                       ck);
            int_field(c, cv, cl, "canvas", "width", 1, 65536, true, &w);
            int_field(c, cv, cl, "canvas", "height", 1, 65536, true, &h);
            if (w && h && (w != l->canvas_w || h != l->canvas_h))
                err(c, cl, "canvas",
                    "%dx%d does not match the screens: %d x %d + %d bezels of %d = %d wide, "
                    "%d x %d + %d bezels of %d = %d high",
                    w, h, l->cols, l->screen_w, l->cols - 1, l->bezel_x, l->canvas_w, l->rows,
                    l->screen_h, l->rows - 1, l->bezel_y, l->canvas_h);
        }
    }
    json_t *sc = json_object_get(o, "scale");
    double d;
    if (sc && !num_in(sc, 0.25, 8, &d))
        err(c, line_of_key(root, "scale", 1), "scale", "must be a number from 0.25 to 8");
    else if (sc)
        l->scale = (float)d;
    json_t *lang = json_object_get(o, "language");
    if (lang && (!json_is_string(lang) || (strcmp(json_string_value(lang), "zh") != 0 &&
                                           strcmp(json_string_value(lang), "en") != 0)))
        err(c, line_of_key(root, "language", 1), "language", "must be zh or en");
    else if (lang)
        l->lang = strcmp(json_string_value(lang), "en") == 0 ? LAYOUT_LANG_EN : LAYOUT_LANG_ZH;
    int_field(c, o, line_of_key(root, "fps", 1), "", "fps", 1, 240, false, &l->fps);
    int_field(c, o, line_of_key(root, "anim_fps", 1), "", "anim_fps", 1, 240, false, &l->anim_fps);
    if (l->anim_fps > l->fps) l->anim_fps = l->fps;

    struct fy_node *pn = fy_node_mapping_lookup_by_string(root, "panels", FY_NT);
    if (!pn || !fy_node_is_sequence(pn)) {
        err(c, line_of_key(root, "panels", 1), "panels", "required: a list of panels");
    } else {
        void *it = NULL;
        struct fy_node *ch;
        int i = 0;
        while ((ch = fy_node_sequence_iterate(pn, &it))) {
            if (l->npanels >= LAYOUT_MAX_PANELS) {
                err(c, ydiag_node_line(ch), "panels", "at most %d panels", LAYOUT_MAX_PANELS);
                break;
            }
            parse_panel(c, l, ch, i++);
        }
    }
    json_decref(o);
    return l;
}

static layout *load(const char *text, const char *path, char **errors)
{
    lctx c = {.file = path};
    ydiag yd;
    ydiag_open(&yd); /* NULL diag when out of memory: libfyaml then reports nothing */
    layout *l = NULL;
    struct fy_parse_cfg pc = {.flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT, .diag = yd.diag};
    struct fy_document *doc = text ? fy_document_build_from_string(&pc, text, FY_NT)
                                   : fy_document_build_from_file(&pc, path);
    if (!doc) {
        if (!text) {
            FILE *f = fopen(path, "r");
            if (!f)
                err(&c, 1, "file", "cannot open: %s", strerror(errno));
            else
                fclose(f);
        }
        if (c.n == 0) {
            /* libfyaml reports "FILE:LINE:COL: MESSAGE" (or "<stdin>..."): keep line and text */
            const char *t = yd.text ? yd.text : "";
            int line = 1, col = 0, off = 0;
            const char *colon = strstr(t, ": ");
            const char *p = t;
            if (!strncmp(t, path, strlen(path))) p = t + strlen(path);
            if (sscanf(p, ":%d:%d:%n", &line, &col, &off) >= 2 && off > 0) {
                const char *m = p + off;
                while (*m == ' ')
                    m++;
                char msg[300];
                snprintf(msg, sizeof msg, "%s", m);
                char *nl = strchr(msg, '\n');
                if (nl) *nl = 0;
                err(&c, line, "(yaml)", "%s", strncmp(msg, "error: ", 7) ? msg : msg + 7);
            } else {
                err(&c, 1, "(yaml)", "%s", colon ? colon + 2 : "not valid YAML");
            }
        }
        goto out;
    }
    l = parse_doc(&c, doc, path);
out:
    if (doc) fy_document_destroy(doc);
    ydiag_close(&yd);
    if (c.n || !l) {
        layout_free(l);
        *errors = c.errs ? c.errs : cw_xstrdup("layout: out of memory\n");
        return NULL;
    }
    *errors = NULL;
    return l;
}

layout *layout_load(const char *path, char **errors)
{
    return load(NULL, path, errors);
}

layout *layout_load_string(const char *text, const char *path, char **errors)
{
    return load(text, path, errors);
}

void layout_free(layout *l)
{
    if (!l) return;
    for (int i = 0; i < l->npanels; i++) {
        free(l->panels[i].type);
        free(l->panels[i].title);
        json_decref(l->panels[i].opts);
        for (int k = 0; k < l->panels[i].nscenes; k++)
            free(l->panels[i].scenes[k]);
        free(l->panels[i].scenes);
    }
    free(l->title);
    free(l->path);
    free(l);
}

int layout_parse_viewport(const char *s, layout_rect *vp)
{
    long v[4];
    int n = 0;
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        char *end;
        errno = 0;
        v[i] = strtol(p, &end, 10);
        if (end == p || errno) return -1;
        n++;
        p = end;
        if (i < 3) {
            if (*p != ',') return -1;
            p++;
        }
    }
    if (*p || n != 4 || v[0] < 0 || v[1] < 0 || v[2] <= 0 || v[3] <= 0 || v[2] > 65536 ||
        v[3] > 65536)
        return -1;
    *vp = (layout_rect){(float)v[0], (float)v[1], (float)v[2], (float)v[3]};
    return 0;
}

static void axis_info(const layout *l, int axis, int *n, int *size, int *bezel)
{
    *n = axis ? l->rows : l->cols;
    *size = axis ? l->screen_h : l->screen_w;
    *bezel = axis ? l->bezel_y : l->bezel_x;
}

float layout_screen_start(const layout *l, int axis, int i)
{
    int n, size, bezel;
    axis_info(l, axis, &n, &size, &bezel);
    return (float)(i * (size + bezel));
}

/* Visible pieces of [a, a + len) on one axis: canvas start, length. Returns their count. */
static int pieces(const layout *l, int axis, float a, float len, float *out, int max)
{
    int n, size, bezel, k = 0;
    axis_info(l, axis, &n, &size, &bezel);
    for (int i = 0; i < n && k < max; i++) {
        float s0 = layout_screen_start(l, axis, i), s1 = s0 + (float)size;
        float p0 = fmaxf(a, s0), p1 = fminf(a + len, s1);
        if (p1 > p0) {
            out[2 * k] = p0;
            out[2 * k + 1] = p1 - p0;
            k++;
        }
    }
    return k;
}

int layout_viewport(const layout *l, layout_rect vp, layout_region *regions, int max, int *out_w,
                    int *out_h)
{
    if (vp.x < 0 || vp.y < 0 || vp.x + vp.w > (float)l->canvas_w ||
        vp.y + vp.h > (float)l->canvas_h)
        return -1;
    float px[32], py[32];
    int nx = pieces(l, 0, vp.x, vp.w, px, 16), ny = pieces(l, 1, vp.y, vp.h, py, 16);
    if (nx == 0 || ny == 0) return -1;
    int k = 0;
    float oy = 0;
    for (int j = 0; j < ny; j++) {
        float ox = 0;
        for (int i = 0; i < nx; i++) {
            if (k < max) {
                regions[k].canvas =
                    (layout_rect){px[2 * i], py[2 * j], px[2 * i + 1], py[2 * j + 1]};
                regions[k].out = (layout_rect){ox, oy, px[2 * i + 1], py[2 * j + 1]};
                k++;
            }
            ox += px[2 * i + 1];
        }
        oy += py[2 * j + 1];
    }
    float w = 0, h = 0;
    for (int i = 0; i < nx; i++)
        w += px[2 * i + 1];
    for (int j = 0; j < ny; j++)
        h += py[2 * j + 1];
    *out_w = (int)w;
    *out_h = (int)h;
    return k;
}

bool layout_crosses_seam(const layout *l, int axis, float a, float len)
{
    int n, size, bezel;
    axis_info(l, axis, &n, &size, &bezel);
    for (int i = 1; i < n; i++) {
        float s = layout_screen_start(l, axis, i); /* first pixel of screen i */
        float b0 = s - (float)bezel;               /* bezel band [b0, s) */
        if (bezel > 0) {
            if (a < s && a + len > b0) return true;
        } else if (a < s && a + len > s) {
            return true;
        }
    }
    return false;
}

static float avoid_axis(const layout *l, int axis, float a, float len, float lo, float hi)
{
    if (!layout_crosses_seam(l, axis, a, len)) return a;
    int n, size, bezel;
    axis_info(l, axis, &n, &size, &bezel);
    float best = a, bestd = 1e30f;
    for (int i = 0; i < n; i++) {
        float s0 = layout_screen_start(l, axis, i), s1 = s0 + (float)size;
        if (len > s1 - s0) continue;
        float c = a;
        if (c < s0) c = s0;
        if (c + len > s1) c = s1 - len;
        if (c < lo || c + len > hi) continue;
        float dd = fabsf(c - a);
        if (dd < bestd) {
            bestd = dd;
            best = c;
        }
    }
    return best;
}

void layout_avoid_seams(const layout *l, float *x, float *y, float w, float h,
                        const float bounds[4])
{
    *x = avoid_axis(l, 0, *x, w, bounds[0], bounds[2]);
    *y = avoid_axis(l, 1, *y, h, bounds[1], bounds[3]);
}

int layout_cells(const layout *l, int axis, float a, float len, int n, float gap, float *out)
{
    if (n <= 0) return 0;
    float seg[32];
    int ns = pieces(l, axis, a, len, seg, 16);
    int counts[16] = {0};
    if (ns <= 1 || n < ns) {
        ns = 1;
        seg[0] = a;
        seg[1] = len;
        counts[0] = n;
    } else {
        float vis = 0;
        for (int i = 0; i < ns; i++)
            vis += seg[2 * i + 1];
        int given = 0;
        float rem[16];
        for (int i = 0; i < ns; i++) {
            float share = (float)n * seg[2 * i + 1] / vis;
            counts[i] = (int)floorf(share);
            rem[i] = share - (float)counts[i];
            given += counts[i];
        }
        while (given < n) {
            int bi = 0;
            for (int i = 1; i < ns; i++)
                if (rem[i] > rem[bi] + 1e-6f) bi = i;
            counts[bi]++;
            rem[bi] = -1;
            given++;
        }
    }
    int k = 0;
    for (int i = 0; i < ns; i++) {
        if (counts[i] == 0) continue;
        /* outer gaps at seams: half a gap on each side inside a segment that meets a seam */
        float s0 = seg[2 * i], sl = seg[2 * i + 1];
        float lead = (ns > 1 && i > 0) ? gap / 2 : 0, tail = (ns > 1 && i < ns - 1) ? gap / 2 : 0;
        float inner = sl - lead - tail;
        float cw = (inner - gap * (float)(counts[i] - 1)) / (float)counts[i];
        for (int j = 0; j < counts[i]; j++) {
            out[2 * k] = s0 + lead + (float)j * (cw + gap);
            out[2 * k + 1] = cw;
            k++;
        }
    }
    int crossing = 0;
    for (int i = 0; i < n; i++)
        if (layout_crosses_seam(l, axis, out[2 * i], out[2 * i + 1])) crossing++;
    return crossing;
}

bool layout_has_source(const layout *l, const char *src)
{
    for (int i = 0; i < l->npanels; i++) {
        const char *v = json_string_value(json_object_get(l->panels[i].opts, "source"));
        if (v && !strcmp(v, src)) return true;
    }
    return false;
}

bool layout_panel_shown(const layout *l, const layout_panel *p)
{
    if (!p->nscenes) return true;
    for (int k = 0; k < p->nscenes; k++)
        if (!strcmp(p->scenes[k], l->scene)) return true;
    return false;
}
