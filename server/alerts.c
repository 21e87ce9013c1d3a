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
    al_lifecycle(a);
    al_suppress(a);
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
