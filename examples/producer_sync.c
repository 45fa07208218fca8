/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Synchronous producer (Java: DefaultMQProducer.send(msg)).
 *
 *   producer_sync [-n namesrv] [-t topic] [-g group] [-c count] [-s size]
 *
 * The name server defaults to $NAMESRV_ADDR, as in Java.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rocketmq/rocketmq.h>

#include "example_tls.h"

int main(int argc, char **argv) {
        const char *namesrv = NULL, *topic = "TopicTest", *group = "PG_SYNC";
        int count = 10, size = 0, opt, i, failed = 0;
        char errstr[512];
        rmq_conf_t *conf;
        rmq_producer_t *prod;

        static const struct option longopts[] = {EX_TLS_LONGOPTS,
                                                 {NULL, 0, NULL, 0}};

        while ((opt = getopt_long(argc, argv, "n:t:g:c:s:h", longopts, NULL)) !=
               -1) {
                if (ex_tls_option(opt, optarg))
                        continue;
                switch (opt) {
                case 'n': namesrv = optarg; break;
                case 't': topic = optarg; break;
                case 'g': group = optarg; break;
                case 'c': count = atoi(optarg); break;
                case 's': size = atoi(optarg); break;
                default:
                        fprintf(stderr, "usage: %s [-n namesrv] [-t topic] "
                                        "[-g group] [-c count] [-s size]\n"
                                        "       " EX_TLS_USAGE "\n",
                                argv[0]);
                        return opt == 'h' ? 0 : 2;
                }
        }

        conf = rmq_conf_new();
        if ((namesrv && rmq_conf_set(conf, "namesrvAddr", namesrv, errstr,
                                     sizeof(errstr))) ||
            rmq_conf_set(conf, "producerGroup", group, errstr,
                         sizeof(errstr)) ||
            ex_tls_apply(conf, errstr, sizeof(errstr))) {
                fprintf(stderr, "configuration: %s\n", errstr);
                return 1;
        }
        if (rmq_producer_new(&prod, conf, errstr, sizeof(errstr)) ||
            rmq_producer_start(prod, errstr, sizeof(errstr))) {
                fprintf(stderr, "cannot start the producer: %s\n", errstr);
                return 1;
        }
        rmq_conf_destroy(conf); /* the producer keeps its own copy */

        for (i = 0; i < count; i++) {
                rmq_message_t *msg = rmq_message_new(topic);
                rmq_send_result_t *res;
                char body[64];
                rmq_err_t err;
                rmq_message_set_tags(msg, "TagA");
                rmq_message_set_keys(msg, "key-sync");
                if (size > 0) {
                        char *big = malloc((size_t)size);
                        memset(big, 'x', (size_t)size);
                        rmq_message_set_body(msg, big, (size_t)size);
                        free(big);
                } else {
                        snprintf(body, sizeof(body), "Hello RocketMQ %d", i);
                        rmq_message_set_body(msg, body, strlen(body));
                }
                err = rmq_producer_send(prod, msg, &res, errstr,
                                        sizeof(errstr));
                if (err) {
                        fprintf(stderr, "send %d failed: %s (%s)\n", i, errstr,
                                rmq_err2name(err));
                        failed++;
                } else {
                        const rmq_message_queue_t *mq =
                            rmq_send_result_message_queue(res);
                        printf("SendResult [sendStatus=%s, msgId=%s, "
                               "offsetMsgId=%s, queue=%s:%d, "
                               "queueOffset=%lld]\n",
                               rmq_send_status_name(
                                   rmq_send_result_status(res)),
                               rmq_send_result_msg_id(res),
                               rmq_send_result_offset_msg_id(res),
                               rmq_message_queue_broker_name(mq),
                               rmq_message_queue_queue_id(mq),
                               (long long)rmq_send_result_queue_offset(res));
                        rmq_send_result_destroy(res);
                }
                rmq_message_destroy(msg);
        }
        rmq_producer_destroy(prod);
        return failed ? 1 : 0;
}
