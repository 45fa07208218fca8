/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Message trace (enableMsgTrace, AsyncTraceDispatcher): the trace
 * messages the mock stores are decoded as TraceDataEncoder
 * .decoderFromTraceDataString would, and every field is checked, for a
 * sync send, an async send, consumption (success and failure), a
 * transaction, a custom trace topic; a full trace queue drops and counts
 * without holding sends up; tracing is off by default.
 *
 * A host's shutdown flushes its traces and waits for their sends, so the
 * traces are stored once the destroy returns: no wait is needed for them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdatomic.h>

#include "client/rmq_trace.h"
#include "consumer_fixture.h"
#include "producer/rmq_producer_int.h"

#define T        "TopicTrace"
#define TRACE_T  "RMQ_SYS_TRACE_TOPIC"
#define MAX_RECS 64
#define MAX_F    16

/* One decoded trace line, with the KEYS of the trace message it came in. */
typedef struct rec_s {
        char *f[MAX_F];
        int nf;
        char keys[1024];
} rec_t;

typedef struct recs_s {
        rec_t r[MAX_RECS];
        int n;
        int msgs; /* trace messages */
        char *store[MAX_RECS];
} recs_t;

/* Splits a body into lines (FIELD_SPLITOR) and fields (CONTENT_SPLITOR),
 * as decoderFromTraceDataString. */
static void decode_body(recs_t *rs, const char *body, size_t len,
                        const char *keys) {
        char *copy = malloc(len + 1), *line, *save = NULL;
        memcpy(copy, body, len);
        copy[len]           = '\0';
        rs->store[rs->msgs] = copy;
        rs->msgs++;
        assert_true(rs->msgs < MAX_RECS);
        /* every line ends with FIELD_SPLITOR (LOCAL) */
        assert_int_equal(copy[len - 1], RMQ_TRACE_FIELD_SPLITOR);
        for (line = strtok_r(copy, "\002", &save); line;
             line = strtok_r(NULL, "\002", &save)) {
                rec_t *r = &rs->r[rs->n++];
                char *p  = line;
                assert_true(rs->n < MAX_RECS);
                r->nf = 0;
                for (;;) {
                        char *sep = strchr(p, RMQ_TRACE_CONTENT_SPLITOR);
                        assert_true(r->nf < MAX_F);
                        r->f[r->nf++] = p;
                        if (!sep)
                                break;
                        *sep = '\0';
                        p    = sep + 1;
                }
                snprintf(r->keys, sizeof(r->keys), "%s", keys ? keys : "");
        }
}

/* Every trace message of \p topic on broker 0. */
static void read_traces(rmq_mock_cluster_t *mc, const char *topic, recs_t *rs) {
        int q;
        memset(rs, 0, sizeof(*rs));
        for (q = 0; q < 16; q++) {
                int64_t max = rmq_mock_queue_max_offset(mc, topic, 0, q), o;
                for (o = 0; o < max; o++) {
                        rmq_mock_msg_t *m = NULL;
                        const void *body;
                        size_t len;
                        assert_int_equal(
                            rmq_mock_message_get(mc, topic, 0, q, o, &m),
                            RMQ_OK);
                        body = rmq_mock_msg_body(m, &len);
                        assert_null(rmq_mock_msg_property(m, "TAGS"));
                        decode_body(rs, body, len,
                                    rmq_mock_msg_property(m, "KEYS"));
                        rmq_mock_msg_destroy(m);
                }
        }
}

static void recs_free(recs_t *rs) {
        int i;
        for (i = 0; i < rs->msgs; i++)
                free(rs->store[i]);
}

static int64_t num(const char *s) {
        char *end;
        long long v = strtoll(s, &end, 10);
        assert_true(*s && !*end);
        return v;
}

/* The record of type \p type for \p msg_id (its position in the line
 * differs by type), the \p nth one (0-based). */
static rec_t *find(recs_t *rs, const char *type, const char *msg_id, int nth) {
        int i, at = !strcmp(type, "SubAfter") ? 2 : 5;
        for (i = 0; i < rs->n; i++) {
                rec_t *r = &rs->r[i];
                if (!strcmp(r->f[0], type) && r->nf > at &&
                    !strcmp(r->f[at], msg_id) && nth-- == 0)
                        return r;
        }
        fail_msg("no %s record for %s", type, msg_id);
        return NULL;
}

/* Whether the space-separated \p list holds \p w. */
static bool has_word(const char *list, const char *w) {
        size_t len = strlen(w);
        const char *p;
        for (p = strstr(list, w); p; p = strstr(p + 1, w))
                if ((p == list || p[-1] == ' ') &&
                    (p[len] == ' ' || p[len] == '\0'))
                        return true;
        return false;
}

static int count_type(recs_t *rs, const char *type) {
        int i, n = 0;
        for (i = 0; i < rs->n; i++)
                n += !strcmp(rs->r[i].f[0], type);
        return n;
}

/* Checks a Pub line field by field; \p t0..t1 brackets the send. */
static void check_pub(const rec_t *r, int64_t t0, int64_t t1, const char *group,
                      const char *topic, const rmq_send_result_t *res,
                      const char *tags, const char *keys,
                      const char *store_host, int64_t body_len, int msg_type) {
        char want_keys[512];
        assert_int_equal(r->nf, 14);
        assert_string_equal(r->f[0], "Pub");
        assert_in_range(num(r->f[1]), t0, t1);
        assert_string_equal(r->f[2], "DefaultRegion");
        assert_string_equal(r->f[3], group);
        assert_string_equal(r->f[4], topic);
        assert_string_equal(r->f[5], rmq_send_result_msg_id(res));
        assert_string_equal(r->f[6], tags ? tags : "null");
        assert_string_equal(r->f[7], keys ? keys : "null");
        assert_string_equal(r->f[8], store_host);
        assert_int_equal(num(r->f[9]), body_len);
        assert_in_range(num(r->f[10]), 0, t1 - t0);
        assert_int_equal(num(r->f[11]), msg_type);
        assert_string_equal(r->f[12], rmq_send_result_offset_msg_id(res));
        assert_string_equal(r->f[13], "true");
        snprintf(want_keys, sizeof(want_keys), "%s%s%s",
                 rmq_send_result_msg_id(res), keys ? " " : "",
                 keys ? keys : "");
        assert_string_equal(r->keys, want_keys);
}

static rmq_producer_t *trace_producer(rmq_mock_cluster_t *mc, const char *group,
                                      const char *const *extra) {
        const char *pairs[16] = {"enableMsgTrace", "true"};
        size_t i, n = 2;
        for (i = 0; extra && extra[i]; i++)
                pairs[n++] = extra[i];
        pairs[n] = NULL;
        return fx_producer(mc, group, pairs);
}

/* ---- sends ---- */

static void test_sync_send(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod   = trace_producer(mc, "PG_TR_SYNC", NULL);
        rmq_message_t *msg     = fx_msg(T, "hello");
        rmq_send_result_t *res = NULL;
        char err[512];
        int64_t t0, t1;
        recs_t rs;
        (void)state;
        rmq_message_set_tags(msg, "TagA");
        rmq_message_set_keys(msg, "k1 k2");
        t0 = rmq__wall_ms();
        if (rmq_producer_send(prod, msg, &res, err, sizeof(err)))
                fail_msg("send: %s", err);
        t1 = rmq__wall_ms();
        assert_int_equal(rmq_producer_trace_dropped(prod), 0);
        rmq_producer_destroy(prod);
        read_traces(mc, TRACE_T, &rs);
        /* one Pub, and nothing for the trace message itself */
        assert_int_equal(rs.n, 1);
        check_pub(&rs.r[0], t0, t1, "PG_TR_SYNC", T, res, "TagA", "k1 k2",
                  rmq_mock_broker_addr(mc, 0), 5, 0);
        recs_free(&rs);
        rmq_send_result_destroy(res);
        rmq_message_destroy(msg);
        rmq_mock_cluster_destroy(mc);
}

typedef struct async_res_s {
        atomic_int done;
        rmq_err_t err;
        char msg_id[128];
        char offset_msg_id[128];
        int64_t t1;
} async_res_t;

static void async_cb(rmq_producer_t *prod, rmq_err_t err, const char *errstr,
                     const rmq_send_result_t *res, void *opaque) {
        async_res_t *a = opaque;
        (void)prod;
        (void)errstr;
        a->err = err;
        if (!err) {
                snprintf(a->msg_id, sizeof(a->msg_id), "%s",
                         rmq_send_result_msg_id(res));
                snprintf(a->offset_msg_id, sizeof(a->offset_msg_id), "%s",
                         rmq_send_result_offset_msg_id(res));
        }
        a->t1 = rmq__wall_ms();
        atomic_store(&a->done, 1);
}

static void test_async_send(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod   = trace_producer(mc, "PG_TR_ASYNC", NULL);
        rmq_message_t *msg     = fx_msg(T, "async body");
        async_res_t a;
        int64_t t0;
        recs_t rs;
        rec_t *r;
        (void)state;
        memset(&a, 0, sizeof(a));
        t0 = rmq__wall_ms();
        assert_int_equal(rmq_producer_send_async(prod, msg, async_cb, &a),
                         RMQ_OK);
        assert_true(rmq_test_wait_until(fx_flag_set, &a.done, 10000));
        assert_int_equal(a.err, RMQ_OK);
        rmq_producer_destroy(prod);
        read_traces(mc, TRACE_T, &rs);
        assert_int_equal(rs.n, 1);
        r = &rs.r[0];
        /* no tags and no keys: Java's "null" */
        assert_int_equal(r->nf, 14);
        assert_string_equal(r->f[0], "Pub");
        assert_in_range(num(r->f[1]), t0, a.t1);
        assert_string_equal(r->f[2], "DefaultRegion");
        assert_string_equal(r->f[3], "PG_TR_ASYNC");
        assert_string_equal(r->f[4], T);
        assert_string_equal(r->f[5], a.msg_id);
        assert_string_equal(r->f[6], "null");
        assert_string_equal(r->f[7], "null");
        assert_string_equal(r->f[8], rmq_mock_broker_addr(mc, 0));
        assert_int_equal(num(r->f[9]), 10);
        assert_in_range(num(r->f[10]), 0, a.t1 - t0);
        assert_string_equal(r->f[11], "0");
        assert_string_equal(r->f[12], a.offset_msg_id);
        assert_string_equal(r->f[13], "true");
        assert_string_equal(r->keys, a.msg_id);
        recs_free(&rs);
        rmq_message_destroy(msg);
        rmq_mock_cluster_destroy(mc);
}

/* A send the broker stored without SEND_OK (FLUSH_DISK_TIMEOUT): a Pub
 * with success false; a failed send (no result): none. */
static void test_send_not_ok(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod   = trace_producer(mc, "PG_TR_NOTOK", NULL);
        rmq_message_t *msg     = fx_msg(T, "x");
        rmq_send_result_t *res = NULL;
        char err[512];
        recs_t rs;
        (void)state;
        /* the route first, so that the injected answers go to sends */
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         RMQ_OK);
        /* (a message sent again keeps its id: a new one) */
        rmq_message_destroy(msg);
        msg = fx_msg(T, "x");
        rmq_mock_push_request_errors(mc, 0, RMQ_REQ_SEND_MESSAGE_V2, 1,
                                     RMQ_ERR_FLUSH_DISK_TIMEOUT);
        assert_int_equal(rmq_producer_send(prod, msg, &res, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_send_result_status(res), RMQ_FLUSH_DISK_TIMEOUT);
        /* a broker error: no result, no Pub (one send, no retry for this
         * code) */
        rmq_mock_push_request_errors(mc, 0, RMQ_REQ_SEND_MESSAGE_V2, 1,
                                     RMQ_ERR_MESSAGE_ILLEGAL);
        assert_int_not_equal(
            rmq_producer_send(prod, msg, NULL, err, sizeof(err)), RMQ_OK);
        rmq_producer_destroy(prod);
        read_traces(mc, TRACE_T, &rs);
        assert_int_equal(rs.n, 2);
        assert_string_equal(
            find(&rs, "Pub", rmq_send_result_msg_id(res), 0)->f[13], "false");
        recs_free(&rs);
        rmq_send_result_destroy(res);
        rmq_message_destroy(msg);
        rmq_mock_cluster_destroy(mc);
}

/* Oneway sends have no result: no Pub (as Java's hook). */
static void test_oneway_not_traced(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod   = trace_producer(mc, "PG_TR_ONEWAY", NULL);
        rmq_message_t *msg     = fx_msg(T, "x");
        fx_count_t c           = {mc, T, 1};
        char err[512];
        (void)state;
        assert_int_equal(rmq_producer_send_oneway(prod, msg, err, sizeof(err)),
                         RMQ_OK);
        assert_true(rmq_test_wait_until(fx_count_reached, &c, 10000));
        rmq_producer_destroy(prod);
        assert_int_equal(rmq_mock_topic_message_count(mc, TRACE_T), 0);
        rmq_message_destroy(msg);
        rmq_mock_cluster_destroy(mc);
}

static void test_customized_trace_topic(void **state) {
        static const char *const extra[] = {"customizedTraceTopic", "MyTrace",
                                            NULL};
        rmq_mock_cluster_t *mc           = fx_cluster(1);
        rmq_producer_t *prod   = trace_producer(mc, "PG_TR_CUSTOM", extra);
        rmq_message_t *msg     = fx_msg(T, "abc");
        rmq_send_result_t *res = NULL;
        char err[512];
        int64_t t0, t1;
        recs_t rs;
        (void)state;
        t0 = rmq__wall_ms();
        if (rmq_producer_send(prod, msg, &res, err, sizeof(err)))
                fail_msg("send: %s", err);
        t1 = rmq__wall_ms();
        rmq_producer_destroy(prod);
        assert_int_equal(rmq_mock_topic_message_count(mc, TRACE_T), 0);
        read_traces(mc, "MyTrace", &rs);
        assert_int_equal(rs.n, 1);
        check_pub(&rs.r[0], t0, t1, "PG_TR_CUSTOM", T, res, NULL, NULL,
                  rmq_mock_broker_addr(mc, 0), 3, 0);
        recs_free(&rs);
        rmq_send_result_destroy(res);
        rmq_message_destroy(msg);
        rmq_mock_cluster_destroy(mc);
}

static void test_off_by_default(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster_topic(1, T, 1, fx_fast_delays);
        rmq_producer_t *prod   = fx_producer(mc, "PG_TR_OFF", NULL);
        rmq_push_consumer_t *pc;
        fx_seen_t seen;
        (void)state;
        memset(&seen, 0, sizeof(seen));
        pc = fx_consumer_run(mc, "CG_TR_OFF", T, fx_from_first, fx_listener_ok,
                             &seen);
        fx_send_n(prod, T, "m", NULL, 3);
        fx_wait_seen(&seen, 3, 10000);
        assert_int_equal(rmq_producer_trace_dropped(prod), 0);
        assert_int_equal(rmq_push_consumer_trace_dropped(pc), 0);
        fx_destroy(pc, prod, NULL);
        assert_int_equal(rmq_mock_topic_message_count(mc, TRACE_T), 0);
        assert_int_equal(rmq_mock_queue_max_offset(mc, TRACE_T, 0, 0), -1);
        rmq_mock_cluster_destroy(mc);
}

static atomic_int stats_trace_dropped = -1;

/* The statistics document's producer.trace_dropped. */
static void on_stats(const char *json, size_t len, void *opaque) {
        cJSON *doc = cJSON_ParseWithLength(json, len);
        cJSON *v   = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "producer"),
                                         "trace_dropped");
        (void)opaque;
        if (cJSON_IsNumber(v))
                atomic_store(&stats_trace_dropped, (int)v->valuedouble);
        cJSON_Delete(doc);
}

static bool stats_say_3_dropped(void *arg) {
        (void)arg;
        return atomic_load(&stats_trace_dropped) == 3;
}

/* A full queue drops the record and counts it, for the accessor and the
 * statistics document; the sends go on. The worker is held (a test seam)
 * so that the queue fills for sure. */
static void test_queue_full_drops(void **state) {
        static const char *const extra[] = {"enableMsgTrace", "true",
                                            "trace.queueSize", "2",
                                            "statisticsIntervalMs", "20",
                                            NULL};
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_conf_t *conf = fx_conf(mc, "producerGroup", "PG_TR_FULL", extra);
        rmq_producer_t *prod;
        char err[512];
        recs_t rs;
        int i;
        (void)state;
        atomic_store(&stats_trace_dropped, -1);
        rmq_conf_set_stats_cb(conf, on_stats, NULL);
        prod = fx_producer_from_conf(conf);
        rmq__tracer_set_paused(rmq__producer_tracer(prod), true);
        for (i = 0; i < 5; i++) {
                rmq_message_t *msg = fx_msg(T, "full");
                if (rmq_producer_send(prod, msg, NULL, err, sizeof(err)))
                        fail_msg("send: %s", err);
                rmq_message_destroy(msg);
        }
        assert_int_equal(rmq_mock_topic_message_count(mc, T), 5);
        assert_int_equal(rmq_producer_trace_dropped(prod), 3);
        assert_true(rmq_test_wait_until(stats_say_3_dropped, NULL, 5000));
        rmq__tracer_set_paused(rmq__producer_tracer(prod), false);
        rmq_producer_destroy(prod);
        read_traces(mc, TRACE_T, &rs);
        assert_int_equal(rs.n, 2);
        assert_int_equal(count_type(&rs, "Pub"), 2);
        recs_free(&rs);
        rmq_mock_cluster_destroy(mc);
}

/* Batches: records within trace.waitTimeThresholdMs go out together, up
 * to trace.batchSize per message, with every id and key as KEYS. */
static void test_batching(void **state) {
        static const char *const extra[] = {"trace.batchSize", "3", NULL};
        rmq_mock_cluster_t *mc           = fx_cluster(1);
        rmq_producer_t *prod = trace_producer(mc, "PG_TR_BATCH", extra);
        char err[512];
        recs_t rs;
        int i;
        (void)state;
        rmq__tracer_set_paused(rmq__producer_tracer(prod), true);
        for (i = 0; i < 7; i++) {
                rmq_message_t *msg = fx_msg(T, "b");
                rmq_message_set_keys(msg, "same");
                if (rmq_producer_send(prod, msg, NULL, err, sizeof(err)))
                        fail_msg("send: %s", err);
                rmq_message_destroy(msg);
        }
        rmq__tracer_set_paused(rmq__producer_tracer(prod), false);
        rmq_producer_destroy(prod);
        read_traces(mc, TRACE_T, &rs);
        assert_int_equal(rs.n, 7);
        /* 3 + 3 + 1 */
        assert_int_equal(rs.msgs, 3);
        for (i = 0; i < rs.n; i++) {
                /* the message's KEYS: its records' ids, "same" once */
                const char *k = rs.r[i].keys;
                assert_non_null(strstr(k, rs.r[i].f[5]));
                assert_non_null(strstr(k, " same"));
                assert_null(strstr(strstr(k, " same") + 5, "same"));
        }
        recs_free(&rs);
        rmq_mock_cluster_destroy(mc);
}

/* The mock's traceTopicEnable (BrokerConfig): RMQ_SYS_TRACE_TOPIC with
 * one queue, served without topic auto-creation. */
static void test_mock_trace_topic_enable(void **state) {
        static const char *const opts[] = {"autoCreateTopicEnable", "false",
                                           "traceTopicEnable", "true", NULL};
        rmq_mock_cluster_t *mc          = fx_cluster_topic(1, T, 2, opts);
        rmq_producer_t *prod = trace_producer(mc, "PG_TR_MOCK", NULL);
        char err[512];
        recs_t rs;
        int i;
        (void)state;
        assert_int_equal(rmq_mock_queue_max_offset(mc, TRACE_T, 0, 0), 0);
        assert_int_equal(rmq_mock_queue_max_offset(mc, TRACE_T, 0, 1), -1);
        for (i = 0; i < 3; i++) {
                rmq_message_t *msg = fx_msg(T, "m");
                if (rmq_producer_send(prod, msg, NULL, err, sizeof(err)))
                        fail_msg("send: %s", err);
                rmq_message_destroy(msg);
        }
        rmq_producer_destroy(prod);
        read_traces(mc, TRACE_T, &rs);
        assert_int_equal(count_type(&rs, "Pub"), 3);
        assert_int_equal(rmq_mock_queue_max_offset(mc, TRACE_T, 0, 1), -1);
        recs_free(&rs);
        rmq_mock_cluster_destroy(mc);
}

static bool three_dropped(void *arg) {
        return rmq_producer_trace_dropped(arg) == 3;
}

/* A trace send that fails (no trace topic, no auto-creation) loses its
 * records: they count as dropped, the sends themselves go on. */
static void test_failed_trace_send_counted(void **state) {
        static const char *const opts[] = {"autoCreateTopicEnable", "false",
                                           NULL};
        rmq_mock_cluster_t *mc          = fx_cluster_topic(1, T, 2, opts);
        rmq_producer_t *prod = trace_producer(mc, "PG_TR_LOST", NULL);
        char err[512];
        int i;
        (void)state;
        rmq__tracer_set_paused(rmq__producer_tracer(prod), true);
        for (i = 0; i < 3; i++) {
                rmq_message_t *msg = fx_msg(T, "lost");
                if (rmq_producer_send(prod, msg, NULL, err, sizeof(err)))
                        fail_msg("send: %s", err);
                rmq_message_destroy(msg);
        }
        assert_int_equal(rmq_producer_trace_dropped(prod), 0);
        rmq__tracer_set_paused(rmq__producer_tracer(prod), false);
        assert_true(rmq_test_wait_until(three_dropped, prod, 10000));
        assert_int_equal(rmq_mock_topic_message_count(mc, T), 3);
        rmq_producer_destroy(prod);
        assert_int_equal(rmq_mock_queue_max_offset(mc, TRACE_T, 0, 0), -1);
        rmq_mock_cluster_destroy(mc);
}

/* accessChannel CLOUD: the trace topic is rmq_sys_TRACE_DATA_<region>. */
static void test_cloud_channel(void **state) {
        static const char *const extra[] = {"accessChannel", "CLOUD", NULL};
        rmq_mock_cluster_t *mc           = fx_cluster(1);
        rmq_producer_t *prod   = trace_producer(mc, "PG_TR_CLOUD", extra);
        rmq_message_t *msg     = fx_msg(T, "cloud");
        rmq_send_result_t *res = NULL;
        char err[512];
        int64_t t0, t1;
        recs_t rs;
        (void)state;
        t0 = rmq__wall_ms();
        if (rmq_producer_send(prod, msg, &res, err, sizeof(err)))
                fail_msg("send: %s", err);
        t1 = rmq__wall_ms();
        rmq_producer_destroy(prod);
        assert_int_equal(rmq_mock_topic_message_count(mc, TRACE_T), 0);
        read_traces(mc, "rmq_sys_TRACE_DATA_DefaultRegion", &rs);
        assert_int_equal(rs.n, 1);
        check_pub(&rs.r[0], t0, t1, "PG_TR_CLOUD", T, res, NULL, NULL,
                  rmq_mock_broker_addr(mc, 0), 5, 0);
        recs_free(&rs);
        rmq_send_result_destroy(res);
        rmq_message_destroy(msg);
        rmq_mock_cluster_destroy(mc);
}

/* ---- consumption ---- */

typedef struct cons_s {
        atomic_int calls;
        atomic_int failed_once;
        int64_t t0;
} cons_t;

static rmq_consume_status_t fail_bad_once(rmq_push_consumer_t *pc,
                                          const rmq_message_ext_t *const *msgs,
                                          size_t n, rmq_consume_context_t *ctx,
                                          void *opaque) {
        cons_t *c = opaque;
        size_t len;
        const char *body        = rmq_message_ext_body(msgs[0], &len);
        rmq_consume_status_t st = RMQ_CONSUME_SUCCESS;
        (void)pc;
        (void)ctx;
        assert_int_equal(n, 1);
        if (len == 3 && !memcmp(body, "bad", 3) &&
            atomic_fetch_add(&c->failed_once, 1) == 0)
                st = RMQ_RECONSUME_LATER;
        atomic_fetch_add(&c->calls, 1);
        return st;
}

static bool three_calls(void *arg) {
        return atomic_load(&((cons_t *)arg)->calls) >= 3;
}

/* The SubBefore of \p msg_id with retryTimes \p retry and the SubAfter
 * of the same request (trace messages may be stored in any order). */
static void check_sub_pair(recs_t *rs, const char *msg_id, const char *keys,
                           int retry, const char *success, int code, int64_t t0,
                           int64_t t1) {
        rec_t *b = NULL, *a = NULL;
        int i;
        for (i = 0; !b && i < rs->n; i++) {
                rec_t *r = &rs->r[i];
                if (!strcmp(r->f[0], "SubBefore") && r->nf == 8 &&
                    !strcmp(r->f[5], msg_id) && num(r->f[6]) == retry)
                        b = r;
        }
        if (!b)
                fail_msg("no SubBefore for %s, retry %d", msg_id, retry);
        for (i = 0; !a && i < rs->n; i++) {
                rec_t *r = &rs->r[i];
                if (!strcmp(r->f[0], "SubAfter") && r->nf > 2 &&
                    !strcmp(r->f[1], b->f[4]))
                        a = r;
        }
        if (!a)
                fail_msg("no SubAfter for the request %s", b->f[4]);
        assert_string_equal(a->f[2], msg_id);
        assert_int_equal(b->nf, 8);
        assert_in_range(num(b->f[1]), t0, t1);
        /* the broker does not store MSG_REGION in messages: Java's
         * "null" */
        assert_string_equal(b->f[2], "null");
        assert_string_equal(b->f[3], "CG_TR");
        assert_int_equal(strlen(b->f[4]), 32);
        assert_int_equal(num(b->f[6]), retry);
        assert_string_equal(b->f[7], keys);
        assert_int_equal(a->nf, 9);
        assert_string_equal(a->f[1], b->f[4]);
        assert_in_range(num(a->f[3]), 0, t1 - t0);
        assert_string_equal(a->f[4], success);
        assert_string_equal(a->f[5], keys);
        assert_int_equal(num(a->f[6]), code);
        assert_in_range(num(a->f[7]), num(b->f[1]), t1);
        assert_string_equal(a->f[8], "CG_TR");
        /* the KEYS of the trace messages they came in (batched with
         * others) */
        assert_true(has_word(b->keys, msg_id) && has_word(b->keys, keys));
        assert_true(has_word(a->keys, msg_id) && has_word(a->keys, keys));
}

static void test_consume_success_and_failure(void **state) {
        static const char *const extra[] = {FX_FROM_FIRST, "enableMsgTrace",
                                            "true", NULL};
        rmq_mock_cluster_t *mc = fx_cluster_topic(1, T, 1, fx_fast_delays);
        rmq_producer_t *prod   = fx_producer(mc, "PG_TR_C", NULL);
        rmq_send_result_t *ok = NULL, *bad = NULL;
        rmq_push_consumer_t *pc;
        rmq_message_t *msg;
        cons_t c;
        char err[512];
        int64_t t0, t1;
        recs_t rs;
        (void)state;
        memset(&c, 0, sizeof(c));
        msg = fx_msg(T, "ok");
        rmq_message_set_keys(msg, "kok");
        assert_int_equal(rmq_producer_send(prod, msg, &ok, err, sizeof(err)),
                         RMQ_OK);
        rmq_message_destroy(msg);
        msg = fx_msg(T, "bad");
        rmq_message_set_keys(msg, "kbad");
        assert_int_equal(rmq_producer_send(prod, msg, &bad, err, sizeof(err)),
                         RMQ_OK);
        rmq_message_destroy(msg);
        t0 = rmq__wall_ms();
        pc = fx_consumer_run(mc, "CG_TR", T, extra, fail_bad_once, &c);
        assert_true(rmq_test_wait_until(three_calls, &c, 20000));
        rmq_push_consumer_destroy(pc);
        t1 = rmq__wall_ms();
        read_traces(mc, TRACE_T, &rs);
        /* no Pub: the producer does not trace */
        assert_int_equal(count_type(&rs, "Pub"), 0);
        assert_int_equal(count_type(&rs, "SubBefore"), 3);
        assert_int_equal(count_type(&rs, "SubAfter"), 3);
        check_sub_pair(&rs, rmq_send_result_msg_id(ok), "kok", 0, "true", 0, t0,
                       t1);
        /* RECONSUME_LATER: ConsumeReturnType.FAILED (4), then the retry */
        check_sub_pair(&rs, rmq_send_result_msg_id(bad), "kbad", 0, "false", 4,
                       t0, t1);
        check_sub_pair(&rs, rmq_send_result_msg_id(bad), "kbad", 1, "true", 0,
                       t0, t1);
        recs_free(&rs);
        rmq_send_result_destroy(ok);
        rmq_send_result_destroy(bad);
        fx_destroy(NULL, prod, mc);
}

static rmq_consume_orderly_status_t
orderly_ok(rmq_push_consumer_t *pc, const rmq_message_ext_t *const *msgs,
           size_t n, rmq_consume_orderly_context_t *ctx, void *opaque) {
        (void)pc;
        (void)msgs;
        (void)n;
        (void)ctx;
        atomic_fetch_add(&((cons_t *)opaque)->calls, 1);
        return RMQ_ORDERLY_SUCCESS;
}

static bool one_call(void *arg) {
        return atomic_load(&((cons_t *)arg)->calls) >= 1;
}

/* The orderly service runs the same hooks. */
static void test_orderly_consume(void **state) {
        static const char *const extra[] = {FX_FROM_FIRST, "enableMsgTrace",
                                            "true", NULL};
        rmq_mock_cluster_t *mc           = fx_cluster_topic(1, T, 1, NULL);
        rmq_producer_t *prod             = fx_producer(mc, "PG_TR_O", NULL);
        rmq_send_result_t *res           = NULL;
        rmq_push_consumer_t *pc;
        rmq_message_t *msg = fx_msg(T, "o");
        cons_t c;
        char err[512];
        int64_t t0, t1;
        recs_t rs;
        (void)state;
        memset(&c, 0, sizeof(c));
        rmq_message_set_keys(msg, "ko");
        assert_int_equal(rmq_producer_send(prod, msg, &res, err, sizeof(err)),
                         RMQ_OK);
        t0 = rmq__wall_ms();
        pc = fx_consumer_run_orderly(mc, "CG_TR", T, extra, orderly_ok, &c);
        assert_true(rmq_test_wait_until(one_call, &c, 20000));
        rmq_push_consumer_destroy(pc);
        t1 = rmq__wall_ms();
        read_traces(mc, TRACE_T, &rs);
        assert_int_equal(rs.n, 2);
        check_sub_pair(&rs, rmq_send_result_msg_id(res), "ko", 0, "true", 0, t0,
                       t1);
        recs_free(&rs);
        rmq_send_result_destroy(res);
        rmq_message_destroy(msg);
        fx_destroy(NULL, prod, mc);
}

/* The lite pull consumer traces each pull that found messages:
 * SubBefore, then SubAfter with success and contextCode 0. */
static void test_lite_pull(void **state) {
        static const char *const extra[] = {FX_FROM_FIRST, "enableMsgTrace",
                                            "true", NULL};
        rmq_mock_cluster_t *mc           = fx_cluster_topic(1, T, 1, NULL);
        rmq_producer_t *prod             = fx_producer(mc, "PG_TR_L", NULL);
        rmq_conf_t *conf = fx_conf(mc, "consumerGroup", "CG_TR", extra);
        rmq_lite_pull_consumer_t *lpc;
        rmq_send_result_t *res   = NULL;
        rmq_message_ext_t **msgs = NULL;
        rmq_message_t *msg       = fx_msg(T, "lite");
        size_t n                 = 0;
        char err[512];
        int64_t t0, t1;
        recs_t rs;
        (void)state;
        rmq_message_set_keys(msg, "kl");
        assert_int_equal(rmq_producer_send(prod, msg, &res, err, sizeof(err)),
                         RMQ_OK);
        t0 = rmq__wall_ms();
        assert_int_equal(
            rmq_lite_pull_consumer_new(&lpc, conf, err, sizeof(err)), RMQ_OK);
        rmq_conf_destroy(conf);
        assert_int_equal(
            rmq_lite_pull_consumer_subscribe(lpc, T, "*", err, sizeof(err)),
            RMQ_OK);
        if (rmq_lite_pull_consumer_start(lpc, err, sizeof(err)))
                fail_msg("start: %s", err);
        while (!n)
                assert_int_equal(
                    rmq_lite_pull_consumer_poll(
                        lpc, 1000 * rmq_test_tmout_multiplier(), &msgs, &n),
                    RMQ_OK);
        assert_int_equal(n, 1);
        rmq_lite_pull_consumer_poll_release(msgs, n);
        assert_int_equal(rmq_lite_pull_consumer_trace_dropped(lpc), 0);
        rmq_lite_pull_consumer_destroy(lpc);
        t1 = rmq__wall_ms();
        read_traces(mc, TRACE_T, &rs);
        assert_int_equal(rs.n, 2);
        check_sub_pair(&rs, rmq_send_result_msg_id(res), "kl", 0, "true", 0, t0,
                       t1);
        recs_free(&rs);
        rmq_send_result_destroy(res);
        rmq_message_destroy(msg);
        fx_destroy(NULL, prod, mc);
}

/* ---- transactions ---- */

/* Commits, or answers UNKNOW when \p arg is not NULL. */
static rmq_err_t tx_execute(rmq_producer_t *prod, const rmq_message_t *msg,
                            const char *transaction_id, void *arg,
                            rmq_local_transaction_state_t *statep, char *errstr,
                            size_t errstr_size, void *opaque) {
        (void)prod;
        (void)msg;
        (void)transaction_id;
        (void)errstr;
        (void)errstr_size;
        (void)opaque;
        *statep = arg ? RMQ_TXN_UNKNOWN : RMQ_TXN_COMMIT_MESSAGE;
        return RMQ_OK;
}

static rmq_err_t tx_check(rmq_producer_t *prod, const rmq_message_ext_t *mx,
                          rmq_local_transaction_state_t *statep, char *errstr,
                          size_t errstr_size, void *opaque) {
        (void)prod;
        (void)mx;
        (void)errstr;
        (void)errstr_size;
        (void)opaque;
        *statep = RMQ_TXN_COMMIT_MESSAGE;
        return RMQ_OK;
}

static rmq_producer_t *tx_producer(rmq_mock_cluster_t *mc) {
        rmq_conf_t *conf =
            fx_conf(mc, "producerGroup", "PG_TR_TX",
                    (const char *const[]){"enableMsgTrace", "true", NULL});
        rmq_producer_t *prod;
        char err[512];
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        rmq_conf_destroy(conf);
        assert_int_equal(rmq_producer_set_transaction_listener(prod, tx_execute,
                                                               tx_check, NULL),
                         RMQ_OK);
        if (rmq_producer_start(prod, err, sizeof(err)))
                fail_msg("start: %s", err);
        return prod;
}

static void check_end_txn(const rec_t *r, int64_t t0, int64_t t1,
                          rmq_mock_cluster_t *mc, const char *id,
                          const char *state, const char *from_check) {
        assert_int_equal(r->nf, 13);
        assert_in_range(num(r->f[1]), t0, t1);
        assert_string_equal(r->f[2], "DefaultRegion");
        assert_string_equal(r->f[3], "PG_TR_TX");
        assert_string_equal(r->f[4], T);
        assert_string_equal(r->f[5], id);
        assert_string_equal(r->f[6], "TagT");
        assert_string_equal(r->f[7], "kt");
        assert_string_equal(r->f[8], rmq_mock_broker_addr(mc, 0));
        assert_string_equal(r->f[9], "2");
        assert_string_equal(r->f[10], id);
        assert_string_equal(r->f[11], state);
        assert_string_equal(r->f[12], from_check);
        assert_true(has_word(r->keys, id) && has_word(r->keys, "kt"));
}

static bool no_half_message(void *arg) {
        return rmq_mock_half_message_count(arg) == 0;
}

/* UNKNOW at first, COMMIT when the broker checks back: two
 * EndTransaction records, the second fromTransactionCheck. */
static void test_transaction_check(void **state) {
        rmq_mock_cluster_t *mc             = fx_cluster(1);
        rmq_transaction_send_result_t *res = NULL;
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg(T, "txbody");
        char err[512];
        int64_t t0, t1;
        recs_t rs;
        rec_t *first, *second;
        const char *id;
        (void)state;
        assert_int_equal(rmq_mock_cluster_set(mc, "transactionTimeOut", "50",
                                              err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_mock_cluster_set(mc, "transactionCheckInterval",
                                              "100", err, sizeof(err)),
                         RMQ_OK);
        prod = tx_producer(mc);
        rmq_message_set_tags(msg, "TagT");
        rmq_message_set_keys(msg, "kt");
        t0 = rmq__wall_ms();
        if (rmq_producer_send_in_transaction(prod, msg, (void *)1, &res, err,
                                             sizeof(err)))
                fail_msg("send_in_transaction: %s", err);
        id = rmq_transaction_send_result_msg_id(res);
        assert_true(rmq_test_wait_until(no_half_message, mc, 20000));
        rmq_producer_destroy(prod);
        t1 = rmq__wall_ms();
        read_traces(mc, TRACE_T, &rs);
        assert_int_equal(count_type(&rs, "Pub"), 1);
        assert_int_equal(count_type(&rs, "EndTransaction"), 2);
        /* (the trace messages may sit in different queues: any order) */
        first  = find(&rs, "EndTransaction", id, 0);
        second = find(&rs, "EndTransaction", id, 1);
        if (!strcmp(first->f[11], "COMMIT_MESSAGE")) {
                rec_t *tmp = first;
                first      = second;
                second     = tmp;
        }
        check_end_txn(first, t0, t1, mc, id, "UNKNOW", "false");
        check_end_txn(second, t0, t1, mc, id, "COMMIT_MESSAGE", "true");
        recs_free(&rs);
        rmq_transaction_send_result_destroy(res);
        rmq_message_destroy(msg);
        rmq_mock_cluster_destroy(mc);
}

static void test_transaction(void **state) {
        rmq_mock_cluster_t *mc             = fx_cluster(1);
        rmq_transaction_send_result_t *res = NULL;
        rmq_producer_t *prod;
        rmq_message_t *msg = fx_msg(T, "txbody");
        char err[512];
        int64_t t0, t1;
        recs_t rs;
        rec_t *r;
        const char *id;
        (void)state;
        prod = tx_producer(mc);
        rmq_message_set_tags(msg, "TagT");
        rmq_message_set_keys(msg, "kt");
        t0 = rmq__wall_ms();
        if (rmq_producer_send_in_transaction(prod, msg, NULL, &res, err,
                                             sizeof(err)))
                fail_msg("send_in_transaction: %s", err);
        t1 = rmq__wall_ms();
        id = rmq_transaction_send_result_msg_id(res);
        rmq_producer_destroy(prod);
        read_traces(mc, TRACE_T, &rs);
        assert_int_equal(rs.n, 2);
        /* the half message: Trans_Msg_Half (1) */
        r = find(&rs, "Pub", id, 0);
        assert_int_equal(r->nf, 14);
        assert_in_range(num(r->f[1]), t0, t1);
        assert_string_equal(r->f[2], "DefaultRegion");
        assert_string_equal(r->f[3], "PG_TR_TX");
        assert_string_equal(r->f[4], T);
        assert_string_equal(r->f[6], "TagT");
        assert_string_equal(r->f[7], "kt");
        assert_string_equal(r->f[8], rmq_mock_broker_addr(mc, 0));
        assert_int_equal(num(r->f[9]), 6);
        assert_in_range(num(r->f[10]), 0, t1 - t0);
        assert_string_equal(r->f[11], "1");
        assert_int_equal(strlen(r->f[12]), 32);
        assert_string_equal(r->f[13], "true");
        /* EndTransaction: Trans_msg_Commit (2), transactionId = UNIQ_KEY */
        check_end_txn(find(&rs, "EndTransaction", id, 0), t0, t1, mc, id,
                      "COMMIT_MESSAGE", "false");
        recs_free(&rs);
        rmq_transaction_send_result_destroy(res);
        rmq_message_destroy(msg);
        rmq_mock_cluster_destroy(mc);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sync_send),
            cmocka_unit_test(test_async_send),
            cmocka_unit_test(test_oneway_not_traced),
            cmocka_unit_test(test_send_not_ok),
            cmocka_unit_test(test_customized_trace_topic),
            cmocka_unit_test(test_off_by_default),
            cmocka_unit_test(test_queue_full_drops),
            cmocka_unit_test(test_batching),
            cmocka_unit_test(test_consume_success_and_failure),
            cmocka_unit_test(test_lite_pull),
            cmocka_unit_test(test_transaction),
            cmocka_unit_test(test_transaction_check),
            cmocka_unit_test(test_mock_trace_topic_enable),
            cmocka_unit_test(test_failed_trace_send_counted),
            cmocka_unit_test(test_cloud_channel),
            cmocka_unit_test(test_orderly_consume),
        };
        return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
