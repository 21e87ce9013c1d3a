/* sim_model: the traffic model, a discrete-event simulation over business time.
 *
 * Design. One binary heap of timed actions for all halls, ordered by (time, insertion
 * order), so that equal times run in a fixed order and the output depends only on the
 * inputs. Each action runs one happening (an arrival candidate, a window's next service
 * step, a review, a camera flap, ...) and schedules the ones that follow from it; every
 * event it emits carries the action's time as `at`. Actions that a later change makes moot
 * (a service step of a window that has since closed, an arrival of a replaced arrival
 * process) carry a generation number and are dropped when it no longer matches.
 *
 * Arrivals are a non-homogeneous Poisson process per hall, drawn by thinning: candidates
 * at the maximum rate of the moment, each kept with probability rate(t) / max. The biz type
 * of a ticket is drawn in proportion to the number of windows serving it. Service times
 * are log-normal per biz (median from its category), scaled down for a day whose expected
 * load would leave too little slack. All parameters are written down in docs/sim.md.
 */
#include "sim_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "sim_rng.h"
#include "sim_text.h"
#include "xalloc.h"

#define MIN_MS 60000LL
#define SEC_MS 1000LL
#define HOUR_MS 3600000LL

#define SERVICE_SIGMA 0.5
#define TARGET_LOAD 0.6      /* expected window utilisation over the open hours */
#define KIOSK_STOP_MIN 15    /* kiosks stop issuing this long before closing */
#define OVERTIME_MIN 30      /* windows serve the remaining queue this long after closing */
#define BREAK_MEAN_MIN 150.0 /* mean time between short breaks of one window */
#define FLAP_MEAN_H 24.0     /* mean time between camera flaps of one hall */
#define INIT_QUEUE_MIN 6.0   /* a mid-day start finds this many minutes of arrivals waiting */
#define REVIEW_SHARE 0.6

enum sim_wstate { WS_CLOSED, WS_IDLE, WS_SERVING, WS_PAUSED };
enum sim_tstate { TS_WAITING, TS_SERVING, TS_SUSPENDED, TS_DONE };
enum sim_step {
    STEP_RECALL,
    STEP_NOSHOW,
    STEP_START,
    STEP_SUSPEND,
    STEP_RESUME,
    STEP_TRANSFER,
    STEP_FINISH
};

enum sim_kind {
    A_DAY_BEGIN,
    A_ARRIVAL,
    A_WIN_OPEN,
    A_WIN_CALL,
    A_WIN_STEP,
    A_LUNCH_START,
    A_LUNCH_END,
    A_BREAK,
    A_BREAK_END,
    A_CLOSE,
    A_HARD_CLOSE,
    A_ROSTER,
    A_VOID,
    A_REVIEW,
    A_CASE,
    A_CAM_INIT,
    A_CAM_FLAP,
    A_CAM_RESTORE,
    A_SILENCE_BEGIN,
    A_SILENCE_END,
    A_SURGE_BEGIN,
    A_SURGE_END,
    A_HEARTBEAT,
    A_SCRIPT_SILENCE,
    A_SCRIPT_BAD_REVIEW
};

/* A review on its way (A_REVIEW) and then, when bad, its case (A_CASE). */
typedef struct sim_review {
    char id[64];
    char ticket[16];
    char staff[24];
    char case_id[48];
    char comment[512];
    int level;
    int channel;
    int window; /* -1 = none */
    bool real_name;
    int case_state; /* the next state to send */
} sim_review;

typedef struct sim_action {
    int64_t t;
    uint64_t order;
    int hall;
    int kind;
    int a;          /* window, camera or ticket index */
    uint32_t gen;   /* generation the action belongs to */
    sim_review *rv; /* owned payload of A_REVIEW / A_CASE, else NULL */
} sim_action;

typedef struct sim_ticket {
    char id[16];
    int biz;
    int prio; /* 0 green/vip, 1 appointment, 2 normal: lower is called first */
    int state;
    int64_t entry_ms;
} sim_ticket;

typedef struct sim_win {
    int state;
    int staff;  /* index into the hall's staff ids */
    int ticket; /* -1 when none */
    uint32_t gen;
    uint32_t break_gen; /* the window's chain of breaks (one per opening) */
    bool rostered, luncher, on_lunch;
    bool call_pending, lunch_pending, break_pending, leave;
    /* plan of the service in progress */
    int step;
    int recalls_left;
    bool noshow, recycle, send_start, suspend, transfer;
    int result;
    int64_t service_ms;
} sim_win;

typedef struct sim_hall {
    const cfg_hall *cfg;
    int index;
    bool active;
    sim_rng rng;
    int64_t seq;
    int64_t last_emit_ms;
    bool silent;      /* holding events (incident) */
    bool silent_drop; /* dropping events for good (scenario) */
    sim_evbuf held;

    /* the business day */
    uint32_t day_gen;
    int date, weekday;
    int64_t day_start_ms, open_ms, close_ms, lunch_from_ms, lunch_to_ms;
    int64_t kiosk_stop_ms, hard_close_ms;
    bool closing;
    double base_per_min;
    double scripted_surge, incident_surge;
    uint32_t arrival_gen;
    double *biz_windows; /* window capacity per biz (a multi-biz window counts 1/nbiz each) */
    double *biz_weight;  /* share of tickets per biz: capacity / category median service */
    double weight_sum;
    double *service_median_s;
    int *biz_counter;
    sim_ticket *tickets;
    int ntickets, captickets;
    int *waiting;
    int nwaiting;
    sim_win *win;
    int nwin;
    char **staff;
    int nstaff;
    int spare_next;
    int review_counter, case_counter;
    int *cam_status;
} sim_hall;

struct sim_model {
    const cfg_t *cfg;
    const sim_scenario *sc;
    int64_t start_ms;
    int64_t heartbeat_ms;
    int64_t now_ms;
    char rtsp_base[256];
    char run_tag[32];
    bool failed;
    sim_hall *halls;
    int nhalls;
    sim_action *heap;
    size_t nheap, capheap;
    uint64_t order;
    sim_evbuf pending;
    sim_model_stats stats;
};

/* ---- event buffers ---- */

void sim_evbuf_clear(sim_evbuf *b)
{
    for (size_t i = 0; i < b->n; i++)
        json_decref(b->v[i].data);
    b->n = 0;
}

void sim_evbuf_free(sim_evbuf *b)
{
    sim_evbuf_clear(b);
    free(b->v);
    b->v = NULL;
    b->cap = 0;
}

static int evbuf_push(sim_evbuf *b, const sim_event *ev)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        sim_event *v = realloc(b->v, cap * sizeof *v);
        if (!v) return -1;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = *ev;
    return 0;
}

/* ---- the action heap ---- */

static bool action_before(const sim_action *x, const sim_action *y)
{
    return x->t < y->t || (x->t == y->t && x->order < y->order);
}

static void schedule(sim_model *m, int64_t t, int hall, int kind, int a, uint32_t gen,
                     sim_review *rv)
{
    if (m->nheap == m->capheap) {
        size_t cap = m->capheap ? m->capheap * 2 : 1024;
        sim_action *h = realloc(m->heap, cap * sizeof *h);
        if (!h) {
            m->failed = true;
            free(rv);
            return;
        }
        m->heap = h;
        m->capheap = cap;
    }
    if (t < m->now_ms) t = m->now_ms;
    sim_action act = {
        .t = t, .order = m->order++, .hall = hall, .kind = kind, .a = a, .gen = gen, .rv = rv};
    size_t i = m->nheap++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!action_before(&act, &m->heap[parent])) break;
        m->heap[i] = m->heap[parent];
        i = parent;
    }
    m->heap[i] = act;
}

static sim_action heap_pop(sim_model *m)
{
    sim_action top = m->heap[0];
    sim_action last = m->heap[--m->nheap];
    size_t i = 0, n = m->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && action_before(&m->heap[c + 1], &m->heap[c])) c++;
        if (!action_before(&m->heap[c], &last)) break;
        m->heap[i] = m->heap[c];
        i = c;
    }
    if (n > 0) m->heap[i] = last;
    return top;
}

/* ---- emitting ---- */

static void emit(sim_model *m, sim_hall *h, int64_t at, ev_type type, json_t *data)
{
    if (!data) {
        m->failed = true;
        return;
    }
    if (h->silent_drop) {
        json_decref(data);
        return;
    }
    sim_event ev = {.hall = h->index, .seq = ++h->seq, .at_ms = at, .type = type, .data = data};
    sim_evbuf *dst = h->silent ? &h->held : &m->pending;
    if (evbuf_push(dst, &ev) < 0) {
        json_decref(data);
        m->failed = true;
        return;
    }
    m->stats.events++;
    if (!h->silent) h->last_emit_ms = at;
}

static const char *staff_id(const sim_hall *h, const sim_win *w)
{
    return h->staff[w->staff];
}

static const char *win_id(const sim_hall *h, int w)
{
    return h->cfg->windows[w].id;
}

/* ---- the calendar of one hall ---- */

/* The hall's opening span and lunch break on the local date of `loc`, as ms. */
static void hall_day_hours(const sim_model *m, const sim_hall *h, const cwt_local *loc,
                           int64_t *open_ms, int64_t *close_ms, int64_t *lunch_from,
                           int64_t *lunch_to)
{
    cfg_span sp = cfg_hall_hours(m->cfg, h->cfg, loc->date, loc->weekday);
    *open_ms = *close_ms = *lunch_from = *lunch_to = loc->day_start_ms;
    if (sp.to_min <= sp.from_min) return;
    *open_ms = loc->day_start_ms + sp.from_min * MIN_MS;
    *close_ms = loc->day_start_ms + sp.to_min * MIN_MS;
    int lf = -1, lt = -1;
    for (int min = sp.from_min; min < sp.to_min; min++) {
        bool open = cfg_hall_open(m->cfg, h->cfg, loc->date, loc->weekday, min);
        if (!open && lf < 0)
            lf = min;
        else if (open && lf >= 0) {
            lt = min;
            break;
        }
    }
    if (lf >= 0 && lt > lf) {
        *lunch_from = loc->day_start_ms + lf * MIN_MS;
        *lunch_to = loc->day_start_ms + lt * MIN_MS;
    }
}

static int64_t next_day_start(int64_t day_start_ms)
{
    cwt_local loc;
    cwt_to_local(day_start_ms + 25 * HOUR_MS, &loc);
    return loc.day_start_ms;
}

/* t if it falls inside the hall's opening span of its day, else a moment in the first half
 * hour of the next opening (up to 30 days ahead; t itself if the hall never opens). */
static int64_t shift_into_hours(sim_model *m, sim_hall *h, int64_t t)
{
    cwt_local loc;
    cwt_to_local(t, &loc);
    int64_t day = loc.day_start_ms;
    for (int i = 0; i < 30; i++) {
        int64_t o, c, lf, lt;
        cwt_local d;
        cwt_to_local(day + 12 * HOUR_MS, &d);
        hall_day_hours(m, h, &d, &o, &c, &lf, &lt);
        if (c > o) {
            if (t >= o && t < c) return t;
            if (t < o) return o + (int64_t)sim_rng_range(&h->rng, 0, 30 * MIN_MS);
        }
        day = next_day_start(day);
    }
    return t;
}

/* Arrival-rate profile over the day (1.0 = base), SPEC-independent demo shape. */
static double profile_at(const sim_hall *h, int64_t t)
{
    if (t < h->open_ms || t >= h->kiosk_stop_ms) return 0.0;
    double min = (double)(t - h->day_start_ms) / MIN_MS;
    if (h->lunch_to_ms > h->lunch_from_ms) {
        if (t >= h->lunch_from_ms && t < h->lunch_to_ms) return 0.3;
    } else if (min >= 12 * 60 && min < 13 * 60 + 30) {
        return 0.45;
    }
    if (min >= 9 * 60 && min < 10 * 60 + 30) return 1.8;
    if (min >= 14 * 60 && min < 15 * 60 + 30) return 1.3;
    if (t < h->open_ms + 30 * MIN_MS) return 0.9;
    return 1.0;
}

/* Integral of the profile (in profile-minutes) over the hall's Monday hours: the yardstick
 * that turns a daily ticket target into a base rate. */
static double profile_integral_std(sim_hall *h)
{
    const cfg_hours *hr = &h->cfg->hours;
    cfg_span sp = hr->open[0], lu = hr->lunch[0];
    if (sp.to_min <= sp.from_min) {
        sp.from_min = 8 * 60 + 30;
        sp.to_min = 17 * 60;
        lu.from_min = 12 * 60;
        lu.to_min = 13 * 60 + 30;
    }
    sim_hall tmp = *h;
    tmp.day_start_ms = 0;
    tmp.open_ms = sp.from_min * MIN_MS;
    tmp.kiosk_stop_ms = (sp.to_min - KIOSK_STOP_MIN) * MIN_MS;
    tmp.lunch_from_ms = lu.from_min * MIN_MS;
    tmp.lunch_to_ms = lu.to_min > lu.from_min ? lu.to_min * MIN_MS : tmp.lunch_from_ms;
    double sum = 0;
    for (int min = 0; min < 24 * 60; min++)
        sum += profile_at(&tmp, min * MIN_MS);
    return sum > 1 ? sum : 1;
}

/* Tickets a normal Monday brings to this hall, by level and window count. */
static double daily_target(const sim_hall *h)
{
    static const double per_window[] = {42, 35, 20, 10};
    static const double lo[] = {1500, 400, 80, 20};
    static const double hi[] = {2500, 1500, 300, 100};
    int lv = h->cfg->level;
    if (lv < 0 || lv > 3) lv = CFG_LEVEL_TOWN;
    double n = per_window[lv] * h->cfg->nwindows;
    if (n < lo[lv]) n = lo[lv];
    if (n > hi[lv]) n = hi[lv];
    return n;
}

/* Median service time (s) of a biz type by its category. */
static double category_median_s(const cfg_biz *b)
{
    static const struct {
        const char *cat;
        double min;
    } tab[] = {
        {"social-security", 6}, {"household", 8},         {"enterprise", 12},    {"tax", 9},
        {"real-estate", 11},    {"medical-insurance", 5}, {"provident-fund", 7}, {"transport", 7},
        {"civil-affairs", 8}};
    double min = 7;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (b->category && strcmp(b->category, tab[i].cat) == 0) min = tab[i].min;
    /* a stable +-15 % per biz id so that two biz of one category differ */
    double f = 0.85 + 0.3 * (double)(sim_hash_str(b->id) % 1000) / 1000.0;
    return min * 60 * f;
}

static bool win_serves(const sim_hall *h, int w, int biz)
{
    const cfg_window *cw = &h->cfg->windows[w];
    for (int i = 0; i < cw->nbiz; i++)
        if (cw->biz[i] == biz) return true;
    return false;
}

/* ---- tickets and queues ---- */

static int waiting_for_window(const sim_hall *h, int w)
{
    int best = -1;
    for (int i = 0; i < h->nwaiting; i++) {
        int ti = h->waiting[i];
        const sim_ticket *t = &h->tickets[ti];
        if (!win_serves(h, w, t->biz)) continue;
        if (best < 0) {
            best = ti;
            continue;
        }
        const sim_ticket *b = &h->tickets[best];
        if (t->prio < b->prio || (t->prio == b->prio && t->entry_ms < b->entry_ms) ||
            (t->prio == b->prio && t->entry_ms == b->entry_ms && ti < best))
            best = ti;
    }
    return best;
}

static void waiting_remove(sim_hall *h, int ti)
{
    for (int i = 0; i < h->nwaiting; i++)
        if (h->waiting[i] == ti) {
            h->waiting[i] = h->waiting[--h->nwaiting];
            return;
        }
}

static int waiting_add(sim_model *m, sim_hall *h, int ti)
{
    if (h->nwaiting == h->captickets) {
        m->failed = true; /* cannot happen: waiting holds at most every ticket once */
        return -1;
    }
    h->waiting[h->nwaiting++] = ti;
    h->tickets[ti].state = TS_WAITING;
    return 0;
}

static int64_t dawdle_ms(sim_hall *h)
{
    if (sim_rng_chance(&h->rng, 0.005))
        return (int64_t)sim_rng_range(&h->rng, 5 * MIN_MS, 8 * MIN_MS);
    return (int64_t)sim_rng_range(&h->rng, 5 * SEC_MS, 40 * SEC_MS);
}

/* Idle windows serving `biz` (any biz when biz < 0) with nobody called yet call soon. */
static void wake_windows(sim_model *m, sim_hall *h, int biz, int64_t t)
{
    for (int w = 0; w < h->nwin; w++) {
        sim_win *win = &h->win[w];
        if (win->state != WS_IDLE || win->call_pending) continue;
        if (biz >= 0 && !win_serves(h, w, biz)) continue;
        if (biz < 0 && waiting_for_window(h, w) < 0) continue;
        win->call_pending = true;
        schedule(m, t + dawdle_ms(h), h->index, A_WIN_CALL, w, win->gen, NULL);
    }
}

static int pick_biz(sim_hall *h)
{
    double u = sim_rng_unit(&h->rng) * h->weight_sum;
    for (int b = 0; b < h->cfg->nbiz; b++) {
        if (h->biz_weight[b] <= 0) continue;
        if (u < h->biz_weight[b]) return b;
        u -= h->biz_weight[b];
    }
    for (int b = h->cfg->nbiz - 1; b >= 0; b--)
        if (h->biz_weight[b] > 0) return b;
    return -1;
}

static void issue_ticket(sim_model *m, sim_hall *h, int64_t t)
{
    int biz = pick_biz(h);
    if (biz < 0) return;
    if (h->ntickets == h->captickets) {
        int cap = h->captickets ? h->captickets * 2 : 256;
        sim_ticket *v = realloc(h->tickets, (size_t)cap * sizeof *v);
        if (!v) {
            m->failed = true;
            return;
        }
        h->tickets = v;
        int *wv = realloc(h->waiting, (size_t)cap * sizeof *wv);
        if (!wv) {
            m->failed = true;
            return;
        }
        h->waiting = wv;
        h->captickets = cap;
    }
    int ti = h->ntickets++;
    sim_ticket *tk = &h->tickets[ti];
    memset(tk, 0, sizeof *tk);
    tk->biz = biz;
    tk->entry_ms = t;
    snprintf(tk->id, sizeof tk->id, "%.8s%03d", h->cfg->biz[biz].id,
             (++h->biz_counter[biz]) % 100000); /* at most 5 digits: fits the id */

    double u = sim_rng_unit(&h->rng);
    int channel = u < 0.52   ? EV_CH_KIOSK
                  : u < 0.85 ? EV_CH_WECHAT
                  : u < 0.94 ? EV_CH_APPOINTMENT
                  : u < 0.97 ? EV_CH_ONLINE
                             : EV_CH_COUNTER;
    int priority = EV_PRIO_NORMAL;
    if (channel == EV_CH_APPOINTMENT)
        priority = EV_PRIO_APPOINTMENT;
    else if (sim_rng_chance(&h->rng, 0.02))
        priority = EV_PRIO_GREEN;
    tk->prio = priority == EV_PRIO_GREEN || priority == EV_PRIO_VIP ? 0
               : priority == EV_PRIO_APPOINTMENT                    ? 1
                                                                    : 2;
    emit(m, h, t, EV_TICKET_ISSUED,
         json_pack("{s:s, s:s, s:s, s:s}", "ticket", tk->id, "biz", h->cfg->biz[biz].id, "channel",
                   ev_channel_name(channel), "priority", ev_priority_name(priority)));
    m->stats.issued++;
    waiting_add(m, h, ti);
    if (sim_rng_chance(&h->rng, 0.005))
        schedule(m, t + (int64_t)sim_rng_range(&h->rng, 10 * MIN_MS, 40 * MIN_MS), h->index, A_VOID,
                 ti, h->day_gen, NULL);
    wake_windows(m, h, biz, t);
}

/* ---- arrivals ---- */

static double max_rate(const sim_hall *h)
{
    return h->base_per_min * 1.8 * h->scripted_surge * h->incident_surge;
}

/* Start a fresh arrival process at t (invalidating the pending candidate). */
static void restart_arrivals(sim_model *m, sim_hall *h, int64_t t)
{
    h->arrival_gen++;
    if (!m->sc->traffic || h->base_per_min <= 0 || h->kiosk_stop_ms <= h->open_ms) return;
    if (t >= h->kiosk_stop_ms) return;
    if (t < h->open_ms) t = h->open_ms;
    double gap_min = sim_rng_exp(&h->rng, 1.0 / max_rate(h));
    schedule(m, t + (int64_t)(gap_min * MIN_MS), h->index, A_ARRIVAL, 0, h->arrival_gen, NULL);
}

static void on_arrival(sim_model *m, sim_hall *h, const sim_action *a)
{
    if (a->gen != h->arrival_gen || a->t >= h->kiosk_stop_ms) return;
    double lmax = max_rate(h);
    double rate = h->base_per_min * profile_at(h, a->t) * h->scripted_surge * h->incident_surge;
    if (sim_rng_unit(&h->rng) * lmax < rate) issue_ticket(m, h, a->t);
    double gap_min = sim_rng_exp(&h->rng, 1.0 / lmax);
    schedule(m, a->t + (int64_t)(gap_min * MIN_MS), h->index, A_ARRIVAL, 0, h->arrival_gen, NULL);
}

/* ---- windows ---- */

static void schedule_break(sim_model *m, sim_hall *h, int w, int64_t t)
{
    double gap = sim_rng_exp(&h->rng, BREAK_MEAN_MIN);
    schedule(m, t + (int64_t)(gap * MIN_MS), h->index, A_BREAK, w, h->win[w].break_gen, NULL);
}

static void win_open(sim_model *m, sim_hall *h, int w, int64_t t)
{
    sim_win *win = &h->win[w];
    if (win->state != WS_CLOSED) return;
    win->state = WS_IDLE;
    win->gen++;
    win->ticket = -1;
    win->call_pending = win->lunch_pending = win->break_pending = win->leave = false;
    win->on_lunch = false;
    win->break_gen++;
    emit(m, h, t, EV_WINDOW_OPENED,
         json_pack("{s:s, s:s}", "window", win_id(h, w), "staff", staff_id(h, win)));
    schedule_break(m, h, w, t);
    wake_windows(m, h, -1, t);
}

static void win_close(sim_model *m, sim_hall *h, int w, int64_t t)
{
    sim_win *win = &h->win[w];
    if (win->state == WS_CLOSED) return;
    win->state = WS_CLOSED;
    win->gen++;
    win->call_pending = win->lunch_pending = win->break_pending = false;
    win->on_lunch = false;
    if (win->leave) {
        win->leave = false;
        win->rostered = false;
    }
    emit(m, h, t, EV_WINDOW_CLOSED, json_pack("{s:s}", "window", win_id(h, w)));
}

static void win_pause(sim_model *m, sim_hall *h, int w, int64_t t, int reason)
{
    sim_win *win = &h->win[w];
    win->state = WS_PAUSED;
    win->gen++;
    win->call_pending = false;
    win->on_lunch = reason == EV_PAUSE_LUNCH;
    emit(m, h, t, EV_WINDOW_PAUSED,
         json_pack("{s:s, s:s}", "window", win_id(h, w), "reason", ev_pause_reason_name(reason)));
}

static void win_resume(sim_model *m, sim_hall *h, int w, int64_t t)
{
    sim_win *win = &h->win[w];
    win->state = WS_IDLE;
    win->gen++;
    win->on_lunch = false;
    emit(m, h, t, EV_WINDOW_RESUMED, json_pack("{s:s}", "window", win_id(h, w)));
    wake_windows(m, h, -1, t);
}

/* A short break (or meeting) starting now; A_BREAK_END resumes the window. */
static void win_take_break(sim_model *m, sim_hall *h, int w, int64_t t)
{
    double u = sim_rng_unit(&h->rng);
    int reason = u < 0.92 ? EV_PAUSE_BREAK : u < 0.97 ? EV_PAUSE_MEETING : EV_PAUSE_OTHER;
    double lo = reason == EV_PAUSE_MEETING ? 20 : 5, hi = reason == EV_PAUSE_MEETING ? 40 : 15;
    h->win[w].break_pending = false;
    win_pause(m, h, w, t, reason);
    schedule(m, t + (int64_t)(sim_rng_range(&h->rng, lo, hi) * MIN_MS), h->index, A_BREAK_END, w,
             h->win[w].gen, NULL);
}

/* The window is free again (service over): close, pause or call, as the day has it. */
static void win_after_service(sim_model *m, sim_hall *h, int w, int64_t t)
{
    sim_win *win = &h->win[w];
    win->ticket = -1;
    win->state = WS_IDLE;
    win->gen++;
    win->call_pending = false;
    if (win->leave) {
        win_close(m, h, w, t);
        return;
    }
    if (h->closing) {
        if (t < h->hard_close_ms && waiting_for_window(h, w) >= 0)
            wake_windows(m, h, -1, t);
        else
            win_close(m, h, w, t);
        return;
    }
    if (win->lunch_pending) {
        win->lunch_pending = false;
        win_pause(m, h, w, t, EV_PAUSE_LUNCH);
        return;
    }
    if (win->break_pending) {
        win_take_break(m, h, w, t);
        return;
    }
    wake_windows(m, h, -1, t);
}

static void step_after(sim_model *m, sim_hall *h, int w, int64_t t, int step, int64_t delay)
{
    h->win[w].step = step;
    schedule(m, t + delay, h->index, A_WIN_STEP, w, h->win[w].gen, NULL);
}

static int64_t rand_ms(sim_hall *h, double lo_s, double hi_s)
{
    return (int64_t)(sim_rng_range(&h->rng, lo_s, hi_s) * SEC_MS);
}

static void on_call(sim_model *m, sim_hall *h, const sim_action *a)
{
    int w = a->a;
    sim_win *win = &h->win[w];
    if (a->gen != win->gen || win->state != WS_IDLE) return;
    win->call_pending = false;
    int ti = waiting_for_window(h, w);
    if (ti < 0) {
        if (h->closing) win_close(m, h, w, a->t);
        return;
    }
    sim_ticket *tk = &h->tickets[ti];
    waiting_remove(h, ti);
    tk->state = TS_SERVING;
    win->ticket = ti;
    win->state = WS_SERVING;
    win->gen++;
    emit(m, h, a->t, EV_TICKET_CALLED,
         json_pack("{s:s, s:s, s:s}", "ticket", tk->id, "window", win_id(h, w), "staff",
                   staff_id(h, win)));

    sim_rng *r = &h->rng;
    win->noshow = sim_rng_chance(r, 0.04);
    win->recycle = win->noshow && sim_rng_chance(r, 0.2);
    if (win->noshow)
        win->recalls_left = 1 + sim_rng_chance(r, 0.5);
    else
        win->recalls_left = sim_rng_chance(r, 0.10) ? 1 + sim_rng_chance(r, 0.2) : 0;
    win->send_start = sim_rng_chance(r, 0.85);
    double s = sim_rng_lognormal(r, h->service_median_s[tk->biz], SERVICE_SIGMA);
    if (s < 45) s = 45;
    if (s > 75 * 60) s = 75 * 60;
    win->service_ms = (int64_t)(s * SEC_MS);
    double u = sim_rng_unit(r);
    win->transfer = u < 0.02 && h->cfg->nbiz > 1;
    win->suspend = !win->transfer && u < 0.03;
    u = sim_rng_unit(r);
    win->result = u < 0.87   ? EV_RES_DONE
                  : u < 0.94 ? EV_RES_SUPPLEMENT
                  : u < 0.98 ? EV_RES_CONSULT
                             : EV_RES_RETURNED;
    if (win->recalls_left > 0)
        step_after(m, h, w, a->t, STEP_RECALL, rand_ms(h, 30, 50));
    else
        step_after(m, h, w, a->t, STEP_START, rand_ms(h, 10, 60));
}

static void finish_review(sim_model *m, sim_hall *h, int w, const sim_ticket *tk, int64_t t,
                          const char *case_id);

static void on_step(sim_model *m, sim_hall *h, const sim_action *a)
{
    int w = a->a;
    sim_win *win = &h->win[w];
    if (a->gen != win->gen || win->ticket < 0) return;
    sim_ticket *tk = &h->tickets[win->ticket];
    const char *wid = win_id(h, w);
    int64_t t = a->t;
    switch (win->step) {
    case STEP_RECALL:
        emit(m, h, t, EV_TICKET_RECALLED, json_pack("{s:s, s:s}", "ticket", tk->id, "window", wid));
        if (--win->recalls_left > 0)
            step_after(m, h, w, t, STEP_RECALL, rand_ms(h, 30, 50));
        else if (win->noshow)
            step_after(m, h, w, t, STEP_NOSHOW, rand_ms(h, 30, 60));
        else
            step_after(m, h, w, t, STEP_START, rand_ms(h, 10, 40));
        return;
    case STEP_NOSHOW:
        emit(m, h, t, EV_TICKET_NO_SHOW,
             json_pack("{s:s, s:s, s:s}", "ticket", tk->id, "window", wid, "action",
                       win->recycle ? "recycle" : "skip"));
        if (win->recycle)
            waiting_add(m, h, win->ticket);
        else
            tk->state = TS_DONE;
        win_after_service(m, h, w, t);
        return;
    case STEP_START:
        if (win->send_start)
            emit(m, h, t, EV_TICKET_STARTED,
                 json_pack("{s:s, s:s, s:s}", "ticket", tk->id, "window", wid, "staff",
                           staff_id(h, win)));
        if (win->suspend)
            step_after(m, h, w, t, STEP_SUSPEND,
                       (int64_t)(win->service_ms * sim_rng_range(&h->rng, 0.2, 0.6)));
        else if (win->transfer)
            step_after(m, h, w, t, STEP_TRANSFER,
                       (int64_t)(win->service_ms * sim_rng_range(&h->rng, 0.3, 0.7)));
        else
            step_after(m, h, w, t, STEP_FINISH, win->service_ms);
        return;
    case STEP_SUSPEND:
        emit(m, h, t, EV_TICKET_SUSPENDED,
             json_pack("{s:s, s:s, s:s}", "ticket", tk->id, "window", wid, "reason",
                       "等待补充材料"));
        tk->state = TS_SUSPENDED;
        step_after(m, h, w, t, STEP_RESUME, (int64_t)(sim_rng_range(&h->rng, 2, 8) * MIN_MS));
        return;
    case STEP_RESUME:
        emit(m, h, t, EV_TICKET_RESUMED, json_pack("{s:s, s:s}", "ticket", tk->id, "window", wid));
        tk->state = TS_SERVING;
        step_after(m, h, w, t, STEP_FINISH,
                   (int64_t)(win->service_ms * sim_rng_range(&h->rng, 0.4, 0.8)));
        return;
    case STEP_TRANSFER: {
        int to = sim_rng_int(&h->rng, h->cfg->nbiz - 1);
        if (to >= tk->biz) to++;
        if (h->biz_windows[to] <= 0) {
            step_after(m, h, w, t, STEP_FINISH, win->service_ms / 2);
            return;
        }
        emit(m, h, t, EV_TICKET_TRANSFERRED,
             json_pack("{s:s, s:s, s:s}", "ticket", tk->id, "window", wid, "to_biz",
                       h->cfg->biz[to].id));
        tk->biz = to;
        tk->entry_ms = t;
        tk->prio = 2;
        waiting_add(m, h, win->ticket);
        win_after_service(m, h, w, t);
        return;
    }
    case STEP_FINISH: {
        char case_id[48] = "";
        if (win->result == EV_RES_DONE && sim_rng_chance(&h->rng, 0.7))
            snprintf(case_id, sizeof case_id, "%s-%d-%05d", h->cfg->id, h->date, ++h->case_counter);
        json_t *data = json_pack("{s:s, s:s, s:s}", "ticket", tk->id, "window", wid, "result",
                                 ev_result_name(win->result));
        if (data && case_id[0]) json_object_set_new(data, "case", json_string(case_id));
        emit(m, h, t, EV_TICKET_FINISHED, data);
        tk->state = TS_DONE;
        if (sim_rng_chance(&h->rng, REVIEW_SHARE)) finish_review(m, h, w, tk, t, case_id);
        win_after_service(m, h, w, t);
        return;
    }
    }
}

/* ---- reviews and cases ---- */

static sim_review *review_new(sim_model *m, sim_hall *h)
{
    sim_review *rv = calloc(1, sizeof *rv);
    if (!rv) {
        m->failed = true;
        return NULL;
    }
    snprintf(rv->id, sizeof rv->id, "RV-%s-%d-%s%04d", h->cfg->id, h->date, m->run_tag,
             ++h->review_counter);
    rv->window = -1;
    rv->case_state = EV_CASE_ASSIGNED;
    return rv;
}

static void finish_review(sim_model *m, sim_hall *h, int w, const sim_ticket *tk, int64_t t,
                          const char *case_id)
{
    sim_rng *r = &h->rng;
    sim_review *rv = review_new(m, h);
    if (!rv) return;
    double u = sim_rng_unit(r);
    rv->level = u < 0.70 ? 5 : u < 0.85 ? 4 : u < 0.97 ? 3 : u < 0.99 ? 2 : 1;
    u = sim_rng_unit(r);
    rv->channel = u < 0.75   ? EV_RCH_EVALUATOR
                  : u < 0.85 ? EV_RCH_QRCODE
                  : u < 0.92 ? EV_RCH_APP
                  : u < 0.97 ? EV_RCH_SMS
                             : EV_RCH_WEB;
    rv->real_name = sim_rng_chance(r, 0.4);
    rv->window = w;
    snprintf(rv->ticket, sizeof rv->ticket, "%s", tk->id);
    snprintf(rv->staff, sizeof rv->staff, "%s", staff_id(h, &h->win[w]));
    snprintf(rv->case_id, sizeof rv->case_id, "%s", case_id);
    const char *term = NULL, *category = NULL;
    char phone[16];
    bool with_phone = false;
    if (rv->level <= 2) {
        if (m->cfg->nlexicon > 0 && sim_rng_chance(r, 0.3)) {
            const cfg_lexterm *lt = &m->cfg->lexicon[sim_rng_int(r, m->cfg->nlexicon)];
            term = lt->term;
            category = lt->category;
        }
        if (sim_rng_chance(r, 0.2)) {
            sim_text_phone(r, phone);
            with_phone = true;
        }
    }
    sim_text_comment(r, rv->level, term, category, with_phone ? phone : NULL, rv->comment,
                     sizeof rv->comment);
    int64_t delay =
        rv->channel == EV_RCH_EVALUATOR ? rand_ms(h, 5, 40) : rand_ms(h, 5 * 60, 120 * 60);
    schedule(m, t + delay, h->index, A_REVIEW, 0, 0, rv);
}

static void send_review(sim_model *m, sim_hall *h, sim_review *rv, int64_t t)
{
    json_t *d = json_pack("{s:s, s:i, s:s, s:b}", "review", rv->id, "level", rv->level, "channel",
                          ev_review_channel_name(rv->channel), "real_name", rv->real_name);
    if (d && rv->window >= 0) json_object_set_new(d, "window", json_string(win_id(h, rv->window)));
    if (d && rv->staff[0]) json_object_set_new(d, "staff", json_string(rv->staff));
    if (d && rv->ticket[0]) json_object_set_new(d, "ticket", json_string(rv->ticket));
    if (d && rv->case_id[0]) json_object_set_new(d, "case", json_string(rv->case_id));
    if (d && rv->comment[0]) json_object_set_new(d, "comment", json_string(rv->comment));
    emit(m, h, t, EV_REVIEW_SUBMITTED, d);
    m->stats.reviews++;
    if (rv->level <= 2) {
        m->stats.bad_reviews++;
        rv->case_state = EV_CASE_ASSIGNED;
        int64_t at = shift_into_hours(m, h, t + rand_ms(h, 5 * 60, 30 * 60));
        schedule(m, at, h->index, A_CASE, 0, 0, rv);
    } else {
        free(rv);
    }
}

/* Send the case's next state and schedule the one after (the action owns rv). */
static void on_case(sim_model *m, sim_hall *h, const sim_action *a)
{
    sim_review *rv = a->rv;
    int st = rv->case_state;
    emit(m, h, a->t, EV_REVIEW_CASE,
         json_pack("{s:s, s:s, s:s}", "review", rv->id, "state", ev_case_state_name(st), "note",
                   st == EV_CASE_APPEALED          ? "窗口申诉：群众诉求超出办理范围"
                   : st == EV_CASE_APPEAL_UPHELD   ? "申诉成立，差评不计入"
                   : st == EV_CASE_APPEAL_REJECTED ? "申诉不成立，继续整改"
                                                   : sim_text_case_note(&h->rng, st)));
    int next = -1;
    double lo_min = 0, hi_min = 0;
    switch (st) {
    case EV_CASE_ASSIGNED:
        if (sim_rng_chance(&h->rng, 0.05)) {
            next = EV_CASE_APPEALED, lo_min = 30, hi_min = 180;
        } else if (sim_rng_chance(&h->rng, rv->real_name ? 0.08 : 0.15)) {
            next = EV_CASE_CONTACTED, lo_min = 20 * 60, hi_min = 30 * 60; /* late */
        } else {
            next = EV_CASE_CONTACTED, lo_min = 20, hi_min = 240;
        }
        break;
    case EV_CASE_APPEALED:
        next = sim_rng_chance(&h->rng, 0.5) ? EV_CASE_APPEAL_UPHELD : EV_CASE_APPEAL_REJECTED;
        lo_min = 4 * 60, hi_min = 30 * 60;
        break;
    case EV_CASE_APPEAL_REJECTED:
    case EV_CASE_CONTACTED:
        next = EV_CASE_RECTIFYING, lo_min = 60, hi_min = 6 * 60;
        break;
    case EV_CASE_RECTIFYING:
        next = EV_CASE_CLOSED, lo_min = 2 * 60, hi_min = 48 * 60;
        break;
    default:
        break;
    }
    if (next < 0) {
        free(rv);
        return;
    }
    rv->case_state = next;
    int64_t at =
        shift_into_hours(m, h, a->t + (int64_t)(sim_rng_range(&h->rng, lo_min, hi_min) * MIN_MS));
    schedule(m, at, h->index, A_CASE, 0, 0, rv);
}

/* The scripted bad review of the `bad-review` scenario. */
static void on_script_bad_review(sim_model *m, sim_hall *h, int64_t t)
{
    sim_review *rv = review_new(m, h);
    if (!rv) return;
    int w = -1;
    for (int i = 0; i < h->nwin && w < 0; i++)
        if (h->win[i].state != WS_CLOSED) w = i;
    if (w < 0 && h->nwin > 0) w = 0;
    rv->level = 1;
    rv->channel = EV_RCH_EVALUATOR;
    rv->real_name = true;
    rv->window = w;
    if (w >= 0) snprintf(rv->staff, sizeof rv->staff, "%s", staff_id(h, &h->win[w]));
    char phone[16];
    sim_text_phone(&h->rng, phone);
    sim_text_comment(&h->rng, 1, "跳楼", "人身安全", phone, rv->comment, sizeof rv->comment);
    send_review(m, h, rv, t);
}

/* ---- cameras ---- */

static void camera_status(sim_model *m, sim_hall *h, int c, int status, int64_t t)
{
    const char *cid = h->cfg->cameras[c].id;
    json_t *d = json_pack("{s:s, s:s}", "camera", cid, "status", ev_cam_status_name(status));
    if (d && status == EV_CAM_ONLINE) {
        char url[600];
        snprintf(url, sizeof url, "%s/%s/main", m->rtsp_base, cid);
        json_object_set_new(d, "main", json_string(url));
        snprintf(url, sizeof url, "%s/%s/sub", m->rtsp_base, cid);
        json_object_set_new(d, "sub", json_string(url));
    }
    h->cam_status[c] = status;
    emit(m, h, t, EV_CAMERA_STATUS, d);
}

static void schedule_flap(sim_model *m, sim_hall *h, int64_t t)
{
    if (h->cfg->ncameras == 0) return;
    double gap = sim_rng_exp(&h->rng, FLAP_MEAN_H * 60);
    schedule(m, t + (int64_t)(gap * MIN_MS), h->index, A_CAM_FLAP, 0, 0, NULL);
}

/* ---- the business day ---- */

/* How much window w is worth to the hall's roster: the demand of its biz types over the
 * capacity already rostered for them (a multi-biz window counts 1/nbiz for each). With
 * `self` the window's own share is counted as rostered. */
static double roster_value(const sim_hall *h, int w, bool self)
{
    const cfg_window *cw = &h->cfg->windows[w];
    double v = 0;
    for (int i = 0; i < cw->nbiz; i++) {
        int b = cw->biz[i];
        double cap = self ? 0 : 1.0 / cw->nbiz;
        for (int o = 0; o < h->nwin; o++) {
            const sim_win *ow = &h->win[o];
            if (ow->rostered && !ow->leave && win_serves(h, o, b))
                cap += 1.0 / h->cfg->windows[o].nbiz;
        }
        v += h->biz_windows[b] / cap;
    }
    return v;
}

/* The unrostered window that adds most (add) or the rostered one that costs least (!add);
 * -1 when there is none. Ties go to the lowest index when adding, the highest when not. */
static int roster_pick(const sim_hall *h, bool add)
{
    int best = -1;
    double bv = 0;
    for (int w = 0; w < h->nwin; w++) {
        const sim_win *win = &h->win[w];
        bool on = win->rostered && !win->leave;
        if (on == add || h->cfg->windows[w].nbiz == 0) continue;
        double v = roster_value(h, w, !add);
        if (best < 0 || (add ? v > bv : v <= bv)) {
            best = w;
            bv = v;
        }
    }
    return best;
}

/* Rostered windows, counting those still to open and those leaving after their ticket. */
static int rostered_count(const sim_hall *h)
{
    int n = 0;
    for (int w = 0; w < h->nwin; w++)
        if (h->win[w].rostered && !h->win[w].leave) n++;
    return n;
}

/* A new day: the hall's counters and windows reset (a window still open from yesterday
 * emits closed), its hours looked up. */
static void plan_reset(sim_model *m, sim_hall *h, int64_t t, const cwt_local *loc)
{
    h->date = loc->date;
    h->weekday = loc->weekday;
    h->day_start_ms = loc->day_start_ms;
    h->closing = false;
    h->ntickets = h->nwaiting = 0;
    h->review_counter = h->case_counter = 0;
    for (int b = 0; b < h->cfg->nbiz; b++)
        h->biz_counter[b] = 0;
    for (int w = 0; w < h->nwin; w++) {
        sim_win *win = &h->win[w];
        win->leave = false;
        win_close(m, h, w, t); /* a window still open from yesterday: emits closed */
        win->rostered = false;
        win->ticket = -1;
    }
    hall_day_hours(m, h, loc, &h->open_ms, &h->close_ms, &h->lunch_from_ms, &h->lunch_to_ms);
    h->kiosk_stop_ms = h->close_ms - KIOSK_STOP_MIN * MIN_MS;
    h->hard_close_ms = h->close_ms + OVERTIME_MIN * MIN_MS;
    h->base_per_min = 0;
}

/* Who works today: the planned number of windows rostered, each opening on time or late (a
 * bad morning makes late openings likelier). The count rostered. */
static int plan_roster(sim_model *m, sim_hall *h, const cwt_local *loc)
{
    sim_rng *r = &h->rng;
    int planned = cfg_hall_planned(m->cfg, h->cfg, loc->date, loc->weekday,
                                   (int)((h->open_ms - loc->day_start_ms) / MIN_MS) + 60);
    if (planned <= 0 || planned > h->nwin) planned = h->nwin;
    /* a weekend service (LH-00's Saturday morning) sees demand in proportion to its staffing */
    if (!cfg_is_workday(m->cfg, loc->date, loc->weekday))
        h->base_per_min *= (double)planned / h->nwin;
    bool bad_morning = sim_rng_chance(r, 0.15);
    for (int k = 0; k < planned; k++) {
        int w = roster_pick(h, true);
        if (w < 0) break;
        sim_win *win = &h->win[w];
        win->rostered = true;
        win->staff = w % h->nstaff;
        win->luncher = sim_rng_chance(r, 0.75);
        bool late = sim_rng_chance(r, bad_morning ? 0.3 : 0.05);
        int64_t open_at = late ? h->open_ms + (int64_t)(sim_rng_range(r, 12, 45) * MIN_MS)
                               : h->open_ms + (int64_t)(sim_rng_range(r, -5, 3) * MIN_MS);
        if (open_at < h->close_ms) schedule(m, open_at, h->index, A_WIN_OPEN, w, h->day_gen, NULL);
    }
    return planned;
}

/* The day's demand per biz follows the capacity rostered for it (see hall_init). */
static void plan_biz_weights(sim_hall *h)
{
    double wsum = 0;
    for (int b = 0; b < h->cfg->nbiz; b++) {
        double cap = 0;
        for (int w = 0; w < h->nwin; w++)
            if (h->win[w].rostered && win_serves(h, w, b)) cap += 1.0 / h->cfg->windows[w].nbiz;
        h->biz_weight[b] = cap / category_median_s(&h->cfg->biz[b]);
        wsum += h->biz_weight[b];
    }
    if (wsum > 0) h->weight_sum = wsum;
}

/* 午间不打烊: most days every biz keeps a window open over lunch; the others' lunches. */
static void plan_lunch(sim_model *m, sim_hall *h, int64_t t)
{
    sim_rng *r = &h->rng;
    for (int b = 0; b < h->cfg->nbiz; b++) {
        int cand = 0, keep = -1;
        bool covered = false;
        for (int w = 0; w < h->nwin && !covered; w++) {
            if (!h->win[w].rostered || !win_serves(h, w, b)) continue;
            covered = !h->win[w].luncher;
            if (sim_rng_int(r, ++cand) == 0) keep = w;
        }
        if (!covered && keep >= 0 && sim_rng_chance(r, 0.8)) h->win[keep].luncher = false;
    }
    for (int w = 0; w < h->nwin && h->lunch_to_ms > h->lunch_from_ms; w++) {
        if (!h->win[w].rostered || !h->win[w].luncher) continue;
        int64_t ls = h->lunch_from_ms + (int64_t)(sim_rng_range(r, -2, 10) * MIN_MS);
        int64_t le = h->lunch_to_ms + (int64_t)(sim_rng_range(r, -8, 4) * MIN_MS);
        if (le > t) {
            schedule(m, ls, h->index, A_LUNCH_START, w, h->day_gen, NULL);
            schedule(m, le, h->index, A_LUNCH_END, w, h->day_gen, NULL);
        }
    }
}

/* Service times: category medians, scaled down if the day would be overloaded. */
static void plan_service(sim_model *m, sim_hall *h, const cwt_local *loc, int planned)
{
    double mean_s = 0;
    for (int b = 0; b < h->cfg->nbiz; b++) {
        h->service_median_s[b] = category_median_s(&h->cfg->biz[b]);
        mean_s += h->biz_weight[b] / h->weight_sum * h->service_median_s[b];
    }
    mean_s *= exp(SERVICE_SIGMA * SERVICE_SIGMA / 2);
    int fewest = planned; /* the thinnest staffing of the day sets the pace */
    int64_t probes[] = {h->lunch_to_ms + HOUR_MS, h->close_ms - HOUR_MS};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        int p = cfg_hall_planned(m->cfg, h->cfg, loc->date, loc->weekday,
                                 (int)((probes[i] - loc->day_start_ms) / MIN_MS));
        if (p > 0 && p < fewest) fewest = p;
    }
    double prof = 0;
    int nmin = 0;
    for (int64_t x = h->open_ms; x < h->kiosk_stop_ms; x += MIN_MS, nmin++)
        prof += profile_at(h, x);
    prof = nmin > 0 && prof > nmin ? prof / nmin : 1.0; /* the day's mean demand, >= 1 */
    double overhead_s = 40;
    double budget_s = TARGET_LOAD * fewest / (h->base_per_min * prof) * 60;
    if (mean_s + overhead_s > budget_s) {
        double k = (budget_s - overhead_s) / mean_s;
        if (k < 0.2) k = 0.2;
        for (int b = 0; b < h->cfg->nbiz; b++)
            h->service_median_s[b] *= k;
    }
}

/* The day's fixed points: closing, the hard close, the roster checks every 30 min. */
static void plan_fixed_points(sim_model *m, sim_hall *h, int64_t t)
{
    if (h->close_ms > t) schedule(m, h->close_ms, h->index, A_CLOSE, 0, h->day_gen, NULL);
    if (h->hard_close_ms > t)
        schedule(m, h->hard_close_ms, h->index, A_HARD_CLOSE, 0, h->day_gen, NULL);
    for (int64_t rt = h->open_ms + 30 * MIN_MS; rt < h->close_ms - 30 * MIN_MS; rt += 30 * MIN_MS)
        if (rt > t) schedule(m, rt, h->index, A_ROSTER, 0, h->day_gen, NULL);
}

/* The scenario's incidents: now and then a silent gateway or a surge. */
static void plan_incidents(sim_model *m, sim_hall *h, int64_t t)
{
    sim_rng *r = &h->rng;
    if (m->sc->incidents) {
        if (sim_rng_chance(r, 0.25)) {
            int64_t at =
                (int64_t)sim_rng_range(r, (double)h->open_ms, (double)(h->close_ms - 10 * MIN_MS));
            if (at > t) schedule(m, at, h->index, A_SILENCE_BEGIN, 0, 0, NULL);
        }
        if (sim_rng_chance(r, 0.2)) {
            int64_t at =
                (int64_t)sim_rng_range(r, (double)h->open_ms, (double)(h->close_ms - 60 * MIN_MS));
            if (at > t) schedule(m, at, h->index, A_SURGE_BEGIN, 0, h->day_gen, NULL);
        }
    }
}

static void plan_day(sim_model *m, sim_hall *h, int64_t t)
{
    cwt_local loc;
    cwt_to_local(t, &loc);
    sim_rng *r = &h->rng;
    h->day_gen++;
    plan_reset(m, h, t, &loc);
    schedule(m, next_day_start(loc.day_start_ms), h->index, A_DAY_BEGIN, 0, 0, NULL);
    if (h->close_ms <= h->open_ms || !m->sc->traffic || h->nwin == 0 || h->weight_sum <= 0) return;
    /* demand */
    double day_factor = sim_rng_range(r, 0.9, 1.1) * (loc.weekday == 0 ? 1.1 : 1.0);
    h->base_per_min = daily_target(h) * day_factor / profile_integral_std(h);
    int planned = plan_roster(m, h, &loc);
    plan_biz_weights(h);
    plan_lunch(m, h, t);
    plan_service(m, h, &loc, planned);
    plan_fixed_points(m, h, t);
    plan_incidents(m, h, t);
    h->incident_surge = 1.0;
    restart_arrivals(m, h, t);
}

/* Mid-day start: a few minutes' worth of arrivals are already waiting at t. The window
 * openings and lunch pauses due before t were scheduled in the past by plan_day and so run
 * at t too (schedule() moves past times to now): every catch-up event carries at = t. */
static void catch_up(sim_model *m, sim_hall *h, int64_t t)
{
    if (h->base_per_min <= 0 || t <= h->open_ms || t >= h->kiosk_stop_ms) return;
    double expect = h->base_per_min * profile_at(h, t) * h->scripted_surge * INIT_QUEUE_MIN;
    int n = sim_rng_poisson(&h->rng, expect);
    for (int i = 0; i < n; i++)
        issue_ticket(m, h, t);
}

static void on_roster(sim_model *m, sim_hall *h, int64_t t)
{
    int min = (int)((t - h->day_start_ms) / MIN_MS);
    if (!cfg_hall_open(m->cfg, h->cfg, h->date, h->weekday, min)) return;
    int want = cfg_hall_planned(m->cfg, h->cfg, h->date, h->weekday, min);
    if (want <= 0 || want > h->nwin) want = h->nwin;
    int have = rostered_count(h);
    while (have < want) {
        int w = roster_pick(h, true);
        if (w < 0) break;
        sim_win *win = &h->win[w];
        win->rostered = true;
        win->leave = false;
        win->staff = w % h->nstaff;
        win->luncher = false;
        schedule(m, t + rand_ms(h, 0, 180), h->index, A_WIN_OPEN, w, h->day_gen, NULL);
        have++;
    }
    while (have > want) {
        int w = roster_pick(h, false);
        if (w < 0) break;
        sim_win *win = &h->win[w];
        have--;
        if (win->state == WS_SERVING) {
            win->leave = true;
        } else if (win->state == WS_CLOSED) {
            win->rostered = false; /* its opening is still to come: it will not happen */
        } else {
            win->leave = true;
            win_close(m, h, w, t);
        }
    }
}

static void on_close(sim_model *m, sim_hall *h, int64_t t)
{
    h->closing = true;
    for (int w = 0; w < h->nwin; w++) {
        sim_win *win = &h->win[w];
        if (win->state == WS_PAUSED || (win->state == WS_IDLE && waiting_for_window(h, w) < 0))
            win_close(m, h, w, t);
    }
}

static void on_hard_close(sim_model *m, sim_hall *h, int64_t t)
{
    for (int i = h->nwaiting - 1; i >= 0; i--) {
        sim_ticket *tk = &h->tickets[h->waiting[i]];
        emit(m, h, t, EV_TICKET_VOIDED,
             json_pack("{s:s, s:s}", "ticket", tk->id, "reason", "closing"));
        tk->state = TS_DONE;
    }
    h->nwaiting = 0;
    for (int w = 0; w < h->nwin; w++)
        if (h->win[w].state != WS_SERVING) win_close(m, h, w, t);
}

/* ---- running actions ---- */

static void on_heartbeat(sim_model *m, sim_hall *h, int64_t t)
{
    if (!h->silent && !h->silent_drop && t - h->last_emit_ms >= m->heartbeat_ms)
        emit(m, h, t, EV_HALL_HEARTBEAT, json_object());
    int64_t next = h->last_emit_ms + m->heartbeat_ms;
    if (h->silent || next <= t) next = t + m->heartbeat_ms;
    schedule(m, next, h->index, A_HEARTBEAT, 0, 0, NULL);
}

static void release_held(sim_model *m, sim_hall *h)
{
    for (size_t i = 0; i < h->held.n; i++) {
        if (evbuf_push(&m->pending, &h->held.v[i]) < 0) {
            for (size_t j = i; j < h->held.n; j++)
                json_decref(h->held.v[j].data);
            m->failed = true;
            break;
        }
        h->last_emit_ms = h->held.v[i].at_ms;
    }
    h->held.n = 0;
}

/* A window's lunch and breaks. */
static void on_window_action(sim_model *m, sim_hall *h, sim_action *a)
{
    sim_win *win = &h->win[a->a];
    int64_t t = a->t;
    switch (a->kind) {
    case A_LUNCH_START:
        if (a->gen != h->day_gen || h->closing) break;
        if (win->state == WS_IDLE)
            win_pause(m, h, a->a, t, EV_PAUSE_LUNCH);
        else if (win->state == WS_SERVING || win->state == WS_PAUSED)
            win->lunch_pending = true;
        break;
    case A_LUNCH_END:
        if (a->gen != h->day_gen) break;
        win->lunch_pending = false;
        if (win->state == WS_PAUSED && win->on_lunch) {
            if (sim_rng_chance(&h->rng, 0.15) && h->nstaff > h->nwin) {
                int spare = h->nwin + h->spare_next++ % (h->nstaff - h->nwin);
                win_close(m, h, a->a, t);
                win->staff = spare;
                win_open(m, h, a->a, t);
            } else {
                win_resume(m, h, a->a, t);
            }
        }
        break;
    case A_BREAK:
        if (a->gen != win->break_gen || win->state == WS_CLOSED || h->closing) break;
        if (win->state == WS_IDLE)
            win_take_break(m, h, a->a, t);
        else if (win->state == WS_SERVING)
            win->break_pending = true; /* taken after this ticket; its end schedules the next */
        else
            schedule_break(m, h, a->a, t);
        break;
    case A_BREAK_END:
        if (a->gen != win->gen || win->state != WS_PAUSED) break;
        if (win->lunch_pending) {
            win->lunch_pending = false;
            win_resume(m, h, a->a, t);
            win_pause(m, h, a->a, t, EV_PAUSE_LUNCH);
        } else {
            win_resume(m, h, a->a, t);
            schedule_break(m, h, a->a, t);
        }
        break;
    default:
        break;
    }
}

/* The cameras: all online at the start, then a random flap now and then, restored. */
static void on_camera_action(sim_model *m, sim_hall *h, sim_action *a)
{
    int64_t t = a->t;
    switch (a->kind) {
    case A_CAM_INIT:
        for (int c = 0; c < h->cfg->ncameras; c++)
            camera_status(m, h, c, EV_CAM_ONLINE, t);
        schedule_flap(m, h, t);
        break;
    case A_CAM_FLAP: {
        int c = sim_rng_int(&h->rng, h->cfg->ncameras);
        if (h->cam_status[c] == EV_CAM_ONLINE) {
            camera_status(m, h, c, sim_rng_chance(&h->rng, 0.7) ? EV_CAM_OFFLINE : EV_CAM_NO_FRAME,
                          t);
            schedule(m, t + rand_ms(h, 30, 180), h->index, A_CAM_RESTORE, c, 0, NULL);
        }
        schedule_flap(m, h, t);
        break;
    }
    case A_CAM_RESTORE:
        camera_status(m, h, a->a, EV_CAM_ONLINE, t);
        break;
    default:
        break;
    }
}

/* Incidents of the scenarios: a silent gateway, a surge of arrivals. */
static void on_incident_action(sim_model *m, sim_hall *h, sim_action *a)
{
    int64_t t = a->t;
    switch (a->kind) {
    case A_SILENCE_BEGIN:
        if (!h->silent) {
            h->silent = true;
            schedule(m, t + (int64_t)(sim_rng_range(&h->rng, 6, 10) * MIN_MS), h->index,
                     A_SILENCE_END, 0, 0, NULL);
        }
        break;
    case A_SILENCE_END:
        h->silent = false;
        release_held(m, h);
        break;
    case A_SURGE_BEGIN:
        if (a->gen != h->day_gen || h->closing) break;
        h->incident_surge = 3.0;
        restart_arrivals(m, h, t);
        schedule(m, t + 20 * MIN_MS, h->index, A_SURGE_END, 0, h->day_gen, NULL);
        break;
    case A_SURGE_END:
        if (a->gen != h->day_gen) break;
        h->incident_surge = 1.0;
        restart_arrivals(m, h, t);
        break;
    default:
        break;
    }
}

static void run_action(sim_model *m, sim_action *a)
{
    sim_hall *h = &m->halls[a->hall];
    sim_win *win = a->a >= 0 && a->a < h->nwin ? &h->win[a->a] : NULL;
    int64_t t = a->t;
    switch (a->kind) {
    case A_DAY_BEGIN:
        plan_day(m, h, t);
        break;
    case A_ARRIVAL:
        on_arrival(m, h, a);
        break;
    case A_WIN_OPEN:
        if (a->gen == h->day_gen && win->rostered && !win->leave && t < h->close_ms)
            win_open(m, h, a->a, t);
        break;
    case A_WIN_CALL:
        on_call(m, h, a);
        break;
    case A_WIN_STEP:
        on_step(m, h, a);
        break;
    case A_CLOSE:
        if (a->gen == h->day_gen) on_close(m, h, t);
        break;
    case A_HARD_CLOSE:
        if (a->gen == h->day_gen) on_hard_close(m, h, t);
        break;
    case A_ROSTER:
        if (a->gen == h->day_gen && !h->closing) on_roster(m, h, t);
        break;
    case A_VOID:
        if (a->gen == h->day_gen && h->tickets[a->a].state == TS_WAITING) {
            sim_ticket *tk = &h->tickets[a->a];
            emit(m, h, t, EV_TICKET_VOIDED,
                 json_pack("{s:s, s:s}", "ticket", tk->id, "reason", "left"));
            waiting_remove(h, a->a);
            tk->state = TS_DONE;
        }
        break;
    case A_REVIEW:
        send_review(m, h, a->rv, t);
        a->rv = NULL;
        break;
    case A_CASE:
        on_case(m, h, a);
        a->rv = NULL;
        break;
    case A_LUNCH_START:
    case A_LUNCH_END:
    case A_BREAK:
    case A_BREAK_END:
        on_window_action(m, h, a);
        break;
    case A_CAM_INIT:
    case A_CAM_FLAP:
    case A_CAM_RESTORE:
        on_camera_action(m, h, a);
        break;
    case A_SILENCE_BEGIN:
    case A_SILENCE_END:
    case A_SURGE_BEGIN:
    case A_SURGE_END:
        on_incident_action(m, h, a);
        break;
    case A_HEARTBEAT:
        on_heartbeat(m, h, t);
        break;
    case A_SCRIPT_SILENCE:
        h->silent_drop = true;
        break;
    case A_SCRIPT_BAD_REVIEW:
        on_script_bad_review(m, h, t);
        break;
    }
}

/* ---- the model ---- */

static int hall_init(sim_model *m, sim_hall *h, int index, const sim_model_opts *o)
{
    const cfg_hall *ch = &m->cfg->halls[index];
    h->cfg = ch;
    h->index = index;
    h->active = !o->halls || o->halls[index];
    sim_rng_seed(&h->rng, o->seed ^ sim_hash_str(ch->id));
    h->last_emit_ms = o->start_ms;
    h->scripted_surge = 1.0;
    h->incident_surge = 1.0;
    h->nwin = ch->nwindows;
    int nbiz = ch->nbiz > 0 ? ch->nbiz : 1;
    h->biz_windows = cw_xcalloc((size_t)nbiz, sizeof *h->biz_windows);
    h->biz_weight = cw_xcalloc((size_t)nbiz, sizeof *h->biz_weight);
    h->service_median_s = cw_xcalloc((size_t)nbiz, sizeof *h->service_median_s);
    h->biz_counter = calloc((size_t)nbiz, sizeof *h->biz_counter);
    h->win = calloc((size_t)(h->nwin > 0 ? h->nwin : 1), sizeof *h->win);
    h->cam_status = calloc((size_t)(ch->ncameras > 0 ? ch->ncameras : 1), sizeof *h->cam_status);
    h->nstaff = ch->nstaff > h->nwin + 3 ? ch->nstaff : h->nwin + 3;
    h->staff = calloc((size_t)h->nstaff, sizeof *h->staff);
    if (!h->biz_windows || !h->biz_weight || !h->service_median_s || !h->biz_counter || !h->win ||
        !h->cam_status || !h->staff)
        return -1;
    for (int i = 0; i < h->nstaff; i++) {
        if (i < ch->nstaff) {
            h->staff[i] = cw_xstrdup(ch->staff[i].id);
        } else {
            char id[24];
            snprintf(id, sizeof id, "W%02d%02d", index % 100, i + 1);
            h->staff[i] = cw_xstrdup(id);
        }
        if (!h->staff[i]) return -1;
    }
    for (int w = 0; w < h->nwin; w++) {
        h->win[w].ticket = -1;
        for (int i = 0; i < ch->windows[w].nbiz; i++) {
            int b = ch->windows[w].biz[i];
            if (b >= 0 && b < ch->nbiz) h->biz_windows[b] += 1.0 / ch->windows[w].nbiz;
        }
    }
    for (int b = 0; b < ch->nbiz; b++) {
        /* windows are allocated to the work: a biz gets tickets in proportion to what its
         * windows can serve, so that every queue of a hall carries the same load */
        h->biz_weight[b] = h->biz_windows[b] / category_median_s(&ch->biz[b]);
        h->weight_sum += h->biz_weight[b];
    }
    return 0;
}

static void hall_free(sim_hall *h)
{
    free(h->biz_windows);
    free(h->biz_weight);
    free(h->service_median_s);
    free(h->biz_counter);
    free(h->win);
    free(h->cam_status);
    free(h->tickets);
    free(h->waiting);
    if (h->staff)
        for (int i = 0; i < h->nstaff; i++)
            free(h->staff[i]);
    free(h->staff);
    sim_evbuf_free(&h->held);
}

sim_model *sim_model_create(const cfg_t *cfg, const sim_model_opts *o)
{
    sim_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->cfg = cfg;
    m->sc = o->scenario ? o->scenario : sim_scenario_find("normal");
    m->start_ms = o->start_ms;
    m->now_ms = o->start_ms;
    m->heartbeat_ms = o->heartbeat_ms >= 1000 ? o->heartbeat_ms : 30000;
    snprintf(m->rtsp_base, sizeof m->rtsp_base, "%s",
             o->rtsp_base ? o->rtsp_base : "rtsp://127.0.0.1:8554");
    snprintf(m->run_tag, sizeof m->run_tag, "%s", o->run_tag ? o->run_tag : "");
    m->nhalls = cfg->nhalls;
    m->halls = calloc((size_t)(cfg->nhalls > 0 ? cfg->nhalls : 1), sizeof *m->halls);
    if (!m->halls) goto fail;
    for (int i = 0; i < cfg->nhalls; i++)
        if (hall_init(m, &m->halls[i], i, o) < 0) goto fail;
    for (int i = 0; i < cfg->nhalls; i++) {
        sim_hall *h = &m->halls[i];
        if (!h->active) continue;
        const char *id = h->cfg->id;
        if (m->sc->surge_hall && strcmp(m->sc->surge_hall, id) == 0)
            h->scripted_surge = m->sc->surge_factor;
        if (m->sc->cameras) schedule(m, o->start_ms, i, A_CAM_INIT, 0, 0, NULL);
        schedule(m, o->start_ms, i, A_DAY_BEGIN, 0, 0, NULL);
        schedule(m, o->start_ms + m->heartbeat_ms, i, A_HEARTBEAT, 0, 0, NULL);
        if (m->sc->silent_hall && strcmp(m->sc->silent_hall, id) == 0)
            schedule(m, o->start_ms + m->sc->silent_after_ms, i, A_SCRIPT_SILENCE, 0, 0, NULL);
        if (m->sc->bad_review_hall && strcmp(m->sc->bad_review_hall, id) == 0)
            schedule(m, o->start_ms + m->sc->bad_review_after_ms, i, A_SCRIPT_BAD_REVIEW, 0, 0,
                     NULL);
    }
    if (m->failed) goto fail;
    return m;
fail:
    sim_model_destroy(m);
    return NULL;
}

void sim_model_destroy(sim_model *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->nheap; i++)
        free(m->heap[i].rv);
    free(m->heap);
    if (m->halls)
        for (int i = 0; i < m->nhalls; i++)
            hall_free(&m->halls[i]);
    free(m->halls);
    sim_evbuf_free(&m->pending);
    free(m);
}

int sim_model_advance(sim_model *m, int64_t to_ms, sim_evbuf *out)
{
    if (m->failed) return -1;
    while (m->nheap > 0 && m->heap[0].t <= to_ms && !m->failed) {
        sim_action a = heap_pop(m);
        m->now_ms = a.t;
        bool first_day = a.kind == A_DAY_BEGIN && a.t == m->start_ms;
        run_action(m, &a);
        free(a.rv);
        if (first_day) catch_up(m, &m->halls[a.hall], a.t);
    }
    if (to_ms > m->now_ms) m->now_ms = to_ms;
    if (m->failed) return -1;
    size_t n = m->pending.n;
    for (size_t i = 0; i < n; i++)
        if (evbuf_push(out, &m->pending.v[i]) < 0) {
            for (size_t j = i; j < n; j++)
                json_decref(m->pending.v[j].data);
            m->pending.n = 0;
            m->failed = true;
            return -1;
        }
    m->pending.n = 0;
    return (int)n;
}

json_t *sim_event_json(const cfg_t *cfg, const sim_event *ev, const char *feed)
{
    char at[40];
    cwt_format_local(ev->at_ms, at);
    return json_pack("{s:s, s:s*, s:I, s:s, s:s, s:O}", "hall", cfg->halls[ev->hall].id, "feed",
                     feed, "seq", (json_int_t)ev->seq, "type", ev_type_name(ev->type), "at", at,
                     "data", ev->data);
}

void sim_model_get_stats(const sim_model *m, sim_model_stats *out)
{
    *out = m->stats;
    out->held = 0;
    for (int i = 0; i < m->nhalls; i++)
        out->held += m->halls[i].held.n;
}
