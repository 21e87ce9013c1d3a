/* state_bin_write: the state as its binary image (state_save_bin), in the layout documented in
 * state_bin_internal.h. The reader is state_bin.c.
 *
 * Thread: the state's owner. */
#include <stdlib.h>
#include <string.h>

#include "state_bin_internal.h"
#include "xalloc.h"

/* ---------------------------------------------------------------- writer */

typedef struct wbuf {
    unsigned char *p;
    size_t n, cap;
    bool oom;
} wbuf;

/* Room for k more bytes; NULL (and oom set) when out of memory. */
static unsigned char *w_room(wbuf *w, size_t k)
{
    if (w->oom) return NULL;
    if (w->cap - w->n < k) {
        size_t ncap = w->cap ? w->cap : 1 << 16;
        while (ncap - w->n < k) {
            if (ncap > SIZE_MAX / 2) goto oom;
            ncap *= 2;
        }
        unsigned char *np = realloc(w->p, ncap);
        if (!np) goto oom;
        w->p = np;
        w->cap = ncap;
    }
    unsigned char *at = w->p + w->n;
    w->n += k;
    return at;
oom:
    w->oom = true;
    return NULL;
}

static void w_u8(wbuf *w, unsigned v)
{
    unsigned char *p = w_room(w, 1);
    if (p) *p = (unsigned char)v;
}

static void w_u32(wbuf *w, uint32_t v)
{
    unsigned char *p = w_room(w, 4);
    if (p) put32(p, v);
}

static void w_i32(wbuf *w, int32_t v)
{
    w_u32(w, (uint32_t)v);
}

static void w_u64(wbuf *w, uint64_t v)
{
    unsigned char *p = w_room(w, 8);
    if (p) put64(p, v);
}

static void w_i64(wbuf *w, int64_t v)
{
    w_u64(w, (uint64_t)v);
}

static void w_str(wbuf *w, const char *s)
{
    if (!s) {
        w_u32(w, NOSTR);
        return;
    }
    size_t n = strlen(s);
    if (n >= NOSTR) {
        w->oom = true;
        return;
    }
    unsigned char *p = w_room(w, 4 + n + 1);
    if (p) {
        put32(p, (uint32_t)n);
        memcpy(p + 4, s, n + 1);
    }
}

static void save_ticket(wbuf *w, const state_ticket *t)
{
    size_t n = strlen(t->id);
    if (n >= NOSTR) {
        w->oom = true;
        return;
    }
    unsigned char *p = w_room(w, TK_FIXED + 4 + n + 1);
    if (!p) return;
    bool visit = t->has_visit && t->visit_biz >= 0;
    put32(p, (uint32_t)t->biz);
    put32(p + 4, (uint32_t)t->window);
    put32(p + 8, (uint32_t)(visit ? t->visit_biz : -1));
    put32(p + 12, (uint32_t)(t->st == ST_WAITING ? t->widx : -1));
    put32(p + 16, (uint32_t)t->recalls);
    p[20] = (unsigned char)t->st;
    p[21] = (unsigned char)((t->unknown ? 1 : 0) | (t->entry_known ? 2 : 0) | (visit ? 4 : 0));
    p[22] = (unsigned char)(int8_t)t->channel;
    p[23] = (unsigned char)(int8_t)t->priority;
    put64(p + 24, (uint64_t)t->issued_ms);
    put64(p + 32, (uint64_t)t->entered_ms);
    put64(p + 40, (uint64_t)t->called_ms);
    put64(p + 48, (uint64_t)t->started_ms);
    put64(p + 56, (uint64_t)t->ended_ms);
    put64(p + 64, (uint64_t)(visit ? t->visit_call_ms : -1));
    put64(p + 72, (uint64_t)(visit ? t->visit_w_ms : -1));
    put32(p + TK_FIXED, (uint32_t)n);
    memcpy(p + TK_FIXED + 4, t->id, n + 1);
}

static void save_recs(wbuf *w, const state_recs *rs, bool calls)
{
    uint32_t n = 0;
    for (int i = rs->head; i < rs->n; i++)
        n += rs->r[i].valid;
    w_u32(w, n);
    for (int i = rs->head; i < rs->n; i++) {
        const state_rec *r = &rs->r[i];
        if (!r->valid) continue;
        w_i64(w, r->at_ms);
        w_i64(w, r->v_ms);
        if (calls) {
            w_u8(w, r->ok);
            w_str(w, r->t->id);
        }
    }
}

static void save_hall_body(state_t *st, int h, wbuf *w)
{
    const cfg_hall *ch = &st->cfg->halls[h];
    state_hs *hs = &st->halls[h];
    const int64_t counters[HALL_COUNTERS] = {
        hs->issued,     hs->finished, hs->no_show, hs->visits, hs->wait_sum_ms, hs->svc_n,
        hs->svc_sum_ms, hs->rv_n,     hs->rv_good, hs->rv_sat, hs->rv_bad,      hs->rv_level_sum};
    w_u64(w, hs->ver);
    w_i64(w, hs->last_event_ms);
    for (int i = 0; i < HALL_COUNTERS; i++)
        w_i64(w, counters[i]);

    w_u32(w, (uint32_t)hs->nbiz);
    for (int b = 0; b < hs->nbiz; b++)
        w_str(w, ch->biz[b].id);
    w_u32(w, (uint32_t)hs->nwin);
    for (int i = 0; i < hs->nwin; i++)
        w_str(w, ch->windows[i].id);
    w_u32(w, (uint32_t)hs->ncam);
    for (int c = 0; c < hs->ncam; c++)
        w_str(w, ch->cameras[c].id);

    const state_map *tm = &hs->tickets;
    w_u32(w, tm->cap);
    w_u32(w, tm->n);
    w_u32(w, (uint32_t)hs->nwaiting);
    for (uint32_t k = 0, s = map_walk_start(tm); k < tm->cap; k++) {
        const state_map_entry *e = &tm->e[(s + 1 + k) & (tm->cap - 1)];
        if (e->key) save_ticket(w, e->val);
    }

    for (int b = 0; b < hs->nbiz; b++) {
        state_biz *bz = &hs->biz[b];
        state_recs_prune(&bz->calls, st->now_ms);
        state_recs_prune(&bz->fins, st->now_ms);
        w_i64(w, bz->issued);
        w_i64(w, bz->visits);
        w_i64(w, bz->wait_sum_ms);
        save_recs(w, &bz->calls, true);
        save_recs(w, &bz->fins, false);
    }

    for (int i = 0; i < hs->nwin; i++) {
        const state_window *sw = &hs->win[i];
        w_u8(w, (unsigned)sw->status);
        w_i32(w, sw->reason);
        w_str(w, sw->staff);
        w_str(w, sw->ticket ? sw->ticket->id : NULL);
        w_i64(w, sw->since_ms);
        w_i64(w, sw->served);
        w_i64(w, sw->svc_n);
        w_i64(w, sw->svc_sum_ms);
        w_i64(w, sw->no_show);
        w_i64(w, sw->calls);
    }

    for (int c = 0; c < hs->ncam; c++) {
        w_i32(w, hs->cam[c].status);
        w_i64(w, hs->cam[c].since_ms);
        w_str(w, hs->cam[c].main_url);
        w_str(w, hs->cam[c].sub_url);
    }

    const state_map *rm = &hs->review_ids;
    w_u32(w, rm->cap);
    w_u32(w, rm->n);
    for (uint32_t k = 0, s = map_walk_start(rm); k < rm->cap; k++) {
        const state_map_entry *e = &rm->e[(s + 1 + k) & (rm->cap - 1)];
        if (e->key) w_str(w, e->key);
    }

    w_u32(w, (uint32_t)hs->nlast);
    for (int i = 0; i < hs->nlast; i++) {
        const state_review *r = &hs->last[i];
        w_str(w, r->id);
        w_i32(w, r->level);
        w_i64(w, r->at_ms);
        w_i32(w, r->channel);
        w_str(w, r->window);
        w_str(w, r->staff);
        w_str(w, r->comment);
        w_u8(w, (r->real_name ? 1u : 0u) | (r->upheld ? 2u : 0u));
    }

    w_u32(w, (uint32_t)hs->ncases);
    for (int i = 0; i < hs->ncases; i++) {
        const state_case *c = hs->cases[i];
        w_str(w, c->review);
        w_i32(w, c->level);
        w_i32(w, c->date);
        w_i64(w, c->at_ms);
        w_i32(w, c->state);
        w_u8(w, (c->real_name ? 1u : 0u) | (c->contacted ? 2u : 0u) | (c->upheld ? 4u : 0u));
        w_i64(w, c->contact_deadline_ms);
        w_i64(w, c->rectify_deadline_ms);
    }

    w_u32(w, (uint32_t)hs->nclosures);
    for (int i = 0; i < hs->nclosures; i++) {
        w_i64(w, hs->closures[i].from_ms);
        w_i64(w, hs->closures[i].to_ms);
        w_str(w, hs->closures[i].reason);
    }
}

int state_save_bin(state_t *st, unsigned char **buf, size_t *len)
{
    wbuf w = {0};
    size_t guess = 256;
    for (int h = 0; h < st->nhalls; h++)
        guess += 1024 + (size_t)st->halls[h].tickets.n * (TK_MIN + 16);
    if (!(w.p = malloc(guess))) return -1;
    w.cap = guess;

    unsigned char *p = w_room(&w, 8);
    memcpy(p, BIN_MAGIC, 4);
    put32(p + 4, BIN_VERSION);
    w_i64(&w, st->now_ms);
    w_i32(&w, st->day);
    w_u64(&w, st->ver);
    w_i64(&w, st->last_sec);
    w_i64(&w, st->last_min);
    w_u64(&w, st->stats.applied);
    w_u64(&w, st->stats.unknown_tickets);
    w_u64(&w, st->stats.late_events);
    w_u64(&w, st->stats.bad_transitions);
    w_u32(&w, (uint32_t)st->nhalls);
    for (int h = 0; h < st->nhalls; h++) {
        w_str(&w, st->cfg->halls[h].id);
        w_u64(&w, 0);
        size_t body = w.n;
        save_hall_body(st, h, &w);
        if (w.oom) goto fail;
        put64(w.p + body - 8, (uint64_t)(w.n - body));
    }
    w_u64(&w, fnv1a64(w.p, w.n));
    if (w.oom) goto fail;
    *buf = w.p;
    *len = w.n;
    return 0;
fail:
    free(w.p);
    return -1;
}
