/* test_workcal: working time on the business calendar (common/workcal.c) for escalation steps
 * and reply deadlines. Calendar: Mon-Fri 09:00-17:00, lunch 12:00-13:30; the 2026 National
 * Day holidays 10-01..10-07 and the 调休 make-up working day Sat 10-10 (SPEC §2). Every
 * expected instant was worked out by hand (the arithmetic is in the comments).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "cwtime.h"
#include "workcal.h"

static int holidays[] = {20261001, 20261002, 20261003, 20261004, 20261005, 20261006, 20261007};
static int workdays[] = {20261010};
static cfg_t cfg;

static void build(void)
{
    memset(&cfg, 0, sizeof cfg);
    for (int d = 0; d < 5; d++) {
        cfg.city.hours.open[d] = (cfg_span){540, 1020};
        cfg.city.hours.lunch[d] = (cfg_span){720, 810};
    }
    cfg.city.calendar.holidays = holidays;
    cfg.city.calendar.nholidays = 7;
    cfg.city.calendar.workdays = workdays;
    cfg.city.calendar.nworkdays = 1;
}

static int64_t T(const char *s)
{
    int64_t ms;
    int off;
    char buf[48];
    snprintf(buf, sizeof buf, "%s+08:00", s);
    assert_int_equal(cwt_parse_rfc3339(buf, &ms, &off), 0);
    return ms;
}

static void expect(int64_t got, const char *want)
{
    char b[40];
    cwt_format_local(got, b);
    char w[48];
    snprintf(w, sizeof w, "%s.000+08:00", want);
    assert_string_equal(b, w);
}

static void test_minutes(void **state)
{
    (void)state;
    build();
    const cfg_hours *h = &cfg.city.hours;
    /* 11:50 + 20 working min: 10 before lunch, lunch 12:00-13:30 does not count, 10 after */
    expect(workcal_add_minutes(&cfg, h, T("2026-11-23T11:50:00"), 20), "2026-11-23T13:40:00");
    /* 0 min: the instant itself when working, else the next working instant */
    expect(workcal_add_minutes(&cfg, h, T("2026-11-23T11:30:00"), 0), "2026-11-23T11:30:00");
    expect(workcal_add_minutes(&cfg, h, T("2026-11-23T12:10:00"), 0), "2026-11-23T13:30:00");
    expect(workcal_add_minutes(&cfg, h, T("2026-11-23T07:00:00"), 15), "2026-11-23T09:15:00");
    /* Fri 16:50 + 30: 10 on Friday, the weekend does not count, 20 on Monday */
    expect(workcal_add_minutes(&cfg, h, T("2026-11-27T16:50:00"), 30), "2026-11-30T09:20:00");
    /* Fri 10-09 16:30 + 60: 30 on Friday, 30 on the make-up Saturday 10-10 (Monday's hours) */
    expect(workcal_add_minutes(&cfg, h, T("2026-10-09T16:30:00"), 60), "2026-10-10T09:30:00");
    /* Wed 09-30 16:30 + 60: 30 on 09-30, the holidays 10-01..10-07, 30 on Thu 10-08 */
    expect(workcal_add_minutes(&cfg, h, T("2026-09-30T16:30:00"), 60), "2026-10-08T09:30:00");
    /* a working day is 3 h + 3 h 30 = 390 min: Mon 09:00 + 390 = Mon 17:00, + 450 = Tue 10:00 */
    expect(workcal_add_minutes(&cfg, h, T("2026-11-23T09:00:00"), 390), "2026-11-23T17:00:00");
    expect(workcal_add_minutes(&cfg, h, T("2026-11-23T09:00:00"), 450), "2026-11-24T10:00:00");
}

static void test_hours(void **state)
{
    (void)state;
    build();
    /* the 48-hour rule from Fri 11-27 10:00: 14 h of Friday, the weekend skipped, 24 of Monday,
     * 10 of Tuesday -> Tue 12-01 10:00 */
    expect(workcal_add_hours(&cfg, T("2026-11-27T10:00:00"), 48), "2026-12-01T10:00:00");
    /* from Fri 10-09 10:00: 14 h Friday, 24 h on the make-up Saturday 10-10, Sunday skipped,
     * 10 h Monday 10-12 */
    expect(workcal_add_hours(&cfg, T("2026-10-09T10:00:00"), 48), "2026-10-12T10:00:00");
    /* from Wed 09-30 20:00: 4 h on 09-30, the holidays skipped, 20 h on Thu 10-08 */
    expect(workcal_add_hours(&cfg, T("2026-09-30T20:00:00"), 24), "2026-10-08T20:00:00");
    /* started on a day off: counting begins at the next working day */
    expect(workcal_add_hours(&cfg, T("2026-11-28T15:00:00"), 2), "2026-11-30T02:00:00");
}

static void test_days(void **state)
{
    (void)state;
    build();
    const cfg_hours *h = &cfg.city.hours;
    expect(workcal_add_days(&cfg, h, T("2026-11-23T10:00:00"), 1), "2026-11-24T17:00:00");
    expect(workcal_add_days(&cfg, h, T("2026-11-27T10:00:00"), 1), "2026-11-30T17:00:00");
    /* the make-up Saturday counts, with Monday's closing time */
    expect(workcal_add_days(&cfg, h, T("2026-10-09T10:00:00"), 1), "2026-10-10T17:00:00");
    expect(workcal_add_days(&cfg, h, T("2026-09-30T10:00:00"), 2), "2026-10-09T17:00:00");
}

int main(void)
{
    if (cwt_set_timezone("Asia/Shanghai") < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minutes),
        cmocka_unit_test(test_hours),
        cmocka_unit_test(test_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
