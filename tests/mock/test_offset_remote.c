/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RemoteBrokerOffsetStore against the mock cluster: persistAll (oneway)
 * commits and drops the queues it is not given, readOffset from the
 * broker (a committed offset, QUERY_NOT_FOUND, broker errors, timeouts,
 * an unknown broker), and commit_sync (acknowledged, bounded by its
 * deadline, answers after the deadline, requests pending at teardown).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "client/rmq_client.h"
#include "client/rmq_client_api.h"
#include "common/rmq_str.h"
#include "common/rmq_thread.h"
#include "common/rmq_time.h"
#include "consumer/rmq_offset_store.h"
#include "mock_client.h"
#include "producer_fixture.h"
#include "rocketmq/rmq_mock.h"
#include "testutil.h"

#define TOPIC "TopicOffR"

/* ---- a logger that counts the store's lines ---- */

typedef struct logs_s {
        uv_mutex_t lock;
        int warn;
        int error;
        int info;
        int locked; /* lines logged with a library lock held */
        char last_warn[512];
        bool saw_remove_unused;
} logs_t;

static void log_cb(rmq_log_level_t level, const char *fac,
                   const char *client_id, const char *msg, void *opaque) {
        logs_t *l = opaque;
        (void)client_id;
        if (strcmp(fac, "OFFSET"))
                return;
        uv_mutex_lock(&l->lock);
        if (rmq__locks_held() > 0)
                l->locked++;
        if (level == RMQ_LOG_WARN) {
                l->warn++;
                rmq__strlcpy(l->last_warn, msg, sizeof(l->last_warn));
        } else if (level == RMQ_LOG_ERROR) {
                l->error++;
        } else if (level == RMQ_LOG_INFO) {
                l->info++;
                if (strstr(msg, "remove unused mq"))
                        l->saw_remove_unused = true;
        }
        uv_mutex_unlock(&l->lock);
}

static int logs_warn(logs_t *l) {
        int n;
        uv_mutex_lock(&l->lock);
        n = l->warn;
        uv_mutex_unlock(&l->lock);
        return n;
}

/* ---- fixture ---- */

typedef struct fx_s {
        rmq_mock_cluster_t *mc;
        rmq_client_t *ci;
        mtc_t *raw;
        const char *bn[2]; /* broker names */
        logs_t logs;
        rmq_logger_t lg;
} fx_t;

static rmq_client_t *client_new(rmq_mock_cluster_t *mc, const char *instance) {
        rmq_conf_t *conf = rmq_conf_new();
        rmq_client_t *ci;
        char err[256];
        rmq_conf_set(conf, "namesrvAddr", rmq_mock_cluster_namesrv_addr(mc),
                     err, sizeof(err));
        rmq_conf_set(conf, "instanceName", instance, err, sizeof(err));
        rmq_conf_set(conf, "log.level", "3", err, sizeof(err));
        ci = rmq__client_acquire(conf);
        rmq_conf_destroy(conf);
        if (rmq__client_start(ci, err, sizeof(err)))
                fail_msg("client start: %s", err);
        return ci;
}

static int setup(void **state) {
        fx_t *fx  = calloc(1, sizeof(*fx));
        fx->mc    = fx_cluster(2);
        fx->bn[0] = rmq_mock_broker_name(fx->mc, 0);
        fx->bn[1] = rmq_mock_broker_name(fx->mc, 1);
        if (rmq_mock_topic_create(fx->mc, TOPIC, -1, 4, 4))
                return -1;
        rmq_mock_start_request_tracking(fx->mc);
        fx->ci  = client_new(fx->mc, "offr-test");
        fx->raw = mtc_new();
        uv_mutex_init(&fx->logs.lock);
        fx->lg.cb     = log_cb;
        fx->lg.opaque = &fx->logs;
        fx->lg.level  = RMQ_LOG_INFO;
        rmq__strlcpy(fx->lg.client_id, "offr-test", sizeof(fx->lg.client_id));
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        fx_t *fx = *state;
        rmq__client_release(fx->ci);
        mtc_destroy(fx->raw);
        rmq_mock_cluster_destroy(fx->mc);
        assert_int_equal(fx->logs.locked, 0);
        uv_mutex_destroy(&fx->logs.lock);
        free(fx);
        return 0;
}

static rmq_offset_store_t *store_new(fx_t *fx, rmq_client_t *ci,
                                     const char *group) {
        rmq_offset_store_t *os = NULL;
        char err[256];
        assert_int_equal(
            rmq__offset_remote_new(&os, ci, group, &fx->lg, err, sizeof(err)),
            RMQ_OK);
        assert_int_equal(rmq__offset_store_load(os, err, sizeof(err)), RMQ_OK);
        return os;
}

/* Queue i of \p spec: "a0" is broker 0, queue 0. */
static void mqs_init(fx_t *fx, rmq_mq_t *mqs, const char *const *spec,
                     size_t n) {
        size_t i;
        for (i = 0; i < n; i++)
                rmq__mq_init(&mqs[i], TOPIC, fx->bn[spec[i][0] - 'a'],
                             spec[i][1] - '0');
}

static void mqs_clear(rmq_mq_t *mqs, size_t n) {
        size_t i;
        for (i = 0; i < n; i++)
                rmq__mq_clear(&mqs[i]);
}

static int broker_of(fx_t *fx, const rmq_mq_t *mq) {
        return strcmp(mq->brokerName, fx->bn[0]) ? 1 : 0;
}

static int64_t committed(fx_t *fx, const char *group, const rmq_mq_t *mq) {
        return rmq_mock_committed_offset(fx->mc, group, mq->topic,
                                         broker_of(fx, mq), mq->queueId);
}

/* Waiting until the mock's committed offsets are the wanted ones. */
typedef struct commit_cond_s {
        fx_t *fx;
        const char *group;
        const rmq_mq_t *mqs;
        const int64_t *want;
        size_t n;
} commit_cond_t;

static bool all_committed(void *arg) {
        commit_cond_t *c = arg;
        size_t i;
        for (i = 0; i < c->n; i++)
                if (committed(c->fx, c->group, &c->mqs[i]) != c->want[i])
                        return false;
        return true;
}

static bool no_pending(void *arg) {
        rmq_remoting_stats_t st;
        rmq__remoting_stats(rmq__client_remoting(arg), &st);
        return st.pending == 0;
}

static size_t updates(fx_t *fx) {
        return rmq_mock_request_count(fx->mc, -1,
                                      RMQ_REQ_UPDATE_CONSUMER_OFFSET);
}

/* ---- persistAll / persist ---- */

static void test_persist_all_commits(void **state) {
        fx_t *fx                        = *state;
        static const char *const spec[] = {"a0", "a1", "b0", "b3"};
        int64_t want[4]                 = {10, 11, 20, 23};
        rmq_mq_t mqs[4];
        commit_cond_t c        = {fx, "CG_PA", mqs, want, 4};
        rmq_offset_store_t *os = store_new(fx, fx->ci, "CG_PA");
        size_t i;
        mqs_init(fx, mqs, spec, 4);
        for (i = 0; i < 4; i++)
                rmq__offset_store_update(os, &mqs[i], want[i], false);
        rmq__offset_store_persist_all(os, mqs, 4);
        /* oneway: the broker commits when it gets there */
        assert_true(rmq_test_wait_until(all_committed, &c, 5000));
        assert_int_equal(rmq__offset_store_table_count(os), 4);
        /* persist(mq): one queue, its table offset */
        rmq__offset_store_update(os, &mqs[2], 30, true);
        rmq__offset_store_update(os, &mqs[2], 25, true); /* not lower */
        want[2] = 30;
        rmq__offset_store_persist(os, &mqs[2]);
        assert_true(rmq_test_wait_until(all_committed, &c, 5000));
        rmq__offset_store_destroy(os);
        mqs_clear(mqs, 4);
}

static void test_persist_all_drops_unused(void **state) {
        fx_t *fx                        = *state;
        static const char *const spec[] = {"a0", "b0", "a1", "b3"};
        rmq_mq_t mqs[4];
        rmq_offset_store_t *os = store_new(fx, fx->ci, "CG_DROP");
        size_t i, before;
        int64_t v;
        char err[256];
        mqs_init(fx, mqs, spec, 4);
        for (i = 0; i < 4; i++)
                rmq__offset_store_update(os, &mqs[i], 100 + (int64_t)i, false);
        before = updates(fx);
        rmq__offset_store_persist_all(os, mqs, 2); /* a0 and b0 only */
        assert_int_equal(rmq__offset_store_table_count(os), 2);
        assert_false(rmq__offset_store_table_get(os, &mqs[2], &v));
        assert_false(rmq__offset_store_table_get(os, &mqs[3], &v));
        assert_true(rmq__offset_store_table_get(os, &mqs[1], &v));
        assert_int_equal(v, 101);
        uv_mutex_lock(&fx->logs.lock);
        assert_true(fx->logs.saw_remove_unused);
        uv_mutex_unlock(&fx->logs.lock);
        /* an acknowledged update on the same connection of each broker:
         * the oneways before it have been processed */
        for (i = 0; i < 2; i++)
                assert_int_equal(
                    rmq__offset_store_update_to_broker(
                        os, &mqs[i], 100 + (int64_t)i, false, err, sizeof(err)),
                    RMQ_OK);
        assert_int_equal(updates(fx) - before, 4);
        assert_int_equal(committed(fx, "CG_DROP", &mqs[0]), 100);
        assert_int_equal(committed(fx, "CG_DROP", &mqs[1]), 101);
        assert_int_equal(committed(fx, "CG_DROP", &mqs[2]), -1);
        assert_int_equal(committed(fx, "CG_DROP", &mqs[3]), -1);
        rmq__offset_store_destroy(os);
        mqs_clear(mqs, 4);
}

/* ---- readOffset ---- */

static void test_read_committed(void **state) {
        fx_t *fx                        = *state;
        static const char *const spec[] = {"a2", "b1"};
        rmq_mq_t mqs[2];
        rmq_offset_store_t *os     = store_new(fx, fx->ci, "CG_READ");
        rmq_offset_store_t *writer = store_new(fx, fx->ci, "CG_READ");
        char err[256];
        mqs_init(fx, mqs, spec, 2);
        assert_int_equal(rmq__offset_store_update_to_broker(
                             writer, &mqs[0], 42, false, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq__offset_store_update_to_broker(
                             writer, &mqs[1], 7, false, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(committed(fx, "CG_READ", &mqs[0]), 42);
        assert_int_equal(
            rmq__offset_store_read(os, &mqs[0], RMQ_READ_FROM_MEMORY),
            RMQ_OFFSET_NOT_FOUND);
        assert_int_equal(
            rmq__offset_store_read(os, &mqs[0], RMQ_READ_FROM_STORE), 42);
        /* recorded in the table */
        assert_int_equal(
            rmq__offset_store_read(os, &mqs[0], RMQ_READ_FROM_MEMORY), 42);
        assert_int_equal(
            rmq__offset_store_read(os, &mqs[1], RMQ_MEMORY_FIRST_THEN_STORE),
            7);
        assert_int_equal(
            rmq__offset_store_read(os, &mqs[1], RMQ_READ_FROM_MEMORY), 7);
        rmq__offset_store_destroy(writer);
        rmq__offset_store_destroy(os);
        mqs_clear(mqs, 2);
}

static void test_read_not_found(void **state) {
        fx_t *fx               = *state;
        rmq_offset_store_t *os = store_new(fx, fx->ci, "CG_NF");
        const char *b0         = rmq_mock_broker_addr(fx->mc, 0);
        rmq_mq_t gone, intact;
        int64_t v;
        assert_int_equal(rmq_mock_topic_create(fx->mc, "TopicOffNF", 0, 4, 4),
                         RMQ_OK);
        rmq__mq_init(&gone, "TopicOffNF", fx->bn[0], 3);
        rmq__mq_init(&intact, "TopicOffNF", fx->bn[0], 2);
        /* the queue's first message is gone and the group never
         * committed: QUERY_NOT_FOUND (ConsumerManageProcessor) */
        mtc_send(fx->raw, b0, "TopicOffNF", 3, NULL, "x");
        mtc_send(fx->raw, b0, "TopicOffNF", 3, NULL, "y");
        assert_int_equal(rmq_mock_queue_truncate(fx->mc, "TopicOffNF", 0, 3, 1),
                         RMQ_OK);
        assert_int_equal(rmq__offset_store_read(os, &gone, RMQ_READ_FROM_STORE),
                         RMQ_OFFSET_NOT_FOUND);
        assert_false(rmq__offset_store_table_get(os, &gone, &v));
        /* the first message still there: the broker answers 0 */
        mtc_send(fx->raw, b0, "TopicOffNF", 2, NULL, "z");
        assert_int_equal(
            rmq__offset_store_read(os, &intact, RMQ_READ_FROM_STORE), 0);
        /* an injected QUERY_NOT_FOUND reads the same */
        rmq_mock_push_request_errors(fx->mc, 0, RMQ_REQ_QUERY_CONSUMER_OFFSET,
                                     1, RMQ_ERR_QUERY_NOT_FOUND);
        assert_int_equal(
            rmq__offset_store_read(os, &intact, RMQ_READ_FROM_STORE),
            RMQ_OFFSET_NOT_FOUND);
        rmq__offset_store_destroy(os);
        rmq__mq_clear(&gone);
        rmq__mq_clear(&intact);
}

/* The deliberate difference from Java: a broker error other than
 * QUERY_NOT_FOUND, a timeout or a transport error is -2, never -1. */
static void test_read_errors(void **state) {
        fx_t *fx               = *state;
        rmq_offset_store_t *os = store_new(fx, fx->ci, "CG_ERR");
        rmq_mq_t mq;
        int warn0;
        int64_t t0;
        char err[256];
        rmq__mq_init(&mq, TOPIC, fx->bn[0], 0);
        assert_int_equal(rmq__offset_store_update_to_broker(os, &mq, 5, false,
                                                            err, sizeof(err)),
                         RMQ_OK);
        rmq__offset_store_remove(os, &mq);
        warn0 = logs_warn(&fx->logs);
        /* SYSTEM_BUSY: Java would answer -1 and start from the max offset */
        rmq_mock_push_request_errors(fx->mc, 0, RMQ_REQ_QUERY_CONSUMER_OFFSET,
                                     1, RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(rmq__offset_store_read(os, &mq, RMQ_READ_FROM_STORE),
                         RMQ_OFFSET_ERROR);
        assert_int_equal(rmq__offset_store_read(os, &mq, RMQ_READ_FROM_MEMORY),
                         RMQ_OFFSET_NOT_FOUND);
        assert_int_equal(logs_warn(&fx->logs), warn0 + 1);
        uv_mutex_lock(&fx->logs.lock);
        assert_non_null(strstr(fx->logs.last_warn, "SYSTEM_BUSY"));
        uv_mutex_unlock(&fx->logs.lock);
        /* the caller retries and gets it */
        assert_int_equal(
            rmq__offset_store_read(os, &mq, RMQ_MEMORY_FIRST_THEN_STORE), 5);
        rmq__offset_store_remove(os, &mq);
        /* a connection closed instead of an answer */
        rmq_mock_push_request_errors(fx->mc, 0, RMQ_REQ_QUERY_CONSUMER_OFFSET,
                                     1, RMQ_ERR__TRANSPORT);
        assert_int_equal(rmq__offset_store_read(os, &mq, RMQ_READ_FROM_STORE),
                         RMQ_OFFSET_ERROR);
        /* no answer at all: the 5 s timeout (Java's 1000 * 5) */
        rmq_mock_push_request_errors(fx->mc, 0, RMQ_REQ_QUERY_CONSUMER_OFFSET,
                                     1, RMQ_ERR__TIMED_OUT);
        t0 = rmq__mono_ms();
        assert_int_equal(rmq__offset_store_read(os, &mq, RMQ_READ_FROM_STORE),
                         RMQ_OFFSET_ERROR);
        assert_true(rmq__mono_ms() - t0 >= 4900);
        assert_true(rmq__mono_ms() - t0 <
                    5000 + 3000 * rmq_test_tmout_multiplier());
        assert_int_equal(rmq__offset_store_read(os, &mq, RMQ_READ_FROM_MEMORY),
                         RMQ_OFFSET_NOT_FOUND);
        assert_int_equal(logs_warn(&fx->logs), warn0 + 3);
        assert_int_equal(rmq__offset_store_read(os, &mq, RMQ_READ_FROM_STORE),
                         5);
        rmq__offset_store_destroy(os);
        rmq__mq_clear(&mq);
}

static void test_unknown_broker(void **state) {
        fx_t *fx               = *state;
        rmq_offset_store_t *os = store_new(fx, fx->ci, "CG_UNK");
        rmq_mq_t mq;
        size_t routes;
        int errors0;
        char err[256] = "";
        rmq__mq_init(&mq, TOPIC, "broker-nowhere", 0);
        routes =
            rmq_mock_request_count(fx->mc, -2, RMQ_REQ_GET_ROUTEINFO_BY_TOPIC);
        assert_int_equal(rmq__offset_store_read(os, &mq, RMQ_READ_FROM_STORE),
                         RMQ_OFFSET_ERROR);
        /* the route was refreshed before giving up */
        assert_true(rmq_mock_request_count(
                        fx->mc, -2, RMQ_REQ_GET_ROUTEINFO_BY_TOPIC) > routes);
        uv_mutex_lock(&fx->logs.lock);
        assert_non_null(
            strstr(fx->logs.last_warn, "The broker[broker-nowhere] not exist"));
        errors0 = fx->logs.error;
        uv_mutex_unlock(&fx->logs.lock);
        assert_int_equal(rmq__offset_store_update_to_broker(os, &mq, 3, false,
                                                            err, sizeof(err)),
                         RMQ_ERR__NO_BROKER);
        assert_string_equal(err, "The broker[broker-nowhere] not exist");
        /* persist logs the failure (error, as Java) */
        rmq__offset_store_update(os, &mq, 3, false);
        rmq__offset_store_persist(os, &mq);
        uv_mutex_lock(&fx->logs.lock);
        assert_int_equal(fx->logs.error, errors0 + 1);
        uv_mutex_unlock(&fx->logs.lock);
        rmq__offset_store_destroy(os);
        rmq__mq_clear(&mq);
}

/* ---- commit_sync ---- */

static void test_commit_sync_two_brokers(void **state) {
        fx_t *fx                        = *state;
        static const char *const spec[] = {"a0", "a3", "b1", "b2", "a2"};
        int64_t want[4]                 = {1000, 1003, 2001, 2002};
        rmq_mq_t mqs[5];
        rmq_offset_store_t *os = store_new(fx, fx->ci, "CG_CS");
        size_t i, failed = 99, before;
        char err[256];
        mqs_init(fx, mqs, spec, 5);
        /* a2 has no table entry: skipped */
        for (i = 0; i < 4; i++)
                rmq__offset_store_update(os, &mqs[i], want[i], false);
        before = updates(fx);
        assert_int_equal(
            rmq__offset_remote_commit_sync(
                os, mqs, 5, rmq__mono_ms() + 5000 * rmq_test_tmout_multiplier(),
                &failed, err, sizeof(err)),
            RMQ_OK);
        assert_int_equal(failed, 0);
        /* acknowledged: committed when it returns */
        for (i = 0; i < 4; i++)
                assert_int_equal(committed(fx, "CG_CS", &mqs[i]), want[i]);
        assert_int_equal(committed(fx, "CG_CS", &mqs[4]), -1);
        assert_int_equal(updates(fx) - before, 4);
        /* nothing to do */
        assert_int_equal(rmq__offset_remote_commit_sync(os, mqs, 0,
                                                        rmq__mono_ms(), &failed,
                                                        err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq__offset_remote_commit_sync(os, &mqs[4], 1,
                                                        rmq__mono_ms(), &failed,
                                                        err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(failed, 0);
        /* a broker error answer */
        rmq_mock_push_request_errors(fx->mc, 1, RMQ_REQ_UPDATE_CONSUMER_OFFSET,
                                     1, RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(
            rmq__offset_remote_commit_sync(
                os, mqs, 4, rmq__mono_ms() + 5000 * rmq_test_tmout_multiplier(),
                &failed, err, sizeof(err)),
            RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(failed, 1);
        assert_non_null(strstr(err, "1 of 4"));
        assert_non_null(strstr(err, "CODE: 2"));
        rmq__offset_store_destroy(os);
        mqs_clear(mqs, 5);
}

typedef struct commit_try_s {
        rmq_offset_store_t *os;
        rmq_mq_t *mqs;
        size_t n;
} commit_try_t;

static bool commit_ok(void *arg) {
        commit_try_t *ct = arg;
        size_t failed    = 0;
        char err[256];
        return rmq__offset_remote_commit_sync(
                   ct->os, ct->mqs, ct->n,
                   rmq__mono_ms() + 1000 * rmq_test_tmout_multiplier(), &failed,
                   err, sizeof(err)) == RMQ_OK;
}

static void test_commit_sync_broker_down(void **state) {
        fx_t *fx                        = *state;
        static const char *const spec[] = {"a0", "b0", "a1", "b1"};
        int64_t want[4]                 = {5, 6, 7, 8};
        rmq_mq_t mqs[4];
        rmq_offset_store_t *os = store_new(fx, fx->ci, "CG_DOWN");
        int64_t t0, window = 2000 * rmq_test_tmout_multiplier();
        size_t i, failed   = 0;
        char err[256];
        rmq_err_t e;
        mqs_init(fx, mqs, spec, 4);
        for (i = 0; i < 4; i++)
                rmq__offset_store_update(os, &mqs[i], want[i], false);
        assert_int_equal(rmq_mock_broker_set_down(fx->mc, 1), RMQ_OK);
        t0 = rmq__mono_ms();
        e  = rmq__offset_remote_commit_sync(os, mqs, 4, t0 + window, &failed,
                                            err, sizeof(err));
        assert_true(rmq__mono_ms() - t0 <
                    window + 500 * rmq_test_tmout_multiplier());
        assert_int_not_equal(e, RMQ_OK);
        assert_int_equal(failed, 2);
        assert_non_null(strstr(err, "2 of 4"));
        assert_non_null(strstr(err, "CG_DOWN"));
        assert_int_equal(committed(fx, "CG_DOWN", &mqs[0]), 5);
        assert_int_equal(committed(fx, "CG_DOWN", &mqs[2]), 7);
        assert_int_equal(committed(fx, "CG_DOWN", &mqs[1]), -1);
        assert_int_equal(rmq_mock_broker_set_up(fx->mc, 1), RMQ_OK);
        /* and once it is back (and its connect back-off, not in Java, is
         * over), everything is committed */
        {
                commit_try_t ct = {os, mqs, 4};
                assert_true(rmq_test_wait_until(commit_ok, &ct, 5000));
        }
        assert_int_equal(committed(fx, "CG_DOWN", &mqs[3]), 8);
        rmq__offset_store_destroy(os);
        mqs_clear(mqs, 4);
}

/* Answers that come after the deadline land in the wait state the
 * callbacks free (ASan: no use after free, no leak). */
static void test_commit_sync_late_answers(void **state) {
        fx_t *fx                        = *state;
        static const char *const spec[] = {"a0", "b0", "a1", "b1"};
        int64_t want[4]                 = {50, 60, 70, 80};
        rmq_mq_t mqs[4];
        rmq_offset_store_t *os = store_new(fx, fx->ci, "CG_LATE");
        int64_t t0, window = 300 * rmq_test_tmout_multiplier();
        size_t i, failed   = 0;
        char err[256];
        mqs_init(fx, mqs, spec, 4);
        for (i = 0; i < 4; i++)
                rmq__offset_store_update(os, &mqs[i], want[i], false);
        /* broker 1 answers well after the deadline */
        assert_int_equal(rmq_mock_broker_set_rtt(
                             fx->mc, 1, 1500 * rmq_test_tmout_multiplier()),
                         RMQ_OK);
        t0 = rmq__mono_ms();
        assert_int_equal(rmq__offset_remote_commit_sync(os, mqs, 4, t0 + window,
                                                        &failed, err,
                                                        sizeof(err)),
                         RMQ_ERR__TIMED_OUT);
        assert_true(rmq__mono_ms() - t0 >= window);
        assert_true(rmq__mono_ms() - t0 <
                    window + 500 * rmq_test_tmout_multiplier());
        assert_int_equal(failed, 2);
        assert_non_null(strstr(err, "before the deadline"));
        assert_int_equal(committed(fx, "CG_LATE", &mqs[0]), 50);
        assert_int_equal(committed(fx, "CG_LATE", &mqs[2]), 70);
        /* the store goes at once; the late answers arrive after */
        rmq__offset_store_destroy(os);
        assert_true(rmq_test_wait_until(no_pending, fx->ci, 10000));
        assert_int_equal(rmq_mock_broker_set_rtt(fx->mc, 1, 0), RMQ_OK);
        mqs_clear(mqs, 4);
}

/* A request still pending when the client instance goes: its callback
 * (RMQ_ERR__DESTROY) frees the wait state. */
static void test_commit_sync_pending_at_teardown(void **state) {
        fx_t *fx                        = *state;
        rmq_client_t *ci                = client_new(fx->mc, "offr-test-td");
        rmq_offset_store_t *os          = store_new(fx, ci, "CG_TD");
        static const char *const spec[] = {"a0", "b0"};
        rmq_mq_t mqs[2];
        size_t failed = 0;
        char err[256];
        mqs_init(fx, mqs, spec, 2);
        rmq__offset_store_update(os, &mqs[0], 9, false);
        rmq__offset_store_update(os, &mqs[1], 10, false);
        rmq_mock_push_request_errors(fx->mc, 1, RMQ_REQ_UPDATE_CONSUMER_OFFSET,
                                     1, RMQ_ERR__TIMED_OUT);
        assert_int_equal(rmq__offset_remote_commit_sync(
                             os, mqs, 2,
                             rmq__mono_ms() + 300 * rmq_test_tmout_multiplier(),
                             &failed, err, sizeof(err)),
                         RMQ_ERR__TIMED_OUT);
        assert_int_equal(failed, 1);
        assert_int_equal(committed(fx, "CG_TD", &mqs[0]), 9);
        rmq__offset_store_destroy(os);
        rmq__client_release(ci);
        mqs_clear(mqs, 2);
}

/* ---- every function from several threads (TSan) ---- */

typedef struct race_s {
        fx_t *fx;
        rmq_offset_store_t *os;
        rmq_mq_t *mqs;
        size_t n;
        int id;
        atomic_int failures;
} race_t;

static void race_worker(void *arg) {
        race_t *r = arg;
        size_t failed;
        char err[256];
        int round, i;
        for (round = 0; round < 20; round++) {
                for (i = 0; i < (int)r->n; i++)
                        rmq__offset_store_update(r->os, &r->mqs[i],
                                                 round * 10 + r->id, true);
                if (r->id == 0)
                        rmq__offset_store_persist_all(r->os, r->mqs, r->n);
                else if (r->id == 1)
                        rmq__offset_store_persist(r->os, &r->mqs[round % 4]);
                else if (rmq__offset_remote_commit_sync(
                             r->os, r->mqs, r->n,
                             rmq__mono_ms() +
                                 5000 * rmq_test_tmout_multiplier(),
                             &failed, err, sizeof(err)))
                        atomic_fetch_add(&r->failures, 1);
                (void)rmq__offset_store_read(r->os, &r->mqs[round % 4],
                                             RMQ_READ_FROM_MEMORY);
        }
}

static void test_concurrent_use(void **state) {
        fx_t *fx                        = *state;
        static const char *const spec[] = {"a0", "b0", "a1", "b1"};
        int64_t want[4];
        rmq_mq_t mqs[4];
        commit_cond_t c;
        rmq_offset_store_t *os = store_new(fx, fx->ci, "CG_RACE");
        race_t r[4];
        uv_thread_t th[4];
        size_t failed = 0;
        char err[256];
        int i;
        mqs_init(fx, mqs, spec, 4);
        for (i = 0; i < 4; i++) {
                memset(&r[i], 0, sizeof(r[i]));
                r[i].fx  = fx;
                r[i].os  = os;
                r[i].mqs = mqs;
                r[i].n   = 4;
                r[i].id  = i;
                atomic_init(&r[i].failures, 0);
                assert_int_equal(uv_thread_create(&th[i], race_worker, &r[i]),
                                 0);
        }
        for (i = 0; i < 4; i++)
                uv_thread_join(&th[i]);
        for (i = 0; i < 4; i++) {
                assert_int_equal(atomic_load(&r[i].failures), 0);
                want[i] = 193; /* round 19, thread 3: the largest */
        }
        assert_int_equal(
            rmq__offset_remote_commit_sync(
                os, mqs, 4, rmq__mono_ms() + 5000 * rmq_test_tmout_multiplier(),
                &failed, err, sizeof(err)),
            RMQ_OK);
        c.fx    = fx;
        c.group = "CG_RACE";
        c.mqs   = mqs;
        c.want  = want;
        c.n     = 4;
        assert_true(all_committed(&c));
        rmq__offset_store_destroy(os);
        mqs_clear(mqs, 4);
}

static void test_new_rejects_null(void **state) {
        fx_t *fx               = *state;
        rmq_offset_store_t *os = (rmq_offset_store_t *)1;
        char err[128]          = "";
        assert_int_equal(
            rmq__offset_remote_new(&os, NULL, "G", NULL, err, sizeof(err)),
            RMQ_ERR__INVALID_ARG);
        assert_null(os);
        assert_int_equal(
            rmq__offset_remote_new(&os, fx->ci, NULL, NULL, err, sizeof(err)),
            RMQ_ERR__INVALID_ARG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_new_rejects_null),
            cmocka_unit_test(test_persist_all_commits),
            cmocka_unit_test(test_persist_all_drops_unused),
            cmocka_unit_test(test_read_committed),
            cmocka_unit_test(test_read_not_found),
            cmocka_unit_test(test_read_errors),
            cmocka_unit_test(test_unknown_broker),
            cmocka_unit_test(test_commit_sync_two_brokers),
            cmocka_unit_test(test_commit_sync_broker_down),
            cmocka_unit_test(test_commit_sync_late_answers),
            cmocka_unit_test(test_commit_sync_pending_at_teardown),
            cmocka_unit_test(test_concurrent_use),
        };
        return cmocka_run_group_tests_name("offset_remote", tests, setup,
                                           teardown);
}
