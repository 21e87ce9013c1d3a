/* hub_loop: the hub's service loop -- wakeups, the one periodic timer, housekeeping and
 * config reload (see hub_loop.c for the map). Thread: service thread.
 */
#ifndef CW_HUB_LOOP_H
#define CW_HUB_LOOP_H

#include <libwebsockets.h>

#include "hub.h"

/* The loop's lws protocol (no connections): put it in the vhost's protocol list. */
int hub_loop_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len);
/* Start the periodic timer (once the lws context exists and the state is loaded). */
void hub_loop_start(hub_t *hub);
/* Hand every job the store has finished to its submitter's completion (or free it). Also used
 * by the shutdown drain in main. */
void hub_loop_take_completions(hub_t *hub);
/* Save a state snapshot now (startup complete, periodic, shutdown). */
void hub_save_snapshot(hub_t *hub);

#endif
