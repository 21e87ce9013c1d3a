/* http_util: what the hub's HTTP and WebSocket protocols share -- the request and response
 * as REST handlers see them, JSON answers and errors, query arguments, an error answer written
 * at once, and the Origin rule (SPEC §8) of WebSocket handshakes and cookie writes.
 *
 * Thread: service thread.
 */
#ifndef CW_HTTP_UTIL_H
#define CW_HTTP_UTIL_H

#include <jansson.h>
#include <libwebsockets.h>

#include "auth.h"
#include "hub.h"

/* A request as the REST handlers see it. */
typedef struct http_req {
    hub_t *hub;
    struct lws *wsi;
    int method;       /* LWSHUMETH_* */
    const char *path; /* without the query string */
    const char *body; /* request body (NUL-terminated), may be NULL */
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

/* The cluster's other hubs as CSP connect-src sources (" ws://10.0.0.2:8080 ..." from
 * cluster.public_urls: http -> ws, https -> wss), so that the dashboard may move its live
 * connection there (docs/cluster.md "Browsers"); "" without them. Stops at what fits in buf. */
void http_csp_cluster(const cfg_t *cfg, char *buf, size_t len);

/* Is origin ("scheme://host[:port]") allowed for browser requests reaching the hub through
 * wsi: one of server.allowed_origins, or the hub's own origin -- the scheme it serves (http,
 * or https with TLS; not both) and the Host it was reached by. */
bool http_origin_allowed(const hub_t *hub, struct lws *wsi, const char *origin);

/* Writes a whole JSON error answer {"error": msg} with status and "connection: close" on wsi
 * now, for a request whose bytes cannot be trusted to end where lws thinks (refused framing,
 * a pipelined body) or a refused WebSocket handshake. The caller then returns nonzero from its
 * callback: lws closes the connection after the bytes, which fit a fresh socket's buffer. */
void http_write_error_now(struct lws *wsi, int status, const char *msg);

/* A client's header value as it may be logged or quoted: printable ASCII, cut to n - 1. */
void http_printable(char *dst, size_t n, const char *src);

/* The security headers of every answer (SPEC §8) at *q: a CSP allowing only the hub's own
 * scripts, styles, images and connections (and the cluster's hubs), nosniff, no referrer, no
 * framing. 0, or -1 when they don't fit before end. */
int http_add_security_headers(struct lws *wsi, unsigned char **q, unsigned char *end);
/* Ends the request/response on wsi (lws then parses the next pipelined one); 0, or -1 to
 * close the connection. */
int http_transaction_done(struct lws *wsi);

#endif
