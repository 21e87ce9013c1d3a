/* http: the hub's HTTP side on libwebsockets -- request bodies, routing, responses, static
 * files, and the /ingest WebSocket protocol.
 *
 * Thread: service thread. Answers that need another thread (an ingest batch's commit, a login's
 * Argon2id check) are parked on the connection and written when the result comes back through
 * hub_service_wakeup(); if the connection is gone by then, the work still completes (events
 * are applied), only the answer is dropped.
 */
#ifndef CW_HTTP_H
#define CW_HTTP_H

#include <jansson.h>
#include <libwebsockets.h>

#include "auth.h"
#include "hub.h"

/* A request as the REST handlers see it. */
typedef struct http_req {
    hub_t *hub;
    struct lws *wsi;
    int method;        /* LWSHUMETH_* */
    const char *path;  /* without the query string */
    const char *body;  /* request body (NUL-terminated), may be NULL */
    size_t body_len;
    auth_who who;
    bool authed;
    char peer[64];
} http_req;

/* A response: status and a body (owned). */
typedef struct http_resp {
    int status;
    const char *ctype;
    char *body;
    size_t len;
    char set_cookie[256];
    char allow[64]; /* for 405 */
} http_resp;

/* Fill resp with a JSON body (steals the reference). */
void http_json(http_resp *r, int status, json_t *body);
/* {"error": printf-formatted message}. */
void http_error(http_resp *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Query argument by name ("hall"); NULL when absent. buf holds the decoded value. */
const char *http_arg(const http_req *rq, const char *name, char *buf, int len);

/* WebSocket paths whose handshakes are checked for their Origin. */
enum { HTTP_WS_LIVE, HTTP_WS_INGEST, HTTP_WS_NPATHS };

/* Origin rule for a WebSocket handshake (SPEC §8), called from
 * LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION of path (HTTP_WS_*). No Origin header: not a browser
 * (gateway, wall, tool), allowed. Otherwise the Origin must equal one of
 * server.allowed_origins or the hub's own origin, http[s]:// + the Host it was reached by.
 * Returns 0 to allow. On refusal it writes a 403 answer with a message, counts it
 * (http_ws_origin_refused), logs it and returns -1; the callback must then return nonzero. */
int http_ws_origin_check(hub_t *hub, struct lws *wsi, int path);
/* Handshakes on path (HTTP_WS_*) refused for their Origin since the hub started. */
uint64_t http_ws_origin_refused(int path);
/* "/live" or "/ingest" for HTTP_WS_*. */
const char *http_ws_path_name(int path);

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len);
size_t http_pss_size(void);
int ingest_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len);
size_t ingest_ws_pss_size(void);

/* Completions routed back to their connection (service thread). */
void http_deliver_job(hub_t *hub, store_job *job);
void http_deliver_login(hub_t *hub, auth_login_result *res);
void ingest_ws_deliver(hub_t *hub, store_job *job);
/* SIGTERM: close every /ingest connection with 1001 once its batches are answered. Returns the
 * number still open. */
int ingest_ws_shutdown(void);

/* May this request read (an account, or a wall token)? Otherwise fills resp with 401/403. */
bool rest_can_read(http_req *rq, http_resp *rs);
/* The configured hall `id` the caller may see: its index, or -1 after answering 404 or 403. */
int rest_hall_arg(http_req *rq, http_resp *rs, const char *id);
/* Query argument `name` as an integer from lo to hi: 1 and *out set, 0 when absent (out
 * untouched), -1 after answering 400 with a message naming the argument. */
int rest_int_arg(http_req *rq, http_resp *rs, const char *name, int64_t lo, int64_t hi,
                 int64_t *out);
/* REST API (rest.c): handle a synchronous request; returns 0 when resp is filled. */
int rest_handle(http_req *rq, http_resp *resp);
/* Prometheus text (metrics.c), malloc'd. */
char *metrics_render(hub_t *hub, size_t *len);

#endif
