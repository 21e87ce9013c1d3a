/* test_lexicon: normalisation and matching of the sensitive lexicon (server/lexicon.c).
 *
 * Normalised forms were written out by hand: full-width ASCII U+FF01..U+FF5E to half-width,
 * ASCII and U+3000 spaces removed, ASCII letters lower-cased, everything else (CJK, invalid
 * bytes) kept byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lexicon.h"

static void expect_norm(const char *in, const char *want)
{
    char *out = lexicon_normalize(in, strlen(in));
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

static void test_normalize(void **state)
{
    (void)state;
    expect_norm("", "");
    expect_norm("ABC def", "abcdef");
    /* Ｔｅｓｔ１２３ (full-width) -> test123 */
    expect_norm("\xEF\xBC\xB4\xEF\xBD\x85\xEF\xBD\x93\xEF\xBD\x94\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93",
                "test123");
    /* ideographic space U+3000 and tabs/newlines between CJK characters disappear */
    expect_norm("跳\xE3\x80\x80楼\t了\n吗 ", "跳楼了吗");
    /* full-width ！ (U+FF01) -> !, U+FF5E ～ -> ~, U+FF5F is outside the range and stays */
    expect_norm("\xEF\xBC\x81\xEF\xBD\x9E\xEF\xBD\x9F", "!~\xEF\xBD\x9F");
    /* invalid UTF-8 bytes are kept as they are; a truncated sequence too */
    expect_norm("a\xFF" "B\xE8\xB7", "a\xFF" "b\xE8\xB7");
    /* a 4-byte character (U+1F600) is copied whole */
    expect_norm("X\xF0\x9F\x98\x80Y", "x\xF0\x9F\x98\x80y");
}

static cfg_lexterm terms[] = {
    {.term = "态度恶劣", .category = "作风", .weight = 4},
    {.term = "跳楼", .category = "人身安全", .weight = 10},
    {.term = "记者", .category = "舆情", .weight = 6},
    {.term = "ABC 123", .category = "测试", .weight = 6},
    {.term = "拉横幅", .category = "群体性", .weight = 8},
};

static void test_match(void **state)
{
    (void)state;
    lexicon_t *lx = lexicon_create(terms, 5);
    assert_non_null(lx);
    lexicon_hit hit;

    assert_false(lexicon_match(lx, "办事很快，满意", &hit));
    assert_false(lexicon_match(lx, NULL, &hit));
    assert_false(lexicon_match(lx, "", &hit));

    assert_true(lexicon_match(lx, "窗口人员态度恶劣", &hit));
    assert_string_equal(hit.term, "态度恶劣");
    assert_string_equal(hit.category, "作风");
    assert_int_equal(hit.weight, 4);

    /* spaces (ASCII and U+3000) inside the term do not hide it */
    assert_true(lexicon_match(lx, "再不办我就跳\xE3\x80\x80楼", &hit));
    assert_string_equal(hit.term, "跳楼");
    assert_string_equal(hit.category, "人身安全");

    /* the highest weight decides: 态度恶劣 (4), 记者 (6), 跳楼 (10) -> 跳楼 */
    assert_true(lexicon_match(lx, "态度恶劣，我要找记者，不然跳 楼", &hit));
    assert_string_equal(hit.term, "跳楼");
    assert_int_equal(hit.weight, 10);

    /* equal weights: the term listed first (记者 before ABC 123) */
    assert_true(lexicon_match(lx, "abc123 记者", &hit));
    assert_string_equal(hit.term, "记者");

    /* full-width, case and the U+3000 space: ａｂｃ　１２３ matches "ABC 123" */
    assert_true(lexicon_match(lx, "\xEF\xBD\x81\xEF\xBD\x82\xEF\xBD\x83\xE3\x80\x80\xEF\xBC\x91"
                                  "\xEF\xBC\x92\xEF\xBC\x93",
                              &hit));
    assert_string_equal(hit.term, "ABC 123");
    assert_string_equal(hit.category, "测试");

    /* the term's characters must be contiguous after normalisation */
    assert_false(lexicon_match(lx, "拉了横幅", &hit));
    assert_true(lexicon_match(lx, "拉 横 幅", &hit));
    assert_int_equal(hit.weight, 8);
    lexicon_destroy(lx);
}

static void test_empty(void **state)
{
    (void)state;
    lexicon_t *lx = lexicon_create(NULL, 0);
    assert_non_null(lx);
    lexicon_hit hit;
    assert_false(lexicon_match(lx, "跳楼", &hit));
    lexicon_destroy(lx);
    /* a term made only of spaces never matches */
    cfg_lexterm blank = {.term = " \xE3\x80\x80 ", .category = "x", .weight = 1};
    lx = lexicon_create(&blank, 1);
    assert_non_null(lx);
    assert_false(lexicon_match(lx, "anything", &hit));
    lexicon_destroy(lx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
