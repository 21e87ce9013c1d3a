/* alert_notify: notifications -- grouping per hall, the group wait, Alertmanager-shaped
 * payloads, receivers, and the sent marks written back to the store. See alerts.h.
 *
 * Thread: service thread. */
#include "alerts_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "xalloc.h"

/* ---- store -------------------------------------------------------------------------------- */

void al_default_sink(void *ud, store_job *j)
{
    hub_t *hub = ud;
    if (hub->store)
        hub_store_fire(hub, j);
    else
        store_job_free(j);
}

void alerts_set_sink(alerts_t *a, void (*fn)(void *ud, store_job *j), void *ud)
{
    a->sink = fn ? fn : al_default_sink;
    a->sink_ud = fn ? ud : a->hub;
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

bool al_changed(const alert *al)
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

/* The receivers of escalation level `level` (0: the config's webhooks and --webhook). */
int al_receivers(alerts_t *a, int level, const char **out, int max)
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
        json_t *am = al_am_alert(a, al, w == WANT_FIRING);
        for (int l = 0; l <= al->esc_level && l < CFG_ESC_LEVELS; l++) {
            any_change[l] |= al_changed(al);
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
        int nrx = al_receivers(a, l, rx, 64);
        for (int r = 0; r < nrx; r++) {
            json_t *payload =
                json_pack("{s:s,s:s,s:I,s:s,s:s,s:O,s:o,s:o,s:s,s:O}", "version", "4", "groupKey",
                          gkey, "truncatedAlerts", (json_int_t)0, "status",
                          any_firing[l] ? "firing" : "resolved", "receiver",
                          l == 0   ? "citywall"
                          : l == 1 ? "citywall-city"
                                   : "citywall-leader",
                          "groupLabels", glabels, "commonLabels", al_common_of(arr[l], "labels"),
                          "commonAnnotations", al_common_of(arr[l], "annotations"), "externalURL",
                          al_external_url(a), "alerts", arr[l]);
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
        bool was_changed = al_changed(al);
        bool firing = want_of(al) == WANT_FIRING;
        al->notified = firing ? AL_N_FIRING : AL_N_RESOLVED;
        al->notified_sev = al->severity;
        if (was_changed) al_persist(a, al, "notified", NULL, firing ? "firing" : "resolved");
    }
    if (a->notify) notify_kick(a->notify);
out:
    free(incl);
    for (int l = 0; l < CFG_ESC_LEVELS; l++)
        json_decref(arr[l]);
}

void al_notifications(alerts_t *a, int64_t real_ms, bool force)
{
    if (a->hub->cfg->alerts.nroutes > 0) al_route_notify(a, real_ms, force);
    for (int i = 0; i < a->n; i++)
        if (al_changed(a->v[i])) {
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
    al_notifications(a, real_ms, true);
}

/* Mark the rows the sender delivered. */
void al_take_sent(alerts_t *a)
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

void al_set_receivers(alerts_t *a)
{
    if (!a->notify) return;
    const char *rx[4 * 64];
    int n = 0;
    for (int l = 0; l <= CFG_ESC_LEVELS; l++) {
        const char *lv[64];
        int k = l < CFG_ESC_LEVELS ? al_receivers(a, l, lv, 64)
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

void alerts_set_sender(alerts_t *a, bool active)
{
    if (a->notify) notify_set_standby(a->notify, !active);
}
