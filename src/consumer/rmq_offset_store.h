/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Offset stores: where a consumer keeps how far it consumed each queue
 * (Java OffsetStore). The in-memory offset table keyed by MessageQueue is
 * shared (rmq_offset_store.c); the backing store is an implementation
 * behind a small vtable: LocalFileOffsetStore (rmq_offset_local.c,
 * broadcasting) and RemoteBrokerOffsetStore (rmq_offset_remote.c,
 * clustering).
 *
 * Threads: every function is thread-safe; the table has its own mutex,
 * never held while an implementation's operation runs. Operations that
 * reach the backing store (load, readOffset READ_FROM_STORE or
 * MEMORY_FIRST_THEN_STORE on a miss, persistAll, persist,
 * updateConsumeOffsetToBroker) may block on file or network I/O: call them
 * from a consumer worker or scheduled-task thread, never from the I/O
 * thread (a remote store waits for broker answers that only the I/O thread
 * delivers).
 *
 * @see Java: org.apache.rocketmq.client.consumer.store.OffsetStore,
 *      ReadOffsetType, LocalFileOffsetStore, RemoteBrokerOffsetStore
 */
#ifndef RMQ_OFFSET_STORE_H
#define RMQ_OFFSET_STORE_H

#include <uv.h>

#include "common/rmq_common.h"
#include "common/rmq_log.h"
#include "protocol/rmq_bodies.h"

/* ReadOffsetType */
typedef enum rmq_read_offset_type_e {
        RMQ_READ_FROM_MEMORY,
        RMQ_READ_FROM_STORE,
        RMQ_MEMORY_FIRST_THEN_STORE
} rmq_read_offset_type_t;

/* readOffset results that are not offsets (4.9.8): -1 when there is no
 * offset (not in memory, not in the file, or the broker answered an error
 * code: MQBrokerException), -2 when the store could not be asked (a
 * RemoteBrokerOffsetStore's transport error or timeout). */
#define RMQ_OFFSET_NOT_FOUND (-1)
#define RMQ_OFFSET_ERROR     (-2)

typedef struct rmq_offset_store_s rmq_offset_store_t;

/*
 * The backing store. The table functions below (rmq__offset_store_table_*)
 * are what an operation uses to read or change the in-memory table; none
 * is called with the table lock held. Each operation may block.
 */
typedef struct rmq_offset_store_ops_s {
        const char *name; /* "local", "remote" */
        /* OffsetStore.load. RMQ_OK or an error with a reason. */
        rmq_err_t (*load)(rmq_offset_store_t *os, char *errstr,
                          size_t errstr_size);
        /* The READ_FROM_STORE leg of readOffset: the stored offset (>= 0),
         * RMQ_OFFSET_NOT_FOUND or RMQ_OFFSET_ERROR. The caller puts an
         * offset >= 0 into the table (updateOffset(mq, offset, false)), as
         * both Java stores do. */
        int64_t (*read_from_store)(rmq_offset_store_t *os, const rmq_mq_t *mq);
        /* OffsetStore.persistAll(mqs); \p n > 0. (A remote store also
         * drops the queues not in \p mqs from the table, as Java's
         * RemoteBrokerOffsetStore does: rmq__offset_store_table_snapshot()
         * of everything, then rmq__offset_store_remove().) */
        void (*persist_all)(rmq_offset_store_t *os, const rmq_mq_t *mqs,
                            size_t n);
        /* OffsetStore.persist(mq); \p mq is in the table. */
        void (*persist)(rmq_offset_store_t *os, const rmq_mq_t *mq,
                        int64_t offset);
        /* OffsetStore.updateConsumeOffsetToBroker; NULL: nothing to do
         * (LocalFileOffsetStore). */
        rmq_err_t (*update_to_broker)(rmq_offset_store_t *os,
                                      const rmq_mq_t *mq, int64_t offset,
                                      bool oneway, char *errstr,
                                      size_t errstr_size);
        /* Frees the implementation's resources and the store's memory;
         * rmq__offset_store_destroy() has finished the shared part. */
        void (*destroy)(rmq_offset_store_t *os);
} rmq_offset_store_ops_t;

typedef struct rmq_offset_entry_s rmq_offset_entry_t;

/* The shared part; implementations embed it as their first member. */
struct rmq_offset_store_s {
        const rmq_offset_store_ops_t *ops;
        char *groupName;
        const rmq_logger_t *lg; /* may be NULL */
        uv_mutex_t lock;        /* the table */
        rmq_offset_entry_t **buckets;
        size_t nbuckets; /* power of two */
        size_t count;
};

/* For implementations: initialise / finish the shared part. \p lg (may be
 * NULL) must outlive the store. */
void rmq__offset_store_init(rmq_offset_store_t *os,
                            const rmq_offset_store_ops_t *ops,
                            const char *groupName, const rmq_logger_t *lg);
void rmq__offset_store_fini(rmq_offset_store_t *os);

/*
 * The OffsetStore interface.
 */

/* @see Java: OffsetStore#load. May block. */
rmq_err_t rmq__offset_store_load(rmq_offset_store_t *os, char *errstr,
                                 size_t errstr_size);

/* Sets the in-memory offset of \p mq; with \p increase_only an existing
 * offset only grows (MixAll.compareAndIncreaseOnly). A new queue always
 * takes \p offset. NULL \p mq: nothing. Never blocks (table lock only).
 * @see Java: OffsetStore#updateOffset */
void rmq__offset_store_update(rmq_offset_store_t *os, const rmq_mq_t *mq,
                              int64_t offset, bool increase_only);

/* The same with \p hash = rmq__mq_hash(mq) computed by the caller once
 * (the consume paths update a queue's offset for every request). */
void rmq__offset_store_update_h(rmq_offset_store_t *os, const rmq_mq_t *mq,
                                int32_t hash, int64_t offset,
                                bool increase_only);
/* The offset of \p mq: READ_FROM_MEMORY answers from the table (-1 if
 * absent); READ_FROM_STORE asks the backing store (and records a found
 * offset in the table); MEMORY_FIRST_THEN_STORE does the first, then the
 * second on a miss. Returns an offset >= 0, RMQ_OFFSET_NOT_FOUND or
 * RMQ_OFFSET_ERROR; a NULL \p mq gives RMQ_OFFSET_NOT_FOUND. May block
 * unless the type is READ_FROM_MEMORY.
 * @see Java: OffsetStore#readOffset */
int64_t rmq__offset_store_read(rmq_offset_store_t *os, const rmq_mq_t *mq,
                               rmq_read_offset_type_t type);

/* Persists the offsets of the \p n queues \p mqs; n == 0: nothing. May
 * block. @see Java: OffsetStore#persistAll */
void rmq__offset_store_persist_all(rmq_offset_store_t *os, const rmq_mq_t *mqs,
                                   size_t n);

/* Persists the offset of \p mq if the table has one. May block.
 * @see Java: OffsetStore#persist */
void rmq__offset_store_persist(rmq_offset_store_t *os, const rmq_mq_t *mq);

/* Drops \p mq from the table. @see Java: OffsetStore#removeOffset */
void rmq__offset_store_remove(rmq_offset_store_t *os, const rmq_mq_t *mq);

/* A copy of the table entries of \p topic (NULL or blank: all), in no
 * particular order; free with rmq__offset_table_free(). Never NULL.
 * @see Java: OffsetStore#cloneOffsetTable */
rmq_mq_offset_t *rmq__offset_store_clone(rmq_offset_store_t *os,
                                         const char *topic, size_t *np);

/* Sends \p offset of \p mq to the broker (oneway or waiting for the
 * answer); RMQ_OK without doing anything for a local store. May block.
 * @see Java: OffsetStore#updateConsumeOffsetToBroker */
rmq_err_t rmq__offset_store_update_to_broker(rmq_offset_store_t *os,
                                             const rmq_mq_t *mq, int64_t offset,
                                             bool oneway, char *errstr,
                                             size_t errstr_size);

/* Frees the store (without persisting). NULL-safe. */
void rmq__offset_store_destroy(rmq_offset_store_t *os);

/*
 * Table access for implementations (and tests). Thread-safe.
 */

/* True and the offset if \p mq has one. */
bool rmq__offset_store_table_get(rmq_offset_store_t *os, const rmq_mq_t *mq,
                                 int64_t *offsetp);
/* Sets the offset of \p mq without the increase-only rule (Map.put). */
void rmq__offset_store_table_put(rmq_offset_store_t *os, const rmq_mq_t *mq,
                                 int64_t offset);
/* The entries whose queue is one of \p mqs (\p n of them), or every entry
 * when \p mqs is NULL; free with rmq__offset_table_free(). Never NULL. */
rmq_mq_offset_t *rmq__offset_store_table_snapshot(rmq_offset_store_t *os,
                                                  const rmq_mq_t *mqs, size_t n,
                                                  size_t *np);
/* Number of entries. */
size_t rmq__offset_store_table_count(rmq_offset_store_t *os);

/*
 * LocalFileOffsetStore (rmq_offset_local.c).
 */

/* The default directory: $HOME/.rocketmq_offsets (Java's
 * rocketmq.client.localOffsetStoreDir default, user.home/.rocketmq_offsets),
 * written into \p buf. */
void rmq__offset_local_default_dir(char *buf, size_t size);

/* A store whose file is <dir>/<clientId>/<groupName>/offsets.json (\p dir
 * NULL or empty: the default directory). Nothing is read or created until
 * load/persist. Returns RMQ_OK or RMQ_ERR__INVALID_ARG (a NULL clientId or
 * groupName). */
rmq_err_t rmq__offset_local_new(rmq_offset_store_t **osp, const char *dir,
                                const char *clientId, const char *groupName,
                                const rmq_logger_t *lg, char *errstr,
                                size_t errstr_size);

/* The store file's path (valid while the store is). */
const char *rmq__offset_local_path(const rmq_offset_store_t *os);

/* OffsetSerializeWrapper.toJson(true): the offset table in fastjson's
 * pretty format (tabs, one member per line, MessageQueue keys unquoted),
 * the entries in the given order. Appended to \p out. */
void rmq__offset_local_encode(const rmq_mq_offset_t *entries, size_t n,
                              rmq_buf_t *out);

/*
 * RemoteBrokerOffsetStore (rmq_offset_remote.c): the offsets of a
 * clustering consumer, kept by the brokers (QUERY_CONSUMER_OFFSET,
 * UPDATE_CONSUMER_OFFSET, 5 s timeout as Java's 1000 * 5). The broker of
 * a queue is its master (findBrokerAddressInSubscribe, only that
 * broker), else, after a route refresh, any broker of that name; else
 * the operation fails with RMQ_ERR__NO_BROKER "The broker[x] not exist".
 *
 * DELIBERATE DIFFERENCE from Java: Java's readOffset answers -1 for every
 * MQBrokerException, so a SYSTEM_BUSY answer makes a new consumer start
 * from its consumeFromWhere position (the max offset by default) and skip
 * messages. Here read_from_store answers RMQ_OFFSET_NOT_FOUND only for
 * QUERY_NOT_FOUND (22), the broker's "this group has no offset"; every
 * other failure (other broker codes, timeouts, transport errors, an
 * unknown broker) answers RMQ_OFFSET_ERROR, so the caller retries instead
 * of pulling from a guessed offset. Failures are logged (warn).
 *
 * Blocking: load does nothing; read_from_store, persist_all, persist and
 * update_to_broker may block on the name server (route refresh) and, for
 * reads and acknowledged updates, on the broker: never on the I/O
 * thread. persist_all and persist send oneway, as Java does.
 */

struct rmq_client_s;

/* A store for \p groupName whose broker calls go through \p ci (which
 * must outlive the store; \p lg, may be NULL, too). Returns RMQ_OK or
 * RMQ_ERR__INVALID_ARG (a NULL ci or groupName).
 * @see Java: RemoteBrokerOffsetStore(MQClientInstance, String) */
rmq_err_t rmq__offset_remote_new(rmq_offset_store_t **osp,
                                 struct rmq_client_s *ci, const char *groupName,
                                 const rmq_logger_t *lg, char *errstr,
                                 size_t errstr_size);

/* Commits the table's offsets of the \p n queues \p mqs with
 * ACKNOWLEDGED UPDATE_CONSUMER_OFFSET requests, all in flight at once,
 * and waits for every answer or until \p deadline_ms (an absolute
 * rmq__mono_ms() time), whichever comes first. Queues without a table
 * entry are skipped. Returns RMQ_OK when every queue sent was
 * acknowledged with SUCCESS; else the first failure in \p mqs order (the
 * broker's code, a local error, RMQ_ERR__NO_BROKER, or RMQ_ERR__TIMED_OUT
 * for no answer by the deadline), with \p errstr saying how many failed
 * and why. \p failedp (may be NULL) receives the number of queues that
 * failed (0 on RMQ_OK).
 *
 * Blocks until \p deadline_ms at most, plus the route refresh of a
 * queue whose broker is unknown (mqClientApiTimeout; none is started
 * once the deadline has passed). Answers arriving after it are dropped
 * safely: the wait state is reference counted and freed by the last of
 * the waiter and the late callbacks, which touch nothing else, so the
 * store may be destroyed as soon as this returns. Thread-safe; not on
 * the I/O thread (asserted in debug builds). What the push consumer's
 * shutdown uses to commit everything it consumed. A local store (no
 * broker): RMQ_OK without doing anything. */
rmq_err_t rmq__offset_remote_commit_sync(rmq_offset_store_t *os,
                                         const rmq_mq_t *mqs, size_t n,
                                         int64_t deadline_ms, size_t *failedp,
                                         char *errstr, size_t errstr_size);

#endif /* RMQ_OFFSET_STORE_H */
