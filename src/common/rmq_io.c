/* SPDX-License-Identifier: Apache-2.0 */
#include <stdatomic.h>
#include <stdio.h>

#include "common/rmq_io.h"
#include "common/rmq_thread.h"
#include "common/rmq_time.h"

struct rmq_io_s {
        uv_loop_t loop;
        uv_async_t wake;
        uv_thread_t tid;
        atomic_bool joined; /* the thread is gone (after rmq__io_stop) */
        uv_mutex_t lock;
        rmq_list_t ops; /* posted, not yet run */
        int stopping;   /* no more posts accepted */
        void (*on_stop)(rmq_io_t *io, void *arg);
        void *on_stop_arg;
        const rmq_logger_t *lg;
        rmq_waiter_t started;

        /* Timer service: the heap and the running-timer fields
         * are guarded by tlock; the uv timer is the loop's. */
        uv_mutex_t tlock;
        uv_cond_t tcond; /* a callback returned */
        rmq_heap_t theap;
        uv_timer_t tuv;
        bool tuv_on;       /* tuv initialised and not closed (loop) */
        int64_t tuv_due;   /* what tuv is armed for, INT64_MAX: idle */
        bool rearm_posted; /* rearm_op is queued (tlock) */
        rmq_timer_t *cur;  /* the timer whose callback runs (tlock) */
        bool cur_stopped;  /* ... and it was stopped meanwhile */
        rmq_io_op_t rearm_op;
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
        uv_mutex_lock(&io->tlock);
        io->tuv_on = false;
        uv_mutex_unlock(&io->tlock);
        uv_close((uv_handle_t *)&io->tuv, NULL);
        uv_close((uv_handle_t *)&io->wake, NULL);
        uv_walk(&io->loop, close_leftover, io);
}

static void io_thread(void *arg) {
        rmq_io_t *io = arg;
        rmq__thread_set_io(true);
        rmq__waiter_signal(&io->started);
        uv_run(&io->loop, UV_RUN_DEFAULT);
}

static void timers_cb(uv_timer_t *t);

rmq_io_t *rmq__io_new(const char *thread_name, const rmq_logger_t *lg) {
        rmq_io_t *io = rmq__calloc(1, sizeof(*io));
        io->lg       = lg;
        rmq__list_init(&io->ops);
        if (uv_loop_init(&io->loop)) {
                rmq__free(io);
                return NULL;
        }
        uv_mutex_init(&io->lock);
        uv_mutex_init(&io->tlock);
        uv_cond_init(&io->tcond);
        rmq__heap_init(&io->theap);
        uv_async_init(&io->loop, &io->wake, io_wake_cb);
        io->wake.data = io;
        /* The timer service's uv timer: unreferenced, so it never keeps
         * the loop alive on its own. */
        uv_timer_init(&io->loop, &io->tuv);
        io->tuv.data = io;
        uv_unref((uv_handle_t *)&io->tuv);
        io->tuv_on  = true;
        io->tuv_due = INT64_MAX;
        rmq__waiter_init(&io->started);
        if (rmq__thread_create(&io->tid, thread_name, io_thread, io)) {
                uv_close((uv_handle_t *)&io->wake, NULL);
                uv_close((uv_handle_t *)&io->tuv, NULL);
                uv_run(&io->loop, UV_RUN_DEFAULT);
                uv_loop_close(&io->loop);
                uv_mutex_destroy(&io->lock);
                uv_mutex_destroy(&io->tlock);
                uv_cond_destroy(&io->tcond);
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
        return !atomic_load(&io->joined) &&
               uv_thread_equal(&self, &io->tid) != 0;
}

void rmq__io_assert_on_loop(const rmq_io_t *io, const char *func) {
        if (rmq__io_on_loop(io))
                return;
        fprintf(stderr,
                "rocketmq-c: %s must run on the I/O thread (a bug in the "
                "library); aborting\n",
                func);
        abort();
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

void rmq__io_stop(rmq_io_t *io, void (*on_stop)(rmq_io_t *io, void *arg),
                  void *arg) {
        if (!io || atomic_load(&io->joined))
                return;
        uv_mutex_lock(&io->lock);
        io->on_stop     = on_stop;
        io->on_stop_arg = arg;
        io->stopping    = 1;
        uv_mutex_unlock(&io->lock);
        uv_async_send(&io->wake);
        uv_thread_join(&io->tid);
        atomic_store(&io->joined, true);
        /* Every handle is closed and its close callback has run: uv_run only
         * returns when no handle is left. */
        if (uv_loop_close(&io->loop))
                rmq__log(io->lg, RMQ_LOG_WARN, "IO",
                         "event loop still busy at close");
}

void rmq__io_free(rmq_io_t *io) {
        if (!io)
                return;
        uv_mutex_destroy(&io->lock);
        uv_mutex_destroy(&io->tlock);
        uv_cond_destroy(&io->tcond);
        rmq__heap_free(&io->theap);
        rmq__waiter_destroy(&io->started);
        rmq__free(io);
}

void rmq__io_destroy(rmq_io_t *io, void (*on_stop)(rmq_io_t *io, void *arg),
                     void *arg) {
        rmq__io_stop(io, on_stop, arg);
        rmq__io_free(io);
}

/* ---- timer service ---- */

void rmq__timer_init(rmq_timer_t *t, rmq_timer_fn_t *fn, void *arg) {
        rmq__heap_node_init(&t->hn);
        t->fn        = fn;
        t->arg       = arg;
        t->period_ms = 0;
}

/* Arms the uv timer for the earliest timer. Loop thread, tlock held. */
static void timers_rearm_locked(rmq_io_t *io) {
        rmq_heap_node_t *top = rmq__heap_top(&io->theap);
        int64_t now;
        if (!io->tuv_on)
                return;
        if (!top) {
                if (io->tuv_due != INT64_MAX)
                        uv_timer_stop(&io->tuv);
                io->tuv_due = INT64_MAX;
                return;
        }
        if (top->due == io->tuv_due)
                return;
        now         = rmq__mono_ms();
        io->tuv_due = top->due;
        uv_timer_start(&io->tuv, timers_cb,
                       top->due > now ? (uint64_t)(top->due - now) : 0, 0);
}

static void rearm_op_run(rmq_io_t *io, rmq_io_op_t *op) {
        RMQ_UNUSED(op);
        uv_mutex_lock(&io->tlock);
        io->rearm_posted = false;
        timers_rearm_locked(io);
        uv_mutex_unlock(&io->tlock);
}

/* @locality io thread */
static void timers_cb(uv_timer_t *uvt) {
        rmq_io_t *io = uvt->data;
        int64_t now  = rmq__mono_ms();
        rmq_heap_node_t *n;
        RMQ__ASSERT_IO_THREAD(io);
        uv_mutex_lock(&io->tlock);
        io->tuv_due = INT64_MAX;
        while ((n = rmq__heap_pop_due(&io->theap, now))) {
                rmq_timer_t *t  = RMQ_CONTAINER_OF(n, rmq_timer_t, hn);
                int64_t due     = n->due;
                int64_t period  = t->period_ms;
                io->cur         = t;
                io->cur_stopped = false;
                uv_mutex_unlock(&io->tlock);
                t->fn(t, t->arg);
                uv_mutex_lock(&io->tlock);
                /* A one-shot timer is not touched again: its callback may
                 * have freed it. */
                if (period > 0 && !io->cur_stopped &&
                    !rmq__heap_node_in(&t->hn)) {
                        /* fixed rate; a timer far behind catches up once */
                        int64_t next = due + period;
                        now          = rmq__mono_ms();
                        rmq__heap_push(&io->theap, &t->hn,
                                       next > now ? next : now);
                }
                io->cur = NULL;
                uv_cond_broadcast(&io->tcond);
        }
        timers_rearm_locked(io);
        uv_mutex_unlock(&io->tlock);
}

rmq_err_t rmq__timer_start(rmq_io_t *io, rmq_timer_t *t, int64_t delay_ms,
                           int64_t period_ms) {
        bool top, on_loop = rmq__io_on_loop(io), post = false;
        int64_t now = rmq__mono_ms();
        if (delay_ms < 0)
                delay_ms = 0;
        else if (delay_ms > RMQ_HEAP_DUE_MAX - now)
                delay_ms = RMQ_HEAP_DUE_MAX - now; /* no overflow */
        uv_mutex_lock(&io->tlock);
        /* stopping, or stopped while its callback runs (a restart from
         * that callback must not outlive the stop) */
        if (!io->tuv_on || (io->cur == t && io->cur_stopped)) {
                uv_mutex_unlock(&io->tlock);
                return RMQ_ERR__DESTROY;
        }
        rmq__heap_remove(&io->theap, &t->hn);
        t->period_ms = period_ms > 0 ? period_ms : 0;
        top          = rmq__heap_push(&io->theap, &t->hn, now + delay_ms);
        if (top && t->hn.due < io->tuv_due) {
                if (on_loop) {
                        timers_rearm_locked(io);
                } else if (!io->rearm_posted) {
                        io->rearm_posted = true;
                        post             = true;
                }
        }
        uv_mutex_unlock(&io->tlock);
        if (post) {
                io->rearm_op.fn = rearm_op_run;
                if (rmq__io_post(io, &io->rearm_op)) {
                        /* the io began stopping: the timer will not fire */
                        uv_mutex_lock(&io->tlock);
                        io->rearm_posted = false;
                        rmq__heap_remove(&io->theap, &t->hn);
                        uv_mutex_unlock(&io->tlock);
                        return RMQ_ERR__DESTROY;
                }
        }
        return RMQ_OK;
}

bool rmq__timer_stop(rmq_io_t *io, rmq_timer_t *t) {
        bool was;
        bool on_loop = rmq__io_on_loop(io);
        uv_mutex_lock(&io->tlock);
        was = rmq__heap_node_in(&t->hn) || io->cur == t;
        rmq__heap_remove(&io->theap, &t->hn);
        if (io->cur == t) {
                io->cur_stopped = true;
                /* Another thread waits for the callback to return (on the
                 * loop it is the caller itself: nothing to wait for). */
                while (io->cur == t && !on_loop)
                        uv_cond_wait(&io->tcond, &io->tlock);
        }
        uv_mutex_unlock(&io->tlock);
        return was;
}

bool rmq__timer_pending(rmq_io_t *io, const rmq_timer_t *t) {
        bool in;
        uv_mutex_lock(&io->tlock);
        in = rmq__heap_node_in(&t->hn);
        uv_mutex_unlock(&io->tlock);
        return in;
}
