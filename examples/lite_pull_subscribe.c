/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lite pull consumer, subscribe mode (Java: DefaultLitePullConsumer with
 * subscribe() and a poll() loop, as LitePullConsumerSubscribe).
 *
 *   lite_pull_subscribe [-n namesrv] [-t topic] [-g group] [-e expression]
 *                       [-c count] [--from first|last|yyyyMMddHHmmss]
 *                       [-X name=value]...
 *
 * The group's rebalance gives this consumer its queues, as for a push
 * consumer; the consumer pulls them in the background and the main thread
 * takes the messages with rmq_lite_pull_consumer_poll(), one pull's
 * messages (of one queue) at a time, and prints one line per message
 * (consumer_common.h). autoCommit (the default) commits what poll()
 * returned every autoCommitIntervalMillis (5 s) and at shutdown.
 */
#include <stdio.h>

#include <rocketmq/rocketmq.h>

#include "lite_pull_common.h"

/* poll() moved the queue's consumed offset past the whole batch. When -c
 * COUNT is reached inside it, seek the queue back to the first message not
 * printed, so that autoCommit (at the latest at shutdown) does not commit
 * it and the group receives it again. */
static void on_batch(rmq_lite_pull_consumer_t *lpc,
                     rmq_message_ext_t *const *msgs, size_t cnt,
                     size_t printed) {
        rmq_message_queue_t *mq;
        char errstr[512] = "";
        if (printed == cnt)
                return;
        mq = cc_lite_queue_of(msgs[printed]);
        if (rmq_lite_pull_consumer_seek(
                lpc, mq, rmq_message_ext_queue_offset(msgs[printed]), errstr,
                sizeof(errstr)))
                fprintf(stderr, "seek back: %s\n", errstr);
        rmq_message_queue_destroy(mq);
}

int main(int argc, char **argv) {
        cc_opts_t o = {.topic      = "TopicTest",
                       .group      = "CG_LITE_SUBSCRIBE",
                       .expression = "*"};
        char errstr[512];
        rmq_lite_pull_consumer_t *lpc;
        int sig;

        if (!(lpc = cc_lite_setup(argc, argv, &o,
                                  "Lite pull consumer, subscribe mode, "
                                  "autoCommit (Java DefaultLitePullConsumer "
                                  "subscribe + poll).",
                                  NULL)))
                return 1;
        if (rmq_lite_pull_consumer_subscribe(lpc, o.topic, o.expression, errstr,
                                             sizeof(errstr)) ||
            rmq_lite_pull_consumer_start(lpc, errstr, sizeof(errstr)))
                return cc_lite_fail(lpc, "cannot start the consumer", errstr);
        fprintf(stderr, "polling %s (group %s)\n", o.topic, o.group);

        sig = cc_lite_poll_loop(lpc, on_batch);
        /* Wakes nothing here (this thread is the only poller), commits
         * the consumed offsets (autoCommit) and leaves the group. */
        rmq_lite_pull_consumer_shutdown(lpc);
        rmq_lite_pull_consumer_destroy(lpc);
        return sig < 0 ? 1 : cc_exit_status(sig);
}
