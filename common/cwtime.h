/* cwtime: timestamps, the city's local time, and the business clock.
 *
 * All instants are int64 milliseconds since the Unix epoch (UTC). Local time is the city's
 * zone, set once per process with cwt_set_timezone() before any other thread starts.
 *
 * The business clock (SPEC §1 --clock START@SPEED) runs from START at SPEED times real time;
 * business rules, KPI ages and the business day follow it. Transport timeouts use
 * cwt_mono_ms() (real time). A cwt_clock is plain data: read it from any thread.
 */
#ifndef CW_TIME_H
#define CW_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse RFC 3339 with a mandatory offset ("2026-11-22T09:12:33.120+08:00", "...Z"), fraction
 * optional (any digits; kept to ms). Returns 0 and sets *ms (UTC) and, if non-NULL,
 * *offset_min; -1 on any syntax or range error. */
int cwt_parse_rfc3339(const char *s, int64_t *ms, int *offset_min);

/* Format ms as RFC 3339 in the city's local zone with ms precision:
 * "2026-11-22T09:12:33.120+08:00". out must hold 40 bytes. Returns out. */
char *cwt_format_local(int64_t ms, char *out);
/* Same in UTC with "Z" (Alertmanager style). */
char *cwt_format_utc(int64_t ms, char *out);

int cwt_set_timezone(const char *tzname); /* e.g. "Asia/Shanghai"; 0 or -1 */

typedef struct cwt_local {
    int date;             /* yyyymmdd */
    int weekday;          /* 0 = Monday .. 6 = Sunday */
    int minute;           /* minutes since local midnight */
    int64_t day_start_ms; /* UTC ms of local midnight starting this date */
} cwt_local;

/* Break an instant into the city's local date, weekday and minute of day. */
void cwt_to_local(int64_t ms, cwt_local *out);
/* "2026-11-22" for a yyyymmdd date; out holds 11 bytes. */
char *cwt_format_date(int date, char *out);
/* Parse "2026-11-22" into yyyymmdd; -1 on error. */
int cwt_parse_date(const char *s);
/* Weekday (0 = Monday) of a yyyymmdd date. */
int cwt_weekday(int date);
/* The next date after a yyyymmdd date. */
int cwt_next_date(int date);
/* Days since 1970-01-01 of a yyyymmdd date; the date n days after it (n may be negative). */
int64_t cwt_date_days(int date);
int cwt_date_add(int date, int n);

int64_t cwt_real_ms(void); /* CLOCK_REALTIME, ms */
int64_t cwt_mono_ms(void); /* CLOCK_MONOTONIC, ms */

typedef struct cwt_clock {
    int64_t start_ms; /* business time at the anchor */
    int64_t anchor_mono_ms;
    double speed; /* 1 = real time */
} cwt_clock;

/* Parse "START[@SPEED]" (START RFC 3339) into a clock anchored now; 0 or -1. */
int cwt_clock_parse(cwt_clock *c, const char *spec);
/* A clock that follows the real time. */
void cwt_clock_real(cwt_clock *c);
/* Business now in ms. */
int64_t cwt_clock_now(const cwt_clock *c);
/* Move the clock so that it reads at least `floor_ms` now (the clock never runs backwards
 * across restarts). */
void cwt_clock_floor(cwt_clock *c, int64_t floor_ms);

#endif
