/* msgbuf: see msgbuf.h. */
#include "msgbuf.h"

#include <stdlib.h>
#include <string.h>

#define MSGBUF_FIRST_CAP 4096

int cw_msgbuf_add(cw_msgbuf *m, bool first, bool last, const void *in, size_t n, size_t limit)
{
    if (first) m->len = 0;
    if (limit && m->len + n > limit) return CW_MSG_TOO_BIG;
    if (m->len + n + 1 > m->cap) {
        size_t cap = m->cap ? m->cap : MSGBUF_FIRST_CAP;
        while (cap < m->len + n + 1)
            cap *= 2;
        char *b = realloc(m->buf, cap); /* a message-sized buffer: may fail, said to the caller */
        if (!b) return CW_MSG_NOMEM;
        m->buf = b;
        m->cap = cap;
    }
    if (n) memcpy(m->buf + m->len, in, n);
    m->len += n;
    m->buf[m->len] = '\0';
    return last ? CW_MSG_DONE : CW_MSG_MORE;
}

void cw_msgbuf_free(cw_msgbuf *m)
{
    free(m->buf);
    m->buf = NULL;
    m->len = m->cap = 0;
}
