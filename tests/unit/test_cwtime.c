/* Unit tests for cwtime: RFC 3339, local time in several zones, dates, the business clock.
 * Expected instants were computed with GNU date, e.g.
 * `date -d '2026-11-22T09:12:33.120+08:00' +%s%3N` = 1795309953120. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cwtime.h"

static void test_parse_ok(void **state)
{
    (void)state;
    int64_t ms = 0;
    int off = 0;
    assert_int_equal(cwt_parse_rfc3339("2026-11-22T09:12:33.120+08:00", &ms, &off), 0);
    assert_int_equal(ms, 1795309953120LL);
    assert_int_equal(off, 480);
    assert_int_equal(cwt_parse_rfc3339("2026-11-22T01:12:33Z", &ms, &off), 0);
    assert_int_equal(ms, 1795309953000LL);
    assert_int_equal(off, 0);
    assert_int_equal(cwt_parse_rfc3339("2026-11-22t01:12:33z", &ms, NULL), 0);
    assert_int_equal(ms, 1795309953000LL);
    /* fraction of any length, truncated to ms */
    assert_int_equal(cwt_parse_rfc3339("2026-11-22T01:12:33.1239999Z", &ms, NULL), 0);
    assert_int_equal(ms, 1795309953123LL);
    assert_int_equal(cwt_parse_rfc3339("2026-11-22T01:12:33.5-05:30", &ms, &off), 0);
    assert_int_equal(ms, 1795329753500LL);
    assert_int_equal(off, -330);
    /* leap day, the largest offset allowed, fraction .999 */
    assert_int_equal(cwt_parse_rfc3339("2000-02-29T23:59:59.999+18:00", &ms, &off), 0);
    assert_int_equal(ms, 951803999999LL);
    assert_int_equal(off, 1080);
    assert_int_equal(cwt_parse_rfc3339("1969-12-31T23:59:59.999Z", &ms, NULL), 0);
    assert_int_equal(ms, -1);
}

static void test_parse_reject(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2026-02-30T00:00:00+08:00",
        "2026-04-31T00:00:00Z",
        "2026-11-22T24:00:00Z",
        "2026-11-22T09:60:00Z",
        "2026-11-22T09:12:60Z",
        "2026-11-22T09:12:33+18:01",
        "2026-11-22T09:12:33+19:00",
        "2026-11-22T09:12:33+08:60",
        "2026-11-22T09:12:33",
        "2026-11-22T09:12:33.120",
        "2026-11-22 09:12:33Z",
        "2026-11-22T09:12:33.+08:00",
        "2026-11-22T09:12:33+0800",
        "2026-11-22T09:12:33+08",
        "2026-11-22T09:12:33Z ",
        "2026-11-22T9:12:33Z",
        "26-11-22T09:12:33Z",
        "2026-11-22",
        "",
        "2026-11-22T09:12:33ZZ",
        "+2026-11-22T09:12:33Z",
        "2026-11-22T09:12:33.1a+08:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 42;
        if (cwt_parse_rfc3339(bad[i], &ms, NULL) != -1) fail_msg("accepted '%s'", bad[i]);
    }
    int64_t ms;
    assert_int_equal(cwt_parse_rfc3339(NULL, &ms, NULL), -1);
}

static void test_format(void **state)
{
    (void)state;
    char buf[40];
    assert_int_equal(cwt_set_timezone("Asia/Shanghai"), 0);
    assert_string_equal(cwt_format_local(1795309953120LL, buf), "2026-11-22T09:12:33.120+08:00");
    assert_string_equal(cwt_format_utc(1795309953120LL, buf), "2026-11-22T01:12:33.120Z");
    assert_string_equal(cwt_format_utc(-1, buf), "1969-12-31T23:59:59.999Z");
    assert_string_equal(cwt_format_utc(0, buf), "1970-01-01T00:00:00.000Z");
    assert_int_equal(cwt_set_timezone("America/New_York"), 0);
    assert_string_equal(cwt_format_local(1795309953120LL, buf), "2026-11-21T20:12:33.120-05:00");
    assert_string_equal(cwt_format_local(1772985600000LL, buf), "2026-03-08T12:00:00.000-04:00");
    assert_int_equal(cwt_set_timezone("Asia/Kolkata"), 0);
    assert_string_equal(cwt_format_local(1795309953120LL, buf), "2026-11-22T06:42:33.120+05:30");
    /* round trip */
    int64_t ms;
    assert_int_equal(cwt_parse_rfc3339(buf, &ms, NULL), 0);
    assert_int_equal(ms, 1795309953120LL);
}

static void test_timezone_names(void **state)
{
    (void)state;
    assert_int_equal(cwt_set_timezone("Nowhere/City"), -1);
    assert_int_equal(cwt_set_timezone("../../etc/passwd"), -1);
    assert_int_equal(cwt_set_timezone("/usr/share/zoneinfo/UTC"), -1);
    assert_int_equal(cwt_set_timezone(""), -1);
    assert_int_equal(cwt_set_timezone(NULL), -1);
    assert_int_equal(cwt_set_timezone("Asia"), -1); /* a directory */
    assert_int_equal(cwt_set_timezone("UTC"), 0);
}

static void test_local_shanghai(void **state)
{
    (void)state;
    cwt_local l;
    assert_int_equal(cwt_set_timezone("Asia/Shanghai"), 0);
    cwt_to_local(1795309953120LL, &l); /* Sun 2026-11-22 09:12 */
    assert_int_equal(l.date, 20261122);
    assert_int_equal(l.weekday, 6);
    assert_int_equal(l.minute, 552);
    assert_int_equal(l.day_start_ms, 1795276800000LL);
    /* same day again (cached path), last millisecond of the day */
    cwt_to_local(1795276800000LL + 86400000LL - 1, &l);
    assert_int_equal(l.date, 20261122);
    assert_int_equal(l.weekday, 6);
    assert_int_equal(l.minute, 1439);
    assert_int_equal(l.day_start_ms, 1795276800000LL);
    cwt_to_local(1795276800000LL + 86400000LL, &l);
    assert_int_equal(l.date, 20261123);
    assert_int_equal(l.weekday, 0);
    assert_int_equal(l.minute, 0);
    assert_int_equal(l.day_start_ms, 1795363200000LL);
    /* 2026-11-22T01:12:33Z is still 09:12 local; 2026-11-21T16:00:00Z is local midnight */
    cwt_to_local(1795276800000LL - 1, &l);
    assert_int_equal(l.date, 20261121);
    assert_int_equal(l.weekday, 5);
    assert_int_equal(l.minute, 1439);
    assert_int_equal(l.day_start_ms, 1795276800000LL - 86400000LL);
}

static void test_local_dst(void **state)
{
    (void)state;
    cwt_local l;
    assert_int_equal(cwt_set_timezone("America/New_York"), 0);
    /* 2026-03-08: 23 h day (02:00 -> 03:00) */
    cwt_to_local(1772985600000LL, &l); /* 12:00 -04:00 */
    assert_int_equal(l.date, 20260308);
    assert_int_equal(l.weekday, 6);
    assert_int_equal(l.minute, 720);
    assert_int_equal(l.day_start_ms, 1772946000000LL); /* 00:00 -05:00 */
    /* 2026-11-01: 25 h day */
    cwt_to_local(1793552400000LL, &l); /* 12:00 -05:00 */
    assert_int_equal(l.date, 20261101);
    assert_int_equal(l.minute, 720);
    assert_int_equal(l.day_start_ms, 1793505600000LL); /* 00:00 -04:00 */
    cwt_to_local(1793595600000LL - 1, &l);             /* 23:59:59.999 -05:00 */
    assert_int_equal(l.date, 20261101);
    assert_int_equal(l.minute, 1439);
    assert_int_equal(l.day_start_ms, 1793505600000LL);

    /* Santiago skips midnight: 2026-09-06 begins at 01:00 -03 (04:00Z). */
    assert_int_equal(cwt_set_timezone("America/Santiago"), 0);
    cwt_to_local(1788667200000LL + 11 * 3600000LL, &l); /* 12:00 -03 */
    assert_int_equal(l.date, 20260906);
    assert_int_equal(l.weekday, 6);
    assert_int_equal(l.minute, 720);
    assert_int_equal(l.day_start_ms, 1788667200000LL);
    cwt_to_local(1788667200000LL - 1, &l); /* 2026-09-05 23:59:59.999 -04 */
    assert_int_equal(l.date, 20260905);
    assert_int_equal(l.minute, 1439);
    assert_int_equal(l.day_start_ms, 1788667200000LL - 86400000LL);

    /* changing the zone invalidates the cached day */
    assert_int_equal(cwt_set_timezone("UTC"), 0);
    cwt_to_local(1788667200000LL - 1, &l);
    assert_int_equal(l.date, 20260906);
    assert_int_equal(l.minute, 239);
    assert_int_equal(l.day_start_ms, 1788652800000LL);
}

static void test_dates(void **state)
{
    (void)state;
    char buf[11];
    assert_int_equal(cwt_weekday(20261122), 6);
    assert_int_equal(cwt_weekday(20261123), 0);
    assert_int_equal(cwt_weekday(19700101), 3);
    assert_int_equal(cwt_weekday(20000101), 5);
    assert_int_equal(cwt_weekday(20260101), 3);
    assert_int_equal(cwt_weekday(19691231), 2);
    assert_int_equal(cwt_next_date(20261231), 20270101);
    assert_int_equal(cwt_next_date(20260228), 20260301);
    assert_int_equal(cwt_next_date(20280228), 20280229);
    assert_int_equal(cwt_next_date(20280229), 20280301);
    assert_int_equal(cwt_next_date(21000228), 21000301);
    assert_int_equal(cwt_next_date(20000228), 20000229);
    assert_int_equal(cwt_next_date(20261130), 20261201);
    /* days since the epoch and date arithmetic both ways (counted by hand: 1970..1999 is
     * 30 years with 7 leap days = 10957 days, then 31 of January and 29 of February 2000) */
    assert_int_equal(cwt_date_days(19700101), 0);
    assert_int_equal(cwt_date_days(20000301), 11017);
    assert_int_equal(cwt_date_days(19691231), -1);
    assert_int_equal(cwt_date_add(20250101, -1), 20241231);
    assert_int_equal(cwt_date_add(20240301, -1), 20240229);
    assert_int_equal(cwt_date_add(20261010, -365), 20251010);
    assert_int_equal(cwt_date_add(20261123, 0), 20261123);
    assert_int_equal(cwt_date_add(20261123, 39), 20270101); /* 7 of November + 31 + 1 */
    assert_int_equal(cwt_parse_date("2026-11-22"), 20261122);
    assert_int_equal(cwt_parse_date("2028-02-29"), 20280229);
    assert_int_equal(cwt_parse_date("2026-02-29"), -1);
    assert_int_equal(cwt_parse_date("2026-1-22"), -1);
    assert_int_equal(cwt_parse_date("2026-11-22x"), -1);
    assert_int_equal(cwt_parse_date("2026-11-00"), -1);
    assert_int_equal(cwt_parse_date("2026/11/22"), -1);
    assert_int_equal(cwt_parse_date(""), -1);
    assert_string_equal(cwt_format_date(20261122, buf), "2026-11-22");
    assert_string_equal(cwt_format_date(20270101, buf), "2027-01-01");
}

static void test_clock_parse(void **state)
{
    (void)state;
    cwt_clock c;
    assert_int_equal(cwt_clock_parse(&c, "2026-11-23T09:30:00+08:00@60"), 0);
    assert_int_equal(c.start_ms, 1795397400000LL);
    assert_true(c.speed == 60.0);
    int64_t m = cwt_mono_ms();
    assert_true(c.anchor_mono_ms <= m && c.anchor_mono_ms > m - 1000);
    assert_int_equal(cwt_clock_parse(&c, "2026-11-23T09:30:00+08:00"), 0);
    assert_true(c.speed == 1.0);
    assert_int_equal(cwt_clock_parse(&c, "2026-11-23T01:30:00Z@1.5"), 0);
    assert_int_equal(c.start_ms, 1795397400000LL);
    assert_true(c.speed == 1.5);
    assert_int_equal(cwt_clock_parse(&c, "2026-11-23T09:30:00+08:00@10000"), 0);
    static const char *const bad[] = {
        "2026-11-23T09:30:00+08:00@0",
        "2026-11-23T09:30:00+08:00@-1",
        "2026-11-23T09:30:00+08:00@",
        "2026-11-23T09:30:00+08:00@abc",
        "2026-11-23T09:30:00+08:00@10001",
        "2026-11-23T09:30:00+08:00@60x",
        "2026-11-23T09:30:00+08:00@nan",
        "2026-11-23T09:30:00+08:00@inf",
        "2026-11-23T09:30:00@60",
        "@60",
        "",
        "2026-11-23T09:30:00+08:00@1@2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (cwt_clock_parse(&c, bad[i]) != -1) fail_msg("accepted '%s'", bad[i]);
    }
}

static void test_clock_run(void **state)
{
    (void)state;
    cwt_clock c = {
        .start_ms = 1795397400000LL, .anchor_mono_ms = cwt_mono_ms() - 1000, .speed = 60};
    int64_t now = cwt_clock_now(&c);
    /* 1 s of real time at 60x is 60 s of business time (plus the time this call took) */
    assert_true(now >= 1795397400000LL + 60000 && now < 1795397400000LL + 60000 + 60 * 200);

    c = (cwt_clock){.start_ms = 1000000, .anchor_mono_ms = cwt_mono_ms(), .speed = 1};
    cwt_clock_floor(&c, 500000); /* already later: unchanged */
    assert_int_equal(c.start_ms, 1000000);
    cwt_clock_floor(&c, 2000000);
    now = cwt_clock_now(&c);
    assert_true(now >= 2000000 && now < 2000000 + 200);
    assert_true(c.start_ms >= 2000000 && c.start_ms < 2000000 + 200);

    cwt_clock_real(&c);
    assert_true(c.speed == 1.0);
    int64_t real = cwt_real_ms();
    now = cwt_clock_now(&c);
    assert_true(now > real - 200 && now < real + 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),       cmocka_unit_test(test_parse_reject),
        cmocka_unit_test(test_format),         cmocka_unit_test(test_timezone_names),
        cmocka_unit_test(test_local_shanghai), cmocka_unit_test(test_local_dst),
        cmocka_unit_test(test_dates),          cmocka_unit_test(test_clock_parse),
        cmocka_unit_test(test_clock_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
