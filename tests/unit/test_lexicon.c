/* test_lexicon: normalisation, matching and context scoring of the sensitive lexicon
 * (server/lexicon.c), and the labelled review set (tests/unit/fixtures/reviews_labelled.tsv)
 * scored with the demo city's lexicon and R10 defaults.
 *
 * Normalised forms were written out by hand: traditional to simplified, full-width ASCII to
 * half-width, letters case-folded, everything but letters and digits removed (spaces,
 * punctuation, symbols, emoji, invisible characters), look-alikes mapped, invalid bytes kept.
 * Scores were computed by hand from the weights and factors written in each test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
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
    expect_norm(
        "\xEF\xBC\xB4\xEF\xBD\x85\xEF\xBD\x93\xEF\xBD\x94\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93",
        "test123");
    /* ideographic space U+3000 and tabs/newlines between CJK characters disappear */
    expect_norm("跳\xE3\x80\x80楼\t了\n吗 ", "跳楼了吗");
    /* punctuation (full-width or not) is removed: ！～ and ｟ (U+FF5F) */
    expect_norm("a\xEF\xBC\x81\xEF\xBD\x9E\xEF\xBD\x9F"
                "b",
                "ab");
    /* invalid UTF-8 bytes are kept as they are; a truncated sequence too */
    expect_norm("a\xFF"
                "B\xE8\xB7",
                "a\xFF"
                "b\xE8\xB7");
    /* an emoji (U+1F600) between letters is removed */
    expect_norm("X\xF0\x9F\x98\x80Y", "xy");
    /* traditional to simplified (OpenCC t2s) */
    expect_norm("跳樓", "跳楼");
    expect_norm("我要找記者曝光你們", "我要找记者曝光你们");
    expect_norm("燃氣洩漏", "燃气泄漏");
    /* separators and invisible characters between the characters of a term */
    expect_norm("跳*楼", "跳楼");
    expect_norm("跳.楼", "跳楼");
    expect_norm("跳_楼-了/吗、", "跳楼了吗");
    expect_norm("跳\xE2\x80\x8B楼", "跳楼");     /* U+200B zero-width space */
    expect_norm("媒\xE2\x80\x8D体", "媒体");     /* U+200D zero-width joiner */
    expect_norm("跳\xF0\x9F\x98\xAD楼", "跳楼"); /* U+1F62D 😭 */
    /* look-alikes: Kangxi radical ⾃ (U+2F83) is 自, katakana ロ (U+30ED) is 口, Cyrillic а
     * (U+0430) is a, circled ① is 1, ﬁ (U+FB01) is fi, é is e */
    expect_norm("\xE2\xBE\x83杀", "自杀");
    expect_norm("\xE3\x83\xAD", "口");
    expect_norm("b\xD0\xB0"
                "d",
                "bad");
    expect_norm("\xE2\x91\xA0", "1");
    expect_norm("\xEF\xAC\x81", "fi");
    expect_norm("caf\xC3\xA9", "cafe");
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
    assert_true(lexicon_match(lx,
                              "\xEF\xBD\x81\xEF\xBD\x82\xEF\xBD\x83\xE3\x80\x80\xEF\xBC\x91"
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

static const lexicon_scoring defaults = {{1.5, 1.2, 0.6, 0.3, 0.2}, 0.5};

static cfg_lexterm sterms[] = {
    {.term = "跳楼", .category = "人身安全", .weight = 10, .any_level = true},
    {.term = "记者", .category = "舆情", .weight = 6},
    {.term = "网上", .category = "舆情", .weight = 6},
    {.term = "上访", .category = "涉访涉诉", .weight = 6},
    {.term = "态度恶劣", .category = "作风", .weight = 4},
    {.term = "投诉", .category = "投诉", .weight = 4},
    {.term = "12345", .category = "投诉", .weight = 4},
};

static void test_score(void **state)
{
    (void)state;
    char *except[] = {"网上预约", "网上办"};
    sterms[2].except = except;
    sterms[2].nexcept = 2;
    lexicon_t *lx = lexicon_create(sterms, 7);
    assert_non_null(lx);
    lexicon_score s;

    /* the five-star 网上 review: inside an exception phrase, nothing counts */
    assert_false(lexicon_score_text(lx, "网上预约很方便", 5, &defaults, &s));
    assert_int_equal(s.negated, 1);
    assert_int_equal(lexicon_severity(5, &s, 7, 2), 0);
    /* the same term outside its exceptions counts: 6 x level-1 factor 1.5 = 9 -> P1 */
    assert_true(lexicon_score_text(lx, "我要发到网上", 1, &defaults, &s));
    assert_float_equal(s.score, 9.0, 1e-9);
    assert_string_equal(s.best.category, "舆情");
    assert_int_equal(lexicon_severity(1, &s, 7, 2), 1);
    /* level 2: 6 x 1.2 = 7.2 -> P1; level 3: 6 x 0.6 = 3.6 -> a P3 note; level 5: 1.2 -> none */
    assert_true(lexicon_score_text(lx, "我要找记者", 2, &defaults, &s));
    assert_float_equal(s.score, 7.2, 1e-9);
    assert_int_equal(lexicon_severity(2, &s, 7, 2), 1);
    assert_true(lexicon_score_text(lx, "我要找记者", 3, &defaults, &s));
    assert_float_equal(s.score, 3.6, 1e-9);
    assert_int_equal(lexicon_severity(3, &s, 7, 2), 3);
    assert_true(lexicon_score_text(lx, "我要找记者", 5, &defaults, &s));
    assert_int_equal(lexicon_severity(5, &s, 7, 2), 0);
    /* 作风 on a one-star review: 4 x 1.5 = 6 -> an ordinary bad-review case (P3) */
    assert_true(lexicon_score_text(lx, "态度恶劣", 1, &defaults, &s));
    assert_float_equal(s.score, 6.0, 1e-9);
    assert_int_equal(lexicon_severity(1, &s, 7, 2), 3);
    /* two terms of one category count once (the best): 投诉 + 12345 on one star = 6, not 12 */
    assert_true(lexicon_score_text(lx, "我要打12345投诉", 1, &defaults, &s));
    assert_int_equal(s.counted, 2);
    assert_float_equal(s.score, 6.0, 1e-9);
    /* two categories add up: 态度恶劣 4 x 1.5 + 记者 6 x 1.5 = 15, the best is 记者 */
    assert_true(lexicon_score_text(lx, "态度恶劣，找记者", 1, &defaults, &s));
    assert_float_equal(s.score, 15.0, 1e-9);
    assert_string_equal(s.best.term, "记者");
    /* safety (any_level) scores 10 whatever the level; praise at level 5 halves it -> 5 */
    assert_true(lexicon_score_text(lx, "三楼有人要跳楼", 5, &defaults, &s));
    assert_float_equal(s.score, 10.0, 1e-9);
    assert_false(s.praise);
    assert_true(lexicon_score_text(lx, "及时劝下了要跳楼的人，点赞", 5, &defaults, &s));
    assert_true(s.praise);
    assert_float_equal(s.score, 5.0, 1e-9);
    /* praise mentioning 投诉 is not a complaint: 4 x 0.2 x 0.5 = 0.4 -> none */
    assert_true(lexicon_score_text(lx, "之前投诉的问题解决了，好评", 5, &defaults, &s));
    assert_float_equal(s.score, 0.4, 1e-9);
    assert_int_equal(lexicon_severity(5, &s, 7, 2), 0);
    /* praise does not soften a one-star review (sarcasm): 6 x 1.5 */
    assert_true(lexicon_score_text(lx, "谢谢你们，我要找记者", 1, &defaults, &s));
    assert_false(s.praise);
    assert_float_equal(s.score, 9.0, 1e-9);
    /* negations: right before the term, or one character before for a longer marker */
    assert_false(lexicon_score_text(lx, "没有投诉的意思", 1, &defaults, &s));
    assert_int_equal(s.negated, 1);
    assert_int_equal(lexicon_severity(1, &s, 7, 2), 3); /* still a bad review */
    assert_false(lexicon_score_text(lx, "不会去上访", 1, &defaults, &s));
    assert_false(lexicon_score_text(lx, "本来想找记者", 1, &defaults, &s));
    /* ...but not 不得不 (had to), and not a marker further away */
    assert_true(lexicon_score_text(lx, "不得不上访", 1, &defaults, &s));
    assert_true(lexicon_score_text(lx, "不要逼我跳楼", 1, &defaults, &s));
    assert_true(lexicon_score_text(lx, "没人管我就去上访", 1, &defaults, &s));
    /* one counted occurrence is enough */
    assert_true(lexicon_score_text(lx, "没上访过，这次一定上访", 1, &defaults, &s));
    /* traditional and obfuscated forms */
    assert_true(lexicon_score_text(lx, "再不給辦我就跳樓", 1, &defaults, &s));
    assert_string_equal(s.best.term, "跳楼");
    assert_true(lexicon_score_text(lx, "跳*樓", 1, &defaults, &s));
    assert_true(lexicon_score_text(lx, "記 者", 1, &defaults, &s));
    /* no comment, no level */
    assert_false(lexicon_score_text(lx, NULL, 1, &defaults, &s));
    assert_false(lexicon_score_text(lx, "跳楼", 0, &defaults, &s));
    assert_int_equal(lexicon_severity(2, NULL, 7, 2), 3);
    assert_int_equal(lexicon_severity(4, NULL, 7, 2), 0);
    lexicon_destroy(lx);
    sterms[2].except = NULL;
    sterms[2].nexcept = 0;
}

/* ---- the labelled set ----------------------------------------------------------------------- */

static const char *src_path(const char *rel, char *buf, size_t n)
{
    const char *d = getenv("CW_SOURCE_DIR");
    snprintf(buf, n, "%s/%s", d ? d : ".", rel);
    return buf;
}

static double r10_param(const cfg_t *c, const char *name)
{
    for (int p = CFG_P_FIRST; p < CFG_RULE_NPARAMS; p++) {
        const char *n = cfg_rule_param_name(CFG_R10, p);
        if (n && strcmp(n, name) == 0) return cfg_alert_param(c, CFG_R10, -1, NULL, p);
    }
    fail_msg("R10 has no parameter %s", name);
    return 0;
}

#define NCAT 16
typedef struct tally {
    char cat[64];
    int tp, pred, exp; /* P1 of this category: both, predicted, expected */
} tally;

static tally *tally_of(tally *t, int *n, const char *cat)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(t[i].cat, cat) == 0) return &t[i];
    assert_true(*n < NCAT);
    snprintf(t[*n].cat, sizeof t[*n].cat, "%s", cat);
    return &t[(*n)++];
}

static void test_labelled_set(void **state)
{
    (void)state;
    char path[1024];
    char *errors = NULL;
    cfg_t *c = cfg_load(src_path("config/demo.yaml", path, sizeof path), &errors);
    if (!c) fail_msg("demo.yaml: %s", errors ? errors : "?");
    lexicon_t *lx = lexicon_create(c->lexicon, c->nlexicon);
    assert_non_null(lx);
    lexicon_scoring sc;
    char name[16];
    for (int l = 0; l < 5; l++) {
        snprintf(name, sizeof name, "level%d", l + 1);
        sc.level[l] = r10_param(c, name);
    }
    sc.praise = r10_param(c, "praise");
    double p1 = r10_param(c, "p1_score"), note = r10_param(c, "note_score");

    FILE *f = fopen(src_path("tests/unit/fixtures/reviews_labelled.tsv", path, sizeof path), "r");
    assert_non_null(f);
    char line[4096];
    int rows = 0, exact = 0, p1_tp = 0, p1_pred = 0, p1_exp = 0, ncat = 0;
    tally cats[NCAT], flag[NCAT];
    int nflag = 0;
    memset(cats, 0, sizeof cats);
    memset(flag, 0, sizeof flag);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#') continue;
        char *lv = strtok(line, "\t"), *text = strtok(NULL, "\t"), *want = strtok(NULL, "\t"),
             *wcat = strtok(NULL, "\t");
        assert_non_null(wcat);
        int level = atoi(lv);
        assert_in_range(level, 1, 5);
        int want_sev = strcmp(want, "P1") == 0 ? 1 : strcmp(want, "P3") == 0 ? 3 : 0;
        assert_true(want_sev || strcmp(want, "none") == 0);
        lexicon_score s;
        bool hit = lexicon_score_text(lx, text, level, &sc, &s);
        int sev = lexicon_severity(level, &s, p1, note);
        const char *cat = hit && s.score >= note ? s.best.category : "-";
        rows++;
        if (sev == want_sev && strcmp(cat, wcat) == 0)
            exact++;
        else
            printf("  miss: level %d %s -> P%d %s (score %.2f), expected %s %s\n", level, text, sev,
                   cat, s.score, want, wcat);
        p1_pred += sev == 1;
        p1_exp += want_sev == 1;
        p1_tp += sev == 1 && want_sev == 1;
        if (sev == 1) tally_of(cats, &ncat, cat)->pred++;
        if (want_sev == 1) tally_of(cats, &ncat, wcat)->exp++;
        if (sev == 1 && want_sev == 1 && strcmp(cat, wcat) == 0) tally_of(cats, &ncat, cat)->tp++;
        /* any outcome: the category the comment was flagged with (P1 or a P3 with a term) */
        if (strcmp(cat, "-") != 0) tally_of(flag, &nflag, cat)->pred++;
        if (strcmp(wcat, "-") != 0) tally_of(flag, &nflag, wcat)->exp++;
        if (strcmp(cat, "-") != 0 && strcmp(cat, wcat) == 0) tally_of(flag, &nflag, cat)->tp++;
    }
    fclose(f);
    printf("labelled set: %d comments, %d exact (severity and category)\n", rows, exact);
    printf("  %9s %9s %5s %5s %5s  %s\n", "precision", "recall", "tp", "pred", "exp",
           "P1 of category");
    for (int i = 0; i < ncat; i++)
        printf("  %9.3f %9.3f %5d %5d %5d  %s\n",
               cats[i].pred ? (double)cats[i].tp / cats[i].pred : 1.0,
               cats[i].exp ? (double)cats[i].tp / cats[i].exp : 1.0, cats[i].tp, cats[i].pred,
               cats[i].exp, cats[i].cat);
    printf("  %9s %9s %5s %5s %5s  %s\n", "precision", "recall", "tp", "pred", "exp",
           "flagged with category (P1 or P3)");
    for (int i = 0; i < nflag; i++)
        printf("  %9.3f %9.3f %5d %5d %5d  %s\n",
               flag[i].pred ? (double)flag[i].tp / flag[i].pred : 1.0,
               flag[i].exp ? (double)flag[i].tp / flag[i].exp : 1.0, flag[i].tp, flag[i].pred,
               flag[i].exp, flag[i].cat);
    double prec = p1_pred ? (double)p1_tp / p1_pred : 0, rec = p1_exp ? (double)p1_tp / p1_exp : 0;
    printf("  %9.3f %9.3f %5d %5d %5d  %s\n", prec, rec, p1_tp, p1_pred, p1_exp, "P1 (all)");
    assert_true(rows >= 300);
    assert_true(prec >= 0.95);
    assert_true(rec >= 0.90);
    lexicon_destroy(lx);
    cfg_free(c);
    free(errors);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),    cmocka_unit_test(test_match),
        cmocka_unit_test(test_empty),        cmocka_unit_test(test_score),
        cmocka_unit_test(test_labelled_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
