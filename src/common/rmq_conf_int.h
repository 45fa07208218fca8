/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration object's fields. Names are the Java field names (STYLE
 * R1: wire and Java names stay verbatim). The property table in rmq_conf.c
 * maps each public property name to one of these fields.
 */
#ifndef RMQ_CONF_INT_H
#define RMQ_CONF_INT_H

#include "common/rmq_common.h"
#include "rocketmq/rmq_conf.h"

/* Serialize types of RemotingCommand headers (Java SerializeType). */
#define RMQ_SERIALIZE_JSON     0
#define RMQ_SERIALIZE_ROCKETMQ 1

struct rmq_conf_s {
        /* ClientConfig */
        char *namesrvAddr;
        char *clientIP;
        char *instanceName;
        int64_t clientCallbackExecutorThreads;
        char *namespace_;
        int64_t accessChannel; /* 0 LOCAL, 1 CLOUD */
        int64_t pollNameServerInterval;
        int64_t heartbeatBrokerInterval;
        int64_t persistConsumerOffsetInterval;
        int64_t pullTimeDelayMillsWhenException;
        bool unitMode;
        char *unitName;
        bool vipChannelEnabled;
        bool useTLS;
        int64_t mqClientApiTimeout;
        int64_t language; /* LanguageCode */
        /* NettyClientConfig / NettySystemConfig */
        int64_t connectTimeoutMillis;
        int64_t clientAsyncSemaphoreValue;
        int64_t clientOnewaySemaphoreValue;
        int64_t clientChannelMaxIdleTimeSeconds;
        bool clientCloseSocketIfTimeout;
        int64_t clientSocketSndBufSize;
        int64_t clientSocketRcvBufSize;
        int64_t frameMaxLength;
        int64_t serializeType; /* RMQ_SERIALIZE_* */
        /* DefaultMQProducer */
        char *producerGroup;
        char *createTopicKey;
        int64_t defaultTopicQueueNums;
        int64_t sendMsgTimeout;
        int64_t compressMsgBodyOverHowmuch;
        int64_t retryTimesWhenSendFailed;
        int64_t retryTimesWhenSendAsyncFailed;
        bool retryAnotherBrokerWhenNotStoreOK;
        int64_t maxMessageSize;
        bool sendLatencyFaultEnable;
        int64_t compressLevel;
        bool sendSmartMsg;
        bool enableBackpressureForAsyncMode;
        int64_t backPressureForAsyncSendNum;
        int64_t backPressureForAsyncSendSize;
        /* TransactionMQProducer */
        int64_t checkThreadPoolMinSize;
        int64_t checkThreadPoolMaxSize;
        int64_t checkRequestHoldMax;
        /* DefaultMQPushConsumer */
        char *consumerGroup;
        int64_t messageModel;     /* 0 BROADCASTING, 1 CLUSTERING */
        int64_t consumeFromWhere; /* ConsumeFromWhere ordinal */
        char *consumeTimestamp;
        int64_t allocateMessageQueueStrategy; /* 0 AVG, 1 BY_CIRCLE, 2 HASH */
        int64_t consumeThreadMin;
        int64_t consumeThreadMax;
        int64_t adjustThreadPoolNumsThreshold;
        int64_t consumeConcurrentlyMaxSpan;
        int64_t pullThresholdForQueue;
        int64_t pullThresholdSizeForQueue; /* MiB */
        int64_t pullThresholdForTopic;
        int64_t pullThresholdSizeForTopic;
        int64_t pullInterval;
        int64_t consumeMessageBatchMaxSize;
        int64_t pullBatchSize;
        bool postSubscriptionWhenPull;
        int64_t maxReconsumeTimes;
        int64_t suspendCurrentQueueTimeMillis;
        int64_t consumeTimeout; /* minutes */
        int64_t awaitTerminationMillisWhenShutdown;
        /* DefaultLitePullConsumer */
        bool autoCommit;
        int64_t autoCommitIntervalMillis;
        int64_t pullThreadNums;
        int64_t pullThresholdForAll;
        int64_t consumeMaxSpan;
        int64_t pollTimeoutMillis;
        int64_t topicMetadataCheckIntervalMillis;
        int64_t brokerSuspendMaxTimeMillis;
        int64_t consumerTimeoutMillisWhenSuspend;
        int64_t consumerPullTimeoutMillis;
        /* Java system properties */
        int64_t rebalanceWaitInterval;
        int64_t rebalanceLockInterval;
        int64_t rebalanceLockMaxLiveTime;
        int64_t pullMaxIdleTime;
        int64_t maxTimeConsumeContinuously;
        int64_t unlockDelayTimeMills;
        char *localOffsetStoreDir;
        /* C-only */
        int64_t consumerMemoryBudget;
        int64_t test_mock_brokers;
        /* Connections, name server discovery, log rate limiting */
        char *namesrvDomain;         /* rocketmq.namesrv.domain */
        char *namesrvDomainSubgroup; /* rocketmq.namesrv.domain.subgroup */
        int64_t namesrvFetchInterval;
        int64_t reconnectBackoffMs;
        int64_t reconnectBackoffMaxMs;
        int64_t logRateLimitMs;
        char *debug;
        uint32_t debug_mask;
        int64_t log_level;
        /* ACL (SessionCredentials) */
        char *accessKey;
        char *secretKey; /* secret: never logged or dumped */
        char *securityToken;
        /* message trace (src/client/rmq_trace.c) */
        bool enableMsgTrace;
        char *customizedTraceTopic;
        int64_t traceQueueSize;
        int64_t traceBatchSize;
        int64_t traceMaxMsgSize;
        int64_t tracePollingTimeMs;
        int64_t traceWaitTimeThresholdMs;
        /* statistics (docs/STATISTICS.md) */
        int64_t statisticsIntervalMs;
        /* TLS (tls.client.*) */
        bool tlsClientAuthServer;
        char *tlsClientTrustCertPath;
        char *tlsClientCertPath;
        char *tlsClientKeyPath;
        char *tlsClientKeyPassword;
        /* Not properties */
        uint64_t set_mask[2]; /* properties set explicitly, by index */
        rmq_log_cb_t *log_cb;
        void *opaque;
        rmq_stats_cb_t *stats_cb;
        void *stats_opaque;
};

/* Java's consumer enums as the conf stores them (ordinals). */
#define RMQ_CONF_BROADCASTING 0
#define RMQ_CONF_CLUSTERING   1

/* UtilAll.parseDate(s, "yyyyMMddHHmmss") in local time: 0 and the
 * epoch milliseconds in \p msp (may be NULL), or -1 if \p s is not 14
 * digits of a valid date. */
int rmq__parse_yyyymmddhhmmss(const char *s, int64_t *msp);

/* Whether property \p name was set with rmq_conf_set() (not left at its
 * default). */
bool rmq__conf_is_set(const rmq_conf_t *conf, const char *name);

/* What rmq_conf_get() answers for a secret property that is set. */
#define RMQ_CONF_REDACTED "[redacted]"

/* Whether property \p name is a secret (secretKey): its value is never
 * logged, dumped or answered by rmq_conf_get(). */
bool rmq__conf_prop_secret(const char *name);

/* Resolved clientIP: the configured one, or the first non-loopback IPv4
 * address of this host (Java RemotingUtil.getLocalAddress), else
 * 127.0.0.1. Writes into \p dst. */
void rmq__conf_client_ip(const rmq_conf_t *conf, char *dst, size_t size);

#endif /* RMQ_CONF_INT_H */
