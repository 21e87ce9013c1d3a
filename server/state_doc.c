/* state_doc: the `city` and `hall/<id>` topic documents (SPEC §4) and their role views.
 *
 * Documents hold no null: anything without a value is left out. Times are RFC 3339 in the
 * city's local zone. Staff names and review comments (always masked) appear only when the
 * view allows names; camera URLs only when it allows URLs. A NULL view sees everything.
 */
#include "state_internal.h"

#include <stdlib.h>
#include <string.h>

#include "cwtime.h"

static const char *const window_status_names[] = {"closed", "open", "serving", "paused"};

static void set_str(json_t *o, const char *k, const char *s)
{
    if (s) json_object_set_new(o, k, json_string(s));
}

static void set_int(json_t *o, const char *k, int64_t v)
{
    json_object_set_new(o, k, json_integer(v));
}

static void set_time(json_t *o, const char *k, int64_t ms)
{
    char buf[40];
    if (ms >= 0) json_object_set_new(o, k, json_string(cwt_format_local(ms, buf)));
}

static void set_day(json_t *o, int date)
{
    char buf[16];
    json_object_set_new(o, "day", json_string(cwt_format_date(date, buf)));
}

const char *state_hall_status(const state_t *st, int h)
{
    static const char *const alert_names[] = {NULL, "warn", "alert", "offline"};
    int as = st->halls[h].alert_status;
    if (as > STATE_ALERT_NONE && as <= STATE_ALERT_OFFLINE) return alert_names[as];
    if (!state_hall_open(st, h)) return "closed";
    return "ok";
}

static bool in_view(const state_view *v, int h)
{
    return !v || !v->halls || v->halls[h];
}

json_t *state_city(state_t *st, const state_view *v)
{
    json_t *doc = json_object(), *halls = json_object();
    if (!doc || !halls) goto fail;
    state_agg total;
    state_agg_init(&total);
    for (int h = 0; h < st->nhalls; h++) {
        if (!in_view(v, h)) continue;
        const cfg_hall *ch = &st->cfg->halls[h];
        state_agg a;
        state_agg_init(&a);
        state_agg_hall(st, h, &a);
        state_agg_merge(&total, &a);
        json_t *ho = json_object();
        if (!ho) goto fail;
        set_str(ho, "name", ch->name);
        set_str(ho, "level", cfg_level_name(ch->level));
        set_str(ho, "status", state_hall_status(st, h));
        json_object_set_new(ho, "kpi", state_agg_json(&a));
        set_time(ho, "last_event_at", st->halls[h].last_event_ms);
        json_object_set_new(halls, ch->id, ho);
    }
    set_day(doc, st->day);
    json_object_set_new(doc, "kpi", state_agg_json(&total));
    json_object_set_new(doc, "halls", halls);
    return doc;
fail:
    json_decref(halls);
    json_decref(doc);
    return NULL;
}

json_t *state_hall_kpi(state_t *st, int hall)
{
    if (hall < 0 || hall >= st->nhalls) return NULL;
    state_agg a;
    state_agg_init(&a);
    state_agg_hall(st, hall, &a);
    return state_agg_json(&a);
}

static json_t *biz_doc(state_t *st, int h, state_bizfig *figs)
{
    const cfg_hall *ch = &st->cfg->halls[h];
    state_hs *hs = &st->halls[h];
    json_t *o = json_object();
    state_biz_figs(st, h, figs);
    for (int b = 0; b < hs->nbiz; b++) {
        const cfg_biz *cb = &ch->biz[b];
        const state_bizfig *f = &figs[b];
        json_t *bo = json_object();
        set_str(bo, "name", cb->name);
        set_str(bo, "category", cb->category);
        set_int(bo, "waiting", f->waiting);
        if (f->max_wait_ms >= 0) set_int(bo, "max_wait_live_s", f->max_wait_ms / 1000);
        set_int(bo, "ewt_s", f->ewt_s);
        if (f->sl_n > 0)
            json_object_set_new(bo, "sl_60m",
                                json_real(state_round4((double)f->sl_ok / (double)f->sl_n)));
        set_int(bo, "sla_s", state_sla_ms(cb) / 1000);
        if (hs->biz[b].visits > 0)
            set_int(bo, "avg_wait_s", state_round_div(hs->biz[b].wait_sum_ms, hs->biz[b].visits));
        set_int(bo, "issued", hs->biz[b].issued);
        json_object_set_new(o, cb->id, bo);
    }
    return o;
}

static json_t *windows_doc(state_t *st, int h, bool names)
{
    const cfg_hall *ch = &st->cfg->halls[h];
    state_hs *hs = &st->halls[h];
    json_t *o = json_object();
    for (int w = 0; w < hs->nwin; w++) {
        const cfg_window *cw = &ch->windows[w];
        const state_window *sw = &hs->win[w];
        json_t *wo = json_object(), *biz = json_array(), *kpi = json_object();
        set_str(wo, "status", window_status_names[sw->status]);
        set_str(wo, "staff", sw->staff);
        if (names && sw->staff) {
            int si = cfg_staff_index(ch, sw->staff);
            if (si >= 0) set_str(wo, "staff_name", ch->staff[si].name);
        }
        if (sw->ticket) set_str(wo, "ticket", sw->ticket->id);
        set_time(wo, "since", sw->since_ms);
        if (sw->status == SW_PAUSED && sw->reason >= 0)
            set_str(wo, "reason", ev_pause_reason_name(sw->reason));
        for (int i = 0; i < cw->nbiz; i++)
            if (cw->biz[i] >= 0 && cw->biz[i] < ch->nbiz)
                json_array_append_new(biz, json_string(ch->biz[cw->biz[i]].id));
        json_object_set_new(wo, "biz", biz);
        set_int(kpi, "served", sw->served);
        if (sw->svc_n > 0)
            set_int(kpi, "avg_service_s", state_round_div(sw->svc_sum_ms, sw->svc_n));
        set_int(kpi, "no_show", sw->no_show);
        set_int(kpi, "calls", sw->calls);
        json_object_set_new(wo, "kpi", kpi);
        json_object_set_new(o, cw->id, wo);
    }
    return o;
}

static json_t *cameras_doc(state_t *st, int h, bool urls)
{
    const cfg_hall *ch = &st->cfg->halls[h];
    state_hs *hs = &st->halls[h];
    json_t *o = json_object();
    for (int c = 0; c < hs->ncam; c++) {
        const cfg_camera *cc = &ch->cameras[c];
        const state_cam *sc = &hs->cam[c];
        json_t *co = json_object();
        set_str(co, "name", cc->name);
        set_str(co, "area", cfg_area_name(cc->area));
        set_str(co, "status",
                sc->status == EV_CAM_UNKNOWN ? "unknown" : ev_cam_status_name(sc->status));
        set_time(co, "since", sc->since_ms);
        if (urls) {
            set_str(co, "main", sc->main_url ? sc->main_url : cc->main_url);
            set_str(co, "sub", sc->sub_url ? sc->sub_url : cc->sub_url);
        }
        json_object_set_new(o, cc->id, co);
    }
    return o;
}

static json_t *reviews_doc(state_t *st, int h, bool names)
{
    state_hs *hs = &st->halls[h];
    json_t *a = json_array();
    for (int i = 0; i < hs->nlast; i++) {
        const state_review *r = &hs->last[i];
        json_t *ro = json_object();
        set_str(ro, "id", r->id);
        set_int(ro, "level", r->level);
        set_time(ro, "at", r->at_ms);
        if (r->channel >= 0) set_str(ro, "channel", ev_review_channel_name(r->channel));
        set_str(ro, "window", r->window);
        set_str(ro, "staff", r->staff);
        if (names) set_str(ro, "comment", r->comment);
        json_object_set_new(ro, "real_name", json_boolean(r->real_name));
        if (r->upheld) json_object_set_new(ro, "upheld", json_true());
        json_array_append_new(a, ro);
    }
    return a;
}

json_t *state_hall(state_t *st, int hall, const state_view *v)
{
    if (hall < 0 || hall >= st->nhalls) return NULL;
    const cfg_hall *ch = &st->cfg->halls[hall];
    bool names = !v || v->names, urls = !v || v->urls;
    state_bizfig *figs = calloc(ch->nbiz > 0 ? ch->nbiz : 1, sizeof *figs);
    json_t *doc = json_object();
    if (!figs || !doc) goto fail;
    set_str(doc, "id", ch->id);
    set_str(doc, "name", ch->name);
    set_day(doc, st->day);
    set_str(doc, "status", state_hall_status(st, hall));
    json_object_set_new(doc, "kpi", state_hall_kpi(st, hall));
    json_object_set_new(doc, "biz", biz_doc(st, hall, figs));
    json_object_set_new(doc, "windows", windows_doc(st, hall, names));
    json_object_set_new(doc, "cameras", cameras_doc(st, hall, urls));
    json_object_set_new(doc, "reviews", reviews_doc(st, hall, names));
    set_time(doc, "last_event_at", st->halls[hall].last_event_ms);
    free(figs);
    return doc;
fail:
    free(figs);
    json_decref(doc);
    return NULL;
}
