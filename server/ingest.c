/* ingest: validation of event batches, store jobs, acks, and recovery replay. See ingest.h. */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "event.h"
#include "hublog.h"
#include "live.h"
#include "xalloc.h"

#define SKEW_LIMIT_MS (5 * 60 * 1000)

typedef struct ingest_ctx {
    uint64_t cfg_gen;
    int token;
    ingest_body body; /* the parse the items' views point into */
    int n;            /* events in the request */
    ev_event *evs;    /* per item; valid for STORE_ITEM_EVENT items while body lives */
    bool *counts;     /* per item: its hall/seq counts toward the ack */
    char **errors;    /* per item: reject reason as answered (NULL for events) */
    hub_t *hub;
    ingest_answer_fn answer; /* the protocol that took the batch in, or NULL */
    uint64_t conn_id;        /* its connection */
} ingest_ctx;

static void ctx_free(ingest_ctx *c, int nitems)
{
    if (!c) return;
    for (int i = 0; i < nitems; i++)
        free(c->errors[i]);
    free(c->errors);
    free(c->evs);
    free(c->counts);
    ingest_body_free(&c->body);
    free(c);
}

static char *dup_or_null(const char *s)
{
    return s ? cw_xstrdup(s) : NULL;
}

/* Best-effort envelope of a rejected event, for the quarantine row and the ack. */
static void rough_envelope(const ev_jval *obj, const char **hall, const char **feed, int64_t *seq)
{
    *hall = NULL;
    *feed = NULL;
    *seq = 0;
    if (obj->kind != EV_J_OBJECT) return;
    ev_jval h, f, s;
    obj->o.get(obj->o.obj, "hall", &h);
    obj->o.get(obj->o.obj, "feed", &f);
    obj->o.get(obj->o.obj, "seq", &s);
    if (h.kind == EV_J_STRING && h.len <= 64) *hall = h.s;
    if (f.kind == EV_J_ABSENT)
        *feed = "main";
    else if (f.kind == EV_J_STRING && ev_feed_valid(f.s, f.len))
        *feed = f.s; /* an invalid name is never echoed in `acked` */
    if (s.kind == EV_J_INTEGER && s.i >= 1 && s.i <= EV_SEQ_MAX) *seq = s.i;
}

bool ingest_rate_ok(hub_t *hub, int token, int events)
{
    static double *tokens;
    static int64_t *last;
    static int n;
    double rate = hub->cfg->limits.ingest_rate;
    if (rate <= 0) return true;
    if (n != hub->cfg->ntokens) {
        free(tokens);
        free(last);
        n = hub->cfg->ntokens;
        tokens = calloc(n, sizeof(double));
        last = calloc(n, sizeof(int64_t));
        if (!tokens || !last) return true;
        for (int i = 0; i < n; i++)
            tokens[i] = rate;
    }
    int64_t now = cwt_mono_ms();
    tokens[token] += (double)(now - last[token]) * rate / 1000.0;
    if (tokens[token] > rate) tokens[token] = rate;
    last[token] = now;
    if (tokens[token] < events) return false;
    tokens[token] -= events;
    return true;
}

int ingest_parse(const char *buf, size_t len, ingest_body *out, json_error_t *jerr)
{
    out->root = NULL;
    out->scan = evscan_array(buf, len);
    if (out->scan) return 0;
    out->root = json_loadb(buf, len, 0, jerr);
    return out->root ? 0 : -1;
}

int ingest_body_count(const ingest_body *b)
{
    if (b->scan) return (int)evscan_count(b->scan);
    return json_is_array(b->root) ? (int)json_array_size(b->root) : 1;
}

void ingest_body_free(ingest_body *b)
{
    evscan_free(b->scan);
    json_decref(b->root);
    b->scan = NULL;
    b->root = NULL;
}

/* Element i of a batch: its view, and (from a scan) its bytes; from jansson's tree, one
 * reference to it for the item. */
static void element(const ingest_body *b, const char *src, int i, store_item *it)
{
    if (b->scan) {
        size_t off, len;
        evscan_span(b->scan, (size_t)i, &off, &len);
        it->body = cw_xstrndup(src + off, len);
        it->ev = *evscan_event(b->scan, (size_t)i);
        return;
    }
    json_t *obj = json_is_array(b->root) ? json_array_get(b->root, (size_t)i) : b->root;
    it->obj = json_incref(obj);
    ev_jval_of_json(obj, &it->ev);
}

/* ingest_prepare at a given receive time; `counted`: this hub received the batch (its
 * metrics count it), not read it from the log. */
static store_job *prepare_at(hub_t *hub, int token, ingest_body *body, const char *src,
                             bool single_ok, int64_t now, bool counted, int *status, char *err,
                             size_t errlen)
{
    const cfg_t *cfg = hub->cfg;
    const cfg_token *tok = token >= 0 ? &cfg->tokens[token] : NULL; /* NULL: an operator */
    ingest_body b = *body;                                          /* the job's from here on */
    *body = (ingest_body){0};
    if (!b.scan && !json_is_array(b.root) && !(single_ok && json_is_object(b.root))) {
        *status = 400;
        snprintf(err, errlen,
                 single_ok ? "message must be an event object or an array of events"
                           : "body must be a JSON array of events");
        ingest_body_free(&b);
        return NULL;
    }
    int n = ingest_body_count(&b);
    if (n > cfg->limits.max_batch_events) {
        *status = 413;
        snprintf(err, errlen, "batch of %d events is over the limit of %d", n,
                 cfg->limits.max_batch_events);
        ingest_body_free(&b);
        return NULL;
    }
    store_job *job = cw_xcalloc(1, sizeof(*job));
    ingest_ctx *c = cw_xcalloc(1, sizeof(*c));
    if (!job || !c) goto oom;
    job->kind = STORE_JOB_EVENTS;
    job->token = cw_xstrdup(tok ? tok->name : "operator");
    job->items = calloc(n ? n : 1, sizeof(store_item));
    c->evs = calloc(n ? n : 1, sizeof(ev_event));
    c->counts = calloc(n ? n : 1, sizeof(bool));
    c->errors = calloc(n ? n : 1, sizeof(char *));
    if (!job->items || !c->evs || !c->counts || !c->errors) goto oom;
    c->body = b;
    b = (ingest_body){0};
    c->n = n;
    c->cfg_gen = hub->cfg_gen;
    c->token = token;
    job->ctx = c;
    job->nitems = n;

    for (int i = 0; i < n; i++) {
        store_item *it = &job->items[i];
        ev_event *ev = &c->evs[i];
        char msg[256];
        it->recv_ms = now;
        /* from a scan, the bytes the gateway sent; from jansson's tree, it->body stays NULL and
         * the store's writer thread serialises it->obj (store_write.c item_body) */
        element(&c->body, src, i, it);
        if (counted) hub->m.events_received++;
        bool ok = it->ev.kind == EV_J_OBJECT;
        if (!ok) snprintf(msg, sizeof(msg), "event must be a JSON object");
        if (ok && ev_parse_view(cfg, &it->ev, ev, msg, sizeof(msg)) < 0) ok = false;
        if (ok && tok && !cfg_token_may_write(tok, ev->hall)) {
            snprintf(msg, sizeof(msg), "hall %s not allowed for this token", ev->hall_id);
            ok = false;
            it->kind = STORE_ITEM_REJECT;
            it->hall = cw_xstrdup(ev->hall_id);
            it->feed = cw_xstrdup(ev->feed);
            it->seq = ev->seq;
            it->reason = cw_xstrdup(msg);
            c->errors[i] = cw_xstrdup(msg);
            continue;
        }
        if (!ok) {
            const char *h, *f;
            int64_t seq;
            rough_envelope(&it->ev, &h, &f, &seq);
            it->kind = STORE_ITEM_REJECT;
            it->hall = dup_or_null(h);
            it->feed = dup_or_null(f);
            it->seq = seq;
            it->reason = cw_xstrdup(msg);
            c->errors[i] = cw_xstrdup(msg);
            int hi = h ? cfg_hall_index(cfg, h) : -1;
            c->counts[i] = hi >= 0 && seq > 0 && f && (!tok || cfg_token_may_write(tok, hi));
            continue;
        }
        if (ev->at_ms > now) {
            ev->at_ms = now; /* SPEC §3.1: an `at` in the future is clamped to now */
            if (counted) hub->m.clamped_events++;
        }
        int64_t skew = now - ev->at_ms;
        if (counted && (skew > SKEW_LIMIT_MS || skew < -SKEW_LIMIT_MS)) hub->m.skewed_events++;
        if (counted && ev->hall < hub->nhalls) hub->halls[ev->hall].last_skew_ms = skew;
        it->kind = STORE_ITEM_EVENT;
        it->hall = cw_xstrdup(ev->hall_id);
        it->feed = cw_xstrdup(ev->feed);
        it->seq = ev->seq;
        it->type = cw_xstrdup(ev_type_name(ev->type));
        it->at_ms = ev->at_ms;
        c->counts[i] = true;
    }
    return job;
oom:
    *status = 500;
    snprintf(err, errlen, "out of memory");
    if (job) {
        job->ctx = NULL;
        store_job_free(job);
    }
    ctx_free(c, 0);
    ingest_body_free(&b);
    return NULL;
}

store_job *ingest_prepare(hub_t *hub, int token, ingest_body *body, const char *src, bool single_ok,
                          int *status, char *err, size_t errlen)
{
    return prepare_at(hub, token, body, src, single_ok, hub_now(hub), true, status, err, errlen);
}

/* The log's completion of an appended batch (service thread): it was applied (when durable);
 * answer its sender. */
static void answered(store_job *job)
{
    ingest_ctx *c = job->ctx;
    hub_t *hub = c->hub;
    if (job->rc < 0) hub->m.ingest_503++;
    if (c->answer) c->answer(hub, job, c->conn_id);
    ingest_job_free(job);
}

void ingest_submit(hub_t *hub, store_job *job, ingest_answer_fn answer, uint64_t conn_id)
{
    ingest_ctx *c = job->ctx;
    c->hub = hub;
    c->answer = answer;
    c->conn_id = conn_id;
    hublog_append(hub, job, answered, NULL);
}

/* hublog_ops.apply: a durable batch of the log, on every hub, in log order. */
static void log_apply(hub_t *hub, store_job *job)
{
    ingest_apply(hub, job);
    live_note_ack(hub->live, cwt_mono_ms() * 1000);
    live_changed(hub->live);
}

/* hublog_ops.prepare: a record of the log as its origin's ingest_prepare made it. */
static store_job *log_prepare(hub_t *hub, const char *token, int64_t recv_ms, const char *events,
                              size_t len, char *err, size_t errlen)
{
    int tok = -1;
    if (strcmp(token, "operator") != 0) {
        for (int i = 0; i < hub->cfg->ntokens && tok < 0; i++)
            if (!strcmp(hub->cfg->tokens[i].name, token)) tok = i;
        if (tok < 0) {
            snprintf(err, errlen, "token '%s' is not in this hub's config", token);
            return NULL;
        }
    }
    ingest_body body;
    json_error_t jerr;
    if (ingest_parse(events, len, &body, &jerr) < 0) {
        snprintf(err, errlen, "events are not JSON: %s", jerr.text);
        return NULL;
    }
    int status;
    store_job *job =
        prepare_at(hub, tok, &body, events, false, recv_ms, false, &status, err, errlen);
    if (job) ((ingest_ctx *)job->ctx)->hub = hub;
    return job;
}

static void log_tick(hub_t *hub, int64_t ms)
{
    if (ms <= state_now(hub->state)) return;
    state_advance(hub->state, ms);
    if (hub->alerts) alerts_log_tick(hub->alerts);
}

static void log_position(hub_t *hub, uint64_t pos)
{
    live_publish_at(hub->live, pos);
}

const hublog_ops ingest_log_ops = {.prepare = log_prepare,
                                   .apply = log_apply,
                                   .free = ingest_job_free,
                                   .tick = log_tick,
                                   .position = log_position};

void ingest_apply(hub_t *hub, store_job *job)
{
    ingest_ctx *c = job->ctx;
    if (job->rc < 0) return;
    for (int i = 0; i < job->nitems; i++) {
        store_item *it = &job->items[i];
        switch (it->result) {
        case STORE_ACCEPTED:
            break;
        case STORE_DUPLICATE:
            hub->m.events_duplicate++;
            continue;
        case STORE_CONFLICT:
            hub->m.events_duplicate++;
            hub->m.events_conflict++;
            continue;
        case STORE_QUARANTINED:
            hub->m.events_rejected++;
            continue;
        default:
            continue;
        }
        hub->m.events_accepted++;
        ev_event ev = c->evs[i];
        if (c->cfg_gen != hub->cfg_gen) {
            /* the config was reloaded while this batch was being committed: re-resolve ids */
            char msg[256];
            if (ev_parse_view(hub->cfg, &it->ev, &ev, msg, sizeof(msg)) < 0) continue;
            ev.at_ms = it->at_ms;
        }
        state_apply(hub->state, &ev, it->recv_ms);
        if (hub->alerts) alerts_on_event(hub->alerts, &ev);
        if (it->event_id > hub->last_applied_id) hub->last_applied_id = it->event_id;
        hub->applied_since_snapshot++;
    }
#ifdef CW_CHECK_INVARIANTS
    char why[300];
    if (state_check(hub->state, why, sizeof(why)) < 0) {
        fprintf(stderr, "citywall-hub: %s (after a batch of %d)\n", why, job->nitems);
        abort();
    }
#endif
}

/* acked: per hall (or "hall/feed"), the highest seq of this request that is handled. */
static json_t *acks(store_job *job)
{
    ingest_ctx *c = job->ctx;
    json_t *acked = json_object();
    for (int i = 0; i < job->nitems; i++) {
        store_item *it = &job->items[i];
        if (!c->counts[i] || !it->hall || !it->feed || it->seq <= 0) continue;
        char key[160];
        ev_jval feed;
        it->ev.o.get(it->ev.o.obj, "feed", &feed); /* counts: it->ev is an object */
        bool named = feed.kind != EV_J_ABSENT;
        if (named)
            snprintf(key, sizeof(key), "%s/%s", it->hall, it->feed);
        else
            snprintf(key, sizeof(key), "%s", it->hall);
        json_t *cur = json_object_get(acked, key);
        if (!cur || json_integer_value(cur) < it->seq)
            json_object_set_new(acked, key, json_integer(it->seq));
    }
    return acked;
}

json_t *ingest_http_reply(hub_t *hub, store_job *job)
{
    (void)hub;
    ingest_ctx *c = job->ctx;
    int accepted = 0, dups = 0;
    json_t *rejected = json_array();
    for (int i = 0; i < job->nitems; i++) {
        int r = job->items[i].result;
        if (r == STORE_ACCEPTED) accepted++;
        if (r == STORE_DUPLICATE || r == STORE_CONFLICT) dups++;
        if (r == STORE_QUARANTINED)
            json_array_append_new(rejected,
                                  json_pack("{s:i,s:s}", "index", i, "error", c->errors[i]));
    }
    return json_pack("{s:i,s:i,s:o,s:o}", "accepted", accepted, "duplicates", dups, "rejected",
                     rejected, "acked", acks(job));
}

json_t *ingest_ws_messages(hub_t *hub, store_job *job)
{
    (void)hub;
    ingest_ctx *c = job->ctx;
    json_t *out = json_array();
    for (int i = 0; i < job->nitems; i++) {
        store_item *it = &job->items[i];
        if (it->result != STORE_QUARANTINED) continue;
        json_t *m = json_pack("{s:s}", "error", c->errors[i]);
        if (it->hall) json_object_set_new(m, "hall", json_string(it->hall));
        if (it->seq > 0) json_object_set_new(m, "seq", json_integer(it->seq));
        json_array_append_new(out, m);
    }
    json_array_append_new(out, json_pack("{s:o}", "ack", acks(job)));
    return out;
}

void ingest_job_free(store_job *job)
{
    if (job && job->kind == STORE_JOB_EVENTS && job->ctx) {
        ctx_free(job->ctx, job->nitems);
        job->ctx = NULL;
    }
    store_job_free(job);
}

/* ---- recovery --------------------------------------------------------------------------- */

typedef struct replay_ctx {
    hub_t *hub;
    int64_t applied, skipped;
} replay_ctx;

static int replay_one(void *ud, int64_t id, const char *body, int64_t at_ms, int64_t recv_ms)
{
    replay_ctx *r = ud;
    json_error_t jerr;
    json_t *obj = json_loads(body, 0, &jerr);
    ev_event ev;
    char msg[256];
    if (obj && ev_parse(r->hub->cfg, obj, &ev, msg, sizeof(msg)) == 0) {
        ev.at_ms = at_ms; /* as stored: clamped at receipt */
        state_apply(r->hub->state, &ev, recv_ms);
        r->applied++;
    } else {
        r->skipped++; /* stored under an older config that no longer knows its ids */
    }
    json_decref(obj);
    r->hub->last_applied_id = id;
    return 0;
}

int64_t ingest_recover(hub_t *hub)
{
    int64_t snap_id = 0;
    unsigned char *body = NULL;
    size_t len = 0;
    bool binary = false;
    int found = store_load_snapshot(hub->store, &snap_id, &body, &len, &binary);
    if (found < 0) return -1;
    if (found == 1) {
        int rc = -1;
        if (binary) {
            rc = state_load_bin(hub->state, body, len);
        } else {
            json_t *saved = json_loadb((const char *)body, len, 0, NULL);
            rc = saved ? state_load(hub->state, saved) : -1;
            json_decref(saved);
        }
        free(body);
        if (rc == 0) {
            hub->last_applied_id = snap_id;
        } else {
            snap_id = 0;
            fprintf(stderr, "citywall-hub: warning: state snapshot unusable, replaying today\n");
        }
    }
    /* Only today's events matter for the state: the business day starts at local midnight. */
    cwt_local lt;
    cwt_to_local(hub_now(hub), &lt);
    replay_ctx r = {.hub = hub};
    int64_t n = store_replay(hub->store, hub->last_applied_id, snap_id ? 0 : lt.day_start_ms,
                             replay_one, &r);
    if (n < 0) return -1;
    int64_t last = store_last_event_id(hub->store);
    if (last > hub->last_applied_id) hub->last_applied_id = last;
    if (r.skipped)
        fprintf(stderr, "citywall-hub: warning: %lld stored events no longer fit the config\n",
                (long long)r.skipped);
    return r.applied;
}
