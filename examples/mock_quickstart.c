/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Everything in one process, no RocketMQ needed: start the built-in mock
 * cluster, send messages to it, and read back what its broker stored.
 * (For a producer that needs no name server at all, set the property
 * test.mock.brokers=N: its client instance then starts a private mock.)
 */
#include <stdio.h>
#include <string.h>

#include <rocketmq/rmq_mock.h>
#include <rocketmq/rocketmq.h>

int main(void) {
        rmq_mock_cluster_t *mc;
        rmq_conf_t *conf;
        rmq_producer_t *prod;
        char errstr[512];
        int i, b, q;

        if (rmq_mock_cluster_new(&mc, 2, errstr, sizeof(errstr))) {
                fprintf(stderr, "mock cluster: %s\n", errstr);
                return 1;
        }
        printf("mock name server at %s\n", rmq_mock_cluster_namesrv_addr(mc));
        rmq_mock_topic_create(mc, "QuickStart", -1, 2, 2);

        conf = rmq_conf_new();
        rmq_conf_set(conf, "namesrvAddr", rmq_mock_cluster_namesrv_addr(mc),
                     NULL, 0);
        rmq_conf_set(conf, "producerGroup", "PG_QUICKSTART", NULL, 0);
        if (rmq_producer_new(&prod, conf, errstr, sizeof(errstr)) ||
            rmq_producer_start(prod, errstr, sizeof(errstr))) {
                fprintf(stderr, "producer: %s\n", errstr);
                return 1;
        }
        rmq_conf_destroy(conf);

        for (i = 0; i < 6; i++) {
                rmq_message_t *msg = rmq_message_new("QuickStart");
                char body[64];
                snprintf(body, sizeof(body), "hello %d", i);
                rmq_message_set_tags(msg, i % 2 ? "odd" : "even");
                rmq_message_set_body(msg, body, strlen(body));
                if (rmq_producer_send(prod, msg, NULL, errstr,
                                      sizeof(errstr)))
                        fprintf(stderr, "send: %s\n", errstr);
                rmq_message_destroy(msg);
        }
        rmq_producer_destroy(prod);

        /* What the broker stored, queue by queue. */
        for (b = 0; b < rmq_mock_cluster_broker_cnt(mc); b++) {
                for (q = 0; q < 2; q++) {
                        int64_t off, max = rmq_mock_queue_max_offset(
                                             mc, "QuickStart", b, q);
                        for (off = 0; off < max; off++) {
                                rmq_mock_msg_t *m;
                                const void *data;
                                size_t len;
                                if (rmq_mock_message_get(mc, "QuickStart", b,
                                                         q, off, &m))
                                        continue;
                                data = rmq_mock_msg_body(m, &len);
                                printf("%s queue %d offset %lld tags=%s "
                                       "msgId=%s body=%.*s\n",
                                       rmq_mock_broker_name(mc, b), q,
                                       (long long)off,
                                       rmq_mock_msg_property(m, "TAGS"),
                                       rmq_mock_msg_property(m, "UNIQ_KEY"),
                                       (int)len, (const char *)data);
                                rmq_mock_msg_destroy(m);
                        }
                }
        }
        rmq_mock_cluster_destroy(mc);
        return 0;
}
