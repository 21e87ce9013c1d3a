/* config_alerts: the `alerts` section of the configuration (SPEC §6, §9) -- the YAML parser of
 * the section (against the rule table of config_rules.c), and the lookup that resolves a
 * parameter for a hall and biz type.
 *
 * Format (docs/config.md):
 *   alerts:
 *     group_wait_s: 10
 *     startup_grace_s: 10
 *     external_url: http://wall.example:8080
 *     rules:  {R1: {p3_min: 30, p2_min: 60, for: 0, keep_firing_for: 2m}, R13: {enabled: false}}
 *     biz:    {G: {R1: {p3_min: 20}}}                      # a biz type id, in every hall
 *     halls:  {LH-00: {rules: {R8: {ratio: 0.9}}, biz: {A: {R1: {p3_min: 45}}}}}
 * A parameter resolves to the most specific level that sets it: (hall, biz), hall, biz type,
 * city (`rules`), then the built-in default of the rule table (config_rules.c).
 */
#include "config_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cfg_rule_params *scope_rule(const cfg_t *cfg, int hall, const char *biz, int rule)
{
    for (int i = 0; i < cfg->alerts.nscopes; i++) {
        const cfg_alert_scope *s = &cfg->alerts.scopes[i];
        if (s->hall != hall) continue;
        if ((s->biz == NULL) != (biz == NULL)) continue;
        if (biz && strcmp(s->biz, biz) != 0) continue;
        return &s->rules[rule];
    }
    return NULL;
}

double cfg_alert_param(const cfg_t *cfg, int rule, int hall, const char *biz, int p)
{
    if (rule < 0 || rule >= CFG_NRULES || p < 0 || p >= CFG_RULE_NPARAMS) return 0;
    const cfg_rule_params *levels[4] = {NULL, NULL, NULL, &cfg->alerts.rules[rule]};
    if (hall >= 0 && biz) levels[0] = scope_rule(cfg, hall, biz, rule);
    if (hall >= 0) levels[1] = scope_rule(cfg, hall, NULL, rule);
    if (biz) levels[2] = scope_rule(cfg, -1, biz, rule);
    for (int i = 0; i < 4; i++)
        if (levels[i] && (levels[i]->set & (1u << p))) return levels[i]->v[p];
    return cfg_rule_param_default(rule, p);
}

/* ---- parsing ---------------------------------------------------------------------------- */

/* A duration: integer seconds, or a number with a unit "90s", "2m", "1.5h"; -1 when not. */
static void parse_params(cfgl *L, struct fy_node *map, int mline, const char *base, int rule,
                         cfg_rule_params *out)
{
    if (!cfgl_want_map(L, map, mline, base)) return;
    const char *keys[CFG_RULE_NPARAMS + 1];
    int nk = 0;
    for (int p = 0; p < CFG_RULE_NPARAMS; p++) {
        const char *n = cfg_rule_param_name(rule, p);
        if (!n) break;
        keys[nk++] = n;
    }
    keys[nk] = NULL;
    cfgl_check_keys(L, map, base, keys);
    for (int p = 0; p < nk; p++) {
        int line;
        struct fy_node *v = cfgl_get(map, keys[p], mline, &line);
        if (!v) continue;
        char path[CFGL_PATHN];
        cfgl_path_key(path, base, keys[p]);
        double x = 0;
        if (p == CFG_P_ENABLED) {
            if (cfgl_scalar_is(v, "true"))
                x = 1;
            else if (!cfgl_scalar_is(v, "false")) {
                cfgl_error(L, line, path, "expected true or false");
                continue;
            }
        } else if (p == CFG_P_FOR_S || p == CFG_P_KEEP_S) {
            size_t len;
            const char *s = cfgl_want_scalar(L, v, line, path, &len);
            if (!s) continue;
            x = cfgl_duration(s, len);
            if (x < 0 || x > 366 * 86400.0) {
                cfgl_error(L, line, path,
                           "expected a duration (seconds, or a number with s, m or h), got '%.*s'",
                           (int)(len < 40 ? len : 40), s);
                continue;
            }
        } else if (cfgl_double(L, v, line, path, 0, cfg_rule_param_max(rule, p), &x) < 0) {
            continue;
        }
        out->v[p] = x;
        out->set |= 1u << p;
    }
}

/* A mapping rule name -> parameters into rules[]. */
static void parse_rules(cfgl *L, struct fy_node *map, int mline, const char *base,
                        cfg_rule_params *rules)
{
    if (!cfgl_want_map(L, map, mline, base)) return;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        int kline = cfgl_line_or(k, mline), vline = cfgl_line_or(v, kline);
        size_t len = 0;
        const char *ks = fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar(k, &len) : NULL;
        char name[16], path[CFGL_PATHN];
        snprintf(name, sizeof name, "%.*s", (int)(len < 15 ? len : 15), ks ? ks : "");
        cfgl_path_key(path, base, ks && len < 15 ? name : "?");
        int r = ks && len < 15 ? cfg_rule_index(name) : -1;
        if (r < 0) {
            cfgl_error(L, kline, path, "unknown rule (expected R1..R15 or H1..H4)");
            continue;
        }
        if (cfgl_is_null(v)) {
            cfgl_error(L, kline, path, "expected a mapping of parameters");
            continue;
        }
        parse_params(L, v, vline, path, r, &rules[r]);
    }
}

static cfg_alert_scope *add_scope(cfgl *L, int hall, const char *biz, size_t blen)
{
    cfg_alerts *a = &L->cfg->alerts;
    cfg_alert_scope *ns = realloc(a->scopes, (size_t)(a->nscopes + 1) * sizeof *ns);
    if (!ns) {
        L->oom = true;
        return NULL;
    }
    a->scopes = ns;
    cfg_alert_scope *s = &ns[a->nscopes];
    memset(s, 0, sizeof *s);
    s->hall = hall;
    if (biz && !(s->biz = cfgl_strndup(L, biz, blen))) return NULL;
    a->nscopes++;
    return s;
}

static bool any_hall_has_biz(const cfg_t *c, const char *id)
{
    for (int h = 0; h < c->nhalls; h++)
        if (cfg_biz_index(&c->halls[h], id) >= 0) return true;
    return false;
}

/* biz: {ID: {RULE: {...}}} for hall index `hall` (-1 = every hall). */
static void parse_biz(cfgl *L, struct fy_node *map, int mline, const char *base, int hall)
{
    if (!cfgl_want_map(L, map, mline, base)) return;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        int kline = cfgl_line_or(k, mline), vline = cfgl_line_or(v, kline);
        size_t len = 0;
        const char *ks = fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar(k, &len) : NULL;
        char id[CFGL_ID_MAX + 1], path[CFGL_PATHN];
        snprintf(id, sizeof id, "%.*s", (int)(len <= CFGL_ID_MAX ? len : CFGL_ID_MAX),
                 ks ? ks : "");
        cfgl_path_key(path, base, id);
        bool known = ks && len <= CFGL_ID_MAX &&
                     (hall >= 0 ? cfg_biz_index(&L->cfg->halls[hall], id) >= 0
                                : any_hall_has_biz(L->cfg, id));
        if (!known) {
            if (hall >= 0)
                cfgl_error(L, kline, path, "unknown biz '%s' for hall %s", id,
                           L->cfg->halls[hall].id);
            else
                cfgl_error(L, kline, path, "no hall has biz type '%s'", id);
            continue;
        }
        if (cfgl_is_null(v)) {
            cfgl_error(L, kline, path, "expected a mapping of rules");
            continue;
        }
        cfg_alert_scope *s = add_scope(L, hall, id, strlen(id));
        if (s) parse_rules(L, v, vline, path, s->rules);
    }
}

static void parse_halls(cfgl *L, struct fy_node *map, int mline)
{
    static const char *const keys[] = {"rules", "biz", NULL};
    if (!cfgl_want_map(L, map, mline, "alerts.halls")) return;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        int kline = cfgl_line_or(k, mline), vline = cfgl_line_or(v, kline), line;
        size_t len = 0;
        const char *ks = fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar(k, &len) : NULL;
        char id[CFGL_ID_MAX + 1], path[CFGL_PATHN], f[CFGL_PATHN];
        snprintf(id, sizeof id, "%.*s", (int)(len <= CFGL_ID_MAX ? len : CFGL_ID_MAX),
                 ks ? ks : "");
        cfgl_path_key(path, "alerts.halls", id);
        int h = ks && len <= CFGL_ID_MAX ? cfg_hall_index(L->cfg, id) : -1;
        if (h < 0) {
            cfgl_error(L, kline, path, "unknown hall '%s'", id);
            continue;
        }
        if (cfgl_is_null(v) || !cfgl_want_map(L, v, vline, path)) {
            if (cfgl_is_null(v)) cfgl_error(L, kline, path, "expected {rules, biz}");
            continue;
        }
        cfgl_check_keys(L, v, path, keys);
        struct fy_node *r = cfgl_get(v, "rules", vline, &line);
        if (r) {
            cfg_alert_scope *s = add_scope(L, h, NULL, 0);
            cfgl_path_key(f, path, "rules");
            if (s) parse_rules(L, r, line, f, s->rules);
        }
        struct fy_node *b = cfgl_get(v, "biz", vline, &line);
        if (b) {
            cfgl_path_key(f, path, "biz");
            parse_biz(L, b, line, f, h);
        }
    }
}

static const char *const http_schemes[] = {"http://", "https://", NULL};

/* A list of receiver URLs into *out / *n. */
static void parse_urls(cfgl *L, struct fy_node *v, int line, const char *path, char ***out, int *n)
{
    if (!cfgl_want_seq(L, v, line, path)) return;
    int cnt = fy_node_sequence_item_count(v), i = 0;
    *out = calloc(cnt > 0 ? (size_t)cnt : 1, sizeof **out);
    if (!*out) {
        L->oom = true;
        return;
    }
    void *it = NULL;
    struct fy_node *u;
    for (; (u = fy_node_sequence_iterate(v, &it)); i++) {
        char ip[CFGL_PATHN];
        int ul = cfgl_line_or(u, line);
        cfgl_path_idx(ip, path, i);
        char *s = cfgl_str(L, u, ul, ip);
        if (s && !cfgl_url_ok(s, http_schemes)) {
            cfgl_error(L, ul, ip, "bad URL '%s' (expected http[s]://...)", s);
            free(s);
            s = NULL;
        }
        if (s) (*out)[(*n)++] = s;
    }
}

/* One escalation policy {rule?, severity?, after_min | after_h | after_days}. */
static void parse_esc_policy(cfgl *L, struct fy_node *v, int line, const char *path,
                             cfg_esc_policy *out)
{
    static const char *const keys[] = {"rule",    "severity",   "after_min",
                                       "after_h", "after_days", NULL};
    static const char *const units[] = {"after_min", "after_h", "after_days"};
    *out = (cfg_esc_policy){.rule = -1, .severity = 0, .unit = -1, .amount = 0};
    if (!cfgl_want_map(L, v, line, path)) return;
    cfgl_check_keys(L, v, path, keys);
    char f[CFGL_PATHN];
    int l;
    struct fy_node *n = cfgl_get(v, "rule", line, &l);
    if (n) {
        cfgl_path_key(f, path, "rule");
        char *r = cfgl_str(L, n, l, f);
        if (r && (out->rule = cfg_rule_index(r)) < 0)
            cfgl_error(L, l, f, "unknown rule '%s' (expected R1..R15 or H1..H4)", r);
        free(r);
    }
    if ((n = cfgl_get(v, "severity", line, &l))) {
        cfgl_path_key(f, path, "severity");
        char *sv = cfgl_str(L, n, l, f);
        if (sv && sv[0] == 'P' && sv[1] >= '1' && sv[1] <= '4' && !sv[2])
            out->severity = sv[1] - '0';
        else if (sv)
            cfgl_error(L, l, f, "expected P1, P2, P3 or P4, got '%s'", sv);
        free(sv);
    }
    for (int u = 0; u < 3; u++) {
        if (!(n = cfgl_get(v, units[u], line, &l))) continue;
        cfgl_path_key(f, path, units[u]);
        if (out->unit >= 0) {
            cfgl_error(L, l, f, "give one of after_min, after_h, after_days");
            continue;
        }
        double x;
        if (cfgl_double(L, n, l, f, 0.001, 366 * 24 * 60, &x) < 0) continue;
        out->unit = u;
        out->amount = x;
    }
    if (out->unit < 0) {
        cfgl_error(L, line, path, "missing after_min, after_h or after_days");
        out->unit = CFG_ESC_MINUTES;
    }
}

/* escalation: {city: [url], leader: [url], policies: [...]} */
static void parse_escalation(cfgl *L, struct fy_node *map, int mline)
{
    static const char *const keys[] = {"city", "leader", "policies", NULL};
    static const char *const levels[CFG_ESC_LEVELS] = {NULL, "city", "leader"};
    const char *base = "alerts.escalation";
    cfg_alerts *a = &L->cfg->alerts;
    if (!cfgl_want_map(L, map, mline, base)) return;
    cfgl_check_keys(L, map, base, keys);
    char f[CFGL_PATHN];
    int l;
    for (int lv = 1; lv < CFG_ESC_LEVELS; lv++) {
        struct fy_node *v = cfgl_get(map, levels[lv], mline, &l);
        if (!v) continue;
        cfgl_path_key(f, base, levels[lv]);
        parse_urls(L, v, l, f, &a->esc_rx[lv], &a->nesc_rx[lv]);
    }
    struct fy_node *p = cfgl_get(map, "policies", mline, &l);
    if (!p) return;
    cfgl_path_key(f, base, "policies");
    if (!cfgl_want_seq(L, p, l, f)) return;
    int cnt = fy_node_sequence_item_count(p), i = 0;
    a->esc = calloc(cnt > 0 ? (size_t)cnt : 1, sizeof *a->esc);
    if (!a->esc) {
        L->oom = true;
        return;
    }
    void *it = NULL;
    struct fy_node *e;
    for (; (e = fy_node_sequence_iterate(p, &it)); i++) {
        char ip[CFGL_PATHN];
        cfgl_path_idx(ip, f, i);
        parse_esc_policy(L, e, cfgl_line_or(e, l), ip, &a->esc[a->nesc++]);
    }
}

/* duty: {city: [...], leader: [...], <hall id>: [...]}, each entry {id, name, role?, phone?,
 * hours?}. */
static void parse_duty(cfgl *L, struct fy_node *map, int mline)
{
    static const char *const keys[] = {"id", "name", "role", "phone", "hours", NULL};
    cfg_alerts *a = &L->cfg->alerts;
    if (!cfgl_want_map(L, map, mline, "alerts.duty")) return;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        int kline = cfgl_line_or(k, mline), vline = cfgl_line_or(v, kline);
        char path[CFGL_PATHN];
        char *who = cfgl_str(L, k, kline, "alerts.duty");
        if (!who) continue;
        cfgl_path_key(path, "alerts.duty", who);
        int hall = !strcmp(who, "city")     ? CFG_DUTY_CITY
                   : !strcmp(who, "leader") ? CFG_DUTY_LEADER
                                            : cfg_hall_index(L->cfg, who);
        if (hall == -1 && strcmp(who, "city") != 0) {
            cfgl_error(L, kline, path, "unknown hall '%s' (or city, leader)", who);
            free(who);
            continue;
        }
        free(who);
        if (!cfgl_want_seq(L, v, vline, path)) continue;
        int cnt = fy_node_sequence_item_count(v), i = 0;
        cfg_duty *nd = realloc(a->duty, (size_t)(a->nduty + cnt + 1) * sizeof *nd);
        if (!nd) {
            L->oom = true;
            return;
        }
        a->duty = nd;
        void *eit = NULL;
        struct fy_node *e;
        for (; (e = fy_node_sequence_iterate(v, &eit)); i++) {
            char ip[CFGL_PATHN], f[CFGL_PATHN];
            int el = cfgl_line_or(e, vline), l;
            cfgl_path_idx(ip, path, i);
            if (!cfgl_want_map(L, e, el, ip)) continue;
            cfgl_check_keys(L, e, ip, keys);
            cfg_duty d = {.hall = hall};
            static const char *const strs[] = {"id", "name", "role", "phone"};
            char **dst[] = {&d.id, &d.name, &d.role, &d.phone};
            for (int s = 0; s < 4; s++) {
                struct fy_node *n = cfgl_get(e, strs[s], el, &l);
                if (!n) {
                    if (s < 2) cfgl_missing(L, l, ip, strs[s]);
                    continue;
                }
                cfgl_path_key(f, ip, strs[s]);
                *dst[s] = cfgl_str(L, n, l, f);
            }
            struct fy_node *h = cfgl_get(e, "hours", el, &l);
            if (h) {
                cfgl_path_key(f, ip, "hours");
                if (cfgl_span(L, h, l, f, &d.hours) < 0) d.hours = (cfg_span){0, 0};
            }
            a->duty[a->nduty++] = d;
        }
    }
}

void cfgl_parse_alerts(cfgl *L, struct fy_node *map, int mline)
{
    static const char *const keys[] = {
        "group_wait_s", "startup_grace_s", "external_url", "rules", "biz", "halls", "escalation",
        "duty",         "receivers",       "route",        NULL};
    static const char *const http[] = {"http://", "https://", NULL};
    cfg_alerts *a = &L->cfg->alerts;
    if (!cfgl_want_map(L, map, mline, "alerts")) return;
    cfgl_check_keys(L, map, "alerts", keys);
    cfgl_opt_int32(L, map, mline, "alerts", "group_wait_s", 0, 3600, &a->group_wait_s);
    cfgl_opt_int32(L, map, mline, "alerts", "startup_grace_s", 0, 3600, &a->startup_grace_s);
    int line;
    struct fy_node *v = cfgl_get(map, "external_url", mline, &line);
    if (v) {
        char *u = cfgl_str(L, v, line, "alerts.external_url");
        if (u && !cfgl_url_ok(u, http)) {
            cfgl_error(L, line, "alerts.external_url", "bad URL '%s' (expected http[s]://...)", u);
            free(u);
            u = NULL;
        }
        a->external_url = u;
    }
    if ((v = cfgl_get(map, "rules", mline, &line)))
        parse_rules(L, v, line, "alerts.rules", a->rules);
    if ((v = cfgl_get(map, "biz", mline, &line))) parse_biz(L, v, line, "alerts.biz", -1);
    if ((v = cfgl_get(map, "halls", mline, &line))) parse_halls(L, v, line);
    if ((v = cfgl_get(map, "escalation", mline, &line))) parse_escalation(L, v, line);
    if ((v = cfgl_get(map, "duty", mline, &line))) parse_duty(L, v, line);
    if ((v = cfgl_get(map, "receivers", mline, &line))) cfgl_parse_receivers(L, v, line);
    if ((v = cfgl_get(map, "route", mline, &line))) cfgl_parse_route(L, v, line);
}

void cfg_alerts_defaults(cfg_alerts *a)
{
    memset(a, 0, sizeof *a);
    a->group_wait_s = 10;
    a->startup_grace_s = 10;
}

void cfg_alerts_free(cfg_alerts *a)
{
    for (int i = 0; i < a->nscopes; i++)
        free(a->scopes[i].biz);
    free(a->scopes);
    free(a->external_url);
    free(a->esc);
    for (int i = 0; i < a->nduty; i++) {
        free(a->duty[i].id);
        free(a->duty[i].name);
        free(a->duty[i].role);
        free(a->duty[i].phone);
    }
    free(a->duty);
    cfg_routes_free(a);
    for (int l = 0; l < CFG_ESC_LEVELS; l++) {
        for (int i = 0; i < a->nesc_rx[l]; i++)
            free(a->esc_rx[l][i]);
        free(a->esc_rx[l]);
    }
    memset(a, 0, sizeof *a);
}
