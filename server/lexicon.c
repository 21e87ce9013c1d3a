/* lexicon: normalisation, matching and context scoring of texts against the sensitive
 * lexicon (see lexicon.h; the scoring is documented in docs/alerts.md). */
#include "lexicon.h"
#include "xalloc.h"

#include <opencc/opencc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

typedef struct lexterm {
    char *term, *category; /* as configured (owned) */
    char *norm;            /* normalised term (owned); empty terms never match */
    size_t len;            /* strlen(norm) */
    char **except;         /* normalised exception phrases (owned) */
    int nexcept;
    int weight;
    bool any_level;
} lexterm;

struct lexicon {
    lexterm *terms;
    int n;
};

/* Negations that make a following term not count: directly before it, or up to two
 * characters before it -- any two for a longer marker (没有发生踩踏), only "light" ones (去, 再,
 * 想 ...) for a one-character marker (没去上访, 不再投诉). Hypotheticals (差点, 本来想) count as
 * negations for every category but the any_level ones: a near miss (差点踩踏) is a hazard. */
typedef struct marker {
    const char *s;
    bool hypothetical;
} marker;
static const marker negations[] = {
    {"不", false},   {"没", false},     {"无", false},     {"未", false},    {"别", false},
    {"勿", false},   {"没有", false},   {"不用", false},   {"不必", false},  {"无需", false},
    {"不会", false}, {"不需要", false}, {"用不着", false}, {"并未", false},  {"从未", false},
    {"从不", false}, {"不再", false},   {"免得", false},   {"本来想", true}, {"原本想", true},
    {"本想", true},  {"差点", true},    {"以为要", true},  {NULL, false}};
static const char light[] = "去来再要想敢会用必";
/* Endings that are not a negation although they end in one (不得不上访: had to petition). */
static const char *const not_negations[] = {"不得不", "不能不", "没法不", "不会不", NULL};
/* Praise markers: at level >= 4 with one of these, and no contrast (但, 不过 ...: what follows
 * is not praise), the praise factor applies. */
static const char *const praise_markers[] = {"满意", "点赞", "感谢", "谢谢", "好评", "表扬", "方便",
                                             "很好", "不错", "热情", "耐心", "高效", "给力", "五星",
                                             "辛苦", "贴心", "周到", "及时", "专业", "暖心", NULL};
static const char *const contrasts[] = {"但", "不过", "可是", "然而", "却", NULL};

/* ---- normalisation ------------------------------------------------------------------------ */

static pthread_once_t cc_once = PTHREAD_ONCE_INIT;
static opencc_t cc = (opencc_t)-1; /* process-wide, opened once, never closed */

static void cc_open(void)
{
    cc = opencc_open("t2s.json");
    if (cc == (opencc_t)-1) cc = opencc_open("/usr/share/opencc/t2s.json");
}

/* Look-alike characters used to dodge a filter, mapped to what they imitate (after case
 * folding and compatibility decomposition). */
static int32_t confusable(int32_t cp)
{
    static const int32_t map[][2] = {
        {0x0430, 'a'},    {0x0435, 'e'},
        {0x043E, 'o'},    {0x0440, 'p'},
        {0x0441, 'c'},    {0x0443, 'y'},
        {0x0445, 'x'},    {0x0456, 'i'},
        {0x0458, 'j'},    {0x0455, 's'},
        {0x0501, 'd'},    {0x04BB, 'h'},
        {0x03BF, 'o'},    {0x03B1, 'a'},
        {0x03BD, 'v'},    {0x03B9, 'i'},
        {0x03C1, 'p'},    {0x30ED, 0x53E3},             /* ロ 口 */
        {0x30A8, 0x5DE5}, /* エ 工 */ {0x30AB, 0x529B}, /* カ 力 */
        {0x30BF, 0x5915}, /* タ 夕 */ {0x30CB, 0x4E8C}, /* ニ 二 */
        {0x30CF, 0x516B}, /* ハ 八 */ {0x30C8, 0x535C}, /* ト 卜 */
        {0x30FC, 0x4E00}, /* ー 一 */ {0x3007, 0x96F6}, /* 〇 零 */
        {0x56D7, 0x53E3}, /* 囗 口 */ {0x8457, 0x7740}, /* 著 着 (t2s keeps 著火) */
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i][0] == cp) return map[i][1];
    return cp;
}

static bool keep_category(int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return true;
    default:
        return false;
    }
}

/* Steps 2-4 of lexicon.h over len bytes of s. */
static char *fold(const char *s, size_t len)
{
    /* a code point decomposes into at most 18 code points of at most 4 bytes each */
    size_t cap = len * 8 + 1;
    char *out = malloc(cap), *o = out;
    if (!out) return NULL;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0) { /* an invalid byte stays as it is */
            *o++ = (char)p[i++];
            continue;
        }
        i += (size_t)n;
        utf8proc_int32_t dec[18];
        int last = 0;
        utf8proc_ssize_t nd = utf8proc_decompose_char(
            cp, dec, 18, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD, &last);
        if (nd < 0 || nd > 18) {
            dec[0] = cp;
            nd = 1;
        }
        for (utf8proc_ssize_t k = 0; k < nd; k++) {
            if (!keep_category(dec[k])) continue;
            int32_t c = confusable(dec[k]);
            if ((size_t)(o - out) + 4 >= cap) break;
            o += utf8proc_encode_char(c, (utf8proc_uint8_t *)o);
        }
    }
    *o = '\0';
    return out;
}

static bool valid_utf8(const char *s, size_t len)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0 || cp == 0) return false;
        i += (size_t)n;
    }
    return true;
}

char *lexicon_normalize(const char *s, size_t len)
{
    pthread_once(&cc_once, cc_open);
    if (cc != (opencc_t)-1 && len > 0 && valid_utf8(s, len)) {
        char *simp = opencc_convert_utf8(cc, s, len);
        if (simp) {
            char *out = fold(simp, strlen(simp));
            opencc_convert_utf8_free(simp);
            return out;
        }
    }
    return fold(s, len);
}

/* ---- the lexicon -------------------------------------------------------------------------- */

lexicon_t *lexicon_create(const cfg_lexterm *terms, int nterms)
{
    lexicon_t *lx = cw_xcalloc(1, sizeof *lx);
    if (!lx) return NULL;
    lx->terms = calloc(nterms > 0 ? (size_t)nterms : 1, sizeof *lx->terms);
    if (!lx->terms) goto fail;
    for (int i = 0; i < nterms; i++) {
        lexterm *t = &lx->terms[lx->n++];
        t->term = cw_xstrdup(terms[i].term);
        t->category = cw_xstrdup(terms[i].category);
        t->norm = lexicon_normalize(terms[i].term, strlen(terms[i].term));
        t->weight = terms[i].weight;
        t->any_level = terms[i].any_level;
        if (!t->term || !t->category || !t->norm) goto fail;
        t->len = strlen(t->norm);
        if (terms[i].nexcept > 0) {
            t->except = calloc((size_t)terms[i].nexcept, sizeof *t->except);
            if (!t->except) goto fail;
            for (int k = 0; k < terms[i].nexcept; k++) {
                char *e = lexicon_normalize(terms[i].except[k], strlen(terms[i].except[k]));
                if (!e) goto fail;
                t->except[t->nexcept++] = e;
            }
        }
    }
    return lx;
fail:
    lexicon_destroy(lx);
    return NULL;
}

void lexicon_destroy(lexicon_t *lx)
{
    if (!lx) return;
    for (int i = 0; i < lx->n; i++) {
        free(lx->terms[i].term);
        free(lx->terms[i].category);
        free(lx->terms[i].norm);
        for (int k = 0; k < lx->terms[i].nexcept; k++)
            free(lx->terms[i].except[k]);
        free(lx->terms[i].except);
    }
    free(lx->terms);
    free(lx);
}

bool lexicon_match(const lexicon_t *lx, const char *text, lexicon_hit *hit)
{
    if (!lx || !text || !lx->n) return false;
    char *norm = lexicon_normalize(text, strlen(text));
    if (!norm) return false;
    const lexterm *best = NULL;
    for (int i = 0; i < lx->n; i++) {
        const lexterm *t = &lx->terms[i];
        if (!t->len || (best && t->weight <= best->weight)) continue;
        if (strstr(norm, t->norm)) best = t;
    }
    free(norm);
    if (!best) return false;
    hit->term = best->term;
    hit->category = best->category;
    hit->weight = best->weight;
    return true;
}

/* ---- context ------------------------------------------------------------------------------ */

/* Start of the code point before byte offset pos of s (pos > 0). */
static size_t prev_cp(const char *s, size_t pos)
{
    size_t p = pos - 1;
    while (p > 0 && ((unsigned char)s[p] & 0xC0) == 0x80)
        p--;
    return p;
}

static bool ends_with(const char *s, size_t end, const char *m)
{
    size_t n = strlen(m);
    return end >= n && memcmp(s + end - n, m, n) == 0;
}

static bool is_light(const char *s, size_t from, size_t to)
{
    char c[8];
    size_t n = to - from;
    if (n == 0 || n >= sizeof c) return false;
    memcpy(c, s + from, n);
    c[n] = '\0';
    return strstr(light, c) != NULL;
}

/* Is the occurrence of a term at byte pos of text negated (lexicon.c's markers)? */
static bool negated_at(const char *text, size_t pos, bool any_level)
{
    size_t end = pos;
    bool all_light = true;
    for (int gap = 0; gap <= 2; gap++) {
        if (gap > 0) {
            if (end == 0) break;
            size_t start = prev_cp(text, end);
            all_light = all_light && is_light(text, start, end);
            end = start;
        }
        for (int i = 0; negations[i].s; i++) {
            const marker *m = &negations[i];
            bool single = strlen(m->s) <= 3; /* one CJK character */
            if ((m->hypothetical && any_level) || (single && !all_light)) continue;
            if (!ends_with(text, end, m->s)) continue;
            bool exempt = false;
            for (int k = 0; not_negations[k] && !exempt; k++)
                exempt = ends_with(text, end, not_negations[k]);
            if (!exempt) return true;
        }
    }
    return false;
}

/* Does the occurrence of t at byte pos of text lie inside one of t's exception phrases? */
static bool excepted_at(const lexterm *t, const char *text, size_t tlen, size_t pos)
{
    for (int i = 0; i < t->nexcept; i++) {
        const char *e = t->except[i];
        size_t elen = strlen(e);
        for (const char *k = strstr(e, t->norm); k; k = strstr(k + 1, t->norm)) {
            size_t off = (size_t)(k - e);
            if (pos >= off && pos - off + elen <= tlen && memcmp(text + pos - off, e, elen) == 0)
                return true;
        }
    }
    return false;
}

static bool has_praise(const char *text)
{
    for (int i = 0; contrasts[i]; i++)
        if (strstr(text, contrasts[i])) return false;
    for (int i = 0; praise_markers[i]; i++)
        if (strstr(text, praise_markers[i])) return true;
    return false;
}

bool lexicon_score_text(const lexicon_t *lx, const char *text, int level, const lexicon_scoring *sc,
                        lexicon_score *out)
{
    memset(out, 0, sizeof *out);
    if (!lx || !text || !lx->n || level < 1 || level > 5) return false;
    char *norm = lexicon_normalize(text, strlen(text));
    if (!norm) return false;
    size_t nlen = strlen(norm);
    out->praise = level >= 4 && has_praise(norm);
    /* the best counted score per category (categories in the order first listed) */
    const char *cats[32];
    double cbest[32];
    int ncats = 0;
    double best = -1;
    for (int i = 0; i < lx->n; i++) {
        const lexterm *t = &lx->terms[i];
        if (!t->len) continue;
        bool found = false, counts = false;
        for (const char *h = strstr(norm, t->norm); h && !counts; h = strstr(h + 1, t->norm)) {
            size_t pos = (size_t)(h - norm);
            found = true;
            counts = !excepted_at(t, norm, nlen, pos) && !negated_at(norm, pos, t->any_level);
        }
        if (!found) continue;
        if (!counts) {
            out->negated++;
            continue;
        }
        double s = t->weight * (t->any_level ? 1.0 : sc->level[level - 1]);
        if (out->praise) s *= sc->praise;
        out->counted++;
        int k = 0;
        while (k < ncats && strcmp(cats[k], t->category) != 0)
            k++;
        if (k == ncats) {
            if (ncats == 32) continue; /* more categories than any lexicon has: ignored */
            cats[ncats] = t->category;
            cbest[ncats++] = 0;
        }
        if (s > cbest[k]) cbest[k] = s;
        if (s > best) {
            best = s;
            out->best = (lexicon_hit){t->term, t->category, t->weight};
        }
    }
    for (int k = 0; k < ncats; k++)
        out->score += cbest[k];
    free(norm);
    return out->counted > 0;
}

int lexicon_severity(int level, const lexicon_score *s, double p1, double note)
{
    bool hit = s && s->counted > 0;
    if (hit && s->score >= p1) return 1;
    if (level <= 2 || (hit && s->score >= note)) return 3;
    return 0;
}
