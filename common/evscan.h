/* evscan: a batch of events -- a JSON array of objects -- read with yajl's event parser into
 * flat members, without building a tree.
 *
 * The hub's ingest path (SPEC §3) used to build a jansson tree for every event: a malloc per
 * value and ~39,000 instructions per event, two thirds of the service thread's work
 * (BENCHMARKS.md, "Ingest: where the time goes"). evscan keeps, per element, its members and
 * the members of the objects directly inside it (ev_parse reads `data.*`); anything deeper is
 * only known by its kind. Every element is an ev_jval of kind EV_J_OBJECT that ev_parse_view
 * reads.
 *
 * An element with an escape sequence in a string or key is read again by jansson alone (its
 * tree is kept in the scan, its view is jansson's): jansson decodes and checks escapes its own
 * way. Otherwise evscan takes only what it reads exactly as jansson would (json_loadb with no
 * flags): anything else -- not an array of objects, bad JSON, invalid UTF-8, a number jansson
 * refuses, nesting deeper than 32, an escaped element jansson refuses -- returns NULL, and the
 * caller parses the text with jansson as before, so every error reads as it did. A key that
 * repeats reads as its last value, as in jansson.
 *
 * Ownership: the scan owns copies of every string it keeps (NUL-terminated, in one buffer);
 * it does not refer to the text after evscan_array returns. Read-only once made: any thread
 * may read it while its owner keeps it.
 */
#ifndef CW_EVSCAN_H
#define CW_EVSCAN_H

#include <stddef.h>

#include "event.h"

typedef struct evscan evscan;

/* Scan `text` (len bytes). NULL when it is not a batch evscan reads (see above). */
evscan *evscan_array(const char *text, size_t len);

size_t evscan_count(const evscan *s);
/* Element i: an EV_J_OBJECT view, valid while s lives. */
const ev_jval *evscan_event(const evscan *s, size_t i);
/* Element i's bytes in the text: from its '{' to its '}'. */
void evscan_span(const evscan *s, size_t i, size_t *off, size_t *len);

void evscan_free(evscan *s);

#endif
