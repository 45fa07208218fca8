/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transport's small HTTP GET (rmq__remoting_http_get, used by the name
 * server lookup) against a scripted server thread: bodies delimited by
 * Content-Length or by the close, answers split over several writes, LF-only
 * headers, and the refusals (too large, chunked, cut short, bad URL).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/rmq_io.h"
#include "common/rmq_str.h"
#include "remoting/rmq_remoting.h"
#include "testutil.h"

static rmq_logger_t quiet = {rmq__log_stderr_cb, NULL, 2, 0, "test", 0};

/* One connection: reads the request, writes the parts (a pause between
 * them), closes. */
typedef struct script_s {
        int lfd, port;
        const char *parts[4];
        char request[1024];
        pthread_t tid;
} script_t;

static void *script_run(void *arg) {
        script_t *s = arg;
        size_t len  = 0, i;
        int fd      = accept(s->lfd, NULL, NULL);
        if (fd < 0)
                return NULL;
        while (len < sizeof(s->request) - 1 &&
               !strstr(s->request, "\r\n\r\n")) {
                ssize_t n =
                    read(fd, s->request + len, sizeof(s->request) - 1 - len);
                if (n <= 0)
                        break;
                len += (size_t)n;
                s->request[len] = '\0';
        }
        for (i = 0; i < 4 && s->parts[i]; i++) {
                if (i)
                        rmq_test_sleep_ms(30);
                if (write(fd, s->parts[i], strlen(s->parts[i])) < 0)
                        break;
        }
        close(fd);
        return NULL;
}

static void script_start(script_t *s, const char *p0, const char *p1,
                         const char *p2) {
        struct sockaddr_in sin;
        socklen_t sl = sizeof(sin);
        memset(s, 0, sizeof(*s));
        s->parts[0] = p0;
        s->parts[1] = p1;
        s->parts[2] = p2;
        s->lfd      = socket(AF_INET, SOCK_STREAM, 0);
        memset(&sin, 0, sizeof(sin));
        sin.sin_family      = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        assert_int_equal(listen(s->lfd, 4), 0);
        getsockname(s->lfd, (struct sockaddr *)&sin, &sl);
        s->port = ntohs(sin.sin_port);
        assert_int_equal(pthread_create(&s->tid, NULL, script_run, s), 0);
}

static void script_join(script_t *s) {
        pthread_join(s->tid, NULL);
        close(s->lfd);
}

typedef struct cli_s {
        rmq_io_t *io;
        rmq_remoting_t *rm;
} cli_t;

static void on_stop(rmq_io_t *io, void *arg) {
        (void)io;
        rmq__remoting_close(arg);
}

static int setup(void **state) {
        cli_t *c = calloc(1, sizeof(*c));
        rmq_remoting_conf_t rc;
        rmq__remoting_conf_defaults(&rc);
        c->io  = rmq__io_new("test-http", &quiet);
        c->rm  = rmq__remoting_new(c->io, &rc, NULL, &quiet);
        *state = c;
        return 0;
}

static int teardown(void **state) {
        cli_t *c = *state;
        rmq__io_destroy(c->io, on_stop, c->rm);
        rmq__remoting_free(c->rm);
        free(c);
        return 0;
}

/* GETs /rocketmq/x from the script; the status (or the error) and the
 * body (or the reason) in \p out. */
static int get(cli_t *c, script_t *s, size_t max_body, char *out, size_t size) {
        char url[64], *body = NULL;
        int status = 0;
        rmq_err_t e;
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/rocketmq/x", s->port);
        e = rmq__remoting_http_get(c->rm, url, 3000, max_body, &status, &body,
                                   out, size);
        script_join(s);
        if (e)
                return (int)e;
        snprintf(out, size, "%s", body);
        rmq__free(body);
        return status;
}

static void test_bodies(void **state) {
        cli_t *c = *state;
        script_t s;
        char out[256];
        /* Content-Length, split over three writes */
        script_start(&s, "HTTP/1.1 200 OK\r\nContent-Le",
                     "ngth: 11\r\nX: y\r\n\r\nhello", " world");
        assert_int_equal(get(c, &s, 1024, out, sizeof(out)), 200);
        assert_string_equal(out, "hello world");
        assert_non_null(strstr(s.request, "GET /rocketmq/x HTTP/1.0\r\n"));
        assert_non_null(strstr(s.request, "Host: 127.0.0.1\r\n"));
        /* the body ends with the close */
        script_start(&s, "HTTP/1.0 200 OK\r\n\r\n10.0.0.1:9876;",
                     "10.0.0.2:9876\n", NULL);
        assert_int_equal(get(c, &s, 1024, out, sizeof(out)), 200);
        assert_string_equal(out, "10.0.0.1:9876;10.0.0.2:9876\n");
        /* bytes past Content-Length are ignored */
        script_start(&s, "HTTP/1.0 200 OK\r\ncontent-length: 5\r\n\r\nabcdefgh",
                     NULL, NULL);
        assert_int_equal(get(c, &s, 1024, out, sizeof(out)), 200);
        assert_string_equal(out, "abcde");
        /* LF-only lines, another status */
        script_start(&s, "HTTP/1.1 503 Busy\nContent-Length: 4\n\nbusy", NULL,
                     NULL);
        assert_int_equal(get(c, &s, 1024, out, sizeof(out)), 503);
        assert_string_equal(out, "busy");
        /* an empty body */
        script_start(&s, "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
                     NULL, NULL);
        assert_int_equal(get(c, &s, 1024, out, sizeof(out)), 204);
        assert_string_equal(out, "");
        /* a status line without a reason phrase and no headers */
        script_start(&s, "HTTP/1.1 200\r\n\r\n", NULL, NULL);
        assert_int_equal(get(c, &s, 1024, out, sizeof(out)), 200);
        assert_string_equal(out, "");
}

static void test_refusals(void **state) {
        cli_t *c = *state;
        script_t s;
        char out[256], *body = NULL;
        int status = 0;
        /* too large: announced, or found while reading */
        script_start(&s, "HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\n", NULL,
                     NULL);
        assert_int_equal(get(c, &s, 16, out, sizeof(out)), RMQ_ERR__BAD_MSG);
        assert_non_null(strstr(out, "too large"));
        script_start(&s, "HTTP/1.0 200 OK\r\n\r\n0123456789",
                     "0123456789abcdef", NULL);
        assert_int_equal(get(c, &s, 16, out, sizeof(out)), RMQ_ERR__BAD_MSG);
        assert_non_null(strstr(out, "too large"));
        /* chunked */
        script_start(&s,
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n0\r\n\r\n",
                     NULL, NULL);
        assert_int_equal(get(c, &s, 1024, out, sizeof(out)), RMQ_ERR__BAD_MSG);
        assert_non_null(strstr(out, "chunked"));
        /* cut short */
        script_start(&s, "HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                     NULL, NULL);
        assert_int_equal(get(c, &s, 1024, out, sizeof(out)), RMQ_ERR__BAD_MSG);
        assert_non_null(strstr(out, "after 3 of 10 body bytes"));
        /* closed in the headers */
        script_start(&s, "HTTP/1.0 200 OK\r\nContent-", NULL, NULL);
        assert_int_equal(get(c, &s, 1024, out, sizeof(out)), RMQ_ERR__BAD_MSG);
        assert_non_null(strstr(out, "in the response headers"));
        /* not HTTP */
        script_start(&s, "SSH-2.0-OpenSSH\r\n\r\n", NULL, NULL);
        assert_int_equal(get(c, &s, 1024, out, sizeof(out)), RMQ_ERR__BAD_MSG);
        assert_non_null(strstr(out, "bad status line"));
        /* a status code missing from the status line (not taken from what
         * follows it), or not three digits */
        script_start(&s, "HTTP/1.0 \r\n\r\n200 OK", NULL, NULL);
        assert_int_equal(get(c, &s, 1024, out, sizeof(out)), RMQ_ERR__BAD_MSG);
        assert_non_null(strstr(out, "bad status line"));
        script_start(&s, "HTTP/1.0 2000 OK\r\n\r\n", NULL, NULL);
        assert_int_equal(get(c, &s, 1024, out, sizeof(out)), RMQ_ERR__BAD_MSG);
        assert_non_null(strstr(out, "bad status line"));
        /* bad URLs */
        assert_int_equal(rmq__remoting_http_get(c->rm, "https://h/x", 1000, 16,
                                                &status, &body, out,
                                                sizeof(out)),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq__remoting_http_get(c->rm, "http://h:99999/x", 1000,
                                                16, &status, &body, out,
                                                sizeof(out)),
                         RMQ_ERR__INVALID_ARG);
        assert_null(body);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_bodies, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        };
        signal(SIGPIPE, SIG_IGN); /* the scripted server writes blindly */
        return cmocka_run_group_tests_name("http_get", tests, NULL, NULL);
}
