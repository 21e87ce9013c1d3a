/* sim_gateway: the simulator's hall gateway -- sends events to the hub over HTTP (SPEC §3.3).
 *
 * Events wait in one queue per hall, in seq order, until the hub acknowledges them.
 * sim_gw_flush() POSTs what is queued (JSON array bodies, one request may hold many halls)
 * over one keep-alive libcurl connection, reads `acked` per "HALL/FEED" key and drops what
 * it covers, drops the events the hub rejected (they are handled: quarantined; the first 20
 * are logged with the reason, as they mean a sim bug or a token that may not write a hall),
 * and keeps everything else for the next flush: after a failure the whole unacknowledged
 * tail is sent again, so nothing is lost and nothing is sent twice except as a resend.
 * Failures back off from 0.5 s, doubling up to 10 s.
 *
 * Thread: one thread at a time.
 */
#ifndef CW_SIM_GATEWAY_H
#define CW_SIM_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "sim_model.h"

typedef struct sim_gw sim_gw;

typedef struct sim_gw_opts {
    const char *hub;   /* "http://127.0.0.1:8080" (a trailing slash is fine) */
    const char *token; /* hall token */
    const char *feed;  /* feed name of every event, e.g. "sim-1763859600" */
    int max_events;    /* per request; 0 = 2000 */
    size_t max_bytes;  /* per request body; 0 = 2 MiB */
} sim_gw_opts;

typedef struct sim_gw_stats {
    uint64_t queued_total; /* events handed to the gateway */
    uint64_t sent;         /* events put in a request (resends count again) */
    uint64_t acked;        /* events acknowledged (rejected ones included) */
    uint64_t rejected;     /* events the hub rejected (quarantined) */
    uint64_t requests;     /* requests made */
    uint64_t errors;       /* failed requests */
    size_t queued;         /* events waiting for an ack now */
} sim_gw_stats;

/* cfg is borrowed (hall ids); the strings in opts are copied. NULL on failure. */
sim_gw *sim_gw_create(const cfg_t *cfg, const sim_gw_opts *opts);
void sim_gw_destroy(sim_gw *g);

/* Move every event of `evs` into the queues (serialised with the gateway's feed) and clear
 * evs. Returns 0, or -1 on allocation failure (evs is cleared either way). */
int sim_gw_enqueue(sim_gw *g, sim_evbuf *evs);

/* Send what is queued, as long as no backoff is pending at now_mono_ms (CLOCK_MONOTONIC ms):
 * up to max_requests requests in a row while each makes progress. Returns 0 when the hub
 * answered (the queues may still hold events), 1 when a failure started or continued a
 * backoff, -1 on a failure that retrying cannot fix (token refused, request refused as
 * malformed); the reason is on stderr. */
int sim_gw_flush(sim_gw *g, int64_t now_mono_ms, int max_requests);

/* CLOCK_MONOTONIC ms before which sim_gw_flush will not try again (0 when not backing off). */
int64_t sim_gw_retry_at(const sim_gw *g);

void sim_gw_get_stats(const sim_gw *g, sim_gw_stats *out);

#endif
