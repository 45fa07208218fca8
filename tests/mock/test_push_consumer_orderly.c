/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The orderly push consumer (ConsumeMessageOrderlyService, the queue
 * locks of RebalanceImpl and RebalancePushImpl) against the mock cluster:
 * what users of orderly consumption depend on. A queue is consumed only
 * while its consumer holds the queue's lock on the broker, by one
 * listener call at a time, in offset order, across lock loss, rebalances
 * and shutdown; SUSPEND_CURRENT_QUEUE_A_MOMENT, ROLLBACK and COMMIT hand
 * messages again or commit them as Java does; a queue yields after
 * maxTimeConsumeContinuously; broadcasting takes no lock.
 */
#include <inttypes.h>

#include "consumer_fixture.h"

#define TOPIC  "OrdT"
#define NQ     4   /* queues per broker */
#define MAXQ   8   /* queues tracked: broker * NQ + queue id */
#define MAXOFF 512 /* offsets tracked per queue */
#define MAXC   4   /* consumers per tracker */

/* ---- helpers ---- */

/* A mock cluster with \p brokers brokers and TOPIC (NQ queues) on each;
 * \p opts: NULL-terminated name, value pairs for rmq_mock_cluster_set. */
static rmq_mock_cluster_t *cluster(int brokers, const char *const *opts) {
        return fx_cluster_topic(brokers, TOPIC, NQ, opts);
}

/* Sends "<prefix>-<i>" for i in [from, from + n) to queue \p qid of
 * broker \p broker, waiting for each. */
static void send_q(rmq_producer_t *prod, rmq_mock_cluster_t *mc, int broker,
                   int qid, const char *prefix, int from, int n) {
        rmq_message_queue_t *mq =
            rmq_message_queue_new(TOPIC, rmq_mock_broker_name(mc, broker), qid);
        char body[64], err[512];
        int i;
        assert_non_null(mq);
        for (i = from; i < from + n; i++) {
                rmq_message_t *msg;
                snprintf(body, sizeof(body), "%s-%d", prefix, i);
                msg = fx_msg(TOPIC, body);
                if (rmq_producer_send_to_queue(prod, msg, mq, NULL, err,
                                               sizeof(err)))
                        fail_msg("send %s to queue %d: %s", body, qid, err);
                rmq_message_destroy(msg);
        }
        rmq_message_queue_destroy(mq);
}

/* An orderly consumer of \p group subscribed to TOPIC, started. */
static rmq_push_consumer_t *ord_consumer(rmq_mock_cluster_t *mc,
                                         const char *group,
                                         rmq_listener_orderly_cb_t *cb,
                                         void *opaque,
                                         const char *const *extra) {
        return fx_consumer_run_orderly(mc, group, TOPIC, extra, cb, opaque);
}

/* The index of broker \p name in the cluster, or -1. */
static int broker_index(rmq_mock_cluster_t *mc, const char *name) {
        int b;
        for (b = 0; b < rmq_mock_cluster_broker_cnt(mc); b++)
                if (!strcmp(rmq_mock_broker_name(mc, b), name))
                        return b;
        return -1;
}

/* Requests with \p code received by any broker since tracking started. */
static size_t req_count(rmq_mock_cluster_t *mc, int code) {
        return rmq_mock_request_count(mc, -1, code);
}

/* Every broker answers LOCK_BATCH_MQ with SYSTEM_ERROR (the next 10000
 * requests: until rmq_mock_clear_request_errors()). */
static void fail_locks(rmq_mock_cluster_t *mc) {
        static int errs[10000];
        size_t i;
        for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
                errs[i] = RMQ_ERR_SYSTEM_ERROR;
        rmq_mock_push_request_errors_array(mc, -1, RMQ_REQ_LOCK_BATCH_MQ,
                                           sizeof(errs) / sizeof(errs[0]),
                                           errs);
}

/* ---- a tracker of orderly listener calls, over several consumers ---- */

typedef struct trk_s {
        rmq_mock_cluster_t *mc;
        const char *group;
        bool check_lock; /* clustering: the caller must hold the lock */
        int work_ms;     /* time a call takes */
        uv_mutex_t mu;
        /* under mu */
        int64_t last[MAXQ];   /* last offset consumed, any consumer */
        int owner[MAXQ];      /* consumer of the last call, -1 none */
        int switches;         /* calls of a queue by another consumer */
        int replays;          /* offsets handed again (after the queue was given
                               * away: the message being consumed then is not
                               * committed) */
        int gaps;             /* offsets skipped */
        char first_miss[512]; /* the first call without the lock */
        uint8_t seen[MAXQ][MAXOFF];
        /* atomics */
        atomic_int busy[MAXQ];
        atomic_int overlap;      /* two calls of one queue at once */
        atomic_int lock_missing; /* a call without the broker lock */
        atomic_int bad_queue;    /* a call for a queue not of TOPIC */
        atomic_int calls;
        atomic_int distinct;
        atomic_int per_cons[MAXC];
        atomic_int per_cons_q[MAXC][MAXQ];
        int want; /* distinct messages to wait for */
} trk_t;

/* What a consumer's listener gets as opaque. */
typedef struct cons_s {
        trk_t *t;
        int id;
} cons_t;

static trk_t *trk_new(rmq_mock_cluster_t *mc, const char *group,
                      bool check_lock) {
        trk_t *t = calloc(1, sizeof(*t));
        int q;
        t->mc         = mc;
        t->group      = group;
        t->check_lock = check_lock;
        uv_mutex_init(&t->mu);
        for (q = 0; q < MAXQ; q++) {
                t->last[q]  = -1;
                t->owner[q] = -1;
        }
        return t;
}

static void trk_free(trk_t *t) {
        uv_mutex_destroy(&t->mu);
        free(t);
}

/* The tracked queue index of \p mq. */
static int trk_qkey(trk_t *t, const rmq_message_queue_t *mq) {
        int b = broker_index(t->mc, rmq_message_queue_broker_name(mq));
        int q = rmq_message_queue_queue_id(mq);
        if (b < 0 || q < 0 || q >= NQ || b * NQ + q >= MAXQ) {
                atomic_fetch_add(&t->bad_queue, 1); /* (a library thread) */
                return 0;
        }
        return b * NQ + q;
}

/* 1 if the caller holds \p mq's lock on its broker now; if not, what
 * the broker says goes to \p why (may be NULL). */
static bool holds_lock(trk_t *t, rmq_push_consumer_t *pc,
                       const rmq_message_queue_t *mq, char *why,
                       size_t why_size) {
        char owner[256];
        const char *me = rmq_push_consumer_client_id(pc);
        int b          = broker_index(t->mc, rmq_message_queue_broker_name(mq));
        int q          = rmq_message_queue_queue_id(mq);
        if (!rmq_mock_queue_lock_owner(t->mc, t->group, TOPIC, b, q, owner,
                                       sizeof(owner)))
                snprintf(owner, sizeof(owner), "(nobody)");
        else if (me && !strcmp(owner, me))
                return true;
        if (why)
                snprintf(why, why_size,
                         "%s called for queue %d:%d locked by %s",
                         me ? me : "(no client id)", b, q, owner);
        return false;
}

/* Records one listener call of consumer \p c: order per queue across
 * consumers (a consumer that takes a queue over may hand again what the
 * last one consumed but did not commit, never skip), one call at a time
 * per queue, the broker lock held. */
static void trk_enter(cons_t *c, rmq_push_consumer_t *pc,
                      const rmq_message_ext_t *const *msgs, size_t n,
                      const rmq_message_queue_t *mq) {
        trk_t *t = c->t;
        int qk   = trk_qkey(t, mq);
        size_t i;
        if (atomic_fetch_add(&t->busy[qk], 1) != 0)
                atomic_fetch_add(&t->overlap, 1);
        if (t->check_lock) {
                char why[400];
                if (!holds_lock(t, pc, mq, why, sizeof(why)) &&
                    atomic_fetch_add(&t->lock_missing, 1) == 0) {
                        uv_mutex_lock(&t->mu);
                        snprintf(t->first_miss, sizeof(t->first_miss),
                                 "%s, offset %" PRId64, why,
                                 rmq_message_ext_queue_offset(msgs[0]));
                        uv_mutex_unlock(&t->mu);
                }
        }
        atomic_fetch_add(&t->calls, 1);
        uv_mutex_lock(&t->mu);
        for (i = 0; i < n; i++) {
                int64_t off = rmq_message_ext_queue_offset(msgs[i]);
                if (t->owner[qk] != -1 && t->owner[qk] != c->id)
                        t->switches++;
                if (off > t->last[qk] + 1)
                        t->gaps++;
                else if (off <= t->last[qk])
                        t->replays += (int)(t->last[qk] + 1 - off);
                t->owner[qk] = c->id;
                t->last[qk]  = off;
                if (off >= 0 && off < MAXOFF && !t->seen[qk][off]) {
                        t->seen[qk][off] = 1;
                        atomic_fetch_add(&t->distinct, 1);
                }
                atomic_fetch_add(&t->per_cons[c->id], 1);
                atomic_fetch_add(&t->per_cons_q[c->id][qk], 1);
        }
        uv_mutex_unlock(&t->mu);
}

static void trk_leave(cons_t *c, const rmq_message_queue_t *mq) {
        atomic_fetch_sub(&c->t->busy[trk_qkey(c->t, mq)], 1);
}

/* Consumes (work_ms per call) and succeeds. */
static rmq_consume_orderly_status_t
trk_listener(rmq_push_consumer_t *pc, const rmq_message_ext_t *const *msgs,
             size_t n, rmq_consume_orderly_context_t *ctx, void *opaque) {
        cons_t *c = opaque;
        const rmq_message_queue_t *mq =
            rmq_consume_orderly_context_message_queue(ctx);
        trk_enter(c, pc, msgs, n, mq);
        if (c->t->work_ms)
                rmq_test_sleep_ms(c->t->work_ms);
        trk_leave(c, mq);
        return RMQ_ORDERLY_SUCCESS;
}

static bool trk_all(void *arg) {
        trk_t *t = arg;
        return atomic_load(&t->distinct) >= t->want;
}

/* Every offset of [0, per_queue) of the first \p queues queues seen. */
static void trk_assert_complete(trk_t *t, int queues, int per_queue) {
        int q, o;
        for (q = 0; q < queues; q++)
                for (o = 0; o < per_queue; o++)
                        if (!t->seen[q][o])
                                fail_msg("queue %d offset %d never consumed", q,
                                         o);
}

/* The invariants every orderly test checks; at most \p max_replays
 * offsets handed again. */
static void trk_assert_clean(trk_t *t, int max_replays) {
        assert_int_equal(atomic_load(&t->bad_queue), 0);
        assert_int_equal(atomic_load(&t->overlap), 0);
        if (atomic_load(&t->lock_missing))
                fail_msg("%d calls without the broker lock, first: %s",
                         atomic_load(&t->lock_missing), t->first_miss);
        assert_int_equal(t->gaps, 0);
        if (t->replays > max_replays)
                fail_msg("%d offsets handed again, at most %d expected",
                         t->replays, max_replays);
}

typedef struct owner_wait_s {
        rmq_mock_cluster_t *mc;
        const char *group;
        int broker;
        int from, to;    /* queue ids [from, to) */
        const char *who; /* client id, or NULL: no owner at all */
} owner_wait_t;

static owner_wait_t owned_by(rmq_mock_cluster_t *mc, const char *group,
                             int broker, int from, int to, const char *who) {
        owner_wait_t w = {mc, group, broker, from, to, who};
        return w;
}

/* Every queue of [from, to) is locked by \p who (or, with who NULL,
 * by nobody). */
static bool owners_are(void *arg) {
        owner_wait_t *w = arg;
        char owner[256];
        int q;
        for (q = w->from; q < w->to; q++) {
                int has = rmq_mock_queue_lock_owner(
                    w->mc, w->group, TOPIC, w->broker, q, owner, sizeof(owner));
                if (w->who ? !has || strcmp(owner, w->who) : has)
                        return false;
        }
        return true;
}

/* ---- 1. lock loss and recovery ---- */

/* What every lock test sets: consumption from the first offset, pulls
 * retried 100 ms after an error, and the injected errors not logged. */
#define LOCK_TEST_PAIRS                                                        \
        FX_FROM_FIRST, "pullTimeDelayMillsWhenException", "100", "log.level",  \
            "2"

/* Once the brokers lock again: the consumer of \p t consumes the
 * \p per_queue messages of each queue, in order, with the lock, and is
 * shut down. */
static void locks_back(rmq_mock_cluster_t *mc, rmq_push_consumer_t *pc,
                       trk_t *t, int per_queue) {
        rmq_mock_clear_request_errors(mc);
        t->want = NQ * per_queue;
        assert_true(rmq_test_wait_until(trk_all, t, 15000));
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        trk_assert_clean(t, 0);
        trk_assert_complete(t, NQ, per_queue);
        assert_int_equal(atomic_load(&t->calls), NQ * per_queue);
}

/* LOCK_BATCH_MQ fails from the start: the rebalance takes no queue (Java
 * updateProcessQueueTableInRebalance skips a queue it cannot lock), so
 * nothing is pulled or consumed; once the broker answers again, the next
 * rebalance locks the queues and every message is consumed in order. */
static void test_lock_refused_nothing_consumed(void **state) {
        rmq_mock_cluster_t *mc = cluster(1, NULL);
        rmq_producer_t *prod   = fx_producer(mc, "GOrdProd", NULL);
        trk_t *t               = trk_new(mc, "GOrdLockFail", true);
        cons_t c               = {t, 0};
        owner_wait_t nobody    = {mc, "GOrdLockFail", 0, 0, NQ, NULL};
        const char *extra[]    = {LOCK_TEST_PAIRS,
                                  "rocketmq.client.rebalance.waitInterval",
                                  "100", /* rebalance rounds */
                                  "rocketmq.client.rebalance.lockInterval",
                                  "100",
                                  NULL};
        rmq_push_consumer_t *pc;
        int q;
        (void)state;
        for (q = 0; q < NQ; q++)
                send_q(prod, mc, 0, q, "l", 0, 10);
        fail_locks(mc);
        rmq_mock_start_request_tracking(mc);
        pc = ord_consumer(mc, t->group, trk_listener, &c, extra);
        /* several rebalance rounds, each trying every queue */
        fx_wait_more_requests(mc, RMQ_REQ_LOCK_BATCH_MQ, 3 * NQ);
        assert_int_equal(atomic_load(&t->calls), 0);
        assert_int_equal(req_count(mc, RMQ_REQ_PULL_MESSAGE), 0);
        assert_true(owners_are(&nobody));

        locks_back(mc, pc, t, 10);
        assert_int_equal(fx_committed_sum(mc, t->group, TOPIC, NQ), NQ * 10);
        fx_destroy(pc, prod, mc);
        trk_free(t);
}

/* The lock renewals (lockMQPeriodically) fail after every message was
 * consumed once; then \p broker_expires: the broker's lock expires (its
 * lockExpiry short), else it stays. Once the last successful lock is older
 * than rocketmq.client.rebalance.lockMaxLiveTime the consumer stops
 * consuming (ProcessQueue.isLockExpired): new messages are pulled (the
 * queues still count as locked) but the listener is not called, while the
 * consumer keeps trying to lock. When LOCK_BATCH_MQ works again the
 * queues are locked again and consumption resumes where it stopped. */
static void lock_renewals_fail(const char *group, bool broker_expires) {
        static const char *const expiry[] = {"lockExpiry", "1000", NULL};
        rmq_mock_cluster_t *mc = cluster(1, broker_expires ? expiry : NULL);
        rmq_producer_t *prod   = fx_producer(mc, "GOrdProd", NULL);
        trk_t *t               = trk_new(mc, group, true);
        cons_t c               = {t, 0};
        owner_wait_t nobody    = {mc, group, 0, 0, NQ, NULL};
        const char *extra[]    = {LOCK_TEST_PAIRS,
                                  "rocketmq.client.rebalance.lockInterval",
                                  "50",
                                  "rocketmq.client.rebalance.lockMaxLiveTime",
                                  "500",
                                  NULL};
        const char *prefix     = broker_expires ? "e" : "a";
        owner_wait_t owners;
        rmq_push_consumer_t *pc;
        int q, calls;
        for (q = 0; q < NQ; q++)
                send_q(prod, mc, 0, q, prefix, 0, 10);
        rmq_mock_start_request_tracking(mc);
        pc      = ord_consumer(mc, t->group, trk_listener, &c, extra);
        t->want = NQ * 10;
        assert_true(rmq_test_wait_until(trk_all, t, 15000));

        fail_locks(mc);
        if (broker_expires)
                /* the broker forgets the locks */
                assert_true(rmq_test_wait_until(owners_are, &nobody, 10000));
        else
                /* 20 rounds of 50 ms: twice lockMaxLiveTime */
                fx_wait_more_requests(mc, RMQ_REQ_LOCK_BATCH_MQ, 20);
        calls = atomic_load(&t->calls);
        for (q = 0; q < NQ; q++)
                send_q(prod, mc, 0, q, prefix, 10, 10);
        fx_wait_more_requests(mc, RMQ_REQ_LOCK_BATCH_MQ, 10);
        assert_int_equal(atomic_load(&t->calls), calls);
        /* the broker's own lockExpiry is 60 s */
        owners = broker_expires ? nobody
                                : owned_by(mc, t->group, 0, 0, NQ,
                                           rmq_push_consumer_client_id(pc));
        assert_true(owners_are(&owners));

        locks_back(mc, pc, t, 20);
        if (!broker_expires)
                assert_int_equal(fx_committed_sum(mc, t->group, TOPIC, NQ),
                                 NQ * 20);
        fx_destroy(pc, prod, mc);
        trk_free(t);
}

/* The renewal fails: the consumer stops consuming although the broker
 * still holds the lock, and resumes where it stopped. */
static void test_lock_renewal_fails_consumption_pauses(void **state) {
        (void)state;
        lock_renewals_fail("GOrdRenew", false);
}

/* The broker's lock expires while renewals fail: the consumer
 * (lockMaxLiveTime shorter than the broker's expiry) never calls the
 * listener without the broker lock, and takes the queues again when the
 * broker answers. */
static void test_broker_lock_expired_no_consumption(void **state) {
        (void)state;
        lock_renewals_fail("GOrdExpire", true);
}

/* ---- 2. two consumers of one group ---- */

typedef struct at_least_s {
        atomic_int *v;
        int want;
} at_least_t;

static bool at_least(void *arg) {
        at_least_t *a = arg;
        return atomic_load(a->v) >= a->want;
}

/* Consumer \p name of the handover test: rebalances and lock renewals
 * every 200 ms, a queue given away unlocked 100 ms later. */
#define HANDOVER_PAIRS(name)                                                   \
        FX_FROM_FIRST, "instanceName", (name),                                 \
            "rocketmq.client.rebalance.waitInterval", "200",                   \
            "rocketmq.client.rebalance.lockInterval", "200",                   \
            "rocketmq.client.unlockDelayTimeMills", "100",                     \
            "pullTimeDelayMillsWhenException", "100"

/* A consumes alone; B joins: A gives B half of the queues (the queue
 * unlocked on removal, UNLOCK_BATCH_MQ, after unlockDelayTimeMills when
 * messages were still pending) and B locks them; B leaves: its shutdown
 * unlocks them and A takes them back. No queue is ever in two listener
 * calls at once, every call holds the broker lock, and per queue the
 * offsets run in order across the owners (the new owner may hand again
 * the one message the old one was consuming, never skip one). */
static void test_two_consumers_handover(void **state) {
        rmq_mock_cluster_t *mc = cluster(1, NULL);
        rmq_producer_t *prod   = fx_producer(mc, "GOrdProd", NULL);
        trk_t *t               = trk_new(mc, "GOrdTwo", true);
        cons_t ca = {t, 0}, cb = {t, 1};
        const char *ea[] = {HANDOVER_PAIRS("ordA"), NULL};
        const char *eb[] = {HANDOVER_PAIRS("ordB"), NULL};
        rmq_push_consumer_t *pa, *pb;
        owner_wait_t b_owns, a_owns;
        at_least_t a_started = {&t->per_cons[0], 10};
        at_least_t b_working;
        int q, b_half;
        (void)state;
        t->work_ms = 3;
        for (q = 0; q < NQ; q++)
                send_q(prod, mc, 0, q, "t", 0, 100);
        rmq_mock_start_request_tracking(mc);
        pa = ord_consumer(mc, t->group, trk_listener, &ca, ea);
        assert_true(rmq_test_wait_until(at_least, &a_started, 10000));

        /* B joins; AVG gives the first client id ("...@ordA") queues 0-1,
         * B 2-3; the broker's lockExpiry is 60 s, so B gets them only
         * through A's unlock */
        pb     = ord_consumer(mc, t->group, trk_listener, &cb, eb);
        b_owns = owned_by(mc, t->group, 0, NQ / 2, NQ,
                          rmq_push_consumer_client_id(pb));
        assert_true(rmq_test_wait_until(owners_are, &b_owns, 15000));
        assert_true(req_count(mc, RMQ_REQ_UNLOCK_BATCH_MQ) >= 1);
        for (q = 0; q < NQ; q++)
                send_q(prod, mc, 0, q, "t", 100, 50);
        b_working = (at_least_t){&t->per_cons[1], 20};
        assert_true(rmq_test_wait_until(at_least, &b_working, 15000));

        /* B leaves: its queues go back to A */
        assert_int_equal(rmq_push_consumer_shutdown(pb), RMQ_OK);
        for (q = 0; q < NQ; q++)
                send_q(prod, mc, 0, q, "t", 150, 50);
        a_owns =
            owned_by(mc, t->group, 0, 0, NQ, rmq_push_consumer_client_id(pa));
        assert_true(rmq_test_wait_until(owners_are, &a_owns, 15000));
        t->want = NQ * 200;
        assert_true(rmq_test_wait_until(trk_all, t, 15000));
        assert_int_equal(rmq_push_consumer_shutdown(pa), RMQ_OK);

        /* each handover hands again at most the message in flight */
        trk_assert_clean(t, t->switches);
        trk_assert_complete(t, NQ, 200);
        /* B consumed only its half, A had every queue at some time */
        b_half = 0;
        for (q = 0; q < NQ; q++) {
                if (q < NQ / 2)
                        assert_int_equal(atomic_load(&t->per_cons_q[1][q]), 0);
                else
                        b_half += atomic_load(&t->per_cons_q[1][q]);
                assert_true(atomic_load(&t->per_cons_q[0][q]) > 0);
        }
        assert_true(b_half >= 20);
        assert_true(t->switches >= NQ / 2);
        assert_int_equal(fx_committed_sum(mc, t->group, TOPIC, NQ), NQ * 200);
        rmq_push_consumer_destroy(pb);
        fx_destroy(pa, prod, mc);
        trk_free(t);
}

typedef struct each_q_s {
        trk_t *t;
        int cons;
} each_q_t;

/* Consumer \p cons consumed from every queue. */
static bool consumed_each_queue(void *arg) {
        each_q_t *e = arg;
        int q;
        for (q = 0; q < NQ; q++)
                if (atomic_load(&e->t->per_cons_q[e->cons][q]) == 0)
                        return false;
        return true;
}

/* A queue given away while messages were pending is unlocked only after
 * unlockDelayTimeMills; when the rebalance gives it back before that (the
 * other consumer left at once), the delayed unlock must not release the
 * lock the consumer holds again: with nobody holding it, another
 * consumer could lock the queue and consume it at the same time. */
static void test_queue_back_within_unlock_delay(void **state) {
        rmq_mock_cluster_t *mc = cluster(1, NULL);
        rmq_producer_t *prod   = fx_producer(mc, "GOrdProd", NULL);
        trk_t *t               = trk_new(mc, "GOrdBack", true);
        cons_t ca = {t, 0}, cb = {t, 1};
        const char *ea[] = {FX_FROM_FIRST, "instanceName", "backA",
                            /* a queue given away unlocked 500 ms later;
                             * no periodic commit meanwhile */
                            "rocketmq.client.unlockDelayTimeMills", "500",
                            "persistConsumerOffsetInterval", "60000", NULL};
        const char *eb[] = {FX_FROM_FIRST, "instanceName", "backB", NULL};
        each_q_t a_each  = {t, 0};
        owner_wait_t a_owns;
        rmq_push_consumer_t *pa, *pb;
        int q;
        (void)state;
        t->work_ms = 5;
        for (q = 0; q < NQ; q++)
                send_q(prod, mc, 0, q, "k", 0, 300);
        pa = ord_consumer(mc, t->group, trk_listener, &ca, ea);
        /* an offset to persist on every queue */
        assert_true(rmq_test_wait_until(consumed_each_queue, &a_each, 10000));
        rmq_mock_start_request_tracking(mc);
        /* B joins: A gives queues 2 and 3 away (offsets persisted), their
         * unlock delayed since messages are pending; B leaves at once and
         * A takes them back */
        pb = ord_consumer(mc, t->group, trk_listener, &cb, eb);
        fx_wait_more_requests(mc, RMQ_REQ_UPDATE_CONSUMER_OFFSET, NQ / 2);
        assert_int_equal(rmq_push_consumer_shutdown(pb), RMQ_OK);
        /* the delay passes (a timeout: time must pass) */
        rmq_test_sleep_ms(500 + 300);
        /* A holds every lock (the next renewal is 20 s away) */
        a_owns =
            owned_by(mc, t->group, 0, 0, NQ, rmq_push_consumer_client_id(pa));
        assert_true(rmq_test_wait_until(owners_are, &a_owns, 5000));
        t->want = NQ * 300;
        assert_true(rmq_test_wait_until(trk_all, t, 15000));
        assert_true(owners_are(&a_owns));
        assert_int_equal(rmq_push_consumer_shutdown(pa), RMQ_OK);
        /* queues 2 and 3 may hand again the message being consumed when
         * they were given away */
        trk_assert_clean(t, NQ / 2);
        trk_assert_complete(t, NQ, 300);
        assert_int_equal(atomic_load(&t->per_cons[1]), 0);
        rmq_push_consumer_destroy(pb);
        fx_destroy(pa, prod, mc);
        trk_free(t);
}

/* ---- 3. SUSPEND_CURRENT_QUEUE_A_MOMENT ---- */

#define SUSP_N   10
#define SUSP_MS  200
#define SUSP_SEQ 64
#define POISON   3 /* always suspended: to the DLQ after maxReconsumeTimes */
#define FLAKY    6 /* suspended once */

typedef struct susp_s {
        atomic_int seq_len;
        int seq[SUSP_SEQ];   /* body indexes in call order */
        int times[SUSP_SEQ]; /* their reconsumeTimes */
        uint64_t at[SUSP_SEQ];
        atomic_int bad_queue;
        atomic_int done; /* the last message consumed */
} susp_t;

static rmq_consume_orderly_status_t
susp_listener(rmq_push_consumer_t *pc, const rmq_message_ext_t *const *msgs,
              size_t n, rmq_consume_orderly_context_t *ctx, void *opaque) {
        susp_t *s = opaque;
        int idx, times, k;
        (void)pc;
        if (n != 1 || rmq_message_queue_queue_id(
                          rmq_consume_orderly_context_message_queue(ctx)) != 0)
                atomic_fetch_add(&s->bad_queue, 1);
        idx   = fx_body_index(msgs[0]);
        times = rmq_message_ext_reconsume_times(msgs[0]);
        k     = atomic_fetch_add(&s->seq_len, 1);
        if (k < SUSP_SEQ) {
                s->seq[k]   = idx;
                s->times[k] = times;
                s->at[k]    = uv_hrtime();
        }
        if (idx == POISON || (idx == FLAKY && times == 0)) {
                rmq_consume_orderly_context_set_suspend_time_millis(ctx,
                                                                    SUSP_MS);
                return RMQ_ORDERLY_SUSPEND_CURRENT_QUEUE_A_MOMENT;
        }
        if (idx == SUSP_N - 1)
                atomic_store(&s->done, 1);
        return RMQ_ORDERLY_SUCCESS;
}

static bool dlq_has_one(void *arg) {
        return rmq_mock_topic_message_count(arg, "%DLQ%GOrdSusp") >= 1;
}

/* A suspended message comes again after the context's suspend time with
 * reconsumeTimes + 1; after maxReconsumeTimes it goes to the retry topic
 * (which the broker turns into the DLQ) and the queue moves on; the
 * messages after it keep their order and are consumed once. */
static void test_suspend_reconsume_then_dlq(void **state) {
        rmq_mock_cluster_t *mc      = cluster(1, fx_fast_delays);
        rmq_producer_t *prod        = fx_producer(mc, "GOrdProd", NULL);
        susp_t *s                   = calloc(1, sizeof(*s));
        static const int want_seq[] = {
            0, 1, 2, POISON, POISON, POISON, 4, 5, FLAKY, FLAKY, 7, 8, 9};
        static const int want_times[] = {0, 0, 0, 0, 1, 2, 0, 0, 0, 1, 0, 0, 0};
        const size_t want_n           = sizeof(want_seq) / sizeof(want_seq[0]);
        rmq_push_consumer_t *pc;
        const char *extra[] = {FX_FROM_FIRST,
                               /* POISON to the DLQ on its third call */
                               "maxReconsumeTimes", "2",
                               "suspendCurrentQueueTimeMillis", "20000", NULL};
        rmq_mock_msg_t *m   = NULL;
        const void *body;
        size_t i, len;
        (void)state;
        send_q(prod, mc, 0, 0, "s", 0, SUSP_N);
        pc = ord_consumer(mc, "GOrdSusp", susp_listener, s, extra);
        assert_true(rmq_test_wait_until(fx_flag_set, &s->done, 15000));
        assert_true(rmq_test_wait_until(dlq_has_one, mc, 10000));
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);

        assert_int_equal(atomic_load(&s->bad_queue), 0);
        assert_int_equal(atomic_load(&s->seq_len), (int)want_n);
        for (i = 0; i < want_n; i++) {
                if (s->seq[i] != want_seq[i] || s->times[i] != want_times[i])
                        fail_msg("call %zu: message %d (reconsumeTimes %d), "
                                 "expected %d (%d)",
                                 i, s->seq[i], s->times[i], want_seq[i],
                                 want_times[i]);
                /* a redelivery waits the context's suspend time, not the
                 * consumer's suspendCurrentQueueTimeMillis */
                if (i > 0 && s->seq[i] == s->seq[i - 1]) {
                        uint64_t ms = (s->at[i] - s->at[i - 1]) / 1000000u;
                        if (ms < SUSP_MS - 20 || ms >= 10000)
                                fail_msg("redelivery of %d after %" PRIu64
                                         " ms",
                                         s->seq[i], ms);
                }
        }
        /* the poison message: in the DLQ, nothing left in the retry topic */
        assert_int_equal(rmq_mock_topic_message_count(mc, "%DLQ%GOrdSusp"), 1);
        assert_int_equal(rmq_mock_topic_message_count(mc, "%RETRY%GOrdSusp"),
                         0);
        assert_int_equal(rmq_mock_message_get(mc, "%DLQ%GOrdSusp", 0, 0, 0, &m),
                         RMQ_OK);
        body = rmq_mock_msg_body(m, &len);
        assert_int_equal(len, 3);
        assert_memory_equal(body, "s-3", 3);
        assert_string_equal(rmq_mock_msg_property(m, "RETRY_TOPIC"), TOPIC);
        rmq_mock_msg_destroy(m);
        /* the queue moved past it */
        assert_int_equal(rmq_mock_committed_offset(mc, "GOrdSusp", TOPIC, 0, 0),
                         SUSP_N);
        fx_destroy(pc, prod, mc);
        free(s);
}

/* ---- 4. autoCommit false ---- */

#define TXN_N 10

typedef struct txn_s {
        atomic_int seq_len;
        int seq[SUSP_SEQ];
        atomic_int rolled_back;
        atomic_int done;
        bool commit_all; /* the second run */
} txn_t;

/* First run: SUCCESS for 0 and 1, COMMIT at 2 (commits 0-2), SUCCESS for
 * 3, ROLLBACK at 4 once (3 and 4 come again), then COMMIT at 4, SUCCESS
 * for 5-9 (never committed). Second run: COMMIT each. */
static rmq_consume_orderly_status_t
txn_listener(rmq_push_consumer_t *pc, const rmq_message_ext_t *const *msgs,
             size_t n, rmq_consume_orderly_context_t *ctx, void *opaque) {
        txn_t *x = opaque;
        int idx  = fx_body_index(msgs[0]);
        int k    = atomic_fetch_add(&x->seq_len, 1);
        (void)pc;
        (void)n;
        if (k < SUSP_SEQ)
                x->seq[k] = idx;
        rmq_consume_orderly_context_set_auto_commit(ctx, 0);
        rmq_consume_orderly_context_set_suspend_time_millis(ctx, 100);
        if (idx == TXN_N - 1)
                atomic_store(&x->done, 1);
        if (x->commit_all || idx == 2)
                return RMQ_ORDERLY_COMMIT;
        if (idx == 4)
                return atomic_fetch_add(&x->rolled_back, 1) == 0
                           ? RMQ_ORDERLY_ROLLBACK
                           : RMQ_ORDERLY_COMMIT;
        return RMQ_ORDERLY_SUCCESS;
}

static void assert_seq(const int *got, int got_n, const int *want, int want_n) {
        int i;
        if (got_n != want_n)
                fail_msg("%d calls, expected %d", got_n, want_n);
        for (i = 0; i < want_n; i++)
                if (got[i] != want[i])
                        fail_msg("call %d: message %d, expected %d", i, got[i],
                                 want[i]);
}

/* autoCommit false: only COMMIT commits (everything consumed so far),
 * ROLLBACK hands the messages consumed since the last commit again, and
 * SUCCESS commits nothing: after a restart the messages after the last
 * COMMIT come again. */
static void test_auto_commit_false(void **state) {
        rmq_mock_cluster_t *mc  = cluster(1, NULL);
        rmq_producer_t *prod    = fx_producer(mc, "GOrdProd", NULL);
        txn_t *x                = calloc(1, sizeof(*x));
        static const int run1[] = {0, 1, 2, 3, 4, 3, 4, 5, 6, 7, 8, 9};
        static const int run2[] = {5, 6, 7, 8, 9};
        rmq_push_consumer_t *pc;
        (void)state;
        send_q(prod, mc, 0, 0, "x", 0, TXN_N);
        pc = ord_consumer(mc, "GOrdTxn", txn_listener, x, fx_from_first);
        assert_true(rmq_test_wait_until(fx_flag_set, &x->done, 15000));
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        rmq_push_consumer_destroy(pc);
        assert_seq(x->seq, atomic_load(&x->seq_len), run1,
                   (int)(sizeof(run1) / sizeof(run1[0])));
        /* the last COMMIT was at message 4 */
        assert_int_equal(rmq_mock_committed_offset(mc, "GOrdTxn", TOPIC, 0, 0),
                         5);

        memset(x, 0, sizeof(*x));
        x->commit_all = true;
        pc = ord_consumer(mc, "GOrdTxn", txn_listener, x, fx_from_first);
        assert_true(rmq_test_wait_until(fx_flag_set, &x->done, 15000));
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        rmq_push_consumer_destroy(pc);
        assert_seq(x->seq, atomic_load(&x->seq_len), run2,
                   (int)(sizeof(run2) / sizeof(run2[0])));
        assert_int_equal(rmq_mock_committed_offset(mc, "GOrdTxn", TOPIC, 0, 0),
                         TXN_N);
        fx_destroy(NULL, prod, mc);
        free(x);
}

/* ---- 5. maxTimeConsumeContinuously ---- */

#define YIELD_N 100

typedef struct yield_s {
        atomic_int len;
        int q[2 * YIELD_N + 16];
} yield_t;

static rmq_consume_orderly_status_t
yield_listener(rmq_push_consumer_t *pc, const rmq_message_ext_t *const *msgs,
               size_t n, rmq_consume_orderly_context_t *ctx, void *opaque) {
        yield_t *y = opaque;
        int k      = atomic_fetch_add(&y->len, 1);
        (void)pc;
        (void)msgs;
        (void)n;
        if (k < (int)(sizeof(y->q) / sizeof(y->q[0])))
                y->q[k] = rmq_message_queue_queue_id(
                    rmq_consume_orderly_context_message_queue(ctx));
        rmq_test_sleep_ms(3); /* the work */
        return RMQ_ORDERLY_SUCCESS;
}

static bool yield_done(void *arg) {
        return atomic_load(&((yield_t *)arg)->len) >= 2 * YIELD_N;
}

/* With one consume thread and a small maxTimeConsumeContinuously, a
 * queue's consume request gives the thread up (and comes back 10 ms
 * later), so another queue progresses before the first is drained. */
static void test_max_time_consume_continuously(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster(1);
        rmq_producer_t *prod;
        yield_t *y          = calloc(1, sizeof(*y));
        const char *extra[] = {FX_FROM_FIRST,
                               "consumeThreadMin",
                               "1", /* one consume thread */
                               "consumeThreadMax",
                               "1",
                               "rocketmq.client.maxTimeConsumeContinuously",
                               "50",
                               NULL};
        rmq_push_consumer_t *pc;
        int i, switches = 0, done_at[2] = {-1, -1}, cnt[2] = {0, 0}, first;
        (void)state;
        assert_int_equal(rmq_mock_topic_create(mc, TOPIC, -1, 2, 2), RMQ_OK);
        prod = fx_producer(mc, "GOrdProd", NULL);
        send_q(prod, mc, 0, 0, "y", 0, YIELD_N);
        send_q(prod, mc, 0, 1, "y", 0, YIELD_N);
        pc = ord_consumer(mc, "GOrdYield", yield_listener, y, extra);
        assert_true(rmq_test_wait_until(yield_done, y, 15000));
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        assert_int_equal(atomic_load(&y->len), 2 * YIELD_N);
        for (i = 0; i < 2 * YIELD_N; i++) {
                int q = y->q[i];
                assert_true(q == 0 || q == 1);
                if (i > 0 && q != y->q[i - 1])
                        switches++;
                if (++cnt[q] == YIELD_N)
                        done_at[q] = i;
        }
        /* the queue drained first had let the other one run before */
        first = done_at[0] < done_at[1] ? 0 : 1;
        {
                int other = 0;
                for (i = 0; i < done_at[first]; i++)
                        if (y->q[i] != first)
                                other++;
                if (other == 0)
                        fail_msg("queue %d consumed alone to its end", first);
        }
        /* 300 ms of work per queue, 50 ms at a time */
        if (switches < 3)
                fail_msg("only %d switches between the queues", switches);
        assert_int_equal(fx_committed_sum(mc, "GOrdYield", TOPIC, 2),
                         2 * YIELD_N);
        fx_destroy(pc, prod, mc);
        free(y);
}

/* ---- 6. broadcasting ---- */

/* Broadcasting orderly: each consumer gets every message, in order per
 * queue, and no queue is locked (no LOCK_BATCH_MQ / UNLOCK_BATCH_MQ). */
static void test_broadcast_orderly_no_lock(void **state) {
        rmq_mock_cluster_t *mc = cluster(2, NULL);
        rmq_producer_t *prod   = fx_producer(mc, "GOrdProd", NULL);
        trk_t *t1              = trk_new(mc, "GOrdBcast", false);
        trk_t *t2              = trk_new(mc, "GOrdBcast", false);
        cons_t c1 = {t1, 0}, c2 = {t2, 0};
        char dir[]       = "/tmp/rmq-ord-bcast-XXXXXX";
        const char *e1[] = {FX_BROADCASTING("bc1", dir), NULL};
        const char *e2[] = {FX_BROADCASTING("bc2", dir), NULL};
        rmq_push_consumer_t *p1, *p2;
        char cmd[512];
        int b, q;
        (void)state;
        assert_non_null(mkdtemp(dir));
        for (b = 0; b < 2; b++)
                for (q = 0; q < NQ; q++)
                        send_q(prod, mc, b, q, "b", 0, 20);
        rmq_mock_start_request_tracking(mc);
        t1->work_ms = t2->work_ms = 1;
        t1->want = t2->want = 2 * NQ * 20;
        p1 = ord_consumer(mc, "GOrdBcast", trk_listener, &c1, e1);
        p2 = ord_consumer(mc, "GOrdBcast", trk_listener, &c2, e2);
        assert_true(rmq_test_wait_until(trk_all, t1, 15000));
        assert_true(rmq_test_wait_until(trk_all, t2, 15000));
        assert_int_equal(rmq_push_consumer_shutdown(p1), RMQ_OK);
        assert_int_equal(rmq_push_consumer_shutdown(p2), RMQ_OK);
        assert_int_equal(req_count(mc, RMQ_REQ_LOCK_BATCH_MQ), 0);
        assert_int_equal(req_count(mc, RMQ_REQ_UNLOCK_BATCH_MQ), 0);
        trk_assert_clean(t1, 0);
        trk_assert_clean(t2, 0);
        trk_assert_complete(t1, 2 * NQ, 20);
        trk_assert_complete(t2, 2 * NQ, 20);
        assert_int_equal(atomic_load(&t1->calls), 2 * NQ * 20);
        assert_int_equal(atomic_load(&t2->calls), 2 * NQ * 20);
        rmq_push_consumer_destroy(p1);
        rmq_push_consumer_destroy(p2);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
        fx_destroy(NULL, prod, mc);
        trk_free(t1);
        trk_free(t2);
}

/* ---- 7. shutdown ---- */

typedef struct shut_s {
        cons_t c;
        rmq_mock_cluster_t *mc;
        rmq_push_consumer_t *pc;
        atomic_int blocked;  /* a call is held */
        atomic_int release;  /* let it return */
        atomic_int held_key; /* its queue */
        atomic_int unlocks_at_return;
        atomic_int lock_at_return;
        atomic_int shutdown_called;
        atomic_int shutdown_returned;
        atomic_int shutdown_err;
} shut_t;

/* Holds the first call until released; the others succeed at once. */
static rmq_consume_orderly_status_t
shut_listener(rmq_push_consumer_t *pc, const rmq_message_ext_t *const *msgs,
              size_t n, rmq_consume_orderly_context_t *ctx, void *opaque) {
        shut_t *s = opaque;
        const rmq_message_queue_t *mq =
            rmq_consume_orderly_context_message_queue(ctx);
        int expected = 0;
        trk_enter(&s->c, pc, msgs, n, mq);
        if (atomic_compare_exchange_strong(&s->blocked, &expected, 1)) {
                int waited = 0;
                atomic_store(&s->held_key, trk_qkey(s->c.t, mq));
                while (!atomic_load(&s->release) &&
                       waited < 60000 * rmq_test_tmout_multiplier()) {
                        rmq_test_sleep_ms(1);
                        waited++;
                }
                atomic_store(&s->unlocks_at_return,
                             (int)req_count(s->mc, RMQ_REQ_UNLOCK_BATCH_MQ));
                atomic_store(&s->lock_at_return,
                             holds_lock(s->c.t, pc, mq, NULL, 0));
        }
        trk_leave(&s->c, mq);
        return RMQ_ORDERLY_SUCCESS;
}

static void shutdown_thread(void *arg) {
        shut_t *s = arg;
        atomic_store(&s->shutdown_called, 1);
        atomic_store(&s->shutdown_err, rmq_push_consumer_shutdown(s->pc));
        atomic_store(&s->shutdown_returned, 1);
}

/* Shutdown waits for the running listener call, then unlocks every queue
 * on every broker with acknowledged UNLOCK_BATCH_MQ requests: no lock of
 * the group is left when it returns. The call's message is committed; the
 * messages behind it in its queue are not consumed. */
static void test_shutdown_unlocks_after_listener(void **state) {
        rmq_mock_cluster_t *mc = cluster(2, NULL);
        rmq_producer_t *prod   = fx_producer(mc, "GOrdProd", NULL);
        trk_t *t               = trk_new(mc, "GOrdShut", true);
        shut_t *s              = calloc(1, sizeof(*s));
        owner_wait_t none0     = {mc, "GOrdShut", 0, 0, NQ, NULL};
        owner_wait_t none1     = {mc, "GOrdShut", 1, 0, NQ, NULL};
        owner_wait_t mine;
        uv_thread_t th;
        int b, q, held;
        (void)state;
        s->c  = (cons_t){t, 0};
        s->mc = mc;
        for (b = 0; b < 2; b++)
                for (q = 0; q < NQ; q++)
                        send_q(prod, mc, b, q, "d", 0, 5);
        rmq_mock_start_request_tracking(mc);
        s->pc = ord_consumer(mc, t->group, shut_listener, s, fx_from_first);
        /* every queue but the held one drained */
        t->want = 2 * NQ * 5 - 4;
        assert_true(rmq_test_wait_until(fx_flag_set, &s->blocked, 15000));
        assert_true(rmq_test_wait_until(trk_all, t, 15000));
        held = atomic_load(&s->held_key);
        mine = owned_by(mc, t->group, 0, 0, NQ,
                        rmq_push_consumer_client_id(s->pc));
        assert_true(owners_are(&mine));
        mine.broker = 1;
        assert_true(owners_are(&mine));

        assert_int_equal(uv_thread_create(&th, shutdown_thread, s), 0);
        assert_true(
            rmq_test_wait_until(fx_flag_set, &s->shutdown_called, 5000));
        /* the shutdown waits for the held call; nothing is unlocked yet */
        assert_false(
            rmq_test_wait_until(fx_flag_set, &s->shutdown_returned, 300));
        assert_int_equal(req_count(mc, RMQ_REQ_UNLOCK_BATCH_MQ), 0);
        atomic_store(&s->release, 1);
        assert_int_equal(uv_thread_join(&th), 0);
        assert_int_equal(atomic_load(&s->shutdown_returned), 1);
        assert_int_equal(atomic_load(&s->shutdown_err), RMQ_OK);

        /* the call ended before any unlock, still holding its lock */
        assert_int_equal(atomic_load(&s->unlocks_at_return), 0);
        assert_int_equal(atomic_load(&s->lock_at_return), 1);
        /* acknowledged: nothing left locked, one request per broker */
        assert_true(owners_are(&none0));
        assert_true(owners_are(&none1));
        assert_true(rmq_mock_request_count(mc, 0, RMQ_REQ_UNLOCK_BATCH_MQ) >=
                    1);
        assert_true(rmq_mock_request_count(mc, 1, RMQ_REQ_UNLOCK_BATCH_MQ) >=
                    1);
        trk_assert_clean(t, 0);
        /* the held message committed, the 4 behind it not consumed */
        assert_int_equal(atomic_load(&t->calls), 2 * NQ * 5 - 4);
        assert_int_equal(rmq_mock_committed_offset(mc, t->group, TOPIC,
                                                   held / NQ, held % NQ),
                         1);
        assert_int_equal(fx_committed_sum(mc, t->group, TOPIC, NQ),
                         2 * NQ * 5 - 4);
        fx_destroy(s->pc, prod, mc);
        trk_free(t);
        free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_lock_refused_nothing_consumed),
            cmocka_unit_test(test_lock_renewal_fails_consumption_pauses),
            cmocka_unit_test(test_broker_lock_expired_no_consumption),
            cmocka_unit_test(test_two_consumers_handover),
            cmocka_unit_test(test_queue_back_within_unlock_delay),
            cmocka_unit_test(test_suspend_reconsume_then_dlq),
            cmocka_unit_test(test_auto_commit_false),
            cmocka_unit_test(test_max_time_consume_continuously),
            cmocka_unit_test(test_broadcast_orderly_no_lock),
            cmocka_unit_test(test_shutdown_unlocks_after_listener),
        };
        if (getenv("RMQ_TEST_FILTER"))
                cmocka_set_test_filter(getenv("RMQ_TEST_FILTER"));
        return cmocka_run_group_tests_name("push_consumer_orderly", tests, NULL,
                                           NULL);
}
