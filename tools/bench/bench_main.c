/* citywall-bench: load generator and latency meter for the hub (SPEC §1, §10) -- command line.
 *
 * citywall-bench {ingest|fanout|glass} --hub URL [options]: parses the options, raises the open
 * file limit to its hard limit (thousands of sockets), loads the city config (hall, biz and
 * window ids for valid events), checks that the hub answers GET /readyz, and runs the mode.
 * The mode prints a table and, as the last line of stdout, one JSON object.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "bench.h"
#include "config.h"
#include "cwtime.h"

#ifndef CW_VERSION
#define CW_VERSION "dev"
#endif

static void usage(FILE *f)
{
    fprintf(
        f, "usage: citywall-bench {ingest|fanout|glass} --hub URL [options]\n"
           "\n"
           "Measures a citywall hub. Prints a result table, then one JSON line (the last line).\n"
           "\n"
           "  ingest   durable events/s and ack latency per batch; the sim's event mix,\n"
           "           pre-generated before the clock starts\n"
           "  fanout   N /live clients on `city`, each keeping its own state; latency from a\n"
           "           publisher's ingest ack to the moment each client's state shows the event\n"
           "  glass    event-to-glass: starts --wall-bin on $DISPLAY (e.g. under xvfb-run) with\n"
           "           --present-log; latency from a publisher's ingest ack to the first frame\n"
           "           the wall presents showing the event\n"
           "\n"
           "  --hub URL            hub base URL, e.g. http://127.0.0.1:8080\n"
           "  --token T            ingest: hall token (default demo-hall);\n"
           "                       fanout, glass: /live token (default demo-wall)\n"
           "  --ingest-token T     fanout: the publisher's hall token (default demo-hall)\n"
           "  --duration SEC       measured time (default 10)\n"
           "  --clients N          connections (default: ingest 4, fanout 200)\n"
           "  --batch N            ingest: events per batch, 1..5000 (default 1000)\n"
           "  --window N           ingest over ws: batches on the wire before their answers,\n"
           "                       1..8 (default 1: wait for each answer)\n"
           "  --transport http|ws  ingest: POST /api/v1/events or WS /ingest (default http)\n"
           "  --halls N            ingest: simulate only the first N halls (default all)\n"
           "  --events N           ingest: events to pre-generate (default: duration x 250,000\n"
           "                       over HTTP, x 100,000 per WS client); the run ends early when\n"
           "                       they are all acknowledged\n"
           "  --seed S             ingest: traffic model seed, client i uses S+i (default 1)\n"
           "  --rate R             fanout, glass: publisher events/s (default 200; glass 20)\n"
           "  --hall ID            fanout, glass: hall the publisher writes (default the first);\n"
           "                       nothing else may write that hall during the run\n"
           "  --max-hz N           fanout: ask for at most N deltas/s per client\n"
           "  --threads N          fanout: spread the clients over N threads, each with its own\n"
           "                       libwebsockets loop applying its clients' patches (default 1)\n"
           "  --every SEC          fanout: also print, every SEC seconds, that interval's send ->\n"
           "                       client latencies (`every` lines, before the table; for soaks)\n"
           "  --wall-bin PATH      glass: the citywall-wall binary to start (required)\n"
           "  --layout FILE        glass: the wall's layout (default: the wall's own default)\n"
           "  --hub-pid PID        sample the hub's CPU and RSS from /proc/PID\n"
           "  --config FILE        city configuration (default config/demo.yaml)\n"
           "  --clock START[@SPEED] business clock of the events' `at` (default: fanout and glass\n"
           "                       take the hub's own from its /live hello; ingest real time)\n"
           "  --help, --version\n");
}

static int bad_usage(const char *fmt, const char *arg)
{
    return cli_bad_usage("citywall-bench", fmt, arg);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo) || !(v <= hi)) return -1;
    *out = v;
    return 0;
}

/* "http://HOST[:PORT][/]" into o->host and o->port. */
static int parse_hub(bench_opts *o, const char *url)
{
    if (strncmp(url, "http://", 7) != 0) return -1;
    const char *h = url + 7, *end = h + strcspn(h, "/");
    if (end[0] == '/' && end[1] != '\0') return -1;
    const char *colon = memchr(h, ':', (size_t)(end - h));
    size_t hl = (size_t)((colon ? colon : end) - h);
    if (hl == 0 || hl >= sizeof o->host) return -1;
    memcpy(o->host, h, hl);
    o->host[hl] = '\0';
    o->port = 80;
    if (colon) {
        char port[8];
        size_t pl = (size_t)(end - colon - 1);
        long p;
        if (pl == 0 || pl >= sizeof port) return -1;
        memcpy(port, colon + 1, pl);
        port[pl] = '\0';
        if (parse_long(port, 1, 65535, &p) < 0) return -1;
        o->port = (int)p;
    }
    return 0;
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            fprintf(stderr, "citywall-bench: cannot raise the open file limit: %s\n",
                    strerror(errno));
    }
}

static size_t discard(char *p, size_t size, size_t nmemb, void *arg)
{
    (void)p;
    (void)arg;
    return size * nmemb;
}

/* GET <hub>/readyz: 0 when it answers 200. */
static int hub_ready(const char *hub)
{
    char url[1100];
    snprintf(url, sizeof url, "%s/readyz", hub);
    CURL *e = curl_easy_init();
    if (!e) return -1;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(e);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(e);
    if (rc != CURLE_OK) {
        fprintf(stderr, "citywall-bench: %s: %s\n", url, curl_easy_strerror(rc));
        return -1;
    }
    if (status != 200) {
        fprintf(stderr, "citywall-bench: %s answered %ld (not ready)\n", url, status);
        return -1;
    }
    return 0;
}

/* The long options. */
enum {
    O_HUB = 1,
    O_TOKEN,
    O_ITOKEN,
    O_DURATION,
    O_CLIENTS,
    O_BATCH,
    O_WINDOW,
    O_TRANSPORT,
    O_HALLS,
    O_SEED,
    O_RATE,
    O_PID,
    O_HALL,
    O_MAXHZ,
    O_THREADS,
    O_EVERY,
    O_EVENTS,
    O_CONFIG,
    O_CLOCK,
    O_WALLBIN,
    O_LAYOUT,
    O_HELP,
    O_VERSION
};

/* What the command line says beside bench_opts. */
typedef struct bench_cli {
    const char *config, *clock_spec, *transport;
    const char *mode; /* ingest, fanout or glass */
} bench_cli;

/* One option (getopt_long's c). -1: go on; otherwise the exit status. */
static int parse_option(int c, bench_opts *o, bench_cli *cli, char **argv)
{
    long v;
    switch (c) {
    case O_HUB:
        o->hub = optarg;
        break;
    case O_TOKEN:
        o->token = optarg;
        break;
    case O_ITOKEN:
        o->ingest_token = optarg;
        break;
    case O_DURATION:
        if (parse_double(optarg, 0.1, 86400, &o->duration_s) < 0)
            return bad_usage("--duration: '%s' is not a number of seconds from 0.1 to 86400",
                             optarg);
        break;
    case O_CLIENTS:
        if (parse_long(optarg, 1, 100000, &v) < 0)
            return bad_usage("--clients: '%s' is not a number from 1 to 100000", optarg);
        o->clients = (int)v;
        break;
    case O_BATCH:
        if (parse_long(optarg, 1, 5000, &v) < 0)
            return bad_usage("--batch: '%s' is not a number from 1 to 5000", optarg);
        o->batch = (int)v;
        break;
    case O_WINDOW:
        if (parse_long(optarg, 1, BENCH_MAX_WINDOW, &v) < 0)
            return bad_usage("--window: '%s' is not a number from 1 to 8", optarg);
        o->window = (int)v;
        break;
    case O_TRANSPORT:
        cli->transport = optarg;
        if (strcmp(optarg, "http") && strcmp(optarg, "ws"))
            return bad_usage("--transport: '%s' is not http or ws", optarg);
        o->ws = !strcmp(optarg, "ws");
        break;
    case O_HALLS:
        if (parse_long(optarg, 1, 100000, &v) < 0)
            return bad_usage("--halls: '%s' is not a positive number", optarg);
        o->halls = (int)v;
        break;
    case O_SEED: {
        char *end;
        errno = 0;
        o->seed = strtoull(optarg, &end, 10);
        if (errno || end == optarg || *end || optarg[0] == '-')
            return bad_usage("--seed: '%s' is not a non-negative integer", optarg);
        break;
    }
    case O_RATE:
        if (parse_double(optarg, 0.1, 1e6, &o->rate) < 0)
            return bad_usage("--rate: '%s' is not a number of events/s from 0.1 to 1000000",
                             optarg);
        break;
    case O_PID:
        if (parse_long(optarg, 1, 1 << 30, &v) < 0)
            return bad_usage("--hub-pid: '%s' is not a process id", optarg);
        o->hub_pid = (int)v;
        break;
    case O_HALL:
        o->hall = optarg;
        break;
    case O_MAXHZ:
        if (parse_long(optarg, 1, 1000, &v) < 0)
            return bad_usage("--max-hz: '%s' is not a number from 1 to 1000", optarg);
        o->max_hz = (int)v;
        break;
    case O_THREADS:
        if (parse_long(optarg, 1, 64, &v) < 0)
            return bad_usage("--threads: '%s' is not a number from 1 to 64", optarg);
        o->threads = (int)v;
        break;
    case O_EVERY:
        if (parse_double(optarg, 1, 86400, &o->every_s) < 0)
            return bad_usage("--every: '%s' is not a number of seconds from 1 to 86400", optarg);
        break;
    case O_EVENTS:
        if (parse_long(optarg, 1, 1000000000L, &v) < 0)
            return bad_usage("--events: '%s' is not a number from 1 to 10^9", optarg);
        o->events = v;
        break;
    case O_CONFIG:
        cli->config = optarg;
        break;
    case O_CLOCK:
        cli->clock_spec = optarg;
        break;
    case O_WALLBIN:
        o->wall_bin = optarg;
        break;
    case O_LAYOUT:
        o->layout = optarg;
        break;
    case O_HELP:
        usage(stdout);
        return 0;
    case O_VERSION:
        printf("citywall-bench %s\n", CW_VERSION);
        return 0;
    default:
        return cli_getopt_error("citywall-bench", argv);
    }
    return -1;
}

/* The options and the mode. -1: go on; otherwise the exit status. */
static int parse_args(int argc, char **argv, bench_opts *o, bench_cli *cli)
{
    static const struct option opts[] = {
        {"hub", required_argument, NULL, O_HUB},
        {"token", required_argument, NULL, O_TOKEN},
        {"ingest-token", required_argument, NULL, O_ITOKEN},
        {"duration", required_argument, NULL, O_DURATION},
        {"clients", required_argument, NULL, O_CLIENTS},
        {"batch", required_argument, NULL, O_BATCH},
        {"window", required_argument, NULL, O_WINDOW},
        {"transport", required_argument, NULL, O_TRANSPORT},
        {"halls", required_argument, NULL, O_HALLS},
        {"seed", required_argument, NULL, O_SEED},
        {"rate", required_argument, NULL, O_RATE},
        {"hub-pid", required_argument, NULL, O_PID},
        {"hall", required_argument, NULL, O_HALL},
        {"max-hz", required_argument, NULL, O_MAXHZ},
        {"threads", required_argument, NULL, O_THREADS},
        {"every", required_argument, NULL, O_EVERY},
        {"events", required_argument, NULL, O_EVENTS},
        {"config", required_argument, NULL, O_CONFIG},
        {"clock", required_argument, NULL, O_CLOCK},
        {"wall-bin", required_argument, NULL, O_WALLBIN},
        {"layout", required_argument, NULL, O_LAYOUT},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int rc = parse_option(c, o, cli, argv);
        if (rc >= 0) return rc;
    }
    if (optind >= argc) return bad_usage("a mode is required: ingest, fanout or glass%s", "");
    cli->mode = argv[optind];
    if (optind + 1 < argc) return bad_usage("unexpected argument '%s'", argv[optind + 1]);
    return -1;
}

/* The options that depend on each other and on the mode, and the mode's defaults. -1: go on;
 * otherwise the exit status. */
static int check_args(bench_opts *o, bench_cli *cli)
{
    bool fanout = !strcmp(cli->mode, "fanout"), glass = !strcmp(cli->mode, "glass");
    if (!fanout && !glass && strcmp(cli->mode, "ingest"))
        return bad_usage("unknown mode '%s' (ingest, fanout or glass)", cli->mode);
    if (!o->hub) return bad_usage("--hub is required%s", "");
    if (parse_hub(o, o->hub) < 0)
        return bad_usage("--hub: '%s' is not http://HOST[:PORT] (https is not supported)", o->hub);
    if ((fanout || glass) && o->ws)
        return bad_usage("--transport %s applies to ingest only", cli->transport);
    if (!fanout && o->threads) return bad_usage("--threads applies to fanout only%s", "");
    if (!o->threads) o->threads = 1;
    if (!fanout && o->every_s) return bad_usage("--every applies to fanout only%s", "");
    if (glass && !o->wall_bin) return bad_usage("glass: --wall-bin PATH is required%s", "");
    if (!glass && (o->wall_bin || o->layout))
        return bad_usage("--wall-bin and --layout apply to glass only%s", "");
    if (!o->rate) o->rate = glass ? 20 : 200;
    if (!o->clients) o->clients = fanout ? 200 : glass ? 1 : 4;
    if (!o->token) o->token = (fanout || glass) ? "demo-wall" : "demo-hall";
    if (!o->ingest_token) o->ingest_token = "demo-hall";
    if (strlen(o->token) > 400 || strlen(o->ingest_token) > 400 || strchr(o->token, '"') ||
        strchr(o->token, '\\'))
        return bad_usage("--token: '%s' is too long or holds a quote or backslash", o->token);
    if (cli->clock_spec) {
        o->clock_given = true;
        if (cwt_clock_parse(&o->clock, cli->clock_spec) < 0)
            return bad_usage("--clock: '%s' is not START[@SPEED] with START in RFC 3339",
                             cli->clock_spec);
    } else {
        cwt_clock_real(&o->clock);
    }
    return -1;
}

/* The config, libcurl, the hub's readiness, then the mode's run. The exit status. */
static int run_mode(bench_opts *o, const bench_cli *cli)
{
    raise_nofile();
    signal(SIGPIPE, SIG_IGN);
    char *errors = NULL;
    cfg_t *cfg = cfg_load(cli->config, &errors);
    if (!cfg) {
        fprintf(stderr, "citywall-bench: %s: the configuration has errors:\n%s", cli->config,
                errors ? errors : "(no details)\n");
        free(errors);
        return 1;
    }
    int rc = 1;
    if (cwt_set_timezone(cfg->city.timezone) < 0) {
        fprintf(stderr, "citywall-bench: %s: city.timezone: unknown zone '%s'\n", cli->config,
                cfg->city.timezone);
        goto out;
    }
    o->cfg = cfg;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "citywall-bench: libcurl failed to initialise\n");
        goto out;
    }
    if (hub_ready(o->hub) == 0)
        rc = !strcmp(cli->mode, "fanout")  ? bench_fanout_run(o)
             : !strcmp(cli->mode, "glass") ? bench_glass_run(o)
                                           : bench_ingest_run(o);
    curl_global_cleanup();
out:
    cfg_free(cfg);
    return rc;
}

int main(int argc, char **argv)
{
    bench_opts o;
    memset(&o, 0, sizeof o);
    o.duration_s = 10;
    o.batch = 1000;
    o.window = 1;
    o.seed = 1;
    bench_cli cli = {.config = "config/demo.yaml", .transport = "http"};
    int rc = parse_args(argc, argv, &o, &cli);
    if (rc < 0) rc = check_args(&o, &cli);
    if (rc >= 0) return rc;
    /* the hub URL without a trailing slash */
    char hub[1024];
    snprintf(hub, sizeof hub, "%s", o.hub);
    size_t hl = strlen(hub);
    if (hl && hub[hl - 1] == '/') hub[hl - 1] = '\0';
    o.hub = hub;
    return run_mode(&o, &cli);
}
