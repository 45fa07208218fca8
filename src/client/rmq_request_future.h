/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Requests waiting for their reply: mirrors RequestFutureHolder (the table
 * keyed by CORRELATION_ID and the expiry of requests whose time ran out),
 * RequestResponseFuture, and ClientRemotingProcessor#receiveReplyMessage /
 * #processReplyMessage (4.9.8).
 *
 * Java keeps one table per process (a singleton); here each client
 * instance has its own: a reply is pushed to the REPLY_TO_CLIENT client
 * id, which is one instance, so the instance's table is where its
 * requests are. Java scans the table every second; here each future has a
 * one-shot timer of the instance's timer service at its deadline, so a
 * request fails when its time runs out, not up to a second later.
 *
 * A future is completed once, by whoever takes it out of the table under
 * the table lock: the reply, its timer, its send's failure, or a shutdown
 * (rmq__req_futures_fail_owner). An async future is "armed" once its send
 * was accepted: a completion before that is kept and delivered when it is
 * armed, or dropped when the send is refused (rmq__req_future_cancel), so
 * the callback runs exactly once if and only if the request call returned
 * RMQ_OK. Callbacks run on the callback pool, without a lock held.
 *
 * Locks: the table lock is a library lock (rmq__lock); it never nests
 * with another, and no timer is stopped and no callback runs under it.
 */
#ifndef RMQ_REQUEST_FUTURE_H
#define RMQ_REQUEST_FUTURE_H

#include "client/rmq_client.h"
#include "remoting/rmq_remoting_cmd.h"
#include "rocketmq/rmq_message_ext.h"

typedef struct rmq_req_table_s rmq_req_table_t;
typedef struct rmq_req_future_s rmq_req_future_t;

/* Length of a correlation id (a UUID, CorrelationIdUtil). */
#define RMQ_CORRELATION_ID_LEN 36

/* How an async future ends (RequestCallback onSuccess / onException):
 * \p reply is borrowed (NULL unless err is RMQ_OK). On the callback pool,
 * or on the thread that armed the future after a shutdown took it when
 * the pool is gone. */
typedef void(rmq_req_done_fn_t)(rmq_err_t err, const char *errstr,
                                const rmq_message_ext_t *reply, void *opaque);

/* The instance's table (rmq__client_acquire) and its end (client_free,
 * before the transport goes: fails what is left with RMQ_ERR__DESTROY
 * and waits for it, then frees). */
rmq_req_table_t *rmq__req_table_new(void);
void rmq__req_table_destroy(rmq_client_t *ci, rmq_req_table_t *tbl);

/* A new random correlation id (UUID version 4, lower case, as Java's
 * UUID.randomUUID().toString()) into \p dst (RMQ_CORRELATION_ID_LEN + 1
 * bytes). */
void rmq__correlation_id_create(char *dst);

/* Registers a future of \p owner for \p corr_id, due \p timeout_ms from
 * \p begin_ms (rmq__mono_ms), for a request to \p topic (copied; for the
 * error text). \p done NULL: a synchronous request
 * (rmq__req_future_wait). Returns it with two references: the caller's
 * and one the caller hands to the send's callback (each dropped with
 * rmq__req_future_release). Not armed yet (no timer). Any thread. */
rmq_req_future_t *rmq__req_future_new(rmq_client_t *ci, const void *owner,
                                      const char *corr_id, const char *topic,
                                      int64_t begin_ms, int64_t timeout_ms,
                                      rmq_req_done_fn_t *done, void *opaque);

/* The send was accepted: starts the deadline timer, or delivers a
 * completion that came meanwhile. Any thread but the I/O thread. */
void rmq__req_future_arm(rmq_req_future_t *f);
/* The send was refused: the future leaves the table and is never
 * delivered (a completion that came meanwhile is dropped). */
void rmq__req_future_cancel(rmq_req_future_t *f);
/* The send's callback: success (setSendRequestOk(true)) or failure
 * (requestFail: completes the future with \p err and \p errstr). On the
 * callback pool. */
void rmq__req_future_send_done(rmq_req_future_t *f, rmq_err_t err,
                               const char *errstr);

/* Synchronous futures: waits until completed (reply, deadline, send
 * failure or shutdown). Returns RMQ_OK with the reply in \p *replyp (the
 * caller's reference), or the error with its reason in \p errstr. Not on
 * the I/O thread. */
rmq_err_t rmq__req_future_wait(rmq_req_future_t *f, rmq_message_ext_t **replyp,
                               char *errstr, size_t errstr_size);

void rmq__req_future_release(rmq_req_future_t *f);

/* Completes every future of \p owner with RMQ_ERR__DESTROY (a producer's
 * shutdown) and waits until each has ended: sync waiters woken and gone,
 * callbacks returned, send callbacks run. Not from a library thread. */
void rmq__req_futures_fail_owner(rmq_client_t *ci, const void *owner);

/* PUSH_REPLY_MESSAGE_TO_CLIENT (receiveReplyMessage): decodes the reply
 * (ReplyMessageRequestHeader + body, inflated if compressed), completes
 * its request, and returns the answer (SUCCESS, also when nothing
 * matches; SYSTEM_ERROR when the reply cannot be decoded). \p req is
 * borrowed. On the callback pool. */
rmq_cmd_t *rmq__req_reply_receive(rmq_client_t *ci, const char *addr,
                                  const rmq_cmd_t *req);

#endif /* RMQ_REQUEST_FUTURE_H */
