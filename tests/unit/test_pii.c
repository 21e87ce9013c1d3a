/* Unit tests for pii: masking ID-card and mobile numbers in review comments (SPEC §8). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pii.h"

static void check(const char *in, const char *want)
{
    char *got = pii_mask(in);
    assert_non_null(got);
    if (strcmp(got, want) != 0) fail_msg("pii_mask(\"%s\") = \"%s\", want \"%s\"", in, got, want);
    bool changed = strcmp(in, want) != 0;
    if (pii_contains(in) != changed) fail_msg("pii_contains(\"%s\") = %d", in, !changed);
    free(got);
}

static void test_id_cards(void **state)
{
    (void)state;
    check("330102199001011234", "3301**********1234");
    check("33010219900101123X", "3301**********123X");
    check("33010219900101123x", "3301**********123x");
    check("330102900101123", "3301*******1123"); /* old 15-digit form */
    check("身份证330102199001011234，谢谢", "身份证3301**********1234，谢谢");
    check("ID:330102199001011234.", "ID:3301**********1234.");
    check("330102 19900101 1234", "3301** ******** 1234");
    check("330102-19900101-123X", "3301**-********-123X");
    /* full-width digits */
    check("３３０１０２１９９００１０１１２３４", "３３０１**********１２３４");
    /* a longer or shorter run is not an ID */
    check("3301021990010112345", "3301021990010112345");
    check("33010219900101123", "33010219900101123");
    check("33010219900101", "33010219900101");
    check("3301021990010112", "3301021990010112");
    check("330102 19900101 12345", "330102 19900101 12345");
    check("330102 19900101-1234", "330102 19900101-1234"); /* mixed separators */
}

static void test_mobiles(void **state)
{
    (void)state;
    check("13812345678", "138****5678");
    check("19912345678", "199****5678");
    check("电话13812345678，尽快回电", "电话138****5678，尽快回电");
    check("tel:13812345678/15900001111", "tel:138****5678/159****1111");
    check("138 1234 5678", "138 **** 5678");
    check("138-1234-5678", "138-****-5678");
    check("+86 13812345678", "+86 138****5678");
    check("+8613812345678", "+86138****5678");
    check("008613812345678", "0086138****5678");
    check("１３８１２３４５６７８", "１３８****５６７８");
    check("13812345678x", "138****5678x");
    /* not mobile numbers */
    check("12812345678", "12812345678"); /* 12x is not a mobile prefix */
    check("10086", "10086");
    check("138123456789", "138123456789"); /* 12 digits */
    check("1381234567", "1381234567");     /* 10 digits */
    check("138 1234 567", "138 1234 567");
    check("138  1234 5678", "138  1234 5678"); /* two spaces */
    check("138-1234 5678", "138-1234 5678");   /* mixed separators */
    check("028-12345678", "028-12345678");     /* a landline */
    check("3.1415926535", "3.1415926535");
}

static void test_mixed_and_edges(void **state)
{
    (void)state;
    check("", "");
    check("很满意，窗口A05办事快", "很满意，窗口A05办事快");
    check("等了45分钟 13812345678 身份证330102199001011234",
          "等了45分钟 138****5678 身份证3301**********1234");
    check("13812345678330102199001011234", "13812345678330102199001011234"); /* one 29-digit run */
    check("2026-11-22 等候 30 分钟", "2026-11-22 等候 30 分钟");
    check("room 101 138 1234 5678", "room 101 138 **** 5678");
    /* invalid UTF-8 is copied through */
    check("\xff\xfe 13812345678 \xe4\xb8", "\xff\xfe 138****5678 \xe4\xb8");
    assert_null(pii_mask(NULL));
    assert_false(pii_contains(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_cards),
        cmocka_unit_test(test_mobiles),
        cmocka_unit_test(test_mixed_and_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
