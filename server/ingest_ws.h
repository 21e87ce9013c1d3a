/* ingest_ws: the /ingest WebSocket protocol of the hub (SPEC §3.3): hall gateways send events;
 * each message is answered once it is handled (committed and applied).
 *
 * Thread: service thread.
 */
#ifndef CW_INGEST_WS_H
#define CW_INGEST_WS_H

#include <libwebsockets.h>

#include "hub.h"

int ingest_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len);
size_t ingest_ws_pss_size(void);
/* SIGTERM: close every /ingest connection with 1001 once its batches are answered. Returns the
 * number still open. */
int ingest_ws_shutdown(void);

#endif
