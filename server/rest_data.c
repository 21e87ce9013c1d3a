/* rest_data: the stored data -- GET /api/v1/history (per-minute roll-ups), /api/v1/events (the
 * events, paged, PII masked unless the account may see it raw) and /api/v1/quarantine (SPEC §7).
 *
 * Thread: service thread. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pii.h"
#include "rest_data.h"
#include "rest.h"
#include "route.h"
#include "xalloc.h"

/* A time argument: RFC 3339, or a date "2026-11-23" (its local midnight). */
static int time_arg(http_req *rq, http_resp *rs, const char *name, int64_t *out)
{
    char buf[64], err[256];
    int rc = route_time(name, http_arg(rq, name, buf, sizeof(buf)), out, err, sizeof(err));
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

int rest_history(http_req *rq, http_resp *rs, const char *arg)
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

int rest_events(http_req *rq, http_resp *rs, const char *arg)
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

int rest_quarantine(http_req *rq, http_resp *rs, const char *arg)
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
