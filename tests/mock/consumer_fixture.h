/* SPDX-License-Identifier: Apache-2.0 */
/* Shared setup of the push consumer tests: consumers on a mock cluster
 * and a listener that records what it sees. */
#ifndef RMQ_CONSUMER_FIXTURE_H
#define RMQ_CONSUMER_FIXTURE_H

#include "producer_fixture.h"

/* A push consumer (not started) of \p group; \p extra is a NULL-terminated
 * list of name, value. */
static inline rmq_push_consumer_t *fx_consumer(rmq_mock_cluster_t *mc,
                                               const char *group,
                                               const char *const *extra) {
        rmq_conf_t *conf = rmq_conf_new();
        rmq_push_consumer_t *pc;
        char err[512];
        size_t i;
        assert_int_equal(rmq_conf_set(conf, "namesrvAddr",
                                      rmq_mock_cluster_namesrv_addr(mc), err,
                                      sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_conf_set(conf, "consumerGroup", group, err,
                                      sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_conf_set(conf, "log.level", "3", err,
                                      sizeof(err)),
                         RMQ_OK);
        for (i = 0; extra && extra[i]; i += 2)
                if (rmq_conf_set(conf, extra[i], extra[i + 1], err,
                                 sizeof(err)))
                        fail_msg("conf %s: %s", extra[i], err);
        assert_int_equal(rmq_push_consumer_new(&pc, conf, err, sizeof(err)),
                         RMQ_OK);
        rmq_conf_destroy(conf);
        return pc;
}

static inline void fx_consumer_start(rmq_push_consumer_t *pc) {
        char err[512];
        if (rmq_push_consumer_start(pc, err, sizeof(err)))
                fail_msg("consumer start: %s", err);
}

/* Sends \p n messages "<prefix>-<i>" to \p topic, with key "k<i>" and tag
 * \p tag (may be NULL), waiting for each. */
static inline void fx_send_n(rmq_producer_t *prod, const char *topic,
                             const char *prefix, const char *tag, int n) {
        char body[64], key[32], err[512];
        int i;
        for (i = 0; i < n; i++) {
                rmq_message_t *msg;
                rmq_send_result_t *res = NULL;
                snprintf(body, sizeof(body), "%s-%d", prefix, i);
                snprintf(key, sizeof(key), "k%d", i);
                msg = fx_msg(topic, body);
                rmq_message_set_keys(msg, key);
                if (tag)
                        rmq_message_set_tags(msg, tag);
                if (rmq_producer_send(prod, msg, &res, err, sizeof(err)))
                        fail_msg("send %d: %s", i, err);
                rmq_send_result_destroy(res);
                rmq_message_destroy(msg);
        }
}

/* The index a body "<prefix>-<i>" carries, or -1. */
static inline int fx_body_index(const rmq_message_ext_t *mx) {
        size_t len;
        const char *b = rmq_message_ext_body(mx, &len);
        const char *dash;
        char tmp[64];
        if (!b || len == 0 || len >= sizeof(tmp))
                return -1;
        memcpy(tmp, b, len);
        tmp[len] = '\0';
        dash     = strrchr(tmp, '-');
        return dash ? atoi(dash + 1) : -1;
}

/* What a listener saw. */
#define FX_MAX_MSGS 4096
typedef struct fx_seen_s {
        atomic_int calls;
        atomic_int msgs;
        atomic_int distinct;
        atomic_int per_index[FX_MAX_MSGS];
        int want; /* distinct indexes to wait for */
} fx_seen_t;

static inline void fx_seen_record(fx_seen_t *s, const rmq_message_ext_t *mx) {
        int idx = fx_body_index(mx);
        atomic_fetch_add(&s->msgs, 1);
        if (idx >= 0 && idx < FX_MAX_MSGS &&
            atomic_fetch_add(&s->per_index[idx], 1) == 0)
                atomic_fetch_add(&s->distinct, 1);
}

static inline bool fx_seen_all(void *arg) {
        fx_seen_t *s = arg;
        return atomic_load(&s->distinct) >= s->want;
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

#endif /* RMQ_CONSUMER_FIXTURE_H */
