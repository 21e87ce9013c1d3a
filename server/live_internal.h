/* live_internal: the types shared by the /live files (live.c: publishing and lifecycle;
 * live_doc.c: documents and their history; live_client.c: connections and their messages;
 * live_send.c: what a connection sends next). Not for other modules: they use live.h.
 *
 * Invariants (live_check() asserts them in the sanitizer build and the unit tests):
 *   - a doc's ring holds ring_n entries in rev order, each entry's prev_rev is the rev before
 *     it (the first one's is at most the doc's rev before the ring), and the last entry's rev
 *     is the doc's rev; ring_bytes is the sum of the entries' frame lengths;
 *   - a doc's nsubs is the number of subscriptions that point at it;
 *   - a subscription's sent_rev is never above its doc's rev;
 *   - no doc's rev is above the fan-out's rev (the log position in cluster mode);
 *   - a doc's pace_left (0..pace_total) is the number of its subscriptions with pace_wait set,
 *     and none is set for a doc not published since it was built (pace_rev != rev).
 *
 * Thread: service thread. */
#ifndef CW_LIVE_INTERNAL_H
#define CW_LIVE_INTERNAL_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

#include "live.h"
#include "live_msg.h"
#include "msgbuf.h"

#define LIVE_RING_CAP 1024
#define LIVE_RING_BYTES (4u << 20)
#define LIVE_RX_MAX (64 * 1024)
#define LIVE_AUTH_TIMEOUT_MS 5000
#define LIVE_STUCK_MS 30000
#define LIVE_CLOSE_TOO_SLOW 4008
#define LIVE_TOO_SLOW_GRACE_S 5 /* judged too slow: this long for the socket to take the 4008 */

enum {
    DOC_CITY = LIVEMSG_CITY,
    DOC_HALL = LIVEMSG_HALL,
    DOC_ALERTS = LIVEMSG_ALERTS,
    DOC_PROVINCE = LIVEMSG_PROVINCE,
    DOC_WALL = LIVEMSG_WALL
};

typedef struct frame {
    unsigned char *buf; /* LWS_PRE headroom + payload */
    size_t len;         /* payload bytes */
} frame;

typedef struct entry {
    uint64_t rev, prev_rev;
    json_t *patch;
    frame fr;
    int64_t ack_us; /* earliest ingest ack this delta carries, 0 if none */
} entry;

#define LIVE_MERGED_CACHE 4

typedef struct live_doc {
    int kind;
    int hall;
    bool names;
    bool *mask; /* city docs of hall accounts: which halls (owned); NULL = all */
    char key[512];
    char topic[LIVEMSG_TOPIC_MAX + 1];
    json_t *doc;
    uint64_t rev;
    uint64_t built_version;
    bool built;
    entry ring[LIVE_RING_CAP];
    int ring_head, ring_n; /* oldest at ring_head */
    size_t ring_bytes;
    int nsubs;
    int check_subs; /* live_check's scratch count */
    int64_t last_pub_us;
    /* pacing (live_pace.c): at rev pace_rev, pace_total subscriptions (max_hz ones not
     * counted) were to be sent it, pace_left of them still are */
    uint64_t pace_rev;
    int pace_total, pace_left;
    frame snap;
    uint64_t snap_rev;
    /* merged deltas (from a rev behind to `rev`) already serialised: max_hz clients, and
     * clients a tick behind, are behind in a few shared ways, not one each */
    struct {
        uint64_t from, to;
        frame fr;
    } merged[LIVE_MERGED_CACHE];
    int merged_next;
    struct live_doc *next;
} live_doc;

typedef struct live_sub {
    live_doc *doc;
    uint64_t sent_rev;
    bool need_snapshot;
    bool recovering;
    int max_hz;
    int64_t last_sent_us;
    bool pace_wait;                            /* counted in its doc's pace_left (live_pace.c) */
    char doc_topic_tmp[LIVEMSG_TOPIC_MAX + 1]; /* used only while rebinding after a reload */
} live_sub;

typedef struct live_client {
    struct lws *wsi;
    uint64_t conn_id;
    struct live_client *next, *prev;
    bool authed, closing, browser;
    bool close_sent; /* too slow: its close frame is written (lws flushes it behind the rest) */
    int close_code;
    auth_who who;
    int64_t connected_ms, last_writable_ms;
    live_sub *subs;
    int nsubs, capsubs;
    frame *ctl;
    int nctl, capctl;
    size_t ctl_bytes; /* payload bytes in ctl, at most limits.client_buffer_bytes */
    cw_msgbuf rx;     /* the message being received */
    json_t *report;
    char peer[64];
} live_client;

struct live {
    hub_t *hub;
    live_doc *docs;
    live_client *clients;
    int nclients;
    uint64_t rev;
    int64_t unpublished_ack_us;
    lws_sorted_usec_list_t sul_defer; /* the earliest deferred doc's publish time */
    lws_sorted_usec_list_t sul_due;   /* max_hz subscriptions waiting for their next slot */
    bool due_armed;
    bool started;
    /* cluster mode: docs are published only at positions of the replicated log
     * (live_publish_at), with rev = the position, so every hub publishes the same deltas */
    bool positional;
};

typedef struct live_pss {
    live_client *c;
} live_pss;

static inline int64_t live_now_us(void)
{
    return cwt_mono_ms() * 1000; /* ms resolution is plenty for pacing */
}

/* Ask lws for a writeable callback of c (its next message goes out then). */
static inline void live_client_want_write(live_client *c)
{
    if (c->wsi) lws_callback_on_writable(c->wsi);
}

/* ---- live_doc.c ---- */
/* A frame holding msg serialised (buf NULL if that failed). */
frame live_frame_from_json(json_t *msg);
void live_frame_free(frame *f);
/* The doc for this (kind, hall) as `who` sees it, made (empty, unbuilt) if new; NULL on OOM. */
live_doc *live_doc_get(live_t *L, int kind, int hall, const auth_who *who);
void live_doc_free(live_doc *d);
/* The state version the doc would be built from now. */
uint64_t live_doc_version(live_t *L, const live_doc *d);
/* Rebuild d if its version moved and publish the difference as a delta; true when a delta was
 * published (the caller wakes the subscribers: live_pace_published). pos: in positional mode
 * the log position the state is at (0: only a first build happens). */
bool live_doc_refresh(live_t *L, live_doc *d, uint64_t pos);
/* The doc's snapshot message at its rev, serialised once per rev. */
frame *live_doc_snapshot_frame(live_t *L, live_doc *d);
/* Resume point for a client holding rev `since` (0: none; see live_doc.c). */
uint64_t live_doc_resume_base(live_doc *d, uint64_t since, uint64_t top);
/* The i-th ring entry, 0 = oldest. */
entry *live_ring_at(live_doc *d, int i);

/* ---- live_client.c ---- */
/* Queue a control reply (takes msg). */
void live_client_ctl(live_client *c, json_t *msg);
void live_client_error(live_client *c, const char *code, const char *message);
void live_client_close_after_ctl(live_client *c, int code);
void live_client_too_slow(hub_t *hub, live_client *c);

/* ---- live_send.c ---- */
/* A max_hz subscription waits for its slot: look again within a quantum. */
void live_arm_due(live_t *L);
bool live_sub_pending(const live_sub *s);
bool live_client_has_pending(live_client *c);
bool live_sub_due(const live_t *L, const live_sub *s, int64_t t);
/* LWS_CALLBACK_SERVER_WRITEABLE: send one message; -1 closes the connection. */
int live_client_writeable(live_t *L, live_client *c);

/* ---- live_pace.c: when a doc is published (embedded mode), and the drain it waits for ---- */
/* When doc d, whose state moved, may be published: `now` or a later time (see live_pace.c). */
int64_t live_pace_due(const live_doc *d, int64_t now, int64_t tick_us);
/* d just published a delta (live_doc_refresh returned true): its subscribers are woken, the
 * in-step ones counted. */
void live_pace_published(live_t *L, live_doc *d);
/* s was just sent its doc's rev (any message), or is being dropped: may ask for a publish. */
void live_pace_sent(live_t *L, live_sub *s);
void live_pace_dropped(live_t *L, live_sub *s);
/* Publish every doc whose state moved and that is due; the rest when they drain or a tick
 * after their last publish. */
void live_pace_publish_due(live_t *L);
/* A doc drained: publish what is due on the next turn of the loop. */
void live_publish_soon(live_t *L);

/* ---- live_check.c ---- */
/* The sanitizer build (CW_CHECK_INVARIANTS) aborts with the broken invariant; else nothing. */
void live_check_assert(live_t *L);

#endif
