/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request-reply (Java DefaultMQProducer#request and
 * MessageUtil#createReplyMessage): a requester sends requests and waits
 * for their replies; a responder, a push consumer of the request topic,
 * answers each one with a reply it sends with its own producer.
 *
 *   request_reply [-n namesrv] [-t topic] [-c count] [-T timeout_ms] [-a]
 *                 [--role both|requester|responder]
 *
 *   -n NAMESRV  name server; without it an in-process mock cluster is
 *               started and the topic created on it
 *   -t TOPIC    request topic (default RequestTopic)
 *   -c COUNT    requests to send, or replies to send for the responder
 *               alone (default 5)
 *   -T MS       request timeout (default 3000)
 *   -a          async requests (rmq_producer_request_async)
 *   --role R    both (default): requester and responder in this program;
 *               requester or responder: one side, to run one of each
 *
 * The responder reads its topic from the first offset and skips messages
 * that are not requests (no REPLY_TO_CLIENT property). One line per reply
 * on stdout:
 *
 *   requester: reply INDEX BODY
 *   responder: replied CORRELATION_ID
 */
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rocketmq/rmq_mock.h>
#include <rocketmq/rocketmq.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
        (void)sig;
        stop = 1;
}

typedef struct responder_s {
        rmq_producer_t *prod;
        atomic_int replied;
} responder_t;

/* The responder's listener: the reply to each request, "pong:" + its
 * body, sent with the responder's producer. */
static rmq_consume_status_t answer(rmq_push_consumer_t *pc,
                                   const rmq_message_ext_t *const *msgs,
                                   size_t n, rmq_consume_context_t *ctx,
                                   void *opaque) {
        responder_t *r = opaque;
        size_t i;
        (void)pc;
        (void)ctx;
        for (i = 0; i < n; i++) {
                const rmq_message_ext_t *mx = msgs[i];
                rmq_message_t *reply;
                char body[256], errstr[512];
                const void *b;
                size_t len;
                if (!rmq_message_ext_property(mx, "REPLY_TO_CLIENT"))
                        continue; /* not a request */
                b   = rmq_message_ext_body(mx, &len);
                len = (size_t)snprintf(body, sizeof(body), "pong:%.*s",
                                       (int)(len > 200 ? 200 : len),
                                       (const char *)b);
                if (rmq_message_create_reply(mx, body, len, &reply, errstr,
                                             sizeof(errstr))) {
                        fprintf(stderr, "create reply: %s\n", errstr);
                        continue;
                }
                if (rmq_producer_send(r->prod, reply, NULL, errstr,
                                      sizeof(errstr)))
                        fprintf(stderr, "send reply: %s\n", errstr);
                else
                        printf("replied %s\n",
                               rmq_message_ext_property(mx, "CORRELATION_ID"));
                fflush(stdout);
                atomic_fetch_add(&r->replied, 1);
                rmq_message_destroy(reply);
        }
        return RMQ_CONSUME_SUCCESS;
}

static rmq_conf_t *conf_for(const char *namesrv, const char *group_prop,
                            const char *group, const char *instance) {
        rmq_conf_t *conf = rmq_conf_new();
        char errstr[512];
        if (rmq_conf_set(conf, "namesrvAddr", namesrv, errstr,
                         sizeof(errstr)) ||
            rmq_conf_set(conf, group_prop, group, errstr, sizeof(errstr)) ||
            rmq_conf_set(conf, "instanceName", instance, errstr,
                         sizeof(errstr))) {
                fprintf(stderr, "configuration: %s\n", errstr);
                exit(1);
        }
        return conf;
}

static rmq_producer_t *producer_start(const char *namesrv, const char *group,
                                      const char *instance) {
        rmq_conf_t *conf = conf_for(namesrv, "producerGroup", group, instance);
        rmq_producer_t *prod;
        char errstr[512];
        if (rmq_producer_new(&prod, conf, errstr, sizeof(errstr)) ||
            rmq_producer_start(prod, errstr, sizeof(errstr))) {
                fprintf(stderr, "producer %s: %s\n", group, errstr);
                exit(1);
        }
        rmq_conf_destroy(conf);
        return prod;
}

static rmq_push_consumer_t *responder_start(const char *namesrv,
                                            const char *topic,
                                            responder_t *r) {
        rmq_conf_t *conf =
            conf_for(namesrv, "consumerGroup", "CG_RESPONDER", "responder");
        rmq_push_consumer_t *pc;
        char errstr[512];
        r->prod = producer_start(namesrv, "PG_RESPONDER", "responder");
        if (rmq_conf_set(conf, "consumeFromWhere", "CONSUME_FROM_FIRST_OFFSET",
                         errstr, sizeof(errstr)) ||
            rmq_push_consumer_new(&pc, conf, errstr, sizeof(errstr)) ||
            rmq_push_consumer_subscribe(pc, topic, "*", errstr,
                                        sizeof(errstr)) ||
            rmq_push_consumer_set_listener_concurrently(pc, answer, r) ||
            rmq_push_consumer_start(pc, errstr, sizeof(errstr))) {
                fprintf(stderr, "responder: %s\n", errstr);
                exit(1);
        }
        rmq_conf_destroy(conf);
        return pc;
}

/* What the async requests report back. */
typedef struct pending_s {
        atomic_int done;
        atomic_int failed;
} pending_t;

typedef struct async_one_s {
        pending_t *p;
        int index;
} async_one_t;

static void on_reply(rmq_producer_t *prod, rmq_err_t err, const char *errstr,
                     const rmq_message_ext_t *reply, void *opaque) {
        async_one_t *one = opaque;
        (void)prod;
        if (err) {
                fprintf(stderr, "request %d: %s (%s)\n", one->index, errstr,
                        rmq_err2name(err));
                atomic_fetch_add(&one->p->failed, 1);
        } else {
                size_t len;
                const void *b = rmq_message_ext_body(reply, &len);
                printf("reply %d %.*s\n", one->index, (int)len,
                       (const char *)b);
                fflush(stdout);
        }
        atomic_fetch_add(&one->p->done, 1);
}

static int run_requester(rmq_producer_t *prod, const char *topic, int count,
                         int64_t timeout_ms, int async) {
        async_one_t *ones = calloc((size_t)count, sizeof(*ones));
        pending_t p;
        int i, failed = 0;
        atomic_init(&p.done, 0);
        atomic_init(&p.failed, 0);
        for (i = 0; i < count && !stop; i++) {
                rmq_message_t *msg = rmq_message_new(topic);
                rmq_message_ext_t *reply;
                char body[64], errstr[512];
                rmq_err_t err;
                snprintf(body, sizeof(body), "request-%d", i);
                rmq_message_set_body(msg, body, strlen(body));
                if (async) {
                        ones[i].p     = &p;
                        ones[i].index = i;
                        err = rmq_producer_request_async(
                            prod, msg, on_reply, &ones[i], timeout_ms, errstr,
                            sizeof(errstr));
                        if (err)
                                atomic_fetch_add(&p.done, 1);
                } else {
                        err = rmq_producer_request(prod, msg, timeout_ms,
                                                   &reply, errstr,
                                                   sizeof(errstr));
                        if (!err) {
                                size_t len;
                                const void *b = rmq_message_ext_body(reply,
                                                                     &len);
                                printf("reply %d %.*s\n", i, (int)len,
                                       (const char *)b);
                                fflush(stdout);
                                rmq_message_ext_release(reply);
                        }
                }
                if (err) {
                        fprintf(stderr, "request %d: %s (%s)\n", i, errstr,
                                rmq_err2name(err));
                        failed = 1;
                }
                rmq_message_destroy(msg);
        }
        /* Each accepted async request ends by its callback, at the
         * latest at its timeout. */
        while (async && atomic_load(&p.done) < i)
                usleep(10000);
        free(ones);
        return failed || atomic_load(&p.failed) || stop;
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {
            {"role", required_argument, NULL, 'r'}, {NULL, 0, NULL, 0}};
        const char *namesrv = NULL, *topic = "RequestTopic", *role = "both";
        int count = 5, async = 0, opt, failed = 0;
        int64_t timeout_ms = 3000;
        rmq_mock_cluster_t *mc = NULL;
        rmq_push_consumer_t *pc = NULL;
        rmq_producer_t *req = NULL;
        responder_t rsp;
        char errstr[512];

        while ((opt = getopt_long(argc, argv, "n:t:c:T:ah", longopts, NULL)) !=
               -1) {
                switch (opt) {
                case 'n': namesrv = optarg; break;
                case 't': topic = optarg; break;
                case 'c': count = atoi(optarg); break;
                case 'T': timeout_ms = atoll(optarg); break;
                case 'a': async = 1; break;
                case 'r': role = optarg; break;
                default:
                        fprintf(stderr,
                                "usage: %s [-n namesrv] [-t topic] [-c count] "
                                "[-T timeout_ms] [-a] "
                                "[--role both|requester|responder]\n",
                                argv[0]);
                        return opt == 'h' ? 0 : 2;
                }
        }
        if (strcmp(role, "both") && strcmp(role, "requester") &&
            strcmp(role, "responder")) {
                fprintf(stderr, "unknown role %s\n", role);
                return 2;
        }
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        if (!namesrv) {
                if (rmq_mock_cluster_new(&mc, 1, errstr, sizeof(errstr)) ||
                    rmq_mock_topic_create(mc, topic, -1, 4, 4)) {
                        fprintf(stderr, "mock cluster: %s\n", errstr);
                        return 1;
                }
                namesrv = rmq_mock_cluster_namesrv_addr(mc);
        }
        memset(&rsp, 0, sizeof(rsp));
        atomic_init(&rsp.replied, 0);
        if (strcmp(role, "requester"))
                pc = responder_start(namesrv, topic, &rsp);
        if (strcmp(role, "responder")) {
                req = producer_start(namesrv, "PG_REQUESTER", "requester");
                failed = run_requester(req, topic, count, timeout_ms, async);
        } else {
                while (!stop && atomic_load(&rsp.replied) < count)
                        usleep(10000);
        }
        /* The requester first: its pending requests end at its shutdown. */
        rmq_producer_destroy(req);
        rmq_push_consumer_destroy(pc);
        rmq_producer_destroy(rsp.prod);
        rmq_mock_cluster_destroy(mc);
        return failed;
}
