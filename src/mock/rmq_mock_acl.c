/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mock broker's ACL: mirrors 4.9.8's PlainAccessValidator (parse: the
 * resources each request code needs), PlainPermissionManager (validate,
 * checkPerm), Permission and the RemoteAddressStrategy kinds, configured
 * with plain_acl.yml's content as JSON (rmq_mock_cluster_set_acl). The
 * signature is checked with the client's own code (remoting/rmq_acl.c).
 *
 * The broker registers the validator as a server RPC hook; the
 * AclException it throws reaches NettyRemotingAbstract
 * .processRequestCommand's catch, which answers SYSTEM_ERROR with
 * RemotingHelper.exceptionSimpleDesc(e) as the remark (nothing for a
 * oneway request), and the request is not processed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mock/rmq_mock_int.h"
#include "protocol/rmq_heartbeat.h"
#include "protocol/rmq_jsonr.h"
#include "protocol/rmq_names.h"
#include "remoting/rmq_acl.h"

/* Permission */
#define PERM_DENY 1
#define PERM_ANY  2
#define PERM_PUB  4
#define PERM_SUB  8

/* TopicValidator.RMQ_SYS_TRACE_TOPIC */
#define TRACE_TOPIC "RMQ_SYS_TRACE_TOPIC"
/* AclConstants.ACCESS_KEY_MIN_LENGTH / SECRET_KEY_MIN_LENGTH */
#define KEY_MIN_LENGTH 6

typedef struct acl_res_s {
        char *name; /* a topic, or a group's retry topic */
        uint8_t perm;
} acl_res_t;

typedef struct acl_account_s {
        char *accessKey;
        char *secretKey;
        char *whiteRemoteAddress; /* NULL: none */
        bool admin;
        uint8_t defaultTopicPerm;
        uint8_t defaultGroupPerm;
        acl_res_t *res; /* topicPerms and groupPerms; NULL when none */
        size_t res_cnt;
} acl_account_t;

struct rmq_mock_acl_s {
        char **white; /* globalWhiteRemoteAddresses */
        size_t white_cnt;
        acl_account_t *accounts;
        size_t account_cnt;
};

void rmq__mock_acl_free(rmq_mock_acl_t *acl) {
        size_t i, j;
        if (!acl)
                return;
        for (i = 0; i < acl->white_cnt; i++)
                rmq__free(acl->white[i]);
        rmq__free(acl->white);
        for (i = 0; i < acl->account_cnt; i++) {
                acl_account_t *a = &acl->accounts[i];
                rmq__free(a->accessKey);
                rmq__free(a->secretKey);
                rmq__free(a->whiteRemoteAddress);
                for (j = 0; j < a->res_cnt; j++)
                        rmq__free(a->res[j].name);
                rmq__free(a->res);
        }
        rmq__free(acl->accounts);
        rmq__free(acl);
}

/* Permission.parsePermFromString */
static uint8_t perm_parse(const char *s) {
        char t[16];
        size_t n;
        if (!s)
                return PERM_DENY;
        while (*s == ' ')
                s++;
        n = strlen(s);
        while (n && s[n - 1] == ' ')
                n--;
        if (n >= sizeof(t))
                return PERM_DENY;
        memcpy(t, s, n);
        t[n] = '\0';
        if (!strcmp(t, "PUB"))
                return PERM_PUB;
        if (!strcmp(t, "SUB"))
                return PERM_SUB;
        if (!strcmp(t, "PUB|SUB") || !strcmp(t, "SUB|PUB"))
                return PERM_PUB | PERM_SUB;
        return PERM_DENY;
}

/* Permission.checkPermission */
static bool perm_check(uint8_t needed, uint8_t owned) {
        if (owned & PERM_DENY)
                return false;
        if (needed & PERM_ANY)
                return (owned & (PERM_PUB | PERM_SUB)) != 0;
        return (needed & owned) != 0;
}

static void res_add(acl_res_t **res, size_t *cnt, const char *name,
                    size_t nlen, uint8_t perm) {
        size_t i;
        for (i = 0; i < *cnt; i++) {
                if (strlen((*res)[i].name) == nlen &&
                    !memcmp((*res)[i].name, name, nlen)) {
                        (*res)[i].perm = perm; /* HashMap.put */
                        return;
                }
        }
        *res = rmq__realloc(*res, (*cnt + 1) * sizeof(**res));
        (*res)[*cnt].name = rmq__strndup(name, nlen);
        (*res)[*cnt].perm = perm;
        (*cnt)++;
}

static void trim(const char **s, size_t *n) {
        while (*n && **s == ' ')
                (*s)++, (*n)--;
        while (*n && (*s)[*n - 1] == ' ')
                (*n)--;
}

/* Permission.parseResourcePerms: "name=PERM" items; a group's resource is
 * its retry topic. */
static int res_parse(rmq_jsonr_t *jr, acl_account_t *a, const cJSON *arr,
                     bool is_topic) {
        const cJSON *it;
        if (!arr)
                return 0;
        cJSON_ArrayForEach(it, arr) {
                const char *s = cJSON_GetStringValue(it), *eq, *name, *p;
                size_t nlen, plen;
                char perm[16];
                if (!s || !(eq = strchr(s, '=')) || strchr(eq + 1, '=') ||
                    eq == s || !eq[1]) {
                        char what[200];
                        snprintf(what, sizeof(what),
                                 "Parse resource permission failed for %s:%s",
                                 is_topic ? "topic" : "group", s ? s : "?");
                        rmq__jsonr_fail(jr, what, NULL);
                        return -1;
                }
                name = s;
                nlen = (size_t)(eq - s);
                trim(&name, &nlen);
                p    = eq + 1;
                plen = strlen(p);
                trim(&p, &plen);
                snprintf(perm, sizeof(perm), "%.*s", (int)plen, p);
                if (is_topic) {
                        res_add(&a->res, &a->res_cnt, name, nlen,
                                perm_parse(perm));
                } else {
                        char *g     = rmq__strndup(name, nlen);
                        char *retry = rmq__retry_topic(g);
                        res_add(&a->res, &a->res_cnt, retry, strlen(retry),
                                perm_parse(perm));
                        rmq__free(retry);
                        rmq__free(g);
                }
        }
        return 0;
}

rmq_err_t rmq__mock_acl_parse(const char *json, rmq_mock_acl_t **aclp,
                              char *errstr, size_t errstr_size) {
        rmq_jsonr_t jr;
        cJSON *root;
        const cJSON *white, *accounts, *it;
        rmq_mock_acl_t *acl = rmq__calloc(1, sizeof(*acl));
        rmq__jsonr_init(&jr, errstr, errstr_size);
        *aclp = NULL;
        root  = rmq__jsonr_parse(&jr, json, strlen(json));
        if (!root)
                goto fail;
        white    = rmq__jsonr_array(&jr, root, "globalWhiteRemoteAddresses");
        accounts = rmq__jsonr_array(&jr, root, "accounts");
        if (white) {
                acl->white =
                    rmq__calloc(rmq__jsonr_count(white) + 1, sizeof(char *));
                cJSON_ArrayForEach(it, white) {
                        char *s = rmq__jsonr_item_strdup(
                            &jr, it, "globalWhiteRemoteAddresses");
                        if (!s)
                                goto fail;
                        acl->white[acl->white_cnt++] = s;
                }
        }
        if (accounts) {
                acl->accounts = rmq__calloc(rmq__jsonr_count(accounts) + 1,
                                            sizeof(*acl->accounts));
                cJSON_ArrayForEach(it, accounts) {
                        acl_account_t *a = &acl->accounts[acl->account_cnt++];
                        char *tp, *gp;
                        if (!cJSON_IsObject(it)) {
                                rmq__jsonr_fail(&jr, "an account is not an "
                                                     "object",
                                                NULL);
                                goto fail;
                        }
                        a->accessKey = rmq__jsonr_strdup(&jr, it, "accessKey",
                                                         true);
                        a->secretKey = rmq__jsonr_strdup(&jr, it, "secretKey",
                                                         true);
                        a->whiteRemoteAddress = rmq__jsonr_strdup(
                            &jr, it, "whiteRemoteAddress", false);
                        a->admin = rmq__jsonr_bool(&jr, it, "admin", false);
                        tp = rmq__jsonr_strdup(&jr, it, "defaultTopicPerm",
                                               false);
                        gp = rmq__jsonr_strdup(&jr, it, "defaultGroupPerm",
                                               false);
                        a->defaultTopicPerm = perm_parse(tp);
                        a->defaultGroupPerm = perm_parse(gp);
                        rmq__free(tp);
                        rmq__free(gp);
                        if (jr.err)
                                goto fail;
                        /* PlainPermissionManager.checkPlainAccessConfig
                         * (which, unlike this, prints the secret) */
                        if (strlen(a->accessKey) <= KEY_MIN_LENGTH ||
                            strlen(a->secretKey) <= KEY_MIN_LENGTH) {
                                char what[200];
                                snprintf(what, sizeof(what),
                                         "The accessKey=%s and secretKey "
                                         "cannot be null and length should "
                                         "longer than 6",
                                         a->accessKey);
                                rmq__jsonr_fail(&jr, what, NULL);
                                goto fail;
                        }
                        if (res_parse(&jr, a,
                                      rmq__jsonr_array(&jr, it, "groupPerms"),
                                      false) ||
                            res_parse(&jr, a,
                                      rmq__jsonr_array(&jr, it, "topicPerms"),
                                      true) ||
                            jr.err)
                                goto fail;
                }
        }
        if (jr.err)
                goto fail;
        cJSON_Delete(root);
        *aclp = acl;
        return RMQ_OK;
fail:
        cJSON_Delete(root);
        rmq__mock_acl_free(acl);
        return RMQ_ERR__INVALID_ARG;
}

/* ---- RemoteAddressStrategyFactory, IPv4 ---- */

/* One dotted segment of a pattern: "*", "n-m" or a number. */
static bool seg_match(const char *pat, size_t plen, const char *v,
                      size_t vlen) {
        char p[16], s[16], *end;
        long lo, hi, x;
        const char *dash;
        if (plen == 1 && pat[0] == '*')
                return true;
        if (plen >= sizeof(p) || vlen >= sizeof(s))
                return false;
        memcpy(p, pat, plen);
        p[plen] = '\0';
        memcpy(s, v, vlen);
        s[vlen] = '\0';
        x       = strtol(s, &end, 10);
        if (!vlen || *end)
                return false;
        dash = strchr(p, '-');
        if (dash) {
                lo = strtol(p, &end, 10);
                if (end != p + (dash - p))
                        return false;
                hi = strtol(dash + 1, &end, 10);
                return !*end && x >= lo && x <= hi;
        }
        return !strcmp(p, s);
}

/* Dotted pattern against a dotted address, segment by segment; a pattern
 * with fewer segments ending in "*" covers the rest ("192.168.*"). */
static bool dotted_match(const char *pat, const char *addr) {
        for (;;) {
                const char *pd = strchr(pat, '.'), *ad = strchr(addr, '.');
                size_t pl = pd ? (size_t)(pd - pat) : strlen(pat);
                size_t al = ad ? (size_t)(ad - addr) : strlen(addr);
                if (!pd && pl == 1 && pat[0] == '*')
                        return true;
                if (!seg_match(pat, pl, addr, al))
                        return false;
                if (!pd || !ad)
                        return !pd && !ad;
                pat  = pd + 1;
                addr = ad + 1;
        }
}

/* Blank: never; "*" / "*.*.*.*": always; "a.b.c.{x,y}": each listed
 * address; otherwise "*" and "n-m" segments or an exact address. */
static bool addr_match(const char *pat, const char *addr) {
        const char *brace;
        if (!pat || !*pat)
                return false;
        if (!strcmp(pat, "*") || !strcmp(pat, "*.*.*.*"))
                return true;
        brace = strchr(pat, '{');
        if (brace) {
                size_t plen = (size_t)(brace - pat);
                const char *p = brace + 1;
                if (strncmp(addr, pat, plen))
                        return false;
                while (*p && *p != '}') {
                        const char *e = p + strcspn(p, ",}");
                        size_t n      = (size_t)(e - p);
                        if (strlen(addr + plen) == n &&
                            !memcmp(addr + plen, p, n))
                                return true;
                        p = *e == ',' ? e + 1 : e;
                }
                return false;
        }
        return dotted_match(pat, addr);
}

/* ---- PlainAccessValidator.parse: the resources a request needs ---- */

typedef struct acl_need_s {
        acl_res_t *res;
        size_t cnt;
} acl_need_t;

static void need_add(acl_need_t *n, const char *name, uint8_t perm) {
        if (name) /* PlainAccessResource.addResourceAndPerm skips null */
                res_add(&n->res, &n->cnt, name, strlen(name), perm);
}

static void need_add_group(acl_need_t *n, const char *group) {
        char *retry;
        if (!group)
                return;
        retry = rmq__retry_topic(group);
        need_add(n, retry, PERM_SUB);
        rmq__free(retry);
}

static bool is_retry(const char *topic) {
        return topic && !strncmp(topic, RMQ_RETRY_GROUP_TOPIC_PREFIX,
                                 strlen(RMQ_RETRY_GROUP_TOPIC_PREFIX));
}

static int need_parse(acl_need_t *n, const rmq_cmd_t *req, char *err,
                      size_t err_size) {
        const char *topic;
        size_t i, j;
        switch (req->code) {
        case RMQ_REQ_SEND_MESSAGE:
                topic = rmq__cmd_ext(req, "topic");
                if (is_retry(topic))
                        /* 4.9.8 reads "group", which SendMessageRequestHeader
                         * lacks: nothing is needed then */
                        need_add_group(n, rmq__cmd_ext(req, "group"));
                else
                        need_add(n, topic, PERM_PUB);
                break;
        case RMQ_REQ_SEND_MESSAGE_V2:
                topic = rmq__cmd_ext(req, "b");
                if (is_retry(topic))
                        need_add_group(n, rmq__cmd_ext(req, "a"));
                else
                        need_add(n, topic, PERM_PUB);
                break;
        case RMQ_REQ_CONSUMER_SEND_MSG_BACK:
                need_add_group(n, rmq__cmd_ext(req, "group"));
                break;
        case RMQ_REQ_PULL_MESSAGE:
                need_add(n, rmq__cmd_ext(req, "topic"), PERM_SUB);
                need_add_group(n, rmq__cmd_ext(req, "consumerGroup"));
                break;
        case RMQ_REQ_QUERY_MESSAGE:
                need_add(n, rmq__cmd_ext(req, "topic"), PERM_SUB);
                break;
        case RMQ_REQ_HEART_BEAT: {
                rmq_heartbeat_data_t *hb = NULL;
                if (rmq__heartbeat_decode(req->body, req->body_len, &hb, err,
                                          err_size))
                        return -1;
                for (i = 0; i < hb->consumerDataSet_cnt; i++) {
                        const rmq_consumer_data_t *cd = &hb->consumerDataSet[i];
                        need_add_group(n, cd->groupName);
                        for (j = 0; j < cd->subscriptionDataSet_cnt; j++)
                                need_add(n, cd->subscriptionDataSet[j].topic,
                                         PERM_SUB);
                }
                rmq__heartbeat_destroy(hb);
                break;
        }
        case RMQ_REQ_UNREGISTER_CLIENT:
        case RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP:
                need_add_group(n, rmq__cmd_ext(req, "consumerGroup"));
                break;
        case RMQ_REQ_UPDATE_CONSUMER_OFFSET:
                need_add_group(n, rmq__cmd_ext(req, "consumerGroup"));
                need_add(n, rmq__cmd_ext(req, "topic"), PERM_SUB);
                break;
        default:
                break;
        }
        return 0;
}

/* Permission.ADMIN_CODE */
static bool needs_admin(int code) {
        return code == RMQ_REQ_UPDATE_AND_CREATE_TOPIC ||
               code == RMQ_REQ_UPDATE_BROKER_CONFIG ||
               code == RMQ_REQ_DELETE_TOPIC_IN_BROKER ||
               code == RMQ_REQ_UPDATE_AND_CREATE_SUBSCRIPTIONGROUP ||
               code == RMQ_REQ_DELETE_SUBSCRIPTIONGROUP;
}

static const acl_account_t *account_find(const rmq_mock_acl_t *acl,
                                         const char *ak) {
        size_t i;
        for (i = 0; i < acl->account_cnt; i++)
                if (!strcmp(acl->accounts[i].accessKey, ak))
                        return &acl->accounts[i];
        return NULL;
}

/* PlainPermissionManager.checkPerm; 0 or -1 with the message. */
static int check_perm(const acl_account_t *a, int code, const acl_need_t *n,
                      char *msg, size_t size) {
        size_t i, k;
        if (needs_admin(code) && !a->admin) {
                snprintf(msg, size,
                         "Need admin permission for request code=%d, but "
                         "accessKey=%s is not",
                         code, a->accessKey);
                return -1;
        }
        if (!n->cnt || (!a->res && a->admin))
                return 0;
        for (i = 0; i < n->cnt; i++) {
                const acl_res_t *r = &n->res[i];
                bool group         = is_retry(r->name);
                uint8_t owned = group ? a->defaultGroupPerm : a->defaultTopicPerm;
                for (k = 0; k < a->res_cnt; k++)
                        if (!strcmp(a->res[k].name, r->name))
                                owned = a->res[k].perm;
                if (!perm_check(r->perm, owned)) {
                        /* PlainAccessResource.printStr */
                        snprintf(msg, size, "No default permission for %s:%s",
                                 group ? "group" : "topic",
                                 group ? r->name +
                                             strlen(RMQ_RETRY_GROUP_TOPIC_PREFIX)
                                       : r->name);
                        return -1;
                }
        }
        return 0;
}

int rmq__mock_acl_validate(const rmq_mock_acl_t *acl, rmq_cmd_t *req,
                           const char *remote, char *msg, size_t size) {
        char host[64], sig[RMQ_ACL_SIGNATURE_SIZE];
        const char *colon = strrchr(remote, ':'), *ak, *got;
        const acl_account_t *a;
        acl_need_t need = {NULL, 0};
        size_t i;
        int rc = -1;
        /* parse(): the host without the port */
        snprintf(host, sizeof(host), "%.*s",
                 colon ? (int)(colon - remote) : (int)strlen(remote), remote);
        for (i = 0; i < acl->white_cnt; i++)
                if (addr_match(acl->white[i], host))
                        return 0;
        ak = rmq__cmd_ext(req, RMQ_ACL_ACCESS_KEY);
        if (!ak) {
                snprintf(msg, size, "No accessKey is configured");
                return -1;
        }
        a = account_find(acl, ak);
        if (!a) {
                snprintf(msg, size, "No acl config for %s", ak);
                return -1;
        }
        if (addr_match(a->whiteRemoteAddress, host))
                return 0;
        if (need_parse(&need, req, msg, size))
                goto out;
        got = rmq__cmd_ext(req, RMQ_ACL_SIGNATURE);
        if (rmq__acl_cmd_signature(req, a->secretKey, true, sig) || !got ||
            strcmp(sig, got)) {
                snprintf(msg, size, "Check signature failed for accessKey=%s",
                         ak);
                goto out;
        }
        /* message trace: a PUB of the trace topic is never checked */
        for (i = 0; i < need.cnt; i++) {
                if (!strcmp(need.res[i].name, TRACE_TOPIC) &&
                    need.res[i].perm == PERM_PUB) {
                        rc = 0;
                        goto out;
                }
        }
        rc = check_perm(a, req->code, &need, msg, size);
out:
        for (i = 0; i < need.cnt; i++)
                rmq__free(need.res[i].name);
        rmq__free(need.res);
        return rc;
}
