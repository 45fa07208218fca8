/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lite pull consumer against the mock cluster: subscribe (one, two and
 * three consumers joining and leaving), assign with seek / seekToBegin /
 * seekToEnd / offsetForTimestamp, pause and resume, autoCommit on and off,
 * commitSync and explicit commits, flow control with a caller that does
 * not poll, a broker restart while polling, PULL_OFFSET_MOVED, a seek while
 * a pull is in flight, broadcasting, the queue listeners, and a shutdown
 * with a poll waiting.
 */
#include "consumer_fixture.h"
#include "mock_client.h"
#include "protocol/rmq_running_info.h"

#define TOPIC  "LiteT"
#define GROUP  "GroupLite"
#define PGROUP "GroupLiteProd"
#define QUEUES 4

static int ms(int v) {
        return v * rmq_test_tmout_multiplier();
}

/* A rebalance every 300 ms, so that joins and leaves settle quickly. */
#define FAST_REBALANCE "rocketmq.client.rebalance.waitInterval", "300"

/* ---- helpers ---- */

static rmq_lite_pull_consumer_t *
lite_new(rmq_mock_cluster_t *mc, const char *group, const char *const *extra) {
        rmq_conf_t *conf = fx_conf(mc, "consumerGroup", group, extra);
        rmq_lite_pull_consumer_t *lpc;
        char err[512];
        if (rmq_lite_pull_consumer_new(&lpc, conf, err, sizeof(err)))
                fail_msg("lite consumer: %s", err);
        rmq_conf_destroy(conf);
        return lpc;
}

static void lite_start(rmq_lite_pull_consumer_t *lpc) {
        char err[512];
        if (rmq_lite_pull_consumer_start(lpc, err, sizeof(err)))
                fail_msg("start: %s", err);
}

/* A started consumer of \p group subscribed to every tag of TOPIC. */
static rmq_lite_pull_consumer_t *lite_subscribed(rmq_mock_cluster_t *mc,
                                                 const char *group,
                                                 const char *const *extra) {
        rmq_lite_pull_consumer_t *lpc = lite_new(mc, group, extra);
        char err[512];
        if (rmq_lite_pull_consumer_subscribe(lpc, TOPIC, "*", err, sizeof(err)))
                fail_msg("subscribe: %s", err);
        lite_start(lpc);
        return lpc;
}

/* Polls once (\p timeout_ms) into \p seen; returns the messages polled.
 * Each message's queue offset must follow the last one polled from its
 * queue (\p last: [broker][queue], -1 when none; may be NULL). */
#define MAX_B 3
static int poll_into(rmq_lite_pull_consumer_t *lpc, fx_seen_t *seen,
                     int64_t last[MAX_B][QUEUES], int timeout_ms) {
        rmq_message_ext_t **msgs;
        size_t n, i;
        assert_int_equal(
            rmq_lite_pull_consumer_poll(lpc, timeout_ms, &msgs, &n), RMQ_OK);
        for (i = 0; i < n; i++) {
                const char *bn = rmq_message_ext_broker_name(msgs[i]);
                int b          = bn ? bn[strlen(bn) - 1] - 'a' : -1;
                int q          = rmq_message_ext_queue_id(msgs[i]);
                int64_t off    = rmq_message_ext_queue_offset(msgs[i]);
                assert_string_equal(rmq_message_ext_topic(msgs[i]), TOPIC);
                if (last && b >= 0 && b < MAX_B && q >= 0 && q < QUEUES) {
                        if (last[b][q] >= 0 && off != last[b][q] + 1)
                                fail_msg("broker %d queue %d: offset %lld "
                                         "after %lld",
                                         b, q, (long long)off,
                                         (long long)last[b][q]);
                        last[b][q] = off;
                }
                if (seen)
                        fx_seen_record(seen, msgs[i]);
        }
        rmq_lite_pull_consumer_poll_release(msgs, n);
        return (int)n;
}

static void last_init(int64_t last[MAX_B][QUEUES]) {
        int b, q;
        for (b = 0; b < MAX_B; b++)
                for (q = 0; q < QUEUES; q++)
                        last[b][q] = -1;
}

/* Polls until \p seen has \p want distinct messages or \p timeout_ms
 * passes (the test then fails). */
static void poll_until(rmq_lite_pull_consumer_t *lpc, fx_seen_t *seen, int want,
                       int timeout_ms) {
        int64_t end = rmq__mono_ms() + timeout_ms;
        while (atomic_load(&seen->distinct) < want) {
                if (rmq__mono_ms() > end)
                        fail_msg("polled %d distinct messages of %d",
                                 atomic_load(&seen->distinct), want);
                poll_into(lpc, seen, NULL, 200);
        }
}

/* The queue \p q of broker \p b of TOPIC (destroy it). */
static rmq_message_queue_t *mq_of(rmq_mock_cluster_t *mc, int b, int q) {
        return rmq_message_queue_new(TOPIC, rmq_mock_broker_name(mc, b), q);
}

/* Sends "<prefix>-<i>" for i in [from, to) to queue \p q of broker \p b. */
static void send_to_queue(rmq_producer_t *prod, rmq_mock_cluster_t *mc, int b,
                          int q, const char *prefix, int from, int to) {
        rmq_message_queue_t *mq = mq_of(mc, b, q);
        char body[64], err[512];
        int i;
        for (i = from; i < to; i++) {
                rmq_message_t *msg;
                snprintf(body, sizeof(body), "%s-%d", prefix, i);
                msg = fx_msg(TOPIC, body);
                if (rmq_producer_send_to_queue(prod, msg, mq, NULL, err,
                                               sizeof(err)))
                        fail_msg("send %d: %s", i, err);
                rmq_message_destroy(msg);
        }
        rmq_message_queue_destroy(mq);
}

/* ==== subscribe ==== */

/* Every message polled once, in queue order; the shutdown commits what
 * poll() returned (autoCommit). */
static void test_subscribe_poll_all(void **state) {
        rmq_mock_cluster_t *mc    = fx_cluster_topic(2, TOPIC, QUEUES, NULL);
        rmq_producer_t *prod      = fx_producer(mc, PGROUP, NULL);
        fx_seen_t *seen           = calloc(1, sizeof(*seen));
        const char *const extra[] = {FX_FROM_FIRST, NULL};
        rmq_lite_pull_consumer_t *lpc;
        int64_t last[MAX_B][QUEUES];
        int64_t end;
        (void)state;
        last_init(last);
        fx_send_n(prod, TOPIC, "m", NULL, 300);
        lpc = lite_subscribed(mc, GROUP, extra);
        assert_true(rmq_lite_pull_consumer_is_running(lpc));
        end = rmq__mono_ms() + ms(20000);
        while (atomic_load(&seen->distinct) < 300 && rmq__mono_ms() < end)
                poll_into(lpc, seen, last, 200);
        fx_seen_assert_each(seen, 0, 300, 1);
        /* nothing more */
        assert_int_equal(poll_into(lpc, seen, last, 100), 0);
        assert_int_equal(rmq_lite_pull_consumer_shutdown(lpc), RMQ_OK);
        assert_false(rmq_lite_pull_consumer_is_running(lpc));
        assert_int_equal(fx_committed_sum(mc, GROUP, TOPIC, QUEUES), 300);
        /* a poll after shutdown: a clear error */
        {
                rmq_message_ext_t **m;
                size_t n;
                assert_int_equal(rmq_lite_pull_consumer_poll(lpc, 0, &m, &n),
                                 RMQ_ERR__STATE);
        }
        rmq_lite_pull_consumer_destroy(lpc);
        fx_destroy(NULL, prod, mc);
        free(seen);
}

/* The queues of \p n consumers are disjoint and cover all 8. */
typedef struct split_s {
        rmq_lite_pull_consumer_t *c[3];
        int n;
} split_t;

static bool split_settled(void *arg) {
        split_t *s   = arg;
        size_t total = 0, cnt[3];
        rmq_message_queue_t **mqs[3];
        bool ok = true;
        int i, j;
        size_t a, b;
        for (i = 0; i < s->n; i++) {
                rmq_lite_pull_consumer_assignment(s->c[i], &mqs[i], &cnt[i]);
                total += cnt[i];
                if (cnt[i] == 0)
                        ok = false;
        }
        ok = ok && total == 2 * QUEUES;
        for (i = 0; ok && i < s->n; i++)
                for (j = i + 1; ok && j < s->n; j++)
                        for (a = 0; ok && a < cnt[i]; a++)
                                for (b = 0; ok && b < cnt[j]; b++)
                                        if (!strcmp(
                                                rmq_message_queue_broker_name(
                                                    mqs[i][a]),
                                                rmq_message_queue_broker_name(
                                                    mqs[j][b])) &&
                                            rmq_message_queue_queue_id(
                                                mqs[i][a]) ==
                                                rmq_message_queue_queue_id(
                                                    mqs[j][b]))
                                                ok = false;
        for (i = 0; i < s->n; i++)
                rmq_message_queues_destroy(mqs[i], cnt[i]);
        return ok;
}

/* Polls every consumer of \p s until \p seen has \p want distinct. */
static void poll_all_until(split_t *s, fx_seen_t *seen, int want) {
        int64_t end = rmq__mono_ms() + ms(20000);
        int i;
        while (atomic_load(&seen->distinct) < want) {
                if (rmq__mono_ms() > end)
                        fail_msg("polled %d distinct messages of %d",
                                 atomic_load(&seen->distinct), want);
                for (i = 0; i < s->n; i++)
                        poll_into(s->c[i], seen, NULL, 50);
        }
}

/* Commits what each consumer of \p s polled, persisted on the brokers
 * (acknowledged), so that a queue handed over goes on from there. */
static void persist_all(split_t *s) {
        char err[512];
        int i;
        for (i = 0; i < s->n; i++) {
                rmq_message_queue_t **mqs;
                size_t n;
                assert_int_equal(
                    rmq_lite_pull_consumer_assignment(s->c[i], &mqs, &n),
                    RMQ_OK);
                if (rmq_lite_pull_consumer_commit_queues(
                        s->c[i], (const rmq_message_queue_t *const *)mqs, n, 1,
                        err, sizeof(err)))
                        fail_msg("commit: %s", err);
                rmq_message_queues_destroy(mqs, n);
        }
}

/* Two, then three consumers of a group, then one leaving: each phase's
 * messages are polled exactly once in all, the queues handed over from
 * the committed offsets. */
static void test_subscribe_join_leave(void **state) {
        rmq_mock_cluster_t *mc    = fx_cluster_topic(2, TOPIC, QUEUES, NULL);
        rmq_producer_t *prod      = fx_producer(mc, PGROUP, NULL);
        fx_seen_t *seen           = calloc(1, sizeof(*seen));
        const char *const extra[] = {FX_FROM_FIRST, FAST_REBALANCE, NULL};
        split_t s;
        int i;
        (void)state;
        memset(&s, 0, sizeof(s));
        fx_send_n(prod, TOPIC, "m", NULL, 80);
        s.c[0] = lite_subscribed(mc, GROUP, extra);
        s.n    = 1;
        poll_all_until(&s, seen, 80);
        persist_all(&s);

        /* a second joins */
        s.c[1] = lite_subscribed(mc, GROUP, extra);
        s.n    = 2;
        assert_true(rmq_test_wait_until(split_settled, &s, ms(15000)));
        fx_send_range(prod, TOPIC, "m", NULL, 80, 240);
        poll_all_until(&s, seen, 240);
        persist_all(&s);

        /* a third joins */
        s.c[2] = lite_subscribed(mc, GROUP, extra);
        s.n    = 3;
        assert_true(rmq_test_wait_until(split_settled, &s, ms(15000)));
        fx_send_range(prod, TOPIC, "m", NULL, 240, 480);
        poll_all_until(&s, seen, 480);
        persist_all(&s);

        /* the first leaves (committing what it polled) */
        assert_int_equal(rmq_lite_pull_consumer_shutdown(s.c[0]), RMQ_OK);
        rmq_lite_pull_consumer_destroy(s.c[0]);
        s.c[0] = s.c[2];
        s.n    = 2;
        assert_true(rmq_test_wait_until(split_settled, &s, ms(15000)));
        fx_send_range(prod, TOPIC, "m", NULL, 480, 640);
        poll_all_until(&s, seen, 640);
        fx_seen_assert_each(seen, 0, 640, 1);
        for (i = 0; i < s.n; i++)
                rmq_lite_pull_consumer_destroy(s.c[i]);
        assert_int_equal(fx_committed_sum(mc, GROUP, TOPIC, QUEUES), 640);
        fx_destroy(NULL, prod, mc);
        free(seen);
}

/* Broadcasting: two consumers each poll every message. */
static void test_broadcasting(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster_topic(1, TOPIC, QUEUES, NULL);
        rmq_producer_t *prod   = fx_producer(mc, PGROUP, NULL);
        fx_seen_t *s1 = calloc(1, sizeof(*s1)), *s2 = calloc(1, sizeof(*s2));
        char dir[] = "/tmp/rmq-lite-bcast-XXXXXX";
        rmq_lite_pull_consumer_t *a, *b;
        (void)state;
        assert_non_null(mkdtemp(dir));
        {
                const char *const ea[] = {FX_BROADCASTING("lite-a", dir), NULL};
                const char *const eb[] = {FX_BROADCASTING("lite-b", dir), NULL};
                fx_send_n(prod, TOPIC, "m", NULL, 100);
                a = lite_subscribed(mc, GROUP, ea);
                b = lite_subscribed(mc, GROUP, eb);
        }
        poll_until(a, s1, 100, ms(20000));
        poll_until(b, s2, 100, ms(20000));
        fx_seen_assert_each(s1, 0, 100, 1);
        fx_seen_assert_each(s2, 0, 100, 1);
        rmq_lite_pull_consumer_destroy(a);
        rmq_lite_pull_consumer_destroy(b);
        fx_destroy(NULL, prod, mc);
        free(s1);
        free(s2);
}

/* ==== assign ==== */

/* A started consumer assigned every queue of broker 0 (\p extra). */
static rmq_lite_pull_consumer_t *lite_assigned(rmq_mock_cluster_t *mc,
                                               const char *const *extra) {
        rmq_lite_pull_consumer_t *lpc = lite_new(mc, GROUP, extra);
        rmq_message_queue_t *mqs[QUEUES];
        char err[512];
        int q;
        for (q = 0; q < QUEUES; q++)
                mqs[q] = mq_of(mc, 0, q);
        if (rmq_lite_pull_consumer_assign(
                lpc, (const rmq_message_queue_t *const *)mqs, QUEUES, err,
                sizeof(err)))
                fail_msg("assign: %s", err);
        for (q = 0; q < QUEUES; q++)
                rmq_message_queue_destroy(mqs[q]);
        lite_start(lpc);
        return lpc;
}

/* Polls until nothing comes for 300 ms; returns the count. */
static int drain(rmq_lite_pull_consumer_t *lpc, fx_seen_t *seen,
                 int64_t last[MAX_B][QUEUES]) {
        int total = 0, got;
        while ((got = poll_into(lpc, seen, last, 300)) > 0)
                total += got;
        return total;
}

static void test_assign_seek(void **state) {
        rmq_mock_cluster_t *mc    = fx_cluster_topic(1, TOPIC, QUEUES, NULL);
        rmq_producer_t *prod      = fx_producer(mc, PGROUP, NULL);
        const char *const extra[] = {FX_FROM_FIRST, NULL};
        rmq_lite_pull_consumer_t *lpc;
        rmq_message_queue_t *q0 = mq_of(mc, 0, 0), *other;
        fx_seen_t *seen;
        int64_t last[MAX_B][QUEUES], off, t_mid;
        char err[512];
        int q;
        (void)state;
        for (q = 0; q < QUEUES; q++)
                send_to_queue(prod, mc, 0, q, "q", q * 10, q * 10 + 10);
        lpc = lite_assigned(mc, extra);

        /* from the first offset: all 40 */
        seen = calloc(1, sizeof(*seen));
        last_init(last);
        poll_until(lpc, seen, 40, ms(20000));
        fx_seen_assert_each(seen, 0, 40, 1);
        free(seen);

        /* seek q0 to 5: 5..9 of q0 again, nothing else */
        assert_int_equal(
            rmq_lite_pull_consumer_seek(lpc, q0, 5, err, sizeof(err)), RMQ_OK);
        seen = calloc(1, sizeof(*seen));
        last_init(last);
        last[0][0] = 4;
        assert_int_equal(drain(lpc, seen, last), 5);
        fx_seen_assert_each(seen, 5, 10, 1);
        assert_int_equal(atomic_load(&seen->distinct), 5);
        free(seen);

        /* seekToBegin: all of q0; seekToEnd: nothing */
        assert_int_equal(
            rmq_lite_pull_consumer_seek_to_begin(lpc, q0, err, sizeof(err)),
            RMQ_OK);
        seen = calloc(1, sizeof(*seen));
        last_init(last);
        assert_int_equal(drain(lpc, seen, last), 10);
        fx_seen_assert_each(seen, 0, 10, 1);
        free(seen);
        assert_int_equal(
            rmq_lite_pull_consumer_seek_to_end(lpc, q0, err, sizeof(err)),
            RMQ_OK);
        assert_int_equal(drain(lpc, NULL, NULL), 0);

        /* offsetForTimestamp: the message stored at or after a time */
        {
                rmq_mock_msg_t *m;
                assert_int_equal(rmq_mock_message_get(mc, TOPIC, 0, 0, 6, &m),
                                 RMQ_OK);
                t_mid = rmq_mock_msg_store_timestamp(m);
                rmq_mock_msg_destroy(m);
        }
        assert_int_equal(rmq_lite_pull_consumer_offset_for_timestamp(
                             lpc, q0, t_mid, &off, err, sizeof(err)),
                         RMQ_OK);
        /* (messages stored in the same millisecond share a time: the
         * broker's binary search ends on any of them) */
        {
                rmq_mock_msg_t *m;
                assert_true(off >= 0 && off < 10);
                assert_int_equal(rmq_mock_message_get(mc, TOPIC, 0, 0, off, &m),
                                 RMQ_OK);
                assert_int_equal(rmq_mock_msg_store_timestamp(m), t_mid);
                rmq_mock_msg_destroy(m);
        }
        assert_int_equal(
            rmq_lite_pull_consumer_seek(lpc, q0, off, err, sizeof(err)),
            RMQ_OK);
        seen = calloc(1, sizeof(*seen));
        assert_int_equal(drain(lpc, seen, NULL), 10 - (int)off);
        fx_seen_assert_each(seen, (int)off, 10, 1);
        free(seen);

        /* a commit right after a seek commits the sought offset, also
         * for a paused queue (whose pull task does not run) */
        rmq_lite_pull_consumer_pause(
            lpc, (const rmq_message_queue_t *const *)&q0, 1);
        assert_int_equal(rmq_lite_pull_consumer_seek(lpc, q0, 2, err,
                                                     sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_lite_pull_consumer_commit_sync(lpc), RMQ_OK);
        assert_int_equal(rmq_lite_pull_consumer_committed(lpc, q0, &off, err,
                                                          sizeof(err)),
                         RMQ_OK);
        assert_int_equal(off, 2);

        /* out of range, and a queue not assigned */
        assert_int_equal(
            rmq_lite_pull_consumer_seek(lpc, q0, 11, err, sizeof(err)),
            RMQ_ERR__INVALID_ARG);
        assert_non_null(strstr(err, "Seek offset illegal"));
        other = rmq_message_queue_new(TOPIC, "broker-x", 0);
        assert_int_equal(
            rmq_lite_pull_consumer_seek(lpc, other, 0, err, sizeof(err)),
            RMQ_ERR__NOT_FOUND);
        assert_non_null(strstr(err, "not in assigned list"));
        rmq_message_queue_destroy(other);
        rmq_message_queue_destroy(q0);
        rmq_lite_pull_consumer_destroy(lpc);
        fx_destroy(NULL, prod, mc);
}

/* A seek while a pull waits at the broker (long polling) or is being
 * answered: the first message polled after each seek is the one sought,
 * never one pulled before. */
static void test_seek_while_pulling(void **state) {
        rmq_mock_cluster_t *mc        = fx_cluster_topic(1, TOPIC, 1, NULL);
        rmq_producer_t *prod          = fx_producer(mc, PGROUP, NULL);
        const char *const extra[]     = {FX_FROM_FIRST, NULL};
        rmq_lite_pull_consumer_t *lpc = lite_new(mc, GROUP, extra);
        rmq_message_queue_t *q0       = mq_of(mc, 0, 0);
        char err[512];
        int round;
        (void)state;
        assert_int_equal(rmq_lite_pull_consumer_assign(
                             lpc, (const rmq_message_queue_t *const *)&q0, 1,
                             err, sizeof(err)),
                         RMQ_OK);
        lite_start(lpc);
        send_to_queue(prod, mc, 0, 0, "m", 0, 5);
        for (round = 0; round < 20; round++) {
                rmq_message_ext_t **msgs;
                size_t n    = 0;
                int64_t end = rmq__mono_ms() + ms(10000);
                /* a message arrives while the pull is in flight */
                send_to_queue(prod, mc, 0, 0, "m", 5 + round, 6 + round);
                assert_int_equal(
                    rmq_lite_pull_consumer_seek(lpc, q0, 2, err, sizeof(err)),
                    RMQ_OK);
                while (n == 0 && rmq__mono_ms() < end)
                        assert_int_equal(
                            rmq_lite_pull_consumer_poll(lpc, 200, &msgs, &n),
                            RMQ_OK);
                assert_true(n > 0);
                if (rmq_message_ext_queue_offset(msgs[0]) != 2)
                        fail_msg(
                            "round %d: polled offset %lld after a seek "
                            "to 2",
                            round,
                            (long long)rmq_message_ext_queue_offset(msgs[0]));
                rmq_lite_pull_consumer_poll_release(msgs, n);
        }
        rmq_message_queue_destroy(q0);
        rmq_lite_pull_consumer_destroy(lpc);
        fx_destroy(NULL, prod, mc);
}

/* Paused queues are not pulled; resumed they are. */
static void test_pause_resume(void **state) {
        rmq_mock_cluster_t *mc    = fx_cluster_topic(1, TOPIC, QUEUES, NULL);
        rmq_producer_t *prod      = fx_producer(mc, PGROUP, NULL);
        const char *const extra[] = {FX_FROM_FIRST, NULL};
        rmq_lite_pull_consumer_t *lpc;
        rmq_message_queue_t *q0 = mq_of(mc, 0, 0);
        fx_seen_t *seen         = calloc(1, sizeof(*seen));
        (void)state;
        lpc = lite_new(mc, GROUP, extra);
        {
                char err[512];
                rmq_message_queue_t *mqs[QUEUES];
                int q;
                for (q = 0; q < QUEUES; q++)
                        mqs[q] = mq_of(mc, 0, q);
                assert_int_equal(rmq_lite_pull_consumer_assign(
                                     lpc,
                                     (const rmq_message_queue_t *const *)mqs,
                                     QUEUES, err, sizeof(err)),
                                 RMQ_OK);
                for (q = 0; q < QUEUES; q++)
                        rmq_message_queue_destroy(mqs[q]);
        }
        rmq_lite_pull_consumer_pause(
            lpc, (const rmq_message_queue_t *const *)&q0, 1);
        lite_start(lpc);
        send_to_queue(prod, mc, 0, 0, "p", 0, 10);
        send_to_queue(prod, mc, 0, 1, "p", 10, 20);
        poll_until(lpc, seen, 10, ms(20000));
        assert_int_equal(drain(lpc, seen, NULL), 0);
        fx_seen_assert_each(seen, 0, 10, 0);
        fx_seen_assert_each(seen, 10, 20, 1);
        rmq_lite_pull_consumer_resume(
            lpc, (const rmq_message_queue_t *const *)&q0, 1);
        poll_until(lpc, seen, 20, ms(20000));
        fx_seen_assert_each(seen, 0, 20, 1);
        rmq_message_queue_destroy(q0);
        rmq_lite_pull_consumer_destroy(lpc);
        fx_destroy(NULL, prod, mc);
        free(seen);
}

/* ==== offsets ==== */

/* autoCommit off: nothing is committed until commitSync or an explicit
 * commit, which never goes past what poll() returned; a restarted
 * consumer goes on from the committed offsets. */
static void test_commit_sync(void **state) {
        rmq_mock_cluster_t *mc    = fx_cluster_topic(1, TOPIC, 1, NULL);
        rmq_producer_t *prod      = fx_producer(mc, PGROUP, NULL);
        const char *const extra[] = {FX_FROM_FIRST, "autoCommit", "false",
                                     NULL};
        rmq_lite_pull_consumer_t *lpc;
        rmq_message_queue_t *q0 = mq_of(mc, 0, 0);
        fx_seen_t *seen         = calloc(1, sizeof(*seen));
        int64_t off = 0, beyond = 1000;
        char err[512];
        (void)state;
        send_to_queue(prod, mc, 0, 0, "c", 0, 30);
        lpc = lite_subscribed(mc, GROUP, extra);
        poll_until(lpc, seen, 30, ms(20000));
        /* nothing committed yet */
        assert_int_equal(
            rmq_lite_pull_consumer_committed(lpc, q0, &off, err, sizeof(err)),
            RMQ_OK);
        assert_true(off <= 0);
        /* an explicit commit below the consumed offset, persisted */
        off = 12;
        assert_int_equal(rmq_lite_pull_consumer_commit_offsets(
                             lpc, (const rmq_message_queue_t *const *)&q0, &off,
                             1, 1, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), 12);
        /* one past what poll() returned is clamped */
        assert_int_equal(rmq_lite_pull_consumer_commit_offsets(
                             lpc, (const rmq_message_queue_t *const *)&q0,
                             &beyond, 1, 1, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), 30);
        /* back to 20, then a shutdown without autoCommit keeps it */
        off = 20;
        assert_int_equal(rmq_lite_pull_consumer_commit_offsets(
                             lpc, (const rmq_message_queue_t *const *)&q0, &off,
                             1, 0, err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(
            rmq_lite_pull_consumer_committed(lpc, q0, &off, err, sizeof(err)),
            RMQ_OK);
        assert_int_equal(off, 20);
        rmq_lite_pull_consumer_destroy(lpc);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), 20);
        /* a new consumer goes on from 20 */
        free(seen);
        seen = calloc(1, sizeof(*seen));
        lpc  = lite_subscribed(mc, GROUP, extra);
        poll_until(lpc, seen, 10, ms(20000));
        fx_seen_assert_each(seen, 0, 20, 0);
        fx_seen_assert_each(seen, 20, 30, 1);
        /* commitSync commits what poll() returned */
        assert_int_equal(rmq_lite_pull_consumer_commit_sync(lpc), RMQ_OK);
        assert_int_equal(
            rmq_lite_pull_consumer_committed(lpc, q0, &off, err, sizeof(err)),
            RMQ_OK);
        assert_int_equal(off, 30);
        rmq_lite_pull_consumer_destroy(lpc);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), 30);
        rmq_message_queue_destroy(q0);
        fx_destroy(NULL, prod, mc);
        free(seen);
}

/* autoCommit on: the consumed offsets are committed at the poll after
 * autoCommitIntervalMillis, and persisted by the instance. */
static void test_auto_commit(void **state) {
        rmq_mock_cluster_t *mc    = fx_cluster_topic(1, TOPIC, 1, NULL);
        rmq_producer_t *prod      = fx_producer(mc, PGROUP, NULL);
        const char *const extra[] = {
            FX_FROM_FIRST, "autoCommitIntervalMillis",
            "1000",        "persistConsumerOffsetInterval",
            "200",         NULL};
        rmq_lite_pull_consumer_t *lpc;
        fx_seen_t *seen = calloc(1, sizeof(*seen));
        int64_t end;
        (void)state;
        send_to_queue(prod, mc, 0, 0, "a", 0, 25);
        lpc = lite_subscribed(mc, GROUP, extra);
        poll_until(lpc, seen, 25, ms(20000));
        end = rmq__mono_ms() + ms(10000);
        while (rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0) != 25 &&
               rmq__mono_ms() < end)
                poll_into(lpc, seen, NULL, 100);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), 25);
        rmq_lite_pull_consumer_destroy(lpc);
        fx_destroy(NULL, prod, mc);
        free(seen);
}

/* ==== flow control ==== */

/* A wait condition: the fx_logcap_t \p arg has a line of its first
 * needle. */
static bool logged(void *arg) {
        return fx_logcap_hits(arg, 0, NULL) > 0;
}

/* A caller that does not poll: pulls stop once the queue holds more than
 * pullThresholdForQueue (three pulls of ten for a threshold of 20). */
static void test_flow_control(void **state) {
        rmq_mock_cluster_t *mc    = fx_cluster_topic(1, TOPIC, 1, NULL);
        rmq_producer_t *prod      = fx_producer(mc, PGROUP, NULL);
        const char *const extra[] = {FX_FROM_FIRST, "pullThresholdForQueue",
                                     "20", NULL};
        rmq_conf_t *conf;
        rmq_lite_pull_consumer_t *lpc;
        fx_seen_t *seen = calloc(1, sizeof(*seen));
        fx_logcap_t lc;
        char err[512];
        (void)state;
        fx_logcap_init(&lc, "so do flow control", NULL);
        send_to_queue(prod, mc, 0, 0, "f", 0, 300);
        rmq_mock_start_request_tracking(mc);
        conf = fx_conf(mc, "consumerGroup", GROUP, extra);
        fx_logcap_attach(conf, &lc);
        assert_int_equal(
            rmq_lite_pull_consumer_new(&lpc, conf, err, sizeof(err)), RMQ_OK);
        rmq_conf_destroy(conf);
        assert_int_equal(
            rmq_lite_pull_consumer_subscribe(lpc, TOPIC, "*", err, sizeof(err)),
            RMQ_OK);
        lite_start(lpc);
        assert_true(rmq_test_wait_until(logged, &lc, ms(10000)));
        assert_int_equal(fx_logcap_hits(&lc, 0, NULL), 1);
        /* 10, 20, 30 held: the fourth pull was held back */
        assert_int_equal(rmq_mock_request_count(mc, -1, RMQ_REQ_PULL_MESSAGE),
                         3);
        poll_until(lpc, seen, 300, ms(30000));
        fx_seen_assert_each(seen, 0, 300, 1);
        rmq_lite_pull_consumer_destroy(lpc);
        fx_destroy(NULL, prod, mc);
        fx_logcap_fini(&lc);
        free(seen);
}

/* ==== faults ==== */

/* A broker that stops while its queues are being polled and comes back:
 * every message is polled once. */
static void test_broker_restart(void **state) {
        rmq_mock_cluster_t *mc    = fx_cluster_topic(2, TOPIC, QUEUES, NULL);
        rmq_producer_t *prod      = fx_producer(mc, PGROUP, NULL);
        const char *const extra[] = {FX_FROM_FIRST, NULL};
        fx_seen_t *seen           = calloc(1, sizeof(*seen));
        rmq_lite_pull_consumer_t *lpc;
        int q;
        (void)state;
        for (q = 0; q < QUEUES; q++) {
                send_to_queue(prod, mc, 0, q, "a", q * 20, q * 20 + 20);
                send_to_queue(prod, mc, 1, q, "b", 80 + q * 20, 100 + q * 20);
        }
        lpc = lite_subscribed(mc, GROUP, extra);
        poll_until(lpc, seen, 40, ms(20000));
        assert_int_equal(rmq_mock_broker_set_down(mc, 0), RMQ_OK);
        /* broker-b's keep coming */
        for (q = 0; q < QUEUES; q++)
                send_to_queue(prod, mc, 1, q, "b", 160 + q * 10, 170 + q * 10);
        {
                int64_t end = rmq__mono_ms() + ms(20000);
                bool all_b  = false;
                while (!all_b && rmq__mono_ms() < end) {
                        int i;
                        poll_into(lpc, seen, NULL, 100);
                        all_b = true;
                        for (i = 80; i < 200 && all_b; i++)
                                all_b = atomic_load(&seen->per_index[i]) > 0;
                }
                assert_true(all_b);
        }
        assert_int_equal(rmq_mock_broker_set_up(mc, 0), RMQ_OK);
        poll_until(lpc, seen, 200, ms(30000));
        fx_seen_assert_each(seen, 0, 200, 1);
        rmq_lite_pull_consumer_destroy(lpc);
        fx_destroy(NULL, prod, mc);
        free(seen);
}

/* The committed offset (10) fell below the queue's min offset (20): the
 * pull gets PULL_OFFSET_MOVED and pulling goes on from 20. */
static void test_pull_offset_moved(void **state) {
        rmq_mock_cluster_t *mc    = fx_cluster_topic(1, TOPIC, 1, NULL);
        rmq_producer_t *prod      = fx_producer(mc, PGROUP, NULL);
        const char *const extra[] = {FX_FROM_FIRST, NULL};
        fx_seen_t *seen           = calloc(1, sizeof(*seen));
        rmq_lite_pull_consumer_t *lpc;
        fx_logcap_t lc;
        rmq_conf_t *conf;
        char err[512];
        (void)state;
        send_to_queue(prod, mc, 0, 0, "o", 0, 10);
        lpc = lite_subscribed(mc, GROUP, extra);
        poll_until(lpc, seen, 10, ms(20000));
        rmq_lite_pull_consumer_destroy(lpc);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), 10);
        send_to_queue(prod, mc, 0, 0, "o", 10, 30);
        assert_int_equal(rmq_mock_queue_truncate(mc, TOPIC, 0, 0, 20), RMQ_OK);

        fx_logcap_init(&lc, "offset illegal", NULL);
        conf = fx_conf(mc, "consumerGroup", GROUP, extra);
        fx_logcap_attach(conf, &lc);
        assert_int_equal(
            rmq_lite_pull_consumer_new(&lpc, conf, err, sizeof(err)), RMQ_OK);
        rmq_conf_destroy(conf);
        assert_int_equal(
            rmq_lite_pull_consumer_subscribe(lpc, TOPIC, "*", err, sizeof(err)),
            RMQ_OK);
        lite_start(lpc);
        poll_until(lpc, seen, 20, ms(20000));
        fx_seen_assert_each(seen, 0, 10, 1);
        fx_seen_assert_each(seen, 10, 20, 0);
        fx_seen_assert_each(seen, 20, 30, 1);
        assert_int_equal(fx_logcap_hits(&lc, 0, NULL), 1);
        rmq_lite_pull_consumer_destroy(lpc);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), 30);
        fx_destroy(NULL, prod, mc);
        fx_logcap_fini(&lc);
        free(seen);
}

/* ==== shutdown, modes, checks ==== */

typedef struct poller_s {
        rmq_lite_pull_consumer_t *lpc;
        atomic_int started, returned;
        rmq_err_t err;
        size_t n;
} poller_t;

static void poller_run(void *arg) {
        poller_t *p = arg;
        rmq_message_ext_t **msgs;
        atomic_store(&p->started, 1);
        p->err = rmq_lite_pull_consumer_poll(p->lpc, 60000, &msgs, &p->n);
        if (!p->err)
                rmq_lite_pull_consumer_poll_release(msgs, p->n);
        atomic_store(&p->returned, 1);
}

/* A poll waiting for a minute returns (with nothing) when the consumer
 * shuts down, which commits what was polled before. */
static void test_shutdown_wakes_poll(void **state) {
        rmq_mock_cluster_t *mc    = fx_cluster_topic(1, TOPIC, 2, NULL);
        rmq_producer_t *prod      = fx_producer(mc, PGROUP, NULL);
        const char *const extra[] = {FX_FROM_FIRST, NULL};
        fx_seen_t *seen           = calloc(1, sizeof(*seen));
        rmq_lite_pull_consumer_t *lpc;
        poller_t p;
        uv_thread_t tid;
        int64_t t0;
        (void)state;
        send_to_queue(prod, mc, 0, 0, "s", 0, 15);
        lpc = lite_subscribed(mc, GROUP, extra);
        poll_until(lpc, seen, 15, ms(20000));
        memset(&p, 0, sizeof(p));
        p.lpc = lpc;
        assert_int_equal(uv_thread_create(&tid, poller_run, &p), 0);
        assert_true(rmq_test_wait_until(fx_flag_set, &p.started, ms(5000)));
        t0 = rmq__mono_ms();
        assert_int_equal(rmq_lite_pull_consumer_shutdown(lpc), RMQ_OK);
        assert_true(rmq_test_wait_until(fx_flag_set, &p.returned, ms(5000)));
        assert_true(rmq__mono_ms() - t0 < ms(10000));
        uv_thread_join(&tid);
        assert_true(p.err == RMQ_OK || p.err == RMQ_ERR__STATE);
        assert_int_equal(p.n, 0);
        assert_int_equal(rmq_mock_committed_offset(mc, GROUP, TOPIC, 0, 0), 15);
        rmq_lite_pull_consumer_destroy(lpc);
        fx_destroy(NULL, prod, mc);
        free(seen);
}

/* Subscribe and assign exclude each other; the other checks Java makes. */
static void test_mode_and_config_checks(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster_topic(1, TOPIC, 1, NULL);
        rmq_lite_pull_consumer_t *lpc;
        rmq_message_queue_t *q0 = mq_of(mc, 0, 0);
        rmq_message_ext_t **msgs;
        size_t n;
        char err[512];
        (void)state;
        lpc = lite_new(mc, GROUP, NULL);
        assert_int_equal(rmq_lite_pull_consumer_poll(lpc, 0, &msgs, &n),
                         RMQ_ERR__STATE);
        assert_int_equal(
            rmq_lite_pull_consumer_subscribe(lpc, TOPIC, "*", err, sizeof(err)),
            RMQ_OK);
        assert_int_equal(rmq_lite_pull_consumer_assign(
                             lpc, (const rmq_message_queue_t *const *)&q0, 1,
                             err, sizeof(err)),
                         RMQ_ERR__STATE);
        assert_string_equal(err,
                            "Subscribe and assign are mutually exclusive.");
        rmq_lite_pull_consumer_destroy(lpc);

        lpc = lite_new(mc, GROUP, NULL);
        assert_int_equal(rmq_lite_pull_consumer_set_sub_expression_for_assign(
                             lpc, TOPIC, "TagA", err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(
            rmq_lite_pull_consumer_subscribe(lpc, TOPIC, "*", err, sizeof(err)),
            RMQ_ERR__STATE);
        assert_int_equal(
            rmq_lite_pull_consumer_assign(lpc, NULL, 0, err, sizeof(err)),
            RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_lite_pull_consumer_assign(
                             lpc, (const rmq_message_queue_t *const *)&q0, 1,
                             err, sizeof(err)),
                         RMQ_OK);
        lite_start(lpc);
        assert_int_equal(rmq_lite_pull_consumer_set_sub_expression_for_assign(
                             lpc, TOPIC, "TagB", err, sizeof(err)),
                         RMQ_ERR__STATE);
        assert_int_equal(rmq_lite_pull_consumer_start(lpc, err, sizeof(err)),
                         RMQ_ERR__STATE);
        rmq_lite_pull_consumer_destroy(lpc);

        {
                const char *const bad_where[] = {
                    "consumeFromWhere", "CONSUME_FROM_MAX_OFFSET", NULL};
                const char *const bad_suspend[] = {
                    "consumerTimeoutMillisWhenSuspend", "1000", NULL};
                lpc = lite_new(mc, GROUP, bad_where);
                assert_int_equal(
                    rmq_lite_pull_consumer_start(lpc, err, sizeof(err)),
                    RMQ_ERR__INVALID_ARG);
                assert_non_null(strstr(err, "ConsumeFromWhere"));
                rmq_lite_pull_consumer_destroy(lpc);
                lpc = lite_new(mc, GROUP, bad_suspend);
                assert_int_equal(
                    rmq_lite_pull_consumer_start(lpc, err, sizeof(err)),
                    RMQ_ERR__INVALID_ARG);
                assert_non_null(strstr(err, "brokerSuspendMaxTimeMillis"));
                rmq_lite_pull_consumer_destroy(lpc);
        }
        rmq_message_queue_destroy(q0);
        rmq_mock_cluster_destroy(mc);
}

/* updateNameServerAddress: before start it sets namesrvAddr (a consumer
 * made with a wrong one starts and polls once given the right one);
 * after start a malformed list is refused and a good one taken. */
static void test_update_name_server_address(void **state) {
        rmq_mock_cluster_t *mc = fx_cluster_topic(1, TOPIC, 1, NULL);
        rmq_producer_t *prod   = fx_producer(mc, PGROUP, NULL);
        const char *const extra[] = {FX_FROM_FIRST, "namesrvAddr",
                                     "127.0.0.1:1", NULL};
        rmq_lite_pull_consumer_t *lpc = lite_new(mc, GROUP, extra);
        fx_seen_t *seen               = calloc(1, sizeof(*seen));
        char err[512];
        (void)state;
        send_to_queue(prod, mc, 0, 0, "n", 0, 5);
        assert_int_equal(rmq_lite_pull_consumer_update_name_server_address(
                             lpc, rmq_mock_cluster_namesrv_addr(mc), err,
                             sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_lite_pull_consumer_subscribe(lpc, TOPIC, "*", err,
                                                          sizeof(err)),
                         RMQ_OK);
        lite_start(lpc);
        poll_until(lpc, seen, 5, ms(20000));
        assert_int_equal(rmq_lite_pull_consumer_update_name_server_address(
                             lpc, "not a list", err, sizeof(err)),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq_lite_pull_consumer_update_name_server_address(
                             lpc, rmq_mock_cluster_namesrv_addr(mc), err,
                             sizeof(err)),
                         RMQ_OK);
        send_to_queue(prod, mc, 0, 0, "n", 5, 10);
        poll_until(lpc, seen, 10, ms(20000));
        fx_seen_assert_each(seen, 0, 10, 1);
        rmq_lite_pull_consumer_destroy(lpc);
        fx_destroy(NULL, prod, mc);
        free(seen);
}

/* The assign tag expression filters. */
static void test_assign_tag_expression(void **state) {
        rmq_mock_cluster_t *mc        = fx_cluster_topic(1, TOPIC, 1, NULL);
        rmq_producer_t *prod          = fx_producer(mc, PGROUP, NULL);
        const char *const extra[]     = {FX_FROM_FIRST, NULL};
        rmq_lite_pull_consumer_t *lpc = lite_new(mc, GROUP, extra);
        rmq_message_queue_t *q0       = mq_of(mc, 0, 0);
        fx_seen_t *seen               = calloc(1, sizeof(*seen));
        char err[512];
        (void)state;
        fx_send_range(prod, TOPIC, "t", "TagA", 0, 10);
        fx_send_range(prod, TOPIC, "t", "TagB", 10, 20);
        assert_int_equal(rmq_lite_pull_consumer_set_sub_expression_for_assign(
                             lpc, TOPIC, "TagB", err, sizeof(err)),
                         RMQ_OK);
        assert_int_equal(rmq_lite_pull_consumer_assign(
                             lpc, (const rmq_message_queue_t *const *)&q0, 1,
                             err, sizeof(err)),
                         RMQ_OK);
        lite_start(lpc);
        poll_until(lpc, seen, 10, ms(20000));
        assert_int_equal(drain(lpc, seen, NULL), 0);
        fx_seen_assert_each(seen, 0, 10, 0);
        fx_seen_assert_each(seen, 10, 20, 1);
        rmq_message_queue_destroy(q0);
        rmq_lite_pull_consumer_destroy(lpc);
        fx_destroy(NULL, prod, mc);
        free(seen);
}

/* ==== listeners ==== */

typedef struct heard_s {
        atomic_int calls;
        atomic_int last_n;
} heard_t;

static void on_mq_changed(rmq_lite_pull_consumer_t *lpc, const char *topic,
                          const rmq_message_queue_t *const *all, size_t n_all,
                          const rmq_message_queue_t *const *mine, size_t n_mine,
                          void *opaque) {
        heard_t *h = opaque;
        (void)lpc;
        (void)all;
        assert_string_equal(topic, TOPIC);
        assert_int_equal(n_all, QUEUES);
        if (n_mine)
                assert_string_equal(rmq_message_queue_topic(mine[0]), TOPIC);
        atomic_store(&h->last_n, (int)n_mine);
        atomic_fetch_add(&h->calls, 1);
}

static void on_topic_changed(rmq_lite_pull_consumer_t *lpc, const char *topic,
                             const rmq_message_queue_t *const *mqs, size_t n,
                             void *opaque) {
        heard_t *h = opaque;
        (void)lpc;
        (void)mqs;
        assert_string_equal(topic, TOPIC);
        atomic_store(&h->last_n, (int)n);
        atomic_fetch_add(&h->calls, 1);
}

static bool heard_n(void *arg) {
        heard_t *h = arg;
        return atomic_load(&h->calls) > 0 && atomic_load(&h->last_n) == 8;
}

/* The rebalance listener hears this consumer's queues; the topic listener
 * hears the topic grow from 4 to 8 queues (checked 10 s after start, then
 * every topicMetadataCheckIntervalMillis). */
static void test_listeners(void **state) {
        rmq_mock_cluster_t *mc    = fx_cluster_topic(1, TOPIC, QUEUES, NULL);
        const char *const extra[] = {"topicMetadataCheckIntervalMillis", "500",
                                     NULL};
        rmq_lite_pull_consumer_t *lpc = lite_new(mc, GROUP, extra);
        heard_t rb, tp;
        char err[512];
        (void)state;
        memset(&rb, 0, sizeof(rb));
        memset(&tp, 0, sizeof(tp));
        assert_int_equal(
            rmq_lite_pull_consumer_subscribe_with_listener(
                lpc, TOPIC, "*", on_mq_changed, &rb, err, sizeof(err)),
            RMQ_OK);
        assert_int_equal(
            rmq_lite_pull_consumer_register_topic_queue_change_cb(
                lpc, TOPIC, on_topic_changed, &tp, err, sizeof(err)),
            RMQ_OK);
        lite_start(lpc);
        assert_true(rmq_test_wait_until(fx_flag_set, &rb.calls, ms(10000)));
        assert_int_equal(atomic_load(&rb.last_n), QUEUES);
        assert_int_equal(rmq_mock_topic_create(mc, TOPIC, -1, 8, 8), RMQ_OK);
        assert_true(rmq_test_wait_until(heard_n, &tp, ms(20000)));
        rmq_lite_pull_consumer_destroy(lpc);
        rmq_mock_cluster_destroy(mc);
}

/* The brokers' admin requests (forwarded by the mock as mqadmin's
 * consumerStatus / consumerRunningInfo are): running info as Java's lite
 * consumer answers it, and the offsets it committed. */
static void test_admin_requests(void **state) {
        rmq_mock_cluster_t *mc    = fx_cluster_topic(1, TOPIC, 2, NULL);
        rmq_producer_t *prod      = fx_producer(mc, PGROUP, NULL);
        const char *const extra[] = {FX_FROM_FIRST, NULL};
        fx_seen_t *seen           = calloc(1, sizeof(*seen));
        const char *b0            = rmq_mock_broker_addr(mc, 0);
        mtc_t *adm                = mtc_new();
        rmq_consumer_running_info_t info;
        rmq_lite_pull_consumer_t *lpc;
        rmq_cmd_t *resp;
        const char *cid;
        char err[256];
        (void)state;
        fx_send_n(prod, TOPIC, "r", NULL, 10);
        lpc = lite_subscribed(mc, GROUP, extra);
        cid = rmq_lite_pull_consumer_client_id(lpc);
        assert_non_null(cid);
        poll_until(lpc, seen, 10, ms(20000));
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
        assert_string_equal(rmq_test_info_prop(&info, RMQ_PROP_CONSUME_TYPE),
                            "CONSUME_ACTIVELY");
        assert_string_equal(rmq_test_info_prop(&info, "autoCommit"), "true");
        assert_true(atoll(rmq_test_info_prop(
                        &info, RMQ_PROP_CONSUMER_START_TIMESTAMP)) > 0);
        assert_int_equal(info.subscriptionSet_cnt, 1);
        assert_string_equal(info.subscriptionSet[0].topic, TOPIC);
        assert_int_equal(info.mqTable_cnt, 0);
        rmq__running_info_clear(&info);
        mtc_destroy(adm);
        rmq_lite_pull_consumer_destroy(lpc);
        fx_destroy(NULL, prod, mc);
        free(seen);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_subscribe_poll_all),
            cmocka_unit_test(test_subscribe_join_leave),
            cmocka_unit_test(test_broadcasting),
            cmocka_unit_test(test_assign_seek),
            cmocka_unit_test(test_seek_while_pulling),
            cmocka_unit_test(test_pause_resume),
            cmocka_unit_test(test_commit_sync),
            cmocka_unit_test(test_auto_commit),
            cmocka_unit_test(test_flow_control),
            cmocka_unit_test(test_broker_restart),
            cmocka_unit_test(test_pull_offset_moved),
            cmocka_unit_test(test_shutdown_wakes_poll),
            cmocka_unit_test(test_mode_and_config_checks),
            cmocka_unit_test(test_assign_tag_expression),
            cmocka_unit_test(test_update_name_server_address),
            cmocka_unit_test(test_listeners),
            cmocka_unit_test(test_admin_requests),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
