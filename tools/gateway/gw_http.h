/* gw_http: the gateway's local HTTP listener (one libwebsockets vhost, on the main thread):
 *   POST <input path>  a vendor system's webhook: a JSON object or array of objects; every
 *                      record is mapped, the events and the quarantined records committed in
 *                      one transaction, and only then answered
 *                      200 {"taken":N,"repeats":R,"quarantined":[{"index":i,"error":..}]}
 *                      (repeats: records whose id was taken before, with dedupe_days);
 *                      503 {"error":...} when the outbox is full or the commit failed
 *                      (nothing taken: the vendor retries), 400 when the body is not JSON,
 *                      413 over 4 MiB.
 *   GET /status        health: outbox depth, alarm, last ack, hub, counters, per-feed acks.
 *   GET /metrics       the same as Prometheus text.
 *   GET /healthz       200 "ok".
 * Thread: lws service thread (main) only; it owns app->svc (its outbox handle).
 */
#ifndef CW_GW_HTTP_H
#define CW_GW_HTTP_H

#include <jansson.h>
#include <libwebsockets.h>
#include <signal.h>

#include "gw_forward.h"
#include "gw_take.h"

typedef struct gw_app {
    gw_cfg *cfg;
    gw_health h;
    gw_forward *fwd;
    gw_taker svc; /* the service thread's taker (webhooks) and outbox handle */
    struct lws_context *lws;
    volatile sig_atomic_t stop;
} gw_app;

/* Create the lws context (listening on cfg->listen when set). 0 or -1 (reason on stderr). */
int gw_http_start(gw_app *app);
void gw_http_stop(gw_app *app);

/* The health document served by /status (outbox figures from the service thread's handle).
 * Caller decrefs. */
json_t *gw_status_json(gw_app *app);

#endif
