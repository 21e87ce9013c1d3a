/* test_http_framing: request body framing and the chunked decoder (server/http_framing.c).
 * Every expected value below was decided from RFC 9112 §6 and §7.1 by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "http_framing.h"

static int decide(bool body_method, int ncl, const char *cl, const char *te, bool ws,
                  http_framing *fr)
{
    char err[200] = "";
    http_framing_in in = {.body_method = body_method,
                          .n_content_length = ncl,
                          .content_length = cl,
                          .transfer_encoding = te,
                          .ws_before_colon = ws};
    int rc = http_framing_decide(&in, fr, err, sizeof err);
    if (rc) assert_true(strlen(err) > 10); /* a refusal says why */
    return rc;
}

static void test_framing_accepted(void **state)
{
    (void)state;
    http_framing fr;
    assert_int_equal(decide(true, 1, "1042", NULL, false, &fr), 0);
    assert_int_equal(fr.kind, HTTP_FRAME_LENGTH);
    assert_int_equal(fr.length, 1042);
    assert_int_equal(decide(true, 1, "0", NULL, false, &fr), 0);
    assert_int_equal(fr.kind, HTTP_FRAME_NONE);
    assert_int_equal(decide(true, 0, NULL, "chunked", false, &fr), 0);
    assert_int_equal(fr.kind, HTTP_FRAME_CHUNKED);
    assert_int_equal(decide(true, 0, NULL, " Chunked ", false, &fr), 0);
    assert_int_equal(fr.kind, HTTP_FRAME_CHUNKED);
    /* a GET with no body, or with an explicit empty one */
    assert_int_equal(decide(false, 0, NULL, NULL, false, &fr), 0);
    assert_int_equal(fr.kind, HTTP_FRAME_NONE);
    assert_int_equal(decide(false, 1, "0", NULL, false, &fr), 0);
    assert_int_equal(fr.kind, HTTP_FRAME_NONE);
}

static void test_framing_refused(void **state)
{
    (void)state;
    http_framing fr;
    /* the smuggling shapes of issue 11 */
    assert_int_equal(decide(true, 2, "2", NULL, false, &fr), 400);                /* CL twice */
    assert_int_equal(decide(true, 1, "2", "chunked, identity", false, &fr), 400); /* TE+CL */
    assert_int_equal(decide(true, 1, "2", NULL, true, &fr), 400);       /* "Transfer-Encoding :" */
    assert_int_equal(decide(true, 1, "2", "chunked", false, &fr), 400); /* TE+CL */
    /* codings the hub does not decode */
    assert_int_equal(decide(true, 0, NULL, "chunked, identity", false, &fr), 501);
    assert_int_equal(decide(true, 0, NULL, "gzip, chunked", false, &fr), 501);
    assert_int_equal(decide(true, 0, NULL, "identity", false, &fr), 501);
    assert_int_equal(decide(true, 0, NULL, "chunkedx", false, &fr), 501);
    /* lengths that are not plain decimal numbers */
    assert_int_equal(decide(true, 1, "+2", NULL, false, &fr), 400);
    assert_int_equal(decide(true, 1, "-1", NULL, false, &fr), 400);
    assert_int_equal(decide(true, 1, "2,  40", NULL, false, &fr), 400);
    assert_int_equal(decide(true, 1, "0x10", NULL, false, &fr), 400);
    assert_int_equal(decide(true, 1, "", NULL, false, &fr), 400);
    assert_int_equal(decide(true, 1, "1000000000000000", NULL, false, &fr), 400); /* 16 digits */
    /* a body method with no length at all */
    assert_int_equal(decide(true, 0, NULL, NULL, false, &fr), 411);
    /* DELETE may carry a framed body (read, then ignored), and needs no length */
    http_framing_in del = {.body_optional = true, .n_content_length = 1, .content_length = "2"};
    char err[200];
    assert_int_equal(http_framing_decide(&del, &fr, err, sizeof err), 0);
    assert_int_equal(fr.kind, HTTP_FRAME_LENGTH);
    del.n_content_length = 0;
    assert_int_equal(http_framing_decide(&del, &fr, err, sizeof err), 0);
    assert_int_equal(fr.kind, HTTP_FRAME_NONE);
    /* a body on a method that takes none */
    assert_int_equal(decide(false, 1, "5", NULL, false, &fr), 400);
    assert_int_equal(decide(false, 0, NULL, "chunked", false, &fr), 400);
}

/* Feeds text in pieces of `step` bytes; returns the last result. */
static int feed_all(http_chunked *d, const char *text, size_t step, char *err)
{
    size_t n = strlen(text), i = 0;
    int rc = HTTP_CHUNKED_MORE;
    while (i < n && rc == HTTP_CHUNKED_MORE) {
        size_t k = n - i < step ? n - i : step, used = 0;
        rc = http_chunked_feed(d, text + i, k, &used, err, 160);
        i += used;
    }
    return rc;
}

static void test_chunked_decodes_in_any_pieces(void **state)
{
    (void)state;
    /* "[{"a":1}]" in chunks of 3, 4 and 2 bytes, an extension, a trailer; then bytes after */
    const char *wire = "3\r\n[{\"\r\n4;ext=1\r\na\":1\r\n2\r\n}]\r\n0\r\nX-T: 1\r\n\r\nGET /";
    for (size_t step = 1; step <= strlen(wire); step++) {
        http_chunked d;
        char err[160];
        http_chunked_init(&d, 1000);
        size_t n = strlen(wire), i = 0, used = 0;
        int rc = HTTP_CHUNKED_MORE;
        while (i < n && rc == HTTP_CHUNKED_MORE) {
            size_t k = n - i < step ? n - i : step;
            rc = http_chunked_feed(&d, wire + i, k, &used, err, sizeof err);
            i += used;
        }
        assert_int_equal(rc, HTTP_CHUNKED_DONE);
        assert_int_equal(i, n - 5); /* "GET /" is not part of the body */
        size_t len;
        char *body = http_chunked_take(&d, &len);
        assert_int_equal(len, 9);
        assert_string_equal(body, "[{\"a\":1}]");
        free(body);
        http_chunked_free(&d);
    }
    /* an empty body: just the last chunk */
    http_chunked d;
    char err[160];
    http_chunked_init(&d, 10);
    assert_int_equal(feed_all(&d, "0\r\n\r\n", 1, err), HTTP_CHUNKED_DONE);
    size_t len;
    char *body = http_chunked_take(&d, &len);
    assert_int_equal(len, 0);
    assert_string_equal(body, "");
    free(body);
    /* upper-case hex: 0x1A = 26 bytes */
    http_chunked_init(&d, 100);
    assert_int_equal(feed_all(&d, "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n", 5, err),
                     HTTP_CHUNKED_DONE);
    body = http_chunked_take(&d, &len);
    assert_int_equal(len, 26);
    free(body);
}

static void test_chunked_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "x\r\n",                /* no hex digit */
        "3\nabc\r\n0\r\n\r\n",  /* bare LF after the size */
        "3\r\nabcd\r\n",        /* data longer than its size */
        "3\r\nabc\n0\r\n\r\n",  /* bare LF after the data */
        "0\r\n\n",              /* bare LF at the end */
        "0\r\nX: 1\n\r\n",      /* bare LF in a trailer */
        "1000000000000000\r\n", /* 16 hex digits */
        "-1\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        http_chunked d;
        char err[160] = "";
        http_chunked_init(&d, 1 << 20);
        assert_int_equal(feed_all(&d, bad[i], 2, err), HTTP_CHUNKED_BAD);
        assert_non_null(strstr(err, "chunked body"));
        /* and it stays refused */
        assert_int_equal(http_chunked_feed(&d, "0\r\n\r\n", 5, NULL, err, sizeof err),
                         HTTP_CHUNKED_BAD);
        http_chunked_free(&d);
    }
    /* over the limit: 10 bytes allowed, a 16-byte chunk is refused before its data */
    http_chunked d;
    char err[160];
    http_chunked_init(&d, 10);
    assert_int_equal(feed_all(&d, "10\r\n", 4, err), HTTP_CHUNKED_TOO_BIG);
    http_chunked_free(&d);
    /* ... and so are two chunks of 6 */
    http_chunked_init(&d, 10);
    assert_int_equal(feed_all(&d, "6\r\nabcdef\r\n6\r\n", 100, err), HTTP_CHUNKED_TOO_BIG);
    http_chunked_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing_accepted),
        cmocka_unit_test(test_framing_refused),
        cmocka_unit_test(test_chunked_decodes_in_any_pieces),
        cmocka_unit_test(test_chunked_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
