/* bench_ws: see bench_ws.h. */
#include "bench_ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bench_ws_rx(struct lws *wsi, cw_msgbuf *m, const void *in, size_t n)
{
    int got =
        cw_msgbuf_add(m, lws_is_first_fragment(wsi),
                      lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi), in, n, 0);
    return got < 0 ? -1 : got;
}

int bench_ws_text(struct lws *wsi, const char *m)
{
    unsigned char buf[LWS_PRE + 1024];
    size_t n = strlen(m);
    if (n > sizeof buf - LWS_PRE) return -1;
    memcpy(buf + LWS_PRE, m, n);
    return lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n ? -1 : 0;
}

struct lws_context *bench_ws_context(const struct lws_protocols *protocols, void *user)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = user;
    info.timeout_secs = 30;
    /* no fd_limit_per_thread: with it libwebsockets finds a socket's wsi by a linear search
     * of its table (13 % of the bench's CPU at 10,000 clients, perf); without it the table is
     * indexed by fd, sized from RLIMIT_NOFILE (raised at start) */
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context *ctx = lws_create_context(&info);
    if (!ctx) fprintf(stderr, "citywall-bench: cannot create the WebSocket client context\n");
    return ctx;
}

int bench_ws_hello_clock(const json_t *msg, cwt_clock *clock)
{
    const char *now = json_string_value(json_object_get(msg, "now"));
    double speed = json_number_value(json_object_get(msg, "speed"));
    int64_t b;
    if (!now || !(speed > 0) || cwt_parse_rfc3339(now, &b, NULL) < 0) return -1;
    clock->start_ms = b;
    clock->anchor_mono_ms = cwt_mono_ms();
    clock->speed = speed;
    return 0;
}

int bench_ws_live(struct lws_context *ctx, const bench_opts *o, void *userdata, struct lws **pwsi)
{
    char host[300];
    snprintf(host, sizeof host, "%s:%d", o->host, o->port);
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = ctx;
    ci.address = o->host;
    ci.port = o->port;
    ci.path = "/live";
    ci.host = host;
    ci.protocol = "citywall-live.v1";
    ci.userdata = userdata;
    /* no lws validity timer: its default (a ping 300 s in, dropped 10 s later without a pong)
     * took a soak's 1,000 clients down at once when pongs waited behind their backlog; a run's
     * own deadlines say when the hub is gone */
    static const lws_retry_bo_t no_validity = {.secs_since_valid_hangup = 0};
    ci.retry_and_idle_policy = &no_validity;
    ci.pwsi = pwsi;
    return lws_client_connect_via_info(&ci) ? 0 : -1;
}
