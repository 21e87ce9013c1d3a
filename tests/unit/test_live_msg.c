/* test_live_msg: the /live client message parser (server/live_msg.c) against the demo city
 * (config/demo.yaml through CW_SOURCE_DIR: halls LH-00 .. LH-19 in that order).
 *
 * Expected values were written out by hand from SPEC §4 and the messages live.c answered with
 * before the parser was split out. UTF-8 cases: 'é' is C3 A9, '南' E5 8D 97, '山' E5 B1 B1.
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
#include "live_msg.h"

static cfg_t *demo_cfg;

static int parse(const char *text, livemsg *m)
{
    return livemsg_parse(demo_cfg, text, strlen(text), m);
}

static void test_subscribe_with_since(void **state)
{
    (void)state;
    livemsg m;
    assert_int_equal(parse("{\"op\":\"subscribe\",\"topics\":[\"city\",\"hall/LH-03\",\"alerts\"],"
                           "\"since\":{\"epoch\":\"e1\",\"rev\":1234},\"max_hz\":10}",
                           &m),
                     0);
    assert_int_equal(m.op, LIVEMSG_SUBSCRIBE);
    assert_null(m.code);
    assert_int_equal(m.ntopics, 3);
    assert_string_equal(m.topics[0].name, "city");
    assert_int_equal(m.topics[0].kind, LIVEMSG_CITY);
    assert_int_equal(m.topics[0].hall, -1);
    assert_string_equal(m.topics[1].name, "hall/LH-03");
    assert_int_equal(m.topics[1].kind, LIVEMSG_HALL);
    assert_int_equal(m.topics[1].hall, 3);
    assert_int_equal(m.topics[2].kind, LIVEMSG_ALERTS);
    assert_true(m.has_since);
    assert_string_equal(m.since_epoch, "e1");
    assert_int_equal(m.since_rev, 1234);
    assert_int_equal(m.max_hz, 10);
    livemsg_free(&m);

    assert_int_equal(parse("{\"op\":\"subscribe\",\"topics\":[]}", &m), 0);
    assert_int_equal(m.ntopics, 0);
    assert_false(m.has_since);
    assert_int_equal(m.max_hz, 0);
    livemsg_free(&m);
}

static void test_bad_json(void **state)
{
    (void)state;
    livemsg m;
    assert_int_equal(parse("this is not json", &m), -1);
    assert_int_equal(m.op, LIVEMSG_INVALID);
    assert_null(m.json);
    assert_string_equal(m.code, "bad_request");
    assert_string_equal(m.message, "not JSON: '[' or '{' expected near 'this' at line 1 column 4");
    livemsg_free(&m);

    assert_int_equal(parse("{\"op\":\"ping\"", &m), -1);
    assert_int_equal(m.op, LIVEMSG_INVALID);
    assert_string_equal(m.message, "not JSON: '}' expected near end of file at line 1 column 12");
    livemsg_free(&m);

    /* jansson's own error text ends inside the character after "\u": that byte becomes '?' */
    assert_int_equal(parse("{\"op\":\"a\\u\xE5\x8D\x97\"}", &m), -1);
    assert_int_equal(m.op, LIVEMSG_INVALID);
    assert_non_null(strstr(m.message, "not JSON: invalid escape near '\"a\\u?' at line 1"));
    livemsg_free(&m);

    assert_int_equal(livemsg_parse(demo_cfg, "", 0, &m), -1);
    assert_int_equal(m.op, LIVEMSG_INVALID);
    livemsg_free(&m);

    const char *shapes[] = {"[\"op\",\"ping\"]", "{\"op\":7}", "{\"type\":\"ping\"}"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(parse(shapes[i], &m), -1);
        assert_int_equal(m.op, LIVEMSG_INVALID);
        assert_string_equal(m.code, "bad_request");
        assert_string_equal(m.message, "message must be an object with a string \"op\"");
        livemsg_free(&m);
    }
}

static void test_unknown_op(void **state)
{
    (void)state;
    livemsg m;
    assert_int_equal(parse("{\"op\":\"dance\"}", &m), -1);
    assert_int_equal(m.op, LIVEMSG_UNKNOWN);
    assert_string_equal(m.code, "bad_request");
    assert_string_equal(m.message, "unknown op 'dance'");
    livemsg_free(&m);

    /* 'a' and 40 x 'é': %.64s keeps 'a', 31 'é' and the first byte of the 32nd, which becomes
     * '?' (the message was not valid UTF-8 before, and the hub then sent no error at all) */
    char text[128] = "{\"op\":\"a";
    for (int i = 0; i < 40; i++)
        strcat(text, "\xC3\xA9");
    strcat(text, "\"}");
    char want[128] = "unknown op 'a";
    for (int i = 0; i < 31; i++)
        strcat(want, "\xC3\xA9");
    strcat(want, "?'");
    assert_int_equal(parse(text, &m), -1);
    assert_string_equal(m.message, want);
    livemsg_free(&m);
}

static void test_ops(void **state)
{
    (void)state;
    livemsg m;
    assert_int_equal(parse("{\"op\":\"auth\",\"token\":\"wall-secret\"}", &m), 0);
    assert_int_equal(m.op, LIVEMSG_AUTH);
    assert_string_equal(m.token, "wall-secret");
    livemsg_free(&m);

    assert_int_equal(parse("{\"op\":\"auth\"}", &m), 0); /* live.c answers auth_failed */
    assert_int_equal(m.op, LIVEMSG_AUTH);
    assert_null(m.token);
    livemsg_free(&m);
    assert_int_equal(parse("{\"op\":\"auth\",\"token\":12}", &m), 0);
    assert_null(m.token);
    livemsg_free(&m);

    assert_int_equal(parse("{\"op\":\"ping\"}", &m), 0);
    assert_int_equal(m.op, LIVEMSG_PING);
    livemsg_free(&m);

    assert_int_equal(parse("{\"op\":\"report\",\"fps\":59.5,\"stale\":false}", &m), 0);
    assert_int_equal(m.op, LIVEMSG_REPORT);
    assert_float_equal(json_real_value(json_object_get(m.json, "fps")), 59.5, 0);
    livemsg_free(&m);

    assert_int_equal(parse("{\"op\":\"unsubscribe\",\"topics\":[\"hall/LH-04\",3]}", &m), 0);
    assert_int_equal(m.op, LIVEMSG_UNSUBSCRIBE);
    assert_int_equal(m.ntopics, 2);
    assert_string_equal(m.topics[0].name, "hall/LH-04");
    assert_int_equal(m.topics[0].hall, 4);
    assert_null(m.topics[1].name);
    livemsg_free(&m);

    assert_int_equal(parse("{\"op\":\"unsubscribe\"}", &m), -1);
    assert_int_equal(m.op, LIVEMSG_UNSUBSCRIBE);
    assert_string_equal(m.message, "unsubscribe: topics must be an array of strings");
    livemsg_free(&m);
}

static void expect_sub_error(const char *text, const char *message)
{
    livemsg m;
    assert_int_equal(parse(text, &m), -1);
    assert_int_equal(m.op, LIVEMSG_SUBSCRIBE); /* so that live.c can say auth_required first */
    assert_string_equal(m.code, "bad_request");
    assert_string_equal(m.message, message);
    livemsg_free(&m);
}

static void test_subscribe_errors(void **state)
{
    (void)state;
    const char *topics = "subscribe: topics must be an array of strings";
    const char *since = "subscribe: since must be {\"epoch\":string,\"rev\":integer}";
    const char *hz = "subscribe: max_hz must be a positive number";
    expect_sub_error("{\"op\":\"subscribe\",\"topics\":\"city\"}", topics);
    expect_sub_error("{\"op\":\"subscribe\"}", topics);
    expect_sub_error("{\"op\":\"subscribe\",\"topics\":[],\"since\":{\"epoch\":\"e1\",\"rev\":-1}}",
                     since);
    expect_sub_error("{\"op\":\"subscribe\",\"topics\":[],\"since\":{\"epoch\":1,\"rev\":5}}",
                     since);
    expect_sub_error(
        "{\"op\":\"subscribe\",\"topics\":[],\"since\":{\"epoch\":\"e1\",\"rev\":5.0}}", since);
    expect_sub_error("{\"op\":\"subscribe\",\"topics\":[],\"since\":\"e1\"}", since);
    expect_sub_error("{\"op\":\"subscribe\",\"topics\":[],\"max_hz\":0}", hz);
    expect_sub_error("{\"op\":\"subscribe\",\"topics\":[],\"max_hz\":-2}", hz);
    expect_sub_error("{\"op\":\"subscribe\",\"topics\":[],\"max_hz\":\"10\"}", hz);
    /* topics are checked before since, since before max_hz */
    expect_sub_error("{\"op\":\"subscribe\",\"topics\":1,\"since\":1,\"max_hz\":0}", topics);
    expect_sub_error("{\"op\":\"subscribe\",\"topics\":[],\"since\":1,\"max_hz\":0}", since);
}

static int max_hz_of(const char *value)
{
    char text[128];
    snprintf(text, sizeof text, "{\"op\":\"subscribe\",\"topics\":[\"city\"],\"max_hz\":%s}",
             value);
    livemsg m;
    assert_int_equal(parse(text, &m), 0);
    int hz = m.max_hz;
    livemsg_free(&m);
    return hz;
}

static void test_max_hz(void **state)
{
    (void)state;
    assert_int_equal(max_hz_of("2"), 2);
    assert_int_equal(max_hz_of("2.9"), 2);
    assert_int_equal(max_hz_of("0.5"), 1);
    assert_int_equal(max_hz_of("1000"), 1000);
    /* was (int)1e300: undefined, in practice INT_MIN and then 1 Hz (found by fuzz_live) */
    assert_int_equal(max_hz_of("1e300"), LIVEMSG_MAX_HZ);
    assert_int_equal(max_hz_of("9223372036854775807"), LIVEMSG_MAX_HZ);
}

static void test_topics(void **state)
{
    (void)state;
    livemsg m;
    assert_int_equal(parse("{\"op\":\"subscribe\",\"topics\":[\"weather\",\"hall/LH-99\",42,"
                           "\"hall/\",\"HALL/LH-03\",\"hall/LH-19\",\"hall/LH-03 \"]}",
                           &m),
                     0);
    assert_int_equal(m.ntopics, 7);
    char msg[160];
    const char *want[] = {"unknown topic 'weather'",        "unknown topic 'hall/LH-99'",
                          "unknown topic '(not a string)'", "unknown topic 'hall/'",
                          "unknown topic 'HALL/LH-03'",     NULL,
                          "unknown topic 'hall/LH-03 '"};
    for (size_t i = 0; i < 7; i++) {
        if (!want[i]) continue;
        assert_int_equal(m.topics[i].kind, LIVEMSG_NOTOPIC);
        assert_int_equal(m.topics[i].hall, -1);
        livemsg_topic_error(&m.topics[i], msg, sizeof msg);
        assert_string_equal(msg, want[i]);
    }
    assert_int_equal(m.topics[5].kind, LIVEMSG_HALL);
    assert_int_equal(m.topics[5].hall, 19);
    livemsg_free(&m);

    int kind, hall;
    assert_int_equal(livemsg_topic_parse(demo_cfg, "hall/LH-00", &kind, &hall), 0);
    assert_int_equal(kind, LIVEMSG_HALL);
    assert_int_equal(hall, 0);
    /* too long: 70 bytes, one over "hall/" + a 64-byte id */
    char longname[80] = "hall/";
    memset(longname + 5, 'A', 65);
    longname[70] = 0;
    assert_int_equal(livemsg_topic_parse(demo_cfg, longname, &kind, &hall), -1);
    assert_int_equal(kind, LIVEMSG_NOTOPIC);
    assert_int_equal(hall, -1);
}

static void test_topic_message_cut(void **state)
{
    (void)state;
    /* "hall/" + 30 x "南山" (180 bytes) into 160: "unknown topic '" (15) leaves 144 bytes, that
     * is "hall/" and 139 bytes = 46 characters and one byte, shown as '?' */
    char name[200] = "hall/";
    for (int i = 0; i < 30; i++)
        strcat(name, "南山");
    livemsg_topic t = {.name = name, .kind = LIVEMSG_NOTOPIC, .hall = -1};
    char msg[160], want[160] = "unknown topic 'hall/";
    for (int i = 0; i < 23; i++)
        strcat(want, "南山");
    strcat(want, "?");
    livemsg_topic_error(&t, msg, sizeof msg);
    assert_string_equal(msg, want);
}

static void test_format(void **state)
{
    (void)state;
    char out[16];
    livemsg_format(out, 4, "%s", "ab\xC3\xA9");
    assert_string_equal(out, "ab?");
    livemsg_format(out, sizeof out, "a%sb", "\xFF");
    assert_string_equal(out, "a?b");
    livemsg_format(out, sizeof out, "%s", "\xC0\x80"); /* overlong NUL */
    assert_string_equal(out, "??");
    livemsg_format(out, sizeof out, "%s", "\xED\xA0\x80"); /* a surrogate */
    assert_string_equal(out, "???");
    livemsg_format(out, sizeof out, "%s", "\xF4\x90\x80\x80"); /* above U+10FFFF */
    assert_string_equal(out, "????");
    livemsg_format(out, sizeof out, "%s", "x\xF0\x9F\x98\x80"); /* U+1F600 kept */
    assert_string_equal(out, "x\xF0\x9F\x98\x80");
    livemsg_format(out, sizeof out, "%d:%s", 7, "é");
    assert_string_equal(out, "7:é");
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
    return 0;
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
        cmocka_unit_test(test_subscribe_with_since),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_unknown_op),
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_subscribe_errors),
        cmocka_unit_test(test_max_hz),
        cmocka_unit_test(test_topics),
        cmocka_unit_test(test_topic_message_cut),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
