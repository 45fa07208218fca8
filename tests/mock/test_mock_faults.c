/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mock cluster fault injection and inspection: injected error codes,
 * closed connections, swallowed requests, RTT, brokers down and up with
 * their data, unregistered brokers, closed connections, channel expiry,
 * queue count changes and request tracking.
 */
#include "common/rmq_time.h"
#include "mock_client.h"
#include "protocol/rmq_bodies.h"
#include "protocol/rmq_route.h"

typedef mtc_fx_t fx_t;

static int setup(void **state) {
        fx_t *fx = mtc_fx_new(2);
        if (!fx)
                return -1;
        rmq_mock_topic_create(fx->mc, "TopicF", -1, 4, 4);
        *state = fx;
        return 0;
}

static int send_code(fx_t *fx, const char *addr) {
        rmq_cmd_t *resp = mtc_call(fx->c, addr,
                                   mtc_send_req("TopicF", 0, NULL, "x"));
        int code = resp->code;
        rmq__cmd_destroy(resp);
        return code;
}

static void test_error_codes(void **state) {
        fx_t *fx = *state;
        int errs[2] = {RMQ_ERR_FLUSH_DISK_TIMEOUT, RMQ_ERR_SERVICE_NOT_AVAILABLE};
        rmq_cmd_t *resp;
        rmq_mock_push_request_errors(fx->mc, 0, RMQ_REQ_SEND_MESSAGE_V2, 2,
                                     RMQ_ERR_SYSTEM_BUSY, RMQ_ERR_NO_PERMISSION);
        rmq_mock_push_request_errors_array(fx->mc, -1,
                                           RMQ_REQ_SEND_MESSAGE_V2, 2, errs);
        /* Broker 1 takes the "any broker" errors. */
        assert_int_equal(send_code(fx, fx->b1), RMQ_ERR_FLUSH_DISK_TIMEOUT);
        assert_int_equal(send_code(fx, fx->b0), RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(send_code(fx, fx->b0), RMQ_ERR_NO_PERMISSION);
        assert_int_equal(send_code(fx, fx->b0), RMQ_ERR_SERVICE_NOT_AVAILABLE);
        assert_int_equal(send_code(fx, fx->b0), 0);
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, "TopicF", 0, 0), 1);
        /* The name server. */
        rmq_mock_push_request_errors(fx->mc, -2,
                                     RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, 1,
                                     RMQ_ERR_SYSTEM_ERROR);
        resp = mtc_call(fx->c, fx->ns,
                        mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                "TopicF", NULL));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->ns,
                        mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                "TopicF", NULL));
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        /* Cleared errors never fire. */
        rmq_mock_push_request_errors(fx->mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 1,
                                     RMQ_ERR_SYSTEM_BUSY);
        rmq_mock_clear_request_errors(fx->mc);
        assert_int_equal(send_code(fx, fx->b0), 0);
}

static int64_t ext_i64(const rmq_cmd_t *cmd, const char *key) {
        int64_t v = -99;
        if (rmq__cmd_ext_i64(cmd, key, &v))
                fail_msg("ext field %s missing or not a number", key);
        return v;
}

/* A pull of TopicF queue 0 from \p off (subscription "*" in the request). */
static rmq_cmd_t *pull_at(fx_t *fx, const char *topic, int64_t off) {
        return mtc_call(fx->c, fx->b0,
                        mtc_pull_req("CG_F", topic, 0, off, 32,
                                     RMQ_PULL_FLAG_SUBSCRIPTION, 0, "*", 0));
}

/* A pull at \p off answered with \p code and the PullMessageResponseHeader
 * the Java client decodes for PULL_NOT_FOUND, PULL_RETRY_IMMEDIATELY and
 * PULL_OFFSET_MOVED (processPullResponse); returns the remark (static). */
static const char *pull_header_is(fx_t *fx, const char *topic, int64_t off,
                                  int code, int64_t next, int64_t min,
                                  int64_t max) {
        static char remark[128];
        rmq_cmd_t *resp = pull_at(fx, topic, off);
        assert_int_equal(resp->code, code);
        assert_int_equal(ext_i64(resp, "nextBeginOffset"), next);
        assert_int_equal(ext_i64(resp, "minOffset"), min);
        assert_int_equal(ext_i64(resp, "maxOffset"), max);
        assert_int_equal(ext_i64(resp, "suggestWhichBrokerId"), 0);
        assert_int_equal(resp->body_len, 0);
        snprintf(remark, sizeof(remark), "%s",
                 resp->remark ? resp->remark : "");
        rmq__cmd_destroy(resp);
        return remark;
}

static void test_injected_headers(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        int i;
        int pulls[] = {
            RMQ_ERR_PULL_NOT_FOUND,    RMQ_ERR_PULL_RETRY_IMMEDIATELY,
            RMQ_ERR_PULL_OFFSET_MOVED, RMQ_ERR_PULL_OFFSET_MOVED,
            RMQ_ERR_PULL_OFFSET_MOVED, RMQ_OK,
            RMQ_ERR_PULL_NOT_FOUND,    RMQ_ERR_PULL_OFFSET_MOVED};
        for (i = 0; i < 4; i++)
                assert_int_equal(send_code(fx, fx->b0), 0);
        assert_int_equal(rmq_mock_queue_truncate(fx->mc, "TopicF", 0, 0, 1),
                         RMQ_OK);
        rmq_mock_push_request_errors_array(fx->mc, 0, RMQ_REQ_PULL_MESSAGE,
                                           RMQ_ARRAY_SIZE(pulls), pulls);
        /* NOT_FOUND and RETRY_IMMEDIATELY: the requested offset. */
        assert_string_equal(
            pull_header_is(fx, "TopicF", 2, RMQ_ERR_PULL_NOT_FOUND, 2, 1, 4),
            "[mock] injected PULL_NOT_FOUND");
        pull_header_is(fx, "TopicF", 3, RMQ_ERR_PULL_RETRY_IMMEDIATELY, 3, 1,
                       4);
        /* OFFSET_MOVED: what the broker would suggest (below min: min,
         * above max: max, else the offset). */
        pull_header_is(fx, "TopicF", 0, RMQ_ERR_PULL_OFFSET_MOVED, 1, 1, 4);
        pull_header_is(fx, "TopicF", 10, RMQ_ERR_PULL_OFFSET_MOVED, 4, 1, 4);
        pull_header_is(fx, "TopicF", 2, RMQ_ERR_PULL_OFFSET_MOVED, 2, 1, 4);
        /* An injected SUCCESS lets the request through. */
        resp = pull_at(fx, "TopicF", 1);
        assert_int_equal(resp->code, 0);
        assert_int_equal(mtc_count_msgs(resp), 3);
        assert_int_equal(ext_i64(resp, "nextBeginOffset"), 4);
        rmq__cmd_destroy(resp);
        /* A queue the broker does not have: offsets 0. */
        pull_header_is(fx, "NoSuchTopic", 5, RMQ_ERR_PULL_NOT_FOUND, 5, 0, 0);
        pull_header_is(fx, "NoSuchTopic", 5, RMQ_ERR_PULL_OFFSET_MOVED, 0, 0,
                       0);

        /* Sends: SUCCESS answers normally; the codes the Java client
         * decodes a SendMessageResponseHeader for are stored and carry
         * it (processSendResponse). */
        rmq_mock_push_request_errors(fx->mc, 1, RMQ_REQ_SEND_MESSAGE_V2, 3,
                                     RMQ_OK, RMQ_ERR_FLUSH_SLAVE_TIMEOUT,
                                     RMQ_ERR_SLAVE_NOT_AVAILABLE);
        for (i = 0; i < 3; i++) {
                static const int want[] = {RMQ_OK, RMQ_ERR_FLUSH_SLAVE_TIMEOUT,
                                           RMQ_ERR_SLAVE_NOT_AVAILABLE};
                resp                    = mtc_call(fx->c, fx->b1,
                                                   mtc_send_req("TopicF", 1, NULL, "x"));
                assert_int_equal(resp->code, want[i]);
                assert_int_equal(strlen(rmq__cmd_ext(resp, "msgId")), 32);
                assert_int_equal(ext_i64(resp, "queueId"), 1);
                assert_int_equal(ext_i64(resp, "queueOffset"), i);
                mtc_assert_ext(resp, "MSG_REGION", "DefaultRegion");
                rmq__cmd_destroy(resp);
        }
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, "TopicF", 1, 1), 3);
        /* A send that fails keeps its real answer. */
        rmq_mock_push_request_errors(fx->mc, 1, RMQ_REQ_SEND_MESSAGE_V2, 1,
                                     RMQ_ERR_FLUSH_DISK_TIMEOUT);
        resp = mtc_call(fx->c, fx->b1, mtc_send_req("a b", 1, NULL, "x"));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        rmq__cmd_destroy(resp);
        /* Other requests: SUCCESS is the real answer, with its header. */
        rmq_mock_push_request_errors(fx->mc, 0, RMQ_REQ_GET_MAX_OFFSET, 1,
                                     RMQ_OK);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_MAX_OFFSET, "topic", "TopicF",
                                "queueId", "0", NULL));
        assert_int_equal(resp->code, 0);
        assert_int_equal(ext_i64(resp, "offset"), 4);
        rmq__cmd_destroy(resp);
}

static void test_close_and_swallow(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp = NULL;
        rmq_err_t e;
        int64_t t0;
        rmq_mock_push_request_errors(fx->mc, 0, RMQ_REQ_SEND_MESSAGE_V2, 2,
                                     RMQ_ERR__TRANSPORT, RMQ_ERR__TIMED_OUT);
        e = mtc_try_call(fx->c, fx->b0, mtc_send_req("TopicF", 0, NULL, "x"),
                         3000, &resp);
        assert_int_equal(e, RMQ_ERR__TRANSPORT);
        t0 = rmq__mono_ms();
        e  = mtc_try_call(fx->c, fx->b0, mtc_send_req("TopicF", 0, NULL, "x"),
                          200, &resp);
        assert_int_equal(e, RMQ_ERR__TIMED_OUT);
        assert_true(rmq__mono_ms() - t0 >= 190);
        /* Nothing was stored; the next request is answered. */
        assert_int_equal(send_code(fx, fx->b0), 0);
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, "TopicF", 0, 0), 1);
}

static void ignore_cb(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                      void *opaque) {
        (void)err;
        (void)resp;
        (void)errstr;
        (void)opaque;
}

static bool stored_on_b1(void *arg) {
        return rmq_mock_queue_max_offset(arg, "TopicF", 1, 0) == 2;
}

static void test_rtt(void **state) {
        fx_t *fx = *state;
        int64_t t0;
        rmq_cmd_t *resp;
        assert_int_equal(rmq_mock_broker_set_rtt(fx->mc, 0, 150), RMQ_OK);
        assert_int_equal(rmq_mock_broker_set_rtt(fx->mc, 7, 150),
                         RMQ_ERR__INVALID_ARG);
        t0 = rmq__mono_ms();
        assert_int_equal(send_code(fx, fx->b0), 0);
        assert_true(rmq__mono_ms() - t0 >= 140);
        t0 = rmq__mono_ms();
        assert_int_equal(send_code(fx, fx->b1), 0);
        assert_true(rmq__mono_ms() - t0 < 140);
        assert_int_equal(rmq_mock_broker_set_rtt(fx->mc, 0, 0), RMQ_OK);
        assert_int_equal(rmq_mock_broker_set_rtt(fx->mc, -2, 120), RMQ_OK);
        t0   = rmq__mono_ms();
        resp = mtc_call(fx->c, fx->ns,
                        mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                "TopicF", NULL));
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        assert_true(rmq__mono_ms() - t0 >= 110);
        /* A delayed answer still pending at destroy is freed. */
        rmq_mock_broker_set_rtt(fx->mc, 1, 5000);
        resp = mtc_send_req("TopicF", 0, NULL, "x");
        rmq__remoting_invoke_async(fx->c->rm, fx->b1, resp, 10000, 0,
                                   ignore_cb, NULL);
        rmq__cmd_destroy(resp);
        assert_true(rmq_test_wait_until(stored_on_b1, fx->mc, 2000));
}

static void test_broker_down_up(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp = NULL;
        rmq_topic_route_data_t *r;
        rmq_mock_msg_t *m;
        char err[128];
        assert_int_equal(send_code(fx, fx->b0), 0);
        assert_int_equal(send_code(fx, fx->b0), 0);
        assert_int_equal(rmq_mock_broker_set_down(fx->mc, 0), RMQ_OK);
        assert_int_equal(rmq_mock_broker_set_down(fx->mc, 0), RMQ_OK);
        assert_int_not_equal(mtc_try_call(fx->c, fx->b0,
                                          mtc_send_req("TopicF", 0, NULL, "x"),
                                          1000, &resp),
                             RMQ_OK);
        /* Still routed until unregistered. */
        resp = mtc_call(fx->c, fx->ns,
                        mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                "TopicF", NULL));
        assert_int_equal(rmq__topic_route_decode(resp->body, resp->body_len,
                                                 &r, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(r->brokerDatas_cnt, 2);
        rmq__topic_route_destroy(r);
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_broker_set_registered(fx->mc, 0, 0), RMQ_OK);
        resp = mtc_call(fx->c, fx->ns,
                        mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                "TopicF", NULL));
        assert_int_equal(rmq__topic_route_decode(resp->body, resp->body_len,
                                                 &r, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(r->brokerDatas_cnt, 1);
        assert_string_equal(r->brokerDatas[0].brokerName, "broker-b");
        rmq__topic_route_destroy(r);
        rmq__cmd_destroy(resp);
        /* Data is kept while down; inspection still works. */
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, "TopicF", 0, 0), 2);
        assert_int_equal(rmq_mock_broker_set_up(fx->mc, 0), RMQ_OK);
        assert_int_equal(rmq_mock_broker_set_registered(fx->mc, 0, 1), RMQ_OK);
        assert_int_equal(send_code(fx, fx->b0), 0);
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, "TopicF", 0, 0), 3);
        assert_int_equal(rmq_mock_message_get(fx->mc, "TopicF", 0, 0, 0, &m),
                         RMQ_OK);
        rmq_mock_msg_destroy(m);
        assert_int_equal(rmq_mock_broker_set_down(fx->mc, 5),
                         RMQ_ERR__INVALID_ARG);
}

/* LOCK_BATCH_MQ of TopicF queue 0 of broker-a for client \p client. */
static void lock_q0(fx_t *fx, const char *client) {
        rmq_lock_batch_request_t lr;
        rmq_mq_t mq;
        rmq_buf_t b      = RMQ_BUF_INIT;
        rmq_cmd_t *req   = mtc_req(RMQ_REQ_LOCK_BATCH_MQ, NULL), *resp;
        lr.consumerGroup = (char *)"CG_F";
        lr.clientId      = (char *)client;
        mq.topic         = (char *)"TopicF";
        mq.brokerName    = (char *)"broker-a";
        mq.queueId       = 0;
        lr.mqSet         = &mq;
        lr.mqSet_cnt     = 1;
        rmq__lock_batch_request_encode(&lr, &b);
        rmq__cmd_set_body_copy(req, b.data, b.len);
        rmq__buf_free(&b);
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
}

typedef struct max_is_s {
        rmq_mock_cluster_t *mc;
        const char *topic;
        int broker_id, queue_id;
        int64_t min; /* at least */
} max_is_t;

static bool max_at_least(void *arg) {
        max_is_t *m = arg;
        return rmq_mock_queue_max_offset(m->mc, m->topic, m->broker_id,
                                         m->queue_id) >= m->min;
}

static bool committed_7(void *mc) {
        return rmq_mock_committed_offset(mc, "CG_F", "TopicF", 0, 0) == 7;
}

/* A stopped broker delivers no delayed message and runs no transaction
 * check while it is down (both resume when it is up); its queue locks
 * are gone after the restart (in memory on a real broker); its messages
 * and consumer offsets are kept. */
static void test_broker_down_keeps_state(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *req, *resp;
        char err[128], owner[64], g[24];
        max_is_t half = {fx->mc, "RMQ_SYS_TRANS_HALF_TOPIC", 0, 0, 2};
        max_is_t due  = {fx->mc, "TopicF", 0, 0, 1};
        /* 1 s -> 500 ms */
        assert_int_equal(rmq_mock_cluster_set(fx->mc, "delayTimeScale", "0.5",
                                              err, sizeof(err)),
                         RMQ_OK);
        mtc_heartbeat(fx->c, fx->b0, "1.1.1.1@x", "PG_F", NULL, NULL, NULL);
        /* A half message old enough to be checked at the next round. */
        snprintf(g, sizeof(g), "%lld", (long long)rmq__wall_ms() - 60000);
        req = mtc_send_req("TopicF", 1, NULL, "half");
        rmq__cmd_ext_add(req, "a", "PG_F");
        rmq__cmd_ext_add(req, "f", "4");
        rmq__cmd_ext_add(req, "g", g);
        rmq__cmd_ext_add(req, "i", "TRAN_MSG\001true\002PGROUP\001PG_F");
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        /* A delayed message (level 1). */
        req = mtc_send_req("TopicF", 0, NULL, "later");
        rmq__cmd_ext_add(req, "i", "DELAY\0011");
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        lock_q0(fx, "1.1.1.1@x");
        mtc_oneway(fx->c, fx->b0,
                   mtc_req(RMQ_REQ_UPDATE_CONSUMER_OFFSET, "consumerGroup",
                           "CG_F", "topic", "TopicF", "queueId", "0",
                           "commitOffset", "7", NULL));
        assert_true(rmq_test_wait_until(committed_7, fx->mc, 2000));
        assert_int_equal(rmq_mock_queue_lock_owner(fx->mc, "CG_F", "TopicF", 0,
                                                   0, owner, sizeof(owner)),
                         1);
        assert_int_equal(rmq_mock_broker_set_down(fx->mc, 0), RMQ_OK);
        assert_int_equal(rmq_mock_cluster_set(fx->mc,
                                              "transactionCheckInterval", "30",
                                              err, sizeof(err)),
                         RMQ_OK);
        rmq_test_sleep_ms(800); /* past the delay, many check rounds */
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, "TopicF", 0, 0), 0);
        assert_int_equal(
            rmq_mock_queue_max_offset(fx->mc, "RMQ_SYS_TRANS_HALF_TOPIC", 0, 0),
            1);
        assert_int_equal(rmq_mock_queue_lock_owner(fx->mc, "CG_F", "TopicF", 0,
                                                   0, owner, sizeof(owner)),
                         0);
        assert_int_equal(rmq_mock_broker_set_up(fx->mc, 0), RMQ_OK);
        /* Resumed: the overdue message is delivered, checks run again. */
        assert_true(rmq_test_wait_until(max_at_least, &due, 2000));
        assert_true(rmq_test_wait_until(max_at_least, &half, 2000));
        assert_int_equal(
            rmq_mock_committed_offset(fx->mc, "CG_F", "TopicF", 0, 0), 7);
        assert_int_equal(rmq_mock_queue_lock_owner(fx->mc, "CG_F", "TopicF", 0,
                                                   0, owner, sizeof(owner)),
                         0);
}

static bool members_are(void *arg) {
        void **a = arg;
        char **ids;
        size_t n;
        rmq_mock_group_members(a[0], a[1], -1, &ids, &n);
        rmq_mock_strings_destroy(ids, n);
        return n == (size_t)(intptr_t)a[2];
}

static void test_close_connections_and_expiry(void **state) {
        fx_t *fx = *state;
        void *args[3] = {fx->mc, (void *)"CG_F", (void *)(intptr_t)0};
        char err[128];
        mtc_heartbeat(fx->c, fx->b0, "1.1.1.1@x", NULL, "CG_F", "TopicF", "*");
        args[2] = (void *)(intptr_t)1;
        assert_true(members_are(args));
        rmq_mock_close_connections(fx->mc, 0);
        args[2] = (void *)(intptr_t)0;
        assert_true(rmq_test_wait_until(members_are, args, 2000));
        /* The client reconnects on its next call. */
        mtc_heartbeat(fx->c, fx->b0, "1.1.1.1@x", NULL, "CG_F", "TopicF", "*");
        args[2] = (void *)(intptr_t)1;
        assert_true(members_are(args));
        /* No heartbeat for channelExpiredTimeout: dropped and closed. */
        assert_int_equal(rmq_mock_cluster_set(fx->mc, "channelExpiredTimeout",
                                              "100", err, sizeof(err)),
                         RMQ_OK);
        args[2] = (void *)(intptr_t)0;
        assert_true(rmq_test_wait_until(members_are, args, 2000));
        rmq_mock_close_connections(fx->mc, -3);
}

/* A connection without requests or answers for
 * serverChannelMaxIdleTimeSeconds (120 s) is closed, as the broker's
 * NettyConnectManageHandler closes ALL_IDLE channels; its client leaves
 * its groups. Activity keeps it open. */
static void test_idle_connections_closed(void **state) {
        fx_t *fx      = *state;
        void *args[3] = {fx->mc, (void *)"CG_I", (void *)(intptr_t)1};
        char err[128];
        int i;
        assert_int_equal(rmq_mock_cluster_set(fx->mc,
                                              "serverChannelMaxIdleTimeSeconds",
                                              "1", err, sizeof(err)),
                         RMQ_OK);
        for (i = 0; i < 5; i++) {
                mtc_heartbeat(fx->c, fx->b0, "1.1.1.1@i", NULL, "CG_I",
                              "TopicF", "*");
                rmq_test_sleep_ms(400);
                assert_true(members_are(args));
        }
        args[2] = (void *)(intptr_t)0;
        assert_true(rmq_test_wait_until(members_are, args, 4000));
        /* The client reconnects on its next call. */
        mtc_heartbeat(fx->c, fx->b0, "1.1.1.1@i", NULL, "CG_I", "TopicF", "*");
        args[2] = (void *)(intptr_t)1;
        assert_true(members_are(args));
}

static void test_notify_api(void **state) {
        fx_t *fx = *state;
        mtc_heartbeat(fx->c, fx->b1, "1.1.1.1@x", NULL, "CG_N", "TopicF", "*");
        assert_int_equal(rmq_mock_group_notify_ids_changed(fx->mc, "CG_N"),
                         RMQ_OK);
        assert_true(mtc_inbox_wait(fx->c, RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED,
                                   1, 2000));
        assert_int_equal(rmq_mock_group_notify_ids_changed(fx->mc, "nobody"),
                         RMQ_ERR__NOT_FOUND);
}

static void test_tracking(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        assert_int_equal(send_code(fx, fx->b0), 0);
        assert_int_equal(rmq_mock_request_count(fx->mc, -3,
                                                RMQ_REQ_SEND_MESSAGE_V2),
                         0);
        rmq_mock_start_request_tracking(fx->mc);
        send_code(fx, fx->b0);
        send_code(fx, fx->b0);
        send_code(fx, fx->b1);
        resp = mtc_call(fx->c, fx->ns,
                        mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                "TopicF", NULL));
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_request_count(fx->mc, 0,
                                                RMQ_REQ_SEND_MESSAGE_V2),
                         2);
        assert_int_equal(rmq_mock_request_count(fx->mc, -1,
                                                RMQ_REQ_SEND_MESSAGE_V2),
                         3);
        assert_int_equal(rmq_mock_request_count(fx->mc, -2,
                                                RMQ_REQ_GET_ROUTEINFO_BY_TOPIC),
                         1);
        assert_int_equal(rmq_mock_request_count(fx->mc, -3,
                                                RMQ_REQ_GET_ROUTEINFO_BY_TOPIC),
                         1);
        assert_int_equal(rmq_mock_request_count(fx->mc, -2,
                                                RMQ_REQ_SEND_MESSAGE_V2),
                         0);
        rmq_mock_start_request_tracking(fx->mc);
        assert_int_equal(rmq_mock_request_count(fx->mc, -1,
                                                RMQ_REQ_SEND_MESSAGE_V2),
                         0);
        rmq_mock_stop_request_tracking(fx->mc);
        send_code(fx, fx->b0);
        assert_int_equal(rmq_mock_request_count(fx->mc, -1,
                                                RMQ_REQ_SEND_MESSAGE_V2),
                         0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_error_codes, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_injected_headers, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_close_and_swallow, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_rtt, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_broker_down_up, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_broker_down_keeps_state, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_close_connections_and_expiry,
                                            setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_idle_connections_closed, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_notify_api, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_tracking, setup, mtc_fx_teardown),
        };
        return cmocka_run_group_tests_name("mock_faults", tests, NULL, NULL);
}
