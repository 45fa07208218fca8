/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The synchronisation building blocks of the hot paths, with threads (so
 * here, in the TSan run of 'net|mock'): the counting semaphore (lock-free
 * while permits are left, mutex and condition for waiters) and the
 * bounded free list (blocks handed between threads, outliving their
 * owner).
 */
#include <stdatomic.h>
#include <stdio.h>

#include "common/rmq_freelist.h"
#include "common/rmq_thread.h"
#include "common/rmq_time.h"
#include "testutil.h"

static void test_sem_basics(void **state) {
        rmq_sem_t sem;
        int64_t t0;
        (void)state;
        rmq__sem_init(&sem, 2);
        assert_true(rmq__sem_acquire(&sem, 0));
        assert_true(rmq__sem_acquire(&sem, 0));
        assert_int_equal(rmq__sem_available(&sem), 0);
        assert_false(rmq__sem_acquire(&sem, 0));
        t0 = rmq__mono_ms();
        assert_false(rmq__sem_acquire(&sem, 50));
        assert_true(rmq__mono_ms() - t0 >= 45);
        rmq__sem_release(&sem);
        assert_int_equal(rmq__sem_available(&sem), 1);
        assert_true(rmq__sem_acquire(&sem, 0));
        rmq__sem_release(&sem);
        rmq__sem_release(&sem);
        assert_int_equal(rmq__sem_available(&sem), 2);
        rmq__sem_destroy(&sem);
}

typedef struct waiter_arg_s {
        rmq_sem_t *sem;
        atomic_int got;
} waiter_arg_t;

static void waiter_thread(void *arg) {
        waiter_arg_t *w = arg;
        atomic_store(&w->got, rmq__sem_acquire(w->sem, 10000) ? 1 : -1);
}

/* A waiter blocked on an empty semaphore is woken by a release. */
static void test_sem_wakes_waiter(void **state) {
        rmq_sem_t sem;
        waiter_arg_t w;
        uv_thread_t tid;
        int64_t t0;
        (void)state;
        rmq__sem_init(&sem, 0);
        w.sem = &sem;
        atomic_init(&w.got, 0);
        assert_int_equal(uv_thread_create(&tid, waiter_thread, &w), 0);
        uv_sleep(30);
        assert_int_equal(atomic_load(&w.got), 0);
        t0 = rmq__mono_ms();
        rmq__sem_release(&sem);
        uv_thread_join(&tid);
        assert_int_equal(atomic_load(&w.got), 1);
        assert_true(rmq__mono_ms() - t0 < 5000);
        assert_int_equal(rmq__sem_available(&sem), 0);
        rmq__sem_destroy(&sem);
}

#define STRESS_THREADS 4
#define STRESS_ITERS   20000
#define STRESS_PERMITS 3

typedef struct stress_s {
        rmq_sem_t sem;
        atomic_int in_use;
        atomic_int max_in_use;
        atomic_int failures;
} stress_t;

static void stress_thread(void *arg) {
        stress_t *st = arg;
        int i;
        for (i = 0; i < STRESS_ITERS; i++) {
                int n, m;
                if (!rmq__sem_acquire(&st->sem, 10000)) {
                        atomic_fetch_add(&st->failures, 1);
                        continue;
                }
                n = atomic_fetch_add(&st->in_use, 1) + 1;
                m = atomic_load(&st->max_in_use);
                while (n > m &&
                       !atomic_compare_exchange_weak(&st->max_in_use, &m, n))
                        ;
                atomic_fetch_sub(&st->in_use, 1);
                rmq__sem_release(&st->sem);
        }
}

/* More threads than permits: never more holders than permits, no permit
 * lost, nobody starves past the timeout. */
static void test_sem_stress(void **state) {
        stress_t st;
        uv_thread_t tids[STRESS_THREADS];
        int i;
        (void)state;
        rmq__sem_init(&st.sem, STRESS_PERMITS);
        atomic_init(&st.in_use, 0);
        atomic_init(&st.max_in_use, 0);
        atomic_init(&st.failures, 0);
        for (i = 0; i < STRESS_THREADS; i++)
                assert_int_equal(uv_thread_create(&tids[i], stress_thread,
                                                  &st),
                                 0);
        for (i = 0; i < STRESS_THREADS; i++)
                uv_thread_join(&tids[i]);
        assert_int_equal(atomic_load(&st.failures), 0);
        assert_true(atomic_load(&st.max_in_use) <= STRESS_PERMITS);
        assert_int_equal(rmq__sem_available(&st.sem), STRESS_PERMITS);
        rmq__sem_destroy(&st.sem);
}

/* Blocks come back LIFO, beyond the cap they are freed, and a list
 * released while a block is out is freed when that block returns (ASan
 * reports a leak or a use after free otherwise). */
static void test_freelist_basics(void **state) {
        rmq_freelist_t *fl = rmq__freelist_new(64, 2);
        void *a, *b, *c, *d;
        (void)state;
        assert_int_equal(rmq__freelist_block_size(fl), 64);
        a = rmq__freelist_get(fl);
        b = rmq__freelist_get(fl);
        c = rmq__freelist_get(fl);
        memset(a, 1, 64);
        memset(b, 2, 64);
        memset(c, 3, 64);
        rmq__freelist_put(fl, a);
        rmq__freelist_put(fl, b);
        rmq__freelist_put(fl, c); /* over the cap: freed */
        rmq__freelist_put(fl, NULL);
        d = rmq__freelist_get(fl);
        assert_ptr_equal(d, b);
        rmq__freelist_release(fl); /* d is still out */
        memset(d, 4, 64);
        rmq__freelist_put(fl, d); /* the last one: frees the list */
}

/* Batches: get_many gives the cached blocks (or one new), put_many keeps
 * up to the cap and frees the rest, also past 64 at once. */
static void test_freelist_batches(void **state) {
        rmq_freelist_t *fl = rmq__freelist_new(32, 100);
        void *blk[150], *got[150];
        size_t i, n;
        (void)state;
        n = rmq__freelist_get_many(fl, got, 10);
        assert_int_equal(n, 1); /* nothing cached: one new block */
        blk[0] = got[0];
        for (i = 1; i < 150; i++)
                blk[i] = rmq__freelist_get(fl);
        rmq__freelist_put_many(fl, blk, 150); /* 100 kept, 50 freed */
        n = rmq__freelist_get_many(fl, got, 150);
        assert_int_equal(n, 100);
        for (i = 0; i < n; i++)
                memset(got[i], (int)i, 32);
        rmq__freelist_put_many(fl, got, 60);
        rmq__freelist_release(fl); /* 40 still out */
        rmq__freelist_put_many(fl, got + 60, 40); /* frees the list */
}

#define FL_ITERS 50000

typedef struct fl_pipe_s {
        rmq_freelist_t *fl;
        void *slots[64];
        atomic_int head, tail; /* single producer, single consumer ring */
} fl_pipe_t;

static void fl_consumer(void *arg) {
        fl_pipe_t *p = arg;
        int done = 0;
        while (done < FL_ITERS) {
                int t = atomic_load(&p->tail);
                if (t == atomic_load(&p->head)) {
                        uv_sleep(0);
                        continue;
                }
                rmq__freelist_put(p->fl, p->slots[t % 64]);
                atomic_store(&p->tail, t + 1);
                done++;
        }
}

/* Allocated on one thread, freed on another: the traffic the free lists
 * are for. */
static void test_freelist_across_threads(void **state) {
        fl_pipe_t p;
        uv_thread_t tid;
        int i;
        (void)state;
        p.fl = rmq__freelist_new(256, 16);
        atomic_init(&p.head, 0);
        atomic_init(&p.tail, 0);
        assert_int_equal(uv_thread_create(&tid, fl_consumer, &p), 0);
        for (i = 0; i < FL_ITERS; i++) {
                void *blk;
                while (atomic_load(&p.head) - atomic_load(&p.tail) >= 64)
                        uv_sleep(0);
                blk = rmq__freelist_get(p.fl);
                memset(blk, i & 0xff, 256);
                p.slots[i % 64] = blk;
                atomic_store(&p.head, i + 1);
        }
        uv_thread_join(&tid);
        rmq__freelist_release(p.fl);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sem_basics),
            cmocka_unit_test(test_sem_wakes_waiter),
            cmocka_unit_test(test_sem_stress),
            cmocka_unit_test(test_freelist_basics),
            cmocka_unit_test(test_freelist_batches),
            cmocka_unit_test(test_freelist_across_threads),
        };
        return cmocka_run_group_tests_name("sync_primitives", tests, NULL,
                                           NULL);
}
