/* bench_gen: pre-generated ingest batches from the sim's traffic model. See bench_gen.h. */
#include "bench_gen.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "sim_model.h"

#define STEP_MS (10 * 60 * 1000LL)
#define DAY_MS (24 * 3600 * 1000LL)
#define MAX_IDLE_STEPS (400 * 24 * 6)           /* 400 model days without an event: give up */
#define MODEL_START "2026-11-23T08:30:00+08:00" /* a working Monday */

static const char at_placeholder[BENCH_AT_LEN + 1] = "0000-00-00T00:00:00.000+00:00";

/* A batch being built: the body grows in buf after LWS_PRE bytes. */
typedef struct builder {
    bench_batch b;
    size_t cap; /* bytes allocated for buf */
    int at_cap;
} builder;

static int ensure(builder *w, size_t more)
{
    size_t need = LWS_PRE + w->b.len + more + 2; /* room for "]" and the NUL */
    if (need <= w->cap) return 0;
    size_t cap = w->cap ? w->cap : 64 * 1024;
    while (cap < need)
        cap *= 2;
    unsigned char *p = realloc(w->b.buf, cap);
    if (!p) return -1;
    w->b.buf = p;
    w->cap = cap;
    return 0;
}

static int put(builder *w, const char *s, size_t n)
{
    if (ensure(w, n) < 0) return -1;
    memcpy(w->b.buf + LWS_PRE + w->b.len, s, n);
    w->b.len += n;
    return 0;
}

static void batch_free(bench_batch *b)
{
    free(b->buf);
    free(b->at_off);
    free(b->maxseq);
    memset(b, 0, sizeof *b);
}

typedef struct gen_job {
    const bench_gen_opts *o;
    bench_stream *s;
    int rc;
} gen_job;

/* Append one event to w (a new batch when w is empty). */
static int add_event(builder *w, const cfg_t *cfg, const char *feed, int64_t seq,
                     const sim_event *ev)
{
    if (w->b.nev == w->at_cap) {
        int cap = w->at_cap ? w->at_cap * 2 : 1024;
        uint32_t *p = realloc(w->b.at_off, (size_t)cap * sizeof *p);
        if (!p) return -1;
        w->b.at_off = p;
        w->at_cap = cap;
    }
    char head[256];
    int n = snprintf(head, sizeof head,
                     "%s{\"hall\":\"%s\",\"feed\":\"%s\",\"seq\":%lld,"
                     "\"type\":\"%s\",\"at\":\"",
                     w->b.nev ? "," : "[", cfg->halls[ev->hall].id, feed, (long long)seq,
                     ev_type_name(ev->type));
    if (n < 0 || (size_t)n >= sizeof head || put(w, head, (size_t)n) < 0) return -1;
    w->b.at_off[w->b.nev] = (uint32_t)w->b.len;
    if (put(w, at_placeholder, BENCH_AT_LEN) < 0 || put(w, "\",\"data\":", 9) < 0) return -1;
    for (;;) {
        size_t room = w->cap - LWS_PRE - w->b.len - 2;
        size_t need =
            json_dumpb(ev->data, (char *)w->b.buf + LWS_PRE + w->b.len, room, JSON_COMPACT);
        if (need == 0) return -1;
        if (need <= room) {
            w->b.len += need;
            break;
        }
        if (ensure(w, need) < 0) return -1;
    }
    if (put(w, "}", 1) < 0) return -1;
    w->b.maxseq[ev->hall] = seq;
    w->b.nev++;
    return 0;
}

/* Close the batch in w and move it to the end of s. */
static int finish_batch(builder *w, bench_stream *s, size_t *cap)
{
    if (put(w, "]", 1) < 0) return -1;
    w->b.buf[LWS_PRE + w->b.len] = '\0';
    if (s->nbatches == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        bench_batch *p = realloc(s->batches, c * sizeof *p);
        if (!p) return -1;
        s->batches = p;
        *cap = c;
    }
    s->batches[s->nbatches++] = w->b;
    memset(w, 0, sizeof *w);
    return 0;
}

static void *gen_thread(void *arg)
{
    gen_job *job = arg;
    const bench_gen_opts *o = job->o;
    const cfg_t *cfg = o->cfg;
    bench_stream *s = job->s;
    sim_model *m = NULL;
    sim_evbuf evs = {0};
    builder w = {0};
    bool *mask = NULL;
    int64_t *seq = calloc((size_t)cfg->nhalls, sizeof *seq);
    size_t bcap = 0;
    job->rc = -1;
    if (!seq) goto fail;
    if (o->halls > 0 && o->halls < cfg->nhalls) {
        mask = calloc((size_t)cfg->nhalls, sizeof *mask);
        if (!mask) goto fail;
        for (int i = 0; i < o->halls; i++)
            mask[i] = true;
    }
    char tag[32];
    snprintf(tag, sizeof tag, "%.8sc%d", o->run_tag, s->client);
    int64_t start = 0;
    cwt_parse_rfc3339(MODEL_START, &start, NULL);
    sim_model_opts mo = {.seed = o->seed + (uint64_t)s->client,
                         .start_ms = start,
                         .heartbeat_ms = (int64_t)1 << 50,
                         .halls = mask,
                         .run_tag = tag};
    m = sim_model_create(cfg, &mo);
    if (!m) goto fail;
    cwt_local l0;
    cwt_to_local(start, &l0);
    int64_t t = start;
    int idle = 0;
    while (s->nevents < o->events_per_stream) {
        t += STEP_MS;
        int got = sim_model_advance(m, t, &evs);
        if (got < 0) goto fail;
        idle = evs.n ? 0 : idle + 1;
        if (idle > MAX_IDLE_STEPS) {
            fprintf(stderr, "citywall-bench: the traffic model emits no events\n");
            goto fail;
        }
        for (size_t i = 0; i < evs.n && s->nevents < o->events_per_stream; i++) {
            sim_event *ev = &evs.v[i];
            if (ev->type == EV_HALL_HEARTBEAT) continue;
            int day = (int)((ev->at_ms - l0.day_start_ms) / DAY_MS);
            json_t *tk = json_object_get(ev->data, "ticket");
            if (json_is_string(tk)) {
                char id[64];
                snprintf(id, sizeof id, "%s.%s.%d.%d", json_string_value(tk), o->run_tag, s->client,
                         day);
                if (json_object_set_new(ev->data, "ticket", json_string(id)) < 0) goto fail;
            }
            if (w.b.nev == 0 && !w.b.maxseq) {
                w.b.maxseq = calloc((size_t)cfg->nhalls, sizeof *w.b.maxseq);
                if (!w.b.maxseq) goto fail;
            }
            if (add_event(&w, cfg, s->feed, ++seq[ev->hall], ev) < 0) goto fail;
            s->types[ev->type]++;
            s->nevents++;
            if (w.b.nev == o->batch && finish_batch(&w, s, &bcap) < 0) goto fail;
        }
        sim_evbuf_clear(&evs);
    }
    if (w.b.nev > 0 && finish_batch(&w, s, &bcap) < 0) goto fail;
    job->rc = 0;
fail:
    batch_free(&w.b);
    sim_evbuf_free(&evs);
    sim_model_destroy(m);
    free(mask);
    free(seq);
    return NULL;
}

int bench_gen_streams(const bench_gen_opts *o, bench_stream *streams, int n)
{
    gen_job *jobs = calloc((size_t)n, sizeof *jobs);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    bool *started = calloc((size_t)n, sizeof *started);
    int rc = -1;
    memset(streams, 0, (size_t)n * sizeof *streams);
    if (!jobs || !th || !started) goto fail;
    for (int i = 0; i < n; i++) {
        streams[i].client = i;
        snprintf(streams[i].feed, sizeof streams[i].feed, "%s-%d", o->feed_prefix, i);
        jobs[i] = (gen_job){.o = o, .s = &streams[i], .rc = -1};
        started[i] = pthread_create(&th[i], NULL, gen_thread, &jobs[i]) == 0;
        if (!started[i]) gen_thread(&jobs[i]);
    }
    rc = 0;
    for (int i = 0; i < n; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        if (jobs[i].rc < 0) rc = -1;
    }
fail:
    if (rc < 0 && jobs)
        for (int i = 0; i < n; i++)
            bench_stream_free(&streams[i]);
    free(jobs);
    free(th);
    free(started);
    return rc;
}

void bench_stream_free(bench_stream *s)
{
    for (size_t i = 0; i < s->nbatches; i++)
        batch_free(&s->batches[i]);
    free(s->batches);
    memset(s, 0, sizeof *s);
}

void bench_batch_stamp(bench_batch *b, const char *at)
{
    unsigned char *body = b->buf + LWS_PRE;
    for (int i = 0; i < b->nev; i++)
        memcpy(body + b->at_off[i], at, BENCH_AT_LEN);
}

void bench_gen_run_tag(char *out)
{
    uint64_t v = (uint64_t)(cwt_real_ms() / 10) % 2176782336ULL; /* 36^6 */
    for (int i = 5; i >= 0; i--, v /= 36)
        out[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
    out[6] = '\0';
}
