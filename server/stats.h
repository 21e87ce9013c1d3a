/* stats: statistics over business days (docs/statistics.md) -- the roll-up tables, the
 * counters they hold, and the writer-thread hook that keeps them.
 *
 * Design. Every stored event is folded, on the store's writer thread and inside the very
 * transaction that stores it (store_set_hook), into additive counters keyed by
 * (business day, hall, biz, window, staff, channel, item) in the table stats_day. What a
 * counter needs to remember between events (a ticket's entry time, a window's sign-in, a
 * review's deadline) lives in three small state tables in the same file (stats_tickets,
 * stats_windows, stats_reviews), so the result depends only on the events and their store
 * order, never on how they were grouped into transactions: replaying the events in id order
 * (stats_rebuild) gives the same rows byte for byte. Absent dimensions are '' (never NULL).
 *
 * A period KPI is computed from the sums of these counters over the period's days
 * (stats_query.c), never from daily averages.
 *
 * Thread: stats_rollup_* run on the store's writer thread (the hook) or in the rebuild
 * command; stats_rollup_set_cfg is called from the service thread on a config reload.
 */
#ifndef CW_STATS_H
#define CW_STATS_H

#include <sqlite3.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

/* The counters of one stats_day row, in column order. */
enum stats_col {
    SC_ISSUED,       /* tickets issued (key: biz, channel, item) */
    SC_CALLS,        /* calls that took a ticket out of waiting (key: + window, staff) */
    SC_WAIT_N,       /* visits with a known W (the last call of a visit counts) */
    SC_WAIT_MS,      /* sum of W */
    SC_FINISHED,     /* finished, any result */
    SC_DONE,         /* finished `done` (一次办结) */
    SC_SUPPLEMENT,   /* finished `supplement` (补正) */
    SC_SVC_N,        /* finished with a known service start */
    SC_SVC_MS,       /* sum of S */
    SC_NO_SHOW,      /* no-shows */
    SC_TRANSFERRED,  /* transfers out */
    SC_REVIEWS,      /* reviews (upheld appeals removed) on the review's day */
    SC_GOOD,         /* level >= 4 */
    SC_SATISFIED,    /* level >= 3 */
    SC_BAD,          /* level <= 2 (差评) */
    SC_LEVEL_SUM,    /* sum of levels (综合评分 = mean x 20) */
    SC_BAD_DUE,      /* 差评 whose rectification deadline falls on this day */
    SC_RECT_ON_TIME, /* ... of them closed by the deadline (整改率 numerator) */
    SC_CONTACTED,    /* 差评 of this day whose case was `contacted` (回访) */
    SC_APPEALED,     /* appeals (on the review's day) */
    SC_UPHELD,       /* appeals upheld */
    SC_APPEAL_REJECTED,
    SC_SIGNED_MS, /* window signed in (opened .. closed), pauses included */
    SC_PAUSE_LUNCH_MS,
    SC_PAUSE_BREAK_MS,
    SC_PAUSE_MEETING_MS,
    SC_PAUSE_OTHER_MS,
    SC__COUNT
};
extern const char *const stats_col_names[SC__COUNT];

/* The dimensions of a stats_day row, in key order after `day`. */
enum stats_dim { SD_HALL, SD_BIZ, SD_WINDOW, SD_STAFF, SD_CHANNEL, SD_ITEM, SD__COUNT };
extern const char *const stats_dim_names[SD__COUNT];

/* The DDL of the roll-up tables (idempotent; passed to store_open). */
extern const char stats_schema[];

typedef struct stats_rollup stats_rollup;

/* A roll-up keeper for the config cfg (stolen: freed with it or when replaced). */
stats_rollup *stats_rollup_create(cfg_t *cfg);
/* Replace the config (a reload); the old one is freed. Any thread. */
void stats_rollup_set_cfg(stats_rollup *ru, cfg_t *cfg);
void stats_rollup_free(stats_rollup *ru);

/* The store hook (store_hook {stats_rollup_batch, stats_rollup_rollback, stats_rollup_close,
 * ru}): batch folds the accepted items of one job into the tables through db, inside the
 * caller's transaction (ticket and window records stay cached on the writer between
 * batches); rollback forgets the cache; close finalizes the statements. */
int stats_rollup_batch(void *ru, sqlite3 *db, const store_item *items, int n);
void stats_rollup_rollback(void *ru);
void stats_rollup_close(void *ru);

/* Rebuild every roll-up table of the store file at db_path from its raw events (the
 * --rebuild-rollups command; the hub must not be running on that file). Returns the number
 * of events folded, or -1 with a message in err. */
int64_t stats_rebuild(const cfg_t *cfg, const char *db_path, char *err, size_t errlen);

#endif
