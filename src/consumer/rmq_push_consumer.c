/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The push consumer: DefaultMQPushConsumer and DefaultMQPushConsumerImpl
 * (4.9.8) without their pulls and consume services (rmq_pull.c,
 * rmq_consume_*.c): configuration, start and shutdown, subscriptions,
 * the instance member (heartbeat data, routes, rebalance, offsets, broker
 * requests), RebalancePushImpl, sendMessageBack, consumer running info.
 */
#include <inttypes.h>
#include <stdio.h>

#include "client/rmq_client_api.h"
#include "client/rmq_message_int.h"
#include "client/rmq_trace.h"
#include "client/rmq_stats.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "consumer/rmq_consumer_base.h"
#include "consumer/rmq_push_consumer_int.h"
#include "protocol/rmq_message_codec.h"
#include "protocol/rmq_names.h"
#include "protocol/rmq_running_info.h"

/* DefaultMQPushConsumerImpl.sendMessageBack: consumerSendMessageBack
 * timeout. */
#define SEND_BACK_TIMEOUT_MS 5000
/* RebalancePushImpl.removeUnnecessaryMessageQueue: consumeLock tryLock. */
#define REMOVE_MQ_CONSUME_LOCK_MS 1000

/* ---- small helpers ---- */

bool rmq__pcons_on_worker(rmq_push_consumer_t *pcons) {
        return pcons->workers && rmq__pool_on_worker(pcons->workers);
}

int32_t rmq__pcons_max_reconsume_times(rmq_push_consumer_t *pcons) {
        if (pcons->conf->maxReconsumeTimes == -1)
                return pcons->orderly ? INT32_MAX : 16;
        return (int32_t)pcons->conf->maxReconsumeTimes;
}

bool rmq__pcons_paused(rmq_push_consumer_t *pcons) {
        return atomic_load(&pcons->paused) ||
               atomic_load(&pcons->reset_pause) > 0;
}

bool rmq__pcons_over_budget(rmq_push_consumer_t *pcons) {
        return rmq__client_over_budget(pcons->ci);
}

static bool running(rmq_push_consumer_t *pcons) {
        bool r;
        rmq__lock(&pcons->lock);
        r = pcons->state == PC_RUNNING;
        rmq__unlock(&pcons->lock);
        return r;
}

/* Every library thread where a blocking shutdown would wait for itself. */
static bool on_own_thread(rmq_push_consumer_t *pcons) {
        return rmq__pcons_on_worker(pcons) ||
               (pcons->ci && rmq__client_on_own_thread(pcons->ci));
}

/* ---- delayed work ---- */

static void later_timer_cb(rmq_timer_t *t, void *arg) {
        rmq_pc_later_t *l          = arg;
        rmq_push_consumer_t *pcons = NULL;
        rmq_pc_later_t firing;
        RMQ_UNUSED(t);
        pcons = l->pcons;
        rmq__lock(&pcons->lock);
        if (l->taken) {
                rmq__unlock(&pcons->lock);
                return;
        }
        /* \p l leaves the list now: once its job is submitted it may run
         * and free \p l at any time. A stand-in, taken ("firing"), stays
         * linked until the submission is over: the shutdown waits for
         * it. */
        l->taken = true;
        memset(&firing, 0, sizeof(firing));
        firing.taken = true;
        rmq__list_remove(&l->link);
        rmq__list_insert_tail(&pcons->delayed, &firing.link);
        rmq__unlock(&pcons->lock);
        if (rmq__pool_submit(l->pool, l->job))
                l->drop(l);
        rmq__lock(&pcons->lock);
        rmq__list_remove(&firing.link);
        uv_cond_broadcast(&pcons->cond);
        rmq__unlock(&pcons->lock);
}

void rmq__pcons_later(rmq_push_consumer_t *pcons, rmq_pc_later_t *l,
                      rmq_pool_t *pool, int64_t delay_ms) {
        bool drop = false;
        l->pcons  = pcons;
        l->pool   = pool;
        l->taken  = false;
        rmq__timer_init(&l->timer, later_timer_cb, l);
        rmq__lock(&pcons->lock);
        if (atomic_load(&pcons->stopping)) {
                drop = true;
        } else {
                rmq__list_insert_tail(&pcons->delayed, &l->link);
                if (rmq__timer_start(rmq__client_io(pcons->ci), &l->timer,
                                     delay_ms, 0)) {
                        rmq__list_remove(&l->link);
                        drop = true;
                }
        }
        rmq__unlock(&pcons->lock);
        if (drop)
                l->drop(l);
}

void rmq__pcons_later_drop_all(rmq_push_consumer_t *pcons) {
        for (;;) {
                rmq_pc_later_t *l = NULL;
                rmq__lock(&pcons->lock);
                while (!rmq__list_empty(&pcons->delayed)) {
                        rmq_pc_later_t *x = RMQ_CONTAINER_OF(
                            pcons->delayed.next, rmq_pc_later_t, link);
                        if (!x->taken) {
                                x->taken = true;
                                rmq__list_remove(&x->link);
                                l = x;
                                break;
                        }
                        /* firing: wait for its callback to unlink it */
                        uv_cond_wait(&pcons->cond, &pcons->lock);
                }
                rmq__unlock(&pcons->lock);
                if (!l)
                        return;
                rmq__timer_stop(rmq__client_io(pcons->ci), &l->timer);
                l->drop(l);
        }
}

/* ---- the consume service ---- */

void rmq__consume_submit(rmq_push_consumer_t *pcons, rmq_pc_queue_t *q,
                         rmq_message_ext_t *const *msgs, size_t n,
                         bool dispatch_to_consume) {
        if (pcons->orderly) {
                if (dispatch_to_consume)
                        rmq__consume_orderly_submit(pcons, q, 0);
        } else {
                rmq__consume_concurrently_submit(pcons, q, msgs, n);
        }
}

void rmq__consume_directly(rmq_push_consumer_t *pcons, rmq_message_ext_t *mx,
                           const char *broker_name,
                           rmq_consume_directly_result_t *res) {
        if (pcons->orderly)
                rmq__consume_orderly_directly(pcons, mx, broker_name, res);
        else
                rmq__consume_concurrently_directly(pcons, mx, broker_name, res);
}

/* The service's periodic task (cleanExpireMsg, or lockMQPeriodically for
 * an orderly clustering consumer), on the scheduler thread. */
static void periodic_job(rmq_job_t *job) {
        rmq_push_consumer_t *pcons =
            RMQ_CONTAINER_OF(job, rmq_push_consumer_t, periodic_job);
        if (!atomic_load(&pcons->stopping)) {
                if (pcons->orderly)
                        rmq__rebalance_lock_all(&pcons->rb);
                else
                        rmq__consume_clean_expired(pcons);
        }
        rmq__lock(&pcons->lock);
        pcons->periodic_queued = false;
        uv_cond_broadcast(&pcons->cond);
        rmq__unlock(&pcons->lock);
}

static void periodic_timer_cb(rmq_timer_t *t, void *arg) {
        rmq_push_consumer_t *pcons = arg;
        RMQ_UNUSED(t);
        rmq__lock(&pcons->lock);
        if (pcons->periodic_queued || atomic_load(&pcons->stopping)) {
                rmq__unlock(&pcons->lock);
                return;
        }
        pcons->periodic_queued = true;
        rmq__unlock(&pcons->lock);
        pcons->periodic_job.fn = periodic_job;
        if (rmq__pool_submit(rmq__client_sched_pool(pcons->ci),
                             &pcons->periodic_job)) {
                rmq__lock(&pcons->lock);
                pcons->periodic_queued = false;
                uv_cond_broadcast(&pcons->cond);
                rmq__unlock(&pcons->lock);
        }
}

/* mirrors ConsumeMessage{Concurrently,Orderly}Service.start */
void rmq__consume_service_start(rmq_push_consumer_t *pcons) {
        const rmq_conf_t *c = pcons->conf;
        pcons->workers = rmq__pool_new("rmq-cons", (int)c->consumeThreadMin);
        rmq__timer_init(&pcons->periodic_timer, periodic_timer_cb, pcons);
}

/* The service's periodic task, once the instance (its loop) runs. */
static void consume_service_timers(rmq_push_consumer_t *pcons) {
        const rmq_conf_t *c = pcons->conf;
        if (!pcons->orderly)
                rmq__timer_start(rmq__client_io(pcons->ci),
                                 &pcons->periodic_timer,
                                 c->consumeTimeout * 60 * 1000,
                                 c->consumeTimeout * 60 * 1000);
        else if (pcons->rb.message_model == RMQ_HB_CLUSTERING)
                rmq__timer_start(rmq__client_io(pcons->ci),
                                 &pcons->periodic_timer, 1000,
                                 c->rebalanceLockInterval);
}

/* mirrors ConsumeMessage{Concurrently,Orderly}Service.shutdown */
void rmq__consume_service_stop(rmq_push_consumer_t *pcons) {
        if (!pcons->workers)
                return;
        atomic_store(&pcons->stopping, true);
        if (rmq__client_io(pcons->ci))
                rmq__timer_stop(rmq__client_io(pcons->ci),
                                &pcons->periodic_timer);
        rmq__lock(&pcons->lock);
        while (pcons->periodic_queued)
                uv_cond_wait(&pcons->cond, &pcons->lock);
        rmq__unlock(&pcons->lock);
        rmq__pcons_later_drop_all(pcons);
        /* queued requests see the flag and drop their messages (not
         * committed: consumed again); running listeners return */
        rmq__pool_destroy(pcons->workers);
        pcons->workers = NULL;
        rmq__pcons_later_drop_all(pcons);
        if (pcons->orderly && pcons->rb.message_model == RMQ_HB_CLUSTERING)
                rmq__rebalance_unlock_all(&pcons->rb, false);
}

/* ---- hooks ---- */

void rmq__pcons_hooks_before(rmq_push_consumer_t *pcons,
                             rmq_consume_hook_context_t *hc) {
        int i;
        for (i = 0; i < pcons->hook_cnt; i++)
                if (pcons->hooks[i].before)
                        pcons->hooks[i].before(pcons, hc,
                                               pcons->hooks[i].opaque);
}

void rmq__pcons_hooks_after(rmq_push_consumer_t *pcons,
                            rmq_consume_hook_context_t *hc) {
        int i;
        for (i = 0; i < pcons->hook_cnt; i++)
                if (pcons->hooks[i].after)
                        pcons->hooks[i].after(pcons, hc,
                                              pcons->hooks[i].opaque);
}

int64_t rmq__pcons_call_begin(rmq_push_consumer_t *pcons,
                              rmq_consume_hook_context_t *hc,
                              const rmq_mq_t *mq,
                              rmq_message_ext_t *const *msgs, size_t n) {
        int64_t begin;
        size_t i;
        memset(hc, 0, sizeof(*hc));
        if (pcons->hook_cnt) {
                hc->group = pcons->group_user;
                hc->mq    = mq;
                hc->msgs  = (const rmq_message_ext_t *const *)msgs;
                hc->n     = n;
                hc->ns    = pcons->conf->namespace_;
                rmq__pcons_hooks_before(pcons, hc);
        }
        /* MessageAccessor.setConsumeStartTimeStamp */
        begin = rmq__wall_ms();
        for (i = 0; i < n; i++)
                rmq__mx_set_consume_start_time(msgs[i], begin);
        return begin;
}

const char *rmq__pcons_return_type(rmq_push_consumer_t *pcons, bool valid,
                                   bool failed, int64_t rt_ms) {
        if (!valid)
                return "RETURNNULL";
        if (rt_ms >= pcons->conf->consumeTimeout * 60 * 1000)
                return "TIME_OUT";
        return failed ? "FAILED" : "SUCCESS";
}

void rmq__pcons_call_end(rmq_push_consumer_t *pcons,
                         rmq_consume_hook_context_t *hc, const char *status,
                         const char *return_type, bool success) {
        if (!pcons->hook_cnt)
                return;
        hc->status      = status;
        hc->return_type = return_type;
        hc->success     = success;
        rmq__pcons_hooks_after(pcons, hc);
}

const char *
rmq_consume_hook_context_group(const rmq_consume_hook_context_t *c) {
        return c->group;
}
const rmq_message_queue_t *
rmq_consume_hook_context_message_queue(const rmq_consume_hook_context_t *c) {
        return c->mq;
}
const rmq_message_ext_t *const *
rmq_consume_hook_context_messages(const rmq_consume_hook_context_t *c,
                                  size_t *cntp) {
        if (cntp)
                *cntp = c->n;
        return c->msgs;
}
int rmq_consume_hook_context_success(const rmq_consume_hook_context_t *c) {
        return c->success;
}
const char *
rmq_consume_hook_context_status(const rmq_consume_hook_context_t *c) {
        return c->status;
}
const char *
rmq_consume_hook_context_return_type(const rmq_consume_hook_context_t *c) {
        return c->return_type;
}
const char *
rmq_consume_hook_context_namespace(const rmq_consume_hook_context_t *c) {
        return c->ns;
}

/* ---- creation and configuration ---- */

/* The admin calls need a started consumer (makeSureStateOK); counted, so
 * that the shutdown waits for them before the client instance goes. */
static rmq_err_t admin_enter(void *owner, char *errstr, size_t errstr_size) {
        rmq_push_consumer_t *pcons = owner;
        bool ok;
        rmq__lock(&pcons->lock);
        ok = pcons->state == PC_RUNNING;
        if (ok)
                pcons->admin_calls++;
        rmq__unlock(&pcons->lock);
        if (ok)
                return RMQ_OK;
        return rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                           "The consumer service state not OK (not started "
                           "or shut down)");
}

static void admin_leave(void *owner) {
        rmq_push_consumer_t *pcons = owner;
        rmq__lock(&pcons->lock);
        if (--pcons->admin_calls == 0)
                uv_cond_broadcast(&pcons->cond);
        rmq__unlock(&pcons->lock);
}

rmq_err_t rmq_push_consumer_new(rmq_push_consumer_t **pconsp,
                                const rmq_conf_t *conf, char *errstr,
                                size_t errstr_size) {
        rmq_push_consumer_t *pcons;
        *pconsp = NULL;
        if (!conf)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "conf is NULL");
        pcons       = rmq__calloc(1, sizeof(*pcons));
        pcons->conf = rmq_conf_dup(conf);
        rmq__logger_from_conf(&pcons->lg, pcons->conf, "");
        uv_mutex_init(&pcons->lock);
        uv_cond_init(&pcons->cond);
        rmq__strmap_init(&pcons->subs_pending);
        rmq__list_init(&pcons->pull_requests);
        rmq__list_init(&pcons->delayed);
        rmq__list_init(&pcons->delayed_unlocks);
        atomic_init(&pcons->paused, false);
        atomic_init(&pcons->reset_pause, 0);
        atomic_init(&pcons->stopping, false);
        atomic_init(&pcons->queue_flow_control_times, 0);
        atomic_init(&pcons->queue_max_span_flow_control_times, 0);
        atomic_init(&pcons->pull_threshold_for_queue,
                    pcons->conf->pullThresholdForQueue);
        atomic_init(&pcons->pull_threshold_size_for_queue,
                    pcons->conf->pullThresholdSizeForQueue);
        pcons->group_user = rmq__strdup(
            pcons->conf->consumerGroup ? pcons->conf->consumerGroup : "");
        /* DefaultMQPushConsumer: consumeTimestamp defaults to half an
         * hour before the consumer was made */
        if (!pcons->conf->consumeTimestamp ||
            rmq__parse_yyyymmddhhmmss(pcons->conf->consumeTimestamp,
                                      &pcons->consume_timestamp_ms))
                pcons->consume_timestamp_ms = rmq__wall_ms() - 30 * 60 * 1000;
        rmq__admin_init(&pcons->admin, &pcons->ci, pcons->conf, &pcons->lg,
                        pcons->conf->namespace_);
        rmq__admin_set_guard(&pcons->admin, admin_enter, admin_leave, pcons);
        pcons->state = PC_CREATE_JUST;
        *pconsp      = pcons;
        return RMQ_OK;
}

rmq_admin_t *rmq_push_consumer_admin(rmq_push_consumer_t *pcons) {
        return pcons ? &pcons->admin : NULL;
}

/* The listener and the other settings fixed at start. */
static rmq_err_t before_start(rmq_push_consumer_t *pcons) {
        if (pcons->state != PC_CREATE_JUST)
                return RMQ_ERR__STATE;
        return RMQ_OK;
}

static rmq_err_t set_listener(rmq_push_consumer_t *pcons,
                              rmq_listener_concurrently_cb_t *c,
                              rmq_listener_orderly_cb_t *o, void *opaque) {
        rmq_err_t err;
        if (!pcons || (!c && !o))
                return RMQ_ERR__INVALID_ARG;
        rmq__lock(&pcons->lock);
        err = before_start(pcons);
        if (!err) {
                pcons->listener_c      = c;
                pcons->listener_o      = o;
                pcons->orderly         = o != NULL;
                pcons->listener_opaque = opaque;
        }
        rmq__unlock(&pcons->lock);
        return err;
}

rmq_err_t
rmq_push_consumer_set_listener_concurrently(rmq_push_consumer_t *pcons,
                                            rmq_listener_concurrently_cb_t *cb,
                                            void *opaque) {
        return set_listener(pcons, cb, NULL, opaque);
}

rmq_err_t rmq_push_consumer_set_listener_orderly(rmq_push_consumer_t *pcons,
                                                 rmq_listener_orderly_cb_t *cb,
                                                 void *opaque) {
        return set_listener(pcons, NULL, cb, opaque);
}

rmq_err_t rmq_push_consumer_add_consume_hook(rmq_push_consumer_t *pcons,
                                             const char *name,
                                             rmq_consume_hook_cb_t *before,
                                             rmq_consume_hook_cb_t *after,
                                             void *opaque) {
        rmq_err_t err;
        if (!pcons || !name || (!before && !after))
                return RMQ_ERR__INVALID_ARG;
        rmq__lock(&pcons->lock);
        err = before_start(pcons);
        if (!err && pcons->hook_cnt == PC_MAX_HOOKS)
                err = RMQ_ERR__INVALID_ARG;
        if (!err) {
                consume_hook_t *h = &pcons->hooks[pcons->hook_cnt++];
                h->name           = rmq__strdup(name);
                h->before         = before;
                h->after          = after;
                h->opaque         = opaque;
        }
        rmq__unlock(&pcons->lock);
        if (!err)
                rmq__log(&pcons->lg, RMQ_LOG_INFO, "CONSUMER",
                         "register consumeMessageHook Hook, %s", name);
        return err;
}

static rmq_err_t set_alloc(rmq_push_consumer_t *pcons, rmq_allocate_t *a) {
        rmq_err_t err;
        if (!a)
                return RMQ_ERR__INVALID_ARG;
        rmq__lock(&pcons->lock);
        err = before_start(pcons);
        if (!err) {
                rmq__allocate_destroy(pcons->alloc_pending);
                pcons->alloc_pending = a;
        }
        rmq__unlock(&pcons->lock);
        if (err)
                rmq__allocate_destroy(a);
        return err;
}

/* A public strategy behind the internal interface. */
typedef struct user_alloc_s {
        rmq_allocate_strategy_cb_t *cb;
        void *opaque;
} user_alloc_t;

static rmq_err_t user_alloc_cb(const char *group, const char *cid,
                               const rmq_mq_t *mq_all, size_t mq_cnt,
                               const char *const *cid_all, size_t cid_cnt,
                               rmq_mq_t **resultp, size_t *result_cnt,
                               char *errstr, size_t errstr_size, void *opaque) {
        user_alloc_t *ua = opaque;
        const rmq_message_queue_t **in =
            rmq__calloc(mq_cnt ? mq_cnt : 1, sizeof(*in));
        const rmq_message_queue_t **out = NULL;
        size_t i, n = 0;
        int rc;
        for (i = 0; i < mq_cnt; i++)
                in[i] = &mq_all[i];
        rc = ua->cb(group, cid, in, mq_cnt, cid_all, cid_cnt, &out, &n,
                    ua->opaque);
        rmq__free(in);
        *resultp    = NULL;
        *result_cnt = 0;
        if (rc) {
                free((void *)out);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__FAIL,
                                   "the allocation strategy failed (%d)", rc);
        }
        if (n && out) {
                *resultp = rmq__calloc(n, sizeof(**resultp));
                for (i = 0; i < n; i++)
                        rmq__mq_copy(&(*resultp)[i], out[i]);
                *result_cnt = n;
        }
        free((void *)out);
        return RMQ_OK;
}

rmq_err_t rmq_push_consumer_set_allocate_strategy(
    rmq_push_consumer_t *pcons, const char *name,
    rmq_allocate_strategy_cb_t *cb, void *opaque) {
        user_alloc_t *ua;
        if (!pcons || !name || !cb)
                return RMQ_ERR__INVALID_ARG;
        ua         = rmq__calloc(1, sizeof(*ua));
        ua->cb     = cb;
        ua->opaque = opaque;
        /* the strategy owns the adapter (set_alloc destroys a refused one) */
        return set_alloc(pcons, rmq__allocate_custom_owned(name, user_alloc_cb,
                                                           ua, rmq__free));
}

rmq_err_t
rmq_push_consumer_set_allocate_by_config(rmq_push_consumer_t *pcons,
                                         const rmq_message_queue_t *const *mqs,
                                         size_t cnt) {
        rmq_mq_t *v;
        rmq_allocate_t *a;
        size_t i;
        if (!pcons || (cnt && !mqs))
                return RMQ_ERR__INVALID_ARG;
        v = rmq__calloc(cnt ? cnt : 1, sizeof(*v));
        for (i = 0; i < cnt; i++)
                v[i] = *mqs[i]; /* shallow: copied by the strategy */
        a = rmq__allocate_by_config(v, cnt);
        rmq__free(v);
        return set_alloc(pcons, a);
}

rmq_err_t rmq_push_consumer_set_allocate_by_machine_room(
    rmq_push_consumer_t *pcons, const char *const *idcs, size_t cnt) {
        if (!pcons || (cnt && !idcs))
                return RMQ_ERR__INVALID_ARG;
        return set_alloc(pcons, rmq__allocate_by_machine_room(idcs, cnt));
}

/* ---- subscriptions ---- */

static rmq_err_t subscribe(rmq_push_consumer_t *pcons, const char *topic,
                           const char *expr, const char *type, char *errstr,
                           size_t errstr_size) {
        rmq_subscription_data_t sd, *copy;
        char *full;
        rmq_err_t err;
        bool started;
        if (!pcons || !topic || !*topic)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "the topic is empty");
        full = rmq__ns_wrap(pcons->conf->namespace_, topic);
        err  = rmq__subscription_build(&sd, full, expr, type, rmq__wall_ms());
        rmq__free(full);
        if (err)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "subscription exception: bad expression "
                                   "\"%s\" for topic %s",
                                   expr ? expr : "", topic);
        rmq__lock(&pcons->lock);
        started = pcons->state == PC_RUNNING;
        if (pcons->state == PC_CREATE_JUST) {
                copy  = rmq__calloc(1, sizeof(*copy));
                *copy = sd;
                copy  = rmq__strmap_set(&pcons->subs_pending, sd.topic, copy);
                rmq__unlock(&pcons->lock);
                if (copy) {
                        rmq__subscription_clear(copy);
                        rmq__free(copy);
                }
                return RMQ_OK;
        }
        rmq__unlock(&pcons->lock);
        if (!started) {
                rmq__subscription_clear(&sd);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                                   "the consumer is shut down");
        }
        rmq__rebalance_sub_put(&pcons->rb, &sd);
        /* the route, the brokers and a rebalance at once (Java sends the
         * heartbeat; the route and rebalance follow within their
         * periods) */
        rmq__client_update_route(pcons->ci, sd.topic, false, NULL, 0, NULL, 0);
        rmq__client_heartbeat_sync(pcons->ci);
        rmq__client_rebalance_now(pcons->ci);
        rmq__subscription_clear(&sd);
        return RMQ_OK;
}

rmq_err_t rmq_push_consumer_subscribe(rmq_push_consumer_t *pcons,
                                      const char *topic, const char *expression,
                                      char *errstr, size_t errstr_size) {
        return subscribe(pcons, topic, expression, "TAG", errstr, errstr_size);
}

rmq_err_t rmq_push_consumer_subscribe_sql(rmq_push_consumer_t *pcons,
                                          const char *topic, const char *sql,
                                          char *errstr, size_t errstr_size) {
        if (!sql || !*sql)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "the SQL92 expression is empty");
        return subscribe(pcons, topic, sql, "SQL92", errstr, errstr_size);
}

rmq_err_t rmq_push_consumer_unsubscribe(rmq_push_consumer_t *pcons,
                                        const char *topic) {
        rmq_subscription_data_t *sd;
        char *full;
        bool found;
        if (!pcons || !topic)
                return RMQ_ERR__INVALID_ARG;
        full = rmq__ns_wrap(pcons->conf->namespace_, topic);
        rmq__lock(&pcons->lock);
        if (pcons->state == PC_CREATE_JUST) {
                sd = rmq__strmap_del(&pcons->subs_pending, full);
                rmq__unlock(&pcons->lock);
                rmq__free(full);
                if (!sd)
                        return RMQ_ERR__NOT_FOUND;
                rmq__subscription_clear(sd);
                rmq__free(sd);
                return RMQ_OK;
        }
        rmq__unlock(&pcons->lock);
        found = pcons->rb_ready && rmq__rebalance_sub_remove(&pcons->rb, full);
        rmq__free(full);
        return found ? RMQ_OK : RMQ_ERR__NOT_FOUND;
}

/* ---- RebalancePushImpl ---- */

static rmq_push_consumer_t *rb_owner(rmq_rebalance_t *rb) {
        return rb->owner;
}

/* mirrors RebalancePushImpl.messageQueueChanged */
static void rb_mq_changed(rmq_rebalance_t *rb, const char *topic,
                          const rmq_mq_t *all, size_t n_all,
                          const rmq_mq_t *mine, size_t n_mine) {
        rmq_push_consumer_t *pcons = rb_owner(rb);
        const rmq_conf_t *conf     = pcons->conf;
        size_t cnt                 = rmq__rebalance_queue_count(rb);
        RMQ_UNUSED(all);
        RMQ_UNUSED(n_all);
        RMQ_UNUSED(mine);
        RMQ_UNUSED(n_mine);
        rmq__rebalance_sub_set_version(rb, topic, rmq__wall_ms());
        if (cnt) {
                if (conf->pullThresholdForTopic != -1) {
                        int64_t v =
                            RMQ_MAX((int64_t)1,
                                    conf->pullThresholdForTopic / (int64_t)cnt);
                        rmq__log(&pcons->lg, RMQ_LOG_INFO, "REBALANCE",
                                 "The pullThresholdForQueue is changed from "
                                 "%lld to %lld",
                                 (long long)atomic_load(
                                     &pcons->pull_threshold_for_queue),
                                 (long long)v);
                        atomic_store(&pcons->pull_threshold_for_queue, v);
                }
                if (conf->pullThresholdSizeForTopic != -1) {
                        int64_t v = RMQ_MAX((int64_t)1,
                                            conf->pullThresholdSizeForTopic /
                                                (int64_t)cnt);
                        rmq__log(&pcons->lg, RMQ_LOG_INFO, "REBALANCE",
                                 "The pullThresholdSizeForQueue is changed "
                                 "from %lld to %lld",
                                 (long long)atomic_load(
                                     &pcons->pull_threshold_size_for_queue),
                                 (long long)v);
                        atomic_store(&pcons->pull_threshold_size_for_queue, v);
                }
        }
        /* sendHeartbeatToAllBrokerWithLock: waited for, so that the pulls
         * dispatched next carry a version the brokers know */
        rmq__client_heartbeat_sync(pcons->ci);
}

/* A delayed oneway unlock (unlockDelay): its timer, then the rebalance
 * thread (unlock_later_due) sends it, unless the queue is this
 * consumer's again by then. The state (pcons->lock) says who owns it. */
enum { UL_TIMER, UL_DUE, UL_TAKEN };
typedef struct unlock_later_s {
        rmq_timer_t timer;
        rmq_push_consumer_t *pcons;
        rmq_mq_t mq;
        int state;
        rmq_list_t link; /* pcons->delayed_unlocks */
} unlock_later_t;

/* Sends the unlock (unless \p skip) and frees \p ul (UL_TAKEN). */
static void unlock_later_run(unlock_later_t *ul, bool skip) {
        rmq_push_consumer_t *pcons = ul->pcons;
        if (!skip)
                rmq__rebalance_unlock(&pcons->rb, &ul->mq, true);
        rmq__mq_clear(&ul->mq);
        rmq__lock(&pcons->lock);
        rmq__list_remove(&ul->link);
        uv_cond_broadcast(&pcons->cond);
        rmq__unlock(&pcons->lock);
        rmq__free(ul);
}

static void unlock_later_timer(rmq_timer_t *t, void *arg) {
        unlock_later_t *ul         = arg;
        rmq_push_consumer_t *pcons = ul->pcons;
        RMQ_UNUSED(t);
        rmq__lock(&pcons->lock);
        if (ul->state != UL_TIMER) {
                rmq__unlock(&pcons->lock);
                return;
        }
        ul->state = UL_DUE;
        rmq__unlock(&pcons->lock);
        rmq__client_rebalance_now(pcons->ci);
}

/* The due delayed unlocks, on the rebalance thread, between rebalance
 * rounds: a queue the rebalance took back meanwhile (locked again, in the
 * table, not dropped) keeps its lock. (Java's scheduled unlock fires
 * regardless, releasing the lock of a queue the consumer consumes again:
 * another consumer could then lock and consume it too.) Running here
 * orders the check with the rebalance's own locking. */
static void unlock_later_due(rmq_push_consumer_t *pcons) {
        for (;;) {
                unlock_later_t *ul = NULL;
                rmq_list_t *it;
                rmq_pq_t *pq;
                bool ours;
                char q[256];
                rmq__lock(&pcons->lock);
                for (it = pcons->delayed_unlocks.next;
                     it != &pcons->delayed_unlocks; it = it->next) {
                        unlock_later_t *x =
                            RMQ_CONTAINER_OF(it, unlock_later_t, link);
                        if (x->state == UL_DUE) {
                                x->state = UL_TAKEN;
                                ul       = x;
                                break;
                        }
                }
                rmq__unlock(&pcons->lock);
                if (!ul)
                        return;
                pq   = rmq__rebalance_pq(&pcons->rb, &ul->mq);
                ours = pq && !rmq__pq_dropped(pq);
                rmq__pq_release(pq);
                rmq__mq_format(&ul->mq, q, sizeof(q));
                rmq__log(&pcons->lg, RMQ_LOG_INFO, "REBALANCE",
                         "[%s]unlockDelay, execute at once%s", q,
                         ours ? ": skipped, the queue is consumed here again"
                              : "");
                unlock_later_run(ul, ours);
        }
}

/* The shutdown: every delayed unlock now. */
static void unlock_later_flush(rmq_push_consumer_t *pcons) {
        for (;;) {
                unlock_later_t *ul = NULL;
                rmq_list_t *it;
                rmq__lock(&pcons->lock);
                for (it = pcons->delayed_unlocks.next;
                     it != &pcons->delayed_unlocks; it = it->next) {
                        unlock_later_t *x =
                            RMQ_CONTAINER_OF(it, unlock_later_t, link);
                        if (x->state != UL_TAKEN) {
                                x->state = UL_TAKEN;
                                ul       = x;
                                break;
                        }
                }
                if (!ul) {
                        /* those the rebalance thread is sending */
                        while (!rmq__list_empty(&pcons->delayed_unlocks))
                                uv_cond_wait(&pcons->cond, &pcons->lock);
                        rmq__unlock(&pcons->lock);
                        return;
                }
                rmq__unlock(&pcons->lock);
                rmq__timer_stop(rmq__client_io(pcons->ci), &ul->timer);
                unlock_later_run(ul, false);
        }
}

/* mirrors RebalancePushImpl.unlockDelay */
static void unlock_delay(rmq_push_consumer_t *pcons, const rmq_mq_t *mq,
                         rmq_pq_t *pq) {
        char q[256];
        rmq__mq_format(mq, q, sizeof(q));
        if (rmq__pq_has_temp_message(pq)) {
                unlock_later_t *ul = rmq__calloc(1, sizeof(*ul));
                bool now           = false;
                ul->pcons          = pcons;
                ul->state          = UL_TIMER;
                rmq__mq_copy(&ul->mq, mq);
                rmq__timer_init(&ul->timer, unlock_later_timer, ul);
                rmq__log(&pcons->lg, RMQ_LOG_INFO, "REBALANCE",
                         "[%s]unlockDelay, begin %s", q, pcons->group);
                rmq__lock(&pcons->lock);
                rmq__list_insert_tail(&pcons->delayed_unlocks, &ul->link);
                if (atomic_load(&pcons->stopping) ||
                    rmq__timer_start(rmq__client_io(pcons->ci), &ul->timer,
                                     pcons->conf->unlockDelayTimeMills, 0)) {
                        ul->state = UL_TAKEN;
                        now       = true;
                }
                rmq__unlock(&pcons->lock);
                if (now)
                        unlock_later_run(ul, false);
        } else {
                rmq__rebalance_unlock(&pcons->rb, mq, true);
        }
}

/* mirrors RebalancePushImpl.removeUnnecessaryMessageQueue */
static bool rb_remove_unnecessary(rmq_rebalance_t *rb, const rmq_mq_t *mq,
                                  rmq_pq_t *pq) {
        rmq_push_consumer_t *pcons = rb_owner(rb);
        char q[256];
        rmq__offset_store_persist(pcons->offsets, mq);
        rmq__offset_store_remove(pcons->offsets, mq);
        if (pcons->orderly && rb->message_model == RMQ_HB_CLUSTERING) {
                if (rmq__pq_consume_trylock(pq, REMOVE_MQ_CONSUME_LOCK_MS)) {
                        unlock_delay(pcons, mq, pq);
                        rmq__pq_consume_unlock(pq);
                        return true;
                }
                rmq__mq_format(mq, q, sizeof(q));
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "REBALANCE",
                         "[WRONG]mq is consuming, so can not unlock it, %s. "
                         "maybe hanged for a while, %" PRId64,
                         q, rmq__pq_try_unlock_times(pq));
                rmq__pq_inc_try_unlock_times(pq);
                return false;
        }
        return true;
}

static void rb_remove_dirty_offset(rmq_rebalance_t *rb, const rmq_mq_t *mq) {
        rmq__offset_store_remove(rb_owner(rb)->offsets, mq);
}

/* MQAdminImpl.maxOffset / searchOffset (rmq_admin.c). */
static rmq_err_t admin_offset(rmq_push_consumer_t *pcons, const rmq_mq_t *mq,
                              bool search, int64_t ts, int64_t *offsetp) {
        char err[512], q[256];
        rmq_err_t e = search
                          ? rmq__admin_search_offset(&pcons->admin, mq, ts,
                                                     offsetp, err, sizeof(err))
                          : rmq__admin_max_offset(&pcons->admin, mq, offsetp,
                                                  err, sizeof(err));
        if (!e)
                return RMQ_OK;
        rmq__mq_format(mq, q, sizeof(q));
        rmq__log(&pcons->lg, RMQ_LOG_WARN, "REBALANCE",
                 "Compute consume offset from last offset exception, mq=%s, "
                 "exception=%s",
                 q, err);
        return e;
}

/* mirrors RebalancePushImpl.computePullFromWhereWithException */
static rmq_err_t rb_compute_from_where(rmq_rebalance_t *rb, const rmq_mq_t *mq,
                                       int64_t *offsetp) {
        rmq_push_consumer_t *pcons = rb_owner(rb);
        int64_t last =
            rmq__offset_store_read(pcons->offsets, mq, RMQ_READ_FROM_STORE);
        bool retry = rmq__is_retry_topic(mq->topic);
        *offsetp   = -1;
        if (last >= 0) {
                *offsetp = last;
                return RMQ_OK;
        }
        if (last != RMQ_OFFSET_NOT_FOUND)
                return RMQ_OK; /* -1: skipped this round */
        switch (pcons->conf->consumeFromWhere) {
        case RMQ_HB_CONSUME_FROM_FIRST_OFFSET:
                *offsetp = 0;
                return RMQ_OK;
        case RMQ_HB_CONSUME_FROM_TIMESTAMP:
                if (retry)
                        return admin_offset(pcons, mq, false, 0, offsetp);
                return admin_offset(pcons, mq, true,
                                    pcons->consume_timestamp_ms, offsetp);
        default: /* LAST_OFFSET and the deprecated MIN/MAX ones */
                if (retry) {
                        *offsetp = 0;
                        return RMQ_OK;
                }
                return admin_offset(pcons, mq, false, 0, offsetp);
        }
}

/* mirrors RebalancePushImpl.dispatchPullRequest */
static void rb_dispatch(rmq_rebalance_t *rb, rmq_rb_added_t *added, size_t n) {
        rmq_push_consumer_t *pcons = rb_owner(rb);
        size_t i;
        for (i = 0; i < n; i++) {
                rmq_pc_queue_t *q = rmq__pc_queue_new(added[i].mq, added[i].pq);
                char s[256];
                q->stats = rmq__consumer_stats_entry(pcons->stats, pcons->group,
                                                     added[i].mq->topic);
                rmq__mq_format(added[i].mq, s, sizeof(s));
                rmq__log(&pcons->lg, RMQ_LOG_INFO, "REBALANCE",
                         "doRebalance, %s, add a new pull request %s "
                         "nextOffset=%" PRId64,
                         pcons->group, s, added[i].next_offset);
                rmq__pull_request_new(pcons, q, added[i].next_offset);
                rmq__pc_queue_release(q);
                rmq__pq_release(added[i].pq); /* the callee's reference */
        }
}

static const rmq_rebalance_ops_t push_rb_ops = {
    RMQ_HB_CONSUME_PASSIVELY, rb_mq_changed,         rb_remove_unnecessary,
    rb_remove_dirty_offset,   rb_compute_from_where, rb_dispatch};

/* ---- send back ---- */

/* The message a failed send-back becomes (sendMessageBack's fallback,
 * ConsumeMessageOrderlyService.sendMessageBack): for the group's retry
 * topic, body, flag and properties of \p mx. */
static rmq_message_t *retry_message(rmq_push_consumer_t *pcons,
                                    const rmq_message_ext_t *mx,
                                    int32_t reconsume_time, int32_t max) {
        char *retry        = rmq__retry_topic(pcons->group);
        rmq_message_t *msg = rmq_message_new(retry);
        const char *origin =
            rmq_message_ext_property(mx, RMQ_PROP_ORIGIN_MESSAGE_ID);
        const char *n, *v;
        size_t i, len;
        const void *body = rmq_message_ext_body(mx, &len);
        char num[16];
        char *topic_ns = rmq__ns_wrap(pcons->conf->namespace_, mx->topic);
        rmq__free(retry);
        if (len)
                rmq_message_set_body(msg, body, len);
        rmq_message_set_flag(msg, mx->flag);
        for (i = 0; rmq_message_ext_property_at(mx, i, &n, &v); i++)
                rmq__message_put_property(msg, n, v);
        rmq__message_put_property(
            msg, RMQ_PROP_ORIGIN_MESSAGE_ID,
            origin && *origin ? origin : rmq_message_ext_msg_id(mx));
        rmq__message_put_property(msg, RMQ_PROP_RETRY_TOPIC, topic_ns);
        rmq__free(topic_ns);
        snprintf(num, sizeof(num), "%d", reconsume_time);
        rmq__message_put_property(msg, RMQ_PROP_RECONSUME_TIME, num);
        snprintf(num, sizeof(num), "%d", max);
        rmq__message_put_property(msg, RMQ_PROP_MAX_RECONSUME_TIMES, num);
        rmq__message_remove_property(msg, RMQ_PROP_TRAN_MSG);
        rmq_message_set_delay_time_level(msg, 3 + rmq__mx_reconsume_times(mx));
        return msg;
}

/* Sends \p msg with the instance's producer. */
static rmq_err_t inner_send(rmq_push_consumer_t *pcons, rmq_message_t *msg,
                            char *errstr, size_t errstr_size) {
        rmq_producer_t *prod =
            rmq__client_inner_producer(pcons->ci, errstr, errstr_size);
        rmq_send_result_t *res = NULL;
        rmq_err_t err;
        if (!prod)
                return RMQ_ERR__STATE;
        err = rmq_producer_send(prod, msg, &res, errstr, errstr_size);
        rmq_send_result_destroy(res);
        return err;
}

/* mirrors DefaultMQPushConsumerImpl.sendMessageBack */
rmq_err_t rmq__pcons_send_back(rmq_push_consumer_t *pcons,
                               const rmq_message_ext_t *mx, int delay_level,
                               const char *broker_name, char *errstr,
                               size_t errstr_size) {
        char addr[128], err[512];
        rmq_message_t *msg;
        char *topic_ns;
        rmq_err_t e;
        bool have   = false;
        int32_t max = rmq__pcons_max_reconsume_times(pcons);
        if (broker_name)
                have = rmq__client_broker_addr_in_publish(
                    pcons->ci, broker_name, addr, sizeof(addr));
        else
                have = rmq__strlcpy(addr, rmq_message_ext_store_host(mx),
                                    sizeof(addr)) < sizeof(addr);
        topic_ns = rmq__ns_wrap(pcons->conf->namespace_, mx->topic);
        if (have) {
                e = rmq__api_consumer_send_msg_back(
                    pcons->ci, addr, broker_name, mx->commitLogOffset,
                    pcons->group, delay_level, rmq_message_ext_msg_id(mx),
                    topic_ns, max, SEND_BACK_TIMEOUT_MS, err, sizeof(err));
        } else {
                e = RMQ_ERR__NO_BROKER;
                snprintf(err, sizeof(err), "The broker[%s] not exist",
                         broker_name ? broker_name : "");
        }
        rmq__free(topic_ns);
        if (!e)
                return RMQ_OK;
        rmq__log(&pcons->lg, RMQ_LOG_ERROR, "CONSUMER",
                 "sendMessageBack Exception, %s: %s; sending it to the retry "
                 "topic",
                 pcons->group, err);
        msg = retry_message(pcons, mx, rmq__mx_reconsume_times(mx) + 1, max);
        e   = inner_send(pcons, msg, errstr, errstr_size);
        rmq_message_destroy(msg);
        return e;
}

rmq_err_t rmq__pcons_send_to_retry(rmq_push_consumer_t *pcons,
                                   const rmq_message_ext_t *mx,
                                   int32_t reconsume_times,
                                   int32_t max_reconsume_times, char *errstr,
                                   size_t errstr_size) {
        rmq_message_t *msg =
            retry_message(pcons, mx, reconsume_times, max_reconsume_times);
        rmq_err_t e = inner_send(pcons, msg, errstr, errstr_size);
        rmq_message_destroy(msg);
        return e;
}

rmq_err_t rmq_push_consumer_send_message_back(
    rmq_push_consumer_t *pcons, const rmq_message_ext_t *mx, int delay_level,
    const char *broker_name, char *errstr, size_t errstr_size) {
        if (!pcons || !mx)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "NULL argument");
        if (!running(pcons))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                                   "The consumer service state not OK");
        return rmq__pcons_send_back(pcons, mx, delay_level, broker_name, errstr,
                                    errstr_size);
}

/* ---- the member ---- */

static void m_heartbeat_data(void *impl, rmq_heartbeat_data_t *hb) {
        rmq_push_consumer_t *pcons = impl;
        rmq__consumer_heartbeat_data(&pcons->rb, pcons->conf,
                                     RMQ_HB_CONSUME_PASSIVELY,
                                     (int)pcons->conf->consumeFromWhere, hb);
}

static void m_collect_topics(void *impl, rmq_strmap_t *topics) {
        rmq_push_consumer_t *pcons = impl;
        rmq__consumer_collect_topics(&pcons->rb, topics);
}

static void m_do_rebalance(void *impl) {
        rmq_push_consumer_t *pcons = impl;
        if (!atomic_load(&pcons->stopping))
                unlock_later_due(pcons);
        if (!rmq__pcons_paused(pcons) && !atomic_load(&pcons->stopping))
                rmq__rebalance_do(&pcons->rb, pcons->orderly);
}

/* mirrors DefaultMQPushConsumerImpl.persistConsumerOffset */
static void m_persist_offsets(void *impl) {
        rmq_push_consumer_t *pcons = impl;
        size_t n;
        rmq_mq_t *mqs = rmq__rebalance_queues(&pcons->rb, NULL, &n);
        rmq__offset_store_persist_all(pcons->offsets, mqs, n);
        rmq__mq_array_free(mqs, n);
}

/* ---- broker requests ---- */

/* The reset of RESET_CONSUMER_CLIENT_OFFSET, on the scheduler thread. */
typedef struct reset_job_s {
        rmq_job_t job;
        rmq_push_consumer_t *pcons;
        char *topic;
        rmq_mq_offset_t *offsets;
        size_t n;
} reset_job_t;

/* mirrors MQClientInstance.resetOffset. DELIBERATE DIFFERENCE: Java
 * sleeps 10 s between dropping the queues and writing the offsets,
 * hoping the pulls in flight end by then; here the pulls of the dropped
 * queues are cancelled, the offsets are committed with acknowledged
 * requests, and the queues come back at the rebalance that follows at
 * once, from the new offsets. */
static void reset_run(rmq_job_t *job) {
        reset_job_t *rj            = RMQ_CONTAINER_OF(job, reset_job_t, job);
        rmq_push_consumer_t *pcons = rj->pcons;
        rmq_pq_t **pqs;
        rmq_mq_t *mqs, *done;
        size_t n, i, j, n_done = 0;
        char err[256];

        atomic_fetch_add(&pcons->reset_pause, 1);
        mqs = rmq__rebalance_queues(&pcons->rb, &pqs, &n);
        for (i = 0; i < n; i++) {
                /* only the queues of the request's table (a broker sends
                 * its own queues): the others go on */
                for (j = 0; j < rj->n; j++)
                        if (rmq__mq_equal(&mqs[i], &rj->offsets[j].mq))
                                break;
                if (!strcmp(mqs[i].topic, rj->topic) && j < rj->n) {
                        rmq__pq_set_dropped(pqs[i], true);
                        rmq__pq_clear(pqs[i]);
                }
        }
        rmq__pull_cancel_dropped(pcons);
        done = rmq__calloc(n ? n : 1, sizeof(*done));
        for (i = 0; i < n; i++) {
                for (j = 0; j < rj->n; j++) {
                        if (!rmq__mq_equal(&mqs[i], &rj->offsets[j].mq))
                                continue;
                        rmq__offset_store_update(pcons->offsets, &mqs[i],
                                                 rj->offsets[j].offset, false);
                        done[n_done++] = mqs[i];
                }
        }
        if (n_done && rmq__offset_remote_commit_sync(
                          pcons->offsets, done, n_done,
                          rmq__mono_ms() + pcons->conf->mqClientApiTimeout,
                          NULL, err, sizeof(err)))
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "OFFSET",
                         "[reset-offset] committing the new offsets of %s "
                         "failed: %s",
                         rj->topic, err);
        for (i = 0; i < n_done; i++)
                rmq__rebalance_remove_pq(&pcons->rb, &done[i]);
        rmq__free(done);
        for (i = 0; i < n; i++)
                rmq__pq_release(pqs[i]);
        rmq__free(pqs);
        rmq__mq_array_free(mqs, n);
        atomic_fetch_sub(&pcons->reset_pause, 1);
        rmq__log(&pcons->lg, RMQ_LOG_INFO, "OFFSET",
                 "[reset-offset] %s of %s: %zu queues reset", rj->topic,
                 pcons->group, n_done);
        rmq__client_rebalance_now(pcons->ci);
        rmq__lock(&pcons->lock);
        pcons->resets--;
        uv_cond_broadcast(&pcons->cond);
        rmq__unlock(&pcons->lock);
        rmq__free(rj->topic);
        rmq__offset_table_free(rj->offsets, rj->n);
        rmq__free(rj);
}

static rmq_cmd_t *on_reset_offset(rmq_push_consumer_t *pcons,
                                  const rmq_cmd_t *req) {
        const char *topic = rmq__cmd_ext(req, "topic");
        reset_job_t *rj;
        char err[256];
        rmq_mq_offset_t *offsets = NULL;
        size_t n                 = 0;
        if (!topic ||
            rmq__offset_table_decode(req->body, req->body_len, "offsetTable",
                                     NULL, &offsets, &n, err, sizeof(err))) {
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "OFFSET",
                         "[reset-offset] a bad request: %s",
                         topic ? err : "no topic");
                return NULL;
        }
        rj          = rmq__calloc(1, sizeof(*rj));
        rj->pcons   = pcons;
        rj->topic   = rmq__strdup(topic);
        rj->offsets = offsets;
        rj->n       = n;
        rj->job.fn  = reset_run;
        rmq__lock(&pcons->lock);
        if (pcons->state != PC_RUNNING || atomic_load(&pcons->stopping)) {
                rmq__unlock(&pcons->lock);
                rmq__free(rj->topic);
                rmq__offset_table_free(offsets, n);
                rmq__free(rj);
                return NULL;
        }
        pcons->resets++;
        rmq__unlock(&pcons->lock);
        if (rmq__pool_submit(rmq__client_sched_pool(pcons->ci), &rj->job)) {
                /* the instance is stopping: no reset */
                rmq__lock(&pcons->lock);
                pcons->resets--;
                uv_cond_broadcast(&pcons->cond);
                rmq__unlock(&pcons->lock);
                rmq__free(rj->topic);
                rmq__offset_table_free(rj->offsets, rj->n);
                rmq__free(rj);
                return rmq__cmd_new_response(RMQ_ERR_SYSTEM_ERROR,
                                             "the consumer is shutting down");
        }
        /* ClientRemotingProcessor.resetOffset answers SUCCESS at once */
        return rmq__cmd_new_response(RMQ_OK, NULL);
}

/* The statistics document's "consumer" object (docs/STATISTICS.md):
 * the figures the running info reports, from the same sources. */
static void stats_fill(void *impl, cJSON *doc) {
        rmq_push_consumer_t *pcons = impl;
        size_t nq;
        rmq_pq_t **pqs;
        rmq_mq_t *mqs = rmq__rebalance_queues(&pcons->rb, &pqs, &nq);
        cJSON *c      = rmq__consumer_stats_doc(doc, pcons->stats, pcons->group,
                                                &pcons->rb, mqs, pqs, nq);
        cJSON_AddStringToObject(c, "consumer_type", "push");
        cJSON_AddBoolToObject(c, "paused", rmq__pcons_paused(pcons));
        rmq__stats_num(c, "queue_flow_control_times",
                       (double)atomic_load(&pcons->queue_flow_control_times));
        rmq__stats_num(
            c, "queue_max_span_flow_control_times",
            (double)atomic_load(&pcons->queue_max_span_flow_control_times));
        rmq__stats_num(c, "trace_dropped",
                       (double)rmq_push_consumer_trace_dropped(pcons));
}

/* mirrors ClientRemotingProcessor.getConsumeStatus */
/* mirrors DefaultMQPushConsumerImpl.consumerRunningInfo and
 * MQClientInstance.consumerRunningInfo */
static rmq_cmd_t *on_running_info(rmq_push_consumer_t *pcons) {
        rmq_consumer_running_info_t info;
        rmq_subscription_data_t *subs;
        rmq_pq_t **pqs;
        rmq_mq_t *mqs;
        size_t n, i;
        char val[64];

        rmq__consumer_running_info_base(&info, pcons->ci, pcons->conf,
                                        pcons->group, pcons->start_ms,
                                        "CONSUME_PASSIVELY");
        rmq__running_info_add_prop(&info, RMQ_PROP_CONSUME_ORDERLY,
                                   pcons->orderly ? "true" : "false");
        snprintf(val, sizeof(val), "%" PRId64, pcons->conf->consumeThreadMin);
        rmq__running_info_add_prop(&info, RMQ_PROP_THREADPOOL_CORE_SIZE, val);

        subs = rmq__rebalance_subs(&pcons->rb, &n);
        for (i = 0; i < n; i++) {
                rmq_consume_stat_t cs;
                rmq__running_info_add_subscription(&info, &subs[i]);
                rmq__consumer_stats_consume_status(pcons->stats, pcons->group,
                                                   subs[i].topic, &cs);
                rmq__running_info_add_status(&info, subs[i].topic, &cs);
        }
        rmq__rebalance_subs_free(subs, n);

        mqs = rmq__rebalance_queues(&pcons->rb, &pqs, &n);
        for (i = 0; i < n; i++) {
                rmq_process_queue_info_t pi;
                memset(&pi, 0, sizeof(pi));
                pi.commitOffset = rmq__offset_store_read(
                    pcons->offsets, &mqs[i], RMQ_MEMORY_FIRST_THEN_STORE);
                rmq__pq_fill_info(pqs[i], &pi);
                rmq__running_info_add_mq(&info, &mqs[i], &pi);
                rmq__pq_release(pqs[i]);
        }
        rmq__free(pqs);
        rmq__mq_array_free(mqs, n);

        return rmq__consumer_running_info_response(&info);
}

/* mirrors ClientRemotingProcessor.consumeMessageDirectly */
static rmq_cmd_t *on_consume_directly(rmq_push_consumer_t *pcons,
                                      const rmq_cmd_t *req) {
        const char *broker = rmq__cmd_ext(req, "brokerName");
        rmq_msg_decode_opts_t opts;
        rmq_msg_batch_t *batch = NULL;
        rmq_consume_directly_result_t res;
        rmq_cmd_t *resp;
        rmq_buf_t b;
        char err[256];
        memset(&opts, 0, sizeof(opts));
        opts.brokerName = broker;
        opts.retryGroup = pcons->group;
        opts.ns         = pcons->conf->namespace_;
        if (!req->body ||
            rmq__msg_batch_decode(NULL, req->body, req->body_len, &opts, &batch,
                                  err, sizeof(err)) ||
            rmq__msg_batch_count(batch) == 0) {
                rmq__msg_batch_release(batch);
                return rmq__cmd_new_response(RMQ_ERR_SYSTEM_ERROR,
                                             "the message body cannot be "
                                             "decoded");
        }
        memset(&res, 0, sizeof(res));
        res.autoCommit    = true;
        res.consumeResult = -1;
        rmq__consume_directly(pcons, rmq__msg_batch_at(batch, 0), broker, &res);
        rmq__msg_batch_release(batch);
        rmq__buf_init(&b, 256);
        rmq__consume_directly_result_encode(&res, &b);
        rmq__free(res.remark);
        resp = rmq__cmd_new_response(RMQ_OK, NULL);
        rmq__cmd_set_body_copy(resp, b.data, b.len);
        rmq__buf_free(&b);
        return resp;
}

static rmq_cmd_t *m_process_request(void *impl, const char *addr,
                                    const rmq_cmd_t *req) {
        rmq_push_consumer_t *pcons = impl;
        RMQ_UNUSED(addr);
        switch (req->code) {
        case RMQ_REQ_RESET_CONSUMER_CLIENT_OFFSET:
                return on_reset_offset(pcons, req);
        case RMQ_REQ_GET_CONSUMER_STATUS_FROM_CLIENT:
                return rmq__consumer_status_response(pcons->offsets, req);
        case RMQ_REQ_GET_CONSUMER_RUNNING_INFO:
                return on_running_info(pcons);
        case RMQ_REQ_CONSUME_MESSAGE_DIRECTLY:
                return on_consume_directly(pcons, req);
        default:
                return NULL;
        }
}

/* (No route_updated: the instance keeps the routes the rebalance reads.
 * No need_update: Java's isSubscribeTopicNeedUpdate asks for a topic
 * with no route yet, which the instance counts as changed anyway.) */
static const rmq_member_ops_t push_member_ops = {
    RMQ_MEMBER_CONSUMER, m_heartbeat_data,  m_collect_topics, NULL, NULL,
    m_do_rebalance,      m_persist_offsets, m_process_request};

/* ---- start ---- */

/* checkConfig: what the property table does not check already. */
static rmq_err_t check_config(rmq_push_consumer_t *pcons, char *errstr,
                              size_t errstr_size) {
        const rmq_conf_t *c = pcons->conf;
        rmq_err_t err =
            rmq__consumer_check_config(c, pcons->group, errstr, errstr_size);
        if (err)
                return err;
        if (!pcons->listener_c && !pcons->listener_o)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "messageListener is null: set one with "
                                   "rmq_push_consumer_set_listener_*()");
        if (c->consumeThreadMin > c->consumeThreadMax)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "consumeThreadMin (%" PRId64
                                   ") is larger than consumeThreadMax (%" PRId64
                                   ")",
                                   c->consumeThreadMin, c->consumeThreadMax);
        return RMQ_OK;
}

/* copySubscription: the subscriptions given before start, and the retry
 * topic's for a clustering consumer. */
static void copy_subscription(rmq_push_consumer_t *pcons) {
        rmq_strmap_entry_t *it = NULL, *e;
        size_t b;
        while ((e = rmq__strmap_next(&pcons->subs_pending, &it, &b)))
                rmq__rebalance_sub_put(&pcons->rb, e->value);
        if (pcons->rb.message_model == RMQ_HB_CLUSTERING) {
                rmq_subscription_data_t sd;
                char *retry = rmq__retry_topic(pcons->group);
                if (!rmq__subscription_build(&sd, retry, "*", "TAG",
                                             rmq__wall_ms())) {
                        rmq__rebalance_sub_put(&pcons->rb, &sd);
                        rmq__subscription_clear(&sd);
                }
                rmq__free(retry);
        }
}

static void free_pending_sub(void *p) {
        rmq__subscription_clear(p);
        rmq__free(p);
}

/* Undoes a failed start after the instance was acquired. */
static void start_undo(rmq_push_consumer_t *pcons) {
        rmq__consume_service_stop(pcons);
        if (pcons->offsets) {
                rmq__offset_store_destroy(pcons->offsets);
                pcons->offsets = NULL;
        }
        if (pcons->rb_ready) {
                rmq__rebalance_destroy(&pcons->rb);
                pcons->rb_ready = false;
        }
        rmq__client_release(pcons->ci);
        pcons->ci = NULL;
}

/* Creates the trace dispatcher and registers its consume hook, before the
 * consumer joins its instance (nothing is consumed yet). */
static void trace_hook(rmq_push_consumer_t *pcons) {
        consume_hook_t *h;
        if (pcons->tracer)
                return;
        if (pcons->hook_cnt >= PC_MAX_HOOKS) {
                rmq__log(&pcons->lg, RMQ_LOG_WARN, "TRACE",
                         "enableMsgTrace: no room for the trace hook (8 "
                         "hooks registered): no message trace");
                return;
        }
        pcons->tracer = rmq__tracer_new(pcons->conf, &pcons->lg,
                                        pcons->group_user);
        rmq__lock(&pcons->lock);
        h         = &pcons->hooks[pcons->hook_cnt++];
        h->name   = rmq__strdup("ConsumeMessageTraceHook");
        h->before = rmq__trace_consume_before;
        h->after  = rmq__trace_consume_after;
        h->opaque = pcons->tracer;
        rmq__unlock(&pcons->lock);
}

rmq_err_t rmq_push_consumer_start(rmq_push_consumer_t *pcons, char *errstr,
                                  size_t errstr_size) {
        rmq_allocate_t *alloc;
        rmq_err_t err;
        int model;

        if (!pcons)
                return RMQ_ERR__INVALID_ARG;
        rmq__lock(&pcons->lock);
        if (pcons->state != PC_CREATE_JUST) {
                int st = pcons->state;
                rmq__unlock(&pcons->lock);
                return rmq__seterr(
                    errstr, errstr_size, RMQ_ERR__STATE,
                    "The PushConsumer service state not OK, maybe started "
                    "once, %s",
                    st == PC_RUNNING            ? "RUNNING"
                    : st == PC_SHUTDOWN_ALREADY ? "SHUTDOWN_ALREADY"
                                                : "START_FAILED");
        }
        pcons->state = PC_START_FAILED;
        rmq__unlock(&pcons->lock);

        /* DefaultMQPushConsumer.start: the group gets the namespace */
        rmq__free(pcons->group); /* (a start refused before may have set it) */
        pcons->group = rmq__ns_wrap(pcons->conf->namespace_, pcons->group_user);
        if ((err = check_config(pcons, errstr, errstr_size)))
                return err;
        model     = rmq__consumer_message_model(pcons->conf);
        pcons->ci = rmq__client_acquire(pcons->conf);
        rmq__logger_from_conf(&pcons->lg, pcons->conf,
                              rmq__client_id(pcons->ci));
        pcons->stats         = rmq__client_consumer_stats(pcons->ci);
        alloc                = pcons->alloc_pending ? pcons->alloc_pending
                                                    : rmq__consumer_conf_allocate(pcons->conf);
        pcons->alloc_pending = NULL;
        rmq__rebalance_init(&pcons->rb, &push_rb_ops, pcons, pcons->ci,
                            &pcons->lg, pcons->group, model, alloc,
                            pcons->conf->rebalanceLockMaxLiveTime,
                            pcons->conf->pullMaxIdleTime);
        pcons->rb_ready = true;
        copy_subscription(pcons);
        rmq__strmap_clear(&pcons->subs_pending, free_pending_sub);

        err = rmq__consumer_offsets_new(&pcons->offsets, pcons->ci, pcons->conf,
                                        pcons->group, model, &pcons->lg, errstr,
                                        errstr_size);
        if (err) {
                start_undo(pcons);
                return err;
        }
        rmq__consume_service_start(pcons);
        /* DefaultMQPushConsumer(enableMsgTrace): the trace hook */
        if (pcons->conf->enableMsgTrace)
                trace_hook(pcons);
        err = rmq__client_register(pcons->ci, pcons->group, &push_member_ops,
                                   pcons);
        if (err) {
                start_undo(pcons);
                rmq__lock(&pcons->lock);
                pcons->state = PC_CREATE_JUST;
                rmq__unlock(&pcons->lock);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "The consumer group[%s] has been created "
                                   "before, specify another name please.",
                                   pcons->group);
        }
        err = rmq__client_start(pcons->ci, errstr, errstr_size);
        if (err) {
                rmq__client_unregister(pcons->ci, RMQ_MEMBER_CONSUMER,
                                       pcons->group);
                start_undo(pcons);
                return err;
        }
        consume_service_timers(pcons);
        /* traceDispatcher.start; a failure is only logged */
        if (pcons->tracer)
                rmq__tracer_start(pcons->tracer, pcons->conf, "CONSUME",
                                  pcons->ci);
        pcons->start_ms = rmq__wall_ms();
        rmq__lock(&pcons->lock);
        pcons->state = PC_RUNNING;
        rmq__unlock(&pcons->lock);
        pcons->reporter =
            rmq__stats_reporter_start(pcons->ci, pcons->conf, "push_consumer",
                                      pcons->group, stats_fill, pcons);
        rmq__log(&pcons->lg, RMQ_LOG_INFO, "CONSUMER",
                 "the consumer [%s] start OK. messageModel=%s, "
                 "isUnitMode=%s",
                 pcons->group, rmq__message_model_name(model),
                 pcons->conf->unitMode ? "true" : "false");

        /* updateTopicSubscribeInfoWhenSubscriptionChanged, then the
         * heartbeat; a topic the heartbeat made (the group's retry topic,
         * which a broker creates for a new clustering group) gets its
         * route before the first rebalance instead of 20 s later. */
        rmq__consumer_update_sub_routes(&pcons->rb, false);
        if ((err = rmq__consumer_check_client_in_broker(&pcons->rb, pcons->conf,
                                                        errstr, errstr_size))) {
                /* Java throws out of start() with the consumer running;
                 * here it is shut down, and the error returned */
                rmq__log(&pcons->lg, RMQ_LOG_ERROR, "CONSUMER", "%s",
                         errstr ? errstr : "checkClientInBroker failed");
                rmq_push_consumer_shutdown(pcons);
                return err;
        }
        rmq__client_heartbeat_sync(pcons->ci);
        rmq__consumer_update_sub_routes(&pcons->rb, true);
        rmq__client_rebalance_now(pcons->ci);
        return RMQ_OK;
}

/* ---- shutdown ---- */

/* The offsets consumed, committed before the group leaves. */
static void commit_offsets(rmq_push_consumer_t *pcons) {
        size_t n;
        rmq_mq_t *mqs = rmq__rebalance_queues(&pcons->rb, NULL, &n);
        rmq__consumer_commit_at_shutdown(pcons->offsets, pcons->conf,
                                         pcons->rb.message_model, &pcons->lg,
                                         pcons->group, mqs, n);
        rmq__mq_array_free(mqs, n);
}

rmq_err_t rmq_push_consumer_shutdown(rmq_push_consumer_t *pcons) {
        bool was_running;
        if (!pcons)
                return RMQ_ERR__INVALID_ARG;
        if (on_own_thread(pcons))
                return RMQ_ERR__WOULD_DEADLOCK;
        rmq__lock(&pcons->lock);
        was_running = pcons->state == PC_RUNNING;
        if (was_running)
                pcons->state = PC_SHUTDOWN_ALREADY;
        rmq__unlock(&pcons->lock);
        if (!was_running)
                return RMQ_OK;
        rmq__stats_reporter_stop(pcons->reporter);
        pcons->reporter = NULL;
        /* 1. no new pull; those in flight are cancelled */
        rmq__pull_stop_all(pcons);
        /* 2. resets and admin calls in progress end */
        rmq__lock(&pcons->lock);
        while (pcons->resets > 0 || pcons->admin_calls > 0)
                uv_cond_wait(&pcons->cond, &pcons->lock);
        rmq__unlock(&pcons->lock);
        /* 3. the consume service: queued requests dropped, running
         * listeners finish; orderly queues unlocked */
        rmq__consume_service_stop(pcons);
        /* delayed unlocks: now */
        unlock_later_flush(pcons);
        /* 4. offsets */
        commit_offsets(pcons);
        /* 5. leave the group (UNREGISTER_CLIENT) */
        rmq__client_unregister(pcons->ci, RMQ_MEMBER_CONSUMER, pcons->group);
        rmq__rebalance_destroy(&pcons->rb);
        pcons->rb_ready = false;
        rmq__offset_store_destroy(pcons->offsets);
        pcons->offsets = NULL;
        rmq__log(&pcons->lg, RMQ_LOG_INFO, "CONSUMER",
                 "the consumer [%s] shutdown OK", pcons->group);
        /* traceDispatcher.shutdown() (Java: after the consumer's): the
         * last traces go out, before the instance may go */
        rmq__tracer_shutdown(pcons->tracer);
        rmq__client_release(pcons->ci);
        pcons->ci    = NULL;
        pcons->stats = NULL;
        return RMQ_OK;
}

void rmq_push_consumer_destroy(rmq_push_consumer_t *pcons) {
        int i;
        if (!pcons)
                return;
        if (rmq_push_consumer_shutdown(pcons) == RMQ_ERR__WOULD_DEADLOCK) {
                rmq__log(&pcons->lg, RMQ_LOG_ERROR, "CONSUMER",
                         "rmq_push_consumer_destroy() called from a library "
                         "thread (a listener or callback): refused, the "
                         "consumer [%s] stays alive; destroy it from an "
                         "application thread",
                         pcons->group ? pcons->group : pcons->group_user);
                return;
        }
        rmq__strmap_clear(&pcons->subs_pending, free_pending_sub);
        rmq__allocate_destroy(pcons->alloc_pending);
        for (i = 0; i < pcons->hook_cnt; i++)
                rmq__free(pcons->hooks[i].name);
        rmq__tracer_destroy(pcons->tracer);
        uv_cond_destroy(&pcons->cond);
        uv_mutex_destroy(&pcons->lock);
        rmq__free(pcons->group);
        rmq__free(pcons->group_user);
        rmq_conf_destroy(pcons->conf);
        rmq__free(pcons);
}

/* ---- other operations ---- */

void rmq_push_consumer_suspend(rmq_push_consumer_t *pcons) {
        if (!pcons)
                return;
        atomic_store(&pcons->paused, true);
        rmq__log(&pcons->lg, RMQ_LOG_INFO, "CONSUMER",
                 "suspend this consumer, %s",
                 pcons->group ? pcons->group : pcons->group_user);
}

void rmq_push_consumer_resume(rmq_push_consumer_t *pcons) {
        if (!pcons)
                return;
        atomic_store(&pcons->paused, false);
        if (running(pcons))
                rmq__client_rebalance_now(pcons->ci);
        rmq__log(&pcons->lg, RMQ_LOG_INFO, "CONSUMER",
                 "resume this consumer, %s",
                 pcons->group ? pcons->group : pcons->group_user);
}

int rmq_push_consumer_is_suspended(rmq_push_consumer_t *pcons) {
        return pcons && atomic_load(&pcons->paused) ? 1 : 0;
}

rmq_err_t rmq_push_consumer_fetch_subscribe_message_queues(
    rmq_push_consumer_t *pcons, const char *topic, rmq_message_queue_t ***mqsp,
    size_t *cntp, char *errstr, size_t errstr_size) {
        *mqsp = NULL;
        *cntp = 0;
        if (!pcons || !topic)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "NULL argument");
        if (!running(pcons))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                                   "The consumer service state not OK");
        return rmq__consumer_fetch_queues(pcons->ci, pcons->conf, topic, mqsp,
                                          cntp, errstr, errstr_size);
}

const char *rmq_push_consumer_group(const rmq_push_consumer_t *pcons) {
        return pcons ? pcons->group_user : NULL;
}

const char *rmq_push_consumer_client_id(const rmq_push_consumer_t *pcons) {
        return pcons && pcons->ci ? rmq__client_id(pcons->ci) : NULL;
}
