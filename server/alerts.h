/* alerts: alerting (SPEC §6) -- rule evaluation, the lifecycle of every alert, storage and
 * restore, acknowledgements, silences, inhibition, the `alerts` live topic, hall statuses, and
 * the webhook notifications handed to the durable outbox (notify.c).
 *
 * Design. An alert is identified by (rule, scope): its id is stable, e.g. "R1:LH-00:A" (rule,
 * hall, biz), "R5:LH-00:A05" (window), "R10:LH-03:RV-1" (review), "R12:LH-00:staff:W1023",
 * "H2" (the hub itself). On every evaluation (when the business second moved, or events were
 * applied) the rules (alert_rules.c) report each condition that is true now; an alert whose
 * condition was not reported is false. The lifecycle is SPEC §6's:
 *   inactive -> pending (true) -> firing (true for `for`) -> resolved (false for
 *   keep_firing_for); a pending alert whose condition turns false is dropped ("cancelled").
 * A resolved alert whose condition comes back starts a new episode under the same id.
 * Times of the lifecycle are business time; the webhook group wait is real time.
 *
 * Durability. Every state change (pending, firing, severity, resolved, cancelled), every
 * acknowledgement and every notification mark is written to the store (tables `alerts`,
 * `alert_history`) as fire-and-forget jobs in submission order; at start the alerts table is
 * read back, so an alert firing before kill -9 is firing after it, and what was notified is
 * not notified again. Notifications are written to the `outbox` table BEFORE the alert's
 * notified mark (same store queue, so the mark never commits without the outbox row):
 * a crash between the two sends a notification twice, never zero times.
 *
 * Suppression. An alert is silenced while a silence's matchers all match its labels inside
 * the silence's time window (absolute, recurring, or both); it is inhibited while R15 fires for
 * its hall (queue, window and camera rules R1-R9, R14). Silenced and inhibited alerts are
 * listed but not notified; a resolved notification is still sent for an alert that was
 * notified as firing or was silenced while it fired.
 *
 * Thread: service thread, except the notifier's sender thread (notify.c).
 */
#ifndef CW_ALERTS_H
#define CW_ALERTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "hub.h"
#include "store.h"

typedef struct alerts alerts_t;

/* Create the alerting module for hub (its cfg and state must exist; the state rebuilt).
 * Reads stored alerts, silences, bad-review records and daily figures when hub->store is
 * set. Returns NULL when out of memory. */
alerts_t *alerts_create(hub_t *hub);
/* Start the webhook sender thread (after the store's writer has started). 0 or -1. */
int alerts_start(alerts_t *a);
/* Stop the webhook sender thread and queue the marks of what it delivered (shutdown, before
 * the lws context goes: the sender wakes the service thread through it). */
void alerts_stop(alerts_t *a);
/* Write what is pending (daily figures, delivery marks), stop the sender, free everything. */
void alerts_destroy(alerts_t *a);
/* The config was reloaded (hub->cfg swapped): hall indexes, lexicon and receivers follow. */
void alerts_reconfigure(alerts_t *a);

/* An accepted event was applied to the state (ingest_apply): bad reviews and sensitive
 * comments are recorded, case moves noted, and the next tick evaluates. */
void alerts_on_event(alerts_t *a, const ev_event *ev);
/* The live tick: evaluate when the business second moved or events were applied (at most
 * every 100 ms of real time), take the sender's results, flush notification groups whose
 * group wait has passed. */
void alerts_tick(alerts_t *a);
/* Cluster mode: evaluate the rules at a tick of the log's clock (from then on the timer's
 * alerts_tick only delivers), so that every hub decides the same transitions at the same
 * business time. */
void alerts_log_tick(alerts_t *a);
/* Cluster mode: whether this hub sends the webhooks (it holds the notifier lease). */
void alerts_set_sender(alerts_t *a, bool active);
/* Evaluate now (business now_ms, real monotonic real_ms): the core of alerts_tick, public
 * for tests. */
void alerts_eval(alerts_t *a, int64_t now_ms, int64_t real_ms);
/* Flush every notification group now, whatever its group wait (tests, shutdown). */
void alerts_flush_groups(alerts_t *a, int64_t real_ms);

/* Where the module's store writes go: by default hub_store_fire (none when hub->store is
 * NULL). A sink takes ownership of each job. For tests. */
void alerts_set_sink(alerts_t *a, void (*fn)(void *ud, store_job *j), void *ud);

/* ---- the `alerts` live topic -------------------------------------------------------------- */

/* Bumped whenever the topic document may have changed. */
uint64_t alerts_version(const alerts_t *a);
/* The firing alerts by id (new reference), for a viewer seeing `halls` (NULL = all; hub
 * alerts only then) and staff names / comments when `names`. */
json_t *alerts_doc(alerts_t *a, const bool *halls, bool names);

/* ---- REST (rest_alerts.c) ----------------------------------------------------------------- */

enum alerts_filter {
    ALERTS_ALL,
    ALERTS_FIRING, /* firing, neither silenced nor inhibited */
    ALERTS_PENDING,
    ALERTS_RESOLVED,
    ALERTS_SILENCED,  /* firing and silenced */
    ALERTS_INHIBITED, /* firing and inhibited */
    ALERTS_ACTIVE     /* firing, whatever its suppression */
};
/* "firing" etc. to enum alerts_filter; -1 when unknown. */
int alerts_filter_from_name(const char *s);
/* The alerts that pass the filter, as an array of objects (new reference). */
json_t *alerts_list(alerts_t *a, int filter, const bool *halls, bool names);
/* One alert as an object (new reference), NULL when unknown or not visible. */
json_t *alerts_get(alerts_t *a, const char *id, const bool *halls, bool names);
/* Acknowledge alert `id` as `user` with `note` (may be NULL). Returns an HTTP status: 200
 * (and *out, the alert), 404 unknown or not visible, 409 not pending or firing. */
int alerts_ack(alerts_t *a, const char *id, const char *user, const char *note, const bool *halls,
               json_t **out);

/* Silences: the list (new reference) of silences visible to `halls` (a hall account sees those
 * whose hall matcher names one of its halls), active and recently expired. */
json_t *alerts_silences(alerts_t *a, const bool *halls);
/* Create a silence from a request body. Returns 201 and *out (the silence), or 400 / 403 with
 * a message in err. A hall account (halls != NULL) must give a `hall` matcher naming one of
 * its halls. */
int alerts_silence_add(alerts_t *a, json_t *body, const char *user, const bool *halls, json_t **out,
                       char *err, size_t errlen);
/* Expire silence `id`: 200 (and *out), 404 unknown or not visible. */
/* Cluster mode: a silence another hub created (its id, its creator), as it was stored there. */
int alerts_silence_add_as(alerts_t *a, json_t *body, const char *user, const char *id, char *err,
                          size_t errlen);
int alerts_silence_expire(alerts_t *a, const char *id, const char *user, const bool *halls,
                          json_t **out);

/* The recorded bad review (or sensitive comment) `review` of hall h as an object with its
 * matched term (new reference), NULL when none. */
json_t *alerts_review_record(alerts_t *a, int hall, const char *review, bool names);
/* Every recorded bad review of hall h (newest first, new reference array). */
json_t *alerts_review_records(alerts_t *a, int hall, bool names);
/* The sequence number of the next operator event of hall h (feed "operator"). */
int64_t alerts_next_operator_seq(alerts_t *a, int hall);

typedef struct alerts_stats {
    int firing, pending, silenced, inhibited, silences;
    uint64_t transitions, notifications;
    int64_t outbox_oldest_age_ms; /* -1 when nothing waits */
    uint64_t webhook_sent, webhook_failures;
} alerts_stats;
void alerts_get_stats(alerts_t *a, alerts_stats *out);

/* Alerting's tables in the store (alerts_schema.c), for store_open. */
extern const char alerts_schema[];

#endif
