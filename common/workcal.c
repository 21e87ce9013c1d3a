/* workcal: working time on the business calendar (see workcal.h). */
#include "workcal.h"

#include "cwtime.h"

#define MIN_MS 60000LL
#define GUARD_DAYS 3700 /* ten years of holidays: a calendar without working days stops here */

/* The weekday whose hours apply on a working day; -1 on a day off. */
static int hours_day(const cfg_t *cfg, const cwt_local *l)
{
    if (!cfg_is_workday(cfg, l->date, l->weekday)) return -1;
    return l->weekday >= 5 ? 0 : l->weekday; /* 调休: Monday's hours */
}

/* Local midnight of the day after l. */
static void next_day(const cwt_local *l, cwt_local *out)
{
    cwt_to_local(l->day_start_ms + 36 * 3600000LL, out);
}

int64_t workcal_add_minutes(const cfg_t *cfg, const cfg_hours *hours, int64_t from_ms,
                            double minutes)
{
    double left = minutes > 0 ? minutes * MIN_MS : 0;
    cwt_local l;
    cwt_to_local(from_ms, &l);
    int64_t t = from_ms;
    for (int guard = 0; guard < GUARD_DAYS; guard++) {
        int d = hours_day(cfg, &l);
        if (d >= 0) {
            cfg_span o = hours->open[d], lu = hours->lunch[d];
            /* up to two segments: before and after lunch */
            cfg_span seg[2] = {o, {0, 0}};
            if (lu.to_min > lu.from_min && lu.from_min > o.from_min && lu.to_min < o.to_min) {
                seg[0].to_min = lu.from_min;
                seg[1] = (cfg_span){lu.to_min, o.to_min};
            }
            for (int s = 0; s < 2; s++) {
                if (seg[s].to_min <= seg[s].from_min) continue;
                int64_t a = l.day_start_ms + seg[s].from_min * MIN_MS;
                int64_t b = l.day_start_ms + seg[s].to_min * MIN_MS;
                if (t > a) a = t;
                if (a >= b) continue;
                if ((double)(b - a) >= left) return a + (int64_t)left;
                left -= (double)(b - a);
            }
        }
        next_day(&l, &l);
        t = l.day_start_ms;
    }
    return t;
}

int64_t workcal_add_hours(const cfg_t *cfg, int64_t from_ms, double hrs)
{
    double left = hrs > 0 ? hrs * 3600000.0 : 0;
    cwt_local l;
    cwt_to_local(from_ms, &l);
    int64_t t = from_ms;
    for (int guard = 0; guard < GUARD_DAYS; guard++) {
        cwt_local n;
        next_day(&l, &n);
        if (cfg_is_workday(cfg, l.date, l.weekday)) {
            if ((double)(n.day_start_ms - t) >= left) return t + (int64_t)left;
            left -= (double)(n.day_start_ms - t);
        }
        l = n;
        t = n.day_start_ms;
    }
    return t;
}

int64_t workcal_add_days(const cfg_t *cfg, const cfg_hours *hours, int64_t from_ms, int n)
{
    cwt_local l;
    cwt_to_local(from_ms, &l);
    for (int k = 0, guard = 0; k < n && guard < GUARD_DAYS; guard++) {
        next_day(&l, &l);
        if (cfg_is_workday(cfg, l.date, l.weekday)) k++;
    }
    int d = hours_day(cfg, &l);
    cfg_span o = d >= 0 ? hours->open[d] : (cfg_span){0, 0};
    int close = o.to_min > o.from_min ? o.to_min : 24 * 60;
    return l.day_start_ms + close * MIN_MS;
}
