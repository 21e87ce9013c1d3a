/* citywall-sim: the demo city's traffic simulator (SPEC §1, §9) -- command line and main loop.
 *
 * The loop runs in real time: every --batch-ms it advances the traffic model to the business
 * clock's now, hands the new events to the gateway and lets it send; every 10 s it logs a
 * summary line on stderr. --duration, SIGINT and SIGTERM end it after a last flush.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "cwtime.h"
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

static void usage(FILE *f)
{
    fprintf(f,
            "usage: citywall-sim --hub URL --token TOKEN [options]\n"
            "\n"
            "Simulates the demo city's halls (tickets, windows, reviews, cameras) and sends\n"
            "their events to a citywall hub like a hall gateway does.\n"
            "\n"
            "  --hub URL              hub base URL, e.g. http://127.0.0.1:8080\n"
            "  --token TOKEN          hall token allowed to write the simulated halls\n"
            "  --config FILE          city configuration (default config/demo.yaml)\n"
            "  --clock START[@SPEED]  business clock: start (RFC 3339) and speed\n"
            "                         (default: real time)\n"
            "  --seed S               random seed (default 1): same seed and clock, same events\n"
            "  --duration SEC         stop after SEC real seconds (default 0: until stopped)\n"
            "  --scenario NAME        default normal, see below\n"
            "  --halls ID,ID,...      simulate only these halls (default all)\n"
            "  --batch-ms MS          send a batch every MS real milliseconds (default 200)\n"
            "  --rtsp-port P          serve the cameras over RTSP on 127.0.0.1:P\n"
            "                         (rtsp://127.0.0.1:P/<camera>/main|sub)%s\n"
            "  --rtsp-control PATH    read 'stop CAM-ID' / 'start CAM-ID' lines from PATH\n"
            "                         (a FIFO, created if absent; '-' = stdin)\n"
            "  --rtsp-outage CAM@T+D  stop camera CAM T real seconds after the start for D s\n"
            "  --dump                 print the events as JSON lines on stdout instead of\n"
            "                         sending them (--hub and --token are then not needed)\n"
            "  --help, --version\n"
            "\n"
            "Scenarios:\n",
#ifdef CW_SIM_RTSP
            ""
#else
            "\n                         (not built in this version)"
#endif
    );
    for (int i = 0; sim_scenario_at(i); i++)
        fprintf(f, "  %-12s %s\n", sim_scenario_at(i)->name, sim_scenario_at(i)->summary);
}

static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "citywall-sim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try citywall-sim --help)\n");
    return 2;
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

int main(int argc, char **argv)
{
    const char *hub = NULL, *token = NULL, *config = "config/demo.yaml", *clock_spec = NULL;
    const char *scenario_name = "normal", *halls_arg = NULL;
    uint64_t seed = 1;
    double duration_s = 0;
    long batch_ms = 200;
    int rtsp_port = 0;
    const char *rtsp_control = NULL, *rtsp_outage = NULL;
    bool dump = false, curl_ready = false;
    enum {
        O_HUB = 1,
        O_TOKEN,
        O_CONFIG,
        O_CLOCK,
        O_SEED,
        O_DURATION,
        O_RTSP,
        O_RTSP_CONTROL,
        O_RTSP_OUTAGE,
        O_SCENARIO,
        O_HALLS,
        O_BATCH,
        O_DUMP,
        O_HELP,
        O_VERSION
    };
    static const struct option opts[] = {
        {"hub", required_argument, NULL, O_HUB},
        {"token", required_argument, NULL, O_TOKEN},
        {"config", required_argument, NULL, O_CONFIG},
        {"clock", required_argument, NULL, O_CLOCK},
        {"seed", required_argument, NULL, O_SEED},
        {"duration", required_argument, NULL, O_DURATION},
        {"rtsp-port", required_argument, NULL, O_RTSP},
        {"rtsp-control", required_argument, NULL, O_RTSP_CONTROL},
        {"rtsp-outage", required_argument, NULL, O_RTSP_OUTAGE},
        {"scenario", required_argument, NULL, O_SCENARIO},
        {"halls", required_argument, NULL, O_HALLS},
        {"batch-ms", required_argument, NULL, O_BATCH},
        {"dump", no_argument, NULL, O_DUMP},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_HUB:
            hub = optarg;
            break;
        case O_TOKEN:
            token = optarg;
            break;
        case O_CONFIG:
            config = optarg;
            break;
        case O_CLOCK:
            clock_spec = optarg;
            break;
        case O_SEED:
            errno = 0;
            seed = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-')
                return bad_usage("--seed: '%s' is not a non-negative integer", optarg);
            break;
        case O_DURATION:
            errno = 0;
            duration_s = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(duration_s >= 0) || duration_s > 1e9)
                return bad_usage("--duration: '%s' is not a number of seconds >= 0", optarg);
            break;
        case O_RTSP:
#ifndef CW_SIM_RTSP
            return bad_usage("--rtsp-port%s: RTSP cameras are not built in this version", "");
#else
            errno = 0;
            rtsp_port = (int)strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || rtsp_port < 1 || rtsp_port > 65535)
                return bad_usage("--rtsp-port: '%s' is not a port number from 1 to 65535", optarg);
            break;
#endif
        case O_RTSP_CONTROL:
            rtsp_control = optarg;
            break;
        case O_RTSP_OUTAGE:
#ifdef CW_SIM_RTSP
        {
            char cam[128];
            double after_s, for_s;
            if (sim_rtsp_parse_outage(optarg, cam, sizeof cam, &after_s, &for_s) < 0)
                return bad_usage("--rtsp-outage: '%s' is not CAM-ID@AFTER+FOR (seconds, FOR > 0)",
                                 optarg);
        }
#endif
            rtsp_outage = optarg;
            break;
        case O_SCENARIO:
            scenario_name = optarg;
            break;
        case O_HALLS:
            halls_arg = optarg;
            break;
        case O_BATCH:
            errno = 0;
            batch_ms = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || batch_ms < 10 || batch_ms > 60000)
                return bad_usage("--batch-ms: '%s' is not a number from 10 to 60000", optarg);
            break;
        case O_DUMP:
            dump = true;
            break;
        case O_HELP:
            usage(stdout);
            return 0;
        case O_VERSION:
            printf("citywall-sim %s\n", CW_VERSION);
            return 0;
        default:
            if (optopt && optopt != '?')
                return bad_usage("option %s needs a value", argv[optind - 1]);
            return bad_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return bad_usage("unexpected argument '%s'", argv[optind]);
    if ((rtsp_control || rtsp_outage) && !rtsp_port)
        return bad_usage("%s needs --rtsp-port", rtsp_control ? "--rtsp-control" : "--rtsp-outage");
    if (!dump && !hub) return bad_usage("--hub is required%s", "");
    if (!dump && !token) return bad_usage("--token is required%s", "");
    if (hub && strncmp(hub, "http://", 7) != 0 && strncmp(hub, "https://", 8) != 0)
        return bad_usage("--hub: '%s' is not an http:// or https:// URL", hub);
    const sim_scenario *sc = sim_scenario_find(scenario_name);
    if (!sc) {
        fprintf(stderr, "citywall-sim: --scenario: unknown scenario '%s' (known: %s)\n",
                scenario_name, sim_scenario_names());
        return 2;
    }
    cwt_clock clk;
    if (clock_spec) {
        if (cwt_clock_parse(&clk, clock_spec) < 0)
            return bad_usage("--clock: '%s' is not START[@SPEED] with START in RFC 3339 "
                             "(e.g. 2026-11-23T08:45:00+08:00@60)",
                             clock_spec);
    } else {
        cwt_clock_real(&clk);
    }

    int rc = 1;
    char *errors = NULL;
    bool *mask = NULL;
    sim_model *model = NULL;
    sim_gw *gw = NULL, *camgw = NULL;
    sim_evbuf buf = {0}, cambuf = {0};
#ifdef CW_SIM_RTSP
    sim_rtsp *rtsp = NULL;
#endif
    char rtsp_base[64] = "rtsp://127.0.0.1:8554";
    if (rtsp_port) snprintf(rtsp_base, sizeof rtsp_base, "rtsp://127.0.0.1:%d", rtsp_port);
    cfg_t *cfg = cfg_load(config, &errors);
    if (!cfg) {
        fprintf(stderr, "citywall-sim: %s: the configuration has errors:\n%s", config,
                errors ? errors : "(no details)\n");
        free(errors);
        return 1;
    }
    if (cwt_set_timezone(cfg->city.timezone) < 0) {
        fprintf(stderr, "citywall-sim: %s: city.timezone: unknown zone '%s'\n", config,
                cfg->city.timezone);
        goto out;
    }
    if (halls_arg) {
        char bad[128] = "";
        mask = calloc((size_t)(cfg->nhalls > 0 ? cfg->nhalls : 1), sizeof *mask);
        if (!mask) goto out;
        if (parse_halls(cfg, halls_arg, mask, bad, sizeof bad) < 0) {
            fprintf(stderr, "citywall-sim: --halls: unknown hall '%s' in %s\n", bad, config);
            rc = 2;
            goto out;
        }
    }

    int64_t start_real_s = cwt_real_ms() / 1000;
    char feed[40], tag[16];
    snprintf(feed, sizeof feed, "sim-%lld", (long long)start_real_s);
    /* base-36 of the start second: keeps review ids unique across restarts */
    {
        char rev[16];
        int n = 0;
        for (uint64_t v = (uint64_t)start_real_s; v && n < 15; v /= 36)
            rev[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
        for (int i = 0; i < n; i++)
            tag[i] = rev[n - 1 - i];
        tag[n] = '\0';
    }
    /* heartbeats: 30 s of real time, but never more than 2 business minutes apart so that
     * a fast clock does not make quiet halls look silent (R15 waits 5 business minutes) */
    double hb = 30000.0 * clk.speed;
    if (hb > 120000) hb = 120000;
    sim_model_opts mo = {.seed = seed,
                         .scenario = sc,
                         .start_ms = clock_spec ? clk.start_ms : cwt_clock_now(&clk),
                         .heartbeat_ms = (int64_t)hb,
                         .halls = mask,
                         .rtsp_base = rtsp_base,
                         .run_tag = dump ? "" : tag};
    model = sim_model_create(cfg, &mo);
    if (!model) {
        fprintf(stderr, "citywall-sim: cannot create the traffic model (out of memory)\n");
        goto out;
    }
    if (!dump) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            fprintf(stderr, "citywall-sim: libcurl failed to initialise\n");
            goto out;
        }
        curl_ready = true;
        sim_gw_opts go = {.hub = hub, .token = token, .feed = feed};
        gw = sim_gw_create(cfg, &go);
        if (!gw) {
            fprintf(stderr, "citywall-sim: cannot set up the HTTP client\n");
            goto out;
        }
        if (rtsp_port) {
            /* hand-made camera changes come from the camera gateway: its own feed */
            char camfeed[48];
            snprintf(camfeed, sizeof camfeed, "%s-cam", feed);
            sim_gw_opts cgo = {.hub = hub, .token = token, .feed = camfeed};
            camgw = sim_gw_create(cfg, &cgo);
            if (!camgw) {
                fprintf(stderr, "citywall-sim: cannot set up the HTTP client\n");
                goto out;
            }
        }
    }
#ifdef CW_SIM_RTSP
    if (rtsp_port) {
        sim_rtsp_opts ro = {
            .port = rtsp_port, .halls = mask, .control = rtsp_control, .outage = rtsp_outage};
        rtsp = sim_rtsp_start(cfg, &ro);
        if (!rtsp) goto out;
    }
#endif

    struct sigaction sa = {0};
    sa.sa_handler = sim_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    {
        char at[40];
        cwt_format_local(mo.start_ms, at);
        fprintf(stderr,
                "citywall-sim %s: scenario %s, seed %llu, business clock from %s at %gx, "
                "%s%s\n",
                CW_VERSION, sc->name, (unsigned long long)seed, at, clk.speed,
                dump ? "printing events" : "sending to ", dump ? "" : hub);
        if (!dump) fprintf(stderr, "citywall-sim: feed %s\n", feed);
    }

    /* the business clock starts now, at START exactly: setup time does not shift the traffic,
     * so the same seed and --clock give the same events */
    if (clock_spec)
        clk.anchor_mono_ms = cwt_mono_ms();
    else
        cwt_clock_real(&clk);
    int64_t t0 = cwt_mono_ms();
    int64_t next_send = t0, next_log = t0 + SUMMARY_EVERY_MS;
    bool by_signal = false;
    for (;;) {
        int64_t now = cwt_mono_ms();
        if (sim_stop) {
            by_signal = true;
            break;
        }
        if (duration_s > 0 && now - t0 >= (int64_t)(duration_s * 1000)) break;
        if (now >= next_send) {
            next_send = now + batch_ms;
            int64_t bnow = cwt_clock_now(&clk);
            if (sim_model_advance(model, bnow, &buf) < 0) {
                fprintf(stderr, "citywall-sim: the traffic model ran out of memory\n");
                goto out;
            }
#ifdef CW_SIM_RTSP
            if (rtsp) {
                sim_rtsp_model_events(rtsp, &buf);
                if (sim_rtsp_take_events(rtsp, bnow, &cambuf) < 0)
                    fprintf(stderr, "citywall-sim: camera events lost: out of memory\n");
            }
#endif
            if (dump) {
                if (dump_events(cfg, &buf, NULL) < 0 || dump_events(cfg, &cambuf, "cam") < 0) {
                    fprintf(stderr, "citywall-sim: writing events to stdout failed\n");
                    goto out;
                }
            } else {
                if (sim_gw_enqueue(gw, &buf) < 0)
                    fprintf(stderr, "citywall-sim: events lost: out of memory\n");
                if (sim_gw_flush(gw, now, 20) < 0) goto out;
                if (camgw) {
                    if (sim_gw_enqueue(camgw, &cambuf) < 0)
                        fprintf(stderr, "citywall-sim: camera events lost: out of memory\n");
                    if (sim_gw_flush(camgw, now, 5) < 0) goto out;
                }
            }
        }
        if (now >= next_log) {
            next_log = now + SUMMARY_EVERY_MS;
            log_summary(&clk, model, gw);
        }
        int64_t wake = next_send < next_log ? next_send : next_log;
        if (duration_s > 0 && t0 + (int64_t)(duration_s * 1000) < wake)
            wake = t0 + (int64_t)(duration_s * 1000);
        sleep_ms(wake - cwt_mono_ms());
    }

    /* last batch and flush: keep trying for a few seconds */
    if (sim_model_advance(model, cwt_clock_now(&clk), &buf) < 0) goto out;
#ifdef CW_SIM_RTSP
    if (rtsp) {
        sim_rtsp_model_events(rtsp, &buf);
        sim_rtsp_take_events(rtsp, cwt_clock_now(&clk), &cambuf);
    }
#endif
    if (dump) {
        if (dump_events(cfg, &buf, NULL) < 0 || dump_events(cfg, &cambuf, "cam") < 0) goto out;
        log_summary(&clk, model, NULL);
        rc = 0;
        goto out;
    }
    sim_gw_enqueue(gw, &buf);
    if (camgw) sim_gw_enqueue(camgw, &cambuf);
    int64_t deadline = cwt_mono_ms() + FINAL_FLUSH_MS;
    sim_gw_stats gs, cgs = {0};
    for (;;) {
        int64_t now = cwt_mono_ms();
        int f = sim_gw_flush(gw, now, 50);
        if (f < 0) goto out;
        if (camgw && sim_gw_flush(camgw, now, 5) < 0) goto out;
        sim_gw_get_stats(gw, &gs);
        if (camgw) sim_gw_get_stats(camgw, &cgs);
        if ((gs.queued == 0 && cgs.queued == 0) || now >= deadline) break;
        int64_t retry = sim_gw_retry_at(gw);
        sleep_ms((retry > now ? retry : now + 50) - now);
    }
    log_summary(&clk, model, gw);
    if (gs.queued + cgs.queued > 0) {
        fprintf(stderr, "citywall-sim: %zu events were not acknowledged by the hub\n",
                gs.queued + cgs.queued);
        rc = by_signal ? 0 : 1;
    } else {
        rc = 0;
    }
out:
#ifdef CW_SIM_RTSP
    sim_rtsp_stop(rtsp);
#endif
    sim_evbuf_free(&buf);
    sim_evbuf_free(&cambuf);
    sim_gw_destroy(camgw);
    sim_gw_destroy(gw);
    sim_model_destroy(model);
    if (curl_ready) curl_global_cleanup();
    free(mask);
    cfg_free(cfg);
    return rc;
}
