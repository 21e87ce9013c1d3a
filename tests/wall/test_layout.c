/* test_layout: wall layout files (parsing, errors with file:line) and the viewport, bezel and
 * seam arithmetic (layout.h). Expected values are worked out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "layout.h"

static const char *src_dir(void)
{
    const char *d = getenv("CW_SOURCE_DIR");
    return d && *d ? d : CW_SOURCE_DIR;
}

static layout *load_shipped(const char *name)
{
    char path[4096], *errs = NULL;
    snprintf(path, sizeof path, "%s/config/walls/%s", src_dir(), name);
    layout *l = layout_load(path, &errs);
    if (!l) fprintf(stderr, "%s", errs ? errs : "(no message)\n");
    free(errs);
    assert_non_null(l);
    return l;
}

static int count_type(const layout *l, const char *type)
{
    int n = 0;
    for (int i = 0; i < l->npanels; i++)
        if (!strcmp(l->panels[i].type, type)) n++;
    return n;
}

static void test_shipped_1080p(void **state)
{
    (void)state;
    layout *l = load_shipped("1080p.yaml");
    assert_int_equal(l->canvas_w, 1920);
    assert_int_equal(l->canvas_h, 1080);
    assert_int_equal(l->cols * l->rows, 1);
    assert_true(l->scale == 1.0f);
    assert_int_equal(l->npanels, 7);
    static const char *types[] = {"header", "kpi", "ranking", "map", "trend", "cameras", "alerts"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        assert_int_equal(count_type(l, types[i]), 1);
    /* every panel inside the canvas, none overlapping another */
    for (int i = 0; i < l->npanels; i++) {
        layout_rect a = l->panels[i].r;
        assert_true(a.x + a.w <= 1920 && a.y + a.h <= 1080);
        for (int j = i + 1; j < l->npanels; j++) {
            layout_rect b = l->panels[j].r;
            assert_false(a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h);
        }
    }
    /* the camera panel's options reach the panel as JSON */
    for (int i = 0; i < l->npanels; i++)
        if (!strcmp(l->panels[i].type, "cameras")) {
            assert_int_equal(json_integer_value(json_object_get(l->panels[i].opts, "cols")), 4);
            assert_int_equal(json_integer_value(json_object_get(l->panels[i].opts, "dwell_s")), 10);
        }
    layout_free(l);
}

static void test_shipped_4k_and_3x3(void **state)
{
    (void)state;
    layout *l = load_shipped("4k.yaml");
    assert_int_equal(l->canvas_w, 3840);
    assert_int_equal(l->canvas_h, 2160);
    assert_true(l->scale == 2.0f);
    layout_free(l);

    l = load_shipped("3x3.yaml");
    /* 3 x 1920 + 2 x 24 = 5808; 3 x 1080 + 2 x 24 = 3288 */
    assert_int_equal(l->cols, 3);
    assert_int_equal(l->rows, 3);
    assert_int_equal(l->bezel_x, 24);
    assert_int_equal(l->canvas_w, 5808);
    assert_int_equal(l->canvas_h, 3288);
    /* no panel edge inside a bezel band */
    for (int i = 0; i < l->npanels; i++) {
        layout_rect r = l->panels[i].r;
        for (int k = 1; k < 3; k++) {
            float bx = (float)(k * 1944 - 24), by = (float)(k * 1104 - 24);
            assert_false(r.x > bx && r.x < bx + 24);
            assert_false(r.y > by && r.y < by + 24);
        }
    }
    layout_free(l);
}

static void test_viewport_3x3(void **state)
{
    (void)state;
    layout *l = load_shipped("3x3.yaml");
    layout_region reg[LAYOUT_MAX_REGIONS];
    int w, h;
    /* the whole canvas: nine screens packed into 5760 x 3240 */
    int n = layout_viewport(l, (layout_rect){0, 0, 5808, 3288}, reg, LAYOUT_MAX_REGIONS, &w, &h);
    assert_int_equal(n, 9);
    assert_int_equal(w, 5760);
    assert_int_equal(h, 3240);
    /* region 4 = the middle screen: canvas (1944, 1104) -> output (1920, 1080) */
    assert_true(reg[4].canvas.x == 1944 && reg[4].canvas.y == 1104);
    assert_true(reg[4].canvas.w == 1920 && reg[4].canvas.h == 1080);
    assert_true(reg[4].out.x == 1920 && reg[4].out.y == 1080);
    /* region 8: canvas (3888, 2208) -> output (3840, 2160) */
    assert_true(reg[8].canvas.x == 3888 && reg[8].canvas.y == 2208);
    assert_true(reg[8].out.x == 3840 && reg[8].out.y == 2160);

    /* one machine per screen */
    n = layout_viewport(l, (layout_rect){1944, 1104, 1920, 1080}, reg, LAYOUT_MAX_REGIONS, &w, &h);
    assert_int_equal(n, 1);
    assert_int_equal(w, 1920);
    assert_int_equal(h, 1080);
    assert_true(reg[0].out.x == 0 && reg[0].out.y == 0);

    /* the top row's two left screens: 3840 x 1080 in two regions */
    n = layout_viewport(l, (layout_rect){0, 0, 3864, 1080}, reg, LAYOUT_MAX_REGIONS, &w, &h);
    assert_int_equal(n, 2);
    assert_int_equal(w, 3840);
    assert_int_equal(h, 1080);
    assert_true(reg[1].canvas.x == 1944 && reg[1].out.x == 1920);

    /* a window over the seam: [1900, 1920) and [1944, 2000) are visible: 20 + 56 = 76 px */
    n = layout_viewport(l, (layout_rect){1900, 0, 100, 100}, reg, LAYOUT_MAX_REGIONS, &w, &h);
    assert_int_equal(n, 2);
    assert_int_equal(w, 76);
    assert_int_equal(h, 100);
    assert_true(reg[0].canvas.w == 20 && reg[1].canvas.x == 1944 && reg[1].out.x == 20);

    /* only bezel, or outside the canvas */
    assert_int_equal(layout_viewport(l, (layout_rect){1920, 0, 24, 100}, reg, 9, &w, &h), -1);
    assert_int_equal(layout_viewport(l, (layout_rect){5000, 0, 1000, 100}, reg, 9, &w, &h), -1);
    layout_free(l);
}

static void test_seams(void **state)
{
    (void)state;
    layout *l = load_shipped("3x3.yaml");
    /* bezel band x in [1920, 1944) */
    assert_true(layout_crosses_seam(l, 0, 1910, 20));  /* reaches 1930 */
    assert_true(layout_crosses_seam(l, 0, 1919, 2));   /* its last pixel is 1920 */
    assert_false(layout_crosses_seam(l, 0, 1900, 20)); /* ends at 1919 */
    assert_false(layout_crosses_seam(l, 0, 1944, 1920));
    assert_false(layout_crosses_seam(l, 0, 0, 1920));
    assert_true(layout_crosses_seam(l, 1, 2150, 100)); /* over y in [2184, 2208) */

    /* a 40 px label at x 1930 moves right to 1944 (14 px) rather than left to 1880 (50 px) */
    float x = 1930, y = 500;
    const float b[4] = {0, 0, 5808, 3288};
    layout_avoid_seams(l, &x, &y, 40, 20, b);
    assert_true(x == 1944 && y == 500);
    /* at 1905 it moves left to 1880 (25 px) rather than right (39 px) */
    x = 1905;
    layout_avoid_seams(l, &x, &y, 40, 20, b);
    assert_true(x == 1880);

    /* one screen: no seams at all */
    layout *one = load_shipped("1080p.yaml");
    assert_false(layout_crosses_seam(one, 0, 0, 1920));
    x = 900;
    layout_avoid_seams(one, &x, &y, 300, 20, b);
    assert_true(x == 900);
    layout_free(one);
    layout_free(l);
}

static void test_cells(void **state)
{
    (void)state;
    layout *l = load_shipped("3x3.yaml");
    float c[32];
    /* nine KPI cells over x in [24, 5784): three on each screen, none on a seam */
    assert_int_equal(layout_cells(l, 0, 24, 5760, 9, 12, c), 0);
    assert_true(c[0] == 24);
    assert_true(c[2 * 2] + c[2 * 2 + 1] <= 1920); /* cell 2 ends on screen 0 */
    assert_true(c[2 * 3] >= 1944);                /* cell 3 starts on screen 1 */
    assert_true(c[2 * 6] >= 3888);
    /* screen 0's piece is [24, 1920) = 1896 px, minus half a gap at the seam (6) and two gaps
     * between its three cells (24): (1896 - 6 - 24) / 3 = 622 */
    assert_float_equal(c[1], 622.0f, 0.01f);
    /* eight cells over three screens: 3 + 3 + 2 */
    assert_int_equal(layout_cells(l, 0, 24, 5760, 8, 12, c), 0);
    assert_true(c[2 * 2] + c[2 * 2 + 1] <= 1920 && c[2 * 3] >= 1944);
    assert_true(c[2 * 5] + c[2 * 5 + 1] <= 3864 && c[2 * 6] >= 3888);
    /* two cells cannot avoid three screens: even split, both cross a seam */
    assert_int_equal(layout_cells(l, 0, 24, 5760, 2, 12, c), 2);

    layout *one = load_shipped("1080p.yaml");
    /* 1080p KPI strip: (1888 - 7 x 12) / 8 = 225.5 */
    assert_int_equal(layout_cells(one, 0, 16, 1888, 8, 12, c), 0);
    assert_float_equal(c[1], 225.5f, 0.01f);
    assert_float_equal(c[2 * 7], 16 + 7 * (225.5f + 12), 0.01f);
    layout_free(one);
    layout_free(l);
}

static void test_parse_viewport(void **state)
{
    (void)state;
    layout_rect vp;
    assert_int_equal(layout_parse_viewport("1944,1104,1920,1080", &vp), 0);
    assert_true(vp.x == 1944 && vp.y == 1104 && vp.w == 1920 && vp.h == 1080);
    assert_int_equal(layout_parse_viewport("1,2,3", &vp), -1);
    assert_int_equal(layout_parse_viewport("a,b,c,d", &vp), -1);
    assert_int_equal(layout_parse_viewport("0,0,0,10", &vp), -1);
    assert_int_equal(layout_parse_viewport("0,0,10,10,", &vp), -1);
    assert_int_equal(layout_parse_viewport("-1,0,10,10", &vp), -1);
}

/* Loading `text` must fail with an error that contains `want`. */
static void expect_error(const char *text, const char *want)
{
    char *errs = NULL;
    layout *l = layout_load_string(text, "bad.yaml", &errs);
    if (l || !errs || !strstr(errs, want))
        fprintf(stderr, "expected an error containing \"%s\", got:\n%s\n", want,
                errs ? errs : "(no error)");
    assert_null(l);
    assert_non_null(errs);
    assert_non_null(strstr(errs, want));
    free(errs);
}

static void test_errors(void **state)
{
    (void)state;
    const char *head = "screens: {cols: 1, rows: 1, width: 1920, height: 1080}\n"
                       "panels:\n";
    char buf[1024];
    snprintf(buf, sizeof buf, "%s  - {type: pie, rect: [0, 0, 10, 10]}\n", head);
    expect_error(buf, "bad.yaml:3: panels[0].type: unknown panel type 'pie'");
    snprintf(
        buf, sizeof buf,
        "%s  - {type: kpi, rect: [0, 0, 10, 10]}\n  - type: map\n    rect: [1900, 0, 100, 10]\n",
        head);
    expect_error(
        buf, "bad.yaml:5: panels[1].rect: [1900, 0, 100, 10] reaches outside the 1920x1080 canvas");
    snprintf(buf, sizeof buf, "%s  - {type: kpi, rect: [0, 0, 10]}\n", head);
    expect_error(buf, "bad.yaml:3: panels[0].rect: must be [x, y, width, height]");
    snprintf(buf, sizeof buf, "%s  - {type: kpi}\n", head);
    expect_error(buf, "bad.yaml:3: panels[0].rect: required field missing");
    expect_error("panels: []\n", "bad.yaml:1: screens: required");
    expect_error(
        "screens: {cols: 3, rows: 3, width: 1920, height: 1080, bezel_x: 24, bezel_y: 24}\n"
        "canvas: {width: 5760, height: 3240}\n"
        "panels: []\n",
        "bad.yaml:2: canvas: 5760x3240 does not match the screens");
    expect_error("screens: {cols: 0, rows: 1, width: 1920, height: 1080}\npanels: []\n",
                 "bad.yaml:1: screens.cols: must be an integer from 1 to 16");
    expect_error("screens: {cols: 1, rows: 1, width: 1920, height: 1080}\nzoom: 2\npanels: []\n",
                 "bad.yaml:2: zoom: unknown key");
    expect_error("screens: {cols: 1, rows: 1, width: 1920, height: 1080}\nscale: 9\npanels: []\n",
                 "bad.yaml:2: scale: must be a number from 0.25 to 8");
    expect_error("screens: [\npanels: x\n", "bad.yaml:");
    expect_error(
        "screens: {cols: 1, rows: 1, width: 1920, height: 1080}\nlanguage: fr\npanels: []\n",
        "bad.yaml:2: language: must be zh or en");
}

/* `language:` picks the wall's own words; Chinese when absent. */
static void test_language(void **state)
{
    (void)state;
    char *errs = NULL;
    layout *l = layout_load_string("screens: {cols: 1, rows: 1, width: 1920, height: 1080}\n"
                                   "language: en\npanels: []\n",
                                   "en.yaml", &errs);
    assert_non_null(l);
    assert_int_equal(l->lang, LAYOUT_LANG_EN);
    layout_free(l);
    l = layout_load_string("screens: {cols: 1, rows: 1, width: 1920, height: 1080}\npanels: []\n",
                           "zh.yaml", &errs);
    assert_non_null(l);
    assert_int_equal(l->lang, LAYOUT_LANG_ZH);
    layout_free(l);
}

/* The province layout: its panels read the province topic (layout_has_source); none overlaps
 * another; the city layouts have no such panel. */
static void test_shipped_province(void **state)
{
    (void)state;
    layout *l = load_shipped("province.yaml");
    assert_int_equal(l->canvas_w, 1920);
    assert_int_equal(l->npanels, 5);
    assert_true(layout_has_source(l, "province"));
    static const char *types[] = {"header", "kpi", "map", "ranking", "alerts"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        assert_int_equal(count_type(l, types[i]), 1);
    for (int i = 0; i < l->npanels; i++) {
        layout_rect a = l->panels[i].r;
        assert_true(a.x + a.w <= 1920 && a.y + a.h <= 1080);
        for (int j = i + 1; j < l->npanels; j++) {
            layout_rect b = l->panels[j].r;
            assert_false(a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h);
        }
    }
    layout_free(l);
    l = load_shipped("1080p.yaml");
    assert_false(layout_has_source(l, "province"));
    layout_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_1080p),
        cmocka_unit_test(test_shipped_4k_and_3x3),
        cmocka_unit_test(test_viewport_3x3),
        cmocka_unit_test(test_seams),
        cmocka_unit_test(test_cells),
        cmocka_unit_test(test_parse_viewport),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_language),
        cmocka_unit_test(test_shipped_province),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
