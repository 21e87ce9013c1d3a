/* hubclient: the wall's connection to the hub -- the /live WebSocket (SPEC §4) and a few REST
 * reads (/api/v1/halls, /api/v1/history), on a libwebsockets service thread of its own.
 *
 * Live: {"op":"auth"} then subscribe `city` and `alerts`; once the city snapshot names the
 * halls, `hall/<id>` for each (max_hz 2: the wall needs their cameras, not every tick). Each
 * topic's snapshot + merge-patch deltas are applied to the thread's own copy. An
 * `unknown_topic` error for `alerts` (a hub without alerting) marks alerts unavailable.
 *
 * Staying connected (a watchdog every HUBCLIENT_WATCH_MS on the service thread owns this):
 * - an attempt that has not brought the city state within HUBCLIENT_CONNECT_MS is abandoned
 *   (a stalled hub whose kernel still accepts connections never answers the upgrade);
 * - once live, {"op":"ping"} goes out every HUBCLIENT_PING_MS; a ping left unanswered, or no
 *   message at all, for HUBCLIENT_DEAD_MS ends the connection (stall, blackhole, half-open in
 *   either direction: the hub's deltas alone do not prove it still hears us);
 * - every end of a connection or attempt, whichever lws callback reports it (connection
 *   error, close, an HTTP close before the upgrade, or only the wsi's destruction), leads to
 *   the next attempt after a backoff of 250 ms doubling to HUBCLIENT_BACKOFF_MAX_MS (+0-25 %
 *   jitter), forever; the backoff starts again once a connection is live. An attempt whose
 *   end lws never reports is forgotten after HUBCLIENT_KILL_MS.
 * A new connection resubscribes every topic with `since` = {epoch, rev} of the state it
 * holds, so the hub can resume with deltas. A refused token (auth_failed) is reported as
 * such (hub_update.auth_failed, and once on stderr) and retried at the longest backoff.
 *
 * REST: the hall registry (names, lat/lng, windows and their cameras) and the day's city
 * history (per-minute KPIs, for the trend backfill) after each (re)connect; the business
 * clock is estimated from the `to` of /history answers (the hub's business now) taken at
 * least 5 s apart (speed), and refreshed every minute.
 *
 * Hand-over: after each change the thread publishes copies of what changed under a mutex
 * and calls wake(ud); the render thread collects them with hubclient_take(). Nothing the
 * render thread holds is touched by this thread afterwards.
 *
 * Threads: hubclient_start/stop/take/report are called from the render thread; everything
 * else runs on the service thread.
 */
#ifndef CW_HUBCLIENT_H
#define CW_HUBCLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "cwtime.h"

#define HUBCLIENT_WATCH_MS 250
#define HUBCLIENT_PING_MS 1000
#define HUBCLIENT_DEAD_MS 4000
#define HUBCLIENT_CONNECT_MS 5000
#define HUBCLIENT_KILL_MS 3000
#define HUBCLIENT_BACKOFF_MS 250
#define HUBCLIENT_BACKOFF_MAX_MS 2000
#define HUBCLIENT_AUTH_RETRY_MS 5000

typedef struct hubclient hubclient;

/* What changed since the previous hubclient_take(). Every json_t is a new reference owned by
 * the caller, NULL when that part did not change. */
typedef struct hub_update {
    json_t *city;           /* the `city` topic */
    json_t *alerts;         /* the `alerts` topic (object: id -> alert) */
    json_t *halls;          /* object: hall id -> {name, status, cameras} from `hall/<id>` topics,
                               only the halls that changed */
    json_t *registry;       /* GET /api/v1/halls (array) */
    json_t *history;        /* GET /api/v1/history (city, step 60) */
    json_t *wall;           /* the `wall/<id>` topic (hubclient_start_wall only) */
    uint64_t wall_rev;      /* rev of the wall state handed over */
    json_t *province;       /* the `province` topic (hubclient_start_ex with province only) */
    int64_t province_rx_ms; /* real time of its last message; 0 none */
    int64_t wall_rx_ms;     /* real time of its last message; 0 none */
    /* status, always filled */
    bool connected;          /* WebSocket open and the city snapshot received */
    bool alerts_unavailable; /* the hub answered unknown_topic for `alerts` */
    int64_t city_rx_ms;      /* real time (cwt_real_ms) of the last city message; 0: none */
    int64_t alerts_rx_ms;
    int64_t halls_rx_ms;
    int64_t down_since_ms; /* real time the connection was lost (0 while connected) */
    int64_t known_ms;      /* real time the state was last known current: the last message
                              (snapshot, delta or pong) on a live connection; 0: never */
    bool auth_failed;      /* the hub refused the token on the last attempt */
    uint64_t city_rev;     /* rev of the city state handed over */
    int64_t city_ack_ms;   /* the earliest ingest ack (real ms, stamped by the hub beside a
                              delta) the city state handed over carries; 0 none. Taken once */
    bool clock_valid;
    cwt_clock clock; /* the hub's business clock as estimated here */
    int reconnects;  /* connections lost after they were open */
    int failures;    /* connection attempts that failed */
    int snapshots;   /* city snapshots received (the first, and after a resume was refused) */
    int resumes;     /* city resumes the hub granted (`recovered`: no snapshot needed) */
    char epoch[64];
    char error[256]; /* last connection problem ("" when none) */
} hub_update;

/* Connect to the hub at url (ws://, wss://, http:// or https://, host:port and optional path
 * prefix) with a wall token. url may list a cluster's hubs separated by commas: a lost
 * connection goes to the next one at once, the backoff applies after a full round. wake(ud) is
 * called (from the service thread) after each publication. NULL with a message in err when the URL
 * is bad or the thread cannot start. */
hubclient *hubclient_start(const char *url, const char *token, void (*wake)(void *ud), void *ud,
                           char *err, size_t errn);
/* The same, following the hub-decided state of wall `wall` (the live topic wall/<wall>) too;
 * wall NULL is hubclient_start. */
hubclient *hubclient_start_wall(const char *url, const char *token, const char *wall,
                                void (*wake)(void *ud), void *ud, char *err, size_t errn);
/* The same, also following the `province` topic when province is true (a province layout on
 * a province hub, docs/cluster.md); an error for it (a city hub) is logged once per
 * connection. */
hubclient *hubclient_start_ex(const char *url, const char *token, const char *wall, bool province,
                              void (*wake)(void *ud), void *ud, char *err, size_t errn);
/* Stop the thread, close the connection, free everything not yet taken. */
void hubclient_stop(hubclient *hc);

/* Move what changed into *u (see hub_update). Returns true when anything (data or status)
 * changed since the previous call. */
bool hubclient_take(hubclient *hc, hub_update *u);
/* Release the references in *u and zero them (status fields are kept). */
void hubclient_update_clear(hub_update *u);

/* Send {"op":"report",...} (a JSON object text, copied) once connected; a newer report
 * replaces one not yet sent. */
void hubclient_report(hubclient *hc, const char *json_text);

/* Split a hub URL into its parts. scheme gets "ws"/"http" (or "wss"/"https" with *tls).
 * 0 or -1. */
int hubclient_parse_url(const char *url, char *host, size_t hostn, int *port, char *prefix,
                        size_t prefixn, bool *tls);

#endif
