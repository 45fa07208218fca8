/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Options, line printer and stopping shared by the consumer examples (see
 * consumer_common.h).
 */
#include "consumer_common.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "example_tls.h"

/* ---- options ---- */

static void usage(const char *prog, const char *about, int from_millis,
                  int status) {
        fprintf(status ? stderr : stdout,
                "%s\n"
                "usage: %s [-n namesrv] [-t topic] [-g group] "
                "[-e expression] [-c count]\n"
                "       %*s [--from first|last|yyyyMMddHHmmss%s] "
                "[--stats ms] [-X name=value]...\n"
                "       %*s " EX_TLS_USAGE "\n"
                "Prints one line per message:\n"
                "  topic queueId queueOffset msgId tags keys reconsumeTimes "
                "bodyLength body\n"
                "Without -c it runs until SIGINT or SIGTERM. The name server "
                "defaults to\n$NAMESRV_ADDR. %s\n",
                about, prog, (int)strlen(prog), "", from_millis ? "|ms" : "",
                (int)strlen(prog), "",
                from_millis
                    ? "--from seeks every queue to its first or last "
                      "offset, or to the\noffset the broker finds for a "
                      "time (local yyyyMMddHHmmss, or ms since the\nepoch); "
                      "without it the queues start at their committed "
                      "offsets."
                    : "--from applies to queues without a committed offset "
                      "(a broker\nstill reads a young queue, which starts "
                      "at offset 0, from the start).");
        exit(status);
}

/* How many digits \p s has, or 0 if it is not all digits. */
static size_t digits(const char *s) {
        size_t i;
        for (i = 0; s[i]; i++)
                if (s[i] < '0' || s[i] > '9')
                        return 0;
        return i;
}

/* yyyyMMddHHmmss: 14 digits (the library checks the date itself). */
static int is_timestamp(const char *s) {
        return digits(s) == 14;
}

void cc_parse_args(int argc, char **argv, cc_opts_t *o, const char *about) {
        static const struct option longopts[] = {
            {"from", required_argument, NULL, 'f'},
            {"stats", required_argument, NULL, 'S'},
            {"help", no_argument, NULL, 'h'},
            EX_TLS_LONGOPTS,
            {NULL, 0, NULL, 0}};
        int opt;
        char *end;

        while ((opt = getopt_long(argc, argv, "n:t:g:e:c:X:h", longopts,
                                  NULL)) != -1) {
                if (ex_tls_option(opt, optarg))
                        continue;
                switch (opt) {
                case 'n':
                        o->namesrv = optarg;
                        break;
                case 't':
                        o->topic = optarg;
                        break;
                case 'g':
                        o->group = optarg;
                        break;
                case 'e':
                        o->expression = optarg;
                        break;
                case 'c':
                        errno    = 0;
                        o->count = strtol(optarg, &end, 10);
                        if (errno || *end || o->count < 1) {
                                fprintf(stderr, "-c %s: want a count >= 1\n",
                                        optarg);
                                exit(2);
                        }
                        break;
                case 'f':
                        o->from = optarg;
                        if (!strcmp(optarg, "first")) {
                                o->from_where = "CONSUME_FROM_FIRST_OFFSET";
                        } else if (!strcmp(optarg, "last")) {
                                o->from_where = "CONSUME_FROM_LAST_OFFSET";
                        } else if (is_timestamp(optarg)) {
                                o->from_where = "CONSUME_FROM_TIMESTAMP";
                                o->timestamp  = optarg;
                        } else if (!o->from_millis || !digits(optarg)) {
                                fprintf(stderr,
                                        "--from %s: want first, last or "
                                        "yyyyMMddHHmmss%s\n",
                                        optarg,
                                        o->from_millis
                                            ? ", or ms since the epoch"
                                            : "");
                                exit(2);
                        }
                        break;
                case 'S':
                        o->stats_ms = optarg;
                        break;
                case 'X':
                        if (!strchr(optarg, '=') ||
                            o->prop_cnt ==
                                (int)(sizeof(o->props) / sizeof(o->props[0]))) {
                                fprintf(stderr,
                                        "-X %s: want name=value (at "
                                        "most 32)\n",
                                        optarg);
                                exit(2);
                        }
                        o->props[o->prop_cnt++] = optarg;
                        break;
                case 'h':
                        usage(argv[0], about, o->from_millis, 0);
                        break;
                default:
                        usage(argv[0], about, o->from_millis, 2);
                        break;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "unexpected argument: %s\n", argv[optind]);
                usage(argv[0], about, o->from_millis, 2);
        }
}

static int conf_set(rmq_conf_t *conf, const char *name, const char *value) {
        char errstr[512];
        if (rmq_conf_set(conf, name, value, errstr, sizeof(errstr)) == RMQ_OK)
                return 0;
        fprintf(stderr, "configuration: %s\n", errstr);
        return -1;
}

/* --stats: each statistics document on one line of stderr (the callback
 * runs on a library thread; one fprintf is one write of the line). */
static void print_stats(const char *json, size_t len, void *opaque) {
        (void)opaque;
        fprintf(stderr, "stats: %.*s\n", (int)len, json);
}

rmq_conf_t *cc_conf_new(const cc_opts_t *o) {
        rmq_conf_t *conf = rmq_conf_new();
        int i;
        if (o->stats_ms) {
                if (conf_set(conf, "statisticsIntervalMs", o->stats_ms))
                        goto fail;
                rmq_conf_set_stats_cb(conf, print_stats, NULL);
        }
        if ((o->namesrv && conf_set(conf, "namesrvAddr", o->namesrv)) ||
            conf_set(conf, "consumerGroup", o->group) ||
            (o->from_where &&
             conf_set(conf, "consumeFromWhere", o->from_where)) ||
            (o->timestamp && conf_set(conf, "consumeTimestamp", o->timestamp)))
                goto fail;
        {
                char errstr[512];
                if (ex_tls_apply(conf, errstr, sizeof(errstr))) {
                        fprintf(stderr, "configuration: %s\n", errstr);
                        goto fail;
                }
        }
        for (i = 0; i < o->prop_cnt; i++) {
                const char *eq = strchr(o->props[i], '=');
                char name[256];
                if ((size_t)(eq - o->props[i]) >= sizeof(name)) {
                        fprintf(stderr, "-X %s: name too long\n", o->props[i]);
                        goto fail;
                }
                memcpy(name, o->props[i], (size_t)(eq - o->props[i]));
                name[eq - o->props[i]] = '\0';
                if (conf_set(conf, name, eq + 1))
                        goto fail;
        }
        return conf;
fail:
        rmq_conf_destroy(conf);
        return NULL;
}

rmq_conf_t *cc_setup(int argc, char **argv, cc_opts_t *o, const char *about) {
        rmq_conf_t *conf;
        cc_parse_args(argc, argv, o, about);
        if (!(conf = cc_conf_new(o)))
                return NULL;
        if (cc_stop_init(o->count)) {
                rmq_conf_destroy(conf);
                return NULL;
        }
        return conf;
}

int cc_fail(rmq_conf_t *conf, rmq_push_consumer_t *pcons, const char *what,
            const char *why) {
        fprintf(stderr, "%s: %s\n", what, why);
        rmq_conf_destroy(conf);
        rmq_push_consumer_destroy(pcons);
        return 1;
}

/* ---- the line printer ---- */

/* Appends \p s (\p len bytes; NULL or empty: "-") escaped: \n \r \\, other
 * control bytes as \xNN, and blanks too unless \p keep_blanks. Bytes from
 * 0x80 up pass as they are (UTF-8 text stays readable). Writes at most
 * 4 * len bytes (or 1). */
static char *put_field(char *p, const char *s, size_t len, int keep_blanks) {
        static const char hex[] = "0123456789abcdef";
        size_t i;
        if (!s || len == 0) {
                *p++ = '-';
                return p;
        }
        for (i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == '\n') {
                        *p++ = '\\';
                        *p++ = 'n';
                } else if (c == '\r') {
                        *p++ = '\\';
                        *p++ = 'r';
                } else if (c == '\\') {
                        *p++ = '\\';
                        *p++ = '\\';
                } else if (c < 0x20 || c == 0x7f ||
                           (c == ' ' && !keep_blanks)) {
                        *p++ = '\\';
                        *p++ = 'x';
                        *p++ = hex[c >> 4];
                        *p++ = hex[c & 15];
                } else {
                        *p++ = (char)c;
                }
        }
        return p;
}

static char *put_str(char *p, const char *s) {
        return put_field(p, s, s ? strlen(s) : 0, 0);
}

/* One message as one line in a malloc()ed buffer of *lenp bytes. */
static char *format_line(const rmq_message_ext_t *mx, size_t *lenp) {
        const char *topic  = rmq_message_ext_topic(mx);
        const char *msg_id = rmq_message_ext_msg_id(mx);
        const char *tags   = rmq_message_ext_tags(mx);
        const char *keys   = rmq_message_ext_keys(mx);
        size_t body_len;
        const char *body = rmq_message_ext_body(mx, &body_len);
        /* every escaped byte takes at most 4; 3 numbers, 8 blanks, '\n' */
        size_t cap =
            4 * (strlen(topic) + strlen(msg_id) + (tags ? strlen(tags) : 0) +
                 (keys ? strlen(keys) : 0) + body_len) +
            4 * 24 + 16;
        char *line = malloc(cap), *p = line;
        if (!line)
                return NULL;
        p = put_str(p, topic);
        p += sprintf(p, " %d %lld ", (int)rmq_message_ext_queue_id(mx),
                     (long long)rmq_message_ext_queue_offset(mx));
        p    = put_str(p, msg_id);
        *p++ = ' ';
        p    = put_str(p, tags);
        *p++ = ' ';
        p    = put_str(p, keys);
        p += sprintf(p, " %d %zu ", (int)rmq_message_ext_reconsume_times(mx),
                     body_len);
        p     = put_field(p, body, body_len, 1);
        *p++  = '\n';
        *lenp = (size_t)(p - line);
        return line;
}

/* ---- stopping ---- */

static long stop_count;     /* -c; 0: none */
static atomic_long claimed; /* lines claimed by the listeners */
static int stop_pipe[2] = {-1, -1};

/* Async-signal-safe: clock_gettime(2) and write(2) only. The first
 * signal asks for a clean shutdown; a repeat within a second is ignored
 * (timeout(1) sends SIGTERM to the process, then to its whole group);
 * a later one ends the process the default way, in case the shutdown
 * hangs. */
static volatile sig_atomic_t first_signal_s;

static void on_signal(int sig) {
        int saved       = errno;
        unsigned char b = (unsigned char)sig;
        struct timespec ts;
        ssize_t r;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if (first_signal_s && ts.tv_sec - first_signal_s > 1) {
                signal(sig, SIG_DFL);
                raise(sig);
                errno = saved;
                return;
        }
        if (!first_signal_s)
                first_signal_s = (sig_atomic_t)(ts.tv_sec ? ts.tv_sec : 1);
        r = write(stop_pipe[1], &b, 1);
        (void)r;
        errno = saved;
}

int cc_stop_init(long count) {
        struct sigaction sa;
        stop_count = count;
        if (pipe(stop_pipe)) {
                perror("pipe");
                return -1;
        }
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sa.sa_flags   = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL)) {
                perror("sigaction");
                return -1;
        }
        return 0;
}

size_t cc_print_msgs(const rmq_message_ext_t *const *msgs, size_t msg_cnt) {
        size_t i;
        for (i = 0; i < msg_cnt; i++) {
                long slot = atomic_fetch_add(&claimed, 1);
                size_t len;
                char *line;
                if (stop_count && slot >= stop_count)
                        break; /* the count is reached: not printed */
                line = format_line(msgs[i], &len);
                if (line) {
                        /* one locked write: lines of concurrent listener
                         * calls never mix, and each shows up at once */
                        flockfile(stdout);
                        fwrite(line, 1, len, stdout);
                        fflush(stdout);
                        funlockfile(stdout);
                        free(line);
                } else {
                        fprintf(stderr,
                                "out of memory: message %s not "
                                "printed\n",
                                rmq_message_ext_msg_id(msgs[i]));
                }
                if (stop_count && slot == stop_count - 1) {
                        unsigned char b = 0; /* 0: the count is reached */
                        ssize_t r       = write(stop_pipe[1], &b, 1);
                        (void)r;
                }
        }
        return i;
}

int cc_wait(void) {
        unsigned char b;
        for (;;) {
                ssize_t r = read(stop_pipe[0], &b, 1);
                if (r == 1)
                        return b;
                if (r < 0 && errno != EINTR) {
                        perror("read");
                        return SIGTERM;
                }
        }
}

int cc_stopped(void) {
        struct pollfd pfd;
        memset(&pfd, 0, sizeof(pfd));
        pfd.fd     = stop_pipe[0];
        pfd.events = POLLIN;
        /* the pipe has a byte: cc_wait() reads it without blocking */
        return poll(&pfd, 1, 0) == 1 ? cc_wait() : -1;
}

int cc_exit_status(int sig) {
        long n = atomic_load(&claimed);
        if (stop_count && n > stop_count)
                n = stop_count;
        if (sig == 0) {
                fprintf(stderr, "received %ld messages\n", n);
                return 0;
        }
        fprintf(stderr, "%s: shut down after %ld messages\n", strsignal(sig),
                n);
        return stop_count ? 1 : 0;
}
