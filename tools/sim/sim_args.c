/* sim_args: citywall-sim's command line -- options, their checks, --help. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sim_args.h"
#include "sim_scenario.h"
#ifdef CW_SIM_RTSP
#include "sim_rtsp.h"
#endif

#ifndef CW_VERSION
#define CW_VERSION "dev"
#endif

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
    return cli_bad_usage("citywall-sim", fmt, arg);
}

/* The long options. */
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

/* One option (getopt_long's c). -1: go on; otherwise the exit status. */
static int parse_option(int c, sim_opts *o, char **argv)
{
    char *end;
    switch (c) {
    case O_HUB:
        o->hub = optarg;
        break;
    case O_TOKEN:
        o->token = optarg;
        break;
    case O_CONFIG:
        o->config = optarg;
        break;
    case O_CLOCK:
        o->clock_spec = optarg;
        break;
    case O_SEED:
        errno = 0;
        o->seed = strtoull(optarg, &end, 10);
        if (errno || end == optarg || *end || optarg[0] == '-')
            return bad_usage("--seed: '%s' is not a non-negative integer", optarg);
        break;
    case O_DURATION:
        errno = 0;
        o->duration_s = strtod(optarg, &end);
        if (errno || end == optarg || *end || !(o->duration_s >= 0) || o->duration_s > 1e9)
            return bad_usage("--duration: '%s' is not a number of seconds >= 0", optarg);
        break;
    case O_RTSP:
#ifndef CW_SIM_RTSP
        return bad_usage("--rtsp-port%s: RTSP cameras are not built in this version", "");
#else
        errno = 0;
        o->rtsp_port = (int)strtol(optarg, &end, 10);
        if (errno || end == optarg || *end || o->rtsp_port < 1 || o->rtsp_port > 65535)
            return bad_usage("--rtsp-port: '%s' is not a port number from 1 to 65535", optarg);
        break;
#endif
    case O_RTSP_CONTROL:
        o->rtsp_control = optarg;
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
        o->rtsp_outage = optarg;
        break;
    case O_SCENARIO:
        o->scenario_name = optarg;
        break;
    case O_HALLS:
        o->halls_arg = optarg;
        break;
    case O_BATCH:
        errno = 0;
        o->batch_ms = strtol(optarg, &end, 10);
        if (errno || end == optarg || *end || o->batch_ms < 10 || o->batch_ms > 60000)
            return bad_usage("--batch-ms: '%s' is not a number from 10 to 60000", optarg);
        break;
    case O_DUMP:
        o->dump = true;
        break;
    case O_HELP:
        usage(stdout);
        return 0;
    case O_VERSION:
        printf("citywall-sim %s\n", CW_VERSION);
        return 0;
    default:
        return cli_getopt_error("citywall-sim", argv);
    }
    return -1;
}

int sim_args_parse(int argc, char **argv, sim_opts *o)
{
    *o = (sim_opts){
        .config = "config/demo.yaml", .scenario_name = "normal", .seed = 1, .batch_ms = 200};
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
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int rc = parse_option(c, o, argv);
        if (rc >= 0) return rc;
    }
    if (optind < argc) return bad_usage("unexpected argument '%s'", argv[optind]);
    if ((o->rtsp_control || o->rtsp_outage) && !o->rtsp_port)
        return bad_usage("%s needs --rtsp-port",
                         o->rtsp_control ? "--rtsp-control" : "--rtsp-outage");
    if (!o->dump && !o->hub) return bad_usage("--hub is required%s", "");
    if (!o->dump && !o->token) return bad_usage("--token is required%s", "");
    if (o->hub && strncmp(o->hub, "http://", 7) != 0 && strncmp(o->hub, "https://", 8) != 0)
        return bad_usage("--hub: '%s' is not an http:// or https:// URL", o->hub);
    o->scenario = sim_scenario_find(o->scenario_name);
    if (!o->scenario) {
        fprintf(stderr, "citywall-sim: --scenario: unknown scenario '%s' (known: %s)\n",
                o->scenario_name, sim_scenario_names());
        return 2;
    }
    if (!o->clock_spec)
        cwt_clock_real(&o->clock);
    else if (cwt_clock_parse(&o->clock, o->clock_spec) < 0)
        return bad_usage("--clock: '%s' is not START[@SPEED] with START in RFC 3339 "
                         "(e.g. 2026-11-23T08:45:00+08:00@60)",
                         o->clock_spec);
    return -1;
}
