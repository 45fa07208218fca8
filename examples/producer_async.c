/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Asynchronous producer (Java: send(msg, SendCallback)).
 *
 *   producer_async [-n namesrv] [-t topic] [-g group] [-c count]
 *
 * Callbacks run on the library's callback pool; shutdown waits for every
 * send in flight, so each callback runs exactly once.
 */
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rocketmq/rocketmq.h>

#include "example_tls.h"

static atomic_int ok_cnt, fail_cnt;

static void on_sent(rmq_producer_t *prod, rmq_err_t err, const char *errstr,
                    const rmq_send_result_t *res, void *opaque) {
        long idx = (long)(intptr_t)opaque;
        (void)prod;
        if (err) {
                fprintf(stderr, "message %ld failed: %s\n", idx, errstr);
                atomic_fetch_add(&fail_cnt, 1);
                return;
        }
        printf("message %ld: msgId=%s queueOffset=%lld\n", idx,
               rmq_send_result_msg_id(res),
               (long long)rmq_send_result_queue_offset(res));
        atomic_fetch_add(&ok_cnt, 1);
}

int main(int argc, char **argv) {
        const char *namesrv = NULL, *topic = "TopicTest", *group = "PG_ASYNC";
        int count = 10, opt, i;
        char errstr[512];
        rmq_conf_t *conf;
        rmq_producer_t *prod;

        static const struct option longopts[] = {EX_TLS_LONGOPTS,
                                                 {NULL, 0, NULL, 0}};

        while ((opt = getopt_long(argc, argv, "n:t:g:c:h", longopts, NULL)) !=
               -1) {
                if (ex_tls_option(opt, optarg))
                        continue;
                switch (opt) {
                case 'n': namesrv = optarg; break;
                case 't': topic = optarg; break;
                case 'g': group = optarg; break;
                case 'c': count = atoi(optarg); break;
                default:
                        fprintf(stderr, "usage: %s [-n namesrv] [-t topic] "
                                        "[-g group] [-c count]\n"
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
            /* wait for room instead of failing when 10000 are in flight */
            rmq_conf_set(conf, "enableBackpressureForAsyncMode", "true",
                         errstr, sizeof(errstr)) ||
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
        for (i = 0; i < count; i++) {
                rmq_message_t *msg = rmq_message_new(topic);
                char body[64];
                rmq_err_t err;
                snprintf(body, sizeof(body), "Hello async %d", i);
                rmq_message_set_tags(msg, "TagA");
                rmq_message_set_body(msg, body, strlen(body));
                err = rmq_producer_send_async(prod, msg, on_sent,
                                              (void *)(intptr_t)i);
                if (err) {
                        fprintf(stderr, "message %d not sent: %s\n", i,
                                rmq_err2str(err));
                        atomic_fetch_add(&fail_cnt, 1);
                }
                rmq_message_destroy(msg); /* the library copied what it needs */
        }
        rmq_producer_destroy(prod); /* waits for the callbacks */
        printf("%d sent, %d failed\n", atomic_load(&ok_cnt),
               atomic_load(&fail_cnt));
        return atomic_load(&fail_cnt) ? 1 : 0;
}
