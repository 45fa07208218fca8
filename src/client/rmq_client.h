/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client instance: mirrors MQClientManager (one instance per clientId,
 * shared by every producer and consumer of that clientId) and
 * MQClientInstance (route and broker tables, members, scheduled route
 * refresh, heartbeat, offline-broker cleanup and offset persistence, the
 * rebalance and pull services, broker-initiated requests, unregistering at
 * shutdown).
 *
 * Threads of an instance (every one joined at shutdown):
 * - the I/O loop "rmq-io": sockets, request deadlines, the timer service;
 * - the callback pool "rmq-cb-N": async completions and broker requests;
 * - the scheduler "rmq-sched": the periodic tasks (route refresh,
 *   heartbeat, offset persistence), started by loop timers, each task
 *   queued at most once at a time;
 * - with the first consumer: the rebalance service "rmq-rebalance" and
 *   the pull service "rmq-pull".
 *
 * Members (producers and consumers, Java MQProducerInner and
 * MQConsumerInner) are called through rmq_member_ops_t without the
 * instance lock held: the instance takes a referenced snapshot of its
 * members under the lock and calls out after unlocking, so a member's own
 * locks never nest under it. Unregistering waits for the member's
 * callouts in progress, so a member is never called after
 * rmq__client_unregister() returns.
 */
#ifndef RMQ_CLIENT_H
#define RMQ_CLIENT_H

#include <stdatomic.h>

#include "common/rmq_conf_int.h"
#include "common/rmq_log.h"
#include "common/rmq_map.h"
#include "protocol/rmq_bodies.h"
#include "protocol/rmq_heartbeat.h"
#include "protocol/rmq_route.h"
#include "remoting/rmq_remoting.h"
#include "rocketmq/rmq_producer.h"

typedef struct rmq_client_s rmq_client_t;

/* Java MixAll.CLIENT_INNER_PRODUCER_GROUP, always in heartbeats. */
#define RMQ_CLIENT_INNER_PRODUCER_GROUP "CLIENT_INNER_PRODUCER"

typedef enum rmq_member_kind_e {
        RMQ_MEMBER_PRODUCER, /* MQProducerInner */
        RMQ_MEMBER_CONSUMER  /* MQConsumerInner */
} rmq_member_kind_t;

/*
 * What the instance needs from a member. Every callback may be NULL where
 * it does not apply, and is called without any instance lock held, except
 * route_updated and need_update, which run under the route lock (Java's
 * lockNamesrv, which serialises route updates): they must only update the
 * member's tables (no logging, no calls back into the instance).
 */
typedef struct rmq_member_ops_s {
        rmq_member_kind_t kind;
        /* Consumers: adds the ConsumerData (prepareHeartbeatData). The
         * instance adds a producer's group itself. */
        void (*heartbeat_data)(void *impl, rmq_heartbeat_data_t *hb);
        /* Adds the topics whose routes it needs (keys of \p topics):
         * getPublishTopicList / the subscriptions' topics. */
        void (*collect_topics)(void *impl, rmq_strmap_t *topics);
        /* The route of \p topic changed (updateTopicPublishInfo /
         * updateTopicSubscribeInfo). Route lock held. */
        void (*route_updated)(void *impl, const char *topic,
                              const rmq_topic_route_data_t *route);
        /* isPublishTopicNeedUpdate / isSubscribeTopicNeedUpdate. Route
         * lock held. */
        bool (*need_update)(void *impl, const char *topic);
        /* Consumers: doRebalance, on the rebalance thread. */
        void (*do_rebalance)(void *impl);
        /* Consumers: persistConsumerOffset, on the scheduler thread. */
        void (*persist_offsets)(void *impl);
        /* A broker request addressed to this member
         * (RESET_CONSUMER_CLIENT_OFFSET, GET_CONSUMER_STATUS_FROM_CLIENT,
         * GET_CONSUMER_RUNNING_INFO and CONSUME_MESSAGE_DIRECTLY for a
         * consumer; CHECK_TRANSACTION_STATE for a producer), on the
         * callback pool. \p req is borrowed. Returns the answer (taken by
         * the instance, which completes and sends it) or NULL for none. */
        rmq_cmd_t *(*process_request)(void *impl, const char *addr,
                                      const rmq_cmd_t *req);
} rmq_member_ops_t;

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
rmq_err_t rmq__client_start(rmq_client_t *ci, char *errstr, size_t errstr_size);

/* registerProducer / registerConsumer: fails with RMQ_ERR__INVALID_ARG if
 * a member of that kind and group is registered already. \p ops must
 * outlive the registration. A consumer starts the rebalance and pull
 * services if they are not running. */
rmq_err_t rmq__client_register(rmq_client_t *ci, const char *group,
                               const rmq_member_ops_t *ops, void *impl);
/* unregisterProducer / unregisterConsumer: removes the member, waits for
 * its callouts in progress (so it is never called again), then sends
 * UNREGISTER_CLIENT to every known broker and waits for the answers (up
 * to mqClientApiTimeout). Never from inside one of the member's own
 * callouts. */
void rmq__client_unregister(rmq_client_t *ci, rmq_member_kind_t kind,
                            const char *group);

/* Sends a heartbeat to every broker now (async; does not wait). */
void rmq__client_heartbeat_now(rmq_client_t *ci);
/* Sends a heartbeat to every broker and waits for the answers (at most
 * mqClientApiTimeout): what a consumer's start and subscription changes
 * do (sendHeartbeatToAllBrokerWithLock), so that the brokers know it
 * before its first rebalance. Returns the number of brokers that
 * accepted it. Not from the I/O thread. */
int rmq__client_heartbeat_sync(rmq_client_t *ci);

/* Wakes the rebalance service (rebalanceImmediately). Any thread. */
void rmq__client_rebalance_now(rmq_client_t *ci);

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

/* getTopicRouteInfoFromNameServer(topic, timeout): the name server's
 * route of \p topic (free with rmq__topic_route_destroy), not stored.
 * Sync, not from the I/O thread; errors as rmq__client_update_route. */
rmq_err_t rmq__client_fetch_route(rmq_client_t *ci, const char *topic,
                                  int64_t timeout_ms,
                                  rmq_topic_route_data_t **routep,
                                  char *errstr, size_t errstr_size);

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

/* findBrokerAddressInSubscribe: the address of \p broker_id of
 * \p broker_name; for a missing slave id the next id; unless
 * \p only_this, any address of the broker (the smallest id) when neither
 * exists. \p slavep (may be NULL) tells whether it is not the master,
 * \p versionp (may be NULL) the broker's version from its last heartbeat
 * answer (0 if none yet). False when the broker is unknown. */
bool rmq__client_broker_addr_in_subscribe(rmq_client_t *ci,
                                          const char *broker_name,
                                          int64_t broker_id, bool only_this,
                                          char *dst, size_t size, bool *slavep,
                                          int *versionp);

/* findBrokerAddrByTopic: a broker of \p topic's route picked at random,
 * its master or else a random slave (BrokerData.selectBrokerAddr). */
bool rmq__client_broker_addr_by_topic(rmq_client_t *ci, const char *topic,
                                      char *dst, size_t size);

/* A copy of the stored route of \p topic (free with
 * rmq__topic_route_destroy), or NULL. */
rmq_topic_route_data_t *rmq__client_route_get(rmq_client_t *ci,
                                              const char *topic);
/* Whether a route of \p topic is stored (topicRouteTable.containsKey). */
bool rmq__client_has_route(rmq_client_t *ci, const char *topic);

/* The instance's topicSubscribeInfoTable entry of \p topic (Java
 * topicRouteData2TopicSubscribeInfo over the stored route: every queue of
 * a readable QueueData), sorted as MessageQueue.compareTo. RMQ_OK with a
 * new array (free with rmq__mq_array_free; may hold 0 queues), or
 * RMQ_ERR__NO_ROUTE when no route of \p topic is known. */
rmq_err_t rmq__client_subscribe_queues(rmq_client_t *ci, const char *topic,
                                       rmq_mq_t **mqsp, size_t *np);

/* findConsumerIdList: GET_CONSUMER_LIST_BY_GROUP to a broker of \p topic
 * (the route fetched first if none is known). The list is sorted as Java
 * sorts it (String.compareTo) and NULL-terminated; free it with
 * rmq__strv_free. Blocks up to mqClientApiTimeout; not from the I/O
 * thread. */
rmq_err_t rmq__client_find_consumer_ids(rmq_client_t *ci, const char *topic,
                                        const char *group, char ***idsp,
                                        size_t *np, char *errstr,
                                        size_t errstr_size);

const char *rmq__client_id(const rmq_client_t *ci);
const rmq_conf_t *rmq__client_conf(const rmq_client_t *ci);
const rmq_logger_t *rmq__client_logger(const rmq_client_t *ci);
rmq_remoting_t *rmq__client_remoting(rmq_client_t *ci);
rmq_pool_t *rmq__client_cb_pool(rmq_client_t *ci);
/* The pull service thread (PullMessageService): a one-thread pool that
 * consumers submit their pull jobs to (NULL before the first consumer). */
rmq_pool_t *rmq__client_pull_pool(rmq_client_t *ci);
/* The instance's own producer (Java MQClientInstance.getDefaultMQProducer,
 * group CLIENT_INNER_PRODUCER): what consumers send retries and dead
 * letters with. Made and started on first use; shut down with the
 * instance. NULL (with a reason) if it cannot start. Not from the I/O
 * thread. */
rmq_producer_t *rmq__client_inner_producer(rmq_client_t *ci, char *errstr,
                                           size_t errstr_size);
/* The scheduler thread (one-thread pool; started with the instance):
 * consumers queue their delayed blocking work there (offset fixes,
 * periodic queue locks). */
rmq_pool_t *rmq__client_sched_pool(rmq_client_t *ci);
/* The bytes of pulled messages the instance's consumers hold (decoded
 * batches count themselves in and out), and whether they exceed the
 * instance's consumer.memory.budget (the conf of its first member). */
_Atomic int64_t *rmq__client_held_bytes(rmq_client_t *ci);
bool rmq__client_over_budget(rmq_client_t *ci);
/* The instance's consumer statistics (Java consumerStatsManager), sampled
 * every 10 s on the scheduler; alive as long as the instance. */
struct rmq_consumer_stats_s *rmq__client_consumer_stats(rmq_client_t *ci);
rmq_io_t *rmq__client_io(rmq_client_t *ci);
/* True on any thread of the instance (loop, callback pool, scheduler,
 * rebalance or pull service): where a blocking shutdown of a handle
 * would wait for itself. */
bool rmq__client_on_own_thread(rmq_client_t *ci);
/* The client's own address ("ip"), used as bornHost in hooks. */
const char *rmq__client_ip(const rmq_client_t *ci);

/* Sets up \p lg from \p conf (callback, level, debug facilities). */
void rmq__logger_from_conf(rmq_logger_t *lg, const rmq_conf_t *conf,
                           const char *client_id);

/* Whether the instance has a name server list (set, or fetched by the
 * name server lookup); if not, \p why (may be NULL) receives why (the
 * lookup's failure when there was one). Any thread. */
bool rmq__client_has_namesrv(rmq_client_t *ci, char *why, size_t why_size);

#endif /* RMQ_CLIENT_H */
