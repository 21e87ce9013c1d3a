/* test_feedindex: the exact dedupe index (server/feedindex.c) -- high-water marks, gaps as
 * ranges, undo of a failed transaction, loading at start. Expected values worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "feedindex.h"

static void assert_valid(const feedindex *fi)
{
    char why[200] = "";
    if (feedindex_check(fi, why, sizeof why) != 0) fail_msg("%s", why);
}

/* The gaps of feed id as "lo-hi,lo-hi" (or ""), and its hwm. */
static const char *gaps_of(const feedindex *fi, int64_t id, int64_t *hwm)
{
    static char buf[256];
    const int64_t *g;
    int n = feedindex_feed(fi, id, hwm, &g);
    buf[0] = 0;
    for (int i = 0; i < n; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%lld-%lld", i ? "," : "",
                 (long long)g[2 * i], (long long)g[2 * i + 1]);
    return buf;
}

static void test_gaps_open_and_close(void **unused)
{
    (void)unused;
    feedindex *fi = feedindex_new();
    int64_t id, hwm;
    bool created;
    feedindex_begin(fi);
    assert_int_equal(feedindex_get(fi, "LH-03", "queue", &id, &created), 0);
    assert_true(created);
    for (int64_t s = 1; s <= 3; s++)
        feedindex_mark(fi, id, s);
    feedindex_mark(fi, id, 10); /* 4..9 missing */
    assert_string_equal(gaps_of(fi, id, &hwm), "4-9");
    assert_int_equal(hwm, 10);
    feedindex_mark(fi, id, 6); /* splits the gap */
    assert_string_equal(gaps_of(fi, id, &hwm), "4-5,7-9");
    feedindex_mark(fi, id, 4); /* shrinks from below */
    feedindex_mark(fi, id, 9); /* and from above */
    assert_string_equal(gaps_of(fi, id, &hwm), "5-5,7-8");
    feedindex_mark(fi, id, 5); /* a one-seq gap goes */
    assert_string_equal(gaps_of(fi, id, &hwm), "7-8");
    assert_true(feedindex_seen(fi, id, 6));
    assert_false(feedindex_seen(fi, id, 7));
    assert_false(feedindex_seen(fi, id, 11));
    assert_int_equal(feedindex_missing(fi), 2);
    assert_valid(fi);
    feedindex_commit(fi);
    /* the same (hall, feed) is the same id; another feed is another */
    int64_t id2;
    assert_int_equal(feedindex_get(fi, "LH-03", "queue", &id2, &created), 0);
    assert_false(created);
    assert_int_equal(id2, id);
    assert_int_equal(feedindex_get(fi, "LH-03", "evaluator", &id2, &created), 0);
    assert_true(created);
    assert_true(id2 != id);
    assert_int_equal(feedindex_count(fi), 2);
    feedindex_free(fi);
}

static void test_rollback_restores_the_last_commit(void **unused)
{
    (void)unused;
    feedindex *fi = feedindex_new();
    int64_t id, hwm;
    bool created;
    feedindex_begin(fi);
    feedindex_get(fi, "LH-00", "main", &id, &created);
    feedindex_mark(fi, id, 1);
    feedindex_mark(fi, id, 5);
    feedindex_commit(fi); /* hwm 5, gap 2-4 */
    feedindex_begin(fi);
    feedindex_mark(fi, id, 3);
    feedindex_mark(fi, id, 20);
    assert_string_equal(gaps_of(fi, id, &hwm), "2-2,4-4,6-19");
    feedindex_rollback(fi);
    assert_string_equal(gaps_of(fi, id, &hwm), "2-4");
    assert_int_equal(hwm, 5);
    assert_false(feedindex_seen(fi, id, 3));
    assert_valid(fi);
    feedindex_free(fi);
}

static void test_load_and_check(void **unused)
{
    (void)unused;
    feedindex *fi = feedindex_new();
    feedindex_load_feed(fi, 7, "LH-01", "main", 100);
    feedindex_load_gap(fi, 7, 10, 19);
    feedindex_load_gap(fi, 7, 50, 50);
    int64_t hwm;
    assert_string_equal(gaps_of(fi, 7, &hwm), "10-19,50-50");
    assert_true(feedindex_seen(fi, 7, 9));
    assert_false(feedindex_seen(fi, 7, 15));
    assert_int_equal(feedindex_missing(fi), 11);
    assert_valid(fi);
    /* a gap at or above the hwm breaks the invariant, and the check names it */
    feedindex_load_gap(fi, 7, 100, 120);
    char why[200];
    assert_int_equal(feedindex_check(fi, why, sizeof why), -1);
    assert_non_null(strstr(why, "gap 2 is [100, 120]"));
    feedindex_free(fi);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gaps_open_and_close),
        cmocka_unit_test(test_rollback_restores_the_last_commit),
        cmocka_unit_test(test_load_and_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
