/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ConsumeMessageOrderlyService (4.9.8): one consume request at a time per
 * queue (the queue's olock, Java's MessageQueueLock object), each taking
 * messages from the process queue in order while the queue is locked on
 * its broker (clustering), for at most maxTimeConsumeContinuously; the
 * listener runs under the process queue's consume lock (which the
 * rebalance tries before it gives a queue away). Failed messages are
 * handed again after suspendCurrentQueueTimeMillis, up to
 * maxReconsumeTimes, then sent to the retry topic, which the broker turns
 * into the dead letter queue.
 */
#include <inttypes.h>
#include <stdio.h>

#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "consumer/rmq_push_consumer_int.h"

/* ConsumeOrderlyContext */
struct rmq_consume_orderly_context_s {
        const rmq_mq_t *mq;
        bool auto_commit;
        int64_t suspend_ms; /* -1: the consumer's */
};

const rmq_message_queue_t *rmq_consume_orderly_context_message_queue(
    const rmq_consume_orderly_context_t *ctx) {
        return ctx->mq;
}
void rmq_consume_orderly_context_set_auto_commit(
    rmq_consume_orderly_context_t *ctx, int auto_commit) {
        ctx->auto_commit = auto_commit != 0;
}
int rmq_consume_orderly_context_auto_commit(
    const rmq_consume_orderly_context_t *ctx) {
        return ctx->auto_commit ? 1 : 0;
}
void rmq_consume_orderly_context_set_suspend_time_millis(
    rmq_consume_orderly_context_t *ctx, int64_t ms) {
        ctx->suspend_ms = ms;
}
int64_t rmq_consume_orderly_context_suspend_time_millis(
    const rmq_consume_orderly_context_t *ctx) {
        return ctx->suspend_ms;
}

/* A consume request (Java ConsumeRequest(processQueue, messageQueue)),
 * also what tryLockLaterAndReconsume schedules (lock_first). */
typedef struct orderly_req_s {
        rmq_job_t job;
        rmq_pc_later_t later;
        rmq_push_consumer_t *pcons;
        rmq_pc_queue_t *q;
        bool lock_first; /* tryLockLaterAndReconsume's task */
} orderly_req_t;

static void req_run(rmq_job_t *job);
static void lock_and_reconsume(rmq_job_t *job);

static orderly_req_t *req_new(rmq_push_consumer_t *pcons, rmq_pc_queue_t *q) {
        orderly_req_t *r = rmq__calloc(1, sizeof(*r));
        r->pcons         = pcons;
        r->q             = rmq__pc_queue_retain(q);
        r->job.fn        = req_run;
        return r;
}

static void req_free(orderly_req_t *r) {
        rmq__pc_queue_release(r->q);
        rmq__free(r);
}

static void later_drop(rmq_pc_later_t *l) {
        req_free(RMQ_CONTAINER_OF(l, orderly_req_t, later));
}

/* submitConsumeRequest(null, pq, mq, true) */
static void submit_now(rmq_push_consumer_t *pcons, rmq_pc_queue_t *q) {
        orderly_req_t *r = req_new(pcons, q);
        if (rmq__pool_submit(pcons->workers, &r->job))
                req_free(r);
}

/* submitConsumeRequestLater: \p ms -1 is suspendCurrentQueueTimeMillis;
 * kept within 10..30000 ms. */
static void submit_later(rmq_push_consumer_t *pcons, rmq_pc_queue_t *q,
                         int64_t ms) {
        orderly_req_t *r = req_new(pcons, q);
        if (ms == -1)
                ms = pcons->conf->suspendCurrentQueueTimeMillis;
        if (ms < 10)
                ms = 10;
        else if (ms > 30000)
                ms = 30000;
        r->later.job  = &r->job;
        r->later.drop = later_drop;
        rmq__pcons_later(pcons, &r->later, pcons->workers, ms);
}

void rmq__consume_orderly_submit(rmq_push_consumer_t *pcons, rmq_pc_queue_t *q,
                                 int64_t delay_ms) {
        if (delay_ms > 0)
                submit_later(pcons, q, delay_ms);
        else
                submit_now(pcons, q);
}

/* tryLockLaterAndReconsume: after \p delay_ms, lock the queue on its
 * broker, then consume 10 ms later (3 s if the lock failed). */
static void try_lock_later(rmq_push_consumer_t *pcons, rmq_pc_queue_t *q,
                           int64_t delay_ms) {
        orderly_req_t *r = req_new(pcons, q);
        r->lock_first    = true;
        r->job.fn        = lock_and_reconsume;
        r->later.job     = &r->job;
        r->later.drop    = later_drop;
        rmq__pcons_later(pcons, &r->later, pcons->workers, delay_ms);
}

static void lock_and_reconsume(rmq_job_t *job) {
        orderly_req_t *r           = RMQ_CONTAINER_OF(job, orderly_req_t, job);
        rmq_push_consumer_t *pcons = r->pcons;
        bool ok;
        if (atomic_load(&pcons->stopping)) {
                req_free(r);
                return;
        }
        /* lockOneMQ */
        ok = rmq__rebalance_lock(&pcons->rb, &r->q->mq);
        submit_later(pcons, r->q, ok ? 10 : 3000);
        req_free(r);
}

/* ---- the result ---- */

/* checkReconsumeTimes: true if the messages must be consumed again (some
 * are below maxReconsumeTimes, or could not be sent to the retry topic);
 * the others went to the retry topic, which the broker turns into the
 * dead letter queue. */
static bool check_reconsume_times(rmq_push_consumer_t *pcons,
                                  rmq_message_ext_t *const *msgs, size_t n) {
        int32_t max  = rmq__pcons_max_reconsume_times(pcons);
        bool suspend = false;
        char err[512];
        size_t i;
        for (i = 0; i < n; i++) {
                rmq_message_ext_t *mx = msgs[i];
                int32_t times         = rmq__mx_reconsume_times(mx);
                if (times >= max) {
                        if (rmq__pcons_send_to_retry(pcons, mx, times, max, err,
                                                     sizeof(err))) {
                                rmq__log(&pcons->lg, RMQ_LOG_ERROR, "CONSUMER",
                                         "sendMessageBack exception, group: "
                                         "%s msg: %s: %s",
                                         pcons->group,
                                         rmq_message_ext_msg_id(mx), err);
                                suspend = true;
                                rmq__mx_set_reconsume_times(mx, times + 1);
                        }
                } else {
                        suspend = true;
                        rmq__mx_set_reconsume_times(mx, times + 1);
                }
        }
        return suspend;
}

/* SUSPEND_CURRENT_QUEUE_A_MOMENT: counted as failed; the messages come
 * again after the suspend time unless all went to the dead letter queue
 * (then true: consumption goes on). */
static bool suspend(rmq_push_consumer_t *pcons, rmq_pc_queue_t *q,
                    rmq_message_ext_t *const *msgs, size_t n,
                    const rmq_consume_orderly_context_t *ctx) {
        rmq__consumer_stats_add(q->stats, RMQ_STATS_CONSUME_FAILED_TPS,
                                (int64_t)n);
        if (!check_reconsume_times(pcons, msgs, n))
                return true;
        rmq__pq_make_message_to_consume_again(q->pq, msgs, n);
        submit_later(pcons, q, ctx->suspend_ms);
        return false;
}

/* mirrors ConsumeMessageOrderlyService.processConsumeResult; returns
 * continueConsume. */
static bool process_result(rmq_push_consumer_t *pcons, rmq_pc_queue_t *q,
                           rmq_message_ext_t *const *msgs, size_t n,
                           rmq_consume_orderly_status_t status,
                           const rmq_consume_orderly_context_t *ctx) {
        rmq_pq_t *pq   = q->pq;
        int64_t commit = -1;
        bool cont      = true;
        if (ctx->auto_commit) {
                switch (status) {
                case RMQ_ORDERLY_COMMIT:
                case RMQ_ORDERLY_ROLLBACK:
                        rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                                 "the message queue consume result is "
                                 "illegal, we think you want to ack these "
                                 "message %s",
                                 rmq_message_ext_msg_id(msgs[0]));
                        /* fall through */
                case RMQ_ORDERLY_SUCCESS:
                        commit = rmq__pq_commit(pq);
                        rmq__consumer_stats_add(
                            q->stats, RMQ_STATS_CONSUME_OK_TPS, (int64_t)n);
                        break;
                default: /* SUSPEND_CURRENT_QUEUE_A_MOMENT */
                        cont = suspend(pcons, q, msgs, n, ctx);
                        if (cont)
                                commit = rmq__pq_commit(pq);
                        break;
                }
        } else {
                switch (status) {
                case RMQ_ORDERLY_SUCCESS:
                        rmq__consumer_stats_add(
                            q->stats, RMQ_STATS_CONSUME_OK_TPS, (int64_t)n);
                        break;
                case RMQ_ORDERLY_COMMIT:
                        commit = rmq__pq_commit(pq);
                        break;
                case RMQ_ORDERLY_ROLLBACK:
                        rmq__pq_rollback(pq);
                        submit_later(pcons, q, ctx->suspend_ms);
                        cont = false;
                        break;
                default:
                        cont = suspend(pcons, q, msgs, n, ctx);
                        break;
                }
        }
        if (commit >= 0 && !rmq__pq_dropped(pq))
                rmq__offset_store_update(pcons->offsets, &q->mq, commit, false);
        return cont;
}

static const char *status_name(rmq_consume_orderly_status_t s) {
        switch (s) {
        case RMQ_ORDERLY_SUCCESS:
                return "SUCCESS";
        case RMQ_ORDERLY_ROLLBACK:
                return "ROLLBACK";
        case RMQ_ORDERLY_COMMIT:
                return "COMMIT";
        default:
                return "SUSPEND_CURRENT_QUEUE_A_MOMENT";
        }
}

static bool valid_status(rmq_consume_orderly_status_t s) {
        return s == RMQ_ORDERLY_SUCCESS || s == RMQ_ORDERLY_ROLLBACK ||
               s == RMQ_ORDERLY_COMMIT ||
               s == RMQ_ORDERLY_SUSPEND_CURRENT_QUEUE_A_MOMENT;
}

/* One listener call with its hooks, under the process queue's consume
 * lock; skipped (false returned) if the queue was dropped meanwhile. */
static bool call_listener(rmq_push_consumer_t *pcons, const rmq_mq_t *mq,
                          rmq_pq_t *pq, rmq_message_ext_t *const *msgs,
                          size_t n, rmq_consume_orderly_context_t *ctx,
                          rmq_consume_orderly_status_t *statusp, int64_t *rtp) {
        rmq_consume_hook_context_t hc;
        rmq_consume_orderly_status_t status;
        const char *return_type;
        int64_t begin = rmq__pcons_call_begin(pcons, &hc, mq, msgs, n), rt;
        bool valid;
        char q[256];

        rmq__pq_consume_lock(pq);
        if (rmq__pq_dropped(pq)) {
                rmq__pq_consume_unlock(pq);
                rmq__mq_format(mq, q, sizeof(q));
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                         "consumeMessage, the message queue not be able to "
                         "consume, because it's dropped. %s",
                         q);
                return false;
        }
        status =
            pcons->listener_o(pcons, (const rmq_message_ext_t *const *)msgs, n,
                              ctx, pcons->listener_opaque);
        rmq__pq_consume_unlock(pq);
        rt    = rmq__wall_ms() - begin;
        valid = valid_status(status);
        if (!valid || status == RMQ_ORDERLY_ROLLBACK ||
            status == RMQ_ORDERLY_SUSPEND_CURRENT_QUEUE_A_MOMENT) {
                rmq__mq_format(mq, q, sizeof(q));
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                         "consumeMessage Orderly return not OK, Group: %s "
                         "Msgs: %zu MQ: %s",
                         pcons->group, n, q);
        }
        return_type = rmq__pcons_return_type(
            pcons, valid, status == RMQ_ORDERLY_SUSPEND_CURRENT_QUEUE_A_MOMENT,
            rt);
        if (!valid)
                status = RMQ_ORDERLY_SUSPEND_CURRENT_QUEUE_A_MOMENT;
        rmq__pcons_call_end(pcons, &hc, status_name(status), return_type,
                            status == RMQ_ORDERLY_SUCCESS ||
                                status == RMQ_ORDERLY_COMMIT);
        *statusp = status;
        *rtp     = rt;
        return true;
}

/* A warning naming the queue (formatted only when logged). */
static void queue_warn(rmq_push_consumer_t *pcons, const rmq_pc_queue_t *q,
                       const char *what) {
        char s[256];
        rmq__mq_format(&q->mq, s, sizeof(s));
        rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER", "%s, %s", what, s);
}

/* ConsumeRequest.run's loop, the queue's olock held. */
static void consume_loop(rmq_push_consumer_t *pcons, rmq_pc_queue_t *q) {
        rmq_pq_t *pq    = q->pq;
        bool clustering = pcons->rb.message_model == RMQ_HB_CLUSTERING;
        size_t batch    = (size_t)pcons->conf->consumeMessageBatchMaxSize;
        int64_t begin   = rmq__mono_ms();
        rmq_message_ext_t *small[32];
        rmq_message_ext_t **msgs =
            batch <= 32 ? small : rmq__calloc(batch, sizeof(*msgs));
        bool cont = true;

        while (cont) {
                rmq_consume_orderly_context_t ctx;
                rmq_consume_orderly_status_t status;
                int64_t rt;
                size_t n;
                if (atomic_load(&pcons->stopping))
                        break;
                if (rmq__pq_dropped(pq)) {
                        queue_warn(pcons, q,
                                   "the message queue not be able to consume, "
                                   "because it's dropped.");
                        break;
                }
                if (clustering && !rmq__pq_locked(pq)) {
                        queue_warn(pcons, q,
                                   "the message queue not locked, so consume "
                                   "later");
                        try_lock_later(pcons, q, 10);
                        break;
                }
                if (clustering && rmq__pq_is_lock_expired(
                                      pq, rmq__wall_ms(),
                                      pcons->conf->rebalanceLockMaxLiveTime)) {
                        queue_warn(pcons, q,
                                   "the message queue lock expired, so "
                                   "consume later");
                        try_lock_later(pcons, q, 10);
                        break;
                }
                if (rmq__mono_ms() - begin >
                    pcons->conf->maxTimeConsumeContinuously) {
                        submit_later(pcons, q, 10);
                        break;
                }
                n = rmq__pq_take_messages(pq, batch, msgs, rmq__wall_ms());
                if (n == 0)
                        break;
                ctx.mq          = &q->mq;
                ctx.auto_commit = true;
                ctx.suspend_ms  = -1;
                if (!call_listener(pcons, &q->mq, pq, msgs, n, &ctx, &status,
                                   &rt))
                        break;
                rmq__consumer_stats_add(q->stats, RMQ_STATS_CONSUME_RT, rt);
                cont = process_result(pcons, q, msgs, n, status, &ctx);
        }
        if (msgs != small)
                rmq__free(msgs);
}

/* ConsumeRequest.run (a consume worker) */
static void req_run(rmq_job_t *job) {
        orderly_req_t *r           = RMQ_CONTAINER_OF(job, orderly_req_t, job);
        rmq_push_consumer_t *pcons = r->pcons;
        rmq_pc_queue_t *q          = r->q;
        rmq_pq_t *pq               = q->pq;
        char s[256];

        if (atomic_load(&pcons->stopping)) {
                req_free(r);
                return;
        }
        if (rmq__pq_dropped(pq)) {
                rmq__mq_format(&q->mq, s, sizeof(s));
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                         "run, the message queue not be able to consume, "
                         "because it's dropped. %s",
                         s);
                req_free(r);
                return;
        }
        uv_mutex_lock(&q->olock);
        if (pcons->rb.message_model == RMQ_HB_BROADCASTING ||
            (rmq__pq_locked(pq) &&
             !rmq__pq_is_lock_expired(pq, rmq__wall_ms(),
                                      pcons->conf->rebalanceLockMaxLiveTime))) {
                consume_loop(pcons, q);
        } else if (!rmq__pq_dropped(pq)) {
                try_lock_later(pcons, q, 100);
        } else {
                rmq__mq_format(&q->mq, s, sizeof(s));
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                         "the message queue not be able to consume, because "
                         "it's dropped. %s",
                         s);
        }
        uv_mutex_unlock(&q->olock);
        req_free(r);
}

/* mirrors ConsumeMessageOrderlyService.consumeMessageDirectly */
void rmq__consume_orderly_directly(rmq_push_consumer_t *pcons,
                                   rmq_message_ext_t *mx,
                                   const char *broker_name,
                                   rmq_consume_directly_result_t *res) {
        rmq_mq_t mq;
        rmq_consume_orderly_context_t ctx;
        rmq_consume_orderly_status_t status;
        int64_t begin;
        rmq__mq_init(&mq, mx->topic, broker_name ? broker_name : "",
                     mx->queueId);
        ctx.mq          = &mq;
        ctx.auto_commit = true;
        ctx.suspend_ms  = -1;
        res->order      = true;
        /* the listener alone: Java runs no consume hook here */
        begin  = rmq__wall_ms();
        status = pcons->listener_o(pcons, (const rmq_message_ext_t *const *)&mx,
                                   1, &ctx, pcons->listener_opaque);
        res->autoCommit = ctx.auto_commit;
        switch (status) {
        case RMQ_ORDERLY_COMMIT:
                res->consumeResult = RMQ_CR_COMMIT;
                break;
        case RMQ_ORDERLY_ROLLBACK:
                res->consumeResult = RMQ_CR_ROLLBACK;
                break;
        case RMQ_ORDERLY_SUCCESS:
                res->consumeResult = RMQ_CR_SUCCESS;
                break;
        case RMQ_ORDERLY_SUSPEND_CURRENT_QUEUE_A_MOMENT:
                res->consumeResult = RMQ_CR_LATER;
                break;
        default: /* none of them (Java: null) */
                res->consumeResult = RMQ_CR_RETURN_NULL;
                break;
        }
        res->spentTimeMills = rmq__wall_ms() - begin;
        rmq__mq_clear(&mq);
        rmq__log(&pcons->lg, RMQ_LOG_INFO, "CONSUMER",
                 "consumeMessageDirectly Result: %s",
                 rmq__cm_result_name(res->consumeResult));
}
