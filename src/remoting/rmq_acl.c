/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ACL request signatures (see rmq_acl.h). Mirrors AclClientRPCHook,
 * AclUtils.combineRequestContent and AclSigner (acl/.../common/).
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdlib.h>

#include "remoting/rmq_acl.h"

/* Incremental HMAC-SHA1, so the body is not copied. */
typedef struct acl_mac_s {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
        EVP_MAC *mac;
        EVP_MAC_CTX *ctx;
#else
        HMAC_CTX *ctx;
#endif
} acl_mac_t;

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
/* The HMAC implementation, fetched once: a fetch per request takes the
 * provider store's locks every time. Kept until exit. */
static EVP_MAC *hmac_impl;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;
static void hmac_fetch(void) {
        hmac_impl = EVP_MAC_fetch(NULL, "HMAC", NULL);
}
#endif

static int mac_init(acl_mac_t *m, const char *secret) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
        OSSL_PARAM params[2];
        params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA1", 0);
        params[1] = OSSL_PARAM_construct_end();
        pthread_once(&hmac_once, hmac_fetch);
        m->mac = hmac_impl;
        m->ctx = m->mac ? EVP_MAC_CTX_new(m->mac) : NULL;
        if (!m->ctx || !EVP_MAC_init(m->ctx, (const unsigned char *)secret,
                                     strlen(secret), params))
                return -1;
#else
        m->ctx = HMAC_CTX_new();
        if (!m->ctx || !HMAC_Init_ex(m->ctx, secret, (int)strlen(secret),
                                     EVP_sha1(), NULL))
                return -1;
#endif
        return 0;
}

static int mac_update(acl_mac_t *m, const void *data, size_t len) {
        if (!len)
                return 0;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
        return EVP_MAC_update(m->ctx, data, len) ? 0 : -1;
#else
        return HMAC_Update(m->ctx, data, len) ? 0 : -1;
#endif
}

/* Finishes into base64 \p sig and frees the context. */
static int mac_final(acl_mac_t *m, int err, char sig[RMQ_ACL_SIGNATURE_SIZE]) {
        unsigned char md[EVP_MAX_MD_SIZE];
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
        size_t mdlen = 0;
        if (!err && !EVP_MAC_final(m->ctx, md, &mdlen, sizeof(md)))
                err = -1;
        EVP_MAC_CTX_free(m->ctx);
#else
        unsigned int mdlen = 0;
        if (!err && !HMAC_Final(m->ctx, md, &mdlen))
                err = -1;
        HMAC_CTX_free(m->ctx);
#endif
        sig[0] = '\0';
        if (err || mdlen != 20)
                return -1;
        /* Base64.encodeBase64: standard alphabet, padded, no line breaks */
        EVP_EncodeBlock((unsigned char *)sig, md, (int)mdlen);
        return 0;
}

int rmq__acl_cal_signature(const void *data, size_t len, const char *secret,
                           char sig[RMQ_ACL_SIGNATURE_SIZE]) {
        acl_mac_t m;
        int err = mac_init(&m, secret);
        if (!err)
                err = mac_update(&m, data, len);
        return mac_final(&m, err, sig);
}

/* TreeMap<String, String> order. The keys are ASCII field names, for
 * which byte order is String.compareTo's order. Equal keys stay in the
 * order they were added (the entries are in one array). */
static int ext_cmp(const void *a, const void *b) {
        const rmq_cmd_ext_t *x = *(const rmq_cmd_ext_t *const *)a;
        const rmq_cmd_ext_t *y = *(const rmq_cmd_ext_t *const *)b;
        int c                  = strcmp(x->key, y->key);
        return c ? c : (x < y ? -1 : x > y);
}

int rmq__acl_cmd_signature(rmq_cmd_t *cmd, const char *secret,
                           bool broker_side,
                           char sig[RMQ_ACL_SIGNATURE_SIZE]) {
        const rmq_cmd_ext_t *inl[RMQ_CMD_EXT_INLINE * 2];
        const rmq_cmd_ext_t **v = inl;
        uint32_t i, n = 0;
        acl_mac_t m;
        int err;
        rmq__cmd_materialize(cmd);
        if (cmd->ext_cnt > RMQ_ARRAY_SIZE(inl))
                v = rmq__malloc(cmd->ext_cnt * sizeof(*v));
        for (i = 0; i < cmd->ext_cnt; i++) {
                const rmq_cmd_ext_t *e = &cmd->ext[i];
                if (!strcmp(e->key, RMQ_ACL_SIGNATURE) ||
                    (broker_side &&
                     !strcmp(e->key, RMQ_ACL_UNIQUE_MSG_QUERY_FLAG)))
                        continue;
                v[n++] = e;
        }
        qsort(v, n, sizeof(*v), ext_cmp);
        err = mac_init(&m, secret);
        for (i = 0; !err && i < n; i++) {
                /* a key sent twice: the receiver's HashMap keeps the
                 * last value */
                if (i + 1 < n && !strcmp(v[i]->key, v[i + 1]->key))
                        continue;
                err = mac_update(&m, v[i]->val, v[i]->vlen);
        }
        if (!err)
                err = mac_update(&m, cmd->body, cmd->body_len);
        if (v != inl)
                rmq__free(v);
        return mac_final(&m, err, sig);
}

int rmq__acl_sign(rmq_cmd_t *cmd, const char *access_key, const char *secret,
                  const char *token) {
        char sig[RMQ_ACL_SIGNATURE_SIZE];
        rmq__cmd_ext_add(cmd, RMQ_ACL_ACCESS_KEY, access_key);
        if (token)
                rmq__cmd_ext_add(cmd, RMQ_ACL_SECURITY_TOKEN, token);
        if (rmq__acl_cmd_signature(cmd, secret, false, sig))
                return -1;
        rmq__cmd_ext_add(cmd, RMQ_ACL_SIGNATURE, sig);
        return 0;
}
