/* ingest: hall events in (SPEC §3) -- from a decoded request to a store job, and from a
 * committed job to state changes and acknowledgements.
 *
 * Thread: service thread.
 *
 * Every event of a request becomes one store item: a valid event (stored, or found to be a
 * duplicate / conflict by the store) or a rejected one (stored in quarantine with its reason).
 * So every event is handled durably before any ack names it.
 */
#ifndef CW_INGEST_H
#define CW_INGEST_H

#include <jansson.h>

#include "evscan.h"
#include "hub.h"

/* The ingest rate limit (limits.ingest_rate_per_token, SPEC §8): a token bucket of one
 * second per token. True when `events` more may be taken now from token (cfg index). */
bool ingest_rate_ok(hub_t *hub, int token, int events);

/* A request body or /ingest message, parsed: a batch of event objects is read by evscan
 * (common/evscan.h: no tree, each element's bytes known); anything else evscan does not take
 * -- one event object, a non-object element, an escape sequence, bad JSON -- by jansson, whose
 * errors the client then reads as before. */
typedef struct ingest_body {
    evscan *scan; /* owned, or NULL */
    json_t *root; /* owned, or NULL (exactly one of the two is set) */
} ingest_body;

/* Parse buf (len bytes) into *out. -1 with *jerr filled when it is not JSON. */
int ingest_parse(const char *buf, size_t len, ingest_body *out, json_error_t *jerr);
/* Events in a parsed body: an array's elements, else 1. */
int ingest_body_count(const ingest_body *b);
void ingest_body_free(ingest_body *b);

/* Build the store job for `body` (an array of events, or one event object when `single_ok`);
 * the job takes what body holds (body is left empty, also on failure). token: index into
 * hub->cfg->tokens, or -1 for an operator's event made by the hub itself (any hall; e.g. a case
 * moved through the REST API). src: the text body was parsed from (a scan keeps each element's
 * bytes for the store). On a whole-request problem returns NULL, sets *status (400/413) and a
 * message in err. */
store_job *ingest_prepare(hub_t *hub, int token, ingest_body *body, const char *src, bool single_ok,
                          int *status, char *err, size_t errlen);

/* Who answers a handled batch: the protocol that took it in (HTTP, the /ingest WebSocket),
 * called on the service thread once the batch is durable (or failed: job->rc < 0) and
 * applied, with the connection id given to ingest_submit. It must not keep or free job. */
typedef void (*ingest_answer_fn)(hub_t *hub, store_job *job, uint64_t conn_id);

/* Append a batch from ingest_prepare to the log (hublog.h). Once it is durable its accepted
 * events are applied to the state, answer (may be NULL: an operator's event) is called, the
 * live view is told, and the job is freed. */
void ingest_submit(hub_t *hub, store_job *job, ingest_answer_fn answer, uint64_t conn_id);

/* A durable batch of the log (job->rc == 0; nothing happens otherwise): apply its accepted
 * events to the state (in order) and count them. */
void ingest_apply(hub_t *hub, store_job *job);

/* The HTTP answer of a committed job (new reference):
 * {"accepted","duplicates","rejected":[{"index","error"}],"acked":{...}}. */
json_t *ingest_http_reply(hub_t *hub, store_job *job);
/* The WebSocket messages of a committed job (new reference, an array): one
 * {"error","hall","seq"} per rejected event, then {"ack":{...}}. */
json_t *ingest_ws_messages(hub_t *hub, store_job *job);

/* The log's applier (hublog.h): main registers it with hublog_init. */
extern const struct hublog_ops ingest_log_ops;

/* Free a job made by ingest_prepare (with its context). */
void ingest_job_free(store_job *job);

/* Rebuild the state from the store at startup: the latest snapshot, then the events after it
 * (today's only). Returns the number of events replayed, -1 on failure. */
int64_t ingest_recover(hub_t *hub);

#endif
