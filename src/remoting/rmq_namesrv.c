/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The name server list and the one in use. mirrors NettyRemotingClient
 * (updateNameServerAddressList, getAndCreateNameserverChannel): the chosen
 * server is kept while its channel lives; otherwise the next one of the
 * list is taken, round-robin from a random start. The list is guarded by
 * ns_lock, a library lock (rmq__lock): nothing is logged under it.
 */
#include <stdio.h>

#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "remoting/rmq_remoting_int.h"

/* Whether \p v (n entries) holds \p addr. */
static bool list_has(char **v, size_t n, const char *addr) {
        size_t i;
        for (i = 0; i < n; i++)
                if (!strcmp(v[i], addr))
                        return true;
        return false;
}

/* mirrors NettyRemotingClient.updateNameServerAddressList: a list with
 * other addresses (the same ones in another order are no change) is
 * shuffled and replaces the old one; the chosen server is kept if it is
 * still in it. */
bool rmq__remoting_set_namesrv(rmq_remoting_t *rm, const char *list) {
        size_t n, i;
        char **v = rmq__namesrv_list_split(list ? list : "", &n);
        char **old;
        bool update = false;
        uint64_t x  = (uint64_t)rmq__mono_ns() | 1;
        if (n == 0) {
                rmq__strv_free(v);
                return false;
        }
        /* Collections.shuffle */
        for (i = n - 1; i > 0; i--) {
                size_t j;
                char *t;
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                j    = (size_t)(x % (i + 1));
                t    = v[i];
                v[i] = v[j];
                v[j] = t;
        }
        rmq__lock(&rm->ns_lock);
        if (!rm->namesrv || n != rm->namesrv_cnt)
                update = true;
        for (i = 0; i < n && !update; i++)
                if (!list_has(rm->namesrv, rm->namesrv_cnt, v[i]))
                        update = true;
        if (update) {
                if (!list_has(v, n, rm->ns_chosen))
                        rm->ns_chosen[0] = '\0';
                old             = rm->namesrv;
                rm->namesrv     = v;
                rm->namesrv_cnt = n;
        } else {
                old = v;
        }
        rmq__unlock(&rm->ns_lock);
        rmq__strv_free(old);
        return update;
}

size_t rmq__namesrv_count(rmq_remoting_t *rm) {
        size_t n;
        rmq__lock(&rm->ns_lock);
        n = rm->namesrv_cnt;
        rmq__unlock(&rm->ns_lock);
        return n;
}

void rmq__remoting_chosen_namesrv(rmq_remoting_t *rm, char *dst, size_t size) {
        rmq__lock(&rm->ns_lock);
        rmq__strlcpy(dst, rm->ns_chosen, size);
        rmq__unlock(&rm->ns_lock);
}

void rmq__remoting_namesrv_list(rmq_remoting_t *rm, char *dst, size_t size) {
        size_t i, off = 0;
        if (size)
                dst[0] = '\0';
        rmq__lock(&rm->ns_lock);
        for (i = 0; i < rm->namesrv_cnt && off < size; i++) {
                int n = snprintf(dst + off, size - off, "%s;", rm->namesrv[i]);
                if (n < 0)
                        break;
                off += (size_t)n;
        }
        rmq__unlock(&rm->ns_lock);
}

bool rmq__namesrv_pick(rmq_remoting_t *rm, rmq_req_t *req) {
        bool ok = false, changed = false;
        RMQ__ASSERT_IO_THREAD(rm->io);
        rmq__lock(&rm->ns_lock);
        if (rm->ns_chosen[0] && req->ns_attempts == 0) {
                rmq_channel_t *ch =
                    rmq__strmap_get(&rm->channels, rm->ns_chosen);
                if (ch && ch->state != CH_CLOSING) {
                        rmq__strlcpy(req->addr, rm->ns_chosen,
                                     sizeof(req->addr));
                        ok = true;
                }
        }
        if (!ok && rm->namesrv_cnt > 0) {
                unsigned idx = ++rm->ns_index % (unsigned)rm->namesrv_cnt;
                rmq__strlcpy(rm->ns_chosen, rm->namesrv[idx],
                             sizeof(rm->ns_chosen));
                rmq__strlcpy(req->addr, rm->ns_chosen, sizeof(req->addr));
                ok      = true;
                changed = true;
        }
        rmq__unlock(&rm->ns_lock);
        if (changed)
                rmq__log(rm->lg, RMQ_LOG_INFO, "REMOTING",
                         "new name server is chosen: %s", req->addr);
        if (ok)
                req->ns_attempts++;
        return ok;
}

void rmq__namesrv_failed(rmq_remoting_t *rm, const char *addr) {
        rmq__lock(&rm->ns_lock);
        if (!strcmp(rm->ns_chosen, addr))
                rm->ns_chosen[0] = '\0';
        rmq__unlock(&rm->ns_lock);
}

void rmq__remoting_set_namesrv_empty_reason(rmq_remoting_t *rm,
                                            const char *reason) {
        rmq__lock(&rm->ns_lock);
        rmq__strlcpy(rm->no_namesrv_reason, reason,
                     sizeof(rm->no_namesrv_reason));
        rmq__unlock(&rm->ns_lock);
}

void rmq__remoting_namesrv_empty_reason(rmq_remoting_t *rm, char *dst,
                                        size_t size) {
        rmq__lock(&rm->ns_lock);
        rmq__strlcpy(dst, rm->no_namesrv_reason, size);
        rmq__unlock(&rm->ns_lock);
}
