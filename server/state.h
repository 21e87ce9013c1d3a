/* state: the live state of every hall for the current business day, and its KPIs (SPEC §2, §5).
 *
 * Thread: owned by the hub's service thread; not thread-safe.
 *
 * Events come in through state_apply() in commit order, already validated against the
 * current config. Business time advances with state_advance(); at local midnight the day
 * rolls over (tickets still waiting, serving or suspended are voided with reason day_end and
 * every daily counter restarts). Documents for the live topics are built on demand by
 * state_city() and state_hall(); each returns a new jansson reference the caller owns.
 *
 * Versions: every change that can alter a topic's document bumps a version counter
 * (state_hall_version for a hall, state_city_version for anything), so the live layer
 * rebuilds a document only when its version moved.
 */
#ifndef CW_STATE_H
#define CW_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"

typedef struct state state_t;

/* What a viewer may see (SPEC §4 role views). */
typedef struct state_view {
    const bool *halls; /* NULL = all halls; else halls[i] for cfg->halls[i] */
    bool names;        /* staff names and review comments (admin, city, hall) */
    bool urls;         /* camera stream URLs */
} state_view;

state_t *state_create(const cfg_t *cfg, int64_t now_ms);
void state_destroy(state_t *st);

/* Switch to a reloaded config (SIGHUP). Halls, windows, biz and cameras are matched by id;
 * state of ones that disappeared is dropped. cfg is borrowed and must outlive the state or
 * the next state_reconfigure. Returns 0. */
int state_reconfigure(state_t *st, const cfg_t *cfg);

/* Apply one stored event. recv_ms is the hub's receive time (business clock). Events whose
 * business day (local date of at_ms) is before the current day are counted
 * (state_stats.late_events) and otherwise ignored. */
void state_apply(state_t *st, const ev_event *ev, int64_t recv_ms);

/* Advance business time to now_ms (never backwards). Rolls the day over when the local date
 * changed. Returns true when a document may have changed (the business second moved while
 * tickets wait, the day rolled over, a hall opened or closed). */
bool state_advance(state_t *st, int64_t now_ms);
int64_t state_now(const state_t *st);
int state_day(const state_t *st); /* yyyymmdd of the current business day */

/* Hall closure (SPEC §2): the hall counts as closed in [from_ms, to_ms). */
void state_add_closure(state_t *st, int hall, int64_t from_ms, int64_t to_ms, const char *reason);
bool state_hall_closed(const state_t *st, int hall, int64_t at_ms);

/* Topic documents (new references). */
json_t *state_city(state_t *st, const state_view *v);
json_t *state_hall(state_t *st, int hall, const state_view *v);
/* The hall's `kpi` object alone (new reference). */
json_t *state_hall_kpi(state_t *st, int hall);
/* Per-biz figures for 智能分流: estimated wait (s) of biz `b` in `hall`, -1 if unknown. */
int64_t state_biz_ewt(state_t *st, int hall, int b);

uint64_t state_city_version(const state_t *st);
uint64_t state_hall_version(const state_t *st, int hall);

typedef struct state_stats {
    uint64_t applied;         /* events applied */
    uint64_t unknown_tickets; /* events about tickets never seen issued (integrity) */
    uint64_t late_events;     /* events of an earlier business day */
    uint64_t bad_transitions; /* events impossible in the ticket's current state */
    int tickets;              /* tickets held for today */
} state_stats;
void state_get_stats(const state_t *st, state_stats *out);

/* ---- for the alert rules (state_query.c) ------------------------------------------------ */

/* What the alerts module says about a hall; it decides the hall's `status` (SPEC §4) over
 * closed/ok: offline (R15 firing), alert (P1/P2 firing), warn (P3/P4 firing). */
enum state_alert_status {
    STATE_ALERT_NONE,
    STATE_ALERT_WARN,
    STATE_ALERT_ALERT,
    STATE_ALERT_OFFLINE
};
/* Set hall h's alert status; bumps the hall's version when it changed. */
void state_set_alert_status(state_t *st, int hall, int status);

#define STATE_QUERY_TOP 3
typedef struct state_qticket {
    const char *id; /* borrowed: valid until the next state change */
    int64_t entered_ms;
} state_qticket;

/* Live figures of one biz type of a hall. */
typedef struct state_qbiz {
    int64_t waiting, over_sla;
    int64_t staffed;                    /* staffed windows (open or serving) that serve the biz */
    int64_t sl_n, sl_ok;                /* calls in the last 60 min, and those with W <= SLA */
    int64_t max_wait_ms;                /* -1 when none waits */
    state_qticket top[STATE_QUERY_TOP]; /* the longest-waiting tickets, longest first */
    int ntop;
} state_qbiz;
/* Fill out[cfg hall nbiz] for hall h at the state's now. */
void state_query_biz(state_t *st, int hall, state_qbiz *out);

enum state_win_status { STATE_WIN_CLOSED, STATE_WIN_OPEN, STATE_WIN_SERVING, STATE_WIN_PAUSED };
typedef struct state_qwindow {
    int status;              /* enum state_win_status */
    int64_t since_ms;        /* -1 before the first change */
    int reason;              /* enum ev_pause_reason while paused, else -1 */
    const char *staff;       /* borrowed, NULL when none */
    const char *ticket;      /* the ticket it serves (borrowed), NULL */
    int ticket_biz;          /* -1 */
    int64_t ticket_start_ms; /* service start (started, else the call), -1 */
    int ticket_recalls;
    int64_t calls, no_show, served; /* today */
} state_qwindow;
/* Window w of hall h; 0, or -1 when out of range. */
int state_query_window(const state_t *st, int hall, int w, state_qwindow *out);
/* Camera c of hall h: *status enum ev_cam_status and since (-1 before any status); 0 / -1. */
int state_query_camera(const state_t *st, int hall, int c, int *status, int64_t *since_ms);
/* `at` of the latest event of hall h (-1 before any). */
int64_t state_query_last_event(const state_t *st, int hall);
/* Today's review counts of hall h (upheld appeals excluded): reviews and good ones. */
void state_query_reviews(const state_t *st, int hall, int64_t *n, int64_t *good);

typedef struct state_qcase {
    const char *review; /* borrowed */
    int level;
    int64_t at_ms;
    int state; /* enum ev_case_state */
    bool real_name, contacted, upheld, overdue;
    int64_t contact_deadline_ms; /* -1 when none */
    int64_t rectify_deadline_ms;
} state_qcase;
/* Calls fn for every bad-review case hall h holds (open ones, and today's closed ones). */
void state_query_cases(const state_t *st, int hall, void (*fn)(void *ud, const state_qcase *c),
                       void *ud);
/* The case of review `review` in hall h: 0 and *out, or -1 when the hall holds none. */
int state_query_case(const state_t *st, int hall, const char *review, state_qcase *out);
/* Calls fn(ud, biz, S) for every ticket of hall h finished today with a known service time. */
void state_query_services(const state_t *st, int hall, void (*fn)(void *ud, int biz, int64_t s_ms),
                          void *ud);

/* Whole-state serialisation for fast restart: state_save returns a new reference holding
 * everything needed to continue the day; state_load replaces the state with it (0 on
 * success, -1 if it does not fit the config, leaving an empty state for the saved day). */
json_t *state_save(state_t *st);
int state_load(state_t *st, json_t *saved);

/* The same as a compact binary image (the hub's snapshots; layout in state_bin.c).
 * state_save_bin sets *buf to a new malloc'd image of *len bytes that the caller frees;
 * 0, or -1 when out of memory. state_load_bin replaces the state with an image: 0, or -1
 * when the image is malformed, truncated, corrupt (checksum), of another format version,
 * or does not fit the config -- leaving an empty state (for the image's day when its
 * header could be read). The image is untrusted input; buf is only read. */
int state_save_bin(state_t *st, unsigned char **buf, size_t *len);
int state_load_bin(state_t *st, const unsigned char *buf, size_t len);

/* Check the invariants of state_internal.h (O(tickets)). 0, or -1 with the first broken one
 * named in err. */
int state_check(const state_t *st, char *err, size_t errlen);

#endif
