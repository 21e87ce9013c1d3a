/* route: the REST route table and query-argument values. See route.h. */
#include "route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cwtime.h"

const route_def route_table[ROUTE_COUNT] = {
    [ROUTE_HEALTHZ] = {ROUTE_GET, "/healthz", true, false},
    [ROUTE_READYZ] = {ROUTE_GET, "/readyz", true, false},
    [ROUTE_LOGOUT] = {ROUTE_POST, "/api/v1/logout", true, false},
    [ROUTE_ME] = {ROUTE_GET, "/api/v1/me", false, false},
    [ROUTE_HALLS] = {ROUTE_GET, "/api/v1/halls", false, false},
    [ROUTE_HALL] = {ROUTE_GET, "/api/v1/halls/*", false, false},
    [ROUTE_CLOSURE] = {ROUTE_POST, "/api/v1/halls/*/closure", false, false},
    [ROUTE_SNAPSHOT] = {ROUTE_GET, "/api/v1/snapshot", false, false},
    [ROUTE_HISTORY] = {ROUTE_GET, "/api/v1/history", false, false},
    [ROUTE_EVENTS] = {ROUTE_GET, "/api/v1/events", false, false},
    [ROUTE_QUARANTINE] = {ROUTE_GET, "/api/v1/quarantine", false, false},
    [ROUTE_CLIENTS] = {ROUTE_GET, "/api/v1/clients", false, false},
    [ROUTE_RECOMMEND] = {ROUTE_GET, "/api/v1/recommend", false, false},
    [ROUTE_AUDIT] = {ROUTE_GET, "/api/v1/audit", false, false},
    [ROUTE_BACKUP] = {ROUTE_POST, "/api/v1/admin/backup", false, false},
    [ROUTE_ALERTS] = {ROUTE_GET, "/api/v1/alerts", false, false},
    [ROUTE_ALERT] = {ROUTE_GET, "/api/v1/alerts/*", false, false},
    [ROUTE_ALERT_ACK] = {ROUTE_POST, "/api/v1/alerts/*/ack", false, false},
    [ROUTE_SILENCES] = {ROUTE_GET, "/api/v1/silences", false, false},
    [ROUTE_SILENCE_ADD] = {ROUTE_POST, "/api/v1/silences", false, false},
    [ROUTE_SILENCES_EXPIRE] = {ROUTE_DELETE, "/api/v1/silences", false, false},
    [ROUTE_SILENCE_EXPIRE] = {ROUTE_DELETE, "/api/v1/silences/*", false, false},
    [ROUTE_REVIEWS] = {ROUTE_GET, "/api/v1/reviews", false, false},
    [ROUTE_CASES] = {ROUTE_GET, "/api/v1/cases", false, false},
    [ROUTE_CASE_MOVE] = {ROUTE_POST, "/api/v1/cases/*", false, false},
    [ROUTE_STATS] = {ROUTE_GET, "/api/v1/stats", false, false},
    [ROUTE_SCORECARDS] = {ROUTE_GET, "/api/v1/scorecards", false, false},
    [ROUTE_REPORTS] = {ROUTE_GET, "/api/v1/reports", false, false},
    [ROUTE_REPORT] = {ROUTE_GET, "/api/v1/reports/*", false, false},
    [ROUTE_WALLS] = {ROUTE_GET, "/api/v1/walls", false, false},
    [ROUTE_WALL_SHOW] = {ROUTE_POST, "/api/v1/walls/*/show", false, false},
    [ROUTE_WALL_UNPIN] = {ROUTE_POST, "/api/v1/walls/*/unpin", false, false},
    [ROUTE_WALL_TOUR] = {ROUTE_POST, "/api/v1/walls/*/tour", false, false},
    [ROUTE_INGEST] = {ROUTE_POST, "/api/v1/events", false, true},
    [ROUTE_LOGIN] = {ROUTE_POST, "/api/v1/login", true, true},
    [ROUTE_METRICS] = {ROUTE_GET, "/metrics", true, true},
};

bool route_match(const char *pattern, const char *path, char *seg, size_t n)
{
    seg[0] = 0;
    while (*pattern && *path) {
        if (*pattern == '*') {
            size_t k = strcspn(path, "/");
            if (k == 0 || k >= n) return false;
            memcpy(seg, path, k);
            seg[k] = 0;
            path += k;
            pattern++;
            continue;
        }
        if (*pattern++ != *path++) return false;
    }
    return !*pattern && !*path;
}

const char *route_method_name(int method)
{
    static const char *names[] = {"GET", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"};
    return method >= ROUTE_GET && method <= ROUTE_DELETE ? names[method] : "?";
}

void route_find(int method, const char *path, route_result *r)
{
    r->id = -1;
    r->seg[0] = 0;
    r->path_known = false;
    r->allow[0] = 0;
    for (int i = 0; i < ROUTE_COUNT; i++) {
        const route_def *d = &route_table[i];
        if (!route_match(d->pattern, path, r->seg, sizeof(r->seg))) continue;
        r->path_known = true;
        if (d->method != method) {
            size_t o = strlen(r->allow);
            snprintf(r->allow + o, sizeof(r->allow) - o, "%s%s", o ? ", " : "",
                     route_method_name(d->method));
            continue;
        }
        if (d->elsewhere) continue;
        r->id = i;
        r->allow[0] = 0;
        return;
    }
    r->seg[0] = 0;
}

const char *route_text(const char *v)
{
    json_t *j = json_string(v); /* jansson's UTF-8 check: what a JSON error body needs */
    bool ok = j != NULL;
    json_decref(j);
    return ok ? v : "(not UTF-8)";
}

int route_int(const char *name, const char *v, int64_t lo, int64_t hi, int64_t *out, char *err,
              size_t n)
{
    if (!v) return 0;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno == ERANGE || x < lo || x > hi) {
        snprintf(err, n, "%s: '%s' must be an integer from %lld to %lld", name, route_text(v),
                 (long long)lo, (long long)hi);
        return -1;
    }
    *out = x;
    return 1;
}

int route_time(const char *name, const char *v, int64_t *out, char *err, size_t n)
{
    if (!v) return 0;
    if (cwt_parse_rfc3339(v, out, NULL) == 0) return 1;
    if (cwt_parse_date(v) > 0) {
        int64_t noon_guess;
        char s[40];
        snprintf(s, sizeof(s), "%.10sT12:00:00Z", v);
        if (cwt_parse_rfc3339(s, &noon_guess, NULL) == 0) {
            cwt_local lt;
            cwt_to_local(noon_guess, &lt);
            *out = lt.day_start_ms;
            return 1;
        }
    }
    snprintf(err, n, "%s: '%s' is not an RFC 3339 time or a date YYYY-MM-DD", name, route_text(v));
    return -1;
}

int route_hall(const cfg_t *cfg, const char *id, char *err, size_t n)
{
    int h = cfg_hall_index(cfg, id);
    if (h < 0) snprintf(err, n, "unknown hall '%s'", route_text(id));
    return h;
}

bool route_flag(const char *v)
{
    return v && strcmp(v, "1") == 0;
}
