/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The push consumer's internals, shared by its files (Java
 * DefaultMQPushConsumerImpl and the services it owns):
 *
 *   rmq_push_consumer.c        DefaultMQPushConsumer(Impl): API, start,
 *                              shutdown, the member interface, running
 *                              info, send-back, RebalancePushImpl
 *   rmq_pull.c                 PullMessageService + PullAPIWrapper +
 *                              DefaultMQPushConsumerImpl.pullMessage: pull
 *                              requests, flow control, pull results
 *   rmq_consume_concurrently.c ConsumeMessageConcurrentlyService
 *   rmq_consume_orderly.c      ConsumeMessageOrderlyService
 *   rmq_rebalance.c            RebalanceImpl (shared with the lite pull
 *                              consumer)
 *
 * Locks: pcons->lock (a library lock) guards the state, the pull request
 * list and the listener configuration; the rebalance has its own lock, a
 * process queue its own. No lock is held while the listener, a hook or a
 * broker request runs.
 */
#ifndef RMQ_PUSH_CONSUMER_INT_H
#define RMQ_PUSH_CONSUMER_INT_H

#include <stdatomic.h>

#include "client/rmq_admin.h"
#include "client/rmq_client.h"
#include "client/rmq_message_ext_int.h"
#include "common/rmq_io.h"
#include "common/rmq_thread.h"
#include "consumer/rmq_consumer_stats.h"
#include "consumer/rmq_offset_store.h"
#include "consumer/rmq_rebalance.h"
#include "protocol/rmq_msg_id.h"
#include "protocol/rmq_running_info.h"
#include "rocketmq/rmq_push_consumer.h"

enum { PC_CREATE_JUST, PC_RUNNING, PC_SHUTDOWN_ALREADY, PC_START_FAILED };

#define PC_MAX_HOOKS 8

/* DefaultMQPushConsumerImpl's delays. */
#define PULL_DELAY_WHEN_FLOW_CONTROL_MS  50   /* cache flow control */
#define PULL_DELAY_WHEN_BROKER_FC_MS     20   /* broker FLOW_CONTROL */
#define PULL_DELAY_WHEN_SUSPEND_MS       1000 /* consumer paused */
#define BROKER_SUSPEND_MAX_TIME_MS       15000
#define CONSUMER_TIMEOUT_WHEN_SUSPEND_MS 30000
/* OFFSET_ILLEGAL: the queue is fixed this long after (executeTaskLater). */
#define OFFSET_ILLEGAL_FIX_DELAY_MS 10000
/* Concurrent: a consume request whose send-back failed is retried after
 * this (submitConsumeRequestLater). */
#define CONSUME_RETRY_LATER_MS 5000

typedef struct consume_hook_s {
        char *name;
        rmq_consume_hook_cb_t *before;
        rmq_consume_hook_cb_t *after;
        void *opaque;
} consume_hook_t;

/* A queue this consumer was given (one per process queue table entry):
 * shared, reference counted, by its pull request and the consume
 * requests of its messages, so none of them copies the queue. */
typedef struct rmq_pc_queue_s {
        _Atomic int refcnt;
        rmq_mq_t mq;
        rmq_pq_t *pq;    /* referenced */
        int32_t mq_hash; /* rmq__mq_hash(&mq) */
        /* the consumer's topic@group stats (ConsumerStatsManager) */
        rmq_stats_entry_t *stats;
        /* Orderly: serialises the consume requests of this queue (Java
         * MessageQueueLock's object); held while the listener runs, so it
         * is not a library lock in the STYLE R16.6 sense. */
        uv_mutex_t olock;
} rmq_pc_queue_t;

rmq_pc_queue_t *rmq__pc_queue_new(const rmq_mq_t *mq, rmq_pq_t *pq);
rmq_pc_queue_t *rmq__pc_queue_retain(rmq_pc_queue_t *q);
void rmq__pc_queue_release(rmq_pc_queue_t *q);

/* Where a pull request is (pcons->lock). */
enum {
        PR_QUEUED,   /* its job is on the pull service */
        PR_RUNNING,  /* its job or a pull answer is being handled */
        PR_TIMER,    /* waiting for its timer (executePullRequestLater) */
        PR_INFLIGHT, /* a PULL_MESSAGE waits for its answer */
        PR_CANCELLED /* shutdown took it off its timer */
};

/* PullRequest: one per queue the rebalance gave this consumer, alive until
 * its process queue is dropped and it sees it (or the consumer stops).
 * Whoever has it in its current state owns it; only the owner moves it
 * on or retires it. */
typedef struct rmq_pull_request_s {
        rmq_job_t job;     /* on the pull service, or the fix on sched */
        rmq_timer_t timer; /* executePullRequestLater / executeTaskLater */
        rmq_list_t link;   /* pcons->pull_requests (pcons->lock) */
        struct rmq_push_consumer_s *pcons;
        rmq_pc_queue_t *q;
        int64_t next_offset;
        bool previously_locked;
        bool fix_offset;  /* the timer runs the OFFSET_ILLEGAL fix */
        int state;        /* PR_*, pcons->lock */
        int32_t inflight; /* opaque of the pull in flight (pcons->lock) */
        /* pullFromWhichNodeTable: the broker id the last answer
         * suggested (PullAPIWrapper.updatePullFromWhichNode) */
        int64_t broker_id;
        int64_t begin_ms;           /* wall clock of the pull in flight */
        rmq_subscription_data_t sd; /* the pull's subscription (its tags
                                       filter the answer) */
} rmq_pull_request_t;

struct rmq_push_consumer_s {
        rmq_conf_t *conf;
        rmq_logger_t lg;
        char *group;      /* with the namespace */
        char *group_user; /* as configured */
        uv_mutex_t lock;
        uv_cond_t cond;
        int state;
        atomic_bool paused;     /* suspend() */
        atomic_int reset_pause; /* resets in progress pause pulls too */
        /* set at the start of shutdown: no pull, no new listener call */
        atomic_bool stopping;
        bool orderly;
        rmq_listener_concurrently_cb_t *listener_c;
        rmq_listener_orderly_cb_t *listener_o;
        void *listener_opaque;
        consume_hook_t hooks[PC_MAX_HOOKS];
        int hook_cnt;
        struct rmq_tracer_s *tracer; /* enableMsgTrace (rmq_trace.c) */
        rmq_allocate_t *alloc_pending; /* set before start */
        rmq_client_t *ci;
        int64_t start_ms; /* consumerStartTimestamp */
        int64_t consume_timestamp_ms;
        rmq_rebalance_t rb;
        bool rb_ready;
        rmq_offset_store_t *offsets;
        rmq_pool_t *workers; /* the consume pool */
        rmq_consumer_stats_t *stats;
        /* Subscriptions given before start (topic -> sd). */
        rmq_strmap_t subs_pending;
        /* Pull requests (PullRequest), pcons->lock. */
        rmq_list_t pull_requests;
        size_t pull_request_cnt;
        /* Pull request handlers running (rmq_pull.c), pcons->lock: the
         * shutdown waits for them too. */
        int pull_handlers;
        /* Flow control figures (Java queueFlowControlTimes...). */
        atomic_ullong queue_flow_control_times;
        atomic_ullong queue_max_span_flow_control_times;
        /* Effective thresholds (pullThreshold*ForTopic adjusts them). */
        atomic_llong pull_threshold_for_queue;
        atomic_llong pull_threshold_size_for_queue; /* MiB */
        /* The consume service's periodic task: cleanExpireMsg
         * (concurrent) or lockMQPeriodically (orderly clustering), queued
         * on the scheduler at most once (periodic_queued, pcons->lock). */
        rmq_timer_t periodic_timer;
        rmq_job_t periodic_job;
        bool periodic_queued;
        /* Delayed work (rmq_pc_later_t), pcons->lock: dropped at
         * shutdown. */
        rmq_list_t delayed;
        /* Delayed unlocks (RebalancePushImpl.unlockDelay), pcons->lock. */
        rmq_list_t delayed_unlocks;
        /* RESET_CONSUMER_CLIENT_OFFSET jobs in progress, pcons->lock. */
        int resets;
        /* Public admin calls in progress (the shutdown waits for them),
         * pcons->lock. */
        int admin_calls;
        /* The MQAdmin calls (rmq_push_consumer_admin; the rebalance's
         * maxOffset/searchOffset). */
        rmq_admin_t admin;
        /* the statistics reporter, from start to shutdown (rmq_stats.h) */
        struct rmq_stats_reporter_s *reporter;
};

/* Work of the consume services that waits (submitConsumeRequestLater,
 * tryLockLaterAndReconsume): a timer, then \p job on \p pool. Kept on
 * pcons->delayed while on its timer, so that the shutdown can take it
 * back (drop) instead of waiting. */
typedef struct rmq_pc_later_s {
        rmq_timer_t timer;
        rmq_list_t link; /* pcons->delayed, pcons->lock */
        bool taken;      /* fired or taken back (pcons->lock) */
        struct rmq_push_consumer_s *pcons;
        rmq_pool_t *pool;
        rmq_job_t *job;
        /* frees the owner when the job will not run */
        void (*drop)(struct rmq_pc_later_s *l);
} rmq_pc_later_t;

/* What a consume hook sees. */
struct rmq_consume_hook_context_s {
        const char *group;
        const rmq_mq_t *mq;
        const rmq_message_ext_t *const *msgs;
        size_t n;
        int success;
        const char *status;
        const char *return_type;
        const char *ns;
        /* message trace (rmq_trace.c): SubBefore's request id, time
         * (0: nothing traced) and region, for SubAfter */
        char trace_request_id[RMQ_MSG_ID_MAX + 1];
        int64_t trace_ts;
        const char *trace_region;
};

/* ---- rmq_push_consumer.c ---- */
/* A listener call's frame, shared by both consume services: begin fills
 * \p hc and runs the before-hooks (when there are hooks), stamps the
 * messages' consume start time and returns it; return_type is the
 * ConsumeReturnType name of the outcome; end runs the after-hooks. */
int64_t rmq__pcons_call_begin(rmq_push_consumer_t *pcons,
                              rmq_consume_hook_context_t *hc,
                              const rmq_mq_t *mq,
                              rmq_message_ext_t *const *msgs, size_t n);
const char *rmq__pcons_return_type(rmq_push_consumer_t *pcons, bool valid,
                                   bool failed, int64_t rt_ms);
void rmq__pcons_call_end(rmq_push_consumer_t *pcons,
                         rmq_consume_hook_context_t *hc, const char *status,
                         const char *return_type, bool success);
/* Runs the hooks, in registration order. */
void rmq__pcons_hooks_before(rmq_push_consumer_t *pcons,
                             rmq_consume_hook_context_t *hc);
void rmq__pcons_hooks_after(rmq_push_consumer_t *pcons,
                            rmq_consume_hook_context_t *hc);
/* The listener threads' check (rmq_push_consumer_shutdown refuses them). */
bool rmq__pcons_on_worker(rmq_push_consumer_t *pcons);
/* sendMessageBack(msg, delayLevel, brokerName) with the inner producer
 * fallback. RMQ_OK or the error of the fallback. */
rmq_err_t rmq__pcons_send_back(rmq_push_consumer_t *pcons,
                               const rmq_message_ext_t *mx, int delay_level,
                               const char *broker_name, char *errstr,
                               size_t errstr_size);
/* The orderly sendMessageBack (ConsumeMessageOrderlyService): straight to
 * the retry topic through the inner producer, with \p reconsume_times. */
rmq_err_t rmq__pcons_send_to_retry(rmq_push_consumer_t *pcons,
                                   const rmq_message_ext_t *mx,
                                   int32_t reconsume_times,
                                   int32_t max_reconsume_times, char *errstr,
                                   size_t errstr_size);
/* getMaxReconsumeTimes: -1 gives 16 (concurrent) or INT32_MAX (orderly). */
int32_t rmq__pcons_max_reconsume_times(rmq_push_consumer_t *pcons);
/* Runs \p l->job on \p pool after \p delay_ms, or drops it at once
 * (the consumer stopping). \p l->job and \p l->drop set by the caller. */
void rmq__pcons_later(rmq_push_consumer_t *pcons, rmq_pc_later_t *l,
                      rmq_pool_t *pool, int64_t delay_ms);
/* The shutdown: every delayed work dropped. */
void rmq__pcons_later_drop_all(rmq_push_consumer_t *pcons);
/* Pulls and rebalances wait: suspended, or a reset in progress. */
bool rmq__pcons_paused(rmq_push_consumer_t *pcons);
/* The instance's memory budget (consumer.memory.budget) is exceeded. */
bool rmq__pcons_over_budget(rmq_push_consumer_t *pcons);

/* ---- rmq_pull.c ---- */
/* A pull request for an added queue (taking a reference of \p q), queued
 * at once; false if the consumer is stopping (nothing made). */
bool rmq__pull_request_new(rmq_push_consumer_t *pcons, rmq_pc_queue_t *q,
                           int64_t next_offset);
/* Stops every pull request and waits until none is left: pulls in flight
 * are cancelled, timers fire at once, and each request retires when it
 * sees the consumer stopping. */
void rmq__pull_stop_all(rmq_push_consumer_t *pcons);
/* Cancels the pulls in flight of dropped process queues and waits until
 * every pull request of a dropped process queue has ended. */
void rmq__pull_cancel_dropped(rmq_push_consumer_t *pcons);

/* ---- rmq_consume_concurrently.c / rmq_consume_orderly.c ---- */
/* submitConsumeRequest: \p msgs just put into \p pq (the pull's batch,
 * each referenced once by the caller for the consume requests). */
void rmq__consume_submit(rmq_push_consumer_t *pcons, rmq_pc_queue_t *q,
                         rmq_message_ext_t *const *msgs, size_t n,
                         bool dispatch_to_consume);
void rmq__consume_concurrently_submit(rmq_push_consumer_t *pcons,
                                      rmq_pc_queue_t *q,
                                      rmq_message_ext_t *const *msgs, size_t n);
/* Orderly: a consume request for \p q, after \p delay_ms (0: now). */
void rmq__consume_orderly_submit(rmq_push_consumer_t *pcons, rmq_pc_queue_t *q,
                                 int64_t delay_ms);
/* The consume service of the consumer's kind: start (the worker pool and
 * the service's timers) and stop (no new listener call; queued requests
 * dropped, running ones waited for; orderly: every queue unlocked). */
void rmq__consume_service_start(rmq_push_consumer_t *pcons);
void rmq__consume_service_stop(rmq_push_consumer_t *pcons);
/* consumeMessageDirectly: runs the listener on \p mx in the caller's
 * thread and fills \p res (order, autoCommit, consumeResult, remark,
 * spentTimeMills). */
void rmq__consume_concurrently_directly(rmq_push_consumer_t *pcons,
                                        rmq_message_ext_t *mx,
                                        const char *broker_name,
                                        rmq_consume_directly_result_t *res);
void rmq__consume_orderly_directly(rmq_push_consumer_t *pcons,
                                   rmq_message_ext_t *mx,
                                   const char *broker_name,
                                   rmq_consume_directly_result_t *res);
/* cleanExpireMsg on every process queue (scheduler thread). */
void rmq__consume_clean_expired(rmq_push_consumer_t *pcons);

#endif /* RMQ_PUSH_CONSUMER_INT_H */
