/* xalloc: allocation that aborts with a message when memory runs out. See xalloc.h. */
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t n)
{
    fprintf(stderr, "citywall: out of memory (asked for %zu bytes)\n", n);
    abort();
}

void *cw_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) out_of_memory(n);
    return p;
}

void *cw_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) out_of_memory(n * size);
    return p;
}

void *cw_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) out_of_memory(n);
    return q;
}

char *cw_xstrdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = cw_xmalloc(n);
    memcpy(d, s, n);
    return d;
}

char *cw_xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = cw_xmalloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}
