/* bench_ws: see bench_ws.h. */
#include "bench_ws.h"

#include <stdlib.h>
#include <string.h>

int bench_ws_rx(struct lws *wsi, char **buf, size_t *len, size_t *cap, const void *in, size_t n)
{
    if (lws_is_first_fragment(wsi)) *len = 0;
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + n + 1)
            c *= 2;
        char *q = realloc(*buf, c);
        if (!q) return -1;
        *buf = q;
        *cap = c;
    }
    memcpy(*buf + *len, in, n);
    *len += n;
    (*buf)[*len] = '\0';
    return lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi) ? 1 : 0;
}

int bench_ws_text(struct lws *wsi, const char *m)
{
    unsigned char buf[LWS_PRE + 1024];
    size_t n = strlen(m);
    if (n > sizeof buf - LWS_PRE) return -1;
    memcpy(buf + LWS_PRE, m, n);
    return lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n ? -1 : 0;
}
