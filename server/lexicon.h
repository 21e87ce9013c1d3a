/* lexicon: the sensitive lexicon (敏感词, SPEC §6) -- normalisation and matching of review
 * comments against weighted terms in categories.
 *
 * Normalisation, applied to the terms once and to every text matched, works on UTF-8 and does
 * only what the SPEC asks: full-width ASCII (U+FF01..U+FF5E) becomes half-width, the ideographic
 * space U+3000 and ASCII white space are removed, ASCII letters are folded to lower case.
 * Invalid UTF-8 bytes are kept as they are. Matching is then a substring search of every
 * normalised term; the match with the highest weight decides (ties: the term listed first in
 * the config).
 *
 * Thread: a lexicon is immutable after lexicon_create; any thread may match with it.
 */
#ifndef CW_LEXICON_H
#define CW_LEXICON_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

typedef struct lexicon lexicon_t;

typedef struct lexicon_hit {
    const char *term;     /* as written in the config (borrowed from the lexicon) */
    const char *category; /* e.g. 人身安全 (borrowed from the lexicon) */
    int weight;
} lexicon_hit;

/* Build a lexicon from the config's terms (copied). NULL when out of memory. */
lexicon_t *lexicon_create(const cfg_lexterm *terms, int nterms);
void lexicon_destroy(lexicon_t *lx);

/* The normalised form of the first len bytes of s: a new NUL-terminated string the caller
 * frees, or NULL when out of memory. */
char *lexicon_normalize(const char *s, size_t len);

/* Match text (NUL-terminated UTF-8). Returns true and fills *hit with the highest-weight term
 * found; false when none matches (or text is NULL). */
bool lexicon_match(const lexicon_t *lx, const char *text, lexicon_hit *hit);

#endif
