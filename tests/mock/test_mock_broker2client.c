/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admin requests the broker carries out through its consumer clients
 * (Broker2Client), as mqadmin resetOffsetByTime / consumerStatus /
 * consumeMessage use them against a 4.9.8 broker:
 * INVOKE_BROKER_TO_RESET_OFFSET (222, RESET_CONSUMER_CLIENT_OFFSET sent to
 * the clients), INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223,
 * GET_CONSUMER_STATUS_FROM_CLIENT asked of the clients) and
 * CONSUME_MESSAGE_DIRECTLY (309, forwarded with the stored message);
 * rmq_mock_group_reset_offset() and the program's `reset` command.
 * Raw remoting clients play mqadmin and the consumers.
 */
#include <signal.h>

#include "common/rmq_time.h"
#include "mock_client.h"
#include "mock_program.h"
#include "protocol/rmq_bodies.h"
#include "protocol/rmq_java_util.h"

#define T  "TopicB2C"
#define G  "CG_B2C"
#define K1 "10.0.0.1@b2c-1"
#define K2 "10.0.0.2@b2c-2"

/* What the consumer answers to CONSUME_MESSAGE_DIRECTLY
 * (ConsumeMessageDirectlyResult). */
#define DIRECT_RESULT                                                          \
        "{\"autoCommit\":true,\"consumeResult\":\"CR_SUCCESS\",\"order\":"     \
        "false,\"spentTimeMills\":2}"

/* ---- a raw client playing a consumer ---- */

typedef struct cons_s {
        mtc_t *c;
        const char *id;
        /* under c->lock */
        bool status_silent; /* never answer GET_CONSUMER_STATUS_FROM_CLIENT */
        char status_body[1024]; /* its answer's body */
} cons_t;

/* Answers GET_CONSUMER_STATUS_FROM_CLIENT (with status_body, unless
 * silent) and CONSUME_MESSAGE_DIRECTLY (SUCCESS, a remark, an ext field,
 * language CPP and version 77, to show the answer is handed back as it
 * is); keeps every request in the inbox as mtc_proc does. */
static void cons_proc(rmq_remoting_t *rm, rmq_channel_t *ch, rmq_cmd_t *req,
                      void *opaque) {
        cons_t *k       = opaque;
        rmq_cmd_t *resp = NULL;
        if (req->code == RMQ_REQ_GET_CONSUMER_STATUS_FROM_CLIENT) {
                uv_mutex_lock(&k->c->lock);
                if (!k->status_silent) {
                        resp = rmq__cmd_new_response(0, NULL);
                        rmq__cmd_set_body_copy(resp, k->status_body,
                                               strlen(k->status_body));
                }
                uv_mutex_unlock(&k->c->lock);
        } else if (req->code == RMQ_REQ_CONSUME_MESSAGE_DIRECTLY) {
                resp = rmq__cmd_new_response(0, "direct");
                rmq__cmd_ext_add(resp, "x", "y");
                rmq__cmd_set_body_copy(resp, DIRECT_RESULT,
                                       strlen(DIRECT_RESULT));
        }
        if (resp) {
                resp->language = RMQ_LANG_CPP;
                resp->version  = 77;
                rmq__remoting_reply(rm, ch, req, resp);
        }
        uv_mutex_lock(&k->c->lock);
        if (k->c->inbox_cnt < MTC_INBOX_MAX)
                k->c->inbox[k->c->inbox_cnt++] = req;
        else
                rmq__cmd_destroy(req);
        uv_mutex_unlock(&k->c->lock);
}

static cons_t *cons_new(const char *id) {
        cons_t *k = calloc(1, sizeof(*k));
        k->c      = mtc_new();
        k->id     = id;
        snprintf(k->status_body, sizeof(k->status_body),
                 "{\"consumerTable\":{},\"messageQueueTable\":{}}");
        assert_int_equal(rmq__remoting_register_processor(
                             k->c->rm, RMQ_REQ_GET_CONSUMER_STATUS_FROM_CLIENT,
                             cons_proc, k, true),
                         RMQ_OK);
        assert_int_equal(
            rmq__remoting_register_processor(
                k->c->rm, RMQ_REQ_CONSUME_MESSAGE_DIRECTLY, cons_proc, k, true),
            RMQ_OK);
        return k;
}

static void cons_destroy(cons_t *k) {
        if (!k)
                return;
        mtc_destroy(k->c);
        free(k);
}

/* Joins \p group on \p addr with client version \p version (0: the
 * library's). */
static void cons_join(cons_t *k, const char *addr, const char *group,
                      int version) {
        rmq_cmd_t *req = mtc_heartbeat_req(k->id, NULL, group, T, "*", 1);
        rmq_cmd_t *resp;
        if (version)
                req->version = version;
        resp = mtc_call(k->c, addr, req);
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
}

static void cons_status_answer(cons_t *k, bool silent, const char *body) {
        uv_mutex_lock(&k->c->lock);
        k->status_silent = silent;
        if (body)
                snprintf(k->status_body, sizeof(k->status_body), "%s", body);
        uv_mutex_unlock(&k->c->lock);
}

/* ---- the fixture ---- */

typedef struct fx_s {
        mtc_fx_t *m; /* m->c plays mqadmin */
        cons_t *k1, *k2;
} fx_t;

static int setup_n(void **state, int brokers) {
        fx_t *fx = calloc(1, sizeof(*fx));
        int b;
        fx->m = mtc_fx_new(brokers);
        if (!fx->m) {
                free(fx);
                return -1;
        }
        for (b = 0; b < brokers; b++)
                rmq_mock_topic_create(fx->m->mc, T, b, 2, 2);
        fx->k1 = cons_new(K1);
        fx->k2 = cons_new(K2);
        *state = fx;
        return 0;
}

static int setup(void **state) {
        return setup_n(state, 1);
}

static int setup2(void **state) {
        return setup_n(state, 2);
}

static int teardown(void **state) {
        fx_t *fx = *state;
        void *m  = fx->m;
        cons_destroy(fx->k1);
        cons_destroy(fx->k2);
        free(fx);
        return mtc_fx_teardown(&m);
}

/* ---- helpers ---- */

static void commit(mtc_t *c, const char *addr, const char *group, int qid,
                   int64_t off) {
        char q[16], o[24];
        rmq_cmd_t *resp;
        snprintf(q, sizeof(q), "%d", qid);
        snprintf(o, sizeof(o), "%lld", (long long)off);
        resp = mtc_call(c, addr,
                        mtc_req(RMQ_REQ_UPDATE_CONSUMER_OFFSET, "consumerGroup",
                                group, "topic", T, "queueId", q, "commitOffset",
                                o, NULL));
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
}

static int64_t last_send_ms;

static bool clock_moved(void *arg) {
        (void)arg;
        return rmq__mono_ms() >= last_send_ms + 2;
}

/* Sends after the clock moved on, so each message has its own store
 * timestamp. */
static int64_t send_later(mtc_fx_t *m, const char *addr, int qid,
                          const char *body) {
        int64_t off;
        assert_true(rmq_test_wait_until(clock_moved, NULL, 1000));
        off          = mtc_send(m->c, addr, T, qid, "TagB", body);
        last_send_ms = rmq__mono_ms();
        return off;
}

static int64_t store_ts(mtc_fx_t *m, int broker, int qid, int64_t off) {
        rmq_mock_msg_t *msg;
        int64_t ts;
        assert_int_equal(rmq_mock_message_get(m->mc, T, broker, qid, off, &msg),
                         RMQ_OK);
        ts = rmq_mock_msg_store_timestamp(msg);
        rmq_mock_msg_destroy(msg);
        return ts;
}

/* SEARCH_OFFSET_BY_TIMESTAMP's answer. */
static int64_t search(mtc_fx_t *m, int qid, int64_t ts) {
        char q[16], t[24];
        rmq_cmd_t *resp;
        int64_t off = -1;
        snprintf(q, sizeof(q), "%d", qid);
        snprintf(t, sizeof(t), "%lld", (long long)ts);
        resp = mtc_call(m->c, m->b0,
                        mtc_req(RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP, "topic", T,
                                "queueId", q, "timestamp", t, NULL));
        assert_int_equal(resp->code, 0);
        assert_int_equal(rmq__cmd_ext_i64(resp, "offset", &off), 0);
        rmq__cmd_destroy(resp);
        return off;
}

/* q0: 3 messages, q1: 2 messages, each with its own store time; the
 * store times of q0's. */
static void fill(mtc_fx_t *m, int64_t q0_ts[3]) {
        int i;
        for (i = 0; i < 3; i++) {
                assert_int_equal(send_later(m, m->b0, 0, "q0"), i);
                if (i < 2)
                        assert_int_equal(send_later(m, m->b0, 1, "q1"), i);
        }
        for (i = 0; i < 3; i++)
                q0_ts[i] = store_ts(m, 0, 0, i);
        assert_true(q0_ts[0] < q0_ts[1] && q0_ts[1] < q0_ts[2]);
}

static rmq_cmd_t *reset_req(const char *group, const char *topic, int64_t ts,
                            bool force) {
        char t[24];
        snprintf(t, sizeof(t), "%lld", (long long)ts);
        return mtc_req(RMQ_REQ_INVOKE_BROKER_TO_RESET_OFFSET, "topic", topic,
                       "group", group, "timestamp", t, "isForce",
                       force ? "true" : "false", NULL);
}

/* The offsets by queue id of an offsetTable body (a map, or the list of
 * ResetOffsetBodyForC); checks topic and broker. */
static void table_of(const rmq_cmd_t *cmd, const char *broker, int64_t *offs,
                     size_t n) {
        rmq_mq_offset_t *e;
        size_t cnt, i;
        char err[128];
        assert_int_equal(rmq__offset_table_decode(cmd->body, cmd->body_len,
                                                  "offsetTable", NULL, &e, &cnt,
                                                  err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(cnt, n);
        for (i = 0; i < n; i++)
                offs[i] = -100;
        for (i = 0; i < cnt; i++) {
                assert_string_equal(e[i].mq.topic, T);
                assert_string_equal(e[i].mq.brokerName, broker);
                assert_true(e[i].mq.queueId >= 0 &&
                            (size_t)e[i].mq.queueId < n);
                offs[e[i].mq.queueId] = e[i].offset;
        }
        rmq__offset_table_free(e, cnt);
}

/* The two queues of T on \p broker in the order a HashMap<MessageQueue,
 * ...> filled queue by queue iterates them. */
static void queue_order(const char *broker, rmq_mq_t mqs[2]) {
        rmq__mq_init(&mqs[0], T, broker, 0);
        rmq__mq_init(&mqs[1], T, broker, 1);
        rmq__mq_java_order(mqs, 2);
}

/* ResetOffsetBody as a 4.9.8 broker writes it (fastjson, HashMap order). */
static void expect_reset_body(const rmq_cmd_t *cmd, const char *broker,
                              const int64_t offs[2]) {
        rmq_mq_t mqs[2];
        char want[512];
        int i;
        size_t n = 0;
        queue_order(broker, mqs);
        n += (size_t)snprintf(want + n, sizeof(want) - n, "{\"offsetTable\":{");
        for (i = 0; i < 2; i++)
                n += (size_t)snprintf(
                    want + n, sizeof(want) - n,
                    "%s{\"brokerName\":\"%s\",\"queueId\":%d,\"topic\":\"%s\"}:"
                    "%lld",
                    i ? "," : "", broker, (int)mqs[i].queueId, T,
                    (long long)offs[mqs[i].queueId]);
        snprintf(want + n, sizeof(want) - n, "}}");
        assert_int_equal(cmd->body_len, strlen(want));
        assert_memory_equal(cmd->body, want, strlen(want));
        rmq__mq_clear(&mqs[0]);
        rmq__mq_clear(&mqs[1]);
}

/* Takes the RESET_CONSUMER_CLIENT_OFFSET \p c received and checks its
 * header; returns it (caller destroys). */
static rmq_cmd_t *take_reset(mtc_t *c, const char *group, int64_t ts) {
        rmq_cmd_t *req;
        char t[24];
        assert_true(
            mtc_inbox_wait(c, RMQ_REQ_RESET_CONSUMER_CLIENT_OFFSET, 1, 3000));
        req = mtc_inbox_take(c, RMQ_REQ_RESET_CONSUMER_CLIENT_OFFSET);
        assert_non_null(req);
        assert_true(rmq__cmd_is_oneway(req));
        assert_int_equal(req->language, RMQ_LANG_JAVA);
        assert_int_equal(req->version, 409);
        snprintf(t, sizeof(t), "%lld", (long long)ts);
        mtc_assert_ext(req, "topic", T);
        mtc_assert_ext(req, "group", group);
        mtc_assert_ext(req, "timestamp", t);
        /* 4.9.8 never sets it in the header it sends */
        mtc_assert_ext(req, "isForce", "false");
        assert_int_equal(req->ext_cnt, 4);
        return req;
}

/* A reset through the admin; checks SUCCESS, the answer's and the
 * client's bodies against \p want and returns nothing. */
static void reset_ok(fx_t *fx, int64_t ts, bool force, const int64_t want[2]) {
        rmq_cmd_t *resp =
            mtc_call(fx->m->c, fx->m->b0, reset_req(G, T, ts, force));
        rmq_cmd_t *req;
        int64_t got[2];
        if (resp->code)
                fail_msg("reset: %d %s", resp->code,
                         resp->remark ? resp->remark : "");
        assert_null(resp->remark);
        table_of(resp, "broker-a", got, 2);
        assert_int_equal(got[0], want[0]);
        assert_int_equal(got[1], want[1]);
        expect_reset_body(resp, "broker-a", want);
        req = take_reset(fx->k1->c, G, ts);
        assert_int_equal(req->body_len, resp->body_len);
        assert_memory_equal(req->body, resp->body, resp->body_len);
        rmq__cmd_destroy(req);
        rmq__cmd_destroy(resp);
}

static void expect_error(mtc_t *c, const char *addr, rmq_cmd_t *req, int code,
                         const char *remark) {
        rmq_cmd_t *resp = mtc_call(c, addr, req);
        assert_int_equal(resp->code, code);
        assert_string_equal(resp->remark ? resp->remark : "(null)", remark);
        assert_int_equal(resp->body_len, 0);
        rmq__cmd_destroy(resp);
}

/* ---- INVOKE_BROKER_TO_RESET_OFFSET ---- */

/* The offsets at a store time (SEARCH_OFFSET_BY_TIMESTAMP's, the message
 * stored then), moved back only; the committed offsets are the clients'
 * business. */
static void test_reset_by_timestamp(void **state) {
        fx_t *fx    = *state;
        mtc_fx_t *m = fx->m;
        int64_t ts[3], want[2];
        fill(m, ts);
        cons_join(fx->k1, m->b0, G, 0);
        commit(fx->k1->c, m->b0, G, 0, 3);
        commit(fx->k1->c, m->b0, G, 1, 2);
        /* q0: the message stored at ts[1]; q1: what a search gives */
        want[0] = 1;
        want[1] = search(m, 1, ts[1]);
        assert_true(want[1] < 2);
        reset_ok(fx, ts[1], false, want);
        /* Between two store times: the nearer message. */
        want[0] = ts[2] - ts[1] > 1 ? 1 : 2;
        want[1] = search(m, 1, ts[1] + 1);
        if (want[1] > 2)
                want[1] = 2;
        reset_ok(fx, ts[1] + 1, false, want);
        /* The broker does not commit: the client does once it reset. */
        assert_int_equal(rmq_mock_committed_offset(m->mc, G, T, 0, 0), 3);
        assert_int_equal(rmq_mock_committed_offset(m->mc, G, T, 0, 1), 2);
        /* Nothing else was sent to the client. */
        mtc_barrier(fx->k1->c, m->b0);
        assert_int_equal(
            mtc_inbox_count(fx->k1->c, RMQ_REQ_RESET_CONSUMER_CLIENT_OFFSET),
            0);
}

/* isForce: without it an offset only moves back; -1 is the max offset; a
 * time after the last message gives the last message's offset. */
static void test_reset_force(void **state) {
        fx_t *fx    = *state;
        mtc_fx_t *m = fx->m;
        int64_t ts[3], later;
        fill(m, ts);
        later = ts[2] + 3600 * 1000;
        cons_join(fx->k1, m->b0, G, 0);
        commit(fx->k1->c, m->b0, G, 0, 1);
        commit(fx->k1->c, m->b0, G, 1, 0);
        {
                const int64_t keep[2] = {1, 0}, last[2] = {2, 1},
                              max[2] = {3, 2}, zero[2] = {0, 0};
                reset_ok(fx, later, false, keep);
                reset_ok(fx, later, true, last);
                reset_ok(fx, -1, false, keep);
                reset_ok(fx, -1, true, max);
                reset_ok(fx, 0, true, zero);
                reset_ok(fx, 0, false, zero);
        }
        commit(fx->k1->c, m->b0, G, 0, 3);
        commit(fx->k1->c, m->b0, G, 1, 2);
        {
                /* moved back to the last message, not to the max */
                const int64_t last[2] = {2, 1}, max[2] = {3, 2};
                reset_ok(fx, later, false, last);
                reset_ok(fx, -1, false, max);
        }
        /* an empty queue: offset 0 whatever the time */
        rmq_mock_topic_create(m->mc, T, 0, 3, 3);
        commit(fx->k1->c, m->b0, G, 2, 0);
        {
                rmq_cmd_t *resp =
                    mtc_call(m->c, m->b0, reset_req(G, T, later, true));
                int64_t got[3];
                assert_int_equal(resp->code, 0);
                table_of(resp, "broker-a", got, 3);
                assert_int_equal(got[0], 2);
                assert_int_equal(got[1], 1);
                assert_int_equal(got[2], 0);
                rmq__cmd_destroy(resp);
                rmq__cmd_destroy(take_reset(fx->k1->c, G, later));
        }
}

static void test_reset_errors(void **state) {
        fx_t *fx    = *state;
        mtc_fx_t *m = fx->m;
        mtc_send(m->c, m->b0, T, 0, NULL, "x");
        expect_error(m->c, m->b0, reset_req(G, "Nope", 0, false),
                     RMQ_ERR_SYSTEM_ERROR,
                     "[reset-offset] reset offset failed, no topic in this "
                     "broker. topic=Nope");
        /* No committed offset (for one queue is enough). */
        cons_join(fx->k1, m->b0, G, 0);
        expect_error(m->c, m->b0, reset_req(G, T, 0, false),
                     RMQ_ERR_SYSTEM_ERROR,
                     "THe consumer group <" G "> not exist");
        commit(fx->k1->c, m->b0, G, 0, 1);
        expect_error(m->c, m->b0, reset_req(G, T, 0, false),
                     RMQ_ERR_SYSTEM_ERROR,
                     "THe consumer group <" G "> not exist");
        /* Offsets but nobody online. */
        commit(m->c, m->b0, "CG_GONE", 0, 1);
        commit(m->c, m->b0, "CG_GONE", 1, 0);
        expect_error(m->c, m->b0, reset_req("CG_GONE", T, 123, true),
                     RMQ_ERR_CONSUMER_NOT_ONLINE,
                     "Consumer not online, so can not reset offset, Group: "
                     "CG_GONE Topic: " T " Timestamp: 123");
        /* A client older than V3_0_7_SNAPSHOT (28). */
        commit(m->c, m->b0, "CG_OLD", 0, 1);
        commit(m->c, m->b0, "CG_OLD", 1, 0);
        cons_join(fx->k2, m->b0, "CG_OLD", 27);
        expect_error(m->c, m->b0, reset_req("CG_OLD", T, 0, true),
                     RMQ_ERR_SYSTEM_ERROR,
                     "the client does not support this feature. "
                     "version=V3_0_6");
        cons_join(fx->k2, m->b0, "CG_OLD", 28);
        {
                rmq_cmd_t *resp =
                    mtc_call(m->c, m->b0, reset_req("CG_OLD", T, 0, true));
                assert_int_equal(resp->code, 0);
                rmq__cmd_destroy(resp);
                rmq__cmd_destroy(take_reset(fx->k2->c, "CG_OLD", 0));
        }
        /* The header as decodeCommandCustomHeader reads it. */
        expect_error(m->c, m->b0,
                     mtc_req(RMQ_REQ_INVOKE_BROKER_TO_RESET_OFFSET, "topic", T,
                             "group", G, "timestamp", "0", NULL),
                     RMQ_ERR_SYSTEM_ERROR,
                     "org.apache.rocketmq.remoting.exception."
                     "RemotingCommandException: the custom field <isForce> "
                     "is null");
        expect_error(m->c, m->b0,
                     mtc_req(RMQ_REQ_INVOKE_BROKER_TO_RESET_OFFSET, "topic", T,
                             "group", G, "timestamp", "soon", "isForce", "true",
                             NULL),
                     RMQ_ERR_SYSTEM_ERROR,
                     "java.lang.NumberFormatException: For input string: "
                     "\"soon\"");
        /* The errors sent nothing to the clients. */
        mtc_barrier(fx->k1->c, m->b0);
        assert_int_equal(
            mtc_inbox_count(fx->k1->c, RMQ_REQ_RESET_CONSUMER_CLIENT_OFFSET),
            0);
}

/* A CPP admin (language CPP): its clients get ResetOffsetBodyForC, the
 * admin still the ResetOffsetBody. */
static void test_reset_cpp(void **state) {
        fx_t *fx    = *state;
        mtc_fx_t *m = fx->m;
        rmq_cmd_t *req, *resp;
        rmq_mq_t mqs[2];
        int64_t got[2], want[2] = {0, 0};
        char body[512];
        size_t n = 0;
        int i;
        mtc_send(m->c, m->b0, T, 0, NULL, "x");
        mtc_send(m->c, m->b0, T, 0, NULL, "x");
        cons_join(fx->k1, m->b0, G, 0);
        commit(fx->k1->c, m->b0, G, 0, 2);
        commit(fx->k1->c, m->b0, G, 1, 0);
        req           = reset_req(G, T, 0, false);
        req->language = RMQ_LANG_CPP;
        resp          = mtc_call(m->c, m->b0, req);
        assert_int_equal(resp->code, 0);
        expect_reset_body(resp, "broker-a", want);
        req = take_reset(fx->k1->c, G, 0);
        table_of(req, "broker-a", got, 2);
        assert_int_equal(got[0], 0);
        assert_int_equal(got[1], 0);
        queue_order("broker-a", mqs);
        n += (size_t)snprintf(body + n, sizeof(body) - n, "{\"offsetTable\":[");
        for (i = 0; i < 2; i++)
                n += (size_t)snprintf(
                    body + n, sizeof(body) - n,
                    "%s{\"brokerName\":\"broker-a\",\"offset\":%lld,"
                    "\"queueId\":%d,\"topic\":\"" T "\"}",
                    i ? "," : "", (long long)want[mqs[i].queueId],
                    (int)mqs[i].queueId);
        snprintf(body + n, sizeof(body) - n, "]}");
        assert_int_equal(req->body_len, strlen(body));
        assert_memory_equal(req->body, body, strlen(body));
        rmq__mq_clear(&mqs[0]);
        rmq__mq_clear(&mqs[1]);
        rmq__cmd_destroy(req);
        rmq__cmd_destroy(resp);
}

/* ---- INVOKE_BROKER_TO_GET_CONSUMER_STATUS ---- */

/* {mq0:o0,mq1:o1} of T on broker-a as the client writes it (HashMap
 * order), after \p prefix. */
static void status_map(char *dst, size_t size, const char *prefix, int64_t o0,
                       int64_t o1) {
        rmq_mq_t mqs[2];
        const int64_t o[2] = {o0, o1};
        size_t n           = (size_t)snprintf(dst, size, "%s{", prefix);
        int i;
        queue_order("broker-a", mqs);
        for (i = 0; i < 2; i++)
                n += (size_t)snprintf(
                    dst + n, size - n,
                    "%s{\"brokerName\":\"broker-a\",\"queueId\":%d,\"topic\":"
                    "\"" T "\"}:%lld",
                    i ? "," : "", (int)mqs[i].queueId,
                    (long long)o[mqs[i].queueId]);
        snprintf(dst + n, size - n, "}");
        rmq__mq_clear(&mqs[0]);
        rmq__mq_clear(&mqs[1]);
}

/* A GetConsumerStatusBody a client answers. */
static void client_status(cons_t *k, int64_t o0, int64_t o1) {
        char map[400], body[512];
        status_map(map, sizeof(map), "", o0, o1);
        snprintf(body, sizeof(body),
                 "{\"consumerTable\":{},\"messageQueueTable\":%s}", map);
        cons_status_answer(k, false, body);
}

static rmq_cmd_t *status_req(const char *group, const char *client_addr) {
        rmq_cmd_t *req = mtc_req(RMQ_REQ_INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
                                 "topic", T, "group", group, NULL);
        if (client_addr)
                rmq__cmd_ext_add(req, "clientAddr", client_addr);
        return req;
}

static void check_status_req(cons_t *k) {
        rmq_cmd_t *req;
        assert_true(mtc_inbox_wait(
            k->c, RMQ_REQ_GET_CONSUMER_STATUS_FROM_CLIENT, 1, 3000));
        req = mtc_inbox_take(k->c, RMQ_REQ_GET_CONSUMER_STATUS_FROM_CLIENT);
        assert_false(rmq__cmd_is_oneway(req));
        mtc_assert_ext(req, "topic", T);
        mtc_assert_ext(req, "group", G);
        assert_int_equal(req->ext_cnt, 2);
        rmq__cmd_destroy(req);
}

static void test_consumer_status(void **state) {
        fx_t *fx    = *state;
        mtc_fx_t *m = fx->m;
        mtc_async_t a;
        rmq_cmd_t *resp;
        char want[1024], map1[400], map2[400];
        int64_t t0;
        cons_join(fx->k1, m->b0, G, 0);
        cons_join(fx->k2, m->b0, G, 0);
        client_status(fx->k1, 5, 7);
        cons_status_answer(fx->k2, true, NULL);
        /* k2 never answers: the admin is answered once it timed out (5 s),
         * with k1's offsets only. */
        t0 = rmq__mono_ms();
        mtc_async_start(m->c, m->b0, status_req(G, NULL),
                        20000 * rmq_test_tmout_multiplier(), &a);
        check_status_req(fx->k1);
        check_status_req(fx->k2);
        resp = mtc_async_wait(&a, 20000);
        assert_true(rmq__mono_ms() - t0 >= 4500);
        assert_int_equal(resp->code, 0);
        assert_null(resp->remark);
        status_map(map1, sizeof(map1), "\"" K1 "\":", 5, 7);
        snprintf(want, sizeof(want),
                 "{\"consumerTable\":{%s},\"messageQueueTable\":{}}", map1);
        assert_int_equal(resp->body_len, strlen(want));
        assert_memory_equal(resp->body, want, strlen(want));
        rmq__cmd_destroy(resp);
        /* clientAddr names the one client (by client id) to ask */
        resp = mtc_call(m->c, m->b0, status_req(G, K1));
        assert_int_equal(resp->code, 0);
        assert_int_equal(resp->body_len, strlen(want));
        assert_memory_equal(resp->body, want, strlen(want));
        rmq__cmd_destroy(resp);
        check_status_req(fx->k1);
        mtc_barrier(fx->k2->c, m->b0);
        assert_int_equal(
            mtc_inbox_count(fx->k2->c, RMQ_REQ_GET_CONSUMER_STATUS_FROM_CLIENT),
            0);
        /* both answer: consumerTable is a HashMap by client id */
        client_status(fx->k2, 9, 0);
        resp = mtc_call(m->c, m->b0, status_req(G, " "));
        assert_int_equal(resp->code, 0);
        status_map(map2, sizeof(map2), "\"" K2 "\":", 9, 0);
        {
                int32_t h[2] = {rmq__java_hash(K1, strlen(K1)),
                                rmq__java_hash(K2, strlen(K2))};
                size_t order[2];
                const char *maps[2] = {map1, map2};
                rmq__java_hashset_order(h, 2, order);
                snprintf(want, sizeof(want),
                         "{\"consumerTable\":{%s,%s},\"messageQueueTable\":{}}",
                         maps[order[0]], maps[order[1]]);
        }
        assert_int_equal(resp->body_len, strlen(want));
        assert_memory_equal(resp->body, want, strlen(want));
        rmq__cmd_destroy(resp);
        check_status_req(fx->k1);
        check_status_req(fx->k2);
        /* an answer without a body is left out */
        cons_status_answer(fx->k2, false, "");
        resp = mtc_call(m->c, m->b0, status_req(G, NULL));
        assert_int_equal(resp->code, 0);
        snprintf(want, sizeof(want),
                 "{\"consumerTable\":{%s},\"messageQueueTable\":{}}", map1);
        assert_memory_equal(resp->body, want, strlen(want));
        rmq__cmd_destroy(resp);
        /* a clientAddr nobody has: nobody asked */
        resp = mtc_call(m->c, m->b0, status_req(G, "1.1.1.1@x"));
        assert_int_equal(resp->code, 0);
        snprintf(want, sizeof(want),
                 "{\"consumerTable\":{},\"messageQueueTable\":{}}");
        assert_int_equal(resp->body_len, strlen(want));
        assert_memory_equal(resp->body, want, strlen(want));
        rmq__cmd_destroy(resp);
        /* no group: getConsumerGroupInfo(group) is null */
        expect_error(m->c, m->b0, status_req("CG_NONE", NULL),
                     RMQ_ERR_SYSTEM_ERROR, "java.lang.NullPointerException");
        expect_error(m->c, m->b0,
                     mtc_req(RMQ_REQ_INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
                             "topic", T, NULL),
                     RMQ_ERR_SYSTEM_ERROR,
                     "org.apache.rocketmq.remoting.exception."
                     "RemotingCommandException: the custom field <group> "
                     "is null");
        /* a client older than V3_0_7_SNAPSHOT */
        cons_join(fx->k2, m->b0, "CG_OLD", 20);
        expect_error(m->c, m->b0, status_req("CG_OLD", NULL),
                     RMQ_ERR_SYSTEM_ERROR,
                     "the client does not support this feature. "
                     "version=V3_0_3_SNAPSHOT");
}

/* The cluster goes while it waits for a client: the admin's call ends
 * (answered, or its connection closed), nothing leaks. */
static void test_status_pending_at_destroy(void **state) {
        fx_t *fx    = *state;
        mtc_fx_t *m = fx->m;
        mtc_async_t a;
        cons_join(fx->k1, m->b0, G, 0);
        cons_status_answer(fx->k1, true, NULL);
        mtc_async_start(m->c, m->b0, status_req(G, NULL),
                        20000 * rmq_test_tmout_multiplier(), &a);
        check_status_req(fx->k1);
        rmq_mock_cluster_destroy(m->mc);
        m->mc = NULL;
        assert_true(rmq_test_wait_until(mtc_async_done_cond, &a, 5000));
        uv_mutex_destroy(&a.lock);
        rmq__cmd_destroy(a.resp);
}

/* ---- CONSUME_MESSAGE_DIRECTLY ---- */

static rmq_cmd_t *direct_req(const char *client_id, const char *msg_id) {
        rmq_cmd_t *req =
            mtc_req(RMQ_REQ_CONSUME_MESSAGE_DIRECTLY, "consumerGroup", G, NULL);
        if (client_id)
                rmq__cmd_ext_add(req, "clientId", client_id);
        if (msg_id)
                rmq__cmd_ext_add(req, "msgId", msg_id);
        return req;
}

static void test_consume_directly(void **state) {
        fx_t *fx    = *state;
        mtc_fx_t *m = fx->m;
        rmq_mock_msg_t *msg;
        rmq_cmd_t *req, *resp, *pull;
        char msg_id[64], bad_id[64];
        rmq_msg_view_t mv;
        rmq_rd_t rd;
        int64_t off;
        mtc_send(m->c, m->b0, T, 1, NULL, "first");
        off = mtc_send(m->c, m->b0, T, 1, "TagD", "hello directly");
        assert_int_equal(rmq_mock_message_get(m->mc, T, 0, 1, off, &msg),
                         RMQ_OK);
        snprintf(msg_id, sizeof(msg_id), "%s", rmq_mock_msg_offset_msg_id(msg));
        rmq_mock_msg_destroy(msg);
        cons_join(fx->k1, m->b0, G, 0);

        req = direct_req(K1, msg_id);
        rmq__cmd_ext_add(req, "brokerName", "somewhere");
        resp = mtc_call(m->c, m->b0, req);
        /* the client's answer, as it is */
        assert_int_equal(resp->code, 0);
        assert_string_equal(resp->remark, "direct");
        mtc_assert_ext(resp, "x", "y");
        assert_int_equal(resp->language, RMQ_LANG_CPP);
        assert_int_equal(resp->version, 77);
        assert_int_equal(resp->body_len, strlen(DIRECT_RESULT));
        assert_memory_equal(resp->body, DIRECT_RESULT, strlen(DIRECT_RESULT));
        rmq__cmd_destroy(resp);
        /* what the client got: the admin's fields, this broker's name, the
         * stored message as a pull returns it */
        req = mtc_inbox_take(fx->k1->c, RMQ_REQ_CONSUME_MESSAGE_DIRECTLY);
        assert_non_null(req);
        assert_int_equal(req->language, RMQ_LANG_JAVA);
        assert_int_equal(req->version, 409);
        mtc_assert_ext(req, "consumerGroup", G);
        mtc_assert_ext(req, "clientId", K1);
        mtc_assert_ext(req, "msgId", msg_id);
        mtc_assert_ext(req, "brokerName", "broker-a");
        assert_int_equal(req->ext_cnt, 4);
        rmq__rd_init(&rd, req->body, req->body_len);
        assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_OK);
        assert_int_equal(rmq__rd_remains(&rd), 0);
        assert_int_equal(mv.queueId, 1);
        assert_int_equal(mv.queueOffset, off);
        assert_int_equal(mv.bodyLen, strlen("hello directly"));
        assert_memory_equal(mv.body, "hello directly", mv.bodyLen);
        assert_int_equal(mv.topicLen, strlen(T));
        pull =
            mtc_call(m->c, m->b0, mtc_pull_req(G, T, 1, off, 1, 0, 0, NULL, 0));
        assert_int_equal(pull->code, 0);
        assert_int_equal(pull->body_len, req->body_len);
        assert_memory_equal(pull->body, req->body, req->body_len);
        rmq__cmd_destroy(pull);
        rmq__cmd_destroy(req);

        /* msgId: only its commit log offset counts; none stored there, or
         * none at all, is a NullPointerException; a short one fails in
         * substring */
        snprintf(bad_id, sizeof(bad_id), "%.16s%016llX", msg_id,
                 (unsigned long long)999999);
        expect_error(m->c, m->b0, direct_req(K1, bad_id), RMQ_ERR_SYSTEM_ERROR,
                     "java.lang.NullPointerException");
        expect_error(m->c, m->b0, direct_req(K1, NULL), RMQ_ERR_SYSTEM_ERROR,
                     "java.lang.NullPointerException");
        expect_error(m->c, m->b0, direct_req(K1, "abc"), RMQ_ERR_SYSTEM_ERROR,
                     "java.lang.StringIndexOutOfBoundsException: String index "
                     "out of range: 32");
        expect_error(m->c, m->b0, direct_req(K1, "7F0000010000"),
                     RMQ_ERR_SYSTEM_ERROR,
                     "java.lang.StringIndexOutOfBoundsException: String index "
                     "out of range: 32");
        {
                /* a 56-character (IPv6) id ending with the offset */
                char v6[64];
                snprintf(v6, sizeof(v6), "%032d%.8s%.16s", 0, msg_id + 8,
                         msg_id + 16);
                resp = mtc_call(m->c, m->b0, direct_req(K1, v6));
                assert_int_equal(resp->code, 0);
                rmq__cmd_destroy(resp);
                req =
                    mtc_inbox_take(fx->k1->c, RMQ_REQ_CONSUME_MESSAGE_DIRECTLY);
                assert_non_null(req);
                mtc_assert_ext(req, "msgId", v6);
                rmq__cmd_destroy(req);
        }
        /* the consumer: callConsumer's checks */
        expect_error(m->c, m->b0, direct_req("nobody", msg_id),
                     RMQ_ERR_SYSTEM_ERROR,
                     "The Consumer <" G "> <nobody> not online");
        expect_error(m->c, m->b0, direct_req(NULL, msg_id),
                     RMQ_ERR_SYSTEM_ERROR,
                     "The Consumer <" G "> <null> not online");
        cons_join(fx->k2, m->b0, G, 61);
        expect_error(m->c, m->b0, direct_req(K2, msg_id), RMQ_ERR_SYSTEM_ERROR,
                     "The Consumer <" K2 "> Version <V3_1_7> too low to "
                     "finish, please upgrade it to V3_1_8_SNAPSHOT");
        mtc_barrier(fx->k1->c, m->b0);
        assert_int_equal(
            mtc_inbox_count(fx->k1->c, RMQ_REQ_CONSUME_MESSAGE_DIRECTLY), 0);
}

/* ---- rmq_mock_group_reset_offset ---- */

/* The broker whose queues a RESET_CONSUMER_CLIENT_OFFSET carries. */
static const char *broker_of(const rmq_cmd_t *req) {
        return memmem(req->body, req->body_len, "\"broker-a\"", 10)
                   ? "broker-a"
                   : "broker-b";
}

static void test_public_reset(void **state) {
        fx_t *fx             = *state;
        mtc_fx_t *m          = fx->m;
        const char *addrs[2] = {m->b0, m->b1};
        rmq_cmd_t *req[2];
        int b;
        for (b = 0; b < 2; b++) {
                mtc_send(m->c, addrs[b], T, 0, NULL, "a");
                mtc_send(m->c, addrs[b], T, 0, NULL, "b");
                mtc_send(m->c, addrs[b], T, 1, NULL, "c");
                cons_join(fx->k1, addrs[b], G, 0);
                commit(fx->k1->c, addrs[b], G, 0, 1);
                commit(fx->k1->c, addrs[b], G, 1, 0);
        }
        assert_int_equal(rmq_mock_group_reset_offset(m->mc, G, T, -1, 1),
                         RMQ_OK);
        assert_true(mtc_inbox_wait(
            fx->k1->c, RMQ_REQ_RESET_CONSUMER_CLIENT_OFFSET, 2, 3000));
        for (b = 0; b < 2; b++) {
                int64_t got[2];
                req[b] = take_reset(fx->k1->c, G, -1);
                table_of(req[b], broker_of(req[b]), got, 2);
                assert_int_equal(got[0], 2);
                assert_int_equal(got[1], 1);
        }
        /* one from each broker */
        assert_string_not_equal(broker_of(req[0]), broker_of(req[1]));
        rmq__cmd_destroy(req[0]);
        rmq__cmd_destroy(req[1]);
        /* committed offsets are the clients' to change */
        assert_int_equal(rmq_mock_committed_offset(m->mc, G, T, 1, 0), 1);
        /* not forced: only back */
        assert_int_equal(rmq_mock_group_reset_offset(m->mc, G, T, 0, 0),
                         RMQ_OK);
        for (b = 0; b < 2; b++) {
                int64_t got[2];
                rmq_cmd_t *r = take_reset(fx->k1->c, G, 0);
                table_of(r, broker_of(r), got, 2);
                assert_int_equal(got[0], 0);
                assert_int_equal(got[1], 0);
                rmq__cmd_destroy(r);
        }
        /* errors */
        assert_int_equal(rmq_mock_group_reset_offset(m->mc, G, "Nope", 0, 0),
                         RMQ_ERR_TOPIC_NOT_EXIST);
        assert_int_equal(rmq_mock_group_reset_offset(m->mc, "CG_NONE", T, 0, 0),
                         RMQ_ERR_SYSTEM_ERROR);
        commit(m->c, m->b0, "CG_GONE", 0, 0);
        commit(m->c, m->b0, "CG_GONE", 1, 0);
        assert_int_equal(rmq_mock_group_reset_offset(m->mc, "CG_GONE", T, 0, 0),
                         RMQ_ERR_CONSUMER_NOT_ONLINE);
        assert_int_equal(rmq_mock_group_reset_offset(m->mc, NULL, T, 0, 0),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_mock_group_reset_offset(NULL, G, T, 0, 0),
                         RMQ_ERR__INVALID_ARG);
        /* a broker of the route that is down fails it, as for mqadmin; an
         * unregistered one is not in the route */
        assert_int_equal(rmq_mock_broker_set_down(m->mc, 1), RMQ_OK);
        assert_int_equal(rmq_mock_group_reset_offset(m->mc, G, T, 0, 1),
                         RMQ_ERR__TRANSPORT);
        rmq__cmd_destroy(take_reset(fx->k1->c, G, 0)); /* broker-a's */
        assert_int_equal(rmq_mock_broker_set_registered(m->mc, 1, 0), RMQ_OK);
        assert_int_equal(rmq_mock_group_reset_offset(m->mc, G, T, 0, 1),
                         RMQ_OK);
        rmq__cmd_destroy(take_reset(fx->k1->c, G, 0));
}

/* ---- the program's `reset` command ---- */

static void test_control_reset(void **state) {
        const char *args[] = {"--brokers", "1",    "--namesrv-port", "0",
                              "--topic",   T ":2", "--control",      NULL};
        char b0[64];
        mp_proc_t p;
        cons_t *k;
        rmq_cmd_t *req;
        int64_t got[2];
        (void)state;
        if (!mp_find_program())
                fail_msg("rmq-mock-cluster not found at %s", mp_program);
        mp_spawn(&p, args, true);
        assert_true(
            mp_read_line(&p, "broker-a: ", 5000 * rmq_test_tmout_multiplier()));
        mp_addr_after(&p, "broker-a: ", b0, sizeof(b0));
        p.pos = p.len;
        k     = cons_new(K1);
        mtc_send(k->c, b0, T, 0, NULL, "a");
        mtc_send(k->c, b0, T, 0, NULL, "b");
        cons_join(k, b0, G, 0);
        commit(k->c, b0, G, 0, 0);
        commit(k->c, b0, G, 1, 0);

        assert_non_null(strstr(mp_ctl(&p, "help"), " reset "));
        assert_string_equal(mp_ctl(&p, "reset " G " " T " -1"), "ok");
        req = take_reset(k->c, G, -1);
        table_of(req, "broker-a", got, 2);
        assert_int_equal(got[0], 0); /* not forced: kept */
        assert_int_equal(got[1], 0);
        rmq__cmd_destroy(req);
        assert_string_equal(mp_ctl(&p, "reset " G " " T " -1 force"), "ok");
        req = take_reset(k->c, G, -1);
        table_of(req, "broker-a", got, 2);
        assert_int_equal(got[0], 2);
        assert_int_equal(got[1], 0);
        rmq__cmd_destroy(req);
        assert_string_equal(mp_ctl(&p, "reset CG_NONE " T " 0"),
                            "error: SYSTEM_ERROR: Broker: system error");
        assert_string_equal(mp_ctl(&p, "reset " G " Nope 0"),
                            "error: TOPIC_NOT_EXIST: Broker: topic does not "
                            "exist");
        assert_string_equal(mp_ctl(&p, "reset " G " " T " soon"),
                            "error: want reset GROUP TOPIC TIMESTAMP [force]");
        assert_string_equal(mp_ctl(&p, "reset " G " " T " 0 hard"),
                            "error: want reset GROUP TOPIC TIMESTAMP [force]");
        assert_string_equal(mp_ctl(&p, "reset " G),
                            "error: unknown command or wrong arguments: reset "
                            "(try help)");
        /* the client leaves: nobody to reset */
        {
                rmq_cmd_t *resp =
                    mtc_call(k->c, b0,
                             mtc_req(RMQ_REQ_UNREGISTER_CLIENT, "clientID", K1,
                                     "consumerGroup", G, NULL));
                assert_int_equal(resp->code, 0);
                rmq__cmd_destroy(resp);
        }
        cons_destroy(k);
        assert_string_equal(mp_ctl(&p, "reset " G " " T " 0"),
                            "error: CONSUMER_NOT_ONLINE: Broker: consumer not "
                            "online");
        assert_int_equal(mp_stop(&p, SIGTERM), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_reset_by_timestamp, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_reset_force, setup, teardown),
            cmocka_unit_test_setup_teardown(test_reset_errors, setup, teardown),
            cmocka_unit_test_setup_teardown(test_reset_cpp, setup, teardown),
            cmocka_unit_test_setup_teardown(test_consumer_status, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_status_pending_at_destroy,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_consume_directly, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_public_reset, setup2,
                                            teardown),
            cmocka_unit_test_teardown(test_control_reset, mp_kill_child),
        };
        return cmocka_run_group_tests_name("mock_broker2client", tests, NULL,
                                           NULL);
}
