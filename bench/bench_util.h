/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the benchmark programs share: messages and exit on error, clocks,
 * CPU and memory figures from /proc, command-line parsing, the body
 * pattern, the mock cluster they send to or consume from, and the callgrind
 * markers. Programs, not the library: the helpers die on errors.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

/* -DBENCH_NO_CALLGRIND profiles whole runs (set-up included). */
#if defined(__has_include) && !defined(BENCH_NO_CALLGRIND)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif
#ifndef HAVE_CALLGRIND
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#define RUNNING_ON_VALGRIND        0
#endif

#include <rocketmq/rmq_mock.h>
#include <rocketmq/rocketmq.h>

/* ---- messages ---- */

/* The prefix of bench_warn() and bench_die() messages ("bench"); main()
 * sets it to the program's name. */
extern const char *bench_prog;

/* "<bench_prog>: <message>\n" on stderr. */
void bench_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* bench_warn(), then exit(2). */
void bench_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* ---- clocks and figures ---- */

uint64_t bench_now_ns(void);   /* CLOCK_MONOTONIC */
double bench_now_s(void);      /* CLOCK_MONOTONIC */
double bench_proc_cpu_s(void); /* CPU time of this process */
double bench_tv_s(struct timeval tv);

/* Sleeps \p s seconds (none if s <= 0), through signals. */
void bench_sleep_s(double s);

/* utime + stime in seconds from a /proc/.../stat file, or -1. */
double bench_stat_cpu_s(const char *path);

/* utime + stime in seconds of process \p pid (/proc/P/stat), or -1 (also
 * for pid <= 0). */
double bench_pid_cpu_s(int pid);

/* VmRSS, VmHWM and Threads of this process (/proc/self/status); -1 each
 * when unknown. */
typedef struct bench_procstat_s {
        long rss_kb;
        long hwm_kb;
        long threads;
} bench_procstat_t;

void bench_proc_status(bench_procstat_t *ps);

/* \p v * \p scale per one of \p n (n = 0 counts as 1). */
double bench_per(double v, double scale, uint64_t n);

/* (z - a) * scale per one of n; -1 if a or z is unknown (< 0). */
double bench_delta_per(double a, double z, double scale, uint64_t n);

/* ---- command line ---- */

/* A non-negative integer or number; dies "bad value for NAME: V". */
long bench_num_arg(const char *name, const char *v);
double bench_dbl_arg(const char *name, const char *v);

typedef enum bench_opt_type_e {
        BENCH_OPT_END,    /* ends a table */
        BENCH_OPT_TRUE,   /* flag: *(bool *)dest = true */
        BENCH_OPT_SET,    /* flag: *(int *)dest = value */
        BENCH_OPT_STR,    /* *(const char **)dest = the next word */
        BENCH_OPT_INT,    /* *(int *)dest = bench_num_arg() */
        BENCH_OPT_LONG,   /* *(long *)dest = bench_num_arg() */
        BENCH_OPT_SIZE,   /* *(size_t *)dest = bench_num_arg() */
        BENCH_OPT_DBL,    /* *(double *)dest = bench_dbl_arg() */
        BENCH_OPT_CHOICE, /* *(int *)dest = the value named by the next word */
        BENCH_OPT_FN,     /* fn(name, next word, dest) */
} bench_opt_type_t;

/* A named value of a BENCH_OPT_CHOICE option; a NULL name ends the list. */
typedef struct bench_choice_s {
        const char *name;
        int value;
} bench_choice_t;

typedef struct bench_opt_s {
        const char *name;
        bench_opt_type_t type;
        void *dest;
        int value;                     /* BENCH_OPT_SET */
        const bench_choice_t *choices; /* BENCH_OPT_CHOICE */
        const char *what;              /* BENCH_OPT_CHOICE: "unknown WHAT V" */
        void (*fn)(const char *name, const char *v, void *dest);
} bench_opt_t;

/* Table rows (n: the option, d: where it goes); the compiler checks that d
 * points to the right type. */
#define BENCH_OPT_PTR_(T, d) (1 ? (d) : (T *)0)
#define BENCH_OPT_(n, t, T, d)                                                 \
        { .name = (n), .type = (t), .dest = BENCH_OPT_PTR_(T, d) }
#define BENCH_FLAG(n, d) BENCH_OPT_(n, BENCH_OPT_TRUE, bool, d)
#define BENCH_STR(n, d)  BENCH_OPT_(n, BENCH_OPT_STR, const char *, d)
#define BENCH_INT(n, d)  BENCH_OPT_(n, BENCH_OPT_INT, int, d)
#define BENCH_LONG(n, d) BENCH_OPT_(n, BENCH_OPT_LONG, long, d)
#define BENCH_SIZE(n, d) BENCH_OPT_(n, BENCH_OPT_SIZE, size_t, d)
#define BENCH_DBL(n, d)  BENCH_OPT_(n, BENCH_OPT_DBL, double, d)
/* The flag n sets *d = v. */
#define BENCH_SET(n, d, v)                                                     \
        {                                                                      \
                .name = (n), .type = BENCH_OPT_SET,                            \
                .dest = BENCH_OPT_PTR_(int, d), .value = (v)                   \
        }
/* "n NAME" sets *d to the value of NAME in list; "unknown W NAME" if none. */
#define BENCH_CHOICE(n, d, w, list)                                            \
        {                                                                      \
                .name = (n), .type = BENCH_OPT_CHOICE,                         \
                .dest = BENCH_OPT_PTR_(int, d), .choices = (list), .what = (w) \
        }
/* "n V" calls f(n, V, d). */
#define BENCH_CALL(n, f, d)                                                    \
        { .name = (n), .type = BENCH_OPT_FN, .dest = (d), .fn = (f) }
#define BENCH_OPTS_END                                                         \
        { .name = NULL, .type = BENCH_OPT_END }

/* Parses argv[first..] against \p opts (ended by BENCH_OPTS_END). "-h" and
 * "--help" call usage(0); an unknown option, or a missing value, calls
 * usage(2). \p usage must not return. */
void bench_opts_parse(const bench_opt_t *opts, int argc, char **argv, int first,
                      void (*usage)(int code));

/* ---- messages, the client and the mock ---- */

/* \p len bytes (at least one allocated) of 'a'..'z' repeated; free(). */
uint8_t *bench_body_new(size_t len);

/* rmq_conf_set(), or die "NAME=VALUE: why". */
void bench_conf_set(rmq_conf_t *conf, const char *name, const char *value);

/* SIGTERM when the parent dies (servers started by the driver scripts). */
void bench_die_with_parent(void);

/* A mock cluster of \p brokers brokers with \p topic of \p queues write
 * and read queues on each; dies on failure. */
rmq_mock_cluster_t *bench_mock_new(int brokers, const char *topic, int queues);

/* Prints "namesrv ADDR pid P" and serves until killed (SIGTERM). */
void bench_mock_serve(rmq_mock_cluster_t *mc) __attribute__((noreturn));

#endif /* BENCH_UTIL_H */
