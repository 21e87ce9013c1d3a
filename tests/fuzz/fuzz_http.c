/* fuzz_http: libFuzzer target for HTTP request framing and the chunked decoder
 * (server/http_framing.c).
 *
 * Input: byte 0's bits pick the method kind (body method or not), whether white space stood
 * before a framing header's colon, and how many Content-Length lines there were (0..3); the
 * rest is split at the first NUL into a Content-Length value and a Transfer-Encoding value
 * (absent when empty), and what follows the second NUL is a chunked body fed in pieces whose
 * sizes come from byte 1. Besides the sanitizers the target aborts when a result breaks the
 * contract: an accepted framing that RFC 9112 calls ambiguous (two lengths, a length beside a
 * coding, white space before a colon), a refusal with no message or one that is not valid
 * UTF-8, a decoded body longer than its limit or longer than its input, a body after DONE that
 * is not NUL-terminated, or a decoder that reports consuming more than it was given. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "http_framing.h"

static void check(bool ok, const char *what)
{
    fuzz_check("fuzz_http", ok, what);
}

static void fuzz_framing(uint8_t flags, const char *cl, const char *te)
{
    http_framing_in in = {.body_method = flags & 1,
                          .ws_before_colon = (flags >> 1) & 1,
                          .n_content_length = (flags >> 2) & 3,
                          .content_length = ((flags >> 2) & 3) ? cl : NULL,
                          .transfer_encoding = te[0] ? te : NULL};
    http_framing fr;
    char err[200] = "";
    int rc = http_framing_decide(&in, &fr, err, sizeof err);
    if (rc) {
        check(rc == 400 || rc == 411 || rc == 501, "status is 400, 411 or 501");
        check(err[0] && fuzz_json_text(err), "refusal message is valid UTF-8");
        return;
    }
    check(!in.ws_before_colon, "white space before a colon refused");
    check(in.n_content_length <= 1, "two Content-Length refused");
    check(!(in.n_content_length && in.transfer_encoding), "length beside coding refused");
    if (fr.kind == HTTP_FRAME_CHUNKED) check(in.transfer_encoding != NULL, "chunked from TE");
    if (fr.kind == HTTP_FRAME_LENGTH) check(fr.length > 0, "a length frame has a length");
    if (!in.body_method) check(fr.kind == HTTP_FRAME_NONE, "no body on a bodiless method");
}

static void fuzz_chunked(uint8_t steps, const char *data, size_t len)
{
    size_t limit = 1 + (size_t)(steps & 0x3f) * 64;
    http_chunked d;
    http_chunked_init(&d, limit);
    char err[160];
    size_t i = 0, step = 1 + (steps >> 6) * 7;
    int rc = HTTP_CHUNKED_MORE;
    while (i < len && rc == HTTP_CHUNKED_MORE) {
        size_t k = len - i < step ? len - i : step, used = 0;
        err[0] = 0;
        rc = http_chunked_feed(&d, data + i, k, &used, err, sizeof err);
        check(used <= k, "consumed no more than given");
        i += used;
        if (rc == HTTP_CHUNKED_BAD) check(err[0] && fuzz_json_text(err), "message is UTF-8");
    }
    check(d.len <= limit, "decoded body within its limit");
    check(d.len <= len, "decoded body no longer than its input");
    if (rc == HTTP_CHUNKED_DONE) {
        size_t blen;
        char *body = http_chunked_take(&d, &blen);
        check(body && body[blen] == 0, "body NUL-terminated");
        free(body);
    }
    http_chunked_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data + 2, size - 2);
    text[size - 2] = 0;
    size_t n = size - 2;
    const char *cl = text;
    size_t cl_len = strlen(cl);
    const char *te = cl_len < n ? text + cl_len + 1 : "";
    size_t used = cl_len < n ? cl_len + 1 + strlen(te) + 1 : n;
    fuzz_framing(data[0], cl, te);
    if (used < n) fuzz_chunked(data[1], text + used, n - used);
    free(text);
    return 0;
}
