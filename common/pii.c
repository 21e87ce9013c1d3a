/* pii: masking of ID-card and mobile numbers in free text (see pii.h).
 *
 * The text is cut into units (one code point each, or one byte where the UTF-8 is invalid)
 * classified as digit, X, separator (space or hyphen) or other. Maximal digit runs form
 * groups; a group may end in an X. Formats are matched on one group (an unbroken number) or
 * on consecutive groups joined by one separator each (a number written in blocks), and the
 * units to hide are marked; the output copies every unit, writing '*' for marked ones.
 */
#include "pii.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { U_OTHER, U_DIGIT, U_X, U_SEP };

typedef struct pii_unit {
    size_t off;
    uint8_t len;
    uint8_t cls;
    char ch; /* digit '0'..'9', 'X', or the separator byte */
    bool mask;
} pii_unit;

typedef struct pii_group {
    size_t first; /* index of its first digit unit */
    int ndigits;
    bool has_x; /* followed directly by an X unit (index first + ndigits) */
} pii_group;

static void classify(const unsigned char *s, pii_unit *u)
{
    u->len = 1;
    u->cls = U_OTHER;
    u->ch = 0;
    u->mask = false;
    if (s[0] >= '0' && s[0] <= '9') {
        u->cls = U_DIGIT;
        u->ch = (char)s[0];
    } else if (s[0] == 'X' || s[0] == 'x') {
        u->cls = U_X;
        u->ch = 'X';
    } else if (s[0] == ' ' || s[0] == '-') {
        u->cls = U_SEP;
        u->ch = (char)s[0];
    } else if (s[0] == 0xEF && s[1] == 0xBC && s[2] >= 0x90 && s[2] <= 0x99) {
        u->len = 3; /* full-width digit U+FF10..U+FF19 */
        u->cls = U_DIGIT;
        u->ch = (char)('0' + (s[2] - 0x90));
    } else if ((s[0] == 0xEF && s[1] == 0xBC && s[2] == 0xB8) ||
               (s[0] == 0xEF && s[1] == 0xBD && s[2] == 0x98)) {
        u->len = 3; /* full-width X / x */
        u->cls = U_X;
        u->ch = 'X';
    } else if (s[0] >= 0xC2 && s[0] <= 0xF4) {
        int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
        for (int i = 1; i < n; i++) {
            if ((s[i] & 0xC0) != 0x80) return;
        }
        u->len = (uint8_t)n;
    }
}

static bool is_mobile(const pii_unit *u, size_t first)
{
    return u[first].ch == '1' && u[first + 1].ch >= '3' && u[first + 1].ch <= '9';
}

static void mark(pii_unit *u, size_t first, int from, int to)
{
    for (int i = from; i < to; i++)
        u[first + (size_t)i].mask = true;
}

/* Groups g[0..n) joined by one separator each, the same one throughout? */
static bool joined(const pii_unit *u, const pii_group *g, size_t ng, size_t n)
{
    if (n > ng) return false;
    char sep = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        size_t e = g[i].first + (size_t)g[i].ndigits;
        if (g[i].has_x || g[i + 1].first != e + 1 || u[e].cls != U_SEP) return false;
        if (sep && u[e].ch != sep) return false;
        sep = u[e].ch;
    }
    return true;
}

/* Mask the units of a number written as groups g[0..n): the first `keep` characters and
 * the last `keep_last` stay, where characters are the digits (and a final X). */
static void mark_groups(pii_unit *u, const pii_group *g, size_t n, int keep, int keep_last)
{
    int total = 0;
    for (size_t i = 0; i < n; i++)
        total += g[i].ndigits + (g[i].has_x ? 1 : 0);
    int pos = 0;
    for (size_t i = 0; i < n; i++) {
        int len = g[i].ndigits + (g[i].has_x ? 1 : 0);
        for (int k = 0; k < len; k++, pos++) {
            if (pos >= keep && pos < total - keep_last) u[g[i].first + (size_t)k].mask = true;
        }
    }
}

/* Try every format at group g[0]; returns how many groups it consumed (0: no match). */
static size_t match_at(pii_unit *u, const pii_group *g, size_t ng)
{
    const pii_group *a = &g[0];
    int nd = a->ndigits;
    if (nd == 11 && is_mobile(u, a->first)) {
        mark(u, a->first, 3, 7);
        return 1;
    }
    if (nd == 13 && u[a->first].ch == '8' && u[a->first + 1].ch == '6' &&
        is_mobile(u, a->first + 2)) {
        mark(u, a->first, 5, 9);
        return 1;
    }
    if (nd == 15 && u[a->first].ch == '0' && u[a->first + 1].ch == '0' &&
        u[a->first + 2].ch == '8' && u[a->first + 3].ch == '6' && is_mobile(u, a->first + 4)) {
        mark(u, a->first, 7, 11);
        return 1;
    }
    if (nd == 18 || nd == 15) {
        mark(u, a->first, 4, nd - 4);
        return 1;
    }
    if (nd == 17 && a->has_x) {
        mark(u, a->first, 4, 14);
        return 1;
    }
    if (nd == 3 && is_mobile(u, a->first) && joined(u, g, ng, 3) && g[1].ndigits == 4 &&
        g[2].ndigits == 4) {
        mark(u, g[1].first, 0, 4);
        return 3;
    }
    if (nd == 6 && joined(u, g, ng, 3) && g[1].ndigits == 8 &&
        (g[2].ndigits == 4 || (g[2].ndigits == 3 && g[2].has_x))) {
        mark_groups(u, g, 3, 4, 4);
        return 3;
    }
    return 0;
}

/* Cut text into units and mark what to hide. Returns the unit array (caller frees) and
 * sets *nunits and *any; NULL when memory runs out. */
static pii_unit *scan(const char *text, size_t *nunits, bool *any)
{
    size_t len = strlen(text);
    pii_unit *u = malloc((len + 1) * sizeof *u);
    pii_group *g = malloc((len / 2 + 1) * sizeof *g);
    if (!u || !g) goto fail;
    const unsigned char *s = (const unsigned char *)text;
    size_t n = 0;
    for (size_t off = 0; off < len; n++) {
        classify(s + off, &u[n]);
        u[n].off = off;
        off += u[n].len;
    }
    size_t ng = 0;
    for (size_t i = 0; i < n;) {
        if (u[i].cls != U_DIGIT) {
            i++;
            continue;
        }
        pii_group *gr = &g[ng++];
        gr->first = i;
        gr->ndigits = 0;
        while (i < n && u[i].cls == U_DIGIT) {
            gr->ndigits++;
            i++;
        }
        gr->has_x = i < n && u[i].cls == U_X;
        if (gr->has_x) i++;
    }
    *any = false;
    for (size_t i = 0; i < ng;) {
        size_t used = match_at(u, &g[i], ng - i);
        if (used) {
            *any = true;
            i += used;
        } else {
            i++;
        }
    }
    free(g);
    *nunits = n;
    return u;
fail:
    free(u);
    free(g);
    return NULL;
}

char *pii_mask(const char *text)
{
    if (!text) return NULL;
    size_t n;
    bool any;
    pii_unit *u = scan(text, &n, &any);
    if (!u) return NULL;
    char *out = malloc(strlen(text) + 1);
    if (!out) goto fail;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (u[i].mask) {
            out[o++] = '*';
        } else {
            memcpy(out + o, text + u[i].off, u[i].len);
            o += u[i].len;
        }
    }
    out[o] = '\0';
    free(u);
    return out;
fail:
    free(u);
    return NULL;
}

bool pii_contains(const char *text)
{
    if (!text) return false;
    size_t n;
    bool any = false;
    pii_unit *u = scan(text, &n, &any);
    free(u);
    return any;
}
