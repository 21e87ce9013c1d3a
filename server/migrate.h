/* migrate: the store's schema version and its in-place migrations (docs/deploy.md, upgrades).
 *
 * The version lives in sqlite's `PRAGMA user_version`. Version 0 is a store made before
 * versioning (main up to cc1b5c1; tests/integration/fixtures/store-v0.db.gz); version
 * MIGRATE_SCHEMA_VERSION is what this hub writes. migrate_store() brings an older store to
 * the current version in ONE transaction (each step's SQL, then the current schema's
 * CREATE ... IF NOT EXISTS for tables a step did not touch, then the new user_version): after
 * a crash or an error the store is exactly as it was. A store from a newer hub is refused
 * with a message naming both versions. A new store gets the schema and the version at once.
 *
 * Adding a schema change: append its SQL to the steps in migrate.c (step N takes a store from
 * version N to N+1; a step may change any table, the log's or a module's), raise
 * MIGRATE_SCHEMA_VERSION, change the DDL of the table's owner (store.c's SCHEMA for the log,
 * or the module's: hub_schema, auth_schema, alerts_schema, which store_open runs after the
 * migration) to the result, and add a fixture made by the previous version to the test.
 *
 * Thread: called once, before the store's threads start, on the writer connection.
 */
#ifndef CW_MIGRATE_H
#define CW_MIGRATE_H

#include <sqlite3.h>
#include <stddef.h>

#define MIGRATE_SCHEMA_VERSION 1

/* Create or migrate the store on db to MIGRATE_SCHEMA_VERSION; schema is the current
 * CREATE ... IF NOT EXISTS script. Returns 0, or -1 with the reason in err (nothing changed). */
int migrate_store(sqlite3 *db, const char *path, const char *schema, char *err, size_t errlen);

/* The store's version (user_version), or -1 on error. */
int migrate_version(sqlite3 *db);

#endif
