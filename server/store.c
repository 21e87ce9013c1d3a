/* store: sqlite3 durable store with a group-commit writer thread. See store.h for the design
 * and invariants. */
#include "store.h"

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

static sqlite3 *open_db(const char *path, bool create, char *err, size_t errlen)
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
     * kill -9 never replays a huge WAL. */
    if (exec(db,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;"
             "PRAGMA wal_autocheckpoint=4000; PRAGMA journal_size_limit=67108864;"
             "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;",
             err, errlen) < 0) {
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

store_t *store_open(const char *path, const char *const *schemas, char *err, size_t errlen)
{
    store_t *s = cw_xcalloc(1, sizeof(*s));
    if (!s) return NULL;
    s->path = cw_xstrdup(path);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->idx = feedindex_new();
    s->wdb = open_db(path, true, err, errlen);
    if (!s->wdb) goto fail;
    if (migrate_store(s->wdb, path, SCHEMA, err, errlen) < 0) goto fail;
    for (int i = 0; schemas && schemas[i]; i++)
        if (exec(s->wdb, schemas[i], err, errlen) < 0) goto fail;
    s->rdb = open_db(path, false, err, errlen);
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

/* ---- writer thread ---------------------------------------------------------------------- */

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rc;
}

/* The compact JSON of an item, made here on the writer thread (ingest leaves it NULL so the
 * service thread does not pay for it); NULL only when out of memory. */
static const char *item_body(store_item *it)
{
    if (!it->body && it->obj) it->body = json_dumps(it->obj, JSON_COMPACT | JSON_ENCODE_ANY);
    return it->body;
}

static int quarantine_item(store_t *s, const store_job *job, store_item *it, const char *kind,
                           const char *reason)
{
    sqlite3_bind_int64(s->ins_quar, 1, it->recv_ms);
    bind_text(s->ins_quar, 2, job->token);
    bind_text(s->ins_quar, 3, it->hall);
    bind_text(s->ins_quar, 4, it->feed);
    if (it->seq > 0)
        sqlite3_bind_int64(s->ins_quar, 5, it->seq);
    else
        sqlite3_bind_null(s->ins_quar, 5);
    bind_text(s->ins_quar, 6, kind);
    bind_text(s->ins_quar, 7, reason);
    const char *body = item_body(it);
    bind_text(s->ins_quar, 8, body ? body : "");
    return step_reset(s->ins_quar);
}

/* Same (type, at, data) as the stored body, compared as JSON values (SPEC §3.2)? */
static bool same_content(const char *stored, json_t *obj)
{
    json_t *old = json_loads(stored, 0, NULL);
    if (!old) return false;
    static const char *keys[] = {"type", "at", "data"};
    bool same = true;
    for (size_t i = 0; i < 3 && same; i++) {
        json_t *a = json_object_get(old, keys[i]), *b = json_object_get(obj, keys[i]);
        if (!a || !b)
            same = (a == b);
        else
            same = json_equal(a, b);
    }
    json_decref(old);
    return same;
}

static int write_event(store_t *s, store_job *job, store_item *it)
{
    int64_t feed_id;
    bool created;
    if (feedindex_get(s->idx, it->hall, it->feed, &feed_id, &created) < 0) return SQLITE_NOMEM;
    if (created) {
        sqlite3_bind_int64(s->ins_feed, 1, feed_id);
        bind_text(s->ins_feed, 2, it->hall);
        bind_text(s->ins_feed, 3, it->feed);
        sqlite3_bind_int64(s->ins_feed, 4, 0);
        int rc = step_reset(s->ins_feed);
        if (rc) return rc;
    }
    if (!feedindex_seen(s->idx, feed_id, it->seq)) {
        if (!item_body(it)) return SQLITE_NOMEM;
        sqlite3_bind_int64(s->ins_event, 1, feed_id);
        sqlite3_bind_int64(s->ins_event, 2, it->seq);
        bind_text(s->ins_event, 3, it->hall);
        bind_text(s->ins_event, 4, it->type);
        sqlite3_bind_int64(s->ins_event, 5, it->at_ms);
        sqlite3_bind_int64(s->ins_event, 6, it->recv_ms);
        bind_text(s->ins_event, 7, it->body);
        int rc = step_reset(s->ins_event);
        if (rc) return rc;
        it->event_id = sqlite3_last_insert_rowid(s->wdb);
        feedindex_mark(s->idx, feed_id, it->seq);
        it->result = STORE_ACCEPTED;
        return 0;
    }
    /* A resend of a stored key: a duplicate; with other content also a conflict. */
    bool conflict = false;
    sqlite3_bind_int64(s->get_body, 1, feed_id);
    sqlite3_bind_int64(s->get_body, 2, it->seq);
    if (sqlite3_step(s->get_body) == SQLITE_ROW) {
        const char *stored = (const char *)sqlite3_column_text(s->get_body, 0);
        conflict = !same_content(stored ? stored : "", it->obj);
    }
    sqlite3_reset(s->get_body);
    sqlite3_clear_bindings(s->get_body);
    if (conflict) {
        int rc = quarantine_item(s, job, it, "conflict",
                                 "conflict: this (hall, feed, seq) is stored with other content");
        if (rc) return rc;
        it->result = STORE_CONFLICT;
    } else {
        it->result = STORE_DUPLICATE;
    }
    return 0;
}

static int set_meta(store_t *s, const char *key, int64_t v)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->wdb, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", -1,
                                &st, NULL);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, v);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : rc;
}

static int set_log_pos(store_t *s, int64_t pos, int64_t clock)
{
    int rc = set_meta(s, "log_applied", pos);
    return rc || !clock ? rc : set_meta(s, "log_clock", clock);
}

static int run_events(store_t *s, store_job *job)
{
    if (job->log_pos > 0) {
        int rc = set_log_pos(s, job->log_pos, job->log_clock);
        if (rc) return rc;
    }
    for (int i = 0; i < job->nitems; i++) {
        store_item *it = &job->items[i];
        int rc;
        if (it->kind == STORE_ITEM_REJECT) {
            rc = quarantine_item(s, job, it, "rejected", it->reason ? it->reason : "rejected");
            if (!rc) it->result = STORE_QUARANTINED;
        } else {
            rc = write_event(s, job, it);
        }
        if (rc) return rc;
    }
    return s->hook.batch ? s->hook.batch(s->hook.ud, s->wdb, job->items, job->nitems) : 0;
}

static int run_sql(store_t *s, store_job *job)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->wdb, job->sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return rc;
    for (int i = 0; i < job->nargs; i++) {
        store_arg *a = &job->args[i];
        if (a->json && !a->text) a->text = json_dumps(a->json, JSON_COMPACT);
        if (a->blob)
            sqlite3_bind_blob64(st, i + 1, a->blob, a->blob_len, SQLITE_STATIC);
        else if (a->is_text)
            bind_text(st, i + 1, a->text);
        else
            sqlite3_bind_int64(st, i + 1, a->i);
    }
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rc;
}

/* Persist the index changes of this transaction: hwm and gaps of every touched feed. */
static int persist_index(store_t *s)
{
    int64_t *ids;
    int n = feedindex_dirty(s->idx, &ids);
    for (int i = 0; i < n; i++) {
        int64_t hwm;
        const int64_t *gaps;
        int ngaps = feedindex_feed(s->idx, ids[i], &hwm, &gaps);
        sqlite3_bind_int64(s->upd_feed, 1, hwm);
        sqlite3_bind_int64(s->upd_feed, 2, ids[i]);
        int rc = step_reset(s->upd_feed);
        if (rc) return rc;
        if (!feedindex_gaps_dirty(s->idx, ids[i])) continue;
        sqlite3_bind_int64(s->del_gaps, 1, ids[i]);
        if ((rc = step_reset(s->del_gaps))) return rc;
        for (int g = 0; g < ngaps; g++) {
            sqlite3_bind_int64(s->ins_gap, 1, ids[i]);
            sqlite3_bind_int64(s->ins_gap, 2, gaps[2 * g]);
            sqlite3_bind_int64(s->ins_gap, 3, gaps[2 * g + 1]);
            if ((rc = step_reset(s->ins_gap))) return rc;
        }
    }
    return 0;
}

/* The errno behind the writer's last I/O failure (sqlite's, the WAL file's or the db file's),
 * 0 when unknown. */
static int last_errno(sqlite3 *db)
{
    int e = sqlite3_system_errno(db);
    sqlite3_file *f = NULL;
    if (!e && sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) == SQLITE_OK &&
        f && f->pMethods)
        f->pMethods->xFileControl(f, SQLITE_FCNTL_LAST_ERRNO, &e);
    if (!e) sqlite3_file_control(db, "main", SQLITE_FCNTL_LAST_ERRNO, &e);
    return e;
}

static void run_transaction(store_t *s, store_job *jobs)
{
    int64_t t0 = cwt_mono_ms();
    struct timespec ts0, ts1;
    clock_gettime(CLOCK_MONOTONIC, &ts0);
    (void)t0;
    int rc = sqlite3_exec(s->wdb, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    const char *where = "begin";
    feedindex_begin(s->idx);
    for (store_job *j = jobs; !rc && j; j = j->next) {
        rc = j->kind == STORE_JOB_EVENTS ? run_events(s, j) : run_sql(s, j);
        where = j->kind == STORE_JOB_EVENTS ? "events" : "sql";
    }
    if (!rc) {
        rc = persist_index(s);
        where = "index";
    }
    if (!rc) {
        rc = sqlite3_exec(s->wdb, "COMMIT", NULL, NULL, NULL);
        where = "commit";
    }
    clock_gettime(CLOCK_MONOTONIC, &ts1);
    int64_t us = (ts1.tv_sec - ts0.tv_sec) * 1000000LL + (ts1.tv_nsec - ts0.tv_nsec) / 1000;
    if (rc == SQLITE_OK) {
        feedindex_commit(s->idx);
#ifdef CW_CHECK_INVARIANTS
        char why[200];
        if (feedindex_check(s->idx, why, sizeof(why)) < 0) {
            fprintf(stderr, "citywall-hub: %s\n", why);
            abort();
        }
#endif
        uint64_t ev = 0, dup = 0, conf = 0, quar = 0;
        for (store_job *j = jobs; j; j = j->next) {
            j->rc = 0;
            j->commit_us = us;
            for (int i = 0; i < j->nitems; i++) {
                switch (j->items[i].result) {
                case STORE_ACCEPTED:
                    ev++;
                    break;
                case STORE_DUPLICATE:
                    dup++;
                    break;
                case STORE_CONFLICT:
                    dup++;
                    conf++;
                    quar++;
                    break;
                case STORE_QUARANTINED:
                    quar++;
                    break;
                }
            }
        }
        atomic_fetch_add(&s->n_commits, 1);
        atomic_fetch_add(&s->n_events, ev);
        atomic_fetch_add(&s->n_dups, dup);
        atomic_fetch_add(&s->n_conflicts, conf);
        atomic_fetch_add(&s->n_quar, quar);
        atomic_store(&s->last_commit_us, us);
        if (!atomic_exchange(&s->healthy, true))
            fprintf(stderr, "citywall-hub: store: writes succeed again\n");
        atomic_store(&s->gap_seqs, feedindex_missing(s->idx));
        atomic_store(&s->nfeeds, feedindex_count(s->idx));
        return;
    }
    /* Invariant 2: nothing of this transaction happened. */
    char msg[160];
    int prim = rc & 0xff, sys_errno = last_errno(s->wdb);
    if (sys_errno && (prim == SQLITE_IOERR || prim == SQLITE_FULL || prim == SQLITE_READONLY ||
                      prim == SQLITE_CANTOPEN)) /* name the cause: EROFS, ENOSPC, EIO ... */
        snprintf(msg, sizeof(msg), "store unavailable (%s: %s: %s)", where, sqlite3_errstr(rc),
                 strerror(sys_errno));
    else
        snprintf(msg, sizeof(msg), "store unavailable (%s: %s)", where, sqlite3_errstr(rc));
    sqlite3_exec(s->wdb, "ROLLBACK", NULL, NULL, NULL);
    feedindex_rollback(s->idx);
    if (s->hook.rollback) s->hook.rollback(s->hook.ud);
    atomic_fetch_add(&s->n_failures, 1);
    if (atomic_exchange(&s->healthy, false)) /* once per outage, not per batch */
        fprintf(stderr, "citywall-hub: store: writes failing, ingest answers 503: %s\n", msg);
    for (store_job *j = jobs; j; j = j->next) {
        j->rc = -1;
        snprintf(j->err, sizeof(j->err), "%s", msg);
        for (int i = 0; i < j->nitems; i++) {
            j->items[i].result = STORE_PENDING;
            j->items[i].event_id = 0;
        }
    }
}

static void *writer_main(void *arg)
{
    store_t *s = arg;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->queue_head && !s->stop)
            pthread_cond_wait(&s->cond, &s->lock);
        if (!s->queue_head && s->stop) break;
        store_job *jobs = s->queue_head, *last = s->queue_tail;
        s->queue_head = s->queue_tail = NULL;
        pthread_mutex_unlock(&s->lock);

        run_transaction(s, jobs);

        pthread_mutex_lock(&s->lock);
        if (s->done_tail)
            s->done_tail->next = jobs;
        else
            s->done_head = jobs;
        s->done_tail = last;
        pthread_mutex_unlock(&s->lock);
        if (s->wake) s->wake(s->wake_ud);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
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
    if (pthread_create(&s->thread, NULL, writer_main, s) != 0) return -1;
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

/* ---- reads (service thread) ------------------------------------------------------------- */

sqlite3 *store_reader(store_t *s)
{
    return s->rdb;
}

int store_load_snapshot(store_t *s, int64_t *event_id, unsigned char **body, size_t *len,
                        bool *binary)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->rdb, "SELECT event_id, body FROM snapshots WHERE id = 1", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    int found = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *event_id = sqlite3_column_int64(st, 0);
        *binary = sqlite3_column_type(st, 1) == SQLITE_BLOB;
        const void *p = *binary ? sqlite3_column_blob(st, 1) : sqlite3_column_text(st, 1);
        *len = (size_t)sqlite3_column_bytes(st, 1);
        *body = malloc(*len + 1);
        if (*body) {
            if (*len) memcpy(*body, p, *len);
            (*body)[*len] = 0;
            found = 1;
        } else {
            found = -1;
        }
    }
    sqlite3_finalize(st);
    return found;
}

int64_t store_replay(store_t *s, int64_t after_id, int64_t min_at_ms, store_event_fn fn, void *ud)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->rdb,
                           "SELECT id, body, at_ms, recv_ms FROM events WHERE id > ? AND at_ms >= ?"
                           " ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int64(st, 2, min_at_ms);
    int64_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        n++;
        if (fn(ud, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
               sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3)))
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : -1;
}

int64_t store_last_event_id(store_t *s)
{
    sqlite3_stmt *st;
    int64_t id = 0;
    if (sqlite3_prepare_v2(s->rdb, "SELECT max(id) FROM events", -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW) id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

int64_t store_last_recv_ms(store_t *s)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(s->rdb, "SELECT recv_ms FROM events ORDER BY id DESC LIMIT 1", -1, &st,
                           NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int store_meta_get_text(store_t *s, const char *key, char *out, size_t n)
{
    sqlite3_stmt *st;
    int found = 0;
    if (sqlite3_prepare_v2(s->rdb, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
        found = 1;
    }
    sqlite3_finalize(st);
    return found;
}

int store_meta_get_int(store_t *s, const char *key, int64_t *out)
{
    sqlite3_stmt *st;
    int found = 0;
    if (sqlite3_prepare_v2(s->rdb, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        found = 1;
    }
    sqlite3_finalize(st);
    return found;
}

int store_backup(const char *db_path, const char *out_path, char *err, size_t errlen)
{
    sqlite3 *src = NULL, *dst = NULL;
    int rc = -1;
    if (sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", db_path, sqlite3_errmsg(src));
        goto out;
    }
    if (sqlite3_open(out_path, &dst) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", out_path, sqlite3_errmsg(dst));
        goto out;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
        snprintf(err, errlen, "%s: %s", out_path, sqlite3_errmsg(dst));
        goto out;
    }
    int step;
    while ((step = sqlite3_backup_step(b, 1024)) == SQLITE_OK || step == SQLITE_BUSY ||
           step == SQLITE_LOCKED)
        sqlite3_sleep(5);
    sqlite3_backup_finish(b);
    if (step != SQLITE_DONE) {
        snprintf(err, errlen, "backup: %s", sqlite3_errstr(step));
        goto out;
    }
    rc = 0;
out:
    sqlite3_close(dst);
    sqlite3_close(src);
    return rc;
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
