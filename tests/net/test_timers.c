/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The timer service of the I/O loop (rmq__timer_*): one-shot and periodic
 * timers, synchronous cancellation, callbacks that stop, restart or free
 * their timers, order of equal deadlines, use from many threads, and the
 * end of the service when the loop stops.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "common/rmq_io.h"
#include "common/rmq_thread.h"
#include "testutil.h"

static rmq_logger_t quiet = {rmq__log_stderr_cb, NULL, 3, 0, "test", 0};

typedef struct counter_s {
        rmq_timer_t t;
        atomic_int n;
        int stop_at;    /* stops itself at this count (0: never) */
        int restart_to; /* restarts itself until this count */
        rmq_io_t *io;
} counter_t;

static void count_cb(rmq_timer_t *t, void *arg) {
        counter_t *c = arg;
        int n        = atomic_load(&c->n) + 1;
        /* the count is published last: a waiter may free the counter as
         * soon as it sees it */
        if (c->stop_at && n == c->stop_at)
                assert_true(rmq__timer_stop(c->io, t));
        if (c->restart_to && n < c->restart_to)
                rmq__timer_start(c->io, t, 1, 0);
        atomic_store(&c->n, n);
}

static bool reached(void *arg) {
        counter_t *c = arg;
        return atomic_load(&c->n) >= (c->stop_at      ? c->stop_at
                                      : c->restart_to ? c->restart_to
                                                      : 1);
}

static void counter_init(counter_t *c, rmq_io_t *io) {
        memset(c, 0, sizeof(*c));
        c->io = io;
        rmq__timer_init(&c->t, count_cb, c);
        atomic_init(&c->n, 0);
}

/* Waits until a marker timer scheduled \p after_ms from now has fired: by
 * then every timer due earlier has fired too (one loop, deadline order). */
static void wait_marker(rmq_io_t *io, int after_ms) {
        counter_t m;
        counter_init(&m, io);
        rmq__timer_start(io, &m.t, after_ms, 0);
        assert_true(rmq_test_wait_until(reached, &m, 5000));
}

static void test_once_fires_once(void **state) {
        rmq_io_t *io = rmq__io_new("rmq-io", &quiet);
        counter_t c;
        (void)state;
        counter_init(&c, io);
        assert_int_equal(rmq__timer_start(io, &c.t, 20, 0), RMQ_OK);
        assert_true(rmq__timer_pending(io, &c.t));
        assert_true(rmq_test_wait_until(reached, &c, 5000));
        wait_marker(io, 40);
        assert_int_equal(atomic_load(&c.n), 1);
        assert_false(rmq__timer_pending(io, &c.t));
        assert_false(rmq__timer_stop(io, &c.t));
        rmq__io_destroy(io, NULL, NULL);
}

static bool three(void *arg) {
        return atomic_load(&((counter_t *)arg)->n) >= 3;
}

static void test_periodic_then_stop(void **state) {
        rmq_io_t *io = rmq__io_new("rmq-io", &quiet);
        counter_t c;
        int n;
        (void)state;
        counter_init(&c, io);
        rmq__timer_start(io, &c.t, 1, 5);
        assert_true(rmq_test_wait_until(three, &c, 5000));
        assert_true(rmq__timer_stop(io, &c.t));
        n = atomic_load(&c.n);
        wait_marker(io, 30); /* six periods later */
        assert_int_equal(atomic_load(&c.n), n);
        rmq__io_destroy(io, NULL, NULL);
}

static void test_stop_from_own_callback(void **state) {
        rmq_io_t *io = rmq__io_new("rmq-io", &quiet);
        counter_t c;
        (void)state;
        counter_init(&c, io);
        c.stop_at = 3;
        rmq__timer_start(io, &c.t, 1, 2);
        assert_true(rmq_test_wait_until(reached, &c, 5000));
        wait_marker(io, 20);
        assert_int_equal(atomic_load(&c.n), 3);
        assert_false(rmq__timer_pending(io, &c.t));
        rmq__io_destroy(io, NULL, NULL);
}

static void test_restart_from_own_callback(void **state) {
        rmq_io_t *io = rmq__io_new("rmq-io", &quiet);
        counter_t c;
        (void)state;
        counter_init(&c, io);
        c.restart_to = 5;
        rmq__timer_start(io, &c.t, 1, 0);
        assert_true(rmq_test_wait_until(reached, &c, 5000));
        wait_marker(io, 20);
        assert_int_equal(atomic_load(&c.n), 5);
        rmq__io_destroy(io, NULL, NULL);
}

/* ---- stop waits for a running callback ---- */

typedef struct blocker_s {
        rmq_timer_t t;
        rmq_io_t *io;
        atomic_bool entered;
        atomic_bool stop_called;
        atomic_bool stop_returned;
        atomic_bool seen_stop_return_while_running;
} blocker_t;

static void blocker_cb(rmq_timer_t *t, void *arg) {
        blocker_t *b = arg;
        (void)t;
        atomic_store(&b->entered, true);
        /* hold the loop until the other thread is inside stop */
        while (!atomic_load(&b->stop_called))
                uv_sleep(1);
        uv_sleep(5);
        if (atomic_load(&b->stop_returned))
                atomic_store(&b->seen_stop_return_while_running, true);
}

static void stopper(void *arg) {
        blocker_t *b = arg;
        atomic_store(&b->stop_called, true);
        assert_true(rmq__timer_stop(b->io, &b->t));
        atomic_store(&b->stop_returned, true);
}

static bool entered(void *arg) {
        return atomic_load(&((blocker_t *)arg)->entered);
}

static void test_stop_waits_for_running_callback(void **state) {
        blocker_t b;
        uv_thread_t th;
        (void)state;
        memset(&b, 0, sizeof(b));
        b.io = rmq__io_new("rmq-io", &quiet);
        rmq__timer_init(&b.t, blocker_cb, &b);
        rmq__timer_start(b.io, &b.t, 1, 1);
        assert_true(rmq_test_wait_until(entered, &b, 5000));
        uv_thread_create(&th, stopper, &b);
        uv_thread_join(&th);
        assert_true(atomic_load(&b.stop_returned));
        assert_false(atomic_load(&b.seen_stop_return_while_running));
        assert_false(rmq__timer_pending(b.io, &b.t));
        rmq__io_destroy(b.io, NULL, NULL);
}

/* ---- a one-shot callback frees its owner ---- */

typedef struct owner_s {
        rmq_timer_t t;
        atomic_int *freed;
} owner_t;

static void free_owner_cb(rmq_timer_t *t, void *arg) {
        owner_t *o = arg;
        (void)t;
        atomic_fetch_add(o->freed, 1);
        free(o);
}

static bool freed_all(void *arg) {
        return atomic_load((atomic_int *)arg) == 50;
}

static void test_once_callback_frees_owner(void **state) {
        rmq_io_t *io = rmq__io_new("rmq-io", &quiet);
        atomic_int freed;
        int i;
        (void)state;
        atomic_init(&freed, 0);
        for (i = 0; i < 50; i++) {
                owner_t *o = malloc(sizeof(*o));
                o->freed   = &freed;
                rmq__timer_init(&o->t, free_owner_cb, o);
                rmq__timer_start(io, &o->t, i % 5, 0);
        }
        assert_true(rmq_test_wait_until(freed_all, &freed, 5000));
        rmq__io_destroy(io, NULL, NULL);
}

/* ---- order of equal deadlines ---- */

typedef struct order_s {
        rmq_timer_t t[8];
        atomic_int fired[8];
        atomic_int n;
        rmq_io_t *io;
} order_t;

static void order_cb(rmq_timer_t *t, void *arg) {
        order_t *o = arg;
        /* one callback at a time (one loop): k is this one's slot */
        int k = atomic_load(&o->n);
        atomic_store(&o->fired[k], (int)(t - o->t));
        atomic_store(&o->n, k + 1);
}

static void schedule_all(rmq_io_t *io, void *arg) {
        order_t *o = arg;
        int i;
        (void)io;
        for (i = 0; i < 8; i++)
                rmq__timer_start(o->io, &o->t[i], 10, 0);
}

static bool all8(void *arg) {
        return atomic_load(&((order_t *)arg)->n) == 8;
}

static void test_equal_deadlines_in_schedule_order(void **state) {
        order_t o;
        int i;
        (void)state;
        memset(&o, 0, sizeof(o));
        o.io = rmq__io_new("rmq-io", &quiet);
        for (i = 0; i < 8; i++)
                rmq__timer_init(&o.t[i], order_cb, &o);
        rmq__io_call(o.io, schedule_all, &o);
        assert_true(rmq_test_wait_until(all8, &o, 5000));
        for (i = 0; i < 8; i++)
                assert_int_equal(atomic_load(&o.fired[i]), i);
        rmq__io_destroy(o.io, NULL, NULL);
}

/* ---- many threads ---- */

enum { THREADS = 4, PER_THREAD = 200 };

typedef struct many_s {
        rmq_io_t *io;
        counter_t c[THREADS * PER_THREAD];
        atomic_int next;
} many_t;

static void starter(void *arg) {
        many_t *m = arg;
        int k, i;
        for (i = 0; i < PER_THREAD; i++) {
                k = atomic_fetch_add(&m->next, 1);
                if (k % 10 == 0) {
                        /* some are cancelled before they are due (a timer
                         * due at once may legitimately fire before the
                         * stop: these are due much later) */
                        rmq__timer_start(m->io, &m->c[k].t, 60000, 0);
                        rmq__timer_stop(m->io, &m->c[k].t);
                } else {
                        rmq__timer_start(m->io, &m->c[k].t, k % 7, 0);
                }
        }
}

static bool many_done(void *arg) {
        many_t *m = arg;
        int k;
        for (k = 0; k < THREADS * PER_THREAD; k++)
                if (k % 10 != 0 && atomic_load(&m->c[k].n) != 1)
                        return false;
        return true;
}

static void test_many_threads(void **state) {
        many_t *m = calloc(1, sizeof(*m));
        uv_thread_t th[THREADS];
        int k;
        (void)state;
        m->io = rmq__io_new("rmq-io", &quiet);
        for (k = 0; k < THREADS * PER_THREAD; k++)
                counter_init(&m->c[k], m->io);
        for (k = 0; k < THREADS; k++)
                uv_thread_create(&th[k], starter, m);
        for (k = 0; k < THREADS; k++)
                uv_thread_join(&th[k]);
        assert_true(rmq_test_wait_until(many_done, m, 10000));
        wait_marker(m->io, 20);
        for (k = 0; k < THREADS * PER_THREAD; k++)
                assert_int_equal(atomic_load(&m->c[k].n), k % 10 == 0 ? 0 : 1);
        rmq__io_destroy(m->io, NULL, NULL);
        free(m);
}

/* ---- the end of the loop ---- */

static void test_start_after_stop_refused(void **state) {
        rmq_io_t *io = rmq__io_new("rmq-io", &quiet);
        counter_t c, late;
        (void)state;
        counter_init(&c, io);
        counter_init(&late, io);
        rmq__timer_start(io, &c.t, 60000, 0); /* never due */
        rmq__io_stop(io, NULL, NULL);
        assert_int_equal(rmq__timer_start(io, &late.t, 0, 0), RMQ_ERR__DESTROY);
        /* stopping a timer left scheduled is still safe until the io is
         * freed */
        assert_true(rmq__timer_stop(io, &c.t));
        rmq__io_free(io);
        assert_int_equal(atomic_load(&c.n), 0);
        assert_int_equal(atomic_load(&late.n), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_once_fires_once),
            cmocka_unit_test(test_periodic_then_stop),
            cmocka_unit_test(test_stop_from_own_callback),
            cmocka_unit_test(test_restart_from_own_callback),
            cmocka_unit_test(test_stop_waits_for_running_callback),
            cmocka_unit_test(test_once_callback_frees_owner),
            cmocka_unit_test(test_equal_deadlines_in_schedule_order),
            cmocka_unit_test(test_many_threads),
            cmocka_unit_test(test_start_after_stop_refused),
        };
        return cmocka_run_group_tests_name("timers", tests, NULL, NULL);
}
