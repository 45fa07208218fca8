/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ordered messages with a queue selector (Java: send(msg, selector, arg)).
 * Every message of an order goes to the same queue, chosen by the hash of
 * the order id exactly as Java's SelectMessageQueueByHash chooses it, so C
 * and Java producers of one topic agree on the queue of an order.
 *
 *   producer_orderly [-n namesrv] [-t topic] [-g group] [-o orders] [-s steps]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rocketmq/rocketmq.h>

#include "example_tls.h"

int main(int argc, char **argv) {
        const char *namesrv = NULL, *topic = "TopicOrder", *group = "PG_ORDER";
        int orders = 4, steps = 3, opt, o, s, failed = 0;
        char errstr[512];
        rmq_conf_t *conf;
        rmq_producer_t *prod;

        static const struct option longopts[] = {EX_TLS_LONGOPTS,
                                                 {NULL, 0, NULL, 0}};

        while ((opt = getopt_long(argc, argv, "n:t:g:o:s:h", longopts, NULL)) !=
               -1) {
                if (ex_tls_option(opt, optarg))
                        continue;
                switch (opt) {
                case 'n': namesrv = optarg; break;
                case 't': topic = optarg; break;
                case 'g': group = optarg; break;
                case 'o': orders = atoi(optarg); break;
                case 's': steps = atoi(optarg); break;
                default:
                        fprintf(stderr, "usage: %s [-n namesrv] [-t topic] "
                                        "[-g group] [-o orders] [-s steps]\n"
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
        rmq_conf_destroy(conf);
        for (s = 0; s < steps; s++) {
                for (o = 0; o < orders; o++) {
                        rmq_message_t *msg = rmq_message_new(topic);
                        rmq_send_result_t *res;
                        char key[32], body[64];
                        snprintf(key, sizeof(key), "order-%d", o);
                        snprintf(body, sizeof(body), "order %d step %d", o, s);
                        rmq_message_set_keys(msg, key);
                        rmq_message_set_body(msg, body, strlen(body));
                        if (rmq_producer_send_select(prod, msg,
                                                     rmq_queue_selector_hash,
                                                     key, &res, errstr,
                                                     sizeof(errstr))) {
                                fprintf(stderr, "%s: %s\n", body, errstr);
                                failed++;
                        } else {
                                printf("%s -> queue %d offset %lld\n", body,
                                       rmq_message_queue_queue_id(
                                           rmq_send_result_message_queue(res)),
                                       (long long)rmq_send_result_queue_offset(
                                           res));
                                rmq_send_result_destroy(res);
                        }
                        rmq_message_destroy(msg);
                }
        }
        rmq_producer_destroy(prod);
        return failed ? 1 : 0;
}
