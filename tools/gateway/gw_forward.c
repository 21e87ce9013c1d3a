/* gw_forward: the forwarder thread (outbox -> hub, libcurl); see gw_forward.h. */
#include "gw_forward.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cwtime.h"
#include "gw_outbox.h"

#define BACKOFF_FIRST_MS 250
#define MAX_BODY_BYTES (2u << 20)

struct gw_forward {
    const gw_cfg *cfg;
    gw_health *h;
    pthread_t thread;
    pthread_mutex_t mu; /* guards kicked, stop */
    pthread_cond_t cv;
    bool kicked, stop;
    /* thread-owned */
    gw_outbox *ob;
    CURL *curl;
    struct curl_slist *headers;
    int cur; /* index of the hub URL in use */
    int max_events;
    int64_t backoff_ms;
    char *body;
    size_t body_len, body_cap;
    char *reply;
    size_t reply_len, reply_cap;
    gw_batch batch;
};

static size_t on_reply(char *ptr, size_t size, size_t nmemb, void *user)
{
    gw_forward *f = user;
    size_t n = size * nmemb;
    if (f->reply_len + n + 1 > f->reply_cap) {
        size_t cap = (f->reply_len + n + 1) * 2;
        char *r = realloc(f->reply, cap);
        if (!r) return 0;
        f->reply = r;
        f->reply_cap = cap;
    }
    memcpy(f->reply + f->reply_len, ptr, n);
    f->reply_len += n;
    f->reply[f->reply_len] = '\0';
    return n;
}

static int body_append(gw_forward *f, const char *s, size_t n)
{
    if (f->body_len + n + 1 > f->body_cap) {
        size_t cap = (f->body_len + n + 1) * 2;
        char *b = realloc(f->body, cap);
        if (!b) return -1;
        f->body = b;
        f->body_cap = cap;
    }
    memcpy(f->body + f->body_len, s, n);
    f->body_len += n;
    f->body[f->body_len] = '\0';
    return 0;
}

/* Wait up to ms for a kick or stop. Returns true when stopping. */
static bool wait_kick(gw_forward *f, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&f->mu);
    while (!f->kicked && !f->stop)
        if (pthread_cond_timedwait(&f->cv, &f->mu, &ts) != 0) break;
    f->kicked = false;
    bool stop = f->stop;
    pthread_mutex_unlock(&f->mu);
    return stop;
}

/* Count a failed request and keep "BASE: WHY (HTTP status)" as the last error. */
static void set_error(gw_forward *f, const char *base, const char *why, long status)
{
    pthread_mutex_lock(&f->h->mu);
    f->h->failures++;
    if (status)
        snprintf(f->h->last_error, sizeof f->h->last_error, "%s: %s (HTTP %ld)", base, why, status);
    else
        snprintf(f->h->last_error, sizeof f->h->last_error, "%s: %s", base, why);
    pthread_mutex_unlock(&f->h->mu);
}

/* A failed request: next hub; after a round of them, back off. Returns true when stopping. */
static bool fail_next(gw_forward *f)
{
    f->cur = (f->cur + 1) % f->cfg->nhub;
    if (f->cur != 0) return false; /* try the next hub at once */
    f->backoff_ms = f->backoff_ms ? f->backoff_ms * 2 : BACKOFF_FIRST_MS;
    if (f->backoff_ms > f->cfg->retry_max_ms) f->backoff_ms = f->cfg->retry_max_ms;
    pthread_mutex_lock(&f->mu);
    bool stop = f->stop;
    pthread_mutex_unlock(&f->mu);
    if (stop) return true;
    struct timespec ts = {(time_t)(f->backoff_ms / 1000), (long)(f->backoff_ms % 1000) * 1000000L};
    /* a plain sleep: a kick (new events) must not cut a backoff short */
    int64_t end = cwt_mono_ms() + f->backoff_ms;
    while (cwt_mono_ms() < end) {
        pthread_mutex_lock(&f->mu);
        stop = f->stop;
        pthread_mutex_unlock(&f->mu);
        if (stop) return true;
        ts.tv_sec = 0;
        ts.tv_nsec = 50 * 1000000L;
        nanosleep(&ts, NULL);
    }
    return false;
}

/* Apply a 200 reply in one transaction. Returns events handled, or -1 (not a reply / db). */
static int64_t apply_reply(gw_forward *f)
{
    json_error_t jerr;
    json_t *r = json_loadb(f->reply ? f->reply : "", f->reply_len, 0, &jerr);
    if (!json_is_object(r)) {
        json_decref(r);
        return -1;
    }
    int64_t handled = 0, rejected = 0;
    if (gw_outbox_begin(f->ob) < 0) {
        json_decref(r);
        return -1;
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r, "rejected"), i, v)
    {
        json_int_t idx = json_integer_value(json_object_get(v, "index"));
        const char *why = json_string_value(json_object_get(v, "error"));
        if (idx < 0 || (size_t)idx >= f->batch.n) continue;
        if (gw_outbox_reject(f->ob, f->batch.v[idx].id, why ? why : "(no reason)") < 0) goto fail;
        if (rejected < 20)
            fprintf(stderr, "citywall-gateway: hub rejected %s/%s seq %lld: %s\n",
                    f->batch.v[idx].hall, f->batch.v[idx].feed, (long long)f->batch.v[idx].seq,
                    why ? why : "(no reason)");
        rejected++;
        handled++;
    }
    const char *key;
    json_object_foreach(json_object_get(r, "acked"), key, v)
    {
        const char *slash = strchr(key, '/');
        if (!slash || !json_is_integer(v)) continue;
        char hall[128];
        snprintf(hall, sizeof hall, "%.*s", (int)(slash - key), key);
        int64_t n = gw_outbox_ack(f->ob, hall, slash + 1, json_integer_value(v));
        if (n < 0) goto fail;
        handled += n;
    }
    json_decref(r);
    if (gw_outbox_commit(f->ob) < 0) return -1;
    pthread_mutex_lock(&f->h->mu);
    f->h->acked += handled;
    f->h->rejected += rejected;
    if (handled) f->h->last_ack_ms = cwt_real_ms();
    pthread_mutex_unlock(&f->h->mu);
    return handled;
fail:
    json_decref(r);
    gw_outbox_rollback(f->ob);
    return -1;
}

/* One request with the oldest events. Returns 1 sent something and progressed, 0 nothing to
 * send, -1 failed (the caller moves on / backs off). */
static int send_once(gw_forward *f)
{
    int n = gw_outbox_peek(f->ob, &f->batch, f->max_events, MAX_BODY_BYTES);
    if (n <= 0) return n < 0 ? -1 : 0;
    f->body_len = 0;
    if (body_append(f, "[", 1) < 0) return -1;
    for (size_t i = 0; i < f->batch.n; i++)
        if ((i && body_append(f, ",", 1) < 0) ||
            body_append(f, f->batch.v[i].body, strlen(f->batch.v[i].body)) < 0)
            return -1;
    if (body_append(f, "]", 1) < 0) return -1;
    const char *base = f->cfg->hub_urls[f->cur];
    char url[1100];
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    snprintf(url, sizeof url, "%.*s/api/v1/events", (int)bl, base);
    f->reply_len = 0;
    curl_easy_setopt(f->curl, CURLOPT_URL, url);
    curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, f->body);
    curl_easy_setopt(f->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)f->body_len);
    pthread_mutex_lock(&f->h->mu);
    f->h->requests++;
    f->h->sent += n;
    snprintf(f->h->hub, sizeof f->h->hub, "%s", base);
    pthread_mutex_unlock(&f->h->mu);
    CURLcode cc = curl_easy_perform(f->curl);
    if (cc != CURLE_OK) {
        set_error(f, base, curl_easy_strerror(cc), 0);
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status == 413 && f->max_events > 1) {
        f->max_events /= 2;
        fprintf(stderr, "citywall-gateway: %s: batch too large (413); now %d events\n", base,
                f->max_events);
        return 1;
    }
    if (status != 200) {
        set_error(f, base, "refused", status);
        if (status == 401 || status == 403 || status == 400)
            fprintf(stderr, "citywall-gateway: %s refused the batch (HTTP %ld): %.200s\n", base,
                    status, f->reply ? f->reply : "");
        return -1;
    }
    int64_t handled = apply_reply(f);
    if (handled < 0) {
        set_error(f, base, "unreadable reply or outbox error", status);
        return -1;
    }
    if (handled == 0) {
        set_error(f, base, "acknowledged nothing", status);
        return -1;
    }
    pthread_mutex_lock(&f->h->mu);
    f->h->last_error[0] = '\0';
    pthread_mutex_unlock(&f->h->mu);
    f->backoff_ms = 0;
    return 1;
}

static void *forward_main(void *arg)
{
    gw_forward *f = arg;
    for (;;) {
        pthread_mutex_lock(&f->mu);
        bool stop = f->stop;
        pthread_mutex_unlock(&f->mu);
        if (stop) break;
        int r = send_once(f);
        if (r > 0) continue;
        if (r == 0) {
            if (wait_kick(f, 200)) break;
            continue;
        }
        if (fail_next(f)) break;
    }
    return NULL;
}

gw_forward *gw_forward_start(const gw_cfg *cfg, gw_health *h, char *err, size_t errlen)
{
    gw_forward *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->cfg = cfg;
    f->h = h;
    f->max_events = cfg->batch_events;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->ob = gw_outbox_open(cfg->outbox, false, err, errlen);
    if (!f->ob) goto fail;
    f->curl = curl_easy_init();
    char auth[600];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", cfg->token);
    f->headers = curl_slist_append(NULL, auth);
    if (f->headers) curl_slist_append(f->headers, "Content-Type: application/json");
    if (f->headers) curl_slist_append(f->headers, "Expect:");
    if (!f->curl || !f->headers) {
        snprintf(err, errlen, "cannot set up libcurl");
        goto fail;
    }
    curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, f->headers);
    curl_easy_setopt(f->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, on_reply);
    curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(f->curl, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(f->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(f->curl, CURLOPT_TCP_NODELAY, 1L);
    if (pthread_create(&f->thread, NULL, forward_main, f) != 0) {
        snprintf(err, errlen, "cannot start the forwarder thread");
        goto fail;
    }
    return f;
fail:
    if (f->curl) curl_easy_cleanup(f->curl);
    curl_slist_free_all(f->headers);
    gw_outbox_close(f->ob);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
    return NULL;
}

void gw_forward_kick(gw_forward *f)
{
    if (!f) return;
    pthread_mutex_lock(&f->mu);
    f->kicked = true;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

void gw_forward_stop(gw_forward *f)
{
    if (!f) return;
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    curl_easy_cleanup(f->curl);
    curl_slist_free_all(f->headers);
    gw_outbox_close(f->ob);
    gw_batch_free(&f->batch);
    free(f->body);
    free(f->reply);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}
