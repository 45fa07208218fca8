/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transactional messages. mirrors TransactionMQProducer (the listener, the
 * check executor's bounds), DefaultMQProducerImpl.sendMessageInTransaction,
 * endTransaction, checkTransactionState (the check runnable and its
 * END_TRANSACTION answer), initTransactionEnv / destroyTransactionEnv, and
 * ClientRemotingProcessor.checkTransactionState (the decoding; the client
 * instance routes the request to the producer of the half message's
 * PGROUP, rmq_client_processor.c).
 *
 * The check executor is a pool of checkThreadPoolMinSize threads with at
 * most checkRequestHoldMax checks waiting (Java's ThreadPoolExecutor over a
 * LinkedBlockingQueue(checkRequestHoldMax)). At shutdown the checks still
 * waiting are dropped (each job, run by the stopping pool, sees `stopping`
 * and only logs), the running ones finish and answer.
 */
#include <stdio.h>

#include "client/rmq_client_api.h"
#include "client/rmq_message_ext_int.h"
#include "client/rmq_message_int.h"
#include "client/rmq_trace.h"
#include "common/rmq_str.h"
#include "common/rmq_thread.h"
#include "producer/rmq_producer_int.h"
#include "protocol/rmq_message_codec.h"
#include "rocketmq/rmq_transaction.h"

/* MQClientAPIImpl.endTransactionOneway's timeout in the check runnable. */
#define CHECK_END_TIMEOUT_MS 3000

struct rmq_txn_s {
        rmq_transaction_execute_cb_t *execute;
        rmq_transaction_check_cb_t *check;
        void *opaque;
        uv_mutex_t lock;
        rmq_pool_t *pool; /* the check executor while started */
        bool stopping;
        int64_t waiting;  /* accepted checks not started yet */
        int64_t hold_max; /* checkRequestHoldMax */
};

struct rmq_transaction_send_result_s {
        rmq_send_result_t *sr; /* the half message's */
        rmq_local_transaction_state_t state;
};

/* One CHECK_TRANSACTION_STATE: the header fields the answer needs and the
 * decoded half message. */
typedef struct check_s {
        rmq_job_t job;
        rmq_producer_t *prod;
        rmq_txn_t *txn;
        rmq_msg_batch_t *batch;
        int64_t tranStateTableOffset;
        int64_t commitLogOffset;
        char *transactionId; /* NULL when absent */
        char *bname;         /* NULL when absent (4.9.x brokers) */
        char *addr;          /* the asking broker */
} check_t;

const char *
rmq_local_transaction_state_name(rmq_local_transaction_state_t state) {
        switch (state) {
        case RMQ_TXN_COMMIT_MESSAGE:
                return "COMMIT_MESSAGE";
        case RMQ_TXN_ROLLBACK_MESSAGE:
                return "ROLLBACK_MESSAGE";
        case RMQ_TXN_UNKNOWN:
                return "UNKNOW";
        default:
                return "UNKNOWN_STATE";
        }
}

/* LocalTransactionState -> MessageSysFlag TRANSACTION_*_TYPE, as the
 * switches of endTransaction and processTransactionState. */
static int32_t commit_or_rollback(rmq_local_transaction_state_t state) {
        switch (state) {
        case RMQ_TXN_COMMIT_MESSAGE:
                return RMQ_SYSFLAG_TRANSACTION_COMMIT;
        case RMQ_TXN_ROLLBACK_MESSAGE:
                return RMQ_SYSFLAG_TRANSACTION_ROLLBACK;
        default:
                return RMQ_SYSFLAG_TRANSACTION_NOT;
        }
}

/* Runs a listener callback: the state it gives, RMQ_TXN_UNKNOWN on a
 * failure (Java's exception) or an out-of-range state; on a failure
 * \p remark receives "<prefix>RMQ_ERR_<name>: <reason>" (Java's
 * exception text in the END_TRANSACTION remark). */
static rmq_local_transaction_state_t
settle(const rmq_logger_t *lg, rmq_err_t err,
       rmq_local_transaction_state_t state, const char *reason,
       const char *prefix, char *remark, size_t remark_size) {
        remark[0] = '\0';
        if (err) {
                snprintf(remark, remark_size, "%sRMQ_ERR_%s: %s", prefix,
                         rmq_err2name(err),
                         reason[0] ? reason : rmq_err2str(err));
                return RMQ_TXN_UNKNOWN;
        }
        if (state != RMQ_TXN_COMMIT_MESSAGE &&
            state != RMQ_TXN_ROLLBACK_MESSAGE && state != RMQ_TXN_UNKNOWN) {
                rmq__log(lg, RMQ_LOG_WARN, "PRODUCER",
                         "the transaction listener returned the state %d, "
                         "taken as UNKNOW",
                         (int)state);
                return RMQ_TXN_UNKNOWN;
        }
        return state;
}

/* ---- the listener ---- */

static void txn_free(rmq_txn_t *txn) {
        if (!txn)
                return;
        uv_mutex_destroy(&txn->lock);
        rmq__free(txn);
}

rmq_err_t rmq_producer_set_transaction_listener(
    rmq_producer_t *prod, rmq_transaction_execute_cb_t *execute_cb,
    rmq_transaction_check_cb_t *check_cb, void *opaque) {
        const rmq_conf_t *conf;
        rmq_txn_t *txn;
        rmq_err_t err;
        if (!prod || !execute_cb || !check_cb)
                return RMQ_ERR__INVALID_ARG;
        conf = rmq__producer_conf(prod);
        if (conf->checkThreadPoolMaxSize < conf->checkThreadPoolMinSize)
                return RMQ_ERR__CONF_INVALID;
        txn           = rmq__calloc(1, sizeof(*txn));
        txn->execute  = execute_cb;
        txn->check    = check_cb;
        txn->opaque   = opaque;
        txn->hold_max = conf->checkRequestHoldMax;
        uv_mutex_init(&txn->lock);
        err = rmq__producer_set_txn(prod, &txn);
        txn_free(txn); /* the replaced listener, or the refused one */
        return err;
}

/* ---- the check executor (initTransactionEnv / destroyTransactionEnv) ---- */

void rmq__txn_start(rmq_txn_t *txn, rmq_producer_t *prod) {
        rmq_pool_t *pool;
        if (!txn)
                return;
        pool = rmq__pool_new(
            "rmq-txchk", (int)rmq__producer_conf(prod)->checkThreadPoolMinSize);
        if (!pool)
                rmq__log(rmq__producer_logger(prod), RMQ_LOG_ERROR,
                         "PRODUCER",
                         "cannot start the transaction check executor: "
                         "CHECK_TRANSACTION_STATE requests will be dropped");
        uv_mutex_lock(&txn->lock);
        txn->pool = pool;
        uv_mutex_unlock(&txn->lock);
}

bool rmq__txn_on_check_thread(rmq_txn_t *txn) {
        bool on;
        if (!txn)
                return false;
        /* Under the lock: a concurrent rmq__txn_stop() may free the pool. */
        uv_mutex_lock(&txn->lock);
        on = txn->pool && rmq__pool_on_worker(txn->pool);
        uv_mutex_unlock(&txn->lock);
        return on;
}

void rmq__txn_stop(rmq_txn_t *txn, rmq_producer_t *prod) {
        rmq_pool_t *pool;
        int64_t dropped;
        if (!txn)
                return;
        uv_mutex_lock(&txn->lock);
        txn->stopping = true;
        pool          = txn->pool;
        dropped       = txn->waiting;
        txn->pool     = NULL;
        uv_mutex_unlock(&txn->lock);
        if (dropped)
                rmq__log(rmq__producer_logger(prod), RMQ_LOG_WARN, "PRODUCER",
                         "shutdown: %lld transaction check(s) not run yet are "
                         "dropped; the broker will check again",
                         (long long)dropped);
        /* Runs the waiting jobs, which only drop themselves, and joins the
         * workers once a running check has answered. */
        rmq__pool_destroy(pool);
}

void rmq__txn_destroy(rmq_txn_t *txn) {
        txn_free(txn);
}

/* ---- check-backs (checkTransactionState) ---- */

static void check_free(check_t *c) {
        rmq__msg_batch_release(c->batch);
        rmq__free(c->transactionId);
        rmq__free(c->bname);
        rmq__free(c->addr);
        rmq__free(c);
}

/* mirrors the check runnable's processTransactionState: the answer as
 * END_TRANSACTION, oneway, to the broker that asked. */
static void check_answer(check_t *c, const rmq_message_ext_t *mx,
                         rmq_local_transaction_state_t state,
                         const char *remark) {
        rmq_producer_t *prod  = c->prod;
        const rmq_logger_t *lg = rmq__producer_logger(prod);
        const char *uniq = rmq_message_ext_property(mx, RMQ_PROP_UNIQ_KEY);
        rmq_end_txn_header_t h;
        rmq_err_t err;
        memset(&h, 0, sizeof(h));
        h.commitLogOffset      = c->commitLogOffset;
        h.producerGroup        = rmq__producer_group(prod);
        h.tranStateTableOffset = c->tranStateTableOffset;
        h.fromTransactionCheck = true;
        h.bname                = c->bname;
        h.msgId         = uniq ? uniq : rmq_message_ext_offset_msg_id(mx);
        h.transactionId = c->transactionId;
        h.commitOrRollback = commit_or_rollback(state);
        /* doExecuteEndTransactionHook(msg, uniqueKey, brokerAddr, state,
         * true); the check's message has its transactionId = UNIQ_KEY */
        rmq__trace_end_transaction(
            rmq__producer_tracer(prod), rmq_message_ext_topic(mx),
            rmq_message_ext_tags(mx), rmq_message_ext_keys(mx),
            rmq_message_ext_property(mx, RMQ_PROP_MSG_REGION), h.msgId,
            c->addr, uniq, state, true);
        if (state == RMQ_TXN_ROLLBACK_MESSAGE)
                rmq__log(lg, RMQ_LOG_WARN, "PRODUCER",
                         "when broker check, client rollback this "
                         "transaction, msgId=%s commitLogOffset=%lld",
                         h.msgId, (long long)h.commitLogOffset);
        else if (state == RMQ_TXN_UNKNOWN)
                rmq__log(lg, RMQ_LOG_WARN, "PRODUCER",
                         "when broker check, client does not know this "
                         "transaction state, msgId=%s commitLogOffset=%lld",
                         h.msgId, (long long)h.commitLogOffset);
        err = rmq__api_end_transaction_oneway(rmq__producer_client(prod),
                                              c->addr, &h, remark,
                                              CHECK_END_TIMEOUT_MS);
        if (err)
                rmq__log(lg, RMQ_LOG_ERROR, "PRODUCER",
                         "endTransactionOneway to %s failed: %s", c->addr,
                         rmq_err2str(err));
}

static void check_run(rmq_job_t *job) {
        check_t *c     = RMQ_CONTAINER_OF(job, check_t, job);
        rmq_txn_t *txn = c->txn;
        const rmq_message_ext_t *mx = rmq__msg_batch_at(c->batch, 0);
        rmq_local_transaction_state_t state = RMQ_TXN_UNKNOWN;
        char reason[512] = "", remark[700];
        bool drop;
        rmq_err_t err;
        uv_mutex_lock(&txn->lock);
        txn->waiting--;
        drop = txn->stopping;
        uv_mutex_unlock(&txn->lock);
        if (drop) {
                rmq__dbg(rmq__producer_logger(c->prod), PRODUCER,
                         "shutdown: transaction check of %s dropped",
                         rmq_message_ext_msg_id(mx));
                check_free(c);
                return;
        }
        err   = txn->check(c->prod, mx, &state, reason, sizeof(reason),
                           txn->opaque);
        state = settle(rmq__producer_logger(c->prod), err, state, reason,
                       "checkLocalTransactionState Exception: ", remark,
                       sizeof(remark));
        if (err)
                rmq__log(rmq__producer_logger(c->prod), RMQ_LOG_ERROR,
                         "PRODUCER", "Broker call checkTransactionState, but %s",
                         remark);
        check_answer(c, mx, state, remark[0] ? remark : NULL);
        check_free(c);
}

/* mirrors ClientRemotingProcessor.checkTransactionState (decoding: the
 * header, the message with the namespace stripped from its topic) and
 * DefaultMQProducerImpl.checkTransactionState (the submit). */
static void on_check(rmq_producer_t *prod, const char *addr,
                     const rmq_cmd_t *req) {
        const rmq_logger_t *lg = rmq__producer_logger(prod);
        rmq_txn_t *txn         = rmq__producer_txn(prod);
        rmq_msg_decode_opts_t opts;
        check_t *c;
        rmq_err_t err = RMQ_OK;
        char why[256], id[RMQ_OFFSET_MSG_ID_MAX + 1];
        int64_t waiting = 0;
        const char *group = rmq__producer_group(prod);
        if (!txn) {
                /* Java: checkExecutor is null (not a TransactionMQProducer) */
                rmq__log(lg, RMQ_LOG_WARN, "PRODUCER",
                         "CheckTransactionState, pick transactionCheckListener "
                         "by group[%s] failed",
                         group);
                return;
        }
        c       = rmq__calloc(1, sizeof(*c));
        c->prod = prod;
        c->txn  = txn;
        if (rmq__cmd_ext_i64(req, "tranStateTableOffset",
                             &c->tranStateTableOffset) ||
            rmq__cmd_ext_i64(req, "commitLogOffset", &c->commitLogOffset)) {
                rmq__log(lg, RMQ_LOG_WARN, "PRODUCER",
                         "checkTransactionState from %s: the header lacks "
                         "tranStateTableOffset or commitLogOffset",
                         addr);
                check_free(c);
                return;
        }
        memset(&opts, 0, sizeof(opts));
        opts.ns = rmq__producer_conf(prod)->namespace_;
        if (!req->body ||
            rmq__msg_batch_decode(NULL, req->body, req->body_len, &opts,
                                  &c->batch, why, sizeof(why)) ||
            rmq__msg_batch_count(c->batch) == 0) {
                rmq__log(lg, RMQ_LOG_WARN, "PRODUCER",
                         "checkTransactionState, decode message failed (from "
                         "%s)",
                         addr);
                check_free(c);
                return;
        }
        c->transactionId = rmq__strdup(rmq__cmd_ext(req, "transactionId"));
        c->bname         = rmq__strdup(rmq__cmd_ext(req, "bname"));
        c->addr          = rmq__strdup(addr);
        c->job.fn        = check_run;
        /* The job may be freed as soon as it is queued: keep the id. */
        rmq__strlcpy(id, rmq_message_ext_msg_id(rmq__msg_batch_at(c->batch, 0)),
                     sizeof(id));
        uv_mutex_lock(&txn->lock);
        if (!txn->pool || txn->stopping)
                err = RMQ_ERR__DESTROY;
        else if (txn->waiting >= txn->hold_max)
                err = RMQ_ERR__QUEUE_FULL;
        else if (!(err = rmq__pool_submit(txn->pool, &c->job)))
                waiting = ++txn->waiting;
        uv_mutex_unlock(&txn->lock);
        if (!err) {
                rmq__dbg(lg, PRODUCER,
                         "checkTransactionState of %s from %s queued (%lld "
                         "waiting)",
                         id, addr, (long long)waiting);
                return;
        }
        /* Java's executor rejects the runnable (RejectedExecutionException,
         * logged by the remoting layer); the broker asks again later. */
        rmq__log(lg, err == RMQ_ERR__QUEUE_FULL ? RMQ_LOG_WARN : RMQ_LOG_INFO,
                 "PRODUCER", "checkTransactionState of %s from %s dropped: %s",
                 id, addr,
                 err == RMQ_ERR__QUEUE_FULL
                     ? "the check queue is full (checkRequestHoldMax)"
                     : "the check executor is not running");
        check_free(c);
}

rmq_cmd_t *rmq__txn_process_request(void *impl, const char *addr,
                                    const rmq_cmd_t *req) {
        if (req->code == RMQ_REQ_CHECK_TRANSACTION_STATE)
                on_check(impl, addr, req);
        return NULL; /* oneway: never answered */
}

/* ---- sendMessageInTransaction / endTransaction ---- */

/* mirrors DefaultMQProducerImpl.endTransaction; failures are logged as
 * sendMessageInTransaction logs the exception it catches. */
static void end_transaction(rmq_producer_t *prod, const rmq_message_t *msg,
                            const rmq_send_result_t *sr,
                            rmq_local_transaction_state_t state,
                            const char *remark) {
        const rmq_logger_t *lg = rmq__producer_logger(prod);
        rmq_client_t *ci       = rmq__producer_client(prod);
        const char *id = sr->offset_msg_id ? sr->offset_msg_id : sr->msg_id;
        rmq_end_txn_header_t h;
        rmq_msg_host_t host;
        char addr[96];
        rmq_err_t err;
        memset(&h, 0, sizeof(h));
        if (!id || rmq__offset_msg_id_decode(id, strlen(id), &host,
                                             &h.commitLogOffset)) {
                err = RMQ_ERR__INVALID_ARG;
                snprintf(addr, sizeof(addr), "the message id %s",
                         id ? id : "null");
                goto fail;
        }
        if (!rmq__client_broker_addr_in_publish(ci, sr->mq.brokerName, addr,
                                                sizeof(addr))) {
                err = RMQ_ERR__NO_BROKER;
                rmq__strlcpy(addr, sr->mq.brokerName, sizeof(addr));
                goto fail;
        }
        h.transactionId        = sr->transaction_id;
        h.bname                = sr->mq.brokerName;
        h.commitOrRollback     = commit_or_rollback(state);
        h.producerGroup        = rmq__producer_group(prod);
        h.tranStateTableOffset = sr->queue_offset;
        h.msgId                = sr->msg_id;
        /* doExecuteEndTransactionHook(msg, sendResult.getMsgId(),
         * brokerAddr, state, false); msg.getTransactionId() is the
         * UNIQ_KEY (the result's id) once the half message was stored
         * (SEND_OK) */
        rmq__trace_end_transaction(
            rmq__producer_tracer(prod), rmq_message_topic(msg),
            rmq_message_tags(msg), rmq_message_keys(msg),
            rmq_message_property(msg, RMQ_PROP_MSG_REGION), sr->msg_id, addr,
            sr->status == RMQ_SEND_OK ? sr->msg_id : NULL,
            state, false);
        err = rmq__api_end_transaction_oneway(
            ci, addr, &h, remark, rmq__producer_conf(prod)->sendMsgTimeout);
        if (!err)
                return;
fail:
        rmq__log(lg, RMQ_LOG_WARN, "PRODUCER",
                 "local transaction execute %s, but end broker transaction "
                 "failed (%s): %s",
                 rmq_local_transaction_state_name(state), addr,
                 rmq_err2str(err));
}

/* Runs the local transaction of a stored half message: the state for
 * END_TRANSACTION, its remark (empty: none) into \p remark. */
static rmq_local_transaction_state_t
execute_local(rmq_producer_t *prod, rmq_txn_t *txn, rmq_message_t *copy,
              const rmq_send_result_t *sr, void *arg, char *remark,
              size_t remark_size) {
        const rmq_logger_t *lg = rmq__producer_logger(prod);
        rmq_local_transaction_state_t state = RMQ_TXN_UNKNOWN;
        char reason[512] = "";
        rmq_err_t err;
        remark[0] = '\0';
        switch (sr->status) {
        case RMQ_SEND_OK:
                if (sr->transaction_id)
                        rmq__message_put_property(copy, RMQ_PROP_TRANSACTION_ID,
                                                  sr->transaction_id);
                err = txn->execute(prod, copy, sr->msg_id, arg, &state,
                                   reason, sizeof(reason), txn->opaque);
                state = settle(lg, err, state, reason,
                               "executeLocalTransactionBranch exception: ",
                               remark, remark_size);
                if (err)
                        rmq__log(lg, RMQ_LOG_INFO, "PRODUCER",
                                 "executeLocalTransactionBranch exception: "
                                 "%s, msgId=%s",
                                 remark, sr->msg_id);
                else if (state != RMQ_TXN_COMMIT_MESSAGE)
                        rmq__log(lg, RMQ_LOG_INFO, "PRODUCER",
                                 "executeLocalTransactionBranch return %s, "
                                 "msgId=%s",
                                 rmq_local_transaction_state_name(state),
                                 sr->msg_id);
                return state;
        case RMQ_FLUSH_DISK_TIMEOUT:
        case RMQ_FLUSH_SLAVE_TIMEOUT:
        case RMQ_SLAVE_NOT_AVAILABLE:
                return RMQ_TXN_ROLLBACK_MESSAGE;
        default:
                return RMQ_TXN_UNKNOWN;
        }
}

rmq_err_t rmq_producer_send_in_transaction(
    rmq_producer_t *prod, rmq_message_t *msg, void *arg,
    rmq_transaction_send_result_t **resultp, char *errstr,
    size_t errstr_size) {
        rmq_txn_t *txn;
        rmq_message_t *copy = NULL;
        rmq_send_result_t *sr = NULL;
        rmq_local_transaction_state_t state;
        char reason[512], remark[700];
        rmq_err_t err;
        if (resultp)
                *resultp = NULL;
        if (!prod)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "prod is NULL");
        if ((err = rmq__producer_enter(prod, errstr, errstr_size)))
                return err;
        txn = rmq__producer_txn(prod);
        if (!txn) {
                err = rmq__seterr(errstr, errstr_size, RMQ_ERR__STATE,
                                  "TransactionListener is null");
                goto out;
        }
        /* The caller's message stays as it is (but for the id it records,
         * rmq__message_adopt_id): Java's changes go to a copy. */
        if (msg) {
                copy = rmq__message_dup_same(msg);
                /* ignore DelayTimeLevel parameter */
                if (rmq_message_delay_time_level(copy) != 0)
                        rmq__message_remove_property(copy, RMQ_PROP_DELAY);
                rmq__message_put_property(copy, RMQ_PROP_TRAN_MSG, "true");
                rmq__message_put_property(copy, RMQ_PROP_PGROUP,
                                          rmq__producer_group(prod));
        }
        /* Validators.checkMessage and the send (its validation is the same
         * and comes first). */
        reason[0] = '\0';
        err       = rmq_producer_send(prod, copy, &sr, reason, sizeof(reason));
        if (copy)
                rmq__message_adopt_id(msg, copy);
        if (err) {
                rmq__seterr(errstr, errstr_size, err,
                            "send message Exception: %s", reason);
                goto out;
        }
        state = execute_local(prod, txn, copy, sr, arg, remark, sizeof(remark));
        end_transaction(prod, copy, sr, state, remark[0] ? remark : NULL);
        if (resultp) {
                *resultp          = rmq__calloc(1, sizeof(**resultp));
                (*resultp)->sr    = sr;
                (*resultp)->state = state;
                sr                = NULL;
        }
out:
        rmq__send_result_free(sr);
        rmq_message_destroy(copy);
        rmq__producer_leave(prod);
        return err;
}

/* ---- results ---- */

rmq_send_status_t
rmq_transaction_send_result_status(const rmq_transaction_send_result_t *res) {
        return res->sr->status;
}

const char *
rmq_transaction_send_result_msg_id(const rmq_transaction_send_result_t *res) {
        return res->sr->msg_id;
}

const rmq_message_queue_t *rmq_transaction_send_result_message_queue(
    const rmq_transaction_send_result_t *res) {
        return &res->sr->mq;
}

int64_t rmq_transaction_send_result_queue_offset(
    const rmq_transaction_send_result_t *res) {
        return res->sr->queue_offset;
}

const char *rmq_transaction_send_result_transaction_id(
    const rmq_transaction_send_result_t *res) {
        return res->sr->transaction_id;
}

rmq_local_transaction_state_t rmq_transaction_send_result_local_state(
    const rmq_transaction_send_result_t *res) {
        return res->state;
}

void rmq_transaction_send_result_destroy(rmq_transaction_send_result_t *res) {
        if (!res)
                return;
        rmq__send_result_free(res->sr);
        rmq__free(res);
}
