/* notify: delivery of webhook notifications from the durable outbox (SPEC §6).
 *
 * Design. The alerts module writes each notification as one `outbox` row per receiver
 * (receiver URL, payload, created time) through the store's group-commit writer. A sender
 * thread reads committed rows with its own read-only sqlite connection and POSTs them with
 * libcurl, strictly in id order per receiver: a row is sent only after every earlier row of
 * its receiver was accepted (HTTP 2xx). A failure waits 1 s, then 2, 4, ... up to 60 s before
 * the same row is tried again, so a receiver that is down for an hour gets everything, in
 * order, within a minute of coming back. Receivers are independent.
 *
 * The sender never writes: it hands the ids it delivered back to the service thread
 * (notify_take_sent), which marks them sent through the store. A crash before that mark
 * commits sends the row again after the restart (at least once, in order). A row refused with
 * a 4xx other than 408/429 is dropped after NOTIFY_MAX_REFUSED attempts (a poison payload must
 * not block the receiver forever); it is reported as sent with dropped = true.
 *
 * Threads: notify_create/start/destroy, set_receivers, take_sent and get_stats are called on
 * the service thread; the sender thread wakes it only through the wake function (hub_wake).
 */
#ifndef CW_NOTIFY_H
#define CW_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#define NOTIFY_MAX_REFUSED 10

typedef struct notify notify_t;

/* A sender for the store at db_path (not opened until notify_start). NULL when out of memory.
 * wake(ud) is called from the sender thread after rows were delivered. */
notify_t *notify_create(const char *db_path, void (*wake)(void *ud), void *ud);
/* Start the sender thread. 0, or -1 when it cannot start. */
int notify_start(notify_t *n);
/* Stop the sender thread (an attempt in flight finishes, bounded by its timeouts); what it
 * delivered stays available to notify_take_sent. Idempotent. */
void notify_stop(notify_t *n);
/* Stop (if still running) and free. */
void notify_destroy(notify_t *n);

/* The receivers to deliver to (copied); rows of other receivers wait untouched. */
void notify_set_receivers(notify_t *n, char *const *urls, int nurls);
/* New rows were queued: look again soon. */
void notify_kick(notify_t *n);
/* Cluster mode: another hub holds the notifier lease and sends. While on standby this sender
 * posts nothing; rows older than NOTIFY_STANDBY_KEEP_MS are taken as sent by the active hub
 * (reported by notify_take_sent with attempts 0); younger ones wait, so that a hub that takes
 * the lease over sends what the one that died may not have sent (at least once). */
#define NOTIFY_STANDBY_KEEP_MS 5000 /* the lease's 3 s TTL + 2 s to send */
void notify_set_standby(notify_t *n, bool standby);

typedef struct notify_sent {
    int64_t id;      /* outbox row */
    int attempts;    /* including the successful one */
    int64_t sent_ms; /* real time */
    bool dropped;    /* refused NOTIFY_MAX_REFUSED times with a 4xx */
    struct notify_sent *next;
} notify_sent;
/* Rows delivered since the last call, oldest first (caller frees each with free()). */
notify_sent *notify_take_sent(notify_t *n);

typedef struct notify_stats {
    int64_t oldest_unsent_ms; /* real created time of the oldest row waiting, -1 when none */
    uint64_t sent, failures, dropped;
    int receivers_down; /* receivers whose last attempt failed */
} notify_stats;
void notify_get_stats(notify_t *n, notify_stats *out);

#endif
