/* SPDX-License-Identifier: Apache-2.0 */
/* Address helpers: "host:port" strings, name server lists, the local
 * address used in client ids. */
#ifndef RMQ_NET_H
#define RMQ_NET_H

#include "common/rmq_common.h"

struct sockaddr_storage;

/* Splits "host:port", "[v6]:port" or "v6addr:port" (last colon). Returns 0
 * or -1 when the port is missing or not 1..65535. */
int rmq__addr_split(const char *addr, char *host, size_t host_size, int *port);

/* Parses a numeric "ip:port" into \p ss. Returns 0, or -1 if the host part
 * is not a numeric IPv4/IPv6 address. */
int rmq__addr_parse_numeric(const char *addr, struct sockaddr_storage *ss);

/* "ip:port" of a socket address ("[v6]" not used: Java prints v6 plainly). */
void rmq__addr_format(const struct sockaddr_storage *ss, char *dst,
                      size_t size);

/* True if \p list is "host:port[;host:port...]" (blanks around items and an
 * empty trailing item are tolerated). */
bool rmq__namesrv_list_valid(const char *list);

/* Splits a name server list into a NULL-terminated array of trimmed
 * "host:port" strings (free with rmq__strv_free). */
char **rmq__namesrv_list_split(const char *list, size_t *countp);
void rmq__strv_free(char **v);

/* MixAll.brokerVIPChannel: with \p enabled, rewrites "host:port" in
 * \p addr (\p size bytes) to "host:port-2" (the broker's VIP port);
 * otherwise, or for an address without a numeric port, leaves it. */
void rmq__broker_vip_addr(bool enabled, char *addr, size_t size);

/* The local address as Java's RemotingUtil.getLocalAddress(): the first
 * IPv4 address of a non-bridge interface that is neither loopback, 127.0.*
 * nor 192.168.*, else the last IPv4 one found, else the first IPv6 one,
 * else 127.0.0.1. */
void rmq__local_address(char *dst, size_t size);

#endif /* RMQ_NET_H */
