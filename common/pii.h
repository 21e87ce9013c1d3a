/* pii: masking of personal numbers in free text (SPEC §8, PIPL) -- review comments are shown
 * only masked in every topic and REST response.
 *
 * What is masked (ASCII or full-width digits; a number counts only when its digits are not
 * part of a longer digit run):
 * - resident ID-card numbers: 18 characters (17 digits + a digit or X/x) or the old 15-digit
 *   form, also written in groups 6-8-4 separated by single spaces or hyphens: the first 4
 *   and last 4 characters are kept, the rest become '*' ("3301**********1234");
 * - mainland mobile numbers, 11 digits starting 13..19, also prefixed 86 / 0086 or written
 *   3-4-4 with single spaces or hyphens: digits 4..7 become '*' ("138****5678").
 * Everything else (separators included) is copied unchanged; invalid UTF-8 is copied as is.
 */
#ifndef CW_PII_H
#define CW_PII_H

#include <stdbool.h>

/* A masked copy of text (NUL-terminated); the caller frees it. NULL when text is NULL or
 * memory runs out. */
char *pii_mask(const char *text);

/* True when pii_mask would change text. */
bool pii_contains(const char *text);

#endif
