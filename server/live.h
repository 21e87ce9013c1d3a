/* live: the /live WebSocket protocol (SPEC §4) -- topics, views, revisions, merge-patch
 * deltas, pacing, resume, slow clients.
 *
 * Design (pull, not push). For every (topic, view) that has been subscribed there is one
 * live_doc: the document as last published, its rev, and a bounded history ring of deltas,
 * each serialised ONCE into a frame with LWS_PRE headroom. A client keeps, per subscription,
 * only the rev it last received. When it is writeable it takes the pending subscription with
 * the lowest target rev (so a connection receives messages in rev order) and sends:
 *   - the shared frame of the next ring entry when it is exactly one step behind (in step);
 *   - one merged delta (patches composed from the ring) when it is further behind;
 *   - a snapshot when the ring no longer reaches back.
 * So a slow client costs no memory beyond lws's one partially sent frame, never delays
 * anyone else, and catches up with one message; a client that accepts nothing for 30 s is
 * closed with 4008.
 *
 * Pacing adapts to load (SPEC §4: "the tick may adapt"; live_pace.c has the exact rule). A doc
 * whose state moved is rebuilt, diffed and published at once when its last publish is a tick
 * (tick_ms) old, or when its last delta has been written to (almost) every subscriber that
 * was in step and its fan-out budget (25 us per in-step subscriber, i.e. at most 40,000 shared
 * frames a second per doc) allows; otherwise when it drains or the budget allows, and at the
 * latest a tick after its last publish. So a quiet hub sends every commit at once as its own
 * rev; changes made while a delta drains merge into the next one, and tick_ms is the upper
 * bound of that merging. Docs with only max_hz subscribers keep the fixed tick.
 *
 * Thread: service thread.
 */
#ifndef CW_LIVE_H
#define CW_LIVE_H

#include <jansson.h>
#include <libwebsockets.h>

#include "auth.h"
#include "hub.h"

typedef struct live live_t;

live_t *live_create(hub_t *hub);
void live_destroy(live_t *L);

/* The lws protocol callback of "citywall-live.v1"; per-session data size is
 * live_pss_size(). */
int live_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len);
size_t live_pss_size(void);

/* The state changed (events applied): publish what changed, now or at the next tick. */
void live_changed(live_t *L);
/* Cluster mode: publish only at positions of the replicated log, with rev = the position
 * (call once, before serving, with the position the state is at); live_publish_at(pos) after the
 * state has applied the log up to pos publishes every doc that moved. Every hub applies the same
 * log, so every hub publishes the same revs with the same deltas, and a client resumes on any of
 * them. */
void live_set_positional(live_t *L, uint64_t pos);
void live_publish_at(live_t *L, uint64_t pos);
/* Events were acknowledged at mono_us (for the fan-out latency metric). */
void live_note_ack(live_t *L, int64_t mono_us);
/* The lws context exists: the pacing timers may be armed from now on. */
void live_start(live_t *L);
/* Every tick (hub_loop.c's timer): publish what is due, close clients that never
 * authenticated or accepted nothing for 30 s, wake max_hz clients whose slot came. */
void live_tick(live_t *L);
/* SIGTERM: close every client with 1001. */
void live_shutdown(live_t *L);
/* The config was reloaded (hall indexes may have moved): drop all docs; clients get fresh
 * snapshots. */
void live_reconfigure(live_t *L);

/* GET /api/v1/clients (new reference), filtered to what `who` may see. */
json_t *live_clients_json(live_t *L, const auth_who *who);

typedef struct live_stats {
    int clients, walls, browsers, docs;
    uint64_t rev;
    size_t history_bytes;
} live_stats;
void live_get_stats(live_t *L, live_stats *out);
/* Clients per view for /metrics: calls fn for each view key with its count. */
void live_each_view(live_t *L, void (*fn)(void *ud, const char *view, int clients), void *ud);

/* The invariants of live_internal.h: 0, or -1 with what is broken in err (live_check.c). */
int live_check(live_t *L, char *err, size_t errlen);

#endif
