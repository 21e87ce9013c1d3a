/* live: /live fan-out with shared frames, merged catch-up and resume. See live.h. */
#include "live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "live_msg.h"
#include "province.h"
#include "http_util.h"
#include "mergepatch.h"
#include "wallctl.h"
#include "xalloc.h"

#define LIVE_RING_CAP 1024
#define LIVE_RING_BYTES (4u << 20)
#define LIVE_RX_MAX (64 * 1024)
#define LIVE_AUTH_TIMEOUT_MS 5000
#define LIVE_STUCK_MS 30000
#define LIVE_CLOSE_TOO_SLOW 4008
#define LIVE_TOO_SLOW_GRACE_S 5 /* judged too slow: this long for the socket to take the 4008 */

enum {
    DOC_CITY = LIVEMSG_CITY,
    DOC_HALL = LIVEMSG_HALL,
    DOC_ALERTS = LIVEMSG_ALERTS,
    DOC_PROVINCE = LIVEMSG_PROVINCE,
    DOC_WALL = LIVEMSG_WALL
};

typedef struct frame {
    unsigned char *buf; /* LWS_PRE headroom + payload */
    size_t len;         /* payload bytes */
} frame;

typedef struct entry {
    uint64_t rev, prev_rev;
    json_t *patch;
    frame fr;
    int64_t ack_us; /* earliest ingest ack this delta carries, 0 if none */
} entry;

#define LIVE_MERGED_CACHE 4

typedef struct live_doc {
    int kind;
    int hall;
    bool names;
    bool *mask; /* city docs of hall accounts: which halls (owned); NULL = all */
    char key[512];
    char topic[LIVEMSG_TOPIC_MAX + 1];
    json_t *doc;
    uint64_t rev;
    uint64_t built_version;
    bool built;
    entry ring[LIVE_RING_CAP];
    int ring_head, ring_n; /* oldest at ring_head */
    size_t ring_bytes;
    int nsubs;
    int64_t last_pub_us;
    frame snap;
    uint64_t snap_rev;
    /* merged deltas (from a rev behind to `rev`) already serialised: max_hz clients, and
     * clients a tick behind, are behind in a few shared ways, not one each */
    struct {
        uint64_t from, to;
        frame fr;
    } merged[LIVE_MERGED_CACHE];
    int merged_next;
    struct live_doc *next;
} live_doc;

typedef struct live_sub {
    live_doc *doc;
    uint64_t sent_rev;
    bool need_snapshot;
    bool recovering;
    int max_hz;
    int64_t last_sent_us;
    char doc_topic_tmp[LIVEMSG_TOPIC_MAX + 1]; /* used only while rebinding after a reload */
} live_sub;

typedef struct live_client {
    struct lws *wsi;
    uint64_t conn_id;
    struct live_client *next, *prev;
    bool authed, closing, browser;
    int close_code;
    auth_who who;
    int64_t connected_ms, last_writable_ms;
    live_sub *subs;
    int nsubs, capsubs;
    frame *ctl;
    int nctl, capctl;
    size_t ctl_bytes; /* payload bytes in ctl, at most limits.client_buffer_bytes */
    unsigned char *rx;
    size_t rxlen;
    bool rx_overflow;
    json_t *report;
    char peer[64];
} live_client;

struct live {
    hub_t *hub;
    live_doc *docs;
    live_client *clients;
    int nclients;
    uint64_t rev;
    int64_t unpublished_ack_us;
    lws_sorted_usec_list_t sul_defer; /* the earliest deferred doc's publish time */
    lws_sorted_usec_list_t sul_due;   /* max_hz subscriptions waiting for their next slot */
    bool due_armed;
    bool started;
    /* cluster mode: docs are published only at positions of the replicated log
     * (live_publish_at), with rev = the position, so every hub publishes the same deltas */
    bool positional;
};

typedef struct live_pss {
    live_client *c;
} live_pss;

size_t live_pss_size(void)
{
    return sizeof(live_pss);
}

static int64_t now_us(void)
{
    return cwt_mono_ms() * 1000; /* ms resolution is plenty for pacing */
}

/* ---- frames ----------------------------------------------------------------------------- */

static frame frame_from_json(json_t *msg)
{
    frame f = {0};
    char *s = json_dumps(msg, JSON_COMPACT);
    if (!s) return f;
    size_t n = strlen(s);
    f.buf = malloc(LWS_PRE + n);
    if (f.buf) {
        memcpy(f.buf + LWS_PRE, s, n);
        f.len = n;
    }
    free(s);
    return f;
}

static void frame_free(frame *f)
{
    free(f->buf);
    f->buf = NULL;
    f->len = 0;
}

/* ---- docs ------------------------------------------------------------------------------- */

static void doc_view(const live_doc *d, state_view *sv)
{
    sv->halls = d->mask;
    sv->names = d->names;
    sv->urls = true;
}

static json_t *doc_build(live_t *L, live_doc *d)
{
    state_view sv;
    doc_view(d, &sv);
    if (d->kind == DOC_CITY) return state_city(L->hub->state, &sv);
    if (d->kind == DOC_PROVINCE) return province_doc(L->hub);
    if (d->kind == DOC_ALERTS)
        return L->hub->alerts ? alerts_doc(L->hub->alerts, d->mask, d->names) : json_object();
    if (d->kind == DOC_WALL)
        return L->hub->wallctl ? wallctl_doc(L->hub->wallctl, d->hall) : json_object();
    return state_hall(L->hub->state, d->hall, &sv);
}

static uint64_t doc_version(live_t *L, const live_doc *d)
{
    if (d->kind == DOC_ALERTS) return L->hub->alerts ? alerts_version(L->hub->alerts) : 0;
    if (d->kind == DOC_WALL) return L->hub->wallctl ? wallctl_version(L->hub->wallctl, d->hall) : 0;
    return d->kind == DOC_CITY || d->kind == DOC_PROVINCE
               ? state_city_version(L->hub->state)
               : state_hall_version(L->hub->state, d->hall);
}

static void ring_pop(live_doc *d)
{
    entry *e = &d->ring[d->ring_head];
    d->ring_bytes -= e->fr.len;
    json_decref(e->patch);
    frame_free(&e->fr);
    d->ring_head = (d->ring_head + 1) % LIVE_RING_CAP;
    d->ring_n--;
}

static entry *ring_at(live_doc *d, int i) /* 0 = oldest */
{
    return &d->ring[(d->ring_head + i) % LIVE_RING_CAP];
}

static void doc_free(live_doc *d)
{
    while (d->ring_n)
        ring_pop(d);
    json_decref(d->doc);
    frame_free(&d->snap);
    for (int i = 0; i < LIVE_MERGED_CACHE; i++)
        frame_free(&d->merged[i].fr);
    free(d->mask);
    free(d);
}

static bool client_has_pending(live_client *c);
static void client_want_write(live_client *c);
static void arm_due(live_t *L);

/* Rebuild a doc from the state if its version moved; publish the difference as a delta.
 * pos: in positional mode, the log position the state is at (0: not at a position -- only a
 * first build happens, at the current one). */
static void doc_refresh(live_t *L, live_doc *d, uint64_t pos)
{
    uint64_t ver = doc_version(L, d);
    if (d->built && ver == d->built_version) return;
    if (L->positional && d->built && !pos) return; /* published at the next position */
    json_t *nd = doc_build(L, d);
    if (!nd) return;
    d->built_version = ver;
    int64_t t = now_us();
    if (!d->built) {
        d->doc = nd;
        d->rev = L->positional ? L->rev : ++L->rev;
        d->built = true;
        d->last_pub_us = t;
        return;
    }
    json_t *patch = mp_diff(d->doc, nd);
    json_decref(d->doc);
    d->doc = nd;
    if (!patch) return;
    uint64_t rev = L->positional ? pos : ++L->rev;
    json_t *msg = json_pack("{s:s,s:s,s:s,s:I,s:O}", "op", "delta", "topic", d->topic, "epoch",
                            L->hub->epoch, "rev", (json_int_t)rev, "data", patch);
    if (L->unpublished_ack_us) /* event-to-glass (walls): that ack in real ms, beside the data */
        json_object_set_new(msg, "ack_ms",
                            json_integer(cwt_real_ms() - (t - L->unpublished_ack_us) / 1000));
    frame fr = frame_from_json(msg);
    json_decref(msg);
    if (d->ring_n == LIVE_RING_CAP) ring_pop(d);
    entry *e = &d->ring[(d->ring_head + d->ring_n) % LIVE_RING_CAP];
    e->rev = rev;
    e->prev_rev = d->rev;
    e->patch = patch;
    e->fr = fr;
    e->ack_us = L->unpublished_ack_us;
    d->ring_n++;
    d->ring_bytes += fr.len;
    while (d->ring_n > 1 && d->ring_bytes > LIVE_RING_BYTES)
        ring_pop(d);
    d->rev = rev;
    d->last_pub_us = t;
    L->hub->m.live_publishes++;
    for (live_client *c = L->clients; c; c = c->next)
        for (int i = 0; i < c->nsubs; i++)
            if (c->subs[i].doc == d) {
                client_want_write(c);
                break;
            }
}

static void view_key(char *out, size_t n, int kind, int hall, const auth_who *who, const cfg_t *cfg)
{
    if (kind == DOC_HALL) {
        snprintf(out, n, "hall/%s|names=%d", cfg->halls[hall].id, who->names);
        return;
    }
    if (kind == DOC_WALL) { /* one view: every role that may subscribe sees the same */
        snprintf(out, n, "wall/%s", cfg->walls[hall].id);
        return;
    }
    int o = snprintf(out, n, "%s|names=%d|",
                     kind == DOC_ALERTS     ? "alerts"
                     : kind == DOC_PROVINCE ? "province"
                                            : "city",
                     who->names);
    if (!who->halls) {
        snprintf(out + o, n - o, "all");
        return;
    }
    for (int i = 0; i < cfg->nhalls && o < (int)n - 8; i++)
        if (who->halls[i]) o += snprintf(out + o, n - o, "%d,", i);
}

static live_doc *doc_get(live_t *L, int kind, int hall, const auth_who *who)
{
    const cfg_t *cfg = L->hub->cfg;
    char key[512];
    view_key(key, sizeof(key), kind, hall, who, cfg);
    for (live_doc *d = L->docs; d; d = d->next)
        if (strcmp(d->key, key) == 0) return d;
    live_doc *d = cw_xcalloc(1, sizeof(*d));
    if (!d) return NULL;
    d->kind = kind;
    d->hall = hall;
    d->names = who->names;
    snprintf(d->key, sizeof(d->key), "%s", key);
    if (kind == DOC_CITY)
        snprintf(d->topic, sizeof(d->topic), "city");
    else if (kind == DOC_ALERTS)
        snprintf(d->topic, sizeof(d->topic), "alerts");
    else if (kind == DOC_PROVINCE)
        snprintf(d->topic, sizeof(d->topic), "province");
    else if (kind == DOC_WALL)
        snprintf(d->topic, sizeof(d->topic), "wall/%s", cfg->walls[hall].id);
    else
        snprintf(d->topic, sizeof(d->topic), "hall/%s", cfg->halls[hall].id);
    if ((kind == DOC_CITY || kind == DOC_ALERTS) && who->halls) {
        d->mask = calloc(cfg->nhalls ? cfg->nhalls : 1, sizeof(bool));
        if (!d->mask) {
            free(d);
            return NULL;
        }
        memcpy(d->mask, who->halls, sizeof(bool) * cfg->nhalls);
    }
    d->next = L->docs;
    L->docs = d;
    return d;
}

/* ---- clients ---------------------------------------------------------------------------- */

static void client_want_write(live_client *c)
{
    if (c->wsi) lws_callback_on_writable(c->wsi);
}

/* Too slow (SPEC §4): nothing more is queued for c, and it is closed with 4008 too_slow as
 * soon as its socket takes the close frame, or dropped LIVE_TOO_SLOW_GRACE_S later. */
static void client_too_slow(hub_t *hub, live_client *c)
{
    hub->m.live_too_slow++;
    for (int i = 0; i < c->nctl; i++)
        frame_free(&c->ctl[i]);
    c->nctl = 0;
    c->ctl_bytes = 0;
    c->closing = true;
    c->close_code = LIVE_CLOSE_TOO_SLOW;
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LIVE_TOO_SLOW_GRACE_S);
    client_want_write(c);
}

static void client_ctl(live_client *c, json_t *msg)
{
    hub_t *hub = lws_get_vhost_user(lws_get_vhost(c->wsi));
    if (c->closing && c->close_code == LIVE_CLOSE_TOO_SLOW) {
        json_decref(msg);
        return;
    }
    if (c->nctl == c->capctl) {
        int nc = c->capctl ? c->capctl * 2 : 4;
        frame *nf = realloc(c->ctl, sizeof(*nf) * nc);
        if (!nf) {
            json_decref(msg);
            return;
        }
        c->ctl = nf;
        c->capctl = nc;
    }
    c->ctl[c->nctl++] = frame_from_json(msg);
    json_decref(msg);
    c->ctl_bytes += c->ctl[c->nctl - 1].len;
    /* replies the client doesn't read (pongs, errors) are capped like any queued bytes */
    if (c->ctl_bytes > (size_t)hub->cfg->limits.client_buffer) {
        client_too_slow(hub, c);
        return;
    }
    client_want_write(c);
}

static void client_error(live_client *c, const char *code, const char *message)
{
    client_ctl(c, json_pack("{s:s,s:s,s:s}", "op", "error", "code", code, "message", message));
}

static void client_close_after_ctl(live_client *c, int code)
{
    c->closing = true;
    c->close_code = code;
    client_want_write(c);
}

static bool sub_pending(const live_sub *s)
{
    return s->need_snapshot || s->sent_rev < s->doc->rev || s->recovering;
}

static bool client_has_pending(live_client *c)
{
    if (c->nctl) return true;
    for (int i = 0; i < c->nsubs; i++)
        if (sub_pending(&c->subs[i])) return true;
    return false;
}

static live_sub *client_find_sub(live_client *c, const char *topic)
{
    for (int i = 0; i < c->nsubs; i++)
        if (strcmp(c->subs[i].doc->topic, topic) == 0) return &c->subs[i];
    return NULL;
}

static void client_drop_sub(live_client *c, int i)
{
    c->subs[i].doc->nsubs--;
    c->subs[i] = c->subs[--c->nsubs];
}

static void hello(live_t *L, live_client *c)
{
    /* now and speed: the business clock (SPEC §1, §4), so that clients never guess it */
    char now[40];
    cwt_format_local(hub_now(L->hub), now);
    double sp = L->hub->clock.speed;
    json_t *speed = sp == (double)(long long)sp ? json_integer((long long)sp) : json_real(sp);
    client_ctl(c, json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "op", "hello", "user", c->who.user, "role",
                            cfg_role_name(c->who.role), "epoch", L->hub->epoch, "now", now, "speed",
                            speed));
}

/* Resume point for a doc given the client's `since` rev: the rev whose state the client holds,
 * or 0 when the history no longer reaches back -- or when `since` is a rev this hub never
 * issued (above its counter, top): such a client holds no state of ours (SECURITY.md S6). */
static uint64_t resume_base(live_doc *d, uint64_t since, uint64_t top)
{
    if (since > top) return 0;
    if (d->rev <= since) return d->rev;
    for (int i = 0; i < d->ring_n; i++) {
        entry *e = ring_at(d, i);
        if (e->rev > since) return e->prev_rev <= since ? e->prev_rev : 0;
    }
    return 0;
}

static int parse_topic(live_t *L, const char *t, int *kind, int *hall)
{
    return livemsg_topic_parse(L->hub->cfg, t, kind, hall);
}

static void op_subscribe(live_t *L, live_client *c, const livemsg *msg)
{
    bool resume = msg->has_since && strcmp(msg->since_epoch, L->hub->epoch) == 0;
    for (size_t i = 0; i < msg->ntopics; i++) {
        const livemsg_topic *t = &msg->topics[i];
        int kind = t->kind, hall = t->hall;
        char m[160];
        if (kind == LIVEMSG_NOTOPIC) {
            livemsg_topic_error(t, m, sizeof(m));
            client_error(c, "unknown_topic", m);
            continue;
        }
        if (kind == DOC_PROVINCE && c->who.halls) { /* every city's halls: not for a hall */
            livemsg_format(m, sizeof(m), "topic 'province' is not visible to %s", c->who.user);
            client_error(c, "forbidden", m);
            continue;
        }
        if ((kind == DOC_HALL && !auth_may_see(&c->who, hall)) ||
            (kind == DOC_WALL && c->who.halls)) { /* walls: admin, city and wall roles */
            livemsg_format(m, sizeof(m), "topic '%s' is not visible to %s", t->name, c->who.user);
            client_error(c, "forbidden", m);
            continue;
        }
        live_doc *d = doc_get(L, kind, hall, &c->who);
        if (!d) continue;
        doc_refresh(L, d, 0);
        live_sub *s = client_find_sub(c, d->topic);
        if (!s) {
            if (c->nsubs == c->capsubs) {
                int nc = c->capsubs ? c->capsubs * 2 : 4;
                live_sub *ns = realloc(c->subs, sizeof(*ns) * nc);
                if (!ns) continue;
                c->subs = ns;
                c->capsubs = nc;
            }
            s = &c->subs[c->nsubs++];
            memset(s, 0, sizeof(*s));
            s->doc = d;
            d->nsubs++;
        }
        s->max_hz = msg->max_hz;
        s->recovering = false;
        s->need_snapshot = true;
        /* cluster mode: the alerts and wall docs are not functions of the log (acks, H rules
         * and wall tours are per hub), so another hub's history of them cannot be trusted */
        if (resume && !(L->positional && (d->kind == DOC_ALERTS || d->kind == DOC_WALL))) {
            uint64_t base = resume_base(d, msg->since_rev, L->rev);
            if (base) {
                s->sent_rev = base;
                s->need_snapshot = false;
                s->recovering = true;
            }
        }
    }
    client_want_write(c);
}

static void op_unsubscribe(live_client *c, const livemsg *msg)
{
    for (size_t i = 0; i < msg->ntopics; i++) {
        const char *name = msg->topics[i].name;
        for (int k = 0; name && k < c->nsubs; k++)
            if (strcmp(c->subs[k].doc->topic, name) == 0) client_drop_sub(c, k--);
    }
}

/* A refused /live auth on the hub's log: the peer and what kind of token it was, with at most
 * the first 4 characters of a token (of one at least 12 long, so the prefix reveals little
 * of a secret). At most 20 lines a minute; the rest are counted in the next line. */
static void auth_failure_log(const live_client *c, const char *tok, bool hall_token)
{
    static int64_t window_ms;
    static int logged, suppressed;
    int64_t now = cwt_mono_ms();
    if (now - window_ms >= 60000) {
        window_ms = now;
        logged = 0;
    }
    if (logged >= 20) {
        suppressed++;
        return;
    }
    logged++;
    char what[64];
    size_t tl = tok ? strlen(tok) : 0;
    if (!tok)
        snprintf(what, sizeof what, "no token");
    else if (hall_token)
        snprintf(what, sizeof what, "a write-only hall token");
    else if (tl >= 12)
        snprintf(what, sizeof what, "unknown token \"%.4s...\"", tok);
    else
        snprintf(what, sizeof what, "unknown token (%zu characters)", tl);
    fprintf(stderr, "citywall-hub: /live auth refused from %s: %s", c->peer[0] ? c->peer : "?",
            what);
    if (suppressed) fprintf(stderr, " (%d more refused before, not logged)", suppressed);
    fputc('\n', stderr);
    suppressed = 0;
}

static void op_auth(live_t *L, live_client *c, const livemsg *msg)
{
    const char *tok = msg->token;
    if (c->authed) {
        client_error(c, "bad_request", "already authenticated");
        return;
    }
    bool known = tok && auth_token(L->hub->auth, tok, &c->who) >= 0;
    if (!known || c->who.role == CFG_ROLE_HALL) {
        client_error(c, "auth_failed", tok ? "unknown or write-only token" : "auth: token missing");
        auth_failure_log(c, tok, known);
        L->hub->m.limit_1008++;
        client_close_after_ctl(c, LWS_CLOSE_STATUS_POLICY_VIOLATION);
        return;
    }
    c->authed = true;
    hello(L, c);
}

static void handle_message(live_t *L, live_client *c, const char *text, size_t len)
{
    livemsg msg;
    livemsg_parse(L->hub->cfg, text, len, &msg);
    if (msg.op == LIVEMSG_INVALID) {
        client_error(c, msg.code, msg.message);
    } else if (msg.op == LIVEMSG_AUTH) {
        op_auth(L, c, &msg);
    } else if (!c->authed) {
        client_error(c, "auth_required", "send {\"op\":\"auth\",\"token\":...} first");
    } else if (msg.code) {
        client_error(c, msg.code, msg.message);
    } else if (msg.op == LIVEMSG_SUBSCRIBE) {
        op_subscribe(L, c, &msg);
    } else if (msg.op == LIVEMSG_UNSUBSCRIBE) {
        op_unsubscribe(c, &msg);
    } else if (msg.op == LIVEMSG_PING) {
        client_ctl(c, json_pack("{s:s}", "op", "pong"));
    } else if (msg.op == LIVEMSG_REPORT) {
        json_decref(c->report);
        c->report = json_incref(msg.json);
        json_object_set_new(c->report, "received_ms", json_integer(cwt_real_ms()));
    }
    livemsg_free(&msg);
}

/* ---- writing ---------------------------------------------------------------------------- */

static int write_frame(live_t *L, live_client *c, frame *f)
{
    if (!f->buf) return 0;
    int n = lws_write(c->wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_TEXT);
    if (n < (int)f->len) return -1;
    L->hub->m.live_messages++;
    L->hub->m.live_bytes += f->len;
    return 0;
}

static frame *doc_snapshot_frame(live_t *L, live_doc *d)
{
    if (d->snap.buf && d->snap_rev == d->rev) return &d->snap;
    frame_free(&d->snap);
    json_t *msg = json_pack("{s:s,s:s,s:s,s:I,s:O}", "op", "snapshot", "topic", d->topic, "epoch",
                            L->hub->epoch, "rev", (json_int_t)d->rev, "data", d->doc);
    d->snap = frame_from_json(msg);
    d->snap_rev = d->rev;
    json_decref(msg);
    return &d->snap;
}

/* Send the next message of subscription s (one lws_write). */
static int send_sub(live_t *L, live_client *c, live_sub *s)
{
    live_doc *d = s->doc;
    int64_t t = now_us();
    s->last_sent_us = t;
    if (!s->need_snapshot && s->sent_rev < d->rev) {
        int from = -1;
        for (int i = d->ring_n - 1; i >= 0; i--)
            if (ring_at(d, i)->prev_rev == s->sent_rev) {
                from = i;
                break;
            }
        if (from == d->ring_n - 1) { /* in step: the shared bytes */
            entry *e = ring_at(d, from);
            if (write_frame(L, c, &e->fr) < 0) return -1;
            if (e->ack_us) hub_hist_add(&L->hub->m.fanout_ms, (double)(t - e->ack_us) / 1000.0);
            L->hub->m.live_deltas++;
            s->sent_rev = d->rev;
            return 0;
        }
        for (int i = 0; from >= 0 && i < LIVE_MERGED_CACHE; i++) {
            if (d->merged[i].from != s->sent_rev || d->merged[i].to != d->rev) continue;
            if (write_frame(L, c, &d->merged[i].fr) < 0) return -1;
            int64_t ack = ring_at(d, from)->ack_us;
            if (ack) hub_hist_add(&L->hub->m.fanout_ms, (double)(t - ack) / 1000.0);
            L->hub->m.live_merged++;
            s->sent_rev = d->rev;
            return 0;
        }
        json_t *acc = NULL;
        if (from >= 0) {
            acc = json_deep_copy(ring_at(d, from)->patch);
            for (int i = from + 1; acc && i < d->ring_n; i++) {
                json_t *next = mp_compose(acc, ring_at(d, i)->patch); /* NULL: not expressible */
                json_decref(acc);
                acc = next;
            }
        }
        if (acc) { /* behind: one merged delta for this client */
            json_t *msg = json_pack("{s:s,s:s,s:s,s:I,s:o}", "op", "delta", "topic", d->topic,
                                    "epoch", L->hub->epoch, "rev", (json_int_t)d->rev, "data", acc);
            int k = d->merged_next;
            d->merged_next = (k + 1) % LIVE_MERGED_CACHE;
            frame_free(&d->merged[k].fr);
            d->merged[k].fr = frame_from_json(msg);
            d->merged[k].from = s->sent_rev;
            d->merged[k].to = d->rev;
            json_decref(msg);
            if (write_frame(L, c, &d->merged[k].fr) < 0) return -1;
            int64_t ack = ring_at(d, from)->ack_us;
            if (ack) hub_hist_add(&L->hub->m.fanout_ms, (double)(t - ack) / 1000.0);
            L->hub->m.live_merged++;
            s->sent_rev = d->rev;
            return 0;
        }
        s->need_snapshot = true; /* history gone */
        s->recovering = false;
    }
    if (s->need_snapshot) {
        if (write_frame(L, c, doc_snapshot_frame(L, d)) < 0) return -1;
        L->hub->m.live_snapshots++;
        s->need_snapshot = false;
        s->sent_rev = d->rev;
        return 0;
    }
    if (s->recovering) {
        json_t *msg = json_pack("{s:s,s:s,s:I}", "op", "recovered", "topic", d->topic, "rev",
                                (json_int_t)s->sent_rev);
        frame fr = frame_from_json(msg);
        json_decref(msg);
        int rc = write_frame(L, c, &fr);
        frame_free(&fr);
        s->recovering = false;
        return rc;
    }
    return 0;
}

/* A max_hz subscription may be sent again one period after its last message; a doc publish
 * that falls within a slack of half a tick (at most a quarter period) before that moment is
 * taken at once. Docs are published on ticks, so without the slack a client whose period
 * ends just after a publish waits for the next one, and an event could wait a doc tick plus
 * a period plus a tick (150 ms at max_hz 10). With it the sends fall on every
 * (period / tick)-th publish: ~max_hz per second, never closer than 3/4 of a period. */
static bool sub_due(const live_t *L, const live_sub *s, int64_t t)
{
    if (!s->max_hz || s->need_snapshot || s->recovering) return true;
    int64_t period = 1000000 / s->max_hz, slack = (int64_t)L->hub->cfg->tick_ms * 500;
    if (slack > period / 4) slack = period / 4;
    int64_t since = t - s->last_sent_us, early = s->last_sent_us + period - slack;
    if (since >= period) return true;
    return since >= period - slack && s->doc->last_pub_us >= early;
}

static int client_writeable(live_t *L, live_client *c)
{
    c->last_writable_ms = cwt_mono_ms();
    if (c->nctl) {
        frame f = c->ctl[0];
        memmove(c->ctl, c->ctl + 1, sizeof(frame) * (c->nctl - 1));
        c->nctl--;
        c->ctl_bytes -= f.len;
        int rc = write_frame(L, c, &f);
        frame_free(&f);
        if (rc < 0) return -1;
        if (c->nctl || c->closing || client_has_pending(c)) client_want_write(c);
        return 0;
    }
    if (c->closing) {
        bool slow = c->close_code == LIVE_CLOSE_TOO_SLOW;
        lws_close_reason(c->wsi, c->close_code, (unsigned char *)(slow ? "too_slow" : NULL),
                         slow ? 8 : 0);
        return -1;
    }
    /* The pending subscription with the lowest target rev: a connection sees revs in order,
     * so its highest rev received is a valid resume point for all its topics. */
    int64_t t = now_us();
    live_sub *best = NULL;
    for (int i = 0; i < c->nsubs; i++) {
        live_sub *s = &c->subs[i];
        if (!sub_pending(s)) continue;
        if (!sub_due(L, s, t)) {
            arm_due(L);
            continue;
        }
        if (!best || s->doc->rev < best->doc->rev) best = s;
    }
    if (!best) return 0;
    if (send_sub(L, c, best) < 0) return -1;
    for (int i = 0; i < c->nsubs; i++)
        if (sub_pending(&c->subs[i]) && sub_due(L, &c->subs[i], t)) {
            client_want_write(c);
            break;
        }
    return 0;
}

/* ---- tick ------------------------------------------------------------------------------- */

/* A max_hz subscription with a change waiting is sent when its period has passed. Its slot is
 * looked for every LIVE_DUE_QUANTUM_US while any such wait exists (one scan of the clients,
 * not a timer per client), so the wait is the period plus at most one quantum; at the 50 ms
 * tick alone it could be the period plus most of a tick (150 ms at max_hz 10). */
#define LIVE_DUE_QUANTUM_US 10000

static void due_cb(lws_sorted_usec_list_t *sul);

static void arm_due(live_t *L)
{
    if (L->due_armed || !L->started) return;
    L->due_armed = true;
    lws_sul_schedule(L->hub->lws, 0, &L->sul_due, due_cb, LIVE_DUE_QUANTUM_US);
}

static void due_cb(lws_sorted_usec_list_t *sul)
{
    live_t *L = lws_container_of(sul, live_t, sul_due);
    L->due_armed = false;
    int64_t t = now_us();
    bool waiting = false;
    for (live_client *c = L->clients; c; c = c->next) {
        if (c->closing) continue;
        for (int i = 0; i < c->nsubs; i++) {
            live_sub *s = &c->subs[i];
            if (!s->max_hz || !sub_pending(s)) continue;
            if (sub_due(L, s, t)) {
                client_want_write(c);
                break;
            }
            waiting = true;
        }
    }
    if (waiting) arm_due(L);
}

static void defer_cb(lws_sorted_usec_list_t *sul);

/* Publish every doc whose state moved and whose last publish is at least a tick old. A doc
 * that moved sooner is published exactly one tick after its last publish (sul_defer), not at
 * the next periodic tick, whose phase is unrelated and could add most of a second tick. */
static void publish_due(live_t *L, bool force_all)
{
    int64_t t = now_us();
    int64_t tick = (int64_t)L->hub->cfg->tick_ms * 1000;
    int64_t first_due = 0;
    if (L->positional) return; /* live_publish_at */
    for (live_doc *d = L->docs; d; d = d->next) {
        if (!d->nsubs) continue;
        if (!force_all && t - d->last_pub_us < tick) {
            if (d->built && doc_version(L, d) != d->built_version) {
                int64_t due = d->last_pub_us + tick;
                if (!first_due || due < first_due) first_due = due;
            }
            continue;
        }
        doc_refresh(L, d, 0);
    }
    if (!first_due) {
        L->unpublished_ack_us = 0;
    } else if (L->started) {
        lws_sul_schedule(L->hub->lws, 0, &L->sul_defer, defer_cb,
                         (lws_usec_t)(first_due > t ? first_due - t : 0));
    }
}

static void defer_cb(lws_sorted_usec_list_t *sul)
{
    live_t *L = lws_container_of(sul, live_t, sul_defer);
    publish_due(L, false);
}

void live_tick(live_t *L)
{
    hub_t *hub = L->hub;
    publish_due(L, false);
    int64_t ms = cwt_mono_ms(), t = now_us();
    for (live_client *c = L->clients, *next; c; c = next) {
        next = c->next;
        if (!c->authed && !c->closing && ms - c->connected_ms > LIVE_AUTH_TIMEOUT_MS) {
            client_error(c, "auth_required", "no auth within 5 s");
            hub->m.limit_1008++;
            client_close_after_ctl(c, LWS_CLOSE_STATUS_POLICY_VIOLATION);
            continue;
        }
        bool pending = client_has_pending(c);
        if (!pending) {
            c->last_writable_ms = ms;
            continue;
        }
        if (ms - c->last_writable_ms > LIVE_STUCK_MS) {
            /* accepted no bytes for 30 s: closed, 4008 too_slow if it can still be sent */
            if (c->closing && c->close_code == LIVE_CLOSE_TOO_SLOW) continue; /* judged */
            if (c->closing) /* its close frame never went out either */
                lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            else
                client_too_slow(hub, c);
            c->last_writable_ms = ms;
            continue;
        }
        for (int i = 0; i < c->nsubs; i++)
            if (c->subs[i].max_hz && sub_pending(&c->subs[i]) && sub_due(L, &c->subs[i], t)) {
                client_want_write(c);
                break;
            }
    }
}

void live_start(live_t *L)
{
    L->started = true;
}

void live_changed(live_t *L)
{
    publish_due(L, false); /* leading edge; later changes go out one tick after it */
}

void live_set_positional(live_t *L, uint64_t pos)
{
    L->positional = true;
    L->rev = pos;
    /* the views every wall and browser of all halls use exist from the start, so that a
     * client that comes over from another hub finds the same history here */
    const cfg_t *cfg = L->hub->cfg;
    for (int names = 0; names < 2; names++) {
        auth_who who = {.names = names, .account = -1, .token = -1};
        doc_get(L, DOC_CITY, -1, &who);
        doc_get(L, DOC_ALERTS, -1, &who);
        if (cfg->province.name) doc_get(L, DOC_PROVINCE, -1, &who);
        for (int h = 0; h < cfg->nhalls; h++)
            doc_get(L, DOC_HALL, h, &who);
    }
    for (live_doc *d = L->docs; d; d = d->next)
        doc_refresh(L, d, 0);
}

void live_publish_at(live_t *L, uint64_t pos)
{
    if (pos <= L->rev) return;
    for (live_doc *d = L->docs; d; d = d->next)
        doc_refresh(L, d, pos);
    L->rev = pos;
    L->unpublished_ack_us = 0;
}

void live_note_ack(live_t *L, int64_t mono_us)
{
    if (!L->unpublished_ack_us) L->unpublished_ack_us = mono_us;
}

/* ---- lws protocol ----------------------------------------------------------------------- */

int live_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
    struct lws_vhost *vh = lws_get_vhost(wsi);
    hub_t *hub = vh ? lws_get_vhost_user(vh) : NULL;
    live_pss *pss = user;
    live_t *L = hub ? hub->live : NULL;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        /* refused (403), whatever the credentials */
        return hub && http_ws_origin_check(hub, wsi, HTTP_WS_LIVE) < 0 ? 1 : 0;
    case LWS_CALLBACK_ESTABLISHED: {
        live_client *c = cw_xcalloc(1, sizeof(*c));
        if (!c) return -1;
        c->wsi = wsi;
        c->conn_id = hub_conn_register(c);
        c->connected_ms = c->last_writable_ms = cwt_mono_ms();
        lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
        c->next = L->clients;
        if (L->clients) L->clients->prev = c;
        L->clients = c;
        L->nclients++;
        pss->c = c;
        /* a session cookie counts only on a browser's handshake, which always carries the
         * Origin checked at the filter; any other client authenticates with a token
         * (SECURITY.md S8) */
        char cookie[1024];
        if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) > 0 &&
            lws_hdr_copy(wsi, cookie, sizeof(cookie), WSI_TOKEN_HTTP_COOKIE) > 0 &&
            auth_cookie(hub->auth, cookie, &c->who) == 0) {
            c->authed = true;
            c->browser = true;
            hello(L, c);
        }
        return 0;
    }
    case LWS_CALLBACK_RECEIVE: {
        live_client *c = pss->c;
        if (!c || c->closing) return 0;
        if (lws_is_first_fragment(wsi)) {
            c->rxlen = 0;
            c->rx_overflow = false;
        }
        if (c->rxlen + len > LIVE_RX_MAX) {
            hub->m.limit_1009++;
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                             (unsigned char *)"message too large", 17);
            return -1;
        }
        unsigned char *nb = realloc(c->rx, c->rxlen + len + 1);
        if (!nb) return -1;
        c->rx = nb;
        if (len) memcpy(c->rx + c->rxlen, in, len);
        c->rxlen += len;
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi)) return 0;
        handle_message(L, c, (const char *)c->rx, c->rxlen);
        c->rxlen = 0;
        return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!pss->c) return 0;
        return client_writeable(L, pss->c);
    case LWS_CALLBACK_CLOSED: {
        live_client *c = pss->c;
        if (!c) return 0;
        pss->c = NULL;
        for (int i = 0; i < c->nsubs; i++)
            c->subs[i].doc->nsubs--;
        if (c->prev)
            c->prev->next = c->next;
        else
            L->clients = c->next;
        if (c->next) c->next->prev = c->prev;
        L->nclients--;
        hub_conn_unregister(c->conn_id);
        for (int i = 0; i < c->nctl; i++)
            frame_free(&c->ctl[i]);
        free(c->ctl);
        free(c->subs);
        free(c->rx);
        json_decref(c->report);
        free(c);
        return 0;
    }
    default:
        return 0;
    }
}

/* ---- lifecycle, listing ----------------------------------------------------------------- */

live_t *live_create(hub_t *hub)
{
    live_t *L = cw_xcalloc(1, sizeof(*L));
    if (L) L->hub = hub;
    return L;
}

void live_destroy(live_t *L)
{
    if (!L) return;
    /* after lws_context_destroy (hub->lws NULL) the sul's list is gone with the context */
    if (L->started && L->hub->lws) {
        lws_sul_cancel(&L->sul_defer);
        lws_sul_cancel(&L->sul_due);
    }
    for (live_doc *d = L->docs, *n; d; d = n) {
        n = d->next;
        doc_free(d);
    }
    free(L);
}

void live_shutdown(live_t *L)
{
    for (live_client *c = L->clients; c; c = c->next) {
        c->closing = true;
        c->close_code = LWS_CLOSE_STATUS_GOINGAWAY;
        c->nctl = 0;
        client_want_write(c);
    }
}

void live_reconfigure(live_t *L)
{
    /* Hall indexes may have moved: rebind every subscription by topic name to a fresh doc
     * under the new config; clients get a snapshot (a new config is a new picture). */
    for (live_client *c = L->clients; c; c = c->next) {
        auth_refresh(L->hub->auth, &c->who);
        char(*topics)[LIVEMSG_TOPIC_MAX + 1] = c->nsubs ? malloc(sizeof(*topics) * c->nsubs) : NULL;
        int *hz = c->nsubs ? malloc(sizeof(int) * c->nsubs) : NULL;
        int n = 0;
        for (int i = 0; topics && hz && i < c->nsubs; i++) {
            snprintf(topics[n], sizeof(topics[n]), "%s", c->subs[i].doc->topic);
            hz[n++] = c->subs[i].max_hz;
        }
        c->nsubs = 0;
        for (int i = 0; i < n; i++) {
            int kind, hall;
            if (parse_topic(L, topics[i], &kind, &hall) < 0 ||
                (kind == DOC_HALL && !auth_may_see(&c->who, hall))) {
                client_error(c, "unknown_topic", "topic no longer exists after a config reload");
                continue;
            }
            c->subs[c->nsubs].doc = NULL;
            c->subs[c->nsubs].max_hz = hz[i];
            c->subs[c->nsubs].sent_rev = 0;
            c->subs[c->nsubs].need_snapshot = true;
            c->subs[c->nsubs].recovering = false;
            c->subs[c->nsubs].last_sent_us = 0;
            /* doc is bound below, once the old docs are gone */
            snprintf(c->subs[c->nsubs].doc_topic_tmp, sizeof(c->subs[c->nsubs].doc_topic_tmp), "%s",
                     topics[i]);
            c->nsubs++;
        }
        free(topics);
        free(hz);
    }
    for (live_doc *d = L->docs, *nx; d; d = nx) {
        nx = d->next;
        doc_free(d);
    }
    L->docs = NULL;
    for (live_client *c = L->clients; c; c = c->next) {
        for (int i = 0; i < c->nsubs; i++) {
            int kind = DOC_CITY, hall = -1;
            parse_topic(L, c->subs[i].doc_topic_tmp, &kind, &hall);
            live_doc *d = doc_get(L, kind, hall, &c->who);
            if (!d) {
                c->subs[i--] = c->subs[--c->nsubs];
                continue;
            }
            c->subs[i].doc = d;
            d->nsubs++;
            doc_refresh(L, d, 0);
        }
        client_want_write(c);
    }
}

static const char *client_kind(const live_client *c)
{
    if (c->browser) return "browser";
    return c->who.role == CFG_ROLE_WALL && c->report ? "wall" : "tool";
}

json_t *live_clients_json(live_t *L, const auth_who *who)
{
    json_t *arr = json_array();
    int64_t ms = cwt_mono_ms();
    for (live_client *c = L->clients; c; c = c->next) {
        if (!c->authed || c->closing) continue; /* on its way out */
        if (who->halls) { /* a hall manager sees the clients watching only its halls */
            bool ok = c->who.halls != NULL;
            for (int i = 0; ok && i < L->hub->cfg->nhalls; i++)
                if (c->who.halls[i] && !who->halls[i]) ok = false;
            if (!ok) continue;
        }
        json_t *topics = json_array();
        for (int i = 0; i < c->nsubs; i++) {
            json_t *t = json_pack("{s:s,s:I}", "topic", c->subs[i].doc->topic, "rev",
                                  (json_int_t)c->subs[i].sent_rev);
            if (c->subs[i].max_hz)
                json_object_set_new(t, "max_hz", json_integer(c->subs[i].max_hz));
            json_array_append_new(topics, t);
        }
        json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:o}", "id", (json_int_t)c->conn_id, "kind",
                              client_kind(c), "user", c->who.user, "role",
                              cfg_role_name(c->who.role), "peer", c->peer, "connected_s",
                              (json_int_t)((ms - c->connected_ms) / 1000), "topics", topics);
        if (c->report) {
            static const char *keys[] = {"viewport", "fps",       "frame_p99_ms", "rev",
                                         "stale",    "cameras",   "received_ms",  "wall",
                                         "wall_rev", "wall_step", "glass_p50_ms", "glass_p99_ms",
                                         "glass_n",  "thumb"};
            for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                json_t *v = json_object_get(c->report, keys[k]);
                if (v && !json_is_null(v)) json_object_set(o, keys[k], v);
            }
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

void live_get_stats(live_t *L, live_stats *o)
{
    memset(o, 0, sizeof(*o));
    o->rev = L->rev;
    for (live_client *c = L->clients; c; c = c->next) {
        o->clients++;
        if (c->browser)
            o->browsers++;
        else if (c->who.role == CFG_ROLE_WALL)
            o->walls++;
    }
    for (live_doc *d = L->docs; d; d = d->next) {
        o->docs++;
        o->history_bytes += d->ring_bytes;
    }
}

void live_each_view(live_t *L, void (*fn)(void *ud, const char *view, int clients), void *ud)
{
    for (live_doc *d = L->docs; d; d = d->next)
        fn(ud, d->key, d->nsubs);
}
