/* cwtime: RFC 3339 instants, the city's local time and the business clock (see cwtime.h).
 *
 * Civil-date arithmetic (yyyymmdd <-> days since 1970-01-01) is done here with Howard
 * Hinnant's days_from_civil / civil_from_days, exact for the proleptic Gregorian calendar,
 * so parsing and UTC formatting need no libc time zone state at all.
 *
 * Local time goes through the C library (TZ + tzset, localtime_r, mktime), so any zone with
 * any DST rules is handled. cwt_to_local() keeps a per-thread cache of the last local days it
 * saw (4): when that day has one UTC offset throughout (the day is 24 h long and the offset at
 * its start equals the one at its end), instants inside it are broken down by arithmetic
 * alone. A day with a transition always takes the localtime_r path. cwt_set_timezone()
 * bumps a generation counter that invalidates every thread's cache.
 *
 * Leap seconds: second 60 is rejected (the hub's clocks do not have them).
 */
#include "cwtime.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MS_PER_DAY 86400000LL

static int tz_generation = 1;

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* n ASCII digits at s into *v; false when any is not a digit. */
static bool digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

int cwt_parse_rfc3339(const char *s, int64_t *ms, int *offset_min)
{
    int y, mo, d, h, mi, sec, frac_ms = 0, off = 0;
    if (!s || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) return -1;
        int n = 0;
        for (; isdigit((unsigned char)*p); p++, n++) {
            if (n < 3) frac_ms = frac_ms * 10 + (*p - '0');
        }
        for (; n < 3; n++)
            frac_ms *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om)) return -1;
        if (om > 59 || oh * 60 + om > 18 * 60) return -1;
        off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0') return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
        return -1;
    int64_t days = days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)off * 60;
    *ms = secs * 1000 + frac_ms;
    if (offset_min) *offset_min = off;
    return 0;
}

static char *format_fields(char *out, int y, int mo, int d, int h, int mi, int s, int ms,
                           long off_s, bool utc)
{
    int n = snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", y, mo, d, h, mi, s, ms);
    if (utc) {
        snprintf(out + n, 40 - n, "Z");
    } else {
        char sign = off_s < 0 ? '-' : '+';
        long a = off_s < 0 ? -off_s : off_s;
        snprintf(out + n, 40 - n, "%c%02ld:%02ld", sign, a / 3600, a / 60 % 60);
    }
    return out;
}

char *cwt_format_utc(int64_t ms, char *out)
{
    int64_t days = floor_div(ms, MS_PER_DAY);
    int64_t rem = ms - days * MS_PER_DAY;
    int y, mo, d;
    civil_from_days(days, &y, &mo, &d);
    return format_fields(out, y, mo, d, (int)(rem / 3600000), (int)(rem / 60000 % 60),
                         (int)(rem / 1000 % 60), (int)(rem % 1000), 0, true);
}

char *cwt_format_local(int64_t ms, char *out)
{
    time_t secs = (time_t)floor_div(ms, 1000);
    int frac = (int)(ms - (int64_t)secs * 1000);
    struct tm tm;
    if (!localtime_r(&secs, &tm)) return cwt_format_utc(ms, out);
    return format_fields(out, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec, frac, tm.tm_gmtoff, false);
}

int cwt_set_timezone(const char *tzname)
{
    if (!tzname || !*tzname || tzname[0] == '/' || strstr(tzname, "..")) return -1;
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir) dir = "/usr/share/zoneinfo";
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, tzname) >= (int)sizeof path) return -1;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    if (setenv("TZ", tzname, 1) != 0) return -1;
    tzset();
    tz_generation++;
    return 0;
}

static int tm_date(const struct tm *tm)
{
    return (tm->tm_year + 1900) * 10000 + (tm->tm_mon + 1) * 100 + tm->tm_mday;
}

static int local_date_s(time_t t)
{
    struct tm tm;
    if (!localtime_r(&t, &tm)) return 0;
    return tm_date(&tm);
}

static long local_offset_s(time_t t)
{
    struct tm tm;
    if (!localtime_r(&t, &tm)) return 0;
    return tm.tm_gmtoff;
}

/* UTC seconds of the first instant whose local date is `date`. */
static time_t local_day_start_s(int date)
{
    struct tm tm = {0};
    tm.tm_year = date / 10000 - 1900;
    tm.tm_mon = date / 100 % 100 - 1;
    tm.tm_mday = date % 100;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t != (time_t)-1 && tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0 &&
        tm_date(&tm) == date && local_date_s(t - 1) < date)
        return t;
    /* Midnight is skipped or repeated in this zone: search for the day's first second. */
    int64_t days = days_from_civil(date / 10000, date / 100 % 100, date % 100);
    time_t lo = (time_t)(days * 86400 - 36 * 3600), hi = (time_t)(days * 86400 + 36 * 3600);
    while (lo < hi) {
        time_t mid = lo + (hi - lo) / 2;
        if (local_date_s(mid) >= date)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

typedef struct local_cache {
    int generation;
    int64_t start_ms, end_ms; /* [start, end) is one local day with a single offset */
    int date, weekday;
} local_cache;

/* A few days, not one: the stats roll-up breaks down an event's day and, between two events,
 * a review's due day a few working days on; one entry was thrashed by the two (callgrind). */
#define LOCAL_CACHE_DAYS 4
static _Thread_local local_cache tl_cache[LOCAL_CACHE_DAYS];
static _Thread_local unsigned tl_next; /* the entry a miss replaces next */

void cwt_to_local(int64_t ms, cwt_local *out)
{
    for (int i = 0; i < LOCAL_CACHE_DAYS; i++) {
        const local_cache *c = &tl_cache[i];
        if (c->generation == tz_generation && ms >= c->start_ms && ms < c->end_ms) {
            out->date = c->date;
            out->weekday = c->weekday;
            out->minute = (int)((ms - c->start_ms) / 60000);
            out->day_start_ms = c->start_ms;
            return;
        }
    }
    time_t secs = (time_t)floor_div(ms, 1000);
    struct tm tm;
    if (!localtime_r(&secs, &tm)) {
        memset(out, 0, sizeof *out);
        return;
    }
    out->date = tm_date(&tm);
    out->weekday = (tm.tm_wday + 6) % 7;
    out->minute = tm.tm_hour * 60 + tm.tm_min;
    time_t start = local_day_start_s(out->date);
    time_t end = local_day_start_s(cwt_next_date(out->date));
    out->day_start_ms = (int64_t)start * 1000;
    if (end - start == 86400 && local_offset_s(start) == local_offset_s(end - 1)) {
        local_cache *c = &tl_cache[tl_next++ % LOCAL_CACHE_DAYS];
        c->generation = tz_generation;
        c->start_ms = (int64_t)start * 1000;
        c->end_ms = (int64_t)end * 1000;
        c->date = out->date;
        c->weekday = out->weekday;
    }
}

char *cwt_format_date(int date, char *out)
{
    unsigned u = date < 0 ? 0 : (unsigned)date;
    snprintf(out, 11, "%04u-%02u-%02u", u / 10000 % 10000, u / 100 % 100, u % 100);
    return out;
}

int cwt_parse_date(const char *s)
{
    int y, m, d;
    if (!s || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || s[10] != '\0')
        return -1;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return -1;
    return y * 10000 + m * 100 + d;
}

int cwt_weekday(int date)
{
    int64_t days = days_from_civil(date / 10000, date / 100 % 100, date % 100);
    return (int)(((days + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday (3) */
}

int64_t cwt_date_days(int date)
{
    return days_from_civil(date / 10000, date / 100 % 100, date % 100);
}

int cwt_date_add(int date, int n)
{
    int y, m, d;
    civil_from_days(cwt_date_days(date) + n, &y, &m, &d);
    return y * 10000 + m * 100 + d;
}

int cwt_next_date(int date)
{
    return cwt_date_add(date, 1);
}

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t cwt_real_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

int64_t cwt_mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

int cwt_clock_parse(cwt_clock *c, const char *spec)
{
    if (!spec) return -1;
    char start[128];
    const char *at = strchr(spec, '@');
    size_t n = at ? (size_t)(at - spec) : strlen(spec);
    if (n == 0 || n >= sizeof start) return -1;
    memcpy(start, spec, n);
    start[n] = '\0';
    int64_t start_ms;
    if (cwt_parse_rfc3339(start, &start_ms, NULL) != 0) return -1;
    double speed = 1;
    if (at) {
        const char *sp = at + 1;
        if (!isdigit((unsigned char)*sp) && *sp != '.') return -1;
        char *end;
        speed = strtod(sp, &end);
        if (end == sp || *end != '\0' || !isfinite(speed) || !(speed > 0) || speed > 10000)
            return -1;
    }
    c->start_ms = start_ms;
    c->anchor_mono_ms = cwt_mono_ms();
    c->speed = speed;
    return 0;
}

void cwt_clock_real(cwt_clock *c)
{
    c->anchor_mono_ms = cwt_mono_ms();
    c->start_ms = cwt_real_ms();
    c->speed = 1;
}

int64_t cwt_clock_now(const cwt_clock *c)
{
    int64_t elapsed = cwt_mono_ms() - c->anchor_mono_ms;
    if (c->speed == 1) return c->start_ms + elapsed;
    return c->start_ms + (int64_t)((double)elapsed * c->speed);
}

void cwt_clock_floor(cwt_clock *c, int64_t floor_ms)
{
    int64_t now = cwt_clock_now(c);
    if (now < floor_ms) c->start_ms += floor_ms - now;
}
