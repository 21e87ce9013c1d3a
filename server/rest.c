/* rest: the synchronous REST API of SPEC §7 (everything but ingest and login, which are
 * asynchronous and live in http.c). Role scoping is enforced here, never in the page. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest.h"

#include "cluster.h"
#include "live.h"
#include "replicate.h"
#include "rest_alerts.h"
#include "rest_walls.h"
#include "pii.h"
#include "rest_stats.h"
#include "route.h"
#include "xalloc.h"

#define PAGE_DEFAULT 500
#define PAGE_MAX 5000

typedef int (*rest_handler)(http_req *rq, http_resp *rs, const char *arg);

_Static_assert((int)ROUTE_GET == LWSHUMETH_GET && (int)ROUTE_POST == LWSHUMETH_POST &&
                   (int)ROUTE_OPTIONS == LWSHUMETH_OPTIONS && (int)ROUTE_PUT == LWSHUMETH_PUT &&
                   (int)ROUTE_PATCH == LWSHUMETH_PATCH && (int)ROUTE_DELETE == LWSHUMETH_DELETE,
               "route_method numbers are lws's");

/* ---- helpers ---------------------------------------------------------------------------- */

bool rest_can_read(http_req *rq, http_resp *rs)
{
    if (!rq->authed) {
        http_error(rs, 401, "authentication required (session cookie or Bearer token)");
        return false;
    }
    if (rq->who.kind == AUTH_TOKEN && rq->who.role == CFG_ROLE_HALL) {
        http_error(rs, 403, "hall tokens only write events");
        return false;
    }
    return true;
}

static bool is_operator(const auth_who *w)
{
    return w->kind == AUTH_ACCOUNT &&
           (w->role == CFG_ROLE_ADMIN || w->role == CFG_ROLE_CITY || w->role == CFG_ROLE_HALL);
}

static state_view view_of(const auth_who *w)
{
    state_view v = {.halls = w->halls, .names = w->names, .urls = true};
    return v;
}

int rest_hall_arg(http_req *rq, http_resp *rs, const char *id)
{
    char err[256];
    int h = route_hall(rq->hub->cfg, id, err, sizeof(err));
    if (h < 0) {
        http_error(rs, 404, "%s", err);
        return -1;
    }
    if (!auth_may_see(&rq->who, h)) {
        http_error(rs, 403, "hall %s is not visible to %s", id, rq->who.user);
        return -1;
    }
    return h;
}

/* A time argument: RFC 3339, or a date "2026-11-23" (its local midnight). */
static int time_arg(http_req *rq, http_resp *rs, const char *name, int64_t *out)
{
    char buf[64], err[256];
    int rc = route_time(name, http_arg(rq, name, buf, sizeof(buf)), out, err, sizeof(err));
    if (rc < 0) http_error(rs, 400, "%s", err);
    return rc;
}

int rest_int_arg(http_req *rq, http_resp *rs, const char *name, int64_t lo, int64_t hi,
                 int64_t *out)
{
    char buf[32], err[256];
    int rc = route_int(name, http_arg(rq, name, buf, sizeof(buf)), lo, hi, out, err, sizeof(err));
    if (rc < 0) http_error(rs, 400, "%s", err);
    return rc;
}

/* Every string inside v masked in place (pii_mask); a string that cannot be masked (out of
 * memory) is dropped rather than shown. */
static void mask_strings(json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, x)
        {
            if (json_is_string(x)) {
                if (!pii_contains(json_string_value(x))) continue;
                char *m = pii_mask(json_string_value(x));
                if (m)
                    json_object_set_new(v, k, json_string(m));
                else
                    json_object_del(v, k);
                free(m);
            } else {
                mask_strings(x);
            }
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *x = json_array_get(v, i);
            if (json_is_string(x) && pii_contains(json_string_value(x))) {
                char *m = pii_mask(json_string_value(x));
                json_array_set_new(v, i, json_string(m ? m : ""));
                free(m);
            } else {
                mask_strings(x);
            }
        }
    }
}

/* Personal numbers in stored bodies (SPEC §8): masked in every string of the event's data --
 * review comments, and any field a gateway sent that the hub does not know (data.phone) --
 * for every role; review comments dropped for the roles that see no names; the raw text only
 * for admin with raw=1 (audited by the caller). Steals body. */
static json_t *redact(json_t *body, const auth_who *who, bool raw)
{
    if (raw) return body;
    json_t *data = json_object_get(body, "data");
    if (!who->names) json_object_del(data, "comment");
    mask_strings(data);
    return body;
}

/* ?raw=1: only admin accounts, and every such read is audited. -1 when refused (resp set). */
static int raw_arg(http_req *rq, http_resp *rs, bool *raw)
{
    char b[8];
    *raw = route_flag(http_arg(rq, "raw", b, sizeof(b)));
    if (*raw && (rq->who.kind != AUTH_ACCOUNT || rq->who.role != CFG_ROLE_ADMIN)) {
        http_error(rs, 403, "raw=1 (unmasked personal data) is for admin accounts");
        return -1;
    }
    if (*raw) hub_audit(rq->hub, rq->who.user, "read_raw", rq->path);
    return 0;
}

static json_t *hall_registry(hub_t *hub, int h, const auth_who *who)
{
    const cfg_hall *hall = &hub->cfg->halls[h];
    json_t *biz = json_array(), *wins = json_array(), *cams = json_array();
    for (int i = 0; i < hall->nbiz; i++)
        json_array_append_new(biz, json_pack("{s:s,s:s,s:s,s:i}", "id", hall->biz[i].id, "name",
                                             hall->biz[i].name, "category", hall->biz[i].category,
                                             "sla_s", hall->biz[i].sla_s));
    for (int i = 0; i < hall->nwindows; i++) {
        json_t *wb = json_array(), *wc = json_array();
        for (int k = 0; k < hall->windows[i].nbiz; k++)
            json_array_append_new(wb, json_string(hall->biz[hall->windows[i].biz[k]].id));
        for (int k = 0; k < hall->windows[i].ncameras; k++)
            json_array_append_new(wc, json_string(hall->cameras[hall->windows[i].cameras[k]].id));
        json_array_append_new(
            wins, json_pack("{s:s,s:o,s:o}", "id", hall->windows[i].id, "biz", wb, "cameras", wc));
    }
    state_view v = view_of(who);
    json_t *doc = state_hall(hub->state, h, &v);
    json_t *cstate = json_object_get(doc, "cameras");
    for (int i = 0; i < hall->ncameras; i++) {
        json_t *cs = json_object_get(cstate, hall->cameras[i].id);
        json_t *st = json_object_get(cs, "status");
        json_array_append_new(cams, json_pack("{s:s,s:s,s:s,s:s}", "id", hall->cameras[i].id,
                                              "name", hall->cameras[i].name, "area",
                                              cfg_area_name(hall->cameras[i].area), "status",
                                              st ? json_string_value(st) : "unknown"));
    }
    json_t *o =
        json_pack("{s:s,s:s,s:s,s:f,s:f,s:o,s:o,s:o,s:o}", "id", hall->id, "name", hall->name,
                  "level", cfg_level_name(hall->level), "lat", hall->lat, "lng", hall->lng, "biz",
                  biz, "windows", wins, "cameras", cams, "kpi", state_hall_kpi(hub->state, h));
    if (hall->parent) json_object_set_new(o, "parent", json_string(hall->parent));
    json_t *status = json_object_get(doc, "status");
    if (status) json_object_set(o, "status", status);
    json_decref(doc);
    return o;
}

/* ---- handlers --------------------------------------------------------------------------- */

static int h_healthz(http_req *rq, http_resp *rs, const char *arg)
{
    (void)rq;
    (void)arg;
    http_json(rs, 200, json_pack("{s:s}", "status", "up"));
    return 0;
}

static int h_readyz(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    store_stats ss;
    store_get_stats(rq->hub->store, &ss);
    json_t *cl = NULL;
    bool log_ok = true;
    if (rq->hub->cluster) { /* cluster mode: without NATS this hub cannot take events */
        cluster_stats cs;
        cluster_get_stats(rq->hub->cluster, &cs);
        log_ok = cs.connected;
        cl = json_pack("{s:s,s:b,s:I,s:I,s:b}", "hub", cs.hub_id, "connected", cs.connected,
                       "applied", (json_int_t)cs.applied_seq, "lag", (json_int_t)cs.lag, "notifier",
                       cluster_is_notifier(rq->hub->cluster));
    }
    if (!rq->hub->ready || !ss.healthy || rq->hub->stopping || !log_ok) {
        json_t *o = json_pack("{s:b,s:b,s:b}", "ready", 0, "store_writable", ss.healthy, "stopping",
                              rq->hub->stopping);
        if (cl) json_object_set_new(o, "cluster", cl);
        http_json(rs, 503, o);
        return 0;
    }
    /* store: the store file's identity; a page whose session was made with another one knows
     * the data (and its sessions) were reset, e.g. a new demo day */
    json_t *o = json_pack("{s:b,s:I,s:s}", "ready", 1, "startup_ms", (json_int_t)rq->hub->ready_ms,
                          "store", rq->hub->store_id);
    if (cl) json_object_set_new(o, "cluster", cl);
    http_json(rs, 200, o);
    return 0;
}

static int h_logout(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    char hdr[1024];
    if (lws_hdr_copy(rq->wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_COOKIE) > 0)
        auth_logout(rq->hub->auth, hdr);
    snprintf(rs->set_cookie, sizeof(rs->set_cookie),
             "cw_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    http_json(rs, 200, json_pack("{s:b}", "ok", 1));
    return 0;
}

static int h_me(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    json_t *halls = json_array();
    for (int i = 0; i < rq->hub->cfg->nhalls; i++)
        if (auth_may_see(&rq->who, i))
            json_array_append_new(halls, json_string(rq->hub->cfg->halls[i].id));
    json_t *me = json_pack("{s:s,s:s,s:o,s:b}", "user", rq->who.user, "role",
                           cfg_role_name(rq->who.role), "halls", halls, "names", rq->who.names);
    if (rq->hub->cfg->province.name && !rq->who.halls) /* a province hub: its view */
        json_object_set_new(me, "province", json_true());
    const cfg_cluster *cl = &rq->hub->cfg->cluster;
    if (cl->npublic_urls) { /* the cluster's hubs: the page's live failover (docs/cluster.md) */
        json_t *hubs = json_array();
        for (int i = 0; i < cl->npublic_urls; i++)
            json_array_append_new(hubs, json_string(cl->public_urls[i]));
        json_object_set_new(me, "hubs", hubs);
    }
    if (rq->hub->cfg->province.name) /* the dashboard's title names the province */
        json_object_set_new(me, "province_name", json_string(rq->hub->cfg->province.name));
    http_json(rs, 200, me);
    return 0;
}

static int h_halls(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    json_t *arr = json_array();
    for (int h = 0; h < rq->hub->cfg->nhalls; h++)
        if (auth_may_see(&rq->who, h))
            json_array_append_new(arr, hall_registry(rq->hub, h, &rq->who));
    http_json(rs, 200, arr);
    return 0;
}

static int h_hall(http_req *rq, http_resp *rs, const char *id)
{
    if (!rest_can_read(rq, rs)) return 0;
    int h = rest_hall_arg(rq, rs, id);
    if (h >= 0) http_json(rs, 200, hall_registry(rq->hub, h, &rq->who));
    return 0;
}

static int h_snapshot(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    state_view v = view_of(&rq->who);
    json_t *doc = state_city(rq->hub->state, &v);
    http_json(rs, 200, doc);
    return 0;
}

static int h_history(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    char hbuf[64];
    const char *hall = http_arg(rq, "hall", hbuf, sizeof(hbuf));
    if (hall && *hall) {
        if (rest_hall_arg(rq, rs, hall) < 0) return 0;
    } else if (rq->who.halls) {
        http_error(rs, 403, "hall=: a hall account must name one of its halls");
        return 0;
    } else {
        hall = "*";
    }
    int64_t now = hub_now(rq->hub), from, to = now, step = 60;
    cwt_local lt;
    cwt_to_local(now, &lt);
    from = lt.day_start_ms;
    if (time_arg(rq, rs, "from", &from) < 0 || time_arg(rq, rs, "to", &to) < 0 ||
        rest_int_arg(rq, rs, "step", 60, 86400 * 31, &step) < 0)
        return 0;
    if (to < from) {
        http_error(rs, 400, "to is before from");
        return 0;
    }
    if ((to - from) / (step * 1000) > 20000) {
        http_error(rs, 400, "too many points: raise step (at most 20000 points)");
        return 0;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_reader(rq->hub->store),
                           "SELECT minute_ms, kpi FROM rollups WHERE hall = ? AND minute_ms >= ?"
                           " AND minute_ms <= ? ORDER BY minute_ms",
                           -1, &st, NULL) != SQLITE_OK) {
        http_error(rs, 500, "history: %s", sqlite3_errmsg(store_reader(rq->hub->store)));
        return 0;
    }
    sqlite3_bind_text(st, 1, hall, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    json_t *series = json_array();
    int64_t bucket = -1;
    json_t *last = NULL;
    int64_t last_t = 0;
    char tb[40];
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(st, 0);
        int64_t b = (t - from) / (step * 1000);
        if (b != bucket && last) {
            json_array_append_new(
                series, json_pack("{s:s,s:o}", "t", cwt_format_local(last_t, tb), "kpi", last));
            last = NULL;
        }
        bucket = b;
        json_decref(last);
        last = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
        last_t = t;
    }
    if (last)
        json_array_append_new(
            series, json_pack("{s:s,s:o}", "t", cwt_format_local(last_t, tb), "kpi", last));
    sqlite3_finalize(st);
    char fb[40], tob[40];
    http_json(rs, 200,
              json_pack("{s:s,s:s,s:s,s:I,s:o}", "hall", hall, "from", cwt_format_local(from, fb),
                        "to", cwt_format_local(to, tob), "step", (json_int_t)step, "series",
                        series));
    return 0;
}

static int h_events(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    char hbuf[64], tbuf[64];
    const char *hall = http_arg(rq, "hall", hbuf, sizeof(hbuf));
    const char *type = http_arg(rq, "type", tbuf, sizeof(tbuf));
    int hidx = -1;
    if (hall && *hall && (hidx = rest_hall_arg(rq, rs, hall)) < 0) return 0;
    if (type && ev_type_from_name(type) < 0) {
        http_error(rs, 400, "type: unknown event type '%s'", type);
        return 0;
    }
    int64_t from = INT64_MIN, to = INT64_MAX, after = 0, limit = PAGE_DEFAULT;
    bool raw;
    if (raw_arg(rq, rs, &raw) < 0) return 0;
    if (time_arg(rq, rs, "from", &from) < 0 || time_arg(rq, rs, "to", &to) < 0 ||
        rest_int_arg(rq, rs, "after", 0, INT64_MAX, &after) < 0 ||
        rest_int_arg(rq, rs, "limit", 1, PAGE_MAX, &limit) < 0)
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_reader(rq->hub->store),
                           "SELECT e.id, e.hall, f.feed, e.seq, e.recv_ms, e.body FROM events e"
                           " JOIN feeds f ON f.id = e.feed_id WHERE e.id > ?1"
                           " AND (?2 IS NULL OR e.hall = ?2) AND (?3 IS NULL OR e.type = ?3)"
                           " AND e.at_ms >= ?4 AND e.at_ms < ?5 ORDER BY e.id LIMIT ?6",
                           -1, &st, NULL) != SQLITE_OK) {
        http_error(rs, 500, "events: %s", sqlite3_errmsg(store_reader(rq->hub->store)));
        return 0;
    }
    sqlite3_bind_int64(st, 1, after);
    if (hidx >= 0) sqlite3_bind_text(st, 2, hall, -1, SQLITE_STATIC);
    if (type) sqlite3_bind_text(st, 3, type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, from);
    sqlite3_bind_int64(st, 5, to);
    sqlite3_bind_int64(st, 6, limit);
    json_t *arr = json_array();
    int64_t last_id = after, rows = 0;
    char rb[40];
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        rows++;
        last_id = id;
        const char *h = (const char *)sqlite3_column_text(st, 1);
        if (hidx < 0 && rq->who.halls && !auth_may_see(&rq->who, cfg_hall_index(rq->hub->cfg, h)))
            continue;
        json_t *body =
            redact(json_loads((const char *)sqlite3_column_text(st, 5), 0, NULL), &rq->who, raw);
        json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:I,s:s,s:o*}", "id", (json_int_t)id,
                                             "hall", h, "feed", sqlite3_column_text(st, 2), "seq",
                                             (json_int_t)sqlite3_column_int64(st, 3), "received",
                                             cwt_format_local(sqlite3_column_int64(st, 4), rb),
                                             "event", body));
    }
    bool more = rows == limit;
    sqlite3_finalize(st);
    json_t *out = json_pack("{s:o}", "events", arr);
    if (more) json_object_set_new(out, "next", json_integer(last_id));
    http_json(rs, 200, out);
    return 0;
}

static int h_quarantine(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    int64_t after = 0, limit = PAGE_DEFAULT;
    bool raw;
    if (raw_arg(rq, rs, &raw) < 0) return 0;
    if (rest_int_arg(rq, rs, "after", 0, INT64_MAX, &after) < 0 ||
        rest_int_arg(rq, rs, "limit", 1, PAGE_MAX, &limit) < 0)
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_reader(rq->hub->store),
                           "SELECT id, recv_ms, token, hall, feed, seq, kind, reason, body"
                           " FROM quarantine WHERE id > ? ORDER BY id LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK) {
        http_error(rs, 500, "quarantine: %s", sqlite3_errmsg(store_reader(rq->hub->store)));
        return 0;
    }
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, limit);
    json_t *arr = json_array();
    int64_t last = after;
    int n = 0;
    char rb[40];
    while (sqlite3_step(st) == SQLITE_ROW) {
        n++;
        last = sqlite3_column_int64(st, 0);
        const char *h = (const char *)sqlite3_column_text(st, 3);
        int hi = h ? cfg_hall_index(rq->hub->cfg, h) : -1;
        if (rq->who.halls && (hi < 0 || !auth_may_see(&rq->who, hi))) continue;
        json_t *o = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)last, "received",
                              cwt_format_local(sqlite3_column_int64(st, 1), rb), "kind",
                              sqlite3_column_text(st, 6), "reason", sqlite3_column_text(st, 7));
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            json_object_set_new(o, "token", json_string((const char *)sqlite3_column_text(st, 2)));
        if (h) json_object_set_new(o, "hall", json_string(h));
        if (sqlite3_column_type(st, 4) != SQLITE_NULL)
            json_object_set_new(o, "feed", json_string((const char *)sqlite3_column_text(st, 4)));
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            json_object_set_new(o, "seq", json_integer(sqlite3_column_int64(st, 5)));
        const char *body = (const char *)sqlite3_column_text(st, 8);
        json_t *b = body ? json_loads(body, JSON_DECODE_ANY, NULL) : NULL;
        if (b)
            json_object_set_new(o, "body", redact(b, &rq->who, raw));
        else if (raw)
            json_object_set_new(o, "body", json_string(body ? body : ""));
        else { /* not JSON: shown only masked, as text */
            char *m = pii_mask(body ? body : "");
            json_object_set_new(o, "body", json_string(m ? m : ""));
            free(m);
        }
        json_array_append_new(arr, o);
    }
    sqlite3_finalize(st);
    json_t *out = json_pack("{s:o}", "quarantine", arr);
    if (n == limit) json_object_set_new(out, "next", json_integer(last));
    http_json(rs, 200, out);
    return 0;
}

static int h_clients(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    http_json(rs, 200, json_pack("{s:o}", "clients", live_clients_json(rq->hub->live, &rq->who)));
    return 0;
}

static int h_closure_post(http_req *rq, http_resp *rs, const char *id)
{
    if (!rest_can_read(rq, rs)) return 0;
    if (!is_operator(&rq->who)) {
        http_error(rs, 403, "closures need an admin, city or hall account");
        return 0;
    }
    int h = rest_hall_arg(rq, rs, id);
    if (h < 0) return 0;
    json_t *b = json_loadb(rq->body ? rq->body : "", rq->body_len, 0, NULL);
    const char *from_s = json_string_value(json_object_get(b, "from"));
    const char *to_s = json_string_value(json_object_get(b, "to"));
    const char *reason = json_string_value(json_object_get(b, "reason"));
    int64_t from, to;
    if (!from_s || cwt_parse_rfc3339(from_s, &from, NULL) < 0) {
        http_error(rs, 400, "closure: from must be an RFC 3339 time");
    } else if (!to_s || cwt_parse_rfc3339(to_s, &to, NULL) < 0 || to <= from) {
        http_error(rs, 400, "closure: to must be an RFC 3339 time after from");
    } else if (!reason || !*reason || strlen(reason) > 500) {
        http_error(rs, 400, "closure: reason must be a string of 1 to 500 bytes");
    } else if (repl_closure(rq->hub, h, from, to, reason, rq->who.user) < 0) { /* cluster: log */
        http_error(rs, 503, "closure: the cluster's log is unavailable; send it again");
    } else {
        char detail[700];
        snprintf(detail, sizeof(detail), "%s %s..%s %s", id, from_s, to_s, reason);
        hub_audit(rq->hub, rq->who.user, "closure", detail);
        live_changed(rq->hub->live);
        http_json(rs, 201,
                  json_pack("{s:s,s:s,s:s,s:s}", "hall", id, "from", from_s, "to", to_s, "reason",
                            reason));
    }
    json_decref(b);
    return 0;
}

static double haversine_km(double lat1, double lng1, double lat2, double lng2)
{
    const double r = 6371.0088, d2r = M_PI / 180.0;
    double dlat = (lat2 - lat1) * d2r, dlng = (lng2 - lng1) * d2r;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * d2r) * cos(lat2 * d2r) * sin(dlng / 2) * sin(dlng / 2);
    return 2 * r * asin(sqrt(a));
}

typedef struct rec {
    int hall, biz;
    double km;
    int64_t travel_s, ewt_s;
    bool open;
    int64_t opens_ms; /* closed: when it opens again today */
} rec;

/* Open halls first by travel + wait; then closed ones by when they open, then travel + wait
 * (SPEC §7: "closed halls last, with when they open"). */
static int rec_cmp(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    if (x->open != y->open) return x->open ? -1 : 1;
    if (!x->open && x->opens_ms != y->opens_ms) return x->opens_ms < y->opens_ms ? -1 : 1;
    int64_t tx = x->travel_s + x->ewt_s, ty = y->travel_s + y->ewt_s;
    return tx < ty ? -1 : tx > ty;
}

/* The first minute after `now` of the same business day at which hall h is open (opening hours,
 * lunch, calendar, closures), in ms; -1 when it does not open again today. */
static int64_t rec_next_open(const hub_t *hub, int h, int64_t now)
{
    const cfg_hall *hall = &hub->cfg->halls[h];
    cwt_local lt;
    cwt_to_local(now, &lt);
    for (int m = lt.minute + 1; m < 24 * 60; m++) {
        int64_t at = lt.day_start_ms + (int64_t)m * 60000;
        if (cfg_hall_open(hub->cfg, hall, lt.date, lt.weekday, m) &&
            !state_hall_closed(hub->state, h, at))
            return at;
    }
    return -1;
}

static int h_recommend(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    char la[32], ln[32], cb[64];
    const char *lat_s = http_arg(rq, "lat", la, sizeof(la));
    const char *lng_s = http_arg(rq, "lng", ln, sizeof(ln));
    const char *cat = http_arg(rq, "category", cb, sizeof(cb));
    char *e1 = NULL, *e2 = NULL;
    double lat = lat_s ? strtod(lat_s, &e1) : NAN, lng = lng_s ? strtod(lng_s, &e2) : NAN;
    if (!lat_s || *e1 || lat < -90 || lat > 90 || !lng_s || *e2 || lng < -180 || lng > 180) {
        http_error(rs, 400, "lat and lng must be WGS-84 degrees");
        return 0;
    }
    const cfg_t *cfg = rq->hub->cfg;
    bool known = false;
    for (int i = 0; cat && i < cfg->city.ncategories; i++)
        if (strcmp(cfg->city.categories[i].id, cat) == 0) known = true;
    if (!known) {
        http_error(rs, 400, "category: unknown category '%s'", cat ? cat : "");
        return 0;
    }
    rec *recs = calloc(cfg->nhalls ? cfg->nhalls : 1, sizeof(rec));
    int n = 0;
    int64_t now = hub_now(rq->hub);
    for (int h = 0; recs && h < cfg->nhalls; h++) {
        if (!auth_may_see(&rq->who, h)) continue;
        const cfg_hall *hall = &cfg->halls[h];
        int best = -1;
        int64_t best_ewt = 0;
        for (int b = 0; b < hall->nbiz; b++) {
            if (strcmp(hall->biz[b].category, cat) != 0) continue;
            int64_t ewt = state_biz_ewt(rq->hub->state, h, b);
            if (ewt < 0) ewt = 0;
            if (best < 0 || ewt < best_ewt) {
                best = b;
                best_ewt = ewt;
            }
        }
        if (best < 0) continue;
        cwt_local lt;
        cwt_to_local(now, &lt);
        bool open = cfg_hall_open(cfg, hall, lt.date, lt.weekday, lt.minute) &&
                    !state_hall_closed(rq->hub->state, h, now);
        int64_t opens = open ? 0 : rec_next_open(rq->hub, h, now);
        if (!open && opens < 0) continue; /* it will not open again today: left out */
        rec *r = &recs[n++];
        r->hall = h;
        r->biz = best;
        r->km = haversine_km(lat, lng, hall->lat, hall->lng);
        r->travel_s = (int64_t)llround(r->km / 30.0 * 3600.0);
        r->ewt_s = best_ewt;
        r->open = open;
        r->opens_ms = opens;
    }
    qsort(recs, n, sizeof(rec), rec_cmp);
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        const cfg_hall *hall = &cfg->halls[recs[i].hall];
        json_t *o =
            json_pack("{s:s,s:s,s:s,s:s,s:f,s:I,s:I,s:I,s:b}", "hall", hall->id, "name", hall->name,
                      "biz", hall->biz[recs[i].biz].id, "biz_name", hall->biz[recs[i].biz].name,
                      "distance_km", round(recs[i].km * 100) / 100, "travel_s",
                      (json_int_t)recs[i].travel_s, "ewt_s", (json_int_t)recs[i].ewt_s, "total_s",
                      (json_int_t)(recs[i].travel_s + recs[i].ewt_s), "open", recs[i].open);
        if (o && !recs[i].open) {
            char t[40];
            json_object_set_new(o, "opens_at", json_string(cwt_format_local(recs[i].opens_ms, t)));
        }
        json_array_append_new(arr, o);
    }
    free(recs);
    http_json(rs, 200,
              json_pack("{s:s,s:f,s:f,s:s,s:o}", "category", cat, "lat", lat, "lng", lng, "method",
                        "great-circle km / 30 km/h + ewt_s", "halls", arr));
    return 0;
}

static int h_audit(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    if (rq->who.kind != AUTH_ACCOUNT || rq->who.role != CFG_ROLE_ADMIN) {
        http_error(rs, 403, "the audit log is for admin accounts");
        return 0;
    }
    int64_t after = 0, limit = PAGE_DEFAULT;
    if (rest_int_arg(rq, rs, "after", 0, INT64_MAX, &after) < 0 ||
        rest_int_arg(rq, rs, "limit", 1, PAGE_MAX, &limit) < 0)
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_reader(rq->hub->store),
                           "SELECT id, at_ms, user, action, detail FROM audit WHERE id > ?"
                           " ORDER BY id LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK) {
        http_error(rs, 500, "audit: %s", sqlite3_errmsg(store_reader(rq->hub->store)));
        return 0;
    }
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, limit);
    json_t *arr = json_array();
    char tb[40];
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *o =
            json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0), "at",
                      cwt_format_local(sqlite3_column_int64(st, 1), tb), "user",
                      sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "",
                      "action", sqlite3_column_text(st, 3));
        if (sqlite3_column_type(st, 4) != SQLITE_NULL)
            json_object_set_new(o, "detail", json_string((const char *)sqlite3_column_text(st, 4)));
        json_array_append_new(arr, o);
    }
    sqlite3_finalize(st);
    http_json(rs, 200, json_pack("{s:o}", "audit", arr));
    return 0;
}

typedef struct backup_job {
    char *db, *out;
} backup_job;

static void *backup_main(void *arg)
{
    backup_job *b = arg;
    char err[256];
    if (store_backup(b->db, b->out, err, sizeof(err)) < 0)
        fprintf(stderr, "citywall-hub: backup to %s failed: %s\n", b->out, err);
    else
        fprintf(stderr, "citywall-hub: backup written to %s\n", b->out);
    free(b->db);
    free(b->out);
    free(b);
    return NULL;
}

static int h_backup(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    if (rq->who.kind != AUTH_ACCOUNT || rq->who.role != CFG_ROLE_ADMIN) {
        http_error(rs, 403, "backups are for admin accounts");
        return 0;
    }
    json_t *b = json_loadb(rq->body ? rq->body : "", rq->body_len, 0, NULL);
    const char *path = json_string_value(json_object_get(b, "path"));
    if (!path || !*path) {
        http_error(rs, 400, "backup: body must be {\"path\": string}");
        json_decref(b);
        return 0;
    }
    backup_job *job = cw_xcalloc(1, sizeof(*job));
    pthread_t t;
    const char *db = sqlite3_db_filename(store_reader(rq->hub->store), "main");
    if (job) {
        job->db = cw_xstrdup(db);
        job->out = cw_xstrdup(path);
    }
    if (!job || pthread_create(&t, NULL, backup_main, job) != 0) {
        http_error(rs, 500, "backup: cannot start");
    } else {
        pthread_detach(t);
        hub_audit(rq->hub, rq->who.user, "backup", path);
        http_json(rs, 202, json_pack("{s:s,s:s}", "status", "started", "path", path));
    }
    json_decref(b);
    return 0;
}

static const rest_handler handlers[ROUTE_COUNT] = {
    [ROUTE_HEALTHZ] = h_healthz,
    [ROUTE_READYZ] = h_readyz,
    [ROUTE_LOGOUT] = h_logout,
    [ROUTE_ME] = h_me,
    [ROUTE_HALLS] = h_halls,
    [ROUTE_HALL] = h_hall,
    [ROUTE_CLOSURE] = h_closure_post,
    [ROUTE_SNAPSHOT] = h_snapshot,
    [ROUTE_HISTORY] = h_history,
    [ROUTE_EVENTS] = h_events,
    [ROUTE_QUARANTINE] = h_quarantine,
    [ROUTE_CLIENTS] = h_clients,
    [ROUTE_RECOMMEND] = h_recommend,
    [ROUTE_AUDIT] = h_audit,
    [ROUTE_BACKUP] = h_backup,
    [ROUTE_ALERTS] = rest_alerts_list,
    [ROUTE_ALERT] = rest_alerts_one,
    [ROUTE_ALERT_ACK] = rest_alerts_ack,
    [ROUTE_SILENCES] = rest_silences_list,
    [ROUTE_SILENCE_ADD] = rest_silences_add,
    [ROUTE_SILENCES_EXPIRE] = rest_silences_expire,
    [ROUTE_SILENCE_EXPIRE] = rest_silences_expire,
    [ROUTE_REVIEWS] = rest_reviews,
    [ROUTE_CASES] = rest_cases,
    [ROUTE_CASE_MOVE] = rest_case_move,
    [ROUTE_STATS] = rest_stats,
    [ROUTE_SCORECARDS] = rest_scorecards,
    [ROUTE_REPORTS] = rest_reports_list,
    [ROUTE_REPORT] = rest_report,
    [ROUTE_WALLS] = rest_walls_list,
    [ROUTE_WALL_SHOW] = rest_wall_show,
    [ROUTE_WALL_UNPIN] = rest_wall_unpin,
    [ROUTE_WALL_TOUR] = rest_wall_tour,
    /* ROUTE_INGEST, ROUTE_LOGIN, ROUTE_METRICS: answered in http.c */
};

int rest_handle(http_req *rq, http_resp *rs)
{
    route_result r;
    route_find(rq->method, rq->path, &r);
    if (r.id >= 0 && handlers[r.id]) return handlers[r.id](rq, rs, r.seg);
    if (r.path_known && r.allow[0]) {
        snprintf(rs->allow, sizeof(rs->allow), "%s", r.allow);
        http_error(rs, 405, "%s not allowed on %s (allowed: %s)", route_method_name(rq->method),
                   route_text(rq->path), r.allow);
        return 0;
    }
    if (strncmp(rq->path, "/api/", 5) == 0) {
        http_error(rs, 404, "no such API endpoint: %s", route_text(rq->path));
        return 0;
    }
    return -1; /* not an API path: static files */
}
