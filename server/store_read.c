/* store_read: what the service thread reads from the store -- the snapshot and the events after
 * it for a restart, the last ids, meta values -- and the online backup. See store.h.
 *
 * Thread: service thread (the reader connection) */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cwtime.h"
#include "store_internal.h"
#include "xalloc.h"

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
