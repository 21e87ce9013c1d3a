/* cluster: the service-thread side of cluster mode -- publishing batches, applying consumed
 * records in runs, answering and expiring pending batches. The NATS side (connection, stream,
 * consumer thread) is cluster_nats.c. See cluster.h. */
#include "cluster.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_internal.h"
#include "hublog.h"
#include "xalloc.h"

#define RUN_MAX_RECORDS 256 /* records applied in one transaction */
#define RUN_MAX_ITEMS 20000 /* ... and events */
#define RETRY_MS 1000       /* a run that failed is tried again after this */
#define REPUBLISH_MS 250    /* a publish that failed is sent again after this */

/* ---- pending batches: published by this hub, waiting for their record ------------------ */

static void pending_finish(cluster_t *c, cl_pending *p, int rc, const char *err)
{
    store_job *b = p->batch;
    b->rc = rc;
    if (rc < 0) {
        snprintf(b->err, sizeof b->err, "%s", err);
        for (int i = 0; i < b->nitems; i++)
            b->items[i].result = STORE_PENDING;
    }
    b->done = p->done;
    b->done_ud = p->ud;
    /* unlink before calling: done may append again */
    if (p->prev)
        p->prev->next = p->next;
    else
        c->pend_head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        c->pend_tail = p->prev;
    c->npending--;
    store_done_fn done = p->done;
    free(p->events);
    free(p);
    done(b);
}

static cl_pending *pending_find(cluster_t *c, uint64_t n)
{
    for (cl_pending *p = c->pend_head; p; p = p->next)
        if (p->n == n) return p;
    return NULL;
}

/* "[" + each item's bytes + "]": the batch as the sender sent it (or as parsed, re-encoded). */
static char *batch_events(store_job *b, size_t *len)
{
    size_t cap = 2, n = 0;
    for (int i = 0; i < b->nitems; i++)
        cap += (b->items[i].body ? strlen(b->items[i].body) : 0) + 1;
    char *out = cw_xmalloc(cap + 1);
    out[n++] = '[';
    for (int i = 0; i < b->nitems; i++) {
        store_item *it = &b->items[i];
        char *enc = it->body ? NULL : json_dumps(it->obj, JSON_COMPACT | JSON_ENCODE_ANY);
        const char *s = it->body ? it->body : enc ? enc : "null";
        size_t sl = strlen(s);
        if (n + sl + 2 > cap) {
            cap = (n + sl + 2) * 2;
            out = cw_xrealloc(out, cap + 1);
        }
        if (i) out[n++] = ',';
        memcpy(out + n, s, sl);
        n += sl;
        free(enc);
    }
    out[n++] = ']';
    out[n] = 0;
    *len = n;
    return out;
}

static const char *batch_token(const store_job *b)
{
    return b->token ? b->token : "operator";
}

static int64_t batch_recv_ms(const store_job *b)
{
    return b->items && b->nitems ? b->items[0].recv_ms : 0;
}

/* Publish (again) p's record. The message id stays the same, so JetStream stores it once
 * however often it is sent within its duplicate window (2 min). */
static void publish(cluster_t *c, cl_pending *p)
{
    char err[160];
    p->tries++;
    p->retry_ms = 0;
    if (cl_nats_publish(c, p->n, batch_token(p->batch), batch_recv_ms(p->batch), p->events, p->len,
                        err, sizeof err) < 0) {
        snprintf(p->fail, sizeof p->fail, "%s", err);
        p->retry_ms = cwt_mono_ms() + REPUBLISH_MS;
        c->stats.publish_failed++;
    } else if (p->tries == 1) {
        c->stats.published++;
    }
}

void cluster_append(cluster_t *c, store_job *batch, store_done_fn done, void *ud)
{
    cl_pending *p = cw_xcalloc(1, sizeof *p);
    p->n = ++c->next_n;
    p->batch = batch;
    p->done = done;
    p->ud = ud;
    p->deadline_ms = cwt_mono_ms() + c->hub->cfg->cluster.ack_wait_ms;
    p->prev = c->pend_tail;
    if (c->pend_tail)
        c->pend_tail->next = p;
    else
        c->pend_head = p;
    c->pend_tail = p;
    c->npending++;
    p->events = batch_events(batch, &p->len);
    publish(c, p); /* on failure it is sent again from cluster_service, never answered here */
}

/* Publishes NATS reported failed (from its threads: e.g. no stream leader for a moment after
 * a node died) are sent again until their deadline; then they are answered 503. */
static void expire_pending(cluster_t *c)
{
    uint64_t failed[64];
    char why[120] = "";
    int nf = cl_take_failures(c, failed, 64, why, sizeof why);
    int64_t now = cwt_mono_ms();
    for (int i = 0; i < nf; i++) {
        cl_pending *p = pending_find(c, failed[i]);
        if (!p) continue;
        c->stats.publish_failed++;
        snprintf(p->fail, sizeof p->fail, "%s", why);
        p->retry_ms = now + REPUBLISH_MS;
    }
    for (cl_pending *p = c->pend_head, *next; p; p = next) {
        next = p->next;
        if (p->deadline_ms <= now) {
            char err[260];
            c->stats.timed_out++;
            snprintf(err, sizeof err,
                     "the cluster's log did not confirm the batch within %d ms (%s); send it "
                     "again",
                     c->hub->cfg->cluster.ack_wait_ms,
                     p->fail[0] ? p->fail : "NATS unreachable or without a quorum");
            pending_finish(c, p, -1, err);
        } else if (p->retry_ms && p->retry_ms <= now) {
            publish(c, p);
        }
    }
}

/* ---- applying consumed records in runs -------------------------------------------------- */

static void run_job_done(store_job *job);

static store_job *marker_job(cluster_t *c, int64_t pos)
{
    store_job *m = cw_xcalloc(1, sizeof *m);
    m->kind = STORE_JOB_EVENTS;
    m->log_pos = pos;
    m->done = run_job_done;
    m->done_ud = c;
    return m;
}

/* Take the next run from the queue and hand it to the store as one transaction. */
static void start_run(cluster_t *c)
{
    int n = cl_take_records(c, c->run_recs, RUN_MAX_RECORDS, RUN_MAX_ITEMS);
    if (n == 0) return;
    c->run_n = n;
    store_job *first = NULL, *last = NULL;
    const hublog_ops *ops = c->hub->log_ops;
    for (int i = 0; i < n; i++) {
        cl_record *r = c->run_recs[i];
        if (r->tick_ms || r->cmd[0]) continue; /* a tick or a command: nothing to store */
        char err[200];
        r->job = ops->prepare(c->hub, r->token, r->recv_ms, r->data, r->len, err, sizeof err);
        if (!r->job) {
            c->stats.records_unreadable++;
            fprintf(stderr, "citywall-hub: cluster: log record %" PRIu64 " skipped: %s\n", r->seq,
                    err);
            continue;
        }
        r->job->done = run_job_done;
        r->job->done_ud = c;
        if (last)
            last->next = r->job;
        else
            first = r->job;
        last = r->job;
    }
    store_job *m = marker_job(c, (int64_t)c->run_recs[n - 1]->seq);
    for (int i = 0; i < n; i++) /* the log's clock at the run's end, kept beside its position */
        if (c->run_recs[i]->tick_ms > c->log_clock) c->log_clock = c->run_recs[i]->tick_ms;
    m->log_clock = c->log_clock;
    if (last)
        last->next = m;
    else
        first = m;
    c->run_jobs = 0;
    for (store_job *j = first; j; j = j->next)
        c->run_jobs++;
    c->run_done = 0;
    c->run_failed = false;
    c->running = true;
    store_submit_chain(c->hub->store, first);
}

/* Province mode: the record's city (the cluster.sources entry its stream is) has data up to
 * its time. */
static void source_seen(cluster_t *c, const cl_record *r)
{
    const cfg_cluster *cc = &c->hub->cfg->cluster;
    if (r->tick_ms && !c->src_base) c->src_base = c->log_clock;
    int64_t t = r->tick_ms ? r->tick_ms : r->recv_ms;
    for (int i = 0; i < cc->nsources && i < CL_MAX_SOURCES; i++)
        if (!strcmp(cc->sources[i].stream, r->src) && t > c->src_seen[i]) c->src_seen[i] = t;
}

/* The run committed: apply each record (every hub), answer this hub's own batches. */
static void finish_run(cluster_t *c)
{
    const hublog_ops *ops = c->hub->log_ops;
    for (int i = 0; i < c->run_n; i++) {
        cl_record *r = c->run_recs[i];
        store_job *job = r->job;
        if (r->tick_ms) ops->tick(c->hub, r->tick_ms);
        source_seen(c, r);
        if (r->cmd[0] && ops->command) ops->command(c->hub, r->cmd, r->data, r->len, r->mine);
        if (job) {
            ops->apply(c->hub, job);
            cl_pending *p = r->mine ? pending_find(c, r->n) : NULL;
            if (p && p->batch->nitems == job->nitems) {
                for (int k = 0; k < job->nitems; k++) {
                    p->batch->items[k].result = job->items[k].result;
                    p->batch->items[k].event_id = job->items[k].event_id;
                }
                pending_finish(c, p, 0, NULL);
            } else if (p) {
                pending_finish(c, p, -1, "the log's record does not match the batch sent");
            }
            ops->free(job);
        }
        c->stats.records_applied++;
        c->stats.applied_seq = r->seq;
        ops->position(c->hub, r->seq);
        cl_record_free(r);
        c->run_recs[i] = NULL;
    }
    c->run_n = 0;
}

static void fail_run(cluster_t *c)
{
    const hublog_ops *ops = c->hub->log_ops;
    for (int i = 0; i < c->run_n; i++) {
        if (c->run_recs[i]->job) ops->free(c->run_recs[i]->job);
        c->run_recs[i]->job = NULL;
    }
    c->stats.apply_retries++;
    if (c->stats.apply_retries == 1 || c->stats.apply_retries % 60 == 0)
        fprintf(stderr,
                "citywall-hub: cluster: applying log records %" PRIu64 "..%" PRIu64
                " failed (%s); retrying every %d ms\n",
                c->run_recs[0]->seq, c->run_recs[c->run_n - 1]->seq, c->run_err, RETRY_MS);
    cl_requeue_front(c, c->run_recs, c->run_n);
    c->run_n = 0;
    c->retry_at_ms = cwt_mono_ms() + RETRY_MS;
}

static void run_job_done(store_job *job)
{
    cluster_t *c = job->done_ud;
    if (job->rc < 0) {
        c->run_failed = true;
        snprintf(c->run_err, sizeof c->run_err, "%s", job->err);
    }
    if (job->nitems == 0 && job->log_pos > 0 && !job->ctx) store_job_free(job); /* the marker */
    if (++c->run_done < c->run_jobs) return;
    c->running = false;
    if (c->run_failed)
        fail_run(c);
    else
        finish_run(c);
    cluster_service(c); /* the next run, at once */
}

void cluster_service(cluster_t *c)
{
    if (!c) return;
    int64_t sec = hub_now(c->hub) / 1000;
    if (sec > c->last_tick_sec && cl_nats_publish_tick(c, sec) == 0) c->last_tick_sec = sec;
    expire_pending(c);
    if (c->running || cwt_mono_ms() < c->retry_at_ms) return;
    start_run(c);
}

bool cluster_idle(cluster_t *c)
{
    return !c->running && cl_queued(c) == 0;
}

void cluster_get_stats(cluster_t *c, cluster_stats *out)
{
    *out = c->stats;
    out->connected = cl_nats_connected(c);
    out->lag = cl_lag(c);
    out->pending = c->npending;
    out->hub_id = c->hub_id;
}

int cluster_publish_command(cluster_t *c, const char *kind, const char *json, size_t len)
{
    return cl_nats_publish_cmd(c, ++c->next_cmd, kind, json, len);
}

bool cluster_source_seen(cluster_t *c, int i, int64_t *ms)
{
    if (!c || i < 0 || i >= c->hub->cfg->cluster.nsources || i >= CL_MAX_SOURCES || !c->src_base)
        return false;
    *ms = c->src_seen[i] > c->src_base ? c->src_seen[i] : c->src_base;
    return true;
}

bool cluster_is_notifier(cluster_t *c)
{
    return atomic_load(&c->notifier);
}

void cluster_stop(cluster_t *c)
{
    if (c) cl_nats_stop(c);
}

void cluster_close(cluster_t *c)
{
    if (!c) return;
    cl_nats_stop(c);
    while (c->pend_head)
        pending_finish(c, c->pend_head, -1, "the hub is stopping; send it again");
    for (int i = 0; i < c->run_n; i++)
        cl_record_free(c->run_recs[i]);
    cl_nats_close(c);
    free(c);
}
