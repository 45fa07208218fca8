/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connections against the mock: vipChannelEnabled sends to the broker's
 * port - 2 (MixAll.brokerVIPChannel); while a broker is down the noisy
 * warnings are rate-limited (log.rate.limit.ms); with the connect
 * back-off a producer still sends through the broker that is up and
 * reaches the restarted one again.
 */
#include "consumer_fixture.h"

/* Two clusters: B's broker on port P - 2, A's on P. */
static void vip_clusters(rmq_mock_cluster_t **ap, rmq_mock_cluster_t **bp) {
        int tries;
        char err[256];
        for (tries = 0; tries < 50; tries++) {
                rmq_mock_cluster_t *b = fx_cluster(1), *a = NULL;
                const char *addr = rmq_mock_broker_addr(b, 0);
                int port         = atoi(strrchr(addr, ':') + 1);
                if (port + 2 <= 65535 &&
                    !rmq_mock_cluster_new_ports(&a, 1, 0, port + 2, err,
                                                sizeof(err))) {
                        *ap = a;
                        *bp = b;
                        return;
                }
                rmq_mock_cluster_destroy(b);
        }
        fail_msg("no port pair P-2, P free");
}

static void test_vip_channel(void **state) {
        rmq_mock_cluster_t *a = NULL, *b = NULL;
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg("TV", "vip");
        char err[512];
        (void)state;
        vip_clusters(&a, &b);
        fx_topic(a, "TV", 4);
        fx_topic(b, "TV", 4);
        /* on: the send goes to port - 2, B's broker */
        prod = fx_producer(
            a, "PG_VIP",
            (const char *const[]){"vipChannelEnabled", "true", NULL});
        if (rmq_producer_send(prod, msg, NULL, err, sizeof(err)))
                fail_msg("send: %s", err);
        assert_int_equal(rmq_mock_topic_message_count(b, "TV"), 1);
        assert_int_equal(rmq_mock_topic_message_count(a, "TV"), 0);
        rmq_producer_destroy(prod);
        /* off (the default): the broker's own port */
        prod =
            fx_producer(a, "PG_NOVIP",
                        (const char *const[]){"instanceName", "novip", NULL});
        if (rmq_producer_send(prod, msg, NULL, err, sizeof(err)))
                fail_msg("send: %s", err);
        assert_int_equal(rmq_mock_topic_message_count(a, "TV"), 1);
        assert_int_equal(rmq_mock_topic_message_count(b, "TV"), 1);
        rmq_producer_destroy(prod);
        rmq_message_destroy(msg);
        rmq_mock_cluster_destroy(a);
        rmq_mock_cluster_destroy(b);
}

static rmq_consume_status_t consume_ok(rmq_push_consumer_t *pc,
                                       const rmq_message_ext_t *const *msgs,
                                       size_t n, rmq_consume_context_t *ctx,
                                       void *opaque) {
        (void)pc;
        (void)msgs;
        (void)ctx;
        atomic_fetch_add((atomic_int *)opaque, (int)n);
        return RMQ_CONSUME_SUCCESS;
}

static bool consumed_4(void *arg) {
        return atomic_load((atomic_int *)arg) >= 4;
}

static bool got_repeated(void *arg) {
        return fx_logcap_hits(arg, 1, NULL) > 0;
}

/* A broker down: pulls of its 4 queues fail every 20 ms, and the
 * warnings about them come as a few lines, one with a count. */
static void test_log_rate_limited_while_down(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster_topic(1, "TD", 4, NULL);
        rmq_conf_t *conf;
        rmq_push_consumer_t *pc;
        fx_logcap_t lc;
        int64_t t0, elapsed;
        int lines, bound;
        atomic_int consumed;
        (void)state;
        atomic_init(&consumed, 0);
        fx_logcap_init(&lc, "execute the pull request exception", "(repeated ");
        conf = fx_conf(mc, "consumerGroup", "CG_DOWN",
                       (const char *const[]){"pullTimeDelayMillsWhenException",
                                             "20", "log.rate.limit.ms", "500",
                                             NULL});
        fx_logcap_attach(conf, &lc);
        pc = fx_consumer_new(conf);
        fx_consumer_listen(pc, "TD", consume_ok, &consumed);
        fx_consumer_start(pc);
        /* let the queues be taken and pulled */
        {
                rmq_producer_t *prod = fx_producer(mc, "PG_DOWN", NULL);
                fx_send_n(prod, "TD", "m", NULL, 4);
                rmq_producer_destroy(prod);
        }
        /* the queues are taken and pulled */
        assert_true(rmq_test_wait_until(consumed_4, &consumed, 15000));
        t0 = rmq__mono_ms();
        assert_int_equal(rmq_mock_broker_set_down(mc, 0), RMQ_OK);
        assert_true(rmq_test_wait_until(got_repeated, &lc, 15000));
        rmq_test_sleep_ms(1000);
        elapsed = rmq__mono_ms() - t0;
        lines   = fx_logcap_hits(&lc, 0, NULL);
        /* unlimited: 4 queues every 20 ms (50 lines per 250 ms at least
         * in a second); limited: per distinct line (its digits aside: the
         * refused connect, the back-off, the closed channel) one per
         * 500 ms */
        bound = 4 * (int)(elapsed / 500 + 1);
        print_message("%d pull warnings in %lld ms (bound %d), %d with a "
                      "count\n",
                      lines, (long long)elapsed, bound,
                      fx_logcap_hits(&lc, 1, NULL));
        assert_true(lines >= 1);
        assert_true(lines <= bound);
        rmq_push_consumer_destroy(pc);
        fx_logcap_fini(&lc);
        rmq_mock_cluster_destroy(mc);
}

typedef struct both_s {
        rmq_producer_t *prod;
        rmq_mock_cluster_t *mc;
        int64_t before;
} both_t;

static bool restarted_broker_reached(void *arg) {
        both_t *b          = arg;
        rmq_message_t *msg = fx_msg("TB", "x");
        char err[256];
        rmq_producer_send(b->prod, msg, NULL, err, sizeof(err));
        rmq_message_destroy(msg);
        return rmq_mock_queue_max_offset(b->mc, "TB", 0, 0) +
                   rmq_mock_queue_max_offset(b->mc, "TB", 0, 1) +
                   rmq_mock_queue_max_offset(b->mc, "TB", 0, 2) +
                   rmq_mock_queue_max_offset(b->mc, "TB", 0, 3) >
               b->before;
}

/* Broker 0 down: every send still succeeds (the retry takes broker 1,
 * the back-off fails the dead one at once); once it is back, sends reach
 * it again within the back-off's bound. */
static void test_producer_with_backoff(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster_topic(2, "TB", 4, NULL);
        rmq_producer_t *prod   = fx_producer(
              mc, "PG_BO",
              (const char *const[]){"reconnect.backoff.max.ms", "1000", NULL});
        both_t b;
        char err[512];
        int i;
        int64_t t0;
        (void)state;
        fx_send_n(prod, "TB", "m", NULL, 8);
        assert_int_equal(rmq_mock_broker_set_down(mc, 0), RMQ_OK);
        t0 = rmq__mono_ms();
        for (i = 0; i < 40; i++) {
                rmq_message_t *msg = fx_msg("TB", "y");
                if (rmq_producer_send(prod, msg, NULL, err, sizeof(err)))
                        fail_msg("send %d: %s", i, err);
                rmq_message_destroy(msg);
        }
        print_message("40 sends with a broker down: %lld ms\n",
                      (long long)(rmq__mono_ms() - t0));
        b.prod   = prod;
        b.mc     = mc;
        b.before = 0;
        for (i = 0; i < 4; i++)
                b.before += rmq_mock_queue_max_offset(mc, "TB", 0, i);
        assert_int_equal(rmq_mock_broker_set_up(mc, 0), RMQ_OK);
        assert_true(rmq_test_wait_until(restarted_broker_reached, &b, 10000));
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_vip_channel),
            cmocka_unit_test(test_log_rate_limited_while_down),
            cmocka_unit_test(test_producer_with_backoff),
        };
        return cmocka_run_group_tests_name("conn_faults", tests, NULL, NULL);
}
