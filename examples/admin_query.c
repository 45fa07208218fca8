/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admin queries (Java MQAdmin: maxOffset, minOffset, queryMessage,
 * viewMessage) through a producer's admin handle.
 *
 *   admin_query [-n namesrv] [-t topic] [-g group] [-k key] [-i msgId]
 *
 *   -n NAMESRV  name server; without it an in-process mock cluster is
 *               started, the topic created on it (rmq_admin_create_topic)
 *               and 4 messages with key "key-admin" sent, so that every
 *               query finds something
 *   -t TOPIC    print each queue's min and max offsets (default TopicTest)
 *   -k KEY      print the messages of the topic with this key
 *   -i MSGID    print the message with this id: an offset msg id, else a
 *               unique key (the msgId of a send result), as Java's
 *               viewMessage(topic, msgId)
 *
 * Without -k and -i, only the offsets are printed; with the mock and no
 * option, all three queries run on what was sent. One line each:
 *
 *   queue BROKER QUEUEID min=N max=N
 *   msg TOPIC QUEUEID QUEUEOFFSET MSGID KEYS BODY
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rocketmq/rmq_mock.h>
#include <rocketmq/rocketmq.h>

#define MOCK_KEY "key-admin"

static void print_msg(const rmq_message_ext_t *mx) {
        size_t len, i;
        const unsigned char *body = rmq_message_ext_body(mx, &len);
        const char *keys          = rmq_message_ext_keys(mx);
        printf("msg %s %d %lld %s %s ", rmq_message_ext_topic(mx),
               rmq_message_ext_queue_id(mx),
               (long long)rmq_message_ext_queue_offset(mx),
               rmq_message_ext_msg_id(mx), keys && *keys ? keys : "-");
        /* the body as text, at most 64 bytes, other bytes as '.' */
        for (i = 0; i < len && i < 64; i++)
                putchar(body[i] >= 0x20 && body[i] < 0x7f ? body[i] : '.');
        printf("%s\n", len > 64 ? "..." : len ? "" : "-");
}

static int print_offsets(rmq_producer_t *prod, const char *topic) {
        rmq_admin_t *adm = rmq_producer_admin(prod);
        rmq_message_queue_t **mqs;
        size_t n, i;
        char errstr[512];
        int failed = 0;
        if (rmq_producer_fetch_publish_message_queues(prod, topic, &mqs, &n,
                                                      errstr,
                                                      sizeof(errstr))) {
                fprintf(stderr, "queues of %s: %s\n", topic, errstr);
                return 1;
        }
        for (i = 0; i < n; i++) {
                int64_t min, max;
                rmq_err_t err;
                if ((err = rmq_admin_min_offset(adm, mqs[i], &min, errstr,
                                                sizeof(errstr))) ||
                    (err = rmq_admin_max_offset(adm, mqs[i], &max, errstr,
                                                sizeof(errstr)))) {
                        fprintf(stderr, "offsets: %s (%s)\n", errstr,
                                rmq_err2name(err));
                        failed = 1;
                        continue;
                }
                printf("queue %s %d min=%lld max=%lld\n",
                       rmq_message_queue_broker_name(mqs[i]),
                       rmq_message_queue_queue_id(mqs[i]), (long long)min,
                       (long long)max);
        }
        rmq_message_queues_destroy(mqs, n);
        return failed;
}

static int query_key(rmq_admin_t *adm, const char *topic, const char *key) {
        rmq_query_result_t *res;
        char errstr[1024];
        rmq_err_t err;
        size_t i;
        err = rmq_admin_query_message(adm, topic, key, 32, 0, INT64_MAX, &res,
                                      errstr, sizeof(errstr));
        if (err) {
                fprintf(stderr, "query %s: %s (%s)\n", key, errstr,
                        rmq_err2name(err));
                return 1;
        }
        for (i = 0; i < rmq_query_result_count(res); i++)
                print_msg(rmq_query_result_message(res, i));
        rmq_query_result_destroy(res);
        return 0;
}

static int view_id(rmq_admin_t *adm, const char *topic, const char *id) {
        rmq_message_ext_t *mx;
        char errstr[1024];
        rmq_err_t err = rmq_admin_view_message_by_uniq_key(
            adm, topic, id, &mx, errstr, sizeof(errstr));
        if (err) {
                fprintf(stderr, "view %s: %s (%s)\n", id, errstr,
                        rmq_err2name(err));
                return 1;
        }
        print_msg(mx);
        rmq_message_ext_release(mx);
        return 0;
}

/* The mock's data: the topic, made with the admin call, and 4 messages
 * with MOCK_KEY. Writes the first message's id into \p id. */
static int seed(rmq_producer_t *prod, const char *topic, char *id,
                size_t id_size) {
        char errstr[512], body[64];
        int i;
        if (rmq_admin_create_topic(rmq_producer_admin(prod), "TBW102", topic,
                                   2, 0, errstr, sizeof(errstr))) {
                fprintf(stderr, "create topic %s: %s\n", topic, errstr);
                return 1;
        }
        for (i = 0; i < 4; i++) {
                rmq_message_t *msg = rmq_message_new(topic);
                rmq_send_result_t *res;
                snprintf(body, sizeof(body), "Hello admin %d", i);
                rmq_message_set_keys(msg, MOCK_KEY);
                rmq_message_set_body(msg, body, strlen(body));
                if (rmq_producer_send(prod, msg, &res, errstr,
                                      sizeof(errstr))) {
                        fprintf(stderr, "send: %s\n", errstr);
                        rmq_message_destroy(msg);
                        return 1;
                }
                if (i == 0)
                        snprintf(id, id_size, "%s",
                                 rmq_send_result_msg_id(res));
                rmq_send_result_destroy(res);
                rmq_message_destroy(msg);
        }
        return 0;
}

int main(int argc, char **argv) {
        const char *namesrv = NULL, *topic = "TopicTest", *group = "PG_ADMIN";
        const char *key = NULL, *id = NULL;
        rmq_mock_cluster_t *mc = NULL;
        rmq_producer_t *prod;
        rmq_conf_t *conf;
        char errstr[512], first_id[128] = "";
        int opt, failed = 0;

        while ((opt = getopt(argc, argv, "n:t:g:k:i:h")) != -1) {
                switch (opt) {
                case 'n': namesrv = optarg; break;
                case 't': topic = optarg; break;
                case 'g': group = optarg; break;
                case 'k': key = optarg; break;
                case 'i': id = optarg; break;
                default:
                        fprintf(stderr, "usage: %s [-n namesrv] [-t topic] "
                                        "[-g group] [-k key] [-i msgId]\n",
                                argv[0]);
                        return opt == 'h' ? 0 : 2;
                }
        }
        if (!namesrv) {
                if (rmq_mock_cluster_new(&mc, 2, errstr, sizeof(errstr))) {
                        fprintf(stderr, "mock cluster: %s\n", errstr);
                        return 1;
                }
                namesrv = rmq_mock_cluster_namesrv_addr(mc);
        }

        conf = rmq_conf_new();
        if (rmq_conf_set(conf, "namesrvAddr", namesrv, errstr,
                         sizeof(errstr)) ||
            rmq_conf_set(conf, "producerGroup", group, errstr,
                         sizeof(errstr))) {
                fprintf(stderr, "configuration: %s\n", errstr);
                return 1;
        }
        if (rmq_producer_new(&prod, conf, errstr, sizeof(errstr)) ||
            rmq_producer_start(prod, errstr, sizeof(errstr))) {
                fprintf(stderr, "cannot start the producer: %s\n", errstr);
                return 1;
        }
        rmq_conf_destroy(conf);

        if (mc) {
                failed = seed(prod, topic, first_id, sizeof(first_id));
                if (!key && !id) {
                        key = MOCK_KEY;
                        id  = first_id;
                }
        }
        if (!failed)
                failed = print_offsets(prod, topic);
        if (!failed && key)
                failed = query_key(rmq_producer_admin(prod), topic, key);
        if (!failed && id)
                failed = view_id(rmq_producer_admin(prod), topic, id);

        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
        return failed;
}
