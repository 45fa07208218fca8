/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Producer against the mock cluster: every send mode, what the broker
 * stores (bodies, properties, compression, batches), validation errors,
 * topic auto-creation, hooks, namespaces, heartbeats, many threads, and
 * shutdown with async sends in flight.
 */
#include "producer_fixture.h"

static const char *const fast_route[] = {"pollNameServerInterval", "200",
                                         NULL};

static void stored_equals(rmq_mock_cluster_t *mc, const rmq_send_result_t *res,
                          const char *topic, const char *body,
                          const char *tags) {
        const rmq_message_queue_t *mq = rmq_send_result_message_queue(res);
        const char *bname = rmq_message_queue_broker_name(mq);
        int b, bid = -1;
        rmq_mock_msg_t *m;
        size_t len;
        for (b = 0; b < rmq_mock_cluster_broker_cnt(mc); b++)
                if (!strcmp(rmq_mock_broker_name(mc, b), bname))
                        bid = b;
        assert_true(bid >= 0);
        assert_int_equal(rmq_mock_message_get(mc, topic, bid,
                                              rmq_message_queue_queue_id(mq),
                                              rmq_send_result_queue_offset(res),
                                              &m),
                         RMQ_OK);
        assert_memory_equal(rmq_mock_msg_body(m, &len), body, strlen(body));
        assert_int_equal(len, strlen(body));
        if (tags)
                assert_string_equal(rmq_mock_msg_property(m, "TAGS"), tags);
        assert_string_equal(rmq_mock_msg_property(m, "UNIQ_KEY"),
                            rmq_send_result_msg_id(res));
        assert_string_equal(rmq_mock_msg_offset_msg_id(m),
                            rmq_send_result_offset_msg_id(res));
        rmq_mock_msg_destroy(m);
}

static void test_sync_send_stores_message(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_producer_t *prod;
        rmq_send_result_t *res = NULL;
        char err[512];
        int i;
        (void)state;
        rmq_mock_topic_create(mc, "TopicTest", -1, 4, 4);
        prod = fx_producer(mc, "PG_SYNC", NULL);
        for (i = 0; i < 8; i++) {
                rmq_message_t *msg = fx_msg("TopicTest", "hello sync");
                rmq_message_set_tags(msg, "TagA");
                rmq_message_set_keys(msg, "k1 k2");
                rmq_message_put_user_property(msg, "color", "red");
                assert_int_equal(rmq_producer_send(prod, msg, &res, err,
                                                   sizeof(err)),
                                 RMQ_OK);
                assert_int_equal(rmq_send_result_status(res), RMQ_SEND_OK);
                assert_int_equal(strlen(rmq_send_result_msg_id(res)), 32);
                assert_int_equal(strlen(rmq_send_result_offset_msg_id(res)),
                                 32);
                stored_equals(mc, res, "TopicTest", "hello sync", "TagA");
                rmq_send_result_destroy(res);
                rmq_message_destroy(msg);
        }
        /* round-robin over both brokers' 8 queues */
        assert_int_equal(rmq_mock_topic_message_count(mc, "TopicTest"), 8);
        assert_true(rmq_mock_queue_max_offset(mc, "TopicTest", 0, 0) +
                        rmq_mock_queue_max_offset(mc, "TopicTest", 1, 0) >=
                    1);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static void test_async_send_each_callback_once(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_producer_t *prod;
        fx_async_t a;
        int i;
        enum { N = 2000 };
        (void)state;
        memset(&a, 0, sizeof(a));
        a.expect = N;
        prod     = fx_producer(mc, "PG_ASYNC", NULL);
        /* the topic does not exist: the first sends wait for the route
         * (TBW102 fallback) asynchronously, then the broker creates it */
        for (i = 0; i < N; i++) {
                rmq_message_t *msg = fx_msg("TopicAsync", "async body");
                assert_int_equal(rmq_producer_send_async(prod, msg,
                                                         fx_async_cb, &a),
                                 RMQ_OK);
                rmq_message_destroy(msg);
        }
        assert_true(rmq_test_wait_until(fx_async_done, &a, 20000));
        assert_int_equal(atomic_load(&a.ok), N);
        assert_int_equal(rmq_mock_topic_message_count(mc, "TopicAsync"), N);
        rmq_producer_destroy(prod);
        assert_int_equal(atomic_load(&a.calls), N);
        rmq_mock_cluster_destroy(mc);
}

static void test_oneway(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        fx_count_t c = {mc, "TopicOneway", 50};
        int i;
        (void)state;
        rmq_mock_topic_create(mc, "TopicOneway", -1, 4, 4);
        prod = fx_producer(mc, "PG_ONEWAY", NULL);
        for (i = 0; i < 50; i++) {
                rmq_message_t *msg = fx_msg("TopicOneway", "oneway");
                assert_int_equal(rmq_producer_send_oneway(prod, msg, NULL, 0),
                                 RMQ_OK);
                rmq_message_destroy(msg);
        }
        assert_true(rmq_test_wait_until(fx_count_reached, &c, 10000));
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static void test_send_to_queue_and_selector(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_producer_t *prod;
        rmq_message_queue_t *mq;
        rmq_send_result_t *res;
        char err[512];
        int i, first_q = -1;
        const char *first_b = NULL;
        char bname[32];
        (void)state;
        rmq_mock_topic_create(mc, "TopicOrder", -1, 4, 4);
        prod = fx_producer(mc, "PG_ORDER", NULL);
        mq   = rmq_message_queue_new("TopicOrder", rmq_mock_broker_name(mc, 1),
                                     3);
        for (i = 0; i < 3; i++) {
                rmq_message_t *msg = fx_msg("TopicOrder", "to queue 3");
                assert_int_equal(rmq_producer_send_to_queue(prod, msg, mq,
                                                            &res, err,
                                                            sizeof(err)),
                                 RMQ_OK);
                assert_int_equal(rmq_message_queue_queue_id(
                                     rmq_send_result_message_queue(res)),
                                 3);
                assert_int_equal(rmq_send_result_queue_offset(res), i);
                rmq_send_result_destroy(res);
                rmq_message_destroy(msg);
        }
        assert_int_equal(rmq_mock_queue_max_offset(mc, "TopicOrder", 1, 3), 3);
        /* a message of another topic cannot go to this queue */
        {
                rmq_message_t *msg = fx_msg("TopicOther", "x");
                assert_int_equal(rmq_producer_send_to_queue(prod, msg, mq,
                                                            NULL, err,
                                                            sizeof(err)),
                                 RMQ_ERR__INVALID_ARG);
                rmq_message_destroy(msg);
        }
        rmq_message_queue_destroy(mq);
        /* the hash selector sends one key to one queue every time */
        for (i = 0; i < 6; i++) {
                rmq_message_t *msg = fx_msg("TopicOrder", "ordered");
                assert_int_equal(rmq_producer_send_select(
                                     prod, msg, rmq_queue_selector_hash,
                                     "order-1", &res, err, sizeof(err)),
                                 RMQ_OK);
                mq = (rmq_message_queue_t *)rmq_send_result_message_queue(res);
                if (first_q < 0) {
                        first_q = rmq_message_queue_queue_id(mq);
                        snprintf(bname, sizeof(bname), "%s",
                                 rmq_message_queue_broker_name(mq));
                        first_b = bname;
                }
                assert_int_equal(rmq_message_queue_queue_id(mq), first_q);
                assert_string_equal(rmq_message_queue_broker_name(mq),
                                    first_b);
                rmq_send_result_destroy(res);
                rmq_message_destroy(msg);
        }
        /* Java's SelectMessageQueueByHash over 8 queues sorted by broker:
         * "order-1".hashCode() % 8 -> 6 -> broker-b queue 2 */
        assert_string_equal(first_b, rmq_mock_broker_name(mc, 1));
        assert_int_equal(first_q, 2);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static void test_batch_send(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        rmq_message_t *msgs[3];
        rmq_send_result_t *res;
        char err[512], ids[256], *tok, *save;
        int i;
        (void)state;
        rmq_mock_topic_create(mc, "TopicBatch", -1, 1, 1);
        prod = fx_producer(mc, "PG_BATCH", NULL);
        for (i = 0; i < 3; i++) {
                char body[32];
                snprintf(body, sizeof(body), "batch %d", i);
                msgs[i] = fx_msg("TopicBatch", body);
                rmq_message_set_tags(msgs[i], "TagB");
        }
        assert_int_equal(
            rmq_producer_send_batch(prod, msgs, 3, &res, err, sizeof(err)),
            RMQ_OK);
        assert_int_equal(rmq_send_result_queue_offset(res), 0);
        assert_int_equal(rmq_mock_queue_max_offset(mc, "TopicBatch", 0, 0), 3);
        snprintf(ids, sizeof(ids), "%s", rmq_send_result_msg_id(res));
        for (i = 0, tok = strtok_r(ids, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save), i++) {
                rmq_mock_msg_t *m;
                char body[32];
                size_t len;
                snprintf(body, sizeof(body), "batch %d", i);
                assert_int_equal(rmq_mock_message_get(mc, "TopicBatch", 0, 0,
                                                      i, &m),
                                 RMQ_OK);
                assert_memory_equal(rmq_mock_msg_body(m, &len), body,
                                    strlen(body));
                assert_string_equal(rmq_mock_msg_property(m, "UNIQ_KEY"), tok);
                assert_string_equal(rmq_mock_msg_property(m, "TAGS"), "TagB");
                rmq_mock_msg_destroy(m);
        }
        assert_int_equal(i, 3);
        rmq_send_result_destroy(res);
        /* batch rules */
        rmq_message_set_topic(msgs[1], "Other");
        assert_int_equal(
            rmq_producer_send_batch(prod, msgs, 3, NULL, err, sizeof(err)),
            RMQ_ERR__INVALID_ARG);
        assert_non_null(strstr(err, "same"));
        rmq_message_set_topic(msgs[1], "TopicBatch");
        rmq_message_set_delay_time_level(msgs[2], 2);
        assert_int_equal(
            rmq_producer_send_batch(prod, msgs, 3, NULL, err, sizeof(err)),
            RMQ_ERR__INVALID_ARG);
        assert_non_null(strstr(err, "TimeDelayLevel"));
        rmq_message_set_delay_time_level(msgs[2], 0);
        /* MessageBatch.generateFromList: no retry topic, one WAIT */
        for (i = 0; i < 3; i++)
                rmq_message_set_topic(msgs[i], "%RETRY%PG_BATCH");
        assert_int_equal(
            rmq_producer_send_batch(prod, msgs, 3, NULL, err, sizeof(err)),
            RMQ_ERR__INVALID_ARG);
        assert_non_null(strstr(err, "Retry Group is not supported"));
        for (i = 0; i < 3; i++)
                rmq_message_set_topic(msgs[i], "TopicBatch");
        rmq_message_set_wait_store_msg_ok(msgs[1], 0);
        assert_int_equal(
            rmq_producer_send_batch(prod, msgs, 3, NULL, err, sizeof(err)),
            RMQ_ERR__INVALID_ARG);
        assert_non_null(strstr(err, "waitStoreMsgOK"));
        rmq_message_set_wait_store_msg_ok(msgs[1], 1);
        rmq_producer_destroy(prod);
        /* every body fits maxMessageSize, the encoded batch does not
         * (Validators.checkMessage(batch)) */
        prod =
            fx_producer(mc, "PG_BATCH2",
                        (const char *const[]){"maxMessageSize", "200", NULL});
        for (i = 0; i < 3; i++) {
                char body[41];
                memset(body, 'a' + i, 40);
                body[40] = '\0';
                rmq_message_set_body(msgs[i], body, 40);
        }
        assert_int_equal(
            rmq_producer_send_batch(prod, msgs, 1, NULL, err, sizeof(err)),
            RMQ_OK);
        assert_int_equal(
            rmq_producer_send_batch(prod, msgs, 3, NULL, err, sizeof(err)),
            RMQ_ERR__MSG_TOO_LARGE);
        assert_non_null(strstr(err, "MAX: 200"));
        /* nothing of those went out */
        assert_int_equal(rmq_mock_queue_max_offset(mc, "TopicBatch", 0, 0), 4);
        for (i = 0; i < 3; i++)
                rmq_message_destroy(msgs[i]);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static void test_compressed_body(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        rmq_message_t *msg;
        rmq_send_result_t *res;
        rmq_mock_msg_t *m;
        char *big = malloc(10000), err[512];
        size_t len;
        int i;
        (void)state;
        for (i = 0; i < 10000; i++)
                big[i] = (char)('a' + i % 26);
        rmq_mock_topic_create(mc, "TopicZ", -1, 1, 1);
        prod = fx_producer(mc, "PG_Z", NULL);
        msg  = rmq_message_new("TopicZ");
        rmq_message_set_body(msg, big, 10000);
        assert_int_equal(rmq_producer_send(prod, msg, &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_mock_message_get(mc, "TopicZ", 0, 0, 0, &m),
                         RMQ_OK);
        /* COMPRESSED | ZLIB type, as the 4.9.8 client sends (769) */
        assert_int_equal(rmq_mock_msg_sys_flag(m) & 0x701, 0x301);
        assert_memory_equal(rmq_mock_msg_body(m, &len), big, 10000);
        assert_int_equal(len, 10000);
        rmq_mock_msg_destroy(m);
        rmq_send_result_destroy(res);
        /* just below the threshold: sent as is */
        rmq_message_set_body(msg, big, 4095);
        assert_int_equal(rmq_producer_send(prod, msg, &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_mock_message_get(mc, "TopicZ", 0, 0, 1, &m),
                         RMQ_OK);
        assert_int_equal(rmq_mock_msg_sys_flag(m) & 1, 0);
        rmq_mock_msg_destroy(m);
        rmq_send_result_destroy(res);
        rmq_message_destroy(msg);
        free(big);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static void test_delay_flag_and_properties(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        rmq_message_t *msg;
        rmq_send_result_t *res;
        rmq_mock_msg_t *m;
        char err[512], longv[300];
        (void)state;
        rmq_mock_topic_create(mc, "TopicP", -1, 1, 1);
        prod = fx_producer(mc, "PG_P", NULL);
        msg  = fx_msg("TopicP", "props");
        memset(longv, 'x', sizeof(longv) - 1);
        longv[sizeof(longv) - 1] = '\0';
        rmq_message_set_flag(msg, 42);
        rmq_message_put_user_property(msg, "unicode", "h\xc3\xa9llo");
        /* escaped in the JSON header; longer than the send's inline room */
        rmq_message_put_user_property(msg, "quoted", "a\"b\\c\td");
        rmq_message_put_user_property(msg, "long", longv);
        rmq_message_set_wait_store_msg_ok(msg, 0);
        assert_int_equal(rmq_producer_send(prod, msg, &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_mock_message_get(mc, "TopicP", 0, 0, 0, &m),
                         RMQ_OK);
        assert_int_equal(rmq_mock_msg_flag(m), 42);
        assert_string_equal(rmq_mock_msg_property(m, "unicode"),
                            "h\xc3\xa9llo");
        assert_string_equal(rmq_mock_msg_property(m, "quoted"), "a\"b\\c\td");
        assert_string_equal(rmq_mock_msg_property(m, "long"), longv);
        /* the broker does not store WAIT (fixture 042 has none) */
        assert_null(rmq_mock_msg_property(m, "WAIT"));
        /* no namespace, no INSTANCE_ID */
        assert_null(rmq_mock_msg_property(m, "INSTANCE_ID"));
        rmq_mock_msg_destroy(m);
        rmq_send_result_destroy(res);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static void expect_invalid(rmq_producer_t *prod, rmq_message_t *msg,
                           rmq_err_t want, const char *why) {
        char err[512] = "";
        fx_async_t a;
        memset(&a, 0, sizeof(a));
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         want);
        if (!strstr(err, why))
                fail_msg("expected \"%s\" in \"%s\"", why, err);
        /* async: refused at once, the callback is never called */
        assert_int_equal(rmq_producer_send_async(prod, msg, fx_async_cb, &a),
                         want);
        assert_int_equal(rmq_producer_send_oneway(prod, msg, err, sizeof(err)),
                         want);
        rmq_test_sleep_ms(20);
        assert_int_equal(atomic_load(&a.calls), 0);
}

static void test_validation_errors(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        rmq_message_t *msg;
        char *big, longtopic[140];
        (void)state;
        prod = fx_producer(mc, "PG_V", (const char *const[]){
                                           "maxMessageSize", "1000", NULL});
        msg = rmq_message_new(NULL);
        rmq_message_set_body(msg, "x", 1);
        expect_invalid(prod, msg, RMQ_ERR__INVALID_ARG,
                       "The specified topic is blank");
        rmq_message_set_topic(msg, "bad topic");
        expect_invalid(prod, msg, RMQ_ERR__INVALID_ARG, "illegal characters");
        memset(longtopic, 'a', 128);
        longtopic[128] = '\0';
        rmq_message_set_topic(msg, longtopic);
        expect_invalid(prod, msg, RMQ_ERR__INVALID_ARG, "max length 127");
        rmq_message_set_topic(msg, "SCHEDULE_TOPIC_XXXX");
        expect_invalid(prod, msg, RMQ_ERR__INVALID_ARG, "forbidden");
        rmq_message_destroy(msg);
        msg = rmq_message_new("TopicV");
        expect_invalid(prod, msg, RMQ_ERR_MESSAGE_ILLEGAL,
                       "the message body is null");
        rmq_message_set_body(msg, "", 0);
        expect_invalid(prod, msg, RMQ_ERR_MESSAGE_ILLEGAL,
                       "the message body length is zero");
        big = calloc(1, 1001);
        rmq_message_set_body(msg, big, 1001);
        expect_invalid(prod, msg, RMQ_ERR__MSG_TOO_LARGE, "MAX: 1000");
        free(big);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static void test_lifecycle_errors(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_conf_t *conf       = rmq_conf_new();
        rmq_producer_t *prod, *p2;
        rmq_message_t *msg = fx_msg("T", "x");
        char err[512];
        (void)state;
        rmq_conf_set(conf, "namesrvAddr", rmq_mock_cluster_namesrv_addr(mc),
                     NULL, 0);
        rmq_conf_set(conf, "log.level", "2", NULL, 0);
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        /* not started */
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         RMQ_ERR__STATE);
        /* DEFAULT_PRODUCER is refused, as in Java */
        assert_int_equal(rmq_producer_start(prod, err, sizeof(err)),
                         RMQ_ERR__INVALID_ARG);
        assert_non_null(strstr(err, "DEFAULT_PRODUCER"));
        rmq_producer_destroy(prod);
        /* one group per client instance */
        rmq_conf_set(conf, "producerGroup", "PG_DUP", NULL, 0);
        rmq_conf_set(conf, "instanceName", "same", NULL, 0);
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_producer_start(prod, err, sizeof(err)), RMQ_OK);
        assert_int_equal(rmq_producer_start(prod, err, sizeof(err)),
                         RMQ_ERR__STATE);
        assert_int_equal(rmq_producer_new(&p2, conf, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_producer_start(p2, err, sizeof(err)),
                         RMQ_ERR__INVALID_ARG);
        assert_non_null(strstr(err, "has been created before"));
        rmq_producer_destroy(p2);
        assert_int_equal(rmq_producer_shutdown(prod), RMQ_OK);
        assert_int_equal(rmq_producer_shutdown(prod), RMQ_OK);
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         RMQ_ERR__STATE);
        rmq_producer_destroy(prod);
        rmq_producer_destroy(NULL);
        rmq_message_destroy(msg);
        rmq_conf_destroy(conf);
        rmq_mock_cluster_destroy(mc);
}

static void test_no_name_server(void **state) {
        rmq_conf_t *conf = rmq_conf_new();
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg("T", "x");
        char err[512];
        fx_async_t a;
        (void)state;
        memset(&a, 0, sizeof(a));
        a.expect = 1;
        unsetenv("NAMESRV_ADDR");
        rmq_conf_set(conf, "producerGroup", "PG_NONS", NULL, 0);
        rmq_conf_set(conf, "log.level", "2", NULL, 0);
        rmq_producer_new(&prod, conf, err, sizeof(err));
        assert_int_equal(rmq_producer_start(prod, err, sizeof(err)), RMQ_OK);
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         RMQ_ERR__NO_NAMESRV);
        assert_non_null(strstr(err, "No name server address"));
        assert_int_equal(rmq_producer_send_async(prod, msg, fx_async_cb, &a),
                         RMQ_OK);
        assert_true(rmq_test_wait_until(fx_async_done, &a, 5000));
        assert_int_equal(atomic_load(&a.last_err), RMQ_ERR__NO_NAMESRV);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        rmq_conf_destroy(conf);
}

static void test_unknown_topic_without_autocreate(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg("NoSuchTopic", "x");
        char err[512];
        (void)state;
        rmq_mock_cluster_set(mc, "autoCreateTopicEnable", "false", NULL, 0);
        prod = fx_producer(mc, "PG_NOTOPIC", NULL);
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         RMQ_ERR__NO_ROUTE);
        assert_non_null(strstr(err, "No route info of this topic"));
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

typedef struct hookrec_s {
        atomic_int before, after, after_ok;
        atomic_int msg_type;
        char last_id[64];
} hookrec_t;

static void hook_before(rmq_producer_t *p, const rmq_send_context_t *ctx,
                        void *opaque) {
        hookrec_t *h = opaque;
        (void)p;
        assert_string_equal(rmq_send_context_producer_group(ctx), "PG_HOOK");
        assert_non_null(rmq_send_context_message(ctx));
        assert_non_null(rmq_send_context_broker_addr(ctx));
        snprintf(h->last_id, sizeof(h->last_id), "%s",
                 rmq_send_context_msg_id(ctx));
        atomic_store(&h->msg_type, (int)rmq_send_context_msg_type(ctx));
        atomic_fetch_add(&h->before, 1);
}

static void hook_after(rmq_producer_t *p, const rmq_send_context_t *ctx,
                       void *opaque) {
        hookrec_t *h = opaque;
        (void)p;
        if (rmq_send_context_error(ctx) == RMQ_OK &&
            rmq_send_context_result(ctx))
                atomic_fetch_add(&h->after_ok, 1);
        atomic_fetch_add(&h->after, 1);
}

static void test_send_hooks(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_conf_t *conf       = rmq_conf_new();
        rmq_producer_t *prod;
        hookrec_t h;
        rmq_message_t *msg = fx_msg("TopicH", "hooked");
        rmq_send_result_t *res;
        char err[512];
        fx_async_t a;
        (void)state;
        memset(&h, 0, sizeof(h));
        memset(&a, 0, sizeof(a));
        a.expect = 1;
        rmq_mock_topic_create(mc, "TopicH", -1, 1, 1);
        rmq_conf_set(conf, "namesrvAddr", rmq_mock_cluster_namesrv_addr(mc),
                     NULL, 0);
        rmq_conf_set(conf, "producerGroup", "PG_HOOK", NULL, 0);
        rmq_producer_new(&prod, conf, err, sizeof(err));
        assert_int_equal(rmq_producer_add_send_hook(prod, "h", hook_before,
                                                    hook_after, &h),
                         RMQ_OK);
        assert_int_equal(rmq_producer_start(prod, err, sizeof(err)), RMQ_OK);
        assert_int_equal(rmq_producer_add_send_hook(prod, "late", NULL, NULL,
                                                    NULL),
                         RMQ_ERR__STATE);
        assert_int_equal(rmq_producer_send(prod, msg, &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(atomic_load(&h.before), 1);
        assert_int_equal(atomic_load(&h.after_ok), 1);
        assert_string_equal(h.last_id, rmq_send_result_msg_id(res));
        assert_int_equal(atomic_load(&h.msg_type), RMQ_NORMAL_MSG);
        rmq_send_result_destroy(res);
        /* sendKernelImpl's msgType: a delay level makes Delay_Msg */
        rmq_message_set_delay_time_level(msg, 1);
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(atomic_load(&h.msg_type), RMQ_DELAY_MSG);
        rmq_message_set_delay_time_level(msg, 0);
        assert_int_equal(rmq_producer_send_async(prod, msg, fx_async_cb, &a),
                         RMQ_OK);
        rmq_message_destroy(msg); /* hooks see the library's copy */
        assert_true(rmq_test_wait_until(fx_async_done, &a, 5000));
        assert_int_equal(atomic_load(&h.after_ok), 3);
        rmq_producer_destroy(prod);
        rmq_conf_destroy(conf);
        rmq_mock_cluster_destroy(mc);
}

static void test_namespace(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg("TopicNs", "ns"), *batch[2];
        rmq_send_result_t *res;
        rmq_mock_msg_t *m;
        char err[512];
        char **ids;
        size_t n;
        int i;
        (void)state;
        prod = fx_producer(mc, "PG_NS", (const char *const[]){
                                            "namespace", "inst1", NULL});
        assert_int_equal(rmq_producer_send(prod, msg, &res, err, sizeof(err)),
                         RMQ_OK);
        /* the broker sees the wrapped topic; the result shows it unwrapped */
        assert_int_equal(rmq_mock_topic_message_count(mc, "inst1%TopicNs"), 1);
        assert_string_equal(
            rmq_message_queue_topic(rmq_send_result_message_queue(res)),
            "TopicNs");
        /* sendKernelImpl: msg.setInstanceId(namespace) */
        assert_int_equal(
            rmq_mock_message_get(
                mc, "inst1%TopicNs", 0,
                rmq_message_queue_queue_id(rmq_send_result_message_queue(res)),
                0, &m),
            RMQ_OK);
        assert_string_equal(rmq_mock_msg_property(m, "INSTANCE_ID"), "inst1");
        assert_string_equal(rmq_mock_msg_property(m, "UNIQ_KEY"),
                            rmq_send_result_msg_id(res));
        rmq_mock_msg_destroy(m);
        rmq_send_result_destroy(res);
        rmq_message_destroy(msg);
        /* a batch: its own properties carry INSTANCE_ID, and the broker
         * appends them to each message's */
        rmq_mock_topic_create(mc, "inst1%TopicNsB", -1, 1, 1);
        batch[0] = fx_msg("TopicNsB", "b0");
        batch[1] = fx_msg("TopicNsB", "b1");
        assert_int_equal(
            rmq_producer_send_batch(prod, batch, 2, &res, err, sizeof(err)),
            RMQ_OK);
        assert_string_equal(
            rmq_message_queue_topic(rmq_send_result_message_queue(res)),
            "TopicNsB");
        for (i = 0; i < 2; i++) {
                assert_int_equal(
                    rmq_mock_message_get(mc, "inst1%TopicNsB", 0, 0, i, &m),
                    RMQ_OK);
                assert_string_equal(rmq_mock_msg_property(m, "INSTANCE_ID"),
                                    "inst1");
                rmq_mock_msg_destroy(m);
                rmq_message_destroy(batch[i]);
        }
        rmq_send_result_destroy(res);
        /* and the group name carries the namespace too */
        rmq_producer_destroy(prod);
        assert_int_equal(rmq_mock_group_members(mc, "inst1%PG_NS", -1, &ids,
                                                &n),
                         RMQ_OK);
        rmq_mock_strings_destroy(ids, n);
        rmq_mock_cluster_destroy(mc);
}

/* A send validates the topic with its namespace (DefaultMQProducer.send
 * applies withNamespace before Validators.checkMessage), so "inst1%" plus
 * 122 characters is too long and fails locally; start validates the group
 * with its namespace (checkConfig after withNamespace). */
static void test_namespace_validation(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_conf_t *conf       = rmq_conf_new();
        rmq_producer_t *prod;
        rmq_message_t *msg;
        char topic[130], group[260], err[512];
        fx_async_t a;
        (void)state;
        memset(&a, 0, sizeof(a));
        a.expect = 1;
        memset(topic, 'a', sizeof(topic));
        topic[122] = '\0'; /* 6 + 122 = 128 > 127 */
        prod       = fx_producer(mc, "PG_NSV",
                                 (const char *const[]){"namespace", "inst1", NULL});
        rmq_mock_start_request_tracking(mc);
        msg = fx_msg(topic, "too long with the namespace");
        expect_invalid(prod, msg, RMQ_ERR__INVALID_ARG,
                       "longer than topic max length 127");
        assert_int_equal(
            rmq_mock_request_count(mc, -1, RMQ_REQ_SEND_MESSAGE_V2), 0);
        /* 121 + 6 = 127 fits */
        topic[121] = '\0';
        rmq_message_set_topic(msg, topic);
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         RMQ_OK);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);

        rmq_conf_set(conf, "namesrvAddr", rmq_mock_cluster_namesrv_addr(mc),
                     NULL, 0);
        rmq_conf_set(conf, "log.level", "2", NULL, 0);
        /* 250 characters fit 255, not with "inst1%" */
        memset(group, 'g', sizeof(group));
        group[250] = '\0';
        rmq_conf_set(conf, "producerGroup", group, NULL, 0);
        rmq_conf_set(conf, "namespace", "inst1", NULL, 0);
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_producer_start(prod, err, sizeof(err)),
                         RMQ_ERR__INVALID_ARG);
        assert_non_null(strstr(err, "longer than group max length 255"));
        /* START_FAILED, as Java's DefaultMQProducerImpl.start leaves it */
        assert_int_equal(rmq_producer_start(prod, err, sizeof(err)),
                         RMQ_ERR__STATE);
        assert_non_null(strstr(err, "START_FAILED"));
        rmq_producer_destroy(prod);
        /* the namespace's characters are checked with the group's */
        rmq_conf_set(conf, "producerGroup", "PG_NSV2", NULL, 0);
        rmq_conf_set(conf, "namespace", "in st", NULL, 0);
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_producer_start(prod, err, sizeof(err)),
                         RMQ_ERR__INVALID_ARG);
        assert_non_null(strstr(err, "in st%PG_NSV2"));
        rmq_producer_destroy(prod);
        rmq_conf_destroy(conf);
        rmq_mock_cluster_destroy(mc);
}

static bool group_has_member(void *arg) {
        rmq_mock_cluster_t *mc = arg;
        char **ids = NULL;
        size_t n   = 0;
        bool yes;
        rmq_mock_group_members(mc, "PG_HB", -1, &ids, &n);
        yes = n == 1;
        rmq_mock_strings_destroy(ids, n);
        return yes;
}

static void test_heartbeat_and_unregister(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg("TopicHb", "x");
        char **ids;
        size_t n;
        (void)state;
        rmq_mock_topic_create(mc, "TopicHb", -1, 1, 1);
        rmq_mock_start_request_tracking(mc);
        prod = fx_producer(mc, "PG_HB", (const char *const[]){
                                            "heartbeatBrokerInterval", "100",
                                            NULL});
        /* once a route is known, the periodic heartbeat reaches brokers */
        assert_int_equal(rmq_producer_send(prod, msg, NULL, NULL, 0), RMQ_OK);
        assert_true(rmq_test_wait_until(group_has_member, mc, 5000));
        assert_true(rmq_mock_request_count(mc, -1, RMQ_REQ_HEART_BEAT) >= 1);
        rmq_producer_destroy(prod);
        /* UNREGISTER_CLIENT went to every broker at shutdown, for the group
         * and for the instance's CLIENT_INNER_PRODUCER, as Java does */
        assert_int_equal(rmq_mock_request_count(mc, -1,
                                                RMQ_REQ_UNREGISTER_CLIENT),
                         4);
        assert_int_equal(rmq_mock_group_members(mc, "PG_HB", -1, &ids, &n),
                         RMQ_OK);
        assert_int_equal(n, 0);
        rmq_mock_strings_destroy(ids, n);
        rmq_message_destroy(msg);
        rmq_mock_cluster_destroy(mc);
}

/* Library threads of this process named \p name (Linux: the comm of each
 * task). */
static int threads_named(const char *name) {
        uv_dirent_t ent;
        uv_fs_t req;
        int n = 0;
        if (uv_fs_scandir(NULL, &req, "/proc/self/task", 0, NULL) < 0)
                return -1;
        while (uv_fs_scandir_next(&req, &ent) != UV_EOF) {
                char path[64], comm[32] = "";
                FILE *f;
                snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
                         ent.name);
                if (!(f = fopen(path, "r")))
                        continue;
                if (fgets(comm, sizeof(comm), f))
                        comm[strcspn(comm, "\n")] = '\0';
                fclose(f);
                n += !strcmp(comm, name);
        }
        uv_fs_req_cleanup(&req);
        return n;
}

/* The one client id among \p group's members, copied to \p dst; false
 * until there is exactly one. */
static bool sole_member(rmq_mock_cluster_t *mc, const char *group, char *dst,
                        size_t size) {
        char **ids = NULL;
        size_t n   = 0;
        bool one;
        rmq_mock_group_members(mc, group, -1, &ids, &n);
        one = n == 1;
        if (one)
                snprintf(dst, size, "%s", ids[0]);
        rmq_mock_strings_destroy(ids, n);
        return one;
}

typedef struct members_s {
        rmq_mock_cluster_t *mc;
        const char *groups[3];
} members_t;

static bool groups_registered(void *arg) {
        members_t *m = arg;
        char id[256];
        size_t i;
        for (i = 0; i < 3 && m->groups[i]; i++)
                if (!sole_member(m->mc, m->groups[i], id, sizeof(id)))
                        return false;
        return true;
}

/* MQClientManager: producers of one clientId (ip@instanceName) share one
 * client instance (one I/O thread, one client id in every heartbeat); the
 * default instanceName becomes <pid>#<nanotime>, one instance each. */
static void test_client_instance_sharing(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *p1, *p2, *p3;
        rmq_message_t *msg = fx_msg("TopicShare", "shared");
        members_t m        = {mc, {"PG_SH1", "PG_SH2", "PG_SH3"}};
        char id1[256], id2[256], id3[256];
        const char *const shared[] = {"instanceName", "shared",
                                      "heartbeatBrokerInterval", "100", NULL};
        const char *const own[]    = {"heartbeatBrokerInterval", "100", NULL};
        (void)state;
        rmq_mock_topic_create(mc, "TopicShare", -1, 1, 1);
        assert_int_equal(threads_named("rmq-io"), 0);
        p1 = fx_producer(mc, "PG_SH1", shared);
        p2 = fx_producer(mc, "PG_SH2", shared);
        assert_int_equal(threads_named("rmq-io"), 1);
        p3 = fx_producer(mc, "PG_SH3", own);
        assert_int_equal(threads_named("rmq-io"), 2);
        /* a route makes the heartbeats reach the broker */
        assert_int_equal(rmq_producer_send(p1, msg, NULL, NULL, 0), RMQ_OK);
        assert_int_equal(rmq_producer_send(p3, msg, NULL, NULL, 0), RMQ_OK);
        assert_true(rmq_test_wait_until(groups_registered, &m, 5000));
        assert_true(sole_member(mc, "PG_SH1", id1, sizeof(id1)));
        assert_true(sole_member(mc, "PG_SH2", id2, sizeof(id2)));
        assert_true(sole_member(mc, "PG_SH3", id3, sizeof(id3)));
        assert_string_equal(id1, id2);
        assert_non_null(strstr(id1, "@shared"));
        assert_string_not_equal(id1, id3);
        assert_non_null(strchr(strchr(id3, '@'), '#'));
        /* the instance lives while one of its producers does */
        rmq_producer_destroy(p1);
        assert_int_equal(threads_named("rmq-io"), 2);
        assert_int_equal(rmq_producer_send(p2, msg, NULL, NULL, 0), RMQ_OK);
        rmq_producer_destroy(p2);
        assert_int_equal(threads_named("rmq-io"), 1);
        rmq_producer_destroy(p3);
        assert_int_equal(threads_named("rmq-io"), 0);
        rmq_message_destroy(msg);
        rmq_mock_cluster_destroy(mc);
}

typedef struct thr_s {
        rmq_producer_t *prod;
        int ok;
} thr_t;

static void sender_thread(void *arg) {
        thr_t *t = arg;
        int i;
        for (i = 0; i < 200; i++) {
                rmq_message_t *msg = fx_msg("TopicMT", "threads");
                if (rmq_producer_send(t->prod, msg, NULL, NULL, 0) == RMQ_OK)
                        t->ok++;
                rmq_message_destroy(msg);
        }
}

static void test_many_threads(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_producer_t *prod;
        uv_thread_t th[8];
        thr_t t[8];
        int i;
        (void)state;
        rmq_mock_topic_create(mc, "TopicMT", -1, 4, 4);
        prod = fx_producer(mc, "PG_MT", NULL);
        for (i = 0; i < 8; i++) {
                t[i].prod = prod;
                t[i].ok   = 0;
                uv_thread_create(&th[i], sender_thread, &t[i]);
        }
        for (i = 0; i < 8; i++) {
                uv_thread_join(&th[i]);
                assert_int_equal(t[i].ok, 200);
        }
        assert_int_equal(rmq_mock_topic_message_count(mc, "TopicMT"), 1600);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

typedef struct idrec_s {
        atomic_int calls;
        char id[64];
} idrec_t;

static void id_cb(rmq_producer_t *prod, rmq_err_t err, const char *errstr,
                  const rmq_send_result_t *res, void *opaque) {
        idrec_t *r = opaque;
        (void)prod;
        (void)errstr;
        if (!err)
                snprintf(r->id, sizeof(r->id), "%s",
                         rmq_send_result_msg_id(res));
        atomic_fetch_add(&r->calls, 1);
}

static bool id_cb_done(void *arg) {
        idrec_t *r = arg;
        return atomic_load(&r->calls) == 1;
}

/* Java's send writes UNIQ_KEY into the caller's Message, so resending the
 * same object (say after a timeout) keeps its id and consumers can
 * de-duplicate. */
static void test_resend_keeps_message_id(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg("TopicId", "same message"), *copy;
        rmq_message_t *batch[2];
        rmq_send_result_t *res;
        fx_count_t c = {mc, "TopicId", 4};
        idrec_t r;
        char id[64], ids[160];
        int64_t q;
        (void)state;
        memset(&r, 0, sizeof(r));
        rmq_mock_topic_create(mc, "TopicId", -1, 1, 1);
        prod = fx_producer(mc, "PG_ID", NULL);
        assert_null(rmq_message_msg_id(msg));
        /* a send that fails validation records nothing */
        rmq_message_set_topic(msg, "bad topic");
        assert_int_equal(rmq_producer_send(prod, msg, NULL, NULL, 0),
                         RMQ_ERR__INVALID_ARG);
        assert_null(rmq_message_msg_id(msg));
        rmq_message_set_topic(msg, "TopicId");
        assert_int_equal(rmq_producer_send(prod, msg, &res, NULL, 0), RMQ_OK);
        snprintf(id, sizeof(id), "%s", rmq_send_result_msg_id(res));
        assert_non_null(rmq_message_msg_id(msg));
        assert_string_equal(rmq_message_msg_id(msg), id);
        rmq_send_result_destroy(res);
        /* sync, async and oneway resends carry the same id */
        assert_int_equal(rmq_producer_send(prod, msg, &res, NULL, 0), RMQ_OK);
        assert_string_equal(rmq_send_result_msg_id(res), id);
        rmq_send_result_destroy(res);
        assert_int_equal(rmq_producer_send_async(prod, msg, id_cb, &r), RMQ_OK);
        assert_true(rmq_test_wait_until(id_cb_done, &r, 5000));
        assert_string_equal(r.id, id);
        assert_int_equal(rmq_producer_send_oneway(prod, msg, NULL, 0), RMQ_OK);
        assert_true(rmq_test_wait_until(fx_count_reached, &c, 5000));
        for (q = 0; q < 4; q++) {
                rmq_mock_msg_t *m;
                assert_int_equal(
                    rmq_mock_message_get(mc, "TopicId", 0, 0, q, &m), RMQ_OK);
                assert_string_equal(rmq_mock_msg_property(m, "UNIQ_KEY"), id);
                rmq_mock_msg_destroy(m);
        }
        /* a copy is a new message */
        copy = rmq_message_dup(msg);
        assert_null(rmq_message_msg_id(copy));
        assert_int_equal(rmq_producer_send(prod, copy, &res, NULL, 0), RMQ_OK);
        assert_string_not_equal(rmq_send_result_msg_id(res), id);
        rmq_send_result_destroy(res);
        rmq_message_destroy(copy);
        /* batches: each message keeps its own id (DefaultMQProducer.batch
         * sets UNIQ_KEY on each) */
        batch[0] = fx_msg("TopicId", "b0");
        batch[1] = msg;
        assert_int_equal(rmq_producer_send_batch(prod, batch, 2, &res, NULL, 0),
                         RMQ_OK);
        assert_non_null(rmq_message_msg_id(batch[0]));
        snprintf(ids, sizeof(ids), "%s,%s", rmq_message_msg_id(batch[0]), id);
        assert_string_equal(rmq_send_result_msg_id(res), ids);
        rmq_send_result_destroy(res);
        assert_int_equal(rmq_producer_send_batch(prod, batch, 2, &res, NULL, 0),
                         RMQ_OK);
        assert_string_equal(rmq_send_result_msg_id(res), ids);
        rmq_send_result_destroy(res);
        rmq_message_destroy(batch[0]);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

typedef struct same_msg_s {
        rmq_producer_t *prod;
        rmq_message_t *msg;
        uv_barrier_t *go;
        char id[64];
} same_msg_t;

static void same_msg_thread(void *arg) {
        same_msg_t *t = arg;
        rmq_send_result_t *res;
        uv_barrier_wait(t->go);
        if (rmq_producer_send(t->prod, t->msg, &res, NULL, 0) == RMQ_OK) {
                snprintf(t->id, sizeof(t->id), "%s",
                         rmq_send_result_msg_id(res));
                rmq_send_result_destroy(res);
        }
}

/* Against the one-thread rule, but safe: the id is set once, and every
 * concurrent first send of one message carries it. */
static void test_same_message_from_threads(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        uv_thread_t th[4];
        same_msg_t t[4];
        uv_barrier_t go;
        int round, i;
        (void)state;
        rmq_mock_topic_create(mc, "TopicSame", -1, 2, 2);
        prod = fx_producer(mc, "PG_SAME", NULL);
        for (round = 0; round < 5; round++) {
                rmq_message_t *msg = fx_msg("TopicSame", "shared");
                uv_barrier_init(&go, 4);
                for (i = 0; i < 4; i++) {
                        t[i].prod  = prod;
                        t[i].msg   = msg;
                        t[i].go    = &go;
                        t[i].id[0] = '\0';
                        uv_thread_create(&th[i], same_msg_thread, &t[i]);
                }
                for (i = 0; i < 4; i++)
                        uv_thread_join(&th[i]);
                uv_barrier_destroy(&go);
                assert_non_null(rmq_message_msg_id(msg));
                for (i = 0; i < 4; i++)
                        assert_string_equal(t[i].id, rmq_message_msg_id(msg));
                rmq_message_destroy(msg);
        }
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static void test_shutdown_with_async_in_flight(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        fx_async_t a;
        int i;
        int errs[300];
        enum { N = 300 };
        (void)state;
        memset(&a, 0, sizeof(a));
        a.expect = N;
        for (i = 0; i < N; i++)
                errs[i] = RMQ_ERR__TIMED_OUT; /* swallowed: no answer */
        rmq_mock_topic_create(mc, "TopicSd", -1, 4, 4);
        prod = fx_producer(mc, "PG_SD", (const char *const[]){
                                            "sendMsgTimeout", "1500", NULL});
        /* warm the route so the sends go out at once */
        {
                rmq_message_t *msg = fx_msg("TopicSd", "warm");
                assert_int_equal(rmq_producer_send(prod, msg, NULL, NULL, 0),
                                 RMQ_OK);
                rmq_message_destroy(msg);
        }
        rmq_mock_push_request_errors_array(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, N,
                                           errs);
        for (i = 0; i < N; i++) {
                rmq_message_t *msg = fx_msg("TopicSd", "in flight");
                assert_int_equal(rmq_producer_send_async(prod, msg,
                                                         fx_async_cb, &a),
                                 RMQ_OK);
                rmq_message_destroy(msg);
        }
        /* destroy waits: every callback ran exactly once, with an error */
        rmq_producer_destroy(prod);
        assert_int_equal(atomic_load(&a.calls), N);
        assert_int_equal(atomic_load(&a.errs), N);
        rmq_mock_cluster_destroy(mc);
}

static void test_fetch_publish_queues(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_producer_t *prod;
        rmq_message_queue_t **mqs;
        size_t n;
        char err[512];
        (void)state;
        rmq_mock_topic_create(mc, "TopicQ", -1, 4, 3);
        prod = fx_producer(mc, "PG_Q", NULL);
        assert_int_equal(rmq_producer_fetch_publish_message_queues(
                             prod, "TopicQ", &mqs, &n, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(n, 6);
        assert_string_equal(rmq_message_queue_topic(mqs[0]), "TopicQ");
        rmq_message_queues_destroy(mqs, n);
        assert_int_equal(rmq_producer_fetch_publish_message_queues(
                             prod, "NoSuch", &mqs, &n, err, sizeof(err)),
                         RMQ_ERR_TOPIC_NOT_EXIST);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static void test_private_mock_from_conf(void **state) {
        rmq_conf_t *conf = rmq_conf_new();
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg("TopicPriv", "private");
        rmq_send_result_t *res;
        char err[512];
        (void)state;
        /* test.mock.brokers: no name server needed at all */
        rmq_conf_set(conf, "namesrvAddr", "127.0.0.1:1", NULL, 0);
        assert_int_equal(rmq_conf_set(conf, "test.mock.brokers", "2", err,
                                      sizeof(err)),
                         RMQ_OK);
        rmq_conf_set(conf, "producerGroup", "PG_PRIV", NULL, 0);
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_producer_start(prod, err, sizeof(err)), RMQ_OK);
        assert_int_equal(rmq_producer_send(prod, msg, &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_send_result_status(res), RMQ_SEND_OK);
        rmq_send_result_destroy(res);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        rmq_conf_destroy(conf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sync_send_stores_message),
            cmocka_unit_test(test_async_send_each_callback_once),
            cmocka_unit_test(test_oneway),
            cmocka_unit_test(test_send_to_queue_and_selector),
            cmocka_unit_test(test_batch_send),
            cmocka_unit_test(test_compressed_body),
            cmocka_unit_test(test_delay_flag_and_properties),
            cmocka_unit_test(test_validation_errors),
            cmocka_unit_test(test_lifecycle_errors),
            cmocka_unit_test(test_no_name_server),
            cmocka_unit_test(test_unknown_topic_without_autocreate),
            cmocka_unit_test(test_send_hooks),
            cmocka_unit_test(test_namespace),
            cmocka_unit_test(test_namespace_validation),
            cmocka_unit_test(test_heartbeat_and_unregister),
            cmocka_unit_test(test_client_instance_sharing),
            cmocka_unit_test(test_many_threads),
            cmocka_unit_test(test_resend_keeps_message_id),
            cmocka_unit_test(test_same_message_from_threads),
            cmocka_unit_test(test_shutdown_with_async_in_flight),
            cmocka_unit_test(test_fetch_publish_queues),
            cmocka_unit_test(test_private_mock_from_conf),
        };
        (void)fast_route;
        return cmocka_run_group_tests_name("producer_send", tests, NULL, NULL);
}
