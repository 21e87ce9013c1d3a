/* bench_ingest: the ingest benchmark (SPEC §1, §3.3, §10) -- durable events per second and
 * ack latency, over HTTP batches (libcurl multi) or WebSocket /ingest (libwebsockets).
 *
 * Each client has one connection and its own pre-generated stream (bench_gen). Like a hall
 * gateway it sends one batch, waits for the hub's answer, checks that the answer's `acked`
 * covers the highest seq of every hall in the batch, then sends the next. Over WebSocket a
 * gateway may keep --window batches on the wire (the hub handles a connection's messages in
 * order and answers each), so the hub parses the next batch while the last one commits. Latency is
 * per batch: from handing the request to the transport to having the whole answer. Events count as
 * acknowledged only from answers that cover their batch: over HTTP `accepted` + `duplicates`, over
 * WebSocket the batch less the events the hub reported as rejected.
 *
 * The clock starts when the first batches go out; after --duration no new batch is sent,
 * the ones in flight are waited for, and the rate is acked events / (last answer - start).
 * An HTTP failure that retrying can fix (transport error, 429, 5xx) resends the same batch
 * after 200 ms; its latency counts from the resend.
 *
 * Thread: everything runs on the calling thread (the generator uses worker threads before
 * the clock starts).
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdarg.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bench_gen.h"
#include "bench_stats.h"
#include "bench_ws.h"

#define RETRY_US 200000
#define RETRY_WINDOW_US 5000000 /* no retries later than this after --duration */
#define ACK_WAIT_US 30000000    /* give up on answers this long after --duration */
#define DEFAULT_RATE_HTTP 250000.0
#define DEFAULT_RATE_WS 100000.0

typedef struct ing_client {
    int idx;
    bench_stream *s;
    size_t next;      /* next batch of s to send */
    bench_batch *cur; /* in flight, or waiting for a retry */
    int64_t sent_us;
    int64_t retry_us; /* 0 = not waiting for a retry */
    int rejected_now; /* ws: errors received for the oldest batch not answered yet */
    /* http */
    CURL *e;
    char *resp;
    size_t resp_len, resp_cap;
    /* ws: batches sent and not answered yet, oldest first (at most o->window) */
    size_t wq[BENCH_MAX_WINDOW];
    int64_t wq_sent[BENCH_MAX_WINDOW];
    int wq_head, wq_n;
    struct lws *wsi;
    cw_msgbuf rx; /* the message being received */
    bool established, closed;
} ing_client;

typedef struct ing_run {
    const bench_opts *o;
    ing_client *c;
    int n;
    int64_t t0_us, stop_us, last_ack_us;
    bench_lat lat;
    uint64_t acked, accepted, duplicates, rejected, batches, errors, ack_short;
    bool exhausted, done, closing;
    bench_err err;
    int inflight;
    int64_t exhausted_us, next_sample_us;
    bench_proc proc;
    char auth[512];
    struct curl_slist *hdrs;
    lws_sorted_usec_list_t sul;
    struct lws_context *ctx;
} ing_run;

/* True when `acked` (an object keyed "HALL/FEED") covers every hall of batch b. */
static bool acks_cover(const ing_run *r, const ing_client *c, const bench_batch *b, json_t *acked)
{
    const cfg_t *cfg = r->o->cfg;
    if (!json_is_object(acked)) return false;
    for (int h = 0; h < cfg->nhalls; h++) {
        if (!b->maxseq[h]) continue;
        char key[256];
        snprintf(key, sizeof key, "%s/%s", cfg->halls[h].id, c->s->feed);
        json_t *v = json_object_get(acked, key);
        if (!json_is_integer(v) || json_integer_value(v) < b->maxseq[h]) return false;
    }
    return true;
}

static void stamp(const ing_run *r, bench_batch *b)
{
    char at[40];
    cwt_format_local(cwt_clock_now(&r->o->clock), at);
    bench_batch_stamp(b, at);
}

/* The next batch client c should send now, or NULL. */
static bench_batch *next_batch(ing_run *r, ing_client *c, int64_t now)
{
    if (r->err.set || now >= r->stop_us) return NULL;
    if (c->next >= c->s->nbatches) {
        if (!r->exhausted) {
            r->exhausted = true;
            r->exhausted_us = now;
        }
        return NULL;
    }
    return &c->s->batches[c->next];
}

static void batch_done(ing_run *r, ing_client *c, int64_t now)
{
    bench_lat_add(&r->lat, now - c->sent_us);
    r->batches++;
    r->last_ack_us = now;
    c->cur = NULL;
    c->next++;
}

/* ---- HTTP (libcurl multi) ---------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    ing_client *c = arg;
    size_t n = size * nmemb;
    if (c->resp_len + n + 1 > c->resp_cap) {
        size_t cap = c->resp_cap ? c->resp_cap : 4096;
        while (cap < c->resp_len + n + 1)
            cap *= 2;
        char *q = realloc(c->resp, cap);
        if (!q) return 0;
        c->resp = q;
        c->resp_cap = cap;
    }
    memcpy(c->resp + c->resp_len, p, n);
    c->resp_len += n;
    c->resp[c->resp_len] = '\0';
    return n;
}

static int http_send(ing_run *r, CURLM *m, ing_client *c)
{
    stamp(r, c->cur);
    curl_easy_setopt(c->e, CURLOPT_POSTFIELDS, (char *)c->cur->buf + LWS_PRE);
    curl_easy_setopt(c->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->cur->len);
    c->resp_len = 0;
    c->retry_us = 0;
    c->sent_us = bench_now_us();
    if (curl_multi_add_handle(m, c->e) != CURLM_OK) {
        bench_err_set(&r->err, "libcurl refused a request");
        return -1;
    }
    r->inflight++;
    return 0;
}

static void http_done(ing_run *r, ing_client *c, CURLcode res)
{
    int64_t now = bench_now_us();
    long status = 0;
    curl_easy_getinfo(c->e, CURLINFO_RESPONSE_CODE, &status);
    if (res != CURLE_OK || status == 429 || status >= 500) {
        r->errors++;
        if (r->errors <= 5)
            fprintf(stderr, "citywall-bench: client %d: %s (HTTP %ld); resending\n", c->idx,
                    res != CURLE_OK ? curl_easy_strerror(res) : "hub busy or failing", status);
        c->retry_us = now + RETRY_US;
        return;
    }
    if (status != 200) {
        bench_err_set(&r->err, "POST /api/v1/events answered %ld: %.400s", status,
                      c->resp ? c->resp : "");
        c->cur = NULL;
        return;
    }
    json_t *reply = json_loadb(c->resp ? c->resp : "", c->resp_len, 0, NULL);
    json_t *rej = json_object_get(reply, "rejected");
    if (!json_is_integer(json_object_get(reply, "accepted")) ||
        !json_is_integer(json_object_get(reply, "duplicates"))) {
        r->errors++;
        bench_err_set(&r->err, "unexpected answer to POST /api/v1/events: %.400s",
                      c->resp ? c->resp : "");
        json_decref(reply);
        c->cur = NULL;
        return;
    }
    uint64_t acc = (uint64_t)json_integer_value(json_object_get(reply, "accepted"));
    uint64_t dup = (uint64_t)json_integer_value(json_object_get(reply, "duplicates"));
    size_t nrej = json_is_array(rej) ? json_array_size(rej) : 0;
    if (nrej > 0 && r->rejected == 0) {
        char *first = json_dumps(json_array_get(rej, 0), JSON_COMPACT);
        fprintf(stderr, "citywall-bench: the hub rejected events, first: %s\n",
                first ? first : "?");
        free(first);
    }
    r->rejected += nrej;
    if (acks_cover(r, c, c->cur, json_object_get(reply, "acked"))) {
        r->acked += acc + dup;
        r->accepted += acc;
        r->duplicates += dup;
    } else {
        r->ack_short++;
        if (r->ack_short == 1)
            fprintf(stderr, "citywall-bench: client %d: `acked` does not cover the batch: %.300s\n",
                    c->idx, c->resp);
    }
    json_decref(reply);
    batch_done(r, c, now);
}

static int run_http(ing_run *r)
{
    const bench_opts *o = r->o;
    int rc = -1;
    char url[1024];
    snprintf(url, sizeof url, "%s/api/v1/events", o->hub);
    CURLM *m = curl_multi_init();
    if (!m) return -1;
    r->hdrs = curl_slist_append(r->hdrs, r->auth);
    r->hdrs = curl_slist_append(r->hdrs, "Content-Type: application/json");
    r->hdrs = curl_slist_append(r->hdrs, "Expect:");
    if (!r->hdrs) goto fail;
    for (int i = 0; i < r->n; i++) {
        ing_client *c = &r->c[i];
        c->e = curl_easy_init();
        if (!c->e) goto fail;
        curl_easy_setopt(c->e, CURLOPT_URL, url);
        curl_easy_setopt(c->e, CURLOPT_HTTPHEADER, r->hdrs);
        curl_easy_setopt(c->e, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c->e, CURLOPT_WRITEDATA, c);
        curl_easy_setopt(c->e, CURLOPT_PRIVATE, c);
        curl_easy_setopt(c->e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c->e, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(c->e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
        curl_easy_setopt(c->e, CURLOPT_TIMEOUT_MS, 60000L);
    }
    r->t0_us = bench_now_us();
    r->stop_us = r->t0_us + (int64_t)(o->duration_s * 1e6);
    bench_proc_begin(&r->proc, o->hub_pid);
    int64_t next_sample = r->t0_us + 1000000;
    for (;;) {
        int64_t now = bench_now_us();
        bool waiting = false;
        for (int i = 0; i < r->n && !r->err.set; i++) {
            ing_client *c = &r->c[i];
            if (c->cur && c->retry_us) {
                if (now > r->stop_us + RETRY_WINDOW_US) {
                    bench_err_set(&r->err,
                                  "client %d: a batch was still unacknowledged %d s after the run",
                                  c->idx, RETRY_WINDOW_US / 1000000);
                    c->cur = NULL;
                    continue;
                }
                waiting = true;
                if (now >= c->retry_us && http_send(r, m, c) < 0) break;
            } else if (!c->cur && (c->cur = next_batch(r, c, now)) && http_send(r, m, c) < 0) {
                break;
            }
        }
        if (r->inflight == 0 && (!waiting || r->err.set)) break;
        int running = 0;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            ing_client *c = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            CURLcode res = msg->data.result;
            curl_multi_remove_handle(m, msg->easy_handle);
            r->inflight--;
            if (c) http_done(r, c, res);
        }
        if (now >= next_sample) {
            bench_proc_sample(&r->proc);
            next_sample = now + 1000000;
        }
        if (r->inflight > 0)
            curl_multi_poll(m, NULL, 0, 20, NULL);
        else
            usleep(1000);
    }
    bench_proc_end(&r->proc);
    rc = 0;
fail:
    for (int i = 0; i < r->n; i++) {
        if (r->c[i].e) {
            curl_multi_remove_handle(m, r->c[i].e);
            curl_easy_cleanup(r->c[i].e);
        }
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(r->hdrs);
    r->hdrs = NULL;
    return rc;
}

/* ---- WebSocket (libwebsockets) ----------------------------------------------------------- */

static bool ws_all_done(ing_run *r, int64_t now)
{
    if (r->err.set) return true;
    for (int i = 0; i < r->n; i++) {
        ing_client *c = &r->c[i];
        if (c->closed) continue;
        if (c->wq_n) return false;
        if (!c->established && now < r->stop_us) return false;
        if (now < r->stop_us && c->next < c->s->nbatches) return false;
    }
    return true;
}

static void ws_tick(lws_sorted_usec_list_t *sul)
{
    ing_run *r = lws_container_of(sul, ing_run, sul);
    int64_t now = bench_now_us();
    if (r->t0_us && now > r->stop_us + ACK_WAIT_US) {
        bench_err_set(&r->err, "no answer from WS /ingest within 30 s after the run");
        r->done = true;
    }
    if (r->t0_us && ws_all_done(r, now)) r->done = true;
    if (now >= r->next_sample_us) {
        bench_proc_sample(&r->proc);
        r->next_sample_us = now + 1000000;
    }
    if (!r->done) lws_sul_schedule(r->ctx, 0, &r->sul, ws_tick, 10 * LWS_US_PER_MS);
}

static void ws_message(ing_run *r, ing_client *c)
{
    int64_t now = bench_now_us();
    json_t *msg = json_loadb(c->rx.buf, c->rx.len, 0, NULL);
    json_t *ack = json_object_get(msg, "ack");
    if (json_is_object(ack)) {
        if (c->wq_n) {
            const bench_batch *b = &c->s->batches[c->wq[c->wq_head]];
            if (acks_cover(r, c, b, ack)) {
                r->acked += (uint64_t)(b->nev - c->rejected_now);
            } else {
                r->ack_short++;
                if (r->ack_short == 1)
                    fprintf(stderr,
                            "citywall-bench: client %d: ack does not cover the batch: "
                            "%.300s\n",
                            c->idx, c->rx.buf);
            }
            c->rejected_now = 0;
            bench_lat_add(&r->lat, now - c->wq_sent[c->wq_head]);
            r->batches++;
            r->last_ack_us = now;
            c->wq_head = (c->wq_head + 1) % BENCH_MAX_WINDOW;
            c->wq_n--;
            lws_callback_on_writable(c->wsi);
        }
    } else if (json_object_get(msg, "error")) {
        if (r->rejected == 0)
            fprintf(stderr, "citywall-bench: the hub rejected events, first: %.300s\n", c->rx.buf);
        r->rejected++;
        c->rejected_now++;
    } else {
        r->errors++;
        fprintf(stderr, "citywall-bench: client %d: unexpected message %.300s\n", c->idx,
                c->rx.buf);
    }
    json_decref(msg);
    if (ws_all_done(r, now)) r->done = true;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    ing_client *c = user;
    ing_run *r = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        unsigned char **p = in, *end = *p + len;
        const char *v = r->auth + strlen("Authorization: ");
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                         (const unsigned char *)v, (int)strlen(v), p, end))
            return -1;
        break;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->established = true;
        lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        c->closed = true;
        bench_err_set(&r->err, "cannot open WS /ingest: %s",
                      in ? (const char *)in : "connection failed");
        r->done = true;
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (c->wq_n >= r->o->window || !r->t0_us) break;
        int64_t now = bench_now_us();
        bench_batch *b = next_batch(r, c, now);
        if (!b) break;
        stamp(r, b);
        int k = (c->wq_head + c->wq_n) % BENCH_MAX_WINDOW;
        c->wq[k] = c->next++;
        c->wq_sent[k] = bench_now_us();
        c->wq_n++;
        int n = lws_write(wsi, b->buf + LWS_PRE, b->len, LWS_WRITE_TEXT);
        if (n < (int)b->len) {
            bench_err_set(&r->err, "WS /ingest: write failed");
            return -1;
        }
        if (c->wq_n < r->o->window) lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        switch (bench_ws_rx(wsi, &c->rx, in, len)) {
        case -1:
            return -1;
        case 1:
            ws_message(r, c);
            break;
        default:
            break;
        }
        break;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2) {
            const unsigned char *b = in;
            if (c->wq_n || bench_now_us() < r->stop_us)
                bench_err_set(&r->err, "the hub closed WS /ingest with %d %.*s", (b[0] << 8) | b[1],
                              (int)(len > 202 ? 200 : len - 2), (const char *)in + 2);
        }
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        c->closed = true;
        if (!r->closing && (c->wq_n || bench_now_us() < r->stop_us))
            bench_err_set(&r->err, "client %d: the hub closed WS /ingest during the run", c->idx);
        c->wq_n = 0;
        if (ws_all_done(r, bench_now_us())) r->done = true;
        break;
    default:
        break;
    }
    return 0;
}

static int run_ws(ing_run *r)
{
    const bench_opts *o = r->o;
    struct lws_protocols protocols[] = {{"citywall-ingest.v1", ws_callback, 0, 65536, 0, NULL, 0},
                                        {NULL, NULL, 0, 0, 0, NULL, 0}};
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = r;
    info.timeout_secs = 30;
    lws_set_log_level(LLL_ERR, NULL);
    r->ctx = lws_create_context(&info);
    if (!r->ctx) return -1;
    char host[300];
    snprintf(host, sizeof host, "%s:%d", o->host, o->port);
    for (int i = 0; i < r->n; i++) {
        struct lws_client_connect_info ci;
        memset(&ci, 0, sizeof ci);
        ci.context = r->ctx;
        ci.address = o->host;
        ci.port = o->port;
        ci.path = "/ingest";
        ci.host = host;
        ci.protocol = "citywall-ingest.v1";
        ci.userdata = &r->c[i];
        ci.pwsi = &r->c[i].wsi;
        if (!lws_client_connect_via_info(&ci)) {
            bench_err_set(&r->err, "cannot open WS /ingest on %s", host);
            break;
        }
    }
    /* wait for every connection before the clock starts */
    int64_t deadline = bench_now_us() + 10000000;
    for (;;) {
        int up = 0;
        for (int i = 0; i < r->n; i++)
            up += r->c[i].established;
        if (up == r->n || r->err.set || bench_now_us() > deadline) break;
        lws_service(r->ctx, 0);
    }
    if (!r->err.set) {
        r->t0_us = bench_now_us();
        r->stop_us = r->t0_us + (int64_t)(o->duration_s * 1e6);
        bench_proc_begin(&r->proc, o->hub_pid);
        for (int i = 0; i < r->n; i++)
            if (r->c[i].established) lws_callback_on_writable(r->c[i].wsi);
        lws_sul_schedule(r->ctx, 0, &r->sul, ws_tick, 10 * LWS_US_PER_MS);
        while (!r->done)
            if (lws_service(r->ctx, 0) < 0) break;
        bench_proc_end(&r->proc);
    }
    r->closing = true;
    lws_context_destroy(r->ctx);
    r->ctx = NULL;
    for (int i = 0; i < r->n; i++)
        cw_msgbuf_free(&r->c[i].rx);
    return 0;
}

/* ---- report ------------------------------------------------------------------------------ */

static void report(ing_run *r, const bench_stream *st, double gen_s)
{
    const bench_opts *o = r->o;
    bench_lat_sum ls;
    bench_lat_summarise(&r->lat, &ls);
    double elapsed = r->last_ack_us > r->t0_us ? (r->last_ack_us - r->t0_us) / 1e6 : 0;
    double eps = elapsed > 0 ? (double)r->acked / elapsed : 0;
    uint64_t types[EV__COUNT] = {0}, total = 0;
    size_t pregen = 0;
    for (int i = 0; i < r->n; i++) {
        for (int t = 0; t < EV__COUNT; t++)
            types[t] += st[i].types[t];
        pregen += st[i].nevents;
    }
    for (int t = 0; t < EV__COUNT; t++)
        total += types[t];

    printf("citywall-bench ingest: %s, %d client%s, batches of %d, %.1f s, hub %s\n",
           o->ws ? "WebSocket /ingest" : "HTTP POST /api/v1/events", r->n, r->n == 1 ? "" : "s",
           o->batch, o->duration_s, o->hub);
    printf("  pre-generated     %zu events from the sim model in %.1f s (before the clock)\n",
           pregen, gen_s);
    if (o->ws)
        printf("  events acked      %llu, rejected %llu (WebSocket acks do not split accepted "
               "and duplicates)\n",
               (unsigned long long)r->acked, (unsigned long long)r->rejected);
    else
        printf("  events acked      %llu (accepted %llu, duplicates %llu), rejected %llu\n",
               (unsigned long long)r->acked, (unsigned long long)r->accepted,
               (unsigned long long)r->duplicates, (unsigned long long)r->rejected);
    printf("  batches           %llu in %.3f s\n", (unsigned long long)r->batches, elapsed);
    printf("  throughput        %.0f events/s\n", eps);
    printf("  ack latency       p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, mean %.2f ms\n",
           ls.p50_ms, ls.p90_ms, ls.p99_ms, ls.max_ms, ls.mean_ms);
    if (o->hub_pid)
        printf(
            "  hub               pid %d: cpu %.0f %% (100 = one core), rss %.1f MiB (max %.1f)%s\n",
            o->hub_pid, r->proc.cpu_pct, r->proc.rss_mb, r->proc.rss_mb_max,
            r->proc.ok ? "" : " [could not read /proc]");
    printf("  errors            %llu requests retried, %llu answers not covering their batch\n",
           (unsigned long long)r->errors, (unsigned long long)r->ack_short);
    if (r->exhausted && o->events)
        printf("  note              a client had sent all its pre-generated events %.1f s into "
               "the run; the run ended when all were acknowledged\n",
               (r->exhausted_us - r->t0_us) / 1e6);
    else if (r->exhausted)
        printf("  NOTE              the pre-generated events ran out %.1f s into the run: the "
               "hub is faster than the default assumes, raise --events\n",
               (r->exhausted_us - r->t0_us) / 1e6);
    if (r->err.set) printf("  FAILED            %s\n", r->err.msg);
    printf("  event mix        ");
    for (int t = 0; t < EV__COUNT; t++)
        if (types[t])
            printf(" %s %.1f%%", ev_type_name((ev_type)t),
                   100.0 * (double)types[t] / (double)total);
    printf("\n");

    json_t *j = json_object();
    json_object_set_new(j, "mode", json_string("ingest"));
    json_object_set_new(j, "transport", json_string(o->ws ? "ws" : "http"));
    json_object_set_new(j, "clients", json_integer(r->n));
    json_object_set_new(j, "batch", json_integer(o->batch));
    if (o->ws) json_object_set_new(j, "window", json_integer(o->window));
    json_object_set_new(j, "events_per_s", bench_real(eps, 0.1));
    json_object_set_new(j, "p50_ms", bench_real(ls.p50_ms, 0.001));
    json_object_set_new(j, "p99_ms", bench_real(ls.p99_ms, 0.001));
    json_object_set_new(j, "max_ms", bench_real(ls.max_ms, 0.001));
    json_object_set_new(j, "events", json_integer((json_int_t)r->acked));
    json_object_set_new(j, "batches", json_integer((json_int_t)r->batches));
    json_object_set_new(j, "rejected", json_integer((json_int_t)r->rejected));
    json_object_set_new(j, "errors", json_integer((json_int_t)(r->errors + r->ack_short)));
    json_object_set_new(j, "duration_s", bench_real(elapsed, 0.001));
    json_object_set_new(j, "pregenerated", json_integer((json_int_t)pregen));
    json_object_set_new(j, "exhausted", json_boolean(r->exhausted));
    if (o->hub_pid && r->proc.ok) {
        json_object_set_new(j, "hub_cpu_pct", bench_real(r->proc.cpu_pct, 0.1));
        json_object_set_new(j, "hub_rss_mb", bench_real(r->proc.rss_mb_max, 0.1));
    }
    if (r->err.set) json_object_set_new(j, "error", json_string(r->err.msg));
    bench_print_json(j);
}

int bench_ingest_run(const bench_opts *o)
{
    int n = o->clients;
    ing_run r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.n = n;
    r.c = calloc((size_t)n, sizeof *r.c);
    bench_stream *st = calloc((size_t)n, sizeof *st);
    int rc = 1;
    if (!r.c || !st) {
        fprintf(stderr, "citywall-bench: out of memory\n");
        goto out;
    }
    snprintf(r.auth, sizeof r.auth, "Authorization: Bearer %s", o->token);
    char at[40];
    if (strlen(cwt_format_local(cwt_clock_now(&o->clock), at)) != BENCH_AT_LEN) {
        fprintf(stderr, "citywall-bench: local times in zone %s are not %d characters long\n",
                o->cfg->city.timezone, BENCH_AT_LEN);
        goto out;
    }
    long long total = o->events;
    if (total <= 0) {
        double rate = o->ws ? DEFAULT_RATE_WS * n : DEFAULT_RATE_HTTP;
        if (rate > DEFAULT_RATE_HTTP) rate = DEFAULT_RATE_HTTP;
        total = (long long)(rate * o->duration_s);
    }
    char prefix[48], tag[8];
    snprintf(prefix, sizeof prefix, "bench-%ld", (long)getpid());
    bench_gen_run_tag(tag);
    bench_gen_opts go = {.cfg = o->cfg,
                         .halls = o->halls,
                         .seed = o->seed,
                         .feed_prefix = prefix,
                         .run_tag = tag,
                         .batch = o->batch,
                         .events_per_stream = (size_t)((total + n - 1) / n)};
    fprintf(stderr, "citywall-bench: pre-generating %lld events (%d stream%s, feed %s-N)...\n",
            (long long)go.events_per_stream * n, n, n == 1 ? "" : "s", prefix);
    int64_t g0 = bench_now_us();
    if (bench_gen_streams(&go, st, n) < 0) {
        fprintf(stderr, "citywall-bench: generating the events failed (out of memory?)\n");
        goto out;
    }
    double gen_s = (bench_now_us() - g0) / 1e6;
    for (int i = 0; i < n; i++) {
        r.c[i].idx = i;
        r.c[i].s = &st[i];
    }
    fprintf(stderr, "citywall-bench: %.1f s to generate; running for %.1f s\n", gen_s,
            o->duration_s);
    if ((o->ws ? run_ws(&r) : run_http(&r)) < 0) {
        fprintf(stderr, "citywall-bench: cannot set up the %s client\n",
                o->ws ? "WebSocket" : "HTTP");
        goto out;
    }
    if (r.t0_us)
        report(&r, st, gen_s);
    else
        fprintf(stderr, "citywall-bench: %s\n", r.err.msg);
    rc = (r.err.set || r.ack_short || r.rejected || !r.t0_us || !r.acked) ? 1 : 0;
out:
    if (st)
        for (int i = 0; i < n; i++)
            bench_stream_free(&st[i]);
    free(st);
    for (int i = 0; r.c && i < n; i++) {
        free(r.c[i].resp);
    }
    free(r.c);
    bench_lat_free(&r.lat);
    return rc;
}
