/* yamldiag: libfyaml's diagnostics collected as text, so a loader can turn libfyaml's
 * "FILE:LINE:COL: error: MESSAGE" lines into its own errors (the city config, the wall's
 * layouts). */
#ifndef CW_YAMLDIAG_H
#define CW_YAMLDIAG_H

#include <libfyaml.h>
#include <stddef.h>

typedef struct ydiag {
    struct fy_diag *diag; /* pass as fy_parse_cfg.diag */
    char *text;           /* the error lines so far, NUL-terminated; NULL before the first */
    size_t len;
} ydiag;

/* A sink for errors only, with positions, without colours or source excerpts. d must stay at
 * its address until ydiag_close. Returns 0, or -1 when out of memory. */
int ydiag_open(ydiag *d);
/* Destroy the sink and free the text. */
void ydiag_close(ydiag *d);

/* 1-based line of the first token in N; 0 when N has none (an empty value or {}). */
int ydiag_node_line(struct fy_node *n);

#endif
