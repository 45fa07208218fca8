/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Push consumers of one group on the mock cluster: members joining and
 * leaving while a producer sends (every queue owned by exactly one member,
 * nothing lost; concurrently and orderly), a broker restart during
 * consumption (with and without leaving the name server's routes), a name
 * server that comes up after the start, a shutdown with pulls and listener
 * calls in progress, and the operations on a running consumer (subscribe
 * and unsubscribe, suspend and resume, what a listener may not call, a
 * second start).
 *
 * Who owns a queue is read from each consumer's process queue table (the
 * rebalance's internals, as test_client_instance.c reads the instance's)
 * and checked against the group the brokers see. What was consumed is
 * tracked by (broker, queue, offset).
 */
#include "consumer_fixture.h"

#include "consumer/rmq_push_consumer_int.h"

#define TOPIC   "GrpT"
#define GROUP   "GroupGrp"
#define RETRY   "%RETRY%" GROUP
#define PGROUP  "GroupGrpProd"
#define BROKERS 2
#define QUEUES  4
#define NQ      (BROKERS * QUEUES)
#define MAX_OFF 4096

/* Failure bounds in ms (rmq_test_wait_until scales them by the
 * multiplier). */
#define SETTLE_MS  10000
#define CONSUME_MS 15000

/* A cluster of BROKERS brokers with \p topic. */
static rmq_mock_cluster_t *cluster(const char *topic) {
        return fx_cluster_topic(BROKERS, topic, QUEUES, NULL);
}

/* "broker-a" -> 0, "broker-b" -> 1, else -1. */
static int broker_idx(const char *name) {
        if (!name || strncmp(name, "broker-", 7) || name[7] < 'a' ||
            name[7] >= 'a' + BROKERS || name[8])
                return -1;
        return name[7] - 'a';
}

/* ---- what was consumed, by queue and offset ---- */

typedef struct track_s {
        atomic_int at[BROKERS][QUEUES][MAX_OFF];
        atomic_int distinct; /* (queue, offset) pairs seen */
        atomic_int msgs;     /* every message handed over */
        atomic_int other;    /* not of TOPIC, or out of range */
        /* orderly: listener calls of a queue in progress, the offset
         * each queue should hand over next, and the failures */
        atomic_int busy[BROKERS][QUEUES];
        atomic_llong next[BROKERS][QUEUES];
        atomic_int overlap;
        atomic_int out_of_order;
} track_t;

static void track_record(track_t *t, const rmq_message_ext_t *mx) {
        int b       = broker_idx(rmq_message_ext_broker_name(mx));
        int q       = rmq_message_ext_queue_id(mx);
        int64_t off = rmq_message_ext_queue_offset(mx);
        atomic_fetch_add(&t->msgs, 1);
        if (strcmp(rmq_message_ext_topic(mx), TOPIC) || b < 0 || q < 0 ||
            q >= QUEUES || off < 0 || off >= MAX_OFF) {
                atomic_fetch_add(&t->other, 1);
                return;
        }
        if (atomic_fetch_add(&t->at[b][q][off], 1) == 0)
                atomic_fetch_add(&t->distinct, 1);
}

typedef struct track_want_s {
        track_t *t;
        int want;
} track_want_t;

static bool track_reached(void *arg) {
        track_want_t *w = arg;
        return atomic_load(&w->t->distinct) >= w->want;
}

static void wait_distinct(track_t *t, int want, int timeout_ms) {
        track_want_t w = {t, want};
        if (!rmq_test_wait_until(track_reached, &w, timeout_ms))
                fail_msg("consumed %d distinct messages of %d (%d handed "
                         "over)",
                         atomic_load(&t->distinct), want,
                         atomic_load(&t->msgs));
}

/* Every message stored in TOPIC was consumed at least once (\p exactly:
 * exactly once) and nothing else. */
static void assert_consumed(rmq_mock_cluster_t *mc, track_t *t, bool exactly) {
        int b, q;
        int64_t off, max;
        for (b = 0; b < BROKERS; b++)
                for (q = 0; q < QUEUES; q++) {
                        max = rmq_mock_queue_max_offset(mc, TOPIC, b, q);
                        assert_true(max >= 0 && max <= MAX_OFF);
                        for (off = 0; off < max; off++) {
                                int c = atomic_load(&t->at[b][q][off]);
                                if (c < 1 || (exactly && c != 1))
                                        fail_msg("broker %d queue %d offset "
                                                 "%lld consumed %d times",
                                                 b, q, (long long)off, c);
                        }
                        for (; off < MAX_OFF; off++)
                                assert_int_equal(atomic_load(&t->at[b][q][off]),
                                                 0);
                }
        assert_int_equal(atomic_load(&t->other), 0);
}

/* The group's committed offset of every queue of TOPIC is its max offset. */
static void assert_committed_all(rmq_mock_cluster_t *mc) {
        int b, q;
        for (b = 0; b < BROKERS; b++)
                for (q = 0; q < QUEUES; q++) {
                        int64_t max =
                            rmq_mock_queue_max_offset(mc, TOPIC, b, q);
                        int64_t c =
                            rmq_mock_committed_offset(mc, GROUP, TOPIC, b, q);
                        if (c != max)
                                fail_msg("broker %d queue %d: committed %lld, "
                                         "max offset %lld",
                                         b, q, (long long)c, (long long)max);
                }
}

/* A started consumer of GROUP on TOPIC with the listener \p cb. */
static rmq_push_consumer_t *started(rmq_mock_cluster_t *mc,
                                    const char *const *extra,
                                    rmq_listener_concurrently_cb_t *cb,
                                    void *opaque) {
        return fx_consumer_run(mc, GROUP, TOPIC, extra, cb, opaque);
}

/* ---- 1. members joining and leaving while a producer sends ---- */

/* A producer thread: "g-<i>" to TOPIC, at most `window` messages ahead of
 * the consumers, one every few ms, until stopped. */
typedef struct feeder_s {
        rmq_producer_t *prod;
        track_t *t;
        int window;
        int max;
        atomic_int sent;
        atomic_int failed;
        atomic_bool stop;
        uv_thread_t tid;
} feeder_t;

static bool feeder_stopped(void *arg) {
        return atomic_load(&((feeder_t *)arg)->stop);
}

static bool feeder_may_send(void *arg) {
        feeder_t *f = arg;
        return atomic_load(&f->stop) ||
               atomic_load(&f->sent) - atomic_load(&f->t->distinct) < f->window;
}

static void feeder_run(void *arg) {
        feeder_t *f = arg;
        char body[32], err[256];
        int i;
        for (i = 0; i < f->max && !atomic_load(&f->stop); i++) {
                rmq_message_t *msg;
                /* the pace: the next message when the stop has not come
                 * within 3 ms, and only while the consumers keep up */
                if (rmq_test_wait_until(feeder_stopped, f, 3) ||
                    !rmq_test_wait_until(feeder_may_send, f, 100)) {
                        i--;
                        continue;
                }
                snprintf(body, sizeof(body), "g-%d", i);
                msg = fx_msg(TOPIC, body);
                if (rmq_producer_send(f->prod, msg, NULL, err, sizeof(err)))
                        atomic_fetch_add(&f->failed, 1);
                else
                        atomic_fetch_add(&f->sent, 1);
                rmq_message_destroy(msg);
        }
}

typedef struct member_s {
        rmq_push_consumer_t *pc;
        track_t *t;
        atomic_int msgs;
} member_t;

static rmq_consume_status_t
member_listener(rmq_push_consumer_t *pc, const rmq_message_ext_t *const *msgs,
                size_t n, rmq_consume_context_t *ctx, void *opaque) {
        member_t *m = opaque;
        size_t i;
        (void)pc;
        (void)ctx;
        for (i = 0; i < n; i++)
                track_record(m->t, msgs[i]);
        atomic_fetch_add(&m->msgs, (int)n);
        return RMQ_CONSUME_SUCCESS;
}

/* An orderly listener: also checks that a queue's messages come one call
 * at a time over the whole group, in offset order: a call may go back (a
 * new owner starts from the committed offset, which misses a message
 * whose result came after its queue was dropped, as in Java) but never
 * skips one. */
static rmq_consume_orderly_status_t
member_listener_orderly(rmq_push_consumer_t *pc,
                        const rmq_message_ext_t *const *msgs, size_t n,
                        rmq_consume_orderly_context_t *ctx, void *opaque) {
        member_t *m = opaque;
        const rmq_message_queue_t *mq =
            rmq_consume_orderly_context_message_queue(ctx);
        int b = broker_idx(rmq_message_queue_broker_name(mq));
        int q = rmq_message_queue_queue_id(mq);
        size_t i;
        (void)pc;
        if (b >= 0 && q >= 0 && q < QUEUES &&
            !strcmp(rmq_message_queue_topic(mq), TOPIC)) {
                if (atomic_fetch_add(&m->t->busy[b][q], 1))
                        atomic_fetch_add(&m->t->overlap, 1);
                for (i = 0; i < n; i++) {
                        int64_t off = rmq_message_ext_queue_offset(msgs[i]);
                        if (atomic_exchange(&m->t->next[b][q], off + 1) < off)
                                atomic_fetch_add(&m->t->out_of_order, 1);
                }
                atomic_fetch_sub(&m->t->busy[b][q], 1);
        }
        for (i = 0; i < n; i++)
                track_record(m->t, msgs[i]);
        atomic_fetch_add(&m->msgs, (int)n);
        return RMQ_ORDERLY_SUCCESS;
}

/* The members now in the group: m[0 .. n-1]. */
typedef struct group_s {
        rmq_mock_cluster_t *mc;
        member_t *m[3];
        int n;
        bool orderly;
        char why[256];
} group_t;

static int members_on(rmq_mock_cluster_t *mc, int broker_id) {
        char **ids = NULL;
        size_t n   = 0;
        if (rmq_mock_group_members(mc, GROUP, broker_id, &ids, &n))
                return -1;
        rmq_mock_strings_destroy(ids, n);
        return (int)n;
}

/* The rebalance settled: each broker sees the n members, every queue of
 * TOPIC and of the retry topic is in exactly one member's table (not
 * dropped), and each member has its average share of TOPIC's queues. */
static bool group_settled(void *arg) {
        group_t *g     = arg;
        int owners[NQ] = {0}, retry_owners[BROKERS] = {0}, owner_of[NQ];
        int lo = NQ / g->n, hi = (NQ + g->n - 1) / g->n;
        int i, b;
        for (b = 0; b < BROKERS; b++) {
                int n = members_on(g->mc, b);
                if (n != g->n) {
                        snprintf(g->why, sizeof(g->why),
                                 "broker %d sees %d members", b, n);
                        return false;
                }
        }
        for (i = 0; i < g->n; i++) {
                rmq_pq_t **pqs;
                size_t n, j;
                int mine = 0;
                rmq_mq_t *mqs =
                    rmq__rebalance_queues(&g->m[i]->pc->rb, &pqs, &n);
                for (j = 0; j < n; j++) {
                        int bi = broker_idx(mqs[j].brokerName);
                        int q  = mqs[j].queueId;
                        if (!rmq__pq_dropped(pqs[j]) && bi >= 0) {
                                if (!strcmp(mqs[j].topic, TOPIC) && q >= 0 &&
                                    q < QUEUES) {
                                        owners[bi * QUEUES + q]++;
                                        owner_of[bi * QUEUES + q] = i;
                                        mine++;
                                } else if (!strcmp(mqs[j].topic, RETRY) &&
                                           q == 0) {
                                        retry_owners[bi]++;
                                }
                        }
                        rmq__pq_release(pqs[j]);
                }
                rmq__free(pqs);
                rmq__mq_array_free(mqs, n);
                if (mine < lo || mine > hi) {
                        snprintf(g->why, sizeof(g->why),
                                 "member %d has %d queues", i, mine);
                        return false;
                }
        }
        for (i = 0; i < NQ; i++)
                if (owners[i] != 1) {
                        snprintf(g->why, sizeof(g->why),
                                 "queue %d of broker %d has %d owners",
                                 i % QUEUES, i / QUEUES, owners[i]);
                        return false;
                }
        /* orderly: the owner holds the queue's lock on the broker */
        for (i = 0; g->orderly && i < NQ; i++) {
                char lock_owner[256];
                const char *cid =
                    rmq_push_consumer_client_id(g->m[owner_of[i]]->pc);
                if (!rmq_mock_queue_lock_owner(g->mc, GROUP, TOPIC, i / QUEUES,
                                               i % QUEUES, lock_owner,
                                               sizeof(lock_owner)) ||
                    strcmp(lock_owner, cid)) {
                        snprintf(g->why, sizeof(g->why),
                                 "queue %d of broker %d is not locked by its "
                                 "owner",
                                 i % QUEUES, i / QUEUES);
                        return false;
                }
        }
        for (b = 0; b < BROKERS; b++)
                if (retry_owners[b] != 1) {
                        snprintf(g->why, sizeof(g->why),
                                 "the retry queue of broker %d has %d owners",
                                 b, retry_owners[b]);
                        return false;
                }
        return true;
}

typedef struct progress_s {
        group_t *g;
        int base[3];
        int want;
} progress_t;

static bool group_progress(void *arg) {
        progress_t *p = arg;
        int i;
        for (i = 0; i < p->g->n; i++)
                if (atomic_load(&p->g->m[i]->msgs) < p->base[i] + p->want)
                        return false;
        return true;
}

/* After a join or a leave: the rebalance settles, then every member
 * consumes new messages from the queues it has now. */
static void group_wait(group_t *g) {
        progress_t p;
        int i;
        if (!rmq_test_wait_until(group_settled, g, SETTLE_MS))
                fail_msg("%d members: the rebalance did not settle: %s", g->n,
                         g->why);
        memset(&p, 0, sizeof(p));
        p.g    = g;
        p.want = 30;
        for (i = 0; i < g->n; i++)
                p.base[i] = atomic_load(&g->m[i]->msgs);
        if (!rmq_test_wait_until(group_progress, &p, CONSUME_MS))
                fail_msg("%d members: a member stopped consuming", g->n);
}

static void members_join_and_leave(bool orderly) {
        static const char *names[3] = {"c1", "c2", "c3"};
        rmq_mock_cluster_t *mc      = cluster(TOPIC);
        track_t *t                  = calloc(1, sizeof(*t));
        feeder_t *f                 = calloc(1, sizeof(*f));
        member_t *m                 = calloc(3, sizeof(*m));
        group_t g;
        int i;
        f->prod   = fx_producer(mc, PGROUP, NULL);
        f->t      = t;
        f->window = 64;
        f->max    = NQ * (MAX_OFF / 2);
        assert_int_equal(uv_thread_create(&f->tid, feeder_run, f), 0);

        memset(&g, 0, sizeof(g));
        g.mc      = mc;
        g.orderly = orderly;
        for (i = 0; i < 3; i++) {
                /* orderly: a queue another member still locks is taken at
                 * a later round (Java: 20 s later), and a queue dropped
                 * while a result is being processed is unlocked 20 s
                 * later (unlockDelay): shorter here */
                const char *extra[] = {FX_FROM_FIRST,
                                       "instanceName",
                                       names[i],
                                       "rocketmq.client.rebalance.waitInterval",
                                       orderly ? "500" : "20000",
                                       "rocketmq.client.unlockDelayTimeMills",
                                       "500",
                                       NULL};
                m[i].t              = t;
                if (orderly)
                        m[i].pc = fx_consumer_run_orderly(
                            mc, GROUP, TOPIC, extra, member_listener_orderly,
                            &m[i]);
                else
                        m[i].pc = started(mc, extra, member_listener, &m[i]);
                g.m[i] = &m[i];
                g.n    = i + 1;
                group_wait(&g);
        }
        for (i = 2; i > 0; i--) {
                assert_int_equal(rmq_push_consumer_shutdown(m[i].pc), RMQ_OK);
                g.n = i;
                group_wait(&g);
        }
        atomic_store(&f->stop, true);
        assert_int_equal(uv_thread_join(&f->tid), 0);
        assert_int_equal(atomic_load(&f->failed), 0);
        assert_true(atomic_load(&f->sent) < f->max);
        assert_int_equal(rmq_mock_topic_message_count(mc, TOPIC),
                         atomic_load(&f->sent));
        /* the last member consumes what is left */
        wait_distinct(t, atomic_load(&f->sent), CONSUME_MS);
        assert_int_equal(rmq_push_consumer_shutdown(m[0].pc), RMQ_OK);
        /* orderly: one call at a time, in order */
        assert_consumed(mc, t, false);
        assert_int_equal(atomic_load(&t->overlap), 0);
        assert_int_equal(atomic_load(&t->out_of_order), 0);
        /* the offsets of everything consumed are committed */
        assert_committed_all(mc);
        for (i = 0; i < 3; i++)
                rmq_push_consumer_destroy(m[i].pc);
        fx_destroy(NULL, f->prod, mc);
        free(m);
        free(f);
        free(t);
}

static void test_members_join_and_leave(void **state) {
        (void)state;
        members_join_and_leave(false);
}

static void test_orderly_members_join_and_leave(void **state) {
        (void)state;
        members_join_and_leave(true);
}

/* ---- a listener that takes its time ---- */

typedef struct slow_s {
        track_t *t;
        atomic_int delay_ms;
        atomic_int in_call; /* listener calls in progress */
        atomic_int calls;
} slow_t;

static rmq_consume_status_t slow_listener(rmq_push_consumer_t *pc,
                                          const rmq_message_ext_t *const *msgs,
                                          size_t n, rmq_consume_context_t *ctx,
                                          void *opaque) {
        slow_t *s = opaque;
        int delay = atomic_load(&s->delay_ms);
        size_t i;
        (void)pc;
        (void)ctx;
        atomic_fetch_add(&s->in_call, 1);
        atomic_fetch_add(&s->calls, 1);
        if (delay > 0)
                rmq_test_sleep_ms(delay); /* the work of the listener */
        /* completed: recorded before returning SUCCESS */
        for (i = 0; i < n; i++)
                track_record(s->t, msgs[i]);
        atomic_fetch_sub(&s->in_call, 1);
        return RMQ_CONSUME_SUCCESS;
}

/* ---- 2. a broker restart during consumption ---- */

typedef struct broker_consumed_s {
        rmq_mock_cluster_t *mc;
        track_t *t;
        int b;
} broker_consumed_t;

/* Every message stored on broker \p b was consumed. */
static bool broker_consumed(void *arg) {
        broker_consumed_t *bc = arg;
        int q;
        for (q = 0; q < QUEUES; q++) {
                int64_t max =
                    rmq_mock_queue_max_offset(bc->mc, TOPIC, bc->b, q);
                int64_t off;
                for (off = 0; off < max && off < MAX_OFF; off++)
                        if (!atomic_load(&bc->t->at[bc->b][q][off]))
                                return false;
        }
        return true;
}

/* A broker restart: a consumer with a slow listener, a producer, and
 * broker-a's committed offsets when it went down. */
typedef struct restart_s {
        rmq_mock_cluster_t *mc;
        rmq_producer_t *prod;
        rmq_push_consumer_t *pc;
        track_t *t;
        slow_t *s;
        int64_t before[QUEUES];
} restart_t;

/* A consumer from the first offset, with small pulls and \p extra, of
 * 80 messages; then of a backlog of \p backlog more, consumed slowly (the
 * listener takes \p delay_ms a call) until \p consumed messages are; then
 * broker-a's committed offsets are noted and it goes down. */
static void restart_begin(restart_t *r, const char *const *extra, int delay_ms,
                          int backlog, int consumed) {
        static const char *const base[] = {
            FX_FROM_FIRST, "pullBatchSize", "4", "pullThresholdForQueue", "8",
            /* a restarted broker knows the group again at the next
             * heartbeat */
            "heartbeatBrokerInterval", "500", NULL};
        rmq_conf_t *conf;
        int q;
        r->mc   = cluster(TOPIC);
        r->prod = fx_producer(r->mc, PGROUP, NULL);
        r->t    = calloc(1, sizeof(*r->t));
        r->s    = calloc(1, sizeof(*r->s));
        r->s->t = r->t;
        conf    = fx_conf(r->mc, "consumerGroup", GROUP, base);
        fx_conf_set_pairs(conf, extra);
        r->pc = fx_consumer_new(conf);
        fx_consumer_listen(r->pc, TOPIC, slow_listener, r->s);
        fx_consumer_start(r->pc);
        fx_send_n(r->prod, TOPIC, "a", NULL, 80);
        wait_distinct(r->t, 80, CONSUME_MS);
        atomic_store(&r->s->delay_ms, delay_ms);
        fx_send_n(r->prod, TOPIC, "b", NULL, backlog);
        wait_distinct(r->t, consumed, CONSUME_MS);
        /* (committed so far: by the pulls' commitOffset; the periodic
         * persist starts 10 s after the start, as in Java) */
        for (q = 0; q < QUEUES; q++)
                r->before[q] =
                    rmq_mock_committed_offset(r->mc, GROUP, TOPIC, 0, q);
        assert_int_equal(rmq_mock_broker_set_down(r->mc, 0), RMQ_OK);
}

/* Once broker-a is back: the listener at full speed, 80 messages more,
 * and the consumer shut down once it has consumed all \p total stored. */
static void restart_drain(restart_t *r, int total) {
        atomic_store(&r->s->delay_ms, 0);
        fx_send_n(r->prod, TOPIC, "d", NULL, 80);
        assert_int_equal(rmq_mock_topic_message_count(r->mc, TOPIC), total);
        wait_distinct(r->t, total, CONSUME_MS);
        assert_int_equal(rmq_push_consumer_shutdown(r->pc), RMQ_OK);
}

static void restart_end(restart_t *r) {
        assert_committed_all(r->mc);
        fx_destroy(r->pc, r->prod, r->mc);
        free(r->s);
        free(r->t);
}

static void test_broker_restart(void **state) {
        const char *extra[] = {"consumeThreadMin", "1", NULL};
        broker_consumed_t bc;
        restart_t r;
        int q, total = 80 + 320 + 80 + 80;
        (void)state;
        /* a backlog of 40 messages a queue, consumed slowly: a queue holds
         * at most 12 of them (pullThresholdForQueue + pullBatchSize) */
        restart_begin(&r, extra, 4, 320, 100);

        /* broker-b goes on: what is sent now goes there and is consumed */
        fx_send_n(r.prod, TOPIC, "c", NULL, 80);
        bc.mc = r.mc;
        bc.t  = r.t;
        bc.b  = 1;
        assert_true(rmq_test_wait_until(broker_consumed, &bc, CONSUME_MS));
        /* broker-a's backlog waits for it */
        bc.b = 0;
        assert_false(broker_consumed(&bc));

        assert_int_equal(rmq_mock_broker_set_up(r.mc, 0), RMQ_OK);
        /* broker-a's queues go on where they were: each message once */
        restart_drain(&r, total);
        assert_consumed(r.mc, r.t, true);
        assert_int_equal(atomic_load(&r.t->msgs), total);
        for (q = 0; q < QUEUES; q++)
                assert_true(rmq_mock_committed_offset(r.mc, GROUP, TOPIC, 0,
                                                      q) >= r.before[q]);
        restart_end(&r);
}

typedef struct brokers_in_table_s {
        rmq_push_consumer_t *pc;
        int want[BROKERS]; /* TOPIC's queues of each broker in the table */
} brokers_in_table_t;

static bool table_brokers(void *arg) {
        brokers_in_table_t *bt = arg;
        int have[BROKERS]      = {0};
        size_t n, i;
        rmq_mq_t *mqs = rmq__rebalance_queues(&bt->pc->rb, NULL, &n);
        int b;
        for (i = 0; i < n; i++) {
                b = broker_idx(mqs[i].brokerName);
                if (b >= 0 && !strcmp(mqs[i].topic, TOPIC))
                        have[b]++;
        }
        rmq__mq_array_free(mqs, n);
        for (b = 0; b < BROKERS; b++)
                if (have[b] != bt->want[b])
                        return false;
        return true;
}

/* The broker is also gone from the name server's routes for a while (as
 * when its registration expires): its queues leave the consumer at a
 * rebalance and come back, when it is registered again, from the offsets
 * committed on it: nothing is lost, and nothing below the offsets it had
 * committed is consumed again. */
static void test_broker_restart_unregistered(void **state) {
        const char *extra[] = {"pollNameServerInterval", "200",
                               "rocketmq.client.rebalance.waitInterval", "500",
                               NULL};
        brokers_in_table_t bt;
        restart_t r;
        int q;
        int64_t off;
        (void)state;
        restart_begin(&r, extra, 2, 160, 120);
        assert_int_equal(rmq_mock_broker_set_registered(r.mc, 0, 0), RMQ_OK);
        bt.pc      = r.pc;
        bt.want[0] = 0;
        bt.want[1] = QUEUES;
        assert_true(rmq_test_wait_until(table_brokers, &bt, SETTLE_MS));
        fx_send_n(r.prod, TOPIC, "c", NULL, 40);

        assert_int_equal(rmq_mock_broker_set_up(r.mc, 0), RMQ_OK);
        assert_int_equal(rmq_mock_broker_set_registered(r.mc, 0, 1), RMQ_OK);
        bt.want[0] = QUEUES;
        assert_true(rmq_test_wait_until(table_brokers, &bt, SETTLE_MS));
        restart_drain(&r, 80 + 160 + 40 + 80);
        assert_consumed(r.mc, r.t, false);
        for (q = 0; q < QUEUES; q++) {
                int64_t below = r.before[q];
                assert_true(below > 0);
                for (off = 0; off < below; off++)
                        if (atomic_load(&r.t->at[0][q][off]) != 1)
                                fail_msg("broker-a queue %d offset %lld "
                                         "(below the committed %lld) "
                                         "consumed %d times",
                                         q, (long long)off, (long long)below,
                                         atomic_load(&r.t->at[0][q][off]));
                for (off = 0;
                     off < rmq_mock_queue_max_offset(r.mc, TOPIC, 1, q); off++)
                        assert_int_equal(atomic_load(&r.t->at[1][q][off]), 1);
        }
        restart_end(&r);
}

/* ---- 3. the name server comes up after the start ---- */

static void test_namesrv_late(void **state) {
        rmq_mock_cluster_t *mc0 = fx_cluster(1), *mc = NULL;
        const char *extra[] = {FX_FROM_FIRST,
                               /* the route and the heartbeat soon */
                               "pollNameServerInterval", "200",
                               "heartbeatBrokerInterval", "200", NULL};
        fx_seen_t *seen     = calloc(1, sizeof(*seen));
        rmq_producer_t *prod;
        rmq_push_consumer_t *pc;
        rmq_conf_t *conf;
        const char *colon;
        char err[256];
        int port;
        int64_t t0;
        (void)state;
        /* a port where nothing listens: the one mc0's name server had */
        colon = strrchr(rmq_mock_cluster_namesrv_addr(mc0), ':');
        assert_non_null(colon);
        port = atoi(colon + 1);
        conf = fx_conf(mc0, "consumerGroup", GROUP, extra);
        rmq_mock_cluster_destroy(mc0);
        pc = fx_consumer_new(conf);
        fx_consumer_listen(pc, TOPIC, fx_listener_ok, seen);
        /* Java's start does not fail when the name server is down: the
         * route and the heartbeat come later, from the periodic tasks */
        t0 = rmq__mono_ms();
        if (rmq_push_consumer_start(pc, err, sizeof(err)))
                fail_msg("start without a name server: %s", err);
        assert_true(rmq__mono_ms() - t0 < 5000 * rmq_test_tmout_multiplier());
        assert_non_null(rmq_push_consumer_client_id(pc));

        if (rmq_mock_cluster_new_ports(&mc, BROKERS, port, 0, err, sizeof(err)))
                fail_msg("mock cluster on port %d: %s", port, err);
        fx_topic(mc, TOPIC, QUEUES);
        prod = fx_producer(mc, PGROUP, NULL);
        fx_send_n(prod, TOPIC, "n", NULL, 50);
        /* after the name server came up */
        fx_wait_seen(seen, 50, CONSUME_MS);
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        assert_int_equal(fx_committed_sum(mc, GROUP, TOPIC, QUEUES), 50);
        fx_destroy(pc, prod, mc);
        free(seen);
}

/* ---- 4. shutdown with pulls and listener calls in progress ---- */

static bool in_call(void *arg) {
        return atomic_load(&((slow_t *)arg)->in_call) > 0;
}

/* A consumer with \p workers consume threads and a slow listener is shut
 * down while its listener runs and its pulls are held by the brokers; a
 * new member of the group then consumes what is left. With one worker
 * each queue's messages complete in offset order, so the new member
 * consumes exactly what the first did not; with more, a call may finish
 * after a later one of its queue was dropped at the shutdown, and the
 * messages completed above such a gap are consumed again (at least once,
 * as in Java). */
static void shutdown_in_flight(const char *workers) {
        rmq_mock_cluster_t *mc = cluster(TOPIC);
        rmq_producer_t *prod;
        track_t *t1          = calloc(1, sizeof(*t1));
        track_t *t2          = calloc(1, sizeof(*t2));
        slow_t *s1           = calloc(1, sizeof(*s1));
        slow_t *s2           = calloc(1, sizeof(*s2));
        const char *extra1[] = {FX_FROM_FIRST, "instanceName", "first",
                                /* the case's consume threads */
                                "consumeThreadMin", workers, NULL};
        const char *extra2[] = {FX_FROM_FIRST, "instanceName", "second", NULL};
        bool exact           = !strcmp(workers, "1");
        int64_t committed[BROKERS][QUEUES];
        rmq_push_consumer_t *pc;
        int64_t t0, elapsed;
        int b, q, done, calls;
        prod = fx_producer(mc, PGROUP, NULL);
        fx_send_n(prod, TOPIC, "s", NULL, 160);

        s1->t = t1;
        atomic_store(&s1->delay_ms, 10);
        pc = started(mc, extra1, slow_listener, s1);
        wait_distinct(t1, 40, CONSUME_MS);
        assert_true(rmq_test_wait_until(in_call, s1, CONSUME_MS));
        t0 = rmq__mono_ms();
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        elapsed = rmq__mono_ms() - t0;
        /* the running calls finished, none started after; the long polls
         * in flight were not waited for */
        assert_int_equal(atomic_load(&s1->in_call), 0);
        calls = atomic_load(&s1->calls);
        if (elapsed >= 5000 * rmq_test_tmout_multiplier())
                fail_msg("the shutdown took %lld ms", (long long)elapsed);
        done = atomic_load(&t1->distinct);
        assert_true(done < 160);
        assert_int_equal(atomic_load(&t1->msgs), done);
        /* committed: each queue's first offset the listener did not
         * complete */
        for (b = 0; b < BROKERS; b++)
                for (q = 0; q < QUEUES; q++) {
                        int64_t k = 0, off, c;
                        while (k < MAX_OFF && atomic_load(&t1->at[b][q][k]))
                                k++;
                        for (off = k; exact && off < MAX_OFF; off++)
                                assert_int_equal(
                                    atomic_load(&t1->at[b][q][off]), 0);
                        c = rmq_mock_committed_offset(mc, GROUP, TOPIC, b, q);
                        if (c != k && !(k == 0 && c < 0))
                                fail_msg("broker %d queue %d: %lld completed "
                                         "in a row, %lld committed",
                                         b, q, (long long)k, (long long)c);
                        committed[b][q] = k;
                }
        rmq_push_consumer_destroy(pc);

        /* a new member consumes from the committed offsets */
        s2->t = t2;
        pc    = started(mc, extra2, slow_listener, s2);
        wait_distinct(t2, 160 - (int)fx_committed_sum(mc, GROUP, TOPIC, QUEUES),
                      CONSUME_MS);
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        assert_int_equal(atomic_load(&s1->calls), calls);
        for (b = 0; b < BROKERS; b++)
                for (q = 0; q < QUEUES; q++) {
                        int64_t off, max;
                        max = rmq_mock_queue_max_offset(mc, TOPIC, b, q);
                        for (off = 0; off < max; off++) {
                                int c2 = atomic_load(&t2->at[b][q][off]);
                                int c1 = atomic_load(&t1->at[b][q][off]);
                                if (c2 != (off < committed[b][q] ? 0 : 1) ||
                                    (exact && c1 + c2 != 1))
                                        fail_msg("broker %d queue %d offset "
                                                 "%lld: consumed %d times "
                                                 "before the shutdown, %d "
                                                 "after",
                                                 b, q, (long long)off, c1, c2);
                        }
                }
        assert_int_equal(atomic_load(&t2->other), 0);
        assert_committed_all(mc);
        fx_destroy(pc, prod, mc);
        free(s1);
        free(s2);
        free(t1);
        free(t2);
}

static void test_shutdown_in_flight(void **state) {
        (void)state;
        shutdown_in_flight("1");
}

static void test_shutdown_in_flight_workers(void **state) {
        (void)state;
        shutdown_in_flight("4");
}

/* ---- 5. operations on a running consumer ---- */

#define TOPIC_A "GrpTA"
#define TOPIC_B "GrpTB"

typedef struct two_s {
        fx_seen_t a, b;
} two_t;

static rmq_consume_status_t two_listener(rmq_push_consumer_t *pc,
                                         const rmq_message_ext_t *const *msgs,
                                         size_t n, rmq_consume_context_t *ctx,
                                         void *opaque) {
        two_t *tw = opaque;
        size_t i;
        (void)pc;
        (void)ctx;
        for (i = 0; i < n; i++)
                fx_seen_record(strcmp(rmq_message_ext_topic(msgs[i]), TOPIC_A)
                                   ? &tw->b
                                   : &tw->a,
                               msgs[i]);
        return RMQ_CONSUME_SUCCESS;
}

typedef struct pc_topic_s {
        rmq_push_consumer_t *pc;
        const char *topic;
        int want; /* queues of the topic in the table */
} pc_topic_t;

static bool table_has(void *arg) {
        pc_topic_t *pt = arg;
        size_t n, i;
        int cnt       = 0;
        rmq_mq_t *mqs = rmq__rebalance_queues(&pt->pc->rb, NULL, &n);
        for (i = 0; i < n; i++)
                if (!strcmp(mqs[i].topic, pt->topic))
                        cnt++;
        rmq__mq_array_free(mqs, n);
        return cnt == pt->want;
}

static bool msgs_above(void *arg) {
        fx_seen_t *s = arg;
        return atomic_load(&s->msgs) > s->want;
}

static void test_subscribe_unsubscribe_running(void **state) {
        rmq_mock_cluster_t *mc = cluster(TOPIC_A);
        rmq_producer_t *prod;
        two_t *tw           = calloc(1, sizeof(*tw));
        const char *extra[] = {FX_FROM_FIRST,
                               "rocketmq.client.rebalance.waitInterval", "1000",
                               NULL};
        rmq_push_consumer_t *pc;
        pc_topic_t pt;
        int a_before;
        (void)state;
        fx_topic(mc, TOPIC_B, QUEUES);
        prod = fx_producer(mc, PGROUP, NULL);
        pc   = fx_consumer_run(mc, GROUP, TOPIC_A, extra, two_listener, tw);
        fx_send_n(prod, TOPIC_A, "a", NULL, 20);
        fx_wait_seen(&tw->a, 20, CONSUME_MS);

        /* a topic subscribed while running is consumed */
        fx_subscribe(pc, TOPIC_B);
        fx_send_n(prod, TOPIC_B, "b", NULL, 20);
        fx_wait_seen(&tw->b, 20, CONSUME_MS);
        pt.pc    = pc;
        pt.topic = TOPIC_B;
        pt.want  = NQ;
        assert_true(rmq_test_wait_until(table_has, &pt, SETTLE_MS));

        /* an unsubscribed topic's queues go at the next rebalance, and
         * its new messages are not consumed */
        assert_int_equal(rmq_push_consumer_unsubscribe(pc, "NoSuchTopic"),
                         RMQ_ERR__NOT_FOUND);
        assert_int_equal(rmq_push_consumer_unsubscribe(pc, TOPIC_A), RMQ_OK);
        assert_int_equal(rmq_push_consumer_unsubscribe(pc, TOPIC_A),
                         RMQ_ERR__NOT_FOUND);
        pt.topic = TOPIC_A;
        pt.want  = 0;
        assert_true(rmq_test_wait_until(table_has, &pt, SETTLE_MS));
        a_before = atomic_load(&tw->a.msgs);
        fx_send_n(prod, TOPIC_A, "x", NULL, 20);
        fx_send_n(prod, TOPIC_B, "y", NULL, 20);
        /* (y-<i> shares its index with b-<i>: count the messages) */
        tw->b.want = 40 - 1;
        assert_true(rmq_test_wait_until(msgs_above, &tw->b, CONSUME_MS));
        tw->a.want = a_before;
        assert_false(rmq_test_wait_until(msgs_above, &tw->a, 1000));
        assert_int_equal(atomic_load(&tw->a.msgs), 20);

        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        assert_int_equal(fx_committed_sum(mc, GROUP, TOPIC_B, QUEUES), 40);
        fx_destroy(pc, prod, mc);
        free(tw);
}

static void test_suspend_resume(void **state) {
        rmq_mock_cluster_t *mc = cluster(TOPIC);
        rmq_producer_t *prod;
        fx_seen_t *seen = calloc(1, sizeof(*seen));
        rmq_push_consumer_t *pc;
        fx_requests_t p = {mc, RMQ_REQ_PULL_MESSAGE, 0};
        size_t at_suspend, requests;
        int during;
        (void)state;
        rmq_mock_start_request_tracking(mc);
        prod = fx_producer(mc, PGROUP, NULL);
        pc   = started(mc, fx_from_first, fx_listener_ok, seen);
        fx_send_n(prod, TOPIC, "p", NULL, 40);
        fx_wait_seen(seen, 40, CONSUME_MS);

        assert_int_equal(rmq_push_consumer_is_suspended(pc), 0);
        rmq_push_consumer_suspend(pc);
        assert_int_equal(rmq_push_consumer_is_suspended(pc), 1);
        at_suspend = rmq_mock_request_count(mc, -1, RMQ_REQ_PULL_MESSAGE);
        requests   = rmq__rebalance_queue_count(&pc->rb);
        assert_int_equal(requests, NQ + BROKERS); /* TOPIC and the retry
                                                     topic */
        /* messages arrive: the pulls held by the brokers answer with
         * some, and then no queue is pulled again */
        fx_send_n(prod, TOPIC, "q", NULL, 80);
        p.want = at_suspend + requests + 1;
        assert_false(rmq_test_wait_until(fx_requests_reached, &p, 3000));
        during = atomic_load(&seen->msgs);
        assert_true(during < 40 + 80);

        /* resumed: pulls again and consumes the rest */
        rmq_push_consumer_resume(pc);
        assert_int_equal(rmq_push_consumer_is_suspended(pc), 0);
        p.want = rmq_mock_request_count(mc, -1, RMQ_REQ_PULL_MESSAGE) + 1;
        assert_true(rmq_test_wait_until(fx_requests_reached, &p, CONSUME_MS));
        seen->want = 40 + 80 - 1;
        assert_true(rmq_test_wait_until(msgs_above, seen, CONSUME_MS));
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        assert_int_equal(atomic_load(&seen->msgs), 120);
        assert_int_equal(fx_committed_sum(mc, GROUP, TOPIC, QUEUES), 120);
        fx_destroy(pc, prod, mc);
        free(seen);
}

/* What a listener may not do: shut down or destroy its own consumer. */
typedef struct refuse_s {
        fx_seen_t seen;
        atomic_int calls;
        atomic_int tried; /* the refused calls were made */
        atomic_int shutdown_err;
        fx_logcap_t lc; /* destroy's refusal logged */
} refuse_t;

static rmq_consume_status_t
refuse_listener(rmq_push_consumer_t *pc, const rmq_message_ext_t *const *msgs,
                size_t n, rmq_consume_context_t *ctx, void *opaque) {
        refuse_t *r = opaque;
        size_t i;
        (void)ctx;
        if (atomic_fetch_add(&r->calls, 1) == 0) {
                atomic_store(&r->shutdown_err, rmq_push_consumer_shutdown(pc));
                rmq_push_consumer_destroy(pc); /* refused: it stays alive */
                atomic_store(&r->tried, 1);
        }
        for (i = 0; i < n; i++)
                fx_seen_record(&r->seen, msgs[i]);
        return RMQ_CONSUME_SUCCESS;
}

static void test_listener_refusals_and_second_start(void **state) {
        rmq_mock_cluster_t *mc = cluster(TOPIC);
        rmq_producer_t *prod;
        refuse_t *r = calloc(1, sizeof(*r));
        rmq_conf_t *conf;
        rmq_push_consumer_t *pc;
        char err[256];
        (void)state;
        fx_logcap_init(&r->lc,
                       "rmq_push_consumer_destroy() called from a library "
                       "thread",
                       NULL);
        r->lc.level = RMQ_LOG_ERROR;
        prod        = fx_producer(mc, PGROUP, NULL);
        conf        = fx_conf(mc, "consumerGroup", GROUP, fx_from_first);
        fx_logcap_attach(conf, &r->lc);
        pc = fx_consumer_new(conf);
        fx_consumer_listen(pc, TOPIC, refuse_listener, r);
        fx_consumer_start(pc);

        /* a second start */
        err[0] = '\0';
        assert_int_equal(rmq_push_consumer_start(pc, err, sizeof(err)),
                         RMQ_ERR__STATE);
        assert_true(err[0] != '\0');

        fx_send_n(prod, TOPIC, "r", NULL, 20);
        assert_true(rmq_test_wait_until(fx_flag_set, &r->tried, CONSUME_MS));
        assert_int_equal(atomic_load(&r->shutdown_err),
                         RMQ_ERR__WOULD_DEADLOCK);
        assert_int_equal(fx_logcap_hits(&r->lc, 0, NULL), 1);
        /* still running: it consumes on */
        fx_wait_seen(&r->seen, 20, CONSUME_MS);
        fx_send_n(prod, TOPIC, "s", NULL, 20); /* s-0 .. s-19 */
        r->seen.want = 39;
        assert_true(rmq_test_wait_until(msgs_above, &r->seen, CONSUME_MS));

        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        assert_int_equal(rmq_push_consumer_start(pc, err, sizeof(err)),
                         RMQ_ERR__STATE);
        assert_int_equal(
            rmq_push_consumer_subscribe(pc, TOPIC, "*", err, sizeof(err)),
            RMQ_ERR__STATE);
        assert_int_equal(fx_committed_sum(mc, GROUP, TOPIC, QUEUES), 40);
        fx_destroy(pc, prod, mc);
        fx_logcap_fini(&r->lc);
        free(r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_members_join_and_leave),
            cmocka_unit_test(test_orderly_members_join_and_leave),
            cmocka_unit_test(test_broker_restart),
            cmocka_unit_test(test_broker_restart_unregistered),
            cmocka_unit_test(test_namesrv_late),
            cmocka_unit_test(test_shutdown_in_flight),
            cmocka_unit_test(test_shutdown_in_flight_workers),
            cmocka_unit_test(test_subscribe_unsubscribe_running),
            cmocka_unit_test(test_suspend_resume),
            cmocka_unit_test(test_listener_refusals_and_second_start),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
