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
#include "common/rmq_heap.h"
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

/* Debug builds: abort unless called on \p io's loop thread (STYLE R15's
 * locality rule for functions marked "@locality io thread"). */
#ifndef NDEBUG
#define RMQ__ASSERT_IO_THREAD(io) rmq__io_assert_on_loop((io), __func__)
#else
#define RMQ__ASSERT_IO_THREAD(io) ((void)0)
#endif
void rmq__io_assert_on_loop(const rmq_io_t *io, const char *func);

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
 * the loop until every close callback has run and joins the thread. Ops
 * still queued are run first. Afterwards posts fail with RMQ_ERR__DESTROY,
 * timers never fire, and rmq__io_on_loop() is false everywhere, but the
 * object stays valid until rmq__io_free(): work still queued elsewhere (a
 * callback pool) may call into it safely. Not from the loop thread. */
void rmq__io_stop(rmq_io_t *io, void (*on_stop)(rmq_io_t *io, void *arg),
                  void *arg);
/* Frees a stopped io (NULL-safe). */
void rmq__io_free(rmq_io_t *io);
/* rmq__io_stop() then rmq__io_free(). */
void rmq__io_destroy(rmq_io_t *io, void (*on_stop)(rmq_io_t *io, void *arg),
                     void *arg);

/*
 * Timer service (librdkafka's rd_kafka_timers idea): one deadline heap and
 * one libuv timer per loop for every timer of its owners, usable from any
 * thread. Callbacks run on the loop thread: they must not block (post
 * blocking work to a worker). Cancellation is synchronous: once
 * rmq__timer_stop() returns, the callback is not running and will not run
 * again, so an owner that stops its timers before it is freed is never
 * called afterwards. Timers must be stopped before their io is freed.
 * A one-shot timer's callback may free the timer's owner (the service no
 * longer touches a one-shot timer once its callback starts); a periodic
 * timer's callback may do so only after stopping the timer.
 */
typedef struct rmq_timer_s rmq_timer_t;
typedef void(rmq_timer_fn_t)(rmq_timer_t *t, void *arg);
struct rmq_timer_s {
        rmq_heap_node_t hn;
        rmq_timer_fn_t *fn;
        void *arg;
        int64_t period_ms; /* 0: once */
};

/* Initialises \p t (embedded in its owner). */
void rmq__timer_init(rmq_timer_t *t, rmq_timer_fn_t *fn, void *arg);
/* (Re)schedules \p t: first run \p delay_ms from now, then every
 * \p period_ms (fixed rate, as Java's scheduleAtFixedRate; 0: once). A
 * running timer restarted from its own callback keeps the new schedule,
 * unless rmq__timer_stop() was called meanwhile. Delays are clamped to
 * [0, about 139 years]. Returns RMQ_ERR__DESTROY (not scheduled) once the
 * io is stopping, or for that restart after a stop. Any thread. */
rmq_err_t rmq__timer_start(rmq_io_t *io, rmq_timer_t *t, int64_t delay_ms,
                           int64_t period_ms);
/* Cancels \p t. From another thread it waits for a running callback to
 * return; from the callback itself it only prevents the next run. Returns
 * true if the timer was scheduled or running. Any thread. */
bool rmq__timer_stop(rmq_io_t *io, rmq_timer_t *t);
/* True if \p t is scheduled. */
bool rmq__timer_pending(rmq_io_t *io, const rmq_timer_t *t);

#endif /* RMQ_IO_H */
