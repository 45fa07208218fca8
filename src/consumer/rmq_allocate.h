/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Message queue allocation strategies: which of a topic's queues this
 * consumer takes in a clustering rebalance.
 *
 * @see Java: AllocateMessageQueueStrategy and its implementations in
 *      client/.../consumer/rebalance/ (AbstractAllocateMessageQueueStrategy,
 *      AllocateMessageQueueAveragely, AllocateMessageQueueAveragelyByCircle,
 *      AllocateMessageQueueByConfig, AllocateMessageQueueByMachineRoom,
 *      AllocateMachineRoomNearby, AllocateMessageQueueConsistentHash) and
 *      common/.../consistenthash/ (ConsistentHashRouter, VirtualNode).
 *
 * Every strategy returns exactly what Java's returns, in the same order
 * (tests/unit/allocate_vectors.h holds results of the Java 4.9.8 code).
 *
 * Inputs are used as given. RebalanceImpl sorts mqAll with
 * MessageQueue.compareTo and cidAll with String.compareTo before calling
 * allocate, and the caller of rmq__allocate must do the same; nothing is
 * sorted here, so unsorted input gives Java's result for that unsorted
 * input. Strings are UTF-8.
 *
 * Thread-safety: a strategy is immutable after construction, so
 * rmq__allocate may run on several threads at once (the callbacks of a
 * custom strategy, hash function or machine room resolver must then be
 * thread-safe too). rmq__allocate_destroy must not race with it.
 */
#ifndef RMQ_ALLOCATE_H
#define RMQ_ALLOCATE_H

#include "common/rmq_common.h"
#include "protocol/rmq_bodies.h"

typedef struct rmq_allocate_s rmq_allocate_t;

/* Java's default virtual node count (AllocateMessageQueueConsistentHash()). */
#define RMQ_ALLOCATE_VIRTUAL_NODE_CNT_DEFAULT 10

/* Size of the buffer a machine room resolver may write its answer into. */
#define RMQ_ALLOCATE_ROOM_MAX 256

/*
 * A user strategy, with rmq__allocate's contract (Java: a user class
 * implementing AllocateMessageQueueStrategy.allocate). It must set
 * *resultp to an array allocated with rmq__malloc/rmq__calloc whose
 * queues are filled with rmq__mq_init/rmq__mq_copy (the caller frees it
 * with rmq__mq_array_free), or to NULL with *result_cnt 0. On an error it
 * returns that error, fills errstr, and leaves *resultp NULL (Java: the
 * strategy threw; RebalanceImpl then keeps the previous assignment).
 */
typedef rmq_err_t(rmq_allocate_cb_t)(const char *consumer_group,
                                     const char *current_cid,
                                     const rmq_mq_t *mq_all, size_t mq_cnt,
                                     const char *const *cid_all, size_t cid_cnt,
                                     rmq_mq_t **resultp, size_t *result_cnt,
                                     char *errstr, size_t errstr_size,
                                     void *opaque);

/*
 * Java's HashFunction.hash(String): a signed 64-bit ring position for a
 * UTF-8 key. Ring positions are ordered as Java orders Long keys (signed).
 */
typedef int64_t(rmq_allocate_hash_cb_t)(const char *key, void *opaque);

/*
 * AllocateMachineRoomNearby.MachineRoomResolver. Each callback returns the
 * machine room of a queue's broker or of a consumer id: either a string
 * it wrote into \p buf (at most \p buf_size bytes with the NUL,
 * RMQ_ALLOCATE_ROOM_MAX) or any string that stays valid until
 * rmq__allocate returns. The answer is copied at once. NULL or "" means
 * "no room", which Java rejects with an IllegalArgumentException (here
 * RMQ_ERR__INVALID_ARG).
 */
typedef const char *(rmq_allocate_broker_room_cb_t)(const rmq_mq_t *mq,
                                                    char *buf, size_t buf_size,
                                                    void *opaque);
typedef const char *(rmq_allocate_consumer_room_cb_t)(const char *cid,
                                                      char *buf,
                                                      size_t buf_size,
                                                      void *opaque);

/*
 * Constructors. Each returns a strategy the caller frees with
 * rmq__allocate_destroy. The infallible ones never return NULL (memory
 * exhaustion aborts, see rmq_common.h).
 */

/* mirrors new AllocateMessageQueueAveragely(): name "AVG". */
rmq_allocate_t *rmq__allocate_averagely(void);

/* mirrors new AllocateMessageQueueAveragelyByCircle(): name
 * "AVG_BY_CIRCLE". */
rmq_allocate_t *rmq__allocate_by_circle(void);

/* mirrors AllocateMessageQueueByConfig with setMessageQueueList(mqs):
 * name "CONFIG". The \p n queues are copied; mqs may be NULL when n is
 * 0 (Java: the list was never set, allocate returns null, which
 * RebalanceImpl reads as empty). */
rmq_allocate_t *rmq__allocate_by_config(const rmq_mq_t *mqs, size_t n);

/* mirrors AllocateMessageQueueByMachineRoom with setConsumeridcs(idcs):
 * name "MACHINE_ROOM". The \p n idc names are copied; idcs may be NULL
 * when n is 0 (an empty set: no queue matches). Java's "set never
 * called" (a NullPointerException on the first "idc@name" broker) has
 * no counterpart. */
rmq_allocate_t *rmq__allocate_by_machine_room(const char *const *idcs,
                                              size_t n);

/* mirrors new AllocateMachineRoomNearby(inner, resolver): name
 * "MACHINE_ROOM_NEARBY-" + inner's name. Takes \p inner in every case
 * (it is destroyed here if the construction fails). Returns NULL if
 * \p inner or a callback is NULL (Java: NullPointerException). */
rmq_allocate_t *rmq__allocate_machine_room_nearby(
    rmq_allocate_t *inner, rmq_allocate_broker_room_cb_t *broker_room,
    rmq_allocate_consumer_room_cb_t *cons_room, void *opaque);

/* mirrors new AllocateMessageQueueConsistentHash(virtualNodeCnt): name
 * "CONSISTENT_HASH", ring positions from ConsistentHashRouter's MD5Hash.
 * Returns NULL if virtual_node_cnt < 0 (Java: IllegalArgumentException
 * "illegal virtualNodeCnt :N"). 0 is legal and gives an empty ring, so
 * every consumer gets nothing. */
rmq_allocate_t *rmq__allocate_consistent_hash(int virtual_node_cnt);

/* mirrors new AllocateMessageQueueConsistentHash(virtualNodeCnt,
 * customHashFunction); \p hash NULL means MD5Hash. NULL on a negative
 * count, as above. */
rmq_allocate_t *rmq__allocate_consistent_hash_custom(
    int virtual_node_cnt, rmq_allocate_hash_cb_t *hash, void *opaque);

/* A user strategy (Java: any AllocateMessageQueueStrategy). \p name is
 * copied and is what rmq__allocate_name returns (getName()). Returns NULL
 * if \p name or \p cb is NULL. */
rmq_allocate_t *rmq__allocate_custom(const char *name, rmq_allocate_cb_t *cb,
                                     void *opaque);

/* The same, owning \p opaque: \p opaque_free(opaque) runs when the
 * strategy is destroyed (or at once if it cannot be made). */
rmq_allocate_t *rmq__allocate_custom_owned(const char *name,
                                           rmq_allocate_cb_t *cb, void *opaque,
                                           void (*opaque_free)(void *));

/* Frees a strategy and, for MACHINE_ROOM_NEARBY, its inner one.
 * NULL-safe. */
void rmq__allocate_destroy(rmq_allocate_t *s);

/* mirrors AllocateMessageQueueStrategy.getName. Valid while \p s lives. */
const char *rmq__allocate_name(const rmq_allocate_t *s);

/*
 * mirrors AllocateMessageQueueStrategy.allocate.
 *
 * \p mq_all and \p cid_all are borrowed (see "Inputs are used as given"
 * above). On RMQ_OK, *resultp is a new array of *result_cnt copied
 * queues in the order of Java's list (NULL when empty), which the caller
 * frees with rmq__mq_array_free. The same queue may appear twice where
 * Java's list has it twice (MACHINE_ROOM_NEARBY over CONFIG).
 *
 * Every strategy but CONFIG and custom ones first runs
 * AbstractAllocateMessageQueueStrategy.check:
 *  - \p current_cid NULL or "": RMQ_ERR__INVALID_ARG, "currentCID is
 *    empty";
 *  - \p mq_cnt 0: RMQ_ERR__INVALID_ARG, "mqAll is null or mqAll empty";
 *  - \p cid_cnt 0: RMQ_ERR__INVALID_ARG, "cidAll is null or cidAll empty";
 *  - \p current_cid not in \p cid_all: RMQ_OK with no queues (Java logs
 *    "[BUG] ConsumerGroup: .. The consumerId: .. not in cidAll" at info
 *    level and returns an empty list; the caller may log the same).
 * Java throws IllegalArgumentException for the three errors, and
 * RebalanceImpl then leaves the topic's assignment unchanged, which is
 * why they are errors here and not empty results. MACHINE_ROOM_NEARBY
 * also returns RMQ_ERR__INVALID_ARG when a resolver gives no room
 * ("Machine room is null for mq MessageQueue [...]" / "... for consumer
 * id ..."), and passes on its inner strategy's errors. CONSISTENT_HASH
 * with the MD5 hash returns RMQ_ERR__FAIL if OpenSSL refuses MD5. On
 * an error *resultp is NULL, *result_cnt 0, and \p errstr (may be NULL)
 * holds Java's exception message.
 *
 * @locality any thread (rebalance service in the consumer).
 * @locks none; calls the strategy's callbacks without holding any lock.
 */
rmq_err_t rmq__allocate(const rmq_allocate_t *s, const char *consumer_group,
                        const char *current_cid, const rmq_mq_t *mq_all,
                        size_t mq_cnt, const char *const *cid_all,
                        size_t cid_cnt, rmq_mq_t **resultp, size_t *result_cnt,
                        char *errstr, size_t errstr_size);

/* mirrors ConsistentHashRouter.MD5Hash.hash: the first four bytes of the
 * MD5 of \p key (its UTF-8 bytes) read as a big-endian unsigned number,
 * 0 .. 2^32-1. Java hashes key.getBytes() in the platform charset, which
 * is UTF-8 on Java 18+ and on Java <= 17 under a UTF-8 locale. Returns
 * -1 if OpenSSL cannot compute MD5 (a FIPS-only provider, say). */
int64_t rmq__allocate_md5_hash(const char *key, size_t len);

/* Java String.compareTo over two UTF-8 strings: UTF-16 code unit order,
 * which differs from byte order between U+E000..U+FFFF and supplementary
 * characters. Used for TreeMap<String, ...> key order. */
int rmq__allocate_java_strcmp(const char *a, const char *b);

#endif /* RMQ_ALLOCATE_H */
