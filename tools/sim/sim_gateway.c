/* sim_gateway: per-hall resend queues and HTTP batches to POST /api/v1/events (libcurl). */
#include "sim_gateway.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "event.h"

/* A gateway must be sending again within seconds of the hub being reachable (issue 12):
 * 0.25 s doubling to 2 s between failed requests, forever; a request that has no answer in
 * REQUEST_TIMEOUT_MS (a stalled hub, a link that went silent) is abandoned and resent. */
#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 2000
#define CONNECT_TIMEOUT_MS 3000L
#define REQUEST_TIMEOUT_MS 10000L
#define REJECTS_LOGGED 20 /* rejections logged one by one; later ones are only counted */

typedef struct gw_item {
    int64_t seq;
    ev_type type;
    char *json; /* serialised event; NULL once handled out of order (a rejected one) */
    size_t len;
} gw_item;

/* One hall's unacknowledged events, oldest first: v[head .. n). */
typedef struct gw_queue {
    gw_item *v;
    size_t head, n, cap;
} gw_queue;

typedef struct gw_ref {
    int hall;
    int64_t seq;
} gw_ref;

struct sim_gw {
    const cfg_t *cfg;
    char *url;
    char *feed;
    char *auth_header;
    int max_events;
    size_t max_bytes;
    CURL *curl;
    struct curl_slist *headers;
    gw_queue *q; /* per hall */
    int nq;
    /* the request being built */
    char *body;
    size_t body_len, body_cap;
    gw_ref *refs;
    size_t nrefs, caprefs;
    /* the reply */
    char *reply;
    size_t reply_len, reply_cap;
    int64_t backoff_ms;
    int64_t retry_at;
    sim_gw_stats st;
};

static size_t gw_on_reply(char *ptr, size_t size, size_t nmemb, void *user)
{
    sim_gw *g = user;
    size_t n = size * nmemb;
    if (g->reply_len + n + 1 > g->reply_cap) {
        size_t cap = (g->reply_len + n + 1) * 2;
        char *r = realloc(g->reply, cap);
        if (!r) return 0;
        g->reply = r;
        g->reply_cap = cap;
    }
    memcpy(g->reply + g->reply_len, ptr, n);
    g->reply_len += n;
    g->reply[g->reply_len] = '\0';
    return n;
}

sim_gw *sim_gw_create(const cfg_t *cfg, const sim_gw_opts *o)
{
    sim_gw *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->cfg = cfg;
    g->max_events = o->max_events > 0 ? o->max_events : 2000;
    g->max_bytes = o->max_bytes > 0 ? o->max_bytes : 2u << 20;
    size_t hl = strlen(o->hub);
    while (hl > 0 && o->hub[hl - 1] == '/')
        hl--;
    if (asprintf(&g->url, "%.*s/api/v1/events", (int)hl, o->hub) < 0) {
        g->url = NULL;
        goto fail;
    }
    if (asprintf(&g->auth_header, "Authorization: Bearer %s", o->token) < 0) {
        g->auth_header = NULL;
        goto fail;
    }
    g->feed = strdup(o->feed);
    g->nq = cfg->nhalls;
    g->q = calloc((size_t)(cfg->nhalls > 0 ? cfg->nhalls : 1), sizeof *g->q);
    if (!g->feed || !g->q) goto fail;
    g->curl = curl_easy_init();
    if (!g->curl) goto fail;
    static const char *const extra[] = {"Content-Type: application/json", "Expect:"};
    g->headers = curl_slist_append(NULL, g->auth_header);
    if (!g->headers) goto fail;
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        if (!curl_slist_append(g->headers, extra[i])) goto fail;
    curl_easy_setopt(g->curl, CURLOPT_URL, g->url);
    curl_easy_setopt(g->curl, CURLOPT_HTTPHEADER, g->headers);
    curl_easy_setopt(g->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(g->curl, CURLOPT_WRITEFUNCTION, gw_on_reply);
    curl_easy_setopt(g->curl, CURLOPT_WRITEDATA, g);
    curl_easy_setopt(g->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(g->curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(g->curl, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
    curl_easy_setopt(g->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(g->curl, CURLOPT_TCP_NODELAY, 1L);
    return g;
fail:
    sim_gw_destroy(g);
    return NULL;
}

void sim_gw_destroy(sim_gw *g)
{
    if (!g) return;
    if (g->curl) curl_easy_cleanup(g->curl);
    curl_slist_free_all(g->headers);
    if (g->q)
        for (int h = 0; h < g->nq; h++) {
            for (size_t i = g->q[h].head; i < g->q[h].n; i++)
                free(g->q[h].v[i].json);
            free(g->q[h].v);
        }
    free(g->q);
    free(g->url);
    free(g->feed);
    free(g->auth_header);
    free(g->body);
    free(g->refs);
    free(g->reply);
    free(g);
}

static int queue_push(gw_queue *q, const gw_item *it)
{
    if (q->n == q->cap) {
        if (q->head > 0) {
            memmove(q->v, q->v + q->head, (q->n - q->head) * sizeof *q->v);
            q->n -= q->head;
            q->head = 0;
        }
        if (q->n == q->cap) {
            size_t cap = q->cap ? q->cap * 2 : 256;
            gw_item *v = realloc(q->v, cap * sizeof *v);
            if (!v) return -1;
            q->v = v;
            q->cap = cap;
        }
    }
    q->v[q->n++] = *it;
    return 0;
}

/* Drop handled items at the head (acked, or tombstones of rejected ones). */
static void queue_trim(gw_queue *q, int64_t acked, uint64_t *count)
{
    while (q->head < q->n && (q->v[q->head].seq <= acked || !q->v[q->head].json)) {
        if (q->v[q->head].json) (*count)++;
        free(q->v[q->head].json);
        q->head++;
    }
    if (q->head == q->n) q->head = q->n = 0;
}

int sim_gw_enqueue(sim_gw *g, sim_evbuf *evs)
{
    int rc = 0;
    for (size_t i = 0; i < evs->n; i++) {
        const sim_event *ev = &evs->v[i];
        json_t *obj = sim_event_json(g->cfg, ev, g->feed);
        char *s = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
        json_decref(obj);
        gw_item it = {.seq = ev->seq, .type = ev->type, .json = s, .len = s ? strlen(s) : 0};
        if (!s || ev->hall < 0 || ev->hall >= g->nq || queue_push(&g->q[ev->hall], &it) < 0) {
            free(s);
            rc = -1;
            continue;
        }
        g->st.queued_total++;
    }
    sim_evbuf_clear(evs);
    return rc;
}

static int body_append(sim_gw *g, const char *s, size_t n)
{
    if (g->body_len + n + 1 > g->body_cap) {
        size_t cap = (g->body_len + n + 1) * 2;
        char *b = realloc(g->body, cap);
        if (!b) return -1;
        g->body = b;
        g->body_cap = cap;
    }
    memcpy(g->body + g->body_len, s, n);
    g->body_len += n;
    g->body[g->body_len] = '\0';
    return 0;
}

/* Build one request body from the heads of the queues. Returns the number of events. */
static int build_request(sim_gw *g)
{
    g->body_len = 0;
    g->nrefs = 0;
    if (body_append(g, "[", 1) < 0) return -1;
    for (int h = 0; h < g->nq; h++) {
        gw_queue *q = &g->q[h];
        for (size_t i = q->head; i < q->n; i++) {
            gw_item *it = &q->v[i];
            if (!it->json) continue;
            if ((int)g->nrefs >= g->max_events ||
                (g->nrefs > 0 && g->body_len + it->len + 2 > g->max_bytes))
                goto done;
            if (g->nrefs == g->caprefs) {
                size_t cap = g->caprefs ? g->caprefs * 2 : 1024;
                gw_ref *r = realloc(g->refs, cap * sizeof *r);
                if (!r) return -1;
                g->refs = r;
                g->caprefs = cap;
            }
            if ((g->nrefs > 0 && body_append(g, ",", 1) < 0) ||
                body_append(g, it->json, it->len) < 0)
                return -1;
            g->refs[g->nrefs++] = (gw_ref){.hall = h, .seq = it->seq};
        }
    }
done:
    if (body_append(g, "]", 1) < 0) return -1;
    return (int)g->nrefs;
}

static void backoff(sim_gw *g, const char *why)
{
    int64_t now = cwt_mono_ms();
    g->st.errors++;
    g->backoff_ms = g->backoff_ms ? g->backoff_ms * 2 : BACKOFF_FIRST_MS;
    if (g->backoff_ms > BACKOFF_MAX_MS) g->backoff_ms = BACKOFF_MAX_MS;
    g->retry_at = now + g->backoff_ms;
    fprintf(stderr, "citywall-sim: POST %s: %s; %zu events kept, retrying in %.1f s\n", g->url, why,
            g->st.queued, (double)g->backoff_ms / 1000);
}

/* Mark the event (hall, seq) handled out of order. */
static void drop_item(sim_gw *g, int hall, int64_t seq, const char *error)
{
    gw_queue *q = &g->q[hall];
    for (size_t i = q->head; i < q->n; i++) {
        gw_item *it = &q->v[i];
        if (it->seq != seq || !it->json) continue;
        if (g->st.rejected < REJECTS_LOGGED)
            fprintf(stderr, "citywall-sim: hub rejected %s seq %lld (%s): %s\n",
                    g->cfg->halls[hall].id, (long long)seq, ev_type_name(it->type), error);
        else if (g->st.rejected == REJECTS_LOGGED)
            fprintf(stderr, "citywall-sim: more rejections are only counted (the hub's "
                            "GET /api/v1/quarantine lists them)\n");
        free(it->json);
        it->json = NULL;
        g->st.rejected++;
        g->st.acked++;
        return;
    }
}

/* Apply a 200 reply; returns the number of events it handled, -1 if it is not a reply. */
static int apply_reply(sim_gw *g)
{
    json_error_t jerr;
    json_t *r = json_loadb(g->reply ? g->reply : "", g->reply_len, 0, &jerr);
    if (!json_is_object(r)) {
        json_decref(r);
        return -1;
    }
    uint64_t before = g->st.acked;
    json_t *rej = json_object_get(r, "rejected");
    size_t i;
    json_t *v;
    json_array_foreach(rej, i, v)
    {
        json_int_t idx = json_integer_value(json_object_get(v, "index"));
        const char *err = json_string_value(json_object_get(v, "error"));
        if (idx >= 0 && (size_t)idx < g->nrefs)
            drop_item(g, g->refs[idx].hall, g->refs[idx].seq, err ? err : "(no reason)");
    }
    json_t *acked = json_object_get(r, "acked");
    const char *key;
    json_object_foreach(acked, key, v)
    {
        const char *slash = strchr(key, '/');
        if (!slash || strcmp(slash + 1, g->feed) != 0 || !json_is_integer(v)) continue;
        char hall_id[128];
        snprintf(hall_id, sizeof hall_id, "%.*s", (int)(slash - key), key);
        int h = cfg_hall_index(g->cfg, hall_id);
        if (h < 0 || h >= g->nq) continue;
        queue_trim(&g->q[h], json_integer_value(v), &g->st.acked);
    }
    json_decref(r);
    for (int h = 0; h < g->nq; h++)
        queue_trim(&g->q[h], 0, &g->st.acked); /* tombstones at the heads */
    return (int)(g->st.acked - before);
}

static size_t queued_now(const sim_gw *g)
{
    size_t n = 0;
    for (int h = 0; h < g->nq; h++)
        for (size_t i = g->q[h].head; i < g->q[h].n; i++)
            if (g->q[h].v[i].json) n++;
    return n;
}

int sim_gw_flush(sim_gw *g, int64_t now, int max_requests)
{
    if (g->retry_at && now < g->retry_at) return 1;
    g->retry_at = 0;
    for (int r = 0; r < max_requests; r++) {
        g->st.queued = queued_now(g);
        if (g->st.queued == 0) return 0;
        int n = build_request(g);
        if (n < 0) {
            fprintf(stderr, "citywall-sim: out of memory building a request\n");
            return -1;
        }
        g->reply_len = 0;
        curl_easy_setopt(g->curl, CURLOPT_POSTFIELDS, g->body);
        curl_easy_setopt(g->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)g->body_len);
        g->st.requests++;
        g->st.sent += (uint64_t)n;
        CURLcode cc = curl_easy_perform(g->curl);
        if (cc != CURLE_OK) {
            backoff(g, curl_easy_strerror(cc));
            return 1;
        }
        long status = 0;
        curl_easy_getinfo(g->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status == 401 || status == 403) {
            g->st.errors++;
            fprintf(stderr, "citywall-sim: the hub refused the token (HTTP %ld): %.200s\n", status,
                    g->reply ? g->reply : "");
            return -1;
        }
        if (status == 413 && g->max_events > 1) {
            g->st.errors++;
            g->max_events /= 2;
            g->max_bytes /= 2;
            fprintf(stderr, "citywall-sim: request too large (HTTP 413); batches now %d events\n",
                    g->max_events);
            continue;
        }
        if (status == 400 || status == 413) {
            g->st.errors++;
            fprintf(stderr, "citywall-sim: the hub refused a batch (HTTP %ld): %.200s\n", status,
                    g->reply ? g->reply : "");
            return -1;
        }
        if (status != 200) {
            char why[64];
            snprintf(why, sizeof why, "HTTP %ld", status);
            backoff(g, why);
            return 1;
        }
        int handled = apply_reply(g);
        if (handled < 0) {
            backoff(g, "unreadable reply");
            return 1;
        }
        g->backoff_ms = 0;
        if (handled == 0) {
            g->st.errors++;
            fprintf(stderr, "citywall-sim: the hub acknowledged nothing of %d events: %.200s\n", n,
                    g->reply ? g->reply : "");
            g->retry_at = cwt_mono_ms() + BACKOFF_FIRST_MS;
            return 1;
        }
    }
    g->st.queued = queued_now(g);
    return 0;
}

int64_t sim_gw_retry_at(const sim_gw *g)
{
    return g->retry_at;
}

void sim_gw_get_stats(const sim_gw *g, sim_gw_stats *out)
{
    *out = g->st;
    out->queued = queued_now(g);
}
