/* SPDX-License-Identifier: Apache-2.0 */
/* ConsumerStatsManager: Java StatsItem's arithmetic on hand-made
 * sequences (first sampling's zero snapshot, the 7-snapshot ring, the
 * consume RT fallback to the hour window, the int cast), the sampling
 * schedule, key listing and reset, and many threads incrementing while a
 * sampler runs (clean under TSan). Times are passed in; nothing sleeps. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "consumer/rmq_consumer_stats.h"
#include "testutil.h"

#define G  "CG_TEST"
#define T  "TopicTest"
#define T0 INT64_C(1795617480000)

/* Exact comparison: the expected values are what Java computes with the
 * same double operations. */
static void assert_dbl(double got, double want) {
        if (!(got == want))
                fail_msg("got %.17g, want %.17g", got, want);
}

static void assert_snapshot(rmq_stats_snapshot_t ss, int64_t sum, double tps,
                            int64_t times, double avgpt) {
        assert_int_equal(ss.sum, sum);
        assert_dbl(ss.tps, tps);
        assert_int_equal(ss.times, times);
        assert_dbl(ss.avgpt, avgpt);
}

static rmq_stats_snapshot_t get(rmq_consumer_stats_t *st, rmq_stats_set_t set,
                                rmq_stats_window_t w) {
        return rmq__consumer_stats_get(st, set, w, G, T);
}

static void test_names(void **state) {
        (void)state;
        assert_string_equal(rmq__stats_set_name(RMQ_STATS_PULL_RT), "PULL_RT");
        assert_string_equal(rmq__stats_set_name(RMQ_STATS_CONSUME_FAILED_TPS),
                            "CONSUME_FAILED_TPS");
        assert_null(rmq__stats_set_name(RMQ_STATS__SET_CNT));
        assert_null(rmq__stats_set_name(-1));
}

/* Nothing recorded: every figure is 0 (Java: new StatsSnapshot()). */
static void test_no_stats(void **state) {
        rmq_consumer_stats_t *st = rmq__consumer_stats_new();
        rmq_consume_stat_t cs;
        rmq_stats_key_t *keys;
        (void)state;
        rmq__consumer_stats_consume_status(st, G, T, &cs);
        assert_dbl(cs.pullRT, 0.0);
        assert_dbl(cs.pullTPS, 0.0);
        assert_dbl(cs.consumeRT, 0.0);
        assert_dbl(cs.consumeOKTPS, 0.0);
        assert_dbl(cs.consumeFailedTPS, 0.0);
        assert_int_equal(cs.consumeFailedMsgs, 0);
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_MINUTE), 0, 0.0,
                        0, 0.0);
        assert_int_equal(rmq__consumer_stats_keys(st, NULL, &keys), 0);
        rmq__stats_keys_free(keys, 0);
        /* Sampling with no items changes nothing. */
        rmq__consumer_stats_sample(st, T0);
        assert_int_equal(rmq__consumer_stats_keys(st, NULL, &keys), 0);
        rmq__stats_keys_free(keys, 0);
        rmq__consumer_stats_destroy(st);
        rmq__consumer_stats_destroy(NULL);
}

/* Counted but not sampled yet: the rings are empty, so still zeros. */
static void test_before_first_sampling(void **state) {
        rmq_consumer_stats_t *st = rmq__consumer_stats_new();
        (void)state;
        rmq__consumer_stats_inc_pull_tps(st, G, T, 32);
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_MINUTE), 0, 0.0,
                        0, 0.0);
        rmq__consumer_stats_destroy(st);
}

/* The first sampling puts (now - 10 s, 0, 0) before (now, times, value):
 * 10 messages in 3 pulls give tps 10 * 1000 / 10000 = 1.0. */
static void test_first_sampling(void **state) {
        rmq_consumer_stats_t *st = rmq__consumer_stats_new();
        (void)state;
        rmq__consumer_stats_inc_pull_tps(st, G, T, 4);
        rmq__consumer_stats_inc_pull_tps(st, G, T, 3);
        rmq__consumer_stats_inc_pull_tps(st, G, T, 3);
        rmq__consumer_stats_sample_seconds(st, T0);
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_MINUTE), 10, 1.0,
                        3, 10.0 / 3.0);
        /* Other windows and sets are untouched. */
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_HOUR), 0, 0.0, 0,
                        0.0);
        assert_snapshot(get(st, RMQ_STATS_PULL_RT, RMQ_STATS_MINUTE), 0, 0.0, 0,
                        0.0);
        /* The hour window's zero snapshot is 10 min back. */
        rmq__consumer_stats_sample_minutes(st, T0);
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_HOUR), 10,
                        10.0 * 1000.0 / 600000.0, 3, 10.0 / 3.0);
        /* The day window's, 1 h back. */
        rmq__consumer_stats_sample_hour(st, T0);
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_DAY), 10,
                        10.0 * 1000.0 / 3600000.0, 3, 10.0 / 3.0);
        rmq__consumer_stats_destroy(st);
}

/* Step i (1..10) adds value i once, then samples at T0 + 10 s * i:
 * cumulative value V(i) = i(i+1)/2, times i. The ring keeps 7 snapshots,
 * so the zero snapshot goes at step 7 and step i's window is
 * [V(i-6), V(i)] from then on. */
static void test_minute_ring_of_seven(void **state) {
        rmq_consumer_stats_t *st = rmq__consumer_stats_new();
        int64_t i;
        (void)state;
        for (i = 1; i <= 10; i++) {
                int64_t V = i * (i + 1) / 2, first_v, first_t, n;
                rmq__consumer_stats_inc_consume_ok_tps(st, G, T, i);
                rmq__consumer_stats_sample_seconds(st, T0 + 10000 * i);
                if (i <= 6) { /* zero snapshot at T0 + 10 s * (1 - 1) */
                        first_v = 0;
                        first_t = T0;
                        n       = i;
                } else {
                        first_v = (i - 6) * (i - 5) / 2;
                        first_t = T0 + 10000 * (i - 6);
                        n       = 6;
                }
                assert_snapshot(
                    get(st, RMQ_STATS_CONSUME_OK_TPS, RMQ_STATS_MINUTE),
                    V - first_v,
                    ((double)(V - first_v) * 1000.0) /
                        (double)(T0 + 10000 * i - first_t),
                    n, (double)(V - first_v) / (double)n);
        }
        /* By hand, step 10: V(10) - V(4) = 55 - 10 = 45 over 60 s. */
        assert_snapshot(get(st, RMQ_STATS_CONSUME_OK_TPS, RMQ_STATS_MINUTE), 45,
                        0.75, 6, 7.5);
        /* Step 7: V(7) - V(1) = 27 over 60 s. */
        rmq__consumer_stats_destroy(st);
}

/* The hour ring keeps 7 too, the day ring 25. */
static void test_hour_and_day_rings(void **state) {
        rmq_consumer_stats_t *st = rmq__consumer_stats_new();
        int i;
        (void)state;
        for (i = 1; i <= 30; i++) {
                rmq__consumer_stats_inc_pull_tps(st, G, T, 100);
                rmq__consumer_stats_sample_minutes(st, T0 + 600000LL * i);
                rmq__consumer_stats_sample_hour(st, T0 + 3600000LL * i);
        }
        /* hour: snapshots of steps 24..30, 6 intervals of 100 */
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_HOUR), 600,
                        600.0 * 1000.0 / 3600000.0, 6, 100.0);
        /* day: steps 6..30, 24 intervals */
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_DAY), 2400,
                        2400.0 * 1000.0 / 86400000.0, 24, 100.0);
        rmq__consumer_stats_destroy(st);
}

/* ConsumerStatsManager#getConsumeRT: the minute window, or the hour window
 * when the minute sum is 0 (also when RTs of 0 ms were counted). */
static void test_consume_rt_fallback(void **state) {
        rmq_consumer_stats_t *st = rmq__consumer_stats_new();
        rmq_consume_stat_t cs;
        int i;
        (void)state;
        rmq__consumer_stats_inc_consume_rt(st, G, T, 100);
        rmq__consumer_stats_inc_consume_rt(st, G, T, 200);
        rmq__consumer_stats_sample(st, T0); /* first call: all windows */
        rmq__consumer_stats_consume_status(st, G, T, &cs);
        assert_dbl(cs.consumeRT, 150.0); /* minute: 300 / 2 */

        /* A minute without consumption: the minute sum is 0. */
        for (i = 1; i <= 7; i++)
                rmq__consumer_stats_sample_seconds(st, T0 + 10000 * i);
        assert_snapshot(get(st, RMQ_STATS_CONSUME_RT, RMQ_STATS_MINUTE), 0, 0.0,
                        0, 0.0);
        rmq__consumer_stats_consume_status(st, G, T, &cs);
        assert_dbl(cs.consumeRT, 150.0); /* hour: 300 / 2 */

        /* New consumption: the minute window again. */
        rmq__consumer_stats_inc_consume_rt(st, G, T, 1000);
        rmq__consumer_stats_sample_seconds(st, T0 + 80000);
        rmq__consumer_stats_consume_status(st, G, T, &cs);
        assert_dbl(cs.consumeRT, 1000.0);

        /* RTs of 0 ms: times > 0 but sum 0, so the hour window. */
        rmq__consumer_stats_reset(st);
        rmq__consumer_stats_inc_consume_rt(st, G, T, 40);
        rmq__consumer_stats_sample_minutes(st, T0);
        for (i = 0; i < 7; i++)
                rmq__consumer_stats_sample_seconds(st, T0 + 10000 * i);
        rmq__consumer_stats_inc_consume_rt(st, G, T, 0);
        rmq__consumer_stats_inc_consume_rt(st, G, T, 0);
        rmq__consumer_stats_sample_seconds(st, T0 + 70000);
        assert_snapshot(get(st, RMQ_STATS_CONSUME_RT, RMQ_STATS_MINUTE), 0, 0.0,
                        2, 0.0);
        rmq__consumer_stats_consume_status(st, G, T, &cs);
        assert_dbl(cs.consumeRT, 40.0);
        rmq__consumer_stats_destroy(st);
}

/* Every ConsumeStatus field from a hand-made minute. */
static void test_consume_status(void **state) {
        rmq_consumer_stats_t *st = rmq__consumer_stats_new();
        rmq_consume_stat_t cs;
        (void)state;
        /* minute 0 */
        rmq__consumer_stats_inc_pull_rt(st, G, T, 12);
        rmq__consumer_stats_inc_pull_rt(st, G, T, 15);
        rmq__consumer_stats_inc_pull_tps(st, G, T, 32);
        rmq__consumer_stats_inc_pull_tps(st, G, T, 8);
        rmq__consumer_stats_inc_consume_rt(st, G, T, 7);
        rmq__consumer_stats_inc_consume_ok_tps(st, G, T, 30);
        rmq__consumer_stats_inc_consume_failed_tps(st, G, T, 2);
        rmq__consumer_stats_sample(st, T0);
        rmq__consumer_stats_consume_status(st, G, T, &cs);
        assert_dbl(cs.pullRT, 13.5);      /* 27 / 2 */
        assert_dbl(cs.pullTPS, 4.0);      /* 40 * 1000 / 10000 */
        assert_dbl(cs.consumeRT, 7.0);    /* 7 / 1 */
        assert_dbl(cs.consumeOKTPS, 3.0); /* 30 * 1000 / 10000 */
        assert_dbl(cs.consumeFailedTPS, 0.2);
        assert_int_equal(cs.consumeFailedMsgs, 2); /* hour sum */

        /* 10 s later: more of everything */
        rmq__consumer_stats_inc_pull_tps(st, G, T, 10);
        rmq__consumer_stats_inc_consume_failed_tps(st, G, T, 5);
        rmq__consumer_stats_sample(st, T0 + 10000);
        rmq__consumer_stats_consume_status(st, G, T, &cs);
        assert_dbl(cs.pullTPS, 50.0 * 1000.0 / 20000.0);
        assert_dbl(cs.consumeFailedTPS, 7.0 * 1000.0 / 20000.0);
        /* The hour ring was not sampled again (10 min not passed). */
        assert_int_equal(cs.consumeFailedMsgs, 2);
        assert_dbl(cs.pullRT, 13.5);
        /* Another group on the same topic has nothing. */
        rmq__consumer_stats_consume_status(st, "CG_OTHER", T, &cs);
        assert_dbl(cs.pullTPS, 0.0);
        assert_int_equal(cs.consumeFailedMsgs, 0);
        rmq__consumer_stats_destroy(st);
}

/* Java casts the increment to int: StatsItemSet#addValue(key, (int) msgs,
 * 1). */
static void test_int_cast(void **state) {
        rmq_consumer_stats_t *st = rmq__consumer_stats_new();
        (void)state;
        rmq__consumer_stats_inc_pull_tps(st, G, T, INT64_C(0x100000005));
        rmq__consumer_stats_inc_pull_tps(st, G, T,
                                         INT64_C(0xFFFFFFFF)); /* -1 */
        rmq__consumer_stats_sample_seconds(st, T0);
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_MINUTE), 4, 0.4,
                        2, 2.0);
        rmq__consumer_stats_destroy(st);
}

/* An item created after others were sampled gets its own zero snapshot
 * at its first sampling (Java: each StatsItem's own list). */
static void test_late_item(void **state) {
        rmq_consumer_stats_t *st = rmq__consumer_stats_new();
        int i;
        (void)state;
        rmq__consumer_stats_inc_pull_tps(st, G, T, 1);
        for (i = 0; i < 5; i++)
                rmq__consumer_stats_sample_seconds(st, T0 + 10000 * i);
        rmq__consumer_stats_inc_consume_ok_tps(st, G, T, 20);
        rmq__consumer_stats_sample_seconds(st, T0 + 50000);
        assert_snapshot(get(st, RMQ_STATS_CONSUME_OK_TPS, RMQ_STATS_MINUTE), 20,
                        2.0, 1, 20.0);
        /* The older item's window spans 60 s. */
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_MINUTE), 1,
                        1000.0 / 60000.0, 1, 1.0);
        rmq__consumer_stats_destroy(st);
}

/* rmq__consumer_stats_sample every 10 s: the hour ring at ticks 0 and 60
 * (even a little early), the day ring at tick 0 and 360. */
static void test_sample_schedule(void **state) {
        rmq_consumer_stats_t *st = rmq__consumer_stats_new();
        int i;
        (void)state;
        rmq__consumer_stats_inc_pull_tps(st, G, T, 60);
        for (i = 0; i < 60; i++)
                rmq__consumer_stats_sample(st, T0 + 10000LL * i);
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_HOUR), 60,
                        60.0 * 1000.0 / 600000.0, 1, 60.0);
        rmq__consumer_stats_inc_pull_tps(st, G, T, 120);
        /* tick 60, 3 ms early: still the hour sampling */
        rmq__consumer_stats_sample(st, T0 + 600000 - 3);
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_HOUR), 180,
                        180.0 * 1000.0 / (1200000.0 - 3.0), 2, 90.0);
        for (i = 61; i < 360; i++)
                rmq__consumer_stats_sample(st, T0 + 10000LL * i);
        /* day: only tick 0 so far */
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_DAY), 60,
                        60.0 * 1000.0 / 3600000.0, 1, 60.0);
        /* hour ring: ticks 0, 60, ..., 300 (6 samplings + zero) */
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_HOUR), 180,
                        180.0 * 1000.0 / (3600000.0), 2, 90.0);
        rmq__consumer_stats_sample(st, T0 + 3600000);
        assert_snapshot(get(st, RMQ_STATS_PULL_TPS, RMQ_STATS_DAY), 180,
                        180.0 * 1000.0 / 7200000.0, 2, 90.0);
        rmq__consumer_stats_destroy(st);
}

static void test_keys_and_reset(void **state) {
        rmq_consumer_stats_t *st = rmq__consumer_stats_new();
        rmq_stats_key_t *keys;
        rmq_consume_stat_t cs;
        size_t n;
        (void)state;
        rmq__consumer_stats_inc_pull_rt(st, "G2", "TopicB", 1);
        rmq__consumer_stats_inc_consume_ok_tps(st, "G1", "TopicB", 1);
        rmq__consumer_stats_inc_pull_tps(st, "G1", "%RETRY%G1", 1);
        rmq__consumer_stats_inc_consume_failed_tps(st, "G1", "TopicA", 1);
        n = rmq__consumer_stats_keys(st, NULL, &keys);
        assert_int_equal(n, 4);
        assert_string_equal(keys[0].topic, "%RETRY%G1");
        assert_string_equal(keys[1].topic, "TopicA");
        assert_string_equal(keys[2].topic, "TopicB");
        assert_string_equal(keys[2].group, "G1");
        assert_string_equal(keys[3].topic, "TopicB");
        assert_string_equal(keys[3].group, "G2");
        rmq__stats_keys_free(keys, n);
        n = rmq__consumer_stats_keys(st, "G2", &keys);
        assert_int_equal(n, 1);
        assert_string_equal(keys[0].topic, "TopicB");
        rmq__stats_keys_free(keys, n);

        rmq__consumer_stats_sample(st, T0);
        rmq__consumer_stats_reset(st);
        n = rmq__consumer_stats_keys(st, NULL, &keys);
        assert_int_equal(n, 0);
        rmq__stats_keys_free(keys, n);
        rmq__consumer_stats_consume_status(st, "G1", "TopicA", &cs);
        assert_int_equal(cs.consumeFailedMsgs, 0);

        /* Counting restarts from zero, and the schedule too. */
        rmq__consumer_stats_inc_consume_failed_tps(st, "G1", "TopicA", 3);
        rmq__consumer_stats_sample(st, T0 + 1000);
        rmq__consumer_stats_consume_status(st, "G1", "TopicA", &cs);
        assert_int_equal(cs.consumeFailedMsgs, 3);
        assert_dbl(cs.consumeFailedTPS, 0.3);
        n = rmq__consumer_stats_keys(st, NULL, &keys);
        assert_int_equal(n, 1);
        rmq__stats_keys_free(keys, n);
        rmq__consumer_stats_destroy(st);
}

/* Many keys: the map grows and every key keeps its own counters. */
static void test_many_keys(void **state) {
        rmq_consumer_stats_t *st = rmq__consumer_stats_new();
        rmq_stats_key_t *keys;
        char topic[32];
        size_t n;
        int i;
        (void)state;
        for (i = 0; i < 500; i++) {
                snprintf(topic, sizeof(topic), "T%04d", i);
                rmq__consumer_stats_inc_pull_tps(st, G, topic, i);
        }
        rmq__consumer_stats_sample_seconds(st, T0);
        for (i = 0; i < 500; i++) {
                snprintf(topic, sizeof(topic), "T%04d", i);
                assert_int_equal(rmq__consumer_stats_get(st, RMQ_STATS_PULL_TPS,
                                                         RMQ_STATS_MINUTE, G,
                                                         topic)
                                     .sum,
                                 i);
        }
        n = rmq__consumer_stats_keys(st, NULL, &keys);
        assert_int_equal(n, 500);
        assert_string_equal(keys[499].topic, "T0499");
        rmq__stats_keys_free(keys, n);
        rmq__consumer_stats_destroy(st);
}

/* ---- threads ---- */

#define THREADS 8
#define ROUNDS  20000
#define NKEYS   4

typedef struct thr_arg_s {
        rmq_consumer_stats_t *st;
        int id;
} thr_arg_t;

static _Atomic int workers_left;

static void worker(void *p) {
        thr_arg_t *a = p;
        char topic[16];
        int i;
        for (i = 0; i < ROUNDS; i++) {
                snprintf(topic, sizeof(topic), "T%d", (i + a->id) % NKEYS);
                rmq__consumer_stats_inc_pull_rt(a->st, G, topic, 2);
                rmq__consumer_stats_inc_pull_tps(a->st, G, topic, 3);
                rmq__consumer_stats_inc_consume_rt(a->st, G, topic, 5);
                rmq__consumer_stats_inc_consume_ok_tps(a->st, G, topic, 1);
                rmq__consumer_stats_inc_consume_failed_tps(a->st, G, topic, 1);
        }
        atomic_fetch_sub(&workers_left, 1);
}

/* Samples the minute rings and reads while the workers count. */
static void sampler(void *p) {
        rmq_consumer_stats_t *st = p;
        int64_t now              = T0;
        rmq_consume_stat_t cs;
        rmq_stats_key_t *keys;
        size_t n;
        while (atomic_load(&workers_left) > 0) {
                rmq__consumer_stats_sample_seconds(st, now);
                now += 10000;
                rmq__consumer_stats_consume_status(st, G, "T1", &cs);
                n = rmq__consumer_stats_keys(st, G, &keys);
                rmq__stats_keys_free(keys, n);
        }
}

static void test_threads(void **state) {
        rmq_consumer_stats_t *st = rmq__consumer_stats_new();
        uv_thread_t tids[THREADS], stid;
        thr_arg_t args[THREADS];
        char topic[16];
        int i;
        (void)state;
        atomic_store(&workers_left, THREADS);
        assert_int_equal(uv_thread_create(&stid, sampler, st), 0);
        for (i = 0; i < THREADS; i++) {
                args[i].st = st;
                args[i].id = i;
                assert_int_equal(uv_thread_create(&tids[i], worker, &args[i]),
                                 0);
        }
        for (i = 0; i < THREADS; i++)
                uv_thread_join(&tids[i]);
        uv_thread_join(&stid);
        /* The hour ring was never sampled: one sampling now spans all. */
        rmq__consumer_stats_sample_minutes(st, T0 + 1000000);
        for (i = 0; i < NKEYS; i++) {
                int64_t per_key = (int64_t)THREADS * ROUNDS / NKEYS;
                snprintf(topic, sizeof(topic), "T%d", i);
                assert_snapshot(rmq__consumer_stats_get(st, RMQ_STATS_PULL_RT,
                                                        RMQ_STATS_HOUR, G,
                                                        topic),
                                2 * per_key, 2.0 * per_key * 1000.0 / 600000.0,
                                per_key, 2.0);
                assert_int_equal(rmq__consumer_stats_get(st, RMQ_STATS_PULL_TPS,
                                                         RMQ_STATS_HOUR, G,
                                                         topic)
                                     .sum,
                                 3 * per_key);
                assert_int_equal(
                    rmq__consumer_stats_get(st, RMQ_STATS_CONSUME_FAILED_TPS,
                                            RMQ_STATS_HOUR, G, topic)
                        .sum,
                    per_key);
        }
        rmq__consumer_stats_destroy(st);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_names),
            cmocka_unit_test(test_no_stats),
            cmocka_unit_test(test_before_first_sampling),
            cmocka_unit_test(test_first_sampling),
            cmocka_unit_test(test_minute_ring_of_seven),
            cmocka_unit_test(test_hour_and_day_rings),
            cmocka_unit_test(test_consume_rt_fallback),
            cmocka_unit_test(test_consume_status),
            cmocka_unit_test(test_int_cast),
            cmocka_unit_test(test_late_item),
            cmocka_unit_test(test_sample_schedule),
            cmocka_unit_test(test_keys_and_reset),
            cmocka_unit_test(test_many_keys),
            cmocka_unit_test(test_threads),
        };
        return cmocka_run_group_tests_name("consumer_stats", tests, NULL, NULL);
}
