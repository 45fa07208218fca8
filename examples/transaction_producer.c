/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transactional messages (Java TransactionMQProducer): each message is
 * stored as a half message, the local transaction runs, and the outcome
 * goes to the broker. Message i commits (i % 3 == 0), rolls back
 * (i % 3 == 1) or is left UNKNOW (i % 3 == 2): the broker then asks the
 * producer group (CHECK_TRANSACTION_STATE) and the check callback commits
 * it.
 *
 *   transaction_producer [-n namesrv] [-t topic] [-g group] [-c count]
 *                        [-w wait_ms]
 *
 *   -n NAMESRV  name server; without it an in-process mock cluster is
 *               started whose broker checks half messages 100 ms after
 *               they are sent, every 200 ms
 *   -t TOPIC    topic (default TopicTx; created on the mock)
 *   -g GROUP    producer group (default PG_TX_EXAMPLE)
 *   -c COUNT    messages (default 6)
 *   -w MS       how long to wait for the check-backs of the UNKNOW
 *               messages (default 5000 with the mock, 90000 otherwise: a
 *               4.9.8 broker checks a half message after 6 s, in rounds
 *               every 60 s, and only once the producer's heartbeat, every
 *               30 s, told it the producer)
 *
 * Prints one line per send, execute and check:
 *
 *   execute I STATE
 *   sent I MSGID STATE
 *   check I MSGID times=N -> COMMIT_MESSAGE
 *
 * Exits 1 if a send failed or an UNKNOW message was not checked in time.
 */
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rocketmq/rmq_mock.h>
#include <rocketmq/rocketmq.h>

/* Unknown messages that got a check answer (each counted once). */
static atomic_int checked;
static atomic_int checked_flags[1024];

static int index_of(const void *body, size_t len) {
        char tmp[32];
        if (len < 4 || len >= sizeof(tmp))
                return -1;
        memcpy(tmp, body, len);
        tmp[len] = '\0';
        return strncmp(tmp, "tx-", 3) ? -1 : atoi(tmp + 3);
}

/* The local transaction: the state message i asks for. */
static rmq_err_t execute(rmq_producer_t *prod, const rmq_message_t *msg,
                         const char *transaction_id, void *arg,
                         rmq_local_transaction_state_t *statep, char *errstr,
                         size_t errstr_size, void *opaque) {
        int i = *(const int *)arg;
        (void)prod;
        (void)msg;
        (void)transaction_id;
        (void)errstr;
        (void)errstr_size;
        (void)opaque;
        *statep = i % 3 == 0   ? RMQ_TXN_COMMIT_MESSAGE
                  : i % 3 == 1 ? RMQ_TXN_ROLLBACK_MESSAGE
                               : RMQ_TXN_UNKNOWN;
        printf("execute %d %s\n", i, rmq_local_transaction_state_name(*statep));
        fflush(stdout);
        return RMQ_OK;
}

/* The check-back: the local transaction of an UNKNOW message committed
 * after all. Runs on the producer's check executor. */
static rmq_err_t check(rmq_producer_t *prod, const rmq_message_ext_t *mx,
                       rmq_local_transaction_state_t *statep, char *errstr,
                       size_t errstr_size, void *opaque) {
        size_t len;
        const void *body = rmq_message_ext_body(mx, &len);
        const char *times =
            rmq_message_ext_property(mx, "TRANSACTION_CHECK_TIMES");
        int i = index_of(body, len);
        (void)prod;
        (void)errstr;
        (void)errstr_size;
        (void)opaque;
        *statep = RMQ_TXN_COMMIT_MESSAGE;
        printf("check %d %s times=%s -> %s\n", i,
               rmq_message_ext_transaction_id(mx)
                   ? rmq_message_ext_transaction_id(mx)
                   : rmq_message_ext_msg_id(mx),
               times ? times : "-", rmq_local_transaction_state_name(*statep));
        fflush(stdout);
        if (i >= 0 && i < 1024 && !atomic_exchange(&checked_flags[i], 1))
                atomic_fetch_add(&checked, 1);
        return RMQ_OK;
}

static void sleep_ms(long ms) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

static int set(rmq_conf_t *conf, const char *name, const char *value) {
        char errstr[256];
        if (rmq_conf_set(conf, name, value, errstr, sizeof(errstr))) {
                fprintf(stderr, "%s: %s\n", name, errstr);
                return 1;
        }
        return 0;
}

int main(int argc, char **argv) {
        const char *namesrv = NULL, *topic = "TopicTx",
                   *group = "PG_TX_EXAMPLE";
        int count = 6, opt, i, unknown = 0, failed = 0;
        long wait_ms = -1, waited;
        rmq_mock_cluster_t *mc = NULL;
        rmq_producer_t *prod   = NULL;
        rmq_conf_t *conf;
        char errstr[512];
        while ((opt = getopt(argc, argv, "n:t:g:c:w:h")) != -1) {
                switch (opt) {
                case 'n': namesrv = optarg; break;
                case 't': topic = optarg; break;
                case 'g': group = optarg; break;
                case 'c': count = atoi(optarg); break;
                case 'w': wait_ms = atol(optarg); break;
                default:
                        fprintf(stderr,
                                "usage: %s [-n namesrv] [-t topic] [-g group] "
                                "[-c count] [-w wait_ms]\n",
                                argv[0]);
                        return 2;
                }
        }
        if (count < 0 || count > 1024)
                count = 1024;
        if (!namesrv) {
                /* 4.9.8 broker settings, scaled down for a quick run */
                if (rmq_mock_cluster_new(&mc, 1, errstr, sizeof(errstr)) ||
                    rmq_mock_cluster_set(mc, "transactionTimeOut", "100",
                                         errstr, sizeof(errstr)) ||
                    rmq_mock_cluster_set(mc, "transactionCheckInterval", "200",
                                         errstr, sizeof(errstr)) ||
                    rmq_mock_topic_create(mc, topic, -1, 4, 4)) {
                        fprintf(stderr, "mock cluster: %s\n", errstr);
                        return 1;
                }
                namesrv = rmq_mock_cluster_namesrv_addr(mc);
        }
        if (wait_ms < 0)
                wait_ms = mc ? 5000 : 90000;
        conf = rmq_conf_new();
        if (set(conf, "namesrvAddr", namesrv) ||
            set(conf, "producerGroup", group) ||
            /* with the mock: the broker learns the producer (and can check
             * back) at the first heartbeat */
            (mc && set(conf, "heartbeatBrokerInterval", "200"))) {
                rmq_conf_destroy(conf);
                rmq_mock_cluster_destroy(mc);
                return 1;
        }
        if (rmq_producer_new(&prod, conf, errstr, sizeof(errstr))) {
                fprintf(stderr, "producer: %s\n", errstr);
                rmq_conf_destroy(conf);
                rmq_mock_cluster_destroy(mc);
                return 1;
        }
        rmq_conf_destroy(conf);
        if (rmq_producer_set_transaction_listener(prod, execute, check, NULL) ||
            rmq_producer_start(prod, errstr, sizeof(errstr))) {
                fprintf(stderr, "start: %s\n", errstr);
                rmq_producer_destroy(prod);
                rmq_mock_cluster_destroy(mc);
                return 1;
        }
        for (i = 0; i < count; i++) {
                rmq_message_t *msg = rmq_message_new(topic);
                rmq_transaction_send_result_t *res = NULL;
                char body[32];
                snprintf(body, sizeof(body), "tx-%d", i);
                rmq_message_set_body(msg, body, strlen(body));
                rmq_message_set_tags(msg, "TagTx");
                if (rmq_producer_send_in_transaction(prod, msg, &i, &res,
                                                     errstr, sizeof(errstr))) {
                        fprintf(stderr, "send %d: %s\n", i, errstr);
                        failed = 1;
                } else {
                        rmq_local_transaction_state_t st =
                            rmq_transaction_send_result_local_state(res);
                        printf("sent %d %s %s\n", i,
                               rmq_transaction_send_result_msg_id(res),
                               rmq_local_transaction_state_name(st));
                        fflush(stdout);
                        if (st == RMQ_TXN_UNKNOWN)
                                unknown++;
                }
                rmq_transaction_send_result_destroy(res);
                rmq_message_destroy(msg);
        }
        for (waited = 0; atomic_load(&checked) < unknown && waited < wait_ms;
             waited += 50)
                sleep_ms(50);
        if (atomic_load(&checked) < unknown) {
                fprintf(stderr, "%d of %d UNKNOW messages checked in %ld ms\n",
                        atomic_load(&checked), unknown, wait_ms);
                failed = 1;
        }
        rmq_producer_destroy(prod);
        rmq_mock_cluster_destroy(mc);
        return failed;
}
