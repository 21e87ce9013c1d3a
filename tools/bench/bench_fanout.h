/* bench_fanout: the fan-out mode's run and its shards (bench_fanout.c: the run, the
 * publisher, the report; bench_fanout_shard.c: one thread's /live clients).
 *
 * A shard is one thread with its own libwebsockets context and service loop, holding clients
 * i with i % nshards == its index; each client keeps and patches its own state on that
 * thread. The run (main thread) starts the shards, waits until every shard has settled (its
 * clients subscribed, or the ready deadline passed), checks that they agree on the hall's
 * base count, then starts the publisher; at the end it merges the shards' counts and
 * latencies.
 *
 * Threads: a shard's fields are its thread's, except `settled`, `base`, `clock`, `clock_set`,
 * `day` (written before `settled` is set under run.mu, read by the run after) and `finished`
 * (same, at the end), and `ivl`, which it appends to run.ivl under run.mu. The run's
 * `measuring` and `stop` are atomics the shards read; its other
 * fields are the main thread's, read-only for shards while they run.
 */
#ifndef CW_BENCH_FANOUT_H
#define CW_BENCH_FANOUT_H

#include <jansson.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "bench_pub.h"
#include "bench_stats.h"
#include "msgbuf.h"

/* FO_LATE: got its snapshot after its shard settled, so it is left out of the measurement */
enum fo_phase { FO_IDLE, FO_CONNECTING, FO_OPEN, FO_READY, FO_LATE, FO_DEAD };

typedef struct fo_client {
    int idx;
    struct lws *wsi;
    enum fo_phase phase;
    int sent; /* control messages written: 0 none, 1 auth, 2 auth + subscribe */
    int retries;
    json_t *state;  /* the city topic as this client has it; owned */
    int64_t seen;   /* deliveries recorded: counts 1..seen */
    cw_msgbuf rx;   /* the message being received */
    int peer_close; /* the close code the hub sent (0: none seen) */
    char peer_why[64];
} fo_client;

struct fo_run;

typedef struct fo_shard {
    struct fo_run *run;
    int index;
    fo_client *c; /* owned */
    int n;
    struct lws_context *ctx;
    lws_sorted_usec_list_t sul;
    pthread_t thread;
    bool started;

    int connecting, open, ready, late, dead;
    bool closing;
    int64_t grace_until_us;
    bench_lat lat;      /* ack -> shown */
    bench_lat lat_send; /* send -> shown */
    bench_lat ivl;      /* send -> shown since it last handed them to run.ivl (--every) */
    int64_t ivl_handed_us;
    uint64_t deliveries, early, foreign, msgs, snapshots, deltas, errors, closed_mid;
    int64_t last_delivery_us;
    char *memo_bytes; /* the last message parsed, and its parse (owned): clients get the same */
    size_t memo_len;  /* bytes, and parsing is a pure function of them */
    json_t *memo;

    /* handed to the run (see the file comment) */
    bool settled, finished;
    int64_t base;    /* the hall's issued count its clients showed at settling; -1: none ready */
    char day[16];    /* the business day of that state ("" when none ready) */
    cwt_clock clock; /* the hub's clock from the first hello */
    bool clock_set;
} fo_shard;

typedef struct fo_run {
    const bench_opts *o; /* = &opts */
    bench_opts opts;     /* a copy: its clock comes from the hub's hello unless --clock */
    const char *hall_id;
    char subscribe[160];
    char auth[512];
    int64_t ready_deadline_us;

    fo_shard *shards; /* owned */
    int nshards;
    pthread_mutex_t mu;
    pthread_cond_t cond; /* a shard settled or finished, or the publisher stopped */
    atomic_bool measuring, stop;
    int64_t base;
    char day0[16]; /* the business day the run started on (the base's) */

    bench_lat ivl; /* --every: the shards' latencies of this interval; under mu */
    int64_t ivl_t0_us, ivl_printed_us; /* the measurement's start, the last line */

    bench_pub pub; /* shared with the publisher thread */
    bench_err err;
    bench_proc proc;
} fo_run;

/* Start shard s's thread (its context, clients and loop). 0, or -1 (logged). */
int fo_shard_start(fo_shard *s);
/* Wake its loop (any thread). */
void fo_shard_wake(fo_shard *s);
/* Wait for its thread, after it finished; its clients are closed and its context gone. */
void fo_shard_join(fo_shard *s);
/* What the shard holds (after fo_shard_join). */
void fo_shard_free(fo_shard *s);

#endif
