/* test_ingest_parse: ingest_parse keeps each batch element's original bytes (server/ingest.c),
 * and anything unusual gets the ordinary whole-text parse with its usual error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingest.h"

static void test_spans_of_objects(void **state)
{
    (void)state;
    /* offsets counted by hand: '[' at 0, ' ' at 1, the first object at 2..8 (7 bytes), " , "
     * at 9..11, the second at 12..30 (19 bytes, a '}' inside a string included), "\n]\n" */
    const char *b = "[ {\"a\":1} , {\"b\":[1,2],\"c\":\"}\"}\n]\n";
    ingest_span *sp = NULL;
    json_error_t e;
    json_t *root = ingest_parse(b, strlen(b), &sp, &e);
    assert_non_null(root);
    assert_non_null(sp);
    assert_int_equal(json_array_size(root), 2);
    assert_int_equal(sp[0].off, 2);
    assert_int_equal(sp[0].len, 7);
    assert_memory_equal(b + sp[0].off, "{\"a\":1}", 7);
    assert_int_equal(sp[1].off, 12);
    assert_int_equal(sp[1].len, 19);
    assert_memory_equal(b + sp[1].off, "{\"b\":[1,2],\"c\":\"}\"}", 19);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(root, 0), "a")), 1);
    free(sp);
    json_decref(root);
}

static void test_ordinary_parse_otherwise(void **state)
{
    (void)state;
    ingest_span *sp = (ingest_span *)1;
    json_error_t e;
    /* a non-object element: parsed whole, no spans */
    json_t *root = ingest_parse("[{\"a\":1}, 2]", 12, &sp, &e);
    assert_non_null(root);
    assert_null(sp);
    assert_int_equal(json_array_size(root), 2);
    json_decref(root);
    /* one event object (a WebSocket message may be one): no spans */
    root = ingest_parse("{\"a\":1}", 7, &sp, &e);
    assert_non_null(root);
    assert_null(sp);
    json_decref(root);
    /* an empty batch */
    root = ingest_parse(" [ ] ", 5, &sp, &e);
    assert_non_null(root);
    assert_int_equal(json_array_size(root), 0);
    free(sp);
    json_decref(root);
    /* trailing bytes after the array: jansson's own error, as before */
    root = ingest_parse("[{\"a\":1}] x", 11, &sp, &e);
    assert_null(root);
    assert_null(sp);
    assert_string_equal(e.text, "end of file expected near 'x'");
    /* a missing comma between elements */
    root = ingest_parse("[{\"a\":1} {\"b\":2}]", 17, &sp, &e);
    assert_null(root);
    assert_null(sp);
    assert_int_equal(e.column, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spans_of_objects),
        cmocka_unit_test(test_ordinary_parse_otherwise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
