/* cluster_nats: cluster mode's NATS side -- the connection, the JetStream stream, publishing
 * and the consumer thread. The queues are cluster_queue.c, the notifier lease
 * cluster_lease.c. See cluster.h. */
#include <inttypes.h>
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster_internal.h"
#include "hublog.h"
#include "xalloc.h"

#define QUEUE_MAX 2048 /* consumed records waiting to be applied */
#define CONNECT_WAIT_MS 30000

/* ---- publishing ------------------------------------------------------------------------- */

/* NATS's thread: an asynchronous publish failed (no quorum, timeout, stream gone). */
static void on_pub_error(jsCtx *js, jsPubAckErr *pae, void *closure)
{
    (void)js;
    cluster_t *c = closure;
    const char *id = NULL;
    if (natsMsgHeader_Get(pae->Msg, "Nats-Msg-Id", &id) != NATS_OK || !id) return;
    size_t pl = strlen(c->msgid_prefix);
    if (strncmp(id, c->msgid_prefix, pl) != 0) return;
    uint64_t n = strtoull(id + pl, NULL, 10);
    pthread_mutex_lock(&c->lock);
    if (c->nfailed < (int)(sizeof c->failed / sizeof c->failed[0])) c->failed[c->nfailed++] = n;
    snprintf(c->failed_why, sizeof c->failed_why, "%s",
             pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err));
    pthread_mutex_unlock(&c->lock);
    hub_wake(c->hub);
}

/* One record onto the stream's subject, published asynchronously (the PubAck comes to the
 * ack handler): the message id (JetStream keeps the first within its duplicate window), then
 * the headers as name/value pairs (hdrs[2k], hdrs[2k+1]; nhdrs pairs). */
static natsStatus publish(cluster_t *c, const char *id, const char *const *hdrs, int nhdrs,
                          const char *data, size_t len)
{
    natsMsg *msg = NULL;
    natsStatus s = natsMsg_Create(&msg, c->hub->cfg->cluster.subject, NULL, data, (int)len);
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Msg-Id", id);
    for (int i = 0; s == NATS_OK && i < nhdrs; i++)
        s = natsMsgHeader_Set(msg, hdrs[2 * i], hdrs[2 * i + 1]);
    if (s == NATS_OK) s = js_PublishMsgAsync(c->js, &msg, NULL);
    natsMsg_Destroy(msg); /* NULL once the library took it */
    return s;
}

int cl_nats_publish(cluster_t *c, uint64_t n, const char *token, int64_t recv_ms,
                    const char *events, size_t len, char *err, size_t errlen)
{
    char id[160], recv[32];
    snprintf(id, sizeof id, "%s%" PRIu64, c->msgid_prefix, n);
    snprintf(recv, sizeof recv, "%" PRId64, recv_ms);
    const char *hdrs[] = {"Cw-Token", token, "Cw-Recv-Ms", recv};
    natsStatus s = publish(c, id, hdrs, 2, events, len);
    if (s != NATS_OK) {
        snprintf(err, errlen, "NATS publish: %s", natsStatus_GetText(s));
        return -1;
    }
    return 0;
}

/* A tick of the log's clock for business second sec. Every hub sends one; the message id
 * makes JetStream keep the first (within its 2 min duplicate window). Best effort: a lost tick
 * is covered by the next. */
int cl_nats_publish_tick(cluster_t *c, int64_t sec)
{
    char id[48], ms[32];
    /* per stream: a province's stream sources several cities' ticks, and JetStream stalls a
     * source on a duplicate message id */
    snprintf(id, sizeof id, "tick.%s.%" PRId64, c->hub->cfg->cluster.stream, sec);
    snprintf(ms, sizeof ms, "%" PRId64, sec * 1000);
    const char *hdrs[] = {"Cw-Tick", ms};
    return publish(c, id, hdrs, 1, NULL, 0) == NATS_OK ? 0 : -1;
}

int cl_nats_publish_cmd(cluster_t *c, uint64_t n, const char *kind, const char *json, size_t len)
{
    char id[160];
    snprintf(id, sizeof id, "%sc%" PRIu64, c->msgid_prefix, n);
    const char *hdrs[] = {"Cw-Cmd", kind};
    return publish(c, id, hdrs, 1, json, len) == NATS_OK ? 0 : -1;
}

bool cl_nats_connected(cluster_t *c)
{
    return c->nc && natsConnection_Status(c->nc) == NATS_CONN_STATUS_CONNECTED;
}

/* ---- consuming -------------------------------------------------------------------------- */

static cl_record *record_of(cluster_t *c, natsMsg *m)
{
    jsMsgMetaData *meta = NULL;
    if (natsMsg_GetMetaData(&meta, m) != NATS_OK) return NULL;
    cl_record *r = cw_xcalloc(1, sizeof *r);
    r->seq = meta->Sequence.Stream;
    atomic_store(&c->lag, meta->NumPending);
    jsMsgMetaData_Destroy(meta);
    const char *v = NULL;
    if (natsMsgHeader_Get(m, "Cw-Tick", &v) == NATS_OK && v) r->tick_ms = strtoll(v, NULL, 10);
    if (natsMsgHeader_Get(m, "Cw-Cmd", &v) == NATS_OK && v)
        snprintf(r->cmd, sizeof r->cmd, "%s", v);
    if (natsMsgHeader_Get(m, "Cw-Token", &v) == NATS_OK && v)
        snprintf(r->token, sizeof r->token, "%s", v);
    if (natsMsgHeader_Get(m, "Cw-Recv-Ms", &v) == NATS_OK && v) r->recv_ms = strtoll(v, NULL, 10);
    size_t pl = strlen(c->msgid_prefix);
    if (natsMsgHeader_Get(m, "Nats-Msg-Id", &v) == NATS_OK && v) { /* its stream (province) */
        const char *s = strncmp(v, "tick.", 5) ? v : v + 5;
        snprintf(r->src, sizeof r->src, "%.*s", (int)strcspn(s, "."), s);
    }
    if (natsMsgHeader_Get(m, "Nats-Msg-Id", &v) == NATS_OK && v &&
        !strncmp(v, c->msgid_prefix, pl)) {
        r->mine = true;
        r->n = strtoull(v + pl, NULL, 10);
    }
    r->len = (size_t)natsMsg_GetDataLength(m);
    r->data = cw_xmalloc(r->len + 1);
    memcpy(r->data, natsMsg_GetData(m), r->len);
    r->data[r->len] = 0;
    int commas = 1;
    for (size_t i = 0; i < r->len; i++)
        commas += r->data[i] == ',';
    r->nevents_hint = commas; /* at least the number of events: sizes runs, no more */
    return r;
}

static void *consumer_main(void *arg)
{
    cluster_t *c = arg;
    bool complained = false;
    while (!atomic_load(&c->stop)) {
        cl_lease_step(c);
        natsMsg *m = NULL;
        natsStatus s = natsSubscription_NextMsg(&m, c->sub, 100);
        if (s == NATS_TIMEOUT) continue;
        if (s != NATS_OK) {
            if (!complained)
                fprintf(stderr, "citywall-hub: cluster: reading the log: %s (retrying)\n",
                        natsStatus_GetText(s));
            complained = true;
            usleep(200 * 1000);
            continue;
        }
        complained = false;
        cl_record *r = record_of(c, m);
        natsMsg_Destroy(m);
        if (!r) continue; /* not a stream message (flow control is handled by the library) */
        cl_queue_push(c, r);
        hub_wake(c->hub);
    }
    cl_lease_release(c);
    return NULL;
}

/* ---- the stream ------------------------------------------------------------------------- */

/* The stream's info, creating the stream when there is none. On failure, why in err. */
static natsStatus ensure_stream(cluster_t *c, jsStreamInfo **si, jsErrCode *jerr, char *err,
                                size_t errlen)
{
    const cfg_cluster *cc = &c->hub->cfg->cluster;
    natsStatus s = js_GetStreamInfo(si, c->js, cc->stream, NULL, jerr);
    if (s == NATS_OK) return s;
    if (s != NATS_NOT_FOUND && *jerr != JSStreamNotFoundErr) {
        const char *detail = nats_GetLastError(NULL);
        snprintf(err, errlen, "%s%s%s", natsStatus_GetText(s), detail ? ": " : "",
                 detail ? detail : "");
        return s;
    }
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char *subjects[] = {cc->subject};
    sc.Name = cc->stream;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Replicas = cc->replicas;
    /* province mode: each city's stream, sourced over its leaf link from its own domain */
    jsExternalStream ext[16];
    jsStreamSource src[16], *srcs[16];
    char api[16][96], deliver[16][96];
    int ns = cc->nsources < 16 ? cc->nsources : 16;
    for (int i = 0; i < ns; i++) {
        snprintf(api[i], sizeof api[i], "$JS.%s.API", cc->sources[i].domain);
        snprintf(deliver[i], sizeof deliver[i], "cw.deliver.%s.%s", cc->stream,
                 cc->sources[i].domain);
        ext[i] = (jsExternalStream){.APIPrefix = api[i], .DeliverPrefix = deliver[i]};
        src[i] = (jsStreamSource){.Name = cc->sources[i].stream, .External = &ext[i]};
        srcs[i] = &src[i];
    }
    sc.Sources = ns ? srcs : NULL;
    sc.SourcesLen = ns;
    sc.Duplicates = 2LL * 60 * 1000 * 1000 * 1000; /* publish retries within 2 min */
    /* the log is kept as long as the raw events are (server.retention_days) */
    sc.MaxAge = (int64_t)c->hub->cfg->retention_days * 86400LL * 1000 * 1000 * 1000;
    *jerr = 0;
    s = js_AddStream(si, c->js, &sc, NULL, jerr);
    if (s == NATS_OK) {
        fprintf(stderr, "citywall-hub: cluster: stream %s on subject %s (%d replicas)\n",
                cc->stream, cc->subject, cc->replicas);
        return s;
    }
    const char *detail = nats_GetLastError(NULL);
    snprintf(err, errlen, "creating it: %s%s%s", natsStatus_GetText(s), detail ? ": " : "",
             detail ? detail : "");
    return s;
}

static int connect_nats(cluster_t *c, char *err, size_t errlen)
{
    const cfg_cluster *cc = &c->hub->cfg->cluster;
    natsOptions *o = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK) s = natsOptions_SetServers(o, (const char **)cc->nats, cc->nnats);
    if (s == NATS_OK) s = natsOptions_SetName(o, c->hub_id);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, -1); /* forever */
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(o, 250);
    if (s == NATS_OK) s = natsOptions_SetPingInterval(o, 2000);
    if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(o, 2);
    if (s == NATS_OK) s = natsOptions_SetTimeout(o, 2000);
    int64_t until = cwt_mono_ms() + CONNECT_WAIT_MS;
    while (s == NATS_OK) {
        s = natsConnection_Connect(&c->nc, o);
        if (s == NATS_OK || cwt_mono_ms() > until) break;
        s = NATS_OK;
        usleep(250 * 1000);
    }
    natsOptions_Destroy(o);
    if (s != NATS_OK) {
        snprintf(err, errlen, "cluster: cannot reach NATS at %s%s: %s", cc->nats[0],
                 cc->nnats > 1 ? " (and the other cluster.nats servers)" : "",
                 natsStatus_GetText(s));
        return -1;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 5000;
    jo.PublishAsync.ErrHandler = on_pub_error;
    jo.PublishAsync.ErrHandlerClosure = c;
    jo.PublishAsync.MaxPending = 4096;
    s = natsConnection_JetStream(&c->js, c->nc, &jo);
    if (s != NATS_OK) {
        snprintf(err, errlen, "cluster: JetStream: %s", natsStatus_GetText(s));
        return -1;
    }
    return 0;
}

/* The stream exists (waiting for the NATS cluster to elect its leaders) and is the one this
 * store's log position refers to. */
static int check_stream(cluster_t *c, uint64_t applied, char *err, size_t errlen)
{
    const cfg_cluster *cc = &c->hub->cfg->cluster;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = NATS_ERR;
    char why[200] = "";
    int64_t until = cwt_mono_ms() + CONNECT_WAIT_MS;
    for (;;) { /* a new NATS cluster elects its JetStream leaders first */
        jerr = 0;
        s = ensure_stream(c, &si, &jerr, why, sizeof why);
        if (s == NATS_OK || cwt_mono_ms() > until) break;
        usleep(250 * 1000);
    }
    if (s != NATS_OK) {
        snprintf(err, errlen, "cluster: stream %s: %s (JetStream error %d)", cc->stream, why,
                 (int)jerr);
        return -1;
    }
    uint64_t last = si->State.LastSeq;
    c->stream_created = si->Created;
    jsStreamInfo_Destroy(si);
    if (applied > last) {
        snprintf(err, errlen,
                 "cluster: this store has applied the log up to %" PRIu64 " but stream %s ends "
                 "at %" PRIu64 ": the stream lost records or is another stream (see "
                 "docs/cluster.md, 'a log that lost its tail')",
                 applied, cc->stream, last);
        return -1;
    }
    return 0;
}

static int subscribe(cluster_t *c, uint64_t applied, char *err, size_t errlen)
{
    const cfg_cluster *cc = &c->hub->cfg->cluster;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = cc->stream;
    so.Ordered = true;
    /* the server's idle heartbeat to this consumer: missing ones tell the library to create
     * the consumer again (e.g. its node died), so a short one bounds that pause (default 5 s) */
    so.Config.Heartbeat = 1000LL * 1000 * 1000;
    if (applied > 0) {
        so.Config.DeliverPolicy = js_DeliverByStartSequence;
        so.Config.OptStartSeq = applied + 1;
    } else {
        so.Config.DeliverPolicy = js_DeliverAll;
    }
    jsErrCode jerr = 0;
    /* province mode: the sourced records keep their cities' subjects; take every subject */
    natsStatus s =
        js_SubscribeSync(&c->sub, c->js, cc->nsources ? ">" : cc->subject, NULL, &so, &jerr);
    if (s != NATS_OK) {
        snprintf(err, errlen, "cluster: consuming %s: %s (JetStream error %d)", cc->stream,
                 natsStatus_GetText(s), (int)jerr);
        return -1;
    }
    /* what the library may hold for us beyond the queue (cluster_queue.c): the server's flow
     * control keeps the rest in the stream */
    natsSubscription_SetPendingLimits(c->sub, 65536, 32 * 1024 * 1024);
    return 0;
}

int cl_nats_open(cluster_t *c, uint64_t applied, char *err, size_t errlen)
{
    if (connect_nats(c, err, errlen) < 0) return -1;
    if (check_stream(c, applied, err, errlen) < 0) return -1;
    if (subscribe(c, applied, err, errlen) < 0) return -1;
    cl_lease_open(c);
    if (pthread_create(&c->consumer, NULL, consumer_main, c) != 0) {
        snprintf(err, errlen, "cluster: cannot start the consumer thread");
        return -1;
    }
    c->consumer_started = true;
    return 0;
}

void cl_nats_stop(cluster_t *c)
{
    atomic_store(&c->stop, true);
    pthread_mutex_lock(&c->lock);
    pthread_cond_broadcast(&c->room);
    pthread_mutex_unlock(&c->lock);
    if (c->consumer_started) pthread_join(c->consumer, NULL);
    c->consumer_started = false;
}

void cl_nats_close(cluster_t *c)
{
    if (c->sub) {
        natsSubscription_Unsubscribe(c->sub);
        natsSubscription_Destroy(c->sub);
    }
    if (c->kv) kvStore_Destroy(c->kv);
    if (c->js) jsCtx_Destroy(c->js);
    if (c->nc) {
        natsConnection_Close(c->nc);
        natsConnection_Destroy(c->nc);
    }
    for (cl_record *r = c->q_head, *next; r; r = next) {
        next = r->next;
        cl_record_free(r);
    }
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->room);
    nats_Close();
}

/* ---- open ------------------------------------------------------------------------------- */

cluster_t *cluster_open(hub_t *hub, char *err, size_t errlen)
{
    cluster_t *c = cw_xcalloc(1, sizeof *c);
    c->hub = hub;
    const cfg_cluster *cc = &hub->cfg->cluster;
    const char *id = hub->hub_id_override ? hub->hub_id_override
                     : cc->hub_id
                         ? cc->hub_id
                         : (hub->listen_override ? hub->listen_override : hub->cfg->listen);
    snprintf(c->hub_id, sizeof c->hub_id, "%s", id);
    c->hub_id[50] = 0; /* "operator.<id>" is a feed name: at most 64 of A-Z a-z 0-9 _ . - */
    for (char *p = c->hub_id; *p; p++) /* and the id is one token of the message ids */
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            *p = '_';
    snprintf(c->msgid_prefix, sizeof c->msgid_prefix, "%s.%s.%s.", cc->stream, c->hub_id,
             hub->epoch); /* unique across the cities a province sources */
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->room, NULL);
    int64_t applied = 0;
    store_meta_get_int(hub->store, "log_applied", &applied);
    /* the log's business time at that position: the state (restored from a snapshot taken
     * at an earlier position) goes there, as every other hub's is */
    if (store_meta_get_int(hub->store, "log_clock", &c->log_clock) == 1 &&
        c->log_clock > state_now(hub->state))
        hub->log_ops->tick(hub, c->log_clock);
    c->stats.applied_seq = (uint64_t)applied;
    if (cl_nats_open(c, (uint64_t)applied, err, errlen) < 0) {
        cl_nats_stop(c);
        cl_nats_close(c);
        free(c);
        return NULL;
    }
    /* the live protocol's epoch is the log's: revs are its positions, the same on every hub */
    snprintf(hub->epoch, sizeof hub->epoch, "s%" PRIx64, (uint64_t)c->stream_created / 1000000);
    fprintf(stderr,
            "citywall-hub: cluster: hub %s on stream %s, consuming after log position %" PRId64
            " (epoch %s)\n",
            c->hub_id, cc->stream, applied, hub->epoch);
    return c;
}
