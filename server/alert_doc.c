/* alert_doc: an alert as JSON -- its live document (al_alert_json), its stored body and back
 * (persist, load), its fingerprint and evidence. See alerts.h.
 *
 * Thread: service thread. */
#include "alerts_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "xalloc.h"

/* ---- serialisation ------------------------------------------------------------------------ */

void al_set_time(json_t *o, const char *k, int64_t ms)
{
    char b[40];
    if (ms >= 0) json_object_set_new(o, k, json_string(cwt_format_local(ms, b)));
}

void al_set_int(json_t *o, const char *k, int64_t v)
{
    json_object_set_new(o, k, json_integer(v));
}

void al_set_str(json_t *o, const char *k, const char *s)
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

void al_fingerprint(const alert *al, char out[17])
{
    snprintf(out, 17, "%016llx", (unsigned long long)fnv64(al->id));
}

json_t *al_evidence_view(const alert *al, bool names)
{
    json_t *e = al->evidence ? json_deep_copy(al->evidence) : json_object();
    if (names && al->evidence_priv) json_object_update_recursive(e, al->evidence_priv);
    return e;
}

/* Who is on duty for the alert now (alerts.duty): its hall's people, and those of the city
 * and leader levels it was escalated to; names and phones only for views with names. NULL
 * when nobody is configured. */
json_t *al_on_duty(alerts_t *a, const alert *al, bool names)
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
        json_t *o = json_pack("{s:s,s:s}", "level", al_esc_names[lv], "id", d->id);
        al_set_str(o, "role", d->role);
        if (names) {
            al_set_str(o, "name", d->name);
            al_set_str(o, "phone", d->phone);
        }
        json_array_append_new(out, o);
    }
    return out;
}

/* The alert as the API and the topic show it (new reference). */
json_t *al_alert_json(alerts_t *a, const alert *al, bool names)
{
    char fp[17];
    al_fingerprint(al, fp);
    json_t *o = json_object();
    al_set_str(o, "id", al->id);
    al_set_str(o, "rule", cfg_rule_name(al->rule));
    json_object_set_new(o, "title",
                        json_pack("{s:s,s:s}", "zh", al_rule_title(al->rule, true), "en",
                                  al_rule_title(al->rule, false)));
    json_object_set_new(o, "severity", json_sprintf("P%d", al->severity));
    al_set_str(o, "state", al_state_names[al->state]);
    al_set_str(o, "hall", al->hall);
    if (al->scope) json_object_set(o, "scope", al->scope);
    if (al->labels) json_object_set(o, "labels", al->labels);
    json_object_set_new(o, "summary",
                        json_pack("{s:s,s:s}", "zh", al->summary_zh ? al->summary_zh : "", "en",
                                  al->summary_en ? al->summary_en : ""));
    al_set_time(o, "pending_since", al->pending_ms);
    al_set_time(o, "started", al->started_ms);
    al_set_time(o, "resolved", al->resolved_ms);
    json_object_set_new(o, "evidence", al_evidence_view(al, names));
    if (al->ack_by) {
        json_t *ack = json_pack("{s:s}", "by", al->ack_by);
        al_set_time(ack, "at", al->ack_ms);
        al_set_str(ack, "note", al->ack_note);
        json_object_set_new(o, "ack", ack);
    }
    json_t *duty = al_on_duty(a, al, names);
    if (duty) json_object_set_new(o, "on_duty", duty);
    json_object_set_new(o, "escalated", json_boolean(al->esc_level > 0));
    json_object_set_new(o, "escalation_level", json_integer(al->esc_level));
    if (al->esc_level > 0 || al->esc_due_ms >= 0) {
        json_t *e =
            json_pack("{s:i,s:s}", "level", al->esc_level, "to", al_esc_names[al->esc_level]);
        al_set_time(e, "at", al->esc_ms);
        al_set_time(e, "due", al->esc_due_ms);
        if (al->esc_steps) json_object_set(e, "steps", al->esc_steps);
        json_object_set_new(o, "escalation", e);
    }
    json_object_set_new(o, "silenced", json_boolean(al->silenced));
    if (al->silence_id) al_set_str(o, "silence", al->silence_id);
    json_object_set_new(o, "inhibited", json_boolean(al->inhibited));
    al_set_str(o, "fingerprint", fp);
    (void)a;
    return o;
}

/* The stored form: everything needed to continue after a restart (new reference). */
static json_t *alert_body(const alert *al)
{
    json_t *o = json_object();
    al_set_str(o, "id", al->id);
    al_set_str(o, "rule", cfg_rule_name(al->rule));
    al_set_str(o, "hall", al->hall);
    al_set_str(o, "state", al_state_names[al->state]);
    al_set_int(o, "severity", al->severity);
    if (al->labels) json_object_set(o, "labels", al->labels);
    if (al->scope) json_object_set(o, "scope", al->scope);
    if (al->evidence) json_object_set(o, "evidence", al->evidence);
    if (al->evidence_priv) json_object_set(o, "evidence_private", al->evidence_priv);
    al_set_str(o, "summary_zh", al->summary_zh);
    al_set_str(o, "summary_en", al->summary_en);
    al_set_int(o, "pending_ms", al->pending_ms);
    al_set_int(o, "started_ms", al->started_ms);
    al_set_int(o, "resolved_ms", al->resolved_ms);
    al_set_int(o, "false_since_ms", al->false_since_ms);
    if (al->ack_by) {
        json_t *ack = json_pack("{s:s,s:I}", "by", al->ack_by, "at_ms", (json_int_t)al->ack_ms);
        al_set_str(ack, "note", al->ack_note);
        json_object_set_new(o, "ack", ack);
    }
    json_object_set_new(o, "was_silenced", json_boolean(al->was_silenced));
    al_set_int(o, "notified", al->notified);
    al_set_int(o, "notified_sev", al->notified_sev);
    al_set_int(o, "base_sev", al->base_sev);
    al_set_int(o, "esc_level", al->esc_level);
    al_set_int(o, "esc_ms", al->esc_ms);
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
    alert *al = al_alert_new(id, rule);
    if (!al) return NULL;
    al->state = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(st, al_state_names[i]) == 0) al->state = i;
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
        al_alert_free(al); /* unknown state, or its hall left the config */
        return NULL;
    }
    return al;
}

/* Write the alert's row; with kind, also a history row (user and detail may be NULL). */
void al_persist(alerts_t *a, const alert *al, const char *kind, const char *user,
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
    store_job_arg_text(j, al_state_names[al->state]);
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
    store_job_arg_text(j, al_state_names[al->state]);
    store_job_arg_text(j, sev);
    store_job_arg_text(j, user);
    store_job_arg_text(j, detail);
    al_store(a, j);
    a->stats.transitions++;
}

void al_forget(alerts_t *a, const alert *al)
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

/* ---- lifecycle of the module -------------------------------------------------------------- */

void al_load(alerts_t *a)
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
        if (al && al_insert(a, al) < 0) al_alert_free(al);
        n += al != NULL;
    }
    sqlite3_finalize(st);
    if (n) fprintf(stderr, "citywall-hub: %d alerts restored from the store\n", n);
}

const char *al_external_url(alerts_t *a)
{
    return a->hub->cfg->alerts.external_url ? a->hub->cfg->alerts.external_url
                                            : a->hub->origin_self;
}

json_t *al_am_alert(alerts_t *a, const alert *al, bool firing)
{
    char sb[40], eb[40], fp[17];
    al_fingerprint(al, fp);
    json_t *ann = json_object();
    al_set_str(ann, "summary", al->summary_zh);
    al_set_str(ann, "summary_en", al->summary_en);
    al_set_str(ann, "title", al_rule_title(al->rule, true));
    al_set_str(ann, "title_en", al_rule_title(al->rule, false));
    json_t *ev = al_evidence_view(al, true);
    char *evs = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(ev);
    if (evs) json_object_set_new(ann, "evidence", json_string(evs));
    free(evs);
    if (al->esc_level > 0) {
        json_object_set_new(ann, "escalation_level", json_sprintf("%d", al->esc_level));
        al_set_str(ann, "escalated_to", al_esc_names[al->esc_level]);
    }
    if (al->ack_by) {
        al_set_str(ann, "acknowledged_by", al->ack_by);
        if (al->ack_ms >= 0) al_set_str(ann, "acknowledged_at", cwt_format_utc(al->ack_ms, sb));
        al_set_str(ann, "ack_note", al->ack_note);
    }
    char gen[512];
    snprintf(gen, sizeof gen, "%s/api/v1/alerts?id=%s", al_external_url(a), al->id);
    int64_t start = al->started_ms >= 0 ? al->started_ms : al->pending_ms;
    return json_pack("{s:s,s:o,s:o,s:s,s:s,s:s,s:s}", "status", firing ? "firing" : "resolved",
                     "labels", al->labels ? json_incref(al->labels) : json_object(), "annotations",
                     ann, "startsAt", cwt_format_utc(start >= 0 ? start : a->now_ms, sb), "endsAt",
                     firing ? "0001-01-01T00:00:00Z" : cwt_format_utc(al->resolved_ms, eb),
                     "generatorURL", gen, "fingerprint", fp);
}

/* Labels (or annotations) that every alert of arr has with the same value. */
json_t *al_common_of(json_t *arr, const char *member)
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
