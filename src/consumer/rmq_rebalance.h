/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RebalanceImpl: a consumer's subscriptions (subscriptionInner) and its
 * process queue table, and the rebalance that keeps the table in line
 * with the queues the group's allocation gives this client. The push and
 * the lite pull consumer plug their differences in through
 * rmq_rebalance_ops_t (Java's abstract methods: RebalancePushImpl,
 * RebalanceLitePullImpl).
 *
 * Threads: rmq__rebalance_do() runs on the client instance's rebalance
 * thread (one round at a time); the tables may be read from any thread.
 * rb->lock (a library lock) guards the tables; it is never held while the
 * ops, the allocation strategy or a broker request run.
 *
 * @see Java: RebalanceImpl
 */
#ifndef RMQ_REBALANCE_H
#define RMQ_REBALANCE_H

#include "client/rmq_client.h"
#include "common/rmq_map.h"
#include "consumer/rmq_allocate.h"
#include "consumer/rmq_process_queue.h"
#include "protocol/rmq_heartbeat.h"

typedef struct rmq_rebalance_s rmq_rebalance_t;

/* A queue of the process queue table. */
typedef struct rmq_rb_entry_s {
        rmq_mq_t mq;
        rmq_pq_t *pq; /* the table's reference */
        /* dropped, its removal refused once (busy): tried each round */
        bool remove_pending;
} rmq_rb_entry_t;

/* A queue the rebalance added: its process queue (a reference for the
 * callee) and where pulling starts. */
typedef struct rmq_rb_added_s {
        const rmq_mq_t *mq;
        rmq_pq_t *pq;
        int64_t next_offset;
} rmq_rb_added_t;

typedef struct rmq_rebalance_ops_s {
        /* ConsumeType (rmq_hb_consume_type_t). */
        int consume_type;
        /* messageQueueChanged: \p all every queue of the topic, \p mine the
         * ones this client has now. */
        void (*message_queue_changed)(rmq_rebalance_t *rb, const char *topic,
                                      const rmq_mq_t *all, size_t n_all,
                                      const rmq_mq_t *mine, size_t n_mine);
        /* removeUnnecessaryMessageQueue: true if \p mq may leave the table
         * (its process queue is already marked dropped). */
        bool (*remove_unnecessary_mq)(rmq_rebalance_t *rb, const rmq_mq_t *mq,
                                      rmq_pq_t *pq);
        /* removeDirtyOffset */
        void (*remove_dirty_offset)(rmq_rebalance_t *rb, const rmq_mq_t *mq);
        /* computePullFromWhereWithException: RMQ_OK and the offset
         * (>= 0 to add the queue, -1 to skip it), or an error (skip it,
         * try again next round). */
        rmq_err_t (*compute_pull_from_where)(rmq_rebalance_t *rb,
                                             const rmq_mq_t *mq,
                                             int64_t *offsetp);
        /* dispatchPullRequest for the queues added (after
         * message_queue_changed when the table changed). */
        void (*dispatch)(rmq_rebalance_t *rb, rmq_rb_added_t *added, size_t n);
} rmq_rebalance_ops_t;

struct rmq_rebalance_s {
        const rmq_rebalance_ops_t *ops;
        void *owner;
        rmq_client_t *ci;
        const rmq_logger_t *lg;
        char *group;       /* with the namespace */
        int message_model; /* RMQ_HB_BROADCASTING / RMQ_HB_CLUSTERING */
        rmq_allocate_t *alloc;
        uv_mutex_t lock;
        /* subscriptionInner: topic -> rmq_subscription_data_t * */
        rmq_strmap_t subs;
        /* processQueueTable */
        rmq_rb_entry_t *entries;
        size_t entry_cnt, entry_cap;
        int64_t
            lock_max_live_ms; /* rocketmq.client.rebalance.lockMaxLiveTime */
        int64_t pull_max_idle_ms; /* rocketmq.client.pull.pullMaxIdleTime */
};

/* Sets up \p rb (taking \p alloc). */
void rmq__rebalance_init(rmq_rebalance_t *rb, const rmq_rebalance_ops_t *ops,
                         void *owner, rmq_client_t *ci, const rmq_logger_t *lg,
                         const char *group, int message_model,
                         rmq_allocate_t *alloc, int64_t lock_max_live_ms,
                         int64_t pull_max_idle_ms);
/* destroy(): every process queue dropped and released; the subscriptions
 * and the strategy freed. */
void rmq__rebalance_destroy(rmq_rebalance_t *rb);

/* ---- subscriptions ---- */
/* Puts (a copy of) \p sd under its topic, replacing any. */
void rmq__rebalance_sub_put(rmq_rebalance_t *rb,
                            const rmq_subscription_data_t *sd);
/* Removes the subscription of \p topic; false if there was none. */
bool rmq__rebalance_sub_remove(rmq_rebalance_t *rb, const char *topic);
/* A copy of the subscription of \p topic into \p out (clear it with
 * rmq__subscription_clear); false if none. */
bool rmq__rebalance_sub_get(rmq_rebalance_t *rb, const char *topic,
                            rmq_subscription_data_t *out);
/* Copies of every subscription (free with rmq__rebalance_subs_free). */
rmq_subscription_data_t *rmq__rebalance_subs(rmq_rebalance_t *rb, size_t *np);
void rmq__rebalance_subs_free(rmq_subscription_data_t *subs, size_t n);
/* The subVersion of \p topic's subscription, -1 if none. */
int64_t rmq__rebalance_sub_version(rmq_rebalance_t *rb, const char *topic);
/* Sets the subVersion of \p topic's subscription. */
void rmq__rebalance_sub_set_version(rmq_rebalance_t *rb, const char *topic,
                                    int64_t version);

/* ---- the process queue table ---- */
/* Copies of the table's queues (free with rmq__mq_array_free) and, if
 * \p pqsp is not NULL, their process queues (each referenced: release
 * them, then free the array with rmq__free). */
rmq_mq_t *rmq__rebalance_queues(rmq_rebalance_t *rb, rmq_pq_t ***pqsp,
                                size_t *np);
/* The process queue of \p mq (referenced) or NULL. */
rmq_pq_t *rmq__rebalance_pq(rmq_rebalance_t *rb, const rmq_mq_t *mq);
size_t rmq__rebalance_queue_count(rmq_rebalance_t *rb);
/* removeProcessQueue: drops \p mq's process queue and removes it (after
 * remove_unnecessary_mq). */
void rmq__rebalance_remove_pq(rmq_rebalance_t *rb, const rmq_mq_t *mq);

/* ---- the rebalance ---- */
/* doRebalance(isOrder): every subscribed topic, then
 * truncateMessageQueueNotMyTopic. On the rebalance thread. */
void rmq__rebalance_do(rmq_rebalance_t *rb, bool is_order);

/* lock / lockAll / unlock / unlockAll: LOCK_BATCH_MQ and UNLOCK_BATCH_MQ to
 * the masters (timeout 1 s), updating the process queues' lock state. */
bool rmq__rebalance_lock(rmq_rebalance_t *rb, const rmq_mq_t *mq);
void rmq__rebalance_lock_all(rmq_rebalance_t *rb);
void rmq__rebalance_unlock(rmq_rebalance_t *rb, const rmq_mq_t *mq,
                           bool oneway);
void rmq__rebalance_unlock_all(rmq_rebalance_t *rb, bool oneway);

#endif /* RMQ_REBALANCE_H */
