/* http: the hub's HTTP protocol on libwebsockets -- request framing and bodies, routing to
 * ingest, login, /metrics and REST, static files and error pages.
 *
 * Thread: service thread. Answers that need another thread (an ingest batch's commit, a login's
 * Argon2id check) are parked on the connection and written when the result comes back; if the
 * connection is gone by then, the work still completes (events are applied), only the answer is
 * dropped.
 */
#ifndef CW_HTTP_H
#define CW_HTTP_H

#include <libwebsockets.h>

#include "auth.h"
#include "hub.h"

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len);
size_t http_pss_size(void);

/* ---- http_static.c (called by http.c) ---- */
struct http_resp;
/* http_static.c: 1 when lws is serving the file at path (or failed: *rc -1), 0 when there is
 * no such file. */
int http_serve_static(struct lws *wsi, const char *path, int *rc);
/* http_static.c: the client asked for HTML (a browser navigating). */
bool http_wants_html(struct lws *wsi);
/* http_static.c: r's JSON error made into a bilingual HTML page. */
void http_error_page(struct http_resp *r);

#endif
