/* SPDX-License-Identifier: Apache-2.0 */
/* Test helpers: deadlines with a multiplier, waiting on conditions, and the
 * captured wire fixtures. */
#ifndef RMQ_TESTUTIL_H
#define RMQ_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* RMQ_TEST_TIMEOUT_MULTIPLIER (default 1; valgrind and sanitizer runs set
 * more). */
int rmq_test_tmout_multiplier(void);

/* Polls cond(arg) every few milliseconds until it returns true or
 * timeout_ms (times the multiplier) passes. Returns the last result. */
bool rmq_test_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms);

/* Sleeps; only for tests that must let time pass (timeouts), never to
 * synchronise. */
void rmq_test_sleep_ms(int ms);

/* The fixtures directory (../shared/fixtures/wire, or $RMQ_FIXTURES_DIR). */
const char *rmq_test_fixtures_dir(void);

/* Reads a fixture whose file name starts with \p prefix ("005-" or a full
 * name). Returns malloc'ed bytes or NULL (the test fails). */
uint8_t *rmq_test_fixture_load(const char *prefix, size_t *lenp,
                               char *name_out, size_t name_size);

/* Lists fixture file names (*.bin), sorted; free with rmq_test_strv_free. */
char **rmq_test_fixture_list(size_t *countp);
void rmq_test_strv_free(char **v);

/* A fixture's frame decoded (rmq_test_fixture_load, rmq__cmd_decode); the
 * test fails if it cannot. \p name_out as for rmq_test_fixture_load. Free
 * with rmq__cmd_destroy. */
struct rmq_cmd_s *rmq_test_fixture_cmd(const char *prefix, char *name_out,
                                       size_t name_size);

/* Whether fixture \p name has stored messages for a body (the
 * PULL_MESSAGE SUCCESS responses and CHECK_TRANSACTION_STATE requests). */
bool rmq_test_fixture_has_stored_msgs(const char *name);

/* Reads a whole file; NULL if it cannot. */
char *rmq_test_read_file(const char *path, size_t *lenp);

/* The "decoded header" JSON block that INDEX.md gives for \p file, as a
 * malloc'ed string, or NULL. \p body_desc receives the text after
 * "- body: " (may be NULL). */
char *rmq_test_index_header(const char *file, char *body_desc,
                            size_t body_desc_size);

struct cJSON;

/* The "decoded body" JSON block that INDEX.md gives for \p file, parsed;
 * the test fails if there is none. Free with cJSON_Delete. */
struct cJSON *rmq_test_index_body_json(const char *file);

/* A number or string member of an INDEX JSON object; the test fails if it
 * is missing or of another type. */
int64_t rmq_test_jnum(const struct cJSON *o, const char *key);
const char *rmq_test_jstr(const struct cJSON *o, const char *key);

/* A number a test got and the INDEX member it must equal. */
typedef struct rmq_test_jnum_s {
        int64_t got;
        const char *key;
} rmq_test_jnum_t;

/* Fails the test, naming the member, unless each of the \p n numbers
 * equals its member of \p o. */
void rmq_test_assert_jnums(const struct cJSON *o, const rmq_test_jnum_t *v,
                           size_t n);

struct rmq_consumer_running_info_s;

/* The value of property \p name of a decoded ConsumerRunningInfo, or
 * NULL if it has none. */
const char *rmq_test_info_prop(const struct rmq_consumer_running_info_s *info,
                               const char *name);

/* A throw-away PKI for TLS tests (rmq_mock_tls_generate into a new
 * directory under $TMPDIR or /tmp): group setup and teardown for
 * cmocka_run_group_tests, and the path of one of its files ("ca.pem",
 * "server.pem", ...; valid for the next 7 calls of this thread). */
int rmq_test_pki_setup(void **state);
int rmq_test_pki_teardown(void **state);
const char *rmq_test_pki(const char *file);

#endif /* RMQ_TESTUTIL_H */
