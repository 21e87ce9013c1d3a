/* state_query: read-only figures of the live state for the alert rules (see state.h, "for the
 * alert rules"), and the alert status that the alerts module sets on a hall. Pointers handed
 * out borrow the state's strings: they are valid until the next state change. */
#include "state_internal.h"

#include <string.h>

_Static_assert((int)STATE_WIN_CLOSED == (int)SW_CLOSED && (int)STATE_WIN_OPEN == (int)SW_OPEN &&
                   (int)STATE_WIN_SERVING == (int)SW_SERVING &&
                   (int)STATE_WIN_PAUSED == (int)SW_PAUSED,
               "public window status values follow enum state_wstatus");

static bool hall_ok(const state_t *st, int h)
{
    return h >= 0 && h < st->nhalls;
}

void state_set_alert_status(state_t *st, int hall, int status)
{
    if (!hall_ok(st, hall) || st->halls[hall].alert_status == status) return;
    st->halls[hall].alert_status = status;
    state_bump(st, hall);
}

void state_query_biz(state_t *st, int hall, state_qbiz *out)
{
    if (!hall_ok(st, hall)) return;
    const cfg_hall *ch = &st->cfg->halls[hall];
    state_hs *hs = &st->halls[hall];
    int64_t now = st->now_ms;
    for (int b = 0; b < hs->nbiz; b++) {
        memset(&out[b], 0, sizeof out[b]);
        out[b].max_wait_ms = -1;
    }
    for (int i = 0; i < hs->nwaiting; i++) {
        const state_ticket *t = hs->waiting[i];
        if (t->biz < 0 || t->biz >= hs->nbiz) continue;
        state_qbiz *f = &out[t->biz];
        int64_t w = now - t->entered_ms;
        if (w < 0) w = 0;
        f->waiting++;
        if (w > f->max_wait_ms) f->max_wait_ms = w;
        if (w > state_sla_ms(&ch->biz[t->biz])) f->over_sla++;
        if (!t->entry_known) continue;
        /* keep the STATE_QUERY_TOP earliest entries, earliest first */
        int pos = f->ntop;
        while (pos > 0 && (f->top[pos - 1].entered_ms > t->entered_ms ||
                           (f->top[pos - 1].entered_ms == t->entered_ms &&
                            strcmp(f->top[pos - 1].id, t->id) > 0)))
            pos--;
        if (pos >= STATE_QUERY_TOP) continue;
        int last = f->ntop < STATE_QUERY_TOP ? f->ntop : STATE_QUERY_TOP - 1;
        memmove(&f->top[pos + 1], &f->top[pos], (size_t)(last - pos) * sizeof f->top[0]);
        f->top[pos] = (state_qticket){.id = t->id, .entered_ms = t->entered_ms};
        if (f->ntop < STATE_QUERY_TOP) f->ntop++;
    }
    for (int b = 0; b < hs->nbiz; b++) {
        state_recs_prune(&hs->biz[b].calls, now);
        out[b].sl_n = hs->biz[b].calls.wn;
        out[b].sl_ok = hs->biz[b].calls.wok;
        out[b].staffed = state_staffed_for(st, hall, b);
    }
}

int state_query_window(const state_t *st, int hall, int w, state_qwindow *out)
{
    if (!hall_ok(st, hall) || w < 0 || w >= st->halls[hall].nwin) return -1;
    const state_window *sw = &st->halls[hall].win[w];
    memset(out, 0, sizeof *out);
    out->status = sw->status;
    out->since_ms = sw->since_ms;
    out->reason = sw->status == SW_PAUSED ? sw->reason : -1;
    out->staff = sw->staff;
    out->ticket_biz = -1;
    out->ticket_start_ms = -1;
    if (sw->ticket) {
        const state_ticket *t = sw->ticket;
        out->ticket = t->id;
        out->ticket_biz = t->biz;
        out->ticket_start_ms = t->started_ms >= 0 ? t->started_ms : t->called_ms;
        out->ticket_recalls = t->recalls;
    }
    out->calls = sw->calls;
    out->no_show = sw->no_show;
    out->served = sw->served;
    return 0;
}

int state_query_camera(const state_t *st, int hall, int c, int *status, int64_t *since_ms)
{
    if (!hall_ok(st, hall) || c < 0 || c >= st->halls[hall].ncam) return -1;
    *status = st->halls[hall].cam[c].status;
    *since_ms = st->halls[hall].cam[c].since_ms;
    return 0;
}

int64_t state_query_last_event(const state_t *st, int hall)
{
    return hall_ok(st, hall) ? st->halls[hall].last_event_ms : -1;
}

void state_query_reviews(const state_t *st, int hall, int64_t *n, int64_t *good)
{
    *n = *good = 0;
    if (!hall_ok(st, hall)) return;
    *n = st->halls[hall].rv_n;
    *good = st->halls[hall].rv_good;
}

static void fill_case(const state_t *st, const state_case *c, state_qcase *out)
{
    out->review = c->review;
    out->level = c->level;
    out->at_ms = c->at_ms;
    out->state = c->state;
    out->real_name = c->real_name;
    out->contacted = c->contacted;
    out->upheld = c->upheld;
    out->overdue = state_case_overdue(c, st->now_ms);
    out->contact_deadline_ms = c->contact_deadline_ms;
    out->rectify_deadline_ms = c->rectify_deadline_ms;
}

void state_query_cases(const state_t *st, int hall, void (*fn)(void *ud, const state_qcase *c),
                       void *ud)
{
    if (!hall_ok(st, hall)) return;
    const state_hs *hs = &st->halls[hall];
    for (int i = 0; i < hs->ncases; i++) {
        state_qcase q;
        fill_case(st, hs->cases[i], &q);
        fn(ud, &q);
    }
}

int state_query_case(const state_t *st, int hall, const char *review, state_qcase *out)
{
    if (!hall_ok(st, hall) || !review) return -1;
    const state_case *c = state_map_get(&st->halls[hall].cases_map, review);
    if (!c) return -1;
    fill_case(st, c, out);
    return 0;
}

void state_query_services(const state_t *st, int hall, void (*fn)(void *ud, int biz, int64_t s_ms),
                          void *ud)
{
    if (!hall_ok(st, hall)) return;
    const state_hs *hs = &st->halls[hall];
    for (uint32_t i = 0; i < hs->tickets.cap; i++) {
        const state_ticket *t = hs->tickets.e[i].key ? hs->tickets.e[i].val : NULL;
        if (!t || t->st != ST_FINISHED || t->ended_ms < 0) continue;
        int64_t s0 = t->started_ms >= 0 ? t->started_ms : t->called_ms;
        if (s0 < 0 || t->biz < 0 || t->biz >= hs->nbiz) continue;
        fn(ud, t->biz, t->ended_ms > s0 ? t->ended_ms - s0 : 0);
    }
}
