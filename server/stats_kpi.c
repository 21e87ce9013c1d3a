/* stats_kpi: the KPIs of summed counters, as JSON (see stats_query.h, docs/statistics.md). */
#include <stdio.h>
#include <string.h>

#include "cwtime.h"
#include "event.h"
#include "stats_query.h"

static void set_rate(json_t *o, const char *k, int64_t num, int64_t den)
{
    if (den > 0) json_object_set_new(o, k, json_real((double)num / (double)den));
}

static void set_int(json_t *o, const char *k, int64_t v)
{
    json_object_set_new(o, k, json_integer(v));
}

static void set_mean_s(json_t *o, const char *k, int64_t sum_ms, int64_t n)
{
    if (n > 0) json_object_set_new(o, k, json_real((double)sum_ms / (double)n / 1000.0));
}

static json_t *channels_json(const stats_acc *a)
{
    json_t *o = json_object();
    for (int i = 0; i < STATS_NCH; i++) {
        if (!a->ch[i][0] && !a->ch[i][1]) continue;
        json_t *c = json_object();
        set_int(c, "issued", a->ch[i][0]);
        set_rate(c, "share", a->ch[i][0], a->c[SC_ISSUED]);
        set_mean_s(c, "avg_wait_s", a->ch[i][2], a->ch[i][1]);
        json_object_set_new(o, ev_channel_name(i), c);
    }
    return o;
}

static json_t *attendance_json(const stats_acc *a)
{
    const int64_t *c = a->c;
    json_t *o = json_object();
    json_object_set_new(o, "signed_min", json_real((double)c[SC_SIGNED_MS] / 60000.0));
    if (a->planned_min > 0) {
        set_int(o, "planned_min", a->planned_min);
        json_object_set_new(o, "rate",
                            json_real((double)c[SC_SIGNED_MS] / 60000.0 / (double)a->planned_min));
    }
    json_t *p = json_object();
    static const char *const reasons[] = {"lunch", "break", "meeting", "other"};
    for (int i = 0; i < 4; i++)
        json_object_set_new(p, reasons[i], json_real((double)c[SC_PAUSE_LUNCH_MS + i] / 60000.0));
    json_object_set_new(o, "pause_min", p);
    return o;
}

json_t *stats_kpi_json(const stats_acc *a)
{
    const int64_t *c = a->c;
    json_t *o = json_object();
    set_int(o, "issued", c[SC_ISSUED]);
    set_int(o, "calls", c[SC_CALLS]);
    set_int(o, "finished", c[SC_FINISHED]);
    set_int(o, "done", c[SC_DONE]);
    set_int(o, "supplement", c[SC_SUPPLEMENT]);
    set_int(o, "no_show", c[SC_NO_SHOW]);
    set_int(o, "transferred", c[SC_TRANSFERRED]);
    set_rate(o, "no_show_rate", c[SC_NO_SHOW], c[SC_ISSUED]);
    set_rate(o, "no_show_share", c[SC_NO_SHOW], c[SC_CALLS]);
    set_rate(o, "done_rate", c[SC_DONE], c[SC_FINISHED]);
    set_rate(o, "supplement_rate", c[SC_SUPPLEMENT], c[SC_FINISHED]);
    set_mean_s(o, "avg_wait_s", c[SC_WAIT_MS], c[SC_WAIT_N]);
    set_mean_s(o, "avg_service_s", c[SC_SVC_MS], c[SC_SVC_N]);
    set_int(o, "reviews", c[SC_REVIEWS]);
    set_rate(o, "good_rate", c[SC_GOOD], c[SC_REVIEWS]);
    set_rate(o, "satisfied_rate", c[SC_SATISFIED], c[SC_REVIEWS]);
    set_int(o, "bad_reviews", c[SC_BAD]);
    if (c[SC_REVIEWS] > 0)
        json_object_set_new(o, "score",
                            json_real((double)c[SC_LEVEL_SUM] / (double)c[SC_REVIEWS] * 20.0));
    set_int(o, "rectify_due", c[SC_BAD_DUE]);
    set_int(o, "rectify_on_time", c[SC_RECT_ON_TIME]);
    set_rate(o, "rectify_rate", c[SC_RECT_ON_TIME], c[SC_BAD_DUE]);
    set_int(o, "contacted", c[SC_CONTACTED]);
    set_rate(o, "contact_rate", c[SC_CONTACTED], c[SC_BAD]);
    json_object_set_new(o, "appeals",
                        json_pack("{s:I,s:I,s:I}", "appealed", (json_int_t)c[SC_APPEALED], "upheld",
                                  (json_int_t)c[SC_UPHELD], "rejected",
                                  (json_int_t)c[SC_APPEAL_REJECTED]));
    json_object_set_new(o, "channels", channels_json(a));
    json_object_set_new(o, "attendance", attendance_json(a));
    return o;
}

const char *stats_row_name(const cfg_t *cfg, int level, const stats_row *row, bool names)
{
    if (row->hall < 0) return level == SL_CITY ? cfg->city.name : NULL;
    const cfg_hall *h = &cfg->halls[row->hall];
    if (level == SL_HALL) return h->name;
    if (level == SL_BIZ) {
        int b = cfg_biz_index(h, row->key);
        return b >= 0 ? h->biz[b].name : NULL;
    }
    if (level == SL_STAFF && names) {
        int s = cfg_staff_index(h, row->key);
        return s >= 0 ? h->staff[s].name : NULL;
    }
    return NULL;
}

static json_t *period_json(const stats_period *p)
{
    char a[11], b[11];
    static const char *const kinds[] = {"day", "week", "month", "range"};
    return json_pack("{s:s,s:s,s:s,s:s,s:i}", "kind", kinds[p->kind], "label", p->label, "from",
                     cwt_format_date(p->from, a), "to", cwt_format_date(p->to, b), "days",
                     stats_days_between(p->from, p->to));
}

json_t *stats_result_json(const cfg_t *cfg, const stats_period *p, const stats_filter *f,
                          const stats_result *r, bool names)
{
    static const char *const keyname[SL__COUNT] = {NULL, NULL, "biz", "window", "staff", "item"};
    json_t *rows = json_array();
    for (int i = 0; i < r->nrows; i++) {
        const stats_row *row = &r->rows[i];
        json_t *o = json_object();
        if (row->hall >= 0) json_object_set_new(o, "hall", json_string(cfg->halls[row->hall].id));
        if (keyname[f->level]) json_object_set_new(o, keyname[f->level], json_string(row->key));
        const char *name = stats_row_name(cfg, f->level, row, names);
        if (name) json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "kpi", stats_kpi_json(&row->acc));
        json_array_append_new(rows, o);
    }
    json_t *doc = json_object();
    json_object_set_new(doc, "period", period_json(p));
    json_object_set_new(doc, "level", json_string(stats_level_names[f->level]));
    json_object_set_new(doc, "total", stats_kpi_json(&r->total));
    json_object_set_new(doc, "rows", rows);
    return doc;
}
