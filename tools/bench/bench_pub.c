/* bench_pub: the steady-rate `ticket.issued` publisher thread. See bench_pub.h. */
#include "bench_pub.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_gen.h"
#include "bench_stats.h"

#define MAX_PER_REQUEST 5000

typedef struct pub_resp {
    char *p;
    size_t n, cap;
} pub_resp;

static size_t pub_body(char *p, size_t size, size_t nmemb, void *arg)
{
    pub_resp *b = arg;
    size_t n = size * nmemb;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) return 0;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
    return n;
}

static void *publisher(void *arg)
{
    bench_pub *r = arg;
    const bench_opts *o = r->o;
    char url[1024], auth[512];
    snprintf(url, sizeof url, "%s/api/v1/events", o->hub);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->ingest_token);
    struct curl_slist *hdrs = curl_slist_append(NULL, auth);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    CURL *e = curl_easy_init();
    char *body = malloc((size_t)MAX_PER_REQUEST * 320 + 16);
    pub_resp resp = {0};
    if (!e || !hdrs || !body) {
        snprintf(r->err, sizeof r->err, "publisher: out of memory");
        goto out;
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, pub_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
    char key[160];
    snprintf(key, sizeof key, "%s/%s", r->hall_id, r->feed);
    int64_t t0 = bench_now_us(), end = t0 + (int64_t)(o->duration_s * 1e6);
    r->t0_us = t0;
    int64_t sent = 0;
    for (;;) {
        int64_t now = bench_now_us();
        if (now >= end) break;
        int64_t due = (int64_t)((double)(now - t0) * o->rate / 1e6) + 1;
        if (due > r->cap) due = r->cap;
        if (due <= sent) {
            int64_t next = t0 + (int64_t)((double)sent * 1e6 / o->rate);
            if (due >= r->cap || next >= end) break;
            if (next > now) {
                int64_t us = next - now;
                struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        if (due - sent > MAX_PER_REQUEST) due = sent + MAX_PER_REQUEST;
        char at[40];
        cwt_format_local(cwt_clock_now(&o->clock), at);
        size_t len = 0;
        body[len++] = '[';
        for (int64_t k = sent + 1; k <= due; k++)
            len += (size_t)sprintf(body + len,
                                   "%s{\"hall\":\"%s\",\"feed\":\"%s\",\"seq\":%lld,"
                                   "\"type\":\"ticket.issued\",\"at\":\"%s\",\"data\":{"
                                   "\"ticket\":\"P%lld.%s\",\"biz\":\"%s\",\"channel\":"
                                   "\"kiosk\",\"priority\":\"normal\"}}",
                                   k > sent + 1 ? "," : "", r->hall_id, r->feed, (long long)k, at,
                                   (long long)k, r->tag, r->biz_id);
        body[len++] = ']';
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        resp.n = 0;
        int64_t t_send = bench_now_us();
        for (int64_t k = sent + 1; k <= due; k++)
            r->send_us[k] = t_send;
        int nd = atomic_load_explicit(&r->ndays, memory_order_relaxed);
        if ((nd == 0 || strncmp(r->days[nd - 1].day, at, 10) != 0) && nd < BENCH_PUB_MAX_DAYS) {
            snprintf(r->days[nd].day, sizeof r->days[nd].day, "%.10s", at);
            r->days[nd].first_k = sent + 1;
            atomic_store_explicit(&r->ndays, nd + 1, memory_order_release);
        }
        atomic_store_explicit(&r->sent_n, due, memory_order_release);
        CURLcode rc = curl_easy_perform(e);
        int64_t t_ack = bench_now_us();
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        r->requests++;
        json_t *reply = resp.p ? json_loadb(resp.p, resp.n, 0, NULL) : NULL;
        json_t *acked = json_object_get(json_object_get(reply, "acked"), key);
        size_t nrej = json_array_size(json_object_get(reply, "rejected"));
        if (rc != CURLE_OK || status != 200 || nrej || !json_is_integer(acked) ||
            json_integer_value(acked) < due) {
            snprintf(r->err, sizeof r->err,
                     "publisher: POST /api/v1/events: %s, HTTP %ld, answer %.300s",
                     rc != CURLE_OK ? curl_easy_strerror(rc) : "ok", status,
                     resp.p && resp.n ? resp.p : "");
            json_decref(reply);
            break;
        }
        json_decref(reply);
        for (int64_t k = sent + 1; k <= due; k++)
            r->ack_us[k] = t_ack;
        atomic_store_explicit(&r->acked_n, due, memory_order_release);
        sent = due;
    }
    r->t1_us = bench_now_us();
out:
    free(resp.p);
    free(body);
    if (e) curl_easy_cleanup(e);
    curl_slist_free_all(hdrs);
    atomic_store_explicit(&r->done, true, memory_order_release);
    if (r->on_done) r->on_done(r->on_done_ud);
    return NULL;
}

int bench_pub_init(bench_pub *p, const bench_opts *o, int hall, int biz, const char *suffix)
{
    memset(p, 0, sizeof *p);
    p->o = o;
    p->hall_id = o->cfg->halls[hall].id;
    p->biz_id = o->cfg->halls[hall].biz[biz].id;
    snprintf(p->feed, sizeof p->feed, "bench-%ld-%s", (long)getpid(), suffix);
    bench_gen_run_tag(p->tag);
    p->cap = (int64_t)(o->rate * o->duration_s * 1.1) + 1000;
    p->ack_us = calloc((size_t)p->cap + 1, sizeof *p->ack_us);
    p->send_us = calloc((size_t)p->cap + 1, sizeof *p->send_us);
    return p->ack_us && p->send_us ? 0 : -1;
}

int bench_pub_start(bench_pub *p)
{
    if (pthread_create(&p->thread, NULL, publisher, p) != 0) return -1;
    p->started = true;
    struct sched_param sp = {.sched_priority = 1};
    p->rt = pthread_setschedparam(p->thread, SCHED_FIFO, &sp) == 0;
    return 0;
}

void bench_pub_join(bench_pub *p)
{
    if (!p->started) return;
    pthread_join(p->thread, NULL);
    p->started = false;
}

void bench_pub_free(bench_pub *p)
{
    free(p->ack_us);
    free(p->send_us);
    p->ack_us = p->send_us = NULL;
}

int64_t bench_pub_shown(const bench_pub *p, const char *day, int64_t issued, const char *day0,
                        int64_t base)
{
    if (!strncmp(day, day0, 10)) return issued - base;
    int n = atomic_load_explicit(&p->ndays, memory_order_acquire);
    for (int i = 0; i < n; i++)
        if (!strncmp(p->days[i].day, day, 10)) return p->days[i].first_k - 1 + issued;
    return -1;
}
