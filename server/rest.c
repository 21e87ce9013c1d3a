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
#include "rest_data.h"
#include "rest_walls.h"
#include "pii.h"
#include "rest_stats.h"
#include "route.h"
#include "xalloc.h"

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

int rest_int_arg(http_req *rq, http_resp *rs, const char *name, int64_t lo, int64_t hi,
                 int64_t *out)
{
    char buf[32], err[256];
    int rc = route_int(name, http_arg(rq, name, buf, sizeof(buf)), lo, hi, out, err, sizeof(err));
    if (rc < 0) http_error(rs, 400, "%s", err);
    return rc;
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

static const rest_handler handlers[ROUTE_COUNT] = {
    [ROUTE_HEALTHZ] = h_healthz,
    [ROUTE_READYZ] = h_readyz,
    [ROUTE_LOGOUT] = h_logout,
    [ROUTE_ME] = h_me,
    [ROUTE_HALLS] = h_halls,
    [ROUTE_HALL] = h_hall,
    [ROUTE_CLOSURE] = h_closure_post,
    [ROUTE_SNAPSHOT] = h_snapshot,
    [ROUTE_HISTORY] = rest_history,
    [ROUTE_EVENTS] = rest_events,
    [ROUTE_QUARANTINE] = rest_quarantine,
    [ROUTE_CLIENTS] = h_clients,
    [ROUTE_RECOMMEND] = rest_recommend,
    [ROUTE_AUDIT] = rest_audit,
    [ROUTE_BACKUP] = rest_backup,
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
