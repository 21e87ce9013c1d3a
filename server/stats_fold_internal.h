/* stats_fold internals shared by stats_fold.c (tickets) and stats_fold_review.c (windows,
 * reviews, cases). */
#ifndef CW_STATS_FOLD_INTERNAL_H
#define CW_STATS_FOLD_INTERNAL_H

#include "event.h"
#include "stats.h"
#include "stats_fold.h"

#define FOLD_ID 136 /* ids: <= 64 bytes (event.h); tickets: <= 32 characters of UTF-8 */

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

struct stats_fold {
    sqlite3 *db;
    const cfg_t *cfg; /* borrowed for the fold's lifetime */
    sqlite3_stmt *st[FS__COUNT];
};

/* One stats_day key; NULL strings are stored as ''. */
typedef struct fold_key {
    int day;
    const char *hall, *biz, *win, *staff, *channel, *item;
} fold_key;

int fold_add(stats_fold *f, const fold_key *k, const int64_t *delta);
int fold_add1(stats_fold *f, const fold_key *k, int col, int64_t v);
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
