/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Threads, a fixed worker pool, a counting semaphore with a timed acquire and
 * a one-shot waiter. Built on libuv's portable primitives.
 */
#ifndef RMQ_THREAD_H
#define RMQ_THREAD_H

#include <stdatomic.h>
#include <uv.h>

#include "common/rmq_common.h"
#include "common/rmq_list.h"

/*
 * Thread locality (STYLE R15). An I/O thread (rmq_io_t's loop) marks
 * itself; the blocking primitives below refuse to run there in debug
 * builds (assertion), because a loop that waits cannot deliver what it
 * waits for.
 */
#if defined(__GNUC__)
#define RMQ_TLS_FAST __attribute__((tls_model("initial-exec")))
#else
#define RMQ_TLS_FAST
#endif
/* Per-thread state behind the inline functions below (initial-exec TLS:
 * one load, no call, also in the shared library). */
extern _Thread_local bool rmq__tls_io RMQ_TLS_FAST;
extern _Thread_local int rmq__tls_locks RMQ_TLS_FAST;

static inline void rmq__thread_set_io(bool on) {
        rmq__tls_io = on;
}
static inline bool rmq__thread_is_io(void) {
        return rmq__tls_io;
}

/* Debug builds (no NDEBUG): abort with \p what if the calling thread is an
 * I/O thread. Release builds: nothing. */
void rmq__assert_not_io(const char *what);
#ifndef NDEBUG
#define RMQ__ASSERT_NOT_IO(what) rmq__assert_not_io(what)
#else
#define RMQ__ASSERT_NOT_IO(what) ((void)0)
#endif

/*
 * Library locks that user code must never run under (STYLE R16.6: the log
 * callback, listeners, hooks). They count, per thread, how many such
 * locks are held; rmq__log() asserts (debug builds) that the count is 0
 * when it calls the application's callback, and tests read it from the
 * callback. Plain uv_mutex_t underneath.
 */
static inline void rmq__lock(uv_mutex_t *m) {
        uv_mutex_lock(m);
        rmq__tls_locks++;
}
static inline void rmq__unlock(uv_mutex_t *m) {
        rmq__tls_locks--;
        uv_mutex_unlock(m);
}
/* Library locks (rmq__lock) held by the calling thread. */
static inline int rmq__locks_held(void) {
        return rmq__tls_locks;
}

/* STYLE R16.6: the application's code (\p what: "a log line [fac]", "the
 * statistics callback") never runs under a library lock. Debug builds
 * abort with a message when the calling thread holds one; no-op
 * otherwise. */
void rmq__assert_no_locks(const char *what);

/* Starts a library thread with every signal blocked (so signals, SIGPIPE
 * included, go to the host's threads) and named \p name (15 chars max).
 * Returns 0 or a libuv error. */
int rmq__thread_create(uv_thread_t *tid, const char *name, void (*fn)(void *),
                       void *arg);

/* A job embedded in its owner; fn runs on a pool thread and may free the
 * owner. */
typedef struct rmq_job_s rmq_job_t;
typedef void(rmq_job_fn_t)(rmq_job_t *job);
struct rmq_job_s {
        rmq_list_t link;
        rmq_job_fn_t *fn;
};

/*
 * Fixed-size worker pool. Java's ThreadPoolExecutor with an unbounded queue
 * never grows past its core size, so a fixed pool is the faithful model.
 */
typedef struct rmq_pool_s rmq_pool_t;

rmq_pool_t *rmq__pool_new(const char *name_prefix, int threads);
/* Queues \p job. Returns RMQ_ERR__DESTROY once the pool is shutting down
 * (the job is then not run). Thread-safe. */
rmq_err_t rmq__pool_submit(rmq_pool_t *pool, rmq_job_t *job);
/* Queues every job on \p jobs (\p n of them, linked through their link
 * fields) with one lock and one wake-up, in list order; \p jobs ends
 * empty. Returns RMQ_ERR__DESTROY once the pool is shutting down (then no
 * job is queued and \p jobs is left as it was). Thread-safe. */
rmq_err_t rmq__pool_submit_list(rmq_pool_t *pool, rmq_list_t *jobs, size_t n);
/* Convenience: allocates the job node. */
rmq_err_t rmq__pool_submit_fn(rmq_pool_t *pool, void (*fn)(void *arg),
                              void *arg);
/* True when the calling thread is one of the pool's workers. */
bool rmq__pool_on_worker(rmq_pool_t *pool);
/* Runs every job already queued, then joins the workers and frees the pool.
 * Must not be called from a worker of this pool. */
void rmq__pool_destroy(rmq_pool_t *pool);
size_t rmq__pool_queued(rmq_pool_t *pool);

/* Counting semaphore (Java Semaphore) with a timed acquire. The permit
 * count is atomic: acquire and release take no lock while permits are
 * left and nobody waits (the common case: 65535 async permits); the
 * mutex and condition serve the waiters. */
typedef struct rmq_sem_s {
        uv_mutex_t lock;
        uv_cond_t cond;
        _Atomic int64_t permits;
        _Atomic int waiters;
} rmq_sem_t;

void rmq__sem_init(rmq_sem_t *sem, int64_t permits);
void rmq__sem_destroy(rmq_sem_t *sem);
/* Returns true if a permit was taken within \p timeout_ms (0: try once,
 * the only form allowed on an I/O thread). */
bool rmq__sem_acquire(rmq_sem_t *sem, int64_t timeout_ms);
void rmq__sem_release(rmq_sem_t *sem);
int64_t rmq__sem_available(rmq_sem_t *sem);

/* One-shot completion used by synchronous calls. */
typedef struct rmq_waiter_s {
        uv_mutex_t lock;
        uv_cond_t cond;
        int done;
} rmq_waiter_t;

void rmq__waiter_init(rmq_waiter_t *w);
void rmq__waiter_destroy(rmq_waiter_t *w);
void rmq__waiter_signal(rmq_waiter_t *w);
/* Waits: never on an I/O thread (asserted in debug builds). */
void rmq__waiter_wait(rmq_waiter_t *w);
/* Returns true if signalled before \p timeout_ms elapsed. */
bool rmq__waiter_timedwait(rmq_waiter_t *w, int64_t timeout_ms);

#endif /* RMQ_THREAD_H */
