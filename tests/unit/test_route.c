/* test_route: REST routing and query-argument values (server/route.c), against the demo city
 * (config/demo.yaml through CW_SOURCE_DIR: halls LH-00 .. LH-19 in that order; Asia/Shanghai).
 *
 * Instants were worked out by hand: 2026-01-01 is day 20454 since 1970-01-01 (56 years, 14 of
 * them leap), 22 November is day 325 of 2026, so 2026-11-22T00:00:00Z is
 * 20779 x 86,400,000 = 1,795,305,600,000 ms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cwtime.h"
#include "route.h"

static cfg_t *demo_cfg;

static void test_match(void **state)
{
    (void)state;
    char seg[ROUTE_SEG_MAX];
    assert_true(route_match("/api/v1/halls/*", "/api/v1/halls/LH-03", seg, sizeof seg));
    assert_string_equal(seg, "LH-03");
    assert_true(route_match("/api/v1/halls", "/api/v1/halls", seg, sizeof seg));
    assert_string_equal(seg, "");
    assert_false(route_match("/api/v1/halls/*", "/api/v1/halls/", seg, sizeof seg));
    assert_false(route_match("/api/v1/halls/*", "/api/v1/halls/LH-03/x", seg, sizeof seg));
    assert_false(route_match("/api/v1/halls/*", "/api/v1/hall", seg, sizeof seg));
    assert_false(route_match("/api/v1/halls", "/api/v1/halls/", seg, sizeof seg));
    assert_true(
        route_match("/api/v1/halls/*/closure", "/api/v1/halls/LH-07/closure", seg, sizeof seg));
    assert_string_equal(seg, "LH-07");
    /* the segment must fit: 5 bytes in 6, not 6 */
    char small[6];
    assert_true(route_match("/a/*", "/a/LH-03", small, sizeof small));
    assert_false(route_match("/a/*", "/a/LH-030", small, sizeof small));
    char big[200] = "/api/v1/halls/";
    memset(big + 14, 'x', 128);
    big[142] = 0;
    assert_false(route_match("/api/v1/halls/*", big, seg, sizeof seg));
    big[141] = 0; /* 127 bytes */
    assert_true(route_match("/api/v1/halls/*", big, seg, sizeof seg));
    assert_int_equal(strlen(seg), 127);
}

static void expect_route(int method, const char *path, int id, const char *seg)
{
    route_result r;
    route_find(method, path, &r);
    assert_int_equal(r.id, id);
    assert_string_equal(r.seg, seg);
    assert_true(r.path_known);
    assert_string_equal(r.allow, "");
}

static void expect_none(int method, const char *path, bool known, const char *allow)
{
    route_result r;
    route_find(method, path, &r);
    assert_int_equal(r.id, -1);
    assert_int_equal(r.path_known, known);
    assert_string_equal(r.allow, allow);
    assert_string_equal(r.seg, "");
}

static void test_find(void **state)
{
    (void)state;
    expect_route(ROUTE_GET, "/healthz", ROUTE_HEALTHZ, "");
    expect_route(ROUTE_GET, "/api/v1/halls", ROUTE_HALLS, "");
    expect_route(ROUTE_GET, "/api/v1/halls/LH-03", ROUTE_HALL, "LH-03");
    expect_route(ROUTE_POST, "/api/v1/halls/LH-03/closure", ROUTE_CLOSURE, "LH-03");
    expect_route(ROUTE_POST, "/api/v1/alerts/R7:LH-03/ack", ROUTE_ALERT_ACK, "R7:LH-03");
    expect_route(ROUTE_GET, "/api/v1/alerts/R7:LH-03", ROUTE_ALERT, "R7:LH-03");
    expect_route(ROUTE_DELETE, "/api/v1/silences", ROUTE_SILENCES_EXPIRE, "");
    expect_route(ROUTE_DELETE, "/api/v1/silences/12", ROUTE_SILENCE_EXPIRE, "12");
    expect_route(ROUTE_POST, "/api/v1/silences", ROUTE_SILENCE_ADD, "");
    expect_route(ROUTE_POST, "/api/v1/cases/88", ROUTE_CASE_MOVE, "88");

    /* 405: the methods of every route with that path, in table order */
    expect_none(ROUTE_PUT, "/api/v1/silences", true, "GET, POST, DELETE");
    expect_none(ROUTE_DELETE, "/api/v1/halls/LH-03", true, "GET");
    expect_none(ROUTE_GET, "/api/v1/halls/LH-03/closure", true, "POST");
    expect_none(ROUTE_GET, "/api/v1/logout", true, "POST");
    /* answered by http.c: never selected, but their methods count for the others */
    expect_none(ROUTE_POST, "/api/v1/events", true, "GET");
    expect_none(ROUTE_GET, "/api/v1/login", true, "POST");
    expect_none(ROUTE_GET, "/metrics", true, "");
    expect_none(ROUTE_POST, "/metrics", true, "GET");
    /* 404 or static files */
    expect_none(ROUTE_GET, "/api/v1/nope", false, "");
    expect_none(ROUTE_GET, "/api/v1/halls/", false, "");
    expect_none(ROUTE_GET, "/index.html", false, "");
    expect_none(ROUTE_GET, "", false, "");
    expect_none(9, "/api/v1/halls", true, "GET");

    assert_string_equal(route_method_name(ROUTE_GET), "GET");
    assert_string_equal(route_method_name(ROUTE_DELETE), "DELETE");
    assert_string_equal(route_method_name(6), "?");
    assert_string_equal(route_method_name(-1), "?");
}

static void test_int(void **state)
{
    (void)state;
    char err[256] = "";
    int64_t x = 77;
    assert_int_equal(route_int("step", NULL, 60, 2678400, &x, err, sizeof err), 0);
    assert_int_equal(x, 77);
    assert_int_equal(route_int("step", "60", 60, 2678400, &x, err, sizeof err), 1);
    assert_int_equal(x, 60);
    assert_int_equal(route_int("step", "2678400", 60, 2678400, &x, err, sizeof err), 1);
    assert_int_equal(x, 2678400);
    assert_int_equal(route_int("step", "59", 60, 2678400, &x, err, sizeof err), -1);
    assert_string_equal(err, "step: '59' must be an integer from 60 to 2678400");
    assert_int_equal(route_int("limit", "-1", 1, 5000, &x, err, sizeof err), -1);
    assert_string_equal(err, "limit: '-1' must be an integer from 1 to 5000");
    assert_int_equal(route_int("limit", "5001", 1, 5000, &x, err, sizeof err), -1);
    assert_string_equal(err, "limit: '5001' must be an integer from 1 to 5000");
    assert_int_equal(route_int("limit", "", 1, 5000, &x, err, sizeof err), -1);
    assert_string_equal(err, "limit: '' must be an integer from 1 to 5000");
    assert_int_equal(route_int("limit", "12abc", 1, 5000, &x, err, sizeof err), -1);
    assert_string_equal(err, "limit: '12abc' must be an integer from 1 to 5000");
    /* beyond int64: refused (strtoll saturated it to INT64_MAX, which was then accepted) */
    assert_int_equal(route_int("after", "99999999999999999999", 0, INT64_MAX, &x, err, sizeof err),
                     -1);
    assert_string_equal(err, "after: '99999999999999999999' must be an integer from 0 to "
                             "9223372036854775807");
    assert_int_equal(route_int("after", "9223372036854775807", 0, INT64_MAX, &x, err, sizeof err),
                     1);
    assert_true(x == INT64_MAX);
    /* a value that cannot go into a JSON message is not echoed */
    assert_int_equal(route_int("after", "1\xFF", 0, 10, &x, err, sizeof err), -1);
    assert_string_equal(err, "after: '(not UTF-8)' must be an integer from 0 to 10");
}

static void test_time(void **state)
{
    (void)state;
    char err[256] = "";
    int64_t t = 5;
    assert_int_equal(route_time("from", NULL, &t, err, sizeof err), 0);
    assert_int_equal(t, 5);
    /* 09:12:33.120 at +08:00 is 01:12:33.120Z: 1,795,305,600,000 + 4,353,120 */
    assert_int_equal(route_time("from", "2026-11-22T09:12:33.120+08:00", &t, err, sizeof err), 1);
    assert_int_equal(t, 1795309953120);
    assert_int_equal(route_time("to", "2026-11-22T00:00:00Z", &t, err, sizeof err), 1);
    assert_int_equal(t, 1795305600000);
    /* a date is its local midnight: 2026-11-23T00:00+08:00 = 2026-11-22T16:00Z */
    assert_int_equal(route_time("from", "2026-11-23", &t, err, sizeof err), 1);
    assert_int_equal(t, 1795305600000 + 16 * 3600000LL);
    assert_int_equal(route_time("from", "yesterday", &t, err, sizeof err), -1);
    assert_string_equal(err, "from: 'yesterday' is not an RFC 3339 time or a date YYYY-MM-DD");
    assert_int_equal(route_time("to", "2026-13-01", &t, err, sizeof err), -1);
    assert_string_equal(err, "to: '2026-13-01' is not an RFC 3339 time or a date YYYY-MM-DD");
    assert_int_equal(route_time("to", "2026-11-22T09:12:33", &t, err, sizeof err),
                     -1); /* no offset */
    assert_int_equal(route_time("to", "", &t, err, sizeof err), -1);
    assert_string_equal(err, "to: '' is not an RFC 3339 time or a date YYYY-MM-DD");
}

static void test_hall_flag_text(void **state)
{
    (void)state;
    char err[256] = "";
    assert_int_equal(route_hall(demo_cfg, "LH-03", err, sizeof err), 3);
    assert_int_equal(route_hall(demo_cfg, "LH-19", err, sizeof err), 19);
    assert_int_equal(route_hall(demo_cfg, "LH-99", err, sizeof err), -1);
    assert_string_equal(err, "unknown hall 'LH-99'");
    assert_int_equal(route_hall(demo_cfg, "lh-03", err, sizeof err), -1);
    assert_string_equal(err, "unknown hall 'lh-03'");
    assert_int_equal(route_hall(demo_cfg, "\xE5\x8D", err, sizeof err), -1);
    assert_string_equal(err, "unknown hall '(not UTF-8)'");

    assert_true(route_flag("1"));
    assert_false(route_flag(NULL));
    assert_false(route_flag(""));
    assert_false(route_flag("0"));
    assert_false(route_flag("true"));
    assert_false(route_flag("11"));

    assert_string_equal(route_text("南山 LH-03"), "南山 LH-03");
    assert_string_equal(route_text("a\tb"), "a\tb");
    assert_string_equal(route_text("a\xC3"), "(not UTF-8)");
}

static int setup(void **state)
{
    (void)state;
    const char *dir = getenv("CW_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/config/demo.yaml", dir && *dir ? dir : ".");
    char *errors = NULL;
    demo_cfg = cfg_load(path, &errors);
    if (!demo_cfg) {
        fprintf(stderr, "%s: %s", path, errors ? errors : "cannot load\n");
        free(errors);
        return -1;
    }
    return cwt_set_timezone(demo_cfg->city.timezone) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cfg_free(demo_cfg);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_hall_flag_text),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
