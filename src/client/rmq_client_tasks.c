/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The instance's scheduled tasks and services. mirrors
 * MQClientInstance.startScheduledTask (route refresh every
 * pollNameServerInterval from 10 ms, cleanOfflineBroker + heartbeat every
 * heartbeatBrokerInterval from 1 s, persistAllConsumerOffset every
 * persistConsumerOffsetInterval from 10 s, fetchNameServerAddr every
 * rocketmq.namesrv.domain.fetchInterval when no name server is set),
 * sendHeartbeatToAllBroker,
 * prepareHeartbeatData and RebalanceService.
 *
 * The timers run on the loop (the timer service) and only queue their
 * task on the scheduler thread, once at a time (a task still queued or
 * running when its timer fires again is not queued twice, like Java's
 * tryLock on lockHeartbeat). Requests are async, each with its own
 * deadline, so one dead broker never delays the others.
 */
#include <stdio.h>

#include "client/rmq_client_api.h"
#include "client/rmq_client_int.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "consumer/rmq_consumer_stats.h"

/* ---- task plumbing ---- */

static void task_job(rmq_job_t *job) {
        rmq_client_task_t *t = RMQ_CONTAINER_OF(job, rmq_client_task_t, job);
        t->run(t->ci);
        atomic_store(&t->queued, false);
}

/* @locality io thread */
static void task_timer_cb(rmq_timer_t *timer, void *arg) {
        rmq_client_task_t *t = arg;
        RMQ_UNUSED(timer);
        if (atomic_exchange(&t->queued, true))
                return; /* still queued or running */
        t->job.fn = task_job;
        if (rmq__pool_submit(t->ci->sched, &t->job))
                atomic_store(&t->queued, false);
}

static void task_init(rmq_client_t *ci, rmq_client_task_t *t,
                      void (*run)(rmq_client_t *ci)) {
        rmq__timer_init(&t->timer, task_timer_cb, t);
        t->ci  = ci;
        t->run = run;
        atomic_init(&t->queued, false);
}

/* ---- route refresh ---- */

/* mirrors MQClientInstance.updateTopicRouteInfoFromNameServer() */
void rmq__client_refresh_routes(rmq_client_t *ci) {
        rmq_strmap_t topics;
        rmq_strmap_entry_t *it = NULL, *e;
        rmq_member_t **mv;
        size_t b, i, n;
        rmq__strmap_init(&topics);
        mv = rmq__client_members_get(ci, -1, &n);
        for (i = 0; i < n; i++)
                if (mv[i]->ops->collect_topics)
                        mv[i]->ops->collect_topics(mv[i]->impl, &topics);
        rmq__client_members_put(ci, mv, n);
        while ((e = rmq__strmap_next(&topics, &it, &b))) {
                rmq__dbg(&ci->lg, ROUTE, "refreshing the route of %s", e->key);
                if (rmq__client_update_route_async(ci, e->key, false, NULL, 0,
                                                   NULL, NULL))
                        rmq__dbg(&ci->lg, ROUTE,
                                 "cannot queue a route request for %s", e->key);
        }
        rmq__strmap_clear(&topics, NULL);
}

/* ---- heartbeat ---- */

/* mirrors MQClientInstance.prepareHeartbeatData */
static void build_heartbeat(rmq_client_t *ci, rmq_buf_t *out,
                            bool *has_consumers) {
        rmq_heartbeat_data_t *hb = rmq__heartbeat_new(ci->client_id);
        rmq_member_t **mv;
        size_t i, n;
        mv = rmq__client_members_get(ci, -1, &n);
        for (i = 0; i < n; i++) {
                if (mv[i]->kind == RMQ_MEMBER_PRODUCER) {
                        /* the inner producer is added below, always */
                        if (strcmp(mv[i]->group,
                                   RMQ_CLIENT_INNER_PRODUCER_GROUP))
                                rmq__heartbeat_add_producer(hb, mv[i]->group);
                }
                else if (mv[i]->ops->heartbeat_data)
                        mv[i]->ops->heartbeat_data(mv[i]->impl, hb);
        }
        rmq__client_members_put(ci, mv, n);
        /* the instance's own DefaultMQProducer */
        rmq__heartbeat_add_producer(hb, RMQ_CLIENT_INNER_PRODUCER_GROUP);
        rmq__heartbeat_encode(hb, out);
        *has_consumers = hb->consumerDataSet_cnt > 0;
        rmq__heartbeat_destroy(hb);
}

/* Heartbeats in flight of one round; a sync round waits on it. */
typedef struct hb_round_s {
        rmq_client_t *ci;
        uv_mutex_t lock;
        uv_cond_t cond;
        int refs;     /* the round's owner + one per request */
        int accepted; /* brokers that answered SUCCESS */
        bool sync;
} hb_round_t;

typedef struct hb_req_s {
        hb_round_t *round;
        char *broker_name;
        char *addr;
} hb_req_t;

static void round_unref(hb_round_t *r) {
        bool last;
        uv_mutex_lock(&r->lock);
        last = --r->refs == 0;
        if (!last && r->sync)
                uv_cond_broadcast(&r->cond);
        uv_mutex_unlock(&r->lock);
        if (!last)
                return;
        uv_cond_destroy(&r->cond);
        uv_mutex_destroy(&r->lock);
        rmq__free(r);
}

static void heartbeat_done(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                           void *opaque) {
        hb_req_t *hr     = opaque;
        hb_round_t *r    = hr->round;
        rmq_client_t *ci = r->ci;
        if (err) {
                /* mirrors sendHeartbeatToAllBroker's exception log */
                if (rmq__client_addr_in_routes(ci, hr->addr))
                        rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                                 "send heart beat to broker[%s %s] failed: %s",
                                 hr->broker_name, hr->addr,
                                 errstr ? errstr : rmq_err2str(err));
                else
                        rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                                 "send heart beat to broker[%s %s] exception, "
                                 "because the broker not up, forget it",
                                 hr->broker_name, hr->addr);
        } else if (resp->code != RMQ_OK) {
                rmq__log(&ci->lg, RMQ_LOG_WARN, "CLIENT",
                         "heart beat refused by broker[%s %s]: code %d %s",
                         hr->broker_name, hr->addr, resp->code,
                         resp->remark ? resp->remark : "");
        } else {
                rmq__client_broker_version_set(ci, hr->broker_name, hr->addr,
                                               resp->version);
                uv_mutex_lock(&r->lock);
                r->accepted++;
                uv_mutex_unlock(&r->lock);
        }
        rmq__free(hr->broker_name);
        rmq__free(hr->addr);
        rmq__free(hr);
        round_unref(r);
}

/* mirrors MQClientInstance.sendHeartbeatToAllBroker, one async request
 * per broker address; a sync round waits for every answer. Returns the
 * brokers that accepted it (sync rounds only). */
static int send_heartbeats(rmq_client_t *ci, bool sync) {
        rmq_buf_t body = RMQ_BUF_INIT;
        rmq_client_addr_t *addrs;
        hb_round_t *r;
        bool consumers;
        size_t i, naddr;
        int accepted = 0;
        uint64_t times;

        build_heartbeat(ci, &body, &consumers);
        /* Without consumers only masters get it (slaves serve pulls). */
        addrs = rmq__client_addrs(ci, !consumers, &naddr);
        rmq__lock(&ci->lock);
        times = ci->hb_times++;
        rmq__unlock(&ci->lock);

        r       = rmq__calloc(1, sizeof(*r));
        r->ci   = ci;
        r->refs = 1;
        r->sync = sync;
        uv_mutex_init(&r->lock);
        uv_cond_init(&r->cond);
        for (i = 0; i < naddr; i++) {
                rmq_cmd_t *req =
                    rmq__api_heartbeat_request(ci->conf, body.data, body.len);
                hb_req_t *hr    = rmq__calloc(1, sizeof(*hr));
                hr->round       = r;
                hr->broker_name = rmq__strdup(addrs[i].broker_name);
                hr->addr        = rmq__strdup(addrs[i].addr);
                uv_mutex_lock(&r->lock);
                r->refs++;
                uv_mutex_unlock(&r->lock);
                if (times % 20 == 0)
                        rmq__dbg(&ci->lg, REMOTING, "heartbeat to %s %s",
                                 addrs[i].broker_name, addrs[i].addr);
                if (rmq__remoting_invoke_async(ci->rm, addrs[i].addr, req,
                                               ci->conf->mqClientApiTimeout, 0,
                                               heartbeat_done, hr)) {
                        rmq__log(&ci->lg, RMQ_LOG_WARN, "CLIENT",
                                 "cannot queue a heartbeat to %s",
                                 addrs[i].addr);
                        rmq__free(hr->broker_name);
                        rmq__free(hr->addr);
                        rmq__free(hr);
                        round_unref(r);
                }
                rmq__cmd_destroy(req);
        }
        rmq__client_addrs_free(addrs, naddr);
        rmq__buf_free(&body);
        if (sync) {
                uv_mutex_lock(&r->lock);
                while (r->refs > 1)
                        uv_cond_wait(&r->cond, &r->lock);
                accepted = r->accepted;
                uv_mutex_unlock(&r->lock);
        }
        round_unref(r);
        return accepted;
}

static bool running(rmq_client_t *ci) {
        bool on;
        rmq__lock(&ci->lock);
        on = ci->state == CI_RUNNING;
        rmq__unlock(&ci->lock);
        return on;
}

void rmq__client_heartbeat_now(rmq_client_t *ci) {
        if (running(ci))
                send_heartbeats(ci, false);
}

int rmq__client_heartbeat_sync(rmq_client_t *ci) {
        RMQ__ASSERT_NOT_IO("a synchronous heartbeat");
        return running(ci) ? send_heartbeats(ci, true) : 0;
}

/* ---- the tasks ---- */

static void run_route(rmq_client_t *ci) {
        rmq__client_refresh_routes(ci);
}

static void run_heartbeat(rmq_client_t *ci) {
        rmq__client_clean_offline_brokers(ci);
        send_heartbeats(ci, false);
}

/* mirrors MQClientInstance.persistAllConsumerOffset */
static void run_persist(rmq_client_t *ci) {
        rmq_member_t **mv;
        size_t i, n;
        mv = rmq__client_members_get(ci, RMQ_MEMBER_CONSUMER, &n);
        for (i = 0; i < n; i++)
                if (mv[i]->ops->persist_offsets)
                        mv[i]->ops->persist_offsets(mv[i]->impl);
        rmq__client_members_put(ci, mv, n);
}

/* ConsumerStatsManager's samplings (every 10 s; the stats object decides
 * when the 10-minute and hourly ones are due). */
static void run_stats(rmq_client_t *ci) {
        rmq__consumer_stats_sample(ci->stats, rmq__wall_ms());
}

/* MQClientAPIImpl.fetchNameServerAddr (every 2 minutes in Java). */
static void run_namesrv(rmq_client_t *ci) {
        rmq__client_fetch_namesrv(ci);
}

void rmq__client_tasks_start(rmq_client_t *ci) {
        const rmq_conf_t *c = ci->conf;
        task_init(ci, &ci->task_route, run_route);
        task_init(ci, &ci->task_heartbeat, run_heartbeat);
        task_init(ci, &ci->task_persist, run_persist);
        task_init(ci, &ci->task_stats, run_stats);
        rmq__timer_start(ci->io, &ci->task_stats.timer, 0, 10000);
        rmq__timer_start(ci->io, &ci->task_route.timer, 10,
                         c->pollNameServerInterval);
        rmq__timer_start(ci->io, &ci->task_heartbeat.timer, 1000,
                         c->heartbeatBrokerInterval);
        rmq__timer_start(ci->io, &ci->task_persist.timer, 10000,
                         c->persistConsumerOffsetInterval);
        if (ci->ns_lookup) {
                task_init(ci, &ci->task_namesrv, run_namesrv);
                rmq__timer_start(ci->io, &ci->task_namesrv.timer,
                                 RMQ_MIN(10000, c->namesrvFetchInterval),
                                 c->namesrvFetchInterval);
        }
        ci->tasks_on = true;
}

void rmq__client_tasks_stop(rmq_client_t *ci) {
        if (!ci->tasks_on)
                return;
        rmq__timer_stop(ci->io, &ci->task_route.timer);
        rmq__timer_stop(ci->io, &ci->task_heartbeat.timer);
        rmq__timer_stop(ci->io, &ci->task_persist.timer);
        rmq__timer_stop(ci->io, &ci->task_stats.timer);
        if (ci->ns_lookup)
                rmq__timer_stop(ci->io, &ci->task_namesrv.timer);
        ci->tasks_on = false;
}

/* ---- rebalance service ---- */

/* mirrors RebalanceService.run and MQClientInstance.doRebalance */
static void rebalance_thread(void *arg) {
        rmq_client_t *ci = arg;
        int64_t wait_ms  = ci->conf->rebalanceWaitInterval;
        for (;;) {
                rmq_member_t **mv;
                size_t i, n;
                int64_t deadline = rmq__mono_ms() + wait_ms;
                uv_mutex_lock(&ci->rb_lock);
                while (!ci->rb_wakeup && !ci->rb_stop) {
                        int64_t left = deadline - rmq__mono_ms();
                        if (left <= 0)
                                break;
                        uv_cond_timedwait(&ci->rb_cond, &ci->rb_lock,
                                          (uint64_t)left * 1000000u);
                }
                ci->rb_wakeup = false;
                if (ci->rb_stop) {
                        uv_mutex_unlock(&ci->rb_lock);
                        break;
                }
                uv_mutex_unlock(&ci->rb_lock);
                mv = rmq__client_members_get(ci, RMQ_MEMBER_CONSUMER, &n);
                for (i = 0; i < n; i++)
                        if (mv[i]->ops->do_rebalance)
                                mv[i]->ops->do_rebalance(mv[i]->impl);
                rmq__client_members_put(ci, mv, n);
        }
}

void rmq__client_rebalance_start(rmq_client_t *ci) {
        uv_mutex_lock(&ci->rb_lock);
        if (!ci->rb_started) {
                ci->rb_stop = false;
                /* the first round runs at once (consumer start wakes it
                 * too) */
                ci->rb_wakeup = false;
                if (!rmq__thread_create(&ci->rb_tid, "rmq-rebalance",
                                        rebalance_thread, ci))
                        ci->rb_started = true;
        }
        uv_mutex_unlock(&ci->rb_lock);
}

void rmq__client_rebalance_stop(rmq_client_t *ci) {
        bool join;
        uv_mutex_lock(&ci->rb_lock);
        join        = ci->rb_started;
        ci->rb_stop = true;
        uv_cond_signal(&ci->rb_cond);
        uv_mutex_unlock(&ci->rb_lock);
        if (!join)
                return;
        uv_thread_join(&ci->rb_tid);
        uv_mutex_lock(&ci->rb_lock);
        ci->rb_started = false;
        uv_mutex_unlock(&ci->rb_lock);
}

void rmq__client_rebalance_now(rmq_client_t *ci) {
        uv_mutex_lock(&ci->rb_lock);
        ci->rb_wakeup = true;
        uv_cond_signal(&ci->rb_cond);
        uv_mutex_unlock(&ci->rb_lock);
}
