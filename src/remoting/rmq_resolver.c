/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host name lookups off the loop. getaddrinfo() blocks, and libuv's
 * uv_getaddrinfo() runs it on libuv's process-wide thread pool, which
 * belongs to the host application (DESIGN, STYLE R16.1). So each transport
 * that meets a host name starts one thread of its own ("rmq-dns", a
 * one-thread pool) that runs the lookups in order and hands each result
 * back to the loop. Numeric addresses (the usual case: name servers and
 * routes carry IPs) never come here.
 *
 * Channels and HTTP requests (rmq_http.c) use it.
 * A channel that closes while its lookup runs gets the answer anyway and
 * ignores it; at shutdown the thread finishes the lookup in progress
 * (getaddrinfo cannot be interrupted) and the queued ones, whose answers
 * find the loop gone and are dropped.
 */
#include <netdb.h>
#include <stdio.h>

#include "common/rmq_str.h"
#include "remoting/rmq_remoting_int.h"

struct rmq_resolver_s {
        rmq_pool_t *pool;
};

typedef struct lookup_s {
        rmq_job_t job;
        rmq_io_op_t op;
        rmq_remoting_t *rm;
        rmq_resolved_fn_t *done;
        void (*drop)(void *arg);
        void *arg; /* a channel retained by the caller for us, ... */
        int port;
        bool ok;
        struct sockaddr_storage ss;
        char reason[128];
        char host[256];
} lookup_t;

static void lookup_answer(rmq_io_t *io, rmq_io_op_t *op) {
        lookup_t *lk = RMQ_CONTAINER_OF(op, lookup_t, op);
        RMQ_UNUSED(io);
        lk->done(lk->arg, lk->ok ? (struct sockaddr *)&lk->ss : NULL,
                 lk->reason);
        rmq__free(lk);
}

/* On the resolver thread. */
static void lookup_run(rmq_job_t *job) {
        lookup_t *lk = RMQ_CONTAINER_OF(job, lookup_t, job);
        struct addrinfo hints, *res = NULL;
        char port[8];
        int r;
        memset(&hints, 0, sizeof(hints));
        hints.ai_family   = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        snprintf(port, sizeof(port), "%d", lk->port);
        r = getaddrinfo(lk->host, port, &hints, &res);
        if (r == 0 && res && res->ai_addrlen <= sizeof(lk->ss)) {
                memcpy(&lk->ss, res->ai_addr, res->ai_addrlen);
                lk->ok = true;
        } else {
                rmq__strlcpy(lk->reason, r ? gai_strerror(r) : "no address",
                             sizeof(lk->reason));
        }
        if (res)
                freeaddrinfo(res);
        lk->op.fn = lookup_answer;
        if (rmq__io_post(lk->rm->io, &lk->op)) {
                /* The loop is gone: nobody waits for this answer. */
                lk->drop(lk->arg);
                rmq__free(lk);
        }
}

static void channel_done(void *arg, const struct sockaddr *sa,
                         const char *reason) {
        rmq__channel_resolved(arg, sa, reason);
}

static void channel_drop(void *arg) {
        rmq__channel_release(arg);
}

rmq_err_t rmq__resolver_lookup(rmq_remoting_t *rm, rmq_channel_t *ch,
                               const char *host, int port) {
        return rmq__resolver_lookup_fn(rm, host, port, channel_done,
                                       channel_drop, ch);
}

rmq_err_t rmq__resolver_lookup_fn(rmq_remoting_t *rm, const char *host,
                                  int port, rmq_resolved_fn_t *done,
                                  void (*drop)(void *arg), void *arg) {
        lookup_t *lk;
        RMQ__ASSERT_IO_THREAD(rm->io);
        if (!rm->resolver) {
                rmq_resolver_t *rs = rmq__calloc(1, sizeof(*rs));
                rs->pool           = rmq__pool_new("rmq-dns", 1);
                if (!rs->pool) {
                        rmq__free(rs);
                        return RMQ_ERR__FAIL;
                }
                rm->resolver = rs;
        }
        lk         = rmq__calloc(1, sizeof(*lk));
        lk->job.fn = lookup_run;
        lk->rm     = rm;
        lk->done   = done;
        lk->drop   = drop;
        lk->arg    = arg;
        lk->port   = port;
        rmq__strlcpy(lk->host, host, sizeof(lk->host));
        if (rmq__pool_submit(rm->resolver->pool, &lk->job)) {
                rmq__free(lk);
                return RMQ_ERR__DESTROY;
        }
        return RMQ_OK;
}

void rmq__resolver_free(rmq_resolver_t *rs) {
        if (!rs)
                return;
        rmq__pool_destroy(rs->pool);
        rmq__free(rs);
}
