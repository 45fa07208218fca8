/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rmq-mock-cluster program: usage errors, --help, its address lines,
 * --topic, --fail, --delay, --set, --print-messages, and a clean exit (0)
 * on SIGTERM and SIGINT. The program is looked up next to the tests
 * directory of the build ($RMQ_MOCK_CLUSTER_BIN overrides).
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/rmq_time.h"
#include "mock_client.h"

extern char **environ;

static char program[PATH_MAX];

typedef struct proc_s {
        pid_t pid;
        int out; /* read end of its stdout */
        char buf[8192];
        size_t len;
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

static void start(proc_t *p, const char *const *args) {
        posix_spawn_file_actions_t fa;
        char *argv[32];
        int fds[2], i;
        memset(p, 0, sizeof(*p));
        assert_int_equal(pipe(fds), 0);
        argv[0] = program;
        for (i = 0; args[i] && i < 30; i++)
                argv[i + 1] = (char *)args[i];
        argv[i + 1] = NULL;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        assert_int_equal(posix_spawn(&p->pid, program, &fa, NULL, argv,
                                     environ),
                         0);
        posix_spawn_file_actions_destroy(&fa);
        close(fds[1]);
        p->out = fds[0];
        fcntl(p->out, F_SETFL, O_NONBLOCK);
}

/* Reads stdout until \p needle appears (or the timeout). */
static bool read_until(proc_t *p, const char *needle, int timeout_ms) {
        int64_t deadline = rmq__mono_ms() + timeout_ms;
        for (;;) {
                ssize_t n;
                p->buf[p->len] = '\0';
                if (strstr(p->buf, needle))
                        return true;
                if (rmq__mono_ms() > deadline || p->len + 1 >= sizeof(p->buf))
                        return false;
                n = read(p->out, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
                if (n > 0)
                        p->len += (size_t)n;
                else if (n == 0)
                        return strstr(p->buf, needle) != NULL;
                else
                        rmq_test_sleep_ms(5);
        }
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
        close(p->out);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run_to_end(const char *const *args) {
        proc_t p;
        int status = -1;
        start(&p, args);
        waitpid(p.pid, &status, 0);
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

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_usage),
            cmocka_unit_test(test_serve_and_stop),
            cmocka_unit_test(test_sigint),
        };
        return cmocka_run_group_tests_name("mock_program", tests, NULL, NULL);
}
