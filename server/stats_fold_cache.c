/* stats_fold_cache: what one fold (one batch) holds before stats_fold_flush writes it -- the
 * ticket and window records it read or changed, and the stats_day deltas summed per key (see
 * stats_fold_internal.h). Writer thread (or the rebuild command). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_map.h"
#include "stats_fold_internal.h"
#include "xalloc.h"

#define SEP "\x1f" /* between the parts of a key (ids hold no control characters) */

/* Kept across batches (cleared past these sizes, on a rollback, and at the first flush after
 * a newer business day began: a ticket of a past day rarely gets another event, so the cache
 * holds about one day's records, not up to the bound -- the hub's memory grew ~6 MB/h in the
 * soaks until the bound): a record read once is not read again while cached. */
#define CACHE_MAX_RECS 20000 /* ~1 kB each: ~20 MB (the demo city: ~4,300 tickets a day) */
#define CACHE_MAX_DELTAS 50000

typedef struct fold_delta {
    char *key;    /* day SEP hall SEP biz SEP win SEP staff SEP channel SEP item (owned) */
    bool touched; /* since the last flush */
    int64_t d[SC__COUNT];
} fold_delta;

typedef struct rec_entry {
    char *key; /* kind SEP hall SEP day SEP id (owned) */
    fold_rec rec;
} rec_entry;

struct fold_cache {
    state_map deltas, recs;
    fold_delta **dv; /* in first-use order */
    rec_entry **rv;
    int nd, capd, nr, capr;
    int newest_day;  /* the newest day of a key added (kept by a clear) */
    bool day_turned; /* a key of a newer day than newest_day was added since the last clear */
};

static void saw_day(fold_cache *c, int day)
{
    if (day <= c->newest_day) return;
    c->newest_day = day;
    c->day_turned = true;
}

fold_cache *fold_cache_new(void)
{
    return cw_xcalloc(1, sizeof(fold_cache));
}

void fold_cache_free(fold_cache *c)
{
    if (!c) return;
    fold_cache_clear(c);
    free(c);
}

void fold_cache_clear(fold_cache *c)
{
    for (int i = 0; i < c->nd; i++) {
        free(c->dv[i]->key);
        free(c->dv[i]);
    }
    for (int i = 0; i < c->nr; i++) {
        free(c->rv[i]->key);
        free(c->rv[i]);
    }
    free(c->dv);
    free(c->rv);
    state_map_free(&c->deltas);
    state_map_free(&c->recs);
    memset(c, 0, sizeof *c);
}

static int push(void ***v, int *n, int *cap, void *p)
{
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 256;
        void **nv = cw_xrealloc(*v, sizeof(void *) * (size_t)nc);
        if (!nv) return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = p;
    return 0;
}

#define KEY_MAX (8 * FOLD_ID + FOLD_TICKET) /* the longest key, NUL included */

/* Keys are built in a caller's buffer (no allocation for a lookup); copied only when kept.
 * Parts joined by SEP, numbers in decimal (by hand: snprintf was a tenth of the writer's time
 * per event). Each part is cut to what the buffer has left, as snprintf would. */
typedef struct keybuf {
    char *p;  /* KEY_MAX bytes */
    size_t n; /* < KEY_MAX: where the NUL is */
    int parts;
} keybuf;

static void key_str(keybuf *k, const char *s)
{
    if (k->parts++ && k->n < KEY_MAX - 1) k->p[k->n++] = SEP[0];
    fold_id_copy(k->p + k->n, KEY_MAX - k->n, s);
    k->n += strlen(k->p + k->n);
}

static void key_int(keybuf *k, int v)
{
    char d[16];
    int i = (int)sizeof d - 1;
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    d[i] = '\0';
    do
        d[--i] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0) d[--i] = '-';
    key_str(k, d + i);
}

static const char *rec_key(char *buf, int kind, const char *hall, int day, const char *id)
{
    keybuf k = {buf, 0, 0};
    buf[0] = '\0';
    key_int(&k, kind);
    key_str(&k, hall);
    key_int(&k, day);
    key_str(&k, id);
    return buf;
}

fold_rec *fold_rec_find(stats_fold *f, int kind, const char *hall, int day, const char *id)
{
    char buf[KEY_MAX];
    rec_entry *e = state_map_get(&f->cache->recs, rec_key(buf, kind, hall, day, id));
    return e ? &e->rec : NULL;
}

fold_rec *fold_rec_make(stats_fold *f, int kind, const char *hall, int day, const char *id)
{
    fold_cache *c = f->cache;
    char buf[KEY_MAX];
    rec_entry *e = state_map_get(&c->recs, rec_key(buf, kind, hall, day, id));
    if (e) return &e->rec;
    char *k = cw_xstrdup(buf);
    e = k ? cw_xcalloc(1, sizeof *e) : NULL;
    if (!e || state_map_put(&c->recs, k, e) < 0 || push((void ***)&c->rv, &c->nr, &c->capr, e)) {
        free(e);
        free(k);
        return NULL; /* (a failed push leaves e in the map: the fold is then dropped whole) */
    }
    e->key = k;
    saw_day(c, day);
    e->rec.kind = kind;
    e->rec.day = day;
    fold_id_copy(e->rec.hall, FOLD_ID, hall ? hall : "");
    fold_id_copy(e->rec.id, sizeof e->rec.id, id ? id : "");
    return &e->rec;
}

int fold_delta_add(stats_fold *f, const fold_key *k, const int64_t *delta)
{
    fold_cache *c = f->cache;
    char buf[KEY_MAX];
    keybuf kb = {buf, 0, 0};
    buf[0] = '\0';
    key_int(&kb, k->day);
    key_str(&kb, k->hall);
    key_str(&kb, k->biz);
    key_str(&kb, k->win);
    key_str(&kb, k->staff);
    key_str(&kb, k->channel);
    key_str(&kb, k->item);
    fold_delta *d = state_map_get(&c->deltas, buf);
    if (!d) {
        char *key = cw_xstrdup(buf);
        d = key ? cw_xcalloc(1, sizeof *d) : NULL;
        if (!d || state_map_put(&c->deltas, key, d) < 0 ||
            push((void ***)&c->dv, &c->nd, &c->capd, d)) {
            free(d);
            free(key);
            return SQLITE_NOMEM;
        }
        d->key = key;
        saw_day(c, k->day);
    }
    d->touched = true;
    for (int i = 0; i < SC__COUNT; i++)
        d->d[i] += delta[i];
    return 0;
}

/* Split a delta's key back into its parts (in place, in a copy). */
static int upsert(stats_fold *f, const fold_delta *d)
{
    char buf[KEY_MAX], *part[7];
    fold_id_copy(buf, sizeof buf, d->key);
    char *s = buf;
    for (int i = 0; i < 7; i++) {
        part[i] = s;
        s = strchr(s, SEP[0]);
        if (s)
            *s++ = 0;
        else
            s = buf + strlen(buf); /* (never: every key has its 7 parts) */
    }
    fold_key k = {atoi(part[0]), part[1], part[2], part[3], part[4], part[5], part[6]};
    return fold_db_upsert(f, &k, d->d);
}

int stats_fold_flush(stats_fold *f)
{
    fold_cache *c = f->cache;
    int rc = 0;
    for (int i = 0; !rc && i < c->nr; i++) {
        fold_rec *r = &c->rv[i]->rec;
        if (!r->dirty) continue;
        rc = r->kind == FR_TICKET ? fold_db_put_ticket(f, r) : fold_db_put_window(f, r);
        r->dirty = false;
    }
    for (int i = 0; !rc && i < c->nd; i++) {
        fold_delta *d = c->dv[i];
        if (!d->touched) continue;
        rc = upsert(f, d);
        d->touched = false;
        memset(d->d, 0, sizeof d->d);
    }
    if (!rc && (c->nr > CACHE_MAX_RECS || c->nd > CACHE_MAX_DELTAS || c->day_turned)) {
        int day = c->newest_day;
        fold_cache_clear(c);
        c->newest_day = day;
    }
    return rc;
}

int fold_add(stats_fold *f, const fold_key *k, const int64_t *delta)
{
    return fold_delta_add(f, k, delta);
}

int fold_add1(stats_fold *f, const fold_key *k, int col, int64_t v)
{
    int64_t d[SC__COUNT] = {0};
    d[col] = v;
    return fold_add(f, k, d);
}

/* ---- tickets ------------------------------------------------------------------------------ */

/* A ticket's record: from the batch's cache, else from stats_tickets (then cached); a ticket
 * never seen gets the defaults (found 0). Returns 0 or an sqlite code. */
int fold_get_ticket(stats_fold *f, const char *hall, int day, const char *ticket, fold_ticket *t,
                    int *found)
{
    fold_rec *r = fold_rec_find(f, FR_TICKET, hall, day, ticket);
    if (r) {
        *t = r->u.t;
        *found = !r->absent;
        return 0;
    }
    sqlite3_stmt *st = f->st[FS_GET_TICKET];
    fold_text(st, 1, hall);
    sqlite3_bind_int(st, 2, day);
    fold_text(st, 3, ticket);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (*found) {
        fold_copy(t->biz, st, 0);
        fold_copy(t->channel, st, 1);
        fold_copy(t->item, st, 2);
        t->state = sqlite3_column_int(st, 3);
        t->entered_ms = sqlite3_column_int64(st, 4);
        t->called_ms = sqlite3_column_int64(st, 5);
        t->start_ms = sqlite3_column_int64(st, 6);
        fold_copy(t->win, st, 7);
        fold_copy(t->staff, st, 8);
        t->w_ms = sqlite3_column_int64(st, 9);
        fold_copy(t->w_win, st, 10);
        fold_copy(t->w_staff, st, 11);
    } else {
        /* a ticket never seen issued (SPEC §3.1): its wait is unknown */
        memset(t, 0, sizeof *t);
        t->entered_ms = t->called_ms = t->start_ms = t->w_ms = -1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return rc;
    if (!(r = fold_rec_make(f, FR_TICKET, hall, day, ticket))) return SQLITE_NOMEM;
    r->u.t = *t;
    r->absent = !*found;
    return 0;
}
