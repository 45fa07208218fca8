/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Producer building blocks without a network: names and namespaces
 * (Validators, NamespaceUtil), the message object, TopicPublishInfo built
 * from a route, queue selection, the latency fault strategy, the hash
 * selector's Java compatibility, and the send request header.
 */
#include <stdio.h>
#include <stdlib.h>

#include "client/rmq_client_api.h"
#include "client/rmq_message_int.h"
#include "common/rmq_str.h"
#include "producer/rmq_fault.h"
#include "producer/rmq_publish_info.h"
#include "protocol/rmq_message_codec.h"
#include "protocol/rmq_names.h"
#include "rocketmq/rocketmq.h"
#include "testutil.h"

static void test_topic_and_group_validation(void **state) {
        char buf[256];
        char longtopic[200];
        (void)state;
        memset(longtopic, 'a', 128);
        longtopic[128] = '\0';
        assert_null(rmq__check_topic("TopicTest", buf, sizeof(buf)));
        assert_null(rmq__check_topic("%RETRY%G|x-y_z", buf, sizeof(buf)));
        assert_string_equal(rmq__check_topic("  ", buf, sizeof(buf)),
                            "The specified topic is blank");
        assert_non_null(strstr(rmq__check_topic(longtopic, buf, sizeof(buf)),
                               "longer than topic max length 127"));
        longtopic[127] = '\0';
        assert_null(rmq__check_topic(longtopic, buf, sizeof(buf)));
        assert_non_null(strstr(rmq__check_topic("a b", buf, sizeof(buf)),
                               "illegal characters"));
        assert_non_null(strstr(rmq__check_topic("t\xc3\xa9", buf,
                                                sizeof(buf)),
                               "illegal characters"));
        assert_true(rmq__is_not_allowed_send_topic("SCHEDULE_TOPIC_XXXX"));
        assert_false(rmq__is_not_allowed_send_topic("TBW102"));
        assert_true(rmq__is_system_topic("TBW102"));
        assert_true(rmq__is_system_topic("rmq_sys_anything"));
        assert_null(rmq__check_group("PG_1", buf, sizeof(buf)));
        assert_non_null(rmq__check_group("", buf, sizeof(buf)));
        assert_non_null(rmq__check_group("bad group", buf, sizeof(buf)));
}

static void expect_str(char *got, const char *want) {
        assert_string_equal(got, want);
        free(got);
}

static void test_namespaces(void **state) {
        (void)state;
        /* NamespaceUtil.wrapNamespace */
        expect_str(rmq__ns_wrap("ns", "T"), "ns%T");
        expect_str(rmq__ns_wrap("ns", "ns%T"), "ns%T");
        expect_str(rmq__ns_wrap("ns", "%RETRY%G"), "%RETRY%ns%G");
        expect_str(rmq__ns_wrap("ns", "%DLQ%G"), "%DLQ%ns%G");
        expect_str(rmq__ns_wrap("ns", "TBW102"), "TBW102");
        expect_str(rmq__ns_wrap("ns", "CID_RMQ_SYS_X"), "CID_RMQ_SYS_X");
        expect_str(rmq__ns_wrap(NULL, "T"), "T");
        expect_str(rmq__ns_wrap("", "T"), "T");
        /* withoutNamespace(resource, namespace) */
        expect_str(rmq__ns_unwrap("ns%T", "ns"), "T");
        expect_str(rmq__ns_unwrap("%RETRY%ns%G", "ns"), "%RETRY%G");
        expect_str(rmq__ns_unwrap("other%T", "ns"), "other%T");
        expect_str(rmq__ns_unwrap("T", NULL), "T");
        expect_str(rmq__retry_topic("G"), "%RETRY%G");
        expect_str(rmq__dlq_topic("G"), "%DLQ%G");
}

static int freed;

static void count_free(void *data, size_t len, void *opaque) {
        (void)data;
        (void)len;
        (void)opaque;
        freed++;
}

static void test_message_object(void **state) {
        rmq_message_t *msg = rmq_message_new("T"), *dup;
        static char body[] = "hello";
        const char *n, *v;
        size_t len;
        (void)state;
        /* Java's Message sets WAIT=true */
        assert_string_equal(rmq_message_property(msg, "WAIT"), "true");
        assert_int_equal(rmq_message_wait_store_msg_ok(msg), 1);
        rmq_message_set_tags(msg, "TagA");
        rmq_message_set_keys(msg, "k1");
        rmq_message_add_key(msg, "k2");
        assert_string_equal(rmq_message_keys(msg), "k1 k2");
        assert_int_equal(rmq_message_put_user_property(msg, "color", "red"),
                         RMQ_OK);
        /* reserved and blank names are refused (putUserProperty) */
        assert_int_equal(rmq_message_put_user_property(msg, "TAGS", "x"),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_message_put_user_property(msg, "UNIQ_KEY", "x"),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_message_put_user_property(msg, " ", "x"),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_message_put_user_property(msg, "a", ""),
                         RMQ_ERR__INVALID_ARG);
        /* blank as Java's trim(): every char <= ' ', control chars too */
        assert_int_equal(rmq_message_put_user_property(msg, "a", "\x01\x1f "),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_message_put_user_property(msg, "\t\x7f", "x"),
                         RMQ_OK);
        assert_int_equal(rmq_message_put_user_property(msg, NULL, "x"),
                         RMQ_ERR__INVALID_ARG);
        rmq__message_remove_property(msg, "\t\x7f");
        assert_int_equal(rmq_message_set_delay_time_level(msg, 3), RMQ_OK);
        assert_int_equal(rmq_message_delay_time_level(msg), 3);
        assert_int_equal(rmq_message_set_delay_time_level(msg, -1),
                         RMQ_ERR__INVALID_ARG);
        rmq_message_set_flag(msg, 7);
        assert_int_equal(rmq_message_flag(msg), 7);
        assert_int_equal(rmq_message_set_body_ref(msg, body, 5, count_free,
                                                  NULL),
                         RMQ_OK);
        dup = rmq_message_dup(msg);
        rmq_message_destroy(msg);
        assert_int_equal(freed, 0); /* the copy still shares the body */
        assert_memory_equal(rmq_message_body(dup, &len), "hello", 5);
        assert_int_equal(len, 5);
        assert_string_equal(rmq_message_tags(dup), "TagA");
        assert_int_equal(rmq_message_property_at(dup, 0, &n, &v), 1);
        assert_string_equal(n, "WAIT");
        /* messageProperties2String's format, in the order set */
        {
                static const char want[]     = "WAIT\001true\002TAGS\001TagA"
                                               "\002KEYS\001k1 k2\002color"
                                               "\001red\002DELAY\0013";
                static const char with_ids[] = "UNIQ_KEY\001ID1\002"
                                               "INSTANCE_ID\001ns1\002";
                char out[256];
                int32_t r = 0, mr = -1;
                size_t plen = rmq__message_encode_props(dup, NULL, NULL, false,
                                                        NULL, 0, &r, &mr);
                assert_int_equal(plen, sizeof(want) - 1);
                /* too small: only what fits, the whole length returned */
                memset(out, '#', sizeof(out));
                assert_int_equal(rmq__message_encode_props(
                                     dup, NULL, NULL, false, out, 10, &r, &mr),
                                 plen);
                assert_int_equal(out[plen], '#');
                assert_int_equal(
                    rmq__message_encode_props(dup, NULL, NULL, false, out,
                                              sizeof(out), &r, &mr),
                    plen);
                assert_memory_equal(out, want, plen);
                /* sendKernelImpl's UNIQ_KEY and INSTANCE_ID come first */
                plen = rmq__message_encode_props(dup, "ID1", "ns1", false, out,
                                                 sizeof(out), &r, &mr);
                assert_int_equal(plen, sizeof(with_ids) - 1 + sizeof(want) - 1);
                assert_memory_equal(out, with_ids, sizeof(with_ids) - 1);
                assert_memory_equal(out + sizeof(with_ids) - 1, want,
                                    sizeof(want) - 1);
                /* a retry topic: the reconsume counts go to the header */
                rmq__message_put_property(dup, "RECONSUME_TIME", "3");
                rmq__message_put_property(dup, "MAX_RECONSUME_TIMES", "16");
                plen = rmq__message_encode_props(dup, NULL, NULL, true, out,
                                                 sizeof(out), &r, &mr);
                assert_int_equal(plen, sizeof(want) - 1);
                assert_memory_equal(out, want, plen);
                assert_int_equal(r, 3);
                assert_int_equal(mr, 16);
                plen = rmq__message_encode_props(dup, NULL, NULL, false, out,
                                                 sizeof(out), &r, &mr);
                assert_int_equal(plen, sizeof(want) - 1 +
                                           strlen("\002RECONSUME_TIME\0013"
                                                  "\002MAX_RECONSUME_TIMES"
                                                  "\00116"));
        }
        rmq_message_destroy(dup);
        assert_int_equal(freed, 1);
        /* a NULL body with a length is refused, and free_cb still runs */
        msg = rmq_message_new(NULL);
        assert_int_equal(rmq_message_set_body_ref(msg, NULL, 3, count_free,
                                                  NULL),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(freed, 2);
        rmq_message_destroy(msg);
}

/* Property and topic storage: the static WAIT=true replaced and removed,
 * values set from the message's own strings, many properties, long and
 * self-assigned topics, and copies of all that. */
static void test_message_storage(void **state) {
        char longt[200];
        rmq_message_t *msg, *dup;
        const char *n, *v;
        int i;
        (void)state;
        memset(longt, 'T', sizeof(longt) - 1);
        longt[sizeof(longt) - 1] = '\0';
        msg = rmq_message_new(longt);
        assert_string_equal(rmq_message_topic(msg), longt);
        rmq_message_set_topic(msg, rmq_message_topic(msg));
        assert_string_equal(rmq_message_topic(msg), longt);
        rmq_message_set_topic(msg, "short");
        rmq_message_set_topic(msg, rmq_message_topic(msg));
        assert_string_equal(rmq_message_topic(msg), "short");
        rmq_message_set_wait_store_msg_ok(msg, 0);
        assert_string_equal(rmq_message_property(msg, "WAIT"), "false");
        rmq_message_set_tags(msg, "t1");
        rmq_message_set_tags(msg, rmq_message_tags(msg)); /* aliasing */
        assert_string_equal(rmq_message_tags(msg), "t1");
        for (i = 0; i < 10; i++) {
                char name[16], value[16];
                snprintf(name, sizeof(name), "p%d", i);
                snprintf(value, sizeof(value), "v%d", i);
                assert_int_equal(rmq_message_put_user_property(msg, name,
                                                               value),
                                 RMQ_OK);
        }
        rmq__message_remove_property(msg, "WAIT");
        assert_null(rmq_message_property(msg, "WAIT"));
        assert_int_equal(rmq_message_wait_store_msg_ok(msg), 1);
        assert_int_equal(rmq_message_property_at(msg, 0, &n, &v), 1);
        assert_string_equal(n, "TAGS");
        assert_string_equal(v, "t1");
        dup = rmq_message_dup(msg);
        rmq_message_destroy(msg);
        assert_string_equal(rmq_message_topic(dup), "short");
        assert_string_equal(rmq_message_property(dup, "p9"), "v9");
        assert_int_equal(rmq_message_property_at(dup, 11, &n, &v), 0);
        assert_int_equal(rmq_message_property_at(dup, 10, &n, &v), 1);
        assert_string_equal(n, "p9");
        rmq_message_destroy(dup);
        /* a new message's static WAIT, copied and replaced */
        msg = rmq_message_new(NULL);
        assert_null(rmq_message_topic(msg));
        dup = rmq_message_dup(msg);
        rmq_message_destroy(msg);
        assert_string_equal(rmq_message_property(dup, "WAIT"), "true");
        rmq_message_set_wait_store_msg_ok(dup, 0);
        assert_int_equal(rmq_message_wait_store_msg_ok(dup), 0);
        rmq_message_destroy(dup);
}

static rmq_topic_route_data_t *two_broker_route(int wa, int wb, int perm_b) {
        static char body[1024];
        rmq_topic_route_data_t *r = NULL;
        snprintf(body, sizeof(body),
                 "{\"brokerDatas\":[{\"brokerAddrs\":{\"0\":\"127.0.0.1:1\"},"
                 "\"brokerName\":\"broker-b\",\"cluster\":\"C\"},"
                 "{\"brokerAddrs\":{\"0\":\"127.0.0.1:2\",\"1\":"
                 "\"127.0.0.1:3\"},\"brokerName\":\"broker-a\",\"cluster\":"
                 "\"C\"},{\"brokerAddrs\":{\"1\":\"127.0.0.1:4\"},"
                 "\"brokerName\":\"broker-c\",\"cluster\":\"C\"}],"
                 "\"queueDatas\":[{\"brokerName\":\"broker-b\",\"perm\":%d,"
                 "\"readQueueNums\":4,\"topicSysFlag\":0,\"writeQueueNums\":"
                 "%d},{\"brokerName\":\"broker-a\",\"perm\":6,"
                 "\"readQueueNums\":4,\"topicSysFlag\":0,\"writeQueueNums\":"
                 "%d},{\"brokerName\":\"broker-c\",\"perm\":6,"
                 "\"readQueueNums\":4,\"topicSysFlag\":0,\"writeQueueNums\":"
                 "4}]}",
                 perm_b, wb, wa);
        assert_int_equal(rmq__topic_route_decode(body, strlen(body), &r, NULL,
                                                 0),
                         RMQ_OK);
        return r;
}

static void test_publish_info_from_route(void **state) {
        rmq_topic_route_data_t *r = two_broker_route(2, 3, 6);
        rmq_publish_info_t *tpi   = rmq__publish_info_from_route("T", r);
        size_t i;
        (void)state;
        /* sorted by broker name; broker-c has no master so it is skipped */
        assert_int_equal(tpi->mq_cnt, 5);
        assert_string_equal(tpi->mqs[0].brokerName, "broker-a");
        assert_int_equal(tpi->mqs[1].queueId, 1);
        assert_string_equal(tpi->mqs[2].brokerName, "broker-b");
        assert_int_equal(tpi->mqs[4].queueId, 2);
        assert_false(tpi->order_topic);
        assert_int_equal(rmq__publish_info_write_queues(tpi, "broker-b"), 3);
        assert_int_equal(rmq__publish_info_write_queues(tpi, "nope"), -1);
        /* rotation avoids the last broker when it can */
        for (i = 0; i < 20; i++) {
                const rmq_message_queue_t *mq =
                    rmq__publish_info_select(tpi, "broker-a");
                assert_string_equal(mq->brokerName, "broker-b");
        }
        rmq__publish_info_release(tpi);
        rmq__topic_route_destroy(r);
        /* a read-only broker gets no write queues */
        r   = two_broker_route(2, 3, 4);
        tpi = rmq__publish_info_from_route("T", r);
        assert_int_equal(tpi->mq_cnt, 2);
        rmq__publish_info_release(tpi);
        rmq__topic_route_destroy(r);
}

static void test_publish_info_order_topic(void **state) {
        rmq_topic_route_data_t *r = two_broker_route(2, 3, 6);
        rmq_publish_info_t *tpi;
        (void)state;
        r->orderTopicConf = strdup("broker-x:2;broker-y:1");
        tpi = rmq__publish_info_from_route("T", r);
        assert_true(tpi->order_topic);
        assert_int_equal(tpi->mq_cnt, 3);
        assert_string_equal(tpi->mqs[2].brokerName, "broker-y");
        rmq__publish_info_release(tpi);
        rmq__topic_route_destroy(r);
        tpi = rmq__publish_info_empty();
        assert_false(rmq__publish_info_ok(tpi));
        assert_null(rmq__publish_info_select(tpi, NULL));
        rmq__publish_info_release(tpi);
}

static int64_t fake_now;
static int64_t fake_clock(void) {
        return fake_now;
}

static void test_fault_strategy(void **state) {
        rmq_fault_t f;
        rmq_topic_route_data_t *r = two_broker_route(2, 2, 6);
        rmq_publish_info_t *tpi   = rmq__publish_info_from_route("T", r);
        rmq_message_queue_t scratch;
        int i;
        (void)state;
        /* 4.9.8 tables */
        assert_int_equal(rmq__fault_not_available_ms(40), 0);
        assert_int_equal(rmq__fault_not_available_ms(550), 30000);
        assert_int_equal(rmq__fault_not_available_ms(1000), 60000);
        assert_int_equal(rmq__fault_not_available_ms(30000), 600000);
        rmq__fault_init(&f, true);
        f.now_ms = fake_clock;
        fake_now = 1000000;
        /* a slow broker is avoided while it is not available */
        rmq__fault_update(&f, "broker-a", 600, false);
        assert_false(rmq__fault_available(&f, "broker-a"));
        for (i = 0; i < 20; i++) {
                const rmq_message_queue_t *mq =
                    rmq__fault_select(&f, tpi, NULL, &scratch);
                assert_string_equal(mq->brokerName, "broker-b");
                assert_null(scratch.topic);
        }
        /* a failure isolates broker-b (30 s latency -> 600 s) */
        rmq__fault_update(&f, "broker-b", 10, true);
        assert_false(rmq__fault_available(&f, "broker-b"));
        /* every broker is faulty: pickOneAtLeast takes the better half
         * (lowest latency first: broker-b) and a queue id below its
         * write queue count */
        {
                const rmq_message_queue_t *mq =
                    rmq__fault_select(&f, tpi, NULL, &scratch);
                assert_non_null(mq);
                assert_ptr_equal(mq, &scratch);
                assert_string_equal(mq->brokerName, "broker-b");
                assert_true(mq->queueId >= 0 && mq->queueId < 2);
                if (scratch.topic)
                        rmq__mq_clear(&scratch);
        }
        /* time passes: available again */
        fake_now += 600001;
        assert_true(rmq__fault_available(&f, "broker-a"));
        assert_true(rmq__fault_available(&f, "broker-b"));
        rmq__fault_destroy(&f);
        /* disabled: plain rotation with last-broker avoidance */
        rmq__fault_init(&f, false);
        rmq__fault_update(&f, "broker-a", 100000, true);
        assert_true(rmq__fault_available(&f, "broker-a"));
        {
                const rmq_message_queue_t *mq =
                    rmq__fault_select(&f, tpi, "broker-b", &scratch);
                assert_string_equal(mq->brokerName, "broker-a");
        }
        rmq__fault_destroy(&f);
        rmq__publish_info_release(tpi);
        rmq__topic_route_destroy(r);
}

/* The rotating index wraps after 2^31 sends without signed overflow (UBSan
 * aborts the sanitizer run on it) and keeps rotating over every queue. */
static void test_fault_index_wraps(void **state) {
        rmq_fault_t f;
        rmq_topic_route_data_t *r = two_broker_route(2, 2, 6);
        rmq_publish_info_t *tpi   = rmq__publish_info_from_route("T", r);
        rmq_message_queue_t scratch;
        int seen[4] = {0}, i;
        (void)state;
        rmq__fault_init(&f, true);
        f.now_ms = fake_clock;
        fake_now = 1000;
        /* every broker faulty but the last one tried, so the loop walks
         * past INT32_MAX looking for an available queue */
        rmq__fault_update(&f, "broker-a", 600, false);
        atomic_store(&tpi->which, 0x7ffffffdu);
        for (i = 0; i < 8; i++) {
                const rmq_message_queue_t *mq =
                    rmq__fault_select(&f, tpi, NULL, &scratch);
                assert_non_null(mq);
                assert_string_equal(mq->brokerName, "broker-b");
                seen[mq->queueId]++;
        }
        assert_true(seen[0] > 0 && seen[1] > 0);
        rmq__fault_destroy(&f);
        rmq__publish_info_release(tpi);
        rmq__topic_route_destroy(r);
}

/* MQFaultStrategy.selectOneMessageQueue when every broker is avoided:
 * the "not best" broker is used only if getQueueIdByBroker finds writable
 * queue data for it; else its fault item is removed and a queue of the
 * topic's writable queues is chosen. */
static void test_fault_fallback_needs_writable_broker(void **state) {
        rmq_fault_t f;
        /* broker-b is read-only (perm 4): only broker-a has write queues */
        rmq_topic_route_data_t *r = two_broker_route(2, 3, 4);
        rmq_publish_info_t *tpi   = rmq__publish_info_from_route("T", r);
        rmq_message_queue_t scratch;
        const rmq_message_queue_t *mq;
        (void)state;
        assert_int_equal(tpi->mq_cnt, 2);
        assert_int_equal(rmq__publish_info_write_queues(tpi, "broker-b"), -1);
        assert_int_equal(rmq__publish_info_write_queues(tpi, "broker-a"), 2);
        rmq__fault_init(&f, true);
        f.now_ms = fake_clock;
        fake_now = 5000000;
        /* both avoided; broker-b has the lower latency, so pickOneAtLeast
         * names it */
        rmq__fault_update(&f, "broker-a", 600, false);
        rmq__fault_update(&f, "broker-b", 10, true);
        mq = rmq__fault_select(&f, tpi, NULL, &scratch);
        assert_non_null(mq);
        assert_ptr_not_equal(mq, &scratch);
        assert_null(scratch.topic);
        assert_string_equal(mq->brokerName, "broker-a");
        /* latencyFaultTolerance.remove(notBestBroker) */
        assert_true(rmq__fault_available(&f, "broker-b"));
        assert_false(rmq__fault_available(&f, "broker-a"));
        rmq__fault_destroy(&f);
        rmq__publish_info_release(tpi);
        rmq__topic_route_destroy(r);
}

static void test_hash_selector_matches_java(void **state) {
        rmq_message_queue_t q[8];
        const rmq_message_queue_t *ptrs[8];
        int i;
        (void)state;
        for (i = 0; i < 8; i++) {
                rmq__mq_init(&q[i], "T", "b", i);
                ptrs[i] = &q[i];
        }
        /* values printed by a JDK 17: "order-1".hashCode() = -1207111310,
         * % 8 = -6 -> Math.abs -> 6 */
        assert_int_equal(rmq__java_hash("order-1", 7), -1207111310);
        assert_int_equal(rmq_queue_selector_hash(ptrs, 8, NULL, "order-1",
                                                 NULL),
                         6);
        /* UTF-16 code units: "h\u00e9llo" and a surrogate pair */
        assert_int_equal(rmq__java_hash("h\xc3\xa9llo", 6), 103094734);
        assert_int_equal(rmq__java_hash("\xf0\x9f\x98\x80x", 5), 54959989);
        /* "abc".hashCode() = 96354; % 3 = 0 */
        assert_int_equal(rmq_queue_selector_hash(ptrs, 3, NULL, "abc", NULL),
                         0);
        assert_int_equal(rmq_queue_selector_hash(ptrs, 8, NULL, NULL, NULL),
                         -1);
        /* Integer and Long arguments: values printed by jshell (JDK 17)
         * for new SelectMessageQueueByHash().select(mqs, msg, arg) */
        {
                static const struct {
                        int32_t v;
                        size_t n;
                        int want;
                } i32[] = {{7, 8, 7},         {-7, 8, 7},
                           {INT32_MIN, 8, 0}, {INT32_MIN, 3, 2},
                           {INT32_MAX, 3, 1}, {-1, 5, 1},
                           {0, 1, 0},         {123456789, 7, 1}};
                static const struct {
                        int64_t v;
                        size_t n;
                        int want;
                } i64[] = {{INT64_C(1) << 32, 8, 1},
                           {-1, 8, 0},
                           {-2, 8, 1},
                           {INT64_MIN, 3, 2},
                           {INT64_C(123456789012), 7, 5},
                           {-INT64_C(123456789012), 7, 5},
                           {INT64_MAX, 5, 3},
                           {42, 8, 2}};
                size_t k;
                for (k = 0; k < RMQ_ARRAY_SIZE(i32); k++)
                        assert_int_equal(
                            rmq_queue_selector_hash_int32(
                                ptrs, i32[k].n, NULL, (void *)&i32[k].v, NULL),
                            i32[k].want);
                for (k = 0; k < RMQ_ARRAY_SIZE(i64); k++)
                        assert_int_equal(
                            rmq_queue_selector_hash_int64(
                                ptrs, i64[k].n, NULL, (void *)&i64[k].v, NULL),
                            i64[k].want);
                assert_int_equal(
                    rmq_queue_selector_hash_int32(ptrs, 8, NULL, NULL, NULL),
                    -1);
                assert_int_equal(rmq_queue_selector_hash_int64(
                                     ptrs, 0, NULL, (void *)&i64[0].v, NULL),
                                 -1);
        }
        for (i = 0; i < 100; i++) {
                int k = rmq_queue_selector_random(ptrs, 8, NULL, NULL, NULL);
                assert_true(k >= 0 && k < 8);
        }
        for (i = 0; i < 8; i++)
                rmq__mq_clear(&q[i]);
}

static void test_send_request_header(void **state) {
        /* The V2 header of fixture 005, rebuilt: its properties string as
         * a send writes it for a message with tag TagA (which happens to be
         * the order of the Java client's HashMap here). */
        rmq_message_t *msg = rmq_message_new("TopicTest");
        char props[256];
        rmq_send_header_t h;
        rmq_cmd_t *cmd, *fix;
        size_t len, i, len_props;
        int32_t r = 0, mr = -1;
        uint8_t *f = rmq_test_fixture_load("005-", &len, NULL, 0);
        (void)state;
        rmq_message_set_tags(msg, "TagA");
        len_props = rmq__message_encode_props(
            msg, "FD000000000000000000000000000002400230946E097EB94C520000",
            NULL, false, props, sizeof(props) - 1, &r, &mr);
        props[len_props] = '\0'; /* referenced as a C string */
        rmq_message_destroy(msg);
        memset(&h, 0, sizeof(h));
        h.producerGroup         = "PG_DEMO";
        h.topic                 = "TopicTest";
        h.defaultTopic          = "TBW102";
        h.defaultTopicQueueNums = 4;
        h.queueId               = 0;
        h.bornTimestamp         = 1795617272914LL;
        h.properties            = props;
        h.properties_len        = len_props;
        h.maxReconsumeTimes     = -1;
        h.bname                 = "broker-a";
        cmd = rmq__api_send_request(&h, true, "hello sync", 10);
        assert_int_equal(rmq__cmd_decode(f, len, &fix, NULL, 0), RMQ_OK);
        assert_int_equal(cmd->code, RMQ_REQ_SEND_MESSAGE_V2);
        assert_int_equal(cmd->ext_cnt, fix->ext_cnt);
        for (i = 0; i < fix->ext_cnt; i++) {
                assert_string_equal(cmd->ext[i].key, fix->ext[i].key);
                assert_string_equal(cmd->ext[i].val, fix->ext[i].val);
        }
        /* RemotingCommand's version: MQVersion.CURRENT_VERSION of 4.9.8 */
        assert_int_equal(cmd->version, 409);
        assert_int_equal(cmd->version, fix->version);
        /* With the Java client's opaque and language: the same bytes. */
        {
                rmq_buf_t out = RMQ_BUF_INIT;
                cmd->opaque   = fix->opaque;
                cmd->language = fix->language;
                cmd->flag     = fix->flag;
                rmq__cmd_encode(cmd, &out);
                assert_int_equal(out.len, len);
                assert_memory_equal(out.data, f, len);
                rmq__buf_free(&out);
        }
        rmq__cmd_destroy(cmd);
        /* without sendSmartMsg: SEND_MESSAGE with the long names */
        cmd = rmq__api_send_request(&h, false, "x", 1);
        assert_int_equal(cmd->code, RMQ_REQ_SEND_MESSAGE);
        assert_string_equal(rmq__cmd_ext(cmd, "producerGroup"), "PG_DEMO");
        assert_string_equal(rmq__cmd_ext(cmd, "bname"), "broker-a");
        rmq__cmd_destroy(cmd);
        h.batch = true;
        cmd     = rmq__api_send_request(&h, false, "x", 1);
        assert_int_equal(cmd->code, RMQ_REQ_SEND_BATCH_MESSAGE);
        assert_string_equal(rmq__cmd_ext(cmd, "m"), "true");
        rmq__cmd_destroy(cmd);
        rmq__cmd_destroy(fix);
        free(f);
}

/* The send request written from typed fields and the same request as
 * ext fields (what RPC hooks get) encode to the same bytes, for both
 * serialize types, header variants, strings to escape and a header too
 * long for the encoder's scratch. */
static void test_send_request_fields_as_ext(void **state) {
        static char longp[3000];
        static const char *const props[] = {
            "UNIQ_KEY\001AB\002WAIT\001true", "", "q\"uo\\te\001\t",
            "h\xc3\xa9llo", longp};
        size_t pi;
        int variant, stype;
        (void)state;
        memset(longp, 'p', sizeof(longp) - 1);
        longp[100] = '\001';
        for (pi = 0; pi < RMQ_ARRAY_SIZE(props); pi++)
                for (variant = 0; variant < 4; variant++)
                        for (stype = 0; stype < 2; stype++) {
                                rmq_send_header_t h;
                                rmq_send_request_t r;
                                rmq_cmd_t *ext;
                                rmq_buf_t a = RMQ_BUF_INIT, b = RMQ_BUF_INIT;
                                memset(&h, 0, sizeof(h));
                                h.producerGroup = "PG%x";
                                h.producerGroup_plain = true;
                                h.topic = variant & 1 ? "T\"opic" : "TopicTest";
                                h.defaultTopic = "TBW102";
                                h.defaultTopic_plain = true;
                                h.defaultTopicQueueNums = 4;
                                h.queueId       = variant;
                                h.sysFlag       = -5;
                                h.bornTimestamp = 1795617272914LL;
                                h.flag          = INT32_MIN;
                                h.properties    = props[pi];
                                h.properties_len = strlen(props[pi]);
                                h.reconsumeTimes = 3;
                                h.unitMode       = variant == 2;
                                h.maxReconsumeTimes = variant & 2 ? 16 : -1;
                                h.batch = variant == 3;
                                h.bname = variant == 1 ? NULL : "broker-a";
                                rmq__api_send_request_init(&r, &h, variant != 2,
                                                           "body", 4);
                                ext = rmq__api_send_request(&h, variant != 2,
                                                            "body", 4);
                                r.cmd.serialize_type = ext->serialize_type =
                                    stype ? RMQ_SERIALIZE_ROCKETMQ
                                          : RMQ_SERIALIZE_JSON;
                                ext->opaque = r.cmd.opaque;
                                assert_int_equal(r.cmd.ext_cnt, 0);
                                assert_true(r.cmd.field_cnt > 10);
                                rmq__cmd_encode(&r.cmd, &a);
                                rmq__cmd_encode(ext, &b);
                                assert_int_equal(a.len, b.len);
                                assert_memory_equal(a.data, b.data, a.len);
                                /* an ext mutator materialises first */
                                rmq__cmd_ext_add(&r.cmd, "zz", "1");
                                assert_int_equal(r.cmd.field_cnt, 0);
                                assert_int_equal(r.cmd.ext_cnt,
                                                 ext->ext_cnt + 1);
                                assert_string_equal(rmq__cmd_ext(&r.cmd, "zz"),
                                                    "1");
                                rmq__cmd_fini(&r.cmd);
                                rmq__cmd_destroy(ext);
                                rmq__buf_free(&a);
                                rmq__buf_free(&b);
                        }
}

static void test_send_response_processing(void **state) {
        size_t len;
        uint8_t *f = rmq_test_fixture_load("007-", &len, NULL, 0);
        rmq_cmd_t *resp;
        rmq_send_result_t *res = NULL;
        char err[256];
        (void)state;
        assert_int_equal(rmq__cmd_decode(f, len, &resp, NULL, 0), RMQ_OK);
        assert_int_equal(rmq__api_process_send_response(
                             resp, "TopicTest", "broker-a", "UNIQ", "addr",
                             &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_send_result_status(res), RMQ_SEND_OK);
        assert_string_equal(rmq_send_status_name(RMQ_SEND_OK), "SEND_OK");
        assert_string_equal(rmq_send_status_name(RMQ_SLAVE_NOT_AVAILABLE),
                            "SLAVE_NOT_AVAILABLE");
        assert_string_equal(rmq_send_status_name(RMQ_FLUSH_SLAVE_TIMEOUT),
                            "FLUSH_SLAVE_TIMEOUT");
        assert_string_equal(rmq_send_status_name((rmq_send_status_t)9),
                            "UNKNOWN");
        assert_string_equal(rmq_send_result_msg_id(res), "UNIQ");
        assert_string_equal(rmq_send_result_offset_msg_id(res),
                            rmq__cmd_ext(resp, "msgId"));
        assert_string_equal(
            rmq_message_queue_broker_name(rmq_send_result_message_queue(res)),
            "broker-a");
        assert_string_equal(rmq_send_result_region_id(res), "DefaultRegion");
        assert_int_equal(rmq_send_result_trace_on(res), 1);
        rmq_send_result_destroy(res);
        /* a broker error becomes its code with the remark */
        resp->code = RMQ_ERR_SYSTEM_BUSY;
        rmq__cmd_set_remark(resp, "busy now");
        assert_int_equal(rmq__api_process_send_response(
                             resp, "TopicTest", "broker-a", "UNIQ", "addr",
                             &res, err, sizeof(err)),
                         RMQ_ERR_SYSTEM_BUSY);
        assert_null(res);
        assert_non_null(strstr(err, "busy now"));
        resp->code = RMQ_ERR_FLUSH_DISK_TIMEOUT;
        assert_int_equal(rmq__api_process_send_response(
                             resp, "TopicTest", "broker-a", "UNIQ", "addr",
                             &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_send_result_status(res), RMQ_FLUSH_DISK_TIMEOUT);
        rmq_send_result_destroy(res);
        rmq__cmd_destroy(resp);
        free(f);
}

/* The ext fields of a send response as rmq__cmd_ext() reads them: the
 * first of a name wins, a blank region is the default one, TRACE_ON=false
 * turns tracing off, a missing or out-of-range queueId/queueOffset is a
 * malformed answer. */
static void test_send_response_fields(void **state) {
        rmq_cmd_t *resp = rmq__cmd_new_response(RMQ_OK, NULL);
        rmq_send_result_t *res = NULL;
        const rmq_message_queue_t *mq;
        char err[256];
        (void)state;
        rmq__cmd_ext_append(resp, "queueId", "3", 1);
        rmq__cmd_ext_append(resp, "queueId", "9", 1);
        rmq__cmd_ext_append(resp, "queueOffset", "-7", 2);
        rmq__cmd_ext_append(resp, "msgId", "OFFSETID", 8);
        rmq__cmd_ext_append(resp, "transactionId", "TXN", 3);
        rmq__cmd_ext_append(resp, "MSG_REGION", "", 0);
        rmq__cmd_ext_append(resp, "TRACE_ON", "false", 5);
        rmq__cmd_ext_append(resp, "msgId", "SECOND", 6);
        assert_int_equal(rmq__api_process_send_response(
                             resp, "T1", "broker-b", NULL, "addr", &res, err,
                             sizeof(err)),
                         RMQ_OK);
        mq = rmq_send_result_message_queue(res);
        assert_string_equal(rmq_message_queue_topic(mq), "T1");
        assert_string_equal(rmq_message_queue_broker_name(mq), "broker-b");
        assert_int_equal(rmq_message_queue_queue_id(mq), 3);
        assert_int_equal(rmq_send_result_queue_offset(res), -7);
        assert_string_equal(rmq_send_result_msg_id(res), "");
        assert_string_equal(rmq_send_result_offset_msg_id(res), "OFFSETID");
        assert_string_equal(rmq_send_result_transaction_id(res), "TXN");
        assert_string_equal(rmq_send_result_region_id(res), "DefaultRegion");
        assert_int_equal(rmq_send_result_trace_on(res), 0);
        rmq_send_result_destroy(res);
        rmq__cmd_destroy(resp);

        resp = rmq__cmd_new_response(RMQ_OK, NULL);
        rmq__cmd_ext_append(resp, "queueId", "2147483648", 10);
        rmq__cmd_ext_append(resp, "queueOffset", "1", 1);
        assert_int_equal(rmq__api_process_send_response(
                             resp, "T1", "broker-b", "U", "addr", &res, err,
                             sizeof(err)),
                         RMQ_ERR__BAD_MSG);
        assert_null(res);
        rmq__cmd_destroy(resp);

        /* a key with a NUL inside is the name up to the NUL (as strcmp
         * reads it), a shorter prefix is not */
        resp = rmq__cmd_new_response(RMQ_OK, NULL);
        rmq__cmd_ext_append_ref(resp, "queue", 5, "9", 1, false, false);
        rmq__cmd_ext_append_ref(resp, "queueId\0zz", 10, "4", 1, false,
                                false);
        rmq__cmd_ext_append(resp, "queueOffset", "5", 1);
        assert_int_equal(rmq__api_process_send_response(
                             resp, "T1", "broker-b", "U", "addr", &res, err,
                             sizeof(err)),
                         RMQ_OK);
        assert_int_equal(
            rmq_message_queue_queue_id(rmq_send_result_message_queue(res)), 4);
        rmq_send_result_destroy(res);
        rmq__cmd_destroy(resp);

        resp = rmq__cmd_new_response(RMQ_OK, NULL);
        rmq__cmd_ext_append(resp, "queueId", "1", 1);
        rmq__cmd_ext_append(resp, "MSG_REGION", "R1", 2);
        assert_int_equal(rmq__api_process_send_response(
                             resp, "T1", "broker-b", "U", "addr", &res, err,
                             sizeof(err)),
                         RMQ_ERR__BAD_MSG);
        assert_null(res);
        rmq__cmd_ext_append(resp, "queueOffset", "12", 2);
        assert_int_equal(rmq__api_process_send_response(
                             resp, "T1", "broker-b", "U", "addr", &res, err,
                             sizeof(err)),
                         RMQ_OK);
        assert_string_equal(rmq_send_result_region_id(res), "R1");
        assert_null(rmq_send_result_transaction_id(res));
        assert_int_equal(rmq_send_result_trace_on(res), 1);
        assert_int_equal(rmq_send_result_queue_offset(res), 12);
        rmq_send_result_destroy(res);
        rmq__cmd_destroy(resp);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_topic_and_group_validation),
            cmocka_unit_test(test_namespaces),
            cmocka_unit_test(test_message_object),
            cmocka_unit_test(test_message_storage),
            cmocka_unit_test(test_publish_info_from_route),
            cmocka_unit_test(test_publish_info_order_topic),
            cmocka_unit_test(test_fault_strategy),
            cmocka_unit_test(test_fault_fallback_needs_writable_broker),
            cmocka_unit_test(test_hash_selector_matches_java),
            cmocka_unit_test(test_fault_index_wraps),
            cmocka_unit_test(test_send_request_header),
            cmocka_unit_test(test_send_request_fields_as_ext),
            cmocka_unit_test(test_send_response_processing),
            cmocka_unit_test(test_send_response_fields),
        };
        return cmocka_run_group_tests_name("producer_units", tests, NULL,
                                           NULL);
}
