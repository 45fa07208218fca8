/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ProcessQueue. See rmq_process_queue.h.
 */
#include <uv.h>

#include "consumer/rmq_process_queue.h"

/* ---- offset-ordered map (Java TreeMap<Long, MessageExt>) ---- */

typedef struct pq_slot_s {
        int64_t offset;
        rmq_message_ext_t *mx; /* NULL: tombstone */
} pq_slot_t;

/*
 * A sorted ring: logical slot i (0 <= i < len) is slots[(head + i) &
 * (cap - 1)], offsets strictly increasing with i. Tombstones keep their
 * offset so the order stays searchable; the first and the last slot are
 * always live (trimmed), so len == 0 exactly when live == 0.
 */
typedef struct pq_map_s {
        pq_slot_t *slots;
        size_t cap; /* 0 or a power of two */
        size_t head;
        size_t len;
        size_t live;
} pq_map_t;

#define MAP_MIN_CAP 16
/* Compact when tombstones outnumber live slots in a map at least this
 * long. */
#define MAP_COMPACT_MIN 32

static inline pq_slot_t *map_slot(const pq_map_t *m, size_t i) {
        return &m->slots[(m->head + i) & (m->cap - 1)];
}

static void map_grow(pq_map_t *m) {
        size_t ncap   = m->cap ? m->cap * 2 : MAP_MIN_CAP;
        pq_slot_t *ns = rmq__malloc(ncap * sizeof(*ns));
        size_t i;
        for (i = 0; i < m->len; i++)
                ns[i] = *map_slot(m, i);
        rmq__free(m->slots);
        m->slots = ns;
        m->cap   = ncap;
        m->head  = 0;
}

static void map_trim(pq_map_t *m) {
        while (m->len > 0 && !map_slot(m, 0)->mx) {
                m->head = (m->head + 1) & (m->cap - 1);
                m->len--;
        }
        while (m->len > 0 && !map_slot(m, m->len - 1)->mx)
                m->len--;
        if (m->len == 0)
                m->head = 0;
}

static void map_compact(pq_map_t *m) {
        size_t i, w = 0;
        for (i = 0; i < m->len; i++) {
                pq_slot_t *s = map_slot(m, i);
                if (s->mx)
                        *map_slot(m, w++) = *s;
        }
        m->len = w;
}

/* Binary search: true and the slot index if \p off has a slot (live or
 * tombstone), else false and the insertion index. */
static bool map_find(const pq_map_t *m, int64_t off, size_t *idxp) {
        size_t lo = 0, hi = m->len;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int64_t o  = map_slot(m, mid)->offset;
                if (o == off) {
                        *idxp = mid;
                        return true;
                }
                if (o < off)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *idxp = lo;
        return false;
}

static inline int64_t map_first_key(const pq_map_t *m) {
        return map_slot(m, 0)->offset;
}

static inline int64_t map_last_key(const pq_map_t *m) {
        return map_slot(m, m->len - 1)->offset;
}

/* TreeMap.put: returns the message it replaces (the caller releases it),
 * or NULL for a new key. */
static rmq_message_ext_t *map_put(pq_map_t *m, int64_t off,
                                  rmq_message_ext_t *mx) {
        size_t idx, i;
        pq_slot_t *s;
        if (m->len == 0 || off > map_last_key(m)) {
                if (m->len == m->cap)
                        map_grow(m);
                s = map_slot(m, m->len++);
        } else if (off < map_first_key(m)) {
                if (m->len == m->cap)
                        map_grow(m);
                m->head = (m->head - 1) & (m->cap - 1);
                m->len++;
                s = map_slot(m, 0);
        } else if (map_find(m, off, &idx)) {
                rmq_message_ext_t *old;
                s     = map_slot(m, idx);
                old   = s->mx;
                s->mx = mx;
                if (!old)
                        m->live++; /* a tombstone comes back */
                return old;
        } else {
                /* Between two slots: shift the shorter side by one. */
                if (m->len == m->cap)
                        map_grow(m);
                if (idx <= m->len - idx) {
                        m->head = (m->head - 1) & (m->cap - 1);
                        m->len++;
                        for (i = 0; i < idx; i++)
                                *map_slot(m, i) = *map_slot(m, i + 1);
                } else {
                        m->len++;
                        for (i = m->len - 1; i > idx; i--)
                                *map_slot(m, i) = *map_slot(m, i - 1);
                }
                s = map_slot(m, idx);
        }
        s->offset = off;
        s->mx     = mx;
        m->live++;
        return NULL;
}

/* TreeMap.remove: returns the message (the caller releases it) or NULL. */
static rmq_message_ext_t *map_remove(pq_map_t *m, int64_t off) {
        rmq_message_ext_t *mx;
        size_t idx;
        pq_slot_t *s;
        if (m->live == 0 || !map_find(m, off, &idx))
                return NULL;
        s = map_slot(m, idx);
        if (!(mx = s->mx))
                return NULL;
        s->mx = NULL;
        m->live--;
        map_trim(m);
        if (m->len >= MAP_COMPACT_MIN && m->len - m->live > m->live)
                map_compact(m);
        return mx;
}

/* TreeMap.pollFirstEntry (the map must not be empty). */
static rmq_message_ext_t *map_poll_first(pq_map_t *m, int64_t *offp) {
        pq_slot_t *s          = map_slot(m, 0);
        rmq_message_ext_t *mx = s->mx;
        *offp                 = s->offset;
        s->mx                 = NULL;
        m->live--;
        map_trim(m);
        return mx;
}

/* Empties the map, releasing every message. */
static void map_clear(pq_map_t *m) {
        size_t i;
        for (i = 0; i < m->len; i++) {
                pq_slot_t *s = map_slot(m, i);
                if (s->mx)
                        rmq_message_ext_release(s->mx);
        }
        m->len  = 0;
        m->head = 0;
        m->live = 0;
}

static void map_free(pq_map_t *m) {
        map_clear(m);
        rmq__free(m->slots);
        m->slots = NULL;
        m->cap   = 0;
}

/* ---- process queue ---- */

struct rmq_pq_s {
        _Atomic int64_t refcnt;
        uv_mutex_t lock;        /* Java treeMapLock */
        pq_map_t msgs;          /* msgTreeMap */
        pq_map_t consumingMsgs; /* consumingMsgOrderlyTreeMap */
        int64_t queueOffsetMax; /* under lock */
        bool consuming;         /* under lock */
        _Atomic int64_t msgCount;
        _Atomic int64_t msgSize;
        _Atomic int64_t msgAccCnt;
        _Atomic int64_t tryUnlockTimes;
        _Atomic int64_t lastPullTimestamp;
        _Atomic int64_t lastConsumeTimestamp;
        _Atomic int64_t lastLockTimestamp;
        _Atomic bool dropped;
        _Atomic bool locked;
        /* consume lock: a mutex-guarded flag, for the timed tryLock */
        uv_mutex_t consumeMtx;
        uv_cond_t consumeCond;
        bool consumeHeld;
};

#define LD(field)    atomic_load_explicit(&(field), memory_order_relaxed)
#define ST(field, v) atomic_store_explicit(&(field), (v), memory_order_relaxed)
#define ADD(field, v)                                                          \
        atomic_fetch_add_explicit(&(field), (v), memory_order_relaxed)

/* Lock-free readers take a const process queue. */
#define MUT(pq) ((rmq_pq_t *)(uintptr_t)(pq))

rmq_pq_t *rmq__pq_new(int64_t now_ms) {
        rmq_pq_t *pq = rmq__calloc(1, sizeof(*pq));
        atomic_init(&pq->refcnt, 1);
        if (uv_mutex_init(&pq->lock) || uv_mutex_init(&pq->consumeMtx) ||
            uv_cond_init(&pq->consumeCond))
                abort();
        atomic_init(&pq->msgCount, 0);
        atomic_init(&pq->msgSize, 0);
        atomic_init(&pq->msgAccCnt, 0);
        atomic_init(&pq->tryUnlockTimes, 0);
        atomic_init(&pq->lastPullTimestamp, now_ms);
        atomic_init(&pq->lastConsumeTimestamp, now_ms);
        atomic_init(&pq->lastLockTimestamp, now_ms);
        atomic_init(&pq->dropped, false);
        atomic_init(&pq->locked, false);
        return pq;
}

rmq_pq_t *rmq__pq_retain(rmq_pq_t *pq) {
        atomic_fetch_add_explicit(&pq->refcnt, 1, memory_order_relaxed);
        return pq;
}

void rmq__pq_release(rmq_pq_t *pq) {
        if (!pq || atomic_fetch_sub_explicit(&pq->refcnt, 1,
                                             memory_order_acq_rel) != 1)
                return;
        map_free(&pq->msgs);
        map_free(&pq->consumingMsgs);
        uv_cond_destroy(&pq->consumeCond);
        uv_mutex_destroy(&pq->consumeMtx);
        uv_mutex_destroy(&pq->lock);
        rmq__free(pq);
}

/* mirrors ProcessQueue.putMessage */
bool rmq__pq_put_messages(rmq_pq_t *pq, rmq_message_ext_t *const *msgs,
                          size_t n) {
        bool dispatch = false;
        int64_t valid = 0, size = 0, maxOffset;
        size_t i;

        uv_mutex_lock(&pq->lock);
        for (i = 0; i < n; i++) {
                rmq_message_ext_t *mx = msgs[i];
                rmq_message_ext_t *old =
                    map_put(&pq->msgs, mx->queueOffset, mx);
                if (!old) {
                        valid++;
                        pq->queueOffsetMax = mx->queueOffset;
                        size += (int64_t)rmq__mx_body_len(mx);
                } else {
                        rmq_message_ext_release(old);
                }
        }
        ADD(pq->msgSize, size);
        ADD(pq->msgCount, valid);

        if (pq->msgs.live > 0 && !pq->consuming) {
                dispatch      = true;
                pq->consuming = true;
        }

        /* A MAX_OFFSET that is not a number is ignored (Java's parseLong
         * would throw out of putMessage). */
        if (n > 0 && rmq__mx_max_offset(msgs[n - 1], &maxOffset)) {
                int64_t accTotal = maxOffset - msgs[n - 1]->queueOffset;
                if (accTotal > 0)
                        ST(pq->msgAccCnt, accTotal);
        }
        uv_mutex_unlock(&pq->lock);
        return dispatch;
}

/* mirrors ProcessQueue.getMaxSpan */
int64_t rmq__pq_max_span(rmq_pq_t *pq) {
        int64_t span = 0;
        uv_mutex_lock(&pq->lock);
        if (pq->msgs.live > 0)
                span = map_last_key(&pq->msgs) - map_first_key(&pq->msgs);
        uv_mutex_unlock(&pq->lock);
        return span;
}

/* removeMessage with the lock held. */
static int64_t remove_locked(rmq_pq_t *pq, const rmq_message_ext_t *const *msgs,
                             size_t n, int64_t now_ms) {
        int64_t result = -1;
        size_t i;
        ST(pq->lastConsumeTimestamp, now_ms);
        if (pq->msgs.live > 0) {
                int64_t removed = 0, size = 0;
                result = pq->queueOffsetMax + 1;
                for (i = 0; i < n; i++) {
                        rmq_message_ext_t *prev =
                            map_remove(&pq->msgs, msgs[i]->queueOffset);
                        if (prev) {
                                removed++;
                                /* Java subtracts the argument's length */
                                size += (int64_t)rmq__mx_body_len(msgs[i]);
                                rmq_message_ext_release(prev);
                        }
                }
                ADD(pq->msgSize, -size);
                if (atomic_fetch_sub_explicit(&pq->msgCount, removed,
                                              memory_order_relaxed) -
                        removed ==
                    0)
                        ST(pq->msgSize, 0);
                if (pq->msgs.live > 0)
                        result = map_first_key(&pq->msgs);
        }
        return result;
}

/* mirrors ProcessQueue.removeMessage */
int64_t rmq__pq_remove_messages(rmq_pq_t *pq,
                                const rmq_message_ext_t *const *msgs, size_t n,
                                int64_t now_ms) {
        int64_t result;
        uv_mutex_lock(&pq->lock);
        result = remove_locked(pq, msgs, n, now_ms);
        uv_mutex_unlock(&pq->lock);
        return result;
}

/* mirrors ProcessQueue.takeMessages */
size_t rmq__pq_take_messages(rmq_pq_t *pq, size_t batch_size,
                             rmq_message_ext_t **out, int64_t now_ms) {
        size_t cnt = 0;
        uv_mutex_lock(&pq->lock);
        ST(pq->lastConsumeTimestamp, now_ms);
        while (cnt < batch_size && pq->msgs.live > 0) {
                int64_t off;
                rmq_message_ext_t *mx = map_poll_first(&pq->msgs, &off);
                rmq_message_ext_t *old;
                out[cnt++] = mx;
                old        = map_put(&pq->consumingMsgs, off, mx);
                if (old)
                        rmq_message_ext_release(old);
        }
        if (cnt == 0)
                pq->consuming = false;
        uv_mutex_unlock(&pq->lock);
        return cnt;
}

/* mirrors ProcessQueue.commit */
int64_t rmq__pq_commit(rmq_pq_t *pq) {
        int64_t offset = -1;
        pq_map_t *c    = &pq->consumingMsgs;
        uv_mutex_lock(&pq->lock);
        if (c->live > 0) {
                int64_t cnt = (int64_t)c->live;
                size_t i;
                offset = map_last_key(c);
                if (atomic_fetch_sub_explicit(&pq->msgCount, cnt,
                                              memory_order_relaxed) -
                        cnt ==
                    0) {
                        ST(pq->msgSize, 0);
                } else {
                        int64_t size = 0;
                        for (i = 0; i < c->len; i++) {
                                pq_slot_t *s = map_slot(c, i);
                                if (s->mx)
                                        size +=
                                            (int64_t)rmq__mx_body_len(s->mx);
                        }
                        ADD(pq->msgSize, -size);
                }
                map_clear(c);
                offset++;
        }
        uv_mutex_unlock(&pq->lock);
        return offset;
}

/* mirrors ProcessQueue.rollback */
void rmq__pq_rollback(rmq_pq_t *pq) {
        pq_map_t *c = &pq->consumingMsgs;
        size_t i;
        uv_mutex_lock(&pq->lock);
        for (i = 0; i < c->len; i++) {
                pq_slot_t *s = map_slot(c, i);
                if (s->mx) {
                        rmq_message_ext_t *old =
                            map_put(&pq->msgs, s->offset, s->mx);
                        if (old)
                                rmq_message_ext_release(old);
                }
        }
        /* the references moved: empty without releasing */
        c->len  = 0;
        c->head = 0;
        c->live = 0;
        uv_mutex_unlock(&pq->lock);
}

/* mirrors ProcessQueue.makeMessageToConsumeAgain */
void rmq__pq_make_message_to_consume_again(rmq_pq_t *pq,
                                           rmq_message_ext_t *const *msgs,
                                           size_t n) {
        size_t i;
        uv_mutex_lock(&pq->lock);
        for (i = 0; i < n; i++) {
                rmq_message_ext_t *mx = msgs[i];
                rmq_message_ext_t *taken =
                    map_remove(&pq->consumingMsgs, mx->queueOffset);
                rmq_message_ext_t *old;
                /* Java stores the argument: give it the reference the
                 * consuming map had (or a new one) */
                rmq_message_ext_retain(mx);
                if (taken)
                        rmq_message_ext_release(taken);
                old = map_put(&pq->msgs, mx->queueOffset, mx);
                if (old)
                        rmq_message_ext_release(old);
        }
        uv_mutex_unlock(&pq->lock);
}

/* mirrors ProcessQueue.hasTempMessage */
bool rmq__pq_has_temp_message(rmq_pq_t *pq) {
        bool has;
        uv_mutex_lock(&pq->lock);
        has = pq->msgs.live > 0;
        uv_mutex_unlock(&pq->lock);
        return has;
}

/* mirrors ProcessQueue.clear */
void rmq__pq_clear(rmq_pq_t *pq) {
        uv_mutex_lock(&pq->lock);
        map_clear(&pq->msgs);
        map_clear(&pq->consumingMsgs);
        ST(pq->msgCount, 0);
        ST(pq->msgSize, 0);
        pq->queueOffsetMax = 0;
        uv_mutex_unlock(&pq->lock);
}

/* mirrors ProcessQueue.isLockExpired */
bool rmq__pq_is_lock_expired(const rmq_pq_t *pq, int64_t now_ms,
                             int64_t max_live_ms) {
        return now_ms - LD(MUT(pq)->lastLockTimestamp) > max_live_ms;
}

/* mirrors ProcessQueue.isPullExpired */
bool rmq__pq_is_pull_expired(const rmq_pq_t *pq, int64_t now_ms,
                             int64_t max_idle_ms) {
        return now_ms - LD(MUT(pq)->lastPullTimestamp) > max_idle_ms;
}

/* mirrors ProcessQueue.cleanExpiredMsg */
void rmq__pq_clean_expired_msg(rmq_pq_t *pq, bool orderly,
                               int64_t consume_timeout_min, int64_t now_ms,
                               rmq_pq_send_back_cb_t *cb, void *opaque) {
        size_t loop, i;
        if (orderly)
                return;
        uv_mutex_lock(&pq->lock);
        loop = RMQ_MIN(pq->msgs.live, (size_t)RMQ_PQ_CLEAN_EXPIRED_MAX);
        uv_mutex_unlock(&pq->lock);

        for (i = 0; i < loop; i++) {
                rmq_message_ext_t *mx = NULL;
                int64_t start;
                uv_mutex_lock(&pq->lock);
                if (pq->msgs.live > 0) {
                        rmq_message_ext_t *first = map_slot(&pq->msgs, 0)->mx;
                        start = rmq__mx_consume_start_time(first);
                        if (start != 0 &&
                            now_ms - start > consume_timeout_min * 60 * 1000)
                                mx = rmq_message_ext_retain(first);
                }
                uv_mutex_unlock(&pq->lock);
                if (!mx)
                        break;

                /* Java catches the failed send and tries the (same) first
                 * message again on the next round. */
                if (cb(mx, RMQ_PQ_CLEAN_EXPIRED_DELAY_LEVEL, opaque)) {
                        const rmq_message_ext_t *one[1] = {mx};
                        uv_mutex_lock(&pq->lock);
                        if (pq->msgs.live > 0 &&
                            mx->queueOffset == map_first_key(&pq->msgs))
                                remove_locked(pq, one, 1, now_ms);
                        uv_mutex_unlock(&pq->lock);
                }
                rmq_message_ext_release(mx);
        }
}

/* mirrors ProcessQueue.fillProcessQueueInfo */
void rmq__pq_fill_info(rmq_pq_t *pq, rmq_pq_info_t *info) {
        uv_mutex_lock(&pq->lock);
        if (pq->msgs.live > 0) {
                info->cachedMsgMinOffset = map_first_key(&pq->msgs);
                info->cachedMsgMaxOffset = map_last_key(&pq->msgs);
                info->cachedMsgCount     = (int32_t)pq->msgs.live;
        }
        info->cachedMsgSizeInMiB = (int32_t)(LD(pq->msgSize) / (1024 * 1024));
        if (pq->consumingMsgs.live > 0) {
                info->transactionMsgMinOffset =
                    map_first_key(&pq->consumingMsgs);
                info->transactionMsgMaxOffset =
                    map_last_key(&pq->consumingMsgs);
                info->transactionMsgCount = (int32_t)pq->consumingMsgs.live;
        }
        info->locked               = LD(pq->locked);
        info->tryUnlockTimes       = LD(pq->tryUnlockTimes);
        info->lastLockTimestamp    = LD(pq->lastLockTimestamp);
        info->droped               = LD(pq->dropped);
        info->lastPullTimestamp    = LD(pq->lastPullTimestamp);
        info->lastConsumeTimestamp = LD(pq->lastConsumeTimestamp);
        uv_mutex_unlock(&pq->lock);
}

/* ---- accessors ---- */

/* Accessor definitions (declared in rmq_process_queue.h):
 * PQ_GET(T, name, field) defines T rmq__pq_<name>(const rmq_pq_t *), a
 * relaxed load of an atomic field; PQ_SET defines rmq__pq_set_<name>(), a
 * relaxed store; PQ_LOCKED_GET a read of a field under pq->lock. */
#define PQ_GET(T, name, field)                                                 \
        T rmq__pq_##name(const rmq_pq_t *pq) {                                 \
                return LD(MUT(pq)->field);                                     \
        }
#define PQ_SET(T, name, field)                                                 \
        void rmq__pq_set_##name(rmq_pq_t *pq, T v) {                           \
                ST(pq->field, v);                                              \
        }
#define PQ_LOCKED_GET(T, name, field)                                          \
        T rmq__pq_##name(rmq_pq_t *pq) {                                       \
                T v;                                                           \
                uv_mutex_lock(&pq->lock);                                      \
                v = pq->field;                                                 \
                uv_mutex_unlock(&pq->lock);                                    \
                return v;                                                      \
        }

PQ_GET(int64_t, msg_count, msgCount)
PQ_GET(int64_t, msg_size, msgSize)
PQ_GET(int64_t, msg_acc_cnt, msgAccCnt)
PQ_SET(int64_t, msg_acc_cnt, msgAccCnt)

PQ_LOCKED_GET(int64_t, queue_offset_max, queueOffsetMax)
PQ_LOCKED_GET(bool, consuming, consuming)
PQ_LOCKED_GET(size_t, stored_count, msgs.live)
PQ_LOCKED_GET(size_t, consuming_count, consumingMsgs.live)

PQ_GET(bool, dropped, dropped)
PQ_SET(bool, dropped, dropped)
PQ_GET(bool, locked, locked)
PQ_SET(bool, locked, locked)
PQ_GET(int64_t, last_pull_timestamp, lastPullTimestamp)
PQ_SET(int64_t, last_pull_timestamp, lastPullTimestamp)
PQ_GET(int64_t, last_consume_timestamp, lastConsumeTimestamp)
PQ_SET(int64_t, last_consume_timestamp, lastConsumeTimestamp)
PQ_GET(int64_t, last_lock_timestamp, lastLockTimestamp)
PQ_SET(int64_t, last_lock_timestamp, lastLockTimestamp)
PQ_GET(int64_t, try_unlock_times, tryUnlockTimes)

void rmq__pq_inc_try_unlock_times(rmq_pq_t *pq) {
        ADD(pq->tryUnlockTimes, 1);
}

/* ---- consume lock ---- */

void rmq__pq_consume_lock(rmq_pq_t *pq) {
        uv_mutex_lock(&pq->consumeMtx);
        while (pq->consumeHeld)
                uv_cond_wait(&pq->consumeCond, &pq->consumeMtx);
        pq->consumeHeld = true;
        uv_mutex_unlock(&pq->consumeMtx);
}

bool rmq__pq_consume_trylock(rmq_pq_t *pq, int64_t timeout_ms) {
        bool got = false;
        uv_mutex_lock(&pq->consumeMtx);
        if (pq->consumeHeld && timeout_ms > 0) {
                uint64_t deadline =
                    uv_hrtime() + (uint64_t)timeout_ms * 1000000u;
                while (pq->consumeHeld) {
                        uint64_t now = uv_hrtime();
                        if (now >= deadline ||
                            uv_cond_timedwait(&pq->consumeCond, &pq->consumeMtx,
                                              deadline - now) == UV_ETIMEDOUT)
                                break;
                }
        }
        if (!pq->consumeHeld) {
                pq->consumeHeld = true;
                got             = true;
        }
        uv_mutex_unlock(&pq->consumeMtx);
        return got;
}

void rmq__pq_consume_unlock(rmq_pq_t *pq) {
        uv_mutex_lock(&pq->consumeMtx);
        pq->consumeHeld = false;
        uv_cond_signal(&pq->consumeCond);
        uv_mutex_unlock(&pq->consumeMtx);
}
