/* SPDX-License-Identifier: Apache-2.0 */
#include "common/rmq_io.h"
#include "common/rmq_thread.h"

struct rmq_io_s {
        uv_loop_t loop;
        uv_async_t wake;
        uv_thread_t tid;
        uv_mutex_t lock;
        rmq_list_t ops;  /* posted, not yet run */
        int stopping;    /* no more posts accepted */
        void (*on_stop)(rmq_io_t *io, void *arg);
        void *on_stop_arg;
        const rmq_logger_t *lg;
        rmq_waiter_t started;
};

static void io_drain(rmq_io_t *io) {
        rmq_list_t batch;
        rmq__list_init(&batch);
        uv_mutex_lock(&io->lock);
        rmq__list_move_all(&io->ops, &batch);
        uv_mutex_unlock(&io->lock);
        while (!rmq__list_empty(&batch)) {
                rmq_list_t *n   = rmq__list_pop_head(&batch);
                rmq_io_op_t *op = RMQ_CONTAINER_OF(n, rmq_io_op_t, link);
                op->fn(io, op);
        }
}

static void close_leftover(uv_handle_t *h, void *arg) {
        rmq_io_t *io = arg;
        if (uv_is_closing(h))
                return;
        rmq__log(io->lg, RMQ_LOG_WARN, "IO",
                 "closing a libuv handle (type %d) left open at shutdown",
                 (int)h->type);
        uv_close(h, NULL);
}

static void io_wake_cb(uv_async_t *a) {
        rmq_io_t *io = a->data;
        int stop;
        io_drain(io);
        uv_mutex_lock(&io->lock);
        stop = io->stopping == 1;
        if (stop)
                io->stopping = 2;
        uv_mutex_unlock(&io->lock);
        if (!stop)
                return;
        if (io->on_stop)
                io->on_stop(io, io->on_stop_arg);
        io_drain(io);
        uv_close((uv_handle_t *)&io->wake, NULL);
        uv_walk(&io->loop, close_leftover, io);
}

static void io_thread(void *arg) {
        rmq_io_t *io = arg;
        rmq__waiter_signal(&io->started);
        uv_run(&io->loop, UV_RUN_DEFAULT);
}

rmq_io_t *rmq__io_new(const char *thread_name, const rmq_logger_t *lg) {
        rmq_io_t *io = rmq__calloc(1, sizeof(*io));
        io->lg = lg;
        rmq__list_init(&io->ops);
        if (uv_loop_init(&io->loop)) {
                rmq__free(io);
                return NULL;
        }
        uv_mutex_init(&io->lock);
        uv_async_init(&io->loop, &io->wake, io_wake_cb);
        io->wake.data = io;
        rmq__waiter_init(&io->started);
        if (rmq__thread_create(&io->tid, thread_name, io_thread, io)) {
                uv_close((uv_handle_t *)&io->wake, NULL);
                uv_run(&io->loop, UV_RUN_DEFAULT);
                uv_loop_close(&io->loop);
                uv_mutex_destroy(&io->lock);
                rmq__waiter_destroy(&io->started);
                rmq__free(io);
                return NULL;
        }
        rmq__waiter_wait(&io->started);
        return io;
}

uv_loop_t *rmq__io_loop(rmq_io_t *io) {
        return &io->loop;
}

const rmq_logger_t *rmq__io_logger(rmq_io_t *io) {
        return io->lg;
}

bool rmq__io_on_loop(const rmq_io_t *io) {
        uv_thread_t self = uv_thread_self();
        return uv_thread_equal(&self, &io->tid) != 0;
}

rmq_err_t rmq__io_post(rmq_io_t *io, rmq_io_op_t *op) {
        uv_mutex_lock(&io->lock);
        if (io->stopping) {
                uv_mutex_unlock(&io->lock);
                return RMQ_ERR__DESTROY;
        }
        rmq__list_insert_tail(&io->ops, &op->link);
        uv_mutex_unlock(&io->lock);
        uv_async_send(&io->wake);
        return RMQ_OK;
}

typedef struct io_call_s {
        rmq_io_op_t op;
        void (*fn)(rmq_io_t *io, void *arg);
        void *arg;
        rmq_waiter_t done;
} io_call_t;

static void io_call_run(rmq_io_t *io, rmq_io_op_t *op) {
        io_call_t *c = RMQ_CONTAINER_OF(op, io_call_t, op);
        c->fn(io, c->arg);
        rmq__waiter_signal(&c->done);
}

rmq_err_t rmq__io_call(rmq_io_t *io, void (*fn)(rmq_io_t *io, void *arg),
                       void *arg) {
        io_call_t c;
        rmq_err_t err;
        if (rmq__io_on_loop(io)) {
                fn(io, arg);
                return RMQ_OK;
        }
        c.op.fn = io_call_run;
        c.fn    = fn;
        c.arg   = arg;
        rmq__waiter_init(&c.done);
        err = rmq__io_post(io, &c.op);
        if (!err)
                rmq__waiter_wait(&c.done);
        rmq__waiter_destroy(&c.done);
        return err;
}

void rmq__io_destroy(rmq_io_t *io, void (*on_stop)(rmq_io_t *io, void *arg),
                     void *arg) {
        if (!io)
                return;
        uv_mutex_lock(&io->lock);
        io->on_stop     = on_stop;
        io->on_stop_arg = arg;
        io->stopping    = 1;
        uv_mutex_unlock(&io->lock);
        uv_async_send(&io->wake);
        uv_thread_join(&io->tid);
        /* Every handle is closed and its close callback has run: uv_run only
         * returns when no handle is left. */
        if (uv_loop_close(&io->loop))
                rmq__log(io->lg, RMQ_LOG_WARN, "IO",
                         "event loop still busy at close");
        uv_mutex_destroy(&io->lock);
        rmq__waiter_destroy(&io->started);
        rmq__free(io);
}
