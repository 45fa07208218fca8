/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the two lite pull consumer examples share (lite_pull_subscribe,
 * lite_pull_assign), on top of consumer_common.h (same options, same line
 * per message, same stopping): making the consumer, the poll loop and the
 * queue a message came from.
 *
 * The poll loop runs on the main thread: poll (at most CC_LITE_POLL_MS,
 * so that a signal is seen soon), print, hand the batch to the example's
 * callback (which commits, or keeps what was not printed from being
 * committed), release the batch, and stop once cc_stopped() says so.
 */
#ifndef LITE_PULL_COMMON_H
#define LITE_PULL_COMMON_H

#include <stddef.h>

#include <rocketmq/rocketmq.h>

#include "consumer_common.h"

/** How long one poll waits for messages, in ms: the longest a signal
 *  waits to be seen (Java's default pollTimeoutMillis is 5000). */
#define CC_LITE_POLL_MS 500

/**
 * @brief cc_setup(), then `autoCommit` = \p auto_commit unless NULL (it
 *        wins over -X), then the consumer.
 * @returns The consumer (not started), or NULL after printing the error.
 */
rmq_lite_pull_consumer_t *cc_lite_setup(int argc, char **argv, cc_opts_t *o,
                                        const char *about,
                                        const char *auto_commit);

/**
 * @brief Print "\p what: \p why" to stderr and destroy \p lpc.
 * @returns 1, the exit status of a failed example.
 */
int cc_lite_fail(rmq_lite_pull_consumer_t *lpc, const char *what,
                 const char *why);

/**
 * @brief Called after each poll that returned messages, before they are
 *        released. All \p cnt messages come from one queue, in queue
 *        order; the first \p printed of them were printed. Fewer than
 *        \p cnt once -c COUNT is reached: the others were not consumed,
 *        and the callback keeps them from being committed.
 */
typedef void(cc_lite_batch_cb_t)(rmq_lite_pull_consumer_t *lpc,
                                 rmq_message_ext_t *const *msgs, size_t cnt,
                                 size_t printed);

/**
 * @brief Poll and print until the count is reached or a signal arrives.
 * @returns What cc_wait() returns, or -1 after printing a poll error.
 */
int cc_lite_poll_loop(rmq_lite_pull_consumer_t *lpc,
                      cc_lite_batch_cb_t *on_batch);

/**
 * @brief The queue \p mx was pulled from; the caller destroys it with
 *        rmq_message_queue_destroy().
 */
rmq_message_queue_t *cc_lite_queue_of(const rmq_message_ext_t *mx);

#endif /* LITE_PULL_COMMON_H */
