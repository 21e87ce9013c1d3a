/* http_framing: request body framing and the chunked decoder. See http_framing.h. */
#include "http_framing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CL_MAX_DIGITS 15 /* 10^15 bytes: far above any limit, far below INT64_MAX */

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* The Transfer-Encoding value is exactly the token "chunked" (case-insensitive, optional white
 * space around it). A list ("chunked, identity", "gzip, chunked") is refused: the hub decodes
 * no other coding, and a proxy may honour a coding the hub would ignore. */
static bool te_is_chunked(const char *te)
{
    while (is_ows(*te))
        te++;
    if (strncasecmp(te, "chunked", 7) != 0) return false;
    te += 7;
    while (is_ows(*te))
        te++;
    return *te == 0;
}

int http_framing_decide(const http_framing_in *in, http_framing *out, char *err, size_t errlen)
{
    out->kind = HTTP_FRAME_NONE;
    out->length = 0;
    if (in->ws_before_colon) {
        snprintf(err, errlen,
                 "white space between a header name and its colon "
                 "(Transfer-Encoding or Content-Length) is not allowed");
        return 400;
    }
    bool has_te = in->transfer_encoding != NULL;
    if (has_te && in->n_content_length > 0) {
        snprintf(err, errlen,
                 "both Transfer-Encoding and Content-Length: the body's length "
                 "is ambiguous");
        return 400;
    }
    if (in->n_content_length > 1) {
        snprintf(err, errlen, "Content-Length given %d times", in->n_content_length);
        return 400;
    }
    if (has_te) {
        if (!te_is_chunked(in->transfer_encoding)) {
            char shown[48];
            size_t k = 0;
            for (const char *c = in->transfer_encoding; *c && k < sizeof(shown) - 1; c++)
                shown[k++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
            shown[k] = 0;
            snprintf(err, errlen,
                     "Transfer-Encoding \"%s\" not supported: send Content-Length or "
                     "Transfer-Encoding: chunked",
                     shown);
            return 501;
        }
        if (!in->body_method && !in->body_optional) {
            snprintf(err, errlen, "this method takes no request body");
            return 400;
        }
        out->kind = HTTP_FRAME_CHUNKED;
        return 0;
    }
    if (in->n_content_length == 1) {
        const char *v = in->content_length ? in->content_length : "";
        while (is_ows(*v))
            v++;
        int64_t n = 0;
        int digits = 0;
        for (; *v >= '0' && *v <= '9'; v++, digits++) {
            if (digits == CL_MAX_DIGITS) break;
            n = n * 10 + (*v - '0');
        }
        while (is_ows(*v))
            v++;
        if (digits == 0 || digits >= CL_MAX_DIGITS || *v) {
            snprintf(err, errlen, "Content-Length is not a decimal number of bytes");
            return 400;
        }
        if (n > 0 && !in->body_method && !in->body_optional) {
            snprintf(err, errlen, "this method takes no request body");
            return 400;
        }
        out->kind = n > 0 ? HTTP_FRAME_LENGTH : HTTP_FRAME_NONE;
        out->length = n;
        return 0;
    }
    if (in->body_method) {
        snprintf(err, errlen, "a request body needs Content-Length or Transfer-Encoding: chunked");
        return 411;
    }
    return 0;
}

/* ---- chunked decoder --------------------------------------------------------------------- */

enum {
    CH_SIZE,       /* hex digits of a chunk size */
    CH_EXT,        /* after the size: extensions up to CR */
    CH_SIZE_LF,    /* LF ending the size line */
    CH_DATA,       /* chunk data */
    CH_DATA_CR,    /* CR after the data */
    CH_DATA_LF,    /* LF after the data */
    CH_TRAILER,    /* start of a trailer line, or the final CRLF */
    CH_TRAILER_LN, /* inside a trailer line */
    CH_TRAILER_LF, /* LF ending a trailer line */
    CH_FINAL_LF,   /* LF of the final CRLF */
    CH_DONE,
    CH_ERR, /* malformed: every later feed says so again */
};

#define CH_MAX_LINE 4096 /* the longest extension or trailer line accepted */
#define CH_MAX_DIGITS 15

void http_chunked_init(http_chunked *d, size_t limit)
{
    memset(d, 0, sizeof(*d));
    d->state = CH_SIZE;
    d->limit = limit;
}

void http_chunked_free(http_chunked *d)
{
    free(d->body);
    d->body = NULL;
    d->len = d->cap = 0;
}

char *http_chunked_take(http_chunked *d, size_t *len)
{
    char *b = d->body;
    if (!b) b = calloc(1, 1);
    *len = d->len;
    d->body = NULL;
    d->len = d->cap = 0;
    return b;
}

static int append(http_chunked *d, const char *p, size_t n)
{
    if (d->len + n + 1 > d->cap) {
        size_t nc = d->cap ? d->cap : 4096;
        while (nc < d->len + n + 1)
            nc *= 2;
        char *nb = realloc(d->body, nc);
        if (!nb) return -1;
        d->body = nb;
        d->cap = nc;
    }
    memcpy(d->body + d->len, p, n);
    d->len += n;
    d->body[d->len] = 0;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int bad(http_chunked *d, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "chunked body: %s", what);
    d->state = CH_ERR;
    return HTTP_CHUNKED_BAD;
}

int http_chunked_feed(http_chunked *d, const char *in, size_t len, size_t *used, char *err,
                      size_t errlen)
{
    size_t i = 0;
    int rc = HTTP_CHUNKED_MORE;
    while (i < len && rc == HTTP_CHUNKED_MORE) {
        char c = in[i];
        switch (d->state) {
        case CH_SIZE: {
            int h = hexval(c);
            if (h >= 0) {
                if (++d->digits > CH_MAX_DIGITS) return bad(d, err, errlen, "chunk size too long");
                d->remain = d->remain * 16 + (uint64_t)h;
                i++;
                break;
            }
            if (d->digits == 0) return bad(d, err, errlen, "chunk size is not hexadecimal");
            if (c == '\r')
                d->state = CH_SIZE_LF;
            else if (c == ';' || c == ' ' || c == '\t')
                d->state = CH_EXT;
            else
                return bad(d, err, errlen, "chunk size is not hexadecimal");
            d->line = 0;
            i++;
            break;
        }
        case CH_EXT:
            if (c == '\r')
                d->state = CH_SIZE_LF;
            else if (c == '\n')
                return bad(d, err, errlen, "bare LF in a chunk size line");
            else if (++d->line > CH_MAX_LINE)
                return bad(d, err, errlen, "chunk extension too long");
            i++;
            break;
        case CH_SIZE_LF:
            if (c != '\n') return bad(d, err, errlen, "chunk size line not ended by CRLF");
            i++;
            if (d->remain == 0) {
                d->state = CH_TRAILER;
            } else {
                if (d->remain > d->limit || d->len + d->remain > d->limit) {
                    d->state = CH_ERR;
                    return HTTP_CHUNKED_TOO_BIG;
                }
                d->state = CH_DATA;
            }
            d->digits = 0;
            break;
        case CH_DATA: {
            size_t n = len - i;
            if (n > d->remain) n = (size_t)d->remain;
            if (append(d, in + i, n) < 0) return HTTP_CHUNKED_NOMEM;
            d->remain -= n;
            i += n;
            if (d->remain == 0) d->state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
            if (c != '\r') return bad(d, err, errlen, "chunk data longer than its size");
            d->state = CH_DATA_LF;
            i++;
            break;
        case CH_DATA_LF:
            if (c != '\n') return bad(d, err, errlen, "chunk data not ended by CRLF");
            d->state = CH_SIZE;
            i++;
            break;
        case CH_TRAILER:
            if (c == '\r')
                d->state = CH_FINAL_LF;
            else if (c == '\n')
                return bad(d, err, errlen, "bare LF after the last chunk");
            else {
                d->state = CH_TRAILER_LN;
                d->line = 1;
            }
            i++;
            break;
        case CH_TRAILER_LN:
            if (c == '\r')
                d->state = CH_TRAILER_LF;
            else if (c == '\n')
                return bad(d, err, errlen, "bare LF in a trailer line");
            else if (++d->line > CH_MAX_LINE)
                return bad(d, err, errlen, "trailer line too long");
            i++;
            break;
        case CH_TRAILER_LF:
            if (c != '\n') return bad(d, err, errlen, "trailer line not ended by CRLF");
            d->state = CH_TRAILER;
            i++;
            break;
        case CH_FINAL_LF:
            if (c != '\n') return bad(d, err, errlen, "chunked body not ended by CRLF");
            d->state = CH_DONE;
            i++;
            if (!d->body && append(d, "", 0) < 0) return HTTP_CHUNKED_NOMEM;
            rc = HTTP_CHUNKED_DONE;
            break;
        case CH_ERR:
            return bad(d, err, errlen, "malformed earlier");
        default: /* CH_DONE: nothing more is read */
            rc = HTTP_CHUNKED_DONE;
            break;
        }
    }
    if (used) *used = i;
    if (d->state == CH_DONE && rc == HTTP_CHUNKED_MORE) rc = HTTP_CHUNKED_DONE;
    return rc;
}
