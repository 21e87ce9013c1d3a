/* stats_period: see stats_period.h. */
#include "stats_period.h"

#include <stdio.h>
#include <string.h>

#include "cwtime.h"

int stats_days_between(int a, int b)
{
    return (int)(cwt_date_days(b) - cwt_date_days(a)) + 1;
}

static int month_end(int y, int m)
{
    int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
    return cwt_date_add(ny * 10000 + nm * 100 + 1, -1);
}

static void set_label(stats_period *p)
{
    char a[11], b[11];
    switch (p->kind) {
    case SP_DAY:
        cwt_format_date(p->from, p->label);
        break;
    case SP_MONTH:
        snprintf(p->label, sizeof p->label, "%04d-%02d", p->from / 10000, p->from / 100 % 100);
        break;
    case SP_WEEK: { /* the ISO year is the year of the week's Thursday */
        int thu = cwt_date_add(p->from, 3), y = (thu / 10000) % 10000;
        int wk = (int)((cwt_date_days(thu) - cwt_date_days(y * 10000 + 101)) / 7 + 1) % 100;
        snprintf(p->label, sizeof p->label, "%04d-W%02d", y, wk);
        break;
    }
    default:
        snprintf(p->label, sizeof p->label, "%s..%s", cwt_format_date(p->from, a),
                 cwt_format_date(p->to, b));
    }
}

static int parse_week(const char *s, stats_period *p)
{
    int y, w;
    char tail;
    if (sscanf(s, "%4d-W%2d%c", &y, &w, &tail) != 2 || y < 1970 || y > 9999 || w < 1 || w > 53)
        return -1;
    int jan4 = y * 10000 + 104, monday = cwt_date_add(jan4, -cwt_weekday(jan4));
    p->from = cwt_date_add(monday, 7 * (w - 1));
    p->to = cwt_date_add(p->from, 6);
    if (w == 53 && cwt_date_add(p->from, 3) / 10000 != y) return -1; /* no week 53 */
    return 0;
}

static int parse_month(const char *s, stats_period *p)
{
    int y, m;
    char tail;
    if (strlen(s) != 7 || sscanf(s, "%4d-%2d%c", &y, &m, &tail) != 2 || y < 1970 || m < 1 || m > 12)
        return -1;
    p->from = y * 10000 + m * 100 + 1;
    p->to = month_end(y, m);
    return 0;
}

int stats_period_parse(const char *day, const char *week, const char *month, const char *from,
                       const char *to, stats_period *out, char *err, size_t n)
{
    int given = !!day + !!week + !!month + !!(from || to);
    memset(out, 0, sizeof *out);
    if (given != 1) {
        snprintf(err, n,
                 "give one period: day=YYYY-MM-DD, week=YYYY-Www, month=YYYY-MM, or "
                 "from=YYYY-MM-DD&to=YYYY-MM-DD");
        return -1;
    }
    if (day) {
        out->kind = SP_DAY;
        out->from = out->to = cwt_parse_date(day);
        if (out->from < 0) return snprintf(err, n, "day: '%.40s' is not YYYY-MM-DD", day), -1;
    } else if (week) {
        out->kind = SP_WEEK;
        if (parse_week(week, out) < 0)
            return snprintf(err, n, "week: '%.40s' is not an ISO week YYYY-Www", week), -1;
    } else if (month) {
        out->kind = SP_MONTH;
        if (parse_month(month, out) < 0)
            return snprintf(err, n, "month: '%.40s' is not YYYY-MM", month), -1;
    } else {
        out->kind = SP_RANGE;
        out->from = from ? cwt_parse_date(from) : -1;
        out->to = to ? cwt_parse_date(to) : -1;
        if (out->from < 0) return snprintf(err, n, "from: must be a date YYYY-MM-DD"), -1;
        if (out->to < 0) return snprintf(err, n, "to: must be a date YYYY-MM-DD"), -1;
        if (out->to < out->from) return snprintf(err, n, "to: is before from"), -1;
        if (stats_days_between(out->from, out->to) > STATS_MAX_DAYS)
            return snprintf(err, n, "to: the range is longer than %d days", STATS_MAX_DAYS), -1;
    }
    set_label(out);
    return 0;
}

stats_period stats_period_previous(const stats_period *p)
{
    stats_period q = *p;
    if (p->kind == SP_MONTH) {
        int y = p->from / 10000, m = p->from / 100 % 100;
        if (--m == 0) m = 12, y--;
        q.from = y * 10000 + m * 100 + 1;
        q.to = month_end(y, m);
    } else {
        int len = stats_days_between(p->from, p->to);
        q.from = cwt_date_add(p->from, -len);
        q.to = cwt_date_add(p->to, -len);
    }
    set_label(&q);
    return q;
}
