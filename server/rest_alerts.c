/* rest_alerts: REST endpoints of alerting and bad-review cases (see rest_alerts.h).
 *
 * Decisions where SPEC §7 is silent:
 *  - GET /alerts answers {"alerts":[...]}; without `state` it lists everything known (pending,
 *    firing, resolved in the last 24 h); `state=active` lists every firing alert whatever its
 *    suppression; `hall=` narrows to one hall, `id=` to one alert.
 *  - DELETE /silences/{id} (or DELETE /silences?id=) expires a silence; it stays listed as
 *    expired for a day.
 *  - POST /cases/{review} is stored as a `review.case` event of feed "operator" (so a restart
 *    replays it like any other), answered 202 once queued; the case moves when it commits
 *    (milliseconds). The body may name the `hall` when a review id is not unique.
 *  - GET /alerts/history (SPEC §7) pages through the stored alert history (oldest first,
 *    `after` = the last row id seen); `alert=` narrows to one alert, `rule=` to one rule.
 *  - GET /reviews?bad=1 lists the recorded bad reviews (with their case and matched term);
 *    without bad=1 it pages through the stored review.submitted events (newest rules of
 *    GET /events: after, limit, from, to).
 */
#include "rest_alerts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "cwtime.h"
#include "ingest.h"
#include "live.h"
#include "pii.h"
#include "rest_alert_export.h"
#include "replicate.h"

#define NOTE_MAX 500
#define AL_ARG_MAX 200
#define PAGE_DEFAULT 500
#define PAGE_MAX 5000

static bool operator_(http_req *rq, http_resp *rs, const char *what)
{
    if (!rest_can_read(rq, rs)) return false;
    const auth_who *w = &rq->who;
    if (w->kind == AUTH_ACCOUNT &&
        (w->role == CFG_ROLE_ADMIN || w->role == CFG_ROLE_CITY || w->role == CFG_ROLE_HALL))
        return true;
    http_error(rs, 403, "%s needs an admin, city or hall account", what);
    return false;
}

static alerts_t *mod(http_req *rq, http_resp *rs)
{
    if (rq->hub->alerts) return rq->hub->alerts;
    http_error(rs, 503, "alerting is not running");
    return NULL;
}

/* The hall named by `name` (query), or -1 with no hall named; -2 after an error response. */
static int hall_q(http_req *rq, http_resp *rs, const char *name)
{
    char buf[80];
    const char *v = http_arg(rq, name, buf, sizeof buf);
    if (!v || !*v) return -1;
    int h = rest_hall_arg(rq, rs, v);
    return h < 0 ? -2 : h;
}

static json_t *body_json(http_req *rq, http_resp *rs)
{
    json_error_t e;
    json_t *b = json_loadb(rq->body ? rq->body : "", rq->body_len, 0, &e);
    if (!b || !json_is_object(b)) {
        http_error(rs, 400, "body must be a JSON object");
        json_decref(b);
        return NULL;
    }
    return b;
}

/* ---- alerts ------------------------------------------------------------------------------- */

int rest_alerts_list(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    alerts_t *a;
    if (!rest_can_read(rq, rs) || !(a = mod(rq, rs))) return 0;
    char sb[32], ib[200];
    const char *state = http_arg(rq, "state", sb, sizeof sb);
    int filter = state && *state ? alerts_filter_from_name(state) : ALERTS_ALL;
    if (filter < 0) {
        http_error(rs, 400,
                   "state: expected firing, pending, resolved, silenced, inhibited, "
                   "active or all");
        return 0;
    }
    int h = hall_q(rq, rs, "hall");
    if (h == -2) return 0;
    const char *id = http_arg(rq, "id", ib, sizeof ib);
    json_t *all = alerts_list(a, filter, rq->who.halls, rq->who.names);
    json_t *out = json_array();
    size_t i;
    json_t *al;
    json_array_foreach(all, i, al)
    {
        const char *ah = json_string_value(json_object_get(al, "hall"));
        if (h >= 0 && (!ah || strcmp(ah, rq->hub->cfg->halls[h].id) != 0)) continue;
        if (id && *id && strcmp(json_string_value(json_object_get(al, "id")), id) != 0) continue;
        json_array_append(out, al);
    }
    json_decref(all);
    http_json(rs, 200, json_pack("{s:o}", "alerts", out));
    return 0;
}

/* GET /alerts/history?alert=&hall=&rule=&severity=&from=&to=&after=&limit= : the stored
 * state changes and operator actions (pending, firing, severity, escalated, ack, notified,
 * resolved ...) oldest first, paged by row id (`next`). A hall account sees its halls' rows. */
static int alerts_history(http_req *rq, http_resp *rs)
{
    char ab[AL_ARG_MAX], rb[16], sb[8], fb[48], tb[48];
    const char *alert = http_arg(rq, "alert", ab, sizeof ab);
    const char *rule = http_arg(rq, "rule", rb, sizeof rb);
    const char *sev = http_arg(rq, "severity", sb, sizeof sb);
    const char *from = http_arg(rq, "from", fb, sizeof fb), *to = http_arg(rq, "to", tb, sizeof tb);
    int h = hall_q(rq, rs, "hall");
    if (h == -2) return 0;
    bool csv = rest_alert_want_csv(rq); /* an export: one long page (rest_alert_export.c) */
    int64_t after = 0, limit = csv ? ALERT_EXPORT_MAX : PAGE_DEFAULT, from_ms = INT64_MIN,
            to_ms = INT64_MAX;
    if (rest_int_arg(rq, rs, "after", 0, INT64_MAX, &after) < 0 ||
        rest_int_arg(rq, rs, "limit", 1, csv ? ALERT_EXPORT_MAX : PAGE_MAX, &limit) < 0)
        return 0;
    if ((from && *from && cwt_parse_rfc3339(from, &from_ms, NULL) < 0) ||
        (to && *to && cwt_parse_rfc3339(to, &to_ms, NULL) < 0)) {
        http_error(rs, 400, "from/to: expected RFC 3339 times");
        return 0;
    }
    if (rest_alert_period(rq, rs, &from_ms, &to_ms) < 0) return 0;
    sqlite3 *db = store_reader(rq->hub->store);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, alert, at_ms, kind, state, severity, user, detail"
                           " FROM alert_history WHERE id > ?1 AND at_ms >= ?2 AND at_ms <= ?3"
                           " AND (?4 IS NULL OR alert = ?4) AND (?5 IS NULL OR severity = ?5)"
                           " AND (?6 IS NULL OR alert = ?6 OR alert LIKE ?6 || ':%')"
                           " AND (?8 IS NULL OR alert LIKE '%:' || ?8 OR"
                           " alert LIKE '%:' || ?8 || ':%') ORDER BY id LIMIT ?7",
                           -1, &st, NULL) != SQLITE_OK) {
        http_error(rs, 500, "history: %s", sqlite3_errmsg(db));
        return 0;
    }
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, from_ms);
    sqlite3_bind_int64(st, 3, to_ms);
    if (alert && *alert) sqlite3_bind_text(st, 4, alert, -1, SQLITE_STATIC);
    if (sev && *sev) sqlite3_bind_text(st, 5, sev, -1, SQLITE_STATIC);
    if (rule && *rule) sqlite3_bind_text(st, 6, rule, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, limit);
    if (h >= 0) sqlite3_bind_text(st, 8, rq->hub->cfg->halls[h].id, -1, SQLITE_STATIC);
    json_t *out = json_array();
    long long rows = 0, last = after;
    while (sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        last = sqlite3_column_int64(st, 0);
        const char *id = (const char *)sqlite3_column_text(st, 1);
        /* the hall is the second part of an alert id (R1:LH-00:A); the hub's own have none */
        char hall[64] = "";
        const char *c1 = id ? strchr(id, ':') : NULL;
        if (c1) snprintf(hall, sizeof hall, "%.*s", (int)strcspn(c1 + 1, ":"), c1 + 1);
        int hi = hall[0] ? cfg_hall_index(rq->hub->cfg, hall) : -1;
        if (hi >= 0 ? !auth_may_see(&rq->who, hi) : rq->who.halls != NULL) continue;
        if (h >= 0 && hi != h) continue;
        char at[40];
        json_t *o = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)last, "alert", id ? id : "",
                              "at", cwt_format_local(sqlite3_column_int64(st, 2), at), "kind",
                              (const char *)sqlite3_column_text(st, 3));
        static const char *const opt[] = {"state", "severity", "user", "detail"};
        for (int k = 0; k < 4; k++)
            if (sqlite3_column_type(st, 4 + k) != SQLITE_NULL)
                json_object_set_new(o, opt[k],
                                    json_string((const char *)sqlite3_column_text(st, 4 + k)));
        json_array_append_new(out, o);
    }
    sqlite3_finalize(st);
    if (csv) {
        rest_alert_history_csv(rs, out);
        return 0;
    }
    json_t *resp = json_pack("{s:o}", "history", out);
    if (rows == limit) json_object_set_new(resp, "next", json_integer(last));
    http_json(rs, 200, resp);
    return 0;
}

int rest_alerts_one(http_req *rq, http_resp *rs, const char *id)
{
    alerts_t *a;
    if (!rest_can_read(rq, rs)) return 0;
    if (strcmp(id, "history") == 0) return alerts_history(rq, rs);
    if (!(a = mod(rq, rs))) return 0;
    json_t *al = alerts_get(a, id, rq->who.halls, rq->who.names);
    if (!al)
        http_error(rs, 404, "no alert '%s'", id);
    else
        http_json(rs, 200, al);
    return 0;
}

int rest_alerts_ack(http_req *rq, http_resp *rs, const char *id)
{
    alerts_t *a;
    if (!operator_(rq, rs, "acknowledging") || !(a = mod(rq, rs))) return 0;
    json_t *b = rq->body_len ? body_json(rq, rs) : json_object();
    if (!b) return 0;
    json_t *n = json_object_get(b, "note");
    if (n && (!json_is_string(n) || json_string_length(n) > NOTE_MAX)) {
        http_error(rs, 400, "note: must be a string of at most %d bytes", NOTE_MAX);
        json_decref(b);
        return 0;
    }
    const char *note = json_string_value(n);
    json_t *out = NULL;
    int st = alerts_ack(a, id, rq->who.user, note, rq->who.halls, &out);
    if (st == 200) {
        char detail[800];
        snprintf(detail, sizeof detail, "%s%s%s", id, note ? ": " : "", note ? note : "");
        hub_audit(rq->hub, rq->who.user, "alert_ack", detail);
        repl_publish(rq->hub, "alert_ack",
                     json_pack("{s:s,s:s,s:s?}", "id", id, "user", rq->who.user, "note", note));
        live_changed(rq->hub->live);
        http_json(rs, 200, out);
    } else if (st == 404) {
        http_error(rs, 404, "no alert '%s'", id);
    } else {
        http_error(rs, 409, "alert '%s' is resolved: nothing to acknowledge", id);
    }
    json_decref(b);
    return 0;
}

/* ---- silences ----------------------------------------------------------------------------- */

int rest_silences_list(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    alerts_t *a;
    if (!rest_can_read(rq, rs) || !(a = mod(rq, rs))) return 0;
    http_json(rs, 200, json_pack("{s:o}", "silences", alerts_silences(a, rq->who.halls)));
    return 0;
}

int rest_silences_add(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    alerts_t *a;
    if (!operator_(rq, rs, "silencing") || !(a = mod(rq, rs))) return 0;
    json_t *b = body_json(rq, rs);
    if (!b) return 0;
    json_t *out = NULL;
    char err[300];
    int st = alerts_silence_add(a, b, rq->who.user, rq->who.halls, &out, err, sizeof err);
    if (st == 201) {
        char *txt = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
        char detail[1200];
        snprintf(detail, sizeof detail, "%s %s", json_string_value(json_object_get(out, "id")),
                 txt ? txt : "");
        free(txt);
        hub_audit(rq->hub, rq->who.user, "silence_add", detail);
        json_t *rb = json_deep_copy(b); /* as stored: startsAt filled in when it was missing */
        json_t *sa = json_object_get(out, "startsAt");
        if (sa && !json_object_get(rb, "startsAt")) json_object_set(rb, "startsAt", sa);
        repl_publish(rq->hub, "silence_add",
                     json_pack("{s:s,s:s,s:o}", "id", json_string_value(json_object_get(out, "id")),
                               "user", rq->who.user, "body", rb));
        http_json(rs, 201, out);
    } else {
        if (st == 429) rq->hub->m.limit_429++;
        http_error(rs, st, "silence: %s", err);
    }
    json_decref(b);
    return 0;
}

int rest_silences_expire(http_req *rq, http_resp *rs, const char *id)
{
    alerts_t *a;
    if (!operator_(rq, rs, "expiring a silence") || !(a = mod(rq, rs))) return 0;
    char ib[80];
    if (!id || !*id) id = http_arg(rq, "id", ib, sizeof ib);
    if (!id || !*id) {
        http_error(rs, 400, "name the silence: DELETE /api/v1/silences/{id}");
        return 0;
    }
    json_t *out = NULL;
    if (alerts_silence_expire(a, id, rq->who.user, rq->who.halls, &out) != 200) {
        http_error(rs, 404, "no silence '%s'", id);
        return 0;
    }
    hub_audit(rq->hub, rq->who.user, "silence_expire", id);
    repl_publish(rq->hub, "silence_expire", json_pack("{s:s,s:s}", "id", id, "user", rq->who.user));
    http_json(rs, 200, out);
    return 0;
}

/* ---- reviews and cases -------------------------------------------------------------------- */

static void case_fields(json_t *o, const state_qcase *c)
{
    char b[40];
    json_object_set_new(o, "case", json_string(ev_case_state_name(c->state)));
    json_object_set_new(o, "overdue", json_boolean(c->overdue));
    json_object_set_new(o, "contacted", json_boolean(c->contacted));
    if (c->upheld) json_object_set_new(o, "upheld", json_true());
    if (c->contact_deadline_ms >= 0)
        json_object_set_new(o, "contact_deadline",
                            json_string(cwt_format_local(c->contact_deadline_ms, b)));
    json_object_set_new(o, "rectify_deadline",
                        json_string(cwt_format_local(c->rectify_deadline_ms, b)));
}

static bool want_bad(http_req *rq)
{
    char bb[8];
    const char *bad = http_arg(rq, "bad", bb, sizeof bb);
    return bad && (!strcmp(bad, "1") || !strcmp(bad, "true"));
}

static int bad_reviews(http_req *rq, http_resp *rs, int only)
{
    alerts_t *a;
    if (!(a = mod(rq, rs))) return 0;
    json_t *out = json_array();
    for (int h = 0; h < rq->hub->cfg->nhalls; h++) {
        if ((only >= 0 && h != only) || !auth_may_see(&rq->who, h)) continue;
        json_t *recs = alerts_review_records(a, h, rq->who.names);
        size_t i;
        json_t *r;
        json_array_foreach(recs, i, r)
        {
            state_qcase c;
            const char *id = json_string_value(json_object_get(r, "review"));
            if (state_query_case(rq->hub->state, h, id, &c) == 0) case_fields(r, &c);
            json_object_set_new(r, "bad", json_true());
            json_array_append(out, r);
        }
        json_decref(recs);
    }
    http_json(rs, 200, json_pack("{s:o}", "reviews", out));
    return 0;
}

int rest_reviews(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    int h = hall_q(rq, rs, "hall");
    if (h == -2) return 0;
    if (want_bad(rq)) return bad_reviews(rq, rs, h);
    int64_t after = 0, limit = PAGE_DEFAULT;
    if (rest_int_arg(rq, rs, "after", 0, INT64_MAX, &after) < 0 ||
        rest_int_arg(rq, rs, "limit", 1, PAGE_MAX, &limit) < 0)
        return 0;
    sqlite3 *db = store_reader(rq->hub->store);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, hall, body FROM events WHERE id > ?1 AND"
                           " type = 'review.submitted' AND (?2 IS NULL OR hall = ?2)"
                           " ORDER BY id LIMIT ?3",
                           -1, &st, NULL) != SQLITE_OK) {
        http_error(rs, 500, "reviews: %s", sqlite3_errmsg(db));
        return 0;
    }
    sqlite3_bind_int64(st, 1, after);
    if (h >= 0) sqlite3_bind_text(st, 2, rq->hub->cfg->halls[h].id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, limit);
    json_t *out = json_array();
    long long rows = 0, last = after;
    while (sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        last = sqlite3_column_int64(st, 0);
        const char *hall = (const char *)sqlite3_column_text(st, 1);
        int hi = cfg_hall_index(rq->hub->cfg, hall);
        if (hi < 0 || !auth_may_see(&rq->who, hi)) continue;
        json_t *e = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
        json_t *d = json_object_get(e, "data");
        json_t *o = json_pack("{s:I,s:s}", "event", (json_int_t)last, "hall", hall);
        static const char *const keys[] = {"review", "level",  "channel", "window",
                                           "staff",  "ticket", "item",    "real_name"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            json_t *v = json_object_get(d, keys[k]);
            if (v && !json_is_null(v)) json_object_set(o, keys[k], v);
        }
        json_t *at = json_object_get(e, "at");
        if (at) json_object_set(o, "at", at);
        const char *comment = json_string_value(json_object_get(d, "comment"));
        if (comment && rq->who.names) {
            char *m = pii_mask(comment);
            if (m) json_object_set_new(o, "comment", json_string(m));
            free(m);
        }
        json_int_t level = json_integer_value(json_object_get(d, "level"));
        json_object_set_new(o, "bad", json_boolean(level >= 1 && level <= 2));
        state_qcase c;
        const char *rid = json_string_value(json_object_get(d, "review"));
        if (rid && state_query_case(rq->hub->state, hi, rid, &c) == 0) case_fields(o, &c);
        if (rq->hub->alerts && rid) {
            json_t *rec = alerts_review_record(rq->hub->alerts, hi, rid, false);
            json_t *sens = json_object_get(rec, "sensitive");
            if (sens) json_object_set(o, "sensitive", sens);
            json_decref(rec);
        }
        json_array_append_new(out, o);
        json_decref(e);
    }
    sqlite3_finalize(st);
    json_t *resp = json_pack("{s:o}", "reviews", out);
    if (rows == limit) json_object_set_new(resp, "next", json_integer(last));
    http_json(rs, 200, resp);
    return 0;
}

typedef struct cases_ud {
    http_req *rq;
    int hall;
    const char *filter;
    json_t *out;
} cases_ud;

static bool case_passes(const state_qcase *c, const char *f)
{
    if (!f || !*f || !strcmp(f, "all")) return true;
    if (!strcmp(f, "open")) return c->state != EV_CASE_CLOSED && c->state != EV_CASE_APPEAL_UPHELD;
    if (!strcmp(f, "overdue")) return c->overdue;
    return !strcmp(f, ev_case_state_name(c->state));
}

static void case_add(void *ud, const state_qcase *c)
{
    cases_ud *u = ud;
    if (!case_passes(c, u->filter)) return;
    hub_t *hub = u->rq->hub;
    char b[40];
    json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:b}", "review", c->review, "hall",
                          hub->cfg->halls[u->hall].id, "level", c->level, "at",
                          cwt_format_local(c->at_ms, b), "real_name", c->real_name);
    case_fields(o, c);
    json_object_set_new(o, "state", json_string(ev_case_state_name(c->state)));
    json_object_del(o, "case");
    if (hub->alerts) {
        json_t *rec = alerts_review_record(hub->alerts, u->hall, c->review, u->rq->who.names);
        static const char *const keys[] = {"window",  "staff",     "item",
                                           "comment", "sensitive", "channel"};
        for (size_t k = 0; rec && k < sizeof keys / sizeof keys[0]; k++) {
            json_t *v = json_object_get(rec, keys[k]);
            if (v) json_object_set(o, keys[k], v);
        }
        json_decref(rec);
    }
    const char *staff = json_string_value(json_object_get(o, "staff"));
    const cfg_hall *ch = &hub->cfg->halls[u->hall];
    int si = staff && u->rq->who.names ? cfg_staff_index(ch, staff) : -1;
    if (si >= 0) json_object_set_new(o, "staff_name", json_string(ch->staff[si].name));
    json_array_append_new(u->out, o);
}

int rest_cases(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    int only = hall_q(rq, rs, "hall");
    if (only == -2) return 0;
    char fb[32];
    const char *f = http_arg(rq, "state", fb, sizeof fb);
    if (f && *f && strcmp(f, "all") && strcmp(f, "open") && strcmp(f, "overdue")) {
        bool known = false;
        for (int s = EV_CASE_ASSIGNED; s <= EV_CASE_APPEAL_REJECTED; s++)
            known |= !strcmp(f, ev_case_state_name(s));
        if (!known) {
            http_error(rs, 400,
                       "state: expected all, open, overdue or a case state "
                       "(assigned, contacted, rectifying, closed, appealed, "
                       "appeal_upheld)");
            return 0;
        }
    }
    cases_ud u = {.rq = rq, .filter = f, .out = json_array()};
    for (int h = 0; h < rq->hub->cfg->nhalls; h++) {
        if ((only >= 0 && h != only) || !auth_may_see(&rq->who, h)) continue;
        u.hall = h;
        state_query_cases(rq->hub->state, h, case_add, &u);
    }
    http_json(rs, 200, json_pack("{s:o}", "cases", u.out));
    return 0;
}

int rest_case_move(http_req *rq, http_resp *rs, const char *review)
{
    alerts_t *a;
    if (!operator_(rq, rs, "moving a case") || !(a = mod(rq, rs))) return 0;
    json_t *b = body_json(rq, rs);
    if (!b) return 0;
    const char *state = json_string_value(json_object_get(b, "state"));
    json_t *note = json_object_get(b, "note");
    const char *hall_s = json_string_value(json_object_get(b, "hall"));
    int hall = -1;
    state_qcase c;
    for (int h = 0; h < rq->hub->cfg->nhalls && hall < 0; h++) {
        if (!auth_may_see(&rq->who, h)) continue;
        if (hall_s && strcmp(hall_s, rq->hub->cfg->halls[h].id) != 0) continue;
        if (state_query_case(rq->hub->state, h, review, &c) == 0) hall = h;
    }
    if (hall < 0) {
        http_error(rs, 404, "no open bad-review case for review '%s'", review);
        json_decref(b);
        return 0;
    }
    bool known = false;
    for (int s = EV_CASE_ASSIGNED; state && s <= EV_CASE_APPEAL_REJECTED; s++)
        known |= !strcmp(state, ev_case_state_name(s));
    if (!known) {
        http_error(rs, 400,
                   "state: expected assigned, contacted, rectifying, closed, appealed, "
                   "appeal_upheld or appeal_rejected");
        json_decref(b);
        return 0;
    }
    if (note && (!json_is_string(note) || json_string_length(note) > NOTE_MAX)) {
        http_error(rs, 400, "note: must be a string of at most %d bytes", NOTE_MAX);
        json_decref(b);
        return 0;
    }
    char at[40];
    cwt_format_local(hub_now(rq->hub), at);
    json_t *data = json_pack("{s:s,s:s}", "review", review, "state", state);
    if (note) json_object_set(data, "note", note);
    json_t *evs =
        json_pack("[{s:s,s:s,s:I,s:s,s:s,s:o}]", "hall", rq->hub->cfg->halls[hall].id, "feed",
                  hub_operator_feed(rq->hub), "seq", (json_int_t)alerts_next_operator_seq(a, hall),
                  "type", "review.case", "at", at, "data", data);
    int status = 0;
    char err[256];
    ingest_body body = {.root = evs};
    store_job *job =
        evs ? ingest_prepare(rq->hub, -1, &body, NULL, false, &status, err, sizeof err) : NULL;
    if (!job) {
        http_error(rs, status ? status : 500, "case: %s", status ? err : "out of memory");
    } else if (job->nitems != 1 || job->items[0].kind != STORE_ITEM_EVENT) {
        http_error(rs, 400, "case: %s",
                   job->nitems && job->items[0].reason ? job->items[0].reason : "rejected");
        ingest_job_free(job);
    } else {
        ingest_submit(rq->hub, job, NULL, 0);
        char detail[800];
        snprintf(detail, sizeof detail, "%s/%s -> %s%s%s", rq->hub->cfg->halls[hall].id, review,
                 state, note ? ": " : "", note ? json_string_value(note) : "");
        hub_audit(rq->hub, rq->who.user, "case", detail);
        http_json(rs, 202,
                  json_pack("{s:s,s:s,s:s,s:s}", "review", review, "hall",
                            rq->hub->cfg->halls[hall].id, "from", ev_case_state_name(c.state),
                            "state", state));
    }
    json_decref(b);
    return 0;
}
