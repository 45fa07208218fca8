/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rmq_err.h
 * @brief One status type for every fallible call.
 *
 * Local (client-side) errors are negative and their names start with
 * `RMQ_ERR__`. Broker and name server results are Java's `ResponseCode` /
 * `RemotingSysResponseCode` values verbatim, so `RMQ_OK == 0 == SUCCESS` and a
 * broker code seen on the wire maps one to one onto an `rmq_err_t`.
 * Values are never renumbered or reused.
 */
#ifndef RMQ_ERR_H
#define RMQ_ERR_H

#include "rmq_export.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The error table as an X-macro: XX(name, value, description).
 * It yields the enum, rmq_err2str() and rmq_err2name().
 */
#define RMQ_ERR_MAP(XX)                                                        \
        XX(_FAIL, -200, "Local: unspecified failure")                          \
        XX(_TIMED_OUT, -199, "Local: timed out")                               \
        XX(_TRANSPORT, -198, "Local: broker transport failure")                \
        XX(_NO_ROUTE, -197, "Local: no route info for topic")                  \
        XX(_INVALID_ARG, -196, "Local: invalid argument")                      \
        XX(_STATE, -195, "Local: not allowed in this state")                   \
        XX(_BAD_MSG, -194, "Local: malformed frame or message")                \
        XX(_MSG_TOO_LARGE, -193, "Local: message exceeds maxMessageSize")      \
        XX(_QUEUE_FULL, -192, "Local: internal queue full")                    \
        XX(_DESTROY, -191, "Local: handle is being destroyed")                 \
        XX(_WOULD_DEADLOCK, -190, "Local: blocking call on I/O thread")        \
        XX(_CONF_UNKNOWN, -189, "Local: unknown configuration property")       \
        XX(_CONF_INVALID, -188, "Local: invalid configuration value")          \
        XX(_SSL, -187, "Local: TLS failure")                                   \
        XX(_NOMEM, -186, "Local: out of memory")                               \
        XX(_CONNECT, -185, "Local: connection to remote host failed")          \
        XX(_TOO_MANY_REQUESTS, -184,                                           \
           "Local: too many requests in flight")                               \
        XX(_NO_NAMESRV, -183, "Local: no name server address")                 \
        XX(_NOT_SUPPORTED, -182, "Local: not supported by this client")       \
        XX(_NOT_FOUND, -181, "Local: not found")                               \
        XX(_NO_BROKER, -180, "Local: broker address not found")                \
        XX(SYSTEM_ERROR, 1, "Broker: system error")                            \
        XX(SYSTEM_BUSY, 2, "Broker: system busy")                              \
        XX(REQUEST_CODE_NOT_SUPPORTED, 3, "Broker: request code not supported") \
        XX(TRANSACTION_FAILED, 4, "Broker: transaction failed")                \
        XX(FLUSH_DISK_TIMEOUT, 10, "Broker: flush disk timeout")               \
        XX(SLAVE_NOT_AVAILABLE, 11, "Broker: slave not available")             \
        XX(FLUSH_SLAVE_TIMEOUT, 12, "Broker: flush slave timeout")             \
        XX(MESSAGE_ILLEGAL, 13, "Broker: message illegal")                     \
        XX(SERVICE_NOT_AVAILABLE, 14, "Broker: service not available")         \
        XX(VERSION_NOT_SUPPORTED, 15, "Broker: version not supported")         \
        XX(NO_PERMISSION, 16, "Broker: no permission")                         \
        XX(TOPIC_NOT_EXIST, 17, "Broker: topic does not exist")                \
        XX(TOPIC_EXIST_ALREADY, 18, "Broker: topic exists already")            \
        XX(PULL_NOT_FOUND, 19, "Broker: no new message")                       \
        XX(PULL_RETRY_IMMEDIATELY, 20, "Broker: pull retry immediately")       \
        XX(PULL_OFFSET_MOVED, 21, "Broker: pull offset moved")                 \
        XX(QUERY_NOT_FOUND, 22, "Broker: query not found")                     \
        XX(SUBSCRIPTION_PARSE_FAILED, 23, "Broker: subscription parse failed") \
        XX(SUBSCRIPTION_NOT_EXIST, 24, "Broker: subscription does not exist")  \
        XX(SUBSCRIPTION_NOT_LATEST, 25, "Broker: subscription not latest")     \
        XX(SUBSCRIPTION_GROUP_NOT_EXIST, 26,                                   \
           "Broker: subscription group does not exist")                        \
        XX(FILTER_DATA_NOT_EXIST, 27, "Broker: filter data does not exist")    \
        XX(FILTER_DATA_NOT_LATEST, 28, "Broker: filter data not latest")       \
        XX(TRANSACTION_SHOULD_COMMIT, 200, "Broker: transaction should commit") \
        XX(TRANSACTION_SHOULD_ROLLBACK, 201,                                   \
           "Broker: transaction should roll back")                             \
        XX(TRANSACTION_STATE_UNKNOW, 202, "Broker: transaction state unknown") \
        XX(TRANSACTION_STATE_GROUP_WRONG, 203,                                 \
           "Broker: transaction state group wrong")                            \
        XX(NO_BUYER_ID, 204, "Broker: no buyer id")                            \
        XX(NOT_IN_CURRENT_UNIT, 205, "Broker: not in current unit")            \
        XX(CONSUMER_NOT_ONLINE, 206, "Broker: consumer not online")            \
        XX(CONSUME_MSG_TIMEOUT, 207, "Broker: consume message timeout")        \
        XX(NO_MESSAGE, 208, "Broker: no message")                              \
        XX(UPDATE_AND_CREATE_ACL_CONFIG_FAILED, 209,                           \
           "Broker: update and create ACL config failed")                      \
        XX(DELETE_ACL_CONFIG_FAILED, 210, "Broker: delete ACL config failed")  \
        XX(UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED, 211,                       \
           "Broker: update global white addresses config failed")              \
        XX(FLOW_CONTROL, 215, "Broker: flow control")                          \
        XX(GO_AWAY, 1500, "Broker: go away")

/** Status of every fallible call. */
typedef enum rmq_err_t {
        RMQ_OK = 0, /**< Success (Java ResponseCode.SUCCESS). */
#define RMQ_ERR_XX(name, code, desc) RMQ_ERR_##name = (code),
        RMQ_ERR_MAP(RMQ_ERR_XX)
#undef RMQ_ERR_XX
        /** Not an error: keeps any broker code representable, also in C++. */
        RMQ_ERR__RANGE_MAX = 0x7fff
} rmq_err_t;

/**
 * @brief Human-readable description of \p err.
 * @returns A static string, never NULL; unknown codes give a generic text
 *          that includes no number (use rmq_err2name() for that).
 * @remark Thread-safe, never blocks.
 */
RMQ_EXPORT const char *rmq_err2str(rmq_err_t err);

/**
 * @brief Symbolic name of \p err without the RMQ_ERR_ prefix, e.g.
 *        "TOPIC_NOT_EXIST" or "_TIMED_OUT"; "OK" for RMQ_OK.
 * @returns A static string, never NULL ("UNKNOWN" for codes not in the table).
 * @remark Thread-safe, never blocks.
 */
RMQ_EXPORT const char *rmq_err2name(rmq_err_t err);

#ifdef __cplusplus
}
#endif

#endif /* RMQ_ERR_H */
