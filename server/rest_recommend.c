/* rest_recommend: GET /api/v1/recommend (智能分流) -- the halls that handle a matter, ranked by
 * travel and expected wait (docs/decisions.md, "REST").
 *
 * Thread: service thread. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest_data.h"
#include "rest.h"
#include "xalloc.h"

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

int rest_recommend(http_req *rq, http_resp *rs, const char *arg)
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
