/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bad input never crashes the mock: every request code it handles, sent
 * without fields, with fields that are not numbers, with out-of-range
 * numbers and with garbage bodies, gets the broker's error answer (or, for
 * END_TRANSACTION without a commit/rollback, no answer), and the mock
 * keeps serving. Run under ASan/UBSan to catch what a crash would not.
 */
#include "mock_client.h"

static const int codes[] = {
    RMQ_REQ_SEND_MESSAGE,
    RMQ_REQ_PULL_MESSAGE,
    RMQ_REQ_QUERY_MESSAGE,
    RMQ_REQ_QUERY_CONSUMER_OFFSET,
    RMQ_REQ_UPDATE_CONSUMER_OFFSET,
    RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP,
    RMQ_REQ_GET_MAX_OFFSET,
    RMQ_REQ_GET_MIN_OFFSET,
    RMQ_REQ_GET_EARLIEST_MSG_STORETIME,
    RMQ_REQ_VIEW_MESSAGE_BY_ID,
    RMQ_REQ_HEART_BEAT,
    RMQ_REQ_UNREGISTER_CLIENT,
    RMQ_REQ_CONSUMER_SEND_MSG_BACK,
    RMQ_REQ_END_TRANSACTION,
    RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP,
    RMQ_REQ_LOCK_BATCH_MQ,
    RMQ_REQ_UNLOCK_BATCH_MQ,
    RMQ_REQ_CHECK_CLIENT_CONFIG,
    RMQ_REQ_GET_CONSUMER_CONNECTION_LIST,
    RMQ_REQ_GET_CONSUME_STATS,
    RMQ_REQ_GET_CONSUMER_RUNNING_INFO,
    RMQ_REQ_SEND_MESSAGE_V2,
    RMQ_REQ_SEND_BATCH_MESSAGE,
    RMQ_REQ_GET_ROUTEINFO_BY_TOPIC,
    RMQ_REQ_REGISTER_BROKER,
    RMQ_REQ_GET_BROKER_CLUSTER_INFO,
    RMQ_REQ_SEND_REPLY_MESSAGE,
    RMQ_REQ_SEND_REPLY_MESSAGE_V2,
    RMQ_REQ_UPDATE_AND_CREATE_TOPIC,
    RMQ_REQ_GET_ALL_TOPIC_CONFIG,
    RMQ_REQ_GET_BROKER_RUNTIME_INFO,
    RMQ_REQ_GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
    RMQ_REQ_GET_TOPIC_STATS_INFO,
    RMQ_REQ_GET_PRODUCER_CONNECTION_LIST,
    RMQ_REQ_QUERY_TOPIC_CONSUME_BY_WHO,
};

/* Every field name the handlers read, with a bad value. */
static const char *const keys[] = {
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m",
    "producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums",
    "queueId", "sysFlag", "bornTimestamp", "flag", "properties",
    "consumerGroup", "queueOffset", "maxMsgNums", "commitOffset",
    "suspendTimeoutMillis", "subscription", "subVersion", "expressionType",
    "offset", "group", "delayLevel", "maxReconsumeTimes", "timestamp",
    "key", "maxNum", "beginTimestamp", "endTimestamp", "clientID",
    "clientId", "tranStateTableOffset", "commitLogOffset",
    "commitOrRollback", "msgId", "brokerName", "brokerAddr", "clusterName",
    "haServerAddr", "brokerId", "reconsumeTimes", "unitMode", "batch",
    "readQueueNums", "writeQueueNums", "perm", "topicFilterType",
    "topicSysFlag", "order", NULL};

static void send_variant(mtc_t *c, const char *addr, int code, int variant) {
        rmq_cmd_t *req = mtc_req(code, NULL), *resp = NULL;
        static const uint8_t junk[] = {0xDA, 0xA3, 0x20, 0xA7, 0xff, 0x00,
                                       0x7f, '{', '"', 0x01, 0x02, ']'};
        size_t i;
        rmq_err_t e;
        for (i = 0; keys[i] && variant > 0; i++) {
                switch (variant) {
                case 1:
                        rmq__cmd_ext_add(req, keys[i], "not a number");
                        break;
                case 2:
                        rmq__cmd_ext_add(req, keys[i], "-2147483649");
                        break;
                case 3:
                        rmq__cmd_ext_add(req, keys[i], "-1");
                        break;
                default:
                        rmq__cmd_ext_add(req, keys[i], "9223372036854775807");
                        break;
                }
        }
        if (variant >= 2)
                rmq__cmd_set_body_copy(req, junk, sizeof(junk));
        if (variant == 3 && (code == RMQ_REQ_SEND_MESSAGE_V2 ||
                             code == RMQ_REQ_SEND_BATCH_MESSAGE ||
                             code == RMQ_REQ_SEND_MESSAGE ||
                             code == RMQ_REQ_SEND_REPLY_MESSAGE ||
                             code == RMQ_REQ_SEND_REPLY_MESSAGE_V2)) {
                /* Valid strings so the send reaches the store checks. */
                rmq__cmd_ext_add(req, "b", "RobustTopic");
                rmq__cmd_ext_add(req, "topic", "RobustTopic");
                rmq__cmd_ext_add(req, "c", "TBW102");
                rmq__cmd_ext_add(req, "defaultTopic", "TBW102");
                rmq__cmd_ext_add(req, "i", "\001\002\001x\002DELAY\001\001");
                rmq__cmd_ext_add(req, "m", code == RMQ_REQ_SEND_BATCH_MESSAGE
                                               ? "true"
                                               : "false");
        }
        if (variant == 3 && code == RMQ_REQ_SEND_REPLY_MESSAGE_V2) {
                /* Pushed to this very client (it is a producer). */
                rmq__cmd_ext_add(req, "b", "DefaultCluster_REPLY_TOPIC");
                rmq__cmd_ext_add(req, "i",
                                 "REPLY_TO_CLIENT\001r@1\002DELAY\001x");
        }
        if (variant == 3 && code == RMQ_REQ_UPDATE_AND_CREATE_TOPIC)
                rmq__cmd_ext_add(req, "topicFilterType", "SINGLE_TAG");
        e = mtc_try_call(c, addr, req,
                         code == RMQ_REQ_END_TRANSACTION ? 300 : 3000, &resp);
        if (e == RMQ_ERR__TIMED_OUT &&
            code == RMQ_REQ_SEND_REPLY_MESSAGE_V2 && variant == 3)
                fail_msg("the reply pushed to this client was not answered "
                         "in time");
        if (e == RMQ_ERR__TIMED_OUT && code == RMQ_REQ_END_TRANSACTION)
                return; /* not a commit or rollback: no answer, as Java */
        if (e)
                fail_msg("code %d variant %d: %s", code, variant,
                         rmq_err2name(e));
        rmq__cmd_destroy(resp);
}

static bool namesrv_code(int code) {
        return code == RMQ_REQ_GET_ROUTEINFO_BY_TOPIC ||
               code == RMQ_REQ_REGISTER_BROKER ||
               code == RMQ_REQ_GET_BROKER_CLUSTER_INFO;
}

static void test_bad_requests(void **state) {
        rmq_mock_cluster_t *mc;
        mtc_t *c;
        size_t i;
        int v;
        (void)state;
        assert_int_equal(rmq_mock_cluster_new(&mc, 1, NULL, 0), RMQ_OK);
        c = mtc_new();
        mtc_heartbeat(c, rmq_mock_broker_addr(mc, 0), "r@1", "PG", "CG",
                      "RobustTopic", "*");
        for (v = 0; v <= 4; v++) {
                for (i = 0; i < RMQ_ARRAY_SIZE(codes); i++) {
                        /* Registered again: the unanswered END_TRANSACTION
                         * timed out and the client closed its connection
                         * (clientCloseSocketIfTimeout), and with it its
                         * producer registration. */
                        if (codes[i] == RMQ_REQ_SEND_REPLY_MESSAGE_V2)
                                mtc_heartbeat(c, rmq_mock_broker_addr(mc, 0),
                                              "r@1", "PG", NULL, NULL, NULL);
                        send_variant(c, rmq_mock_broker_addr(mc, 0), codes[i],
                                     v);
                        /* The name server answers only its own codes
                         * (the others are never answered, as 4.9.8). */
                        if (namesrv_code(codes[i]))
                                send_variant(c,
                                             rmq_mock_cluster_namesrv_addr(mc),
                                             codes[i], v);
                }
        }
        /* The well-formed reply was pushed to this client. */
        assert_int_equal(mtc_inbox_count(c,
                                         RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT),
                         1);
        /* Still serving. */
        {
                int64_t off = mtc_send(c, rmq_mock_broker_addr(mc, 0),
                                       "AliveTopic", 0, NULL, "ok");
                assert_int_equal(off, rmq_mock_queue_max_offset(
                                          mc, "AliveTopic", 0, 0) -
                                          1);
        }
        mtc_destroy(c);
        rmq_mock_cluster_destroy(mc);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_bad_requests),
        };
        return cmocka_run_group_tests_name("mock_robust", tests, NULL, NULL);
}
