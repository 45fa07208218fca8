/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Name server lookup over HTTP when neither namesrvAddr nor NAMESRV_ADDR
 * is set. mirrors MixAll.getWSAddr (http://<rocketmq.namesrv.domain>:8080
 * /rocketmq/<rocketmq.namesrv.domain.subgroup>, the domain's own port when
 * it has one), TopAddressing.fetchNSAddr (the unit suffix, 3 s timeout,
 * status 200, the body trimmed and cut at its first line break) and
 * MQClientAPIImpl.fetchNameServerAddr (a changed list is applied at once
 * with updateNameServerAddressList). MQClientInstance fetches it in
 * start() and then every 2 minutes (rocketmq.namesrv.domain.fetchInterval
 * here); the periodic task is in rmq_client_tasks.c.
 */
#include <stdio.h>

#include "client/rmq_client_int.h"
#include "common/rmq_net.h"
#include "common/rmq_str.h"

#define NS_FETCH_TIMEOUT_MS 3000
#define NS_FETCH_MAX_BODY   (64 * 1024)

void rmq__client_ws_addr(const rmq_conf_t *conf, char *dst, size_t size) {
        const char *domain =
            conf->namesrvDomain ? conf->namesrvDomain : "jmenv.tbsite.net";
        const char *sub   = conf->namesrvDomainSubgroup
                                ? conf->namesrvDomainSubgroup
                                : "nsaddr";
        const char *colon = strchr(domain, ':');
        if (colon && colon > domain)
                snprintf(dst, size, "http://%s/rocketmq/%s", domain, sub);
        else
                snprintf(dst, size, "http://%s:8080/rocketmq/%s", domain, sub);
        if (conf->unitName && *conf->unitName) {
                size_t n = strlen(dst);
                snprintf(dst + n, size - n, "-%s?nofix=1", conf->unitName);
        }
}

/* TopAddressing.clearNewLine: trimmed, cut at the first CR or LF. */
static void clear_new_line(char *s) {
        char *p = s, *e;
        size_t n;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
                p++;
        n = strlen(p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' ||
                     p[n - 1] == '\n'))
                n--;
        memmove(s, p, n);
        s[n] = '\0';
        if ((e = strchr(s, '\r')) || (e = strchr(s, '\n')))
                *e = '\0';
}

bool rmq__client_has_namesrv(rmq_client_t *ci, char *why, size_t why_size) {
        char list[8];
        if (why && why_size)
                why[0] = '\0';
        if (!ci->rm)
                return ci->conf->namesrvAddr && *ci->conf->namesrvAddr;
        rmq__remoting_namesrv_list(ci->rm, list, sizeof(list));
        if (list[0])
                return true;
        if (why)
                rmq__remoting_namesrv_empty_reason(ci->rm, why, why_size);
        return false;
}

bool rmq__client_fetch_namesrv(rmq_client_t *ci) {
        char url[512], errstr[384], why[512];
        char *body = NULL;
        int status = 0;
        rmq_err_t err;
        rmq__client_ws_addr(ci->conf, url, sizeof(url));
        err = rmq__remoting_http_get(ci->rm, url, NS_FETCH_TIMEOUT_MS,
                                     NS_FETCH_MAX_BODY, &status, &body, errstr,
                                     sizeof(errstr));
        if (!err && status != 200)
                snprintf(errstr, sizeof(errstr), "statusCode=%d", status);
        else if (!err)
                clear_new_line(body);
        if (!err && status == 200 && !rmq__namesrv_list_valid(body))
                snprintf(errstr, sizeof(errstr),
                         "the answer is not a name server list "
                         "(host:port;...): \"%.200s\"",
                         body);
        else if (!err && status == 200) {
                if (!ci->ns_fetched || strcmp(body, ci->ns_fetched)) {
                        rmq__log(&ci->lg, RMQ_LOG_INFO, "CLIENT",
                                 "name server address changed, old=%s, "
                                 "new=%s",
                                 ci->ns_fetched ? ci->ns_fetched : "null",
                                 body);
                        rmq__remoting_set_namesrv(ci->rm, body);
                        rmq__free(ci->ns_fetched);
                        ci->ns_fetched = body;
                        body           = NULL;
                }
                rmq__free(body);
                return true;
        }
        rmq__free(body);
        /* TopAddressing logs the failure and returns null: the old list
         * stays. */
        rmq__log_rl(&ci->lg, RMQ_LOG_WARN, "CLIENT",
                    "fetch name server address from %s failed: %s; %s%s", url,
                    errstr,
                    ci->ns_fetched ? "keeping "
                                   : "no name server known "
                                     "yet (set namesrvAddr, "
                                     "NAMESRV_ADDR or "
                                     "rocketmq.namesrv.domain)",
                    ci->ns_fetched ? ci->ns_fetched : "");
        if (!ci->ns_fetched) {
                snprintf(why, sizeof(why),
                         "no name server address: namesrvAddr and "
                         "NAMESRV_ADDR are not set and the lookup at %.200s "
                         "failed: %.200s",
                         url, errstr);
                rmq__remoting_set_namesrv_empty_reason(ci->rm, why);
        }
        return false;
}
