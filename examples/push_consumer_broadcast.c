/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Broadcasting push consumer (Java: setMessageModel(BROADCASTING)): every
 * consumer of the group receives every message of the topic, instead of
 * the group sharing the queues. Start it twice with the same group and
 * both print every message.
 *
 *   push_consumer_broadcast [-n namesrv] [-t topic] [-g group]
 *                           [-e expression] [-c count]
 *                           [--from first|last|yyyyMMddHHmmss]
 *                           [-X name=value]...
 *
 * Offsets are kept in a local file per consumer,
 * <rocketmq.client.localOffsetStoreDir>/<clientId>/<group>/offsets.json
 * (default directory $HOME/.rocketmq_offsets), not on the broker. The
 * clientId holds the process id unless instanceName is set (-X
 * instanceName=NAME), so only a consumer with a fixed instanceName
 * continues where its previous run stopped.
 */
#include <stdio.h>

#include <rocketmq/rocketmq.h>

#include "consumer_common.h"

static rmq_consume_status_t
on_messages(rmq_push_consumer_t *pcons, const rmq_message_ext_t *const *msgs,
            size_t msg_cnt, rmq_consume_context_t *ctx, void *opaque) {
        (void)pcons;
        (void)ctx;
        (void)opaque;
        /* Past -c COUNT the rest is not printed, and still acknowledged:
         * broadcasting has no retry (Java drops what a broadcasting
         * listener fails, with a warning). */
        cc_print_msgs(msgs, msg_cnt);
        return RMQ_CONSUME_SUCCESS;
}

int main(int argc, char **argv) {
        cc_opts_t o = {
            .topic = "TopicTest", .group = "CG_BROADCAST", .expression = "*"};
        char errstr[512];
        rmq_conf_t *conf;
        rmq_push_consumer_t *pcons;
        rmq_err_t err;
        int sig;

        if (!(conf = cc_setup(argc, argv, &o,
                              "Broadcasting push consumer (Java "
                              "MessageModel.BROADCASTING).")))
                return 1;
        if (rmq_conf_set(conf, "messageModel", "BROADCASTING", errstr,
                         sizeof(errstr)) ||
            rmq_push_consumer_new(&pcons, conf, errstr, sizeof(errstr)))
                return cc_fail(conf, NULL, "cannot create the consumer",
                               errstr);
        rmq_conf_destroy(conf);

        if ((err = rmq_push_consumer_set_listener_concurrently(
                 pcons, on_messages, NULL)))
                return cc_fail(NULL, pcons, "listener", rmq_err2str(err));
        if (rmq_push_consumer_subscribe(pcons, o.topic, o.expression, errstr,
                                        sizeof(errstr)) ||
            rmq_push_consumer_start(pcons, errstr, sizeof(errstr)))
                return cc_fail(NULL, pcons, "cannot start the consumer",
                               errstr);

        sig = cc_wait();
        /* waits for running listener calls and writes the offset file */
        rmq_push_consumer_shutdown(pcons);
        rmq_push_consumer_destroy(pcons);
        return cc_exit_status(sig);
}
