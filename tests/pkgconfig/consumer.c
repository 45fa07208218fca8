/* SPDX-License-Identifier: Apache-2.0 */
/* Built outside the tree against an installed rocketmq-c, through
 * pkg-config and through find_package(rocketmq-c). */
#include <stdio.h>
#include <string.h>

#include <rocketmq/rocketmq.h>

int main(void) {
        rmq_conf_t *conf = rmq_conf_new();
        char errstr[256], val[64];
        size_t vlen = sizeof(val);
        if (rmq_version() != RMQ_VERSION_HEX ||
            strcmp(rmq_version_str(), RMQ_VERSION_STR)) {
                fprintf(stderr, "version mismatch\n");
                return 1;
        }
        if (rmq_conf_set(conf, "sendMsgTimeout", "1234", errstr,
                         sizeof(errstr)) != RMQ_OK ||
            rmq_conf_get(conf, "sendMsgTimeout", val, &vlen) != RMQ_OK ||
            strcmp(val, "1234")) {
                fprintf(stderr, "conf failed: %s\n", errstr);
                return 1;
        }
        if (rmq_conf_set(conf, "noSuchProperty", "1", errstr,
                         sizeof(errstr)) != RMQ_ERR__CONF_UNKNOWN) {
                fprintf(stderr, "unknown property accepted\n");
                return 1;
        }
        printf("rocketmq-c %s: %s\n", rmq_version_str(),
               rmq_err2str(RMQ_ERR_TOPIC_NOT_EXIST));
        rmq_conf_destroy(conf);
        return 0;
}
