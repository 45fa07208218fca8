/* SPDX-License-Identifier: Apache-2.0 */
#include "common/rmq_common.h"

const char *rmq_err2str(rmq_err_t err) {
        switch ((int)err) {
        case RMQ_OK:
                return "Success";
#define RMQ_ERR_XX(name, code, desc)                                           \
        case code:                                                             \
                return desc;
                RMQ_ERR_MAP(RMQ_ERR_XX)
#undef RMQ_ERR_XX
        default:
                return (int)err < 0 ? "Local: unknown error"
                                    : "Broker: unknown response code";
        }
}

const char *rmq_err2name(rmq_err_t err) {
        switch ((int)err) {
        case RMQ_OK:
                return "OK";
#define RMQ_ERR_XX(name, code, desc)                                           \
        case code:                                                             \
                return #name;
                RMQ_ERR_MAP(RMQ_ERR_XX)
#undef RMQ_ERR_XX
        default:
                return "UNKNOWN";
        }
}
