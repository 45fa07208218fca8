/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The push consumer's pulls: PullRequest, PullMessageService
 * (executePullRequestImmediately / executePullRequestLater on the
 * instance's pull thread and timer service), updatePullFromWhichNode and
 * DefaultMQPushConsumerImpl.pullMessage with its PullCallback (4.9.8);
 * the rest of PullAPIWrapper is rmq_pull_api.c.
 *
 * A pull request moves between four places (rmq_push_consumer_int.h):
 * queued on the pull thread, waiting on its timer, in flight, or being
 * handled (on the pull thread or, for an answer, on the callback pool).
 * The state, under pcons->lock, says where; the owner of the state is the
 * only one to move it on or retire it, so a shutdown can find every
 * request and stop it without waiting for a 15 s long poll: timers are
 * taken back, pulls in flight are cancelled.
 */
#include <inttypes.h>
#include <stdio.h>

#include "client/rmq_client_api.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "consumer/rmq_pull_api.h"
#include "consumer/rmq_push_consumer_int.h"
#include "protocol/rmq_message_codec.h"
#include "protocol/rmq_names.h"

/* ---- the queue holder ---- */

rmq_pc_queue_t *rmq__pc_queue_new(const rmq_mq_t *mq, rmq_pq_t *pq) {
        rmq_pc_queue_t *q = rmq__calloc(1, sizeof(*q));
        atomic_init(&q->refcnt, 1);
        rmq__mq_copy(&q->mq, mq);
        q->mq_hash = rmq__mq_hash(mq);
        q->pq      = rmq__pq_retain(pq);
        if (uv_mutex_init(&q->olock))
                abort();
        return q;
}

rmq_pc_queue_t *rmq__pc_queue_retain(rmq_pc_queue_t *q) {
        atomic_fetch_add_explicit(&q->refcnt, 1, memory_order_relaxed);
        return q;
}

void rmq__pc_queue_release(rmq_pc_queue_t *q) {
        if (!q ||
            atomic_fetch_sub_explicit(&q->refcnt, 1, memory_order_acq_rel) != 1)
                return;
        uv_mutex_destroy(&q->olock);
        rmq__pq_release(q->pq);
        rmq__mq_clear(&q->mq);
        rmq__free(q);
}

/* ---- pull request life ---- */

static void pull_job(rmq_job_t *job);
static void fix_offset_job(rmq_job_t *job);

/* Takes \p pr out of the consumer's list and frees it. The caller owns
 * it (its state says so) and holds no lock. */
static void pr_retire(rmq_pull_request_t *pr, const char *why) {
        rmq_push_consumer_t *pcons = pr->pcons;
        char q[256];
        rmq__lock(&pcons->lock);
        rmq__list_remove(&pr->link);
        pcons->pull_request_cnt--;
        uv_cond_broadcast(&pcons->cond);
        rmq__unlock(&pcons->lock);
        /* (pcons stays valid: the caller is a handler, or the shutdown) */
        if (rmq__dbg_enabled(&pcons->lg, RMQ_DBG_CONSUMER)) {
                rmq__mq_format(&pr->q->mq, q, sizeof(q));
                rmq__dbg(&pcons->lg, CONSUMER,
                         "the pull request of %s ends: %s", q, why);
        }
        rmq__subscription_clear(&pr->sd);
        rmq__pc_queue_release(pr->q);
        rmq__free(pr);
}

/* A handler of a pull request (the pull job, an answer, a timer, the
 * offset fix) takes \p pr in hand: counted in pcons->pull_handlers until
 * handler_leave(), so the consumer outlives every handler, even one that
 * handed its request on (which may then retire at once). Returns false,
 * with nothing counted, if \p pr is not in \p expect (a timer the
 * shutdown took back). pcons->lock not held. */
static bool handler_enter(rmq_pull_request_t *pr, int expect) {
        rmq_push_consumer_t *pcons = pr->pcons;
        rmq__lock(&pcons->lock);
        if (expect >= 0 && pr->state != expect) {
                rmq__unlock(&pcons->lock);
                return false;
        }
        pr->state    = PR_RUNNING;
        pr->inflight = 0;
        pcons->pull_handlers++;
        rmq__unlock(&pcons->lock);
        return true;
}

static void handler_leave(rmq_push_consumer_t *pcons) {
        rmq__lock(&pcons->lock);
        if (--pcons->pull_handlers == 0)
                uv_cond_broadcast(&pcons->cond);
        rmq__unlock(&pcons->lock);
}

/* executePullRequestImmediately: queues \p pr on the pull thread. */
static void pr_now(rmq_pull_request_t *pr) {
        rmq_push_consumer_t *pcons = pr->pcons;
        rmq__lock(&pcons->lock);
        pr->state = PR_QUEUED;
        rmq__unlock(&pcons->lock);
        pr->job.fn = pull_job;
        if (rmq__pool_submit(rmq__client_pull_pool(pcons->ci), &pr->job))
                pr_retire(pr, "the pull service is stopping");
}

/* The timer of \p pr fired (I/O thread): queue its job. */
static void pr_timer_cb(rmq_timer_t *t, void *arg) {
        rmq_pull_request_t *pr     = arg;
        rmq_push_consumer_t *pcons = pr->pcons;
        rmq_pool_t *pool;
        RMQ_UNUSED(t);
        if (!handler_enter(pr, PR_TIMER))
                return; /* the shutdown took it */
        rmq__lock(&pcons->lock);
        pr->state = PR_QUEUED;
        rmq__unlock(&pcons->lock);
        if (pr->fix_offset) {
                pr->job.fn = fix_offset_job;
                pool       = rmq__client_sched_pool(pcons->ci);
        } else {
                pr->job.fn = pull_job;
                pool       = rmq__client_pull_pool(pcons->ci);
        }
        if (rmq__pool_submit(pool, &pr->job))
                pr_retire(pr, "the client instance is stopping");
        handler_leave(pcons);
}

/* executePullRequestLater (or, with fix_offset set, executeTaskLater). */
static void pr_later(rmq_pull_request_t *pr, int64_t delay_ms) {
        rmq_push_consumer_t *pcons = pr->pcons;
        bool retire                = false;
        rmq__lock(&pcons->lock);
        if (atomic_load(&pcons->stopping)) {
                retire = true;
        } else {
                pr->state = PR_TIMER;
                /* started under the lock: the shutdown, which takes timers
                 * back under it, sees either no timer or a started one */
                if (rmq__timer_start(rmq__client_io(pcons->ci), &pr->timer,
                                     delay_ms, 0)) {
                        pr->state = PR_RUNNING;
                        retire    = true;
                }
        }
        rmq__unlock(&pcons->lock);
        if (retire)
                pr_retire(pr, "the consumer is stopping");
}

bool rmq__pull_request_new(rmq_push_consumer_t *pcons, rmq_pc_queue_t *q,
                           int64_t next_offset) {
        rmq_pull_request_t *pr = rmq__calloc(1, sizeof(*pr));
        pr->pcons              = pcons;
        pr->q                  = rmq__pc_queue_retain(q);
        pr->next_offset        = next_offset;
        pr->broker_id          = RMQ_MASTER_ID;
        rmq__timer_init(&pr->timer, pr_timer_cb, pr);
        rmq__lock(&pcons->lock);
        if (atomic_load(&pcons->stopping)) {
                rmq__unlock(&pcons->lock);
                rmq__pc_queue_release(pr->q);
                rmq__free(pr);
                return false;
        }
        pr->state = PR_RUNNING;
        rmq__list_insert_tail(&pcons->pull_requests, &pr->link);
        pcons->pull_request_cnt++;
        rmq__unlock(&pcons->lock);
        pr_now(pr);
        return true;
}

/* Whether \p pr is one a cancel of \p dropped_only (else: every request)
 * stops. A request waiting for its OFFSET_ILLEGAL fix is left to it when
 * only dropped queues go: the fix runs on the scheduler thread, which may
 * be the caller's (a reset). pcons->lock held. */
static bool cancel_match(const rmq_pull_request_t *pr, bool dropped_only) {
        return !dropped_only || (rmq__pq_dropped(pr->q->pq) && !pr->fix_offset);
}

/* Stops the matching pull requests and waits until they are gone: timers
 * taken back, pulls in flight cancelled, the others retired by their
 * owner when it sees the consumer stopping or the queue dropped. */
static void cancel_where(rmq_push_consumer_t *pcons, bool dropped_only) {
        rmq_pull_request_t **taken;
        int32_t *opaques;
        size_t n_taken = 0, n_op = 0, i;
        bool left;
        rmq_list_t *it;
        rmq__lock(&pcons->lock);
        if (!dropped_only)
                atomic_store(&pcons->stopping, true);
        taken   = rmq__calloc(pcons->pull_request_cnt + 1, sizeof(*taken));
        opaques = rmq__calloc(pcons->pull_request_cnt + 1, sizeof(*opaques));
        for (it = pcons->pull_requests.next; it != &pcons->pull_requests;
             it = it->next) {
                rmq_pull_request_t *pr =
                    RMQ_CONTAINER_OF(it, rmq_pull_request_t, link);
                if (!cancel_match(pr, dropped_only))
                        continue;
                if (pr->state == PR_TIMER) {
                        pr->state        = PR_CANCELLED;
                        taken[n_taken++] = pr;
                } else if (pr->state == PR_INFLIGHT) {
                        opaques[n_op++] = pr->inflight;
                }
        }
        rmq__unlock(&pcons->lock);
        for (i = 0; i < n_taken; i++) {
                /* waits for a callback that may be running: it sees
                 * PR_CANCELLED and leaves the request alone */
                rmq__timer_stop(rmq__client_io(pcons->ci), &taken[i]->timer);
                pr_retire(taken[i], dropped_only
                                        ? "its process queue was dropped"
                                        : "the consumer is stopping");
        }
        for (i = 0; i < n_op; i++)
                rmq__remoting_cancel(rmq__client_remoting(pcons->ci),
                                     opaques[i]);
        rmq__free(taken);
        rmq__free(opaques);
        rmq__lock(&pcons->lock);
        for (;;) {
                left = !dropped_only && pcons->pull_handlers > 0;
                for (it = pcons->pull_requests.next;
                     !left && it != &pcons->pull_requests; it = it->next)
                        left = cancel_match(
                            RMQ_CONTAINER_OF(it, rmq_pull_request_t, link),
                            dropped_only);
                if (!left)
                        break;
                uv_cond_wait(&pcons->cond, &pcons->lock);
        }
        rmq__unlock(&pcons->lock);
}

void rmq__pull_stop_all(rmq_push_consumer_t *pcons) {
        cancel_where(pcons, false);
}

void rmq__pull_cancel_dropped(rmq_push_consumer_t *pcons) {
        cancel_where(pcons, true);
}

/* ---- OFFSET_ILLEGAL ---- */

/* The task DefaultMQPushConsumerImpl schedules 10 s after an
 * OFFSET_ILLEGAL answer (scheduler thread): the queue restarts from the
 * broker's offset at the next rebalance. */
static void fix_offset_job(rmq_job_t *job) {
        rmq_pull_request_t *pr = RMQ_CONTAINER_OF(job, rmq_pull_request_t, job);
        rmq_push_consumer_t *pcons = pr->pcons;
        char q[256];
        handler_enter(pr, -1);
        if (!atomic_load(&pcons->stopping)) {
                rmq__offset_store_update(pcons->offsets, &pr->q->mq,
                                         pr->next_offset, false);
                rmq__offset_store_persist(pcons->offsets, &pr->q->mq);
                rmq__rebalance_remove_pq(&pcons->rb, &pr->q->mq);
                rmq__mq_format(&pr->q->mq, q, sizeof(q));
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                         "fix the pull request offset, %s nextOffset=%" PRId64,
                         q, pr->next_offset);
        }
        pr_retire(pr, "offset fixed");
        handler_leave(pcons);
}

/* ---- the answer ---- */

/* correctTagsOffset: with nothing cached, the next offset counts as
 * consumed. */
static void correct_tags_offset(rmq_pull_request_t *pr) {
        if (rmq__pq_msg_count(pr->q->pq) == 0)
                rmq__offset_store_update(pr->pcons->offsets, &pr->q->mq,
                                         pr->next_offset, true);
}

/* PullCallback.onSuccess, FOUND. */
static void on_found(rmq_pull_request_t *pr, rmq_pull_result_t *res) {
        rmq_push_consumer_t *pcons = pr->pcons;
        const rmq_conf_t *conf     = pcons->conf;
        rmq_msg_batch_t *batch;
        rmq_message_ext_t *const *msgs;
        int64_t prev = pr->next_offset, first = INT64_MAX, now;
        size_t n;
        char err[512], q[256];
        bool dispatch;
        rmq_err_t e;

        e = rmq__pull_decode(pcons->ci, res, &pr->q->mq, &pr->sd, pcons->group,
                             conf->namespace_, &batch, err, sizeof(err));
        if (e) {
                /* DELIBERATE DIFFERENCE: Java's decodes() keeps the
                 * messages before a bad one and drops the rest unseen;
                 * here nothing is skipped: the same offset is pulled again
                 * after the exception delay, and the failure logged. */
                rmq__mq_format(&pr->q->mq, q, sizeof(q));
                rmq__log(&pcons->lg, RMQ_LOG_ERROR, "CONSUMER",
                         "cannot decode the messages pulled from %s at "
                         "offset %" PRId64 ": %s; pulling them again in "
                         "%" PRId64 " ms",
                         q, prev, err, conf->pullTimeDelayMillsWhenException);
                pr_later(pr, conf->pullTimeDelayMillsWhenException);
                return;
        }
        now             = rmq__wall_ms();
        pr->next_offset = res->nextBeginOffset;
        rmq__consumer_stats_add(pr->q->stats, RMQ_STATS_PULL_RT,
                                now - pr->begin_ms);
        n = rmq__msg_batch_count(batch);
        if (n == 0) {
                rmq__msg_batch_release(batch);
                pr_now(pr);
        } else {
                msgs  = rmq__msg_batch_msgs(batch);
                first = msgs[0]->queueOffset;
                rmq__consumer_stats_add(pr->q->stats, RMQ_STATS_PULL_TPS,
                                        (int64_t)n);
                rmq__msg_batch_retain_n(batch, n); /* the process queue's */
                dispatch = rmq__pq_put_messages(pr->q->pq, msgs, n);
                rmq__consume_submit(pcons, pr->q, msgs, n, dispatch);
                rmq__msg_batch_release(batch);
                if (conf->pullInterval > 0)
                        pr_later(pr, conf->pullInterval);
                else
                        pr_now(pr);
        }
        if (res->nextBeginOffset < prev || first < prev)
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                         "[BUG] pull message result maybe data wrong, "
                         "nextBeginOffset: %" PRId64 " firstMsgOffset: %" PRId64
                         " prevRequestOffset: %" PRId64,
                         res->nextBeginOffset, first, prev);
        /* (pr may be gone: nothing of it is used after the requeue
         * except the values copied above) */
}

/* PullCallback (on the callback pool). */
static void pull_done(rmq_err_t err, rmq_pull_result_t *res, const char *errstr,
                      void *opaque) {
        rmq_pull_request_t *pr     = opaque;
        rmq_push_consumer_t *pcons = pr->pcons;
        const rmq_conf_t *conf     = pcons->conf;
        char q[256];
        handler_enter(pr, -1);
        if (atomic_load(&pcons->stopping) || rmq__pq_dropped(pr->q->pq)) {
                /* (Java caches the messages of a queue dropped meanwhile,
                 * which nobody consumes, and ends at the next pull) */
                if (res)
                        rmq__free(res->storage);
                pr_retire(pr, atomic_load(&pcons->stopping)
                                  ? "the consumer is stopping"
                                  : "its process queue was dropped");
                handler_leave(pcons);
                return;
        }
        if (err) {
                rmq__mq_format(&pr->q->mq, q, sizeof(q));
                if (!rmq__is_retry_topic(pr->q->mq.topic))
                        rmq__log_rl(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                                    "execute the pull request exception, %s: "
                                    "%s",
                                    q, errstr ? errstr : rmq_err2str(err));
                pr_later(pr, err == RMQ_ERR_FLOW_CONTROL
                                 ? PULL_DELAY_WHEN_BROKER_FC_MS
                                 : conf->pullTimeDelayMillsWhenException);
                handler_leave(pcons);
                return;
        }
        /* updatePullFromWhichNode */
        pr->broker_id = res->suggestWhichBrokerId;
        switch (res->status) {
        case RMQ_PULL_FOUND:
                on_found(pr, res);
                break;
        case RMQ_PULL_NO_NEW_MSG:
        case RMQ_PULL_NO_MATCHED_MSG:
                rmq__free(res->storage);
                pr->next_offset = res->nextBeginOffset;
                correct_tags_offset(pr);
                pr_now(pr);
                break;
        case RMQ_PULL_OFFSET_ILLEGAL:
        default:
                rmq__free(res->storage);
                rmq__mq_format(&pr->q->mq, q, sizeof(q));
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                         "the pull request offset illegal, %s offset %" PRId64
                         ", nextBeginOffset %" PRId64 " minOffset %" PRId64
                         " maxOffset %" PRId64,
                         q, pr->next_offset, res->nextBeginOffset,
                         res->minOffset, res->maxOffset);
                pr->next_offset = res->nextBeginOffset;
                rmq__pq_set_dropped(pr->q->pq, true);
                pr->fix_offset = true;
                pr_later(pr, OFFSET_ILLEGAL_FIX_DELAY_MS);
                break;
        }
        handler_leave(pcons);
}

/* ---- pullMessage ---- */

/* Flow control: pulls \p pr again after 50 ms, logging every 1000th
 * time. */
static void flow_control(rmq_pull_request_t *pr, atomic_ullong *times,
                         const char *what) {
        rmq_push_consumer_t *pcons = pr->pcons;
        unsigned long long t       = atomic_fetch_add(times, 1);
        if (t % 1000 == 0) {
                char q[256];
                rmq__mq_format(&pr->q->mq, q, sizeof(q));
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                         "%s, so do flow control, count=%" PRId64
                         ", size=%" PRId64 " MiB, maxSpan=%" PRId64
                         ", pullRequest=%s, flowControlTimes=%llu",
                         what, rmq__pq_msg_count(pr->q->pq),
                         rmq__pq_msg_size(pr->q->pq) / (1024 * 1024),
                         rmq__pq_max_span(pr->q->pq), q, t + 1);
        }
        pr_later(pr, PULL_DELAY_WHEN_FLOW_CONTROL_MS);
}

/* The checks of pullMessage before a pull goes out: true if it may go;
 * otherwise \p pr has been requeued or retired. */
static bool may_pull(rmq_pull_request_t *pr) {
        rmq_push_consumer_t *pcons = pr->pcons;
        const rmq_conf_t *conf     = pcons->conf;
        rmq_pq_t *pq               = pr->q->pq;
        char q[256];

        if (rmq__pq_dropped(pq)) {
                pr_retire(pr, "its process queue was dropped");
                return false;
        }
        rmq__pq_set_last_pull_timestamp(pq, rmq__wall_ms());
        if (rmq__pcons_paused(pcons)) {
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                         "consumer was paused, execute pull request later. "
                         "group=%s",
                         pcons->group);
                pr_later(pr, PULL_DELAY_WHEN_SUSPEND_MS);
                return false;
        }
        if (rmq__pq_msg_count(pq) >
            atomic_load(&pcons->pull_threshold_for_queue)) {
                flow_control(pr, &pcons->queue_flow_control_times,
                             "the cached message count exceeds the "
                             "threshold");
                return false;
        }
        if (rmq__pq_msg_size(pq) / (1024 * 1024) >
            atomic_load(&pcons->pull_threshold_size_for_queue)) {
                flow_control(pr, &pcons->queue_flow_control_times,
                             "the cached message size exceeds the "
                             "threshold");
                return false;
        }
        if (rmq__pcons_over_budget(pcons)) {
                flow_control(pr, &pcons->queue_flow_control_times,
                             "the client instance's messages exceed "
                             "consumer.memory.budget");
                return false;
        }
        if (!pcons->orderly) {
                if (rmq__pq_max_span(pq) > conf->consumeConcurrentlyMaxSpan) {
                        flow_control(pr,
                                     &pcons->queue_max_span_flow_control_times,
                                     "the queue's messages, span too long");
                        return false;
                }
        } else if (rmq__pq_locked(pq)) {
                if (!pr->previously_locked) {
                        int64_t off = -1;
                        rmq__mq_format(&pr->q->mq, q, sizeof(q));
                        if (pcons->rb.ops->compute_pull_from_where(
                                &pcons->rb, &pr->q->mq, &off)) {
                                rmq__log(&pcons->lg, RMQ_LOG_ERROR, "CONSUMER",
                                         "Failed to compute pull offset, %s",
                                         q);
                                pr_later(pr,
                                         conf->pullTimeDelayMillsWhenException);
                                return false;
                        }
                        rmq__log(&pcons->lg, RMQ_LOG_INFO, "CONSUMER",
                                 "the first time to pull message, so fix "
                                 "offset from broker. pullRequest: %s "
                                 "NewOffset: %" PRId64 " brokerBusy: %s",
                                 q, off,
                                 off < pr->next_offset ? "true" : "false");
                        pr->previously_locked = true;
                        pr->next_offset       = off;
                }
        } else {
                rmq__mq_format(&pr->q->mq, q, sizeof(q));
                rmq__log(&pcons->lg, RMQ_LOG_INFO, "CONSUMER",
                         "pull message later because not locked in broker, "
                         "%s",
                         q);
                pr_later(pr, conf->pullTimeDelayMillsWhenException);
                return false;
        }
        /* the subscription is copied again only when it changed (a new
         * one always has a new subVersion) */
        if (pr->sd.topic &&
            rmq__rebalance_sub_version(&pcons->rb, pr->q->mq.topic) ==
                pr->sd.subVersion)
                return true;
        rmq__subscription_clear(&pr->sd);
        if (!rmq__rebalance_sub_get(&pcons->rb, pr->q->mq.topic, &pr->sd)) {
                memset(&pr->sd, 0, sizeof(pr->sd));
                rmq__mq_format(&pr->q->mq, q, sizeof(q));
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "CONSUMER",
                         "find the consumer's subscription failed, %s", q);
                pr_later(pr, conf->pullTimeDelayMillsWhenException);
                return false;
        }
        return true;
}

static void pull_message(rmq_pull_request_t *pr);

/* The pull thread's job. */
static void pull_job(rmq_job_t *job) {
        rmq_pull_request_t *pr = RMQ_CONTAINER_OF(job, rmq_pull_request_t, job);
        rmq_push_consumer_t *pcons = pr->pcons;

        handler_enter(pr, -1);
        pull_message(pr);
        handler_leave(pcons);
}

/* mirrors DefaultMQPushConsumerImpl.pullMessage */
static void pull_message(rmq_pull_request_t *pr) {
        rmq_push_consumer_t *pcons = pr->pcons;
        const rmq_conf_t *conf     = pcons->conf;
        rmq_pull_args_t args;
        rmq_cmd_t *req;
        char addr[128], err[256], q[256];
        bool commit           = false, cancel;
        int64_t commit_offset = 0;
        int32_t opaque_id;
        rmq_err_t e;

        if (atomic_load(&pcons->stopping)) {
                pr_retire(pr, "the consumer is stopping");
                return;
        }
        if (!may_pull(pr))
                return;

        if (pcons->rb.message_model == RMQ_HB_CLUSTERING) {
                commit_offset = rmq__offset_store_read(
                    pcons->offsets, &pr->q->mq, RMQ_READ_FROM_MEMORY);
                commit = commit_offset > 0;
                if (!commit)
                        commit_offset = 0;
        }
        memset(&args, 0, sizeof(args));
        args.mq    = &pr->q->mq;
        args.group = pcons->group;
        args.sd    = &pr->sd;
        args.send_subscription =
            conf->postSubscriptionWhenPull && !pr->sd.classFilterMode;
        args.sub_version   = pr->sd.subVersion;
        args.offset        = pr->next_offset;
        args.max_nums      = (int32_t)conf->pullBatchSize;
        args.commit_offset = commit_offset;
        args.suspend_ms    = BROKER_SUSPEND_MAX_TIME_MS;
        args.broker_id     = pr->broker_id;
        args.sys_flag =
            (commit ? RMQ_PULL_FLAG_COMMIT_OFFSET : 0) | RMQ_PULL_FLAG_SUSPEND |
            (args.send_subscription ? RMQ_PULL_FLAG_SUBSCRIPTION : 0) |
            (pr->sd.classFilterMode ? RMQ_PULL_FLAG_CLASS_FILTER : 0);
        e = rmq__pull_build(pcons->ci, conf, &args, addr, sizeof(addr), &req,
                            err, sizeof(err));
        if (e)
                goto failed;
        opaque_id = req->opaque;
        rmq__lock(&pcons->lock);
        if (atomic_load(&pcons->stopping)) {
                rmq__unlock(&pcons->lock);
                rmq__cmd_destroy(req);
                pr_retire(pr, "the consumer is stopping");
                return;
        }
        pr->state    = PR_INFLIGHT;
        pr->inflight = opaque_id;
        rmq__unlock(&pcons->lock);
        pr->begin_ms = rmq__wall_ms();
        e            = rmq__api_pull_send(pcons->ci, addr, req,
                                          CONSUMER_TIMEOUT_WHEN_SUSPEND_MS, pull_done, pr);
        rmq__cmd_destroy(req);
        if (e == RMQ_OK) {
                /* A shutdown that began while the request was being posted
                 * may have missed it: cancel it here (after the post, so
                 * the cancel finds it). pr may be answered and gone by now
                 * (this handler keeps pcons alive, not pr): only the
                 * opaque is used. */
                cancel = atomic_load(&pcons->stopping);
                if (cancel)
                        rmq__remoting_cancel(rmq__client_remoting(pcons->ci),
                                             opaque_id);
                return;
        }
        rmq__lock(&pcons->lock);
        pr->state    = PR_RUNNING;
        pr->inflight = 0;
        rmq__unlock(&pcons->lock);
        snprintf(err, sizeof(err), "%s", rmq_err2str(e));
failed:
        rmq__mq_format(&pr->q->mq, q, sizeof(q));
        rmq__log(&pcons->lg, RMQ_LOG_ERROR, "CONSUMER",
                 "pullKernelImpl exception, %s: %s", q, err);
        pr_later(pr, conf->pullTimeDelayMillsWhenException);
}
