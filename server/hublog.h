/* hublog: the hub's durable, ordered log of event batches -- the seam between ingest and what
 * makes a batch durable.
 *
 * Two sides. The appender (ingest) hands a batch to hublog_append and is told once, by its
 * done callback, whether the batch is durable and what became of each event. The applier
 * (ingest too, registered once with hublog_init as hublog_ops) is given every batch of the log,
 * in log order, on every hub, and changes the state from it. An appender's batch is applied
 * before its done runs, so an ack always names state that is already visible.
 *
 * Contract of hublog_append(hub, batch, done, ud). batch is a STORE_JOB_EVENTS job built by
 * ingest_prepare. Exactly once, on the service thread, done(batch) is called with
 * batch->done_ud == ud:
 *   - batch->rc == 0: every item is durable and has its outcome (item.result: accepted,
 *     duplicate, conflict, quarantined); an accepted item's position in the store is
 *     item.event_id;
 *   - batch->rc < 0: nothing of it was acknowledged; batch->err says why (e.g. disk full, the
 *     cluster's log unreachable). In cluster mode the batch may still reach the log later and
 *     be applied: a sender that sends it again gets its events counted as duplicates.
 * Batches complete in the order they were appended. done owns the batch from then on.
 * Nothing may acknowledge an event to its sender before its batch's done.
 *
 * Embedded mode (the default, SPEC §1): the log is the sqlite store (store.c). A batch is
 * durable when its transaction has committed in WAL mode with synchronous=FULL; the writer
 * groups waiting batches into one transaction; dedupe is exact per (hall, feed).
 *
 * Cluster mode (cluster.c, docs/cluster.md): the log is a replicated NATS JetStream stream.
 * The batch is published; every hub (this one included) consumes the stream in order and
 * applies each record through the store exactly as above, so every hub makes the same dedupe
 * decisions in the same order; the appender's done runs when this hub has applied its own
 * record (stored by a quorum of the stream AND committed to this hub's store).
 *
 * Thread: service thread.
 */
#ifndef CW_HUBLOG_H
#define CW_HUBLOG_H

#include "hub.h"

typedef struct hublog_ops {
    /* A batch of the log as a store job, as ingest_prepare would have made it at its origin:
     * events (a JSON array text) sent with token `token` ("operator": the hub's own) and
     * received at recv_ms. NULL with err when the record cannot be read. */
    store_job *(*prepare)(hub_t *hub, const char *token, int64_t recv_ms, const char *events,
                          size_t len, char *err, size_t errlen);
    /* A durable batch (rc == 0), in log order: change the state from its accepted events. */
    void (*apply)(hub_t *hub, store_job *batch);
    /* Free a job made by prepare (or given to hublog_append). */
    void (*free)(store_job *batch);
    /* Cluster mode: the log's clock -- business time moves to ms (never back). */
    void (*tick)(hub_t *hub, int64_t ms);
    /* Cluster mode: the state has applied the log up to position pos (publish what moved). */
    void (*position)(hub_t *hub, uint64_t pos);
    /* Cluster mode: an operator's command record (replicate.h); mine: published here. */
    void (*command)(hub_t *hub, const char *kind, const char *data, size_t len, bool mine);
} hublog_ops;

/* Register the applier (once, at start-up, before anything is appended). */
void hublog_init(hub_t *hub, const hublog_ops *ops);
void hublog_append(hub_t *hub, store_job *batch, store_done_fn done, void *ud);

#endif
