/* alert_route: routed notifications (docs/alerts.md, "Routing") -- the Alertmanager-style
 * route tree of alerts.route sends each alert to exactly the receivers its route names, in the
 * receiver's own message format (Alertmanager v4, generic JSON, DingTalk / WeCom / Feishu
 * robots), grouped by the route's group_by, after its group_wait, repeated every
 * repeat_interval while firing, held during the receiver's quiet hours (a P1 change goes out
 * anyway). Rows go through the same durable outbox as every notification (notify.c: in order
 * per receiver URL, retried, kept across restarts).
 *
 * Invariants:
 *  1. What a routed group was last sent about an alert is in the alert (route_sent, stored
 *     with it), so a restart neither loses nor repeats a notification of a group (at least
 *     once: a crash between the outbox row and the alert's row sends it again).
 *  2. The `webhooks` list and --webhook keep receiving every notification as before (the
 *     hall-grouped Alertmanager path of alerts.c); routing adds receivers, it does not
 *     replace those.
 */
#include "alerts_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwtime.h"
#include "xalloc.h"

#define MAX_LEAVES 32

/* ---- the tree ----------------------------------------------------------------------------- */

static bool node_matches(const cfg_t *cfg, const cfg_route *r, const alert *al)
{
    if (r->m_hall >= 0 && al->hall_idx != r->m_hall) return false;
    if (r->m_rule >= 0 && al->rule != r->m_rule) return false;
    if (r->m_severity >= 0 && al->severity != r->m_severity) return false;
    if (r->m_level >= 0 && (al->hall_idx < 0 || al->hall_idx >= cfg->nhalls ||
                            cfg->halls[al->hall_idx].level != r->m_level))
        return false;
    return true;
}

/* Children of node n take the alert in order (stopping at the first without `continue`);
 * when none does, n itself takes it. */
static void walk(const cfg_t *cfg, int n, const alert *al, int *out, int *cnt, int max)
{
    const cfg_alerts *ca = &cfg->alerts;
    bool taken = false;
    for (int c = n + 1; c < ca->nroutes; c++) {
        if (ca->routes[c].parent != n || !node_matches(cfg, &ca->routes[c], al)) continue;
        walk(cfg, c, al, out, cnt, max);
        taken = true;
        if (!ca->routes[c].cont) break;
    }
    if (!taken && *cnt < max) out[(*cnt)++] = n;
}

int al_route_leaves(const cfg_t *cfg, const alert *al, int *out, int max)
{
    int n = 0;
    if (cfg->alerts.nroutes > 0) walk(cfg, 0, al, out, &n, max);
    return n;
}

int al_route_urls(const cfg_t *cfg, const char **out, int max)
{
    int n = 0;
    for (int i = 0; i < cfg->alerts.nreceivers && n < max; i++)
        out[n++] = cfg->alerts.receivers[i].url;
    return n;
}

static void group_key(const cfg_t *cfg, int route, const alert *al, char *out, size_t n)
{
    unsigned gb = cfg->alerts.routes[route].group_by;
    char sev[4];
    snprintf(sev, sizeof sev, "P%d", al->severity);
    snprintf(out, n, "%d|%s|%s|%s", route, (gb & CFG_GB_HALL) && al->hall ? al->hall : "",
             gb & CFG_GB_RULE ? cfg_rule_name(al->rule) : "", gb & CFG_GB_SEVERITY ? sev : "");
}

static al_rgroup *rgroup_get(alerts_t *a, const char *key, int route)
{
    for (int i = 0; i < a->nrgroups; i++)
        if (strcmp(a->rgroups[i].key, key) == 0) return &a->rgroups[i];
    al_rgroup *ng = realloc(a->rgroups, (size_t)(a->nrgroups + 1) * sizeof *ng);
    if (!ng) return NULL;
    a->rgroups = ng;
    al_rgroup *g = &ng[a->nrgroups];
    if (!(g->key = cw_xstrdup(key))) return NULL;
    g->route = route;
    g->dirty_since_ms = g->last_flush_ms = -1;
    a->nrgroups++;
    return g;
}

void al_route_free(alerts_t *a)
{
    for (int i = 0; i < a->nrgroups; i++)
        free(a->rgroups[i].key);
    free(a->rgroups);
    a->rgroups = NULL;
    a->nrgroups = 0;
}

/* ---- what a group wants to say about an alert --------------------------------------------- */

enum { R_KEEP, R_FIRING, R_RESOLVED };

/* Last sent to group key: severity (firing), 0 (resolved), -1 (nothing). */
static int sent_of(const alert *al, const char *key)
{
    json_t *v = al->route_sent ? json_object_get(al->route_sent, key) : NULL;
    return v ? (int)json_integer_value(v) : -1;
}

static int want(const alert *al, const char *key)
{
    if (al->state == AL_FIRING) return al->silenced || al->inhibited ? R_KEEP : R_FIRING;
    int s = sent_of(al, key);
    if (al->state == AL_RESOLVED && (s > 0 || (al->was_silenced && s != 0))) return R_RESOLVED;
    return R_KEEP;
}

static bool changed(const alert *al, const char *key)
{
    int w = want(al, key);
    if (w == R_FIRING) return sent_of(al, key) != al->severity;
    return w == R_RESOLVED;
}

/* ---- message templates -------------------------------------------------------------------- */

static const char *hall_name(alerts_t *a, const alert *al)
{
    const cfg_t *cfg = a->hub->cfg;
    return al->hall_idx >= 0 && al->hall_idx < cfg->nhalls ? cfg->halls[al->hall_idx].name
                                                           : "citywall";
}

/* The hall's live KPI line (等候, 最长等候, 在岗窗口, 好评率), appended to md. */
static void kpi_line(alerts_t *a, const alert *al, char *md, size_t n)
{
    if (al->hall_idx < 0 || !a->hub->state) return;
    json_t *k = state_hall_kpi(a->hub->state, al->hall_idx);
    if (!k) return;
    size_t len = strlen(md);
    json_t *w = json_object_get(k, "waiting"), *mw = json_object_get(k, "max_wait_live_s"),
           *wo = json_object_get(k, "windows_open"), *wp = json_object_get(k, "windows_planned"),
           *gr = json_object_get(k, "good_rate");
    snprintf(md + len, n - len, "> 当前：等候 %lld 人", (long long)json_integer_value(w));
    len = strlen(md);
    if (mw)
        snprintf(md + len, n - len, "，最长等候 %lld 分钟",
                 (long long)(json_number_value(mw) / 60));
    len = strlen(md);
    if (wo && wp)
        snprintf(md + len, n - len, "，在岗窗口 %lld/%lld", (long long)json_integer_value(wo),
                 (long long)json_integer_value(wp));
    len = strlen(md);
    if (gr) snprintf(md + len, n - len, "，好评率 %.0f%%", json_number_value(gr) * 100);
    len = strlen(md);
    snprintf(md + len, n - len, "\n");
    json_decref(k);
}

/* Markdown for the robots: one block per alert with the hall, its summary, the hall's KPI
 * and a link to the hall on the dashboard. */
static char *markdown(alerts_t *a, alert **v, const int *w, int n, char *title, size_t tn)
{
    size_t cap = 600 + (size_t)n * 2000;
    char *md = malloc(cap);
    if (!md) return NULL;
    md[0] = '\0';
    int firing = 0;
    for (int i = 0; i < n; i++)
        firing += w[i] == R_FIRING;
    snprintf(title, tn, "【%s】%s %d 条告警%s",
             n ? (v[0]->severity == 1   ? "P1"
                  : v[0]->severity == 2 ? "P2"
                  : v[0]->severity == 3 ? "P3"
                                        : "P4")
               : "",
             n ? hall_name(a, v[0]) : "", firing, firing < n ? "（含已恢复）" : "");
    snprintf(md, cap, "### %s\n", title);
    for (int i = 0; i < n; i++) {
        const alert *al = v[i];
        size_t len = strlen(md);
        snprintf(md + len, cap - len, "\n**[P%d] %s · %s**%s\n> %s\n", al->severity,
                 al_rule_title(al->rule, true), hall_name(a, al),
                 w[i] == R_FIRING ? "" : "（已恢复）", al->summary_zh ? al->summary_zh : "");
        kpi_line(a, al, md, cap);
        len = strlen(md);
        snprintf(md + len, cap - len, "> 告警编号：`%s`\n", al->id);
        len = strlen(md);
        if (al->hall)
            snprintf(md + len, cap - len, "> [在看板中查看](%s/#/hall/%s)\n", al_external_url(a),
                     al->hall);
    }
    return md;
}

static json_t *payload(alerts_t *a, const cfg_receiver *rx, const char *gkey, alert **v,
                       const int *w, int n)
{
    bool any_firing = false;
    for (int i = 0; i < n; i++)
        any_firing |= w[i] == R_FIRING;
    if (rx->type == CFG_RX_ALERTMANAGER || rx->type == CFG_RX_JSON) {
        json_t *arr = json_array();
        for (int i = 0; i < n; i++) {
            json_t *o = rx->type == CFG_RX_ALERTMANAGER ? al_am_alert(a, v[i], w[i] == R_FIRING)
                                                        : al_alert_json(a, v[i], false);
            if (rx->type == CFG_RX_JSON)
                json_object_set_new(o, "status",
                                    json_string(w[i] == R_FIRING ? "firing" : "resolved"));
            json_array_append_new(arr, o);
        }
        json_t *glabels = json_object();
        if (n && v[0]->hall && strchr(gkey, '|')[1] != '|')
            json_object_set_new(glabels, "hall", json_string(v[0]->hall));
        if (rx->type == CFG_RX_JSON)
            return json_pack("{s:s,s:s,s:s,s:o,s:o}", "receiver", rx->name, "status",
                             any_firing ? "firing" : "resolved", "groupKey", gkey, "groupLabels",
                             glabels, "alerts", arr);
        return json_pack("{s:s,s:s,s:I,s:s,s:s,s:o,s:o,s:o,s:s,s:o}", "version", "4", "groupKey",
                         gkey, "truncatedAlerts", (json_int_t)0, "status",
                         any_firing ? "firing" : "resolved", "receiver", rx->name, "groupLabels",
                         glabels, "commonLabels", al_common_of(arr, "labels"), "commonAnnotations",
                         al_common_of(arr, "annotations"), "externalURL", al_external_url(a),
                         "alerts", arr);
    }
    char title[300];
    char *md = markdown(a, v, w, n, title, sizeof title);
    if (!md) return NULL;
    json_t *p = NULL;
    if (rx->type == CFG_RX_DINGTALK)
        p = json_pack("{s:s,s:{s:s,s:s}}", "msgtype", "markdown", "markdown", "title", title,
                      "text", md);
    else if (rx->type == CFG_RX_WECOM)
        p = json_pack("{s:s,s:{s:s}}", "msgtype", "markdown", "markdown", "content", md);
    else
        p = json_pack("{s:s,s:{s:{s:{s:s,s:s},s:s},s:[{s:s,s:s}]}}", "msg_type", "interactive",
                      "card", "header", "title", "tag", "plain_text", "content", title, "template",
                      any_firing ? "red" : "green", "elements", "tag", "markdown", "content", md);
    free(md);
    return p;
}

/* ---- flushing ----------------------------------------------------------------------------- */

static bool quiet_now(alerts_t *a, const cfg_receiver *rx)
{
    if (rx->quiet_from == rx->quiet_to) return false;
    cwt_local lt;
    cwt_to_local(a->now_ms, &lt);
    if (rx->quiet_from < rx->quiet_to)
        return lt.minute >= rx->quiet_from && lt.minute < rx->quiet_to;
    return lt.minute >= rx->quiet_from || lt.minute < rx->quiet_to; /* over midnight */
}

static bool in_group(alerts_t *a, const alert *al, const al_rgroup *g)
{
    int leaves[MAX_LEAVES];
    int n = al_route_leaves(a->hub->cfg, al, leaves, MAX_LEAVES);
    for (int i = 0; i < n; i++)
        if (leaves[i] == g->route) {
            char k[AL_ID_MAX];
            group_key(a->hub->cfg, g->route, al, k, sizeof k);
            return strcmp(k, g->key) == 0;
        }
    return false;
}

/* Send group g when something changed (or `repeat`: its firing alerts again). */
static void flush(alerts_t *a, al_rgroup *g, bool repeat)
{
    const cfg_t *cfg = a->hub->cfg;
    const cfg_route *r = &cfg->alerts.routes[g->route];
    if (r->receiver < 0 || r->receiver >= cfg->alerts.nreceivers) return;
    const cfg_receiver *rx = &cfg->alerts.receivers[r->receiver];
    alert **v = calloc(a->n > 0 ? (size_t)a->n : 1, sizeof *v);
    int *w = calloc(a->n > 0 ? (size_t)a->n : 1, sizeof *w);
    int n = 0;
    bool any_change = false, p1_change = false, any_firing = false;
    if (!v || !w) goto out;
    for (int i = 0; i < a->n; i++) {
        alert *al = a->v[i];
        int x;
        if (!in_group(a, al, g) || (x = want(al, g->key)) == R_KEEP) continue;
        bool ch = changed(al, g->key);
        any_change |= ch;
        p1_change |= ch && x == R_FIRING && al->severity == 1;
        any_firing |= x == R_FIRING;
        v[n] = al;
        w[n++] = x;
    }
    if (!any_change && !(repeat && any_firing)) {
        g->dirty_since_ms = -1;
        if (!any_firing) g->last_flush_ms = -1; /* nothing firing: nothing to repeat */
        goto out;
    }
    if (quiet_now(a, rx) && !p1_change) goto out; /* held (still dirty) until quiet ends */
    json_t *p = payload(a, rx, g->key, v, w, n);
    char *s = p ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    store_job *j =
        s ? store_job_new_sql("INSERT INTO outbox(receiver, created_ms, payload) VALUES(?,?,?)")
          : NULL;
    if (!j) {
        free(s);
        goto out;
    }
    store_job_arg_text(j, rx->url);
    store_job_arg_int(j, cwt_real_ms());
    al_arg_take(j, s);
    al_store(a, j);
    for (int i = 0; i < n; i++) {
        alert *al = v[i];
        bool ch = changed(al, g->key);
        if (!al->route_sent) al->route_sent = json_object();
        json_object_set_new(al->route_sent, g->key,
                            json_integer(w[i] == R_FIRING ? al->severity : 0));
        if (ch) {
            char d[160];
            snprintf(d, sizeof d, "%s to %s", w[i] == R_FIRING ? "firing" : "resolved", rx->name);
            al_persist(a, al, "routed", NULL, d);
        }
    }
    a->stats.notifications++;
    g->dirty_since_ms = -1;
    g->last_flush_ms = a->real_ms;
    if (a->notify) notify_kick(a->notify);
out:
    free(v);
    free(w);
}

void al_route_notify(alerts_t *a, int64_t real_ms, bool force)
{
    const cfg_t *cfg = a->hub->cfg;
    for (int i = 0; i < a->n; i++) {
        alert *al = a->v[i];
        int leaves[MAX_LEAVES];
        int n = al_route_leaves(cfg, al, leaves, MAX_LEAVES);
        for (int k = 0; k < n; k++) {
            char key[AL_ID_MAX];
            group_key(cfg, leaves[k], al, key, sizeof key);
            if (!changed(al, key)) continue;
            al_rgroup *g = rgroup_get(a, key, leaves[k]);
            if (g && g->dirty_since_ms < 0) g->dirty_since_ms = real_ms;
        }
    }
    for (int i = 0; i < a->nrgroups; i++) {
        al_rgroup *g = &a->rgroups[i];
        if (g->route >= cfg->alerts.nroutes) continue; /* the config shrank: forgotten */
        const cfg_route *r = &cfg->alerts.routes[g->route];
        int64_t wait = (int64_t)llround(r->group_wait_s * 1000);
        bool due = g->dirty_since_ms >= 0 && (force || real_ms - g->dirty_since_ms >= wait);
        bool repeat = g->last_flush_ms >= 0 && r->repeat_s > 0 &&
                      real_ms - g->last_flush_ms >= (int64_t)llround(r->repeat_s * 1000);
        if (due || repeat) flush(a, g, repeat);
    }
}
