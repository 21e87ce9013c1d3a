/* feedindex: the exact dedupe index of stored (hall, feed, seq) keys, kept in memory.
 *
 * Per feed: the high-water mark (highest stored seq) and the gaps below it as sorted,
 * disjoint [lo, hi] ranges. A seq is stored iff seq <= hwm and no gap holds it. Changes made
 * between feedindex_begin() and feedindex_commit()/feedindex_rollback() can be undone, so a
 * failed transaction leaves the index as it was at the last commit.
 *
 * Thread: owned by the store's writer thread.
 */
#ifndef CW_FEEDINDEX_H
#define CW_FEEDINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct feedindex feedindex;

feedindex *feedindex_new(void);
void feedindex_free(feedindex *fi);

/* Loading at start (no transaction). */
void feedindex_load_feed(feedindex *fi, int64_t id, const char *hall, const char *feed,
                         int64_t hwm);
void feedindex_load_gap(feedindex *fi, int64_t id, int64_t lo, int64_t hi);

void feedindex_begin(feedindex *fi);
void feedindex_commit(feedindex *fi);
void feedindex_rollback(feedindex *fi);

/* The id of (hall, feed); a new feed gets the next id and *created = true (it must then be
 * inserted into the feeds table in this transaction). -1 on allocation failure. */
int feedindex_get(feedindex *fi, const char *hall, const char *feed, int64_t *id, bool *created);
bool feedindex_seen(const feedindex *fi, int64_t id, int64_t seq);
/* Record seq as stored (it must not be seen yet). */
void feedindex_mark(feedindex *fi, int64_t id, int64_t seq);

/* Feeds touched in the current transaction; *ids valid until the next call. */
int feedindex_dirty(feedindex *fi, int64_t **ids);
bool feedindex_gaps_dirty(const feedindex *fi, int64_t id);
/* hwm and gaps (pairs lo, hi) of a feed; returns the number of gaps. */
int feedindex_feed(const feedindex *fi, int64_t id, int64_t *hwm, const int64_t **gaps);

/* Missing seqs below the high-water marks, over all feeds; number of feeds. */
int64_t feedindex_missing(const feedindex *fi);
int feedindex_count(const feedindex *fi);

/* Check the invariants above: per feed, gaps sorted, disjoint, not adjacent, each [lo, hi]
 * with 1 <= lo <= hi < hwm. 0, or -1 with the broken one named in err. */
int feedindex_check(const feedindex *fi, char *err, size_t errlen);

#endif
