/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rmq-mock-cluster program: usage errors, --help, its address lines,
 * --topic, --fail, --delay, --set, --print-messages, the --control
 * commands on stdin (each driven through a pipe and its effect checked),
 * and a clean exit (0) on SIGTERM and SIGINT, also after stdin ends. The
 * program is looked up next to the tests directory of the build
 * ($RMQ_MOCK_CLUSTER_BIN overrides).
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/rmq_time.h"
#include "mock_client.h"
#include "protocol/rmq_route.h"

extern char **environ;

static char program[PATH_MAX];
/* The child of the running test, killed by kill_child() if the test
 * fails before it stops it. */
static pid_t child;

typedef struct proc_s {
        pid_t pid;
        int out; /* read end of its stdout */
        int in;  /* write end of its stdin (--control), or 0 */
        char buf[8192];
        size_t len;
        size_t pos; /* what ctl() has consumed */
} proc_t;

static bool find_program(void) {
        const char *env = getenv("RMQ_MOCK_CLUSTER_BIN");
        char self[PATH_MAX - 64];
        ssize_t n;
        char *slash;
        if (env && *env) {
                snprintf(program, sizeof(program), "%s", env);
                return access(program, X_OK) == 0;
        }
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return false;
        self[n] = '\0';
        slash   = strrchr(self, '/');
        if (!slash)
                return false;
        *slash = '\0';
        snprintf(program, sizeof(program), "%s/../rmq-mock-cluster", self);
        return access(program, X_OK) == 0;
}

/* Starts the program with its stdout on a pipe (p->out) and, with
 * \p with_stdin, its stdin too (p->in). */
static void spawn(proc_t *p, const char *const *args, bool with_stdin) {
        posix_spawn_file_actions_t fa;
        char *argv[32];
        int out[2], in[2] = {-1, -1}, i;
        memset(p, 0, sizeof(*p));
        assert_int_equal(pipe(out), 0);
        if (with_stdin)
                assert_int_equal(pipe(in), 0);
        argv[0] = program;
        for (i = 0; args[i] && i < 30; i++)
                argv[i + 1] = (char *)args[i];
        argv[i + 1] = NULL;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_addclose(&fa, out[0]);
        if (with_stdin) {
                posix_spawn_file_actions_adddup2(&fa, in[0], 0);
                posix_spawn_file_actions_addclose(&fa, in[1]);
        }
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        assert_int_equal(posix_spawn(&p->pid, program, &fa, NULL, argv,
                                     environ),
                         0);
        child = p->pid;
        posix_spawn_file_actions_destroy(&fa);
        close(out[1]);
        p->out = out[0];
        fcntl(p->out, F_SETFL, O_NONBLOCK);
        if (with_stdin) {
                close(in[0]);
                p->in = in[1];
        }
}

static void start(proc_t *p, const char *const *args) {
        spawn(p, args, false);
}

/* Reads stdout until \p needle appears after \p from (or the timeout). */
static bool read_from(proc_t *p, size_t from, const char *needle,
                      int timeout_ms) {
        int64_t deadline = rmq__mono_ms() + timeout_ms;
        for (;;) {
                ssize_t n;
                p->buf[p->len] = '\0';
                if (strstr(p->buf + from, needle))
                        return true;
                if (rmq__mono_ms() > deadline || p->len + 1 >= sizeof(p->buf))
                        return false;
                n = read(p->out, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
                if (n > 0)
                        p->len += (size_t)n;
                else if (n == 0)
                        return strstr(p->buf + from, needle) != NULL;
                else
                        rmq_test_sleep_ms(5);
        }
}

/* Reads stdout until \p needle appears (or the timeout). */
static bool read_until(proc_t *p, const char *needle, int timeout_ms) {
        return read_from(p, 0, needle, timeout_ms);
}

/* The address printed after "label: ". */
static void addr_after(proc_t *p, const char *label, char *dst, size_t size) {
        const char *s = strstr(p->buf, label);
        size_t n;
        assert_non_null(s);
        s += strlen(label);
        n = strcspn(s, "\n");
        snprintf(dst, size, "%.*s", (int)n, s);
}

static int stop(proc_t *p, int sig) {
        int status = -1;
        kill(p->pid, sig);
        waitpid(p->pid, &status, 0);
        child = 0;
        close(p->out);
        if (p->in > 0)
                close(p->in);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run_to_end(const char *const *args) {
        proc_t p;
        int status = -1;
        start(&p, args);
        waitpid(p.pid, &status, 0);
        child = 0;
        read_until(&p, "\n", 100);
        close(p.out);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_usage(void **state) {
        const char *help[]    = {"--help", NULL};
        const char *bogus[]   = {"--bogus", NULL};
        const char *missing[] = {"--brokers", NULL};
        const char *bad[]     = {"--brokers", "0", NULL};
        const char *fail[]    = {"--namesrv-port", "0", "--fail", "310:x:1",
                              NULL};
        const char *set[]     = {"--namesrv-port", "0", "--set", "nope=1", NULL};
        (void)state;
        if (!find_program())
                fail_msg("rmq-mock-cluster not found at %s", program);
        assert_int_equal(run_to_end(help), 0);
        assert_int_equal(run_to_end(bogus), 2);
        assert_int_equal(run_to_end(missing), 2);
        assert_int_equal(run_to_end(bad), 2);
        assert_int_equal(run_to_end(fail), 2);
        assert_int_equal(run_to_end(set), 2);
}

static void test_serve_and_stop(void **state) {
        const char *args[] = {"--brokers",          "2",
                              "--namesrv-port",     "0",
                              "--topic",            "ProgTopic:3",
                              "--set",              "maxMessageSize=1000",
                              "--fail",             "GET_ROUTEINFO_BY_TOPIC:1:SYSTEM_BUSY:namesrv",
                              "--fail",             "310:1:14:broker-b",
                              "--delay",            "100:1",
                              "--print-messages",   NULL};
        char ns[64], b0[64], b1[64];
        proc_t p;
        mtc_t *c;
        rmq_cmd_t *resp;
        int64_t t0;
        (void)state;
        if (!find_program())
                fail_msg("rmq-mock-cluster not found at %s", program);
        start(&p, args);
        assert_true(read_until(&p, "broker-b: ", 5000));
        assert_true(read_until(&p, "\n", 1000));
        assert_true(!strncmp(p.buf, "namesrv: 127.0.0.1:", 19));
        addr_after(&p, "namesrv: ", ns, sizeof(ns));
        addr_after(&p, "broker-a: ", b0, sizeof(b0));
        addr_after(&p, "broker-b: ", b1, sizeof(b1));
        c = mtc_new();
        resp = mtc_call(c, ns, mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                       "ProgTopic", NULL));
        assert_int_equal(resp->code, RMQ_ERR_SYSTEM_BUSY);
        rmq__cmd_destroy(resp);
        resp = mtc_call(c, ns, mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic",
                                       "ProgTopic", NULL));
        assert_int_equal(resp->code, 0);
        assert_non_null(memmem(resp->body, resp->body_len,
                               "\"readQueueNums\":3", 17));
        rmq__cmd_destroy(resp);
        resp = mtc_call(c, b1, mtc_send_req("ProgTopic", 2, "TagP", "x"));
        assert_int_equal(resp->code, RMQ_ERR_SERVICE_NOT_AVAILABLE);
        rmq__cmd_destroy(resp);
        t0   = rmq__mono_ms();
        resp = mtc_call(c, b1, mtc_send_req("ProgTopic", 2, "TagP", "hello"));
        assert_int_equal(resp->code, 0);
        assert_true(rmq__mono_ms() - t0 >= 90);
        rmq__cmd_destroy(resp);
        assert_true(read_until(&p, "topic=ProgTopic broker=broker-b queue=2 "
                                   "offset=0",
                               3000));
        assert_true(read_until(&p, "body=hello", 1000));
        {
                char big[1200];
                memset(big, 'x', sizeof(big) - 1);
                big[sizeof(big) - 1] = '\0';
                resp = mtc_call(c, b0, mtc_send_req("ProgTopic", 0, NULL, big));
                assert_int_equal(resp->code, RMQ_ERR_MESSAGE_ILLEGAL);
                rmq__cmd_destroy(resp);
        }
        mtc_destroy(c);
        assert_int_equal(stop(&p, SIGTERM), 0);
        (void)b0;
}

/* ---- --control ---- */

/* Sends one command line and returns its one-line answer (static). */
static const char *ctl(proc_t *p, const char *line) {
        static char answer[512];
        size_t n = strlen(line);
        const char *nl;
        assert_int_equal(write(p->in, line, n), (ssize_t)n);
        assert_int_equal(write(p->in, "\n", 1), 1);
        p->buf[p->len] = '\0';
        if (!read_from(p, p->pos, "\n", 5000 * rmq_test_tmout_multiplier()))
                fail_msg("no answer to \"%s\"", line);
        nl = strchr(p->buf + p->pos, '\n');
        snprintf(answer, sizeof(answer), "%.*s", (int)(nl - (p->buf + p->pos)),
                 p->buf + p->pos);
        p->pos = (size_t)(nl + 1 - p->buf);
        return answer;
}

/* The route of \p topic: its first queue data's read queue count, or its
 * perm. */
static int route_field(mtc_t *c, const char *ns, const char *topic, bool perm) {
        rmq_cmd_t *resp = mtc_call(
            c, ns,
            mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, "topic", topic, NULL));
        rmq_topic_route_data_t *r;
        char err[128];
        int n;
        assert_int_equal(resp->code, 0);
        assert_int_equal(rmq__topic_route_decode(resp->body, resp->body_len, &r,
                                                 err, sizeof(err)),
                         RMQ_OK);
        n = perm ? r->queueDatas[0].perm : r->queueDatas[0].readQueueNums;
        rmq__topic_route_destroy(r);
        rmq__cmd_destroy(resp);
        return n;
}

static int read_queues(mtc_t *c, const char *ns, const char *topic) {
        return route_field(c, ns, topic, false);
}

static int route_perm(mtc_t *c, const char *ns, const char *topic) {
        return route_field(c, ns, topic, true);
}

static int send_code(mtc_t *c, const char *addr, const char *topic,
                     const char *body) {
        rmq_cmd_t *resp = mtc_call(c, addr, mtc_send_req(topic, 0, NULL, body));
        int code        = resp->code;
        rmq__cmd_destroy(resp);
        return code;
}

static void test_control(void **state) {
        const char *args[] = {"--brokers", "2",         "--namesrv-port",
                              "0",         "--control", NULL};
        char ns[64], b0[64], b1[64];
        proc_t p;
        mtc_t *c;
        mtc_async_t a;
        rmq_cmd_t *resp = NULL;
        int64_t t0;
        (void)state;
        if (!find_program())
                fail_msg("rmq-mock-cluster not found at %s", program);
        spawn(&p, args, true);
        assert_true(read_until(&p, "broker-b: ", 5000));
        assert_true(read_until(&p, "\n", 1000));
        addr_after(&p, "namesrv: ", ns, sizeof(ns));
        addr_after(&p, "broker-a: ", b0, sizeof(b0));
        addr_after(&p, "broker-b: ", b1, sizeof(b1));
        p.pos = p.len;
        c     = mtc_new();

        assert_string_equal(ctl(&p, "bogus"),
                            "error: unknown command or wrong arguments: "
                            "bogus (try help)");
        assert_true(!strncmp(ctl(&p, "help"), "ok ", 3));
        /* topic, queues */
        assert_string_equal(ctl(&p, "topic CtlTopic:3"), "ok");
        assert_int_equal(read_queues(c, ns, "CtlTopic"), 3);
        assert_string_equal(ctl(&p, "queues CtlTopic 5 5"), "ok");
        assert_int_equal(read_queues(c, ns, "CtlTopic"), 5);
        assert_true(!strncmp(ctl(&p, "queues CtlTopic x 5"), "error: ", 7));
        /* fail, count */
        assert_string_equal(ctl(&p, "fail 310:1:SYSTEM_BUSY:broker-a"), "ok");
        assert_true(!strncmp(ctl(&p, "fail 310:x"), "error: ", 7));
        assert_int_equal(send_code(c, b0, "CtlTopic", "x"),
                         RMQ_ERR_SYSTEM_BUSY);
        assert_int_equal(send_code(c, b0, "CtlTopic", "x"), 0);
        assert_int_equal(send_code(c, b1, "CtlTopic", "x"), 0);
        assert_string_equal(ctl(&p, "count SEND_MESSAGE_V2"), "ok 3");
        assert_string_equal(ctl(&p, "count 310 broker-a"), "ok 2");
        assert_string_equal(ctl(&p, "count GET_ROUTEINFO_BY_TOPIC namesrv"),
                            "ok 2");
        /* clear */
        assert_string_equal(ctl(&p, "fail 310:1:SYSTEM_BUSY"), "ok");
        assert_string_equal(ctl(&p, "clear"), "ok");
        assert_int_equal(send_code(c, b0, "CtlTopic", "x"), 0);
        /* delay */
        assert_string_equal(ctl(&p, "delay 150:broker-b"), "ok");
        t0 = rmq__mono_ms();
        assert_int_equal(send_code(c, b1, "CtlTopic", "x"), 0);
        assert_true(rmq__mono_ms() - t0 >= 140);
        assert_string_equal(ctl(&p, "delay 0:broker-b"), "ok");
        /* set */
        assert_string_equal(ctl(&p, "set maxMessageSize=10"), "ok");
        assert_int_equal(send_code(c, b0, "CtlTopic", "longer than ten"),
                         RMQ_ERR_MESSAGE_ILLEGAL);
        assert_string_equal(ctl(&p, "set maxMessageSize=4194304"), "ok");
        assert_true(!strncmp(ctl(&p, "set nope=1"), "error: ", 7));
        /* perm */
        assert_string_equal(ctl(&p, "perm CtlTopic 4"), "ok");
        assert_int_equal(route_perm(c, ns, "CtlTopic"), 4);
        assert_string_equal(ctl(&p, "perm CtlTopic 6"), "ok");
        assert_int_equal(route_perm(c, ns, "CtlTopic"), 6);
        /* notify */
        mtc_heartbeat(c, b0, "9.9.9.9@ctl", NULL, "CG_CTL", "CtlTopic", "*");
        assert_string_equal(ctl(&p, "notify CG_CTL"), "ok");
        assert_true(
            mtc_inbox_wait(c, RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED, 1, 3000));
        assert_string_equal(ctl(&p, "notify nobody"),
                            "error: no live member of group nobody");
        /* close: a held pull's connection closes */
        mtc_async_start(c, b0,
                        mtc_pull_req("CG_CTL", "CtlTopic", 1, 0, 32,
                                     RMQ_PULL_FLAG_SUSPEND, 15000, NULL, 0),
                        20000, &a);
        mtc_barrier(c, b0);
        assert_false(mtc_async_done(&a));
        assert_string_equal(ctl(&p, "close broker-a"), "ok");
        assert_true(rmq_test_wait_until(mtc_async_done_cond, &a, 3000));
        assert_int_equal(a.err, RMQ_ERR__TRANSPORT);
        uv_mutex_destroy(&a.lock);
        assert_string_equal(ctl(&p, "close"), "ok");
        assert_true(!strncmp(ctl(&p, "close broker-z"), "error: ", 7));
        /* down, up */
        assert_string_equal(ctl(&p, "down broker-b"), "ok");
        assert_int_not_equal(
            mtc_try_call(c, b1, mtc_send_req("CtlTopic", 0, NULL, "x"), 1000,
                         &resp),
            RMQ_OK);
        assert_true(!strncmp(ctl(&p, "down namesrv"), "error: ", 7));
        assert_string_equal(ctl(&p, "up broker-b"), "ok");
        assert_int_equal(send_code(c, b1, "CtlTopic", "x"), 0);
        /* unregister, register */
        assert_string_equal(ctl(&p, "unregister 1"), "ok");
        {
                rmq_cmd_t *r = mtc_call(c, ns,
                                        mtc_req(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC,
                                                "topic", "CtlTopic", NULL));
                assert_null(memmem(r->body, r->body_len, "broker-b", 8));
                rmq__cmd_destroy(r);
        }
        assert_string_equal(ctl(&p, "register 1"), "ok");
        /* End of input ends the commands, not the program. */
        close(p.in);
        rmq_test_sleep_ms(100);
        assert_int_equal(send_code(c, b0, "CtlTopic", "still here"), 0);
        mtc_destroy(c);
        assert_int_equal(stop(&p, SIGTERM), 0);
}

static void test_sigint(void **state) {
        const char *args[] = {"--namesrv-port", "0", "--brokers", "1", NULL};
        proc_t p;
        (void)state;
        if (!find_program())
                fail_msg("rmq-mock-cluster not found at %s", program);
        start(&p, args);
        assert_true(read_until(&p, "broker-a: ", 5000));
        assert_int_equal(stop(&p, SIGINT), 0);
}

/* A failed test leaves no program running. */
static int kill_child(void **state) {
        (void)state;
        if (child > 0) {
                kill(child, SIGKILL);
                waitpid(child, NULL, 0);
                child = 0;
        }
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_teardown(test_usage, kill_child),
            cmocka_unit_test_teardown(test_serve_and_stop, kill_child),
            cmocka_unit_test_teardown(test_sigint, kill_child),
            cmocka_unit_test_teardown(test_control, kill_child),
        };
        return cmocka_run_group_tests_name("mock_program", tests, NULL, NULL);
}
