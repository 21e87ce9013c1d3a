/* http_conns: what the hub keeps per TCP connection below the protocols: the count of
 * connections per peer address (SPEC §8 limit) and whether a connection has had a request
 * answered (to refuse requests that lws 4.1.6 would mis-frame; see http_conns_pipelined).
 *
 * lws frees a connection's per-request user data at every keep-alive transaction (it rebinds
 * the HTTP protocol), so this is keyed by the wsi itself, from LWS_CALLBACK_WSI_CREATE to
 * LWS_CALLBACK_WSI_DESTROY. Thread: service thread only.
 */
#ifndef CW_HTTP_CONNS_H
#define CW_HTTP_CONNS_H

#include <libwebsockets.h>
#include <stdbool.h>

#include "hub.h"

/* LWS_CALLBACK_FILTER_NETWORK_CONNECTION: 0 admits the accepted socket, -1 refuses it (over
 * limits.max_conns_per_addr from its address; counted and logged). */
int http_conns_admit(hub_t *hub, const struct lws_filter_network_conn_args *fa);
/* LWS_CALLBACK_WSI_CREATE / LWS_CALLBACK_WSI_DESTROY of every wsi. */
void http_conns_created(const struct lws *wsi);
void http_conns_destroyed(const struct lws *wsi);

/* A request on wsi has been answered completely. */
void http_conns_answered(struct lws *wsi);
/* May the request whose headers lws just parsed on wsi have been parsed from bytes that lws
 * buffered earlier (pipelined behind a previous request)? lws 4.1.6 mis-frames exactly those
 * when they carry a body: at the end of lws_http_action() it feeds the connection's buffer,
 * which still starts at that request, on as the body, and then loops forever on a body it takes
 * as complete (the service thread spun and no client was answered: SECURITY.md S1). True when
 * any connection of the service thread holds buffered input (lws does not say which); false
 * for a connection's first request, which lws always reads from the socket. */
bool http_conns_pipelined(struct lws *wsi);

#endif
