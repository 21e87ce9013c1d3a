/* alert_escalate: escalation (督办) -- when a firing alert is raised to its next level and
 * who is on duty to receive it (SPEC §6, docs/alerts.md). See alerts.h.
 *
 * Thread: service thread. */
#include "alerts_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "workcal.h"
#include "xalloc.h"

/* ---- conditions --------------------------------------------------------------------------- */

/* ---- al_escalation (督办) ----------------------------------------------------------------------
 */

int al_esc_severity(const alert *al)
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
void al_escalation(alerts_t *a)
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
            al->severity = al_esc_severity(al);
            if (al->labels)
                json_object_set_new(al->labels, "severity", json_sprintf("P%d", al->severity));
            char at[40], d[80];
            if (!al->esc_steps) al->esc_steps = json_array();
            json_array_append_new(al->esc_steps,
                                  json_pack("{s:i,s:s,s:s,s:s,s:s}", "level", al->esc_level, "to",
                                            al_esc_names[al->esc_level], "at",
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
                     al_esc_names[al->esc_level]);
            int64_t now = a->now_ms; /* the history row is dated at the step's due instant */
            a->now_ms = due;
            al_persist(a, al, "escalated", NULL, d);
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

/* A duty shift began or ended: the documents show who is on duty now. */
void al_duty_changes(alerts_t *a)
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
