/* config_walls: the `walls` section -- video walls driven by several hosts whose state (scene,
 * tour position, hero pin) the hub decides (server/wallctl.c, docs/wall.md "One wall, many
 * hosts").
 *
 *   walls:
 *     - id: main
 *       name: 指挥中心大屏
 *       layout: config/walls/3x3.yaml
 *       hosts:
 *         - {id: row3-left,  viewport: [0, 2208, 1920, 1080]}
 *         - {id: row3-mid,   viewport: [1944, 2208, 1920, 1080]}
 *       scenes: [overview, hall, cameras, statistics]
 *       tour_s: 15
 *       pin_s: 20
 *       grace_s: 30
 *       show_s: 60
 */
#include "config_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cfg_wall_index(const cfg_t *cfg, const char *id)
{
    for (int i = 0; id && i < cfg->nwalls; i++)
        if (strcmp(cfg->walls[i].id, id) == 0) return i;
    return -1;
}

/* viewport: [x, y, w, h] of integers, w and h > 0. */
static void parse_viewport(cfgl *L, struct fy_node *v, int line, const char *path, cfg_wall_host *h)
{
    if (!cfgl_want_seq(L, v, line, path)) return;
    if (fy_node_sequence_item_count(v) != 4) {
        cfgl_error(L, line, path, "must be [x, y, width, height]");
        return;
    }
    long long x[4];
    for (int i = 0; i < 4; i++) {
        char p[CFGL_PATHN];
        cfgl_path_idx(p, path, i);
        struct fy_node *e = fy_node_sequence_get_by_index(v, i);
        if (cfgl_int(L, e, cfgl_line_or(e, line), p, i < 2 ? 0 : 1, 100000, &x[i]) < 0) return;
    }
    h->x = (int)x[0];
    h->y = (int)x[1];
    h->w = (int)x[2];
    h->h = (int)x[3];
}

static void parse_hosts(cfgl *L, struct fy_node *seq, int sline, const char *base, cfg_wall *w)
{
    static const char *const keys[] = {"id", "viewport", NULL};
    if (!cfgl_want_seq(L, seq, sline, base)) return;
    int n = fy_node_sequence_item_count(seq), i = 0;
    w->hosts = cfgl_calloc(L, n > 0 ? (size_t)n : 1, sizeof *w->hosts);
    if (!w->hosts) return;
    void *it = NULL;
    struct fy_node *e;
    for (; (e = fy_node_sequence_iterate(seq, &it)); i++) {
        char ip[CFGL_PATHN], f[CFGL_PATHN];
        int el = cfgl_line_or(e, sline), l;
        cfgl_path_idx(ip, base, i);
        if (!cfgl_want_map(L, e, el, ip)) continue;
        cfgl_check_keys(L, e, ip, keys);
        cfg_wall_host *h = &w->hosts[w->nhosts];
        h->id = cfgl_req_str(L, e, el, ip, "id", true);
        if (!h->id) continue;
        cfgl_path_key(f, ip, "id");
        cfgl_dup_check(L, h->id, w->nhosts, w->hosts, sizeof *w->hosts, el, f);
        struct fy_node *v = cfgl_get(e, "viewport", el, &l);
        cfgl_path_key(f, ip, "viewport");
        if (v)
            parse_viewport(L, v, l, f, h);
        else
            cfgl_missing(L, el, ip, "viewport");
        w->nhosts++;
    }
}

static void parse_scenes(cfgl *L, struct fy_node *seq, int sline, const char *base, cfg_wall *w)
{
    if (!cfgl_want_seq(L, seq, sline, base)) return;
    int n = fy_node_sequence_item_count(seq), i = 0;
    if (n == 0) {
        cfgl_error(L, sline, base, "must name at least one scene");
        return;
    }
    w->scenes = cfgl_calloc(L, (size_t)n, sizeof *w->scenes);
    if (!w->scenes) return;
    void *it = NULL;
    struct fy_node *e;
    for (; (e = fy_node_sequence_iterate(seq, &it)); i++) {
        char p[CFGL_PATHN];
        cfgl_path_idx(p, base, i);
        char *s = cfgl_id(L, e, cfgl_line_or(e, sline), p);
        if (!s) continue;
        for (int k = 0; k < w->nscenes; k++)
            if (!strcmp(w->scenes[k], s))
                cfgl_error(L, cfgl_line_or(e, sline), p, "duplicate scene");
        w->scenes[w->nscenes++] = s;
    }
}

static void parse_wall(cfgl *L, struct fy_node *e, int el, const char *ip, cfg_wall *w)
{
    static const char *const keys[] = {"id",     "name",  "layout",  "hosts",  "scenes",
                                       "tour_s", "pin_s", "grace_s", "show_s", NULL};
    char f[CFGL_PATHN];
    int l;
    cfgl_check_keys(L, e, ip, keys);
    w->name = cfgl_opt_str(L, e, el, ip, "name");
    w->layout = cfgl_opt_str(L, e, el, ip, "layout");
    w->tour_s = 15;
    w->pin_s = 20;
    w->grace_s = 30;
    w->show_s = 60;
    cfgl_opt_int32(L, e, el, ip, "tour_s", 2, 3600, &w->tour_s);
    cfgl_opt_int32(L, e, el, ip, "pin_s", 2, 3600, &w->pin_s);
    cfgl_opt_int32(L, e, el, ip, "grace_s", 0, 3600, &w->grace_s);
    cfgl_opt_int32(L, e, el, ip, "show_s", 2, 86400, &w->show_s);
    struct fy_node *v = cfgl_get(e, "hosts", el, &l);
    cfgl_path_key(f, ip, "hosts");
    if (v)
        parse_hosts(L, v, l, f, w);
    else
        cfgl_missing(L, el, ip, "hosts");
    if ((v = cfgl_get(e, "scenes", el, &l))) {
        cfgl_path_key(f, ip, "scenes");
        parse_scenes(L, v, l, f, w);
    }
    if (!w->nscenes && !L->oom) {
        free(w->scenes);
        w->scenes = cfgl_calloc(L, 1, sizeof *w->scenes);
        if (w->scenes && (w->scenes[0] = cfgl_strndup(L, "overview", 8))) w->nscenes = 1;
    }
}

void cfgl_parse_walls(cfgl *L, struct fy_node *seq, int sline)
{
    const char *base = "walls";
    cfg_t *c = L->cfg;
    if (!cfgl_want_seq(L, seq, sline, base)) return;
    int n = fy_node_sequence_item_count(seq), i = 0;
    c->walls = cfgl_calloc(L, n > 0 ? (size_t)n : 1, sizeof *c->walls);
    if (!c->walls) return;
    void *it = NULL;
    struct fy_node *e;
    for (; (e = fy_node_sequence_iterate(seq, &it)); i++) {
        char ip[CFGL_PATHN], f[CFGL_PATHN];
        int el = cfgl_line_or(e, sline);
        cfgl_path_idx(ip, base, i);
        if (!cfgl_want_map(L, e, el, ip)) continue;
        cfg_wall *w = &c->walls[c->nwalls];
        w->id = cfgl_req_str(L, e, el, ip, "id", true);
        if (!w->id) continue;
        cfgl_path_key(f, ip, "id");
        cfgl_dup_check(L, w->id, c->nwalls, c->walls, sizeof *c->walls, el, f);
        c->nwalls++;
        parse_wall(L, e, el, ip, w);
    }
}

void cfg_walls_free(cfg_t *cfg)
{
    for (int i = 0; i < cfg->nwalls; i++) {
        cfg_wall *w = &cfg->walls[i];
        free(w->id);
        free(w->name);
        free(w->layout);
        for (int k = 0; k < w->nhosts; k++)
            free(w->hosts[k].id);
        free(w->hosts);
        for (int k = 0; k < w->nscenes; k++)
            free(w->scenes[k]);
        free(w->scenes);
    }
    free(cfg->walls);
    cfg->walls = NULL;
    cfg->nwalls = 0;
}
