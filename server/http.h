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

#endif
