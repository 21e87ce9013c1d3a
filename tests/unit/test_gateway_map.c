/* Unit tests for the gateway's record mapping (gw_map) and CSV parser (gw_csv): codes,
 * defaults, types, time formats, the error messages that name input, record and field, and
 * RFC 4180 quoting. The mappings are loaded from YAML with gw_config_load, as the daemon does. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw_config.h"
#include "gw_csv.h"
#include "gw_map.h"

static const char *yaml =
    "gateway: {outbox: /tmp/unused.db}\n"
    "hub: {urls: [http://127.0.0.1:1], token: t}\n"
    "inputs:\n"
    "  - name: q\n"
    "    kind: http\n"
    "    path: /q\n"
    "    map:\n"
    "      id: serialNo\n"
    "      hall: {field: hallCode, codes: {'331082003': LH-03}}\n"
    "      type: {field: action, codes: {QH: ticket.issued, PJ: review.submitted}}\n"
    "      at: ts\n"
    "      at_format: local\n"
    "      tz: '+08:00'\n"
    "      data:\n"
    "        ticket: ticket.no\n"
    "        biz: {field: bizCode, codes: {'01': A}}\n"
    "        channel: {field: src, codes: {'1': kiosk}, default: kiosk}\n"
    "        priority: {value: normal}\n"
    "        level: {field: score, type: int}\n"
    "        real_name: {field: real, type: bool, default: '0'}\n"
    "        staff: {field: staffNo, required: true}\n"
    "  - name: u\n"
    "    kind: csv\n"
    "    dir: /tmp\n"
    "    map:\n"
    "      hall: {value: LH-03}\n"
    "      type: {value: hall.heartbeat}\n"
    "      at: t\n"
    "      at_format: unix_ms\n"
    "      tz: '-03:30'\n";

static gw_cfg *load(void)
{
    char path[] = "/tmp/cw-gwmap-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    char *errors = NULL;
    gw_cfg *c = gw_config_load(path, &errors);
    unlink(path);
    if (!c) fail_msg("config: %s", errors);
    return c;
}

/* Map a JSON text with input `name`; returns the event as compact sorted JSON (caller frees)
 * or NULL with err. */
static char *map(gw_cfg *c, const char *name, const char *rec_json, char *err, size_t n)
{
    json_error_t je;
    json_t *rec = json_loads(rec_json, 0, &je);
    assert_non_null(rec);
    json_t *ev = gw_map_record(gw_config_input(c, name), NULL, rec, "7", err, n);
    json_decref(rec);
    if (!ev) return NULL;
    char *s = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(ev);
    return s;
}

static void expect(gw_cfg *c, const char *name, const char *rec, const char *want)
{
    char err[600] = "";
    char *got = map(c, name, rec, err, sizeof err);
    if (!got) fail_msg("map %s: %s", rec, err);
    if (strcmp(got, want)) fail_msg("map %s\n got  %s\n want %s", rec, got, want);
    free(got);
}

static void expect_error(gw_cfg *c, const char *rec, const char *want)
{
    char err[600] = "";
    char *got = map(c, "q", rec, err, sizeof err);
    if (got) fail_msg("map %s: expected an error, got %s", rec, got);
    if (strcmp(err, want)) fail_msg("map %s\n error %s\n want  %s", rec, err, want);
}

static void test_codes_defaults_types_times(void **state)
{
    (void)state;
    gw_cfg *c = load();
    expect(c, "q",
           "{\"serialNo\":1,\"hallCode\":\"331082003\",\"action\":\"QH\",\"ts\":\"2026-11-23 "
           "09:00:05\",\"ticket\":{\"no\":\"A001\"},\"bizCode\":\"01\",\"staffNo\":\"W1\"}",
           "{\"at\":\"2026-11-23T09:00:05.000+08:00\",\"data\":{\"biz\":\"A\",\"channel\":"
           "\"kiosk\",\"priority\":\"normal\",\"real_name\":false,\"staff\":\"W1\",\"ticket\":"
           "\"A001\"},\"feed\":\"q\",\"hall\":\"LH-03\",\"type\":\"ticket.issued\"}");
    /* numbers as codes, fractions of a second, ints from strings, bools */
    expect(c, "q",
           "{\"hallCode\":331082003,\"action\":\"PJ\",\"ts\":\"2026-11-23T23:59:59.5\","
           "\"score\":\" 4\",\"real\":\"是\",\"src\":1,\"staffNo\":7}",
           "{\"at\":\"2026-11-23T23:59:59.500+08:00\",\"data\":{\"channel\":\"kiosk\",\"level\""
           ":4,\"priority\":\"normal\",\"real_name\":true,\"staff\":\"7\"},\"feed\":\"q\","
           "\"hall\":\"LH-03\",\"type\":\"review.submitted\"}");
    /* unix ms at a negative offset */
    expect(c, "u", "{\"t\":\"1763859600123\"}",
           "{\"at\":\"2025-11-22T21:30:00.123-03:30\",\"data\":{},\"feed\":\"u\",\"hall\":"
           "\"LH-03\",\"type\":\"hall.heartbeat\"}");
    gw_config_free(c);
}

static void test_errors_name_input_record_field(void **state)
{
    (void)state;
    gw_cfg *c = load();
    const char *ok = "\"hallCode\":\"331082003\",\"ts\":\"2026-11-23 09:00:00\",\"staffNo\":\"W\"";
    char rec[400];
    snprintf(rec, sizeof rec, "{\"serialNo\":9,%s,\"action\":\"XX\"}", ok);
    expect_error(c, rec, "input q: record 7: field action: unknown code 'XX' (for type)");
    snprintf(rec, sizeof rec, "{%s}", ok);
    expect_error(c, rec, "input q: record 7: field action: missing (for type)");
    snprintf(rec, sizeof rec, "{%s,\"action\":\"QH\",\"bizCode\":\"09\"}", ok);
    expect_error(c, rec, "input q: record 7: field bizCode: unknown code '09' (for biz)");
    snprintf(rec, sizeof rec, "{%s,\"action\":\"PJ\",\"score\":\"five\"}", ok);
    expect_error(c, rec, "input q: record 7: field score: 'five' is not an integer (for level)");
    snprintf(rec, sizeof rec, "{%s,\"action\":\"PJ\",\"real\":\"maybe\"}", ok);
    expect_error(c, rec, "input q: record 7: field real: 'maybe' is not a boolean (for real_name)");
    expect_error(c,
                 "{\"hallCode\":\"331082003\",\"action\":\"QH\",\"ts\":\"2026-11-23 "
                 "09:00:00\"}",
                 "input q: record 7: field staffNo: missing (for staff)");
    expect_error(c,
                 "{\"hallCode\":\"331082003\",\"action\":\"QH\",\"ts\":\"2026-13-23 "
                 "09:00:00\",\"staffNo\":\"W\"}",
                 "input q: record 7: field ts: '2026-13-23 09:00:00' is not YYYY-MM-DD HH:MM:SS");
    expect_error(c, "{\"hallCode\":[1],\"action\":\"QH\"}",
                 "input q: record 7: field hallCode: not a scalar (for hall)");
    /* a time past 9999-12-31 is refused, not overflowed (found by fuzz_gateway) */
    char err[600] = "";
    assert_null(map(c, "u", "{\"t\":\"17638596023859600000\"}", err, sizeof err));
    assert_string_equal(err, "input u: record 7: field t: '17638596023859600000' is not unix "
                             "milliseconds");
    assert_null(map(c, "u", "{\"t\":\"253402300800000\"}", err, sizeof err));
    /* the record's own id in the reference */
    char buf[100];
    json_t *r = json_pack("{s:i}", "serialNo", 1042);
    assert_string_equal(gw_map_ref(gw_config_input(c, "q"), r, "3", buf, sizeof buf),
                        "3 (serialNo 1042)");
    json_decref(r);
    gw_config_free(c);
}

static void test_csv_rfc4180(void **state)
{
    (void)state;
    const char text[] = "\xEF\xBB\xBFtime,ticket,note\r\n"
                        "1,A001,\"said \"\"hi\"\", left\"\r\n"
                        "\r\n"
                        "2,A002,\"two\nlines\"\n"
                        "3,A003\n"
                        "4,A004,x,y\n"
                        "5,A005,last";
    json_t *rows = gw_csv_parse(text, sizeof text - 1, ',');
    assert_non_null(rows);
    assert_int_equal(json_array_size(rows), 5);
    json_t *r0 = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(r0, "time")), "1");
    assert_string_equal(json_string_value(json_object_get(r0, "note")), "said \"hi\", left");
    assert_int_equal(json_integer_value(json_object_get(r0, "__line")), 2);
    json_t *r1 = json_array_get(rows, 1);
    assert_string_equal(json_string_value(json_object_get(r1, "note")), "two\nlines");
    assert_int_equal(json_integer_value(json_object_get(r1, "__line")), 4);
    json_t *r2 = json_array_get(rows, 2);
    assert_string_equal(json_string_value(json_object_get(r2, "__error")),
                        "2 fields, the header has 3");
    assert_int_equal(json_integer_value(json_object_get(r2, "__line")), 6);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 3), "__error")),
                        "4 fields, the header has 3");
    json_t *r4 = json_array_get(rows, 4);
    assert_string_equal(json_string_value(json_object_get(r4, "note")), "last");
    assert_int_equal(json_integer_value(json_object_get(r4, "__line")), 8);
    json_decref(rows);
    /* semicolons, an unterminated quote */
    const char t2[] = "a;b\n1;\"open\n";
    rows = gw_csv_parse(t2, sizeof t2 - 1, ';');
    assert_int_equal(json_array_size(rows), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "__error")),
                        "unterminated quoted field");
    json_decref(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_defaults_types_times),
        cmocka_unit_test(test_errors_name_input_record_field),
        cmocka_unit_test(test_csv_rfc4180),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
