/* panel_map: the city map -- the 临海 outline from the GeoJSON (stencil-filled, glowing
 * border, graticule), every hall as a marker coloured by its status (pulsing while it alerts),
 * labels placed so they overlap neither markers, nor each other, nor a screen seam, and a
 * legend with the count of halls per status.
 *
 * Projection: equirectangular around the outline's middle latitude (x = lng * cos(lat0)),
 * fitted into the content area above the legend. Each marker's canvas position is also
 * written to the text dump as {"panel":"map","marker":ID,"status":..,"x":..,"y":..,"r":..}.
 *
 * Options: geojson: a path under assets/ or absolute (default map/linhai.geojson, or
 * map/taizhou.geojson with source: province); source: city (default) or province -- the
 * province map, each city's county coloured by its people waiting (panel_map_province.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "panel_map.h"

/* (the rings, features and projection: panel_map.h) */
typedef map_ring ring;

static void free_rings(map_priv *m)
{
    for (int i = 0; i < m->nrings; i++)
        free(m->rings[i].ll);
    free(m->rings);
    m->rings = NULL;
    m->nrings = 0;
    free(m->features);
    m->features = NULL;
    m->nfeatures = 0;
}

/* The centroid of a ring (shoelace), in lng/lat; its area (any sign) into *area. */
static void ring_centroid(const ring *r, double *lng, double *lat, double *area)
{
    double a = 0, cx = 0, cy = 0;
    for (int j = 0; j < r->n; j++) {
        int k = (j + 1) % r->n;
        double x0 = r->ll[2 * j], y0 = r->ll[2 * j + 1], x1 = r->ll[2 * k], y1 = r->ll[2 * k + 1];
        double c = x0 * y1 - x1 * y0;
        a += c;
        cx += (x0 + x1) * c;
        cy += (y0 + y1) * c;
    }
    *area = a / 2;
    if (fabs(a) < 1e-12) {
        *lng = r->ll[0];
        *lat = r->ll[1];
        return;
    }
    *lng = cx / (3 * a);
    *lat = cy / (3 * a);
}

/* Start feature ft (its name from properties.name); its rings follow. */
static int add_feature(map_priv *m, json_t *ft)
{
    map_feature *nf = realloc(m->features, sizeof(map_feature) * (size_t)(m->nfeatures + 1));
    if (!nf) return -1;
    m->features = nf;
    map_feature *f = &m->features[m->nfeatures++];
    memset(f, 0, sizeof *f);
    const char *name =
        json_string_value(json_object_get(json_object_get(ft, "properties"), "name"));
    snprintf(f->name, sizeof f->name, "%s", name ? name : "");
    f->first = m->nrings;
    return 0;
}

/* The feature's rings are all read: its label point. */
static void end_feature(map_priv *m)
{
    map_feature *f = &m->features[m->nfeatures - 1];
    f->nrings = m->nrings - f->first;
    double best = -1;
    for (int i = f->first; i < m->nrings; i++) {
        double lng, lat, a;
        ring_centroid(&m->rings[i], &lng, &lat, &a);
        if (fabs(a) > best) {
            best = fabs(a);
            f->lab_lng = lng;
            f->lab_lat = lat;
        }
    }
}

static int add_ring(map_priv *m, json_t *coords)
{
    size_t n = json_array_size(coords);
    if (n < 3) return 0;
    ring *nr = realloc(m->rings, sizeof(ring) * (size_t)(m->nrings + 1));
    if (!nr) return -1;
    m->rings = nr;
    ring *r = &m->rings[m->nrings];
    r->ll = malloc(sizeof(double) * 2 * n);
    if (!r->ll) return -1;
    r->n = 0;
    r->feature = m->nfeatures - 1;
    size_t i;
    json_t *pt;
    json_array_foreach(coords, i, pt)
    {
        json_t *x = json_array_get(pt, 0), *y = json_array_get(pt, 1);
        if (!json_is_number(x) || !json_is_number(y)) continue;
        double lng = json_number_value(x), lat = json_number_value(y);
        r->ll[2 * r->n] = lng;
        r->ll[2 * r->n + 1] = lat;
        r->n++;
        if (lng < m->min_lng) m->min_lng = lng;
        if (lng > m->max_lng) m->max_lng = lng;
        if (lat < m->min_lat) m->min_lat = lat;
        if (lat > m->max_lat) m->max_lat = lat;
    }
    m->nrings++;
    return 0;
}

static int load_geojson(map_priv *m, const char *path, char *err, size_t errn)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        snprintf(err, errn, "geojson: %s:%d: %s", path, je.line, je.text);
        return -1;
    }
    m->min_lng = m->min_lat = 1e9;
    m->max_lng = m->max_lat = -1e9;
    json_t *features = json_object_get(root, "features");
    size_t i;
    json_t *ft;
    int rc = 0;
    json_array_foreach(features, i, ft)
    {
        json_t *g = json_object_get(ft, "geometry");
        const char *type = json_string_value(json_object_get(g, "type"));
        json_t *c = json_object_get(g, "coordinates");
        if (!type) continue;
        if (add_feature(m, ft) < 0) {
            rc = -1;
            break;
        }
        if (!strcmp(type, "Polygon")) {
            size_t k;
            json_t *r;
            json_array_foreach(c, k, r) if (add_ring(m, r) < 0) rc = -1;
        } else if (!strcmp(type, "MultiPolygon")) {
            size_t k, q;
            json_t *poly, *r;
            json_array_foreach(c, k, poly) json_array_foreach(poly, q, r) if (add_ring(m, r) < 0)
                rc = -1;
        }
        end_feature(m);
    }
    json_decref(root);
    if (rc < 0 || m->nrings == 0) {
        snprintf(err, errn, "geojson: %s: no Polygon or MultiPolygon geometry", path);
        return -1;
    }
    m->k = cos((m->min_lat + m->max_lat) / 2 * M_PI / 180.0);
    return 0;
}

static int map_create(panel *p, char *err, size_t errn)
{
    map_priv *m = calloc(1, sizeof *m);
    if (!m) return -1;
    p->priv = m;
    json_t *g = json_object_get(p->lp->opts, "geojson");
    if (g && !json_is_string(g)) {
        snprintf(err, errn, "geojson: must be a path");
        return -1;
    }
    if (map_province_create(p, m, err, errn) < 0) return -1;
    char path[2048];
    scene_asset_path(g             ? json_string_value(g)
                     : m->province ? "map/taizhou.geojson"
                                   : "map/linhai.geojson",
                     path, sizeof path);
    return load_geojson(m, path, err, errn);
}

static void map_destroy(panel *p)
{
    map_priv *m = p->priv;
    if (!m) return;
    map_province_destroy(m);
    free_rings(m);
    draw_mesh_destroy(m->fill);
    draw_mesh_destroy(m->border);
    draw_mesh_destroy(m->glow);
    free(m);
}

static void build(panel *p, scene_frame *f)
{
    map_priv *m = p->priv;
    float s = f->s;
    m->legend_h = roundf(30 * s);
    float pad = roundf(18 * s);
    double aw = p->c.w - 2 * pad, ah = p->c.h - m->legend_h - 2 * pad;
    double gw = (m->max_lng - m->min_lng) * m->k, gh = m->max_lat - m->min_lat;
    m->sc = fmin(aw / gw, ah / gh);
    m->ox = p->c.x + pad + (aw - gw * m->sc) / 2;
    m->oy = p->c.y + pad + (ah - gh * m->sc) / 2;

    m->fill = map_fan_mesh(m, 0, m->nrings);
    m->glow = map_line_mesh(m, 0, m->nrings, fmaxf(6, 7 * s), DRAW_RGBA(63, 208, 255, 46));
    m->border =
        map_line_mesh(m, 0, m->nrings, fmaxf(1.5f, 1.6f * s), DRAW_RGBA(110, 210, 255, 235));
    if (m->province) map_province_build(m, f);
    m->built = true;
}

typedef struct box {
    float x0, y0, x1, y1;
} box;

static bool overlaps(box a, box b)
{
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

static int prio(const model_hall *h)
{
    if (!strcmp(h->level, "city")) return 0;
    if (h->status == MODEL_ST_ALERT || h->status == MODEL_ST_OFFLINE) return 1;
    if (h->status == MODEL_ST_WARN) return 2;
    return 3;
}

/* 数据中断 in the map's top-right corner: the halls whose data stopped, oldest first, with how
 * long (their labels say it too when there is room; this list always fits). Returns np with
 * the box added to placed (labels keep out of it). */
static int silent_box(panel *p, scene_frame *f, box *placed, int np)
{
    model *md = f->m;
    float s = f->s;
    int idx[MODEL_MAX_HALLS], n = 0;
    int64_t age[MODEL_MAX_HALLS];
    for (int i = 0; i < md->nhalls && i < MODEL_MAX_HALLS; i++)
        if (model_hall_silent(md, i, f->now_ms, &age[i])) idx[n++] = i;
    if (!n) return np;
    for (int a = 0; a < n; a++) /* oldest first */
        for (int b = a + 1; b < n; b++)
            if (age[idx[b]] > age[idx[a]]) {
                int t = idx[a];
                idx[a] = idx[b];
                idx[b] = t;
            }
    bool en = f->l->lang == LAYOUT_LANG_EN;
    int shown = n > 3 ? 3 : n;
    float ts = roundf(13 * s), lh = roundf(18 * s), w = roundf(200 * s);
    float h = lh * (float)(shown + 1 + (n > shown)) + roundf(8 * s);
    float x = p->c.x + p->c.w - w - roundf(6 * s), y = p->c.y + roundf(6 * s);
    draw_rrect(f->d, x, y, w, h, 3 * s, DRAW_RGBA(40, 8, 16, 200), 0, 0);
    float ty = y + roundf(4 * s) + lh / 2;
    text_draw(f->t, TEXT_BOLD, ts, x + 6 * s, ty, TEXT_MIDDLE, COL_ALERT,
              en ? "no data from" : "数据中断");
    for (int k = 0; k < shown; k++) {
        char lab[48], line[160];
        model_silent_label(md, idx[k], f->now_ms, en, lab, sizeof lab);
        /* "数据中断 12分钟" -> "12分钟" after the hall's name */
        const char *sp = strchr(lab, ' ');
        snprintf(line, sizeof line, "%s %s", md->halls[idx[k]].short_name,
                 en ? lab + 8 : (sp ? sp + 1 : lab));
        ty += lh;
        text_draw_fit(f->t, TEXT_REGULAR, ts, x + 6 * s, ty, w - 12 * s, TEXT_MIDDLE, COL_TEXT,
                      line);
    }
    if (n > shown) {
        char more[48];
        snprintf(more, sizeof more, en ? "and %d more" : "另有 %d 个", n - shown);
        text_draw(f->t, TEXT_REGULAR, ts, x + 6 * s, ty + lh, TEXT_MIDDLE, COL_TEXT_DIM, more);
    }
    placed[np++] = (box){x, y, x + w, y + h};
    return np;
}

static void map_static(panel *p, scene_frame *f)
{
    map_priv *m = p->priv;
    draw_t *d = f->d;
    if (!m->built) build(p, f);
    draw_clip(d, p->c.x, p->c.y, p->c.w, p->c.h);
    /* graticule every 0.1 degree (0.5 on a map wider than a degree: a province) */
    double step = m->max_lng - m->min_lng > 1 ? 0.5 : 0.1;
    for (double lng = ceil(m->min_lng / step) * step; lng <= m->max_lng; lng += step) {
        float x0, y0, x1, y1;
        map_project(m, lng, m->max_lat + 0.05, &x0, &y0);
        map_project(m, lng, m->min_lat - 0.05, &x1, &y1);
        draw_line(d, x0, y0, x1, y1, 1, COL_GRID);
    }
    for (double lat = ceil(m->min_lat / step) * step; lat <= m->max_lat; lat += step) {
        float x0, y0, x1, y1;
        map_project(m, m->min_lng - 0.1, lat, &x0, &y0);
        map_project(m, m->max_lng + 0.1, lat, &x1, &y1);
        draw_line(d, x0, y0, x1, y1, 1, COL_GRID);
    }
    float bx0, by0, bx1, by1;
    map_project(m, m->min_lng, m->max_lat, &bx0, &by0);
    map_project(m, m->max_lng, m->min_lat, &bx1, &by1);
    if (m->fill) {
        draw_stencil_begin(d);
        draw_mesh_draw(d, m->fill);
        draw_stencil_cover(d);
        draw_rect_vgrad(d, bx0 - 2, by0 - 2, bx1 - bx0 + 4, by1 - by0 + 4,
                        DRAW_RGBA(20, 78, 150, 235), DRAW_RGBA(12, 48, 104, 235));
        draw_stencil_end(d);
    }
    if (m->glow) draw_mesh_draw(d, m->glow);
    if (m->border) draw_mesh_draw(d, m->border);
    draw_clip_off(d);
}

/* The markers of the located halls: positions (clear of bezels), radii, and the order to draw
 * and label them in. */
typedef struct marks {
    int order[MODEL_MAX_HALLS], n;
    float x[MODEL_MAX_HALLS], y[MODEL_MAX_HALLS], r[MODEL_MAX_HALLS];
} marks;

static void place_markers(panel *p, scene_frame *f, marks *mk)
{
    map_priv *m = p->priv;
    model *md = f->m;
    float s = f->s;
    mk->n = 0;
    for (int i = 0; i < md->nhalls; i++) {
        model_hall *h = &md->halls[i];
        if (!h->located) continue;
        map_project(m, h->lng, h->lat, &mk->x[i], &mk->y[i]);
        mk->r[i] = roundf((strcmp(h->level, "city") ? 6 : 8) * s);
        /* a marker under a bezel would be invisible: move it just clear of the seam */
        float bx = mk->x[i] - mk->r[i] - 2, by = mk->y[i] - mk->r[i] - 2, bs = 2 * mk->r[i] + 4;
        const float lim[4] = {p->c.x, p->c.y, p->c.x + p->c.w, p->c.y + p->c.h};
        layout_avoid_seams(p->l, &bx, &by, bs, bs, lim);
        mk->x[i] = bx + mk->r[i] + 2;
        mk->y[i] = by + mk->r[i] + 2;
        mk->order[mk->n++] = i;
    }
    /* label priority: centre, a hall whose data stopped (数据中断: its label says for how long),
     * alerting, then by id */
    int key[MODEL_MAX_HALLS];
    for (int i = 0; i < md->nhalls && i < MODEL_MAX_HALLS; i++)
        key[i] = prio(&md->halls[i]) == 0                    ? 0
                 : model_hall_silent(md, i, f->now_ms, NULL) ? 1
                                                             : 2 * prio(&md->halls[i]);
    for (int a = 0; a < mk->n; a++)
        for (int b = a + 1; b < mk->n; b++)
            if (key[mk->order[b]] < key[mk->order[a]]) {
                int t = mk->order[a];
                mk->order[a] = mk->order[b];
                mk->order[b] = t;
            }
}

/* Glows (and the pulses map_anim spreads from alerting halls), then the discs. */
static void draw_markers(panel *p, scene_frame *f, const marks *mk)
{
    map_priv *m = p->priv;
    draw_t *d = f->d;
    float s = f->s;
    m->npulse = 0;
    for (int k = 0; k < mk->n; k++) {
        int i = mk->order[k];
        model_hall *h = &f->m->halls[i];
        uint32_t c = scene_status_color(h->status);
        draw_glow(d, mk->x[i], mk->y[i], mk->r[i] * 2.8f, draw_fade(c, 0.45f));
        if (h->status == MODEL_ST_ALERT || h->status == MODEL_ST_OFFLINE) {
            m->px[m->npulse] = mk->x[i];
            m->py[m->npulse] = mk->y[i];
            m->pr[m->npulse] = mk->r[i];
            m->pc[m->npulse] = c;
            m->npulse++;
        }
    }
    for (int k = 0; k < mk->n; k++) {
        int i = mk->order[k];
        model_hall *h = &f->m->halls[i];
        uint32_t c = scene_status_color(h->status);
        draw_disc(d, mk->x[i], mk->y[i], mk->r[i] + fmaxf(1.5f, 1.5f * s),
                  DRAW_RGBA(255, 255, 255, 230));
        draw_disc(d, mk->x[i], mk->y[i], mk->r[i], c);
        text_dump_add(f->t, json_pack("{s:s,s:s,s:s,s:f,s:f,s:f}", "panel", "map", "marker", h->id,
                                      "status", model_status_name(h->status), "x", (double)mk->x[i],
                                      "y", (double)mk->y[i], "r", (double)mk->r[i]));
    }
}

/* Where a bw x bh label of the marker at (mx, my) goes: 8 places around it at gap, then twice
 * farther (*far: with a leader line), inside bounds, off the seams, clear of the legend and
 * of what is placed. false: no room. */
static bool label_place(const panel *p, const box *placed, int np, box legend,
                        const float bounds[4], float mx, float my, float gap, float bw, float bh,
                        box *out, bool *far)
{
    static const float dirs[8][2] = {{1, 0},  {-1, 0}, {0, -1},  {0, 1},
                                     {1, -1}, {1, 1},  {-1, -1}, {-1, 1}};
    for (int ringi = 0; ringi < 3; ringi++) {
        float dist = gap * (ringi == 0 ? 1.0f : ringi == 1 ? 2.6f : 4.2f);
        for (int q = 0; q < 8; q++) {
            float dx = dirs[q][0], dy = dirs[q][1];
            float cx = mx + dx * dist, cy = my + dy * dist;
            float x0 = dx > 0 ? cx : dx < 0 ? cx - bw : cx - bw / 2;
            float y0 = dy > 0 ? cy : dy < 0 ? cy - bh : cy - bh / 2;
            if (dx == 0) y0 = dy > 0 ? cy : cy - bh;
            layout_avoid_seams(p->l, &x0, &y0, bw, bh, bounds);
            box b = {x0, y0, x0 + bw, y0 + bh};
            if (b.x0 < bounds[0] || b.y0 < bounds[1] || b.x1 > bounds[2] || b.y1 > bounds[3])
                continue;
            if (layout_crosses_seam(p->l, 0, b.x0, bw) || layout_crosses_seam(p->l, 1, b.y0, bh))
                continue;
            bool clash = overlaps(b, legend);
            for (int z = 0; z < np && !clash; z++)
                clash = overlaps(b, placed[z]);
            if (!clash) {
                *out = b;
                *far = ringi > 0;
                return true;
            }
        }
    }
    return false;
}

/* The halls' labels, in priority order, each where it fits (a silent hall's says for how
 * long); a marker with no room for its label stays unlabeled. */
static void draw_labels(panel *p, scene_frame *f, const marks *mk, float legend_y)
{
    draw_t *d = f->d;
    float s = f->s;
    model *md = f->m;
    box placed[MODEL_MAX_HALLS * 2 + 1]; /* markers, labels, the 数据中断 box */
    int np = 0;
    for (int k = 0; k < mk->n; k++) {
        int i = mk->order[k];
        float rr = mk->r[i] + 3 * s;
        placed[np++] = (box){mk->x[i] - rr, mk->y[i] - rr, mk->x[i] + rr, mk->y[i] + rr};
    }
    box legend = {p->c.x, legend_y, p->c.x + p->c.w, p->c.y + p->c.h};
    const float bounds[4] = {p->c.x + 2, p->c.y + 2, p->c.x + p->c.w - 2, legend_y};
    np = silent_box(p, f, placed, np);
    for (int k = 0; k < mk->n; k++) {
        int i = mk->order[k];
        model_hall *h = &md->halls[i];
        bool strong = prio(h) <= 1;
        int style = strong ? TEXT_BOLD : TEXT_REGULAR;
        float ts = roundf((strong ? 14 : 13) * s);
        char label[128], silent[48];
        if (model_silent_label(md, i, f->now_ms, f->l->lang == LAYOUT_LANG_EN, silent,
                               sizeof silent)) /* the marker says how old its data is */
            snprintf(label, sizeof label, "%s · %s", h->short_name, silent);
        else
            snprintf(label, sizeof label, "%s", h->short_name);
        float tw = text_width(f->t, style, ts, 0, label);
        float bw = tw + roundf(8 * s), bh = ts + roundf(4 * s);
        float gap = mk->r[i] + roundf(5 * s);
        box b;
        bool far;
        if (!label_place(p, placed, np, legend, bounds, mk->x[i], mk->y[i], gap, bw, bh, &b, &far))
            continue;
        placed[np++] = b;
        uint32_t tc = strong && h->status >= MODEL_ST_WARN ? scene_status_color(h->status)
                                                           : DRAW_RGBA(220, 234, 255, 255);
        if (far) {
            float lx = fminf(fmaxf(mk->x[i], b.x0), b.x1), ly = fminf(fmaxf(mk->y[i], b.y0), b.y1);
            draw_line(d, mk->x[i], mk->y[i], lx, ly, fmaxf(1, s), DRAW_RGBA(160, 200, 240, 160));
        }
        draw_rrect(d, b.x0, b.y0, bw, bh, 3 * s, DRAW_RGBA(4, 16, 38, 170), 0, 0);
        text_draw(f->t, style, ts, b.x0 + roundf(4 * s), b.y0 + bh / 2, TEXT_MIDDLE,
                  silent[0] ? COL_ALERT : tc, label);
    }
}

/* The legend: a dot and count per status, the number of halls on the right. */
static void draw_legend(panel *p, scene_frame *f, float legend_y)
{
    map_priv *m = p->priv;
    draw_t *d = f->d;
    float s = f->s;
    model *md = f->m;
    static const int sts[] = {MODEL_ST_OK, MODEL_ST_WARN, MODEL_ST_ALERT, MODEL_ST_OFFLINE,
                              MODEL_ST_CLOSED};
    float x = p->c.x + roundf(6 * s), ly = legend_y + m->legend_h / 2;
    int counts[MODEL_ST_COUNT];
    model_hall_counts(md, counts); /* the header's numbers too */
    for (size_t q = 0; q < sizeof sts / sizeof sts[0]; q++) {
        int cnt = counts[sts[q]];
        draw_disc(d, x + 6 * s, ly, 5 * s, scene_status_color(sts[q]));
        char buf[48];
        snprintf(buf, sizeof buf, "%s %d", scene_status_label(f, sts[q]), cnt);
        x += 16 * s +
             text_draw(f->t, TEXT_REGULAR, roundf(13 * s), x + 15 * s, ly, TEXT_MIDDLE,
                       COL_TEXT_DIM, buf) +
             roundf(14 * s);
    }
    char tot[64];
    snprintf(tot, sizeof tot, scene_tr(f, "全市服务中心 %d 个", "%d service halls"), md->nhalls);
    text_draw(f->t, TEXT_REGULAR, roundf(13 * s), p->c.x + p->c.w - 6 * s, ly,
              TEXT_RIGHT | TEXT_MIDDLE, COL_TEXT_FAINT, tot);
}

static void map_draw(panel *p, scene_frame *f)
{
    map_priv *m = p->priv;
    if (!m->built) build(p, f);
    if (m->province) {
        map_province_draw(p, f);
        return;
    }
    float legend_y = p->c.y + p->c.h - m->legend_h;
    marks mk;
    draw_clip(f->d, p->c.x, p->c.y, p->c.w, p->c.h);
    place_markers(p, f, &mk);
    draw_markers(p, f, &mk);
    draw_labels(p, f, &mk, legend_y);
    draw_clip_off(f->d);
    draw_legend(p, f, legend_y);
}

/* rings spreading from the markers of halls that alert */
static void map_anim(panel *p, scene_frame *f)
{
    map_priv *m = p->priv;
    if (!m->npulse) return;
    draw_clip(f->d, p->c.x, p->c.y, p->c.w, p->c.h);
    for (int i = 0; i < m->npulse; i++)
        for (int q = 0; q < 2; q++) {
            double ph = fmod(f->anim_s * 0.7 + q * 0.5, 1.0);
            float rr = m->pr[i] + 3 * f->s + (float)ph * 24 * f->s;
            draw_ring(f->d, m->px[i], m->py[i], rr, fmaxf(1.5f, 2 * f->s),
                      draw_fade(m->pc[i], (float)(1.0 - ph) * 0.9f));
            scene_damage(f, m->px[i] - rr - 2, m->py[i] - rr - 2, 2 * rr + 4, 2 * rr + 4);
        }
    draw_clip_off(f->d);
}

static int64_t map_data_ms(panel *p, scene_frame *f)
{
    return ((map_priv *)p->priv)->province ? f->m->province_rx_ms : f->m->city_rx_ms;
}

static bool map_animating(panel *p, scene_frame *f)
{
    (void)f;
    return ((map_priv *)p->priv)->npulse > 0;
}

const panel_ops panel_map_ops = {
    .type = "map",
    .default_title = "全市服务中心分布",
    .default_title_en = "Halls on the map",
    .create = map_create,
    .refresh_ms = 1000,
    .draw_static = map_static,
    .draw = map_draw,
    .draw_anim = map_anim,
    .destroy = map_destroy,
    .data_ms = map_data_ms,
    .animating = map_animating,
};
