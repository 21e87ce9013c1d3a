/* Unit tests for cwfmt: durations for people, against the shared table of vectors
 * tests/fixtures/durations.json (the dashboard's fmt.js dur() is tested against the same file
 * in tests/web/test_firstrun.mjs). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwfmt.h"

static void test_vectors(void **state)
{
    (void)state;
    const char *src = getenv("CW_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/durations.json", src ? src : ".");
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) fail_msg("%s:%d: %s", path, je.line, je.text);
    json_t *vs = json_object_get(doc, "vectors");
    assert_true(json_array_size(vs) >= 20);
    size_t i;
    json_t *v;
    json_array_foreach(vs, i, v)
    {
        json_t *js = json_object_get(v, "s");
        double s = json_is_null(js) ? NAN : json_number_value(js);
        const char *want[2] = {json_string_value(json_object_get(v, "zh")),
                               json_string_value(json_object_get(v, "en"))};
        for (int lang = 0; lang < 2; lang++) {
            char out[64];
            cwfmt_duration(s, (cwfmt_lang)lang, out, sizeof out);
            assert_non_null(want[lang]);
            if (strcmp(out, want[lang]) != 0)
                fail_msg("vector %zu: cwfmt_duration(%g, %s) = \"%s\", want \"%s\"", i, s,
                         lang ? "en" : "zh", out, want[lang]);
        }
    }
    json_decref(doc);
}

static void test_truncates_safely(void **state)
{
    (void)state;
    char out[6];
    cwfmt_duration(12573, CWFMT_ZH, out, sizeof out); /* "3小时29分" does not fit */
    assert_string_equal(out, "3小");                  /* cut at a character, never inside one */
    assert_string_equal(cwfmt_duration(7, CWFMT_EN, out, sizeof out), "7 s");
    char big[64];
    /* absurd inputs stay defined: 1e300 s is clamped to 1e15 s = 11574074074 days */
    assert_string_equal(cwfmt_duration(1e300, CWFMT_EN, big, sizeof big), "11574074074 d 1 h");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_truncates_safely),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
