/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The send modes that choose their queue (to a queue, with a selector) and
 * the batch variants, each from a fresh producer that knows no route yet,
 * on a cluster without autoCreateTopicEnable (no TBW102 route to fall back
 * on, the usual production setting): every mode must find the route and
 * the broker address itself, as sendKernelImpl's tryToFindTopicPublishInfo
 * does, the async ones without blocking the caller.
 */
#include "producer_fixture.h"

#define TOPIC "TopicModes"

typedef struct modes_s {
        rmq_mock_cluster_t *mc;
        int n; /* producers made, for unique group names */
} modes_t;

static int setup(void **state) {
        modes_t *m = calloc(1, sizeof(*m));
        m->mc      = fx_cluster(2);
        if (rmq_mock_cluster_set(m->mc, "autoCreateTopicEnable", "false", NULL,
                                 0) ||
            rmq_mock_topic_create(m->mc, TOPIC, -1, 4, 4))
                return -1;
        *state = m;
        return 0;
}

static int teardown(void **state) {
        modes_t *m = *state;
        rmq_mock_cluster_destroy(m->mc);
        free(m);
        return 0;
}

/* A started producer that has sent nothing: it knows no route. */
static rmq_producer_t *fresh(modes_t *m) {
        char group[32];
        snprintf(group, sizeof(group), "PG_MODES_%d", m->n++);
        return fx_producer(m->mc, group, NULL);
}

static void wait_ok(fx_async_t *a, int want) {
        a->expect = want;
        assert_true(rmq_test_wait_until(fx_async_done, a, 10000));
        if (atomic_load(&a->ok) != want)
                fail_msg("%d of %d sends failed, last error %s",
                         atomic_load(&a->errs), want,
                         rmq_err2name(atomic_load(&a->last_err)));
}

static int64_t stored(modes_t *m, int broker_id, int queue_id) {
        return rmq_mock_queue_max_offset(m->mc, TOPIC, broker_id, queue_id);
}

/* Waits until a queue holds \p want messages. */
typedef struct qwait_s {
        modes_t *m;
        int broker_id, queue_id;
        int64_t want;
} qwait_t;

static bool queue_reached(void *arg) {
        qwait_t *w = arg;
        return stored(w->m, w->broker_id, w->queue_id) >= w->want;
}

/* One send of \p msg to broker-b's queue 2 from a fresh producer: to that
 * queue or through the hash selector ("order-1".hashCode() % 8 = -6 -> 6,
 * broker-b queue 2), async (waiting for the callback) or oneway. */
static void send_to_b2(modes_t *m, rmq_message_t *msg, bool by_selector,
                       bool async) {
        rmq_producer_t *prod = fresh(m);
        rmq_message_queue_t *mq =
            rmq_message_queue_new(TOPIC, rmq_mock_broker_name(m->mc, 1), 2);
        qwait_t w = {m, 1, 2, stored(m, 1, 2) + 1};
        fx_async_t a;
        rmq_err_t err;
        memset(&a, 0, sizeof(a));
        if (by_selector && async)
                err = rmq_producer_send_select_async(
                    prod, msg, rmq_queue_selector_hash, "order-1", fx_async_cb,
                    &a);
        else if (by_selector)
                err = rmq_producer_send_select_oneway(
                    prod, msg, rmq_queue_selector_hash, "order-1", NULL, 0);
        else if (async)
                err = rmq_producer_send_to_queue_async(prod, msg, mq,
                                                       fx_async_cb, &a);
        else
                err = rmq_producer_send_to_queue_oneway(prod, msg, mq, NULL, 0);
        assert_int_equal(err, RMQ_OK);
        if (async)
                wait_ok(&a, 1);
        assert_true(rmq_test_wait_until(queue_reached, &w, 10000));
        rmq_producer_destroy(prod);
        rmq_message_queue_destroy(mq);
}

static void test_chosen_queue_sends(void **state) {
        modes_t *m         = *state;
        rmq_message_t *msg = fx_msg(TOPIC, "to a chosen queue");
        send_to_b2(m, msg, false, true);
        send_to_b2(m, msg, false, false);
        send_to_b2(m, msg, true, true);
        send_to_b2(m, msg, true, false);
        rmq_message_destroy(msg);
}

static void test_batches(void **state) {
        modes_t *m = *state;
        rmq_producer_t *prod;
        rmq_message_t *msgs[2];
        rmq_message_queue_t *mq =
            rmq_message_queue_new(TOPIC, rmq_mock_broker_name(m->mc, 0), 3);
        rmq_send_result_t *res;
        char err[512];
        fx_async_t a;
        fx_count_t c   = {m->mc, TOPIC, 0};
        int64_t before = rmq_mock_topic_message_count(m->mc, TOPIC), q3;
        memset(&a, 0, sizeof(a));
        msgs[0] = fx_msg(TOPIC, "b0");
        msgs[1] = fx_msg(TOPIC, "b1");
        prod    = fresh(m);
        assert_int_equal(
            rmq_producer_send_batch_async(prod, msgs, 2, fx_async_cb, &a),
            RMQ_OK);
        wait_ok(&a, 1);
        c.want = before + 2;
        assert_true(rmq_test_wait_until(fx_count_reached, &c, 5000));
        rmq_producer_destroy(prod);
        /* to a queue, sync: the route comes from tryToFindTopicPublishInfo */
        q3   = stored(m, 0, 3);
        prod = fresh(m);
        assert_int_equal(rmq_producer_send_batch_to_queue(
                             prod, msgs, 2, mq, &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(
            rmq_message_queue_queue_id(rmq_send_result_message_queue(res)), 3);
        rmq_send_result_destroy(res);
        assert_int_equal(stored(m, 0, 3), q3 + 2);
        rmq_producer_destroy(prod);
        /* and async */
        prod = fresh(m);
        memset(&a, 0, sizeof(a));
        assert_int_equal(rmq_producer_send_batch_to_queue_async(
                             prod, msgs, 2, mq, fx_async_cb, &a),
                         RMQ_OK);
        wait_ok(&a, 1);
        assert_int_equal(stored(m, 0, 3), q3 + 4);
        rmq_producer_destroy(prod);
        rmq_message_destroy(msgs[0]);
        rmq_message_destroy(msgs[1]);
        rmq_message_queue_destroy(mq);
}

/* A broker the route does not name stays unknown: "The broker[x] not
 * exist" (sendKernelImpl), through the callback for an async send. */
static void test_unknown_broker(void **state) {
        modes_t *m = *state;
        rmq_producer_t *prod;
        rmq_message_queue_t *mq = rmq_message_queue_new(TOPIC, "broker-x", 0);
        rmq_message_queue_t *other = rmq_message_queue_new(
            "OtherTopic", rmq_mock_broker_name(m->mc, 0), 0);
        rmq_message_t *msg = fx_msg(TOPIC, "nowhere");
        char err[512];
        fx_async_t a;
        memset(&a, 0, sizeof(a));
        a.expect = 1;
        prod     = fresh(m);
        assert_int_equal(
            rmq_producer_send_to_queue_async(prod, msg, mq, fx_async_cb, &a),
            RMQ_OK);
        assert_true(rmq_test_wait_until(fx_async_done, &a, 10000));
        assert_int_equal(atomic_load(&a.last_err), RMQ_ERR__NO_BROKER);
        assert_int_equal(
            rmq_producer_send_to_queue(prod, msg, mq, NULL, err, sizeof(err)),
            RMQ_ERR__NO_BROKER);
        assert_non_null(strstr(err, "The broker[broker-x] not exist"));
        /* a queue of another topic is refused at once */
        assert_int_equal(
            rmq_producer_send_to_queue_async(prod, msg, other, fx_async_cb, &a),
            RMQ_ERR__INVALID_ARG);
        rmq_producer_destroy(prod);
        assert_int_equal(atomic_load(&a.calls), 1);
        rmq_message_destroy(msg);
        rmq_message_queue_destroy(mq);
        rmq_message_queue_destroy(other);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_chosen_queue_sends),
            cmocka_unit_test(test_batches),
            cmocka_unit_test(test_unknown_broker),
        };
        return cmocka_run_group_tests_name("producer_modes", tests, setup,
                                           teardown);
}
