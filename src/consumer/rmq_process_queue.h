/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ProcessQueue: the messages pulled from one queue and not yet consumed,
 * ordered by queue offset, with the flow-control counters and the orderly
 * consumption state.
 *
 * Storage: two offset-ordered maps with Java TreeMap semantics (msgTreeMap
 * and consumingMsgOrderlyTreeMap), each a sorted ring of (offset, message)
 * slots: appends at the tail and removals at the head are O(1), lookups
 * are binary searches, and messages removed out of order (concurrent
 * consumption) leave tombstones that are trimmed at both ends and
 * compacted once they outnumber the live slots.
 *
 * References: the process queue holds one reference per message it stores
 * (rmq_message_ext_t); every path that drops a message from both maps
 * (removeMessage, commit, clear, a put that replaces a message at the same
 * offset, the final release) releases it. Anything that uses a message
 * outside the process queue's lock must hold its own reference: a consume
 * request, for instance, because cleanExpiredMsg or clear may drop the
 * process queue's at any time.
 *
 * Threads: every function is thread-safe. One mutex guards the maps (Java
 * uses a read-write lock); the counters and flags read without it (msgCount,
 * msgSize, dropped, locked, timestamps, ...) are atomics. The orderly
 * consume lock (Java's consumeLock) is separate. No function calls user
 * code with a lock held; none blocks except rmq__pq_consume_lock() and a
 * timed rmq__pq_consume_trylock().
 *
 * Time: functions that read the clock take \p now_ms, wall-clock
 * milliseconds as Java's System.currentTimeMillis() (callers pass
 * rmq__wall_ms(); the timestamps are reported to admin tools).
 *
 * @see Java: org.apache.rocketmq.client.impl.consumer.ProcessQueue,
 *      ProcessQueueInfo
 */
#ifndef RMQ_PROCESS_QUEUE_H
#define RMQ_PROCESS_QUEUE_H

#include "client/rmq_message_ext_int.h"
#include "common/rmq_common.h"
#include "protocol/rmq_running_info.h"

/* rocketmq.client.rebalance.lockMaxLiveTime */
#define RMQ_PQ_REBALANCE_LOCK_MAX_LIVE_TIME 30000
/* rocketmq.client.rebalance.lockInterval */
#define RMQ_PQ_REBALANCE_LOCK_INTERVAL 20000
/* rocketmq.client.pull.pullMaxIdleTime */
#define RMQ_PQ_PULL_MAX_IDLE_TIME 120000
/* cleanExpiredMsg looks at no more than this many messages per run. */
#define RMQ_PQ_CLEAN_EXPIRED_MAX 16
/* The delay level cleanExpiredMsg sends expired messages back with. */
#define RMQ_PQ_CLEAN_EXPIRED_DELAY_LEVEL 3

typedef struct rmq_pq_s rmq_pq_t;

/* ProcessQueueInfo (what GET_CONSUMER_RUNNING_INFO reports per queue). */
typedef rmq_process_queue_info_t rmq_pq_info_t;

/* A new, empty process queue with one reference; its lastPull,
 * lastConsume and lastLock timestamps are \p now_ms (Java initialises them
 * to System.currentTimeMillis()). */
rmq_pq_t *rmq__pq_new(int64_t now_ms);
rmq_pq_t *rmq__pq_retain(rmq_pq_t *pq);
/* The last release drops every message still held. NULL-safe. */
void rmq__pq_release(rmq_pq_t *pq);

/*
 * Stores \p n messages by queue offset, taking one reference per message
 * in every case (a message that replaces one at the same offset makes the
 * process queue release the one it replaces). Counts only new offsets in
 * msgCount/msgSize and sets queueOffsetMax to the offset of the last new
 * one; msgAccCnt becomes MAX_OFFSET - queueOffset of the last message if
 * positive. Returns whether the caller must dispatch a consume request:
 * true when the map is not empty and no consume request is marked running
 * (it then marks one running; the orderly service reads this).
 * @see Java: ProcessQueue#putMessage
 */
bool rmq__pq_put_messages(rmq_pq_t *pq, rmq_message_ext_t *const *msgs,
                          size_t n);

/* lastKey - firstKey of the stored messages, 0 when empty.
 * @see Java: ProcessQueue#getMaxSpan */
int64_t rmq__pq_max_span(rmq_pq_t *pq);

/*
 * Removes the stored messages at the queue offsets of \p msgs (borrowed;
 * msgSize shrinks by their body lengths, as Java subtracts the argument's)
 * and releases the process queue's references. Returns the offset to
 * commit: the first stored offset left, or queueOffsetMax + 1 when none is
 * left, or -1 when nothing was stored on entry. Sets lastConsumeTimestamp.
 * @see Java: ProcessQueue#removeMessage
 */
int64_t rmq__pq_remove_messages(rmq_pq_t *pq,
                                const rmq_message_ext_t *const *msgs, size_t n,
                                int64_t now_ms);

/*
 * Orderly: moves up to \p batch_size of the first stored messages to the
 * consuming map and writes them to \p out (room for \p batch_size). The
 * pointers are borrowed from the process queue, which keeps its references
 * until commit, clear or release (rollback and makeMessageToConsumeAgain
 * keep them). When nothing is taken, the running mark is cleared. Sets
 * lastConsumeTimestamp. Returns how many were taken.
 * @see Java: ProcessQueue#takeMessages
 */
size_t rmq__pq_take_messages(rmq_pq_t *pq, size_t batch_size,
                             rmq_message_ext_t **out, int64_t now_ms);

/* Orderly: drops the consuming map (releasing its messages, adjusting
 * msgCount/msgSize) and returns its last offset + 1, or -1 when it was
 * empty (where Java would throw NoSuchElementException).
 * @see Java: ProcessQueue#commit */
int64_t rmq__pq_commit(rmq_pq_t *pq);

/* Orderly: puts every message of the consuming map back into the stored
 * map. @see Java: ProcessQueue#rollback */
void rmq__pq_rollback(rmq_pq_t *pq);

/* Orderly: moves \p msgs (borrowed) from the consuming map back into the
 * stored map (a message not in the consuming map is stored with a new
 * reference). @see Java: ProcessQueue#makeMessageToConsumeAgain */
void rmq__pq_make_message_to_consume_again(rmq_pq_t *pq,
                                           rmq_message_ext_t *const *msgs,
                                           size_t n);

/* True if messages are stored. @see Java: ProcessQueue#hasTempMessage */
bool rmq__pq_has_temp_message(rmq_pq_t *pq);

/* Drops both maps (releasing every message), zeroes msgCount, msgSize and
 * queueOffsetMax. @see Java: ProcessQueue#clear */
void rmq__pq_clear(rmq_pq_t *pq);

/* now - lastLockTimestamp > \p max_live_ms (Java: 30 s,
 * rocketmq.client.rebalance.lockMaxLiveTime). @see Java:
 * ProcessQueue#isLockExpired */
bool rmq__pq_is_lock_expired(const rmq_pq_t *pq, int64_t now_ms,
                             int64_t max_live_ms);
/* now - lastPullTimestamp > \p max_idle_ms (Java: 120 s,
 * rocketmq.client.pull.pullMaxIdleTime). @see Java: ProcessQueue#isPullExpired
 */
bool rmq__pq_is_pull_expired(const rmq_pq_t *pq, int64_t now_ms,
                             int64_t max_idle_ms);

/* Sends \p mx back to the broker with \p delay_level (Java
 * DefaultMQPushConsumer#sendMessageBack). Returns true on success. \p mx
 * is retained for the duration of the call. Called on the thread of
 * rmq__pq_clean_expired_msg() with no process queue lock held; may block. */
typedef bool(rmq_pq_send_back_cb_t)(rmq_message_ext_t *mx, int delay_level,
                                    void *opaque);

/*
 * Concurrent consumption only (nothing happens when \p orderly): looks at
 * no more than 16 messages from the front; while the first stored message
 * started consuming more than \p consume_timeout_min minutes before
 * \p now_ms, sends it back with delay level 3 through \p cb and, if that
 * succeeded and it is still first, removes it.
 * @locality a scheduled-task thread (never the I/O thread: \p cb blocks).
 * @see Java: ProcessQueue#cleanExpiredMsg
 */
void rmq__pq_clean_expired_msg(rmq_pq_t *pq, bool orderly,
                               int64_t consume_timeout_min, int64_t now_ms,
                               rmq_pq_send_back_cb_t *cb, void *opaque);

/* Fills \p info as Java does: min/max/count of each map only when it is
 * not empty (other fields are left as they were: start from a zeroed
 * struct), the size in MiB, the flags and timestamps; not commitOffset.
 * @see Java: ProcessQueue#fillProcessQueueInfo */
void rmq__pq_fill_info(rmq_pq_t *pq, rmq_pq_info_t *info);

/* Counters (lock-free). */
int64_t rmq__pq_msg_count(const rmq_pq_t *pq);
int64_t rmq__pq_msg_size(const rmq_pq_t *pq);
int64_t rmq__pq_msg_acc_cnt(const rmq_pq_t *pq);
void rmq__pq_set_msg_acc_cnt(rmq_pq_t *pq, int64_t v);
/* Under the lock (tests, running info). */
int64_t rmq__pq_queue_offset_max(rmq_pq_t *pq);
bool rmq__pq_consuming(rmq_pq_t *pq);
/* Stored (not consuming) messages, and the consuming map's size. */
size_t rmq__pq_stored_count(rmq_pq_t *pq);
size_t rmq__pq_consuming_count(rmq_pq_t *pq);

/* Flags and timestamps (lock-free). */
bool rmq__pq_dropped(const rmq_pq_t *pq);
void rmq__pq_set_dropped(rmq_pq_t *pq, bool dropped);
bool rmq__pq_locked(const rmq_pq_t *pq);
void rmq__pq_set_locked(rmq_pq_t *pq, bool locked);
int64_t rmq__pq_last_pull_timestamp(const rmq_pq_t *pq);
void rmq__pq_set_last_pull_timestamp(rmq_pq_t *pq, int64_t ms);
int64_t rmq__pq_last_consume_timestamp(const rmq_pq_t *pq);
void rmq__pq_set_last_consume_timestamp(rmq_pq_t *pq, int64_t ms);
int64_t rmq__pq_last_lock_timestamp(const rmq_pq_t *pq);
void rmq__pq_set_last_lock_timestamp(rmq_pq_t *pq, int64_t ms);
int64_t rmq__pq_try_unlock_times(const rmq_pq_t *pq);
void rmq__pq_inc_try_unlock_times(rmq_pq_t *pq);

/*
 * The orderly consume lock (Java getConsumeLock(), a ReentrantLock; this
 * one is not reentrant). The orderly service holds it while the listener
 * runs, so it is not a library-internal lock in the sense of STYLE R16.6.
 * rmq__pq_consume_trylock() waits up to \p timeout_ms (0: one try), as
 * RebalancePushImpl's tryLock(1000, ms); returns true if taken.
 */
void rmq__pq_consume_lock(rmq_pq_t *pq);
bool rmq__pq_consume_trylock(rmq_pq_t *pq, int64_t timeout_ms);
void rmq__pq_consume_unlock(rmq_pq_t *pq);

#endif /* RMQ_PROCESS_QUEUE_H */
