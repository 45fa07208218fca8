/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq-mock-cluster: the built-in mock cluster as a program, for examples,
 * quick starts and tests in other languages (the real Java client works
 * against it). Prints the name server and broker addresses, then serves
 * until SIGINT or SIGTERM.
 *
 * The library installs no signal handler: this program blocks SIGINT and
 * SIGTERM before any thread starts and waits for them with sigwait().
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rocketmq/rmq_mock.h"

#define MAX_ITEMS 256

static const char usage_text[] =
    "Usage: rmq-mock-cluster [options]\n"
    "\n"
    "An in-process Apache RocketMQ 4.9 name server and brokers (the mock\n"
    "cluster of rocketmq-c) on 127.0.0.1. Prints \"namesrv: ADDR\" and one\n"
    "\"broker-x: ADDR\" line per broker, then serves until SIGINT/SIGTERM.\n"
    "\n"
    "Options:\n"
    "  --brokers N              number of brokers, 1..26 (default 2)\n"
    "  --namesrv-port P         name server port (default 9876; 0 = any)\n"
    "  --broker-port P          first broker's port, the next ones follow\n"
    "                           (default 0 = any free port)\n"
    "  --topic NAME[:QUEUES]    create a topic on every broker with QUEUES\n"
    "                           read and write queues (default 4);\n"
    "                           repeatable\n"
    "  --set NAME=VALUE         set a cluster option (see below); repeatable\n"
    "  --fail CODE:COUNT:RESPONSE[:BROKER]\n"
    "                           answer the next COUNT requests with request\n"
    "                           code CODE (number or name, e.g. 310 or\n"
    "                           SEND_MESSAGE_V2) with RESPONSE (a response\n"
    "                           code: number or name, e.g. 2 or SYSTEM_BUSY;\n"
    "                           _TRANSPORT closes the connection, _TIMED_OUT\n"
    "                           never answers) on broker BROKER (id or name;\n"
    "                           default any broker; \"namesrv\" for the name\n"
    "                           server); repeatable\n"
    "  --delay MS[:BROKER]      delay every answer of BROKER (id, name or\n"
    "                           \"namesrv\"; default every broker) by MS\n"
    "  --print-messages         print every stored message on stdout\n"
    "  --help                   this text\n"
    "\n"
    "Cluster options (--set):\n"
    "  autoCreateTopicEnable=true       create topics on their first send\n"
    "  defaultTopicQueueNums=8          queues of TBW102; a topic created by\n"
    "                                   a send gets min(the send's count, 8)\n"
    "  maxMessageSize=4194304           larger bodies get MESSAGE_ILLEGAL\n"
    "  longPollingEnable=true           hold pulls until a message arrives\n"
    "  shortPollingTimeMills=1000       hold time when long polling is off\n"
    "  longPollingCheckInterval=5000    ms between checks of held pulls\n"
    "  delayTimeScale=1.0               multiplies the 18 delay levels\n"
    "  transactionTimeOut=6000          ms before a half message is checked\n"
    "  transactionCheckInterval=60000   ms between check rounds\n"
    "  transactionCheckMax=15           checks before a half message is\n"
    "                                   discarded\n"
    "  lockExpiry=60000                 ms a queue lock lives\n"
    "  channelExpiredTimeout=120000     ms without heartbeat before a client\n"
    "                                   is dropped\n"
    "  maxReconsumeTimes=16             retries before the dead letter queue\n"
    "  printMessages=false              as --print-messages\n"
    "  storeReplyMessageEnable=true     store replies as well as pushing them\n"
    "  serverChannelMaxIdleTimeSeconds=120\n"
    "                                   close connections idle this long\n"
    "\n"
    "Exit status: 0 after SIGINT/SIGTERM, 1 if the cluster cannot start,\n"
    "2 for a usage error.\n";

typedef struct fail_s {
        int code;
        size_t cnt;
        int response;
        int target;
} fail_t;

typedef struct delay_s {
        int ms;
        int target; /* -1: every broker */
} delay_t;

static int usage_error(const char *fmt, const char *arg) {
        fprintf(stderr, "rmq-mock-cluster: ");
        fprintf(stderr, fmt, arg);
        fprintf(stderr, "\nTry 'rmq-mock-cluster --help'.\n");
        return 2;
}

/* A decimal integer in [min, max], the whole string. */
static int parse_int(const char *s, long min, long max, int *out) {
        char *end;
        long v;
        errno = 0;
        v     = strtol(s, &end, 10);
        if (errno || end == s || *end || v < min || v > max)
                return -1;
        *out = (int)v;
        return 0;
}

/* A request code: a number, or a RequestCode name (RMQ_REQ_ optional). */
static int parse_request_code(const char *s, int *out) {
        static const struct {
                const char *name;
                int code;
        } names[] = {
            {"SEND_MESSAGE", RMQ_REQ_SEND_MESSAGE},
            {"PULL_MESSAGE", RMQ_REQ_PULL_MESSAGE},
            {"QUERY_MESSAGE", RMQ_REQ_QUERY_MESSAGE},
            {"QUERY_CONSUMER_OFFSET", RMQ_REQ_QUERY_CONSUMER_OFFSET},
            {"UPDATE_CONSUMER_OFFSET", RMQ_REQ_UPDATE_CONSUMER_OFFSET},
            {"SEARCH_OFFSET_BY_TIMESTAMP", RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP},
            {"GET_MAX_OFFSET", RMQ_REQ_GET_MAX_OFFSET},
            {"GET_MIN_OFFSET", RMQ_REQ_GET_MIN_OFFSET},
            {"GET_EARLIEST_MSG_STORETIME", RMQ_REQ_GET_EARLIEST_MSG_STORETIME},
            {"VIEW_MESSAGE_BY_ID", RMQ_REQ_VIEW_MESSAGE_BY_ID},
            {"HEART_BEAT", RMQ_REQ_HEART_BEAT},
            {"UNREGISTER_CLIENT", RMQ_REQ_UNREGISTER_CLIENT},
            {"CONSUMER_SEND_MSG_BACK", RMQ_REQ_CONSUMER_SEND_MSG_BACK},
            {"END_TRANSACTION", RMQ_REQ_END_TRANSACTION},
            {"GET_CONSUMER_LIST_BY_GROUP", RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP},
            {"LOCK_BATCH_MQ", RMQ_REQ_LOCK_BATCH_MQ},
            {"UNLOCK_BATCH_MQ", RMQ_REQ_UNLOCK_BATCH_MQ},
            {"GET_ROUTEINFO_BY_TOPIC", RMQ_REQ_GET_ROUTEINFO_BY_TOPIC},
            {"GET_BROKER_CLUSTER_INFO", RMQ_REQ_GET_BROKER_CLUSTER_INFO},
            {"SEND_MESSAGE_V2", RMQ_REQ_SEND_MESSAGE_V2},
            {"SEND_BATCH_MESSAGE", RMQ_REQ_SEND_BATCH_MESSAGE},
        };
        size_t i;
        if (!strncmp(s, "RMQ_REQ_", 8))
                s += 8;
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                if (!strcmp(names[i].name, s)) {
                        *out = names[i].code;
                        return 0;
                }
        }
        return parse_int(s, 0, 65535, out);
}

/* A response code: a number, or an rmq_err_t name (RMQ_ERR_ optional),
 * e.g. SYSTEM_BUSY or _TRANSPORT. */
static int parse_response(const char *s, int *out) {
        int c;
        if (!strncmp(s, "RMQ_ERR_", 8))
                s += 8;
        if (!parse_int(s, -1000, 32767, out))
                return 0;
        for (c = -300; c <= 2000; c++) {
                const char *n = rmq_err2name((rmq_err_t)c);
                if (strcmp(n, "UNKNOWN") && !strcmp(n, s)) {
                        *out = c;
                        return 0;
                }
        }
        return -1;
}

/* A broker id, a broker name ("broker-b") or "namesrv" (-2). */
static int parse_target(const char *s, int broker_cnt, int *out) {
        if (!strcmp(s, "namesrv")) {
                *out = -2;
                return 0;
        }
        if (!strncmp(s, "broker-", 7) && s[7] >= 'a' && s[7] <= 'z' &&
            !s[8] && s[7] - 'a' < broker_cnt) {
                *out = s[7] - 'a';
                return 0;
        }
        return parse_int(s, -1, broker_cnt - 1, out);
}

int main(int argc, char **argv) {
        int brokers = 2, ns_port = 9876, broker_port = 0, i, sig;
        const char *topics[MAX_ITEMS], *sets[MAX_ITEMS];
        const char *fails[MAX_ITEMS], *delays[MAX_ITEMS];
        size_t ntopics = 0, nsets = 0, nfails = 0, ndelays = 0, k;
        bool print = false;
        rmq_mock_cluster_t *mc;
        char err[512];
        sigset_t set;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
                        fputs(usage_text, stdout);
                        return 0;
                }
                if (!strcmp(a, "--print-messages")) {
                        print = true;
                        continue;
                }
                if (strcmp(a, "--brokers") && strcmp(a, "--namesrv-port") &&
                    strcmp(a, "--broker-port") && strcmp(a, "--topic") &&
                    strcmp(a, "--set") && strcmp(a, "--fail") &&
                    strcmp(a, "--delay"))
                        return usage_error("unknown option %s", a);
                if (!v)
                        return usage_error("option %s needs a value", a);
                i++;
                if (!strcmp(a, "--brokers")) {
                        if (parse_int(v, 1, 26, &brokers))
                                return usage_error("--brokers %s: want 1..26",
                                                   v);
                } else if (!strcmp(a, "--namesrv-port")) {
                        if (parse_int(v, 0, 65535, &ns_port))
                                return usage_error("--namesrv-port %s: want "
                                                   "0..65535",
                                                   v);
                } else if (!strcmp(a, "--broker-port")) {
                        if (parse_int(v, 0, 65535, &broker_port))
                                return usage_error("--broker-port %s: want "
                                                   "0..65535",
                                                   v);
                } else if (!strcmp(a, "--topic") && ntopics < MAX_ITEMS) {
                        topics[ntopics++] = v;
                } else if (!strcmp(a, "--set") && nsets < MAX_ITEMS) {
                        sets[nsets++] = v;
                } else if (!strcmp(a, "--fail") && nfails < MAX_ITEMS) {
                        fails[nfails++] = v;
                } else if (!strcmp(a, "--delay") && ndelays < MAX_ITEMS) {
                        delays[ndelays++] = v;
                } else {
                        return usage_error("unknown option %s", a);
                }
        }
        if (broker_port && broker_port + brokers - 1 > 65535)
                return usage_error("--broker-port %s: the brokers' ports "
                                   "pass 65535",
                                   "");

        /* Before any thread exists: the signals we wait for are blocked in
         * every thread, and only sigwait() below takes them. */
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, NULL);

        if (rmq_mock_cluster_new_ports(&mc, brokers, ns_port, broker_port, err,
                                       sizeof(err)) != RMQ_OK) {
                fprintf(stderr, "rmq-mock-cluster: %s\n", err);
                return 1;
        }
        for (k = 0; k < nsets; k++) {
                char name[128];
                const char *eq = strchr(sets[k], '=');
                if (!eq || (size_t)(eq - sets[k]) >= sizeof(name)) {
                        rmq_mock_cluster_destroy(mc);
                        return usage_error("--set %s: want NAME=VALUE",
                                           sets[k]);
                }
                snprintf(name, sizeof(name), "%.*s", (int)(eq - sets[k]),
                         sets[k]);
                if (rmq_mock_cluster_set(mc, name, eq + 1, err,
                                         sizeof(err)) != RMQ_OK) {
                        rmq_mock_cluster_destroy(mc);
                        return usage_error("%s", err);
                }
        }
        if (print)
                rmq_mock_cluster_set(mc, "printMessages", "true", NULL, 0);
        for (k = 0; k < ntopics; k++) {
                char name[256];
                const char *colon = strchr(topics[k], ':');
                int queues        = 4;
                snprintf(name, sizeof(name), "%.*s",
                         colon ? (int)(colon - topics[k])
                               : (int)strlen(topics[k]),
                         topics[k]);
                if ((colon && parse_int(colon + 1, 1, 65536, &queues)) ||
                    rmq_mock_topic_create(mc, name, -1, queues, queues)) {
                        rmq_mock_cluster_destroy(mc);
                        return usage_error("--topic %s: want NAME[:QUEUES] "
                                           "with a valid topic name",
                                           topics[k]);
                }
        }
        for (k = 0; k < nfails; k++) {
                char buf[256], *f[4] = {NULL, NULL, NULL, NULL}, *save = NULL;
                int code, cnt, resp, target = -1, n = 0;
                snprintf(buf, sizeof(buf), "%s", fails[k]);
                for (f[n] = strtok_r(buf, ":", &save); f[n] && n < 3;
                     f[n] = strtok_r(NULL, ":", &save))
                        n++;
                if (n < 3 || parse_request_code(f[0], &code) ||
                    parse_int(f[1], 1, 1000000, &cnt) ||
                    parse_response(f[2], &resp) ||
                    (f[3] && parse_target(f[3], brokers, &target))) {
                        rmq_mock_cluster_destroy(mc);
                        return usage_error("--fail %s: want "
                                           "CODE:COUNT:RESPONSE[:BROKER]",
                                           fails[k]);
                }
                {
                        int *errs = calloc((size_t)cnt, sizeof(int));
                        int j;
                        for (j = 0; j < cnt; j++)
                                errs[j] = resp;
                        rmq_mock_push_request_errors_array(
                            mc, target, code, (size_t)cnt, errs);
                        free(errs);
                }
        }
        for (k = 0; k < ndelays; k++) {
                char buf[128];
                char *colon;
                int ms, target = -1, b;
                snprintf(buf, sizeof(buf), "%s", delays[k]);
                colon = strchr(buf, ':');
                if (colon)
                        *colon = '\0';
                if (parse_int(buf, 0, INT_MAX, &ms) ||
                    (colon && parse_target(colon + 1, brokers, &target))) {
                        rmq_mock_cluster_destroy(mc);
                        return usage_error("--delay %s: want MS[:BROKER]",
                                           delays[k]);
                }
                for (b = 0; b < brokers; b++)
                        if (target == -1 || target == b)
                                rmq_mock_broker_set_rtt(mc, b, ms);
                if (target == -2)
                        rmq_mock_broker_set_rtt(mc, -2, ms);
        }

        printf("namesrv: %s\n", rmq_mock_cluster_namesrv_addr(mc));
        for (i = 0; i < brokers; i++)
                printf("%s: %s\n", rmq_mock_broker_name(mc, i),
                       rmq_mock_broker_addr(mc, i));
        fflush(stdout);

        while (sigwait(&set, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
                ;
        rmq_mock_cluster_destroy(mc);
        return 0;
}
