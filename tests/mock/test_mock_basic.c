/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mock cluster, stage 1: lifecycle and options, the name server's routes,
 * sends (V1, V2, batch, compressed, retry/DLQ), heartbeats, unregistration,
 * serialize types and unknown codes, driven with raw remoting calls.
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

static void test_lifecycle_and_options(void **state) {
        fx_t *fx = *state;
        rmq_mock_cluster_t *mc;
        char err[256];
        assert_int_equal(rmq_mock_cluster_new(&mc, 0, err, sizeof(err)),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_mock_cluster_new(&mc, 27, err, sizeof(err)),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_mock_cluster_broker_cnt(fx->mc), 2);
        assert_string_equal(rmq_mock_broker_name(fx->mc, 0), "broker-a");
        assert_string_equal(rmq_mock_broker_name(fx->mc, 1), "broker-b");
        assert_null(rmq_mock_broker_name(fx->mc, 2));
        assert_null(rmq_mock_broker_addr(fx->mc, -1));
        assert_true(!strncmp(fx->ns, "127.0.0.1:", 10));
        assert_int_equal(rmq_mock_cluster_set(fx->mc, "nope", "1", err,
                                              sizeof(err)),
                         RMQ_ERR__CONF_UNKNOWN);
        assert_int_equal(rmq_mock_cluster_set(fx->mc, "maxMessageSize", "x",
                                              err, sizeof(err)),
                         RMQ_ERR__CONF_INVALID);
        assert_int_equal(rmq_mock_cluster_set(fx->mc, "longPollingEnable",
                                              "maybe", err, sizeof(err)),
                         RMQ_ERR__CONF_INVALID);
        assert_int_equal(rmq_mock_cluster_set(fx->mc, "delayTimeScale",
                                              "0.001", err, sizeof(err)),
                         RMQ_OK);
        /* A second cluster on chosen ports, then released. */
        assert_int_equal(rmq_mock_cluster_new_ports(&mc, 1, 0, 0, err,
                                                    sizeof(err)),
                         RMQ_OK);
        rmq_mock_cluster_destroy(mc);
        rmq_mock_cluster_destroy(NULL);
}

static void test_route_tbw102_and_unknown(void **state) {
        fx_t *fx = *state;
        rmq_topic_route_data_t *r;
        rmq_cmd_t *resp;
        int code;
        r = route_of(fx, "TBW102", &code);
        assert_int_equal(code, 0);
        assert_int_equal(r->brokerDatas_cnt, 2);
        assert_int_equal(r->queueDatas_cnt, 2);
        assert_int_equal(qd_of(r, "broker-a")->perm, 7);
        /* BrokerConfig.defaultTopicQueueNums: 8. */
        assert_int_equal(qd_of(r, "broker-a")->writeQueueNums, 8);
        assert_int_equal(qd_of(r, "broker-a")->readQueueNums, 8);
        assert_string_equal(rmq__broker_data_master_addr(
                                rmq__topic_route_broker(r, "broker-b")),
                            rmq_mock_broker_addr(fx->mc, 1));
        assert_string_equal(r->brokerDatas[0].cluster, "DefaultCluster");
        rmq__topic_route_destroy(r);

        resp = mtc_call(fx->c, fx->ns,
                        mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                "NoSuchTopic", NULL));
        assert_int_equal(resp->code, RMQ_ERR_TOPIC_NOT_EXIST);
        assert_string_equal(resp->remark,
                            "No topic route info in name server for the "
                            "topic: NoSuchTopic\nSee "
                            "http://rocketmq.apache.org/docs/faq/ for "
                            "further details.");
        assert_int_equal(resp->language, RMQ_LANG_JAVA);
        assert_int_equal(resp->version, 409);
        rmq__cmd_destroy(resp);

        /* Missing header field: the Java decode error. */
        resp = mtc_call(fx->c, fx->ns,
                        mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, NULL));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_non_null(strstr(resp->remark, "the custom field <topic> is null"));
        rmq__cmd_destroy(resp);
}

static void test_topic_create_and_perm(void **state) {
        fx_t *fx = *state;
        rmq_topic_route_data_t *r;
        int code;
        assert_int_equal(rmq_mock_topic_create(fx->mc, "T1", 1, 3, 2), RMQ_OK);
        assert_int_equal(rmq_mock_topic_create(fx->mc, "bad topic", -1, 1, 1),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_mock_topic_create(fx->mc, "T1", 5, 1, 1),
                         RMQ_ERR__INVALID_ARG);
        r = route_of(fx, "T1", &code);
        assert_int_equal(code, 0);
        assert_int_equal(r->queueDatas_cnt, 1);
        assert_string_equal(r->queueDatas[0].brokerName, "broker-b");
        assert_int_equal(r->queueDatas[0].readQueueNums, 3);
        assert_int_equal(r->queueDatas[0].writeQueueNums, 2);
        assert_int_equal(r->queueDatas[0].perm, 6);
        rmq__topic_route_destroy(r);
        assert_int_equal(rmq_mock_topic_set_perm(fx->mc, "T1", -1, 4), RMQ_OK);
        assert_int_equal(rmq_mock_topic_set_perm(fx->mc, "nope", -1, 4),
                         RMQ_ERR__NOT_FOUND);
        r = route_of(fx, "T1", &code);
        assert_int_equal(r->queueDatas[0].perm, 4);
        rmq__topic_route_destroy(r);
        /* Queue count change, visible in routes. */
        assert_int_equal(rmq_mock_topic_create(fx->mc, "T1", -1, 8, 8), RMQ_OK);
        r = route_of(fx, "T1", &code);
        assert_int_equal(r->queueDatas_cnt, 2);
        assert_int_equal(qd_of(r, "broker-b")->readQueueNums, 8);
        assert_int_equal(qd_of(r, "broker-b")->perm, 4); /* kept */
        assert_int_equal(qd_of(r, "broker-a")->perm, 6);
        rmq__topic_route_destroy(r);
}

static void test_send_v2_stored_format(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *req, *resp;
        rmq_mock_msg_t *m;
        rmq_topic_route_data_t *r;
        char id[64];
        const void *body;
        size_t len;
        int code;
        int64_t off;
        /* Unknown topic: auto-created from TBW102 (min(d=4, 8) queues). */
        req = mtc_send_req("AutoTopic", 1, "TagA", "hello");
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        assert_null(resp->remark);
        mtc_assert_ext(resp, "queueId", "1");
        mtc_assert_ext(resp, "queueOffset", "0");
        mtc_assert_ext(resp, "MSG_REGION", "DefaultRegion");
        mtc_assert_ext(resp, "TRACE_ON", "true");
        /* Java HashMap order of the ext fields (fixture 007). */
        assert_string_equal(resp->ext[0].key, "queueId");
        assert_string_equal(resp->ext[1].key, "TRACE_ON");
        assert_string_equal(resp->ext[4].key, "queueOffset");
        snprintf(id, sizeof(id), "%s", rmq__cmd_ext(resp, "msgId"));
        assert_int_equal(strlen(id), 32);
        rmq__cmd_destroy(resp);
        off = mtc_send(fx->c, fx->b0, "AutoTopic", 1, "TagA", "hello 2");
        assert_int_equal(off, 1);

        r = route_of(fx, "AutoTopic", &code);
        assert_int_equal(code, 0);
        assert_int_equal(r->queueDatas_cnt, 1);
        assert_int_equal(r->queueDatas[0].readQueueNums, 4);
        assert_int_equal(r->queueDatas[0].perm, 6);
        rmq__topic_route_destroy(r);

        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, "AutoTopic", 0, 1),
                         2);
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, "AutoTopic", 0, 9),
                         -1);
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, "AutoTopic", 1, 1),
                         -1);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, "AutoTopic"), 2);
        assert_int_equal(rmq_mock_message_get(fx->mc, "AutoTopic", 0, 1, 0,
                                              &m),
                         RMQ_OK);
        assert_string_equal(rmq_mock_msg_topic(m), "AutoTopic");
        body = rmq_mock_msg_body(m, &len);
        assert_int_equal(len, 5);
        assert_memory_equal(body, "hello", 5);
        assert_string_equal(rmq_mock_msg_property(m, "TAGS"), "TagA");
        assert_string_equal(rmq_mock_msg_property(m, "CLUSTER"),
                            "DefaultCluster");
        assert_null(rmq_mock_msg_property(m, "WAIT")); /* not stored */
        assert_string_equal(rmq_mock_msg_offset_msg_id(m), id);
        assert_int_equal(rmq_mock_msg_queue_id(m), 1);
        assert_int_equal(rmq_mock_msg_queue_offset(m), 0);
        assert_int_equal(rmq_mock_msg_born_timestamp(m), 1700000000000LL);
        assert_true(rmq_mock_msg_store_timestamp(m) > 1700000000000LL);
        assert_int_equal(rmq_mock_msg_flag(m), 0);
        assert_int_equal(rmq_mock_msg_sys_flag(m), 0);
        assert_int_equal(rmq_mock_msg_reconsume_times(m), 0);
        rmq_mock_msg_destroy(m);
        assert_int_equal(rmq_mock_message_get(fx->mc, "AutoTopic", 0, 1, 7,
                                              &m),
                         RMQ_ERR__NOT_FOUND);
        assert_null(m);
        rmq_mock_msg_destroy(NULL);
}

/* The queues of a topic auto-created by a send whose header asks for
 * \p d queues. */
static int auto_created_queues(fx_t *fx, const char *topic, const char *d) {
        rmq_topic_route_data_t *r;
        rmq_cmd_t *req = mtc_send_req(topic, 0, NULL, "x"), *resp;
        int code, n;
        rmq__cmd_ext_add(req, "d", d);
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        r = route_of(fx, topic, &code);
        assert_int_equal(code, 0);
        assert_int_equal(r->queueDatas[0].readQueueNums,
                         r->queueDatas[0].writeQueueNums);
        n = r->queueDatas[0].writeQueueNums;
        rmq__topic_route_destroy(r);
        return n;
}

/* TopicConfigManager#createTopicInSendMessageMethod: min(the request's
 * defaultTopicQueueNums, TBW102's write queues); the cluster option
 * defaultTopicQueueNums sizes TBW102 (BrokerConfig). */
static void test_auto_create_queue_nums(void **state) {
        fx_t *fx = *state;
        char err[128];
        assert_int_equal(auto_created_queues(fx, "Auto6", "6"), 6);
        assert_int_equal(auto_created_queues(fx, "Auto12", "12"), 8);
        assert_int_equal(rmq_mock_cluster_set(fx->mc, "defaultTopicQueueNums",
                                              "3", err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(auto_created_queues(fx, "Auto4", "4"), 3);
        /* Topics that exist keep their queues. */
        assert_int_equal(auto_created_queues(fx, "Auto6", "6"), 6);
}

static void test_send_v1_and_compressed(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *req, *resp;
        rmq_mock_msg_t *m;
        uint8_t big[6000];
        rmq_buf_t z = RMQ_BUF_INIT;
        rmq_deflater_t *dfl = rmq__deflater_new(5);
        const void *body;
        size_t len, i;
        /* SEND_MESSAGE with long header names. */
        req = mtc_req(RMQ_REQ_SEND_MESSAGE, "producerGroup", "PG", "topic",
                      "V1Topic", "defaultTopic", "TBW102",
                      "defaultTopicQueueNums", "4", "queueId", "0", "sysFlag",
                      "0", "bornTimestamp", "1", "flag", "7", "properties",
                      "KEYS\001k1 k2\002TAGS\001x", NULL);
        rmq__cmd_set_body_copy(req, "v1", 2);
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_message_get(fx->mc, "V1Topic", 0, 0, 0, &m),
                         RMQ_OK);
        assert_int_equal(rmq_mock_msg_flag(m), 7);
        assert_string_equal(rmq_mock_msg_property(m, "KEYS"), "k1 k2");
        rmq_mock_msg_destroy(m);

        /* A compressed body (sysFlag 769) is stored as sent. */
        for (i = 0; i < sizeof(big); i++)
                big[i] = (uint8_t)('a' + i % 7);
        assert_int_equal(rmq__deflater_compress(dfl, big, sizeof(big), &z),
                         RMQ_OK);
        rmq__deflater_destroy(dfl);
        req = mtc_send_req("V1Topic", 0, "Big", "");
        rmq__cmd_ext_add(req, "f", "769");
        rmq__cmd_set_body_copy(req, z.data, z.len);
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_message_get(fx->mc, "V1Topic", 0, 0, 1, &m),
                         RMQ_OK);
        assert_int_equal(rmq_mock_msg_sys_flag(m), 769);
        body = rmq_mock_msg_body(m, &len);
        assert_int_equal(len, sizeof(big));
        assert_memory_equal(body, big, sizeof(big));
        rmq_mock_msg_destroy(m);
        rmq__buf_free(&z);
}

/* A SEND_BATCH_MESSAGE of \p topic queue \p qid with batch properties
 * \p props (NULL: none) and the first \p len bytes of \p body. */
static rmq_cmd_t *batch_req(const char *topic, const char *qid,
                            const char *props, const rmq_buf_t *body,
                            size_t len) {
        rmq_cmd_t *req = mtc_req(RMQ_REQ_SEND_BATCH_MESSAGE, "a", "PG", "b",
                                 topic, "c", "TBW102", "d", "4", "e", qid, "f",
                                 "0", "g", "5", "h", "0", "m", "true", NULL);
        if (props)
                rmq__cmd_ext_add(req, "i", props);
        rmq__cmd_set_body_copy(req, body->data, len);
        return req;
}

static void test_send_batch(void **state) {
        fx_t *fx = *state;
        rmq_buf_t b = RMQ_BUF_INIT;
        rmq_cmd_t *req, *resp;
        rmq_mock_msg_t *m;
        const char *ids;
        int i;
        for (i = 0; i < 3; i++) {
                char props[64], body[16];
                snprintf(props, sizeof(props),
                         "KEYS\001batch-%d\002WAIT\001true\002TAGS\001TagB", i);
                snprintf(body, sizeof(body), "batch %d", i);
                assert_int_equal(rmq__batch_encode_one(&b, 0, body,
                                                       strlen(body), props,
                                                       strlen(props)),
                                 RMQ_OK);
        }
        req  = batch_req("BatchTopic", "2", "WAIT\001true", &b, b.len);
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        mtc_assert_ext(resp, "queueId", "2");
        mtc_assert_ext(resp, "queueOffset", "0");
        ids = rmq__cmd_ext(resp, "msgId");
        assert_int_equal(strlen(ids), 32 * 3 + 2);
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, "BatchTopic", 0, 2),
                         3);
        assert_int_equal(rmq_mock_message_get(fx->mc, "BatchTopic", 0, 2, 1,
                                              &m),
                         RMQ_OK);
        assert_string_equal(rmq_mock_msg_property(m, "KEYS"), "batch-1");
        assert_string_equal(rmq_mock_msg_property(m, "CLUSTER"),
                            "DefaultCluster");
        rmq_mock_msg_destroy(m);

        /* A truncated batch body: SYSTEM_ERROR, nothing stored. */
        resp = mtc_call(fx->c, fx->b0,
                        batch_req("BatchTopic", "2", NULL, &b, b.len - 3));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, "BatchTopic", 0, 2),
                         3);
        /* A batch with a delay level is illegal. */
        resp = mtc_call(fx->c, fx->b0,
                        batch_req("BatchTopic", "2", "DELAY\0012", &b, b.len));
        assert_int_equal(resp->code, RMQ_ERR_MESSAGE_ILLEGAL);
        rmq__cmd_destroy(resp);
        rmq__buf_free(&b);
}

static void test_send_checks(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *req, *resp;
        char *big;
        char err[128];
        /* Illegal characters. */
        resp = mtc_call(fx->c, fx->b0, mtc_send_req("a b", 0, NULL, "x"));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark,
                            "The specified topic contains illegal "
                            "characters, allowing only ^[%|a-zA-Z0-9_-]+$");
        mtc_assert_ext(resp, "MSG_REGION", "DefaultRegion");
        rmq__cmd_destroy(resp);
        /* Not allowed. */
        resp = mtc_call(fx->c, fx->b0,
                        mtc_send_req("SCHEDULE_TOPIC_XXXX", 0, NULL, "x"));
        assert_int_equal(resp->code, RMQ_ERR_NO_PERMISSION);
        assert_string_equal(resp->remark, "Sending message to "
                                          "topic[SCHEDULE_TOPIC_XXXX] is "
                                          "forbidden.");
        rmq__cmd_destroy(resp);
        /* Queue id beyond the topic's queues. */
        assert_int_equal(rmq_mock_topic_create(fx->mc, "Q2", 0, 2, 2), RMQ_OK);
        resp = mtc_call(fx->c, fx->b0, mtc_send_req("Q2", 2, NULL, "x"));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_true(!strncmp(resp->remark,
                             "request queueId[2] is illegal, TopicConfig "
                             "[topicName=Q2, readQueueNums=2, "
                             "writeQueueNums=2, perm=RW-",
                             90));
        rmq__cmd_destroy(resp);
        /* Missing required field. */
        req = mtc_send_req("Q2", 0, NULL, "x");
        req->ext_cnt = 1; /* only "a" left */
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark,
                            "org.apache.rocketmq.remoting.exception."
                            "RemotingCommandException: the custom field <b> "
                            "is null");
        rmq__cmd_destroy(resp);
        /* Too large a body. */
        assert_int_equal(rmq_mock_cluster_set(fx->mc, "maxMessageSize", "100",
                                              err, sizeof(err)),
                         RMQ_OK);
        big = calloc(1, 200);
        memset(big, 'x', 150);
        resp = mtc_call(fx->c, fx->b0, mtc_send_req("Q2", 0, NULL, big));
        free(big);
        assert_int_equal(resp->code, RMQ_ERR_MESSAGE_ILLEGAL);
        assert_string_equal(resp->remark,
                            "the message is illegal, maybe msg body or "
                            "properties length not matched. msg body length "
                            "limit 100B, msg properties length limit 32KB.");
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, "Q2", 0, 0), 0);
        /* Auto-creation off: TBW102 is gone and unknown topics fail. */
        assert_int_equal(rmq_mock_cluster_set(fx->mc, "autoCreateTopicEnable",
                                              "false", err, sizeof(err)),
                         RMQ_OK);
        resp = mtc_call(fx->c, fx->b0, mtc_send_req("NewOne", 0, NULL, "x"));
        assert_int_equal(resp->code, RMQ_ERR_TOPIC_NOT_EXIST);
        assert_true(!strncmp(resp->remark,
                             "topic[NewOne] not exist, apply first please!",
                             44));
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->ns,
                        mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                "TBW102", NULL));
        assert_int_equal(resp->code, RMQ_ERR_TOPIC_NOT_EXIST);
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_cluster_set(fx->mc, "autoCreateTopicEnable",
                                              "true", err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(mtc_send(fx->c, fx->b0, "NewOne", 0, NULL, "x"), 0);
}

/* Exceptions thrown out of the send processor are answered with a new
 * SYSTEM_ERROR response (NettyRemotingAbstract#processRequestCommand):
 * no MSG_REGION or TRACE_ON, unlike the processor's own answers. */
static void test_send_exceptions(void **state) {
        fx_t *fx    = *state;
        rmq_buf_t b = RMQ_BUF_INIT;
        rmq_cmd_t *req, *resp;
        /* writeQueueNums 0 and a random queue: / by zero. */
        assert_int_equal(rmq_mock_topic_create(fx->mc, "NoWrite", 0, 2, 0),
                         RMQ_OK);
        resp = mtc_call(fx->c, fx->b0, mtc_send_req("NoWrite", -1, NULL, "x"));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark,
                            "java.lang.ArithmeticException: / by zero");
        assert_int_equal(resp->ext_cnt, 0);
        rmq__cmd_destroy(resp);
        /* DELAY not a number. */
        req = mtc_send_req("ExTopic", 0, NULL, "x");
        rmq__cmd_ext_add(req, "i", "DELAY\001abc");
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark, "java.lang.NumberFormatException: "
                                          "For input string: \"abc\"");
        assert_int_equal(resp->ext_cnt, 0);
        rmq__cmd_destroy(resp);
        /* A truncated batch, and a batch with a bad DELAY. */
        assert_int_equal(rmq__batch_encode_one(&b, 0, "b", 1, "K\001v", 3),
                         RMQ_OK);
        resp = mtc_call(fx->c, fx->b0,
                        batch_req("ExTopic", "0", NULL, &b, b.len - 2));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark, "java.nio.BufferUnderflowException");
        assert_int_equal(resp->ext_cnt, 0);
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        batch_req("ExTopic", "0", "DELAY\001x", &b, b.len));
        rmq__buf_free(&b);
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_int_equal(resp->ext_cnt, 0);
        rmq__cmd_destroy(resp);
        /* The processor's own refusals keep them. */
        resp = mtc_call(fx->c, fx->b0, mtc_send_req("a b", 0, NULL, "x"));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        mtc_assert_ext(resp, "MSG_REGION", "DefaultRegion");
        mtc_assert_ext(resp, "TRACE_ON", "true");
        rmq__cmd_destroy(resp);
}

/* Topic names over 127 characters are refused by msgCheck
 * (TopicValidator#validateTopic); properties over 32767 are refused by
 * the store (DefaultMessageStore#checkMessage: MESSAGE_ILLEGAL). */
static void test_send_size_limits(void **state) {
        fx_t *fx = *state;
        char topic[130], *props;
        rmq_cmd_t *req, *resp;
        memset(topic, 'T', 128);
        topic[128] = '\0';
        resp       = mtc_call(fx->c, fx->b0, mtc_send_req(topic, 0, NULL, "x"));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark,
                            "The specified topic is longer than topic max "
                            "length.");
        rmq__cmd_destroy(resp);
        topic[127] = '\0'; /* 127 is fine */
        assert_int_equal(mtc_send(fx->c, fx->b0, topic, 0, NULL, "x"), 0);
        /* 32767 bytes of properties with CLUSTER fit; one more does not. */
        props = malloc(40000);
        snprintf(props, 40000, "P\001");
        memset(props + 2, 'p', 32767 - 2 - (1 + 22));
        props[32767 - 23] = '\0';
        req               = mtc_send_req("PropTopic", 0, NULL, "x");
        rmq__cmd_ext_add(req, "i", props);
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        strcat(props, "p");
        req = mtc_send_req("PropTopic", 0, NULL, "x");
        rmq__cmd_ext_add(req, "i", props);
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, RMQ_ERR_MESSAGE_ILLEGAL);
        assert_string_equal(resp->remark,
                            "the message is illegal, maybe msg body or "
                            "properties length not matched. msg body length "
                            "limit 4194304B, msg properties length limit "
                            "32KB.");
        mtc_assert_ext(resp, "MSG_REGION", "DefaultRegion");
        rmq__cmd_destroy(resp);
        free(props);
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, "PropTopic", 0, 0),
                         1);
}

/* CHECK_CLIENT_CONFIG (ClientManageProcessor#checkClientConfig): a TAG
 * subscription (or no type) is accepted; any other expression type is
 * refused while enablePropertyFilter is off (its default). */
static int check_client(fx_t *fx, const char *body, char *remark, size_t size) {
        rmq_cmd_t *req = mtc_req(RMQ_REQ_CHECK_CLIENT_CONFIG, NULL), *resp;
        int code;
        if (body)
                rmq__cmd_set_body_copy(req, body, strlen(body));
        resp = mtc_call(fx->c, fx->b0, req);
        code = resp->code;
        snprintf(remark, size, "%s", resp->remark ? resp->remark : "");
        rmq__cmd_destroy(resp);
        return code;
}

static void test_check_client_config(void **state) {
        fx_t *fx = *state;
        char remark[256];
        assert_int_equal(check_client(fx,
                                      "{\"clientId\":\"c\",\"group\":\"g\","
                                      "\"subscriptionData\":{"
                                      "\"expressionType\":\"SQL92\","
                                      "\"subString\":\"a > 1\"}}",
                                      remark, sizeof(remark)),
                         RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(remark, "The broker does not support consumer to "
                                    "filter message by SQL92");
        assert_int_equal(check_client(fx,
                                      "{\"subscriptionData\":{"
                                      "\"expressionType\":\"MYTYPE\"}}",
                                      remark, sizeof(remark)),
                         RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(remark, "The broker does not support consumer to "
                                    "filter message by MYTYPE");
        assert_int_equal(check_client(fx,
                                      "{\"subscriptionData\":{"
                                      "\"expressionType\":\"TAG\"}}",
                                      remark, sizeof(remark)),
                         RMQ_OK);
        assert_int_equal(check_client(fx,
                                      "{\"subscriptionData\":{"
                                      "\"expressionType\":\"\"}}",
                                      remark, sizeof(remark)),
                         RMQ_OK);
        assert_int_equal(check_client(fx, "{\"subscriptionData\":{}}", remark,
                                      sizeof(remark)),
                         RMQ_OK);
        assert_int_equal(
            check_client(fx, "{\"clientId\":\"c\"}", remark, sizeof(remark)),
            RMQ_OK);
        assert_int_equal(check_client(fx, "{]", remark, sizeof(remark)),
                         RMQ_ERR_SYSTEM_ERROR);
        assert_int_equal(check_client(fx, NULL, remark, sizeof(remark)),
                         RMQ_ERR_SYSTEM_ERROR);
}

/* The name server writes routes in standard JSON for clients of V4_9_4
 * (401) or later or that ask acceptStandardJsonOnly, else in fastjson's
 * default form with bare numeric brokerAddrs keys; cluster info always in
 * the default form. The client decoder reads both. */
static void route_body(fx_t *fx, int version, const char *standard_only,
                       const char *want) {
        rmq_cmd_t *req = mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                 "TBW102", NULL),
                  *resp;
        rmq_topic_route_data_t *r;
        char err[128];
        req->version = version;
        if (standard_only)
                rmq__cmd_ext_add(req, "acceptStandardJsonOnly", standard_only);
        resp = mtc_call(fx->c, fx->ns, req);
        assert_int_equal(resp->code, 0);
        if (!memmem(resp->body, resp->body_len, want, strlen(want)))
                fail_msg("version %d: no %s in %.*s", version, want,
                         (int)resp->body_len, (const char *)resp->body);
        assert_int_equal(rmq__topic_route_decode(resp->body, resp->body_len, &r,
                                                 err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(r->brokerDatas_cnt, 2);
        assert_non_null(rmq__broker_data_master_addr(&r->brokerDatas[0]));
        rmq__topic_route_destroy(r);
        rmq__cmd_destroy(resp);
}

static void test_route_json_forms(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        route_body(fx, 409, NULL, "\"brokerAddrs\":{\"0\":\"127.0.0.1:");
        route_body(fx, 401, NULL, "\"brokerAddrs\":{\"0\":\"127.0.0.1:");
        route_body(fx, 400, NULL, "\"brokerAddrs\":{0:\"127.0.0.1:");
        route_body(fx, 317, "false", "\"brokerAddrs\":{0:\"127.0.0.1:");
        route_body(fx, 317, "true", "\"brokerAddrs\":{\"0\":\"127.0.0.1:");
        resp = mtc_call(fx->c, fx->ns,
                        mtc_req(RMQ_REQ_GET_BROKER_CLUSTER_INFO, NULL));
        assert_int_equal(resp->code, 0);
        assert_non_null(memmem(resp->body, resp->body_len,
                               "{\"brokerAddrTable\":{\"broker-", 27));
        assert_non_null(memmem(resp->body, resp->body_len,
                               "\"brokerAddrs\":{0:\"127.0.0.1:", 28));
        rmq__cmd_destroy(resp);
}

static void test_send_retry_and_dlq(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *req, *resp;
        /* A send to a retry topic at maxReconsumeTimes goes to the DLQ. */
        req = mtc_send_req("%RETRY%G1", 0, NULL, "r");
        rmq__cmd_ext_add(req, "j", "3");
        rmq__cmd_ext_add(req, "l", "3");
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, "%DLQ%G1"), 1);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, "%RETRY%G1"), 0);
        req = mtc_send_req("%RETRY%G1", 0, NULL, "r");
        rmq__cmd_ext_add(req, "j", "1");
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, "%RETRY%G1"), 1);
}

static void test_heartbeat_unregister(void **state) {
        fx_t *fx = *state;
        mtc_t *c2 = mtc_new();
        rmq_cmd_t *resp;
        char **ids;
        size_t n;
        int code;
        rmq_topic_route_data_t *r;
        mtc_heartbeat(fx->c, fx->b0, "10.0.0.1@a", "PG_X", "CG_X", "TopicX",
                      "*");
        mtc_heartbeat(c2, fx->b0, "10.0.0.1@b", NULL, "CG_X", "TopicX", "*");
        /* The first member hears that the group changed. */
        assert_true(mtc_inbox_wait(fx->c, RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED,
                                   1, 2000));
        resp = mtc_inbox_take(fx->c, RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED);
        mtc_assert_ext(resp, "consumerGroup", "CG_X");
        assert_true(rmq__cmd_is_oneway(resp));
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_group_members(fx->mc, "CG_X", -1, &ids, &n),
                         RMQ_OK);
        assert_int_equal(n, 2);
        rmq_mock_strings_destroy(ids, n);
        assert_int_equal(rmq_mock_group_members(fx->mc, "PG_X", 0, &ids, &n),
                         RMQ_OK);
        assert_int_equal(n, 1);
        assert_string_equal(ids[0], "10.0.0.1@a");
        rmq_mock_strings_destroy(ids, n);
        assert_int_equal(rmq_mock_group_members(fx->mc, "PG_X", 1, &ids, &n),
                         RMQ_OK);
        assert_int_equal(n, 0);
        rmq_mock_strings_destroy(ids, n);
        /* The retry topic is created by the heartbeat, as the broker does. */
        r = route_of(fx, "%RETRY%CG_X", &code);
        assert_int_equal(code, 0);
        assert_int_equal(r->queueDatas[0].readQueueNums, 1);
        assert_int_equal(r->queueDatas[0].perm, 6);
        rmq__topic_route_destroy(r);

        resp = mtc_call(c2, fx->b0,
                        mtc_req(RMQ_REQ_UNREGISTER_CLIENT, "clientID",
                                "10.0.0.1@b", "consumerGroup", "CG_X", NULL));
        assert_int_equal(resp->code, 0);
        assert_true(resp->ext_present);
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_group_members(fx->mc, "CG_X", -1, &ids, &n),
                         RMQ_OK);
        assert_int_equal(n, 1);
        rmq_mock_strings_destroy(ids, n);
        assert_true(mtc_inbox_wait(fx->c, RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED,
                                   1, 2000));
        /* Closing the connection removes the member (housekeeping). */
        mtc_destroy(c2);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_UNREGISTER_CLIENT, NULL));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        rmq__cmd_destroy(resp);
        /* Bad heartbeat bodies. */
        resp = mtc_call(fx->c, fx->b0, mtc_req(RMQ_REQ_HEART_BEAT, NULL));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        rmq__cmd_destroy(resp);
        {
                rmq_cmd_t *req = mtc_req(RMQ_REQ_HEART_BEAT, NULL);
                rmq__cmd_set_body_copy(req, "{\"clientID\":", 12);
                resp = mtc_call(fx->c, fx->b0, req);
                assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
                rmq__cmd_destroy(resp);
        }
}

static void drain(mtc_t *c, int code) {
        rmq_cmd_t *r;
        while ((r = mtc_inbox_take(c, code)))
                rmq__cmd_destroy(r);
}

/* NOTIFY_CONSUMER_IDS_CHANGED goes to the group's remaining members when
 * a member's connection closes (ConsumerManager#doChannelCloseEvent) and
 * when a heartbeat changes the group's subscribed topics
 * (ConsumerGroupInfo#updateSubscription); a heartbeat that changes
 * nothing, or only a subscription's version, does not notify. */
static void test_notify_on_close_and_subscription(void **state) {
        fx_t *fx    = *state;
        const int n = RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED;
        mtc_t *c2   = mtc_new();
        rmq_cmd_t *resp;
        mtc_heartbeat(fx->c, fx->b0, "10.0.0.1@a", NULL, "CG_Y", "TopicY", "*");
        mtc_heartbeat(c2, fx->b0, "10.0.0.1@b", NULL, "CG_Y", "TopicY", "*");
        /* Two are due to the first client: its own arrival and c2's
         * (ConsumerManager.registerConsumer notifies the whole group). */
        assert_true(mtc_inbox_wait(fx->c, n, 2, 2000));
        drain(fx->c, n);
        /* The same heartbeat again: nothing changed. */
        mtc_heartbeat(fx->c, fx->b0, "10.0.0.1@a", NULL, "CG_Y", "TopicY", "*");
        /* A newer version of the same subscription: not a change. */
        resp = mtc_call(
            fx->c, fx->b0,
            mtc_heartbeat_req("10.0.0.1@a", NULL, "CG_Y", "TopicY", "TagA", 5));
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        /* c2's connection closes: a notify. */
        mtc_destroy(c2);
        assert_true(mtc_inbox_wait(fx->c, n, 1, 2000));
        /* No second one comes: a request answered after the close was
         * handled comes back behind anything the close sent. */
        mtc_heartbeat(fx->c, fx->b0, "10.0.0.1@a", NULL, "CG_Y", "TopicY",
                      "TagA");
        assert_int_equal(mtc_inbox_count(fx->c, n), 1);
        resp = mtc_inbox_take(fx->c, n);
        mtc_assert_ext(resp, "consumerGroup", "CG_Y");
        rmq__cmd_destroy(resp);
        /* Another topic: a notify. */
        mtc_heartbeat(fx->c, fx->b0, "10.0.0.1@a", NULL, "CG_Y", "TopicZ", "*");
        assert_true(mtc_inbox_wait(fx->c, n, 1, 2000));
        resp = mtc_inbox_take(fx->c, n);
        mtc_assert_ext(resp, "consumerGroup", "CG_Y");
        rmq__cmd_destroy(resp);
}

static void test_serialize_types_and_unknown(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *req, *resp;
        req                 = mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                      "TBW102", NULL);
        req->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
        resp                = mtc_call(fx->c, fx->ns, req);
        assert_int_equal(resp->code, 0);
        assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
        rmq__cmd_destroy(resp);
        req                 = mtc_send_req("SerTopic", 0, NULL, "x");
        req->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
        resp                = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
        mtc_assert_ext(resp, "queueOffset", "0");
        rmq__cmd_destroy(resp);
        /* Unknown codes, and broker codes at the name server. */
        resp = mtc_call(fx->c, fx->b0, mtc_req(9999, NULL));
        assert_int_equal(resp->code, RMQ_ERR_REQUEST_CODE_NOT_SUPPORTED);
        assert_string_equal(resp->remark, " request type 9999 not supported");
        rmq__cmd_destroy(resp);
        /* The name server does not answer codes it does not handle (its
         * DefaultRequestProcessor returns null): the caller times out. */
        resp = NULL;
        assert_int_equal(mtc_try_call(fx->c, fx->ns,
                                      mtc_send_req("SerTopic", 0, NULL, "x"),
                                      300, &resp),
                         RMQ_ERR__TIMED_OUT);
        assert_null(resp);
        assert_int_equal(
            mtc_try_call(fx->c, fx->ns, mtc_req(9999, NULL), 300, &resp),
            RMQ_ERR__TIMED_OUT);
        /* It still answers what it knows on the same connection. */
        resp = mtc_call(
            fx->c, fx->ns,
            mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic", "TBW102", NULL));
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
}

static void test_namesrv_misc(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        resp = mtc_call(fx->c, fx->ns,
                        mtc_req(RMQ_REQ_GET_BROKER_CLUSTER_INFO, NULL));
        assert_int_equal(resp->code, 0);
        assert_non_null(memmem(resp->body, resp->body_len,
                               "\"clusterAddrTable\":{\"DefaultCluster\":[",
                               37));
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->ns,
                        mtc_req(RMQ_REQ_GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
                                NULL));
        assert_int_equal(resp->code, 0);
        assert_non_null(memmem(resp->body, resp->body_len, "\"TBW102\"", 8));
        rmq__cmd_destroy(resp);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_lifecycle_and_options, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_route_tbw102_and_unknown,
                                            setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_topic_create_and_perm, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_send_v2_stored_format, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_auto_create_queue_nums, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_send_v1_and_compressed, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_send_batch, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_send_checks, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_send_exceptions, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_send_size_limits, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_check_client_config, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_route_json_forms, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_send_retry_and_dlq, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_heartbeat_unregister, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(
                test_notify_on_close_and_subscription, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_serialize_types_and_unknown,
                                            setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_namesrv_misc, setup, mtc_fx_teardown),
        };
        return cmocka_run_group_tests_name("mock_basic", tests, NULL, NULL);
}
