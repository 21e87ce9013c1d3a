/* gw_config: loading the gateway's YAML (libfyaml) with the hub config loader's helpers
 * (common/config_load.h), so errors read "FILE:LINE: FIELD: problem". */
#include "gw_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_load.h"
#include "event.h"
#include "gw_rtsp.h"
#include "yamldiag.h"
#include "xalloc.h"

static const char *const root_keys[] = {"gateway", "hub", "inputs", NULL};
static const char *const gw_keys[] = {"name",   "outbox",    "max_events",  "alarm_events",
                                      "listen", "heartbeat", "city_config", NULL};
static const char *const hb_keys[] = {"every_s", "feed", "halls", NULL};
static const char *const hub_keys[] = {"urls",  "token",        "token_file",
                                       "batch", "retry_max_ms", NULL};
static const char *const in_keys[] = {"name",    "kind",       "feed",    "map",         "path",
                                      "dsn",     "table",      "key",     "poll_ms",     "batch",
                                      "dir",     "done_dir",   "suffix",  "delimiter",   "hall",
                                      "every_s", "timeout_ms", "cameras", "dedupe_days", NULL};
static const char *const cam_keys[] = {"id", "url", "sub", NULL};
static const char *const map_keys[] = {"hall", "type", "at", "at_format", "tz", "id", "data", NULL};
static const char *const f_keys[] = {"field", "value",    "default", "type",
                                     "codes", "required", NULL};

static const char *kind_name(int k)
{
    static const char *const n[] = {"http", "odbc", "csv", "rtsp"};
    return k >= 0 && k < 4 ? n[k] : NULL;
}

static const char *vtype_name(int k)
{
    static const char *const n[] = {"string", "int", "bool"};
    return k >= 0 && k < 3 ? n[k] : NULL;
}

static const char *atfmt_name(int k)
{
    static const char *const n[] = {"rfc3339", "local", "unix", "unix_ms"};
    return k >= 0 && k < 4 ? n[k] : NULL;
}

/* Index of the scalar s in name(0..count-1), or -1. */
static int name_index(const char *(*name)(int), int count, const char *s, size_t len)
{
    for (int i = 0; i < count; i++)
        if (strlen(name(i)) == len && !memcmp(name(i), s, len)) return i;
    return -1;
}

static char *scalar_dup(cfgl *L, struct fy_node *v, int line, const char *path)
{
    size_t len;
    const char *s = cfgl_want_scalar(L, v, line, path, &len);
    return s ? cfgl_strndup(L, s, len) : NULL;
}

/* One field spec: a scalar (the vendor field's name) or a mapping. */
static void parse_fmap(cfgl *L, struct fy_node *v, int line, const char *path, const char *key,
                       gw_fmap *f)
{
    f->key = cfgl_strndup(L, key, strlen(key));
    f->line = line;
    if (fy_node_get_type(v) == FYNT_SCALAR) {
        f->field = cfgl_str(L, v, line, path);
        return;
    }
    if (!cfgl_want_map(L, v, line, path)) return;
    cfgl_check_keys(L, v, path, f_keys);
    int l;
    char p[CFGL_PATHN];
    struct fy_node *x;
    if ((x = cfgl_get(v, "field", line, &l))) {
        cfgl_path_key(p, path, "field");
        f->field = cfgl_str(L, x, l, p);
    }
    if ((x = cfgl_get(v, "value", line, &l))) {
        cfgl_path_key(p, path, "value");
        f->value = scalar_dup(L, x, l, p);
    }
    if ((x = cfgl_get(v, "default", line, &l))) {
        cfgl_path_key(p, path, "default");
        f->dflt = scalar_dup(L, x, l, p);
    }
    if (!f->field == !f->value) cfgl_error(L, line, path, "give exactly one of field, value");
    if ((x = cfgl_get(v, "type", line, &l))) {
        size_t len;
        cfgl_path_key(p, path, "type");
        const char *s = cfgl_want_scalar(L, x, l, p, &len);
        int t = s ? name_index(vtype_name, 3, s, len) : -1;
        if (s && t < 0) cfgl_error(L, l, p, "must be string, int or bool");
        if (t >= 0) f->vtype = (gw_vtype)t;
    }
    if ((x = cfgl_get(v, "required", line, &l))) {
        f->required = cfgl_scalar_is(x, "true");
        if (!f->required && !cfgl_scalar_is(x, "false")) {
            cfgl_path_key(p, path, "required");
            cfgl_error(L, l, p, "must be true or false");
        }
    }
    if ((x = cfgl_get(v, "codes", line, &l))) {
        cfgl_path_key(p, path, "codes");
        if (!cfgl_want_map(L, x, l, p)) return;
        int n = fy_node_mapping_item_count(x);
        f->codes = cfgl_calloc(L, (size_t)(n > 0 ? n : 1), sizeof *f->codes);
        if (!f->codes) return;
        void *it = NULL;
        struct fy_node_pair *pr;
        while ((pr = fy_node_mapping_iterate(x, &it))) {
            int kl = cfgl_line_or(fy_node_pair_key(pr), l);
            char *from = scalar_dup(L, fy_node_pair_key(pr), kl, p);
            char cp[CFGL_PATHN];
            cfgl_path_key(cp, p, from ? from : "?");
            char *to =
                scalar_dup(L, fy_node_pair_value(pr), cfgl_line_or(fy_node_pair_value(pr), kl), cp);
            if (!from || !to) {
                free(from);
                free(to);
                continue;
            }
            f->codes[f->ncodes++] = (gw_code){from, to};
        }
    }
}

static void parse_map(cfgl *L, struct fy_node *m, int mline, const char *base, gw_input *in)
{
    gw_map *map = &in->map;
    map->tz_offset_min = 8 * 60;
    if (!cfgl_want_map(L, m, mline, base)) return;
    cfgl_check_keys(L, m, base, map_keys);
    static const char *const req[] = {"hall", "type", "at"};
    gw_fmap *dst[] = {&map->hall, &map->type, &map->at};
    for (int i = 0; i < 3; i++) {
        int l;
        char p[CFGL_PATHN];
        cfgl_path_key(p, base, req[i]);
        struct fy_node *x = cfgl_get(m, req[i], mline, &l);
        if (!x)
            cfgl_missing(L, mline, base, req[i]);
        else
            parse_fmap(L, x, l, p, req[i], dst[i]);
    }
    int l;
    char p[CFGL_PATHN];
    struct fy_node *x;
    if ((x = cfgl_get(m, "at_format", mline, &l))) {
        size_t len;
        cfgl_path_key(p, base, "at_format");
        const char *s = cfgl_want_scalar(L, x, l, p, &len);
        int t = s ? name_index(atfmt_name, 4, s, len) : -1;
        if (s && t < 0) cfgl_error(L, l, p, "must be rfc3339, local, unix or unix_ms");
        if (t >= 0) map->at_format = (gw_atfmt)t;
    }
    if ((x = cfgl_get(m, "tz", mline, &l))) {
        size_t len;
        cfgl_path_key(p, base, "tz");
        const char *s = cfgl_want_scalar(L, x, l, p, &len);
        int hh, mm;
        char sign;
        if (s && (len != 6 || sscanf(s, "%c%2d:%2d", &sign, &hh, &mm) != 3 ||
                  (sign != '+' && sign != '-') || hh > 14 || mm > 59))
            cfgl_error(L, l, p, "must be an offset like +08:00");
        else if (s)
            map->tz_offset_min = (sign == '-' ? -1 : 1) * (hh * 60 + mm);
    }
    if ((x = cfgl_get(m, "id", mline, &l))) {
        cfgl_path_key(p, base, "id");
        map->id_field = cfgl_str(L, x, l, p);
    }
    if ((x = cfgl_get(m, "data", mline, &l))) {
        cfgl_path_key(p, base, "data");
        if (!cfgl_want_map(L, x, l, p)) return;
        int n = fy_node_mapping_item_count(x);
        map->data = cfgl_calloc(L, (size_t)(n > 0 ? n : 1), sizeof *map->data);
        if (!map->data) return;
        void *it = NULL;
        struct fy_node_pair *pr;
        while ((pr = fy_node_mapping_iterate(x, &it))) {
            int kl = cfgl_line_or(fy_node_pair_key(pr), l);
            char *k = scalar_dup(L, fy_node_pair_key(pr), kl, p);
            if (!k) continue;
            char dp[CFGL_PATHN];
            cfgl_path_key(dp, p, k);
            parse_fmap(L, fy_node_pair_value(pr), cfgl_line_or(fy_node_pair_value(pr), kl), dp, k,
                       &map->data[map->ndata++]);
            free(k);
        }
    }
}

static void parse_input(cfgl *L, gw_cfg *c, struct fy_node *v, int line, int idx)
{
    char base[CFGL_PATHN];
    cfgl_path_idx(base, "inputs", idx);
    gw_input *in = &c->inputs[idx];
    in->line = line;
    in->poll_ms = 500;
    in->batch = 500;
    in->delimiter = ',';
    if (!cfgl_want_map(L, v, line, base)) return;
    cfgl_check_keys(L, v, base, in_keys);
    in->name = cfgl_req_str(L, v, line, base, "name", true);
    if (in->name) cfgl_dup_check(L, in->name, idx, c->inputs, sizeof *c->inputs, line, base);
    int k = cfgl_enum(L, v, line, base, "kind", kind_name, 4);
    if (k >= 0) in->kind = (gw_kind)k;
    in->feed = cfgl_opt_str(L, v, line, base, "feed");
    if (!in->feed && in->name) in->feed = cfgl_strndup(L, in->name, strlen(in->name));
    if (in->feed && !ev_feed_valid(in->feed, strlen(in->feed)))
        cfgl_error(L, line, base, "feed '%s': 1-64 of A-Z a-z 0-9 _ . -", in->feed);
    int l;
    struct fy_node *m = cfgl_get(v, "map", line, &l);
    char p[CFGL_PATHN];
    cfgl_path_key(p, base, "map");
    if (k == GW_IN_RTSP) {
        if (m) cfgl_error(L, l, p, "an rtsp input makes camera.status events itself: no map");
    } else if (!m)
        cfgl_missing(L, line, base, "map");
    else
        parse_map(L, m, l, p, in);
    cfgl_opt_int32(L, v, line, base, "poll_ms", 10, 3600000, &in->poll_ms);
    cfgl_opt_int32(L, v, line, base, "batch", 1, 100000, &in->batch);
    if (k == GW_IN_HTTP) {
        in->path = cfgl_req_str(L, v, line, base, "path", false);
        cfgl_opt_int32(L, v, line, base, "dedupe_days", 0, 3650, &in->dedupe_days);
        if (in->dedupe_days > 0 && m && !in->map.id_field)
            cfgl_error(L, line, base, "dedupe_days needs map.id (the vendor's record id)");
        if (in->path && (in->path[0] != '/' || !strcmp(in->path, "/status") ||
                         !strcmp(in->path, "/metrics") || !strcmp(in->path, "/healthz")))
            cfgl_error(L, line, base,
                       "path '%s': must start with / and not be /status, "
                       "/metrics or /healthz",
                       in->path);
        for (int i = 0; i < idx && in->path; i++)
            if (c->inputs[i].path && !strcmp(c->inputs[i].path, in->path))
                cfgl_error(L, line, base, "path '%s' is used by input %s", in->path,
                           c->inputs[i].name);
    } else if (k == GW_IN_ODBC) {
        in->dsn = cfgl_req_str(L, v, line, base, "dsn", false);
        in->table = cfgl_req_str(L, v, line, base, "table", false);
        in->key = cfgl_req_str(L, v, line, base, "key", false);
        const char *const ids[] = {in->table, in->key};
        for (int i = 0; i < 2; i++)
            for (const char *s = ids[i]; s && *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.')) {
                    cfgl_error(L, line, base, "%s '%s': only A-Z a-z 0-9 _ . allowed",
                               i ? "key" : "table", ids[i]);
                    break;
                }
    } else if (k == GW_IN_RTSP) {
        in->hall = cfgl_req_str(L, v, line, base, "hall", true);
        in->every_s = 30;
        in->timeout_ms = 3000;
        cfgl_opt_int32(L, v, line, base, "every_s", 1, 86400, &in->every_s);
        cfgl_opt_int32(L, v, line, base, "timeout_ms", 100, 60000, &in->timeout_ms);
        int cl;
        struct fy_node *cams = cfgl_get(v, "cameras", line, &cl);
        char cp[CFGL_PATHN];
        cfgl_path_key(cp, base, "cameras");
        if (!cams)
            cfgl_missing(L, line, base, "cameras");
        else if (cfgl_want_seq(L, cams, cl, cp)) {
            int n = fy_node_sequence_item_count(cams);
            in->cameras = cfgl_calloc(L, (size_t)(n > 0 ? n : 1), sizeof *in->cameras);
            static const char *const schemes[] = {"rtsp://", "rtsps://", NULL};
            for (int i = 0; in->cameras && i < n; i++) {
                struct fy_node *c = fy_node_sequence_get_by_index(cams, i);
                int ln = cfgl_line_or(c, cl);
                char ip[CFGL_PATHN];
                cfgl_path_idx(ip, cp, i);
                if (!cfgl_want_map(L, c, ln, ip)) continue;
                cfgl_check_keys(L, c, ip, cam_keys);
                gw_camera *cam = &in->cameras[in->ncameras++];
                cam->id = cfgl_req_str(L, c, ln, ip, "id", true);
                cam->url = cfgl_req_str(L, c, ln, ip, "url", false);
                cam->sub = cfgl_opt_str(L, c, ln, ip, "sub");
                if (cam->id)
                    cfgl_dup_check(L, cam->id, in->ncameras - 1, in->cameras, sizeof *in->cameras,
                                   ln, ip);
                if ((cam->url && !cfgl_url_ok(cam->url, schemes)) ||
                    (cam->sub && !cfgl_url_ok(cam->sub, schemes)))
                    cfgl_error(L, ln, ip, "url and sub must be rtsp:// or rtsps:// URLs");
            }
        }
    } else if (k == GW_IN_CSV) {
        in->dir = cfgl_req_str(L, v, line, base, "dir", false);
        in->done_dir = cfgl_opt_str(L, v, line, base, "done_dir");
        in->suffix = cfgl_opt_str(L, v, line, base, "suffix");
        if (!in->suffix) in->suffix = cfgl_strndup(L, ".csv", 4);
        char *d = cfgl_opt_str(L, v, line, base, "delimiter");
        if (d && strlen(d) != 1)
            cfgl_error(L, line, base, "delimiter: must be one character");
        else if (d)
            in->delimiter = d[0];
        free(d);
    }
}

static char **str_list(cfgl *L, struct fy_node *v, int line, const char *path, int *n)
{
    *n = 0;
    if (!cfgl_want_seq(L, v, line, path)) return NULL;
    int cnt = fy_node_sequence_item_count(v);
    char **out = cfgl_calloc(L, (size_t)(cnt > 0 ? cnt : 1), sizeof *out);
    if (!out) return NULL;
    for (int i = 0; i < cnt; i++) {
        struct fy_node *x = fy_node_sequence_get_by_index(v, i);
        char p[CFGL_PATHN];
        cfgl_path_idx(p, path, i);
        char *s = cfgl_str(L, x, cfgl_line_or(x, line), p);
        if (s) out[(*n)++] = s;
    }
    return out;
}

static char *read_token_file(cfgl *L, const char *file, int line, const char *path)
{
    char full[4096];
    if (file[0] == '/')
        snprintf(full, sizeof full, "%s", file);
    else
        snprintf(full, sizeof full, "%s/%s", L->dir, file);
    FILE *fp = fopen(full, "r");
    char buf[512];
    if (!fp || !fgets(buf, sizeof buf, fp)) {
        if (fp) fclose(fp);
        cfgl_error(L, line, path, "cannot read %s", full);
        return NULL;
    }
    fclose(fp);
    buf[strcspn(buf, "\r\n")] = '\0';
    return cfgl_strndup(L, buf, strlen(buf));
}

static void parse_root(cfgl *L, gw_cfg *c, struct fy_node *root)
{
    if (!root || !cfgl_want_map(L, root, 1, "(root)")) return;
    cfgl_check_keys(L, root, "", root_keys);
    int l, gl;
    struct fy_node *g = cfgl_get(root, "gateway", 1, &gl);
    if (!g)
        cfgl_missing(L, 1, "", "gateway");
    else if (cfgl_want_map(L, g, gl, "gateway")) {
        cfgl_check_keys(L, g, "gateway", gw_keys);
        c->name = cfgl_opt_str(L, g, gl, "gateway", "name");
        c->outbox = cfgl_req_str(L, g, gl, "gateway", "outbox", false);
        cfgl_opt_int(L, g, gl, "gateway", "max_events", 100, 1000000000LL, &c->max_events);
        cfgl_opt_int(L, g, gl, "gateway", "alarm_events", 1, 1000000000LL, &c->alarm_events);
        if (c->alarm_events > c->max_events)
            cfgl_error(L, gl, "gateway.alarm_events", "must not exceed max_events (%lld)",
                       c->max_events);
        c->listen = cfgl_opt_str(L, g, gl, "gateway", "listen");
        if (c->listen && !strrchr(c->listen, ':'))
            cfgl_error(L, gl, "gateway.listen", "must be HOST:PORT");
        char *city = cfgl_opt_str(L, g, gl, "gateway", "city_config");
        if (city) {
            if (city[0] == '/' || asprintf(&c->city_config, "%s/%s", L->dir, city) < 0)
                c->city_config = city, city = NULL;
            free(city);
        }
        struct fy_node *hb = cfgl_get(g, "heartbeat", gl, &l);
        if (hb && cfgl_want_map(L, hb, l, "gateway.heartbeat")) {
            cfgl_check_keys(L, hb, "gateway.heartbeat", hb_keys);
            cfgl_opt_int32(L, hb, l, "gateway.heartbeat", "every_s", 1, 86400, &c->heartbeat_s);
            char *f = cfgl_opt_str(L, hb, l, "gateway.heartbeat", "feed");
            if (f) {
                free(c->heartbeat_feed);
                c->heartbeat_feed = f;
            }
            int hl;
            struct fy_node *halls = cfgl_get(hb, "halls", l, &hl);
            if (halls) c->halls = str_list(L, halls, hl, "gateway.heartbeat.halls", &c->nhalls);
        }
    }
    struct fy_node *h = cfgl_get(root, "hub", 1, &gl);
    if (!h)
        cfgl_missing(L, 1, "", "hub");
    else if (cfgl_want_map(L, h, gl, "hub")) {
        cfgl_check_keys(L, h, "hub", hub_keys);
        struct fy_node *u = cfgl_get(h, "urls", gl, &l);
        if (!u)
            cfgl_missing(L, gl, "hub", "urls");
        else {
            c->hub_urls = str_list(L, u, l, "hub.urls", &c->nhub);
            static const char *const schemes[] = {"http://", "https://", NULL};
            for (int i = 0; i < c->nhub; i++)
                if (!cfgl_url_ok(c->hub_urls[i], schemes))
                    cfgl_error(L, l, "hub.urls", "'%s': must be an http:// or https:// URL",
                               c->hub_urls[i]);
            if (c->nhub == 0) cfgl_error(L, l, "hub.urls", "must name at least one hub");
        }
        c->token = cfgl_opt_str(L, h, gl, "hub", "token");
        char *tf = cfgl_opt_str(L, h, gl, "hub", "token_file");
        if (tf && !c->token) c->token = read_token_file(L, tf, gl, "hub.token_file");
        free(tf);
        if (!c->token) cfgl_error(L, gl, "hub.token", "required field missing (or token_file)");
        cfgl_opt_int32(L, h, gl, "hub", "batch", 1, 5000, &c->batch_events);
        cfgl_opt_int32(L, h, gl, "hub", "retry_max_ms", 100, 600000, &c->retry_max_ms);
    }
    struct fy_node *ins = cfgl_get(root, "inputs", 1, &gl);
    if (ins && cfgl_want_seq(L, ins, gl, "inputs")) {
        int n = fy_node_sequence_item_count(ins);
        c->inputs = cfgl_calloc(L, (size_t)(n > 0 ? n : 1), sizeof *c->inputs);
        if (!c->inputs) return;
        for (int i = 0; i < n; i++) {
            struct fy_node *x = fy_node_sequence_get_by_index(ins, i);
            c->ninputs = i + 1;
            parse_input(L, c, x, cfgl_line_or(x, gl), i);
        }
    }
}

gw_cfg *gw_config_load(const char *path, char **errors)
{
    cfgl L = {.file = path};
    ydiag yd = {0};
    struct fy_document *doc = NULL;
    *errors = NULL;
    gw_cfg *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->path = cw_xstrdup(path);
    c->max_events = 5000000;
    c->alarm_events = 100000;
    c->heartbeat_s = 30;
    c->heartbeat_feed = strdup("gw");
    c->batch_events = 500;
    c->retry_max_ms = 10000;
    const char *slash = strrchr(path, '/');
    L.dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    if (!L.dir || !c->path || !c->heartbeat_feed || ydiag_open(&yd) < 0) goto oom;
    FILE *fp = fopen(path, "r");
    if (!fp) {
        cfgl_error(&L, 1, "file", "cannot open");
        goto fail;
    }
    fclose(fp);
    struct fy_parse_cfg pc = {.flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT, .diag = yd.diag};
    doc = fy_document_build_from_file(&pc, path);
    if (!doc) {
        cfgl_report_yaml(&L, yd.text ? yd.text : "");
        goto fail;
    }
    parse_root(&L, c, fy_document_root(doc));
    if (c->city_config && !L.nerrs) {
        char *cerr = NULL;
        c->city = cfg_load(c->city_config, &cerr);
        if (!c->city) {
            cfgl_error(&L, 1, "gateway.city_config", "%s: %s", c->city_config,
                       cerr ? cerr : "cannot load");
            free(cerr);
        }
    }
    for (int i = 0; c->city && i < c->nhalls; i++)
        if (cfg_hall_index(c->city, c->halls[i]) < 0)
            cfgl_error(&L, 1, "gateway.heartbeat.halls", "unknown hall '%s' in %s", c->halls[i],
                       c->city_config);
    for (int i = 0; i < c->ninputs; i++) {
        const gw_input *in = &c->inputs[i];
        if (in->kind != GW_IN_RTSP) continue;
        char base[CFGL_PATHN];
        cfgl_path_idx(base, "inputs", i);
        if (!gw_rtsp_available())
            cfgl_error(&L, in->line, base, "kind rtsp: this gateway was built without GStreamer");
        int h = c->city && in->hall ? cfg_hall_index(c->city, in->hall) : -1;
        if (c->city && in->hall && h < 0)
            cfgl_error(&L, in->line, base, "hall '%s' is not in %s", in->hall, c->city_config);
        for (int j = 0; h >= 0 && j < in->ncameras; j++) {
            const cfg_hall *hall = &c->city->halls[h];
            bool known = false;
            for (int k = 0; k < hall->ncameras && !known; k++)
                known = in->cameras[j].id && !strcmp(hall->cameras[k].id, in->cameras[j].id);
            if (!known && in->cameras[j].id)
                cfgl_error(&L, in->line, base, "camera '%s' is not a camera of %s in %s",
                           in->cameras[j].id, in->hall, c->city_config);
        }
    }
    if (L.oom) goto oom;
    if (L.nerrs) goto fail;
    fy_document_destroy(doc);
    ydiag_close(&yd);
    free(L.dir);
    free(L.errs);
    return c;
oom:
    L.oom = true;
fail:;
    char *out = L.oom ? NULL : cfgl_join_errors(&L);
    if (!out && asprintf(&out, "%s:1: (config): out of memory\n", path) < 0) out = NULL;
    *errors = out;
    for (int i = 0; i < L.nerrs; i++)
        free(L.errs[i].text);
    free(L.errs);
    free(L.dir);
    if (doc) fy_document_destroy(doc);
    ydiag_close(&yd);
    gw_config_free(c);
    return NULL;
}

static void free_fmap(gw_fmap *f)
{
    free(f->key);
    free(f->field);
    free(f->value);
    free(f->dflt);
    for (int i = 0; i < f->ncodes; i++) {
        free(f->codes[i].from);
        free(f->codes[i].to);
    }
    free(f->codes);
}

void gw_config_free(gw_cfg *c)
{
    if (!c) return;
    for (int i = 0; i < c->ninputs; i++) {
        gw_input *in = &c->inputs[i];
        free(in->name);
        free(in->feed);
        free_fmap(&in->map.hall);
        free_fmap(&in->map.type);
        free_fmap(&in->map.at);
        free(in->map.id_field);
        for (int j = 0; j < in->map.ndata; j++)
            free_fmap(&in->map.data[j]);
        free(in->map.data);
        free(in->path);
        free(in->dsn);
        free(in->table);
        free(in->key);
        free(in->dir);
        free(in->done_dir);
        free(in->suffix);
        free(in->hall);
        for (int j = 0; j < in->ncameras; j++) {
            free(in->cameras[j].id);
            free(in->cameras[j].url);
            free(in->cameras[j].sub);
        }
        free(in->cameras);
    }
    free(c->inputs);
    for (int i = 0; i < c->nhalls; i++)
        free(c->halls[i]);
    free(c->halls);
    for (int i = 0; i < c->nhub; i++)
        free(c->hub_urls[i]);
    free(c->hub_urls);
    free(c->path);
    free(c->name);
    free(c->outbox);
    free(c->listen);
    free(c->heartbeat_feed);
    free(c->token);
    free(c->city_config);
    cfg_free(c->city);
    free(c);
}

const gw_input *gw_config_input(const gw_cfg *c, const char *name)
{
    for (int i = 0; i < c->ninputs; i++)
        if (!strcmp(c->inputs[i].name, name)) return &c->inputs[i];
    return NULL;
}
