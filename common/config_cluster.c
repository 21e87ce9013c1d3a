/* config_cluster: the `cluster` section -- several hubs of one city on one replicated log
 * (NATS JetStream; docs/cluster.md, server/cluster.c) -- and the `province` section of a
 * province hub (its cities and their halls).
 *
 *   cluster:
 *     nats: [nats://127.0.0.1:4222, nats://127.0.0.1:4223, nats://127.0.0.1:4224]
 *     stream: CITYWALL          # the JetStream stream (created by the first hub if missing)
 *     subject: citywall.log     # its one subject
 *     replicas: 3               # 1..5; 3 survives one NATS node lost
 *     hub_id: hub-a             # optional; --hub-id overrides; default: the listen address
 *     ack_wait_ms: 12000        # a batch not in the log by then is answered 503 (covers a
 *                               # stream leader election in nats-server 2.9: 4-9 s)
 *     public_urls: [http://10.0.0.1:8080, http://10.0.0.2:8080]   # the hubs' origins, for
 *                               # the dashboard's failover (optional)
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_load.h"
#include "xalloc.h"

/* NATS names: letters, digits, '-' and '_' (a stream); '.' between tokens (a subject). */
static bool name_ok(const char *s, bool dots)
{
    if (!*s || *s == '.') return false;
    for (const char *p = s; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || (dots && *p == '.');
        if (!ok || (*p == '.' && (p[1] == '.' || !p[1]))) return false;
    }
    return true;
}

static void parse_urls(cfgl *L, struct fy_node *v, int line, cfg_cluster *c)
{
    static const char *const schemes[] = {"nats://", "tls://", NULL};
    if (!cfgl_want_seq(L, v, line, "cluster.nats")) return;
    int n = fy_node_sequence_item_count(v);
    if (n == 0) cfgl_error(L, line, "cluster.nats", "lists no NATS server");
    c->nats = cfgl_calloc(L, n ? (size_t)n : 1, sizeof *c->nats);
    void *it = NULL;
    struct fy_node *o;
    for (int i = 0; c->nats && (o = fy_node_sequence_iterate(v, &it)); i++) {
        char path[CFGL_PATHN];
        int oline = cfgl_line_or(o, line);
        cfgl_path_idx(path, "cluster.nats", i);
        char *u = cfgl_str(L, o, oline, path);
        if (!u) continue;
        if (!cfgl_url_ok(u, schemes)) {
            cfgl_error(L, oline, path, "bad NATS URL '%s' (expected nats://host:port)", u);
            free(u);
            continue;
        }
        c->nats[c->nnats++] = u;
    }
}

/* public_urls: [http://10.0.0.1:8080, ...]: origins only (scheme, host, port; no path), as
 * the WebSocket Origin rule compares them */
static void parse_public_urls(cfgl *L, struct fy_node *v, int line, cfg_cluster *c)
{
    static const char *const http[] = {"http://", "https://", NULL};
    if (!cfgl_want_seq(L, v, line, "cluster.public_urls")) return;
    int n = fy_node_sequence_item_count(v);
    c->public_urls = cfgl_calloc(L, n ? (size_t)n : 1, sizeof *c->public_urls);
    void *it = NULL;
    struct fy_node *o;
    for (int i = 0; c->public_urls && (o = fy_node_sequence_iterate(v, &it)); i++) {
        char path[CFGL_PATHN];
        int oline = cfgl_line_or(o, line);
        cfgl_path_idx(path, "cluster.public_urls", i);
        char *u = cfgl_str(L, o, oline, path);
        if (!u) continue;
        size_t ul = strlen(u);
        if (!cfgl_url_ok(u, http) || strchr(strstr(u, "//") + 2, '/') || u[ul - 1] == '/') {
            cfgl_error(L, oline, path,
                       "bad hub URL '%s' (expected an origin: http[s]://host[:port], no path)", u);
            free(u);
            continue;
        }
        c->public_urls[c->npublic_urls++] = u;
    }
}

/* sources: [{stream: CITYWALL, domain: linhai}, ...] */
static void parse_sources(cfgl *L, struct fy_node *v, int line, cfg_cluster *c)
{
    static const char *const skeys[] = {"stream", "domain", NULL};
    if (!cfgl_want_seq(L, v, line, "cluster.sources")) return;
    int n = fy_node_sequence_item_count(v);
    c->sources = cfgl_calloc(L, n ? (size_t)n : 1, sizeof *c->sources);
    void *it = NULL;
    struct fy_node *o;
    for (int i = 0; c->sources && (o = fy_node_sequence_iterate(v, &it)); i++) {
        char path[CFGL_PATHN];
        int oline = cfgl_line_or(o, line);
        cfgl_path_idx(path, "cluster.sources", i);
        if (!cfgl_want_map(L, o, oline, path)) continue;
        cfgl_check_keys(L, o, path, skeys);
        struct cfg_source *s = &c->sources[c->nsources];
        s->stream = cfgl_req_str(L, o, oline, path, "stream", false);
        s->domain = cfgl_req_str(L, o, oline, path, "domain", false);
        if (s->stream && !name_ok(s->stream, false))
            cfgl_error(L, oline, path, "bad stream name '%s'", s->stream);
        if (s->domain && !name_ok(s->domain, false))
            cfgl_error(L, oline, path, "bad JetStream domain '%s'", s->domain);
        c->nsources++;
    }
}

void cfgl_parse_cluster(cfgl *L, struct fy_node *map, int mline)
{
    static const char *const keys[] = {"nats",     "stream",      "subject",
                                       "replicas", "hub_id",      "ack_wait_ms",
                                       "sources",  "public_urls", NULL};
    cfg_cluster *c = &L->cfg->cluster;
    int line;
    struct fy_node *v;
    if (!cfgl_want_map(L, map, mline, "cluster")) return;
    cfgl_check_keys(L, map, "cluster", keys);
    c->enabled = true;
    c->replicas = 3;
    c->ack_wait_ms = 12000;
    if ((v = cfgl_get(map, "nats", mline, &line)))
        parse_urls(L, v, line, c);
    else
        cfgl_missing(L, mline, "cluster", "nats");
    c->stream = cfgl_opt_str(L, map, mline, "cluster", "stream");
    if (!c->stream) c->stream = cw_xstrdup("CITYWALL");
    if (!name_ok(c->stream, false)) {
        cfgl_get(map, "stream", mline, &line);
        cfgl_error(L, line, "cluster.stream",
                   "bad stream name '%s' (letters, digits, '-' and '_' only)", c->stream);
    }
    c->subject = cfgl_opt_str(L, map, mline, "cluster", "subject");
    if (!c->subject) c->subject = cw_xstrdup("citywall.log");
    if (!name_ok(c->subject, true)) {
        cfgl_get(map, "subject", mline, &line);
        cfgl_error(L, line, "cluster.subject",
                   "bad subject '%s' (tokens of letters, digits, '-', '_' joined by '.')",
                   c->subject);
    }
    cfgl_opt_int32(L, map, mline, "cluster", "replicas", 1, 5, &c->replicas);
    cfgl_opt_int32(L, map, mline, "cluster", "ack_wait_ms", 100, 600000, &c->ack_wait_ms);
    if ((v = cfgl_get(map, "sources", mline, &line))) parse_sources(L, v, line, c);
    if ((v = cfgl_get(map, "public_urls", mline, &line))) parse_public_urls(L, v, line, c);
    c->hub_id = cfgl_opt_str(L, map, mline, "cluster", "hub_id");
    if (c->hub_id && !name_ok(c->hub_id, false)) {
        cfgl_get(map, "hub_id", mline, &line);
        cfgl_error(L, line, "cluster.hub_id", "bad hub id '%s' (letters, digits, '-' and '_' only)",
                   c->hub_id);
    }
}

void cfgl_free_cluster(cfg_cluster *c)
{
    for (int i = 0; i < c->nnats; i++)
        free(c->nats[i]);
    free(c->nats);
    free(c->stream);
    free(c->subject);
    free(c->hub_id);
    for (int i = 0; i < c->nsources; i++) {
        free(c->sources[i].stream);
        free(c->sources[i].domain);
    }
    free(c->sources);
    for (int i = 0; i < c->npublic_urls; i++)
        free(c->public_urls[i]);
    free(c->public_urls);
    memset(c, 0, sizeof *c);
}

/*   province:
 *     name: 台州市
 *     cities:
 *       - {id: linhai, name: 临海市, halls: [LH-00, LH-01]}
 */
void cfgl_parse_province(cfgl *L, struct fy_node *map, int mline)
{
    static const char *const keys[] = {"name", "cities", NULL};
    static const char *const ckeys[] = {"id", "name", "halls", NULL};
    cfg_province *p = &L->cfg->province;
    int line;
    struct fy_node *v;
    if (!cfgl_want_map(L, map, mline, "province")) return;
    cfgl_check_keys(L, map, "province", keys);
    p->name = cfgl_req_str(L, map, mline, "province", "name", false);
    if (!(v = cfgl_get(map, "cities", mline, &line))) {
        cfgl_missing(L, mline, "province", "cities");
        return;
    }
    if (!cfgl_want_seq(L, v, line, "province.cities")) return;
    int n = fy_node_sequence_item_count(v);
    p->cities = cfgl_calloc(L, n ? (size_t)n : 1, sizeof *p->cities);
    void *it = NULL;
    struct fy_node *o;
    for (int i = 0; p->cities && (o = fy_node_sequence_iterate(v, &it)); i++) {
        char path[CFGL_PATHN], hpath[CFGL_PATHN];
        int oline = cfgl_line_or(o, line), hl;
        cfgl_path_idx(path, "province.cities", i);
        if (!cfgl_want_map(L, o, oline, path)) continue;
        cfgl_check_keys(L, o, path, ckeys);
        cfg_city_ref *c = &p->cities[p->ncities++];
        c->id = cfgl_req_str(L, o, oline, path, "id", false);
        c->name = cfgl_req_str(L, o, oline, path, "name", false);
        struct fy_node *h = cfgl_get(o, "halls", oline, &hl);
        cfgl_path_key(hpath, path, "halls");
        if (!h)
            cfgl_missing(L, oline, path, "halls");
        else
            cfgl_hall_refs(L, h, hl, hpath, false, false, &c->halls, &c->nhalls);
    }
}

void cfgl_free_province(cfg_province *p)
{
    for (int i = 0; i < p->ncities; i++) {
        free(p->cities[i].id);
        free(p->cities[i].name);
        free(p->cities[i].halls);
    }
    free(p->cities);
    free(p->name);
    memset(p, 0, sizeof *p);
}
