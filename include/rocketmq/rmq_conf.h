/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rmq_conf.h
 * @brief Configuration object, the per-handle log and statistics callbacks.
 *
 * A configuration is a string-keyed property set. Property names are the
 * Java client's field names (`namesrvAddr`, `producerGroup`,
 * `sendMsgTimeout`, ...) with the Java defaults; C-only properties use dotted
 * lower case (`debug`, `test.mock.brokers`). docs/CONFIGURATION.md lists every
 * property with its default; it is generated from the same table that
 * rmq_conf_set() validates against.
 *
 * Thread safety: an rmq_conf_t is not thread-safe. Build it in one thread,
 * then only read it (every handle constructor copies it).
 */
#ifndef RMQ_CONF_H
#define RMQ_CONF_H

#include <stddef.h>

#include "rmq_err.h"
#include "rmq_export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque configuration object. */
typedef struct rmq_conf_s rmq_conf_t;

/** Log levels, numerically equal to syslog(3) levels. */
typedef enum rmq_log_level_t {
        RMQ_LOG_ERROR = 3, /**< An operation failed. */
        RMQ_LOG_WARN  = 4, /**< Something unexpected that was handled. */
        RMQ_LOG_INFO  = 6, /**< Lifecycle events (start, connect, route). */
        RMQ_LOG_DEBUG = 7  /**< Per-request detail, enabled by `debug`. */
} rmq_log_level_t;

/**
 * @brief Log callback, set per configuration (never process-wide).
 *
 * @param level     Severity.
 * @param fac       Facility, e.g. "REMOTING", "ROUTE", "PRODUCER".
 * @param client_id The Java clientId of the handle (ip\@instanceName), or
 *                  an empty string before one is known.
 * @param msg       The message, NUL-terminated; valid during the call.
 * @param opaque    The pointer given to rmq_conf_set_opaque().
 *
 * @remark Called from any library thread, the I/O thread included. It must
 *         not block and must not call rmq_* functions.
 */
typedef void(rmq_log_cb_t)(rmq_log_level_t level, const char *fac,
                           const char *client_id, const char *msg,
                           void *opaque);

/**
 * @brief Create a configuration holding the Java defaults.
 *
 * `namesrvAddr` starts from the NAMESRV_ADDR environment variable when set,
 * as in Java. The log callback defaults to printing WARN and above to stderr.
 *
 * @returns A new object the caller destroys with rmq_conf_destroy(), or NULL
 *          when out of memory.
 * @remark Thread-safe, never blocks.
 */
RMQ_EXPORT rmq_conf_t *rmq_conf_new(void);

/**
 * @brief Copy \p conf, including its opaque and log callback.
 * @returns A new object the caller destroys, or NULL when out of memory.
 * @remark \p conf must not be modified concurrently.
 */
RMQ_EXPORT rmq_conf_t *rmq_conf_dup(const rmq_conf_t *conf);

/** @brief Free \p conf. NULL-safe. */
RMQ_EXPORT void rmq_conf_destroy(rmq_conf_t *conf);

/**
 * @brief Set property \p name to \p value (always given as a string).
 *
 * Integers are decimal, booleans "true"/"false", enumerations their Java
 * names. A NULL \p value resets the property to its default.
 *
 * @returns RMQ_OK; RMQ_ERR__CONF_UNKNOWN for an unknown name;
 *          RMQ_ERR__CONF_INVALID for a value out of range or of the wrong
 *          type, or for a Java property this client does not support (the
 *          reason is written to \p errstr); RMQ_ERR__NOMEM.
 * @remark Not thread-safe (see the file comment). \p errstr may be NULL; it
 *         is written only on failure and is always NUL-terminated.
 */
RMQ_EXPORT rmq_err_t rmq_conf_set(rmq_conf_t *conf, const char *name,
                                  const char *value, char *errstr,
                                  size_t errstr_size);

/**
 * @brief Read property \p name as a string.
 *
 * If \p dest is NULL or too small, `*dest_size` receives the size needed
 * (including the terminating NUL) and RMQ_ERR__INVALID_ARG is returned for a
 * too small buffer (RMQ_OK when \p dest is NULL).
 *
 * A secret property (`secretKey`) reads as `[redacted]` when set (and ""
 * when not): its value never leaves the library.
 *
 * @returns RMQ_OK, RMQ_ERR__CONF_UNKNOWN or RMQ_ERR__INVALID_ARG.
 */
RMQ_EXPORT rmq_err_t rmq_conf_get(const rmq_conf_t *conf, const char *name,
                                  char *dest, size_t *dest_size);

/** @brief Opaque pointer handed to the log callback. */
RMQ_EXPORT void rmq_conf_set_opaque(rmq_conf_t *conf, void *opaque);

/**
 * @brief Set the log callback; NULL silences the library.
 * @remark The level filter is the `log.level` property (default 4, WARN);
 *         `debug` enables DEBUG for chosen facilities.
 */
RMQ_EXPORT void rmq_conf_set_log_cb(rmq_conf_t *conf, rmq_log_cb_t *log_cb);

/**
 * @brief Statistics callback (librdkafka's stats_cb idea), set per
 *        configuration.
 *
 * Every `statisticsIntervalMs` milliseconds (0, the default, turns it off)
 * each started producer, push consumer and lite pull consumer made from
 * the configuration calls it with one JSON document describing the handle
 * and its client instance; docs/STATISTICS.md describes every field.
 *
 * @param json     The document, NUL-terminated; valid during the call only.
 * @param json_len strlen(json).
 * @param opaque   The pointer given to rmq_conf_set_stats_cb().
 *
 * @remark Called on a library thread (the client instance's scheduler,
 *         never the I/O thread) with no library lock held, one call at a
 *         time per handle. It may call rmq_* functions except the shutdown
 *         or destroy of a handle (refused there with
 *         RMQ_ERR__WOULD_DEADLOCK); a slow callback delays the instance's
 *         other periodic tasks. Never called again once the handle's
 *         shutdown has returned.
 */
typedef void(rmq_stats_cb_t)(const char *json, size_t json_len, void *opaque);

/**
 * @brief Set the statistics callback and its opaque; NULL turns the
 *        statistics off whatever `statisticsIntervalMs` says.
 * @remark Not thread-safe (see the file comment); copied by
 *         rmq_conf_dup() and by every handle constructor.
 */
RMQ_EXPORT void rmq_conf_set_stats_cb(rmq_conf_t *conf,
                                      rmq_stats_cb_t *stats_cb, void *opaque);

/**
 * @brief Describe the i-th known property (for tools and generated docs).
 *
 * @param idx       0 .. n-1.
 * @param namep     Receives the property name.
 * @param typep     Receives a type word: "string", "integer", "boolean",
 *                  "unsupported", or for an enumeration its values
 *                  separated by '|' (e.g. "JSON|ROCKETMQ").
 * @param defaultp  Receives the default value as a string ("" if none).
 * @param docp      Receives a one-paragraph description.
 * @returns 1 if \p idx names a property, 0 past the end. Out-pointers may
 *          be NULL; the strings are static.
 * @remark Thread-safe.
 */
RMQ_EXPORT int rmq_conf_property_info(int idx, const char **namep,
                                      const char **typep,
                                      const char **defaultp,
                                      const char **docp);

#ifdef __cplusplus
}
#endif

#endif /* RMQ_CONF_H */
