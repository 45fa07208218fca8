/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client API's consumer and admin requests (MQClientAPIImpl, 4.9.8):
 * each request carries the header the Java client sends (compared with the
 * captured frames of ../shared/fixtures/wire, through a capturing server),
 * and each works against the mock cluster, errors included.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "client/rmq_client_api.h"
#include "client/rmq_client_int.h"
#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "mock_client.h"
#include "producer_fixture.h"
#include "protocol/rmq_bodies.h"
#include "rocketmq/rmq_mock.h"
#include "testutil.h"

/* ---- a server that keeps what it receives ---- */

typedef struct capture_s {
        rmq_io_t *io;
        rmq_remoting_t *rm;
        char addr[64];
        uv_mutex_t lock;
        rmq_cmd_t *last; /* a copy of the last request */
        atomic_int n;
} capture_t;

static rmq_cmd_t *cmd_copy(const rmq_cmd_t *c) {
        rmq_buf_t b     = RMQ_BUF_INIT;
        rmq_cmd_t *copy = NULL;
        char err[128];
        rmq__cmd_encode(c, &b);
        assert_int_equal(
            rmq__cmd_decode(b.data, b.len, &copy, err, sizeof(err)), RMQ_OK);
        rmq__buf_free(&b);
        return copy;
}

static void capture_proc(rmq_remoting_t *rm, rmq_channel_t *ch, rmq_cmd_t *req,
                         void *opaque) {
        capture_t *c = opaque;
        rmq_cmd_t *resp;
        uv_mutex_lock(&c->lock);
        rmq__cmd_destroy(c->last);
        c->last = cmd_copy(req);
        uv_mutex_unlock(&c->lock);
        atomic_fetch_add(&c->n, 1);
        /* an answer each request accepts */
        switch (req->code) {
        case RMQ_REQ_PULL_MESSAGE:
                resp = rmq__cmd_new_response(RMQ_ERR_PULL_NOT_FOUND, NULL);
                rmq__cmd_ext_add(resp, "nextBeginOffset", "0");
                rmq__cmd_ext_add(resp, "minOffset", "0");
                rmq__cmd_ext_add(resp, "maxOffset", "0");
                rmq__cmd_ext_add(resp, "suggestWhichBrokerId", "0");
                break;
        case RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP:
                resp = rmq__cmd_new_response(RMQ_OK, NULL);
                rmq__cmd_set_body_copy(resp, "{\"consumerIdList\":[]}", 21);
                break;
        case RMQ_REQ_LOCK_BATCH_MQ:
                resp = rmq__cmd_new_response(RMQ_OK, NULL);
                rmq__cmd_set_body_copy(resp, "{\"lockOKMQSet\":[]}", 18);
                break;
        default:
                resp = rmq__cmd_new_response(RMQ_OK, NULL);
                rmq__cmd_ext_add(resp, "offset", "0");
                rmq__cmd_ext_add(resp, "timestamp", "0");
                break;
        }
        rmq__remoting_reply(rm, ch, req, resp);
        rmq__cmd_destroy(req);
}

static capture_t *capture_start(void) {
        capture_t *c = calloc(1, sizeof(*c));
        rmq_remoting_conf_t rc;
        int port = 0;
        rmq__remoting_conf_defaults(&rc);
        uv_mutex_init(&c->lock);
        c->io = rmq__io_new("test-cap", &mtc_quiet);
        c->rm = rmq__remoting_new(c->io, &rc, NULL, &mtc_quiet);
        rmq__remoting_register_processor(c->rm, -1, capture_proc, c, true);
        assert_int_equal(rmq__remoting_listen(c->rm, "127.0.0.1", 0, &port),
                         RMQ_OK);
        snprintf(c->addr, sizeof(c->addr), "127.0.0.1:%d", port);
        return c;
}

static void capture_stop(capture_t *c) {
        rmq__remoting_teardown(c->io, NULL, c->rm);
        rmq__cmd_destroy(c->last);
        uv_mutex_destroy(&c->lock);
        free(c);
}

typedef struct cap_wait_s {
        capture_t *c;
        int n;
} cap_wait_t;

static bool cap_reached(void *arg) {
        cap_wait_t *w = arg;
        return atomic_load(&w->c->n) >= w->n;
}

/* The request captured, once \p n requests arrived (a copy to destroy). */
static rmq_cmd_t *captured(capture_t *c, int n) {
        cap_wait_t w = {c, n};
        rmq_cmd_t *r;
        assert_true(rmq_test_wait_until(cap_reached, &w, 5000));
        uv_mutex_lock(&c->lock);
        r       = c->last;
        c->last = NULL;
        uv_mutex_unlock(&c->lock);
        return r;
}

static const char *fx_ext(const rmq_cmd_t *cmd, const char *key) {
        const char *v = rmq__cmd_ext(cmd, key);
        if (!v)
                fail_msg("fixture has no %s", key);
        return v;
}

static int64_t fx_i64(const rmq_cmd_t *cmd, const char *key) {
        int64_t v = 0;
        if (rmq__cmd_ext_i64(cmd, key, &v))
                fail_msg("fixture has no number %s", key);
        return v;
}

/* \p ours carries exactly the fixture's header fields with the same
 * values, except "ReqT" (the lite pull consumer's StreamTypeRPCHook). */
static void assert_same_header(const rmq_cmd_t *ours, const rmq_cmd_t *java) {
        uint32_t i, n = 0;
        assert_int_equal(ours->code, java->code);
        assert_int_equal(rmq__cmd_is_oneway(ours), rmq__cmd_is_oneway(java));
        for (i = 0; i < java->ext_cnt; i++) {
                const char *v;
                if (!strcmp(java->ext[i].key, "ReqT"))
                        continue;
                n++;
                v = rmq__cmd_ext(ours, java->ext[i].key);
                if (!v)
                        fail_msg("field %s missing", java->ext[i].key);
                if (strcmp(v, java->ext[i].val))
                        fail_msg("field %s: %s, Java sent %s", java->ext[i].key,
                                 v, java->ext[i].val);
        }
        if (ours->ext_cnt != n)
                fail_msg("%u fields, Java sent %u", ours->ext_cnt, n);
}

/* \p mq from the queue fields of the fixture \p java. */
static void fx_mq(rmq_mq_t *mq, const rmq_cmd_t *java) {
        rmq__mq_init(mq, fx_ext(java, "topic"), fx_ext(java, "bname"),
                     (int32_t)fx_i64(java, "queueId"));
}

/* An END_TRANSACTION header with the fields both fixtures (the first
 * answer and a check-back's) have. */
static void fx_end_txn(rmq_end_txn_header_t *h, const rmq_cmd_t *java) {
        memset(h, 0, sizeof(*h));
        h->producerGroup        = fx_ext(java, "producerGroup");
        h->tranStateTableOffset = fx_i64(java, "tranStateTableOffset");
        h->commitLogOffset      = fx_i64(java, "commitLogOffset");
        h->commitOrRollback     = (int32_t)fx_i64(java, "commitOrRollback");
        h->msgId                = fx_ext(java, "msgId");
}

/* ---- fixture ---- */

typedef struct fx_s {
        rmq_mock_cluster_t *mc;
        rmq_client_t *ci;
        capture_t *cap;
        mtc_t *raw;
        const char *b0;
} fx_t;

static int setup(void **state) {
        fx_t *fx         = calloc(1, sizeof(*fx));
        rmq_conf_t *conf = rmq_conf_new();
        char err[256];
        fx->mc = fx_cluster(2);
        fx->b0 = rmq_mock_broker_addr(fx->mc, 0);
        rmq_mock_topic_create(fx->mc, "TopicRpc", -1, 4, 4);
        rmq_conf_set(conf, "namesrvAddr", rmq_mock_cluster_namesrv_addr(fx->mc),
                     err, sizeof(err));
        rmq_conf_set(conf, "instanceName", "rpc-test", err, sizeof(err));
        rmq_conf_set(conf, "log.level", "3", err, sizeof(err));
        fx->ci = rmq__client_acquire(conf);
        rmq_conf_destroy(conf);
        assert_int_equal(rmq__client_start(fx->ci, err, sizeof(err)), RMQ_OK);
        fx->cap = capture_start();
        fx->raw = mtc_new();
        *state  = fx;
        return 0;
}

static int teardown(void **state) {
        fx_t *fx = *state;
        rmq__client_release(fx->ci);
        capture_stop(fx->cap);
        mtc_destroy(fx->raw);
        rmq_mock_cluster_destroy(fx->mc);
        free(fx);
        return 0;
}

/* ---- headers as Java sends them ---- */

/* The \p n-th request the capturing server received carries the header of
 * the fixture \p java (and with \p same_body its body); destroys \p java. */
static void assert_captured(fx_t *fx, int n, rmq_cmd_t *java, bool same_body) {
        rmq_cmd_t *ours = captured(fx->cap, n);
        assert_same_header(ours, java);
        if (same_body) {
                assert_int_equal(ours->body_len, java->body_len);
                assert_memory_equal(ours->body, java->body, java->body_len);
        }
        rmq__cmd_destroy(ours);
        rmq__cmd_destroy(java);
}

static void pull_done_ignore(rmq_err_t err, rmq_pull_result_t *res,
                             const char *errstr, void *opaque) {
        (void)errstr;
        if (!err)
                rmq__free(res->storage);
        atomic_fetch_add((atomic_int *)opaque, 1);
}

static void test_headers_match_java(void **state) {
        fx_t *fx         = *state;
        rmq_client_t *ci = fx->ci;
        const char *cap  = fx->cap->addr;
        rmq_cmd_t *java;
        rmq_mq_t mq;
        int64_t v;
        int n = 0;
        char err[256];
        char **ids;
        size_t cnt;
        atomic_int pulls;
        atomic_init(&pulls, 0);

        /* PULL_MESSAGE (push consumer, long polling) */
        java = rmq_test_fixture_cmd("036-", NULL, 0);
        {
                rmq_pull_header_t h;
                memset(&h, 0, sizeof(h));
                h.consumerGroup        = fx_ext(java, "consumerGroup");
                h.topic                = fx_ext(java, "topic");
                h.queueId              = (int32_t)fx_i64(java, "queueId");
                h.queueOffset          = fx_i64(java, "queueOffset");
                h.maxMsgNums           = (int32_t)fx_i64(java, "maxMsgNums");
                h.sysFlag              = (int32_t)fx_i64(java, "sysFlag");
                h.commitOffset         = fx_i64(java, "commitOffset");
                h.suspendTimeoutMillis = fx_i64(java, "suspendTimeoutMillis");
                h.subVersion           = fx_i64(java, "subVersion");
                h.expressionType       = fx_ext(java, "expressionType");
                h.bname                = fx_ext(java, "bname");
                assert_int_equal(rmq__api_pull_async(ci, cap, &h, 3000,
                                                     pull_done_ignore, &pulls),
                                 RMQ_OK);
        }
        assert_captured(fx, ++n, java, false);

        /* QUERY_CONSUMER_OFFSET */
        java = rmq_test_fixture_cmd("045-", NULL, 0);
        fx_mq(&mq, java);
        assert_int_equal(rmq__api_query_consumer_offset(
                             ci, cap, fx_ext(java, "consumerGroup"), &mq, 3000,
                             &v, err, sizeof(err)),
                         RMQ_OK);
        assert_captured(fx, ++n, java, false);
        rmq__mq_clear(&mq);

        /* UPDATE_CONSUMER_OFFSET, oneway as the persist task sends it */
        java = rmq_test_fixture_cmd("075-", NULL, 0);
        fx_mq(&mq, java);
        assert_int_equal(rmq__api_update_consumer_offset(
                             ci, cap, fx_ext(java, "consumerGroup"), &mq,
                             fx_i64(java, "commitOffset"), true, 3000, err,
                             sizeof(err)),
                         RMQ_OK);
        assert_captured(fx, ++n, java, false);
        rmq__mq_clear(&mq);

        /* CONSUMER_SEND_MSG_BACK */
        java = rmq_test_fixture_cmd("072-", NULL, 0);
        assert_int_equal(
            rmq__api_consumer_send_msg_back(
                ci, cap, fx_ext(java, "bname"), fx_i64(java, "offset"),
                fx_ext(java, "group"), (int32_t)fx_i64(java, "delayLevel"),
                fx_ext(java, "originMsgId"), fx_ext(java, "originTopic"),
                (int32_t)fx_i64(java, "maxReconsumeTimes"), 3000, err,
                sizeof(err)),
            RMQ_OK);
        assert_captured(fx, ++n, java, false);

        /* SEARCH_OFFSET_BY_TIMESTAMP, GET_MIN_OFFSET, GET_MAX_OFFSET */
        java = rmq_test_fixture_cmd("083-", NULL, 0);
        fx_mq(&mq, java);
        assert_int_equal(rmq__api_search_offset(ci, cap, &mq,
                                                fx_i64(java, "timestamp"), 3000,
                                                &v, err, sizeof(err)),
                         RMQ_OK);
        assert_captured(fx, ++n, java, false);
        java = rmq_test_fixture_cmd("085-", NULL, 0);
        assert_int_equal(
            rmq__api_get_min_offset(ci, cap, &mq, 3000, &v, err, sizeof(err)),
            RMQ_OK);
        assert_captured(fx, ++n, java, false);
        java = rmq_test_fixture_cmd("087-", NULL, 0);
        assert_int_equal(
            rmq__api_get_max_offset(ci, cap, &mq, 3000, &v, err, sizeof(err)),
            RMQ_OK);
        assert_captured(fx, ++n, java, false);
        rmq__mq_clear(&mq);

        /* GET_CONSUMER_LIST_BY_GROUP */
        java = rmq_test_fixture_cmd("040-", NULL, 0);
        assert_int_equal(rmq__api_get_consumer_id_list(
                             ci, cap, fx_ext(java, "consumerGroup"), 3000, &ids,
                             &cnt, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(cnt, 0);
        rmq__strv_free(ids);
        assert_captured(fx, ++n, java, false);

        /* END_TRANSACTION: the first answer, and a check-back's */
        java = rmq_test_fixture_cmd("056-", NULL, 0);
        {
                rmq_end_txn_header_t h;
                fx_end_txn(&h, java);
                h.bname = fx_ext(java, "bname");
                assert_int_equal(
                    rmq__api_end_transaction_oneway(ci, cap, &h, NULL, 3000),
                    RMQ_OK);
        }
        assert_captured(fx, ++n, java, false);
        java = rmq_test_fixture_cmd("077-", NULL, 0);
        {
                rmq_end_txn_header_t h;
                fx_end_txn(&h, java);
                h.fromTransactionCheck = true;
                h.transactionId        = fx_ext(java, "transactionId");
                assert_int_equal(
                    rmq__api_end_transaction_oneway(ci, cap, &h, NULL, 3000),
                    RMQ_OK);
        }
        assert_captured(fx, ++n, java, false);

        /* UNREGISTER_CLIENT (consumer) */
        java = rmq_test_fixture_cmd("080-", NULL, 0);
        {
                rmq_cmd_t *req = rmq__api_unregister_client_request(
                    rmq__client_conf(ci), fx_ext(java, "clientID"), NULL,
                    fx_ext(java, "consumerGroup"));
                rmq_cmd_t *resp = NULL;
                assert_int_equal(rmq__remoting_invoke_sync(
                                     rmq__client_remoting(ci), cap, req, 3000,
                                     &resp, err, sizeof(err)),
                                 RMQ_OK);
                rmq__cmd_destroy(req);
                rmq__cmd_destroy(resp);
        }
        assert_captured(fx, ++n, java, false);

        /* LOCK_BATCH_MQ and UNLOCK_BATCH_MQ: no header, the JSON body */
        {
                static const char *const fixtures[] = {"043-", "089-"};
                int k;
                for (k = 0; k < 2; k++) {
                        rmq_lock_batch_request_t body;
                        rmq_mq_t *locked;
                        size_t nl;
                        memset(&body, 0, sizeof(body));
                        java = rmq_test_fixture_cmd(fixtures[k], NULL, 0);
                        assert_int_equal(rmq__lock_batch_request_decode(
                                             java->body, java->body_len, &body,
                                             err, sizeof(err)),
                                         RMQ_OK);
                        if (k == 0) {
                                assert_int_equal(
                                    rmq__api_lock_batch_mq(ci, cap, &body, 3000,
                                                           &locked, &nl, err,
                                                           sizeof(err)),
                                    RMQ_OK);
                                rmq__mq_array_free(locked, nl);
                        } else {
                                assert_int_equal(rmq__api_unlock_batch_mq(
                                                     ci, cap, &body, 3000,
                                                     false, err, sizeof(err)),
                                                 RMQ_OK);
                        }
                        assert_captured(fx, ++n, java, true);
                        rmq__lock_batch_request_clear(&body);
                }
        }
}

/* ---- against the mock cluster ---- */

typedef struct pull_wait_s {
        uv_mutex_t lock;
        bool done;
        rmq_err_t err;
        rmq_pull_result_t res;
        char errstr[256];
} pull_wait_t;

static void pull_cb(rmq_err_t err, rmq_pull_result_t *res, const char *errstr,
                    void *opaque) {
        pull_wait_t *w = opaque;
        uv_mutex_lock(&w->lock);
        w->err = err;
        if (res)
                w->res = *res;
        if (errstr)
                rmq__strlcpy(w->errstr, errstr, sizeof(w->errstr));
        w->done = true;
        uv_mutex_unlock(&w->lock);
}

static bool pull_done(void *arg) {
        pull_wait_t *w = arg;
        bool d;
        uv_mutex_lock(&w->lock);
        d = w->done;
        uv_mutex_unlock(&w->lock);
        return d;
}

static rmq_err_t pull(fx_t *fx, const char *group, int32_t qid, int64_t offset,
                      pull_wait_t *w) {
        rmq_pull_header_t h;
        memset(w, 0, sizeof(*w));
        uv_mutex_init(&w->lock);
        memset(&h, 0, sizeof(h));
        h.consumerGroup = group;
        h.topic         = "TopicRpc";
        h.queueId       = qid;
        h.queueOffset   = offset;
        h.maxMsgNums    = 32;
        /* no suspend (answered at once); the subscription in the request,
         * as the group has sent no heartbeat */
        h.sysFlag        = RMQ_PULL_FLAG_SUBSCRIPTION;
        h.subVersion     = 1;
        h.expressionType = "TAG";
        h.subscription   = "*";
        h.bname          = "broker-a";
        assert_int_equal(
            rmq__api_pull_async(fx->ci, fx->b0, &h, 5000, pull_cb, w), RMQ_OK);
        assert_true(rmq_test_wait_until(pull_done, w, 5000));
        uv_mutex_destroy(&w->lock);
        return w->err;
}

static void test_pull_statuses(void **state) {
        fx_t *fx = *state;
        pull_wait_t w;
        rmq_rd_t rd;
        rmq_msg_view_t mv;
        int i;
        for (i = 0; i < 3; i++)
                mtc_send(fx->raw, fx->b0, "TopicRpc", 1, "TagA", "body");
        /* FOUND, with the body and the offsets */
        assert_int_equal(pull(fx, "CG_RPC", 1, 0, &w), RMQ_OK);
        assert_int_equal(w.res.status, RMQ_PULL_FOUND);
        assert_int_equal(w.res.nextBeginOffset, 3);
        assert_int_equal(w.res.minOffset, 0);
        assert_int_equal(w.res.maxOffset, 3);
        assert_non_null(w.res.body);
        rmq__rd_init(&rd, w.res.body, w.res.body_len);
        for (i = 0; i < 3; i++) {
                assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_OK);
                assert_int_equal(mv.queueOffset, i);
        }
        assert_int_equal(rmq__rd_remains(&rd), 0);
        rmq__free(w.res.storage);
        /* NO_NEW_MSG at the end */
        assert_int_equal(pull(fx, "CG_RPC", 1, 3, &w), RMQ_OK);
        assert_int_equal(w.res.status, RMQ_PULL_NO_NEW_MSG);
        assert_null(w.res.storage);
        /* OFFSET_ILLEGAL past it */
        assert_int_equal(pull(fx, "CG_RPC", 1, 50, &w), RMQ_OK);
        assert_int_equal(w.res.status, RMQ_PULL_OFFSET_ILLEGAL);
        assert_int_equal(w.res.nextBeginOffset, 3);
        /* a broker error: its code and remark */
        rmq_mock_push_request_errors(fx->mc, 0, RMQ_REQ_PULL_MESSAGE, 1,
                                     RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(pull(fx, "CG_RPC", 1, 0, &w), RMQ_ERR_SYSTEM_BUSY);
        assert_non_null(strstr(w.errstr, "CODE: 2"));
        /* a lost connection: a local error */
        rmq_mock_push_request_errors(fx->mc, 0, RMQ_REQ_PULL_MESSAGE, 1,
                                     RMQ_ERR__TRANSPORT);
        assert_true(pull(fx, "CG_RPC", 1, 0, &w) < 0);
}

/* A long-polling pull (held by the broker for 15 s) cancelled: its
 * callback runs at once with RMQ_ERR__DESTROY; a second cancel, or one of
 * an unknown opaque, finds nothing; the late answer is dropped. */
static void test_pull_cancel(void **state) {
        fx_t *fx = *state;
        pull_wait_t w;
        rmq_pull_header_t h;
        rmq_cmd_t *req;
        int32_t opaque;
        int64_t t0;
        memset(&w, 0, sizeof(w));
        uv_mutex_init(&w.lock);
        memset(&h, 0, sizeof(h));
        assert_int_equal(rmq_mock_topic_create(fx->mc, "TopicCancel", 0, 1, 1),
                         RMQ_OK);
        h.consumerGroup        = "CG_RPC";
        h.topic                = "TopicCancel";
        h.queueId              = 0;
        h.queueOffset          = 0;
        h.maxMsgNums           = 32;
        h.sysFlag              = RMQ_PULL_FLAG_SUBSCRIPTION |
                                 RMQ_PULL_FLAG_SUSPEND;
        h.suspendTimeoutMillis = 15000;
        h.subVersion           = 1;
        h.expressionType       = "TAG";
        h.subscription         = "*";
        h.bname                = "broker-a";
        req    = rmq__api_pull_request(rmq__client_conf(fx->ci), &h);
        opaque = req->opaque;
        t0     = rmq__mono_ms();
        assert_int_equal(rmq__api_pull_send(fx->ci, fx->b0, req, 30000,
                                            pull_cb, &w),
                         RMQ_OK);
        rmq__cmd_destroy(req);
        /* held: the queue is empty */
        mtc_barrier(fx->raw, fx->b0);
        assert_false(pull_done(&w));
        assert_true(rmq__remoting_cancel(rmq__client_remoting(fx->ci), opaque));
        assert_true(rmq_test_wait_until(pull_done, &w, 2000));
        assert_int_equal(w.err, RMQ_ERR__DESTROY);
        assert_non_null(strstr(w.errstr, "cancelled"));
        assert_true(rmq__mono_ms() - t0 < 10000);
        assert_false(rmq__remoting_cancel(rmq__client_remoting(fx->ci), opaque));
        assert_false(rmq__remoting_cancel(rmq__client_remoting(fx->ci),
                                          0x7ffffff0));
        /* a message wakes the held pull on the broker: its answer finds no
         * request and is dropped */
        mtc_send(fx->raw, fx->b0, "TopicCancel", 0, NULL, "late");
        mtc_barrier(fx->raw, fx->b0);
        uv_mutex_destroy(&w.lock);
}

static void test_offsets_and_queries(void **state) {
        fx_t *fx         = *state;
        rmq_client_t *ci = fx->ci;
        rmq_mq_t mq;
        int64_t v = -7, t0 = rmq__wall_ms();
        char err[256];
        rmq__mq_init(&mq, "TopicRpc", "broker-a", 3);
        /* a group without an offset on a queue whose first messages are
         * gone: QUERY_NOT_FOUND (ConsumerManageProcessor), kept apart from a
         * failed request */
        mtc_send(fx->raw, fx->b0, "TopicRpc", 3, NULL, "x");
        mtc_send(fx->raw, fx->b0, "TopicRpc", 3, NULL, "y");
        assert_int_equal(rmq_mock_queue_truncate(fx->mc, "TopicRpc", 0, 3, 1),
                         RMQ_OK);
        assert_int_equal(rmq__api_query_consumer_offset(ci, fx->b0, "CG_OFF",
                                                        &mq, 3000, &v, err,
                                                        sizeof(err)),
                         RMQ_ERR_QUERY_NOT_FOUND);
        rmq__mq_clear(&mq);
        rmq__mq_init(&mq, "TopicRpc", "broker-a", 2);
        rmq_mock_push_request_errors(fx->mc, 0, RMQ_REQ_QUERY_CONSUMER_OFFSET,
                                     1, RMQ_ERR__TIMED_OUT);
        assert_int_equal(rmq__api_query_consumer_offset(ci, fx->b0, "CG_OFF",
                                                        &mq, 300, &v, err,
                                                        sizeof(err)),
                         RMQ_ERR__TIMED_OUT);
        /* acknowledged update, then read back */
        assert_int_equal(rmq__api_update_consumer_offset(ci, fx->b0, "CG_OFF",
                                                         &mq, 5, false, 3000,
                                                         err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq__api_query_consumer_offset(ci, fx->b0, "CG_OFF",
                                                        &mq, 3000, &v, err,
                                                        sizeof(err)),
                         RMQ_OK);
        assert_int_equal(v, 5);
        assert_int_equal(
            rmq_mock_committed_offset(fx->mc, "CG_OFF", "TopicRpc", 0, 2), 5);
        /* queue offsets and times */
        mtc_send(fx->raw, fx->b0, "TopicRpc", 2, NULL, "a");
        mtc_send(fx->raw, fx->b0, "TopicRpc", 2, NULL, "b");
        assert_int_equal(rmq__api_get_max_offset(ci, fx->b0, &mq, 3000, &v, err,
                                                 sizeof(err)),
                         RMQ_OK);
        assert_int_equal(v, 2);
        assert_int_equal(rmq__api_get_min_offset(ci, fx->b0, &mq, 3000, &v, err,
                                                 sizeof(err)),
                         RMQ_OK);
        assert_int_equal(v, 0);
        assert_int_equal(rmq__api_search_offset(ci, fx->b0, &mq, t0 - 1000,
                                                3000, &v, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(v, 0);
        assert_int_equal(rmq__api_get_earliest_msg_storetime(
                             ci, fx->b0, &mq, 3000, &v, err, sizeof(err)),
                         RMQ_OK);
        assert_true(v >= t0 - 1000 && v <= rmq__wall_ms() + 1000);
        /* a broker error names the code, the remark and the broker */
        rmq_mock_push_request_errors(fx->mc, 0, RMQ_REQ_GET_MAX_OFFSET, 1,
                                     RMQ_ERR_SYSTEM_ERROR);
        assert_int_equal(rmq__api_get_max_offset(ci, fx->b0, &mq, 3000, &v, err,
                                                 sizeof(err)),
                         RMQ_ERR_SYSTEM_ERROR);
        assert_non_null(strstr(err, "CODE: 1  DESC: "));
        assert_non_null(strstr(err, fx->b0));
        rmq__mq_clear(&mq);
}

static void test_locks_and_send_back(void **state) {
        fx_t *fx         = *state;
        rmq_client_t *ci = fx->ci;
        rmq_lock_batch_request_t body;
        rmq_mq_t mqs[2], *locked = NULL;
        size_t n = 0;
        char owner[256], err[256];
        rmq_cmd_t *resp;
        rmq_msg_view_t mv;
        rmq_rd_t rd;
        char id[RMQ_OFFSET_MSG_ID_MAX + 1];
        const char *msg_id;
        /* LOCK_BATCH_MQ: the broker lists what it locked for us */
        rmq__mq_init(&mqs[0], "TopicRpc", "broker-a", 0);
        rmq__mq_init(&mqs[1], "TopicRpc", "broker-a", 3);
        body.consumerGroup = "CG_LOCK";
        body.clientId      = (char *)rmq__client_id(ci);
        body.mqSet         = mqs;
        body.mqSet_cnt     = 2;
        assert_int_equal(rmq__api_lock_batch_mq(ci, fx->b0, &body, 3000,
                                                &locked, &n, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(n, 2);
        rmq__mq_array_free(locked, n);
        assert_true(rmq_mock_queue_lock_owner(fx->mc, "CG_LOCK", "TopicRpc", 0,
                                              3, owner, sizeof(owner)));
        assert_string_equal(owner, rmq__client_id(ci));
        /* UNLOCK_BATCH_MQ, oneway: released soon after */
        assert_int_equal(rmq__api_unlock_batch_mq(ci, fx->b0, &body, 3000,
                                                  false, err, sizeof(err)),
                         RMQ_OK);
        assert_false(rmq_mock_queue_lock_owner(fx->mc, "CG_LOCK", "TopicRpc", 0,
                                               3, owner, sizeof(owner)));
        rmq__mq_clear(&mqs[0]);
        rmq__mq_clear(&mqs[1]);
        /* CONSUMER_SEND_MSG_BACK: the message goes to %RETRY%group */
        mtc_send(fx->raw, fx->b0, "TopicRpc", 0, "TagB", "again");
        resp = mtc_call(fx->raw, fx->b0,
                        mtc_pull_req("CG_BACK", "TopicRpc", 0, 0, 32,
                                     RMQ_PULL_FLAG_SUBSCRIPTION, 0, "*", 1));
        assert_int_equal(resp->code, 0);
        rmq__rd_init(&rd, resp->body, resp->body_len);
        assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_OK);
        rmq__offset_msg_id_create(&mv.storeHost, mv.commitLogOffset, id);
        msg_id = id;
        assert_int_equal(rmq__api_consumer_send_msg_back(
                             ci, fx->b0, "broker-a", mv.commitLogOffset,
                             "CG_BACK", 0, msg_id, "TopicRpc", 16, 3000, err,
                             sizeof(err)),
                         RMQ_OK);
        rmq__cmd_destroy(resp);
        /* delay level 3 + reconsumeTimes: in the schedule topic */
        assert_int_equal(
            rmq_mock_topic_message_count(fx->mc, "SCHEDULE_TOPIC_XXXX"), 1);
        /* VIEW_MESSAGE_BY_ID by commit log offset */
        assert_int_equal(rmq__api_view_message(ci, fx->b0, mv.commitLogOffset,
                                               3000, &resp, err, sizeof(err)),
                         RMQ_OK);
        rmq__rd_init(&rd, resp->body, resp->body_len);
        assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_OK);
        assert_int_equal(mv.bodyLen, 5);
        assert_memory_equal(mv.body, "again", 5);
        rmq__cmd_destroy(resp);
        /* and a commit log offset that is not there */
        assert_int_equal(rmq__api_view_message(ci, fx->b0, 1 << 30, 3000, &resp,
                                               err, sizeof(err)),
                         RMQ_ERR_SYSTEM_ERROR);
}

typedef struct query_wait_s {
        uv_mutex_t lock;
        bool done;
        rmq_err_t err;
        int code;
        size_t body_len;
} query_wait_t;

static void query_cb(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                     void *opaque) {
        query_wait_t *q = opaque;
        (void)errstr;
        uv_mutex_lock(&q->lock);
        q->err = err;
        if (resp) {
                q->code     = resp->code;
                q->body_len = resp->body_len;
        }
        q->done = true;
        uv_mutex_unlock(&q->lock);
}

static bool query_done(void *arg) {
        query_wait_t *q = arg;
        bool d;
        uv_mutex_lock(&q->lock);
        d = q->done;
        uv_mutex_unlock(&q->lock);
        return d;
}

static bool no_half(void *arg) {
        return rmq_mock_half_message_count(arg) == 0;
}

static void test_query_message_and_end_transaction(void **state) {
        fx_t *fx = *state;
        rmq_producer_t *prod;
        rmq_message_t *msg;
        rmq_send_result_t *res;
        query_wait_t q;
        rmq_end_txn_header_t h;
        rmq_cmd_t *req, *resp;
        int64_t qoff, coff;
        char err[256];
        rmq_msg_host_t host;
        /* QUERY_MESSAGE by key */
        prod = fx_producer(fx->mc, "PG_RPC", NULL);
        msg  = fx_msg("TopicRpc", "keyed");
        rmq_message_set_keys(msg, "order-77");
        assert_int_equal(rmq_producer_send(prod, msg, &res, err, sizeof(err)),
                         RMQ_OK);
        rmq_send_result_destroy(res);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        memset(&q, 0, sizeof(q));
        uv_mutex_init(&q.lock);
        assert_int_equal(rmq__api_query_message_async(
                             fx->ci, fx->b0, "TopicRpc", "order-77", 32, 0,
                             INT64_MAX, false, 3000, query_cb, &q),
                         RMQ_OK);
        assert_true(rmq_test_wait_until(query_done, &q, 5000));
        uv_mutex_destroy(&q.lock);
        /* on one of the two brokers; the other answers QUERY_NOT_FOUND */
        assert_int_equal(q.err, RMQ_OK);
        assert_true(q.code == RMQ_OK || q.code == RMQ_ERR_QUERY_NOT_FOUND);
        /* END_TRANSACTION resolves a half message */
        mtc_heartbeat(fx->raw, fx->b0, "tx@rpc", "PG_TXRPC", NULL, NULL, NULL);
        req = mtc_send_req("TopicRpc", 1, NULL, "half");
        rmq__cmd_ext_add(req, "a", "PG_TXRPC");
        rmq__cmd_ext_add(req, "f", "4");
        rmq__cmd_ext_add(req, "i",
                         "TRAN_MSG\001true\002UNIQ_KEY\001UQ1\002WAIT\001true"
                         "\002PGROUP\001PG_TXRPC");
        resp = mtc_call(fx->raw, fx->b0, req);
        assert_int_equal(resp->code, 0);
        assert_int_equal(rmq__cmd_ext_i64(resp, "queueOffset", &qoff), 0);
        assert_int_equal(rmq__offset_msg_id_decode(
                             rmq__cmd_ext(resp, "msgId"),
                             strlen(rmq__cmd_ext(resp, "msgId")), &host, &coff),
                         RMQ_OK);
        rmq__cmd_destroy(resp);
        assert_int_equal(rmq_mock_half_message_count(fx->mc), 1);
        memset(&h, 0, sizeof(h));
        h.producerGroup        = "PG_TXRPC";
        h.tranStateTableOffset = qoff;
        h.commitLogOffset      = coff;
        h.commitOrRollback     = 12; /* rollback */
        h.msgId                = "UQ1";
        h.bname                = "broker-a";
        assert_int_equal(
            rmq__api_end_transaction_oneway(fx->ci, fx->b0, &h, NULL, 3000),
            RMQ_OK);
        assert_true(rmq_test_wait_until(no_half, fx->mc, 5000));
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_headers_match_java),
            cmocka_unit_test(test_pull_statuses),
            cmocka_unit_test(test_pull_cancel),
            cmocka_unit_test(test_offsets_and_queries),
            cmocka_unit_test(test_locks_and_send_back),
            cmocka_unit_test(test_query_message_and_end_transaction),
        };
        return cmocka_run_group_tests_name("client_rpc", tests, setup,
                                           teardown);
}
