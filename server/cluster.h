/* cluster: cluster mode's replicated log -- the hublog.h contract on a NATS JetStream stream
 * (docs/cluster.md).
 *
 * Design. Every hub of the city publishes the batches it takes in to one stream (R3 on a
 * 3-node NATS cluster) and consumes the whole stream, in order, from the position after the
 * last one its store applied (meta 'log_applied', written in the same transaction as the
 * events: a restart resumes exactly there, never from the start of history). Each run of
 * consumed records is applied through the store in ONE transaction (store_submit_chain), so
 * records are applied all or none and never out of order; a failed run is retried.
 *
 * A record is the batch's events (a JSON array, the sender's bytes) with headers: Nats-Msg-Id
 * "<hub>.<boot>.<n>" (the publisher's pending batch), Cw-Token (the sender's token name,
 * "operator" for the hub's own events), Cw-Recv-Ms (business receive time at the origin).
 * Every hub validates and dedupes a record the same way (same config, same order), so every
 * hub holds the same events, duplicates and quarantine at the same log position.
 *
 * An appended batch is answered (done, rc == 0) when this hub has applied its own record:
 * the record is then stored by a quorum of the stream (JetStream delivers only what its
 * replicas have committed) AND committed to this hub's sqlite with synchronous=FULL. It is
 * answered rc < 0 when the publish fails or the record has not come back within
 * cluster.ack_wait_ms.
 *
 * Threads. The service thread calls everything here. A consumer thread reads the stream into
 * a bounded queue and wakes the service thread (hub_wake); the NATS library's threads report
 * failed publishes into a second queue. Both queues are under one mutex.
 */
#ifndef CW_CLUSTER_H
#define CW_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "hub.h"

typedef struct cluster cluster_t;

typedef struct cluster_stats {
    bool connected;       /* to a NATS server */
    uint64_t applied_seq; /* last stream position applied to this hub's store */
    uint64_t lag;         /* records in the stream after the last one consumed */
    uint64_t published;   /* batches this hub published */
    uint64_t publish_failed;
    uint64_t timed_out; /* batches answered 503 because the log did not confirm in time */
    uint64_t records_applied;
    uint64_t records_unreadable; /* records no hub can apply (logged, skipped) */
    uint64_t apply_retries;
    int pending; /* published batches waiting for their record */
    const char *hub_id;
} cluster_stats;

/* Connect (waiting up to 30 s for the NATS cluster), create the stream if it does not exist,
 * check it is the stream this store was applied from, and start consuming after the store's
 * last applied position. NULL with a message in err on failure. */
cluster_t *cluster_open(hub_t *hub, char *err, size_t errlen);
/* Publish a batch (hublog_append in cluster mode). */
void cluster_append(cluster_t *c, store_job *batch, store_done_fn done, void *ud);
/* Apply what was consumed, answer batches whose record came back, fail those that waited too
 * long. Called after every wakeup and on the hub's timer. */
void cluster_service(cluster_t *c);
/* True while nothing consumed is waiting to be applied and no run is being applied. */
bool cluster_idle(cluster_t *c);
void cluster_get_stats(cluster_t *c, cluster_stats *out);
/* Consume no more of the log (shutdown; what was read is still applied). NULL is fine. */
void cluster_stop(cluster_t *c);
/* Publish an operator's command record (replicate.h): best effort, 0 or -1. */
int cluster_publish_command(cluster_t *c, const char *kind, const char *json, size_t len);
/* Province mode: the business time up to which source i (cfg cluster.sources[i], a city's
 * stream) has been applied here -- its newest record's time (a tick's, a batch's receive
 * time), but not before the log's clock when this hub applied its first tick. False before
 * that first tick, or for no such source. */
bool cluster_source_seen(cluster_t *c, int i, int64_t *ms);
/* True while this hub holds the cluster's notifier lease: it alone sends the webhooks
 * (docs/cluster.md). */
bool cluster_is_notifier(cluster_t *c);
/* Stop consuming, fail the batches still waiting, disconnect. NULL is fine. */
void cluster_close(cluster_t *c);

#endif
