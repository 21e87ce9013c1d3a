/* stats_fold_review: window sign-ins (考勤), reviews (好差评) and their cases into the roll-up
 * tables (see stats.h). */
#include <stdio.h>
#include <string.h>

#include "stats_fold_internal.h"
#include "workcal.h"

/* ---- windows ------------------------------------------------------------------------------ */

static const char *window_id(const stats_fold *f, const ev_event *ev)
{
    const cfg_hall *h = &f->cfg->halls[ev->hall];
    return ev->window >= 0 && ev->window < h->nwindows ? h->windows[ev->window].id : "";
}

/* A window's record: from the batch's cache, else from stats_windows (then cached). */
static int get_window(stats_fold *f, const ev_event *ev, fold_window *w)
{
    fold_rec *r = fold_rec_find(f, FR_WINDOW, ev->hall_id, 0, window_id(f, ev));
    if (r) {
        *w = r->u.w;
        return 0;
    }
    sqlite3_stmt *st = f->st[FS_GET_WINDOW];
    fold_text(st, 1, ev->hall_id);
    fold_text(st, 2, window_id(f, ev));
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        fold_copy(w->staff, st, 0);
        w->open_ms = sqlite3_column_int64(st, 1);
        w->pause_ms = sqlite3_column_int64(st, 2);
        w->reason = sqlite3_column_int(st, 3);
    } else {
        memset(w, 0, sizeof *w);
        w->open_ms = w->pause_ms = -1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return rc;
    if (!(r = fold_rec_make(f, FR_WINDOW, ev->hall_id, 0, window_id(f, ev)))) return SQLITE_NOMEM;
    r->u.w = *w;
    r->absent = rc != SQLITE_ROW;
    return 0;
}

static int put_window(stats_fold *f, const ev_event *ev, const fold_window *w)
{
    fold_rec *r = fold_rec_make(f, FR_WINDOW, ev->hall_id, 0, window_id(f, ev));
    if (!r) return SQLITE_NOMEM;
    r->u.w = *w;
    r->dirty = true;
    r->absent = false;
    return 0;
}

int fold_window_staff(stats_fold *f, const ev_event *ev, char *staff)
{
    if (ev->staff) {
        fold_id_copy(staff, FOLD_ID, ev->staff);
        return 0;
    }
    fold_window w;
    int rc = get_window(f, ev, &w);
    fold_id_copy(staff, FOLD_ID, rc ? "" : w.staff);
    return rc;
}

/* A pause ends at `at`; its minutes count on the day it began, up to that day's end. */
static int end_pause(stats_fold *f, const ev_event *ev, fold_window *w, int64_t at)
{
    if (w->pause_ms < 0) return 0;
    int64_t end = fold_day_end(w->pause_ms);
    if (at < end) end = at;
    int col = SC_PAUSE_LUNCH_MS + (w->reason >= 0 && w->reason <= EV_PAUSE_OTHER ? w->reason : 3);
    fold_key k = {fold_day(w->pause_ms), ev->hall_id, "", window_id(f, ev), w->staff, "", ""};
    int64_t ms = end > w->pause_ms ? end - w->pause_ms : 0;
    w->pause_ms = -1;
    return fold_add1(f, &k, col, ms);
}

/* A sign-in ends at `at` (closed, or signed in again); it counts on the day it began, up to
 * that day's end (a window left open over midnight is cut there). */
static int end_signin(stats_fold *f, const ev_event *ev, fold_window *w, int64_t at)
{
    int rc = end_pause(f, ev, w, at);
    if (rc || w->open_ms < 0) return rc;
    int64_t end = fold_day_end(w->open_ms);
    if (at < end) end = at;
    fold_key k = {fold_day(w->open_ms), ev->hall_id, "", window_id(f, ev), w->staff, "", ""};
    int64_t ms = end > w->open_ms ? end - w->open_ms : 0;
    w->open_ms = -1;
    return fold_add1(f, &k, SC_SIGNED_MS, ms);
}

int fold_window_event(stats_fold *f, const ev_event *ev)
{
    fold_window w;
    int rc = get_window(f, ev, &w);
    if (rc) return rc;
    switch (ev->type) {
    case EV_WINDOW_OPENED:
        if ((rc = end_signin(f, ev, &w, ev->at_ms))) return rc;
        w.open_ms = ev->at_ms;
        fold_id_copy(w.staff, FOLD_ID, ev->staff ? ev->staff : "");
        break;
    case EV_WINDOW_PAUSED:
        if (w.open_ms < 0 || w.pause_ms >= 0) return 0;
        w.pause_ms = ev->at_ms;
        w.reason = ev->pause_reason;
        break;
    case EV_WINDOW_RESUMED:
        if ((rc = end_pause(f, ev, &w, ev->at_ms))) return rc;
        break;
    default: /* closed */
        if ((rc = end_signin(f, ev, &w, ev->at_ms))) return rc;
        w.staff[0] = 0;
        break;
    }
    return put_window(f, ev, &w);
}

/* ---- reviews and cases -------------------------------------------------------------------- */

enum { RF_CONTACTED = 1, RF_ON_TIME = 2, RF_UPHELD = 4 };

typedef struct fold_review {
    int day, level, flags;
    char biz[FOLD_ID], win[FOLD_ID], staff[FOLD_ID], channel[FOLD_ID], item[FOLD_ID];
    int64_t due_ms;
} fold_review_t;

static int get_review(stats_fold *f, const ev_event *ev, fold_review_t *r)
{
    sqlite3_stmt *st = f->st[FS_GET_REVIEW];
    fold_text(st, 1, ev->hall_id);
    fold_text(st, 2, ev->review);
    int rc = sqlite3_step(st), found = rc == SQLITE_ROW;
    if (found) {
        r->day = sqlite3_column_int(st, 0);
        fold_copy(r->biz, st, 1);
        fold_copy(r->win, st, 2);
        fold_copy(r->staff, st, 3);
        fold_copy(r->channel, st, 4);
        fold_copy(r->item, st, 5);
        r->level = sqlite3_column_int(st, 6);
        r->due_ms = sqlite3_column_int64(st, 7);
        r->flags = sqlite3_column_int(st, 8);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return -rc;
    return found;
}

static int put_review(stats_fold *f, const ev_event *ev, const fold_review_t *r)
{
    sqlite3_stmt *st = f->st[FS_PUT_REVIEW];
    fold_text(st, 1, ev->hall_id);
    fold_text(st, 2, ev->review);
    sqlite3_bind_int(st, 3, r->day);
    fold_text(st, 4, r->biz);
    fold_text(st, 5, r->win);
    fold_text(st, 6, r->staff);
    fold_text(st, 7, r->channel);
    fold_text(st, 8, r->item);
    sqlite3_bind_int(st, 9, r->level);
    sqlite3_bind_int64(st, 10, r->due_ms);
    sqlite3_bind_int(st, 11, r->flags);
    return fold_done(st);
}

/* The review's counters, times sign (+1 counted, -1 removed by an upheld appeal). */
static int count_review(stats_fold *f, const ev_event *ev, const fold_review_t *r, int sign)
{
    fold_key k = {r->day, ev->hall_id, r->biz, r->win, r->staff, r->channel, r->item};
    int64_t d[SC__COUNT] = {0};
    d[SC_REVIEWS] = sign;
    d[SC_GOOD] = sign * (r->level >= 4);
    d[SC_SATISFIED] = sign * (r->level >= 3);
    d[SC_BAD] = sign * (r->level <= 2);
    d[SC_LEVEL_SUM] = sign * r->level;
    d[SC_CONTACTED] = sign * ((r->flags & RF_CONTACTED) != 0);
    int rc = fold_add(f, &k, d);
    if (rc || r->level > 2) return rc;
    fold_key due = k;
    due.day = fold_day(r->due_ms);
    int64_t e[SC__COUNT] = {0};
    e[SC_BAD_DUE] = sign;
    e[SC_RECT_ON_TIME] = sign * ((r->flags & RF_ON_TIME) != 0);
    return fold_add(f, &due, e);
}

int fold_review(stats_fold *f, const ev_event *ev, int day)
{
    fold_review_t r = {.day = day, .level = ev->level};
    int found = get_review(f, ev, &r);
    if (found) return found < 0 ? -found : 0; /* a review id counts once */
    const cfg_hall *h = &f->cfg->halls[ev->hall];
    fold_id_copy(r.win, FOLD_ID, window_id(f, ev));
    int rc = ev->staff || ev->window >= 0 ? fold_window_staff(f, ev, r.staff) : 0;
    if (rc) return rc;
    if (ev->ticket) { /* the visit it rates gives its biz, channel and item */
        fold_ticket t;
        int found;
        if ((rc = fold_get_ticket(f, ev->hall_id, day, ev->ticket, &t, &found))) return rc;
        if (found) {
            fold_id_copy(r.biz, FOLD_ID, t.biz);
            fold_id_copy(r.channel, FOLD_ID, t.channel);
            fold_id_copy(r.item, FOLD_ID, t.item);
        }
    }
    if (ev->item) fold_id_copy(r.item, FOLD_ID, ev->item);
    r.due_ms = ev->level <= 2
                   ? workcal_add_days(f->cfg, &h->hours, ev->at_ms, f->cfg->case_rectify_days)
                   : -1;
    if ((rc = count_review(f, ev, &r, 1))) return rc;
    return put_review(f, ev, &r);
}

int fold_case(stats_fold *f, const ev_event *ev)
{
    fold_review_t r;
    int found = get_review(f, ev, &r), rc = 0;
    if (found <= 0) return found < 0 ? -found : 0;
    fold_key k = {r.day, ev->hall_id, r.biz, r.win, r.staff, r.channel, r.item};
    bool upheld = r.flags & RF_UPHELD, bad = r.level <= 2;
    switch (ev->case_state) {
    case EV_CASE_CONTACTED:
    case EV_CASE_RECTIFYING:
    case EV_CASE_CLOSED:
        /* 回访: the case was in state `contacted` (a case closed without it was not) */
        if (bad && ev->case_state == EV_CASE_CONTACTED && !(r.flags & RF_CONTACTED)) {
            r.flags |= RF_CONTACTED;
            if (!upheld) rc = fold_add1(f, &k, SC_CONTACTED, 1);
        }
        if (!rc && bad && ev->case_state == EV_CASE_CLOSED && !(r.flags & RF_ON_TIME) &&
            ev->at_ms <= r.due_ms) {
            r.flags |= RF_ON_TIME;
            fold_key due = k;
            due.day = fold_day(r.due_ms);
            if (!upheld) rc = fold_add1(f, &due, SC_RECT_ON_TIME, 1);
        }
        break;
    case EV_CASE_APPEALED:
        rc = fold_add1(f, &k, SC_APPEALED, 1);
        break;
    case EV_CASE_APPEAL_UPHELD:
        if (upheld) return 0;
        if (!(rc = count_review(f, ev, &r, -1))) rc = fold_add1(f, &k, SC_UPHELD, 1);
        r.flags |= RF_UPHELD;
        break;
    case EV_CASE_APPEAL_REJECTED:
        rc = fold_add1(f, &k, SC_APPEAL_REJECTED, 1);
        if (!rc && upheld) { /* a later decision reverses an upheld appeal */
            r.flags &= ~RF_UPHELD;
            rc = count_review(f, ev, &r, 1);
        }
        break;
    default:
        return 0;
    }
    return rc ? rc : put_review(f, ev, &r);
}
