/* SPDX-License-Identifier: Apache-2.0 */
/* Shared setup of the push consumer tests: a mock cluster with a topic,
 * consumers on it, listeners that record what they see, the waits on
 * them, captured log lines and the teardown. */
#ifndef RMQ_CONSUMER_FIXTURE_H
#define RMQ_CONSUMER_FIXTURE_H

#include "common/rmq_time.h"
#include "producer_fixture.h"

/* ---- the cluster ---- */

/* Mock cluster options (rmq_mock_cluster_set) for the tests that retry:
 * the delay levels 1000 times shorter. */
static const char *const fx_fast_delays[] = {"delayTimeScale", "0.001", NULL};

/* Creates \p topic with \p queues read and write queues on every broker. */
static inline void fx_topic(rmq_mock_cluster_t *mc, const char *topic,
                            int queues) {
        assert_int_equal(rmq_mock_topic_create(mc, topic, -1, queues, queues),
                         RMQ_OK);
}

/* A mock cluster of \p brokers brokers with \p opts, a NULL-terminated
 * list of name, value for rmq_mock_cluster_set (may be NULL), and
 * \p topic (fx_topic). */
static inline rmq_mock_cluster_t *fx_cluster_topic(int brokers,
                                                   const char *topic,
                                                   int queues,
                                                   const char *const *opts) {
        rmq_mock_cluster_t *mc = fx_cluster(brokers);
        char err[256];
        size_t i;
        for (i = 0; opts && opts[i]; i += 2)
                if (rmq_mock_cluster_set(mc, opts[i], opts[i + 1], err,
                                         sizeof(err)))
                        fail_msg("mock option %s: %s", opts[i], err);
        fx_topic(mc, topic, queues);
        return mc;
}

/* ---- consumers ---- */

/* The name, value pair that starts a new group at the first offset, for
 * the extra lists of fx_consumer(). */
#define FX_FROM_FIRST "consumeFromWhere", "CONSUME_FROM_FIRST_OFFSET"

/* The pairs of a broadcasting consumer from the first offset: instance
 * \p name, its offset file under \p dir. */
#define FX_BROADCASTING(name, dir)                                             \
        FX_FROM_FIRST, "messageModel", "BROADCASTING", "instanceName", (name), \
            "rocketmq.client.localOffsetStoreDir", (dir)

/* Only FX_FROM_FIRST. */
static const char *const fx_from_first[] = {FX_FROM_FIRST, NULL};

/* A push consumer (not started) made from \p conf, which it destroys. */
static inline rmq_push_consumer_t *fx_consumer_new(rmq_conf_t *conf) {
        rmq_push_consumer_t *pc;
        char err[512];
        if (rmq_push_consumer_new(&pc, conf, err, sizeof(err)))
                fail_msg("consumer: %s", err);
        rmq_conf_destroy(conf);
        return pc;
}

/* A push consumer (not started) of \p group; \p extra is a NULL-terminated
 * list of name, value. */
static inline rmq_push_consumer_t *fx_consumer(rmq_mock_cluster_t *mc,
                                               const char *group,
                                               const char *const *extra) {
        return fx_consumer_new(fx_conf(mc, "consumerGroup", group, extra));
}

/* Subscribes \p pc to every tag of \p topic. */
static inline void fx_subscribe(rmq_push_consumer_t *pc, const char *topic) {
        char err[512];
        if (rmq_push_consumer_subscribe(pc, topic, "*", err, sizeof(err)))
                fail_msg("subscribe %s: %s", topic, err);
}

/* Subscribes \p pc to \p topic and gives it the concurrent listener
 * \p cb. */
static inline void fx_consumer_listen(rmq_push_consumer_t *pc,
                                      const char *topic,
                                      rmq_listener_concurrently_cb_t *cb,
                                      void *opaque) {
        fx_subscribe(pc, topic);
        assert_int_equal(
            rmq_push_consumer_set_listener_concurrently(pc, cb, opaque),
            RMQ_OK);
}

/* The same with the orderly listener \p cb. */
static inline void fx_consumer_listen_orderly(rmq_push_consumer_t *pc,
                                              const char *topic,
                                              rmq_listener_orderly_cb_t *cb,
                                              void *opaque) {
        fx_subscribe(pc, topic);
        assert_int_equal(rmq_push_consumer_set_listener_orderly(pc, cb, opaque),
                         RMQ_OK);
}

static inline void fx_consumer_start(rmq_push_consumer_t *pc) {
        char err[512];
        if (rmq_push_consumer_start(pc, err, sizeof(err)))
                fail_msg("consumer start: %s", err);
}

/* A started consumer of \p group (\p extra as for fx_consumer) on
 * \p topic with the concurrent listener \p cb. */
static inline rmq_push_consumer_t *
fx_consumer_run(rmq_mock_cluster_t *mc, const char *group, const char *topic,
                const char *const *extra, rmq_listener_concurrently_cb_t *cb,
                void *opaque) {
        rmq_push_consumer_t *pc = fx_consumer(mc, group, extra);
        fx_consumer_listen(pc, topic, cb, opaque);
        fx_consumer_start(pc);
        return pc;
}

/* The same with the orderly listener \p cb. */
static inline rmq_push_consumer_t *
fx_consumer_run_orderly(rmq_mock_cluster_t *mc, const char *group,
                        const char *topic, const char *const *extra,
                        rmq_listener_orderly_cb_t *cb, void *opaque) {
        rmq_push_consumer_t *pc = fx_consumer(mc, group, extra);
        fx_consumer_listen_orderly(pc, topic, cb, opaque);
        fx_consumer_start(pc);
        return pc;
}

/* Destroys what a test made, the consumer first; any may be NULL. */
static inline void fx_destroy(rmq_push_consumer_t *pc, rmq_producer_t *prod,
                              rmq_mock_cluster_t *mc) {
        rmq_push_consumer_destroy(pc);
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
}

/* ---- messages ---- */

/* Sends "<prefix>-<i>" for i in [from, to) to \p topic, with key "k<i>"
 * and tag \p tag (may be NULL), waiting for each. */
static inline void fx_send_range(rmq_producer_t *prod, const char *topic,
                                 const char *prefix, const char *tag, int from,
                                 int to) {
        char body[64], key[32], err[512];
        int i;
        for (i = from; i < to; i++) {
                rmq_message_t *msg;
                snprintf(body, sizeof(body), "%s-%d", prefix, i);
                snprintf(key, sizeof(key), "k%d", i);
                msg = fx_msg(topic, body);
                rmq_message_set_keys(msg, key);
                if (tag)
                        rmq_message_set_tags(msg, tag);
                if (rmq_producer_send(prod, msg, NULL, err, sizeof(err)))
                        fail_msg("send %d: %s", i, err);
                rmq_message_destroy(msg);
        }
}

/* Sends "<prefix>-<i>" for i in [0, n) (fx_send_range). */
static inline void fx_send_n(rmq_producer_t *prod, const char *topic,
                             const char *prefix, const char *tag, int n) {
        fx_send_range(prod, topic, prefix, tag, 0, n);
}

/* The index a body "<prefix>-<i>" of \p len bytes carries, or -1. */
static inline int fx_index_of(const void *body, size_t len) {
        const char *dash;
        char tmp[64];
        if (!body || len == 0 || len >= sizeof(tmp))
                return -1;
        memcpy(tmp, body, len);
        tmp[len] = '\0';
        dash     = strrchr(tmp, '-');
        return dash ? atoi(dash + 1) : -1;
}

/* The index of a received message (fx_index_of). */
static inline int fx_body_index(const rmq_message_ext_t *mx) {
        size_t len;
        const void *b = rmq_message_ext_body(mx, &len);
        return fx_index_of(b, len);
}

/* The index of a message stored on the mock (fx_index_of). */
static inline int fx_mock_msg_index(const rmq_mock_msg_t *m) {
        size_t len;
        const void *b = rmq_mock_msg_body(m, &len);
        return fx_index_of(b, len);
}

/* ---- what a listener saw ---- */

#define FX_MAX_MSGS 4096
typedef struct fx_seen_s {
        atomic_int calls;
        atomic_int msgs;
        atomic_int distinct;
        atomic_int per_index[FX_MAX_MSGS];
        int want; /* distinct indexes to wait for */
} fx_seen_t;

/* Counts a message with index \p idx (-1: none). */
static inline void fx_seen_record_index(fx_seen_t *s, int idx) {
        atomic_fetch_add(&s->msgs, 1);
        if (idx >= 0 && idx < FX_MAX_MSGS &&
            atomic_fetch_add(&s->per_index[idx], 1) == 0)
                atomic_fetch_add(&s->distinct, 1);
}

static inline void fx_seen_record(fx_seen_t *s, const rmq_message_ext_t *mx) {
        fx_seen_record_index(s, fx_body_index(mx));
}

static inline bool fx_seen_all(void *arg) {
        fx_seen_t *s = arg;
        return atomic_load(&s->distinct) >= s->want;
}

/* Waits until \p s has seen \p want distinct indexes (s->want is set);
 * the test fails after \p timeout_ms (rmq_test_wait_until). */
static inline void fx_wait_seen(fx_seen_t *s, int want, int timeout_ms) {
        s->want = want;
        if (!rmq_test_wait_until(fx_seen_all, s, timeout_ms))
                fail_msg("consumed %d distinct messages of %d (%d handed "
                         "over)",
                         atomic_load(&s->distinct), want,
                         atomic_load(&s->msgs));
}

/* Every index of [from, to) was seen \p times times. */
static inline void fx_seen_assert_each(fx_seen_t *s, int from, int to,
                                       int times) {
        int i;
        for (i = from; i < to; i++)
                if (atomic_load(&s->per_index[i]) != times)
                        fail_msg("message %d consumed %d times, not %d", i,
                                 atomic_load(&s->per_index[i]), times);
}

/* A concurrent listener that records and succeeds (opaque: fx_seen_t). */
static inline rmq_consume_status_t
fx_listener_ok(rmq_push_consumer_t *pc, const rmq_message_ext_t *const *msgs,
               size_t n, rmq_consume_context_t *ctx, void *opaque) {
        size_t i;
        (void)pc;
        (void)ctx;
        atomic_fetch_add(&((fx_seen_t *)opaque)->calls, 1);
        for (i = 0; i < n; i++)
                fx_seen_record(opaque, msgs[i]);
        return RMQ_CONSUME_SUCCESS;
}

/* ---- waits ---- */

/* A wait condition: the atomic_int \p arg is not 0. */
static inline bool fx_flag_set(void *arg) {
        return atomic_load((atomic_int *)arg) != 0;
}

/* Requests with \p code any broker received since the tracking started
 * (rmq_mock_start_request_tracking). */
typedef struct fx_requests_s {
        rmq_mock_cluster_t *mc;
        int code;
        size_t want;
} fx_requests_t;

/* A wait condition: the fx_requests_t \p arg has its want. */
static inline bool fx_requests_reached(void *arg) {
        fx_requests_t *r = arg;
        return rmq_mock_request_count(r->mc, -1, r->code) >= r->want;
}

/* Waits until \p n more requests with \p code have reached the brokers;
 * the test fails after 10 s. */
static inline void fx_wait_more_requests(rmq_mock_cluster_t *mc, int code,
                                         size_t n) {
        fx_requests_t r = {mc, code, rmq_mock_request_count(mc, -1, code) + n};
        assert_true(rmq_test_wait_until(fx_requests_reached, &r, 10000));
}

/* The sum of \p group's committed offsets of \p topic on every broker
 * (\p queues per broker). */
static inline int64_t fx_committed_sum(rmq_mock_cluster_t *mc,
                                       const char *group, const char *topic,
                                       int queues) {
        int64_t sum = 0;
        int b, q;
        for (b = 0; b < rmq_mock_cluster_broker_cnt(mc); b++)
                for (q = 0; q < queues; q++) {
                        int64_t o =
                            rmq_mock_committed_offset(mc, group, topic, b, q);
                        if (o > 0)
                                sum += o;
                }
        return sum;
}

/* ---- log capture ---- */

/* Counts a client's log lines that contain given needles. */
#define FX_LC_MAX 2
typedef struct fx_logcap_s {
        uv_mutex_t lock;
        rmq_log_level_t level; /* only lines of this level; 0: every one */
        const char *needle[FX_LC_MAX];
        int hits[FX_LC_MAX];
        int64_t last_ms[FX_LC_MAX]; /* rmq__mono_ms() of the last hit */
} fx_logcap_t;

/* Captures lines containing \p n0 or \p n1 (may be NULL), of any level;
 * fx_logcap_fini() when done. */
static inline void fx_logcap_init(fx_logcap_t *lc, const char *n0,
                                  const char *n1) {
        memset(lc, 0, sizeof(*lc));
        uv_mutex_init(&lc->lock);
        lc->needle[0] = n0;
        lc->needle[1] = n1;
}

static inline void fx_logcap_fini(fx_logcap_t *lc) {
        uv_mutex_destroy(&lc->lock);
}

/* The log callback (opaque: fx_logcap_t). */
static inline void fx_logcap_cb(rmq_log_level_t level, const char *fac,
                                const char *client_id, const char *msg,
                                void *opaque) {
        fx_logcap_t *lc = opaque;
        int i;
        (void)fac;
        (void)client_id;
        if (lc->level && level != lc->level)
                return;
        uv_mutex_lock(&lc->lock);
        for (i = 0; i < FX_LC_MAX; i++) {
                if (!lc->needle[i] || !strstr(msg, lc->needle[i]))
                        continue;
                lc->hits[i]++;
                lc->last_ms[i] = rmq__mono_ms();
        }
        uv_mutex_unlock(&lc->lock);
}

/* Sends the warnings and errors of the client made from \p conf to
 * \p lc. */
static inline void fx_logcap_attach(rmq_conf_t *conf, fx_logcap_t *lc) {
        static const char *const warnings[] = {"log.level", "4", NULL};
        fx_conf_set_pairs(conf, warnings);
        rmq_conf_set_log_cb(conf, fx_logcap_cb);
        rmq_conf_set_opaque(conf, lc);
}

/* The lines with needle \p i so far; \p last_ms (may be NULL) receives
 * when the last came. */
static inline int fx_logcap_hits(fx_logcap_t *lc, int i, int64_t *last_ms) {
        int n;
        uv_mutex_lock(&lc->lock);
        n = lc->hits[i];
        if (last_ms)
                *last_ms = lc->last_ms[i];
        uv_mutex_unlock(&lc->lock);
        return n;
}

#endif /* RMQ_CONSUMER_FIXTURE_H */
