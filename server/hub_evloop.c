/* hub_evloop: see hub_evloop.h.
 *
 * Teardown with a foreign libuv loop (lws 4.1, lib/core/context.c and
 * lib/event-libs/libuv/libuv.c): lws_context_destroy only starts it -- every wsi's uv_poll
 * and then lws's own timer and idle handles are uv_close()d, and only their close callbacks,
 * which run inside uv_run, finish the destroy and free the context (setting info.pcontext to
 * NULL). So the loop is run again until that pointer is NULL, as lws's
 * minimal-http-server-eventlib-foreign does, and only then closed (uv_loop_close refuses a loop
 * with open handles).
 */
#include "hub_evloop.h"

#include <stdio.h>
#include <string.h>

#define TEARDOWN_MAX_RUNS 10000 /* loop iterations to close lws's handles; each does some */
#define FLUSH_RUNS 4            /* non-blocking iterations once done: see hub_evloop_run */

int hub_evloop_parse(const char *name, hub_evloop_kind *kind)
{
    if (!strcmp(name, "uv"))
        *kind = HUB_EVLOOP_UV;
    else if (!strcmp(name, "poll"))
        *kind = HUB_EVLOOP_POLL;
    else
        return -1;
    return 0;
}

int hub_evloop_init(hub_evloop *ev, hub_evloop_kind kind, struct lws_context_creation_info *info)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    info->pcontext = &ev->ctx;
    if (kind == HUB_EVLOOP_POLL) return 0;
    int rc = uv_loop_init(&ev->loop);
    if (rc < 0) {
        fprintf(stderr, "citywall-hub: libuv: %s\n", uv_strerror(rc));
        return -1;
    }
    uv_check_init(&ev->loop, &ev->check);
    ev->check.data = ev;
    ev->foreign[0] = &ev->loop;
    info->foreign_loops = ev->foreign;
    info->options |= LWS_SERVER_OPTION_LIBUV;
    return 0;
}

static void check_cb(uv_check_t *h)
{
    hub_evloop *ev = h->data;
    if (ev->done(ev->ud)) uv_stop(&ev->loop);
}

void hub_evloop_run(hub_evloop *ev, struct lws_context *ctx, bool (*done)(void *ud), void *ud)
{
    ev->ctx = ctx;
    ev->done = done;
    ev->ud = ud;
    if (ev->kind == HUB_EVLOOP_POLL) {
        while (lws_service(ctx, 0) >= 0)
            if (done(ud)) break;
        return;
    }
    uv_check_start(&ev->check, check_cb);
    while (!done(ud))
        uv_run(&ev->loop, UV_RUN_DEFAULT); /* returns on uv_stop from check_cb */
    uv_check_stop(&ev->check);
    /* A WebSocket closed with lws_close_reason is gone for the protocol (LWS_CALLBACK_CLOSED)
     * before lws writes its close frame, on a later POLLOUT; lws's poll loop may get there in
     * the same lws_service call, this loop would stop first and the destroy drop the frame. So
     * a few more iterations that do not wait, for what is writable now. */
    for (int i = 0; i < FLUSH_RUNS; i++)
        uv_run(&ev->loop, UV_RUN_NOWAIT);
}

static void walk_cb(uv_handle_t *h, void *arg)
{
    (void)arg;
    fprintf(stderr, "citywall-hub: libuv: a %s handle is still open at exit\n",
            uv_handle_type_name(uv_handle_get_type(h)));
}

void hub_evloop_destroy(hub_evloop *ev)
{
    if (ev->kind == HUB_EVLOOP_POLL) {
        lws_context_destroy(ev->ctx);
        ev->ctx = NULL;
        return;
    }
    if (ev->ctx) lws_context_destroy(ev->ctx);
    for (int i = 0; ev->ctx && i < TEARDOWN_MAX_RUNS; i++)
        if (!uv_run(&ev->loop, UV_RUN_ONCE) && ev->ctx) lws_context_destroy(ev->ctx);
    if (ev->ctx) fprintf(stderr, "citywall-hub: libuv: the lws context did not close\n");
    uv_close((uv_handle_t *)&ev->check, NULL);
    uv_run(&ev->loop, UV_RUN_DEFAULT); /* the close callbacks of what is left */
    if (uv_loop_close(&ev->loop) == UV_EBUSY) uv_walk(&ev->loop, walk_cb, NULL);
}
