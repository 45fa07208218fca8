/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client instance. mirrors MQClientManager.getOrCreateMQClientInstance and
 * MQClientInstance (start, startScheduledTask,
 * updateTopicRouteInfoFromNameServer, cleanOfflineBroker,
 * sendHeartbeatToAllBroker, unregisterClient, shutdown).
 */
#include <stdio.h>
#include <unistd.h>

#include "client/rmq_client.h"
#include "common/rmq_io.h"
#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "common/rmq_thread.h"
#include "common/rmq_time.h"
#include "protocol/rmq_heartbeat.h"
#include "rocketmq/rmq_mock.h"

enum { CI_CREATE_JUST, CI_RUNNING, CI_SHUTDOWN_ALREADY, CI_START_FAILED };

typedef struct producer_reg_s {
        char *group;
        const rmq_producer_ops_t *ops;
        void *impl;
} producer_reg_t;

typedef struct broker_addrs_s {
        size_t cnt;
        rmq_broker_addr_t *addrs;
} broker_addrs_t;

struct rmq_client_s {
        rmq_list_t link;
        int refcnt; /* registry lock */
        char client_id[256];
        char client_ip[64];
        rmq_conf_t *conf;
        rmq_logger_t lg;
        uv_mutex_t lock;
        int state;
        rmq_io_t *io;
        rmq_pool_t *pool;
        rmq_remoting_t *rm;
        uv_timer_t route_timer;
        uv_timer_t hb_timer;
        bool timers_on;
        rmq_strmap_t routes;  /* topic -> rmq_topic_route_data_t * */
        rmq_strmap_t brokers; /* brokerName -> broker_addrs_t * */
        producer_reg_t *producers;
        size_t producer_cnt;
        uint64_t hb_times;
        rmq_mock_cluster_t *mock; /* test.mock.brokers */
};

/* ---- registry (the only process-wide state) ---- */

static uv_once_t reg_once = UV_ONCE_INIT;
static uv_mutex_t reg_lock;
static rmq_list_t reg_list;

static void reg_init(void) {
        uv_mutex_init(&reg_lock);
        rmq__list_init(&reg_list);
}

void rmq__logger_from_conf(rmq_logger_t *lg, const rmq_conf_t *conf,
                           const char *client_id) {
        lg->cb     = conf->log_cb;
        lg->opaque = conf->opaque;
        lg->level  = (int)conf->log_level;
        lg->debug  = conf->debug_mask;
        rmq__strlcpy(lg->client_id, client_id ? client_id : "",
                     sizeof(lg->client_id));
}

void rmq__client_build_id(rmq_conf_t *conf, char *dst, size_t size) {
        char ip[64];
        /* mirrors ClientConfig.changeInstanceNameToPID */
        if (!conf->instanceName || !strcmp(conf->instanceName, "DEFAULT")) {
                char *name = rmq__asprintf("%d#%lld", (int)getpid(),
                                           (long long)rmq__mono_ns());
                rmq__free(conf->instanceName);
                conf->instanceName = name;
        }
        rmq__conf_client_ip(conf, ip, sizeof(ip));
        /* mirrors ClientConfig.buildMQClientId */
        if (conf->unitName && *conf->unitName)
                snprintf(dst, size, "%s@%s@%s", ip, conf->instanceName,
                         conf->unitName);
        else
                snprintf(dst, size, "%s@%s", ip, conf->instanceName);
}

rmq_client_t *rmq__client_acquire(const rmq_conf_t *conf) {
        rmq_conf_t *c = rmq_conf_dup(conf);
        char id[256];
        rmq_list_t *n;
        rmq_client_t *ci = NULL;

        uv_once(&reg_once, reg_init);
        rmq__client_build_id(c, id, sizeof(id));
        uv_mutex_lock(&reg_lock);
        for (n = reg_list.next; n != &reg_list; n = n->next) {
                rmq_client_t *x = RMQ_CONTAINER_OF(n, rmq_client_t, link);
                if (!strcmp(x->client_id, id)) {
                        ci = x;
                        break;
                }
        }
        if (ci) {
                ci->refcnt++;
                uv_mutex_unlock(&reg_lock);
                rmq_conf_destroy(c);
                return ci;
        }
        ci = rmq__calloc(1, sizeof(*ci));
        ci->refcnt = 1;
        ci->conf   = c;
        rmq__strlcpy(ci->client_id, id, sizeof(ci->client_id));
        rmq__conf_client_ip(c, ci->client_ip, sizeof(ci->client_ip));
        rmq__logger_from_conf(&ci->lg, c, id);
        uv_mutex_init(&ci->lock);
        rmq__strmap_init(&ci->routes);
        rmq__strmap_init(&ci->brokers);
        rmq__list_insert_tail(&reg_list, &ci->link);
        uv_mutex_unlock(&reg_lock);
        rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                 "created a new client instance, clientId %s", id);
        return ci;
}

/* ---- tables ---- */

static void broker_addrs_free(void *p) {
        broker_addrs_t *ba = p;
        size_t i;
        for (i = 0; i < ba->cnt; i++)
                rmq__free(ba->addrs[i].addr);
        rmq__free(ba->addrs);
        rmq__free(ba);
}

static void route_free(void *p) {
        rmq__topic_route_destroy(p);
}

static broker_addrs_t *broker_addrs_from(const rmq_broker_data_t *bd) {
        broker_addrs_t *ba = rmq__calloc(1, sizeof(*ba));
        size_t i;
        ba->cnt   = bd->brokerAddrs_cnt;
        ba->addrs = rmq__calloc(ba->cnt ? ba->cnt : 1, sizeof(*ba->addrs));
        for (i = 0; i < ba->cnt; i++) {
                ba->addrs[i].brokerId = bd->brokerAddrs[i].brokerId;
                ba->addrs[i].addr     = rmq__strdup(bd->brokerAddrs[i].addr);
        }
        return ba;
}

bool rmq__client_broker_addr_in_publish(rmq_client_t *ci,
                                        const char *broker_name, char *dst,
                                        size_t size) {
        broker_addrs_t *ba;
        bool found = false;
        size_t i;
        uv_mutex_lock(&ci->lock);
        ba = rmq__strmap_get(&ci->brokers, broker_name);
        for (i = 0; ba && i < ba->cnt; i++) {
                if (ba->addrs[i].brokerId == RMQ_MASTER_ID) {
                        rmq__strlcpy(dst, ba->addrs[i].addr, size);
                        found = true;
                        break;
                }
        }
        uv_mutex_unlock(&ci->lock);
        return found;
}

rmq_topic_route_data_t *rmq__client_route_get(rmq_client_t *ci,
                                              const char *topic) {
        rmq_topic_route_data_t *r;
        uv_mutex_lock(&ci->lock);
        r = rmq__strmap_get(&ci->routes, topic);
        r = r ? rmq__topic_route_dup(r) : NULL;
        uv_mutex_unlock(&ci->lock);
        return r;
}

/* True if \p addr appears in some stored route. ci->lock held. */
static bool addr_in_routes(rmq_client_t *ci, const char *addr) {
        rmq_strmap_entry_t *it = NULL, *e;
        size_t b;
        while ((e = rmq__strmap_next(&ci->routes, &it, &b))) {
                const rmq_topic_route_data_t *r = e->value;
                size_t i, k;
                for (i = 0; i < r->brokerDatas_cnt; i++)
                        for (k = 0; k < r->brokerDatas[i].brokerAddrs_cnt; k++)
                                if (!strcmp(r->brokerDatas[i].brokerAddrs[k].addr,
                                            addr))
                                        return true;
        }
        return false;
}

/* mirrors MQClientInstance.cleanOfflineBroker. ci->lock held. */
static void clean_offline_brokers(rmq_client_t *ci) {
        rmq_strmap_entry_t *it = NULL, *e;
        size_t b;
        char **gone = NULL;
        size_t ngone = 0, i;
        while ((e = rmq__strmap_next(&ci->brokers, &it, &b))) {
                broker_addrs_t *ba = e->value;
                size_t k = 0;
                for (i = 0; i < ba->cnt; i++) {
                        if (addr_in_routes(ci, ba->addrs[i].addr)) {
                                ba->addrs[k++] = ba->addrs[i];
                        } else {
                                rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                                         "the broker addr [%s %s] is "
                                         "offline, remove it",
                                         e->key, ba->addrs[i].addr);
                                rmq__free(ba->addrs[i].addr);
                        }
                }
                ba->cnt = k;
                if (k == 0) {
                        gone = rmq__realloc(gone, (ngone + 1) * sizeof(char *));
                        gone[ngone++] = rmq__strdup(e->key);
                }
        }
        for (i = 0; i < ngone; i++) {
                rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                         "the broker [%s] name's host is offline, remove it",
                         gone[i]);
                broker_addrs_free(rmq__strmap_del(&ci->brokers, gone[i]));
                rmq__free(gone[i]);
        }
        rmq__free(gone);
}

/* Applies a received route (taken). Returns true if it changed anything.
 * mirrors the body of updateTopicRouteInfoFromNameServer. */
static bool apply_route(rmq_client_t *ci, const char *topic,
                        rmq_topic_route_data_t *route, bool is_default,
                        int default_queue_nums) {
        rmq_topic_route_data_t *old;
        bool changed;
        size_t i;
        if (is_default) {
                for (i = 0; i < route->queueDatas_cnt; i++) {
                        int32_t n = RMQ_MIN(default_queue_nums,
                                            route->queueDatas[i].readQueueNums);
                        route->queueDatas[i].readQueueNums  = n;
                        route->queueDatas[i].writeQueueNums = n;
                }
        }
        uv_mutex_lock(&ci->lock);
        old     = rmq__strmap_get(&ci->routes, topic);
        changed = rmq__topic_route_changed(old, route);
        if (!changed) {
                /* isNeedUpdateTopicRouteInfo */
                for (i = 0; i < ci->producer_cnt && !changed; i++)
                        changed = ci->producers[i].ops->need_update(
                            ci->producers[i].impl, topic);
        } else {
                rmq__log(&ci->lg, RMQ_LOG_INFO, "ROUTE",
                         "the topic [%s] route info changed", topic);
        }
        if (changed) {
                for (i = 0; i < route->brokerDatas_cnt; i++) {
                        const rmq_broker_data_t *bd = &route->brokerDatas[i];
                        broker_addrs_t *prev = rmq__strmap_set(
                            &ci->brokers, bd->brokerName, broker_addrs_from(bd));
                        if (prev)
                                broker_addrs_free(prev);
                }
                for (i = 0; i < ci->producer_cnt; i++)
                        ci->producers[i].ops->route_updated(
                            ci->producers[i].impl, topic, route);
                old = rmq__strmap_set(&ci->routes, topic, route);
                if (old)
                        rmq__topic_route_destroy(old);
                route = NULL;
        }
        uv_mutex_unlock(&ci->lock);
        if (route)
                rmq__topic_route_destroy(route);
        return changed;
}

/* ---- route requests ---- */

static rmq_cmd_t *route_request(const rmq_client_t *ci, const char *topic) {
        rmq_cmd_t *req = rmq__cmd_new_request(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC);
        req->language       = (int32_t)ci->conf->language;
        req->serialize_type = (int32_t)ci->conf->serializeType;
        rmq__cmd_ext_append(req, "topic", topic, strlen(topic));
        return req;
}

/* Turns a GET_ROUTEINFO_BY_TOPIC response into a route. mirrors
 * MQClientAPIImpl.getTopicRouteInfoFromNameServer. */
static rmq_err_t route_from_response(rmq_client_t *ci, const char *topic,
                                     const rmq_cmd_t *resp,
                                     rmq_topic_route_data_t **routep,
                                     char *errstr, size_t errstr_size) {
        *routep = NULL;
        if (resp->code == RMQ_OK && resp->body)
                return rmq__topic_route_decode(resp->body, resp->body_len,
                                               routep, errstr, errstr_size);
        if (resp->code == RMQ_ERR_TOPIC_NOT_EXIST &&
            strncmp(topic, "%RETRY%", 7) && strcmp(topic, "TBW102"))
                /* Java logs this at warn; a topic that does not exist yet
                 * is normal (the broker creates it on the first send), so
                 * info here. */
                rmq__log(&ci->lg, RMQ_LOG_INFO, "ROUTE",
                         "get Topic [%s] RouteInfoFromNameServer is not exist "
                         "value",
                         topic);
        return rmq__seterr(errstr, errstr_size,
                           resp->code ? (rmq_err_t)resp->code : RMQ_ERR__BAD_MSG,
                           "CODE: %d  DESC: %s", resp->code,
                           resp->remark ? resp->remark : "no route body");
}

rmq_err_t rmq__client_update_route(rmq_client_t *ci, const char *topic,
                                   bool is_default, const char *default_key,
                                   int default_queue_nums, char *errstr,
                                   size_t errstr_size) {
        rmq_cmd_t *req =
            route_request(ci, is_default ? default_key : topic);
        rmq_cmd_t *resp = NULL;
        rmq_topic_route_data_t *route;
        rmq_err_t err;
        err = rmq__remoting_invoke_sync(ci->rm, NULL, req,
                                        ci->conf->mqClientApiTimeout, &resp,
                                        errstr, errstr_size);
        rmq__cmd_destroy(req);
        if (err)
                return err;
        err = route_from_response(ci, topic, resp, &route, errstr,
                                  errstr_size);
        rmq__cmd_destroy(resp);
        if (err)
                return err;
        apply_route(ci, topic, route, is_default, default_queue_nums);
        return RMQ_OK;
}

typedef struct route_async_s {
        rmq_client_t *ci;
        char *topic;
        bool is_default;
        int default_queue_nums;
        rmq_route_cb_t *cb;
        void *opaque;
} route_async_t;

static void route_async_done(rmq_err_t err, rmq_cmd_t *resp,
                             const char *errstr, void *opaque) {
        route_async_t *ra = opaque;
        rmq_topic_route_data_t *route = NULL;
        char buf[256] = "";
        if (!err) {
                err = route_from_response(ra->ci, ra->topic, resp, &route, buf,
                                          sizeof(buf));
                errstr = buf;
        }
        if (!err) {
                apply_route(ra->ci, ra->topic, route, ra->is_default,
                            ra->default_queue_nums);
                errstr = NULL;
        } else if (!ra->cb) {
                rmq__dbg(&ra->ci->lg, ROUTE, "route refresh of %s failed: %s",
                         ra->topic, errstr ? errstr : rmq_err2str(err));
        }
        if (ra->cb)
                ra->cb(ra->ci, err, errstr, ra->opaque);
        rmq__free(ra->topic);
        rmq__free(ra);
}

static rmq_err_t route_async(rmq_client_t *ci, const char *topic,
                             bool is_default, const char *default_key,
                             int default_queue_nums, int flags,
                             rmq_route_cb_t *cb, void *opaque) {
        rmq_cmd_t *req = route_request(ci, is_default ? default_key : topic);
        route_async_t *ra = rmq__calloc(1, sizeof(*ra));
        rmq_err_t err;
        ra->ci                 = ci;
        ra->topic              = rmq__strdup(topic);
        ra->is_default         = is_default;
        ra->default_queue_nums = default_queue_nums;
        ra->cb                 = cb;
        ra->opaque             = opaque;
        err = rmq__remoting_invoke_async(ci->rm, NULL, req,
                                         ci->conf->mqClientApiTimeout, flags,
                                         route_async_done, ra);
        rmq__cmd_destroy(req);
        if (err) {
                rmq__free(ra->topic);
                rmq__free(ra);
        }
        return err;
}

rmq_err_t rmq__client_update_route_async(rmq_client_t *ci, const char *topic,
                                         bool is_default,
                                         const char *default_key,
                                         int default_queue_nums,
                                         rmq_route_cb_t *cb, void *opaque) {
        return route_async(ci, topic, is_default, default_key,
                           default_queue_nums, 0, cb, opaque);
}

/* ---- heartbeat ---- */

/* mirrors MQClientInstance.prepareHeartbeatData. ci->lock held. */
static void build_heartbeat(rmq_client_t *ci, rmq_buf_t *out,
                            bool *has_consumers) {
        rmq_heartbeat_data_t *hb = rmq__heartbeat_new(ci->client_id);
        size_t i;
        for (i = 0; i < ci->producer_cnt; i++)
                rmq__heartbeat_add_producer(hb, ci->producers[i].group);
        rmq__heartbeat_add_producer(hb, RMQ_CLIENT_INNER_PRODUCER_GROUP);
        rmq__heartbeat_encode(hb, out);
        *has_consumers = hb->consumerDataSet_cnt > 0;
        rmq__heartbeat_destroy(hb);
}

static void heartbeat_done(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                           void *opaque) {
        rmq_client_t *ci = opaque;
        if (err)
                rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                         "send heart beat to broker failed: %s",
                         errstr ? errstr : rmq_err2str(err));
        else if (resp->code != RMQ_OK)
                rmq__log(&ci->lg, RMQ_LOG_WARN, "CLIENT",
                         "heart beat refused by broker: code %d %s",
                         resp->code, resp->remark ? resp->remark : "");
}

/* mirrors sendHeartbeatToAllBroker, with one async request per broker. */
static void send_heartbeats(rmq_client_t *ci) {
        rmq_buf_t body = RMQ_BUF_INIT;
        bool consumers;
        rmq_strmap_entry_t *it = NULL, *e;
        size_t b, i, naddr = 0;
        char **addrs = NULL;

        uv_mutex_lock(&ci->lock);
        build_heartbeat(ci, &body, &consumers);
        while ((e = rmq__strmap_next(&ci->brokers, &it, &b))) {
                broker_addrs_t *ba = e->value;
                for (i = 0; i < ba->cnt; i++) {
                        if (!consumers && ba->addrs[i].brokerId != RMQ_MASTER_ID)
                                continue;
                        addrs = rmq__realloc(addrs,
                                             (naddr + 1) * sizeof(char *));
                        addrs[naddr++] = rmq__strdup(ba->addrs[i].addr);
                }
        }
        ci->hb_times++;
        uv_mutex_unlock(&ci->lock);

        for (i = 0; i < naddr; i++) {
                rmq_cmd_t *req = rmq__cmd_new_request(RMQ_REQ_HEART_BEAT);
                req->language       = (int32_t)ci->conf->language;
                req->serialize_type = (int32_t)ci->conf->serializeType;
                rmq__cmd_set_body_ref(req, body.data, body.len);
                rmq__dbg(&ci->lg, REMOTING, "heartbeat to %s", addrs[i]);
                if (rmq__remoting_invoke_async(
                        ci->rm, addrs[i], req, ci->conf->mqClientApiTimeout,
                        RMQ_INVOKE_F_ON_LOOP, heartbeat_done, ci))
                        rmq__log(&ci->lg, RMQ_LOG_WARN, "CLIENT",
                                 "cannot queue a heartbeat to %s", addrs[i]);
                rmq__cmd_destroy(req);
                rmq__free(addrs[i]);
        }
        rmq__free(addrs);
        rmq__buf_free(&body);
}

void rmq__client_heartbeat_now(rmq_client_t *ci) {
        int st;
        uv_mutex_lock(&ci->lock);
        st = ci->state;
        uv_mutex_unlock(&ci->lock);
        if (st == CI_RUNNING)
                send_heartbeats(ci);
}

/* ---- timers ---- */

static void route_timer_cb(uv_timer_t *t) {
        rmq_client_t *ci = t->data;
        rmq_strmap_t topics;
        rmq_strmap_entry_t *it = NULL, *e;
        size_t b, i;
        rmq__strmap_init(&topics);
        uv_mutex_lock(&ci->lock);
        for (i = 0; i < ci->producer_cnt; i++)
                ci->producers[i].ops->collect_topics(ci->producers[i].impl,
                                                     &topics);
        uv_mutex_unlock(&ci->lock);
        while ((e = rmq__strmap_next(&topics, &it, &b))) {
                rmq__dbg(&ci->lg, ROUTE, "refreshing the route of %s", e->key);
                route_async(ci, e->key, false, NULL, 0, RMQ_INVOKE_F_ON_LOOP,
                            NULL, NULL);
        }
        rmq__strmap_clear(&topics, NULL);
}

static void hb_timer_cb(uv_timer_t *t) {
        rmq_client_t *ci = t->data;
        uv_mutex_lock(&ci->lock);
        clean_offline_brokers(ci);
        uv_mutex_unlock(&ci->lock);
        send_heartbeats(ci);
}

static void start_timers_on_loop(rmq_io_t *io, void *arg) {
        rmq_client_t *ci = arg;
        uv_loop_t *loop  = rmq__io_loop(io);
        uv_timer_init(loop, &ci->route_timer);
        uv_timer_init(loop, &ci->hb_timer);
        ci->route_timer.data = ci;
        ci->hb_timer.data    = ci;
        /* startScheduledTask: route after 10 ms, heartbeat after 1 s */
        uv_timer_start(&ci->route_timer, route_timer_cb, 10,
                       (uint64_t)ci->conf->pollNameServerInterval);
        uv_timer_start(&ci->hb_timer, hb_timer_cb, 1000,
                       (uint64_t)ci->conf->heartbeatBrokerInterval);
        ci->timers_on = true;
}

static void stop_on_loop(rmq_io_t *io, void *arg) {
        rmq_client_t *ci = arg;
        RMQ_UNUSED(io);
        if (ci->timers_on) {
                uv_close((uv_handle_t *)&ci->route_timer, NULL);
                uv_close((uv_handle_t *)&ci->hb_timer, NULL);
                ci->timers_on = false;
        }
        rmq__remoting_close(ci->rm);
}

rmq_err_t rmq__client_start(rmq_client_t *ci, char *errstr,
                            size_t errstr_size) {
        rmq_remoting_conf_t rc;
        rmq_err_t err = RMQ_OK;
        uv_mutex_lock(&ci->lock);
        switch (ci->state) {
        case CI_CREATE_JUST:
                ci->state = CI_START_FAILED;
                if (ci->conf->test_mock_brokers > 0) {
                        err = rmq_mock_cluster_new(
                            &ci->mock, (int)ci->conf->test_mock_brokers,
                            errstr, errstr_size);
                        if (err)
                                break;
                        rmq__free(ci->conf->namesrvAddr);
                        ci->conf->namesrvAddr = rmq__strdup(
                            rmq_mock_cluster_namesrv_addr(ci->mock));
                        rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                                 "test.mock.brokers: using a private mock "
                                 "cluster at %s",
                                 ci->conf->namesrvAddr);
                }
                ci->io    = rmq__io_new("rmq-io", &ci->lg);
                ci->pool  = rmq__pool_new(
                    "rmq-cb", (int)ci->conf->clientCallbackExecutorThreads);
                if (!ci->io || !ci->pool) {
                        err = rmq__seterr(errstr, errstr_size, RMQ_ERR__FAIL,
                                          "cannot start the client threads");
                        break;
                }
                rmq__remoting_conf_from(&rc, ci->conf);
                ci->rm = rmq__remoting_new(ci->io, &rc, ci->pool, &ci->lg);
                if (ci->conf->namesrvAddr)
                        rmq__remoting_set_namesrv(ci->rm, ci->conf->namesrvAddr);
                else
                        rmq__log(&ci->lg, RMQ_LOG_WARN, "CLIENT",
                                 "no name server address: set namesrvAddr "
                                 "or NAMESRV_ADDR");
                rmq__io_call(ci->io, start_timers_on_loop, ci);
                ci->state = CI_RUNNING;
                rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                         "the client factory [%s] start OK", ci->client_id);
                break;
        case CI_START_FAILED:
                err = rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                                  "the client instance [%s] has been created "
                                  "before, and failed",
                                  ci->client_id);
                break;
        default:
                break;
        }
        uv_mutex_unlock(&ci->lock);
        return err;
}

static void unregister_client(rmq_client_t *ci, const char *producer_group);

static void client_free(rmq_client_t *ci) {
        size_t i;
        if (ci->io)
                rmq__io_destroy(ci->io, ci->rm ? stop_on_loop : NULL, ci);
        rmq__pool_destroy(ci->pool);
        rmq__remoting_free(ci->rm);
        rmq_mock_cluster_destroy(ci->mock);
        rmq__strmap_clear(&ci->routes, route_free);
        rmq__strmap_clear(&ci->brokers, broker_addrs_free);
        for (i = 0; i < ci->producer_cnt; i++)
                rmq__free(ci->producers[i].group);
        rmq__free(ci->producers);
        uv_mutex_destroy(&ci->lock);
        rmq_conf_destroy(ci->conf);
        rmq__free(ci);
}

void rmq__client_release(rmq_client_t *ci) {
        bool last;
        if (!ci)
                return;
        uv_mutex_lock(&reg_lock);
        last = --ci->refcnt == 0;
        if (last)
                rmq__list_remove(&ci->link);
        uv_mutex_unlock(&reg_lock);
        if (!last)
                return;
        rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                 "the client factory [%s] shutdown", ci->client_id);
        /* MQClientInstance.shutdown stops its inner producer, which
         * unregisters CLIENT_INNER_PRODUCER from every broker. */
        unregister_client(ci, RMQ_CLIENT_INNER_PRODUCER_GROUP);
        ci->state = CI_SHUTDOWN_ALREADY;
        client_free(ci);
}

/* ---- producers ---- */

rmq_err_t rmq__client_register_producer(rmq_client_t *ci, const char *group,
                                        const rmq_producer_ops_t *ops,
                                        void *impl) {
        size_t i;
        uv_mutex_lock(&ci->lock);
        for (i = 0; i < ci->producer_cnt; i++) {
                if (!strcmp(ci->producers[i].group, group)) {
                        uv_mutex_unlock(&ci->lock);
                        return RMQ_ERR__INVALID_ARG;
                }
        }
        ci->producers = rmq__realloc(ci->producers, (ci->producer_cnt + 1) *
                                                        sizeof(*ci->producers));
        ci->producers[ci->producer_cnt].group = rmq__strdup(group);
        ci->producers[ci->producer_cnt].ops   = ops;
        ci->producers[ci->producer_cnt].impl  = impl;
        ci->producer_cnt++;
        uv_mutex_unlock(&ci->lock);
        return RMQ_OK;
}

typedef struct unreg_wait_s {
        uv_mutex_t lock;
        uv_cond_t cond;
        int left;
        rmq_client_t *ci;
} unreg_wait_t;

static void unregister_done(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                            void *opaque) {
        unreg_wait_t *w = opaque;
        if (err || resp->code)
                rmq__log(&w->ci->lg, RMQ_LOG_WARN, "CLIENT",
                         "unregister client failed: %s",
                         err ? (errstr ? errstr : rmq_err2str(err))
                             : (resp->remark ? resp->remark : "broker error"));
        uv_mutex_lock(&w->lock);
        if (--w->left == 0)
                uv_cond_signal(&w->cond);
        uv_mutex_unlock(&w->lock);
}

/* mirrors MQClientInstance.unregisterClient: UNREGISTER_CLIENT to every
 * broker address, here all at once. */
static void unregister_client(rmq_client_t *ci, const char *producer_group) {
        rmq_strmap_entry_t *it = NULL, *e;
        size_t b, i, naddr = 0;
        char **addrs = NULL;
        unreg_wait_t w;

        uv_mutex_lock(&ci->lock);
        while ((e = rmq__strmap_next(&ci->brokers, &it, &b))) {
                broker_addrs_t *ba = e->value;
                for (i = 0; i < ba->cnt; i++) {
                        addrs = rmq__realloc(addrs,
                                             (naddr + 1) * sizeof(char *));
                        addrs[naddr++] = rmq__strdup(ba->addrs[i].addr);
                }
        }
        uv_mutex_unlock(&ci->lock);
        if (!naddr || ci->state != CI_RUNNING) {
                for (i = 0; i < naddr; i++)
                        rmq__free(addrs[i]);
                rmq__free(addrs);
                return;
        }
        uv_mutex_init(&w.lock);
        uv_cond_init(&w.cond);
        w.left = 1;
        w.ci   = ci;
        for (i = 0; i < naddr; i++) {
                rmq_cmd_t *req = rmq__cmd_new_request(RMQ_REQ_UNREGISTER_CLIENT);
                req->language       = (int32_t)ci->conf->language;
                req->serialize_type = (int32_t)ci->conf->serializeType;
                rmq__cmd_ext_add(req, "clientID", ci->client_id);
                if (producer_group)
                        rmq__cmd_ext_add(req, "producerGroup", producer_group);
                uv_mutex_lock(&w.lock);
                w.left++;
                uv_mutex_unlock(&w.lock);
                if (rmq__remoting_invoke_async(ci->rm, addrs[i], req,
                                               ci->conf->mqClientApiTimeout, 0,
                                               unregister_done, &w)) {
                        uv_mutex_lock(&w.lock);
                        w.left--;
                        uv_mutex_unlock(&w.lock);
                }
                rmq__cmd_destroy(req);
                rmq__free(addrs[i]);
        }
        rmq__free(addrs);
        uv_mutex_lock(&w.lock);
        w.left--;
        while (w.left > 0)
                uv_cond_wait(&w.cond, &w.lock);
        uv_mutex_unlock(&w.lock);
        uv_cond_destroy(&w.cond);
        uv_mutex_destroy(&w.lock);
}

void rmq__client_unregister_producer(rmq_client_t *ci, const char *group) {
        size_t i;
        bool found = false;
        uv_mutex_lock(&ci->lock);
        for (i = 0; i < ci->producer_cnt; i++) {
                if (!strcmp(ci->producers[i].group, group)) {
                        rmq__free(ci->producers[i].group);
                        memmove(&ci->producers[i], &ci->producers[i + 1],
                                (ci->producer_cnt - i - 1) *
                                    sizeof(*ci->producers));
                        ci->producer_cnt--;
                        found = true;
                        break;
                }
        }
        uv_mutex_unlock(&ci->lock);
        if (found)
                unregister_client(ci, group);
}

/* ---- accessors ---- */

const char *rmq__client_id(const rmq_client_t *ci) {
        return ci->client_id;
}

const rmq_conf_t *rmq__client_conf(const rmq_client_t *ci) {
        return ci->conf;
}

const rmq_logger_t *rmq__client_logger(const rmq_client_t *ci) {
        return &ci->lg;
}

rmq_remoting_t *rmq__client_remoting(rmq_client_t *ci) {
        return ci->rm;
}

rmq_pool_t *rmq__client_cb_pool(rmq_client_t *ci) {
        return ci->pool;
}

rmq_io_t *rmq__client_io(rmq_client_t *ci) {
        return ci->io;
}

const char *rmq__client_ip(const rmq_client_t *ci) {
        return ci->client_ip;
}
