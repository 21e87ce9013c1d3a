/* Unit tests for mergepatch: RFC 7396 appendix A, diff/apply round trips, composition. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "mergepatch.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    if (!j) fail_msg("bad test JSON '%s': %s", text, e.text);
    return j;
}

static void assert_json(json_t *got, const char *want_text)
{
    json_t *want = J(want_text);
    if (!got || !json_equal(got, want)) {
        char *g = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;
        fail_msg("got %s, want %s", g ? g : "NULL", want_text);
    }
    json_decref(want);
}

/* apply(original, patch) == result; the patch is left as it was */
static void check_apply(const char *original, const char *patch, const char *result)
{
    json_t *p = J(patch), *p_copy = J(patch);
    json_t *r = mp_apply(J(original), p);
    assert_json(r, result);
    assert_true(json_equal(p, p_copy));
    json_decref(r);
    json_decref(p);
    json_decref(p_copy);
}

static void test_rfc7396_appendix_a(void **state)
{
    (void)state;
    check_apply("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    check_apply("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
    check_apply("{\"a\":\"b\"}", "{\"a\":null}", "{}");
    check_apply("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
    check_apply("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    check_apply("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
    check_apply("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
                "{\"a\":{\"b\":\"d\"}}");
    check_apply("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
    check_apply("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
    check_apply("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
    check_apply("{\"a\":\"foo\"}", "null", "null");
    check_apply("{\"a\":\"foo\"}", "\"bar\"", "\"bar\"");
    check_apply("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
    check_apply("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
    check_apply("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
}

static void test_rfc7396_section3_example(void **state)
{
    (void)state;
    check_apply(
        "{\"title\":\"Goodbye!\",\"author\":{\"givenName\":\"John\",\"familyName\":\"Doe\"},"
        "\"tags\":[\"example\",\"sample\"],\"content\":\"This will be unchanged\"}",
        "{\"title\":\"Hello!\",\"phoneNumber\":\"+01-123-456-7890\","
        "\"author\":{\"familyName\":null},\"tags\":[\"example\"]}",
        "{\"title\":\"Hello!\",\"author\":{\"givenName\":\"John\"},\"tags\":[\"example\"],"
        "\"content\":\"This will be unchanged\",\"phoneNumber\":\"+01-123-456-7890\"}");
    /* a NULL target is an absent document */
    json_t *p = J("{\"a\":{\"b\":1,\"c\":null}}");
    json_t *r = mp_apply(NULL, p);
    assert_json(r, "{\"a\":{\"b\":1}}");
    json_decref(r);
    json_decref(p);
}

/* diff(from, to) == want (want NULL: no change); inputs unchanged; apply(from, diff) == to */
static void check_diff(const char *from, const char *to, const char *want)
{
    json_t *f = J(from), *t = J(to), *f_copy = J(from), *t_copy = J(to);
    json_t *d = mp_diff(f, t);
    if (want) {
        assert_json(d, want);
    } else if (d) {
        char *g = json_dumps(d, JSON_ENCODE_ANY);
        fail_msg("diff(%s, %s) = %s, want no change", from, to, g);
    }
    assert_true(json_equal(f, f_copy));
    assert_true(json_equal(t, t_copy));
    json_t *r = d ? mp_apply(json_deep_copy(f), d) : json_deep_copy(f);
    assert_true(json_equal(r, t));
    assert_true(json_equal(f, f_copy));
    json_decref(r);
    json_decref(d);
    json_decref(f);
    json_decref(t);
    json_decref(f_copy);
    json_decref(t_copy);
}

static void test_diff(void **state)
{
    (void)state;
    check_diff("{\"a\":1,\"b\":{\"c\":2}}", "{\"a\":1,\"b\":{\"c\":2}}", NULL);
    check_diff("{}", "{}", NULL);
    check_diff("[1,2]", "[1,2]", NULL);
    check_diff("{\"a\":1,\"b\":{\"c\":2,\"d\":3}}", "{\"a\":1,\"b\":{\"c\":2,\"d\":4},\"e\":[1]}",
               "{\"b\":{\"d\":4},\"e\":[1]}");
    check_diff("{\"a\":1,\"b\":2}", "{\"a\":1}", "{\"b\":null}");
    check_diff("{\"a\":{\"x\":1}}", "{\"a\":5}", "{\"a\":5}");
    check_diff("{\"a\":5}", "{\"a\":{\"x\":1}}", "{\"a\":{\"x\":1}}");
    check_diff("{\"a\":[1,2]}", "{\"a\":[1,3]}", "{\"a\":[1,3]}");
    check_diff("{\"a\":1}", "{\"a\":1.0}", "{\"a\":1.0}"); /* integer vs real differ */
    check_diff("1", "2", "2");
    check_diff("{\"a\":1}", "[1]", "[1]");
    check_diff("{\"a\":{\"b\":{\"c\":1,\"d\":2},\"e\":3}}", "{\"a\":{\"b\":{\"c\":1},\"e\":3}}",
               "{\"a\":{\"b\":{\"d\":null}}}");
    /* state-like documents: a hall topic between two ticks */
    check_diff("{\"day\":\"2026-11-22\",\"kpi\":{\"waiting\":12,\"served\":40,\"sl\":0.9},"
               "\"windows\":{\"A01\":{\"status\":\"serving\",\"staff\":\"W1\",\"ticket\":\"A023\","
               "\"since\":\"2026-11-22T09:12:33.120+08:00\"},\"A02\":{\"status\":\"closed\"}},"
               "\"reviews\":[{\"level\":5},{\"level\":1}]}",
               "{\"day\":\"2026-11-22\",\"kpi\":{\"waiting\":11,\"served\":41},"
               "\"windows\":{\"A01\":{\"status\":\"open\",\"staff\":\"W1\","
               "\"since\":\"2026-11-22T09:20:00.000+08:00\"},\"A02\":{\"status\":\"closed\"},"
               "\"A03\":{\"status\":\"paused\",\"staff\":\"W7\"}},"
               "\"reviews\":[{\"level\":4},{\"level\":5},{\"level\":1}]}",
               "{\"kpi\":{\"waiting\":11,\"served\":41,\"sl\":null},"
               "\"windows\":{\"A01\":{\"status\":\"open\",\"ticket\":null,"
               "\"since\":\"2026-11-22T09:20:00.000+08:00\"},"
               "\"A03\":{\"status\":\"paused\",\"staff\":\"W7\"}},"
               "\"reviews\":[{\"level\":4},{\"level\":5},{\"level\":1}]}");
    check_diff("{\"halls\":{\"LH-00\":{\"kpi\":{\"a\":{\"b\":{\"c\":1}}}}}}",
               "{\"halls\":{\"LH-00\":{\"kpi\":{\"a\":{\"b\":{\"c\":2,\"d\":[]}}}},\"LH-01\":{}}}",
               "{\"halls\":{\"LH-00\":{\"kpi\":{\"a\":{\"b\":{\"c\":2,\"d\":[]}}}},\"LH-01\":{}}}");
}

static const char *const compose_targets[] = {
    "{}",
    "null",
    "[1]",
    "{\"a\":{\"y\":2}}",
    "{\"a\":7,\"b\":{\"c\":1}}",
    "{\"a\":{\"x\":0,\"y\":1,\"z\":2},\"b\":[1]}",
    "{\"h\":{\"k\":{\"w\":0,\"q\":9},\"d\":1,\"e\":{\"f\":1}}}",
};

/* compose(p1, p2) == want, and applying it to every target equals applying p1 then p2 */
static void check_compose(const char *p1, const char *p2, const char *want)
{
    json_t *a = J(p1), *b = J(p2), *a_copy = J(p1), *b_copy = J(p2);
    json_t *c = mp_compose(a, b);
    assert_json(c, want);
    assert_true(json_equal(a, a_copy));
    assert_true(json_equal(b, b_copy));
    for (size_t i = 0; i < sizeof compose_targets / sizeof compose_targets[0]; i++) {
        json_t *seq = mp_apply(mp_apply(J(compose_targets[i]), a), b);
        json_t *one = mp_apply(J(compose_targets[i]), c);
        if (!json_equal(seq, one))
            fail_msg("compose(%s, %s) differs on target %s", p1, p2, compose_targets[i]);
        json_decref(seq);
        json_decref(one);
    }
    json_decref(c);
    json_decref(a);
    json_decref(b);
    json_decref(a_copy);
    json_decref(b_copy);
}

static void test_compose(void **state)
{
    (void)state;
    check_compose("{\"a\":1}", "{\"b\":2}", "{\"a\":1,\"b\":2}");
    check_compose("{\"a\":1}", "{\"a\":null}", "{\"a\":null}");
    check_compose("{\"a\":null}", "{\"a\":3}", "{\"a\":3}");      /* deleted, re-added */
    check_compose("{\"a\":{\"x\":1}}", "{\"a\":5}", "{\"a\":5}"); /* object -> scalar */
    check_compose("{\"a\":{\"x\":1,\"y\":null}}", "{\"a\":{\"y\":2,\"z\":null}}",
                  "{\"a\":{\"x\":1,\"y\":2,\"z\":null}}");
    check_compose("{\"h\":{\"k\":{\"w\":1},\"d\":null}}", "{\"h\":{\"k\":{\"v\":2},\"e\":3}}",
                  "{\"h\":{\"k\":{\"w\":1,\"v\":2},\"d\":null,\"e\":3}}");
    check_compose("{\"a\":[1,2]}", "{\"a\":[3]}", "{\"a\":[3]}");
    check_compose("{\"a\":1}", "[1]", "[1]");
    check_compose("{\"a\":1}", "null", "null");
    check_compose("[1]", "\"s\"", "\"s\"");
    check_compose("{\"a\":1,\"b\":{\"c\":null}}", "{}", "{\"a\":1,\"b\":{\"c\":null}}");
    check_compose("{}", "{\"a\":1,\"b\":{\"c\":null}}", "{\"a\":1,\"b\":{\"c\":null}}");
    /* deleted, re-added, deleted again */
    check_compose("{\"a\":null}", "{\"a\":null}", "{\"a\":null}");
    check_compose("{\"a\":{\"x\":1}}", "{\"a\":{\"x\":null}}", "{\"a\":{\"x\":null}}");
}

/* Cases with no single-patch equivalent: after p1 the member is a non-object, p2 then sets an
 * object, and a target that already holds an object there would keep its other members. */
static void check_no_compose(const char *p1, const char *p2, const char *target,
                             const char *sequential)
{
    json_t *a = J(p1), *b = J(p2);
    json_t *c = mp_compose(a, b);
    if (c) fail_msg("compose(%s, %s) = %s, want NULL", p1, p2, json_dumps(c, JSON_ENCODE_ANY));
    json_t *seq = mp_apply(mp_apply(J(target), a), b);
    assert_json(seq, sequential);
    /* p2 alone (what merging the two into one patch gives) is wrong on this target */
    json_t *naive = mp_apply(J(target), b);
    assert_false(json_equal(naive, seq));
    json_decref(naive);
    json_decref(seq);
    json_decref(a);
    json_decref(b);
}

static void test_compose_not_representable(void **state)
{
    (void)state;
    /* key deleted, then re-added as an object */
    check_no_compose("{\"a\":null}", "{\"a\":{\"x\":1}}", "{\"a\":{\"y\":2}}", "{\"a\":{\"x\":1}}");
    /* object replaced by a scalar and back by an object */
    check_no_compose("{\"a\":5}", "{\"a\":{\"x\":1}}", "{\"a\":{\"y\":2}}", "{\"a\":{\"x\":1}}");
    check_no_compose("{\"h\":{\"w\":{\"A01\":null}}}", "{\"h\":{\"w\":{\"A01\":{\"s\":\"open\"}}}}",
                     "{\"h\":{\"w\":{\"A01\":{\"s\":\"serving\",\"t\":\"A023\"}}}}",
                     "{\"h\":{\"w\":{\"A01\":{\"s\":\"open\"}}}}");
    check_no_compose("[1]", "{\"x\":1}", "{\"y\":2}", "{\"x\":1}");
}

/* ---- randomised: documents without nulls, like the hub's state ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static json_t *random_value(int depth);

static json_t *random_object(int depth)
{
    static const char *const keys[] = {"a", "b", "c", "d"};
    json_t *o = json_object();
    for (int i = 0; i < 4; i++) {
        if (rnd(3) != 0) json_object_set_new(o, keys[i], random_value(depth + 1));
    }
    return o;
}

static json_t *random_value(int depth)
{
    unsigned k = rnd(depth >= 3 ? 3 : 5);
    switch (k) {
    case 0:
        return json_integer(rnd(3));
    case 1:
        return json_string(rnd(2) ? "x" : "y");
    case 2:
        return rnd(2) ? json_true() : json_pack("[i]", (int)rnd(2));
    default:
        return random_object(depth);
    }
}

/* Some path where p1 holds a non-object and p2 an object (what makes compose impossible). */
static bool clash(json_t *p1, json_t *p2)
{
    if (!json_is_object(p2)) return false;
    if (!json_is_object(p1)) return true;
    const char *k;
    json_t *v;
    json_object_foreach(p2, k, v)
    {
        json_t *f = json_object_get(p1, k);
        if (f && !json_is_null(v) && clash(f, v)) return true;
    }
    return false;
}

static void test_random_roundtrip_and_compose(void **state)
{
    (void)state;
    int composed = 0, refused = 0;
    for (int iter = 0; iter < 3000; iter++) {
        json_t *s0 = random_object(0), *s1 = random_object(0), *s2 = random_object(0);
        json_t *t = random_object(0);
        json_t *p1 = mp_diff(s0, s1), *p2 = mp_diff(s1, s2);
        json_t *r1 = p1 ? mp_apply(json_deep_copy(s0), p1) : json_deep_copy(s0);
        assert_true(json_equal(r1, s1));
        json_decref(r1);
        if (p1 && p2) {
            json_t *c = mp_compose(p1, p2);
            if (c) {
                composed++;
                assert_false(clash(p1, p2));
                json_t *r = mp_apply(json_deep_copy(s0), c);
                assert_true(json_equal(r, s2));
                json_t *seq = mp_apply(mp_apply(json_deep_copy(t), p1), p2);
                json_t *one = mp_apply(json_deep_copy(t), c);
                assert_true(json_equal(seq, one));
                json_decref(r);
                json_decref(seq);
                json_decref(one);
                json_decref(c);
            } else {
                refused++;
                assert_true(clash(p1, p2));
            }
        }
        json_decref(p1);
        json_decref(p2);
        json_decref(s0);
        json_decref(s1);
        json_decref(s2);
        json_decref(t);
    }
    assert_true(composed > 1000);
    assert_true(refused > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7396_appendix_a),
        cmocka_unit_test(test_rfc7396_section3_example),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_compose),
        cmocka_unit_test(test_compose_not_representable),
        cmocka_unit_test(test_random_roundtrip_and_compose),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
