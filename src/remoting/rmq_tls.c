/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS with OpenSSL memory BIOs (rmq_tls.h). mirrors TlsHelper
 * .buildSslContext (context from tls.client.* / server files) and Netty's
 * SslHandler (handshake, then records in both directions), but verifies
 * the server by default and checks its name, which Java does not.
 */
#include <stdio.h>

#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/rmq_net.h"
#include "common/rmq_str.h"
#include "remoting/rmq_tls.h"

struct rmq_tls_ctx_s {
        SSL_CTX *ssl_ctx;
        bool server;
        bool verify;
};

/* Small frames written in one flush are gathered into records of up to
 * this size (one record per frame costs a record's fixed work for each,
 * a few times the copy). */
#define TLS_STAGE 16384

struct rmq_tls_s {
        SSL *ssl;
        uint8_t *stage; /* plain bytes waiting to be encrypted */
        size_t stage_len;
        BIO *rbio; /* bytes from the socket (SSL reads them) */
        BIO *wbio; /* bytes for the socket (SSL writes them) */
        bool verify;
        bool established;
};

/* The first error of OpenSSL's queue (or \p fallback) into \p dst; the
 * queue is emptied. */
static void ssl_err_string(const char *fallback, char *dst, size_t size) {
        unsigned long e = ERR_get_error();
        if (e) {
                char buf[256];
                ERR_error_string_n(e, buf, sizeof(buf));
                snprintf(dst, size, "%s", buf);
        } else {
                snprintf(dst, size, "%s", fallback);
        }
        ERR_clear_error();
}

/* Key passwords come only from tls.client.keyPassword (never a prompt on
 * the terminal, OpenSSL's default). */
static int passwd_cb(char *buf, int size, int rwflag, void *userdata) {
        const char *pw = userdata;
        size_t n;
        RMQ_UNUSED(rwflag);
        if (!pw || size <= 0)
                return 0;
        n = strlen(pw);
        if (n > (size_t)size)
                n = (size_t)size;
        memcpy(buf, pw, n);
        return (int)n;
}

static rmq_tls_ctx_t *ctx_fail(rmq_tls_ctx_t *c, char *errstr,
                               size_t errstr_size, const char *what,
                               const char *file) {
        char why[256];
        ssl_err_string("unknown error", why, sizeof(why));
        if (file)
                snprintf(errstr, errstr_size, "TLS: %s %s: %s", what, file,
                         why);
        else
                snprintf(errstr, errstr_size, "TLS: %s: %s", what, why);
        rmq__tls_ctx_free(c);
        return NULL;
}

rmq_tls_ctx_t *rmq__tls_ctx_new(bool server, const rmq_tls_conf_t *conf,
                                char *errstr, size_t errstr_size) {
        rmq_tls_ctx_t *c = rmq__calloc(1, sizeof(*c));
        const char *ca = conf->ca_file && *conf->ca_file ? conf->ca_file : NULL;
        const char *cert =
            conf->cert_file && *conf->cert_file ? conf->cert_file : NULL;
        const char *key =
            conf->key_file && *conf->key_file ? conf->key_file : NULL;
        ERR_clear_error();
        c->server = server;
        c->ssl_ctx =
            SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
        if (!c->ssl_ctx)
                return ctx_fail(c, errstr, errstr_size, "cannot create context",
                                NULL);
        SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION);
        SSL_CTX_set_mode(c->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                         SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        if (server && (!cert || !key)) {
                snprintf(errstr, errstr_size,
                         "TLS: a server needs a certificate and a key");
                rmq__tls_ctx_free(c);
                return NULL;
        }
        if (!cert != !key) {
                snprintf(errstr, errstr_size,
                         "TLS: tls.client.certPath and tls.client.keyPath go "
                         "together (one is missing)");
                rmq__tls_ctx_free(c);
                return NULL;
        }
        if (cert) {
                int ok;
                if (SSL_CTX_use_certificate_chain_file(c->ssl_ctx, cert) != 1)
                        return ctx_fail(c, errstr, errstr_size,
                                        "cannot load certificate", cert);
                SSL_CTX_set_default_passwd_cb(c->ssl_ctx, passwd_cb);
                SSL_CTX_set_default_passwd_cb_userdata(
                    c->ssl_ctx, (void *)(uintptr_t)conf->key_password);
                ok = SSL_CTX_use_PrivateKey_file(c->ssl_ctx, key,
                                                 SSL_FILETYPE_PEM) == 1;
                /* the password is borrowed for this call only */
                SSL_CTX_set_default_passwd_cb_userdata(c->ssl_ctx, NULL);
                if (!ok)
                        return ctx_fail(c, errstr, errstr_size,
                                        "cannot load private key (wrong "
                                        "tls.client.keyPassword?)",
                                        key);
                if (SSL_CTX_check_private_key(c->ssl_ctx) != 1)
                        return ctx_fail(c, errstr, errstr_size,
                                        "private key does not match "
                                        "certificate",
                                        cert);
        }
        c->verify = conf->verify && (!server || ca);
        if (c->verify) {
                if (ca) {
                        if (SSL_CTX_load_verify_locations(c->ssl_ctx, ca,
                                                          NULL) != 1)
                                return ctx_fail(c, errstr, errstr_size,
                                                "cannot load CA file", ca);
                } else if (SSL_CTX_set_default_verify_paths(c->ssl_ctx) != 1) {
                        return ctx_fail(c, errstr, errstr_size,
                                        "cannot load the system CA paths",
                                        NULL);
                }
                if (server && ca) {
                        STACK_OF(X509_NAME) *names =
                            SSL_load_client_CA_file(ca);
                        if (names)
                                SSL_CTX_set_client_CA_list(c->ssl_ctx, names);
                }
                SSL_CTX_set_verify(c->ssl_ctx,
                                   server ? SSL_VERIFY_PEER |
                                                SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                                          : SSL_VERIFY_PEER,
                                   NULL);
        } else {
                SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_NONE, NULL);
        }
        ERR_clear_error();
        return c;
}

void rmq__tls_ctx_free(rmq_tls_ctx_t *ctx) {
        if (!ctx)
                return;
        SSL_CTX_free(ctx->ssl_ctx);
        rmq__free(ctx);
}

bool rmq__tls_ctx_verifies(const rmq_tls_ctx_t *ctx) {
        return ctx && ctx->verify;
}

/* The peer's name: SNI for a host name; the name or address the
 * certificate must carry when verifying. */
static bool set_peer_name(rmq_tls_t *t, const char *addr) {
        char host[256];
        int port;
        struct sockaddr_storage ss;
        X509_VERIFY_PARAM *vp = SSL_get0_param(t->ssl);
        if (rmq__addr_split(addr, host, sizeof(host), &port))
                return false;
        if (!rmq__addr_parse_numeric(addr, &ss)) {
                /* an IP address: no SNI (RFC 6066 forbids it) */
                return !t->verify || X509_VERIFY_PARAM_set1_ip_asc(vp, host);
        }
        if (SSL_set_tlsext_host_name(t->ssl, host) != 1)
                return false;
        if (t->verify) {
                X509_VERIFY_PARAM_set_hostflags(
                    vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                return X509_VERIFY_PARAM_set1_host(vp, host, 0) == 1;
        }
        return true;
}

rmq_tls_t *rmq__tls_new(rmq_tls_ctx_t *ctx, const char *addr) {
        rmq_tls_t *t = rmq__calloc(1, sizeof(*t));
        t->ssl       = SSL_new(ctx->ssl_ctx);
        t->rbio      = BIO_new(BIO_s_mem());
        t->wbio      = BIO_new(BIO_s_mem());
        t->verify    = ctx->verify;
        if (!t->ssl || !t->rbio || !t->wbio) {
                BIO_free(t->rbio);
                BIO_free(t->wbio);
                SSL_free(t->ssl);
                rmq__free(t);
                return NULL;
        }
        /* an empty input BIO means "wait", not end of stream */
        BIO_set_mem_eof_return(t->rbio, -1);
        BIO_set_mem_eof_return(t->wbio, -1);
        SSL_set_bio(t->ssl, t->rbio, t->wbio); /* the SSL owns both */
        if (ctx->server) {
                SSL_set_accept_state(t->ssl);
        } else {
                SSL_set_connect_state(t->ssl);
                if (addr && !set_peer_name(t, addr)) {
                        rmq__tls_free(t);
                        return NULL;
                }
        }
        return t;
}

void rmq__tls_free(rmq_tls_t *t) {
        if (!t)
                return;
        SSL_free(t->ssl);
        rmq__free(t->stage);
        rmq__free(t);
}

void rmq__tls_feed(rmq_tls_t *t, const uint8_t *data, size_t len) {
        /* a memory BIO takes everything (it grows) */
        while (len > 0) {
                int chunk = len > INT32_MAX ? INT32_MAX : (int)len;
                int n     = BIO_write(t->rbio, data, chunk);
                if (n <= 0)
                        break;
                data += n;
                len -= (size_t)n;
        }
}

static int want_or_error(rmq_tls_t *t, int r) {
        switch (SSL_get_error(t->ssl, r)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
                return RMQ_TLS_WANT;
        default:
                return RMQ_TLS_ERROR;
        }
}

int rmq__tls_handshake(rmq_tls_t *t) {
        int r;
        if (t->established)
                return RMQ_TLS_DONE;
        /* SSL_get_error reads the thread's error queue: it must hold
         * nothing from elsewhere (a log callback, another channel) */
        ERR_clear_error();
        r = SSL_do_handshake(t->ssl);
        if (r == 1) {
                t->established = true;
                return RMQ_TLS_DONE;
        }
        return want_or_error(t, r);
}

bool rmq__tls_established(const rmq_tls_t *t) {
        return t->established;
}

int rmq__tls_read(rmq_tls_t *t, uint8_t *buf, size_t size) {
        int r;
        ERR_clear_error();
        r = SSL_read(t->ssl, buf, size > INT32_MAX ? INT32_MAX : (int)size);
        if (r > 0)
                return r;
        return want_or_error(t, r);
}

static int tls_encrypt(rmq_tls_t *t, const uint8_t *data, size_t len) {
        while (len > 0) {
                int chunk = len > INT32_MAX ? INT32_MAX : (int)len;
                int n;
                ERR_clear_error();
                n = SSL_write(t->ssl, data, chunk);
                if (n <= 0)
                        return RMQ_TLS_ERROR;
                data += n;
                len -= (size_t)n;
        }
        return 0;
}

static int stage_flush(rmq_tls_t *t) {
        int r;
        if (!t->stage_len)
                return 0;
        r            = tls_encrypt(t, t->stage, t->stage_len);
        t->stage_len = 0;
        return r;
}

int rmq__tls_write_flush(rmq_tls_t *t) {
        return stage_flush(t);
}

int rmq__tls_write(rmq_tls_t *t, const uint8_t *data, size_t len) {
        if (len >= TLS_STAGE / 2) {
                if (stage_flush(t))
                        return RMQ_TLS_ERROR;
                return tls_encrypt(t, data, len);
        }
        if (t->stage_len + len > TLS_STAGE && stage_flush(t))
                return RMQ_TLS_ERROR;
        if (!t->stage)
                t->stage = rmq__malloc(TLS_STAGE);
        memcpy(t->stage + t->stage_len, data, len);
        t->stage_len += len;
        return 0;
}

uint8_t *rmq__tls_take_output(rmq_tls_t *t, size_t *lenp) {
        size_t n;
        uint8_t *out;
        int r;
        *lenp = 0;
        if (stage_flush(t))
                return NULL; /* the next read or write reports it */
        n = BIO_ctrl_pending(t->wbio);
        if (!n)
                return NULL;
        out = rmq__malloc(n);
        r   = BIO_read(t->wbio, out, (int)n);
        if (r <= 0) {
                rmq__free(out);
                return NULL;
        }
        *lenp = (size_t)r;
        return out;
}

void rmq__tls_reason(rmq_tls_t *t, const char *fallback, char *dst,
                     size_t size) {
        long vr = t ? SSL_get_verify_result(t->ssl) : X509_V_OK;
        if (t && t->verify && vr != X509_V_OK) {
                snprintf(dst, size, "certificate verify failed: %s",
                         X509_verify_cert_error_string(vr));
                ERR_clear_error();
                return;
        }
        ssl_err_string(fallback, dst, size);
}
