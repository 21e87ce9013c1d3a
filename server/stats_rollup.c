/* stats_rollup: the writer-thread hook that keeps the roll-ups, and the rebuild command
 * (see stats.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "stats.h"
#include "stats_fold.h"
#include "xalloc.h"

struct stats_rollup {
    pthread_mutex_t lock; /* guards cfg: the writer folds under it, a reload swaps it */
    cfg_t *cfg;           /* owned */
    stats_fold *fold;     /* writer thread: on the write connection, its cache kept */
};

stats_rollup *stats_rollup_create(cfg_t *cfg)
{
    stats_rollup *ru = cw_xcalloc(1, sizeof *ru);
    if (!ru) {
        cfg_free(cfg);
        return NULL;
    }
    pthread_mutex_init(&ru->lock, NULL);
    ru->cfg = cfg;
    return ru;
}

void stats_rollup_set_cfg(stats_rollup *ru, cfg_t *cfg)
{
    if (!cfg) return;
    pthread_mutex_lock(&ru->lock);
    cfg_t *old = ru->cfg;
    ru->cfg = cfg;
    pthread_mutex_unlock(&ru->lock);
    cfg_free(old);
}

void stats_rollup_free(stats_rollup *ru)
{
    if (!ru) return;
    stats_fold_end(ru->fold); /* (closed already when the store closed) */
    cfg_free(ru->cfg);
    pthread_mutex_destroy(&ru->lock);
    free(ru);
}

int stats_rollup_batch(void *ud, sqlite3 *db, const store_item *items, int n)
{
    stats_rollup *ru = ud;
    int i = 0, rc = 0;
    while (i < n && items[i].result != STORE_ACCEPTED) /* nothing new: no statements */
        i++;
    if (i == n) return 0;
    pthread_mutex_lock(&ru->lock);
    if (!ru->fold) ru->fold = stats_fold_begin(db, ru->cfg, &rc);
    stats_fold *f = ru->fold;
    if (f) stats_fold_set_cfg(f, ru->cfg);
    for (; f && !rc && i < n; i++)
        if (items[i].result == STORE_ACCEPTED && items[i].ev.kind == EV_J_OBJECT)
            rc = stats_fold_event(f, &items[i].ev, items[i].at_ms);
    if (f && !rc) rc = stats_fold_flush(f);
    pthread_mutex_unlock(&ru->lock);
    return rc; /* nonzero: the store rolls back and calls stats_rollup_rollback */
}

void stats_rollup_rollback(void *ud)
{
    stats_rollup *ru = ud;
    pthread_mutex_lock(&ru->lock);
    if (ru->fold) stats_fold_forget(ru->fold);
    pthread_mutex_unlock(&ru->lock);
}

void stats_rollup_close(void *ud)
{
    stats_rollup *ru = ud;
    pthread_mutex_lock(&ru->lock);
    stats_fold_end(ru->fold);
    ru->fold = NULL;
    pthread_mutex_unlock(&ru->lock);
}

/* ---- rebuild ------------------------------------------------------------------------------ */

#define REBUILD_BATCH 20000 /* events per transaction */

static int rebuild_range(sqlite3 *db, const cfg_t *cfg, sqlite3_stmt *sel, int64_t *after,
                         int64_t *count)
{
    int rc = 0, n = 0;
    stats_fold *f = stats_fold_begin(db, cfg, &rc);
    if (!f) return rc;
    sqlite3_bind_int64(sel, 1, *after);
    sqlite3_bind_int(sel, 2, REBUILD_BATCH);
    while (!rc && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
        rc = 0;
        *after = sqlite3_column_int64(sel, 0);
        json_t *obj = json_loads((const char *)sqlite3_column_text(sel, 2), 0, NULL);
        ev_jval v;
        ev_jval_of_json(obj, &v);
        if (obj) rc = stats_fold_event(f, &v, sqlite3_column_int64(sel, 1));
        json_decref(obj);
        n++;
    }
    if (rc == SQLITE_DONE) rc = 0;
    sqlite3_reset(sel);
    if (!rc) rc = stats_fold_flush(f);
    stats_fold_end(f);
    *count += n;
    return rc ? rc : (n ? SQLITE_ROW : SQLITE_DONE);
}

int64_t stats_rebuild(const cfg_t *cfg, const char *db_path, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *sel = NULL;
    int64_t after = 0, count = 0;
    int rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_busy_timeout(db, 5000);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, stats_schema, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db,
                          "BEGIN IMMEDIATE; DELETE FROM stats_day; DELETE FROM stats_tickets;"
                          " DELETE FROM stats_windows; DELETE FROM stats_reviews;",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db,
                                "SELECT id, at_ms, body FROM events WHERE id > ? ORDER BY id"
                                " LIMIT ?",
                                -1, &sel, NULL);
    while (rc == SQLITE_OK) {
        rc = rebuild_range(db, cfg, sel, &after, &count);
        if (rc == SQLITE_ROW) rc = SQLITE_OK; /* more to come, same transaction */
    }
    if (rc == SQLITE_DONE) rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", db_path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        if (db) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        count = -1;
    }
    sqlite3_finalize(sel);
    sqlite3_close(db);
    return count;
}
