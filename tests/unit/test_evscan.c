/* test_evscan: a batch read with yajl into flat members (common/evscan.c) reads as jansson's
 * tree would, keeps each element's bytes, and refuses -- so the caller falls back to jansson
 * and its error -- everything it cannot read exactly as jansson would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "evscan.h"

static ev_jval get(const ev_jval *obj, const char *key)
{
    ev_jval v;
    obj->o.get(obj->o.obj, key, &v);
    return v;
}

static void test_members_and_spans(void **state)
{
    (void)state;
    /* offsets counted by hand: '[' at 0, ' ' at 1, the first object at 2..46 (45 bytes: 地 is
     * 3 bytes), ",\n" at 47..48, the second at 49..67 (19 bytes), "]" at 68 */
    const char *b = "[ {\"s\":\"地\",\"i\":-12,\"r\":1.5,\"t\":true,\"n\":null},\n"
                    "{\"data\":{\"w\":\"W1\"}}]";
    evscan *s = evscan_array(b, strlen(b));
    assert_non_null(s);
    assert_int_equal(evscan_count(s), 2);
    size_t off, len;
    evscan_span(s, 0, &off, &len);
    assert_int_equal(off, 2);
    assert_int_equal(len, 45);
    assert_memory_equal(b + off, "{\"s\":\"地\",\"i\":-12,\"r\":1.5,\"t\":true,\"n\":null}", 45);
    evscan_span(s, 1, &off, &len);
    assert_int_equal(off, 49);
    assert_int_equal(len, 19);
    assert_int_equal(strlen(b), 69);

    const ev_jval *e = evscan_event(s, 0);
    assert_int_equal(e->kind, EV_J_OBJECT);
    ev_jval v = get(e, "s");
    assert_int_equal(v.kind, EV_J_STRING);
    assert_int_equal(v.len, 3); /* 地 is 3 bytes of UTF-8 */
    assert_string_equal(v.s, "地");
    v = get(e, "i");
    assert_int_equal(v.kind, EV_J_INTEGER);
    assert_int_equal(v.i, -12);
    assert_int_equal(get(e, "r").kind, EV_J_REAL);
    assert_int_equal(get(e, "t").kind, EV_J_TRUE);
    assert_int_equal(get(e, "n").kind, EV_J_NULL);
    assert_int_equal(get(e, "absent").kind, EV_J_ABSENT);

    const ev_jval *e1 = evscan_event(s, 1);
    ev_jval d = get(e1, "data");
    assert_int_equal(d.kind, EV_J_OBJECT);
    v = get(&d, "w");
    assert_int_equal(v.kind, EV_J_STRING);
    assert_string_equal(v.s, "W1");
    evscan_free(s);
}

static void test_deeper_values_by_kind(void **state)
{
    (void)state;
    /* the object in an event keeps its members; anything deeper only its kind; a repeated key
     * reads as its last value (jansson's json_object_set) */
    const char *b = "[{\"a\":[1,{\"x\":2}],\"d\":{\"o\":{\"p\":1},\"q\":[3],\"k\":1,\"k\":2},"
                    "\"k\":\"first\",\"k\":\"last\"}]";
    evscan *s = evscan_array(b, strlen(b));
    assert_non_null(s);
    const ev_jval *e = evscan_event(s, 0);
    assert_int_equal(get(e, "a").kind, EV_J_ARRAY);
    assert_string_equal(get(e, "k").s, "last");
    ev_jval d = get(e, "d");
    assert_int_equal(d.kind, EV_J_OBJECT);
    ev_jval o = get(&d, "o");
    assert_int_equal(o.kind, EV_J_OBJECT);
    assert_int_equal(get(&o, "p").kind, EV_J_ABSENT); /* not kept: three levels down */
    assert_int_equal(get(&d, "q").kind, EV_J_ARRAY);
    assert_int_equal(get(&d, "k").i, 2);
    assert_int_equal(get(e, "d").kind, EV_J_OBJECT);
    evscan_free(s);

    s = evscan_array(" [ ] ", 5);
    assert_non_null(s);
    assert_int_equal(evscan_count(s), 0);
    evscan_free(s);

    /* objects with no members at all (fuzz_evscan: NULL + 0 once) */
    s = evscan_array("[{},{}]", 7);
    assert_non_null(s);
    assert_int_equal(evscan_count(s), 2);
    assert_int_equal(get(evscan_event(s, 1), "a").kind, EV_J_ABSENT);
    evscan_free(s);
}

/* Each of these is read by jansson differently or refused: evscan must refuse it too. */
static void test_refused(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "{\"a\":1}",                     /* one object, not a batch */
        "[{\"a\":1}, 2]",                /* an element that is not an object */
        "[[{\"a\":1}]]",                 /* an array element */
        "[{\"a\":1}] x",                 /* trailing bytes */
        "[{\"a\":1}",                    /* cut short */
        "[{\"a\":\"\\u0000\"}]",         /* an escaped NUL, refused by jansson */
        "[{\"a\":\"\\ud800\"}]",         /* an escaped lone surrogate, refused too */
        "[{\"a\":\"\xC0\x80\"}]",        /* an overlong NUL */
        "[{\"a\":\"\xED\xA0\x80\"}]",    /* a surrogate in UTF-8 */
        "[{\"a\":{\"b\":[\"\xFF\"]}}]",  /* invalid UTF-8 three levels down */
        "[{\"a\":01}]",                  /* a leading zero */
        "[{\"a\":1.}]",                  /* no digits after the point */
        "[{\"a\":9223372036854775808}]", /* over int64: jansson "too big integer" */
        "[{\"a\":1e999}]",               /* jansson "real number overflow" */
        "[{\"a\":1,}]",                  /* a trailing comma */
        "[{\"a\" 1}]",                   /* no colon */
        "[{\"a\":1 \"b\":2}]",           /* no comma */
        "[{\"a\":tru}]",                 /* not a literal */
        "[{/*c*/\"a\":1}]",              /* a comment */
        "[{\"a\":1,\f\"b\":2}]",         /* form feed: yajl's whitespace, not JSON's */
        "[{\"a\":1}\v]",                 /* vertical tab */
        "[{\"a\":1}] \"",                /* an unterminated string after the batch */
        "[{\"a\":1}] 1",                 /* a second value */
        "",
        "   ",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        evscan *s = evscan_array(refused[i], strlen(refused[i]));
        if (s) fail_msg("took %s", refused[i]);
    }
    /* nesting of 40: deeper than any event, left to jansson */
    char deep[128] = "[{\"a\":";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    for (int i = 0; i < 40; i++)
        strcat(deep, "]");
    strcat(deep, "}]");
    assert_null(evscan_array(deep, strlen(deep)));
}

/* An element with an escape sequence is read by jansson (decoded as jansson decodes), its
 * neighbours by evscan; its bytes are known all the same. */
static void test_escaped_element_by_jansson(void **state)
{
    (void)state;
    const char *b = "[{\"a\":\"plain\"},{\"a\":\"x\\ny\\u5730\",\"k\\u0041\":{\"d\":1}}]";
    evscan *s = evscan_array(b, strlen(b));
    assert_non_null(s);
    assert_int_equal(evscan_count(s), 2);
    assert_string_equal(get(evscan_event(s, 0), "a").s, "plain");
    const ev_jval *e = evscan_event(s, 1);
    ev_jval v = get(e, "a");
    assert_int_equal(v.kind, EV_J_STRING);
    assert_string_equal(v.s, "x\ny地"); /* \n and \u5730 decoded */
    ev_jval k = get(e, "kA");
    assert_int_equal(k.kind, EV_J_OBJECT);
    assert_int_equal(get(&k, "d").i, 1);
    size_t off, len;
    evscan_span(s, 1, &off, &len);
    assert_int_equal(off, 15); /* after '[' (1 byte), {"a":"plain"} (13) and ',' (1) */
    assert_int_equal(len, strlen(b) - 16);
    evscan_free(s);
}

/* Integers as jansson reads them: int64's ends, -0; a fraction or an exponent is a real. */
static void test_integer_edges(void **state)
{
    (void)state;
    const char *b = "[{\"max\":9223372036854775807,\"min\":-9223372036854775808,\"z\":-0,"
                    "\"e\":1E2,\"f\":-0.0}]";
    evscan *s = evscan_array(b, strlen(b));
    assert_non_null(s);
    const ev_jval *e = evscan_event(s, 0);
    assert_int_equal(get(e, "max").i, INT64_MAX);
    assert_true(get(e, "min").i == INT64_MIN);
    assert_int_equal(get(e, "z").kind, EV_J_INTEGER);
    assert_int_equal(get(e, "z").i, 0);
    assert_int_equal(get(e, "e").kind, EV_J_REAL); /* jansson: 1E2 is a real */
    assert_int_equal(get(e, "f").kind, EV_J_REAL);
    evscan_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members_and_spans), cmocka_unit_test(test_deeper_values_by_kind),
        cmocka_unit_test(test_refused),           cmocka_unit_test(test_escaped_element_by_jansson),
        cmocka_unit_test(test_integer_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
