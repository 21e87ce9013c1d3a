/* config_check: warnings about a configuration that loads but is probably wrong (see
 * cfg_warnings in config.h). Today: halls outside the city's outline. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"

typedef struct wbuf {
    char *s;
    size_t len, cap;
} wbuf;

static void wadd(wbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void wadd(wbuf *b, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof line) n = (int)sizeof line - 1;
    if (b->len + (size_t)n + 2 > b->cap) {
        size_t c = b->cap ? b->cap * 2 : 1024;
        while (c < b->len + (size_t)n + 2)
            c *= 2;
        char *s = realloc(b->s, c);
        if (!s) return;
        b->s = s;
        b->cap = c;
    }
    memcpy(b->s + b->len, line, (size_t)n);
    b->len += (size_t)n;
    b->s[b->len++] = '\n';
    b->s[b->len] = 0;
}

char *cfg_warnings(const cfg_t *cfg)
{
    wbuf b = {0};
    if (cfg->city.map) {
        char err[512];
        geo_outline *g = geo_load(cfg->city.map, err, sizeof err);
        if (!g) {
            wadd(&b, "%s:%d: city.map: warning: %s; hall locations not checked", cfg->path,
                 cfg->city.map_line, err);
        } else {
            for (int i = 0; i < cfg->nhalls; i++) {
                const cfg_hall *h = &cfg->halls[i];
                if (geo_contains(g, h->lng, h->lat)) continue;
                wadd(&b,
                     "%s:%d: halls[%d].location: warning: hall %s (lat %.5f, lng %.5f) lies "
                     "%.0f km outside the city outline %s",
                     cfg->path, h->loc_line, i, h->id, h->lat, h->lng,
                     geo_edge_km(g, h->lng, h->lat), cfg->city.map);
            }
            geo_free(g);
        }
    }
    return b.s;
}
