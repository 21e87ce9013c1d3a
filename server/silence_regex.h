/* silence_regex: the cost of a silence matcher's regular expression, bounded before glibc's
 * regcomp sees it.
 *
 * glibc compiles a counted repetition by copying its operand: "(.{0,100}){0,100}" becomes ten
 * thousand copies, took 1.4-2.9 s of the service thread and ~350 MB that expiry never gave
 * back, and one more level took over 20 s (SECURITY.md S2). Matchers are short label patterns
 * ("LH-0[3-5]", "R1[0-2]"), so the hub accepts the POSIX extended syntax with these bounds:
 * at most SILRE_MAX_LEN bytes, repetition counts of at most SILRE_MAX_COUNT, an expanded size
 * (each atom counted once per copy its enclosing repetitions make) of at most
 * SILRE_MAX_EXPANDED, one repetition operator per atom (glibc blows up on "a**+*"; found by
 * the fuzzer), groups nested at most SILRE_MAX_DEPTH deep, no {m,n} (n > 1) on something that
 * can match the empty string (glibc's closures over such copies grow far faster than the
 * copies: "(a?|b?|c?){0,100}" took 3.1 s and 970 MB; found by the fuzzer as empty branches,
 * "(.|||...){,100}"), and no back-references (they make matching exponential). Pure: no allocation;
 * fuzzed by tests/fuzz/fuzz_silence.c.
 */
#ifndef CW_SILENCE_REGEX_H
#define CW_SILENCE_REGEX_H

#include <stddef.h>

#define SILRE_MAX_LEN 256
#define SILRE_MAX_COUNT 100
#define SILRE_MAX_EXPANDED 1000
#define SILRE_MAX_DEPTH 8

/* 0 when pattern is within the bounds (it may still be invalid: regcomp decides that), else
 * -1 with the reason in err. */
int silre_check(const char *pattern, char *err, size_t errlen);

#endif
