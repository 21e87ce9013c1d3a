/* gw_forward: the forwarder thread -- sends the outbox, oldest first, to the hub with the
 * SPEC §3 ingest protocol (HTTP POST /api/v1/events batches, libcurl) and deletes what the
 * hub's `acked` covers (gw_outbox_ack) or rejected (moved to the gateway's quarantine).
 *
 * Hubs: the configured URLs are tried in turn; a failed request (no connection, timeout,
 * 429, 5xx, an unreadable reply) moves to the next URL, and after a full round the thread
 * backs off (250 ms doubling to hub.retry_max_ms). After any failure the next request starts
 * again from the oldest unacknowledged event: nothing is dropped, nothing is sent twice
 * except as a resend (which the hub deduplicates by (hall, feed, seq)).
 *
 * Threads: gw_forward_start spawns the thread; gw_forward_kick and gw_forward_stop may be
 * called from any thread. The thread owns its own outbox handle and curl handle. It
 * publishes its state into the shared gw_health (under its mutex).
 */
#ifndef CW_GW_FORWARD_H
#define CW_GW_FORWARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "gw_config.h"

/* Shared health of the gateway (status endpoint, --status, heartbeats, alarms). Every field
 * is guarded by mu. */
typedef struct gw_health {
    pthread_mutex_t mu;
    int64_t depth;       /* events in the outbox (refreshed by the poller) */
    int64_t quarantined; /* rows in the gateway's quarantine */
    bool alarm;          /* depth > alarm_events */
    bool full;           /* depth >= max_events: inputs are refused */
    int64_t taken;       /* events committed since start */
    int64_t map_errors;  /* records quarantined by a mapping error since start */
    int64_t sent, acked, rejected, requests, failures; /* forwarder, since start */
    int64_t last_ack_ms;  /* real time of the last ack; 0 = none since start */
    char hub[256];        /* URL of the last request */
    char last_error[256]; /* last forwarding failure, "" when the last request worked */
} gw_health;

typedef struct gw_forward gw_forward;

/* cfg and h are borrowed and must outlive the forwarder. NULL on failure (err set). */
gw_forward *gw_forward_start(const gw_cfg *cfg, gw_health *h, char *err, size_t errlen);
/* Wake the thread: new events were committed. */
void gw_forward_kick(gw_forward *f);
/* Stop (the request in flight completes or times out) and free. */
void gw_forward_stop(gw_forward *f);

#endif
