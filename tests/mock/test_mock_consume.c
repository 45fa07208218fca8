/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mock cluster, stage 2: PULL_MESSAGE (statuses, tag filtering, long
 * polling, commit offsets), consumer lists, consumer offsets, queue locks,
 * offset and message queries, and the admin views.
 */
#include "common/rmq_net.h"
#include "common/rmq_time.h"
#include "mock_client.h"
#include "protocol/rmq_bodies.h"

typedef mtc_fx_t fx_t;

#define T  "TopicC"
#define CG "CG_C"

static int setup(void **state) {
        fx_t *fx = mtc_fx_new(1);
        if (!fx)
                return -1;
        rmq_mock_topic_create(fx->mc, T, -1, 4, 4);
        *state = fx;
        return 0;
}

static rmq_cmd_t *pull(fx_t *fx, int qid, int64_t off, int max, int flag,
                       const char *sub) {
        return mtc_call(fx->c, fx->b0,
                        mtc_pull_req(CG, T, qid, off, max, flag, 0, sub, 0));
}

static int64_t ext_i64(const rmq_cmd_t *cmd, const char *key) {
        int64_t v = -99;
        if (rmq__cmd_ext_i64(cmd, key, &v))
                fail_msg("ext %s missing", key);
        return v;
}

static void test_pull_found_and_statuses(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        rmq_rd_t rd;
        rmq_msg_view_t mv;
        int i;
        for (i = 0; i < 5; i++)
                mtc_send(fx->c, fx->b0, T, 1, "TagA", "body");
        mtc_heartbeat(fx->c, fx->b0, "c@1", NULL, CG, T, "*");
        resp = pull(fx, 1, 1, 3, RMQ_PULL_FLAG_SUSPEND, NULL);
        assert_int_equal(resp->code, 0);
        assert_string_equal(resp->remark, "FOUND");
        assert_int_equal(ext_i64(resp, "nextBeginOffset"), 4);
        assert_int_equal(ext_i64(resp, "minOffset"), 0);
        assert_int_equal(ext_i64(resp, "maxOffset"), 5);
        assert_int_equal(ext_i64(resp, "suggestWhichBrokerId"), 0);
        assert_int_equal(mtc_count_msgs(resp), 3);
        rmq__rd_init(&rd, resp->body, resp->body_len);
        assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_OK);
        assert_int_equal(mv.magicCode, RMQ_MSG_MAGIC_V1);
        assert_int_equal(mv.queueOffset, 1);
        assert_int_equal(mv.queueId, 1);
        assert_int_equal(mv.bodyCRC, rmq__crc32_java("body", 4));
        assert_int_equal(mv.storeHost.port,
                         atoi(strrchr(fx->b0, ':') + 1));
        rmq__cmd_destroy(resp);
        /* At the end: OFFSET_OVERFLOW_ONE -> PULL_NOT_FOUND (no suspend). */
        resp = pull(fx, 1, 5, 32, 0, NULL);
        assert_int_equal(resp->code, RMQ_ERR_PULL_NOT_FOUND);
        assert_string_equal(resp->remark, "OFFSET_OVERFLOW_ONE");
        assert_int_equal(ext_i64(resp, "nextBeginOffset"), 5);
        rmq__cmd_destroy(resp);
        /* Beyond: OFFSET_OVERFLOW_BADLY -> PULL_OFFSET_MOVED to max. */
        resp = pull(fx, 1, 9, 32, 0, NULL);
        assert_int_equal(resp->code, RMQ_ERR_PULL_OFFSET_MOVED);
        assert_string_equal(resp->remark, "OFFSET_OVERFLOW_BADLY");
        assert_int_equal(ext_i64(resp, "nextBeginOffset"), 5);
        rmq__cmd_destroy(resp);
        /* Empty queue: offset 0 -> NOT_FOUND, else OFFSET_MOVED to 0. */
        resp = pull(fx, 2, 0, 32, 0, NULL);
        assert_int_equal(resp->code, RMQ_ERR_PULL_NOT_FOUND);
        assert_string_equal(resp->remark, "NO_MESSAGE_IN_QUEUE");
        rmq__cmd_destroy(resp);
        resp = pull(fx, 2, 3, 32, 0, NULL);
        assert_int_equal(resp->code, RMQ_ERR_PULL_OFFSET_MOVED);
        assert_int_equal(ext_i64(resp, "nextBeginOffset"), 0);
        rmq__cmd_destroy(resp);
        /* Truncated: OFFSET_TOO_SMALL -> PULL_OFFSET_MOVED to min. */
        assert_int_equal(rmq_mock_queue_truncate(fx->mc, T, 0, 1, 2), RMQ_OK);
        assert_int_equal(rmq_mock_queue_truncate(fx->mc, "nope", 0, 1, 2),
                         RMQ_ERR__NOT_FOUND);
        resp = pull(fx, 1, 0, 32, 0, NULL);
        assert_int_equal(resp->code, RMQ_ERR_PULL_OFFSET_MOVED);
        assert_string_equal(resp->remark, "OFFSET_TOO_SMALL");
        assert_int_equal(ext_i64(resp, "nextBeginOffset"), 2);
        assert_int_equal(ext_i64(resp, "minOffset"), 2);
        rmq__cmd_destroy(resp);
}

static void test_pull_errors(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        resp = pull(fx, 0, 0, 32, 0, NULL);
        assert_int_equal(resp->code, RMQ_ERR_SUBSCRIPTION_NOT_EXIST);
        assert_true(!strncmp(resp->remark, "the consumer's group info not exist",
                             35));
        assert_true(resp->ext_present);
        assert_int_equal(resp->ext_cnt, 0);
        rmq__cmd_destroy(resp);
        mtc_heartbeat(fx->c, fx->b0, "c@1", NULL, CG, "Other", "*");
        resp = pull(fx, 0, 0, 32, 0, NULL);
        assert_int_equal(resp->code, RMQ_ERR_SUBSCRIPTION_NOT_EXIST);
        rmq__cmd_destroy(resp);
        /* The heartbeat's subVersion (1) is older than the pull's. */
        mtc_heartbeat(fx->c, fx->b0, "c@1", NULL, CG, T, "*");
        resp = mtc_call(fx->c, fx->b0,
                        mtc_pull_req(CG, T, 0, 0, 32, 0, 0, NULL, 2));
        assert_int_equal(resp->code, RMQ_ERR_SUBSCRIPTION_NOT_LATEST);
        assert_string_equal(resp->remark,
                            "the consumer's subscription not latest");
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_pull_req(CG, "NoTopic", 0, 0, 32, 0, 0, NULL, 0));
        assert_int_equal(resp->code, RMQ_ERR_TOPIC_NOT_EXIST);
        rmq__cmd_destroy(resp);
        resp = pull(fx, 7, 0, 32, 0, NULL);
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_true(!strncmp(resp->remark, "queueId[7] is illegal, topic:[TopicC]",
                             37));
        rmq__cmd_destroy(resp);
        rmq_mock_topic_set_perm(fx->mc, T, 0, 2);
        resp = pull(fx, 0, 0, 32, 0, NULL);
        assert_int_equal(resp->code, RMQ_ERR_NO_PERMISSION);
        assert_string_equal(resp->remark,
                            "the topic[TopicC] pulling message is forbidden");
        rmq__cmd_destroy(resp);
        rmq_mock_topic_set_perm(fx->mc, T, 0, 6);
        /* A negative maxMsgNums fails only where messages are read
         * (new GetMessageResult(maxMsgNums) in DefaultMessageStore
         * #getMessage): an empty queue or an offset at or past the end is
         * answered as usual. */
        resp = pull(fx, 0, 0, -1, 0, NULL);
        assert_int_equal(resp->code, RMQ_ERR_PULL_NOT_FOUND);
        rmq__cmd_destroy(resp);
        mtc_send(fx->c, fx->b0, T, 0, NULL, "x");
        resp = pull(fx, 0, 1, -1, 0, NULL);
        assert_int_equal(resp->code, RMQ_ERR_PULL_NOT_FOUND);
        rmq__cmd_destroy(resp);
        resp = pull(fx, 0, 5, -1, 0, NULL);
        assert_int_equal(resp->code, RMQ_ERR_PULL_OFFSET_MOVED);
        rmq__cmd_destroy(resp);
        resp = pull(fx, 0, 0, -1, 0, NULL);
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark, "java.lang.IllegalArgumentException: "
                                          "Illegal Capacity: -1");
        assert_int_equal(resp->ext_cnt, 0);
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_PULL_MESSAGE, "consumerGroup", CG,
                                NULL));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        rmq__cmd_destroy(resp);
}

static void test_pull_tag_filter_and_subscription_flag(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        const int lite = RMQ_PULL_FLAG_LITE_PULL | RMQ_PULL_FLAG_SUBSCRIPTION;
        mtc_send(fx->c, fx->b0, T, 0, "TagB", "b0");
        mtc_send(fx->c, fx->b0, T, 0, "TagA", "a1");
        mtc_send(fx->c, fx->b0, T, 0, NULL, "untagged");
        mtc_send(fx->c, fx->b0, T, 0, "TagA", "a3");
        /* From the heartbeat's subscription (tag hash codes). */
        mtc_heartbeat(fx->c, fx->b0, "c@1", NULL, CG, T, "TagA || TagC");
        resp = pull(fx, 0, 0, 32, 0, NULL);
        assert_int_equal(resp->code, 0);
        assert_int_equal(mtc_count_msgs(resp), 2);
        assert_int_equal(ext_i64(resp, "nextBeginOffset"), 4);
        rmq__cmd_destroy(resp);
        /* Only non-matching messages: NO_MATCHED_MESSAGE. */
        resp = pull(fx, 0, 0, 1, 0, NULL);
        assert_int_equal(resp->code, 0);
        assert_int_equal(mtc_count_msgs(resp), 1);
        assert_int_equal(ext_i64(resp, "nextBeginOffset"), 2);
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_pull_req(CG, T, 0, 0, 32, lite, 0, "TagZ", 0));
        assert_int_equal(resp->code, RMQ_ERR_PULL_RETRY_IMMEDIATELY);
        assert_string_equal(resp->remark, "NO_MATCHED_MESSAGE");
        assert_int_equal(ext_i64(resp, "nextBeginOffset"), 4);
        rmq__cmd_destroy(resp);
        /* The request's own subscription (lite pull), no heartbeat needed. */
        resp = mtc_call(fx->c, fx->b0,
                        mtc_pull_req("CG_LITE", T, 0, 0, 32, lite, 0, "TagB",
                                     0));
        assert_int_equal(resp->code, 0);
        assert_int_equal(mtc_count_msgs(resp), 1);
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_pull_req("CG_LITE", T, 0, 0, 32, lite, 0, "*", 0));
        assert_int_equal(mtc_count_msgs(resp), 4);
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_pull_req("CG_LITE", T, 0, 0, 32, lite, 0, "||", 0));
        assert_int_equal(resp->code, RMQ_ERR_SUBSCRIPTION_PARSE_FAILED);
        rmq__cmd_destroy(resp);
        /* FLAG_COMMIT_OFFSET stores the request's commitOffset. */
        {
                rmq_cmd_t *req = mtc_pull_req(CG, T, 0, 0, 32,
                                              RMQ_PULL_FLAG_COMMIT_OFFSET, 0,
                                              NULL, 0);
                rmq__cmd_ext_add(req, "commitOffset", "3");
                resp = mtc_call(fx->c, fx->b0, req);
                rmq__cmd_destroy(resp);
        }
        assert_int_equal(rmq_mock_committed_offset(fx->mc, CG, T, 0, 0), 3);
        assert_int_equal(rmq_mock_committed_offset(fx->mc, CG, T, 0, 1), -1);
}

static void set_opt(fx_t *fx, const char *name, const char *value) {
        char err[128];
        assert_int_equal(
            rmq_mock_cluster_set(fx->mc, name, value, err, sizeof(err)),
            RMQ_OK);
}

/* A pull held for \p suspend_ms at \p off of queue \p qid (group
 * subscription). */
static void held_pull(fx_t *fx, int qid, int64_t off, int64_t suspend_ms,
                      mtc_async_t *a) {
        mtc_async_start(fx->c, fx->b0,
                        mtc_pull_req(CG, T, qid, off, 32, RMQ_PULL_FLAG_SUSPEND,
                                     suspend_ms, NULL, 0),
                        30000, a);
}

/* PullRequestHoldService with longPollingEnable: a message arriving wakes
 * the held pulls whose filter (the subscription when held) accepts its
 * tags; the periodic check (every 5 s, longPollingCheckInterval here)
 * wakes those whose queue's max offset passed their offset whatever the
 * tags, and those whose hold time is over. */
/* True once queue 1 of T on broker 0 has no live lock of CG. */
static bool lock_gone(void *arg) {
        char owner[128];
        return rmq_mock_queue_lock_owner(arg, CG, T, 0, 1, owner,
                                         sizeof(owner)) == 0;
}

static void test_long_polling(void **state) {
        fx_t *fx = *state;
        mtc_async_t a;
        rmq_cmd_t *resp, *hb;
        int64_t t0;
        mtc_heartbeat(fx->c, fx->b0, "c@1", NULL, CG, T, "TagA");
        /* Held, then answered when a matching message arrives. */
        held_pull(fx, 0, 0, 5000, &a);
        mtc_barrier(fx->c, fx->b0);
        assert_false(mtc_async_done(&a));
        mtc_send(fx->c, fx->b0, T, 0, "TagX", "no match"); /* not woken */
        mtc_send(fx->c, fx->b0, T, 1, "TagA", "other queue");
        mtc_barrier(fx->c, fx->b0);
        assert_false(mtc_async_done(&a));
        t0 = rmq__mono_ms();
        mtc_send(fx->c, fx->b0, T, 0, "TagA", "match");
        resp = mtc_async_wait(&a, 2000);
        assert_true(rmq__mono_ms() - t0 < 1000);
        assert_int_equal(resp->code, 0);
        assert_int_equal(mtc_count_msgs(resp), 1);
        assert_int_equal(ext_i64(resp, "nextBeginOffset"), 2);
        rmq__cmd_destroy(resp);

        /* The periodic check wakes a pull a non-matching message passed:
         * NO_MATCHED_MSG with nextBeginOffset past it, long before the
         * suspend timeout. */
        set_opt(fx, "longPollingCheckInterval", "100");
        held_pull(fx, 0, 2, 15000, &a);
        mtc_barrier(fx->c, fx->b0);
        mtc_send(fx->c, fx->b0, T, 0, "TagX", "no match either");
        t0   = rmq__mono_ms();
        resp = mtc_async_wait(&a, 3000);
        assert_true(rmq__mono_ms() - t0 < 2000);
        assert_int_equal(resp->code, RMQ_ERR_PULL_RETRY_IMMEDIATELY);
        assert_string_equal(resp->remark, "NO_MATCHED_MESSAGE");
        assert_int_equal(ext_i64(resp, "nextBeginOffset"), 3);
        rmq__cmd_destroy(resp);

        /* The hold time is over at the first check after it: with checks
         * every second (the timer restarts now), a 200 ms hold is
         * answered after about a second. */
        set_opt(fx, "longPollingCheckInterval", "1000");
        t0 = rmq__mono_ms();
        held_pull(fx, 0, 3, 200, &a);
        resp = mtc_async_wait(&a, 5000);
        assert_true(rmq__mono_ms() - t0 >= 900);
        assert_int_equal(resp->code, RMQ_ERR_PULL_NOT_FOUND);
        assert_string_equal(resp->remark, "OFFSET_OVERFLOW_ONE");
        rmq__cmd_destroy(resp);
        set_opt(fx, "longPollingCheckInterval", "5000");

        /* The filter is the subscription when the pull was held: a
         * newer subscription's tag does not wake it; the re-run answers
         * with the current subscription. */
        held_pull(fx, 2, 0, 15000, &a);
        mtc_barrier(fx->c, fx->b0);
        hb = mtc_call(fx->c, fx->b0,
                      mtc_heartbeat_req("c@1", NULL, CG, T, "TagB", 2));
        assert_int_equal(hb->code, 0);
        rmq__cmd_destroy(hb);
        mtc_send(fx->c, fx->b0, T, 2, "TagB", "new sub");
        mtc_barrier(fx->c, fx->b0);
        assert_false(mtc_async_done(&a));
        mtc_send(fx->c, fx->b0, T, 2, "TagA", "old sub");
        resp = mtc_async_wait(&a, 2000);
        assert_int_equal(resp->code, 0);
        assert_int_equal(mtc_count_msgs(resp), 1); /* the TagB one */
        assert_int_equal(ext_i64(resp, "nextBeginOffset"), 2);
        rmq__cmd_destroy(resp);
}

/* With longPollingEnable off a pull is held for shortPollingTimeMills and
 * checked every shortPollingTimeMills; a message arriving does not wake
 * it (the store notifies only with long polling). */
static void test_short_polling(void **state) {
        fx_t *fx = *state;
        mtc_async_t a;
        rmq_cmd_t *resp;
        int64_t t0;
        mtc_heartbeat(fx->c, fx->b0, "c@1", NULL, CG, T, "TagA");
        set_opt(fx, "longPollingEnable", "false");
        set_opt(fx, "shortPollingTimeMills", "1000"); /* the timer restarts */
        held_pull(fx, 0, 0, 15000, &a);
        mtc_barrier(fx->c, fx->b0);
        t0 = rmq__mono_ms();
        mtc_send(fx->c, fx->b0, T, 0, "TagA", "match");
        /* short polling: no wake-up on arrival */
        mtc_barrier(fx->c, fx->b0);
        assert_false(mtc_async_done(&a));
        resp = mtc_async_wait(&a, 5000);
        assert_true(rmq__mono_ms() - t0 >= 700);
        assert_int_equal(resp->code, 0);
        assert_int_equal(mtc_count_msgs(resp), 1);
        rmq__cmd_destroy(resp);
        /* Nothing arrives: answered after about shortPollingTimeMills, not
         * the pull's suspend timeout. */
        set_opt(fx, "shortPollingTimeMills", "100");
        t0 = rmq__mono_ms();
        held_pull(fx, 0, 1, 15000, &a);
        resp = mtc_async_wait(&a, 5000);
        assert_true(rmq__mono_ms() - t0 < 2000);
        assert_int_equal(resp->code, RMQ_ERR_PULL_NOT_FOUND);
        rmq__cmd_destroy(resp);
}

/* A held pull whose connection closes is dropped; one held at destroy is
 * freed. */
static void test_held_pull_dropped(void **state) {
        fx_t *fx = *state;
        mtc_async_t a, a2;
        mtc_t *c2 = mtc_new();
        mtc_async_start(
            c2, fx->b0,
            mtc_pull_req(CG, T, 0, 0, 32,
                         RMQ_PULL_FLAG_SUSPEND | RMQ_PULL_FLAG_SUBSCRIPTION,
                         15000, "*", 0),
            20000, &a2);
        mtc_barrier(c2, fx->b0);
        rmq_mock_close_connections(fx->mc, 0);
        assert_true(rmq_test_wait_until(mtc_async_done_cond, &a2, 2000));
        assert_int_equal(a2.err, RMQ_ERR__TRANSPORT);
        uv_mutex_destroy(&a2.lock);
        mtc_destroy(c2);
        mtc_heartbeat(fx->c, fx->b0, "c@1", NULL, CG, T, "TagA");
        held_pull(fx, 3, 0, 15000, &a);
        mtc_barrier(fx->c, fx->b0);
        assert_false(mtc_async_done(&a));
        rmq_mock_cluster_destroy(fx->mc);
        fx->mc = NULL;
        assert_true(rmq_test_wait_until(mtc_async_done_cond, &a, 2000));
        assert_int_not_equal(a.err, RMQ_OK);
        uv_mutex_destroy(&a.lock);
}

static void test_consumer_list_and_offsets(void **state) {
        fx_t *fx = *state;
        mtc_t *c2 = mtc_new();
        rmq_cmd_t *resp;
        char **ids;
        size_t n;
        char err[64];
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP,
                                "consumerGroup", CG, NULL));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark, "no consumer for this group, CG_C");
        assert_true(resp->ext_present);
        rmq__cmd_destroy(resp);
        mtc_heartbeat(fx->c, fx->b0, "c@1", NULL, CG, T, "*");
        mtc_heartbeat(c2, fx->b0, "c@2", NULL, CG, T, "*");
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP,
                                "consumerGroup", CG, NULL));
        assert_int_equal(resp->code, 0);
        assert_int_equal(rmq__consumer_list_decode(resp->body, resp->body_len,
                                                   &ids, &n, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(n, 2);
        assert_string_equal(ids[0], "c@1");
        rmq__strv_free(ids);
        rmq__cmd_destroy(resp);
        mtc_destroy(c2);

        /* No committed offset: 0 while the queue starts at 0. */
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_QUERY_CONSUMER_OFFSET, "consumerGroup",
                                CG, "topic", T, "queueId", "1", NULL));
        assert_int_equal(resp->code, 0);
        mtc_assert_ext(resp, "offset", "0");
        rmq__cmd_destroy(resp);
        mtc_oneway(fx->c, fx->b0,
                   mtc_req(RMQ_REQ_UPDATE_CONSUMER_OFFSET, "consumerGroup", CG,
                           "topic", T, "queueId", "1", "commitOffset", "7",
                           NULL));
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_QUERY_CONSUMER_OFFSET, "consumerGroup",
                                CG, "topic", T, "queueId", "1", NULL));
        assert_int_equal(resp->code, 0);
        mtc_assert_ext(resp, "offset", "7");
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_UPDATE_CONSUMER_OFFSET, "consumerGroup",
                                CG, "topic", T, "queueId", "2", "commitOffset",
                                "1", NULL));
        assert_int_equal(resp->code, 0);
        assert_true(resp->ext_present);
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_committed_offset(fx->mc, CG, T, 0, 2), 1);
        /* The queue no longer starts at 0: QUERY_NOT_FOUND. */
        mtc_send(fx->c, fx->b0, T, 3, NULL, "x");
        mtc_send(fx->c, fx->b0, T, 3, NULL, "y");
        rmq_mock_queue_truncate(fx->mc, T, 0, 3, 1);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_QUERY_CONSUMER_OFFSET, "consumerGroup",
                                CG, "topic", T, "queueId", "3", NULL));
        assert_int_equal(resp->code, RMQ_ERR_QUERY_NOT_FOUND);
        assert_string_equal(resp->remark,
                            "Not found, V3_0_6_SNAPSHOT maybe this group "
                            "consumer boot first");
        rmq__cmd_destroy(resp);
}

static rmq_cmd_t *lock_req(int code, const char *client, int q0, int q1) {
        rmq_lock_batch_request_t lr;
        rmq_mq_t mqs[2];
        rmq_buf_t b    = RMQ_BUF_INIT;
        rmq_cmd_t *req = mtc_req(code, NULL);
        lr.consumerGroup = (char *)CG;
        lr.clientId      = (char *)client;
        mqs[0].topic = mqs[1].topic = (char *)T;
        mqs[0].brokerName = mqs[1].brokerName = (char *)"broker-a";
        mqs[0].queueId = q0;
        mqs[1].queueId = q1;
        lr.mqSet       = mqs;
        lr.mqSet_cnt   = q1 >= 0 ? 2 : 1;
        rmq__lock_batch_request_encode(&lr, &b);
        rmq__cmd_set_body_copy(req, b.data, b.len);
        rmq__buf_free(&b);
        return req;
}

static size_t locked_cnt(fx_t *fx, const char *client, int q0, int q1) {
        rmq_cmd_t *resp = mtc_call(fx->c, fx->b0,
                                   lock_req(RMQ_REQ_LOCK_BATCH_MQ, client, q0,
                                            q1));
        rmq_mq_t *mqs;
        size_t n;
        char err[64];
        assert_int_equal(resp->code, 0);
        assert_int_equal(rmq__lock_batch_response_decode(resp->body,
                                                         resp->body_len, &mqs,
                                                         &n, err, sizeof(err)),
                         RMQ_OK);
        rmq__mq_array_free(mqs, n);
        rmq__cmd_destroy(resp);
        return n;
}

static bool lock_free_q3(void *mc) {
        return !rmq_mock_queue_lock_owner(mc, CG, T, 0, 3, NULL, 0);
}

static void test_locks(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        char owner[64], err[64];
        assert_int_equal(locked_cnt(fx, "A", 0, 1), 2);
        assert_int_equal(locked_cnt(fx, "A", 0, 1), 2); /* renewed */
        assert_int_equal(locked_cnt(fx, "B", 0, 2), 1); /* only q2 */
        assert_int_equal(rmq_mock_queue_lock_owner(fx->mc, CG, T, 0, 0, owner,
                                                   sizeof(owner)),
                         1);
        assert_string_equal(owner, "A");
        assert_int_equal(rmq_mock_queue_lock_owner(fx->mc, CG, T, 0, 3, owner,
                                                   sizeof(owner)),
                         0);
        /* Unlock by a non-owner is ignored; by the owner it frees. */
        resp = mtc_call(fx->c, fx->b0,
                        lock_req(RMQ_REQ_UNLOCK_BATCH_MQ, "B", 0, -1));
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        assert_int_equal(locked_cnt(fx, "B", 0, -1), 0);
        resp = mtc_call(fx->c, fx->b0,
                        lock_req(RMQ_REQ_UNLOCK_BATCH_MQ, "A", 0, -1));
        rmq__cmd_destroy(resp);
        assert_int_equal(locked_cnt(fx, "B", 0, -1), 1);
        /* Expiry. */
        assert_int_equal(rmq_mock_cluster_set(fx->mc, "lockExpiry", "50", err,
                                              sizeof(err)),
                         RMQ_OK);
        assert_true(rmq_test_wait_until(lock_gone, fx->mc, 2000));
        assert_int_equal(locked_cnt(fx, "B", 1, -1), 1);
        /* Locking again by the owner renews (RebalanceLockManager's
         * LockEntry#setLastUpdateTimestamp): held past the first
         * expiry, refused to others, then expired. */
        assert_int_equal(rmq_mock_cluster_set(fx->mc, "lockExpiry", "1000", err,
                                              sizeof(err)),
                         RMQ_OK);
        assert_int_equal(locked_cnt(fx, "C", 3, -1), 1);
        rmq_test_sleep_ms(600);
        assert_int_equal(locked_cnt(fx, "C", 3, -1), 1); /* renewed */
        rmq_test_sleep_ms(700); /* past the first lock's expiry */
        assert_int_equal(rmq_mock_queue_lock_owner(fx->mc, CG, T, 0, 3, owner,
                                                   sizeof(owner)),
                         1);
        assert_string_equal(owner, "C");
        assert_int_equal(locked_cnt(fx, "D", 3, -1), 0);
        assert_true(rmq_test_wait_until(lock_free_q3, fx->mc, 3000));
        assert_int_equal(locked_cnt(fx, "D", 3, -1), 1);
        /* Bad body. */
        {
                rmq_cmd_t *req = mtc_req(RMQ_REQ_LOCK_BATCH_MQ, NULL);
                rmq__cmd_set_body_copy(req, "{]", 2);
                resp = mtc_call(fx->c, fx->b0, req);
                assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
                rmq__cmd_destroy(resp);
        }
}

static void test_queries(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp, *req;
        rmq_mock_msg_t *m;
        int64_t ts, i;
        char buf[64];
        for (i = 0; i < 3; i++) {
                req = mtc_send_req(T, 2, "Q", "q");
                snprintf(buf, sizeof(buf), "UNIQ_KEY\001U%lld\002KEYS\001k%lld shared",
                         (long long)i, (long long)i);
                rmq__cmd_ext_add(req, "i", buf);
                rmq__cmd_destroy(mtc_call(fx->c, fx->b0, req));
                rmq_test_sleep_ms(3);
        }
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_MAX_OFFSET, "topic", T, "queueId",
                                "2", NULL));
        mtc_assert_ext(resp, "offset", "3");
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_MAX_OFFSET, "topic", "nope",
                                "queueId", "2", NULL));
        mtc_assert_ext(resp, "offset", "0");
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_MIN_OFFSET, "topic", T, "queueId",
                                "2", NULL));
        mtc_assert_ext(resp, "offset", "0");
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_message_get(fx->mc, T, 0, 2, 1, &m), RMQ_OK);
        ts = rmq_mock_msg_store_timestamp(m);
        rmq_mock_msg_destroy(m);
        snprintf(buf, sizeof(buf), "%lld", (long long)ts);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP, "topic", T,
                                "queueId", "2", "timestamp", buf, NULL));
        mtc_assert_ext(resp, "offset", "1");
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP, "topic", T,
                                "queueId", "2", "timestamp", "1", NULL));
        mtc_assert_ext(resp, "offset", "0");
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP, "topic", T,
                                "queueId", "2", "timestamp",
                                "99999999999999", NULL));
        mtc_assert_ext(resp, "offset", "2");
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_EARLIEST_MSG_STORETIME, "topic", T,
                                "queueId", "0", NULL));
        mtc_assert_ext(resp, "timestamp", "-1");
        rmq__cmd_destroy(resp);
        /* VIEW_MESSAGE_BY_ID by commit log offset. */
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_VIEW_MESSAGE_BY_ID, "offset", "0",
                                NULL));
        assert_int_equal(resp->code, 0);
        assert_int_equal(mtc_count_msgs(resp), 1);
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_VIEW_MESSAGE_BY_ID, "offset", "5",
                                NULL));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark,
                            "can not find message by the offset, 5");
        rmq__cmd_destroy(resp);
        /* QUERY_MESSAGE by key and by unique key. */
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_QUERY_MESSAGE, "topic", T, "key",
                                "shared", "maxNum", "2", "beginTimestamp", "0",
                                "endTimestamp", "99999999999999", NULL));
        assert_int_equal(resp->code, 0);
        assert_int_equal(mtc_count_msgs(resp), 2);
        assert_non_null(rmq__cmd_ext(resp, "indexLastUpdateTimestamp"));
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_QUERY_MESSAGE, "topic", T, "key", "U1",
                                "maxNum", "32", "beginTimestamp", "0",
                                "endTimestamp", "99999999999999",
                                "_UNIQUE_KEY_QUERY", "true", NULL));
        assert_int_equal(mtc_count_msgs(resp), 1);
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_QUERY_MESSAGE, "topic", T, "key", "k1",
                                "maxNum", "32", "beginTimestamp", "0",
                                "endTimestamp", "1", NULL));
        assert_int_equal(resp->code, RMQ_ERR_QUERY_NOT_FOUND);
        rmq__cmd_destroy(resp);
        /* A queue with messages: the store time of its first, also after
         * the oldest are gone. */
        for (i = 0; i < 2; i++) {
                rmq_mock_msg_t *first;
                char want[24];
                assert_int_equal(
                    rmq_mock_message_get(fx->mc, T, 0, 2, i, &first), RMQ_OK);
                snprintf(want, sizeof(want), "%lld",
                         (long long)rmq_mock_msg_store_timestamp(first));
                rmq_mock_msg_destroy(first);
                resp = mtc_call(fx->c, fx->b0,
                                mtc_req(RMQ_REQ_GET_EARLIEST_MSG_STORETIME,
                                        "topic", T, "queueId", "2", NULL));
                mtc_assert_ext(resp, "timestamp", want);
                rmq__cmd_destroy(resp);
                if (!i)
                        assert_int_equal(
                            rmq_mock_queue_truncate(fx->mc, T, 0, 2, 1),
                            RMQ_OK);
        }
}

/* The commit log offset and store time of the message at \p off. */
static void stored_at(fx_t *fx, const char *topic, int qid, int64_t off,
                      int64_t *phyp, int64_t *tsp) {
        rmq_mock_msg_t *m;
        rmq_msg_host_t host;
        const char *id;
        assert_int_equal(rmq_mock_message_get(fx->mc, topic, 0, qid, off, &m),
                         RMQ_OK);
        id = rmq_mock_msg_offset_msg_id(m);
        assert_int_equal(rmq__offset_msg_id_decode(id, strlen(id), &host,
                                                   phyp),
                         RMQ_OK);
        *tsp = rmq_mock_msg_store_timestamp(m);
        rmq_mock_msg_destroy(m);
}

/* A found QUERY_MESSAGE answer carries the last index file's end values
 * (IndexService#queryOffset): the store time and commit log offset of
 * the last message indexed by a key (UNIQ_KEY or KEYS, any topic). A not
 * found answer has 0 and 0: DefaultMessageStore#queryMessage stops before
 * it copies them when the index gave no offset. */
static void assert_index_last(fx_t *fx, int want_code, int64_t phy,
                              int64_t ts) {
        rmq_cmd_t *resp = mtc_call(
            fx->c, fx->b0,
            mtc_req(RMQ_REQ_QUERY_MESSAGE, "topic", T, "key", "k1", "maxNum",
                    "32", "beginTimestamp", "0", "endTimestamp",
                    "99999999999999", NULL));
        assert_int_equal(resp->code, want_code);
        assert_int_equal(ext_i64(resp, "indexLastUpdatePhyoffset"), phy);
        assert_int_equal(ext_i64(resp, "indexLastUpdateTimestamp"), ts);
        rmq__cmd_destroy(resp);
}

static void test_query_index_last_update(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *req, *resp;
        int64_t phy, ts;
        assert_index_last(fx, RMQ_ERR_QUERY_NOT_FOUND, 0, 0);
        mtc_send(fx->c, fx->b0, T, 0, NULL, "a"); /* UNIQ_KEY only */
        /* Indexed messages exist, none with the key: still 0 and 0. */
        assert_index_last(fx, RMQ_ERR_QUERY_NOT_FOUND, 0, 0);
        /* A message of another topic is indexed too. */
        mtc_send(fx->c, fx->b0, "TopicOther", 0, NULL, "b");
        stored_at(fx, "TopicOther", 0, 0, &phy, &ts);
        assert_true(phy > 0);
        assert_index_last(fx, RMQ_ERR_QUERY_NOT_FOUND, 0, 0);
        /* One without UNIQ_KEY and with blank KEYS is not. */
        req = mtc_send_req(T, 1, NULL, "c");
        rmq__cmd_ext_add(req, "i", "KEYS\001  \002TAGS\001t");
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, RMQ_OK);
        rmq__cmd_destroy(resp);
        assert_index_last(fx, RMQ_ERR_QUERY_NOT_FOUND, 0, 0);
        /* KEYS alone is enough; the found answer has its values. */
        req = mtc_send_req(T, 1, NULL, "d");
        rmq__cmd_ext_add(req, "i", "KEYS\001k0 k1");
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, RMQ_OK);
        rmq__cmd_destroy(resp);
        stored_at(fx, T, 1, 1, &phy, &ts);
        assert_index_last(fx, RMQ_OK, phy, ts);
        /* A later message without UNIQ_KEY and with blank KEYS does not
         * move the index's end... */
        req = mtc_send_req(T, 1, NULL, "e");
        rmq__cmd_ext_add(req, "i", "KEYS\001  \002TAGS\001t");
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, RMQ_OK);
        rmq__cmd_destroy(resp);
        assert_index_last(fx, RMQ_OK, phy, ts);
        /* ...one of another topic with a UNIQ_KEY does. */
        mtc_send(fx->c, fx->b0, "TopicOther", 0, NULL, "f");
        stored_at(fx, "TopicOther", 0, 1, &phy, &ts);
        assert_index_last(fx, RMQ_OK, phy, ts);
}

static void test_admin_views(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        mtc_heartbeat(fx->c, fx->b0, "c@1", NULL, CG, T, "TagA");
        mtc_send(fx->c, fx->b0, T, 0, "TagA", "x");
        mtc_oneway(fx->c, fx->b0,
                   mtc_req(RMQ_REQ_UPDATE_CONSUMER_OFFSET, "consumerGroup", CG,
                           "topic", T, "queueId", "0", "commitOffset", "1",
                           NULL));
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_CONSUMER_CONNECTION_LIST,
                                "consumerGroup", CG, NULL));
        assert_int_equal(resp->code, 0);
        assert_non_null(memmem(resp->body, resp->body_len,
                               "\"clientId\":\"c@1\"", 16));
        assert_non_null(memmem(resp->body, resp->body_len,
                               "\"subscriptionTable\":{\"TopicC\":{", 31));
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_CONSUMER_CONNECTION_LIST,
                                "consumerGroup", "nobody", NULL));
        assert_int_equal(resp->code, RMQ_ERR_CONSUMER_NOT_ONLINE);
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_CONSUME_STATS, "consumerGroup", CG,
                                NULL));
        assert_int_equal(resp->code, 0);
        assert_non_null(memmem(resp->body, resp->body_len,
                               "{\"brokerName\":\"broker-a\",\"queueId\":0,"
                               "\"topic\":\"TopicC\"}:{\"brokerOffset\":1,"
                               "\"consumerOffset\":1,",
                               91));
        rmq__cmd_destroy(resp);
        /* GET_CONSUMER_RUNNING_INFO is forwarded to the client. */
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_CONSUMER_RUNNING_INFO,
                                "consumerGroup", CG, "clientId", "c@1",
                                "jstackEnable", "false", NULL));
        assert_int_equal(resp->code, 0);
        assert_string_equal(resp->remark, "not set any response code");
        assert_int_equal(resp->body_len, 14);
        rmq__cmd_destroy(resp);
        assert_int_equal(mtc_inbox_count(fx->c,
                                         RMQ_REQ_GET_CONSUMER_RUNNING_INFO),
                         1);
        resp = mtc_call(fx->c, fx->b0,
                        mtc_req(RMQ_REQ_GET_CONSUMER_RUNNING_INFO,
                                "consumerGroup", CG, "clientId", "c@9",
                                NULL));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark,
                            "The Consumer <CG_C> <c@9> not online");
        rmq__cmd_destroy(resp);
        /* Clients older than V3_1_8_SNAPSHOT (62) are refused, with the
         * version's name (MQVersion#getVersionDesc). */
        {
                static const struct {
                        int version;
                        const char *name;
                } old[] = {{61, "V3_1_7"},          {0, "V3_0_0_SNAPSHOT"},
                           {15, "V3_0_0_FINAL"},    {16, "V3_0_1_SNAPSHOT"},
                           {46, "V3_1_0_SNAPSHOT"}, {47, "V3_1_0"}};
                size_t i;
                char want[160];
                for (i = 0; i < RMQ_ARRAY_SIZE(old); i++) {
                        mtc_t *c2 = mtc_new();
                        rmq_cmd_t *req =
                            mtc_heartbeat_req("c@old", NULL, CG, T, "*", 1);
                        req->version = old[i].version;
                        rmq__cmd_destroy(mtc_call(c2, fx->b0, req));
                        resp =
                            mtc_call(fx->c, fx->b0,
                                     mtc_req(RMQ_REQ_GET_CONSUMER_RUNNING_INFO,
                                             "consumerGroup", CG, "clientId",
                                             "c@old", NULL));
                        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
                        snprintf(want, sizeof(want),
                                 "The Consumer <c@old> Version <%s> too low "
                                 "to finish, please upgrade it to "
                                 "V3_1_8_SNAPSHOT",
                                 old[i].name);
                        assert_string_equal(resp->remark, want);
                        rmq__cmd_destroy(resp);
                        mtc_destroy(c2);
                }
        }
        /* V3_1_8_SNAPSHOT itself is asked. */
        {
                mtc_t *c2      = mtc_new();
                rmq_cmd_t *req = mtc_heartbeat_req("c@62", NULL, CG, T, "*", 1);
                req->version   = 62;
                rmq__cmd_destroy(mtc_call(c2, fx->b0, req));
                resp = mtc_call(fx->c, fx->b0,
                                mtc_req(RMQ_REQ_GET_CONSUMER_RUNNING_INFO,
                                        "consumerGroup", CG, "clientId", "c@62",
                                        NULL));
                assert_int_equal(resp->code, 0);
                rmq__cmd_destroy(resp);
                mtc_destroy(c2);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_pull_found_and_statuses, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_pull_errors, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(
                test_pull_tag_filter_and_subscription_flag, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_long_polling, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_short_polling, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_held_pull_dropped, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_consumer_list_and_offsets,
                                            setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_locks, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_queries, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_query_index_last_update, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_admin_views, setup, mtc_fx_teardown),
        };
        return cmocka_run_group_tests_name("mock_consume", tests, NULL, NULL);
}
