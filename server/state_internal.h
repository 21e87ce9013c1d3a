/* state_internal: the data structures behind state.h, shared by state.c (events, time, day
 * rollover), state_kpi.c (formulas), state_doc.c (topic documents), state_save.c and
 * state_bin.c (serialisation). Not for other modules.
 *
 * Invariants (per hall):
 *  1. `tickets` holds every ticket of the current business day, keyed by its string; each
 *     ticket is owned by the hall and freed at rollover, reconfigure or destroy.
 *  2. A ticket is in `waiting[]` (at index widx) iff its state is ST_WAITING; biz[b].waiting
 *     counts the waiting tickets of biz b; `serving` / `suspended` count the others.
 *  3. A window's `ticket` is a ticket of this hall (or NULL); it is cleared whenever that
 *     ticket leaves the window.
 *  4. Record lists (state_recs) are sorted by at_ms; the counters wn/wok/wsum cover the valid
 *     records from `head` on, which are the ones inside the last 60 min of business time as
 *     of the last prune.
 *  5. `ver` of a hall never decreases; it is the value of the state's counter at its last
 *     change, so the city version (the counter) is never below any hall version.
 */
#ifndef CW_STATE_INTERNAL_H
#define CW_STATE_INTERNAL_H

#include "state.h"

#define STATE_WINDOW_MS (60LL * 60 * 1000)
#define STATE_LAST_REVIEWS 20
#define STATE_DEFAULT_SLA_S 1800

#include "state_map.h"

enum state_tstate { ST_WAITING, ST_SERVING, ST_SUSPENDED, ST_FINISHED, ST_NO_SHOW, ST_VOIDED };
enum state_wstatus { SW_CLOSED, SW_OPEN, SW_SERVING, SW_PAUSED };

typedef struct state_ticket {
    char *id;
    int biz;               /* the queue it is in (or was last in) */
    int st;                /* enum state_tstate */
    int window;            /* window of its last call / start / resume, -1 */
    int channel, priority; /* from ticket.issued, -1 when unknown */
    int64_t issued_ms;     /* -1 when never seen issued */
    int64_t entered_ms;    /* entry into its current wait */
    int64_t called_ms;     /* last call of the current service, -1 */
    int64_t started_ms;    /* ticket.started of the current service, -1 */
    int64_t ended_ms;      /* finished / no-show / voided, -1 */
    int recalls;
    bool unknown;     /* first seen through another event than ticket.issued */
    bool entry_known; /* entered_ms is the real entry (not a guess) */
    bool has_visit;   /* the current wait has a recorded call (a recycle replaces it) */
    int visit_biz;
    int64_t visit_call_ms, visit_w_ms;
    int widx; /* index in the hall's waiting[], -1 */
} state_ticket;

/* A call (v = W, ok = W <= SLA, t = the ticket) or a finish (v = S). */
typedef struct state_rec {
    int64_t at_ms, v_ms;
    state_ticket *t;
    bool ok, valid;
} state_rec;

typedef struct state_recs {
    state_rec *r;
    int n, cap, head;
    int64_t wn, wok, wsum; /* valid records in the window */
} state_recs;

typedef struct state_biz {
    int64_t issued, waiting, visits, wait_sum_ms;
    state_recs calls, fins;
} state_biz;

typedef struct state_window {
    int status;  /* enum state_wstatus */
    char *staff; /* NULL when none */
    state_ticket *ticket;
    int64_t since_ms; /* -1 before the first change */
    int reason;       /* enum ev_pause_reason while paused, else -1 */
    int64_t served, svc_n, svc_sum_ms, no_show, calls;
} state_window;

typedef struct state_cam {
    int status; /* enum ev_cam_status */
    int64_t since_ms;
    char *main_url, *sub_url; /* announced; NULL = the config's */
} state_cam;

typedef struct state_review {
    char *id;
    int level;
    int64_t at_ms;
    int channel;
    char *window, *staff; /* ids, NULL when absent */
    char *comment;        /* already masked, NULL when absent */
    bool real_name, upheld;
} state_review;

typedef struct state_case {
    char *review;
    int level;
    int date;      /* business date of the review */
    int64_t at_ms; /* the review's at */
    int state;     /* enum ev_case_state; appeal_rejected is kept as rectifying */
    bool real_name, contacted, upheld;
    int64_t contact_deadline_ms; /* -1 when none (not real-name) */
    int64_t rectify_deadline_ms;
} state_case;

typedef struct state_closure {
    int64_t from_ms, to_ms;
    char *reason;
} state_closure;

typedef struct state_hs {
    int nbiz, nwin, ncam; /* array sizes (the config's at init) */
    state_map tickets;
    state_ticket **waiting;
    int nwaiting, capwaiting;
    int64_t issued, serving, suspended, finished, no_show;
    int64_t visits, wait_sum_ms, svc_n, svc_sum_ms;
    state_biz *biz;       /* cfg hall nbiz */
    state_window *win;    /* cfg hall nwindows */
    state_cam *cam;       /* cfg hall ncameras */
    state_map review_ids; /* today's review ids (keys owned, val = key) */
    int64_t rv_n, rv_good, rv_sat, rv_bad, rv_level_sum;
    state_review last[STATE_LAST_REVIEWS]; /* newest first */
    int nlast;
    state_map cases_map; /* review id -> state_case (key = case->review) */
    state_case **cases;
    int ncases, capcases;
    int overdue; /* bad_cases_overdue at the last check */
    state_closure *closures;
    int nclosures;
    int64_t last_event_ms; /* -1 before the first event */
    bool was_closed;       /* status at the last tick (to bump when it flips) */
    int alert_status;      /* enum state_alert_status, set by the alerts module */
    uint64_t ver;
} state_hs;

struct state {
    const cfg_t *cfg;
    int64_t now_ms;
    int day;
    int64_t day_start_ms, day_end_ms;
    int64_t last_sec, last_min;
    uint64_t ver;
    state_stats stats;
    state_hs *halls;
    int nhalls;
};

/* --- state.c --- */
/* Empty state for hall index h of st->cfg (windows closed, cameras unknown). 0 or -1. */
int state_hall_init(state_t *st, int h);
void state_hall_free(state_hs *hs);
void state_bump(state_t *st, int h);
/* Set day / day bounds from an instant. */
void state_set_day(state_t *st, int64_t now_ms);

/* --- state_map.c: state_map_get/put/free above --- */

/* --- state_ticket.c: the queue's transitions --- */
state_ticket *state_ticket_new(state_hs *hs, const char *id);
void state_ticket_free(state_ticket *t);
/* Put t into state s (updating waiting[], counts). t must be in no state (fresh or left). */
int state_ticket_enter(state_hs *hs, state_ticket *t, int s);
void state_ticket_leave(state_hs *hs, state_ticket *t);
void state_apply_ticket(state_t *st, int h, const ev_event *ev);
void state_apply_window(state_hs *hs, const ev_event *ev);
void state_apply_camera(state_hs *hs, const ev_event *ev);

/* --- state_review.c: reviews and cases --- */
int state_case_add(state_hs *hs, state_case *c);
void state_case_free(state_case *c);
void state_review_clear(state_review *r);
int state_review_push(state_hs *hs, const state_review *r); /* takes the strings */
void state_apply_review(state_t *st, int h, const ev_event *ev);
void state_apply_case(state_t *st, state_hs *hs, const ev_event *ev);

/* --- state_kpi.c --- */
/* Drop records at or before now - 60 min from the counters; true when any dropped. */
bool state_recs_prune(state_recs *rs, int64_t now_ms);
/* Insert a record (kept sorted); one older than the window is not kept. 0 or -1. */
int state_recs_add(state_recs *rs, int64_t now_ms, int64_t at_ms, int64_t v_ms, bool ok,
                   state_ticket *t);
/* Remove the call record of t at at_ms from the counters (it no longer counts). */
void state_recs_invalidate(state_recs *rs, int64_t at_ms, const state_ticket *t);
void state_recs_clear(state_recs *rs);

typedef struct state_agg {
    int64_t issued, waiting, serving, suspended, finished, no_show;
    int64_t visits, wait_sum_ms, max_wait_ms, over_sla;
    int64_t sl_n, sl_ok, svc_n, svc_sum_ms;
    int64_t w_open, w_serving, w_paused, w_planned;
    int64_t rv_n, rv_good, rv_sat, rv_bad, rv_level_sum;
    int64_t cases_open, cases_overdue, cam_online, cam_total;
} state_agg;

typedef struct state_bizfig {
    int64_t waiting, max_wait_ms, over_sla, sl_n, sl_ok, staffed, ewt_s;
} state_bizfig;

void state_agg_init(state_agg *a);
/* Add hall h's figures to a (prunes its record windows to now). */
void state_agg_hall(state_t *st, int h, state_agg *a);
void state_agg_merge(state_agg *dst, const state_agg *src);
json_t *state_agg_json(const state_agg *a);
/* Per-biz live figures of hall h into out[cfg nbiz]. */
void state_biz_figs(state_t *st, int h, state_bizfig *out);
int state_hall_overdue(const state_t *st, int h);
int64_t state_round_div(int64_t num_ms, int64_t den); /* round(num / den / 1000) */
double state_round4(double x);

/* Replace the halls with empty ones for st->cfg. 0 or -1. */
int state_reset_halls(state_t *st);

/* --- state_hours.c (calls no other state file) --- */
/* Close of business of the n-th working day after the local day of at_ms (n = 0: that day). */
int64_t state_deadline(const state_t *st, int h, int64_t at_ms, int n);
int64_t state_sla_ms(const cfg_biz *b);
bool state_case_overdue(const state_case *c, int64_t now_ms);
/* Hall h is in its opening hours at st->now_ms and not marked closed. */
bool state_hall_open(const state_t *st, int h);

/* --- state_bin.c --- */
/* state_load_bin, lenient: what the config no longer has is dropped instead of refused. */
int state_reload_bin(state_t *st, const unsigned char *buf, size_t len);

/* --- state_doc.c --- */
/* The hall's status word for the live view: "offline", "alert", "warn", "closed" or "ok". */
const char *state_hall_status(const state_t *st, int h);

/* Staffed windows (open or serving) of hall h that serve biz b (state_kpi.c). */
int64_t state_staffed_for(const state_t *st, int h, int b);

#endif
