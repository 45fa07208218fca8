/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Server mode (NettyRemotingServer, for the mock broker and tests):
 * listening, accepted channels, and answers to a peer's requests
 * (rmq__remoting_reply, any thread); closing channels on request.
 */
#include <stdio.h>

#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "remoting/rmq_remoting_int.h"

/* ---- replies ---- */

typedef struct reply_op_s {
        rmq_io_op_t op;
        rmq_channel_t *ch;
        uint8_t *data;
        size_t len;
} reply_op_t;

static void reply_op_run(rmq_io_t *io, rmq_io_op_t *op) {
        reply_op_t *ro = RMQ_CONTAINER_OF(op, reply_op_t, op);
        RMQ_UNUSED(io);
        if (ro->ch->state != CH_CLOSING && !ro->ch->rm->closing)
                rmq__channel_queue(ro->ch, NULL, ro->data, ro->len);
        else
                rmq__frame_free(ro->data);
        rmq__channel_release(ro->ch);
        rmq__free(ro);
}

void rmq__remoting_reply(rmq_remoting_t *rm, rmq_channel_t *ch,
                         const rmq_cmd_t *req, rmq_cmd_t *resp) {
        size_t len;
        uint8_t *data;
        if (rmq__cmd_is_oneway(req)) {
                rmq__cmd_destroy(resp);
                return;
        }
        rmq__cmd_reply_to(resp, req);
        rmq__remoting_run_after_hooks(rm, ch->addr, req->code, resp);
        data = rmq__frame_encode(rm, resp, &len);
        rmq__cmd_destroy(resp);
        if (rmq__io_on_loop(rm->io)) {
                if (ch->state != CH_CLOSING && !rm->closing)
                        rmq__channel_queue(ch, NULL, data, len);
                else
                        rmq__frame_free(data);
                return;
        }
        {
                reply_op_t *ro = rmq__malloc(sizeof(*ro));
                ro->op.fn      = reply_op_run;
                ro->ch         = rmq__channel_retain(ch);
                ro->data       = data;
                ro->len        = len;
                if (rmq__io_post(rm->io, &ro->op)) {
                        rmq__channel_release(ch);
                        rmq__frame_free(data);
                        rmq__free(ro);
                }
        }
}

/* ---- server mode ---- */

void rmq__listener_closed(uv_handle_t *h) {
        rmq__free(h->data);
}

static void on_connection(uv_stream_t *server, int status) {
        listener_t *l      = server->data;
        rmq_remoting_t *rm = l->rm;
        rmq_channel_t *ch;
        struct sockaddr_storage ss;
        int namelen = sizeof(ss);
        char addr[80];
        if (status < 0)
                return;
        ch = rmq__channel_new(rm, "", false);
        if (uv_accept(server, (uv_stream_t *)&ch->tcp)) {
                rmq__channel_fail(ch, RMQ_ERR__TRANSPORT, NULL);
                return;
        }
        if (!uv_tcp_getpeername(&ch->tcp, (struct sockaddr *)&ss, &namelen)) {
                rmq__addr_format(&ss, addr, sizeof(addr));
                rmq__strlcpy(ch->addr, addr, sizeof(ch->addr));
        }
        rmq__list_insert_tail(&rm->accepted, &ch->link);
        rmq__channel_start(ch);
}

typedef struct listen_args_s {
        rmq_remoting_t *rm;
        const char *host;
        int port;
        int bound;
        int err;
} listen_args_t;

static void listen_on_loop(rmq_io_t *io, void *arg) {
        listen_args_t *a   = arg;
        rmq_remoting_t *rm = a->rm;
        struct sockaddr_storage ss;
        char addr[300];
        listener_t *l;
        int namelen = sizeof(ss);
        RMQ_UNUSED(io);
        if (rm->listener || rm->closing) {
                a->err = UV_EBUSY;
                return;
        }
        snprintf(addr, sizeof(addr), "%s:%d", a->host, a->port ? a->port : 1);
        if (rmq__addr_parse_numeric(addr, &ss)) {
                a->err = UV_EINVAL;
                return;
        }
        if (ss.ss_family == AF_INET)
                ((struct sockaddr_in *)&ss)->sin_port =
                    htons((uint16_t)a->port);
        else
                ((struct sockaddr_in6 *)&ss)->sin6_port =
                    htons((uint16_t)a->port);
        l     = rmq__calloc(1, sizeof(*l));
        l->rm = rm;
        uv_tcp_init(rm->loop, &l->tcp);
        l->tcp.data = l;
        a->err      = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss, 0);
        if (!a->err)
                a->err = uv_listen((uv_stream_t *)&l->tcp, 1024, on_connection);
        if (!a->err)
                a->err = uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss,
                                            &namelen);
        if (a->err) {
                uv_close((uv_handle_t *)&l->tcp, rmq__listener_closed);
                return;
        }
        a->bound     = ntohs(ss.ss_family == AF_INET
                                 ? ((struct sockaddr_in *)&ss)->sin_port
                                 : ((struct sockaddr_in6 *)&ss)->sin6_port);
        rm->listener = l;
}

rmq_err_t rmq__remoting_listen(rmq_remoting_t *rm, const char *host, int port,
                               int *portp) {
        listen_args_t a = {rm, host, port, 0, 0};
        rmq__remoting_freeze_procs(rm);
        if (rmq__io_call(rm->io, listen_on_loop, &a))
                return RMQ_ERR__DESTROY;
        if (a.err)
                return RMQ_ERR__TRANSPORT;
        if (portp)
                *portp = a.bound;
        return RMQ_OK;
}

typedef struct tls_server_args_s {
        rmq_remoting_t *rm;
        rmq_tls_ctx_t *ctx;
} tls_server_args_t;

static void set_tls_server_on_loop(rmq_io_t *io, void *arg) {
        tls_server_args_t *a = arg;
        rmq_tls_ctx_t *old   = a->rm->tls_server;
        RMQ_UNUSED(io);
        /* sessions keep their own reference to the OpenSSL context */
        a->rm->tls_server = a->ctx;
        a->ctx            = old;
}

rmq_err_t rmq__remoting_set_tls_server(rmq_remoting_t *rm,
                                       const rmq_tls_conf_t *conf, char *errstr,
                                       size_t errstr_size) {
        tls_server_args_t a = {rm, NULL};
        if (conf && conf->enabled) {
                char why[256];
                a.ctx = rmq__tls_ctx_new(true, conf, why, sizeof(why));
                if (!a.ctx)
                        return rmq__seterr(errstr, errstr_size, RMQ_ERR__SSL,
                                           "%s", why);
        }
        if (rmq__io_call(rm->io, set_tls_server_on_loop, &a)) {
                rmq__tls_ctx_free(a.ctx);
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__DESTROY,
                                   "transport is shutting down");
        }
        rmq__tls_ctx_free(a.ctx); /* the one replaced */
        return RMQ_OK;
}

static void unlisten_on_loop(rmq_io_t *io, void *arg) {
        rmq_remoting_t *rm = arg;
        RMQ_UNUSED(io);
        if (rm->listener) {
                uv_close((uv_handle_t *)&rm->listener->tcp,
                         rmq__listener_closed);
                rm->listener = NULL;
        }
        while (!rmq__list_empty(&rm->accepted)) {
                rmq_channel_t *ch =
                    RMQ_CONTAINER_OF(rm->accepted.next, rmq_channel_t, link);
                rmq__channel_fail(ch, RMQ_ERR__TRANSPORT, "listener stopped");
        }
}

void rmq__remoting_unlisten(rmq_remoting_t *rm) {
        rmq__io_call(rm->io, unlisten_on_loop, rm);
}

void rmq__remoting_set_channel_listener(rmq_remoting_t *rm,
                                        rmq_channel_event_fn_t *fn,
                                        void *opaque) {
        rm->ch_listener        = fn;
        rm->ch_listener_opaque = opaque;
}

typedef struct close_args_s {
        rmq_remoting_t *rm;
        const char *addr;
} close_args_t;

static void close_channel_on_loop(rmq_io_t *io, void *arg) {
        close_args_t *a    = arg;
        rmq_remoting_t *rm = a->rm;
        RMQ_UNUSED(io);
        if (a->addr) {
                rmq_channel_t *ch = rmq__strmap_get(&rm->channels, a->addr);
                if (ch)
                        rmq__channel_fail(ch, RMQ_ERR__TRANSPORT,
                                          "closed on request");
                return;
        }
        rmq__channel_fail_all(rm, RMQ_ERR__TRANSPORT, "closed on request");
}

void rmq__remoting_close_channel(rmq_remoting_t *rm, const char *addr) {
        close_args_t a = {rm, addr};
        rmq__io_call(rm->io, close_channel_on_loop, &a);
}
