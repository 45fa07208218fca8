/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Push consumer with a concurrent listener (Java: DefaultMQPushConsumer
 * with a MessageListenerConcurrently).
 *
 *   push_consumer [-n namesrv] [-t topic] [-g group] [-e expression]
 *                 [-c count] [--from first|last|yyyyMMddHHmmss]
 *                 [-X name=value]...
 *
 * The listener runs on the consumer's worker threads (consumeThreadMin,
 * 20 by default), several calls at once; it prints one line per message
 * (consumer_common.h) and returns RMQ_CONSUME_SUCCESS. A failing listener
 * would return RMQ_RECONSUME_LATER: the broker then delivers the message
 * again later, through the group's retry topic.
 */
#include <stdio.h>

#include <rocketmq/rocketmq.h>

#include "consumer_common.h"

static rmq_consume_status_t
on_messages(rmq_push_consumer_t *pcons, const rmq_message_ext_t *const *msgs,
            size_t msg_cnt, rmq_consume_context_t *ctx, void *opaque) {
        size_t printed = cc_print_msgs(msgs, msg_cnt);
        (void)pcons;
        (void)opaque;
        if (printed < msg_cnt) {
                /* -c COUNT reached: only the first ones count as consumed
                 * (Java ackIndex); the broker delivers the others again. */
                rmq_consume_context_set_ack_index(ctx, (int)printed - 1);
        }
        return RMQ_CONSUME_SUCCESS;
}

int main(int argc, char **argv) {
        cc_opts_t o = {
            .topic = "TopicTest", .group = "CG_PUSH", .expression = "*"};
        char errstr[512];
        rmq_conf_t *conf;
        rmq_push_consumer_t *pcons;
        rmq_err_t err;
        int sig;

        if (!(conf = cc_setup(argc, argv, &o,
                              "Push consumer, concurrent listener (Java "
                              "MessageListenerConcurrently).")))
                return 1;
        if (rmq_push_consumer_new(&pcons, conf, errstr, sizeof(errstr)))
                return cc_fail(conf, NULL, "cannot create the consumer",
                               errstr);
        rmq_conf_destroy(conf); /* the consumer keeps its own copy */

        if ((err = rmq_push_consumer_set_listener_concurrently(
                 pcons, on_messages, NULL)))
                return cc_fail(NULL, pcons, "listener", rmq_err2str(err));
        if (rmq_push_consumer_subscribe(pcons, o.topic, o.expression, errstr,
                                        sizeof(errstr)) ||
            rmq_push_consumer_start(pcons, errstr, sizeof(errstr)))
                return cc_fail(NULL, pcons, "cannot start the consumer",
                               errstr);

        sig = cc_wait(); /* the listener prints meanwhile */
        /* Never from the listener: waits for running listener calls,
         * commits the offsets and leaves the group. */
        rmq_push_consumer_shutdown(pcons);
        rmq_push_consumer_destroy(pcons);
        return cc_exit_status(sig);
}
