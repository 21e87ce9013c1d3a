/* lexicon: the sensitive lexicon (敏感词, SPEC §6) -- normalisation of review comments,
 * matching against weighted terms in categories, and the context score that decides whether
 * a comment is sensitive (docs/alerts.md, "Sensitive comments").
 *
 * Normalisation, applied to the terms, their exception phrases and every text matched:
 *  1. traditional → simplified Chinese with OpenCC's t2s conversion (valid UTF-8 only);
 *  2. per code point, Unicode compatibility decomposition and case folding (utf8proc: full /
 *     half width, Kangxi radicals and compatibility ideographs, circled and styled letters);
 *  3. only letters and digits are kept: spaces, punctuation, symbols, emoji, marks and
 *     invisible characters between the characters of a term do not hide it (跳 楼, 跳*楼,
 *     跳.楼, 跳\u200b楼);
 *  4. a small table of look-alike letters (Cyrillic and Greek for Latin, katakana for CJK)
 *     maps each to the character it imitates.
 * Invalid UTF-8 bytes are kept as they are (ingest rejects such text anyway).
 *
 * Scoring: every term found in the normalised text counts, unless each of its occurrences
 * lies inside one of the term's exception phrases (网上预约) or follows a negation (没有投诉,
 * 不会去上访; hypotheticals such as 差点 negate all but the any_level categories; lexicon.c
 * lists the markers). A counted term scores its weight × the factor of the review's level
 * (1 for `any_level` categories such as 人身安全) × the praise factor when the review is
 * praise (level >= 4 with a praise marker and no contrast such as 但是); the comment's score
 * is the sum over categories of each category's best counted term.
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

/* How a comment is scored (the R10 parameters of its hall). */
typedef struct lexicon_scoring {
    double level[5]; /* factor of a review of level 1..5 (index level - 1) */
    double praise;   /* factor when the review is praise (level >= 4 with a praise marker) */
} lexicon_scoring;

typedef struct lexicon_score {
    double score;     /* sum over categories of the best counted term; 0 when none counts */
    int counted;      /* terms that counted */
    int negated;      /* terms found but not counted (negated, or inside an exception) */
    bool praise;      /* the praise factor applied */
    lexicon_hit best; /* the counted term with the highest score (ties: listed first) */
} lexicon_score;

/* Build a lexicon from the config's terms (copied). NULL when out of memory. */
lexicon_t *lexicon_create(const cfg_lexterm *terms, int nterms);
void lexicon_destroy(lexicon_t *lx);

/* The normalised form of the first len bytes of s: a new NUL-terminated string the caller
 * frees, or NULL when out of memory. */
char *lexicon_normalize(const char *s, size_t len);

/* Raw match, without context: true and *hit filled with the highest-weight term found (ties:
 * listed first); false when none matches (or text is NULL). */
bool lexicon_match(const lexicon_t *lx, const char *text, lexicon_hit *hit);

/* Score text (NUL-terminated UTF-8) of a review of `level` (1..5). Fills *out; returns true
 * when at least one term counted (out->best is then set). */
bool lexicon_score_text(const lexicon_t *lx, const char *text, int level, const lexicon_scoring *sc,
                        lexicon_score *out);

/* The R10 outcome of a review of `level` whose comment scored *s (NULL: no comment): 1 (P1:
 * score >= p1), 3 (P3: any other review of level <= 2, or a note: score >= note), 0 (none). */
int lexicon_severity(int level, const lexicon_score *s, double p1, double note);

#endif
