/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ConsumeMessageConcurrentlyService (4.9.8): consume requests of up to
 * consumeMessageBatchMaxSize messages on the consumer's worker pool, the
 * listener's result (ackIndex, send-back of the failed messages, a local
 * retry after 5 s when the send-back fails too), the consumed offset, and
 * cleanExpireMsg.
 *
 * A consume request holds a reference on each of its messages and on its
 * queue, so neither the process queue dropping them (cleanExpiredMsg,
 * clear, a rebalance) nor the pull request ending frees what the listener
 * reads.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "consumer/rmq_push_consumer_int.h"

typedef struct consume_req_s {
        rmq_job_t job;
        rmq_pc_later_t later; /* submitConsumeRequestLater */
        rmq_push_consumer_t *pcons;
        rmq_pc_queue_t *q;
        size_t n;
        rmq_message_ext_t *msgs[]; /* each referenced */
} consume_req_t;

/* ConsumeConcurrentlyContext */
struct rmq_consume_context_s {
        const rmq_mq_t *mq;
        int delay_level; /* delayLevelWhenNextConsume */
        int ack_index;
};

const rmq_message_queue_t *
rmq_consume_context_message_queue(const rmq_consume_context_t *ctx) {
        return ctx->mq;
}
void rmq_consume_context_set_ack_index(rmq_consume_context_t *ctx,
                                       int ack_index) {
        ctx->ack_index = ack_index;
}
int rmq_consume_context_ack_index(const rmq_consume_context_t *ctx) {
        return ctx->ack_index;
}
void rmq_consume_context_set_delay_level(rmq_consume_context_t *ctx,
                                         int level) {
        ctx->delay_level = level;
}
int rmq_consume_context_delay_level(const rmq_consume_context_t *ctx) {
        return ctx->delay_level;
}

static void req_run(rmq_job_t *job);

static consume_req_t *req_new(rmq_push_consumer_t *pcons, rmq_pc_queue_t *q,
                              rmq_message_ext_t *const *msgs, size_t n) {
        consume_req_t *cr = rmq__malloc(sizeof(*cr) + n * sizeof(cr->msgs[0]));
        size_t i;
        memset(cr, 0, sizeof(*cr));
        cr->pcons = pcons;
        cr->q     = rmq__pc_queue_retain(q);
        cr->n     = n;
        /* the messages of one request come from one pull answer: one
         * batch, one reference per message taken in one step */
        for (i = 0; i < n; i++) {
                assert(rmq__mx_batch(msgs[i]) == rmq__mx_batch(msgs[0]));
                cr->msgs[i] = msgs[i];
        }
        if (n)
                rmq__msg_batch_retain_n(rmq__mx_batch(msgs[0]), n);
        cr->job.fn = req_run;
        return cr;
}

static void req_free(consume_req_t *cr) {
        if (cr->n)
                rmq__msg_batch_release_n(rmq__mx_batch(cr->msgs[0]), cr->n);
        rmq__pc_queue_release(cr->q);
        rmq__free(cr);
}

/* mirrors ConsumeMessageConcurrentlyService.submitConsumeRequest: the
 * requests of one pull are queued together (one lock, one wake-up). */
void rmq__consume_concurrently_submit(rmq_push_consumer_t *pcons,
                                      rmq_pc_queue_t *q,
                                      rmq_message_ext_t *const *msgs,
                                      size_t n) {
        size_t batch = (size_t)pcons->conf->consumeMessageBatchMaxSize, i;
        size_t cnt   = 0;
        rmq_list_t jobs;
        rmq__list_init(&jobs);
        for (i = 0; i < n; i += batch) {
                consume_req_t *cr =
                    req_new(pcons, q, msgs + i, n - i < batch ? n - i : batch);
                rmq__list_insert_tail(&jobs, &cr->job.link);
                cnt++;
        }
        if (rmq__pool_submit_list(pcons->workers, &jobs, cnt) == RMQ_OK)
                return;
        while (!rmq__list_empty(&jobs)) /* the pool is stopping */
                req_free(RMQ_CONTAINER_OF(rmq__list_pop_head(&jobs),
                                          consume_req_t, job.link));
}

/* ---- submitConsumeRequestLater ---- */

static void later_drop(rmq_pc_later_t *l) {
        /* not committed: consumed again after a restart or rebalance */
        req_free(RMQ_CONTAINER_OF(l, consume_req_t, later));
}

static void submit_later(consume_req_t *cr) {
        cr->job.fn     = req_run;
        cr->later.job  = &cr->job;
        cr->later.drop = later_drop;
        rmq__pcons_later(cr->pcons, &cr->later, cr->pcons->workers,
                         CONSUME_RETRY_LATER_MS);
}

/* ---- the result ---- */

/* mirrors ConsumeMessageConcurrentlyService.processConsumeResult */
static void process_result(consume_req_t *cr, rmq_consume_status_t status,
                           const rmq_consume_context_t *ctx) {
        rmq_push_consumer_t *pcons = cr->pcons;
        int64_t n                  = (int64_t)cr->n;
        int64_t ack                = ctx->ack_index;
        int64_t i, offset;
        size_t n_failed       = 0;
        consume_req_t *failed = NULL;
        char err[512], q[256];

        if (n == 0)
                return;
        if (status == RMQ_CONSUME_SUCCESS) {
                if (ack >= n)
                        ack = n - 1;
                /* below -1 (where Java's msgs.get(i) throws): none */
                if (ack < -1)
                        ack = -1;
                rmq__consumer_stats_add(cr->q->stats, RMQ_STATS_CONSUME_OK_TPS,
                                        ack + 1);
                rmq__consumer_stats_add(
                    cr->q->stats, RMQ_STATS_CONSUME_FAILED_TPS, n - ack - 1);
        } else {
                ack = -1;
                rmq__consumer_stats_add(cr->q->stats,
                                        RMQ_STATS_CONSUME_FAILED_TPS, n);
        }
        if (pcons->rb.message_model == RMQ_HB_BROADCASTING) {
                for (i = ack + 1; i < n; i++) {
                        rmq__mq_format(&cr->q->mq, q, sizeof(q));
                        rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                                 "BROADCASTING, the message consume failed, "
                                 "drop it, %s msgId=%s offset=%" PRId64,
                                 q, rmq_message_ext_msg_id(cr->msgs[i]),
                                 cr->msgs[i]->queueOffset);
                }
        } else {
                for (i = ack + 1; i < n; i++) {
                        rmq_message_ext_t *mx = cr->msgs[i];
                        if (!rmq__pcons_send_back(pcons, mx, ctx->delay_level,
                                                  cr->q->mq.brokerName, err,
                                                  sizeof(err)))
                                continue;
                        rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                                 "send message back failed, msgId=%s (%s): "
                                 "consumed here again in %d ms",
                                 rmq_message_ext_msg_id(mx), err,
                                 CONSUME_RETRY_LATER_MS);
                        rmq__mx_set_reconsume_times(
                            mx, rmq__mx_reconsume_times(mx) + 1);
                        if (!failed) {
                                failed = rmq__malloc(
                                    sizeof(*failed) +
                                    cr->n * sizeof(failed->msgs[0]));
                                memset(failed, 0, sizeof(*failed));
                                failed->pcons = pcons;
                                failed->q     = rmq__pc_queue_retain(cr->q);
                        }
                        /* the reference moves to the retry request */
                        failed->msgs[n_failed++] = mx;
                        cr->msgs[i]              = NULL;
                }
        }
        if (failed) {
                /* consumeRequest.getMsgs().removeAll(msgBackFailed) */
                size_t j, k = 0;
                for (j = 0; j < cr->n; j++)
                        if (cr->msgs[j])
                                cr->msgs[k++] = cr->msgs[j];
                cr->n     = k;
                failed->n = n_failed;
        }
        offset = rmq__pq_remove_messages(
            cr->q->pq, (const rmq_message_ext_t *const *)cr->msgs, cr->n,
            rmq__wall_ms());
        if (offset >= 0 && !rmq__pq_dropped(cr->q->pq))
                rmq__offset_store_update_h(pcons->offsets, &cr->q->mq,
                                           cr->q->mq_hash, offset, true);
        if (failed)
                submit_later(failed);
}

static const char *status_name(rmq_consume_status_t s) {
        return s == RMQ_CONSUME_SUCCESS ? "CONSUME_SUCCESS" : "RECONSUME_LATER";
}

/* The listener call with its hooks and figures; returns the status
 * (RECONSUME_LATER for an invalid one). */
static rmq_consume_status_t call_listener(rmq_push_consumer_t *pcons,
                                          const rmq_mq_t *mq,
                                          rmq_message_ext_t *const *msgs,
                                          size_t n, rmq_consume_context_t *ctx,
                                          int64_t *rtp) {
        rmq_consume_hook_context_t hc;
        rmq_consume_status_t status;
        const char *return_type;
        int64_t begin = rmq__pcons_call_begin(pcons, &hc, mq, msgs, n), rt;
        bool valid;

        status =
            pcons->listener_c(pcons, (const rmq_message_ext_t *const *)msgs, n,
                              ctx, pcons->listener_opaque);
        rt    = rmq__wall_ms() - begin;
        valid = status == RMQ_CONSUME_SUCCESS || status == RMQ_RECONSUME_LATER;
        return_type = rmq__pcons_return_type(pcons, valid,
                                             status == RMQ_RECONSUME_LATER, rt);
        if (!valid) {
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                         "consumeMessage return an invalid status %d, Group: "
                         "%s: RECONSUME_LATER",
                         (int)status, pcons->group);
                status = RMQ_RECONSUME_LATER;
        }
        rmq__pcons_call_end(pcons, &hc, status_name(status), return_type,
                            status == RMQ_CONSUME_SUCCESS);
        *rtp = rt;
        return status;
}

/* ConsumeRequest.run (a consume worker) */
static void req_run(rmq_job_t *job) {
        consume_req_t *cr          = RMQ_CONTAINER_OF(job, consume_req_t, job);
        rmq_push_consumer_t *pcons = cr->pcons;
        rmq_consume_context_t ctx;
        rmq_consume_status_t status;
        int64_t rt;
        char q[256];

        if (atomic_load(&pcons->stopping)) {
                /* not consumed, not committed: consumed again later */
                req_free(cr);
                return;
        }
        if (rmq__pq_dropped(cr->q->pq)) {
                rmq__mq_format(&cr->q->mq, q, sizeof(q));
                rmq__log(&pcons->lg, RMQ_LOG_INFO, "CONSUMER",
                         "the message queue not be able to consume, because "
                         "it's dropped. group=%s %s",
                         pcons->group, q);
                req_free(cr);
                return;
        }
        ctx.mq          = &cr->q->mq;
        ctx.delay_level = 0;
        ctx.ack_index   = INT32_MAX;
        status = call_listener(pcons, &cr->q->mq, cr->msgs, cr->n, &ctx, &rt);
        rmq__consumer_stats_add(cr->q->stats, RMQ_STATS_CONSUME_RT, rt);
        if (!rmq__pq_dropped(cr->q->pq)) {
                process_result(cr, status, &ctx);
        } else {
                rmq__mq_format(&cr->q->mq, q, sizeof(q));
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                         "processQueue is dropped without process consume "
                         "result. messageQueue=%s, msgs=%zu",
                         q, cr->n);
        }
        req_free(cr);
}

/* mirrors ConsumeMessageConcurrentlyService.consumeMessageDirectly */
void rmq__consume_concurrently_directly(rmq_push_consumer_t *pcons,
                                        rmq_message_ext_t *mx,
                                        const char *broker_name,
                                        rmq_consume_directly_result_t *res) {
        rmq_mq_t mq;
        rmq_consume_context_t ctx;
        rmq_consume_status_t status;
        int64_t rt;
        rmq__mq_init(&mq, mx->topic, broker_name ? broker_name : "",
                     mx->queueId);
        ctx.mq          = &mq;
        ctx.delay_level = 0;
        ctx.ack_index   = INT32_MAX;
        res->order      = false;
        res->autoCommit = true;
        /* the listener alone: Java runs no consume hook here */
        rt     = rmq__wall_ms();
        status = pcons->listener_c(pcons, (const rmq_message_ext_t *const *)&mx,
                                   1, &ctx, pcons->listener_opaque);
        switch (status) {
        case RMQ_CONSUME_SUCCESS:
                res->consumeResult = RMQ_CR_SUCCESS;
                break;
        case RMQ_RECONSUME_LATER:
                res->consumeResult = RMQ_CR_LATER;
                break;
        default: /* neither (Java: null) */
                res->consumeResult = RMQ_CR_RETURN_NULL;
                break;
        }
        res->spentTimeMills = rmq__wall_ms() - rt;
        rmq__mq_clear(&mq);
        rmq__log(&pcons->lg, RMQ_LOG_INFO, "CONSUMER",
                 "consumeMessageDirectly Result: %s",
                 rmq__cm_result_name(res->consumeResult));
}

/* ---- cleanExpireMsg ---- */

static bool clean_send_back(rmq_message_ext_t *mx, int delay_level,
                            void *opaque) {
        rmq_push_consumer_t *pcons = opaque;
        char err[512];
        if (rmq__pcons_send_back(pcons, mx, delay_level, NULL, err,
                                 sizeof(err))) {
                rmq__log(&pcons->lg, RMQ_LOG_ERROR, "CONSUMER",
                         "send expire msg back. topic=%s, msgId=%s, "
                         "storeHost=%s, queueId=%d, queueOffset=%" PRId64
                         " failed: %s",
                         mx->topic, rmq_message_ext_msg_id(mx),
                         rmq_message_ext_store_host(mx), mx->queueId,
                         mx->queueOffset, err);
                return false;
        }
        return true;
}

/* mirrors ConsumeMessageConcurrentlyService.cleanExpireMsg (scheduler) */
void rmq__consume_clean_expired(rmq_push_consumer_t *pcons) {
        rmq_pq_t **pqs;
        size_t n, i;
        rmq_mq_t *mqs = rmq__rebalance_queues(&pcons->rb, &pqs, &n);
        for (i = 0; i < n; i++) {
                if (!atomic_load(&pcons->stopping))
                        rmq__pq_clean_expired_msg(
                            pqs[i], pcons->orderly, pcons->conf->consumeTimeout,
                            rmq__wall_ms(), clean_send_back, pcons);
                rmq__pq_release(pqs[i]);
        }
        rmq__free(pqs);
        rmq__mq_array_free(mqs, n);
}
