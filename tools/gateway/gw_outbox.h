/* gw_outbox: the gateway's durable outbox in one sqlite file (WAL, synchronous=FULL).
 *
 * Invariants (what "loses nothing, sends nothing twice" rests on):
 *  1. An event is in `outbox` from the commit that took it from an input until the hub's
 *     `acked` covers its (hall, feed, seq), or the hub rejected it (then it moves to
 *     `quarantine`). Inputs are told "ok" only after gw_outbox_commit() returned 0.
 *  2. seq is assigned per (hall, feed) inside the transaction that inserts the event
 *     (`feeds.last_seq`), so a rolled-back transaction gives its seqs back and seqs of one
 *     feed grow with the row id: oldest-first forwarding by id is per-feed seq order.
 *  3. An input's position (a SQL tailer's last key, a CSV file taken) is written in the same
 *     transaction as the events it produced: after a crash either both are there or neither.
 *  4. Rows are deleted only by gw_outbox_ack (acked prefix of one feed) and gw_outbox_reject.
 *
 * Threads: a gw_outbox handle (one sqlite connection) belongs to one thread. Each thread that
 * writes (the webhook/service thread, the poller, the forwarder) opens its own handle on the
 * same file; writers serialise on BEGIN IMMEDIATE with a busy timeout.
 */
#ifndef CW_GW_OUTBOX_H
#define CW_GW_OUTBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gw_outbox gw_outbox;

/* Open (creating the schema when new) the outbox at path. NULL on failure with the reason in
 * err. read_only opens an existing file for --status without creating or writing anything. */
gw_outbox *gw_outbox_open(const char *path, bool read_only, char *err, size_t errlen);
void gw_outbox_close(gw_outbox *o);
/* The last sqlite error message of this handle (owned by the handle). */
const char *gw_outbox_errmsg(gw_outbox *o);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Return 0 or -1. */
int gw_outbox_begin(gw_outbox *o);
int gw_outbox_commit(gw_outbox *o);
void gw_outbox_rollback(gw_outbox *o);

/* Inside a transaction: assign the next seq of (ev.hall, ev.feed), set ev's "seq" and insert
 * it. ev must hold string "hall", "feed", "type" (it is borrowed; "seq" is set on it).
 * Returns 0 (*seq_out = the seq) or -1. */
int gw_outbox_add(gw_outbox *o, json_t *ev, int64_t *seq_out);
/* Inside a transaction: keep a record an input could not map (or the hub rejected) with the
 * reason. record is the vendor's record as text (may be NULL). Returns 0 or -1. */
int gw_outbox_quarantine(gw_outbox *o, const char *input, const char *ref, const char *reason,
                         const char *record);
/* An input's durable position (text), or NULL when none; caller frees. */
char *gw_outbox_get_pos(gw_outbox *o, const char *input);
/* Inside a transaction: set it. Returns 0 or -1. */
int gw_outbox_set_pos(gw_outbox *o, const char *input, const char *pos);
/* A file (name, size, mtime) of an input was taken: 1 yes, 0 no, -1 error. */
int gw_outbox_file_taken(gw_outbox *o, const char *input, const char *name, int64_t size,
                         int64_t mtime);
/* Inside a transaction: remember the file as taken. Returns 0 or -1. */
int gw_outbox_mark_file(gw_outbox *o, const char *input, const char *name, int64_t size,
                        int64_t mtime);

/* A webhook record id already taken by input (1), not (0), or -1 on error. With mark (inside
 * a transaction) it is recorded as taken, and 1 means it already was. */
int gw_outbox_seen(gw_outbox *o, const char *input, const char *rid, bool mark);
/* Forget input's record ids taken before before_ms. Returns 0 or -1. */
int gw_outbox_prune_seen(gw_outbox *o, const char *input, int64_t before_ms);

/* Events waiting for an ack now (-1 on error). */
int64_t gw_outbox_depth(gw_outbox *o);
/* Events waiting of (hall, feed) with the given type (heartbeats not yet sent). */
int64_t gw_outbox_pending_type(gw_outbox *o, const char *hall, const char *feed, const char *type);
int64_t gw_outbox_quarantine_count(gw_outbox *o);

/* One event read back for forwarding. */
typedef struct gw_row {
    int64_t id, seq;
    char *hall, *feed, *body; /* owned by the batch */
} gw_row;

typedef struct gw_batch {
    gw_row *v;
    size_t n, cap;
    size_t bytes; /* sum of body lengths */
} gw_batch;

/* Fill b (cleared first) with the oldest events, at most max_events and about max_bytes.
 * Returns the number of rows, or -1. */
int gw_outbox_peek(gw_outbox *o, gw_batch *b, int max_events, size_t max_bytes);
void gw_batch_clear(gw_batch *b);
void gw_batch_free(gw_batch *b);

/* Inside a transaction: the hub acknowledged (hall, feed) up to seq: delete those events and
 * record the ack (seq, now). Returns the number of events deleted, or -1. */
int64_t gw_outbox_ack(gw_outbox *o, const char *hall, const char *feed, int64_t seq);
/* Inside a transaction: the hub rejected the event with this row id: move it to quarantine
 * with the hub's reason. Returns 0 or -1. */
int gw_outbox_reject(gw_outbox *o, int64_t id, const char *reason);

/* --status: a JSON object with depth, oldest event age, quarantine count, the 10 latest
 * quarantined records (newest first), input positions and per feed last_seq, acked_seq,
 * acked_at. Caller decrefs; NULL on error. */
json_t *gw_outbox_status(gw_outbox *o);

#endif
