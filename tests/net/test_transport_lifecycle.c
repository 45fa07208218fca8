/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transport's lifecycle rules (issue 8): the I/O thread never waits
 * for an async permit; processors still queued at shutdown run against a
 * transport that is closed but not freed; the processor table is fixed
 * once traffic starts; host names are resolved on a thread of ours, not
 * libuv's process-wide pool.
 */
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/rmq_io.h"
#include "common/rmq_str.h"
#include "common/rmq_thread.h"
#include "common/rmq_time.h"
#include "remoting/rmq_remoting.h"
#include "testutil.h"

#define CODE_ECHO     1000
#define CODE_DELAY    1003
#define CODE_ASK_BACK 1004 /* the server sends two requests back */
#define CODE_FROM_SRV 1005

static rmq_logger_t quiet = {rmq__log_stderr_cb, NULL, 3, 0, "test", 0};

/* ---- a server in server mode ---- */

typedef struct server_s {
        rmq_io_t *io;
        rmq_remoting_t *rm;
        int port;
        char addr[64];
} server_t;

typedef struct later_s {
        rmq_timer_t t;
        rmq_remoting_t *rm;
        rmq_channel_t *ch;
        rmq_cmd_t *req;
} later_t;

static void later_fire(rmq_timer_t *t, void *arg) {
        later_t *l = arg;
        (void)t;
        rmq__remoting_reply(l->rm, l->ch, l->req,
                            rmq__cmd_new_response(0, "late"));
        rmq__channel_release(l->ch);
        rmq__cmd_destroy(l->req);
        free(l);
}

static void server_proc(rmq_remoting_t *rm, rmq_channel_t *ch, rmq_cmd_t *req,
                        void *opaque) {
        server_t *s = opaque;
        int i;
        switch (req->code) {
        case CODE_ECHO:
                rmq__remoting_reply(rm, ch, req,
                                    rmq__cmd_new_response(0, NULL));
                break;
        case CODE_DELAY: {
                later_t *l = calloc(1, sizeof(*l));
                int64_t ms = 0;
                rmq__cmd_ext_i64(req, "ms", &ms);
                l->rm  = rm;
                l->ch  = rmq__channel_retain(ch);
                l->req = req;
                rmq__timer_init(&l->t, later_fire, l);
                rmq__timer_start(s->io, &l->t, ms, 0);
                return;
        }
        case CODE_ASK_BACK:
                for (i = 0; i < 2; i++) {
                        rmq_cmd_t *q = rmq__cmd_new_request(CODE_FROM_SRV);
                        rmq__remoting_invoke_channel(rm, ch, q, 3000, 0, NULL,
                                                     NULL);
                        rmq__cmd_destroy(q);
                }
                rmq__remoting_reply(rm, ch, req,
                                    rmq__cmd_new_response(0, NULL));
                break;
        default:
                break;
        }
        rmq__cmd_destroy(req);
}

static server_t *server_start(void) {
        server_t *s = calloc(1, sizeof(*s));
        rmq_remoting_conf_t rc;
        rmq__remoting_conf_defaults(&rc);
        s->io = rmq__io_new("test-srv", &quiet);
        s->rm = rmq__remoting_new(s->io, &rc, NULL, &quiet);
        rmq__remoting_register_processor(s->rm, -1, server_proc, s, true);
        assert_int_equal(rmq__remoting_listen(s->rm, "127.0.0.1", 0, &s->port),
                         RMQ_OK);
        snprintf(s->addr, sizeof(s->addr), "127.0.0.1:%d", s->port);
        return s;
}

static void server_stop(server_t *s) {
        rmq__remoting_teardown(s->io, NULL, s->rm);
        free(s);
}

static rmq_err_t call(rmq_remoting_t *rm, const char *addr, int code,
                      int64_t timeout_ms) {
        rmq_cmd_t *req = rmq__cmd_new_request(code), *resp = NULL;
        char err[256];
        rmq_err_t e;
        e = rmq__remoting_invoke_sync(rm, addr, req, timeout_ms, &resp, err,
                                      sizeof(err));
        rmq__cmd_destroy(req);
        rmq__cmd_destroy(resp);
        return e;
}

/* ---- 1. the I/O thread never waits for an async permit ---- */

typedef struct loop_invoke_s {
        rmq_remoting_t *rm;
        const char *addr;
        int64_t timeout_ms;
        rmq_err_t err;
        int64_t elapsed_ms;
} loop_invoke_t;

static void ignore_cb(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                      void *opaque) {
        (void)err;
        (void)resp;
        (void)errstr;
        atomic_fetch_add((atomic_int *)opaque, 1);
}

static atomic_int completions;

static void invoke_on_loop(rmq_io_t *io, void *arg) {
        loop_invoke_t *li = arg;
        rmq_cmd_t *req    = rmq__cmd_new_request(CODE_ECHO);
        int64_t t0        = rmq__mono_ms();
        (void)io;
        li->err = rmq__remoting_invoke_async(
            li->rm, li->addr, req, li->timeout_ms, 0, ignore_cb, &completions);
        li->elapsed_ms = rmq__mono_ms() - t0;
        rmq__cmd_destroy(req);
}

static bool one_completion(void *arg) {
        (void)arg;
        return atomic_load(&completions) >= 1;
}

static void test_loop_never_waits_for_a_permit(void **state) {
        server_t *s = server_start();
        rmq_remoting_conf_t rc;
        rmq_io_t *io;
        rmq_pool_t *pool;
        rmq_remoting_t *rm;
        rmq_cmd_t *req;
        loop_invoke_t li;
        int mult = rmq_test_tmout_multiplier();
        (void)state;
        atomic_init(&completions, 0);
        rmq__remoting_conf_defaults(&rc);
        rc.async_permits = 1;
        io               = rmq__io_new("test-cli", &quiet);
        pool             = rmq__pool_new("test-cb", 2);
        rm               = rmq__remoting_new(io, &rc, pool, &quiet);
        /* the one permit is taken by a request the server answers late */
        req = rmq__cmd_new_request(CODE_DELAY);
        rmq__cmd_ext_add_i64(req, "ms", 2000);
        assert_int_equal(rmq__remoting_invoke_async(rm, s->addr, req, 10000, 0,
                                                    ignore_cb, &completions),
                         RMQ_OK);
        rmq__cmd_destroy(req);
        /* On the loop, a request without a permit fails at once instead
         * of waiting for a permit only this loop could give back (the old
         * code waited out the whole timeout, 30 s here). */
        memset(&li, 0, sizeof(li));
        li.rm         = rm;
        li.addr       = s->addr;
        li.timeout_ms = 30000 * (int64_t)mult;
        rmq__io_call(io, invoke_on_loop, &li);
        assert_int_equal(li.err, RMQ_ERR__TOO_MANY_REQUESTS);
        assert_true(li.elapsed_ms < 1000 * mult);
        /* the late answer still arrives: the loop kept working */
        assert_true(rmq_test_wait_until(one_completion, NULL, 10000));
        rmq__remoting_teardown(io, pool, rm);
        server_stop(s);
}

/* In debug builds a blocking wait on an I/O thread aborts (a bug caught
 * where it happens); checked in a child process. */
static void test_blocking_on_io_thread_aborts_in_debug(void **state) {
        rmq_sem_t sem;
        int64_t t0;
        (void)state;
        /* A semaphore taken on an I/O thread never waits, whatever the
         * timeout asked (every build). */
        rmq__sem_init(&sem, 0);
        rmq__thread_set_io(true);
        t0 = rmq__mono_ms();
        assert_false(rmq__sem_acquire(&sem, 5000));
        assert_true(rmq__mono_ms() - t0 < 1000);
        rmq__thread_set_io(false);
        rmq__sem_destroy(&sem);
#ifndef NDEBUG
        pid_t pid;
        int status = 0;
        fflush(NULL);
        pid = fork();
        if (pid == 0) {
                rmq_waiter_t w;
                rmq__waiter_init(&w);
                rmq__thread_set_io(true);
                rmq__waiter_wait(&w); /* never signalled: must abort */
                _exit(0);
        }
        assert_true(pid > 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGABRT);
#endif
}

/* ---- 2. processors queued at shutdown ---- */

typedef struct procs_s {
        atomic_int calls;
        atomic_bool entered;
        atomic_bool release;
        atomic_int invoke_errs[2];
} procs_t;

static void client_proc(rmq_remoting_t *rm, rmq_channel_t *ch, rmq_cmd_t *req,
                        void *opaque) {
        procs_t *p = opaque;
        int n      = atomic_fetch_add(&p->calls, 1);
        rmq_cmd_t *q;
        rmq_err_t e;
        if (n == 0) {
                atomic_store(&p->entered, true);
                while (!atomic_load(&p->release))
                        uv_sleep(1);
        }
        /* After the loop stopped: the transport is closed, not freed. */
        rmq__remoting_reply(rm, ch, req, rmq__cmd_new_response(0, NULL));
        q = rmq__cmd_new_request(CODE_ECHO);
        e = rmq__remoting_invoke_channel(rm, ch, q, 1000, 0, ignore_cb,
                                         &completions);
        if (n < 2)
                atomic_store(&p->invoke_errs[n], e);
        rmq__cmd_destroy(q);
        rmq__cmd_destroy(req);
}

typedef struct teardown_s {
        rmq_io_t *io;
        rmq_pool_t *pool;
        rmq_remoting_t *rm;
        atomic_bool done;
} teardown_t;

static void teardown_thread(void *arg) {
        teardown_t *t = arg;
        rmq__remoting_teardown(t->io, t->pool, t->rm);
        atomic_store(&t->done, true);
}

static void nop_op(rmq_io_t *io, rmq_io_op_t *op) {
        (void)io;
        free(op);
}

/* True once the io refuses posts (rmq__io_stop has begun). */
static bool io_refuses(void *arg) {
        rmq_io_op_t *op = calloc(1, sizeof(*op));
        op->fn          = nop_op;
        if (rmq__io_post(arg, op) == RMQ_OK)
                return false;
        free(op);
        return true;
}

static bool proc_entered(void *arg) {
        return atomic_load(&((procs_t *)arg)->entered);
}

static void test_processors_queued_at_shutdown(void **state) {
        server_t *s = server_start();
        rmq_remoting_conf_t rc;
        procs_t p;
        teardown_t t;
        uv_thread_t th;
        (void)state;
        memset(&p, 0, sizeof(p));
        memset(&t, 0, sizeof(t));
        rmq__remoting_conf_defaults(&rc);
        t.io   = rmq__io_new("test-cli", &quiet);
        t.pool = rmq__pool_new("test-cb", 1); /* one worker: the second
                                                 job waits in the queue */
        t.rm = rmq__remoting_new(t.io, &rc, t.pool, &quiet);
        assert_int_equal(rmq__remoting_register_processor(
                             t.rm, CODE_FROM_SRV, client_proc, &p, false),
                         RMQ_OK);
        assert_int_equal(call(t.rm, s->addr, CODE_ASK_BACK, 5000), RMQ_OK);
        assert_true(rmq_test_wait_until(proc_entered, &p, 5000));
        /* Shut down while the first processor runs and the second is
         * queued: the loop stops first (it refuses work from then on), the
         * pool drains after, so both run against a stopped transport. */
        uv_thread_create(&th, teardown_thread, &t);
        assert_true(rmq_test_wait_until(io_refuses, t.io, 5000));
        atomic_store(&p.release, true);
        uv_thread_join(&th);
        assert_true(atomic_load(&t.done));
        assert_int_equal(atomic_load(&p.calls), 2);
        /* their requests failed cleanly (and ASan saw no use of freed
         * memory: the io and the transport outlived the pool) */
        assert_int_equal(atomic_load(&p.invoke_errs[0]), RMQ_ERR__DESTROY);
        assert_int_equal(atomic_load(&p.invoke_errs[1]), RMQ_ERR__DESTROY);
        server_stop(s);
}

/* ---- 3. the processor table is fixed once traffic starts ---- */

static void other_proc(rmq_remoting_t *rm, rmq_channel_t *ch, rmq_cmd_t *req,
                       void *opaque) {
        (void)rm;
        (void)ch;
        atomic_fetch_add((atomic_int *)opaque, 1000);
        rmq__cmd_destroy(req);
}

static bool two_calls(void *arg) {
        return atomic_load(&((procs_t *)arg)->calls) >= 2;
}

static void test_register_after_traffic_refused(void **state) {
        server_t *s = server_start();
        rmq_remoting_conf_t rc;
        rmq_io_t *io;
        rmq_pool_t *pool;
        rmq_remoting_t *rm;
        procs_t p;
        atomic_int other;
        (void)state;
        memset(&p, 0, sizeof(p));
        atomic_init(&other, 0);
        atomic_store(&p.release, true);
        rmq__remoting_conf_defaults(&rc);
        io   = rmq__io_new("test-cli", &quiet);
        pool = rmq__pool_new("test-cb", 2);
        rm   = rmq__remoting_new(io, &rc, pool, &quiet);
        assert_int_equal(rmq__remoting_register_processor(
                             rm, CODE_FROM_SRV, client_proc, &p, false),
                         RMQ_OK);
        /* before traffic: replacing is fine */
        assert_int_equal(rmq__remoting_register_processor(
                             rm, CODE_FROM_SRV, client_proc, &p, false),
                         RMQ_OK);
        assert_int_equal(call(rm, s->addr, CODE_ECHO, 5000), RMQ_OK);
        /* after: refused, for a new code and for a replacement */
        assert_int_equal(rmq__remoting_register_processor(
                             rm, CODE_FROM_SRV, other_proc, &other, false),
                         RMQ_ERR__STATE);
        assert_int_equal(rmq__remoting_register_processor(rm, 2000, other_proc,
                                                          &other, false),
                         RMQ_ERR__STATE);
        /* the original processor still answers */
        assert_int_equal(call(rm, s->addr, CODE_ASK_BACK, 5000), RMQ_OK);
        assert_true(rmq_test_wait_until(two_calls, &p, 5000));
        assert_int_equal(atomic_load(&other), 0);
        rmq__remoting_teardown(io, pool, rm);
        server_stop(s);
}

/* ---- 4. host names ---- */

/* Threads of this process whose name is \p name (or all with NULL). */
static int count_threads(const char *name) {
        DIR *d = opendir("/proc/self/task");
        struct dirent *e;
        int n = 0;
        if (!d)
                return -1;
        while ((e = readdir(d))) {
                char path[300], comm[64] = "";
                FILE *f;
                if (e->d_name[0] == '.')
                        continue;
                if (!name) {
                        n++;
                        continue;
                }
                snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
                         e->d_name);
                f = fopen(path, "r");
                if (f && fgets(comm, sizeof(comm), f)) {
                        comm[strcspn(comm, "\n")] = '\0';
                        if (!strcmp(comm, name))
                                n++;
                }
                if (f)
                        fclose(f);
        }
        closedir(d);
        return n;
}

static void test_host_names_on_own_thread(void **state) {
        server_t *s = server_start();
        rmq_remoting_conf_t rc;
        rmq_io_t *io;
        rmq_pool_t *pool;
        rmq_remoting_t *rm;
        char addr[64];
        int before;
        (void)state;
        rmq__remoting_conf_defaults(&rc);
        io     = rmq__io_new("test-cli", &quiet);
        pool   = rmq__pool_new("test-cb", 2);
        rm     = rmq__remoting_new(io, &rc, pool, &quiet);
        before = count_threads(NULL);
        assert_int_equal(count_threads("rmq-dns-0"), 0);
        snprintf(addr, sizeof(addr), "localhost:%d", s->port);
        assert_int_equal(call(rm, addr, CODE_ECHO, 5000), RMQ_OK);
        /* exactly one new thread, ours: libuv's pool would add four */
        assert_int_equal(count_threads("rmq-dns-0"), 1);
        assert_int_equal(count_threads(NULL), before + 1);
        /* a second host name reuses it */
        assert_int_equal(call(rm, addr, CODE_ECHO, 5000), RMQ_OK);
        assert_int_equal(count_threads(NULL), before + 1);
        rmq__remoting_teardown(io, pool, rm);
        assert_int_equal(count_threads("rmq-dns-0"), 0);
        server_stop(s);
}

static void test_unresolvable_host_fails_clearly(void **state) {
        rmq_remoting_conf_t rc;
        rmq_io_t *io;
        rmq_pool_t *pool;
        rmq_remoting_t *rm;
        rmq_cmd_t *req = rmq__cmd_new_request(CODE_ECHO), *resp = NULL;
        char err[256] = "";
        rmq_err_t e;
        (void)state;
        rmq__remoting_conf_defaults(&rc);
        io   = rmq__io_new("test-cli", &quiet);
        pool = rmq__pool_new("test-cb", 2);
        rm   = rmq__remoting_new(io, &rc, pool, &quiet);
        /* RFC 2606: .invalid never resolves */
        e = rmq__remoting_invoke_sync(rm, "no-such-host.invalid:10911", req,
                                      10000, &resp, err, sizeof(err));
        assert_int_equal(e, RMQ_ERR__CONNECT);
        assert_non_null(strstr(err, "cannot resolve no-such-host.invalid"));
        rmq__cmd_destroy(req);
        rmq__remoting_teardown(io, pool, rm);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_loop_never_waits_for_a_permit),
            cmocka_unit_test(test_blocking_on_io_thread_aborts_in_debug),
            cmocka_unit_test(test_processors_queued_at_shutdown),
            cmocka_unit_test(test_register_after_traffic_refused),
            cmocka_unit_test(test_host_names_on_own_thread),
            cmocka_unit_test(test_unresolvable_host_fails_clearly),
        };
        return cmocka_run_group_tests_name("transport_lifecycle", tests, NULL,
                                           NULL);
}
