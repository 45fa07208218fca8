/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Push consumer with an orderly listener (Java: DefaultMQPushConsumer
 * with a MessageListenerOrderly): the messages of one queue are handed
 * over one call at a time, in queue order, and the consumer holds a lock
 * on each of its queues at the broker, so no other member of the group
 * consumes them meanwhile. Messages sent with the same selector key (see
 * producer_orderly) share a queue and are printed in the order sent.
 *
 *   push_consumer_orderly [-n namesrv] [-t topic] [-g group] [-e expression]
 *                         [-c count] [--from first|last|yyyyMMddHHmmss]
 *                         [-X name=value]...
 */
#include <stdio.h>

#include <rocketmq/rocketmq.h>

#include "consumer_common.h"

static rmq_consume_orderly_status_t
on_messages(rmq_push_consumer_t *pcons, const rmq_message_ext_t *const *msgs,
            size_t msg_cnt, rmq_consume_orderly_context_t *ctx, void *opaque) {
        (void)pcons;
        (void)ctx;
        (void)opaque;
        /* Not all printed: -c COUNT is reached. Suspending keeps the
         * messages of this call in the queue, uncommitted, so the group
         * gets them again, in order, after this consumer has left. */
        if (cc_print_msgs(msgs, msg_cnt) < msg_cnt)
                return RMQ_ORDERLY_SUSPEND_CURRENT_QUEUE_A_MOMENT;
        return RMQ_ORDERLY_SUCCESS;
}

int main(int argc, char **argv) {
        cc_opts_t o = {
            .topic = "TopicOrder", .group = "CG_ORDERLY", .expression = "*"};
        char errstr[512];
        rmq_conf_t *conf;
        rmq_push_consumer_t *pcons;
        rmq_err_t err;
        int sig;

        if (!(conf = cc_setup(argc, argv, &o,
                              "Push consumer, orderly listener (Java "
                              "MessageListenerOrderly).")))
                return 1;
        if (rmq_push_consumer_new(&pcons, conf, errstr, sizeof(errstr)))
                return cc_fail(conf, NULL, "cannot create the consumer",
                               errstr);
        rmq_conf_destroy(conf);

        if ((err = rmq_push_consumer_set_listener_orderly(pcons, on_messages,
                                                          NULL)))
                return cc_fail(NULL, pcons, "listener", rmq_err2str(err));
        if (rmq_push_consumer_subscribe(pcons, o.topic, o.expression, errstr,
                                        sizeof(errstr)) ||
            rmq_push_consumer_start(pcons, errstr, sizeof(errstr)))
                return cc_fail(NULL, pcons, "cannot start the consumer",
                               errstr);

        sig = cc_wait();
        /* waits for running listener calls, commits the offsets, unlocks
         * the queues at the brokers and leaves the group */
        rmq_push_consumer_shutdown(pcons);
        rmq_push_consumer_destroy(pcons);
        return cc_exit_status(sig);
}
