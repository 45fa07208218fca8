/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A minimal HTTP GET on the transport's loop, for the name server lookup
 * (mirrors what TopAddressing needs of HttpTinyClient.httpGet): plain
 * http://host[:port]/path, one HTTP/1.0 request with "Connection: close",
 * the status line, the headers, and a body delimited by Content-Length or
 * by the close; no redirects, no chunked bodies (an HTTP/1.0 request gets
 * none), no TLS. Host names go through the transport's resolver thread.
 * The response is bounded (headers and body at most max_body + 16 KiB).
 *
 * The caller's thread (never the loop) posts the request and waits; the
 * loop side finishes it once (answer, error or timeout), closes its
 * handles, and signals. The caller and a name lookup still running each
 * hold a reference; the last one frees it (a lookup that outlives the
 * timeout does not hold the caller).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>

#include "common/rmq_buf.h"
#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "common/rmq_thread.h"
#include "remoting/rmq_remoting_int.h"

#define HTTP_HEAD_MAX (16 * 1024)

typedef struct http_s {
        rmq_io_op_t op;
        rmq_remoting_t *rm;
        uv_tcp_t tcp;
        uv_timer_t timer;
        uv_connect_t creq;
        uv_write_t wreq;
        uv_buf_t wbuf;
        char *req_text;
        char host[256];
        int port;
        int64_t timeout_ms;
        size_t max_body;
        rmq_buf_t in;
        int handles_open;
        bool finished;
        /* result */
        rmq_err_t err;
        int status;
        char *body;
        char reason[256];
        /* The caller waits for closed (guarded by mu); a name lookup still
         * running then (getaddrinfo cannot be interrupted) holds the
         * other reference. */
        uv_mutex_t mu;
        uv_cond_t cv;
        bool closed;
        atomic_int refs;
        char rbuf[4096];
} http_t;

static char *find(char *data, size_t len, const char *needle) {
        size_t n = strlen(needle), i;
        for (i = 0; i + n <= len; i++)
                if (!memcmp(data + i, needle, n))
                        return data + i;
        return NULL;
}

static void http_release(http_t *h) {
        if (atomic_fetch_sub(&h->refs, 1) != 1)
                return;
        uv_mutex_destroy(&h->mu);
        uv_cond_destroy(&h->cv);
        rmq__buf_free(&h->in);
        rmq__free(h->body);
        rmq__free(h->req_text);
        rmq__free(h);
}

static void handle_closed(uv_handle_t *hd) {
        http_t *h = hd->data;
        if (--h->handles_open)
                return;
        uv_mutex_lock(&h->mu);
        h->closed = true;
        uv_cond_broadcast(&h->cv);
        uv_mutex_unlock(&h->mu);
}

/* Finishes \p h once: the result is kept, the handles closed. */
static void http_finish(http_t *h, rmq_err_t err, const char *fmt, ...)
    RMQ_PRINTF(3, 4);
static void http_finish(http_t *h, rmq_err_t err, const char *fmt, ...) {
        va_list ap;
        if (h->finished)
                return;
        h->finished  = true;
        h->err       = err;
        h->reason[0] = '\0';
        if (fmt) {
                va_start(ap, fmt);
                vsnprintf(h->reason, sizeof(h->reason), fmt, ap);
                va_end(ap);
        }
        uv_close((uv_handle_t *)&h->timer, handle_closed);
        uv_close((uv_handle_t *)&h->tcp, handle_closed);
}

static bool http_digit(char c) {
        return c >= '0' && c <= '9';
}

/* Parses what was received; returns true when the response is complete
 * (then \p h is finished), false while more is needed. \p eof: the peer
 * closed. */
static bool http_parse(http_t *h, bool eof) {
        char *data = (char *)h->in.data;
        size_t len = h->in.len, hlen, blen;
        char *hend, *line, *p, *head;
        long long clen = -1;
        int status;
        if (!data) {
                if (eof)
                        http_finish(h, RMQ_ERR__TRANSPORT, "%s",
                                    "connection closed before any response");
                return eof;
        }
        hend = find(data, len, "\r\n\r\n");
        if (hend) {
                hlen = (size_t)(hend - data) + 4;
        } else if ((hend = find(data, len, "\n\n"))) {
                hlen = (size_t)(hend - data) + 2;
        } else {
                if (len > HTTP_HEAD_MAX) {
                        http_finish(h, RMQ_ERR__BAD_MSG, "%s",
                                    "response headers too large");
                        return true;
                }
                if (eof)
                        http_finish(h, RMQ_ERR__BAD_MSG, "%s",
                                    "connection closed in the response "
                                    "headers (not an HTTP response?)");
                return eof;
        }
        /* status line: HTTP/1.x NNN reason */
        /* (the buffer is not NUL-terminated: no sscanf) */
        if (hlen < 13 || strncmp(data, "HTTP/1.", 7) || data[8] != ' ' ||
            !http_digit(data[9]) || !http_digit(data[10]) ||
            !http_digit(data[11]) ||
            (data[12] != ' ' && data[12] != '\r' && data[12] != '\n') ||
            (status = (data[9] - '0') * 100 + (data[10] - '0') * 10 +
                      (data[11] - '0')) < 100) {
                http_finish(h, RMQ_ERR__BAD_MSG, "%s",
                            "not an HTTP response (bad status line)");
                return true;
        }
        /* headers: only Content-Length and Transfer-Encoding matter (read
         * from a copy: the data may be parsed again once more came) */
        head = rmq__malloc(hlen);
        memcpy(head, data, hlen - 1);
        head[hlen - 1] = '\0';
        line           = strchr(head, '\n');
        while (line && *++line) {
                char *eol = strchr(line, '\n');
                if (eol)
                        *eol = '\0';
                if (!strncasecmp(line, "Content-Length:", 15)) {
                        p = line + 15;
                        while (*p == ' ' || *p == '\t')
                                p++;
                        if (sscanf(p, "%lld", &clen) != 1 || clen < 0) {
                                rmq__free(head);
                                http_finish(h, RMQ_ERR__BAD_MSG, "%s",
                                            "bad Content-Length");
                                return true;
                        }
                } else if (!strncasecmp(line, "Transfer-Encoding:", 18) &&
                           strstr(line + 18, "chunked")) {
                        rmq__free(head);
                        http_finish(h, RMQ_ERR__BAD_MSG, "%s",
                                    "chunked response not supported");
                        return true;
                }
                line = eol;
        }
        rmq__free(head);
        blen = len - hlen;
        if (clen >= 0 && (unsigned long long)clen > h->max_body) {
                http_finish(h, RMQ_ERR__BAD_MSG,
                            "response body too large (%lld bytes, at most "
                            "%zu)",
                            clen, h->max_body);
                return true;
        }
        if (blen > h->max_body) {
                http_finish(h, RMQ_ERR__BAD_MSG,
                            "response body too large (at most %zu bytes)",
                            h->max_body);
                return true;
        }
        if (clen >= 0 && blen < (size_t)clen) {
                if (eof)
                        http_finish(h, RMQ_ERR__BAD_MSG,
                                    "connection closed after %zu of %lld "
                                    "body bytes",
                                    blen, clen);
                return eof;
        }
        if (clen < 0 && !eof)
                return false; /* the body ends with the connection */
        if (clen >= 0)
                blen = (size_t)clen;
        h->status = status;
        h->body   = rmq__malloc(blen + 1);
        memcpy(h->body, data + hlen, blen);
        h->body[blen] = '\0';
        http_finish(h, RMQ_OK, NULL);
        return true;
}

static void http_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf) {
        http_t *h = hd->data;
        RMQ_UNUSED(suggested);
        *buf = uv_buf_init(h->rbuf, sizeof(h->rbuf));
}

static void http_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
        http_t *h = s->data;
        if (h->finished || nread == 0)
                return;
        if (nread < 0) {
                if (nread == UV_EOF)
                        http_parse(h, true);
                else
                        http_finish(h, RMQ_ERR__TRANSPORT, "read failed: %s",
                                    uv_strerror((int)nread));
                return;
        }
        if (h->in.len + (size_t)nread > h->max_body + HTTP_HEAD_MAX) {
                http_finish(h, RMQ_ERR__BAD_MSG,
                            "response too large (at most %zu bytes)",
                            h->max_body + HTTP_HEAD_MAX);
                return;
        }
        rmq__buf_put(&h->in, buf->base, (size_t)nread);
        http_parse(h, false);
}

static void http_written(uv_write_t *w, int status) {
        http_t *h = w->data;
        if (status < 0 && status != UV_ECANCELED)
                http_finish(h, RMQ_ERR__TRANSPORT, "write failed: %s",
                            uv_strerror(status));
}

static void http_connected(uv_connect_t *c, int status) {
        http_t *h = c->data;
        int r;
        if (h->finished)
                return;
        if (status < 0) {
                http_finish(h, RMQ_ERR__CONNECT, "connect failed: %s",
                            uv_strerror(status));
                return;
        }
        h->wbuf      = uv_buf_init(h->req_text, (unsigned)strlen(h->req_text));
        h->wreq.data = h;
        r            = uv_write(&h->wreq, (uv_stream_t *)&h->tcp, &h->wbuf, 1,
                                http_written);
        if (!r)
                r = uv_read_start((uv_stream_t *)&h->tcp, http_alloc,
                                  http_read);
        if (r)
                http_finish(h, RMQ_ERR__TRANSPORT, "%s", uv_strerror(r));
}

static void http_connect_sa(http_t *h, const struct sockaddr *sa) {
        int r;
        h->creq.data = h;
        r            = uv_tcp_connect(&h->creq, &h->tcp, sa, http_connected);
        if (r)
                http_finish(h, RMQ_ERR__CONNECT, "connect failed: %s",
                            uv_strerror(r));
}

static void http_resolved(void *arg, const struct sockaddr *sa,
                          const char *reason) {
        http_t *h = arg;
        if (!h->finished) {
                if (sa)
                        http_connect_sa(h, sa);
                else
                        http_finish(h, RMQ_ERR__CONNECT,
                                    "cannot resolve %s: %s", h->host,
                                    reason ? reason : "no address");
        }
        http_release(h); /* the lookup's reference */
}

static void http_lookup_dropped(void *arg) {
        http_release(arg);
}

static void http_timeout(uv_timer_t *t) {
        http_t *h = t->data;
        http_finish(h, RMQ_ERR__TIMED_OUT, "no complete answer within %lld ms",
                    (long long)h->timeout_ms);
}

static void http_start(rmq_io_t *io, rmq_io_op_t *op) {
        http_t *h          = RMQ_CONTAINER_OF(op, http_t, op);
        rmq_remoting_t *rm = h->rm;
        char addr[300];
        struct sockaddr_storage ss;
        RMQ_UNUSED(io);
        uv_tcp_init(rm->loop, &h->tcp);
        uv_timer_init(rm->loop, &h->timer);
        h->tcp.data     = h;
        h->timer.data   = h;
        h->handles_open = 2;
        uv_timer_start(&h->timer, http_timeout, (uint64_t)h->timeout_ms, 0);
        snprintf(addr, sizeof(addr), "%s:%d", h->host, h->port);
        if (!rmq__addr_parse_numeric(addr, &ss)) {
                http_connect_sa(h, (struct sockaddr *)&ss);
                return;
        }
        atomic_fetch_add(&h->refs, 1);
        if (rmq__resolver_lookup_fn(rm, h->host, h->port, http_resolved,
                                    http_lookup_dropped, h)) {
                atomic_fetch_sub(&h->refs, 1);
                http_finish(h, RMQ_ERR__FAIL, "%s",
                            "cannot start a name lookup");
        }
}

/* Splits "http://host[:port]/path" (port 80 by default). */
static int url_split(const char *url, char *host, size_t host_size, int *portp,
                     const char **pathp) {
        const char *p = url, *slash, *colon;
        size_t n;
        if (strncasecmp(p, "http://", 7))
                return -1;
        p += 7;
        slash = strchr(p, '/');
        if (!slash)
                slash = p + strlen(p);
        colon = memchr(p, ':', (size_t)(slash - p));
        n     = (size_t)((colon ? colon : slash) - p);
        if (n == 0 || n >= host_size)
                return -1;
        memcpy(host, p, n);
        host[n] = '\0';
        *portp  = 80;
        if (colon) {
                char num[8];
                int32_t port;
                size_t k = (size_t)(slash - colon - 1);
                if (k == 0 || k >= sizeof(num))
                        return -1;
                memcpy(num, colon + 1, k);
                num[k] = '\0';
                if (rmq__parse_i32(num, &port) || port <= 0 || port > 65535)
                        return -1;
                *portp = port;
        }
        *pathp = *slash ? slash : "/";
        return 0;
}

rmq_err_t rmq__remoting_http_get(rmq_remoting_t *rm, const char *url,
                                 int64_t timeout_ms, size_t max_body,
                                 int *statusp, char **bodyp, char *errstr,
                                 size_t errstr_size) {
        http_t *h;
        const char *path;
        rmq_err_t err;
        *statusp = 0;
        *bodyp   = NULL;
        if (rmq__io_on_loop(rm->io)) /* it waits for the loop */
                return rmq__seterr(errstr, errstr_size,
                                   RMQ_ERR__WOULD_DEADLOCK,
                                   "an HTTP GET cannot wait on the I/O "
                                   "thread");
        h = rmq__calloc(1, sizeof(*h));
        if (url_split(url, h->host, sizeof(h->host), &h->port, &path)) {
                rmq__free(h);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "bad URL %s (expected http://host[:port]"
                                   "/path)",
                                   url);
        }
        h->rm = rm;
        atomic_init(&h->refs, 1);
        /* the result if the loop closes the handles at its shutdown */
        h->err = RMQ_ERR__DESTROY;
        rmq__strlcpy(h->reason, "the transport shut down", sizeof(h->reason));
        h->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
        h->max_body   = max_body;
        h->req_text   = rmq__asprintf("GET %s HTTP/1.0\r\nHost: %s\r\n"
                                        "Accept: */*\r\nConnection: close\r\n"
                                        "User-Agent: rocketmq-c\r\n\r\n",
                                      path, h->host);
        uv_mutex_init(&h->mu);
        uv_cond_init(&h->cv);
        h->op.fn = http_start;
        if (rmq__io_post(rm->io, &h->op)) {
                err = rmq__seterr(errstr, errstr_size, RMQ_ERR__DESTROY,
                                  "the transport is shutting down");
        } else {
                uv_mutex_lock(&h->mu);
                while (!h->closed)
                        uv_cond_wait(&h->cv, &h->mu);
                uv_mutex_unlock(&h->mu);
                err = h->err;
                if (err) {
                        rmq__seterr(errstr, errstr_size, err, "%s", h->reason);
                } else {
                        *statusp = h->status;
                        *bodyp   = h->body;
                        h->body  = NULL;
                }
        }
        http_release(h);
        return err;
}
