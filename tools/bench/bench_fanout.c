/* bench_fanout: the fan-out benchmark (SPEC §1, §4, §10) -- ingest ack to "the client's state
 * shows it", for N /live clients at once.
 *
 * Clients. N WebSocket connections (subprotocol citywall-live.v1) in one libwebsockets
 * service thread, opened at most CONNECT_WINDOW at a time. Each sends
 * {"op":"auth","token":T} and {"op":"subscribe","topics":["city"]} and keeps its own copy
 * of the topic: the snapshot, then every delta applied as an RFC 7396 merge patch (mp_apply)
 * to its own JSON document, from its own received bytes. Since the hub sends the same bytes
 * to every client in step, the parse of the last message is memoised (keyed by its bytes);
 * applying it is still done per client, on each client's own copy.
 *
 * Publisher. Once every client has its snapshot, a bench_pub thread POSTs `ticket.issued`
 * events for one hall (--hall) at --rate events/s and records, for the k-th event, the time
 * its ack arrived (bench_pub.h). With
 * base = the hall's kpi.issued in the snapshot, event k is in a client's state exactly when
 * the state shows halls[hall].kpi.issued >= base + k. After every message a client applies,
 * the counts it newly shows are deliveries at that instant; latency = that instant - ack(k).
 * A state that shows a count before the publisher has read its ack (the hub writes the
 * delta and the answer in the same pass) is a delivery with latency 0 ("before ack").
 * This needs no other writer to that hall during the run.
 *
 * After --duration the publisher stops; clients get up to GRACE_US to show the last count,
 * and what they still miss is reported as undelivered.
 *
 * Threads: the lws service thread (clients, run state) and the publisher thread; they share
 * only the bench_pub's ack_us[] (written before acked_n is published with release order) and
 * its atomics.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdarg.h>
#include <libwebsockets.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"
#include "bench_pub.h"
#include "bench_stats.h"
#include "bench_ws.h"
#include "mergepatch.h"

#define CONNECT_WINDOW 200 /* handshakes in progress at once */
#define CONNECT_RETRIES 3
#define READY_WAIT_US 60000000LL /* every client subscribed within this */
#define GRACE_US 5000000LL       /* after the publisher stops */
#define TICK_US 5000             /* the run's timer */

/* FO_LATE: got its snapshot after the measurement started, so it is left out of it */
enum fo_phase { FO_IDLE, FO_CONNECTING, FO_OPEN, FO_READY, FO_LATE, FO_DEAD };

typedef struct fo_client {
    int idx;
    struct lws *wsi;
    enum fo_phase phase;
    int sent; /* control messages written: 0 none, 1 auth, 2 auth + subscribe */
    int retries;
    json_t *state;  /* the city topic as this client has it; owned */
    int64_t seen;   /* deliveries recorded: counts 1..seen */
    cw_msgbuf rx;   /* the message being received */
    int peer_close; /* the close code the hub sent (0: none seen) */
    char peer_why[64];
} fo_client;

typedef struct fo_run {
    const bench_opts *o; /* = &opts */
    bench_opts opts;     /* a copy: its clock comes from the hub's hello unless --clock */
    bool clock_set;      /* opts.clock is final (--clock given, or a hello seen) */
    fo_client *c;
    int n;
    struct lws_context *ctx;
    lws_sorted_usec_list_t sul;
    const char *hall_id;
    char subscribe[160];
    char auth[512];

    int connecting, open, ready, late, dead;
    int64_t ready_deadline_us;
    bool measuring, publishing, finished, closing;
    int64_t base;
    bench_err err;

    bench_pub pub; /* shared with the publisher thread */

    int64_t grace_until_us;
    bench_lat lat;
    uint64_t deliveries, early, foreign, msgs, snapshots, deltas, errors, closed_mid;
    int64_t last_delivery_us, next_sample_us;
    char *memo_bytes; /* the last message parsed, and its parse (owned): clients get the same */
    size_t memo_len;  /* bytes, and parsing is a pure function of them */
    json_t *memo;
    bench_proc proc;
    struct rusage ru0;
    int64_t ru0_us;
} fo_run;

static void pub_done(void *ud)
{
    fo_run *r = ud;
    lws_cancel_service(r->ctx);
}

/* ---- clients ----------------------------------------------------------------------------- */

static int64_t shown_issued(const fo_run *r, const fo_client *c)
{
    json_t *kpi =
        json_object_get(json_object_get(json_object_get(c->state, "halls"), r->hall_id), "kpi");
    json_t *v = json_object_get(kpi, "issued");
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static void record(fo_run *r, fo_client *c, int64_t now)
{
    if (!r->measuring || !c->state || c->phase != FO_READY) return;
    int64_t shown = shown_issued(r, c) - r->base;
    if (shown <= c->seen) return;
    int64_t acked = atomic_load_explicit(&r->pub.acked_n, memory_order_acquire);
    int64_t sent = atomic_load_explicit(&r->pub.sent_n, memory_order_acquire);
    for (int64_t k = c->seen + 1; k <= shown; k++) {
        if (k > sent) {
            r->foreign += (uint64_t)(shown - k + 1);
            break;
        }
        if (k <= acked) {
            bench_lat_add(&r->lat, now - r->pub.ack_us[k]);
        } else {
            bench_lat_add(&r->lat, 0);
            r->early++;
        }
        r->deliveries++;
    }
    c->seen = shown;
    r->last_delivery_us = now;
}

static void on_message(fo_run *r, fo_client *c)
{
    int64_t now = bench_now_us();
    r->msgs++;
    json_t *msg;
    if (r->memo && c->rx.len == r->memo_len && !memcmp(c->rx.buf, r->memo_bytes, c->rx.len)) {
        msg = json_incref(r->memo);
    } else {
        msg = json_loadb(c->rx.buf, c->rx.len, 0, NULL);
        char *copy = msg ? malloc(c->rx.len + 1) : NULL;
        if (copy) {
            memcpy(copy, c->rx.buf, c->rx.len);
            free(r->memo_bytes);
            json_decref(r->memo);
            r->memo_bytes = copy;
            r->memo_len = c->rx.len;
            r->memo = json_incref(msg);
        }
    }
    const char *op = json_string_value(json_object_get(msg, "op"));
    json_t *data = json_object_get(msg, "data");
    if (!op) {
        r->errors++;
    } else if (!strcmp(op, "hello")) {
        /* the first hello sets the business clock, before the publisher thread reads it */
        if (!r->clock_set && !r->publishing && bench_ws_hello_clock(msg, &r->opts.clock) == 0)
            r->clock_set = true;
    } else if (!strcmp(op, "snapshot") && json_is_object(data)) {
        r->snapshots++;
        json_decref(c->state);
        c->state = json_deep_copy(data);
        if (c->phase == FO_OPEN && r->measuring) {
            c->phase = FO_LATE;
            r->late++;
        } else if (c->phase == FO_OPEN) {
            c->phase = FO_READY;
            r->ready++;
        }
        record(r, c, now);
    } else if (!strcmp(op, "delta")) {
        r->deltas++;
        if (!c->state) {
            r->errors++;
        } else {
            c->state = mp_apply(c->state, data);
            record(r, c, now);
        }
    } else if (!strcmp(op, "error")) {
        if (r->errors++ < 3)
            fprintf(stderr, "citywall-bench: client %d: %.300s\n", c->idx, c->rx.buf);
    }
    json_decref(msg);
}

static void connect_one(fo_run *r, fo_client *c)
{
    c->phase = FO_CONNECTING;
    c->sent = 0;
    r->connecting++;
    if (bench_ws_live(r->ctx, r->o, c, &c->wsi) < 0) {
        /* the connection error callback has run (or will not): account it here */
        if (c->phase == FO_CONNECTING) {
            c->phase = FO_DEAD;
            r->connecting--;
            r->dead++;
        }
    }
}

static void client_lost(fo_run *r, fo_client *c, const char *why)
{
    if (r->closing) return;
    if (c->phase == FO_CONNECTING) r->connecting--;
    if (c->phase == FO_READY) r->ready--;
    if (c->phase == FO_LATE) r->late--;
    if (c->phase == FO_OPEN || c->phase == FO_READY || c->phase == FO_LATE) r->open--;
    bool was_ready = c->phase == FO_READY;
    json_decref(c->state);
    c->state = NULL;
    c->wsi = NULL;
    if (!was_ready && c->retries++ < CONNECT_RETRIES && !r->measuring) {
        c->phase = FO_IDLE; /* reconnect from the timer */
        return;
    }
    c->phase = FO_DEAD;
    r->dead++;
    if (was_ready) r->closed_mid++;
    if (r->dead <= 3) fprintf(stderr, "citywall-bench: client %d lost: %s\n", c->idx, why);
}

static int live_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    fo_client *c = user;
    fo_run *r = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        r->connecting--;
        r->open++;
        c->phase = FO_OPEN;
        lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (c) client_lost(r, c, in ? (const char *)in : "connection error");
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        const char *m = c->sent == 0 ? r->auth : c->sent == 1 ? r->subscribe : NULL;
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
            on_message(r, c);
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
        client_lost(r, c, why);
        break;
    }
    default:
        break;
    }
    return 0;
}

/* ---- the run ----------------------------------------------------------------------------- */

static bool all_caught_up(fo_run *r)
{
    int64_t acked = atomic_load_explicit(&r->pub.acked_n, memory_order_acquire);
    for (int i = 0; i < r->n; i++)
        if (r->c[i].phase == FO_READY && r->c[i].seen < acked) return false;
    return true;
}

static void start_measuring(fo_run *r)
{
    fo_client *first = NULL;
    for (int i = 0; i < r->n && !first; i++)
        if (r->c[i].phase == FO_READY) first = &r->c[i];
    if (!first) {
        bench_err_set(&r->err, "no /live client got a snapshot");
        return;
    }
    /* the hub must count the publisher's tickets today: compare business days */
    const char *day = json_string_value(json_object_get(first->state, "day"));
    char now[40];
    cwt_format_local(cwt_clock_now(&r->o->clock), now);
    if (day && strncmp(day, now, 10) != 0) {
        bench_err_set(&r->err,
                      "the hub's business day is %s but the bench's clock says %.10s: drop "
                      "--clock (the hub's hello gives its clock) or give the hub's",
                      day, now);
        return;
    }
    r->base = shown_issued(r, first);
    for (int i = 0; i < r->n; i++)
        if (r->c[i].phase == FO_READY) r->c[i].seen = shown_issued(r, &r->c[i]) - r->base;
    r->measuring = true;
    getrusage(RUSAGE_SELF, &r->ru0);
    r->ru0_us = bench_now_us();
    bench_proc_begin(&r->proc, r->o->hub_pid);
    if (bench_pub_start(&r->pub) < 0) {
        bench_err_set(&r->err, "cannot start the publisher thread");
        r->measuring = false;
        return;
    }
    r->publishing = true;
}

static void tick(lws_sorted_usec_list_t *sul)
{
    fo_run *r = lws_container_of(sul, fo_run, sul);
    int64_t now = bench_now_us();
    if (!r->measuring && !r->err.set) {
        for (int i = 0; i < r->n && r->connecting < CONNECT_WINDOW; i++)
            if (r->c[i].phase == FO_IDLE) connect_one(r, &r->c[i]);
        int pending = 0;
        for (int i = 0; i < r->n; i++)
            pending += r->c[i].phase != FO_READY && r->c[i].phase != FO_DEAD;
        if (pending == 0 || now > r->ready_deadline_us) {
            if (r->ready < r->n)
                fprintf(stderr,
                        "citywall-bench: %d of %d clients subscribed; measuring with "
                        "those\n",
                        r->ready, r->n);
            start_measuring(r);
        }
    }
    if (r->publishing && atomic_load_explicit(&r->pub.done, memory_order_acquire)) {
        if (!r->grace_until_us) {
            r->grace_until_us = now + GRACE_US;
            bench_proc_end(&r->proc);
        }
        if (all_caught_up(r) || now >= r->grace_until_us) r->finished = true;
    }
    if (r->err.set && !r->publishing) r->finished = true;
    if (r->measuring && now >= r->next_sample_us) {
        bench_proc_sample(&r->proc);
        r->next_sample_us = now + 1000000;
    }
    if (!r->finished) lws_sul_schedule(r->ctx, 0, &r->sul, tick, TICK_US);
}

static void report(fo_run *r)
{
    const bench_opts *o = r->o;
    bench_lat_sum ls;
    bench_lat_summarise(&r->lat, &ls);
    int64_t acked = atomic_load(&r->pub.acked_n);
    double pub_s = r->pub.t1_us > r->pub.t0_us ? (r->pub.t1_us - r->pub.t0_us) / 1e6 : 0;
    double span =
        r->last_delivery_us > r->pub.t0_us ? (r->last_delivery_us - r->pub.t0_us) / 1e6 : 0;
    double dps = span > 0 ? (double)r->deliveries / span : 0;
    uint64_t expected = (uint64_t)acked * (uint64_t)r->ready;
    uint64_t undelivered = expected > r->deliveries ? expected - r->deliveries : 0;
    struct rusage ru1;
    getrusage(RUSAGE_SELF, &ru1);
    double self_s = (double)(ru1.ru_utime.tv_sec - r->ru0.ru_utime.tv_sec) +
                    (double)(ru1.ru_stime.tv_sec - r->ru0.ru_stime.tv_sec) +
                    (double)(ru1.ru_utime.tv_usec - r->ru0.ru_utime.tv_usec) / 1e6 +
                    (double)(ru1.ru_stime.tv_usec - r->ru0.ru_stime.tv_usec) / 1e6;
    double self_wall = (bench_now_us() - r->ru0_us) / 1e6;

    printf("citywall-bench fanout: %d /live clients on `city`%s, publisher %.0f events/s to %s "
           "for %.1f s, hub %s\n",
           r->n, o->max_hz ? " (max_hz set)" : "", o->rate, r->hall_id, o->duration_s, o->hub);
    printf("  clients           %d subscribed, %d subscribed too late to measure, %d lost or "
           "never connected, %llu closed mid-run\n",
           r->ready, r->late, r->dead, (unsigned long long)r->closed_mid);
    printf("  events            %lld acked in %.2f s (%llu requests; publisher at %s priority)\n",
           (long long)acked, pub_s, (unsigned long long)r->pub.requests,
           r->pub.rt ? "real-time" : "normal");
    printf("  deliveries        %llu of %llu (client x event), undelivered %llu, %.0f /s\n",
           (unsigned long long)r->deliveries, (unsigned long long)expected,
           (unsigned long long)undelivered, dps);
    printf("  latency           ack -> client state: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, "
           "max %.2f ms, mean %.2f ms\n",
           ls.p50_ms, ls.p90_ms, ls.p99_ms, ls.max_ms, ls.mean_ms);
    printf("                    (%llu shown before the publisher had read its ack: counted "
           "as 0 ms)\n",
           (unsigned long long)r->early);
    printf("  messages          %llu (%llu snapshots, %llu deltas), %llu errors\n",
           (unsigned long long)r->msgs, (unsigned long long)r->snapshots,
           (unsigned long long)r->deltas, (unsigned long long)r->errors);
    if (r->foreign)
        printf("  WARNING           %llu counts not from the publisher: another writer to %s\n",
               (unsigned long long)r->foreign, r->hall_id);
    if (o->hub_pid)
        printf(
            "  hub               pid %d: cpu %.0f %% (100 = one core), rss %.1f MiB (max %.1f)%s\n",
            o->hub_pid, r->proc.cpu_pct, r->proc.rss_mb, r->proc.rss_mb_max,
            r->proc.ok ? "" : " [could not read /proc]");
    printf("  bench itself      cpu %.0f %%\n", self_wall > 0 ? 100.0 * self_s / self_wall : 0);
    if (r->pub.err[0]) printf("  FAILED            %s\n", r->pub.err);
    if (r->err.set) printf("  FAILED            %s\n", r->err.msg);

    json_t *j = json_object();
    json_object_set_new(j, "mode", json_string("fanout"));
    json_object_set_new(j, "clients", json_integer(r->ready));
    json_object_set_new(j, "deliveries_per_s", bench_real(dps, 0.1));
    json_object_set_new(j, "p50_ms", bench_real(ls.p50_ms, 0.001));
    json_object_set_new(j, "p99_ms", bench_real(ls.p99_ms, 0.001));
    json_object_set_new(j, "max_ms", bench_real(ls.max_ms, 0.001));
    json_object_set_new(j, "events", json_integer(acked));
    json_object_set_new(j, "deliveries", json_integer((json_int_t)r->deliveries));
    json_object_set_new(j, "undelivered", json_integer((json_int_t)undelivered));
    json_object_set_new(j, "rate", bench_real(o->rate, 0.1));
    json_object_set_new(j, "errors", json_integer((json_int_t)(r->errors + r->closed_mid)));
    if (o->max_hz) json_object_set_new(j, "max_hz", json_integer(o->max_hz));
    /* messages the clients received (snapshots and deltas), per second over the same span as
     * deliveries_per_s: the wire's cost, where deliveries are the events it carried */
    json_object_set_new(j, "messages", json_integer((json_int_t)r->msgs));
    json_object_set_new(j, "messages_per_s", bench_real(span > 0 ? r->msgs / span : 0, 0.1));
    json_object_set_new(j, "bench_cpu_pct",
                        bench_real(self_wall > 0 ? 100.0 * self_s / self_wall : 0, 0.1));
    if (o->hub_pid && r->proc.ok) {
        json_object_set_new(j, "hub_cpu_pct", bench_real(r->proc.cpu_pct, 0.1));
        json_object_set_new(j, "hub_rss_mb", bench_real(r->proc.rss_mb_max, 0.1));
    }
    if (r->err.set || r->pub.err[0])
        json_object_set_new(j, "error", json_string(r->err.set ? r->err.msg : r->pub.err));
    bench_print_json(j);
}

int bench_fanout_run(const bench_opts *o)
{
    const cfg_t *cfg = o->cfg;
    int hall = o->hall ? cfg_hall_index(cfg, o->hall) : 0;
    if (hall < 0 || cfg->nhalls == 0 || cfg->halls[hall].nbiz == 0) {
        fprintf(stderr, "citywall-bench: --hall: no hall '%s' with a biz type in %s\n",
                o->hall ? o->hall : "(first)", cfg->path);
        return 2;
    }
    fo_run r;
    memset(&r, 0, sizeof r);
    r.opts = *o;
    r.o = &r.opts;
    r.clock_set = o->clock_given;
    r.n = o->clients;
    r.hall_id = cfg->halls[hall].id;
    snprintf(r.auth, sizeof r.auth, "{\"op\":\"auth\",\"token\":\"%s\"}", o->token);
    if (o->max_hz)
        snprintf(r.subscribe, sizeof r.subscribe,
                 "{\"op\":\"subscribe\",\"topics\":[\"city\"],\"max_hz\":%d}", o->max_hz);
    else
        snprintf(r.subscribe, sizeof r.subscribe, "{\"op\":\"subscribe\",\"topics\":[\"city\"]}");
    int pub_ok = bench_pub_init(&r.pub, r.o, hall, 0, "pub");
    r.pub.on_done = pub_done;
    r.pub.on_done_ud = &r;
    r.c = calloc((size_t)r.n, sizeof *r.c);
    int rc = 1;
    if (pub_ok < 0 || !r.c) {
        fprintf(stderr, "citywall-bench: out of memory\n");
        goto out;
    }
    for (int i = 0; i < r.n; i++)
        r.c[i].idx = i;
    struct lws_protocols protocols[] = {{"citywall-live.v1", live_callback, 0, 16384, 0, NULL, 0},
                                        {NULL, NULL, 0, 0, 0, NULL, 0}};
    r.ctx = bench_ws_context(protocols, &r);
    if (!r.ctx) goto out;
    fprintf(stderr, "citywall-bench: opening %d /live clients...\n", r.n);
    int64_t t_open = bench_now_us();
    r.ready_deadline_us = t_open + READY_WAIT_US;
    lws_sul_schedule(r.ctx, 0, &r.sul, tick, 1);
    while (!r.finished)
        if (lws_service(r.ctx, 0) < 0) break;
    if (r.publishing) bench_pub_join(&r.pub);
    if (r.measuring)
        fprintf(stderr, "citywall-bench: clients were subscribed %.1f s after the start\n",
                (r.pub.t0_us - t_open) / 1e6);
    if (r.measuring)
        report(&r);
    else
        fprintf(stderr, "citywall-bench: %s\n", r.err.msg);
    rc = (r.err.set || r.pub.err[0] || r.ready < r.n || r.closed_mid || r.foreign ||
          atomic_load(&r.pub.acked_n) == 0)
             ? 1
             : 0;
out:
    r.closing = true;
    if (r.ctx) lws_context_destroy(r.ctx);
    for (int i = 0; r.c && i < r.n; i++) {
        json_decref(r.c[i].state);
        cw_msgbuf_free(&r.c[i].rx);
    }
    free(r.c);
    bench_pub_free(&r.pub);
    free(r.memo_bytes);
    json_decref(r.memo);
    bench_lat_free(&r.lat);
    return rc;
}
