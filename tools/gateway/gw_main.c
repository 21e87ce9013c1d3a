/* citywall-gateway: the hall-side daemon. Takes vendor records from its inputs (webhooks, SQL
 * tables over ODBC, CSV folders), maps them to SPEC §3 events, commits them to a durable
 * outbox, and forwards them to the hub (docs/gateway.md).
 *
 * Threads:
 *   main       lws service: webhooks and /status (gw_http.c), owns app.svc's outbox handle;
 *   poller     CSV folders, ODBC tailers, heartbeats, outbox depth and alarm (its own handle);
 *   prober     RTSP probes of the cameras (gw_rtsp.c, its own handle), when configured;
 *   forwarder  outbox -> hub (gw_forward.c, its own handle).
 * They share only the outbox file (sqlite serialises the writers) and gw_health (mutex).
 * SIGTERM/SIGINT: stop taking, let the forwarder finish its request, exit 0. SIGHUP is
 * ignored (a restart applies a new config and loses nothing).
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef CW_GW_RTSP
#include <gst/gst.h>
#endif

#include "cwtime.h"
#include "event.h"
#include "gw_config.h"
#include "gw_csv.h"
#include "gw_forward.h"
#include "gw_http.h"
#include "gw_map.h"
#include "gw_odbc.h"
#include "gw_outbox.h"
#include "gw_rtsp.h"
#include "gw_take.h"

static gw_app *g_app;

static void on_signal(int sig)
{
    (void)sig;
    if (g_app) {
        g_app->stop = 1;
        if (g_app->lws) lws_cancel_service(g_app->lws);
    }
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: citywall-gateway --config FILE [--check-config | --status | --dry-run FILE "
            "[--input NAME]]\n"
            "  --config FILE     the gateway's YAML configuration (docs/gateway.md)\n"
            "  --check-config    validate it and exit (errors as FILE:LINE: FIELD: problem)\n"
            "  --dry-run FILE    print the events a sample input would produce (JSON lines on\n"
            "                    stdout; mapping errors on stderr); FILE is a JSON document or\n"
            "                    JSON lines (webhook inputs) or a CSV file; for an ODBC input\n"
            "                    FILE is ignored and the table's first 20 rows are read; for\n"
            "                    an RTSP input every camera is probed once\n"
            "  --input NAME      the input --dry-run uses (default: the first of FILE's kind)\n"
            "  --status          print the outbox's state (depth, last acks, positions) as JSON\n"
            "  --help, --version\n"
            "Exit status: 0 success, 1 runtime failure, 2 bad usage or configuration.\n");
}

/* ---- poller thread ------------------------------------------------------------------- */

typedef struct poller {
    gw_app *app;
    gw_taker t;
    gw_odbc **odbc; /* per input (NULL for other kinds) */
    int64_t *due;   /* per input, CLOCK_MONOTONIC ms */
    int64_t hb_due, depth_due, prune_due;
    pthread_t thread;
} poller;

static void refresh_depth(poller *pl)
{
    gw_app *app = pl->app;
    int64_t depth = gw_outbox_depth(pl->t.ob);
    int64_t q = gw_outbox_quarantine_count(pl->t.ob);
    if (depth < 0) return;
    pthread_mutex_lock(&app->h.mu);
    bool was_alarm = app->h.alarm, was_full = app->h.full;
    app->h.depth = depth;
    app->h.quarantined = q;
    app->h.alarm = depth > app->cfg->alarm_events;
    app->h.full = depth >= app->cfg->max_events;
    bool alarm = app->h.alarm, full = app->h.full;
    char last_error[256];
    snprintf(last_error, sizeof last_error, "%s", app->h.last_error);
    pthread_mutex_unlock(&app->h.mu);
    if (alarm && !was_alarm)
        fprintf(stderr,
                "citywall-gateway: ALARM: the outbox holds %lld events (alarm_events %lld): the "
                "hub is not taking them (last error: %s)\n",
                (long long)depth, app->cfg->alarm_events, last_error[0] ? last_error : "none");
    if (!alarm && was_alarm)
        fprintf(stderr, "citywall-gateway: alarm cleared: the outbox holds %lld events\n",
                (long long)depth);
    if (full && !was_full)
        fprintf(stderr,
                "citywall-gateway: ALARM: the outbox is full (%lld events, max_events %lld): "
                "inputs are refused until the hub takes events\n",
                (long long)depth, app->cfg->max_events);
    if (!full && was_full) fprintf(stderr, "citywall-gateway: the outbox takes events again\n");
}

/* One hall.heartbeat per configured hall, unless one is still waiting in the outbox. */
static void heartbeats(poller *pl)
{
    const gw_cfg *c = pl->app->cfg;
    if (!c->nhalls) return;
    if (gw_take_begin(&pl->t) < 0) return;
    char at[40];
    cwt_format_local(cwt_real_ms(), at);
    for (int i = 0; i < c->nhalls; i++) {
        if (gw_outbox_pending_type(pl->t.ob, c->halls[i], c->heartbeat_feed, "hall.heartbeat") != 0)
            continue;
        json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:{}}", "hall", c->halls[i], "feed",
                               c->heartbeat_feed, "type", "hall.heartbeat", "at", at, "data");
        int rc = ev ? gw_outbox_add(pl->t.ob, ev, NULL) : -1;
        json_decref(ev);
        if (rc < 0) {
            gw_take_rollback(&pl->t);
            return;
        }
        pl->t.pending++;
    }
    gw_take_commit(&pl->t);
}

static void *poller_main(void *arg)
{
    poller *pl = arg;
    gw_app *app = pl->app;
    const gw_cfg *c = app->cfg;
    while (!app->stop) {
        int64_t now = cwt_mono_ms();
        if (now >= pl->depth_due) {
            refresh_depth(pl);
            pl->depth_due = now + 1000;
        }
        if (now >= pl->prune_due) { /* webhook record ids older than dedupe_days */
            for (int i = 0; i < c->ninputs; i++)
                if (c->inputs[i].dedupe_days > 0)
                    gw_outbox_prune_seen(pl->t.ob, c->inputs[i].name,
                                         cwt_real_ms() -
                                             (int64_t)c->inputs[i].dedupe_days * 86400000);
            pl->prune_due = now + 3600 * 1000;
        }
        if (c->nhalls && now >= pl->hb_due) {
            heartbeats(pl);
            pl->hb_due = now + (int64_t)c->heartbeat_s * 1000;
        }
        for (int i = 0; i < c->ninputs && !app->stop; i++) {
            const gw_input *in = &c->inputs[i];
            if (in->kind == GW_IN_HTTP || now < pl->due[i]) continue;
            pl->due[i] = now + in->poll_ms;
            if (in->kind == GW_IN_CSV) {
                if (gw_csv_scan(&pl->t, in) < 0) pl->due[i] = now + 5000;
            } else if (in->kind == GW_IN_ODBC) {
                int n = gw_odbc_poll(pl->odbc[i], &pl->t);
                if (n >= in->batch) pl->due[i] = now; /* more waiting: poll again at once */
            }
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* ---- modes --------------------------------------------------------------------------- */

static int mode_status(gw_cfg *c)
{
    char err[512];
    gw_outbox *o = gw_outbox_open(c->outbox, true, err, sizeof err);
    if (!o) {
        fprintf(stderr, "citywall-gateway: %s\n", err);
        return 1;
    }
    json_t *st = gw_outbox_status(o);
    gw_outbox_close(o);
    if (!st) {
        fprintf(stderr, "citywall-gateway: %s: cannot read the outbox\n", c->outbox);
        return 1;
    }
    json_int_t depth = json_integer_value(json_object_get(st, "outbox_depth"));
    json_object_set_new(st, "outbox", json_string(c->outbox));
    json_object_set_new(st, "alarm", json_boolean(depth > c->alarm_events));
    json_object_set_new(st, "full", json_boolean(depth >= c->max_events));
    json_dumpf(st, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
    fputc('\n', stdout);
    json_decref(st);
    return 0;
}

static const gw_input *pick_input(const gw_cfg *c, const char *name, const char *file)
{
    if (name) return gw_config_input(c, name);
    size_t n = strlen(file);
    gw_kind want = n > 4 && !strcasecmp(file + n - 4, ".csv") ? GW_IN_CSV : GW_IN_HTTP;
    for (int i = 0; i < c->ninputs; i++)
        if (c->inputs[i].kind == want) return &c->inputs[i];
    return c->ninputs ? &c->inputs[0] : NULL;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (n + 1 < cap) break;
        cap *= 2;
        char *b = realloc(buf, cap);
        if (!b) {
            free(buf);
            buf = NULL;
        }
        buf = b;
    }
    fclose(fp);
    if (buf) buf[n] = '\0';
    *len = n;
    return buf;
}

static int mode_dry_run(gw_cfg *c, const char *file, const char *input)
{
    const gw_input *in = pick_input(c, input, file);
    if (!in) {
        fprintf(stderr, "citywall-gateway: --input %s: no such input in %s\n",
                input ? input : "(any)", c->path);
        return 2;
    }
    json_t *recs = NULL;
    char err[600] = "";
    if (in->kind == GW_IN_RTSP) { /* probe each camera once */
#ifdef CW_GW_RTSP
        gst_init(NULL, NULL);
#endif
        char at[40];
        for (int i = 0; i < in->ncameras; i++) {
            const gw_camera *cam = &in->cameras[i];
            int st = gw_rtsp_probe(cam->sub ? cam->sub : cam->url, in->timeout_ms);
            json_t *ev =
                json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "hall", in->hall, "feed", in->feed,
                          "type", "camera.status", "at", cwt_format_local(cwt_real_ms(), at),
                          "data", "camera", cam->id, "status", ev_cam_status_name(st));
            json_t *data = json_object_get(ev, "data");
            if (cam->url) json_object_set_new(data, "main", json_string(cam->url));
            if (cam->sub) json_object_set_new(data, "sub", json_string(cam->sub));
            json_dumpf(ev, stdout, JSON_COMPACT | JSON_SORT_KEYS);
            fputc('\n', stdout);
            json_decref(ev);
        }
        return 0;
    }
    if (in->kind == GW_IN_ODBC) {
        recs = gw_odbc_fetch_sample(in, 20, err, sizeof err);
    } else {
        size_t len;
        char *text = slurp(file, &len);
        if (!text) {
            fprintf(stderr, "citywall-gateway: %s: %s\n", file, strerror(errno));
            return 1;
        }
        if (in->kind == GW_IN_CSV)
            recs = gw_csv_parse(text, len, in->delimiter);
        else {
            json_error_t jerr;
            recs = json_loadb(text, len, 0, &jerr);
            if (json_is_object(recs)) {
                json_t *a = json_array();
                json_array_append_new(a, recs);
                recs = a;
            } else if (!json_is_array(recs)) { /* JSON lines */
                json_decref(recs);
                recs = json_array();
                for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                    if (!line[strspn(line, " \t\r")]) continue;
                    json_t *r = json_loads(line, 0, &jerr);
                    json_array_append_new(recs, r ? r : json_string(line));
                }
            }
        }
        free(text);
    }
    if (!recs) {
        fprintf(stderr, "citywall-gateway: input %s: cannot read a sample: %s\n", in->name,
                err[0] ? err : file);
        return 1;
    }
    size_t i, ok = 0, bad = 0;
    json_t *rec;
    json_array_foreach(recs, i, rec)
    {
        char ref[300], rref[400];
        long long line = json_integer_value(json_object_get(rec, "__line"));
        if (line)
            snprintf(ref, sizeof ref, "%s:%lld", file, line);
        else
            snprintf(ref, sizeof ref, "%zu", i);
        const char *e = json_string_value(json_object_get(rec, "__error"));
        if (e) {
            fprintf(stderr, "quarantine: input %s: record %s: %s\n", in->name, ref, e);
            bad++;
            continue;
        }
        json_object_del(rec, "__line");
        json_object_del(rec, "__raw");
        json_t *ev = gw_map_record(in, c->city, rec, gw_map_ref(in, rec, ref, rref, sizeof rref),
                                   err, sizeof err);
        if (!ev) {
            fprintf(stderr, "quarantine: %s\n", err);
            bad++;
            continue;
        }
        json_dumpf(ev, stdout, JSON_COMPACT | JSON_SORT_KEYS);
        fputc('\n', stdout);
        json_decref(ev);
        ok++;
    }
    json_decref(recs);
    fprintf(stderr, "citywall-gateway: input %s: %zu events, %zu quarantined\n", in->name, ok, bad);
    return 0;
}

static int mode_run(gw_cfg *c)
{
    static gw_app app;
    memset(&app, 0, sizeof app);
    app.cfg = c;
    pthread_mutex_init(&app.h.mu, NULL);
    char err[512];
    app.svc.cfg = c;
    app.svc.h = &app.h;
    app.svc.ob = gw_outbox_open(c->outbox, false, err, sizeof err);
    if (!app.svc.ob) {
        fprintf(stderr, "citywall-gateway: outbox: %s\n", err);
        return 1;
    }
    poller pl = {.app = &app};
    pl.t = app.svc;
    pl.t.ob = gw_outbox_open(c->outbox, false, err, sizeof err);
    pl.odbc = calloc((size_t)(c->ninputs + 1), sizeof *pl.odbc);
    pl.due = calloc((size_t)(c->ninputs + 1), sizeof *pl.due);
    if (!pl.t.ob || !pl.odbc || !pl.due) {
        fprintf(stderr, "citywall-gateway: outbox: %s\n", err);
        return 1;
    }
    for (int i = 0; i < c->ninputs; i++)
        if (c->inputs[i].kind == GW_IN_ODBC) pl.odbc[i] = gw_odbc_new(&c->inputs[i]);
    g_app = &app;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN); /* no reload: restart to apply a new config (nothing is lost) */
    if (gw_http_start(&app) < 0) return 1;
    app.fwd = gw_forward_start(c, &app.h, err, sizeof err);
    if (!app.fwd) {
        fprintf(stderr, "citywall-gateway: forwarder: %s\n", err);
        gw_http_stop(&app);
        return 1;
    }
    app.svc.fwd = app.fwd;
    pl.t.fwd = app.fwd;
    refresh_depth(&pl);
    fprintf(stderr,
            "citywall-gateway: %s: outbox %s (%lld events waiting), %d inputs, hub %s%s, "
            "listening on %s\n",
            c->name ? c->name : "gateway", c->outbox, (long long)app.h.depth, c->ninputs,
            c->hub_urls[0], c->nhub > 1 ? " (+ others in turn)" : "",
            c->listen ? c->listen : "(nothing)");
    if (pthread_create(&pl.thread, NULL, poller_main, &pl) != 0) {
        fprintf(stderr, "citywall-gateway: cannot start the poller thread\n");
        return 1;
    }
    err[0] = '\0';
    gw_rtsp *rtsp = gw_rtsp_start(&pl.t, &app.stop, err, sizeof err);
    if (!rtsp && err[0]) fprintf(stderr, "citywall-gateway: cameras: %s\n", err);
    while (!app.stop)
        if (lws_service(app.lws, 0) < 0) break;
    app.stop = 1;
    pthread_join(pl.thread, NULL);
    gw_rtsp_stop(rtsp);
    gw_forward_stop(app.fwd);
    gw_http_stop(&app);
    for (int i = 0; i < c->ninputs; i++)
        gw_odbc_free(pl.odbc[i]);
    free(pl.odbc);
    free(pl.due);
    gw_outbox_close(pl.t.ob);
    gw_outbox_close(app.svc.ob);
    pthread_mutex_destroy(&app.h.mu);
    g_app = NULL;
    fprintf(stderr, "citywall-gateway: stopped\n");
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},  {"check-config", no_argument, NULL, 'k'},
        {"dry-run", required_argument, NULL, 'd'}, {"input", required_argument, NULL, 'i'},
        {"status", no_argument, NULL, 's'},        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0}};
    const char *config = NULL, *dry = NULL, *input = NULL;
    bool check = false, status = false;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            config = optarg;
            break;
        case 'k':
            check = true;
            break;
        case 'd':
            dry = optarg;
            break;
        case 'i':
            input = optarg;
            break;
        case 's':
            status = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("citywall-gateway %s\n", CW_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || !config || (check + status + (dry != NULL)) > 1) {
        if (optind < argc) fprintf(stderr, "citywall-gateway: unexpected '%s'\n", argv[optind]);
        if (!config) fprintf(stderr, "citywall-gateway: --config FILE is required\n");
        usage(stderr);
        return 2;
    }
    char *errors = NULL;
    gw_cfg *c = gw_config_load(config, &errors);
    if (!c) {
        fputs(errors ? errors : "citywall-gateway: out of memory\n", stderr);
        free(errors);
        return 2;
    }
    if (c->city && c->city->city.timezone) cwt_set_timezone(c->city->city.timezone);
    int rc;
    if (check) {
        printf("%s: OK (%d inputs, %d hubs)\n", config, c->ninputs, c->nhub);
        rc = 0;
    } else if (status)
        rc = mode_status(c);
    else if (dry)
        rc = mode_dry_run(c, dry, input);
    else {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        rc = mode_run(c);
        curl_global_cleanup();
    }
    gw_config_free(c);
    return rc;
}
