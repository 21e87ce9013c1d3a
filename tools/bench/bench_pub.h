/* bench_pub: the steady-rate `ticket.issued` publisher shared by the fanout and glass modes.
 *
 * A thread POSTs `ticket.issued` events for one hall and biz type at o->rate events/s for
 * o->duration_s over HTTP (o->ingest_token): all events due at a moment go in one request,
 * which waits for its answer, and the k-th event's ack time (bench_now_us) is recorded when
 * the answer arrives. Event k (from 1) has seq k on its own feed and ticket "P<k>.<tag>", so
 * with `base` = the hall's kpi.issued before the start, event k is in a state exactly when
 * that state shows issued >= base + k (no other writer to the hall during the run).
 *
 * It runs at SCHED_FIFO priority when allowed: it stands for a gateway on another machine,
 * so its ack times must not wait for a core that the hub and the clients keep busy (it sleeps
 * between requests).
 *
 * It also records when the request carrying event k was sent (send_us[k]): the ack time is
 * a lower bound of what a client waits for an event (when the hub writes the answer after
 * fan-out writes, a client may show it before the publisher reads the answer), the send
 * time an upper bound (it includes the commit, fsync and all).
 *
 * Business days. A hall's `issued` count starts again at 0 when a business day begins, so
 * over a long run (scripts/hub-soak: a sped-up clock) the publisher notes the first event it
 * sent on each day (`days`), and bench_pub_shown maps a state's (day, issued) to how many of
 * its events that state shows.
 *
 * Threads: the publisher thread writes ack_us[k] before it publishes acked_n (release), and
 * send_us[k] and days[] before sent_n and ndays; readers load acked_n / sent_n (acquire) and then
 * may read ack_us[1..acked_n] / send_us[1..sent_n]. Everything else in the struct is the owner's
 * until bench_pub_start and after bench_pub_join.
 */
#ifndef CW_BENCH_PUB_H
#define CW_BENCH_PUB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bench.h"

#define BENCH_PUB_MAX_DAYS 64

typedef struct bench_pub_day {
    char day[11];    /* YYYY-MM-DD of the events' `at` */
    int64_t first_k; /* the first event sent on it */
} bench_pub_day;

typedef struct bench_pub {
    const bench_opts *o; /* borrowed */
    const char *hall_id; /* borrowed from o->cfg */
    const char *biz_id;  /* borrowed from o->cfg */
    char feed[64];
    char tag[8];
    void (*on_done)(void *ud); /* called on the publisher thread when it stops; may be NULL */
    void *on_done_ud;

    int64_t *ack_us;  /* [k] = when the ack of event k arrived, k from 1; owned */
    int64_t *send_us; /* [k] = when the request carrying event k was sent; owned */
    int64_t cap;      /* ack_us and send_us hold 0..cap */
    bench_pub_day days[BENCH_PUB_MAX_DAYS];
    _Atomic int ndays;
    _Atomic int64_t acked_n, sent_n;
    atomic_bool done;
    bool rt;              /* ran at real-time priority */
    int64_t t0_us, t1_us; /* first request, stop */
    uint64_t requests;
    char err[512]; /* set when it stopped on an error */
    pthread_t thread;
    bool started;
} bench_pub;

/* Prepare a publisher for hall index `hall` and its biz type `biz` of o->cfg, with feed
 * "bench-<pid>-<suffix>" and a fresh run tag. Returns 0, or -1 when out of memory. */
int bench_pub_init(bench_pub *p, const bench_opts *o, int hall, int biz, const char *suffix);

/* Start the thread. Returns 0, or -1 when it cannot be started. */
int bench_pub_start(bench_pub *p);

/* Wait for the thread (no-op if it was never started). */
void bench_pub_join(bench_pub *p);

/* How many of p's events a state shows whose business day is `day` and whose hall shows
 * `issued` tickets, for a run that started on `day0` with the hall at `base`: issued - base on
 * day0; on a later day the events sent on the days before it, plus issued (the count starts
 * at 0 and only the publisher writes to the hall). -1 for a day p has sent nothing on (the
 * state's count is not p's). Any thread. */
int64_t bench_pub_shown(const bench_pub *p, const char *day, int64_t issued, const char *day0,
                        int64_t base);

/* Release what bench_pub_init allocated (after bench_pub_join). */
void bench_pub_free(bench_pub *p);

#endif
