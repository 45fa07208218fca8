/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the push and the lite pull consumer do alike (Java repeats it in
 * DefaultMQPushConsumerImpl and DefaultLitePullConsumerImpl): checkConfig's
 * group checks, the allocation strategy of the configuration, the offset
 * store of the message model, the heartbeat's ConsumerData, the routes of
 * the subscriptions, checkClientInBroker, fetchSubscribeMessageQueues and
 * the commit of the consumed offsets at shutdown.
 *
 * Threads: application threads (start, shutdown, API calls) and the client
 * instance's threads for the member callbacks; never the I/O thread.
 */
#ifndef RMQ_CONSUMER_BASE_H
#define RMQ_CONSUMER_BASE_H

#include "client/rmq_client.h"
#include "consumer/rmq_allocate.h"
#include "consumer/rmq_offset_store.h"
#include "consumer/rmq_rebalance.h"
#include "protocol/rmq_running_info.h"

/* checkConfig: the group is valid and not DEFAULT_CONSUMER, and a
 * consumeTimestamp parses. RMQ_OK or RMQ_ERR__INVALID_ARG. */
rmq_err_t rmq__consumer_check_config(const rmq_conf_t *conf, const char *group,
                                     char *errstr, size_t errstr_size);

/* The strategy allocateMessageQueueStrategy names. */
rmq_allocate_t *rmq__consumer_conf_allocate(const rmq_conf_t *conf);

/* RMQ_HB_BROADCASTING / RMQ_HB_CLUSTERING of the configuration. */
int rmq__consumer_message_model(const rmq_conf_t *conf);

/* initOffsetStore: a local file store (broadcasting) or the broker's
 * (clustering), loaded. */
rmq_err_t rmq__consumer_offsets_new(rmq_offset_store_t **osp, rmq_client_t *ci,
                                    const rmq_conf_t *conf, const char *group,
                                    int message_model, const rmq_logger_t *lg,
                                    char *errstr, size_t errstr_size);

/* prepareHeartbeatData for one consumer: its ConsumerData with the
 * subscriptions of \p rb in Java's order. */
void rmq__consumer_heartbeat_data(rmq_rebalance_t *rb, const rmq_conf_t *conf,
                                  int consume_type, int consume_from_where,
                                  rmq_heartbeat_data_t *hb);

/* The subscribed topics into \p topics (keys; values (void *)1). */
void rmq__consumer_collect_topics(rmq_rebalance_t *rb, rmq_strmap_t *topics);

/* updateTopicSubscribeInfoWhenSubscriptionChanged: the routes of the
 * subscribed topics (only those without one when \p missing_only). */
void rmq__consumer_update_sub_routes(rmq_rebalance_t *rb, bool missing_only);

/* checkClientInBroker for the SQL92 subscriptions of \p rb. */
rmq_err_t rmq__consumer_check_client_in_broker(rmq_rebalance_t *rb,
                                               const rmq_conf_t *conf,
                                               char *errstr,
                                               size_t errstr_size);

/* fetchSubscribeMessageQueues of \p topic (without the namespace; the
 * queues' topics without it too, as parseMessageQueues), the route
 * fetched if unknown; an array to free with rmq_message_queues_destroy. */
rmq_err_t rmq__consumer_fetch_queues(rmq_client_t *ci, const rmq_conf_t *conf,
                                     const char *topic,
                                     rmq_message_queue_t ***mqsp, size_t *cntp,
                                     char *errstr, size_t errstr_size);

/* The public array of \p mqs (topics without the namespace of \p conf),
 * freed with rmq_message_queues_destroy. */
rmq_message_queue_t **rmq__consumer_queues_out(const rmq_conf_t *conf,
                                               const rmq_mq_t *mqs, size_t n);

/* The offsets of \p mqs committed before the group leaves: acknowledged
 * requests within mqClientApiTimeout (clustering) or the file
 * (broadcasting); failures logged. */
void rmq__consumer_commit_at_shutdown(rmq_offset_store_t *os,
                                      const rmq_conf_t *conf, int message_model,
                                      const rmq_logger_t *lg, const char *group,
                                      const rmq_mq_t *mqs, size_t n);

/* The answer to GET_CONSUMER_STATUS_FROM_CLIENT (\p req's topic, blank:
 * all): the offset table of \p os as Java's ConsumerStatusBody. */
rmq_cmd_t *rmq__consumer_status_response(rmq_offset_store_t *os,
                                         const rmq_cmd_t *req);

/* consumerRunningInfo's common part: \p info zeroed, then the consumer's
 * settings by their Java field names (MixAll.object2Properties), the
 * group, PROP_CONSUMER_START_TIMESTAMP and what MQClientInstance adds
 * (PROP_NAMESERVER_ADDR, PROP_CONSUME_TYPE \p consume_type,
 * PROP_CLIENT_VERSION). The caller adds its own, then answers with
 * rmq__consumer_running_info_response. */
void rmq__consumer_running_info_base(rmq_consumer_running_info_t *info,
                                     rmq_client_t *ci, const rmq_conf_t *conf,
                                     const char *group, int64_t start_ms,
                                     const char *consume_type);
/* The GET_CONSUMER_RUNNING_INFO answer of \p info (properties put in
 * Java's order; \p info cleared). */
rmq_cmd_t *
rmq__consumer_running_info_response(rmq_consumer_running_info_t *info);

/* ---- the statistics document (rmq_consumer_stats_doc.c) ---- */

struct cJSON;
struct rmq_consumer_stats_s;

/* Adds the "consumer" object of the statistics document
 * (docs/STATISTICS.md) to \p doc and returns it (the caller adds its own
 * members): "group"; "topics", for the subscriptions of \p rb (may be
 * NULL) and the topics of \p mqs, each with the ConsumeStatus
 * GET_CONSUMER_RUNNING_INFO's statusTable reports
 * (rmq__consumer_stats_consume_status: one source for both) and the
 * cumulative counts (rmq__consumer_stats_totals); "queues", each of
 * \p mqs with the figures of its process queue \p pqs[i]
 * (rmq__pq_fill_info, as the running info's mqTable) and its size in
 * messages and bytes; "cached_msgs" and "cached_bytes", their sums.
 * Takes \p mqs (an rmq__mq_array_free array) and \p pqs (an rmq__free
 * array of referenced process queues) and frees them. No lock held by the
 * caller. */
struct cJSON *rmq__consumer_stats_doc(struct cJSON *doc,
                                      struct rmq_consumer_stats_s *stats,
                                      const char *group, rmq_rebalance_t *rb,
                                      rmq_mq_t *mqs, rmq_pq_t **pqs, size_t nq);

#endif /* RMQ_CONSUMER_BASE_H */
