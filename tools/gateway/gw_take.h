/* gw_take: taking vendor records into the outbox -- map each one (gw_map), commit the events
 * and the quarantined records of one delivery in ONE transaction, together with the input's
 * position when it has one. Only after gw_take_commit() returned 0 may an input tell its
 * source "ok" (answer the webhook, move the CSV file aside, advance the SQL position).
 *
 * Thread: a gw_taker (its outbox handle) belongs to one thread; gw_health is shared (mutex).
 */
#ifndef CW_GW_TAKE_H
#define CW_GW_TAKE_H

#include <jansson.h>

#include "gw_config.h"
#include "gw_forward.h"
#include "gw_outbox.h"

typedef struct gw_taker {
    const gw_cfg *cfg;
    gw_outbox *ob; /* owned by the caller, used by one thread */
    gw_health *h;
    gw_forward *fwd; /* kicked after a commit (may be NULL) */
    int64_t pending; /* events added in the open transaction */
    int64_t pending_q;
} gw_taker;

/* Start a delivery. Returns 0, -2 when the outbox is full (refuse the delivery, tell the
 * source to retry later), -1 on a database error. */
int gw_take_begin(gw_taker *t);
/* Map rec (borrowed) and add the event, or quarantine the record with the reason (also
 * copied into why when why is non-NULL). A webhook input with dedupe_days treats a record
 * whose id it took before as a repeat (the vendor retried after a lost answer): nothing is
 * added. Returns 1 taken, 2 a repeat, 0 quarantined, -1 database error (the caller rolls
 * back). */
int gw_take_record(gw_taker *t, const gw_input *in, json_t *rec, const char *ref, char *why,
                   size_t whylen);
/* Quarantine a record that could not even be read (a CSV row with the wrong field count):
 * reason and raw text are copied. Returns 0 or -1 (database error). */
int gw_take_bad(gw_taker *t, const gw_input *in, const char *ref, const char *reason,
                const char *raw);
/* Commit (durable on return 0) and wake the forwarder; -1 on failure (rolled back). */
int gw_take_commit(gw_taker *t);
void gw_take_rollback(gw_taker *t);

#endif
