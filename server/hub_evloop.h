/* hub_evloop: the event loop under the hub's libwebsockets context, and its end.
 *
 *   uv    a libuv loop the hub owns, handed to lws as a foreign loop
 *         (LWS_SERVER_OPTION_LIBUV, Debian's libwebsockets-evlib-uv plugin): epoll, so a loop
 *         iteration costs what is ready, not what is connected. lws installs no signal
 *         handlers on a foreign loop; the hub's sigwait thread keeps them.
 *   poll  (default) lws's own loop, lws_service() over poll() of every socket each iteration.
 *
 * Either way the loop runs until the caller's `done` says so; it is asked after every loop
 * iteration (lws's timers, the hub's tick among them, make one at least every tick).
 *
 * Thread: the service thread (the one that calls hub_evloop_run), except where marked.
 */
#ifndef CW_HUB_EVLOOP_H
#define CW_HUB_EVLOOP_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <uv.h>

typedef enum hub_evloop_kind { HUB_EVLOOP_UV, HUB_EVLOOP_POLL } hub_evloop_kind;

typedef struct hub_evloop {
    hub_evloop_kind kind;
    struct lws_context *ctx; /* the context it drives; lws sets it NULL when it is freed */
    uv_loop_t loop;          /* uv: owned, initialised by hub_evloop_init */
    uv_check_t check;        /* uv: asks `done` after every iteration */
    bool (*done)(void *ud);
    void *ud;
    void *foreign[1]; /* uv: info.foreign_loops points here during lws_create_context */
} hub_evloop;

/* "uv" or "poll" into *kind. 0, or -1 for anything else. */
int hub_evloop_parse(const char *name, hub_evloop_kind *kind);

/* Make the loop of `kind` and set what lws_create_context needs for it in *info (options,
 * foreign loop, pcontext). 0, or -1 (logged). */
int hub_evloop_init(hub_evloop *ev, hub_evloop_kind kind, struct lws_context_creation_info *info);

/* Serve ctx (just created from the info hub_evloop_init set) until done(ud) returns true. */
void hub_evloop_run(hub_evloop *ev, struct lws_context *ctx, bool (*done)(void *ud), void *ud);

/* Destroy the context (lws_context_destroy). With uv, lws closes its handles asynchronously:
 * the loop runs again until the context is freed, then the loop itself is closed. */
void hub_evloop_destroy(hub_evloop *ev);

#endif
