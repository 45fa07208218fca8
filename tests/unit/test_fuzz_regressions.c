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
            "9223372036854775808", "-9.3e18"};
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
        static const char *const nums[] = {"1e29", "-1e29",
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

/*
 * fuzz_json (trailing-byte oracle; input "5\0"): rmq__json_parse checked
 * for trailing bytes with rmq__jlex_peek() != 0, but peek answers 0 for a
 * NUL byte as well as for the end of input, so anything after a NUL was
 * silently ignored ("5\0,garbage" parsed as 5). The parser now requires
 * the cursor to reach the end after trailing blanks.
 */
static void test_json_parse_rejects_bytes_after_nul(void **state) {
        static const struct {
                const char *text;
                size_t len;
        } bad[] = {{"5\0", 2}, {"5\0,", 3}, {"{}\0x", 4}, {"[1] \0 ]", 6},
                   {"\"s\"\0\"t\"", 6}};
        char errstr[128];
        size_t i;
        cJSON *root;
        (void)state;
        for (i = 0; i < RMQ_ARRAY_SIZE(bad); i++) {
                errstr[0] = '\0';
                root = rmq__json_parse(bad[i].text, bad[i].len, errstr,
                                       sizeof(errstr));
                if (root) {
                        cJSON_Delete(root);
                        fail_msg("case %zu accepted", i);
                }
                assert_non_null(strstr(errstr, "trailing"));
        }
        root = rmq__json_parse("5 \t\r\n", 5, NULL, 0);
        assert_non_null(root);
        cJSON_Delete(root);
}

/*
 * fuzz_frame (trailing-byte oracle): the JSON remoting header decoder had
 * the same rmq__jlex_peek() != 0 test, so a header with a NUL byte after
 * the object and anything behind it decoded as if the rest were absent.
 */
static void test_json_header_rejects_bytes_after_nul(void **state) {
        static const uint8_t frame[] = {
            0, 0, 0, 16, 0, 0, 0, 12, '{', '"', 'c', 'o',
            'd', 'e', '"', ':', '1', '}', 0, 'x'};
        static const uint8_t ok[] = {
            0, 0, 0, 15, 0, 0, 0, 11, '{', '"', 'c', 'o',
            'd', 'e', '"', ':', '1', '}', ' '};
        rmq_cmd_t *cmd   = NULL;
        char errstr[256] = "";
        (void)state;
        assert_int_equal(rmq__cmd_decode(frame, sizeof(frame), &cmd, errstr,
                                         sizeof(errstr)),
                         RMQ_ERR__BAD_MSG);
        assert_null(cmd);
        assert_non_null(strstr(errstr, "trailing bytes"));
        assert_int_equal(rmq__cmd_decode(ok, sizeof(ok), &cmd, NULL, 0),
                         RMQ_OK);
        assert_int_equal(cmd->code, 1);
        rmq__cmd_destroy(cmd);
}

/* Numbers outside the JSON grammar or beyond double range are refused:
 * the printer could only write them back as text fastjson cannot read. */
static void test_json_rejects_non_json_numbers(void **state) {
        static const char *const bad[] = {"nan",  "inf",  "-inf", "1e400",
                                          "-1e400", "0x10", "+5",  "01",
                                          "1.",   ".5",   "1e",   "123L"};
        size_t i;
        (void)state;
        for (i = 0; i < RMQ_ARRAY_SIZE(bad); i++) {
                char err[128] = "";
                cJSON *root = rmq__json_parse(bad[i], strlen(bad[i]), err,
                                              sizeof(err));
                if (root)
                        fail_msg("%s accepted", bad[i]);
                assert_non_null(strstr(err, "invalid JSON body"));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_json_rejects_non_json_numbers),
            cmocka_unit_test(test_json_item_i64_out_of_range),
            cmocka_unit_test(test_json_print_out_of_range_number),
            cmocka_unit_test(test_json_parse_rejects_bytes_after_nul),
            cmocka_unit_test(test_json_header_rejects_bytes_after_nul),
        };
        return cmocka_run_group_tests_name("fuzz_regressions", tests, NULL,
                                           NULL);
}
