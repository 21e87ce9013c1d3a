/* alerts: the lifecycle, storage, suppression, documents and notifications of alerts (see
 * alerts.h for the design; the rules are in alert_rules.c, silences in alert_silence.c, the
 * bad-review records and daily figures in alert_data.c).
 *
 * Decisions where SPEC §6 is silent:
 *  - startsAt is the instant the alert started firing; a pending alert has none yet.
 *  - A pending alert whose condition turns false is dropped (history "cancelled"), unless its
 *    receivers still believe it fires (a previous episode's resolve was not sent yet): then
 *    it is resolved now.
 *  - Hall status counts firing alerts that are silenced (a silence is about notifications),
 *    not inhibited ones (R15 makes the hall offline anyway).
 *  - The fingerprint is a hash of the alert id, so a severity change keeps it.
 *  - Acknowledgements and severity changes are annotations of the same alert; an ack is not
 *    notified by itself, the next notification carries it. A new episode clears the ack.
 *  - Each group notification carries every firing, unsuppressed alert of its hall plus the
 *    resolved ones not yet sent, like Alertmanager; the group wait applies to every change.
 */
#include "alerts_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "workcal.h"
#include "xalloc.h"

#define RETENTION_EVERY_MS (10 * 60 * 1000)
/* Evaluations at most every 100 ms of real time: under a heavy ingest every tick has new
 * events, and a fast virtual clock moves the business second every tick. */
#define EVAL_MIN_MS 100

static const char *const titles[CFG_NRULES][2] = {
    [CFG_R1] = {"单号等候超时", "ticket waiting too long"},
    [CFG_R2] = {"超时人数聚集", "many waiting over SLA"},
    [CFG_R3] = {"队列积压", "queue backlog"},
    [CFG_R4] = {"服务水平下降", "service level drop"},
    [CFG_R5] = {"办理超时", "service too long"},
    [CFG_R6] = {"窗口暂停过长", "window paused too long"},
    [CFG_R7] = {"窗口空闲有人等", "idle window while people wait"},
    [CFG_R8] = {"在岗不足", "too few windows staffed"},
    [CFG_R9] = {"过号/重呼异常", "recalls or no-shows unusual"},
    [CFG_R10] = {"差评", "bad review"},
    [CFG_R11] = {"差评整改超期", "bad-review case overdue"},
    [CFG_R12] = {"差评集中", "bad reviews cluster"},
    [CFG_R13] = {"满意度下滑", "satisfaction drop"},
    [CFG_R14] = {"摄像头离线", "camera down"},
    [CFG_R15] = {"数据中断", "hall silent"},
    [CFG_H1] = {"存储异常", "store failing or disk low"},
    [CFG_H2] = {"通知积压", "webhook outbox backlog"},
    [CFG_H3] = {"隔离区增长过快", "quarantine growing fast"},
    [CFG_H4] = {"数据源异常", "feed gaps or clock skew"},
    [CFG_R16] = {"城市数据中断", "city silent"},
};

static const char *const state_names[] = {"pending", "firing", "resolved"};
static const char *const esc_names[CFG_ESC_LEVELS] = {"hall", "city", "leader"};

const char *al_rule_title(int rule, bool zh)
{
    return rule >= 0 && rule < CFG_NRULES ? titles[rule][zh ? 0 : 1] : "?";
}

/* ---- store -------------------------------------------------------------------------------- */

static void default_sink(void *ud, store_job *j)
{
    hub_t *hub = ud;
    if (hub->store)
        hub_store_fire(hub, j);
    else
        store_job_free(j);
}

void al_store(alerts_t *a, store_job *j)
{
    if (!j) return;
    a->sink(a->sink_ud, j);
}

void al_arg_take(store_job *j, char *s)
{
    if (j->nargs >= STORE_SQL_MAX_ARGS) abort();
    j->args[j->nargs].is_text = true;
    j->args[j->nargs++].text = s;
}

void alerts_set_sink(alerts_t *a, void (*fn)(void *ud, store_job *j), void *ud)
{
    a->sink = fn ? fn : default_sink;
    a->sink_ud = fn ? ud : a->hub;
}

/* ---- the alert array (sorted by id) -------------------------------------------------------- */

static int find_pos(alerts_t *a, const char *id, bool *found)
{
    int lo = 0, hi = a->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(a->v[mid]->id, id);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

alert *al_find(alerts_t *a, const char *id)
{
    bool found;
    int pos = find_pos(a, id, &found);
    return found ? a->v[pos] : NULL;
}

static int insert(alerts_t *a, alert *al)
{
    bool found;
    int pos = find_pos(a, al->id, &found);
    if (found) return -1;
    if (a->n == a->cap) {
        int nc = a->cap ? a->cap * 2 : 64;
        alert **nv = realloc(a->v, (size_t)nc * sizeof *nv);
        if (!nv) return -1;
        a->v = nv;
        a->cap = nc;
    }
    memmove(&a->v[pos + 1], &a->v[pos], (size_t)(a->n - pos) * sizeof *a->v);
    a->v[pos] = al;
    a->n++;
    return 0;
}

static void alert_free(alert *al)
{
    if (!al) return;
    free(al->id);
    free(al->hall);
    json_decref(al->labels);
    json_decref(al->scope);
    json_decref(al->evidence);
    json_decref(al->evidence_priv);
    free(al->summary_zh);
    free(al->summary_en);
    free(al->ack_by);
    free(al->ack_note);
    free(al->silence_id);
    json_decref(al->esc_steps);
    json_decref(al->route_sent);
    free(al);
}

static void remove_at(alerts_t *a, int i)
{
    alert_free(a->v[i]);
    memmove(&a->v[i], &a->v[i + 1], (size_t)(a->n - i - 1) * sizeof *a->v);
    a->n--;
}

static alert *alert_new(const char *id, int rule)
{
    alert *al = cw_xcalloc(1, sizeof *al);
    if (!al || !(al->id = cw_xstrdup(id))) {
        free(al);
        return NULL;
    }
    al->rule = rule;
    al->hall_idx = -1;
    al->state = AL_RESOLVED;
    al->severity = al->base_sev = 4;
    al->pending_ms = al->started_ms = al->resolved_ms = al->false_since_ms = al->ack_ms = -1;
    al->esc_ms = al->esc_due_ms = -1;
    al->notified = AL_N_NONE;
    return al;
}

static const char *biz_of(const alert *al)
{
    return json_string_value(json_object_get(al->scope, "biz"));
}

static double param(alerts_t *a, const alert *al, int p)
{
    return cfg_alert_param(a->hub->cfg, al->rule, al->hall_idx, biz_of(al), p);
}

/* ---- serialisation ------------------------------------------------------------------------ */

static void set_time(json_t *o, const char *k, int64_t ms)
{
    char b[40];
    if (ms >= 0) json_object_set_new(o, k, json_string(cwt_format_local(ms, b)));
}

static void set_int(json_t *o, const char *k, int64_t v)
{
    json_object_set_new(o, k, json_integer(v));
}

static void set_str(json_t *o, const char *k, const char *s)
{
    if (s) json_object_set_new(o, k, json_string(s));
}

static uint64_t fnv64(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s) {
        h ^= (uint8_t)*s++;
        h *= 1099511628211ULL;
    }
    return h;
}

static void fingerprint(const alert *al, char out[17])
{
    snprintf(out, 17, "%016llx", (unsigned long long)fnv64(al->id));
}

static json_t *evidence_view(const alert *al, bool names)
{
    json_t *e = al->evidence ? json_deep_copy(al->evidence) : json_object();
    if (names && al->evidence_priv) json_object_update_recursive(e, al->evidence_priv);
    return e;
}

/* Who is on duty for the alert now (alerts.duty): its hall's people, and those of the city
 * and leader levels it was escalated to; names and phones only for views with names. NULL
 * when nobody is configured. */
static json_t *on_duty(alerts_t *a, const alert *al, bool names)
{
    const cfg_alerts *ca = &a->hub->cfg->alerts;
    if (!ca->nduty) return NULL;
    cwt_local lt;
    cwt_to_local(a->now_ms, &lt);
    json_t *out = json_array();
    for (int i = 0; i < ca->nduty; i++) {
        const cfg_duty *d = &ca->duty[i];
        int lv = d->hall == CFG_DUTY_CITY ? 1 : d->hall == CFG_DUTY_LEADER ? 2 : 0;
        if (lv == 0 && (al->hall_idx < 0 || d->hall != al->hall_idx)) continue;
        if (lv > al->esc_level) continue;
        if (d->hours.to_min > d->hours.from_min &&
            (lt.minute < d->hours.from_min || lt.minute >= d->hours.to_min))
            continue;
        json_t *o = json_pack("{s:s,s:s}", "level", esc_names[lv], "id", d->id);
        set_str(o, "role", d->role);
        if (names) {
            set_str(o, "name", d->name);
            set_str(o, "phone", d->phone);
        }
        json_array_append_new(out, o);
    }
    return out;
}

/* A duty shift began or ended: the documents show who is on duty now. */
static void duty_changes(alerts_t *a)
{
    const cfg_alerts *ca = &a->hub->cfg->alerts;
    cwt_local lt;
    cwt_to_local(a->now_ms, &lt);
    uint64_t m = 0;
    for (int i = 0; i < ca->nduty && i < 64; i++) {
        cfg_span h = ca->duty[i].hours;
        if (h.to_min <= h.from_min || (lt.minute >= h.from_min && lt.minute < h.to_min))
            m |= 1ULL << i;
    }
    if (m != a->duty_mask) a->ver++;
    a->duty_mask = m;
}

/* The alert as the API and the topic show it (new reference). */
static json_t *alert_json(alerts_t *a, const alert *al, bool names)
{
    char fp[17];
    fingerprint(al, fp);
    json_t *o = json_object();
    set_str(o, "id", al->id);
    set_str(o, "rule", cfg_rule_name(al->rule));
    json_object_set_new(o, "title",
                        json_pack("{s:s,s:s}", "zh", al_rule_title(al->rule, true), "en",
                                  al_rule_title(al->rule, false)));
    json_object_set_new(o, "severity", json_sprintf("P%d", al->severity));
    set_str(o, "state", state_names[al->state]);
    set_str(o, "hall", al->hall);
    if (al->scope) json_object_set(o, "scope", al->scope);
    if (al->labels) json_object_set(o, "labels", al->labels);
    json_object_set_new(o, "summary",
                        json_pack("{s:s,s:s}", "zh", al->summary_zh ? al->summary_zh : "", "en",
                                  al->summary_en ? al->summary_en : ""));
    set_time(o, "pending_since", al->pending_ms);
    set_time(o, "started", al->started_ms);
    set_time(o, "resolved", al->resolved_ms);
    json_object_set_new(o, "evidence", evidence_view(al, names));
    if (al->ack_by) {
        json_t *ack = json_pack("{s:s}", "by", al->ack_by);
        set_time(ack, "at", al->ack_ms);
        set_str(ack, "note", al->ack_note);
        json_object_set_new(o, "ack", ack);
    }
    json_t *duty = on_duty(a, al, names);
    if (duty) json_object_set_new(o, "on_duty", duty);
    json_object_set_new(o, "escalated", json_boolean(al->esc_level > 0));
    json_object_set_new(o, "escalation_level", json_integer(al->esc_level));
    if (al->esc_level > 0 || al->esc_due_ms >= 0) {
        json_t *e = json_pack("{s:i,s:s}", "level", al->esc_level, "to", esc_names[al->esc_level]);
        set_time(e, "at", al->esc_ms);
        set_time(e, "due", al->esc_due_ms);
        if (al->esc_steps) json_object_set(e, "steps", al->esc_steps);
        json_object_set_new(o, "escalation", e);
    }
    json_object_set_new(o, "silenced", json_boolean(al->silenced));
    if (al->silence_id) set_str(o, "silence", al->silence_id);
    json_object_set_new(o, "inhibited", json_boolean(al->inhibited));
    set_str(o, "fingerprint", fp);
    (void)a;
    return o;
}

/* The stored form: everything needed to continue after a restart (new reference). */
static json_t *alert_body(const alert *al)
{
    json_t *o = json_object();
    set_str(o, "id", al->id);
    set_str(o, "rule", cfg_rule_name(al->rule));
    set_str(o, "hall", al->hall);
    set_str(o, "state", state_names[al->state]);
    set_int(o, "severity", al->severity);
    if (al->labels) json_object_set(o, "labels", al->labels);
    if (al->scope) json_object_set(o, "scope", al->scope);
    if (al->evidence) json_object_set(o, "evidence", al->evidence);
    if (al->evidence_priv) json_object_set(o, "evidence_private", al->evidence_priv);
    set_str(o, "summary_zh", al->summary_zh);
    set_str(o, "summary_en", al->summary_en);
    set_int(o, "pending_ms", al->pending_ms);
    set_int(o, "started_ms", al->started_ms);
    set_int(o, "resolved_ms", al->resolved_ms);
    set_int(o, "false_since_ms", al->false_since_ms);
    if (al->ack_by) {
        json_t *ack = json_pack("{s:s,s:I}", "by", al->ack_by, "at_ms", (json_int_t)al->ack_ms);
        set_str(ack, "note", al->ack_note);
        json_object_set_new(o, "ack", ack);
    }
    json_object_set_new(o, "was_silenced", json_boolean(al->was_silenced));
    set_int(o, "notified", al->notified);
    set_int(o, "notified_sev", al->notified_sev);
    set_int(o, "base_sev", al->base_sev);
    set_int(o, "esc_level", al->esc_level);
    set_int(o, "esc_ms", al->esc_ms);
    if (al->esc_steps) json_object_set(o, "esc_steps", al->esc_steps);
    if (al->route_sent) json_object_set(o, "route_sent", al->route_sent);
    return o;
}

static char *dup_json_str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? cw_xstrdup(s) : NULL;
}

static int64_t jint(json_t *o, const char *k, int64_t dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static alert *alert_from_body(const cfg_t *cfg, json_t *o)
{
    const char *id = json_string_value(json_object_get(o, "id"));
    int rule = cfg_rule_index(json_string_value(json_object_get(o, "rule")));
    const char *st = json_string_value(json_object_get(o, "state"));
    if (!id || rule < 0 || !st) return NULL;
    alert *al = alert_new(id, rule);
    if (!al) return NULL;
    al->state = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(st, state_names[i]) == 0) al->state = i;
    al->hall = dup_json_str(o, "hall");
    al->hall_idx = al->hall ? cfg_hall_index(cfg, al->hall) : -1;
    al->severity = (int)jint(o, "severity", 4);
    al->labels = json_incref(json_object_get(o, "labels"));
    al->scope = json_incref(json_object_get(o, "scope"));
    al->evidence = json_incref(json_object_get(o, "evidence"));
    al->evidence_priv = json_incref(json_object_get(o, "evidence_private"));
    al->summary_zh = dup_json_str(o, "summary_zh");
    al->summary_en = dup_json_str(o, "summary_en");
    al->pending_ms = jint(o, "pending_ms", -1);
    al->started_ms = jint(o, "started_ms", -1);
    al->resolved_ms = jint(o, "resolved_ms", -1);
    al->false_since_ms = jint(o, "false_since_ms", -1);
    json_t *ack = json_object_get(o, "ack");
    if (ack) {
        al->ack_by = dup_json_str(ack, "by");
        al->ack_note = dup_json_str(ack, "note");
        al->ack_ms = jint(ack, "at_ms", -1);
    }
    al->was_silenced = json_is_true(json_object_get(o, "was_silenced"));
    al->notified = (int)jint(o, "notified", AL_N_NONE);
    al->notified_sev = (int)jint(o, "notified_sev", 0);
    al->base_sev = (int)jint(o, "base_sev", al->severity);
    al->esc_level = (int)jint(o, "esc_level", 0);
    if (al->esc_level < 0 || al->esc_level >= CFG_ESC_LEVELS) al->esc_level = 0;
    al->esc_ms = jint(o, "esc_ms", -1);
    al->esc_steps = json_incref(json_object_get(o, "esc_steps"));
    al->route_sent = json_incref(json_object_get(o, "route_sent"));
    if (al->state < 0 || (al->hall && al->hall_idx < 0)) {
        alert_free(al); /* unknown state, or its hall left the config */
        return NULL;
    }
    return al;
}

/* Write the alert's row; with kind, also a history row (user and detail may be NULL). */
static void persist(alerts_t *a, const alert *al, const char *kind, const char *user,
                    const char *detail)
{
    json_t *b = alert_body(al);
    char *s = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    store_job *j = s ? store_job_new_sql("INSERT OR REPLACE INTO alerts(id, rule, hall, state,"
                                         " severity, body, updated_ms) VALUES(?,?,?,?,?,?,?)")
                     : NULL;
    if (!j) {
        free(s);
        return;
    }
    char sev[4];
    snprintf(sev, sizeof sev, "P%d", al->severity);
    store_job_arg_text(j, al->id);
    store_job_arg_text(j, cfg_rule_name(al->rule));
    store_job_arg_text(j, al->hall);
    store_job_arg_text(j, state_names[al->state]);
    store_job_arg_text(j, sev);
    al_arg_take(j, s);
    store_job_arg_int(j, a->now_ms);
    al_store(a, j);
    if (!kind) return;
    if (!(j = store_job_new_sql("INSERT INTO alert_history(alert, at_ms, real_ms, kind, state,"
                                " severity, user, detail) VALUES(?,?,?,?,?,?,?,?)")))
        return;
    store_job_arg_text(j, al->id);
    store_job_arg_int(j, a->now_ms);
    store_job_arg_int(j, cwt_real_ms());
    store_job_arg_text(j, kind);
    store_job_arg_text(j, state_names[al->state]);
    store_job_arg_text(j, sev);
    store_job_arg_text(j, user);
    store_job_arg_text(j, detail);
    al_store(a, j);
    a->stats.transitions++;
}

static void forget(alerts_t *a, const alert *al)
{
    store_job *j = store_job_new_sql("DELETE FROM alerts WHERE id = ?");
    if (j) {
        store_job_arg_text(j, al->id);
        al_store(a, j);
    }
    if ((j = store_job_new_sql("INSERT INTO alert_history(alert, at_ms, real_ms, kind, state,"
                               " severity) VALUES(?,?,?,'cancelled','inactive',?)"))) {
        char sev[4];
        snprintf(sev, sizeof sev, "P%d", al->severity);
        store_job_arg_text(j, al->id);
        store_job_arg_int(j, a->now_ms);
        store_job_arg_int(j, cwt_real_ms());
        store_job_arg_text(j, sev);
        al_store(a, j);
    }
}

/* ---- conditions --------------------------------------------------------------------------- */

/* ---- escalation (督办) ---------------------------------------------------------------------- */

static int esc_severity(const alert *al)
{
    int s = al->base_sev - al->esc_level;
    return s < 1 ? 1 : s;
}

/* The first policy matching the alert's rule and its severity now; NULL when none. */
static const cfg_esc_policy *esc_policy(const cfg_t *cfg, const alert *al)
{
    for (int i = 0; i < cfg->alerts.nesc; i++) {
        const cfg_esc_policy *p = &cfg->alerts.esc[i];
        if ((p->rule < 0 || p->rule == al->rule) && (!p->severity || p->severity == al->severity))
            return p;
    }
    return NULL;
}

/* When the current level's time runs out: from the start of firing (level 0) or the last
 * step, counted on the business calendar of the alert's hall (the city's for hub alerts). */
static int64_t esc_due(alerts_t *a, const alert *al, const cfg_esc_policy *p)
{
    const cfg_t *cfg = a->hub->cfg;
    const cfg_hours *h = al->hall_idx >= 0 ? &cfg->halls[al->hall_idx].hours : &cfg->city.hours;
    int64_t base = al->esc_level > 0 ? al->esc_ms : al->started_ms;
    switch (p->unit) {
    case CFG_ESC_HOURS:
        return workcal_add_hours(cfg, base, p->amount);
    case CFG_ESC_DAYS:
        return workcal_add_days(cfg, h, base, (int)(p->amount + 0.999));
    default:
        return workcal_add_minutes(cfg, h, base, p->amount);
    }
}

/* Firing alerts nobody acknowledged (nor silenced, nor inhibited) in time go up a level: one
 * severity higher (P1 stays P1), notified to that level's receivers as well; each step is a
 * history row ("escalated") and kept in the alert. The step is dated at its due instant, so a
 * late evaluation (a restart) does not shift the schedule. */
static void escalation(alerts_t *a)
{
    const cfg_t *cfg = a->hub->cfg;
    for (int i = 0; i < a->n; i++) {
        alert *al = a->v[i];
        int64_t due = -1;
        bool eligible = al->state == AL_FIRING && !al->ack_by && !al->silenced && !al->inhibited &&
                        al->started_ms >= 0;
        while (eligible && al->esc_level < CFG_ESC_LEVELS - 1) {
            const cfg_esc_policy *p = esc_policy(cfg, al);
            due = p ? esc_due(a, al, p) : -1;
            if (due < 0 || a->now_ms < due) break;
            int from = al->severity;
            al->esc_level++;
            al->esc_ms = due;
            al->severity = esc_severity(al);
            if (al->labels)
                json_object_set_new(al->labels, "severity", json_sprintf("P%d", al->severity));
            char at[40], d[80];
            if (!al->esc_steps) al->esc_steps = json_array();
            json_array_append_new(al->esc_steps,
                                  json_pack("{s:i,s:s,s:s,s:s,s:s}", "level", al->esc_level, "to",
                                            esc_names[al->esc_level], "at",
                                            cwt_format_local(due, at), "from",
                                            from == 1   ? "P1"
                                            : from == 2 ? "P2"
                                            : from == 3 ? "P3"
                                                        : "P4",
                                            "severity",
                                            al->severity == 1   ? "P1"
                                            : al->severity == 2 ? "P2"
                                            : al->severity == 3 ? "P3"
                                                                : "P4"));
            snprintf(d, sizeof d, "P%d -> P%d, to %s", from, al->severity,
                     esc_names[al->esc_level]);
            int64_t now = a->now_ms; /* the history row is dated at the step's due instant */
            a->now_ms = due;
            persist(a, al, "escalated", NULL, d);
            a->now_ms = now;
            a->ver++;
            due = -1;
        }
        if (due != al->esc_due_ms) {
            al->esc_due_ms = due;
            if (al->state == AL_FIRING) a->ver++;
        }
    }
}

void al_cond_init(alerts_t *a, al_cond *c, int rule, int hall, int severity, const char *kind)
{
    memset(c, 0, sizeof *c);
    c->rule = rule;
    c->hall = hall;
    c->severity = severity;
    c->labels = json_object();
    c->scope = json_pack("{s:s}", "kind", kind);
    if (hall >= 0) json_object_set_new(c->scope, "hall", json_string(a->hub->cfg->halls[hall].id));
}

static bool json_same(json_t *x, json_t *y)
{
    if (!x || !y) return x == y;
    return json_equal(x, y);
}

static bool str_same(const char *x, const char *y)
{
    if (!x || !y) return x == y;
    return strcmp(x, y) == 0;
}

static void replace_str(char **dst, const char *src)
{
    if (str_same(*dst, src)) return;
    free(*dst);
    *dst = src ? cw_xstrdup(src) : NULL;
}

static void start_episode(alerts_t *a, alert *al)
{
    al->state = AL_PENDING;
    al->pending_ms = a->now_ms;
    al->started_ms = al->resolved_ms = al->false_since_ms = -1;
    free(al->ack_by);
    free(al->ack_note);
    al->ack_by = al->ack_note = NULL;
    al->ack_ms = -1;
    al->was_silenced = false;
    al->esc_level = 0;
    al->esc_ms = al->esc_due_ms = -1;
    json_decref(al->esc_steps);
    al->esc_steps = NULL;
    al->severity = al->base_sev;
}

void al_report(alerts_t *a, al_cond *c)
{
    const cfg_t *cfg = a->hub->cfg;
    alert *al = al_find(a, c->id);
    bool created = false;
    if (!al) {
        if (!(al = alert_new(c->id, c->rule)) || insert(a, al) < 0) {
            alert_free(al);
            goto out;
        }
        created = true;
    }
    al->seen = true;
    if (!al->hall && c->hall >= 0) al->hall = cw_xstrdup(cfg->halls[c->hall].id);
    al->hall_idx = c->hall;

    json_t *labels = c->labels ? c->labels : json_object();
    c->labels = NULL;
    json_object_set_new(labels, "alertname", json_string(cfg_rule_name(c->rule)));
    int lvl = created || al->state == AL_RESOLVED ? 0 : al->esc_level; /* a new episode: 0 */
    int eff = c->severity - lvl < 1 ? 1 : c->severity - lvl;
    json_object_set_new(labels, "severity", json_sprintf("P%d", eff));
    if (c->hall >= 0) json_object_set_new(labels, "hall", json_string(cfg->halls[c->hall].id));

    bool visible_change = !json_same(al->labels, labels) || !json_same(al->scope, c->scope) ||
                          !json_same(al->evidence, c->evidence) ||
                          !json_same(al->evidence_priv, c->evidence_priv) ||
                          !str_same(al->summary_zh, c->zh) || !str_same(al->summary_en, c->en);
    int old_sev = al->severity;
    json_decref(al->labels);
    al->labels = labels;
    json_decref(al->scope);
    al->scope = c->scope;
    c->scope = NULL;
    json_decref(al->evidence);
    al->evidence = c->evidence;
    c->evidence = NULL;
    json_decref(al->evidence_priv);
    al->evidence_priv = c->evidence_priv;
    c->evidence_priv = NULL;
    replace_str(&al->summary_zh, c->zh);
    replace_str(&al->summary_en, c->en);
    al->base_sev = c->severity;
    al->severity = esc_severity(al);

    if (created || al->state == AL_RESOLVED) {
        start_episode(a, al);
        persist(a, al, "pending", NULL, NULL);
    }
    if (al->state == AL_PENDING && a->now_ms - al->pending_ms >= param(a, al, CFG_P_FOR_S) * 1000) {
        al->state = AL_FIRING;
        al->started_ms = a->now_ms;
        al->false_since_ms = -1;
        persist(a, al, "firing", NULL, NULL);
        a->ver++;
    } else if (al->state == AL_FIRING) {
        al->false_since_ms = -1;
        if (old_sev != al->severity) {
            char d[48];
            snprintf(d, sizeof d, "P%d -> P%d", old_sev, al->severity);
            persist(a, al, "severity", NULL, d);
        }
        if (visible_change) a->ver++;
    }
out:
    json_decref(c->labels);
    json_decref(c->scope);
    json_decref(c->evidence);
    json_decref(c->evidence_priv);
    c->labels = c->scope = c->evidence = c->evidence_priv = NULL;
}

/* The conditions not reported in this evaluation are false. */
static void lifecycle(alerts_t *a)
{
    for (int i = 0; i < a->n; i++) {
        alert *al = a->v[i];
        if (al->seen) continue;
        if (al->state == AL_PENDING) {
            if (al->notified == AL_N_FIRING) { /* receivers still think it fires */
                al->state = AL_RESOLVED;
                al->resolved_ms = a->now_ms;
                persist(a, al, "resolved", NULL, NULL);
                continue;
            }
            forget(a, al);
            remove_at(a, i--);
            continue;
        }
        if (al->state != AL_FIRING) continue;
        if (al->false_since_ms < 0) al->false_since_ms = a->now_ms;
        if (a->now_ms - al->false_since_ms >= param(a, al, CFG_P_KEEP_S) * 1000) {
            al->state = AL_RESOLVED;
            al->resolved_ms = a->now_ms;
            persist(a, al, "resolved", NULL, NULL);
            a->ver++;
        }
    }
}

static bool inhibitable(int rule)
{
    return (rule >= CFG_R1 && rule <= CFG_R9) || rule == CFG_R14;
}

static void suppress(alerts_t *a)
{
    const cfg_t *cfg = a->hub->cfg;
    bool *silent = calloc(cfg->nhalls > 0 ? (size_t)cfg->nhalls : 1, sizeof *silent);
    for (int i = 0; silent && i < a->n; i++) {
        alert *al = a->v[i];
        if (al->rule == CFG_R15 && al->state == AL_FIRING && al->hall_idx >= 0)
            silent[al->hall_idx] = true;
    }
    for (int i = 0; i < a->n; i++) {
        alert *al = a->v[i];
        bool inh = silent && al->hall_idx >= 0 && silent[al->hall_idx] && inhibitable(al->rule) &&
                   al->state != AL_RESOLVED;
        const al_silence *match = NULL;
        for (int s = 0; al->state != AL_RESOLVED && s < a->nsil && !match; s++)
            if (al_silence_active(a, a->sil[s], a->now_ms) &&
                al_silence_matches(a->sil[s], al->labels))
                match = a->sil[s];
        bool sil = match != NULL;
        if (al->state == AL_FIRING && (inh != al->inhibited || sil != al->silenced)) a->ver++;
        al->inhibited = inh;
        al->silenced = sil;
        replace_str(&al->silence_id, match ? match->id : NULL);
        if (sil && al->state == AL_FIRING && !al->was_silenced) {
            al->was_silenced = true;
            persist(a, al, "silenced", NULL, match->id);
        }
    }
    free(silent);
}

/* How a firing alert colours its hall now (docs/alerts.md, "What colours a hall"): live
 * rules while they fire; the case rules R10-R13 (a case to follow up, not a live incident)
 * only until acknowledged and for at most their colour_min business minutes after they start
 * firing -- except a P1 (sensitive) R10, which colours until acknowledged. */
static int colour_of(alerts_t *a, const alert *al)
{
    if (al->state != AL_FIRING || al->hall_idx < 0 || al->inhibited) return STATE_ALERT_NONE;
    if (al->rule == CFG_R15) return STATE_ALERT_OFFLINE;
    int s = al->severity <= 2 ? STATE_ALERT_ALERT : STATE_ALERT_WARN;
    if (al->rule < CFG_R10 || al->rule > CFG_R13) return s;
    if (al->ack_by) return STATE_ALERT_NONE;
    if (al->rule == CFG_R10 && al->severity == 1) return s;
    for (int p = CFG_P_FIRST; p < CFG_RULE_NPARAMS; p++) {
        const char *n = cfg_rule_param_name(al->rule, p);
        if (n && strcmp(n, "colour_min") == 0 &&
            (double)(a->now_ms - al->started_ms) >= param(a, al, p) * 60000.0)
            return STATE_ALERT_NONE;
    }
    return s;
}

static void hall_statuses(alerts_t *a)
{
    const cfg_t *cfg = a->hub->cfg;
    int *st = calloc(cfg->nhalls > 0 ? (size_t)cfg->nhalls : 1, sizeof *st);
    if (!st) return;
    for (int i = 0; i < a->n; i++) {
        const alert *al = a->v[i];
        int s = colour_of(a, al);
        if (al->hall_idx >= 0 && s > st[al->hall_idx]) st[al->hall_idx] = s;
    }
    for (int h = 0; h < cfg->nhalls; h++)
        state_set_alert_status(a->hub->state, h, st[h]);
    free(st);
}

/* ---- notifications ------------------------------------------------------------------------ */

enum { WANT_KEEP, WANT_FIRING, WANT_RESOLVED };

static int want_of(const alert *al)
{
    if (al->state == AL_FIRING) {
        if (al->silenced || al->inhibited) return WANT_KEEP;
        return WANT_FIRING;
    }
    if (al->state == AL_RESOLVED &&
        (al->notified == AL_N_FIRING || (al->was_silenced && al->notified != AL_N_RESOLVED)))
        return WANT_RESOLVED;
    return WANT_KEEP;
}

static bool changed(const alert *al)
{
    int w = want_of(al);
    if (w == WANT_FIRING) return al->notified != AL_N_FIRING || al->notified_sev != al->severity;
    return w == WANT_RESOLVED;
}

static const char *group_key(const alert *al)
{
    return al->hall ? al->hall : "";
}

static al_group *group_get(alerts_t *a, const char *key)
{
    for (int i = 0; i < a->ngroups; i++)
        if (strcmp(a->groups[i].key, key) == 0) return &a->groups[i];
    al_group *ng = realloc(a->groups, (size_t)(a->ngroups + 1) * sizeof *ng);
    if (!ng) return NULL;
    a->groups = ng;
    al_group *g = &ng[a->ngroups];
    if (!(g->key = cw_xstrdup(key))) return NULL;
    g->dirty_since_ms = -1;
    a->ngroups++;
    return g;
}

static const char *external_url(alerts_t *a)
{
    return a->hub->cfg->alerts.external_url ? a->hub->cfg->alerts.external_url
                                            : a->hub->origin_self;
}

static json_t *am_alert(alerts_t *a, const alert *al, bool firing)
{
    char sb[40], eb[40], fp[17];
    fingerprint(al, fp);
    json_t *ann = json_object();
    set_str(ann, "summary", al->summary_zh);
    set_str(ann, "summary_en", al->summary_en);
    set_str(ann, "title", al_rule_title(al->rule, true));
    set_str(ann, "title_en", al_rule_title(al->rule, false));
    json_t *ev = evidence_view(al, true);
    char *evs = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(ev);
    if (evs) json_object_set_new(ann, "evidence", json_string(evs));
    free(evs);
    if (al->esc_level > 0) {
        json_object_set_new(ann, "escalation_level", json_sprintf("%d", al->esc_level));
        set_str(ann, "escalated_to", esc_names[al->esc_level]);
    }
    if (al->ack_by) {
        set_str(ann, "acknowledged_by", al->ack_by);
        if (al->ack_ms >= 0) set_str(ann, "acknowledged_at", cwt_format_utc(al->ack_ms, sb));
        set_str(ann, "ack_note", al->ack_note);
    }
    char gen[512];
    snprintf(gen, sizeof gen, "%s/api/v1/alerts?id=%s", external_url(a), al->id);
    int64_t start = al->started_ms >= 0 ? al->started_ms : al->pending_ms;
    return json_pack("{s:s,s:o,s:o,s:s,s:s,s:s,s:s}", "status", firing ? "firing" : "resolved",
                     "labels", al->labels ? json_incref(al->labels) : json_object(), "annotations",
                     ann, "startsAt", cwt_format_utc(start >= 0 ? start : a->now_ms, sb), "endsAt",
                     firing ? "0001-01-01T00:00:00Z" : cwt_format_utc(al->resolved_ms, eb),
                     "generatorURL", gen, "fingerprint", fp);
}

/* Labels (or annotations) that every alert of arr has with the same value. */
static json_t *common_of(json_t *arr, const char *member)
{
    json_t *first = json_object_get(json_array_get(arr, 0), member);
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(first, k, v)
    {
        bool all = true;
        for (size_t i = 1; all && i < json_array_size(arr); i++) {
            json_t *o = json_object_get(json_object_get(json_array_get(arr, i), member), k);
            all = o && json_equal(o, v);
        }
        if (all) json_object_set(out, k, v);
    }
    return out;
}

/* The receivers of escalation level `level` (0: the config's webhooks and --webhook). */
static int receivers(alerts_t *a, int level, const char **out, int max)
{
    int n = 0;
    const cfg_alerts *ca = &a->hub->cfg->alerts;
    if (level > 0) {
        for (int i = 0; i < ca->nesc_rx[level] && n < max; i++)
            out[n++] = ca->esc_rx[level][i];
        return n;
    }
    for (int i = 0; i < a->hub->cfg->nwebhooks && n < max; i++)
        out[n++] = a->hub->cfg->webhooks[i];
    for (int i = 0; i < a->hub->nextra_webhooks && n < max; i++)
        out[n++] = a->hub->extra_webhooks[i];
    return n;
}

/* One group notification: every receiver of level 0 gets the group's alerts; the receivers
 * of escalation level L only those escalated to L or above, when one of them changed. */
static void flush_group(alerts_t *a, al_group *g)
{
    g->dirty_since_ms = -1;
    json_t *arr[CFG_ESC_LEVELS] = {json_array(), json_array(), json_array()};
    bool any_change[CFG_ESC_LEVELS] = {false}, any_firing[CFG_ESC_LEVELS] = {false};
    alert **incl = calloc(a->n > 0 ? (size_t)a->n : 1, sizeof *incl);
    int ni = 0;
    if (!arr[0] || !arr[1] || !arr[2] || !incl) goto out;
    for (int i = 0; i < a->n; i++) {
        alert *al = a->v[i];
        if (strcmp(group_key(al), g->key) != 0) continue;
        int w = want_of(al);
        if (w == WANT_KEEP) continue;
        json_t *am = am_alert(a, al, w == WANT_FIRING);
        for (int l = 0; l <= al->esc_level && l < CFG_ESC_LEVELS; l++) {
            any_change[l] |= changed(al);
            any_firing[l] |= w == WANT_FIRING;
            json_array_append(arr[l], am);
        }
        json_decref(am);
        incl[ni++] = al;
    }
    if (!any_change[0]) goto out;
    json_t *glabels = json_object();
    if (*g->key) json_object_set_new(glabels, "hall", json_string(g->key));
    char gkey[160];
    snprintf(gkey, sizeof gkey, "{}:{%s%s%s}", *g->key ? "hall=\"" : "", g->key,
             *g->key ? "\"" : "");
    for (int l = 0; l < CFG_ESC_LEVELS; l++) {
        if (!any_change[l]) continue;
        const char *rx[64];
        int nrx = receivers(a, l, rx, 64);
        for (int r = 0; r < nrx; r++) {
            json_t *payload =
                json_pack("{s:s,s:s,s:I,s:s,s:s,s:O,s:o,s:o,s:s,s:O}", "version", "4", "groupKey",
                          gkey, "truncatedAlerts", (json_int_t)0, "status",
                          any_firing[l] ? "firing" : "resolved", "receiver",
                          l == 0   ? "citywall"
                          : l == 1 ? "citywall-city"
                                   : "citywall-leader",
                          "groupLabels", glabels, "commonLabels", common_of(arr[l], "labels"),
                          "commonAnnotations", common_of(arr[l], "annotations"), "externalURL",
                          external_url(a), "alerts", arr[l]);
            char *s = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
            json_decref(payload);
            store_job *j = s ? store_job_new_sql("INSERT INTO outbox(receiver, created_ms, payload)"
                                                 " VALUES(?,?,?)")
                             : NULL;
            if (!j) {
                free(s);
                continue;
            }
            store_job_arg_text(j, rx[r]);
            store_job_arg_int(j, cwt_real_ms());
            al_arg_take(j, s);
            al_store(a, j);
        }
    }
    json_decref(glabels);
    a->stats.notifications++;
    for (int i = 0; i < ni; i++) {
        alert *al = incl[i];
        bool was_changed = changed(al);
        bool firing = want_of(al) == WANT_FIRING;
        al->notified = firing ? AL_N_FIRING : AL_N_RESOLVED;
        al->notified_sev = al->severity;
        if (was_changed) persist(a, al, "notified", NULL, firing ? "firing" : "resolved");
    }
    if (a->notify) notify_kick(a->notify);
out:
    free(incl);
    for (int l = 0; l < CFG_ESC_LEVELS; l++)
        json_decref(arr[l]);
}

json_t *al_alert_json(alerts_t *a, const alert *al, bool names)
{
    return alert_json(a, al, names);
}

json_t *al_am_alert(alerts_t *a, const alert *al, bool firing)
{
    return am_alert(a, al, firing);
}

json_t *al_common_of(json_t *arr, const char *member)
{
    return common_of(arr, member);
}

const char *al_external_url(alerts_t *a)
{
    return external_url(a);
}

void al_persist(alerts_t *a, const alert *al, const char *kind, const char *user,
                const char *detail)
{
    persist(a, al, kind, user, detail);
}

static void notifications(alerts_t *a, int64_t real_ms, bool force)
{
    if (a->hub->cfg->alerts.nroutes > 0) al_route_notify(a, real_ms, force);
    for (int i = 0; i < a->n; i++)
        if (changed(a->v[i])) {
            al_group *g = group_get(a, group_key(a->v[i]));
            if (g && g->dirty_since_ms < 0) g->dirty_since_ms = real_ms;
        }
    int64_t wait = (int64_t)a->hub->cfg->alerts.group_wait_s * 1000;
    for (int i = 0; i < a->ngroups; i++) {
        al_group *g = &a->groups[i];
        if (g->dirty_since_ms >= 0 && (force || real_ms - g->dirty_since_ms >= wait))
            flush_group(a, g);
    }
}

void alerts_flush_groups(alerts_t *a, int64_t real_ms)
{
    notifications(a, real_ms, true);
}

/* Mark the rows the sender delivered. */
static void take_sent(alerts_t *a)
{
    if (!a->notify) return;
    for (notify_sent *s = notify_take_sent(a->notify), *n; s; s = n) {
        n = s->next;
        store_job *j = store_job_new_sql("UPDATE outbox SET sent_ms = ?, attempts = ?,"
                                         " dropped = ? WHERE id = ?");
        if (j) {
            store_job_arg_int(j, s->sent_ms);
            store_job_arg_int(j, s->attempts);
            store_job_arg_int(j, s->dropped);
            store_job_arg_int(j, s->id);
            al_store(a, j);
        }
        free(s);
    }
}

/* ---- evaluation --------------------------------------------------------------------------- */

static void retention(alerts_t *a)
{
    if (a->real_ms - a->last_retention_real_ms < RETENTION_EVERY_MS) return;
    a->last_retention_real_ms = a->real_ms;
    for (int i = 0; i < a->n; i++) {
        alert *al = a->v[i];
        if (al->state == AL_RESOLVED && a->now_ms - al->resolved_ms > AL_RESOLVED_KEEP_MS &&
            !changed(al))
            remove_at(a, i--);
    }
    al_data_retention(a, a->now_ms);
    al_silences_retention(a, cwt_real_ms());
    int64_t keep = (int64_t)a->hub->cfg->retention_days * 86400000;
    store_job *j = store_job_new_sql("DELETE FROM alerts WHERE state = 'resolved' AND"
                                     " updated_ms < ?");
    if (j) {
        store_job_arg_int(j, a->now_ms - keep);
        al_store(a, j);
    }
    if ((j = store_job_new_sql("DELETE FROM alert_history WHERE at_ms < ?"))) {
        store_job_arg_int(j, a->now_ms - keep);
        al_store(a, j);
    }
    if ((j = store_job_new_sql("DELETE FROM outbox WHERE sent_ms IS NOT NULL AND sent_ms < ?"))) {
        store_job_arg_int(j, cwt_real_ms() - 7 * 86400000LL);
        al_store(a, j);
    }
}

static void count(alerts_t *a)
{
    alerts_stats *s = &a->stats;
    s->firing = s->pending = s->silenced = s->inhibited = 0;
    for (int i = 0; i < a->n; i++) {
        const alert *al = a->v[i];
        s->pending += al->state == AL_PENDING;
        if (al->state != AL_FIRING) continue;
        s->firing++;
        s->silenced += al->silenced;
        s->inhibited += al->inhibited;
    }
    s->silences = 0;
    for (int i = 0; i < a->nsil; i++)
        s->silences += a->sil[i]->expired_real_ms < 0;
}

void alerts_eval(alerts_t *a, int64_t now_ms, int64_t real_ms)
{
    a->now_ms = now_ms;
    a->real_ms = real_ms;
    a->dirty = false;
    a->last_eval_sec = now_ms / 1000;
    take_sent(a);
    al_data_refresh(a, now_ms, real_ms, false);
    for (int i = 0; i < a->n; i++)
        a->v[i]->seen = false;
    al_rules_eval(a, now_ms, real_ms);
    lifecycle(a);
    suppress(a);
    escalation(a);
    duty_changes(a);
    hall_statuses(a);
    notifications(a, real_ms, false);
    retention(a);
    count(a);
}

void alerts_tick(alerts_t *a)
{
    int64_t now = state_now(a->hub->state), real = cwt_mono_ms();
    if (!a->log_clock && (a->dirty || now / 1000 != a->last_eval_sec) &&
        (a->last_eval_real_ms == 0 || real - a->last_eval_real_ms >= EVAL_MIN_MS)) {
        a->last_eval_real_ms = real;
        alerts_eval(a, now, real);
        return;
    }
    a->real_ms = real;
    take_sent(a);
    notifications(a, real, false);
}

void alerts_log_tick(alerts_t *a)
{
    a->log_clock = true;
    alerts_eval(a, state_now(a->hub->state), cwt_mono_ms());
}

void alerts_set_sender(alerts_t *a, bool active)
{
    if (a->notify) notify_set_standby(a->notify, !active);
}

void alerts_on_event(alerts_t *a, const ev_event *ev)
{
    al_data_on_event(a, ev);
    a->dirty = true;
}

/* ---- lifecycle of the module -------------------------------------------------------------- */

static void load_alerts(alerts_t *a)
{
    if (!a->hub->store) return;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(store_reader(a->hub->store),
                           "SELECT body FROM alerts WHERE state <> 'resolved' OR updated_ms >= ?",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, state_now(a->hub->state) - AL_RESOLVED_KEEP_MS);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *b = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
        alert *al = b ? alert_from_body(a->hub->cfg, b) : NULL;
        json_decref(b);
        if (al && insert(a, al) < 0) alert_free(al);
        n += al != NULL;
    }
    sqlite3_finalize(st);
    if (n) fprintf(stderr, "citywall-hub: %d alerts restored from the store\n", n);
}

static void set_receivers(alerts_t *a)
{
    if (!a->notify) return;
    const char *rx[4 * 64];
    int n = 0;
    for (int l = 0; l <= CFG_ESC_LEVELS; l++) {
        const char *lv[64];
        int k = l < CFG_ESC_LEVELS ? receivers(a, l, lv, 64)
                                   : al_route_urls(a->hub->cfg, lv, 64); /* routed receivers */
        for (int i = 0; i < k; i++) {
            bool dup = false;
            for (int j = 0; j < n && !dup; j++)
                dup = strcmp(rx[j], lv[i]) == 0;
            if (!dup) rx[n++] = lv[i]; /* one sender per URL, whatever its levels */
        }
    }
    notify_set_receivers(a->notify, (char *const *)rx, n);
}

alerts_t *alerts_create(hub_t *hub)
{
    alerts_t *a = cw_xcalloc(1, sizeof *a);
    if (!a) return NULL;
    a->hub = hub;
    a->sink = default_sink;
    a->sink_ud = hub;
    a->last_eval_sec = INT64_MIN;
    a->last_fig_min = INT64_MIN;
    a->started_real_ms = cwt_mono_ms();
    a->last_retention_real_ms = a->started_real_ms;
    a->last_persist_real_ms = a->started_real_ms;
    a->now_ms = state_now(hub->state);
    a->lex = lexicon_create(hub->cfg->lexicon, hub->cfg->nlexicon);
    if (!a->lex) goto fail;
    if (hub->store) {
        const char *db = sqlite3_db_filename(store_reader(hub->store), "main");
        if (!(a->notify = notify_create(db ? db : "", hub_wake, hub))) goto fail;
        set_receivers(a);
    }
    load_alerts(a);
    al_silences_load(a);
    al_data_load(a);
    return a;
fail:
    alerts_destroy(a);
    return NULL;
}

int alerts_start(alerts_t *a)
{
    return a->notify ? notify_start(a->notify) : 0;
}

void alerts_stop(alerts_t *a)
{
    if (!a || !a->notify) return;
    notify_stop(a->notify);
    take_sent(a);
}

void alerts_destroy(alerts_t *a)
{
    if (!a) return;
    if (a->hub->state) al_data_refresh(a, state_now(a->hub->state), cwt_mono_ms(), true);
    alerts_stop(a);
    notify_destroy(a->notify);
    for (int i = 0; i < a->n; i++)
        alert_free(a->v[i]);
    free(a->v);
    al_data_free(a);
    al_silences_free(a);
    al_route_free(a);
    for (int i = 0; i < a->ngroups; i++)
        free(a->groups[i].key);
    free(a->groups);
    lexicon_destroy(a->lex);
    for (int i = 0; i < a->nops; i++)
        free(a->ops[i].hall);
    free(a->ops);
    free(a);
}

void alerts_reconfigure(alerts_t *a)
{
    const cfg_t *cfg = a->hub->cfg;
    for (int i = 0; i < a->n; i++) {
        alert *al = a->v[i];
        al->hall_idx = al->hall ? cfg_hall_index(cfg, al->hall) : -1;
    }
    lexicon_t *lx = lexicon_create(cfg->lexicon, cfg->nlexicon);
    if (lx) {
        lexicon_destroy(a->lex);
        a->lex = lx;
    }
    set_receivers(a);
    al_route_free(a); /* route indexes may have moved: groups start again (route_sent stays) */
    a->last_fig_min = INT64_MIN;
    a->dirty = true;
    a->ver++;
}

/* ---- documents and REST ------------------------------------------------------------------- */

uint64_t alerts_version(const alerts_t *a)
{
    return a->ver;
}

static bool visible(const alert *al, const bool *halls)
{
    if (!halls) return true;
    return al->hall_idx >= 0 && halls[al->hall_idx];
}

json_t *alerts_doc(alerts_t *a, const bool *halls, bool names)
{
    json_t *doc = json_object();
    for (int i = 0; doc && i < a->n; i++) {
        const alert *al = a->v[i];
        if (al->state != AL_FIRING || !visible(al, halls)) continue;
        json_object_set_new(doc, al->id, alert_json(a, al, names));
    }
    return doc;
}

int alerts_filter_from_name(const char *s)
{
    static const char *const names[] = {"all",      "firing",    "pending", "resolved",
                                        "silenced", "inhibited", "active"};
    for (int i = 0; s && i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

static bool passes(const alert *al, int filter)
{
    switch (filter) {
    case ALERTS_ALL:
        return true;
    case ALERTS_FIRING:
        return al->state == AL_FIRING && !al->silenced && !al->inhibited;
    case ALERTS_PENDING:
        return al->state == AL_PENDING;
    case ALERTS_RESOLVED:
        return al->state == AL_RESOLVED;
    case ALERTS_SILENCED:
        return al->state == AL_FIRING && al->silenced;
    case ALERTS_INHIBITED:
        return al->state == AL_FIRING && al->inhibited;
    case ALERTS_ACTIVE:
        return al->state == AL_FIRING;
    default:
        return false;
    }
}

json_t *alerts_list(alerts_t *a, int filter, const bool *halls, bool names)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < a->n; i++)
        if (visible(a->v[i], halls) && passes(a->v[i], filter))
            json_array_append_new(arr, alert_json(a, a->v[i], names));
    return arr;
}

json_t *alerts_get(alerts_t *a, const char *id, const bool *halls, bool names)
{
    alert *al = id ? al_find(a, id) : NULL;
    return al && visible(al, halls) ? alert_json(a, al, names) : NULL;
}

int alerts_ack(alerts_t *a, const char *id, const char *user, const char *note, const bool *halls,
               json_t **out)
{
    alert *al = id ? al_find(a, id) : NULL;
    if (!al || !visible(al, halls)) return 404;
    if (al->state == AL_RESOLVED) return 409;
    a->now_ms = state_now(a->hub->state);
    replace_str(&al->ack_by, user);
    replace_str(&al->ack_note, note && *note ? note : NULL);
    al->ack_ms = a->now_ms;
    persist(a, al, "ack", user, note);
    a->ver++;
    hall_statuses(a); /* an acknowledged case no longer colours its hall */
    *out = alert_json(a, al, true);
    return 200;
}

int64_t alerts_next_operator_seq(alerts_t *a, int hall)
{
    if (hall < 0 || hall >= a->hub->cfg->nhalls) return 1;
    const char *id = a->hub->cfg->halls[hall].id;
    al_opseq *o = NULL;
    for (int i = 0; i < a->nops && !o; i++)
        if (strcmp(a->ops[i].hall, id) == 0) o = &a->ops[i];
    if (!o) {
        al_opseq *n = realloc(a->ops, (size_t)(a->nops + 1) * sizeof *n);
        if (!n) return 1;
        a->ops = n;
        o = &n[a->nops];
        if (!(o->hall = cw_xstrdup(id))) return 1;
        o->seq = 0;
        a->nops++;
        sqlite3_stmt *st;
        if (a->hub->store && sqlite3_prepare_v2(store_reader(a->hub->store),
                                                "SELECT hwm FROM feeds WHERE hall = ? AND feed = ?",
                                                -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, hub_operator_feed(a->hub), -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW) o->seq = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
    }
    return ++o->seq;
}

void alerts_get_stats(alerts_t *a, alerts_stats *out)
{
    *out = a->stats;
    out->outbox_oldest_age_ms = -1;
    if (a->notify) {
        notify_stats ns;
        notify_get_stats(a->notify, &ns);
        if (ns.oldest_unsent_ms >= 0)
            out->outbox_oldest_age_ms = cwt_real_ms() - ns.oldest_unsent_ms;
        out->webhook_sent = ns.sent;
        out->webhook_failures = ns.failures;
    }
}
