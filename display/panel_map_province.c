/* panel_map_province: the map panel's province mode (source: province) -- the province's
 * counties from the GeoJSON (taizhou.geojson by default), each city of the `province` topic
 * filled in the colour of its people-waiting class (scene_waiting_class) with its name and
 * figure on it, or grey with 数据中断 while the hub's R16 fires for it (its data stopped
 * reaching the province, so its figure is stale); the other counties stay in the map's blue
 * with their names dimmed; a legend of the classes.
 *
 * A city is drawn on the feature whose properties.name is the layout's `match` entry for its
 * id, else its own name (临海市), else a feature name that starts with its name or that its
 * name starts with (临海 / 临海市). A city with no feature is listed in the legend's right-hand
 * note as not on the map. Each city's county is written to the text dump as
 * {"panel":"map","city":ID,"name":..,"feature":..,"waiting":N,"class":"low","silent":false,
 * "x":..,"y":..,"box":[x0,y0,x1,y1]} (the label point and the county's bounding box, canvas
 * pixels; feature null when none matched).
 *
 * Options (besides the map's): match: {city id: feature name}; classes: [low, some, many]
 * people waiting at which the classes start (default [1, 20, 50]). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "panel_map.h"

static int parse_classes(map_priv *m, json_t *v, char *err, size_t errn)
{
    if (!json_is_array(v) || json_array_size(v) != 3) goto bad;
    for (int i = 0; i < 3; i++) {
        json_t *x = json_array_get(v, (size_t)i);
        if (!json_is_number(x) || json_number_value(x) < 0 ||
            (i && json_number_value(x) <= m->th[i - 1]))
            goto bad;
        m->th[i] = json_number_value(x);
    }
    return 0;
bad:
    snprintf(err, errn,
             "classes: must be 3 increasing numbers of people waiting, e.g. [1, 20, 50]");
    return -1;
}

int map_province_create(panel *p, map_priv *m, char *err, size_t errn)
{
    json_t *o = p->lp->opts, *v;
    m->th[0] = 1;
    m->th[1] = 20;
    m->th[2] = 50;
    if ((v = json_object_get(o, "source"))) {
        if (!json_is_string(v) ||
            (strcmp(json_string_value(v), "city") && strcmp(json_string_value(v), "province"))) {
            snprintf(err, errn, "source: must be city or province");
            return -1;
        }
        m->province = !strcmp(json_string_value(v), "province");
    }
    if ((v = json_object_get(o, "match"))) {
        const char *k;
        json_t *x;
        if (!json_is_object(v)) {
            snprintf(err, errn, "match: must map city ids to county names, e.g. {c1: 临海市}");
            return -1;
        }
        json_object_foreach(v, k, x) if (!json_is_string(x))
        {
            snprintf(err, errn, "match.%s: must be a county name", k);
            return -1;
        }
        m->match = json_incref(v);
    }
    if ((v = json_object_get(o, "classes")) && parse_classes(m, v, err, errn) < 0) return -1;
    return 0;
}

void map_province_build(map_priv *m, scene_frame *f)
{
    for (int i = 0; i < m->nfeatures; i++) {
        map_feature *ft = &m->features[i];
        int r1 = ft->first + ft->nrings;
        ft->fill = map_fan_mesh(m, ft->first, r1);
        ft->border =
            map_line_mesh(m, ft->first, r1, fmaxf(2, 2.2f * f->s), DRAW_RGBA(220, 240, 255, 240));
        ft->bx0 = ft->by0 = 1e9f;
        ft->bx1 = ft->by1 = -1e9f;
        for (int r = ft->first; r < r1; r++)
            for (int j = 0; j < m->rings[r].n; j++) {
                float x, y;
                map_project(m, m->rings[r].ll[2 * j], m->rings[r].ll[2 * j + 1], &x, &y);
                ft->bx0 = fminf(ft->bx0, x);
                ft->by0 = fminf(ft->by0, y);
                ft->bx1 = fmaxf(ft->bx1, x);
                ft->by1 = fmaxf(ft->by1, y);
            }
    }
}

void map_province_destroy(map_priv *m)
{
    for (int i = 0; i < m->nfeatures; i++) {
        draw_mesh_destroy(m->features[i].fill);
        draw_mesh_destroy(m->features[i].border);
    }
    json_decref(m->match);
    m->match = NULL;
}

/* The feature city (id, name) is drawn on; -1 none. */
static int find_feature(const map_priv *m, const char *id, const char *name)
{
    const char *want = json_string_value(json_object_get(m->match, id));
    if (!want) want = name;
    if (!want || !*want) return -1;
    for (int i = 0; i < m->nfeatures; i++)
        if (!strcmp(m->features[i].name, want)) return i;
    if (json_object_get(m->match, id)) return -1; /* the operator named it: exactly that */
    size_t wl = strlen(want);
    for (int i = 0; i < m->nfeatures; i++) {
        size_t fl = strlen(m->features[i].name);
        if (fl &&
            (!strncmp(m->features[i].name, want, wl) || !strncmp(want, m->features[i].name, fl)))
            return i;
    }
    return -1;
}

/* The city's name and figure on its county, on a dark plate; a silent city (R16) says 数据中断
 * instead of a figure that is as old as its data. */
static void city_label(scene_frame *f, float x, float y, const char *name, double waiting,
                       uint32_t col, bool silent)
{
    float s = f->s, ns = roundf(16 * s), vs = roundf(22 * s);
    char val[64];
    if (silent)
        snprintf(val, sizeof val, "%s", scene_tr(f, "数据中断", "no data"));
    else
        snprintf(val, sizeof val, scene_tr(f, "%d 人等候", "%d waiting"), (int)waiting);
    float w = fmaxf(text_width(f->t, TEXT_BOLD, ns, 0, name),
                    text_width(f->t, TEXT_BOLD, vs, TEXT_TNUM, val)) +
              roundf(14 * s);
    float h = ns + vs + roundf(12 * s);
    draw_rrect(f->d, x - w / 2, y - h / 2, w, h, 4 * s, DRAW_RGBA(4, 16, 38, 200), col,
               fmaxf(1, s));
    text_draw(f->t, TEXT_BOLD, ns, x, y - h / 2 + roundf(4 * s) + ns / 2, TEXT_CENTER | TEXT_MIDDLE,
              COL_TEXT, name);
    text_draw(f->t, TEXT_BOLD, vs, x, y + h / 2 - roundf(4 * s) - vs / 2,
              TEXT_CENTER | TEXT_MIDDLE | TEXT_TNUM, col, val);
}

/* Legend: the classes' swatches; on the right the cities and halls (and any city not on the
 * map). */
static void legend(panel *p, scene_frame *f, int ncities, int nhalls, int unmatched)
{
    map_priv *m = p->priv;
    float s = f->s, x = p->c.x + roundf(6 * s);
    float ly = p->c.y + p->c.h - m->legend_h / 2;
    for (int c = 0; c < SCENE_WAITING_CLASSES; c++) {
        char buf[64];
        if (c == 0)
            snprintf(buf, sizeof buf, "%s", scene_tr(f, "无人等候", "nobody waiting"));
        else if (c < 3)
            snprintf(buf, sizeof buf, scene_tr(f, "%g–%g 人", "%g–%g"), m->th[c - 1], m->th[c] - 1);
        else
            snprintf(buf, sizeof buf, scene_tr(f, "≥%g 人", "≥%g"), m->th[2]);
        draw_rrect(f->d, x, ly - 6 * s, 14 * s, 12 * s, 2 * s, scene_waiting_color(c), 0, 0);
        x += 20 * s +
             text_draw(f->t, TEXT_REGULAR, roundf(13 * s), x + 19 * s, ly, TEXT_MIDDLE,
                       COL_TEXT_DIM, buf) +
             roundf(12 * s);
    }
    char tot[128];
    if (unmatched)
        snprintf(tot, sizeof tot, scene_tr(f, "%d 个城市不在地图上", "%d cities not on the map"),
                 unmatched);
    else
        snprintf(tot, sizeof tot, scene_tr(f, "%d 个城市 · %d 个服务中心", "%d cities · %d halls"),
                 ncities, nhalls);
    text_draw(f->t, TEXT_REGULAR, roundf(13 * s), p->c.x + p->c.w - 6 * s, ly,
              TEXT_RIGHT | TEXT_MIDDLE, unmatched ? COL_WARN : COL_TEXT_FAINT, tot);
}

void map_province_draw(panel *p, scene_frame *f)
{
    map_priv *m = p->priv;
    draw_t *d = f->d;
    model *md = f->m;
    m->npulse = 0;
    draw_clip(d, p->c.x, p->c.y, p->c.w, p->c.h);
    int n = model_province_ncities(md), unmatched = 0, nhalls = 0;
    bool *taken = calloc(m->nfeatures ? (size_t)m->nfeatures : 1, sizeof *taken);
    for (int i = 0; i < n && taken; i++) {
        const char *name = NULL, *id = model_province_city(md, i, &name);
        double waiting = 0, halls = 0;
        bool have = model_province_kpi(md, i, "waiting", &waiting);
        json_t *c = json_object_get(json_object_get(md->province, "cities"), id);
        halls = json_number_value(json_object_get(c, "halls"));
        nhalls += (int)halls;
        int cls = scene_waiting_class(waiting, m->th);
        int fi = find_feature(m, id, name);
        if (fi < 0) {
            unmatched++;
            text_dump_add(f->t, json_pack("{s:s,s:s,s:s?,s:n}", "panel", "map", "city", id, "name",
                                          name, "feature"));
            continue;
        }
        map_feature *ft = &m->features[fi];
        taken[fi] = true;
        bool silent = model_city_silent(md, id);
        uint32_t col = silent ? COL_OFFLINE : scene_waiting_color(cls);
        if (ft->fill) {
            draw_stencil_begin(d);
            draw_mesh_draw(d, ft->fill);
            draw_stencil_cover(d);
            draw_rect(d, ft->bx0 - 2, ft->by0 - 2, ft->bx1 - ft->bx0 + 4, ft->by1 - ft->by0 + 4,
                      draw_fade(col, 0.78f));
            draw_stencil_end(d);
        }
        if (ft->border) draw_mesh_draw(d, ft->border);
        float x, y;
        map_project(m, ft->lab_lng, ft->lab_lat, &x, &y);
        city_label(f, x, y, name ? name : id, have ? waiting : 0,
                   silent ? COL_ALERT
                   : have ? col
                          : COL_TEXT_FAINT,
                   silent);
        text_dump_add(f->t,
                      json_pack("{s:s,s:s,s:s?,s:s,s:i,s:s,s:b,s:f,s:f,s:[f,f,f,f]}", "panel",
                                "map", "city", id, "name", name, "feature", ft->name, "waiting",
                                (int)waiting, "class", scene_waiting_name(cls), "silent", silent,
                                "x", (double)x, "y", (double)y, "box", (double)ft->bx0,
                                (double)ft->by0, (double)ft->bx1, (double)ft->by1));
    }
    for (int i = 0; i < m->nfeatures && taken; i++) { /* the province's other counties */
        if (taken[i] || !m->features[i].name[0]) continue;
        float x, y;
        map_project(m, m->features[i].lab_lng, m->features[i].lab_lat, &x, &y);
        text_draw(f->t, TEXT_REGULAR, roundf(13 * f->s), x, y, TEXT_CENTER | TEXT_MIDDLE,
                  COL_TEXT_FAINT, m->features[i].name);
    }
    free(taken);
    draw_clip_off(d);
    legend(p, f, n, nhalls, unmatched);
}
