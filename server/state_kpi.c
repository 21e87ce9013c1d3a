/* state_kpi: the KPI formulas of SPEC §5 over the live state (see state_internal.h).
 *
 * Counts and sums are kept incrementally by state.c; this file adds the figures that depend
 * on business time (live waits, the 60-min windows of sl_60m and ewt_s, overdue cases) and
 * turns a set of figures into the `kpi` object. Rounding: means and ewt_s to the nearest
 * integer second, max_wait_live_s down to whole seconds (an age), rates to 4 decimals,
 * score to 1 decimal. A ratio or mean with no data is absent.
 */
#include "state_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"

/* ---------------------------------------------------------------- 60-min record windows */

static void rec_uncount(state_recs *rs, const state_rec *r)
{
    rs->wn--;
    rs->wok -= r->ok;
    rs->wsum -= r->v_ms;
}

bool state_recs_prune(state_recs *rs, int64_t now_ms)
{
    int64_t cutoff = now_ms - STATE_WINDOW_MS;
    bool moved = false;
    while (rs->head < rs->n && rs->r[rs->head].at_ms <= cutoff) {
        if (rs->r[rs->head].valid) {
            rec_uncount(rs, &rs->r[rs->head]);
            moved = true;
        }
        rs->head++;
    }
    if (rs->head >= 256 && rs->head * 2 >= rs->n) {
        memmove(rs->r, rs->r + rs->head, (size_t)(rs->n - rs->head) * sizeof *rs->r);
        rs->n -= rs->head;
        rs->head = 0;
    }
    return moved;
}

int state_recs_add(state_recs *rs, int64_t now_ms, int64_t at_ms, int64_t v_ms, bool ok,
                   state_ticket *t)
{
    state_recs_prune(rs, now_ms);
    if (at_ms <= now_ms - STATE_WINDOW_MS) return 0;
    if (rs->n == rs->cap) {
        int ncap = rs->cap ? rs->cap * 2 : 64;
        state_rec *nr = realloc(rs->r, (size_t)ncap * sizeof *nr);
        if (!nr) return -1;
        rs->r = nr;
        rs->cap = ncap;
    }
    int pos = rs->n;
    while (pos > rs->head && rs->r[pos - 1].at_ms > at_ms)
        pos--;
    memmove(&rs->r[pos + 1], &rs->r[pos], (size_t)(rs->n - pos) * sizeof *rs->r);
    rs->r[pos] = (state_rec){.at_ms = at_ms, .v_ms = v_ms, .t = t, .ok = ok, .valid = true};
    rs->n++;
    rs->wn++;
    rs->wok += ok;
    rs->wsum += v_ms;
    return 0;
}

void state_recs_invalidate(state_recs *rs, int64_t at_ms, const state_ticket *t)
{
    int lo = rs->head, hi = rs->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (rs->r[mid].at_ms < at_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (int i = lo; i < rs->n && rs->r[i].at_ms == at_ms; i++) {
        if (rs->r[i].t == t && rs->r[i].valid) {
            rs->r[i].valid = false;
            rec_uncount(rs, &rs->r[i]);
            return;
        }
    }
}

void state_recs_clear(state_recs *rs)
{
    free(rs->r);
    memset(rs, 0, sizeof *rs);
}

/* ---------------------------------------------------------------- figures */

int64_t state_round_div(int64_t num_ms, int64_t den)
{
    return den > 0 ? llround((double)num_ms / (double)den / 1000.0) : 0;
}

double state_round4(double x)
{
    return round(x * 10000.0) / 10000.0;
}

void state_agg_init(state_agg *a)
{
    memset(a, 0, sizeof *a);
    a->max_wait_ms = -1;
}

int state_hall_overdue(const state_t *st, int h)
{
    const state_hs *hs = &st->halls[h];
    int n = 0;
    for (int i = 0; i < hs->ncases; i++)
        n += state_case_overdue(hs->cases[i], st->now_ms);
    return n;
}

void state_agg_hall(state_t *st, int h, state_agg *a)
{
    const cfg_hall *ch = &st->cfg->halls[h];
    state_hs *hs = &st->halls[h];
    int64_t now = st->now_ms;

    a->issued += hs->issued;
    a->waiting += hs->nwaiting;
    a->serving += hs->serving;
    a->suspended += hs->suspended;
    a->finished += hs->finished;
    a->no_show += hs->no_show;
    a->visits += hs->visits;
    a->wait_sum_ms += hs->wait_sum_ms;
    a->svc_n += hs->svc_n;
    a->svc_sum_ms += hs->svc_sum_ms;

    for (int i = 0; i < hs->nwaiting; i++) {
        const state_ticket *t = hs->waiting[i];
        int64_t w = now - t->entered_ms;
        if (w < 0) w = 0;
        if (w > a->max_wait_ms) a->max_wait_ms = w;
        if (w > state_sla_ms(&ch->biz[t->biz])) a->over_sla++;
    }
    for (int b = 0; b < hs->nbiz; b++) {
        state_recs_prune(&hs->biz[b].calls, now);
        a->sl_n += hs->biz[b].calls.wn;
        a->sl_ok += hs->biz[b].calls.wok;
    }
    for (int w = 0; w < hs->nwin; w++) {
        int s = hs->win[w].status;
        a->w_open += s == SW_OPEN || s == SW_SERVING;
        a->w_serving += s == SW_SERVING;
        a->w_paused += s == SW_PAUSED;
    }
    cwt_local l;
    cwt_to_local(now, &l);
    if (!state_hall_closed(st, h, now))
        a->w_planned += cfg_hall_planned(st->cfg, ch, l.date, l.weekday, l.minute);

    a->rv_n += hs->rv_n;
    a->rv_good += hs->rv_good;
    a->rv_sat += hs->rv_sat;
    a->rv_bad += hs->rv_bad;
    a->rv_level_sum += hs->rv_level_sum;
    for (int i = 0; i < hs->ncases; i++) {
        const state_case *c = hs->cases[i];
        a->cases_open += c->state != EV_CASE_CLOSED && c->state != EV_CASE_APPEAL_UPHELD;
        a->cases_overdue += state_case_overdue(c, now);
    }
    for (int c = 0; c < hs->ncam; c++)
        a->cam_online += hs->cam[c].status == EV_CAM_ONLINE;
    a->cam_total += ch->ncameras;
}

void state_agg_merge(state_agg *d, const state_agg *s)
{
    d->issued += s->issued;
    d->waiting += s->waiting;
    d->serving += s->serving;
    d->suspended += s->suspended;
    d->finished += s->finished;
    d->no_show += s->no_show;
    d->visits += s->visits;
    d->wait_sum_ms += s->wait_sum_ms;
    if (s->max_wait_ms > d->max_wait_ms) d->max_wait_ms = s->max_wait_ms;
    d->over_sla += s->over_sla;
    d->sl_n += s->sl_n;
    d->sl_ok += s->sl_ok;
    d->svc_n += s->svc_n;
    d->svc_sum_ms += s->svc_sum_ms;
    d->w_open += s->w_open;
    d->w_serving += s->w_serving;
    d->w_paused += s->w_paused;
    d->w_planned += s->w_planned;
    d->rv_n += s->rv_n;
    d->rv_good += s->rv_good;
    d->rv_sat += s->rv_sat;
    d->rv_bad += s->rv_bad;
    d->rv_level_sum += s->rv_level_sum;
    d->cases_open += s->cases_open;
    d->cases_overdue += s->cases_overdue;
    d->cam_online += s->cam_online;
    d->cam_total += s->cam_total;
}

static void set_int(json_t *o, const char *k, int64_t v)
{
    json_object_set_new(o, k, json_integer(v));
}

static void set_rate(json_t *o, const char *k, int64_t num, int64_t den)
{
    double r = (double)num / (double)den;
    if (r > 1) r = 1;
    if (r < 0) r = 0;
    json_object_set_new(o, k, json_real(state_round4(r)));
}

json_t *state_agg_json(const state_agg *a)
{
    json_t *o = json_object();
    if (!o) return NULL;
    set_int(o, "issued", a->issued);
    set_int(o, "waiting", a->waiting);
    set_int(o, "serving", a->serving);
    set_int(o, "suspended", a->suspended);
    set_int(o, "finished", a->finished);
    set_int(o, "no_show", a->no_show);
    if (a->issued > 0) set_rate(o, "no_show_rate", a->no_show, a->issued);
    if (a->visits > 0) set_int(o, "avg_wait_s", state_round_div(a->wait_sum_ms, a->visits));
    if (a->max_wait_ms >= 0) set_int(o, "max_wait_live_s", a->max_wait_ms / 1000);
    set_int(o, "over_sla_waiting", a->over_sla);
    if (a->sl_n > 0) set_rate(o, "sl_60m", a->sl_ok, a->sl_n);
    if (a->svc_n > 0) set_int(o, "avg_service_s", state_round_div(a->svc_sum_ms, a->svc_n));
    set_int(o, "windows_open", a->w_open);
    set_int(o, "windows_serving", a->w_serving);
    set_int(o, "windows_paused", a->w_paused);
    set_int(o, "windows_planned", a->w_planned);
    set_int(o, "reviews", a->rv_n);
    if (a->rv_n > 0) {
        set_rate(o, "good_rate", a->rv_good, a->rv_n);
        set_rate(o, "satisfied_rate", a->rv_sat, a->rv_n);
        double score = round((double)a->rv_level_sum * 200.0 / (double)a->rv_n) / 10.0;
        json_object_set_new(o, "score", json_real(score));
    }
    set_int(o, "bad_reviews", a->rv_bad);
    set_int(o, "bad_cases_open", a->cases_open);
    set_int(o, "bad_cases_overdue", a->cases_overdue);
    set_int(o, "cameras_online", a->cam_online);
    set_int(o, "cameras_total", a->cam_total);
    return o;
}

/* Staffed windows (open or serving) of hall h that serve biz b. */
int64_t state_staffed_for(const state_t *st, int h, int b)
{
    const cfg_hall *ch = &st->cfg->halls[h];
    const state_hs *hs = &st->halls[h];
    int64_t n = 0;
    for (int w = 0; w < hs->nwin && w < ch->nwindows; w++) {
        int s = hs->win[w].status;
        if (s != SW_OPEN && s != SW_SERVING) continue;
        for (int i = 0; i < ch->windows[w].nbiz; i++)
            if (ch->windows[w].biz[i] == b) {
                n++;
                break;
            }
    }
    return n;
}

static int64_t ewt_of(state_t *st, int h, int b, int64_t waiting, int64_t staffed)
{
    state_recs *f = &st->halls[h].biz[b].fins;
    state_recs_prune(f, st->now_ms);
    double mean_s = f->wn > 0 ? (double)f->wsum / 1000.0 / (double)f->wn
                              : state_sla_ms(&st->cfg->halls[h].biz[b]) / 2000.0;
    return llround((double)waiting * mean_s / (double)(staffed > 1 ? staffed : 1));
}

void state_biz_figs(state_t *st, int h, state_bizfig *out)
{
    const cfg_hall *ch = &st->cfg->halls[h];
    state_hs *hs = &st->halls[h];
    int64_t now = st->now_ms;
    for (int b = 0; b < hs->nbiz; b++) {
        memset(&out[b], 0, sizeof out[b]);
        out[b].max_wait_ms = -1;
    }
    for (int i = 0; i < hs->nwaiting; i++) {
        const state_ticket *t = hs->waiting[i];
        state_bizfig *f = &out[t->biz];
        int64_t w = now - t->entered_ms;
        if (w < 0) w = 0;
        f->waiting++;
        if (w > f->max_wait_ms) f->max_wait_ms = w;
        if (w > state_sla_ms(&ch->biz[t->biz])) f->over_sla++;
    }
    for (int b = 0; b < hs->nbiz; b++) {
        state_bizfig *f = &out[b];
        state_recs_prune(&hs->biz[b].calls, now);
        f->sl_n = hs->biz[b].calls.wn;
        f->sl_ok = hs->biz[b].calls.wok;
        f->staffed = state_staffed_for(st, h, b);
        f->ewt_s = ewt_of(st, h, b, f->waiting, f->staffed);
    }
}

int64_t state_biz_ewt(state_t *st, int hall, int b)
{
    if (hall < 0 || hall >= st->nhalls || b < 0 || b >= st->halls[hall].nbiz) return -1;
    return ewt_of(st, hall, b, st->halls[hall].biz[b].waiting, state_staffed_for(st, hall, b));
}
