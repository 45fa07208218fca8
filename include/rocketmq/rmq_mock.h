/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rmq_mock.h
 * @brief EXPERIMENTAL: the built-in mock cluster (a name server and N
 *        brokers) for tests, examples and applications' own tests.
 *
 * The idea of librdkafka's mock cluster: an in-process RocketMQ that
 * answers the 4.9.x remoting protocol as the real name server and brokers
 * do (routes, sends, pulls with long polling, offsets, locks, retries and
 * dead letters, delay levels, transactions with check-back, queries), on
 * 127.0.0.1 ephemeral ports, on its own thread, and that tests can break on
 * purpose (fail, delay or swallow chosen requests, close connections, stop
 * and restart brokers). The same code runs as the `rmq-mock-cluster`
 * program.
 *
 * This header is outside the library's ABI promise: it may change in any
 * release.
 *
 * Thread safety: every function is thread-safe; each call is carried out
 * on the mock's thread and waits for it. Calls never block on the network.
 * Broker ids are 0 .. broker_cnt-1; brokers are named "broker-a",
 * "broker-b", ... in that order, all in cluster "DefaultCluster", each a
 * master (brokerId 0).
 */
#ifndef RMQ_MOCK_H
#define RMQ_MOCK_H

#include <stddef.h>
#include <stdint.h>

#include "rmq_err.h"
#include "rmq_export.h"
#include "rmq_request_code.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A mock cluster. */
typedef struct rmq_mock_cluster_s rmq_mock_cluster_t;

/** @name Lifecycle and configuration
 * @{ */

/**
 * @brief Start a name server and \p broker_cnt brokers (1..26) on
 *        127.0.0.1 ephemeral ports.
 * @returns RMQ_OK, RMQ_ERR__INVALID_ARG, or RMQ_ERR__TRANSPORT when a port
 *          cannot be bound (reason in \p errstr).
 */
RMQ_EXPORT rmq_err_t rmq_mock_cluster_new(rmq_mock_cluster_t **mcp,
                                          int broker_cnt, char *errstr,
                                          size_t errstr_size);

/**
 * @brief As rmq_mock_cluster_new(), with the name server on \p namesrv_port
 *        (0 = ephemeral) and the brokers on \p broker_base_port,
 *        broker_base_port+1, ... (0 = ephemeral).
 */
RMQ_EXPORT rmq_err_t rmq_mock_cluster_new_ports(rmq_mock_cluster_t **mcp,
                                                int broker_cnt,
                                                int namesrv_port,
                                                int broker_base_port,
                                                char *errstr,
                                                size_t errstr_size);

/** @brief Stop and free everything (closes every connection). NULL-safe. */
RMQ_EXPORT void rmq_mock_cluster_destroy(rmq_mock_cluster_t *mc);

/**
 * @brief Set a cluster option (names and defaults as the broker's
 *        BrokerConfig/MessageStoreConfig where one exists):
 *
 * | name | default | meaning |
 * | --- | --- | --- |
 * | autoCreateTopicEnable | true | create a topic on its first send |
 * | defaultTopicQueueNums | 8 | queues of TBW102 (BrokerConfig); a topic auto-created by a send gets min(the send's defaultTopicQueueNums, TBW102's write queues) |
 * | maxMessageSize | 4194304 | larger bodies are refused (MESSAGE_ILLEGAL) |
 * | longPollingEnable | true | hold pulls for their suspend timeout, woken by a message their filter accepts (off: hold shortPollingTimeMills, no wake on arrival) |
 * | shortPollingTimeMills | 1000 | hold time and check period of held pulls when long polling is off |
 * | longPollingCheckInterval | 5000 | (mock only) period of the held-pull check with long polling on (the broker's fixed 5 s): it answers pulls whose queue passed their offset or whose time is over |
 * | delayTimeScale | 1.0 | multiplies the 18 delay levels (0.001: 1 s -> 1 ms) |
 * | transactionTimeOut | 6000 | ms before an unresolved half message is checked |
 * | transactionCheckInterval | 60000 | ms between transaction check rounds |
 * | transactionCheckMax | 15 | checks before a half message is discarded |
 * | lockExpiry | 60000 | ms a queue lock (LOCK_BATCH_MQ) lives |
 * | channelExpiredTimeout | 120000 | ms without heartbeat before a client is dropped |
 * | maxReconsumeTimes | 16 | default for CONSUMER_SEND_MSG_BACK |
 * | printMessages | false | log every stored message (the program's --print-messages) |
 * | storeReplyMessageEnable | true | store replies (SEND_REPLY_MESSAGE) as well as pushing them |
 * | serverChannelMaxIdleTimeSeconds | 120 | close connections idle (no request, no answer) this long |
 * | traceTopicEnable | false | create RMQ_SYS_TRACE_TOPIC with one queue on every broker (BrokerConfig traceTopicEnable; the message traces' topic, docs/TRACE.md); without it the topic is auto-created by the first trace send while autoCreateTopicEnable is on |
 * | queryIndexCollisions | false | (mock only) QUERY_MESSAGE answers every message stored in the time range, of any topic and key, as if all collided in the broker's hash index; clients must filter them out (Java MQAdminImpl does) |
 *
 * @returns RMQ_OK, RMQ_ERR__CONF_UNKNOWN or RMQ_ERR__CONF_INVALID.
 */
RMQ_EXPORT rmq_err_t rmq_mock_cluster_set(rmq_mock_cluster_t *mc,
                                          const char *name, const char *value,
                                          char *errstr, size_t errstr_size);

/**
 * @brief Turn ACL enforcement on (or, with \p json NULL, off) on every
 *        broker, as a 4.9.8 broker with aclEnable=true and this
 *        plain_acl.yml (the same content, as JSON):
 *
 * ```json
 * {"globalWhiteRemoteAddresses": ["10.10.103.*"],
 *  "accounts": [{"accessKey": "RocketMQ", "secretKey": "12345678",
 *                "whiteRemoteAddress": "", "admin": false,
 *                "defaultTopicPerm": "DENY", "defaultGroupPerm": "SUB",
 *                "topicPerms": ["topicA=DENY", "topicB=PUB|SUB"],
 *                "groupPerms": ["groupA=DENY", "groupB=PUB|SUB"]}]}
 * ```
 *
 * Every request to a broker is then checked as PlainAccessValidator does
 * (the name server, as in 4.9.8, checks nothing): a white-listed remote
 * address passes; otherwise the AccessKey must name an account, the
 * Signature must match (HMAC-SHA1 with the account's secretKey) and the
 * account needs the permissions the request code needs (sends: topic
 * PUB; pulls: topic and group SUB; UPDATE_CONSUMER_OFFSET: topic and
 * group SUB; heartbeats: every consumer group and subscribed topic SUB;
 * the five admin codes: admin). A refused request is not processed and
 * is answered as the broker answers an AclException: SYSTEM_ERROR with
 * the remark "org.apache.rocketmq.acl.common.AclException: <reason>, ..."
 * (nothing for a oneway request). Replaces any earlier configuration.
 *
 * @returns RMQ_OK, RMQ_ERR__INVALID_ARG (bad JSON, a key of 6 characters
 *          or fewer, a bad "name=PERM" item; reason in \p errstr).
 */
RMQ_EXPORT rmq_err_t rmq_mock_cluster_set_acl(rmq_mock_cluster_t *mc,
                                              const char *json, char *errstr,
                                              size_t errstr_size);

/** @returns "127.0.0.1:port" of the name server (valid with \p mc). */
RMQ_EXPORT const char *rmq_mock_cluster_namesrv_addr(const rmq_mock_cluster_t *mc);
/** @returns The number of brokers. */
RMQ_EXPORT int rmq_mock_cluster_broker_cnt(const rmq_mock_cluster_t *mc);
/** @returns "127.0.0.1:port" of broker \p broker_id, or NULL. */
RMQ_EXPORT const char *rmq_mock_broker_addr(const rmq_mock_cluster_t *mc,
                                            int broker_id);
/** @returns The broker's name ("broker-a", ...), or NULL. */
RMQ_EXPORT const char *rmq_mock_broker_name(const rmq_mock_cluster_t *mc,
                                            int broker_id);

/** @} */

/** @name Name server lookup endpoint
 * The HTTP endpoint of Java's name server lookup (MixAll.getWSAddr,
 * TopAddressing): `GET /rocketmq/<anything>` answers the name server list
 * as text. Point a client at it with rocketmq.namesrv.domain =
 * "127.0.0.1:<port>" and no namesrvAddr.
 * @{ */

/** @brief What the endpoint answers. */
typedef enum rmq_mock_http_mode_e {
        RMQ_MOCK_HTTP_OK,      /**< 200 with the list (404 for other paths) */
        RMQ_MOCK_HTTP_STATUS,  /**< the given status, body "error" */
        RMQ_MOCK_HTTP_GARBAGE, /**< bytes that are not HTTP, then a close */
        RMQ_MOCK_HTTP_CLOSE,   /**< a close without an answer */
        RMQ_MOCK_HTTP_HANG     /**< no answer (the client times out) */
} rmq_mock_http_mode_t;

/**
 * @brief Serve the endpoint on 127.0.0.1:\p port (0 = ephemeral; the port
 *        in \p portp, may be NULL). A second call only reports the port.
 * @returns RMQ_OK, RMQ_ERR__INVALID_ARG or RMQ_ERR__TRANSPORT (bind).
 */
RMQ_EXPORT rmq_err_t rmq_mock_http_start(rmq_mock_cluster_t *mc, int port,
                                         int *portp, char *errstr,
                                         size_t errstr_size);
/**
 * @brief The list the endpoint answers ("a:p;b:p"; NULL: the cluster's
 *        name server, the default).
 * @returns RMQ_OK, or RMQ_ERR__STATE before rmq_mock_http_start().
 */
RMQ_EXPORT rmq_err_t rmq_mock_http_set_list(rmq_mock_cluster_t *mc,
                                            const char *list);
/**
 * @brief Make the endpoint answer with \p mode (\p status for
 *        RMQ_MOCK_HTTP_STATUS).
 * @returns RMQ_OK, RMQ_ERR__INVALID_ARG, or RMQ_ERR__STATE before
 *          rmq_mock_http_start().
 */
RMQ_EXPORT rmq_err_t rmq_mock_http_set_mode(rmq_mock_cluster_t *mc,
                                            rmq_mock_http_mode_t mode,
                                            int status);
/** @returns The requests the endpoint received. */
RMQ_EXPORT size_t rmq_mock_http_requests(rmq_mock_cluster_t *mc);

/** @} */

/** @name Topics
 * @{ */

/**
 * @brief Create \p topic, or change its queue counts, on broker
 *        \p broker_id or on every broker (-1), with perm RW.
 * @returns RMQ_OK or RMQ_ERR__INVALID_ARG.
 */
RMQ_EXPORT rmq_err_t rmq_mock_topic_create(rmq_mock_cluster_t *mc,
                                           const char *topic, int broker_id,
                                           int read_queues, int write_queues);

/** @brief Set a topic's perm bits (PermName: READ 4, WRITE 2) on a broker
 *         (-1: all). */
RMQ_EXPORT rmq_err_t rmq_mock_topic_set_perm(rmq_mock_cluster_t *mc,
                                             const char *topic, int broker_id,
                                             int perm);

/**
 * @brief Drop the messages of a queue below \p min_offset, as the broker
 *        does when it deletes expired commit log files: the queue's min
 *        offset becomes \p min_offset (at most its max offset), so pulls
 *        below it get PULL_OFFSET_MOVED (OFFSET_TOO_SMALL) and a group
 *        without a committed offset gets QUERY_NOT_FOUND.
 * @returns RMQ_OK, RMQ_ERR__NOT_FOUND (no such topic or queue on that
 *          broker) or RMQ_ERR__INVALID_ARG.
 */
RMQ_EXPORT rmq_err_t rmq_mock_queue_truncate(rmq_mock_cluster_t *mc,
                                             const char *topic, int broker_id,
                                             int queue_id, int64_t min_offset);

/** @} */

/** @name TLS
 * @{ */

/**
 * @brief Serve TLS (1.2 or later) on the name server and every broker,
 *        for the connections accepted from now on (those already open
 *        stay as they are).
 * @param cert_file PEM certificate (chain) of the servers; NULL turns TLS
 *        off again (plain text for new connections).
 * @param key_file PEM private key of \p cert_file (not encrypted).
 * @param ca_file NULL, or a PEM CA file: then every client must present a
 *        certificate signed by it (mutual TLS); a client without one is
 *        refused during the handshake.
 * @returns RMQ_OK, or RMQ_ERR__SSL with the reason in \p errstr (files
 *          unreadable, key not matching).
 */
RMQ_EXPORT rmq_err_t rmq_mock_cluster_set_tls(rmq_mock_cluster_t *mc,
                                              const char *cert_file,
                                              const char *key_file,
                                              const char *ca_file,
                                              char *errstr,
                                              size_t errstr_size);

/**
 * @brief Write a throw-away test PKI into directory \p dir (created if
 *        missing), with the OpenSSL C API (no `openssl` command needed).
 *        EC P-256 keys, PEM files:
 *
 * | file | what |
 * | --- | --- |
 * | ca.pem | the test CA (trust this: tls.client.trustCertPath) |
 * | server.pem, server.key | CN localhost, SAN DNS:localhost and IP:127.0.0.1, signed by ca.pem |
 * | client.pem, client.key | a client certificate (clientAuth) signed by ca.pem |
 * | client-enc.key | client.key encrypted (PKCS#8, AES-256) with the password `rocketmq` |
 * | expired.pem, expired.key | as server.pem but expired yesterday |
 * | wronghost.pem, wronghost.key | signed by ca.pem for wrong.example.com / 192.0.2.1 only |
 * | other-ca.pem | a second, unrelated CA |
 * | other-server.pem, other-server.key | as server.pem but signed by other-ca.pem |
 *
 * For tests and examples only: the CA key is not kept.
 * @returns RMQ_OK, or RMQ_ERR__SSL with the reason in \p errstr.
 */
RMQ_EXPORT rmq_err_t rmq_mock_tls_generate(const char *dir, char *errstr,
                                           size_t errstr_size);

/** @} */

/** @name Fault injection
 * @{ */

/**
 * @brief The next \p cnt requests with \p request_code that reach broker
 *        \p broker_id (-1: any broker; -2: the name server) are answered
 *        with the given codes, one per request, in order (rmq_err_t values
 *        as ints: broker response codes such as RMQ_ERR_SYSTEM_BUSY).
 *        RMQ_ERR__TRANSPORT closes the connection instead of answering;
 *        RMQ_ERR__TIMED_OUT swallows the request (no answer ever).
 *
 * An injected code replaces the request's processing, and the answer
 * carries the response header the Java client decodes for that request
 * and code, so a client takes the injected status's real path:
 * - RMQ_OK (SUCCESS) lets the request through: it is answered as without
 *   injection (a placeholder in a sequence).
 * - PULL_MESSAGE with PULL_NOT_FOUND, PULL_RETRY_IMMEDIATELY or
 *   PULL_OFFSET_MOVED: not processed; the answer has the queue's
 *   minOffset/maxOffset, suggestWhichBrokerId 0 and nextBeginOffset = the
 *   requested offset (for PULL_OFFSET_MOVED clamped into [min, max], as
 *   the broker would suggest).
 * - PULL_MESSAGE with RMQ_ERR__BAD_MSG (a test hook, no broker answers
 *   so): not processed; a FOUND (SUCCESS) answer whose body is a
 *   truncated stored message (its totalSize runs past the body), with
 *   the queue's minOffset/maxOffset and nextBeginOffset = the queue's max
 *   offset (at least the requested offset), so a client that trusted it
 *   would skip the queue's messages.
 * - A send or reply (codes 10, 310, 320, 324, 325) with
 *   FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE: the
 *   message is processed and stored, and a successful answer (with its
 *   SendMessageResponseHeader) gets the injected code.
 * - Any other code: not processed; the answer has that code, the remark
 *   "[mock] injected NAME" and no header.
 */
RMQ_EXPORT void rmq_mock_push_request_errors(rmq_mock_cluster_t *mc,
                                             int broker_id, int request_code,
                                             size_t cnt, ...);

/** @brief Array form of rmq_mock_push_request_errors(). */
RMQ_EXPORT void rmq_mock_push_request_errors_array(rmq_mock_cluster_t *mc,
                                                   int broker_id,
                                                   int request_code,
                                                   size_t cnt,
                                                   const int *errors);

/** @brief Drop every pending injected error. */
RMQ_EXPORT void rmq_mock_clear_request_errors(rmq_mock_cluster_t *mc);

/** @brief Delay every response of broker \p broker_id (-2: the name
 *         server) by \p rtt_ms (0 = none). */
RMQ_EXPORT rmq_err_t rmq_mock_broker_set_rtt(rmq_mock_cluster_t *mc,
                                             int broker_id, int rtt_ms);

/**
 * @brief Stop broker \p broker_id: close its listener and connections. It
 *        stays in the name server's routes (as a real name server keeps a
 *        dead broker until its registration expires) unless
 *        rmq_mock_broker_set_registered() removes it. While down it
 *        delivers no delayed message and runs no transaction check. Its
 *        messages, consumer offsets, delayed and half messages are kept;
 *        its queue locks are lost (a real broker keeps them in memory).
 */
RMQ_EXPORT rmq_err_t rmq_mock_broker_set_down(rmq_mock_cluster_t *mc,
                                              int broker_id);
/** @brief Restart a stopped broker on the same port with its data;
 *         overdue delayed messages are delivered at once and transaction
 *         checks resume. */
RMQ_EXPORT rmq_err_t rmq_mock_broker_set_up(rmq_mock_cluster_t *mc,
                                            int broker_id);
/** @brief Remove (0) or restore (1) a broker in the name server's routes. */
RMQ_EXPORT rmq_err_t rmq_mock_broker_set_registered(rmq_mock_cluster_t *mc,
                                                    int broker_id,
                                                    int registered);

/** @brief Close every client connection to broker \p broker_id (-1: all
 *         brokers, -2: the name server, -3: everything). */
RMQ_EXPORT void rmq_mock_close_connections(rmq_mock_cluster_t *mc,
                                           int broker_id);

/** @brief Send NOTIFY_CONSUMER_IDS_CHANGED to every client of \p group. */
RMQ_EXPORT rmq_err_t rmq_mock_group_notify_ids_changed(rmq_mock_cluster_t *mc,
                                                       const char *group);

/**
 * @brief Reset \p group's offsets on \p topic as `mqadmin resetOffsetByTime`
 *        does: an INVOKE_BROKER_TO_RESET_OFFSET to each registered broker
 *        holding the topic, in broker order, stopping at the first failure.
 *
 * Each broker (Broker2Client#resetOffset) takes, for every write queue,
 * the offset of the message stored at \p timestamp_ms or nearest to it
 * (SEARCH_OFFSET_BY_TIMESTAMP's answer; -1 means the queue's max offset)
 * and keeps the group's committed offset instead when that is lower and
 * \p force is 0; then it sends RESET_CONSUMER_CLIENT_OFFSET (oneway) with
 * those offsets to every client of the group. As on a 4.9.8 broker the
 * committed offsets are not changed here: the clients commit the new
 * offsets themselves.
 *
 * @returns RMQ_OK; RMQ_ERR_TOPIC_NOT_EXIST if no registered broker has the
 *          topic; RMQ_ERR_SYSTEM_ERROR if the group has no committed
 *          offset for a queue of the topic or a client is older than
 *          V3_0_7_SNAPSHOT; RMQ_ERR_CONSUMER_NOT_ONLINE if the group has
 *          no client on a broker; RMQ_ERR__TRANSPORT if a broker holding
 *          the topic is down.
 */
RMQ_EXPORT rmq_err_t rmq_mock_group_reset_offset(rmq_mock_cluster_t *mc,
                                                 const char *group,
                                                 const char *topic,
                                                 int64_t timestamp_ms,
                                                 int force);

/** @} */

/** @name Inspection
 * @{ */

/** @brief Start counting requests per code (counts start at 0). */
RMQ_EXPORT void rmq_mock_start_request_tracking(rmq_mock_cluster_t *mc);
/** @brief Stop counting and forget the counts. */
RMQ_EXPORT void rmq_mock_stop_request_tracking(rmq_mock_cluster_t *mc);
/** @returns Requests with \p request_code received since tracking started,
 *           on broker \p broker_id (-1: all brokers, -2: the name server,
 *           -3: everything). */
RMQ_EXPORT size_t rmq_mock_request_count(rmq_mock_cluster_t *mc,
                                         int broker_id, int request_code);

/** @returns The max offset (number of messages ever stored) of a queue, or
 *           -1 if the topic or queue does not exist on that broker. */
RMQ_EXPORT int64_t rmq_mock_queue_max_offset(rmq_mock_cluster_t *mc,
                                             const char *topic, int broker_id,
                                             int queue_id);

/** @returns Messages stored for \p topic over every broker and queue. */
RMQ_EXPORT int64_t rmq_mock_topic_message_count(rmq_mock_cluster_t *mc,
                                                const char *topic);

/** A stored message, as a consumer would receive it. */
typedef struct rmq_mock_msg_s rmq_mock_msg_t;

/**
 * @brief Copy out the message at \p offset of a queue.
 * @returns RMQ_OK (free with rmq_mock_msg_destroy()) or RMQ_ERR__NOT_FOUND.
 */
RMQ_EXPORT rmq_err_t rmq_mock_message_get(rmq_mock_cluster_t *mc,
                                          const char *topic, int broker_id,
                                          int queue_id, int64_t offset,
                                          rmq_mock_msg_t **msgp);
/** @brief Free a message from rmq_mock_message_get(). NULL-safe. */
RMQ_EXPORT void rmq_mock_msg_destroy(rmq_mock_msg_t *msg);
/** @returns The topic. */
RMQ_EXPORT const char *rmq_mock_msg_topic(const rmq_mock_msg_t *msg);
/** @returns The body, decompressed if it was sent compressed. */
RMQ_EXPORT const void *rmq_mock_msg_body(const rmq_mock_msg_t *msg,
                                         size_t *lenp);
/** @returns A property (TAGS, KEYS, UNIQ_KEY, user properties...) or NULL. */
RMQ_EXPORT const char *rmq_mock_msg_property(const rmq_mock_msg_t *msg,
                                             const char *name);
/** @returns The offset message id the broker assigned. */
RMQ_EXPORT const char *rmq_mock_msg_offset_msg_id(const rmq_mock_msg_t *msg);
/** @returns The queue id. */
RMQ_EXPORT int rmq_mock_msg_queue_id(const rmq_mock_msg_t *msg);
/** @returns The queue offset. */
RMQ_EXPORT int64_t rmq_mock_msg_queue_offset(const rmq_mock_msg_t *msg);
/** @returns The flag set by the producer. */
RMQ_EXPORT int32_t rmq_mock_msg_flag(const rmq_mock_msg_t *msg);
/** @returns The sysFlag as sent (compression, transaction bits). */
RMQ_EXPORT int32_t rmq_mock_msg_sys_flag(const rmq_mock_msg_t *msg);
/** @returns The reconsume times. */
RMQ_EXPORT int32_t rmq_mock_msg_reconsume_times(const rmq_mock_msg_t *msg);
/** @returns The born timestamp (ms). */
RMQ_EXPORT int64_t rmq_mock_msg_born_timestamp(const rmq_mock_msg_t *msg);
/** @returns The store timestamp (ms). */
RMQ_EXPORT int64_t rmq_mock_msg_store_timestamp(const rmq_mock_msg_t *msg);

/** @returns The committed offset of \p group on a queue, or -1. */
RMQ_EXPORT int64_t rmq_mock_committed_offset(rmq_mock_cluster_t *mc,
                                             const char *group,
                                             const char *topic, int broker_id,
                                             int queue_id);

/**
 * @brief The client ids of \p group's live members on \p broker_id (-1:
 *        any), as GET_CONSUMER_LIST_BY_GROUP would answer; producer groups
 *        too.
 * @param idsp Receives an array of \p *cntp strings; free it with
 *             rmq_mock_strings_destroy().
 */
RMQ_EXPORT rmq_err_t rmq_mock_group_members(rmq_mock_cluster_t *mc,
                                            const char *group, int broker_id,
                                            char ***idsp, size_t *cntp);
/** @brief Free an array of strings from the mock. */
RMQ_EXPORT void rmq_mock_strings_destroy(char **v, size_t cnt);

/** @returns 1 and the owner's client id in \p dst if a live lock of
 *           \p group holds the queue, else 0. */
RMQ_EXPORT int rmq_mock_queue_lock_owner(rmq_mock_cluster_t *mc,
                                         const char *group, const char *topic,
                                         int broker_id, int queue_id,
                                         char *dst, size_t dst_size);

/** @returns Half (prepared) messages not yet committed or rolled back. */
RMQ_EXPORT int64_t rmq_mock_half_message_count(rmq_mock_cluster_t *mc);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RMQ_MOCK_H */
