/* cwfmt: the one way citywall writes a duration for people (docs/decisions.md, "Durations"):
 * with units, never as a clock time ("12:15" reads as a time of day). The dashboard's
 * assets/web/js/fmt.js dur() implements the same rule; tests/fixtures/durations.json is the
 * table of vectors both are tested against.
 *
 *   rounded to whole seconds; negative -> 0; NaN/inf -> "—"
 *   < 1 min   "33秒"         "33 s"
 *   < 1 h     "12分15秒"     "12 min 15 s"    ("12分" / "12 min" when the seconds are 0)
 *   < 1 day   "3小时29分"    "3 h 29 min"     (seconds dropped; "3小时" when the minutes are 0)
 *   >= 1 day  "2天4小时"     "2 d 4 h"        (minutes dropped; "2天" when the hours are 0)
 */
#ifndef CW_CWFMT_H
#define CW_CWFMT_H

#include <stddef.h>

typedef enum cwfmt_lang { CWFMT_ZH = 0, CWFMT_EN = 1 } cwfmt_lang;

/* Write `seconds` by the rule above into out (n bytes, NUL-terminated, UTF-8). Returns out. */
char *cwfmt_duration(double seconds, cwfmt_lang lang, char *out, size_t n);

#endif
