/* hub_loop: the top of the hub -- what drives the modules on the service thread.
 *
 *   wakeups    other threads (store writer, login worker, webhook sender, signals) call
 *              hub_wake -> lws_cancel_service -> LWS_CALLBACK_EVENT_WAIT_CANCELLED, which lws
 *              broadcasts to every protocol; this file's protocol takes it: signals (reload,
 *              stop), the store's finished jobs (each handed to the completion its submitter
 *              set), finished logins;
 *   one timer  every live tick: state_advance, alerts_tick, live_tick; once a second the
 *              housekeeping (per-minute roll-ups, retention, periodic snapshots);
 *   reload     SIGHUP: a new config, each module reconfigured, or the old one kept.
 *
 * Calls go down from here; nothing calls up into it but the wakeup. Thread: service thread.
 */
#include "hub_loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "auth.h"
#include "cluster.h"
#include "live.h"
#include "stats_hub.h"
#include "wallctl.h"

/* A snapshot bounds what a restart replays: at most 10 s or 100k events of work, but never
 * more often than every 2 s (building one costs the service thread ~2 us per ticket). */
#define SNAPSHOT_EVERY_MS 10000
#define SNAPSHOT_EVERY_EVENTS 100000
#define SNAPSHOT_MIN_MS 2000
#define RETENTION_EVERY_MS 10000
#define HOUSEKEEPING_EVERY_MS 1000

static void housekeeping(hub_t *hub);

static void save_now_ms(hub_t *hub)
{
    store_job *j = store_job_new_sql("INSERT OR REPLACE INTO meta(key, value) VALUES('now_ms', ?)");
    store_job_arg_int(j, hub_now(hub));
    hub_store_fire(hub, j);
}

void hub_save_snapshot(hub_t *hub)
{
    /* a compact binary image (state_bin.c): cheap to build here, cheap to load at restart */
    unsigned char *img = NULL;
    size_t len = 0;
    if (state_save_bin(hub->state, &img, &len) < 0) return;
    store_job *j = store_job_new_sql(
        "INSERT OR REPLACE INTO snapshots(id, event_id, saved_ms, body) VALUES(1, ?, ?, ?)");
    store_job_arg_int(j, hub->last_applied_id);
    store_job_arg_int(j, hub_now(hub));
    store_job_arg_blob(j, img, len);
    hub_store_fire(hub, j);
    save_now_ms(hub);
    hub->applied_since_snapshot = 0;
    hub->last_snapshot_mono = cwt_mono_ms();
    hub->m.snapshots_saved++;
}

/* Per-minute KPI roll-ups of every hall and the city ("*"), for /api/v1/history. */
static void rollup(hub_t *hub)
{
    int64_t minute = hub_now(hub) / 60000 * 60000;
    if (minute == hub->last_rollup_minute) return;
    hub->last_rollup_minute = minute;
    state_view all = {.halls = NULL, .names = false, .urls = false};
    json_t *city = state_city(hub->state, &all);
    for (int h = -1; h < hub->cfg->nhalls; h++) {
        json_t *kpi = h < 0 ? json_object_get(city, "kpi") : state_hall_kpi(hub->state, h);
        char *s = json_dumps(kpi, JSON_COMPACT);
        if (h >= 0) json_decref(kpi);
        if (!s) continue;
        store_job *j =
            store_job_new_sql("INSERT OR REPLACE INTO rollups(hall, minute_ms, kpi) VALUES(?,?,?)");
        store_job_arg_text(j, h < 0 ? "*" : hub->cfg->halls[h].id);
        store_job_arg_int(j, minute);
        j->args[j->nargs].is_text = true;
        j->args[j->nargs++].text = s;
        hub_store_fire(hub, j);
    }
    json_decref(city);
    save_now_ms(hub);
}

static void retention(hub_t *hub)
{
    static int64_t last;
    int64_t m = cwt_mono_ms();
    if (m - last < RETENTION_EVERY_MS) return;
    last = m;
    int64_t cutoff = hub_now(hub) - (int64_t)hub->cfg->retention_days * 86400000LL;
    /* bounded work: look only at the oldest rows (ids follow arrival order) */
    store_job *j = store_job_new_sql(
        "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT 20000)"
        " AND at_ms < ?");
    store_job_arg_int(j, cutoff);
    hub_store_fire(hub, j);
    j = store_job_new_sql(
        "DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine ORDER BY id LIMIT 20000)"
        " AND recv_ms < ?");
    store_job_arg_int(j, cutoff);
    hub_store_fire(hub, j);
    j = store_job_new_sql("DELETE FROM audit WHERE at_ms < ?");
    store_job_arg_int(j, cwt_real_ms() - 400LL * 86400000LL); /* audit: kept >= 180 days */
    hub_store_fire(hub, j);
}

static void reload(hub_t *hub)
{
    char *errors = NULL;
    cfg_t *n = cfg_load(hub->cfg_path, &errors);
    if (!n) {
        fprintf(stderr, "citywall-hub: config reload refused, keeping the running config:\n%s",
                errors ? errors : "");
        hub_audit(hub, "system", "config_reload_refused", errors);
        free(errors);
        return;
    }
    cfg_t *old = hub->cfg;
    hub->cfg = n;
    hub->cfg_gen++;
    hub_hall_info *hi = calloc(n->nhalls ? n->nhalls : 1, sizeof(*hi));
    if (hi) {
        free(hub->halls);
        hub->halls = hi;
        hub->nhalls = n->nhalls;
    }
    state_reconfigure(hub->state, n);
    auth_reconfigure(hub->auth);
    if (hub->alerts) alerts_reconfigure(hub->alerts);
    if (hub->wallctl) wallctl_reconfigure(hub->wallctl);
    live_reconfigure(hub->live);
    stats_hub_reload(hub);
    cfg_free(old);
    fprintf(stderr, "citywall-hub: config reloaded from %s (%d halls)\n", hub->cfg_path, n->nhalls);
    hub_audit(hub, "system", "config_reload", hub->cfg_path);
}

void hub_loop_take_completions(hub_t *hub)
{
    for (store_job *j = store_take_done(hub->store), *next; j; j = next) {
        next = j->next;
        j->next = NULL;
        if (j->rc == 0) hub_hist_add(&hub->m.commit_ms, (double)j->commit_us / 1000.0);
        if (j->done) {
            j->done(j); /* the submitter's: it owns the job now */
            continue;
        }
        if (j->rc < 0) fprintf(stderr, "citywall-hub: store write failed: %s\n", j->err);
        store_job_free(j);
    }
}

/* After lws_cancel_service (LWS_CALLBACK_EVENT_WAIT_CANCELLED): signals, the store's finished
 * jobs, finished logins. */
static void wakeup(hub_t *hub)
{
    if (atomic_exchange(&hub->sig_hup, 0)) reload(hub);
    if (atomic_exchange(&hub->sig_term, 0) && !hub->stopping) {
        fprintf(stderr, "citywall-hub: SIGTERM: finishing in-flight work, closing clients\n");
        hub->stopping = true;
        hub->stop_mono = cwt_mono_ms();
        live_shutdown(hub->live);
    }
    hub_loop_take_completions(hub);
    cluster_service(hub->cluster);
    auth_service(hub->auth);
}

/* The one periodic timer, every live tick (cfg tick_ms, real time): the business clock
 * moves the state (ages, day end), the alert rules run, the live view publishes what is due;
 * and once a second the housekeeping. */
static void tick(lws_sorted_usec_list_t *sul)
{
    hub_t *hub = lws_container_of(sul, hub_t, sul_tick);
    cluster_service(hub->cluster); /* ticks of the log's clock; batches waiting too long */
    if (hub->cluster && hub->alerts)
        alerts_set_sender(hub->alerts, cluster_is_notifier(hub->cluster));
    if (!hub->cluster) state_advance(hub->state, hub_now(hub)); /* cluster: the log's ticks */
    if (hub->alerts) alerts_tick(hub->alerts);
    if (hub->wallctl) wallctl_tick(hub->wallctl);
    live_tick(hub->live);
    int64_t m = cwt_mono_ms();
    if (m - hub->last_housekeeping_mono >= HOUSEKEEPING_EVERY_MS) {
        hub->last_housekeeping_mono = m;
        housekeeping(hub);
    }
    lws_sul_schedule(hub->lws, 0, &hub->sul_tick, tick, (lws_usec_t)hub->cfg->tick_ms * 1000);
}

static void housekeeping(hub_t *hub)
{
    if (!hub->ready) return;
    rollup(hub);
    retention(hub);
    stats_daily_tick(hub);
    int64_t since = cwt_mono_ms() - hub->last_snapshot_mono;
    if (hub->applied_since_snapshot &&
        (since >= SNAPSHOT_EVERY_MS ||
         (hub->applied_since_snapshot >= SNAPSHOT_EVERY_EVENTS && since >= SNAPSHOT_MIN_MS)))
        hub_save_snapshot(hub);
}

void hub_loop_start(hub_t *hub)
{
    hub->last_snapshot_mono = hub->last_housekeeping_mono = cwt_mono_ms();
    lws_sul_schedule(hub->lws, 0, &hub->sul_tick, tick, (lws_usec_t)hub->cfg->tick_ms * 1000);
}

int hub_loop_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len)
{
    (void)user;
    (void)in;
    (void)len;
    if (reason != LWS_CALLBACK_EVENT_WAIT_CANCELLED) return 0;
    struct lws_vhost *vh = lws_get_vhost(wsi);
    hub_t *hub = vh ? lws_get_vhost_user(vh) : NULL;
    if (hub) wakeup(hub);
    return 0;
}
