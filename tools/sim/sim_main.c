/* citywall-sim: the demo city's traffic simulator (SPEC §1, §9) -- command line and main loop.
 *
 * The loop runs in real time: every --batch-ms it advances the traffic model to the business
 * clock's now, hands the new events to the gateway and lets it send; every 10 s it logs a
 * summary line on stderr. --duration, SIGINT and SIGTERM end it after a last flush.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "cwtime.h"
#include "sim_args.h"
#include "sim_gateway.h"
#include "sim_model.h"
#include "sim_scenario.h"
#ifdef CW_SIM_RTSP
#include "sim_rtsp.h"
#endif

#ifndef CW_VERSION
#define CW_VERSION "dev"
#endif

#define SUMMARY_EVERY_MS 10000
#define FINAL_FLUSH_MS 5000

static volatile sig_atomic_t sim_stop;

static void sim_on_signal(int sig)
{
    (void)sig;
    sim_stop = 1;
}

/* Mark the halls named in a comma list; -1 naming the first unknown id in bad. */
static int parse_halls(const cfg_t *cfg, const char *list, bool *mask, char *bad, size_t badlen)
{
    char *copy = strdup(list);
    if (!copy) return -1;
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        int h = cfg_hall_index(cfg, tok);
        if (h < 0) {
            snprintf(bad, badlen, "%s", tok);
            rc = -1;
            break;
        }
        mask[h] = true;
    }
    free(copy);
    return rc;
}

static void sleep_ms(int64_t ms)
{
    if (ms <= 0) return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* a signal cuts it short, which is what we want */
}

static void log_summary(const cwt_clock *clk, const sim_model *m, const sim_gw *g)
{
    char at[40];
    cwt_format_local(cwt_clock_now(clk), at);
    sim_model_stats ms;
    sim_model_get_stats(m, &ms);
    if (!g) {
        fprintf(stderr, "citywall-sim: %.19s events %llu tickets %llu reviews %llu\n", at,
                (unsigned long long)ms.events, (unsigned long long)ms.issued,
                (unsigned long long)ms.reviews);
        return;
    }
    sim_gw_stats gs;
    sim_gw_get_stats(g, &gs);
    fprintf(stderr,
            "citywall-sim: %.19s events %llu sent %llu acked %llu queued %zu rejected %llu "
            "errors %llu (tickets %llu, reviews %llu)\n",
            at, (unsigned long long)gs.queued_total, (unsigned long long)gs.sent,
            (unsigned long long)gs.acked, gs.queued, (unsigned long long)gs.rejected,
            (unsigned long long)gs.errors, (unsigned long long)ms.issued,
            (unsigned long long)ms.reviews);
}

static int dump_events(const cfg_t *cfg, sim_evbuf *buf, const char *feed)
{
    for (size_t i = 0; i < buf->n; i++) {
        json_t *o = sim_event_json(cfg, &buf->v[i], feed);
        if (!o || json_dumpf(o, stdout, JSON_COMPACT) < 0) {
            json_decref(o);
            sim_evbuf_clear(buf);
            return -1;
        }
        json_decref(o);
        fputc('\n', stdout);
    }
    sim_evbuf_clear(buf);
    return fflush(stdout) == 0 ? 0 : -1;
}

/* One run of the simulator: what main sets up, drives and tears down. */
typedef struct sim_run {
    const sim_opts *o;
    cfg_t *cfg;
    bool *mask; /* --halls, NULL = all */
    cwt_clock clk;
    sim_model *model;
    sim_gw *gw, *camgw; /* NULL with --dump; camgw only with --rtsp-port */
    sim_evbuf buf, cambuf;
#ifdef CW_SIM_RTSP
    sim_rtsp *rtsp;
#endif
    bool curl_ready;
    char feed[40];
    char rtsp_base[64];
} sim_run;

/* The run's tag, base-36 of the start second: keeps review ids unique across restarts. */
static void run_tag(int64_t start_s, char tag[16])
{
    char rev[16];
    int n = 0;
    for (uint64_t v = (uint64_t)start_s; v && n < 15; v /= 36)
        rev[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
    for (int i = 0; i < n; i++)
        tag[i] = rev[n - 1 - i];
    tag[n] = '\0';
}

/* The config and the halls. 0, or the exit status. */
static int run_load(sim_run *r)
{
    const sim_opts *o = r->o;
    char *errors = NULL;
    r->cfg = cfg_load(o->config, &errors);
    if (!r->cfg) {
        fprintf(stderr, "citywall-sim: %s: the configuration has errors:\n%s", o->config,
                errors ? errors : "(no details)\n");
        free(errors);
        return 1;
    }
    if (cwt_set_timezone(r->cfg->city.timezone) < 0) {
        fprintf(stderr, "citywall-sim: %s: city.timezone: unknown zone '%s'\n", o->config,
                r->cfg->city.timezone);
        return 1;
    }
    if (o->halls_arg) {
        char bad[128] = "";
        r->mask = calloc((size_t)(r->cfg->nhalls > 0 ? r->cfg->nhalls : 1), sizeof *r->mask);
        if (!r->mask) return 1;
        if (parse_halls(r->cfg, o->halls_arg, r->mask, bad, sizeof bad) < 0) {
            fprintf(stderr, "citywall-sim: --halls: unknown hall '%s' in %s\n", bad, o->config);
            return 2;
        }
    }
    return 0;
}

/* The traffic model, the gateways (one more for hand-made camera changes: its own feed) and
 * the RTSP cameras. 0 or -1 (said). */
static int run_start(sim_run *r, const sim_scenario *sc, sim_model_opts *mo)
{
    const sim_opts *o = r->o;
    char tag[16];
    int64_t start_real_s = cwt_real_ms() / 1000;
    snprintf(r->feed, sizeof r->feed, "sim-%lld", (long long)start_real_s);
    run_tag(start_real_s, tag);
    snprintf(r->rtsp_base, sizeof r->rtsp_base, "rtsp://127.0.0.1:%d",
             o->rtsp_port ? o->rtsp_port : 8554);
    /* heartbeats: 30 s of real time, but never more than 2 business minutes apart so that
     * a fast clock does not make quiet halls look silent (R15 waits 5 business minutes) */
    double hb = 30000.0 * r->clk.speed;
    if (hb > 120000) hb = 120000;
    *mo = (sim_model_opts){.seed = o->seed,
                           .scenario = sc,
                           .start_ms = o->clock_spec ? r->clk.start_ms : cwt_clock_now(&r->clk),
                           .heartbeat_ms = (int64_t)hb,
                           .halls = r->mask,
                           .rtsp_base = r->rtsp_base,
                           .run_tag = o->dump ? "" : tag};
    r->model = sim_model_create(r->cfg, mo);
    if (!r->model) {
        fprintf(stderr, "citywall-sim: cannot create the traffic model (out of memory)\n");
        return -1;
    }
    if (!o->dump) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            fprintf(stderr, "citywall-sim: libcurl failed to initialise\n");
            return -1;
        }
        r->curl_ready = true;
        sim_gw_opts go = {.hub = o->hub, .token = o->token, .feed = r->feed};
        r->gw = sim_gw_create(r->cfg, &go);
        if (r->gw && o->rtsp_port) {
            char camfeed[48];
            snprintf(camfeed, sizeof camfeed, "%s-cam", r->feed);
            sim_gw_opts cgo = {.hub = o->hub, .token = o->token, .feed = camfeed};
            r->camgw = sim_gw_create(r->cfg, &cgo);
        }
        if (!r->gw || (o->rtsp_port && !r->camgw)) {
            fprintf(stderr, "citywall-sim: cannot set up the HTTP client\n");
            return -1;
        }
    }
#ifdef CW_SIM_RTSP
    if (o->rtsp_port) {
        sim_rtsp_opts ro = {.port = o->rtsp_port,
                            .halls = r->mask,
                            .control = o->rtsp_control,
                            .outage = o->rtsp_outage};
        r->rtsp = sim_rtsp_start(r->cfg, &ro);
        if (!r->rtsp) return -1;
    }
#endif
    return 0;
}

/* The model (and the cameras) to business time bnow: the new events into the buffers. */
static int run_advance(sim_run *r, int64_t bnow)
{
    if (sim_model_advance(r->model, bnow, &r->buf) < 0) {
        fprintf(stderr, "citywall-sim: the traffic model ran out of memory\n");
        return -1;
    }
#ifdef CW_SIM_RTSP
    if (r->rtsp) {
        sim_rtsp_model_events(r->rtsp, &r->buf);
        if (sim_rtsp_take_events(r->rtsp, bnow, &r->cambuf) < 0)
            fprintf(stderr, "citywall-sim: camera events lost: out of memory\n");
    }
#endif
    return 0;
}

/* One batch: advance, then print (--dump) or hand to the gateways and let them send. */
static int run_batch(sim_run *r, int64_t now)
{
    if (run_advance(r, cwt_clock_now(&r->clk)) < 0) return -1;
    if (r->o->dump) {
        if (dump_events(r->cfg, &r->buf, NULL) < 0 || dump_events(r->cfg, &r->cambuf, "cam") < 0) {
            fprintf(stderr, "citywall-sim: writing events to stdout failed\n");
            return -1;
        }
        return 0;
    }
    if (sim_gw_enqueue(r->gw, &r->buf) < 0)
        fprintf(stderr, "citywall-sim: events lost: out of memory\n");
    if (sim_gw_flush(r->gw, now, 20) < 0) return -1;
    if (r->camgw) {
        if (sim_gw_enqueue(r->camgw, &r->cambuf) < 0)
            fprintf(stderr, "citywall-sim: camera events lost: out of memory\n");
        if (sim_gw_flush(r->camgw, now, 5) < 0) return -1;
    }
    return 0;
}

/* Batches every --batch-ms and a summary every 10 s, until --duration or a signal. 0 or -1;
 * *by_signal when a signal ended it. */
static int run_loop(sim_run *r, bool *by_signal)
{
    const sim_opts *o = r->o;
    int64_t t0 = cwt_mono_ms(), end = t0 + (int64_t)(o->duration_s * 1000);
    int64_t next_send = t0, next_log = t0 + SUMMARY_EVERY_MS;
    for (;;) {
        int64_t now = cwt_mono_ms();
        if (sim_stop) {
            *by_signal = true;
            return 0;
        }
        if (o->duration_s > 0 && now >= end) return 0;
        if (now >= next_send) {
            next_send = now + o->batch_ms;
            if (run_batch(r, now) < 0) return -1;
        }
        if (now >= next_log) {
            next_log = now + SUMMARY_EVERY_MS;
            log_summary(&r->clk, r->model, r->gw);
        }
        int64_t wake = next_send < next_log ? next_send : next_log;
        if (o->duration_s > 0 && end < wake) wake = end;
        sleep_ms(wake - cwt_mono_ms());
    }
}

/* The last batch, and the gateways' queues flushed for up to FINAL_FLUSH_MS. The exit
 * status: 1 when events stayed unacknowledged (0 when a signal stopped the run). */
static int run_finish(sim_run *r, bool by_signal)
{
    if (run_advance(r, cwt_clock_now(&r->clk)) < 0) return 1;
    if (r->o->dump) {
        if (dump_events(r->cfg, &r->buf, NULL) < 0 || dump_events(r->cfg, &r->cambuf, "cam") < 0)
            return 1;
        log_summary(&r->clk, r->model, NULL);
        return 0;
    }
    sim_gw_enqueue(r->gw, &r->buf);
    if (r->camgw) sim_gw_enqueue(r->camgw, &r->cambuf);
    int64_t deadline = cwt_mono_ms() + FINAL_FLUSH_MS;
    sim_gw_stats gs, cgs = {0};
    for (;;) {
        int64_t now = cwt_mono_ms();
        if (sim_gw_flush(r->gw, now, 50) < 0) return 1;
        if (r->camgw && sim_gw_flush(r->camgw, now, 5) < 0) return 1;
        sim_gw_get_stats(r->gw, &gs);
        if (r->camgw) sim_gw_get_stats(r->camgw, &cgs);
        if ((gs.queued == 0 && cgs.queued == 0) || now >= deadline) break;
        int64_t retry = sim_gw_retry_at(r->gw), wake = retry > now ? retry : now + 50;
        sleep_ms((wake < deadline ? wake : deadline) - now); /* a backoff never outlasts it */
    }
    log_summary(&r->clk, r->model, r->gw);
    if (gs.queued + cgs.queued == 0) return 0;
    fprintf(stderr, "citywall-sim: %zu events were not acknowledged by the hub\n",
            gs.queued + cgs.queued);
    return by_signal ? 0 : 1;
}

static void run_free(sim_run *r)
{
#ifdef CW_SIM_RTSP
    sim_rtsp_stop(r->rtsp);
#endif
    sim_evbuf_free(&r->buf);
    sim_evbuf_free(&r->cambuf);
    sim_gw_destroy(r->camgw);
    sim_gw_destroy(r->gw);
    sim_model_destroy(r->model);
    if (r->curl_ready) curl_global_cleanup();
    free(r->mask);
    cfg_free(r->cfg);
}

static void on_signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = sim_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
    sim_opts o;
    int rc = sim_args_parse(argc, argv, &o);
    if (rc >= 0) return rc;
    const sim_scenario *sc = o.scenario;
    sim_run r = {.o = &o, .clk = o.clock};
    sim_model_opts mo;
    rc = run_load(&r);
    if (rc == 0 && run_start(&r, sc, &mo) < 0) rc = 1;
    if (rc == 0) {
        on_signals();
        char at[40];
        cwt_format_local(mo.start_ms, at);
        fprintf(stderr,
                "citywall-sim %s: scenario %s, seed %llu, business clock from %s at %gx, %s%s\n",
                CW_VERSION, sc->name, (unsigned long long)o.seed, at, r.clk.speed,
                o.dump ? "printing events" : "sending to ", o.dump ? "" : o.hub);
        if (!o.dump) fprintf(stderr, "citywall-sim: feed %s\n", r.feed);
        /* the business clock starts now, at START exactly: setup time does not shift the
         * traffic, so the same seed and --clock give the same events */
        if (o.clock_spec)
            r.clk.anchor_mono_ms = cwt_mono_ms();
        else
            cwt_clock_real(&r.clk);
        bool by_signal = false;
        rc = run_loop(&r, &by_signal) < 0 ? 1 : run_finish(&r, by_signal);
    }
    run_free(&r);
    return rc;
}
