/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Topic route data: the GET_ROUTEINFO_BY_TOPIC body.
 *
 * @see Java: TopicRouteData, QueueData, BrokerData, PermName
 *      (common/.../protocol/route/, common/.../constant/).
 */
#ifndef RMQ_ROUTE_H
#define RMQ_ROUTE_H

#include "common/rmq_buf.h"
#include "protocol/rmq_jsonw.h"

/* PermName */
#define RMQ_PERM_PRIORITY 0x8
#define RMQ_PERM_READ     0x4
#define RMQ_PERM_WRITE    0x2
#define RMQ_PERM_INHERIT  0x1

static inline bool rmq__perm_is_readable(int32_t perm) {
        return (perm & RMQ_PERM_READ) == RMQ_PERM_READ;
}
static inline bool rmq__perm_is_writeable(int32_t perm) {
        return (perm & RMQ_PERM_WRITE) == RMQ_PERM_WRITE;
}
static inline bool rmq__perm_is_inherited(int32_t perm) {
        return (perm & RMQ_PERM_INHERIT) == RMQ_PERM_INHERIT;
}
/* PermName.perm2String: "RWX" with '-' for a missing bit; \p dst holds 4
 * bytes. */
void rmq__perm_to_string(int32_t perm, char dst[4]);

/* MixAll.MASTER_ID */
#define RMQ_MASTER_ID 0

typedef struct rmq_queue_data_s {
        char *brokerName;
        int32_t readQueueNums;
        int32_t writeQueueNums;
        int32_t perm;
        int32_t topicSysFlag; /* old brokers: "topicSynFlag" */
} rmq_queue_data_t;

typedef struct rmq_broker_addr_s {
        int64_t brokerId;
        char *addr;
} rmq_broker_addr_t;

typedef struct rmq_broker_data_s {
        char *cluster;
        char *brokerName;
        rmq_broker_addr_t *brokerAddrs; /* HashMap<Long, String> */
        size_t brokerAddrs_cnt;
} rmq_broker_data_t;

typedef struct rmq_filter_server_s {
        char *brokerAddr;
        char **servers;
        size_t servers_cnt;
} rmq_filter_server_t;

typedef struct rmq_topic_route_data_s {
        char *orderTopicConf; /* NULL when absent */
        rmq_queue_data_t *queueDatas;
        size_t queueDatas_cnt;
        rmq_broker_data_t *brokerDatas;
        size_t brokerDatas_cnt;
        rmq_filter_server_t *filterServerTable;
        size_t filterServerTable_cnt;
} rmq_topic_route_data_t;

/* Decodes a route body (fastjson text: unquoted numeric brokerAddrs keys
 * and "topicSynFlag" accepted). Returns a route to free with
 * rmq__topic_route_destroy, or NULL and RMQ_ERR__BAD_MSG with a reason in
 * \p errstr: not JSON, a member of the wrong type, a queue or broker
 * without brokerName, a number out of range.
 * @see Java: TopicRouteData.decode (RemotingSerializable) */
rmq_err_t rmq__topic_route_decode(const void *body, size_t len,
                                  rmq_topic_route_data_t **routep,
                                  char *errstr, size_t errstr_size);

/* Appends the body as the 4.9.8 name server writes it for a client of
 * V4_9_4 or later, or one that asks acceptStandardJsonOnly (fixtures
 * 004/050): standard JSON, members alphabetical, orderTopicConf left out
 * when NULL. */
void rmq__topic_route_encode(const rmq_topic_route_data_t *route,
                             rmq_buf_t *out);
/* The same in fastjson's default form (RemotingSerializable#encode), what
 * the 4.9.8 name server writes for older clients: brokerAddrs keys are
 * bare numbers ({0:"..."}). */
void rmq__topic_route_encode_fastjson(const rmq_topic_route_data_t *route,
                                      rmq_buf_t *out);
/* One BrokerData object (member \p key, or NULL in an array), its
 * brokerAddrs keys bare (\p bare_ids) or quoted, as
 * rmq__topic_route_encode(_fastjson) and ClusterInfo write it. */
void rmq__broker_data_encode(rmq_jsonw_t *jw, const char *key,
                             const rmq_broker_data_t *bd, bool bare_ids);

/* A deep copy. @see Java: TopicRouteData#cloneTopicRouteData (which is
 * shallow; the copy here owns everything) */
rmq_topic_route_data_t *rmq__topic_route_dup(
    const rmq_topic_route_data_t *route);
void rmq__topic_route_destroy(rmq_topic_route_data_t *route);

/* TopicRouteData.equals after both sides' queueDatas and brokerDatas are
 * sorted by brokerName (stable), as MQClientInstance.topicRouteDataIsChange
 * compares them. brokerAddrs and filterServerTable compare as maps;
 * BrokerData.equals ignores cluster, as in 4.9.8. */
bool rmq__topic_route_equal(const rmq_topic_route_data_t *a,
                            const rmq_topic_route_data_t *b);
/* !equal, and true if either is NULL. @see Java:
 * MQClientInstance#topicRouteDataIsChange */
bool rmq__topic_route_changed(const rmq_topic_route_data_t *olddata,
                              const rmq_topic_route_data_t *nowdata);

/* The address of brokerId 0 or NULL. */
const char *rmq__broker_data_master_addr(const rmq_broker_data_t *bd);
/* The address for \p brokerId or NULL. */
const char *rmq__broker_data_addr(const rmq_broker_data_t *bd,
                                  int64_t brokerId);
/* The address MQClientInstance.findBrokerAddressInSubscribe picks among
 * one broker's \p n addresses: \p brokerId; for a missing slave id the
 * next id (brokerId + 1); unless \p onlyThisBroker, the first entry of
 * Java's HashMap<Long, String> (for broker ids: the smallest). Returns its
 * index (and in \p slavep whether it is not the master) or -1. */
int rmq__broker_addrs_pick_subscribe(const rmq_broker_addr_t *addrs,
                                     size_t n, int64_t brokerId,
                                     bool onlyThisBroker, bool *slavep);

/* BrokerData for \p brokerName or NULL. */
const rmq_broker_data_t *rmq__topic_route_broker(
    const rmq_topic_route_data_t *route, const char *brokerName);

#endif /* RMQ_ROUTE_H */
