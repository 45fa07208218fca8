/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TLS options every example takes (one parser for all of them):
 *
 *   --tls              talk TLS to the name server and brokers (useTLS)
 *   --tls-ca FILE      trust the CA certificates of FILE (PEM;
 *                      tls.client.trustCertPath); default: the system CAs
 *   --tls-no-verify    do not verify the server (tls.client.authServer=
 *                      false; a warning is logged)
 *   --tls-cert FILE    client certificate for mutual TLS
 *   --tls-key FILE     its private key (with --tls-key-password PASS
 *                      when encrypted)
 *
 * Any of them implies --tls. Use: put EX_TLS_LONGOPTS in the getopt_long
 * table, give every option to ex_tls_option() first, then call
 * ex_tls_apply() on the configuration.
 */
#ifndef EXAMPLE_TLS_H
#define EXAMPLE_TLS_H

#include <getopt.h>

#include <rocketmq/rocketmq.h>

#define EX_TLS_OPT_BASE 0x1000
#define EX_TLS_LONGOPTS                                                        \
        {"tls", no_argument, NULL, EX_TLS_OPT_BASE},                           \
            {"tls-ca", required_argument, NULL, EX_TLS_OPT_BASE + 1},          \
            {"tls-no-verify", no_argument, NULL, EX_TLS_OPT_BASE + 2},         \
            {"tls-cert", required_argument, NULL, EX_TLS_OPT_BASE + 3},        \
            {"tls-key", required_argument, NULL, EX_TLS_OPT_BASE + 4}, {       \
                "tls-key-password", required_argument, NULL,                   \
                    EX_TLS_OPT_BASE + 5                                        \
        }

/* The usage text of the options above. */
#define EX_TLS_USAGE                                                           \
        "[--tls [--tls-ca FILE] [--tls-no-verify] [--tls-cert FILE "           \
        "--tls-key FILE [--tls-key-password PASS]]]"

/* Takes \p opt (with \p arg) if it is one of the TLS options: returns 1,
 * else 0. */
int ex_tls_option(int opt, const char *arg);

/* Sets the properties the TLS options asked for on \p conf. Returns 0, or
 * -1 with the reason in \p errstr. */
int ex_tls_apply(rmq_conf_t *conf, char *errstr, size_t errstr_size);

#endif /* EXAMPLE_TLS_H */
