/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A raw remoting client for the mock cluster tests: builds requests, calls
 * the mock with rmq_remoting on its own rmq_io, and keeps the requests the
 * mock sends back (NOTIFY_CONSUMER_IDS_CHANGED, CHECK_TRANSACTION_STATE,
 * PUSH_REPLY_MESSAGE_TO_CLIENT).
 * No producer or consumer code is involved.
 */
#ifndef MOCK_CLIENT_H
#define MOCK_CLIENT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/rmq_io.h"
#include "common/rmq_str.h"
#include "protocol/rmq_heartbeat.h"
#include "protocol/rmq_message_codec.h"
#include "remoting/rmq_json.h"
#include "remoting/rmq_remoting.h"
#include "rocketmq/rmq_mock.h"
#include "testutil.h"

#define MTC_INBOX_MAX 256

static rmq_logger_t mtc_quiet = {rmq__log_stderr_cb, NULL, 3, 0, "test", 0};

typedef struct mtc_s {
        rmq_io_t *io;
        rmq_remoting_t *rm;
        uv_mutex_t lock;
        rmq_cmd_t *inbox[MTC_INBOX_MAX];
        size_t inbox_cnt;
        const rmq_cmd_t *running_answer; /* the answer to a forwarded
                                          * GET_CONSUMER_RUNNING_INFO */
        int push_answer; /* the code PUSH_REPLY_MESSAGE_TO_CLIENT is
                          * answered with, -1 none (under lock) */
} mtc_t;

/* Keeps every request the mock sends to this client; answers
 * GET_CONSUMER_RUNNING_INFO and PUSH_REPLY_MESSAGE_TO_CLIENT as a Java
 * client does (the latter with push_answer). */
static inline void mtc_proc(rmq_remoting_t *rm, rmq_channel_t *ch,
                            rmq_cmd_t *req, void *opaque) {
        mtc_t *c = opaque;
        if (req->code == RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT) {
                int code;
                uv_mutex_lock(&c->lock);
                code = c->push_answer;
                uv_mutex_unlock(&c->lock);
                if (code >= 0) {
                        rmq_cmd_t *resp = rmq__cmd_new_response(code, NULL);
                        resp->language  = RMQ_LANG_JAVA;
                        rmq__remoting_reply(rm, ch, req, resp);
                }
        }
        if (req->code == RMQ_REQ_GET_CONSUMER_RUNNING_INFO) {
                rmq_cmd_t *resp = rmq__cmd_new_response(
                    0, "not set any response code");
                resp->language = RMQ_LANG_JAVA;
                if (c->running_answer)
                        rmq__cmd_set_body_copy(resp, c->running_answer->body,
                                               c->running_answer->body_len);
                else
                        rmq__cmd_set_body_copy(resp, "{\"mqTable\":{}}", 14);
                rmq__remoting_reply(rm, ch, req, resp);
        }
        uv_mutex_lock(&c->lock);
        if (c->inbox_cnt < MTC_INBOX_MAX)
                c->inbox[c->inbox_cnt++] = req;
        else
                rmq__cmd_destroy(req);
        uv_mutex_unlock(&c->lock);
}

static inline mtc_t *mtc_new(void) {
        mtc_t *c = calloc(1, sizeof(*c));
        rmq_remoting_conf_t rc;
        rmq__remoting_conf_defaults(&rc);
        /* these tests probe the mock and dial it at will (the connect
         * back-off has its own tests) */
        rc.reconnect_backoff_ms = 0;
        uv_mutex_init(&c->lock);
        c->io = rmq__io_new("test-cli", &mtc_quiet);
        c->rm = rmq__remoting_new(c->io, &rc, NULL, &mtc_quiet);
        rmq__remoting_register_processor(c->rm, -1, mtc_proc, c, true);
        return c;
}

/* How PUSH_REPLY_MESSAGE_TO_CLIENT is answered: a response code, or -1
 * for no answer. */
static inline void mtc_set_push_answer(mtc_t *c, int code) {
        uv_mutex_lock(&c->lock);
        c->push_answer = code;
        uv_mutex_unlock(&c->lock);
}

static inline void mtc_on_stop(rmq_io_t *io, void *arg) {
        (void)io;
        rmq__remoting_close(arg);
}

static inline void mtc_destroy(mtc_t *c) {
        size_t i;
        if (!c)
                return;
        rmq__io_destroy(c->io, mtc_on_stop, c->rm);
        rmq__remoting_free(c->rm);
        for (i = 0; i < c->inbox_cnt; i++)
                rmq__cmd_destroy(c->inbox[i]);
        uv_mutex_destroy(&c->lock);
        free(c);
}

/* Requests received with \p code. */
/* The fixture most mock tests share: a cluster of brokers brokers, one raw
 * client, and the addresses (b1 is NULL with one broker). */
typedef struct mtc_fx_s {
        rmq_mock_cluster_t *mc;
        mtc_t *c;
        const char *ns;
        const char *b0;
        const char *b1;
} mtc_fx_t;

/* NULL (with the reason on stderr) if the cluster does not start. */
static inline mtc_fx_t *mtc_fx_new(int brokers) {
        mtc_fx_t *fx = calloc(1, sizeof(*fx));
        char err[256];
        if (!fx)
                return NULL;
        if (rmq_mock_cluster_new(&fx->mc, brokers, err, sizeof(err)) !=
            RMQ_OK) {
                fprintf(stderr, "mock: %s\n", err);
                free(fx);
                return NULL;
        }
        fx->c  = mtc_new();
        fx->ns = rmq_mock_cluster_namesrv_addr(fx->mc);
        fx->b0 = rmq_mock_broker_addr(fx->mc, 0);
        fx->b1 = brokers > 1 ? rmq_mock_broker_addr(fx->mc, 1) : NULL;
        return fx;
}

/* A CMocka group teardown for a fixture made by mtc_fx_new(). */
static inline int mtc_fx_teardown(void **state) {
        mtc_fx_t *fx = *state;
        mtc_destroy(fx->c);
        rmq_mock_cluster_destroy(fx->mc);
        free(fx);
        return 0;
}

static inline size_t mtc_inbox_count(mtc_t *c, int code) {
        size_t i, n = 0;
        uv_mutex_lock(&c->lock);
        for (i = 0; i < c->inbox_cnt; i++)
                if (c->inbox[i]->code == code)
                        n++;
        uv_mutex_unlock(&c->lock);
        return n;
}

/* Takes the first received request with \p code (caller destroys), or
 * NULL. */
static inline rmq_cmd_t *mtc_inbox_take(mtc_t *c, int code) {
        size_t i;
        rmq_cmd_t *r = NULL;
        uv_mutex_lock(&c->lock);
        for (i = 0; i < c->inbox_cnt; i++) {
                if (c->inbox[i]->code == code) {
                        r = c->inbox[i];
                        memmove(&c->inbox[i], &c->inbox[i + 1],
                                (c->inbox_cnt - i - 1) * sizeof(rmq_cmd_t *));
                        c->inbox_cnt--;
                        break;
                }
        }
        uv_mutex_unlock(&c->lock);
        return r;
}

typedef struct mtc_wait_s {
        mtc_t *c;
        int code;
        size_t n;
} mtc_wait_t;

static inline bool mtc_inbox_cond(void *arg) {
        mtc_wait_t *w = arg;
        return mtc_inbox_count(w->c, w->code) >= w->n;
}

/* Waits until \p n requests with \p code arrived. */
static inline bool mtc_inbox_wait(mtc_t *c, int code, size_t n,
                                  int timeout_ms) {
        mtc_wait_t w = {c, code, n};
        return rmq_test_wait_until(mtc_inbox_cond, &w, timeout_ms);
}

/* A request with ext fields given as key, value pairs ending with NULL. */
static inline rmq_cmd_t *mtc_req(int code, ...) {
        rmq_cmd_t *req = rmq__cmd_new_request(code);
        const char *k;
        va_list ap;
        req->language = RMQ_LANG_JAVA;
        va_start(ap, code);
        while ((k = va_arg(ap, const char *)) != NULL) {
                const char *v = va_arg(ap, const char *);
                rmq__cmd_ext_add(req, k, v);
        }
        va_end(ap);
        return req;
}

/* Calls \p addr and returns the response (asserts the transport worked).
 * Takes \p req. */
static inline rmq_cmd_t *mtc_call(mtc_t *c, const char *addr, rmq_cmd_t *req) {
        rmq_cmd_t *resp = NULL;
        char err[256];
        rmq_err_t e = rmq__remoting_invoke_sync(c->rm, addr, req,
                                                5000 * rmq_test_tmout_multiplier(),
                                                &resp, err, sizeof(err));
        rmq__cmd_destroy(req);
        if (e)
                fail_msg("call to %s failed: %s (%s)", addr, rmq_err2name(e),
                         err);
        return resp;
}

/* A round trip to \p addr on \p c's connection. The mock handles the
 * requests of one connection in order, on one loop, so when this returns
 * every earlier request of \p c to \p addr has been processed (a pull is
 * held, or answered), and whatever the mock answered or sent on that
 * connection before, from that loop turn and the due timers of the next,
 * has been received. A wait on a condition, not on time. */
static inline void mtc_barrier(mtc_t *c, const char *addr) {
        rmq_cmd_t *resp = mtc_call(
            c, addr,
            mtc_req(RMQ_REQ_GET_MAX_OFFSET, "topic", "TBW102", "queueId", "0",
                    NULL));
        rmq__cmd_destroy(resp);
}

/* Same, returning the transport error instead of failing. */
static inline rmq_err_t mtc_try_call(mtc_t *c, const char *addr,
                                     rmq_cmd_t *req, int64_t timeout_ms,
                                     rmq_cmd_t **respp) {
        char err[256];
        rmq_err_t e = rmq__remoting_invoke_sync(c->rm, addr, req, timeout_ms,
                                                respp, err, sizeof(err));
        rmq__cmd_destroy(req);
        return e;
}

static inline void mtc_oneway(mtc_t *c, const char *addr, rmq_cmd_t *req) {
        assert_int_equal(rmq__remoting_invoke_oneway(c->rm, addr, req, 3000),
                         RMQ_OK);
        rmq__cmd_destroy(req);
}

/* An asynchronous call whose answer is waited for later. */
typedef struct mtc_async_s {
        uv_mutex_t lock;
        int done;
        rmq_err_t err;
        rmq_cmd_t *resp; /* a copy */
} mtc_async_t;

static inline void mtc_async_cb(rmq_err_t err, rmq_cmd_t *resp,
                                const char *errstr, void *opaque) {
        mtc_async_t *a = opaque;
        rmq_cmd_t *copy = NULL;
        (void)errstr;
        if (!err) {
                rmq_buf_t b = RMQ_BUF_INIT;
                char e[128];
                rmq__cmd_encode(resp, &b);
                assert_int_equal(rmq__cmd_decode(b.data, b.len, &copy, e,
                                                 sizeof(e)),
                                 RMQ_OK);
                rmq__buf_free(&b);
        }
        uv_mutex_lock(&a->lock);
        a->err  = err;
        a->resp = copy;
        a->done = 1;
        uv_mutex_unlock(&a->lock);
}

/* Starts \p req (taken) to \p addr; the answer lands in \p a. */
static inline void mtc_async_start(mtc_t *c, const char *addr, rmq_cmd_t *req,
                                   int64_t timeout_ms, mtc_async_t *a) {
        memset(a, 0, sizeof(*a));
        uv_mutex_init(&a->lock);
        assert_int_equal(rmq__remoting_invoke_async(c->rm, addr, req,
                                                    timeout_ms,
                                                    RMQ_INVOKE_F_ON_LOOP,
                                                    mtc_async_cb, a),
                         RMQ_OK);
        rmq__cmd_destroy(req);
}

static inline bool mtc_async_done_cond(void *arg) {
        mtc_async_t *a = arg;
        int d;
        uv_mutex_lock(&a->lock);
        d = a->done;
        uv_mutex_unlock(&a->lock);
        return d != 0;
}

static inline bool mtc_async_done(mtc_async_t *a) {
        return mtc_async_done_cond(a);
}

/* Waits for the answer; returns it (caller destroys) or fails. */
static inline rmq_cmd_t *mtc_async_wait(mtc_async_t *a, int timeout_ms) {
        rmq_cmd_t *r;
        if (!rmq_test_wait_until(mtc_async_done_cond, a, timeout_ms))
                fail_msg("no answer within %d ms", timeout_ms);
        uv_mutex_destroy(&a->lock);
        if (a->err)
                fail_msg("async call failed: %s", rmq_err2name(a->err));
        r       = a->resp;
        a->resp = NULL;
        return r;
}

/* A PULL_MESSAGE request. */
static inline rmq_cmd_t *mtc_pull_req(const char *group, const char *topic,
                                      int queue_id, int64_t offset,
                                      int max_msgs, int sys_flag,
                                      int64_t suspend_ms,
                                      const char *subscription,
                                      int64_t sub_version) {
        char qid[16], off[24], max[16], flag[16], susp[24], ver[24];
        rmq_cmd_t *req;
        snprintf(qid, sizeof(qid), "%d", queue_id);
        snprintf(off, sizeof(off), "%lld", (long long)offset);
        snprintf(max, sizeof(max), "%d", max_msgs);
        snprintf(flag, sizeof(flag), "%d", sys_flag);
        snprintf(susp, sizeof(susp), "%lld", (long long)suspend_ms);
        snprintf(ver, sizeof(ver), "%lld", (long long)sub_version);
        req = mtc_req(RMQ_REQ_PULL_MESSAGE, "consumerGroup", group, "topic",
                      topic, "queueId", qid, "queueOffset", off, "maxMsgNums",
                      max, "sysFlag", flag, "commitOffset", "0",
                      "suspendTimeoutMillis", susp, "subVersion", ver,
                      "expressionType", "TAG", NULL);
        if (subscription)
                rmq__cmd_ext_add(req, "subscription", subscription);
        return req;
}

/* A SEND_MESSAGE_V2 request (properties "TAGS\1tag" + UNIQ_KEY). */
static inline rmq_cmd_t *mtc_send_req(const char *topic, int queue_id,
                                      const char *tags, const char *body) {
        static int seq;
        char qid[16], props[256];
        rmq_cmd_t *req;
        snprintf(qid, sizeof(qid), "%d", queue_id);
        snprintf(props, sizeof(props),
                 "UNIQ_KEY\001C0A80001000000000000000000%06X\002WAIT\001true"
                 "%s%s",
                 seq++ & 0xffffff, tags ? "\002TAGS\001" : "", tags ? tags : "");
        req = mtc_req(RMQ_REQ_SEND_MESSAGE_V2, "a", "PG_TEST", "b", topic, "c",
                      "TBW102", "d", "4", "e", qid, "f", "0", "g",
                      "1700000000000", "h", "0", "i", props, "j", "0", "k",
                      "false", "m", "false", NULL);
        rmq__cmd_set_body_copy(req, body, strlen(body));
        return req;
}

/* Sends one message and asserts success; returns the queue offset. */
static inline int64_t mtc_send(mtc_t *c, const char *addr, const char *topic,
                               int queue_id, const char *tags,
                               const char *body) {
        rmq_cmd_t *resp = mtc_call(c, addr,
                                   mtc_send_req(topic, queue_id, tags, body));
        int64_t off = -1;
        if (resp->code != 0)
                fail_msg("send to %s failed: %d %s", topic, resp->code,
                         resp->remark ? resp->remark : "");
        assert_int_equal(rmq__cmd_ext_i64(resp, "queueOffset", &off), 0);
        rmq__cmd_destroy(resp);
        return off;
}

/* A HEART_BEAT body: an optional producer group and an optional consumer
 * group subscribed to \p topic with \p expr. */
static inline rmq_cmd_t *mtc_heartbeat_req(const char *client_id,
                                           const char *pgroup,
                                           const char *cgroup,
                                           const char *topic, const char *expr,
                                           int64_t sub_version) {
        rmq_heartbeat_data_t *hb = rmq__heartbeat_new(client_id);
        rmq_buf_t b              = RMQ_BUF_INIT;
        rmq_cmd_t *req           = mtc_req(RMQ_REQ_HEART_BEAT, NULL);
        if (pgroup)
                rmq__heartbeat_add_producer(hb, pgroup);
        if (cgroup) {
                rmq_consumer_data_t *cd = rmq__heartbeat_add_consumer(
                    hb, cgroup, RMQ_HB_CONSUME_PASSIVELY, RMQ_HB_CLUSTERING,
                    RMQ_HB_CONSUME_FROM_LAST_OFFSET, false);
                if (topic) {
                        rmq_subscription_data_t sd;
                        assert_int_equal(rmq__subscription_build(
                                             &sd, topic, expr, "TAG",
                                             sub_version),
                                         RMQ_OK);
                        rmq__consumer_data_add_subscription(cd, &sd);
                        rmq__subscription_clear(&sd);
                }
        }
        rmq__heartbeat_encode(hb, &b);
        rmq__heartbeat_destroy(hb);
        rmq__cmd_set_body_copy(req, b.data, b.len);
        rmq__buf_free(&b);
        return req;
}

static inline void mtc_heartbeat(mtc_t *c, const char *addr,
                                 const char *client_id, const char *pgroup,
                                 const char *cgroup, const char *topic,
                                 const char *expr) {
        rmq_cmd_t *resp = mtc_call(
            c, addr,
            mtc_heartbeat_req(client_id, pgroup, cgroup, topic, expr, 1));
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
}

/* Number of messages in a PULL body (asserts it decodes). */
static inline size_t mtc_count_msgs(const rmq_cmd_t *resp) {
        rmq_rd_t rd;
        rmq_msg_view_t mv;
        size_t n = 0;
        rmq__rd_init(&rd, resp->body, resp->body_len);
        while (rmq__rd_remains(&rd) > 0) {
                assert_int_equal(rmq__msg_decode_next(&rd, &mv), RMQ_OK);
                n++;
        }
        return n;
}

/* Is the process-level number \p s equal to the ext field \p key? */
static inline void mtc_assert_ext(const rmq_cmd_t *cmd, const char *key,
                                  const char *want) {
        const char *v = rmq__cmd_ext(cmd, key);
        if (!v)
                fail_msg("ext field %s missing", key);
        if (strcmp(v, want))
                fail_msg("ext field %s is \"%s\", want \"%s\"", key, v, want);
}

#endif /* MOCK_CLIENT_H */
