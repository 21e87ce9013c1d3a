/* metrics: /metrics in the Prometheus text exposition format (SPEC §7). Every figure comes
 * from a live counter or a reading taken now; nothing is a placeholder. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "alerts.h"
#include "cluster.h"
#include "metrics.h"
#include "http_util.h"
#include "ingest_ws.h"
#include "live.h"
#include "wallctl.h"

typedef struct buf {
    char *s;
    size_t len, cap;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 16384;
        while (nc < b->len + (size_t)n + 1)
            nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) return;
        b->s = ns;
        b->cap = nc;
    }
}

static void counter(buf *b, const char *name, const char *help, uint64_t v)
{
    put(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
        (unsigned long long)v);
}

static void gauge(buf *b, const char *name, const char *help, double v)
{
    put(b, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, v);
}

/* A histogram kept in milliseconds, written in the base unit (Prometheus conventions: name
 * ends in _seconds, bounds and sum in seconds; promtool check metrics). */
static void histogram(buf *b, const char *name, const char *help, const hub_hist *h)
{
    put(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (int i = 0; i < HUB_HIST_BUCKETS; i++) {
        cum += h->counts[i];
        put(b, "%s_bucket{le=\"%g\"} %llu\n", name, hub_hist_bounds[i] / 1000.0,
            (unsigned long long)cum);
    }
    cum += h->counts[HUB_HIST_BUCKETS];
    put(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name,
        (unsigned long long)cum, name, h->sum / 1000.0, name, (unsigned long long)h->n);
}

static void view_line(void *ud, const char *view, int clients)
{
    buf *b = ud;
    put(b, "citywall_live_clients_by_view{view=\"%s\"} %d\n", view, clients);
}

static double rss_bytes(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    fclose(f);
    return (double)rss * (double)sysconf(_SC_PAGESIZE);
}

/* Cluster mode's log (only when a `cluster` section is configured). */
static void cluster_lines(buf *b, hub_t *hub)
{
    if (!hub->cluster) return;
    cluster_stats cs;
    cluster_get_stats(hub->cluster, &cs);
    gauge(b, "citywall_cluster_connected", "1 while connected to a NATS server", cs.connected);
    gauge(b, "citywall_cluster_applied_position",
          "last position of the replicated log applied to this hub's store",
          (double)cs.applied_seq);
    gauge(b, "citywall_cluster_lag_records", "records of the log not yet applied here",
          (double)cs.lag);
    gauge(b, "citywall_cluster_pending_batches", "batches published here, waiting for the log",
          cs.pending);
    counter(b, "citywall_cluster_published_total", "batches this hub published to the log",
            cs.published);
    counter(b, "citywall_cluster_publish_failed_total",
            "publishes the log refused or could not take (answered 503)", cs.publish_failed);
    counter(b, "citywall_cluster_timed_out_total",
            "batches answered 503 because the log did not confirm them in time", cs.timed_out);
    counter(b, "citywall_cluster_records_applied_total", "log records applied here",
            cs.records_applied);
    counter(b, "citywall_cluster_records_unreadable_total",
            "log records no hub could apply (skipped, logged)", cs.records_unreadable);
    counter(b, "citywall_cluster_apply_retries_total",
            "runs of log records that failed to commit here and were retried", cs.apply_retries);
}

/* Events in/s over the interval since the previous scrape (at least 1 s). */
static double events_rate(hub_t *hub, int64_t now)
{
    static uint64_t prev_n;
    static int64_t prev_ms;
    static double rate;
    if (!prev_ms) {
        prev_ms = hub->started_mono;
        prev_n = 0;
    }
    if (now - prev_ms >= 1000) {
        rate = (double)(hub->m.events_received - prev_n) * 1000.0 / (double)(now - prev_ms);
        prev_n = hub->m.events_received;
        prev_ms = now;
    }
    return rate;
}

/* Readiness, start-up, uptime, memory. */
static void process_lines(buf *b, hub_t *hub, bool healthy, int64_t now)
{
    gauge(b, "citywall_ready", "1 once the state is rebuilt and the store is writable",
          hub->ready && healthy);
    gauge(b, "citywall_startup_seconds", "time from start to ready",
          (double)hub->ready_ms / 1000.0);
    gauge(b, "citywall_uptime_seconds", "seconds since start",
          (double)(now - hub->started_mono) / 1000.0);
    gauge(b, "citywall_process_resident_bytes", "resident set size", rss_bytes());
}

/* What came in: requests, events by outcome, feeds. */
static void ingest_lines(buf *b, const hub_metrics *m, const store_stats *ss, double rate)
{
    counter(b, "citywall_http_requests_total", "HTTP requests", m->http_requests);
    counter(b, "citywall_ingest_requests_total", "ingest batches and WebSocket messages",
            m->ingest_requests);
    counter(b, "citywall_events_received_total", "events received", m->events_received);
    gauge(b, "citywall_events_in_per_second", "events received per second, since last scrape",
          rate);
    counter(b, "citywall_events_accepted_total", "events stored and applied", m->events_accepted);
    counter(b, "citywall_events_duplicate_total", "resends of stored events", m->events_duplicate);
    counter(b, "citywall_events_conflict_total",
            "resends with other content (quarantined as conflicts)", m->events_conflict);
    counter(b, "citywall_events_rejected_total", "invalid events (quarantined)",
            m->events_rejected);
    counter(b, "citywall_ingest_unavailable_total", "batches answered 503 (store failure)",
            m->ingest_503);
    counter(b, "citywall_events_skewed_total", "events whose at is > 5 min from receipt",
            m->skewed_events);
    counter(b, "citywall_events_clamped_total", "events with at in the future (clamped)",
            m->clamped_events);
    gauge(b, "citywall_feed_gap_events", "seqs missing below the high-water marks",
          (double)ss->gap_events);
    gauge(b, "citywall_feeds", "known (hall, feed) pairs", (double)ss->feeds);
}

/* The state's integrity counters, the store's transactions and quarantine, timings. */
static void state_store_lines(buf *b, hub_t *hub, const hub_metrics *m, const state_stats *st,
                              const store_stats *ss)
{
    counter(b, "citywall_state_unknown_tickets_total", "tickets first seen after issue (integrity)",
            st->unknown_tickets);
    counter(b, "citywall_state_late_events_total", "events of an earlier business day",
            st->late_events);
    counter(b, "citywall_state_bad_transitions_total", "events impossible in the ticket state",
            st->bad_transitions);
    gauge(b, "citywall_state_tickets", "tickets held for the business day", st->tickets);
    counter(b, "citywall_store_commits_total", "store transactions committed", ss->commits);
    counter(b, "citywall_store_failures_total", "store transactions rolled back", ss->failures);
    gauge(b, "citywall_store_healthy", "1 when the last transaction committed", ss->healthy);
    counter(b, "citywall_store_quarantined_total", "rows written to quarantine", ss->quarantined);
    /* all of sqlite's heap, its connections' page caches (cache_size, store.c) included: the
     * share of the resident set that grows with the database until the caches are full */
    gauge(b, "citywall_sqlite_memory_bytes", "memory sqlite holds (page caches included)",
          (double)sqlite3_memory_used());
    {
        sqlite3_stmt *q;
        double rows = 0;
        if (sqlite3_prepare_v2(store_reader(hub->store), "SELECT count(*) FROM quarantine", -1, &q,
                               NULL) == SQLITE_OK) {
            if (sqlite3_step(q) == SQLITE_ROW) rows = (double)sqlite3_column_int64(q, 0);
            sqlite3_finalize(q);
        }
        gauge(b, "citywall_quarantine_size", "rows in quarantine", rows);
    }
    histogram(b, "citywall_store_commit_seconds",
              "store transaction time (begin to durable commit)", &m->commit_ms);
    histogram(b, "citywall_ingest_ack_seconds", "HTTP ingest: request complete to answer written",
              &m->ack_ms);
    histogram(b, "citywall_fanout_seconds", "events acknowledged to delta written to a client",
              &m->fanout_ms);
}

/* The /live fan-out. */
static void live_lines(buf *b, hub_t *hub, const hub_metrics *m, const live_stats *ls)
{
    gauge(b, "citywall_live_clients", "connected /live clients", ls->clients);
    gauge(b, "citywall_live_walls", "connected walls (clients that report)", ls->walls);
    gauge(b, "citywall_live_browsers", "connected browsers (session cookie)", ls->browsers);
    put(b, "# HELP citywall_live_clients_by_view subscribers per topic view\n"
           "# TYPE citywall_live_clients_by_view gauge\n");
    live_each_view(hub->live, view_line, b);
    auth_who all = {.kind = AUTH_ACCOUNT, .role = CFG_ROLE_ADMIN, .account = -1, .token = -1};
    json_t *clients = live_clients_json(hub->live, &all);
    char *glass = wallctl_metrics_text(clients); /* event-to-glass per wall host */
    json_decref(clients);
    if (glass) put(b, "%s", glass);
    free(glass);
    gauge(b, "citywall_live_rev", "hub-wide revision", (double)ls->rev);
    gauge(b, "citywall_live_history_bytes", "bytes held in delta history rings",
          (double)ls->history_bytes);
    counter(b, "citywall_live_messages_total", "messages written to /live clients",
            m->live_messages);
    counter(b, "citywall_live_bytes_total", "bytes written to /live clients", m->live_bytes);
    counter(b, "citywall_live_snapshots_total", "snapshots sent", m->live_snapshots);
    counter(b, "citywall_live_deltas_total", "shared deltas sent (client in step)", m->live_deltas);
    counter(b, "citywall_live_merged_total", "merged deltas sent (client behind)", m->live_merged);
    counter(b, "citywall_live_publishes_total", "topic documents changed and published",
            m->live_publishes);
    counter(b, "citywall_live_too_slow_total", "clients closed with 4008", m->live_too_slow);
}

/* Limits, refusals and logins. */
static void limit_lines(buf *b, const hub_metrics *m)
{
    counter(b, "citywall_limit_413_total", "bodies over the size limit", m->limit_413);
    counter(b, "citywall_limit_429_total", "requests over a rate limit", m->limit_429);
    counter(b, "citywall_http_framing_refused_total",
            "requests refused for ambiguous, unsupported or pipelined body framing",
            m->http_framing_refused);
    counter(b, "citywall_csrf_refused_total",
            "cookie-authenticated writes and logins refused as cross-site requests",
            m->csrf_refused);
    counter(b, "citywall_limit_1009_total", "WebSocket messages over the size limit",
            m->limit_1009);
    counter(b, "citywall_limit_1008_total", "WebSocket policy closes (auth, rate)", m->limit_1008);
    put(b, "# HELP citywall_ws_origin_refused_total WebSocket handshakes refused (403) for "
           "their Origin\n# TYPE citywall_ws_origin_refused_total counter\n");
    for (int i = 0; i < HTTP_WS_NPATHS; i++)
        put(b, "citywall_ws_origin_refused_total{path=\"%s\"} %llu\n", http_ws_path_name(i),
            (unsigned long long)http_ws_origin_refused(i));
    counter(b, "citywall_limit_conns_total", "connections refused: over the limit per peer address",
            m->limit_conns);
    counter(b, "citywall_logins_total", "successful logins", m->login_ok);
    counter(b, "citywall_login_failures_total", "failed logins", m->login_failed);
    counter(b, "citywall_login_lockouts_total", "logins refused by lockout", m->login_locked);
    counter(b, "citywall_state_snapshots_total", "state snapshots saved", m->snapshots_saved);
}

/* Free space where the store lives. */
static void disk_lines(buf *b, hub_t *hub)
{
    const char *db = sqlite3_db_filename(store_reader(hub->store), "main");
    struct statvfs vfs;
    if (db && statvfs(db, &vfs) == 0) {
        gauge(b, "citywall_disk_free_bytes", "free bytes on the store's file system",
              (double)vfs.f_bavail * (double)vfs.f_frsize);
        gauge(b, "citywall_disk_free_ratio", "free share of the store's file system",
              vfs.f_blocks ? (double)vfs.f_bavail / (double)vfs.f_blocks : 0);
    }
}

/* The alert engine's figures (none before it exists). */
static void alert_lines(buf *b, hub_t *hub)
{
    if (!hub->alerts) return;
    alerts_stats as;
    alerts_get_stats(hub->alerts, &as);
    gauge(b, "citywall_alerts_firing", "alerts firing (silenced and inhibited included)",
          as.firing);
    gauge(b, "citywall_alerts_pending", "alerts pending (condition true, `for` not over)",
          as.pending);
    gauge(b, "citywall_alerts_silenced", "firing alerts silenced", as.silenced);
    gauge(b, "citywall_alerts_inhibited", "firing alerts inhibited (silent hall)", as.inhibited);
    gauge(b, "citywall_silences", "silences not expired", as.silences);
    counter(b, "citywall_alert_transitions_total", "alert state changes stored", as.transitions);
    counter(b, "citywall_alert_notifications_total", "group notifications queued",
            as.notifications);
    gauge(b, "citywall_webhook_outbox_age_seconds",
          "age of the oldest undelivered webhook notification (0 when none waits)",
          as.outbox_oldest_age_ms > 0 ? (double)as.outbox_oldest_age_ms / 1000.0 : 0);
    counter(b, "citywall_webhook_sent_total", "webhook notifications delivered", as.webhook_sent);
    counter(b, "citywall_webhook_failures_total", "failed webhook attempts", as.webhook_failures);
}

char *metrics_render(hub_t *hub, size_t *len)
{
    buf b = {0};
    const hub_metrics *m = &hub->m;
    store_stats ss;
    store_get_stats(hub->store, &ss);
    live_stats ls;
    live_get_stats(hub->live, &ls);
    state_stats st;
    state_get_stats(hub->state, &st);
    int64_t now = cwt_mono_ms();

    process_lines(&b, hub, ss.healthy, now);
    ingest_lines(&b, m, &ss, events_rate(hub, now));
    cluster_lines(&b, hub);
    state_store_lines(&b, hub, m, &st, &ss);
    live_lines(&b, hub, m, &ls);
    limit_lines(&b, m);
    disk_lines(&b, hub);
    alert_lines(&b, hub);
    *len = b.len;
    return b.s;
}
