/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS for the transport: OpenSSL objects driven through memory BIOs, so
 * the loop thread keeps doing all socket I/O with libuv and OpenSSL only
 * turns bytes into bytes. mirrors what NettyRemotingClient/Server get
 * from TlsHelper.buildSslContext and Netty's SslHandler.
 *
 * One rmq_tls_ctx_t (an SSL_CTX: protocol floor TLS 1.2, certificates,
 * trust, verification) per transport and side; one rmq_tls_t per
 * connection, used by client (outbound) and server (accepted) channels
 * alike. Everything on a connection's rmq_tls_t happens on the loop
 * thread; a context is read-only once made.
 */
#ifndef RMQ_TLS_H
#define RMQ_TLS_H

#include "common/rmq_common.h"

typedef struct rmq_tls_ctx_s rmq_tls_ctx_t;
typedef struct rmq_tls_s rmq_tls_t;

/* What a context is made from. Strings are borrowed for the call. */
typedef struct rmq_tls_conf_s {
        bool enabled;
        /* client: verify the server's chain and name (tls.client.
         * authServer); server: require and verify a client certificate
         * (set with ca_file). */
        bool verify;
        const char *ca_file;      /* trusted CAs (PEM); NULL: system paths */
        const char *cert_file;    /* own certificate chain (PEM) */
        const char *key_file;     /* own private key (PEM, maybe encrypted) */
        const char *key_password; /* for an encrypted key */
} rmq_tls_conf_t;

/* A client (\p server false) or server context. Returns NULL with the
 * reason in \p errstr (unreadable files, wrong key password, key not
 * matching the certificate, a server without certificate). */
rmq_tls_ctx_t *rmq__tls_ctx_new(bool server, const rmq_tls_conf_t *conf,
                                char *errstr, size_t errstr_size);
/* NULL-safe. No connection may still use it. */
void rmq__tls_ctx_free(rmq_tls_ctx_t *ctx);
bool rmq__tls_ctx_verifies(const rmq_tls_ctx_t *ctx);

/* A connection. \p addr ("host:port") is the peer a client connects to:
 * its host is sent as SNI when it is a name and checked against the
 * certificate when the context verifies (DNS name or IP address).
 * NULL for accepted connections. */
rmq_tls_t *rmq__tls_new(rmq_tls_ctx_t *ctx, const char *addr);
/* NULL-safe. */
void rmq__tls_free(rmq_tls_t *t);

/* Results of rmq__tls_handshake / rmq__tls_read. */
#define RMQ_TLS_ERROR (-1)
#define RMQ_TLS_WANT  0 /* needs more bytes from the peer */
#define RMQ_TLS_DONE  1 /* handshake finished */

/* Hands \p len bytes received from the socket to the TLS engine. */
void rmq__tls_feed(rmq_tls_t *t, const uint8_t *data, size_t len);
/* Advances the handshake: RMQ_TLS_DONE once established, RMQ_TLS_WANT
 * while waiting for the peer, RMQ_TLS_ERROR (reason from
 * rmq__tls_reason). Bytes to send may be ready afterwards either way. */
int rmq__tls_handshake(rmq_tls_t *t);
bool rmq__tls_established(const rmq_tls_t *t);
/* Decrypted bytes into \p buf: > 0 bytes, RMQ_TLS_WANT (nothing more
 * for now) or RMQ_TLS_ERROR (also when the peer closed the session). */
int rmq__tls_read(rmq_tls_t *t, uint8_t *buf, size_t size);
/* Takes \p len bytes to encrypt (all of them: the output BIO grows).
 * Small writes are gathered into records of up to 16 KiB, encrypted at
 * the latest by rmq__tls_take_output. Returns 0 or RMQ_TLS_ERROR. */
int rmq__tls_write(rmq_tls_t *t, const uint8_t *data, size_t len);
/* Encrypts what rmq__tls_write gathered. Returns 0 or RMQ_TLS_ERROR. */
int rmq__tls_write_flush(rmq_tls_t *t);
/* The bytes waiting to go to the socket, in a new rmq__malloc buffer
 * (NULL and *lenp 0 when there are none). The caller frees it. */
uint8_t *rmq__tls_take_output(rmq_tls_t *t, size_t *lenp);
/* Why the last step failed: the certificate verification result
 * (X509_verify_cert_error_string) when it failed, else OpenSSL's error
 * queue, else \p fallback. Clears the thread's OpenSSL error queue. */
void rmq__tls_reason(rmq_tls_t *t, const char *fallback, char *dst,
                     size_t size);

#endif /* RMQ_TLS_H */
