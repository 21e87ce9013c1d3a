/* stats_fold internals shared by stats_fold.c (tickets) and stats_fold_review.c (windows,
 * reviews, cases). */
#ifndef CW_STATS_FOLD_INTERNAL_H
#define CW_STATS_FOLD_INTERNAL_H

#include <stdbool.h>
#include <string.h>

#include "event.h"
#include "stats.h"
#include "stats_fold.h"

#define FOLD_ID 72      /* ids: <= 64 bytes (event.h, config) */
#define FOLD_TICKET 136 /* tickets: <= 32 characters of UTF-8 */

/* Copy src (NULL: "") into dst of cap bytes, cut at cap - 1 bytes: snprintf's "%s" without
 * the formatting, which took a tenth of the writer thread's time per event (BENCHMARKS.md,
 * "Ingest without a tree"). */
static inline void fold_id_copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
}

enum fold_stmt {
    FS_UPSERT,
    FS_GET_TICKET,
    FS_PUT_TICKET,
    FS_GET_WINDOW,
    FS_PUT_WINDOW,
    FS_GET_REVIEW,
    FS_PUT_REVIEW,
    FS__COUNT
};

/* One stats_day key; NULL strings are stored as ''. */
typedef struct fold_key {
    int day;
    const char *hall, *biz, *win, *staff, *channel, *item;
} fold_key;

/* What the fold remembers of a ticket (stats_tickets) and of a window (stats_windows). */
enum { T_WAITING, T_SERVING, T_ENDED };
typedef struct fold_ticket {
    char biz[FOLD_ID], channel[FOLD_ID], item[FOLD_ID], win[FOLD_ID], staff[FOLD_ID];
    char w_win[FOLD_ID], w_staff[FOLD_ID];
    int state;
    int64_t entered_ms, called_ms, start_ms, w_ms;
} fold_ticket;

typedef struct fold_window {
    char staff[FOLD_ID];
    int64_t open_ms, pause_ms; /* -1: closed / not paused */
    int reason;                /* enum ev_pause_reason of the pause */
} fold_window;

/* The fold's cache for one batch (stats_fold_cache.c): ticket and window records read once
 * and written back once, and the stats_day deltas summed per key, all written by
 * stats_fold_flush. Sums do not depend on grouping, so the rows are the same as with one
 * statement per event. */
enum { FR_TICKET, FR_WINDOW };
typedef struct fold_rec {
    int kind;    /* FR_* */
    bool dirty;  /* to be written by stats_fold_flush */
    bool absent; /* not stored (read and not found): u holds the defaults */
    char hall[FOLD_ID], id[FOLD_TICKET];
    int day; /* tickets */
    union {
        fold_ticket t;
        fold_window w;
    } u;
} fold_rec;

typedef struct fold_cache fold_cache;

struct stats_fold {
    sqlite3 *db;
    const cfg_t *cfg; /* borrowed for the fold's lifetime */
    sqlite3_stmt *st[FS__COUNT];
    fold_cache *cache;
};

/* ---- stats_fold_cache.c ---- */
fold_cache *fold_cache_new(void);
void fold_cache_free(fold_cache *c);
void fold_cache_clear(fold_cache *c);
/* The cached record, or NULL. */
fold_rec *fold_rec_find(stats_fold *f, int kind, const char *hall, int day, const char *id);
/* The cached record, created (zeroed, clean) when absent; NULL when out of memory. */
fold_rec *fold_rec_make(stats_fold *f, int kind, const char *hall, int day, const char *id);
/* Sum delta into the key's pending row. 0, or SQLITE_NOMEM. */
int fold_delta_add(stats_fold *f, const fold_key *k, const int64_t *delta);
/* A ticket's record (cached); *found 0 for a ticket never stored (defaults). 0 or an sqlite
 * code. */
int fold_get_ticket(stats_fold *f, const char *hall, int day, const char *ticket, fold_ticket *t,
                    int *found);
int fold_add(stats_fold *f, const fold_key *k, const int64_t *delta);
int fold_add1(stats_fold *f, const fold_key *k, int col, int64_t v);

/* ---- stats_fold_db.c: the bottom ---- */
/* The rows the cache writes back. */
int fold_db_upsert(stats_fold *f, const fold_key *k, const int64_t *delta);
int fold_db_put_ticket(stats_fold *f, const fold_rec *r);
int fold_db_put_window(stats_fold *f, const fold_rec *r);
void fold_text(sqlite3_stmt *st, int i, const char *v);
void fold_copy(char *dst, sqlite3_stmt *st, int col); /* FOLD_ID bytes */
int fold_done(sqlite3_stmt *st);
int fold_day(int64_t ms);         /* local yyyymmdd */
int64_t fold_day_end(int64_t ms); /* the next local midnight */

/* The staff now signed in at the event's window ('' when none), into FOLD_ID bytes; the
 * event's own `staff` when it names one. */
int fold_window_staff(stats_fold *f, const ev_event *ev, char *staff);
int fold_window_event(stats_fold *f, const ev_event *ev);
int fold_review(stats_fold *f, const ev_event *ev, int day);
int fold_case(stats_fold *f, const ev_event *ev);

#endif
