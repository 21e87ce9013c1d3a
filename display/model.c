/* model: the render thread's copy of the city and what panels derive from it; see model.h. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void model_init(model *m)
{
    memset(m, 0, sizeof *m);
    m->hall_docs = json_object();
    m->glass_p50_ms = -1;
}

void model_free(model *m)
{
    json_decref(m->city);
    json_decref(m->alerts);
    json_decref(m->registry);
    json_decref(m->hall_docs);
    json_decref(m->wall_doc);
    json_decref(m->province);
    memset(m, 0, sizeof *m);
}

int model_status_parse(const char *s)
{
    if (!s) return MODEL_ST_UNKNOWN;
    if (!strcmp(s, "ok")) return MODEL_ST_OK;
    if (!strcmp(s, "closed")) return MODEL_ST_CLOSED;
    if (!strcmp(s, "warn")) return MODEL_ST_WARN;
    if (!strcmp(s, "alert")) return MODEL_ST_ALERT;
    if (!strcmp(s, "offline")) return MODEL_ST_OFFLINE;
    return MODEL_ST_UNKNOWN;
}

const char *model_status_name(int st)
{
    static const char *n[] = {"unknown", "ok", "closed", "warn", "alert", "offline"};
    return st >= 0 && st < MODEL_ST_COUNT ? n[st] : "unknown";
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !memcmp(s + a - b, suf, b);
}

void model_short_name(const char *name, const char *level, char *out, size_t n)
{
    const char *p = strstr(name, "市行政服务中心");
    if (p && level && !strcmp(level, "city")) {
        snprintf(out, n, "%s", p);
        return;
    }
    static const char *sufs[] = {"便民服务中心", "便民服务点", "行政服务中心", "服务中心"};
    for (size_t i = 0; i < sizeof sufs / sizeof sufs[0]; i++)
        if (ends_with(name, sufs[i]) && strlen(name) > strlen(sufs[i])) {
            size_t k = strlen(name) - strlen(sufs[i]);
            if (k >= n) k = n - 1;
            memcpy(out, name, k);
            out[k] = 0;
            return;
        }
    snprintf(out, n, "%s", name);
}

int model_hall_index(const model *m, const char *id)
{
    for (int i = 0; i < m->nhalls; i++)
        if (!strcmp(m->halls[i].id, id)) return i;
    return -1;
}

int model_camera_index(const model *m, const char *id)
{
    for (int i = 0; i < m->ncams; i++)
        if (!strcmp(m->cams[i].id, id)) return i;
    return -1;
}

static int64_t parse_time(json_t *v)
{
    int64_t ms;
    const char *s = json_string_value(v);
    if (!s || cwt_parse_rfc3339(s, &ms, NULL) < 0) return 0;
    return ms;
}

static model_hall *hall_get(model *m, const char *id)
{
    int i = model_hall_index(m, id);
    if (i >= 0) return &m->halls[i];
    if (m->nhalls >= MODEL_MAX_HALLS || strlen(id) >= sizeof m->halls[0].id) return NULL;
    model_hall *h = &m->halls[m->nhalls++];
    memset(h, 0, sizeof *h);
    snprintf(h->id, sizeof h->id, "%s", id);
    snprintf(h->name, sizeof h->name, "%s", id);
    snprintf(h->short_name, sizeof h->short_name, "%s", id);
    return h;
}

static void set_names(model_hall *h, const char *name, const char *level)
{
    if (name) snprintf(h->name, sizeof h->name, "%s", name);
    if (level) snprintf(h->level, sizeof h->level, "%s", level);
    model_short_name(h->name, h->level, h->short_name, sizeof h->short_name);
}

static int cmp_hall(const void *a, const void *b)
{
    return strcmp(((const model_hall *)a)->id, ((const model_hall *)b)->id);
}

/* Halls from the registry (location) and the city document (status, KPIs). */
static void rebuild_halls(model *m)
{
    size_t i;
    json_t *h;
    json_array_foreach(m->registry, i, h)
    {
        const char *id = json_string_value(json_object_get(h, "id"));
        if (!id) continue;
        model_hall *mh = hall_get(m, id);
        if (!mh) continue;
        set_names(mh, json_string_value(json_object_get(h, "name")),
                  json_string_value(json_object_get(h, "level")));
        json_t *lat = json_object_get(h, "lat"), *lng = json_object_get(h, "lng");
        if (json_is_number(lat) && json_is_number(lng)) {
            mh->lat = json_number_value(lat);
            mh->lng = json_number_value(lng);
            mh->located = true;
        }
    }
    const char *id;
    json_t *ch;
    json_t *halls = json_object_get(m->city, "halls");
    json_object_foreach(halls, id, ch)
    {
        model_hall *mh = hall_get(m, id);
        if (!mh) continue;
        if (!m->registry || !strcmp(mh->name, mh->id))
            set_names(mh, json_string_value(json_object_get(ch, "name")),
                      json_string_value(json_object_get(ch, "level")));
    }
    /* a stable order (by id) whatever arrived first; pointers into docs are set after */
    qsort(m->halls, (size_t)m->nhalls, sizeof m->halls[0], cmp_hall);
    for (int k = 0; k < m->nhalls; k++) {
        json_t *c = json_object_get(halls, m->halls[k].id);
        m->halls[k].kpi = json_object_get(c, "kpi");
        m->halls[k].status = c ? model_status_parse(json_string_value(json_object_get(c, "status")))
                               : MODEL_ST_UNKNOWN;
        m->halls[k].last_event_ms = parse_time(json_object_get(c, "last_event_at"));
    }
}

static int cam_status(const char *s)
{
    if (!s) return MODEL_CAM_UNKNOWN;
    if (!strcmp(s, "online")) return MODEL_CAM_ONLINE;
    if (!strcmp(s, "offline")) return MODEL_CAM_OFFLINE;
    if (!strcmp(s, "no_frame")) return MODEL_CAM_NO_FRAME;
    return MODEL_CAM_UNKNOWN;
}

static int cmp_cam(const void *a, const void *b)
{
    const model_camera *x = a, *y = b;
    if (x->hall != y->hall) return x->hall - y->hall;
    return strcmp(x->id, y->id);
}

/* Cameras from the registry (every configured one) and the hall topics (status, URLs). */
static void rebuild_cameras(model *m)
{
    m->ncams = 0;
    size_t i;
    json_t *h;
    json_array_foreach(m->registry, i, h)
    {
        int hi = model_hall_index(m, json_string_value(json_object_get(h, "id")));
        if (hi < 0) continue;
        size_t k;
        json_t *c;
        json_array_foreach(json_object_get(h, "cameras"), k, c)
        {
            const char *cid = json_string_value(json_object_get(c, "id"));
            if (!cid || m->ncams >= MODEL_MAX_CAMS) continue;
            model_camera *mc = &m->cams[m->ncams++];
            memset(mc, 0, sizeof *mc);
            snprintf(mc->id, sizeof mc->id, "%s", cid);
            snprintf(mc->name, sizeof mc->name, "%s",
                     json_string_value(json_object_get(c, "name")) ?: cid);
            snprintf(mc->area, sizeof mc->area, "%s",
                     json_string_value(json_object_get(c, "area")) ?: "");
            mc->hall = hi;
            mc->status = cam_status(json_string_value(json_object_get(c, "status")));
        }
    }
    const char *hid;
    json_t *doc;
    json_object_foreach(m->hall_docs, hid, doc)
    {
        int hi = model_hall_index(m, hid);
        if (hi < 0) continue;
        const char *cid;
        json_t *c;
        json_object_foreach(json_object_get(doc, "cameras"), cid, c)
        {
            int ci = model_camera_index(m, cid);
            if (ci < 0) {
                if (m->ncams >= MODEL_MAX_CAMS) continue;
                ci = m->ncams++;
                memset(&m->cams[ci], 0, sizeof m->cams[ci]);
                snprintf(m->cams[ci].id, sizeof m->cams[ci].id, "%s", cid);
                m->cams[ci].hall = hi;
            }
            model_camera *mc = &m->cams[ci];
            const char *s;
            if ((s = json_string_value(json_object_get(c, "name"))))
                snprintf(mc->name, sizeof mc->name, "%s", s);
            if ((s = json_string_value(json_object_get(c, "area"))))
                snprintf(mc->area, sizeof mc->area, "%s", s);
            mc->status = cam_status(json_string_value(json_object_get(c, "status")));
            s = json_string_value(json_object_get(c, "main"));
            snprintf(mc->main_url, sizeof mc->main_url, "%s", s ? s : "");
            s = json_string_value(json_object_get(c, "sub"));
            snprintf(mc->sub_url, sizeof mc->sub_url, "%s", s ? s : "");
        }
    }
    qsort(m->cams, (size_t)m->ncams, sizeof m->cams[0], cmp_cam);
}

/* The camera an alert points at: its camera scope, or the first camera of its window. */
static int alert_camera(const model *m, json_t *a, int hall)
{
    json_t *scope = json_object_get(a, "scope");
    const char *kind = json_string_value(json_object_get(scope, "kind"));
    if (!kind) return -1;
    if (!strcmp(kind, "camera")) {
        const char *cid = json_string_value(json_object_get(scope, "camera"));
        return cid ? model_camera_index(m, cid) : -1;
    }
    if (!strcmp(kind, "window") && hall >= 0) {
        const char *wid = json_string_value(json_object_get(scope, "window"));
        size_t i;
        json_t *h;
        json_array_foreach(m->registry, i, h)
        {
            if (strcmp(json_string_value(json_object_get(h, "id")) ?: "", m->halls[hall].id))
                continue;
            size_t k;
            json_t *w;
            json_array_foreach(json_object_get(h, "windows"), k, w)
            {
                if (!wid || strcmp(json_string_value(json_object_get(w, "id")) ?: "", wid))
                    continue;
                json_t *cams = json_object_get(w, "cameras");
                const char *cid = json_string_value(json_array_get(cams, 0));
                return cid ? model_camera_index(m, cid) : -1;
            }
        }
    }
    return -1;
}

static int cmp_alert(const void *a, const void *b)
{
    const model_alert *x = a, *y = b;
    if (x->silenced != y->silenced) return x->silenced ? 1 : -1;
    if (x->sev != y->sev) return x->sev - y->sev;
    if (x->started_ms != y->started_ms) return x->started_ms > y->started_ms ? -1 : 1;
    return strcmp(x->id, y->id);
}

static void rebuild_alerts(model *m)
{
    m->nalerts = 0;
    const char *id;
    json_t *a;
    json_object_foreach(m->alerts, id, a)
    {
        if (m->nalerts >= MODEL_MAX_ALERTS) break;
        const char *state = json_string_value(json_object_get(a, "state"));
        if (state && strcmp(state, "firing") != 0) continue;
        model_alert *ma = &m->alert_list[m->nalerts++];
        ma->a = a;
        ma->id = id;
        const char *sev = json_string_value(json_object_get(a, "severity"));
        ma->sev = sev && sev[0] == 'P' && sev[1] >= '1' && sev[1] <= '4' ? sev[1] - '0' : 5;
        const char *hall = json_string_value(json_object_get(a, "hall"));
        ma->hall = hall ? model_hall_index(m, hall) : -1;
        ma->started_ms = parse_time(json_object_get(a, "started"));
        ma->silenced = json_is_true(json_object_get(a, "silenced")) ||
                       json_is_true(json_object_get(a, "inhibited"));
        ma->camera = alert_camera(m, a, ma->hall);
    }
    qsort(m->alert_list, (size_t)m->nalerts, sizeof m->alert_list[0], cmp_alert);
}

static void trend_reset(model *m, int day)
{
    m->day = day;
    memset(m->have, 0, sizeof m->have);
    memset(m->waiting, 0, sizeof m->waiting);
    memset(m->issued, 0, sizeof m->issued);
}

static int city_day(const model *m)
{
    const char *d = json_string_value(json_object_get(m->city, "day"));
    return d ? cwt_parse_date(d) : 0;
}

static void backfill(model *m, json_t *hist)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(hist, "series"), i, p)
    {
        int64_t t = parse_time(json_object_get(p, "t"));
        if (!t) continue;
        cwt_local lt;
        cwt_to_local(t, &lt);
        if (m->day == 0) trend_reset(m, lt.date);
        if (lt.date != m->day) continue;
        json_t *k = json_object_get(p, "kpi");
        json_t *w = json_object_get(k, "waiting"), *is = json_object_get(k, "issued");
        if (!json_is_integer(w) || !json_is_integer(is)) continue;
        int mi = lt.minute;
        if (m->have[mi] == 2) continue; /* a live sample wins */
        m->waiting[mi] = (int32_t)json_integer_value(w);
        m->issued[mi] = (int32_t)json_integer_value(is);
        m->have[mi] = 1;
    }
}

int64_t model_now(const model *m)
{
    if (m->clock_valid) return cwt_clock_now(&m->clock);
    return cwt_real_ms();
}

void model_sample_trend(model *m)
{
    if (!m->city || !m->clock_valid) return;
    int day = city_day(m);
    cwt_local lt;
    cwt_to_local(model_now(m), &lt);
    if (day && lt.date != day) return; /* the clock and the document disagree: wait */
    if (m->day != lt.date) trend_reset(m, lt.date);
    json_t *k = json_object_get(m->city, "kpi");
    json_t *w = json_object_get(k, "waiting"), *is = json_object_get(k, "issued");
    if (!json_is_integer(w) || !json_is_integer(is)) return;
    int mi = lt.minute;
    if (m->have[mi] == 2 && m->waiting[mi] == (int32_t)json_integer_value(w) &&
        m->issued[mi] == (int32_t)json_integer_value(is))
        return;
    m->waiting[mi] = (int32_t)json_integer_value(w);
    m->issued[mi] = (int32_t)json_integer_value(is);
    m->have[mi] = 2;
    m->version++;
}

bool model_apply(model *m, hub_update *u)
{
    bool changed = false, halls = false, cams = false, alerts = false;
    if (u->registry) {
        json_decref(m->registry);
        m->registry = u->registry;
        u->registry = NULL;
        halls = cams = alerts = true;
    }
    if (u->city) {
        json_decref(m->city);
        m->city = u->city;
        u->city = NULL;
        halls = alerts = true;
        int day = city_day(m);
        if (day && m->day && day != m->day) trend_reset(m, day);
    }
    if (u->halls) {
        const char *id;
        json_t *h;
        json_object_foreach(u->halls, id, h) json_object_set(m->hall_docs, id, h);
        json_decref(u->halls);
        u->halls = NULL;
        cams = true;
    }
    if (u->alerts) {
        json_decref(m->alerts);
        m->alerts = u->alerts;
        u->alerts = NULL;
        alerts = true;
    }
    if (u->city_ack_ms && (!m->glass_ack_ms || u->city_ack_ms < m->glass_ack_ms))
        m->glass_ack_ms = u->city_ack_ms;
    if (u->wall) {
        json_decref(m->wall_doc);
        m->wall_doc = u->wall;
        u->wall = NULL;
        wallstate_parse(&m->wall, m->wall_doc, u->wall_rev);
        changed = true;
    }
    if (u->province) {
        json_decref(m->province);
        m->province = u->province;
        u->province = NULL;
        changed = true;
    }
    m->province_rx_ms = u->province_rx_ms;
    if (u->history) {
        backfill(m, u->history);
        json_decref(u->history);
        u->history = NULL;
        changed = true;
    }
    if (halls) rebuild_halls(m);
    if (cams || halls) rebuild_cameras(m);
    if (alerts || cams) rebuild_alerts(m);
    if (m->connected != u->connected || m->alerts_unavailable != u->alerts_unavailable ||
        m->auth_failed != u->auth_failed)
        changed = true;
    m->auth_failed = u->auth_failed;
    m->known_ms = u->known_ms;
    m->connected = u->connected;
    if (u->connected) m->ever_connected = true;
    m->alerts_unavailable = u->alerts_unavailable;
    if (m->alerts_unavailable && m->alerts) {
        json_decref(m->alerts);
        m->alerts = NULL;
        m->nalerts = 0;
    }
    m->city_rx_ms = u->city_rx_ms;
    m->alerts_rx_ms = u->alerts_rx_ms;
    m->halls_rx_ms = u->halls_rx_ms;
    m->down_since_ms = u->down_since_ms;
    m->city_rev = u->city_rev;
    m->reconnects = u->reconnects;
    m->failures = u->failures;
    m->snapshots = u->snapshots;
    m->resumes = u->resumes;
    snprintf(m->error, sizeof m->error, "%s", u->error);
    m->clock_valid = u->clock_valid;
    m->clock = u->clock;
    changed = changed || halls || cams || alerts;
    if (changed) m->version++;
    model_sample_trend(m);
    return changed;
}

bool model_kpi(const model *m, int hall, const char *key, double *out)
{
    json_t *k = hall < 0 ? json_object_get(m->city, "kpi") : m->halls[hall].kpi;
    json_t *v = json_object_get(k, key);
    if (!json_is_number(v)) return false;
    *out = json_number_value(v);
    return true;
}

static json_t *province_city(const model *m, int i, const char **id)
{
    json_t *cities = json_object_get(m->province, "cities"), *c;
    const char *k;
    int n = 0;
    json_object_foreach(cities, k, c)
    {
        if (n++ != i) continue;
        if (id) *id = k;
        return c;
    }
    return NULL;
}

int model_province_ncities(const model *m)
{
    return (int)json_object_size(json_object_get(m->province, "cities"));
}

const char *model_province_city(const model *m, int i, const char **name)
{
    const char *id = NULL;
    json_t *c = province_city(m, i, &id);
    if (name) *name = c ? json_string_value(json_object_get(c, "name")) : NULL;
    if (name && !*name) *name = id;
    return id;
}

bool model_province_kpi(const model *m, int i, const char *key, double *out)
{
    json_t *o = i < 0 ? m->province : province_city(m, i, NULL);
    json_t *v = json_object_get(json_object_get(o, "kpi"), key);
    if (!json_is_number(v)) return false;
    *out = json_number_value(v);
    return true;
}

bool model_city_silent(const model *m, const char *id)
{
    for (int i = 0; i < m->nalerts; i++)
        if (!strncmp(m->alert_list[i].id, "R16:", 4) && !strcmp(m->alert_list[i].id + 4, id))
            return true;
    return false;
}

void model_hall_counts(const model *m, int counts[MODEL_ST_COUNT])
{
    memset(counts, 0, sizeof(int) * MODEL_ST_COUNT);
    for (int i = 0; i < m->nhalls; i++) {
        int st = m->halls[i].status;
        counts[st >= 0 && st < MODEL_ST_COUNT ? st : MODEL_ST_UNKNOWN]++;
    }
}

void model_alert_counts(const model *m, int by_sev[6], int *muted)
{
    memset(by_sev, 0, sizeof(int) * 6);
    *muted = 0;
    for (int i = 0; i < m->nalerts; i++) {
        const model_alert *a = &m->alert_list[i];
        if (a->silenced)
            (*muted)++;
        else
            by_sev[a->sev >= 1 && a->sev <= 4 ? a->sev : 5]++;
    }
}

bool model_hall_silent(const model *m, int hall, int64_t now_ms, int64_t *age_ms)
{
    if (hall < 0 || hall >= m->nhalls) return false;
    const model_hall *h = &m->halls[hall];
    if (h->status == MODEL_ST_CLOSED || h->status == MODEL_ST_UNKNOWN || h->last_event_ms <= 0)
        return false;
    int64_t age = now_ms - h->last_event_ms;
    if (age < 0) age = 0;
    if (age <= MODEL_SILENT_MS) return false;
    if (age_ms) *age_ms = age;
    return true;
}

bool model_silent_label(const model *m, int hall, int64_t now_ms, bool en, char *out, size_t n)
{
    int64_t age;
    out[0] = 0;
    if (!model_hall_silent(m, hall, now_ms, &age)) return false;
    int64_t min = age / 60000;
    if (min >= 120)
        snprintf(out, n, en ? "no data %lld h" : "数据中断 %lld小时", (long long)(min / 60));
    else if (min >= 1)
        snprintf(out, n, en ? "no data %lld min" : "数据中断 %lld分钟", (long long)min);
    else
        snprintf(out, n, en ? "no data %lld s" : "数据中断 %lld秒", (long long)(age / 1000));
    return true;
}
