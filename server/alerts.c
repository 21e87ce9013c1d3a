/* alerts: the registry of alerts and their lifecycle -- conditions reported by the rules become
 * pending, firing and resolved alerts, suppressed by silences and inhibitions -- the evaluation
 * tick, and the engine's life (create, reconfigure, destroy). See alerts.h for the design. The
 * rules are in alert_rules.c, an alert's JSON and storage in alert_doc.c, escalation in
 * alert_escalate.c, notifications in alert_notify.c and alert_route.c, queries and
 * acknowledgements in alert_query.c, silences in alert_silence.c, the bad-review records and
 * daily figures in alert_data.c.
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

const char *const al_state_names[3] = {"pending", "firing", "resolved"};
const char *const al_esc_names[CFG_ESC_LEVELS] = {"hall", "city", "leader"};

const char *al_rule_title(int rule, bool zh)
{
    return rule >= 0 && rule < CFG_NRULES ? titles[rule][zh ? 0 : 1] : "?";
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

int al_insert(alerts_t *a, alert *al)
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

void al_alert_free(alert *al)
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

void al_remove_at(alerts_t *a, int i)
{
    al_alert_free(a->v[i]);
    memmove(&a->v[i], &a->v[i + 1], (size_t)(a->n - i - 1) * sizeof *a->v);
    a->n--;
}

alert *al_alert_new(const char *id, int rule)
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

double al_param(alerts_t *a, const alert *al, int p)
{
    return cfg_alert_param(a->hub->cfg, al->rule, al->hall_idx, biz_of(al), p);
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

void al_replace_str(char **dst, const char *src)
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
        if (!(al = al_alert_new(c->id, c->rule)) || al_insert(a, al) < 0) {
            al_alert_free(al);
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
    al_replace_str(&al->summary_zh, c->zh);
    al_replace_str(&al->summary_en, c->en);
    al->base_sev = c->severity;
    al->severity = al_esc_severity(al);

    if (created || al->state == AL_RESOLVED) {
        start_episode(a, al);
        al_persist(a, al, "pending", NULL, NULL);
    }
    if (al->state == AL_PENDING &&
        a->now_ms - al->pending_ms >= al_param(a, al, CFG_P_FOR_S) * 1000) {
        al->state = AL_FIRING;
        al->started_ms = a->now_ms;
        al->false_since_ms = -1;
        al_persist(a, al, "firing", NULL, NULL);
        a->ver++;
    } else if (al->state == AL_FIRING) {
        al->false_since_ms = -1;
        if (old_sev != al->severity) {
            char d[48];
            snprintf(d, sizeof d, "P%d -> P%d", old_sev, al->severity);
            al_persist(a, al, "severity", NULL, d);
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
                al_persist(a, al, "resolved", NULL, NULL);
                continue;
            }
            al_forget(a, al);
            al_remove_at(a, i--);
            continue;
        }
        if (al->state != AL_FIRING) continue;
        if (al->false_since_ms < 0) al->false_since_ms = a->now_ms;
        if (a->now_ms - al->false_since_ms >= al_param(a, al, CFG_P_KEEP_S) * 1000) {
            al->state = AL_RESOLVED;
            al->resolved_ms = a->now_ms;
            al_persist(a, al, "resolved", NULL, NULL);
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
        al_replace_str(&al->silence_id, match ? match->id : NULL);
        if (sil && al->state == AL_FIRING && !al->was_silenced) {
            al->was_silenced = true;
            al_persist(a, al, "silenced", NULL, match->id);
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
            (double)(a->now_ms - al->started_ms) >= al_param(a, al, p) * 60000.0)
            return STATE_ALERT_NONE;
    }
    return s;
}

void al_hall_statuses(alerts_t *a)
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

/* ---- evaluation --------------------------------------------------------------------------- */

static void retention(alerts_t *a)
{
    if (a->real_ms - a->last_retention_real_ms < RETENTION_EVERY_MS) return;
    a->last_retention_real_ms = a->real_ms;
    for (int i = 0; i < a->n; i++) {
        alert *al = a->v[i];
        if (al->state == AL_RESOLVED && a->now_ms - al->resolved_ms > AL_RESOLVED_KEEP_MS &&
            !al_changed(al))
            al_remove_at(a, i--);
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
    al_take_sent(a);
    al_data_refresh(a, now_ms, real_ms, false);
    for (int i = 0; i < a->n; i++)
        a->v[i]->seen = false;
    al_rules_eval(a, now_ms, real_ms);
    lifecycle(a);
    suppress(a);
    al_escalation(a);
    al_duty_changes(a);
    al_hall_statuses(a);
    al_notifications(a, real_ms, false);
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
    al_take_sent(a);
    al_notifications(a, real, false);
}

void alerts_log_tick(alerts_t *a)
{
    a->log_clock = true;
    alerts_eval(a, state_now(a->hub->state), cwt_mono_ms());
}

void alerts_on_event(alerts_t *a, const ev_event *ev)
{
    al_data_on_event(a, ev);
    a->dirty = true;
}

alerts_t *alerts_create(hub_t *hub)
{
    alerts_t *a = cw_xcalloc(1, sizeof *a);
    if (!a) return NULL;
    a->hub = hub;
    a->sink = al_default_sink;
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
        al_set_receivers(a);
    }
    al_load(a);
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
    al_take_sent(a);
}

void alerts_destroy(alerts_t *a)
{
    if (!a) return;
    if (a->hub->state) al_data_refresh(a, state_now(a->hub->state), cwt_mono_ms(), true);
    alerts_stop(a);
    notify_destroy(a->notify);
    for (int i = 0; i < a->n; i++)
        al_alert_free(a->v[i]);
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
    al_set_receivers(a);
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
