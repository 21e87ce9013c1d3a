/* live_client: one /live connection -- the lws protocol callback, authentication, the client's
 * messages (subscribe, unsubscribe, ping, report) and its queue of control replies.
 * See live.h (protocol) and live_internal.h (types).
 *
 * Thread: service thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_util.h"
#include "live_internal.h"
#include "xalloc.h"

size_t live_pss_size(void)
{
    return sizeof(live_pss);
}

/* ---- clients ---------------------------------------------------------------------------- */

/* Too slow (SPEC §4): nothing more is queued for c, and it is closed with 4008 too_slow as
 * soon as its socket takes the close frame, or dropped LIVE_TOO_SLOW_GRACE_S later. */
void live_client_too_slow(hub_t *hub, live_client *c)
{
    hub->m.live_too_slow++;
    for (int i = 0; i < c->nctl; i++)
        live_frame_free(&c->ctl[i]);
    c->nctl = 0;
    c->ctl_bytes = 0;
    c->closing = true;
    c->close_code = LIVE_CLOSE_TOO_SLOW;
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LIVE_TOO_SLOW_GRACE_S);
    live_client_want_write(c);
}

void live_client_ctl(live_client *c, json_t *msg)
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
    c->ctl[c->nctl++] = live_frame_from_json(msg);
    json_decref(msg);
    c->ctl_bytes += c->ctl[c->nctl - 1].len;
    /* replies the client doesn't read (pongs, errors) are capped like any queued bytes */
    if (c->ctl_bytes > (size_t)hub->cfg->limits.client_buffer) {
        live_client_too_slow(hub, c);
        return;
    }
    live_client_want_write(c);
}

void live_client_error(live_client *c, const char *code, const char *message)
{
    live_client_ctl(c, json_pack("{s:s,s:s,s:s}", "op", "error", "code", code, "message", message));
}

void live_client_close_after_ctl(live_client *c, int code)
{
    c->closing = true;
    c->close_code = code;
    live_client_want_write(c);
}

static live_sub *client_find_sub(live_client *c, const char *topic)
{
    for (int i = 0; i < c->nsubs; i++)
        if (strcmp(c->subs[i].doc->topic, topic) == 0) return &c->subs[i];
    return NULL;
}

static void client_drop_sub(live_t *L, live_client *c, int i)
{
    live_pace_dropped(L, &c->subs[i]);
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
    live_client_ctl(c, json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "op", "hello", "user", c->who.user,
                                 "role", cfg_role_name(c->who.role), "epoch", L->hub->epoch, "now",
                                 now, "speed", speed));
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
            live_client_error(c, "unknown_topic", m);
            continue;
        }
        if (kind == DOC_PROVINCE && c->who.halls) { /* every city's halls: not for a hall */
            livemsg_format(m, sizeof(m), "topic 'province' is not visible to %s", c->who.user);
            live_client_error(c, "forbidden", m);
            continue;
        }
        if ((kind == DOC_HALL && !auth_may_see(&c->who, hall)) ||
            (kind == DOC_WALL && c->who.halls)) { /* walls: admin, city and wall roles */
            livemsg_format(m, sizeof(m), "topic '%s' is not visible to %s", t->name, c->who.user);
            live_client_error(c, "forbidden", m);
            continue;
        }
        live_doc *d = live_doc_get(L, kind, hall, &c->who);
        if (!d) continue;
        if (live_doc_refresh(L, d, 0)) live_pace_published(L, d);
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
            uint64_t base = live_doc_resume_base(d, msg->since_rev, L->rev);
            if (base) {
                s->sent_rev = base;
                s->need_snapshot = false;
                s->recovering = true;
            }
        }
    }
    live_client_want_write(c);
}

static void op_unsubscribe(live_t *L, live_client *c, const livemsg *msg)
{
    for (size_t i = 0; i < msg->ntopics; i++) {
        const char *name = msg->topics[i].name;
        for (int k = 0; name && k < c->nsubs; k++)
            if (strcmp(c->subs[k].doc->topic, name) == 0) client_drop_sub(L, c, k--);
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
        live_client_error(c, "bad_request", "already authenticated");
        return;
    }
    bool known = tok && auth_token(L->hub->auth, tok, &c->who) >= 0;
    if (!known || c->who.role == CFG_ROLE_HALL) {
        live_client_error(c, "auth_failed",
                          tok ? "unknown or write-only token" : "auth: token missing");
        auth_failure_log(c, tok, known);
        L->hub->m.limit_1008++;
        live_client_close_after_ctl(c, LWS_CLOSE_STATUS_POLICY_VIOLATION);
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
        live_client_error(c, msg.code, msg.message);
    } else if (msg.op == LIVEMSG_AUTH) {
        op_auth(L, c, &msg);
    } else if (!c->authed) {
        live_client_error(c, "auth_required", "send {\"op\":\"auth\",\"token\":...} first");
    } else if (msg.code) {
        live_client_error(c, msg.code, msg.message);
    } else if (msg.op == LIVEMSG_SUBSCRIBE) {
        op_subscribe(L, c, &msg);
    } else if (msg.op == LIVEMSG_UNSUBSCRIBE) {
        op_unsubscribe(L, c, &msg);
    } else if (msg.op == LIVEMSG_PING) {
        live_client_ctl(c, json_pack("{s:s}", "op", "pong"));
    } else if (msg.op == LIVEMSG_REPORT) {
        json_decref(c->report);
        c->report = json_incref(msg.json);
        json_object_set_new(c->report, "received_ms", json_integer(cwt_real_ms()));
    }
    livemsg_free(&msg);
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
        int got = cw_msgbuf_add(&c->rx, lws_is_first_fragment(wsi),
                                lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi),
                                in, len, LIVE_RX_MAX);
        if (got == CW_MSG_TOO_BIG) {
            hub->m.limit_1009++;
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                             (unsigned char *)"message too large", 17);
            return -1;
        }
        if (got == CW_MSG_NOMEM) return -1;
        if (got == CW_MSG_DONE) handle_message(L, c, c->rx.buf, c->rx.len);
        return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!pss->c) return 0;
        return live_client_writeable(L, pss->c);
    case LWS_CALLBACK_CLOSED: {
        live_client *c = pss->c;
        if (!c) return 0;
        pss->c = NULL;
        for (int i = 0; i < c->nsubs; i++) {
            live_pace_dropped(L, &c->subs[i]);
            c->subs[i].doc->nsubs--;
        }
        if (c->prev)
            c->prev->next = c->next;
        else
            L->clients = c->next;
        if (c->next) c->next->prev = c->prev;
        L->nclients--;
        hub_conn_unregister(c->conn_id);
        for (int i = 0; i < c->nctl; i++)
            live_frame_free(&c->ctl[i]);
        free(c->ctl);
        free(c->subs);
        cw_msgbuf_free(&c->rx);
        json_decref(c->report);
        free(c);
        return 0;
    }
    default:
        return 0;
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
