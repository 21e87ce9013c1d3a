/* panel_kpi: the KPI strip -- one cell per city KPI (SPEC §5), a big number with its unit, the
 * Chinese label and a secondary line. Cells are kept off screen seams (layout_cells).
 *
 * Options: keys: [issued, waiting, avg_wait_s, over_sla_waiting, windows_open, finished,
 * good_rate, bad_reviews] (the default), also sl_60m, cameras, no_show, score, serving.
 * source: city (default) or province: the province-wide KPIs of the `province` topic (a
 * province hub, docs/cluster.md); its default keys leave out windows_open. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scene.h"

#define MAX_CELLS 12

enum kfmt { K_COUNT, K_WAIT, K_RATE, K_SCORE, K_CAMERAS };

typedef struct kdef {
    const char *key, *label, *label_en;
    int fmt;
} kdef;

static const kdef defs[] = {
    {"issued", "今日取号", "tickets today", K_COUNT},
    {"waiting", "当前等候", "waiting now", K_COUNT},
    {"avg_wait_s", "平均等候", "average wait", K_WAIT},
    {"over_sla_waiting", "超时等候", "over SLA", K_COUNT},
    {"windows_open", "开放窗口", "windows open", K_COUNT},
    {"finished", "今日办结", "served today", K_COUNT},
    {"good_rate", "好评率", "good reviews", K_RATE},
    {"bad_reviews", "今日差评", "bad reviews", K_COUNT},
    {"sl_60m", "服务水平", "service level", K_RATE},
    {"cameras", "摄像头在线", "cameras online", K_CAMERAS},
    {"no_show", "今日过号", "no-shows today", K_COUNT},
    {"score", "综合评分", "score", K_SCORE},
    {"serving", "正在办理", "being served", K_COUNT},
};

typedef struct kpi_priv {
    const kdef *cells[MAX_CELLS];
    int n;
    bool province; /* source: province */
} kpi_priv;

/* The KPI from the panel's source: the city's, or the province-wide one. */
static bool kv(const model *m, bool province, const char *key, double *out)
{
    return province ? model_province_kpi(m, -1, key, out) : model_kpi(m, -1, key, out);
}

static const kdef *find_def(const char *k)
{
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
        if (!strcmp(defs[i].key, k)) return &defs[i];
    return NULL;
}

static int kpi_create(panel *p, char *err, size_t errn)
{
    kpi_priv *k = calloc(1, sizeof *k);
    if (!k) return -1;
    p->priv = k;
    json_t *src = json_object_get(p->lp->opts, "source");
    if (src && !(json_is_string(src) && (!strcmp(json_string_value(src), "city") ||
                                         !strcmp(json_string_value(src), "province")))) {
        snprintf(err, errn, "source: must be city or province");
        return -1;
    }
    k->province = src && !strcmp(json_string_value(src), "province");
    json_t *keys = json_object_get(p->lp->opts, "keys");
    if (!keys) {
        for (int i = 0; i < 8; i++)
            if (!k->province || strcmp(defs[i].key, "windows_open")) k->cells[k->n++] = &defs[i];
        return 0;
    }
    if (!json_is_array(keys) || json_array_size(keys) == 0 || json_array_size(keys) > MAX_CELLS) {
        snprintf(err, errn, "keys: must be a list of 1 to %d KPI keys", MAX_CELLS);
        return -1;
    }
    size_t i;
    json_t *v;
    json_array_foreach(keys, i, v)
    {
        const kdef *d = json_is_string(v) ? find_def(json_string_value(v)) : NULL;
        if (!d) {
            snprintf(err, errn, "keys[%zu]: unknown KPI '%s'", i,
                     json_is_string(v) ? json_string_value(v) : "?");
            return -1;
        }
        k->cells[k->n++] = d;
    }
    return 0;
}

static void kpi_destroy(panel *p)
{
    free(p->priv);
}

/* value text, unit, colour and secondary line of one cell */
static void cell_text(const scene_frame *f, const kdef *d, model *m, bool prov, char *val,
                      size_t vn, const char **unit, uint32_t *color, char *sub, size_t sn)
{
    double v, a, b;
    *unit = "";
    *color = COL_NUM;
    sub[0] = 0;
    bool have = d->fmt == K_CAMERAS ? kv(m, prov, "cameras_online", &v) : kv(m, prov, d->key, &v);
    if (!have) {
        snprintf(val, vn, "—");
        *color = COL_TEXT_FAINT;
    } else if (d->fmt == K_COUNT) {
        fmt_count(v, val, vn);
    } else if (d->fmt == K_WAIT) {
        fmt_wait(v, val, vn, unit);
    } else if (d->fmt == K_RATE) {
        fmt_rate(v, val, vn);
        *unit = "%";
    } else if (d->fmt == K_SCORE) {
        snprintf(val, vn, "%.1f", v);
        *unit = scene_tr(f, "分", " pts");
    } else {
        double tot = 0;
        kv(m, prov, "cameras_total", &tot);
        snprintf(val, vn, "%d/%d", (int)v, (int)tot);
    }
    char t[48];
    const char *u;
    if (!strcmp(d->key, "issued")) {
        if (kv(m, prov, "serving", &a))
            snprintf(sub, sn, scene_tr(f, "正在办理 %d", "%d being served"), (int)a);
    } else if (!strcmp(d->key, "waiting")) {
        if (kv(m, prov, "max_wait_live_s", &a)) {
            fmt_wait(a, t, sizeof t, &u);
            snprintf(sub, sn, scene_tr(f, "最长等候 %s%s", "longest %s%s"), t, u);
        } else if (have) {
            snprintf(sub, sn, "%s", scene_tr(f, "无人等候", "nobody waiting"));
        }
        if (kv(m, prov, "over_sla_waiting", &b) && b > 0) *color = COL_WARN;
    } else if (!strcmp(d->key, "avg_wait_s")) {
        if (kv(m, prov, "sl_60m", &a)) {
            fmt_rate(a, t, sizeof t);
            snprintf(sub, sn, scene_tr(f, "近1小时服务水平 %s%%", "service level %s%% (1 h)"), t);
        }
    } else if (!strcmp(d->key, "over_sla_waiting")) {
        if (have) *color = v > 0 ? COL_ALERT : COL_OK;
        snprintf(sub, sn, "%s", scene_tr(f, "超过业务时限", "past their SLA"));
    } else if (!strcmp(d->key, "windows_open")) {
        if (kv(m, prov, "windows_planned", &a) && kv(m, prov, "windows_paused", &b))
            snprintf(sub, sn, scene_tr(f, "计划 %d · 暂停 %d", "planned %d · paused %d"), (int)a,
                     (int)b);
        if (have && kv(m, prov, "windows_planned", &a) && v < 0.8 * a) *color = COL_WARN;
    } else if (!strcmp(d->key, "finished")) {
        if (kv(m, prov, "avg_service_s", &a)) {
            fmt_wait(a, t, sizeof t, &u);
            snprintf(sub, sn, scene_tr(f, "平均办理 %s%s", "service %s%s"), t, u);
        }
    } else if (!strcmp(d->key, "good_rate")) {
        if (kv(m, prov, "reviews", &a))
            snprintf(sub, sn, scene_tr(f, "今日评价 %d 条", "%d reviews today"), (int)a);
        if (have && v < 0.9) *color = COL_WARN;
    } else if (!strcmp(d->key, "bad_reviews")) {
        if (have) *color = v > 0 ? COL_ALERT : COL_OK;
        if (kv(m, prov, "bad_cases_open", &a) && kv(m, prov, "bad_cases_overdue", &b))
            snprintf(sub, sn, scene_tr(f, "待整改 %d · 超期 %d", "open cases %d · overdue %d"),
                     (int)a, (int)b);
    } else if (!strcmp(d->key, "sl_60m")) {
        snprintf(sub, sn, "%s", scene_tr(f, "近1小时按时叫号", "called within SLA, 1 h"));
        if (have && v < 0.8) *color = COL_WARN;
    } else if (!strcmp(d->key, "cameras")) {
        snprintf(sub, sn, "%s", scene_tr(f, "大厅监控", "hall cameras"));
    } else if (!strcmp(d->key, "no_show")) {
        if (kv(m, prov, "no_show_rate", &a)) {
            fmt_rate(a, t, sizeof t);
            snprintf(sub, sn, scene_tr(f, "过号率 %s%%", "no-show rate %s%%"), t);
        }
    }
}

/* Cell geometry: the number's size and top, the label's size and top. */
static void cell_geom(float h, float w, float s, float *ns, float *ny, float *ls, float *ly)
{
    *ns = roundf(fminf(h * 0.40f, w * 0.28f));
    *ny = roundf(h * 0.07f);
    *ls = roundf(fminf(h * 0.15f, 18 * s));
    *ly = *ny + *ns + roundf(h * 0.04f);
}

static void kpi_static(panel *p, scene_frame *f)
{
    kpi_priv *k = p->priv;
    draw_t *d = f->d;
    float s = f->s;
    float xs[2 * MAX_CELLS];
    layout_cells(p->l, 0, p->r.x, p->r.w, k->n, roundf(12 * s), xs);
    float y = p->r.y, h = p->r.h;
    for (int i = 0; i < k->n; i++) {
        float x = xs[2 * i], w = xs[2 * i + 1];
        draw_rect_vgrad(d, x, y, w, h, DRAW_RGBA(12, 40, 84, 240), DRAW_RGBA(7, 22, 50, 240));
        draw_frame(d, x, y, w, h, fmaxf(1, roundf(s)), COL_BORDER);
        draw_rect_hgrad(d, x, y, w / 2, fmaxf(2, roundf(2 * s)), draw_fade(COL_ACCENT, 0),
                        COL_ACCENT);
        draw_rect_hgrad(d, x + w / 2, y, w / 2, fmaxf(2, roundf(2 * s)), COL_ACCENT,
                        draw_fade(COL_ACCENT, 0));
        float ns, ny, ls, ly;
        cell_geom(h, w, s, &ns, &ny, &ls, &ly);
        text_draw(f->t, TEXT_REGULAR, ls, x + w / 2, y + ly, TEXT_CENTER, COL_TEXT,
                  scene_tr(f, k->cells[i]->label, k->cells[i]->label_en));
    }
}

static void kpi_draw(panel *p, scene_frame *f)
{
    kpi_priv *k = p->priv;
    draw_t *d = f->d;
    float s = f->s;
    float xs[2 * MAX_CELLS];
    float gap = roundf(12 * s);
    layout_cells(p->l, 0, p->r.x, p->r.w, k->n, gap, xs);
    float y = p->r.y, h = p->r.h;
    for (int i = 0; i < k->n; i++) {
        float x = xs[2 * i], w = xs[2 * i + 1];
        char val[48], sub[96];
        const char *unit;
        uint32_t col;
        cell_text(f, k->cells[i], f->m, k->province, val, sizeof val, &unit, &col, sub, sizeof sub);
        float cx = x + w / 2;
        float ns, ny0, ls, ly0;
        cell_geom(h, w, s, &ns, &ny0, &ls, &ly0);
        float us = roundf(ns * 0.42f);
        float vw = text_width(f->t, TEXT_BOLD, ns, TEXT_TNUM, val);
        float uw = unit[0] ? text_width(f->t, TEXT_REGULAR, us, 0, unit) + roundf(4 * s) : 0;
        if (vw + uw > w - 16 * s) {
            ns = roundf(ns * (w - 16 * s) / (vw + uw));
            us = roundf(ns * 0.42f);
            vw = text_width(f->t, TEXT_BOLD, ns, TEXT_TNUM, val);
            uw = unit[0] ? text_width(f->t, TEXT_REGULAR, us, 0, unit) + roundf(4 * s) : 0;
        }
        float nx = cx - (vw + uw) / 2, ny = y + ny0;
        draw_glow(d, cx, ny + ns * 0.55f, fminf(w * 0.4f, ns * 1.6f), draw_fade(col, 0.10f));
        text_draw(f->t, TEXT_BOLD, ns, nx, ny, TEXT_TNUM, col, val);
        if (unit[0])
            text_draw(f->t, TEXT_REGULAR, us, nx + vw + roundf(4 * s),
                      ny + roundf(TEXT_ASCENT * ns) - roundf(TEXT_ASCENT * us), 0,
                      draw_fade(col, 0.85f), unit);
        float ly = y + ly0;
        if (sub[0]) {
            float ss = roundf(fminf(h * 0.115f, 13 * s));
            text_draw_fit(f->t, TEXT_REGULAR, ss, cx, ly + ls + roundf(h * 0.04f), w - 12 * s,
                          TEXT_CENTER, COL_TEXT_FAINT, sub);
        }
    }
    /* the strip has no frame of its own: its data state sits in its top-right corner, in
     * the words of every panel's title bar (scene.h) */
    float rx = p->r.x + p->r.w - roundf(6 * s), ty = p->r.y + roundf(5 * s);
    char age[48], buf[96];
    if (f->stale) {
        float pw = scene_pill(f, rx, ty, roundf(16 * s), COL_STALE, DRAW_RGBA(255, 255, 255, 255),
                              scene_conn_badge(f), TEXT_RIGHT);
        scene_data_as_of(f, buf, sizeof buf);
        text_draw(f->t, TEXT_REGULAR, roundf(11 * s), rx - pw - roundf(4 * s), ty + roundf(8 * s),
                  TEXT_RIGHT | TEXT_MIDDLE, COL_STALE, buf);
    } else {
        int64_t at = k->province ? f->m->province_rx_ms : f->m->city_rx_ms;
        if (at) {
            scene_ago(f, f->real_ms - at, age, sizeof age);
            snprintf(buf, sizeof buf, scene_tr(f, "实时 · 变化于 %s", "live · changed %s"), age);
        } else {
            snprintf(buf, sizeof buf, "%s", scene_tr(f, "等待数据", "waiting for data"));
        }
        text_draw(f->t, TEXT_REGULAR, roundf(11 * s), rx, ty, TEXT_RIGHT, COL_TEXT_FAINT, buf);
    }
}

static int64_t kpi_data_ms(panel *p, scene_frame *f)
{
    return ((kpi_priv *)p->priv)->province ? f->m->province_rx_ms : f->m->city_rx_ms;
}

const panel_ops panel_kpi_ops = {
    .type = "kpi",
    .refresh_ms = 0,
    .create = kpi_create,
    .draw_static = kpi_static,
    .draw = kpi_draw,
    .destroy = kpi_destroy,
    .data_ms = kpi_data_ms,
};
