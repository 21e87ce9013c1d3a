/* live: the /live fan-out's publishing (pacing, the log's positions in cluster mode), its
 * lifecycle and reconfiguration, and its statistics. Documents are in live_doc.c, connections in
 * live_client.c, sending in live_send.c. See live.h.
 *
 * Thread: service thread. */
#include "live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live_internal.h"
#include "xalloc.h"

static int parse_topic(live_t *L, const char *t, int *kind, int *hall)
{
    return livemsg_topic_parse(L->hub->cfg, t, kind, hall);
}

/* ---- tick ------------------------------------------------------------------------------- */

void live_tick(live_t *L)
{
    hub_t *hub = L->hub;
    live_pace_publish_due(L);
    int64_t ms = cwt_mono_ms(), t = live_now_us();
    for (live_client *c = L->clients, *next; c; c = next) {
        next = c->next;
        if (!c->authed && !c->closing && ms - c->connected_ms > LIVE_AUTH_TIMEOUT_MS) {
            live_client_error(c, "auth_required", "no auth within 5 s");
            hub->m.limit_1008++;
            live_client_close_after_ctl(c, LWS_CLOSE_STATUS_POLICY_VIOLATION);
            continue;
        }
        bool pending = live_client_has_pending(c);
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
                live_client_too_slow(hub, c);
            c->last_writable_ms = ms;
            continue;
        }
        for (int i = 0; i < c->nsubs; i++)
            if (c->subs[i].max_hz && live_sub_pending(&c->subs[i]) &&
                live_sub_due(L, &c->subs[i], t)) {
                live_client_want_write(c);
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
    live_pace_publish_due(L); /* at once if due (live_pace.c), else when drained or a tick old */
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
        live_doc_get(L, DOC_CITY, -1, &who);
        live_doc_get(L, DOC_ALERTS, -1, &who);
        if (cfg->province.name) live_doc_get(L, DOC_PROVINCE, -1, &who);
        for (int h = 0; h < cfg->nhalls; h++)
            live_doc_get(L, DOC_HALL, h, &who);
    }
    for (live_doc *d = L->docs; d; d = d->next)
        live_doc_refresh(L, d, 0);
}

void live_publish_at(live_t *L, uint64_t pos)
{
    if (pos <= L->rev) return;
    for (live_doc *d = L->docs; d; d = d->next)
        if (live_doc_refresh(L, d, pos)) live_pace_published(L, d);
    L->rev = pos;
    L->unpublished_ack_us = 0;
    live_check_assert(L);
}

void live_note_ack(live_t *L, int64_t mono_us)
{
    if (!L->unpublished_ack_us) L->unpublished_ack_us = mono_us;
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
        live_doc_free(d);
    }
    free(L);
}

void live_shutdown(live_t *L)
{
    for (live_client *c = L->clients; c; c = c->next) {
        c->closing = true;
        c->close_code = LWS_CLOSE_STATUS_GOINGAWAY;
        c->nctl = 0;
        live_client_want_write(c);
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
                live_client_error(c, "unknown_topic",
                                  "topic no longer exists after a config reload");
                continue;
            }
            c->subs[c->nsubs].doc = NULL;
            c->subs[c->nsubs].max_hz = hz[i];
            c->subs[c->nsubs].sent_rev = 0;
            c->subs[c->nsubs].need_snapshot = true;
            c->subs[c->nsubs].recovering = false;
            c->subs[c->nsubs].last_sent_us = 0;
            c->subs[c->nsubs].pace_wait = false;
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
        live_doc_free(d);
    }
    L->docs = NULL;
    for (live_client *c = L->clients; c; c = c->next) {
        for (int i = 0; i < c->nsubs; i++) {
            int kind = DOC_CITY, hall = -1;
            parse_topic(L, c->subs[i].doc_topic_tmp, &kind, &hall);
            live_doc *d = live_doc_get(L, kind, hall, &c->who);
            if (!d) {
                c->subs[i--] = c->subs[--c->nsubs];
                continue;
            }
            c->subs[i].doc = d;
            d->nsubs++;
            if (live_doc_refresh(L, d, 0)) live_pace_published(L, d);
        }
        live_client_want_write(c);
    }
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
