/* hubclient: /live subscription, resume and REST reads on a libwebsockets thread; see
 * hubclient.h.
 *
 * Service-thread state (no lock): the WebSocket, each topic's document, rev and epoch, the
 * outgoing message queue, the REST jobs, the clock samples. Shared state (under `lock`): the
 * published copies (`pub`), the status and the pending report. The render thread only ever
 * takes from `pub`.
 */
#include "hubclient.h"

#include <libwebsockets.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mergepatch.h"
#include "msgbuf.h"
#include "xalloc.h"

#define MAX_TOPICS 128
#define MAX_OUT 256
#define CLOCK_SYNC_MS 60000
#define HALL_MAX_HZ 2

enum job_kind { JOB_HALLS, JOB_HISTORY, JOB_CLOCK };

#define MAX_JOBS 8

typedef struct job {
    bool in_use;
    int kind;
    int status;
    char *body;
    size_t len, cap;
    int64_t sent_mono;
    bool done;
} job;

typedef struct topic {
    char name[80];
    json_t *doc;
    uint64_t rev;
    char epoch[64];
    bool subscribed; /* on the current connection */
    bool dirty;
    bool unavailable;
    int64_t rx_ms;
} topic;

#define HUBCLIENT_MAX_HUBS 8

typedef struct hub_addr {
    char host[256], prefix[256];
    int port;
    bool tls;
} hub_addr;

struct hubclient {
    /* configuration (immutable after start) */
    hub_addr hubs[HUBCLIENT_MAX_HUBS]; /* a cluster's hubs, tried in turn */
    int nhubs;
    char token[512];
    /* the hub tried now (service thread; a copy of hubs[cur]) */
    int cur;
    char host[256], prefix[256];
    char wall_topic[96]; /* "wall/<id>" with --wall, else "" */
    bool province;       /* subscribe the `province` topic (a province layout) */
    int port;
    bool tls;
    void (*wake)(void *);
    void *ud;

    /* service thread */
    struct lws_context *ctx;
    struct lws *ws;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;
    lws_sorted_usec_list_t sul_connect, sul_watch, sul_clock;
    int backoff_ms;
    unsigned int rng;
    bool open;    /* the WebSocket is established */
    bool live;    /* ... and the city state arrived on it */
    bool killing; /* the watchdog asked lws to close it (why in kill_why) */
    bool hello;
    int64_t attempt_mono, kill_mono, last_ping_mono, ping_out_mono;
    char kill_why[160];
    bool auth_logged; /* the refused token was said on stderr */
    bool down_logged; /* the lost (or unreachable) hub was said on stderr */
    topic topics[MAX_TOPICS];
    int ntopics;
    char *out[MAX_OUT];
    int nout;
    cw_msgbuf rx; /* the message being received */
    int64_t last_rx_mono;
    bool have_sample;
    bool hello_clock;   /* the hub's hello carried the business clock: no /history guessing */
    int64_t s0_b, s0_r; /* first clock sample since connect: business ms, mono ms */
    job jobs[MAX_JOBS];

    /* shared, under lock */
    pthread_mutex_t lock;
    hub_update pub;
    bool changed;
    char *report;
};

int hubclient_parse_url(const char *url, char *host, size_t hostn, int *port, char *prefix,
                        size_t prefixn, bool *tls)
{
    const char *p;
    *tls = false;
    if (!strncmp(url, "ws://", 5))
        p = url + 5;
    else if (!strncmp(url, "http://", 7))
        p = url + 7;
    else if (!strncmp(url, "wss://", 6))
        p = url + 6, *tls = true;
    else if (!strncmp(url, "https://", 8))
        p = url + 8, *tls = true;
    else
        return -1;
    const char *slash = strchr(p, '/');
    size_t hl = slash ? (size_t)(slash - p) : strlen(p);
    char hp[300];
    if (hl == 0 || hl >= sizeof hp) return -1;
    memcpy(hp, p, hl);
    hp[hl] = 0;
    char *colon = strrchr(hp, ':');
    *port = *tls ? 443 : 80;
    if (colon && !strchr(colon, ']')) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (*end || v <= 0 || v > 65535) return -1;
        *port = (int)v;
        *colon = 0;
    }
    if (!hp[0] || strlen(hp) >= hostn) return -1;
    snprintf(host, hostn, "%s", hp);
    const char *pre = slash ? slash : "";
    size_t pl = strlen(pre);
    while (pl > 0 && pre[pl - 1] == '/')
        pl--;
    if (pl >= prefixn) return -1;
    memcpy(prefix, pre, pl);
    prefix[pl] = 0;
    return 0;
}

/* ---- publishing (service thread -> render thread) ---------------------------------------- */

static void publish_locked_json(json_t **slot, json_t *v)
{
    json_decref(*slot);
    *slot = v;
}

static void wake(hubclient *hc)
{
    if (hc->wake) hc->wake(hc->ud);
}

static topic *find_topic(hubclient *hc, const char *name)
{
    for (int i = 0; i < hc->ntopics; i++)
        if (!strcmp(hc->topics[i].name, name)) return &hc->topics[i];
    return NULL;
}

static topic *add_topic(hubclient *hc, const char *name)
{
    topic *t = find_topic(hc, name);
    if (t || hc->ntopics >= MAX_TOPICS) return t;
    t = &hc->topics[hc->ntopics++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    return t;
}

/* The part of a hall topic the wall draws. */
static json_t *hall_extract(json_t *doc)
{
    json_t *o = json_object();
    static const char *keys[] = {"name", "status", "cameras"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(doc, keys[i]);
        if (v) json_object_set_new(o, keys[i], json_deep_copy(v));
    }
    return o;
}

static void publish(hubclient *hc)
{
    bool any = false;
    pthread_mutex_lock(&hc->lock);
    for (int i = 0; i < hc->ntopics; i++) {
        topic *t = &hc->topics[i];
        if (!t->dirty || !t->doc) continue;
        t->dirty = false;
        any = true;
        if (!strcmp(t->name, "city")) {
            publish_locked_json(&hc->pub.city, json_deep_copy(t->doc));
            hc->pub.city_rev = t->rev;
            hc->pub.city_rx_ms = t->rx_ms;
        } else if (!strcmp(t->name, "alerts")) {
            publish_locked_json(&hc->pub.alerts, json_deep_copy(t->doc));
            hc->pub.alerts_rx_ms = t->rx_ms;
        } else if (!strcmp(t->name, "province")) {
            publish_locked_json(&hc->pub.province, json_deep_copy(t->doc));
            hc->pub.province_rx_ms = t->rx_ms;
        } else if (hc->wall_topic[0] && !strcmp(t->name, hc->wall_topic)) {
            publish_locked_json(&hc->pub.wall, json_deep_copy(t->doc));
            hc->pub.wall_rev = t->rev;
            hc->pub.wall_rx_ms = t->rx_ms;
        } else if (!strncmp(t->name, "hall/", 5)) {
            if (!hc->pub.halls) hc->pub.halls = json_object();
            json_object_set_new(hc->pub.halls, t->name + 5, hall_extract(t->doc));
            hc->pub.halls_rx_ms = t->rx_ms;
        }
    }
    if (any) hc->changed = true;
    pthread_mutex_unlock(&hc->lock);
    if (any) wake(hc);
}

static void set_status(hubclient *hc, bool connected, const char *error)
{
    pthread_mutex_lock(&hc->lock);
    if (hc->pub.connected != connected) {
        hc->pub.connected = connected;
        hc->changed = true;
        if (!connected)
            hc->pub.down_since_ms = cwt_real_ms();
        else
            hc->pub.down_since_ms = 0;
    }
    if (error) {
        snprintf(hc->pub.error, sizeof hc->pub.error, "%s", error);
        hc->changed = true;
    } else if (connected && hc->pub.error[0]) {
        hc->pub.error[0] = 0;
        hc->changed = true;
    }
    pthread_mutex_unlock(&hc->lock);
    wake(hc);
}

/* ---- outgoing messages ------------------------------------------------------------------- */

static void enqueue(hubclient *hc, char *msg)
{
    if (!msg) return;
    if (hc->nout >= MAX_OUT) {
        free(msg);
        return;
    }
    hc->out[hc->nout++] = msg;
    if (hc->ws) lws_callback_on_writable(hc->ws);
}

static void enqueue_json(hubclient *hc, json_t *o)
{
    enqueue(hc, json_dumps(o, JSON_COMPACT));
    json_decref(o);
}

static void clear_out(hubclient *hc)
{
    for (int i = 0; i < hc->nout; i++)
        free(hc->out[i]);
    hc->nout = 0;
}

static void subscribe(hubclient *hc, topic *t)
{
    json_t *o = json_pack("{s:s,s:[s]}", "op", "subscribe", "topics", t->name);
    if (t->doc && t->epoch[0])
        json_object_set_new(o, "since",
                            json_pack("{s:s,s:I}", "epoch", t->epoch, "rev", (json_int_t)t->rev));
    if (!strncmp(t->name, "hall/", 5)) json_object_set_new(o, "max_hz", json_integer(HALL_MAX_HZ));
    t->subscribed = true;
    enqueue_json(hc, o);
}

/* ---- REST jobs --------------------------------------------------------------------------- */

static void job_release(job *j)
{
    free(j->body);
    memset(j, 0, sizeof *j);
}

static void start_job(hubclient *hc, int kind)
{
    job *j = NULL;
    for (int i = 0; i < MAX_JOBS && !j; i++)
        if (!hc->jobs[i].in_use) j = &hc->jobs[i];
    if (!j) return;
    memset(j, 0, sizeof *j);
    j->in_use = true;
    j->kind = kind;
    char path[512];
    if (kind == JOB_HALLS)
        snprintf(path, sizeof path, "%s/api/v1/halls", hc->prefix);
    else if (kind == JOB_HISTORY)
        snprintf(path, sizeof path, "%s/api/v1/history?step=60", hc->prefix);
    else
        snprintf(path, sizeof path, "%s/api/v1/history?step=86400", hc->prefix);
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = hc->ctx;
    ci.address = hc->host;
    ci.port = hc->port;
    ci.path = path;
    ci.host = hc->host;
    ci.origin = hc->host;
    ci.method = "GET";
    ci.alpn = "http/1.1";
    ci.ssl_connection = hc->tls ? LCCSCF_USE_SSL : 0;
    ci.local_protocol_name = "cw-http";
    ci.userdata = j;
    j->sent_mono = cwt_mono_ms();
    if (!lws_client_connect_via_info(&ci) && j->in_use) job_release(j);
}

static void clock_sample(hubclient *hc, json_t *hist, int64_t sent_mono)
{
    const char *to = json_string_value(json_object_get(hist, "to"));
    int64_t b;
    if (hc->hello_clock || !to || cwt_parse_rfc3339(to, &b, NULL) < 0) return;
    int64_t now = cwt_mono_ms();
    int64_t r = sent_mono + (now - sent_mono) / 2;
    double speed = 1;
    pthread_mutex_lock(&hc->lock);
    if (hc->pub.clock_valid) speed = hc->pub.clock.speed;
    if (!hc->have_sample) {
        hc->have_sample = true;
        hc->s0_b = b;
        hc->s0_r = r;
    } else if (r - hc->s0_r >= 5000) {
        speed = (double)(b - hc->s0_b) / (double)(r - hc->s0_r);
        double rounded = (double)llround(speed);
        if (rounded >= 1 && speed > 0 && fabs(speed - rounded) < 0.03 * rounded) speed = rounded;
        if (speed <= 0) speed = 1;
    }
    hc->pub.clock.start_ms = b;
    hc->pub.clock.anchor_mono_ms = r;
    hc->pub.clock.speed = speed;
    hc->pub.clock_valid = true;
    hc->changed = true;
    pthread_mutex_unlock(&hc->lock);
}

static void job_done(hubclient *hc, job *j)
{
    if (j->status != 200 || !j->body) {
        lwsl_warn("citywall-wall: GET %s: status %d\n",
                  j->kind == JOB_HALLS ? "/api/v1/halls" : "/api/v1/history", j->status);
        return;
    }
    json_t *v = json_loadb(j->body, j->len, 0, NULL);
    if (!v) return;
    if (j->kind != JOB_HALLS) clock_sample(hc, v, j->sent_mono);
    pthread_mutex_lock(&hc->lock);
    if (j->kind == JOB_HALLS && json_is_array(v)) {
        publish_locked_json(&hc->pub.registry, v);
        v = NULL;
        hc->changed = true;
    } else if (j->kind == JOB_HISTORY) {
        publish_locked_json(&hc->pub.history, v);
        v = NULL;
        hc->changed = true;
    }
    pthread_mutex_unlock(&hc->lock);
    json_decref(v);
    wake(hc);
}

static void connection_lost(hubclient *hc, const char *why);

static int http_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
    job *j = user;
    hubclient *hc = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        unsigned char **p = (unsigned char **)in, *end = (*p) + len;
        char auth[600];
        int n = snprintf(auth, sizeof auth, "Bearer %s", hc->token);
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, (unsigned char *)auth,
                                         n, p, end))
            return -1;
        break;
    }
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        if (j) j->status = (int)lws_http_client_http_response(wsi);
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if (!j) break;
        if (j->len + len + 1 > j->cap) {
            size_t cap = j->cap ? j->cap : 8192;
            while (cap < j->len + len + 1)
                cap *= 2;
            if (cap > (64u << 20)) return -1;
            char *n = realloc(j->body, cap);
            if (!n) return -1;
            j->body = n;
            j->cap = cap;
        }
        memcpy(j->body + j->len, in, len);
        j->len += len;
        j->body[j->len] = 0;
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buffer[8192 + LWS_PRE];
        char *px = buffer + LWS_PRE;
        int lenx = sizeof(buffer) - LWS_PRE;
        if (lws_http_client_read(wsi, &px, &lenx) < 0) return -1;
        break;
    }
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        if (j && !j->done) {
            j->done = true;
            job_done(hc, j);
        }
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        if (j) {
            lws_set_wsi_user(wsi, NULL);
            job_release(j);
        }
        break;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (hc && hc->ws && hc->open && hc->nout) lws_callback_on_writable(hc->ws);
        break;
    case LWS_CALLBACK_WSI_DESTROY:
        /* every wsi ends here (on protocols[0]); the live one too, should no other callback
         * have reported its end: never keep a pointer to a freed wsi */
        if (hc && wsi == hc->ws) connection_lost(hc, "connection closed");
        if (j) {
            lws_set_wsi_user(wsi, NULL);
            job_release(j);
        }
        break;
    default:
        break;
    }
    return 0;
}

/* ---- the live connection ----------------------------------------------------------------- */

static void connect_ws(lws_sorted_usec_list_t *sul);

static void use_hub(hubclient *hc, int i)
{
    hc->cur = i;
    const hub_addr *a = &hc->hubs[i];
    memcpy(hc->host, a->host, sizeof hc->host);
    memcpy(hc->prefix, a->prefix, sizeof hc->prefix);
    hc->port = a->port;
    hc->tls = a->tls;
}

static void schedule_connect(hubclient *hc)
{
    if (atomic_load(&hc->stop)) return;
    if (hc->nhubs > 1) { /* a cluster: the next hub at once, the backoff after a full round */
        use_hub(hc, (hc->cur + 1) % hc->nhubs);
        if (hc->cur != 0) {
            lws_sul_schedule(hc->ctx, 0, &hc->sul_connect, connect_ws, 50 * LWS_US_PER_MS);
            return;
        }
    }
    int ms = hc->backoff_ms;
    ms += (int)(rand_r(&hc->rng) % (unsigned)(ms / 4 + 1)); /* walls of one hall spread out */
    lws_sul_schedule(hc->ctx, 0, &hc->sul_connect, connect_ws, (lws_usec_t)ms * LWS_US_PER_MS);
    hc->backoff_ms = hc->backoff_ms * 2;
    if (hc->backoff_ms > HUBCLIENT_BACKOFF_MAX_MS) hc->backoff_ms = HUBCLIENT_BACKOFF_MAX_MS;
}

/* The current connection or attempt is over (whichever way lws reports it, or the watchdog
 * gave up on it): forget it and schedule the next attempt. Only for wsi == hc->ws. */
static void connection_lost(hubclient *hc, const char *why)
{
    bool was_live = hc->live;
    char msg[256];
    snprintf(msg, sizeof msg, "%s", hc->killing ? hc->kill_why : why ? why : "connection closed");
    hc->ws = NULL;
    hc->open = hc->live = hc->killing = hc->hello = false;
    hc->ping_out_mono = 0;
    clear_out(hc);
    for (int i = 0; i < hc->ntopics; i++)
        hc->topics[i].subscribed = false;
    set_status(hc, false, msg);
    pthread_mutex_lock(&hc->lock);
    if (was_live)
        hc->pub.reconnects++;
    else
        hc->pub.failures++;
    bool auth = hc->pub.auth_failed;
    pthread_mutex_unlock(&hc->lock);
    /* once per outage on stderr (a refused token is said by on_error_msg) */
    if (!hc->down_logged && !auth && !atomic_load(&hc->stop)) {
        fprintf(stderr, "citywall-wall: %s: %s; %s\n",
                was_live ? "lost the hub" : "cannot reach the hub", msg,
                was_live ? "reconnecting" : "retrying");
        hc->down_logged = true;
    }
    if (auth && hc->backoff_ms < HUBCLIENT_AUTH_RETRY_MS) hc->backoff_ms = HUBCLIENT_AUTH_RETRY_MS;
    schedule_connect(hc);
}

/* Ask lws to close the current connection or attempt (from the service thread, outside its
 * callbacks); the close callbacks then call connection_lost with `why`. */
static void kill_ws(hubclient *hc, const char *why)
{
    hc->killing = true;
    hc->kill_mono = cwt_mono_ms();
    snprintf(hc->kill_why, sizeof hc->kill_why, "%s", why);
    lws_set_timeout(hc->ws, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* The watchdog: see hubclient.h, "Staying connected". */
static void watch_tick(lws_sorted_usec_list_t *sul)
{
    hubclient *hc = lws_container_of(sul, hubclient, sul_watch);
    if (atomic_load(&hc->stop)) return;
    int64_t now = cwt_mono_ms();
    char why[160];
    if (!hc->ws) {
        if (lws_dll2_is_detached(&hc->sul_connect.list)) schedule_connect(hc);
    } else if (hc->killing) {
        if (now - hc->kill_mono > HUBCLIENT_KILL_MS) connection_lost(hc, NULL);
    } else if (!hc->live) {
        if (now - hc->attempt_mono > HUBCLIENT_CONNECT_MS) {
            snprintf(why, sizeof why, "no answer from %.60s:%d within %d s%s", hc->host, hc->port,
                     HUBCLIENT_CONNECT_MS / 1000, hc->open ? " (upgraded, no state)" : "");
            kill_ws(hc, why);
        }
    } else if (hc->ping_out_mono && now - hc->ping_out_mono > HUBCLIENT_DEAD_MS) {
        snprintf(why, sizeof why, "no pong from the hub for %d s", HUBCLIENT_DEAD_MS / 1000);
        kill_ws(hc, why);
    } else if (now - hc->last_rx_mono > HUBCLIENT_DEAD_MS) {
        snprintf(why, sizeof why, "nothing from the hub for %d s", HUBCLIENT_DEAD_MS / 1000);
        kill_ws(hc, why);
    } else if (now - hc->last_ping_mono >= HUBCLIENT_PING_MS) {
        hc->last_ping_mono = now;
        if (!hc->ping_out_mono) hc->ping_out_mono = now;
        enqueue(hc, cw_xstrdup("{\"op\":\"ping\"}"));
    }
    lws_sul_schedule(hc->ctx, 0, &hc->sul_watch, watch_tick,
                     (lws_usec_t)HUBCLIENT_WATCH_MS * LWS_US_PER_MS);
}

static void clock_tick(lws_sorted_usec_list_t *sul)
{
    hubclient *hc = lws_container_of(sul, hubclient, sul_clock);
    if (hc->open && !hc->hello_clock) start_job(hc, JOB_CLOCK); /* only for a hub without it */
    /* a second sample soon after the first gives the speed; then once a minute */
    pthread_mutex_lock(&hc->lock);
    bool have_speed =
        hc->have_sample && hc->pub.clock_valid && hc->pub.clock.anchor_mono_ms - hc->s0_r >= 5000;
    pthread_mutex_unlock(&hc->lock);
    lws_sul_schedule(hc->ctx, 0, &hc->sul_clock, clock_tick,
                     (lws_usec_t)(have_speed ? CLOCK_SYNC_MS : 6000) * LWS_US_PER_MS);
}

static void connect_ws(lws_sorted_usec_list_t *sul)
{
    hubclient *hc = lws_container_of(sul, hubclient, sul_connect);
    if (atomic_load(&hc->stop) || hc->ws) return;
    hc->attempt_mono = cwt_mono_ms();
    hc->open = hc->live = hc->killing = hc->hello = false;
    char path[300];
    snprintf(path, sizeof path, "%s/live", hc->prefix);
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = hc->ctx;
    ci.address = hc->host;
    ci.port = hc->port;
    ci.path = path;
    ci.host = hc->host;
    ci.protocol = "citywall-live.v1";
    ci.ssl_connection = hc->tls ? LCCSCF_USE_SSL : 0;
    /* no lws validity timer (its default drops a connection whose pong is late 300 s in): the
     * wall's own ping (HUBCLIENT_PING_MS / HUBCLIENT_DEAD_MS) says when the hub is gone */
    static const lws_retry_bo_t no_validity = {.secs_since_valid_hangup = 0};
    ci.retry_and_idle_policy = &no_validity;
    ci.pwsi = &hc->ws; /* set before lws can call back about it; NULL again on failure */
    if (!lws_client_connect_via_info(&ci)) {
        hc->ws = NULL;
        if (lws_dll2_is_detached(&hc->sul_connect.list)) { /* not already via a callback */
            pthread_mutex_lock(&hc->lock);
            hc->pub.failures++;
            pthread_mutex_unlock(&hc->lock);
            schedule_connect(hc);
        }
    }
}

/* The city state arrived on this connection: it is live. */
static void went_live(hubclient *hc)
{
    if (hc->live) return;
    hc->live = true;
    hc->down_logged = false;
    hc->backoff_ms = HUBCLIENT_BACKOFF_MS;
    int64_t now = cwt_mono_ms();
    hc->last_ping_mono = now;
    hc->ping_out_mono = 0;
    pthread_mutex_lock(&hc->lock);
    hc->pub.known_ms = cwt_real_ms();
    int64_t down = hc->pub.down_since_ms;
    bool again = hc->pub.reconnects > 0 || hc->pub.failures > 0; /* said it was down */
    pthread_mutex_unlock(&hc->lock);
    if (again)
        fprintf(stderr,
                "citywall-wall: live again (%.1f s after the hub was lost, attempt took "
                "%lld ms)\n",
                down ? (double)(cwt_real_ms() - down) / 1000.0 : 0.0,
                (long long)(now - hc->attempt_mono));
    set_status(hc, true, NULL);
}

static void on_error_msg(hubclient *hc, json_t *m)
{
    const char *code = json_string_value(json_object_get(m, "code"));
    const char *msg = json_string_value(json_object_get(m, "message"));
    if (code && !strcmp(code, "unknown_topic") && msg && strstr(msg, "'alerts'")) {
        topic *t = find_topic(hc, "alerts");
        if (t) t->unavailable = true;
        pthread_mutex_lock(&hc->lock);
        hc->pub.alerts_unavailable = true;
        hc->changed = true;
        pthread_mutex_unlock(&hc->lock);
        wake(hc);
        return;
    }
    if (code && hc->province && msg && strstr(msg, "'province'")) {
        /* once per connection: a city hub (no `province` section), or a hall's token */
        fprintf(stderr, "citywall-wall: the province layout needs a province hub: %s: %s\n", code,
                msg);
        return;
    }
    if (code && hc->wall_topic[0] && msg && strstr(msg, hc->wall_topic)) {
        /* once per connection: the hub has no such wall, or this token may not follow it */
        fprintf(stderr, "citywall-wall: --wall %s: the hub answered %s: %s\n", hc->wall_topic + 5,
                code, msg);
        return;
    }
    char e[256];
    bool auth = code && (!strcmp(code, "auth_failed") || !strcmp(code, "auth_required"));
    if (auth) {
        snprintf(e, sizeof e, "认证失败 / authentication failed: %s", msg ? msg : code);
        if (!hc->auth_logged)
            fprintf(stderr,
                    "citywall-wall: 认证失败 / authentication failed: the hub at %s:%d refused "
                    "the token (%s); check --token. Retrying every %d s.\n",
                    hc->host, hc->port, msg ? msg : code, HUBCLIENT_AUTH_RETRY_MS / 1000);
        hc->auth_logged = true;
        pthread_mutex_lock(&hc->lock);
        hc->pub.auth_failed = true;
        pthread_mutex_unlock(&hc->lock);
        set_status(hc, false, e);
        return;
    }
    snprintf(e, sizeof e, "hub: %s: %s", code ? code : "error", msg ? msg : "");
    fprintf(stderr, "citywall-wall: %s\n", e);
}

static void on_message(hubclient *hc)
{
    json_error_t je;
    json_t *m = json_loadb(hc->rx.buf, hc->rx.len, 0, &je);
    if (!m) return;
    hc->last_rx_mono = cwt_mono_ms();
    if (hc->live) {
        pthread_mutex_lock(&hc->lock);
        hc->pub.known_ms = cwt_real_ms();
        pthread_mutex_unlock(&hc->lock);
    }
    const char *op = json_string_value(json_object_get(m, "op"));
    if (!op) goto out;
    if (!strcmp(op, "pong")) {
        hc->ping_out_mono = 0;
    } else if (!strcmp(op, "hello")) {
        hc->hello = true;
        hc->auth_logged = false;
        const char *ep = json_string_value(json_object_get(m, "epoch"));
        const char *now = json_string_value(json_object_get(m, "now"));
        double speed = json_number_value(json_object_get(m, "speed"));
        int64_t b;
        pthread_mutex_lock(&hc->lock);
        if (ep) snprintf(hc->pub.epoch, sizeof hc->pub.epoch, "%s", ep);
        hc->pub.auth_failed = false;
        /* the business clock (SPEC §4): anchored at this hello's arrival */
        if (now && speed > 0 && cwt_parse_rfc3339(now, &b, NULL) == 0) {
            hc->hello_clock = true;
            hc->pub.clock.start_ms = b;
            hc->pub.clock.anchor_mono_ms = hc->last_rx_mono;
            hc->pub.clock.speed = speed;
            hc->pub.clock_valid = true;
            hc->changed = true;
        }
        pthread_mutex_unlock(&hc->lock);
    } else if (!strcmp(op, "snapshot") || !strcmp(op, "delta")) {
        const char *name = json_string_value(json_object_get(m, "topic"));
        topic *t = name ? find_topic(hc, name) : NULL;
        json_t *data = json_object_get(m, "data");
        if (!t || !data) goto out;
        if (!strcmp(op, "snapshot")) {
            json_decref(t->doc);
            t->doc = json_incref(data);
            if (!strcmp(t->name, "city")) {
                pthread_mutex_lock(&hc->lock);
                hc->pub.snapshots++;
                pthread_mutex_unlock(&hc->lock);
            }
        } else if (t->doc) {
            t->doc = mp_apply(t->doc, data);
        } else {
            goto out; /* a delta without a base: wait for a snapshot */
        }
        json_t *rev = json_object_get(m, "rev");
        if (json_is_integer(rev)) t->rev = (uint64_t)json_integer_value(rev);
        json_t *ack = json_object_get(m, "ack_ms");
        if (json_is_integer(ack) && !strcmp(t->name, "city")) { /* event-to-glass */
            pthread_mutex_lock(&hc->lock);
            int64_t a = json_integer_value(ack);
            if (!hc->pub.city_ack_ms || a < hc->pub.city_ack_ms) hc->pub.city_ack_ms = a;
            pthread_mutex_unlock(&hc->lock);
        }
        const char *ep = json_string_value(json_object_get(m, "epoch"));
        if (ep) snprintf(t->epoch, sizeof t->epoch, "%s", ep);
        t->rx_ms = cwt_real_ms();
        t->dirty = true;
        if (!strcmp(t->name, "city")) {
            /* subscribe every hall the city names */
            json_t *halls = json_object_get(t->doc, "halls");
            const char *id;
            json_t *h;
            json_object_foreach(halls, id, h)
            {
                char tn[80];
                snprintf(tn, sizeof tn, "hall/%s", id);
                topic *ht = add_topic(hc, tn);
                if (ht && !ht->subscribed) subscribe(hc, ht);
            }
            went_live(hc);
        }
        publish(hc);
    } else if (!strcmp(op, "recovered")) {
        const char *name = json_string_value(json_object_get(m, "topic"));
        topic *t = name ? find_topic(hc, name) : NULL;
        json_t *rev = json_object_get(m, "rev");
        if (t && json_is_integer(rev) && (uint64_t)json_integer_value(rev) > t->rev)
            t->rev = (uint64_t)json_integer_value(rev);
        if (t && !strcmp(t->name, "city") && t->doc) {
            pthread_mutex_lock(&hc->lock);
            hc->pub.resumes++;
            pthread_mutex_unlock(&hc->lock);
            t->rx_ms = cwt_real_ms();
            t->dirty = true;
            went_live(hc);
            publish(hc);
        }
    } else if (!strcmp(op, "error")) {
        on_error_msg(hc, m);
    }
out:
    json_decref(m);
}

static int live_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
    (void)user;
    hubclient *hc = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
        if (wsi != hc->ws) return -1; /* an attempt already given up */
        hc->open = true;
        hc->last_rx_mono = cwt_mono_ms();
        hc->have_sample = false;
        clear_out(hc);
        enqueue_json(hc, json_pack("{s:s,s:s}", "op", "auth", "token", hc->token));
        subscribe(hc, add_topic(hc, "city"));
        if (hc->wall_topic[0]) subscribe(hc, add_topic(hc, hc->wall_topic));
        if (hc->province) subscribe(hc, add_topic(hc, "province"));
        topic *a = add_topic(hc, "alerts");
        if (a) {
            a->unavailable = false;
            subscribe(hc, a);
        }
        for (int i = 0; i < hc->ntopics; i++)
            if (!hc->topics[i].subscribed) subscribe(hc, &hc->topics[i]);
        pthread_mutex_lock(&hc->lock);
        hc->pub.alerts_unavailable = false;
        pthread_mutex_unlock(&hc->lock);
        start_job(hc, JOB_HALLS);
        start_job(hc, JOB_HISTORY);
        lws_sul_schedule(hc->ctx, 0, &hc->sul_clock, clock_tick, 6000 * LWS_US_PER_MS);
        lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        if (wsi != hc->ws) break;
        char why[200];
        snprintf(why, sizeof why, "cannot connect to %.60s:%d: %.100s", hc->host, hc->port,
                 in ? (const char *)in : "connection error");
        connection_lost(hc, why);
        break;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (wsi == hc->ws) connection_lost(hc, "the hub closed the connection");
        break;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        /* an attempt that ends before the upgrade (e.g. lws' own timeout while a stalled hub
         * never answers) is still an HTTP wsi and reports only this */
        if (wsi == hc->ws) connection_lost(hc, "the hub did not answer the upgrade");
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (wsi != hc->ws) return -1;
        {
            int got =
                cw_msgbuf_add(&hc->rx, lws_is_first_fragment(wsi),
                              lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi), in,
                              len, 256u << 20);
            if (got < 0) return -1;
            if (got == CW_MSG_DONE) on_message(hc);
            break;
        }
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (wsi != hc->ws || hc->killing) return -1;
        if (hc->nout == 0) {
            pthread_mutex_lock(&hc->lock);
            char *rep = hc->report;
            hc->report = NULL;
            pthread_mutex_unlock(&hc->lock);
            if (!rep || !hc->hello) {
                if (rep) {
                    pthread_mutex_lock(&hc->lock);
                    if (!hc->report)
                        hc->report = rep;
                    else
                        free(rep);
                    pthread_mutex_unlock(&hc->lock);
                }
                break;
            }
            hc->out[hc->nout++] = rep;
        }
        char *m = hc->out[0];
        size_t n = strlen(m);
        unsigned char *buf = malloc(LWS_PRE + n);
        if (!buf) return -1;
        memcpy(buf + LWS_PRE, m, n);
        int w = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
        free(buf);
        free(m);
        memmove(hc->out, hc->out + 1, sizeof(char *) * (size_t)(hc->nout - 1));
        hc->nout--;
        if (w < (int)n) return -1;
        if (hc->nout > 0 || hc->report) lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (hc && hc->ws && hc->open) lws_callback_on_writable(hc->ws);
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"cw-http", http_cb, 0, 0, 0, NULL, 0},
    {"citywall-live.v1", live_cb, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}};

static void *service(void *arg)
{
    hubclient *hc = arg;
    lws_sul_schedule(hc->ctx, 0, &hc->sul_connect, connect_ws, 1);
    lws_sul_schedule(hc->ctx, 0, &hc->sul_watch, watch_tick,
                     (lws_usec_t)HUBCLIENT_WATCH_MS * LWS_US_PER_MS);
    while (!atomic_load(&hc->stop))
        if (lws_service(hc->ctx, 0) < 0) break;
    lws_sul_cancel(&hc->sul_connect);
    lws_sul_cancel(&hc->sul_watch);
    lws_sul_cancel(&hc->sul_clock);
    lws_context_destroy(hc->ctx);
    hc->ctx = NULL;
    return NULL;
}

hubclient *hubclient_start(const char *url, const char *token, void (*wakefn)(void *), void *ud,
                           char *err, size_t errn)
{
    return hubclient_start_wall(url, token, NULL, wakefn, ud, err, errn);
}

hubclient *hubclient_start_wall(const char *url, const char *token, const char *wall,
                                void (*wakefn)(void *), void *ud, char *err, size_t errn)
{
    return hubclient_start_ex(url, token, wall, false, wakefn, ud, err, errn);
}

hubclient *hubclient_start_ex(const char *url, const char *token, const char *wall, bool province,
                              void (*wakefn)(void *), void *ud, char *err, size_t errn)
{
    hubclient *hc = calloc(1, sizeof *hc);
    if (!hc) {
        snprintf(err, errn, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&hc->lock, NULL);
    bool any_tls = false;
    for (const char *u = url; *u && hc->nhubs < HUBCLIENT_MAX_HUBS;) { /* "URL[,URL...]" */
        size_t n = strcspn(u, ",");
        char one[600];
        snprintf(one, sizeof one, "%.*s", (int)n, u);
        hub_addr *a = &hc->hubs[hc->nhubs];
        if (hubclient_parse_url(one, a->host, sizeof a->host, &a->port, a->prefix, sizeof a->prefix,
                                &a->tls) < 0) {
            snprintf(err, errn,
                     "--hub %.500s: expected ws://HOST:PORT (or wss://, http://, https://)", one);
            goto fail;
        }
        any_tls |= a->tls;
        hc->nhubs++;
        u += n + (u[n] == ',');
    }
    if (!hc->nhubs) {
        snprintf(err, errn, "--hub: no URL");
        goto fail;
    }
    use_hub(hc, 0);
    if (strlen(token) >= sizeof hc->token) {
        snprintf(err, errn, "--token: too long");
        goto fail;
    }
    snprintf(hc->token, sizeof hc->token, "%s", token);
    if (wall) {
        if (strlen(wall) + 5 >= sizeof hc->wall_topic) {
            snprintf(err, errn, "--wall: too long");
            goto fail;
        }
        snprintf(hc->wall_topic, sizeof hc->wall_topic, "wall/%s", wall);
    }
    hc->province = province;
    hc->wake = wakefn;
    hc->ud = ud;
    hc->backoff_ms = HUBCLIENT_BACKOFF_MS;
    hc->rng = (unsigned)cwt_mono_ms() ^ (unsigned)getpid() * 2654435761u;
    hc->pub.down_since_ms = cwt_real_ms();
    snprintf(hc->pub.error, sizeof hc->pub.error, "connecting to %.200s:%d", hc->host, hc->port);
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = hc;
    info.options = any_tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
    info.fd_limit_per_thread = 64;
    hc->ctx = lws_create_context(&info);
    if (!hc->ctx) {
        snprintf(err, errn, "libwebsockets: cannot create a client context");
        goto fail;
    }
    if (pthread_create(&hc->thread, NULL, service, hc) != 0) {
        snprintf(err, errn, "cannot start the hub client thread");
        goto fail;
    }
    hc->thread_started = true;
    return hc;
fail:
    hubclient_stop(hc);
    return NULL;
}

void hubclient_stop(hubclient *hc)
{
    if (!hc) return;
    if (hc->thread_started) {
        atomic_store(&hc->stop, true);
        lws_cancel_service(hc->ctx);
        pthread_join(hc->thread, NULL);
    } else if (hc->ctx) {
        lws_context_destroy(hc->ctx);
    }
    for (int i = 0; i < hc->ntopics; i++)
        json_decref(hc->topics[i].doc);
    for (int i = 0; i < MAX_JOBS; i++)
        job_release(&hc->jobs[i]);
    clear_out(hc);
    hubclient_update_clear(&hc->pub);
    free(hc->report);
    cw_msgbuf_free(&hc->rx);
    pthread_mutex_destroy(&hc->lock);
    free(hc);
}

void hubclient_update_clear(hub_update *u)
{
    json_decref(u->city);
    json_decref(u->alerts);
    json_decref(u->halls);
    json_decref(u->registry);
    json_decref(u->history);
    json_decref(u->wall);
    json_decref(u->province);
    u->city = u->alerts = u->halls = u->registry = u->history = u->wall = u->province = NULL;
}

bool hubclient_take(hubclient *hc, hub_update *u)
{
    pthread_mutex_lock(&hc->lock);
    bool changed = hc->changed;
    hc->changed = false;
    hubclient_update_clear(u);
    *u = hc->pub;
    hc->pub.city = hc->pub.alerts = hc->pub.halls = hc->pub.registry = hc->pub.history = NULL;
    hc->pub.wall = hc->pub.province = NULL;
    hc->pub.city_ack_ms = 0;
    pthread_mutex_unlock(&hc->lock);
    return changed;
}

void hubclient_report(hubclient *hc, const char *json_text)
{
    char *c = strdup(json_text);
    if (!c) return;
    pthread_mutex_lock(&hc->lock);
    free(hc->report);
    hc->report = c;
    pthread_mutex_unlock(&hc->lock);
    if (hc->ctx) lws_cancel_service(hc->ctx);
}
