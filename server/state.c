/* state: the live state of every hall for the current business day (see state.h).
 *
 * This file holds the event transitions, business time and the day rollover; the KPI
 * formulas are in state_kpi.c, the topic documents in state_doc.c and serialisation in
 * state_save.c. The structures and their invariants are in state_internal.h.
 *
 * Decisions where SPEC §2/§5 is silent (the lead's, plus the ones marked "here"):
 *  - An event impossible in the ticket's state counts as a bad transition and is ignored,
 *    except ticket.called from serving/suspended (applied: the ticket serves at the new
 *    window, no new visit), ticket.started from waiting (applied as a call, then a start)
 *    and ticket.transferred from waiting (applied). A second ticket.issued is ignored.
 *  - A ticket first seen through another event than ticket.issued is created in the state
 *    that event implies, counted once in unknown_tickets; its wait is unknown (no visit)
 *    until a transfer gives it a known entry. Its biz is its window's first biz.
 *  - here: ticket.suspended frees the window (it turns open) and ticket.resumed takes it
 *    again (serving), so a suspended ticket never holds a window.
 *  - here: the 60-min windows (sl_60m, ewt_s) hold the records with at in (now-60min, now].
 *  - Events move business time forward to their `at` (never backwards); an `at` on a later
 *    day rolls the day over first. recv_ms is not used.
 *  - here: state_hall_closed() answers for closures only (opening hours are cfg_hall_open);
 *    a hall under a closure shows status closed and windows_planned 0.
 *  - here: stats.applied counts every event of the current day handed in (bad transitions
 *    and ignored re-sent reviews included); closed cases are dropped at the next rollover.
 */
#include "state_internal.h"

#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "pii.h"
#include "xalloc.h"

#define MS_PER_HOUR (3600LL * 1000)

/* ---------------------------------------------------------------- string map */

static uint32_t map_hash(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s) {
        h ^= (uint8_t)*s++;
        h *= 16777619u;
    }
    return h ? h : 1;
}

void *state_map_get(const state_map *m, const char *key)
{
    if (!m->cap) return NULL;
    uint32_t h = map_hash(key), mask = m->cap - 1;
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        const state_map_entry *e = &m->e[i];
        if (!e->key) return NULL;
        if (e->hash == h && strcmp(e->key, key) == 0) return e->val;
    }
}

static int map_grow(state_map *m)
{
    uint32_t ncap = m->cap ? m->cap * 2 : 16;
    state_map_entry *ne = calloc(ncap, sizeof *ne);
    if (!ne) return -1;
    for (uint32_t i = 0; i < m->cap; i++) {
        if (!m->e[i].key) continue;
        uint32_t j = m->e[i].hash & (ncap - 1);
        while (ne[j].key)
            j = (j + 1) & (ncap - 1);
        ne[j] = m->e[i];
    }
    free(m->e);
    m->e = ne;
    m->cap = ncap;
    return 0;
}

int state_map_put(state_map *m, const char *key, void *val)
{
    if ((m->n + 1) * 4 > m->cap * 3 && map_grow(m) < 0) return -1;
    uint32_t h = map_hash(key), mask = m->cap - 1;
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        state_map_entry *e = &m->e[i];
        if (!e->key) {
            e->key = key;
            e->val = val;
            e->hash = h;
            m->n++;
            return 0;
        }
        if (e->hash == h && strcmp(e->key, key) == 0) {
            e->key = key;
            e->val = val;
            return 0;
        }
    }
}

void state_map_free(state_map *m)
{
    free(m->e);
    m->e = NULL;
    m->cap = m->n = 0;
}

/* ---------------------------------------------------------------- helpers */

static char *dup_or_null(const char *s)
{
    return s ? cw_xstrdup(s) : NULL;
}

static void set_str(char **dst, const char *src)
{
    if (src && *dst && strcmp(*dst, src) == 0) return;
    free(*dst);
    *dst = dup_or_null(src);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void state_bump(state_t *st, int h)
{
    st->ver++;
    st->halls[h].ver = st->ver;
}

void state_set_day(state_t *st, int64_t now_ms)
{
    cwt_local l, n;
    cwt_to_local(now_ms, &l);
    cwt_to_local(l.day_start_ms + 36 * MS_PER_HOUR, &n);
    st->day = l.date;
    st->day_start_ms = l.day_start_ms;
    st->day_end_ms = n.day_start_ms;
}

int64_t state_deadline(const state_t *st, int h, int64_t at_ms, int n)
{
    const cfg_t *cfg = st->cfg;
    cwt_local l;
    cwt_to_local(at_ms, &l);
    for (int k = 0, guard = 0; k < n && guard < 3700; guard++) {
        cwt_to_local(l.day_start_ms + 36 * MS_PER_HOUR, &l);
        if (cfg_is_workday(cfg, l.date, l.weekday)) k++;
    }
    cfg_span sp = cfg_hall_hours(cfg, &cfg->halls[h], l.date, l.weekday);
    int close = sp.to_min > sp.from_min ? sp.to_min : 24 * 60;
    return l.day_start_ms + (int64_t)close * 60000;
}

/* ---------------------------------------------------------------- hall lifecycle */

int state_hall_init(state_t *st, int h)
{
    const cfg_hall *ch = &st->cfg->halls[h];
    state_hs *hs = &st->halls[h];
    memset(hs, 0, sizeof *hs);
    hs->last_event_ms = -1;
    hs->nbiz = ch->nbiz;
    hs->nwin = ch->nwindows;
    hs->ncam = ch->ncameras;
    hs->biz = calloc(ch->nbiz > 0 ? ch->nbiz : 1, sizeof *hs->biz);
    hs->win = calloc(ch->nwindows > 0 ? ch->nwindows : 1, sizeof *hs->win);
    hs->cam = calloc(ch->ncameras > 0 ? ch->ncameras : 1, sizeof *hs->cam);
    if (!hs->biz || !hs->win || !hs->cam) goto fail;
    for (int w = 0; w < hs->nwin; w++) {
        hs->win[w].status = SW_CLOSED;
        hs->win[w].since_ms = -1;
        hs->win[w].reason = -1;
    }
    for (int c = 0; c < hs->ncam; c++) {
        hs->cam[c].status = EV_CAM_UNKNOWN;
        hs->cam[c].since_ms = -1;
    }
    return 0;
fail:
    state_hall_free(hs);
    return -1;
}

static void ticket_free(state_ticket *t)
{
    if (!t) return;
    free(t->id);
    free(t);
}

static void free_tickets(state_hs *hs)
{
    for (uint32_t i = 0; i < hs->tickets.cap; i++)
        if (hs->tickets.e[i].key) ticket_free(hs->tickets.e[i].val);
    state_map_free(&hs->tickets);
    hs->nwaiting = 0;
}

static void free_review_ids(state_hs *hs)
{
    for (uint32_t i = 0; i < hs->review_ids.cap; i++)
        if (hs->review_ids.e[i].key) free(hs->review_ids.e[i].val);
    state_map_free(&hs->review_ids);
}

void state_review_clear(state_review *r)
{
    free(r->id);
    free(r->window);
    free(r->staff);
    free(r->comment);
    memset(r, 0, sizeof *r);
}

static void case_free(state_case *c)
{
    if (!c) return;
    free(c->review);
    free(c);
}

void state_hall_free(state_hs *hs)
{
    free_tickets(hs);
    free(hs->waiting);
    if (hs->biz)
        for (int b = 0; b < hs->nbiz; b++) {
            state_recs_clear(&hs->biz[b].calls);
            state_recs_clear(&hs->biz[b].fins);
        }
    free(hs->biz);
    if (hs->win)
        for (int w = 0; w < hs->nwin; w++)
            free(hs->win[w].staff);
    free(hs->win);
    if (hs->cam)
        for (int c = 0; c < hs->ncam; c++) {
            free(hs->cam[c].main_url);
            free(hs->cam[c].sub_url);
        }
    free(hs->cam);
    free_review_ids(hs);
    for (int i = 0; i < hs->nlast; i++)
        state_review_clear(&hs->last[i]);
    for (int i = 0; i < hs->ncases; i++)
        case_free(hs->cases[i]);
    free(hs->cases);
    state_map_free(&hs->cases_map);
    for (int i = 0; i < hs->nclosures; i++)
        free(hs->closures[i].reason);
    free(hs->closures);
    memset(hs, 0, sizeof *hs);
}

/* A new business day: yesterday's tickets end (voided, day_end) and are dropped, daily
 * counters restart, windows close; cameras, cases still open, the last reviews and future
 * closures stay. */
static void day_reset_hall(state_t *st, int h)
{
    state_hs *hs = &st->halls[h];
    int64_t at = st->day_start_ms;
    free_tickets(hs);
    hs->issued = hs->serving = hs->suspended = hs->finished = hs->no_show = 0;
    hs->visits = hs->wait_sum_ms = hs->svc_n = hs->svc_sum_ms = 0;
    for (int b = 0; b < hs->nbiz; b++) {
        state_biz *bz = &hs->biz[b];
        bz->issued = bz->waiting = bz->visits = bz->wait_sum_ms = 0;
        state_recs_clear(&bz->calls);
        state_recs_clear(&bz->fins);
    }
    for (int w = 0; w < hs->nwin; w++) {
        state_window *win = &hs->win[w];
        if (win->status != SW_CLOSED) {
            win->status = SW_CLOSED;
            win->since_ms = at;
        }
        free(win->staff);
        win->staff = NULL;
        win->ticket = NULL;
        win->reason = -1;
        win->served = win->svc_n = win->svc_sum_ms = win->no_show = win->calls = 0;
    }
    free_review_ids(hs);
    hs->rv_n = hs->rv_good = hs->rv_sat = hs->rv_bad = hs->rv_level_sum = 0;

    int keep = 0;
    for (int i = 0; i < hs->ncases; i++) {
        state_case *c = hs->cases[i];
        if (c->state == EV_CASE_CLOSED || c->state == EV_CASE_APPEAL_UPHELD)
            case_free(c);
        else
            hs->cases[keep++] = c;
    }
    hs->ncases = keep;
    state_map_free(&hs->cases_map);
    for (int i = 0; i < hs->ncases; i++)
        state_map_put(&hs->cases_map, hs->cases[i]->review, hs->cases[i]);

    keep = 0;
    for (int i = 0; i < hs->nclosures; i++) {
        if (hs->closures[i].to_ms <= at)
            free(hs->closures[i].reason);
        else
            hs->closures[keep++] = hs->closures[i];
    }
    hs->nclosures = keep;
    hs->overdue = state_hall_overdue(st, h);
}

state_t *state_create(const cfg_t *cfg, int64_t now_ms)
{
    state_t *st = cw_xcalloc(1, sizeof *st);
    if (!st) return NULL;
    st->cfg = cfg;
    st->now_ms = now_ms;
    state_set_day(st, now_ms);
    st->last_sec = floor_div(now_ms, 1000);
    st->last_min = floor_div(now_ms, 60000);
    st->halls = calloc(cfg->nhalls > 0 ? cfg->nhalls : 1, sizeof *st->halls);
    if (!st->halls) goto fail;
    st->nhalls = cfg->nhalls;
    for (int h = 0; h < st->nhalls; h++) {
        if (state_hall_init(st, h) < 0) goto fail;
        state_bump(st, h);
    }
    return st;
fail:
    state_destroy(st);
    return NULL;
}

void state_destroy(state_t *st)
{
    if (!st) return;
    if (st->halls)
        for (int h = 0; h < st->nhalls; h++)
            state_hall_free(&st->halls[h]);
    free(st->halls);
    free(st);
}

/* ---------------------------------------------------------------- tickets */

state_ticket *state_ticket_new(state_hs *hs, const char *id)
{
    state_ticket *t = cw_xcalloc(1, sizeof *t);
    if (!t) return NULL;
    t->id = cw_xstrdup(id);
    if (!t->id || state_map_put(&hs->tickets, t->id, t) < 0) {
        ticket_free(t);
        return NULL;
    }
    t->st = ST_VOIDED;
    t->window = -1;
    t->channel = t->priority = -1;
    t->issued_ms = t->called_ms = t->started_ms = t->ended_ms = -1;
    t->visit_biz = -1;
    t->widx = -1;
    return t;
}

int state_ticket_enter(state_hs *hs, state_ticket *t, int s)
{
    t->st = s;
    switch (s) {
    case ST_WAITING:
        if (hs->nwaiting == hs->capwaiting) {
            int ncap = hs->capwaiting ? hs->capwaiting * 2 : 64;
            state_ticket **nw = realloc(hs->waiting, (size_t)ncap * sizeof *nw);
            if (!nw) {
                t->st = ST_VOIDED;
                return -1;
            }
            hs->waiting = nw;
            hs->capwaiting = ncap;
        }
        t->widx = hs->nwaiting;
        hs->waiting[hs->nwaiting++] = t;
        hs->biz[t->biz].waiting++;
        break;
    case ST_SERVING:
        hs->serving++;
        break;
    case ST_SUSPENDED:
        hs->suspended++;
        break;
    default:
        break;
    }
    return 0;
}

void state_ticket_leave(state_hs *hs, state_ticket *t)
{
    switch (t->st) {
    case ST_WAITING:
        if (t->widx >= 0) {
            state_ticket *last = hs->waiting[--hs->nwaiting];
            hs->waiting[t->widx] = last;
            last->widx = t->widx;
            t->widx = -1;
            hs->biz[t->biz].waiting--;
        }
        break;
    case ST_SERVING:
        hs->serving--;
        break;
    case ST_SUSPENDED:
        hs->suspended--;
        break;
    default:
        break;
    }
    t->st = ST_VOIDED;
}

static void win_set(state_window *w, int status, int64_t at)
{
    if (w->status != status) {
        w->status = status;
        w->since_ms = at;
    }
}

/* t leaves the window it holds (if it holds one): the window turns open. */
static void win_release(state_hs *hs, state_ticket *t, int64_t at)
{
    if (t->window < 0 || t->window >= hs->nwin) return;
    state_window *w = &hs->win[t->window];
    if (w->ticket != t) return;
    w->ticket = NULL;
    if (w->status == SW_SERVING) win_set(w, SW_OPEN, at);
}

/* t is served at window wi from now on. */
static void win_take(state_hs *hs, int wi, state_ticket *t, int64_t at, const char *staff)
{
    if (t->window != wi) win_release(hs, t, at);
    t->window = wi;
    if (wi < 0 || wi >= hs->nwin) return;
    state_window *w = &hs->win[wi];
    w->ticket = t;
    w->reason = -1;
    win_set(w, SW_SERVING, at);
    if (staff) set_str(&w->staff, staff);
}

static state_window *ev_window(state_hs *hs, const ev_event *ev)
{
    return ev->window >= 0 && ev->window < hs->nwin ? &hs->win[ev->window] : NULL;
}

/* The call at `at` ends t's current wait: record (or replace) its visit. */
static void record_visit(state_t *st, int h, state_ticket *t, int64_t at)
{
    state_hs *hs = &st->halls[h];
    if (!t->entry_known) return;
    int b = t->biz;
    int64_t w = at - t->entered_ms;
    if (w < 0) w = 0;
    if (t->has_visit && t->visit_biz >= 0) {
        state_biz *ob = &hs->biz[t->visit_biz];
        hs->wait_sum_ms -= t->visit_w_ms;
        ob->wait_sum_ms -= t->visit_w_ms;
        state_recs_invalidate(&ob->calls, t->visit_call_ms, t);
        if (t->visit_biz != b) {
            ob->visits--;
            hs->biz[b].visits++;
        }
    } else {
        hs->visits++;
        hs->biz[b].visits++;
    }
    hs->wait_sum_ms += w;
    hs->biz[b].wait_sum_ms += w;
    bool ok = w <= state_sla_ms(&st->cfg->halls[h].biz[b]);
    state_recs_add(&hs->biz[b].calls, st->now_ms, at, w, ok, t);
    t->has_visit = true;
    t->visit_biz = b;
    t->visit_call_ms = at;
    t->visit_w_ms = w;
}

/* A ticket first seen through ev (not ticket.issued), in the state ev implies it was in. */
static state_ticket *ticket_unknown(state_t *st, int h, const ev_event *ev)
{
    state_hs *hs = &st->halls[h];
    const cfg_hall *ch = &st->cfg->halls[h];
    state_ticket *t = state_ticket_new(hs, ev->ticket);
    if (!t) return NULL;
    st->stats.unknown_tickets++;
    t->unknown = true;
    t->entered_ms = ev->at_ms;
    t->biz = 0;
    if (ev->window >= 0 && ev->window < ch->nwindows && ch->windows[ev->window].nbiz > 0) {
        int b = ch->windows[ev->window].biz[0];
        if (b >= 0 && b < hs->nbiz) t->biz = b;
    }
    switch (ev->type) {
    case EV_TICKET_CALLED:
    case EV_TICKET_VOIDED:
        state_ticket_enter(hs, t, ST_WAITING);
        break;
    case EV_TICKET_RESUMED:
        state_ticket_enter(hs, t, ST_SUSPENDED);
        break;
    default:
        state_ticket_enter(hs, t, ST_SERVING);
        win_take(hs, ev->window, t, ev->at_ms, NULL);
        break;
    }
    return t;
}

/* One step per ticket event, SPEC §2's transitions. Each returns false, having changed
 * nothing, for a transition the ticket's state does not allow (apply_ticket counts it); a
 * few tolerated ones (a start without a call, a transfer of a waiting ticket) are applied and
 * counted inside. */
static bool ticket_called(state_t *st, int h, state_hs *hs, state_ticket *t, const ev_event *ev)
{
    int64_t at = ev->at_ms;
    int s = t->st;
    bool active = s == ST_SERVING || s == ST_SUSPENDED;
    state_window *w = ev_window(hs, ev);
    if (s == ST_WAITING) {
        state_ticket_leave(hs, t);
        record_visit(st, h, t, at);
        t->started_ms = -1;
    } else if (active) {
        st->stats.bad_transitions++;
        state_ticket_leave(hs, t);
    } else {
        return false;
    }
    t->called_ms = at;
    state_ticket_enter(hs, t, ST_SERVING);
    win_take(hs, ev->window, t, at, ev->staff);
    if (w) w->calls++;
    return true;
}

static bool ticket_recalled(state_t *st, int h, state_hs *hs, state_ticket *t, const ev_event *ev)
{
    (void)st;
    (void)h;
    (void)hs;
    (void)ev;
    int s = t->st;
    if (s != ST_SERVING) {
        return false;
    }
    t->recalls++;
    return true;
}

static bool ticket_started(state_t *st, int h, state_hs *hs, state_ticket *t, const ev_event *ev)
{
    int64_t at = ev->at_ms;
    int s = t->st;
    if (s == ST_WAITING) {
        st->stats.bad_transitions++;
        state_ticket_leave(hs, t);
        record_visit(st, h, t, at);
        t->called_ms = at;
        state_ticket_enter(hs, t, ST_SERVING);
    } else if (s != ST_SERVING) {
        return false;
    }
    t->started_ms = at;
    win_take(hs, ev->window, t, at, ev->staff);
    return true;
}

static bool ticket_finished(state_t *st, int h, state_hs *hs, state_ticket *t, const ev_event *ev)
{
    (void)h;
    int64_t at = ev->at_ms;
    int s = t->st;
    bool active = s == ST_SERVING || s == ST_SUSPENDED;
    state_window *w = ev_window(hs, ev);
    if (!active) {
        return false;
    }
    int64_t s0 = t->started_ms >= 0 ? t->started_ms : t->called_ms;
    win_release(hs, t, at);
    state_ticket_leave(hs, t);
    state_ticket_enter(hs, t, ST_FINISHED);
    t->ended_ms = at;
    hs->finished++;
    if (w) w->served++;
    if (s0 >= 0) {
        int64_t sv = at - s0 > 0 ? at - s0 : 0;
        hs->svc_n++;
        hs->svc_sum_ms += sv;
        if (w) {
            w->svc_n++;
            w->svc_sum_ms += sv;
        }
        state_recs_add(&hs->biz[t->biz].fins, st->now_ms, at, sv, true, NULL);
    }
    return true;
}

static bool ticket_no_show(state_t *st, int h, state_hs *hs, state_ticket *t, const ev_event *ev)
{
    (void)st;
    (void)h;
    int64_t at = ev->at_ms;
    int s = t->st;
    bool active = s == ST_SERVING || s == ST_SUSPENDED;
    state_window *w = ev_window(hs, ev);
    if (!active) {
        return false;
    }
    hs->no_show++;
    if (w) w->no_show++;
    win_release(hs, t, at);
    state_ticket_leave(hs, t);
    if (ev->action == EV_NOSHOW_RECYCLE) {
        t->called_ms = t->started_ms = -1;
        t->window = -1;
        state_ticket_enter(hs, t, ST_WAITING);
    } else {
        t->ended_ms = at;
        state_ticket_enter(hs, t, ST_NO_SHOW);
    }
    return true;
}

static bool ticket_transferred(state_t *st, int h, state_hs *hs, state_ticket *t,
                               const ev_event *ev)
{
    (void)h;
    int64_t at = ev->at_ms;
    int s = t->st;
    bool active = s == ST_SERVING || s == ST_SUSPENDED;
    if (ev->to_biz < 0 || ev->to_biz >= hs->nbiz || !(active || s == ST_WAITING)) {
        return false;
    }
    if (s == ST_WAITING) st->stats.bad_transitions++;
    win_release(hs, t, at);
    state_ticket_leave(hs, t);
    t->biz = ev->to_biz;
    t->entered_ms = at;
    t->entry_known = true;
    t->has_visit = false;
    t->visit_biz = -1;
    t->called_ms = t->started_ms = -1;
    t->window = -1;
    state_ticket_enter(hs, t, ST_WAITING);
    return true;
}

static bool ticket_suspended(state_t *st, int h, state_hs *hs, state_ticket *t, const ev_event *ev)
{
    (void)st;
    (void)h;
    int64_t at = ev->at_ms;
    int s = t->st;
    if (s != ST_SERVING) {
        return false;
    }
    win_release(hs, t, at);
    state_ticket_leave(hs, t);
    state_ticket_enter(hs, t, ST_SUSPENDED);
    return true;
}

static bool ticket_resumed(state_t *st, int h, state_hs *hs, state_ticket *t, const ev_event *ev)
{
    (void)st;
    (void)h;
    int64_t at = ev->at_ms;
    int s = t->st;
    if (s != ST_SUSPENDED) {
        return false;
    }
    state_ticket_leave(hs, t);
    state_ticket_enter(hs, t, ST_SERVING);
    win_take(hs, ev->window, t, at, ev->staff);
    return true;
}

static bool ticket_voided(state_t *st, int h, state_hs *hs, state_ticket *t, const ev_event *ev)
{
    (void)st;
    (void)h;
    int64_t at = ev->at_ms;
    int s = t->st;
    bool active = s == ST_SERVING || s == ST_SUSPENDED;
    if (!(active || s == ST_WAITING)) {
        return false;
    }
    win_release(hs, t, at);
    state_ticket_leave(hs, t);
    t->ended_ms = at;
    state_ticket_enter(hs, t, ST_VOIDED);
    return true;
}

static void apply_ticket(state_t *st, int h, const ev_event *ev)
{
    state_hs *hs = &st->halls[h];
    int64_t at = ev->at_ms;
    if (!ev->ticket || hs->nbiz == 0) {
        st->stats.bad_transitions++;
        return;
    }
    state_ticket *t = state_map_get(&hs->tickets, ev->ticket);
    if (ev->type == EV_TICKET_ISSUED) {
        if (t || ev->biz < 0 || ev->biz >= hs->nbiz) {
            st->stats.bad_transitions++;
            return;
        }
        t = state_ticket_new(hs, ev->ticket);
        if (!t) return;
        t->biz = ev->biz;
        t->channel = ev->channel;
        t->priority = ev->priority;
        t->issued_ms = t->entered_ms = at;
        t->entry_known = true;
        state_ticket_enter(hs, t, ST_WAITING);
        hs->issued++;
        hs->biz[t->biz].issued++;
        return;
    }
    if (!t && !(t = ticket_unknown(st, h, ev))) return;
    bool (*step)(state_t *, int, state_hs *, state_ticket *, const ev_event *) = NULL;
    switch (ev->type) {
    case EV_TICKET_CALLED:
        step = ticket_called;
        break;
    case EV_TICKET_RECALLED:
        step = ticket_recalled;
        break;
    case EV_TICKET_STARTED:
        step = ticket_started;
        break;
    case EV_TICKET_FINISHED:
        step = ticket_finished;
        break;
    case EV_TICKET_NO_SHOW:
        step = ticket_no_show;
        break;
    case EV_TICKET_TRANSFERRED:
        step = ticket_transferred;
        break;
    case EV_TICKET_SUSPENDED:
        step = ticket_suspended;
        break;
    case EV_TICKET_RESUMED:
        step = ticket_resumed;
        break;
    case EV_TICKET_VOIDED:
        step = ticket_voided;
        break;
    default:
        return;
    }
    if (!step(st, h, hs, t, ev)) st->stats.bad_transitions++;
}

/* ---------------------------------------------------------------- windows, cameras */

static void apply_window(state_hs *hs, const ev_event *ev)
{
    state_window *w = ev_window(hs, ev);
    int64_t at = ev->at_ms;
    if (!w) return;
    switch (ev->type) {
    case EV_WINDOW_OPENED:
        if (ev->staff) set_str(&w->staff, ev->staff);
        if (w->status == SW_CLOSED || w->status == SW_PAUSED) {
            win_set(w, w->ticket ? SW_SERVING : SW_OPEN, at);
            w->reason = -1;
        }
        break;
    case EV_WINDOW_PAUSED:
        win_set(w, SW_PAUSED, at);
        w->reason = ev->pause_reason;
        break;
    case EV_WINDOW_RESUMED:
        if (w->status == SW_PAUSED) {
            win_set(w, w->ticket ? SW_SERVING : SW_OPEN, at);
            w->reason = -1;
        }
        break;
    case EV_WINDOW_CLOSED:
        win_set(w, SW_CLOSED, at);
        free(w->staff);
        w->staff = NULL;
        w->ticket = NULL;
        w->reason = -1;
        break;
    default:
        break;
    }
}

static void apply_camera(state_hs *hs, const ev_event *ev)
{
    if (ev->camera < 0 || ev->camera >= hs->ncam) return;
    state_cam *c = &hs->cam[ev->camera];
    if (c->status != ev->cam_status) {
        c->status = ev->cam_status;
        c->since_ms = ev->at_ms;
    }
    if (ev->main_url) set_str(&c->main_url, ev->main_url);
    if (ev->sub_url) set_str(&c->sub_url, ev->sub_url);
}

/* ---------------------------------------------------------------- reviews, cases */

int state_review_push(state_hs *hs, const state_review *r)
{
    int pos = 0;
    while (pos < hs->nlast && hs->last[pos].at_ms > r->at_ms)
        pos++;
    if (pos >= STATE_LAST_REVIEWS) {
        state_review tmp = *r;
        state_review_clear(&tmp);
        return 0;
    }
    if (hs->nlast == STATE_LAST_REVIEWS) state_review_clear(&hs->last[--hs->nlast]);
    memmove(&hs->last[pos + 1], &hs->last[pos], (size_t)(hs->nlast - pos) * sizeof *hs->last);
    hs->last[pos] = *r;
    hs->nlast++;
    return 0;
}

int state_case_add(state_hs *hs, state_case *c)
{
    if (hs->ncases == hs->capcases) {
        int ncap = hs->capcases ? hs->capcases * 2 : 16;
        state_case **nc = realloc(hs->cases, (size_t)ncap * sizeof *nc);
        if (!nc) return -1;
        hs->cases = nc;
        hs->capcases = ncap;
    }
    if (state_map_put(&hs->cases_map, c->review, c) < 0) return -1;
    hs->cases[hs->ncases++] = c;
    return 0;
}

static void count_review(state_hs *hs, int level, int sign)
{
    hs->rv_n += sign;
    hs->rv_level_sum += sign * level;
    if (level >= 4) hs->rv_good += sign;
    if (level >= 3) hs->rv_sat += sign;
    if (level <= 2) hs->rv_bad += sign;
}

static void apply_review(state_t *st, int h, const ev_event *ev)
{
    state_hs *hs = &st->halls[h];
    const cfg_hall *ch = &st->cfg->halls[h];
    if (!ev->review || ev->level < 1 || ev->level > 5) return;
    if (state_map_get(&hs->review_ids, ev->review) || state_map_get(&hs->cases_map, ev->review))
        return;
    char *key = cw_xstrdup(ev->review);
    if (!key || state_map_put(&hs->review_ids, key, key) < 0) {
        free(key);
        return;
    }
    count_review(hs, ev->level, 1);

    state_review r = {0};
    r.id = cw_xstrdup(ev->review);
    r.level = ev->level;
    r.at_ms = ev->at_ms;
    r.channel = ev->channel;
    r.window = ev->window >= 0 && ev->window < ch->nwindows ? cw_xstrdup(ch->windows[ev->window].id)
                                                            : NULL;
    r.staff = dup_or_null(ev->staff);
    r.comment = ev->comment ? pii_mask(ev->comment) : NULL;
    r.real_name = ev->real_name;
    state_review_push(hs, &r);

    if (ev->level > 2) return;
    state_case *c = cw_xcalloc(1, sizeof *c);
    if (!c || !(c->review = cw_xstrdup(ev->review))) goto fail;
    c->level = ev->level;
    c->date = st->day;
    c->at_ms = ev->at_ms;
    c->state = EV_CASE_ASSIGNED;
    c->real_name = ev->real_name;
    c->contact_deadline_ms =
        ev->real_name ? state_deadline(st, h, ev->at_ms, st->cfg->case_contact_days) : -1;
    c->rectify_deadline_ms = state_deadline(st, h, ev->at_ms, st->cfg->case_rectify_days);
    if (state_case_add(hs, c) < 0) goto fail;
    return;
fail:
    case_free(c);
}

static void case_set_upheld(state_t *st, state_hs *hs, state_case *c, bool upheld)
{
    if (c->upheld == upheld) return;
    c->upheld = upheld;
    if (c->date == st->day) count_review(hs, c->level, upheld ? -1 : 1);
    for (int i = 0; i < hs->nlast; i++)
        if (strcmp(hs->last[i].id, c->review) == 0) hs->last[i].upheld = upheld;
}

static void apply_case(state_t *st, state_hs *hs, const ev_event *ev)
{
    state_case *c = ev->review ? state_map_get(&hs->cases_map, ev->review) : NULL;
    if (!c) return;
    switch (ev->case_state) {
    case EV_CASE_CONTACTED:
        c->contacted = true;
        c->state = EV_CASE_CONTACTED;
        break;
    case EV_CASE_APPEAL_UPHELD:
        c->state = EV_CASE_APPEAL_UPHELD;
        case_set_upheld(st, hs, c, true);
        break;
    case EV_CASE_APPEAL_REJECTED:
        c->state = EV_CASE_RECTIFYING;
        case_set_upheld(st, hs, c, false);
        break;
    case EV_CASE_ASSIGNED:
    case EV_CASE_RECTIFYING:
    case EV_CASE_CLOSED:
    case EV_CASE_APPEALED:
        c->state = ev->case_state;
        break;
    default:
        break;
    }
}

/* ---------------------------------------------------------------- events, time */

static void rollover(state_t *st, int64_t now_ms)
{
    state_set_day(st, now_ms);
    for (int h = 0; h < st->nhalls; h++) {
        day_reset_hall(st, h);
        state_bump(st, h);
    }
}

void state_apply(state_t *st, const ev_event *ev, int64_t recv_ms)
{
    (void)recv_ms;
    if (ev->hall < 0 || ev->hall >= st->nhalls) return;
    int h = ev->hall;
    state_hs *hs = &st->halls[h];
    if (ev->at_ms < st->day_start_ms) {
        st->stats.late_events++;
        return;
    }
    if (ev->at_ms >= st->day_end_ms)
        state_advance(st, ev->at_ms);
    else if (ev->at_ms > st->now_ms)
        st->now_ms = ev->at_ms;
    st->stats.applied++;
    if (ev->at_ms > hs->last_event_ms) hs->last_event_ms = ev->at_ms;

    switch (ev->type) {
    case EV_TICKET_ISSUED:
    case EV_TICKET_CALLED:
    case EV_TICKET_RECALLED:
    case EV_TICKET_STARTED:
    case EV_TICKET_FINISHED:
    case EV_TICKET_NO_SHOW:
    case EV_TICKET_TRANSFERRED:
    case EV_TICKET_SUSPENDED:
    case EV_TICKET_RESUMED:
    case EV_TICKET_VOIDED:
        apply_ticket(st, h, ev);
        break;
    case EV_WINDOW_OPENED:
    case EV_WINDOW_PAUSED:
    case EV_WINDOW_RESUMED:
    case EV_WINDOW_CLOSED:
        apply_window(hs, ev);
        break;
    case EV_REVIEW_SUBMITTED:
        apply_review(st, h, ev);
        break;
    case EV_REVIEW_CASE:
        apply_case(st, hs, ev);
        break;
    case EV_CAMERA_STATUS:
        apply_camera(hs, ev);
        break;
    default:
        break;
    }
    state_bump(st, h);
}

/* Time moved by a business second: does hall h show anything that depends on it? */
static bool tick_hall(state_t *st, int h)
{
    state_hs *hs = &st->halls[h];
    bool changed = hs->nwaiting > 0;
    for (int w = 0; w < hs->nwin && !changed; w++)
        if (hs->win[w].status == SW_SERVING) changed = true;
    for (int b = 0; b < hs->nbiz; b++) {
        if (state_recs_prune(&hs->biz[b].calls, st->now_ms)) changed = true;
        if (state_recs_prune(&hs->biz[b].fins, st->now_ms)) changed = true;
    }
    int od = state_hall_overdue(st, h);
    if (od != hs->overdue) {
        hs->overdue = od;
        changed = true;
    }
    bool closed = !state_hall_open(st, h);
    if (closed != hs->was_closed) {
        hs->was_closed = closed;
        changed = true;
    }
    return changed;
}

bool state_advance(state_t *st, int64_t now_ms)
{
    bool changed = false;
    if (now_ms < st->now_ms) now_ms = st->now_ms;
    st->now_ms = now_ms;
    if (now_ms >= st->day_end_ms) {
        rollover(st, now_ms);
        changed = true;
    }
    int64_t sec = floor_div(now_ms, 1000), min = floor_div(now_ms, 60000);
    if (sec == st->last_sec && min == st->last_min) return changed;
    bool new_min = min != st->last_min;
    st->last_sec = sec;
    st->last_min = min;
    for (int h = 0; h < st->nhalls; h++) {
        if (tick_hall(st, h) || new_min) {
            state_bump(st, h);
            changed = true;
        }
    }
    return changed;
}

int64_t state_now(const state_t *st)
{
    return st->now_ms;
}

int state_day(const state_t *st)
{
    return st->day;
}

void state_add_closure(state_t *st, int hall, int64_t from_ms, int64_t to_ms, const char *reason)
{
    if (hall < 0 || hall >= st->nhalls || to_ms <= from_ms) return;
    state_hs *hs = &st->halls[hall];
    state_closure *nc = realloc(hs->closures, (size_t)(hs->nclosures + 1) * sizeof *nc);
    if (!nc) return;
    hs->closures = nc;
    nc[hs->nclosures].from_ms = from_ms;
    nc[hs->nclosures].to_ms = to_ms;
    nc[hs->nclosures].reason = dup_or_null(reason);
    hs->nclosures++;
    state_bump(st, hall);
}

uint64_t state_city_version(const state_t *st)
{
    return st->ver;
}

uint64_t state_hall_version(const state_t *st, int hall)
{
    return hall >= 0 && hall < st->nhalls ? st->halls[hall].ver : 0;
}

void state_get_stats(const state_t *st, state_stats *out)
{
    *out = st->stats;
    out->tickets = 0;
    for (int h = 0; h < st->nhalls; h++)
        out->tickets += (int)st->halls[h].tickets.n;
}

int state_reset_halls(state_t *st)
{
    for (int h = 0; h < st->nhalls; h++)
        state_hall_free(&st->halls[h]);
    free(st->halls);
    st->nhalls = 0;
    st->halls = calloc(st->cfg->nhalls > 0 ? st->cfg->nhalls : 1, sizeof *st->halls);
    if (!st->halls) return -1;
    st->nhalls = st->cfg->nhalls;
    for (int h = 0; h < st->nhalls; h++)
        if (state_hall_init(st, h) < 0) return -1;
    return 0;
}
