/* stats_fold_db: the bottom of the roll-up fold -- its prepared statements' small helpers and
 * the rows the cache writes back (stats_day upserts, tickets, windows), and the local day of an
 * instant. Calls no other stats_fold file. Writer thread (or the rebuild command). */
#include <stdio.h>
#include <string.h>

#include "cwtime.h"
#include "stats_fold_internal.h"

/* ---- helpers ----------------------------------------------------------------------------- */

/* Bound without a copy (SQLITE_STATIC): every caller steps, resets and clears the statement
 * before the string it bound can go (copies were a tenth of the roll-up's sqlite work). */
void fold_text(sqlite3_stmt *st, int i, const char *v)
{
    sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_STATIC);
}

void fold_copy(char *dst, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    fold_id_copy(dst, FOLD_ID, t ? (const char *)t : "");
}

int fold_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rc;
}

int fold_db_upsert(stats_fold *f, const fold_key *k, const int64_t *delta)
{
    sqlite3_stmt *st = f->st[FS_UPSERT];
    sqlite3_bind_int(st, 1, k->day);
    fold_text(st, 2, k->hall);
    fold_text(st, 3, k->biz);
    fold_text(st, 4, k->win);
    fold_text(st, 5, k->staff);
    fold_text(st, 6, k->channel);
    fold_text(st, 7, k->item);
    for (int c = 0; c < SC__COUNT; c++)
        sqlite3_bind_int64(st, 8 + c, delta[c]);
    return fold_done(st);
}

int fold_db_put_ticket(stats_fold *f, const fold_rec *r)
{
    const fold_ticket *t = &r->u.t;
    sqlite3_stmt *st = f->st[FS_PUT_TICKET];
    fold_text(st, 1, r->hall);
    sqlite3_bind_int(st, 2, r->day);
    fold_text(st, 3, r->id);
    fold_text(st, 4, t->biz);
    fold_text(st, 5, t->channel);
    fold_text(st, 6, t->item);
    sqlite3_bind_int(st, 7, t->state);
    sqlite3_bind_int64(st, 8, t->entered_ms);
    sqlite3_bind_int64(st, 9, t->called_ms);
    sqlite3_bind_int64(st, 10, t->start_ms);
    fold_text(st, 11, t->win);
    fold_text(st, 12, t->staff);
    sqlite3_bind_int64(st, 13, t->w_ms);
    fold_text(st, 14, t->w_win);
    fold_text(st, 15, t->w_staff);
    return fold_done(st);
}

int fold_day(int64_t ms)
{
    cwt_local l;
    cwt_to_local(ms, &l);
    return l.date;
}

/* The end of the local day that contains ms. */
int64_t fold_day_end(int64_t ms)
{
    cwt_local l, n;
    cwt_to_local(ms, &l);
    cwt_to_local(l.day_start_ms + 36 * 3600000LL, &n);
    return n.day_start_ms;
}

int fold_db_put_window(stats_fold *f, const fold_rec *r)
{
    const fold_window *w = &r->u.w;
    sqlite3_stmt *st = f->st[FS_PUT_WINDOW];
    fold_text(st, 1, r->hall);
    fold_text(st, 2, r->id);
    fold_text(st, 3, w->staff);
    sqlite3_bind_int64(st, 4, w->open_ms);
    sqlite3_bind_int64(st, 5, w->pause_ms);
    sqlite3_bind_int(st, 6, w->reason);
    return fold_done(st);
}
