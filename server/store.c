/* store: sqlite3 durable store with a group-commit writer thread -- here opening (schemas,
 * migrations, the dedupe index), the job queues between the threads, jobs and statistics; the
 * writer thread is store_write.c, the service thread's reads store_read.c. See store.h for the
 * design and invariants. */
#include "store_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cwtime.h"
#include "feedindex.h"
#include "xalloc.h"
#include "migrate.h"

/* The log's own tables; the modules that keep tables here pass their DDL to store_open. */
static const char *SCHEMA =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS feeds(id INTEGER PRIMARY KEY, hall TEXT NOT NULL,"
    " feed TEXT NOT NULL, hwm INTEGER NOT NULL DEFAULT 0, UNIQUE(hall, feed));"
    "CREATE TABLE IF NOT EXISTS feed_gaps(feed_id INTEGER NOT NULL, lo INTEGER NOT NULL,"
    " hi INTEGER NOT NULL, PRIMARY KEY(feed_id, lo)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, feed_id INTEGER NOT NULL,"
    " seq INTEGER NOT NULL, hall TEXT NOT NULL, type TEXT NOT NULL, at_ms INTEGER NOT NULL,"
    " recv_ms INTEGER NOT NULL, body TEXT NOT NULL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS events_key ON events(feed_id, seq);"
    "CREATE TABLE IF NOT EXISTS quarantine(id INTEGER PRIMARY KEY, recv_ms INTEGER NOT NULL,"
    " token TEXT, hall TEXT, feed TEXT, seq INTEGER, kind TEXT NOT NULL, reason TEXT NOT NULL,"
    " body TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS snapshots(id INTEGER PRIMARY KEY CHECK(id = 1),"
    " event_id INTEGER NOT NULL, saved_ms INTEGER NOT NULL, body TEXT NOT NULL);"
    /* the identity of this store file: a new file (a new demo day) gets a new one */
    "INSERT OR IGNORE INTO meta(key, value) VALUES('store_id', lower(hex(randomblob(8))));";

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static sqlite3 *open_db(const char *path, bool create, int cache_mib, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    /* synchronous=FULL: a commit is on disk (WAL fsync'd) before anyone is told. The WAL is
     * checkpointed every ~16 MiB and truncated back to 64 MiB at most, so recovery after
     * kill -9 never replays a huge WAL. The page cache (cache_size, KiB when negative) is what the
     * connection's memory grows to as the database grows. */
    char pragmas[320];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;"
             "PRAGMA wal_autocheckpoint=4000; PRAGMA journal_size_limit=67108864;"
             "PRAGMA cache_size=-%d; PRAGMA temp_store=MEMORY;",
             cache_mib * 1024);
    if (exec(db, pragmas, err, errlen) < 0) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static int prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql, char *err, size_t errlen)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "prepare: %s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static int load_index(store_t *s, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s->wdb, &st, "SELECT id, hall, feed, hwm FROM feeds", err, errlen) < 0) return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        feedindex_load_feed(s->idx, sqlite3_column_int64(st, 0),
                            (const char *)sqlite3_column_text(st, 1),
                            (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3));
    }
    sqlite3_finalize(st);
    if (prepare(s->wdb, &st, "SELECT feed_id, lo, hi FROM feed_gaps ORDER BY feed_id, lo", err,
                errlen) < 0)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW)
        feedindex_load_gap(s->idx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                           sqlite3_column_int64(st, 2));
    sqlite3_finalize(st);
    return 0;
}

store_t *store_open(const char *path, const char *const *schemas, int cache_mib, char *err,
                    size_t errlen)
{
    store_t *s = cw_xcalloc(1, sizeof(*s));
    if (!s) return NULL;
    s->path = cw_xstrdup(path);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->idx = feedindex_new();
    s->wdb = open_db(path, true, cache_mib, err, errlen);
    if (!s->wdb) goto fail;
    if (migrate_store(s->wdb, path, SCHEMA, err, errlen) < 0) goto fail;
    for (int i = 0; schemas && schemas[i]; i++)
        if (exec(s->wdb, schemas[i], err, errlen) < 0) goto fail;
    s->rdb = open_db(path, false, cache_mib, err, errlen);
    if (!s->rdb) goto fail;
    if (prepare(s->wdb, &s->ins_event,
                "INSERT INTO events(feed_id, seq, hall, type, at_ms, recv_ms, body)"
                " VALUES(?,?,?,?,?,?,?)",
                err, errlen) < 0 ||
        prepare(s->wdb, &s->ins_quar,
                "INSERT INTO quarantine(recv_ms, token, hall, feed, seq, kind, reason, body)"
                " VALUES(?,?,?,?,?,?,?,?)",
                err, errlen) < 0 ||
        prepare(s->wdb, &s->get_body, "SELECT body FROM events WHERE feed_id = ? AND seq = ?", err,
                errlen) < 0 ||
        prepare(s->wdb, &s->ins_feed, "INSERT INTO feeds(id, hall, feed, hwm) VALUES(?,?,?,?)", err,
                errlen) < 0 ||
        prepare(s->wdb, &s->upd_feed, "UPDATE feeds SET hwm = ? WHERE id = ?", err, errlen) < 0 ||
        prepare(s->wdb, &s->del_gaps, "DELETE FROM feed_gaps WHERE feed_id = ?", err, errlen) < 0 ||
        prepare(s->wdb, &s->ins_gap, "INSERT INTO feed_gaps(feed_id, lo, hi) VALUES(?,?,?)", err,
                errlen) < 0)
        goto fail;
    if (load_index(s, err, errlen) < 0) goto fail;
    atomic_store(&s->healthy, true);
    atomic_store(&s->gap_seqs, feedindex_missing(s->idx));
    atomic_store(&s->nfeeds, feedindex_count(s->idx));
    return s;
fail:
    store_close(s);
    return NULL;
}

void store_set_hook(store_t *s, const store_hook *h)
{
    s->hook = *h;
}

int store_start(store_t *s, store_wake_fn wake, void *ud)
{
    s->wake = wake;
    s->wake_ud = ud;
    if (pthread_create(&s->thread, NULL, store_writer_main, s) != 0) return -1;
    s->started = true;
    return 0;
}

void store_submit(store_t *s, store_job *job)
{
    job->next = NULL;
    job->rc = 0;
    pthread_mutex_lock(&s->lock);
    if (s->queue_tail)
        s->queue_tail->next = job;
    else
        s->queue_head = job;
    s->queue_tail = job;
    s->inflight++;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void store_submit_chain(store_t *s, store_job *first)
{
    store_job *last = first;
    int n = 1;
    for (store_job *j = first; j; j = j->next) {
        j->rc = 0;
        last = j;
        n += j != first;
    }
    pthread_mutex_lock(&s->lock); /* the writer takes the whole queue at once: one transaction */
    if (s->queue_tail)
        s->queue_tail->next = first;
    else
        s->queue_head = first;
    s->queue_tail = last;
    s->inflight += n;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

store_job *store_take_done(store_t *s)
{
    pthread_mutex_lock(&s->lock);
    store_job *d = s->done_head;
    for (store_job *j = d; j; j = j->next)
        s->inflight--;
    s->done_head = s->done_tail = NULL;
    pthread_mutex_unlock(&s->lock);
    return d;
}

int store_inflight(store_t *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->inflight;
    pthread_mutex_unlock(&s->lock);
    return n;
}

void store_close(store_t *s)
{
    if (!s) return;
    if (s->started) {
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    for (store_job *j = store_take_done(s), *n; j; j = n) {
        n = j->next;
        store_job_free(j);
    }
    if (s->hook.close) s->hook.close(s->hook.ud);
    sqlite3_stmt *sts[] = {s->ins_event, s->ins_quar, s->get_body, s->ins_feed,
                           s->upd_feed,  s->del_gaps, s->ins_gap};
    for (size_t i = 0; i < sizeof(sts) / sizeof(sts[0]); i++)
        sqlite3_finalize(sts[i]);
    if (s->wdb) sqlite3_exec(s->wdb, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(s->rdb);
    sqlite3_close(s->wdb);
    feedindex_free(s->idx);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s->path);
    free(s);
}

/* ---- jobs ------------------------------------------------------------------------------- */

store_job *store_job_new_sql(const char *sql)
{
    store_job *j = cw_xcalloc(1, sizeof(*j));
    if (!j) return NULL;
    j->kind = STORE_JOB_SQL;
    j->sql = cw_xstrdup(sql);
    return j;
}

void store_job_arg_int(store_job *j, int64_t v)
{
    if (j->nargs >= STORE_SQL_MAX_ARGS) abort();
    j->args[j->nargs].is_text = false;
    j->args[j->nargs++].i = v;
}

void store_job_arg_text(store_job *j, const char *v)
{
    if (j->nargs >= STORE_SQL_MAX_ARGS) abort();
    j->args[j->nargs].is_text = true;
    j->args[j->nargs++].text = v ? cw_xstrdup(v) : NULL;
}

void store_job_arg_blob(store_job *j, unsigned char *buf, size_t len)
{
    if (j->nargs >= STORE_SQL_MAX_ARGS) abort();
    j->args[j->nargs].is_text = false;
    j->args[j->nargs].blob = buf;
    j->args[j->nargs++].blob_len = len;
}

void store_job_arg_json(store_job *j, json_t *v)
{
    if (j->nargs >= STORE_SQL_MAX_ARGS) abort();
    j->args[j->nargs].is_text = true;
    j->args[j->nargs].text = NULL;
    j->args[j->nargs++].json = v;
}

void store_job_free(store_job *j)
{
    if (!j) return;
    for (int i = 0; i < j->nitems; i++) {
        store_item *it = &j->items[i];
        free(it->hall);
        free(it->feed);
        free(it->type);
        free(it->body);
        free(it->reason);
        json_decref(it->obj);
    }
    free(j->items);
    free(j->token);
    free(j->sql);
    for (int i = 0; i < j->nargs; i++) {
        free(j->args[i].text);
        free(j->args[i].blob);
        json_decref(j->args[i].json);
    }
    free(j);
}

void store_get_stats(store_t *s, store_stats *o)
{
    memset(o, 0, sizeof(*o));
    o->commits = atomic_load(&s->n_commits);
    o->events = atomic_load(&s->n_events);
    o->duplicates = atomic_load(&s->n_dups);
    o->conflicts = atomic_load(&s->n_conflicts);
    o->quarantined = atomic_load(&s->n_quar);
    o->failures = atomic_load(&s->n_failures);
    o->last_commit_us = atomic_load(&s->last_commit_us);
    o->healthy = atomic_load(&s->healthy);
    o->gap_events = (uint64_t)atomic_load(&s->gap_seqs);
    o->feeds = (uint64_t)atomic_load(&s->nfeeds);
}
