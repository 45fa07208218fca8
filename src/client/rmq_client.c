/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client instance. mirrors MQClientManager.getOrCreateMQClientInstance and
 * MQClientInstance (start, registerProducer/Consumer, unregisterClient,
 * updateTopicRouteInfoFromNameServer, findBrokerAddressIn*, shutdown).
 */
#include <stdio.h>
#include <unistd.h>

#include "client/rmq_client_api.h"
#include "client/rmq_client_int.h"
#include "client/rmq_request_future.h"
#include "consumer/rmq_consumer_stats.h"
#include "producer/rmq_producer_int.h"
#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "remoting/rmq_acl.h"

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
        lg->rl_ms  = conf->logRateLimitMs;
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
        ci         = rmq__calloc(1, sizeof(*ci));
        ci->refcnt = 1;
        ci->conf   = c;
        rmq__strlcpy(ci->client_id, id, sizeof(ci->client_id));
        rmq__conf_client_ip(c, ci->client_ip, sizeof(ci->client_ip));
        rmq__logger_from_conf(&ci->lg, c, id);
        uv_mutex_init(&ci->route_lock);
        uv_mutex_init(&ci->lock);
        uv_cond_init(&ci->member_cond);
        uv_mutex_init(&ci->rb_lock);
        uv_cond_init(&ci->rb_cond);
        uv_mutex_init(&ci->inner_lock);
        rmq__strmap_init(&ci->routes);
        rmq__strmap_init(&ci->brokers);
        ci->stats = rmq__consumer_stats_new();
        ci->req_table = rmq__req_table_new();
        atomic_init(&ci->held_bytes, 0);
        ci->rnd   = (uint64_t)rmq__mono_ns() | 1;
        rmq__list_insert_tail(&reg_list, &ci->link);
        uv_mutex_unlock(&reg_lock);
        rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                 "created a new client instance, clientId %s", id);
        return ci;
}

/* A pseudo-random number (Java's Random in findBrokerAddrByTopic and
 * selectBrokerAddr). ci->lock held. */
static uint32_t rnd_next(rmq_client_t *ci) {
        uint64_t x = ci->rnd;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ci->rnd = x;
        return (uint32_t)(x >> 32);
}

/* ---- tables ---- */

static void broker_entry_free(void *p) {
        rmq_broker_entry_t *be = p;
        size_t i;
        for (i = 0; i < be->cnt; i++)
                rmq__free(be->addrs[i].addr);
        rmq__free(be->addrs);
        rmq__free(be->versions);
        rmq__free(be);
}

static void route_free(void *p) {
        rmq__topic_route_destroy(p);
}

/* The new addresses of a broker, keeping the versions already known for
 * addresses that stay. */
static rmq_broker_entry_t *broker_entry_from(const rmq_broker_data_t *bd,
                                             const rmq_broker_entry_t *old) {
        rmq_broker_entry_t *be = rmq__calloc(1, sizeof(*be));
        size_t i, k;
        be->cnt      = bd->brokerAddrs_cnt;
        be->addrs    = rmq__calloc(be->cnt ? be->cnt : 1, sizeof(*be->addrs));
        be->versions = rmq__calloc(be->cnt ? be->cnt : 1, sizeof(int));
        for (i = 0; i < be->cnt; i++) {
                be->addrs[i].brokerId = bd->brokerAddrs[i].brokerId;
                be->addrs[i].addr     = rmq__strdup(bd->brokerAddrs[i].addr);
                for (k = 0; old && k < old->cnt; k++)
                        if (!strcmp(old->addrs[k].addr, be->addrs[i].addr))
                                be->versions[i] = old->versions[k];
        }
        return be;
}

bool rmq__client_broker_addr_in_publish(rmq_client_t *ci,
                                        const char *broker_name, char *dst,
                                        size_t size) {
        rmq_broker_entry_t *be;
        bool found = false;
        size_t i;
        rmq__lock(&ci->lock);
        be = rmq__strmap_get(&ci->brokers, broker_name);
        for (i = 0; be && i < be->cnt; i++) {
                if (be->addrs[i].brokerId == RMQ_MASTER_ID) {
                        rmq__strlcpy(dst, be->addrs[i].addr, size);
                        found = true;
                        break;
                }
        }
        rmq__unlock(&ci->lock);
        return found;
}

/* mirrors MQClientInstance.findBrokerAddressInSubscribe */
bool rmq__client_broker_addr_in_subscribe(rmq_client_t *ci,
                                          const char *broker_name,
                                          int64_t broker_id, bool only_this,
                                          char *dst, size_t size, bool *slavep,
                                          int *versionp) {
        rmq_broker_entry_t *be;
        int idx = -1;
        rmq__lock(&ci->lock);
        be = rmq__strmap_get(&ci->brokers, broker_name);
        if (be)
                idx = rmq__broker_addrs_pick_subscribe(
                    be->addrs, be->cnt, broker_id, only_this, slavep);
        if (idx >= 0) {
                rmq__strlcpy(dst, be->addrs[idx].addr, size);
                if (versionp)
                        *versionp = be->versions[idx];
        }
        rmq__unlock(&ci->lock);
        return idx >= 0;
}

/* mirrors MQClientInstance.findBrokerAddrByTopic and
 * BrokerData.selectBrokerAddr */
bool rmq__client_broker_addr_by_topic(rmq_client_t *ci, const char *topic,
                                      char *dst, size_t size) {
        const rmq_topic_route_data_t *r;
        bool found = false;
        rmq__lock(&ci->lock);
        r = rmq__strmap_get(&ci->routes, topic);
        if (r && r->brokerDatas_cnt) {
                const rmq_broker_data_t *bd =
                    &r->brokerDatas[rnd_next(ci) % r->brokerDatas_cnt];
                const char *addr = rmq__broker_data_master_addr(bd);
                if (!addr && bd->brokerAddrs_cnt)
                        addr =
                            bd->brokerAddrs[rnd_next(ci) % bd->brokerAddrs_cnt]
                                .addr;
                if (addr) {
                        rmq__strlcpy(dst, addr, size);
                        found = true;
                }
        }
        rmq__unlock(&ci->lock);
        return found;
}

rmq_topic_route_data_t *rmq__client_route_get(rmq_client_t *ci,
                                              const char *topic) {
        rmq_topic_route_data_t *r;
        rmq__lock(&ci->lock);
        r = rmq__strmap_get(&ci->routes, topic);
        r = r ? rmq__topic_route_dup(r) : NULL;
        rmq__unlock(&ci->lock);
        return r;
}

bool rmq__client_has_route(rmq_client_t *ci, const char *topic) {
        bool has;
        rmq__lock(&ci->lock);
        has = rmq__strmap_get(&ci->routes, topic) != NULL;
        rmq__unlock(&ci->lock);
        return has;
}

/* mirrors MQClientInstance.topicRouteData2TopicSubscribeInfo */
rmq_err_t rmq__client_subscribe_queues(rmq_client_t *ci, const char *topic,
                                       rmq_mq_t **mqsp, size_t *np) {
        const rmq_topic_route_data_t *r;
        rmq_mq_t *mqs = NULL;
        size_t n = 0, cap = 0, i;
        int32_t q;
        *mqsp = NULL;
        *np   = 0;
        rmq__lock(&ci->lock);
        r = rmq__strmap_get(&ci->routes, topic);
        if (!r) {
                rmq__unlock(&ci->lock);
                return RMQ_ERR__NO_ROUTE;
        }
        for (i = 0; i < r->queueDatas_cnt; i++) {
                const rmq_queue_data_t *qd = &r->queueDatas[i];
                if (!rmq__perm_is_readable(qd->perm))
                        continue;
                for (q = 0; q < qd->readQueueNums; q++) {
                        if (n == cap) {
                                cap = cap ? cap * 2 : 16;
                                mqs = rmq__realloc(mqs, cap * sizeof(*mqs));
                        }
                        rmq__mq_init(&mqs[n++], topic, qd->brokerName, q);
                }
        }
        rmq__unlock(&ci->lock);
        if (n > 1)
                qsort(mqs, n, sizeof(*mqs), rmq__mq_qsort_cmp);
        *mqsp = mqs;
        *np   = n;
        return RMQ_OK;
}

/* True if \p addr appears in some stored route. ci->lock held. */
static bool addr_in_routes_locked(rmq_client_t *ci, const char *addr) {
        rmq_strmap_entry_t *it = NULL, *e;
        size_t b;
        while ((e = rmq__strmap_next(&ci->routes, &it, &b))) {
                const rmq_topic_route_data_t *r = e->value;
                size_t i, k;
                for (i = 0; i < r->brokerDatas_cnt; i++)
                        for (k = 0; k < r->brokerDatas[i].brokerAddrs_cnt; k++)
                                if (!strcmp(
                                        r->brokerDatas[i].brokerAddrs[k].addr,
                                        addr))
                                        return true;
        }
        return false;
}

bool rmq__client_addr_in_routes(rmq_client_t *ci, const char *addr) {
        bool found;
        rmq__lock(&ci->lock);
        found = addr_in_routes_locked(ci, addr);
        rmq__unlock(&ci->lock);
        return found;
}

/* mirrors MQClientInstance.cleanOfflineBroker; what was removed is logged
 * after unlocking. */
void rmq__client_clean_offline_brokers(rmq_client_t *ci) {
        rmq_strmap_entry_t *it = NULL, *e;
        size_t b, i;
        char **gone = NULL, **lines = NULL;
        size_t ngone = 0, nlines = 0;
        rmq__lock(&ci->lock);
        while ((e = rmq__strmap_next(&ci->brokers, &it, &b))) {
                rmq_broker_entry_t *be = e->value;
                size_t k               = 0;
                for (i = 0; i < be->cnt; i++) {
                        if (addr_in_routes_locked(ci, be->addrs[i].addr)) {
                                be->versions[k] = be->versions[i];
                                be->addrs[k++]  = be->addrs[i];
                                continue;
                        }
                        lines =
                            rmq__realloc(lines, (nlines + 1) * sizeof(char *));
                        lines[nlines++] = rmq__asprintf(
                            "the broker addr [%s %s] is offline, remove it",
                            e->key, be->addrs[i].addr);
                        rmq__free(be->addrs[i].addr);
                }
                be->cnt = k;
                if (k == 0) {
                        gone = rmq__realloc(gone, (ngone + 1) * sizeof(char *));
                        gone[ngone++] = rmq__strdup(e->key);
                }
        }
        for (i = 0; i < ngone; i++)
                broker_entry_free(rmq__strmap_del(&ci->brokers, gone[i]));
        rmq__unlock(&ci->lock);
        for (i = 0; i < nlines; i++) {
                rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT", "%s", lines[i]);
                rmq__free(lines[i]);
        }
        for (i = 0; i < ngone; i++) {
                rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                         "the broker [%s] name's host is offline, remove it",
                         gone[i]);
                rmq__free(gone[i]);
        }
        rmq__free(lines);
        rmq__free(gone);
}

rmq_client_addr_t *rmq__client_addrs(rmq_client_t *ci, bool masters_only,
                                     size_t *np) {
        rmq_strmap_entry_t *it = NULL, *e;
        rmq_client_addr_t *v   = NULL;
        size_t b, i, n = 0;
        rmq__lock(&ci->lock);
        while ((e = rmq__strmap_next(&ci->brokers, &it, &b))) {
                rmq_broker_entry_t *be = e->value;
                for (i = 0; i < be->cnt; i++) {
                        if (masters_only &&
                            be->addrs[i].brokerId != RMQ_MASTER_ID)
                                continue;
                        v = rmq__realloc(v, (n + 1) * sizeof(*v));
                        v[n].broker_name = rmq__strdup(e->key);
                        v[n].broker_id   = be->addrs[i].brokerId;
                        v[n].addr        = rmq__strdup(be->addrs[i].addr);
                        n++;
                }
        }
        rmq__unlock(&ci->lock);
        *np = n;
        return v;
}

void rmq__client_addrs_free(rmq_client_addr_t *v, size_t n) {
        size_t i;
        for (i = 0; i < n; i++) {
                rmq__free(v[i].broker_name);
                rmq__free(v[i].addr);
        }
        rmq__free(v);
}

void rmq__client_broker_version_set(rmq_client_t *ci, const char *broker_name,
                                    const char *addr, int version) {
        rmq_broker_entry_t *be;
        size_t i;
        rmq__lock(&ci->lock);
        be = rmq__strmap_get(&ci->brokers, broker_name);
        for (i = 0; be && i < be->cnt; i++)
                if (!strcmp(be->addrs[i].addr, addr))
                        be->versions[i] = version;
        rmq__unlock(&ci->lock);
}

/* ---- members ---- */

rmq_member_t **rmq__client_members_get(rmq_client_t *ci, int kind, size_t *np) {
        rmq_member_t **v = NULL;
        size_t i, n = 0;
        rmq__lock(&ci->lock);
        if (ci->member_cnt)
                v = rmq__malloc(ci->member_cnt * sizeof(*v));
        for (i = 0; i < ci->member_cnt; i++) {
                rmq_member_t *m = ci->members[i];
                if (m->removed || (kind >= 0 && (int)m->kind != kind))
                        continue;
                m->refs++;
                v[n++] = m;
        }
        rmq__unlock(&ci->lock);
        *np = n;
        return v;
}

static void member_free(rmq_member_t *m) {
        rmq__free(m->group);
        rmq__free(m);
}

void rmq__client_member_unref(rmq_client_t *ci, rmq_member_t *m) {
        rmq__lock(&ci->lock);
        if (--m->refs == 0 && m->removed)
                uv_cond_broadcast(&ci->member_cond);
        rmq__unlock(&ci->lock);
}

void rmq__client_members_put(rmq_client_t *ci, rmq_member_t **v, size_t n) {
        size_t i;
        bool wake = false;
        if (n) {
                rmq__lock(&ci->lock);
                for (i = 0; i < n; i++)
                        if (--v[i]->refs == 0 && v[i]->removed)
                                wake = true;
                if (wake)
                        uv_cond_broadcast(&ci->member_cond);
                rmq__unlock(&ci->lock);
        }
        rmq__free(v);
}

rmq_member_t *rmq__client_member_find(rmq_client_t *ci, int kind,
                                      const char *group) {
        rmq_member_t *found = NULL;
        size_t i;
        rmq__lock(&ci->lock);
        for (i = 0; i < ci->member_cnt && !found; i++) {
                rmq_member_t *m = ci->members[i];
                if (!m->removed && (int)m->kind == kind &&
                    !strcmp(m->group, group)) {
                        m->refs++;
                        found = m;
                }
        }
        rmq__unlock(&ci->lock);
        return found;
}

rmq_err_t rmq__client_register(rmq_client_t *ci, const char *group,
                               const rmq_member_ops_t *ops, void *impl) {
        rmq_member_t *m;
        size_t i;
        rmq__lock(&ci->lock);
        for (i = 0; i < ci->member_cnt; i++) {
                if (ci->members[i]->kind == ops->kind &&
                    !strcmp(ci->members[i]->group, group)) {
                        rmq__unlock(&ci->lock);
                        rmq__log(&ci->lg, RMQ_LOG_WARN, "CLIENT",
                                 "the %s group [%s] exist already.",
                                 ops->kind == RMQ_MEMBER_CONSUMER ? "consumer"
                                                                  : "producer",
                                 group);
                        return RMQ_ERR__INVALID_ARG;
                }
        }
        m                             = rmq__calloc(1, sizeof(*m));
        m->kind                       = ops->kind;
        m->group                      = rmq__strdup(group);
        m->ops                        = ops;
        m->impl                       = impl;
        ci->members                   = rmq__realloc(ci->members,
                                                     (ci->member_cnt + 1) * sizeof(*ci->members));
        ci->members[ci->member_cnt++] = m;
        if (ops->kind == RMQ_MEMBER_CONSUMER) {
                ci->has_consumers = true;
                if (ci->state == CI_RUNNING && !ci->pull)
                        ci->pull = rmq__pool_new("rmq-pull", 1);
                if (ci->state == CI_RUNNING)
                        rmq__client_rebalance_start(ci);
        }
        rmq__unlock(&ci->lock);
        return RMQ_OK;
}

static void unregister_client(rmq_client_t *ci, const char *producer_group,
                              const char *consumer_group);

void rmq__client_unregister(rmq_client_t *ci, rmq_member_kind_t kind,
                            const char *group) {
        rmq_member_t *m = NULL;
        size_t i;
        rmq__lock(&ci->lock);
        for (i = 0; i < ci->member_cnt; i++) {
                if (ci->members[i]->kind == kind &&
                    !strcmp(ci->members[i]->group, group)) {
                        m = ci->members[i];
                        memmove(&ci->members[i], &ci->members[i + 1],
                                (ci->member_cnt - i - 1) *
                                    sizeof(*ci->members));
                        ci->member_cnt--;
                        break;
                }
        }
        if (m) {
                m->removed = true;
                while (m->refs > 0)
                        uv_cond_wait(&ci->member_cond, &ci->lock);
        }
        ci->has_consumers = false;
        for (i = 0; i < ci->member_cnt; i++)
                if (ci->members[i]->kind == RMQ_MEMBER_CONSUMER)
                        ci->has_consumers = true;
        rmq__unlock(&ci->lock);
        if (!m)
                return;
        member_free(m);
        if (kind == RMQ_MEMBER_CONSUMER)
                unregister_client(ci, NULL, group);
        else
                unregister_client(ci, group, NULL);
}

/* ---- route updates ---- */

/* Applies a received route (taken) under the route lock. Returns true if
 * it changed anything. mirrors the body of
 * updateTopicRouteInfoFromNameServer. */
static bool apply_route(rmq_client_t *ci, const char *topic,
                        rmq_topic_route_data_t *route, bool is_default,
                        int default_queue_nums) {
        rmq_topic_route_data_t *old;
        rmq_member_t **mv;
        bool changed, route_changed;
        size_t i, nm;
        if (is_default) {
                for (i = 0; i < route->queueDatas_cnt; i++) {
                        int32_t n = RMQ_MIN(default_queue_nums,
                                            route->queueDatas[i].readQueueNums);
                        route->queueDatas[i].readQueueNums  = n;
                        route->queueDatas[i].writeQueueNums = n;
                }
        }
        mv = rmq__client_members_get(ci, -1, &nm);
        rmq__lock(&ci->route_lock);
        rmq__lock(&ci->lock);
        old           = rmq__strmap_get(&ci->routes, topic);
        route_changed = rmq__topic_route_changed(old, route);
        rmq__unlock(&ci->lock);
        changed = route_changed;
        /* isNeedUpdateTopicRouteInfo */
        for (i = 0; i < nm && !changed; i++)
                if (mv[i]->ops->need_update)
                        changed = mv[i]->ops->need_update(mv[i]->impl, topic);
        if (changed) {
                rmq__lock(&ci->lock);
                for (i = 0; i < route->brokerDatas_cnt; i++) {
                        const rmq_broker_data_t *bd = &route->brokerDatas[i];
                        rmq_broker_entry_t *prev =
                            rmq__strmap_get(&ci->brokers, bd->brokerName);
                        rmq__strmap_set(&ci->brokers, bd->brokerName,
                                        broker_entry_from(bd, prev));
                        if (prev)
                                broker_entry_free(prev);
                }
                old = rmq__strmap_set(&ci->routes, topic, route);
                rmq__unlock(&ci->lock);
                for (i = 0; i < nm; i++)
                        if (mv[i]->ops->route_updated)
                                mv[i]->ops->route_updated(mv[i]->impl, topic,
                                                          route);
                if (old)
                        rmq__topic_route_destroy(old);
                route = NULL;
        }
        rmq__unlock(&ci->route_lock);
        rmq__client_members_put(ci, mv, nm);
        if (route_changed)
                rmq__log(&ci->lg, RMQ_LOG_INFO, "ROUTE",
                         "the topic [%s] route info changed", topic);
        if (route)
                rmq__topic_route_destroy(route);
        return changed;
}

static rmq_cmd_t *route_request(const rmq_client_t *ci, const char *topic) {
        rmq_cmd_t *req = rmq__cmd_new_request(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC);
        req->language  = (int32_t)ci->conf->language;
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
                           resp->code ? (rmq_err_t)resp->code
                                      : RMQ_ERR__BAD_MSG,
                           "CODE: %d  DESC: %s", resp->code,
                           resp->remark ? resp->remark : "no route body");
}

rmq_err_t rmq__client_fetch_route(rmq_client_t *ci, const char *topic,
                                  int64_t timeout_ms,
                                  rmq_topic_route_data_t **routep,
                                  char *errstr, size_t errstr_size) {
        rmq_cmd_t *req  = route_request(ci, topic);
        rmq_cmd_t *resp = NULL;
        rmq_err_t err;
        *routep = NULL;
        err     = rmq__remoting_invoke_sync(ci->rm, NULL, req, timeout_ms,
                                            &resp, errstr, errstr_size);
        rmq__cmd_destroy(req);
        if (err)
                return err;
        err = route_from_response(ci, topic, resp, routep, errstr, errstr_size);
        rmq__cmd_destroy(resp);
        return err;
}

rmq_err_t rmq__client_update_route(rmq_client_t *ci, const char *topic,
                                   bool is_default, const char *default_key,
                                   int default_queue_nums, char *errstr,
                                   size_t errstr_size) {
        rmq_topic_route_data_t *route;
        rmq_err_t err = rmq__client_fetch_route(
            ci, is_default ? default_key : topic, ci->conf->mqClientApiTimeout,
            &route, errstr, errstr_size);
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

static void route_async_done(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                             void *opaque) {
        route_async_t *ra             = opaque;
        rmq_topic_route_data_t *route = NULL;
        char buf[256]                 = "";
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

rmq_err_t rmq__client_update_route_async(rmq_client_t *ci, const char *topic,
                                         bool is_default,
                                         const char *default_key,
                                         int default_queue_nums,
                                         rmq_route_cb_t *cb, void *opaque) {
        rmq_cmd_t *req    = route_request(ci, is_default ? default_key : topic);
        route_async_t *ra = rmq__calloc(1, sizeof(*ra));
        rmq_err_t err;
        ra->ci                 = ci;
        ra->topic              = rmq__strdup(topic);
        ra->is_default         = is_default;
        ra->default_queue_nums = default_queue_nums;
        ra->cb                 = cb;
        ra->opaque             = opaque;
        err                    = rmq__remoting_invoke_async(ci->rm, NULL, req,
                                                            ci->conf->mqClientApiTimeout, 0,
                                                            route_async_done, ra);
        rmq__cmd_destroy(req);
        if (err) {
                rmq__free(ra->topic);
                rmq__free(ra);
        }
        return err;
}

rmq_err_t rmq__client_find_consumer_ids(rmq_client_t *ci, const char *topic,
                                        const char *group, char ***idsp,
                                        size_t *np, char *errstr,
                                        size_t errstr_size) {
        char addr[96];
        *idsp = NULL;
        *np   = 0;
        if (!rmq__client_broker_addr_by_topic(ci, topic, addr, sizeof(addr))) {
                rmq__client_update_route(ci, topic, false, NULL, 0, NULL, 0);
                if (!rmq__client_broker_addr_by_topic(ci, topic, addr,
                                                      sizeof(addr)))
                        return rmq__seterr(
                            errstr, errstr_size, RMQ_ERR__NO_ROUTE,
                            "no broker of topic %s is known", topic);
        }
        return rmq__api_get_consumer_id_list(ci, addr, group,
                                             ci->conf->mqClientApiTimeout, idsp,
                                             np, errstr, errstr_size);
}

/* ---- lifecycle ---- */


/* mirrors AclClientRPCHook.doBeforeRequest, registered as Java's
 * MQClientInstance registers the rpcHook it was created with: every
 * request the instance sends (name servers and brokers, oneway ones and
 * heartbeats too) is signed once its ext fields are final, right before
 * it is encoded. Runs on the invoking thread; the conf is read-only once
 * the instance runs. A libcrypto failure leaves the request unsigned
 * (the broker then refuses it, naming the access key). */
static void acl_before_request(const char *addr, rmq_cmd_t *req,
                               void *opaque) {
        const rmq_conf_t *conf = opaque;
        const char *token      = conf->securityToken;
        RMQ_UNUSED(addr);
        rmq__acl_sign(req, conf->accessKey, conf->secretKey,
                      token && *token ? token : NULL);
}

/* AclUtils.getAclRPCHook: both keys, or no signing. */
static bool acl_enabled(const rmq_conf_t *conf) {
        return conf->accessKey && *conf->accessKey && conf->secretKey &&
               *conf->secretKey;
}

rmq_err_t rmq__client_start(rmq_client_t *ci, char *errstr,
                            size_t errstr_size) {
        rmq_remoting_conf_t rc;
        rmq_err_t err = RMQ_OK;
        rmq__lock(&ci->lock);
        switch (ci->state) {
        case CI_CREATE_JUST:
                ci->state = CI_START_FAILED;
                if (ci->conf->test_mock_brokers > 0) {
                        err = rmq_mock_cluster_new(
                            &ci->mock, (int)ci->conf->test_mock_brokers, errstr,
                            errstr_size);
                        if (err)
                                break;
                        rmq__free(ci->conf->namesrvAddr);
                        ci->conf->namesrvAddr = rmq__strdup(
                            rmq_mock_cluster_namesrv_addr(ci->mock));
                }
                ci->io   = rmq__io_new("rmq-io", &ci->lg);
                ci->pool = rmq__pool_new(
                    "rmq-cb", (int)ci->conf->clientCallbackExecutorThreads);
                ci->sched = rmq__pool_new("rmq-sched", 1);
                if (!ci->io || !ci->pool || !ci->sched) {
                        err = rmq__seterr(errstr, errstr_size, RMQ_ERR__FAIL,
                                          "cannot start the client threads");
                        break;
                }
                rmq__remoting_conf_from(&rc, ci->conf);
                ci->rm = rmq__remoting_new(ci->io, &rc, ci->pool, &ci->lg);
                if (acl_enabled(ci->conf))
                        rmq__remoting_add_hook(ci->rm, acl_before_request,
                                               NULL, ci->conf);
                rmq__client_processor_register(ci);
                if (ci->conf->namesrvAddr)
                        rmq__remoting_set_namesrv(ci->rm,
                                                  ci->conf->namesrvAddr);
                else
                        ci->ns_lookup = true; /* MQClientInstance.start */
                if (ci->has_consumers) {
                        ci->pull = rmq__pool_new("rmq-pull", 1);
                        rmq__client_rebalance_start(ci);
                }
                ci->state = CI_RUNNING;
                break;
        case CI_START_FAILED:
                err = rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                                  "the client instance [%s] has been created "
                                  "before, and failed",
                                  ci->client_id);
                break;
        default:
                rmq__unlock(&ci->lock);
                return RMQ_OK;
        }
        rmq__unlock(&ci->lock);
        if (err)
                return err;
        if (ci->ns_lookup)
                rmq__client_fetch_namesrv(ci);
        rmq__client_tasks_start(ci);
        if (ci->mock)
                rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                         "test.mock.brokers: using a private mock cluster at "
                         "%s",
                         ci->conf->namesrvAddr);
        if (acl_enabled(ci->conf))
                rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                         "ACL: requests are signed with accessKey %s%s",
                         ci->conf->accessKey,
                         ci->conf->securityToken && *ci->conf->securityToken
                             ? " and a security token"
                             : "");
        else if ((ci->conf->accessKey && *ci->conf->accessKey) ||
                 (ci->conf->secretKey && *ci->conf->secretKey))
                rmq__log(&ci->lg, RMQ_LOG_WARN, "CLIENT",
                         "ACL: accessKey or secretKey is blank, requests "
                         "are not signed");
        rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                 "the client factory [%s] start OK", ci->client_id);
        return RMQ_OK;
}

static void client_free(rmq_client_t *ci) {
        size_t i;
        rmq__client_tasks_stop(ci);
        rmq__client_rebalance_stop(ci);
        /* The pull and scheduler threads run what they have queued and
         * stop before the transport goes. */
        rmq__pool_destroy(ci->pull);
        rmq__pool_destroy(ci->sched);
        /* Requests still waiting fail before the pool and timers go. */
        rmq__req_table_destroy(ci, ci->req_table);
        rmq__remoting_teardown(ci->io, ci->pool, ci->rm);
        rmq_mock_cluster_destroy(ci->mock);
        rmq__strmap_clear(&ci->routes, route_free);
        rmq__strmap_clear(&ci->brokers, broker_entry_free);
        for (i = 0; i < ci->member_cnt; i++)
                member_free(ci->members[i]);
        rmq__free(ci->members);
        uv_mutex_destroy(&ci->route_lock);
        uv_mutex_destroy(&ci->lock);
        uv_cond_destroy(&ci->member_cond);
        uv_mutex_destroy(&ci->rb_lock);
        uv_cond_destroy(&ci->rb_cond);
        uv_mutex_destroy(&ci->inner_lock);
        rmq__consumer_stats_destroy(ci->stats);
        rmq__free(ci->ns_fetched);
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
        if (ci->inner) {
                rmq_producer_destroy(ci->inner);
                ci->inner = NULL;
        } else {
                unregister_client(ci, RMQ_CLIENT_INNER_PRODUCER_GROUP, NULL);
        }
        rmq__lock(&ci->lock);
        ci->state = CI_SHUTDOWN_ALREADY;
        rmq__unlock(&ci->lock);
        client_free(ci);
}

/* ---- unregistering ---- */

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
static void unregister_client(rmq_client_t *ci, const char *producer_group,
                              const char *consumer_group) {
        rmq_client_addr_t *addrs;
        size_t i, naddr;
        unreg_wait_t w;
        int state;
        rmq__lock(&ci->lock);
        state = ci->state;
        rmq__unlock(&ci->lock);
        if (state != CI_RUNNING)
                return;
        addrs = rmq__client_addrs(ci, false, &naddr);
        uv_mutex_init(&w.lock);
        uv_cond_init(&w.cond);
        w.left = 1;
        w.ci   = ci;
        for (i = 0; i < naddr; i++) {
                rmq_cmd_t *req = rmq__api_unregister_client_request(
                    ci->conf, ci->client_id, producer_group, consumer_group);
                uv_mutex_lock(&w.lock);
                w.left++;
                uv_mutex_unlock(&w.lock);
                if (rmq__remoting_invoke_async(ci->rm, addrs[i].addr, req,
                                               ci->conf->mqClientApiTimeout, 0,
                                               unregister_done, &w)) {
                        uv_mutex_lock(&w.lock);
                        w.left--;
                        uv_mutex_unlock(&w.lock);
                }
                rmq__cmd_destroy(req);
        }
        rmq__client_addrs_free(addrs, naddr);
        uv_mutex_lock(&w.lock);
        w.left--;
        while (w.left > 0)
                uv_cond_wait(&w.cond, &w.lock);
        uv_mutex_unlock(&w.lock);
        uv_cond_destroy(&w.cond);
        uv_mutex_destroy(&w.lock);
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

rmq_producer_t *rmq__client_inner_producer(rmq_client_t *ci, char *errstr,
                                           size_t errstr_size) {
        rmq_producer_t *prod;
        rmq_conf_t *conf;
        /* inner_lock is not a library lock in the rmq__lock sense: the
         * producer's start registers with the instance (ci->lock inside)
         * and logs. Nothing else nests under it. */
        uv_mutex_lock(&ci->inner_lock);
        if (ci->inner) {
                prod = ci->inner;
                uv_mutex_unlock(&ci->inner_lock);
                return prod;
        }
        conf = rmq_conf_dup(ci->conf);
        rmq_conf_set(conf, "producerGroup", RMQ_CLIENT_INNER_PRODUCER_GROUP,
                     NULL, 0);
        if (rmq_producer_new(&prod, conf, errstr, errstr_size) == RMQ_OK &&
            rmq__producer_start_inner(prod, ci, errstr, errstr_size)) {
                rmq_producer_destroy(prod);
                prod = NULL;
        }
        rmq_conf_destroy(conf);
        ci->inner = prod;
        uv_mutex_unlock(&ci->inner_lock);
        return prod;
}

rmq_pool_t *rmq__client_sched_pool(rmq_client_t *ci) {
        return ci->sched;
}

_Atomic int64_t *rmq__client_held_bytes(rmq_client_t *ci) {
        return &ci->held_bytes;
}

bool rmq__client_over_budget(rmq_client_t *ci) {
        int64_t budget = ci->conf->consumerMemoryBudget;
        return budget > 0 &&
               atomic_load_explicit(&ci->held_bytes, memory_order_relaxed) >
                   budget;
}

struct rmq_consumer_stats_s *rmq__client_consumer_stats(rmq_client_t *ci) {
        return ci->stats;
}

rmq_pool_t *rmq__client_pull_pool(rmq_client_t *ci) {
        rmq_pool_t *p;
        rmq__lock(&ci->lock);
        p = ci->pull;
        rmq__unlock(&ci->lock);
        return p;
}

rmq_io_t *rmq__client_io(rmq_client_t *ci) {
        return ci->io;
}

bool rmq__client_on_own_thread(rmq_client_t *ci) {
        uv_thread_t self;
        bool rb;
        if (!ci->io)
                return false;
        if (rmq__io_on_loop(ci->io) || rmq__pool_on_worker(ci->pool) ||
            rmq__pool_on_worker(ci->sched))
                return true;
        if (ci->pull && rmq__pool_on_worker(ci->pull))
                return true;
        self = uv_thread_self();
        uv_mutex_lock(&ci->rb_lock);
        rb = ci->rb_started && uv_thread_equal(&self, &ci->rb_tid);
        uv_mutex_unlock(&ci->rb_lock);
        return rb;
}

const char *rmq__client_ip(const rmq_client_t *ci) {
        return ci->client_ip;
}
