/* fmt: how the wall writes numbers -- counts, waits, rates, ages and durations -- shared by
 * every panel so the same quantity reads the same everywhere. A big number and its unit are
 * drawn at different sizes, so formats that have a unit return it separately. All outputs
 * are UTF-8 and NUL-terminated within n bytes.
 */
#ifndef CW_FMT_H
#define CW_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The wall's language for every format below (layout `language: en`); Chinese by default.
 * Render thread, set once at start. */
void fmt_set_english(bool en);

/* 1234 -> "1234"; from 10,000 on with thousands separators: 12345 -> "12,345". */
void fmt_count(double v, char *out, size_t n);
/* A wait in seconds, by the one duration rule (common/cwfmt.h): 43 -> "43秒", 576 -> "9分36秒",
 * 12573 -> "3小时29分"; the units are in the text, *unit is "". */
void fmt_wait(double seconds, char *val, size_t n, const char **unit);
/* A rate 0..1 as a percentage with one decimal, unit %: 0.8571 -> "85.7"; never "100.0" for
 * less than 1 (0.99996 -> "99.9"). */
void fmt_rate(double r, char *val, size_t n);
/* How long ago: 12999 ms -> "12秒前", 125 s -> "2分钟前", then 小时前, 天前. */
void fmt_ago(int64_t ms, char *out, size_t n);
/* A duration in ms (whole seconds, by common/cwfmt.h): 754 s -> "12分34秒", 45 s -> "45秒",
 * 7500 s -> "2小时5分". */
void fmt_duration(int64_t ms, char *out, size_t n);

#endif
