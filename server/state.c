/* state: the live state of every hall for the current business day (see state.h).
 *
 * This file holds a hall's life (init, reset, free), applying an event (dispatch to the
 * transitions), business time and the day rollover; the queue's transitions are in
 * state_ticket.c, reviews and cases in state_review.c, the ticket map in state_map.c, the KPI
 * formulas in state_kpi.c, the topic documents in state_doc.c and serialisation in
 * state_save.c / state_bin.c. The structures and their invariants are in state_internal.h.
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

/* ---------------------------------------------------------------- helpers */

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

static void free_tickets(state_hs *hs)
{
    for (uint32_t i = 0; i < hs->tickets.cap; i++)
        if (hs->tickets.e[i].key) state_ticket_free(hs->tickets.e[i].val);
    state_map_free(&hs->tickets);
    hs->nwaiting = 0;
}

static void free_review_ids(state_hs *hs)
{
    for (uint32_t i = 0; i < hs->review_ids.cap; i++)
        if (hs->review_ids.e[i].key) free(hs->review_ids.e[i].val);
    state_map_free(&hs->review_ids);
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
        state_case_free(hs->cases[i]);
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
            state_case_free(c);
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
        state_apply_ticket(st, h, ev);
        break;
    case EV_WINDOW_OPENED:
    case EV_WINDOW_PAUSED:
    case EV_WINDOW_RESUMED:
    case EV_WINDOW_CLOSED:
        state_apply_window(hs, ev);
        break;
    case EV_REVIEW_SUBMITTED:
        state_apply_review(st, h, ev);
        break;
    case EV_REVIEW_CASE:
        state_apply_case(st, hs, ev);
        break;
    case EV_CAMERA_STATUS:
        state_apply_camera(hs, ev);
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
    nc[hs->nclosures].reason = cw_xstrdup(reason);
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
