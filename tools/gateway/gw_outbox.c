/* gw_outbox: the durable outbox (sqlite, WAL, synchronous=FULL); see gw_outbox.h for the
 * invariants. All SQL goes through prepared statements cached per handle. */
#include "gw_outbox.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cwtime.h"
#include "xalloc.h"

enum {
    ST_NEXT_SEQ,
    ST_INSERT,
    ST_QUAR,
    ST_GET_POS,
    ST_SET_POS,
    ST_FILE_TAKEN,
    ST_MARK_FILE,
    ST_DEPTH,
    ST_PENDING_TYPE,
    ST_QCOUNT,
    ST_PEEK,
    ST_ACK_DEL,
    ST_ACK_FEED,
    ST_REJ_SEL,
    ST_REJ_DEL,
    ST_SEEN_GET,
    ST_SEEN_PUT,
    ST_SEEN_PRUNE,
    ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
    [ST_NEXT_SEQ] = "INSERT INTO feeds(hall, feed, last_seq) VALUES(?1, ?2, 1) "
                    "ON CONFLICT(hall, feed) DO UPDATE SET last_seq = last_seq + 1 "
                    "RETURNING last_seq",
    [ST_INSERT] = "INSERT INTO outbox(hall, feed, seq, type, body, taken_at) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_QUAR] = "INSERT INTO quarantine(at, input, ref, reason, record) VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_GET_POS] = "SELECT pos FROM positions WHERE input = ?1",
    [ST_SET_POS] = "INSERT INTO positions(input, pos, updated_at) VALUES(?1, ?2, ?3) "
                   "ON CONFLICT(input) DO UPDATE SET pos = excluded.pos, "
                   "updated_at = excluded.updated_at",
    [ST_FILE_TAKEN] = "SELECT 1 FROM files WHERE input = ?1 AND name = ?2 AND size = ?3 AND "
                      "mtime = ?4",
    [ST_MARK_FILE] = "INSERT OR IGNORE INTO files(input, name, size, mtime, taken_at) "
                     "VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_DEPTH] = "SELECT count(*) FROM outbox",
    [ST_PENDING_TYPE] = "SELECT count(*) FROM outbox WHERE hall = ?1 AND feed = ?2 AND type = ?3",
    [ST_QCOUNT] = "SELECT count(*) FROM quarantine",
    [ST_PEEK] = "SELECT id, hall, feed, seq, body FROM outbox ORDER BY id LIMIT ?1",
    [ST_ACK_DEL] = "DELETE FROM outbox WHERE hall = ?1 AND feed = ?2 AND seq <= ?3",
    [ST_ACK_FEED] = "UPDATE feeds SET acked_seq = max(acked_seq, ?3), acked_at = ?4 "
                    "WHERE hall = ?1 AND feed = ?2",
    [ST_REJ_SEL] = "SELECT hall, feed, seq, body FROM outbox WHERE id = ?1",
    [ST_REJ_DEL] = "DELETE FROM outbox WHERE id = ?1",
    [ST_SEEN_GET] = "SELECT 1 FROM seen WHERE input = ?1 AND rid = ?2",
    [ST_SEEN_PUT] = "INSERT OR IGNORE INTO seen(input, rid, at) VALUES(?1, ?2, ?3)",
    [ST_SEEN_PRUNE] = "DELETE FROM seen WHERE input = ?1 AND at < ?2",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY, hall TEXT NOT NULL, "
    "  feed TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL, "
    "  taken_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS outbox_feed ON outbox(hall, feed, seq);"
    "CREATE TABLE IF NOT EXISTS feeds(hall TEXT NOT NULL, feed TEXT NOT NULL, "
    "  last_seq INTEGER NOT NULL, acked_seq INTEGER NOT NULL DEFAULT 0, acked_at INTEGER, "
    "  PRIMARY KEY(hall, feed));"
    "CREATE TABLE IF NOT EXISTS positions(input TEXT PRIMARY KEY, pos TEXT NOT NULL, "
    "  updated_at INTEGER);"
    "CREATE TABLE IF NOT EXISTS files(input TEXT NOT NULL, name TEXT NOT NULL, "
    "  size INTEGER NOT NULL, mtime INTEGER NOT NULL, taken_at INTEGER, "
    "  PRIMARY KEY(input, name, size, mtime));"
    "CREATE TABLE IF NOT EXISTS quarantine(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, "
    "  input TEXT NOT NULL, ref TEXT, reason TEXT NOT NULL, record TEXT);"
    "CREATE TABLE IF NOT EXISTS seen(input TEXT NOT NULL, rid TEXT NOT NULL, "
    "  at INTEGER NOT NULL, PRIMARY KEY(input, rid)) WITHOUT ROWID;";

struct gw_outbox {
    sqlite3 *db;
    sqlite3_stmt *st[ST__COUNT];
    bool read_only;
};

static int64_t now_ms(void)
{
    return cwt_real_ms();
}

gw_outbox *gw_outbox_open(const char *path, bool read_only, char *err, size_t errlen)
{
    gw_outbox *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->read_only = read_only;
    int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &o->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, o->db ? sqlite3_errmsg(o->db) : "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(o->db, 10000);
    const char *pragmas = read_only ? "PRAGMA query_only=1;"
                                    : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                                      "PRAGMA wal_autocheckpoint=4000; "
                                      "PRAGMA journal_size_limit=67108864;";
    char *msg = NULL;
    if (sqlite3_exec(o->db, pragmas, NULL, NULL, &msg) != SQLITE_OK ||
        (!read_only && sqlite3_exec(o->db, schema, NULL, NULL, &msg) != SQLITE_OK)) {
        snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(o->db));
        sqlite3_free(msg);
        goto fail;
    }
    for (int i = 0; i < ST__COUNT; i++) {
        if (read_only && i != ST_DEPTH && i != ST_QCOUNT) continue;
        if (sqlite3_prepare_v2(o->db, stmt_sql[i], -1, &o->st[i], NULL) != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(o->db));
            goto fail;
        }
    }
    return o;
fail:
    gw_outbox_close(o);
    return NULL;
}

void gw_outbox_close(gw_outbox *o)
{
    if (!o) return;
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(o->st[i]);
    sqlite3_close(o->db);
    free(o);
}

const char *gw_outbox_errmsg(gw_outbox *o)
{
    return sqlite3_errmsg(o->db);
}

int gw_outbox_begin(gw_outbox *o)
{
    return sqlite3_exec(o->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int gw_outbox_commit(gw_outbox *o)
{
    if (sqlite3_exec(o->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) return 0;
    gw_outbox_rollback(o);
    return -1;
}

void gw_outbox_rollback(gw_outbox *o)
{
    if (!sqlite3_get_autocommit(o->db)) sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Reset and clear bindings of statement i; returns it. */
static sqlite3_stmt *stmt(gw_outbox *o, int i)
{
    sqlite3_reset(o->st[i]);
    sqlite3_clear_bindings(o->st[i]);
    return o->st[i];
}

static int64_t one_int(sqlite3_stmt *s)
{
    int64_t v = -1;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return v;
}

int gw_outbox_add(gw_outbox *o, json_t *ev, int64_t *seq_out)
{
    const char *hall = json_string_value(json_object_get(ev, "hall"));
    const char *feed = json_string_value(json_object_get(ev, "feed"));
    const char *type = json_string_value(json_object_get(ev, "type"));
    if (!hall || !feed || !type) return -1;
    sqlite3_stmt *s = stmt(o, ST_NEXT_SEQ);
    sqlite3_bind_text(s, 1, hall, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, feed, -1, SQLITE_STATIC);
    int64_t seq = one_int(s);
    if (seq < 1) return -1;
    json_object_set_new(ev, "seq", json_integer(seq));
    char *body = json_dumps(ev, JSON_COMPACT); /* UTF-8 as is: the hub reads it without a tree */
    if (!body) return -1;
    s = stmt(o, ST_INSERT);
    sqlite3_bind_text(s, 1, hall, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, feed, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, seq);
    sqlite3_bind_text(s, 4, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, now_ms());
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(body);
    if (rc != SQLITE_DONE) return -1;
    if (seq_out) *seq_out = seq;
    return 0;
}

int gw_outbox_quarantine(gw_outbox *o, const char *input, const char *ref, const char *reason,
                         const char *record)
{
    sqlite3_stmt *s = stmt(o, ST_QUAR);
    sqlite3_bind_int64(s, 1, now_ms());
    sqlite3_bind_text(s, 2, input, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, ref, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, record, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

char *gw_outbox_get_pos(gw_outbox *o, const char *input)
{
    sqlite3_stmt *s = stmt(o, ST_GET_POS);
    sqlite3_bind_text(s, 1, input, -1, SQLITE_STATIC);
    char *pos = NULL;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        pos = cw_xstrdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    return pos;
}

int gw_outbox_set_pos(gw_outbox *o, const char *input, const char *pos)
{
    sqlite3_stmt *s = stmt(o, ST_SET_POS);
    sqlite3_bind_text(s, 1, input, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, pos, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now_ms());
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int gw_outbox_file_taken(gw_outbox *o, const char *input, const char *name, int64_t size,
                         int64_t mtime)
{
    sqlite3_stmt *s = stmt(o, ST_FILE_TAKEN);
    sqlite3_bind_text(s, 1, input, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, size);
    sqlite3_bind_int64(s, 4, mtime);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int gw_outbox_mark_file(gw_outbox *o, const char *input, const char *name, int64_t size,
                        int64_t mtime)
{
    sqlite3_stmt *s = stmt(o, ST_MARK_FILE);
    sqlite3_bind_text(s, 1, input, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, size);
    sqlite3_bind_int64(s, 4, mtime);
    sqlite3_bind_int64(s, 5, now_ms());
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int gw_outbox_seen(gw_outbox *o, const char *input, const char *rid, bool mark)
{
    sqlite3_stmt *s = stmt(o, mark ? ST_SEEN_PUT : ST_SEEN_GET);
    sqlite3_bind_text(s, 1, input, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, rid, -1, SQLITE_STATIC);
    if (mark) sqlite3_bind_int64(s, 3, now_ms());
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (mark) return rc == SQLITE_DONE ? (sqlite3_changes(o->db) ? 0 : 1) : -1;
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int gw_outbox_prune_seen(gw_outbox *o, const char *input, int64_t before_ms)
{
    sqlite3_stmt *s = stmt(o, ST_SEEN_PRUNE);
    sqlite3_bind_text(s, 1, input, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, before_ms);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int64_t gw_outbox_depth(gw_outbox *o)
{
    return one_int(stmt(o, ST_DEPTH));
}

int64_t gw_outbox_pending_type(gw_outbox *o, const char *hall, const char *feed, const char *type)
{
    sqlite3_stmt *s = stmt(o, ST_PENDING_TYPE);
    sqlite3_bind_text(s, 1, hall, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, feed, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, type, -1, SQLITE_STATIC);
    return one_int(s);
}

int64_t gw_outbox_quarantine_count(gw_outbox *o)
{
    return one_int(stmt(o, ST_QCOUNT));
}

void gw_batch_clear(gw_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].hall);
        free(b->v[i].feed);
        free(b->v[i].body);
    }
    b->n = 0;
    b->bytes = 0;
}

void gw_batch_free(gw_batch *b)
{
    gw_batch_clear(b);
    free(b->v);
    b->v = NULL;
    b->cap = 0;
}

int gw_outbox_peek(gw_outbox *o, gw_batch *b, int max_events, size_t max_bytes)
{
    gw_batch_clear(b);
    sqlite3_stmt *s = stmt(o, ST_PEEK);
    sqlite3_bind_int(s, 1, max_events);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        size_t blen = (size_t)sqlite3_column_bytes(s, 4);
        if (b->n > 0 && b->bytes + blen + 2 > max_bytes) break;
        if (b->n == b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 256;
            gw_row *v = realloc(b->v, cap * sizeof *v);
            if (!v) goto fail;
            b->v = v;
            b->cap = cap;
        }
        gw_row *r = &b->v[b->n];
        r->id = sqlite3_column_int64(s, 0);
        r->hall = strdup((const char *)sqlite3_column_text(s, 1));
        r->feed = strdup((const char *)sqlite3_column_text(s, 2));
        r->seq = sqlite3_column_int64(s, 3);
        r->body = strdup((const char *)sqlite3_column_text(s, 4));
        b->n++;
        if (!r->hall || !r->feed || !r->body) goto fail;
        b->bytes += blen;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return -1;
    return (int)b->n;
fail:
    sqlite3_reset(s);
    gw_batch_clear(b);
    return -1;
}

int64_t gw_outbox_ack(gw_outbox *o, const char *hall, const char *feed, int64_t seq)
{
    sqlite3_stmt *s = stmt(o, ST_ACK_DEL);
    sqlite3_bind_text(s, 1, hall, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, feed, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, seq);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return -1;
    int64_t n = sqlite3_changes(o->db);
    s = stmt(o, ST_ACK_FEED);
    sqlite3_bind_text(s, 1, hall, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, feed, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, seq);
    sqlite3_bind_int64(s, 4, now_ms());
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? n : -1;
}

int gw_outbox_reject(gw_outbox *o, int64_t id, const char *reason)
{
    sqlite3_stmt *s = stmt(o, ST_REJ_SEL);
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        return rc == SQLITE_DONE ? 0 : -1; /* already gone */
    }
    char ref[200], why[700];
    snprintf(ref, sizeof ref, "%s/%s seq %lld", (const char *)sqlite3_column_text(s, 0),
             (const char *)sqlite3_column_text(s, 1), (long long)sqlite3_column_int64(s, 2));
    snprintf(why, sizeof why, "hub rejected: %s", reason);
    char *body = strdup((const char *)sqlite3_column_text(s, 3));
    sqlite3_reset(s);
    if (!body) return -1;
    int r = gw_outbox_quarantine(o, "hub", ref, why, body);
    free(body);
    if (r < 0) return -1;
    s = stmt(o, ST_REJ_DEL);
    sqlite3_bind_int64(s, 1, id);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

json_t *gw_outbox_status(gw_outbox *o)
{
    json_t *st = json_object();
    json_t *feeds = json_array();
    sqlite3_stmt *s = NULL;
    if (!st || !feeds) goto fail;
    json_object_set_new(st, "outbox_depth", json_integer(gw_outbox_depth(o)));
    json_object_set_new(st, "quarantined", json_integer(gw_outbox_quarantine_count(o)));
    if (sqlite3_prepare_v2(o->db, "SELECT min(taken_at) FROM outbox", -1, &s, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        json_object_set_new(st, "oldest_age_s",
                            json_real((double)(now_ms() - sqlite3_column_int64(s, 0)) / 1000.0));
    sqlite3_finalize(s);
    if (sqlite3_prepare_v2(o->db,
                           "SELECT hall, feed, last_seq, acked_seq, acked_at FROM feeds "
                           "ORDER BY hall, feed",
                           -1, &s, NULL) != SQLITE_OK)
        goto fail;
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *f =
            json_pack("{s:s, s:s, s:I, s:I}", "hall", sqlite3_column_text(s, 0), "feed",
                      sqlite3_column_text(s, 1), "last_seq", (json_int_t)sqlite3_column_int64(s, 2),
                      "acked_seq", (json_int_t)sqlite3_column_int64(s, 3));
        if (!f) continue;
        if (sqlite3_column_type(s, 4) != SQLITE_NULL) {
            char buf[40];
            json_object_set_new(f, "acked_at",
                                json_string(cwt_format_utc(sqlite3_column_int64(s, 4), buf)));
        }
        json_array_append_new(feeds, f);
    }
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(o->db, "SELECT input, pos FROM positions ORDER BY input", -1, &s,
                           NULL) == SQLITE_OK) {
        json_t *pos = json_object();
        while (sqlite3_step(s) == SQLITE_ROW)
            json_object_set_new(pos, (const char *)sqlite3_column_text(s, 0),
                                json_string((const char *)sqlite3_column_text(s, 1)));
        json_object_set_new(st, "positions", pos);
    }
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(o->db,
                           "SELECT at, input, ref, reason FROM quarantine ORDER BY id DESC "
                           "LIMIT 10",
                           -1, &s, NULL) == SQLITE_OK) {
        json_t *recent = json_array();
        while (sqlite3_step(s) == SQLITE_ROW) {
            char buf[40];
            json_array_append_new(recent,
                                  json_pack("{s:s, s:s, s:s?, s:s}", "at",
                                            cwt_format_utc(sqlite3_column_int64(s, 0), buf),
                                            "input", (const char *)sqlite3_column_text(s, 1), "ref",
                                            (const char *)sqlite3_column_text(s, 2), "reason",
                                            (const char *)sqlite3_column_text(s, 3)));
        }
        json_object_set_new(st, "quarantine_recent", recent);
    }
    sqlite3_finalize(s);
    json_object_set_new(st, "feeds", feeds);
    return st;
fail:
    sqlite3_finalize(s);
    json_decref(st);
    json_decref(feeds);
    return NULL;
}
