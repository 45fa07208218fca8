/* SPDX-License-Identifier: Apache-2.0 */
/* The statistics document's pieces without a cluster: the producer's send
 * counters (totals, per-interval RT average and max), the consumer object
 * reading the same figures as GET_CONSUMER_RUNNING_INFO's statusTable, the
 * topics' union and order, and the configuration (docs/STATISTICS.md). */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "client/rmq_stats.h"
#include "common/rmq_conf_int.h"
#include "consumer/rmq_consumer_base.h"
#include "consumer/rmq_consumer_stats.h"
#include "testutil.h"

#define G  "CG_TEST"
#define T  "TopicTest"
#define T0 INT64_C(1795617480000)

static double num(const cJSON *o, const char *k) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
        if (!cJSON_IsNumber(v))
                fail_msg("no number %s", k);
        return v->valuedouble;
}

static void test_send_stats(void **state) {
        rmq_send_stats_t st;
        cJSON *o;
        (void)state;
        rmq__send_stats_init(&st);
        rmq__send_stats_add(&st, true, 10);
        rmq__send_stats_add(&st, true, 30);
        rmq__send_stats_add(&st, true, -1); /* a oneway send: no RT */
        rmq__send_stats_add(&st, false, 5); /* a failure: no RT either */
        o = cJSON_CreateObject();
        rmq__send_stats_json(&st, o);
        assert_true(num(o, "sends_ok") == 3);
        assert_true(num(o, "sends_failed") == 1);
        assert_true(num(o, "send_rt_avg_ms") == 20);
        assert_true(num(o, "send_rt_max_ms") == 30);
        assert_true(num(o, "send_rt_total_avg_ms") == 20);
        assert_true(num(o, "send_ok_tps") >= 0);
        cJSON_Delete(o);
        /* the next interval: one more send; the max and the average are
         * this interval's, the totals keep growing */
        rmq__send_stats_add(&st, true, 2);
        o = cJSON_CreateObject();
        rmq__send_stats_json(&st, o);
        assert_true(num(o, "sends_ok") == 4);
        assert_true(num(o, "send_rt_avg_ms") == 2);
        assert_true(num(o, "send_rt_max_ms") == 2);
        assert_true(num(o, "send_rt_total_avg_ms") == 14);
        cJSON_Delete(o);
        /* an interval with no send */
        o = cJSON_CreateObject();
        rmq__send_stats_json(&st, o);
        assert_true(num(o, "send_rt_avg_ms") == 0);
        assert_true(num(o, "send_rt_max_ms") == 0);
        assert_true(num(o, "send_ok_tps") == 0);
        cJSON_Delete(o);
}

/* The document's topic figures are the running info's ConsumeStatus, and
 * the cumulative counts the counters. */
static void test_consumer_doc_is_running_info(void **state) {
        rmq_consumer_stats_t *st = rmq__consumer_stats_new();
        /* queues of two topics, one twice: each topic listed once */
        rmq_mq_t *mqs  = rmq__calloc(3, sizeof(*mqs));
        rmq_pq_t **pqs = rmq__calloc(3, sizeof(*pqs));
        rmq_consume_stat_t cs;
        cJSON *doc = cJSON_CreateObject(), *c, *to, *t, *qs, *q;
        int i;
        (void)state;
        for (i = 0; i < 3; i++) {
                rmq_mq_t mq = {i == 0 ? "OtherTopic" : T, "broker-a", i + 1};
                rmq__mq_copy(&mqs[i], &mq);
                pqs[i] = rmq__pq_new(T0);
        }
        rmq__consumer_stats_sample(st, T0);
        for (i = 1; i <= 6; i++) {
                rmq__consumer_stats_inc_pull_rt(st, G, T, 4 * i);
                rmq__consumer_stats_inc_pull_tps(st, G, T, 32);
                rmq__consumer_stats_inc_consume_rt(st, G, T, i);
                rmq__consumer_stats_inc_consume_ok_tps(st, G, T, 30);
                rmq__consumer_stats_inc_consume_failed_tps(st, G, T, 2);
                rmq__consumer_stats_sample(st, T0 + 10000 * i);
        }
        rmq__consumer_stats_consume_status(st, G, T, &cs);
        assert_true(cs.pullTPS > 0);
        c = rmq__consumer_stats_doc(doc, st, G, NULL, mqs, pqs, 3);
        assert_string_equal(
            cJSON_GetObjectItemCaseSensitive(c, "group")->valuestring, G);
        to = cJSON_GetObjectItemCaseSensitive(c, "topics");
        assert_int_equal(cJSON_GetArraySize(to), 2);
        /* sorted: "OtherTopic" < "TopicTest" */
        assert_string_equal(cJSON_GetArrayItem(to, 0)->string, "OtherTopic");
        t = cJSON_GetObjectItemCaseSensitive(to, T);
        assert_true(num(t, "pull_rt") == cs.pullRT);
        assert_true(num(t, "pull_tps") == cs.pullTPS);
        assert_true(num(t, "consume_rt") == cs.consumeRT);
        assert_true(num(t, "consume_ok_tps") == cs.consumeOKTPS);
        assert_true(num(t, "consume_failed_tps") == cs.consumeFailedTPS);
        assert_true(num(t, "consume_failed_msgs_hour") ==
                    (double)cs.consumeFailedMsgs);
        assert_true(num(t, "pulls") == 6);
        assert_true(num(t, "pull_rt_sum") == 4 * 21);
        assert_true(num(t, "pulled_msgs") == 6 * 32);
        assert_true(num(t, "consume_calls") == 6);
        assert_true(num(t, "consume_rt_sum") == 21);
        assert_true(num(t, "consumed_ok_msgs") == 180);
        assert_true(num(t, "consumed_failed_msgs") == 12);
        t = cJSON_GetObjectItemCaseSensitive(to, "OtherTopic");
        assert_true(num(t, "pulled_msgs") == 0);
        qs = cJSON_GetObjectItemCaseSensitive(c, "queues");
        assert_int_equal(cJSON_GetArraySize(qs), 3);
        q = cJSON_GetArrayItem(qs, 0);
        assert_string_equal(
            cJSON_GetObjectItemCaseSensitive(q, "broker")->valuestring,
            "broker-a");
        assert_string_equal(
            cJSON_GetObjectItemCaseSensitive(q, "topic")->valuestring,
            "OtherTopic");
        assert_true(num(q, "queue_id") == 1);
        assert_true(num(q, "cached_msgs") == 0);
        assert_true(num(c, "cached_bytes") == 0);
        cJSON_Delete(doc);
        rmq__consumer_stats_destroy(st);
}

static void dummy_cb(const char *json, size_t len, void *opaque) {
        (void)json;
        (void)len;
        (void)opaque;
}

static void test_conf(void **state) {
        rmq_conf_t *conf = rmq_conf_new(), *dup;
        char err[256], val[32];
        size_t sz = sizeof(val);
        int x;
        (void)state;
        assert_int_equal(rmq_conf_get(conf, "statisticsIntervalMs", val, &sz),
                         RMQ_OK);
        assert_string_equal(val, "0");
        assert_null(conf->stats_cb);
        assert_int_equal(rmq_conf_set(conf, "statisticsIntervalMs", "1000", err,
                                      sizeof(err)),
                         RMQ_OK);
        assert_int_equal(
            rmq_conf_set(conf, "statisticsIntervalMs", "-5", err, sizeof(err)),
            RMQ_ERR__CONF_INVALID);
        rmq_conf_set_stats_cb(conf, dummy_cb, &x);
        dup = rmq_conf_dup(conf);
        assert_ptr_equal(dup->stats_cb, dummy_cb);
        assert_ptr_equal(dup->stats_opaque, &x);
        assert_int_equal(dup->statisticsIntervalMs, 1000);
        rmq_conf_destroy(dup);
        rmq_conf_destroy(conf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_send_stats),
            cmocka_unit_test(test_consumer_doc_is_running_info),
            cmocka_unit_test(test_conf),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
