/* citywall-hub: command line, startup (config, store, recovery), the service loop, and
 * signals (SIGTERM: drain and exit 0; SIGHUP: reload the config). */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "alerts.h"
#include "auth.h"
#include "cluster.h"
#include "http.h"
#include "hub_evloop.h"
#include "hub_loop.h"
#include "ingest_ws.h"
#include "hub.h"
#include "hublog.h"
#include "ingest.h"
#include "live.h"
#include "replicate.h"
#include "stats_hub.h"
#include "wallctl.h"
#include "xalloc.h"

#define DRAIN_MAX_MS 5000

static void usage(FILE *f)
{
    fprintf(f,
            "usage: citywall-hub --config FILE [--listen HOST:PORT] [--db PATH] [--check-config]\n"
            "                    [--clock START[@SPEED]] [--webhook URL]... [--backup FILE]\n"
            "                    [--hub-id NAME] [--rebuild-rollups] [--no-rollups]\n"
            "                    [--event-loop uv|poll]\n"
            "       citywall-hub --hash-password < password\n"
            "       citywall-hub --config FILE --demo-start\n"
            "\n"
            "  --config FILE       the YAML configuration (docs/config.md)\n"
            "  --listen HOST:PORT  override server.listen\n"
            "  --db PATH           override server.db\n"
            "  --check-config      validate the configuration and exit\n"
            "  --clock START@SPEED business clock: start instant (RFC 3339) and speed\n"
            "  --webhook URL       add an Alertmanager receiver\n"
            "  --backup FILE       write an online consistent copy of the store to FILE, exit\n"
            "  --hub-id NAME       this hub's name in a cluster (override cluster.hub_id)\n"
            "  --rebuild-rollups   rebuild the statistics roll-ups from the stored events, exit\n"
            "                      (the hub must not be running on that store)\n"
            "  --no-rollups        serve without keeping the statistics roll-ups (benchmarks)\n"
            "  --event-loop uv|poll  the loop under the connections: libwebsockets' own poll()\n"
            "                      over every socket (default) or libuv's epoll\n"
            "  --hash-password     read a password on stdin, print its Argon2id hash\n"
            "  --demo-start        print 08:45 of the next working day (for the demo clock)\n"
            "\n"
            "Documentation (in the citywall source tree): README.md (running, operations),\n"
            "docs/config.md (the configuration file), docs/alerts.md (alert rules and webhooks),\n"
            "docs/dashboard.md (the browser dashboard), docs/cluster.md (several hubs on NATS),\n"
            "docs/statistics.md (statistics and reports), docs/decisions.md (behaviour in\n"
            "detail).\n");
}

static int hash_password(void)
{
    char pw[1024];
    if (!fgets(pw, sizeof(pw), stdin)) {
        fprintf(stderr, "citywall-hub: --hash-password: no password on stdin\n");
        return 1;
    }
    pw[strcspn(pw, "\r\n")] = 0;
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        fprintf(stderr, "citywall-hub: out of memory hashing the password\n");
        return 1;
    }
    printf("%s\n", out);
    return 0;
}

static int split_listen(const char *listen, char *host, size_t hn, int *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon) return -1;
    size_t n = (size_t)(colon - listen);
    if (n >= hn) return -1;
    memcpy(host, listen, n);
    host[n] = 0;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535) return -1;
    *port = (int)p;
    return 0;
}

/* 08:45 of the next working day (today if it is one and 08:45 is still ahead). */
static void print_demo_start(const cfg_t *cfg)
{
    cwt_local lt;
    int64_t now = cwt_real_ms();
    cwt_to_local(now, &lt);
    const int64_t open_ms = (8 * 60 + 45) * 60000LL;
    int64_t day = lt.day_start_ms;
    bool first = true;
    for (int k = 0; k < 60; k++) {
        cwt_local d;
        cwt_to_local(day + 12 * 3600000LL, &d); /* noon: safe from DST edges */
        if (cfg_is_workday(cfg, d.date, d.weekday) && (!first || now < d.day_start_ms + open_ms))
            break;
        first = false;
        day = d.day_start_ms + 36 * 3600000LL; /* into the next day */
        cwt_to_local(day, &d);
        day = d.day_start_ms;
    }
    cwt_local d;
    cwt_to_local(day + 12 * 3600000LL, &d);
    char out[40];
    cwt_format_local(d.day_start_ms + open_ms, out);
    printf("%s\n", out);
}

static void *signal_thread(void *arg)
{
    hub_t *hub = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    for (;;) {
        int sig;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGHUP)
            atomic_store(&hub->sig_hup, 1);
        else
            atomic_store(&hub->sig_term, 1);
        hub_wake(hub);
    }
    return NULL;
}

static void load_closures(hub_t *hub)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_reader(hub->store),
                           "SELECT hall, from_ms, to_ms, reason FROM closures", -1, &st,
                           NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int h = cfg_hall_index(hub->cfg, (const char *)sqlite3_column_text(st, 0));
        if (h >= 0)
            state_add_closure(hub->state, h, sqlite3_column_int64(st, 1),
                              sqlite3_column_int64(st, 2),
                              (const char *)sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
}

/* What the command line asks for. */
typedef struct hub_opts {
    const char *config, *listen, *db, *clock_spec, *backup;
    bool check, demo_start, rebuild_rollups;
    hub_evloop_kind evloop; /* --event-loop */
} hub_opts;

/* Parses argv into o (and --webhook into hub). Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, hub_opts *o, hub_t *hub)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'},     {"listen", required_argument, 0, 'l'},
        {"db", required_argument, 0, 'd'},         {"check-config", no_argument, 0, 'k'},
        {"clock", required_argument, 0, 't'},      {"webhook", required_argument, 0, 'w'},
        {"backup", required_argument, 0, 'b'},     {"hash-password", no_argument, 0, 'p'},
        {"demo-start", no_argument, 0, 'D'},       {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},          {"hub-id", required_argument, 0, 'H'},
        {"rebuild-rollups", no_argument, 0, 'R'},  {"no-rollups", no_argument, 0, 'N'},
        {"event-loop", required_argument, 0, 'E'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config = optarg;
            break;
        case 'l':
            o->listen = optarg;
            break;
        case 'd':
            o->db = optarg;
            break;
        case 'k':
            o->check = true;
            break;
        case 't':
            o->clock_spec = optarg;
            break;
        case 'b':
            o->backup = optarg;
            break;
        case 'w':
            hub->extra_webhooks =
                cw_xrealloc(hub->extra_webhooks, sizeof(char *) * (hub->nextra_webhooks + 1));
            hub->extra_webhooks[hub->nextra_webhooks++] = optarg;
            break;
        case 'H':
            hub->hub_id_override = optarg;
            break;
        case 'p':
            return hash_password();
        case 'D':
            o->demo_start = true;
            break;
        case 'R':
            o->rebuild_rollups = true;
            break;
        case 'N':
            hub->no_rollups = true;
            break;
        case 'E':
            if (hub_evloop_parse(optarg, &o->evloop) < 0) {
                fprintf(stderr, "citywall-hub: --event-loop: '%s' is not uv or poll\n", optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("citywall-hub %s\n", CW_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "citywall-hub: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (!o->config) {
        fprintf(stderr, "citywall-hub: --config FILE is required\n");
        usage(stderr);
        return 2;
    }
    return -1;
}

/* Loads the config and does what needs no store open for long: --demo-start, --check-config,
 * --backup; checks --clock, --listen and the time zone. Returns -1 to go on serving on
 * host:port, else the exit code. */
static int prepare(const hub_opts *o, hub_t *hub, char *host, size_t hostlen, int *port)
{
    char *errors = NULL;
    hub->cfg = cfg_load(o->config, &errors);
    if (!hub->cfg) {
        fprintf(stderr, "%s", errors ? errors : "citywall-hub: cannot load config\n");
        free(errors);
        return 1;
    }
    if (o->demo_start) {
        if (cwt_set_timezone(hub->cfg->city.timezone) < 0) return 1;
        print_demo_start(hub->cfg);
        return 0;
    }
    char *warnings = cfg_warnings(hub->cfg);
    if (warnings) fprintf(stderr, "%s", warnings);
    free(warnings);
    if (o->check) {
        printf("%s: OK (%d halls)\n", o->config, hub->cfg->nhalls);
        return 0;
    }
    hub->cfg_path = cw_xstrdup(o->config);
    if (o->backup) {
        char err[256];
        const char *dbpath = o->db ? o->db : hub->cfg->db_path;
        if (store_backup(dbpath, o->backup, err, sizeof(err)) < 0) {
            fprintf(stderr, "citywall-hub: --backup: %s\n", err);
            return 1;
        }
        printf("citywall-hub: %s copied to %s\n", dbpath, o->backup);
        return 0;
    }
    if (o->clock_spec && cwt_clock_parse(&hub->clock, o->clock_spec) < 0) {
        fprintf(stderr,
                "citywall-hub: --clock: '%s' is not START[@SPEED] (RFC 3339 start, "
                "speed > 0)\n",
                o->clock_spec);
        return 2;
    }
    if (!o->clock_spec) cwt_clock_real(&hub->clock);
    const char *listen_s = o->listen ? o->listen : hub->cfg->listen;
    if (split_listen(listen_s, host, hostlen, port) < 0) {
        fprintf(stderr, "citywall-hub: --listen: '%s' is not HOST:PORT\n", listen_s);
        return 2;
    }
    if (cwt_set_timezone(hub->cfg->city.timezone) < 0) {
        fprintf(stderr, "citywall-hub: %s: city.timezone: unknown zone '%s'\n", o->config,
                hub->cfg->city.timezone);
        return 1;
    }
    if (o->rebuild_rollups) return stats_rebuild_main(hub->cfg, o->db ? o->db : hub->cfg->db_path);
    return -1;
}

/* Opens the store and rebuilds the state from its snapshot and the events after it; creates
 * the modules. Returns the number of events replayed, or -1 (logged). */
static int64_t open_state(hub_t *hub, const char *dbpath, int64_t t0)
{
    char *dir = cw_xstrdup(dbpath), *slash = strrchr(dir, '/'); /* its directory must exist */
    if (slash && slash != dir) {
        *slash = 0;
        mkdir(dir, 0755);
    }
    free(dir);
    char err[256];
    static const char *const schemas[] = {hub_schema, auth_schema, alerts_schema, stats_schema,
                                          NULL};
    hub->store = store_open(dbpath, schemas, hub->cfg->db_cache_mib, err, sizeof(err));
    if (!hub->store) {
        fprintf(stderr, "citywall-hub: store: %s\n", err);
        return -1;
    }
    if (stats_hub_attach(hub) < 0) return -1;
    /* the clock never runs backwards: not before the last saved time, nor before the newest
     * event's receipt (which may be younger than the last save) */
    int64_t floor_ms = 0, last_recv = store_last_recv_ms(hub->store);
    if (store_meta_get_int(hub->store, "now_ms", &floor_ms) != 1) floor_ms = 0;
    if (last_recv > floor_ms) floor_ms = last_recv;
    if (floor_ms) cwt_clock_floor(&hub->clock, floor_ms);
    store_meta_get_text(hub->store, "store_id", hub->store_id, sizeof(hub->store_id));
    unsigned char rnd[6];
    randombytes_buf(rnd, sizeof(rnd));
    hub->epoch[0] = 'e';
    sodium_bin2hex(hub->epoch + 1, sizeof(hub->epoch) - 1, rnd, sizeof(rnd));
    hub->nhalls = hub->cfg->nhalls;
    hub->halls = cw_xcalloc(hub->nhalls ? hub->nhalls : 1, sizeof(*hub->halls));
    /* cluster mode: the state's time is the log's (its ticks); every hub starts from the start
     * of the business day so that every hub holds the same state at the same log position,
     * whenever it started */
    int64_t t_state = hub_now(hub);
    if (hub->cfg->cluster.enabled) {
        cwt_local lt;
        cwt_to_local(t_state, &lt);
        t_state = lt.day_start_ms;
    }
    hub->state = state_create(hub->cfg, t_state);
    hub->auth = auth_create(hub);
    hub->live = live_create(hub);
    static hublog_ops log_ops;
    log_ops = ingest_log_ops;
    log_ops.command = repl_apply; /* cluster mode: operators' actions from other hubs */
    hublog_init(hub, &log_ops);
    if (!hub->state || !hub->auth || !hub->live) {
        fprintf(stderr, "citywall-hub: out of memory\n");
        return -1;
    }
    int64_t t_open = cwt_mono_ms();
    int64_t replayed = ingest_recover(hub);
    int64_t t_recover = cwt_mono_ms();
    if (replayed < 0) {
        fprintf(stderr, "citywall-hub: store: cannot read events for recovery\n");
        return -1;
    }
    if (!hub->cfg->cluster.enabled) state_advance(hub->state, hub_now(hub)); /* else the log's */
    load_closures(hub);
    auth_load_sessions(hub->auth);
    hub->alerts = alerts_create(hub);
    if (!hub->alerts) {
        fprintf(stderr, "citywall-hub: out of memory (alerts)\n");
        return -1;
    }
    if (!(hub->wallctl = wallctl_create(hub))) {
        fprintf(stderr, "citywall-hub: out of memory (walls)\n");
        return -1;
    }
    fprintf(stderr,
            "citywall-hub: startup: store open %lld ms, state recovery %lld ms (%lld events "
            "replayed), alerts and the rest %lld ms\n",
            (long long)(t_open - t0), (long long)(t_recover - t_open), (long long)replayed,
            (long long)(cwt_mono_ms() - t_recover));
    return replayed;
}

/* The lws context on host:port with the hub's protocols on the loop ev (of kind), then the
 * threads and timers. 0 or -1 (logged). */
static int start_serving(hub_t *hub, const char *host, int port, hub_evloop *ev,
                         hub_evloop_kind kind)
{
    static struct lws_protocols protocols[] = {
        {.name = "http", .callback = http_callback},
        {.name = "citywall-live.v1", .callback = live_callback, .rx_buffer_size = 65536},
        {.name = "citywall-ingest.v1", .callback = ingest_ws_callback, .rx_buffer_size = 65536},
        {.name = "citywall-hub-loop", .callback = hub_loop_callback}, /* wakeups only */
        {.name = NULL}};
    protocols[0].per_session_data_size = http_pss_size();
    protocols[1].per_session_data_size = live_pss_size();
    protocols[2].per_session_data_size = ingest_ws_pss_size();
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
    /* Liveness. lws's default validity timer pings a WebSocket after 300 s without a pong and
     * drops it, without a close frame, 10 s later; a pong waits behind the client's backlog, so
     * it dropped 1,000 healthy soak clients at once when the machine was loaded (with 60/120 s
     * too). Slow clients are SPEC §4's business (no bytes accepted for 30 s: 4008), so the
     * timer is off, and TCP keepalive finds a peer that is gone: the peer's kernel answers the
     * probes whatever its application's backlog, after 60 s idle, 3 probes 10 s apart. */
    static const lws_retry_bo_t no_validity = {.secs_since_valid_hangup = 0};
    struct lws_context_creation_info info = {
        .port = port,
        .iface = strcmp(host, "0.0.0.0") == 0 || !host[0] ? NULL : host,
        .protocols = protocols,
        .vhost_name = "citywall",
        .user = hub,
        .max_http_header_data = 8192,
        .timeout_secs = 30,
        .retry_and_idle_policy = &no_validity,
        .ka_time = 60,
        .ka_probes = 3,
        .ka_interval = 10,
        .options = LWS_SERVER_OPTION_VALIDATE_UTF8,
    };
    if (hub->cfg->tls_cert) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = hub->cfg->tls_cert;
        info.ssl_private_key_filepath = hub->cfg->tls_key;
    }
    if (hub_evloop_init(ev, kind, &info) < 0) return -1;
    hub->lws = lws_create_context(&info);
    if (!hub->lws) {
        fprintf(stderr, "citywall-hub: cannot listen on %s:%d\n", host, port);
        return -1;
    }
    snprintf(hub->origin_self, sizeof(hub->origin_self), "%s://%s:%d",
             hub->cfg->tls_cert ? "https" : "http", host, port);
    if (store_start(hub->store, hub_wake, hub) < 0) {
        fprintf(stderr, "citywall-hub: cannot start the store thread\n");
        return -1;
    }
    if (hub->cfg->cluster.enabled) {
        char err[300];
        hub->cluster = cluster_open(hub, err, sizeof err);
        if (!hub->cluster) {
            fprintf(stderr, "citywall-hub: %s\n", err);
            return -1;
        }
        cluster_stats cs;
        cluster_get_stats(hub->cluster, &cs);
        live_set_positional(hub->live, cs.applied_seq); /* revs are log positions */
        alerts_set_sender(hub->alerts, false); /* until this hub holds the notifier lease */
        snprintf(hub->operator_feed, sizeof hub->operator_feed, "operator.%s", cs.hub_id);
        hub->replicate = repl_publish;
    }
    if (alerts_start(hub->alerts) < 0)
        fprintf(stderr, "citywall-hub: warning: the webhook sender did not start\n");
    pthread_t sigt;
    pthread_create(&sigt, NULL, signal_thread, hub);
    pthread_detach(sigt);
    live_start(hub->live);
    hub_loop_start(hub);
    return 0;
}

/* The loop's question after each iteration: is the drain after SIGTERM over -- in-flight work
 * answered, clients closed, or DRAIN_MAX_MS gone? */
static bool drained(void *ud)
{
    hub_t *hub = ud;
    if (!hub->stopping) return false;
    live_stats ls;
    live_get_stats(hub->live, &ls);
    return (store_inflight(hub->store) == 0 && ls.clients == 0 && ingest_ws_shutdown() == 0) ||
           cwt_mono_ms() - hub->stop_mono > DRAIN_MAX_MS;
}

/* The last snapshot committed, then every module torn down in reverse order. */
static void shut_down(hub_t *hub, hub_evloop *ev)
{
    alerts_stop(hub->alerts);   /* the webhook sender wakes through hub->lws: stop it first */
    cluster_stop(hub->cluster); /* consume no more of the log; what was read is applied below */
    hub_save_snapshot(hub);
    /* wait for the last snapshot to commit; batches still in flight are applied (nobody is
     * left to answer) */
    while (store_inflight(hub->store) > 0) {
        hub_loop_take_completions(hub);
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    hub_loop_take_completions(hub);
    cluster_close(hub->cluster); /* batches still waiting for the log: 503, send again */
    hub->cluster = NULL;
    hub_evloop_destroy(ev);
    hub->lws = NULL;
    wallctl_destroy(hub->wallctl);
    hub->wallctl = NULL;
    alerts_destroy(hub->alerts); /* its last writes go in before the store closes */
    hub->alerts = NULL;
    store_close(hub->store);
    stats_hub_detach(hub);
    live_destroy(hub->live);
    auth_destroy(hub->auth);
    state_destroy(hub->state);
}

int main(int argc, char **argv)
{
    static hub_t hub;
    static hub_evloop ev;
    /* poll by default: under libuv, a full CI run once saw the hub stop answering after a
     * pipelined request (test_http_framing, not reproduced alone; docs/decisions.md) */
    hub_opts o = {.evloop = HUB_EVLOOP_POLL};
    if (sodium_init() < 0) {
        fprintf(stderr, "citywall-hub: libsodium failed to initialise\n");
        return 1;
    }
    int rc = parse_args(argc, argv, &o, &hub);
    char host[128];
    int port = 0;
    if (rc < 0) rc = prepare(&o, &hub, host, sizeof(host), &port);
    if (rc >= 0) {
        cfg_free(hub.cfg);
        free(hub.cfg_path);
        free(hub.extra_webhooks);
        return rc;
    }
    /* signals go to one thread; every thread created from here on inherits the mask */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    int64_t t0 = hub.started_mono = cwt_mono_ms();
    int64_t replayed = open_state(&hub, o.db ? o.db : hub.cfg->db_path, t0);
    if (replayed < 0 || start_serving(&hub, host, port, &ev, o.evloop) < 0) return 1;
    hub.ready = true;
    hub.ready_ms = cwt_mono_ms() - t0;
    malloc_trim(0); /* give back what decoding the snapshot and the replay used */
    if (replayed > 10000) hub_save_snapshot(&hub); /* the next restart starts from here */
    if (hub.cfg->demo_credentials)
        fprintf(stderr,
                "citywall-hub: WARNING: demo credentials are in use (see %s); never "
                "use them in production\n",
                o.config);
    char nowbuf[40];
    fprintf(stderr,
            "citywall-hub: listening on %s (epoch %s, business time %s, ready in %lld ms, "
            "%lld events replayed)\n",
            hub.origin_self, hub.epoch, cwt_format_local(hub_now(&hub), nowbuf),
            (long long)hub.ready_ms, (long long)replayed);
    hub_evloop_run(&ev, hub.lws, drained, &hub); /* until SIGTERM's drain is over */
    shut_down(&hub, &ev);
    free(hub.halls);
    free(hub.cfg_path);
    free(hub.extra_webhooks);
    cfg_free(hub.cfg);
    fprintf(stderr, "citywall-hub: stopped\n");
    return 0;
}
