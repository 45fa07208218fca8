/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq-mock-cluster: the built-in mock cluster as a program, for examples,
 * quick starts and tests in other languages (the real Java client works
 * against it). Prints the name server and broker addresses, then serves
 * until SIGINT or SIGTERM. With --control it also reads commands, one a
 * line, on stdin and answers each with one line on stdout, so any fault
 * the API offers can be scripted at run time.
 *
 * The library installs no signal handler: this program blocks SIGINT and
 * SIGTERM before any thread starts and waits for them with sigwait(). The
 * control thread runs each command under ctl_lock; the main thread takes
 * it before destroying the cluster, so no command runs during or after
 * that (the control thread may stay blocked reading stdin: the process
 * exits without joining it).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rocketmq/rmq_mock.h"

#define MAX_ITEMS 256
#define MAX_LINE  4096

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
    "                           never answers, SUCCESS lets the request\n"
    "                           through) on broker BROKER (id or name;\n"
    "                           default any broker; \"namesrv\" for the name\n"
    "                           server); the answer has the response header\n"
    "                           a Java client decodes for it; repeatable\n"
    "  --delay MS[:BROKER]      delay every answer of BROKER (id, name or\n"
    "                           \"namesrv\"; default every broker) by MS\n"
    "  --acl FILE               enforce ACL on the brokers as a 4.9.8 broker\n"
    "                           with aclEnable=true does; FILE holds\n"
    "                           plain_acl.yml's content as JSON (see\n"
    "                           docs/SECURITY.md)\n"
    "  --http-port P            serve the name server lookup endpoint\n"
    "                           (GET /rocketmq/<any>, the list as text) on\n"
    "                           127.0.0.1:P (0 = any); clients find it with\n"
    "                           rocketmq.namesrv.domain=127.0.0.1:P\n"
    "  --print-messages         print every stored message on stdout\n"
    "  --tls-cert FILE          serve TLS with this PEM certificate ...\n"
    "  --tls-key FILE           ... and this PEM private key\n"
    "  --tls-ca FILE            require client certificates signed by the\n"
    "                           CAs of FILE (mutual TLS)\n"
    "  --tls-selfsigned DIR     write a test CA and certificates into DIR\n"
    "                           (DIR/ca.pem for clients; see rmq_mock.h)\n"
    "                           and serve TLS with DIR/server.pem\n"
    "  --control                read commands on stdin (see below)\n"
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
    "  queryIndexCollisions=false       QUERY_MESSAGE answers every message\n"
    "                                   of the time range (hash collisions)\n"
    "  traceTopicEnable=false           create RMQ_SYS_TRACE_TOPIC (1 queue)\n"
    "                                   for message traces\n"
    "\n"
    "Control commands (--control), one a line on stdin; each is answered\n"
    "with one line on stdout, \"ok ...\" or \"error: REASON\". BROKER is an\n"
    "id or a name (broker-a); fail, delay, close and count also take\n"
    "\"namesrv\". End of input ends the commands, not the program.\n"
    "  fail CODE:COUNT:RESPONSE[:BROKER]   as --fail\n"
    "  delay MS[:BROKER]                   as --delay\n"
    "  clear                               drop the pending injected answers\n"
    "  down BROKER                         stop a broker (data kept)\n"
    "  up BROKER                           restart it on the same port\n"
    "  unregister BROKER / register BROKER take it out of / back into routes\n"
    "  close [BROKER]                      close client connections of a\n"
    "                                      broker or namesrv (default: all)\n"
    "  topic NAME[:QUEUES]                 as --topic\n"
    "  queues TOPIC READ WRITE [BROKER]    set a topic's queue counts\n"
    "                                      (default: every broker)\n"
    "  perm TOPIC PERM [BROKER]            set a topic's perm (6 = RW)\n"
    "  set NAME=VALUE                      as --set\n"
    "  notify GROUP                        NOTIFY_CONSUMER_IDS_CHANGED to\n"
    "                                      the group's clients\n"
    "  reset GROUP TOPIC TIMESTAMP [force] reset the group's offsets on the\n"
    "                                      topic to those at TIMESTAMP (ms;\n"
    "                                      -1: the max offsets) as mqadmin\n"
    "                                      resetOffsetByTime; without force\n"
    "                                      offsets only move back\n"
    "  acl FILE | acl off                  enforce the ACL of FILE (as\n"
    "                                      --acl), or stop enforcing\n"
    "  count CODE [BROKER]                 requests with CODE received so\n"
    "                                      far (\"ok N\"; BROKER may be\n"
    "                                      namesrv; default: all)\n"
    "  http-list [LIST]                    the list the lookup endpoint\n"
    "                                      answers (none: the name server)\n"
    "  http-mode ok|close|hang|garbage|STATUS  how it answers (STATUS: e.g.\n"
    "                                      500, with body \"error\")\n"
    "  help                                the command names\n"
    "\n"
    "Exit status: 0 after SIGINT/SIGTERM, 1 if the cluster cannot start,\n"
    "2 for a usage error.\n";

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
            {"INVOKE_BROKER_TO_RESET_OFFSET",
             RMQ_REQ_INVOKE_BROKER_TO_RESET_OFFSET},
            {"INVOKE_BROKER_TO_GET_CONSUMER_STATUS",
             RMQ_REQ_INVOKE_BROKER_TO_GET_CONSUMER_STATUS},
            {"CONSUME_MESSAGE_DIRECTLY", RMQ_REQ_CONSUME_MESSAGE_DIRECTLY},
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
 * e.g. SYSTEM_BUSY or _TRANSPORT; SUCCESS is 0. */
static int parse_response(const char *s, int *out) {
        int c;
        if (!strncmp(s, "RMQ_ERR_", 8))
                s += 8;
        if (!parse_int(s, -1000, 32767, out))
                return 0;
        if (!strcmp(s, "SUCCESS") || !strcmp(s, "OK")) {
                *out = 0;
                return 0;
        }
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

/* A broker only: an id or a name. */
static int parse_broker(const char *s, int broker_cnt, int *out) {
        return parse_target(s, broker_cnt, out) || *out < 0 ? -1 : 0;
}

/* ---- what options and commands do (one place for both) ---- */

/* Each returns 0, or -1 with the reason in err. */

/* CODE:COUNT:RESPONSE[:BROKER] */
static int apply_fail(rmq_mock_cluster_t *mc, int brokers, const char *spec,
                      char *err, size_t err_size) {
        char buf[256], *f[4] = {NULL, NULL, NULL, NULL}, *save = NULL;
        int code, cnt, resp, target = -1, n = 0, j;
        int *errs;
        snprintf(buf, sizeof(buf), "%s", spec);
        for (f[n] = strtok_r(buf, ":", &save); f[n] && n < 3;
             f[n] = strtok_r(NULL, ":", &save))
                n++;
        if (n < 3 || parse_request_code(f[0], &code) ||
            parse_int(f[1], 1, 1000000, &cnt) || parse_response(f[2], &resp) ||
            (f[3] && parse_target(f[3], brokers, &target))) {
                snprintf(err, err_size, "%s: want CODE:COUNT:RESPONSE[:BROKER]",
                         spec);
                return -1;
        }
        errs = calloc((size_t)cnt, sizeof(int));
        if (!errs) {
                snprintf(err, err_size, "out of memory");
                return -1;
        }
        for (j = 0; j < cnt; j++)
                errs[j] = resp;
        rmq_mock_push_request_errors_array(mc, target, code, (size_t)cnt, errs);
        free(errs);
        return 0;
}

/* MS[:BROKER] */
static int apply_delay(rmq_mock_cluster_t *mc, int brokers, const char *spec,
                       char *err, size_t err_size) {
        char buf[128];
        char *colon;
        int ms, target = -1, b;
        snprintf(buf, sizeof(buf), "%s", spec);
        colon = strchr(buf, ':');
        if (colon)
                *colon = '\0';
        if (parse_int(buf, 0, INT_MAX, &ms) ||
            (colon && parse_target(colon + 1, brokers, &target))) {
                snprintf(err, err_size, "%s: want MS[:BROKER]", spec);
                return -1;
        }
        for (b = 0; b < brokers; b++)
                if (target == -1 || target == b)
                        rmq_mock_broker_set_rtt(mc, b, ms);
        if (target == -2)
                rmq_mock_broker_set_rtt(mc, -2, ms);
        return 0;
}

/* NAME[:QUEUES] */
static int apply_topic(rmq_mock_cluster_t *mc, const char *spec, char *err,
                       size_t err_size) {
        char name[256];
        const char *colon = strchr(spec, ':');
        int queues        = 4;
        snprintf(name, sizeof(name), "%.*s",
                 colon ? (int)(colon - spec) : (int)strlen(spec), spec);
        if ((colon && parse_int(colon + 1, 1, 65536, &queues)) ||
            rmq_mock_topic_create(mc, name, -1, queues, queues)) {
                snprintf(err, err_size,
                         "%s: want NAME[:QUEUES] with a valid topic name",
                         spec);
                return -1;
        }
        return 0;
}

/* NAME=VALUE */
static int apply_set(rmq_mock_cluster_t *mc, const char *spec, char *err,
                     size_t err_size) {
        char name[128];
        const char *eq = strchr(spec, '=');
        if (!eq || (size_t)(eq - spec) >= sizeof(name)) {
                snprintf(err, err_size, "%s: want NAME=VALUE", spec);
                return -1;
        }
        snprintf(name, sizeof(name), "%.*s", (int)(eq - spec), spec);
        return rmq_mock_cluster_set(mc, name, eq + 1, err, err_size) ? -1 : 0;
}

/* --acl FILE / "acl FILE": plain_acl.yml as JSON; "off" (control only)
 * turns ACL off. */
static int apply_acl(rmq_mock_cluster_t *mc, const char *path, char *err,
                     size_t err_size) {
        FILE *f;
        char *json;
        long len;
        int rc;
        if (!strcmp(path, "off"))
                return rmq_mock_cluster_set_acl(mc, NULL, err, err_size) ? -1
                                                                          : 0;
        f = fopen(path, "rb");
        if (!f) {
                snprintf(err, err_size, "%s: %s", path, strerror(errno));
                return -1;
        }
        if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
            fseek(f, 0, SEEK_SET) || len > 16 * 1024 * 1024) {
                snprintf(err, err_size, "%s: cannot read", path);
                fclose(f);
                return -1;
        }
        json = malloc((size_t)len + 1);
        if (!json || fread(json, 1, (size_t)len, f) != (size_t)len) {
                snprintf(err, err_size, "%s: cannot read", path);
                free(json);
                fclose(f);
                return -1;
        }
        fclose(f);
        json[len] = '\0';
        rc = rmq_mock_cluster_set_acl(mc, json, err, err_size) ? -1 : 0;
        free(json);
        return rc;
}

/* ---- the control channel ---- */

typedef struct ctl_s {
        pthread_mutex_t lock;
        rmq_mock_cluster_t *mc; /* NULL once the program stops */
        int brokers;
} ctl_t;

/* Runs one command line; writes the one-line answer into \p out. */
static void ctl_run(ctl_t *ctl, char *line, char *out, size_t size) {
        rmq_mock_cluster_t *mc = ctl->mc;
        char *argv[6], *save = NULL, err[400];
        int argc = 0, id, a, b;
        const char *cmd;
        for (argv[argc] = strtok_r(line, " \t", &save); argv[argc] && argc < 5;
             argv[argc] = strtok_r(NULL, " \t", &save))
                argc++;
        if (!argc) {
                snprintf(out, size, "error: empty command");
                return;
        }
        if (argv[argc]) {
                snprintf(out, size, "error: too many arguments");
                return;
        }
        cmd    = argv[0];
        err[0] = '\0';
        if (!strcmp(cmd, "help")) {
                snprintf(out, size,
                         "ok fail delay clear down up unregister register "
                         "close topic queues perm set notify reset acl count "
                         "http-list http-mode help");
        } else if (!strcmp(cmd, "fail") && argc == 2) {
                if (apply_fail(mc, ctl->brokers, argv[1], err, sizeof(err)))
                        goto fail;
                snprintf(out, size, "ok");
        } else if (!strcmp(cmd, "delay") && argc == 2) {
                if (apply_delay(mc, ctl->brokers, argv[1], err, sizeof(err)))
                        goto fail;
                snprintf(out, size, "ok");
        } else if (!strcmp(cmd, "clear") && argc == 1) {
                rmq_mock_clear_request_errors(mc);
                snprintf(out, size, "ok");
        } else if ((!strcmp(cmd, "down") || !strcmp(cmd, "up") ||
                    !strcmp(cmd, "register") || !strcmp(cmd, "unregister")) &&
                   argc == 2) {
                rmq_err_t e;
                if (parse_broker(argv[1], ctl->brokers, &id)) {
                        snprintf(err, sizeof(err), "no broker %s", argv[1]);
                        goto fail;
                }
                if (!strcmp(cmd, "down"))
                        e = rmq_mock_broker_set_down(mc, id);
                else if (!strcmp(cmd, "up"))
                        e = rmq_mock_broker_set_up(mc, id);
                else
                        e = rmq_mock_broker_set_registered(
                            mc, id, !strcmp(cmd, "register"));
                if (e) {
                        snprintf(err, sizeof(err), "%s", rmq_err2str(e));
                        goto fail;
                }
                snprintf(out, size, "ok");
        } else if (!strcmp(cmd, "close") && argc <= 2) {
                id = -3;
                if (argc == 2 && parse_target(argv[1], ctl->brokers, &id)) {
                        snprintf(err, sizeof(err), "no broker %s", argv[1]);
                        goto fail;
                }
                rmq_mock_close_connections(mc, id);
                snprintf(out, size, "ok");
        } else if (!strcmp(cmd, "topic") && argc == 2) {
                if (apply_topic(mc, argv[1], err, sizeof(err)))
                        goto fail;
                snprintf(out, size, "ok");
        } else if (!strcmp(cmd, "queues") && (argc == 4 || argc == 5)) {
                id = -1;
                if (parse_int(argv[2], 0, 65536, &a) ||
                    parse_int(argv[3], 0, 65536, &b) ||
                    (argc == 5 && parse_broker(argv[4], ctl->brokers, &id))) {
                        snprintf(err, sizeof(err),
                                 "want queues TOPIC READ WRITE [BROKER]");
                        goto fail;
                }
                if (rmq_mock_topic_create(mc, argv[1], id, a, b)) {
                        snprintf(err, sizeof(err), "invalid topic %s", argv[1]);
                        goto fail;
                }
                snprintf(out, size, "ok");
        } else if (!strcmp(cmd, "perm") && (argc == 3 || argc == 4)) {
                id = -1;
                if (parse_int(argv[2], 0, 15, &a) ||
                    (argc == 4 && parse_broker(argv[3], ctl->brokers, &id))) {
                        snprintf(err, sizeof(err),
                                 "want perm TOPIC PERM [BROKER]");
                        goto fail;
                }
                if (rmq_mock_topic_set_perm(mc, argv[1], id, a)) {
                        snprintf(err, sizeof(err), "no topic %s", argv[1]);
                        goto fail;
                }
                snprintf(out, size, "ok");
        } else if (!strcmp(cmd, "set") && argc == 2) {
                if (apply_set(mc, argv[1], err, sizeof(err)))
                        goto fail;
                snprintf(out, size, "ok");
        } else if (!strcmp(cmd, "notify") && argc == 2) {
                if (rmq_mock_group_notify_ids_changed(mc, argv[1])) {
                        snprintf(err, sizeof(err), "no live member of group %s",
                                 argv[1]);
                        goto fail;
                }
                snprintf(out, size, "ok");
        } else if (!strcmp(cmd, "reset") && (argc == 4 || argc == 5)) {
                rmq_err_t e;
                long long ts;
                char *end;
                errno = 0;
                ts    = strtoll(argv[3], &end, 10);
                if (errno || end == argv[3] || *end ||
                    (argc == 5 && strcmp(argv[4], "force"))) {
                        snprintf(err, sizeof(err),
                                 "want reset GROUP TOPIC TIMESTAMP [force]");
                        goto fail;
                }
                e = rmq_mock_group_reset_offset(mc, argv[1], argv[2],
                                                (int64_t)ts, argc == 5);
                if (e) {
                        snprintf(err, sizeof(err), "%s: %s", rmq_err2name(e),
                                 rmq_err2str(e));
                        goto fail;
                }
                snprintf(out, size, "ok");
        } else if (!strcmp(cmd, "acl") && argc == 2) {
                if (apply_acl(mc, argv[1], err, sizeof(err)))
                        goto fail;
                snprintf(out, size, "ok");
        } else if (!strcmp(cmd, "count") && (argc == 2 || argc == 3)) {
                id = -3;
                if (parse_request_code(argv[1], &a) ||
                    (argc == 3 && parse_target(argv[2], ctl->brokers, &id))) {
                        snprintf(err, sizeof(err), "want count CODE [BROKER]");
                        goto fail;
                }
                snprintf(out, size, "ok %zu",
                         rmq_mock_request_count(mc, id, a));
        } else if (!strcmp(cmd, "http-list") && argc <= 2) {
                if (rmq_mock_http_set_list(mc, argc == 2 ? argv[1] : NULL)) {
                        snprintf(err, sizeof(err),
                                 "no lookup endpoint (--http-port)");
                        goto fail;
                }
                snprintf(out, size, "ok");
        } else if (!strcmp(cmd, "http-mode") && argc == 2) {
                rmq_mock_http_mode_t m = RMQ_MOCK_HTTP_STATUS;
                a                      = 0;
                if (!strcmp(argv[1], "ok"))
                        m = RMQ_MOCK_HTTP_OK;
                else if (!strcmp(argv[1], "close"))
                        m = RMQ_MOCK_HTTP_CLOSE;
                else if (!strcmp(argv[1], "hang"))
                        m = RMQ_MOCK_HTTP_HANG;
                else if (!strcmp(argv[1], "garbage"))
                        m = RMQ_MOCK_HTTP_GARBAGE;
                else if (parse_int(argv[1], 100, 999, &a)) {
                        snprintf(err, sizeof(err),
                                 "want http-mode ok|close|hang|garbage|"
                                 "STATUS");
                        goto fail;
                }
                if (rmq_mock_http_set_mode(mc, m, a)) {
                        snprintf(err, sizeof(err),
                                 "no lookup endpoint (--http-port)");
                        goto fail;
                }
                snprintf(out, size, "ok");
        } else {
                snprintf(err, sizeof(err),
                         "unknown command or wrong arguments: %s (try help)",
                         cmd);
                goto fail;
        }
        return;
fail:
        snprintf(out, size, "error: %s", err);
}

/* Answers one line (ctl_lock held by the caller). */
static void ctl_line(ctl_t *ctl, char *line, size_t n, bool too_long) {
        char out[MAX_LINE + 64];
        while (n && line[n - 1] == '\r')
                line[--n] = '\0';
        if (too_long)
                snprintf(out, sizeof(out), "error: line longer than %d bytes",
                         MAX_LINE - 1);
        else
                ctl_run(ctl, line, out, sizeof(out));
        fprintf(stdout, "%s\n", out);
        fflush(stdout);
}

/* Reads and runs commands until end of input. stdin is read with read(2),
 * not stdio, so the process can exit while this thread waits for input
 * (exit() takes no lock this thread holds). */
static void *ctl_main(void *arg) {
        ctl_t *ctl = arg;
        char line[MAX_LINE];
        size_t len    = 0;
        bool too_long = false;
        for (;;) {
                char c;
                ssize_t r = read(0, &c, 1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break; /* end of input: the program goes on */
                if (c != '\n') {
                        if (len + 1 < sizeof(line))
                                line[len++] = c;
                        else
                                too_long = true;
                        continue;
                }
                line[len] = '\0';
                pthread_mutex_lock(&ctl->lock);
                if (!ctl->mc) {
                        pthread_mutex_unlock(&ctl->lock);
                        break;
                }
                ctl_line(ctl, line, len, too_long);
                pthread_mutex_unlock(&ctl->lock);
                len      = 0;
                too_long = false;
        }
        return NULL;
}

int main(int argc, char **argv) {
        int brokers = 2, ns_port = 9876, broker_port = 0, i, sig;
        int http_port = -1;
        const char *topics[MAX_ITEMS], *sets[MAX_ITEMS];
        const char *fails[MAX_ITEMS], *delays[MAX_ITEMS], *acl = NULL;
        size_t ntopics = 0, nsets = 0, nfails = 0, ndelays = 0, k;
        bool print = false, control = false;
        const char *tls_cert = NULL, *tls_key = NULL, *tls_ca = NULL;
        const char *tls_dir = NULL;
        char tls_cert_buf[1024], tls_key_buf[1024];
        rmq_mock_cluster_t *mc;
        char err[512];
        sigset_t set;
        ctl_t ctl;
        pthread_t ctl_thread;

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
                if (!strcmp(a, "--control")) {
                        control = true;
                        continue;
                }
                if (strcmp(a, "--brokers") && strcmp(a, "--namesrv-port") &&
                    strcmp(a, "--broker-port") && strcmp(a, "--topic") &&
                    strcmp(a, "--set") && strcmp(a, "--fail") &&
                    strcmp(a, "--delay") && strcmp(a, "--acl") &&
                    strcmp(a, "--tls-cert") &&
                    strcmp(a, "--tls-key") && strcmp(a, "--tls-ca") &&
                    strcmp(a, "--tls-selfsigned") &&
                    strcmp(a, "--http-port"))
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
                } else if (!strcmp(a, "--http-port")) {
                        if (parse_int(v, 0, 65535, &http_port))
                                return usage_error("--http-port %s: want "
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
                } else if (!strcmp(a, "--acl")) {
                        acl = v;
                } else if (!strcmp(a, "--tls-cert")) {
                        tls_cert = v;
                } else if (!strcmp(a, "--tls-key")) {
                        tls_key = v;
                } else if (!strcmp(a, "--tls-ca")) {
                        tls_ca = v;
                } else if (!strcmp(a, "--tls-selfsigned")) {
                        tls_dir = v;
                } else {
                        return usage_error("unknown option %s", a);
                }
        }
        if (tls_dir && (tls_cert || tls_key))
                return usage_error("--tls-selfsigned %s goes without "
                                   "--tls-cert and --tls-key",
                                   tls_dir);
        if (!tls_dir && (!tls_cert != !tls_key || (tls_ca && !tls_cert)))
                return usage_error("%s: --tls-cert and --tls-key go together "
                                   "(and --tls-ca needs them)",
                                   "TLS");
        if (tls_dir) {
                if (rmq_mock_tls_generate(tls_dir, err, sizeof(err))) {
                        fprintf(stderr, "rmq-mock-cluster: %s\n", err);
                        return 1;
                }
                snprintf(tls_cert_buf, sizeof(tls_cert_buf), "%s/server.pem",
                         tls_dir);
                snprintf(tls_key_buf, sizeof(tls_key_buf), "%s/server.key",
                         tls_dir);
                tls_cert = tls_cert_buf;
                tls_key  = tls_key_buf;
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
        if (tls_cert && rmq_mock_cluster_set_tls(mc, tls_cert, tls_key, tls_ca,
                                                 err, sizeof(err))) {
                fprintf(stderr, "rmq-mock-cluster: %s\n", err);
                rmq_mock_cluster_destroy(mc);
                return 1;
        }
        for (k = 0; k < nsets; k++) {
                if (apply_set(mc, sets[k], err, sizeof(err))) {
                        rmq_mock_cluster_destroy(mc);
                        return usage_error("--set %s", err);
                }
        }
        if (print)
                rmq_mock_cluster_set(mc, "printMessages", "true", NULL, 0);
        for (k = 0; k < ntopics; k++) {
                if (apply_topic(mc, topics[k], err, sizeof(err))) {
                        rmq_mock_cluster_destroy(mc);
                        return usage_error("--topic %s", err);
                }
        }
        for (k = 0; k < nfails; k++) {
                if (apply_fail(mc, brokers, fails[k], err, sizeof(err))) {
                        rmq_mock_cluster_destroy(mc);
                        return usage_error("--fail %s", err);
                }
        }
        for (k = 0; k < ndelays; k++) {
                if (apply_delay(mc, brokers, delays[k], err, sizeof(err))) {
                        rmq_mock_cluster_destroy(mc);
                        return usage_error("--delay %s", err);
                }
        }

        if (acl && apply_acl(mc, acl, err, sizeof(err))) {
                rmq_mock_cluster_destroy(mc);
                return usage_error("--acl %s", err);
        }

        if (http_port >= 0 &&
            rmq_mock_http_start(mc, http_port, &http_port, err, sizeof(err))) {
                fprintf(stderr, "rmq-mock-cluster: %s\n", err);
                rmq_mock_cluster_destroy(mc);
                return 1;
        }
        printf("namesrv: %s\n", rmq_mock_cluster_namesrv_addr(mc));
        if (http_port >= 0)
                printf("http: 127.0.0.1:%d\n", http_port);
        for (i = 0; i < brokers; i++)
                printf("%s: %s\n", rmq_mock_broker_name(mc, i),
                       rmq_mock_broker_addr(mc, i));
        fflush(stdout);

        pthread_mutex_init(&ctl.lock, NULL);
        ctl.mc      = mc;
        ctl.brokers = brokers;
        if (control) {
                /* "count" answers from the start. */
                rmq_mock_start_request_tracking(mc);
                if (pthread_create(&ctl_thread, NULL, ctl_main, &ctl)) {
                        fprintf(stderr,
                                "rmq-mock-cluster: cannot start the control "
                                "thread\n");
                        rmq_mock_cluster_destroy(mc);
                        return 1;
                }
                pthread_detach(ctl_thread);
        }

        while (sigwait(&set, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
                ;
        pthread_mutex_lock(&ctl.lock);
        ctl.mc = NULL;
        rmq_mock_cluster_destroy(mc);
        fflush(stdout);
        pthread_mutex_unlock(&ctl.lock);
        return 0;
}
