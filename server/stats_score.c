/* stats_score: scorecards, rankings and the 约谈 list (see stats_score.h). */
#include "stats_score.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_query.h"
#include "xalloc.h"

const char *stats_rank_by_name(int rank_by)
{
    static const char *const names[] = {"score", "good_rate", "bad_reviews", "served"};
    return rank_by >= 0 && rank_by < 4 ? names[rank_by] : "score";
}

/* One ranked entity of a month. */
typedef struct ranked {
    const stats_row *row;
    double metric; /* higher is better */
    bool rankable;
    int rank_hall, rank_city, n_hall, n_city;
    bool bottom;
} ranked;

static bool metric_of(const cfg_t *cfg, const stats_acc *a, double *m)
{
    const int64_t *c = a->c;
    int minr = cfg->stats.min_reviews > 0 ? cfg->stats.min_reviews : 1;
    switch (cfg->stats.rank_by) {
    case CFG_RANK_GOOD_RATE:
        *m = c[SC_REVIEWS] >= minr ? (double)c[SC_GOOD] / (double)c[SC_REVIEWS] : 0;
        return c[SC_REVIEWS] >= minr;
    case CFG_RANK_BAD_REVIEWS:
        *m = -(double)c[SC_BAD];
        return true;
    case CFG_RANK_SERVED:
        *m = (double)c[SC_FINISHED];
        return true;
    default:
        *m = c[SC_REVIEWS] >= minr ? (double)c[SC_LEVEL_SUM] / (double)c[SC_REVIEWS] * 20 : 0;
        return c[SC_REVIEWS] >= minr;
    }
}

/* Better first: metric, then more served, then hall and id (a total, stable order). */
static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked *a = *(ranked *const *)pa, *b = *(ranked *const *)pb;
    if (a->metric != b->metric) return a->metric > b->metric ? -1 : 1;
    int64_t fa = a->row->acc.c[SC_FINISHED], fb = b->row->acc.c[SC_FINISHED];
    if (fa != fb) return fa > fb ? -1 : 1;
    if (a->row->hall != b->row->hall) return a->row->hall < b->row->hall ? -1 : 1;
    return strcmp(a->row->key, b->row->key);
}

/* Ranks r[0..n) in place: city-wide and within each hall; marks the bottom ones. */
static int rank_all(const cfg_t *cfg, int level, ranked *r, int n)
{
    ranked **order = cw_xcalloc(n ? (size_t)n : 1, sizeof *order);
    int *seen = cw_xcalloc(cfg->nhalls ? (size_t)cfg->nhalls : 1, sizeof *seen), m = 0;
    if (!order || !seen) {
        free(order);
        free(seen);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        r[i].rankable = metric_of(cfg, &r[i].row->acc, &r[i].metric);
        if (r[i].rankable) order[m++] = &r[i];
    }
    qsort(order, (size_t)m, sizeof *order, cmp_ranked);
    for (int i = 0; i < m; i++) {
        order[i]->rank_city = i + 1;
        int h = order[i]->row->hall;
        if (h >= 0) order[i]->rank_hall = ++seen[h];
    }
    int bn = cfg->stats.bottom_n;
    for (int i = 0; i < m; i++) {
        ranked *x = order[i];
        x->n_city = m;
        x->n_hall = x->row->hall >= 0 ? seen[x->row->hall] : m;
        x->bottom = level == SL_HALL ? x->rank_city > m - bn : x->rank_hall > x->n_hall - bn;
    }
    free(order);
    free(seen);
    return 0;
}

typedef struct month_rank {
    stats_period p;
    stats_result res;
    ranked *r;
} month_rank;

/* Every hall's rows of the month, ranked (rankings count every hall whoever asks). */
static int month_load(sqlite3 *db, const cfg_t *cfg, int level, month_rank *m, char *err, size_t n)
{
    stats_filter f = {.level = level, .hall = -1};
    if (stats_query(db, cfg, &m->p, &f, &m->res, err, n) < 0) return -1;
    m->r = cw_xcalloc(m->res.nrows ? (size_t)m->res.nrows : 1, sizeof *m->r);
    if (!m->r) return snprintf(err, n, "out of memory"), -1;
    for (int i = 0; i < m->res.nrows; i++)
        m->r[i].row = &m->res.rows[i];
    return rank_all(cfg, level, m->r, m->res.nrows);
}

static bool bottom_in(const month_rank *m, const stats_row *row)
{
    for (int i = 0; i < m->res.nrows; i++)
        if (m->r[i].row->hall == row->hall && !strcmp(m->r[i].row->key, row->key))
            return m->r[i].bottom;
    return false;
}

static void set_rate(json_t *o, const char *k, int64_t num, int64_t den)
{
    if (den > 0) json_object_set_new(o, k, json_real((double)num / (double)den));
}

static json_t *card_json(const cfg_t *cfg, int level, const ranked *x, bool names)
{
    const stats_acc *a = &x->row->acc;
    const int64_t *c = a->c;
    json_t *o = json_object();
    static const char *const keyname[SL__COUNT] = {NULL, NULL, "biz", "window", "staff", "item"};
    json_object_set_new(o, "hall", json_string(cfg->halls[x->row->hall].id));
    if (keyname[level]) json_object_set_new(o, keyname[level], json_string(x->row->key));
    const char *name = stats_row_name(cfg, level, x->row, names);
    if (name) json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "served", json_integer(c[SC_FINISHED]));
    if (c[SC_SVC_N] > 0)
        json_object_set_new(o, "avg_service_s",
                            json_real((double)c[SC_SVC_MS] / (double)c[SC_SVC_N] / 1000.0));
    set_rate(o, "no_show_share", c[SC_NO_SHOW], level == SL_HALL ? c[SC_ISSUED] : c[SC_CALLS]);
    json_object_set_new(o, "reviews", json_integer(c[SC_REVIEWS]));
    set_rate(o, "good_rate", c[SC_GOOD], c[SC_REVIEWS]);
    if (c[SC_REVIEWS] > 0)
        json_object_set_new(o, "score",
                            json_real((double)c[SC_LEVEL_SUM] / (double)c[SC_REVIEWS] * 20.0));
    json_object_set_new(o, "bad_reviews", json_integer(c[SC_BAD]));
    json_object_set_new(o, "rectify_due", json_integer(c[SC_BAD_DUE]));
    json_object_set_new(o, "rectify_on_time", json_integer(c[SC_RECT_ON_TIME]));
    json_object_set_new(o, "signed_min", json_real((double)c[SC_SIGNED_MS] / 60000.0));
    if (a->planned_min > 0)
        json_object_set_new(o, "attendance_rate",
                            json_real((double)c[SC_SIGNED_MS] / 60000.0 / (double)a->planned_min));
    if (x->rankable) {
        if (level != SL_HALL) json_object_set_new(o, "rank_hall", json_integer(x->rank_hall));
        json_object_set_new(o, "rank_city", json_integer(x->rank_city));
        if (level != SL_HALL) json_object_set_new(o, "ranked_in_hall", json_integer(x->n_hall));
        json_object_set_new(o, "ranked_in_city", json_integer(x->n_city));
    }
    json_object_set_new(o, "bottom", json_boolean(x->bottom));
    return o;
}

static json_t *build(const cfg_t *cfg, int level, int hall, const bool *mask, bool names,
                     month_rank *ms, int nm)
{
    json_t *rows = json_array(), *interview = json_array();
    month_rank *cur = &ms[nm - 1];
    for (int i = 0; i < cur->res.nrows; i++) {
        const ranked *x = &cur->r[i];
        int h = x->row->hall;
        if (h < 0 || (mask && !mask[h]) || (hall >= 0 && h != hall)) continue;
        json_t *card = card_json(cfg, level, x, names);
        bool flagged = x->bottom;
        for (int k = 0; flagged && k < nm - 1; k++)
            flagged = bottom_in(&ms[k], x->row);
        json_object_set_new(card, "interview", json_boolean(flagged));
        if (flagged) {
            json_t *months = json_array();
            for (int k = 0; k < nm; k++)
                json_array_append_new(months, json_string(ms[k].p.label));
            json_t *e = json_deep_copy(card);
            json_object_set_new(e, "months", months);
            json_array_append_new(interview, e);
        }
        json_array_append_new(rows, card);
    }
    return json_pack("{s:o,s:o}", "rows", rows, "interview", interview);
}

json_t *stats_scorecards(sqlite3 *db, const cfg_t *cfg, const stats_period *month, int level,
                         int hall, const bool *mask, bool names, char *err, size_t n)
{
    int nm = cfg->stats.bottom_months;
    month_rank *ms = cw_xcalloc((size_t)nm, sizeof *ms);
    if (!ms) return snprintf(err, n, "out of memory"), NULL;
    json_t *doc = NULL;
    ms[nm - 1].p = *month;
    for (int k = nm - 2; k >= 0; k--)
        ms[k].p = stats_period_previous(&ms[k + 1].p);
    int k = 0;
    while (k < nm && month_load(db, cfg, level, &ms[k], err, n) == 0)
        k++;
    if (k == nm) {
        doc = build(cfg, level, hall, mask, names, ms, nm);
        json_object_set_new(doc, "month", json_string(month->label));
        json_object_set_new(doc, "level", json_string(stats_level_names[level]));
        json_object_set_new(doc, "rank_by", json_string(stats_rank_by_name(cfg->stats.rank_by)));
        json_object_set_new(doc, "bottom_n", json_integer(cfg->stats.bottom_n));
        json_object_set_new(doc, "bottom_months", json_integer(nm));
    }
    for (int i = 0; i < nm; i++) {
        stats_result_free(&ms[i].res);
        free(ms[i].r);
    }
    free(ms);
    return doc;
}
