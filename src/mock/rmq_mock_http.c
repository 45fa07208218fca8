/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The name server lookup endpoint (the URL of Java's MixAll.getWSAddr):
 * GET /rocketmq/<anything> answers the cluster's name server list (or the
 * one set), as text. Faults for the tests: another status, garbage, a
 * close without an answer, or no answer at all. A raw libuv server on the
 * cluster's loop; everything here runs there but the public calls, which
 * go through rmq__io_call.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"

#define HTTP_REQ_MAX 8192

typedef struct http_conn_s {
        uv_tcp_t tcp;
        uv_write_t w;
        uv_buf_t wb;
        rmq_list_t link;
        struct rmq_mock_http_s *srv;
        char *out;
        size_t len;
        bool closing;
        char buf[HTTP_REQ_MAX];
} http_conn_t;

struct rmq_mock_http_s {
        uv_tcp_t tcp;
        rmq_mock_cluster_t *mc;
        rmq_list_t conns;
        int port;
        rmq_mock_http_mode_t mode;
        int status;
        char *list; /* NULL: the cluster's name server */
        atomic_size_t requests;
};

static void conn_closed(uv_handle_t *h) {
        http_conn_t *c = h->data;
        rmq__free(c->out);
        rmq__free(c);
}

static void conn_close(http_conn_t *c) {
        if (c->closing)
                return;
        c->closing = true;
        rmq__list_remove(&c->link);
        uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void conn_written(uv_write_t *w, int status) {
        RMQ_UNUSED(status);
        conn_close(w->data);
}

static void conn_send(http_conn_t *c, char *text) {
        c->out    = text;
        c->wb     = uv_buf_init(text, (unsigned)strlen(text));
        c->w.data = c;
        if (uv_write(&c->w, (uv_stream_t *)&c->tcp, &c->wb, 1, conn_written))
                conn_close(c);
}

static void conn_answer(http_conn_t *c) {
        struct rmq_mock_http_s *srv = c->srv;
        const char *list = srv->list ? srv->list : srv->mc->namesrv_addr;
        bool path_ok     = !strncmp(c->buf, "GET /rocketmq/", 14);
        atomic_fetch_add(&srv->requests, 1);
        rmq__dbg(&srv->mc->lg, MOCK, "http: %.60s", c->buf);
        switch (srv->mode) {
        case RMQ_MOCK_HTTP_CLOSE:
                conn_close(c);
                return;
        case RMQ_MOCK_HTTP_HANG:
                return; /* closed with the server */
        case RMQ_MOCK_HTTP_GARBAGE:
                conn_send(c, rmq__strdup("this is not an HTTP answer\r\n\r\n"
                                         "at all\n"));
                return;
        case RMQ_MOCK_HTTP_STATUS:
                conn_send(c, rmq__asprintf("HTTP/1.0 %d Error\r\n"
                                           "Content-Length: 6\r\n\r\nerror\n",
                                           srv->status));
                return;
        default:
                break;
        }
        if (!path_ok)
                conn_send(c, rmq__strdup("HTTP/1.0 404 Not Found\r\n"
                                         "Content-Length: 10\r\n\r\n"
                                         "not found\n"));
        else
                conn_send(c, rmq__asprintf("HTTP/1.0 200 OK\r\n"
                                           "Content-Type: text/plain\r\n"
                                           "Content-Length: %zu\r\n\r\n%s\n",
                                           strlen(list) + 1, list));
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
        http_conn_t *c = h->data;
        RMQ_UNUSED(suggested);
        *buf =
            uv_buf_init(c->buf + c->len, (unsigned)(HTTP_REQ_MAX - 1 - c->len));
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
        http_conn_t *c = s->data;
        RMQ_UNUSED(buf);
        if (nread < 0) {
                conn_close(c);
                return;
        }
        c->len += (size_t)nread;
        c->buf[c->len] = '\0';
        if (strstr(c->buf, "\r\n\r\n") || strstr(c->buf, "\n\n")) {
                uv_read_stop(s);
                conn_answer(c);
        } else if (c->len >= HTTP_REQ_MAX - 1) {
                conn_close(c);
        }
}

static void on_connection(uv_stream_t *server, int status) {
        struct rmq_mock_http_s *srv = server->data;
        http_conn_t *c;
        if (status < 0)
                return;
        c      = rmq__calloc(1, sizeof(*c));
        c->srv = srv;
        uv_tcp_init(srv->mc->loop, &c->tcp);
        c->tcp.data = c;
        rmq__list_insert_tail(&srv->conns, &c->link);
        if (uv_accept(server, (uv_stream_t *)&c->tcp) ||
            uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_read))
                conn_close(c);
}

static void srv_closed(uv_handle_t *h) {
        struct rmq_mock_http_s *srv = h->data;
        rmq__free(srv->list);
        rmq__free(srv);
}

void rmq__mock_http_close(rmq_mock_cluster_t *mc) {
        struct rmq_mock_http_s *srv = mc->http;
        if (!srv)
                return;
        mc->http = NULL;
        while (!rmq__list_empty(&srv->conns))
                conn_close(
                    RMQ_CONTAINER_OF(srv->conns.next, http_conn_t, link));
        uv_close((uv_handle_t *)&srv->tcp, srv_closed);
}

typedef struct http_args_s {
        rmq_mock_cluster_t *mc;
        int port;
        rmq_err_t err;
        char why[128];
        const char *list;
        rmq_mock_http_mode_t mode;
        int status;
} http_args_t;

static void start_on_loop(rmq_io_t *io, void *arg) {
        http_args_t *a         = arg;
        rmq_mock_cluster_t *mc = a->mc;
        struct rmq_mock_http_s *srv;
        struct sockaddr_in sin;
        struct sockaddr_storage ss;
        int r, len = sizeof(ss);
        RMQ_UNUSED(io);
        if (mc->http) {
                a->port = mc->http->port;
                return;
        }
        srv     = rmq__calloc(1, sizeof(*srv));
        srv->mc = mc;
        rmq__list_init(&srv->conns);
        atomic_init(&srv->requests, 0);
        uv_tcp_init(mc->loop, &srv->tcp);
        srv->tcp.data = srv;
        uv_ip4_addr("127.0.0.1", a->port, &sin);
        r = uv_tcp_bind(&srv->tcp, (struct sockaddr *)&sin, 0);
        if (!r)
                r = uv_listen((uv_stream_t *)&srv->tcp, 64, on_connection);
        if (!r)
                r = uv_tcp_getsockname(&srv->tcp, (struct sockaddr *)&ss, &len);
        if (r) {
                a->err = RMQ_ERR__TRANSPORT;
                snprintf(a->why, sizeof(a->why),
                         "cannot listen on 127.0.0.1:%d: %s", a->port,
                         uv_strerror(r));
                uv_close((uv_handle_t *)&srv->tcp, srv_closed);
                return;
        }
        srv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        a->port   = srv->port;
        mc->http  = srv;
}

rmq_err_t rmq_mock_http_start(rmq_mock_cluster_t *mc, int port, int *portp,
                              char *errstr, size_t errstr_size) {
        http_args_t a;
        memset(&a, 0, sizeof(a));
        if (!mc || port < 0 || port > 65535)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "bad arguments");
        a.mc   = mc;
        a.port = port;
        if (rmq__io_call(mc->io, start_on_loop, &a))
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__DESTROY,
                                   "the mock cluster is stopping");
        if (a.err)
                return rmq__seterr(errstr, errstr_size, a.err, "%s", a.why);
        if (portp)
                *portp = a.port;
        return RMQ_OK;
}

static void set_on_loop(rmq_io_t *io, void *arg) {
        http_args_t *a              = arg;
        struct rmq_mock_http_s *srv = a->mc->http;
        RMQ_UNUSED(io);
        if (!srv) {
                a->err = RMQ_ERR__STATE;
                return;
        }
        if (a->list || a->port) { /* port: "set the list" marker */
                rmq__free(srv->list);
                srv->list = a->list ? rmq__strdup(a->list) : NULL;
        } else {
                srv->mode   = a->mode;
                srv->status = a->status;
        }
}

rmq_err_t rmq_mock_http_set_list(rmq_mock_cluster_t *mc, const char *list) {
        http_args_t a;
        memset(&a, 0, sizeof(a));
        if (!mc)
                return RMQ_ERR__INVALID_ARG;
        a.mc   = mc;
        a.list = list;
        a.port = 1;
        if (rmq__io_call(mc->io, set_on_loop, &a))
                return RMQ_ERR__DESTROY;
        return a.err;
}

rmq_err_t rmq_mock_http_set_mode(rmq_mock_cluster_t *mc,
                                 rmq_mock_http_mode_t mode, int status) {
        http_args_t a;
        memset(&a, 0, sizeof(a));
        if (!mc || (int)mode < 0 || mode > RMQ_MOCK_HTTP_HANG)
                return RMQ_ERR__INVALID_ARG;
        a.mc     = mc;
        a.mode   = mode;
        a.status = status;
        if (rmq__io_call(mc->io, set_on_loop, &a))
                return RMQ_ERR__DESTROY;
        return a.err;
}

static void count_on_loop(rmq_io_t *io, void *arg) {
        http_args_t *a = arg;
        RMQ_UNUSED(io);
        a->port = a->mc->http ? (int)atomic_load(&a->mc->http->requests) : 0;
}

size_t rmq_mock_http_requests(rmq_mock_cluster_t *mc) {
        http_args_t a;
        memset(&a, 0, sizeof(a));
        a.mc = mc;
        if (!mc || rmq__io_call(mc->io, count_on_loop, &a))
                return 0;
        return (size_t)a.port;
}
