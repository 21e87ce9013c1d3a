/* migrate: schema version and in-place migrations of the store; see migrate.h. */
#include "migrate.h"

#include <stdio.h>

/* steps[N] takes a store from version N to N+1 (run inside the migration's transaction). */
static const char *const steps[MIGRATE_SCHEMA_VERSION] = {
    /* 0 -> 1: the unversioned store has exactly version 1's tables; only the stamp is new */
    "",
};

int migrate_version(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    snprintf(err, errlen, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
}

int migrate_store(sqlite3 *db, const char *path, const char *schema, char *err, size_t errlen)
{
    if (exec(db, "BEGIN IMMEDIATE", err, errlen, path) < 0) return -1;
    int v = migrate_version(db);
    if (v < 0) {
        snprintf(err, errlen, "%s: cannot read the schema version: %s", path, sqlite3_errmsg(db));
        goto fail;
    }
    if (v > MIGRATE_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "%s has schema version %d, newer than this hub's %d: run the citywall-hub "
                 "that made it (or a newer one), or restore a backup of this version",
                 path, v, MIGRATE_SCHEMA_VERSION);
        goto fail;
    }
    if (v < MIGRATE_SCHEMA_VERSION) {
        sqlite3_stmt *st = NULL;
        int tables = 0; /* a new file has none: no steps, just the schema */
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", -1,
                               &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            tables = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        for (int s = v; tables > 0 && s < MIGRATE_SCHEMA_VERSION; s++) {
            char what[300];
            snprintf(what, sizeof what, "%s: migrating from schema version %d to %d", path, s,
                     s + 1);
            if (exec(db, steps[s], err, errlen, what) < 0) goto fail;
        }
        if (tables > 0)
            fprintf(stderr, "citywall-hub: store %s migrated from schema version %d to %d\n", path,
                    v, MIGRATE_SCHEMA_VERSION);
    }
    if (exec(db, schema, err, errlen, path) < 0) goto fail;
    char stamp[64];
    snprintf(stamp, sizeof stamp, "PRAGMA user_version = %d", MIGRATE_SCHEMA_VERSION);
    if (exec(db, stamp, err, errlen, path) < 0) goto fail;
    if (exec(db, "COMMIT", err, errlen, path) < 0) goto fail;
    return 0;
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}
