/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The I/O thread: a private libuv loop (never uv_default_loop()) on its own
 * thread, and a mutex-protected queue of operations that other threads post
 * to it with one uv_async_send() wake-up per batch (DESIGN "Threads").
 */
#ifndef RMQ_IO_H
#define RMQ_IO_H

#include <uv.h>

#include "common/rmq_common.h"
#include "common/rmq_list.h"
#include "common/rmq_log.h"

typedef struct rmq_io_s rmq_io_t;

/* An operation embedded in its owner; fn runs on the loop thread. */
typedef struct rmq_io_op_s rmq_io_op_t;
typedef void(rmq_io_op_fn_t)(rmq_io_t *io, rmq_io_op_t *op);
struct rmq_io_op_s {
        rmq_list_t link;
        rmq_io_op_fn_t *fn;
};

/* Starts the loop thread. Returns NULL if the thread cannot start. */
rmq_io_t *rmq__io_new(const char *thread_name, const rmq_logger_t *lg);

uv_loop_t *rmq__io_loop(rmq_io_t *io);
const rmq_logger_t *rmq__io_logger(rmq_io_t *io);

/* True on the loop thread. */
bool rmq__io_on_loop(const rmq_io_t *io);

/* Queues \p op for the loop. Returns RMQ_ERR__DESTROY (op not run) once
 * rmq__io_destroy() has begun. Thread-safe. */
rmq_err_t rmq__io_post(rmq_io_t *io, rmq_io_op_t *op);

/* Runs fn(io, arg) on the loop thread and waits for it to return. Called on
 * the loop thread it runs fn directly. Returns RMQ_ERR__DESTROY (fn not run)
 * during shutdown. */
rmq_err_t rmq__io_call(rmq_io_t *io, void (*fn)(rmq_io_t *io, void *arg),
                       void *arg);

/* Stops the loop: runs on_stop(io, arg) on the loop thread (it must close
 * the owner's handles), closes whatever handle is left with a warning, runs
 * the loop until every close callback has run, joins the thread and frees
 * everything. Ops still queued are run first. Not from the loop thread. */
void rmq__io_destroy(rmq_io_t *io, void (*on_stop)(rmq_io_t *io, void *arg),
                     void *arg);

#endif /* RMQ_IO_H */
