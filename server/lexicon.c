/* lexicon: normalised matching of texts against the sensitive lexicon (see lexicon.h). */
#include "lexicon.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct lexterm {
    char *term, *category; /* as configured (owned) */
    char *norm;            /* normalised term (owned); empty terms never match */
    int weight;
} lexterm;

struct lexicon {
    lexterm *terms;
    int n;
};

/* Decode one UTF-8 sequence at s (n bytes left): the code point and its length, or -1 with
 * length 1 for an invalid byte. */
static int32_t utf8_next(const unsigned char *s, size_t n, size_t *len)
{
    unsigned char c = s[0];
    int need;
    int32_t cp;
    if (c < 0x80) {
        *len = 1;
        return c;
    } else if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        cp = c & 0x07;
    } else {
        *len = 1;
        return -1;
    }
    if ((size_t)need >= n) {
        *len = 1;
        return -1;
    }
    for (int i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *len = 1;
            return -1;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        *len = 1;
        return -1;
    }
    *len = (size_t)need + 1;
    return cp;
}

char *lexicon_normalize(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    char *out = malloc(len + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < len;) {
        size_t n;
        int32_t cp = utf8_next(p + i, len - i, &n);
        if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0; /* full-width ASCII */
        if (cp == 0x3000 || cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' ||
            cp == '\f') {
            i += n;
            continue;
        }
        if (cp >= 0 && cp < 0x80) {
            *o++ = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        } else {
            memcpy(o, p + i, n); /* other characters (and invalid bytes) as they are */
            o += n;
        }
        i += n;
    }
    *o = '\0';
    return out;
}

lexicon_t *lexicon_create(const cfg_lexterm *terms, int nterms)
{
    lexicon_t *lx = calloc(1, sizeof *lx);
    if (!lx) return NULL;
    lx->terms = calloc(nterms > 0 ? (size_t)nterms : 1, sizeof *lx->terms);
    if (!lx->terms) goto fail;
    for (int i = 0; i < nterms; i++) {
        lexterm *t = &lx->terms[lx->n++];
        t->term = strdup(terms[i].term);
        t->category = strdup(terms[i].category);
        t->norm = lexicon_normalize(terms[i].term, strlen(terms[i].term));
        t->weight = terms[i].weight;
        if (!t->term || !t->category || !t->norm) goto fail;
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
        if (!t->norm[0] || (best && t->weight <= best->weight)) continue;
        if (strstr(norm, t->norm)) best = t;
    }
    free(norm);
    if (!best) return false;
    hit->term = best->term;
    hit->category = best->category;
    hit->weight = best->weight;
    return true;
}
