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

#include "hub.h"

/* Where one element of a batch stands in the request: the store keeps these bytes, what the
 * gateway sent, instead of serialising the parsed event again. */
typedef struct ingest_span {
    size_t off, len;
} ingest_span;

/* The ingest rate limit (limits.ingest_rate_per_token, SPEC §8): a token bucket of one
 * second per token. True when `events` more may be taken now from token (cfg index). */
bool ingest_rate_ok(hub_t *hub, int token, int events);

/* Parse a request body or /ingest message as json_loadb(buf, len, 0, jerr) would. When it is
 * an array of objects, also *spans (malloc'd, one per element; the caller frees it), else
 * *spans is NULL. Returns NULL with *jerr filled when it is not JSON. */
json_t *ingest_parse(const char *buf, size_t len, ingest_span **spans, json_error_t *jerr);

/* Build the store job for `root` (an array of events, or one event object when `single_ok`).
 * token: index into hub->cfg->tokens, or -1 for an operator's event made by the hub itself (any
 * hall; e.g. a case moved through the REST API). src and spans (from ingest_parse, or NULL)
 * give each element's original bytes. On a whole-request problem returns NULL, sets *status
 * (400/413) and a message in err. The job owns `root` (one reference is taken). */
store_job *ingest_prepare(hub_t *hub, int token, json_t *root, const char *src,
                          const ingest_span *spans, bool single_ok, int *status, char *err,
                          size_t errlen);

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
