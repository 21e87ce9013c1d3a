/* store: the durable store (sqlite3, WAL, synchronous=FULL) and its writer thread.
 *
 * Design. One writer thread owns the write connection and the dedupe index. The service
 * thread submits jobs (store_submit); the writer takes every job waiting, runs them in ONE
 * transaction (group commit), commits, and only then posts them back as done and calls the
 * wake function (which does lws_cancel_service). A job's results are valid only after it comes
 * back from store_take_done(): nothing is acknowledged before its commit.
 *
 * Dedupe is exact: per (hall, feed) the writer keeps the high-water mark of stored seqs and the
 * set of missing seqs below it (gaps, as ranges), persisted in the same transaction as the
 * events, so the index is rebuilt at start from two small tables, not from the events.
 *
 * Invariants:
 *   1. A (feed, seq) is stored at most once (the unique index enforces it as well).
 *   2. If a transaction fails, it is rolled back, the in-memory index is restored to the last
 *      commit, and every job in it completes with rc < 0 (nothing stored, nothing acked).
 *   3. Jobs complete in submission order.
 *
 * Reads for the REST API use a second connection (store_reader) on the service thread; WAL
 * lets them run beside the writer.
 */
#ifndef CW_STORE_H
#define CW_STORE_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "event.h"

typedef struct store store_t;

enum store_item_kind { STORE_ITEM_EVENT, STORE_ITEM_REJECT };
enum store_result {
    STORE_PENDING,
    STORE_ACCEPTED,    /* stored as a new event */
    STORE_DUPLICATE,   /* same key already stored, same content */
    STORE_CONFLICT,    /* same key, different content: the new body is quarantined */
    STORE_QUARANTINED, /* a rejected event, stored in quarantine */
};

typedef struct store_item {
    /* in */
    int kind;    /* enum store_item_kind */
    char *hall;  /* hall id, NULL when unknown (owned) */
    char *feed;  /* feed name (owned), NULL when unknown */
    int64_t seq; /* 0 when unknown */
    char *type;  /* owned, may be NULL for rejects */
    int64_t at_ms;
    int64_t recv_ms;
    char *body;   /* the event as compact JSON (owned); NULL: the writer makes it from obj */
    json_t *obj;  /* the event as jansson's tree (one reference owned by the item), or NULL */
    ev_jval ev;   /* the event as parsed, by jansson or evscan: a view into the job's parse
                     (the job's owner keeps it alive; read-only, also on the writer) */
    char *reason; /* reject reason (owned) */
    /* out */
    int result;       /* enum store_result */
    int64_t event_id; /* rowid when STORE_ACCEPTED */
} store_item;

enum store_job_kind { STORE_JOB_EVENTS, STORE_JOB_SQL };

#define STORE_SQL_MAX_ARGS 8
typedef struct store_arg {
    bool is_text;
    int64_t i;
    char *text;          /* owned */
    json_t *json;        /* owned; encoded to text on the writer thread (must not be shared) */
    unsigned char *blob; /* owned; bound as a BLOB when set */
    size_t blob_len;
} store_arg;

typedef struct store_job store_job;
typedef void (*store_done_fn)(store_job *job);

struct store_job {
    int kind; /* enum store_job_kind */
    /* STORE_JOB_EVENTS */
    store_item *items;
    int nitems;
    char *token; /* name of the token that sent them (owned) */
    /* STORE_JOB_SQL: one statement with bound arguments */
    char *sql; /* owned */
    store_arg args[STORE_SQL_MAX_ARGS];
    int nargs;
    /* back to the submitter, on the thread that takes the job back (the service thread):
     * done(job) is called once the transaction has committed or failed, and owns the job
     * from then on; NULL: the job is freed there (a failure logged) */
    store_done_fn done;
    void *done_ud; /* the submitter's, untouched by the store */
    void *ctx;     /* submitter's data, untouched by the store */
    /* cluster mode: when > 0, meta 'log_applied' is set to it in the job's transaction (the
     * position in the replicated log up to which this store has applied, hublog.h) */
    int64_t log_pos;
    int64_t log_clock; /* with log_pos: the log's business time there (meta 'log_clock') */
    /* out */
    int rc; /* 0, or < 0 when the transaction failed */
    char err[160];
    int64_t commit_us; /* time from the transaction start to its commit */
    struct store_job *next;
};

typedef void (*store_wake_fn)(void *ud);

/* Open (creating the log's tables if needed, then running each DDL of schemas: the modules
 * that keep tables here, NULL-terminated, each idempotent) and load the dedupe index. The store
 * knows no module. cache_mib: each connection's page cache (server.db_cache_mib). Returns NULL
 * with a message in err on failure. */
store_t *store_open(const char *path, const char *const *schemas, int cache_mib, char *err,
                    size_t errlen);
/* Start the writer thread; wake(ud) is called from it after jobs are done. */
int store_start(store_t *s, store_wake_fn wake, void *ud);
/* Drain the queue, stop the writer thread, checkpoint and close. */
void store_close(store_t *s);

/* A hook run on the writer thread (the statistics roll-ups, stats.h). Set before
 * store_start; ud must outlive the store.
 *  batch:    inside every transaction that writes events, after each events job: items are
 *            the job's (those with result STORE_ACCEPTED were stored now, in order). A
 *            nonzero return (an sqlite code) rolls the whole transaction back.
 *  rollback: a transaction failed and was rolled back: forget what batch kept of it.
 *  close:    the writer has stopped and the write connection is about to close (finalize
 *            statements prepared on db). */
typedef struct store_hook {
    int (*batch)(void *ud, sqlite3 *db, const store_item *items, int n);
    void (*rollback)(void *ud);
    void (*close)(void *ud);
    void *ud;
} store_hook;
void store_set_hook(store_t *s, const store_hook *h);

/* Queue a job (ownership passes to the store until it returns from store_take_done). */
void store_submit(store_t *s, store_job *job);
/* Queue a chain of jobs (linked by next) so that they all run in ONE transaction: they commit
 * or fail together (cluster mode applies a run of log records this way, never out of order). */
void store_submit_chain(store_t *s, store_job *first);
/* Detach and return the completed jobs, oldest first (caller owns them: store_job_free). */
store_job *store_take_done(store_t *s);
/* Jobs submitted and not yet taken back. */
int store_inflight(store_t *s);

store_job *store_job_new_sql(const char *sql);
void store_job_arg_int(store_job *j, int64_t v);
void store_job_arg_text(store_job *j, const char *v); /* copied; NULL binds SQL NULL */
/* Bytes bound as a BLOB; the buffer is stolen (freed with the job). */
void store_job_arg_blob(store_job *j, unsigned char *buf, size_t len);
/* A JSON document, encoded (compact) on the writer thread so that a large document costs the
 * submitter nothing; the reference is stolen and no other thread may touch the tree after. */
void store_job_arg_json(store_job *j, json_t *v);
void store_job_free(store_job *j);

/* The service thread's read connection. */
sqlite3 *store_reader(store_t *s);

/* Last committed state snapshot: its bytes (malloc'd and NUL-terminated, caller frees), length,
 * and whether it is binary (a BLOB) or JSON text. Returns 1 if found, 0 if none, -1 on error. */
int store_load_snapshot(store_t *s, int64_t *event_id, unsigned char **body, size_t *len,
                        bool *binary);
/* Call fn for every stored event with id > after_id and at_ms >= min_at_ms, in id order.
 * fn returns 0 to continue. Returns the number of events visited, -1 on error. */
typedef int (*store_event_fn)(void *ud, int64_t id, const char *body, int64_t at_ms,
                              int64_t recv_ms);
int64_t store_replay(store_t *s, int64_t after_id, int64_t min_at_ms, store_event_fn fn, void *ud);
/* Highest event rowid (0 when empty). */
int64_t store_last_event_id(store_t *s);
/* Business receive time of the newest stored event (0 when none). */
int64_t store_last_recv_ms(store_t *s);
/* meta key/value (service thread, read connection). Returns 1 and *out when found. */
int store_meta_get_int(store_t *s, const char *key, int64_t *out);
/* The same for a text value, copied into out (n bytes). */
int store_meta_get_text(store_t *s, const char *key, char *out, size_t n);

/* Online consistent copy of the database into path (sqlite3 backup API). */
int store_backup(const char *db_path, const char *out_path, char *err, size_t errlen);

typedef struct store_stats {
    uint64_t commits, events, duplicates, conflicts, quarantined, failures, gaps_open, gap_events,
        feeds;
    int64_t last_commit_us;
    bool healthy; /* the last transaction committed */
} store_stats;
void store_get_stats(store_t *s, store_stats *out);

#endif
