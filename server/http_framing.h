/* http_framing: how an HTTP/1.1 request's body is delimited, decided before a byte of it is
 * read, and the chunked transfer coding decoded.
 *
 * libwebsockets 4.1.6 (Debian 12) frames request bodies loosely: it takes the first of two
 * Content-Length headers, ignores Transfer-Encoding on requests (a chunked body reaches the
 * protocol as raw chunk bytes, and a POST without a length is read as a 100 MiB body), and
 * keeps "Transfer-Encoding : chunked" (a space before the colon) as an unknown header. A proxy
 * in front that frames the same bytes differently would see another request than the hub does
 * (request smuggling). So the hub decides the framing itself from the parsed headers, refuses
 * every ambiguous form (RFC 9112 §6.1, §6.3) and de-chunks chunked bodies itself.
 *
 * Pure functions: no libwebsockets, no allocation but the decoder's output buffer. Fuzzed by
 * tests/fuzz/fuzz_http.c, unit-tested by tests/unit/test_http_framing.c.
 */
#ifndef CW_HTTP_FRAMING_H
#define CW_HTTP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the parsed request headers say about the body. */
typedef struct http_framing_in {
    bool body_method;              /* POST, PUT or PATCH: a method whose request carries a body */
    bool body_optional;            /* DELETE: a body is read (and ignored) when it is framed */
    int n_content_length;          /* Content-Length header lines */
    const char *content_length;    /* the first one's value (NULL when none) */
    const char *transfer_encoding; /* Transfer-Encoding value, all lines joined (NULL: none) */
    bool ws_before_colon;          /* Transfer-Encoding or Content-Length with white space
                                      between the name and the colon */
} http_framing_in;

typedef enum {
    HTTP_FRAME_NONE,    /* no body */
    HTTP_FRAME_LENGTH,  /* exactly http_framing.length bytes */
    HTTP_FRAME_CHUNKED, /* the chunked coding, ended by its last chunk */
} http_frame_kind;

typedef struct http_framing {
    http_frame_kind kind;
    int64_t length; /* HTTP_FRAME_LENGTH */
} http_framing;

/* Decides the framing of a request. Returns 0 and fills *out, or the HTTP status to answer
 * (400 ambiguous or malformed, 411 a body method with no length, 501 a transfer coding other
 * than chunked) with a message in err. A refused request's connection must be closed: its
 * bytes cannot be trusted to end where either reading says. */
int http_framing_decide(const http_framing_in *in, http_framing *out, char *err, size_t errlen);

/* Chunked-body decoder (RFC 9112 §7.1): chunk sizes in hex with optional extensions, data,
 * CRLF, the last chunk "0", optional trailer lines, the final CRLF. Bare LF is refused (a
 * proxy may read it otherwise). The decoded body goes to a buffer the decoder owns. */
typedef struct http_chunked {
    int state;
    uint64_t remain; /* data bytes left in the current chunk */
    int digits;      /* hex digits of the current size */
    size_t line;     /* bytes of the current extension or trailer line */
    char *body;      /* decoded body, NUL-terminated (owned; see http_chunked_take) */
    size_t len, cap;
    size_t limit; /* the most body bytes accepted */
} http_chunked;

enum {
    HTTP_CHUNKED_MORE = 0,     /* all input used, the body goes on */
    HTTP_CHUNKED_DONE = 1,     /* the body ended (input after its end is not used) */
    HTTP_CHUNKED_BAD = -1,     /* malformed: the message is in err */
    HTTP_CHUNKED_TOO_BIG = -2, /* the decoded body passed limit */
    HTTP_CHUNKED_NOMEM = -3,
};

void http_chunked_init(http_chunked *d, size_t limit);
/* Feeds len bytes. *used (may be NULL) gets how many were consumed. Returns HTTP_CHUNKED_*. */
int http_chunked_feed(http_chunked *d, const char *in, size_t len, size_t *used, char *err,
                      size_t errlen);
/* Hands the decoded body (NUL-terminated, never NULL after a DONE) to the caller, who frees it;
 * *len gets its length. The decoder is left empty. */
char *http_chunked_take(http_chunked *d, size_t *len);
void http_chunked_free(http_chunked *d);

#endif
