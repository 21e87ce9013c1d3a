/* hublog: the hub's durable, ordered log of event batches -- the seam between ingest and what
 * makes a batch durable.
 *
 * Contract. hublog_append(hub, batch, done, ud) takes a batch of store items (a
 * STORE_JOB_EVENTS job built by ingest_prepare). Exactly once, on the service thread, it calls
 * done(batch) with batch->done_ud == ud:
 *   - batch->rc == 0: every item is durable and has its outcome (item.result: accepted,
 *     duplicate, conflict, quarantined); an accepted item's position in the log is
 *     item.event_id, and positions grow in append order;
 *   - batch->rc < 0: no item is durable; batch->err says why (e.g. disk full).
 * Batches complete in the order they were appended. done owns the batch from then on.
 * Nothing may acknowledge an event to its sender before its batch's done.
 *
 * Embedded mode (the default, SPEC §1): the log is the sqlite store (store.c). A batch is
 * durable when its transaction has committed in WAL mode with synchronous=FULL, the writer
 * thread groups waiting batches into one transaction, dedupe is exact per (hall, feed) from
 * the feeds and feed_gaps tables written in the same transaction, and a position is the
 * event's rowid. Cluster mode (NATS JetStream, issue 14) implements the same contract on a
 * replicated stream, positions being stream sequences.
 *
 * Thread: service thread.
 */
#ifndef CW_HUBLOG_H
#define CW_HUBLOG_H

#include "hub.h"

void hublog_append(hub_t *hub, store_job *batch, store_done_fn done, void *ud);

#endif
