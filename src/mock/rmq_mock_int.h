/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mock cluster's internals (STYLE R11, after librdkafka's
 * rdkafka_mock_int.h): one name server and N brokers, each an
 * rmq_remoting_t listening on 127.0.0.1, all on the mock's own loop thread
 * (one rmq_io_t). Every structure here is touched only on that thread,
 * except the request counters (track_lock).
 *
 * Requests reach rmq__mock_dispatch(), which counts them, applies injected
 * faults and calls the handler of the request code from one table
 * (rmq_mock_handlers.c). A handler returns its response, or NULL after
 * keeping the request (long polling) or for a oneway request.
 */
#ifndef RMQ_MOCK_INT_H
#define RMQ_MOCK_INT_H

#include <uv.h>

#include "common/rmq_buf.h"
#include "common/rmq_io.h"
#include "common/rmq_list.h"
#include "common/rmq_log.h"
#include "common/rmq_map.h"
#include "protocol/rmq_heartbeat.h"
#include "protocol/rmq_jsonw.h"
#include "protocol/rmq_message_codec.h"
#include "remoting/rmq_remoting.h"
#include "rocketmq/rmq_mock.h"

#define RMQ_MOCK_MAX_BROKERS   26
#define RMQ_MOCK_NAMESRV_ID    (-2)
#define RMQ_MOCK_CLUSTER_NAME  "DefaultCluster"
#define RMQ_MOCK_REGION_ID     "DefaultRegion"
/* BrokerConfig.msgTraceTopicName (TopicValidator.RMQ_SYS_TRACE_TOPIC) */
#define RMQ_MOCK_TRACE_TOPIC   "RMQ_SYS_TRACE_TOPIC"
/* MQVersion.Version.V4_9_8.ordinal(): what the mock says it is. */
#define RMQ_MOCK_VERSION       409
/* MQVersion.Version.V3_4_9.ordinal(): from this version on the request's
 * maxReconsumeTimes is honoured. */
#define RMQ_MOCK_V3_4_9        121
/* MQVersion.Version.V4_9_4.ordinal(): from this version on routes are
 * answered in standard JSON. */
#define RMQ_MOCK_V4_9_4 401
/* Pulls one client channel may have held at once (a real broker has no
 * limit; the mock must stay bounded). */
#define RMQ_MOCK_MAX_HELD_PER_CHANNEL 1024
/* Clients per group and subscriptions per consumer group kept. */
#define RMQ_MOCK_MAX_GROUP_CLIENTS    4096
/* Messages a pull may return (maxMsgNums is capped as the store's
 * maxTransferCountOnMessageInMemory, 32). */
#define RMQ_MOCK_MAX_TRANSFER_COUNT   32
/* Bytes a pull may return (maxTransferBytesOnMessageInMemory, 256 KiB). */
#define RMQ_MOCK_MAX_TRANSFER_BYTES   (256 * 1024)

/* System topics (TopicValidator, MixAll). */
#define RMQ_MOCK_TOPIC_SCHEDULE   "SCHEDULE_TOPIC_XXXX"
#define RMQ_MOCK_TOPIC_HALF       "RMQ_SYS_TRANS_HALF_TOPIC"
#define RMQ_MOCK_TOPIC_OP_HALF    "RMQ_SYS_TRANS_OP_HALF_TOPIC"
#define RMQ_MOCK_TOPIC_CHECK_MAX  "TRANS_CHECK_MAX_TIME_TOPIC"
#define RMQ_MOCK_TOPIC_SELF_TEST  "SELF_TEST_TOPIC"
#define RMQ_MOCK_TOPIC_OFFSET_MOVED "OFFSET_MOVED_EVENT"
#define RMQ_MOCK_DELAY_LEVELS     18

/* FAQUrl.suggestTodo(FAQUrl.APPLY_TOPIC_URL) and friends. */
#define RMQ_MOCK_FAQ_SUFFIX                                                    \
        "\nSee http://rocketmq.apache.org/docs/faq/ for further details."

typedef struct rmq_mock_broker_s rmq_mock_broker_t;
typedef struct rmq_mock_topic_s rmq_mock_topic_t;

/* Cluster options (rmq_mock_cluster_set). */
typedef struct rmq_mock_opts_s {
        bool autoCreateTopicEnable;
        int32_t defaultTopicQueueNums;
        int64_t maxMessageSize;
        bool longPollingEnable;
        double delayTimeScale;
        int64_t transactionTimeOut;
        int64_t transactionCheckInterval;
        int32_t transactionCheckMax;
        int64_t lockExpiry;
        int64_t channelExpiredTimeout;
        int32_t maxReconsumeTimes;
        bool printMessages;
        int64_t shortPollingTimeMills;
        int64_t longPollingCheckInterval;
        int64_t serverChannelMaxIdleTimeSeconds;
        bool storeReplyMessageEnable;
        bool queryIndexCollisions; /* mock only: see rmq_mock_cluster_set */
        bool traceTopicEnable;     /* BrokerConfig: RMQ_SYS_TRACE_TOPIC */
} rmq_mock_opts_t;

/* ---- properties as Java keeps them (a HashMap<String,String>) ---- */

typedef struct rmq_mock_prop_s {
        char *key;
        char *val;
        int32_t hash; /* String.hashCode of the key */
        uint64_t seq; /* insertion order, for ties within a bucket */
} rmq_mock_prop_t;

typedef struct rmq_mock_props_s {
        rmq_mock_prop_t *e;
        size_t cnt, cap;
        size_t max_cnt; /* largest size reached: decides the capacity */
        uint64_t next_seq;
} rmq_mock_props_t;

/* MessageDecoder.string2messageProperties into a fresh map. */
void rmq__mock_props_parse(rmq_mock_props_t *p, const char *s, size_t len);
void rmq__mock_props_clear(rmq_mock_props_t *p);
/* HashMap.put (a new key goes last in its bucket). */
void rmq__mock_props_put(rmq_mock_props_t *p, const char *key,
                         const char *val);
void rmq__mock_props_del(rmq_mock_props_t *p, const char *key);
const char *rmq__mock_props_get(const rmq_mock_props_t *p, const char *key);
/* MessageDecoder.messageProperties2String in HashMap iteration order. */
void rmq__mock_props_encode(const rmq_mock_props_t *p, rmq_buf_t *out);

/* ---- the store ---- */

/* One stored message: a commit log entry in the MessageDecoder format. */
typedef struct rmq_mock_stored_s {
        rmq_imap_node_t node; /* key: commitLogOffset (broker's index) */
        uint8_t *data;        /* TOTALSIZE bytes */
        uint32_t len;
        int32_t queue_id;
        int64_t queue_offset;
        int64_t store_ts;
        int32_t tags_code; /* tagsString2tagsCode: hashCode, 0 untagged */
        rmq_mock_topic_t *topic;
} rmq_mock_stored_t;

/* A consume queue. */
typedef struct rmq_mock_queue_s {
        rmq_mock_stored_t **msgs;
        size_t cnt, cap;
        int64_t min_offset; /* queue offset of msgs[0] */
} rmq_mock_queue_t;

/* TopicConfig plus its queues. Topics are never deleted. */
struct rmq_mock_topic_s {
        char *name;
        int32_t read_queues;
        int32_t write_queues;
        int32_t perm;
        int32_t sys_flag;
        bool multi_tag; /* topicFilterType MULTI_TAG (else SINGLE_TAG) */
        rmq_mock_queue_t *queues;
        size_t queue_cnt; /* allocated; never shrinks (data is kept) */
};

/* ClientChannelInfo */
typedef struct rmq_mock_client_s {
        rmq_channel_t *ch; /* retained */
        char *client_id;
        int32_t language;
        int32_t version;
        int64_t last_update; /* loop ms */
} rmq_mock_client_t;

/* A producer group (ProducerManager) or consumer group
 * (ConsumerGroupInfo) of one broker. */
typedef struct rmq_mock_group_s {
        char *name;
        rmq_mock_client_t *clients;
        size_t client_cnt, client_cap;
        /* consumer groups */
        int consume_type;
        int message_model;
        int consume_from_where;
        rmq_subscription_data_t *subs; /* subscriptionTable, by topic */
        size_t sub_cnt;
        int64_t last_update;
} rmq_mock_group_t;

/* ConsumerOffsetManager entry "topic@group": offsets per queue id. */
typedef struct rmq_mock_offsets_s {
        int64_t *offset; /* -1: none */
        size_t cnt;
} rmq_mock_offsets_t;

/* RebalanceLockManager.LockEntry */
typedef struct rmq_mock_lock_s {
        char *client_id;
        int64_t last_update; /* loop ms */
} rmq_mock_lock_t;

/* A PULL_MESSAGE held by long polling (PullRequestHoldService). */
typedef struct rmq_mock_pull_s {
        rmq_list_t link;
        rmq_mock_broker_t *mb;
        rmq_channel_t *ch; /* retained */
        rmq_cmd_t *req;
        char *topic;
        int32_t queue_id;
        int64_t offset;
        int64_t deadline;               /* loop ms: suspend time + hold time */
        rmq_subscription_data_t filter; /* the subscription when held */
        bool woken;                     /* to be executed again (pull_timer) */
} rmq_mock_pull_t;

/* A message waiting in SCHEDULE_TOPIC_XXXX (ScheduleMessageService). */
typedef struct rmq_mock_sched_s {
        rmq_list_t link;
        int64_t commit_offset; /* of the message in SCHEDULE_TOPIC_XXXX */
        int64_t due; /* loop ms */
} rmq_mock_sched_t;

/* An unresolved half message (TransactionalMessageServiceImpl), in
 * mb->halves in the order of its current copy in the half queue. */
typedef struct rmq_mock_half_s {
        rmq_list_t link;
        int64_t commit_offset; /* of the current copy in the half topic */
        int64_t first_offset;  /* commit offset of the first copy */
} rmq_mock_half_t;

/* ---- endpoints ---- */

/* The name server or a broker: one listener. */
typedef struct rmq_mock_ep_s {
        rmq_mock_cluster_t *mc;
        rmq_mock_broker_t *mb; /* NULL for the name server */
        rmq_remoting_t *rm;
        int id; /* broker id, or RMQ_MOCK_NAMESRV_ID */
        int port;
        bool up;
        int rtt_ms;
        char addr[32];
} rmq_mock_ep_t;

/* Per accepted channel (rmq__channel_set_user), in mc->conns. */
typedef struct rmq_mock_conn_s {
        rmq_list_t link;
        rmq_mock_ep_t *ep;
        rmq_channel_t *ch;   /* not retained: the conn goes when it closes */
        int64_t last_active; /* loop ms of the last request or answer */
        int held_pulls;
} rmq_mock_conn_t;

/* DataVersion of a config table. */
typedef struct rmq_mock_data_version_s {
        int64_t counter;
        int64_t timestamp; /* wall ms of the last change */
} rmq_mock_data_version_t;

struct rmq_mock_broker_s {
        rmq_mock_ep_t ep;
        char name[16];
        bool registered;
        rmq_msg_host_t store_host;
        int64_t commit_offset; /* next physical offset */
        rmq_strmap_t topics;   /* name -> rmq_mock_topic_t */
        rmq_mock_data_version_t topics_version;
        /* SubscriptionGroupManager: the groups' names (the configs are
         * the defaults, retryMaxTimes the maxReconsumeTimes option). */
        rmq_strmap_t sub_groups;
        rmq_mock_data_version_t sub_groups_version;
        int64_t boot_ts;       /* wall ms */
        rmq_imap_t by_offset;  /* commitLogOffset -> rmq_mock_stored_t */
        rmq_strmap_t producers; /* group -> rmq_mock_group_t */
        /* ProducerManager.clientChannelTable: clientId -> rmq_channel_t
         * (retained), for SEND_REPLY_MESSAGE. */
        rmq_strmap_t producer_ids;
        rmq_strmap_t consumers; /* group -> rmq_mock_group_t */
        rmq_strmap_t offsets;   /* "topic@group" -> rmq_mock_offsets_t */
        rmq_strmap_t locks;     /* "group\1topic\1broker\1qid" -> lock */
        rmq_list_t held;        /* rmq_mock_pull_t */
        rmq_list_t sched;       /* rmq_mock_sched_t, by due time */
        rmq_list_t halves;      /* rmq_mock_half_t */
        /* IndexService: the end store timestamp and commit log offset of
         * the last index file (the last message indexed by a key). */
        int64_t index_last_ts;
        int64_t index_last_phy;
        rmq_timer_t pull_timer; /* executes woken pulls */
        rmq_timer_t hold_timer; /* PullRequestHoldService's periodic check */
        rmq_timer_t sched_timer;
        rmq_timer_t txn_timer;
        int64_t pull_timer_due;
        int64_t sched_timer_due;
        int64_t txn_timer_due;
        unsigned tx_rr; /* ProducerManager's positiveAtomicCounter */
};

/* A request code's pending injected errors. */
typedef struct rmq_mock_fault_s {
        rmq_list_t link;
        int target; /* broker id, -1 any broker, -2 name server */
        int code;
        int *errs;
        size_t cnt, pos;
} rmq_mock_fault_t;

/* Request counts of one endpoint and code. */
typedef struct rmq_mock_count_s {
        int target;
        int code;
        size_t cnt;
} rmq_mock_count_t;

/* A response held back by an RTT (rmq_mock_broker_set_rtt). */
typedef struct rmq_mock_delayed_s {
        rmq_list_t link;
        rmq_timer_t timer;
        rmq_mock_ep_t *ep;
        rmq_channel_t *ch;
        rmq_cmd_t stub; /* opaque, flag, code, serialize type of the request */
        rmq_cmd_t *resp;
} rmq_mock_delayed_t;

/* ---- ACL (rmq_mock_acl.c) ---- */

typedef struct rmq_mock_acl_s rmq_mock_acl_t;

/* Parses plain_acl.yml's content as JSON (see rmq_mock_cluster_set_acl).
 * RMQ_OK and *aclp, or RMQ_ERR__INVALID_ARG with the reason. */
rmq_err_t rmq__mock_acl_parse(const char *json, rmq_mock_acl_t **aclp,
                              char *errstr, size_t errstr_size);
void rmq__mock_acl_free(rmq_mock_acl_t *acl); /* NULL-safe */
/* PlainAccessValidator.parse + PlainPermissionManager.validate of \p req
 * from \p remote ("ip:port"): 0 to let it through, or -1 and the
 * AclException's message in \p msg. */
int rmq__mock_acl_validate(const rmq_mock_acl_t *acl, rmq_cmd_t *req,
                           const char *remote, char *msg, size_t size);

struct rmq_mock_cluster_s {
        rmq_io_t *io;
        uv_loop_t *loop;
        rmq_logger_t lg;
        rmq_remoting_conf_t rconf;
        rmq_mock_opts_t opts;
        rmq_mock_ep_t namesrv;
        rmq_mock_broker_t *brokers[RMQ_MOCK_MAX_BROKERS];
        int broker_cnt;
        char namesrv_addr[32];
        rmq_list_t faults;
        rmq_list_t delayed;
        rmq_list_t conns; /* rmq_mock_conn_t of every endpoint */
        struct rmq_mock_http_s *http; /* lookup endpoint (rmq_mock_http.c) */
        rmq_timer_t housekeep_timer;
        int64_t wall_base; /* wall ms at loop ms 0 */
        uint64_t rng;
        bool stopping;
        rmq_mock_acl_t *acl; /* brokers enforce ACL when set; loop only */

        uv_mutex_t track_lock;
        bool tracking;
        rmq_mock_count_t *counts;
        size_t count_cnt, count_cap;
};

/* ---- a request being handled ---- */

typedef struct rmq_mock_ctx_s {
        rmq_mock_cluster_t *mc;
        rmq_mock_ep_t *ep;
        rmq_mock_broker_t *mb; /* NULL on the name server */
        rmq_channel_t *ch;
        rmq_cmd_t *req; /* a handler that keeps it sets this to NULL */
        int fault;      /* an injected code for the answer once the request
                         * succeeded (FLUSH_DISK_TIMEOUT...), or 0 */
} rmq_mock_ctx_t;

/* Returns the response, or NULL when there is none to send now. */
typedef rmq_cmd_t *(rmq_mock_handler_t)(rmq_mock_ctx_t *ctx);

/* Where a handler serves. */
#define RMQ_MOCK_ON_NAMESRV 0x1
#define RMQ_MOCK_ON_BROKER  0x2

/* The handler of \p code on an endpoint kind, or NULL. */
rmq_mock_handler_t *rmq__mock_handler(int code, int where);

/* ---- rmq_mock_cluster.c ---- */

/* The processor of every endpoint (the default processor). */
void rmq__mock_dispatch(rmq_remoting_t *rm, rmq_channel_t *ch, rmq_cmd_t *req,
                        void *opaque);
/* Channel events of every endpoint (ClientHousekeepingService). */
void rmq__mock_channel_event(rmq_remoting_t *rm, rmq_channel_t *ch,
                             rmq_channel_event_t ev, void *opaque);
/* Sends \p resp for \p req on \p ch from \p ep (after its RTT), as the Java
 * server would: language JAVA, version 409, ext fields in HashMap order,
 * the request's serialize type. Takes \p resp. */
void rmq__mock_reply(rmq_mock_ep_t *ep, rmq_channel_t *ch,
                     const rmq_cmd_t *req, rmq_cmd_t *resp);
/* Sends a client's answer \p resp to a request forwarded for \p req as
 * rmq__mock_reply does, but keeping its language and version (the broker
 * writes the client's RemotingCommand back). Takes \p resp. */
void rmq__mock_reply_forwarded(rmq_mock_ep_t *ep, rmq_channel_t *ch,
                               const rmq_cmd_t *req, rmq_cmd_t *resp);
/* Gives a successful \p resp the injected code \p fault (0: none), for
 * handlers that answer later (ctx->fault). NULL-safe. */
void rmq__mock_apply_stored_fault(rmq_cmd_t *resp, int fault);
/* A response as RemotingCommand.createResponseCommand(code, remark). */
rmq_cmd_t *rmq__mock_response(int code, const char *remark);
/* Same, with a custom header class: extFields present even if empty. */
rmq_cmd_t *rmq__mock_response_hdr(int code, const char *remark);
/* Puts \p cmd's ext fields in the order a Java HashMap iterates them
 * (up to 64 fields; more are left as they are). */
void rmq__mock_ext_java_order(rmq_cmd_t *cmd);
/* Moves \p body (left empty) into \p cmd as its body. */
void rmq__mock_set_body(rmq_cmd_t *cmd, rmq_buf_t *body);
/* A SUCCESS response (no remark, no header) with \p body (left empty). */
rmq_cmd_t *rmq__mock_response_body(rmq_buf_t *body);
/* Loop time (ms, monotonic) and the wall clock derived from it. */
int64_t rmq__mock_now(const rmq_mock_cluster_t *mc);
int64_t rmq__mock_wall(const rmq_mock_cluster_t *mc);
/* ThreadLocalRandom.current().nextInt(99999999), seeded. */
int32_t rmq__mock_rand(rmq_mock_cluster_t *mc);
/* Starts (or moves earlier) \p t to fire at loop time \p due. */
/* Schedules the one-shot timer \p t (the timer service of the mock's loop)
 * for \p due (rmq__mock_now time) unless it is armed for that time or
 * earlier already. */
void rmq__mock_timer_arm(rmq_mock_cluster_t *mc, rmq_timer_t *t,
                         int64_t *armed_due, int64_t due);

/* ---- request header reading (RemotingCommand.decodeCommandCustomHeader)
 * with a sticky error ---- */

typedef struct rmq_mock_hdr_s {
        const rmq_cmd_t *cmd;
        int err; /* 0, 1 missing, 2 not a number */
        char field[48];
        char value[64];
} rmq_mock_hdr_t;

void rmq__mock_hdr_init(rmq_mock_hdr_t *h, const rmq_cmd_t *cmd);
/* @CFNotNull fields when \p required. */
const char *rmq__mock_hdr_str(rmq_mock_hdr_t *h, const char *key,
                              bool required);
int64_t rmq__mock_hdr_i64(rmq_mock_hdr_t *h, const char *key, bool required,
                          int64_t def);
int32_t rmq__mock_hdr_i32(rmq_mock_hdr_t *h, const char *key, bool required,
                          int32_t def);
bool rmq__mock_hdr_bool(rmq_mock_hdr_t *h, const char *key, bool def);
/* The SYSTEM_ERROR answer Java gives for a header it cannot decode. */
rmq_cmd_t *rmq__mock_hdr_error(const rmq_mock_hdr_t *h);

/* ---- rmq_mock_broker.c: topics and the store ---- */

rmq_mock_broker_t *rmq__mock_broker_new(rmq_mock_cluster_t *mc, int id);
void rmq__mock_broker_free(rmq_mock_broker_t *mb);
/* Starts the broker's timers (loop thread). */
void rmq__mock_broker_init_timers(rmq_mock_broker_t *mb);
/* Closes the timers and drops held pulls (loop thread, at shutdown). */
void rmq__mock_broker_close(rmq_mock_broker_t *mb);
/* The topics a broker starts with (TopicConfigManager's constructor). */
void rmq__mock_broker_system_topics(rmq_mock_broker_t *mb);

rmq_mock_topic_t *rmq__mock_topic_get(rmq_mock_broker_t *mb,
                                      const char *name);
/* Creates or updates a topic config (queues grow, never shrink). */
rmq_mock_topic_t *rmq__mock_topic_put(rmq_mock_broker_t *mb, const char *name,
                                      int32_t read_queues,
                                      int32_t write_queues, int32_t perm,
                                      int32_t sys_flag);
/* Deletes a topic that holds no message; false if it holds some. */
bool rmq__mock_topic_del_empty(rmq_mock_broker_t *mb, const char *name);
/* TopicConfigManager.createTopicInSendMessageMethod: NULL when the default
 * topic is missing or not inheritable. */
rmq_mock_topic_t *rmq__mock_topic_create_in_send(rmq_mock_broker_t *mb,
                                                 const char *topic,
                                                 const char *default_topic,
                                                 int32_t queue_nums,
                                                 int32_t sys_flag);
/* TopicConfigManager.createTopicInSendMessageBackMethod. */
rmq_mock_topic_t *rmq__mock_topic_create_in_send_back(rmq_mock_broker_t *mb,
                                                      const char *topic,
                                                      int32_t queue_nums,
                                                      int32_t perm,
                                                      int32_t sys_flag);
/* TopicConfig.toString() into \p dst. */
void rmq__mock_topic_format(const rmq_mock_topic_t *t, char *dst,
                            size_t size);
rmq_mock_queue_t *rmq__mock_queue(rmq_mock_topic_t *t, int32_t queue_id);
static inline int64_t rmq__mock_queue_max(const rmq_mock_queue_t *q) {
        return q->min_offset + (int64_t)q->cnt;
}
rmq_mock_stored_t *rmq__mock_queue_at(rmq_mock_queue_t *q, int64_t offset);
/* ConsumeQueue#getOffsetInQueueByTime: the offset of the message stored
 * at \p ts or nearest to it (0 for a NULL or empty queue). */
int64_t rmq__mock_queue_offset_by_time(const rmq_mock_queue_t *q, int64_t ts);

/* MessageExtBrokerInner: what a processor hands to the store. */
typedef struct rmq_mock_inner_s {
        char *topic;
        int32_t queue_id;
        int32_t flag;
        int32_t sys_flag;
        int32_t reconsume_times;
        const uint8_t *body;
        size_t body_len;
        int64_t born_ts;
        rmq_msg_host_t born_host;
        int64_t prepared_tx_offset;
        rmq_mock_props_t props;
        rmq_buf_t props_str; /* propertiesString */
} rmq_mock_inner_t;

void rmq__mock_inner_init(rmq_mock_inner_t *in);
void rmq__mock_inner_clear(rmq_mock_inner_t *in);
void rmq__mock_inner_set_topic(rmq_mock_inner_t *in, const char *topic);
/* msg.setPropertiesString(messageProperties2String(msg.getProperties())) */
void rmq__mock_inner_sync_props(rmq_mock_inner_t *in);
/* Loads a stored message as MessageExt (props parsed into a fresh map,
 * propertiesString = the stored string). Views into \p sm's data. */
rmq_err_t rmq__mock_inner_from_stored(rmq_mock_inner_t *in,
                                      const rmq_mock_stored_t *sm,
                                      rmq_msg_view_t *mv);

/* Put results (PutMessageStatus) */
typedef enum rmq_mock_put_e {
        RMQ_MOCK_PUT_OK,
        RMQ_MOCK_PUT_ILLEGAL, /* MESSAGE_ILLEGAL */
        RMQ_MOCK_PUT_PROPERTIES_SIZE_EXCEEDED,
        RMQ_MOCK_PUT_NO_TOPIC,  /* internal: topic missing */
        RMQ_MOCK_PUT_BAD_DELAY, /* DELAY is not a number */
} rmq_mock_put_t;

/* PutMessageStatus#name() of a put result ("UNKNOWN_ERROR" for the
 * mock's internal ones). */
const char *rmq__mock_put_status_name(rmq_mock_put_t st);

/* DefaultMessageStore.asyncPutMessage + CommitLog: checks sizes, moves
 * delayed messages to SCHEDULE_TOPIC_XXXX, appends, indexes, wakes held
 * pulls. \p smp receives the stored message. */
rmq_mock_put_t rmq__mock_put(rmq_mock_broker_t *mb, rmq_mock_inner_t *in,
                             rmq_mock_stored_t **smp);
/* Appends raw stored-format bytes already checked (batch elements).
 * Fills queue offset, commit offset, store time and host. */
rmq_mock_stored_t *rmq__mock_append(rmq_mock_broker_t *mb,
                                    rmq_mock_topic_t *t, int32_t queue_id,
                                    rmq_msg_view_t *mv);
/* The remark of a MESSAGE_ILLEGAL put. */
void rmq__mock_illegal_remark(const rmq_mock_cluster_t *mc, char *dst,
                              size_t size);
rmq_mock_stored_t *rmq__mock_lookup(rmq_mock_broker_t *mb,
                                    int64_t commit_offset);
/* The offsetMsgId of a stored message into \p out (57 bytes). */
void rmq__mock_stored_msg_id(const rmq_mock_stored_t *sm, char *out);
/* Decodes \p sm (never fails for what the store wrote). */
void rmq__mock_stored_view(const rmq_mock_stored_t *sm, rmq_msg_view_t *mv);

/* ---- rmq_mock_client.c: clients, groups, offsets, locks ---- */

/* SubscriptionGroupManager#findSubscriptionGroupConfig with
 * autoCreateSubscriptionGroup: \p group exists from now on. */
void rmq__mock_sub_group_touch(rmq_mock_broker_t *mb, const char *group);

rmq_mock_group_t *rmq__mock_group_get(rmq_strmap_t *groups, const char *name);
void rmq__mock_group_free(void *g);
/* Every live client id of a group, as consumerIdList (NULL-terminated
 * array of views, free the array only). */
const char **rmq__mock_group_ids(const rmq_mock_group_t *g, size_t *np);
/* NOTIFY_CONSUMER_IDS_CHANGED to every channel of the group
 * (Broker2Client.notifyConsumerIdsChanged). */
void rmq__mock_notify_ids_changed(rmq_mock_broker_t *mb,
                                  rmq_mock_group_t *g);
/* Removes \p ch everywhere on \p mb (ClientHousekeepingService). */
void rmq__mock_client_channel_closed(rmq_mock_broker_t *mb,
                                     rmq_channel_t *ch);
/* ProducerManager#findChannel: the channel of a producer client id, or
 * NULL. */
rmq_channel_t *rmq__mock_producer_channel(rmq_mock_broker_t *mb,
                                          const char *client_id);
/* rmq__channel_release for a map's values. */
void rmq__mock_channel_release(void *ch);
/* scanNotActiveChannel for every broker. */
void rmq__mock_clients_scan(rmq_mock_cluster_t *mc);
/* Committed offset or -1. */
int64_t rmq__mock_offset_get(rmq_mock_broker_t *mb, const char *group,
                             const char *topic, int32_t queue_id);
void rmq__mock_offset_set(rmq_mock_broker_t *mb, const char *group,
                          const char *topic, int32_t queue_id, int64_t off);
void rmq__mock_offsets_free(void *p);
/* A live lock owner of a queue or NULL. */
const char *rmq__mock_lock_owner(rmq_mock_broker_t *mb, const char *group,
                                 const char *topic, const char *broker,
                                 int32_t queue_id);
void rmq__mock_lock_free(void *p);

/* ---- rmq_mock_send.c: shared with SEND_REPLY_MESSAGE ---- */

/* SendMessageRequestHeader (V2 uses one-letter names). */
typedef struct rmq_mock_send_hdr_s {
        const char *producerGroup;
        const char *topic;
        const char *defaultTopic;
        int32_t defaultTopicQueueNums;
        int32_t queueId;
        int32_t sysFlag;
        int64_t bornTimestamp;
        int32_t flag;
        const char *properties;
        int32_t reconsumeTimes;
        bool has_reconsume_times;
        bool unitMode;
        bool batch;
        int32_t maxReconsumeTimes;
        bool has_max_reconsume;
} rmq_mock_send_hdr_t;

/* RemotingCommand#decodeCommandCustomHeader of SendMessageRequestHeader
 * (codes 10 and 324) or SendMessageRequestHeaderV2 (the others), in the
 * order the broker decodes their fields; errors are left in \p h. */
void rmq__mock_send_hdr_parse(const rmq_cmd_t *req, rmq_mock_send_hdr_t *sh,
                              rmq_mock_hdr_t *h);
/* TopicValidator#validateTopic: NULL, or the remark of the refusal
 * (SYSTEM_ERROR). */
const char *rmq__mock_topic_invalid(const char *topic);
/* mirrors AbstractSendMessageProcessor#msgCheck: validates the topic,
 * finds or auto-creates it and checks the queue id. NULL when all is
 * well (*tp set), else \p resp with the failure. */
rmq_cmd_t *rmq__mock_msg_check(rmq_mock_ctx_t *ctx,
                               const rmq_mock_send_hdr_t *sh, rmq_cmd_t *resp,
                               rmq_mock_topic_t **tp);
/* The queue of a request's queueId, or a random one when negative
 * (nextInt(99999999) % writeQueueNums); false for no write queue (the
 * broker's ArithmeticException). */
bool rmq__mock_pick_queue(rmq_mock_ctx_t *ctx, const rmq_mock_topic_t *t,
                          int32_t requested, int32_t *qid);
/* The remote address of \p ch as a born host. */
void rmq__mock_born_host(const rmq_channel_t *ch, rmq_msg_host_t *host);

/* ---- rmq_mock_pull.c ---- */

/* A message with \p tags_code arrived on a queue: wake the pulls held
 * for it (PullRequestHoldService.notifyMessageArriving). */
void rmq__mock_pull_arriving(rmq_mock_broker_t *mb, const char *topic,
                             int32_t queue_id, int32_t tags_code);
/* (Re)starts the periodic check of held pulls (its period depends on
 * longPollingEnable, longPollingCheckInterval, shortPollingTimeMills). */
void rmq__mock_pull_hold_timer_start(rmq_mock_broker_t *mb);
/* The answer to a PULL_MESSAGE injected with PULL_NOT_FOUND,
 * PULL_RETRY_IMMEDIATELY or PULL_OFFSET_MOVED: the PullMessageResponseHeader
 * of the request's queue (nextBeginOffset the requested offset, or for
 * OFFSET_MOVED the offset clamped into [min, max] as the broker would
 * suggest); or, injected with RMQ_ERR__BAD_MSG (a test hook), a FOUND
 * answer whose body is a truncated message and whose nextBeginOffset is
 * the queue's max offset. */
rmq_cmd_t *rmq__mock_pull_injected(rmq_mock_broker_t *mb, const rmq_cmd_t *req,
                                   int code, const char *remark);
/* Drops (without an answer) the pulls held on \p ch, or all when NULL. */
void rmq__mock_pull_drop(rmq_mock_broker_t *mb, rmq_channel_t *ch);
void rmq__mock_pull_timer_cb(rmq_timer_t *t, void *arg);
/* PullRequestHoldService's periodic check. */
void rmq__mock_pull_hold_check_cb(rmq_timer_t *t, void *arg);

/* ---- rmq_mock_delay.c / rmq_mock_txn.c ---- */

/* Drops the messages of a queue below \p min_offset (commit log expiry). */
void rmq__mock_queue_truncate(rmq_mock_broker_t *mb, rmq_mock_queue_t *q,
                              int64_t min_offset);

/* Schedules a message stored in SCHEDULE_TOPIC_XXXX. */
void rmq__mock_sched_add(rmq_mock_broker_t *mb, rmq_mock_stored_t *sm,
                         int32_t level);
void rmq__mock_sched_timer_cb(rmq_timer_t *t, void *arg);
/* Arms the delivery timer for the first scheduled message (after a
 * restart: at once for those overdue). */
void rmq__mock_sched_rearm(rmq_mock_broker_t *mb);
void rmq__mock_sched_free(rmq_mock_broker_t *mb);
/* A half message was stored: track it for END_TRANSACTION and checks. */
void rmq__mock_half_add(rmq_mock_broker_t *mb, rmq_mock_stored_t *sm);
void rmq__mock_txn_timer_cb(rmq_timer_t *t, void *arg);
/* (Re)starts the check rounds every transactionCheckInterval. */
void rmq__mock_txn_timer_start(rmq_mock_broker_t *mb);
void rmq__mock_half_free(rmq_mock_broker_t *mb);
int64_t rmq__mock_half_count(rmq_mock_cluster_t *mc);

/* ---- handlers (one per request; the table is in rmq_mock_handlers.c) ---- */

rmq_cmd_t *rmq__mock_h_route(rmq_mock_ctx_t *ctx);          /* 105 */
rmq_cmd_t *rmq__mock_h_register_broker(rmq_mock_ctx_t *ctx); /* 103 */
rmq_cmd_t *rmq__mock_h_cluster_info(rmq_mock_ctx_t *ctx);   /* 106 */
rmq_cmd_t *rmq__mock_h_topic_list(rmq_mock_ctx_t *ctx);     /* 206 */
rmq_cmd_t *rmq__mock_h_send(rmq_mock_ctx_t *ctx);           /* 10, 310, 320 */
rmq_cmd_t *rmq__mock_h_heartbeat(rmq_mock_ctx_t *ctx);      /* 34 */
rmq_cmd_t *rmq__mock_h_unregister(rmq_mock_ctx_t *ctx);     /* 35 */
rmq_cmd_t *rmq__mock_h_check_client_config(rmq_mock_ctx_t *ctx); /* 46 */
rmq_cmd_t *rmq__mock_h_pull(rmq_mock_ctx_t *ctx);           /* 11 */
rmq_cmd_t *rmq__mock_h_send_back(rmq_mock_ctx_t *ctx);      /* 36 */
rmq_cmd_t *rmq__mock_h_end_transaction(rmq_mock_ctx_t *ctx); /* 37 */
rmq_cmd_t *rmq__mock_h_consumer_list(rmq_mock_ctx_t *ctx);  /* 38 */
rmq_cmd_t *rmq__mock_h_query_offset(rmq_mock_ctx_t *ctx);   /* 14 */
rmq_cmd_t *rmq__mock_h_update_offset(rmq_mock_ctx_t *ctx);  /* 15 */
rmq_cmd_t *rmq__mock_h_lock(rmq_mock_ctx_t *ctx);           /* 41 */
rmq_cmd_t *rmq__mock_h_unlock(rmq_mock_ctx_t *ctx);         /* 42 */
rmq_cmd_t *rmq__mock_h_max_offset(rmq_mock_ctx_t *ctx);     /* 30 */
rmq_cmd_t *rmq__mock_h_min_offset(rmq_mock_ctx_t *ctx);     /* 31 */
rmq_cmd_t *rmq__mock_h_search_offset(rmq_mock_ctx_t *ctx);  /* 29 */
rmq_cmd_t *rmq__mock_h_earliest_time(rmq_mock_ctx_t *ctx);  /* 32 */
rmq_cmd_t *rmq__mock_h_view_message(rmq_mock_ctx_t *ctx);   /* 33 */
rmq_cmd_t *rmq__mock_h_query_message(rmq_mock_ctx_t *ctx);  /* 12 */
rmq_cmd_t *rmq__mock_h_consumer_connections(rmq_mock_ctx_t *ctx); /* 203 */
rmq_cmd_t *rmq__mock_h_consume_stats(rmq_mock_ctx_t *ctx);  /* 208 */
rmq_cmd_t *rmq__mock_h_send_reply(rmq_mock_ctx_t *ctx);     /* 324, 325 */
/* rmq_mock_broker2client.c (Broker2Client, callConsumer) */
rmq_cmd_t *rmq__mock_h_consumer_running_info(rmq_mock_ctx_t *ctx);    /* 307 */
rmq_cmd_t *rmq__mock_h_reset_offset(rmq_mock_ctx_t *ctx);             /* 222 */
rmq_cmd_t *rmq__mock_h_consumer_status(rmq_mock_ctx_t *ctx);          /* 223 */
rmq_cmd_t *rmq__mock_h_consume_message_directly(rmq_mock_ctx_t *ctx); /* 309 */
/* Broker2Client#resetOffset on \p mb: the admin's answer (SUCCESS with
 * the ResetOffsetBody, or the broker's error); RESET_CONSUMER_CLIENT_OFFSET
 * sent oneway to the group's clients (ResetOffsetBodyForC when \p is_c). */
rmq_cmd_t *rmq__mock_reset_offset(rmq_mock_broker_t *mb, const char *topic,
                                  const char *group, int64_t timestamp,
                                  bool force, bool is_c);
/* DataVersion {"counter":..,"timestamp":..} as member \p key
 * (rmq_mock_admin.c). */
void rmq__mock_data_version_write(rmq_jsonw_t *jw, const char *key,
                                  const rmq_mock_data_version_t *dv);

rmq_cmd_t *rmq__mock_h_create_topic(rmq_mock_ctx_t *ctx);   /* 17 */
rmq_cmd_t *rmq__mock_h_all_topic_config(rmq_mock_ctx_t *ctx);     /* 21 */
rmq_cmd_t *rmq__mock_h_runtime_info(rmq_mock_ctx_t *ctx);         /* 28 */
rmq_cmd_t *rmq__mock_h_all_sub_groups(rmq_mock_ctx_t *ctx);       /* 201 */
rmq_cmd_t *rmq__mock_h_topic_stats(rmq_mock_ctx_t *ctx);          /* 202 */
rmq_cmd_t *rmq__mock_h_producer_connections(rmq_mock_ctx_t *ctx); /* 204 */
rmq_cmd_t *rmq__mock_h_topic_consumed_by(rmq_mock_ctx_t *ctx);    /* 300 */

/* Closes the name server lookup endpoint, if any (loop thread). */
void rmq__mock_http_close(rmq_mock_cluster_t *mc);

#endif /* RMQ_MOCK_INT_H */
