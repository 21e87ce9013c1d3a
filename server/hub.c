/* hub: the service thread's wakeups, the connection registry, periodic housekeeping
 * (snapshots, roll-ups, retention) and config reload. See hub.h. */
#include "hub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "auth.h"
#include "http.h"
#include "ingest_ws.h"
#include "ingest.h"
#include "live.h"

/* A snapshot bounds what a restart replays: at most 10 s or 100k events of work, but never
 * more often than every 2 s (building one costs the service thread ~2 us per ticket). */
#define SNAPSHOT_EVERY_MS 10000
#define SNAPSHOT_EVERY_EVENTS 100000
#define SNAPSHOT_MIN_MS 2000
#define RETENTION_EVERY_MS 10000

const double hub_hist_bounds[HUB_HIST_BUCKETS] = {0.5, 1,   2,   5,    10,   20,   50,
                                                  75,  100, 150, 250, 500, 1000, 5000};

void hub_hist_add(hub_hist *h, double ms)
{
    int i = 0;
    while (i < HUB_HIST_BUCKETS && ms > hub_hist_bounds[i]) i++;
    h->counts[i]++;
    h->sum += ms;
    h->n++;
}

int64_t hub_now(const hub_t *hub)
{
    return cwt_clock_now(&hub->clock);
}

void hub_wake(void *ud)
{
    hub_t *hub = ud;
    if (hub->lws) lws_cancel_service(hub->lws);
}

/* ---- connection registry (service thread) ----------------------------------------------- */

typedef struct reg_slot {
    uint64_t id; /* 0 empty, UINT64_MAX tombstone */
    void *p;
} reg_slot;

static reg_slot *reg;
static size_t reg_cap, reg_used;
static uint64_t reg_next = 1;

static void reg_grow(void)
{
    size_t old = reg_cap;
    reg_slot *o = reg;
    reg_cap = reg_cap ? reg_cap * 2 : 1024;
    reg = calloc(reg_cap, sizeof(*reg));
    reg_used = 0;
    for (size_t i = 0; i < old; i++)
        if (o[i].id && o[i].id != UINT64_MAX) {
            size_t k = (o[i].id * 11400714819323198485ULL) & (reg_cap - 1);
            while (reg[k].id) k = (k + 1) & (reg_cap - 1);
            reg[k] = o[i];
            reg_used++;
        }
    free(o);
}

uint64_t hub_conn_register(void *pss)
{
    if ((reg_used + 1) * 2 > reg_cap) reg_grow();
    uint64_t id = reg_next++;
    size_t k = (id * 11400714819323198485ULL) & (reg_cap - 1);
    while (reg[k].id && reg[k].id != UINT64_MAX) k = (k + 1) & (reg_cap - 1);
    reg[k].id = id;
    reg[k].p = pss;
    reg_used++;
    return id;
}

static reg_slot *reg_find(uint64_t id)
{
    if (!reg_cap || !id) return NULL;
    size_t k = (id * 11400714819323198485ULL) & (reg_cap - 1);
    for (size_t n = 0; n < reg_cap && reg[k].id; n++, k = (k + 1) & (reg_cap - 1))
        if (reg[k].id == id) return &reg[k];
    return NULL;
}

void hub_conn_unregister(uint64_t id)
{
    reg_slot *s = reg_find(id);
    if (s) {
        s->id = UINT64_MAX; /* tombstone keeps probe chains intact */
        s->p = NULL;
    }
}

void *hub_conn_lookup(uint64_t id)
{
    reg_slot *s = reg_find(id);
    return s ? s->p : NULL;
}

/* ---- durable side-writes ---------------------------------------------------------------- */

void hub_store_fire(hub_t *hub, store_job *job)
{
    if (!job) return;
    job->owner_kind = HUB_OWNER_NONE;
    store_submit(hub->store, job);
}

void hub_audit(hub_t *hub, const char *user, const char *action, const char *detail)
{
    store_job *j = store_job_new_sql("INSERT INTO audit(at_ms, user, action, detail) VALUES(?,?,?,?)");
    store_job_arg_int(j, cwt_real_ms());
    store_job_arg_text(j, user);
    store_job_arg_text(j, action);
    store_job_arg_text(j, detail);
    hub_store_fire(hub, j);
}

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
        store_job *j = store_job_new_sql(
            "INSERT OR REPLACE INTO rollups(hall, minute_ms, kpi) VALUES(?,?,?)");
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
    live_reconfigure(hub->live);
    cfg_free(old);
    fprintf(stderr, "citywall-hub: config reloaded from %s (%d halls)\n", hub->cfg_path,
            n->nhalls);
    hub_audit(hub, "system", "config_reload", hub->cfg_path);
}

void hub_service_wakeup(hub_t *hub)
{
    if (atomic_exchange(&hub->sig_hup, 0)) reload(hub);
    if (atomic_exchange(&hub->sig_term, 0) && !hub->stopping) {
        fprintf(stderr, "citywall-hub: SIGTERM: finishing in-flight work, closing clients\n");
        hub->stopping = true;
        live_shutdown(hub->live);
    }
    bool applied = false;
    for (store_job *j = store_take_done(hub->store), *next; j; j = next) {
        next = j->next;
        if (j->rc == 0) hub_hist_add(&hub->m.commit_ms, (double)j->commit_us / 1000.0);
        if (j->kind == STORE_JOB_EVENTS) {
            ingest_apply(hub, j);
            applied = true;
            if (j->owner_kind == HUB_OWNER_HTTP) http_deliver_job(hub, j);
            if (j->owner_kind == HUB_OWNER_WS_INGEST) ingest_ws_deliver(hub, j);
            ingest_job_free(j);
        } else {
            if (j->rc < 0) fprintf(stderr, "citywall-hub: store write failed: %s\n", j->err);
            if (j->owner_kind == HUB_OWNER_LOGIN && j->ctx) {
                auth_login_result *r = j->ctx;
                if (j->rc < 0) { /* the session is not durable: no cookie */
                    r->ok = false;
                    r->status = 503;
                }
                http_deliver_login(hub, r);
                free(r);
                j->ctx = NULL;
            }
            store_job_free(j);
        }
    }
    if (applied) {
        live_note_ack(hub->live, cwt_mono_ms() * 1000);
        live_changed(hub->live);
    }
    for (auth_login_result *r = auth_take_logins(hub->auth), *n; r; r = n) {
        n = r->next;
        http_deliver_login(hub, r);
        free(r);
    }
}

/* Every second of real time. */
static void housekeeping(lws_sorted_usec_list_t *sul)
{
    hub_t *hub = lws_container_of(sul, hub_t, sul_housekeeping);
    if (hub->ready) {
        rollup(hub);
        retention(hub);
        int64_t since = cwt_mono_ms() - hub->last_snapshot_mono;
        if (hub->applied_since_snapshot &&
            (since >= SNAPSHOT_EVERY_MS ||
             (hub->applied_since_snapshot >= SNAPSHOT_EVERY_EVENTS && since >= SNAPSHOT_MIN_MS)))
            hub_save_snapshot(hub);
    }
    lws_sul_schedule(hub->lws, 0, &hub->sul_housekeeping, housekeeping, 1000 * 1000);
}

void hub_start_housekeeping(hub_t *hub)
{
    hub->last_snapshot_mono = cwt_mono_ms();
    lws_sul_schedule(hub->lws, 0, &hub->sul_housekeeping, housekeeping, 1000 * 1000);
}
