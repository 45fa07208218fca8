/* SPDX-License-Identifier: Apache-2.0 */
/* Shared setup of the producer tests: a mock cluster and producers. */
#ifndef RMQ_PRODUCER_FIXTURE_H
#define RMQ_PRODUCER_FIXTURE_H

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "rocketmq/rmq_mock.h"
#include "rocketmq/rocketmq.h"
#include "testutil.h"

static inline rmq_mock_cluster_t *fx_cluster(int brokers) {
        rmq_mock_cluster_t *mc = NULL;
        char err[256];
        if (rmq_mock_cluster_new(&mc, brokers, err, sizeof(err)))
                fail_msg("mock cluster: %s", err);
        return mc;
}

/* Sets each name, value pair of \p extra, a NULL-terminated list (may be
 * NULL), on \p conf; the test fails on the first the conf refuses. */
static inline void fx_conf_set_pairs(rmq_conf_t *conf,
                                     const char *const *extra) {
        char err[512];
        size_t i;
        for (i = 0; extra && extra[i]; i += 2)
                if (rmq_conf_set(conf, extra[i], extra[i + 1], err,
                                 sizeof(err)))
                        fail_msg("conf %s: %s", extra[i], err);
}

/* A conf for the cluster's name server with \p group_prop set to
 * \p group, log level ERROR, and \p extra, a NULL-terminated list of
 * name, value. */
static inline rmq_conf_t *fx_conf(rmq_mock_cluster_t *mc,
                                  const char *group_prop, const char *group,
                                  const char *const *extra) {
        rmq_conf_t *conf = rmq_conf_new();
        char err[512];
        assert_int_equal(rmq_conf_set(conf, "namesrvAddr",
                                      rmq_mock_cluster_namesrv_addr(mc), err,
                                      sizeof(err)),
                         RMQ_OK);
        assert_int_equal(
            rmq_conf_set(conf, group_prop, group, err, sizeof(err)), RMQ_OK);
        assert_int_equal(rmq_conf_set(conf, "log.level", "3", err, sizeof(err)),
                         RMQ_OK);
        fx_conf_set_pairs(conf, extra);
        return conf;
}

/* A started producer made from \p conf, which it destroys. */
static inline rmq_producer_t *fx_producer_from_conf(rmq_conf_t *conf) {
        rmq_producer_t *prod;
        char err[512];
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        rmq_conf_destroy(conf);
        if (rmq_producer_start(prod, err, sizeof(err)))
                fail_msg("start: %s", err);
        return prod;
}

/* A started producer; extra is a NULL-terminated list of name, value. */
static inline rmq_producer_t *fx_producer(rmq_mock_cluster_t *mc,
                                          const char *group,
                                          const char *const *extra) {
        return fx_producer_from_conf(
            fx_conf(mc, "producerGroup", group, extra));

}

static inline rmq_message_t *fx_msg(const char *topic, const char *body) {
        rmq_message_t *msg = rmq_message_new(topic);
        rmq_message_set_body(msg, body, strlen(body));
        return msg;
}

/* Async bookkeeping. */
typedef struct fx_async_s {
        atomic_int calls;
        atomic_int ok;
        atomic_int errs;
        atomic_int last_err;
        int expect;
} fx_async_t;

static inline void fx_async_cb(rmq_producer_t *prod, rmq_err_t err,
                               const char *errstr, const rmq_send_result_t *res,
                               void *opaque) {
        fx_async_t *a = opaque;
        (void)prod;
        if (err) {
                if (!errstr || res)
                        fail_msg("error callback without errstr or with a "
                                 "result");
                atomic_fetch_add(&a->errs, 1);
                atomic_store(&a->last_err, err);
        } else {
                if (!res || errstr)
                        fail_msg("success callback without a result");
                atomic_fetch_add(&a->ok, 1);
        }
        atomic_fetch_add(&a->calls, 1);
}

static inline bool fx_async_done(void *arg) {
        fx_async_t *a = arg;
        return atomic_load(&a->calls) >= a->expect;
}

typedef struct fx_count_s {
        rmq_mock_cluster_t *mc;
        const char *topic;
        int64_t want;
} fx_count_t;

static inline bool fx_count_reached(void *arg) {
        fx_count_t *c = arg;
        return rmq_mock_topic_message_count(c->mc, c->topic) >= c->want;
}

#endif /* RMQ_PRODUCER_FIXTURE_H */
