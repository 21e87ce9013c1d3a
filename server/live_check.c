/* live_check: the invariants of live_internal.h, checked in code. Called after every publish in
 * the sanitizer build (CW_CHECK_INVARIANTS) and by the unit tests, never on the optimised hub's
 * hot path.
 *
 * Thread: service thread. */
#include <stdio.h>
#include <stdlib.h>

#include "live_internal.h"

static int fail(char *err, size_t errlen, const live_doc *d, const char *what, unsigned long long a,
                unsigned long long b)
{
    snprintf(err, errlen, "live invariant broken: doc %s: %s (%llu, %llu)", d ? d->key : "-", what,
             a, b);
    return -1;
}

static int check_ring(const live_doc *d, char *err, size_t errlen)
{
    size_t bytes = 0;
    if (d->ring_n < 0 || d->ring_n > LIVE_RING_CAP)
        return fail(err, errlen, d, "ring count out of range", (unsigned long long)d->ring_n,
                    LIVE_RING_CAP);
    for (int i = 0; i < d->ring_n; i++) {
        const entry *e = &d->ring[(d->ring_head + i) % LIVE_RING_CAP];
        bytes += e->fr.len;
        if (e->prev_rev >= e->rev)
            return fail(err, errlen, d, "a delta's rev not above the one it follows", e->rev,
                        e->prev_rev);
        if (i > 0) {
            const entry *p = &d->ring[(d->ring_head + i - 1) % LIVE_RING_CAP];
            if (e->prev_rev != p->rev)
                return fail(err, errlen, d, "a delta does not follow the one before it",
                            e->prev_rev, p->rev);
        }
    }
    if (d->ring_n) {
        const entry *last = &d->ring[(d->ring_head + d->ring_n - 1) % LIVE_RING_CAP];
        if (last->rev != d->rev)
            return fail(err, errlen, d, "the newest delta is not at the doc's rev", last->rev,
                        d->rev);
    }
    if (bytes != d->ring_bytes)
        return fail(err, errlen, d, "ring bytes differ from the entries' sum", d->ring_bytes,
                    bytes);
    return 0;
}

/* Pacing (live_pace.c): a doc's pace_left is the number of its subscriptions still counted
 * (pace_wait), at most pace_total; none is counted for a doc not published since its build. */
static int check_pace(live_t *L, char *err, size_t errlen)
{
    for (live_doc *d = L->docs; d; d = d->next)
        d->check_subs = 0;
    for (live_client *c = L->clients; c; c = c->next)
        for (int i = 0; i < c->nsubs; i++)
            c->subs[i].doc->check_subs += c->subs[i].pace_wait;
    for (live_doc *d = L->docs; d; d = d->next) {
        int left = d->pace_rev == d->rev ? d->pace_left : 0;
        if (d->check_subs != left)
            return fail(err, errlen, d, "pace_left differs from the subscriptions counted",
                        (unsigned long long)left, (unsigned long long)d->check_subs);
        if (d->pace_left < 0 || d->pace_left > d->pace_total)
            return fail(err, errlen, d, "pace_left out of range", (unsigned long long)d->pace_left,
                        (unsigned long long)d->pace_total);
    }
    return 0;
}

int live_check(live_t *L, char *err, size_t errlen)
{
    for (live_doc *d = L->docs; d; d = d->next)
        d->check_subs = 0;
    for (live_client *c = L->clients; c; c = c->next)
        for (int i = 0; i < c->nsubs; i++)
            c->subs[i].doc->check_subs++;
    for (live_doc *d = L->docs; d; d = d->next) {
        if (check_ring(d, err, errlen) < 0) return -1;
        if (d->rev > L->rev)
            return fail(err, errlen, d, "doc rev above the fan-out's rev", d->rev, L->rev);
        if (d->check_subs != d->nsubs)
            return fail(err, errlen, d, "nsubs differs from the subscriptions pointing at it",
                        (unsigned long long)d->nsubs, (unsigned long long)d->check_subs);
    }
    if (check_pace(L, err, errlen) < 0) return -1;
    int n = 0;
    for (live_client *c = L->clients; c; c = c->next, n++)
        for (int i = 0; i < c->nsubs; i++)
            if (c->subs[i].sent_rev > c->subs[i].doc->rev)
                return fail(err, errlen, c->subs[i].doc, "a client was sent a rev the doc lacks",
                            c->subs[i].sent_rev, c->subs[i].doc->rev);
    if (n != L->nclients)
        return fail(err, errlen, NULL, "client count differs from the list",
                    (unsigned long long)L->nclients, (unsigned long long)n);
    return 0;
}

void live_check_assert(live_t *L)
{
#ifdef CW_CHECK_INVARIANTS
    char why[300];
    if (live_check(L, why, sizeof(why)) < 0) {
        fprintf(stderr, "citywall-hub: %s\n", why);
        abort();
    }
#else
    (void)L;
#endif
}
