/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Batch producer (Java: send(Collection<Message>)): several messages of
 * one topic in one SEND_BATCH_MESSAGE request, stored as separate messages.
 *
 *   producer_batch [-n namesrv] [-t topic] [-g group] [-b batch_size]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rocketmq/rocketmq.h>

#include "example_tls.h"

int main(int argc, char **argv) {
        const char *namesrv = NULL, *topic = "TopicTest", *group = "PG_BATCH";
        int n = 3, opt, i;
        char errstr[512];
        rmq_conf_t *conf;
        rmq_producer_t *prod;
        rmq_message_t **msgs;
        rmq_send_result_t *res;
        rmq_err_t err;

        static const struct option longopts[] = {EX_TLS_LONGOPTS,
                                                 {NULL, 0, NULL, 0}};

        while ((opt = getopt_long(argc, argv, "n:t:g:b:h", longopts, NULL)) !=
               -1) {
                if (ex_tls_option(opt, optarg))
                        continue;
                switch (opt) {
                case 'n': namesrv = optarg; break;
                case 't': topic = optarg; break;
                case 'g': group = optarg; break;
                case 'b': n = atoi(optarg); break;
                default:
                        fprintf(stderr, "usage: %s [-n namesrv] [-t topic] "
                                        "[-g group] [-b batch_size]\n"
                                        "       " EX_TLS_USAGE "\n",
                                argv[0]);
                        return opt == 'h' ? 0 : 2;
                }
        }
        if (n < 1)
                n = 1;
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
        rmq_conf_destroy(conf);
        msgs = calloc((size_t)n, sizeof(*msgs));
        for (i = 0; i < n; i++) {
                char body[64];
                msgs[i] = rmq_message_new(topic);
                snprintf(body, sizeof(body), "Hello batch %d", i);
                rmq_message_set_tags(msgs[i], "TagBatch");
                rmq_message_set_body(msgs[i], body, strlen(body));
        }
        err = rmq_producer_send_batch(prod, msgs, (size_t)n, &res, errstr,
                                      sizeof(errstr));
        if (err) {
                fprintf(stderr, "batch failed: %s\n", errstr);
        } else {
                printf("batch of %d stored from queue offset %lld, ids %s\n",
                       n, (long long)rmq_send_result_queue_offset(res),
                       rmq_send_result_msg_id(res));
                rmq_send_result_destroy(res);
        }
        for (i = 0; i < n; i++)
                rmq_message_destroy(msgs[i]);
        free(msgs);
        rmq_producer_destroy(prod);
        return err ? 1 : 0;
}
