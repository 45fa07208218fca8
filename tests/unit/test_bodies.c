/* SPDX-License-Identifier: Apache-2.0 */
/* MessageQueue helpers and the small bodies: the captured lock/unlock and
 * consumer-list bodies decode and re-encode to the Java bytes; the
 * MessageQueue-keyed tables of real broker and client bodies (fastjson
 * object keys) are read; malformed bodies give clean errors. */
#include <stdio.h>
#include <stdlib.h>

#include "common/rmq_net.h"
#include "protocol/rmq_bodies.h"
#include "remoting/rmq_remoting_cmd.h"
#include "testutil.h"

static void assert_body_equals(const rmq_buf_t *out, const rmq_cmd_t *cmd) {
        if (out->len != cmd->body_len ||
            memcmp(out->data, cmd->body, out->len))
                fail_msg("encoded:\n%.*s\nfixture:\n%.*s", (int)out->len,
                         (const char *)out->data, (int)cmd->body_len,
                         (const char *)cmd->body);
}

static void check_lock_request(const char *prefix, const char *group,
                               size_t nmq) {
        rmq_cmd_t *cmd = rmq_test_fixture_cmd(prefix, NULL, 0);
        rmq_lock_batch_request_t req;
        rmq_buf_t out = RMQ_BUF_INIT;
        rmq_mq_t *shuffled;
        size_t i;
        assert_int_equal(rmq__lock_batch_request_decode(cmd->body,
                                                        cmd->body_len, &req,
                                                        NULL, 0),
                         RMQ_OK);
        assert_string_equal(req.consumerGroup, group);
        assert_memory_equal(req.clientId, "192.0.2.2@orderly-", 18);
        assert_int_equal(req.mqSet_cnt, nmq);
        assert_string_equal(req.mqSet[nmq - 1].topic, "TopicOrder");
        assert_string_equal(req.mqSet[nmq - 1].brokerName, "broker-a");
        rmq__lock_batch_request_encode(&req, &out);
        assert_body_equals(&out, cmd);
        /* Java's HashSet<MessageQueue> order, from any insertion order */
        shuffled = calloc(nmq, sizeof(*shuffled));
        for (i = 0; i < nmq; i++)
                shuffled[i] = req.mqSet[nmq - 1 - i];
        rmq__mq_java_order(shuffled, nmq);
        for (i = 0; i < nmq; i++)
                assert_true(rmq__mq_equal(&shuffled[i], &req.mqSet[i]));
        free(shuffled);
        rmq__lock_batch_request_clear(&req);
        rmq__buf_free(&out);
        rmq__cmd_destroy(cmd);
}

static void test_lock_bodies(void **state) {
        rmq_cmd_t *cmd;
        rmq_mq_t *mqs = NULL;
        size_t n = 0;
        rmq_buf_t out = RMQ_BUF_INIT;
        const char *prefixes[] = {"044-", "148-"};
        size_t i;
        (void)state;
        check_lock_request("043-", "CG_ORDER_r1", 1);
        check_lock_request("089-", "CG_ORDER_r1", 5);
        check_lock_request("147-", "CG_ORDER_r2", 1);
        check_lock_request("160-", "CG_ORDER_r2", 5);
        for (i = 0; i < 2; i++) {
                cmd = rmq_test_fixture_cmd(prefixes[i], NULL, 0);
                assert_int_equal(rmq__lock_batch_response_decode(
                                     cmd->body, cmd->body_len, &mqs, &n, NULL,
                                     0),
                                 RMQ_OK);
                assert_int_equal(n, 1);
                assert_string_equal(mqs[0].topic, "TopicOrder");
                assert_int_equal(mqs[0].queueId, 0);
                rmq__buf_reset(&out);
                rmq__lock_batch_response_encode(mqs, n, &out);
                assert_body_equals(&out, cmd);
                rmq__mq_array_free(mqs, n);
                rmq__cmd_destroy(cmd);
        }
        /* an empty set */
        rmq__buf_reset(&out);
        rmq__lock_batch_response_encode(NULL, 0, &out);
        assert_int_equal(rmq__lock_batch_response_decode(out.data, out.len,
                                                         &mqs, &n, NULL, 0),
                         RMQ_OK);
        assert_int_equal(n, 0);
        rmq__mq_array_free(mqs, n);
        rmq__buf_free(&out);
}

static void test_consumer_list(void **state) {
        const char *prefixes[] = {"041-", "131-"};
        size_t i, n;
        char **ids;
        rmq_buf_t out = RMQ_BUF_INIT;
        (void)state;
        for (i = 0; i < 2; i++) {
                rmq_cmd_t *cmd = rmq_test_fixture_cmd(prefixes[i], NULL, 0);
                assert_int_equal(rmq__consumer_list_decode(cmd->body,
                                                           cmd->body_len, &ids,
                                                           &n, NULL, 0),
                                 RMQ_OK);
                assert_int_equal(n, 1);
                assert_memory_equal(ids[0], "192.0.2.2@", 10);
                assert_null(ids[1]);
                rmq__buf_reset(&out);
                rmq__consumer_list_encode((const char *const *)ids, n, &out);
                assert_body_equals(&out, cmd);
                rmq__strv_free(ids);
                rmq__cmd_destroy(cmd);
        }
        rmq__buf_free(&out);
}

/* GET_CONSUME_STATS (100, broker) and ConsumerRunningInfo (095, Java
 * client): maps keyed by MessageQueue objects. */
static void test_real_object_keyed_tables(void **state) {
        rmq_cmd_t *cmd     = rmq_test_fixture_cmd("100-", NULL, 0);
        rmq_mq_offset_t *e = NULL;
        size_t n = 0, i;
        static const int64_t stats_consumer[] = {1, 3, 5, 4, 6};
        static const int32_t stats_qid[]      = {0, 3, 2, 1, 0};
        static const int64_t running_commit[] = {1, 6, 4, 5, 3};
        (void)state;
        assert_int_equal(rmq__offset_table_decode(cmd->body, cmd->body_len,
                                                  "offsetTable",
                                                  "consumerOffset", &e, &n,
                                                  NULL, 0),
                         RMQ_OK);
        assert_int_equal(n, 5);
        assert_string_equal(e[0].mq.topic, "%RETRY%CG_CONC_r1");
        for (i = 0; i < n; i++) {
                assert_string_equal(e[i].mq.brokerName, "broker-a");
                assert_int_equal(e[i].mq.queueId, stats_qid[i]);
                assert_int_equal(e[i].offset, stats_consumer[i]);
        }
        rmq__offset_table_free(e, n);
        assert_int_equal(rmq__offset_table_decode(cmd->body, cmd->body_len,
                                                  "offsetTable",
                                                  "brokerOffset", &e, &n,
                                                  NULL, 0),
                         RMQ_OK);
        assert_int_equal(e[0].offset, 2);
        rmq__offset_table_free(e, n);
        /* integer values expected, objects found: an error */
        assert_int_equal(rmq__offset_table_decode(cmd->body, cmd->body_len,
                                                  "offsetTable", NULL, &e, &n,
                                                  NULL, 0),
                         RMQ_ERR__BAD_MSG);
        assert_null(e);
        rmq__cmd_destroy(cmd);
        cmd = rmq_test_fixture_cmd("095-", NULL, 0);
        assert_int_equal(rmq__offset_table_decode(cmd->body, cmd->body_len,
                                                  "mqTable", "commitOffset",
                                                  &e, &n, NULL, 0),
                         RMQ_OK);
        assert_int_equal(n, 5);
        for (i = 0; i < n; i++)
                assert_int_equal(e[i].offset, running_commit[i]);
        assert_string_equal(e[4].mq.topic, "TopicTest");
        assert_int_equal(e[4].mq.queueId, 3);
        rmq__offset_table_free(e, n);
        rmq__cmd_destroy(cmd);
}

static void test_offset_table_round_trip(void **state) {
        rmq_mq_offset_t in[2];
        rmq_mq_offset_t *e = NULL;
        size_t n = 0;
        rmq_buf_t out = RMQ_BUF_INIT;
        static const char c_form[] =
            "{\"offsetTable\":[{\"brokerName\":\"b\",\"offset\":12,"
            "\"queueId\":1,\"topic\":\"T\"}]}";
        (void)state;
        rmq__mq_init(&in[0].mq, "TopicTest", "broker-a", 0);
        in[0].offset = 5;
        rmq__mq_init(&in[1].mq, "Topic\"Q", "broker-b", 3);
        in[1].offset = -1;
        rmq__offset_table_encode(in, 2, &out);
        rmq__buf_put_u8(&out, 0);
        assert_string_equal(
            (char *)out.data,
            "{\"offsetTable\":{{\"brokerName\":\"broker-a\",\"queueId\":0,"
            "\"topic\":\"TopicTest\"}:5,{\"brokerName\":\"broker-b\","
            "\"queueId\":3,\"topic\":\"Topic\\\"Q\"}:-1}}");
        assert_int_equal(rmq__offset_table_decode(out.data, out.len - 1,
                                                  "offsetTable", NULL, &e, &n,
                                                  NULL, 0),
                         RMQ_OK);
        assert_int_equal(n, 2);
        assert_true(rmq__mq_equal(&e[0].mq, &in[0].mq));
        assert_true(rmq__mq_equal(&e[1].mq, &in[1].mq));
        assert_int_equal(e[0].offset, 5);
        assert_int_equal(e[1].offset, -1);
        rmq__offset_table_free(e, n);
        /* ResetOffsetBodyForC's list form */
        assert_int_equal(rmq__offset_table_decode(c_form, strlen(c_form),
                                                  "offsetTable", NULL, &e, &n,
                                                  NULL, 0),
                         RMQ_OK);
        assert_int_equal(n, 1);
        assert_string_equal(e[0].mq.topic, "T");
        assert_int_equal(e[0].mq.queueId, 1);
        assert_int_equal(e[0].offset, 12);
        rmq__offset_table_free(e, n);
        /* no table: no entries */
        assert_int_equal(rmq__offset_table_decode("{}", 2, "offsetTable",
                                                  NULL, &e, &n, NULL, 0),
                         RMQ_OK);
        assert_int_equal(n, 0);
        rmq__offset_table_free(e, n);
        rmq__mq_clear(&in[0].mq);
        rmq__mq_clear(&in[1].mq);
        rmq__buf_free(&out);
}

static void test_mq_helpers(void **state) {
        rmq_mq_t a, b, c, arr[3];
        char s[128];
        (void)state;
        rmq__mq_init(&a, "TopicTest", "broker-a", 2);
        rmq__mq_init(&b, "TopicTest", "broker-a", 10);
        rmq__mq_init(&c, "TopicTest", "broker-b", 0);
        assert_true(rmq__mq_cmp(&a, &b) < 0);
        assert_true(rmq__mq_cmp(&b, &c) < 0);
        assert_true(rmq__mq_cmp(&c, &a) > 0);
        assert_int_equal(rmq__mq_cmp(&a, &a), 0);
        assert_false(rmq__mq_equal(&a, &b));
        /* new MessageQueue("TopicTest","broker-a",2).hashCode() on a JDK */
        assert_int_equal(rmq__mq_hash(&a), -222122229);
        rmq__mq_format(&a, s, sizeof(s));
        assert_string_equal(
            s, "MessageQueue [topic=TopicTest, brokerName=broker-a, queueId=2]");
        arr[0] = c;
        arr[1] = b;
        arr[2] = a;
        qsort(arr, 3, sizeof(arr[0]), rmq__mq_qsort_cmp);
        assert_int_equal(arr[0].queueId, 2);
        assert_int_equal(arr[1].queueId, 10);
        assert_string_equal(arr[2].brokerName, "broker-b");
        rmq__mq_copy(&arr[0], &a);
        assert_true(rmq__mq_equal(&arr[0], &a));
        assert_true(arr[0].topic != a.topic);
        rmq__mq_clear(&arr[0]);
        rmq__mq_clear(&a);
        rmq__mq_clear(&b);
        rmq__mq_clear(&c);
}

static void test_malformed_bodies(void **state) {
        rmq_lock_batch_request_t req;
        rmq_mq_t *mqs;
        rmq_mq_offset_t *e;
        char **ids;
        size_t n;
        char err[256];
        static const char *const bad_tables[] = {
            "{\"offsetTable\":{\"plain\":5}}",
            "{\"offsetTable\":{{\"queueId\":1}:5}}",
            "{\"offsetTable\":{{\"brokerName\":\"b\",\"queueId\":1,"
            "\"topic\":\"T\"}:\"x\"}}",
            "{\"offsetTable\":{{\"brokerName\":\"b\",\"queueId\":\"q\","
            "\"topic\":\"T\"}:5}}",
            "{\"offsetTable\":5}",
            "{\"offsetTable\":{{\"brokerName\":\"b\"",
            "[]",
        };
        size_t i;
        (void)state;
        for (i = 0; i < RMQ_ARRAY_SIZE(bad_tables); i++) {
                err[0] = '\0';
                assert_int_equal(rmq__offset_table_decode(
                                     bad_tables[i], strlen(bad_tables[i]),
                                     "offsetTable", NULL, &e, &n, err,
                                     sizeof(err)),
                                 RMQ_ERR__BAD_MSG);
                assert_null(e);
                assert_true(err[0] != '\0');
        }
        assert_int_equal(rmq__lock_batch_request_decode(
                             "{\"mqSet\":[{\"topic\":\"T\"}]}", 24, &req, NULL,
                             0),
                         RMQ_ERR__BAD_MSG);
        rmq__lock_batch_request_clear(&req);
        assert_int_equal(rmq__lock_batch_request_decode("{\"mqSet\":7}", 11,
                                                        &req, NULL, 0),
                         RMQ_ERR__BAD_MSG);
        rmq__lock_batch_request_clear(&req);
        assert_int_equal(rmq__lock_batch_response_decode(
                             "{\"lockOKMQSet\":[1]}", 19, &mqs, &n, NULL, 0),
                         RMQ_ERR__BAD_MSG);
        assert_null(mqs);
        assert_int_equal(rmq__consumer_list_decode(
                             "{\"consumerIdList\":[\"a\",2]}", 26, &ids, &n,
                             NULL, 0),
                         RMQ_ERR__BAD_MSG);
        assert_null(ids);
        assert_int_equal(rmq__consumer_list_decode("nope", 4, &ids, &n, NULL,
                                                   0),
                         RMQ_ERR__BAD_MSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_lock_bodies),
            cmocka_unit_test(test_consumer_list),
            cmocka_unit_test(test_real_object_keyed_tables),
            cmocka_unit_test(test_offset_table_round_trip),
            cmocka_unit_test(test_mq_helpers),
            cmocka_unit_test(test_malformed_bodies),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
