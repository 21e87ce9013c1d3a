/* store_write: the writer thread -- it takes every job waiting, runs them in ONE transaction
 * (events with dedupe and quarantine, side-writes, the dedupe index, the log position, the
 * hook's roll-ups), commits with synchronous=FULL and only then hands them back. See store.h.
 *
 * Thread: the store's writer thread only */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cwtime.h"
#include "store_internal.h"
#include "xalloc.h"

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

/* Same (type, at, data) as the stored body, compared as JSON values (SPEC §3.2)? Only a
 * resent (hall, feed, seq) gets here: the new event is parsed again, with jansson. */
static bool same_content(const char *stored, store_item *it)
{
    json_t *old = json_loads(stored, 0, NULL);
    json_t *obj =
        it->obj ? json_incref(it->obj) : json_loads(item_body(it) ? it->body : "", 0, NULL);
    if (!old || !obj) {
        json_decref(old);
        json_decref(obj);
        return false;
    }
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
    json_decref(obj);
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
        conflict = !same_content(stored ? stored : "", it);
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

void *store_writer_main(void *arg)
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
