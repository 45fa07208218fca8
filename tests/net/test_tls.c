/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS on the transport: a client rmq_remoting against a server
 * rmq_remoting (the same TLS code on both sides), with a test PKI
 * written at run time by rmq_mock_tls_generate (OpenSSL C API). Covers
 * verification (CA, host name, IP address, expiry), verification off,
 * mutual TLS with plain and encrypted keys, a plain-text server (no
 * fallback) and the reconnect once the server is fixed.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "common/rmq_io.h"
#include "common/rmq_str.h"
#include "common/rmq_time.h"
#include "remoting/rmq_remoting.h"
#include "rocketmq/rmq_mock.h"
#include "testutil.h"

#define CODE_ECHO 1000

#define pf rmq_test_pki

/* ---- logs ---- */

static atomic_int warn_noverify;

static void log_cb(rmq_log_level_t level, const char *fac,
                   const char *client_id, const char *msg, void *opaque) {
        (void)fac;
        (void)client_id;
        (void)opaque;
        if (level == RMQ_LOG_WARN && strstr(msg, "without server verification"))
                atomic_fetch_add(&warn_noverify, 1);
}

static rmq_logger_t lg = {log_cb, NULL, 4, 0, "tls-test", 0};

/* ---- server ---- */

typedef struct server_s {
        rmq_io_t *io;
        rmq_remoting_t *rm;
        int port;
        atomic_int received;
} server_t;

static void server_proc(rmq_remoting_t *rm, rmq_channel_t *ch, rmq_cmd_t *req,
                        void *opaque) {
        server_t *s     = opaque;
        rmq_cmd_t *resp = rmq__cmd_new_response(0, NULL);
        atomic_fetch_add(&s->received, 1);
        rmq__cmd_set_body_copy(resp, req->body, req->body_len);
        rmq__remoting_reply(rm, ch, req, resp);
        rmq__cmd_destroy(req);
}

/* Sets the server's TLS: \p cert NULL = plain text. */
static void server_tls(server_t *s, const char *cert, const char *key,
                       const char *client_ca) {
        rmq_tls_conf_t tc;
        char err[256];
        memset(&tc, 0, sizeof(tc));
        tc.enabled   = cert != NULL;
        tc.cert_file = cert;
        tc.key_file  = key;
        tc.ca_file   = client_ca;
        tc.verify    = client_ca != NULL;
        if (rmq__remoting_set_tls_server(s->rm, &tc, err, sizeof(err)))
                fail_msg("server TLS: %s", err);
}

static server_t *server_start_hs(const char *cert, const char *key,
                                 const char *client_ca, int64_t hs_ms) {
        server_t *s = calloc(1, sizeof(*s));
        rmq_remoting_conf_t rc;
        rmq__remoting_conf_defaults(&rc);
        if (hs_ms)
                rc.connect_timeout_ms = hs_ms;
        s->io = rmq__io_new("tls-srv", &lg);
        s->rm = rmq__remoting_new(s->io, &rc, NULL, &lg);
        rmq__remoting_register_processor(s->rm, CODE_ECHO, server_proc, s,
                                         true);
        server_tls(s, cert, key, client_ca);
        assert_int_equal(rmq__remoting_listen(s->rm, "127.0.0.1", 0, &s->port),
                         RMQ_OK);
        return s;
}

static server_t *server_start(const char *cert, const char *key,
                              const char *client_ca) {
        return server_start_hs(cert, key, client_ca, 0);
}

static void on_stop(rmq_io_t *io, void *arg) {
        (void)io;
        rmq__remoting_close(arg);
}

static void server_stop(server_t *s) {
        rmq__io_destroy(s->io, on_stop, s->rm);
        rmq__remoting_free(s->rm);
        free(s);
}

/* ---- client ---- */

typedef struct client_s {
        rmq_io_t *io;
        rmq_pool_t *pool;
        rmq_remoting_t *rm;
} client_t;

/* A TLS client trusting \p ca (NULL: system paths), verifying when
 * \p verify, with an optional client certificate. */
static int64_t client_backoff_ms; /* reconnect.backoff.ms of new clients */

static client_t *client_new(const char *ca, bool verify, const char *cert,
                            const char *key, const char *password) {
        client_t *c = calloc(1, sizeof(*c));
        rmq_remoting_conf_t rc;
        rmq__remoting_conf_defaults(&rc);
        rc.tls.enabled      = true;
        rc.tls.verify       = verify;
        rc.tls.ca_file      = ca;
        rc.tls.cert_file    = cert;
        rc.tls.key_file     = key;
        rc.tls.key_password = password;
        /* each failure is checked on its own dial: no connect back-off
         * unless a test asks (test_tls_handshake_failure_backs_off) */
        rc.reconnect_backoff_ms = client_backoff_ms;
        c->io               = rmq__io_new("tls-cli", &lg);
        c->pool             = rmq__pool_new("tls-cb", 1);
        c->rm               = rmq__remoting_new(c->io, &rc, c->pool, &lg);
        return c;
}

static client_t *client_plain(void) {
        client_t *c = calloc(1, sizeof(*c));
        rmq_remoting_conf_t rc;
        rmq__remoting_conf_defaults(&rc);
        c->io   = rmq__io_new("tls-cli", &lg);
        c->pool = rmq__pool_new("tls-cb", 1);
        c->rm   = rmq__remoting_new(c->io, &rc, c->pool, &lg);
        return c;
}

static void client_destroy(client_t *c) {
        rmq__io_destroy(c->io, on_stop, c->rm);
        rmq__pool_destroy(c->pool);
        rmq__remoting_free(c->rm);
        free(c);
}

/* An echo of \p body_len bytes to \p host : the server's port. */
static rmq_err_t echo(client_t *c, const char *host, server_t *s,
                      size_t body_len, char *err, size_t errsize) {
        char addr[128];
        rmq_cmd_t *req = rmq__cmd_new_request(CODE_ECHO), *resp = NULL;
        rmq_err_t e;
        uint8_t *body = malloc(body_len ? body_len : 1);
        size_t i;
        for (i = 0; i < body_len; i++)
                body[i] = (uint8_t)(i * 7);
        rmq__cmd_set_body_copy(req, body, body_len);
        snprintf(addr, sizeof(addr), "%s:%d", host, s->port);
        err[0] = '\0';
        e      = rmq__remoting_invoke_sync(c->rm, addr, req,
                                           10000 * rmq_test_tmout_multiplier(),
                                           &resp, err, errsize);
        rmq__cmd_destroy(req);
        if (!e) {
                assert_int_equal(resp->body_len, body_len);
                if (body_len)
                        assert_memory_equal(resp->body, body, body_len);
                rmq__cmd_destroy(resp);
        }
        free(body);
        return e;
}

/* An echo that must fail with RMQ_ERR__SSL at once (long before the
 * request's timeout), its reason naming the address and containing
 * \p why. */
static void echo_fails(client_t *c, const char *host, server_t *s,
                       const char *why) {
        char err[512], addr[128];
        int64_t t0  = rmq__mono_ms();
        rmq_err_t e = echo(c, host, s, 10, err, sizeof(err));
        snprintf(addr, sizeof(addr), "%s:%d", host, s->port);
        if (e != RMQ_ERR__SSL || !strstr(err, why) || !strstr(err, addr))
                fail_msg("want RMQ_ERR__SSL with \"%s\" and %s, got %d: %s",
                         why, addr, e, err);
        print_message("    %s\n", err);
        assert_true(rmq__mono_ms() - t0 < 5000 * rmq_test_tmout_multiplier());
}

/* ---- tests ---- */

static void test_tls_verified_ip_and_name(void **state) {
        server_t *s = server_start(pf("server.pem"), pf("server.key"), NULL);
        client_t *c = client_new(pf("ca.pem"), true, NULL, NULL, NULL);
        char err[512];
        (void)state;
        /* IP address (SAN IP:127.0.0.1), small and large frames (records
         * split and joined, the decoder's direct path) */
        assert_int_equal(echo(c, "127.0.0.1", s, 10, err, sizeof(err)), RMQ_OK);
        assert_int_equal(
            echo(c, "127.0.0.1", s, 3 * 1024 * 1024 + 17, err, sizeof(err)),
            RMQ_OK);
        assert_int_equal(echo(c, "127.0.0.1", s, 0, err, sizeof(err)), RMQ_OK);
        /* host name (SNI, SAN DNS:localhost) */
        if (echo(c, "localhost", s, 100, err, sizeof(err)))
                fail_msg("localhost: %s", err);
        assert_int_equal(atomic_load(&s->received), 4);
        assert_int_equal(atomic_load(&warn_noverify), 0);
        /* the statistics count the bytes on the wire both ways */
        {
                rmq_remoting_stats_t st;
                rmq__remoting_stats(c->rm, &st);
                assert_true(st.bytes_out > 3u * 1024 * 1024);
                assert_true(st.bytes_in > 3u * 1024 * 1024);
        }
        client_destroy(c);
        server_stop(s);
}

static void test_tls_no_verify(void **state) {
        /* a server certificate from a CA the client does not know */
        server_t *s =
            server_start(pf("other-server.pem"), pf("other-server.key"), NULL);
        server_t *s2 =
            server_start(pf("wronghost.pem"), pf("wronghost.key"), NULL);
        client_t *c;
        char err[512];
        (void)state;
        atomic_store(&warn_noverify, 0);
        c = client_new(NULL, false, NULL, NULL, NULL);
        assert_int_equal(echo(c, "127.0.0.1", s, 10, err, sizeof(err)), RMQ_OK);
        assert_int_equal(echo(c, "127.0.0.1", s2, 10, err, sizeof(err)),
                         RMQ_OK);
        /* warned once per client, not per connection */
        assert_int_equal(atomic_load(&warn_noverify), 1);
        client_destroy(c);
        server_stop(s2);
        server_stop(s);
}

static void test_tls_wrong_ca(void **state) {
        server_t *s = server_start(pf("server.pem"), pf("server.key"), NULL);
        client_t *c = client_new(pf("other-ca.pem"), true, NULL, NULL, NULL);
        (void)state;
        echo_fails(c, "127.0.0.1", s,
                   "certificate verify failed: unable to get local issuer "
                   "certificate");
        /* the default trust (system CAs) does not know the test CA either */
        client_destroy(c);
        c = client_new(NULL, true, NULL, NULL, NULL);
        echo_fails(c, "127.0.0.1", s, "certificate verify failed");
        assert_int_equal(atomic_load(&s->received), 0);
        client_destroy(c);
        server_stop(s);
}

static void test_tls_wrong_host(void **state) {
        server_t *s =
            server_start(pf("wronghost.pem"), pf("wronghost.key"), NULL);
        client_t *c = client_new(pf("ca.pem"), true, NULL, NULL, NULL);
        (void)state;
        echo_fails(c, "127.0.0.1", s, "IP address mismatch");
        echo_fails(c, "localhost", s, "hostname mismatch");
        assert_int_equal(atomic_load(&s->received), 0);
        client_destroy(c);
        server_stop(s);
}

static void test_tls_expired(void **state) {
        server_t *s = server_start(pf("expired.pem"), pf("expired.key"), NULL);
        client_t *c = client_new(pf("ca.pem"), true, NULL, NULL, NULL);
        (void)state;
        echo_fails(c, "127.0.0.1", s, "certificate has expired");
        client_destroy(c);
        server_stop(s);
}

/* A plain-text server: the TLS client fails, never sends a frame in
 * clear; a plain client to a TLS server fails too. Once the server
 * serves TLS, the same client reconnects and works. */
static void test_tls_plain_server_then_fixed(void **state) {
        server_t *s = server_start(NULL, NULL, NULL);
        client_t *c = client_new(pf("ca.pem"), true, NULL, NULL, NULL);
        client_t *p;
        char err[512];
        (void)state;
        echo_fails(c, "127.0.0.1", s, "TLS handshake with");
        echo_fails(c, "127.0.0.1", s, "TLS handshake with"); /* again */
        assert_int_equal(atomic_load(&s->received), 0);
        /* fixed: the next request reconnects over TLS */
        server_tls(s, pf("server.pem"), pf("server.key"), NULL);
        if (echo(c, "127.0.0.1", s, 10, err, sizeof(err)))
                fail_msg("after the fix: %s", err);
        assert_int_equal(atomic_load(&s->received), 1);
        /* a plain client to the TLS server */
        p = client_plain();
        assert_int_not_equal(echo(p, "127.0.0.1", s, 10, err, sizeof(err)),
                             RMQ_OK);
        assert_int_equal(atomic_load(&s->received), 1);
        client_destroy(p);
        client_destroy(c);
        server_stop(s);
}

/* A failed handshake is a failed connect: the address backs off, so the
 * next request fails at once without dialling (RMQ_ERR__CONNECT naming the
 * back-off), and the server sees a single connection. */
static void test_tls_handshake_failure_backs_off(void **state) {
        server_t *s = server_start(NULL, NULL, NULL);
        client_t *c;
        rmq_remoting_stats_t st;
        char err[512];
        (void)state;
        client_backoff_ms = 60000; /* far longer than the test */
        c                 = client_new(pf("ca.pem"), true, NULL, NULL, NULL);
        client_backoff_ms = 0;
        echo_fails(c, "127.0.0.1", s, "TLS handshake with");
        assert_int_equal(echo(c, "127.0.0.1", s, 10, err, sizeof(err)),
                         RMQ_ERR__CONNECT);
        assert_non_null(strstr(err, "backing off"));
        rmq__remoting_stats(c->rm, &st);
        assert_int_equal(st.connect_attempts, 1);
        assert_int_equal(atomic_load(&s->received), 0);
        client_destroy(c);
        server_stop(s);
}

static void test_tls_mutual(void **state) {
        server_t *s =
            server_start(pf("server.pem"), pf("server.key"), pf("ca.pem"));
        client_t *c;
        char err[512];
        (void)state;
        /* no client certificate: refused */
        c = client_new(pf("ca.pem"), true, NULL, NULL, NULL);
        echo_fails(c, "127.0.0.1", s, "TLS ");
        client_destroy(c);
        assert_int_equal(atomic_load(&s->received), 0);
        /* a client certificate from another CA: refused */
        c = client_new(pf("ca.pem"), true, pf("other-server.pem"),
                       pf("other-server.key"), NULL);
        echo_fails(c, "127.0.0.1", s, "TLS ");
        client_destroy(c);
        assert_int_equal(atomic_load(&s->received), 0);
        /* the client certificate */
        c = client_new(pf("ca.pem"), true, pf("client.pem"), pf("client.key"),
                       NULL);
        if (echo(c, "127.0.0.1", s, 10, err, sizeof(err)))
                fail_msg("mTLS: %s", err);
        client_destroy(c);
        /* its encrypted key with the right password */
        c = client_new(pf("ca.pem"), true, pf("client.pem"),
                       pf("client-enc.key"), "rocketmq");
        if (echo(c, "127.0.0.1", s, 10, err, sizeof(err)))
                fail_msg("mTLS, encrypted key: %s", err);
        client_destroy(c);
        assert_int_equal(atomic_load(&s->received), 2);
        /* the wrong password, or none: no TLS, no connection */
        c = client_new(pf("ca.pem"), true, pf("client.pem"),
                       pf("client-enc.key"), "wrong");
        echo_fails(c, "127.0.0.1", s, "cannot load private key");
        client_destroy(c);
        c = client_new(pf("ca.pem"), true, pf("client.pem"),
                       pf("client-enc.key"), NULL);
        echo_fails(c, "127.0.0.1", s, "cannot load private key");
        client_destroy(c);
        assert_int_equal(atomic_load(&s->received), 2);
        server_stop(s);
}

/* ---- many requests in flight (frames batched into records) ---- */

typedef struct async_s {
        atomic_int ok, errs;
} async_t;

static void async_cb(rmq_err_t err, rmq_cmd_t *resp, const char *errstr,
                     void *opaque) {
        async_t *a = opaque;
        (void)resp;
        (void)errstr;
        if (err)
                atomic_fetch_add(&a->errs, 1);
        else
                atomic_fetch_add(&a->ok, 1);
}

static bool async_done(void *arg) {
        async_t *a = arg;
        return atomic_load(&a->ok) + atomic_load(&a->errs) >= 2000;
}

static void test_tls_many_async(void **state) {
        server_t *s = server_start(pf("server.pem"), pf("server.key"), NULL);
        client_t *c = client_new(pf("ca.pem"), true, NULL, NULL, NULL);
        async_t a;
        char addr[64];
        int i;
        (void)state;
        atomic_init(&a.ok, 0);
        atomic_init(&a.errs, 0);
        snprintf(addr, sizeof(addr), "127.0.0.1:%d", s->port);
        for (i = 0; i < 2000; i++) {
                rmq_cmd_t *req = rmq__cmd_new_request(CODE_ECHO);
                char body[300];
                memset(body, 'a' + i % 26, sizeof(body));
                rmq__cmd_set_body_copy(req, body, (size_t)(i % 300));
                assert_int_equal(rmq__remoting_invoke_async(
                                     c->rm, addr, req,
                                     10000 * rmq_test_tmout_multiplier(), 0,
                                     async_cb, &a),
                                 RMQ_OK);
                rmq__cmd_destroy(req);
        }
        assert_true(rmq_test_wait_until(async_done, &a, 10000));
        assert_int_equal(atomic_load(&a.ok), 2000);
        client_destroy(c);
        server_stop(s);
}

/* A peer that connects to a TLS server and says nothing is dropped when
 * the handshake time (connectTimeoutMillis) is over. */
static void test_tls_server_handshake_timeout(void **state) {
        server_t *s =
            server_start_hs(pf("server.pem"), pf("server.key"), NULL, 200);
        struct sockaddr_in sa;
        struct timeval tv;
        char b;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int64_t t0;
        ssize_t n;
        (void)state;
        memset(&sa, 0, sizeof(sa));
        sa.sin_family      = AF_INET;
        sa.sin_port        = htons((uint16_t)s->port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        tv.tv_sec  = 10 * rmq_test_tmout_multiplier();
        tv.tv_usec = 0;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        t0 = rmq__mono_ms();
        n  = recv(fd, &b, 1, 0);
        assert_true(n <= 0); /* closed (EOF or reset), no byte */
        assert_true(rmq__mono_ms() - t0 < 5000 * rmq_test_tmout_multiplier());
        close(fd);
        server_stop(s);
}

/* ---- setup ---- */

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_tls_verified_ip_and_name),
            cmocka_unit_test(test_tls_many_async),
            cmocka_unit_test(test_tls_no_verify),
            cmocka_unit_test(test_tls_wrong_ca),
            cmocka_unit_test(test_tls_wrong_host),
            cmocka_unit_test(test_tls_expired),
            cmocka_unit_test(test_tls_plain_server_then_fixed),
            cmocka_unit_test(test_tls_handshake_failure_backs_off),
            cmocka_unit_test(test_tls_mutual),
            cmocka_unit_test(test_tls_server_handshake_timeout),
        };
        return cmocka_run_group_tests(tests, rmq_test_pki_setup,
                                      rmq_test_pki_teardown);
}
