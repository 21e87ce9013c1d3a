/* stats_fold: one event into the roll-up tables (see stats.h for the design). The ticket and
 * window events are here; reviews and their cases in stats_fold_review.c. */
#include "stats_fold_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "event.h"
#include "xalloc.h"

const char *const stats_col_names[SC__COUNT] = {"issued",
                                                "calls",
                                                "wait_n",
                                                "wait_ms",
                                                "finished",
                                                "done",
                                                "supplement",
                                                "svc_n",
                                                "svc_ms",
                                                "no_show",
                                                "transferred",
                                                "reviews",
                                                "good",
                                                "satisfied",
                                                "bad",
                                                "level_sum",
                                                "bad_due",
                                                "rect_on_time",
                                                "contacted",
                                                "appealed",
                                                "upheld",
                                                "appeal_rejected",
                                                "signed_ms",
                                                "pause_lunch_ms",
                                                "pause_break_ms",
                                                "pause_meeting_ms",
                                                "pause_other_ms"};
const char *const stats_dim_names[SD__COUNT] = {"hall", "biz", "win", "staff", "channel", "item"};

#define COUNTERS                                                                                   \
    " issued INTEGER NOT NULL DEFAULT 0, calls INTEGER NOT NULL DEFAULT 0,"                        \
    " wait_n INTEGER NOT NULL DEFAULT 0, wait_ms INTEGER NOT NULL DEFAULT 0,"                      \
    " finished INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0,"                       \
    " supplement INTEGER NOT NULL DEFAULT 0, svc_n INTEGER NOT NULL DEFAULT 0,"                    \
    " svc_ms INTEGER NOT NULL DEFAULT 0, no_show INTEGER NOT NULL DEFAULT 0,"                      \
    " transferred INTEGER NOT NULL DEFAULT 0, reviews INTEGER NOT NULL DEFAULT 0,"                 \
    " good INTEGER NOT NULL DEFAULT 0, satisfied INTEGER NOT NULL DEFAULT 0,"                      \
    " bad INTEGER NOT NULL DEFAULT 0, level_sum INTEGER NOT NULL DEFAULT 0,"                       \
    " bad_due INTEGER NOT NULL DEFAULT 0, rect_on_time INTEGER NOT NULL DEFAULT 0,"                \
    " contacted INTEGER NOT NULL DEFAULT 0, appealed INTEGER NOT NULL DEFAULT 0,"                  \
    " upheld INTEGER NOT NULL DEFAULT 0, appeal_rejected INTEGER NOT NULL DEFAULT 0,"              \
    " signed_ms INTEGER NOT NULL DEFAULT 0, pause_lunch_ms INTEGER NOT NULL DEFAULT 0,"            \
    " pause_break_ms INTEGER NOT NULL DEFAULT 0, pause_meeting_ms INTEGER NOT NULL DEFAULT 0,"     \
    " pause_other_ms INTEGER NOT NULL DEFAULT 0,"

const char stats_schema[] =
    "CREATE TABLE IF NOT EXISTS stats_day(day INTEGER NOT NULL, hall TEXT NOT NULL,"
    " biz TEXT NOT NULL, win TEXT NOT NULL, staff TEXT NOT NULL, channel TEXT NOT NULL,"
    " item TEXT NOT NULL," COUNTERS
    " PRIMARY KEY(day, hall, biz, win, staff, channel, item)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS stats_tickets(hall TEXT NOT NULL, day INTEGER NOT NULL,"
    " ticket TEXT NOT NULL, biz TEXT NOT NULL, channel TEXT NOT NULL, item TEXT NOT NULL,"
    " state INTEGER NOT NULL, entered_ms INTEGER NOT NULL, called_ms INTEGER NOT NULL,"
    " start_ms INTEGER NOT NULL, win TEXT NOT NULL, staff TEXT NOT NULL, w_ms INTEGER NOT NULL,"
    " w_win TEXT NOT NULL, w_staff TEXT NOT NULL, PRIMARY KEY(hall, day, ticket)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS stats_windows(hall TEXT NOT NULL, win TEXT NOT NULL,"
    " staff TEXT NOT NULL, open_ms INTEGER NOT NULL, pause_ms INTEGER NOT NULL,"
    " pause_reason INTEGER NOT NULL, PRIMARY KEY(hall, win)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS stats_reviews(hall TEXT NOT NULL, review TEXT NOT NULL,"
    " day INTEGER NOT NULL, biz TEXT NOT NULL, win TEXT NOT NULL, staff TEXT NOT NULL,"
    " channel TEXT NOT NULL, item TEXT NOT NULL, level INTEGER NOT NULL,"
    " due_ms INTEGER NOT NULL, flags INTEGER NOT NULL, PRIMARY KEY(hall, review)) WITHOUT ROWID;";

static const char *const SQL[FS__COUNT] = {
    [FS_GET_TICKET] = "SELECT biz, channel, item, state, entered_ms, called_ms, start_ms, win,"
                      " staff, w_ms, w_win, w_staff FROM stats_tickets"
                      " WHERE hall = ? AND day = ? AND ticket = ?",
    [FS_PUT_TICKET] = "INSERT OR REPLACE INTO stats_tickets(hall, day, ticket, biz, channel,"
                      " item, state, entered_ms, called_ms, start_ms, win, staff, w_ms, w_win,"
                      " w_staff) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [FS_GET_WINDOW] = "SELECT staff, open_ms, pause_ms, pause_reason FROM stats_windows"
                      " WHERE hall = ? AND win = ?",
    [FS_PUT_WINDOW] = "INSERT OR REPLACE INTO stats_windows(hall, win, staff, open_ms, pause_ms,"
                      " pause_reason) VALUES(?,?,?,?,?,?)",
    [FS_GET_REVIEW] = "SELECT day, biz, win, staff, channel, item, level, due_ms, flags"
                      " FROM stats_reviews WHERE hall = ? AND review = ?",
    [FS_PUT_REVIEW] = "INSERT OR REPLACE INTO stats_reviews(hall, review, day, biz, win, staff,"
                      " channel, item, level, due_ms, flags) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
};

/* "INSERT ... ON CONFLICT DO UPDATE SET c = c + excluded.c, ..." over every counter. */
static char *upsert_sql(void)
{
    size_t cap = 4096, n = 0;
    char *s = cw_xmalloc(cap);
    if (!s) return NULL;
    n += (size_t)snprintf(s + n, cap - n,
                          "INSERT INTO stats_day(day, hall, biz, win, staff, channel, item");
    for (int c = 0; c < SC__COUNT; c++)
        n += (size_t)snprintf(s + n, cap - n, ", %s", stats_col_names[c]);
    n += (size_t)snprintf(s + n, cap - n, ") VALUES(?,?,?,?,?,?,?");
    for (int c = 0; c < SC__COUNT; c++)
        n += (size_t)snprintf(s + n, cap - n, ",?");
    n += (size_t)snprintf(
        s + n, cap - n, ") ON CONFLICT(day, hall, biz, win, staff, channel, item) DO UPDATE SET ");
    for (int c = 0; c < SC__COUNT; c++)
        n += (size_t)snprintf(s + n, cap - n, "%s%s = %s + excluded.%s", c ? ", " : "",
                              stats_col_names[c], stats_col_names[c], stats_col_names[c]);
    return s;
}

stats_fold *stats_fold_begin(sqlite3 *db, const cfg_t *cfg, int *rc)
{
    stats_fold *f = cw_xcalloc(1, sizeof *f);
    if (!f) {
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    f->db = db;
    f->cfg = cfg;
    f->cache = fold_cache_new();
    if (!f->cache) {
        free(f);
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    char *up = upsert_sql();
    *rc = up ? sqlite3_prepare_v2(db, up, -1, &f->st[FS_UPSERT], NULL) : SQLITE_NOMEM;
    free(up);
    for (int i = 0; i < FS__COUNT && *rc == SQLITE_OK; i++)
        if (SQL[i]) *rc = sqlite3_prepare_v2(db, SQL[i], -1, &f->st[i], NULL);
    if (*rc != SQLITE_OK) {
        stats_fold_end(f);
        return NULL;
    }
    return f;
}

void stats_fold_forget(stats_fold *f)
{
    fold_cache_clear(f->cache);
}

void stats_fold_set_cfg(stats_fold *f, const cfg_t *cfg)
{
    f->cfg = cfg;
}

void stats_fold_end(stats_fold *f)
{
    if (!f) return;
    for (int i = 0; i < FS__COUNT; i++)
        sqlite3_finalize(f->st[i]);
    fold_cache_free(f->cache);
    free(f);
}

static int get_ticket(stats_fold *f, const ev_event *ev, int day, fold_ticket *t)
{
    int found;
    return fold_get_ticket(f, ev->hall_id, day, ev->ticket, t, &found);
}

static int put_ticket(stats_fold *f, const ev_event *ev, int day, const fold_ticket *t)
{
    fold_rec *r = fold_rec_make(f, FR_TICKET, ev->hall_id, day, ev->ticket);
    if (!r) return SQLITE_NOMEM;
    r->u.t = *t;
    r->dirty = true;
    r->absent = false;
    return 0;
}

static const char *win_id(const stats_fold *f, const ev_event *ev)
{
    const cfg_hall *h = &f->cfg->halls[ev->hall];
    return ev->window >= 0 && ev->window < h->nwindows ? h->windows[ev->window].id : "";
}

static fold_key ticket_key(const ev_event *ev, int day, const fold_ticket *t, const char *win,
                           const char *staff)
{
    return (fold_key){day, ev->hall_id, t->biz, win, staff, t->channel, t->item};
}

static int on_issued(stats_fold *f, const ev_event *ev, int day)
{
    const cfg_hall *h = &f->cfg->halls[ev->hall];
    fold_ticket t = {.state = T_WAITING, .entered_ms = ev->at_ms};
    t.called_ms = t.start_ms = t.w_ms = -1;
    fold_id_copy(t.biz, FOLD_ID, ev->biz >= 0 && ev->biz < h->nbiz ? h->biz[ev->biz].id : "");
    fold_id_copy(t.channel, FOLD_ID, ev_channel_name(ev->channel));
    fold_id_copy(t.item, FOLD_ID, ev->item ? ev->item : "");
    int rc = put_ticket(f, ev, day, &t);
    if (rc) return rc;
    fold_key k = ticket_key(ev, day, &t, "", "");
    return fold_add1(f, &k, SC_ISSUED, 1);
}

/* A call: out of waiting it counts a call and (entry known) the visit's W, replacing the W of
 * an earlier call of the same visit (a recycled no-show, SPEC §5). */
static int on_called(stats_fold *f, const ev_event *ev, int day, fold_ticket *t)
{
    const char *win = win_id(f, ev);
    char staff[FOLD_ID];
    int rc = fold_window_staff(f, ev, staff);
    if (rc) return rc;
    if (t->state == T_WAITING) {
        fold_key k = ticket_key(ev, day, t, win, staff);
        int64_t d[SC__COUNT] = {0};
        d[SC_CALLS] = 1;
        if (t->entered_ms >= 0) {
            if (t->w_ms >= 0) {
                fold_key old = ticket_key(ev, day, t, t->w_win, t->w_staff);
                int64_t u[SC__COUNT] = {0};
                u[SC_WAIT_N] = -1;
                u[SC_WAIT_MS] = -t->w_ms;
                if ((rc = fold_add(f, &old, u))) return rc;
            }
            t->w_ms = ev->at_ms > t->entered_ms ? ev->at_ms - t->entered_ms : 0;
            fold_id_copy(t->w_win, FOLD_ID, win);
            fold_id_copy(t->w_staff, FOLD_ID, staff);
            d[SC_WAIT_N] = 1;
            d[SC_WAIT_MS] = t->w_ms;
        }
        if ((rc = fold_add(f, &k, d))) return rc;
    }
    t->state = T_SERVING;
    t->called_ms = ev->at_ms;
    t->start_ms = -1;
    fold_id_copy(t->win, FOLD_ID, win);
    fold_id_copy(t->staff, FOLD_ID, staff);
    return 0;
}

static int on_finished(stats_fold *f, const ev_event *ev, int day, fold_ticket *t)
{
    const char *win = win_id(f, ev);
    char staff[FOLD_ID];
    int rc = 0;
    if (t->staff[0])
        fold_id_copy(staff, FOLD_ID, t->staff);
    else if ((rc = fold_window_staff(f, ev, staff)))
        return rc;
    int64_t d[SC__COUNT] = {0}, start = t->start_ms >= 0 ? t->start_ms : t->called_ms;
    d[SC_FINISHED] = 1;
    d[SC_DONE] = ev->result == EV_RES_DONE;
    d[SC_SUPPLEMENT] = ev->result == EV_RES_SUPPLEMENT;
    if (start >= 0 && ev->at_ms >= start) {
        d[SC_SVC_N] = 1;
        d[SC_SVC_MS] = ev->at_ms - start;
    }
    t->state = T_ENDED;
    fold_key k = ticket_key(ev, day, t, win, staff);
    return fold_add(f, &k, d);
}

static int on_ticket(stats_fold *f, const ev_event *ev, int day)
{
    if (ev->type == EV_TICKET_ISSUED) return on_issued(f, ev, day);
    fold_ticket t;
    int rc = get_ticket(f, ev, day, &t);
    if (rc) return rc;
    const char *win = win_id(f, ev);
    fold_key k = ticket_key(ev, day, &t, win, t.staff);
    switch (ev->type) {
    case EV_TICKET_CALLED:
        rc = on_called(f, ev, day, &t);
        break;
    case EV_TICKET_STARTED:
        t.start_ms = ev->at_ms;
        if (ev->staff) fold_id_copy(t.staff, FOLD_ID, ev->staff);
        break;
    case EV_TICKET_FINISHED:
        rc = on_finished(f, ev, day, &t);
        break;
    case EV_TICKET_NO_SHOW:
        rc = fold_add1(f, &k, SC_NO_SHOW, 1);
        t.state = ev->action == EV_NOSHOW_RECYCLE ? T_WAITING : T_ENDED;
        break;
    case EV_TICKET_TRANSFERRED: {
        const cfg_hall *h = &f->cfg->halls[ev->hall];
        rc = fold_add1(f, &k, SC_TRANSFERRED, 1);
        if (ev->to_biz >= 0 && ev->to_biz < h->nbiz)
            fold_id_copy(t.biz, FOLD_ID, h->biz[ev->to_biz].id);
        t.state = T_WAITING; /* a new wait in the new queue, entry = transfer time */
        t.entered_ms = ev->at_ms;
        t.w_ms = -1;
        break;
    }
    case EV_TICKET_VOIDED:
        t.state = T_ENDED;
        break;
    default: /* recalled, suspended, resumed: no counter */
        return 0;
    }
    return rc ? rc : put_ticket(f, ev, day, &t);
}

/* ---- events ------------------------------------------------------------------------------- */

/* Types no counter needs: skipped before parsing (heartbeats are a third of a quiet hall's). */
static bool ignored(const ev_jval *obj)
{
    static const char *const skip[] = {"hall.heartbeat", "camera.status", "ticket.recalled",
                                       "ticket.suspended", "ticket.resumed"};
    ev_jval type;
    if (obj->kind != EV_J_OBJECT) return false;
    obj->o.get(obj->o.obj, "type", &type);
    for (size_t i = 0; type.kind == EV_J_STRING && i < sizeof skip / sizeof skip[0]; i++)
        if (!strcmp(type.s, skip[i])) return true;
    return false;
}

int stats_fold_event(stats_fold *f, const ev_jval *obj, int64_t at_ms)
{
    ev_event ev;
    char err[200];
    if (ignored(obj)) return 0;
    if (ev_parse_view(f->cfg, obj, &ev, err, sizeof err) < 0) return 0; /* unknown now: skipped */
    ev.at_ms = at_ms;
    int day = fold_day(at_ms);
    switch (ev.type) {
    case EV_TICKET_ISSUED:
    case EV_TICKET_CALLED:
    case EV_TICKET_STARTED:
    case EV_TICKET_FINISHED:
    case EV_TICKET_NO_SHOW:
    case EV_TICKET_TRANSFERRED:
    case EV_TICKET_VOIDED:
        return ev.ticket ? on_ticket(f, &ev, day) : 0;
    case EV_WINDOW_OPENED:
    case EV_WINDOW_PAUSED:
    case EV_WINDOW_RESUMED:
    case EV_WINDOW_CLOSED:
        return fold_window_event(f, &ev);
    case EV_REVIEW_SUBMITTED:
        return fold_review(f, &ev, day);
    case EV_REVIEW_CASE:
        return fold_case(f, &ev);
    default:
        return 0;
    }
}
