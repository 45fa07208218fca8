/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UPDATE_AND_CREATE_TOPIC (AdminBrokerProcessor#updateAndCreateTopic,
 * 4.9.8) as DefaultMQProducer#createTopic sends it to every master: the
 * topic is created or replaced and in the next route; bad names, system
 * topics and bad header fields get the broker's answers.
 */
#include "mock_client.h"
#include "protocol/rmq_route.h"

typedef mtc_fx_t fx_t;

static int setup(void **state) {
        fx_t *fx = mtc_fx_new(2);
        if (!fx)
                return -1;
        *state = fx;
        return 0;
}

/* CreateTopicRequestHeader as MQClientAPIImpl#createTopic fills it. */
static rmq_cmd_t *create_req(const char *topic, const char *read_queues,
                             const char *write_queues, const char *perm,
                             const char *filter, const char *sys_flag) {
        return mtc_req(RMQ_REQ_UPDATE_AND_CREATE_TOPIC, "topic", topic,
                       "defaultTopic", "TBW102", "readQueueNums", read_queues,
                       "writeQueueNums", write_queues, "perm", perm,
                       "topicFilterType", filter, "topicSysFlag", sys_flag,
                       "order", "false", NULL);
}

/* Sends \p req to \p addr; returns the response code, checks the remark. */
static int create(fx_t *fx, const char *addr, rmq_cmd_t *req,
                  const char *remark) {
        rmq_cmd_t *resp = mtc_call(fx->c, addr, req);
        int code        = resp->code;
        if (remark)
                assert_string_equal(resp->remark ? resp->remark : "(null)",
                                    remark);
        rmq__cmd_destroy(resp);
        return code;
}

static rmq_topic_route_data_t *route_of(fx_t *fx, const char *topic,
                                        int *codep) {
        rmq_cmd_t *resp = mtc_call(fx->c, fx->ns,
                                   mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC,
                                           "topic", topic, NULL));
        rmq_topic_route_data_t *route = NULL;
        char err[128];
        *codep = resp->code;
        if (resp->code == 0)
                assert_int_equal(rmq__topic_route_decode(resp->body,
                                                         resp->body_len,
                                                         &route, err,
                                                         sizeof(err)),
                                 RMQ_OK);
        rmq__cmd_destroy(resp);
        return route;
}

static const rmq_queue_data_t *qd_of(const rmq_topic_route_data_t *r,
                                     const char *broker) {
        size_t i;
        for (i = 0; i < r->queueDatas_cnt; i++)
                if (!strcmp(r->queueDatas[i].brokerName, broker))
                        return &r->queueDatas[i];
        return NULL;
}

/* The route of \p topic has \p broker with these values. */
static void assert_queue_data(fx_t *fx, const char *topic, const char *broker,
                              int read_queues, int write_queues, int perm,
                              int sys_flag) {
        int code;
        rmq_topic_route_data_t *r = route_of(fx, topic, &code);
        const rmq_queue_data_t *qd;
        assert_int_equal(code, RMQ_OK);
        qd = qd_of(r, broker);
        assert_non_null(qd);
        assert_int_equal(qd->readQueueNums, read_queues);
        assert_int_equal(qd->writeQueueNums, write_queues);
        assert_int_equal(qd->perm, perm);
        assert_int_equal(qd->topicSysFlag, sys_flag);
        rmq__topic_route_destroy(r);
}

/* Created on each master as MQAdminImpl#createTopic does: SUCCESS (with
 * the remark createResponseCommand(null) leaves, and no ext fields); the
 * name server has it at once; sends reach every queue. */
static void test_create_topic(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        int code;
        rmq_topic_route_data_t *r = route_of(fx, "TopicC", &code);
        assert_null(r);
        assert_int_equal(code, RMQ_ERR_TOPIC_NOT_EXIST);
        resp = mtc_call(fx->c, fx->b0,
                        create_req("TopicC", "6", "6", "6", "SINGLE_TAG",
                                   "0"));
        assert_int_equal(resp->code, RMQ_OK);
        assert_string_equal(resp->remark, "not set any response code");
        assert_int_equal(resp->ext_cnt, 0);
        assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_JSON);
        rmq__cmd_destroy(resp);
        assert_int_equal(create(fx, fx->b1,
                                create_req("TopicC", "6", "6", "6",
                                           "SINGLE_TAG", "0"),
                                NULL),
                         RMQ_OK);
        r = route_of(fx, "TopicC", &code);
        assert_non_null(r);
        assert_int_equal(r->queueDatas_cnt, 2);
        rmq__topic_route_destroy(r);
        assert_queue_data(fx, "TopicC", "broker-a", 6, 6, 6, 0);
        assert_queue_data(fx, "TopicC", "broker-b", 6, 6, 6, 0);
        assert_int_equal(mtc_send(fx->c, fx->b0, "TopicC", 5, NULL, "x"), 0);
        assert_int_equal(mtc_send(fx->c, fx->b1, "TopicC", 5, NULL, "x"), 0);
}

/* The config is replaced: queue counts up and down (the data stays),
 * perm, topicSysFlag and topicFilterType follow the request. */
static void test_update_topic(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        assert_int_equal(create(fx, fx->b0,
                                create_req("TopicU", "6", "6", "6",
                                           "SINGLE_TAG", "0"),
                                "not set any response code"),
                         RMQ_OK);
        assert_int_equal(mtc_send(fx->c, fx->b0, "TopicU", 5, NULL, "x"), 0);
        assert_int_equal(create(fx, fx->b0,
                                create_req("TopicU", "8", "8", "6",
                                           "SINGLE_TAG", "0"),
                                NULL),
                         RMQ_OK);
        assert_queue_data(fx, "TopicU", "broker-a", 8, 8, 6, 0);
        assert_int_equal(mtc_send(fx->c, fx->b0, "TopicU", 7, NULL, "x"), 0);
        assert_int_equal(create(fx, fx->b0,
                                create_req("TopicU", "2", "3", "4",
                                           "MULTI_TAG", "1"),
                                NULL),
                         RMQ_OK);
        assert_queue_data(fx, "TopicU", "broker-a", 2, 3, 4, 1);
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, "TopicU", 0, 5),
                         1);
        resp = mtc_call(fx->c, fx->b0, mtc_send_req("TopicU", 3, NULL, "x"));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_true(!strncmp(resp->remark,
                             "request queueId[3] is illegal, TopicConfig "
                             "[topicName=TopicU, readQueueNums=2, "
                             "writeQueueNums=3, perm=R--, "
                             "topicFilterType=MULTI_TAG, topicSysFlag=1, "
                             "order=false] Producer: ",
                             strlen("request queueId[3] is illegal, "
                                    "TopicConfig [topicName=TopicU, "
                                    "readQueueNums=2, writeQueueNums=3, "
                                    "perm=R--, topicFilterType=MULTI_TAG, "
                                    "topicSysFlag=1, order=false] "
                                    "Producer: ")));
        rmq__cmd_destroy(resp);
        /* Without topicSysFlag (nullable): 0. */
        {
                rmq_cmd_t *req = mtc_req(RMQ_REQ_UPDATE_AND_CREATE_TOPIC,
                                         "topic", "TopicU", "defaultTopic",
                                         "TBW102", "readQueueNums", "4",
                                         "writeQueueNums", "4", "perm", "6",
                                         "topicFilterType", "SINGLE_TAG",
                                         "order", "true", NULL);
                assert_int_equal(create(fx, fx->b0, req, NULL), RMQ_OK);
        }
        assert_queue_data(fx, "TopicU", "broker-a", 4, 4, 6, 0);
}

/* The stored sysFlag of the message at \p off of queue 0. */
static int32_t stored_sys_flag(fx_t *fx, const char *topic, int64_t off) {
        rmq_mock_msg_t *m;
        int32_t f;
        assert_int_equal(rmq_mock_message_get(fx->mc, topic, 0, 0, off, &m),
                         RMQ_OK);
        f = rmq_mock_msg_sys_flag(m);
        rmq_mock_msg_destroy(m);
        return f;
}

/* A MULTI_TAG topic's messages are stored with MULTI_TAGS_FLAG (2), as
 * SendMessageProcessor ORs it in for single and batch sends; a topic
 * auto-created from a MULTI_TAG default topic is MULTI_TAG too
 * (createTopicInSendMessageMethod copies topicFilterType). */
static void test_multi_tag_sys_flag(void **state) {
        fx_t *fx    = *state;
        rmq_buf_t b = RMQ_BUF_INIT;
        rmq_cmd_t *req, *resp;
        assert_int_equal(
            create(fx, fx->b0,
                   create_req("TopicM", "4", "4", "6", "MULTI_TAG", "0"), NULL),
            RMQ_OK);
        assert_int_equal(mtc_send(fx->c, fx->b0, "TopicM", 0, "TagA", "x"), 0);
        assert_int_equal(stored_sys_flag(fx, "TopicM", 0), 2);
        assert_int_equal(rmq__batch_encode_one(&b, 0, "b", 1, "TAGS\001T", 6),
                         RMQ_OK);
        req = mtc_req(RMQ_REQ_SEND_BATCH_MESSAGE, "a", "PG", "b", "TopicM", "c",
                      "TBW102", "d", "4", "e", "0", "f", "0", "g", "5", "h",
                      "0", "m", "true", NULL);
        rmq__cmd_set_body_copy(req, b.data, b.len);
        rmq__buf_free(&b);
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        assert_int_equal(stored_sys_flag(fx, "TopicM", 1), 2);
        /* Auto-created from a MULTI_TAG default topic. */
        assert_int_equal(
            create(fx, fx->b0,
                   create_req("DefM", "8", "8", "7", "MULTI_TAG", "0"), NULL),
            RMQ_OK);
        req = mtc_send_req("AutoM", 0, NULL, "x");
        rmq__cmd_ext_add(req, "c", "DefM");
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        assert_int_equal(stored_sys_flag(fx, "AutoM", 0), 2);
        assert_queue_data(fx, "AutoM", "broker-a", 4, 4, 6, 0);
        /* SINGLE_TAG: nothing added. */
        assert_int_equal(mtc_send(fx->c, fx->b0, "AutoS", 0, NULL, "x"), 0);
        assert_int_equal(stored_sys_flag(fx, "AutoS", 0), 0);
}

/* Names the broker refuses, and header fields it cannot decode. */
static void test_create_topic_refused(void **state) {
        fx_t *fx = *state;
        static const char *const system_topics[] = {
            "TBW102",          "SCHEDULE_TOPIC_XXXX",
            "BenchmarkTest",   "RMQ_SYS_TRANS_HALF_TOPIC",
            "RMQ_SYS_TRACE_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC",
            "TRANS_CHECK_MAX_TIME_TOPIC", "SELF_TEST_TOPIC",
            "OFFSET_MOVED_EVENT", "rmq_sys_mine"};
        char remark[200], longname[140];
        rmq_cmd_t *req;
        size_t i;
        int code;
        assert_int_equal(create(fx, fx->b0,
                                create_req("bad topic", "4", "4", "6",
                                           "SINGLE_TAG", "0"),
                                "The specified topic contains illegal "
                                "characters, allowing only "
                                "^[%|a-zA-Z0-9_-]+$"),
                         RMQ_ERR_SYSTEM_ERROR);
        assert_int_equal(create(fx, fx->b0,
                                create_req(" ", "4", "4", "6", "SINGLE_TAG",
                                           "0"),
                                "The specified topic is blank."),
                         RMQ_ERR_SYSTEM_ERROR);
        memset(longname, 'T', 128);
        longname[128] = '\0';
        assert_int_equal(create(fx, fx->b0,
                                create_req(longname, "4", "4", "6",
                                           "SINGLE_TAG", "0"),
                                "The specified topic is longer than topic "
                                "max length."),
                         RMQ_ERR_SYSTEM_ERROR);
        for (i = 0; i < RMQ_ARRAY_SIZE(system_topics); i++) {
                snprintf(remark, sizeof(remark),
                         "The topic[%s] is conflict with system topic.",
                         system_topics[i]);
                assert_int_equal(create(fx, fx->b0,
                                        create_req(system_topics[i], "4", "4",
                                                   "6", "SINGLE_TAG", "0"),
                                        remark),
                                 RMQ_ERR_SYSTEM_ERROR);
        }
        assert_null(route_of(fx, "rmq_sys_mine", &code));
        assert_int_equal(code, RMQ_ERR_TOPIC_NOT_EXIST);
        /* 4.9.8 does not refuse the cluster's name. */
        assert_int_equal(create(fx, fx->b0,
                                create_req("DefaultCluster", "8", "8", "7",
                                           "SINGLE_TAG", "0"),
                                NULL),
                         RMQ_OK);
        assert_queue_data(fx, "DefaultCluster", "broker-a", 8, 8, 7, 0);
        /* checkFields: TopicFilterType.valueOf */
        assert_int_equal(create(fx, fx->b0,
                                create_req("TopicR", "4", "4", "6", "BOGUS",
                                           "0"),
                                "org.apache.rocketmq.remoting.exception."
                                "RemotingCommandException: topicFilterType = "
                                "[BOGUS] value invalid"),
                         RMQ_ERR_SYSTEM_ERROR);
        /* One bad or missing field. */
        req = create_req("TopicR", "4", "x", "6", "SINGLE_TAG", "0");
        assert_int_equal(create(fx, fx->b0, req,
                                "java.lang.NumberFormatException: For input "
                                "string: \"x\""),
                         RMQ_ERR_SYSTEM_ERROR);
        req          = create_req("TopicR", "4", "4", "6", "SINGLE_TAG", "0");
        req->ext_cnt = 7; /* no "order" */
        assert_int_equal(create(fx, fx->b0, req,
                                "org.apache.rocketmq.remoting.exception."
                                "RemotingCommandException: the custom field "
                                "<order> is null"),
                         RMQ_ERR_SYSTEM_ERROR);
        /* The reflective decoder's order is its HashSet<Field>'s:
         * readQueueNums, perm, writeQueueNums, topicFilterType, topic,
         * defaultTopic, topicSysFlag, order. */
        req = mtc_req(RMQ_REQ_UPDATE_AND_CREATE_TOPIC, "topic", "TopicR",
                      NULL);
        assert_int_equal(create(fx, fx->b0, req,
                                "org.apache.rocketmq.remoting.exception."
                                "RemotingCommandException: the custom field "
                                "<readQueueNums> is null"),
                         RMQ_ERR_SYSTEM_ERROR);
        req = mtc_req(RMQ_REQ_UPDATE_AND_CREATE_TOPIC, "readQueueNums", "4",
                      "perm", "y", NULL);
        assert_int_equal(create(fx, fx->b0, req,
                                "java.lang.NumberFormatException: For input "
                                "string: \"y\""),
                         RMQ_ERR_SYSTEM_ERROR);
        /* The mock's own bound. */
        assert_int_equal(create(fx, fx->b0,
                                create_req("TopicR", "65537", "4", "6",
                                           "SINGLE_TAG", "0"),
                                "[mock] queue numbers above 65536 are not "
                                "supported"),
                         RMQ_ERR_SYSTEM_ERROR);
        assert_null(route_of(fx, "TopicR", &code));
        assert_int_equal(code, RMQ_ERR_TOPIC_NOT_EXIST);
}

/* ROCKETMQ-serialized requests are answered in that type. */
static void test_create_topic_rocketmq_serialize(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *req = create_req("TopicS", "6", "6", "6", "SINGLE_TAG", "0");
        rmq_cmd_t *resp;
        req->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
        resp                = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, RMQ_OK);
        assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
        assert_string_equal(resp->remark, "not set any response code");
        rmq__cmd_destroy(resp);
        assert_queue_data(fx, "TopicS", "broker-a", 6, 6, 6, 0);
        req = create_req("SCHEDULE_TOPIC_XXXX", "6", "6", "6", "SINGLE_TAG",
                         "0");
        req->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
        resp                = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
        assert_string_equal(resp->remark, "The topic[SCHEDULE_TOPIC_XXXX] is "
                                          "conflict with system topic.");
        rmq__cmd_destroy(resp);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_create_topic, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_update_topic, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_multi_tag_sys_flag, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_create_topic_refused, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(
                test_create_topic_rocketmq_serialize, setup, mtc_fx_teardown),
        };
        return cmocka_run_group_tests_name("mock_create_topic", tests, NULL,
                                           NULL);
}
