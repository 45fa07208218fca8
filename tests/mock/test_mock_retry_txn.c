/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mock cluster, stage 3: CONSUMER_SEND_MSG_BACK (retry and dead letter
 * topics), delay levels, and transactions (half messages, END_TRANSACTION,
 * check-backs, transactionCheckMax).
 */
#include "common/rmq_time.h"
#include "mock_client.h"
#include "protocol/rmq_route.h"

typedef mtc_fx_t fx_t;

#define T "TopicR"

static int setup(void **state) {
        fx_t *fx = mtc_fx_new(1);
        char err[64];
        if (!fx)
                return -1;
        rmq_mock_topic_create(fx->mc, T, -1, 2, 2);
        /* 1 s -> 2 ms, 10 s -> 20 ms, 2 h -> 14.4 s */
        rmq_mock_cluster_set(fx->mc, "delayTimeScale", "0.002", err,
                             sizeof(err));
        *state = fx;
        return 0;
}

typedef struct count_s {
        rmq_mock_cluster_t *mc;
        const char *topic;
        int64_t n;
} count_t;

static bool count_is(void *arg) {
        count_t *c = arg;
        return rmq_mock_topic_message_count(c->mc, c->topic) == c->n;
}

static bool wait_count(fx_t *fx, const char *topic, int64_t n, int ms) {
        count_t c = {fx->mc, topic, n};
        return rmq_test_wait_until(count_is, &c, ms);
}

static void set_opt(fx_t *fx, const char *name, const char *value) {
        char err[128];
        assert_int_equal(
            rmq_mock_cluster_set(fx->mc, name, value, err, sizeof(err)),
            RMQ_OK);
}

/* The commit log offset of the message at queue offset \p off. */
static int64_t commit_offset_of(fx_t *fx, const char *topic, int qid,
                                int64_t off) {
        rmq_mock_msg_t *m;
        int64_t host_off;
        rmq_msg_host_t host;
        assert_int_equal(rmq_mock_message_get(fx->mc, topic, 0, qid, off, &m),
                         RMQ_OK);
        assert_int_equal(rmq__offset_msg_id_decode(
                             rmq_mock_msg_offset_msg_id(m),
                             strlen(rmq_mock_msg_offset_msg_id(m)), &host,
                             &host_off),
                         RMQ_OK);
        rmq_mock_msg_destroy(m);
        return host_off;
}

/* CONSUMER_SEND_MSG_BACK of the message at \p commit_off for CG_R from a
 * client of \p version (\p max: the maxReconsumeTimes header or NULL).
 * Returns the code; \p remark (may be NULL) receives the remark. */
static int send_back_from(fx_t *fx, int version, int64_t commit_off,
                          const char *delay, const char *max, char *remark,
                          size_t remark_size) {
        char off[24];
        rmq_cmd_t *req, *resp;
        int code;
        snprintf(off, sizeof(off), "%lld", (long long)commit_off);
        req = mtc_req(RMQ_REQ_CONSUMER_SEND_MSG_BACK, "offset", off, "group",
                      "CG_R", "delayLevel", delay, "originTopic", T,
                      "unitMode", "false", NULL);
        req->version = version;
        if (max)
                rmq__cmd_ext_add(req, "maxReconsumeTimes", max);
        resp = mtc_call(fx->c, fx->b0, req);
        code = resp->code;
        assert_false(resp->ext_cnt);
        if (remark)
                snprintf(remark, remark_size, "%s",
                         resp->remark ? resp->remark : "");
        rmq__cmd_destroy(resp);
        return code;
}

static int send_back(fx_t *fx, int64_t commit_off, const char *delay,
                     const char *max) {
        return send_back_from(fx, 409, commit_off, delay, max, NULL, 0);
}

static void test_send_back_retry_and_dlq(void **state) {
        fx_t *fx = *state;
        rmq_mock_msg_t *m;
        rmq_cmd_t *resp;
        rmq_topic_route_data_t *r;
        int64_t c0, c1;
        char orig_id[64], err[64];
        mtc_send(fx->c, fx->b0, T, 0, "TagR", "retry me");
        c0 = commit_offset_of(fx, T, 0, 0);
        assert_int_equal(rmq_mock_message_get(fx->mc, T, 0, 0, 0, &m), RMQ_OK);
        snprintf(orig_id, sizeof(orig_id), "%s", rmq_mock_msg_offset_msg_id(m));
        rmq_mock_msg_destroy(m);
        /* delayLevel 0: level 3 + reconsumeTimes = 3 (10 s scaled). */
        assert_int_equal(send_back(fx, c0, "0", NULL), 0);
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc,
                                                   "SCHEDULE_TOPIC_XXXX", 0, 2),
                         1);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, "%RETRY%CG_R"),
                         0);
        assert_true(wait_count(fx, "%RETRY%CG_R", 1, 2000));
        assert_int_equal(rmq_mock_message_get(fx->mc, "%RETRY%CG_R", 0, 0, 0,
                                              &m),
                         RMQ_OK);
        assert_int_equal(rmq_mock_msg_reconsume_times(m), 1);
        assert_string_equal(rmq_mock_msg_property(m, "RETRY_TOPIC"), T);
        assert_string_equal(rmq_mock_msg_property(m, "ORIGIN_MESSAGE_ID"),
                            orig_id);
        assert_string_equal(rmq_mock_msg_property(m, "DELAY"), "3");
        assert_string_equal(rmq_mock_msg_property(m, "WAIT"), "false");
        assert_string_equal(rmq_mock_msg_property(m, "REAL_TOPIC"),
                            "%RETRY%CG_R");
        assert_string_equal(rmq_mock_msg_property(m, "REAL_QID"), "0");
        assert_string_equal(rmq_mock_msg_property(m, "TAGS"), "TagR");
        rmq_mock_msg_destroy(m);
        /* The retry topic is in routes as the broker creates it. */
        resp = mtc_call(fx->c, fx->ns,
                        mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                "%RETRY%CG_R", NULL));
        assert_int_equal(resp->code, 0);
        assert_int_equal(rmq__topic_route_decode(resp->body, resp->body_len,
                                                 &r, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(r->queueDatas[0].perm, 6);
        assert_int_equal(r->queueDatas[0].writeQueueNums, 1);
        rmq__topic_route_destroy(r);
        rmq__cmd_destroy(resp);
        /* Again from the retry message: its ORIGIN_MESSAGE_ID is kept. */
        c1 = commit_offset_of(fx, "%RETRY%CG_R", 0, 0);
        assert_int_equal(send_back(fx, c1, "1", NULL), 0);
        assert_true(wait_count(fx, "%RETRY%CG_R", 2, 2000));
        assert_int_equal(rmq_mock_message_get(fx->mc, "%RETRY%CG_R", 0, 0, 1,
                                              &m),
                         RMQ_OK);
        assert_int_equal(rmq_mock_msg_reconsume_times(m), 2);
        assert_string_equal(rmq_mock_msg_property(m, "ORIGIN_MESSAGE_ID"),
                            orig_id);
        assert_string_equal(rmq_mock_msg_property(m, "RETRY_TOPIC"), T);
        rmq_mock_msg_destroy(m);
        /* maxReconsumeTimes reached: the dead letter queue, at once. */
        c1 = commit_offset_of(fx, "%RETRY%CG_R", 0, 1);
        assert_int_equal(send_back(fx, c1, "0", "2"), 0);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, "%DLQ%CG_R"), 1);
        assert_int_equal(rmq_mock_message_get(fx->mc, "%DLQ%CG_R", 0, 0, 0,
                                              &m),
                         RMQ_OK);
        assert_int_equal(rmq_mock_msg_reconsume_times(m), 3);
        assert_string_equal(rmq_mock_msg_property(m, "DELAY"), "0");
        rmq_mock_msg_destroy(m);
        /* A negative level: straight to the DLQ too. */
        assert_int_equal(send_back(fx, c0, "-1", NULL), 0);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, "%DLQ%CG_R"), 2);
        /* Unknown offset. */
        assert_int_equal(send_back(fx, 999999, "0", NULL),
                         RMQ_ERR_SYSTEM_ERROR);
}

/* Sends a message to \p topic queue 0 with reconsumeTimes \p times and
 * properties \p props; returns its commit log offset. */
static int64_t stored_with(fx_t *fx, const char *topic, const char *times,
                           const char *props) {
        rmq_cmd_t *req = mtc_send_req(topic, 0, NULL, "again"), *resp;
        int64_t off    = -1;
        rmq__cmd_ext_add(req, "j", times);
        if (props)
                rmq__cmd_ext_add(req, "i", props);
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        assert_int_equal(rmq__cmd_ext_i64(resp, "queueOffset", &off), 0);
        rmq__cmd_destroy(resp);
        return commit_offset_of(fx, topic, 0, off);
}

/* The send-back's maxReconsumeTimes: the request's from V3_4_9 (121) on,
 * else (and when absent) the group's retryMaxTimes, 16 by default; a
 * delay level above 18 is stored at 18. */
static void test_send_back_max_reconsume(void **state) {
        fx_t *fx = *state;
        int64_t c;
        rmq_mock_msg_t *m;
        /* reconsumeTimes 1 with a header max of 1, from a V3_4_8 client:
         * ignored, so retried (not dead). */
        c = stored_with(fx, T, "1", NULL);
        assert_int_equal(send_back_from(fx, 120, c, "0", "1", NULL, 0), 0);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, "%DLQ%CG_R"), 0);
        /* The same from V3_4_9: dead. */
        assert_int_equal(send_back_from(fx, 121, c, "0", "1", NULL, 0), 0);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, "%DLQ%CG_R"), 1);
        /* No header: 16. reconsumeTimes 15 is retried (level 3 + 15 =
         * 18), 16 is dead. */
        assert_int_equal(
            send_back(fx, stored_with(fx, T, "15", NULL), "0", NULL), 0);
        assert_int_equal(
            rmq_mock_queue_max_offset(fx->mc, "SCHEDULE_TOPIC_XXXX", 0, 17), 1);
        assert_int_equal(
            send_back(fx, stored_with(fx, T, "16", NULL), "0", NULL), 0);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, "%DLQ%CG_R"), 2);
        /* Level 25 is stored as the last level, 18. */
        assert_int_equal(
            send_back(fx, stored_with(fx, T, "0", NULL), "25", NULL), 0);
        assert_int_equal(
            rmq_mock_queue_max_offset(fx->mc, "SCHEDULE_TOPIC_XXXX", 0, 17), 2);
        assert_int_equal(
            rmq_mock_message_get(fx->mc, "SCHEDULE_TOPIC_XXXX", 0, 17, 1, &m),
            RMQ_OK);
        assert_string_equal(rmq_mock_msg_property(m, "DELAY"), "18");
        assert_string_equal(rmq_mock_msg_property(m, "REAL_TOPIC"),
                            "%RETRY%CG_R");
        rmq_mock_msg_destroy(m);
}

/* A send-back the store refuses is answered SYSTEM_ERROR with the
 * PutMessageStatus's name: MESSAGE_ILLEGAL when the properties string is
 * over 32767 chars (DefaultMessageStore#checkMessage),
 * PROPERTIES_SIZE_EXCEEDED when only its UTF-8 bytes are (the encoder). */
static void test_send_back_store_failure(void **state) {
        fx_t *fx    = *state;
        char *props = malloc(40000), remark[128];
        size_t i, n;
        /* 32737 ASCII chars stored; the retry's properties pass 32767. */
        n = (size_t)snprintf(props, 40000, "UNIQ_KEY\001U1\002P\001");
        memset(props + n, 'a', 32700);
        props[n + 32700] = '\0';
        assert_int_equal(send_back_from(fx, 409, stored_with(fx, T, "0", props),
                                        "1", NULL, remark, sizeof(remark)),
                         RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(remark, "MESSAGE_ILLEGAL");
        /* 10880 three-byte chars: 32640 bytes stored, fewer than 11000
         * chars after the retry's properties, but over 32767 bytes. */
        n = (size_t)snprintf(props, 40000, "UNIQ_KEY\001U2\002P\001");
        for (i = 0; i < 10880; i++, n += 3)
                memcpy(props + n, "\xE2\x82\xAC", 3);
        props[n] = '\0';
        assert_int_equal(send_back_from(fx, 409, stored_with(fx, T, "0", props),
                                        "1", NULL, remark, sizeof(remark)),
                         RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(remark, "PROPERTIES_SIZE_EXCEEDED");
        free(props);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, "%RETRY%CG_R"),
                         0);
        assert_int_equal(
            rmq_mock_topic_message_count(fx->mc, "SCHEDULE_TOPIC_XXXX"), 0);
}

static void test_delay_levels(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *req, *resp;
        rmq_mock_msg_t *m;
        req = mtc_send_req(T, 1, "TagD", "later");
        rmq__cmd_ext_add(req, "i", "UNIQ_KEY\001D1\002WAIT\001true\002DELAY\0012"
                                   "\002TAGS\001TagD");
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        mtc_assert_ext(resp, "queueId", "1");
        mtc_assert_ext(resp, "queueOffset", "0"); /* in SCHEDULE_TOPIC queue 1 */
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc, T, 0, 1), 0);
        assert_true(wait_count(fx, T, 1, 2000));
        assert_int_equal(rmq_mock_message_get(fx->mc, T, 0, 1, 0, &m), RMQ_OK);
        assert_string_equal(rmq_mock_msg_property(m, "REAL_TOPIC"), T);
        assert_string_equal(rmq_mock_msg_property(m, "REAL_QID"), "1");
        assert_string_equal(rmq_mock_msg_property(m, "DELAY"), "2");
        assert_string_equal(rmq_mock_msg_property(m, "WAIT"), "true");
        rmq_mock_msg_destroy(m);
        /* Beyond the last level: 18. A bad level is a Java exception. */
        req = mtc_send_req(T, 0, NULL, "x");
        rmq__cmd_ext_add(req, "i", "DELAY\00140");
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_queue_max_offset(fx->mc,
                                                   "SCHEDULE_TOPIC_XXXX", 0,
                                                   17),
                         1);
        req = mtc_send_req(T, 0, NULL, "x");
        rmq__cmd_ext_add(req, "i", "DELAY\001abc");
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        rmq__cmd_destroy(resp);
}

/* delayTimeScale 1.0, the default: level 1 is one real second
 * (messageDelayLevel "1s 5s ..."). */
static void test_delay_real_time(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *req, *resp;
        int64_t t0;
        rmq_mock_msg_t *m;
        set_opt(fx, "delayTimeScale", "1.0");
        req = mtc_send_req(T, 0, NULL, "in a second");
        rmq__cmd_ext_add(req, "i", "DELAY\0011");
        t0   = rmq__mono_ms();
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        rmq_test_sleep_ms(700);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, T), 0);
        assert_true(wait_count(fx, T, 1, 3000));
        assert_true(rmq__mono_ms() - t0 >= 950);
        assert_int_equal(rmq_mock_message_get(fx->mc, T, 0, 0, 0, &m), RMQ_OK);
        assert_true(rmq_mock_msg_store_timestamp(m) >= rmq__wall_ms() - 5000);
        rmq_mock_msg_destroy(m);
}

/* Sends a half message of PG_TX born at \p born, with sysFlag
 * \p sys_flag (TRANSACTION_PREPARED_TYPE and more) and \p extra
 * properties ("" for none); returns its queue offset and commit log
 * offset in the half topic. */
static void send_half_props(fx_t *fx, const char *uniq, int64_t born,
                            int sys_flag, const char *extra, int64_t *qoff,
                            int64_t *coff) {
        char props[256], g[24], f[16];
        rmq_cmd_t *req, *resp;
        rmq_msg_host_t host;
        const char *id;
        snprintf(props, sizeof(props),
                 "TRAN_MSG\001true\002UNIQ_KEY\001%s\002WAIT\001true\002"
                 "PGROUP\001PG_TX\002TAGS\001TagTx%s",
                 uniq, extra);
        snprintf(g, sizeof(g), "%lld", (long long)born);
        snprintf(f, sizeof(f), "%d", sys_flag);
        req = mtc_send_req("TopicTx", 1, NULL, "tx body");
        rmq__cmd_ext_add(req, "a", "PG_TX");
        rmq__cmd_ext_add(req, "f", f);
        rmq__cmd_ext_add(req, "g", g);
        rmq__cmd_ext_add(req, "i", props);
        resp = mtc_call(fx->c, fx->b0, req);
        assert_int_equal(resp->code, 0);
        mtc_assert_ext(resp, "queueId", "1");
        assert_int_equal(rmq__cmd_ext_i64(resp, "queueOffset", qoff), 0);
        id = rmq__cmd_ext(resp, "msgId");
        assert_int_equal(rmq__offset_msg_id_decode(id, strlen(id), &host, coff),
                         RMQ_OK);
        rmq__cmd_destroy(resp);
}

static void send_half(fx_t *fx, const char *uniq, int64_t born, int64_t *qoff,
                      int64_t *coff) {
        send_half_props(fx, uniq, born, 4, "", qoff, coff);
}

/* A minute ago: old enough to be checked (transactionTimeOut 6 s), young
 * enough not to be skipped (fileReservedTime 72 h). */
static int64_t a_minute_ago(void) {
        return rmq__wall_ms() - 60000;
}

/* A property of a CHECK_TRANSACTION_STATE body or "" (copied). */
static void check_prop(const rmq_cmd_t *chk, const char *key, char *dst,
                       size_t size) {
        rmq_rd_t rd;
        rmq_msg_view_t mv;
        const char *v;
        size_t vl;
        rmq__rd_init(&rd, chk->body, chk->body_len);
        assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_OK);
        dst[0] = '\0';
        if (!rmq__props_get(mv.properties, mv.propertiesLen, key, &v, &vl))
                snprintf(dst, size, "%.*s", (int)vl, v);
}

static rmq_cmd_t *end_req(const char *group, int64_t qoff, int64_t coff,
                          int cor, bool from_check) {
        char q[24], c[24], r[8];
        snprintf(q, sizeof(q), "%lld", (long long)qoff);
        snprintf(c, sizeof(c), "%lld", (long long)coff);
        snprintf(r, sizeof(r), "%d", cor);
        return mtc_req(RMQ_REQ_END_TRANSACTION, "producerGroup", group,
                       "tranStateTableOffset", q, "commitLogOffset", c,
                       "commitOrRollback", r, "fromTransactionCheck",
                       from_check ? "true" : "false", "msgId", "X", NULL);
}

static bool half_is(void *arg) {
        void **a = arg;
        return rmq_mock_half_message_count(a[0]) == (int64_t)(intptr_t)a[1];
}

static void test_transactions(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *resp;
        rmq_mock_msg_t *m;
        int64_t q0, c0, q1, c1, q2, c2;
        void *args[2] = {fx->mc, (void *)(intptr_t)0};
        mtc_heartbeat(fx->c, fx->b0, "tx@1", "PG_TX", NULL, NULL, NULL);
        send_half(fx, "U0", a_minute_ago(), &q0, &c0);
        send_half(fx, "U1", a_minute_ago(), &q1, &c1);
        send_half(fx, "U2", a_minute_ago(), &q2, &c2);
        assert_int_equal(rmq_mock_half_message_count(fx->mc), 3);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, "TopicTx"), 0);
        assert_int_equal(rmq_mock_topic_message_count(fx->mc,
                                                      "RMQ_SYS_TRANS_HALF_TOPIC"),
                         3);
        /* Checks: wrong group, wrong offsets. */
        resp = mtc_call(fx->c, fx->b0, end_req("PG_OTHER", q0, c0, 8, false));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark, "The producer group wrong");
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0, end_req("PG_TX", q0 + 7, c0, 8, false));
        assert_string_equal(resp->remark,
                            "The transaction state table offset wrong");
        rmq__cmd_destroy(resp);
        resp = mtc_call(fx->c, fx->b0, end_req("PG_TX", q0, c0 + 1, 8, false));
        assert_string_equal(resp->remark,
                            "Find prepared transaction message failed");
        rmq__cmd_destroy(resp);
        /* Commit (oneway, as the client sends it). */
        mtc_oneway(fx->c, fx->b0, end_req("PG_TX", q0, c0, 8, false));
        assert_true(wait_count(fx, "TopicTx", 1, 2000));
        assert_int_equal(rmq_mock_message_get(fx->mc, "TopicTx", 0, 1, 0, &m),
                         RMQ_OK);
        assert_int_equal(rmq_mock_msg_sys_flag(m) & 0xC, 8);
        assert_string_equal(rmq_mock_msg_property(m, "UNIQ_KEY"), "U0");
        rmq_mock_msg_destroy(m);
        /* Rollback, synchronously. */
        resp = mtc_call(fx->c, fx->b0, end_req("PG_TX", q1, c1, 12, false));
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        /* UNKNOW (0): no answer, nothing changes. */
        mtc_oneway(fx->c, fx->b0, end_req("PG_TX", q2, c2, 0, false));
        args[1] = (void *)(intptr_t)1;
        assert_true(rmq_test_wait_until(half_is, args, 2000));
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, "TopicTx"), 1);
}

static void test_check_back(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *chk;
        rmq_rd_t rd;
        rmq_msg_view_t mv;
        rmq_mock_msg_t *m;
        const char *v;
        size_t vl, i;
        int64_t q, c, qoff, coff;
        char val[32];
        void *args[2] = {fx->mc, (void *)(intptr_t)0};
        mtc_heartbeat(fx->c, fx->b0, "tx@1", "PG_TX", NULL, NULL, NULL);
        send_half(fx, "UC", a_minute_ago(), &q, &c);
        set_opt(fx, "transactionCheckInterval", "30");
        assert_true(mtc_inbox_wait(fx->c, RMQ_REQ_CHECK_TRANSACTION_STATE, 1,
                                   3000));
        chk = mtc_inbox_take(fx->c, RMQ_REQ_CHECK_TRANSACTION_STATE);
        assert_true(rmq__cmd_is_oneway(chk));
        assert_int_equal(chk->serialize_type, RMQ_SERIALIZE_JSON);
        mtc_assert_ext(chk, "msgId", "UC");
        mtc_assert_ext(chk, "transactionId", "UC");
        assert_int_equal(rmq__cmd_ext_i64(chk, "tranStateTableOffset", &qoff),
                         0);
        assert_int_equal(rmq__cmd_ext_i64(chk, "commitLogOffset", &coff), 0);
        assert_true(qoff > q);
        assert_non_null(rmq__cmd_ext(chk, "offsetMsgId"));
        rmq__rd_init(&rd, chk->body, chk->body_len);
        assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_OK);
        assert_true(rmq__streqn(mv.topic, mv.topicLen, "TopicTx"));
        assert_int_equal(mv.queueId, 1);
        assert_int_equal(mv.commitLogOffset, coff);
        assert_int_equal(rmq__props_get(mv.properties, mv.propertiesLen,
                                        "TRANSACTION_CHECK_TIMES", &v, &vl),
                         0);
        assert_true(rmq__streqn(v, vl, "1"));
        rmq__cmd_destroy(chk);
        /* The client's answer, as the Java client sends it. */
        mtc_oneway(fx->c, fx->b0, end_req("PG_TX", qoff, coff, 8, true));
        assert_true(wait_count(fx, "TopicTx", 1, 2000));
        assert_true(rmq_test_wait_until(half_is, args, 2000));

        /* Never answered: exactly transactionCheckMax checks (1 and 2),
         * then moved to TRANS_CHECK_MAX_TIME_TOPIC. */
        set_opt(fx, "transactionCheckMax", "2");
        /* (Marked compressed, which the discarded copy must keep.) */
        send_half_props(fx, "UD", a_minute_ago(), 4 | 1, "", &q, &c);
        assert_true(rmq_test_wait_until(half_is, args, 3000));
        assert_true(wait_count(fx, "TRANS_CHECK_MAX_TIME_TOPIC", 1, 2000));
        assert_true(
            mtc_inbox_wait(fx->c, RMQ_REQ_CHECK_TRANSACTION_STATE, 2, 2000));
        rmq_test_sleep_ms(300); /* ten more rounds: no more checks */
        assert_int_equal(
            mtc_inbox_count(fx->c, RMQ_REQ_CHECK_TRANSACTION_STATE), 2);
        for (i = 1; i <= 2; i++) {
                char want[8];
                chk = mtc_inbox_take(fx->c, RMQ_REQ_CHECK_TRANSACTION_STATE);
                mtc_assert_ext(chk, "msgId", "UD");
                check_prop(chk, "TRANSACTION_CHECK_TIMES", val, sizeof(val));
                snprintf(want, sizeof(want), "%zu", i);
                assert_string_equal(val, want);
                rmq__cmd_destroy(chk);
        }
        /* The discarded message keeps the half message's sysFlag (the
         * half is stored TRANSACTION_NOT_TYPE; compressed stays) and what
         * it carried, check count included. */
        assert_int_equal(rmq_mock_message_get(
                             fx->mc, "TRANS_CHECK_MAX_TIME_TOPIC", 0, 0, 0, &m),
                         RMQ_OK);
        assert_int_equal(rmq_mock_msg_sys_flag(m), 1);
        assert_string_equal(rmq_mock_msg_property(m, "UNIQ_KEY"), "UD");
        assert_string_equal(rmq_mock_msg_property(m, "REAL_TOPIC"), "TopicTx");
        assert_string_equal(rmq_mock_msg_property(m, "TRANSACTION_CHECK_TIMES"),
                            "2");
        rmq_mock_msg_destroy(m);
        /* Not checked before transactionTimeOut since its birth. */
        set_opt(fx, "transactionTimeOut", "600000");
        send_half(fx, "UE", rmq__wall_ms(), &q, &c);
        rmq_test_sleep_ms(150);
        assert_int_equal(rmq_mock_half_message_count(fx->mc), 1);
        assert_int_equal(
            mtc_inbox_count(fx->c, RMQ_REQ_CHECK_TRANSACTION_STATE), 0);
}

/* Waits until the only half message was discarded, without a check, to
 * TRANS_CHECK_MAX_TIME_TOPIC; returns that message (UNIQ_KEY \p uniq). */
static rmq_mock_msg_t *discarded_unchecked(fx_t *fx, const char *uniq) {
        void *args[2] = {fx->mc, (void *)(intptr_t)0};
        rmq_mock_msg_t *m;
        assert_true(wait_count(fx, "TRANS_CHECK_MAX_TIME_TOPIC", 1, 3000));
        assert_true(rmq_test_wait_until(half_is, args, 2000));
        assert_int_equal(
            mtc_inbox_count(fx->c, RMQ_REQ_CHECK_TRANSACTION_STATE), 0);
        assert_int_equal(rmq_mock_message_get(
                             fx->mc, "TRANS_CHECK_MAX_TIME_TOPIC", 0, 0, 0, &m),
                         RMQ_OK);
        assert_string_equal(rmq_mock_msg_property(m, "UNIQ_KEY"), uniq);
        return m;
}

/* A half message born more than fileReservedTime (72 h) ago is discarded
 * without a check (TransactionalMessageServiceImpl#needSkip), after
 * needDiscard counted the check. */
static void test_check_skip_old(void **state) {
        fx_t *fx = *state;
        rmq_mock_msg_t *m;
        int64_t q, c;
        mtc_heartbeat(fx->c, fx->b0, "tx@1", "PG_TX", NULL, NULL, NULL);
        send_half(fx, "US", rmq__wall_ms() - 73LL * 3600 * 1000, &q, &c);
        set_opt(fx, "transactionCheckInterval", "30");
        m = discarded_unchecked(fx, "US");
        assert_string_equal(rmq_mock_msg_property(m, "TRANSACTION_CHECK_TIMES"),
                            "1");
        rmq_mock_msg_destroy(m);
        /* 71 h is checked. */
        send_half(fx, "UT", rmq__wall_ms() - 71LL * 3600 * 1000, &q, &c);
        assert_true(
            mtc_inbox_wait(fx->c, RMQ_REQ_CHECK_TRANSACTION_STATE, 1, 2000));
}

/* CHECK_IMMUNITY_TIME_IN_SECONDS: while immune the half message is put
 * back with TRAN_PREPARED_QUEUE_OFFSET (the first copy's queue offset)
 * each round, and each round counts in TRANSACTION_CHECK_TIMES; the check
 * comes once the immunity is over. needDiscard is tested first: at
 * transactionCheckMax an immune message is discarded. */
static void test_check_immunity(void **state) {
        fx_t *fx = *state;
        rmq_cmd_t *chk;
        rmq_mock_msg_t *m;
        int64_t q, c, born, got, n, i;
        char val[32], want[24];
        void *args[2] = {fx->mc, (void *)(intptr_t)0};
        mtc_heartbeat(fx->c, fx->b0, "tx@1", "PG_TX", NULL, NULL, NULL);
        set_opt(fx, "transactionCheckMax", "100");
        born = rmq__wall_ms();
        send_half_props(fx, "UI", born, 4,
                        "\002CHECK_IMMUNITY_TIME_IN_SECONDS\0011", &q, &c);
        set_opt(fx, "transactionCheckInterval", "100");
        assert_true(
            mtc_inbox_wait(fx->c, RMQ_REQ_CHECK_TRANSACTION_STATE, 1, 5000));
        got = rmq__wall_ms();
        chk = mtc_inbox_take(fx->c, RMQ_REQ_CHECK_TRANSACTION_STATE);
        assert_true(got - born >= 1000);
        snprintf(want, sizeof(want), "%lld", (long long)q);
        check_prop(chk, "TRAN_PREPARED_QUEUE_OFFSET", val, sizeof(val));
        assert_string_equal(val, want);
        check_prop(chk, "TRANSACTION_CHECK_TIMES", val, sizeof(val));
        assert_true(atoi(val) > 1); /* immune rounds counted */
        rmq__cmd_destroy(chk);
        /* Every copy in the half queue after the first names it. */
        n = rmq_mock_queue_max_offset(fx->mc, "RMQ_SYS_TRANS_HALF_TOPIC", 0, 0);
        assert_true(n >= 3);
        for (i = 1; i < n; i++) {
                assert_int_equal(
                    rmq_mock_message_get(fx->mc, "RMQ_SYS_TRANS_HALF_TOPIC", 0,
                                         0, i, &m),
                    RMQ_OK);
                assert_string_equal(
                    rmq_mock_msg_property(m, "TRAN_PREPARED_QUEUE_OFFSET"),
                    want);
                rmq_mock_msg_destroy(m);
        }
        mtc_oneway(fx->c, fx->b0, end_req("PG_TX", q, c, 12, false));
        assert_true(rmq_test_wait_until(half_is, args, 2000));

        /* transactionCheckMax 1: one immune round, then discarded although
         * still immune; never checked. */
        set_opt(fx, "transactionCheckMax", "1");
        send_half_props(fx, "UJ", a_minute_ago(), 4,
                        "\002CHECK_IMMUNITY_TIME_IN_SECONDS\001600", &q, &c);
        m = discarded_unchecked(fx, "UJ");
        snprintf(want, sizeof(want), "%lld", (long long)q);
        assert_string_equal(
            rmq_mock_msg_property(m, "TRAN_PREPARED_QUEUE_OFFSET"), want);
        rmq_mock_msg_destroy(m);
}

/* A check round ends at the first half message too young to check: an
 * old one behind it waits (the broker scans the half queue in order). */
static void test_check_stops_at_young(void **state) {
        fx_t *fx = *state;
        int64_t qa, ca, qb, cb;
        rmq_cmd_t *chk;
        mtc_heartbeat(fx->c, fx->b0, "tx@1", "PG_TX", NULL, NULL, NULL);
        send_half(fx, "UY", rmq__wall_ms(), &qa, &ca);
        send_half(fx, "UO", a_minute_ago(), &qb, &cb);
        set_opt(fx, "transactionCheckInterval", "30");
        rmq_test_sleep_ms(300); /* ten rounds */
        assert_int_equal(
            mtc_inbox_count(fx->c, RMQ_REQ_CHECK_TRANSACTION_STATE), 0);
        /* Once the young one is resolved, the old one is checked. */
        mtc_oneway(fx->c, fx->b0, end_req("PG_TX", qa, ca, 12, false));
        assert_true(
            mtc_inbox_wait(fx->c, RMQ_REQ_CHECK_TRANSACTION_STATE, 1, 2000));
        chk = mtc_inbox_take(fx->c, RMQ_REQ_CHECK_TRANSACTION_STATE);
        mtc_assert_ext(chk, "msgId", "UO");
        rmq__cmd_destroy(chk);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_send_back_retry_and_dlq, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_send_back_max_reconsume, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_send_back_store_failure, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_delay_levels, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_delay_real_time, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_transactions, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_check_back, setup, mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_check_skip_old, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_check_immunity, setup,
                                            mtc_fx_teardown),
            cmocka_unit_test_setup_teardown(test_check_stops_at_young, setup,
                                            mtc_fx_teardown),
        };
        return cmocka_run_group_tests_name("mock_retry_txn", tests, NULL, NULL);
}
