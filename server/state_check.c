/* state_check: the invariants of state_internal.h, checked in code.
 *
 * O(tickets + records): for the unit tests after every scenario, and in the sanitizer build
 * after every applied batch (ingest.c, CW_CHECK_INVARIANTS), never on the optimised hub's hot
 * path. */
#include "state_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const state_t *st, int h, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "state invariant broken in hall %s: %s",
             h >= 0 && h < st->cfg->nhalls ? st->cfg->halls[h].id : "?", what);
    return -1;
}

/* Invariant 4 for one record list. */
static int check_recs(const state_t *st, int h, const state_recs *rs, const char *name, char *err,
                      size_t errlen)
{
    if (rs->head < 0 || rs->head > rs->n || rs->n > rs->cap)
        return fail(err, errlen, st, h, "%s: head %d, n %d, cap %d", name, rs->head, rs->n,
                    rs->cap);
    int64_t wn = 0, wok = 0, wsum = 0;
    for (int i = rs->head; i < rs->n; i++) {
        const state_rec *r = &rs->r[i];
        if (i > rs->head && rs->r[i - 1].at_ms > r->at_ms)
            return fail(err, errlen, st, h, "%s: records not sorted at %d", name, i);
        if (!r->valid) continue;
        wn++;
        wok += r->ok;
        wsum += r->v_ms;
    }
    if (wn != rs->wn || wok != rs->wok || wsum != rs->wsum)
        return fail(err, errlen, st, h, "%s: counters %lld/%lld/%lld, records %lld/%lld/%lld", name,
                    (long long)rs->wn, (long long)rs->wok, (long long)rs->wsum, (long long)wn,
                    (long long)wok, (long long)wsum);
    return 0;
}

static int check_hall(const state_t *st, int h, char *err, size_t errlen)
{
    const state_hs *hs = &st->halls[h];
    /* 1. every ticket is in the map under its own id */
    int64_t waiting = 0, serving = 0, suspended = 0;
    int64_t *biz_waiting = calloc(hs->nbiz > 0 ? (size_t)hs->nbiz : 1, sizeof *biz_waiting);
    if (!biz_waiting) return 0; /* no memory to check with: not a broken invariant */
    int rc = 0;
    uint32_t found = 0;
    for (uint32_t i = 0; i < hs->tickets.cap && !rc; i++) {
        const state_map_entry *e = &hs->tickets.e[i];
        if (!e->key) continue;
        found++;
        const state_ticket *t = e->val;
        if (!t || !t->id || strcmp(t->id, e->key) != 0) {
            rc = fail(err, errlen, st, h, "ticket map entry %s holds another ticket", e->key);
            break;
        }
        if (t->biz < 0 || t->biz >= hs->nbiz) {
            rc = fail(err, errlen, st, h, "ticket %s: biz %d", t->id, t->biz);
            break;
        }
        /* 2. waiting[] holds exactly the waiting tickets, at their widx */
        bool in_waiting = t->widx >= 0 && t->widx < hs->nwaiting && hs->waiting[t->widx] == t;
        if ((t->st == ST_WAITING) != in_waiting) {
            rc = fail(err, errlen, st, h, "ticket %s: state %d but widx %d", t->id, t->st, t->widx);
            break;
        }
        if (t->st == ST_WAITING) {
            waiting++;
            biz_waiting[t->biz]++;
        }
        serving += t->st == ST_SERVING;
        suspended += t->st == ST_SUSPENDED;
    }
    if (!rc && found != hs->tickets.n)
        rc = fail(err, errlen, st, h, "ticket map counts %u entries, holds %u", hs->tickets.n,
                  found);
    if (!rc && waiting != hs->nwaiting)
        rc = fail(err, errlen, st, h, "%d in waiting[], %lld tickets waiting", hs->nwaiting,
                  (long long)waiting);
    if (!rc && (serving != hs->serving || suspended != hs->suspended))
        rc = fail(err, errlen, st, h, "serving %lld / suspended %lld counted, %lld / %lld held",
                  (long long)hs->serving, (long long)hs->suspended, (long long)serving,
                  (long long)suspended);
    for (int b = 0; b < hs->nbiz && !rc; b++)
        if (hs->biz[b].waiting != biz_waiting[b])
            rc = fail(err, errlen, st, h, "biz %d: waiting %lld counted, %lld held", b,
                      (long long)hs->biz[b].waiting, (long long)biz_waiting[b]);
    free(biz_waiting);
    if (rc) return rc;
    /* 3. a window's ticket is one of this hall's */
    for (int w = 0; w < hs->nwin; w++) {
        const state_ticket *t = hs->win[w].ticket;
        if (t && state_map_get(&hs->tickets, t->id) != t)
            return fail(err, errlen, st, h, "window %d holds a ticket the hall does not", w);
    }
    /* 4. record lists */
    for (int b = 0; b < hs->nbiz; b++)
        if (check_recs(st, h, &hs->biz[b].calls, "calls", err, errlen) < 0 ||
            check_recs(st, h, &hs->biz[b].fins, "finishes", err, errlen) < 0)
            return -1;
    /* 5. versions */
    if (hs->ver > st->ver)
        return fail(err, errlen, st, h, "hall version %llu above the city's %llu",
                    (unsigned long long)hs->ver, (unsigned long long)st->ver);
    return 0;
}

int state_check(const state_t *st, char *err, size_t errlen)
{
    if (!st->cfg || st->nhalls != st->cfg->nhalls) {
        snprintf(err, errlen, "state invariant broken: %d halls for a config of %d", st->nhalls,
                 st->cfg ? st->cfg->nhalls : -1);
        return -1;
    }
    for (int h = 0; h < st->nhalls; h++)
        if (check_hall(st, h, err, errlen) < 0) return -1;
    return 0;
}
