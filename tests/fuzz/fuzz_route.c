/* fuzz_route: libFuzzer target for REST routing and query-argument values (server/route.c),
 * against the demo city ($CW_FUZZ_CONFIG or CW_SOURCE_DIR/config/demo.yaml).
 *
 * Input: the first byte picks the method (its value mod 8, so numbers that are no method come
 * too), the rest is a request target "PATH?NAME=VALUE&...". PATH goes to route_find; every
 * argument, as decoded text, goes to the parsers rest.c uses for its name (hall, from/to,
 * step/after/limit, raw), and an argument with another name to all of them. As http_arg
 * does, a value that does not fit the caller's buffer becomes "\x01". Besides the sanitizers
 * the target aborts when a result breaks the contract: a route selected for another method or
 * path, a value outside its bounds, a hall index naming another hall, an error message that is
 * empty or not valid UTF-8 (the hub could not send it). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_util.h"
#include "cwtime.h"
#include "route.h"

static cfg_t *fuzz_cfg;

static void check(bool ok, const char *what)
{
    fuzz_check("fuzz_route", ok, what);
}

/* v as http_arg returns it into a buffer of len bytes. */
static const char *clamp(const char *v, size_t len)
{
    return strlen(v) >= len ? "\x01" : v;
}

static void check_err(int rc, const char *err)
{
    if (rc < 0) check(err[0] && fuzz_json_text(err), "error message is valid UTF-8");
}

static void try_int(const char *name, const char *v, int64_t lo, int64_t hi)
{
    char err[256] = "";
    int64_t x = lo - 1;
    int rc = route_int(name, clamp(v, 32), lo, hi, &x, err, sizeof(err));
    check(rc == 1 || rc == -1, "int: present value is taken or refused");
    if (rc == 1) check(x >= lo && x <= hi, "int within bounds");
    check_err(rc, err);
}

/* An argument rest.c reads (any false), or another one, tried with every parser under a short
 * name, as rest.c names its arguments with constants. */
static void try_arg(const char *name, const char *v, bool any)
{
    char err[256] = "";
    int64_t t;
    if (any) name = "arg";
    if (any || strcmp(name, "hall") == 0) {
        const char *id = clamp(v, 64);
        int h = route_hall(fuzz_cfg, id, err, sizeof(err));
        check(h < 0 || (h < fuzz_cfg->nhalls && strcmp(fuzz_cfg->halls[h].id, id) == 0),
              "hall index names that hall");
        check_err(h, err);
    }
    if (any || strcmp(name, "from") == 0 || strcmp(name, "to") == 0) {
        int rc = route_time(name, clamp(v, 64), &t, err, sizeof(err));
        check(rc == 1 || rc == -1, "time: present value is taken or refused");
        check_err(rc, err);
    }
    if (any || strcmp(name, "step") == 0) try_int(name, v, 60, 86400 * 31);
    if (any || strcmp(name, "after") == 0) try_int(name, v, 0, INT64_MAX);
    if (any || strcmp(name, "limit") == 0) try_int(name, v, 1, 5000);
    if (any || strcmp(name, "raw") == 0)
        check(route_flag(clamp(v, 8)) == (strcmp(v, "1") == 0), "raw flag only for \"1\"");
}

static void try_path(int method, const char *path)
{
    route_result r;
    route_find(method, path, &r);
    check(strlen(r.seg) < ROUTE_SEG_MAX && strlen(r.allow) < ROUTE_ALLOW_MAX, "result sizes");
    if (r.id >= 0) {
        char seg[ROUTE_SEG_MAX];
        const route_def *d = &route_table[r.id];
        check(r.id < ROUTE_COUNT && d->method == method && !d->elsewhere, "selected method");
        check(route_match(d->pattern, path, seg, sizeof(seg)) && strcmp(seg, r.seg) == 0,
              "selected pattern matches with that segment");
        check(r.path_known && !r.allow[0], "selected: path known, no allow list");
        check(strchr(d->pattern, '*') ? r.seg[0] != 0 : r.seg[0] == 0, "segment iff a star");
    } else {
        check(!r.allow[0] || r.path_known, "allow list only for a known path");
        check(!r.seg[0], "no segment without a route");
    }
    check(strlen(route_method_name(method)) > 0, "method name");
    check(fuzz_json_text(route_text(path)), "route_text is valid UTF-8");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_cfg = fuzz_load_city("fuzz_route");
    check(cwt_set_timezone(fuzz_cfg->city.timezone) == 0, "the city's time zone loads");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int method = data[0] % 8;
    char *target = malloc(size);
    if (!target) return 0;
    memcpy(target, data + 1, size - 1);
    target[size - 1] = 0; /* an embedded NUL ends it, as in a C string from lws */
    char *query = strchr(target, '?');
    if (query) *query++ = 0;
    try_path(method, target);
    for (char *arg = query, *next; arg && *arg; arg = next) {
        next = strchr(arg, '&');
        if (next) *next++ = 0;
        char *v = strchr(arg, '=');
        if (v)
            *v++ = 0;
        else
            v = arg + strlen(arg);
        bool known = strcmp(arg, "hall") == 0 || strcmp(arg, "from") == 0 ||
                     strcmp(arg, "to") == 0 || strcmp(arg, "step") == 0 ||
                     strcmp(arg, "after") == 0 || strcmp(arg, "limit") == 0 ||
                     strcmp(arg, "raw") == 0;
        try_arg(arg, v, !known);
    }
    free(target);
    return 0;
}
