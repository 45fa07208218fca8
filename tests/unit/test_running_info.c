/* SPDX-License-Identifier: Apache-2.0 */
/* The bodies a consumer answers broker requests with: fixture 095 (a Java
 * push consumer's ConsumerRunningInfo) decodes and re-encodes to the same
 * bytes, also when rebuilt from its values in another order (Java's
 * TreeMap/TreeSet sorting and Java 9's Properties order); MessageQueue
 * keys, an empty info, odd strings, doubles, ConsumeMessageDirectlyResult
 * and GetConsumerStatusBody against hand-computed fastjson text. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "protocol/rmq_running_info.h"
#include "remoting/rmq_remoting_cmd.h"
#include "testutil.h"

static void assert_bytes(const rmq_buf_t *out, const void *want,
                         size_t want_len) {
        if (out->len != want_len || memcmp(out->data, want, want_len))
                fail_msg("encoded:\n%.*s\nwanted:\n%.*s", (int)out->len,
                         (const char *)out->data, (int)want_len,
                         (const char *)want);
}

static void assert_text(const rmq_buf_t *out, const char *want) {
        assert_bytes(out, want, strlen(want));
}

/* ---- fixture 095 ---- */

static void test_fixture_decode_encode(void **state) {
        rmq_cmd_t *cmd = rmq_test_fixture_cmd("095-", NULL, 0);
        rmq_consumer_running_info_t info;
        rmq_buf_t out = RMQ_BUF_INIT;
        char errstr[256];
        (void)state;
        assert_int_equal(cmd->body_len, 3921);
        assert_int_equal(
            rmq__consumer_running_info_decode(cmd->body, cmd->body_len, &info,
                                              errstr, sizeof(errstr)),
            RMQ_OK);
        /* mqTable: 5 queues, %RETRY% first (TreeMap order) */
        assert_int_equal(info.mqTable_cnt, 5);
        assert_string_equal(info.mqTable[0].mq.topic, "%RETRY%CG_CONC_r1");
        assert_string_equal(info.mqTable[0].mq.brokerName, "broker-a");
        assert_int_equal(info.mqTable[0].mq.queueId, 0);
        assert_int_equal(info.mqTable[0].pq.commitOffset, 1);
        assert_int_equal(info.mqTable[0].pq.lastPullTimestamp,
                         INT64_C(1795617482988));
        assert_true(info.mqTable[0].pq.locked);
        assert_false(info.mqTable[0].pq.droped);
        assert_string_equal(info.mqTable[4].mq.topic, "TopicTest");
        assert_int_equal(info.mqTable[4].mq.queueId, 3);
        assert_int_equal(info.mqTable[4].pq.commitOffset, 3);
        assert_int_equal(info.mqTable[4].pq.lastConsumeTimestamp,
                         INT64_C(1795617484062));
        /* properties: 33 names, Java's constants among them */
        assert_int_equal(info.properties_cnt, 33);
        assert_string_equal(info.properties[0].name, "consumeTimestamp");
        assert_string_equal(rmq_test_info_prop(&info, RMQ_PROP_CONSUME_ORDERLY),
                            "false");
        assert_string_equal(
            rmq_test_info_prop(&info, RMQ_PROP_THREADPOOL_CORE_SIZE), "20");
        assert_string_equal(
            rmq_test_info_prop(&info, RMQ_PROP_CONSUMER_START_TIMESTAMP),
            "1795617482361");
        assert_string_equal(rmq_test_info_prop(&info, RMQ_PROP_NAMESERVER_ADDR),
                            "127.0.0.1:9876;");
        assert_string_equal(rmq_test_info_prop(&info, RMQ_PROP_CONSUME_TYPE),
                            "CONSUME_PASSIVELY");
        assert_string_equal(rmq_test_info_prop(&info, RMQ_PROP_CLIENT_VERSION),
                            "V4_9_8");
        assert_string_equal(rmq_test_info_prop(&info, "consumerGroup"),
                            "CG_CONC_r1");
        /* statusTable and subscriptionSet */
        assert_int_equal(info.statusTable_cnt, 2);
        assert_string_equal(info.statusTable[0].topic, "%RETRY%CG_CONC_r1");
        assert_true(info.statusTable[1].status.pullTPS == 0.0);
        assert_int_equal(info.subscriptionSet_cnt, 2);
        assert_string_equal(info.subscriptionSet[1].topic, "TopicTest");
        assert_string_equal(info.subscriptionSet[1].subString, "*");
        assert_int_equal(info.subscriptionSet[1].subVersion,
                         INT64_C(1795617483006));
        assert_int_equal(info.subscriptionSet[1].tagsSet_cnt, 0);
        assert_null(info.jstack);

        rmq__consumer_running_info_encode(&info, &out);
        assert_bytes(&out, cmd->body, cmd->body_len);
        rmq__buf_free(&out);
        rmq__running_info_clear(&info);
        rmq__running_info_clear(NULL);
        rmq__cmd_destroy(cmd);
}

/* DefaultMQPushConsumer's non-static fields in declaration order (what
 * MixAll.object2Properties puts; traceDispatcher is null, so absent),
 * then the puts of DefaultMQPushConsumerImpl#consumerRunningInfo and
 * MQClientInstance#consumerRunningInfo. */
static const char *const java_put_order[] = {
    "log",
    "defaultMQPushConsumerImpl",
    "consumerGroup",
    "messageModel",
    "consumeFromWhere",
    "consumeTimestamp",
    "allocateMessageQueueStrategy",
    "subscription",
    "messageListener",
    "offsetStore",
    "consumeThreadMin",
    "consumeThreadMax",
    "adjustThreadPoolNumsThreshold",
    "consumeConcurrentlyMaxSpan",
    "pullThresholdForQueue",
    "pullThresholdSizeForQueue",
    "pullThresholdForTopic",
    "pullThresholdSizeForTopic",
    "pullInterval",
    "consumeMessageBatchMaxSize",
    "pullBatchSize",
    "postSubscriptionWhenPull",
    "unitMode",
    "maxReconsumeTimes",
    "suspendCurrentQueueTimeMillis",
    "consumeTimeout",
    "awaitTerminationMillisWhenShutdown",
    RMQ_PROP_CONSUME_ORDERLY,
    RMQ_PROP_THREADPOOL_CORE_SIZE,
    RMQ_PROP_CONSUMER_START_TIMESTAMP,
    RMQ_PROP_NAMESERVER_ADDR,
    RMQ_PROP_CONSUME_TYPE,
    RMQ_PROP_CLIENT_VERSION,
};

/* Rebuilt as the consumer would: properties in Java's put order, then
 * ordered as Java 9's Properties; queues, statuses and subscriptions in
 * reverse. The encoder's sorting and the Properties model give back the
 * captured bytes. */
static void test_fixture_rebuild(void **state) {
        rmq_cmd_t *cmd  = rmq_test_fixture_cmd("095-", NULL, 0);
        rmq_cmd_t *cmd2 = rmq_test_fixture_cmd("096-", NULL, 0);
        rmq_consumer_running_info_t dec, info;
        rmq_buf_t out = RMQ_BUF_INIT;
        size_t i;
        (void)state;
        /* The broker forwards the client's body verbatim. */
        assert_int_equal(cmd2->body_len, cmd->body_len);
        assert_memory_equal(cmd2->body, cmd->body, cmd->body_len);

        assert_int_equal(rmq__consumer_running_info_decode(
                             cmd->body, cmd->body_len, &dec, NULL, 0),
                         RMQ_OK);
        memset(&info, 0, sizeof(info));
        assert_int_equal(RMQ_ARRAY_SIZE(java_put_order), dec.properties_cnt);
        for (i = 0; i < RMQ_ARRAY_SIZE(java_put_order); i++) {
                const char *v = rmq_test_info_prop(&dec, java_put_order[i]);
                assert_non_null(v);
                rmq__running_info_add_prop(&info, java_put_order[i], v);
        }
        /* Properties.put of an existing name keeps one entry. */
        rmq__running_info_add_prop(&info, "consumerGroup", "CG_CONC_r1");
        assert_int_equal(info.properties_cnt, dec.properties_cnt);
        rmq__running_info_props_java_order(&info);
        for (i = 0; i < dec.properties_cnt; i++)
                assert_string_equal(info.properties[i].name,
                                    dec.properties[i].name);

        for (i = dec.mqTable_cnt; i-- > 0;)
                rmq__running_info_add_mq(&info, &dec.mqTable[i].mq,
                                         &dec.mqTable[i].pq);
        for (i = dec.statusTable_cnt; i-- > 0;)
                rmq__running_info_add_status(&info, dec.statusTable[i].topic,
                                             &dec.statusTable[i].status);
        for (i = dec.subscriptionSet_cnt; i-- > 0;)
                rmq__running_info_add_subscription(&info,
                                                   &dec.subscriptionSet[i]);
        rmq__consumer_running_info_encode(&info, &out);
        assert_bytes(&out, cmd->body, cmd->body_len);

        rmq__buf_free(&out);
        rmq__running_info_clear(&info);
        rmq__running_info_clear(&dec);
        rmq__cmd_destroy(cmd2);
        rmq__cmd_destroy(cmd);
}

/* A resize's list split that reverses names (checked against a JVM):
 * p0 and p1909 share a bin of the 16-table with p12, which moves to the
 * upper half at the 12th put; p0 and p1909 are pushed back in front of
 * the lower list one by one, so p1909 comes first. */
static void test_props_java_order(void **state) {
        static const char *const put[]  = {"p0", "p1909", "p12", "p1",
                                           "p2", "p3",    "p4",  "p5",
                                           "p6", "p7",    "p8",  "p9"};
        static const char *const want[] = {"p1909", "p0", "p1", "p2",
                                           "p3",    "p4", "p5", "p6",
                                           "p7",    "p8", "p9", "p12"};
        rmq_consumer_running_info_t info;
        size_t i;
        (void)state;
        memset(&info, 0, sizeof(info));
        rmq__running_info_props_java_order(&info); /* empty: no-op */
        for (i = 0; i < RMQ_ARRAY_SIZE(put); i++)
                rmq__running_info_add_prop(&info, put[i], put[i]);
        rmq__running_info_props_java_order(&info);
        for (i = 0; i < RMQ_ARRAY_SIZE(want); i++) {
                assert_string_equal(info.properties[i].name, want[i]);
                assert_string_equal(info.properties[i].value, want[i]);
        }
        rmq__running_info_clear(&info);
}

/* ---- hand-computed bodies ---- */

#define PQ_ZERO_AFTER_COMMIT                                                   \
        ",\"droped\":false,\"lastConsumeTimestamp\":0,"                        \
        "\"lastLockTimestamp\":0,\"lastPullTimestamp\":0,\"locked\":false,"    \
        "\"transactionMsgCount\":0,\"transactionMsgMaxOffset\":0,"             \
        "\"transactionMsgMinOffset\":0,\"tryUnlockTimes\":0}"
#define PQ(off)                                                                \
        "{\"cachedMsgCount\":0,\"cachedMsgMaxOffset\":0,"                      \
        "\"cachedMsgMinOffset\":0,\"cachedMsgSizeInMiB\":0,"                   \
        "\"commitOffset\":" #off PQ_ZERO_AFTER_COMMIT
#define MQ(b, q, t)                                                            \
        "{\"brokerName\":\"" b "\",\"queueId\":" #q ",\"topic\":\"" t "\"}"

/* clang-format off */
static const char want_mq_table[] =
    "{\"mqTable\":{"
    MQ("broker-a", 0, "%RETRY%G") ":" PQ(0) ","
    MQ("broker-a", 2, "TopicA") ":" PQ(5) ","
    MQ("broker-a", 10, "TopicA") ":" PQ(6) ","
    MQ("broker-b", 0, "TopicA") ":" PQ(4) ","
    MQ("broker-b", 1, "TopicB") ":" PQ(7)
    "},\"properties\":{},\"statusTable\":{},\"subscriptionSet\":[]}";
static const char want_java_status[] =
    "{\"consumerTable\":{},\"messageQueueTable\":{"
    MQ("broker-a", 1, "TopicTest") ":250,"
    MQ("broker-a", 0, "TopicTest") ":-1}}";
static const char want_group_status[] =
    "{\"consumerTable\":{\"G1\":{"
    MQ("broker-a", 1, "TopicTest") ":250},\"G2\":{}},"
    "\"messageQueueTable\":{}}";
/* clang-format on */

static void add_mq(rmq_consumer_running_info_t *info, const char *topic,
                   const char *broker, int32_t qid, int64_t off) {
        rmq_mq_t mq;
        rmq_process_queue_info_t pq;
        memset(&pq, 0, sizeof(pq));
        pq.commitOffset = off;
        rmq__mq_init(&mq, topic, broker, qid);
        rmq__running_info_add_mq(info, &mq, &pq);
        rmq__mq_clear(&mq);
}

/* MessageQueue keys: TreeMap order (topic, brokerName, queueId as a
 * number), a repeated queue once with its last value; the keys read back
 * through rmq__offset_table_decode. */
static void test_mq_table_keys(void **state) {
        rmq_consumer_running_info_t info, dec;
        rmq_buf_t out = RMQ_BUF_INIT;
        rmq_mq_offset_t *e;
        size_t n;
        (void)state;
        memset(&info, 0, sizeof(info));
        add_mq(&info, "TopicB", "broker-b", 1, 7);
        add_mq(&info, "TopicA", "broker-a", 10, 3);
        add_mq(&info, "TopicA", "broker-b", 0, 4);
        add_mq(&info, "TopicA", "broker-a", 2, 5);
        add_mq(&info, "TopicA", "broker-a", 10, 6); /* replaces 3 */
        add_mq(&info, "%RETRY%G", "broker-a", 0, 0);
        rmq__consumer_running_info_encode(&info, &out);
        assert_text(&out, want_mq_table);
        assert_int_equal(rmq__offset_table_decode(out.data, out.len, "mqTable",
                                                  "commitOffset", &e, &n, NULL,
                                                  0),
                         RMQ_OK);
        assert_int_equal(n, 5);
        assert_string_equal(e[2].mq.topic, "TopicA");
        assert_int_equal(e[2].mq.queueId, 10);
        assert_int_equal(e[2].offset, 6);
        rmq__offset_table_free(e, n);
        assert_int_equal(
            rmq__consumer_running_info_decode(out.data, out.len, &dec, NULL, 0),
            RMQ_OK);
        assert_int_equal(dec.mqTable_cnt, 5);
        assert_string_equal(dec.mqTable[4].mq.brokerName, "broker-b");
        assert_int_equal(dec.mqTable[4].pq.commitOffset, 7);
        rmq__running_info_clear(&dec);
        rmq__running_info_clear(&info);
        rmq__buf_free(&out);
}

/* new ConsumerRunningInfo() as fastjson writes it; jstack first (sorted)
 * when set. */
static void test_empty_info(void **state) {
        rmq_consumer_running_info_t info, dec;
        rmq_buf_t out = RMQ_BUF_INIT;
        (void)state;
        memset(&info, 0, sizeof(info));
        rmq__consumer_running_info_encode(&info, &out);
        assert_text(&out, "{\"mqTable\":{},\"properties\":{},"
                          "\"statusTable\":{},\"subscriptionSet\":[]}");
        assert_int_equal(
            rmq__consumer_running_info_decode(out.data, out.len, &dec, NULL, 0),
            RMQ_OK);
        assert_int_equal(dec.mqTable_cnt + dec.properties_cnt +
                             dec.statusTable_cnt + dec.subscriptionSet_cnt,
                         0);
        assert_null(dec.jstack);
        rmq__running_info_clear(&dec);
        /* Members missing altogether: also empty. */
        assert_int_equal(
            rmq__consumer_running_info_decode("{}", 2, &dec, NULL, 0), RMQ_OK);
        assert_int_equal(dec.mqTable_cnt, 0);
        rmq__running_info_clear(&dec);

        rmq__running_info_set_jstack(&info, "");
        rmq__buf_reset(&out);
        rmq__consumer_running_info_encode(&info, &out);
        assert_text(&out, "{\"jstack\":\"\",\"mqTable\":{},\"properties\":{},"
                          "\"statusTable\":{},\"subscriptionSet\":[]}");
        rmq__running_info_clear(&info);
        rmq__buf_free(&out);
}

/* Odd strings: quote, backslash, control characters (short escapes where
 * fastjson has them, \u00XX otherwise), '/' unescaped, UTF-8 as is. */
static void test_escaping(void **state) {
        static const char jstack[] =
            "\"main\" #1 prio=5\n\tat Foo.bar(Foo.java:1)\r\n\b\f\x0b";
        static const char val[] = "a\"b\\c\x01\x1f/h\xc3\xa9llo </x>";
        rmq_consumer_running_info_t info, dec;
        rmq_consume_stat_t cs;
        rmq_buf_t out = RMQ_BUF_INIT;
        (void)state;
        memset(&info, 0, sizeof(info));
        memset(&cs, 0, sizeof(cs));
        rmq__running_info_set_jstack(&info, jstack);
        rmq__running_info_add_prop(&info, "k\"1", val);
        rmq__running_info_add_prop(&info, "empty", "");
        rmq__running_info_add_status(&info, "T\\x", &cs);
        rmq__consumer_running_info_encode(&info, &out);
        assert_text(
            &out,
            "{\"jstack\":\"\\\"main\\\" #1 prio=5\\n\\tat "
            "Foo.bar(Foo.java:1)\\r\\n\\b\\f\\u000B\",\"mqTable\":{},"
            "\"properties\":{\"k\\\"1\":\"a\\\"b\\\\c\\u0001\\u001F/"
            "h\xc3\xa9llo </x>\",\"empty\":\"\"},"
            "\"statusTable\":{\"T\\\\x\":{\"consumeFailedMsgs\":0,"
            "\"consumeFailedTPS\":0.0,\"consumeOKTPS\":0.0,\"consumeRT\":0.0,"
            "\"pullRT\":0.0,\"pullTPS\":0.0}},\"subscriptionSet\":[]}");
        assert_int_equal(
            rmq__consumer_running_info_decode(out.data, out.len, &dec, NULL, 0),
            RMQ_OK);
        assert_string_equal(dec.jstack, jstack);
        assert_int_equal(dec.properties_cnt, 2);
        assert_string_equal(dec.properties[0].name, "k\"1");
        assert_string_equal(dec.properties[0].value, val);
        assert_string_equal(dec.properties[1].value, "");
        assert_string_equal(dec.statusTable[0].topic, "T\\x");
        rmq__running_info_clear(&dec);
        rmq__running_info_clear(&info);
        rmq__buf_free(&out);
}

static void check_double(double v, const char *want) {
        rmq_buf_t out = RMQ_BUF_INIT;
        rmq__json_put_double(&out, v);
        assert_text(&out, want);
        rmq__buf_free(&out);
}

/* Java's Double.toString layout (as fastjson writes doubles). */
static void test_doubles(void **state) {
        (void)state;
        check_double(0.0, "0.0");
        check_double(-0.0, "-0.0");
        check_double(1.0, "1.0");
        check_double(12.5, "12.5");
        check_double(-2.5, "-2.5");
        check_double(100.0, "100.0");
        check_double(0.1, "0.1");
        check_double(0.2, "0.2");
        check_double(1.0 / 6.0, "0.16666666666666666");
        check_double(1.0 / 3.0, "0.3333333333333333");
        check_double(2.0 / 3.0, "0.6666666666666666");
        check_double(10.0 / 3.0, "3.3333333333333335");
        check_double(123456.789, "123456.789");
        check_double(9999999.0, "9999999.0");
        check_double(1e7, "1.0E7");
        check_double(12345678.9, "1.23456789E7");
        check_double(0.001, "0.001");
        check_double(0.00123, "0.00123");
        check_double(0.0001, "1.0E-4");
        check_double(1.5e-5, "1.5E-5");
        check_double(1.7976931348623157e308, "1.7976931348623157E308");
        check_double(4.9e-324, "4.9E-324");
        check_double(NAN, "null");
        check_double(INFINITY, "null");
        check_double(-INFINITY, "null");
}

/* ConsumeStatus values, NaN as null; TreeMap order of statusTable; the
 * TreeSet of subscriptions by topic + "@" + subString, the first of equal
 * ones kept. */
static void test_status_and_subscriptions(void **state) {
        rmq_consumer_running_info_t info, dec;
        rmq_consume_stat_t cs = {1.5, 3.2, 0.25, 0.1, NAN, 42};
        rmq_consume_stat_t cs0;
        rmq_subscription_data_t sd;
        rmq_buf_t out = RMQ_BUF_INIT;
        (void)state;
        memset(&info, 0, sizeof(info));
        memset(&cs0, 0, sizeof(cs0));
        rmq__running_info_add_status(&info, "TopicB", &cs0);
        rmq__running_info_add_status(&info, "TopicA", &cs0);
        rmq__running_info_add_status(&info, "TopicB", &cs); /* replaces */

        assert_int_equal(
            rmq__subscription_build(&sd, "TopicB", "b || a", NULL, 7), RMQ_OK);
        rmq__running_info_add_subscription(&info, &sd);
        rmq__subscription_clear(&sd);
        assert_int_equal(rmq__subscription_build(&sd, "TopicA", "*", "TAG", 8),
                         RMQ_OK);
        rmq__running_info_add_subscription(&info, &sd);
        rmq__subscription_clear(&sd);
        /* same topic@subString as the first: the TreeSet keeps the first */
        assert_int_equal(
            rmq__subscription_build(&sd, "TopicB", "b || a", NULL, 9), RMQ_OK);
        rmq__running_info_add_subscription(&info, &sd);
        rmq__subscription_clear(&sd);
        /* "TopicA-x@*" < "TopicA@*": '-' (45) sorts before '@' (64) */
        assert_int_equal(
            rmq__subscription_build(&sd, "TopicA-x", "*", "TAG", 10), RMQ_OK);
        rmq__running_info_add_subscription(&info, &sd);
        rmq__subscription_clear(&sd);

        rmq__consumer_running_info_encode(&info, &out);
        assert_text(
            &out,
            "{\"mqTable\":{},\"properties\":{},\"statusTable\":{"
            "\"TopicA\":{\"consumeFailedMsgs\":0,\"consumeFailedTPS\":0.0,"
            "\"consumeOKTPS\":0.0,\"consumeRT\":0.0,\"pullRT\":0.0,"
            "\"pullTPS\":0.0},"
            "\"TopicB\":{\"consumeFailedMsgs\":42,\"consumeFailedTPS\":null,"
            "\"consumeOKTPS\":0.1,\"consumeRT\":0.25,\"pullRT\":1.5,"
            "\"pullTPS\":3.2}},\"subscriptionSet\":["
            "{\"classFilterMode\":false,\"codeSet\":[],\"expressionType\":"
            "\"TAG\",\"subString\":\"*\",\"subVersion\":10,\"tagsSet\":[],"
            "\"topic\":\"TopicA-x\"},"
            "{\"classFilterMode\":false,\"codeSet\":[],\"expressionType\":"
            "\"TAG\",\"subString\":\"*\",\"subVersion\":8,\"tagsSet\":[],"
            "\"topic\":\"TopicA\"},"
            "{\"classFilterMode\":false,\"codeSet\":[97,98],"
            "\"expressionType\":\"TAG\",\"subString\":\"b || a\","
            "\"subVersion\":7,\"tagsSet\":[\"a\",\"b\"],\"topic\":\"TopicB\"}"
            "]}");
        assert_int_equal(
            rmq__consumer_running_info_decode(out.data, out.len, &dec, NULL, 0),
            RMQ_OK);
        assert_int_equal(dec.statusTable_cnt, 2);
        assert_true(dec.statusTable[1].status.pullTPS == 3.2);
        assert_true(dec.statusTable[1].status.consumeFailedTPS == 0.0);
        assert_int_equal(dec.statusTable[1].status.consumeFailedMsgs, 42);
        assert_int_equal(dec.subscriptionSet_cnt, 3);
        assert_int_equal(dec.subscriptionSet[2].codeSet_cnt, 2);
        assert_int_equal(dec.subscriptionSet[2].codeSet[1], 98);
        assert_string_equal(dec.subscriptionSet[2].tagsSet[0], "a");
        rmq__running_info_clear(&dec);
        rmq__running_info_clear(&info);
        rmq__buf_free(&out);
}

static void test_decode_errors(void **state) {
        static const char *const bad[] = {
            "not json",
            "[1]",
            "{\"mqTable\":[]}",
            "{\"mqTable\":{\"x\":{}}}",
            "{\"mqTable\":{{\"brokerName\":\"b\",\"queueId\":0,\"topic\":"
            "\"T\"}:5}}",
            "{\"statusTable\":{\"T\":1}}",
            "{\"statusTable\":{\"T\":{\"pullRT\":\"fast\"}}}",
            "{\"statusTable\":{\"T\":{\"pullRT\":true}}}",
            "{\"subscriptionSet\":[1]}",
            "{\"subscriptionSet\":[{\"codeSet\":[\"x\"]}]}",
            "{\"properties\":[]}",
            "{\"jstack\":5}",
        };
        static const char tolerant[] =
            "{\"properties\":{\"a\":1,\"b\":true,\"c\":null},"
            "\"statusTable\":{\"T\":{\"pullRT\":\"2.5\","
            "\"consumeFailedMsgs\":\"3\",\"pullTPS\":null}}}";
        rmq_consumer_running_info_t info;
        char errstr[128];
        size_t i;
        (void)state;
        for (i = 0; i < RMQ_ARRAY_SIZE(bad); i++) {
                errstr[0] = '\0';
                if (rmq__consumer_running_info_decode(
                        bad[i], strlen(bad[i]), &info, errstr,
                        sizeof(errstr)) != RMQ_ERR__BAD_MSG)
                        fail_msg("accepted: %s", bad[i]);
                assert_true(errstr[0] != '\0');
                rmq__running_info_clear(&info);
        }
        /* fastjson tolerance: numeric strings, non-string property values */
        assert_int_equal(
            rmq__consumer_running_info_decode(tolerant, strlen(tolerant), &info,
                                              errstr, sizeof(errstr)),
            RMQ_OK);
        assert_int_equal(info.properties_cnt, 2);
        assert_string_equal(info.properties[0].value, "1");
        assert_string_equal(info.properties[1].value, "true");
        assert_true(info.statusTable[0].status.pullRT == 2.5);
        assert_int_equal(info.statusTable[0].status.consumeFailedMsgs, 3);
        rmq__running_info_clear(&info);
}

/* ---- ConsumeMessageDirectlyResult ---- */

static void test_consume_directly_result(void **state) {
        static const char nope[] = "{\"consumeResult\":\"CR_NOPE\"}";
        rmq_consume_directly_result_t res, dec;
        rmq_buf_t out = RMQ_BUF_INIT;
        char errstr[128];
        (void)state;
        assert_string_equal(rmq__cm_result_name(RMQ_CR_SUCCESS), "CR_SUCCESS");
        assert_string_equal(rmq__cm_result_name(RMQ_CR_RETURN_NULL),
                            "CR_RETURN_NULL");
        assert_null(rmq__cm_result_name(6));
        assert_null(rmq__cm_result_name(-1));
        assert_int_equal(rmq__cm_result_parse("CR_THROW_EXCEPTION"),
                         RMQ_CR_THROW_EXCEPTION);
        assert_int_equal(rmq__cm_result_parse("CR_NOPE"), -1);

        memset(&res, 0, sizeof(res));
        res.order          = false;
        res.autoCommit     = true;
        res.consumeResult  = RMQ_CR_SUCCESS;
        res.remark         = "ok \"quoted\"";
        res.spentTimeMills = 12;
        rmq__consume_directly_result_encode(&res, &out);
        assert_text(&out, "{\"autoCommit\":true,\"consumeResult\":"
                          "\"CR_SUCCESS\",\"order\":false,\"remark\":"
                          "\"ok \\\"quoted\\\"\",\"spentTimeMills\":12}");
        assert_int_equal(rmq__consume_directly_result_decode(out.data, out.len,
                                                             &dec, NULL, 0),
                         RMQ_OK);
        assert_true(dec.autoCommit);
        assert_false(dec.order);
        assert_int_equal(dec.consumeResult, RMQ_CR_SUCCESS);
        assert_string_equal(dec.remark, "ok \"quoted\"");
        assert_int_equal(dec.spentTimeMills, 12);
        rmq__free(dec.remark);

        /* the orderly service's answer; null result and remark left out */
        res.order          = true;
        res.autoCommit     = false;
        res.consumeResult  = -1;
        res.remark         = NULL;
        res.spentTimeMills = 0;
        rmq__buf_reset(&out);
        rmq__consume_directly_result_encode(&res, &out);
        assert_text(&out, "{\"autoCommit\":false,\"order\":true,"
                          "\"spentTimeMills\":0}");
        assert_int_equal(rmq__consume_directly_result_decode(out.data, out.len,
                                                             &dec, NULL, 0),
                         RMQ_OK);
        assert_int_equal(dec.consumeResult, -1);
        assert_null(dec.remark);
        assert_true(dec.order);
        assert_false(dec.autoCommit);
        /* Java's defaults for missing members */
        assert_int_equal(
            rmq__consume_directly_result_decode("{}", 2, &dec, NULL, 0),
            RMQ_OK);
        assert_true(dec.autoCommit);
        assert_int_equal(rmq__consume_directly_result_decode(
                             nope, strlen(nope), &dec, errstr, sizeof(errstr)),
                         RMQ_ERR__BAD_MSG);
        rmq__free(dec.remark);
        rmq__buf_free(&out);
}

/* ---- GetConsumerStatusBody ---- */

static void test_consumer_status_body(void **state) {
        rmq_mq_offset_t mqt[2];
        rmq_consumer_status_group_t groups[2];
        rmq_mq_offset_t *e;
        rmq_buf_t out = RMQ_BUF_INIT;
        size_t n;
        (void)state;
        rmq__mq_init(&mqt[0].mq, "TopicTest", "broker-a", 1);
        mqt[0].offset = 250;
        rmq__mq_init(&mqt[1].mq, "TopicTest", "broker-a", 0);
        mqt[1].offset = -1;
        /* What a Java client answers: an empty consumerTable. */
        rmq__consumer_status_body_encode(mqt, 2, NULL, 0, &out);
        assert_text(&out, want_java_status);
        assert_int_equal(rmq__offset_table_decode(out.data, out.len,
                                                  "messageQueueTable", NULL, &e,
                                                  &n, NULL, 0),
                         RMQ_OK);
        assert_int_equal(n, 2);
        assert_int_equal(e[0].offset, 250);
        assert_int_equal(e[1].mq.queueId, 0);
        assert_int_equal(e[1].offset, -1);
        rmq__offset_table_free(e, n);

        groups[0].group       = "G1";
        groups[0].offsets     = mqt;
        groups[0].offsets_cnt = 1;
        groups[1].group       = "G2";
        groups[1].offsets     = NULL;
        groups[1].offsets_cnt = 0;
        rmq__buf_reset(&out);
        rmq__consumer_status_body_encode(NULL, 0, groups, 2, &out);
        assert_text(&out, want_group_status);
        rmq__mq_clear(&mqt[0].mq);
        rmq__mq_clear(&mqt[1].mq);
        rmq__buf_free(&out);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fixture_decode_encode),
            cmocka_unit_test(test_fixture_rebuild),
            cmocka_unit_test(test_props_java_order),
            cmocka_unit_test(test_mq_table_keys),
            cmocka_unit_test(test_empty_info),
            cmocka_unit_test(test_escaping),
            cmocka_unit_test(test_doubles),
            cmocka_unit_test(test_status_and_subscriptions),
            cmocka_unit_test(test_decode_errors),
            cmocka_unit_test(test_consume_directly_result),
            cmocka_unit_test(test_consumer_status_body),
        };
        return cmocka_run_group_tests_name("running_info", tests, NULL, NULL);
}
