/* rest_stats: GET /api/v1/stats and GET /api/v1/scorecards (see rest_stats.h). */
#include "rest_stats.h"

#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "stats_query.h"
#include "stats_score.h"

int rest_stats_period(http_req *rq, http_resp *rs, stats_period *p)
{
    char b[5][48], err[200];
    const char *day = http_arg(rq, "day", b[0], sizeof b[0]);
    const char *week = http_arg(rq, "week", b[1], sizeof b[1]);
    const char *month = http_arg(rq, "month", b[2], sizeof b[2]);
    const char *from = http_arg(rq, "from", b[3], sizeof b[3]);
    const char *to = http_arg(rq, "to", b[4], sizeof b[4]);
    if (stats_period_parse(day, week, month, from, to, p, err, sizeof err) < 0) {
        http_error(rs, 400, "%s", err);
        return -1;
    }
    return 0;
}

int rest_stats_hall(http_req *rq, http_resp *rs)
{
    char hb[64];
    const char *hall = http_arg(rq, "hall", hb, sizeof hb);
    if (!hall || !*hall) return -1;
    int h = rest_hall_arg(rq, rs, hall);
    return h < 0 ? -2 : h;
}

/* One drill-down filter argument (an id of at most 64 bytes); -1 after answering 400. */
static int id_arg(http_req *rq, http_resp *rs, const char *name, char *buf, int len,
                  const char **out)
{
    *out = http_arg(rq, name, buf, len);
    if (*out && (!**out || strlen(*out) > 64)) {
        http_error(rs, 400, "%s: must be an id of 1 to 64 bytes", name);
        return -1;
    }
    return 0;
}

static json_t *run(http_req *rq, http_resp *rs, const stats_period *p, const stats_filter *f)
{
    stats_result r;
    char err[200];
    if (stats_query(store_reader(rq->hub->store), rq->hub->cfg, p, f, &r, err, sizeof err) < 0) {
        http_error(rs, 500, "%s", err);
        return NULL;
    }
    json_t *doc = stats_result_json(rq->hub->cfg, p, f, &r, rq->who.names);
    stats_result_free(&r);
    return doc;
}

int rest_stats(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    stats_period p;
    if (rest_stats_period(rq, rs, &p) < 0) return 0;
    stats_filter f = {.level = SL_CITY, .halls = rq->who.halls};
    char lb[16], bb[4][72], cb[4];
    const char *level = http_arg(rq, "level", lb, sizeof lb);
    if (level && (f.level = stats_level_from_name(level)) < 0) {
        http_error(rs, 400, "level: '%s' is not one of city, hall, biz, window, staff, item",
                   level);
        return 0;
    }
    if ((f.hall = rest_stats_hall(rq, rs)) == -2) return 0;
    if (id_arg(rq, rs, "biz", bb[0], sizeof bb[0], &f.biz) < 0 ||
        id_arg(rq, rs, "window", bb[1], sizeof bb[1], &f.win) < 0 ||
        id_arg(rq, rs, "staff", bb[2], sizeof bb[2], &f.staff) < 0 ||
        id_arg(rq, rs, "item", bb[3], sizeof bb[3], &f.item) < 0)
        return 0;
    json_t *doc = run(rq, rs, &p, &f);
    if (!doc) return 0;
    const char *cmp = http_arg(rq, "compare", cb, sizeof cb);
    if (cmp && !strcmp(cmp, "1")) {
        stats_period q = stats_period_previous(&p);
        json_t *prev = run(rq, rs, &q, &f);
        if (!prev) {
            json_decref(doc);
            return 0;
        }
        json_object_set_new(doc, "previous", prev);
    }
    http_json(rs, 200, doc);
    return 0;
}

int rest_scorecards(http_req *rq, http_resp *rs, const char *arg)
{
    (void)arg;
    if (!rest_can_read(rq, rs)) return 0;
    char mb[16], lb[16], err[200];
    const char *month = http_arg(rq, "month", mb, sizeof mb);
    stats_period p;
    if (!month || stats_period_parse(NULL, NULL, month, NULL, NULL, &p, err, sizeof err) < 0) {
        http_error(rs, 400, "month: give a month YYYY-MM");
        return 0;
    }
    const char *level = http_arg(rq, "level", lb, sizeof lb);
    int lv = level ? stats_level_from_name(level) : SL_STAFF;
    if (lv != SL_WINDOW && lv != SL_STAFF && lv != SL_HALL) {
        http_error(rs, 400, "level: must be window, staff or hall");
        return 0;
    }
    int h = rest_stats_hall(rq, rs);
    if (h == -2) return 0;
    json_t *doc = stats_scorecards(store_reader(rq->hub->store), rq->hub->cfg, &p, lv, h,
                                   rq->who.halls, rq->who.names, err, sizeof err);
    if (!doc) {
        http_error(rs, 500, "%s", err);
        return 0;
    }
    http_json(rs, 200, doc);
    return 0;
}
