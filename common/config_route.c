/* config_route: alerts.receivers and alerts.route -- named receivers with their message format
 * and quiet hours, and an Alertmanager-style route tree (docs/alerts.md, "Routing").
 *
 *   alerts:
 *     receivers:
 *       - {name: am, type: alertmanager, url: "http://127.0.0.1:9093/api/v1/alerts"}
 *       - {name: ding-lh03, type: dingtalk, url: "https://oapi.dingtalk.com/robot/send?...",
 *          quiet: "22:00-07:00"}
 *     route:
 *       receiver: am
 *       group_by: [hall]
 *       group_wait: 10s
 *       repeat_interval: 4h
 *       routes:
 *         - {match: {hall: LH-03}, receiver: ding-lh03, continue: true}
 *
 * The tree is flattened depth-first into cfg_alerts.routes (the root first, a parent before
 * its children); a child inherits receiver, group_by, group_wait and repeat_interval.
 */
#include "config_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rx_types[] = {"alertmanager", "json", "dingtalk", "wecom", "feishu", NULL};

/* "HH:MM-HH:MM", over midnight allowed: 0 and the minutes, -1 when malformed. */
static int quiet_span(const char *s, int *from, int *to)
{
    int h1, m1, h2, m2;
    char end;
    if (sscanf(s, "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &end) != 4) return -1;
    if (h1 < 0 || h1 > 24 || h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59) return -1;
    *from = h1 * 60 + m1;
    *to = h2 * 60 + m2;
    return *from > 1440 || *to > 1440 || *from == *to ? -1 : 0;
}

void cfgl_parse_receivers(cfgl *L, struct fy_node *seq, int sline)
{
    static const char *const keys[] = {"name", "type", "url", "quiet", NULL};
    static const char *const schemes[] = {"http://", "https://", NULL};
    cfg_alerts *a = &L->cfg->alerts;
    const char *base = "alerts.receivers";
    if (!cfgl_want_seq(L, seq, sline, base)) return;
    int n = fy_node_sequence_item_count(seq), i = 0;
    a->receivers = calloc(n > 0 ? (size_t)n : 1, sizeof *a->receivers);
    if (!a->receivers) {
        L->oom = true;
        return;
    }
    void *it = NULL;
    struct fy_node *e;
    for (; (e = fy_node_sequence_iterate(seq, &it)); i++) {
        char ip[CFGL_PATHN], f[CFGL_PATHN];
        int el = cfgl_line_or(e, sline), l;
        cfgl_path_idx(ip, base, i);
        if (!cfgl_want_map(L, e, el, ip)) continue;
        cfgl_check_keys(L, e, ip, keys);
        cfg_receiver r = {.type = -1};
        r.name = cfgl_req_str(L, e, el, ip, "name", false);
        r.url = cfgl_req_str(L, e, el, ip, "url", false);
        char *t = cfgl_req_str(L, e, el, ip, "type", false);
        for (int k = 0; t && rx_types[k]; k++)
            if (!strcmp(t, rx_types[k])) r.type = k;
        if (t && r.type < 0) {
            cfgl_path_key(f, ip, "type");
            cfgl_error(L, cfgl_line_or(cfgl_get(e, "type", el, &l), el), f,
                       "unknown type '%s' (expected alertmanager, json, dingtalk, wecom, feishu)",
                       t);
        }
        free(t);
        if (r.url && !cfgl_url_ok(r.url, schemes)) {
            cfgl_path_key(f, ip, "url");
            cfgl_error(L, cfgl_line_or(cfgl_get(e, "url", el, &l), el), f,
                       "bad URL '%s' (expected http[s]://...)", r.url);
        }
        char *q = cfgl_opt_str(L, e, el, ip, "quiet");
        if (q && quiet_span(q, &r.quiet_from, &r.quiet_to) < 0) {
            cfgl_path_key(f, ip, "quiet");
            cfgl_error(L, cfgl_line_or(cfgl_get(e, "quiet", el, &l), el), f,
                       "expected HH:MM-HH:MM, got '%s'", q);
        }
        free(q);
        for (int k = 0; r.name && k < a->nreceivers; k++)
            if (!strcmp(a->receivers[k].name, r.name)) {
                cfgl_path_key(f, ip, "name");
                cfgl_error(L, el, f, "receiver '%s' listed twice", r.name);
            }
        if (!r.name || !r.url || r.type < 0) {
            free(r.name);
            free(r.url);
            continue;
        }
        a->receivers[a->nreceivers++] = r;
    }
}

static int receiver_index(const cfg_alerts *a, const char *name)
{
    for (int i = 0; i < a->nreceivers; i++)
        if (!strcmp(a->receivers[i].name, name)) return i;
    return -1;
}

/* match: {hall, rule, severity, level} */
static void parse_match(cfgl *L, struct fy_node *m, int ml, const char *path, cfg_route *r)
{
    static const char *const keys[] = {"hall", "rule", "severity", "level", NULL};
    if (!cfgl_want_map(L, m, ml, path)) return;
    cfgl_check_keys(L, m, path, keys);
    char f[CFGL_PATHN];
    int l;
    char *v;
    if ((v = cfgl_opt_str(L, m, ml, path, "hall"))) {
        cfgl_path_key(f, path, "hall");
        if ((r->m_hall = cfg_hall_index(L->cfg, v)) < 0)
            cfgl_error(L, cfgl_line_or(cfgl_get(m, "hall", ml, &l), ml), f, "unknown hall '%s'", v);
        free(v);
    }
    if ((v = cfgl_opt_str(L, m, ml, path, "rule"))) {
        cfgl_path_key(f, path, "rule");
        if ((r->m_rule = cfg_rule_index(v)) < 0)
            cfgl_error(L, cfgl_line_or(cfgl_get(m, "rule", ml, &l), ml), f,
                       "unknown rule '%s' (expected R1..R15 or H1..H4)", v);
        free(v);
    }
    if ((v = cfgl_opt_str(L, m, ml, path, "severity"))) {
        cfgl_path_key(f, path, "severity");
        if (v[0] == 'P' && v[1] >= '1' && v[1] <= '4' && !v[2])
            r->m_severity = v[1] - '0';
        else
            cfgl_error(L, cfgl_line_or(cfgl_get(m, "severity", ml, &l), ml), f,
                       "expected P1, P2, P3 or P4, got '%s'", v);
        free(v);
    }
    if ((v = cfgl_opt_str(L, m, ml, path, "level"))) {
        cfgl_path_key(f, path, "level");
        for (int k = CFG_LEVEL_CITY; k <= CFG_LEVEL_VILLAGE; k++)
            if (!strcmp(v, cfg_level_name(k))) r->m_level = k;
        if (r->m_level < 0)
            cfgl_error(L, cfgl_line_or(cfgl_get(m, "level", ml, &l), ml), f,
                       "expected city, county, town or village, got '%s'", v);
        free(v);
    }
}

static double duration_of(cfgl *L, struct fy_node *map, int ml, const char *path, const char *key,
                          double dflt)
{
    int l;
    struct fy_node *v = cfgl_get(map, key, ml, &l);
    if (!v) return dflt;
    char f[CFGL_PATHN];
    size_t len;
    cfgl_path_key(f, path, key);
    const char *s = cfgl_want_scalar(L, v, l, f, &len);
    double x = s ? cfgl_duration(s, len) : -1;
    if (s && (x < 0 || x > 366 * 86400.0)) {
        cfgl_error(L, l, f, "expected a duration (seconds, or a number with s, m or h), got '%.*s'",
                   (int)(len < 40 ? len : 40), s);
        return dflt;
    }
    return x < 0 ? dflt : x;
}

/* One route node and its children, appended depth-first. */
static void parse_node(cfgl *L, struct fy_node *map, int ml, const char *path, int parent,
                       int depth)
{
    static const char *const keys[] = {"receiver",   "match",           "continue", "group_by",
                                       "group_wait", "repeat_interval", "routes",   NULL};
    cfg_alerts *a = &L->cfg->alerts;
    if (!cfgl_want_map(L, map, ml, path)) return;
    if (depth > 8) {
        cfgl_error(L, ml, path, "routes nested deeper than 8 levels");
        return;
    }
    cfgl_check_keys(L, map, path, keys);
    cfg_route *nr = realloc(a->routes, (size_t)(a->nroutes + 1) * sizeof *nr);
    if (!nr) {
        L->oom = true;
        return;
    }
    a->routes = nr;
    int me = a->nroutes++;
    cfg_route r = {.parent = parent,
                   .receiver = -1,
                   .m_hall = -1,
                   .m_rule = -1,
                   .m_severity = -1,
                   .m_level = -1};
    const cfg_route *up = parent >= 0 ? &a->routes[parent] : NULL;
    r.receiver = up ? up->receiver : -1;
    r.group_by = up ? up->group_by : CFG_GB_HALL;
    r.group_wait_s = up ? up->group_wait_s : a->group_wait_s;
    r.repeat_s = up ? up->repeat_s : 4 * 3600;
    char f[CFGL_PATHN];
    int l;
    char *rx = cfgl_opt_str(L, map, ml, path, "receiver");
    if (rx) {
        cfgl_path_key(f, path, "receiver");
        if ((r.receiver = receiver_index(a, rx)) < 0)
            cfgl_error(L, cfgl_line_or(cfgl_get(map, "receiver", ml, &l), ml), f,
                       "unknown receiver '%s' (see alerts.receivers)", rx);
        free(rx);
    } else if (parent < 0) {
        cfgl_missing(L, ml, path, "receiver");
    }
    struct fy_node *v = cfgl_get(map, "match", ml, &l);
    if (v) {
        cfgl_path_key(f, path, "match");
        if (parent < 0)
            cfgl_error(L, l, f, "the root route matches every alert");
        else
            parse_match(L, v, l, f, &r);
    }
    if ((v = cfgl_get(map, "continue", ml, &l))) {
        cfgl_path_key(f, path, "continue");
        if (cfgl_scalar_is(v, "true"))
            r.cont = true;
        else if (!cfgl_scalar_is(v, "false"))
            cfgl_error(L, l, f, "expected true or false");
    }
    if ((v = cfgl_get(map, "group_by", ml, &l))) {
        cfgl_path_key(f, path, "group_by");
        if (cfgl_want_seq(L, v, l, f)) {
            r.group_by = 0;
            void *it = NULL;
            struct fy_node *g;
            for (int i = 0; (g = fy_node_sequence_iterate(v, &it)); i++) {
                char ip[CFGL_PATHN];
                cfgl_path_idx(ip, f, i);
                char *s = cfgl_str(L, g, cfgl_line_or(g, l), ip);
                if (!s) continue;
                if (!strcmp(s, "hall"))
                    r.group_by |= CFG_GB_HALL;
                else if (!strcmp(s, "alertname") || !strcmp(s, "rule"))
                    r.group_by |= CFG_GB_RULE;
                else if (!strcmp(s, "severity"))
                    r.group_by |= CFG_GB_SEVERITY;
                else
                    cfgl_error(L, cfgl_line_or(g, l), ip,
                               "expected hall, alertname (rule) or severity, got '%s'", s);
                free(s);
            }
        }
    }
    r.group_wait_s = duration_of(L, map, ml, path, "group_wait", r.group_wait_s);
    r.repeat_s = duration_of(L, map, ml, path, "repeat_interval", r.repeat_s);
    a->routes[me] = r;
    if ((v = cfgl_get(map, "routes", ml, &l))) {
        cfgl_path_key(f, path, "routes");
        if (!cfgl_want_seq(L, v, l, f)) return;
        void *it = NULL;
        struct fy_node *c;
        for (int i = 0; (c = fy_node_sequence_iterate(v, &it)); i++) {
            char ip[CFGL_PATHN];
            cfgl_path_idx(ip, f, i);
            parse_node(L, c, cfgl_line_or(c, l), ip, me, depth + 1);
        }
    }
}

void cfgl_parse_route(cfgl *L, struct fy_node *map, int mline)
{
    parse_node(L, map, mline, "alerts.route", -1, 0);
}

void cfg_routes_free(cfg_alerts *a)
{
    for (int i = 0; i < a->nreceivers; i++) {
        free(a->receivers[i].name);
        free(a->receivers[i].url);
    }
    free(a->receivers);
    free(a->routes);
    a->receivers = NULL;
    a->routes = NULL;
    a->nreceivers = a->nroutes = 0;
}
