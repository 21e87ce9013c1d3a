/* gw_take: map + commit one delivery of vendor records; see gw_take.h. */
#include "gw_take.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_map.h"

int gw_take_begin(gw_taker *t)
{
    pthread_mutex_lock(&t->h->mu);
    bool full = t->h->full;
    pthread_mutex_unlock(&t->h->mu);
    if (full) return -2;
    t->pending = t->pending_q = 0;
    return gw_outbox_begin(t->ob);
}

int gw_take_record(gw_taker *t, const gw_input *in, json_t *rec, const char *ref, char *why,
                   size_t whylen)
{
    char err[600], rref[200], rid[200];
    gw_map_ref(in, rec, ref, rref, sizeof rref);
    const char *id = in->dedupe_days > 0 ? gw_map_id(in, rec, rid, sizeof rid) : NULL;
    if (id) {
        int seen = gw_outbox_seen(t->ob, in->name, id, false);
        if (seen < 0) return -1;
        if (seen) return 2; /* a repeat of a record taken before (the vendor retried) */
    }
    json_t *ev = gw_map_record(in, t->cfg->city, rec, rref, err, sizeof err);
    if (ev) {
        int rc = gw_outbox_add(t->ob, ev, NULL);
        json_decref(ev);
        if (rc < 0 || (id && gw_outbox_seen(t->ob, in->name, id, true) < 0)) return -1;
        t->pending++;
        return 1;
    }
    char *text = json_is_object(rec) ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc = gw_outbox_quarantine(t->ob, in->name, rref, err, text);
    free(text);
    if (rc < 0) return -1;
    t->pending_q++;
    if (why) snprintf(why, whylen, "%s", err);
    fprintf(stderr, "citywall-gateway: quarantined: %s\n", err);
    return 0;
}

int gw_take_bad(gw_taker *t, const gw_input *in, const char *ref, const char *reason,
                const char *raw)
{
    char err[600];
    snprintf(err, sizeof err, "input %s: record %s: %s", in->name, ref, reason);
    if (gw_outbox_quarantine(t->ob, in->name, ref, err, raw) < 0) return -1;
    t->pending_q++;
    fprintf(stderr, "citywall-gateway: quarantined: %s\n", err);
    return 0;
}

int gw_take_commit(gw_taker *t)
{
    if (gw_outbox_commit(t->ob) < 0) {
        fprintf(stderr, "citywall-gateway: outbox commit failed: %s\n", gw_outbox_errmsg(t->ob));
        return -1;
    }
    pthread_mutex_lock(&t->h->mu);
    t->h->taken += t->pending;
    t->h->map_errors += t->pending_q;
    t->h->quarantined += t->pending_q;
    t->h->depth += t->pending;
    pthread_mutex_unlock(&t->h->mu);
    if (t->pending) gw_forward_kick(t->fwd);
    t->pending = t->pending_q = 0;
    return 0;
}

void gw_take_rollback(gw_taker *t)
{
    gw_outbox_rollback(t->ob);
    t->pending = t->pending_q = 0;
}
