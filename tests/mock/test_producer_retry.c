/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Producer failure handling against the mock cluster with fault injection:
 * which broker codes are retried (4.9.8's retryResponseCodes), failover to
 * the other broker, latency fault tolerance, timeouts, async retries on
 * transport failures, route changes, retryAnotherBrokerWhenNotStoreOK and
 * the async window.
 */
#include "producer_fixture.h"

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static rmq_producer_t *warm(rmq_mock_cluster_t *mc, const char *group,
                            const char *topic, const char *const *extra) {
        rmq_producer_t *prod = fx_producer(mc, group, extra);
        rmq_message_t *msg   = fx_msg(topic, "warm");
        assert_int_equal(rmq_producer_send(prod, msg, NULL, NULL, 0), RMQ_OK);
        rmq_message_destroy(msg);
        return prod;
}

static size_t sends(rmq_mock_cluster_t *mc) {
        return rmq_mock_request_count(mc, -1, RMQ_REQ_SEND_MESSAGE_V2);
}

static void test_retryable_codes_are_retried(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg("TopicR", "retry me");
        rmq_send_result_t *res;
        char err[512];
        (void)state;
        rmq_mock_topic_create(mc, "TopicR", -1, 2, 2);
        prod = warm(mc, "PG_R1", "TopicR", NULL);
        rmq_mock_start_request_tracking(mc);
        /* SYSTEM_ERROR is in 4.9.8's retryResponseCodes: retried on the
         * other broker */
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 1,
                                     RMQ_ERR_SYSTEM_ERROR);
        assert_int_equal(rmq_producer_send(prod, msg, &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(sends(mc), 2);
        rmq_send_result_destroy(res);
        /* three failures exhaust 1 + retryTimesWhenSendFailed (2) */
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 3,
                                     RMQ_ERR_TOPIC_NOT_EXIST,
                                     RMQ_ERR_SERVICE_NOT_AVAILABLE,
                                     RMQ_ERR_NO_PERMISSION);
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         RMQ_ERR_NO_PERMISSION);
        assert_non_null(strstr(err, "Send [3] times, still failed"));
        assert_int_equal(sends(mc), 5);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static void test_other_codes_fail_at_once(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg("TopicR", "busy");
        char err[512];
        fx_async_t a;
        (void)state;
        memset(&a, 0, sizeof(a));
        a.expect = 1;
        rmq_mock_topic_create(mc, "TopicR", -1, 2, 2);
        prod = warm(mc, "PG_R2", "TopicR", NULL);
        rmq_mock_start_request_tracking(mc);
        /* SYSTEM_BUSY is not retried by the 4.9.8 client */
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 1,
                                     RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(sends(mc), 1);
        /* async: a broker error goes to the callback without a retry */
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 1,
                                     RMQ_ERR_SYSTEM_ERROR);
        assert_int_equal(rmq_producer_send_async(prod, msg, fx_async_cb, &a),
                         RMQ_OK);
        assert_true(rmq_test_wait_until(fx_async_done, &a, 5000));
        assert_int_equal(atomic_load(&a.last_err), RMQ_ERR_SYSTEM_ERROR);
        assert_int_equal(sends(mc), 2);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

typedef struct failover_s {
        rmq_producer_t *prod;
        rmq_mock_cluster_t *mc;
} failover_t;

/* Sends one message; true once broker-a holds at least 2 of TopicF. */
static bool broker_a_takes_sends(void *arg) {
        failover_t *f      = arg;
        rmq_message_t *msg = fx_msg("TopicF", "back");
        char err[512];
        if (rmq_producer_send(f->prod, msg, NULL, err, sizeof(err)))
                fail_msg("send: %s", err);
        rmq_message_destroy(msg);
        return rmq_mock_queue_max_offset(f->mc, "TopicF", 0, 0) +
                   rmq_mock_queue_max_offset(f->mc, "TopicF", 0, 1) >=
               2;
}

static void test_failover_when_a_broker_is_down(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_producer_t *prod;
        int i;
        char err[512];
        (void)state;
        rmq_mock_topic_create(mc, "TopicF", -1, 2, 2);
        prod = warm(mc, "PG_F", "TopicF", NULL);
        rmq_mock_broker_set_down(mc, 0);
        /* every send succeeds, on broker-b, in the first or second try */
        for (i = 0; i < 20; i++) {
                rmq_message_t *msg = fx_msg("TopicF", "failover");
                rmq_send_result_t *res;
                assert_int_equal(rmq_producer_send(prod, msg, &res, err,
                                                   sizeof(err)),
                                 RMQ_OK);
                assert_string_equal(rmq_message_queue_broker_name(
                                        rmq_send_result_message_queue(res)),
                                    rmq_mock_broker_name(mc, 1));
                rmq_send_result_destroy(res);
                rmq_message_destroy(msg);
        }
        /* back up: its data is still there and it takes sends again */
        rmq_mock_broker_set_up(mc, 0);
        {
                int64_t before = rmq_mock_topic_message_count(mc, "TopicF");
                for (i = 0; i < 10; i++) {
                        rmq_message_t *msg = fx_msg("TopicF", "back");
                        assert_int_equal(rmq_producer_send(prod, msg, NULL,
                                                           err, sizeof(err)),
                                         RMQ_OK);
                        rmq_message_destroy(msg);
                }
                assert_int_equal(rmq_mock_topic_message_count(mc, "TopicF"),
                                 before + 10);
                /* broker-a is dialled again once its connect back-off
                 * (reconnect.backoff.ms, not in Java) is over */
                assert_true(rmq_test_wait_until(broker_a_takes_sends,
                                                &(failover_t){prod, mc}, 5000));
        }
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static void test_latency_fault_tolerance(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_producer_t *prod;
        int i, on_slow = 0;
        (void)state;
        rmq_mock_topic_create(mc, "TopicL", -1, 2, 2);
        prod = warm(mc, "PG_L", "TopicL",
                    (const char *const[]){"sendLatencyFaultEnable", "true",
                                          NULL});
        /* broker-a answers in 600 ms: >= 550 ms makes it unavailable for
         * 30 s (4.9.8 tables) after the first slow send */
        rmq_mock_broker_set_rtt(mc, 0, 600);
        for (i = 0; i < 12; i++) {
                rmq_message_t *msg = fx_msg("TopicL", "latency");
                rmq_send_result_t *res;
                assert_int_equal(rmq_producer_send(prod, msg, &res, NULL, 0),
                                 RMQ_OK);
                if (!strcmp(rmq_message_queue_broker_name(
                                rmq_send_result_message_queue(res)),
                            rmq_mock_broker_name(mc, 0)))
                        on_slow++;
                rmq_send_result_destroy(res);
                rmq_message_destroy(msg);
        }
        assert_true(on_slow <= 1);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static int on_broker(rmq_mock_cluster_t *mc, const rmq_send_result_t *res,
                     int broker_id) {
        return !strcmp(
            rmq_message_queue_broker_name(rmq_send_result_message_queue(res)),
            rmq_mock_broker_name(mc, broker_id));
}

static int pick_queue_0(const rmq_message_queue_t *const *mqs, size_t mq_cnt,
                        const rmq_message_t *msg, void *arg, void *opaque) {
        (void)mqs;
        (void)mq_cnt;
        (void)msg;
        (void)arg;
        (void)opaque;
        return 0; /* broker-a's queue 0: the queues are sorted by broker */
}

/* Only sendDefaultImpl calls updateFaultItem: a failing synchronous send
 * to a chosen queue or through a selector does not make the default path
 * avoid that broker. */
static void test_fixed_queue_sends_leave_fault_table(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg("TopicFQ", "fixed");
        rmq_message_queue_t *mq;
        int i, on_a = 0;
        (void)state;
        rmq_mock_topic_create(mc, "TopicFQ", -1, 4, 4);
        prod = fx_producer(
            mc, "PG_FQ",
            (const char *const[]){"sendLatencyFaultEnable", "true", NULL});
        mq = rmq_message_queue_new("TopicFQ", rmq_mock_broker_name(mc, 0), 1);
        rmq_mock_push_request_errors(mc, 0, RMQ_REQ_SEND_MESSAGE_V2, 2,
                                     RMQ_ERR_SYSTEM_BUSY, RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(
            rmq_producer_send_to_queue(prod, msg, mq, NULL, NULL, 0),
            RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(rmq_producer_send_select(prod, msg, pick_queue_0, NULL,
                                                  NULL, NULL, 0),
                         RMQ_ERR_SYSTEM_BUSY);
        /* Were broker-a isolated (10 min), no send below would reach it;
         * 8 sends rotate over its 4 queues and broker-b's 4. */
        for (i = 0; i < 8; i++) {
                rmq_send_result_t *res;
                assert_int_equal(rmq_producer_send(prod, msg, &res, NULL, 0),
                                 RMQ_OK);
                on_a += on_broker(mc, res, 0);
                rmq_send_result_destroy(res);
        }
        assert_true(on_a >= 1);
        rmq_message_queue_destroy(mq);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static atomic_int slow_hook_calls;

static void slow_after(rmq_producer_t *p, const rmq_send_context_t *ctx,
                       void *opaque) {
        (void)p;
        (void)ctx;
        (void)opaque;
        /* lets time pass: the first attempt outlives the send's budget */
        if (atomic_fetch_add(&slow_hook_calls, 1) == 0)
                rmq_test_sleep_ms(400);
}

/* A started producer with the slow after hook and sendMsgTimeout. */
static rmq_producer_t *slow_hook_producer(rmq_mock_cluster_t *mc,
                                          const char *group,
                                          const char *timeout) {
        rmq_conf_t *conf = rmq_conf_new();
        rmq_producer_t *prod;
        char err[512];
        rmq_message_t *msg = fx_msg("TopicT", "warm");
        rmq_conf_set(conf, "namesrvAddr", rmq_mock_cluster_namesrv_addr(mc),
                     NULL, 0);
        rmq_conf_set(conf, "producerGroup", group, NULL, 0);
        rmq_conf_set(conf, "sendMsgTimeout", timeout, NULL, 0);
        rmq_conf_set(conf, "log.level", "3", NULL, 0);
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        rmq_conf_destroy(conf);
        assert_int_equal(
            rmq_producer_add_send_hook(prod, "slow", NULL, slow_after, NULL),
            RMQ_OK);
        assert_int_equal(rmq_producer_start(prod, err, sizeof(err)), RMQ_OK);
        /* the route, warm (the hook's first call is kept for the test) */
        atomic_store(&slow_hook_calls, 1);
        rmq_producer_send(prod, msg, NULL, err, sizeof(err));
        atomic_store(&slow_hook_calls, 0);
        rmq_message_destroy(msg);
        return prod;
}

static void test_send_timeout(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg("TopicT", "slow");
        char err[512];
        int64_t t0;
        rmq_err_t e;
        (void)state;
        rmq_mock_topic_create(mc, "TopicT", -1, 1, 1);
        prod = warm(mc, "PG_T", "TopicT",
                    (const char *const[]){"sendMsgTimeout", "300", NULL});
        rmq_mock_broker_set_rtt(mc, 0, 2000);
        t0 = now_ms();
        e  = rmq_producer_send(prod, msg, NULL, err, sizeof(err));
        assert_true(e == RMQ_ERR__TIMED_OUT);
        assert_true(now_ms() - t0 < 300 + 1000 * rmq_test_tmout_multiplier());
        rmq_producer_destroy(prod);
        rmq_mock_broker_set_rtt(mc, 0, 0);
        /* sendDefaultImpl checks `timeout < costTime` before each retry:
         * a first attempt that fails (retryably) after the budget is spent
         * (here its after hook takes 400 of the 300 ms) is not retried */
        prod = slow_hook_producer(mc, "PG_T2", "300");
        rmq_mock_start_request_tracking(mc);
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 1,
                                     RMQ_ERR_SYSTEM_ERROR);
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         RMQ_ERR__TIMED_OUT);
        if (!strstr(err, "sendDefaultImpl call timeout"))
                fail_msg("not the retry budget check: %s", err);
        assert_int_equal(sends(mc), 1);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

/* A closed connection is retried (on another broker) up to
 * retryTimesWhenSendAsyncFailed times: with 2 the second try succeeds,
 * with 0 the first failure is the callback's error. */
static void test_async_retry_on_transport_failure(void **state) {
        static const struct {
                const char *group, *retries;
                int ok;
                size_t sends;
        } cases[]              = {{"PG_AR", "2", 1, 2}, {"PG_AR0", "0", 0, 1}};
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_message_t *msg     = fx_msg("TopicAR", "async retry");
        size_t k;
        (void)state;
        rmq_mock_topic_create(mc, "TopicAR", -1, 2, 2);
        for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
                const char *const conf[] = {"retryTimesWhenSendAsyncFailed",
                                            cases[k].retries, NULL};
                rmq_producer_t *prod =
                    warm(mc, cases[k].group, "TopicAR", conf);
                fx_async_t a;
                memset(&a, 0, sizeof(a));
                a.expect = 1;
                rmq_mock_start_request_tracking(mc);
                rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 1,
                                             RMQ_ERR__TRANSPORT);
                assert_int_equal(
                    rmq_producer_send_async(prod, msg, fx_async_cb, &a),
                    RMQ_OK);
                assert_true(rmq_test_wait_until(fx_async_done, &a, 10000));
                assert_int_equal(atomic_load(&a.ok), cases[k].ok);
                assert_int_equal(sends(mc), cases[k].sends);
                rmq_producer_destroy(prod);
        }
        rmq_message_destroy(msg);
        rmq_mock_cluster_destroy(mc);
}

/* What the hooks and the callback of one send saw, in order: B before,
 * a after without an outcome (the async hand-off), A after with a result
 * or an error, C the callback. */
typedef struct hooklog_s {
        uv_mutex_t lock;
        char seq[32];
        size_t n;
        rmq_err_t last_after_err;
        fx_async_t a;
} hooklog_t;

static void hooklog_add(hooklog_t *h, char c) {
        uv_mutex_lock(&h->lock);
        if (h->n + 1 < sizeof(h->seq))
                h->seq[h->n++] = c;
        h->seq[h->n] = '\0';
        uv_mutex_unlock(&h->lock);
}

static void hl_before(rmq_producer_t *p, const rmq_send_context_t *ctx,
                      void *opaque) {
        (void)p;
        (void)ctx;
        hooklog_add(opaque, 'B');
}

static void hl_after(rmq_producer_t *p, const rmq_send_context_t *ctx,
                     void *opaque) {
        hooklog_t *h = opaque;
        (void)p;
        if (!rmq_send_context_result(ctx) && !rmq_send_context_error(ctx)) {
                hooklog_add(h, 'a');
                return;
        }
        uv_mutex_lock(&h->lock);
        h->last_after_err = rmq_send_context_error(ctx);
        uv_mutex_unlock(&h->lock);
        hooklog_add(h, 'A');
}

static void hl_cb(rmq_producer_t *p, rmq_err_t err, const char *errstr,
                  const rmq_send_result_t *res, void *opaque) {
        hooklog_t *h = opaque;
        hooklog_add(h, 'C');
        fx_async_cb(p, err, errstr, res, &h->a);
}

static void hooklog_reset(hooklog_t *h) {
        h->n      = 0;
        h->seq[0] = '\0';
        memset(&h->a, 0, sizeof(h->a));
        h->a.expect       = 1;
        h->last_after_err = RMQ_OK;
}

/* One async send; returns its hook sequence in h->seq. */
static void async_once(rmq_producer_t *prod, rmq_message_t *msg, hooklog_t *h) {
        hooklog_reset(h);
        assert_int_equal(rmq_producer_send_async(prod, msg, hl_cb, h), RMQ_OK);
        assert_true(rmq_test_wait_until(fx_async_done, &h->a, 10000));
}

/* Send hooks as 4.9.8 runs them: async sends run before once and after
 * twice (handed off, then completed) whatever the retries; sync sends run
 * both per attempt; oneway once each. Also the async retry limit:
 * 1 + retryTimesWhenSendAsyncFailed requests, then the error. */
static void test_hook_counts_and_async_retry_limit(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_conf_t *conf       = rmq_conf_new();
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg("TopicHk", "hooked");
        hooklog_t h;
        char err[512];
        fx_count_t c = {mc, "TopicHk", 0};
        (void)state;
        memset(&h, 0, sizeof(h));
        uv_mutex_init(&h.lock);
        rmq_mock_topic_create(mc, "TopicHk", -1, 2, 2);
        rmq_conf_set(conf, "namesrvAddr", rmq_mock_cluster_namesrv_addr(mc),
                     NULL, 0);
        rmq_conf_set(conf, "producerGroup", "PG_HK", NULL, 0);
        rmq_conf_set(conf, "log.level", "3", NULL, 0);
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(
            rmq_producer_add_send_hook(prod, "log", hl_before, hl_after, &h),
            RMQ_OK);
        assert_int_equal(rmq_producer_start(prod, err, sizeof(err)), RMQ_OK);
        rmq_mock_start_request_tracking(mc);
        /* a plain async send; the route is fetched first */
        async_once(prod, msg, &h);
        assert_string_equal(h.seq, "BaAC");
        assert_int_equal(atomic_load(&h.a.ok), 1);
        /* two transport failures, then success: still once and twice */
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 2,
                                     RMQ_ERR__TRANSPORT, RMQ_ERR__TRANSPORT);
        async_once(prod, msg, &h);
        assert_string_equal(h.seq, "BaAC");
        assert_int_equal(atomic_load(&h.a.ok), 1);
        assert_int_equal(sends(mc), 4);
        /* three failures exhaust 1 + 2 attempts: the error, after the
         * last after hook */
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 3,
                                     RMQ_ERR__TRANSPORT, RMQ_ERR__TRANSPORT,
                                     RMQ_ERR__TRANSPORT);
        async_once(prod, msg, &h);
        assert_string_equal(h.seq, "BaAC");
        assert_int_equal(atomic_load(&h.a.errs), 1);
        assert_int_not_equal(h.last_after_err, RMQ_OK);
        assert_int_equal(h.last_after_err, atomic_load(&h.a.last_err));
        assert_int_equal(sends(mc), 7);
        /* a broker error completes at once */
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 1,
                                     RMQ_ERR_SYSTEM_BUSY);
        async_once(prod, msg, &h);
        assert_string_equal(h.seq, "BaAC");
        assert_int_equal(h.last_after_err, RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(sends(mc), 8);
        /* sync: per attempt (one retried SYSTEM_ERROR) */
        hooklog_reset(&h);
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 1,
                                     RMQ_ERR_SYSTEM_ERROR);
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         RMQ_OK);
        assert_string_equal(h.seq, "BABA");
        /* oneway: once each, no outcome */
        hooklog_reset(&h);
        c.want = rmq_mock_topic_message_count(mc, "TopicHk") + 1;
        assert_int_equal(rmq_producer_send_oneway(prod, msg, err, sizeof(err)),
                         RMQ_OK);
        assert_string_equal(h.seq, "Ba");
        assert_true(rmq_test_wait_until(fx_count_reached, &c, 5000));
        rmq_producer_destroy(prod);
        rmq_message_destroy(msg);
        rmq_conf_destroy(conf);
        uv_mutex_destroy(&h.lock);
        rmq_mock_cluster_destroy(mc);
}

static bool queues_grew(void *arg) {
        rmq_mock_cluster_t *mc = arg;
        return rmq_mock_queue_max_offset(mc, "TopicRC", 0, 7) > 0;
}

typedef struct rc_s {
        rmq_mock_cluster_t *mc;
        rmq_producer_t *prod;
} rc_t;

static bool send_and_check(void *arg) {
        rc_t *rc           = arg;
        rmq_message_t *msg = fx_msg("TopicRC", "grow");
        rmq_producer_send(rc->prod, msg, NULL, NULL, 0);
        rmq_message_destroy(msg);
        return queues_grew(rc->mc);
}

static void test_route_change(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rc_t rc;
        (void)state;
        rmq_mock_topic_create(mc, "TopicRC", -1, 2, 2);
        rc.mc   = mc;
        rc.prod = warm(mc, "PG_RC", "TopicRC",
                       (const char *const[]){"pollNameServerInterval", "100",
                                             NULL});
        /* 2 -> 8 queues: the periodic refresh brings queue 7 into use */
        rmq_mock_topic_create(mc, "TopicRC", -1, 8, 8);
        assert_true(rmq_test_wait_until(send_and_check, &rc, 10000));
        rmq_producer_destroy(rc.prod);
        rmq_mock_cluster_destroy(mc);
}

typedef struct offline_s {
        rmq_producer_t *prod;
        rmq_message_t *msg;
        rmq_message_queue_t *mq;
        rmq_err_t want;
} offline_t;

static bool to_queue_gives(void *arg) {
        offline_t *o = arg;
        return rmq_producer_send_to_queue(o->prod, o->msg, o->mq, NULL, NULL,
                                          0) == o->want;
}

/* MQClientInstance.cleanOfflineBroker: once no route names a broker, the
 * heartbeat round drops it from the broker table, so a send to its queue
 * no longer finds an address ("The broker[x] not exist") although the
 * broker itself still runs; when a route names it again, it is back. */
static void test_offline_broker_cleanup(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        offline_t o;
        (void)state;
        rmq_mock_topic_create(mc, "TopicOff", -1, 2, 2);
        o.prod = fx_producer(
            mc, "PG_OFF",
            (const char *const[]){"pollNameServerInterval", "100",
                                  "heartbeatBrokerInterval", "100", NULL});
        o.msg = fx_msg("TopicOff", "offline");
        o.mq =
            rmq_message_queue_new("TopicOff", rmq_mock_broker_name(mc, 1), 0);
        assert_int_equal(
            rmq_producer_send_to_queue(o.prod, o.msg, o.mq, NULL, NULL, 0),
            RMQ_OK);
        /* the name server forgets broker-b; it keeps running */
        rmq_mock_broker_set_registered(mc, 1, 0);
        o.want = RMQ_ERR__NO_BROKER;
        assert_true(rmq_test_wait_until(to_queue_gives, &o, 10000));
        rmq_mock_broker_set_registered(mc, 1, 1);
        o.want = RMQ_OK;
        assert_true(rmq_test_wait_until(to_queue_gives, &o, 10000));
        rmq_message_queue_destroy(o.mq);
        rmq_message_destroy(o.msg);
        rmq_producer_destroy(o.prod);
        rmq_mock_cluster_destroy(mc);
}

static void test_retry_another_broker_when_not_store_ok(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(2);
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg("TopicNS", "store");
        rmq_send_result_t *res;
        char err[512];
        (void)state;
        rmq_mock_topic_create(mc, "TopicNS", -1, 2, 2);
        prod = warm(mc, "PG_NSOK", "TopicNS",
                    (const char *const[]){"retryAnotherBrokerWhenNotStoreOK",
                                          "true", NULL});
        rmq_mock_start_request_tracking(mc);
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 1,
                                     RMQ_ERR_FLUSH_DISK_TIMEOUT);
        assert_int_equal(rmq_producer_send(prod, msg, &res, NULL, 0), RMQ_OK);
        assert_int_equal(rmq_send_result_status(res), RMQ_SEND_OK);
        assert_int_equal(sends(mc), 2);
        rmq_send_result_destroy(res);
        /* the stored message's result survives a later failure
         * (sendDefaultImpl: if (sendResult != null) return sendResult):
         * a broker code that is not retried ... */
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 2,
                                     RMQ_ERR_FLUSH_DISK_TIMEOUT,
                                     RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(rmq_producer_send(prod, msg, &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_send_result_status(res), RMQ_FLUSH_DISK_TIMEOUT);
        assert_string_equal(rmq_send_status_name(rmq_send_result_status(res)),
                            "FLUSH_DISK_TIMEOUT");
        assert_int_equal(sends(mc), 4);
        rmq_send_result_destroy(res);
        /* ... and retries that all fail */
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 3,
                                     RMQ_ERR_FLUSH_DISK_TIMEOUT,
                                     RMQ_ERR__TRANSPORT, RMQ_ERR__TRANSPORT);
        assert_int_equal(rmq_producer_send(prod, msg, &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_send_result_status(res), RMQ_FLUSH_DISK_TIMEOUT);
        assert_int_equal(sends(mc), 7);
        rmq_send_result_destroy(res);
        rmq_producer_destroy(prod);
        /* default: the FLUSH_DISK_TIMEOUT result is returned as is */
        prod = warm(mc, "PG_NSOK2", "TopicNS", NULL);
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 1,
                                     RMQ_ERR_FLUSH_DISK_TIMEOUT);
        assert_int_equal(rmq_producer_send(prod, msg, &res, NULL, 0), RMQ_OK);
        assert_int_equal(rmq_send_result_status(res), RMQ_FLUSH_DISK_TIMEOUT);
        rmq_send_result_destroy(res);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

static void test_async_window(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg("TopicW", "window");
        fx_async_t a;
        int errs[5] = {RMQ_ERR__TIMED_OUT, RMQ_ERR__TIMED_OUT,
                       RMQ_ERR__TIMED_OUT, RMQ_ERR__TIMED_OUT,
                       RMQ_ERR__TIMED_OUT};
        int i;
        int64_t t0;
        (void)state;
        memset(&a, 0, sizeof(a));
        a.expect = 5;
        rmq_mock_topic_create(mc, "TopicW", -1, 1, 1);
        prod = warm(mc, "PG_W", "TopicW",
                    (const char *const[]){"backPressureForAsyncSendNum", "5",
                                          "sendMsgTimeout", "800", NULL});
        /* the broker swallows 5 sends: the window fills up */
        rmq_mock_push_request_errors_array(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 5,
                                           errs);
        for (i = 0; i < 5; i++)
                assert_int_equal(rmq_producer_send_async(prod, msg,
                                                         fx_async_cb, &a),
                                 RMQ_OK);
        assert_int_equal(rmq_producer_send_async(prod, msg, fx_async_cb, &a),
                         RMQ_ERR__QUEUE_FULL);
        assert_true(rmq_test_wait_until(fx_async_done, &a, 5000));
        assert_int_equal(atomic_load(&a.errs), 5);
        rmq_producer_destroy(prod);
        /* with back-pressure the call waits for room instead: the broker
         * answers after 300 ms, which frees the window well within the
         * 1500 ms send timeout (the wait counts against it) */
        memset(&a, 0, sizeof(a));
        a.expect = 6;
        prod = warm(mc, "PG_W2", "TopicW",
                    (const char *const[]){"backPressureForAsyncSendNum", "5",
                                          "sendMsgTimeout", "1500",
                                          "enableBackpressureForAsyncMode",
                                          "true", NULL});
        rmq_mock_broker_set_rtt(mc, 0, 300);
        for (i = 0; i < 5; i++)
                assert_int_equal(rmq_producer_send_async(prod, msg,
                                                         fx_async_cb, &a),
                                 RMQ_OK);
        t0 = now_ms();
        assert_int_equal(rmq_producer_send_async(prod, msg, fx_async_cb, &a),
                         RMQ_OK);
        assert_true(now_ms() - t0 >= 250);
        assert_true(rmq_test_wait_until(fx_async_done, &a, 5000));
        if (atomic_load(&a.ok) != 6)
                fail_msg("ok %d, last error %d", atomic_load(&a.ok),
                         atomic_load(&a.last_err));
        rmq_mock_broker_set_rtt(mc, 0, 0);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_retryable_codes_are_retried),
            cmocka_unit_test(test_other_codes_fail_at_once),
            cmocka_unit_test(test_failover_when_a_broker_is_down),
            cmocka_unit_test(test_latency_fault_tolerance),
            cmocka_unit_test(test_fixed_queue_sends_leave_fault_table),
            cmocka_unit_test(test_send_timeout),
            cmocka_unit_test(test_async_retry_on_transport_failure),
            cmocka_unit_test(test_hook_counts_and_async_retry_limit),
            cmocka_unit_test(test_route_change),
            cmocka_unit_test(test_offline_broker_cleanup),
            cmocka_unit_test(test_retry_another_broker_when_not_store_ok),
            cmocka_unit_test(test_async_window),
        };
        return cmocka_run_group_tests_name("producer_retry", tests, NULL,
                                           NULL);
}
