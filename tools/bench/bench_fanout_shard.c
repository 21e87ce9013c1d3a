/* bench_fanout_shard: one thread of /live clients for the fan-out mode (bench_fanout.h).
 *
 * Clients. WebSocket connections (subprotocol citywall-live.v1) on this thread's own
 * libwebsockets context, opened at most CONNECT_WINDOW at a time. Each sends
 * {"op":"auth","token":T} and {"op":"subscribe","topics":["city"]} and keeps its own copy
 * of the topic: the snapshot, then every delta applied as an RFC 7396 merge patch (mp_apply)
 * to its own JSON document, from its own received bytes. Since the hub sends the same bytes
 * to every client in step, the parse of the last message is memoised per shard (keyed by its
 * bytes); applying it is still done per client, on each client's own copy.
 *
 * Deliveries. Once the run measures, event k is in a client's state exactly when it shows
 * halls[hall].kpi.issued >= base + k (on a later business day: the events sent before that
 * day plus its own count, bench_pub_shown); after every message a client applies, the counts it
 * newly shows are deliveries at that instant, latency = that instant - ack(k) (0, "before
 * ack", when the publisher has not read the ack yet).
 *
 * Thread: the shard's own (everything here), see bench_fanout.h for what the run reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_fanout.h"
#include "bench_ws.h"
#include "mergepatch.h"

#define CONNECT_WINDOW 200 /* handshakes in progress at once, per shard */
#define CONNECT_RETRIES 3
#define GRACE_US 5000000LL /* after the publisher stops */
#define TICK_US 5000       /* the shard's timer */
#define IVL_HAND_US 200000 /* --every: a shard hands its latencies to the run this often */

static int64_t shown_issued(const fo_shard *s, const fo_client *c)
{
    json_t *kpi = json_object_get(
        json_object_get(json_object_get(c->state, "halls"), s->run->hall_id), "kpi");
    json_t *v = json_object_get(kpi, "issued");
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static void record(fo_shard *s, fo_client *c, int64_t now)
{
    fo_run *r = s->run;
    if (!atomic_load_explicit(&r->measuring, memory_order_acquire) || !c->state ||
        c->phase != FO_READY)
        return;
    const char *day = json_string_value(json_object_get(c->state, "day"));
    int64_t issued = shown_issued(s, c);
    int64_t shown = bench_pub_shown(&r->pub, day ? day : "", issued, r->day0, r->base);
    if (shown < 0) { /* a day the publisher has not written to yet: counts not its own */
        s->foreign += (uint64_t)issued;
        return;
    }
    if (shown <= c->seen) return;
    int64_t acked = atomic_load_explicit(&r->pub.acked_n, memory_order_acquire);
    int64_t sent = atomic_load_explicit(&r->pub.sent_n, memory_order_acquire);
    for (int64_t k = c->seen + 1; k <= shown; k++) {
        if (k > sent) {
            s->foreign += (uint64_t)(shown - k + 1);
            break;
        }
        bench_lat_add(&s->lat_send, now - r->pub.send_us[k]);
        if (r->o->every_s) bench_lat_add(&s->ivl, now - r->pub.send_us[k]);
        if (k <= acked) {
            bench_lat_add(&s->lat, now - r->pub.ack_us[k]);
        } else {
            bench_lat_add(&s->lat, 0);
            s->early++;
        }
        s->deliveries++;
    }
    c->seen = shown;
    s->last_delivery_us = now;
}

static json_t *parse_memo(fo_shard *s, const fo_client *c)
{
    if (s->memo && c->rx.len == s->memo_len && !memcmp(c->rx.buf, s->memo_bytes, c->rx.len))
        return json_incref(s->memo);
    json_t *msg = json_loadb(c->rx.buf, c->rx.len, 0, NULL);
    char *copy = msg ? malloc(c->rx.len + 1) : NULL;
    if (copy) {
        memcpy(copy, c->rx.buf, c->rx.len);
        free(s->memo_bytes);
        json_decref(s->memo);
        s->memo_bytes = copy;
        s->memo_len = c->rx.len;
        s->memo = json_incref(msg);
    }
    return msg;
}

static void on_message(fo_shard *s, fo_client *c)
{
    int64_t now = bench_now_us();
    s->msgs++;
    json_t *msg = parse_memo(s, c);
    const char *op = json_string_value(json_object_get(msg, "op"));
    json_t *data = json_object_get(msg, "data");
    if (!op) {
        s->errors++;
    } else if (!strcmp(op, "hello")) {
        /* the first hello gives the business clock, handed to the run when settling */
        if (!s->clock_set && !s->settled && bench_ws_hello_clock(msg, &s->clock) == 0)
            s->clock_set = true;
    } else if (!strcmp(op, "snapshot") && json_is_object(data)) {
        s->snapshots++;
        json_decref(c->state);
        c->state = json_deep_copy(data);
        if (c->phase == FO_OPEN && s->settled) {
            c->phase = FO_LATE;
            s->late++;
        } else if (c->phase == FO_OPEN) {
            c->phase = FO_READY;
            s->ready++;
        }
        record(s, c, now);
    } else if (!strcmp(op, "delta")) {
        s->deltas++;
        if (!c->state) {
            s->errors++;
        } else {
            c->state = mp_apply(c->state, data);
            record(s, c, now);
        }
    } else if (!strcmp(op, "error")) {
        if (s->errors++ < 3)
            fprintf(stderr, "citywall-bench: client %d: %.300s\n", c->idx, c->rx.buf);
    }
    json_decref(msg);
}

static void connect_one(fo_shard *s, fo_client *c)
{
    c->phase = FO_CONNECTING;
    c->sent = 0;
    s->connecting++;
    if (bench_ws_live(s->ctx, s->run->o, c, &c->wsi) < 0) {
        /* the connection error callback has run (or will not): account it here */
        if (c->phase == FO_CONNECTING) {
            c->phase = FO_DEAD;
            s->connecting--;
            s->dead++;
        }
    }
}

static void client_lost(fo_shard *s, fo_client *c, const char *why)
{
    if (s->closing) return;
    if (c->phase == FO_CONNECTING) s->connecting--;
    if (c->phase == FO_READY) s->ready--;
    if (c->phase == FO_LATE) s->late--;
    if (c->phase == FO_OPEN || c->phase == FO_READY || c->phase == FO_LATE) s->open--;
    bool was_ready = c->phase == FO_READY;
    json_decref(c->state);
    c->state = NULL;
    c->wsi = NULL;
    if (!was_ready && c->retries++ < CONNECT_RETRIES && !s->settled) {
        c->phase = FO_IDLE; /* reconnect from the timer */
        return;
    }
    c->phase = FO_DEAD;
    s->dead++;
    if (was_ready) s->closed_mid++;
    if (s->dead <= 3) fprintf(stderr, "citywall-bench: client %d lost: %s\n", c->idx, why);
}

static int live_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    fo_client *c = user;
    fo_shard *s = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        s->connecting--;
        s->open++;
        c->phase = FO_OPEN;
        lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (c) client_lost(s, c, in ? (const char *)in : "connection error");
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        const char *m = c->sent == 0 ? s->run->auth : c->sent == 1 ? s->run->subscribe : NULL;
        if (!m) break;
        if (bench_ws_text(wsi, m) < 0) return -1;
        if (++c->sent < 2) lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE:
        switch (bench_ws_rx(wsi, &c->rx, in, len)) {
        case -1:
            return -1;
        case 1:
            on_message(s, c);
            break;
        default:
            break;
        }
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
        const unsigned char *b = in;
        c->peer_close = len >= 2 ? b[0] << 8 | b[1] : 1005; /* 1005: no status in the frame */
        snprintf(c->peer_why, sizeof c->peer_why, "%.*s", len > 2 ? (int)(len - 2) : 0,
                 len > 2 ? (const char *)b + 2 : "");
        break;
    }
    case LWS_CALLBACK_CLIENT_CLOSED: {
        char why[128] = "closed without a close frame from the hub (a timeout or an error here)";
        if (c->peer_close)
            snprintf(why, sizeof why, "closed by the hub, code %d %s", c->peer_close, c->peer_why);
        c->peer_close = 0;
        client_lost(s, c, why);
        break;
    }
    default:
        break;
    }
    return 0;
}

static bool all_caught_up(const fo_shard *s)
{
    int64_t acked = atomic_load_explicit(&s->run->pub.acked_n, memory_order_acquire);
    for (int i = 0; i < s->n; i++)
        if (s->c[i].phase == FO_READY && s->c[i].seen < acked) return false;
    return true;
}

/* Every client subscribed (or given up on): the base each starts from, handed to the run. */
static void settle(fo_shard *s)
{
    fo_client *first = NULL;
    for (int i = 0; i < s->n && !first; i++)
        if (s->c[i].phase == FO_READY) first = &s->c[i];
    s->base = first ? shown_issued(s, first) : -1;
    const char *day = first ? json_string_value(json_object_get(first->state, "day")) : NULL;
    snprintf(s->day, sizeof s->day, "%.10s", day ? day : "");
    for (int i = 0; i < s->n; i++)
        if (s->c[i].phase == FO_READY) s->c[i].seen = shown_issued(s, &s->c[i]) - s->base;
    pthread_mutex_lock(&s->run->mu);
    s->settled = true;
    pthread_cond_broadcast(&s->run->cond);
    pthread_mutex_unlock(&s->run->mu);
}

static void tick(lws_sorted_usec_list_t *sul)
{
    fo_shard *s = lws_container_of(sul, fo_shard, sul);
    fo_run *r = s->run;
    int64_t now = bench_now_us();
    if (!s->settled) {
        for (int i = 0; i < s->n && s->connecting < CONNECT_WINDOW; i++)
            if (s->c[i].phase == FO_IDLE) connect_one(s, &s->c[i]);
        int pending = 0;
        for (int i = 0; i < s->n; i++)
            pending += s->c[i].phase != FO_READY && s->c[i].phase != FO_DEAD;
        if (pending == 0 || now > r->ready_deadline_us) settle(s);
    }
    if (s->ivl.n && now - s->ivl_handed_us >= IVL_HAND_US) { /* --every's samples */
        pthread_mutex_lock(&r->mu);
        bench_lat_add_all(&r->ivl, &s->ivl);
        pthread_mutex_unlock(&r->mu);
        s->ivl.n = 0;
        s->ivl_handed_us = now;
    }
    bool finished = atomic_load(&r->stop);
    if (atomic_load_explicit(&r->pub.done, memory_order_acquire)) {
        if (!s->grace_until_us) s->grace_until_us = now + GRACE_US;
        if (all_caught_up(s) || now >= s->grace_until_us) finished = true;
    }
    if (finished) {
        pthread_mutex_lock(&r->mu);
        s->finished = true;
        pthread_cond_broadcast(&r->cond);
        pthread_mutex_unlock(&r->mu);
        return;
    }
    lws_sul_schedule(s->ctx, 0, &s->sul, tick, TICK_US);
}

static void *shard_main(void *arg)
{
    fo_shard *s = arg;
    lws_sul_schedule(s->ctx, 0, &s->sul, tick, 1);
    bool done = false;
    while (!done) {
        if (lws_service(s->ctx, 0) < 0) break;
        pthread_mutex_lock(&s->run->mu);
        done = s->finished;
        pthread_mutex_unlock(&s->run->mu);
    }
    pthread_mutex_lock(&s->run->mu);
    s->finished = s->settled = true; /* also when the loop failed; no more wakes from here */
    pthread_cond_broadcast(&s->run->cond);
    pthread_mutex_unlock(&s->run->mu);
    s->closing = true;
    lws_context_destroy(s->ctx);
    return NULL;
}

int fo_shard_start(fo_shard *s)
{
    static const struct lws_protocols protocols[] = {
        {"citywall-live.v1", live_callback, 0, 16384, 0, NULL, 0}, {NULL, NULL, 0, 0, 0, NULL, 0}};
    fo_run *r = s->run;
    s->n = 0;
    for (int i = s->index; i < r->o->clients; i += r->nshards)
        s->n++;
    s->c = calloc((size_t)(s->n ? s->n : 1), sizeof *s->c);
    if (!s->c) return -1;
    for (int k = 0, i = s->index; k < s->n; k++, i += r->nshards)
        s->c[k].idx = i;
    s->base = -1;
    s->ctx = bench_ws_context(protocols, s);
    if (!s->ctx) return -1;
    if (pthread_create(&s->thread, NULL, shard_main, s) != 0) {
        lws_context_destroy(s->ctx);
        s->ctx = NULL;
        return -1;
    }
    s->started = true;
    return 0;
}

void fo_shard_wake(fo_shard *s)
{
    pthread_mutex_lock(&s->run->mu);
    if (!s->finished) lws_cancel_service(s->ctx);
    pthread_mutex_unlock(&s->run->mu);
}

void fo_shard_join(fo_shard *s)
{
    if (s->started) pthread_join(s->thread, NULL);
    s->started = false;
}

void fo_shard_free(fo_shard *s)
{
    for (int i = 0; s->c && i < s->n; i++) {
        json_decref(s->c[i].state);
        cw_msgbuf_free(&s->c[i].rx);
    }
    free(s->c);
    s->c = NULL;
    free(s->memo_bytes);
    json_decref(s->memo);
    bench_lat_free(&s->lat);
    bench_lat_free(&s->lat_send);
    bench_lat_free(&s->ivl);
}
