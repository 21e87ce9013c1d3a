/* live_pace: when a doc whose state moved is published, and the publishing itself
 * (live_pace_publish_due; embedded mode -- cluster mode publishes at the log's positions,
 * live.c). See live.h (design: pacing).
 *
 * The rule. A doc whose state moved is published
 *   - at once when its last publish is a tick (tick_ms) old: the leading edge, as before;
 *   - else at once when its last delta has drained -- been written to (almost) every
 *     subscription that was in step when it was published (held the rev before it and takes
 *     every delta: no max_hz, no snapshot or resume pending); at most
 *     pace_total / LIVE_PACE_STRAGGLERS of them may still be waiting -- and the doc's fan-out
 *     budget allows it: at least pace_total x LIVE_PACE_US_PER_MSG after its last publish;
 *   - else when it drains (live_pace_sent asks for a publish then) or when that budget
 *     allows, and at the latest a tick after its last publish, when it goes out anyway
 *     (subscriptions still behind then get one merged delta when they can take it).
 * A doc without in-step subscriptions to wait for (max_hz only, all behind, or no delta yet)
 * keeps the tick: at once when its last publish is a tick old, else one tick after it.
 *
 * So on an idle hub with a few hundred clients every commit goes out at once as its own rev;
 * as sends back up (a busy loop, a wide fan-out) the changes made meanwhile merge into the
 * next delta, and a wide fan-out is never published more often than the budget allows.
 *
 * Thread: service thread. */
#include "live_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* A doc counts as drained with at most this share (1/n) of its counted subscriptions still
 * waiting: a few stuck or slow clients do not hold a doc back to the tick. */
#define LIVE_PACE_STRAGGLERS 32
/* The fan-out budget of a doc: a publish sent to n in-step subscriptions is followed by the
 * next one no sooner than n x this many us, i.e. at most 40,000 shared frames a second per
 * doc: 200 clients get every commit up to 200 a second (5 ms apart), 2,000 clients at most
 * 20 publishes a second (50 ms, the old tick), so the wire and the hub's CPU per event do not
 * grow where the fan-out is wide (BENCHMARKS.md, "Adaptive pacing"). */
#define LIVE_PACE_US_PER_MSG 25

static bool drained(const live_doc *d)
{
    return d->pace_rev == d->rev && d->pace_total > 0 &&
           d->pace_left <= d->pace_total / LIVE_PACE_STRAGGLERS;
}

int64_t live_pace_due(const live_doc *d, int64_t now, int64_t tick_us)
{
    if (now - d->last_pub_us >= tick_us) return now;
    if (!drained(d)) return d->last_pub_us + tick_us;
    int64_t floor = d->last_pub_us + (int64_t)d->pace_total * LIVE_PACE_US_PER_MSG;
    if (floor > d->last_pub_us + tick_us) floor = d->last_pub_us + tick_us;
    return now >= floor ? now : floor;
}

void live_pace_published(live_t *L, live_doc *d)
{
    uint64_t prev_rev = live_ring_at(d, d->ring_n - 1)->prev_rev; /* the delta just added */
    int n = 0;
    for (live_client *c = L->clients; c; c = c->next) {
        for (int i = 0; i < c->nsubs; i++) {
            live_sub *s = &c->subs[i];
            if (s->doc != d) continue;
            live_client_want_write(c);
            /* in step: it held the rev before and takes every delta, so it is sent the shared
             * frame; one already behind gets a merged delta whenever it can take one, and
             * waiting for it would only hold back the others */
            s->pace_wait = !s->max_hz && !c->closing && !s->need_snapshot && !s->recovering &&
                           s->sent_rev == prev_rev;
            n += s->pace_wait;
            break;
        }
    }
    d->pace_rev = d->rev;
    d->pace_total = d->pace_left = n;
}

/* One counted subscription no longer waits for the doc's last delta. True when that made the
 * doc drained. */
static bool pace_done(live_sub *s)
{
    live_doc *d = s->doc;
    if (!s->pace_wait) return false;
    s->pace_wait = false;
    if (d->pace_rev != d->rev || d->pace_left <= 0) return false;
    d->pace_left--;
    return d->pace_left == d->pace_total / LIVE_PACE_STRAGGLERS;
}

void live_pace_sent(live_t *L, live_sub *s)
{
    live_doc *d = s->doc;
    if (pace_done(s) && d->built && live_doc_version(L, d) != d->built_version)
        live_publish_soon(L);
}

void live_pace_dropped(live_t *L, live_sub *s)
{
    live_pace_sent(L, s);
}

/* ---- publishing (embedded mode) ---------------------------------------------------------- */

static void defer_cb(lws_sorted_usec_list_t *sul);

/* Publish every doc whose state moved and that is due (live_pace.c: its last delta drained,
 * or its last publish is a tick old). A doc not due yet is published when it drains
 * (live_publish_soon) or at its last publish + a tick (sul_defer), whichever comes first. */
void live_pace_publish_due(live_t *L)
{
    int64_t t = live_now_us();
    int64_t tick = (int64_t)L->hub->cfg->tick_ms * 1000;
    int64_t first_due = 0;
    if (L->positional) return; /* live_publish_at */
    for (live_doc *d = L->docs; d; d = d->next) {
        if (!d->nsubs) continue;
        if (d->built && live_doc_version(L, d) == d->built_version) continue;
        int64_t due = live_pace_due(d, t, tick);
        if (due > t) {
            if (!first_due || due < first_due) first_due = due;
            continue;
        }
        if (live_doc_refresh(L, d, 0)) live_pace_published(L, d);
    }
    if (!first_due) {
        L->unpublished_ack_us = 0;
    } else if (L->started) {
        lws_sul_schedule(L->hub->lws, 0, &L->sul_defer, defer_cb, (lws_usec_t)(first_due - t));
    }
    live_check_assert(L);
}

void live_publish_soon(live_t *L)
{
    if (L->started && !L->positional) lws_sul_schedule(L->hub->lws, 0, &L->sul_defer, defer_cb, 0);
}

static void defer_cb(lws_sorted_usec_list_t *sul)
{
    live_t *L = lws_container_of(sul, live_t, sul_defer);
    live_pace_publish_due(L);
}
