/* SPDX-License-Identifier: Apache-2.0 */
/* ProcessQueue: every method with Java's subtleties (putMessage's
 * duplicates and queueOffsetMax, removeMessage's results, maxSpan, the
 * orderly take/commit/rollback/makeMessageToConsumeAgain), the message
 * references it holds, a randomized comparison against a TreeMap model,
 * cleanExpiredMsg through its callback, the consume lock, and concurrent
 * use (run under TSan). Time is passed in: nothing sleeps. */
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

#include "client/rmq_message_ext_int.h"
#include "consumer/rmq_process_queue.h"
#include "protocol/rmq_message_codec.h"
#include "testutil.h"

#define T0 1700000000000LL /* a wall-clock "now" */

/* A batch of \p n messages at offsets first, first+step, ... with bodies
 * of \p body_len bytes; MAX_OFFSET = max_offset (< 0: none). */
static rmq_msg_batch_t *make_batch(int64_t first, size_t n, int64_t step,
                                   size_t body_len, int64_t max_offset) {
        rmq_buf_t buf = RMQ_BUF_INIT;
        rmq_msg_decode_opts_t opts;
        rmq_msg_batch_t *batch = NULL;
        char *body             = malloc(body_len + 1);
        size_t i;
        memset(body, 'b', body_len);
        for (i = 0; i < n; i++) {
                rmq_msg_view_t mv;
                memset(&mv, 0, sizeof(mv));
                mv.queueOffset     = first + (int64_t)i * step;
                mv.commitLogOffset = mv.queueOffset * 100;
                mv.bornHost.ipLen  = 4;
                mv.storeHost.ipLen = 4;
                mv.body            = (const uint8_t *)body;
                mv.bodyLen         = body_len;
                mv.topic           = "T";
                mv.topicLen        = 1;
                mv.properties      = "TAGS\001a";
                mv.propertiesLen   = 6;
                assert_int_equal(rmq__msg_encode_stored(&buf, &mv), RMQ_OK);
        }
        memset(&opts, 0, sizeof(opts));
        opts.brokerName = "broker-a";
        if (max_offset >= 0) {
                opts.hasOffsets = true;
                opts.maxOffset  = max_offset;
        }
        assert_int_equal(rmq__msg_batch_decode(NULL, buf.data, buf.len, &opts,
                                               &batch, NULL, 0),
                         RMQ_OK);
        rmq__buf_free(&buf);
        free(body);
        return batch;
}

static rmq_message_ext_t *at(rmq_msg_batch_t *b, size_t i) {
        return rmq__msg_batch_at(b, i);
}

/* Puts messages [from, to) of \p b, giving the process queue a reference
 * for each. */
static bool put_range(rmq_pq_t *pq, rmq_msg_batch_t *b, size_t from,
                      size_t to) {
        rmq__msg_batch_retain_n(b, to - from);
        return rmq__pq_put_messages(pq, rmq__msg_batch_msgs(b) + from,
                                    to - from);
}

static int64_t remove_one(rmq_pq_t *pq, const rmq_message_ext_t *mx,
                          int64_t now) {
        const rmq_message_ext_t *one[1] = {mx};
        return rmq__pq_remove_messages(pq, one, 1, now);
}

/* ---- putMessage ---- */

static void test_put(void **state) {
        rmq_pq_t *pq          = rmq__pq_new(T0);
        rmq_msg_batch_t *b    = make_batch(0, 5, 1, 10, 20);
        rmq_msg_batch_t *late = make_batch(5, 2, 1, 7, 6);
        (void)state;
        assert_false(rmq__pq_has_temp_message(pq));
        assert_int_equal(rmq__pq_max_span(pq), 0);
        assert_false(rmq__pq_consuming(pq));

        assert_true(put_range(pq, b, 0, 5)); /* dispatch: not consuming */
        assert_true(rmq__pq_consuming(pq));
        assert_int_equal(rmq__pq_msg_count(pq), 5);
        assert_int_equal(rmq__pq_msg_size(pq), 50);
        assert_int_equal(rmq__pq_queue_offset_max(pq), 4);
        assert_int_equal(rmq__pq_max_span(pq), 4);
        assert_int_equal(rmq__pq_msg_acc_cnt(pq), 20 - 4);
        assert_true(rmq__pq_has_temp_message(pq));
        assert_int_equal(rmq__msg_batch_refcnt(b), 1 + 5);

        /* already marked consuming: no second dispatch */
        assert_false(put_range(pq, late, 0, 2));
        assert_int_equal(rmq__pq_msg_count(pq), 7);
        assert_int_equal(rmq__pq_msg_size(pq), 64);
        assert_int_equal(rmq__pq_queue_offset_max(pq), 6);
        /* MAX_OFFSET - offset of the last one = 6 - 6 = 0: not positive,
         * msgAccCnt stays */
        assert_int_equal(rmq__pq_msg_acc_cnt(pq), 16);

        /* an empty put dispatches nothing and changes nothing */
        assert_false(rmq__pq_put_messages(pq, NULL, 0));
        assert_int_equal(rmq__pq_msg_count(pq), 7);

        rmq__pq_release(pq); /* drops every reference */
        assert_int_equal(rmq__msg_batch_refcnt(b), 1);
        assert_int_equal(rmq__msg_batch_refcnt(late), 1);
        rmq__msg_batch_release(b);
        rmq__msg_batch_release(late);
}

/* TreeMap.put replaces; only new offsets count; queueOffsetMax is the last
 * NEW offset put (not the maximum); no MAX_OFFSET leaves msgAccCnt. */
static void test_put_duplicates_and_order(void **state) {
        rmq_pq_t *pq        = rmq__pq_new(T0);
        rmq_msg_batch_t *b  = make_batch(10, 3, 1, 4, -1); /* 10 11 12 */
        rmq_msg_batch_t *b2 = make_batch(11, 1, 1, 9, -1); /* 11 again */
        rmq_msg_batch_t *lo = make_batch(5, 1, 1, 1, -1);  /* 5 */
        rmq_message_ext_t *out[4];
        (void)state;
        rmq__pq_set_msg_acc_cnt(pq, 77);
        put_range(pq, b, 0, 3);
        assert_int_equal(rmq__pq_msg_acc_cnt(pq), 77);
        assert_int_equal(rmq__pq_queue_offset_max(pq), 12);

        assert_false(put_range(pq, b2, 0, 1));
        assert_int_equal(rmq__pq_msg_count(pq), 3);
        assert_int_equal(rmq__pq_msg_size(pq), 12); /* not counted again */
        assert_int_equal(rmq__pq_queue_offset_max(pq), 12);
        /* the new message replaced the old one, which was released */
        assert_int_equal(rmq__msg_batch_refcnt(b), 1 + 2);
        assert_int_equal(rmq__msg_batch_refcnt(b2), 1 + 1);

        /* a lower new offset becomes queueOffsetMax (Java's quirk) */
        put_range(pq, lo, 0, 1);
        assert_int_equal(rmq__pq_queue_offset_max(pq), 5);
        assert_int_equal(rmq__pq_max_span(pq), 12 - 5);

        /* the same message twice in one put: one slot, one reference */
        rmq__msg_batch_retain_n(lo, 2);
        {
                rmq_message_ext_t *twice[2] = {at(lo, 0), at(lo, 0)};
                rmq__pq_put_messages(pq, twice, 2);
        }
        assert_int_equal(rmq__msg_batch_refcnt(lo), 1 + 1);
        assert_int_equal(rmq__pq_msg_count(pq), 4);

        /* order: 5 10 11(b2) 12 */
        assert_int_equal(rmq__pq_take_messages(pq, 4, out, T0), 4);
        assert_ptr_equal(out[0], at(lo, 0));
        assert_ptr_equal(out[1], at(b, 0));
        assert_ptr_equal(out[2], at(b2, 0));
        assert_ptr_equal(out[3], at(b, 2));
        rmq__pq_release(pq);
        assert_int_equal(rmq__msg_batch_refcnt(b), 1);
        assert_int_equal(rmq__msg_batch_refcnt(b2), 1);
        assert_int_equal(rmq__msg_batch_refcnt(lo), 1);
        rmq__msg_batch_release(b);
        rmq__msg_batch_release(b2);
        rmq__msg_batch_release(lo);
}

/* ---- removeMessage ---- */

static void test_remove(void **state) {
        rmq_pq_t *pq       = rmq__pq_new(T0);
        rmq_msg_batch_t *b = make_batch(100, 5, 1, 3, 200); /* 100..104 */
        rmq_msg_batch_t *o = make_batch(100, 1, 1, 8, -1);  /* other 100 */
        (void)state;
        /* nothing stored: -1, but lastConsumeTimestamp is set */
        assert_int_equal(remove_one(pq, at(b, 0), T0 + 5), -1);
        assert_int_equal(rmq__pq_last_consume_timestamp(pq), T0 + 5);

        put_range(pq, b, 0, 5);
        /* out of order: the first key is still 100 */
        assert_int_equal(remove_one(pq, at(b, 2), T0 + 6), 100);
        assert_int_equal(rmq__pq_msg_count(pq), 4);
        assert_int_equal(rmq__pq_msg_size(pq), 12);
        assert_int_equal(rmq__pq_max_span(pq), 4);
        /* removing one that is not there changes nothing */
        assert_int_equal(remove_one(pq, at(b, 2), T0 + 7), 100);
        assert_int_equal(rmq__pq_msg_count(pq), 4);
        /* the first: the next first key */
        assert_int_equal(remove_one(pq, at(b, 0), T0), 101);
        assert_int_equal(rmq__pq_max_span(pq), 3);
        /* the last: first key, span shrinks */
        assert_int_equal(remove_one(pq, at(b, 4), T0), 101);
        assert_int_equal(rmq__pq_max_span(pq), 2);
        assert_int_equal(rmq__pq_msg_size(pq), 6);
        /* msgSize drops by the ARGUMENT's body length (5 here, stored 3) */
        {
                rmq_msg_batch_t *o101 = make_batch(101, 1, 1, 5, -1);
                assert_int_equal(remove_one(pq, at(o101, 0), T0), 103);
                assert_int_equal(rmq__pq_msg_size(pq), 1);
                rmq__msg_batch_release(o101);
        }
        /* the last one: queueOffsetMax + 1; msgCount 0 resets msgSize */
        assert_int_equal(remove_one(pq, at(b, 3), T0), 105);
        assert_int_equal(rmq__pq_msg_count(pq), 0);
        assert_int_equal(rmq__pq_msg_size(pq), 0);
        assert_false(rmq__pq_has_temp_message(pq));
        assert_int_equal(rmq__msg_batch_refcnt(b), 1);
        /* empty again: -1 */
        assert_int_equal(remove_one(pq, at(o, 0), T0), -1);

        /* several at once */
        put_range(pq, b, 0, 5);
        {
                const rmq_message_ext_t *some[3] = {at(b, 4), at(b, 0),
                                                    at(b, 1)};
                assert_int_equal(rmq__pq_remove_messages(pq, some, 3, T0), 102);
                assert_int_equal(rmq__pq_msg_count(pq), 2);
        }
        rmq__pq_release(pq);
        assert_int_equal(rmq__msg_batch_refcnt(b), 1);
        rmq__msg_batch_release(b);
        rmq__msg_batch_release(o);
}

/* Many messages removed out of order, the first one last: tombstones are
 * compacted and the answers stay right. */
static void test_remove_out_of_order_many(void **state) {
        enum { N = 1000 };
        rmq_pq_t *pq       = rmq__pq_new(T0);
        rmq_msg_batch_t *b = make_batch(0, N, 2, 1, -1); /* 0 2 4 ... */
        size_t order[N], i;
        uint32_t seed = 12345;
        (void)state;
        put_range(pq, b, 0, N);
        for (i = 0; i < N; i++)
                order[i] = i;
        for (i = N - 1; i > 0; i--) {
                size_t j, t;
                seed     = seed * 1103515245u + 12345u;
                j        = (seed >> 8) % (i + 1);
                t        = order[i];
                order[i] = order[j];
                order[j] = t;
        }
        for (i = 0; i < N; i++) {
                size_t k = order[i];
                int64_t r;
                if (k == 0)
                        continue; /* the first stays until the end */
                r = remove_one(pq, at(b, k), T0);
                assert_int_equal(r, 0);
        }
        assert_int_equal(rmq__pq_msg_count(pq), 1);
        assert_int_equal(rmq__pq_max_span(pq), 0);
        assert_int_equal(remove_one(pq, at(b, 0), T0), 2 * (N - 1) + 1);
        assert_int_equal(rmq__msg_batch_refcnt(b), 1);
        rmq__pq_release(pq);
        rmq__msg_batch_release(b);
}

/* The ring grows when full, whether the new offset goes last, first or
 * in between; retain/release of the process queue itself. */
static void test_ring_growth(void **state) {
        rmq_pq_t *pq          = rmq__pq_new(T0);
        rmq_msg_batch_t *even = make_batch(10, 16, 2, 1, -1); /* 10..40 */
        rmq_msg_batch_t *lo   = make_batch(5, 1, 1, 1, -1);
        rmq_msg_batch_t *hi   = make_batch(42, 15, 2, 1, -1); /* 42..70 */
        rmq_msg_batch_t *mid  = make_batch(11, 1, 1, 1, -1);
        rmq_msg_batch_t *mid2 = make_batch(39, 1, 1, 1, -1);
        rmq_message_ext_t *out[40];
        size_t n, i;
        (void)state;
        assert_ptr_equal(rmq__pq_retain(pq), pq);
        put_range(pq, even, 0, 16); /* a full ring of 16 */
        put_range(pq, lo, 0, 1);    /* first, full: grows */
        put_range(pq, hi, 0, 15);   /* full again (32) */
        put_range(pq, mid, 0, 1);   /* in between, full: grows */
        put_range(pq, mid2, 0, 1);  /* in between, near the end */
        assert_int_equal(rmq__pq_msg_count(pq), 34);
        assert_int_equal(rmq__pq_max_span(pq), 70 - 5);
        n = rmq__pq_take_messages(pq, 40, out, T0);
        assert_int_equal(n, 34);
        for (i = 1; i < n; i++)
                assert_true(out[i - 1]->queueOffset < out[i]->queueOffset);
        assert_int_equal(out[0]->queueOffset, 5);
        assert_int_equal(out[2]->queueOffset, 11);
        assert_int_equal(out[n - 1]->queueOffset, 70);
        rmq__pq_release(pq); /* one reference left: nothing freed */
        assert_int_equal(rmq__pq_consuming_count(pq), 34);
        rmq__pq_release(pq);
        assert_int_equal(rmq__msg_batch_refcnt(even), 1);
        rmq__msg_batch_release(even);
        rmq__msg_batch_release(lo);
        rmq__msg_batch_release(hi);
        rmq__msg_batch_release(mid);
        rmq__msg_batch_release(mid2);
}

/* ---- a randomized comparison with a TreeMap model ---- */

#define MODEL_KEYS 64

typedef struct model_s {
        rmq_message_ext_t *msgs[MODEL_KEYS];      /* msgTreeMap */
        rmq_message_ext_t *consuming[MODEL_KEYS]; /* consuming map */
        int64_t count, size, offsetMax;
        bool consumingFlag;
} model_t;

static int64_t model_first(rmq_message_ext_t *const *m) {
        int i;
        for (i = 0; i < MODEL_KEYS; i++)
                if (m[i])
                        return i;
        return -1;
}

static int64_t model_last(rmq_message_ext_t *const *m) {
        int i;
        for (i = MODEL_KEYS - 1; i >= 0; i--)
                if (m[i])
                        return i;
        return -1;
}

static size_t model_size(rmq_message_ext_t *const *m) {
        size_t n = 0;
        int i;
        for (i = 0; i < MODEL_KEYS; i++)
                n += m[i] != NULL;
        return n;
}

static void test_treemap_model(void **state) {
        rmq_msg_batch_t *b[2];
        rmq_pq_t *pq = rmq__pq_new(T0);
        model_t m;
        uint64_t x = 88172645463325252ULL;
        int step;
        (void)state;
        memset(&m, 0, sizeof(m));
        /* two messages per offset (different bodies) to tell them apart */
        b[0] = make_batch(0, MODEL_KEYS, 1, 1, -1);
        b[1] = make_batch(0, MODEL_KEYS, 1, 2, -1);
        for (step = 0; step < 20000; step++) {
                int op, k, n, i;
                rmq_message_ext_t *in[8];
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                op = (int)(x % 100);
                k  = (int)((x >> 8) % MODEL_KEYS);
                n  = 1 + (int)((x >> 20) % 6);
                if (op < 40) { /* putMessage of n messages from k */
                        bool disp, mdisp = false;
                        for (i = 0; i < n; i++) {
                                int key             = (k + i * 3) % MODEL_KEYS;
                                rmq_msg_batch_t *bb = b[(x >> (30 + i)) & 1];
                                in[i]               = at(bb, (size_t)key);
                                rmq__msg_batch_retain_n(bb, 1);
                                if (!m.msgs[key]) {
                                        m.count++;
                                        m.size +=
                                            (int64_t)rmq__mx_body_len(in[i]);
                                        m.offsetMax = key;
                                }
                                m.msgs[key] = in[i];
                        }
                        if (model_size(m.msgs) && !m.consumingFlag) {
                                mdisp           = true;
                                m.consumingFlag = true;
                        }
                        disp = rmq__pq_put_messages(pq, in, (size_t)n);
                        assert_int_equal(disp, mdisp);
                } else if (op < 65) { /* removeMessage */
                        const rmq_message_ext_t *rm[8];
                        int64_t expect = -1, got;
                        for (i = 0; i < n; i++)
                                rm[i] = at(b[(x >> (40 + i)) & 1],
                                           (size_t)((k + i * 5) % MODEL_KEYS));
                        if (model_size(m.msgs)) {
                                int64_t removed = 0;
                                expect          = m.offsetMax + 1;
                                for (i = 0; i < n; i++) {
                                        int key = (int)rm[i]->queueOffset;
                                        if (m.msgs[key]) {
                                                m.msgs[key] = NULL;
                                                removed++;
                                                m.size -=
                                                    (int64_t)rmq__mx_body_len(
                                                        rm[i]);
                                        }
                                }
                                m.count -= removed;
                                if (m.count == 0)
                                        m.size = 0;
                                if (model_size(m.msgs))
                                        expect = model_first(m.msgs);
                        }
                        got = rmq__pq_remove_messages(pq, rm, (size_t)n, T0);
                        assert_int_equal(got, expect);
                } else if (op < 78) { /* takeMessages */
                        rmq_message_ext_t *out[8];
                        size_t got =
                            rmq__pq_take_messages(pq, (size_t)n, out, T0);
                        for (i = 0; i < (int)got; i++) {
                                int64_t f = model_first(m.msgs);
                                assert_true(f >= 0);
                                assert_ptr_equal(out[i], m.msgs[f]);
                                m.consuming[f] = m.msgs[f];
                                m.msgs[f]      = NULL;
                        }
                        assert_int_equal(
                            got, RMQ_MIN((size_t)n, got + model_size(m.msgs)));
                        if (got == 0)
                                m.consumingFlag = false;
                } else if (op < 84) { /* commit */
                        int64_t expect = -1;
                        size_t cs      = model_size(m.consuming);
                        if (cs) {
                                expect = model_last(m.consuming) + 1;
                                m.count -= (int64_t)cs;
                                if (m.count == 0) {
                                        m.size = 0;
                                } else {
                                        for (i = 0; i < MODEL_KEYS; i++)
                                                if (m.consuming[i])
                                                        m.size -= (int64_t)
                                                            rmq__mx_body_len(
                                                                m.consuming[i]);
                                }
                                memset(m.consuming, 0, sizeof(m.consuming));
                        }
                        assert_int_equal(rmq__pq_commit(pq), expect);
                } else if (op < 89) { /* rollback */
                        for (i = 0; i < MODEL_KEYS; i++) {
                                if (m.consuming[i]) {
                                        m.msgs[i]      = m.consuming[i];
                                        m.consuming[i] = NULL;
                                }
                        }
                        rmq__pq_rollback(pq);
                } else if (op < 95) { /* makeMessageToConsumeAgain */
                        for (i = 0; i < n; i++) {
                                int key          = (k + i) % MODEL_KEYS;
                                in[i]            = m.consuming[key]
                                                       ? m.consuming[key]
                                                       : at(b[0], (size_t)key);
                                m.consuming[key] = NULL;
                                m.msgs[key]      = in[i];
                        }
                        rmq__pq_make_message_to_consume_again(pq, in,
                                                              (size_t)n);
                } else if (op < 97) { /* clear */
                        memset(&m, 0, sizeof(m.msgs) + sizeof(m.consuming));
                        m.count     = 0;
                        m.size      = 0;
                        m.offsetMax = 0;
                        rmq__pq_clear(pq);
                } else { /* fillProcessQueueInfo */
                        rmq_pq_info_t info;
                        memset(&info, 0, sizeof(info));
                        rmq__pq_fill_info(pq, &info);
                        assert_int_equal(info.cachedMsgCount,
                                         model_size(m.msgs));
                        assert_int_equal(info.transactionMsgCount,
                                         model_size(m.consuming));
                        if (model_size(m.msgs)) {
                                assert_int_equal(info.cachedMsgMinOffset,
                                                 model_first(m.msgs));
                                assert_int_equal(info.cachedMsgMaxOffset,
                                                 model_last(m.msgs));
                        }
                        if (model_size(m.consuming)) {
                                assert_int_equal(info.transactionMsgMinOffset,
                                                 model_first(m.consuming));
                                assert_int_equal(info.transactionMsgMaxOffset,
                                                 model_last(m.consuming));
                        }
                }
                assert_int_equal(rmq__pq_msg_count(pq), m.count);
                assert_int_equal(rmq__pq_msg_size(pq), m.size);
                assert_int_equal(rmq__pq_stored_count(pq), model_size(m.msgs));
                assert_int_equal(rmq__pq_consuming_count(pq),
                                 model_size(m.consuming));
                assert_int_equal(rmq__pq_max_span(pq),
                                 model_size(m.msgs)
                                     ? model_last(m.msgs) - model_first(m.msgs)
                                     : 0);
                assert_int_equal(rmq__pq_has_temp_message(pq),
                                 model_size(m.msgs) > 0);
                assert_int_equal(rmq__pq_consuming(pq), m.consumingFlag);
                assert_int_equal(rmq__pq_queue_offset_max(pq), m.offsetMax);
                /* one reference per stored message, plus the owner's */
                {
                        int64_t held[2] = {1, 1};
                        int i2;
                        for (i2 = 0; i2 < MODEL_KEYS; i2++) {
                                if (m.msgs[i2])
                                        held[m.msgs[i2] ==
                                             at(b[1], (size_t)i2)]++;
                                if (m.consuming[i2])
                                        held[m.consuming[i2] ==
                                             at(b[1], (size_t)i2)]++;
                        }
                        assert_int_equal(rmq__msg_batch_refcnt(b[0]), held[0]);
                        assert_int_equal(rmq__msg_batch_refcnt(b[1]), held[1]);
                }
        }
        rmq__pq_release(pq);
        assert_int_equal(rmq__msg_batch_refcnt(b[0]), 1);
        assert_int_equal(rmq__msg_batch_refcnt(b[1]), 1);
        rmq__msg_batch_release(b[0]);
        rmq__msg_batch_release(b[1]);
}

/* ---- orderly ---- */

static void test_orderly(void **state) {
        rmq_pq_t *pq       = rmq__pq_new(T0);
        rmq_msg_batch_t *b = make_batch(0, 6, 1, 10, -1);
        rmq_message_ext_t *out[8];
        rmq_pq_info_t info;
        (void)state;
        /* nothing to take: the running mark is cleared */
        assert_true(put_range(pq, b, 0, 6));
        assert_int_equal(rmq__pq_take_messages(pq, 4, out, T0 + 1), 4);
        assert_int_equal(rmq__pq_last_consume_timestamp(pq), T0 + 1);
        assert_ptr_equal(out[0], at(b, 0));
        assert_ptr_equal(out[3], at(b, 3));
        assert_int_equal(rmq__pq_stored_count(pq), 2);
        assert_int_equal(rmq__pq_consuming_count(pq), 4);
        assert_int_equal(rmq__pq_msg_count(pq), 6); /* still counted */
        assert_true(rmq__pq_consuming(pq));

        memset(&info, 0, sizeof(info));
        rmq__pq_fill_info(pq, &info);
        assert_int_equal(info.cachedMsgMinOffset, 4);
        assert_int_equal(info.cachedMsgMaxOffset, 5);
        assert_int_equal(info.cachedMsgCount, 2);
        assert_int_equal(info.transactionMsgMinOffset, 0);
        assert_int_equal(info.transactionMsgMaxOffset, 3);
        assert_int_equal(info.transactionMsgCount, 4);

        /* SUSPEND_CURRENT_QUEUE_A_MOMENT: the two last go back */
        rmq__pq_make_message_to_consume_again(pq, out + 2, 2);
        assert_int_equal(rmq__pq_stored_count(pq), 4);
        assert_int_equal(rmq__pq_consuming_count(pq), 2);
        assert_int_equal(rmq__msg_batch_refcnt(b), 1 + 6);

        /* commit: last consuming offset + 1; counters drop */
        assert_int_equal(rmq__pq_commit(pq), 2);
        assert_int_equal(rmq__pq_msg_count(pq), 4);
        assert_int_equal(rmq__pq_msg_size(pq), 40);
        assert_int_equal(rmq__msg_batch_refcnt(b), 1 + 4);
        assert_int_equal(rmq__pq_commit(pq), -1); /* nothing consuming */

        /* rollback puts everything taken back */
        assert_int_equal(rmq__pq_take_messages(pq, 3, out, T0), 3);
        rmq__pq_rollback(pq);
        assert_int_equal(rmq__pq_stored_count(pq), 4);
        assert_int_equal(rmq__pq_consuming_count(pq), 0);
        assert_int_equal(rmq__pq_max_span(pq), 3);
        assert_int_equal(rmq__msg_batch_refcnt(b), 1 + 4);

        /* a message that is not in the consuming map is stored anew */
        {
                rmq_msg_batch_t *x        = make_batch(50, 1, 1, 1, -1);
                rmq_message_ext_t *one[1] = {at(x, 0)};
                rmq__pq_make_message_to_consume_again(pq, one, 1);
                assert_int_equal(rmq__msg_batch_refcnt(x), 2);
                assert_int_equal(rmq__pq_stored_count(pq), 5);
                assert_int_equal(rmq__pq_msg_count(pq), 4); /* as Java */
                rmq__pq_clear(pq);
                assert_int_equal(rmq__msg_batch_refcnt(x), 1);
                rmq__msg_batch_release(x);
        }
        /* clear: empty, zeroed, references dropped */
        assert_int_equal(rmq__msg_batch_refcnt(b), 1);
        assert_int_equal(rmq__pq_msg_count(pq), 0);
        assert_int_equal(rmq__pq_msg_size(pq), 0);
        assert_int_equal(rmq__pq_queue_offset_max(pq), 0);
        /* drain: takes nothing, clears the running mark */
        assert_int_equal(rmq__pq_take_messages(pq, 4, out, T0), 0);
        assert_false(rmq__pq_consuming(pq));
        /* and the next put dispatches again */
        assert_true(put_range(pq, b, 0, 1));
        rmq__pq_release(pq);
        rmq__msg_batch_release(b);
}

/* ---- flags, timestamps, expiry ---- */

static void test_flags_and_expiry(void **state) {
        rmq_pq_t *pq = rmq__pq_new(T0);
        rmq_pq_info_t info;
        (void)state;
        assert_int_equal(rmq__pq_last_pull_timestamp(pq), T0);
        assert_int_equal(rmq__pq_last_consume_timestamp(pq), T0);
        assert_int_equal(rmq__pq_last_lock_timestamp(pq), T0);
        assert_false(rmq__pq_is_lock_expired(
            pq, T0 + 30000, RMQ_PQ_REBALANCE_LOCK_MAX_LIVE_TIME));
        assert_true(rmq__pq_is_lock_expired(
            pq, T0 + 30001, RMQ_PQ_REBALANCE_LOCK_MAX_LIVE_TIME));
        assert_false(rmq__pq_is_pull_expired(pq, T0 + 120000,
                                             RMQ_PQ_PULL_MAX_IDLE_TIME));
        assert_true(rmq__pq_is_pull_expired(pq, T0 + 120001,
                                            RMQ_PQ_PULL_MAX_IDLE_TIME));
        rmq__pq_set_last_lock_timestamp(pq, T0 + 20000);
        assert_false(rmq__pq_is_lock_expired(
            pq, T0 + 50000, RMQ_PQ_REBALANCE_LOCK_MAX_LIVE_TIME));
        rmq__pq_set_last_pull_timestamp(pq, T0 + 1);
        assert_false(rmq__pq_is_pull_expired(pq, T0 + 120001,
                                             RMQ_PQ_PULL_MAX_IDLE_TIME));
        rmq__pq_set_last_consume_timestamp(pq, T0 + 2);

        assert_false(rmq__pq_dropped(pq));
        rmq__pq_set_dropped(pq, true);
        assert_true(rmq__pq_dropped(pq));
        assert_false(rmq__pq_locked(pq));
        rmq__pq_set_locked(pq, true);
        assert_true(rmq__pq_locked(pq));
        assert_int_equal(rmq__pq_try_unlock_times(pq), 0);
        rmq__pq_inc_try_unlock_times(pq);
        rmq__pq_inc_try_unlock_times(pq);
        assert_int_equal(rmq__pq_try_unlock_times(pq), 2);

        memset(&info, 0, sizeof(info));
        info.cachedMsgMinOffset = -7; /* left alone when empty, as Java */
        rmq__pq_fill_info(pq, &info);
        assert_int_equal(info.cachedMsgMinOffset, -7);
        assert_int_equal(info.cachedMsgCount, 0);
        assert_true(info.locked);
        assert_true(info.droped);
        assert_int_equal(info.tryUnlockTimes, 2);
        assert_int_equal(info.lastLockTimestamp, T0 + 20000);
        assert_int_equal(info.lastPullTimestamp, T0 + 1);
        assert_int_equal(info.lastConsumeTimestamp, T0 + 2);
        rmq__pq_release(pq);
}

static void test_size_in_mib(void **state) {
        rmq_pq_t *pq       = rmq__pq_new(T0);
        rmq_msg_batch_t *b = make_batch(0, 3, 1, 1024 * 1024 - 1, -1);
        rmq_pq_info_t info;
        (void)state;
        put_range(pq, b, 0, 3);
        memset(&info, 0, sizeof(info));
        rmq__pq_fill_info(pq, &info);
        assert_int_equal(info.cachedMsgSizeInMiB, 2); /* 3 MiB - 3 */
        rmq__pq_release(pq);
        rmq__msg_batch_release(b);
}

/* ---- cleanExpiredMsg ---- */

typedef struct sendback_s {
        int calls;
        int fail_first; /* this many calls fail */
        int64_t offsets[32];
        int delay;
        rmq_pq_t *pq; /* to check that no lock is held */
} sendback_t;

static bool send_back(rmq_message_ext_t *mx, int delay_level, void *opaque) {
        sendback_t *sb = opaque;
        /* the process queue's lock is free: this would deadlock if not */
        (void)rmq__pq_max_span(sb->pq);
        sb->offsets[sb->calls % 32] = mx->queueOffset;
        sb->delay                   = delay_level;
        return sb->calls++ >= sb->fail_first;
}

static void test_clean_expired(void **state) {
        const int64_t timeout_min = 15, limit = timeout_min * 60 * 1000;
        rmq_pq_t *pq       = rmq__pq_new(T0);
        rmq_msg_batch_t *b = make_batch(0, 20, 1, 1, -1);
        sendback_t sb;
        size_t i;
        (void)state;
        memset(&sb, 0, sizeof(sb));
        sb.pq = pq;
        put_range(pq, b, 0, 20);

        /* nothing started consuming: nothing is sent */
        rmq__pq_clean_expired_msg(pq, false, timeout_min, T0 + 10 * limit,
                                  send_back, &sb);
        assert_int_equal(sb.calls, 0);

        /* 0..17 started at T0; 18, 19 later */
        for (i = 0; i < 18; i++)
                rmq__mx_set_consume_start_time(at(b, i), T0);
        rmq__mx_set_consume_start_time(at(b, 18), T0 + limit);
        rmq__mx_set_consume_start_time(at(b, 19), T0 + limit);

        /* exactly at the limit: not expired */
        rmq__pq_clean_expired_msg(pq, false, timeout_min, T0 + limit, send_back,
                                  &sb);
        assert_int_equal(sb.calls, 0);
        /* orderly: never */
        rmq__pq_clean_expired_msg(pq, true, timeout_min, T0 + limit + 1,
                                  send_back, &sb);
        assert_int_equal(sb.calls, 0);

        /* at most 16 per run, the first each time, removed after */
        rmq__pq_clean_expired_msg(pq, false, timeout_min, T0 + limit + 1,
                                  send_back, &sb);
        assert_int_equal(sb.calls, 16);
        assert_int_equal(sb.delay, 3);
        for (i = 0; i < 16; i++)
                assert_int_equal(sb.offsets[i], (int64_t)i);
        assert_int_equal(rmq__pq_msg_count(pq), 4);
        assert_int_equal(rmq__pq_last_consume_timestamp(pq), T0 + limit + 1);
        /* the next run: 16, 17, then 18 is not expired yet */
        rmq__pq_clean_expired_msg(pq, false, timeout_min, T0 + limit + 1,
                                  send_back, &sb);
        assert_int_equal(sb.calls, 18);
        assert_int_equal(rmq__pq_msg_count(pq), 2);

        /* a failing send: the same first message is tried again, up to the
         * loop count, and stays */
        sb.calls      = 0;
        sb.fail_first = 100;
        rmq__pq_clean_expired_msg(pq, false, timeout_min, T0 + 3 * limit,
                                  send_back, &sb);
        assert_int_equal(sb.calls, 2); /* min(size = 2, 16) tries */
        assert_int_equal(sb.offsets[0], 18);
        assert_int_equal(sb.offsets[1], 18);
        assert_int_equal(rmq__pq_msg_count(pq), 2);
        assert_int_equal(rmq__msg_batch_refcnt(b), 1 + 2);
        rmq__pq_release(pq);
        rmq__msg_batch_release(b);
}

/* ---- consume lock ---- */

typedef struct locker_s {
        rmq_pq_t *pq;
        int64_t timeout;
        bool got;
} locker_t;

static void locker_run(void *arg) {
        locker_t *l = arg;
        if (l->timeout < 0) {
                rmq__pq_consume_lock(l->pq); /* blocks until free */
                l->got = true;
        } else {
                l->got = rmq__pq_consume_trylock(l->pq, l->timeout);
        }
        if (l->got)
                rmq__pq_consume_unlock(l->pq);
}

static void test_consume_lock(void **state) {
        rmq_pq_t *pq = rmq__pq_new(T0);
        uv_thread_t t;
        locker_t l = {pq, 0, false};
        (void)state;
        assert_true(rmq__pq_consume_trylock(pq, 0));
        assert_false(rmq__pq_consume_trylock(pq, 0));
        assert_false(rmq__pq_consume_trylock(pq, 20)); /* waits 20 ms */
        rmq__pq_consume_unlock(pq);
        rmq__pq_consume_lock(pq);
        /* another thread waiting long enough gets it once we let go */
        l.timeout = 60000;
        assert_int_equal(uv_thread_create(&t, locker_run, &l), 0);
        rmq__pq_consume_unlock(pq);
        uv_thread_join(&t);
        assert_true(l.got);
        /* a blocking lock in another thread waits for our unlock */
        rmq__pq_consume_lock(pq);
        l.timeout = -1;
        l.got     = false;
        assert_int_equal(uv_thread_create(&t, locker_run, &l), 0);
        rmq__pq_consume_unlock(pq);
        uv_thread_join(&t);
        assert_true(l.got);
        /* another thread trying once while we hold it fails */
        rmq__pq_consume_lock(pq);
        l.timeout = 0;
        assert_int_equal(uv_thread_create(&t, locker_run, &l), 0);
        uv_thread_join(&t);
        assert_false(l.got);
        rmq__pq_consume_unlock(pq);
        rmq__pq_release(pq);
}

/* ---- concurrency (TSan) ---- */

#define CONC_BATCHES 200
#define CONC_PER     32

typedef struct conc_s {
        rmq_pq_t *pq;
        rmq_msg_batch_t *batches[CONC_BATCHES];
        _Atomic int published; /* batches put so far */
        _Atomic bool done;
        int64_t removed;
} conc_t;

static void putter(void *arg) {
        conc_t *c = arg;
        int i;
        for (i = 0; i < CONC_BATCHES; i++) {
                rmq__msg_batch_retain_n(c->batches[i], CONC_PER);
                rmq__pq_put_messages(c->pq, rmq__msg_batch_msgs(c->batches[i]),
                                     CONC_PER);
                atomic_store(&c->published, i + 1);
        }
}

static void remover(void *arg) {
        conc_t *c     = arg;
        int next      = 0;
        uint32_t seed = 7;
        while (next < CONC_BATCHES) {
                rmq_message_ext_t *const *msgs;
                const rmq_message_ext_t *rm[CONC_PER];
                int j;
                if (atomic_load(&c->published) <= next) {
                        uv_sleep(0);
                        continue;
                }
                msgs = rmq__msg_batch_msgs(c->batches[next]);
                /* removed in shuffled order, in small groups */
                for (j = 0; j < CONC_PER; j++)
                        rm[j] = msgs[j];
                for (j = CONC_PER - 1; j > 0; j--) {
                        int k;
                        const rmq_message_ext_t *tmp;
                        seed  = seed * 1103515245u + 12345u;
                        k     = (int)((seed >> 8) % (uint32_t)(j + 1));
                        tmp   = rm[j];
                        rm[j] = rm[k];
                        rm[k] = tmp;
                }
                for (j = 0; j < CONC_PER; j += 4) {
                        int64_t r =
                            rmq__pq_remove_messages(c->pq, rm + j, 4, T0);
                        assert_true(r >= 0);
                        c->removed += 4;
                }
                next++;
        }
}

static void test_concurrent_put_remove(void **state) {
        conc_t c;
        uv_thread_t tp, tr;
        int i, reads = 0;
        (void)state;
        memset(&c, 0, sizeof(c));
        c.pq = rmq__pq_new(T0);
        for (i = 0; i < CONC_BATCHES; i++)
                c.batches[i] =
                    make_batch((int64_t)i * CONC_PER, CONC_PER, 1, 5, -1);
        assert_int_equal(uv_thread_create(&tp, putter, &c), 0);
        assert_int_equal(uv_thread_create(&tr, remover, &c), 0);
        /* a third thread reads what the pull service and admin read */
        while (atomic_load(&c.published) < CONC_BATCHES || reads < 100) {
                rmq_pq_info_t info;
                memset(&info, 0, sizeof(info));
                (void)rmq__pq_msg_count(c.pq);
                (void)rmq__pq_msg_size(c.pq);
                assert_true(rmq__pq_max_span(c.pq) >= 0);
                rmq__pq_fill_info(c.pq, &info);
                rmq__pq_set_last_pull_timestamp(c.pq, T0 + reads);
                reads++;
        }
        uv_thread_join(&tp);
        uv_thread_join(&tr);
        assert_int_equal(c.removed, CONC_BATCHES * CONC_PER);
        assert_int_equal(rmq__pq_msg_count(c.pq), 0);
        assert_int_equal(rmq__pq_msg_size(c.pq), 0);
        assert_false(rmq__pq_has_temp_message(c.pq));
        for (i = 0; i < CONC_BATCHES; i++) {
                assert_int_equal(rmq__msg_batch_refcnt(c.batches[i]), 1);
                rmq__msg_batch_release(c.batches[i]);
        }
        rmq__pq_release(c.pq);
}

/* Orderly: one thread puts while another takes and commits under the
 * consume lock. */
typedef struct oconc_s {
        rmq_pq_t *pq;
        rmq_msg_batch_t *batches[CONC_BATCHES];
        _Atomic bool put_done;
        int64_t taken;
        int64_t last_commit;
} oconc_t;

static void oputter(void *arg) {
        oconc_t *c = arg;
        int i;
        for (i = 0; i < CONC_BATCHES; i++) {
                rmq__msg_batch_retain_n(c->batches[i], CONC_PER);
                rmq__pq_put_messages(c->pq, rmq__msg_batch_msgs(c->batches[i]),
                                     CONC_PER);
        }
        atomic_store(&c->put_done, true);
}

static void oconsumer(void *arg) {
        oconc_t *c     = arg;
        unsigned round = 0;
        for (;;) {
                rmq_message_ext_t *out[10];
                size_t n, i;
                bool done = atomic_load(&c->put_done);
                rmq__pq_consume_lock(c->pq);
                n = rmq__pq_take_messages(c->pq, 10, out, T0);
                for (i = 0; i < n; i++)
                        assert_int_equal(out[i]->queueOffset, c->taken + i);
                c->taken += (int64_t)n;
                if (n > 0 && ++round % 7 == 3) {
                        rmq__pq_rollback(c->pq);
                        c->taken -= (int64_t)n;
                } else if (n > 0) {
                        c->last_commit = rmq__pq_commit(c->pq);
                }
                rmq__pq_consume_unlock(c->pq);
                if (n == 0 && done)
                        break;
        }
}

static void test_concurrent_orderly(void **state) {
        oconc_t c;
        uv_thread_t tp, tc;
        int i;
        (void)state;
        memset(&c, 0, sizeof(c));
        c.pq = rmq__pq_new(T0);
        for (i = 0; i < CONC_BATCHES; i++)
                c.batches[i] =
                    make_batch((int64_t)i * CONC_PER, CONC_PER, 1, 3, -1);
        assert_int_equal(uv_thread_create(&tp, oputter, &c), 0);
        assert_int_equal(uv_thread_create(&tc, oconsumer, &c), 0);
        uv_thread_join(&tp);
        uv_thread_join(&tc);
        assert_int_equal(c.taken, CONC_BATCHES * CONC_PER);
        assert_int_equal(c.last_commit, CONC_BATCHES * CONC_PER);
        assert_int_equal(rmq__pq_msg_count(c.pq), 0);
        assert_int_equal(rmq__pq_msg_size(c.pq), 0);
        for (i = 0; i < CONC_BATCHES; i++) {
                assert_int_equal(rmq__msg_batch_refcnt(c.batches[i]), 1);
                rmq__msg_batch_release(c.batches[i]);
        }
        rmq__pq_release(c.pq);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_put),
            cmocka_unit_test(test_put_duplicates_and_order),
            cmocka_unit_test(test_remove),
            cmocka_unit_test(test_remove_out_of_order_many),
            cmocka_unit_test(test_ring_growth),
            cmocka_unit_test(test_treemap_model),
            cmocka_unit_test(test_orderly),
            cmocka_unit_test(test_flags_and_expiry),
            cmocka_unit_test(test_size_in_mib),
            cmocka_unit_test(test_clean_expired),
            cmocka_unit_test(test_consume_lock),
            cmocka_unit_test(test_concurrent_put_remove),
            cmocka_unit_test(test_concurrent_orderly),
        };
        return cmocka_run_group_tests_name("process_queue", tests, NULL, NULL);
}
