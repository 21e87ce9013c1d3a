/* alerts_schema: the tables of alerting (alerts*.c, notify.c) in the store: alerts and their
 * history, silences, the webhook outbox, the review and day records of the rules. */
#include "alerts.h"

const char alerts_schema[] =
    "CREATE TABLE IF NOT EXISTS alerts(id TEXT PRIMARY KEY, rule TEXT NOT NULL, hall TEXT,"
    " state TEXT NOT NULL, severity TEXT NOT NULL, body TEXT NOT NULL,"
    " updated_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS alert_history(id INTEGER PRIMARY KEY, alert TEXT NOT NULL,"
    " at_ms INTEGER NOT NULL, real_ms INTEGER NOT NULL, kind TEXT NOT NULL, state TEXT,"
    " severity TEXT, user TEXT, detail TEXT);"
    "CREATE INDEX IF NOT EXISTS alert_history_alert ON alert_history(alert, id);"
    "CREATE TABLE IF NOT EXISTS silences(id TEXT PRIMARY KEY, body TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, expired_ms INTEGER) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY, receiver TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, payload TEXT NOT NULL, sent_ms INTEGER,"
    " attempts INTEGER NOT NULL DEFAULT 0, dropped INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(receiver, id) WHERE sent_ms IS NULL;"
    "CREATE TABLE IF NOT EXISTS alert_reviews(hall TEXT NOT NULL, review TEXT NOT NULL,"
    " at_ms INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY(hall, review)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS alert_days(hall TEXT NOT NULL, day INTEGER NOT NULL,"
    " body TEXT NOT NULL, PRIMARY KEY(hall, day)) WITHOUT ROWID;";
