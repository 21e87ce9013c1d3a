/* cluster_internal: what cluster.c (service thread) and cluster_nats.c (NATS, consumer thread)
 * share. Not for other modules. */
#ifndef CW_CLUSTER_INTERNAL_H
#define CW_CLUSTER_INTERNAL_H

#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>

#include "cluster.h"

#define CL_MAX_SOURCES 16 /* cluster.sources used (cluster_nats.c sources at most 16) */

/* A record consumed from the stream (owned by the queue, then by the run applying it). */
typedef struct cl_record {
    uint64_t seq;    /* stream sequence: the log position */
    int64_t tick_ms; /* a tick of the log's clock (Cw-Tick): business time; 0: events */
    char cmd[32];    /* an operator's command (Cw-Cmd, replicate.h); "": events */
    bool mine;       /* published by this hub process: n names its pending batch */
    uint64_t n;
    char token[64]; /* Cw-Token */
    char src[64];   /* the stream its message id names ("tick.<stream>.<s>", "<stream>.<hub>...") */
    int64_t recv_ms;
    char *data; /* the events, a JSON array */
    size_t len;
    int nevents_hint; /* a bound on the events it holds (for sizing runs) */
    store_job *job;   /* while being applied */
    struct cl_record *next;
} cl_record;

/* A batch this hub published, waiting for its record (service thread only). */
typedef struct cl_pending {
    uint64_t n;
    store_job *batch;
    store_done_fn done;
    void *ud;
    int64_t deadline_ms; /* monotonic */
    int64_t retry_ms;    /* publish again at (monotonic), 0: not due */
    char *events;        /* the record's payload, kept for publishing again */
    size_t len;
    int tries;
    char fail[160]; /* the last publish failed: why */
    struct cl_pending *prev, *next;
} cl_pending;

struct cluster {
    hub_t *hub;
    char hub_id[64];
    char msgid_prefix[128]; /* "<stream>.<hub_id>.<boot>." */
    int64_t stream_created; /* ns since the epoch: the log's identity */
    /* NATS (cluster_nats.c) */
    natsConnection *nc;
    jsCtx *js;
    natsSubscription *sub;
    pthread_t consumer;
    bool consumer_started;
    _Atomic bool stop;
    _Atomic uint64_t lag;
    /* the notifier lease (consumer thread): the one hub of the cluster that sends webhooks */
    kvStore *kv;
    uint64_t lease_rev; /* our entry's revision while we hold it, 0 otherwise */
    int64_t lease_next_ms;
    _Atomic bool notifier;
    /* the queue of consumed records and of failed publishes (lock) */
    pthread_mutex_t lock;
    pthread_cond_t room;
    cl_record *q_head, *q_tail;
    int q_len;
    size_t q_bytes;
    uint64_t failed[256];
    int nfailed;
    char failed_why[120];
    /* service thread */
    uint64_t next_n, next_cmd;
    cl_pending *pend_head, *pend_tail;
    int npending;
    cl_record *run_recs[256];
    int run_n, run_jobs, run_done;
    bool running, run_failed;
    char run_err[160];
    int64_t retry_at_ms;
    int64_t last_tick_sec; /* the last tick this hub published */
    int64_t log_clock;     /* the latest tick applied (ms): the log's business time */
    /* province mode: per cfg cluster.sources entry, the business time of the newest record of
     * that city applied (its ticks' time, its batches' receive time); 0 none yet */
    int64_t src_seen[CL_MAX_SOURCES];
    int64_t src_base; /* the log's clock when this hub first applied a tick (0: not yet) */
    cluster_stats stats;
};

/* cluster_nats.c */
int cl_nats_open(cluster_t *c, uint64_t applied, char *err, size_t errlen);
int cl_nats_publish(cluster_t *c, uint64_t n, const char *token, int64_t recv_ms,
                    const char *events, size_t len, char *err, size_t errlen);
int cl_nats_publish_tick(cluster_t *c, int64_t sec);
int cl_nats_publish_cmd(cluster_t *c, uint64_t n, const char *kind, const char *json, size_t len);
bool cl_nats_connected(cluster_t *c);
void cl_nats_stop(cluster_t *c);  /* stop the consumer thread */
void cl_nats_close(cluster_t *c); /* disconnect, free the queue */

/* the notifier lease (cluster_lease.c; consumer thread) */
void cl_lease_open(cluster_t *c);
void cl_lease_step(cluster_t *c);
void cl_lease_release(cluster_t *c);

/* the queues (cluster_queue.c) */
void cl_queue_push(cluster_t *c, cl_record *r); /* waits while the queue is full */
int cl_take_records(cluster_t *c, cl_record **out, int max, int max_items);
void cl_requeue_front(cluster_t *c, cl_record **recs, int n);
int cl_take_failures(cluster_t *c, uint64_t *out, int max, char *why, size_t whylen);
int cl_queued(cluster_t *c);
uint64_t cl_lag(cluster_t *c);
void cl_record_free(cl_record *r);

#endif
