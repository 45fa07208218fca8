/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Minimised reproducers of what the libFuzzer harnesses (fuzz/) found in
 * the frame and JSON codecs. Each test names the harness and the bug; the
 * inputs are kept byte for byte as the fuzzer (or the seed) produced them.
 */
#include <stdio.h>
#include <stdlib.h>

#include "remoting/rmq_json.h"
#include "remoting/rmq_remoting_cmd.h"
#include "testutil.h"

static cJSON *parse_ok(const char *text) {
        char errstr[256] = "";
        cJSON *root = rmq__json_parse(text, strlen(text), errstr,
                                      sizeof(errstr));
        if (!root)
                fail_msg("rmq__json_parse(%s): %s", text, errstr);
        return root;
}

/*
 * fuzz_json: rmq__json_item_i64() converted a number that has no exact
 * integer text (fraction, exponent, beyond int64) with a plain
 * (int64_t) cast: undefined behaviour when the value is out of range or
 * NaN (UBSan: "1e+29 is outside the range of representable values of
 * type 'long'"). Such a number now answers -1 (not an int64); a value in
 * range still truncates as before.
 */
static void test_json_item_i64_out_of_range(void **state) {
        static const char *const bad[] = {
            "1e29", "-1e29", "123456789012345678901234567890",
            "9223372036854775808", "-9.3e18", "1e400",
            "-1e400", "nan", "inf", "-inf"};
        size_t i;
        (void)state;
        for (i = 0; i < RMQ_ARRAY_SIZE(bad); i++) {
                cJSON *root = parse_ok(bad[i]);
                int64_t v   = 42;
                if (rmq__json_item_i64(root, &v) != -1)
                        fail_msg("%s: accepted as %lld", bad[i],
                                 (long long)v);
                assert_true(v == 42);
                cJSON_Delete(root);
        }
        {
                cJSON *root = parse_ok("[1.5e3,-2.9,-9.2e18]");
                int64_t v;
                assert_int_equal(rmq__json_item_i64(root->child, &v), 0);
                assert_true(v == 1500);
                assert_int_equal(rmq__json_item_i64(root->child->next, &v),
                                 0);
                assert_true(v == -2);
                assert_int_equal(
                    rmq__json_item_i64(root->child->next->next, &v), 0);
                assert_true(v == -9200000000000000000LL);
                cJSON_Delete(root);
        }
}

/*
 * fuzz_json: the printer tested `d == (double)(int64_t)d` before the range
 * check, so printing a number without integer text beyond int64 (or NaN)
 * cast first: undefined behaviour (UBSan at rmq_json.c print_item). The
 * range is now checked first; such numbers print with %.17g and the text
 * parses back to the same print.
 */
static void test_json_print_out_of_range_number(void **state) {
        static const char *const nums[] = {"1e29", "-1e29", "1e400",
                                           "-1e400", "nan",
                                           "123456789012345678901234567890"};
        size_t i;
        (void)state;
        for (i = 0; i < RMQ_ARRAY_SIZE(nums); i++) {
                cJSON *root = parse_ok(nums[i]), *again;
                char want[32];
                size_t len;
                char *text = rmq__json_print_str(root, &len), *text2;
                snprintf(want, sizeof(want), "%.17g", root->valuedouble);
                assert_string_equal(text, want);
                again = parse_ok(text);
                text2 = rmq__json_print_str(again, NULL);
                assert_string_equal(text2, text);
                rmq__free(text2);
                rmq__free(text);
                cJSON_Delete(again);
                cJSON_Delete(root);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_json_item_i64_out_of_range),
            cmocka_unit_test(test_json_print_out_of_range_number),
        };
        return cmocka_run_group_tests_name("fuzz_regressions", tests, NULL,
                                           NULL);
}
