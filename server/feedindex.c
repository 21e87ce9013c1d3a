/* feedindex: in-memory exact dedupe index with transactional undo. See feedindex.h. */
#include "feedindex.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fi_feed {
    int64_t id;
    char *key; /* "hall\x1f" "feed" */
    int64_t hwm;
    int64_t *gaps; /* pairs */
    int ngaps, capgaps;
    bool persisted;
    /* undo record, valid while touched */
    bool touched, gaps_dirty;
    int64_t saved_hwm;
    int64_t *saved_gaps;
    int saved_ngaps;
    bool saved_persisted;
} fi_feed;

struct feedindex {
    fi_feed **feeds; /* by insertion */
    int nfeeds, capfeeds;
    int *table; /* open addressing: index into feeds, -1 empty */
    int tabsize;
    int64_t next_id;
    int64_t *dirty;
    int ndirty, capdirty;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static char *make_key(const char *hall, const char *feed)
{
    size_t a = strlen(hall), b = strlen(feed);
    char *k = malloc(a + b + 2);
    if (!k) return NULL;
    memcpy(k, hall, a);
    k[a] = '\x1f';
    memcpy(k + a + 1, feed, b + 1);
    return k;
}

feedindex *feedindex_new(void)
{
    feedindex *fi = cw_xcalloc(1, sizeof(*fi));
    if (!fi) return NULL;
    fi->tabsize = 64;
    fi->table = cw_xmalloc(sizeof(int) * fi->tabsize);
    memset(fi->table, 0xff, sizeof(int) * fi->tabsize);
    fi->next_id = 1;
    return fi;
}

void feedindex_free(feedindex *fi)
{
    if (!fi) return;
    for (int i = 0; i < fi->nfeeds; i++) {
        free(fi->feeds[i]->key);
        free(fi->feeds[i]->gaps);
        free(fi->feeds[i]->saved_gaps);
        free(fi->feeds[i]);
    }
    free(fi->feeds);
    free(fi->table);
    free(fi->dirty);
    free(fi);
}

static int find_slot(const feedindex *fi, const char *key)
{
    int mask = fi->tabsize - 1;
    for (int i = (int)(hash_str(key) & (uint64_t)mask);; i = (i + 1) & mask) {
        int f = fi->table[i];
        if (f < 0 || strcmp(fi->feeds[f]->key, key) == 0) return i;
    }
}

static fi_feed *by_id(const feedindex *fi, int64_t id)
{
    /* ids are dense from 1 in insertion order for feeds created here; loaded ones may not be */
    if (id >= 1 && id <= fi->nfeeds && fi->feeds[id - 1]->id == id) return fi->feeds[id - 1];
    for (int i = 0; i < fi->nfeeds; i++)
        if (fi->feeds[i]->id == id) return fi->feeds[i];
    return NULL;
}

static fi_feed *add_feed(feedindex *fi, int64_t id, char *key)
{
    if ((fi->nfeeds + 1) * 2 > fi->tabsize) {
        int ns = fi->tabsize * 2;
        int *nt = malloc(sizeof(int) * ns);
        if (!nt) return NULL;
        memset(nt, 0xff, sizeof(int) * ns);
        free(fi->table);
        fi->table = nt;
        fi->tabsize = ns;
        for (int i = 0; i < fi->nfeeds; i++)
            fi->table[find_slot(fi, fi->feeds[i]->key)] = i;
    }
    if (fi->nfeeds == fi->capfeeds) {
        int nc = fi->capfeeds ? fi->capfeeds * 2 : 16;
        fi_feed **nf = realloc(fi->feeds, sizeof(*nf) * nc);
        if (!nf) return NULL;
        fi->feeds = nf;
        fi->capfeeds = nc;
    }
    fi_feed *f = cw_xcalloc(1, sizeof(*f));
    if (!f) return NULL;
    f->id = id;
    f->key = key;
    fi->table[find_slot(fi, key)] = fi->nfeeds;
    fi->feeds[fi->nfeeds++] = f;
    if (id >= fi->next_id) fi->next_id = id + 1;
    return f;
}

void feedindex_load_feed(feedindex *fi, int64_t id, const char *hall, const char *feed, int64_t hwm)
{
    char *key = make_key(hall, feed);
    if (!key) return;
    fi_feed *f = add_feed(fi, id, key);
    if (!f) {
        free(key);
        return;
    }
    f->hwm = hwm;
    f->persisted = true;
}

static int push_gap(fi_feed *f, int at, int64_t lo, int64_t hi)
{
    if (f->ngaps == f->capgaps) {
        int nc = f->capgaps ? f->capgaps * 2 : 4;
        int64_t *ng = realloc(f->gaps, sizeof(int64_t) * 2 * nc);
        if (!ng) return -1;
        f->gaps = ng;
        f->capgaps = nc;
    }
    memmove(&f->gaps[2 * (at + 1)], &f->gaps[2 * at], sizeof(int64_t) * 2 * (f->ngaps - at));
    f->gaps[2 * at] = lo;
    f->gaps[2 * at + 1] = hi;
    f->ngaps++;
    return 0;
}

void feedindex_load_gap(feedindex *fi, int64_t id, int64_t lo, int64_t hi)
{
    fi_feed *f = by_id(fi, id);
    if (f) push_gap(f, f->ngaps, lo, hi);
}

static void touch(feedindex *fi, fi_feed *f)
{
    if (f->touched) return;
    f->touched = true;
    f->gaps_dirty = false;
    f->saved_hwm = f->hwm;
    f->saved_persisted = f->persisted;
    f->saved_ngaps = f->ngaps;
    free(f->saved_gaps);
    f->saved_gaps = NULL;
    if (f->ngaps) {
        f->saved_gaps = malloc(sizeof(int64_t) * 2 * f->ngaps);
        if (f->saved_gaps) memcpy(f->saved_gaps, f->gaps, sizeof(int64_t) * 2 * f->ngaps);
    }
    if (fi->ndirty == fi->capdirty) {
        int nc = fi->capdirty ? fi->capdirty * 2 : 16;
        int64_t *nd = realloc(fi->dirty, sizeof(int64_t) * nc);
        if (!nd) return;
        fi->dirty = nd;
        fi->capdirty = nc;
    }
    fi->dirty[fi->ndirty++] = f->id;
}

void feedindex_begin(feedindex *fi)
{
    fi->ndirty = 0;
}

void feedindex_commit(feedindex *fi)
{
    for (int i = 0; i < fi->ndirty; i++) {
        fi_feed *f = by_id(fi, fi->dirty[i]);
        if (!f) continue;
        f->touched = false;
        free(f->saved_gaps);
        f->saved_gaps = NULL;
    }
    fi->ndirty = 0;
}

void feedindex_rollback(feedindex *fi)
{
    for (int i = 0; i < fi->ndirty; i++) {
        fi_feed *f = by_id(fi, fi->dirty[i]);
        if (!f) continue;
        f->hwm = f->saved_hwm;
        f->persisted = f->saved_persisted;
        f->ngaps = 0;
        for (int g = 0; g < f->saved_ngaps; g++)
            push_gap(f, g, f->saved_gaps[2 * g], f->saved_gaps[2 * g + 1]);
        f->touched = false;
        free(f->saved_gaps);
        f->saved_gaps = NULL;
    }
    fi->ndirty = 0;
}

int feedindex_get(feedindex *fi, const char *hall, const char *feed, int64_t *id, bool *created)
{
    char *key = make_key(hall, feed);
    if (!key) return -1;
    int slot = find_slot(fi, key);
    fi_feed *f;
    if (fi->table[slot] >= 0) {
        f = fi->feeds[fi->table[slot]];
        free(key);
    } else {
        f = add_feed(fi, fi->next_id, key);
        if (!f) {
            free(key);
            return -1;
        }
    }
    *created = false;
    if (!f->persisted) {
        touch(fi, f);
        f->persisted = true;
        *created = true;
    }
    *id = f->id;
    return 0;
}

/* Index of the gap holding seq, or -1. */
static int gap_of(const fi_feed *f, int64_t seq)
{
    int lo = 0, hi = f->ngaps - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (seq < f->gaps[2 * mid])
            hi = mid - 1;
        else if (seq > f->gaps[2 * mid + 1])
            lo = mid + 1;
        else
            return mid;
    }
    return -1;
}

bool feedindex_seen(const feedindex *fi, int64_t id, int64_t seq)
{
    const fi_feed *f = by_id(fi, id);
    if (!f || seq > f->hwm) return false;
    return gap_of(f, seq) < 0;
}

void feedindex_mark(feedindex *fi, int64_t id, int64_t seq)
{
    fi_feed *f = by_id(fi, id);
    if (!f) return;
    touch(fi, f);
    if (seq > f->hwm) {
        if (seq > f->hwm + 1) {
            push_gap(f, f->ngaps, f->hwm + 1, seq - 1);
            f->gaps_dirty = true;
        }
        f->hwm = seq;
        return;
    }
    int g = gap_of(f, seq);
    if (g < 0) return;
    f->gaps_dirty = true;
    int64_t lo = f->gaps[2 * g], hi = f->gaps[2 * g + 1];
    if (lo == hi) {
        memmove(&f->gaps[2 * g], &f->gaps[2 * (g + 1)], sizeof(int64_t) * 2 * (f->ngaps - g - 1));
        f->ngaps--;
    } else if (seq == lo) {
        f->gaps[2 * g] = lo + 1;
    } else if (seq == hi) {
        f->gaps[2 * g + 1] = hi - 1;
    } else {
        f->gaps[2 * g + 1] = seq - 1;
        push_gap(f, g + 1, seq + 1, hi);
    }
}

int feedindex_dirty(feedindex *fi, int64_t **ids)
{
    *ids = fi->dirty;
    return fi->ndirty;
}

bool feedindex_gaps_dirty(const feedindex *fi, int64_t id)
{
    const fi_feed *f = by_id(fi, id);
    return f && f->gaps_dirty;
}

int feedindex_feed(const feedindex *fi, int64_t id, int64_t *hwm, const int64_t **gaps)
{
    const fi_feed *f = by_id(fi, id);
    if (!f) return 0;
    *hwm = f->hwm;
    *gaps = f->gaps;
    return f->ngaps;
}

int64_t feedindex_missing(const feedindex *fi)
{
    int64_t n = 0;
    for (int i = 0; i < fi->nfeeds; i++)
        for (int g = 0; g < fi->feeds[i]->ngaps; g++)
            n += fi->feeds[i]->gaps[2 * g + 1] - fi->feeds[i]->gaps[2 * g] + 1;
    return n;
}

int feedindex_count(const feedindex *fi)
{
    return fi->nfeeds;
}

int feedindex_check(const feedindex *fi, char *err, size_t errlen)
{
    for (int i = 0; i < fi->nfeeds; i++) {
        const fi_feed *f = fi->feeds[i];
        int64_t prev_hi = 0;
        for (int g = 0; g < f->ngaps; g++) {
            int64_t lo = f->gaps[2 * g], hi = f->gaps[2 * g + 1];
            if (lo < 1 || lo > hi || lo <= prev_hi || hi >= f->hwm) {
                snprintf(err, errlen,
                         "feed index invariant broken: feed %lld gap %d is [%lld, %lld] after "
                         "%lld, below hwm %lld",
                         (long long)f->id, g, (long long)lo, (long long)hi, (long long)prev_hi,
                         (long long)f->hwm);
                return -1;
            }
            prev_hi = hi + 1; /* adjacent gaps would be one gap */
        }
    }
    return 0;
}
