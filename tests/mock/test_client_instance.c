/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client instance made ready for consumers (issue 8), against the mock
 * cluster: the member interface (heartbeat consumer data, route refresh of
 * subscribed topics, subscribe-side queues, callouts without the instance
 * lock, unregistering waits for callouts), broker-initiated requests
 * dispatched to their member, the rebalance service, and the defects:
 * the I/O thread blocked by async permits, a producer destroyed from its
 * own callback, the log callback under library locks.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "client/rmq_client_int.h"
#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "common/rmq_thread.h"
#include "common/rmq_time.h"
#include "mock_client.h"
#include "producer_fixture.h"
#include "rocketmq/rmq_mock.h"
#include "rocketmq/rocketmq.h"
#include "testutil.h"

/* ---- a fake member ---- */

enum {
        CO_HB,
        CO_TOPICS,
        CO_ROUTE,
        CO_NEED,
        CO_REBALANCE,
        CO_PERSIST,
        CO_REQUEST,
        CO_CNT
};

typedef struct fake_s {
        const char *group;
        const char *topic;
        atomic_int calls[CO_CNT];
        /* the most library locks seen held by any callout of a kind */
        atomic_int locks[CO_CNT];
        atomic_int last_req_code;
        /* do_rebalance blocks while this is set */
        atomic_bool block_rebalance;
        atomic_bool in_rebalance;
        rmq_member_ops_t ops;
} fake_t;

static void seen(fake_t *f, int which) {
        int held = rmq__locks_held(), prev = atomic_load(&f->locks[which]);
        while (held > prev &&
               !atomic_compare_exchange_weak(&f->locks[which], &prev, held))
                ;
        atomic_fetch_add(&f->calls[which], 1);
}

static void fake_hb(void *impl, rmq_heartbeat_data_t *hb) {
        fake_t *f = impl;
        rmq_consumer_data_t *cd;
        rmq_subscription_data_t sd;
        seen(f, CO_HB);
        cd = rmq__heartbeat_add_consumer(
            hb, f->group, RMQ_HB_CONSUME_PASSIVELY, RMQ_HB_CLUSTERING,
            RMQ_HB_CONSUME_FROM_LAST_OFFSET, false);
        assert_int_equal(rmq__subscription_build(&sd, f->topic, "*", "TAG", 1),
                         RMQ_OK);
        rmq__consumer_data_add_subscription(cd, &sd);
        rmq__subscription_clear(&sd);
}

static void fake_topics(void *impl, rmq_strmap_t *topics) {
        fake_t *f = impl;
        seen(f, CO_TOPICS);
        rmq__strmap_set(topics, f->topic, (void *)1);
}

static void fake_route(void *impl, const char *topic,
                       const rmq_topic_route_data_t *route) {
        (void)topic;
        (void)route;
        seen(impl, CO_ROUTE);
}

static bool fake_need(void *impl, const char *topic) {
        (void)topic;
        seen(impl, CO_NEED);
        return false;
}

static void fake_rebalance(void *impl) {
        fake_t *f = impl;
        seen(f, CO_REBALANCE);
        atomic_store(&f->in_rebalance, true);
        while (atomic_load(&f->block_rebalance))
                uv_sleep(1);
        atomic_store(&f->in_rebalance, false);
}

static void fake_persist(void *impl) {
        seen(impl, CO_PERSIST);
}

static rmq_cmd_t *fake_request(void *impl, const char *addr,
                               const rmq_cmd_t *req) {
        fake_t *f = impl;
        rmq_cmd_t *resp;
        (void)addr;
        seen(f, CO_REQUEST);
        atomic_store(&f->last_req_code, req->code);
        if (req->code != RMQ_REQ_GET_CONSUMER_RUNNING_INFO)
                return NULL;
        resp = rmq__cmd_new_response(RMQ_OK, "not set any response code");
        rmq__cmd_set_body_copy(resp, "{\"fake\":true}", 13);
        return resp;
}

static void fake_init(fake_t *f, rmq_member_kind_t kind, const char *group,
                      const char *topic) {
        memset(f, 0, sizeof(*f));
        f->group               = group;
        f->topic               = topic;
        f->ops.kind            = kind;
        f->ops.heartbeat_data  = kind == RMQ_MEMBER_CONSUMER ? fake_hb : NULL;
        f->ops.collect_topics  = fake_topics;
        f->ops.route_updated   = fake_route;
        f->ops.need_update     = fake_need;
        f->ops.do_rebalance    = fake_rebalance;
        f->ops.persist_offsets = fake_persist;
        f->ops.process_request = fake_request;
}

/* ---- fixture ---- */

typedef struct fx_s {
        rmq_mock_cluster_t *mc;
        mtc_t *admin; /* a raw client playing mqadmin */
} fx_t;

static int setup(void **state) {
        fx_t *fx  = calloc(1, sizeof(*fx));
        fx->mc    = fx_cluster(2);
        fx->admin = mtc_new();
        rmq_mock_topic_create(fx->mc, "TopicSub", -1, 4, 4);
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        fx_t *fx = *state;
        mtc_destroy(fx->admin);
        rmq_mock_cluster_destroy(fx->mc);
        free(fx);
        return 0;
}

static rmq_conf_t *instance_conf(fx_t *fx, const char *instance,
                                 const char *const *extra) {
        rmq_conf_t *conf = rmq_conf_new();
        char err[256];
        size_t i;
        rmq_conf_set(conf, "namesrvAddr", rmq_mock_cluster_namesrv_addr(fx->mc),
                     err, sizeof(err));
        rmq_conf_set(conf, "instanceName", instance, err, sizeof(err));
        rmq_conf_set(conf, "log.level", "3", err, sizeof(err));
        for (i = 0; extra && extra[i]; i += 2)
                if (rmq_conf_set(conf, extra[i], extra[i + 1], err,
                                 sizeof(err)))
                        fail_msg("conf %s: %s", extra[i], err);
        return conf;
}

/* A started instance with \p f registered; its subscribed topic's route is
 * fetched first, as a consumer's start does
 * (updateTopicSubscribeInfoWhenSubscriptionChanged), unless the test
 * leaves that to the route task (\p fetch_route false). */
static rmq_client_t *instance_start_ex(fx_t *fx, const char *instance,
                                       const char *const *extra, fake_t *f,
                                       bool fetch_route) {
        rmq_conf_t *conf = instance_conf(fx, instance, extra);
        rmq_client_t *ci = rmq__client_acquire(conf);
        char err[256];
        rmq_conf_destroy(conf);
        if (f)
                assert_int_equal(rmq__client_register(ci, f->group, &f->ops, f),
                                 RMQ_OK);
        assert_int_equal(rmq__client_start(ci, err, sizeof(err)), RMQ_OK);
        if (f && fetch_route)
                assert_int_equal(rmq__client_update_route(ci, f->topic, false,
                                                          NULL, 0, err,
                                                          sizeof(err)),
                                 RMQ_OK);
        return ci;
}

static rmq_client_t *instance_start(fx_t *fx, const char *instance,
                                    const char *const *extra, fake_t *f) {
        return instance_start_ex(fx, instance, extra, f, true);
}

static void instance_stop(rmq_client_t *ci, fake_t *f) {
        if (f)
                rmq__client_unregister(ci, f->ops.kind, f->group);
        rmq__client_release(ci);
}

typedef struct sub_wait_s {
        rmq_client_t *ci;
        const char *topic;
        size_t want;
} sub_wait_t;

static bool sub_queues_known(void *arg) {
        sub_wait_t *w = arg;
        rmq_mq_t *mqs;
        size_t n = 0;
        if (rmq__client_subscribe_queues(w->ci, w->topic, &mqs, &n))
                return false;
        rmq__mq_array_free(mqs, n);
        return n == w->want;
}

static bool member_is_in_group(rmq_mock_cluster_t *mc, const char *group,
                               const char *client_id) {
        char **ids = NULL;
        size_t n   = 0, i;
        bool found = false;
        if (rmq_mock_group_members(mc, group, -1, &ids, &n))
                return false;
        for (i = 0; i < n; i++)
                if (!strcmp(ids[i], client_id))
                        found = true;
        rmq_mock_strings_destroy(ids, n);
        return found;
}

/* ---- member interface ---- */

static void test_consumer_member_heartbeat_and_routes(void **state) {
        fx_t *fx                         = *state;
        static const char *const extra[] = {"pollNameServerInterval", "50",
                                            NULL};
        fake_t f;
        rmq_client_t *ci;
        sub_wait_t w;
        rmq_mq_t *mqs;
        size_t n, i;
        char **ids;
        char err[256];
        fake_init(&f, RMQ_MEMBER_CONSUMER, "CG_FAKE", "TopicSub");
        ci = instance_start_ex(fx, "member-hb", extra, &f, false);
        /* the route of the subscribed topic is refreshed by the route task
         * (only the consumer knows the topic) */
        w.ci    = ci;
        w.topic = "TopicSub";
        w.want  = 8;
        assert_true(rmq_test_wait_until(sub_queues_known, &w, 5000));
        assert_int_equal(rmq__client_subscribe_queues(ci, "TopicSub", &mqs, &n),
                         RMQ_OK);
        /* sorted as MessageQueue.compareTo: broker, then queue id */
        for (i = 0; i < n; i++) {
                assert_string_equal(mqs[i].brokerName,
                                    i < 4 ? "broker-a" : "broker-b");
                assert_int_equal(mqs[i].queueId, (int)(i % 4));
        }
        rmq__mq_array_free(mqs, n);
        assert_int_equal(rmq__client_subscribe_queues(ci, "Unknown", &mqs, &n),
                         RMQ_ERR__NO_ROUTE);
        /* a synchronous heartbeat carries the consumer data to both
         * brokers, so they list it in its group */
        assert_int_equal(rmq__client_heartbeat_sync(ci), 2);
        assert_true(member_is_in_group(fx->mc, "CG_FAKE", rmq__client_id(ci)));
        assert_int_equal(rmq__client_find_consumer_ids(ci, "TopicSub",
                                                       "CG_FAKE", &ids, &n, err,
                                                       sizeof(err)),
                         RMQ_OK);
        assert_int_equal(n, 1);
        assert_string_equal(ids[0], rmq__client_id(ci));
        rmq__strv_free(ids);
        /* the callouts: without a library lock, except the route update
         * ones (the route lock, as Java's lockNamesrv) */
        assert_true(atomic_load(&f.calls[CO_HB]) >= 1);
        assert_true(atomic_load(&f.calls[CO_TOPICS]) >= 1);
        assert_true(atomic_load(&f.calls[CO_ROUTE]) >= 1);
        assert_int_equal(atomic_load(&f.locks[CO_HB]), 0);
        assert_int_equal(atomic_load(&f.locks[CO_TOPICS]), 0);
        assert_int_equal(atomic_load(&f.locks[CO_ROUTE]), 1);
        instance_stop(ci, &f);
        /* unregistered: the brokers forgot it */
        assert_false(member_is_in_group(fx->mc, "CG_FAKE", "x"));
}

typedef struct calls_wait_s {
        fake_t *f;
        int which;
        int want;
} calls_wait_t;

static bool calls_reached(void *arg) {
        calls_wait_t *w = arg;
        return atomic_load(&w->f->calls[w->which]) >= w->want;
}

static void test_notify_wakes_rebalance(void **state) {
        fx_t *fx = *state;
        /* a long wait interval: only wake-ups rebalance */
        static const char *const extra[] = {
            "rocketmq.client.rebalance.waitInterval", "600000", NULL};
        fake_t f;
        rmq_client_t *ci;
        calls_wait_t w = {&f, CO_REBALANCE, 1};
        fake_init(&f, RMQ_MEMBER_CONSUMER, "CG_NOTIFY", "TopicSub");
        ci = instance_start(fx, "member-notify", extra, &f);
        assert_int_equal(rmq__client_heartbeat_sync(ci), 2);
        /* a wake-up runs a round */
        rmq__client_rebalance_now(ci);
        assert_true(rmq_test_wait_until(calls_reached, &w, 5000));
        /* so does the broker's NOTIFY_CONSUMER_IDS_CHANGED */
        w.want = atomic_load(&f.calls[CO_REBALANCE]) + 1;
        assert_int_equal(rmq_mock_group_notify_ids_changed(fx->mc, "CG_NOTIFY"),
                         RMQ_OK);
        assert_true(rmq_test_wait_until(calls_reached, &w, 5000));
        assert_int_equal(atomic_load(&f.locks[CO_REBALANCE]), 0);
        instance_stop(ci, &f);
}

typedef struct unreg_s {
        rmq_client_t *ci;
        fake_t *f;
        atomic_bool returned;
        atomic_bool returned_while_running;
} unreg_t;

static void unregister_thread(void *arg) {
        unreg_t *u = arg;
        rmq__client_unregister(u->ci, RMQ_MEMBER_CONSUMER, u->f->group);
        if (atomic_load(&u->f->in_rebalance))
                atomic_store(&u->returned_while_running, true);
        atomic_store(&u->returned, true);
}

static bool in_rebalance(void *arg) {
        return atomic_load(&((fake_t *)arg)->in_rebalance);
}

static void test_unregister_waits_for_callouts(void **state) {
        fx_t *fx = *state;
        fake_t f;
        unreg_t u;
        uv_thread_t th;
        int calls;
        memset(&u, 0, sizeof(u));
        fake_init(&f, RMQ_MEMBER_CONSUMER, "CG_UNREG", "TopicSub");
        atomic_store(&f.block_rebalance, true);
        u.ci = instance_start(fx, "member-unreg", NULL, &f);
        u.f  = &f;
        rmq__client_rebalance_now(u.ci);
        assert_true(rmq_test_wait_until(in_rebalance, &f, 5000));
        uv_thread_create(&th, unregister_thread, &u);
        /* it cannot return while the member's callout runs */
        uv_sleep(20);
        assert_false(atomic_load(&u.returned));
        atomic_store(&f.block_rebalance, false);
        uv_thread_join(&th);
        assert_false(atomic_load(&u.returned_while_running));
        calls = atomic_load(&f.calls[CO_REBALANCE]);
        rmq__client_rebalance_now(u.ci);
        rmq__client_heartbeat_now(u.ci);
        {
                /* a heartbeat answered and a rebalance round run since */
                int hb = rmq__client_heartbeat_sync(u.ci);
                assert_int_equal(hb, 2);
        }
        assert_int_equal(atomic_load(&f.calls[CO_REBALANCE]), calls);
        rmq__client_release(u.ci);
}

/* ---- broker requests ---- */

static void test_running_info_forwarded_to_member(void **state) {
        fx_t *fx = *state;
        fake_t f;
        rmq_client_t *ci;
        rmq_cmd_t *resp;
        fake_init(&f, RMQ_MEMBER_CONSUMER, "CG_RUNNING", "TopicSub");
        ci = instance_start(fx, "member-running", NULL, &f);
        assert_int_equal(rmq__client_heartbeat_sync(ci), 2);
        /* mqadmin consumerStatus: admin -> broker -> this client */
        resp =
            mtc_call(fx->admin, rmq_mock_broker_addr(fx->mc, 0),
                     mtc_req(RMQ_REQ_GET_CONSUMER_RUNNING_INFO, "consumerGroup",
                             "CG_RUNNING", "clientId", rmq__client_id(ci),
                             "jstackEnable", "false", NULL));
        assert_non_null(resp);
        assert_int_equal(resp->code, RMQ_OK);
        assert_int_equal(resp->body_len, 13);
        assert_memory_equal(resp->body, "{\"fake\":true}", 13);
        rmq__cmd_destroy(resp);
        assert_int_equal(atomic_load(&f.last_req_code),
                         RMQ_REQ_GET_CONSUMER_RUNNING_INFO);
        assert_int_equal(atomic_load(&f.locks[CO_REQUEST]), 0);
        instance_stop(ci, &f);
}

/* Every broker request code, answered as ClientRemotingProcessor answers
 * it when no member owns it. */
static void test_answers_without_member(void **state) {
        fx_t *fx         = *state;
        rmq_client_t *ci = instance_start(fx, "member-none", NULL, NULL);
        rmq_cmd_t *req, *resp;
        /* GET_CONSUMER_RUNNING_INFO, CONSUME_MESSAGE_DIRECTLY: SYSTEM_ERROR */
        req  = mtc_req(RMQ_REQ_GET_CONSUMER_RUNNING_INFO, "consumerGroup",
                       "CG_NONE", "clientId", "x", NULL);
        resp = rmq__client_answer(ci, "127.0.0.1:1", req);
        assert_non_null(resp);
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        assert_string_equal(resp->remark, "The Consumer Group <CG_NONE> not "
                                          "exist in this consumer");
        rmq__cmd_destroy(resp);
        rmq__cmd_destroy(req);
        req  = mtc_req(RMQ_REQ_CONSUME_MESSAGE_DIRECTLY, "consumerGroup",
                       "CG_NONE", NULL);
        resp = rmq__client_answer(ci, "127.0.0.1:1", req);
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        rmq__cmd_destroy(resp);
        rmq__cmd_destroy(req);
        /* GET_CONSUMER_STATUS_FROM_CLIENT: an empty status */
        req  = mtc_req(RMQ_REQ_GET_CONSUMER_STATUS_FROM_CLIENT, "group",
                       "CG_NONE", "topic", "T", NULL);
        resp = rmq__client_answer(ci, "127.0.0.1:1", req);
        assert_int_equal(resp->code, RMQ_OK);
        assert_non_null(
            strstr((const char *)resp->body, "\"messageQueueTable\":{}"));
        rmq__cmd_destroy(resp);
        rmq__cmd_destroy(req);
        /* the oneway ones: no answer */
        req = mtc_req(RMQ_REQ_RESET_CONSUMER_CLIENT_OFFSET, "group", "CG_NONE",
                      "topic", "T", "timestamp", "0", "isForce", "true", NULL);
        assert_null(rmq__client_answer(ci, "127.0.0.1:1", req));
        rmq__cmd_destroy(req);
        req = mtc_req(RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED, "consumerGroup",
                      "CG_NONE", NULL);
        assert_null(rmq__client_answer(ci, "127.0.0.1:1", req));
        rmq__cmd_destroy(req);
        req = mtc_req(RMQ_REQ_CHECK_TRANSACTION_STATE, NULL);
        assert_null(rmq__client_answer(ci, "127.0.0.1:1", req)); /* no body */
        rmq__cmd_destroy(req);
        /* a reply nobody waits for: SUCCESS, as Java */
        req  = mtc_req(RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT, "topic",
                       "DefaultCluster_REPLY_TOPIC", "queueId", "0", "sysFlag",
                       "0", "flag", "0", "bornTimestamp", "1", "storeTimestamp",
                       "2", "bornHost", "127.0.0.1:3", "storeHost",
                       "127.0.0.1:4", "properties",
                       "CORRELATION_ID\001nobody\002MSG_TYPE\001reply",
                       NULL);
        resp = rmq__client_answer(ci, "127.0.0.1:1", req);
        assert_int_equal(resp->code, RMQ_OK);
        rmq__cmd_destroy(resp);
        rmq__cmd_destroy(req);
        /* without its header (decodeCommandCustomHeader fails) */
        req  = mtc_req(RMQ_REQ_PUSH_REPLY_MESSAGE_TO_CLIENT, NULL);
        resp = rmq__client_answer(ci, "127.0.0.1:1", req);
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_ERROR);
        rmq__cmd_destroy(resp);
        rmq__cmd_destroy(req);
        rmq__client_release(ci);
}

static bool checked(void *arg) {
        return atomic_load(&((fake_t *)arg)->calls[CO_REQUEST]) >= 1;
}

/* CHECK_TRANSACTION_STATE reaches the producer of the half message's
 * PGROUP. */
static void test_check_transaction_reaches_producer(void **state) {
        fx_t *fx = *state;
        fake_t f;
        rmq_client_t *ci;
        rmq_cmd_t *req, *resp;
        char err[256];
        fake_init(&f, RMQ_MEMBER_PRODUCER, "PG_TXCHK", "TopicSub");
        ci = instance_start(fx, "member-txn", NULL, &f);
        assert_int_equal(rmq__client_heartbeat_sync(ci), 2);
        rmq_mock_cluster_set(fx->mc, "transactionTimeOut", "0", err,
                             sizeof(err));
        rmq_mock_cluster_set(fx->mc, "transactionCheckInterval", "50", err,
                             sizeof(err));
        /* a half message of PG_TXCHK, sent raw */
        req = mtc_send_req("TopicSub", 0, NULL, "half");
        rmq__cmd_ext_add(req, "i",
                         "UNIQ_KEY\001C0A80001000000000000000000AAAAAA\002"
                         "WAIT\001true\002TRAN_MSG\001true\002PGROUP\001"
                         "PG_TXCHK");
        rmq__cmd_ext_add(req, "f", "4"); /* TRANSACTION_PREPARED_TYPE */
        rmq__cmd_ext_add(req, "a", "PG_TXCHK");
        /* born a minute ago: due for a check, not past the broker's file
         * reserve time */
        rmq__cmd_ext_add_i64(req, "g", rmq__wall_ms() - 60000);
        resp = mtc_call(fx->admin, rmq_mock_broker_addr(fx->mc, 0), req);
        assert_int_equal(resp->code, RMQ_OK);
        rmq__cmd_destroy(resp);
        assert_true(rmq_test_wait_until(checked, &f, 5000));
        assert_int_equal(atomic_load(&f.last_req_code),
                         RMQ_REQ_CHECK_TRANSACTION_STATE);
        rmq_mock_cluster_set(fx->mc, "transactionCheckInterval", "60000", err,
                             sizeof(err));
        instance_stop(ci, &f);
}

/* ---- defect 1: the I/O thread and async permits ---- */

typedef struct timed_s {
        fx_async_t a;
        int64_t done_at;
} timed_t;

static void timed_cb(rmq_producer_t *prod, rmq_err_t err, const char *errstr,
                     const rmq_send_result_t *res, void *opaque) {
        timed_t *t = opaque;
        t->done_at = rmq__mono_ms();
        fx_async_cb(prod, err, errstr, res, &t->a);
}

typedef struct log_rec_s {
        uv_mutex_t lock;
        int route_timeouts;
        int max_locks;
        int route_changed, offline, ns_chosen;
} log_rec_t;

static void rec_log(rmq_log_level_t level, const char *fac,
                    const char *client_id, const char *msg, void *opaque) {
        log_rec_t *r = opaque;
        int held     = rmq__locks_held();
        (void)level;
        (void)fac;
        (void)client_id;
        uv_mutex_lock(&r->lock);
        if (held > r->max_locks)
                r->max_locks = held;
        if (strstr(msg, "code 105 ") && strstr(msg, "timed out"))
                r->route_timeouts++;
        if (strstr(msg, "route info changed"))
                r->route_changed++;
        if (strstr(msg, "is offline, remove it"))
                r->offline++;
        if (strstr(msg, "new name server is chosen"))
                r->ns_chosen++;
        uv_mutex_unlock(&r->lock);
}

static rmq_producer_t *producer_with_log(fx_t *fx, const char *group,
                                         const char *const *extra,
                                         log_rec_t *rec) {
        rmq_conf_t *conf = rmq_conf_new();
        rmq_producer_t *prod;
        char err[256];
        size_t i;
        rmq_conf_set(conf, "namesrvAddr", rmq_mock_cluster_namesrv_addr(fx->mc),
                     err, sizeof(err));
        rmq_conf_set(conf, "producerGroup", group, err, sizeof(err));
        rmq_conf_set(conf, "log.level", "7", err, sizeof(err));
        rmq_conf_set_log_cb(conf, rec_log);
        rmq_conf_set_opaque(conf, rec);
        for (i = 0; extra && extra[i]; i += 2)
                if (rmq_conf_set(conf, extra[i], extra[i + 1], err,
                                 sizeof(err)))
                        fail_msg("conf %s: %s", extra[i], err);
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        rmq_conf_destroy(conf);
        assert_int_equal(rmq_producer_start(prod, err, sizeof(err)), RMQ_OK);
        return prod;
}

/* One async permit, heartbeats and route refreshes every 300 ms, a broker
 * with a 1 s round trip: the old loop-side timers waited for the permit on
 * the loop, so responses (which give permits back) were not read: an async
 * send's callback came after ~11 s and route requests timed out. */
static void test_async_permits_do_not_stall_the_loop(void **state) {
        fx_t *fx                         = *state;
        static const char *const extra[] = {"clientAsyncSemaphoreValue",
                                            "1",
                                            "heartbeatBrokerInterval",
                                            "300",
                                            "pollNameServerInterval",
                                            "300",
                                            "sendMsgTimeout",
                                            "30000",
                                            NULL};
        log_rec_t rec;
        rmq_producer_t *prod;
        rmq_message_t *msg;
        timed_t t;
        int64_t t0;
        int mult = rmq_test_tmout_multiplier();
        char err[256];
        memset(&rec, 0, sizeof(rec));
        memset(&t, 0, sizeof(t));
        uv_mutex_init(&rec.lock);
        rmq_mock_topic_create(fx->mc, "TopicRtt", 0, 2, 2);
        prod = producer_with_log(fx, "PG_RTT", extra, &rec);
        msg  = fx_msg("TopicRtt", "x");
        /* the route first, without delay */
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         RMQ_OK);
        rmq_mock_broker_set_rtt(fx->mc, 0, 1000);
        uv_sleep(700); /* let heartbeats queue up behind the slow broker */
        t.a.expect = 1;
        t0         = rmq__mono_ms();
        assert_int_equal(rmq_producer_send_async(prod, msg, timed_cb, &t),
                         RMQ_OK);
        assert_true(rmq_test_wait_until(fx_async_done, &t.a, 30000));
        assert_int_equal(atomic_load(&t.a.ok), 1);
        /* one round trip, perhaps behind one heartbeat's: well under the
         * ~11 s of the old behaviour */
        assert_true(t.done_at - t0 < 5000 * mult);
        rmq_mock_broker_set_rtt(fx->mc, 0, 0);
        uv_mutex_lock(&rec.lock);
        assert_int_equal(rec.route_timeouts, 0);
        uv_mutex_unlock(&rec.lock);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        uv_mutex_destroy(&rec.lock);
}

/* ---- defect 4: destroy from the producer's own callback ---- */

typedef struct self_destroy_s {
        rmq_producer_t *prod;
        atomic_int calls;
} self_destroy_t;

static void destroy_in_cb(rmq_producer_t *prod, rmq_err_t err,
                          const char *errstr, const rmq_send_result_t *res,
                          void *opaque) {
        self_destroy_t *sd = opaque;
        (void)err;
        (void)errstr;
        (void)res;
        rmq_producer_destroy(prod); /* refused: still alive afterwards */
        atomic_fetch_add(&sd->calls, 1);
}

static bool sd_called(void *arg) {
        return atomic_load(&((self_destroy_t *)arg)->calls) == 1;
}

static void test_destroy_from_own_callback_refused(void **state) {
        fx_t *fx                         = *state;
        static const char *const extra[] = {"pollNameServerInterval", "20",
                                            NULL};
        log_rec_t rec;
        rmq_producer_t *prod;
        rmq_message_t *msg;
        self_destroy_t sd;
        fx_count_t cnt = {fx->mc, "TopicSelf", 2};
        char err[256];
        memset(&rec, 0, sizeof(rec));
        uv_mutex_init(&rec.lock);
        memset(&sd, 0, sizeof(sd));
        prod    = producer_with_log(fx, "PG_SELF", extra, &rec);
        sd.prod = prod;
        msg     = fx_msg("TopicSelf", "x");
        assert_int_equal(rmq_producer_send_async(prod, msg, destroy_in_cb, &sd),
                         RMQ_OK);
        assert_true(rmq_test_wait_until(sd_called, &sd, 10000));
        /* still registered and working: route timers run (every 20 ms),
         * sends work (ASan would see a use of freed memory) */
        uv_sleep(60);
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         RMQ_OK);
        assert_true(rmq_test_wait_until(fx_count_reached, &cnt, 5000));
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        uv_mutex_destroy(&rec.lock);
}

/* ---- defect 5: no log line under a library lock ---- */

static bool logged_all(void *arg) {
        log_rec_t *rec = arg;
        bool done;
        uv_mutex_lock(&rec->lock);
        done =
            rec->route_changed >= 2 && rec->offline >= 1 && rec->ns_chosen >= 1;
        uv_mutex_unlock(&rec->lock);
        return done;
}

static void test_log_never_under_library_lock(void **state) {
        fx_t *fx                         = *state;
        static const char *const extra[] = {"pollNameServerInterval",
                                            "20",
                                            "heartbeatBrokerInterval",
                                            "20",
                                            "debug",
                                            "all",
                                            NULL};
        log_rec_t rec;
        rmq_producer_t *prod;
        rmq_message_t *msg;
        char err[256];
        memset(&rec, 0, sizeof(rec));
        uv_mutex_init(&rec.lock);
        rmq_mock_topic_create(fx->mc, "TopicLog", -1, 2, 2);
        prod = producer_with_log(fx, "PG_LOG", extra, &rec);
        msg  = fx_msg("TopicLog", "x");
        assert_int_equal(rmq_producer_send(prod, msg, NULL, err, sizeof(err)),
                         RMQ_OK);
        /* a route change, then a broker leaving the routes (offline
         * cleanup), each logged */
        rmq_mock_topic_create(fx->mc, "TopicLog", -1, 3, 3);
        rmq_mock_broker_set_registered(fx->mc, 1, 0);
        assert_true(rmq_test_wait_until(logged_all, &rec, 10000));
        uv_mutex_lock(&rec.lock);
        assert_int_equal(rec.max_locks, 0);
        uv_mutex_unlock(&rec.lock);
        rmq_mock_broker_set_registered(fx->mc, 1, 1);
        rmq_message_destroy(msg);
        rmq_producer_destroy(prod);
        uv_mutex_destroy(&rec.lock);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_consumer_member_heartbeat_and_routes),
            cmocka_unit_test(test_notify_wakes_rebalance),
            cmocka_unit_test(test_unregister_waits_for_callouts),
            cmocka_unit_test(test_running_info_forwarded_to_member),
            cmocka_unit_test(test_answers_without_member),
            cmocka_unit_test(test_check_transaction_reaches_producer),
            cmocka_unit_test(test_async_permits_do_not_stall_the_loop),
            cmocka_unit_test(test_destroy_from_own_callback_refused),
            cmocka_unit_test(test_log_never_under_library_lock),
        };
        return cmocka_run_group_tests_name("client_instance", tests, setup,
                                           teardown);
}
