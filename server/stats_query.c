/* stats_query: the period's counters summed per row (see stats_query.h). KPIs from them are
 * in stats_kpi.c. */
#include "stats_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "event.h"
#include "xalloc.h"

const char *const stats_level_names[SL__COUNT] = {"city", "hall", "biz", "window", "staff", "item"};

int stats_level_from_name(const char *s)
{
    for (int i = 0; s && i < SL__COUNT; i++)
        if (!strcmp(s, stats_level_names[i])) return i;
    return -1;
}

/* The column that keys a row of each level ('' : none). */
static const char *const KEYCOL[SL__COUNT] = {"''", "''", "biz", "win", "staff", "item"};

static char *select_sql(int level)
{
    size_t cap = 4096, n = 0;
    char *s = cw_xmalloc(cap);
    if (!s) return NULL;
    n += (size_t)snprintf(s + n, cap - n, "SELECT hall, %s AS k, channel", KEYCOL[level]);
    for (int c = 0; c < SC__COUNT; c++)
        n += (size_t)snprintf(s + n, cap - n, ", SUM(%s)", stats_col_names[c]);
    n += (size_t)snprintf(
        s + n, cap - n,
        " FROM stats_day WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR hall = ?3)"
        " AND (?4 IS NULL OR biz = ?4) AND (?5 IS NULL OR win = ?5)"
        " AND (?6 IS NULL OR staff = ?6) AND (?7 IS NULL OR item = ?7) GROUP BY %s",
        level == SL_CITY || level == SL_ITEM ? "k, hall, channel" : "hall, k, channel");
    return s;
}

static int channel_index(const char *ch)
{
    for (int i = 0; i < STATS_NCH; i++)
        if (!strcmp(ch, ev_channel_name(i))) return i;
    return -1;
}

static void acc_add(stats_acc *a, sqlite3_stmt *st, int ch)
{
    for (int c = 0; c < SC__COUNT; c++)
        a->c[c] += sqlite3_column_int64(st, 3 + c);
    if (ch >= 0) {
        a->ch[ch][0] += sqlite3_column_int64(st, 3 + SC_ISSUED);
        a->ch[ch][1] += sqlite3_column_int64(st, 3 + SC_WAIT_N);
        a->ch[ch][2] += sqlite3_column_int64(st, 3 + SC_WAIT_MS);
    }
}

/* Working minutes of one window's shift over the period (opening hours, lunch excluded), or
 * with all_windows the window-minutes the hall's staffing plan asks for. */
static int64_t planned_minutes(const cfg_t *cfg, int h, const stats_period *p, bool all_windows)
{
    const cfg_hall *ch = &cfg->halls[h];
    int64_t total = 0;
    for (int d = p->from; d <= p->to; d = cwt_next_date(d)) {
        int wd = cwt_weekday(d);
        cfg_span o = cfg_hall_hours(cfg, ch, d, wd);
        for (int m = o.from_min; m < o.to_min; m++)
            total += all_windows ? cfg_hall_planned(cfg, ch, d, wd, m)
                                 : cfg_hall_open(cfg, ch, d, wd, m);
    }
    return total;
}

static int add_row(stats_result *r, int *cap)
{
    if (r->nrows == *cap) {
        int nc = *cap ? *cap * 2 : 64;
        stats_row *nr = cw_xrealloc(r->rows, sizeof *nr * (size_t)nc);
        if (!nr) return -1;
        r->rows = nr;
        *cap = nc;
    }
    memset(&r->rows[r->nrows], 0, sizeof r->rows[0]);
    r->nrows++;
    return 0;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Folds one result row of the SELECT into out; returns -1 when out of memory. */
static int take(const cfg_t *cfg, const stats_filter *f, sqlite3_stmt *st, stats_result *out,
                int *cap)
{
    const char *hall = (const char *)sqlite3_column_text(st, 0);
    const char *k = (const char *)sqlite3_column_text(st, 1);
    int h = cfg_hall_index(cfg, hall ? hall : "");
    if (h < 0 || (f->halls && !f->halls[h])) return 0; /* not configured now, or not visible */
    int ch = channel_index((const char *)sqlite3_column_text(st, 2));
    acc_add(&out->total, st, ch);
    if (!k || (f->level != SL_CITY && f->level != SL_HALL && !*k)) return 0;
    int rh = f->level == SL_CITY || f->level == SL_ITEM ? -1 : h;
    if (f->level == SL_HALL) { /* every visible hall has its row already (hall_rows) */
        for (int i = 0; i < out->nrows; i++)
            if (out->rows[i].hall == h) acc_add(&out->rows[i].acc, st, ch);
        return 0;
    }
    stats_row *last = out->nrows ? &out->rows[out->nrows - 1] : NULL;
    if (!last || last->hall != rh || strcmp(last->key, k) != 0) {
        if (add_row(out, cap) < 0) return -1;
        last = &out->rows[out->nrows - 1];
        last->hall = rh;
        snprintf(last->key, sizeof last->key, "%s", k);
    }
    acc_add(&last->acc, st, ch);
    return 0;
}

static void fill_planned(const cfg_t *cfg, const stats_period *p, const stats_filter *f,
                         stats_result *out)
{
    for (int i = 0; i < out->nrows; i++) {
        stats_row *r = &out->rows[i];
        if (f->level == SL_HALL) r->acc.planned_min = planned_minutes(cfg, r->hall, p, true);
        if (f->level == SL_WINDOW || f->level == SL_STAFF)
            r->acc.planned_min = planned_minutes(cfg, r->hall, p, false);
    }
    if (f->level == SL_BIZ || f->level == SL_ITEM || f->biz || f->item) return;
    for (int h = 0; h < cfg->nhalls; h++) {
        if ((f->halls && !f->halls[h]) || (f->hall >= 0 && h != f->hall)) continue;
        out->total.planned_min += planned_minutes(cfg, h, p, !(f->win || f->staff));
    }
    if (f->level == SL_CITY && out->nrows) out->rows[0].acc.planned_min = out->total.planned_min;
}

/* The hall level lists every hall the filter selects, with data or not, in config order. */
static int hall_rows(const cfg_t *cfg, const stats_filter *f, stats_result *out, int *cap)
{
    for (int h = 0; h < cfg->nhalls; h++) {
        if ((f->halls && !f->halls[h]) || (f->hall >= 0 && h != f->hall)) continue;
        if (add_row(out, cap) < 0) return -1;
        out->rows[out->nrows - 1].hall = h;
    }
    return 0;
}

int stats_query(sqlite3 *db, const cfg_t *cfg, const stats_period *p, const stats_filter *f,
                stats_result *out, char *err, size_t n)
{
    memset(out, 0, sizeof *out);
    char *sql = select_sql(f->level);
    sqlite3_stmt *st = NULL;
    int rc = sql ? sqlite3_prepare_v2(db, sql, -1, &st, NULL) : SQLITE_NOMEM, cap = 0;
    free(sql);
    if (rc != SQLITE_OK) {
        snprintf(err, n, "statistics: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (f->level == SL_HALL && hall_rows(cfg, f, out, &cap) < 0) {
        sqlite3_finalize(st);
        snprintf(err, n, "out of memory");
        return -1;
    }
    sqlite3_bind_int(st, 1, p->from);
    sqlite3_bind_int(st, 2, p->to);
    bind_opt(st, 3, f->hall >= 0 ? cfg->halls[f->hall].id : NULL);
    bind_opt(st, 4, f->biz);
    bind_opt(st, 5, f->win);
    bind_opt(st, 6, f->staff);
    bind_opt(st, 7, f->item);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (take(cfg, f, st, out, &cap) < 0) break;
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, n, "statistics: %s", rc == SQLITE_ROW ? "out of memory" : sqlite3_errstr(rc));
        stats_result_free(out);
        return -1;
    }
    if (f->level == SL_CITY && out->nrows == 0 && add_row(out, &cap) == 0) out->rows[0].hall = -1;
    fill_planned(cfg, p, f, out);
    return 0;
}

void stats_result_free(stats_result *r)
{
    free(r->rows);
    r->rows = NULL;
    r->nrows = 0;
}
