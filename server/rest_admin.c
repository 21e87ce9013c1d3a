/* rest_admin: the administrator's endpoints -- GET /api/v1/audit and POST /api/v1/backup (an
 * online copy of the store, on a thread of its own).
 *
 * Thread: service thread. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest_data.h"
#include "rest.h"
#include "xalloc.h"

int rest_audit(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    if (rq->who.kind != AUTH_ACCOUNT || rq->who.role != CFG_ROLE_ADMIN) {
        http_error(rs, 403, "the audit log is for admin accounts");
        return 0;
    }
    int64_t after = 0, limit = PAGE_DEFAULT;
    if (rest_int_arg(rq, rs, "after", 0, INT64_MAX, &after) < 0 ||
        rest_int_arg(rq, rs, "limit", 1, PAGE_MAX, &limit) < 0)
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_reader(rq->hub->store),
                           "SELECT id, at_ms, user, action, detail FROM audit WHERE id > ?"
                           " ORDER BY id LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK) {
        http_error(rs, 500, "audit: %s", sqlite3_errmsg(store_reader(rq->hub->store)));
        return 0;
    }
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, limit);
    json_t *arr = json_array();
    char tb[40];
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *o =
            json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0), "at",
                      cwt_format_local(sqlite3_column_int64(st, 1), tb), "user",
                      sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "",
                      "action", sqlite3_column_text(st, 3));
        if (sqlite3_column_type(st, 4) != SQLITE_NULL)
            json_object_set_new(o, "detail", json_string((const char *)sqlite3_column_text(st, 4)));
        json_array_append_new(arr, o);
    }
    sqlite3_finalize(st);
    http_json(rs, 200, json_pack("{s:o}", "audit", arr));
    return 0;
}

typedef struct backup_job {
    char *db, *out;
} backup_job;

static void *backup_main(void *arg)
{
    backup_job *b = arg;
    char err[256];
    if (store_backup(b->db, b->out, err, sizeof(err)) < 0)
        fprintf(stderr, "citywall-hub: backup to %s failed: %s\n", b->out, err);
    else
        fprintf(stderr, "citywall-hub: backup written to %s\n", b->out);
    free(b->db);
    free(b->out);
    free(b);
    return NULL;
}

int rest_backup(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    if (rq->who.kind != AUTH_ACCOUNT || rq->who.role != CFG_ROLE_ADMIN) {
        http_error(rs, 403, "backups are for admin accounts");
        return 0;
    }
    json_t *b = json_loadb(rq->body ? rq->body : "", rq->body_len, 0, NULL);
    const char *path = json_string_value(json_object_get(b, "path"));
    if (!path || !*path) {
        http_error(rs, 400, "backup: body must be {\"path\": string}");
        json_decref(b);
        return 0;
    }
    backup_job *job = cw_xcalloc(1, sizeof(*job));
    pthread_t t;
    const char *db = sqlite3_db_filename(store_reader(rq->hub->store), "main");
    if (job) {
        job->db = cw_xstrdup(db);
        job->out = cw_xstrdup(path);
    }
    if (!job || pthread_create(&t, NULL, backup_main, job) != 0) {
        http_error(rs, 500, "backup: cannot start");
    } else {
        pthread_detach(t);
        hub_audit(rq->hub, rq->who.user, "backup", path);
        http_json(rs, 202, json_pack("{s:s,s:s}", "status", "started", "path", path));
    }
    json_decref(b);
    return 0;
}
