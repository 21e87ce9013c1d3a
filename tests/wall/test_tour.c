/* test_tour: 轮巡 groups, pre-roll, skipping cameras that go offline, the alert-pinned hero
 * (tour.h); and the number formats panels share (scene.h fmt_*), model_short_name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"
#include "scene.h"
#include "tour.h"

static bool all_ready(int id, void *ud)
{
    (void)id;
    (void)ud;
    return true;
}

static bool none_ready(int id, void *ud)
{
    (void)id;
    (void)ud;
    return false;
}

static void expect_group(const tour *t, const int *want, int n)
{
    assert_int_equal(t->ncur, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(t->cur[i], want[i]);
}

static void test_groups(void **state)
{
    (void)state;
    tour t;
    tour_init(&t, 10000, 60000, 3000); /* dwell 10 s, pin 60 s, pre-roll 3 s */
    int cams[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    tour_step(&t, cams, 10, 4, 1000, all_ready, NULL);
    expect_group(&t, (int[]){0, 1, 2, 3}, 4);
    assert_int_equal(t.nnext, 4);
    assert_int_equal(t.next[0], 4);
    assert_false(t.preroll);
    /* 3 s before the switch (at 11 s) the next group is opened */
    tour_step(&t, cams, 10, 4, 7999, all_ready, NULL);
    assert_false(t.preroll);
    tour_step(&t, cams, 10, 4, 8000, all_ready, NULL);
    assert_true(t.preroll);
    expect_group(&t, (int[]){0, 1, 2, 3}, 4);
    /* the switch */
    tour_step(&t, cams, 10, 4, 11000, all_ready, NULL);
    expect_group(&t, (int[]){4, 5, 6, 7}, 4);
    assert_int_equal(t.switches, 1);
    /* the third group wraps around: 8, 9, 0, 1 */
    tour_step(&t, cams, 10, 4, 21000, all_ready, NULL);
    expect_group(&t, (int[]){8, 9, 0, 1}, 4);
}

static void test_switch_waits_for_preroll(void **state)
{
    (void)state;
    tour t;
    tour_init(&t, 5000, 60000, 2000);
    int cams[6] = {10, 11, 12, 13, 14, 15};
    tour_step(&t, cams, 6, 3, 0, all_ready, NULL);
    /* due at 5 s, but the next group has no frame yet: the switch waits, at most 1 s */
    tour_step(&t, cams, 6, 3, 5000, none_ready, NULL);
    expect_group(&t, (int[]){10, 11, 12}, 3);
    tour_step(&t, cams, 6, 3, 5999, none_ready, NULL);
    expect_group(&t, (int[]){10, 11, 12}, 3);
    tour_step(&t, cams, 6, 3, 6000, none_ready, NULL);
    expect_group(&t, (int[]){13, 14, 15}, 3);
}

static void test_offline_skipped(void **state)
{
    (void)state;
    tour t;
    tour_init(&t, 10000, 60000, 3000);
    int cams[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    tour_step(&t, cams, 8, 4, 0, all_ready, NULL);
    expect_group(&t, (int[]){0, 1, 2, 3}, 4);
    /* camera 2 goes offline: it leaves at once, its place taken by the next one (4) */
    int less[7] = {0, 1, 3, 4, 5, 6, 7};
    tour_step(&t, less, 7, 4, 1000, all_ready, NULL);
    expect_group(&t, (int[]){0, 1, 3, 4}, 4);
    /* no more cameras than slots: all of them, no rotation */
    int few[3] = {5, 6, 7};
    tour_step(&t, few, 3, 4, 2000, all_ready, NULL);
    expect_group(&t, (int[]){5, 6, 7}, 3);
    assert_int_equal(t.nnext, 0);
    tour_step(&t, few, 3, 4, 60000, all_ready, NULL);
    expect_group(&t, (int[]){5, 6, 7}, 3);
}

static void test_hero_pin(void **state)
{
    (void)state;
    tour t;
    tour_init(&t, 10000, 60000, 3000);
    int cams[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    tour_step(&t, cams, 8, 4, 0, all_ready, NULL);
    assert_true(tour_pin(&t, 6, "R6:LH-03:B01", 1000));
    assert_int_equal(t.hero, 6);
    /* another alert waits while the pin runs; the same alert never pins twice */
    assert_false(tour_pin(&t, 2, "R14:LH-05:CAM-E01", 2000));
    assert_false(tour_pin(&t, 6, "R6:LH-03:B01", 2000));
    tour_step(&t, cams, 8, 3, 60999, all_ready, NULL);
    assert_int_equal(t.hero, 6);
    /* the pin ends at 61 s; the tour has the slot back */
    tour_step(&t, cams, 8, 4, 61000, all_ready, NULL);
    assert_int_equal(t.hero, -1);
    assert_false(tour_pin(&t, 6, "R6:LH-03:B01", 61000));
    assert_true(tour_pin(&t, 2, "R14:LH-05:CAM-E01", 61000));
    assert_int_equal(t.hero, 2);
    assert_int_equal(t.hero_until, 121000);
}

/* A hub-decided wall (--wall): the group is the step-th, the same whatever the host's own
 * time; pre-roll from the hub's next step time; the hero held until released. */
static void test_follow_hub_steps(void **state)
{
    (void)state;
    tour t;
    tour_init(&t, 10000, 60000, 3000);
    int cams[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    /* step 0: cameras 0..3; the next step at t = 20 s */
    tour_follow(&t, cams, 10, 4, 0, 20000, 1000);
    expect_group(&t, (int[]){0, 1, 2, 3}, 4);
    expect_group(&t, t.cur, 4);
    assert_int_equal(t.next[0], 4);
    assert_false(t.preroll);
    tour_follow(&t, cams, 10, 4, 0, 20000, 17000); /* 3 s before it: pre-roll */
    assert_true(t.preroll);
    /* no local timer: long after the hub's time the group stays until the step changes */
    tour_follow(&t, cams, 10, 4, 0, 20000, 99000);
    expect_group(&t, (int[]){0, 1, 2, 3}, 4);
    /* step 2 (a host that joins late): start 2 * 4 mod 10 = 8 -> 8, 9, 0, 1 */
    tour_follow(&t, cams, 10, 4, 2, 40000, 30000);
    expect_group(&t, (int[]){8, 9, 0, 1}, 4);
    assert_int_equal(t.switches, 1);
    /* step 7: 7 mod 10 * 4 mod 10 = 8 again (28 mod 10) */
    tour_follow(&t, cams, 10, 4, 7, 0, 30000);
    expect_group(&t, (int[]){8, 9, 0, 1}, 4);
    assert_false(t.preroll); /* no next step time (paused) */
    /* fewer cameras than slots: all of them, no rotation */
    tour_follow(&t, cams, 3, 4, 5, 0, 30000);
    expect_group(&t, (int[]){0, 1, 2}, 3);
    tour_hold(&t, 6, "alert:R1:LH-03:A");
    assert_int_equal(t.hero, 6);
    assert_string_equal(t.hero_alert, "alert:R1:LH-03:A");
    tour_follow(&t, cams, 10, 4, 5, 0, 1000000000); /* a hold does not expire */
    assert_int_equal(t.hero, 6);
    tour_hold(&t, -1, NULL);
    assert_int_equal(t.hero, -1);
    assert_string_equal(t.hero_alert, "");
}

static void test_formats(void **state)
{
    (void)state;
    char v[32];
    const char *u;
    /* waits and durations: the one rule of common/cwfmt.h (tests/fixtures/durations.json) */
    fmt_wait(43, v, sizeof v, &u);
    assert_string_equal(v, "43秒");
    assert_string_equal(u, "");
    fmt_wait(576, v, sizeof v, &u); /* was "9.6" 分 */
    assert_string_equal(v, "9分36秒");
    fmt_wait(12300, v, sizeof v, &u); /* was "205" 分 */
    assert_string_equal(v, "3小时25分");
    fmt_rate(0.8571, v, sizeof v);
    assert_string_equal(v, "85.7");
    fmt_rate(0.99996, v, sizeof v); /* never 100.0 for less than all */
    assert_string_equal(v, "99.9");
    fmt_rate(1.0, v, sizeof v);
    assert_string_equal(v, "100.0");
    fmt_count(9999, v, sizeof v);
    assert_string_equal(v, "9999");
    fmt_count(123456, v, sizeof v);
    assert_string_equal(v, "123,456");
    fmt_ago(12999, v, sizeof v);
    assert_string_equal(v, "12秒前");
    fmt_ago(125000, v, sizeof v);
    assert_string_equal(v, "2分钟前");
    fmt_duration(754000, v, sizeof v);
    assert_string_equal(v, "12分34秒");
    fmt_duration(7500000, v, sizeof v); /* was "2时05分" */
    assert_string_equal(v, "2小时5分");
    model_short_name("古城街道便民服务中心", "town", v, sizeof v);
    assert_string_equal(v, "古城街道");
    model_short_name("临海市行政服务中心", "city", v, sizeof v);
    assert_string_equal(v, "市行政服务中心");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups),          cmocka_unit_test(test_switch_waits_for_preroll),
        cmocka_unit_test(test_offline_skipped), cmocka_unit_test(test_hero_pin),
        cmocka_unit_test(test_formats),         cmocka_unit_test(test_follow_hub_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
