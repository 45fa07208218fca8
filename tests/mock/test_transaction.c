/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transactional messages against the mock cluster (which runs 4.9.8's
 * check rounds): sendMessageInTransaction with each local state, the
 * END_TRANSACTION header fields (also against the captured 4.9.8 frames
 * 056, 076 and 077), check-backs that commit, roll back, fail, answer
 * UNKNOW again up to transactionCheckMax, are slow or find the check
 * queue full, a broker that stops before END_TRANSACTION, what is
 * refused, and shutdown with checks pending.
 *
 * The END_TRANSACTION requests are captured by an RPC hook on the
 * producer's client instance (the test takes a reference to the instance
 * of the producer's clientId before the producer starts it).
 */
#include "client/rmq_client.h"
#include "client/rmq_client_int.h"
#include "common/rmq_thread.h"
#include "consumer_fixture.h"
#include "protocol/rmq_message_codec.h"
#include "remoting/rmq_remoting.h"

#define T     "TopicTx"
#define GROUP "PG_TX"
#define HALF  "RMQ_SYS_TRANS_HALF_TOPIC"
#define CMAX  "TRANS_CHECK_MAX_TIME_TOPIC"

/* ---- END_TRANSACTION capture (RPC hook) ---- */

#define CAP_MAX    64
#define CAP_FIELDS 12

typedef struct end_req_s {
        size_t n;
        char key[CAP_FIELDS][32];
        char val[CAP_FIELDS][80];
        char remark[256]; /* "" when none */
} end_req_t;

typedef struct cap_s {
        uv_mutex_t lock;
        end_req_t reqs[CAP_MAX];
        size_t n;
} cap_t;

static void cap_hook(const char *addr, rmq_cmd_t *req, void *opaque) {
        cap_t *cap = opaque;
        end_req_t *e;
        uint32_t i;
        (void)addr;
        if (req->code != RMQ_REQ_END_TRANSACTION)
                return;
        uv_mutex_lock(&cap->lock);
        if (cap->n < CAP_MAX) {
                e = &cap->reqs[cap->n++];
                memset(e, 0, sizeof(*e));
                for (i = 0; i < req->ext_cnt && i < CAP_FIELDS; i++) {
                        snprintf(e->key[i], sizeof(e->key[i]), "%s",
                                 req->ext[i].key);
                        snprintf(e->val[i], sizeof(e->val[i]), "%s",
                                 req->ext[i].val);
                }
                e->n = i;
                if (req->remark)
                        snprintf(e->remark, sizeof(e->remark), "%.*s",
                                 (int)req->remark_len, req->remark);
        }
        uv_mutex_unlock(&cap->lock);
}

/* A copy of capture \p i (the test fails if there is none). */
static end_req_t cap_get(cap_t *cap, size_t i) {
        end_req_t e;
        uv_mutex_lock(&cap->lock);
        if (i >= cap->n) {
                uv_mutex_unlock(&cap->lock);
                fail_msg("END_TRANSACTION %zu not captured", i);
        }
        e = cap->reqs[i];
        uv_mutex_unlock(&cap->lock);
        return e;
}

static size_t cap_count(cap_t *cap) {
        size_t n;
        uv_mutex_lock(&cap->lock);
        n = cap->n;
        uv_mutex_unlock(&cap->lock);
        return n;
}

typedef struct cap_want_s {
        cap_t *cap;
        size_t n;
} cap_want_t;

static bool cap_reached(void *arg) {
        cap_want_t *w = arg;
        return cap_count(w->cap) >= w->n;
}

static void cap_wait(cap_t *cap, size_t n, int ms) {
        cap_want_t w = {cap, n};
        if (!rmq_test_wait_until(cap_reached, &w, ms))
                fail_msg("%zu END_TRANSACTION requests, not %zu",
                         cap_count(cap), n);
}

/* The value of \p key in \p e, or NULL. */
static const char *ext_of(const end_req_t *e, const char *key) {
        size_t i;
        for (i = 0; i < e->n; i++)
                if (!strcmp(e->key[i], key))
                        return e->val[i];
        return NULL;
}

/* The captured request has exactly the ext keys of fixture \p prefix
 * (with its values too when \p values). */
static void assert_like_fixture(const end_req_t *e, const char *prefix,
                                bool values) {
        rmq_cmd_t *fx = rmq_test_fixture_cmd(prefix, NULL, 0);
        uint32_t i;
        assert_int_equal(fx->code, RMQ_REQ_END_TRANSACTION);
        assert_int_equal(e->n, fx->ext_cnt);
        for (i = 0; i < fx->ext_cnt; i++) {
                const char *v = ext_of(e, fx->ext[i].key);
                if (!v)
                        fail_msg("%s: no %s", prefix, fx->ext[i].key);
                if (values && strcmp(v, fx->ext[i].val))
                        fail_msg("%s: %s is %s, not %s", prefix,
                                 fx->ext[i].key, v, fx->ext[i].val);
        }
        rmq__cmd_destroy(fx);
}

/* ---- the listener ---- */

/* What the execute callback does (its arg). */
typedef struct exec_s {
        rmq_local_transaction_state_t state;
        rmq_err_t err; /* RMQ_OK or the failure to return */
        rmq_mock_cluster_t *stop_broker; /* set: stop broker 0 first */
        /* what it saw */
        int calls;
        bool tran_msg, pgroup, delay, bad_thread;
        char txid[64];
} exec_t;

/* Check callback behaviour, per test (the listener's opaque). */
typedef struct tx_s {
        rmq_mock_cluster_t *mc;
        rmq_client_t *ci;
        rmq_producer_t *prod;
        cap_t cap;
        fx_logcap_t lc;
        /* check callback: the answer by body, the n-th call (from 1) */
        uv_mutex_t lock;
        uv_cond_t cond;
        bool block;     /* the callbacks wait while this holds */
        int in_check;   /* callbacks waiting in block */
        atomic_int checks;
        atomic_int bad_thread;
        rmq_local_transaction_state_t (*answer)(struct tx_s *tx,
                                                const rmq_message_ext_t *mx,
                                                int call, rmq_err_t *errp);
        char topic_seen[128];
        char txid_seen[64];
        char times_seen[8][8]; /* TRANSACTION_CHECK_TIMES per call */
} tx_t;

/* A copy of what the check callbacks recorded (asserts run outside the
 * lock: a failing one must not leave it held for the teardown). */
typedef struct seen_s {
        char topic[128];
        char txid[64];
        char times[8][8];
} seen_t;

static seen_t tx_seen(tx_t *tx) {
        seen_t s;
        uv_mutex_lock(&tx->lock);
        memcpy(s.topic, tx->topic_seen, sizeof(s.topic));
        memcpy(s.txid, tx->txid_seen, sizeof(s.txid));
        memcpy(s.times, tx->times_seen, sizeof(s.times));
        uv_mutex_unlock(&tx->lock);
        return s;
}

static bool bad_thread(void) {
        return rmq__thread_is_io() || rmq__locks_held() != 0;
}

static rmq_err_t on_execute(rmq_producer_t *prod, const rmq_message_t *msg,
                            const char *transaction_id, void *arg,
                            rmq_local_transaction_state_t *statep,
                            char *errstr, size_t errstr_size, void *opaque) {
        exec_t *ex = arg;
        const char *v;
        (void)prod;
        (void)opaque;
        ex->calls++;
        ex->bad_thread = bad_thread();
        v              = rmq_message_property(msg, "TRAN_MSG");
        ex->tran_msg   = v && !strcmp(v, "true");
        v              = rmq_message_property(msg, "PGROUP");
        ex->pgroup     = v && !strcmp(v, GROUP);
        ex->delay      = rmq_message_property(msg, "DELAY") != NULL;
        snprintf(ex->txid, sizeof(ex->txid), "%s",
                 transaction_id ? transaction_id : "");
        if (ex->stop_broker)
                assert_int_equal(rmq_mock_broker_set_down(ex->stop_broker, 0),
                                 RMQ_OK);
        if (ex->err) {
                snprintf(errstr, errstr_size, "local database down");
                return ex->err;
        }
        *statep = ex->state;
        return RMQ_OK;
}

static rmq_err_t on_check(rmq_producer_t *prod, const rmq_message_ext_t *mx,
                          rmq_local_transaction_state_t *statep, char *errstr,
                          size_t errstr_size, void *opaque) {
        tx_t *tx = opaque;
        rmq_err_t err = RMQ_OK;
        const char *times;
        int call;
        (void)prod;
        if (bad_thread())
                atomic_fetch_add(&tx->bad_thread, 1);
        call  = atomic_fetch_add(&tx->checks, 1) + 1;
        times = rmq_message_ext_property(mx, "TRANSACTION_CHECK_TIMES");
        uv_mutex_lock(&tx->lock);
        snprintf(tx->topic_seen, sizeof(tx->topic_seen), "%s",
                 rmq_message_ext_topic(mx));
        snprintf(tx->txid_seen, sizeof(tx->txid_seen), "%s",
                 rmq_message_ext_transaction_id(mx)
                     ? rmq_message_ext_transaction_id(mx)
                     : "");
        if (call <= 8)
                snprintf(tx->times_seen[call - 1], sizeof(tx->times_seen[0]),
                         "%s", times ? times : "");
        tx->in_check++;
        uv_cond_broadcast(&tx->cond);
        while (tx->block)
                uv_cond_wait(&tx->cond, &tx->lock);
        tx->in_check--;
        uv_mutex_unlock(&tx->lock);
        *statep = tx->answer(tx, mx, call, &err);
        if (err)
                snprintf(errstr, errstr_size, "cannot reach the ledger");
        return err;
}

/* Answers by body: "commit..." commits, "rollback..." rolls back, any
 * other stays unknown. */
static rmq_local_transaction_state_t
answer_by_body(tx_t *tx, const rmq_message_ext_t *mx, int call,
               rmq_err_t *errp) {
        size_t len;
        const char *b = rmq_message_ext_body(mx, &len);
        (void)tx;
        (void)call;
        (void)errp;
        if (len >= 6 && !memcmp(b, "commit", 6))
                return RMQ_TXN_COMMIT_MESSAGE;
        if (len >= 8 && !memcmp(b, "rollback", 8))
                return RMQ_TXN_ROLLBACK_MESSAGE;
        return RMQ_TXN_UNKNOWN;
}

static rmq_local_transaction_state_t
answer_rollback(tx_t *tx, const rmq_message_ext_t *mx, int call,
                rmq_err_t *errp) {
        (void)tx;
        (void)mx;
        (void)call;
        (void)errp;
        return RMQ_TXN_ROLLBACK_MESSAGE;
}

/* ---- fixture ---- */

/* Mock options: a half message is checked in the first round after it
 * is 50 ms old; rounds every 300 ms (times the multiplier), long enough
 * for an answer to arrive before the next round asks again. */
static void fast_checks(rmq_mock_cluster_t *mc) {
        char err[128], every[24];
        snprintf(every, sizeof(every), "%d", 300 * rmq_test_tmout_multiplier());
        assert_int_equal(rmq_mock_cluster_set(mc, "transactionTimeOut", "50",
                                              err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_mock_cluster_set(mc, "transactionCheckInterval",
                                              every, err, sizeof(err)),
                         RMQ_OK);
}

static int setup(void **state) {
        tx_t *tx = calloc(1, sizeof(*tx));
        uv_mutex_init(&tx->lock);
        uv_cond_init(&tx->cond);
        uv_mutex_init(&tx->cap.lock);
        fx_logcap_init(&tx->lc, NULL, NULL);
        tx->answer = answer_by_body;
        tx->mc     = fx_cluster_topic(1, T, 2, NULL);
        fast_checks(tx->mc);
        *state     = tx;
        return 0;
}

/* Takes a reference to the client instance of \p conf's clientId and
 * starts it with the capture hook, before any member makes a request. */
static void hook_instance(tx_t *tx, const rmq_conf_t *conf) {
        char err[256];
        tx->ci = rmq__client_acquire(conf);
        if (rmq__client_start(tx->ci, err, sizeof(err)))
                fail_msg("instance start: %s", err);
        rmq__remoting_add_hook(rmq__client_remoting(tx->ci), cap_hook, NULL,
                               &tx->cap);
}

/* Creates (not starts) the producer of GROUP with the listener and
 * \p extra conf pairs; its instance carries the capture hook. */
static rmq_producer_t *tx_producer_new(tx_t *tx, const char *const *extra) {
        static atomic_int seq;
        rmq_conf_t *conf = fx_conf(tx->mc, "producerGroup", GROUP, extra);
        char inst[32];
        rmq_producer_t *prod;
        char err[512];
        snprintf(inst, sizeof(inst), "txn-%d", atomic_fetch_add(&seq, 1));
        fx_conf_set_pairs(conf,
                          (const char *const[]){"instanceName", inst, NULL});
        if (tx->lc.needle[0]) {
                fx_logcap_attach(conf, &tx->lc);
                fx_conf_set_pairs(conf, (const char *const[]){
                                            "log.level", "7", "debug",
                                            "producer", NULL});
        }
        hook_instance(tx, conf);
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        rmq_conf_destroy(conf);
        assert_int_equal(
            rmq_producer_set_transaction_listener(prod, on_execute, on_check,
                                                  tx),
            RMQ_OK);
        tx->prod = prod;
        return prod;
}

/* A started producer (tx_producer_new) whose group the broker knows
 * already: the route of T is fetched and a heartbeat sent, as the
 * periodic heartbeat (30 s) would do later. Until then the broker has no
 * channel to check with, and its rounds only count the checks (as a
 * 4.9.8 broker does). */
static rmq_producer_t *tx_producer(tx_t *tx, const char *const *extra) {
        rmq_producer_t *prod = tx_producer_new(tx, extra);
        rmq_message_queue_t **mqs;
        size_t n;
        char err[512];
        if (rmq_producer_start(prod, err, sizeof(err)))
                fail_msg("start: %s", err);
        if (rmq_producer_fetch_publish_message_queues(prod, T, &mqs, &n, err,
                                                      sizeof(err)))
                fail_msg("route: %s", err);
        rmq_message_queues_destroy(mqs, n);
        assert_int_equal(rmq__client_heartbeat_sync(tx->ci), 1);
        return prod;
}

static void tx_release(tx_t *tx) {
        uv_mutex_lock(&tx->lock);
        tx->block = false;
        uv_cond_broadcast(&tx->cond);
        uv_mutex_unlock(&tx->lock);
}

static int teardown(void **state) {
        tx_t *tx = *state;
        tx_release(tx);
        rmq_producer_destroy(tx->prod);
        if (tx->ci)
                rmq__client_release(tx->ci);
        rmq_mock_cluster_destroy(tx->mc);
        assert_int_equal(atomic_load(&tx->bad_thread), 0);
        fx_logcap_fini(&tx->lc);
        uv_mutex_destroy(&tx->cap.lock);
        uv_cond_destroy(&tx->cond);
        uv_mutex_destroy(&tx->lock);
        free(tx);
        return 0;
}

/* Sends \p body in a transaction with \p ex; the test fails on an error. */
static rmq_transaction_send_result_t *tx_send(tx_t *tx, const char *body,
                                              exec_t *ex) {
        rmq_message_t *msg = fx_msg(T, body);
        rmq_transaction_send_result_t *res = NULL;
        char err[512];
        if (rmq_producer_send_in_transaction(tx->prod, msg, ex, &res, err,
                                             sizeof(err)))
                fail_msg("send_in_transaction: %s", err);
        assert_string_equal(rmq_transaction_send_result_msg_id(res),
                            rmq_message_msg_id(msg));
        /* The caller's message is not made transactional. */
        assert_null(rmq_message_property(msg, "TRAN_MSG"));
        assert_null(rmq_message_property(msg, "PGROUP"));
        rmq_message_destroy(msg);
        return res;
}

typedef struct mock_count_s {
        rmq_mock_cluster_t *mc;
        const char *topic; /* NULL: half messages */
        int64_t want;
} mock_count_t;

static bool mock_count_is(void *arg) {
        mock_count_t *c = arg;
        int64_t n = c->topic ? rmq_mock_topic_message_count(c->mc, c->topic)
                             : rmq_mock_half_message_count(c->mc);
        return n == c->want;
}

/* Waits until \p topic (NULL: the unresolved half messages) holds
 * \p want messages. */
static void wait_mock_count(tx_t *tx, const char *topic, int64_t want,
                            int ms) {
        mock_count_t c = {tx->mc, topic, want};
        if (!rmq_test_wait_until(mock_count_is, &c, ms))
                fail_msg("%s holds %lld messages, not %lld",
                         topic ? topic : "the half list",
                         (long long)(topic ? rmq_mock_topic_message_count(
                                                 tx->mc, topic)
                                           : rmq_mock_half_message_count(
                                                 tx->mc)),
                         (long long)want);
}

typedef struct log_want_s {
        fx_logcap_t *lc;
        int i, n;
} log_want_t;

static bool log_reached(void *arg) {
        log_want_t *w = arg;
        return fx_logcap_hits(w->lc, w->i, NULL) >= w->n;
}

/* Waits until the producer logged \p n lines with needle \p i. */
static void wait_log(tx_t *tx, int i, int n) {
        log_want_t w = {&tx->lc, i, n};
        if (!rmq_test_wait_until(log_reached, &w, 10000))
                fail_msg("%d log lines with \"%s\", not %d",
                         fx_logcap_hits(&tx->lc, i, NULL), tx->lc.needle[i], n);
}

/* Waits until a check callback is blocked in tx->block. */
static bool one_in_check(void *arg) {
        tx_t *tx = arg;
        bool in;
        uv_mutex_lock(&tx->lock);
        in = tx->in_check > 0;
        uv_mutex_unlock(&tx->lock);
        return in;
}

/* ---- tests ---- */

/* COMMIT_MESSAGE: the consumer gets the message at once (its delay level
 * ignored), END_TRANSACTION carries what Java sends (fixture 056's
 * fields; the mock checks the offsets and the group). */
static void test_commit(void **state) {
        tx_t *tx = *state;
        fx_seen_t seen;
        rmq_push_consumer_t *pc;
        rmq_message_t *msg;
        rmq_transaction_send_result_t *res = NULL;
        exec_t ex = {.state = RMQ_TXN_COMMIT_MESSAGE};
        const rmq_message_queue_t *mq;
        end_req_t e;
        char err[512], num[32];
        memset(&seen, 0, sizeof(seen));
        pc = fx_consumer_run(tx->mc, "CG_TX", T, fx_from_first, fx_listener_ok,
                             &seen);
        tx_producer(tx, NULL);
        msg = fx_msg(T, "tx-0");
        /* 10 s delay level: ignored (clearProperty DELAY) */
        assert_int_equal(rmq_message_set_delay_time_level(msg, 3), RMQ_OK);
        assert_int_equal(rmq_producer_send_in_transaction(tx->prod, msg, &ex,
                                                          &res, err,
                                                          sizeof(err)),
                         RMQ_OK);
        assert_int_equal(ex.calls, 1);
        assert_false(ex.bad_thread);
        assert_true(ex.tran_msg);
        assert_true(ex.pgroup);
        assert_false(ex.delay);
        assert_string_equal(ex.txid, rmq_message_msg_id(msg));
        /* the caller's message keeps its delay level */
        assert_int_equal(rmq_message_delay_time_level(msg), 3);
        assert_int_equal(rmq_transaction_send_result_status(res), RMQ_SEND_OK);
        assert_int_equal(rmq_transaction_send_result_local_state(res),
                         RMQ_TXN_COMMIT_MESSAGE);
        assert_string_equal(rmq_transaction_send_result_msg_id(res),
                            rmq_message_msg_id(msg));
        /* a 4.9.8 broker returns no transaction id: neither does Java */
        assert_null(rmq_transaction_send_result_transaction_id(res));
        mq = rmq_transaction_send_result_message_queue(res);
        assert_string_equal(rmq_message_queue_topic(mq), T);
        fx_wait_seen(&seen, 1, 10000);
        wait_mock_count(tx, NULL, 0, 5000);
        assert_int_equal(rmq_mock_topic_message_count(tx->mc, T), 1);

        cap_wait(&tx->cap, 1, 5000);
        e = cap_get(&tx->cap, 0);
        assert_like_fixture(&e, "056-", false);
        assert_string_equal(ext_of(&e, "producerGroup"), GROUP);
        assert_string_equal(ext_of(&e, "commitOrRollback"), "8");
        assert_string_equal(ext_of(&e, "fromTransactionCheck"), "false");
        assert_string_equal(ext_of(&e, "msgId"), rmq_message_msg_id(msg));
        assert_string_equal(ext_of(&e, "bname"),
                            rmq_message_queue_broker_name(mq));
        snprintf(num, sizeof(num), "%lld",
                 (long long)rmq_transaction_send_result_queue_offset(res));
        assert_string_equal(ext_of(&e, "tranStateTableOffset"), num);
        assert_null(ext_of(&e, "transactionId"));
        assert_string_equal(e.remark, "");
        rmq_transaction_send_result_destroy(res);
        rmq_message_destroy(msg);
        rmq_push_consumer_destroy(pc);
}

/* \p res (destroyed here) says ROLLBACK_MESSAGE, the only END_TRANSACTION
 * sent says 12 (rollback), and the half message is gone without reaching
 * its topic. */
static void assert_rolled_back(tx_t *tx, rmq_transaction_send_result_t *res) {
        end_req_t e;
        assert_int_equal(rmq_transaction_send_result_local_state(res),
                         RMQ_TXN_ROLLBACK_MESSAGE);
        rmq_transaction_send_result_destroy(res);
        wait_mock_count(tx, NULL, 0, 5000);
        cap_wait(&tx->cap, 1, 5000);
        e = cap_get(&tx->cap, 0);
        assert_string_equal(ext_of(&e, "commitOrRollback"), "12");
        assert_int_equal(rmq_mock_topic_message_count(tx->mc, T), 0);
}

/* ROLLBACK_MESSAGE: the message never reaches its topic. */
static void test_rollback(void **state) {
        tx_t *tx = *state;
        exec_t ex = {.state = RMQ_TXN_ROLLBACK_MESSAGE};
        rmq_transaction_send_result_t *res;
        tx_producer(tx, NULL);
        res = tx_send(tx, "tx-rb", &ex);
        assert_rolled_back(tx, res);
        assert_int_equal(atomic_load(&tx->checks), 0);
}

/* A store status other than SEND_OK rolls back without running the local
 * transaction. */
static void test_not_send_ok_rolls_back(void **state) {
        tx_t *tx = *state;
        exec_t ex = {.state = RMQ_TXN_COMMIT_MESSAGE};
        rmq_transaction_send_result_t *res;
        tx_producer(tx, NULL);
        rmq_mock_push_request_errors(tx->mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 1,
                                     RMQ_ERR_FLUSH_DISK_TIMEOUT);
        res = tx_send(tx, "tx-flush", &ex);
        assert_int_equal(ex.calls, 0);
        assert_int_equal(rmq_transaction_send_result_status(res),
                         RMQ_FLUSH_DISK_TIMEOUT);
        assert_rolled_back(tx, res);
}

/* UNKNOW (and a failing execute callback, Java's exception) leave the half
 * message to the check-backs, which commit one and roll the other back;
 * the check's END_TRANSACTION carries fromTransactionCheck=true, the
 * transactionId of the request and no bname (fixture 077). */
static void test_unknown_then_checks(void **state) {
        tx_t *tx = *state;
        seen_t sn;
        exec_t unk = {.state = RMQ_TXN_UNKNOWN};
        exec_t boom = {.err = RMQ_ERR__FAIL};
        rmq_transaction_send_result_t *r1, *r2;
        char id1[64], id2[64];
        end_req_t e;
        size_t i, from_check = 0;
        tx_producer(tx, NULL);
        r1 = tx_send(tx, "commit-1", &unk);
        r2 = tx_send(tx, "rollback-2", &boom);
        assert_int_equal(rmq_transaction_send_result_local_state(r1),
                         RMQ_TXN_UNKNOWN);
        assert_int_equal(rmq_transaction_send_result_local_state(r2),
                         RMQ_TXN_UNKNOWN);
        snprintf(id1, sizeof(id1), "%s", rmq_transaction_send_result_msg_id(r1));
        snprintf(id2, sizeof(id2), "%s", rmq_transaction_send_result_msg_id(r2));
        rmq_transaction_send_result_destroy(r1);
        rmq_transaction_send_result_destroy(r2);
        cap_wait(&tx->cap, 2, 5000);
        e = cap_get(&tx->cap, 0);
        assert_string_equal(ext_of(&e, "commitOrRollback"), "0");
        assert_string_equal(e.remark, "");
        e = cap_get(&tx->cap, 1);
        assert_string_equal(ext_of(&e, "commitOrRollback"), "0");
        assert_string_equal(e.remark,
                            "executeLocalTransactionBranch exception: "
                            "RMQ_ERR__FAIL: local database down");

        wait_mock_count(tx, NULL, 0, 10000);
        wait_mock_count(tx, T, 1, 5000);
        cap_wait(&tx->cap, 4, 5000);
        for (i = 2; i < cap_count(&tx->cap); i++) {
                const char *id;
                e = cap_get(&tx->cap, i);
                assert_string_equal(ext_of(&e, "fromTransactionCheck"),
                                    "true");
                assert_like_fixture(&e, "077-", false);
                id = ext_of(&e, "msgId");
                assert_string_equal(ext_of(&e, "transactionId"), id);
                if (!strcmp(id, id1))
                        assert_string_equal(ext_of(&e, "commitOrRollback"),
                                            "8");
                else if (!strcmp(id, id2))
                        assert_string_equal(ext_of(&e, "commitOrRollback"),
                                            "12");
                else
                        fail_msg("check answer for %s", id);
                from_check++;
        }
        assert_true(from_check >= 2);
        sn = tx_seen(tx);
        assert_string_equal(sn.topic, T);
        assert_true(!strcmp(sn.txid, id1) || !strcmp(sn.txid, id2));
        assert_string_equal(sn.times[0], "1");
}

/* The n-th check: a failure, then UNKNOW, then COMMIT. */
static rmq_local_transaction_state_t
answer_fail_unknown_commit(tx_t *tx, const rmq_message_ext_t *mx, int call,
                           rmq_err_t *errp) {
        (void)tx;
        (void)mx;
        if (call == 1) {
                *errp = RMQ_ERR__TIMED_OUT;
                return RMQ_TXN_COMMIT_MESSAGE; /* ignored: it failed */
        }
        return call == 2 ? RMQ_TXN_UNKNOWN : RMQ_TXN_COMMIT_MESSAGE;
}

/* A check that fails answers UNKNOW with the failure in the remark; the
 * broker asks again (TRANSACTION_CHECK_TIMES 2, 3) until one commits. */
static void test_check_fails_then_commits(void **state) {
        tx_t *tx = *state;
        seen_t sn;
        exec_t unk = {.state = RMQ_TXN_UNKNOWN};
        end_req_t e;
        tx->answer = answer_fail_unknown_commit;
        tx_producer(tx, NULL);
        rmq_transaction_send_result_destroy(tx_send(tx, "tx-f", &unk));
        wait_mock_count(tx, T, 1, 10000);
        wait_mock_count(tx, NULL, 0, 5000);
        assert_int_equal(atomic_load(&tx->checks), 3);
        cap_wait(&tx->cap, 4, 5000);
        e = cap_get(&tx->cap, 1);
        assert_string_equal(ext_of(&e, "commitOrRollback"), "0");
        assert_string_equal(e.remark, "checkLocalTransactionState Exception: "
                                      "RMQ_ERR__TIMED_OUT: cannot reach the "
                                      "ledger");
        e = cap_get(&tx->cap, 2);
        assert_string_equal(ext_of(&e, "commitOrRollback"), "0");
        assert_string_equal(e.remark, "");
        e = cap_get(&tx->cap, 3);
        assert_string_equal(ext_of(&e, "commitOrRollback"), "8");
        sn = tx_seen(tx);
        assert_string_equal(sn.times[0], "1");
        assert_string_equal(sn.times[1], "2");
        assert_string_equal(sn.times[2], "3");
}

/* Always UNKNOW: checked transactionCheckMax times, then the broker moves
 * the half message to TRANS_CHECK_MAX_TIME_TOPIC. */
static void test_check_unknown_until_max(void **state) {
        tx_t *tx = *state;
        exec_t unk = {.state = RMQ_TXN_UNKNOWN};
        char err[128];
        assert_int_equal(rmq_mock_cluster_set(tx->mc, "transactionCheckMax",
                                              "3", err, sizeof(err)),
                         RMQ_OK);
        tx_producer(tx, NULL);
        rmq_transaction_send_result_destroy(tx_send(tx, "unknown-1", &unk));
        wait_mock_count(tx, CMAX, 1, 10000);
        wait_mock_count(tx, NULL, 0, 5000);
        cap_wait(&tx->cap, 4, 5000);
        assert_int_equal(atomic_load(&tx->checks), 3);
        assert_int_equal(cap_count(&tx->cap), 4);
        assert_int_equal(rmq_mock_topic_message_count(tx->mc, T), 0);
}

/* A slow check blocks neither the I/O (sends go on) nor other producers'
 * work; its answer goes out once it returns. */
static void test_slow_check(void **state) {
        tx_t *tx = *state;
        exec_t unk = {.state = RMQ_TXN_UNKNOWN};
        rmq_message_t *msg;
        end_req_t e;
        char err[512];
        tx->answer = answer_rollback;
        tx->block  = true;
        tx_producer(tx, NULL);
        rmq_transaction_send_result_destroy(tx_send(tx, "slow", &unk));
        assert_true(rmq_test_wait_until(one_in_check, tx, 10000));
        /* While the check blocks, the producer still sends. */
        msg = fx_msg(T, "plain");
        assert_int_equal(rmq_producer_send(tx->prod, msg, NULL, err,
                                           sizeof(err)),
                         RMQ_OK);
        rmq_message_destroy(msg);
        wait_mock_count(tx, T, 1, 5000);
        assert_int_equal(cap_count(&tx->cap), 1); /* no answer yet */
        tx_release(tx);
        cap_wait(&tx->cap, 2, 5000);
        wait_mock_count(tx, NULL, 0, 10000);
        e = cap_get(&tx->cap, 1);
        assert_string_equal(ext_of(&e, "commitOrRollback"), "12");
        assert_int_equal(rmq_mock_topic_message_count(tx->mc, T), 1);
}

/* checkRequestHoldMax 1 and a check that blocks: of the next checks one
 * waits, the others are dropped with a warning; all resolve once it
 * returns (the broker asks again). */
static void test_check_queue_full(void **state) {
        tx_t *tx = *state;
        exec_t unk = {.state = RMQ_TXN_UNKNOWN};
        int i;
        tx->lc.needle[0] = "the check queue is full";
        tx->answer       = answer_rollback;
        tx->block        = true;
        tx_producer(tx, (const char *const[]){"checkRequestHoldMax", "1",
                                              NULL});
        for (i = 0; i < 3; i++)
                rmq_transaction_send_result_destroy(tx_send(tx, "q", &unk));
        assert_true(rmq_test_wait_until(one_in_check, tx, 10000));
        wait_log(tx, 0, 1);
        tx_release(tx);
        wait_mock_count(tx, NULL, 0, 15000);
        assert_int_equal(rmq_mock_topic_message_count(tx->mc, T), 0);
        assert_true(fx_logcap_hits(&tx->lc, 0, NULL) >= 1);
}

/* The broker stops after storing the half message: the result still
 * comes back. END_TRANSACTION is then either lost (the broker's check
 * commits the message once it is up again) or delivered by the
 * reconnection after the restart: the message is committed exactly once
 * either way. */
static void test_broker_stops_before_end(void **state) {
        tx_t *tx = *state;
        exec_t ex = {.state = RMQ_TXN_COMMIT_MESSAGE};
        rmq_transaction_send_result_t *res;
        tx_producer(tx, (const char *const[]){"heartbeatBrokerInterval", "100",
                                              NULL});
        ex.stop_broker = tx->mc;
        res            = tx_send(tx, "commit-after-restart", &ex);
        assert_int_equal(rmq_transaction_send_result_local_state(res),
                         RMQ_TXN_COMMIT_MESSAGE);
        rmq_transaction_send_result_destroy(res);
        assert_int_equal(rmq_mock_half_message_count(tx->mc), 1);
        rmq_mock_start_request_tracking(tx->mc);
        assert_int_equal(rmq_mock_broker_set_up(tx->mc, 0), RMQ_OK);
        wait_mock_count(tx, T, 1, 15000);
        wait_mock_count(tx, NULL, 0, 5000);
        assert_int_equal(rmq_mock_topic_message_count(tx->mc, T), 1);
        if (atomic_load(&tx->checks) == 0)
                assert_true(rmq_mock_request_count(tx->mc, 0,
                                                   RMQ_REQ_END_TRANSACTION) >=
                            1);
}

/* What is refused, as Java refuses it. */
static void test_refused(void **state) {
        tx_t *tx = *state;
        rmq_producer_t *plain;
        rmq_message_t *msg = fx_msg(T, "x"), *batch[1];
        exec_t ex = {.state = RMQ_TXN_COMMIT_MESSAGE};
        rmq_transaction_send_result_t *res = (void *)1;
        rmq_send_result_t *sr = NULL;
        rmq_mock_msg_t *m;
        rmq_conf_t *conf;
        char err[512];
        /* No listener: Java's "TransactionListener is null". */
        plain = fx_producer(tx->mc, "PG_PLAIN", NULL);
        assert_int_equal(rmq_producer_send_in_transaction(plain, msg, &ex, &res,
                                                          err, sizeof(err)),
                         RMQ_ERR__STATE);
        assert_null(res);
        assert_string_equal(err, "TransactionListener is null");
        assert_int_equal(rmq_producer_set_transaction_listener(
                             plain, on_execute, on_check, tx),
                         RMQ_ERR__STATE);
        rmq_producer_destroy(plain);
        /* Bad listener arguments and executor bounds. */
        conf = fx_conf(tx->mc, "producerGroup", "PG_BAD",
                       (const char *const[]){"checkThreadPoolMinSize", "2",
                                             "checkThreadPoolMaxSize", "1",
                                             NULL});
        assert_int_equal(rmq_producer_new(&plain, conf, err, sizeof(err)),
                         RMQ_OK);
        rmq_conf_destroy(conf);
        assert_int_equal(rmq_producer_set_transaction_listener(plain, NULL,
                                                               on_check, tx),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_producer_set_transaction_listener(
                             plain, on_execute, on_check, tx),
                         RMQ_ERR__CONF_INVALID);
        rmq_producer_destroy(plain);
        /* Not started. */
        tx_producer_new(tx, NULL);
        assert_int_equal(rmq_producer_send_in_transaction(tx->prod, msg, &ex,
                                                          NULL, err,
                                                          sizeof(err)),
                         RMQ_ERR__STATE);
        if (rmq_producer_start(tx->prod, err, sizeof(err)))
                fail_msg("start: %s", err);
        /* Validation, before anything is sent. */
        assert_int_equal(rmq_producer_send_in_transaction(tx->prod, NULL, &ex,
                                                          NULL, err,
                                                          sizeof(err)),
                         RMQ_ERR_MESSAGE_ILLEGAL);
        assert_int_equal(ex.calls, 0);
        /* No transactional send to a queue or as a batch (Java has none):
         * an application cannot mark a message itself, and a message sent
         * in a transaction stays an ordinary one for those sends. */
        assert_int_equal(rmq_message_put_user_property(msg, "TRAN_MSG", "true"),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_message_put_user_property(msg, "PGROUP", GROUP),
                         RMQ_ERR__INVALID_ARG);
        rmq_transaction_send_result_destroy(tx_send(tx, "x", &ex));
        wait_mock_count(tx, T, 1, 5000);
        batch[0] = msg;
        assert_int_equal(rmq_producer_send_batch(tx->prod, batch, 1, &sr, err,
                                                 sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_mock_message_get(
                             tx->mc, T, 0,
                             rmq_message_queue_queue_id(
                                 rmq_send_result_message_queue(sr)),
                             rmq_send_result_queue_offset(sr), &m),
                         RMQ_OK);
        assert_int_equal(rmq_mock_msg_sys_flag(m) & 0xC, 0);
        assert_null(rmq_mock_msg_property(m, "TRAN_MSG"));
        rmq_mock_msg_destroy(m);
        rmq_send_result_destroy(sr);
        assert_int_equal(rmq_mock_half_message_count(tx->mc), 0);
        rmq_message_destroy(msg);
}

/* A namespaced producer: the check sees the topic without the namespace. */
static void test_namespace(void **state) {
        tx_t *tx = *state;
        seen_t sn;
        exec_t unk = {.state = RMQ_TXN_UNKNOWN};
        rmq_message_t *msg = fx_msg(T, "commit-ns");
        end_req_t e;
        char err[512];
        fx_topic(tx->mc, "NS1%" T, 2);
        tx_producer(tx, (const char *const[]){"namespace", "NS1", NULL});
        assert_int_equal(rmq_producer_send_in_transaction(tx->prod, msg, &unk,
                                                          NULL, err,
                                                          sizeof(err)),
                         RMQ_OK);
        wait_mock_count(tx, "NS1%" T, 1, 10000);
        sn = tx_seen(tx);
        assert_string_equal(sn.topic, T);
        e = cap_get(&tx->cap, 0);
        assert_string_equal(ext_of(&e, "producerGroup"), "NS1%" GROUP);
        rmq_message_destroy(msg);
}

/* The captured CHECK_TRANSACTION_STATE (076) handed to a producer of its
 * group is answered with exactly the captured END_TRANSACTION (077). */
static void test_check_fixture(void **state) {
        tx_t *tx = *state;
        seen_t sn;
        rmq_conf_t *conf;
        rmq_producer_t *prod;
        rmq_cmd_t *req;
        char err[512];
        static atomic_int seq;
        char inst[32];
        conf = fx_conf(tx->mc, "producerGroup", "PG_TX_DEMO", NULL);
        snprintf(inst, sizeof(inst), "txfx-%d", atomic_fetch_add(&seq, 1));
        fx_conf_set_pairs(conf,
                          (const char *const[]){"instanceName", inst, NULL});
        hook_instance(tx, conf);
        assert_int_equal(rmq_producer_new(&prod, conf, err, sizeof(err)),
                         RMQ_OK);
        rmq_conf_destroy(conf);
        tx->prod = prod;
        assert_int_equal(rmq_producer_set_transaction_listener(
                             prod, on_execute, on_check, tx),
                         RMQ_OK);
        tx->answer = answer_fail_unknown_commit;
        if (rmq_producer_start(prod, err, sizeof(err)))
                fail_msg("start: %s", err);
        req = rmq_test_fixture_cmd("076-", NULL, 0);
        /* calls 1 (fails) and 2 (unknown) first, then the commit of 077 */
        assert_null(rmq__client_answer(tx->ci, rmq_mock_broker_addr(tx->mc, 0),
                                       req));
        assert_null(rmq__client_answer(tx->ci, rmq_mock_broker_addr(tx->mc, 0),
                                       req));
        assert_null(rmq__client_answer(tx->ci, rmq_mock_broker_addr(tx->mc, 0),
                                       req));
        rmq__cmd_destroy(req);
        cap_wait(&tx->cap, 3, 5000);
        {
                end_req_t e = cap_get(&tx->cap, 2);
                assert_like_fixture(&e, "077-", true);
                e = cap_get(&tx->cap, 0);
                assert_string_equal(ext_of(&e, "commitOrRollback"), "0");
        }
        sn = tx_seen(tx);
        assert_string_equal(sn.topic, "TopicTx");
        assert_string_equal(sn.txid, "FD000000000000000000000000000002404F3094"
                                     "6E097EB96EE30000");
}

static void shutdown_thread(void *arg) {
        rmq_producer_shutdown(arg);
}

/* Shutdown with checks queued: they are dropped (logged), the running one
 * finishes and answers, no callback runs twice or after shutdown. */
static void test_shutdown_with_checks_pending(void **state) {
        tx_t *tx = *state;
        exec_t unk = {.state = RMQ_TXN_UNKNOWN};
        uv_thread_t th;
        end_req_t e;
        int i;
        tx->lc.needle[0] = "queued (";
        tx->lc.needle[1] = "dropped; the broker will check again";
        tx->answer       = answer_rollback;
        tx->block        = true;
        tx_producer(tx, NULL);
        for (i = 0; i < 3; i++)
                rmq_transaction_send_result_destroy(tx_send(tx, "s", &unk));
        assert_true(rmq_test_wait_until(one_in_check, tx, 10000));
        /* the first check runs (blocked), two more are queued */
        wait_log(tx, 0, 3);
        assert_int_equal(uv_thread_create(&th, shutdown_thread, tx->prod), 0);
        wait_log(tx, 1, 1);
        tx_release(tx);
        uv_thread_join(&th);
        /* the running check answered; the queued ones never ran */
        assert_int_equal(atomic_load(&tx->checks), 1);
        assert_int_equal(cap_count(&tx->cap), 4);
        e = cap_get(&tx->cap, 3);
        assert_string_equal(ext_of(&e, "fromTransactionCheck"), "true");
        rmq_producer_destroy(tx->prod);
        tx->prod = NULL;
        assert_int_equal(atomic_load(&tx->checks), 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_commit, setup, teardown),
            cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
            cmocka_unit_test_setup_teardown(test_not_send_ok_rolls_back, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_unknown_then_checks, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_check_fails_then_commits,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_check_unknown_until_max, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_slow_check, setup, teardown),
            cmocka_unit_test_setup_teardown(test_check_queue_full, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_broker_stops_before_end,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(test_namespace, setup, teardown),
            cmocka_unit_test_setup_teardown(test_check_fixture, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_shutdown_with_checks_pending,
                                            setup, teardown),
        };
        return cmocka_run_group_tests_name("transaction", tests, NULL, NULL);
}
