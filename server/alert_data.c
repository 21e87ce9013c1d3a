/* alert_data: what the rules need beyond today's live state -- the recorded bad reviews and
 * sensitive comments (R10, R12, GET /reviews?bad=1) and the daily figures of every hall
 * (R5's service-time history, R13's review counts). See alerts_internal.h.
 *
 * Records are written when their event is applied (and again when their case moves), in the
 * `alert_reviews` table, and read back at start: the rules never re-raise from a replay.
 * Daily figures for today are recomputed from the state once per business minute (so they are
 * exact after a restart, the state being rebuilt) and written every 10 s of real time when they
 * changed (`alert_days`); earlier days are final.
 *
 * R5 history (a documented simplification): service times are kept per hall, biz and day as a
 * histogram of 64 log-spaced buckets (30 s to 4 h, ratio ~1.105); the median is that of the
 * merged histograms, taken at the geometric middle of its bucket (within ~5 %).
 */
#include "alerts_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "pii.h"
#include "xalloc.h"

#define PERSIST_EVERY_MS 10000
#define HB_LOW_S 30.0
#define HB_HIGH_S 14400.0

/* ---- dates -------------------------------------------------------------------------------- */

/* ---- bad-review records ------------------------------------------------------------------- */

static void review_free(al_review *r)
{
    if (!r) return;
    free(r->hall);
    free(r->review);
    free(r->window);
    free(r->staff);
    free(r->item);
    free(r->comment);
    free(r->term);
    free(r->category);
    free(r);
}

static char *dup_or_null(const char *s)
{
    return s ? cw_xstrdup(s) : NULL;
}

al_review *al_data_review(alerts_t *a, const char *hall, const char *review)
{
    for (int i = a->nrv - 1; i >= 0; i--)
        if (strcmp(a->rv[i]->review, review) == 0 && strcmp(a->rv[i]->hall, hall) == 0)
            return a->rv[i];
    return NULL;
}

static int review_insert(alerts_t *a, al_review *r)
{
    if (a->nrv == a->caprv) {
        int nc = a->caprv ? a->caprv * 2 : 64;
        al_review **nv = realloc(a->rv, (size_t)nc * sizeof *nv);
        if (!nv) return -1;
        a->rv = nv;
        a->caprv = nc;
    }
    int pos = a->nrv;
    while (pos > 0 && a->rv[pos - 1]->at_ms > r->at_ms)
        pos--;
    memmove(&a->rv[pos + 1], &a->rv[pos], (size_t)(a->nrv - pos) * sizeof *a->rv);
    a->rv[pos] = r;
    a->nrv++;
    return 0;
}

static void set_opt(json_t *o, const char *k, const char *v)
{
    if (v) json_object_set_new(o, k, json_string(v));
}

/* The stored form of a record. */
static json_t *review_body(const al_review *r)
{
    json_t *o = json_pack("{s:s,s:s,s:I,s:i,s:i,s:b,s:i}", "hall", r->hall, "review", r->review,
                          "at_ms", (json_int_t)r->at_ms, "date", r->date, "level", r->level,
                          "real_name", r->real_name, "case", r->case_state);
    if (!o) return NULL;
    if (r->channel >= 0) json_object_set_new(o, "channel", json_integer(r->channel));
    set_opt(o, "window", r->window);
    set_opt(o, "staff", r->staff);
    set_opt(o, "item", r->item);
    set_opt(o, "comment", r->comment);
    set_opt(o, "term", r->term);
    set_opt(o, "category", r->category);
    if (r->term) json_object_set_new(o, "weight", json_integer(r->weight));
    if (r->term) json_object_set_new(o, "score", json_real(r->score));
    return o;
}

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static al_review *review_from_body(json_t *o)
{
    al_review *r = cw_xcalloc(1, sizeof *r);
    if (!r) return NULL;
    r->hall = dup_or_null(jstr(o, "hall"));
    r->review = dup_or_null(jstr(o, "review"));
    r->at_ms = json_integer_value(json_object_get(o, "at_ms"));
    r->date = (int)json_integer_value(json_object_get(o, "date"));
    r->level = (int)json_integer_value(json_object_get(o, "level"));
    json_t *ch = json_object_get(o, "channel");
    r->channel = ch ? (int)json_integer_value(ch) : -1;
    r->real_name = json_is_true(json_object_get(o, "real_name"));
    r->case_state = (int)json_integer_value(json_object_get(o, "case"));
    r->window = dup_or_null(jstr(o, "window"));
    r->staff = dup_or_null(jstr(o, "staff"));
    r->item = dup_or_null(jstr(o, "item"));
    r->comment = dup_or_null(jstr(o, "comment"));
    r->term = dup_or_null(jstr(o, "term"));
    r->category = dup_or_null(jstr(o, "category"));
    r->weight = (int)json_integer_value(json_object_get(o, "weight"));
    r->score = json_number_value(json_object_get(o, "score"));
    if (!r->hall || !r->review) {
        review_free(r);
        return NULL;
    }
    return r;
}

static void review_persist(alerts_t *a, const al_review *r)
{
    json_t *b = review_body(r);
    char *s = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    if (!s) return;
    store_job *j = store_job_new_sql(
        "INSERT OR REPLACE INTO alert_reviews(hall, review, at_ms, body) VALUES(?,?,?,?)");
    if (!j) {
        free(s);
        return;
    }
    store_job_arg_text(j, r->hall);
    store_job_arg_text(j, r->review);
    store_job_arg_int(j, r->at_ms);
    al_arg_take(j, s);
    al_store(a, j);
}

json_t *al_data_review_json(const al_review *r, bool names)
{
    char tb[40];
    json_t *o =
        json_pack("{s:s,s:s,s:s,s:i,s:b}", "review", r->review, "hall", r->hall, "at",
                  cwt_format_local(r->at_ms, tb), "level", r->level, "real_name", r->real_name);
    if (!o) return NULL;
    if (r->channel >= 0) set_opt(o, "channel", ev_review_channel_name(r->channel));
    set_opt(o, "window", r->window);
    set_opt(o, "staff", r->staff);
    set_opt(o, "item", r->item);
    if (names) set_opt(o, "comment", r->comment);
    if (r->term) {
        json_object_set_new(o, "sensitive",
                            json_pack("{s:s,s:s,s:i,s:f}", "term", r->term, "category",
                                      r->category ? r->category : "", "weight", r->weight, "score",
                                      round(r->score * 100) / 100));
    }
    if (r->case_state >= 0) set_opt(o, "case", ev_case_state_name(r->case_state));
    return o;
}

void al_scoring_of(const cfg_t *cfg, int hall, lexicon_scoring *out)
{
    for (int l = 0; l < 5; l++)
        out->level[l] = cfg_alert_param(cfg, CFG_R10, hall, NULL, CFG_P_FIRST + AL_R10_LEVEL1 + l);
    out->praise = cfg_alert_param(cfg, CFG_R10, hall, NULL, CFG_P_FIRST + AL_R10_PRAISE);
}

void al_data_on_event(alerts_t *a, const ev_event *ev)
{
    const cfg_t *cfg = a->hub->cfg;
    if (ev->hall < 0 || ev->hall >= cfg->nhalls) return;
    const cfg_hall *ch = &cfg->halls[ev->hall];
    if (ev->type == EV_REVIEW_CASE) {
        al_review *r = ev->review ? al_data_review(a, ch->id, ev->review) : NULL;
        if (!r || r->case_state < 0) return;
        int cs = ev->case_state == EV_CASE_APPEAL_REJECTED ? EV_CASE_RECTIFYING : ev->case_state;
        if (cs == r->case_state) return;
        r->case_state = cs;
        review_persist(a, r);
        return;
    }
    if (ev->type != EV_REVIEW_SUBMITTED || !ev->review || ev->level < 1 || ev->level > 5) return;
    lexicon_scoring sc_params;
    lexicon_score sc;
    al_scoring_of(cfg, ev->hall, &sc_params);
    bool hit = ev->comment && lexicon_score_text(a->lex, ev->comment, ev->level, &sc_params, &sc);
    double note = cfg_alert_param(cfg, CFG_R10, ev->hall, NULL, CFG_P_FIRST + AL_R10_NOTE);
    if (ev->level > 2 && !(hit && sc.score >= note)) return;
    if (al_data_review(a, ch->id, ev->review)) return; /* the same review sent again */
    al_review *r = cw_xcalloc(1, sizeof *r);
    if (!r) return;
    cwt_local lt;
    cwt_to_local(ev->at_ms, &lt);
    r->hall = cw_xstrdup(ch->id);
    r->review = cw_xstrdup(ev->review);
    r->at_ms = ev->at_ms;
    r->date = lt.date;
    r->level = ev->level;
    r->channel = ev->channel;
    r->window = ev->window >= 0 && ev->window < ch->nwindows
                    ? cw_xstrdup(ch->windows[ev->window].id)
                    : NULL;
    r->staff = dup_or_null(ev->staff);
    r->item = dup_or_null(ev->item);
    r->comment = ev->comment ? pii_mask(ev->comment) : NULL;
    r->real_name = ev->real_name;
    r->case_state = ev->level <= 2 ? EV_CASE_ASSIGNED : -1;
    if (hit) {
        r->term = cw_xstrdup(sc.best.term);
        r->category = cw_xstrdup(sc.best.category);
        r->weight = sc.best.weight;
        r->score = sc.score;
    }
    if (!r->hall || !r->review || review_insert(a, r) < 0) {
        review_free(r);
        return;
    }
    review_persist(a, r);
}

json_t *alerts_review_record(alerts_t *a, int hall, const char *review, bool names)
{
    if (hall < 0 || hall >= a->hub->cfg->nhalls || !review) return NULL;
    al_review *r = al_data_review(a, a->hub->cfg->halls[hall].id, review);
    return r ? al_data_review_json(r, names) : NULL;
}

json_t *alerts_review_records(alerts_t *a, int hall, bool names)
{
    json_t *arr = json_array();
    if (hall < 0 || hall >= a->hub->cfg->nhalls) return arr;
    const char *id = a->hub->cfg->halls[hall].id;
    for (int i = a->nrv - 1; i >= 0; i--)
        if (strcmp(a->rv[i]->hall, id) == 0 && a->rv[i]->level <= 2)
            json_array_append_new(arr, al_data_review_json(a->rv[i], names));
    return arr;
}

/* ---- daily figures ------------------------------------------------------------------------ */

static int hbucket(int64_t s_ms)
{
    double s = (double)s_ms / 1000.0;
    if (s <= HB_LOW_S) return 0;
    double r = log(HB_HIGH_S / HB_LOW_S) / (AL_HBUCKETS - 2);
    int i = (int)ceil(log(s / HB_LOW_S) / r - 1e-9);
    return i < 1 ? 1 : i > AL_HBUCKETS - 1 ? AL_HBUCKETS - 1 : i;
}

static double hbucket_mid(int i)
{
    double r = log(HB_HIGH_S / HB_LOW_S) / (AL_HBUCKETS - 2);
    if (i <= 0) return HB_LOW_S / 2;
    return HB_LOW_S * exp(r * ((double)i - 0.5));
}

al_hallhist *al_data_hall(alerts_t *a, const char *hall)
{
    for (int i = 0; i < a->nhh; i++)
        if (strcmp(a->hh[i].hall, hall) == 0) return &a->hh[i];
    return NULL;
}

static al_hallhist *hall_get(alerts_t *a, const char *hall)
{
    al_hallhist *hh = al_data_hall(a, hall);
    if (hh) return hh;
    al_hallhist *n = realloc(a->hh, (size_t)(a->nhh + 1) * sizeof *n);
    if (!n) return NULL;
    a->hh = n;
    hh = &n[a->nhh];
    memset(hh, 0, sizeof *hh);
    if (!(hh->hall = cw_xstrdup(hall))) return NULL;
    a->nhh++;
    return hh;
}

static void day_free(al_day *d)
{
    for (int i = 0; i < d->nbiz; i++)
        free(d->biz[i]);
    free(d->biz);
    free(d->hist);
    memset(d, 0, sizeof *d);
}

static al_day *day_get(al_hallhist *hh, int date)
{
    int pos = hh->ndays;
    while (pos > 0 && hh->days[pos - 1].date > date)
        pos--;
    if (pos > 0 && hh->days[pos - 1].date == date) return &hh->days[pos - 1];
    if (hh->ndays == hh->capdays) {
        int nc = hh->capdays ? hh->capdays * 2 : 16;
        al_day *nd = realloc(hh->days, (size_t)nc * sizeof *nd);
        if (!nd) return NULL;
        hh->days = nd;
        hh->capdays = nc;
    }
    memmove(&hh->days[pos + 1], &hh->days[pos], (size_t)(hh->ndays - pos) * sizeof *hh->days);
    memset(&hh->days[pos], 0, sizeof hh->days[pos]);
    hh->days[pos].date = date;
    hh->ndays++;
    return &hh->days[pos];
}

static int day_biz(al_day *d, const char *biz)
{
    for (int i = 0; i < d->nbiz; i++)
        if (strcmp(d->biz[i], biz) == 0) return i;
    char **nb = realloc(d->biz, (size_t)(d->nbiz + 1) * sizeof *nb);
    if (!nb) return -1;
    d->biz = nb;
    uint32_t(*nh)[AL_HBUCKETS] = realloc(d->hist, (size_t)(d->nbiz + 1) * sizeof *nh);
    if (!nh) return -1;
    d->hist = nh;
    if (!(d->biz[d->nbiz] = cw_xstrdup(biz))) return -1;
    memset(d->hist[d->nbiz], 0, sizeof d->hist[0]);
    return d->nbiz++;
}

typedef struct svc_acc {
    const cfg_hall *ch;
    uint32_t (*hist)[AL_HBUCKETS];
} svc_acc;

static void svc_add(void *ud, int biz, int64_t s_ms)
{
    svc_acc *acc = ud;
    if (biz >= 0 && biz < acc->ch->nbiz) acc->hist[biz][hbucket(s_ms)]++;
}

static void recompute_medians(alerts_t *a, al_hallhist *hh, int hall, int today)
{
    const cfg_t *cfg = a->hub->cfg;
    const cfg_hall *ch = &cfg->halls[hall];
    al_median *m = calloc(ch->nbiz > 0 ? (size_t)ch->nbiz : 1, sizeof *m);
    if (!m) return;
    for (int b = 0; b < ch->nbiz; b++) {
        int days = (int)cfg_alert_param(cfg, CFG_R5, hall, ch->biz[b].id, CFG_P_FIRST + 2);
        int from = cwt_date_add(today, -days);
        uint64_t h[AL_HBUCKETS] = {0}, n = 0;
        for (int d = 0; d < hh->ndays; d++) {
            al_day *day = &hh->days[d];
            if (day->date < from || day->date > today) continue;
            for (int k = 0; k < day->nbiz; k++)
                if (strcmp(day->biz[k], ch->biz[b].id) == 0)
                    for (int i = 0; i < AL_HBUCKETS; i++) {
                        h[i] += day->hist[k][i];
                        n += day->hist[k][i];
                    }
        }
        m[b].biz = cw_xstrdup(ch->biz[b].id);
        m[b].n = (int64_t)n;
        m[b].median_s = -1;
        uint64_t cum = 0;
        for (int i = 0; n && i < AL_HBUCKETS; i++) {
            cum += h[i];
            if (cum * 2 >= n) {
                m[b].median_s = hbucket_mid(i);
                break;
            }
        }
    }
    for (int i = 0; i < hh->nmed; i++)
        free(hh->med[i].biz);
    free(hh->med);
    hh->med = m;
    hh->nmed = ch->nbiz;
}

double al_data_median(alerts_t *a, const char *hall, const char *biz)
{
    al_hallhist *hh = al_data_hall(a, hall);
    for (int i = 0; hh && i < hh->nmed; i++)
        if (hh->med[i].biz && strcmp(hh->med[i].biz, biz) == 0) return hh->med[i].median_s;
    return -1;
}

void al_data_reviews(alerts_t *a, const char *hall, int date, int from_back, int to_back,
                     int64_t *n, int64_t *good)
{
    *n = *good = 0;
    al_hallhist *hh = al_data_hall(a, hall);
    if (!hh) return;
    int lo = cwt_date_add(date, -to_back), hi = cwt_date_add(date, -from_back);
    for (int d = 0; d < hh->ndays; d++)
        if (hh->days[d].date >= lo && hh->days[d].date <= hi) {
            *n += hh->days[d].rv_n;
            *good += hh->days[d].rv_good;
        }
}

static void day_persist(alerts_t *a, const char *hall, al_day *d)
{
    json_t *svc = json_object();
    for (int k = 0; k < d->nbiz; k++) {
        json_t *pairs = json_array();
        for (int i = 0; i < AL_HBUCKETS; i++)
            if (d->hist[k][i])
                json_array_append_new(pairs, json_pack("[iI]", i, (json_int_t)d->hist[k][i]));
        json_object_set_new(svc, d->biz[k], pairs);
    }
    json_t *b =
        json_pack("{s:[II],s:o}", "rv", (json_int_t)d->rv_n, (json_int_t)d->rv_good, "svc", svc);
    char *s = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    if (!s) return;
    store_job *j =
        store_job_new_sql("INSERT OR REPLACE INTO alert_days(hall, day, body) VALUES(?,?,?)");
    if (!j) {
        free(s);
        return;
    }
    store_job_arg_text(j, hall);
    store_job_arg_int(j, d->date);
    al_arg_take(j, s);
    al_store(a, j);
    d->dirty = false;
}

static void day_load(alerts_t *a, const char *hall, int date, json_t *body)
{
    al_hallhist *hh = hall_get(a, hall);
    al_day *d = hh ? day_get(hh, date) : NULL;
    if (!d) return;
    json_t *rv = json_object_get(body, "rv");
    d->rv_n = json_integer_value(json_array_get(rv, 0));
    d->rv_good = json_integer_value(json_array_get(rv, 1));
    const char *biz;
    json_t *pairs;
    json_object_foreach(json_object_get(body, "svc"), biz, pairs)
    {
        int k = day_biz(d, biz);
        if (k < 0) continue;
        size_t i;
        json_t *p;
        json_array_foreach(pairs, i, p)
        {
            json_int_t bucket = json_integer_value(json_array_get(p, 0));
            if (bucket >= 0 && bucket < AL_HBUCKETS)
                d->hist[k][bucket] = (uint32_t)json_integer_value(json_array_get(p, 1));
        }
    }
}

void al_data_refresh(alerts_t *a, int64_t now_ms, int64_t real_ms, bool force)
{
    const cfg_t *cfg = a->hub->cfg;
    state_t *st = a->hub->state;
    int64_t minute = now_ms / 60000;
    if (force || minute != a->last_fig_min) {
        a->last_fig_min = minute;
        int today = state_day(st);
        for (int h = 0; h < cfg->nhalls; h++) {
            const cfg_hall *ch = &cfg->halls[h];
            al_hallhist *hh = hall_get(a, ch->id);
            al_day *d = hh ? day_get(hh, today) : NULL;
            if (!d) continue;
            int64_t n, good;
            state_query_reviews(st, h, &n, &good);
            uint32_t(*hist)[AL_HBUCKETS] =
                calloc(ch->nbiz > 0 ? (size_t)ch->nbiz : 1, sizeof *hist);
            if (!hist) continue;
            svc_acc acc = {.ch = ch, .hist = hist};
            state_query_services(st, h, svc_add, &acc);
            bool changed = d->rv_n != n || d->rv_good != good;
            d->rv_n = n;
            d->rv_good = good;
            for (int b = 0; b < ch->nbiz; b++) {
                int k = day_biz(d, ch->biz[b].id);
                if (k < 0) continue;
                if (memcmp(d->hist[k], hist[b], sizeof hist[b]) != 0) {
                    memcpy(d->hist[k], hist[b], sizeof hist[b]);
                    changed = true;
                }
            }
            free(hist);
            if (changed) d->dirty = true;
            if (changed || hh->nmed != ch->nbiz) recompute_medians(a, hh, h, today);
        }
    }
    if (force || real_ms - a->last_persist_real_ms >= PERSIST_EVERY_MS) {
        a->last_persist_real_ms = real_ms;
        for (int i = 0; i < a->nhh; i++)
            for (int d = 0; d < a->hh[i].ndays; d++)
                if (a->hh[i].days[d].dirty) day_persist(a, a->hh[i].hall, &a->hh[i].days[d]);
    }
}

/* ---- load, retention, free ---------------------------------------------------------------- */

void al_data_load(alerts_t *a)
{
    if (!a->hub->store) return;
    sqlite3 *db = store_reader(a->hub->store);
    int64_t now = state_now(a->hub->state);
    int today = state_day(a->hub->state);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT body FROM alert_reviews WHERE at_ms >= ? ORDER BY at_ms", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, now - (int64_t)AL_REVIEW_DAYS * 86400000);
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *b = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
            al_review *r = b ? review_from_body(b) : NULL;
            json_decref(b);
            if (r && (al_data_review(a, r->hall, r->review) || review_insert(a, r) < 0))
                review_free(r);
        }
        sqlite3_finalize(st);
    }
    if (sqlite3_prepare_v2(db, "SELECT hall, day, body FROM alert_days WHERE day >= ?", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, cwt_date_add(today, -AL_DAYS_KEPT));
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *b = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
            if (b)
                day_load(a, (const char *)sqlite3_column_text(st, 0),
                         (int)sqlite3_column_int64(st, 1), b);
            json_decref(b);
        }
        sqlite3_finalize(st);
    }
}

void al_data_retention(alerts_t *a, int64_t now_ms)
{
    int64_t cut = now_ms - (int64_t)AL_REVIEW_DAYS * 86400000;
    int keep = 0;
    for (int i = 0; i < a->nrv; i++) {
        if (a->rv[i]->at_ms < cut)
            review_free(a->rv[i]);
        else
            a->rv[keep++] = a->rv[i];
    }
    a->nrv = keep;
    int oldest = cwt_date_add(state_day(a->hub->state), -AL_DAYS_KEPT);
    for (int h = 0; h < a->nhh; h++) {
        al_hallhist *hh = &a->hh[h];
        int k = 0;
        for (int d = 0; d < hh->ndays; d++) {
            if (hh->days[d].date < oldest && !hh->days[d].dirty)
                day_free(&hh->days[d]);
            else
                hh->days[k++] = hh->days[d];
        }
        hh->ndays = k;
    }
    int64_t keep_ms = (int64_t)a->hub->cfg->retention_days * 86400000;
    store_job *j = store_job_new_sql("DELETE FROM alert_reviews WHERE at_ms < ?");
    if (j) {
        store_job_arg_int(j, now_ms - keep_ms);
        al_store(a, j);
    }
    cwt_local lt;
    cwt_to_local(now_ms - keep_ms, &lt);
    if ((j = store_job_new_sql("DELETE FROM alert_days WHERE day < ?"))) {
        store_job_arg_int(j, lt.date);
        al_store(a, j);
    }
}

void al_data_free(alerts_t *a)
{
    for (int i = 0; i < a->nrv; i++)
        review_free(a->rv[i]);
    free(a->rv);
    a->rv = NULL;
    a->nrv = a->caprv = 0;
    for (int h = 0; h < a->nhh; h++) {
        for (int d = 0; d < a->hh[h].ndays; d++)
            day_free(&a->hh[h].days[d]);
        free(a->hh[h].days);
        for (int i = 0; i < a->hh[h].nmed; i++)
            free(a->hh[h].med[i].biz);
        free(a->hh[h].med);
        free(a->hh[h].hall);
    }
    free(a->hh);
    a->hh = NULL;
    a->nhh = 0;
}
