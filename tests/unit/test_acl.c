/* SPDX-License-Identifier: Apache-2.0 */
/* ACL request signatures (AclClientRPCHook, AclUtils, AclSigner) against
 * vectors computed by Java, and the secretKey property's redaction.
 *
 * The vectors were computed with a throwaway Java 17 program (not
 * committed) doing exactly what 4.9.8 does: AclClientRPCHook
 * .doBeforeRequest puts AccessKey (and SecurityToken) into the ext
 * fields, AclUtils.combineRequestContent concatenates the values of a
 * TreeMap of them (Signature skipped) as UTF-8 and appends the body, and
 * AclSigner.calSignature takes HmacSHA1 with the UTF-8 secret and
 * base64-encodes it (commons-codec Base64.encodeBase64 = java.util.Base64
 * with padding). */
#include <stdio.h>
#include <stdlib.h>

#include "common/rmq_conf_int.h"
#include "remoting/rmq_acl.h"
#include "rocketmq/rocketmq.h"
#include "testutil.h"

/* 1: a heartbeat, no header fields, a body */
#define V1_BODY                                                                \
        "{\"clientID\":\"127.0.0.1@DEFAULT\",\"consumerDataSet\":[],"          \
        "\"producerDataSet\":[{\"groupName\":\"PG\"}]}"
#define V1_SIG "X1N5pRdIKejhPi6D8Bq9OGoRFCU="
/* 2: SEND_MESSAGE_V2 with non-ASCII values and a UTF-8 body */
#define V2_SIG "V44skbWMvx/yGrlfZgqio99LFKg="
/* 3: PULL_MESSAGE with a security token and a non-ASCII secret */
#define V3_SIG "C4l67dAwGn5rDFd37JYz0tURvY4="
/* 4: no field but AccessKey, a stale Signature left out, no body */
#define V4_SIG "IUc8rrO/0gDch8CjObLQsW2rsiA="

static void test_vector_body(void **state) {
        rmq_cmd_t *cmd = rmq__cmd_new_request(RMQ_REQ_HEART_BEAT);
        (void)state;
        rmq__cmd_set_body_copy(cmd, V1_BODY, strlen(V1_BODY));
        assert_int_equal(rmq__acl_sign(cmd, "RocketMQ", "12345678", NULL), 0);
        assert_string_equal(rmq__cmd_ext(cmd, "AccessKey"), "RocketMQ");
        assert_null(rmq__cmd_ext(cmd, "SecurityToken"));
        assert_string_equal(rmq__cmd_ext(cmd, "Signature"), V1_SIG);
        rmq__cmd_destroy(cmd);
}

/* The SEND_MESSAGE_V2 header as typed fields (what the producer builds),
 * in wire order (not sorted). */
static void test_vector_non_ascii(void **state) {
        static const char props[] =
            "KEYS\001\xe9\x94\xae\xc3\xa9\002UNIQ_KEY\001"
            "AC1100017F0000000000000000000000\002WAIT\001true\002";
        static const char body[] = "Hello \xe4\xb8\x96\xe7\x95\x8c "
                                   "\xf0\x9f\x98\x80";
        rmq_cmd_field_t f[] = {
            {"a", 1, RMQ_CMD_FIELD_STR, "PID_\xe6\xb5\x8b\xe8\xaf\x95", 10, 0},
            {"b", 1, RMQ_CMD_FIELD_STR, "TopicTest", 9, 0},
            {"c", 1, RMQ_CMD_FIELD_STR_PLAIN, "TBW102", 6, 0},
            {"d", 1, RMQ_CMD_FIELD_I64, NULL, 0, 4},
            {"e", 1, RMQ_CMD_FIELD_I64, NULL, 0, 3},
            {"f", 1, RMQ_CMD_FIELD_I64, NULL, 0, 0},
            {"g", 1, RMQ_CMD_FIELD_I64, NULL, 0, 1700000000000LL},
            {"h", 1, RMQ_CMD_FIELD_I64, NULL, 0, 0},
            {"i", 1, RMQ_CMD_FIELD_STR, props, sizeof(props) - 1, 0},
            {"j", 1, RMQ_CMD_FIELD_I64, NULL, 0, 0},
            {"k", 1, RMQ_CMD_FIELD_STR_PLAIN, "false", 5, 0},
            {"m", 1, RMQ_CMD_FIELD_STR_PLAIN, "false", 5, 0},
        };
        rmq_cmd_t *cmd = rmq__cmd_new_request(RMQ_REQ_SEND_MESSAGE_V2);
        (void)state;
        rmq__cmd_set_fields(cmd, f, RMQ_ARRAY_SIZE(f));
        rmq__cmd_set_body_ref(cmd, body, sizeof(body) - 1);
        assert_int_equal(rmq__acl_sign(cmd, "RocketMQ", "12345678", NULL), 0);
        assert_string_equal(rmq__cmd_ext(cmd, "Signature"), V2_SIG);
        rmq__cmd_destroy(cmd);
}

static void test_vector_security_token(void **state) {
        rmq_cmd_t *cmd = rmq__cmd_new_request(RMQ_REQ_PULL_MESSAGE);
        (void)state;
        /* PullMessageRequestHeader, in declaration order */
        rmq__cmd_ext_add(cmd, "consumerGroup", "CG");
        rmq__cmd_ext_add(cmd, "topic", "TopicTest");
        rmq__cmd_ext_add_i64(cmd, "queueId", 1);
        rmq__cmd_ext_add_i64(cmd, "queueOffset", 42);
        rmq__cmd_ext_add_i64(cmd, "maxMsgNums", 32);
        rmq__cmd_ext_add_i64(cmd, "sysFlag", 3);
        rmq__cmd_ext_add_i64(cmd, "commitOffset", 0);
        rmq__cmd_ext_add_i64(cmd, "suspendTimeoutMillis", 15000);
        rmq__cmd_ext_add(cmd, "subscription", "*");
        rmq__cmd_ext_add_i64(cmd, "subVersion", 1700000000001LL);
        rmq__cmd_ext_add(cmd, "expressionType", "TAG");
        assert_int_equal(rmq__acl_sign(cmd, "ak_with_token",
                                       "sk-\xc3\xbc" "ber-secret",
                                       "STS.token/+=="),
                         0);
        assert_string_equal(rmq__cmd_ext(cmd, "SecurityToken"),
                            "STS.token/+==");
        assert_string_equal(rmq__cmd_ext(cmd, "Signature"), V3_SIG);
        rmq__cmd_destroy(cmd);
}

static void test_vector_stale_signature(void **state) {
        rmq_cmd_t *cmd = rmq__cmd_new_request(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC);
        (void)state;
        rmq__cmd_ext_add(cmd, "Signature", "stale");
        assert_int_equal(rmq__acl_sign(cmd, "RocketMQ", "12345678", NULL), 0);
        assert_string_equal(rmq__cmd_ext(cmd, "Signature"), V4_SIG);
        /* signing again (a resent command) gives the same signature */
        assert_int_equal(rmq__acl_sign(cmd, "RocketMQ", "12345678", NULL), 0);
        assert_string_equal(rmq__cmd_ext(cmd, "Signature"), V4_SIG);
        rmq__cmd_destroy(cmd);
}

/* A key present twice (decoded from a frame that repeats it): the value
 * that counts is the last, as in the receiver's HashMap. */
static void test_duplicate_key(void **state) {
        rmq_cmd_t *a = rmq__cmd_new_request(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC);
        rmq_cmd_t *b = rmq__cmd_new_request(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC);
        char sa[RMQ_ACL_SIGNATURE_SIZE], sb[RMQ_ACL_SIGNATURE_SIZE];
        (void)state;
        rmq__cmd_ext_append(a, "topic", "old", 3);
        rmq__cmd_ext_append(a, "AccessKey", "RocketMQ", 8);
        rmq__cmd_ext_append(a, "topic", "new", 3);
        rmq__cmd_ext_append(b, "topic", "new", 3);
        rmq__cmd_ext_append(b, "AccessKey", "RocketMQ", 8);
        assert_int_equal(rmq__acl_cmd_signature(a, "12345678", true, sa), 0);
        assert_int_equal(rmq__acl_cmd_signature(b, "12345678", true, sb), 0);
        assert_string_equal(sa, sb);
        rmq__cmd_destroy(a);
        rmq__cmd_destroy(b);
}

/* AclSigner over raw bytes: the content of vector 1 is its body. */
static void test_cal_signature(void **state) {
        static const char content[] = "RocketMQ" V1_BODY;
        char sig[RMQ_ACL_SIGNATURE_SIZE];
        (void)state;
        assert_int_equal(rmq__acl_cal_signature(content, sizeof(content) - 1,
                                                "12345678", sig),
                         0);
        assert_string_equal(sig, V1_SIG);
}

/* What the broker checks is what arrives: the signature survives the
 * encoding and decoding of both header formats, and the broker's content
 * leaves _UNIQUE_KEY_QUERY out where the client's does not (as 4.9.8). */
static void test_wire_round_trip(void **state) {
        int st;
        (void)state;
        for (st = RMQ_SERIALIZE_JSON; st <= RMQ_SERIALIZE_ROCKETMQ; st++) {
                rmq_cmd_t *cmd = rmq__cmd_new_request(RMQ_REQ_QUERY_MESSAGE);
                rmq_cmd_t *got = NULL;
                char sig[RMQ_ACL_SIGNATURE_SIZE], err[128];
                rmq_buf_t buf;
                cmd->serialize_type = st;
                rmq__cmd_ext_add(cmd, "topic", "T\xc3\xa9\"quoted\\");
                rmq__cmd_ext_add(cmd, "key", "k1");
                rmq__cmd_ext_add_i64(cmd, "maxNum", 32);
                rmq__cmd_set_body_copy(cmd, "\x00\x01\x02", 3);
                assert_int_equal(
                    rmq__acl_sign(cmd, "RocketMQ", "12345678", NULL), 0);
                rmq__buf_init(&buf, 64);
                rmq__cmd_encode(cmd, &buf);
                assert_int_equal(rmq__cmd_decode(buf.data, buf.len, &got, err,
                                                 sizeof(err)),
                                 RMQ_OK);
                assert_int_equal(
                    rmq__acl_cmd_signature(got, "12345678", true, sig), 0);
                assert_string_equal(sig, rmq__cmd_ext(got, "Signature"));
                assert_int_equal(
                    rmq__acl_cmd_signature(got, "1234567X", true, sig), 0);
                assert_string_not_equal(sig, rmq__cmd_ext(got, "Signature"));
                rmq__cmd_destroy(got);
                rmq__buf_free(&buf);

                /* QUERY_MESSAGE by unique key: the client signs the flag,
                 * the broker leaves it out. */
                rmq__cmd_ext_add(cmd, RMQ_ACL_UNIQUE_MSG_QUERY_FLAG, "true");
                assert_int_equal(
                    rmq__acl_sign(cmd, "RocketMQ", "12345678", NULL), 0);
                assert_int_equal(
                    rmq__acl_cmd_signature(cmd, "12345678", true, sig), 0);
                assert_string_not_equal(sig, rmq__cmd_ext(cmd, "Signature"));
                rmq__cmd_destroy(cmd);
        }
}

static void test_secret_key_redacted(void **state) {
        rmq_conf_t *conf = rmq_conf_new(), *dup;
        char buf[64];
        size_t n = sizeof(buf);
        (void)state;
        assert_int_equal(rmq_conf_get(conf, "secretKey", buf, &n), RMQ_OK);
        assert_string_equal(buf, "");
        assert_int_equal(rmq_conf_set(conf, "accessKey", "RocketMQ", NULL, 0),
                         RMQ_OK);
        assert_int_equal(
            rmq_conf_set(conf, "secretKey", "s3cr3t-value", NULL, 0), RMQ_OK);
        assert_int_equal(
            rmq_conf_set(conf, "securityToken", "tok", NULL, 0), RMQ_OK);
        n = sizeof(buf);
        assert_int_equal(rmq_conf_get(conf, "secretKey", buf, &n), RMQ_OK);
        assert_string_equal(buf, "[redacted]");
        n = sizeof(buf);
        assert_int_equal(rmq_conf_get(conf, "accessKey", buf, &n), RMQ_OK);
        assert_string_equal(buf, "RocketMQ");
        n = sizeof(buf);
        assert_int_equal(rmq_conf_get(conf, "securityToken", buf, &n), RMQ_OK);
        assert_string_equal(buf, "[redacted]"); /* a credential too */
        assert_true(rmq__conf_prop_secret("secretKey"));
        assert_true(rmq__conf_prop_secret("securityToken"));
        assert_true(rmq__conf_prop_secret("tls.client.keyPassword"));
        assert_false(rmq__conf_prop_secret("accessKey"));
        /* the copy keeps the value itself */
        dup = rmq_conf_dup(conf);
        assert_string_equal(dup->secretKey, "s3cr3t-value");
        rmq_conf_destroy(dup);
        rmq_conf_destroy(conf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_vector_body),
            cmocka_unit_test(test_vector_non_ascii),
            cmocka_unit_test(test_vector_security_token),
            cmocka_unit_test(test_vector_stale_signature),
            cmocka_unit_test(test_duplicate_key),
            cmocka_unit_test(test_cal_signature),
            cmocka_unit_test(test_wire_round_trip),
            cmocka_unit_test(test_secret_key_redacted),
        };
        return cmocka_run_group_tests_name("acl", tests, NULL, NULL);
}
