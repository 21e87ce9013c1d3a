/* bench_ws: the WebSocket client chores every bench mode shares -- gathering a message from
 * its fragments, and sending a short text message. Service-thread only (libwebsockets). */
#ifndef CW_BENCH_WS_H
#define CW_BENCH_WS_H

#include <jansson.h>
#include <libwebsockets.h>
#include <stddef.h>

#include "bench.h"
#include "msgbuf.h"

/* Add a received fragment (in, n) to the message being gathered in m. Returns 1 when the
 * fragment completes a message (NUL-terminated in m->buf, m->len bytes), 0 when more is to
 * come, -1 when out of memory. */
int bench_ws_rx(struct lws *wsi, cw_msgbuf *m, const void *in, size_t n);

/* Write the text message m (under 1 KiB) on wsi. Returns 0, or -1 when the write fails. */
int bench_ws_text(struct lws *wsi, const char *m);

/* A client context (no listener) for `protocols`, with `user` as its lws_context_user. NULL
 * with a message on stderr. */
struct lws_context *bench_ws_context(const struct lws_protocols *protocols, void *user);

/* Start opening /live (subprotocol citywall-live.v1) on o's hub; *pwsi is set as it goes.
 * Returns 0, or -1 when libwebsockets could not start it. */
int bench_ws_live(struct lws_context *ctx, const bench_opts *o, void *userdata, struct lws **pwsi);

/* Set *clock from a /live hello's business clock ({"now": RFC 3339, "speed": n}, SPEC §4),
 * anchored at this moment. Returns 0, or -1 (clock untouched) when msg carries none. */
int bench_ws_hello_clock(const json_t *msg, cwt_clock *clock);

#endif
