/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The push consumer when things go wrong, against the mock cluster: a
 * failing send-back (the inner producer fallback, the local retry after
 * 5 s), failing offset commits at shutdown, a slow listener under the flow
 * control thresholds and the instance's memory budget, PULL_OFFSET_MOVED,
 * an undecodable pull body, RESET_CONSUMER_CLIENT_OFFSET, the admin
 * requests a broker forwards (307, 223 -> 221, 309), consume hooks and
 * ackIndex. In every scenario no acknowledged message is lost.
 *
 * Some checks read the consumer's internals (its process queues, pull
 * requests and the instance's held bytes): they are what the thresholds
 * bound, and the only exact signal of "the next pull is in flight".
 */
#include <uv.h>

#include "consumer/rmq_push_consumer_int.h"
#include "consumer_fixture.h"
#include "mock_client.h"
#include "protocol/rmq_running_info.h"

#define TOPIC "FltT"
#define GROUP "GroupFlt"
#define RETRY "%RETRY%" GROUP
#define PROD  "GroupFltProd"

static int ms(int v) {
        return v * rmq_test_tmout_multiplier();
}

/* ---- small helpers ---- */

static rmq_mock_cluster_t *cluster_n(int brokers, int queues) {
        return fx_cluster_topic(brokers, TOPIC, queues, fx_fast_delays);
}

static rmq_mock_cluster_t *cluster(int queues) {
        return cluster_n(1, queues);
}

/* Sends "m-<i>" for i in [from, to), key "k<i>". */
static void send_range(rmq_producer_t *prod, int from, int to) {
        fx_send_range(prod, TOPIC, "m", NULL, from, to);
}

/* The index of "m-<i>" or "big-<i>-xxx...". */
static int body_idx(const rmq_message_ext_t *mx) {
        size_t len;
        const char *b = rmq_message_ext_body(mx, &len);
        if (b && len > 4 && !memcmp(b, "big-", 4))
                return atoi(b + 4); /* stops at the '-' after the digits */
        return fx_body_index(mx);
}

/* Records the \p n messages (body_idx). */
static void seen_rec_all(fx_seen_t *s, const rmq_message_ext_t *const *msgs,
                         size_t n) {
        size_t i;
        for (i = 0; i < n; i++)
                fx_seen_record_index(s, body_idx(msgs[i]));
}

/* A listener gate: calls wait until the test opens it. */
typedef struct gate_s {
        uv_mutex_t lock;
        uv_cond_t cond;
        bool open;
} gate_t;

static void gate_init(gate_t *g) {
        uv_mutex_init(&g->lock);
        uv_cond_init(&g->cond);
        g->open = false;
}
static void gate_wait(gate_t *g) {
        uv_mutex_lock(&g->lock);
        while (!g->open)
                uv_cond_wait(&g->cond, &g->lock);
        uv_mutex_unlock(&g->lock);
}
static void gate_open(gate_t *g) {
        uv_mutex_lock(&g->lock);
        g->open = true;
        uv_cond_broadcast(&g->cond);
        uv_mutex_unlock(&g->lock);
}
static void gate_fini(gate_t *g) {
        uv_cond_destroy(&g->cond);
        uv_mutex_destroy(&g->lock);
}

/* A consumer (not started) of GROUP subscribed to TOPIC, consuming from
 * the first offset; \p extra a NULL-terminated name, value list; warnings
 * and errors go to \p lc when given. */
static rmq_push_consumer_t *
consumer_make(rmq_mock_cluster_t *mc, const char *const *extra, fx_logcap_t *lc,
              rmq_listener_concurrently_cb_t *cb, void *opaque) {
        /* its own client instance (timers, budget), not the producer's */
        static const char *const base[] = {FX_FROM_FIRST, "instanceName", "flt",
                                           NULL};
        rmq_conf_t *conf = fx_conf(mc, "consumerGroup", GROUP, base);
        rmq_push_consumer_t *pc;
        fx_conf_set_pairs(conf, extra);
        if (lc)
                fx_logcap_attach(conf, lc);
        pc = fx_consumer_new(conf);
        fx_consumer_listen(pc, TOPIC, cb, opaque);
        return pc;
}

/* The same, started. */
static rmq_push_consumer_t *consumer(rmq_mock_cluster_t *mc,
                                     const char *const *extra, fx_logcap_t *lc,
                                     rmq_listener_concurrently_cb_t *cb,
                                     void *opaque) {
        rmq_push_consumer_t *pc = consumer_make(mc, extra, lc, cb, opaque);
        fx_consumer_start(pc);
        return pc;
}

/* The same with the consume hook \p name (\p before, \p after; both get
 * \p opaque too). */
static rmq_push_consumer_t *
hooked_consumer(rmq_mock_cluster_t *mc, const char *const *extra,
                rmq_listener_concurrently_cb_t *cb, const char *name,
                rmq_consume_hook_cb_t *before, rmq_consume_hook_cb_t *after,
                void *opaque) {
        rmq_push_consumer_t *pc = consumer_make(mc, extra, NULL, cb, opaque);
        assert_int_equal(
            rmq_push_consumer_add_consume_hook(pc, name, before, after, opaque),
            RMQ_OK);
        fx_consumer_start(pc);
        return pc;
}

/* A consumer of GROUP from where the group stands, with fx_listener_ok,
 * once it has consumed \p want distinct messages into \p seen. */
static rmq_push_consumer_t *consume_n(rmq_mock_cluster_t *mc, fx_seen_t *seen,
                                      int want) {
        rmq_push_consumer_t *pc =
            consumer(mc, NULL, NULL, fx_listener_ok, seen);
        fx_wait_seen(seen, want, ms(10000));
        return pc;
}

/* Shuts \p pc down; returns how long that took (ms). */
static int64_t timed_shutdown(rmq_push_consumer_t *pc) {
        int64_t t0 = rmq__mono_ms();
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        return rmq__mono_ms() - t0;
}

/* A new consumer of GROUP gets exactly the messages [from, to) of
 * TOPIC's one queue again, once each, and commits them all. */
static void consumed_again(rmq_mock_cluster_t *mc, int from, int to) {
        fx_seen_t *again        = calloc(1, sizeof(*again));
        rmq_push_consumer_t *pc = consume_n(mc, again, to - from);
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        fx_seen_assert_each(again, 0, from, 0);
        fx_seen_assert_each(again, from, to, 1);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), to);
        rmq_push_consumer_destroy(pc);
        free(again);
}

/* The unconsumed messages (count, body bytes) in \p topic's process
 * queues. Only while \p pc runs. */
static void pq_figures(rmq_push_consumer_t *pc, const char *topic,
                       int64_t *cntp, int64_t *sizep) {
        rmq_pq_t **pqs;
        size_t n, i;
        rmq_mq_t *mqs = rmq__rebalance_queues(&pc->rb, &pqs, &n);
        *cntp = *sizep = 0;
        for (i = 0; i < n; i++) {
                if (!strcmp(mqs[i].topic, topic)) {
                        *cntp += rmq__pq_msg_count(pqs[i]);
                        *sizep += rmq__pq_msg_size(pqs[i]);
                }
                rmq__pq_release(pqs[i]);
        }
        rmq__free(pqs);
        rmq__mq_array_free(mqs, n);
}

/* The PULL_MESSAGEs of TOPIC for offset \p off that wait for their
 * answer (each was built, commit offset included, before it is counted
 * here), of broker \p broker (NULL: any) and queue \p q (-1: any). */
static int pulls_waiting(rmq_push_consumer_t *pc, const char *broker, int q,
                         int64_t off) {
        rmq_list_t *it;
        int n = 0;
        rmq__lock(&pc->lock);
        for (it = pc->pull_requests.next; it != &pc->pull_requests;
             it = it->next) {
                rmq_pull_request_t *pr =
                    RMQ_CONTAINER_OF(it, rmq_pull_request_t, link);
                /* next_offset is read only while the request is in
                 * flight: nobody writes it then */
                if (!strcmp(pr->q->mq.topic, TOPIC) &&
                    (!broker || !strcmp(pr->q->mq.brokerName, broker)) &&
                    (q < 0 || pr->q->mq.queueId == q) &&
                    pr->state == PR_INFLIGHT && pr->next_offset == off)
                        n++;
        }
        rmq__unlock(&pc->lock);
        return n;
}

/* A pull of TOPIC waits at \p offset, on \p broker (NULL: any). */
typedef struct pull_wait_s {
        rmq_push_consumer_t *pc;
        const char *broker;
        int64_t offset;
} pull_wait_t;

static bool pull_waits(void *arg) {
        pull_wait_t *w = arg;
        return pulls_waiting(w->pc, w->broker, -1, w->offset) > 0;
}

/* The consumer's offset of TOPIC's queue \p q (what it commits). */
static int64_t mem_offset(rmq_push_consumer_t *pc, int q) {
        rmq_mq_t mq;
        int64_t off;
        rmq__mq_init(&mq, TOPIC, "broker-a", q);
        off = rmq__offset_store_read(pc->offsets, &mq, RMQ_READ_FROM_MEMORY);
        rmq__mq_clear(&mq);
        return off;
}

typedef struct offs_s {
        rmq_mock_cluster_t *mc;
        rmq_push_consumer_t *pc;
        int64_t want[2];
        int nq;
} offs_t;

/* The broker's committed offsets of TOPIC are o->want. */
static bool committed_are(void *arg) {
        offs_t *o = arg;
        int q;
        for (q = 0; q < o->nq; q++)
                if (rmq_mock_committed_offset(o->mc, GROUP, TOPIC, 0, q) !=
                    o->want[q])
                        return false;
        return true;
}

/* The consumer's offsets of TOPIC are o->want. */
static bool mem_offsets_are(void *arg) {
        offs_t *o = arg;
        int q;
        for (q = 0; q < o->nq; q++)
                if (mem_offset(o->pc, q) != o->want[q])
                        return false;
        return true;
}

/* A pull of each queue of TOPIC is in flight at o->want. */
static bool pulls_in_flight_at(void *arg) {
        offs_t *o = arg;
        int q, found = 0;
        for (q = 0; q < o->nq; q++)
                found += pulls_waiting(o->pc, NULL, q, o->want[q]);
        return found == o->nq;
}

static const char *mock_prop(rmq_mock_cluster_t *mc, const char *topic,
                             int queue, int64_t off, const char *name,
                             char *dst, size_t size) {
        rmq_mock_msg_t *m;
        const char *v;
        if (rmq_mock_message_get(mc, topic, 0, queue, off, &m))
                fail_msg("no message %s/%d/%lld", topic, queue, (long long)off);
        v = rmq_mock_msg_property(m, name);
        if (v)
                snprintf(dst, size, "%s", v);
        rmq_mock_msg_destroy(m);
        return v ? dst : NULL;
}

/* ==== 1. send-back failures ==== */

#define SB_N 10

typedef struct sb_s {
        fx_seen_t *seen; /* successful consumptions */
        uv_mutex_t lock;
        bool fail[SB_N]; /* fail the first attempt */
        int attempts[SB_N];
        char first_id[SB_N][64];
        char retry_id[SB_N][64];
        char retry_topic[SB_N][64];
        int retry_rc[SB_N];
        int64_t retry_qoff[SB_N];
        int64_t first_ms[SB_N];
        int64_t retry_ms[SB_N];
        fx_logcap_t lc; /* the send-back failures, the local retries */
} sb_t;

static sb_t *sb_new(void) {
        sb_t *s = calloc(1, sizeof(*s));
        s->seen = calloc(1, sizeof(*s->seen));
        uv_mutex_init(&s->lock);
        fx_logcap_init(&s->lc, "sendMessageBack Exception",
                       "send message back failed");
        return s;
}

static void sb_free(sb_t *s) {
        fx_logcap_fini(&s->lc);
        uv_mutex_destroy(&s->lock);
        free(s->seen);
        free(s);
}

static int sb_attempts(sb_t *s, int idx) {
        int n;
        uv_mutex_lock(&s->lock);
        n = s->attempts[idx];
        uv_mutex_unlock(&s->lock);
        return n;
}

static rmq_consume_status_t sb_listener(rmq_push_consumer_t *pc,
                                        const rmq_message_ext_t *const *msgs,
                                        size_t n, rmq_consume_context_t *ctx,
                                        void *opaque) {
        sb_t *s                 = opaque;
        rmq_consume_status_t st = RMQ_CONSUME_SUCCESS;
        size_t i;
        (void)pc;
        (void)ctx;
        for (i = 0; i < n; i++) {
                int idx = body_idx(msgs[i]);
                int rc  = rmq_message_ext_reconsume_times(msgs[i]);
                bool fail;
                if (idx < 0 || idx >= SB_N)
                        continue;
                uv_mutex_lock(&s->lock);
                s->attempts[idx]++;
                if (rc == 0) {
                        snprintf(s->first_id[idx], 64, "%s",
                                 rmq_message_ext_msg_id(msgs[i]));
                        s->first_ms[idx] = rmq__mono_ms();
                } else {
                        snprintf(s->retry_id[idx], 64, "%s",
                                 rmq_message_ext_msg_id(msgs[i]));
                        snprintf(s->retry_topic[idx], 64, "%s",
                                 rmq_message_ext_topic(msgs[i]));
                        s->retry_rc[idx] = rc;
                        s->retry_qoff[idx] =
                            rmq_message_ext_queue_offset(msgs[i]);
                        s->retry_ms[idx] = rmq__mono_ms();
                }
                fail = rc == 0 && s->fail[idx];
                uv_mutex_unlock(&s->lock);
                if (fail)
                        st = RMQ_RECONSUME_LATER;
                else
                        fx_seen_record_index(s->seen, idx);
        }
        return st;
}

/* CONSUMER_SEND_MSG_BACK fails: the message goes to %RETRY%group through
 * the instance's producer, as Java's sendMessageBack falls back: same
 * body and UNIQ_KEY, RETRY_TOPIC = the topic, ORIGIN_MESSAGE_ID = the
 * msgId, reconsumeTimes 1 (RECONSUME_TIME, which the producer moves into
 * the send header as Java's does), delay level 3 + reconsumeTimes; it
 * comes back with reconsumeTimes 1 under its own topic. */
static void test_send_back_fails_fallback_to_retry_topic(void **state) {
        rmq_mock_cluster_t *mc = cluster(2);
        rmq_producer_t *prod   = fx_producer(mc, PROD, NULL);
        sb_t *s                = sb_new();
        rmq_push_consumer_t *pc;
        char v[128];
        int i, j, failed = 0;
        (void)state;
        send_range(prod, 0, SB_N);
        for (i = 0; i < SB_N; i += 2) {
                s->fail[i] = true;
                failed++;
        }
        rmq_mock_start_request_tracking(mc);
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_CONSUMER_SEND_MSG_BACK, 1,
                                     RMQ_ERR_SYSTEM_ERROR);
        for (i = 1; i < failed; i++)
                rmq_mock_push_request_errors(mc, -1,
                                             RMQ_REQ_CONSUMER_SEND_MSG_BACK, 1,
                                             RMQ_ERR_SERVICE_NOT_AVAILABLE);
        pc = consumer(mc, NULL, &s->lc, sb_listener, s);
        fx_wait_seen(s->seen, SB_N, ms(20000));
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);

        /* every failed message was tried once through the broker, and
         * the failure logged */
        assert_int_equal(
            rmq_mock_request_count(mc, -1, RMQ_REQ_CONSUMER_SEND_MSG_BACK),
            failed);
        assert_int_equal(fx_logcap_hits(&s->lc, 0, NULL), failed);
        assert_int_equal(fx_logcap_hits(&s->lc, 1, NULL), 0);
        for (i = 0; i < SB_N; i++) {
                assert_int_equal(atomic_load(&s->seen->per_index[i]), 1);
                assert_int_equal(s->attempts[i], s->fail[i] ? 2 : 1);
                if (!s->fail[i])
                        continue;
                assert_int_equal(s->retry_rc[i], 1);
                assert_string_equal(s->retry_topic[i], TOPIC);
                /* the same message for the application (UNIQ_KEY kept) */
                assert_string_equal(s->retry_id[i], s->first_id[i]);
        }
        /* delay level 3 (3 + reconsumeTimes 0): SCHEDULE_TOPIC_XXXX queue
         * 2, then the retry topic */
        assert_int_equal(
            rmq_mock_queue_max_offset(mc, "SCHEDULE_TOPIC_XXXX", 0, 2), failed);
        assert_int_equal(rmq_mock_topic_message_count(mc, RETRY), failed);
        for (j = 0; j < failed; j++) {
                rmq_mock_msg_t *m;
                int idx;
                assert_string_equal(mock_prop(mc, "SCHEDULE_TOPIC_XXXX", 2, j,
                                              "DELAY", v, sizeof(v)),
                                    "3");
                assert_int_equal(rmq_mock_message_get(mc, RETRY, 0, 0, j, &m),
                                 RMQ_OK);
                idx = fx_mock_msg_index(m);
                assert_true(idx >= 0 && idx < SB_N && s->fail[idx]);
                assert_int_equal(rmq_mock_msg_reconsume_times(m), 1);
                assert_string_equal(rmq_mock_msg_property(m, "RETRY_TOPIC"),
                                    TOPIC);
                assert_string_equal(
                    rmq_mock_msg_property(m, "ORIGIN_MESSAGE_ID"),
                    s->first_id[idx]);
                assert_string_equal(rmq_mock_msg_property(m, "UNIQ_KEY"),
                                    s->first_id[idx]);
                assert_null(rmq_mock_msg_property(m, "RECONSUME_TIME"));
                rmq_mock_msg_destroy(m);
        }
        assert_int_equal(rmq_mock_topic_message_count(mc, "%DLQ%" GROUP), 0);
        assert_int_equal(fx_committed_sum(mc, GROUP, TOPIC, 2), SB_N);
        assert_int_equal(fx_committed_sum(mc, GROUP, RETRY, 1), failed);
        fx_destroy(pc, prod, mc);
        sb_free(s);
}

typedef struct hold_s {
        rmq_mock_cluster_t *mc;
        rmq_push_consumer_t *pc;
        sb_t *s;
        int64_t max_mem, max_committed; /* before the retry */
        bool saw_two;
} hold_t;

static bool retried_watch(void *arg) {
        hold_t *h = arg;
        bool done;
        int64_t m, c;
        m    = mem_offset(h->pc, 0);
        c    = rmq_mock_committed_offset(h->mc, GROUP, TOPIC, 0, 0);
        done = sb_attempts(h->s, 2) >= 2; /* (the retry's result waits) */
        if (!done) {
                if (m > h->max_mem)
                        h->max_mem = m;
                if (c > h->max_committed)
                        h->max_committed = c;
                if (m == 2)
                        h->saw_two = true;
        }
        return done;
}

static bool four_consumed(void *arg) {
        sb_t *s = arg;
        return atomic_load(&s->seen->distinct) >= 4 && sb_attempts(s, 2) >= 1;
}

/* Five messages, the third failing its first time, its send-back and
 * the fallback send both failing. */
static rmq_push_consumer_t *local_retry_setup(rmq_mock_cluster_t *mc, sb_t *s) {
        rmq_producer_t *prod = fx_producer(mc, PROD, NULL);
        rmq_push_consumer_t *pc;
        send_range(prod, 0, 5);
        rmq_producer_destroy(prod);
        s->fail[2] = true;
        rmq_mock_start_request_tracking(mc);
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_CONSUMER_SEND_MSG_BACK, 1,
                                     RMQ_ERR_SYSTEM_ERROR);
        /* the producer's three tries (retryTimesWhenSendFailed 2) */
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_SEND_MESSAGE_V2, 3,
                                     RMQ_ERR_SYSTEM_ERROR, RMQ_ERR_SYSTEM_ERROR,
                                     RMQ_ERR_SYSTEM_ERROR);
        pc = consumer(mc, NULL, &s->lc, sb_listener, s);
        assert_true(rmq_test_wait_until(four_consumed, s, ms(10000)));
        return pc;
}

/* The send-back and its fallback both fail: the message is consumed here
 * again 5 s later with reconsumeTimes + 1; meanwhile the consumer's (and
 * so the broker's) offset stops before it although the later messages
 * are consumed; once it is consumed everything is committed. */
static void test_send_back_and_fallback_fail_local_retry(void **state) {
        rmq_mock_cluster_t *mc = cluster(1);
        sb_t *s                = sb_new();
        hold_t h;
        offs_t o;
        rmq_push_consumer_t *pc;
        (void)state;
        pc = local_retry_setup(mc, s);
        memset(&h, 0, sizeof(h));
        h.mc            = mc;
        h.pc            = pc;
        h.s             = s;
        h.max_mem       = -1;
        h.max_committed = -1;
        assert_true(rmq_test_wait_until(retried_watch, &h, ms(15000)));
        fx_wait_seen(s->seen, 5, ms(5000));
        /* never past the message neither consumed nor sent back */
        assert_true(h.max_mem <= 2);
        assert_true(h.max_committed <= 2);
        assert_true(h.saw_two); /* the ones before it counted */
        o.pc      = pc;
        o.nq      = 1;
        o.want[0] = 5;
        assert_true(rmq_test_wait_until(mem_offsets_are, &o, ms(5000)));
        uv_mutex_lock(&s->lock);
        assert_int_equal(s->attempts[2], 2);
        assert_int_equal(s->retry_rc[2], 1);
        assert_string_equal(s->retry_topic[2], TOPIC);
        assert_int_equal(s->retry_qoff[2], 2);
        assert_string_equal(s->retry_id[2], s->first_id[2]);
        /* submitConsumeRequestLater: 5 s */
        if (s->retry_ms[2] - s->first_ms[2] < 4800)
                fail_msg("retried after %lld ms",
                         (long long)(s->retry_ms[2] - s->first_ms[2]));
        uv_mutex_unlock(&s->lock);
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        fx_seen_assert_each(s->seen, 0, 5, 1);
        assert_int_equal(
            rmq_mock_request_count(mc, -1, RMQ_REQ_CONSUMER_SEND_MSG_BACK), 1);
        assert_int_equal(
            rmq_mock_request_count(mc, -1, RMQ_REQ_SEND_MESSAGE_V2), 3);
        assert_int_equal(fx_logcap_hits(&s->lc, 0, NULL), 1);
        assert_int_equal(fx_logcap_hits(&s->lc, 1, NULL), 1);
        assert_int_equal(rmq_mock_topic_message_count(mc, RETRY), 0);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), 5);
        fx_destroy(pc, NULL, mc);
        sb_free(s);
}

/* The same, shut down while the local retry waits: the shutdown does not
 * wait for it, commits the offset before the message, and the next
 * consumer gets the message (and the ones after it) again. */
static void test_local_retry_pending_at_shutdown(void **state) {
        rmq_mock_cluster_t *mc = cluster(1);
        sb_t *s                = sb_new();
        rmq_push_consumer_t *pc;
        int64_t took;
        offs_t o;
        (void)state;
        pc        = local_retry_setup(mc, s);
        o.pc      = pc;
        o.nq      = 1;
        o.want[0] = 2;
        assert_true(rmq_test_wait_until(mem_offsets_are, &o, ms(5000)));
        took = timed_shutdown(pc);
        assert_int_equal(sb_attempts(s, 2), 1);
        if (took > ms(2000))
                fail_msg("the shutdown took %lld ms", (long long)took);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), 2);
        rmq_push_consumer_destroy(pc);
        consumed_again(mc, 2, 5);
        rmq_mock_cluster_destroy(mc);
        sb_free(s);
}

/* ==== 2. offset commits failing at shutdown ==== */

typedef struct gated_s {
        fx_seen_t *seen;
        gate_t gate;
} gated_t;

/* On the heap: a failed test leaves its consumer's workers waiting on it
 * (they never see a reused stack). */
static gated_t *gated_new(void) {
        gated_t *g = calloc(1, sizeof(*g));
        g->seen    = calloc(1, sizeof(*g->seen));
        gate_init(&g->gate);
        return g;
}

static void gated_free(gated_t *g) {
        gate_fini(&g->gate);
        free(g->seen);
        free(g);
}

static rmq_consume_status_t gated_listener(rmq_push_consumer_t *pc,
                                           const rmq_message_ext_t *const *msgs,
                                           size_t n, rmq_consume_context_t *ctx,
                                           void *opaque) {
        gated_t *g = opaque;
        (void)pc;
        (void)ctx;
        gate_wait(&g->gate);
        seen_rec_all(g->seen, msgs, n);
        return RMQ_CONSUME_SUCCESS;
}

#define CF_N 10

/* Consumes CF_N messages while no commit reaches the broker: the pull
 * after them is in flight (its commit offset read) before the listener
 * runs, and the periodic persistence is far away. */
static rmq_push_consumer_t *consume_uncommitted(rmq_mock_cluster_t *mc,
                                                gated_t *g, fx_logcap_t *lc) {
        const char *extra[]     = {"persistConsumerOffsetInterval", "60000",
                                   "mqClientApiTimeout", "1000", NULL};
        rmq_push_consumer_t *pc = consumer(mc, extra, lc, gated_listener, g);
        pull_wait_t w           = {pc, NULL, CF_N};
        assert_true(rmq_test_wait_until(pull_waits, &w, ms(10000)));
        gate_open(&g->gate);
        fx_wait_seen(g->seen, CF_N, ms(10000));
        assert_true(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0) <= 0);
        return pc;
}

/* CF_N messages consumed, not committed, when the consumer shuts down and
 * the commit fails (\p broker_down: the broker is down; else
 * UPDATE_CONSUMER_OFFSET is never answered): the shutdown says so, and the
 * next consumer consumes every message again. */
static void commit_fails_at_shutdown(bool broker_down) {
        rmq_mock_cluster_t *mc = cluster(1);
        rmq_producer_t *prod   = fx_producer(mc, PROD, NULL);
        gated_t *g             = gated_new();
        fx_logcap_t lc;
        rmq_push_consumer_t *pc;
        int64_t took;
        fx_logcap_init(&lc, "not committed", NULL);
        send_range(prod, 0, CF_N);
        pc = consume_uncommitted(mc, g, &lc);
        if (broker_down)
                assert_int_equal(rmq_mock_broker_set_down(mc, 0), RMQ_OK);
        else
                rmq_mock_push_request_errors(
                    mc, -1, RMQ_REQ_UPDATE_CONSUMER_OFFSET, 8,
                    RMQ_ERR__TIMED_OUT, RMQ_ERR__TIMED_OUT, RMQ_ERR__TIMED_OUT,
                    RMQ_ERR__TIMED_OUT, RMQ_ERR__TIMED_OUT, RMQ_ERR__TIMED_OUT,
                    RMQ_ERR__TIMED_OUT, RMQ_ERR__TIMED_OUT);
        took = timed_shutdown(pc);
        if ((!broker_down && took < 900) || took > ms(1000) + 2000)
                fail_msg("shutdown took %lld ms (mqClientApiTimeout 1000)",
                         (long long)took);
        assert_int_equal(fx_logcap_hits(&lc, 0, NULL), 1);
        if (broker_down) {
                rmq_push_consumer_destroy(pc);
                assert_int_equal(rmq_mock_broker_set_up(mc, 0), RMQ_OK);
        }
        assert_true(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0) <= 0);
        if (!broker_down) {
                rmq_push_consumer_destroy(pc);
                rmq_mock_clear_request_errors(mc);
        }
        /* all of them again */
        fx_seen_assert_each(g->seen, 0, CF_N, 1);
        consumed_again(mc, 0, CF_N);
        fx_destroy(NULL, prod, mc);
        fx_logcap_fini(&lc);
        gated_free(g);
}

/* UPDATE_CONSUMER_OFFSET never answered: the shutdown gives up after
 * mqClientApiTimeout, says so, and the next consumer consumes again. */
static void test_commit_unanswered_at_shutdown(void **state) {
        (void)state;
        commit_fails_at_shutdown(false);
}

/* The broker is down at shutdown: the commit fails at once, the shutdown
 * returns, and once the broker is back the messages are consumed again. */
static void test_broker_down_at_shutdown(void **state) {
        (void)state;
        commit_fails_at_shutdown(true);
}

/* ==== 3. a slow listener under flow control ==== */

typedef struct probe_s {
        rmq_push_consumer_t *pc;
        gated_t *g;
        int total;
        unsigned long long fc0;
        int64_t cnt, size, held;             /* last sample */
        int64_t max_cnt, max_size, max_held; /* over the run */
} probe_t;

static void probe_sample(probe_t *p) {
        pq_figures(p->pc, TOPIC, &p->cnt, &p->size);
        p->held = atomic_load(rmq__client_held_bytes(p->pc->ci));
        if (p->cnt > p->max_cnt)
                p->max_cnt = p->cnt;
        if (p->size > p->max_size)
                p->max_size = p->size;
        if (p->held > p->max_held)
                p->max_held = p->held;
}

/* Twenty flow-controlled pull attempts (one each 50 ms): pulls pause. */
static bool probe_paused(void *arg) {
        probe_t *p = arg;
        probe_sample(p);
        return atomic_load(&p->pc->queue_flow_control_times) >= p->fc0 + 20;
}

static bool probe_done(void *arg) {
        probe_t *p = arg;
        probe_sample(p);
        return atomic_load(&p->g->seen->distinct) >= p->total;
}

/* \p n messages of \p body_len bytes to a one-queue topic, a consumer
 * with one worker stuck in the listener: the pulls pause with the
 * process queue (count, body bytes) and the instance's held bytes within
 * the bounds, and resume as the listener goes on. */
static void flow_case(const char *const *cons_extra, int n, size_t body_len,
                      int64_t max_cnt, int64_t max_size, int64_t max_held) {
        rmq_mock_cluster_t *mc   = cluster(1);
        const char *prod_extra[] = {"compressMsgBodyOverHowmuch", "16777216",
                                    NULL};
        rmq_producer_t *prod     = fx_producer(mc, PROD, prod_extra);
        char *body               = malloc(body_len + 1);
        const char *extra[16];
        gated_t *g;
        probe_t p;
        char err[512];
        size_t k = 0;
        int i;
        memset(&p, 0, sizeof(p));
        g = gated_new();
        for (i = 0; i < n; i++) {
                rmq_message_t *msg;
                int len = snprintf(body, body_len + 1, "big-%d-", i);
                memset(body + len, 'x', body_len - (size_t)len);
                body[body_len] = '\0';
                msg            = fx_msg(TOPIC, body);
                if (rmq_producer_send(prod, msg, NULL, err, sizeof(err)))
                        fail_msg("send %d: %s", i, err);
                rmq_message_destroy(msg);
        }
        /* (the consumer has its own client instance, so the budget is
         * its own) */
        extra[k++] = "consumeThreadMin";
        extra[k++] = "1";
        for (i = 0; cons_extra[i]; i++)
                extra[k++] = cons_extra[i];
        extra[k]      = NULL;
        g->seen->want = n;
        p.g           = g;
        p.total       = n;
        p.pc          = consumer(mc, extra, NULL, gated_listener, g);
        p.fc0         = atomic_load(&p.pc->queue_flow_control_times);
        assert_true(rmq_test_wait_until(probe_paused, &p, ms(10000)));
        /* paused before everything was pulled, within the bounds */
        if (p.cnt >= n || p.cnt > max_cnt || p.size > max_size ||
            p.held > max_held)
                fail_msg("paused with %lld messages, %lld body bytes, %lld "
                         "held bytes (of %d; bounds %lld, %lld, %lld)",
                         (long long)p.cnt, (long long)p.size, (long long)p.held,
                         n, (long long)max_cnt, (long long)max_size,
                         (long long)max_held);
        assert_int_equal(atomic_load(&g->seen->distinct), 0);
        gate_open(&g->gate);
        assert_true(rmq_test_wait_until(probe_done, &p, ms(20000)));
        if (p.max_cnt > max_cnt || p.max_size > max_size ||
            p.max_held > max_held)
                fail_msg("at most %lld messages, %lld body bytes, %lld held "
                         "bytes (bounds %lld, %lld, %lld)",
                         (long long)p.max_cnt, (long long)p.max_size,
                         (long long)p.max_held, (long long)max_cnt,
                         (long long)max_size, (long long)max_held);
        assert_int_equal(rmq_push_consumer_shutdown(p.pc), RMQ_OK);
        fx_seen_assert_each(g->seen, 0, n, 1);
        assert_int_equal(fx_committed_sum(mc, GROUP, TOPIC, 1), n);
        fx_destroy(p.pc, prod, mc);
        gated_free(g);
        free(body);
}

/* Broker side, one pull answers at most 32 messages or 256 KiB (plus the
 * message that crosses it): the mock's in-memory transfer limits. */
#define PULL_BATCH_BYTES (256 * 1024)

/* pullThresholdForQueue 10: at most 10 + one pull batch (32) cached. */
static void test_flow_count_threshold(void **state) {
        const char *extra[] = {"pullThresholdForQueue", "10", NULL};
        (void)state;
        flow_case(extra, 200, 16, 10 + 32, INT64_MAX, INT64_MAX);
}

/* pullThresholdSizeForQueue 1 MiB: pulls stop once the bodies reach
 * 2 MiB (Java compares whole MiB: size / 1 MiB > 1), so at most 2 MiB +
 * one pull batch. */
static void test_flow_size_threshold(void **state) {
        const char *extra[] = {"pullThresholdSizeForQueue", "1", NULL};
        (void)state;
        flow_case(extra, 48, 64 * 1024, INT64_MAX,
                  2 * 1024 * 1024 + PULL_BATCH_BYTES + 64 * 1024, INT64_MAX);
}

/* consumer.memory.budget 256 KiB: at most the budget + one pull batch
 * (the response and its decoded messages: under 1 KiB per message on top
 * of the bytes). */
static void test_flow_memory_budget(void **state) {
        const char *extra[] = {"consumer.memory.budget", "262144", NULL};
        (void)state;
        flow_case(extra, 64, 16 * 1024, INT64_MAX, INT64_MAX,
                  262144 + PULL_BATCH_BYTES + 16 * 1024 + 32 * 1024);
}

/* ==== 4. PULL_OFFSET_MOVED ==== */

typedef struct timed_s {
        fx_seen_t *seen;
        _Atomic int64_t first_ms; /* mono ms of the first call, 0 */
} timed_t;

static rmq_consume_status_t timed_listener(rmq_push_consumer_t *pc,
                                           const rmq_message_ext_t *const *msgs,
                                           size_t n, rmq_consume_context_t *ctx,
                                           void *opaque) {
        timed_t *t   = opaque;
        int64_t zero = 0;
        (void)pc;
        (void)ctx;
        atomic_compare_exchange_strong(&t->first_ms, &zero, rmq__mono_ms());
        seen_rec_all(t->seen, msgs, n);
        return RMQ_CONSUME_SUCCESS;
}

/* A rebalance every 500 ms. */
static const char *const fast_rebalance[] = {
    "rocketmq.client.rebalance.waitInterval", "500", NULL};

/* Ten messages consumed into \p first and committed (\p committedp: the
 * committed offset then), twenty more sent, and the queue truncated to
 * its min offset 20: the committed offset (10) is illegal now. */
static void commit_ten_then_truncate(rmq_mock_cluster_t *mc,
                                     rmq_producer_t *prod, fx_seen_t *first,
                                     int64_t *committedp) {
        send_range(prod, 0, 10);
        rmq_push_consumer_destroy(consume_n(mc, first, 10));
        *committedp = rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0);
        send_range(prod, 10, 30);
        assert_int_equal(rmq_mock_queue_truncate(mc, TOPIC, 0, 0, 20), RMQ_OK);
}

/* The committed offset (10) falls below the queue's min offset (20): the
 * pull gets PULL_OFFSET_MOVED (OFFSET_ILLEGAL), the queue is dropped and
 * 10 s later (Java's executeTaskLater) its offset is set to the broker's
 * suggestion and the queue removed; the next rebalance brings it back
 * from there. */
static void test_pull_offset_moved(void **state) {
        rmq_mock_cluster_t *mc = cluster(1);
        rmq_producer_t *prod   = fx_producer(mc, PROD, NULL);
        fx_seen_t *first       = calloc(1, sizeof(*first));
        timed_t t;
        fx_logcap_t lc;
        rmq_push_consumer_t *pc;
        int64_t t0, after, committed;
        (void)state;
        memset(&t, 0, sizeof(t));
        t.seen = calloc(1, sizeof(*t.seen));
        fx_logcap_init(&lc, "offset illegal", "fix the pull request offset");
        commit_ten_then_truncate(mc, prod, first, &committed);
        assert_int_equal(committed, 10);
        t0 = rmq__mono_ms();
        pc = consumer(mc, fast_rebalance, &lc, timed_listener, &t);
        fx_wait_seen(t.seen, 10, ms(15000));
        after = atomic_load(&t.first_ms) - t0;
        if (after < 9500)
                fail_msg("consumed %lld ms after the start: the queue was "
                         "fixed before OFFSET_ILLEGAL's 10 s",
                         (long long)after);
        assert_int_equal(fx_logcap_hits(&lc, 0, NULL), 1);
        assert_int_equal(fx_logcap_hits(&lc, 1, NULL), 1);
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        fx_seen_assert_each(first, 0, 10, 1);
        fx_seen_assert_each(first, 10, 30, 0);
        /* 10..19 are gone from the broker */
        fx_seen_assert_each(t.seen, 0, 20, 0);
        fx_seen_assert_each(t.seen, 20, 30, 1);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), 30);
        fx_destroy(pc, prod, mc);
        fx_logcap_fini(&lc);
        free(first);
        free(t.seen);
}

/* ==== 5. an undecodable pull body ==== */

/* Two pulls (the first of the topic's queue and of the retry queue, or
 * two of the topic's) are answered FOUND with a truncated message and a
 * nextBeginOffset past every message: each is logged, its queue pulled
 * again from the same offset after pullTimeDelayMillsWhenException, and
 * every message is consumed once. */
static void test_malformed_pull_body(void **state) {
        rmq_mock_cluster_t *mc = cluster(1);
        rmq_producer_t *prod   = fx_producer(mc, PROD, NULL);
        timed_t t;
        fx_logcap_t lc;
        const char *extra[] = {"pullTimeDelayMillsWhenException", "1500", NULL};
        rmq_push_consumer_t *pc;
        int64_t t0, bad_ms = 0;
        int bad_topic;
        (void)state;
        memset(&t, 0, sizeof(t));
        t.seen = calloc(1, sizeof(*t.seen));
        fx_logcap_init(&lc, "cannot decode the messages pulled from",
                       "cannot decode the messages pulled from MessageQueue "
                       "[topic=" TOPIC ",");
        send_range(prod, 0, 10);
        rmq_mock_push_request_errors(mc, -1, RMQ_REQ_PULL_MESSAGE, 2,
                                     RMQ_ERR__BAD_MSG, RMQ_ERR__BAD_MSG);
        t0 = rmq__mono_ms();
        pc = consumer(mc, extra, &lc, timed_listener, &t);
        fx_wait_seen(t.seen, 10, ms(15000));
        /* both bad answers came before any message was consumed */
        assert_int_equal(fx_logcap_hits(&lc, 0, NULL), 2);
        bad_topic = fx_logcap_hits(&lc, 1, &bad_ms);
        assert_true(bad_topic >= 1);
        if (atomic_load(&t.first_ms) - bad_ms < 1400 ||
            atomic_load(&t.first_ms) - t0 < 1400)
                fail_msg("consumed %lld ms after the bad body (%lld after "
                         "the start), before the exception delay",
                         (long long)(atomic_load(&t.first_ms) - bad_ms),
                         (long long)(atomic_load(&t.first_ms) - t0));
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        fx_seen_assert_each(t.seen, 0, 10, 1);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), 10);
        fx_destroy(pc, prod, mc);
        fx_logcap_fini(&lc);
        free(t.seen);
}

/* ==== 6. RESET_CONSUMER_CLIENT_OFFSET ==== */

static int64_t store_ts(rmq_mock_cluster_t *mc, int q, int64_t off) {
        rmq_mock_msg_t *m;
        int64_t ts;
        assert_int_equal(rmq_mock_message_get(mc, TOPIC, 0, q, off, &m),
                         RMQ_OK);
        ts = rmq_mock_msg_store_timestamp(m);
        rmq_mock_msg_destroy(m);
        return ts;
}

static int64_t later_than;
static bool clock_past(void *arg) {
        (void)arg;
        return rmq__mono_ms() >= later_than;
}

/* mqadmin resetOffsetByTime to a time between two batches, all consumed
 * and committed: the consumer drops its queues, commits the offsets it
 * was sent (the broker does not) and consumes again from them: the
 * second batch again, the first not. */
static void test_reset_offset_by_time(void **state) {
        rmq_mock_cluster_t *mc = cluster(2);
        rmq_producer_t *prod   = fx_producer(mc, PROD, NULL);
        fx_seen_t *first       = calloc(1, sizeof(*first));
        gated_t *g;
        offs_t reset, all;
        rmq_push_consumer_t *pc;
        int64_t a_max = 0, b_min = INT64_MAX, ts;
        int q;
        (void)state;
        g        = gated_new();
        reset.mc = all.mc = mc;
        reset.nq = all.nq = 2;
        send_range(prod, 0, 10);
        for (q = 0; q < 2; q++) {
                reset.want[q] = rmq_mock_queue_max_offset(mc, TOPIC, 0, q);
                assert_true(reset.want[q] > 0);
                ts = store_ts(mc, q, reset.want[q] - 1);
                if (ts > a_max)
                        a_max = ts;
        }
        later_than = rmq__mono_ms() + 10;
        assert_true(rmq_test_wait_until(clock_past, NULL, 1000));
        send_range(prod, 10, 20);
        for (q = 0; q < 2; q++) {
                all.want[q] = rmq_mock_queue_max_offset(mc, TOPIC, 0, q);
                ts          = store_ts(mc, q, reset.want[q]);
                if (ts < b_min)
                        b_min = ts;
        }
        assert_true(b_min >= a_max + 3);

        /* everything consumed and committed */
        rmq_push_consumer_destroy(consume_n(mc, first, 20));
        assert_true(committed_are(&all));

        /* a consumer waiting at the end of both queues */
        pc     = consumer(mc, NULL, NULL, gated_listener, g);
        all.pc = pc;
        assert_true(rmq_test_wait_until(pulls_in_flight_at, &all, ms(10000)));
        assert_int_equal(
            rmq_mock_group_reset_offset(mc, GROUP, TOPIC, b_min - 1, 0),
            RMQ_OK);
        /* it commits the reset offsets itself, before it consumes from
         * them (its listener waits) */
        assert_true(rmq_test_wait_until(committed_are, &reset, ms(5000)));
        gate_open(&g->gate);
        fx_wait_seen(g->seen, 10, ms(10000));
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        fx_seen_assert_each(first, 0, 20, 1);
        fx_seen_assert_each(g->seen, 0, 10, 0);
        fx_seen_assert_each(g->seen, 10, 20, 1);
        assert_true(committed_are(&all));
        fx_destroy(pc, prod, mc);
        gated_free(g);
        free(first);
}

static bool committed_a_zero(void *arg) {
        return rmq_mock_committed_offset(arg, GROUP, TOPIC, 0, 0) == 0;
}

/* mqadmin resetOffsetByTime runs on each broker, and each broker sends
 * the clients only its own queues: a reset from broker-a restarts
 * broker-a's queue and leaves broker-b's alone (Java's resetOffset
 * touches only the queues of the request's offset table): its pull goes
 * on and its new messages are consumed at once. */
static void test_reset_offset_one_broker(void **state) {
        rmq_mock_cluster_t *mc = cluster_n(2, 1);
        rmq_producer_t *prod   = fx_producer(mc, PROD, NULL);
        fx_seen_t *first       = calloc(1, sizeof(*first));
        mtc_t *adm             = mtc_new();
        gated_t *g;
        pull_wait_t wa, wb;
        rmq_push_consumer_t *pc;
        rmq_cmd_t *resp;
        bool on_a[14];
        int64_t end_a, end_b, off;
        int i;
        (void)state;
        g = gated_new();
        send_range(prod, 0, 10);
        end_a = rmq_mock_queue_max_offset(mc, TOPIC, 0, 0);
        end_b = rmq_mock_queue_max_offset(mc, TOPIC, 1, 0);
        assert_true(end_a > 0 && end_b > 0 && end_a + end_b == 10);
        rmq_push_consumer_destroy(consume_n(mc, first, 10));

        pc = consumer(mc, NULL, NULL, gated_listener, g);
        wa = (pull_wait_t){pc, rmq_mock_broker_name(mc, 0), end_a};
        wb = (pull_wait_t){pc, rmq_mock_broker_name(mc, 1), end_b};
        assert_true(rmq_test_wait_until(pull_waits, &wa, ms(10000)));
        assert_true(rmq_test_wait_until(pull_waits, &wb, ms(10000)));
        resp = mtc_call(adm, rmq_mock_broker_addr(mc, 0),
                        mtc_req(RMQ_REQ_INVOKE_BROKER_TO_RESET_OFFSET, "topic",
                                TOPIC, "group", GROUP, "timestamp", "0",
                                "isForce", "false", NULL));
        assert_int_equal(resp->code, 0);
        rmq__cmd_destroy(resp);
        /* committed after broker-a's queue was dropped and its pull
         * ended: broker-b's pull is still waiting */
        assert_true(rmq_test_wait_until(committed_a_zero, mc, ms(5000)));
        assert_true(pull_waits(&wb));
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 1, 0),
                         end_b);
        gate_open(&g->gate);
        fx_wait_seen(g->seen, (int)end_a, ms(10000));
        /* new messages on both brokers come at once */
        send_range(prod, 10, 14);
        fx_wait_seen(g->seen, (int)end_a + 4, ms(5000));
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        memset(on_a, 0, sizeof(on_a));
        for (off = 0; off < end_a; off++) {
                rmq_mock_msg_t *m;
                assert_int_equal(rmq_mock_message_get(mc, TOPIC, 0, 0, off, &m),
                                 RMQ_OK);
                i = fx_mock_msg_index(m);
                if (i >= 0 && i < 14)
                        on_a[i] = true;
                rmq_mock_msg_destroy(m);
        }
        for (i = 0; i < 14; i++)
                assert_int_equal(atomic_load(&g->seen->per_index[i]),
                                 i >= 10 || on_a[i] ? 1 : 0);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0) +
                             rmq_mock_committed_offset(mc, GROUP, TOPIC, 1, 0),
                         14);
        rmq_push_consumer_destroy(pc);
        mtc_destroy(adm);
        fx_destroy(NULL, prod, mc);
        gated_free(g);
        free(first);
}

/* ==== 7. admin requests the broker forwards ==== */

typedef struct direct_s {
        fx_seen_t *seen;
        atomic_int hooks;  /* hook calls */
        atomic_int answer; /* what the listener returns in direct mode */
        atomic_int calls;  /* once refuse or direct_mode is set */
        atomic_bool direct_mode;
        atomic_int last_idx;
        atomic_int last_rc;
} direct_t;

static rmq_consume_status_t
direct_listener(rmq_push_consumer_t *pc, const rmq_message_ext_t *const *msgs,
                size_t n, rmq_consume_context_t *ctx, void *opaque) {
        direct_t *d = opaque;
        (void)pc;
        (void)ctx;
        if (atomic_load(&d->direct_mode)) {
                atomic_fetch_add(&d->calls, 1);
                atomic_store(&d->last_idx, body_idx(msgs[0]));
                atomic_store(&d->last_rc,
                             rmq_message_ext_reconsume_times(msgs[0]));
                return (rmq_consume_status_t)atomic_load(&d->answer);
        }
        seen_rec_all(d->seen, msgs, n);
        return RMQ_CONSUME_SUCCESS;
}

static void direct_hook(rmq_push_consumer_t *pc,
                        const rmq_consume_hook_context_t *ctx, void *opaque) {
        direct_t *d = opaque;
        (void)pc;
        (void)ctx;
        atomic_fetch_add(&d->hooks, 1);
}

/* GetConsumerStatusBody: the {mq: offset} map of \p cid. */
static void status_of(const rmq_cmd_t *resp, const char *cid,
                      rmq_mq_offset_t **offsp, size_t *np) {
        char key[300], *wrapped, err[256];
        const char *p, *end = (const char *)resp->body + resp->body_len;
        int depth = 0;
        const char *start;
        size_t len;
        snprintf(key, sizeof(key), "\"%s\":", cid);
        p = memmem(resp->body, resp->body_len, key, strlen(key));
        if (!p)
                fail_msg("no %s in %.*s", cid, (int)resp->body_len,
                         (const char *)resp->body);
        start = p + strlen(key);
        for (p = start; p < end; p++) {
                if (*p == '{')
                        depth++;
                else if (*p == '}' && --depth == 0)
                        break;
        }
        assert_true(p < end);
        len     = (size_t)(p + 1 - start);
        wrapped = malloc(len + 8);
        memcpy(wrapped, "{\"t\":", 5);
        memcpy(wrapped + 5, start, len);
        memcpy(wrapped + 5 + len, "}", 2);
        if (rmq__offset_table_decode(wrapped, len + 6, "t", NULL, offsp, np,
                                     err, sizeof(err)))
                fail_msg("status table: %s", err);
        free(wrapped);
}

static rmq_consume_directly_result_t
direct_call(mtc_t *adm, const char *b0, const char *cid, const char *msg_id) {
        rmq_consume_directly_result_t res;
        rmq_cmd_t *resp;
        char err[256];
        resp =
            mtc_call(adm, b0,
                     mtc_req(RMQ_REQ_CONSUME_MESSAGE_DIRECTLY, "consumerGroup",
                             GROUP, "clientId", cid, "msgId", msg_id, NULL));
        if (resp->code != 0)
                fail_msg("CONSUME_MESSAGE_DIRECTLY: %d %s", resp->code,
                         resp->remark ? resp->remark : "");
        memset(&res, 0, sizeof(res));
        if (rmq__consume_directly_result_decode(resp->body, resp->body_len,
                                                &res, err, sizeof(err)))
                fail_msg("ConsumeMessageDirectlyResult: %s", err);
        rmq__free(res.remark);
        res.remark = NULL;
        rmq__cmd_destroy(resp);
        return res;
}

static void test_admin_requests(void **state) {
        rmq_mock_cluster_t *mc = cluster(2);
        rmq_producer_t *prod   = fx_producer(mc, PROD, NULL);
        direct_t *d            = calloc(1, sizeof(*d));
        const char *extra[]    = {"consumeThreadMin", "4", NULL};
        const char *b0         = rmq_mock_broker_addr(mc, 0);
        mtc_t *adm             = mtc_new();
        rmq_consumer_running_info_t info;
        rmq_consume_directly_result_t res;
        rmq_push_consumer_t *pc;
        rmq_mq_offset_t *offs;
        rmq_mock_msg_t *m;
        rmq_cmd_t *resp;
        const char *cid, *v;
        char err[256], msg_id[64];
        int64_t want[2], sum = 0;
        int hooks;
        size_t i, n, topic_mqs = 0;
        bool sub_topic = false, sub_retry = false, status_topic = false;
        (void)state;
        d->seen = calloc(1, sizeof(*d->seen));
        send_range(prod, 0, 10);
        pc  = hooked_consumer(mc, extra, direct_listener, "count", direct_hook,
                              direct_hook, d);
        cid = rmq_push_consumer_client_id(pc);
        fx_wait_seen(d->seen, 10, ms(10000));
        {
                offs_t all;
                all.pc = pc;
                all.nq = 2;
                for (i = 0; i < 2; i++)
                        want[i] = all.want[i] =
                            rmq_mock_queue_max_offset(mc, TOPIC, 0, (int)i);
                assert_true(
                    rmq_test_wait_until(mem_offsets_are, &all, ms(5000)));
        }

        /* GET_CONSUMER_RUNNING_INFO (307) */
        resp = mtc_call(adm, b0,
                        mtc_req(RMQ_REQ_GET_CONSUMER_RUNNING_INFO,
                                "consumerGroup", GROUP, "clientId", cid,
                                "jstackEnable", "false", NULL));
        assert_int_equal(resp->code, 0);
        memset(&info, 0, sizeof(info));
        if (rmq__consumer_running_info_decode(resp->body, resp->body_len, &info,
                                              err, sizeof(err)))
                fail_msg("ConsumerRunningInfo: %s", err);
        rmq__cmd_destroy(resp);
        assert_string_equal(rmq_test_info_prop(&info, "consumerGroup"), GROUP);
        assert_string_equal(rmq_test_info_prop(&info, RMQ_PROP_CONSUME_ORDERLY),
                            "false");
        assert_string_equal(rmq_test_info_prop(&info, RMQ_PROP_CONSUME_TYPE),
                            "CONSUME_PASSIVELY");
        assert_string_equal(
            rmq_test_info_prop(&info, RMQ_PROP_THREADPOOL_CORE_SIZE), "4");
        /* MQClientInstance: each address followed by ';' */
        snprintf(err, sizeof(err), "%s;", rmq_mock_cluster_namesrv_addr(mc));
        assert_string_equal(rmq_test_info_prop(&info, RMQ_PROP_NAMESERVER_ADDR),
                            err);
        assert_string_equal(rmq_test_info_prop(&info, "consumeFromWhere"),
                            "CONSUME_FROM_FIRST_OFFSET");
        assert_non_null(rmq_test_info_prop(&info, RMQ_PROP_CLIENT_VERSION));
        v = rmq_test_info_prop(&info, RMQ_PROP_CONSUMER_START_TIMESTAMP);
        assert_non_null(v);
        assert_true(atoll(v) > 0);
        for (i = 0; i < info.subscriptionSet_cnt; i++) {
                const rmq_subscription_data_t *sd = &info.subscriptionSet[i];
                if (!strcmp(sd->topic, TOPIC) && !strcmp(sd->subString, "*"))
                        sub_topic = true;
                if (!strcmp(sd->topic, RETRY) && !strcmp(sd->subString, "*"))
                        sub_retry = true;
        }
        assert_true(sub_topic && sub_retry);
        assert_int_equal(info.subscriptionSet_cnt, 2);
        for (i = 0; i < info.mqTable_cnt; i++) {
                const rmq_running_info_mq_t *e = &info.mqTable[i];
                if (strcmp(e->mq.topic, TOPIC))
                        continue;
                topic_mqs++;
                assert_true(e->mq.queueId == 0 || e->mq.queueId == 1);
                assert_int_equal(e->pq.commitOffset, want[e->mq.queueId]);
                assert_int_equal(e->pq.cachedMsgCount, 0);
                assert_false(e->pq.droped);
        }
        assert_int_equal(topic_mqs, 2);
        for (i = 0; i < info.statusTable_cnt; i++)
                if (!strcmp(info.statusTable[i].topic, TOPIC)) {
                        status_topic = true;
                        assert_int_equal(
                            info.statusTable[i].status.consumeFailedMsgs, 0);
                }
        assert_true(status_topic);
        rmq__running_info_clear(&info);

        /* INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223) -> 221 */
        resp = mtc_call(adm, b0,
                        mtc_req(RMQ_REQ_INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
                                "topic", TOPIC, "group", GROUP, NULL));
        assert_int_equal(resp->code, 0);
        status_of(resp, cid, &offs, &n);
        rmq__cmd_destroy(resp);
        assert_int_equal(n, 2);
        for (i = 0; i < n; i++) {
                assert_string_equal(offs[i].mq.topic, TOPIC);
                assert_string_equal(offs[i].mq.brokerName,
                                    rmq_mock_broker_name(mc, 0));
                assert_int_equal(offs[i].offset, want[offs[i].mq.queueId]);
                sum += offs[i].offset;
        }
        assert_int_equal(sum, 10);
        rmq__offset_table_free(offs, n);

        /* CONSUME_MESSAGE_DIRECTLY (309): the listener runs on the stored
         * message; its result is the answer; nothing is sent back or
         * committed */
        assert_int_equal(rmq_mock_message_get(mc, TOPIC, 0, 1, 0, &m), RMQ_OK);
        snprintf(msg_id, sizeof(msg_id), "%s", rmq_mock_msg_offset_msg_id(m));
        rmq_mock_msg_destroy(m);
        atomic_store(&d->direct_mode, true);
        hooks = atomic_load(&d->hooks);
        res   = direct_call(adm, b0, cid, msg_id);
        assert_int_equal(res.consumeResult, RMQ_CR_SUCCESS);
        assert_false(res.order);
        assert_true(res.autoCommit);
        assert_int_equal(atomic_load(&d->calls), 1);
        assert_int_equal(atomic_load(&d->last_rc), 0);
        /* the message at queue 1 offset 0 */
        assert_int_equal(rmq_mock_message_get(mc, TOPIC, 0, 1, 0, &m), RMQ_OK);
        assert_int_equal(atomic_load(&d->last_idx), fx_mock_msg_index(m));
        rmq_mock_msg_destroy(m);
        atomic_store(&d->answer, RMQ_RECONSUME_LATER);
        res = direct_call(adm, b0, cid, msg_id);
        assert_int_equal(res.consumeResult, RMQ_CR_LATER);
        /* a status that is neither (Java: a null one) */
        atomic_store(&d->answer, 7);
        res = direct_call(adm, b0, cid, msg_id);
        assert_int_equal(res.consumeResult, RMQ_CR_RETURN_NULL);
        assert_int_equal(atomic_load(&d->calls), 3);
        /* Java's consumeMessageDirectly runs no consume hook */
        assert_int_equal(atomic_load(&d->hooks), hooks);
        assert_int_equal(atomic_load(&d->seen->msgs), 10);
        assert_int_equal(rmq_mock_topic_message_count(mc, RETRY), 0);

        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        assert_int_equal(fx_committed_sum(mc, GROUP, TOPIC, 2), 10);
        rmq_push_consumer_destroy(pc);
        mtc_destroy(adm);
        fx_destroy(NULL, prod, mc);
        free(d->seen);
        free(d);
}

/* ==== 8. consume hooks and ackIndex ==== */

#define HK_N 40

typedef struct hk_s {
        uv_mutex_t lock;
        int acked[HK_N];       /* consumed (at or before the ack index) */
        bool must_retry[HK_N]; /* failed or after the ack index */
        bool acked_on_retry[HK_N];
        int later_calls, ok_calls;
        /* hooks */
        int before, after_ok, after_failed, after_bad, before_bad;
        int order_bad; /* before -> listener -> after broken */
        int acked_total;
} hk_t;

static _Thread_local int tl_phase;
static _Thread_local const void *tl_msgs;

static void hk_before(rmq_push_consumer_t *pc,
                      const rmq_consume_hook_context_t *ctx, void *opaque) {
        hk_t *h = opaque;
        size_t n;
        const rmq_message_ext_t *const *msgs =
            rmq_consume_hook_context_messages(ctx, &n);
        bool bad = rmq_consume_hook_context_status(ctx) != NULL ||
                   rmq_consume_hook_context_return_type(ctx) != NULL ||
                   rmq_consume_hook_context_success(ctx) ||
                   strcmp(rmq_consume_hook_context_group(ctx), GROUP) ||
                   !rmq_consume_hook_context_message_queue(ctx) || n == 0;
        (void)pc;
        uv_mutex_lock(&h->lock);
        h->before++;
        h->before_bad += bad;
        h->order_bad += tl_phase != 0;
        uv_mutex_unlock(&h->lock);
        tl_phase = 1;
        tl_msgs  = msgs;
}

static void hk_after(rmq_push_consumer_t *pc,
                     const rmq_consume_hook_context_t *ctx, void *opaque) {
        hk_t *h        = opaque;
        const char *st = rmq_consume_hook_context_status(ctx);
        const char *rt = rmq_consume_hook_context_return_type(ctx);
        int ok         = rmq_consume_hook_context_success(ctx);
        size_t n;
        const rmq_message_ext_t *const *msgs =
            rmq_consume_hook_context_messages(ctx, &n);
        (void)pc;
        uv_mutex_lock(&h->lock);
        if (st && rt && ok && !strcmp(st, "CONSUME_SUCCESS") &&
            !strcmp(rt, "SUCCESS"))
                h->after_ok++;
        else if (st && rt && !ok && !strcmp(st, "RECONSUME_LATER") &&
                 !strcmp(rt, "FAILED"))
                h->after_failed++;
        else
                h->after_bad++;
        h->order_bad += tl_phase != 2 || tl_msgs != (const void *)msgs;
        uv_mutex_unlock(&h->lock);
        tl_phase = 0;
        tl_msgs  = NULL;
}

/* Fresh batches: one with a message whose index is a multiple of 7 fails
 * whole; others of two or more messages acknowledge the first half only,
 * or none (an ack index below -1) when the first index is a multiple of
 * 3. Retried messages (from the retry topic) succeed. */
static rmq_consume_status_t hk_listener(rmq_push_consumer_t *pc,
                                        const rmq_message_ext_t *const *msgs,
                                        size_t n, rmq_consume_context_t *ctx,
                                        void *opaque) {
        hk_t *h    = opaque;
        bool fresh = rmq_message_ext_reconsume_times(msgs[0]) == 0;
        bool fail  = false;
        int ack    = (int)n - 1;
        size_t i;
        (void)pc;
        uv_mutex_lock(&h->lock);
        h->order_bad += tl_phase != 1 || tl_msgs != (const void *)msgs;
        for (i = 0; i < n; i++)
                if (fresh && body_idx(msgs[i]) % 7 == 0)
                        fail = true;
        if (fresh && !fail && n >= 2) {
                /* some batches acknowledge none of their messages with
                 * an index below -1 (as -1) */
                ack = body_idx(msgs[0]) % 3 == 0 ? -1 : (int)n / 2 - 1;
                rmq_consume_context_set_ack_index(ctx, ack == -1 ? -3 : ack);
        }
        for (i = 0; i < n; i++) {
                int idx = body_idx(msgs[i]);
                if (idx < 0 || idx >= HK_N)
                        continue;
                if (fail || (int)i > ack) {
                        h->must_retry[idx] = true;
                } else {
                        h->acked[idx]++;
                        h->acked_total++;
                        if (!fresh)
                                h->acked_on_retry[idx] = true;
                }
        }
        if (fail)
                h->later_calls++;
        else
                h->ok_calls++;
        uv_mutex_unlock(&h->lock);
        tl_phase = 2;
        return fail ? RMQ_RECONSUME_LATER : RMQ_CONSUME_SUCCESS;
}

static bool hk_all_acked(void *arg) {
        hk_t *h = arg;
        int i;
        bool all = true;
        uv_mutex_lock(&h->lock);
        for (i = 0; i < HK_N; i++)
                if (!h->acked[i])
                        all = false;
        uv_mutex_unlock(&h->lock);
        return all;
}

static void test_hooks_and_ack_index(void **state) {
        rmq_mock_cluster_t *mc = cluster(2);
        rmq_producer_t *prod   = fx_producer(mc, PROD, NULL);
        hk_t *h                = calloc(1, sizeof(*h));
        const char *extra[]    = {"consumeMessageBatchMaxSize", "4", NULL};
        rmq_push_consumer_t *pc;
        int i, retried = 0;
        (void)state;
        uv_mutex_init(&h->lock);
        send_range(prod, 0, HK_N);
        pc = hooked_consumer(mc, extra, hk_listener, "flt", hk_before, hk_after,
                             h);
        assert_true(rmq_test_wait_until(hk_all_acked, h, ms(20000)));
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        uv_mutex_lock(&h->lock);
        for (i = 0; i < HK_N; i++) {
                assert_int_equal(h->acked[i], 1);
                /* after the ack index or failed: consumed on a retry */
                assert_int_equal(h->must_retry[i], h->acked_on_retry[i]);
                retried += h->must_retry[i];
        }
        assert_true(retried > 0 && retried < HK_N);
        assert_true(h->later_calls > 0);
        assert_int_equal(h->before, h->ok_calls + h->later_calls);
        assert_int_equal(h->after_ok, h->ok_calls);
        assert_int_equal(h->after_failed, h->later_calls);
        assert_int_equal(h->after_bad, 0);
        assert_int_equal(h->before_bad, 0);
        assert_int_equal(h->order_bad, 0);
        uv_mutex_unlock(&h->lock);
        assert_int_equal(rmq_mock_topic_message_count(mc, RETRY), retried);
        assert_int_equal(fx_committed_sum(mc, GROUP, TOPIC, 2), HK_N);
        assert_int_equal(fx_committed_sum(mc, GROUP, RETRY, 1), retried);
        fx_destroy(pc, prod, mc);
        uv_mutex_destroy(&h->lock);
        free(h);
}

/* ---- cleanExpireMsg ---- */

typedef struct expire_s {
        fx_seen_t *seen; /* every delivery, per index */
        gate_t gate;
        atomic_int stuck;      /* the first call of message 3 waits */
        atomic_int retried_rc; /* its copy from the retry topic */
} expire_t;

static rmq_consume_status_t
expire_listener(rmq_push_consumer_t *pc, const rmq_message_ext_t *const *msgs,
                size_t n, rmq_consume_context_t *ctx, void *opaque) {
        expire_t *e = opaque;
        size_t i;
        (void)pc;
        (void)ctx;
        for (i = 0; i < n; i++) {
                int idx = body_idx(msgs[i]);
                int rc  = rmq_message_ext_reconsume_times(msgs[i]);
                if (idx == 3 && rc == 0) {
                        /* consuming for 16 minutes already */
                        rmq__mx_set_consume_start_time(
                            (rmq_message_ext_t *)msgs[i],
                            rmq__wall_ms() - 16 * 60 * 1000);
                        atomic_store(&e->stuck, 1);
                        gate_wait(&e->gate);
                }
                if (idx == 3 && rc > 0)
                        atomic_store(&e->retried_rc, rc);
                fx_seen_record_index(e->seen, idx);
        }
        return RMQ_CONSUME_SUCCESS;
}

static bool expire_ready(void *arg) {
        expire_t *e = arg;
        return atomic_load(&e->stuck) && atomic_load(&e->seen->distinct) >= 4;
}

static bool expire_twice(void *arg) {
        return atomic_load(&((expire_t *)arg)->seen->per_index[3]) >= 2;
}

typedef struct cached_s {
        rmq_push_consumer_t *pc;
        int64_t want;
} cached_t;

static bool cached_is(void *arg) {
        cached_t *c = arg;
        int64_t cnt, size;
        pq_figures(c->pc, TOPIC, &cnt, &size);
        return cnt == c->want;
}

/* A listener stuck on a message for more than consumeTimeout (15 min):
 * cleanExpireMsg sends it back (delay level 3) and drops it from the
 * process queue, so its copy is consumed from the retry topic while the
 * stuck call goes on. The task runs every consumeTimeout minutes (at
 * least one): here its body is called directly, on a message whose
 * consume start time the listener moved 16 minutes back. Nothing is lost:
 * the offset never passes a message not consumed. */
static void test_clean_expired_message(void **state) {
        rmq_mock_cluster_t *mc = cluster(1);
        rmq_producer_t *prod   = fx_producer(mc, PROD, NULL);
        expire_t *e            = calloc(1, sizeof(*e));
        rmq_push_consumer_t *pc;
        cached_t c;
        (void)state;
        e->seen = calloc(1, sizeof(*e->seen));
        gate_init(&e->gate);
        send_range(prod, 0, 5);
        rmq_mock_start_request_tracking(mc);
        pc = consumer(mc, NULL, NULL, expire_listener, e);
        assert_true(rmq_test_wait_until(expire_ready, e, ms(10000)));
        c.pc   = pc;
        c.want = 1;
        assert_true(rmq_test_wait_until(cached_is, &c, ms(5000)));
        rmq__consume_clean_expired(pc);
        assert_int_equal(
            rmq_mock_request_count(mc, -1, RMQ_REQ_CONSUMER_SEND_MSG_BACK), 1);
        c.want = 0;
        assert_true(cached_is(&c));
        assert_int_equal(
            rmq_mock_queue_max_offset(mc, "SCHEDULE_TOPIC_XXXX", 0, 2), 1);
        assert_true(
            rmq_test_wait_until(fx_flag_set, &e->retried_rc, ms(10000)));
        assert_int_equal(atomic_load(&e->retried_rc), 1);
        assert_int_equal(atomic_load(&e->seen->per_index[3]), 1);
        gate_open(&e->gate);
        assert_true(rmq_test_wait_until(expire_twice, e, ms(5000)));
        assert_int_equal(rmq_push_consumer_shutdown(pc), RMQ_OK);
        fx_seen_assert_each(e->seen, 0, 3, 1);
        fx_seen_assert_each(e->seen, 3, 4, 2);
        fx_seen_assert_each(e->seen, 4, 5, 1);
        /* As Java: the message left the process queue when it was sent
         * back, so its late success (an empty process queue) moves no
         * offset, and nothing else did (the next pull's correctTagsOffset
         * would, 15 s later): 3 is committed, 3 and 4 come again. */
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), 3);
        assert_int_equal(fx_committed_sum(mc, GROUP, RETRY, 1), 1);
        rmq_push_consumer_destroy(pc);
        consumed_again(mc, 3, 5);
        fx_destroy(NULL, prod, mc);
        gate_fini(&e->gate);
        free(e->seen);
        free(e);
}

/* ==== known bug: a reset while an OFFSET_ILLEGAL fix waits ==== */

static bool illegal_logged(void *arg) {
        return fx_logcap_hits(arg, 0, NULL) >= 1;
}

/* The reset (to 20) was committed, or what came after it. */
static bool committed_reset(void *arg) {
        return rmq_mock_committed_offset(arg, GROUP, TOPIC, 0, 0) >= 20;
}

typedef struct stopper_s {
        rmq_push_consumer_t *pc;
        atomic_int done;
} stopper_t;

static void stopper_run(void *arg) {
        stopper_t *st = arg;
        rmq_push_consumer_shutdown(st->pc);
        atomic_store(&st->done, 1);
}

/* RESET_CONSUMER_CLIENT_OFFSET arrives while a queue waits for its
 * OFFSET_ILLEGAL fix (10 s): the reset must not wait for that fix on the
 * scheduler thread the fix needs (it once did: rmq__pull_cancel_dropped
 * waited for every dropped queue's pull request, the fix's included,
 * while reset_run held the instance's only scheduler thread, so the
 * consumer stayed paused and its shutdown never returned). */
static void test_reset_during_offset_illegal(void **state) {
        rmq_mock_cluster_t *mc;
        rmq_producer_t *prod;
        fx_seen_t *first, *second;
        stopper_t *st;
        fx_logcap_t lc;
        rmq_push_consumer_t *pc;
        uv_thread_t tid;
        int64_t committed;
        (void)state;
        mc     = cluster(1);
        prod   = fx_producer(mc, PROD, NULL);
        first  = calloc(1, sizeof(*first));
        second = calloc(1, sizeof(*second));
        st     = calloc(1, sizeof(*st));
        fx_logcap_init(&lc, "offset illegal", NULL);
        commit_ten_then_truncate(mc, prod, first, &committed);
        pc = consumer(mc, fast_rebalance, &lc, fx_listener_ok, second);
        assert_true(rmq_test_wait_until(illegal_logged, &lc, ms(5000)));
        /* to the first message there is (20), every queue */
        assert_int_equal(rmq_mock_group_reset_offset(mc, GROUP, TOPIC, 0, 1),
                         RMQ_OK);
        /* the consumer commits the reset offset */
        assert_true(rmq_test_wait_until(committed_reset, mc, ms(5000)));
        fx_wait_seen(second, 10, ms(15000));
        st->pc = pc;
        assert_int_equal(uv_thread_create(&tid, stopper_run, st), 0);
        assert_true(rmq_test_wait_until(fx_flag_set, &st->done, ms(10000)));
        uv_thread_join(&tid);
        fx_seen_assert_each(second, 20, 30, 1);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), 30);
        fx_destroy(pc, prod, mc);
        fx_logcap_fini(&lc);
        free(first);
        free(second);
        free(st);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_send_back_fails_fallback_to_retry_topic),
            cmocka_unit_test(test_send_back_and_fallback_fail_local_retry),
            cmocka_unit_test(test_local_retry_pending_at_shutdown),
            cmocka_unit_test(test_commit_unanswered_at_shutdown),
            cmocka_unit_test(test_broker_down_at_shutdown),
            cmocka_unit_test(test_flow_count_threshold),
            cmocka_unit_test(test_flow_size_threshold),
            cmocka_unit_test(test_flow_memory_budget),
            cmocka_unit_test(test_pull_offset_moved),
            cmocka_unit_test(test_malformed_pull_body),
            cmocka_unit_test(test_reset_offset_by_time),
            cmocka_unit_test(test_reset_offset_one_broker),
            cmocka_unit_test(test_admin_requests),
            cmocka_unit_test(test_hooks_and_ack_index),
            cmocka_unit_test(test_clean_expired_message),
            cmocka_unit_test(test_reset_during_offset_illegal),
        };
        if (getenv("RMQ_TEST_FILTER"))
                cmocka_set_test_filter(getenv("RMQ_TEST_FILTER"));
        return cmocka_run_group_tests(tests, NULL, NULL);
}
