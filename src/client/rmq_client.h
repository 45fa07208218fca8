/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client instance: mirrors MQClientManager (one instance per clientId,
 * shared by every producer and consumer of that clientId) and
 * MQClientInstance (route and broker tables, scheduled route refresh,
 * heartbeat and offline-broker cleanup, unregistering at shutdown).
 *
 * Threads: the instance owns the I/O thread (loop), the callback pool and
 * the transport. Periodic tasks are loop timers issuing async requests, so
 * one dead broker never stalls the others. The tables are protected by the
 * instance lock; producer callbacks (rmq_producer_ops_t) are called with
 * that lock held and must not call back into the instance.
 */
#ifndef RMQ_CLIENT_H
#define RMQ_CLIENT_H

#include "common/rmq_conf_int.h"
#include "common/rmq_log.h"
#include "common/rmq_map.h"
#include "protocol/rmq_route.h"
#include "remoting/rmq_remoting.h"

typedef struct rmq_client_s rmq_client_t;

/* What the instance needs from a producer (Java MQProducerInner). Called
 * with the instance lock held. */
typedef struct rmq_producer_ops_s {
        /* Adds each publish topic to \p topics (keys; values unused). */
        void (*collect_topics)(void *impl, rmq_strmap_t *topics);
        /* The route of \p topic changed: rebuild its TopicPublishInfo. */
        void (*route_updated)(void *impl, const char *topic,
                              const rmq_topic_route_data_t *route);
        /* isPublishTopicNeedUpdate */
        bool (*need_update)(void *impl, const char *topic);
} rmq_producer_ops_t;

/* Java MixAll.CLIENT_INNER_PRODUCER_GROUP, always in heartbeats. */
#define RMQ_CLIENT_INNER_PRODUCER_GROUP "CLIENT_INNER_PRODUCER"

/* Java ClientConfig.buildMQClientId with the instance name resolved:
 * "DEFAULT" becomes "<pid>#<nanotime>" (changeInstanceNameToPID). Writes
 * the resolved instance name back into \p conf. */
void rmq__client_build_id(rmq_conf_t *conf, char *dst, size_t size);

/* Finds the instance for \p conf's clientId or creates it (not started),
 * and takes a reference. \p conf is copied for a new instance. */
rmq_client_t *rmq__client_acquire(const rmq_conf_t *conf);
/* Drops a reference; the last one shuts the instance down (unregisters,
 * stops threads) and frees it. Not from a library thread. */
void rmq__client_release(rmq_client_t *ci);

/* Starts the threads and timers (idempotent). */
rmq_err_t rmq__client_start(rmq_client_t *ci, char *errstr,
                            size_t errstr_size);

/* Java registerProducer: fails with RMQ_ERR__INVALID_ARG if the group is
 * already registered on this instance. */
rmq_err_t rmq__client_register_producer(rmq_client_t *ci, const char *group,
                                        const rmq_producer_ops_t *ops,
                                        void *impl);
/* Java unregisterProducer + unregisterClient: removes the group and sends
 * UNREGISTER_CLIENT to every known broker (waits up to
 * mqClientApiTimeout). */
void rmq__client_unregister_producer(rmq_client_t *ci, const char *group);

/* Sends a heartbeat to every broker now (async; does not wait). */
void rmq__client_heartbeat_now(rmq_client_t *ci);

/*
 * Route update from the name server (updateTopicRouteInfoFromNameServer).
 * is_default: fetch the route of \p default_key (createTopicKey) and use it
 * for \p topic with at most \p default_queue_nums queues.
 * Sync: called from an application thread; returns RMQ_OK when a route was
 * received (applied if changed), else the error (TOPIC_NOT_EXIST...).
 */
rmq_err_t rmq__client_update_route(rmq_client_t *ci, const char *topic,
                                   bool is_default, const char *default_key,
                                   int default_queue_nums, char *errstr,
                                   size_t errstr_size);

/* Async variant; \p cb runs on the callback pool. */
typedef void(rmq_route_cb_t)(rmq_client_t *ci, rmq_err_t err,
                             const char *errstr, void *opaque);
rmq_err_t rmq__client_update_route_async(rmq_client_t *ci, const char *topic,
                                         bool is_default,
                                         const char *default_key,
                                         int default_queue_nums,
                                         rmq_route_cb_t *cb, void *opaque);

/* The master address of \p broker_name (findBrokerAddressInPublish) into
 * \p dst; false when unknown. */
bool rmq__client_broker_addr_in_publish(rmq_client_t *ci,
                                        const char *broker_name, char *dst,
                                        size_t size);

/* A copy of the stored route of \p topic (free with
 * rmq__topic_route_destroy), or NULL. */
rmq_topic_route_data_t *rmq__client_route_get(rmq_client_t *ci,
                                              const char *topic);

const char *rmq__client_id(const rmq_client_t *ci);
const rmq_conf_t *rmq__client_conf(const rmq_client_t *ci);
const rmq_logger_t *rmq__client_logger(const rmq_client_t *ci);
rmq_remoting_t *rmq__client_remoting(rmq_client_t *ci);
rmq_pool_t *rmq__client_cb_pool(rmq_client_t *ci);
rmq_io_t *rmq__client_io(rmq_client_t *ci);
/* The client's own address ("ip"), used as bornHost in hooks. */
const char *rmq__client_ip(const rmq_client_t *ci);

/* Sets up \p lg from \p conf (callback, level, debug facilities). */
void rmq__logger_from_conf(rmq_logger_t *lg, const rmq_conf_t *conf,
                           const char *client_id);

#endif /* RMQ_CLIENT_H */
