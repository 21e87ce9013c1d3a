/* live_pace: when a doc whose state moved is published (embedded mode; cluster mode publishes
 * at the log's positions, live.c). See live.h (design: pacing).
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

void live_pace_published(live_t *L, live_doc *d, uint64_t prev_rev)
{
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
