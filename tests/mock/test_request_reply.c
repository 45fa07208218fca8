/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request-reply against the mock (DefaultMQProducer#request, 4.9.8): a
 * requester producer, and a responder made of a push consumer on the
 * request topic that answers each request with rmq_message_create_reply()
 * and a producer of its own client instance.
 */
#include <ctype.h>

#include "client/rmq_message_int.h"
#include "consumer_fixture.h"

#define TOPIC       "RequestTopic"
#define REPLY_TOPIC "DefaultCluster_REPLY_TOPIC"
#define BIG_REPLY   8192 /* over compressMsgBodyOverHowmuch (4096) */

/* How the responder answers. */
enum { RSP_ECHO, RSP_DROP, RSP_HOLD, RSP_BIG };

typedef struct rsp_s {
        rmq_producer_t *prod;
        rmq_push_consumer_t *pc;
        atomic_int mode;
        atomic_int seen;
        atomic_int replied;   /* replies sent OK */
        atomic_int release;   /* RSP_HOLD: answer once set */
        atomic_int reply_err; /* the last error of a reply send */
} rsp_t;

typedef struct fx_s {
        rmq_mock_cluster_t *mc;
        rmq_producer_t *req; /* the requester */
        rsp_t rsp;
} fx_t;

static int tmo(int ms) {
        return ms * rmq_test_tmout_multiplier();
}

/* The reply body: "pong:<request body>:q<queue id>", or BIG_REPLY bytes
 * that repeat it. */
static size_t reply_body(const rmq_message_ext_t *mx, bool big, char *dst,
                         size_t size) {
        size_t len, blen, n;
        const void *b = rmq_message_ext_body(mx, &blen);
        n = (size_t)snprintf(dst, size, "pong:%.*s:q%d", (int)blen,
                             (const char *)b, rmq_message_ext_queue_id(mx));
        if (!big)
                return n;
        for (len = n; len < BIG_REPLY; len++)
                dst[len] = dst[len % n];
        return BIG_REPLY;
}

static rmq_consume_status_t
responder(rmq_push_consumer_t *pc, const rmq_message_ext_t *const *msgs,
          size_t n, rmq_consume_context_t *ctx, void *opaque) {
        rsp_t *r = opaque;
        size_t i;
        (void)pc;
        (void)ctx;
        for (i = 0; i < n; i++) {
                int mode = atomic_load(&r->mode);
                char body[BIG_REPLY + 64], err[512];
                rmq_message_t *reply = NULL;
                size_t len;
                rmq_err_t e;
                atomic_fetch_add(&r->seen, 1);
                if (mode == RSP_DROP)
                        continue;
                if (mode == RSP_HOLD &&
                    !rmq_test_wait_until(fx_flag_set, &r->release, tmo(30000)))
                        fail_msg("hold never released");
                len = reply_body(msgs[i], mode == RSP_BIG, body, sizeof(body));
                assert_int_equal(rmq_message_create_reply(msgs[i], body, len,
                                                          &reply, err,
                                                          sizeof(err)),
                                 RMQ_OK);
                e = rmq_producer_send(r->prod, reply, NULL, err, sizeof(err));
                atomic_store(&r->reply_err, e);
                if (!e)
                        atomic_fetch_add(&r->replied, 1);
                rmq_message_destroy(reply);
        }
        return RMQ_CONSUME_SUCCESS;
}

static const char *const req_conf[] = {"instanceName", "requester", NULL};
static const char *const rsp_conf[] = {"instanceName", "responder", NULL};
static const char *const rsp_cons_conf[] = {"instanceName", "responder",
                                            FX_FROM_FIRST, NULL};

static int setup(void **state) {
        fx_t *fx = calloc(1, sizeof(*fx));
        fx->mc   = fx_cluster_topic(2, TOPIC, 4, NULL);
        fx->rsp.prod = fx_producer(fx->mc, "PG_RSP", rsp_conf);
        fx->rsp.pc   = fx_consumer_run(fx->mc, "CG_RSP", TOPIC, rsp_cons_conf,
                                       responder, &fx->rsp);
        fx->req = fx_producer(fx->mc, "PG_REQ", req_conf);
        *state  = fx;
        return 0;
}

static int teardown(void **state) {
        fx_t *fx = *state;
        atomic_store(&fx->rsp.release, 1);
        rmq_producer_destroy(fx->req);
        rmq_push_consumer_destroy(fx->rsp.pc);
        rmq_producer_destroy(fx->rsp.prod);
        rmq_mock_cluster_destroy(fx->mc);
        free(fx);
        return 0;
}

/* The reply to a request with body \p body that went to queue \p qid
 * (-1: any) is "pong:<body>:q<qid>". */
static void assert_pong(const rmq_message_ext_t *reply, const char *body,
                        int qid) {
        char want[256];
        const void *b;
        size_t len, wl;
        b  = rmq_message_ext_body(reply, &len);
        wl = (size_t)snprintf(want, sizeof(want), "pong:%s:q", body);
        if (len < wl || memcmp(b, want, wl))
                fail_msg("reply %.*s to %s", (int)len, (const char *)b, body);
        if (qid >= 0 && atoi((const char *)b + wl) != qid)
                fail_msg("reply %.*s: request not on queue %d", (int)len,
                         (const char *)b, qid);
}

/* A CORRELATION_ID as UUID.randomUUID().toString() writes it. */
static void assert_uuid(const char *s) {
        size_t i;
        assert_non_null(s);
        assert_int_equal(strlen(s), 36);
        for (i = 0; i < 36; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23)
                        assert_int_equal(s[i], '-');
                else if (!isxdigit((unsigned char)s[i]) ||
                         isupper((unsigned char)s[i]))
                        fail_msg("not a lower-case UUID: %s", s);
        }
        assert_int_equal(s[14], '4');
}

/* TTL is the request's timeout in ms (a scaled one under sanitizers). */
static void assert_ttl(const char *ttl, int64_t timeout_ms) {
        char want[32];
        snprintf(want, sizeof(want), "%lld", (long long)timeout_ms);
        assert_non_null(ttl);
        assert_string_equal(ttl, want);
}

static void test_request_sync(void **state) {
        fx_t *fx           = *state;
        rmq_message_t *msg = fx_msg(TOPIC, "ping-1");
        rmq_message_ext_t *reply = NULL;
        char err[512];
        const char *corr, *to;
        assert_int_equal(rmq_producer_request(fx->req, msg, tmo(10000), &reply,
                                              err, sizeof(err)),
                         RMQ_OK);
        assert_pong(reply, "ping-1", -1);
        /* prepareSendRequest's properties, on the caller's message */
        corr = rmq_message_property(msg, "CORRELATION_ID");
        assert_uuid(corr);
        to = rmq_message_property(msg, "REPLY_TO_CLIENT");
        assert_non_null(to);
        assert_non_null(strstr(to, "@requester"));
        assert_ttl(rmq_message_property(msg, "TTL"), tmo(10000));
        /* createReplyMessage's, on the reply as pushed */
        assert_string_equal(rmq_message_ext_topic(reply), REPLY_TOPIC);
        assert_string_equal(rmq_message_ext_property(reply, "MSG_TYPE"),
                            "reply");
        assert_string_equal(
            rmq_message_ext_property(reply, "CORRELATION_ID"), corr);
        assert_string_equal(
            rmq_message_ext_property(reply, "REPLY_TO_CLIENT"), to);
        assert_ttl(rmq_message_ext_property(reply, "TTL"), tmo(10000));
        /* receiveReplyMessage's own, and the broker's push time */
        assert_non_null(rmq_message_ext_property(reply, "ARRIVE_TIME"));
        assert_non_null(rmq_message_ext_property(reply, "PUSH_REPLY_TIME"));
        rmq_message_ext_release(reply);
        rmq_message_destroy(msg);
}

/* Waits until the broker stored the reply: it pushes it first, then
 * stores it (ReplyMessageProcessor). */
static bool stored_reply(fx_t *fx) {
        fx_count_t c = {fx->mc, REPLY_TOPIC, 1};
        return rmq_test_wait_until(fx_count_reached, &c, tmo(10000));
}

/* The request and the reply as the broker stored them (the properties
 * Java's client puts on the wire), and the reply's request code. */
static void test_properties_on_wire(void **state) {
        fx_t *fx           = *state;
        rmq_message_t *msg = fx_msg(TOPIC, "wire");
        rmq_message_queue_t *mq = NULL;
        rmq_message_ext_t *reply = NULL;
        rmq_mock_msg_t *m = NULL;
        const char *corr;
        char err[512];
        rmq_mock_start_request_tracking(fx->mc);
        mq = rmq_message_queue_new(TOPIC, rmq_mock_broker_name(fx->mc, 0), 2);
        assert_int_equal(rmq_producer_request_to_queue(fx->req, msg, mq,
                                                       tmo(10000), &reply,
                                                       err, sizeof(err)),
                         RMQ_OK);
        assert_pong(reply, "wire", 2);
        corr = rmq_message_property(msg, "CORRELATION_ID");
        assert_int_equal(
            rmq_mock_message_get(fx->mc, TOPIC, 0, 2, 0, &m), RMQ_OK);
        assert_string_equal(rmq_mock_msg_property(m, "CORRELATION_ID"), corr);
        assert_string_equal(rmq_mock_msg_property(m, "REPLY_TO_CLIENT"),
                            rmq_message_property(msg, "REPLY_TO_CLIENT"));
        assert_ttl(rmq_mock_msg_property(m, "TTL"), tmo(10000));
        assert_string_equal(rmq_mock_msg_property(m, "CLUSTER"),
                            "DefaultCluster");
        assert_null(rmq_mock_msg_property(m, "MSG_TYPE"));
        rmq_mock_msg_destroy(m);
        /* the stored reply (storeReplyMessageEnable): no WAIT, as Java's
         * new Message() */
        assert_true(stored_reply(fx));
        assert_int_equal(rmq_mock_topic_message_count(fx->mc, REPLY_TOPIC), 1);
        m = NULL;
        if (rmq_mock_message_get(fx->mc, REPLY_TOPIC, 0, 0, 0, &m))
                assert_int_equal(
                    rmq_mock_message_get(fx->mc, REPLY_TOPIC, 1, 0, 0, &m),
                    RMQ_OK);
        assert_string_equal(rmq_mock_msg_property(m, "MSG_TYPE"), "reply");
        assert_string_equal(rmq_mock_msg_property(m, "CORRELATION_ID"), corr);
        assert_null(rmq_mock_msg_property(m, "WAIT"));
        rmq_mock_msg_destroy(m);
        assert_int_equal(rmq_mock_request_count(fx->mc, -1,
                                                RMQ_REQ_SEND_REPLY_MESSAGE_V2),
                         1);
        assert_int_equal(
            rmq_mock_request_count(fx->mc, -1, RMQ_REQ_SEND_MESSAGE_V2), 1);
        rmq_message_ext_release(reply);
        rmq_message_queue_destroy(mq);
        rmq_message_destroy(msg);
}

/* Async bookkeeping of requests. */
typedef struct areq_s {
        atomic_int calls;
        atomic_int ok;
        atomic_int errs;
        atomic_int last_err;
        atomic_int bad; /* a body that does not answer its request */
        int want;
        char body[64];
} areq_t;

static void areq_cb(rmq_producer_t *prod, rmq_err_t err, const char *errstr,
                    const rmq_message_ext_t *reply, void *opaque) {
        areq_t *a = opaque;
        (void)prod;
        if (err) {
                if (!errstr || reply)
                        atomic_fetch_add(&a->bad, 1);
                atomic_store(&a->last_err, err);
                atomic_fetch_add(&a->errs, 1);
        } else {
                char want[96];
                size_t len, wl;
                const void *b = rmq_message_ext_body(reply, &len);
                wl = (size_t)snprintf(want, sizeof(want), "pong:%s:", a->body);
                if (errstr || len < wl || memcmp(b, want, wl))
                        atomic_fetch_add(&a->bad, 1);
                atomic_fetch_add(&a->ok, 1);
        }
        atomic_fetch_add(&a->calls, 1);
}

static bool areq_done(void *arg) {
        areq_t *a = arg;
        return atomic_load(&a->calls) >= a->want;
}

static void test_request_async(void **state) {
        fx_t *fx           = *state;
        rmq_message_t *msg = fx_msg(TOPIC, "ping-async");
        areq_t a;
        char err[512];
        memset(&a, 0, sizeof(a));
        a.want = 1;
        snprintf(a.body, sizeof(a.body), "ping-async");
        assert_int_equal(rmq_producer_request_async(fx->req, msg, areq_cb, &a,
                                                    tmo(10000), err,
                                                    sizeof(err)),
                         RMQ_OK);
        assert_true(rmq_test_wait_until(areq_done, &a, tmo(10000)));
        assert_int_equal(atomic_load(&a.ok), 1);
        assert_int_equal(atomic_load(&a.bad), 0);
        /* once only: a later reply to nothing changes nothing */
        msg = (rmq_message_destroy(msg), fx_msg(TOPIC, "ping-after"));
        {
                rmq_message_ext_t *reply = NULL;
                assert_int_equal(rmq_producer_request(fx->req, msg, tmo(10000),
                                                      &reply, err,
                                                      sizeof(err)),
                                 RMQ_OK);
                rmq_message_ext_release(reply);
        }
        assert_int_equal(atomic_load(&a.calls), 1);
        rmq_message_destroy(msg);
}

static int pick_queue_3(const rmq_message_queue_t *const *mqs, size_t n,
                        const rmq_message_t *msg, void *arg, void *opaque) {
        size_t i;
        (void)msg;
        (void)arg;
        (void)opaque;
        for (i = 0; i < n; i++)
                if (rmq_message_queue_queue_id(mqs[i]) == 3)
                        return (int)i;
        return 0;
}

static void test_request_select_and_queue(void **state) {
        fx_t *fx = *state;
        rmq_message_ext_t *reply = NULL;
        rmq_message_queue_t *mq =
            rmq_message_queue_new(TOPIC, rmq_mock_broker_name(fx->mc, 1), 1);
        rmq_message_t *msg;
        areq_t a1, a2;
        char err[512];
        msg = fx_msg(TOPIC, "sel");
        assert_int_equal(rmq_producer_request_select(fx->req, msg, pick_queue_3,
                                                     NULL, tmo(10000), &reply,
                                                     err, sizeof(err)),
                         RMQ_OK);
        assert_pong(reply, "sel", 3);
        rmq_message_ext_release(reply);
        rmq_message_destroy(msg);

        memset(&a1, 0, sizeof(a1));
        memset(&a2, 0, sizeof(a2));
        a1.want = a2.want = 1;
        snprintf(a1.body, sizeof(a1.body), "sel-async");
        snprintf(a2.body, sizeof(a2.body), "mq-async");
        msg = fx_msg(TOPIC, "sel-async");
        assert_int_equal(rmq_producer_request_select_async(
                             fx->req, msg, pick_queue_3, NULL, areq_cb, &a1,
                             tmo(10000), err, sizeof(err)),
                         RMQ_OK);
        rmq_message_destroy(msg);
        msg = fx_msg(TOPIC, "mq-async");
        assert_int_equal(rmq_producer_request_to_queue_async(
                             fx->req, msg, mq, areq_cb, &a2, tmo(10000), err,
                             sizeof(err)),
                         RMQ_OK);
        rmq_message_destroy(msg);
        assert_true(rmq_test_wait_until(areq_done, &a1, tmo(10000)));
        assert_true(rmq_test_wait_until(areq_done, &a2, tmo(10000)));
        assert_int_equal(atomic_load(&a1.ok) + atomic_load(&a2.ok), 2);
        assert_int_equal(atomic_load(&a1.bad) + atomic_load(&a2.bad), 0);

        msg = fx_msg(TOPIC, "mq");
        assert_int_equal(rmq_producer_request_to_queue(fx->req, msg, mq,
                                                       tmo(10000), &reply,
                                                       err, sizeof(err)),
                         RMQ_OK);
        assert_pong(reply, "mq", 1);
        rmq_message_ext_release(reply);
        rmq_message_destroy(msg);
        rmq_message_queue_destroy(mq);
}

static void test_request_timeout(void **state) {
        fx_t *fx           = *state;
        rmq_message_t *msg = fx_msg(TOPIC, "nobody");
        rmq_message_ext_t *reply = NULL;
        int64_t t0, took;
        areq_t a;
        char err[512];
        atomic_store(&fx->rsp.mode, RSP_DROP);
        t0 = rmq__mono_ms();
        assert_int_equal(rmq_producer_request(fx->req, msg, 500, &reply, err,
                                              sizeof(err)),
                         RMQ_ERR__TIMED_OUT);
        took = rmq__mono_ms() - t0;
        assert_null(reply);
        assert_non_null(strstr(err, "wait reply message timeout, 500 ms"));
        assert_true(took >= 490);
        assert_true(took < 500 + tmo(1000));

        memset(&a, 0, sizeof(a));
        a.want = 1;
        t0     = rmq__mono_ms();
        assert_int_equal(rmq_producer_request_async(fx->req, msg, areq_cb, &a,
                                                    300, err, sizeof(err)),
                         RMQ_OK);
        assert_true(rmq_test_wait_until(areq_done, &a, tmo(5000)));
        took = rmq__mono_ms() - t0;
        assert_int_equal(atomic_load(&a.last_err), RMQ_ERR__TIMED_OUT);
        assert_int_equal(atomic_load(&a.bad), 0);
        assert_true(took < 300 + tmo(1000));
        /* the requests did reach the responder */
        assert_true(atomic_load(&fx->rsp.seen) >= 1);
        rmq_message_destroy(msg);
}

/* A reply that comes after its request timed out is answered and
 * dropped; the requester goes on working. */
static void test_late_reply(void **state) {
        fx_t *fx           = *state;
        rmq_message_t *msg = fx_msg(TOPIC, "late");
        rmq_message_ext_t *reply = NULL;
        char err[512];
        atomic_store(&fx->rsp.mode, RSP_HOLD);
        assert_int_equal(rmq_producer_request(fx->req, msg, 300, &reply, err,
                                              sizeof(err)),
                         RMQ_ERR__TIMED_OUT);
        assert_true(rmq_test_wait_until(fx_flag_set, &fx->rsp.seen, tmo(10000)));
        atomic_store(&fx->rsp.release, 1);
        /* the responder's send returns once the requester answered the
         * push: SEND_OK means the late reply was taken and dropped */
        assert_true(rmq_test_wait_until(fx_flag_set, &fx->rsp.replied,
                                        tmo(10000)));
        assert_int_equal(atomic_load(&fx->rsp.reply_err), RMQ_OK);
        atomic_store(&fx->rsp.mode, RSP_ECHO);
        rmq_message_destroy(msg);
        msg = fx_msg(TOPIC, "after-late");
        assert_int_equal(rmq_producer_request(fx->req, msg, tmo(10000), &reply,
                                              err, sizeof(err)),
                         RMQ_OK);
        assert_pong(reply, "after-late", -1);
        rmq_message_ext_release(reply);
        rmq_message_destroy(msg);
}

/* A reply whose CORRELATION_ID matches nothing is answered SUCCESS, as
 * Java answers it. */
static void test_unmatched_reply(void **state) {
        fx_t *fx           = *state;
        rmq_message_t *msg = fx_msg(TOPIC, "first");
        rmq_message_ext_t *reply = NULL;
        rmq_message_t *stray;
        char err[512];
        assert_int_equal(rmq_producer_request(fx->req, msg, tmo(10000), &reply,
                                              err, sizeof(err)),
                         RMQ_OK);
        stray = rmq_message_new(REPLY_TOPIC);
        rmq_message_set_body(stray, "stray", 5);
        rmq__message_put_property(stray, "MSG_TYPE", "reply");
        rmq__message_put_property(stray, "CORRELATION_ID", "no-such-request");
        rmq__message_put_property(stray, "REPLY_TO_CLIENT",
                                  rmq_message_property(msg, "REPLY_TO_CLIENT"));
        assert_int_equal(
            rmq_producer_send(fx->rsp.prod, stray, NULL, err, sizeof(err)),
            RMQ_OK);
        rmq_message_destroy(stray);
        rmq_message_ext_release(reply);
        rmq_message_destroy(msg);
}

static void test_compressed_reply(void **state) {
        fx_t *fx           = *state;
        rmq_message_t *msg = fx_msg(TOPIC, "big");
        rmq_message_ext_t *reply = NULL;
        char err[512], head[64];
        rmq_mock_msg_t *m = NULL;
        const char *b;
        size_t len, i, n;
        atomic_store(&fx->rsp.mode, RSP_BIG);
        assert_int_equal(rmq_producer_request(fx->req, msg, tmo(10000), &reply,
                                              err, sizeof(err)),
                         RMQ_OK);
        b = rmq_message_ext_body(reply, &len);
        assert_int_equal(len, BIG_REPLY);
        assert_pong(reply, "big", -1);
        /* the pattern reply_body() repeats: "pong:big:q<qid>" */
        n = (size_t)snprintf(head, sizeof(head), "pong:big:q%d",
                             atoi(b + strlen("pong:big:q")));
        for (i = 0; i < len; i++)
                if (b[i] != head[i % n])
                        fail_msg("inflated body differs at %zu", i);
        /* It went compressed: the broker stores the reply's body as it
         * came, with sysFlag 0 (ReplyMessageProcessor). */
        assert_true(stored_reply(fx));
        for (i = 0; i < 2 && !m; i++)
                rmq_mock_message_get(fx->mc, REPLY_TOPIC, (int)i, 0, 0, &m);
        assert_non_null(m);
        rmq_mock_msg_body(m, &len);
        assert_true(len < BIG_REPLY);
        rmq_mock_msg_destroy(m);
        rmq_message_ext_release(reply);
        rmq_message_destroy(msg);
}

/* Several threads, each with many requests in turn, every reply matched
 * to its own request. */
typedef struct worker_s {
        rmq_producer_t *prod;
        int id;
        atomic_int *failures;
} worker_t;

#define THREADS      4
#define PER_THREAD   25
#define ASYNC_BURST  40

static void worker_run(void *arg) {
        worker_t *w = arg;
        int i;
        for (i = 0; i < PER_THREAD; i++) {
                char body[64], want[96], err[512];
                rmq_message_t *msg;
                rmq_message_ext_t *reply = NULL;
                const void *b;
                size_t len, wl;
                snprintf(body, sizeof(body), "w%d-r%d", w->id, i);
                msg = fx_msg(TOPIC, body);
                if (rmq_producer_request(w->prod, msg, tmo(20000), &reply, err,
                                         sizeof(err))) {
                        atomic_fetch_add(w->failures, 1);
                } else {
                        b  = rmq_message_ext_body(reply, &len);
                        wl = (size_t)snprintf(want, sizeof(want), "pong:%s:q",
                                              body);
                        if (len < wl || memcmp(b, want, wl))
                                atomic_fetch_add(w->failures, 1);
                        rmq_message_ext_release(reply);
                }
                rmq_message_destroy(msg);
        }
}

static void test_concurrent_requests(void **state) {
        fx_t *fx = *state;
        uv_thread_t tids[THREADS];
        worker_t ws[THREADS];
        atomic_int failures = 0;
        areq_t as[ASYNC_BURST];
        char err[512];
        int i;
        for (i = 0; i < THREADS; i++) {
                ws[i].prod     = fx->req;
                ws[i].id       = i;
                ws[i].failures = &failures;
                assert_int_equal(uv_thread_create(&tids[i], worker_run, &ws[i]),
                                 0);
        }
        for (i = 0; i < ASYNC_BURST; i++) {
                rmq_message_t *msg;
                memset(&as[i], 0, sizeof(as[i]));
                as[i].want = 1;
                snprintf(as[i].body, sizeof(as[i].body), "async-%d", i);
                msg = fx_msg(TOPIC, as[i].body);
                assert_int_equal(rmq_producer_request_async(
                                     fx->req, msg, areq_cb, &as[i], tmo(20000),
                                     err, sizeof(err)),
                                 RMQ_OK);
                rmq_message_destroy(msg);
        }
        for (i = 0; i < THREADS; i++)
                uv_thread_join(&tids[i]);
        assert_int_equal(atomic_load(&failures), 0);
        for (i = 0; i < ASYNC_BURST; i++) {
                assert_true(rmq_test_wait_until(areq_done, &as[i], tmo(20000)));
                assert_int_equal(atomic_load(&as[i].ok), 1);
                assert_int_equal(atomic_load(&as[i].bad), 0);
        }
}

/* Shutdown with requests pending: every waiting call returns, every
 * callback runs once, with RMQ_ERR__DESTROY, before shutdown returns. */
typedef struct waiter_s {
        rmq_producer_t *prod;
        atomic_int started;
        atomic_int result;
        atomic_int done;
} waiter_t;

static void waiter_run(void *arg) {
        waiter_t *w        = arg;
        rmq_message_t *msg = fx_msg(TOPIC, "wait-forever");
        rmq_message_ext_t *reply = NULL;
        char err[512];
        rmq_err_t e;
        atomic_store(&w->started, 1);
        e = rmq_producer_request(w->prod, msg, 60000, &reply, err, sizeof(err));
        atomic_store(&w->result, e);
        atomic_store(&w->done, 1);
        rmq_message_ext_release(reply);
        rmq_message_destroy(msg);
}

static bool both_seen(void *arg) {
        return atomic_load(&((rsp_t *)arg)->seen) >= 2 + ASYNC_BURST / 4;
}

static void test_shutdown_pending(void **state) {
        fx_t *fx = *state;
        waiter_t ws[2];
        uv_thread_t tids[2];
        areq_t as[ASYNC_BURST / 4];
        char err[512];
        int64_t t0;
        int i;
        atomic_store(&fx->rsp.mode, RSP_DROP);
        memset(ws, 0, sizeof(ws));
        for (i = 0; i < 2; i++) {
                ws[i].prod = fx->req;
                assert_int_equal(uv_thread_create(&tids[i], waiter_run, &ws[i]),
                                 0);
        }
        for (i = 0; i < ASYNC_BURST / 4; i++) {
                rmq_message_t *msg = fx_msg(TOPIC, "cb-forever");
                memset(&as[i], 0, sizeof(as[i]));
                as[i].want = 1;
                assert_int_equal(rmq_producer_request_async(
                                     fx->req, msg, areq_cb, &as[i], 60000, err,
                                     sizeof(err)),
                                 RMQ_OK);
                rmq_message_destroy(msg);
        }
        /* every request is out and waiting for its reply */
        assert_true(rmq_test_wait_until(both_seen, &fx->rsp, tmo(10000)));
        t0 = rmq__mono_ms();
        assert_int_equal(rmq_producer_shutdown(fx->req), RMQ_OK);
        assert_true(rmq__mono_ms() - t0 < tmo(5000));
        for (i = 0; i < ASYNC_BURST / 4; i++) {
                assert_int_equal(atomic_load(&as[i].calls), 1);
                assert_int_equal(atomic_load(&as[i].last_err),
                                 RMQ_ERR__DESTROY);
                assert_int_equal(atomic_load(&as[i].bad), 0);
        }
        for (i = 0; i < 2; i++) {
                uv_thread_join(&tids[i]);
                assert_int_equal(atomic_load(&ws[i].result), RMQ_ERR__DESTROY);
        }
        /* after shutdown: refused, no callback */
        {
                rmq_message_t *msg = fx_msg(TOPIC, "late-call");
                areq_t a;
                memset(&a, 0, sizeof(a));
                assert_int_equal(rmq_producer_request_async(
                                     fx->req, msg, areq_cb, &a, 1000, err,
                                     sizeof(err)),
                                 RMQ_ERR__STATE);
                assert_int_equal(atomic_load(&a.calls), 0);
                rmq_message_destroy(msg);
        }
}

static void test_bad_args(void **state) {
        fx_t *fx           = *state;
        rmq_message_t *msg = fx_msg(TOPIC, "x");
        rmq_message_ext_t *reply = NULL;
        rmq_message_t *r = NULL;
        char err[512];
        assert_int_equal(rmq_producer_request(fx->req, msg, 0, &reply, err,
                                              sizeof(err)),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_producer_request_async(fx->req, msg, NULL, NULL,
                                                    1000, err, sizeof(err)),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(
            rmq_message_create_reply(NULL, "b", 1, &r, err, sizeof(err)),
            RMQ_ERR__INVALID_ARG);
        assert_non_null(strstr(err, "requestMessage cannot be null"));
        assert_null(r);
        /* a message that fails validation: error at once, no future left */
        rmq_message_destroy(msg);
        msg = rmq_message_new(TOPIC);
        assert_int_equal(rmq_producer_request(fx->req, msg, 1000, &reply, err,
                                              sizeof(err)),
                         RMQ_ERR_MESSAGE_ILLEGAL);
        rmq_message_destroy(msg);
}

/* A request topic served by broker-a only: the reply topic is on every
 * broker, so replies also go to broker-b, which can push them only if
 * the requester heartbeated it too (the reply topic's route is fetched
 * before the first request). */
static void test_request_topic_on_one_broker(void **state) {
        fx_t *fx = *state;
        char err[512], **ids = NULL;
        size_t n = 0;
        int i;
        assert_int_equal(rmq_mock_topic_create(fx->mc, "ReqOnA", 0, 4, 4),
                         RMQ_OK);
        assert_int_equal(rmq_push_consumer_subscribe(fx->rsp.pc, "ReqOnA", "*",
                                                     err, sizeof(err)),
                         RMQ_OK);
        for (i = 0; i < 6; i++) {
                rmq_message_t *msg       = fx_msg("ReqOnA", "one");
                rmq_message_ext_t *reply = NULL;
                if (rmq_producer_request(fx->req, msg, tmo(10000), &reply, err,
                                         sizeof(err)))
                        fail_msg("request %d: %s", i, err);
                assert_pong(reply, "one", -1);
                rmq_message_ext_release(reply);
                rmq_message_destroy(msg);
        }
        assert_int_equal(rmq_mock_group_members(fx->mc, "PG_REQ", 1, &ids, &n),
                         RMQ_OK);
        assert_true(n >= 1);
        rmq_mock_strings_destroy(ids, n);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_request_sync, setup, teardown),
            cmocka_unit_test_setup_teardown(test_request_topic_on_one_broker,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_properties_on_wire, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_request_async, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_request_select_and_queue,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_request_timeout, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_late_reply, setup, teardown),
            cmocka_unit_test_setup_teardown(test_unmatched_reply, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_compressed_reply, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_concurrent_requests, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_shutdown_pending, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
        };
        return cmocka_run_group_tests_name("request_reply", tests, NULL, NULL);
}
