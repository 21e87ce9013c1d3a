/* stats_fold: folding one event into the roll-up tables (stats.h). Internal to stats_*.c.
 *
 * A fold holds the prepared statements of one connection for the length of one batch: begin,
 * any number of events (in store order), end. The config is borrowed for that time.
 */
#ifndef CW_STATS_FOLD_H
#define CW_STATS_FOLD_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

#include "config.h"
#include "event.h"

typedef struct stats_fold stats_fold;

/* NULL with the sqlite code in *rc on failure. */
stats_fold *stats_fold_begin(sqlite3 *db, const cfg_t *cfg, int *rc);
/* Fold one stored event (its object as parsed, by jansson or evscan, and its stored at_ms,
 * which may differ from its `at` when clamped). Events the config does not know any more are
 * skipped. Returns 0 or an sqlite code. */
int stats_fold_event(stats_fold *f, const ev_jval *obj, int64_t at_ms);
/* Write what the fold holds (the batch's sums and changed records); the records stay cached
 * (clean) for the next batch on the same connection. 0 or an sqlite code. */
int stats_fold_flush(stats_fold *f);
/* Drop everything cached (the transaction that held the last flush was rolled back). */
void stats_fold_forget(stats_fold *f);
/* The config for the next events (a reload). */
void stats_fold_set_cfg(stats_fold *f, const cfg_t *cfg);
/* Free the fold (unflushed work is dropped). */
void stats_fold_end(stats_fold *f);

#endif
