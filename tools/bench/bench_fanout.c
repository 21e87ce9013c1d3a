/* bench_fanout: the fan-out benchmark (SPEC §1, §4, §10) -- ingest ack to "the client's state
 * shows it", for N /live clients at once.
 *
 * Clients. N WebSocket connections spread over --threads shards (bench_fanout_shard.c), each
 * a thread with its own libwebsockets context and loop whose clients apply their own merge
 * patches, so that the bench's JSON work is not one core's.
 *
 * Publisher. Once every shard has settled (its clients have their snapshot, or the ready
 * deadline passed) and they agree on base = the hall's kpi.issued, a bench_pub thread POSTs
 * `ticket.issued` events for one hall (--hall) at --rate events/s and records, for the k-th
 * event, the time its ack arrived (bench_pub.h). Event k is in a client's state exactly when
 * the state shows halls[hall].kpi.issued >= base + k; latency = the instant a client's state
 * first shows it - ack(k). This needs no other writer to that hall during the run.
 *
 * After --duration the publisher stops; clients get up to a grace period to show the last
 * count, and what they still miss is reported as undelivered. The shards' counts and
 * latencies are then merged into one report.
 *
 * Threads: the main thread (this file), the shards, the publisher; see bench_fanout.h.
 */
#include <jansson.h>
#include <libwebsockets.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench.h"
#include "bench_fanout.h"
#include "bench_pub.h"
#include "bench_stats.h"

#define READY_WAIT_US 60000000LL /* every client subscribed within this */

/* The shards' counts and latencies, merged (after they are joined). */
typedef struct fo_total {
    int ready, late, dead;
    uint64_t deliveries, early, foreign, msgs, snapshots, deltas, errors, closed_mid;
    int64_t last_delivery_us;
    bench_lat lat, lat_send;
    struct rusage ru0;
    int64_t ru0_us;
} fo_total;

static void pub_done(void *ud)
{
    fo_run *r = ud;
    for (int i = 0; i < r->nshards; i++)
        if (r->shards[i].started) fo_shard_wake(&r->shards[i]);
    pthread_mutex_lock(&r->mu);
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
}

/* Wait on r->cond until pred(r) holds or `us` pass (us <= 0: no limit). Under r->mu. */
static void wait_locked(fo_run *r, bool (*pred)(fo_run *), int64_t us)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += (time_t)(us / 1000000);
    dl.tv_nsec += (long)(us % 1000000) * 1000;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    while (!pred(r))
        if (us > 0 ? pthread_cond_timedwait(&r->cond, &r->mu, &dl) != 0
                   : pthread_cond_wait(&r->cond, &r->mu) != 0)
            break;
}

static bool all_settled(fo_run *r)
{
    for (int i = 0; i < r->nshards; i++)
        if (r->shards[i].started && !r->shards[i].settled) return false;
    return true;
}

static bool all_finished(fo_run *r)
{
    for (int i = 0; i < r->nshards; i++)
        if (r->shards[i].started && !r->shards[i].finished) return false;
    return true;
}

static bool pub_stopped(fo_run *r)
{
    return atomic_load_explicit(&r->pub.done, memory_order_acquire);
}

/* Every shard settled: the base they agree on, the hub's clock, the publisher. Under r->mu.
 * Returns 0, or -1 with r->err set. */
static int start_measuring(fo_run *r, fo_total *t)
{
    int ready = 0;
    bool hello_clock = false;
    const fo_shard *first = NULL;
    for (int i = 0; i < r->nshards; i++) {
        const fo_shard *s = &r->shards[i];
        ready += s->ready;
        if (s->base < 0) continue;
        if (!first) {
            first = s;
        } else if (s->base != first->base) {
            bench_err_set(&r->err,
                          "the shards' clients show %lld and %lld tickets issued in %s: another "
                          "writer to that hall",
                          (long long)first->base, (long long)s->base, r->hall_id);
            return -1;
        }
        if (!r->opts.clock_given && !hello_clock && s->clock_set) {
            r->opts.clock = s->clock;
            hello_clock = true;
        }
    }
    if (!first) {
        bench_err_set(&r->err, "no /live client got a snapshot");
        return -1;
    }
    if (ready < r->o->clients)
        fprintf(stderr, "citywall-bench: %d of %d clients subscribed; measuring with those\n",
                ready, r->o->clients);
    /* the hub must count the publisher's tickets today: compare business days */
    char now[40];
    cwt_format_local(cwt_clock_now(&r->opts.clock), now);
    if (first->day[0] && strncmp(first->day, now, 10) != 0) {
        bench_err_set(&r->err,
                      "the hub's business day is %s but the bench's clock says %.10s: drop "
                      "--clock (the hub's hello gives its clock) or give the hub's",
                      first->day, now);
        return -1;
    }
    r->base = first->base;
    snprintf(r->day0, sizeof r->day0, "%.10s", first->day[0] ? first->day : now);
    getrusage(RUSAGE_SELF, &t->ru0);
    t->ru0_us = bench_now_us();
    bench_proc_begin(&r->proc, r->o->hub_pid);
    atomic_store_explicit(&r->measuring, true, memory_order_release);
    if (bench_pub_start(&r->pub) < 0) {
        bench_err_set(&r->err, "cannot start the publisher thread");
        return -1;
    }
    return 0;
}

/* --every: the interval's send -> client latencies, as one line, and a new interval. Under
 * r->mu. The line says when the interval ended (seconds since the measurement started). */
static void print_interval(fo_run *r, int64_t now)
{
    bench_lat_sum s;
    bench_lat_summarise(&r->ivl, &s);
    printf("every  t_s %.0f  deliveries %zu  send -> client p50 %.2f ms  p99 %.2f ms  max %.2f "
           "ms\n",
           (now - r->ivl_t0_us) / 1e6, s.n, s.p50_ms, s.p99_ms, s.max_ms);
    fflush(stdout);
    r->ivl.n = 0;
    r->ivl_printed_us = now;
}

static void merge(fo_run *r, fo_total *t)
{
    for (int i = 0; i < r->nshards; i++) {
        fo_shard *s = &r->shards[i];
        t->ready += s->ready;
        t->late += s->late;
        t->dead += s->dead;
        t->deliveries += s->deliveries;
        t->early += s->early;
        t->foreign += s->foreign;
        t->msgs += s->msgs;
        t->snapshots += s->snapshots;
        t->deltas += s->deltas;
        t->errors += s->errors;
        t->closed_mid += s->closed_mid;
        if (s->last_delivery_us > t->last_delivery_us) t->last_delivery_us = s->last_delivery_us;
        bench_lat_add_all(&t->lat, &s->lat);
        bench_lat_add_all(&t->lat_send, &s->lat_send);
    }
}

static void report(fo_run *r, fo_total *t)
{
    const bench_opts *o = r->o;
    bench_lat_sum ls, lss;
    bench_lat_summarise(&t->lat, &ls);
    bench_lat_summarise(&t->lat_send, &lss);
    int64_t acked = atomic_load(&r->pub.acked_n);
    double pub_s = r->pub.t1_us > r->pub.t0_us ? (r->pub.t1_us - r->pub.t0_us) / 1e6 : 0;
    double span =
        t->last_delivery_us > r->pub.t0_us ? (t->last_delivery_us - r->pub.t0_us) / 1e6 : 0;
    double dps = span > 0 ? (double)t->deliveries / span : 0;
    uint64_t expected = (uint64_t)acked * (uint64_t)t->ready;
    uint64_t undelivered = expected > t->deliveries ? expected - t->deliveries : 0;
    struct rusage ru1;
    getrusage(RUSAGE_SELF, &ru1);
    double self_s = (double)(ru1.ru_utime.tv_sec - t->ru0.ru_utime.tv_sec) +
                    (double)(ru1.ru_stime.tv_sec - t->ru0.ru_stime.tv_sec) +
                    (double)(ru1.ru_utime.tv_usec - t->ru0.ru_utime.tv_usec) / 1e6 +
                    (double)(ru1.ru_stime.tv_usec - t->ru0.ru_stime.tv_usec) / 1e6;
    double self_wall = (bench_now_us() - t->ru0_us) / 1e6;

    printf("citywall-bench fanout: %d /live clients on `city`%s, publisher %.0f events/s to %s "
           "for %.1f s, hub %s\n",
           r->o->clients, o->max_hz ? " (max_hz set)" : "", o->rate, r->hall_id, o->duration_s,
           o->hub);
    printf("  clients           %d subscribed, %d subscribed too late to measure, %d lost or "
           "never connected, %llu closed mid-run\n",
           t->ready, t->late, t->dead, (unsigned long long)t->closed_mid);
    printf("  events            %lld acked in %.2f s (%llu requests; publisher at %s priority)\n",
           (long long)acked, pub_s, (unsigned long long)r->pub.requests,
           r->pub.rt ? "real-time" : "normal");
    printf("  deliveries        %llu of %llu (client x event), undelivered %llu, %.0f /s\n",
           (unsigned long long)t->deliveries, (unsigned long long)expected,
           (unsigned long long)undelivered, dps);
    printf("  latency           ack -> client state: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, "
           "max %.2f ms, mean %.2f ms\n",
           ls.p50_ms, ls.p90_ms, ls.p99_ms, ls.max_ms, ls.mean_ms);
    printf("                    (%llu shown before the publisher had read its ack: counted "
           "as 0 ms)\n",
           (unsigned long long)t->early);
    printf("                    send -> client state: p50 %.2f ms, p99 %.2f ms, max %.2f ms (from "
           "when the request left: includes the commit)\n",
           lss.p50_ms, lss.p99_ms, lss.max_ms);
    printf("  messages          %llu (%llu snapshots, %llu deltas), %llu errors\n",
           (unsigned long long)t->msgs, (unsigned long long)t->snapshots,
           (unsigned long long)t->deltas, (unsigned long long)t->errors);
    if (t->foreign)
        printf("  WARNING           %llu counts not from the publisher: another writer to %s\n",
               (unsigned long long)t->foreign, r->hall_id);
    if (o->hub_pid)
        printf(
            "  hub               pid %d: cpu %.0f %% (100 = one core), rss %.1f MiB (max %.1f)%s\n",
            o->hub_pid, r->proc.cpu_pct, r->proc.rss_mb, r->proc.rss_mb_max,
            r->proc.ok ? "" : " [could not read /proc]");
    printf("  bench itself      cpu %.0f %% (100 = one core; user + system time of its %d client "
           "thread(s), publisher and main thread over %.1f s)\n",
           self_wall > 0 ? 100.0 * self_s / self_wall : 0, r->nshards, self_wall);
    if (r->pub.err[0]) printf("  FAILED            %s\n", r->pub.err);
    if (r->err.set) printf("  FAILED            %s\n", r->err.msg);

    json_t *j = json_object();
    json_object_set_new(j, "mode", json_string("fanout"));
    json_object_set_new(j, "clients", json_integer(t->ready));
    json_object_set_new(j, "deliveries_per_s", bench_real(dps, 0.1));
    json_object_set_new(j, "p50_ms", bench_real(ls.p50_ms, 0.001));
    json_object_set_new(j, "p99_ms", bench_real(ls.p99_ms, 0.001));
    json_object_set_new(j, "max_ms", bench_real(ls.max_ms, 0.001));
    json_object_set_new(j, "early", json_integer((json_int_t)t->early));
    json_object_set_new(j, "send_p50_ms", bench_real(lss.p50_ms, 0.001));
    json_object_set_new(j, "send_p99_ms", bench_real(lss.p99_ms, 0.001));
    json_object_set_new(j, "send_max_ms", bench_real(lss.max_ms, 0.001));
    json_object_set_new(j, "events", json_integer(acked));
    json_object_set_new(j, "deliveries", json_integer((json_int_t)t->deliveries));
    json_object_set_new(j, "undelivered", json_integer((json_int_t)undelivered));
    json_object_set_new(j, "rate", bench_real(o->rate, 0.1));
    json_object_set_new(j, "errors", json_integer((json_int_t)(t->errors + t->closed_mid)));
    if (o->max_hz) json_object_set_new(j, "max_hz", json_integer(o->max_hz));
    /* messages the clients received (snapshots and deltas), per second over the same span as
     * deliveries_per_s: the wire's cost, where deliveries are the events it carried */
    json_object_set_new(j, "messages", json_integer((json_int_t)t->msgs));
    json_object_set_new(j, "messages_per_s", bench_real(span > 0 ? t->msgs / span : 0, 0.1));
    json_object_set_new(j, "threads", json_integer(r->nshards));
    json_object_set_new(j, "bench_cpu_pct",
                        bench_real(self_wall > 0 ? 100.0 * self_s / self_wall : 0, 0.1));
    if (o->hub_pid && r->proc.ok) {
        json_object_set_new(j, "hub_cpu_pct", bench_real(r->proc.cpu_pct, 0.1));
        json_object_set_new(j, "hub_rss_mb", bench_real(r->proc.rss_mb_max, 0.1));
    }
    if (r->err.set || r->pub.err[0])
        json_object_set_new(j, "error", json_string(r->err.set ? r->err.msg : r->pub.err));
    bench_print_json(j);
}

int bench_fanout_run(const bench_opts *o)
{
    const cfg_t *cfg = o->cfg;
    int hall = o->hall ? cfg_hall_index(cfg, o->hall) : 0;
    if (hall < 0 || cfg->nhalls == 0 || cfg->halls[hall].nbiz == 0) {
        fprintf(stderr, "citywall-bench: --hall: no hall '%s' with a biz type in %s\n",
                o->hall ? o->hall : "(first)", cfg->path);
        return 2;
    }
    static fo_run r; /* large; one run per process */
    static fo_total t;
    memset(&r, 0, sizeof r);
    memset(&t, 0, sizeof t);
    r.opts = *o;
    r.o = &r.opts;
    r.hall_id = cfg->halls[hall].id;
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cond, NULL);
    snprintf(r.auth, sizeof r.auth, "{\"op\":\"auth\",\"token\":\"%s\"}", o->token);
    if (o->max_hz)
        snprintf(r.subscribe, sizeof r.subscribe,
                 "{\"op\":\"subscribe\",\"topics\":[\"city\"],\"max_hz\":%d}", o->max_hz);
    else
        snprintf(r.subscribe, sizeof r.subscribe, "{\"op\":\"subscribe\",\"topics\":[\"city\"]}");
    int pub_ok = bench_pub_init(&r.pub, r.o, hall, 0, "pub");
    r.pub.on_done = pub_done;
    r.pub.on_done_ud = &r;
    r.nshards = o->threads > o->clients ? o->clients : o->threads;
    r.shards = calloc((size_t)r.nshards, sizeof *r.shards);
    int rc = 1;
    if (pub_ok < 0 || !r.shards) {
        fprintf(stderr, "citywall-bench: out of memory\n");
        goto out;
    }
    fprintf(stderr, "citywall-bench: opening %d /live clients on %d thread(s)...\n", o->clients,
            r.nshards);
    int64_t t_open = bench_now_us();
    r.ready_deadline_us = t_open + READY_WAIT_US;
    for (int i = 0; i < r.nshards; i++) {
        r.shards[i].run = &r;
        r.shards[i].index = i;
        if (fo_shard_start(&r.shards[i]) < 0) {
            bench_err_set(&r.err, "cannot start client thread %d", i);
            break;
        }
    }
    pthread_mutex_lock(&r.mu);
    if (!r.err.set) wait_locked(&r, all_settled, 0);
    if (!r.err.set && start_measuring(&r, &t) == 0) {
        /* sample the hub's RSS once a second (and print --every's lines) until the publisher
         * stops */
        r.ivl_t0_us = r.ivl_printed_us = bench_now_us();
        while (!pub_stopped(&r)) {
            wait_locked(&r, pub_stopped, 1000000);
            bench_proc_sample(&r.proc);
            int64_t now = bench_now_us();
            if (o->every_s && now - r.ivl_printed_us >= (int64_t)(o->every_s * 1e6))
                print_interval(&r, now);
        }
        bench_proc_end(&r.proc);
        wait_locked(&r, all_finished, 0); /* each shard ends after its grace */
    }
    atomic_store(&r.stop, true); /* the shards still running end now (after an error) */
    pthread_mutex_unlock(&r.mu);
    for (int i = 0; i < r.nshards; i++)
        if (r.shards[i].started) fo_shard_wake(&r.shards[i]);
    bench_pub_join(&r.pub);
    for (int i = 0; i < r.nshards; i++)
        fo_shard_join(&r.shards[i]);
    merge(&r, &t);
    bool measured = atomic_load(&r.measuring);
    if (measured)
        fprintf(stderr, "citywall-bench: clients were subscribed %.1f s after the start\n",
                (r.pub.t0_us - t_open) / 1e6);
    if (measured)
        report(&r, &t);
    else
        fprintf(stderr, "citywall-bench: %s\n", r.err.msg);
    rc = (r.err.set || r.pub.err[0] || t.ready < o->clients || t.closed_mid || t.foreign ||
          atomic_load(&r.pub.acked_n) == 0)
             ? 1
             : 0;
out:
    for (int i = 0; r.shards && i < r.nshards; i++)
        fo_shard_free(&r.shards[i]);
    free(r.shards);
    bench_pub_free(&r.pub);
    bench_lat_free(&t.lat);
    bench_lat_free(&t.lat_send);
    bench_lat_free(&r.ivl);
    pthread_cond_destroy(&r.cond);
    pthread_mutex_destroy(&r.mu);
    return rc;
}
