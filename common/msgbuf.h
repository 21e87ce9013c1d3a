/* msgbuf: a message assembled from the fragments a WebSocket delivers (lws hands a message
 * over in pieces: its first fragment, more, the final one). The one growable buffer behind the
 * hub's /live and /ingest, the wall's hub client and the bench's clients.
 *
 * Not thread-safe: one buffer per connection, used by the thread that receives for it. */
#ifndef CW_MSGBUF_H
#define CW_MSGBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cw_msgbuf {
    char *buf;  /* owned; NUL-terminated after len bytes once anything was added */
    size_t len; /* bytes of the message so far */
    size_t cap;
} cw_msgbuf;

enum {
    CW_MSG_MORE = 0,     /* more fragments to come */
    CW_MSG_DONE = 1,     /* the whole message is in buf[0..len) */
    CW_MSG_TOO_BIG = -1, /* it would exceed the limit: nothing added */
    CW_MSG_NOMEM = -2
};

/* Add the n bytes of a received fragment. first: it starts a message (what came before is
 * dropped); last: the message ends with it. limit: the largest message in bytes (0: none).
 * Returns one of the CW_MSG_* values above. */
int cw_msgbuf_add(cw_msgbuf *m, bool first, bool last, const void *in, size_t n, size_t limit);
void cw_msgbuf_free(cw_msgbuf *m);

#endif
