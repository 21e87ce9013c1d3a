/* live_send: what a writeable /live connection sends next -- a control reply, the shared frame
 * of a delta, one merged delta for a client that is behind, a snapshot, or `recovered` -- and
 * when a max_hz subscription may be sent again. See live.h (design).
 *
 * Thread: service thread. */
#include <string.h>

#include "live_internal.h"
#include "mergepatch.h"

bool live_sub_pending(const live_sub *s)
{
    return s->need_snapshot || s->sent_rev < s->doc->rev || s->recovering;
}

bool live_client_has_pending(live_client *c)
{
    if (c->nctl) return true;
    for (int i = 0; i < c->nsubs; i++)
        if (live_sub_pending(&c->subs[i])) return true;
    return false;
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

/* Send the next message of subscription s (one lws_write). */
static int send_sub(live_t *L, live_client *c, live_sub *s)
{
    live_doc *d = s->doc;
    int64_t t = live_now_us();
    s->last_sent_us = t;
    if (!s->need_snapshot && s->sent_rev < d->rev) {
        int from = -1;
        for (int i = d->ring_n - 1; i >= 0; i--)
            if (live_ring_at(d, i)->prev_rev == s->sent_rev) {
                from = i;
                break;
            }
        if (from == d->ring_n - 1) { /* in step: the shared bytes */
            entry *e = live_ring_at(d, from);
            if (write_frame(L, c, &e->fr) < 0) return -1;
            if (e->ack_us) hub_hist_add(&L->hub->m.fanout_ms, (double)(t - e->ack_us) / 1000.0);
            L->hub->m.live_deltas++;
            s->sent_rev = d->rev;
            live_pace_sent(L, s);
            return 0;
        }
        for (int i = 0; from >= 0 && i < LIVE_MERGED_CACHE; i++) {
            if (d->merged[i].from != s->sent_rev || d->merged[i].to != d->rev) continue;
            if (write_frame(L, c, &d->merged[i].fr) < 0) return -1;
            int64_t ack = live_ring_at(d, from)->ack_us;
            if (ack) hub_hist_add(&L->hub->m.fanout_ms, (double)(t - ack) / 1000.0);
            L->hub->m.live_merged++;
            s->sent_rev = d->rev;
            live_pace_sent(L, s);
            return 0;
        }
        json_t *acc = NULL;
        if (from >= 0) {
            acc = json_deep_copy(live_ring_at(d, from)->patch);
            for (int i = from + 1; acc && i < d->ring_n; i++) {
                json_t *next =
                    mp_compose(acc, live_ring_at(d, i)->patch); /* NULL: not expressible */
                json_decref(acc);
                acc = next;
            }
        }
        if (acc) { /* behind: one merged delta for this client */
            json_t *msg = json_pack("{s:s,s:s,s:s,s:I,s:o}", "op", "delta", "topic", d->topic,
                                    "epoch", L->hub->epoch, "rev", (json_int_t)d->rev, "data", acc);
            int k = d->merged_next;
            d->merged_next = (k + 1) % LIVE_MERGED_CACHE;
            live_frame_free(&d->merged[k].fr);
            d->merged[k].fr = live_frame_from_json(msg);
            d->merged[k].from = s->sent_rev;
            d->merged[k].to = d->rev;
            json_decref(msg);
            if (write_frame(L, c, &d->merged[k].fr) < 0) return -1;
            int64_t ack = live_ring_at(d, from)->ack_us;
            if (ack) hub_hist_add(&L->hub->m.fanout_ms, (double)(t - ack) / 1000.0);
            L->hub->m.live_merged++;
            s->sent_rev = d->rev;
            live_pace_sent(L, s);
            return 0;
        }
        s->need_snapshot = true; /* history gone */
        s->recovering = false;
    }
    if (s->need_snapshot) {
        if (write_frame(L, c, live_doc_snapshot_frame(L, d)) < 0) return -1;
        L->hub->m.live_snapshots++;
        s->need_snapshot = false;
        s->sent_rev = d->rev;
        live_pace_sent(L, s);
        return 0;
    }
    if (s->recovering) {
        json_t *msg = json_pack("{s:s,s:s,s:I}", "op", "recovered", "topic", d->topic, "rev",
                                (json_int_t)s->sent_rev);
        frame fr = live_frame_from_json(msg);
        json_decref(msg);
        int rc = write_frame(L, c, &fr);
        live_frame_free(&fr);
        s->recovering = false;
        return rc;
    }
    return 0;
}

/* A max_hz subscription may be sent again one period after its last message; a doc publish
 * that falls within a slack of half a tick (at most a quarter period) before that moment is
 * taken at once. A doc with only max_hz subscribers is published on ticks (live_pace.c), so
 * without the slack a client whose period ends just after a publish waits for the next one,
 * and an event could wait a doc tick plus a period plus a tick (150 ms at max_hz 10). With it
 * the sends fall on every (period / tick)-th publish: ~max_hz per second, never closer than
 * 3/4 of a period. */
bool live_sub_due(const live_t *L, const live_sub *s, int64_t t)
{
    if (!s->max_hz || s->need_snapshot || s->recovering) return true;
    int64_t period = 1000000 / s->max_hz, slack = (int64_t)L->hub->cfg->tick_ms * 500;
    if (slack > period / 4) slack = period / 4;
    int64_t since = t - s->last_sent_us, early = s->last_sent_us + period - slack;
    if (since >= period) return true;
    return since >= period - slack && s->doc->last_pub_us >= early;
}

int live_client_writeable(live_t *L, live_client *c)
{
    c->last_writable_ms = cwt_mono_ms();
    if (c->nctl) {
        frame f = c->ctl[0];
        memmove(c->ctl, c->ctl + 1, sizeof(frame) * (c->nctl - 1));
        c->nctl--;
        c->ctl_bytes -= f.len;
        int rc = write_frame(L, c, &f);
        live_frame_free(&f);
        if (rc < 0) return -1;
        if (c->nctl || c->closing || live_client_has_pending(c)) live_client_want_write(c);
        return 0;
    }
    if (c->closing) {
        bool slow = c->close_code == LIVE_CLOSE_TOO_SLOW;
        if (slow) {
            /* its socket is full: the frame goes behind what lws holds for it, and the client
             * is dropped when it answers the close or at the too-slow grace timeout (set when it
             * was judged); returning -1 here would drop what lws holds, the frame with it */
            if (!c->close_sent) hub_ws_write_close(c->wsi, c->close_code, "too_slow");
            c->close_sent = true;
            return 0;
        }
        hub_ws_write_close(c->wsi, c->close_code, NULL);
        return -1;
    }
    /* The pending subscription with the lowest target rev: a connection sees revs in order,
     * so its highest rev received is a valid resume point for all its topics. */
    int64_t t = live_now_us();
    live_sub *best = NULL;
    for (int i = 0; i < c->nsubs; i++) {
        live_sub *s = &c->subs[i];
        if (!live_sub_pending(s)) continue;
        if (!live_sub_due(L, s, t)) {
            live_arm_due(L);
            continue;
        }
        if (!best || s->doc->rev < best->doc->rev) best = s;
    }
    if (!best) return 0;
    if (send_sub(L, c, best) < 0) return -1;
    for (int i = 0; i < c->nsubs; i++)
        if (live_sub_pending(&c->subs[i]) && live_sub_due(L, &c->subs[i], t)) {
            live_client_want_write(c);
            break;
        }
    return 0;
}

/* A max_hz subscription with a change waiting is sent when its period has passed. Its slot is
 * looked for every LIVE_DUE_QUANTUM_US while any such wait exists (one scan of the clients,
 * not a timer per client), so the wait is the period plus at most one quantum; at the 50 ms
 * tick alone it could be the period plus most of a tick (150 ms at max_hz 10). */
#define LIVE_DUE_QUANTUM_US 10000

static void due_cb(lws_sorted_usec_list_t *sul);

void live_arm_due(live_t *L)
{
    if (L->due_armed || !L->started) return;
    L->due_armed = true;
    lws_sul_schedule(L->hub->lws, 0, &L->sul_due, due_cb, LIVE_DUE_QUANTUM_US);
}

static void due_cb(lws_sorted_usec_list_t *sul)
{
    live_t *L = lws_container_of(sul, live_t, sul_due);
    L->due_armed = false;
    int64_t t = live_now_us();
    bool waiting = false;
    for (live_client *c = L->clients; c; c = c->next) {
        if (c->closing) continue;
        for (int i = 0; i < c->nsubs; i++) {
            live_sub *s = &c->subs[i];
            if (!s->max_hz || !live_sub_pending(s)) continue;
            if (live_sub_due(L, s, t)) {
                live_client_want_write(c);
                break;
            }
            waiting = true;
        }
    }
    if (waiting) live_arm_due(L);
}
