/* workcal: working time on the business calendar (SPEC §2) -- for escalation (督办) steps and
 * reply deadlines. A working day is a day the city calendar says is one (调休 make-up days
 * included, with Monday's hours; public holidays excluded); its working time is its opening
 * hours without the lunch break.
 *
 * Three ways to count (docs/alerts.md, "Escalation"):
 *  - minutes: working minutes (opening hours of working days, lunch excluded);
 *  - hours: whole hours of working days (the 48-hour reply rule: non-working days do not
 *    count, nights of working days do);
 *  - days: the close of business of the n-th working day after the start (like a case
 *    deadline).
 * All instants are business-time UTC milliseconds; the city's time zone must be set
 * (cwt_set_timezone). Pure functions of the config.
 */
#ifndef CW_WORKCAL_H
#define CW_WORKCAL_H

#include <stdint.h>

#include "config.h"

/* The instant when `minutes` working minutes have passed since from_ms (hours: the hours of
 * the hall, or the city's). from_ms itself when minutes <= 0 and from_ms is working time;
 * else the next working instant. */
int64_t workcal_add_minutes(const cfg_t *cfg, const cfg_hours *hours, int64_t from_ms,
                            double minutes);
/* The instant when `hours` hours of working days have passed since from_ms. */
int64_t workcal_add_hours(const cfg_t *cfg, int64_t from_ms, double hours);
/* The close of business of the n-th working day after from_ms's date (n >= 1). */
int64_t workcal_add_days(const cfg_t *cfg, const cfg_hours *hours, int64_t from_ms, int n);

#endif
