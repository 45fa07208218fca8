/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the fastjson-tolerant JSON body codec
 * (rmq_json.c): rmq__json_parse on the input; when it parses, the
 * accessors are run over the whole tree, the tree is printed with
 * rmq__json_print and the text parsed again.
 *
 * Oracles (abort() on failure):
 * - a rejected input gets a reason in errstr;
 * - an accepted input followed by a ',' is rejected ("trailing blanks are
 *   allowed, anything else after the value is an error", rmq_json.h);
 * - the printed text has no NUL byte and parses again;
 * - printing the second tree gives the same text (print is a fixed point
 *   after one round), and rmq__json_print_str agrees with rmq__json_print.
 */
#include <stdio.h>
#include <stdlib.h>

#include "remoting/rmq_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void oracle_fail(const char *what, const rmq_buf_t *p1,
                        const rmq_buf_t *p2) {
        fprintf(stderr, "fuzz_json: oracle failure: %s\n", what);
        if (p1)
                fprintf(stderr, "  first print:  %.*s\n", (int)p1->len,
                        (const char *)p1->data);
        if (p2)
                fprintf(stderr, "  second print: %.*s\n", (int)p2->len,
                        (const char *)p2->data);
        abort();
}

/* Runs the fastjson-tolerant accessors on every item; they must not
 * misbehave on any value the parser can produce. */
static void walk(const cJSON *item) {
        const cJSON *c;
        int64_t v;

        (void)rmq__json_item_i64(item, &v);
        for (c = item->child; c; c = c->next) {
                if (cJSON_IsObject(item) && c->string) {
                        (void)rmq__json_get_i64(item, c->string, &v);
                        (void)rmq__json_get_str(item, c->string);
                        (void)rmq__json_get_bool(item, c->string, false);
                }
                walk(c);
        }
}

/* \p data parsed as one value: with a non-blank byte after it, it must
 * not. */
static void check_trailing_rejected(const uint8_t *data, size_t size) {
        char *text = rmq__malloc(size + 1);
        cJSON *root;
        if (size)
                memcpy(text, data, size);
        text[size] = ',';
        root       = rmq__json_parse(text, size + 1, NULL, 0);
        rmq__free(text);
        if (root) {
                cJSON_Delete(root);
                oracle_fail("accepted with a trailing ','", NULL, NULL);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char errstr[256] = "";
        rmq_buf_t p1 = RMQ_BUF_INIT, p2 = RMQ_BUF_INIT;
        cJSON *root, *again;
        char *s;
        size_t slen;

        root = rmq__json_parse((const char *)data, size, errstr,
                               sizeof(errstr));
        if (!root) {
                if (!errstr[0])
                        oracle_fail("rejected without a reason", NULL, NULL);
                return 0;
        }
        check_trailing_rejected(data, size);
        walk(root);
        rmq__json_print(root, &p1);
        if (p1.len && memchr(p1.data, '\0', p1.len))
                oracle_fail("printed text contains a NUL byte", &p1, NULL);

        again = rmq__json_parse((const char *)p1.data, p1.len, errstr,
                                sizeof(errstr));
        if (!again) {
                fprintf(stderr, "fuzz_json: reparse: %s\n", errstr);
                oracle_fail("printed text does not parse", &p1, NULL);
        }
        rmq__json_print(again, &p2);
        if (p1.len != p2.len || (p1.len && memcmp(p1.data, p2.data, p1.len)))
                oracle_fail("second print differs", &p1, &p2);

        s = rmq__json_print_str(again, &slen);
        if (slen != p1.len || strlen(s) != slen ||
            (slen && memcmp(s, p1.data, slen)))
                oracle_fail("rmq__json_print_str differs from "
                            "rmq__json_print",
                            &p1, NULL);

        rmq__free(s);
        cJSON_Delete(again);
        cJSON_Delete(root);
        rmq__buf_free(&p1);
        rmq__buf_free(&p2);
        return 0;
}
