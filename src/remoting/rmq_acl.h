/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ACL request signatures: the one place that computes them, for the
 * client's RPC hook (mirrors AclClientRPCHook) and for the mock broker's
 * check (mirrors PlainAccessValidator.parse + PlainPermissionManager
 * .validate).
 *
 * 4.9.8's algorithm (AclUtils.combineRequestContent, AclSigner): the ext
 * fields sorted by name (a TreeMap), their values concatenated without
 * separator (UTF-8), the body appended; HMAC-SHA1 of that with the secret
 * key (UTF-8); standard base64 with padding.
 */
#ifndef RMQ_ACL_H
#define RMQ_ACL_H

#include "remoting/rmq_remoting_cmd.h"

/* SessionCredentials' ext field names. */
#define RMQ_ACL_ACCESS_KEY     "AccessKey"
#define RMQ_ACL_SIGNATURE      "Signature"
#define RMQ_ACL_SECURITY_TOKEN "SecurityToken"
/* MixAll.UNIQUE_MSG_QUERY_FLAG: left out of the content by the broker. */
#define RMQ_ACL_UNIQUE_MSG_QUERY_FLAG "_UNIQUE_KEY_QUERY"

/* base64 of a 20-byte HMAC-SHA1 (28 characters) and its NUL. */
#define RMQ_ACL_SIGNATURE_SIZE 29

/* AclSigner.calSignature: base64(HMAC-SHA1(secret, data)) into \p sig.
 * Returns 0, or -1 if libcrypto failed (\p sig is then ""). */
int rmq__acl_cal_signature(const void *data, size_t len, const char *secret,
                           char sig[RMQ_ACL_SIGNATURE_SIZE]);

/* The signature of \p cmd as it stands: its ext fields (typed fields
 * materialised first) but Signature, and with \p broker_side also
 * _UNIQUE_KEY_QUERY (PlainAccessValidator.parse leaves it out, the
 * client's hook does not), sorted by name, values concatenated, body
 * appended. Returns 0 or -1 (libcrypto failure). */
int rmq__acl_cmd_signature(rmq_cmd_t *cmd, const char *secret,
                           bool broker_side,
                           char sig[RMQ_ACL_SIGNATURE_SIZE]);

/* AclClientRPCHook.doBeforeRequest: adds AccessKey, SecurityToken (when
 * \p token is not NULL) and Signature to \p cmd. Returns 0 or -1 (no
 * Signature added: libcrypto failure). */
int rmq__acl_sign(rmq_cmd_t *cmd, const char *access_key, const char *secret,
                  const char *token);

#endif /* RMQ_ACL_H */
