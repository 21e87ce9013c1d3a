/* test_msgbuf: a WebSocket message gathered from its fragments (common/msgbuf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "msgbuf.h"

static void test_fragments_make_one_message(void **st)
{
    (void)st;
    cw_msgbuf m = {0};
    assert_int_equal(cw_msgbuf_add(&m, true, false, "{\"op\":", 6, 0), CW_MSG_MORE);
    assert_int_equal(cw_msgbuf_add(&m, false, false, "\"ping\"", 6, 0), CW_MSG_MORE);
    assert_int_equal(cw_msgbuf_add(&m, false, true, "}", 1, 0), CW_MSG_DONE);
    assert_int_equal(m.len, 13); /* 6 + 6 + 1 */
    assert_string_equal(m.buf, "{\"op\":\"ping\"}");
    /* the next message's first fragment starts over */
    assert_int_equal(cw_msgbuf_add(&m, true, true, "x", 1, 0), CW_MSG_DONE);
    assert_string_equal(m.buf, "x");
    /* an empty message is a message */
    assert_int_equal(cw_msgbuf_add(&m, true, true, NULL, 0, 0), CW_MSG_DONE);
    assert_int_equal(m.len, 0);
    assert_string_equal(m.buf, "");
    cw_msgbuf_free(&m);
    assert_null(m.buf);
}

static void test_limit_and_growth(void **st)
{
    (void)st;
    cw_msgbuf m = {0};
    /* limit 8: 5 + 3 fits exactly, one more byte does not, and nothing of it is kept */
    assert_int_equal(cw_msgbuf_add(&m, true, false, "12345", 5, 8), CW_MSG_MORE);
    assert_int_equal(cw_msgbuf_add(&m, false, false, "678", 3, 8), CW_MSG_MORE);
    assert_int_equal(cw_msgbuf_add(&m, false, true, "9", 1, 8), CW_MSG_TOO_BIG);
    assert_int_equal(m.len, 8);
    /* 100 fragments of 1,000 bytes: 100,000 bytes, grown past the first 4 KiB */
    char chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    for (int i = 0; i < 100; i++)
        assert_int_equal(cw_msgbuf_add(&m, i == 0, i == 99, chunk, sizeof chunk, 0),
                         i == 99 ? CW_MSG_DONE : CW_MSG_MORE);
    assert_int_equal(m.len, 100000);
    assert_true(m.cap > 100000);
    assert_int_equal(m.buf[99999], 'a');
    assert_int_equal(m.buf[100000], '\0');
    cw_msgbuf_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fragments_make_one_message),
        cmocka_unit_test(test_limit_and_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
