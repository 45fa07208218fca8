/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The consumer, poll loop and queue helper shared by the lite pull
 * consumer examples (see lite_pull_common.h). A file of its own, so that
 * the push consumer examples do not link the lite pull consumer.
 */
#include "lite_pull_common.h"

#include <stdio.h>

rmq_lite_pull_consumer_t *cc_lite_setup(int argc, char **argv, cc_opts_t *o,
                                        const char *about,
                                        const char *auto_commit) {
        rmq_lite_pull_consumer_t *lpc = NULL;
        char errstr[512];
        rmq_conf_t *conf = cc_setup(argc, argv, o, about);
        if (!conf)
                return NULL;
        if (auto_commit && rmq_conf_set(conf, "autoCommit", auto_commit, errstr,
                                        sizeof(errstr)))
                fprintf(stderr, "configuration: %s\n", errstr);
        else if (rmq_lite_pull_consumer_new(&lpc, conf, errstr, sizeof(errstr)))
                fprintf(stderr, "cannot create the consumer: %s\n", errstr);
        rmq_conf_destroy(conf); /* the consumer keeps its own copy */
        return lpc;
}

int cc_lite_fail(rmq_lite_pull_consumer_t *lpc, const char *what,
                 const char *why) {
        fprintf(stderr, "%s: %s\n", what, why);
        rmq_lite_pull_consumer_destroy(lpc);
        return 1;
}

int cc_lite_poll_loop(rmq_lite_pull_consumer_t *lpc,
                      cc_lite_batch_cb_t *on_batch) {
        int sig;
        while ((sig = cc_stopped()) < 0) {
                rmq_message_ext_t **msgs;
                size_t cnt, printed;
                rmq_err_t err = rmq_lite_pull_consumer_poll(
                    lpc, CC_LITE_POLL_MS, &msgs, &cnt);
                if (err) {
                        fprintf(stderr, "poll: %s\n", rmq_err2str(err));
                        return -1;
                }
                if (cnt == 0)
                        continue; /* nothing within CC_LITE_POLL_MS */
                printed =
                    cc_print_msgs((const rmq_message_ext_t *const *)msgs, cnt);
                on_batch(lpc, msgs, cnt, printed);
                rmq_lite_pull_consumer_poll_release(msgs, cnt);
        }
        return sig;
}

rmq_message_queue_t *cc_lite_queue_of(const rmq_message_ext_t *mx) {
        return rmq_message_queue_new(rmq_message_ext_topic(mx),
                                     rmq_message_ext_broker_name(mx),
                                     rmq_message_ext_queue_id(mx));
}
