/* SPDX-License-Identifier: Apache-2.0 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "common/rmq_thread.h"
#include "common/rmq_time.h"

void rmq__assert_no_locks(const char *what) {
#ifndef NDEBUG
        if (rmq__locks_held() != 0) {
                fprintf(stderr,
                        "rocketmq-c: %s under a library lock (a bug in the "
                        "library); aborting\n",
                        what);
                abort();
        }
#else
        RMQ_UNUSED(what);
#endif
}

/* ---- locality ---- */

_Thread_local bool rmq__tls_io RMQ_TLS_FAST;
_Thread_local int rmq__tls_locks RMQ_TLS_FAST;

void rmq__assert_not_io(const char *what) {
        if (!rmq__tls_io)
                return;
        fprintf(stderr,
                "rocketmq-c: %s would block the I/O thread (a bug in the "
                "library); aborting\n",
                what);
        abort();
}

typedef struct thread_start_s {
        void (*fn)(void *);
        void *arg;
        char name[16];
} thread_start_t;

static void thread_trampoline(void *p) {
        thread_start_t ts = *(thread_start_t *)p;
        rmq__free(p);
#if defined(__linux__)
        pthread_setname_np(pthread_self(), ts.name);
#endif
        ts.fn(ts.arg);
}

int rmq__thread_create(uv_thread_t *tid, const char *name, void (*fn)(void *),
                       void *arg) {
        sigset_t all, old;
        thread_start_t *ts = rmq__malloc(sizeof(*ts));
        int r;

        ts->fn  = fn;
        ts->arg = arg;
        snprintf(ts->name, sizeof(ts->name), "%s", name ? name : "rmq");
        /* The new thread inherits the creator's mask: block everything for
         * the duration of the create call. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = uv_thread_create(tid, thread_trampoline, ts);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r)
                rmq__free(ts);
        return r;
}

/* ---- worker pool ---- */

struct rmq_pool_s {
        uv_mutex_t lock;
        uv_cond_t cond;
        rmq_list_t jobs;
        size_t queued;
        int stopping;
        int nthreads;
        uv_thread_t *tids;
        char name[12];
};

typedef struct fn_job_s {
        rmq_job_t job;
        void (*fn)(void *);
        void *arg;
} fn_job_t;

static void pool_worker(void *arg) {
        rmq_pool_t *pool = arg;
        uv_mutex_lock(&pool->lock);
        for (;;) {
                rmq_list_t *n;
                rmq_job_t *job;
                while (rmq__list_empty(&pool->jobs) && !pool->stopping)
                        uv_cond_wait(&pool->cond, &pool->lock);
                n = rmq__list_pop_head(&pool->jobs);
                if (!n)
                        break; /* stopping and drained */
                pool->queued--;
                uv_mutex_unlock(&pool->lock);
                job = RMQ_CONTAINER_OF(n, rmq_job_t, link);
                job->fn(job);
                uv_mutex_lock(&pool->lock);
        }
        uv_mutex_unlock(&pool->lock);
}

rmq_pool_t *rmq__pool_new(const char *name_prefix, int threads) {
        rmq_pool_t *pool = rmq__calloc(1, sizeof(*pool));
        int i;
        if (threads < 1)
                threads = 1;
        uv_mutex_init(&pool->lock);
        uv_cond_init(&pool->cond);
        rmq__list_init(&pool->jobs);
        snprintf(pool->name, sizeof(pool->name), "%s", name_prefix);
        pool->tids = rmq__calloc((size_t)threads, sizeof(uv_thread_t));
        for (i = 0; i < threads; i++) {
                char name[16];
                snprintf(name, sizeof(name), "%.10s-%d", pool->name, i % 1000);
                if (rmq__thread_create(&pool->tids[i], name, pool_worker, pool))
                        break;
        }
        pool->nthreads = i;
        if (i == 0) {
                uv_cond_destroy(&pool->cond);
                uv_mutex_destroy(&pool->lock);
                rmq__free(pool->tids);
                rmq__free(pool);
                return NULL;
        }
        return pool;
}

rmq_err_t rmq__pool_submit(rmq_pool_t *pool, rmq_job_t *job) {
        uv_mutex_lock(&pool->lock);
        if (pool->stopping) {
                uv_mutex_unlock(&pool->lock);
                return RMQ_ERR__DESTROY;
        }
        rmq__list_insert_tail(&pool->jobs, &job->link);
        pool->queued++;
        uv_cond_signal(&pool->cond);
        uv_mutex_unlock(&pool->lock);
        return RMQ_OK;
}

rmq_err_t rmq__pool_submit_list(rmq_pool_t *pool, rmq_list_t *jobs, size_t n) {
        if (!n)
                return RMQ_OK;
        uv_mutex_lock(&pool->lock);
        if (pool->stopping) {
                uv_mutex_unlock(&pool->lock);
                return RMQ_ERR__DESTROY;
        }
        rmq__list_move_all(jobs, &pool->jobs);
        pool->queued += n;
        /* one wake-up per job, at most one per worker: a broadcast would
         * wake every idle worker for a few jobs */
        {
                size_t k = n < (size_t)pool->nthreads ? n : (size_t)pool->nthreads;
                while (k--)
                        uv_cond_signal(&pool->cond);
        }
        uv_mutex_unlock(&pool->lock);
        return RMQ_OK;
}

static void fn_job_run(rmq_job_t *job) {
        fn_job_t *fj       = RMQ_CONTAINER_OF(job, fn_job_t, job);
        void (*fn)(void *) = fj->fn;
        void *arg          = fj->arg;
        rmq__free(fj);
        fn(arg);
}

rmq_err_t rmq__pool_submit_fn(rmq_pool_t *pool, void (*fn)(void *arg),
                              void *arg) {
        fn_job_t *fj = rmq__malloc(sizeof(*fj));
        rmq_err_t err;
        fj->job.fn = fn_job_run;
        fj->fn     = fn;
        fj->arg    = arg;
        err        = rmq__pool_submit(pool, &fj->job);
        if (err)
                rmq__free(fj);
        return err;
}

bool rmq__pool_on_worker(rmq_pool_t *pool) {
        uv_thread_t self = uv_thread_self();
        int i;
        for (i = 0; i < pool->nthreads; i++)
                if (uv_thread_equal(&self, &pool->tids[i]))
                        return true;
        return false;
}

size_t rmq__pool_queued(rmq_pool_t *pool) {
        size_t n;
        uv_mutex_lock(&pool->lock);
        n = pool->queued;
        uv_mutex_unlock(&pool->lock);
        return n;
}

void rmq__pool_destroy(rmq_pool_t *pool) {
        int i;
        if (!pool)
                return;
        uv_mutex_lock(&pool->lock);
        pool->stopping = 1;
        uv_cond_broadcast(&pool->cond);
        uv_mutex_unlock(&pool->lock);
        for (i = 0; i < pool->nthreads; i++)
                uv_thread_join(&pool->tids[i]);
        uv_cond_destroy(&pool->cond);
        uv_mutex_destroy(&pool->lock);
        rmq__free(pool->tids);
        rmq__free(pool);
}

/* ---- semaphore ---- */

void rmq__sem_init(rmq_sem_t *sem, int64_t permits) {
        uv_mutex_init(&sem->lock);
        uv_cond_init(&sem->cond);
        atomic_init(&sem->permits, permits);
        atomic_init(&sem->waiters, 0);
}

void rmq__sem_destroy(rmq_sem_t *sem) {
        uv_cond_destroy(&sem->cond);
        uv_mutex_destroy(&sem->lock);
}

/* Takes a permit if one is left (no lock). */
static bool sem_try(rmq_sem_t *sem) {
        int64_t p = atomic_load(&sem->permits);
        while (p > 0)
                if (atomic_compare_exchange_weak(&sem->permits, &p, p - 1))
                        return true;
        return false;
}

bool rmq__sem_acquire(rmq_sem_t *sem, int64_t timeout_ms) {
        int64_t deadline;
        bool ok;
        if (sem_try(sem))
                return true;
        /* never waits on an I/O thread: permits come back only when an
         * I/O thread reads the answers */
        if (timeout_ms <= 0 || rmq__thread_is_io())
                return false;
        deadline = rmq__mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
        uv_mutex_lock(&sem->lock);
        /* Registered as a waiter before the last check (all seq_cst): a
         * release either sees the waiter and signals under the lock, or
         * its permit is seen by the check. */
        atomic_fetch_add(&sem->waiters, 1);
        while (!(ok = sem_try(sem))) {
                int64_t left = deadline - rmq__mono_ms();
                if (left <= 0)
                        break;
                uv_cond_timedwait(&sem->cond, &sem->lock,
                                  (uint64_t)left * 1000000u);
        }
        atomic_fetch_sub(&sem->waiters, 1);
        uv_mutex_unlock(&sem->lock);
        return ok;
}

void rmq__sem_release(rmq_sem_t *sem) {
        atomic_fetch_add(&sem->permits, 1);
        if (atomic_load(&sem->waiters) > 0) {
                uv_mutex_lock(&sem->lock);
                uv_cond_signal(&sem->cond);
                uv_mutex_unlock(&sem->lock);
        }
}

int64_t rmq__sem_available(rmq_sem_t *sem) {
        return atomic_load(&sem->permits);
}

/* ---- waiter ---- */

void rmq__waiter_init(rmq_waiter_t *w) {
        uv_mutex_init(&w->lock);
        uv_cond_init(&w->cond);
        w->done = 0;
}

void rmq__waiter_destroy(rmq_waiter_t *w) {
        uv_cond_destroy(&w->cond);
        uv_mutex_destroy(&w->lock);
}

void rmq__waiter_signal(rmq_waiter_t *w) {
        uv_mutex_lock(&w->lock);
        w->done = 1;
        uv_cond_broadcast(&w->cond);
        uv_mutex_unlock(&w->lock);
}

void rmq__waiter_wait(rmq_waiter_t *w) {
        RMQ__ASSERT_NOT_IO("a wait for completion");
        uv_mutex_lock(&w->lock);
        while (!w->done)
                uv_cond_wait(&w->cond, &w->lock);
        uv_mutex_unlock(&w->lock);
}

bool rmq__waiter_timedwait(rmq_waiter_t *w, int64_t timeout_ms) {
        int64_t deadline = rmq__mono_ms() + timeout_ms;
        bool done;
        RMQ__ASSERT_NOT_IO("a timed wait for completion");
        uv_mutex_lock(&w->lock);
        while (!w->done) {
                int64_t left = deadline - rmq__mono_ms();
                if (left <= 0)
                        break;
                uv_cond_timedwait(&w->cond, &w->lock,
                                  (uint64_t)left * 1000000u);
        }
        done = w->done != 0;
        uv_mutex_unlock(&w->lock);
        return done;
}
