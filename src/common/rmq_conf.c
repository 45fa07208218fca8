/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The property table (librdkafka's rd_kafka_properties[] idea): one row per
 * property with its Java name, type, range, default and documentation. It
 * validates rmq_conf_set(), answers rmq_conf_get(), and generates
 * docs/CONFIGURATION.md (tools/gen_conf_doc.c).
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "common/rmq_conf_int.h"
#include "common/rmq_log.h"
#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"

typedef enum conf_type_e {
        CT_STR,
        CT_INT,
        CT_BOOL,
        CT_ENUM,
        CT_UNSUPPORTED /* a known Java property that this client lacks */
} conf_type_t;

typedef struct conf_prop_s {
        const char *name;
        conf_type_t type;
        size_t offset;
        int64_t min, max;
        const char *def;   /* default as a string; NULL = none */
        const char *enums; /* CT_ENUM: values separated by '|' */
        const char *doc;
        /* Extra validation; returns NULL or the reason a value is refused. */
        const char *(*check)(const char *value);
} conf_prop_t;

#define F(field) offsetof(struct rmq_conf_s, field)

static const char *check_debug(const char *v) {
        uint32_t m;
        return rmq__log_parse_debug(v, &m)
                   ? "expected a comma-separated list of: remoting, route, "
                     "producer, consumer, rebalance, offset, trace, mock, all"
                   : NULL;
}

static const char *check_namesrv(const char *v) {
        return rmq__namesrv_list_valid(v)
                   ? NULL
                   : "expected host:port[;host:port...] with numeric ports";
}

int rmq__parse_yyyymmddhhmmss(const char *s, int64_t *msp) {
        struct tm tm, chk;
        time_t t;
        int v[6], i, k = 0;
        static const int width[6] = {4, 2, 2, 2, 2, 2};
        if (!s || strlen(s) != 14)
                return -1;
        for (i = 0; i < 6; i++) {
                int j;
                v[i] = 0;
                for (j = 0; j < width[i]; j++, k++) {
                        if (s[k] < '0' || s[k] > '9')
                                return -1;
                        v[i] = v[i] * 10 + (s[k] - '0');
                }
        }
        memset(&tm, 0, sizeof(tm));
        tm.tm_year  = v[0] - 1900;
        tm.tm_mon   = v[1] - 1;
        tm.tm_mday  = v[2];
        tm.tm_hour  = v[3];
        tm.tm_min   = v[4];
        tm.tm_sec   = v[5];
        tm.tm_isdst = -1;
        chk         = tm;
        t           = rmq__mktime(&tm);
        /* a date that does not exist (Feb 30) comes back normalised */
        if (t == (time_t)-1 || tm.tm_mday != chk.tm_mday ||
            tm.tm_mon != chk.tm_mon || tm.tm_year != chk.tm_year)
                return -1;
        if (msp)
                *msp = (int64_t)t * 1000;
        return 0;
}

static const char *check_minus_one_or_positive(const char *v) {
        int64_t n;
        return !rmq__parse_i64(v, &n) && n == 0 ? "must be -1 or positive"
                                                : NULL;
}

/* UtilAll.parseDate(s, "yyyyMMddHHmmss") */
static const char *check_consume_timestamp(const char *v) {
        return rmq__parse_yyyymmddhhmmss(v, NULL)
                   ? "expected yyyyMMddHHmmss (14 digits, a valid date)"
                   : NULL;
}

static const conf_prop_t props[] = {
    /* ClientConfig */
    {"namesrvAddr", CT_STR, F(namesrvAddr), 0, 0, NULL, NULL,
     "Name server addresses, `host:port` separated by `;`. Defaults to the "
     "NAMESRV_ADDR environment variable, as in Java.",
     check_namesrv},
    {"clientIP", CT_STR, F(clientIP), 0, 0, NULL, NULL,
     "IP address used in the clientId (`ip@instanceName`). Default: the "
     "first non-loopback address of this host, chosen as Java's "
     "RemotingUtil.getLocalAddress() does.",
     NULL},
    {"instanceName", CT_STR, F(instanceName), 0, 0, "DEFAULT", NULL,
     "Instance name in the clientId. `DEFAULT` is replaced at start by "
     "`<pid>#<nanotime>` as Java's changeInstanceNameToPID() does; handles "
     "with the same clientId share one client instance.",
     NULL},
    {"clientCallbackExecutorThreads", CT_INT, F(clientCallbackExecutorThreads),
     1, 1024, NULL, NULL,
     "Threads of the callback pool that runs async send callbacks and "
     "transaction checks. Default: the number of CPUs.",
     NULL},
    {"namespace", CT_STR, F(namespace_), 0, 0, NULL, NULL,
     "Namespace prefixed to topics and groups (`ns%resource`), as Java's "
     "NamespaceUtil.",
     NULL},
    {"accessChannel", CT_ENUM, F(accessChannel), 0, 0, "LOCAL", "LOCAL|CLOUD",
     "Access channel (Java AccessChannel).", NULL},
    {"pollNameServerInterval", CT_INT, F(pollNameServerInterval), 10, INT32_MAX,
     "30000", NULL,
     "Milliseconds between route refreshes from the name server.", NULL},
    {"heartbeatBrokerInterval", CT_INT, F(heartbeatBrokerInterval), 10,
     INT32_MAX, "30000", NULL,
     "Milliseconds between heartbeats to every broker (also the offline "
     "broker cleanup period).",
     NULL},
    {"persistConsumerOffsetInterval", CT_INT, F(persistConsumerOffsetInterval),
     10, INT32_MAX, "5000", NULL,
     "Milliseconds between consumer offset persistence.", NULL},
    {"pullTimeDelayMillsWhenException", CT_INT,
     F(pullTimeDelayMillsWhenException), 0, INT32_MAX, "1000", NULL,
     "Milliseconds a consumer waits before pulling again after an error.",
     NULL},
    {"unitMode", CT_BOOL, F(unitMode), 0, 0, "false", NULL,
     "Unit mode flag sent with sends and heartbeats (Java unitMode).", NULL},
    {"unitName", CT_STR, F(unitName), 0, 0, NULL, NULL,
     "Unit name appended to the clientId when set.", NULL},
    {"vipChannelEnabled", CT_BOOL, F(vipChannelEnabled), 0, 0, "false", NULL,
     "Send to the broker's VIP port (port - 2), as Java's "
     "com.rocketmq.sendMessageWithVIPChannel (default false since 4.9.x).",
     NULL},
    {"useTLS", CT_BOOL, F(useTLS), 0, 0, "false", NULL,
     "Use TLS (1.2 or later) to name servers and brokers; never falls back "
     "to plain text. The tls.client.* properties configure it "
     "(docs/SECURITY.md).",
     NULL},
    {"mqClientApiTimeout", CT_INT, F(mqClientApiTimeout), 1, INT32_MAX, "3000",
     NULL,
     "Milliseconds allowed for name server and broker admin calls (route "
     "queries, heartbeats, offsets).",
     NULL},
    {"language", CT_ENUM, F(language), 0, 0, "CPP",
     "JAVA|CPP|DOTNET|PYTHON|DELPHI|ERLANG|RUBY|OTHER|HTTP|GO|PHP|OMS|RUST",
     "LanguageCode put in every request header (Java ClientConfig.language). "
     "CPP by default, as rocketmq-client-cpp, since this is not the Java "
     "client.",
     NULL},
    /* NettyClientConfig / NettySystemConfig */
    {"connectTimeoutMillis", CT_INT, F(connectTimeoutMillis), 1, INT32_MAX,
     "3000", NULL,
     "Milliseconds allowed to open a TCP connection "
     "(com.rocketmq.remoting.client.connect.timeout).",
     NULL},
    {"clientAsyncSemaphoreValue", CT_INT, F(clientAsyncSemaphoreValue), 1,
     INT32_MAX, "65535", NULL,
     "Maximum async requests in flight per client instance; a caller waits "
     "up to its timeout for a permit, then gets RMQ_ERR__TOO_MANY_REQUESTS.",
     NULL},
    {"clientOnewaySemaphoreValue", CT_INT, F(clientOnewaySemaphoreValue), 1,
     INT32_MAX, "65535", NULL,
     "Maximum oneway requests not yet written to the socket.", NULL},
    {"clientChannelMaxIdleTimeSeconds", CT_INT,
     F(clientChannelMaxIdleTimeSeconds), 0, INT32_MAX, "120", NULL,
     "Seconds without reads or writes after which a connection is closed "
     "(0 = never), as Netty's IdleStateHandler in Java.",
     NULL},
    {"clientCloseSocketIfTimeout", CT_BOOL, F(clientCloseSocketIfTimeout), 0, 0,
     "true", NULL,
     "Close the connection when a synchronous request times out "
     "(com.rocketmq.remoting.client.closeSocketIfTimeout, true in 4.9.x).",
     NULL},
    {"clientSocketSndBufSize", CT_INT, F(clientSocketSndBufSize), 0, INT32_MAX,
     "0", NULL, "SO_SNDBUF in bytes; 0 keeps the system default.", NULL},
    {"clientSocketRcvBufSize", CT_INT, F(clientSocketRcvBufSize), 0, INT32_MAX,
     "0", NULL, "SO_RCVBUF in bytes; 0 keeps the system default.", NULL},
    {"frameMaxLength", CT_INT, F(frameMaxLength), 1024, INT32_MAX, "16777216",
     NULL,
     "Largest remoting frame accepted (com.rocketmq.remoting.frameMaxLength); "
     "a longer frame closes the connection.",
     NULL},
    {"serializeType", CT_ENUM, F(serializeType), 0, 0, "JSON", "JSON|ROCKETMQ",
     "Header serialize type of requests (rocketmq.serialize.type). Both are "
     "always decoded.",
     NULL},
    /* DefaultMQProducer */
    {"producerGroup", CT_STR, F(producerGroup), 0, 0, "DEFAULT_PRODUCER", NULL,
     "Producer group name.", NULL},
    {"createTopicKey", CT_STR, F(createTopicKey), 0, 0, "TBW102", NULL,
     "Topic whose route is used to send to a topic that does not exist yet "
     "(the broker then auto-creates it).",
     NULL},
    {"defaultTopicQueueNums", CT_INT, F(defaultTopicQueueNums), 1, 1024, "4",
     NULL, "Queue count requested for auto-created topics.", NULL},
    {"sendMsgTimeout", CT_INT, F(sendMsgTimeout), 1, INT32_MAX, "3000", NULL,
     "Milliseconds allowed for one send, retries included.", NULL},
    {"compressMsgBodyOverHowmuch", CT_INT, F(compressMsgBodyOverHowmuch), 0,
     INT32_MAX, "4096", NULL,
     "Bodies of at least this many bytes are zlib-compressed.", NULL},
    {"retryTimesWhenSendFailed", CT_INT, F(retryTimesWhenSendFailed), 0, 1000,
     "2", NULL, "Retries of a failed synchronous send.", NULL},
    {"retryTimesWhenSendAsyncFailed", CT_INT, F(retryTimesWhenSendAsyncFailed),
     0, 1000, "2", NULL, "Retries of a failed asynchronous send.", NULL},
    {"retryAnotherBrokerWhenNotStoreOK", CT_BOOL,
     F(retryAnotherBrokerWhenNotStoreOK), 0, 0, "false", NULL,
     "Retry a synchronous send on another broker when the result is not "
     "SEND_OK.",
     NULL},
    {"maxMessageSize", CT_INT, F(maxMessageSize), 1, INT32_MAX, "4194304", NULL,
     "Largest message body in bytes.", NULL},
    {"sendLatencyFaultEnable", CT_BOOL, F(sendLatencyFaultEnable), 0, 0,
     "false", NULL,
     "Avoid brokers that were slow or failing, as Java's "
     "MQFaultStrategy/LatencyFaultTolerance.",
     NULL},
    {"compressLevel", CT_INT, F(compressLevel), 0, 9, "5", NULL,
     "zlib level of compressed bodies (rocketmq.message.compressLevel).", NULL},
    {"sendSmartMsg", CT_BOOL, F(sendSmartMsg), 0, 0, "true", NULL,
     "Use SEND_MESSAGE_V2 with its compact header "
     "(org.apache.rocketmq.client.sendSmartMsg).",
     NULL},
    {"enableBackpressureForAsyncMode", CT_BOOL,
     F(enableBackpressureForAsyncMode), 0, 0, "false", NULL,
     "When the async send window is full, wait up to sendMsgTimeout for room "
     "(true) or fail at once with RMQ_ERR__QUEUE_FULL (false). Java 5.x "
     "name.",
     NULL},
    {"backPressureForAsyncSendNum", CT_INT, F(backPressureForAsyncSendNum), 1,
     INT32_MAX, "10000", NULL,
     "Most async sends in flight per producer (the async window). Java 5.x "
     "name.",
     NULL},
    {"backPressureForAsyncSendSize", CT_INT, F(backPressureForAsyncSendSize), 1,
     INT64_MAX, "104857600", NULL,
     "Most body bytes of async sends in flight per producer. Java 5.x name.",
     NULL},
    /* TransactionMQProducer */
    {"checkThreadPoolMinSize", CT_INT, F(checkThreadPoolMinSize), 1, 1000, "1",
     NULL,
     "Threads of a transactional producer's check executor, which runs the "
     "check callback for the broker's CHECK_TRANSACTION_STATE requests.",
     NULL},
    {"checkThreadPoolMaxSize", CT_INT, F(checkThreadPoolMaxSize), 1, 1000, "1",
     NULL,
     "Accepted for compatibility; must not be below checkThreadPoolMinSize. "
     "Java adds threads up to it only once checkRequestHoldMax checks wait; "
     "here the executor keeps checkThreadPoolMinSize threads and such a "
     "check is dropped.",
     NULL},
    {"checkRequestHoldMax", CT_INT, F(checkRequestHoldMax), 1, INT32_MAX,
     "2000", NULL,
     "Most checks waiting for the check executor; a check that finds it "
     "full is dropped with a warning (the broker asks again later).",
     NULL},
    /* DefaultMQPushConsumer */
    {"consumerGroup", CT_STR, F(consumerGroup), 0, 0, NULL, NULL,
     "Consumer group name (required by consumers).", NULL},
    {"messageModel", CT_ENUM, F(messageModel), 0, 0, "CLUSTERING",
     "BROADCASTING|CLUSTERING",
     "CLUSTERING: the group's consumers share the queues (offsets on the "
     "broker); BROADCASTING: every consumer gets every message (offsets in a "
     "local file).",
     NULL},
    {"consumeFromWhere", CT_ENUM, F(consumeFromWhere), 0, 0,
     "CONSUME_FROM_LAST_OFFSET",
     "CONSUME_FROM_LAST_OFFSET|CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_"
     "BOOT_FIRST|CONSUME_FROM_MIN_OFFSET|CONSUME_FROM_MAX_OFFSET|CONSUME_"
     "FROM_FIRST_OFFSET|CONSUME_FROM_TIMESTAMP",
     "Where a queue without a committed offset starts: its end (LAST, and "
     "the deprecated MIN/MAX variants, as Java), its beginning (FIRST) or "
     "consumeTimestamp (TIMESTAMP). Retry topics start from 0 (LAST) or "
     "their end (TIMESTAMP), as Java.",
     NULL},
    {"consumeTimestamp", CT_STR, F(consumeTimestamp), 0, 0, NULL, NULL,
     "yyyyMMddHHmmss (local time) for CONSUME_FROM_TIMESTAMP. Default: "
     "half an hour before the consumer is created, as Java.",
     check_consume_timestamp},
    {"allocateMessageQueueStrategy", CT_ENUM, F(allocateMessageQueueStrategy),
     0, 0, "AVG", "AVG|AVG_BY_CIRCLE|CONSISTENT_HASH",
     "How a clustering group splits a topic's queues "
     "(AllocateMessageQueueAveragely, ...AveragelyByCircle, "
     "...ConsistentHash with 10 virtual nodes); the config, machine-room "
     "and user strategies are set through the API.",
     NULL},
    {"consumeThreadMin", CT_INT, F(consumeThreadMin), 1, 1000, "20", NULL,
     "Worker threads running the listener (Java's pool never grows past "
     "it).",
     NULL},
    {"consumeThreadMax", CT_INT, F(consumeThreadMax), 1, 1000, "20", NULL,
     "Accepted for compatibility; as in Java (an unbounded queue) the pool "
     "stays at consumeThreadMin threads. Must not be below "
     "consumeThreadMin.",
     NULL},
    {"adjustThreadPoolNumsThreshold", CT_INT, F(adjustThreadPoolNumsThreshold),
     0, INT64_MAX, "100000", NULL,
     "Accepted for compatibility; Java 4.9.8 does not use it either.", NULL},
    {"consumeConcurrentlyMaxSpan", CT_INT, F(consumeConcurrentlyMaxSpan), 1,
     65535, "2000", NULL,
     "Concurrent consumption: pulls of a queue pause while the offsets of "
     "its unconsumed messages span more than this.",
     NULL},
    {"pullThresholdForQueue", CT_INT, F(pullThresholdForQueue), 1, 65535,
     "1000", NULL,
     "Pulls of a queue pause while it holds more unconsumed messages.", NULL},
    {"pullThresholdSizeForQueue", CT_INT, F(pullThresholdSizeForQueue), 1, 1024,
     "100", NULL,
     "Pulls of a queue pause while its unconsumed message bodies exceed "
     "this many MiB.",
     NULL},
    {"pullThresholdForTopic", CT_INT, F(pullThresholdForTopic), -1, 6553500,
     "-1", NULL,
     "When set (not -1), pullThresholdForQueue becomes this divided by the "
     "consumer's queue count at each rebalance, as Java.",
     check_minus_one_or_positive},
    {"pullThresholdSizeForTopic", CT_INT, F(pullThresholdSizeForTopic), -1,
     102400, "-1", NULL, "The same for pullThresholdSizeForQueue (MiB).",
     check_minus_one_or_positive},
    {"pullInterval", CT_INT, F(pullInterval), 0, 65535, "0", NULL,
     "Milliseconds between the pulls of a queue that found messages.", NULL},
    {"consumeMessageBatchMaxSize", CT_INT, F(consumeMessageBatchMaxSize), 1,
     1024, "1", NULL, "Most messages per listener call.", NULL},
    {"pullBatchSize", CT_INT, F(pullBatchSize), 1, 1024, "32", NULL,
     "Most messages per pull (the broker returns at most 32). The lite "
     "pull consumer uses 10 unless set, as Java.",
     NULL},
    {"postSubscriptionWhenPull", CT_BOOL, F(postSubscriptionWhenPull), 0, 0,
     "false", NULL,
     "Send the subscription with every pull (otherwise the broker uses the "
     "heartbeat's).",
     NULL},
    {"maxReconsumeTimes", CT_INT, F(maxReconsumeTimes), -1, INT32_MAX, "-1",
     NULL,
     "Retries of a message before it goes to the dead letter queue; -1: 16 "
     "for concurrent consumption, unlimited (Integer.MAX_VALUE) for "
     "orderly, as Java.",
     NULL},
    {"suspendCurrentQueueTimeMillis", CT_INT, F(suspendCurrentQueueTimeMillis),
     0, INT32_MAX, "1000", NULL,
     "Orderly: how long SUSPEND_CURRENT_QUEUE_A_MOMENT suspends a queue "
     "(10..30000 ms applied).",
     NULL},
    {"consumeTimeout", CT_INT, F(consumeTimeout), 1, INT32_MAX, "15", NULL,
     "Minutes a message may stay in consumption before it is sent back for "
     "a retry (cleanExpiredMsg, checked every consumeTimeout minutes).",
     NULL},
    {"awaitTerminationMillisWhenShutdown", CT_INT,
     F(awaitTerminationMillisWhenShutdown), 0, INT32_MAX, "0", NULL,
     "How long shutdown waits for running listener calls (0: until they "
     "return; a call still running after a timeout delays shutdown until "
     "it returns, as nothing can stop it).",
     NULL},
    /* DefaultLitePullConsumer (the consumer properties above apply too) */
    {"autoCommit", CT_BOOL, F(autoCommit), 0, 0, "true", NULL,
     "Lite pull: commit the consumed offsets (what poll() returned) every "
     "autoCommitIntervalMillis, checked at each poll, and at shutdown.",
     NULL},
    {"autoCommitIntervalMillis", CT_INT, F(autoCommitIntervalMillis), 1000,
     INT32_MAX, "5000", NULL,
     "Lite pull: milliseconds between automatic commits (at least 1000, as "
     "Java).",
     NULL},
    {"pullThreadNums", CT_INT, F(pullThreadNums), 1, 1000, "20", NULL,
     "Lite pull: accepted for compatibility. Java pulls synchronously on "
     "this many threads; here pulls are asynchronous requests on the I/O "
     "loop started from the client instance's pull service, so no thread "
     "waits on a pull.",
     NULL},
    {"pullThresholdForAll", CT_INT, F(pullThresholdForAll), 1, INT32_MAX,
     "10000", NULL,
     "Lite pull: pulls pause while the pulls waiting to be polled times "
     "pullBatchSize exceed this.",
     NULL},
    {"consumeMaxSpan", CT_INT, F(consumeMaxSpan), 1, 65535, "2000", NULL,
     "Lite pull: pulls of a queue pause while the offsets of its unpolled "
     "messages span more than this.",
     NULL},
    {"pollTimeoutMillis", CT_INT, F(pollTimeoutMillis), 0, INT32_MAX, "5000",
     NULL, "Lite pull: how long poll() waits when given no timeout (-1).",
     NULL},
    {"topicMetadataCheckIntervalMillis", CT_INT,
     F(topicMetadataCheckIntervalMillis), 1, INT32_MAX, "30000", NULL,
     "Lite pull: milliseconds between the checks of the topics watched by "
     "a queue change callback (the first 10 s after start, as Java).",
     NULL},
    {"brokerSuspendMaxTimeMillis", CT_INT, F(brokerSuspendMaxTimeMillis), 0,
     INT32_MAX, "20000", NULL,
     "Lite pull: how long the broker holds a pull that finds no message "
     "(long polling).",
     NULL},
    {"consumerTimeoutMillisWhenSuspend", CT_INT,
     F(consumerTimeoutMillisWhenSuspend), 1, INT32_MAX, "30000", NULL,
     "Lite pull: the timeout of a long-polling pull; must not be below "
     "brokerSuspendMaxTimeMillis.",
     NULL},
    {"consumerPullTimeoutMillis", CT_INT, F(consumerPullTimeoutMillis), 1,
     INT32_MAX, "10000", NULL,
     "Lite pull: accepted for compatibility; as in Java 4.9.8, pulls are "
     "long polls timed by consumerTimeoutMillisWhenSuspend.",
     NULL},
    /* Java system properties of the client (their Java names) */
    {"rocketmq.client.rebalance.waitInterval", CT_INT, F(rebalanceWaitInterval),
     1, INT32_MAX, "20000", NULL,
     "Milliseconds between rebalance rounds of the client instance's "
     "rebalance service (Java RebalanceService, system property "
     "rocketmq.client.rebalance.waitInterval); a consumer start, a "
     "subscription change and NOTIFY_CONSUMER_IDS_CHANGED start a round at "
     "once.",
     NULL},
    {"rocketmq.client.rebalance.lockInterval", CT_INT, F(rebalanceLockInterval),
     1, INT32_MAX, "20000", NULL,
     "Orderly consumption: milliseconds between renewals of the queue locks "
     "(Java ProcessQueue.REBALANCE_LOCK_INTERVAL).",
     NULL},
    {"rocketmq.client.rebalance.lockMaxLiveTime", CT_INT,
     F(rebalanceLockMaxLiveTime), 1, INT32_MAX, "30000", NULL,
     "Orderly consumption: a queue lock not renewed for this long counts as "
     "lost (ProcessQueue.REBALANCE_LOCK_MAX_LIVE_TIME).",
     NULL},
    {"rocketmq.client.pull.pullMaxIdleTime", CT_INT, F(pullMaxIdleTime), 1,
     INT64_MAX, "120000", NULL,
     "A queue not pulled for this long is dropped and taken again at the "
     "next rebalance (ProcessQueue.PULL_MAX_IDLE_TIME).",
     NULL},
    {"rocketmq.client.maxTimeConsumeContinuously", CT_INT,
     F(maxTimeConsumeContinuously), 1, INT64_MAX, "60000", NULL,
     "Orderly consumption: one worker consumes a queue at most this long "
     "before letting the others run.",
     NULL},
    {"rocketmq.client.unlockDelayTimeMills", CT_INT, F(unlockDelayTimeMills), 0,
     INT64_MAX, "20000", NULL,
     "Orderly consumption: a queue taken away while it still holds messages "
     "is unlocked on the broker after this delay.",
     NULL},
    {"rocketmq.client.localOffsetStoreDir", CT_STR, F(localOffsetStoreDir), 0,
     0, NULL, NULL,
     "Directory of the broadcasting consumers' offset files "
     "(<dir>/<clientId>/<group>/offsets.json). Default: "
     "$HOME/.rocketmq_offsets, as Java.",
     NULL},
    /* C-only */
    {"test.mock.brokers", CT_INT, F(test_mock_brokers), 0, 26, "0", NULL,
     "Testing aid (librdkafka's test.mock.num.brokers): when > 0, the client "
     "instance starts a private in-process mock cluster with this many "
     "brokers and uses it as its name server, ignoring namesrvAddr.",
     NULL},
    {"consumer.memory.budget", CT_INT, F(consumerMemoryBudget), 0, INT64_MAX,
     "1073741824", NULL,
     "Bytes of pulled but unconsumed messages (the pull responses they "
     "came in, inflated bodies included) all consumers of a client "
     "instance may hold; pulls pause while it is exceeded, as they do for "
     "a queue over its thresholds. The instance takes it from the conf of "
     "its first producer or consumer. 0: no limit (Java has none). Not in "
     "Java.",
     NULL},
    {"debug", CT_STR, F(debug), 0, 0, NULL, NULL,
     "Comma-separated debug facilities logged at DEBUG level: remoting, "
     "route, producer, consumer, rebalance, offset, trace, mock, all.",
     check_debug},
    {"log.level", CT_INT, F(log_level), 0, 7, "4", NULL,
     "Most verbose syslog level passed to the log callback (3 error, 4 warn, "
     "6 info, 7 debug).",
     NULL},
    /* ACL (AclClientRPCHook, SessionCredentials) */
    {"accessKey", CT_STR, F(accessKey), 0, 0, NULL, NULL,
     "ACL access key (Java: SessionCredentials of an AclClientRPCHook). "
     "With accessKey and secretKey both set, every request the client "
     "instance sends is signed as 4.9.8's AclClientRPCHook signs it "
     "(AccessKey, Signature and SecurityToken ext fields); see "
     "docs/SECURITY.md. The client instance takes the credentials of its "
     "first producer or consumer, as Java's MQClientInstance keeps the "
     "RPC hook of the first.",
     NULL},
    {"secretKey", CT_STR, F(secretKey), 0, 0, NULL, NULL,
     "ACL secret key: the HMAC-SHA1 key of the request signatures. Never "
     "sent, logged or dumped: rmq_conf_get() answers `[redacted]` for it, "
     "and the running info (GET_CONSUMER_RUNNING_INFO) leaves it out.",
     NULL},
    {"securityToken", CT_STR, F(securityToken), 0, 0, NULL, NULL,
     "ACL security token (optional, as SessionCredentials.securityToken): "
     "sent as the SecurityToken ext field and signed with the rest. Empty "
     "means none. A credential: rmq_conf_get() answers `[redacted]`.",
     NULL},
    /* message trace (AsyncTraceDispatcher; docs/TRACE.md) */
    {"enableMsgTrace", CT_BOOL, F(enableMsgTrace), 0, 0, "false", NULL,
     "Producers, push consumers and lite pull consumers: record message "
     "traces (Pub, SubBefore/SubAfter, EndTransaction) and send them, "
     "batched, to the trace topic through an internal producer "
     "(docs/TRACE.md).",
     NULL},
    {"customizedTraceTopic", CT_STR, F(customizedTraceTopic), 0, 0,
     "RMQ_SYS_TRACE_TOPIC", NULL,
     "Topic the traces go to with accessChannel LOCAL (CLOUD: "
     "rmq_sys_TRACE_DATA_<regionId>). Empty: RMQ_SYS_TRACE_TOPIC.",
     NULL},
    {"trace.queueSize", CT_INT, F(traceQueueSize), 1, 1048576, "1024", NULL,
     "Trace records waiting to be batched (Java's traceContextQueue "
     "capacity, 1024); when full a record is dropped and counted "
     "(rmq_producer_trace_dropped() and the consumers' counterparts), the "
     "send or consume is never held up. Not a Java property.",
     NULL},
    {"trace.batchSize", CT_INT, F(traceBatchSize), 1, 1048576, "100", NULL,
     "Most trace records in one trace message (Java's batchSize, which "
     "4.9.8 declares but does not use). Not a Java property.",
     NULL},
    {"trace.maxMsgSize", CT_INT, F(traceMaxMsgSize), 11000, 4194304,
     "128000", NULL,
     "The trace producer's maxMessageSize (Java's maxMsgSize); a trace "
     "message is sent once its data reaches this minus 10000 bytes. Not a "
     "Java property.",
     NULL},
    {"trace.pollingTimeMs", CT_INT, F(tracePollingTimeMs), 1, 60000, "100",
     NULL,
     "How long the trace worker waits for records before it checks its "
     "batches (Java's pollingTimeMil). Not a Java property.",
     NULL},
    {"trace.waitTimeThresholdMs", CT_INT, F(traceWaitTimeThresholdMs), 0,
     3600000, "500", NULL,
     "A batch is sent at the latest this long after its first record "
     "(Java's waitTimeThresholdMil). Not a Java property.",
     NULL},
    /* statistics (docs/STATISTICS.md) */
    {"statisticsIntervalMs", CT_INT, F(statisticsIntervalMs), 0, 86400000, "0",
     NULL,
     "Milliseconds between two statistics documents (JSON) given to the "
     "callback of rmq_conf_set_stats_cb(), one per started producer, push "
     "consumer and lite pull consumer; 0 turns them off. librdkafka's "
     "statistics.interval.ms; not in Java. See docs/STATISTICS.md.",
     NULL},
    /* TLS (Java TlsSystemConfig tls.client.*, read when useTLS is true) */
    {"tls.client.authServer", CT_BOOL, F(tlsClientAuthServer), 0, 0, "true",
     NULL,
     "Verify the server's certificate chain (against "
     "tls.client.trustCertPath, or the system CAs when unset) and that it "
     "names the host or IP address connected to. Default true, unlike "
     "Java's false: false accepts any server and logs a warning.",
     NULL},
    {"tls.client.trustCertPath", CT_STR, F(tlsClientTrustCertPath), 0, 0, NULL,
     NULL,
     "PEM file of the CA certificates trusted to sign server certificates. "
     "Unset: OpenSSL's default CA paths (SSL_CERT_FILE / SSL_CERT_DIR).",
     NULL},
    {"tls.client.certPath", CT_STR, F(tlsClientCertPath), 0, 0, NULL, NULL,
     "PEM file of the client certificate (chain) for servers that require "
     "one (mutual TLS); with tls.client.keyPath.",
     NULL},
    {"tls.client.keyPath", CT_STR, F(tlsClientKeyPath), 0, 0, NULL, NULL,
     "PEM file of the client certificate's private key (PKCS#8 or "
     "traditional, encrypted or not).",
     NULL},
    {"tls.client.keyPassword", CT_STR, F(tlsClientKeyPassword), 0, 0, NULL,
     NULL, "Password of an encrypted tls.client.keyPath.", NULL},
    /* Connections: name server discovery, back-off, log rate limiting */
    {"rocketmq.namesrv.domain", CT_STR, F(namesrvDomain), 0, 0,
     "jmenv.tbsite.net", NULL,
     "When neither namesrvAddr nor NAMESRV_ADDR is set, the name server list "
     "is fetched from http://<domain>:8080/rocketmq/<subgroup> at start and "
     "every rocketmq.namesrv.domain.fetchInterval ms (Java MixAll.getWSAddr "
     "and TopAddressing). A domain with a port (host:port) replaces :8080. "
     "Java reads it from the system property of the same name.",
     NULL},
    {"rocketmq.namesrv.domain.subgroup", CT_STR, F(namesrvDomainSubgroup), 0,
     0, "nsaddr", NULL,
     "Last path element of the name server lookup URL (Java system "
     "property of the same name); with unitName set, \"-<unitName>?nofix=1\" "
     "is appended, as Java.",
     NULL},
    {"rocketmq.namesrv.domain.fetchInterval", CT_INT, F(namesrvFetchInterval),
     10, INT32_MAX, "120000", NULL,
     "Milliseconds between name server lookups (Java: 2 minutes, first one "
     "10 s after start; here the first periodic one comes after "
     "min(10 s, this)). Not a Java setting.",
     NULL},
    {"reconnect.backoff.ms", CT_INT, F(reconnectBackoffMs), 0, 3600000, "100",
     NULL,
     "After a failed connect to an address, no new connect to it for this "
     "long, doubled at every failure in a row up to reconnect.backoff.max.ms, "
     "with +-20% jitter; a successful connect resets it. Requests to the "
     "address fail at once meanwhile (RMQ_ERR__CONNECT, naming the address "
     "and the time left); a name server request tries the next name server. "
     "0: off (dial on every request, as Java). Not in Java (librdkafka's "
     "name).",
     NULL},
    {"reconnect.backoff.max.ms", CT_INT, F(reconnectBackoffMaxMs), 0, 3600000,
     "10000", NULL, "Longest connect back-off (see reconnect.backoff.ms).",
     NULL},
    {"log.rate.limit.ms", CT_INT, F(logRateLimitMs), 0, INT32_MAX, "10000",
     NULL,
     "Noisy warnings (connect failures, pulls failing while a broker is "
     "down, name server lookups failing) repeated identically (plain "
     "numbers aside; addresses count) are logged once per this many ms; "
     "the next one logged says "
     "how many were dropped (docs/CONNECTIONS.md). 0: every line is "
     "logged. Not in Java.",
     NULL},
};

#undef F

_Static_assert(RMQ_ARRAY_SIZE(props) <= 64 * 2,
               "rmq_conf_t.set_mask has a bit per property");

static const conf_prop_t *prop_find(const char *name) {
        size_t i;
        for (i = 0; i < RMQ_ARRAY_SIZE(props); i++)
                if (!strcmp(props[i].name, name))
                        return &props[i];
        return NULL;
}

/* A secret (secretKey, securityToken, tls.client.keyPassword):
 * rmq_conf_get() answers RMQ_CONF_REDACTED, never
 * the value, and nothing dumps it. */
static bool prop_secret(const conf_prop_t *p) {
        return p->offset == offsetof(struct rmq_conf_s, secretKey) ||
               p->offset == offsetof(struct rmq_conf_s, securityToken) ||
               p->offset == offsetof(struct rmq_conf_s, tlsClientKeyPassword);
}

static int enum_index(const char *enums, const char *v) {
        const char *p = enums;
        int idx       = 0;
        size_t vlen   = strlen(v);
        while (p) {
                const char *e = strchr(p, '|');
                size_t len    = e ? (size_t)(e - p) : strlen(p);
                if (len == vlen && !memcmp(p, v, len))
                        return idx;
                idx++;
                p = e ? e + 1 : NULL;
        }
        return -1;
}

static size_t enum_name(const char *enums, int idx, char *dst, size_t size) {
        const char *p = enums;
        while (p && idx > 0) {
                p = strchr(p, '|');
                if (p)
                        p++;
                idx--;
        }
        if (!p) {
                if (size)
                        dst[0] = '\0';
                return 0;
        }
        {
                const char *e = strchr(p, '|');
                size_t len    = e ? (size_t)(e - p) : strlen(p);
                if (size) {
                        size_t n = len < size - 1 ? len : size - 1;
                        memcpy(dst, p, n);
                        dst[n] = '\0';
                }
                return len;
        }
}

static rmq_err_t prop_set(rmq_conf_t *conf, const conf_prop_t *p,
                          const char *value, char *errstr, size_t errstr_size) {
        char *base = (char *)conf;
        const char *why;

        if (p->type == CT_UNSUPPORTED)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__CONF_INVALID,
                                   "%s: %s", p->name, p->doc);
        if (!value)
                value = p->def;
        if (value && p->check && value != p->def &&
            (why = p->check(value)) != NULL)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__CONF_INVALID,
                                   "%s: invalid value \"%s\": %s", p->name,
                                   value, why);
        switch (p->type) {
        case CT_STR: {
                char **sp = (char **)(void *)(base + p->offset);
                rmq__free(*sp);
                *sp = value ? rmq__strdup(value) : NULL;
                if (p->offset == offsetof(struct rmq_conf_s, debug))
                        rmq__log_parse_debug(value ? value : "",
                                             &conf->debug_mask);
                return RMQ_OK;
        }
        case CT_INT: {
                int64_t v;
                if (!value) {
                        *(int64_t *)(void *)(base + p->offset) = 0;
                        return RMQ_OK;
                }
                if (rmq__parse_i64(value, &v))
                        return rmq__seterr(errstr, errstr_size,
                                           RMQ_ERR__CONF_INVALID,
                                           "%s: expected an integer, got "
                                           "\"%s\"",
                                           p->name, value);
                if (v < p->min || v > p->max)
                        return rmq__seterr(
                            errstr, errstr_size, RMQ_ERR__CONF_INVALID,
                            "%s: %lld is out of range %lld..%lld", p->name,
                            (long long)v, (long long)p->min, (long long)p->max);
                *(int64_t *)(void *)(base + p->offset) = v;
                return RMQ_OK;
        }
        case CT_BOOL:
                if (value && strcmp(value, "true") && strcmp(value, "false"))
                        return rmq__seterr(errstr, errstr_size,
                                           RMQ_ERR__CONF_INVALID,
                                           "%s: expected true or false, got "
                                           "\"%s\"",
                                           p->name, value);
                *(bool *)(void *)(base + p->offset) =
                    value && !strcmp(value, "true");
                return RMQ_OK;
        case CT_ENUM: {
                int idx = value ? enum_index(p->enums, value) : 0;
                if (idx < 0)
                        return rmq__seterr(errstr, errstr_size,
                                           RMQ_ERR__CONF_INVALID,
                                           "%s: expected one of %s, got "
                                           "\"%s\"",
                                           p->name, p->enums, value);
                *(int64_t *)(void *)(base + p->offset) = idx;
                return RMQ_OK;
        }
        default:
                return RMQ_ERR__CONF_INVALID;
        }
}

rmq_conf_t *rmq_conf_new(void) {
        rmq_conf_t *conf = rmq__calloc(1, sizeof(*conf));
        size_t i;
        const char *env;
        long ncpu;
        for (i = 0; i < RMQ_ARRAY_SIZE(props); i++)
                if (props[i].type != CT_UNSUPPORTED)
                        prop_set(conf, &props[i], NULL, NULL, 0);
        env = getenv("NAMESRV_ADDR");
        if (env && *env && rmq__namesrv_list_valid(env))
                conf->namesrvAddr = rmq__strdup(env);
        ncpu                                = sysconf(_SC_NPROCESSORS_ONLN);
        conf->clientCallbackExecutorThreads = ncpu > 0 ? ncpu : 1;
        conf->log_cb                        = rmq__log_stderr_cb;
        return conf;
}

rmq_conf_t *rmq_conf_dup(const rmq_conf_t *conf) {
        rmq_conf_t *d = rmq__malloc(sizeof(*d));
        size_t i;
        memcpy(d, conf, sizeof(*d));
        for (i = 0; i < RMQ_ARRAY_SIZE(props); i++) {
                if (props[i].type == CT_STR) {
                        char **sp =
                            (char **)(void *)((char *)d + props[i].offset);
                        *sp = rmq__strdup(*sp);
                }
        }
        return d;
}

void rmq_conf_destroy(rmq_conf_t *conf) {
        size_t i;
        if (!conf)
                return;
        for (i = 0; i < RMQ_ARRAY_SIZE(props); i++) {
                if (props[i].type == CT_STR)
                        rmq__free(
                            *(char **)(void *)((char *)conf + props[i].offset));
        }
        rmq__free(conf);
}

rmq_err_t rmq_conf_set(rmq_conf_t *conf, const char *name, const char *value,
                       char *errstr, size_t errstr_size) {
        const conf_prop_t *p;
        rmq_err_t err;
        if (!conf || !name)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "conf and name must not be NULL");
        p = prop_find(name);
        if (!p)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__CONF_UNKNOWN,
                                   "unknown configuration property \"%s\"",
                                   name);
        err = prop_set(conf, p, value, errstr, errstr_size);
        if (err == RMQ_OK && value) {
                size_t i = (size_t)(p - props);
                conf->set_mask[i / 64] |= UINT64_C(1) << (i % 64);
        }
        return err;
}

bool rmq__conf_is_set(const rmq_conf_t *conf, const char *name) {
        const conf_prop_t *p = prop_find(name);
        size_t i;
        if (!p)
                return false;
        i = (size_t)(p - props);
        return (conf->set_mask[i / 64] >> (i % 64)) & 1;
}

rmq_err_t rmq_conf_get(const rmq_conf_t *conf, const char *name, char *dest,
                       size_t *dest_size) {
        const conf_prop_t *p;
        const char *base = (const char *)conf;
        char tmp[64];
        const char *s = tmp;
        size_t len;
        if (!conf || !name || !dest_size)
                return RMQ_ERR__INVALID_ARG;
        p = prop_find(name);
        if (!p)
                return RMQ_ERR__CONF_UNKNOWN;
        switch (p->type) {
        case CT_STR:
                s = *(char *const *)(const void *)(base + p->offset);
                if (!s)
                        s = "";
                else if (prop_secret(p) && *s)
                        s = RMQ_CONF_REDACTED;
                break;
        case CT_INT:
                snprintf(tmp, sizeof(tmp), "%lld",
                         (long long)*(
                             const int64_t *)(const void *)(base + p->offset));
                break;
        case CT_BOOL:
                s = *(const bool *)(const void *)(base + p->offset) ? "true"
                                                                    : "false";
                break;
        case CT_ENUM:
                enum_name(
                    p->enums,
                    (int)*(const int64_t *)(const void *)(base + p->offset),
                    tmp, sizeof(tmp));
                break;
        default:
                tmp[0] = '\0';
                break;
        }
        len = strlen(s) + 1;
        if (!dest) {
                *dest_size = len;
                return RMQ_OK;
        }
        if (*dest_size < len) {
                *dest_size = len;
                return RMQ_ERR__INVALID_ARG;
        }
        memcpy(dest, s, len);
        *dest_size = len;
        return RMQ_OK;
}

void rmq_conf_set_opaque(rmq_conf_t *conf, void *opaque) {
        conf->opaque = opaque;
}

void rmq_conf_set_log_cb(rmq_conf_t *conf, rmq_log_cb_t *log_cb) {
        conf->log_cb = log_cb;
}

void rmq_conf_set_stats_cb(rmq_conf_t *conf, rmq_stats_cb_t *stats_cb,
                           void *opaque) {
        conf->stats_cb     = stats_cb;
        conf->stats_opaque = opaque;
}

int rmq_conf_property_info(int idx, const char **namep, const char **typep,
                           const char **defaultp, const char **docp) {
        static const char *types[] = {"string", "integer", "boolean", "enum",
                                      "unsupported"};
        const conf_prop_t *p;
        if (idx < 0 || (size_t)idx >= RMQ_ARRAY_SIZE(props))
                return 0;
        p = &props[idx];
        if (namep)
                *namep = p->name;
        if (typep)
                *typep = p->type == CT_ENUM ? p->enums : types[p->type];
        if (defaultp)
                *defaultp = p->def ? p->def : "";
        if (docp)
                *docp = p->doc;
        return 1;
}

bool rmq__conf_prop_secret(const char *name) {
        const conf_prop_t *p = prop_find(name);
        return p && prop_secret(p);
}

void rmq__conf_client_ip(const rmq_conf_t *conf, char *dst, size_t size) {
        if (conf->clientIP && *conf->clientIP)
                rmq__strlcpy(dst, conf->clientIP, size);
        else
                rmq__local_address(dst, size);
}
