/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PullAPIWrapper (4.9.8), shared by the push and the lite pull consumer:
 * pullKernelImpl (the broker to pull from and the PULL_MESSAGE request)
 * and processPullResult (the found messages decoded, filtered by tag and
 * given their queue's min/max offsets and the broker name).
 *
 * Threads: any thread but the I/O thread (a route may be fetched).
 */
#ifndef RMQ_PULL_API_H
#define RMQ_PULL_API_H

#include "client/rmq_client.h"
#include "client/rmq_client_api.h"
#include "client/rmq_message_ext_int.h"
#include "protocol/rmq_heartbeat.h"

/* What pullKernelImpl is given (strings borrowed). */
typedef struct rmq_pull_args_s {
        const rmq_mq_t *mq;
        const char *group; /* with the namespace */
        const rmq_subscription_data_t *sd;
        bool send_subscription; /* put sd->subString in the header */
        int64_t sub_version;
        int64_t offset;
        int32_t max_nums;
        int32_t sys_flag; /* RMQ_PULL_FLAG_* */
        int64_t commit_offset;
        int64_t suspend_ms; /* suspendTimeoutMillis */
        int64_t broker_id;  /* the one the last answer suggested */
} rmq_pull_args_t;

/* mirrors PullAPIWrapper.pullKernelImpl up to the send: the broker of
 * a->mq (the suggested one; the route fetched once if it is unknown) into
 * \p addr, and the request into \p *reqp (the commit flag cleared for a
 * slave). RMQ_OK, RMQ_ERR__NO_BROKER ("The broker[...] not exist") or
 * RMQ_ERR__NOT_SUPPORTED (SQL92 to a broker older than 4.1.0), with the
 * reason in \p err. */
rmq_err_t rmq__pull_build(rmq_client_t *ci, const rmq_conf_t *conf,
                          const rmq_pull_args_t *a, char *addr,
                          size_t addr_size, rmq_cmd_t **reqp, char *err,
                          size_t err_size);

/* mirrors PullAPIWrapper.processPullResult for FOUND: decodes res's body
 * (taking res->storage, also on failure) into \p *batchp, the messages not
 * matching the tags of \p sd left out, the topics without \p ns; with
 * \p retry_group (the push consumer's group) retried messages show their
 * original topic (resetRetryAndNamespace). Errors as
 * rmq__msg_batch_decode. */
rmq_err_t rmq__pull_decode(rmq_client_t *ci, rmq_pull_result_t *res,
                           const rmq_mq_t *mq,
                           const rmq_subscription_data_t *sd,
                           const char *retry_group, const char *ns,
                           rmq_msg_batch_t **batchp, char *err,
                           size_t err_size);

#endif /* RMQ_PULL_API_H */
