/* state_save: whole-state serialisation as JSON (tests, debugging) and config reload.
 *
 * The saved document names halls, biz types, windows and cameras by id, so it survives a
 * config whose arrays are ordered differently. state_load() is strict (every id must exist
 * in the config). (state_reconfigure() in state_bin.c goes through the binary image instead.)
 *
 * Format (version 2): {"format":2,"day","now","ver","last_sec","last_min","stats":{...},
 * "halls":{"<id>":{"ver","last_event","n":{counters},"tickets":[[...]],"biz":{"<id>":{...,
 * "calls":[[at,w,ok,ticket]],"fins":[[at,s]]}},"windows":{...},"cameras":{...},
 * "review_ids":[...],"last":[...],"cases":[...],"closures":[[from,to,reason?]]}}}.
 * Times are ms since the epoch; -1 means none.
 */
#include "state_internal.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define FORMAT 2

static const char *const ticket_state_names[] = {"waiting",  "serving", "suspended",
                                                 "finished", "no_show", "voided"};

/* ---------------------------------------------------------------- save */

static void put_int(json_t *o, const char *k, int64_t v)
{
    json_object_set_new(o, k, json_integer(v));
}

static void put_str(json_t *o, const char *k, const char *s)
{
    if (s) json_object_set_new(o, k, json_string(s));
}

/* A ticket as a flat array (cheaper than an object at 100k+ tickets):
 * [id, biz, state, window|"", channel, priority, issued, entered, called, started, ended,
 *  recalls, flags (1 unknown, 2 entry_known), visit biz|"", visit call, visit W] */
enum {
    TK_ID,
    TK_BIZ,
    TK_ST,
    TK_WIN,
    TK_CH,
    TK_PR,
    TK_ISSUED,
    TK_ENTERED,
    TK_CALLED,
    TK_STARTED,
    TK_ENDED,
    TK_RECALLS,
    TK_FLAGS,
    TK_VBIZ,
    TK_VCALL,
    TK_VW,
    TK__N
};

static json_t *save_ticket(const cfg_hall *ch, const state_ticket *t)
{
    bool visit = t->has_visit && t->visit_biz >= 0;
    return json_pack("[ssssIIIIIIIIIsII]", t->id, ch->biz[t->biz].id, ticket_state_names[t->st],
                     t->window >= 0 ? ch->windows[t->window].id : "", (json_int_t)t->channel,
                     (json_int_t)t->priority, (json_int_t)t->issued_ms, (json_int_t)t->entered_ms,
                     (json_int_t)t->called_ms, (json_int_t)t->started_ms, (json_int_t)t->ended_ms,
                     (json_int_t)t->recalls,
                     (json_int_t)((t->unknown ? 1 : 0) | (t->entry_known ? 2 : 0)),
                     visit ? ch->biz[t->visit_biz].id : "", (json_int_t)t->visit_call_ms,
                     (json_int_t)t->visit_w_ms);
}

static json_t *save_recs(const state_recs *rs, bool calls)
{
    json_t *a = json_array();
    for (int i = rs->head; i < rs->n; i++) {
        const state_rec *r = &rs->r[i];
        if (!r->valid) continue;
        if (calls)
            json_array_append_new(
                a, json_pack("[IIbs]", (json_int_t)r->at_ms, (json_int_t)r->v_ms, r->ok, r->t->id));
        else
            json_array_append_new(a, json_pack("[II]", (json_int_t)r->at_ms, (json_int_t)r->v_ms));
    }
    return a;
}

static json_t *save_hall(state_t *st, int h)
{
    const cfg_hall *ch = &st->cfg->halls[h];
    state_hs *hs = &st->halls[h];
    json_t *o = json_object();
    put_int(o, "ver", (int64_t)hs->ver);
    put_int(o, "last_event", hs->last_event_ms);
    json_object_set_new(o, "n",
                        json_pack("{sIsIsIsIsIsIsIsIsIsIsIsI}", "issued", (json_int_t)hs->issued,
                                  "finished", (json_int_t)hs->finished, "no_show",
                                  (json_int_t)hs->no_show, "visits", (json_int_t)hs->visits,
                                  "wait_sum", (json_int_t)hs->wait_sum_ms, "svc_n",
                                  (json_int_t)hs->svc_n, "svc_sum", (json_int_t)hs->svc_sum_ms,
                                  "rv_n", (json_int_t)hs->rv_n, "rv_good", (json_int_t)hs->rv_good,
                                  "rv_sat", (json_int_t)hs->rv_sat, "rv_bad",
                                  (json_int_t)hs->rv_bad, "rv_sum", (json_int_t)hs->rv_level_sum));

    json_t *tickets = json_array();
    for (uint32_t i = 0; i < hs->tickets.cap; i++)
        if (hs->tickets.e[i].key)
            json_array_append_new(tickets, save_ticket(ch, hs->tickets.e[i].val));
    json_object_set_new(o, "tickets", tickets);

    json_t *biz = json_object();
    for (int b = 0; b < hs->nbiz; b++) {
        state_biz *bz = &hs->biz[b];
        state_recs_prune(&bz->calls, st->now_ms);
        state_recs_prune(&bz->fins, st->now_ms);
        json_t *bo = json_pack("{sIsIsI}", "issued", (json_int_t)bz->issued, "visits",
                               (json_int_t)bz->visits, "wait_sum", (json_int_t)bz->wait_sum_ms);
        json_object_set_new(bo, "calls", save_recs(&bz->calls, true));
        json_object_set_new(bo, "fins", save_recs(&bz->fins, false));
        json_object_set_new(biz, ch->biz[b].id, bo);
    }
    json_object_set_new(o, "biz", biz);

    json_t *wins = json_object();
    for (int w = 0; w < hs->nwin; w++) {
        const state_window *sw = &hs->win[w];
        json_t *wo = json_object();
        put_int(wo, "status", sw->status);
        put_str(wo, "staff", sw->staff);
        if (sw->ticket) put_str(wo, "ticket", sw->ticket->id);
        put_int(wo, "since", sw->since_ms);
        put_int(wo, "reason", sw->reason);
        put_int(wo, "served", sw->served);
        put_int(wo, "svc_n", sw->svc_n);
        put_int(wo, "svc_sum", sw->svc_sum_ms);
        put_int(wo, "no_show", sw->no_show);
        put_int(wo, "calls", sw->calls);
        json_object_set_new(wins, ch->windows[w].id, wo);
    }
    json_object_set_new(o, "windows", wins);

    json_t *cams = json_object();
    for (int c = 0; c < hs->ncam; c++) {
        json_t *co = json_object();
        put_int(co, "status", hs->cam[c].status);
        put_int(co, "since", hs->cam[c].since_ms);
        put_str(co, "main", hs->cam[c].main_url);
        put_str(co, "sub", hs->cam[c].sub_url);
        json_object_set_new(cams, ch->cameras[c].id, co);
    }
    json_object_set_new(o, "cameras", cams);

    json_t *ids = json_array();
    for (uint32_t i = 0; i < hs->review_ids.cap; i++)
        if (hs->review_ids.e[i].key)
            json_array_append_new(ids, json_string(hs->review_ids.e[i].key));
    json_object_set_new(o, "review_ids", ids);

    json_t *last = json_array();
    for (int i = 0; i < hs->nlast; i++) {
        const state_review *r = &hs->last[i];
        json_t *ro = json_object();
        put_str(ro, "id", r->id);
        put_int(ro, "level", r->level);
        put_int(ro, "at", r->at_ms);
        put_int(ro, "channel", r->channel);
        put_str(ro, "window", r->window);
        put_str(ro, "staff", r->staff);
        put_str(ro, "comment", r->comment);
        json_object_set_new(ro, "real_name", json_boolean(r->real_name));
        json_object_set_new(ro, "upheld", json_boolean(r->upheld));
        json_array_append_new(last, ro);
    }
    json_object_set_new(o, "last", last);

    json_t *cases = json_array();
    for (int i = 0; i < hs->ncases; i++) {
        const state_case *c = hs->cases[i];
        json_t *co = json_object();
        put_str(co, "review", c->review);
        put_int(co, "level", c->level);
        put_int(co, "date", c->date);
        put_int(co, "at", c->at_ms);
        put_int(co, "state", c->state);
        json_object_set_new(co, "real_name", json_boolean(c->real_name));
        json_object_set_new(co, "contacted", json_boolean(c->contacted));
        json_object_set_new(co, "upheld", json_boolean(c->upheld));
        put_int(co, "contact_deadline", c->contact_deadline_ms);
        put_int(co, "rectify_deadline", c->rectify_deadline_ms);
        json_array_append_new(cases, co);
    }
    json_object_set_new(o, "cases", cases);

    json_t *cl = json_array();
    for (int i = 0; i < hs->nclosures; i++) {
        json_t *e = json_pack("[II]", (json_int_t)hs->closures[i].from_ms,
                              (json_int_t)hs->closures[i].to_ms);
        if (hs->closures[i].reason) json_array_append_new(e, json_string(hs->closures[i].reason));
        json_array_append_new(cl, e);
    }
    json_object_set_new(o, "closures", cl);
    return o;
}

json_t *state_save(state_t *st)
{
    json_t *root = json_object(), *halls = json_object();
    if (!root || !halls) goto fail;
    put_int(root, "format", FORMAT);
    put_int(root, "day", st->day);
    put_int(root, "now", st->now_ms);
    put_int(root, "ver", (int64_t)st->ver);
    put_int(root, "last_sec", st->last_sec);
    put_int(root, "last_min", st->last_min);
    json_object_set_new(root, "stats",
                        json_pack("{sIsIsIsI}", "applied", (json_int_t)st->stats.applied,
                                  "unknown_tickets", (json_int_t)st->stats.unknown_tickets,
                                  "late_events", (json_int_t)st->stats.late_events,
                                  "bad_transitions", (json_int_t)st->stats.bad_transitions));
    for (int h = 0; h < st->nhalls; h++) {
        json_t *ho = save_hall(st, h);
        if (!ho) goto fail;
        json_object_set_new(halls, st->cfg->halls[h].id, ho);
    }
    json_object_set_new(root, "halls", halls);
    return root;
fail:
    json_decref(halls);
    json_decref(root);
    return NULL;
}

/* ---------------------------------------------------------------- load */

static int64_t get_int(json_t *o, const char *k, int64_t dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

static const char *get_str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static bool get_bool(json_t *o, const char *k)
{
    return json_is_true(json_object_get(o, k));
}

static char *dup_str(const char *s)
{
    return s ? cw_xstrdup(s) : NULL;
}

static int state_index(const char *name)
{
    for (int i = 0; i < (int)(sizeof ticket_state_names / sizeof *ticket_state_names); i++)
        if (name && strcmp(name, ticket_state_names[i]) == 0) return i;
    return -1;
}

/* An index looked up by id: -1 when unknown (an error when strict). */
#define LOOKUP_OR(var, expr, strict)                                                               \
    do {                                                                                           \
        (var) = (expr);                                                                            \
        if ((var) < 0 && (strict)) return -1;                                                      \
    } while (0)

static int64_t tk_int(json_t *a, int i)
{
    return json_integer_value(json_array_get(a, (size_t)i));
}

static const char *tk_str(json_t *a, int i)
{
    return json_string_value(json_array_get(a, (size_t)i));
}

static int load_ticket(state_t *st, int h, json_t *a, bool strict)
{
    const cfg_hall *ch = &st->cfg->halls[h];
    state_hs *hs = &st->halls[h];
    const char *id = tk_str(a, TK_ID), *bid = tk_str(a, TK_BIZ), *wid = tk_str(a, TK_WIN);
    const char *vb = tk_str(a, TK_VBIZ);
    int b, w = -1, vbi = -1, s = state_index(tk_str(a, TK_ST));
    if (json_array_size(a) != TK__N || !id || !bid || !wid || !vb || s < 0 ||
        state_map_get(&hs->tickets, id))
        return -1;
    LOOKUP_OR(b, cfg_biz_index(ch, bid), strict);
    if (b < 0) return 0;
    if (*wid) LOOKUP_OR(w, cfg_window_index(ch, wid), strict);
    if (*vb) LOOKUP_OR(vbi, cfg_biz_index(ch, vb), strict);
    state_ticket *t = state_ticket_new(hs, id);
    if (!t) return -1;
    t->biz = b;
    t->window = w;
    t->channel = (int)tk_int(a, TK_CH);
    t->priority = (int)tk_int(a, TK_PR);
    t->issued_ms = tk_int(a, TK_ISSUED);
    t->entered_ms = tk_int(a, TK_ENTERED);
    t->called_ms = tk_int(a, TK_CALLED);
    t->started_ms = tk_int(a, TK_STARTED);
    t->ended_ms = tk_int(a, TK_ENDED);
    t->recalls = (int)tk_int(a, TK_RECALLS);
    t->unknown = tk_int(a, TK_FLAGS) & 1;
    t->entry_known = (tk_int(a, TK_FLAGS) & 2) != 0;
    if (vbi >= 0) {
        t->has_visit = true;
        t->visit_biz = vbi;
        t->visit_call_ms = tk_int(a, TK_VCALL);
        t->visit_w_ms = tk_int(a, TK_VW);
    }
    return state_ticket_enter(hs, t, s);
}

static int load_recs(state_t *st, state_hs *hs, state_recs *rs, json_t *a, bool calls, bool strict)
{
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e)
    {
        int64_t at = json_integer_value(json_array_get(e, 0));
        int64_t v = json_integer_value(json_array_get(e, 1));
        state_ticket *t = NULL;
        bool ok = true;
        if (calls) {
            const char *tid = json_string_value(json_array_get(e, 3));
            ok = json_is_true(json_array_get(e, 2));
            t = tid ? state_map_get(&hs->tickets, tid) : NULL;
            if (!t) {
                if (strict) return -1;
                continue;
            }
        }
        if (state_recs_add(rs, st->now_ms, at, v, ok, t) < 0) return -1;
    }
    return 0;
}

/* The hall's version, last event and counters. */
static void load_counts(state_t *st, int h, json_t *o)
{
    state_hs *hs = &st->halls[h];
    json_t *n = json_object_get(o, "n");
    hs->ver = (uint64_t)get_int(o, "ver", 0);
    hs->last_event_ms = get_int(o, "last_event", -1);
    hs->issued = get_int(n, "issued", 0);
    hs->finished = get_int(n, "finished", 0);
    hs->no_show = get_int(n, "no_show", 0);
    hs->visits = get_int(n, "visits", 0);
    hs->wait_sum_ms = get_int(n, "wait_sum", 0);
    hs->svc_n = get_int(n, "svc_n", 0);
    hs->svc_sum_ms = get_int(n, "svc_sum", 0);
    hs->rv_n = get_int(n, "rv_n", 0);
    hs->rv_good = get_int(n, "rv_good", 0);
    hs->rv_sat = get_int(n, "rv_sat", 0);
    hs->rv_bad = get_int(n, "rv_bad", 0);
    hs->rv_level_sum = get_int(n, "rv_sum", 0);
}

/* Per biz: counters and the 60-min record windows. */
static int load_biz(state_t *st, int h, json_t *o, bool strict)
{
    const cfg_hall *ch = &st->cfg->halls[h];
    state_hs *hs = &st->halls[h];
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(o, "biz"), key, v)
    {
        int b;
        LOOKUP_OR(b, cfg_biz_index(ch, key), strict);
        if (b < 0) continue;
        state_biz *bz = &hs->biz[b];
        bz->issued = get_int(v, "issued", 0);
        bz->visits = get_int(v, "visits", 0);
        bz->wait_sum_ms = get_int(v, "wait_sum", 0);
        if (load_recs(st, hs, &bz->calls, json_object_get(v, "calls"), true, strict) < 0 ||
            load_recs(st, hs, &bz->fins, json_object_get(v, "fins"), false, strict) < 0)
            return -1;
    }
    return 0;
}

/* The windows: status, staff, the ticket served (already loaded), counters. */
static int load_windows(state_t *st, int h, json_t *o, bool strict)
{
    const cfg_hall *ch = &st->cfg->halls[h];
    state_hs *hs = &st->halls[h];
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(o, "windows"), key, v)
    {
        int w;
        LOOKUP_OR(w, cfg_window_index(ch, key), strict);
        if (w < 0) continue;
        state_window *sw = &hs->win[w];
        int status = (int)get_int(v, "status", SW_CLOSED);
        sw->status = status >= SW_CLOSED && status <= SW_PAUSED ? status : SW_CLOSED;
        sw->staff = dup_str(get_str(v, "staff"));
        const char *tid = get_str(v, "ticket");
        sw->ticket = tid ? state_map_get(&hs->tickets, tid) : NULL;
        if (tid && !sw->ticket && strict) return -1;
        sw->since_ms = get_int(v, "since", -1);
        sw->reason = (int)get_int(v, "reason", -1);
        sw->served = get_int(v, "served", 0);
        sw->svc_n = get_int(v, "svc_n", 0);
        sw->svc_sum_ms = get_int(v, "svc_sum", 0);
        sw->no_show = get_int(v, "no_show", 0);
        sw->calls = get_int(v, "calls", 0);
    }
    return 0;
}

/* The cameras: status since when, stream URLs. */
static int load_cameras(state_t *st, int h, json_t *o, bool strict)
{
    const cfg_hall *ch = &st->cfg->halls[h];
    state_hs *hs = &st->halls[h];
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(o, "cameras"), key, v)
    {
        int c;
        LOOKUP_OR(c, cfg_camera_index(ch, key), strict);
        if (c < 0) continue;
        hs->cam[c].status = (int)get_int(v, "status", EV_CAM_UNKNOWN);
        hs->cam[c].since_ms = get_int(v, "since", -1);
        hs->cam[c].main_url = dup_str(get_str(v, "main"));
        hs->cam[c].sub_url = dup_str(get_str(v, "sub"));
    }
    return 0;
}

/* The review ids seen today and the last reviews shown. */
static int load_reviews(state_t *st, int h, json_t *o)
{
    state_hs *hs = &st->halls[h];
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(o, "review_ids"), i, v)
    {
        char *id = dup_str(json_string_value(v));
        if (!id || state_map_put(&hs->review_ids, id, id) < 0) {
            free(id);
            return -1;
        }
    }

    json_array_foreach(json_object_get(o, "last"), i, v)
    {
        if (hs->nlast >= STATE_LAST_REVIEWS || !get_str(v, "id")) break;
        state_review *r = &hs->last[hs->nlast++];
        r->id = dup_str(get_str(v, "id"));
        r->level = (int)get_int(v, "level", 0);
        r->at_ms = get_int(v, "at", -1);
        r->channel = (int)get_int(v, "channel", -1);
        r->window = dup_str(get_str(v, "window"));
        r->staff = dup_str(get_str(v, "staff"));
        r->comment = dup_str(get_str(v, "comment"));
        r->real_name = get_bool(v, "real_name");
        r->upheld = get_bool(v, "upheld");
    }
    return 0;
}

/* The bad-review cases, each once. */
static int load_cases(state_t *st, int h, json_t *o)
{
    state_hs *hs = &st->halls[h];
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(o, "cases"), i, v)
    {
        const char *rid = get_str(v, "review");
        if (!rid || state_map_get(&hs->cases_map, rid)) return -1;
        state_case *c = cw_xcalloc(1, sizeof *c);
        if (!c || !(c->review = cw_xstrdup(rid))) {
            free(c);
            return -1;
        }
        c->level = (int)get_int(v, "level", 0);
        c->date = (int)get_int(v, "date", 0);
        c->at_ms = get_int(v, "at", -1);
        c->state = (int)get_int(v, "state", EV_CASE_ASSIGNED);
        c->real_name = get_bool(v, "real_name");
        c->contacted = get_bool(v, "contacted");
        c->upheld = get_bool(v, "upheld");
        c->contact_deadline_ms = get_int(v, "contact_deadline", -1);
        c->rectify_deadline_ms = get_int(v, "rectify_deadline", -1);
        if (state_case_add(hs, c) < 0) {
            free(c->review);
            free(c);
            return -1;
        }
    }
    return 0;
}

/* The hall's closures. */
static int load_closures(state_t *st, int h, json_t *o)
{
    state_hs *hs = &st->halls[h];
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(o, "closures"), i, v)
    {
        state_closure *nc = realloc(hs->closures, (size_t)(hs->nclosures + 1) * sizeof *nc);
        if (!nc) return -1;
        hs->closures = nc;
        nc[hs->nclosures].from_ms = json_integer_value(json_array_get(v, 0));
        nc[hs->nclosures].to_ms = json_integer_value(json_array_get(v, 1));
        nc[hs->nclosures].reason = dup_str(json_string_value(json_array_get(v, 2)));
        hs->nclosures++;
    }
    return 0;
}

static int load_hall(state_t *st, int h, json_t *o, bool strict)
{
    size_t i;
    json_t *v;
    load_counts(st, h, o);
    json_array_foreach(json_object_get(o, "tickets"), i, v)
    {
        if (load_ticket(st, h, v, strict) < 0) return -1;
    }

    if (load_biz(st, h, o, strict) < 0 || load_windows(st, h, o, strict) < 0 ||
        load_cameras(st, h, o, strict) < 0 || load_reviews(st, h, o) < 0 ||
        load_cases(st, h, o) < 0)
        return -1;
    st->halls[h].overdue = state_hall_overdue(st, h);
    return load_closures(st, h, o);
}

static int load(state_t *st, json_t *saved, bool strict)
{
    if (state_reset_halls(st) < 0) return -1;
    if (!json_is_object(saved) || get_int(saved, "format", 0) != FORMAT) goto fail;
    st->now_ms = get_int(saved, "now", st->now_ms);
    state_set_day(st, st->now_ms);
    st->last_sec = get_int(saved, "last_sec", st->last_sec);
    st->last_min = get_int(saved, "last_min", st->last_min);
    uint64_t ver = (uint64_t)get_int(saved, "ver", 0);
    if (ver > st->ver) st->ver = ver;
    json_t *stats = json_object_get(saved, "stats");
    st->stats.applied = (uint64_t)get_int(stats, "applied", 0);
    st->stats.unknown_tickets = (uint64_t)get_int(stats, "unknown_tickets", 0);
    st->stats.late_events = (uint64_t)get_int(stats, "late_events", 0);
    st->stats.bad_transitions = (uint64_t)get_int(stats, "bad_transitions", 0);

    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(saved, "halls"), key, v)
    {
        int h = cfg_hall_index(st->cfg, key);
        if (h < 0) {
            if (strict) goto fail;
            continue;
        }
        if (load_hall(st, h, v, strict) < 0) goto fail;
    }
    for (int h = 0; h < st->nhalls; h++)
        state_bump(st, h);
    return 0;
fail:
    state_reset_halls(st);
    for (int h = 0; h < st->nhalls; h++)
        state_bump(st, h);
    return -1;
}

int state_load(state_t *st, json_t *saved)
{
    return load(st, saved, true);
}
