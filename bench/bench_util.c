/* SPDX-License-Identifier: Apache-2.0 */
/* What the benchmark programs share; see bench_util.h. */
#include "bench_util.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

const char *bench_prog = "bench";

static void vwarn(const char *fmt, va_list ap) {
        fprintf(stderr, "%s: ", bench_prog);
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
}

void bench_warn(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vwarn(fmt, ap);
        va_end(ap);
}

void bench_die(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vwarn(fmt, ap);
        va_end(ap);
        exit(2);
}

/* ---- clocks and figures ---- */

uint64_t bench_now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double bench_now_s(void) {
        return (double)bench_now_ns() / 1e9;
}

double bench_proc_cpu_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_tv_s(struct timeval tv) {
        return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void bench_sleep_s(double s) {
        struct timespec ts;
        if (s <= 0)
                return;
        ts.tv_sec  = (time_t)s;
        ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
        while (nanosleep(&ts, &ts) && errno == EINTR)
                ;
}

double bench_stat_cpu_s(const char *path) {
        char buf[1024], *p;
        unsigned long ut, st;
        FILE *f;
        size_t n;
        if (!(f = fopen(path, "r")))
                return -1;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        p      = strrchr(buf, ')'); /* comm may hold spaces */
        if (!p ||
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                   &ut, &st) != 2)
                return -1;
        return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double bench_pid_cpu_s(int pid) {
        char path[64];
        if (pid <= 0)
                return -1;
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        return bench_stat_cpu_s(path);
}

void bench_proc_status(bench_procstat_t *ps) {
        char line[256];
        FILE *f    = fopen("/proc/self/status", "r");
        ps->rss_kb = ps->hwm_kb = ps->threads = -1;
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                if (!strncmp(line, "VmRSS:", 6))
                        ps->rss_kb = strtol(line + 6, NULL, 10);
                else if (!strncmp(line, "VmHWM:", 6))
                        ps->hwm_kb = strtol(line + 6, NULL, 10);
                else if (!strncmp(line, "Threads:", 8))
                        ps->threads = strtol(line + 8, NULL, 10);
        }
        fclose(f);
}

double bench_per(double v, double scale, uint64_t n) {
        return v * scale / (double)(n ? n : 1);
}

double bench_delta_per(double a, double z, double scale, uint64_t n) {
        return a >= 0 && z >= 0 ? bench_per(z - a, scale, n) : -1;
}

/* ---- command line ---- */

long bench_num_arg(const char *name, const char *v) {
        char *end;
        long n;
        errno = 0;
        n     = strtol(v, &end, 10);
        if (errno || *end || n < 0)
                bench_die("bad value for %s: %s", name, v);
        return n;
}

double bench_dbl_arg(const char *name, const char *v) {
        char *end;
        double d = strtod(v, &end);
        if (*end || d < 0)
                bench_die("bad value for %s: %s", name, v);
        return d;
}

static const bench_opt_t *opt_find(const bench_opt_t *opts, const char *a) {
        for (; opts->type != BENCH_OPT_END; opts++)
                if (!strcmp(opts->name, a))
                        return opts;
        return NULL;
}

static int opt_choice(const bench_opt_t *op, const char *v) {
        const bench_choice_t *c;
        for (c = op->choices; c->name; c++)
                if (!strcmp(c->name, v))
                        return c->value;
        bench_die("unknown %s %s", op->what, v);
}

static void bad_usage(void (*usage)(int code), int code) {
        usage(code);
        exit(code); /* usage() should not return */
}

void bench_opts_parse(const bench_opt_t *opts, int argc, char **argv, int first,
                      void (*usage)(int code)) {
        int i;
        for (i = first; i < argc; i++) {
                const char *a         = argv[i];
                const char *v         = i + 1 < argc ? argv[i + 1] : NULL;
                const bench_opt_t *op = opt_find(opts, a);
                if (op && op->type == BENCH_OPT_TRUE) {
                        *(bool *)op->dest = true;
                        continue;
                } else if (op && op->type == BENCH_OPT_SET) {
                        *(int *)op->dest = op->value;
                        continue;
                } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        bad_usage(usage, 0);
                }
                if (!v || !op)
                        bad_usage(usage, 2);
                i++;
                switch (op->type) {
                case BENCH_OPT_STR:
                        *(const char **)op->dest = v;
                        break;
                case BENCH_OPT_INT:
                        *(int *)op->dest = (int)bench_num_arg(a, v);
                        break;
                case BENCH_OPT_LONG:
                        *(long *)op->dest = bench_num_arg(a, v);
                        break;
                case BENCH_OPT_SIZE:
                        *(size_t *)op->dest = (size_t)bench_num_arg(a, v);
                        break;
                case BENCH_OPT_DBL:
                        *(double *)op->dest = bench_dbl_arg(a, v);
                        break;
                case BENCH_OPT_CHOICE:
                        *(int *)op->dest = opt_choice(op, v);
                        break;
                default:
                        op->fn(a, v, op->dest);
                        break;
                }
        }
}

/* ---- messages, the client and the mock ---- */

uint8_t *bench_body_new(size_t len) {
        uint8_t *body = malloc(len ? len : 1);
        size_t i;
        if (!body)
                bench_die("out of memory");
        for (i = 0; i < len; i++)
                body[i] = (uint8_t)('a' + i % 26);
        return body;
}

void bench_conf_set(rmq_conf_t *conf, const char *name, const char *value) {
        char errstr[512];
        if (rmq_conf_set(conf, name, value, errstr, sizeof(errstr)))
                bench_die("%s=%s: %s", name, value, errstr);
}

void bench_die_with_parent(void) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
}

rmq_mock_cluster_t *bench_mock_new(int brokers, const char *topic, int queues) {
        rmq_mock_cluster_t *mc;
        char errstr[256];
        if (rmq_mock_cluster_new(&mc, brokers, errstr, sizeof(errstr)))
                bench_die("mock cluster: %s", errstr);
        if (rmq_mock_topic_create(mc, topic, -1, queues, queues))
                bench_die("cannot create topic %s", topic);
        return mc;
}

void bench_mock_serve(rmq_mock_cluster_t *mc) {
        printf("namesrv %s pid %d\n", rmq_mock_cluster_namesrv_addr(mc),
               (int)getpid());
        fflush(stdout);
        for (;;)
                pause(); /* SIGTERM ends the process */
}
