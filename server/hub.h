/* hub: the hub's process-wide context, shared by its modules.
 *
 * Thread: everything in hub_t belongs to the libwebsockets service thread, except what is
 * marked otherwise. Other threads (store writer, login worker, signal thread) talk to it only
 * through their own queues plus lws_cancel_service().
 *
 * Calls go down (http/live/ingest -> state/store), wakeups come up (store -> hub_wake ->
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED -> hub_loop.c).
 */
#ifndef CW_HUB_H
#define CW_HUB_H

#include <libwebsockets.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "cwtime.h"
#include "state.h"
#include "store.h"

struct live;
struct auth;
struct alerts;
struct wallctl;

/* Latency histogram with fixed log-spaced buckets (ms), for /metrics. */
#define HUB_HIST_BUCKETS 14
typedef struct hub_hist {
    uint64_t counts[HUB_HIST_BUCKETS + 1];
    double sum;
    uint64_t n;
} hub_hist;
extern const double hub_hist_bounds[HUB_HIST_BUCKETS];
void hub_hist_add(hub_hist *h, double ms);

typedef struct hub_metrics {
    uint64_t http_requests;
    uint64_t ingest_requests;
    uint64_t events_received;
    uint64_t events_accepted;
    uint64_t events_duplicate;
    uint64_t events_rejected;
    uint64_t events_conflict;
    uint64_t ingest_503;
    uint64_t limit_413, limit_429, limit_1009, limit_1008, limit_conns;
    uint64_t http_framing_refused; /* requests refused for their framing (http_framing.h) */
    uint64_t csrf_refused;         /* cookie requests refused for a foreign Origin or type */
    uint64_t skewed_events;        /* |recv - at| > 5 min */
    uint64_t clamped_events;       /* `at` in the future */
    uint64_t login_ok, login_failed, login_locked;
    uint64_t live_messages, live_bytes, live_snapshots, live_deltas, live_merged, live_too_slow,
        live_publishes;
    uint64_t snapshots_saved;
    hub_hist commit_ms; /* store commit (per transaction) */
    hub_hist ack_ms;    /* ingest request received -> answered */
    hub_hist fanout_ms; /* event acked -> delta written to a client */
} hub_metrics;

typedef struct hub_hall_info {
    int64_t last_skew_ms; /* recv - at of the latest event */
} hub_hall_info;

typedef struct hub {
    cfg_t *cfg;       /* current config (swapped on SIGHUP) */
    uint64_t cfg_gen; /* bumped on every reload */
    char *cfg_path;
    const char *listen_override, *db_override;
    char **extra_webhooks; /* from --webhook */
    int nextra_webhooks;
    cwt_clock clock;
    state_t *state;
    store_t *store;
    struct live *live;
    struct auth *auth;
    struct alerts *alerts;            /* alerting (alerts.h); NULL until created */
    struct cluster *cluster;          /* cluster mode's log (cluster.h); NULL: the embedded log */
    const struct hublog_ops *log_ops; /* what applies the log's batches (hublog.h) */
    const char *hub_id_override;      /* --hub-id */
    /* the feed of events the hub makes itself (case updates): "operator", or in cluster mode
     * "operator.<hub id>" so that two hubs never number the same feed */
    char operator_feed[80];
    /* cluster mode: hand a command to the other hubs (replicate.h's repl_publish; NULL in
     * embedded mode) -- for modules below replicate.c, e.g. auth's sessions */
    int (*replicate)(struct hub *hub, const char *kind, json_t *args);
    struct stats_rollup *rollup; /* statistics roll-ups (stats.h); NULL with --no-rollups */
    bool no_rollups;
    struct wallctl *wallctl; /* walls driven by the hub (wallctl.h); NULL until created */
    struct lws_context *lws;
    struct lws_vhost *vhost;
    char epoch[32];
    char store_id[24];     /* meta.store_id: random per store file (a new file = a new demo day) */
    char origin_self[192]; /* "http://HOST:PORT" */
    bool ready;            /* state rebuilt and store writable */
    bool stopping;
    int64_t stop_mono; /* when SIGTERM was taken (cwt_mono_ms); the drain is bounded from it */
    int64_t started_mono;
    int64_t last_applied_id; /* highest event id applied to state */
    uint64_t applied_since_snapshot;
    int64_t last_snapshot_mono;
    int64_t last_rollup_minute; /* business minute (ms) of the last roll-up */
    int64_t ready_ms;           /* how long startup took */
    hub_hall_info *halls;       /* per cfg hall */
    int nhalls;
    hub_metrics m;
    lws_sorted_usec_list_t sul_tick; /* hub_loop's one periodic timer */
    int64_t last_housekeeping_mono;
    /* set by the signal thread, read by the service thread */
    _Atomic int sig_term, sig_hup;
} hub_t;

/* The hub's own tables in the store: per-minute roll-ups, the audit log, hall closures. */
extern const char hub_schema[];

/* Called from any thread: wake the service thread (lws_cancel_service). */
void hub_wake(void *hub);
/* From a WebSocket's WRITEABLE callback that is about to return -1: write the close frame
 * (code, reason cut to 123 bytes) now. lws_close_reason + return -1 from WRITEABLE loses the
 * frame on lws 4.1's libuv loop (the wsi is closed twice in that pass: politely, then for
 * good); a frame written here goes out with either loop. */
void hub_ws_write_close(struct lws *wsi, int code, const char *reason);
/* The feed of the hub's own events (hub_t.operator_feed, "operator" by default). */
const char *hub_operator_feed(const hub_t *hub);
/* Business now. */
int64_t hub_now(const hub_t *hub);

/* Connection registry: a stable id per connection so that completions from other threads
 * find their connection, or learn it is gone. */
uint64_t hub_conn_register(void *pss);
void hub_conn_unregister(uint64_t id);
void *hub_conn_lookup(uint64_t id);

/* Durable side-writes that need no answer (sessions, audit, roll-ups, closures, meta). */
void hub_store_fire(hub_t *hub, store_job *job);
void hub_audit(hub_t *hub, const char *user, const char *action, const char *detail);

#endif
