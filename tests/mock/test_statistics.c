/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The statistics callback (statisticsIntervalMs, rmq_conf_set_stats_cb,
 * docs/STATISTICS.md) against the mock cluster: the interval, 0 = off, the
 * figures of a producer, a push consumer and a lite pull consumer, no call
 * after shutdown, never on the I/O thread nor under a library lock.
 */
#include <cjson/cJSON.h>

#include "common/rmq_thread.h"
#include "common/rmq_time.h"
#include "consumer_fixture.h"

#define TOPIC "StatsT"

static int ms(int v) {
        return v * rmq_test_tmout_multiplier();
}

/* ---- capturing the documents ---- */

typedef struct cap_s {
        uv_mutex_t lock;
        char *last; /* the last document (lock) */
        atomic_int calls;
        atomic_int bad_thread;  /* a call on the I/O thread or under a lock */
        atomic_int bad_json;    /* a document that does not parse */
        atomic_bool closed;     /* set once the handle's shutdown returned */
        atomic_int after_close; /* calls after that */
        int64_t first_ms, fifth_ms; /* monotonic times of calls 1 and 5 */
} cap_t;

static void cap_init(cap_t *c) {
        memset(c, 0, sizeof(*c));
        uv_mutex_init(&c->lock);
}

static void cap_fini(cap_t *c) {
        free(c->last);
        uv_mutex_destroy(&c->lock);
}

static void cap_cb(const char *json, size_t len, void *opaque) {
        cap_t *c = opaque;
        cJSON *doc;
        int n;
        if (rmq__locks_held() != 0 || rmq__thread_is_io())
                atomic_fetch_add(&c->bad_thread, 1);
        if (atomic_load(&c->closed))
                atomic_fetch_add(&c->after_close, 1);
        if (strlen(json) != len)
                atomic_fetch_add(&c->bad_json, 1);
        doc = cJSON_Parse(json);
        if (!doc)
                atomic_fetch_add(&c->bad_json, 1);
        cJSON_Delete(doc);
        uv_mutex_lock(&c->lock);
        free(c->last);
        c->last = strdup(json);
        n       = atomic_fetch_add(&c->calls, 1) + 1;
        if (n == 1)
                c->first_ms = rmq__mono_ms();
        if (n == 5)
                c->fifth_ms = rmq__mono_ms();
        uv_mutex_unlock(&c->lock);
}

/* The last document, parsed (NULL if none yet); cJSON_Delete it. */
static cJSON *cap_doc(cap_t *c) {
        cJSON *doc = NULL;
        uv_mutex_lock(&c->lock);
        if (c->last)
                doc = cJSON_Parse(c->last);
        uv_mutex_unlock(&c->lock);
        return doc;
}

static void cap_attach(rmq_conf_t *conf, cap_t *c, const char *interval) {
        char err[256];
        rmq_conf_set_stats_cb(conf, cap_cb, c);
        if (rmq_conf_set(conf, "statisticsIntervalMs", interval, err,
                         sizeof(err)))
                fail_msg("statisticsIntervalMs: %s", err);
}

static void cap_check_clean(cap_t *c) {
        assert_int_equal(atomic_load(&c->bad_thread), 0);
        assert_int_equal(atomic_load(&c->bad_json), 0);
        assert_int_equal(atomic_load(&c->after_close), 0);
}

/* A number at a path of objects ("a", "b", NULL), -1 if missing. */
static double jnum(const cJSON *o, ...) {
        va_list ap;
        const char *k;
        va_start(ap, o);
        while (o && (k = va_arg(ap, const char *)))
                o = cJSON_GetObjectItemCaseSensitive(o, k);
        va_end(ap);
        return cJSON_IsNumber(o) ? o->valuedouble : -1;
}

static const char *jstr(const cJSON *o, const char *k) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- waits on the documents ---- */

typedef struct want_s {
        cap_t *cap;
        const char *obj;   /* "producer", "consumer" */
        const char *topic; /* consumer: topics.<topic>, else NULL */
        const char *field;
        double min; /* wait until field >= min (exactly min if exact) */
        bool exact;
} want_t;

static double want_value(want_t *w) {
        cJSON *doc = cap_doc(w->cap);
        double v;
        if (!doc)
                return -1;
        v = w->topic ? jnum(doc, w->obj, "topics", w->topic, w->field, NULL)
                     : jnum(doc, w->obj, w->field, NULL);
        cJSON_Delete(doc);
        return v;
}

static bool want_met(void *arg) {
        want_t *w = arg;
        double v  = want_value(w);
        return w->exact ? v == w->min : v >= w->min;
}

static void wait_for(cap_t *c, const char *obj, const char *topic,
                     const char *field, double v, bool exact) {
        want_t w = {c, obj, topic, field, v, exact};
        if (!rmq_test_wait_until(want_met, &w, 10000))
                fail_msg("%s.%s%s%s: %g, expected %s%g", obj,
                         topic ? topic : "", topic ? "." : "", field,
                         want_value(&w), exact ? "" : ">= ", v);
}

static bool calls_reached(void *arg) {
        cap_t *c = arg;
        return atomic_load(&c->calls) >= 5;
}

/* ---- producer ---- */

static rmq_producer_t *stats_producer(rmq_mock_cluster_t *mc, cap_t *c,
                                      const char *group, const char *interval) {
        rmq_conf_t *conf = fx_conf(mc, "producerGroup", group, NULL);
        cap_attach(conf, c, interval);
        return fx_producer_from_conf(conf);
}

/* The callback fires at the interval: five calls, the fifth no sooner
 * than four intervals after the first. */
static void test_interval(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        cap_t c;
        (void)state;
        cap_init(&c);
        prod = stats_producer(mc, &c, "PG_StatsIv", "100");
        assert_true(rmq_test_wait_until(calls_reached, &c, 10000));
        uv_mutex_lock(&c.lock);
        assert_true(c.fifth_ms - c.first_ms >= 4 * 100 - 20);
        uv_mutex_unlock(&c.lock);
        assert_int_equal(rmq_producer_shutdown(prod), RMQ_OK);
        atomic_store(&c.closed, true);
        rmq_producer_destroy(prod);
        cap_check_clean(&c);
        cap_fini(&c);
        rmq_mock_cluster_destroy(mc);
}

/* statisticsIntervalMs 0 (the default) never calls, callback or not. */
static void test_off(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg(TOPIC, "off");
        char err[512], val[32];
        size_t sz        = sizeof(val);
        rmq_conf_t *conf = rmq_conf_new();
        cap_t c;
        (void)state;
        assert_int_equal(rmq_conf_get(conf, "statisticsIntervalMs", val, &sz),
                         RMQ_OK);
        assert_string_equal(val, "0");
        assert_int_equal(
            rmq_conf_set(conf, "statisticsIntervalMs", "-1", err, sizeof(err)),
            RMQ_ERR__CONF_INVALID);
        rmq_conf_destroy(conf);
        rmq_mock_topic_create(mc, TOPIC, -1, 2, 2);
        cap_init(&c);
        prod = stats_producer(mc, &c, "PG_StatsOff", "0");
        if (rmq_producer_send(prod, msg, NULL, err, sizeof(err)))
                fail_msg("send: %s", err);
        rmq_test_sleep_ms(300); /* time must pass for a call to happen */
        assert_int_equal(atomic_load(&c.calls), 0);
        rmq_producer_destroy(prod);
        rmq_message_destroy(msg);
        cap_fini(&c);
        rmq_mock_cluster_destroy(mc);
}

/* N sync sends ok, one failed, async sends, bytes in and out growing. */
static void test_producer_figures(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg(TOPIC, "stats body");
        fx_async_t a;
        char err[512];
        cJSON *doc, *p, *cl;
        double tx, rx, connects;
        int i;
        cap_t c;
        (void)state;
        rmq_mock_topic_create(mc, TOPIC, -1, 2, 2);
        cap_init(&c);
        prod = stats_producer(mc, &c, "PG_StatsProd", "50");
        for (i = 0; i < 5; i++)
                if (rmq_producer_send(prod, msg, NULL, err, sizeof(err)))
                        fail_msg("send %d: %s", i, err);
        /* 1 + retryTimesWhenSendFailed attempts, all refused: one failed
         * send */
        rmq_mock_push_request_errors(
            mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 3, RMQ_ERR_SERVICE_NOT_AVAILABLE,
            RMQ_ERR_SERVICE_NOT_AVAILABLE, RMQ_ERR_SERVICE_NOT_AVAILABLE);
        assert_int_not_equal(
            rmq_producer_send(prod, msg, NULL, err, sizeof(err)), RMQ_OK);
        wait_for(&c, "producer", NULL, "sends_ok", 5, true);
        wait_for(&c, "producer", NULL, "sends_failed", 1, true);

        doc = cap_doc(&c);
        assert_non_null(doc);
        assert_string_equal(jstr(doc, "type"), "producer");
        assert_string_equal(jstr(doc, "name"), "PG_StatsProd");
        assert_non_null(jstr(doc, "client_id"));
        assert_true(jnum(doc, "ts", NULL) > 0);
        assert_true(jnum(doc, "time", NULL) > 1600000000);
        assert_true(jnum(doc, "age", NULL) >= 0);
        p = cJSON_GetObjectItemCaseSensitive(doc, "producer");
        assert_string_equal(jstr(p, "group"), "PG_StatsProd");
        assert_true(jnum(p, "send_rt_total_avg_ms", NULL) >= 0);
        assert_true(jnum(p, "send_rt_max_ms", NULL) >= 0);
        assert_true(jnum(p, "async_limit", NULL) > 0);
        assert_true(jnum(p, "async_limit_bytes", NULL) > 0);
        assert_true(jnum(p, "async_in_flight", NULL) == 0);
        cl = cJSON_GetObjectItemCaseSensitive(doc, "client");
        assert_string_equal(jstr(cl, "client_id"), jstr(doc, "client_id"));
        assert_true(jnum(cl, "connections", NULL) >= 2); /* namesrv, broker */
        assert_true(jnum(cl, "connects", NULL) >= 2);
        assert_true(jnum(cl, "requests_in_flight", NULL) >= 0);
        assert_true(jnum(cl, "memory_budget", "limit", NULL) == 1073741824.0);
        tx = jnum(cl, "tx_bytes", NULL);
        rx = jnum(cl, "rx_bytes", NULL);
        assert_true(tx > 0);
        assert_true(rx > 0);
        assert_true(jnum(cl, "tx_frames", NULL) >= 7);
        cJSON_Delete(doc);

        /* async sends: counted in their completions; bytes grow */
        memset(&a, 0, sizeof(a));
        a.expect = 3;
        for (i = 0; i < 3; i++)
                assert_int_equal(
                    rmq_producer_send_async(prod, msg, fx_async_cb, &a),
                    RMQ_OK);
        assert_true(rmq_test_wait_until(fx_async_done, &a, 10000));
        assert_int_equal(atomic_load(&a.ok), 3);
        wait_for(&c, "producer", NULL, "sends_ok", 8, true);
        wait_for(&c, "client", NULL, "tx_bytes", tx + 1, false);
        wait_for(&c, "client", NULL, "rx_bytes", rx + 1, false);

        /* the broker closes the connection: one disconnect, and the next
         * send connects again */
        doc      = cap_doc(&c);
        connects = jnum(doc, "client", "connects", NULL);
        cJSON_Delete(doc);
        rmq_mock_close_connections(mc, 0);
        wait_for(&c, "client", NULL, "disconnects", 1, true);
        if (rmq_producer_send(prod, msg, NULL, err, sizeof(err)))
                fail_msg("send after the close: %s", err);
        wait_for(&c, "client", NULL, "connects", connects + 1, true);
        wait_for(&c, "client", NULL, "reconnects", 1, true);
        wait_for(&c, "producer", NULL, "sends_ok", 9, true);

        assert_int_equal(rmq_producer_shutdown(prod), RMQ_OK);
        atomic_store(&c.closed, true);
        rmq_producer_destroy(prod);
        rmq_message_destroy(msg);
        cap_check_clean(&c);
        cap_fini(&c);
        rmq_mock_cluster_destroy(mc);
}

/* A short interval, then shutdown: no call once it has returned. */
static void test_no_call_after_shutdown(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        cap_t c;
        int i;
        (void)state;
        for (i = 0; i < 3; i++) {
                int calls;
                cap_init(&c);
                prod = stats_producer(mc, &c, "PG_StatsStop", "5");
                assert_true(rmq_test_wait_until(calls_reached, &c, 10000));
                assert_int_equal(rmq_producer_shutdown(prod), RMQ_OK);
                atomic_store(&c.closed, true);
                calls = atomic_load(&c.calls);
                rmq_test_sleep_ms(50); /* time for a stray call to come */
                assert_int_equal(atomic_load(&c.calls), calls);
                rmq_producer_destroy(prod);
                cap_check_clean(&c);
                cap_fini(&c);
        }
        rmq_mock_cluster_destroy(mc);
}

/* ---- push consumer ---- */

/* The first delivery of the messages with an index below 3 fails. */
static rmq_consume_status_t fail_three(rmq_push_consumer_t *pc,
                                       const rmq_message_ext_t *const *msgs,
                                       size_t n, rmq_consume_context_t *ctx,
                                       void *opaque) {
        (void)pc;
        (void)ctx;
        (void)opaque;
        assert_int_equal(n, 1);
        if (rmq_message_ext_reconsume_times(msgs[0]) == 0 &&
            !strcmp(rmq_message_ext_topic(msgs[0]), TOPIC) &&
            fx_body_index(msgs[0]) < 3)
                return RMQ_RECONSUME_LATER;
        return RMQ_CONSUME_SUCCESS;
}

static void test_push_consumer_figures(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster_topic(1, TOPIC, 2, fx_fast_delays);
        rmq_producer_t *prod   = fx_producer(mc, "PG_StatsPC", NULL);
        rmq_conf_t *conf;
        rmq_push_consumer_t *pc;
        cJSON *doc, *cons, *queues, *q;
        cap_t c;
        (void)state;
        cap_init(&c);
        fx_send_n(prod, TOPIC, "m", NULL, 10);
        conf = fx_conf(mc, "consumerGroup", "CG_Stats", fx_from_first);
        cap_attach(conf, &c, "50");
        pc = fx_consumer_new(conf);
        fx_consumer_listen(pc, TOPIC, fail_three, NULL);
        fx_consumer_start(pc);

        wait_for(&c, "consumer", TOPIC, "consumed_ok_msgs", 7, true);
        wait_for(&c, "consumer", TOPIC, "consumed_failed_msgs", 3, true);
        wait_for(&c, "consumer", TOPIC, "pulled_msgs", 10, true);
        /* the failed ones come back through the retry topic */
        wait_for(&c, "consumer", "%RETRY%CG_Stats", "consumed_ok_msgs", 3,
                 true);
        doc = cap_doc(&c);
        assert_string_equal(jstr(doc, "type"), "push_consumer");
        assert_string_equal(jstr(doc, "name"), "CG_Stats");
        cons = cJSON_GetObjectItemCaseSensitive(doc, "consumer");
        assert_string_equal(jstr(cons, "group"), "CG_Stats");
        assert_string_equal(jstr(cons, "consumer_type"), "push");
        assert_true(jnum(cons, "topics", TOPIC, "consume_calls", NULL) >= 10);
        assert_true(jnum(cons, "topics", TOPIC, "pulls", NULL) >= 1);
        assert_true(jnum(cons, "topics", TOPIC, "pull_rt", NULL) >= 0);
        assert_true(jnum(cons, "topics", TOPIC, "consume_ok_tps", NULL) >= 0);
        queues = cJSON_GetObjectItemCaseSensitive(cons, "queues");
        assert_true(cJSON_IsArray(queues));
        /* two queues of TOPIC and the retry topic's one */
        assert_int_equal(cJSON_GetArraySize(queues), 3);
        cJSON_ArrayForEach(q, queues) {
                assert_non_null(jstr(q, "topic"));
                assert_non_null(jstr(q, "broker"));
                assert_true(jnum(q, "cached_msgs", NULL) >= 0);
                assert_true(jnum(q, "cached_bytes", NULL) >= 0);
        }
        assert_true(jnum(cons, "cached_msgs", NULL) >= 0);
        assert_true(jnum(doc, "client", "memory_budget", "used", NULL) >= 0);
        assert_true(jnum(doc, "client", "rx_bytes", NULL) > 0);
        cJSON_Delete(doc);

        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        atomic_store(&c.closed, true);
        fx_destroy(pc, prod, mc);
        cap_check_clean(&c);
        cap_fini(&c);
}

/* ---- lite pull consumer ---- */

static void test_lite_pull_consumer_figures(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster_topic(1, TOPIC, 4, NULL);
        rmq_producer_t *prod   = fx_producer(mc, "PG_StatsLite", NULL);
        rmq_conf_t *conf;
        rmq_lite_pull_consumer_t *lpc;
        char err[512];
        int got = 0;
        int64_t deadline;
        cJSON *doc, *cons;
        cap_t c;
        (void)state;
        cap_init(&c);
        fx_send_n(prod, TOPIC, "m", NULL, 6);
        conf = fx_conf(mc, "consumerGroup", "CG_StatsLite", fx_from_first);
        cap_attach(conf, &c, "50");
        assert_int_equal(
            rmq_lite_pull_consumer_new(&lpc, conf, err, sizeof(err)), RMQ_OK);
        rmq_conf_destroy(conf);
        assert_int_equal(
            rmq_lite_pull_consumer_subscribe(lpc, TOPIC, "*", err, sizeof(err)),
            RMQ_OK);
        if (rmq_lite_pull_consumer_start(lpc, err, sizeof(err)))
                fail_msg("start: %s", err);
        deadline = rmq__mono_ms() + ms(10000);
        while (got < 6 && rmq__mono_ms() < deadline) {
                rmq_message_ext_t **msgs;
                size_t n;
                assert_int_equal(
                    rmq_lite_pull_consumer_poll(lpc, 200, &msgs, &n), RMQ_OK);
                got += (int)n;
                rmq_lite_pull_consumer_poll_release(msgs, n);
        }
        assert_int_equal(got, 6);
        wait_for(&c, "consumer", TOPIC, "pulled_msgs", 6, true);
        doc  = cap_doc(&c);
        cons = cJSON_GetObjectItemCaseSensitive(doc, "consumer");
        assert_string_equal(jstr(doc, "type"), "lite_pull_consumer");
        assert_string_equal(jstr(cons, "consumer_type"), "lite_pull");
        assert_int_equal(cJSON_GetArraySize(
                             cJSON_GetObjectItemCaseSensitive(cons, "queues")),
                         4);
        assert_true(jnum(cons, "cached_requests", NULL) >= 0);
        assert_true(jnum(doc, "client", "connections", NULL) >= 2);
        cJSON_Delete(doc);
        assert_int_equal(rmq_lite_pull_consumer_shutdown(lpc), RMQ_OK);
        atomic_store(&c.closed, true);
        rmq_lite_pull_consumer_destroy(lpc);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
        cap_check_clean(&c);
        cap_fini(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_interval),
            cmocka_unit_test(test_off),
            cmocka_unit_test(test_producer_figures),
            cmocka_unit_test(test_no_call_after_shutdown),
            cmocka_unit_test(test_push_consumer_figures),
            cmocka_unit_test(test_lite_pull_consumer_figures),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
