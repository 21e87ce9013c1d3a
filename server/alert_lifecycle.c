/* alert_lifecycle: what the rules report becomes -- conditions start pending alerts, which fire
 * after their `for`, resolve after `keep_firing_for`, are silenced or inhibited, and colour
 * their hall. See alerts.h (design) and the decisions at the top of alerts.c.
 *
 * Thread: service thread. */
#include "alerts_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

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

    bool visible_change =
        !json_same(al->labels, labels) || !json_same(al->scope, c->scope) ||
        !json_same(al->evidence, c->evidence) || !json_same(al->evidence_priv, c->evidence_priv) ||
        !al_str_same(al->summary_zh, c->zh) || !al_str_same(al->summary_en, c->en);
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
void al_lifecycle(alerts_t *a)
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

void al_suppress(alerts_t *a)
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
