/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "common/rmq_net.h"
#include "common/rmq_str.h"

int rmq__addr_split(const char *addr, char *host, size_t host_size, int *port) {
        const char *colon, *hs = addr, *he;
        int32_t p;
        if (!addr)
                return -1;
        colon = strrchr(addr, ':');
        if (!colon || colon == addr)
                return -1;
        he = colon;
        if (*hs == '[' && colon > hs && colon[-1] == ']') {
                hs++;
                he--;
        }
        if (rmq__parse_i32(colon + 1, &p) || p < 1 || p > 65535)
                return -1;
        if ((size_t)(he - hs) + 1 > host_size || he == hs)
                return -1;
        memcpy(host, hs, (size_t)(he - hs));
        host[he - hs] = '\0';
        *port         = (int)p;
        return 0;
}

int rmq__addr_parse_numeric(const char *addr, struct sockaddr_storage *ss) {
        char host[64];
        int port;
        memset(ss, 0, sizeof(*ss));
        if (rmq__addr_split(addr, host, sizeof(host), &port))
                return -1;
        {
                struct sockaddr_in *sin = (struct sockaddr_in *)ss;
                if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
                        sin->sin_family = AF_INET;
                        sin->sin_port   = htons((uint16_t)port);
                        return 0;
                }
        }
        {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
                if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
                        sin6->sin6_family = AF_INET6;
                        sin6->sin6_port   = htons((uint16_t)port);
                        return 0;
                }
        }
        return -1;
}

void rmq__addr_format(const struct sockaddr_storage *ss, char *dst,
                      size_t size) {
        char ip[INET6_ADDRSTRLEN];
        if (ss->ss_family == AF_INET) {
                const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
                inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
                snprintf(dst, size, "%s:%d", ip, ntohs(sin->sin_port));
        } else if (ss->ss_family == AF_INET6) {
                const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
                inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
                snprintf(dst, size, "%s:%d", ip, ntohs(s6->sin6_port));
        } else {
                snprintf(dst, size, "?");
        }
}

static const char *trim(const char *s, size_t *lenp) {
        size_t len = *lenp;
        while (len && (*s == ' ' || *s == '\t')) {
                s++;
                len--;
        }
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
        *lenp = len;
        return s;
}

char **rmq__namesrv_list_split(const char *list, size_t *countp) {
        size_t n = 0, cap = 4;
        char **v      = rmq__calloc(cap + 1, sizeof(char *));
        const char *p = list;
        while (p && *p) {
                const char *e = strchr(p, ';');
                size_t len    = e ? (size_t)(e - p) : strlen(p);
                const char *s = trim(p, &len);
                if (len) {
                        if (n == cap) {
                                cap *= 2;
                                v = rmq__realloc(v, (cap + 1) * sizeof(char *));
                        }
                        v[n++] = rmq__strndup(s, len);
                }
                p = e ? e + 1 : NULL;
        }
        v[n] = NULL;
        if (countp)
                *countp = n;
        return v;
}

void rmq__strv_free(char **v) {
        size_t i;
        if (!v)
                return;
        for (i = 0; v[i]; i++)
                rmq__free(v[i]);
        rmq__free(v);
}

bool rmq__namesrv_list_valid(const char *list) {
        size_t n, i;
        char **v;
        bool ok = true;
        if (!list)
                return false;
        v = rmq__namesrv_list_split(list, &n);
        if (n == 0)
                ok = false;
        for (i = 0; ok && i < n; i++) {
                char host[256];
                int port;
                if (rmq__addr_split(v[i], host, sizeof(host), &port))
                        ok = false;
        }
        rmq__strv_free(v);
        return ok;
}

static bool is_bridge(const char *ifname) {
        char path[300];
        struct stat st;
        snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", ifname);
        return stat(path, &st) == 0;
}

void rmq__local_address(char *dst, size_t size) {
        struct ifaddrs *ifs          = NULL, *i;
        char last4[INET6_ADDRSTRLEN] = "", first6[INET6_ADDRSTRLEN] = "";
        rmq__strlcpy(dst, "127.0.0.1", size);
        if (getifaddrs(&ifs))
                return;
        for (i = ifs; i; i = i->ifa_next) {
                char ip[INET6_ADDRSTRLEN];
                if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) ||
                    is_bridge(i->ifa_name))
                        continue;
                if (i->ifa_addr->sa_family == AF_INET) {
                        inet_ntop(AF_INET,
                                  &((struct sockaddr_in *)(void *)i->ifa_addr)
                                       ->sin_addr,
                                  ip, sizeof(ip));
                        if (!strncmp(ip, "127.0", 5))
                                continue;
                        if (strncmp(ip, "192.168", 7)) {
                                rmq__strlcpy(dst, ip, size);
                                freeifaddrs(ifs);
                                return;
                        }
                        rmq__strlcpy(last4, ip, sizeof(last4));
                } else if (i->ifa_addr->sa_family == AF_INET6 && !*first6) {
                        inet_ntop(AF_INET6,
                                  &((struct sockaddr_in6 *)(void *)i->ifa_addr)
                                       ->sin6_addr,
                                  first6, sizeof(first6));
                }
        }
        freeifaddrs(ifs);
        if (*last4)
                rmq__strlcpy(dst, last4, size);
        else if (*first6)
                rmq__strlcpy(dst, first6, size);
}

void rmq__broker_vip_addr(bool enabled, char *addr, size_t size) {
        char *colon;
        int32_t port;
        if (!enabled)
                return;
        colon = strrchr(addr, ':');
        if (colon && !rmq__parse_i32(colon + 1, &port))
                snprintf(colon + 1, size - (size_t)(colon + 1 - addr), "%d",
                         (int)(port - 2));
}
