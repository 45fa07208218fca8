/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request/reply through the mock (ReplyMessageProcessor, 4.9.8): a
 * responder's SEND_REPLY_MESSAGE(_V2) is pushed to the requester as
 * PUSH_REPLY_MESSAGE_TO_CLIENT on the channel its heartbeat registered
 * for its client id, stored in the reply topic when
 * storeReplyMessageEnable, and answered as the broker answers. Raw
 * remoting clients on both sides.
 */
#include "common/rmq_time.h"
#include "mock_client.h"

#define RT   "DefaultCluster_REPLY_TOPIC"
#define RQ_ID "10.0.0.1@requester"

typedef struct fx_s {
        rmq_mock_cluster_t *mc;
        mtc_t *req; /* the requester: a producer answering 326 as
                     * ClientRemotingProcessor#receiveReplyMessage */
        mtc_t *rsp; /* the responder */
        const char *b0;
} fx_t;

static int setup(void **state) {
        fx_t *fx = calloc(1, sizeof(*fx));
        if (rmq_mock_cluster_new(&fx->mc, 1, NULL, 0) != RMQ_OK)
                return -1;
        fx->b0  = rmq_mock_broker_addr(fx->mc, 0);
        fx->req = mtc_new();
        fx->rsp = mtc_new();
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        fx_t *fx = *state;
        mtc_destroy(fx->rsp);
        mtc_destroy(fx->req);
        rmq_mock_cluster_destroy(fx->mc);
        free(fx);
        return 0;
}

/* The requester registers as a producer of PG_REQ. */
static void register_requester(fx_t *fx) {
        mtc_heartbeat(fx->req, fx->b0, RQ_ID, "PG_REQ", NULL, NULL, NULL);
}

/* Properties of a reply as MessageUtil#createReplyMessage and the send
 * path make them; \p reply_to NULL leaves REPLY_TO_CLIENT out. */
static void reply_props(char *dst, size_t size, const char *reply_to,
                        const char *corr) {
        snprintf(dst, size,
                 "MSG_TYPE\001reply\002CORRELATION_ID\001%s\002TTL\0013000\002"
                 "UNIQ_KEY\001C0A8000100002A9F0000000000000001%s%s",
                 corr, reply_to ? "\002REPLY_TO_CLIENT\001" : "",
                 reply_to ? reply_to : "");
}

/* SEND_REPLY_MESSAGE_V2 (a..m) or SEND_REPLY_MESSAGE (long names, no
 * reconsumeTimes). */
static rmq_cmd_t *reply_req(bool v2, const char *topic, int queue_id,
                            const char *props, const char *body) {
        char qid[16];
        rmq_cmd_t *req;
        snprintf(qid, sizeof(qid), "%d", queue_id);
        if (v2)
                req = mtc_req(RMQ_REQ_SEND_REPLY_MESSAGE_V2, "a", "PG_RSP", "b",
                              topic, "c", "TBW102", "d", "4", "e", qid, "f",
                              "0", "g", "1700000000000", "h", "3", "i", props,
                              "j", "0", "k", "false", "m", "false", NULL);
        else
                req = mtc_req(RMQ_REQ_SEND_REPLY_MESSAGE, "producerGroup",
                              "PG_RSP", "topic", topic, "defaultTopic",
                              "TBW102", "defaultTopicQueueNums", "4", "queueId",
                              qid, "sysFlag", "0", "bornTimestamp",
                              "1700000000001", "flag", "0", "properties",
                              props, "unitMode", "false", "batch", "false",
                              NULL);
        rmq__cmd_set_body_copy(req, body, strlen(body));
        return req;
}

static rmq_cmd_t *send_reply(fx_t *fx, const char *reply_to, const char *body) {
        char props[512];
        reply_props(props, sizeof(props), reply_to, "corr-1");
        return mtc_call(fx->rsp, fx->b0, reply_req(true, RT, 0, props, body));
}

static int64_t ext_i64(const rmq_cmd_t *cmd, const char *key) {
        int64_t v = -1;
        if (rmq__cmd_ext_i64(cmd, key, &v))
                fail_msg("ext field %s missing or not a number", key);
        return v;
}

/* A property of a properties string, copied into \p dst ("" if absent). */
static bool prop(const char *props, const char *key, char *dst, size_t size) {
        const char *v;
        size_t vl;
        dst[0] = '\0';
        if (rmq__props_get(props, strlen(props), key, &v, &vl))
                return false;
        snprintf(dst, size, "%.*s", (int)vl, v);
        return true;
}

/* The stored reply at \p offset has \p body and the properties the
 * responder sent (not PUSH_REPLY_TIME, not CLUSTER), sysFlag 0, and the
 * response's msgId. */
static void assert_stored(fx_t *fx, int64_t offset, const char *body,
                          const rmq_cmd_t *resp) {
        rmq_mock_msg_t *m = NULL;
        const void *b;
        size_t bl;
        assert_int_equal(rmq_mock_message_get(fx->mc, RT, 0, 0, offset, &m),
                         RMQ_OK);
        b = rmq_mock_msg_body(m, &bl);
        assert_int_equal(bl, strlen(body));
        assert_memory_equal(b, body, bl);
        assert_string_equal(rmq_mock_msg_property(m, "MSG_TYPE"), "reply");
        assert_string_equal(rmq_mock_msg_property(m, "CORRELATION_ID"),
                            "corr-1");
        assert_null(rmq_mock_msg_property(m, "PUSH_REPLY_TIME"));
        assert_null(rmq_mock_msg_property(m, "CLUSTER"));
        assert_int_equal(rmq_mock_msg_sys_flag(m), 0);
        assert_int_equal(rmq_mock_msg_flag(m), 3);
        assert_int_equal(rmq_mock_msg_born_timestamp(m), 1700000000000LL);
        if (resp)
                mtc_assert_ext(resp, "msgId", rmq_mock_msg_offset_msg_id(m));
        rmq_mock_msg_destroy(m);
}

/* 325 to a registered requester: pushed with every header field, answered
 * SUCCESS with the stored message's id and offset. */
static void test_reply_v2_pushed_and_stored(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp, *push;
        char v[64];
        int64_t t0, t1, ts;
        const char *bh;
        register_requester(fx);
        t0   = rmq__wall_ms();
        resp = send_reply(fx, RQ_ID, "pong");
        t1   = rmq__wall_ms();
        assert_int_equal(resp->code, RMQ_OK);
        assert_null(resp->remark);
        assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_JSON);
        mtc_assert_ext(resp, "MSG_REGION", "DefaultRegion");
        mtc_assert_ext(resp, "TRACE_ON", "true");
        mtc_assert_ext(resp, "queueId", "0");
        mtc_assert_ext(resp, "queueOffset", "0");
        assert_string_not_equal(rmq__cmd_ext(resp, "msgId"), "0");
        assert_stored(fx, 0, "pong", resp);
        rmq__cmd_destroy(resp);

        assert_true(mtc_inbox_wait(fx->req, RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT,
                                   1, 3000));
        push = mtc_inbox_take(fx->req, RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT);
        assert_int_equal(push->language, RMQ_LANG_JAVA);
        assert_int_equal(push->serialize_type, RMQ_SERIALIZE_JSON);
        assert_false(rmq__cmd_is_oneway(push));
        bh = rmq__cmd_ext(push, "bornHost");
        assert_non_null(bh);
        assert_true(!strncmp(bh, "127.0.0.1:", 10) && strlen(bh) > 10);
        assert_string_not_equal(bh, fx->b0);
        mtc_assert_ext(push, "storeHost", fx->b0);
        ts = ext_i64(push, "storeTimestamp");
        assert_true(ts >= t0 - 1000 && ts <= t1 + 1000);
        mtc_assert_ext(push, "producerGroup", "PG_RSP");
        mtc_assert_ext(push, "topic", RT);
        mtc_assert_ext(push, "defaultTopic", "TBW102");
        mtc_assert_ext(push, "defaultTopicQueueNums", "4");
        mtc_assert_ext(push, "queueId", "0");
        mtc_assert_ext(push, "sysFlag", "0");
        mtc_assert_ext(push, "bornTimestamp", "1700000000000");
        mtc_assert_ext(push, "flag", "3");
        mtc_assert_ext(push, "reconsumeTimes", "0");
        mtc_assert_ext(push, "unitMode", "false");
        /* The reply's properties plus PUSH_REPLY_TIME. */
        assert_true(prop(rmq__cmd_ext(push, "properties"), "REPLY_TO_CLIENT",
                         v, sizeof(v)));
        assert_string_equal(v, RQ_ID);
        assert_true(prop(rmq__cmd_ext(push, "properties"), "CORRELATION_ID",
                         v, sizeof(v)));
        assert_string_equal(v, "corr-1");
        assert_true(prop(rmq__cmd_ext(push, "properties"), "MSG_TYPE", v,
                         sizeof(v)));
        assert_string_equal(v, "reply");
        assert_true(prop(rmq__cmd_ext(push, "properties"), "TTL", v,
                         sizeof(v)));
        assert_string_equal(v, "3000");
        assert_true(prop(rmq__cmd_ext(push, "properties"), "PUSH_REPLY_TIME",
                         v, sizeof(v)));
        ts = strtoll(v, NULL, 10);
        assert_true(ts >= t0 - 1000 && ts <= t1 + 1000);
        assert_int_equal(push->body_len, 4);
        assert_memory_equal(push->body, "pong", 4);
        rmq__cmd_destroy(push);
}

/* 324 (long names) in the ROCKETMQ serialize type, queueId -1: answered in
 * that type; the push carries the request's queueId and no
 * reconsumeTimes. */
/* An injected FLUSH_DISK_TIMEOUT on a reply (the Java responder decodes
 * it as a send, processSendResponse): processed, pushed, stored, and
 * answered with that code and the SendMessageResponseHeader. */
static void test_reply_injected_flush_timeout(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        register_requester(fx);
        rmq_mock_push_request_errors(fx->mc, 0, RMQ_REQ_SEND_REPLY_MESSAGE_V2,
                                     1, RMQ_ERR_FLUSH_DISK_TIMEOUT);
        resp = send_reply(fx, RQ_ID, "pong");
        assert_int_equal(resp->code, RMQ_ERR_FLUSH_DISK_TIMEOUT);
        mtc_assert_ext(resp, "queueId", "0");
        mtc_assert_ext(resp, "queueOffset", "0");
        assert_stored(fx, 0, "pong", resp);
        rmq__cmd_destroy(resp);
        assert_true(mtc_inbox_wait(
            fx->req, RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT, 1, 3000));
        /* The next one is answered as usual. */
        resp = send_reply(fx, RQ_ID, "pong 2");
        assert_int_equal(resp->code, RMQ_OK);
        rmq__cmd_destroy(resp);
}

static void test_reply_v1_rocketmq_serialize(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *req, *resp, *push;
        char props[512];
        register_requester(fx);
        reply_props(props, sizeof(props), RQ_ID, "corr-1");
        req = reply_req(false, RT, -1, props, "pong-v1");
        req->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
        resp = mtc_call(fx->rsp, fx->b0, req);
        assert_int_equal(resp->code, RMQ_OK);
        assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
        mtc_assert_ext(resp, "queueId", "0");
        mtc_assert_ext(resp, "queueOffset", "0");
        rmq__cmd_destroy(resp);
        assert_true(mtc_inbox_wait(fx->req, RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT,
                                   1, 3000));
        push = mtc_inbox_take(fx->req, RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT);
        assert_int_equal(push->serialize_type, RMQ_SERIALIZE_JSON);
        mtc_assert_ext(push, "queueId", "-1");
        mtc_assert_ext(push, "bornTimestamp", "1700000000001");
        assert_null(rmq__cmd_ext(push, "reconsumeTimes"));
        assert_int_equal(push->body_len, 7);
        assert_memory_equal(push->body, "pong-v1", 7);
        rmq__cmd_destroy(push);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, RT), 1);
}

/* No channel for REPLY_TO_CLIENT, or no REPLY_TO_CLIENT: SYSTEM_ERROR with
 * the broker's remark; the reply is stored all the same. */
static void test_reply_without_requester(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        register_requester(fx);
        resp = send_reply(fx, "nobody@1", "lost");
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark, "push reply message fail, channel "
                                          "of <nobody@1> not found.");
        mtc_assert_ext(resp, "queueOffset", "0");
        assert_stored(fx, 0, "lost", resp);
        rmq__cmd_destroy(resp);

        resp = send_reply(fx, NULL, "lost");
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark, "reply message "
                                          "properties[REPLY_TO_CLIENT] is "
                                          "null");
        mtc_assert_ext(resp, "queueOffset", "1");
        rmq__cmd_destroy(resp);
        assert_int_equal(mtc_inbox_count(fx->req,
                                         RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT),
                         0);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, RT), 2);
}

/* The requester answers the push with an error: SYSTEM_ERROR "push reply
 * message to <id>fail." (sic), stored. */
static void test_reply_requester_refuses(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        register_requester(fx);
        mtc_set_push_answer(fx->req, RMQ_ERR_SYSTEM_ERROR);
        resp = send_reply(fx, RQ_ID, "refused");
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark,
                            "push reply message to " RQ_ID "fail.");
        assert_stored(fx, 0, "refused", resp);
        rmq__cmd_destroy(resp);
}

/* storeReplyMessageEnable=false: SUCCESS with msgId "0" and offset 0,
 * nothing stored; a failed push has no send header fields. */
static void test_reply_not_stored(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        char err[128];
        assert_int_equal(rmq_mock_cluster_set(fx->mc, "storeReplyMessageEnable",
                                              "false", err, sizeof(err)),
                         RMQ_OK);
        register_requester(fx);
        resp = send_reply(fx, RQ_ID, "pong");
        assert_int_equal(resp->code, RMQ_OK);
        mtc_assert_ext(resp, "msgId", "0");
        mtc_assert_ext(resp, "queueId", "0");
        mtc_assert_ext(resp, "queueOffset", "0");
        rmq__cmd_destroy(resp);
        resp = send_reply(fx, "nobody@1", "pong");
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_null(rmq__cmd_ext(resp, "msgId"));
        assert_null(rmq__cmd_ext(resp, "queueOffset"));
        mtc_assert_ext(resp, "MSG_REGION", "DefaultRegion");
        rmq__cmd_destroy(resp);
        assert_true(mtc_inbox_wait(fx->req, RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT,
                                   1, 3000));
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, RT), 0);
}

/* While a push waits for the requester the mock keeps serving; when the
 * requester's connection closes the push fails and the responder gets
 * SYSTEM_ERROR. */
static void test_reply_requester_gone(void **state) {
        fx_t *fx = *state;
        mtc_async_t a;
        rmq_cmd_t *resp;
        char props[512];
        register_requester(fx);
        mtc_set_push_answer(fx->req, -1); /* never answers */
        reply_props(props, sizeof(props), RQ_ID, "corr-1");
        mtc_async_start(fx->rsp, fx->b0, reply_req(true, RT, 0, props, "late"),
                        5000 * rmq_test_tmout_multiplier(), &a);
        assert_true(mtc_inbox_wait(fx->req, RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT,
                                   1, 3000));
        assert_false(mtc_async_done(&a));
        /* Not blocked: another client's send is answered meanwhile. */
        assert_int_equal(mtc_send(fx->rsp, fx->b0, "OtherTopic", 0, NULL, "x"),
                         0);
        assert_false(mtc_async_done(&a));
        mtc_destroy(fx->req);
        fx->req = NULL;
        resp = mtc_async_wait(&a, 3000);
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark,
                            "push reply message to " RQ_ID "fail.");
        assert_stored(fx, 0, "late", resp);
        rmq__cmd_destroy(resp);
}

/* ProducerManager.clientChannelTable: unregistering one of the client's
 * producer groups forgets the client id (as 4.9.8 does), a heartbeat that
 * adds the channel to a group again restores it; a closed connection
 * forgets it too. */
static void test_reply_client_table(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        mtc_heartbeat(fx->req, fx->b0, RQ_ID, "PG_A", NULL, NULL, NULL);
        mtc_heartbeat(fx->req, fx->b0, RQ_ID, "PG_B", NULL, NULL, NULL);
        resp = mtc_call(fx->req, fx->b0,
                        mtc_req(RMQ_REQ_UNREGISTER_CLIENT, "clientID", RQ_ID,
                                "producerGroup", "PG_A", NULL));
        assert_int_equal(resp->code, RMQ_OK);
        rmq__cmd_destroy(resp);
        resp = send_reply(fx, RQ_ID, "a");
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark, "push reply message fail, channel "
                                          "of <" RQ_ID "> not found.");
        rmq__cmd_destroy(resp);
        /* Still in PG_B: a heartbeat does not make the channel new there. */
        mtc_heartbeat(fx->req, fx->b0, RQ_ID, "PG_B", NULL, NULL, NULL);
        resp = send_reply(fx, RQ_ID, "b");
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        rmq__cmd_destroy(resp);
        /* New in PG_A again. */
        mtc_heartbeat(fx->req, fx->b0, RQ_ID, "PG_A", NULL, NULL, NULL);
        resp = send_reply(fx, RQ_ID, "c");
        assert_int_equal(resp->code, RMQ_OK);
        rmq__cmd_destroy(resp);
        /* The broker closes its client connections. */
        rmq_mock_close_connections(fx->mc, 0);
        resp = send_reply(fx, RQ_ID, "d");
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark, "push reply message fail, channel "
                                          "of <" RQ_ID "> not found.");
        rmq__cmd_destroy(resp);
}

/* Inputs the broker refuses before the push. */
static void test_reply_bad_inputs(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *req, *resp;
        char props[512];
        register_requester(fx);
        reply_props(props, sizeof(props), RQ_ID, "corr-1");
        /* Illegal topic name. */
        resp = mtc_call(fx->rsp, fx->b0,
                        reply_req(true, "bad topic", 0, props, "x"));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark,
                            "The specified topic contains illegal characters, "
                            "allowing only ^[%|a-zA-Z0-9_-]+$");
        mtc_assert_ext(resp, "MSG_REGION", "DefaultRegion");
        rmq__cmd_destroy(resp);
        /* A topic clients may not send to. */
        resp = mtc_call(fx->rsp, fx->b0,
                        reply_req(true, "SCHEDULE_TOPIC_XXXX", 0, props, "x"));
        assert_int_equal(resp->code, RMQ_ERR_NO_PERMISSION);
        assert_string_equal(resp->remark, "Sending message to "
                                          "topic[SCHEDULE_TOPIC_XXXX] is "
                                          "forbidden.");
        rmq__cmd_destroy(resp);
        /* A queue the reply topic does not have. */
        resp = mtc_call(fx->rsp, fx->b0, reply_req(true, RT, 5, props, "x"));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_true(!strncmp(resp->remark,
                             "request queueId[5] is illegal, TopicConfig "
                             "[topicName=" RT ", readQueueNums=1, "
                             "writeQueueNums=1, perm=RW-, "
                             "topicFilterType=SINGLE_TAG, topicSysFlag=0, "
                             "order=false] Producer: 127.0.0.1:",
                             strlen("request queueId[5] is illegal, "
                                    "TopicConfig [topicName=" RT
                                    ", readQueueNums=1, writeQueueNums=1, "
                                    "perm=RW-, topicFilterType=SINGLE_TAG, "
                                    "topicSysFlag=0, order=false] Producer: "
                                    "127.0.0.1:")));
        rmq__cmd_destroy(resp);
        /* SendMessageRequestHeader's reflective decoder reports the
         * first missing field in its HashSet<Field> order: with only
         * producerGroup, bornTimestamp (before topic). */
        req          = reply_req(false, RT, 0, props, "x");
        req->ext_cnt = 1; /* only producerGroup left */
        resp         = mtc_call(fx->rsp, fx->b0, req);
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark,
                            "org.apache.rocketmq.remoting.exception."
                            "RemotingCommandException: the custom field "
                            "<bornTimestamp> is null");
        assert_int_equal(resp->ext_cnt, 0);
        rmq__cmd_destroy(resp);
        /* A DELAY that is not a number fails in the store. */
        {
                char p2[600];
                snprintf(p2, sizeof(p2), "%s\002DELAY\001abc", props);
                resp = mtc_call(fx->rsp, fx->b0,
                                reply_req(true, RT, 0, p2, "x"));
                assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
                assert_string_equal(resp->remark,
                                    "java.lang.NumberFormatException: For "
                                    "input string: \"abc\"");
                rmq__cmd_destroy(resp);
        }
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, RT), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_reply_v2_pushed_and_stored,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_reply_injected_flush_timeout,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_reply_v1_rocketmq_serialize,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_reply_without_requester, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_reply_requester_refuses, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_reply_not_stored, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_reply_requester_gone, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_reply_client_table, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_reply_bad_inputs, setup,
                                            teardown),
        };
        return cmocka_run_group_tests_name("mock_reply", tests, NULL, NULL);
}
