/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Driving the rmq-mock-cluster program from a test: found next to the
 * tests directory of the build ($RMQ_MOCK_CLUSTER_BIN overrides), started
 * with its stdout (and stdin, for --control) on pipes, its output read with
 * deadlines, one --control command at a time, and stopped with a signal.
 * A test that starts it has mp_kill_child as its teardown, so a failed
 * test leaves no program running.
 */
#ifndef MOCK_PROGRAM_H
#define MOCK_PROGRAM_H

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/rmq_time.h"
#include "testutil.h"

extern char **environ;

/* The program's path (mp_find_program). */
static char mp_program[PATH_MAX];
/* The child of the running test, killed by mp_kill_child() if the test
 * fails before it stops it. */
static pid_t mp_child;

typedef struct mp_proc_s {
        pid_t pid;
        int out; /* read end of its stdout */
        int in;  /* write end of its stdin (--control), or 0 */
        char buf[8192];
        size_t len;
        size_t pos; /* what mp_ctl() has consumed */
} mp_proc_t;

/* Sets mp_program; false if there is no executable there. */
static inline bool mp_find_program(void) {
        const char *env = getenv("RMQ_MOCK_CLUSTER_BIN");
        char self[PATH_MAX - 64];
        ssize_t n;
        char *slash;
        if (env && *env) {
                snprintf(mp_program, sizeof(mp_program), "%s", env);
                return access(mp_program, X_OK) == 0;
        }
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return false;
        self[n] = '\0';
        slash   = strrchr(self, '/');
        if (!slash)
                return false;
        *slash = '\0';
        snprintf(mp_program, sizeof(mp_program), "%s/../rmq-mock-cluster",
                 self);
        return access(mp_program, X_OK) == 0;
}

/* Starts the program with \p args (NULL-terminated, at most 30) and its
 * stdout on a pipe (p->out) and, with \p with_stdin, its stdin too
 * (p->in); its stderr goes to /dev/null. */
static inline void mp_spawn(mp_proc_t *p, const char *const *args,
                            bool with_stdin) {
        posix_spawn_file_actions_t fa;
        char *argv[32];
        int out[2], in[2] = {-1, -1}, i;
        memset(p, 0, sizeof(*p));
        assert_int_equal(pipe(out), 0);
        if (with_stdin)
                assert_int_equal(pipe(in), 0);
        argv[0] = mp_program;
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
        assert_int_equal(
            posix_spawn(&p->pid, mp_program, &fa, NULL, argv, environ), 0);
        mp_child = p->pid;
        posix_spawn_file_actions_destroy(&fa);
        close(out[1]);
        p->out = out[0];
        fcntl(p->out, F_SETFL, O_NONBLOCK);
        if (with_stdin) {
                close(in[0]);
                p->in = in[1];
        }
}

/* Reads stdout until \p needle appears after \p from (or the timeout, or
 * the end of the output). */
static inline bool mp_read_from(mp_proc_t *p, size_t from, const char *needle,
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
static inline bool mp_read_until(mp_proc_t *p, const char *needle,
                                 int timeout_ms) {
        return mp_read_from(p, 0, needle, timeout_ms);
}

/* Reads stdout until the line that starts with \p label after p->pos is
 * complete (or the timeout). */
static inline bool mp_read_line(mp_proc_t *p, const char *label,
                                int timeout_ms) {
        const char *s;
        if (!mp_read_from(p, p->pos, label, timeout_ms))
                return false;
        s = strstr(p->buf + p->pos, label);
        return mp_read_from(p, (size_t)(s - p->buf), "\n", timeout_ms);
}

/* The address printed after "label: ". */
static inline void mp_addr_after(mp_proc_t *p, const char *label, char *dst,
                                 size_t size) {
        const char *s = strstr(p->buf, label);
        size_t n;
        assert_non_null(s);
        s += strlen(label);
        n = strcspn(s, "\n");
        snprintf(dst, size, "%.*s", (int)n, s);
}

/* Sends one --control command line and returns its one-line answer
 * (static). */
static inline const char *mp_ctl(mp_proc_t *p, const char *line) {
        static char answer[512];
        size_t n = strlen(line);
        const char *nl;
        assert_int_equal(write(p->in, line, n), (ssize_t)n);
        assert_int_equal(write(p->in, "\n", 1), 1);
        p->buf[p->len] = '\0';
        if (!mp_read_from(p, p->pos, "\n", 5000 * rmq_test_tmout_multiplier()))
                fail_msg("no answer to \"%s\"", line);
        nl = strchr(p->buf + p->pos, '\n');
        snprintf(answer, sizeof(answer), "%.*s", (int)(nl - (p->buf + p->pos)),
                 p->buf + p->pos);
        p->pos = (size_t)(nl + 1 - p->buf);
        return answer;
}

/* Sends \p sig and waits; its exit status, or -1 if it did not exit. */
static inline int mp_stop(mp_proc_t *p, int sig) {
        int status = -1;
        kill(p->pid, sig);
        waitpid(p->pid, &status, 0);
        mp_child = 0;
        close(p->out);
        if (p->in > 0)
                close(p->in);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Teardown: a failed test leaves no program running. */
static inline int mp_kill_child(void **state) {
        (void)state;
        if (mp_child > 0) {
                kill(mp_child, SIGKILL);
                waitpid(mp_child, NULL, 0);
                mp_child = 0;
        }
        return 0;
}

#endif /* MOCK_PROGRAM_H */
