/* SPDX-License-Identifier: Apache-2.0 */
#include "rocketmq/rmq_version.h"

int rmq_version(void) {
        return RMQ_VERSION_HEX;
}

const char *rmq_version_str(void) {
        return RMQ_VERSION_STR;
}
