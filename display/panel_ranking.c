/* panel_ranking: every hall ranked by one metric at a time -- 服务水平 (sl_60m, higher first),
 * 平均等候 (avg_wait_s, lower first), 好评率 (good_rate, higher first) -- switching every
 * rotate_s seconds. All three columns are shown; the ranked one is highlighted and drawn as a
 * bar. Halls without the metric (no calls or reviews yet) rank last with "—".
 *
 * Options: rotate_s: 5..300 (default 12); metrics: [sl_60m, avg_wait_s, good_rate] (order and
 * subset); source: city (default: the halls) or province (the cities of the `province` topic,
 * each with its KPIs over its halls and a dot in its people-waiting class, scene.h; 数据中断
 * instead of the figures of a city whose R16 fires). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scene.h"

typedef struct metric {
    const char *key, *label, *sort_label, *label_en, *sort_label_en;
    bool lower_better;
} metric;

static const metric metrics[] = {
    {"sl_60m", "服务水平", "按服务水平排序", "service level", "by service level", false},
    {"avg_wait_s", "平均等候", "按平均等候排序", "avg wait", "by average wait", true},
    {"good_rate", "好评率", "按好评率排序", "good rate", "by good rate", false},
};

typedef struct rank_priv {
    int order[3], n;
    int rotate_s;
    bool province; /* source: province -- rows are the province's cities */
} rank_priv;

/* The KPI of row i: hall i, or the province's city i. */
static bool rank_kpi(const rank_priv *r, const model *m, int i, const char *key, double *out)
{
    return r->province ? model_province_kpi(m, i, key, out) : model_kpi(m, i, key, out);
}

static int rank_create(panel *p, char *err, size_t errn)
{
    rank_priv *r = calloc(1, sizeof *r);
    if (!r) return -1;
    p->priv = r;
    r->rotate_s = 12;
    json_t *o = p->lp->opts, *v;
    if ((v = json_object_get(o, "source"))) {
        if (!json_is_string(v) ||
            (strcmp(json_string_value(v), "city") && strcmp(json_string_value(v), "province"))) {
            snprintf(err, errn, "source: must be city or province");
            return -1;
        }
        r->province = !strcmp(json_string_value(v), "province");
    }
    if ((v = json_object_get(o, "rotate_s"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 5 || json_integer_value(v) > 300) {
            snprintf(err, errn, "rotate_s: must be an integer from 5 to 300");
            return -1;
        }
        r->rotate_s = (int)json_integer_value(v);
    }
    json_t *ms = json_object_get(o, "metrics");
    if (!ms) {
        r->n = 3;
        for (int i = 0; i < 3; i++)
            r->order[i] = i;
        return 0;
    }
    size_t i;
    json_array_foreach(ms, i, v)
    {
        int k = -1;
        for (int q = 0; q < 3; q++)
            if (json_is_string(v) && !strcmp(json_string_value(v), metrics[q].key)) k = q;
        if (k < 0 || r->n >= 3) {
            snprintf(err, errn, "metrics[%zu]: one of sl_60m, avg_wait_s, good_rate", i);
            return -1;
        }
        r->order[r->n++] = k;
    }
    if (r->n == 0) {
        snprintf(err, errn, "metrics: at least one of sl_60m, avg_wait_s, good_rate");
        return -1;
    }
    return 0;
}

static void rank_destroy(panel *p)
{
    free(p->priv);
}

typedef struct row {
    int hall;
    bool have;
    double v;
} row;

static const metric *sort_metric;

static int cmp_row(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->have != y->have) return x->have ? -1 : 1;
    if (x->have && x->v != y->v) {
        bool less = x->v < y->v;
        return (less == sort_metric->lower_better) ? -1 : 1;
    }
    return x->hall - y->hall;
}

static void value_text(const rank_priv *r, int mi, model *m, int hall, char *out, size_t n,
                       double *v, bool *have)
{
    *have = rank_kpi(r, m, hall, metrics[mi].key, v);
    if (!*have) {
        snprintf(out, n, "—");
        return;
    }
    if (metrics[mi].lower_better) {
        const char *u;
        char t[32];
        fmt_wait(*v, t, sizeof t, &u);
        snprintf(out, n, "%.20s%s", t, u);
    } else {
        char t[32];
        fmt_rate(*v, t, sizeof t);
        snprintf(out, n, "%.20s%%", t);
    }
}

/* The rows of the ranking, sorted by the active metric (halls, or a province's cities); n.
 * *maxv: the largest value, for the bars. */
static int rank_rows(const rank_priv *r, model *m, int active, row *rows, double *maxv)
{
    sort_metric = &metrics[active];
    int n = 0, total = r->province ? model_province_ncities(m) : m->nhalls;
    for (int i = 0; i < total && n < MODEL_MAX_HALLS; i++) {
        rows[n].hall = i;
        rows[n].have = rank_kpi(r, m, i, metrics[active].key, &rows[n].v);
        n++;
    }
    qsort(rows, (size_t)n, sizeof rows[0], cmp_row);
    *maxv = 0;
    for (int i = 0; i < n; i++)
        if (rows[i].have && rows[i].v > *maxv) *maxv = rows[i].v;
    return n;
}

/* The table's columns and rows in canvas pixels. */
typedef struct rank_geom {
    float x, w, rank_w, col_w, name_w;
    float rh, fs; /* a row's height and font size */
} rank_geom;

/* The header row: the sort order caption and the three columns, the active one framed. */
static void draw_header(scene_frame *f, const rank_geom *g, float y, float hh, int active)
{
    float s = f->s;
    const char *cap = scene_tr(f, metrics[active].sort_label, metrics[active].sort_label_en);
    text_draw(f->t, TEXT_REGULAR, roundf(13 * s), g->x + 2 * s, y + hh / 2, TEXT_MIDDLE, COL_ACCENT,
              cap);
    for (int q = 0; q < 3; q++) {
        float cx = g->x + g->rank_w + g->name_w + g->col_w * (float)q + g->col_w / 2;
        bool on = q == active;
        if (on)
            draw_rrect(f->d, cx - g->col_w / 2 + 2 * s, y + 2 * s, g->col_w - 4 * s, hh - 4 * s,
                       3 * s, DRAW_RGBA(63, 208, 255, 50), draw_fade(COL_ACCENT, 0.8f),
                       fmaxf(1, s));
        text_draw(f->t, on ? TEXT_BOLD : TEXT_REGULAR, roundf(13 * s), cx, y + hh / 2,
                  TEXT_CENTER | TEXT_MIDDLE, on ? COL_TEXT : COL_TEXT_DIM,
                  scene_tr(f, metrics[q].label, metrics[q].label_en));
    }
}

/* Row i (rank i + 1) at ry, ry_h high: the badge, the name with its status dot, and the three
 * values (the active one with its bar), or 数据中断 for a hall or city whose data stopped. */
static void draw_row(rank_priv *r, scene_frame *f, const rank_geom *g, int i, const row *rw,
                     float ry, float ry_h, int active, double maxv)
{
    model *m = f->m;
    draw_t *d = f->d;
    float s = f->s, x = g->x, w = g->w, rank_w = g->rank_w, col_w = g->col_w, name_w = g->name_w,
          rh = g->rh, fs = g->fs;
    float cy = ry + ry_h / 2;
    if (i % 2 == 0) draw_rect(d, x, ry, w, ry_h, DRAW_RGBA(20, 60, 110, 46));
    uint32_t badge = i == 0   ? DRAW_RGBA(255, 196, 64, 255)
                     : i == 1 ? DRAW_RGBA(200, 214, 232, 255)
                     : i == 2 ? DRAW_RGBA(222, 140, 80, 255)
                              : DRAW_RGBA(40, 82, 140, 255);
    float bs = roundf(fminf(rh - 6 * s, 22 * s));
    draw_rrect(d, x + 6 * s, cy - bs / 2, bs + 6 * s, bs, 3 * s, badge, 0, 0);
    char num[16];
    snprintf(num, sizeof num, "%d", i + 1);
    text_draw(f->t, TEXT_BOLD, roundf(bs * 0.68f), x + 9 * s + bs / 2, cy,
              TEXT_CENTER | TEXT_MIDDLE | TEXT_TNUM, i < 3 ? DRAW_RGBA(10, 20, 40, 255) : COL_TEXT,
              num);
    float nx = x + rank_w + 4 * s;
    const char *name = NULL;
    double waiting = 0;
    uint32_t dot;
    if (r->province) {
        model_province_city(m, rw->hall, &name);
        model_province_kpi(m, rw->hall, "waiting", &waiting);
        dot = model_city_silent(m, model_province_city(m, rw->hall, NULL))
                  ? COL_OFFLINE
                  : scene_waiting_color(scene_waiting_class(waiting, NULL));
    } else {
        name = m->halls[rw->hall].short_name;
        dot = scene_status_color(m->halls[rw->hall].status);
    }
    draw_disc(d, nx + 4 * s, cy, 3.5f * s, dot);
    text_draw_fit(f->t, TEXT_REGULAR, fs, nx + 13 * s, cy, name_w - 16 * s, TEXT_MIDDLE, COL_TEXT,
                  name ? name : "?");
    if (r->province)
        text_dump_add(f->t,
                      json_pack("{s:s,s:s,s:i,s:s,s:f}", "panel", "ranking", "city",
                                model_province_city(m, rw->hall, NULL), "rank", i + 1, "metric",
                                metrics[active].key, "value", rw->have ? rw->v : -1.0));
    char silent[48] = "";
    bool quiet;
    if (r->province) {
        quiet = model_city_silent(m, model_province_city(m, rw->hall, NULL));
        if (quiet) snprintf(silent, sizeof silent, "%s", scene_tr(f, "数据中断", "no data"));
    } else {
        quiet = model_silent_label(m, rw->hall, f->now_ms, f->l->lang == LAYOUT_LANG_EN, silent,
                                   sizeof silent);
    }
    if (quiet) {
        /* its numbers are as old as its data: say so instead (数据中断 12分钟; a city: R16) */
        float cx = x + rank_w + name_w;
        text_draw_fit(f->t, TEXT_BOLD, fs, cx + 3 * col_w - 8 * s, cy, 3 * col_w - 10 * s,
                      TEXT_RIGHT | TEXT_MIDDLE, COL_ALERT, silent);
        return;
    }
    for (int q = 0; q < 3; q++) {
        char vt[32];
        double v;
        bool have;
        value_text(r, q, m, rw->hall, vt, sizeof vt, &v, &have);
        float cx = x + rank_w + name_w + col_w * (float)q;
        bool on = q == active;
        if (on && have && maxv > 0) {
            float frac = (float)(v / maxv);
            if (frac > 1) frac = 1;
            float bw = (col_w - 8 * s) * frac;
            uint32_t bc = metrics[q].lower_better ? DRAW_RGBA(255, 184, 0, 150)
                                                  : DRAW_RGBA(63, 208, 255, 130);
            draw_rect_hgrad(d, cx + 4 * s, cy - rh * 0.32f, bw, rh * 0.64f, draw_fade(bc, 0.25f),
                            bc);
        }
        text_draw_fit(f->t, on ? TEXT_BOLD : TEXT_REGULAR, fs, cx + col_w - 8 * s, cy,
                      col_w - 10 * s, TEXT_RIGHT | TEXT_MIDDLE | TEXT_TNUM,
                      have ? (on ? COL_TEXT : COL_TEXT_DIM) : COL_TEXT_FAINT, vt);
    }
}

static void rank_draw(panel *p, scene_frame *f)
{
    rank_priv *r = p->priv;
    float s = f->s;
    int active = r->order[(int)(f->real_ms / 1000 / r->rotate_s) % r->n];
    row rows[MODEL_MAX_HALLS];
    double maxv;
    int n = rank_rows(r, f->m, active, rows, &maxv);

    rank_geom g = {.x = p->c.x, .w = p->c.w};
    float y = p->c.y;
    float hh = roundf(26 * s);
    /* English durations ("3 min 52 s") need wider value columns than Chinese ones (3分52秒) */
    bool en = f->l && f->l->lang == LAYOUT_LANG_EN;
    g.rank_w = roundf(38 * s);
    g.col_w = roundf(en ? fmaxf(84 * s, g.w * 0.21f) : fmaxf(68 * s, g.w * 0.16f));
    g.name_w = g.w - g.rank_w - 3 * g.col_w;
    draw_header(f, &g, y, hh, active);
    y += hh + roundf(4 * s);
    float avail = p->c.y + p->c.h - y;
    int shown = n;
    g.rh = n ? avail / (float)n : 0;
    float minh = roundf(20 * s);
    if (g.rh < minh) {
        shown = (int)(avail / minh);
        if (shown > n) shown = n;
        g.rh = minh;
    }
    if (g.rh > 64 * s) g.rh = roundf(64 * s);
    g.fs = roundf(fminf(g.rh * 0.52f, 16 * s + (g.rh - 40 * s) * 0.25f));
    /* rows stay off screen seams (a wall of several screens) */
    float ys[2 * MODEL_MAX_HALLS];
    layout_cells(p->l, 1, y, g.rh * (float)shown, shown, 0, ys);
    for (int i = 0; i < shown; i++)
        draw_row(r, f, &g, i, &rows[i], ys[2 * i], ys[2 * i + 1], active, maxv);
    if (shown < n) {
        char more[48];
        snprintf(more, sizeof more, scene_tr(f, "另有 %d 个未显示", "%d more not shown"),
                 n - shown);
        text_draw(f->t, TEXT_REGULAR, roundf(12 * s), g.x + g.w, p->c.y + p->c.h,
                  TEXT_RIGHT | TEXT_MIDDLE, COL_TEXT_FAINT, more);
    }
}

static int64_t rank_data_ms(panel *p, scene_frame *f)
{
    return ((rank_priv *)p->priv)->province ? f->m->province_rx_ms : f->m->city_rx_ms;
}

const panel_ops panel_ranking_ops = {
    .type = "ranking",
    .refresh_ms = 1000,
    .default_title = "服务中心排行",
    .default_title_en = "Hall ranking",
    .create = rank_create,
    .draw = rank_draw,
    .destroy = rank_destroy,
    .data_ms = rank_data_ms,
};
