/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admin queries (rmq_admin.h, Java MQAdminImpl) against the mock
 * cluster: queue offsets and store times, createTopic then sending to the
 * topic, viewMessage by offset msg id and by unique key, queryMessage by
 * key over two brokers (merged), the client-side filter of index hash
 * collisions, namespaces, message ids no broker has, brokers down or
 * failing, and the handle's state checks.
 */
#include "consumer_fixture.h"

#include "protocol/rmq_message_codec.h"

#define TOPIC "TopicAdmin"

/* ---- helpers ---- */

static rmq_admin_t *fx_admin(rmq_producer_t *prod) {
        rmq_admin_t *adm = rmq_producer_admin(prod);
        assert_non_null(adm);
        return adm;
}

/* Sends \p body with \p keys (may be NULL) to queue \p qid of \p broker;
 * returns the result (the caller destroys it). */
static rmq_send_result_t *send_to(rmq_producer_t *prod, const char *topic,
                                  const char *broker, int qid, const char *keys,
                                  const char *body) {
        rmq_message_t *msg      = fx_msg(topic, body);
        rmq_message_queue_t *mq = rmq_message_queue_new(topic, broker, qid);
        rmq_send_result_t *res  = NULL;
        char err[512];
        if (keys)
                rmq_message_set_keys(msg, keys);
        if (rmq_producer_send_to_queue(prod, msg, mq, &res, err, sizeof(err)))
                fail_msg("send to %s:%d: %s", broker, qid, err);
        rmq_message_queue_destroy(mq);
        rmq_message_destroy(msg);
        return res;
}

/* send_to() without keeping the result. */
static void send_only(rmq_producer_t *prod, const char *topic,
                      const char *broker, int qid, const char *keys,
                      const char *body) {
        rmq_send_result_destroy(send_to(prod, topic, broker, qid, keys, body));
}

static void assert_body(const rmq_message_ext_t *mx, const char *body) {
        size_t len;
        const void *b = rmq_message_ext_body(mx, &len);
        assert_int_equal(len, strlen(body));
        assert_memory_equal(b, body, len);
}

/* Whether the result holds a message with \p body. */
static bool result_has(const rmq_query_result_t *res, const char *body) {
        size_t i, len;
        for (i = 0; i < rmq_query_result_count(res); i++) {
                const void *b = rmq_message_ext_body(
                    rmq_query_result_message(res, i), &len);
                if (len == strlen(body) && !memcmp(b, body, len))
                        return true;
        }
        return false;
}

/* rmq_admin_query_message over all time, 32 messages per broker. */
static rmq_err_t query_all(rmq_admin_t *adm, const char *topic, const char *key,
                           rmq_query_result_t **resp, char *err,
                           size_t err_size) {
        return rmq_admin_query_message(adm, topic, key, 32, 0, INT64_MAX, resp,
                                       err, err_size);
}

static rmq_mock_cluster_t *cluster_with_topic(int queues) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        assert_int_equal(rmq_mock_topic_create(mc, TOPIC, -1, queues, queues),
                         RMQ_OK);
        return mc;
}

/* ---- the handle ---- */

static void test_state_and_arguments(void **state) {
        rmq_mock_cluster_t *mc = cluster_with_topic(2);
        rmq_conf_t *conf = fx_conf(mc, "producerGroup", "PG_ADM_STATE", NULL);
        rmq_message_queue_t *mq = rmq_message_queue_new(TOPIC, "broker-a", 0);
        rmq_query_result_t *res = NULL;
        rmq_message_ext_t *mx   = NULL;
        rmq_producer_t *prod;
        rmq_admin_t *adm;
        int64_t off = -7;
        char err[512];
        (void)state;
        assert_null(rmq_producer_admin(NULL));
        assert_null(rmq_push_consumer_admin(NULL));
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        rmq_conf_destroy(conf);
        adm = fx_admin(prod);
        /* before start */
        assert_int_equal(rmq_admin_max_offset(adm, mq, &off, err, sizeof(err)),
                         RMQ_ERR__STATE);
        assert_non_null(strstr(err, "CREATE_JUST"));
        assert_int_equal(off, -7);
        assert_int_equal(query_all(adm, TOPIC, "k", &res, err, sizeof(err)),
                         RMQ_ERR__STATE);
        assert_null(res);
        assert_int_equal(
            rmq_admin_create_topic(adm, "TBW102", "T1", 4, 0, err, sizeof(err)),
            RMQ_ERR__STATE);
        /* NULL arguments */
        assert_int_equal(rmq_admin_max_offset(NULL, mq, &off, NULL, 0),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_admin_max_offset(adm, NULL, &off, NULL, 0),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_admin_view_message(adm, NULL, &mx, NULL, 0),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(
            rmq_admin_view_message_by_uniq_key(adm, TOPIC, NULL, &mx, NULL, 0),
            RMQ_ERR__INVALID_ARG);
        assert_int_equal(
            rmq_admin_query_message(adm, TOPIC, NULL, 32, 0, 1, &res, NULL, 0),
            RMQ_ERR__INVALID_ARG);
        /* started */
        assert_int_equal(rmq_producer_start(prod, err, sizeof(err)), RMQ_OK);
        assert_ptr_equal(rmq_producer_admin(prod), adm);
        assert_int_equal(rmq_admin_max_offset(adm, mq, &off, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(off, 0);
        /* shut down */
        assert_int_equal(rmq_producer_shutdown(prod), RMQ_OK);
        assert_int_equal(rmq_admin_max_offset(adm, mq, &off, err, sizeof(err)),
                         RMQ_ERR__STATE);
        assert_non_null(strstr(err, "SHUTDOWN_ALREADY"));
        rmq_message_queue_destroy(mq);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

/* ---- offsets and times of a queue ---- */

static void test_queue_offsets_and_times(void **state) {
        rmq_mock_cluster_t *mc   = cluster_with_topic(2);
        rmq_producer_t *prod     = fx_producer(mc, "PG_ADM_OFF", NULL);
        rmq_admin_t *adm         = fx_admin(prod);
        rmq_message_queue_t *q0  = rmq_message_queue_new(TOPIC, "broker-b", 0);
        rmq_message_queue_t *q1  = rmq_message_queue_new(TOPIC, "broker-b", 1);
        rmq_message_queue_t *bad = rmq_message_queue_new(TOPIC, "broker-x", 0);
        rmq_mock_msg_t *m;
        int64_t v, ts_first, ts_last;
        char err[512], body[16];
        int i;
        (void)state;
        for (i = 0; i < 5; i++) {
                snprintf(body, sizeof(body), "off-%d", i);
                send_only(prod, TOPIC, "broker-b", 0, NULL, body);
        }
        assert_int_equal(rmq_admin_max_offset(adm, q0, &v, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(v, 5);
        assert_int_equal(rmq_admin_min_offset(adm, q0, &v, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(v, 0);
        /* earliestMsgStoreTime: the first message's store time */
        assert_int_equal(rmq_mock_message_get(mc, TOPIC, 1, 0, 0, &m), RMQ_OK);
        ts_first = rmq_mock_msg_store_timestamp(m);
        rmq_mock_msg_destroy(m);
        assert_int_equal(rmq_mock_message_get(mc, TOPIC, 1, 0, 4, &m), RMQ_OK);
        ts_last = rmq_mock_msg_store_timestamp(m);
        rmq_mock_msg_destroy(m);
        assert_int_equal(
            rmq_admin_earliest_msg_store_time(adm, q0, &v, err, sizeof(err)),
            RMQ_OK);
        assert_int_equal(v, ts_first);
        /* searchOffset: before everything the first; at the last store
         * time a message stored then */
        assert_int_equal(
            rmq_admin_search_offset(adm, q0, 0, &v, err, sizeof(err)), RMQ_OK);
        assert_int_equal(v, 0);
        assert_int_equal(
            rmq_admin_search_offset(adm, q0, ts_last, &v, err, sizeof(err)),
            RMQ_OK);
        assert_in_range(v, 0, 4);
        assert_int_equal(rmq_mock_message_get(mc, TOPIC, 1, 0, v, &m), RMQ_OK);
        assert_int_equal(rmq_mock_msg_store_timestamp(m), ts_last);
        rmq_mock_msg_destroy(m);
        /* an empty queue */
        assert_int_equal(rmq_admin_max_offset(adm, q1, &v, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(v, 0);
        assert_int_equal(
            rmq_admin_earliest_msg_store_time(adm, q1, &v, err, sizeof(err)),
            RMQ_OK);
        assert_int_equal(v, -1);
        /* expired messages: the min offset moves */
        assert_int_equal(rmq_mock_queue_truncate(mc, TOPIC, 1, 0, 3), RMQ_OK);
        assert_int_equal(rmq_admin_min_offset(adm, q0, &v, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(v, 3);
        /* a broker in no route */
        assert_int_equal(rmq_admin_max_offset(adm, bad, &v, err, sizeof(err)),
                         RMQ_ERR__NO_BROKER);
        assert_non_null(strstr(err, "The broker[broker-x] not exist"));
        /* the broker down: the transport error, naming the broker */
        assert_int_equal(rmq_mock_broker_set_down(mc, 1), RMQ_OK);
        assert_true(rmq_admin_max_offset(adm, q0, &v, err, sizeof(err)) < 0);
        assert_non_null(strstr(err, rmq_mock_broker_addr(mc, 1)));
        assert_non_null(strstr(err, "Invoke Broker["));
        rmq_message_queue_destroy(q0);
        rmq_message_queue_destroy(q1);
        rmq_message_queue_destroy(bad);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static void test_push_consumer_admin(void **state) {
        rmq_mock_cluster_t *mc  = cluster_with_topic(2);
        rmq_producer_t *prod    = fx_producer(mc, "PG_ADM_PC", NULL);
        rmq_push_consumer_t *pc = fx_consumer(mc, "CG_ADM_PC", NULL);
        rmq_message_queue_t *mq = rmq_message_queue_new(TOPIC, "broker-a", 1);
        rmq_query_result_t *res = NULL;
        fx_seen_t *seen         = calloc(1, sizeof(*seen));
        rmq_admin_t *adm;
        int64_t v;
        char err[512];
        (void)state;
        adm = rmq_push_consumer_admin(pc);
        assert_non_null(adm);
        assert_int_equal(rmq_admin_max_offset(adm, mq, &v, err, sizeof(err)),
                         RMQ_ERR__STATE);
        send_only(prod, TOPIC, "broker-a", 1, "pc-key", "pc-0");
        send_only(prod, TOPIC, "broker-b", 1, "pc-key", "pc-1");
        fx_consumer_listen(pc, TOPIC, fx_listener_ok, seen);
        fx_consumer_start(pc);
        assert_ptr_equal(rmq_push_consumer_admin(pc), adm);
        assert_int_equal(rmq_admin_max_offset(adm, mq, &v, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(v, 1);
        assert_int_equal(
            query_all(adm, TOPIC, "pc-key", &res, err, sizeof(err)), RMQ_OK);
        assert_int_equal(rmq_query_result_count(res), 2);
        rmq_query_result_destroy(res);
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        assert_int_equal(rmq_admin_max_offset(adm, mq, &v, err, sizeof(err)),
                         RMQ_ERR__STATE);
        rmq_message_queue_destroy(mq);
        fx_destroy(pc, prod, mc);
        free(seen);
}

/* ---- createTopic ---- */

static void test_create_topic_then_send(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_producer_t *prod   = fx_producer(mc, "PG_ADM_CREATE", NULL);
        rmq_admin_t *adm       = fx_admin(prod);
        rmq_message_queue_t **mqs;
        rmq_send_result_t *res;
        size_t n;
        char err[512];
        int b;
        (void)state;
        rmq_mock_start_request_tracking(mc);
        assert_int_equal(rmq_admin_create_topic(adm, "TBW102", "TopicCreated",
                                                3, 0, err, sizeof(err)),
                         RMQ_OK);
        /* both masters got it, with 3 queues */
        assert_int_equal(
            rmq_mock_request_count(mc, -1, RMQ_REQ_UPDATE_AND_CREATE_TOPIC), 2);
        for (b = 0; b < 2; b++) {
                assert_int_equal(
                    rmq_mock_queue_max_offset(mc, "TopicCreated", b, 2), 0);
                assert_int_equal(
                    rmq_mock_queue_max_offset(mc, "TopicCreated", b, 3), -1);
        }
        /* the producer sees its route and sends to it */
        assert_int_equal(rmq_producer_fetch_publish_message_queues(
                             prod, "TopicCreated", &mqs, &n, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(n, 6);
        rmq_message_queues_destroy(mqs, n);
        res = send_to(prod, "TopicCreated", "broker-b", 2, "ck", "created");
        assert_int_equal(rmq_send_result_queue_offset(res), 0);
        rmq_send_result_destroy(res);
        assert_int_equal(rmq_mock_queue_max_offset(mc, "TopicCreated", 1, 2),
                         1);

        /* bad names and keys */
        assert_int_equal(rmq_admin_create_topic(adm, "TBW102", "bad topic!", 3,
                                                0, err, sizeof(err)),
                         RMQ_ERR__INVALID_ARG);
        assert_non_null(strstr(err, "illegal characters"));
        assert_int_equal(rmq_admin_create_topic(adm, "TBW102",
                                                "SCHEDULE_TOPIC_XXXX", 3, 0,
                                                err, sizeof(err)),
                         RMQ_ERR__INVALID_ARG);
        assert_non_null(strstr(err, "conflict with system topic"));
        assert_int_equal(rmq_admin_create_topic(adm, "NoSuchKeyTopic", "T2", 3,
                                                0, err, sizeof(err)),
                         RMQ_ERR_TOPIC_NOT_EXIST);
        assert_non_null(strstr(err, "create new topic failed"));

        /* broker-a fails all 5 tries: created on broker-b only, RMQ_OK */
        rmq_mock_stop_request_tracking(mc);
        rmq_mock_start_request_tracking(mc);
        rmq_mock_push_request_errors(mc, 0, RMQ_REQ_UPDATE_AND_CREATE_TOPIC, 5,
                                     RMQ_ERR_SYSTEM_ERROR, RMQ_ERR_SYSTEM_ERROR,
                                     RMQ_ERR_SYSTEM_ERROR, RMQ_ERR_SYSTEM_ERROR,
                                     RMQ_ERR_SYSTEM_ERROR);
        assert_int_equal(rmq_admin_create_topic(adm, "TBW102", "TopicHalf", 2,
                                                0, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(
            rmq_mock_request_count(mc, 0, RMQ_REQ_UPDATE_AND_CREATE_TOPIC), 5);
        assert_int_equal(rmq_mock_queue_max_offset(mc, "TopicHalf", 0, 0), -1);
        assert_int_equal(rmq_mock_queue_max_offset(mc, "TopicHalf", 1, 1), 0);

        /* every broker fails: the last error */
        rmq_mock_push_request_errors(
            mc, -1, RMQ_REQ_UPDATE_AND_CREATE_TOPIC, 10, RMQ_ERR_NO_PERMISSION,
            RMQ_ERR_NO_PERMISSION, RMQ_ERR_NO_PERMISSION, RMQ_ERR_NO_PERMISSION,
            RMQ_ERR_NO_PERMISSION, RMQ_ERR_NO_PERMISSION, RMQ_ERR_NO_PERMISSION,
            RMQ_ERR_NO_PERMISSION, RMQ_ERR_NO_PERMISSION,
            RMQ_ERR_NO_PERMISSION);
        assert_int_equal(rmq_admin_create_topic(adm, "TBW102", "TopicNone", 2,
                                                0, err, sizeof(err)),
                         RMQ_ERR_NO_PERMISSION);
        assert_non_null(strstr(err, "create topic to broker exception"));
        assert_int_equal(rmq_mock_queue_max_offset(mc, "TopicNone", 0, 0), -1);
        assert_int_equal(rmq_mock_queue_max_offset(mc, "TopicNone", 1, 0), -1);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

/* ---- viewMessage ---- */

static void test_view_message(void **state) {
        rmq_mock_cluster_t *mc = cluster_with_topic(2);
        rmq_producer_t *prod   = fx_producer(mc, "PG_ADM_VIEW", NULL);
        rmq_admin_t *adm       = fx_admin(prod);
        rmq_send_result_t *res =
            send_to(prod, TOPIC, "broker-b", 1, "vk1 vk2", "view me");
        rmq_message_ext_t *mx = NULL;
        rmq_msg_host_t host;
        char err[512], id[RMQ_OFFSET_MSG_ID_MAX + 1];
        (void)state;
        /* by offset msg id */
        assert_int_equal(
            rmq_admin_view_message(adm, rmq_send_result_offset_msg_id(res), &mx,
                                   err, sizeof(err)),
            RMQ_OK);
        assert_body(mx, "view me");
        assert_string_equal(rmq_message_ext_topic(mx), TOPIC);
        assert_string_equal(rmq_message_ext_keys(mx), "vk1 vk2");
        assert_string_equal(rmq_message_ext_msg_id(mx),
                            rmq_send_result_msg_id(res));
        assert_string_equal(rmq_message_ext_offset_msg_id(mx),
                            rmq_send_result_offset_msg_id(res));
        assert_int_equal(rmq_message_ext_queue_id(mx), 1);
        assert_int_equal(rmq_message_ext_queue_offset(mx), 0);
        rmq_message_ext_release(mx);
        mx = NULL;
        /* viewMessage(topic, msgId) with the unique key, and with the
         * offset msg id */
        assert_int_equal(
            rmq_admin_view_message_by_uniq_key(
                adm, TOPIC, rmq_send_result_msg_id(res), &mx, err, sizeof(err)),
            RMQ_OK);
        assert_body(mx, "view me");
        rmq_message_ext_release(mx);
        assert_int_equal(rmq_admin_view_message_by_uniq_key(
                             adm, TOPIC, rmq_send_result_offset_msg_id(res),
                             &mx, err, sizeof(err)),
                         RMQ_OK);
        assert_body(mx, "view me");
        rmq_message_ext_release(mx);
        mx = NULL;

        /* not a message id */
        assert_int_equal(
            rmq_admin_view_message(adm, "not-an-id", &mx, err, sizeof(err)),
            RMQ_ERR_NO_MESSAGE);
        assert_string_equal(err,
                            "query message by id finished, but no message.");
        assert_null(mx);
        assert_int_equal(rmq_admin_view_message_by_uniq_key(
                             adm, TOPIC, "not-an-id", &mx, err, sizeof(err)),
                         RMQ_ERR__INVALID_ARG);
        /* a unique key no broker has (another counter) */
        snprintf(id, sizeof(id), "%s", rmq_send_result_msg_id(res));
        id[28] = id[28] == 'F' ? '0' : 'F';
        assert_int_equal(rmq_admin_view_message_by_uniq_key(adm, TOPIC, id, &mx,
                                                            err, sizeof(err)),
                         RMQ_ERR_NO_MESSAGE);
        assert_non_null(
            strstr(err, "query message by key finished, but no message."));
        assert_null(mx);
        /* an offset no message starts at, on a real broker */
        assert_int_equal(
            rmq__msg_host_parse(rmq_mock_broker_addr(mc, 1), &host), 0);
        rmq__offset_msg_id_create(&host, (int64_t)1 << 40, id);
        assert_int_equal(rmq_admin_view_message(adm, id, &mx, err, sizeof(err)),
                         RMQ_ERR_SYSTEM_ERROR);
        assert_non_null(strstr(err, "can not find message by the offset"));
        /* the same id through viewMessage(topic, msgId): not found */
        assert_int_equal(rmq_admin_view_message_by_uniq_key(adm, TOPIC, id, &mx,
                                                            err, sizeof(err)),
                         RMQ_ERR_NO_MESSAGE);
        /* its broker down: a transport error */
        assert_int_equal(rmq_mock_broker_set_down(mc, 1), RMQ_OK);
        assert_true(rmq_admin_view_message(adm,
                                           rmq_send_result_offset_msg_id(res),
                                           &mx, err, sizeof(err)) < 0);
        assert_null(mx);
        rmq_send_result_destroy(res);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

/* ---- queryMessage ---- */

static void test_query_by_key_two_brokers(void **state) {
        rmq_mock_cluster_t *mc  = cluster_with_topic(2);
        rmq_producer_t *prod    = fx_producer(mc, "PG_ADM_QUERY", NULL);
        rmq_admin_t *adm        = fx_admin(prod);
        rmq_query_result_t *res = NULL;
        const rmq_message_ext_t *kept;
        rmq_message_ext_t *mx;
        char err[512];
        size_t i;
        (void)state;
        send_only(prod, TOPIC, "broker-a", 0, "kA", "a-0");
        send_only(prod, TOPIC, "broker-a", 1, "x kA y", "a-1");
        send_only(prod, TOPIC, "broker-a", 1, "kB", "a-2");
        send_only(prod, TOPIC, "broker-b", 0, "kA", "b-0");
        send_only(prod, TOPIC, "broker-b", 1, "kAA", "b-1");
        send_only(prod, TOPIC, "broker-b", 1, "kA", "b-2");
        rmq_mock_start_request_tracking(mc);
        assert_int_equal(query_all(adm, TOPIC, "kA", &res, err, sizeof(err)),
                         RMQ_OK);
        /* one request per broker, the answers merged */
        assert_int_equal(rmq_mock_request_count(mc, 0, RMQ_REQ_QUERY_MESSAGE),
                         1);
        assert_int_equal(rmq_mock_request_count(mc, 1, RMQ_REQ_QUERY_MESSAGE),
                         1);
        assert_int_equal(rmq_query_result_count(res), 4);
        assert_true(result_has(res, "a-0"));
        assert_true(result_has(res, "a-1"));
        assert_true(result_has(res, "b-0"));
        assert_true(result_has(res, "b-2"));
        assert_true(rmq_query_result_index_last_update_timestamp(res) > 0);
        for (i = 0; i < rmq_query_result_count(res); i++)
                assert_string_equal(
                    rmq_message_ext_topic(rmq_query_result_message(res, i)),
                    TOPIC);
        assert_null(rmq_query_result_message(res, 4));
        /* a message kept beyond its result */
        kept = rmq_query_result_message(res, 0);
        mx   = rmq_message_ext_retain(kept);
        rmq_query_result_destroy(res);
        assert_string_equal(rmq_message_ext_keys(mx), "kA");
        rmq_message_ext_release(mx);

        /* maxNum is per broker */
        assert_int_equal(rmq_admin_query_message(adm, TOPIC, "kA", 1, 0,
                                                 INT64_MAX, &res, err,
                                                 sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_query_result_count(res), 2);
        rmq_query_result_destroy(res);

        /* nothing: a key no message has, a time range before them */
        assert_int_equal(query_all(adm, TOPIC, "nokey", &res, err, sizeof(err)),
                         RMQ_ERR_NO_MESSAGE);
        assert_string_equal(err,
                            "query message by key finished, but no message.");
        assert_null(res);
        assert_int_equal(rmq_admin_query_message(adm, TOPIC, "kA", 32, 0, 1000,
                                                 &res, err, sizeof(err)),
                         RMQ_ERR_NO_MESSAGE);
        /* a topic without a route */
        assert_int_equal(
            query_all(adm, "NoSuchTopic", "kA", &res, err, sizeof(err)),
            RMQ_ERR_TOPIC_NOT_EXIST);
        assert_non_null(
            strstr(err, "The topic[NoSuchTopic] not matched route info"));
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

/* What a send callback found with rmq_admin_query_message(). */
typedef struct cb_query_s {
        rmq_admin_t *adm;
        atomic_int done;
        rmq_err_t err;
        size_t cnt;
} cb_query_t;

static void query_in_callback(rmq_producer_t *prod, rmq_err_t err,
                              const char *errstr,
                              const rmq_send_result_t *result, void *opaque) {
        cb_query_t *q = opaque;
        rmq_query_result_t *res;
        char why[512];
        (void)prod;
        (void)errstr;
        (void)result;
        q->err =
            err ? err : query_all(q->adm, TOPIC, "kCb", &res, why, sizeof(why));
        if (!q->err) {
                q->cnt = rmq_query_result_count(res);
                rmq_query_result_destroy(res);
        }
        atomic_store(&q->done, 1);
}

/* The answers to a query come on the I/O thread, so a query made on the
 * only callback thread (in an async send's callback) gets them. */
static void test_query_from_send_callback(void **state) {
        static const char *const one[] = {"clientCallbackExecutorThreads", "1",
                                          NULL};
        rmq_mock_cluster_t *mc         = cluster_with_topic(2);
        rmq_producer_t *prod           = fx_producer(mc, "PG_ADM_CB", one);
        rmq_message_t *msg             = fx_msg(TOPIC, "cb-1");
        cb_query_t q;
        (void)state;
        memset(&q, 0, sizeof(q));
        q.adm = fx_admin(prod);
        send_only(prod, TOPIC, "broker-a", 0, "kCb", "cb-0");
        rmq_message_set_keys(msg, "kCb");
        assert_int_equal(
            rmq_producer_send_async(prod, msg, query_in_callback, &q), RMQ_OK);
        assert_true(rmq_test_wait_until(fx_flag_set, &q.done, 20000));
        assert_int_equal(q.err, RMQ_OK);
        assert_int_equal(q.cnt, 2); /* cb-1 is stored before its answer */
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

/* Counts the client's "maybe hash duplicate" warnings (any thread). */
static void count_duplicates(rmq_log_level_t level, const char *fac,
                             const char *client_id, const char *msg,
                             void *opaque) {
        (void)fac;
        (void)client_id;
        if (level == RMQ_LOG_WARN && strstr(msg, "maybe hash duplicate"))
                atomic_fetch_add((atomic_int *)opaque, 1);
}

static void test_query_filters_hash_collisions(void **state) {
        static const char *const warn[] = {"log.level", "4", NULL};
        rmq_mock_cluster_t *mc          = cluster_with_topic(2);
        rmq_conf_t *conf = fx_conf(mc, "producerGroup", "PG_ADM_COLL", warn);
        rmq_query_result_t *res = NULL;
        rmq_message_ext_t *mx   = NULL;
        atomic_int dups         = 0;
        rmq_producer_t *prod;
        rmq_send_result_t *sr;
        rmq_admin_t *adm;
        char err[512];
        (void)state;
        rmq_conf_set_log_cb(conf, count_duplicates);
        rmq_conf_set_opaque(conf, &dups);
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        rmq_conf_destroy(conf);
        assert_int_equal(rmq_producer_start(prod, err, sizeof(err)), RMQ_OK);
        adm = fx_admin(prod);
        assert_int_equal(rmq_mock_topic_create(mc, "TopicOther", -1, 2, 2),
                         RMQ_OK);
        assert_int_equal(rmq_mock_cluster_set(mc, "queryIndexCollisions",
                                              "true", err, sizeof(err)),
                         RMQ_OK);
        send_only(prod, TOPIC, "broker-a", 0, "kA", "a-0");
        send_only(prod, TOPIC, "broker-a", 0, "kB", "a-1");
        send_only(prod, TOPIC, "broker-a", 1, NULL, "a-2");
        send_only(prod, "TopicOther", "broker-a", 0, "kA", "o-0");
        send_only(prod, TOPIC, "broker-b", 0, "kC kA", "b-0");
        sr = send_to(prod, "TopicOther", "broker-b", 0, "kA", "o-1");
        /* every broker answers every message: only TOPIC's kA are kept */
        assert_int_equal(query_all(adm, TOPIC, "kA", &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_query_result_count(res), 2);
        assert_true(result_has(res, "a-0"));
        assert_true(result_has(res, "b-0"));
        rmq_query_result_destroy(res);
        /* the brokers did answer the others: a-1 (kB), o-0 and o-1 (other
         * topic) were dropped as duplicates, a-2 (no keys) silently */
        assert_int_equal(atomic_load(&dups), 3);
        /* by unique key: the message whose msgId it is */
        assert_int_equal(rmq_admin_view_message_by_uniq_key(
                             adm, "TopicOther", rmq_send_result_msg_id(sr), &mx,
                             err, sizeof(err)),
                         RMQ_OK);
        assert_body(mx, "o-1");
        rmq_message_ext_release(mx);
        /* the other 5 messages came back too */
        assert_int_equal(atomic_load(&dups), 3 + 5);
        /* collisions only: nothing */
        assert_int_equal(query_all(adm, TOPIC, "kZ", &res, err, sizeof(err)),
                         RMQ_ERR_NO_MESSAGE);
        rmq_send_result_destroy(sr);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

/* True once a query of kD answers broker-a's and broker-b's messages. */
static bool query_finds_3(void *arg) {
        rmq_query_result_t *res = NULL;
        char err[256];
        size_t n = 0;
        if (query_all(arg, TOPIC, "kD", &res, err, sizeof(err)) == RMQ_OK) {
                n = rmq_query_result_count(res);
                rmq_query_result_destroy(res);
        }
        return n == 3;
}

static void test_query_broker_down_or_failing(void **state) {
        rmq_mock_cluster_t *mc  = cluster_with_topic(2);
        rmq_producer_t *prod    = fx_producer(mc, "PG_ADM_DOWN", NULL);
        rmq_admin_t *adm        = fx_admin(prod);
        rmq_query_result_t *res = NULL;
        char err[1024];
        (void)state;
        send_only(prod, TOPIC, "broker-a", 0, "kD", "a-0");
        send_only(prod, TOPIC, "broker-b", 0, "kD", "b-0");
        send_only(prod, TOPIC, "broker-b", 0, "kD", "b-1");
        /* one broker answers an error: the other's messages */
        rmq_mock_push_request_errors(mc, 1, RMQ_REQ_QUERY_MESSAGE, 1,
                                     RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(query_all(adm, TOPIC, "kD", &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_query_result_count(res), 1);
        assert_true(result_has(res, "a-0"));
        rmq_query_result_destroy(res);
        /* one fails, the other has nothing: NO_MESSAGE naming the failure */
        rmq_mock_push_request_errors(mc, 1, RMQ_REQ_QUERY_MESSAGE, 1,
                                     RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(query_all(adm, TOPIC, "kNone", &res, err, sizeof(err)),
                         RMQ_ERR_NO_MESSAGE);
        assert_non_null(strstr(err, "Brokers that failed:"));
        assert_non_null(strstr(err, rmq_mock_broker_addr(mc, 1)));
        /* broker-b down: broker-a's messages */
        assert_int_equal(rmq_mock_broker_set_down(mc, 1), RMQ_OK);
        assert_int_equal(query_all(adm, TOPIC, "kD", &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_query_result_count(res), 1);
        rmq_query_result_destroy(res);
        /* both down: no broker answered, a transport error naming them */
        assert_int_equal(rmq_mock_broker_set_down(mc, 0), RMQ_OK);
        assert_true(query_all(adm, TOPIC, "kD", &res, err, sizeof(err)) < 0);
        assert_null(res);
        assert_non_null(strstr(err, "no broker of topic"));
        assert_non_null(strstr(err, rmq_mock_broker_addr(mc, 0)));
        assert_non_null(strstr(err, rmq_mock_broker_addr(mc, 1)));
        /* back up: both answer again once their connect back-off
         * (reconnect.backoff.ms, not in Java) is over */
        assert_int_equal(rmq_mock_broker_set_up(mc, 0), RMQ_OK);
        assert_int_equal(rmq_mock_broker_set_up(mc, 1), RMQ_OK);
        assert_true(rmq_test_wait_until(query_finds_3, adm, 5000));
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

/* ---- namespaces ---- */

static void test_namespace(void **state) {
        static const char *const ns[] = {"namespace", "ns1", NULL};
        rmq_mock_cluster_t *mc        = fx_cluster(2);
        rmq_producer_t *prod          = fx_producer(mc, "PG_ADM_NS", ns);
        rmq_producer_t *plain         = fx_producer(mc, "PG_ADM_PLAIN", NULL);
        rmq_admin_t *adm              = fx_admin(prod);
        rmq_message_queue_t *mq =
            rmq_message_queue_new("NsTopic", "broker-a", 0);
        rmq_query_result_t *res = NULL;
        rmq_message_ext_t *mx   = NULL;
        rmq_send_result_t *sr;
        int64_t v;
        char err[512];
        (void)state;
        /* created with the namespace */
        assert_int_equal(rmq_admin_create_topic(adm, "TBW102", "NsTopic", 2, 0,
                                                err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_mock_queue_max_offset(mc, "ns1%NsTopic", 0, 1), 0);
        assert_int_equal(rmq_mock_queue_max_offset(mc, "NsTopic", 0, 1), -1);
        sr = send_to(prod, "NsTopic", "broker-a", 0, "nk", "ns-0");
        assert_int_equal(rmq_admin_max_offset(adm, mq, &v, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(v, 1);
        /* the same topic name without a namespace, same key */
        assert_int_equal(rmq_mock_topic_create(mc, "NsTopic", -1, 2, 2),
                         RMQ_OK);
        send_only(plain, "NsTopic", "broker-a", 0, "nk", "plain-0");
        assert_int_equal(rmq_mock_cluster_set(mc, "queryIndexCollisions",
                                              "true", err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(
            query_all(adm, "NsTopic", "nk", &res, err, sizeof(err)), RMQ_OK);
        assert_int_equal(rmq_query_result_count(res), 1);
        assert_body(rmq_query_result_message(res, 0), "ns-0");
        assert_string_equal(
            rmq_message_ext_topic(rmq_query_result_message(res, 0)), "NsTopic");
        rmq_query_result_destroy(res);
        /* viewMessage strips it too */
        assert_int_equal(
            rmq_admin_view_message(adm, rmq_send_result_offset_msg_id(sr), &mx,
                                   err, sizeof(err)),
            RMQ_OK);
        assert_string_equal(rmq_message_ext_topic(mx), "NsTopic");
        rmq_message_ext_release(mx);
        assert_int_equal(rmq_admin_view_message_by_uniq_key(
                             adm, "NsTopic", rmq_send_result_msg_id(sr), &mx,
                             err, sizeof(err)),
                         RMQ_OK);
        assert_body(mx, "ns-0");
        rmq_message_ext_release(mx);
        rmq_send_result_destroy(sr);
        rmq_message_queue_destroy(mq);
        rmq_producer_destroy(plain);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_state_and_arguments),
            cmocka_unit_test(test_queue_offsets_and_times),
            cmocka_unit_test(test_push_consumer_admin),
            cmocka_unit_test(test_create_topic_then_send),
            cmocka_unit_test(test_view_message),
            cmocka_unit_test(test_query_by_key_two_brokers),
            cmocka_unit_test(test_query_from_send_callback),
            cmocka_unit_test(test_query_filters_hash_collisions),
            cmocka_unit_test(test_query_broker_down_or_failing),
            cmocka_unit_test(test_namespace),
        };
        return cmocka_run_group_tests_name("admin", tests, NULL, NULL);
}
