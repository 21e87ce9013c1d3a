/* state_bin: reading the state's binary image back (state_load_bin, state_reload_bin) and a
 * config reload through it (state_reconfigure). An image is disk input, so the reader trusts
 * nothing in it: every read is bounds-checked, every count checked against the bytes left
 * before anything is allocated for it, every enum against its range, and the whole image
 * against a trailing checksum before any of it is used. The layout is documented in
 * state_bin_internal.h; the writer is state_bin_write.c. */
#include "state_bin_internal.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- reader */

/* A cursor over untrusted bytes. Reading past the end sets `bad` and yields zeros / NULL,
 * so a parser may read a whole record and test `bad` once before using it. */
typedef struct rbuf {
    const unsigned char *p, *end;
    bool bad;
} rbuf;

static const unsigned char *r_take(rbuf *r, size_t k)
{
    if (r->bad || (size_t)(r->end - r->p) < k) {
        r->bad = true;
        return NULL;
    }
    const unsigned char *q = r->p;
    r->p += k;
    return q;
}

static size_t r_left(const rbuf *r)
{
    return r->bad ? 0 : (size_t)(r->end - r->p);
}

static unsigned r_u8(rbuf *r)
{
    const unsigned char *q = r_take(r, 1);
    return q ? *q : 0;
}

static uint32_t r_u32(rbuf *r)
{
    const unsigned char *q = r_take(r, 4);
    return q ? get32(q) : 0;
}

static int32_t r_i32(rbuf *r)
{
    return (int32_t)r_u32(r);
}

static uint64_t r_u64(rbuf *r)
{
    const unsigned char *q = r_take(r, 8);
    return q ? get64(q) : 0;
}

static int64_t r_i64(rbuf *r)
{
    return (int64_t)r_u64(r);
}

static bool time_ok(int64_t v)
{
    return v >= -1 && v <= TIME_MAX;
}

static bool num_ok(int64_t v)
{
    return v >= -NUM_MAX && v <= NUM_MAX;
}

/* A time (-1 or within TIME_MAX); `bad` when out of range. */
static int64_t r_time(rbuf *r)
{
    int64_t v = r_i64(r);
    if (!time_ok(v)) r->bad = true;
    return v;
}

/* A count, sum or duration (within +-NUM_MAX); `bad` when out of range. */
static int64_t r_num(rbuf *r)
{
    int64_t v = r_i64(r);
    if (!num_ok(v)) r->bad = true;
    return v;
}

/* A string inside the image (NUL-terminated there), or NULL for none. A string without its
 * NUL or with one inside sets `bad`. */
static const char *r_str(rbuf *r)
{
    uint32_t n = r_u32(r);
    if (n == NOSTR || r->bad) return NULL;
    const unsigned char *q = r_take(r, (size_t)n + 1);
    if (!q) return NULL;
    if (q[n] != 0 || memchr(q, 0, n)) {
        r->bad = true;
        return NULL;
    }
    return (const char *)q;
}

/* A string that must be present. */
static const char *r_str_req(rbuf *r)
{
    const char *s = r_str(r);
    if (!s) r->bad = true;
    return s;
}

/* A count of records of at least `min` bytes each: 0 and `bad` when the rest cannot hold
 * that many. */
static uint32_t r_count(rbuf *r, size_t min)
{
    uint32_t n = r_u32(r);
    if ((size_t)n > r_left(r) / min) r->bad = true;
    return r->bad ? 0 : n;
}

static int dup_opt(const char *s, char **out)
{
    *out = NULL;
    if (s && !(*out = cw_xstrdup(s))) return -1;
    return 0;
}

/* ---------------------------------------------------------------- load */

/* An enum value whose name function knows it (or -1 where `none_ok`). */
static bool enum_ok(const char *(*name)(int), int v, bool none_ok)
{
    return (none_ok && v == -1) || name(v) != NULL;
}

typedef struct hall_ctx {
    state_t *st;
    int h;
    bool strict;
    int nb, nw, nc;          /* dictionary sizes */
    int *bmap, *wmap, *cmap; /* dictionary index -> config index, -1 unknown */
} hall_ctx;

/* Read a dictionary of n ids into a new *out_map (config indexes via find; the caller frees
 * it, also on failure); unknown ids are -1 (an error when strict), a config index named
 * twice is malformed. */
static int load_dict(hall_ctx *x, rbuf *r, int *out_n, int **out_map, int ncfg,
                     int (*find)(const cfg_hall *, const char *))
{
    const cfg_hall *ch = &x->st->cfg->halls[x->h];
    uint32_t n = r_count(r, STR_MIN);
    if (r->bad || n > (uint32_t)INT32_MAX) return -1;
    int *map = malloc((n ? n : 1) * sizeof *map);
    bool *seen = calloc(ncfg > 0 ? (size_t)ncfg : 1, sizeof *seen);
    *out_map = map;
    *out_n = (int)n;
    if (!map || !seen) goto fail;
    for (uint32_t i = 0; i < n; i++) {
        const char *id = r_str_req(r);
        if (r->bad) goto fail;
        int k = find(ch, id);
        if (k < 0 && x->strict) goto fail;
        if (k >= 0) {
            if (seen[k]) goto fail;
            seen[k] = true;
        }
        map[i] = k;
    }
    free(seen);
    return 0;
fail:
    free(seen);
    return -1;
}

/* Allocate map m with capacity cap (a power of two that holds n at the map's load factor,
 * and no larger than a map of n entries can have grown to). */
static int map_presize(state_map *m, uint32_t cap, uint32_t n)
{
    if (cap == 0 && n == 0) return 0;
    if (cap < 16 || (cap & (cap - 1)) || (uint64_t)n * 4 > (uint64_t)cap * 3 ||
        (cap > 16 && (uint64_t)cap > (uint64_t)n * 4))
        return -1;
    m->e = calloc(cap, sizeof *m->e);
    if (!m->e) return -1;
    m->cap = cap;
    m->n = 0;
    return 0;
}

static int load_tickets(hall_ctx *x, rbuf *r)
{
    state_hs *hs = &x->st->halls[x->h];
    uint32_t cap = r_u32(r);
    uint32_t n = r_count(r, 1);
    uint32_t nwait = r_u32(r);
    if (r->bad || n > r_left(r) / TK_MIN || nwait > n || map_presize(&hs->tickets, cap, n) < 0)
        return -1;
    if (nwait) {
        hs->waiting = calloc(nwait, sizeof *hs->waiting);
        if (!hs->waiting) return -1;
        hs->capwaiting = (int)nwait;
    }
    uint32_t placed = 0;
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *q = r_take(r, TK_FIXED);
        const char *id = r_str_req(r);
        if (r->bad) return -1;
        uint32_t bi = get32(q);
        int32_t wi = (int32_t)get32(q + 4), vi = (int32_t)get32(q + 8);
        int32_t widx = (int32_t)get32(q + 12);
        int s = q[20], flags = q[21], chn = (int8_t)q[22], prio = (int8_t)q[23];
        int32_t recalls = (int32_t)get32(q + 16);
        int64_t tm[7];
        bool times_ok = true;
        for (int k = 0; k < 7; k++) {
            tm[k] = (int64_t)get64(q + 24 + 8 * k);
            times_ok &= k == 6 ? num_ok(tm[k]) : time_ok(tm[k]);
        }
        if (bi >= (uint32_t)x->nb || wi < -1 || wi >= x->nw || vi < -1 || vi >= x->nb ||
            s > ST_VOIDED || (flags & ~7) || ((flags & 4) != 0) != (vi >= 0) ||
            !enum_ok(ev_channel_name, chn, true) || !enum_ok(ev_priority_name, prio, true) ||
            recalls < 0 || recalls > (1 << 30) || !times_ok)
            return -1;
        if (s == ST_WAITING ? widx < 0 || (uint32_t)widx >= nwait || hs->waiting[widx] : widx != -1)
            return -1;
        if (state_map_get(&hs->tickets, id)) return -1;
        int b = x->bmap[bi], w = wi >= 0 ? x->wmap[wi] : -1, vb = vi >= 0 ? x->bmap[vi] : -1;
        if (b < 0) continue;
        state_ticket *t = state_ticket_new(hs, id);
        if (!t) return -1;
        t->biz = b;
        t->window = w;
        t->recalls = recalls;
        t->unknown = flags & 1;
        t->entry_known = (flags & 2) != 0;
        t->channel = chn;
        t->priority = prio;
        t->issued_ms = tm[0];
        t->entered_ms = tm[1];
        t->called_ms = tm[2];
        t->started_ms = tm[3];
        t->ended_ms = tm[4];
        if (vb >= 0) {
            t->has_visit = true;
            t->visit_biz = vb;
            t->visit_call_ms = tm[5];
            t->visit_w_ms = tm[6];
        }
        if (s == ST_WAITING) {
            t->st = ST_WAITING;
            t->widx = widx;
            hs->waiting[widx] = t;
            hs->biz[b].waiting++;
            placed++;
        } else if (state_ticket_enter(hs, t, s) < 0) {
            return -1;
        }
    }
    if (placed != nwait) {
        if (x->strict) return -1;
        uint32_t k = 0;
        for (uint32_t i = 0; i < nwait; i++)
            if (hs->waiting[i]) {
                hs->waiting[k] = hs->waiting[i];
                hs->waiting[k]->widx = (int)k;
                k++;
            }
        placed = k;
    }
    hs->nwaiting = (int)placed;
    return 0;
}

/* A ticket named in a record: the hall's ticket, or NULL (an error when strict) */
static int find_ticket(hall_ctx *x, const char *id, state_ticket **out)
{
    *out = id ? state_map_get(&x->st->halls[x->h].tickets, id) : NULL;
    return id && !*out && x->strict ? -1 : 0;
}

static int load_recs(hall_ctx *x, rbuf *r, state_recs *rs, bool calls)
{
    uint32_t n = r_count(r, calls ? 16 + 1 + STR_MIN : 16);
    int64_t prev = INT64_MIN;
    if (r->bad) return -1;
    for (uint32_t i = 0; i < n; i++) {
        int64_t at = r_time(r), v = r_num(r);
        unsigned ok = calls ? r_u8(r) : 1;
        const char *tid = calls ? r_str_req(r) : NULL;
        state_ticket *t = NULL;
        if (r->bad || ok > 1 || at < prev) return -1;
        prev = at;
        if (calls) {
            if (find_ticket(x, tid, &t) < 0) return -1;
            if (!t) continue;
        }
        if (state_recs_add(rs, x->st->now_ms, at, v, ok, t) < 0) return -1;
    }
    return 0;
}

static int load_biz(hall_ctx *x, rbuf *r)
{
    state_hs *hs = &x->st->halls[x->h];
    for (int i = 0; i < x->nb; i++) {
        state_biz scratch = {0}, *bz = x->bmap[i] >= 0 ? &hs->biz[x->bmap[i]] : &scratch;
        bz->issued = r_num(r);
        bz->visits = r_num(r);
        bz->wait_sum_ms = r_num(r);
        int rc = load_recs(x, r, &bz->calls, true);
        if (rc == 0) rc = load_recs(x, r, &bz->fins, false);
        state_recs_clear(&scratch.calls);
        state_recs_clear(&scratch.fins);
        if (rc < 0) return -1;
    }
    return 0;
}

static int load_windows(hall_ctx *x, rbuf *r)
{
    state_hs *hs = &x->st->halls[x->h];
    for (int i = 0; i < x->nw; i++) {
        unsigned status = r_u8(r);
        int32_t reason = r_i32(r);
        const char *staff = r_str(r), *tid = r_str(r);
        int64_t v[6];
        for (int k = 0; k < 6; k++)
            v[k] = k == 0 ? r_time(r) : r_num(r);
        state_ticket *t;
        if (r->bad || status > SW_PAUSED || !enum_ok(ev_pause_reason_name, reason, true) ||
            find_ticket(x, tid, &t) < 0)
            return -1;
        if (x->wmap[i] < 0) continue;
        state_window *sw = &hs->win[x->wmap[i]];
        if (dup_opt(staff, &sw->staff) < 0) return -1;
        sw->status = (int)status;
        sw->reason = reason;
        sw->ticket = t;
        sw->since_ms = v[0];
        sw->served = v[1];
        sw->svc_n = v[2];
        sw->svc_sum_ms = v[3];
        sw->no_show = v[4];
        sw->calls = v[5];
    }
    return 0;
}

static int load_cameras(hall_ctx *x, rbuf *r)
{
    state_hs *hs = &x->st->halls[x->h];
    for (int i = 0; i < x->nc; i++) {
        int32_t status = r_i32(r);
        int64_t since = r_time(r);
        const char *main_url = r_str(r), *sub_url = r_str(r);
        if (r->bad || !enum_ok(ev_cam_status_name, status, false)) return -1;
        if (x->cmap[i] < 0) continue;
        state_cam *c = &hs->cam[x->cmap[i]];
        c->status = status;
        c->since_ms = since;
        if (dup_opt(main_url, &c->main_url) < 0 || dup_opt(sub_url, &c->sub_url) < 0) return -1;
    }
    return 0;
}

static int load_reviews(hall_ctx *x, rbuf *r)
{
    state_hs *hs = &x->st->halls[x->h];
    uint32_t cap = r_u32(r), n = r_count(r, STR_MIN);
    if (r->bad || map_presize(&hs->review_ids, cap, n) < 0) return -1;
    for (uint32_t i = 0; i < n; i++) {
        const char *id = r_str_req(r);
        if (r->bad || state_map_get(&hs->review_ids, id)) return -1;
        char *key = cw_xstrdup(id);
        if (!key || state_map_put(&hs->review_ids, key, key) < 0) {
            free(key);
            return -1;
        }
    }

    n = r_count(r, STR_MIN);
    if (r->bad || n > STATE_LAST_REVIEWS) return -1;
    for (uint32_t i = 0; i < n; i++) {
        const char *id = r_str_req(r);
        int32_t level = r_i32(r);
        int64_t at = r_time(r);
        int32_t channel = r_i32(r);
        const char *win = r_str(r), *staff = r_str(r), *comment = r_str(r);
        unsigned flags = r_u8(r);
        if (r->bad || level < 1 || level > 5 || !enum_ok(ev_review_channel_name, channel, true) ||
            (flags & ~3u))
            return -1;
        state_review *rv = &hs->last[hs->nlast++];
        memset(rv, 0, sizeof *rv);
        rv->level = level;
        rv->at_ms = at;
        rv->channel = channel;
        rv->real_name = flags & 1;
        rv->upheld = (flags & 2) != 0;
        if (dup_opt(id, &rv->id) < 0 || dup_opt(win, &rv->window) < 0 ||
            dup_opt(staff, &rv->staff) < 0 || dup_opt(comment, &rv->comment) < 0)
            return -1;
    }
    return 0;
}

/* A copy of case c (its review id borrowed) joins hall hs. 0 or -1. */
static int add_case(state_hs *hs, const state_case *c)
{
    state_case *nc = malloc(sizeof *nc);
    if (!nc) return -1;
    *nc = *c;
    if (!(nc->review = cw_xstrdup(c->review)) || state_case_add(hs, nc) < 0) goto fail;
    return 0;
fail:
    free(nc->review);
    free(nc);
    return -1;
}

static int load_cases(hall_ctx *x, rbuf *r)
{
    state_hs *hs = &x->st->halls[x->h];
    uint32_t n = r_count(r, STR_MIN + 4 + 4 + 8 + 4 + 1 + 16);
    if (r->bad) return -1;
    for (uint32_t i = 0; i < n; i++) {
        state_case c = {0};
        c.review = (char *)r_str_req(r);
        c.level = r_i32(r);
        c.date = r_i32(r);
        c.at_ms = r_time(r);
        c.state = r_i32(r);
        unsigned flags = r_u8(r);
        c.contact_deadline_ms = r_time(r);
        c.rectify_deadline_ms = r_time(r);
        c.real_name = flags & 1;
        c.contacted = (flags & 2) != 0;
        c.upheld = (flags & 4) != 0;
        if (r->bad || c.level < 1 || c.level > 5 || !enum_ok(ev_case_state_name, c.state, false) ||
            (flags & ~7u) || state_map_get(&hs->cases_map, c.review) || add_case(hs, &c) < 0)
            return -1;
    }
    return 0;
}

static int load_closures(hall_ctx *x, rbuf *r)
{
    state_hs *hs = &x->st->halls[x->h];
    uint32_t n = r_count(r, 16 + 4);
    if (r->bad) return -1;
    if (n) {
        hs->closures = calloc(n, sizeof *hs->closures);
        if (!hs->closures) return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        int64_t from = r_time(r), to = r_time(r);
        const char *reason = r_str(r);
        if (r->bad) return -1;
        state_closure *c = &hs->closures[hs->nclosures];
        c->from_ms = from;
        c->to_ms = to;
        if (dup_opt(reason, &c->reason) < 0) return -1;
        hs->nclosures++;
    }
    return 0;
}

static int load_hall(state_t *st, int h, rbuf *r, bool strict)
{
    const cfg_hall *ch = &st->cfg->halls[h];
    state_hs *hs = &st->halls[h];
    hall_ctx x = {.st = st, .h = h, .strict = strict};
    int rc = -1;
    int64_t ver = r_num(r);
    hs->ver = ver < 0 ? (r->bad = true, 0) : (uint64_t)ver;
    hs->last_event_ms = r_time(r);
    int64_t *counters[HALL_COUNTERS] = {&hs->issued,     &hs->finished,    &hs->no_show,
                                        &hs->visits,     &hs->wait_sum_ms, &hs->svc_n,
                                        &hs->svc_sum_ms, &hs->rv_n,        &hs->rv_good,
                                        &hs->rv_sat,     &hs->rv_bad,      &hs->rv_level_sum};
    for (int i = 0; i < HALL_COUNTERS; i++)
        *counters[i] = r_num(r);
    if (load_dict(&x, r, &x.nb, &x.bmap, ch->nbiz, cfg_biz_index) < 0 ||
        load_dict(&x, r, &x.nw, &x.wmap, ch->nwindows, cfg_window_index) < 0 ||
        load_dict(&x, r, &x.nc, &x.cmap, ch->ncameras, cfg_camera_index) < 0)
        goto done;
    if (load_tickets(&x, r) < 0 || load_biz(&x, r) < 0 || load_windows(&x, r) < 0 ||
        load_cameras(&x, r) < 0 || load_reviews(&x, r) < 0 || load_cases(&x, r) < 0 ||
        load_closures(&x, r) < 0 || r->bad || r->p != r->end)
        goto done;
    hs->overdue = state_hall_overdue(st, h);
    rc = 0;
done:
    free(x.bmap);
    free(x.wmap);
    free(x.cmap);
    return rc;
}

/* Replace st's halls with the image's; see state_load_bin. */
static int load_image(state_t *st, const unsigned char *buf, size_t len, bool strict)
{
    bool *loaded = NULL;
    if (state_reset_halls(st) < 0) goto fail;
    if (!buf || len < 8 + 8 || memcmp(buf, BIN_MAGIC, 4) != 0 || get32(buf + 4) != BIN_VERSION ||
        fnv1a64(buf, len - 8) != get64(buf + len - 8))
        goto fail;
    rbuf r = {.p = buf + 8, .end = buf + len - 8};
    int64_t now = r_time(&r);
    (void)r_i32(&r); /* day: implied by now */
    int64_t ver = r_num(&r);
    int64_t last_sec = r_num(&r), last_min = r_num(&r);
    state_stats stats = {0};
    stats.applied = r_u64(&r);
    stats.unknown_tickets = r_u64(&r);
    stats.late_events = r_u64(&r);
    stats.bad_transitions = r_u64(&r);
    uint32_t nhalls = r_count(&r, STR_MIN + 8);
    if (r.bad || now < 0 || ver < 0) goto fail;
    st->now_ms = now;
    state_set_day(st, now);
    st->last_sec = last_sec;
    st->last_min = last_min;
    if ((uint64_t)ver > st->ver) st->ver = (uint64_t)ver;
    st->stats = stats;

    loaded = calloc(st->nhalls > 0 ? (size_t)st->nhalls : 1, sizeof *loaded);
    if (!loaded) goto fail;
    for (uint32_t i = 0; i < nhalls; i++) {
        const char *id = r_str_req(&r);
        uint64_t body = r_u64(&r);
        if (r.bad || body > r_left(&r)) goto fail;
        rbuf hr = {.p = r.p, .end = r.p + body};
        r.p += body;
        int h = cfg_hall_index(st->cfg, id);
        if (h < 0) {
            if (strict) goto fail;
            continue;
        }
        if (loaded[h]) goto fail;
        loaded[h] = true;
        if (load_hall(st, h, &hr, strict) < 0) goto fail;
    }
    if (r.p != r.end) goto fail;
    free(loaded);
    for (int h = 0; h < st->nhalls; h++)
        state_bump(st, h);
    return 0;
fail:
    free(loaded);
    memset(&st->stats, 0, sizeof st->stats);
    state_reset_halls(st);
    for (int h = 0; h < st->nhalls; h++)
        state_bump(st, h);
    return -1;
}

int state_load_bin(state_t *st, const unsigned char *buf, size_t len)
{
    return load_image(st, buf, len, true);
}

int state_reload_bin(state_t *st, const unsigned char *buf, size_t len)
{
    return load_image(st, buf, len, false);
}

/* A new config: save, swap, reload leniently, dropping what no longer exists (tickets of a
 * removed biz, a removed window's figures, ...). */
int state_reconfigure(state_t *st, const cfg_t *cfg)
{
    unsigned char *img = NULL;
    size_t len = 0;
    int rc = state_save_bin(st, &img, &len);
    st->cfg = cfg;
    if (rc == 0) {
        state_reload_bin(st, img, len);
    } else {
        state_reset_halls(st);
        for (int h = 0; h < st->nhalls; h++)
            state_bump(st, h);
    }
    free(img);
    return 0;
}
