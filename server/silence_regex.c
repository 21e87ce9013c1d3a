/* silence_regex: bounds on a matcher's regular expression. See silence_regex.h. */
#include "silence_regex.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct parser {
    const char *p;
    int depth;
    bool nullable; /* whether the piece or alternation just parsed can match "" */
    char *err;
    size_t errlen;
} parser;

static int64_t fail(parser *ps, const char *what)
{
    snprintf(ps->err, ps->errlen, "regular expression %s", what);
    return -1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A bracket expression from just after its '['; leaves p after its ']'. */
static int64_t bracket(parser *ps)
{
    const char *p = ps->p;
    if (*p == '^') p++;
    if (*p == ']') p++; /* a leading ']' is a member */
    while (*p && *p != ']') {
        if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            char close = p[1];
            const char *e = p + 2;
            while (*e && !(e[0] == close && e[1] == ']'))
                e++;
            if (!*e) return fail(ps, "has an unterminated [: :] class");
            p = e + 2;
        } else {
            p++;
        }
    }
    if (*p != ']') return fail(ps, "has an unterminated [ ]");
    ps->p = p + 1;
    return 1;
}

/* "{m}", "{m,}", "{m,n}" from its '{': the number of copies glibc makes of the operand (the
 * upper bound, or m + 1 when open), with m in *lo; -1 when malformed or over SILRE_MAX_COUNT.
 *
 * Stricter than glibc on purpose: any unescaped '{' must open a plain interval. glibc reads
 * "{,n}" as {0,n}, "{,}" as *, and an escaped comma inside the braces as a comma (the fuzzer
 * found "(.{0,10}){,1010}" and "(...){\,10100}"), and reads other '{' as literals; mirroring
 * every such rule is a losing game, so a literal brace is written "\{". */
static int64_t interval(parser *ps, int64_t *lo_out)
{
    const char *p = ps->p + 1;
    if (!is_digit(*p) && *p != ',')
        return fail(ps, "has a '{' that opens no {m,n} interval (write \\{ for a brace)");
    int64_t lo = 0, hi = -1;
    bool open = false;
    while (is_digit(*p) && lo <= SILRE_MAX_COUNT)
        lo = lo * 10 + (*p++ - '0');
    if (*p == ',') {
        p++;
        if (is_digit(*p)) {
            hi = 0;
            while (is_digit(*p) && hi <= SILRE_MAX_COUNT)
                hi = hi * 10 + (*p++ - '0');
        } else {
            open = true; /* {m,}: m copies and a star */
            hi = lo + 1;
        }
    } else {
        hi = lo;
    }
    if (is_digit(*p) || *p != '}') return fail(ps, "has a malformed or too large {m,n}");
    if (lo > SILRE_MAX_COUNT || (!open && hi > SILRE_MAX_COUNT)) {
        char what[80];
        snprintf(what, sizeof what, "repeats something more than %d times", SILRE_MAX_COUNT);
        return fail(ps, what);
    }
    ps->p = p + 1;
    *lo_out = lo;
    return hi > 0 ? hi : 1;
}

static int64_t alternation(parser *ps);

static int64_t too_costly(parser *ps)
{
    char what[120];
    snprintf(what, sizeof what,
             "is too costly: it expands to over %d parts (nested or large {m,n})",
             SILRE_MAX_EXPANDED);
    return fail(ps, what);
}

/* An escape that matches a position, not a character (glibc: \b \B \< \> \` \'). */
static bool is_anchor_escape(char c)
{
    return c && strchr("bB<>`'", c);
}

/* One atom and its repetitions: its expanded size, or -1; ps->nullable says whether it can
 * match the empty string. */
static int64_t piece(parser *ps)
{
    int64_t size;
    bool nullable = false;
    char c = *ps->p;
    if (c == '(') {
        if (++ps->depth > SILRE_MAX_DEPTH) return fail(ps, "nests groups too deep");
        ps->p++;
        size = alternation(ps);
        if (size < 0) return -1;
        if (*ps->p != ')') return fail(ps, "has an unbalanced (");
        nullable = ps->nullable;
        ps->p++;
        ps->depth--;
    } else if (c == '[') {
        ps->p++;
        size = bracket(ps);
    } else if (c == '{') {
        return fail(ps, "has a '{' that repeats nothing (write \\{ for a brace)");
    } else if (c == '\\') {
        if (is_digit(ps->p[1]) && ps->p[1] != '0')
            return fail(ps, "uses a back-reference (\\1..\\9), which is not allowed");
        if (!ps->p[1]) return fail(ps, "ends with a lone backslash");
        nullable = is_anchor_escape(ps->p[1]);
        ps->p += 2;
        size = 1;
    } else {
        nullable = c == '^' || c == '$';
        ps->p++;
        size = 1;
    }
    if (size < 0) return -1;
    ps->nullable = nullable;
    char r = *ps->p;
    int64_t copies = 1;
    if (r == '*' || r == '?') {
        ps->nullable = true;
        ps->p++;
    } else if (r == '+') {
        copies = 2; /* glibc builds x+ as x x* */
        ps->p++;
    } else if (r == '{') {
        int64_t lo;
        copies = interval(ps, &lo);
        if (copies < 0) return -1;
        ps->nullable = nullable || lo == 0;
        /* checked here as well as in alternation() so that an over-large repetition is called
         * too costly before its operand's emptiness is judged */
        if (size * copies > SILRE_MAX_EXPANDED) return too_costly(ps);
        /* glibc's closures over copies of an operand that can match "" grow much faster than
         * the copies: "((a?){9}){0,100}" (900 parts) took 2.9 s and 250 MB, "(a?|b?|c?){0,100}"
         * 3.1 s and 970 MB, "(.|||||||||){,100}" over a gigabyte (the fuzzer's). */
        if (nullable && copies > 1)
            return fail(ps, "repeats {m,n} times something that can match nothing (write (a|b)? "
                            "rather than (a?|b?), and no {m,n} on it)");
    } else {
        return size;
    }
    r = *ps->p;
    if (r == '*' || r == '+' || r == '?' || r == '{')
        return fail(ps, "repeats a repetition (a** or a{2}+): write one operator");
    return size * copies;
}

/* Branches separated by '|' up to a ')' or the end: their expanded size, or -1; ps->nullable
 * says whether any branch can match the empty string (an empty branch can). */
static int64_t alternation(parser *ps)
{
    int64_t total = 0;
    bool any_nullable = false;
    for (;;) {
        bool branch_nullable = true;
        while (*ps->p && *ps->p != '|' && *ps->p != ')') {
            int64_t s = piece(ps);
            if (s < 0) return -1;
            branch_nullable = branch_nullable && ps->nullable;
            total += s;
            if (total > SILRE_MAX_EXPANDED) return too_costly(ps);
        }
        any_nullable = any_nullable || branch_nullable;
        if (*ps->p != '|') {
            ps->nullable = any_nullable;
            return total;
        }
        ps->p++;
    }
}

int silre_check(const char *pattern, char *err, size_t errlen)
{
    if (strlen(pattern) > SILRE_MAX_LEN) {
        snprintf(err, errlen, "regular expression longer than %d bytes", SILRE_MAX_LEN);
        return -1;
    }
    parser ps = {.p = pattern, .err = err, .errlen = errlen};
    if (alternation(&ps) < 0) return -1;
    if (*ps.p == ')') {
        fail(&ps, "has an unbalanced )");
        return -1;
    }
    return 0;
}
