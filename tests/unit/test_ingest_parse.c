/* test_ingest_parse: ingest_parse reads a batch of objects with evscan (no tree; each element's
 * original bytes kept), and anything else gets jansson's whole-text parse with its usual
 * error (server/ingest.c). */
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
    ingest_body body;
    json_error_t e;
    assert_int_equal(ingest_parse(b, strlen(b), &body, &e), 0);
    assert_non_null(body.scan);
    assert_null(body.root);
    assert_int_equal(ingest_body_count(&body), 2);
    size_t off, len;
    evscan_span(body.scan, 0, &off, &len);
    assert_int_equal(off, 2);
    assert_int_equal(len, 7);
    evscan_span(body.scan, 1, &off, &len);
    assert_int_equal(off, 12);
    assert_int_equal(len, 19);
    assert_memory_equal(b + off, "{\"b\":[1,2],\"c\":\"}\"}", 19);
    ev_jval a;
    const ev_jval *e0 = evscan_event(body.scan, 0);
    e0->o.get(e0->o.obj, "a", &a);
    assert_int_equal(a.kind, EV_J_INTEGER);
    assert_int_equal(a.i, 1);
    ingest_body_free(&body);
    assert_null(body.scan);
}

static void test_ordinary_parse_otherwise(void **state)
{
    (void)state;
    ingest_body body;
    json_error_t e;
    /* a non-object element: jansson's tree */
    assert_int_equal(ingest_parse("[{\"a\":1}, 2]", 12, &body, &e), 0);
    assert_null(body.scan);
    assert_non_null(body.root);
    assert_int_equal(ingest_body_count(&body), 2);
    ingest_body_free(&body);
    /* one event object (a WebSocket message may be one): jansson's tree, one event */
    assert_int_equal(ingest_parse("{\"a\":1}", 7, &body, &e), 0);
    assert_true(json_is_object(body.root));
    assert_int_equal(ingest_body_count(&body), 1);
    ingest_body_free(&body);
    /* an escape sequence: a scan still, that element read by jansson (decoded) */
    assert_int_equal(ingest_parse("[{\"a\":\"x\\ty\"}]", 14, &body, &e), 0);
    assert_non_null(body.scan);
    ev_jval a;
    const ev_jval *e0 = evscan_event(body.scan, 0);
    e0->o.get(e0->o.obj, "a", &a);
    assert_string_equal(a.s, "x\ty");
    ingest_body_free(&body);
    /* an empty batch */
    assert_int_equal(ingest_parse(" [ ] ", 5, &body, &e), 0);
    assert_int_equal(ingest_body_count(&body), 0);
    ingest_body_free(&body);
    /* trailing bytes after the array: jansson's own error, as before */
    assert_int_equal(ingest_parse("[{\"a\":1}] x", 11, &body, &e), -1);
    assert_null(body.scan);
    assert_null(body.root);
    assert_string_equal(e.text, "end of file expected near 'x'");
    /* a missing comma between elements */
    assert_int_equal(ingest_parse("[{\"a\":1} {\"b\":2}]", 17, &body, &e), -1);
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
