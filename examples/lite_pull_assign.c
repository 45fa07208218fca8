/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lite pull consumer, assign mode (Java: DefaultLitePullConsumer with
 * assign(), seek() and commitSync(), as LitePullConsumerAssign).
 *
 *   lite_pull_assign [-n namesrv] [-t topic] [-g group] [-e expression]
 *                    [-c count] [--from first|last|yyyyMMddHHmmss|ms]
 *                    [-X name=value]...
 *
 * No rebalance: the consumer takes every readable queue of the topic
 * (rmq_lite_pull_consumer_fetch_message_queues() and _assign()), and
 * with --from puts each one where it should start:
 *   first           rmq_lite_pull_consumer_seek_to_begin()
 *   last            rmq_lite_pull_consumer_seek_to_end(): new messages only
 *   TIME            rmq_lite_pull_consumer_offset_for_timestamp(), then
 *                   _seek(); TIME is local yyyyMMddHHmmss or ms since the
 *                   epoch. The broker answers the offset of the stored
 *                   message whose time is nearest (its last message when
 *                   all are older).
 * Without --from a queue starts at the group's committed offset (or
 * consumeFromWhere when it has none).
 *
 * autoCommit is off: after each poll the example commits what poll()
 * returned (rmq_lite_pull_consumer_commit_sync()); the client instance
 * sends the committed offsets to the brokers every
 * persistConsumerOffsetInterval (5 s) and at shutdown.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rocketmq/rocketmq.h>

#include "lite_pull_common.h"

/* After each poll. When -c COUNT is reached inside the batch, commit the
 * queue only up to the first message not printed (never past what poll()
 * returned); the group receives the others again. */
static void on_batch(rmq_lite_pull_consumer_t *lpc,
                     rmq_message_ext_t *const *msgs, size_t cnt,
                     size_t printed) {
        rmq_message_queue_t *mq;
        int64_t offset;
        char errstr[512] = "";
        rmq_err_t err;
        if (printed == cnt) {
                if ((err = rmq_lite_pull_consumer_commit_sync(lpc)))
                        fprintf(stderr, "commit: %s\n", rmq_err2str(err));
                return;
        }
        mq     = cc_lite_queue_of(msgs[printed]);
        offset = rmq_message_ext_queue_offset(msgs[printed]);
        if (rmq_lite_pull_consumer_commit_offsets(
                lpc, (const rmq_message_queue_t *const *)&mq, &offset, 1, 0,
                errstr, sizeof(errstr)))
                fprintf(stderr, "commit: %s\n", errstr);
        rmq_message_queue_destroy(mq);
}

/* --from TIME in ms since the epoch: local yyyyMMddHHmmss (14 digits, as
 * Java's consumeTimestamp) or a number of ms. -1 if it is neither. */
static int64_t from_millis(const char *from) {
        struct tm tm;
        char *end;
        long long ms;
        if (strlen(from) == 14) {
                memset(&tm, 0, sizeof(tm));
                if (sscanf(from, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon,
                           &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                           &tm.tm_sec) != 6)
                        return -1;
                tm.tm_year -= 1900;
                tm.tm_mon -= 1;
                tm.tm_isdst = -1;
                return (int64_t)mktime(&tm) * 1000;
        }
        errno = 0;
        ms    = strtoll(from, &end, 10);
        return errno || *end || ms < 0 ? -1 : (int64_t)ms;
}

/* Where --from puts \p mq. */
static rmq_err_t start_at(rmq_lite_pull_consumer_t *lpc,
                          const rmq_message_queue_t *mq, const char *from,
                          char *errstr, size_t errstr_size) {
        int64_t ts, offset;
        rmq_err_t err;
        if (!strcmp(from, "first"))
                return rmq_lite_pull_consumer_seek_to_begin(lpc, mq, errstr,
                                                            errstr_size);
        if (!strcmp(from, "last"))
                return rmq_lite_pull_consumer_seek_to_end(lpc, mq, errstr,
                                                          errstr_size);
        if ((ts = from_millis(from)) < 0) {
                snprintf(errstr, errstr_size, "bad time %s", from);
                return RMQ_ERR__INVALID_ARG;
        }
        if ((err = rmq_lite_pull_consumer_offset_for_timestamp(
                 lpc, mq, ts, &offset, errstr, errstr_size)))
                return err;
        fprintf(stderr, "%s:%d: offset %lld for %lld ms\n",
                rmq_message_queue_broker_name(mq),
                rmq_message_queue_queue_id(mq), (long long)offset,
                (long long)ts);
        return rmq_lite_pull_consumer_seek(lpc, mq, offset, errstr,
                                           errstr_size);
}

int main(int argc, char **argv) {
        cc_opts_t o = {.topic       = "TopicTest",
                       .group       = "CG_LITE_ASSIGN",
                       .expression  = "*",
                       .from_millis = 1};
        char errstr[512];
        rmq_lite_pull_consumer_t *lpc;
        rmq_message_queue_t **mqs;
        size_t mq_cnt, i;
        int sig;

        if (!(lpc = cc_lite_setup(argc, argv, &o,
                                  "Lite pull consumer, assign mode, commits "
                                  "after each poll (Java "
                                  "DefaultLitePullConsumer assign + seek + "
                                  "poll + commitSync).",
                                  "false")))
                return 1;
        /* The tag expression of assigned queues is set before start. */
        if (rmq_lite_pull_consumer_set_sub_expression_for_assign(
                lpc, o.topic, o.expression, errstr, sizeof(errstr)) ||
            rmq_lite_pull_consumer_start(lpc, errstr, sizeof(errstr)))
                return cc_lite_fail(lpc, "cannot start the consumer", errstr);
        if (rmq_lite_pull_consumer_fetch_message_queues(
                lpc, o.topic, &mqs, &mq_cnt, errstr, sizeof(errstr)))
                return cc_lite_fail(lpc, "cannot fetch the queues", errstr);
        if (rmq_lite_pull_consumer_assign(
                lpc, (const rmq_message_queue_t *const *)mqs, mq_cnt, errstr,
                sizeof(errstr))) {
                rmq_message_queues_destroy(mqs, mq_cnt);
                return cc_lite_fail(lpc, "cannot assign the queues", errstr);
        }
        for (i = 0; o.from && i < mq_cnt; i++) {
                if (start_at(lpc, mqs[i], o.from, errstr, sizeof(errstr))) {
                        fprintf(stderr, "%s:%d: %s\n",
                                rmq_message_queue_broker_name(mqs[i]),
                                rmq_message_queue_queue_id(mqs[i]), errstr);
                        rmq_message_queues_destroy(mqs, mq_cnt);
                        return cc_lite_fail(lpc, "cannot seek", o.from);
                }
        }
        fprintf(stderr, "polling %zu queues of %s from %s (group %s)\n", mq_cnt,
                o.topic, o.from ? o.from : "the committed offsets", o.group);
        rmq_message_queues_destroy(mqs, mq_cnt);

        sig = cc_lite_poll_loop(lpc, on_batch);
        /* Sends the committed offsets to the brokers and leaves. */
        rmq_lite_pull_consumer_shutdown(lpc);
        rmq_lite_pull_consumer_destroy(lpc);
        return sig < 0 ? 1 : cc_exit_status(sig);
}
