/* store_internal: the store's state, shared by store.c (opening, queues, jobs), store_write.c
 * (the writer thread) and store_read.c (the service thread's reads). Not for other modules.
 *
 * Threads: each field says who owns it. */
#ifndef CW_STORE_INTERNAL_H
#define CW_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "feedindex.h"
#include "store.h"

struct store {
    char *path;
    sqlite3 *wdb;   /* writer thread only (after store_start) */
    sqlite3 *rdb;   /* service thread only */
    feedindex *idx; /* writer thread only (after store_start) */

    sqlite3_stmt *ins_event, *ins_quar, *get_body, *ins_feed, *upd_feed, *del_gaps, *ins_gap;

    pthread_t thread;
    bool started;
    pthread_mutex_t lock; /* guards the queues and `stop` */
    pthread_cond_t cond;
    store_job *queue_head, *queue_tail;
    store_job *done_head, *done_tail;
    int inflight;
    bool stop;
    store_wake_fn wake;
    void *wake_ud;
    store_hook hook; /* called by the writer (store_set_hook) */

    _Atomic uint64_t n_commits, n_events, n_dups, n_conflicts, n_quar, n_failures;
    _Atomic int64_t last_commit_us;
    _Atomic bool healthy;
    _Atomic int64_t gap_seqs, nfeeds;
};

/* ---- writer thread ---------------------------------------------------------------------- */

static inline void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static inline int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rc;
}

/* store_write.c: the writer thread's main (pthread_create's start routine; arg: the store). */
void *store_writer_main(void *arg);

#endif
