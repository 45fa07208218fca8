/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A producer on a cluster with ACL (Java: new DefaultMQProducer(group,
 * new AclClientRPCHook(new SessionCredentials(accessKey, secretKey)))).
 *
 *   producer_acl [-n namesrv] [-g group] [-c count] --access-key AK
 *                [--secret-key SK] [--security-token TOKEN] [topic]
 *
 * The secret key defaults to the ROCKETMQ_SECRET_KEY environment variable
 * (better than the command line, which other users may see). Every
 * request the producer sends is signed; a broker that refuses it answers
 * with the reason (an AclException: unknown key, bad signature, missing
 * permission), printed here. The secret itself is never printed or
 * logged by the library.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rocketmq/rocketmq.h>

static int usage(const char *prog, int status) {
        fprintf(stderr,
                "usage: %s [-n namesrv] [-g group] [-c count] "
                "--access-key AK [--secret-key SK] "
                "[--security-token TOKEN] [topic]\n",
                prog);
        return status;
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {
            {"access-key", required_argument, NULL, 'A'},
            {"secret-key", required_argument, NULL, 'S'},
            {"security-token", required_argument, NULL, 'T'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0}};
        const char *namesrv = NULL, *topic = "TopicTest", *group = "PG_ACL";
        const char *ak = NULL, *sk = getenv("ROCKETMQ_SECRET_KEY");
        const char *token = NULL;
        int count = 3, opt, i, failed = 0;
        char errstr[512];
        rmq_conf_t *conf;
        rmq_producer_t *prod;

        while ((opt = getopt_long(argc, argv, "n:g:c:h", longopts, NULL)) !=
               -1) {
                switch (opt) {
                case 'n': namesrv = optarg; break;
                case 'g': group = optarg; break;
                case 'c': count = atoi(optarg); break;
                case 'A': ak = optarg; break;
                case 'S': sk = optarg; break;
                case 'T': token = optarg; break;
                default: return usage(argv[0], opt == 'h' ? 0 : 2);
                }
        }
        if (optind < argc)
                topic = argv[optind++];
        if (optind < argc || !ak || !sk)
                return usage(argv[0], 2);

        conf = rmq_conf_new();
        if ((namesrv && rmq_conf_set(conf, "namesrvAddr", namesrv, errstr,
                                     sizeof(errstr))) ||
            rmq_conf_set(conf, "producerGroup", group, errstr,
                         sizeof(errstr)) ||
            rmq_conf_set(conf, "accessKey", ak, errstr, sizeof(errstr)) ||
            rmq_conf_set(conf, "secretKey", sk, errstr, sizeof(errstr)) ||
            (token && rmq_conf_set(conf, "securityToken", token, errstr,
                                   sizeof(errstr)))) {
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
                snprintf(body, sizeof(body), "Hello ACL %d", i);
                rmq_message_set_body(msg, body, strlen(body));
                err = rmq_producer_send(prod, msg, &res, errstr,
                                        sizeof(errstr));
                if (err) {
                        fprintf(stderr, "send %d failed: %s (%s)\n", i, errstr,
                                rmq_err2name(err));
                        failed++;
                } else {
                        printf("SendResult [sendStatus=%s, msgId=%s]\n",
                               rmq_send_status_name(
                                   rmq_send_result_status(res)),
                               rmq_send_result_msg_id(res));
                        rmq_send_result_destroy(res);
                }
                rmq_message_destroy(msg);
        }
        rmq_producer_destroy(prod);
        return failed ? 1 : 0;
}
