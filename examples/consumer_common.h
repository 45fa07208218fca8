/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the consumer examples share (push_consumer, push_consumer_orderly,
 * push_consumer_broadcast, and through lite_pull_common.h
 * lite_pull_subscribe and lite_pull_assign): their options, the
 * configuration built from them, the line printed per message, the way
 * they stop and the way they report a failure.
 *
 * Options (every example):
 *
 *   -n NAMESRV        name server(s), host:port[;host:port]; default
 *                     $NAMESRV_ADDR, as in Java
 *   -t TOPIC          topic to subscribe to
 *   -g GROUP          consumer group
 *   -e EXPRESSION     tag expression: "*" (default) or "TagA || TagB"
 *   -c COUNT          exit 0 after COUNT messages; without it, run until
 *                     SIGINT or SIGTERM, then shut down cleanly
 *   --from WHERE      where a queue without a committed offset starts:
 *                     first, last (Java's default) or a time
 *                     yyyyMMddHHmmss (local time). A 4.9 broker (and the
 *                     mock) answers offset 0 for a new group on a queue
 *                     that still starts at offset 0 with its messages in
 *                     memory, so young queues are read from the start
 *                     whatever WHERE says, as Java consumers see too.
 *                     (lite_pull_assign seeks every queue to WHERE
 *                     instead, and also takes a time in ms since the
 *                     epoch: cc_opts_t.from_millis.)
 *   -X NAME=VALUE     any other configuration property
 *                     (docs/CONFIGURATION.md); repeatable
 *   --stats MS        print the statistics document (docs/STATISTICS.md)
 *                     every MS milliseconds to stderr, one line each:
 *                     "stats: {...}"
 *
 * One line per message on stdout:
 *
 *   topic queueId queueOffset msgId tags keys reconsumeTimes bodyLength body
 *
 * An empty field prints as "-". The body comes last, as text: newline,
 * carriage return and backslash are written \n, \r and \\, other control
 * bytes \xNN. The other fields are escaped the same way and their blanks
 * too (\x20: keys are separated by blanks), so a line splits on blanks.
 *
 * Stopping: listeners run on the library's consume threads, never on the
 * main thread, and the consumer must not be shut down from a listener.
 * So the listener that prints the COUNT-th line, and the SIGINT/SIGTERM
 * handler, only write a byte to a pipe; main() waits on that pipe
 * (cc_wait()) and then shuts the consumer down. The lite pull examples
 * print on the main thread, between polls, and look at the pipe before
 * each poll (cc_stopped()).
 */
#ifndef CONSUMER_COMMON_H
#define CONSUMER_COMMON_H

#include <stddef.h>

#include <rocketmq/rocketmq.h>

/** The options of a consumer example; set the defaults, then
 *  cc_setup() (or cc_parse_args()). */
typedef struct cc_opts_s {
        const char *namesrv;    /**< -n; NULL: $NAMESRV_ADDR */
        const char *topic;      /**< -t */
        const char *group;      /**< -g */
        const char *expression; /**< -e */
        long count;             /**< -c; 0: until a signal */
        const char *from_where; /**< --from as consumeFromWhere, or NULL */
        const char *timestamp;  /**< --from TIME: consumeTimestamp */
        const char *from;       /**< --from as given, or NULL */
        int from_millis;        /**< set before parsing: --from also takes
                                 *   a time in ms since the epoch (then
                                 *   from_where stays NULL) */
        const char *stats_ms;   /**< --stats: statisticsIntervalMs */
        const char *props[32];  /**< -X: name=value */
        int prop_cnt;
} cc_opts_t;

/**
 * @brief Parse the options into \p o (which holds the defaults). Prints
 *        the usage and exits on -h (0) or a usage error (2).
 * @param about One line saying what the example does.
 */
void cc_parse_args(int argc, char **argv, cc_opts_t *o, const char *about);

/**
 * @brief A configuration with namesrvAddr, consumerGroup, consumeFromWhere,
 *        consumeTimestamp, the statistics of --stats and the -X
 *        properties the options gave.
 * @returns The conf, or NULL after printing the error to stderr.
 */
rmq_conf_t *cc_conf_new(const cc_opts_t *o);

/**
 * @brief Set up the stopping: the count to stop at (0: none) and the
 *        SIGINT/SIGTERM handlers. Call before starting the consumer.
 * @returns 0, or -1 after printing the error to stderr.
 */
int cc_stop_init(long count);

/**
 * @brief What every example does before it makes its consumer:
 *        cc_parse_args(), cc_conf_new() and cc_stop_init().
 * @returns The conf (the caller destroys it), or NULL after printing the
 *          error to stderr.
 */
rmq_conf_t *cc_setup(int argc, char **argv, cc_opts_t *o, const char *about);

/**
 * @brief Print "\p what: \p why" to stderr and destroy \p conf and
 *        \p pcons (either may be NULL).
 * @returns 1, the exit status of a failed example.
 */
int cc_fail(rmq_conf_t *conf, rmq_push_consumer_t *pcons, const char *what,
            const char *why);

/**
 * @brief Print one line per message, each line written at once (listener
 *        threads run concurrently), up to the -c count over every call.
 *        Thread-safe.
 * @returns How many of the \p msg_cnt messages were printed: all of them,
 *          or the first ones once the count is reached (the others are
 *          the caller's to hand back to the library).
 */
size_t cc_print_msgs(const rmq_message_ext_t *const *msgs, size_t msg_cnt);

/**
 * @brief Wait until the count is reached or SIGINT/SIGTERM arrives.
 * @returns 0 when the count was reached, else the signal number.
 */
int cc_wait(void);

/**
 * @brief Without waiting: has the count been reached, or SIGINT/SIGTERM
 *        arrived?
 * @returns -1 if not; else what cc_wait() would return.
 */
int cc_stopped(void);

/**
 * @brief After the consumer is shut down: say on stderr how it ended.
 * @param sig What cc_wait() returned.
 * @returns The exit status: 0, or 1 when a signal came before -c COUNT
 *          messages.
 */
int cc_exit_status(int sig);

#endif /* CONSUMER_COMMON_H */
