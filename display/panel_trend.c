/* panel_trend: the day's city trend per minute -- 当前等候 (waiting, left axis, cyan area) and
 * 今日取号 (issued, cumulative, right axis, amber line), from the model's series (backfilled
 * from /api/v1/history, then sampled live). The time axis covers the opening day (from_h to
 * to_h, widened to the data); both value axes have ordered "nice" ticks from 0.
 *
 * Options: from_h (default 8), to_h (default 18). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scene.h"

typedef struct trend_priv {
    int from_h, to_h;
} trend_priv;

static int trend_create(panel *p, char *err, size_t errn)
{
    trend_priv *t = calloc(1, sizeof *t);
    if (!t) return -1;
    p->priv = t;
    t->from_h = 8;
    t->to_h = 18;
    json_t *v;
    if ((v = json_object_get(p->lp->opts, "from_h"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 23) {
            snprintf(err, errn, "from_h: must be an hour from 0 to 23");
            return -1;
        }
        t->from_h = (int)json_integer_value(v);
    }
    if ((v = json_object_get(p->lp->opts, "to_h"))) {
        if (!json_is_integer(v) || json_integer_value(v) <= t->from_h ||
            json_integer_value(v) > 24) {
            snprintf(err, errn, "to_h: must be an hour after from_h, at most 24");
            return -1;
        }
        t->to_h = (int)json_integer_value(v);
    }
    return 0;
}

static void trend_destroy(panel *p)
{
    free(p->priv);
}

/* A "nice" axis maximum >= v and its step (1, 2, 5 x 10^k), for about `ticks` ticks. */
static double nice_axis(double v, int ticks, double *step)
{
    if (v < 1) v = 1;
    double raw = v / ticks, mag = pow(10, floor(log10(raw))), f = raw / mag;
    double st = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    *step = st * mag;
    if (*step < 1) *step = 1;
    return ceil(v / *step) * *step;
}

/* The chart's frame: the plot area, the minutes shown [from, to], the two axes' tops and steps
 * (waiting on the left, tickets on the right) sharing nt grid lines. */
typedef struct trend_geom {
    float gx, gy, gw, gh;
    int from, to;
    double axw, stw, axi, sti;
    int nt;
} trend_geom;

/* The frame for today's minutes first..last (-1: none yet) and their largest values. */
static trend_geom trend_frame(const panel *p, const trend_priv *tp, float s, int first, int last,
                              double maxw, double maxi)
{
    trend_geom g;
    g.from = tp->from_h * 60;
    g.to = tp->to_h * 60;
    if (first >= 0 && first < g.from) g.from = first / 60 * 60;
    if (last >= 0 && last >= g.to) g.to = (last / 60 + 1) * 60;
    float left = roundf(44 * s), right = roundf(52 * s), top = roundf(30 * s),
          bottom = roundf(24 * s);
    g.gx = p->c.x + left;
    g.gy = p->c.y + top;
    g.gw = p->c.w - left - right;
    g.gh = p->c.h - top - bottom;
    g.axw = nice_axis(maxw, 4, &g.stw);
    g.axi = nice_axis(maxi, 4, &g.sti);
    g.nt = (int)lround(g.axw / g.stw);
    double ticks_i = g.axi / g.sti;
    /* share the grid: the right axis gets as many steps as the left */
    if ((int)lround(ticks_i) != g.nt) {
        g.sti = ceil(g.axi / g.nt);
        double mag = pow(10, floor(log10(g.sti)));
        g.sti = ceil(g.sti / mag) * mag;
        g.axi = g.sti * g.nt;
    }
    return g;
}

/* The legend (top right) and the left axis' unit. */
static void trend_legend(const panel *p, scene_frame *f, float fs)
{
    draw_t *d = f->d;
    float s = f->s;
    float lx = p->c.x + p->c.w, ly = p->c.y + roundf(10 * s);
    lx -= text_draw(f->t, TEXT_REGULAR, fs, lx, ly, TEXT_RIGHT | TEXT_MIDDLE, COL_TEXT_DIM,
                    scene_tr(f, "今日取号", "tickets today"));
    draw_line(d, lx - 26 * s, ly, lx - 8 * s, ly, 2.5f * s, COL_ISSUED);
    lx -= roundf(40 * s);
    lx -= text_draw(f->t, TEXT_REGULAR, fs, lx, ly, TEXT_RIGHT | TEXT_MIDDLE, COL_TEXT_DIM,
                    scene_tr(f, "当前等候", "waiting"));
    draw_line(d, lx - 26 * s, ly, lx - 8 * s, ly, 2.5f * s, COL_ACCENT);
    text_draw(f->t, TEXT_REGULAR, fs, p->c.x, ly, TEXT_MIDDLE, COL_ACCENT,
              scene_tr(f, "人", "people"));
}

/* The grid, both axes' labels and the hours below. */
static void trend_axes(scene_frame *f, const trend_geom *g, float fs)
{
    draw_t *d = f->d;
    float s = f->s;
    char buf[64];
    for (int k = 0; k <= g->nt; k++) {
        float y = g->gy + g->gh - g->gh * (float)k / (float)g->nt;
        draw_line(d, g->gx, y, g->gx + g->gw, y, 1,
                  k == 0 ? DRAW_RGBA(90, 140, 200, 160) : COL_GRID);
        snprintf(buf, sizeof buf, "%.0f", g->stw * k);
        text_draw(f->t, TEXT_REGULAR, fs, g->gx - 6 * s, y, TEXT_RIGHT | TEXT_MIDDLE | TEXT_TNUM,
                  COL_TEXT_DIM, buf);
        fmt_count(g->sti * k, buf, sizeof buf);
        text_draw(f->t, TEXT_REGULAR, fs, g->gx + g->gw + 6 * s, y, TEXT_MIDDLE | TEXT_TNUM,
                  draw_mix(COL_ISSUED, COL_TEXT_DIM, 0.4f), buf);
    }
    int hours = (g->to - g->from) / 60;
    int hstep = g->gw / (float)hours < 44 * s ? 2 : 1;
    for (int h = g->from / 60; h <= g->to / 60; h += hstep) {
        float x = g->gx + g->gw * (float)(h * 60 - g->from) / (float)(g->to - g->from);
        draw_line(d, x, g->gy + g->gh, x, g->gy + g->gh + 4 * s, 1, DRAW_RGBA(90, 140, 200, 160));
        snprintf(buf, sizeof buf, "%02d:00", h % 24);
        text_draw(f->t, TEXT_REGULAR, fs, x, g->gy + g->gh + 7 * s, TEXT_CENTER | TEXT_TNUM,
                  COL_TEXT_DIM, buf);
    }
}

/* The two series over minutes first..last, carrying the last known value across minutes
 * without a sample: the waiting area and line, the tickets line, and the latest values. */
static void trend_series(scene_frame *f, const trend_geom *g, int first, int last)
{
    model *m = f->m;
    draw_t *d = f->d;
    float s = f->s;
    float gx = g->gx, gy = g->gy, gw = g->gw, gh = g->gh;
    float ptsw[2 * MODEL_MINUTES], ptsi[2 * MODEL_MINUTES];
    int n = 0;
    int32_t lw = 0, li = 0;
    for (int i = first; i <= last; i++) {
        if (i < g->from || i > g->to) continue;
        if (m->have[i]) {
            lw = m->waiting[i];
            li = m->issued[i];
        }
        float x = gx + gw * (float)(i - g->from) / (float)(g->to - g->from);
        ptsw[2 * n] = x;
        ptsw[2 * n + 1] = gy + gh - gh * (float)(lw / g->axw);
        ptsi[2 * n] = x;
        ptsi[2 * n + 1] = gy + gh - gh * (float)(li / g->axi);
        n++;
    }
    draw_clip(d, gx, gy - 4 * s, gw + 1, gh + 4 * s);
    for (int i = 0; i + 1 < n; i++) {
        const float q[8] = {ptsw[2 * i],     ptsw[2 * i + 1], ptsw[2 * i + 2], ptsw[2 * i + 3],
                            ptsw[2 * i + 2], gy + gh,         ptsw[2 * i],     gy + gh};
        float t0 = (gy + gh - ptsw[2 * i + 1]) / gh, t1 = (gy + gh - ptsw[2 * i + 3]) / gh;
        const uint32_t c[4] = {DRAW_RGBA(63, 208, 255, (int)(30 + 90 * t0)),
                               DRAW_RGBA(63, 208, 255, (int)(30 + 90 * t1)),
                               DRAW_RGBA(63, 208, 255, 12), DRAW_RGBA(63, 208, 255, 12)};
        draw_quad4(d, q, c);
    }
    draw_polyline(d, ptsw, n, fmaxf(1.5f, 2 * s), COL_ACCENT);
    draw_polyline(d, ptsi, n, fmaxf(1.5f, 2 * s), COL_ISSUED);
    draw_clip_off(d);
    if (n > 0) {
        char buf[64];
        float ex = ptsw[2 * (n - 1)];
        draw_disc(d, ex, ptsw[2 * n - 1], 4 * s, COL_ACCENT);
        draw_disc(d, ex, ptsi[2 * n - 1], 4 * s, COL_ISSUED);
        double cur = lw;
        snprintf(buf, sizeof buf, "%.0f", cur);
        float wy = ptsw[2 * n - 1], iy = ptsi[2 * n - 1];
        float oy = fabsf(wy - iy) < 16 * s ? (wy < iy ? -8 * s : 8 * s) : 0;
        text_draw(f->t, TEXT_BOLD, roundf(13 * s), ex + 7 * s, wy - 10 * s + oy,
                  TEXT_MIDDLE | TEXT_TNUM, COL_ACCENT, buf);
        fmt_count(li, buf, sizeof buf);
        text_draw(f->t, TEXT_BOLD, roundf(13 * s), ex + 7 * s, iy - 10 * s - oy,
                  TEXT_MIDDLE | TEXT_TNUM, COL_ISSUED, buf);
    }
}

static void trend_draw(panel *p, scene_frame *f)
{
    trend_priv *tp = p->priv;
    model *m = f->m;
    float s = f->s;
    int first = -1, last = -1;
    double maxw = 0, maxi = 0;
    for (int i = 0; i < MODEL_MINUTES; i++)
        if (m->have[i]) {
            if (first < 0) first = i;
            last = i;
            if (m->waiting[i] > maxw) maxw = m->waiting[i];
            if (m->issued[i] > maxi) maxi = m->issued[i];
        }
    float fs = roundf(12 * s);
    trend_geom g = trend_frame(p, tp, s, first, last, maxw, maxi);
    trend_legend(p, f, fs);
    trend_axes(f, &g, fs);
    if (first < 0) {
        text_draw(f->t, TEXT_REGULAR, roundf(15 * s), g.gx + g.gw / 2, g.gy + g.gh / 2,
                  TEXT_CENTER | TEXT_MIDDLE, COL_TEXT_FAINT,
                  scene_tr(f, "今日暂无数据", "no data today yet"));
        return;
    }
    trend_series(f, &g, first, last);
}

static int64_t trend_data_ms(panel *p, scene_frame *f)
{
    (void)p;
    return f->m->city_rx_ms;
}

const panel_ops panel_trend_ops = {
    .type = "trend",
    .refresh_ms = 2000,
    .default_title = "今日趋势",
    .default_title_en = "Today",
    .create = trend_create,
    .draw = trend_draw,
    .destroy = trend_destroy,
    .data_ms = trend_data_ms,
};
