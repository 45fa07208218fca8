/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file rmq_transaction.h
 * @brief Transactional messages (Java TransactionMQProducer,
 *        TransactionListener, LocalTransactionState, TransactionSendResult).
 *
 * A producer with a transaction listener sends a message in two phases:
 * rmq_producer_send_in_transaction() stores it on a broker as a half
 * (prepared) message that no consumer sees, runs the listener's execute
 * callback (the local transaction), and tells the broker the outcome with
 * END_TRANSACTION: commit (the message becomes visible), rollback (it is
 * dropped) or unknown. For an unknown outcome (or a lost END_TRANSACTION)
 * the broker later asks the producer group with CHECK_TRANSACTION_STATE;
 * the listener's check callback answers, on the producer's check executor.
 *
 * Threads: the execute callback runs on the thread that called
 * rmq_producer_send_in_transaction(). The check callback runs on the
 * producer's check executor (`checkThreadPoolMinSize` threads named
 * "rmq-txchk-N", at most `checkRequestHoldMax` checks waiting; a check
 * that finds the queue full is dropped with a warning, as Java's executor
 * rejects it, and the broker asks again in a later round). Neither runs on
 * the I/O thread or under a library lock; both may call synchronous
 * rmq_* functions of this producer (sends), but must not shut it down or
 * destroy it.
 *
 * Shutdown (rmq_producer_shutdown()): waits for a
 * rmq_producer_send_in_transaction() in progress (its execute callback
 * included), then drops the checks still queued (logged; the broker asks
 * again), waits for a check callback that is running (its answer is still
 * sent) and joins the check executor. Every check callback runs at most
 * once per CHECK_TRANSACTION_STATE received.
 */
#ifndef RMQ_TRANSACTION_H
#define RMQ_TRANSACTION_H

#include <stddef.h>
#include <stdint.h>

#include "rmq_err.h"
#include "rmq_export.h"
#include "rmq_message.h"
#include "rmq_message_ext.h"
#include "rmq_producer.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The state of a local transaction (Java LocalTransactionState). Java's
 * misspelt `UNKNOW` is RMQ_TXN_UNKNOWN here; rmq_local_transaction_state_name()
 * gives the Java names.
 */
typedef enum rmq_local_transaction_state_t {
        RMQ_TXN_COMMIT_MESSAGE   = 0, /**< Commit: the message is delivered. */
        RMQ_TXN_ROLLBACK_MESSAGE = 1, /**< Roll back: the message is dropped. */
        RMQ_TXN_UNKNOWN          = 2  /**< Java UNKNOW: the broker checks
                                       *   back later. */
} rmq_local_transaction_state_t;

/**
 * @brief The Java name of \p state: "COMMIT_MESSAGE", "ROLLBACK_MESSAGE",
 *        "UNKNOW" (Java's spelling).
 * @returns A static string, never NULL ("UNKNOWN_STATE" for a value outside
 *          the enum). Thread-safe; never fails.
 */
RMQ_EXPORT const char *
rmq_local_transaction_state_name(rmq_local_transaction_state_t state);

/** Result of rmq_producer_send_in_transaction() (Java
 *  TransactionSendResult). */
typedef struct rmq_transaction_send_result_s rmq_transaction_send_result_t;

/** @name Listener (Java TransactionListener)
 * @{ */

/**
 * @brief Execute the local transaction (Java
 *        TransactionListener#executeLocalTransaction).
 *
 * Called once the half message is stored with SEND_OK, on the thread that
 * called rmq_producer_send_in_transaction().
 *
 * @param msg            The message as sent (borrowed for the call): the
 *                       caller's message with the TRAN_MSG and PGROUP
 *                       properties and no delay level (and
 *                       `__transactionId__` if the broker returned a
 *                       transaction id), as Java's listener sees it.
 * @param transaction_id The transaction id (Java msg.getTransactionId()):
 *                       the message id (UNIQ_KEY).
 * @param arg            The argument given to
 *                       rmq_producer_send_in_transaction().
 * @param statep         Set the outcome here; it is RMQ_TXN_UNKNOWN on
 *                       entry (Java: a null state is UNKNOW).
 * @param errstr         Where to write the reason of a failure
 *                       (\p errstr_size bytes, NUL-terminated; may be left
 *                       empty).
 * @returns RMQ_OK, or any error code: a failure, as an exception thrown by
 *          Java's listener. The state is then RMQ_TXN_UNKNOWN whatever
 *          \p statep holds, and the END_TRANSACTION remark reads
 *          "executeLocalTransactionBranch exception: NAME: reason" (NAME =
 *          rmq_err2name() of the code, reason = \p errstr or the code's
 *          description).
 */
typedef rmq_err_t(rmq_transaction_execute_cb_t)(
    rmq_producer_t *prod, const rmq_message_t *msg, const char *transaction_id,
    void *arg, rmq_local_transaction_state_t *statep, char *errstr,
    size_t errstr_size, void *opaque);

/**
 * @brief Check the state of a local transaction the broker asks about
 *        (Java TransactionListener#checkLocalTransaction).
 *
 * Runs on the producer's check executor (never on the I/O thread, never
 * under a library lock), once per CHECK_TRANSACTION_STATE the producer
 * accepts; its answer goes back to the asking broker as END_TRANSACTION
 * (oneway, fromTransactionCheck=true).
 *
 * @param mx     The half message as the broker stored it (borrowed for the
 *               call; rmq_message_ext_retain() keeps it): its topic
 *               without the producer's namespace,
 *               rmq_message_ext_transaction_id() its UNIQ_KEY, the
 *               TRANSACTION_CHECK_TIMES property how often the broker has
 *               asked.
 * @param statep Set the state here; RMQ_TXN_UNKNOWN on entry.
 * @param errstr As for rmq_transaction_execute_cb_t.
 * @returns RMQ_OK, or an error (an exception in Java): the answer is then
 *          RMQ_TXN_UNKNOWN with the remark "checkLocalTransactionState
 *          Exception: NAME: reason"; the broker asks again in a later
 *          round, up to its transactionCheckMax.
 */
typedef rmq_err_t(rmq_transaction_check_cb_t)(
    rmq_producer_t *prod, const rmq_message_ext_t *mx,
    rmq_local_transaction_state_t *statep, char *errstr, size_t errstr_size,
    void *opaque);

/**
 * @brief Make \p prod a transactional producer (Java
 *        TransactionMQProducer#setTransactionListener): set both callbacks,
 *        before rmq_producer_start().
 *
 * The producer then runs a check executor while it is started
 * (`checkThreadPoolMinSize`, `checkThreadPoolMaxSize`,
 * `checkRequestHoldMax` of its conf) and answers the CHECK_TRANSACTION_STATE
 * requests for its group. It can still send ordinary messages.
 *
 * @param opaque Passed to both callbacks.
 * @returns RMQ_OK; RMQ_ERR__INVALID_ARG if a callback is NULL;
 *          RMQ_ERR__STATE once the producer was started (a second call
 *          before the start replaces the first); RMQ_ERR__CONF_INVALID if
 *          `checkThreadPoolMaxSize` is below `checkThreadPoolMinSize`
 *          (Java's ThreadPoolExecutor refuses them at start).
 * @remark Thread-safe; never blocks.
 */
RMQ_EXPORT rmq_err_t rmq_producer_set_transaction_listener(
    rmq_producer_t *prod, rmq_transaction_execute_cb_t *execute_cb,
    rmq_transaction_check_cb_t *check_cb, void *opaque);

/** @} */

/** @name Sending (Java TransactionMQProducer#sendMessageInTransaction)
 * @{ */

/**
 * @brief Send \p msg as a transactional message and run the local
 *        transaction (Java sendMessageInTransaction(msg, arg)).
 *
 * As 4.9.8: the delay level is ignored (cleared), the message is
 * validated and sent synchronously (with the retries of
 * rmq_producer_send()) as a half message with TRAN_MSG=true and
 * PGROUP=<group>. If the broker answers SEND_OK, the execute callback
 * runs; another status (FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT,
 * SLAVE_NOT_AVAILABLE) rolls the message back without running it. Then
 * END_TRANSACTION goes oneway to the broker that stored the half message;
 * if that fails (broker down, connection lost) it is logged and the result
 * is still returned: the broker's check-backs resolve the message later.
 *
 * \p msg is not taken over and is not changed, except that it records its
 * message id as rmq_producer_send() does (Java also leaves TRAN_MSG,
 * PGROUP and the namespace in the caller's Message; this port changes a
 * copy instead, so \p msg can be sent again as an ordinary message).
 *
 * There is no transactional send to a chosen queue, with a selector or as
 * a batch, as in Java (MQProducer has only sendMessageInTransaction(msg,
 * arg)); an application cannot mark a message transactional itself either
 * (TRAN_MSG and PGROUP are reserved properties:
 * rmq_message_put_user_property() refuses them).
 *
 * @param arg     Passed to the execute callback.
 * @param resultp Receives a result the caller frees with
 *                rmq_transaction_send_result_destroy(); may be NULL.
 * @returns RMQ_OK (see the result's local state); RMQ_ERR__STATE if the
 *          producer is not started or has no transaction listener (Java:
 *          "TransactionListener is null"); a validation error as
 *          rmq_producer_send(); or the error of the half message's send
 *          (Java: "send message Exception"), in which case no callback
 *          runs and nothing is sent to end the transaction.
 * @remark Thread-safe. Blocks for the send (up to `sendMsgTimeout`) and the
 *         execute callback. Returns RMQ_ERR__WOULD_DEADLOCK on the
 *         library's I/O thread.
 */
RMQ_EXPORT rmq_err_t rmq_producer_send_in_transaction(
    rmq_producer_t *prod, rmq_message_t *msg, void *arg,
    rmq_transaction_send_result_t **resultp, char *errstr,
    size_t errstr_size);

/** @} */

/** @name Transaction send results
 * Java copies these fields of the half message's SendResult into the
 * TransactionSendResult (and no others: no offset msg id, no region).
 * The getters are thread-safe and never fail; strings are valid until the
 * result is destroyed.
 * @{ */

/** @returns The half message's send status. */
RMQ_EXPORT rmq_send_status_t rmq_transaction_send_result_status(
    const rmq_transaction_send_result_t *res);
/** @returns The message id (UNIQ_KEY). */
RMQ_EXPORT const char *rmq_transaction_send_result_msg_id(
    const rmq_transaction_send_result_t *res);
/** @returns The queue the half message went to (its real topic). */
RMQ_EXPORT const rmq_message_queue_t *
rmq_transaction_send_result_message_queue(
    const rmq_transaction_send_result_t *res);
/** @returns The half message's offset in its queue. */
RMQ_EXPORT int64_t rmq_transaction_send_result_queue_offset(
    const rmq_transaction_send_result_t *res);
/** @returns The transaction id the broker returned, or NULL: 4.9.x
 *           brokers return none (so Java's getTransactionId() is null
 *           too); the id the broker's check-backs carry is the msg id. */
RMQ_EXPORT const char *rmq_transaction_send_result_transaction_id(
    const rmq_transaction_send_result_t *res);
/** @returns The local transaction's state as sent in END_TRANSACTION. */
RMQ_EXPORT rmq_local_transaction_state_t
rmq_transaction_send_result_local_state(
    const rmq_transaction_send_result_t *res);
/** @brief Free a result. NULL-safe. */
RMQ_EXPORT void
rmq_transaction_send_result_destroy(rmq_transaction_send_result_t *res);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RMQ_TRANSACTION_H */
