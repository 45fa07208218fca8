/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS for the mock cluster: serving TLS on its name server and brokers
 * (rmq_mock_cluster_set_tls), and a small test PKI written with the
 * OpenSSL C API (rmq_mock_tls_generate), so tests, examples and the
 * rmq-mock-cluster program need no `openssl` command.
 */
#include <stdio.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/rmq_str.h"
#include "mock/rmq_mock_int.h"

/* ---- serving TLS ---- */

rmq_err_t rmq_mock_cluster_set_tls(rmq_mock_cluster_t *mc,
                                   const char *cert_file, const char *key_file,
                                   const char *ca_file, char *errstr,
                                   size_t errstr_size) {
        rmq_tls_conf_t tc;
        rmq_err_t err;
        int i;
        if (!mc)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "mc is NULL");
        memset(&tc, 0, sizeof(tc));
        tc.enabled   = cert_file != NULL;
        tc.cert_file = cert_file;
        tc.key_file  = key_file;
        tc.ca_file   = ca_file;
        tc.verify    = ca_file != NULL; /* then client certificates */
        err          = rmq__remoting_set_tls_server(mc->namesrv.rm, &tc, errstr,
                                                    errstr_size);
        for (i = 0; !err && i < mc->broker_cnt; i++)
                err = rmq__remoting_set_tls_server(mc->brokers[i]->ep.rm, &tc,
                                                   errstr, errstr_size);
        return err;
}

/* ---- a test PKI ---- */

static EVP_PKEY *key_new(void) {
        EVP_PKEY *key      = NULL;
        EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
        if (kctx && EVP_PKEY_keygen_init(kctx) == 1 &&
            EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kctx,
                                                   NID_X9_62_prime256v1) == 1)
                EVP_PKEY_keygen(kctx, &key);
        EVP_PKEY_CTX_free(kctx);
        return key;
}

static bool add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
        X509V3_CTX v3;
        X509_EXTENSION *ext;
        bool ok;
        X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
        if (!ext)
                return false;
        ok = X509_add_ext(cert, ext, -1) == 1;
        X509_EXTENSION_free(ext);
        return ok;
}

/* A certificate for \p key named \p cn, signed by \p issuer / \p ikey
 * (NULL: self-signed CA), valid from now + \p from_days to now +
 * \p to_days; \p san "DNS:x,IP:y" or NULL; \p usage "serverAuth",
 * "clientAuth" or NULL for a CA. */
static X509 *cert_new(EVP_PKEY *key, const char *cn, X509 *issuer,
                      EVP_PKEY *ikey, long from_days, long to_days,
                      const char *san, const char *usage, long serial) {
        X509 *c = X509_new();
        X509_NAME *name;
        bool ok;
        if (!c)
                return NULL;
        X509_set_version(c, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
        X509_gmtime_adj(X509_getm_notBefore(c), from_days * 86400L);
        X509_gmtime_adj(X509_getm_notAfter(c), to_days * 86400L);
        X509_set_pubkey(c, key);
        name = X509_get_subject_name(c);
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   (const unsigned char *)"rocketmq-c test", -1,
                                   -1, 0);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)cn, -1, -1, 0);
        X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
        if (!issuer) {
                ok = add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE") &&
                     add_ext(c, c, NID_key_usage,
                             "critical,keyCertSign,cRLSign") &&
                     add_ext(c, c, NID_subject_key_identifier, "hash");
        } else {
                ok = add_ext(c, issuer, NID_basic_constraints, "CA:FALSE") &&
                     add_ext(c, issuer, NID_key_usage,
                             "critical,digitalSignature,keyEncipherment") &&
                     add_ext(c, issuer, NID_ext_key_usage, usage) &&
                     add_ext(c, issuer, NID_authority_key_identifier, "keyid");
                if (ok && san)
                        ok = add_ext(c, issuer, NID_subject_alt_name, san);
        }
        if (!ok || !X509_sign(c, issuer ? ikey : key, EVP_sha256())) {
                X509_free(c);
                return NULL;
        }
        return c;
}

static bool write_pem(const char *dir, const char *file, X509 *cert,
                      EVP_PKEY *key, const char *password) {
        char path[1024];
        FILE *f;
        bool ok;
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        f = fopen(path, "w");
        if (!f)
                return false;
        if (cert)
                ok = PEM_write_X509(f, cert) == 1;
        else if (password)
                ok = PEM_write_PKCS8PrivateKey(
                         f, key, EVP_aes_256_cbc(), (char *)(uintptr_t)password,
                         (int)strlen(password), NULL, NULL) == 1;
        else
                ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) ==
                     1;
        ok = fclose(f) == 0 && ok;
        if (!cert)
                chmod(path, 0600);
        return ok;
}

/* One leaf: <base>.pem and <base>.key. */
static bool leaf(const char *dir, const char *base, const char *cn,
                 const char *san, const char *usage, long from, long to,
                 X509 *ca, EVP_PKEY *cakey, long serial, EVP_PKEY **keyp) {
        EVP_PKEY *key = key_new();
        X509 *c =
            key ? cert_new(key, cn, ca, cakey, from, to, san, usage, serial)
                : NULL;
        char file[64];
        bool ok = c != NULL;
        snprintf(file, sizeof(file), "%s.pem", base);
        ok = ok && write_pem(dir, file, c, NULL, NULL);
        snprintf(file, sizeof(file), "%s.key", base);
        ok = ok && write_pem(dir, file, NULL, key, NULL);
        X509_free(c);
        if (keyp && ok)
                *keyp = key;
        else
                EVP_PKEY_free(key);
        return ok;
}

rmq_err_t rmq_mock_tls_generate(const char *dir, char *errstr,
                                size_t errstr_size) {
        EVP_PKEY *cakey = NULL, *okey = NULL, *ckey = NULL;
        X509 *ca = NULL, *oca = NULL;
        const char *lh = "DNS:localhost,IP:127.0.0.1";
        bool ok;
        if (!dir)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "dir is NULL");
        mkdir(dir, 0700);
        ERR_clear_error();
        cakey = key_new();
        okey  = key_new();
        ca = cakey ? cert_new(cakey, "rocketmq-c test CA", NULL, NULL, -1, 3650,
                              NULL, NULL, 1)
                   : NULL;
        oca = okey ? cert_new(okey, "rocketmq-c other CA", NULL, NULL, -1, 3650,
                              NULL, NULL, 2)
                   : NULL;
        ok  = ca && oca && write_pem(dir, "ca.pem", ca, NULL, NULL) &&
             write_pem(dir, "other-ca.pem", oca, NULL, NULL) &&
             leaf(dir, "server", "localhost", lh, "serverAuth", -1, 3650, ca,
                  cakey, 10, NULL) &&
             leaf(dir, "client", "rocketmq-c test client", NULL, "clientAuth",
                  -1, 3650, ca, cakey, 11, &ckey) &&
             write_pem(dir, "client-enc.key", NULL, ckey, "rocketmq") &&
             leaf(dir, "expired", "localhost", lh, "serverAuth", -30, -1, ca,
                  cakey, 12, NULL) &&
             leaf(dir, "wronghost", "wrong.example.com",
                  "DNS:wrong.example.com,IP:192.0.2.1", "serverAuth", -1, 3650,
                  ca, cakey, 13, NULL) &&
             leaf(dir, "other-server", "localhost", lh, "serverAuth", -1, 3650,
                  oca, okey, 14, NULL);
        X509_free(ca);
        X509_free(oca);
        EVP_PKEY_free(cakey);
        EVP_PKEY_free(okey);
        EVP_PKEY_free(ckey);
        if (!ok) {
                char why[256];
                unsigned long e = ERR_get_error();
                if (e)
                        ERR_error_string_n(e, why, sizeof(why));
                else
                        snprintf(why, sizeof(why), "cannot write files");
                ERR_clear_error();
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__SSL,
                                   "cannot generate the test PKI in %s: %s",
                                   dir, why);
        }
        return RMQ_OK;
}
