/* SPDX-License-Identifier: Apache-2.0 */
/* The examples' TLS options (example_tls.h). */
#include <stddef.h>

#include "example_tls.h"

static struct {
        int on, no_verify;
        const char *ca, *cert, *key, *password;
} tls;

int ex_tls_option(int opt, const char *arg) {
        switch (opt - EX_TLS_OPT_BASE) {
        case 0:
                break;
        case 1:
                tls.ca = arg;
                break;
        case 2:
                tls.no_verify = 1;
                break;
        case 3:
                tls.cert = arg;
                break;
        case 4:
                tls.key = arg;
                break;
        case 5:
                tls.password = arg;
                break;
        default:
                return 0;
        }
        tls.on = 1;
        return 1;
}

int ex_tls_apply(rmq_conf_t *conf, char *errstr, size_t errstr_size) {
        const char *props[][2] = {
            {"useTLS", "true"},
            {"tls.client.authServer", tls.no_verify ? "false" : "true"},
            {"tls.client.trustCertPath", tls.ca},
            {"tls.client.certPath", tls.cert},
            {"tls.client.keyPath", tls.key},
            {"tls.client.keyPassword", tls.password},
        };
        size_t i;
        if (!tls.on)
                return 0;
        for (i = 0; i < sizeof(props) / sizeof(props[0]); i++)
                if (props[i][1] && rmq_conf_set(conf, props[i][0], props[i][1],
                                                errstr, errstr_size))
                        return -1;
        return 0;
}
