/* csvout: one CSV cell as RFC 4180 writes it, for every CSV the hub answers (alert history,
 * statistics reports). */
#ifndef CW_CSVOUT_H
#define CW_CSVOUT_H

#include <stdio.h>

/* s as one cell (NULL: an empty one): quoted, with quotes doubled, when it holds a comma, a
 * quote or a line break. */
void csv_cell(FILE *f, const char *s);

#endif
