/* xalloc: the out-of-memory policy (as Redis's zmalloc): small objects -- strings, structs,
 * map entries -- come from these wrappers, which never return NULL: when memory runs out the
 * process prints what it asked for and aborts, because no caller could do better than
 * half-finished state. Only batch- or frame-sized buffers (request bodies, store batches,
 * snapshot images, frames) use malloc/realloc directly and handle NULL where they are. */
#ifndef CW_XALLOC_H
#define CW_XALLOC_H

#include <stddef.h>

void *cw_xmalloc(size_t n);
void *cw_xcalloc(size_t n, size_t size);
void *cw_xrealloc(void *p, size_t n);
/* NULL in, NULL out. */
char *cw_xstrdup(const char *s);
/* The first n bytes of s (fewer at a NUL), NUL-terminated. */
char *cw_xstrndup(const char *s, size_t n);

#endif
