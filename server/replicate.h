/* replicate: operator actions every hub of a cluster must agree on, through the log
 * (docs/cluster.md). Embedded mode: nothing here runs.
 *
 * The hub where an operator acts applies it at once, as in embedded mode, and publishes a
 * command record; every other hub applies the record when it reaches it in the log. Hall
 * closures change the live documents, which must be the same at every log position on every
 * hub: in cluster mode they are applied by every hub, the origin included, at the record's
 * position (repl_closure). Commands: alert_ack {id, user, note}; silence_add {id, user, body};
 * silence_expire {id, user}; closure {hall, from_ms, to_ms, reason, user};
 * session {hash, user, created_ms}; session_end {hash}; login_failure {user, peer, count,
 * locked_until_ms} (auth.c publishes those through hub->replicate).
 *
 * Thread: service thread.
 */
#ifndef CW_REPLICATE_H
#define CW_REPLICATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "hub.h"

/* Publish a command (args: a new reference, stolen). No-op outside cluster mode. Returns 0, or
 * -1 when it could not be handed to NATS. */
int repl_publish(hub_t *hub, const char *kind, json_t *args);
/* A command record reached this hub's position; mine: this hub published it (it has applied
 * it already, unless it is a closure). */
void repl_apply(hub_t *hub, const char *kind, const char *data, size_t len, bool mine);
/* A hall closure: applied here now (embedded), or through the log (cluster). 0 or -1. */
int repl_closure(hub_t *hub, int hall, int64_t from_ms, int64_t to_ms, const char *reason,
                 const char *user);

#endif
