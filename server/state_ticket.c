/* state_ticket: the queue's transitions -- tickets through issued, called, serving, suspended,
 * finished, no-show, transferred and voided; windows opened, paused and closed; cameras up and
 * down. The decisions where SPEC §2/§5 is silent are listed at the top of state.c.
 *
 * Thread: service thread (the state's owner). */
#include "state_internal.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* *dst replaced by a copy of src unless equal (NULL allowed). */
static void set_str(char **dst, const char *src)
{
    if (src && *dst && strcmp(*dst, src) == 0) return;
    free(*dst);
    *dst = cw_xstrdup(src);
}

void state_ticket_free(state_ticket *t)
{
    if (!t) return;
    free(t->id);
    free(t);
}

/* ---------------------------------------------------------------- tickets */

state_ticket *state_ticket_new(state_hs *hs, const char *id)
{
    state_ticket *t = cw_xcalloc(1, sizeof *t);
    if (!t) return NULL;
    t->id = cw_xstrdup(id);
    if (!t->id || state_map_put(&hs->tickets, t->id, t) < 0) {
        state_ticket_free(t);
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
 * nothing, for a transition the ticket's state does not allow (state_apply_ticket counts it); a
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

void state_apply_ticket(state_t *st, int h, const ev_event *ev)
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

void state_apply_window(state_hs *hs, const ev_event *ev)
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

void state_apply_camera(state_hs *hs, const ev_event *ev)
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
