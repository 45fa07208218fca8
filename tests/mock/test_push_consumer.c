/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The push consumer against the mock cluster: concurrent consumption of
 * every message, offsets committed at shutdown, the start checks.
 */
#include "consumer_fixture.h"

#define TOPIC  "PushT"
#define GROUP  "GroupPush"
#define QUEUES 4

/* A started consumer of GROUP on TOPIC with the listener \p cb. */
static rmq_push_consumer_t *started(rmq_mock_cluster_t *mc,
                                    rmq_listener_concurrently_cb_t *cb,
                                    void *opaque, const char *const *extra) {
        return fx_consumer_run(mc, GROUP, TOPIC, extra, cb, opaque);
}

/* Sends \p n messages "<prefix>-<i>" to TOPIC; a consumer from the first
 * offset with \p cb records them in \p seen. Returns once it has seen
 * each, then been shut down, having consumed each once and committed the
 * offset of every message of TOPIC at the shutdown. */
static void send_consume_all(rmq_mock_cluster_t *mc, const char *prefix, int n,
                             rmq_listener_concurrently_cb_t *cb,
                             fx_seen_t *seen) {
        rmq_producer_t *prod = fx_producer(mc, "GroupPushProd", NULL);
        rmq_push_consumer_t *pc;
        fx_send_n(prod, TOPIC, prefix, NULL, n);
        pc = started(mc, cb, seen, fx_from_first);
        fx_wait_seen(seen, n, 20000);
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        fx_seen_assert_each(seen, 0, n, 1);
        assert_int_equal(fx_committed_sum(mc, GROUP, TOPIC, QUEUES), n);
        fx_destroy(pc, prod, NULL);
}

static void test_consume_all_and_commit(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster_topic(2, TOPIC, QUEUES, NULL);
        fx_seen_t *seen        = calloc(1, sizeof(*seen));
        (void)state;
        send_consume_all(mc, "m", 200, fx_listener_ok, seen);
        rmq_mock_cluster_destroy(mc);
        free(seen);
}

/* Fails the first attempt of every message. */
static rmq_consume_status_t fail_first(rmq_push_consumer_t *pc,
                                       const rmq_message_ext_t *const *msgs,
                                       size_t n, rmq_consume_context_t *ctx,
                                       void *opaque) {
        fx_seen_t *seen = opaque;
        size_t i;
        bool fresh = false;
        (void)pc;
        (void)ctx;
        for (i = 0; i < n; i++) {
                if (strcmp(rmq_message_ext_topic(msgs[i]), TOPIC))
                        fail_msg("a retried message shows topic %s",
                                 rmq_message_ext_topic(msgs[i]));
                if (rmq_message_ext_reconsume_times(msgs[i]) == 0)
                        fresh = true;
                else
                        fx_seen_record(seen, msgs[i]);
        }
        return fresh ? RMQ_RECONSUME_LATER : RMQ_CONSUME_SUCCESS;
}

static rmq_mock_cluster_t *fast_retry_cluster(int brokers) {
        return fx_cluster_topic(brokers, TOPIC, QUEUES, fx_fast_delays);
}

/* RECONSUME_LATER: the message comes back through %RETRY%group with its
 * own topic and reconsumeTimes 1, and the offsets of both topics are
 * committed. */
static void test_reconsume_later_retries(void **state) {
        rmq_mock_cluster_t *mc = fast_retry_cluster(1);
        fx_seen_t *seen        = calloc(1, sizeof(*seen));
        (void)state;
        send_consume_all(mc, "r", 20, fail_first, seen);
        assert_int_equal(rmq_mock_topic_message_count(mc, "%RETRY%" GROUP), 20);
        assert_int_equal(fx_committed_sum(mc, GROUP, "%RETRY%" GROUP, 1), 20);
        rmq_mock_cluster_destroy(mc);
        free(seen);
}

static rmq_consume_status_t always_fail(rmq_push_consumer_t *pc,
                                        const rmq_message_ext_t *const *msgs,
                                        size_t n, rmq_consume_context_t *ctx,
                                        void *opaque) {
        size_t i;
        (void)pc;
        (void)ctx;
        for (i = 0; i < n; i++)
                fx_seen_record(opaque, msgs[i]);
        return RMQ_RECONSUME_LATER;
}

static bool dlq_full(void *arg) {
        rmq_mock_cluster_t *mc = arg;
        return rmq_mock_topic_message_count(mc, "%DLQ%" GROUP) >= 10;
}

/* A listener that always fails: 1 + maxReconsumeTimes attempts, then the
 * dead letter queue. */
static void test_dlq_after_max_reconsume(void **state) {
        rmq_mock_cluster_t *mc = fast_retry_cluster(1);
        rmq_producer_t *prod   = fx_producer(mc, "GroupPushProd", NULL);
        fx_seen_t *seen        = calloc(1, sizeof(*seen));
        const char *extra[] = {FX_FROM_FIRST, "maxReconsumeTimes", "2", NULL};
        rmq_push_consumer_t *pc;
        (void)state;
        fx_send_n(prod, TOPIC, "d", NULL, 10);
        pc = started(mc, always_fail, seen, extra);
        if (!rmq_test_wait_until(dlq_full, mc, 20000))
                fail_msg(
                    "DLQ %lld, retry %lld, seen %d msgs",
                    (long long)rmq_mock_topic_message_count(mc, "%DLQ%" GROUP),
                    (long long)rmq_mock_topic_message_count(mc,
                                                            "%RETRY%" GROUP),
                    atomic_load(&seen->msgs));
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        fx_seen_assert_each(seen, 0, 10, 3);
        assert_int_equal(rmq_mock_topic_message_count(mc, "%DLQ%" GROUP), 10);
        fx_destroy(pc, prod, mc);
        free(seen);
}

/* ---- orderly ---- */

typedef struct order_s {
        atomic_int total;
        atomic_int_least64_t last[QUEUES];
        atomic_int out_of_order;
        atomic_int concurrent; /* calls in progress */
        atomic_int overlap;    /* two calls of one queue at once */
        atomic_int busy[QUEUES];
        rmq_mock_cluster_t *mc;
        atomic_int lock_missing;
        int want;
} order_t;

static rmq_consume_orderly_status_t
orderly_cb(rmq_push_consumer_t *pc, const rmq_message_ext_t *const *msgs,
           size_t n, rmq_consume_orderly_context_t *ctx, void *opaque) {
        order_t *o = opaque;
        const rmq_message_queue_t *mq =
            rmq_consume_orderly_context_message_queue(ctx);
        int q = rmq_message_queue_queue_id(mq);
        char owner[256];
        size_t i;
        (void)pc;
        if (atomic_fetch_add(&o->busy[q], 1) != 0)
                atomic_fetch_add(&o->overlap, 1);
        if (!rmq_mock_queue_lock_owner(o->mc, GROUP, TOPIC, 0, q, owner,
                                       sizeof(owner)))
                atomic_fetch_add(&o->lock_missing, 1);
        for (i = 0; i < n; i++) {
                int64_t off = rmq_message_ext_queue_offset(msgs[i]);
                if (off != atomic_load(&o->last[q]) + 1)
                        atomic_fetch_add(&o->out_of_order, 1);
                atomic_store(&o->last[q], off);
                atomic_fetch_add(&o->total, 1);
        }
        atomic_fetch_sub(&o->busy[q], 1);
        return RMQ_ORDERLY_SUCCESS;
}

static bool order_done(void *arg) {
        order_t *o = arg;
        return atomic_load(&o->total) >= o->want;
}

static bool no_locks(void *arg) {
        rmq_mock_cluster_t *mc = arg;
        char owner[256];
        int q;
        for (q = 0; q < QUEUES; q++)
                if (rmq_mock_queue_lock_owner(mc, GROUP, TOPIC, 0, q, owner,
                                              sizeof(owner)))
                        return false;
        return true;
}

/* Orderly: every queue consumed in offset order, one call at a time, while
 * the queue is locked on the broker; the locks go at shutdown. */
static void test_orderly_in_order_locked(void **state) {
        rmq_mock_cluster_t *mc = fast_retry_cluster(1);
        rmq_producer_t *prod   = fx_producer(mc, "GroupPushProd", NULL);
        order_t *o             = calloc(1, sizeof(*o));
        rmq_push_consumer_t *pc;
        int q;
        (void)state;
        for (q = 0; q < QUEUES; q++)
                atomic_store(&o->last[q], -1);
        o->mc   = mc;
        o->want = 200;
        fx_send_n(prod, TOPIC, "o", NULL, 200);
        pc = fx_consumer_run_orderly(mc, GROUP, TOPIC, fx_from_first,
                                     orderly_cb, o);
        assert_true(rmq_test_wait_until(order_done, o, 20000));
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        assert_int_equal(atomic_load(&o->total), 200);
        assert_int_equal(atomic_load(&o->out_of_order), 0);
        assert_int_equal(atomic_load(&o->overlap), 0);
        assert_int_equal(atomic_load(&o->lock_missing), 0);
        assert_int_equal(fx_committed_sum(mc, GROUP, TOPIC, QUEUES), 200);
        /* UNLOCK_BATCH_MQ at shutdown, acknowledged */
        assert_true(no_locks(mc));
        fx_destroy(pc, prod, mc);
        free(o);
}

/* ---- broadcasting ---- */

static void test_broadcast_each_gets_all(void **state) {
        rmq_mock_cluster_t *mc = fast_retry_cluster(2);
        rmq_producer_t *prod   = fx_producer(mc, "GroupPushProd", NULL);
        fx_seen_t *s1 = calloc(1, sizeof(*s1)), *s2 = calloc(1, sizeof(*s2));
        char dir[]       = "/tmp/rmq-bcast-XXXXXX";
        const char *e1[] = {FX_BROADCASTING("one", dir), NULL};
        const char *e2[] = {FX_BROADCASTING("two", dir), NULL};
        rmq_push_consumer_t *p1, *p2;
        (void)state;
        assert_non_null(mkdtemp(dir));
        fx_send_n(prod, TOPIC, "b", NULL, 100);
        p1 = started(mc, fx_listener_ok, s1, e1);
        p2 = started(mc, fx_listener_ok, s2, e2);
        fx_wait_seen(s1, 100, 20000);
        fx_wait_seen(s2, 100, 20000);
        rmq_push_consumer_destroy(p1);
        rmq_push_consumer_destroy(p2);
        /* no offset on the broker: a local file per client */
        assert_int_equal(fx_committed_sum(mc, GROUP, TOPIC, QUEUES), 0);
        {
                char cmd[512];
                snprintf(cmd, sizeof(cmd),
                         "test $(find %s -name offsets.json | wc -l) -eq 2 && "
                         "rm -rf %s",
                         dir, dir);
                assert_int_equal(system(cmd), 0);
        }
        fx_destroy(NULL, prod, mc);
        free(s1);
        free(s2);
}

/* SQL92 against a broker that cannot filter by it (the mock, like a
 * broker without enablePropertyFilter): start fails with the broker's
 * reason (checkClientInBroker) and the consumer is left shut down. */
static void test_sql92_refused_at_start(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster_topic(1, TOPIC, QUEUES, NULL);
        fx_seen_t *seen        = calloc(1, sizeof(*seen));
        rmq_push_consumer_t *pc;
        char err[1024];
        (void)state;
        pc = fx_consumer(mc, GROUP, NULL);
        assert_int_equal(rmq_push_consumer_subscribe_sql(pc, TOPIC, "a > 5",
                                                         err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_push_consumer_set_listener_concurrently(
                             pc, fx_listener_ok, seen),
                         RMQ_OK);
        assert_int_equal(rmq_push_consumer_start(pc, err, sizeof(err)),
                         RMQ_ERR_SYSTEM_ERROR);
        assert_non_null(strstr(err, "SQL92"));
        assert_int_equal(rmq_push_consumer_start(pc, err, sizeof(err)),
                         RMQ_ERR__STATE);
        fx_destroy(pc, NULL, mc);
        free(seen);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_consume_all_and_commit),
            cmocka_unit_test(test_reconsume_later_retries),
            cmocka_unit_test(test_dlq_after_max_reconsume),
            cmocka_unit_test(test_orderly_in_order_locked),
            cmocka_unit_test(test_broadcast_each_gets_all),
            cmocka_unit_test(test_sql92_refused_at_start),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
