/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lite pull consumer (4.9.8): DefaultLitePullConsumer(Impl), its
 * PullTaskImpl, AssignedMessageQueue (with MessageQueueState),
 * RebalanceLitePullImpl and the consume request cache poll() reads.
 *
 * Shared with the push consumer: the rebalance (rmq_rebalance.c, through
 * lite_rb_ops), the allocation strategies, PullAPIWrapper (rmq_pull_api.c),
 * the offset stores, the process queues, message decoding, and what both
 * consumers do alike (rmq_consumer_base.c).
 *
 * Pull tasks: Java runs one PullTaskImpl per queue on pullThreadNums
 * threads, each pull a synchronous request. Here a task is a small state
 * machine like the push consumer's pull request: its job runs on the
 * client instance's pull service (or on the scheduler when it must first
 * fetch the queue's offset, which blocks), its pull is an asynchronous
 * request on the I/O loop, its waits are timers. A task is owned by
 * whoever moved it to its state (lp_task_t.state under lpc->lock); a cancel
 * (seek, a queue taken away, shutdown) marks it, takes it off its timer or
 * cancels its pull in flight, and its owner retires it. A cancelled task's
 * answer is dropped, so nothing pulled before a seek is delivered.
 *
 * Locks: lpc->lock (a library lock) guards the state, the queue table, the
 * tasks and the consume request cache; a process queue's own lock nests
 * inside it; no log line, listener or broker request runs under it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "client/rmq_admin.h"
#include "client/rmq_client_api.h"
#include "client/rmq_trace.h"
#include "client/rmq_stats.h"
#include "common/rmq_io.h"
#include "common/rmq_list.h"
#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "common/rmq_thread.h"
#include "common/rmq_time.h"
#include "consumer/rmq_consumer_base.h"
#include "consumer/rmq_consumer_stats.h"
#include "consumer/rmq_pull_api.h"
#include "protocol/rmq_message_codec.h"
#include "protocol/rmq_names.h"
#include "rocketmq/rmq_lite_pull_consumer.h"

/* DefaultLitePullConsumerImpl's delays. */
#define PULL_DELAY_WHEN_CACHE_FLOW_CONTROL_MS  50
#define PULL_DELAY_WHEN_BROKER_FLOW_CONTROL_MS 20
#define PULL_DELAY_WHEN_PAUSE_MS               1000
#define PULL_DELAY_ON_EXCEPTION_MS             3000
/* DefaultLitePullConsumer's pullBatchSize when not set. */
#define LITE_PULL_BATCH_SIZE_DEFAULT 10
/* startScheduleTask: the first topic metadata check. */
#define TOPIC_METADATA_FIRST_CHECK_MS 10000

enum { LP_CREATE_JUST, LP_RUNNING, LP_SHUTDOWN_ALREADY, LP_START_FAILED };
enum { SUB_NONE, SUB_SUBSCRIBE, SUB_ASSIGN };
/* Where a pull task is (lpc->lock). */
enum {
        T_QUEUED,   /* its job is on a pool */
        T_RUNNING,  /* a handler has it */
        T_TIMER,    /* waiting for its timer */
        T_INFLIGHT, /* a PULL_MESSAGE waits for its answer */
        T_TAKEN     /* a cancel took it off its timer */
};

typedef struct lp_task_s lp_task_t;

/* AssignedMessageQueue.MessageQueueState: one per assigned queue, shared
 * (reference counted) by the table, its pull task and the cached consume
 * requests. Fields under lpc->lock unless said. */
typedef struct lp_queue_s {
        int refcnt;
        rmq_mq_t mq;   /* with the namespace; immutable */
        rmq_pq_t *pq;  /* referenced; immutable */
        bool assigned; /* still in the table */
        bool paused;
        int64_t pull_offset, consume_offset, seek_offset;
        lp_task_t *task; /* the current task, NULL if none */
} lp_queue_t;

/* PullTaskImpl. */
struct lp_task_s {
        rmq_job_t job;
        rmq_timer_t timer;
        rmq_list_t link; /* lpc->tasks */
        struct rmq_lite_pull_consumer_s *lpc;
        lp_queue_t *q; /* referenced */
        int refs;      /* the task list's one, plus a sender's (lpc->lock) */
        int state;
        bool cancelled;
        bool fetch_offset; /* the job runs on the scheduler: an offset to
                              fetch (owner only) */
        int32_t inflight;
        int64_t broker_id;
        rmq_subscription_data_t sd; /* owner only */
};

/* ConsumeRequest: the messages of one pull, waiting for poll(). */
typedef struct lp_req_s {
        rmq_list_t link;        /* lpc->cache */
        lp_queue_t *q;          /* referenced */
        rmq_msg_batch_t *batch; /* one reference; the process queue holds
                                   one per message */
} lp_req_t;

/* A topic watched by a TopicMessageQueueChangeListener. */
typedef struct lp_watch_s {
        rmq_topic_queue_change_cb_t *cb;
        void *opaque;
        rmq_mq_t *mqs; /* messageQueuesForTopic (NULL: not fetched) */
        size_t n;
        bool fetched;
} lp_watch_t;

struct rmq_lite_pull_consumer_s {
        rmq_conf_t *conf;
        rmq_logger_t lg;
        rmq_tracer_t *tracer; /* enableMsgTrace (rmq_trace.c) or NULL */
        char *group;      /* with the namespace */
        char *group_user; /* as configured */
        uv_mutex_t lock;
        uv_cond_t cond;
        int state;
        int sub_type;
        bool stopping;
        int64_t batch_size; /* pullBatchSize (10 unless set) */
        rmq_client_t *ci;
        rmq_admin_t admin;
        rmq_rebalance_t rb;
        bool rb_ready;
        rmq_offset_store_t *offsets;
        int64_t consume_timestamp_ms;
        int64_t start_ms; /* consumerStartTimestamp */
        /* Subscriptions given before start (topic -> sd). */
        rmq_strmap_t subs_pending;
        /* setSubExpressionForAssign: topic (with namespace) -> char *. */
        rmq_strmap_t assign_exprs;
        rmq_message_queue_listener_cb_t *mq_listener;
        void *mq_listener_opaque;
        /* The assigned queues. */
        lp_queue_t **queues;
        size_t queue_cnt, queue_cap;
        /* Pull tasks and their handlers running. */
        rmq_list_t tasks;
        size_t task_cnt;
        int handlers;
        /* consumeRequestCache */
        rmq_list_t cache;
        size_t cache_cnt;
        /* API calls in progress (the shutdown waits for them). */
        int calls;
        int64_t next_auto_commit_ms;
        /* Flow control figures, lpc->lock. */
        uint64_t consume_request_fc_times, queue_fc_times,
            queue_max_span_fc_times;
        /* topicMessageQueueChangeListenerMap: topic (with namespace) ->
         * lp_watch_t *, and its periodic check on the scheduler. */
        rmq_strmap_t watches;
        rmq_timer_t watch_timer;
        rmq_job_t watch_job;
        bool watch_queued; /* lpc->lock */
        /* the statistics reporter, from start to shutdown (rmq_stats.h) */
        struct rmq_stats_reporter_s *reporter;
};

typedef rmq_lite_pull_consumer_t lpc_t;

static void stats_fill(void *impl, cJSON *doc);

/* ---- queues ---- */

static lp_queue_t *queue_new(const rmq_mq_t *mq, rmq_pq_t *pq) {
        lp_queue_t *q = rmq__calloc(1, sizeof(*q));
        q->refcnt     = 1;
        rmq__mq_copy(&q->mq, mq);
        q->pq             = pq;
        q->assigned       = true;
        q->pull_offset    = -1;
        q->consume_offset = -1;
        q->seek_offset    = -1;
        return q;
}

/* lpc->lock held, or the queue not shared. */
static void queue_unref(lp_queue_t *q) {
        if (--q->refcnt > 0)
                return;
        rmq__pq_release(q->pq);
        rmq__mq_clear(&q->mq);
        rmq__free(q);
}

/* The table index of \p mq, -1 if not assigned. lpc->lock held. */
static int queue_find(lpc_t *lpc, const rmq_mq_t *mq) {
        size_t i;
        for (i = 0; i < lpc->queue_cnt; i++)
                if (rmq__mq_equal(&lpc->queues[i]->mq, mq))
                        return (int)i;
        return -1;
}

/* A user queue with the namespace applied, into \p out (clear it). */
static void mq_in(lpc_t *lpc, const rmq_message_queue_t *mq, rmq_mq_t *out) {
        char *t         = rmq__ns_wrap(lpc->conf->namespace_, mq->topic);
        out->topic      = t;
        out->brokerName = rmq__strdup(mq->brokerName);
        out->queueId    = mq->queueId;
}

/* User queues (without the namespace) for \p mqs: an array of \p n
 * pointers into one allocation of \p n queues (free with rmq__free and
 * rmq__mq_array_free of the second). */
static rmq_mq_t *mqs_out(lpc_t *lpc, const rmq_mq_t *mqs, size_t n,
                         const rmq_message_queue_t ***ptrsp) {
        rmq_mq_t *out = rmq__calloc(n ? n : 1, sizeof(*out));
        const rmq_message_queue_t **ptrs =
            rmq__calloc(n ? n : 1, sizeof(*ptrs));
        size_t i;
        for (i = 0; i < n; i++) {
                out[i].topic =
                    rmq__ns_unwrap(mqs[i].topic, lpc->conf->namespace_);
                out[i].brokerName = rmq__strdup(mqs[i].brokerName);
                out[i].queueId    = mqs[i].queueId;
                ptrs[i]           = &out[i];
        }
        *ptrsp = ptrs;
        return out;
}

/* ---- the consume request cache ---- */

static void req_free(lp_req_t *r) {
        rmq__msg_batch_release(r->batch);
        queue_unref(r->q);
        rmq__free(r);
}

/* clearMessageQueueInCache for \p q (its process queue cleared too).
 * lpc->lock held. */
static void cache_purge(lpc_t *lpc, lp_queue_t *q) {
        rmq_list_t *it, *next;
        rmq__pq_clear(q->pq);
        for (it = lpc->cache.next; it != &lpc->cache; it = next) {
                lp_req_t *r = RMQ_CONTAINER_OF(it, lp_req_t, link);
                next        = it->next;
                if (r->q != q)
                        continue;
                rmq__list_remove(&r->link);
                lpc->cache_cnt--;
                req_free(r);
        }
}

/* ---- pull tasks ---- */

static void task_job(rmq_job_t *job);
static void task_timer_cb(rmq_timer_t *t, void *arg);

/* lpc->lock held. */
static void task_unref_locked(lp_task_t *t) {
        if (--t->refs > 0)
                return;
        queue_unref(t->q);
        rmq__free(t);
}

/* Takes \p t out of the task list and drops the list's reference. The
 * caller owns it and holds no lock. */
static void task_retire(lp_task_t *t, const char *why) {
        lpc_t *lpc = t->lpc;
        char q[256];
        if (rmq__dbg_enabled(&lpc->lg, RMQ_DBG_CONSUMER)) {
                rmq__mq_format(&t->q->mq, q, sizeof(q));
                rmq__dbg(&lpc->lg, CONSUMER, "the pull task of %s ends: %s", q,
                         why);
        }
        rmq__subscription_clear(&t->sd);
        rmq__lock(&lpc->lock);
        rmq__list_remove(&t->link);
        lpc->task_cnt--;
        if (t->q->task == t)
                t->q->task = NULL;
        task_unref_locked(t);
        uv_cond_broadcast(&lpc->cond);
        rmq__unlock(&lpc->lock);
}

/* A handler takes \p t in hand (counted until handler_leave, so the
 * consumer outlives it); false if \p t is not in \p expect (>= 0). */
static bool handler_enter(lp_task_t *t, int expect) {
        lpc_t *lpc = t->lpc;
        rmq__lock(&lpc->lock);
        if (expect >= 0 && t->state != expect) {
                rmq__unlock(&lpc->lock);
                return false;
        }
        t->state    = T_RUNNING;
        t->inflight = 0;
        lpc->handlers++;
        rmq__unlock(&lpc->lock);
        return true;
}

/* Counts one of \p cnt (lpc->lock) down, waking the shutdown at 0. */
static void count_down(lpc_t *lpc, int *cnt) {
        rmq__lock(&lpc->lock);
        if (--*cnt == 0)
                uv_cond_broadcast(&lpc->cond);
        rmq__unlock(&lpc->lock);
}

static void handler_leave(lpc_t *lpc) {
        count_down(lpc, &lpc->handlers);
}

/* Queues \p t's job: on the scheduler when it must fetch an offset first
 * (a blocking request), else on the pull service. */
static void task_submit(lp_task_t *t) {
        lpc_t *lpc = t->lpc;
        bool retire;
        rmq__lock(&lpc->lock);
        retire = t->cancelled || lpc->stopping;
        if (!retire)
                t->state = T_QUEUED;
        rmq__unlock(&lpc->lock);
        if (retire) {
                task_retire(t, "cancelled");
                return;
        }
        t->job.fn = task_job;
        if (rmq__pool_submit(t->fetch_offset ? rmq__client_sched_pool(lpc->ci)
                                             : rmq__client_pull_pool(lpc->ci),
                             &t->job))
                task_retire(t, "the client instance is stopping");
}

/* scheduledThreadPoolExecutor.schedule(this, delay). */
static void task_later(lp_task_t *t, int64_t delay_ms) {
        lpc_t *lpc  = t->lpc;
        bool retire = false;
        if (delay_ms <= 0) {
                task_submit(t);
                return;
        }
        rmq__lock(&lpc->lock);
        if (t->cancelled || lpc->stopping) {
                retire = true;
        } else {
                t->state = T_TIMER;
                /* started under the lock: a cancel sees either no timer or
                 * a started one */
                if (rmq__timer_start(rmq__client_io(lpc->ci), &t->timer,
                                     delay_ms, 0)) {
                        t->state = T_RUNNING;
                        retire   = true;
                }
        }
        rmq__unlock(&lpc->lock);
        if (retire)
                task_retire(t, "cancelled");
}

static void task_timer_cb(rmq_timer_t *tm, void *arg) {
        lp_task_t *t = arg;
        lpc_t *lpc   = t->lpc;
        RMQ_UNUSED(tm);
        if (!handler_enter(t, T_TIMER))
                return; /* a cancel took it */
        task_submit(t);
        handler_leave(lpc);
}

/* A new task for \p q (startPullTask), to submit after unlocking.
 * lpc->lock held. */
static lp_task_t *task_new_locked(lpc_t *lpc, lp_queue_t *q) {
        lp_task_t *t = rmq__calloc(1, sizeof(*t));
        t->lpc       = lpc;
        t->q         = q;
        q->refcnt++;
        t->refs      = 1;
        t->state     = T_RUNNING;
        t->broker_id = RMQ_MASTER_ID;
        rmq__timer_init(&t->timer, task_timer_cb, t);
        rmq__list_insert_tail(&lpc->tasks, &t->link);
        lpc->task_cnt++;
        q->task = t;
        return t;
}

/* What cancels collect under the lock, to finish after it. */
typedef struct cancels_s {
        lp_task_t **taken;
        int32_t *opaques;
        size_t n_taken, n_op, cap;
} cancels_t;

/* setCancelled / tryInterrupt of \p q's task. lpc->lock held. */
static void task_cancel_locked(lpc_t *lpc, lp_queue_t *q, cancels_t *c) {
        lp_task_t *t = q->task;
        RMQ_UNUSED(lpc);
        if (!t)
                return;
        q->task      = NULL;
        t->cancelled = true;
        if (c->n_taken == c->cap || c->n_op == c->cap) {
                c->cap   = c->cap ? c->cap * 2 : 8;
                c->taken = rmq__realloc(c->taken, c->cap * sizeof(*c->taken));
                c->opaques =
                    rmq__realloc(c->opaques, c->cap * sizeof(*c->opaques));
        }
        if (t->state == T_TIMER) {
                t->state               = T_TAKEN;
                c->taken[c->n_taken++] = t;
        } else if (t->state == T_INFLIGHT) {
                c->opaques[c->n_op++] = t->inflight;
        }
}

/* After the lock: timers taken back, pulls cancelled. */
static void cancels_finish(lpc_t *lpc, cancels_t *c) {
        size_t i;
        for (i = 0; i < c->n_taken; i++) {
                /* waits for a callback that may be running: it sees
                 * T_TAKEN and leaves the task alone */
                rmq__timer_stop(rmq__client_io(lpc->ci), &c->taken[i]->timer);
                task_retire(c->taken[i], "cancelled");
        }
        for (i = 0; i < c->n_op; i++)
                rmq__remoting_cancel(rmq__client_remoting(lpc->ci),
                                     c->opaques[i]);
        rmq__free(c->taken);
        rmq__free(c->opaques);
        memset(c, 0, sizeof(*c));
}

/* Submits the tasks of \p ts (after the lock). */
static void tasks_start(lp_task_t **ts, size_t n) {
        size_t i;
        for (i = 0; i < n; i++)
                task_submit(ts[i]);
        rmq__free(ts);
}

/* ---- the assigned queue table (AssignedMessageQueue) ---- */

/* Takes \p q out of the table: its process queue dropped, its task
 * cancelled, its cached messages dropped. lpc->lock held. */
static void queue_remove_locked(lpc_t *lpc, size_t idx, cancels_t *c) {
        lp_queue_t *q = lpc->queues[idx];
        q->assigned   = false;
        rmq__pq_set_dropped(q->pq, true);
        task_cancel_locked(lpc, q, c);
        cache_purge(lpc, q);
        lpc->queues[idx] = lpc->queues[--lpc->queue_cnt];
        queue_unref(q);
}

static bool mq_in_set(const rmq_mq_t *mq, const rmq_mq_t *set, size_t n) {
        size_t i;
        for (i = 0; i < n; i++)
                if (rmq__mq_equal(mq, &set[i]))
                        return true;
        return false;
}

/*
 * updateAssignedMessageQueue + updatePullTask: the table's queues of
 * \p topic (every topic when NULL) become \p mqs. New queues take their
 * process queue from the rebalance table when it has one (subscribe mode)
 * and, with \p start, a pull task (returned in \p *tsp to submit after the
 * lock). lpc->lock held.
 */
static void table_update_locked(lpc_t *lpc, const char *topic,
                                const rmq_mq_t *mqs, size_t n, bool start,
                                cancels_t *c, lp_task_t ***tsp, size_t *ntp) {
        size_t i = 0, nt = 0;
        lp_task_t **ts = rmq__calloc(n ? n : 1, sizeof(*ts));
        while (i < lpc->queue_cnt) {
                lp_queue_t *q = lpc->queues[i];
                if ((!topic || !strcmp(q->mq.topic, topic)) &&
                    !mq_in_set(&q->mq, mqs, n)) {
                        queue_remove_locked(lpc, i, c);
                        continue;
                }
                i++;
        }
        for (i = 0; i < n; i++) {
                int idx = queue_find(lpc, &mqs[i]);
                lp_queue_t *q;
                rmq_pq_t *pq = NULL;
                if (idx < 0) {
                        if (lpc->rb_ready)
                                pq = rmq__rebalance_pq(&lpc->rb, &mqs[i]);
                        if (!pq)
                                pq = rmq__pq_new(rmq__wall_ms());
                        q = queue_new(&mqs[i], pq);
                        if (lpc->queue_cnt == lpc->queue_cap) {
                                lpc->queue_cap =
                                    lpc->queue_cap ? lpc->queue_cap * 2 : 8;
                                lpc->queues = rmq__realloc(
                                    lpc->queues,
                                    lpc->queue_cap * sizeof(*lpc->queues));
                        }
                        lpc->queues[lpc->queue_cnt++] = q;
                } else {
                        q = lpc->queues[idx];
                }
                if (start && !q->task)
                        ts[nt++] = task_new_locked(lpc, q);
        }
        *tsp = ts;
        *ntp = nt;
}

/* Copies of the table's queues (free with rmq__mq_array_free). */
static rmq_mq_t *table_queues(lpc_t *lpc, size_t *np) {
        rmq_mq_t *mqs;
        size_t i;
        rmq__lock(&lpc->lock);
        mqs = rmq__calloc(lpc->queue_cnt ? lpc->queue_cnt : 1, sizeof(*mqs));
        for (i = 0; i < lpc->queue_cnt; i++)
                rmq__mq_copy(&mqs[i], &lpc->queues[i]->mq);
        *np = lpc->queue_cnt;
        rmq__unlock(&lpc->lock);
        return mqs;
}

/* ---- the pull ---- */

/* computePullFromWhereWithException (RebalanceLitePullImpl). */
static rmq_err_t compute_from_where(lpc_t *lpc, const rmq_mq_t *mq,
                                    int64_t *offsetp) {
        int64_t last = rmq__offset_store_read(lpc->offsets, mq,
                                              RMQ_MEMORY_FIRST_THEN_STORE);
        bool retry   = rmq__is_retry_topic(mq->topic);
        char err[256], q[256];
        rmq_err_t e = RMQ_OK;
        *offsetp    = -1;
        if (last >= 0) {
                *offsetp = last;
                return RMQ_OK;
        }
        if (last != RMQ_OFFSET_NOT_FOUND)
                return RMQ_OK; /* -1: not now */
        switch (lpc->conf->consumeFromWhere) {
        case RMQ_HB_CONSUME_FROM_FIRST_OFFSET:
                *offsetp = 0;
                return RMQ_OK;
        case RMQ_HB_CONSUME_FROM_TIMESTAMP:
                e = retry ? rmq__admin_max_offset(&lpc->admin, mq, offsetp, err,
                                                  sizeof(err))
                          : rmq__admin_search_offset(&lpc->admin, mq,
                                                     lpc->consume_timestamp_ms,
                                                     offsetp, err, sizeof(err));
                break;
        default: /* CONSUME_FROM_LAST_OFFSET */
                if (retry) {
                        *offsetp = 0;
                        return RMQ_OK;
                }
                e = rmq__admin_max_offset(&lpc->admin, mq, offsetp, err,
                                          sizeof(err));
                break;
        }
        if (e) {
                *offsetp = -1;
                rmq__mq_format(mq, q, sizeof(q));
                rmq__log(&lpc->lg, RMQ_LOG_WARN, "CONSUMER",
                         "Compute consume offset from last offset exception, "
                         "mq=%s, exception=%s",
                         q, err);
        }
        return e;
}

/* The subscription the task pulls with: the rebalance's (subscribe mode,
 * copied again when its version changed) or the assign expression's. */
static bool task_subscription(lp_task_t *t) {
        lpc_t *lpc        = t->lpc;
        const char *topic = t->q->mq.topic;
        const char *expr;
        if (lpc->sub_type == SUB_SUBSCRIBE) {
                if (t->sd.topic && rmq__rebalance_sub_version(
                                       &lpc->rb, topic) == t->sd.subVersion)
                        return true;
                rmq__subscription_clear(&t->sd);
                if (rmq__rebalance_sub_get(&lpc->rb, topic, &t->sd))
                        return true;
                memset(&t->sd, 0, sizeof(t->sd));
                return false;
        }
        if (t->sd.topic)
                return true;
        rmq__lock(&lpc->lock);
        expr = rmq__strmap_get(&lpc->assign_exprs, topic);
        expr = expr ? rmq__strdup(expr) : NULL;
        rmq__unlock(&lpc->lock);
        if (rmq__subscription_build(&t->sd, topic, expr ? expr : "*", "TAG",
                                    rmq__wall_ms())) {
                memset(&t->sd, 0, sizeof(t->sd));
                rmq__free((char *)expr);
                return false;
        }
        rmq__free((char *)expr);
        return true;
}

static void pull_done(rmq_err_t err, rmq_pull_result_t *res, const char *errstr,
                      void *opaque);

/* The flow control of PullTaskImpl.run: the reason to wait, or NULL.
 * lpc->lock held. */
static const char *flow_control_locked(lpc_t *lpc, rmq_pq_t *pq,
                                       uint64_t *timesp) {
        const rmq_conf_t *c = lpc->conf;
        if ((int64_t)lpc->cache_cnt * lpc->batch_size >
            c->pullThresholdForAll) {
                *timesp = lpc->consume_request_fc_times++;
                return "The consume request count exceeds threshold";
        }
        if (rmq__pq_msg_count(pq) > c->pullThresholdForQueue) {
                *timesp = lpc->queue_fc_times++;
                return "The cached message count exceeds the threshold";
        }
        if (rmq__pq_msg_size(pq) / (1024 * 1024) >
            c->pullThresholdSizeForQueue) {
                *timesp = lpc->queue_fc_times++;
                return "The cached message size exceeds the threshold";
        }
        if (rmq__pq_max_span(pq) > c->consumeMaxSpan) {
                *timesp = lpc->queue_max_span_fc_times++;
                return "The queue's messages, span too long";
        }
        if (rmq__client_over_budget(lpc->ci)) {
                *timesp = lpc->queue_fc_times++;
                return "The client instance's messages exceed "
                       "consumer.memory.budget";
        }
        return NULL;
}

/* mirrors PullTaskImpl.run up to the pull (which is asynchronous here). */
static void task_run(lp_task_t *t) {
        lpc_t *lpc             = t->lpc;
        const rmq_conf_t *conf = lpc->conf;
        lp_queue_t *q          = t->q;
        rmq_pull_args_t args;
        rmq_cmd_t *req;
        const char *fc;
        uint64_t fc_times = 0;
        char addr[128], err[256], qs[256];
        int64_t offset;
        int32_t opaque_id;
        bool cancelled;
        rmq_err_t e;

        rmq__lock(&lpc->lock);
        if (t->cancelled || lpc->stopping) {
                rmq__unlock(&lpc->lock);
                task_retire(t, "cancelled");
                return;
        }
        if (q->paused) {
                rmq__unlock(&lpc->lock);
                task_later(t, PULL_DELAY_WHEN_PAUSE_MS);
                return;
        }
        if (rmq__pq_dropped(q->pq)) {
                rmq__unlock(&lpc->lock);
                task_retire(t, "its process queue was dropped");
                return;
        }
        fc = flow_control_locked(lpc, q->pq, &fc_times);
        if (fc) {
                rmq__unlock(&lpc->lock);
                if (fc_times % 1000 == 0) {
                        rmq__mq_format(&q->mq, qs, sizeof(qs));
                        rmq__log(&lpc->lg, RMQ_LOG_WARN, "CONSUMER",
                                 "%s, so do flow control, %s: count=%" PRId64
                                 ", size=%" PRId64 " MiB, maxSpan=%" PRId64
                                 ", flowControlTimes=%" PRIu64,
                                 fc, qs, rmq__pq_msg_count(q->pq),
                                 rmq__pq_msg_size(q->pq) / (1024 * 1024),
                                 rmq__pq_max_span(q->pq), fc_times + 1);
                }
                task_later(t, PULL_DELAY_WHEN_CACHE_FLOW_CONTROL_MS);
                return;
        }
        /* nextPullOffset */
        if (q->seek_offset != -1) {
                offset            = q->seek_offset;
                q->consume_offset = offset;
                q->seek_offset    = -1;
        } else {
                offset = q->pull_offset;
        }
        rmq__unlock(&lpc->lock);
        if (offset < 0) {
                /* fetchConsumeOffset blocks: on the scheduler */
                if (!t->fetch_offset) {
                        t->fetch_offset = true;
                        task_submit(t);
                        return;
                }
                t->fetch_offset = false;
                if (compute_from_where(lpc, &q->mq, &offset) || offset < 0) {
                        rmq__mq_format(&q->mq, qs, sizeof(qs));
                        rmq__log(&lpc->lg, RMQ_LOG_ERROR, "CONSUMER",
                                 "Failed to get next pull offset, %s", qs);
                        task_later(t, PULL_DELAY_ON_EXCEPTION_MS);
                        return;
                }
        }
        t->fetch_offset = false;
        if (!task_subscription(t)) {
                rmq__mq_format(&q->mq, qs, sizeof(qs));
                rmq__log(&lpc->lg, RMQ_LOG_WARN, "CONSUMER",
                         "find the consumer's subscription failed, %s", qs);
                task_later(t, lpc->conf->pullTimeDelayMillsWhenException);
                return;
        }

        /* pullSyncImpl(block = true) */
        memset(&args, 0, sizeof(args));
        args.mq                = &q->mq;
        args.group             = lpc->group;
        args.sd                = &t->sd;
        args.send_subscription = true;
        args.sub_version =
            (!t->sd.expressionType || !strcmp(t->sd.expressionType, "TAG"))
                ? 0
                : t->sd.subVersion;
        args.offset   = offset;
        args.max_nums = (int32_t)lpc->batch_size;
        args.sys_flag = RMQ_PULL_FLAG_SUSPEND | RMQ_PULL_FLAG_SUBSCRIPTION |
                        RMQ_PULL_FLAG_LITE_PULL;
        args.suspend_ms = conf->brokerSuspendMaxTimeMillis;
        args.broker_id  = t->broker_id;
        e = rmq__pull_build(lpc->ci, conf, &args, addr, sizeof(addr), &req, err,
                            sizeof(err));
        if (e)
                goto failed;
        opaque_id = req->opaque;
        rmq__lock(&lpc->lock);
        if (t->cancelled || lpc->stopping) {
                rmq__unlock(&lpc->lock);
                rmq__cmd_destroy(req);
                task_retire(t, "cancelled");
                return;
        }
        t->state    = T_INFLIGHT;
        t->inflight = opaque_id;
        t->refs++; /* the sender's: t may be answered before we look */
        rmq__unlock(&lpc->lock);
        e = rmq__api_pull_send(lpc->ci, addr, req,
                               conf->consumerTimeoutMillisWhenSuspend,
                               pull_done, t);
        rmq__cmd_destroy(req);
        rmq__lock(&lpc->lock);
        cancelled = t->cancelled || lpc->stopping;
        if (e) {
                t->state    = T_RUNNING;
                t->inflight = 0;
        }
        task_unref_locked(t);
        rmq__unlock(&lpc->lock);
        if (e == RMQ_OK) {
                /* a cancel while the request was being posted may have
                 * missed it */
                if (cancelled)
                        rmq__remoting_cancel(rmq__client_remoting(lpc->ci),
                                             opaque_id);
                return;
        }
        snprintf(err, sizeof(err), "%s", rmq_err2str(e));
failed:
        rmq__mq_format(&q->mq, qs, sizeof(qs));
        rmq__log_rl(&lpc->lg, RMQ_LOG_ERROR, "CONSUMER",
                    "An error occurred in pull message process, %s: %s", qs,
                    err);
        task_later(t, e == RMQ_ERR_FLOW_CONTROL
                          ? PULL_DELAY_WHEN_BROKER_FLOW_CONTROL_MS
                          : lpc->conf->pullTimeDelayMillsWhenException);
}

static void task_job(rmq_job_t *job) {
        lp_task_t *t = RMQ_CONTAINER_OF(job, lp_task_t, job);
        lpc_t *lpc   = t->lpc;
        handler_enter(t, -1);
        task_run(t);
        handler_leave(lpc);
}

/* updatePullOffset: unless a seek is pending. lpc->lock held. */
static void update_pull_offset_locked(lp_task_t *t, int64_t next) {
        if (!t->cancelled && t->q->seek_offset == -1)
                t->q->pull_offset = next;
}

/* The messages of a FOUND answer into the cache (submitConsumeRequest),
 * unless the task was cancelled or a seek is pending. */
static void on_found(lp_task_t *t, rmq_pull_result_t *res) {
        lpc_t *lpc    = t->lpc;
        lp_queue_t *q = t->q;
        rmq_tracer_t *tracer;
        rmq_msg_batch_t *batch;
        char err[512], qs[256];
        size_t n;
        rmq_err_t e;

        e = rmq__pull_decode(lpc->ci, res, &q->mq, &t->sd, NULL,
                             lpc->conf->namespace_, &batch, err, sizeof(err));
        if (e) {
                rmq__mq_format(&q->mq, qs, sizeof(qs));
                rmq__log(&lpc->lg, RMQ_LOG_ERROR, "CONSUMER",
                         "cannot decode the messages pulled from %s: %s; "
                         "pulling them again in %" PRId64 " ms",
                         qs, err, lpc->conf->pullTimeDelayMillsWhenException);
                task_later(t, lpc->conf->pullTimeDelayMillsWhenException);
                return;
        }
        n = rmq__msg_batch_count(batch);
        /* pullSyncImpl: the consume hooks (SubBefore, SubAfter) of every
         * pull that found messages */
        rmq__lock(&lpc->lock);
        tracer = lpc->tracer;
        rmq__unlock(&lpc->lock);
        rmq__trace_pulled(tracer, rmq__msg_batch_msgs(batch), n);
        if (n > 0) /* beyond Java: the statistics' pulled_msgs */
                rmq__consumer_stats_inc_pull_tps(
                    rmq__client_consumer_stats(lpc->ci), lpc->group,
                    q->mq.topic, (int64_t)n);
        rmq__lock(&lpc->lock);
        if (n > 0 && !t->cancelled && !lpc->stopping && q->seek_offset == -1 &&
            !rmq__pq_dropped(q->pq)) {
                lp_req_t *r = rmq__calloc(1, sizeof(*r));
                rmq__msg_batch_retain_n(batch, n); /* the process queue's */
                rmq__pq_put_messages(q->pq, rmq__msg_batch_msgs(batch), n);
                r->q = q;
                q->refcnt++;
                r->batch = batch;
                batch    = NULL;
                rmq__list_insert_tail(&lpc->cache, &r->link);
                lpc->cache_cnt++;
                uv_cond_broadcast(&lpc->cond);
        }
        update_pull_offset_locked(t, res->nextBeginOffset);
        rmq__unlock(&lpc->lock);
        if (batch)
                rmq__msg_batch_release(batch);
        task_submit(t);
}

/* The pull's answer (callback pool). */
static void pull_done(rmq_err_t err, rmq_pull_result_t *res, const char *errstr,
                      void *opaque) {
        lp_task_t *t  = opaque;
        lpc_t *lpc    = t->lpc;
        lp_queue_t *q = t->q;
        char qs[256];
        bool stop;

        handler_enter(t, -1);
        rmq__lock(&lpc->lock);
        stop = t->cancelled || lpc->stopping || rmq__pq_dropped(q->pq);
        rmq__unlock(&lpc->lock);
        if (stop) {
                if (res)
                        rmq__free(res->storage);
                task_retire(t, "cancelled");
                handler_leave(lpc);
                return;
        }
        if (err) {
                rmq__mq_format(&q->mq, qs, sizeof(qs));
                rmq__log_rl(&lpc->lg, RMQ_LOG_ERROR, "CONSUMER",
                            "An error occurred in pull message process, %s: "
                            "%s",
                            qs, errstr ? errstr : rmq_err2str(err));
                task_later(t, err == RMQ_ERR_FLOW_CONTROL
                                  ? PULL_DELAY_WHEN_BROKER_FLOW_CONTROL_MS
                                  : lpc->conf->pullTimeDelayMillsWhenException);
                handler_leave(lpc);
                return;
        }
        /* updatePullFromWhichNode */
        t->broker_id = res->suggestWhichBrokerId;
        if (res->status == RMQ_PULL_FOUND) {
                on_found(t, res);
                handler_leave(lpc);
                return;
        }
        rmq__free(res->storage);
        if (res->status == RMQ_PULL_OFFSET_ILLEGAL) {
                rmq__mq_format(&q->mq, qs, sizeof(qs));
                rmq__log(&lpc->lg, RMQ_LOG_WARN, "CONSUMER",
                         "The pull request offset illegal, %s: "
                         "nextBeginOffset=%" PRId64 ", minOffset=%" PRId64
                         ", maxOffset=%" PRId64,
                         qs, res->nextBeginOffset, res->minOffset,
                         res->maxOffset);
        }
        rmq__lock(&lpc->lock);
        update_pull_offset_locked(t, res->nextBeginOffset);
        rmq__unlock(&lpc->lock);
        task_submit(t);
        handler_leave(lpc);
}

/* Cancels every task and waits until none is left (shutdown). */
static void tasks_stop_all(lpc_t *lpc) {
        cancels_t c;
        size_t i;
        memset(&c, 0, sizeof(c));
        rmq__lock(&lpc->lock);
        lpc->stopping = true;
        uv_cond_broadcast(&lpc->cond);
        for (i = 0; i < lpc->queue_cnt; i++)
                task_cancel_locked(lpc, lpc->queues[i], &c);
        rmq__unlock(&lpc->lock);
        cancels_finish(lpc, &c);
        rmq__lock(&lpc->lock);
        while (lpc->task_cnt > 0 || lpc->handlers > 0)
                uv_cond_wait(&lpc->cond, &lpc->lock);
        rmq__unlock(&lpc->lock);
}

/* ---- RebalanceLitePullImpl ---- */

static lpc_t *rb_owner(rmq_rebalance_t *rb) {
        return rb->owner;
}

/* The user's MessageQueueListener, with queues without the namespace. */
static void call_mq_listener(lpc_t *lpc, const char *topic, const rmq_mq_t *all,
                             size_t n_all, const rmq_mq_t *mine,
                             size_t n_mine) {
        rmq_message_queue_listener_cb_t *cb;
        const rmq_message_queue_t **pa, **pm;
        rmq_mq_t *oa, *om;
        void *opaque;
        char *t;
        rmq__lock(&lpc->lock);
        cb     = lpc->mq_listener;
        opaque = lpc->mq_listener_opaque;
        rmq__unlock(&lpc->lock);
        if (!cb)
                return;
        oa = mqs_out(lpc, all, n_all, &pa);
        om = mqs_out(lpc, mine, n_mine, &pm);
        t  = rmq__ns_unwrap(topic, lpc->conf->namespace_);
        cb(lpc, t, pa, n_all, pm, n_mine, opaque);
        rmq__free(t);
        rmq__free(pa);
        rmq__free(pm);
        rmq__mq_array_free(oa, n_all);
        rmq__mq_array_free(om, n_mine);
}

/* messageQueueChanged: updateAssignQueueAndStartPullTask, then the user's
 * listener. */
static void rb_mq_changed(rmq_rebalance_t *rb, const char *topic,
                          const rmq_mq_t *all, size_t n_all,
                          const rmq_mq_t *mine, size_t n_mine) {
        lpc_t *lpc = rb_owner(rb);
        bool bcast = rb->message_model == RMQ_HB_BROADCASTING;
        cancels_t c;
        lp_task_t **ts;
        size_t nt;
        memset(&c, 0, sizeof(c));
        rmq__lock(&lpc->lock);
        if (lpc->stopping) {
                rmq__unlock(&lpc->lock);
                return;
        }
        table_update_locked(lpc, topic, bcast ? all : mine,
                            bcast ? n_all : n_mine, true, &c, &ts, &nt);
        rmq__unlock(&lpc->lock);
        cancels_finish(lpc, &c);
        tasks_start(ts, nt);
        call_mq_listener(lpc, topic, all, n_all, mine, n_mine);
}

/* removeUnnecessaryMessageQueue: the offset persisted and forgotten.
 * Beyond Java: with autoCommit, what poll() returned from the queue is
 * committed first, so that its next owner does not get it again. */
static bool rb_remove_unnecessary(rmq_rebalance_t *rb, const rmq_mq_t *mq,
                                  rmq_pq_t *pq) {
        lpc_t *lpc = rb_owner(rb);
        int idx;
        RMQ_UNUSED(pq);
        rmq__lock(&lpc->lock);
        idx = queue_find(lpc, mq);
        if (idx >= 0 && lpc->conf->autoCommit &&
            lpc->queues[idx]->consume_offset >= 0)
                rmq__offset_store_update(
                    lpc->offsets, mq, lpc->queues[idx]->consume_offset, false);
        rmq__unlock(&lpc->lock);
        rmq__offset_store_persist(lpc->offsets, mq);
        rmq__offset_store_remove(lpc->offsets, mq);
        return true;
}

static void rb_remove_dirty_offset(rmq_rebalance_t *rb, const rmq_mq_t *mq) {
        rmq__offset_store_remove(rb_owner(rb)->offsets, mq);
}

static rmq_err_t rb_compute_from_where(rmq_rebalance_t *rb, const rmq_mq_t *mq,
                                       int64_t *offsetp) {
        return compute_from_where(rb_owner(rb), mq, offsetp);
}

/* dispatchPullRequest is empty in Java; here the offset the rebalance
 * computed saves the task from fetching it again. */
static void rb_dispatch(rmq_rebalance_t *rb, rmq_rb_added_t *added, size_t n) {
        lpc_t *lpc = rb_owner(rb);
        size_t i;
        rmq__lock(&lpc->lock);
        for (i = 0; i < n; i++) {
                int idx = queue_find(lpc, added[i].mq);
                if (idx >= 0 && lpc->queues[idx]->pull_offset == -1 &&
                    lpc->queues[idx]->seek_offset == -1)
                        lpc->queues[idx]->pull_offset = added[i].next_offset;
        }
        rmq__unlock(&lpc->lock);
        for (i = 0; i < n; i++)
                rmq__pq_release(added[i].pq); /* the callee's reference */
}

static const rmq_rebalance_ops_t lite_rb_ops = {
    RMQ_HB_CONSUME_ACTIVELY, rb_mq_changed,         rb_remove_unnecessary,
    rb_remove_dirty_offset,  rb_compute_from_where, rb_dispatch};

/* ---- the member interface (MQConsumerInner) ---- */

static void m_heartbeat_data(void *impl, rmq_heartbeat_data_t *hb) {
        lpc_t *lpc = impl;
        /* consumeFromWhere(): CONSUME_FROM_LAST_OFFSET, as Java reports */
        rmq__consumer_heartbeat_data(&lpc->rb, lpc->conf,
                                     RMQ_HB_CONSUME_ACTIVELY,
                                     RMQ_HB_CONSUME_FROM_LAST_OFFSET, hb);
}

/* The subscribed topics, and (beyond Java) the assigned ones, so that
 * their routes stay fresh. */
static void m_collect_topics(void *impl, rmq_strmap_t *topics) {
        lpc_t *lpc = impl;
        size_t i;
        rmq__consumer_collect_topics(&lpc->rb, topics);
        rmq__lock(&lpc->lock);
        for (i = 0; i < lpc->queue_cnt; i++)
                if (!rmq__strmap_get(topics, lpc->queues[i]->mq.topic))
                        rmq__strmap_set(topics, lpc->queues[i]->mq.topic,
                                        (void *)1);
        rmq__unlock(&lpc->lock);
}

static void m_do_rebalance(void *impl) {
        lpc_t *lpc = impl;
        bool go;
        rmq__lock(&lpc->lock);
        go = !lpc->stopping && lpc->sub_type == SUB_SUBSCRIBE;
        rmq__unlock(&lpc->lock);
        if (go)
                rmq__rebalance_do(&lpc->rb, false);
}

/* mirrors DefaultLitePullConsumerImpl.persistConsumerOffset */
static void m_persist_offsets(void *impl) {
        lpc_t *lpc = impl;
        size_t n;
        rmq_mq_t *mqs = table_queues(lpc, &n);
        rmq__offset_store_persist_all(lpc->offsets, mqs, n);
        rmq__mq_array_free(mqs, n);
}

/* mirrors DefaultLitePullConsumerImpl.consumerRunningInfo: the
 * settings and the subscriptions (no queue table, no statistics). */
static rmq_cmd_t *on_running_info(lpc_t *lpc) {
        rmq_consumer_running_info_t info;
        rmq_subscription_data_t *subs;
        size_t n, i;
        rmq__consumer_running_info_base(&info, lpc->ci, lpc->conf, lpc->group,
                                        lpc->start_ms, "CONSUME_ACTIVELY");
        subs = rmq__rebalance_subs(&lpc->rb, &n);
        for (i = 0; i < n; i++)
                rmq__running_info_add_subscription(&info, &subs[i]);
        rmq__rebalance_subs_free(subs, n);
        return rmq__consumer_running_info_response(&info);
}

/* GET_CONSUMER_STATUS_FROM_CLIENT and GET_CONSUMER_RUNNING_INFO as Java
 * answers them for this consumer; the instance answers the others
 * (RESET_CONSUMER_CLIENT_OFFSET and CONSUME_MESSAGE_DIRECTLY are for push
 * consumers). */
static rmq_cmd_t *m_process_request(void *impl, const char *addr,
                                    const rmq_cmd_t *req) {
        lpc_t *lpc = impl;
        RMQ_UNUSED(addr);
        switch (req->code) {
        case RMQ_REQ_GET_CONSUMER_STATUS_FROM_CLIENT:
                return rmq__consumer_status_response(lpc->offsets, req);
        case RMQ_REQ_GET_CONSUMER_RUNNING_INFO:
                return on_running_info(lpc);
        default:
                return NULL;
        }
}

static const rmq_member_ops_t lite_member_ops = {
    RMQ_MEMBER_CONSUMER, m_heartbeat_data,  m_collect_topics, NULL, NULL,
    m_do_rebalance,      m_persist_offsets, m_process_request};

/* ---- API guard ---- */

/* checkServiceState, counted so that the shutdown waits for the call. */
static rmq_err_t enter(lpc_t *lpc, char *errstr, size_t errstr_size) {
        if (!lpc)
                return RMQ_ERR__INVALID_ARG;
        rmq__lock(&lpc->lock);
        if (lpc->state != LP_RUNNING) {
                rmq__unlock(&lpc->lock);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                                   "The consumer not running, please start "
                                   "it first.");
        }
        lpc->calls++;
        rmq__unlock(&lpc->lock);
        return RMQ_OK;
}

static void leave(lpc_t *lpc) {
        count_down(lpc, &lpc->calls);
}

static rmq_err_t admin_enter(void *owner, char *errstr, size_t errstr_size) {
        return enter(owner, errstr, errstr_size);
}

static void admin_leave(void *owner) {
        leave(owner);
}

/* ---- create, start, shut down ---- */

rmq_err_t rmq_lite_pull_consumer_new(rmq_lite_pull_consumer_t **lpcp,
                                     const rmq_conf_t *conf, char *errstr,
                                     size_t errstr_size) {
        lpc_t *lpc;
        if (!lpcp)
                return RMQ_ERR__INVALID_ARG;
        *lpcp = NULL;
        if (!conf)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "conf is NULL");
        lpc       = rmq__calloc(1, sizeof(*lpc));
        lpc->conf = rmq_conf_dup(conf);
        rmq__logger_from_conf(&lpc->lg, lpc->conf, "");
        uv_mutex_init(&lpc->lock);
        uv_cond_init(&lpc->cond);
        rmq__strmap_init(&lpc->subs_pending);
        rmq__strmap_init(&lpc->assign_exprs);
        rmq__strmap_init(&lpc->watches);
        rmq__list_init(&lpc->tasks);
        rmq__list_init(&lpc->cache);
        lpc->batch_size = rmq__conf_is_set(lpc->conf, "pullBatchSize")
                              ? lpc->conf->pullBatchSize
                              : LITE_PULL_BATCH_SIZE_DEFAULT;
        lpc->group_user = rmq__strdup(
            lpc->conf->consumerGroup ? lpc->conf->consumerGroup : "");
        lpc->next_auto_commit_ms = -1;
        lpc->start_ms            = rmq__wall_ms();
        /* consumeTimestamp: half an hour before the consumer was made */
        if (!lpc->conf->consumeTimestamp ||
            rmq__parse_yyyymmddhhmmss(lpc->conf->consumeTimestamp,
                                      &lpc->consume_timestamp_ms))
                lpc->consume_timestamp_ms = rmq__wall_ms() - 30 * 60 * 1000;
        rmq__admin_init(&lpc->admin, &lpc->ci, lpc->conf, &lpc->lg,
                        lpc->conf->namespace_);
        rmq__admin_set_guard(&lpc->admin, admin_enter, admin_leave, lpc);
        lpc->state = LP_CREATE_JUST;
        *lpcp      = lpc;
        return RMQ_OK;
}

/* checkConfig */
static rmq_err_t check_config(lpc_t *lpc, char *errstr, size_t errstr_size) {
        const rmq_conf_t *c = lpc->conf;
        rmq_err_t err =
            rmq__consumer_check_config(c, lpc->group, errstr, errstr_size);
        if (err)
                return err;
        switch (c->consumeFromWhere) {
        case RMQ_HB_CONSUME_FROM_LAST_OFFSET:
        case RMQ_HB_CONSUME_FROM_FIRST_OFFSET:
        case RMQ_HB_CONSUME_FROM_TIMESTAMP:
                break;
        default:
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "Invalid ConsumeFromWhere Value: the lite "
                                   "pull consumer takes "
                                   "CONSUME_FROM_LAST_OFFSET, "
                                   "CONSUME_FROM_FIRST_OFFSET or "
                                   "CONSUME_FROM_TIMESTAMP");
        }
        if (c->consumerTimeoutMillisWhenSuspend < c->brokerSuspendMaxTimeMillis)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "Long polling mode, the consumer "
                                   "consumerTimeoutMillisWhenSuspend must "
                                   "greater than brokerSuspendMaxTimeMillis");
        return RMQ_OK;
}

static void free_pending_sub(void *p) {
        rmq__subscription_clear(p);
        rmq__free(p);
}

static void free_watch(void *p) {
        lp_watch_t *w = p;
        rmq__mq_array_free(w->mqs, w->n);
        rmq__free(w);
}

static void undo_start(lpc_t *lpc) {
        if (lpc->offsets) {
                rmq__offset_store_destroy(lpc->offsets);
                lpc->offsets = NULL;
        }
        if (lpc->rb_ready) {
                rmq__rebalance_destroy(&lpc->rb);
                lpc->rb_ready = false;
        }
        rmq__client_release(lpc->ci);
        lpc->ci = NULL;
}

static void watch_timer_cb(rmq_timer_t *t, void *arg);
static rmq_err_t watch_fetch(lpc_t *lpc, const char *topic, rmq_mq_t **mqsp,
                             size_t *np, char *errstr, size_t errstr_size);

rmq_err_t rmq_lite_pull_consumer_start(rmq_lite_pull_consumer_t *lpc,
                                       char *errstr, size_t errstr_size) {
        rmq_strmap_entry_t *it = NULL, *e;
        rmq_allocate_t *alloc;
        lp_task_t **ts = NULL;
        size_t nt      = 0, b;
        rmq_err_t err;
        int model, st;

        if (!lpc)
                return RMQ_ERR__INVALID_ARG;
        rmq__lock(&lpc->lock);
        st = lpc->state;
        if (st == LP_CREATE_JUST)
                lpc->state = LP_START_FAILED;
        rmq__unlock(&lpc->lock);
        if (st != LP_CREATE_JUST)
                return rmq__seterr(
                    errstr, errstr_size, RMQ_ERR__STATE,
                    "The PullConsumer service state not OK, maybe started "
                    "once, %s",
                    st == LP_RUNNING            ? "RUNNING"
                    : st == LP_SHUTDOWN_ALREADY ? "SHUTDOWN_ALREADY"
                                                : "START_FAILED");
        rmq__free(lpc->group); /* (a start refused before may have set it) */
        lpc->group = rmq__ns_wrap(lpc->conf->namespace_, lpc->group_user);
        if ((err = check_config(lpc, errstr, errstr_size)))
                return err;
        model   = rmq__consumer_message_model(lpc->conf);
        lpc->ci = rmq__client_acquire(lpc->conf);
        rmq__logger_from_conf(&lpc->lg, lpc->conf, rmq__client_id(lpc->ci));
        alloc = rmq__consumer_conf_allocate(lpc->conf);
        rmq__rebalance_init(&lpc->rb, &lite_rb_ops, lpc, lpc->ci, &lpc->lg,
                            lpc->group, model, alloc,
                            lpc->conf->rebalanceLockMaxLiveTime,
                            lpc->conf->pullMaxIdleTime);
        lpc->rb_ready = true;
        while ((e = rmq__strmap_next(&lpc->subs_pending, &it, &b)))
                rmq__rebalance_sub_put(&lpc->rb, e->value);
        rmq__strmap_clear(&lpc->subs_pending, free_pending_sub);
        err = rmq__consumer_offsets_new(&lpc->offsets, lpc->ci, lpc->conf,
                                        lpc->group, model, &lpc->lg, errstr,
                                        errstr_size);
        if (err) {
                undo_start(lpc);
                return err;
        }
        err = rmq__client_register(lpc->ci, lpc->group, &lite_member_ops, lpc);
        if (err) {
                undo_start(lpc);
                rmq__lock(&lpc->lock);
                lpc->state = LP_CREATE_JUST;
                rmq__unlock(&lpc->lock);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "The consumer group[%s] has been created "
                                   "before, specify another name please.",
                                   lpc->group);
        }
        err = rmq__client_start(lpc->ci, errstr, errstr_size);
        if (err) {
                rmq__client_unregister(lpc->ci, RMQ_MEMBER_CONSUMER,
                                       lpc->group);
                undo_start(lpc);
                return err;
        }
        /* setTraceDispatcher + traceDispatcher.start (the instance's name
         * server is known from its start on) */
        if (lpc->conf->enableMsgTrace && !lpc->tracer) {
                rmq_tracer_t *tracer =
                    rmq__tracer_new(lpc->conf, &lpc->lg, lpc->group_user);
                rmq__tracer_start(tracer, lpc->conf, "CONSUME", lpc->ci);
                rmq__lock(&lpc->lock);
                lpc->tracer = tracer;
                rmq__unlock(&lpc->lock);
        }
        rmq__timer_init(&lpc->watch_timer, watch_timer_cb, lpc);
        rmq__lock(&lpc->lock);
        lpc->state = LP_RUNNING;
        /* operateAfterRunning: assign mode starts its tasks */
        if (lpc->sub_type == SUB_ASSIGN) {
                size_t i;
                ts = rmq__calloc(lpc->queue_cnt + 1, sizeof(*ts));
                for (i = 0; i < lpc->queue_cnt; i++)
                        ts[nt++] = task_new_locked(lpc, lpc->queues[i]);
        }
        rmq__unlock(&lpc->lock);
        if (rmq__timer_start(rmq__client_io(lpc->ci), &lpc->watch_timer,
                             TOPIC_METADATA_FIRST_CHECK_MS,
                             lpc->conf->topicMetadataCheckIntervalMillis))
                rmq__log(&lpc->lg, RMQ_LOG_WARN, "CONSUMER",
                         "cannot schedule the topic metadata check");
        lpc->reporter =
            rmq__stats_reporter_start(lpc->ci, lpc->conf, "lite_pull_consumer",
                                      lpc->group, stats_fill, lpc);
        rmq__log(&lpc->lg, RMQ_LOG_INFO, "CONSUMER",
                 "the consumer [%s] start OK", lpc->group);
        if (ts)
                tasks_start(ts, nt);
        /* messageQueuesForTopic of the watched topics */
        it = NULL;
        rmq__lock(&lpc->lock);
        {
                char **topics =
                    rmq__calloc(lpc->watches.count + 1, sizeof(*topics));
                size_t n = 0, i;
                while ((e = rmq__strmap_next(&lpc->watches, &it, &b)))
                        topics[n++] = rmq__strdup(e->key);
                rmq__unlock(&lpc->lock);
                for (i = 0; i < n; i++) {
                        rmq_mq_t *mqs;
                        size_t nq;
                        if (!watch_fetch(lpc, topics[i], &mqs, &nq, NULL, 0)) {
                                lp_watch_t *w;
                                rmq__lock(&lpc->lock);
                                w = rmq__strmap_get(&lpc->watches, topics[i]);
                                if (w && !w->fetched) {
                                        w->mqs     = mqs;
                                        w->n       = nq;
                                        w->fetched = true;
                                        mqs        = NULL;
                                }
                                rmq__unlock(&lpc->lock);
                                if (mqs)
                                        rmq__mq_array_free(mqs, nq);
                        }
                        rmq__free(topics[i]);
                }
                rmq__free(topics);
        }
        if (lpc->sub_type == SUB_SUBSCRIBE) {
                rmq__consumer_update_sub_routes(&lpc->rb, false);
                if ((err = rmq__consumer_check_client_in_broker(
                         &lpc->rb, lpc->conf, errstr, errstr_size))) {
                        rmq__log(&lpc->lg, RMQ_LOG_ERROR, "CONSUMER", "%s",
                                 errstr ? errstr : "checkClientInBroker");
                        rmq_lite_pull_consumer_shutdown(lpc);
                        return err;
                }
                rmq__client_heartbeat_sync(lpc->ci);
                rmq__consumer_update_sub_routes(&lpc->rb, true);
                rmq__client_rebalance_now(lpc->ci);
        } else {
                rmq__client_heartbeat_now(lpc->ci);
        }
        return RMQ_OK;
}

/* commitAll: the consumed offsets into the store (lpc->lock held). */
static void commit_all_locked(lpc_t *lpc) {
        size_t i;
        for (i = 0; i < lpc->queue_cnt; i++) {
                lp_queue_t *q = lpc->queues[i];
                if (q->consume_offset != -1 && !rmq__pq_dropped(q->pq))
                        rmq__offset_store_update(lpc->offsets, &q->mq,
                                                 q->consume_offset, false);
        }
}

/* The statistics document's "consumer" object (docs/STATISTICS.md). */
static void stats_fill(void *impl, cJSON *doc) {
        lpc_t *lpc = impl;
        size_t nq, i, cache;
        rmq_mq_t *mqs;
        rmq_pq_t **pqs;
        uint64_t fc[3];
        cJSON *c;
        rmq__lock(&lpc->lock);
        nq  = lpc->queue_cnt;
        mqs = rmq__calloc(nq + 1, sizeof(*mqs));
        pqs = rmq__calloc(nq + 1, sizeof(*pqs));
        for (i = 0; i < nq; i++) {
                rmq__mq_copy(&mqs[i], &lpc->queues[i]->mq);
                pqs[i] = rmq__pq_retain(lpc->queues[i]->pq);
        }
        cache = lpc->cache_cnt;
        fc[0] = lpc->consume_request_fc_times;
        fc[1] = lpc->queue_fc_times;
        fc[2] = lpc->queue_max_span_fc_times;
        rmq__unlock(&lpc->lock);
        c = rmq__consumer_stats_doc(doc, rmq__client_consumer_stats(lpc->ci),
                                    lpc->group, &lpc->rb, mqs, pqs, nq);
        cJSON_AddStringToObject(c, "consumer_type", "lite_pull");
        rmq__stats_num(c, "cached_requests", (double)cache);
        rmq__stats_num(c, "consume_request_flow_control_times", (double)fc[0]);
        rmq__stats_num(c, "queue_flow_control_times", (double)fc[1]);
        rmq__stats_num(c, "queue_max_span_flow_control_times", (double)fc[2]);
        rmq__stats_num(c, "trace_dropped",
                       (double)rmq_lite_pull_consumer_trace_dropped(lpc));
}

rmq_err_t rmq_lite_pull_consumer_shutdown(rmq_lite_pull_consumer_t *lpc) {
        bool was_running;
        rmq_mq_t *mqs;
        size_t n;
        if (!lpc)
                return RMQ_ERR__INVALID_ARG;
        if (lpc->ci && rmq__client_on_own_thread(lpc->ci))
                return RMQ_ERR__WOULD_DEADLOCK;
        rmq__lock(&lpc->lock);
        was_running = lpc->state == LP_RUNNING;
        if (was_running)
                lpc->state = LP_SHUTDOWN_ALREADY;
        rmq__unlock(&lpc->lock);
        if (!was_running)
                return RMQ_OK;
        rmq__stats_reporter_stop(lpc->reporter);
        lpc->reporter = NULL;
        /* 1. polls waiting return; no new pull, those in flight cancelled */
        tasks_stop_all(lpc);
        /* 2. API calls in progress end; the metadata check stops */
        rmq__lock(&lpc->lock);
        while (lpc->calls > 0)
                uv_cond_wait(&lpc->cond, &lpc->lock);
        rmq__unlock(&lpc->lock);
        rmq__timer_stop(rmq__client_io(lpc->ci), &lpc->watch_timer);
        rmq__lock(&lpc->lock);
        while (lpc->watch_queued)
                uv_cond_wait(&lpc->cond, &lpc->lock);
        /* 3. offsets: what poll() returned (autoCommit), persisted with
         * acknowledged requests */
        if (lpc->conf->autoCommit)
                commit_all_locked(lpc);
        rmq__unlock(&lpc->lock);
        mqs = table_queues(lpc, &n);
        rmq__consumer_commit_at_shutdown(lpc->offsets, lpc->conf,
                                         lpc->rb.message_model, &lpc->lg,
                                         lpc->group, mqs, n);
        rmq__mq_array_free(mqs, n);
        /* 4. leave the group (UNREGISTER_CLIENT) */
        rmq__client_unregister(lpc->ci, RMQ_MEMBER_CONSUMER, lpc->group);
        /* 5. the cache and the table */
        rmq__lock(&lpc->lock);
        while (lpc->queue_cnt > 0) {
                cancels_t c;
                memset(&c, 0, sizeof(c));
                queue_remove_locked(lpc, lpc->queue_cnt - 1, &c);
                rmq__free(c.taken);
                rmq__free(c.opaques);
        }
        rmq__unlock(&lpc->lock);
        rmq__rebalance_destroy(&lpc->rb);
        lpc->rb_ready = false;
        rmq__offset_store_destroy(lpc->offsets);
        lpc->offsets = NULL;
        rmq__log(&lpc->lg, RMQ_LOG_INFO, "CONSUMER",
                 "the consumer [%s] shutdown OK", lpc->group);
        /* traceDispatcher.shutdown() (Java: after the consumer's): the
         * last traces go out, before the instance may go */
        rmq__tracer_shutdown(lpc->tracer);
        rmq__client_release(lpc->ci);
        lpc->ci = NULL;
        return RMQ_OK;
}

static void free_str(void *p) {
        rmq__free(p);
}

void rmq_lite_pull_consumer_destroy(rmq_lite_pull_consumer_t *lpc) {
        if (!lpc)
                return;
        if (rmq_lite_pull_consumer_shutdown(lpc) == RMQ_ERR__WOULD_DEADLOCK) {
                rmq__log(&lpc->lg, RMQ_LOG_ERROR, "CONSUMER",
                         "rmq_lite_pull_consumer_destroy() called from a "
                         "library thread: refused, the consumer [%s] stays "
                         "alive",
                         lpc->group ? lpc->group : lpc->group_user);
                return;
        }
        /* queues assigned but never started */
        while (lpc->queue_cnt > 0)
                queue_unref(lpc->queues[--lpc->queue_cnt]);
        rmq__free(lpc->queues);
        rmq__strmap_clear(&lpc->subs_pending, free_pending_sub);
        rmq__strmap_clear(&lpc->assign_exprs, free_str);
        rmq__strmap_clear(&lpc->watches, free_watch);
        rmq__tracer_destroy(lpc->tracer);
        uv_cond_destroy(&lpc->cond);
        uv_mutex_destroy(&lpc->lock);
        rmq__free(lpc->group);
        rmq__free(lpc->group_user);
        rmq_conf_destroy(lpc->conf);
        rmq__free(lpc);
}

int rmq_lite_pull_consumer_is_running(rmq_lite_pull_consumer_t *lpc) {
        int r;
        if (!lpc)
                return 0;
        rmq__lock(&lpc->lock);
        r = lpc->state == LP_RUNNING;
        rmq__unlock(&lpc->lock);
        return r;
}

const char *rmq_lite_pull_consumer_group(const rmq_lite_pull_consumer_t *lpc) {
        return lpc ? lpc->group_user : NULL;
}

const char *
rmq_lite_pull_consumer_client_id(const rmq_lite_pull_consumer_t *lpc) {
        return lpc && lpc->ci ? rmq__client_id(lpc->ci) : NULL;
}

rmq_err_t rmq_lite_pull_consumer_update_name_server_address(
    rmq_lite_pull_consumer_t *lpc, const char *addrs, char *errstr,
    size_t errstr_size) {
        rmq_err_t err;
        if (!lpc || !addrs)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "NULL argument");
        if (enter(lpc, NULL, 0) == RMQ_OK) {
                if (!rmq__namesrv_list_valid(addrs)) {
                        leave(lpc);
                        return rmq__seterr(errstr, errstr_size,
                                           RMQ_ERR__INVALID_ARG,
                                           "namesrvAddr: expected "
                                           "host:port[;host:port...]");
                }
                rmq__remoting_set_namesrv(rmq__client_remoting(lpc->ci), addrs);
                leave(lpc);
                return RMQ_OK;
        }
        rmq__lock(&lpc->lock);
        err = lpc->state == LP_CREATE_JUST
                  ? rmq_conf_set(lpc->conf, "namesrvAddr", addrs, errstr,
                                 errstr_size)
                  : rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                                "the consumer is shut down");
        rmq__unlock(&lpc->lock);
        return err;
}

/* ---- subscribe / assign ---- */

/* setSubscriptionType. lpc->lock held. */
static rmq_err_t set_sub_type_locked(lpc_t *lpc, int type, char *errstr,
                                     size_t errstr_size) {
        if (lpc->sub_type == SUB_NONE)
                lpc->sub_type = type;
        else if (lpc->sub_type != type)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                                   "Subscribe and assign are mutually "
                                   "exclusive.");
        return RMQ_OK;
}

static rmq_err_t subscribe(lpc_t *lpc, const char *topic, const char *expr,
                           const char *type,
                           rmq_message_queue_listener_cb_t *cb, void *opaque,
                           char *errstr, size_t errstr_size) {
        rmq_subscription_data_t sd, *copy = NULL;
        char *full;
        rmq_err_t err;
        bool running;
        if (!lpc || !topic || !*topic)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "Topic can not be null or empty.");
        full = rmq__ns_wrap(lpc->conf->namespace_, topic);
        err  = rmq__subscription_build(&sd, full, expr, type, rmq__wall_ms());
        rmq__free(full);
        if (err)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "subscribe exception: bad expression "
                                   "\"%s\" for topic %s",
                                   expr ? expr : "", topic);
        rmq__lock(&lpc->lock);
        if (lpc->state != LP_CREATE_JUST && lpc->state != LP_RUNNING)
                err = rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                                  "the consumer is shut down");
        else
                err = set_sub_type_locked(lpc, SUB_SUBSCRIBE, errstr,
                                          errstr_size);
        if (err) {
                rmq__unlock(&lpc->lock);
                rmq__subscription_clear(&sd);
                return err;
        }
        if (cb || !lpc->mq_listener) {
                lpc->mq_listener        = cb;
                lpc->mq_listener_opaque = opaque;
        }
        running = lpc->state == LP_RUNNING;
        lpc->calls++;
        if (!running) {
                copy  = rmq__calloc(1, sizeof(*copy));
                *copy = sd;
                copy  = rmq__strmap_set(&lpc->subs_pending, sd.topic, copy);
        }
        rmq__unlock(&lpc->lock);
        if (copy)
                free_pending_sub(copy);
        if (running) {
                rmq__rebalance_sub_put(&lpc->rb, &sd);
                rmq__client_heartbeat_sync(lpc->ci);
                rmq__client_update_route(lpc->ci, sd.topic, false, NULL, 0,
                                         NULL, 0);
                rmq__client_rebalance_now(lpc->ci);
                rmq__subscription_clear(&sd);
        }
        leave(lpc);
        return RMQ_OK;
}

rmq_err_t rmq_lite_pull_consumer_subscribe(rmq_lite_pull_consumer_t *lpc,
                                           const char *topic,
                                           const char *expression, char *errstr,
                                           size_t errstr_size) {
        return subscribe(lpc, topic, expression, "TAG", NULL, NULL, errstr,
                         errstr_size);
}

rmq_err_t rmq_lite_pull_consumer_subscribe_sql(rmq_lite_pull_consumer_t *lpc,
                                               const char *topic,
                                               const char *sql, char *errstr,
                                               size_t errstr_size) {
        if (!sql || !*sql)
                return subscribe(lpc, topic, "*", "TAG", NULL, NULL, errstr,
                                 errstr_size);
        return subscribe(lpc, topic, sql, "SQL92", NULL, NULL, errstr,
                         errstr_size);
}

rmq_err_t rmq_lite_pull_consumer_subscribe_with_listener(
    rmq_lite_pull_consumer_t *lpc, const char *topic, const char *expression,
    rmq_message_queue_listener_cb_t *cb, void *opaque, char *errstr,
    size_t errstr_size) {
        if (!cb)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "the listener is NULL");
        return subscribe(lpc, topic, expression, "TAG", cb, opaque, errstr,
                         errstr_size);
}

rmq_err_t rmq_lite_pull_consumer_unsubscribe(rmq_lite_pull_consumer_t *lpc,
                                             const char *topic) {
        rmq_subscription_data_t *sd;
        cancels_t c;
        char *full;
        bool found, running;
        size_t i = 0;
        if (!lpc || !topic)
                return RMQ_ERR__INVALID_ARG;
        memset(&c, 0, sizeof(c));
        full = rmq__ns_wrap(lpc->conf->namespace_, topic);
        rmq__lock(&lpc->lock);
        running = lpc->state == LP_RUNNING;
        if (!running) {
                sd = rmq__strmap_del(&lpc->subs_pending, full);
                rmq__unlock(&lpc->lock);
                rmq__free(full);
                if (!sd)
                        return RMQ_ERR__NOT_FOUND;
                free_pending_sub(sd);
                return RMQ_OK;
        }
        lpc->calls++;
        rmq__unlock(&lpc->lock);
        found = rmq__rebalance_sub_remove(&lpc->rb, full);
        /* removePullTask + removeAssignedMessageQueue */
        rmq__lock(&lpc->lock);
        while (i < lpc->queue_cnt) {
                if (!strcmp(lpc->queues[i]->mq.topic, full)) {
                        queue_remove_locked(lpc, i, &c);
                        continue;
                }
                i++;
        }
        rmq__unlock(&lpc->lock);
        cancels_finish(lpc, &c);
        rmq__free(full);
        leave(lpc);
        return found ? RMQ_OK : RMQ_ERR__NOT_FOUND;
}

rmq_err_t rmq_lite_pull_consumer_assign(rmq_lite_pull_consumer_t *lpc,
                                        const rmq_message_queue_t *const *mqs,
                                        size_t cnt, char *errstr,
                                        size_t errstr_size) {
        rmq_mq_t *in;
        cancels_t c;
        lp_task_t **ts = NULL;
        size_t nt      = 0, i;
        rmq_err_t err;
        if (!lpc || !mqs || cnt == 0)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "Message queues can not be null or "
                                   "empty.");
        for (i = 0; i < cnt; i++)
                if (!mqs[i])
                        return rmq__seterr(errstr, errstr_size,
                                           RMQ_ERR__INVALID_ARG,
                                           "Message queues can not hold "
                                           "NULL.");
        memset(&c, 0, sizeof(c));
        in = rmq__calloc(cnt, sizeof(*in));
        for (i = 0; i < cnt; i++)
                mq_in(lpc, mqs[i], &in[i]);
        rmq__lock(&lpc->lock);
        if (lpc->state != LP_CREATE_JUST && lpc->state != LP_RUNNING)
                err = rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                                  "the consumer is shut down");
        else
                err = set_sub_type_locked(lpc, SUB_ASSIGN, errstr, errstr_size);
        if (!err) {
                table_update_locked(lpc, NULL, in, cnt,
                                    lpc->state == LP_RUNNING && !lpc->stopping,
                                    &c, &ts, &nt);
                lpc->calls++;
        }
        rmq__unlock(&lpc->lock);
        rmq__mq_array_free(in, cnt);
        if (err)
                return err;
        cancels_finish(lpc, &c);
        tasks_start(ts, nt);
        leave(lpc);
        return RMQ_OK;
}

rmq_err_t rmq_lite_pull_consumer_set_sub_expression_for_assign(
    rmq_lite_pull_consumer_t *lpc, const char *topic, const char *expression,
    char *errstr, size_t errstr_size) {
        char *full, *old;
        rmq_err_t err;
        if (!lpc || !topic || !*topic)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "Topic can not be null or empty.");
        if (rmq__str_is_blank(expression))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "subExpression can not be null or empty.");
        rmq__lock(&lpc->lock);
        if (lpc->state != LP_CREATE_JUST)
                err = rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                                  "setAssignTag only can be called before "
                                  "start.");
        else
                err = set_sub_type_locked(lpc, SUB_ASSIGN, errstr, errstr_size);
        if (!err) {
                full = rmq__ns_wrap(lpc->conf->namespace_, topic);
                old  = rmq__strmap_set(&lpc->assign_exprs, full,
                                       rmq__strdup(expression));
                rmq__free(old);
                rmq__free(full);
        }
        rmq__unlock(&lpc->lock);
        return err;
}

/* ---- poll ---- */

static void maybe_auto_commit(lpc_t *lpc) {
        int64_t now = rmq__wall_ms();
        rmq__lock(&lpc->lock);
        if (now >= lpc->next_auto_commit_ms) {
                commit_all_locked(lpc);
                lpc->next_auto_commit_ms =
                    now + lpc->conf->autoCommitIntervalMillis;
        }
        rmq__unlock(&lpc->lock);
}

rmq_err_t rmq_lite_pull_consumer_poll(rmq_lite_pull_consumer_t *lpc,
                                      int64_t timeout_ms,
                                      rmq_message_ext_t ***msgsp,
                                      size_t *cntp) {
        lp_req_t *r = NULL;
        int64_t deadline;
        rmq_err_t err;
        if (!msgsp || !cntp)
                return RMQ_ERR__INVALID_ARG;
        *msgsp = NULL;
        *cntp  = 0;
        if (timeout_ms < -1)
                return RMQ_ERR__INVALID_ARG;
        if ((err = enter(lpc, NULL, 0)))
                return err;
        if (timeout_ms == -1)
                timeout_ms = lpc->conf->pollTimeoutMillis;
        if (timeout_ms > INT32_MAX)
                timeout_ms = INT32_MAX; /* (no overflow below) */
        if (lpc->conf->autoCommit)
                maybe_auto_commit(lpc);
        deadline = rmq__mono_ms() + timeout_ms;
        rmq__lock(&lpc->lock);
        for (;;) {
                int64_t left;
                while (rmq__list_empty(&lpc->cache) && !lpc->stopping &&
                       (left = deadline - rmq__mono_ms()) > 0)
                        (void)uv_cond_timedwait(&lpc->cond, &lpc->lock,
                                                (uint64_t)left * 1000000u);
                if (rmq__list_empty(&lpc->cache) || lpc->stopping)
                        break;
                r = RMQ_CONTAINER_OF(lpc->cache.next, lp_req_t, link);
                rmq__list_remove(&r->link);
                lpc->cache_cnt--;
                if (!r->q->assigned || rmq__pq_dropped(r->q->pq)) {
                        req_free(r);
                        r = NULL;
                        continue;
                }
                {
                        int64_t off = rmq__pq_remove_messages(
                            r->q->pq,
                            (const rmq_message_ext_t *const *)
                                rmq__msg_batch_msgs(r->batch),
                            rmq__msg_batch_count(r->batch), rmq__wall_ms());
                        if (off >= 0)
                                r->q->consume_offset = off;
                }
                break;
        }
        if (r) {
                size_t n = rmq__msg_batch_count(r->batch);
                *msgsp   = rmq__malloc(n * sizeof(**msgsp));
                memcpy(*msgsp, rmq__msg_batch_msgs(r->batch),
                       n * sizeof(**msgsp));
                *cntp = n;
                rmq__msg_batch_retain_n(r->batch, n); /* the caller's */
                req_free(r);
        }
        rmq__unlock(&lpc->lock);
        leave(lpc);
        return RMQ_OK;
}

void rmq_lite_pull_consumer_poll_release(rmq_message_ext_t **msgs, size_t cnt) {
        size_t i;
        if (!msgs)
                return;
        for (i = 0; i < cnt; i++)
                rmq_message_ext_release(msgs[i]);
        rmq__free(msgs);
}

/* ---- pause, resume, seek ---- */

static void set_paused(lpc_t *lpc, const rmq_message_queue_t *const *mqs,
                       size_t cnt, bool paused) {
        size_t i;
        if (!lpc || !mqs)
                return;
        for (i = 0; i < cnt; i++) {
                rmq_mq_t mq;
                int idx;
                if (!mqs[i])
                        continue;
                mq_in(lpc, mqs[i], &mq);
                rmq__lock(&lpc->lock);
                idx = queue_find(lpc, &mq);
                if (idx >= 0)
                        lpc->queues[idx]->paused = paused;
                rmq__unlock(&lpc->lock);
                rmq__mq_clear(&mq);
        }
}

void rmq_lite_pull_consumer_pause(rmq_lite_pull_consumer_t *lpc,
                                  const rmq_message_queue_t *const *mqs,
                                  size_t cnt) {
        set_paused(lpc, mqs, cnt, true);
}

void rmq_lite_pull_consumer_resume(rmq_lite_pull_consumer_t *lpc,
                                   const rmq_message_queue_t *const *mqs,
                                   size_t cnt) {
        set_paused(lpc, mqs, cnt, false);
}

/* Whether \p mq is assigned, with Java's error when not. */
static rmq_err_t check_assigned(lpc_t *lpc, const rmq_mq_t *mq,
                                const rmq_message_queue_t *user, char *errstr,
                                size_t errstr_size) {
        bool found;
        rmq__lock(&lpc->lock);
        found = queue_find(lpc, mq) >= 0;
        rmq__unlock(&lpc->lock);
        if (found)
                return RMQ_OK;
        return rmq__seterr(
            errstr, errstr_size, RMQ_ERR__NOT_FOUND,
            "The message queue is not in assigned list%s, "
            "message queue: MessageQueue [topic=%s, "
            "brokerName=%s, queueId=%d]",
            lpc->sub_type == SUB_SUBSCRIBE ? ", may be rebalancing" : "",
            user->topic, user->brokerName, user->queueId);
}

typedef enum { LP_SEEK_TO, LP_SEEK_BEGIN, LP_SEEK_END } seek_kind_t;

static rmq_err_t seek(lpc_t *lpc, const rmq_message_queue_t *user,
                      seek_kind_t kind, int64_t offset, char *errstr,
                      size_t errstr_size) {
        rmq_mq_t mq;
        int64_t min = 0, max = 0;
        lp_task_t *t = NULL;
        cancels_t c;
        rmq_err_t err;
        int idx;
        if (!user)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "the message queue is NULL");
        if ((err = enter(lpc, errstr, errstr_size)))
                return err;
        memset(&c, 0, sizeof(c));
        mq_in(lpc, user, &mq);
        if ((err = check_assigned(lpc, &mq, user, errstr, errstr_size)) ||
            (err = rmq__admin_min_offset(&lpc->admin, &mq, &min, errstr,
                                         errstr_size)) ||
            (err = rmq__admin_max_offset(&lpc->admin, &mq, &max, errstr,
                                         errstr_size)))
                goto done;
        if (kind == LP_SEEK_BEGIN)
                offset = min;
        else if (kind == LP_SEEK_END)
                offset = max;
        if (offset < min || offset > max) {
                err = rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                  "Seek offset illegal, seek offset = %" PRId64
                                  ", min offset = %" PRId64
                                  ", max offset = %" PRId64,
                                  offset, min, max);
                goto done;
        }
        rmq__lock(&lpc->lock);
        idx = queue_find(lpc, &mq);
        if (idx < 0) {
                rmq__unlock(&lpc->lock);
                err = check_assigned(lpc, &mq, user, errstr, errstr_size);
                goto done;
        }
        {
                lp_queue_t *q = lpc->queues[idx];
                cache_purge(lpc, q);
                task_cancel_locked(lpc, q, &c);
                q->seek_offset = offset;
                /* the consumed offset moves now (Java: when the new task
                 * runs), so a commit right after the seek commits it */
                q->consume_offset = offset;
                if (!lpc->stopping)
                        t = task_new_locked(lpc, q);
        }
        rmq__unlock(&lpc->lock);
        cancels_finish(lpc, &c);
        if (t)
                task_submit(t);
done:
        rmq__mq_clear(&mq);
        leave(lpc);
        return err;
}

rmq_err_t rmq_lite_pull_consumer_seek(rmq_lite_pull_consumer_t *lpc,
                                      const rmq_message_queue_t *mq,
                                      int64_t offset, char *errstr,
                                      size_t errstr_size) {
        return seek(lpc, mq, LP_SEEK_TO, offset, errstr, errstr_size);
}

rmq_err_t rmq_lite_pull_consumer_seek_to_begin(rmq_lite_pull_consumer_t *lpc,
                                               const rmq_message_queue_t *mq,
                                               char *errstr,
                                               size_t errstr_size) {
        return seek(lpc, mq, LP_SEEK_BEGIN, 0, errstr, errstr_size);
}

rmq_err_t rmq_lite_pull_consumer_seek_to_end(rmq_lite_pull_consumer_t *lpc,
                                             const rmq_message_queue_t *mq,
                                             char *errstr, size_t errstr_size) {
        return seek(lpc, mq, LP_SEEK_END, 0, errstr, errstr_size);
}

/* ---- offsets ---- */

rmq_err_t rmq_lite_pull_consumer_commit_sync(rmq_lite_pull_consumer_t *lpc) {
        rmq_err_t err;
        if ((err = enter(lpc, NULL, 0)))
                return err;
        rmq__lock(&lpc->lock);
        commit_all_locked(lpc);
        rmq__unlock(&lpc->lock);
        leave(lpc);
        return RMQ_OK;
}

/* commit(Map, persist) and commit(Set, persist): \p offsets NULL commits
 * the consumed offsets. */
static rmq_err_t commit_some(lpc_t *lpc, const rmq_message_queue_t *const *mqs,
                             const int64_t *offsets, size_t cnt, bool persist,
                             char *errstr, size_t errstr_size) {
        rmq_mq_t *in;
        size_t i, n = 0, failed = 0;
        rmq_err_t err;
        if (!mqs && cnt)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "the message queues are NULL");
        if ((err = enter(lpc, errstr, errstr_size)))
                return err;
        in = rmq__calloc(cnt ? cnt : 1, sizeof(*in));
        rmq__lock(&lpc->lock);
        for (i = 0; i < cnt; i++) {
                lp_queue_t *q;
                int64_t off;
                int idx;
                if (!mqs[i])
                        continue;
                mq_in(lpc, mqs[i], &in[n]);
                idx = queue_find(lpc, &in[n]);
                if (idx < 0) {
                        rmq__mq_clear(&in[n]);
                        continue;
                }
                q   = lpc->queues[idx];
                off = q->consume_offset;
                /* never past what poll() returned */
                if (offsets && off >= 0 && offsets[i] >= 0 && offsets[i] < off)
                        off = offsets[i];
                if (off >= 0 && !rmq__pq_dropped(q->pq))
                        rmq__offset_store_update(lpc->offsets, &q->mq, off,
                                                 false);
                n++;
        }
        rmq__unlock(&lpc->lock);
        if (persist && n) {
                if (lpc->rb.message_model == RMQ_HB_CLUSTERING)
                        err = rmq__offset_remote_commit_sync(
                            lpc->offsets, in, n,
                            rmq__mono_ms() + lpc->conf->mqClientApiTimeout,
                            &failed, errstr, errstr_size);
                else
                        rmq__offset_store_persist_all(lpc->offsets, in, n);
        }
        rmq__mq_array_free(in, n);
        leave(lpc);
        return err;
}

rmq_err_t rmq_lite_pull_consumer_commit_offsets(
    rmq_lite_pull_consumer_t *lpc, const rmq_message_queue_t *const *mqs,
    const int64_t *offsets, size_t cnt, int persist, char *errstr,
    size_t errstr_size) {
        if (!offsets && cnt)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "the offsets are NULL");
        return commit_some(lpc, mqs, offsets, cnt, persist != 0, errstr,
                           errstr_size);
}

rmq_err_t rmq_lite_pull_consumer_commit_queues(
    rmq_lite_pull_consumer_t *lpc, const rmq_message_queue_t *const *mqs,
    size_t cnt, int persist, char *errstr, size_t errstr_size) {
        return commit_some(lpc, mqs, NULL, cnt, persist != 0, errstr,
                           errstr_size);
}

rmq_err_t rmq_lite_pull_consumer_committed(rmq_lite_pull_consumer_t *lpc,
                                           const rmq_message_queue_t *mq,
                                           int64_t *offsetp, char *errstr,
                                           size_t errstr_size) {
        rmq_mq_t in;
        int64_t off;
        rmq_err_t err;
        if (!mq || !offsetp)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "NULL argument");
        if ((err = enter(lpc, errstr, errstr_size)))
                return err;
        mq_in(lpc, mq, &in);
        off = rmq__offset_store_read(lpc->offsets, &in,
                                     RMQ_MEMORY_FIRST_THEN_STORE);
        rmq__mq_clear(&in);
        leave(lpc);
        if (off == RMQ_OFFSET_ERROR)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__TRANSPORT,
                                   "Fetch consume offset from broker "
                                   "exception");
        *offsetp = off;
        return RMQ_OK;
}

rmq_err_t rmq_lite_pull_consumer_offset_for_timestamp(
    rmq_lite_pull_consumer_t *lpc, const rmq_message_queue_t *mq,
    int64_t timestamp, int64_t *offsetp, char *errstr, size_t errstr_size) {
        rmq_mq_t in;
        rmq_err_t err;
        if (!mq || !offsetp)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "NULL argument");
        if ((err = enter(lpc, errstr, errstr_size)))
                return err;
        mq_in(lpc, mq, &in);
        err = rmq__admin_search_offset(&lpc->admin, &in, timestamp, offsetp,
                                       errstr, errstr_size);
        rmq__mq_clear(&in);
        leave(lpc);
        return err;
}

/* ---- queues ---- */

rmq_err_t rmq_lite_pull_consumer_fetch_message_queues(
    rmq_lite_pull_consumer_t *lpc, const char *topic,
    rmq_message_queue_t ***mqsp, size_t *cntp, char *errstr,
    size_t errstr_size) {
        rmq_err_t err;
        if (!mqsp || !cntp || !topic)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "NULL argument");
        *mqsp = NULL;
        *cntp = 0;
        if ((err = enter(lpc, errstr, errstr_size)))
                return err;
        err = rmq__consumer_fetch_queues(lpc->ci, lpc->conf, topic, mqsp, cntp,
                                         errstr, errstr_size);
        leave(lpc);
        return err;
}

rmq_err_t rmq_lite_pull_consumer_assignment(rmq_lite_pull_consumer_t *lpc,
                                            rmq_message_queue_t ***mqsp,
                                            size_t *cntp) {
        rmq_mq_t *mqs;
        size_t n;
        if (!lpc || !mqsp || !cntp)
                return RMQ_ERR__INVALID_ARG;
        mqs   = table_queues(lpc, &n);
        *mqsp = rmq__consumer_queues_out(lpc->conf, mqs, n);
        *cntp = n;
        rmq__mq_array_free(mqs, n);
        return RMQ_OK;
}

/* ---- topic metadata check (fetchTopicMessageQueuesAndCompare) ---- */

/* The readable queues of \p topic as the name server has them now. */
static rmq_err_t watch_fetch(lpc_t *lpc, const char *topic, rmq_mq_t **mqsp,
                             size_t *np, char *errstr, size_t errstr_size) {
        rmq_err_t err = rmq__client_update_route(lpc->ci, topic, false, NULL, 0,
                                                 errstr, errstr_size);
        if (!err)
                err = rmq__client_subscribe_queues(lpc->ci, topic, mqsp, np);
        if (err)
                rmq__seterr(errstr, errstr_size, err,
                            "Can not find Message Queue for this topic, %s",
                            topic);
        return err;
}

/* isSetEqual: as Java, an empty set never equals anything. */
static bool mq_sets_equal(const rmq_mq_t *a, size_t na, const rmq_mq_t *b,
                          size_t nb) {
        size_t i;
        if (!a || !b || na != nb || na == 0)
                return false;
        for (i = 0; i < nb; i++)
                if (!mq_in_set(&b[i], a, na))
                        return false;
        return true;
}

static void watch_job(rmq_job_t *job) {
        lpc_t *lpc             = RMQ_CONTAINER_OF(job, lpc_t, watch_job);
        rmq_strmap_entry_t *it = NULL, *e;
        char **topics;
        size_t n = 0, i, b;
        rmq__lock(&lpc->lock);
        topics = rmq__calloc(lpc->watches.count + 1, sizeof(*topics));
        while ((e = rmq__strmap_next(&lpc->watches, &it, &b)))
                topics[n++] = rmq__strdup(e->key);
        rmq__unlock(&lpc->lock);
        for (i = 0; i < n; i++) {
                rmq_topic_queue_change_cb_t *cb = NULL;
                void *opaque                    = NULL;
                rmq_mq_t *mqs                   = NULL;
                size_t nq                       = 0;
                char err[256];
                lp_watch_t *w;
                bool stopping;
                rmq__lock(&lpc->lock);
                stopping = lpc->stopping;
                rmq__unlock(&lpc->lock);
                if (stopping ||
                    watch_fetch(lpc, topics[i], &mqs, &nq, err, sizeof(err))) {
                        if (!stopping)
                                rmq__log(&lpc->lg, RMQ_LOG_ERROR, "CONSUMER",
                                         "ScheduledTask "
                                         "fetchMessageQueuesAndCompare "
                                         "exception: %s",
                                         err);
                        rmq__free(topics[i]);
                        continue;
                }
                rmq__lock(&lpc->lock);
                w = rmq__strmap_get(&lpc->watches, topics[i]);
                if (w && !mq_sets_equal(mqs, nq, w->mqs, w->n)) {
                        rmq_mq_t *old = w->mqs;
                        size_t nold   = w->n;
                        w->mqs        = mqs;
                        w->n          = nq;
                        w->fetched    = true;
                        cb            = w->cb;
                        opaque        = w->opaque;
                        mqs           = rmq__calloc(nq ? nq : 1, sizeof(*mqs));
                        for (b = 0; b < nq; b++)
                                rmq__mq_copy(&mqs[b], &w->mqs[b]);
                        rmq__mq_array_free(old, nold);
                }
                rmq__unlock(&lpc->lock);
                if (cb) {
                        const rmq_message_queue_t **ptrs;
                        rmq_mq_t *out = mqs_out(lpc, mqs, nq, &ptrs);
                        char *t =
                            rmq__ns_unwrap(topics[i], lpc->conf->namespace_);
                        cb(lpc, t, ptrs, nq, opaque);
                        rmq__free(t);
                        rmq__free(ptrs);
                        rmq__mq_array_free(out, nq);
                }
                rmq__mq_array_free(mqs, nq);
                rmq__free(topics[i]);
        }
        rmq__free(topics);
        rmq__lock(&lpc->lock);
        lpc->watch_queued = false;
        uv_cond_broadcast(&lpc->cond);
        rmq__unlock(&lpc->lock);
}

static void watch_timer_cb(rmq_timer_t *t, void *arg) {
        lpc_t *lpc = arg;
        bool go;
        RMQ_UNUSED(t);
        rmq__lock(&lpc->lock);
        go = !lpc->stopping && !lpc->watch_queued && lpc->watches.count > 0;
        if (go)
                lpc->watch_queued = true;
        rmq__unlock(&lpc->lock);
        if (!go)
                return;
        lpc->watch_job.fn = watch_job;
        if (rmq__pool_submit(rmq__client_sched_pool(lpc->ci),
                             &lpc->watch_job)) {
                rmq__lock(&lpc->lock);
                lpc->watch_queued = false;
                uv_cond_broadcast(&lpc->cond);
                rmq__unlock(&lpc->lock);
        }
}

rmq_err_t rmq_lite_pull_consumer_register_topic_queue_change_cb(
    rmq_lite_pull_consumer_t *lpc, const char *topic,
    rmq_topic_queue_change_cb_t *cb, void *opaque, char *errstr,
    size_t errstr_size) {
        lp_watch_t *w, *old;
        rmq_mq_t *mqs = NULL;
        size_t nq     = 0;
        char *full;
        bool running, replaced;
        rmq_err_t err = RMQ_OK;
        if (!lpc || !topic || !cb)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "Topic or listener is null");
        full = rmq__ns_wrap(lpc->conf->namespace_, topic);
        rmq__lock(&lpc->lock);
        running = lpc->state == LP_RUNNING;
        if (running)
                lpc->calls++;
        rmq__unlock(&lpc->lock);
        if (running) {
                err = watch_fetch(lpc, full, &mqs, &nq, errstr, errstr_size);
                leave(lpc);
                if (err) {
                        rmq__free(full);
                        return err;
                }
        }
        w          = rmq__calloc(1, sizeof(*w));
        w->cb      = cb;
        w->opaque  = opaque;
        w->mqs     = mqs;
        w->n       = nq;
        w->fetched = running;
        rmq__lock(&lpc->lock);
        old      = rmq__strmap_set(&lpc->watches, full, w);
        replaced = old != NULL;
        rmq__unlock(&lpc->lock);
        if (old)
                free_watch(old);
        if (replaced)
                rmq__log(&lpc->lg, RMQ_LOG_WARN, "CONSUMER",
                         "Topic %s had been registered, new listener will "
                         "overwrite the old one",
                         topic);
        rmq__free(full);
        return RMQ_OK;
}

rmq_admin_t *rmq_lite_pull_consumer_admin(rmq_lite_pull_consumer_t *lpc) {
        return lpc ? &lpc->admin : NULL;
}

int64_t
rmq_lite_pull_consumer_trace_dropped(const rmq_lite_pull_consumer_t *lpc) {
        return lpc ? rmq__tracer_dropped(lpc->tracer) : 0;
}
