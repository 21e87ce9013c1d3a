/* config: load and validate the YAML configuration (SPEC §9) into an immutable cfg_t.
 *
 * The file is parsed by libfyaml into a document (anchors and aliases resolved), then walked
 * section by section. Every check that fails adds one "FILE:LINE: FIELD: problem" line and
 * the walk goes on, so one run reports every problem; the lines are sorted by line number.
 * Any error makes cfg_load() return NULL. The accepted format is documented in docs/config.md.
 *
 * Invariants of a returned cfg_t:
 *  1. every id is unique in its scope (halls; biz, windows, cameras, staff in a hall;
 *     account users; token names and token hashes);
 *  2. every index (window biz/cameras, hall parent, account/token halls) is in range;
 *  3. calendar arrays are sorted and disjoint; spans have from < to inside 00:00..24:00 and
 *     lunch lies inside the open span of its day.
 * Value parsing lives in config_yaml.c, the halls section in config_halls.c, lookups, the
 * calendar and token checks in config_query.c.
 */
#include "config_load.h"

#include "cwtime.h"
#include "event.h"
#include "yamldiag.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static void parse_limits(cfgl *L, struct fy_node *map, int mline, const char *base)
{
    static const char *const keys[] = {
        "max_batch_events",   "max_body_bytes",        "max_ws_message_bytes",
        "max_conns_per_addr", "ingest_rate_per_token", "login_attempts",
        "login_lockout_s",    "client_buffer_bytes",   NULL};
    cfg_limits *lim = &L->cfg->limits;
    if (!cfgl_want_map(L, map, mline, base)) return;
    cfgl_check_keys(L, map, base, keys);
    long long x;
    cfgl_opt_int32(L, map, mline, base, "max_batch_events", 1, 1000000, &lim->max_batch_events);
    x = lim->max_body_bytes;
    cfgl_opt_int(L, map, mline, base, "max_body_bytes", 1024, 1LL << 30, &x);
    lim->max_body_bytes = x;
    x = lim->max_ws_message;
    cfgl_opt_int(L, map, mline, base, "max_ws_message_bytes", 1024, 1LL << 30, &x);
    lim->max_ws_message = x;
    cfgl_opt_int32(L, map, mline, base, "max_conns_per_addr", 1, 1000000, &lim->max_conns_per_addr);
    int line;
    struct fy_node *v = cfgl_get(map, "ingest_rate_per_token", mline, &line);
    if (v) {
        char path[CFGL_PATHN];
        cfgl_path_key(path, base, "ingest_rate_per_token");
        cfgl_double(L, v, line, path, 0, 1e9, &lim->ingest_rate);
    }
    cfgl_opt_int32(L, map, mline, base, "login_attempts", 1, 1000, &lim->login_attempts);
    cfgl_opt_int32(L, map, mline, base, "login_lockout_s", 1, 7 * 86400, &lim->login_lockout_s);
    x = lim->client_buffer;
    cfgl_opt_int(L, map, mline, base, "client_buffer_bytes", 4096, 1LL << 30, &x);
    lim->client_buffer = x;
}

static bool listen_ok(const char *s)
{
    const char *c = strrchr(s, ':');
    long long port;
    return c && c != s && cfgl_parse_ll(c + 1, strlen(c + 1), &port) && port >= 1 && port <= 65535;
}

static void check_readable(cfgl *L, const char *path_value, int line, const char *field)
{
    if (access(path_value, R_OK) != 0)
        cfgl_error(L, line, field, "cannot read '%s': %s", path_value, strerror(errno));
}

static void parse_server(cfgl *L, struct fy_node *map, int mline)
{
    static const char *const keys[] = {
        "listen",          "db",  "db_cache_mib", "tick_ms",  "retention_days",
        "allowed_origins", "tls", "limits",       "sessions", NULL};
    static const char *const http[] = {"http://", "https://", NULL};
    cfg_t *c = L->cfg;
    int line;
    struct fy_node *v;
    char *s;
    if (!cfgl_want_map(L, map, mline, "server")) return;
    cfgl_check_keys(L, map, "server", keys);
    if ((s = cfgl_opt_str(L, map, mline, "server", "listen"))) {
        if (!listen_ok(s)) {
            cfgl_get(map, "listen", mline, &line);
            cfgl_error(L, line, "server.listen", "bad address '%s' (expected HOST:PORT)", s);
        }
        free(c->listen);
        c->listen = s;
    }
    if ((s = cfgl_opt_str(L, map, mline, "server", "db"))) {
        free(c->db_path);
        c->db_path = s;
    }
    cfgl_opt_int32(L, map, mline, "server", "db_cache_mib", 1, 4096, &c->db_cache_mib);
    cfgl_opt_int32(L, map, mline, "server", "tick_ms", 1, 1000, &c->tick_ms);
    cfgl_opt_int32(L, map, mline, "server", "retention_days", 1, 36500, &c->retention_days);
    if ((v = cfgl_get(map, "allowed_origins", mline, &line)) &&
        cfgl_want_seq(L, v, line, "server.allowed_origins")) {
        int n = fy_node_sequence_item_count(v), i = 0;
        void *it = NULL;
        struct fy_node *o;
        c->origins = cfgl_calloc(L, (size_t)n, sizeof *c->origins);
        for (; c->origins && (o = fy_node_sequence_iterate(v, &it)); i++) {
            char path[CFGL_PATHN];
            int oline = cfgl_line_or(o, line);
            cfgl_path_idx(path, "server.allowed_origins", i);
            char *u = cfgl_str(L, o, oline, path);
            if (!u) continue;
            size_t ul = strlen(u);
            if (!cfgl_url_ok(u, http) || strchr(strstr(u, "//") + 2, '/') || u[ul - 1] == '/') {
                cfgl_error(L, oline, path, "bad origin '%s' (expected http[s]://host[:port])", u);
                free(u);
                continue;
            }
            c->origins[c->norigins++] = u;
        }
    }
    if ((v = cfgl_get(map, "tls", mline, &line)) && cfgl_want_map(L, v, line, "server.tls")) {
        static const char *const tkeys[] = {"cert", "key", NULL};
        int fl;
        cfgl_check_keys(L, v, "server.tls", tkeys);
        c->tls_cert = cfgl_req_str(L, v, line, "server.tls", "cert", false);
        c->tls_key = cfgl_req_str(L, v, line, "server.tls", "key", false);
        if (c->tls_cert) {
            cfgl_get(v, "cert", line, &fl);
            check_readable(L, c->tls_cert, fl, "server.tls.cert");
        }
        if (c->tls_key) {
            cfgl_get(v, "key", line, &fl);
            check_readable(L, c->tls_key, fl, "server.tls.key");
        }
    }
    if ((v = cfgl_get(map, "limits", mline, &line))) parse_limits(L, v, line, "server.limits");
    if ((v = cfgl_get(map, "sessions", mline, &line)) &&
        cfgl_want_map(L, v, line, "server.sessions")) {
        static const char *const skeys[] = {"idle_s", "absolute_s", NULL};
        cfgl_check_keys(L, v, "server.sessions", skeys);
        cfgl_opt_int32(L, v, line, "server.sessions", "idle_s", 60, 30 * 86400, &c->session_idle_s);
        cfgl_opt_int32(L, v, line, "server.sessions", "absolute_s", 60, 365 * 86400,
                       &c->session_absolute_s);
        if (c->session_absolute_s < c->session_idle_s)
            cfgl_error(L, line, "server.sessions.absolute_s", "must be at least idle_s");
    }
}

static bool timezone_ok(const char *tz)
{
    if (tz[0] == '/' || strstr(tz, "..")) return false;
    if (access("/usr/share/zoneinfo", F_OK) != 0) return true;
    char path[CFGL_PATHN];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
    return access(path, R_OK) == 0;
}

static void parse_categories(cfgl *L, struct fy_node *seq, int sline)
{
    static const char *const keys[] = {"id", "name", NULL};
    cfg_city *city = &L->cfg->city;
    if (!cfgl_want_seq(L, seq, sline, "city.categories")) return;
    int n = fy_node_sequence_item_count(seq), i = 0;
    if (n == 0) cfgl_error(L, sline, "city.categories", "must list at least one category");
    city->categories = cfgl_calloc(L, (size_t)n, sizeof *city->categories);
    if (!city->categories) return;
    city->ncategories = n;
    void *it = NULL;
    struct fy_node *v;
    for (; (v = fy_node_sequence_iterate(seq, &it)); i++) {
        char path[CFGL_PATHN];
        int line = cfgl_line_or(v, sline);
        cfgl_path_idx(path, "city.categories", i);
        if (!cfgl_want_map(L, v, line, path)) continue;
        cfgl_check_keys(L, v, path, keys);
        cfg_category *cat = &city->categories[i];
        cat->id = cfgl_req_str(L, v, line, path, "id", true);
        cat->name = cfgl_req_str(L, v, line, path, "name", false);
        for (int j = 0; cat->id && j < i; j++)
            if (city->categories[j].id && !strcmp(city->categories[j].id, cat->id)) {
                char f[CFGL_PATHN];
                int idl;
                cfgl_path_key(f, path, "id");
                cfgl_get(v, "id", line, &idl);
                cfgl_error(L, idl, f, "duplicate id '%s'", cat->id);
                break;
            }
    }
}

static void parse_city(cfgl *L, struct fy_node *map, int mline)
{
    static const char *const keys[] = {"code",     "name",  "timezone", "categories", "hours",
                                       "calendar", "cases", "map",      NULL};
    cfg_t *c = L->cfg;
    int line;
    struct fy_node *v;
    if (!cfgl_want_map(L, map, mline, "city")) return;
    cfgl_check_keys(L, map, "city", keys);
    c->city.code = cfgl_req_str(L, map, mline, "city", "code", false);
    if (c->city.code) {
        size_t n = strlen(c->city.code), k = 0;
        while (k < n && isdigit((unsigned char)c->city.code[k]))
            k++;
        if (n != 6 || k != n) {
            cfgl_get(map, "code", mline, &line);
            cfgl_error(L, line, "city.code", "bad code '%s' (expected 6 digits, GB/T 2260)",
                       c->city.code);
        }
    }
    c->city.name = cfgl_req_str(L, map, mline, "city", "name", false);
    char *outline = cfgl_opt_str(L, map, mline, "city", "map");
    if (outline) {
        cfgl_get(map, "map", mline, &c->city.map_line);
        if (outline[0] == '/' || !strcmp(L->dir, ".")) {
            c->city.map = outline;
        } else {
            size_t n = strlen(L->dir) + strlen(outline) + 2;
            c->city.map = cfgl_calloc(L, n, 1);
            if (c->city.map) snprintf(c->city.map, n, "%s/%s", L->dir, outline);
            free(outline);
        }
    }
    char *tz = cfgl_opt_str(L, map, mline, "city", "timezone");
    if (tz) {
        free(c->city.timezone);
        c->city.timezone = tz;
        if (!timezone_ok(tz)) {
            cfgl_get(map, "timezone", mline, &line);
            cfgl_error(L, line, "city.timezone", "unknown time zone '%s'", tz);
        }
    }
    if ((v = cfgl_get(map, "categories", mline, &line)))
        parse_categories(L, v, line);
    else
        cfgl_missing(L, line, "city", "categories");
    if ((v = cfgl_get(map, "hours", mline, &line)))
        cfgl_hours(L, v, line, "city.hours", &c->city.hours);
    if ((v = cfgl_get(map, "calendar", mline, &line)) &&
        cfgl_want_map(L, v, line, "city.calendar")) {
        static const char *const ckeys[] = {"holidays", "workdays", NULL};
        cfg_calendar *cal = &c->city.calendar;
        int l2;
        struct fy_node *d;
        cfgl_check_keys(L, v, "city.calendar", ckeys);
        if ((d = cfgl_get(v, "holidays", line, &l2)))
            cfgl_dates(L, d, l2, "city.calendar.holidays", &cal->holidays, &cal->nholidays);
        if ((d = cfgl_get(v, "workdays", line, &l2)))
            cfgl_dates(L, d, l2, "city.calendar.workdays", &cal->workdays, &cal->nworkdays);
        for (int i = 0; cal->nholidays && i < cal->nworkdays; i++) /* bsearch: no NULL base */
            if (bsearch(&cal->workdays[i], cal->holidays, (size_t)cal->nholidays, sizeof(int),
                        cfgl_cmp_int)) {
                char buf[11];
                cfgl_get(v, "workdays", line, &l2);
                cfgl_error(L, l2, "city.calendar.workdays", "%s is also listed as a holiday",
                           cwt_format_date(cal->workdays[i], buf));
            }
    }
    if ((v = cfgl_get(map, "cases", mline, &line)) && cfgl_want_map(L, v, line, "city.cases")) {
        static const char *const ckeys[] = {"contact_days", "rectify_days", NULL};
        cfgl_check_keys(L, v, "city.cases", ckeys);
        cfgl_opt_int32(L, v, line, "city.cases", "contact_days", 1, 365, &c->case_contact_days);
        cfgl_opt_int32(L, v, line, "city.cases", "rectify_days", 1, 365, &c->case_rectify_days);
    }
}

static void parse_accounts(cfgl *L, struct fy_node *seq, int sline)
{
    static const char *const keys[] = {"user", "role", "password_hash", "halls", NULL};
    cfg_t *c = L->cfg;
    if (!cfgl_want_seq(L, seq, sline, "accounts")) return;
    int n = fy_node_sequence_item_count(seq), i = 0;
    c->accounts = cfgl_calloc(L, (size_t)n, sizeof *c->accounts);
    if (!c->accounts) return;
    c->naccounts = n;
    void *it = NULL;
    struct fy_node *v;
    for (; (v = fy_node_sequence_iterate(seq, &it)); i++) {
        cfg_account *a = &c->accounts[i];
        char path[CFGL_PATHN], f[CFGL_PATHN];
        int line = cfgl_line_or(v, sline), l;
        cfgl_path_idx(path, "accounts", i);
        a->role = -1;
        if (!cfgl_want_map(L, v, line, path)) continue;
        cfgl_check_keys(L, v, path, keys);
        a->user = cfgl_req_str(L, v, line, path, "user", true);
        if (a->user) {
            cfgl_get(v, "user", line, &l);
            cfgl_path_key(f, path, "user");
            for (int j = 0; j < i; j++)
                if (c->accounts[j].user && !strcmp(c->accounts[j].user, a->user)) {
                    cfgl_error(L, l, f, "duplicate user '%s'", a->user);
                    break;
                }
        }
        a->role = cfgl_enum(L, v, line, path, "role", cfg_role_name, CFG_ROLE_WALL + 1);
        a->pwhash = cfgl_req_str(L, v, line, path, "password_hash", false);
        if (a->pwhash &&
            (strncmp(a->pwhash, "$argon2id$", 10) || strlen(a->pwhash) >= crypto_pwhash_STRBYTES)) {
            cfgl_get(v, "password_hash", line, &l);
            cfgl_path_key(f, path, "password_hash");
            cfgl_error(L, l, f, "expected an Argon2id hash ($argon2id$...)");
        }
        struct fy_node *h = cfgl_get(v, "halls", line, &l);
        cfgl_path_key(f, path, "halls");
        if (a->role == CFG_ROLE_HALL && !h)
            cfgl_missing(L, l, path, "halls");
        else if (a->role != CFG_ROLE_HALL && h && a->role >= 0)
            cfgl_error(L, l, f, "only accounts with role hall list halls");
        else if (h)
            cfgl_hall_refs(L, h, l, f, false, true, &a->halls, &a->nhalls);
    }
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    ch = tolower(ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static bool parse_hex32(const char *s, size_t len, uint8_t out[32])
{
    if (len != 64) return false;
    for (int i = 0; i < 32; i++) {
        int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* Reads the hex digest held by FILE (relative to the config's directory); false after an
 * error. */
static bool read_hash_file(cfgl *L, const char *file, int line, const char *path, uint8_t out[32])
{
    char full[CFGL_PATHN * 2], buf[256];
    if (file[0] == '/')
        snprintf(full, sizeof full, "%s", file);
    else
        snprintf(full, sizeof full, "%s/%s", L->dir, file);
    FILE *fp = fopen(full, "r");
    if (!fp) {
        cfgl_error(L, line, path, "cannot read '%s': %s", full, strerror(errno));
        return false;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    while (n && isspace((unsigned char)buf[n - 1]))
        n--;
    size_t s = 0;
    while (s < n && isspace((unsigned char)buf[s]))
        s++;
    if (!parse_hex32(buf + s, n - s, out)) {
        cfgl_error(L, line, path, "'%s' does not hold 64 hex digits", full);
        return false;
    }
    return true;
}

static void parse_tokens(cfgl *L, struct fy_node *seq, int sline)
{
    static const char *const keys[] = {"name", "role", "halls", "sha256", "sha256_file", NULL};
    cfg_t *c = L->cfg;
    if (!cfgl_want_seq(L, seq, sline, "tokens")) return;
    int n = fy_node_sequence_item_count(seq), i = 0;
    c->tokens = cfgl_calloc(L, (size_t)n, sizeof *c->tokens);
    if (!c->tokens) return;
    c->ntokens = n;
    void *it = NULL;
    struct fy_node *v;
    for (; (v = fy_node_sequence_iterate(seq, &it)); i++) {
        cfg_token *t = &c->tokens[i];
        char path[CFGL_PATHN], f[CFGL_PATHN];
        int line = cfgl_line_or(v, sline), l, hl;
        cfgl_path_idx(path, "tokens", i);
        t->role = -1;
        if (!cfgl_want_map(L, v, line, path)) continue;
        cfgl_check_keys(L, v, path, keys);
        t->name = cfgl_req_str(L, v, line, path, "name", true);
        if (t->name) {
            cfgl_get(v, "name", line, &l);
            cfgl_path_key(f, path, "name");
            for (int j = 0; j < i; j++)
                if (c->tokens[j].name && !strcmp(c->tokens[j].name, t->name)) {
                    cfgl_error(L, l, f, "duplicate name '%s'", t->name);
                    break;
                }
        }
        t->role = cfgl_enum(L, v, line, path, "role", cfg_role_name, CFG_ROLE_WALL + 1);
        if (t->role == CFG_ROLE_ADMIN || t->role == CFG_ROLE_CITY) {
            cfgl_get(v, "role", line, &l);
            cfgl_path_key(f, path, "role");
            cfgl_error(L, l, f, "a token's role is hall or wall");
        }
        struct fy_node *h = cfgl_get(v, "halls", line, &l);
        cfgl_path_key(f, path, "halls");
        if (t->role == CFG_ROLE_HALL && !h)
            cfgl_missing(L, l, path, "halls");
        else if (t->role == CFG_ROLE_WALL && h)
            cfgl_error(L, l, f, "wall tokens read every hall; remove halls");
        else if (h)
            t->all_halls = cfgl_hall_refs(L, h, l, f, true, false, &t->halls, &t->nhalls);
        struct fy_node *hs = cfgl_get(v, "sha256", line, &hl),
                       *hf = cfgl_get(v, "sha256_file", line, &l);
        bool ok = false;
        if (hs && hf) {
            cfgl_path_key(f, path, "sha256_file");
            cfgl_error(L, l, f, "give sha256 or sha256_file, not both");
        } else if (hs) {
            size_t len;
            cfgl_path_key(f, path, "sha256");
            const char *s = cfgl_want_scalar(L, hs, hl, f, &len);
            if (s && !(ok = parse_hex32(s, len, t->sha256)))
                cfgl_error(L, hl, f, "expected 64 hex digits (sha256 of the token)");
        } else if (hf) {
            cfgl_path_key(f, path, "sha256_file");
            char *file = cfgl_str(L, hf, l, f);
            if (file) {
                ok = read_hash_file(L, file, l, f, t->sha256);
                free(file);
            }
        } else {
            cfgl_missing(L, hl, path, "sha256");
        }
        for (int j = 0; ok && j < i; j++)
            if (!memcmp(c->tokens[j].sha256, t->sha256, 32)) {
                cfgl_path_key(f, path, hs ? "sha256" : "sha256_file");
                cfgl_error(L, hs ? hl : l, f, "same hash as tokens[%d]", j);
                break;
            }
    }
}

/* One item of a category's `terms`: a string, or {term, weight?, except?}. Fills *out (term
 * and except owned by it); false when the item is wrong (errors reported). */
static bool parse_lexterm(cfgl *L, struct fy_node *t, int tl, const char *ipath, int cat_weight,
                          cfg_lexterm *out)
{
    static const char *const keys[] = {"term", "weight", "except", NULL};
    memset(out, 0, sizeof *out);
    out->weight = cat_weight;
    if (fy_node_get_type(t) != FYNT_MAPPING) return (out->term = cfgl_str(L, t, tl, ipath)) != NULL;
    char f[CFGL_PATHN];
    int l;
    cfgl_check_keys(L, t, ipath, keys);
    struct fy_node *v = cfgl_get(t, "term", tl, &l);
    if (!v) {
        cfgl_missing(L, l, ipath, "term");
        return false;
    }
    cfgl_path_key(f, ipath, "term");
    if (!(out->term = cfgl_str(L, v, l, f))) return false;
    if ((v = cfgl_get(t, "weight", tl, &l))) {
        long long w = cat_weight;
        cfgl_path_key(f, ipath, "weight");
        if (cfgl_int(L, v, l, f, 1, 100, &w) == 0) out->weight = (int)w;
    }
    if ((v = cfgl_get(t, "except", tl, &l))) {
        cfgl_path_key(f, ipath, "except");
        if (cfgl_want_seq(L, v, l, f)) {
            int n = fy_node_sequence_item_count(v), i = 0;
            out->except = calloc(n > 0 ? (size_t)n : 1, sizeof *out->except);
            if (!out->except) {
                L->oom = true;
                return false;
            }
            void *it = NULL;
            struct fy_node *e;
            for (; (e = fy_node_sequence_iterate(v, &it)); i++) {
                char ep[CFGL_PATHN];
                cfgl_path_idx(ep, f, i);
                char *x = cfgl_str(L, e, cfgl_line_or(e, l), ep);
                if (x && !strstr(x, out->term)) {
                    cfgl_error(L, cfgl_line_or(e, l), ep, "'%s' does not contain the term '%s'", x,
                               out->term);
                    free(x);
                    x = NULL;
                }
                if (x) out->except[out->nexcept++] = x;
            }
        }
    }
    return true;
}

static void lexterm_free(cfg_lexterm *t)
{
    free(t->term);
    free(t->category);
    for (int i = 0; i < t->nexcept; i++)
        free(t->except[i]);
    free(t->except);
}

static void parse_lexicon(cfgl *L, struct fy_node *map, int mline)
{
    static const char *const keys[] = {"weight", "terms", "any_level", NULL};
    cfg_t *c = L->cfg;
    if (!cfgl_want_map(L, map, mline, "lexicon")) return;
    int cap = 0;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        int kline = cfgl_line_or(k, mline), vline = cfgl_line_or(v, kline), l;
        char path[CFGL_PATHN], f[CFGL_PATHN];
        char *cat = cfgl_str(L, k, kline, "lexicon");
        if (!cat) continue;
        cfgl_path_key(path, "lexicon", cat);
        if (cfgl_is_null(v) || !cfgl_want_map(L, v, vline, path)) {
            if (cfgl_is_null(v)) cfgl_error(L, kline, path, "expected {weight, terms}");
            free(cat);
            continue;
        }
        cfgl_check_keys(L, v, path, keys);
        long long weight = 1;
        struct fy_node *w = cfgl_get(v, "weight", vline, &l);
        if (!w)
            cfgl_missing(L, l, path, "weight");
        else {
            cfgl_path_key(f, path, "weight");
            cfgl_int(L, w, l, f, 1, 100, &weight);
        }
        bool any_level = false;
        struct fy_node *al = cfgl_get(v, "any_level", vline, &l);
        if (al) {
            cfgl_path_key(f, path, "any_level");
            if (cfgl_scalar_is(al, "true"))
                any_level = true;
            else if (!cfgl_scalar_is(al, "false"))
                cfgl_error(L, l, f, "expected true or false");
        }
        struct fy_node *terms = cfgl_get(v, "terms", vline, &l);
        cfgl_path_key(f, path, "terms");
        if (!terms) {
            cfgl_missing(L, l, path, "terms");
        } else if (cfgl_want_seq(L, terms, l, f)) {
            int n = fy_node_sequence_item_count(terms), i = 0;
            if (n == 0) cfgl_error(L, l, f, "must list at least one term");
            if (c->nlexicon + n > cap) {
                int ncap = (c->nlexicon + n) * 2;
                cfg_lexterm *nl = realloc(c->lexicon, (size_t)ncap * sizeof *nl);
                if (!nl) {
                    L->oom = true;
                    free(cat);
                    return;
                }
                c->lexicon = nl;
                cap = ncap;
            }
            void *tit = NULL;
            struct fy_node *t;
            for (; (t = fy_node_sequence_iterate(terms, &tit)); i++) {
                char ipath[CFGL_PATHN];
                int tl = cfgl_line_or(t, l);
                cfgl_path_idx(ipath, f, i);
                cfg_lexterm lt;
                if (!parse_lexterm(L, t, tl, ipath, (int)weight, &lt)) {
                    lexterm_free(&lt);
                    continue;
                }
                bool dup = false;
                for (int j = 0; j < c->nlexicon && !dup; j++)
                    if (!strcmp(c->lexicon[j].term, lt.term)) {
                        cfgl_error(L, tl, ipath, "term '%s' already listed under %s", lt.term,
                                   c->lexicon[j].category);
                        dup = true;
                    }
                lt.category = dup ? NULL : cfgl_strndup(L, cat, strlen(cat));
                lt.any_level = any_level;
                if (dup || !lt.category) {
                    lexterm_free(&lt);
                    continue;
                }
                c->lexicon[c->nlexicon++] = lt;
            }
        }
        free(cat);
    }
}

static void parse_webhooks(cfgl *L, struct fy_node *seq, int sline)
{
    static const char *const http[] = {"http://", "https://", NULL};
    cfg_t *c = L->cfg;
    if (!cfgl_want_seq(L, seq, sline, "webhooks")) return;
    int n = fy_node_sequence_item_count(seq), i = 0;
    c->webhooks = cfgl_calloc(L, (size_t)n, sizeof *c->webhooks);
    if (!c->webhooks) return;
    void *it = NULL;
    struct fy_node *v;
    for (; (v = fy_node_sequence_iterate(seq, &it)); i++) {
        char path[CFGL_PATHN];
        int line = cfgl_line_or(v, sline);
        cfgl_path_idx(path, "webhooks", i);
        char *u = cfgl_str(L, v, line, path);
        if (!u) continue;
        if (!cfgl_url_ok(u, http)) {
            cfgl_error(L, line, path, "bad URL '%s' (expected http[s]://...)", u);
            free(u);
            continue;
        }
        c->webhooks[c->nwebhooks++] = u;
    }
}

static bool detect_demo(const cfg_t *c)
{
    static const char *const demo_tokens[] = {"demo-hall", "demo-LH-03", "demo-wall"};
    static const char *const demo_users[] = {"admin", "city", "lh03"};
    for (int i = 0; i < 3; i++) {
        uint8_t h[32];
        crypto_hash_sha256(h, (const unsigned char *)demo_tokens[i], strlen(demo_tokens[i]));
        for (int t = 0; t < c->ntokens; t++)
            if (!memcmp(h, c->tokens[t].sha256, 32)) return true;
    }
    for (int a = 0; a < c->naccounts; a++)
        for (int i = 0; i < 3; i++)
            if (!strcmp(c->accounts[a].user, demo_users[i]) &&
                crypto_pwhash_str_verify(c->accounts[a].pwhash, demo_users[i],
                                         strlen(demo_users[i])) == 0)
                return true;
    return false;
}

static void parse_root(cfgl *L, struct fy_node *root)
{
    static const char *const keys[] = {"server",  "city",     "halls",  "accounts", "tokens",
                                       "lexicon", "webhooks", "alerts", "cluster",  "province",
                                       "stats",   "walls",    NULL};
    int line;
    struct fy_node *v;
    if (!root || cfgl_is_null(root)) {
        cfgl_error(L, 1, "(root)", "the file is empty");
        return;
    }
    if (fy_node_get_type(root) != FYNT_MAPPING) {
        cfgl_error(L, cfgl_line_or(root, 1), "(root)", "expected a mapping");
        return;
    }
    cfgl_check_keys(L, root, "", keys);
    if ((v = cfgl_get(root, "server", 1, &line))) parse_server(L, v, line);
    if ((v = cfgl_get(root, "city", 1, &line)))
        parse_city(L, v, line);
    else
        cfgl_missing(L, line, "", "city");
    if ((v = cfgl_get(root, "halls", 1, &line)))
        cfgl_parse_halls(L, v, line);
    else
        cfgl_missing(L, line, "", "halls");
    if ((v = cfgl_get(root, "accounts", 1, &line))) parse_accounts(L, v, line);
    if ((v = cfgl_get(root, "tokens", 1, &line))) parse_tokens(L, v, line);
    if ((v = cfgl_get(root, "lexicon", 1, &line))) parse_lexicon(L, v, line);
    if ((v = cfgl_get(root, "webhooks", 1, &line))) parse_webhooks(L, v, line);
    if ((v = cfgl_get(root, "alerts", 1, &line))) cfgl_parse_alerts(L, v, line);
    if ((v = cfgl_get(root, "cluster", 1, &line))) cfgl_parse_cluster(L, v, line);
    if ((v = cfgl_get(root, "province", 1, &line))) cfgl_parse_province(L, v, line);
    if ((v = cfgl_get(root, "stats", 1, &line))) cfgl_parse_stats(L, v, line);
    if ((v = cfgl_get(root, "walls", 1, &line))) cfgl_parse_walls(L, v, line);
}

static cfg_t *cfg_new(const char *path)
{
    cfg_t *c = cw_xcalloc(1, sizeof *c);
    if (!c) return NULL;
    c->path = cw_xstrdup(path);
    c->listen = cw_xstrdup("127.0.0.1:8080");
    c->db_path = cw_xstrdup("var/citywall.db");
    c->city.timezone = cw_xstrdup("Asia/Shanghai");
    if (!c->path || !c->listen || !c->db_path || !c->city.timezone) {
        cfg_free(c);
        return NULL;
    }
    c->tick_ms = 50;
    c->db_cache_mib = 64;
    c->retention_days = 400;
    c->session_idle_s = 8 * 3600;
    c->session_absolute_s = 24 * 3600;
    c->limits = (cfg_limits){.max_batch_events = 5000,
                             .max_body_bytes = 4 << 20,
                             .max_ws_message = 1 << 20,
                             .max_conns_per_addr = 256,
                             .ingest_rate = 0,
                             .login_attempts = 5,
                             .login_lockout_s = 300,
                             .client_buffer = 1 << 20};
    cfgl_hours_default(&c->city.hours);
    c->case_contact_days = 1;
    c->case_rectify_days = 15;
    cfg_alerts_defaults(&c->alerts);
    cfg_stats_defaults(&c->stats);
    return c;
}

#define CFG_MAX_FILE_BYTES (16 * 1024 * 1024)

/* 0 when text is valid UTF-8 without NUL or control characters other than tab, CR and LF;
 * else the 1-based line of the first offending byte. */
static int text_utf8_bad_line(const char *text, size_t n)
{
    int line = 1;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || text[i] == '\n') {
            if (!ev_utf8_valid(text + start, i - start, true)) return line;
            line++;
            start = i + 1;
        }
    }
    return 0;
}

cfg_t *cfg_load(const char *path, char **errors)
{
    cfgl L = {.file = path};
    ydiag yd = {0};
    struct fy_document *doc = NULL;
    char *errs = NULL;
    *errors = NULL;
    if (sodium_init() < 0 || !(L.cfg = cfg_new(path))) goto oom;
    const char *slash = strrchr(path, '/');
    L.dir = slash ? strndup(path, (size_t)(slash - path)) : cw_xstrdup(".");
    if (!L.dir) goto oom;
    FILE *fp = fopen(path, "r");
    struct stat st;
    if (!fp) {
        cfgl_error(&L, 1, "file", "cannot open: %s", strerror(errno));
        goto fail;
    }
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        cfgl_error(&L, 1, "file", "not a regular file");
        goto fail;
    }
    /* The file must be UTF-8 text before libfyaml sees it: Debian's libfyaml 0.7.12 loops
     * forever on invalid UTF-8 inside a % directive (found by tests/fuzz/fuzz_config.c). */
    if (st.st_size > CFG_MAX_FILE_BYTES) {
        fclose(fp);
        cfgl_error(&L, 1, "file", "larger than %d bytes", CFG_MAX_FILE_BYTES);
        goto fail;
    }
    {
        size_t n = (size_t)st.st_size;
        char *text = malloc(n ? n : 1);
        size_t got = text ? fread(text, 1, n, fp) : 0;
        fclose(fp);
        if (!text) goto oom;
        int bad_line = got == n ? text_utf8_bad_line(text, n) : 1;
        free(text);
        if (bad_line) {
            cfgl_error(&L, bad_line, "file",
                       got == n ? "not UTF-8 text (invalid byte sequence or control character)"
                                : "cannot read the whole file");
            goto fail;
        }
    }

    if (ydiag_open(&yd) < 0) goto oom;
    struct fy_parse_cfg pc = {.flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT, .diag = yd.diag};
    doc = fy_document_build_from_file(&pc, path);
    if (!doc) {
        cfgl_report_yaml(&L, yd.text ? yd.text : "");
        goto fail;
    }
    parse_root(&L, fy_document_root(doc));
    if (L.oom) goto oom;
    if (L.nerrs) goto fail;
    L.cfg->demo_credentials = detect_demo(L.cfg);
    fy_document_destroy(doc);
    ydiag_close(&yd);
    free(L.dir);
    free(L.errs);
    return L.cfg;

oom:
    L.oom = true;
fail:
    errs = cfgl_join_errors(&L);
    if (!errs && asprintf(&errs, "%s:1: (config): out of memory\n", path) < 0) errs = NULL;
    *errors = errs;
    for (int i = 0; i < L.nerrs; i++)
        free(L.errs[i].text);
    free(L.errs);
    free(L.dir);
    if (doc) fy_document_destroy(doc);
    ydiag_close(&yd);
    cfg_free(L.cfg);
    return NULL;
}

static void free_hall(cfg_hall *h)
{
    free(h->id);
    free(h->name);
    free(h->parent);
    for (int i = 0; i < h->nbiz; i++) {
        free(h->biz[i].id);
        free(h->biz[i].name);
        free(h->biz[i].category);
    }
    free(h->biz);
    for (int i = 0; i < h->nwindows; i++) {
        free(h->windows[i].id);
        free(h->windows[i].biz);
        free(h->windows[i].cameras);
    }
    free(h->windows);
    for (int i = 0; i < h->ncameras; i++) {
        free(h->cameras[i].id);
        free(h->cameras[i].name);
        free(h->cameras[i].main_url);
        free(h->cameras[i].sub_url);
    }
    free(h->cameras);
    free(h->staffing);
    for (int i = 0; i < h->nstaff; i++) {
        free(h->staff[i].id);
        free(h->staff[i].name);
    }
    free(h->staff);
}

void cfg_free(cfg_t *cfg)
{
    if (!cfg) return;
    free(cfg->path);
    cfgl_free_cluster(&cfg->cluster);
    cfgl_free_province(&cfg->province);
    free(cfg->listen);
    free(cfg->db_path);
    for (int i = 0; i < cfg->norigins; i++)
        free(cfg->origins[i]);
    free(cfg->origins);
    free(cfg->tls_cert);
    free(cfg->tls_key);
    free(cfg->city.code);
    free(cfg->city.name);
    free(cfg->city.map);
    free(cfg->city.timezone);
    free(cfg->city.calendar.holidays);
    free(cfg->city.calendar.workdays);
    for (int i = 0; i < cfg->city.ncategories; i++) {
        free(cfg->city.categories[i].id);
        free(cfg->city.categories[i].name);
    }
    free(cfg->city.categories);
    for (int i = 0; i < cfg->nhalls; i++)
        free_hall(&cfg->halls[i]);
    free(cfg->halls);
    for (int i = 0; i < cfg->naccounts; i++) {
        free(cfg->accounts[i].user);
        free(cfg->accounts[i].pwhash);
        free(cfg->accounts[i].halls);
    }
    free(cfg->accounts);
    for (int i = 0; i < cfg->ntokens; i++) {
        free(cfg->tokens[i].name);
        free(cfg->tokens[i].halls);
    }
    free(cfg->tokens);
    for (int i = 0; i < cfg->nlexicon; i++)
        lexterm_free(&cfg->lexicon[i]);
    free(cfg->lexicon);
    for (int i = 0; i < cfg->nwebhooks; i++)
        free(cfg->webhooks[i]);
    free(cfg->webhooks);
    cfg_alerts_free(&cfg->alerts);
    cfg_stats_free(&cfg->stats);
    cfg_walls_free(cfg);
    free(cfg);
}
