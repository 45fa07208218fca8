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

/* Reads a whole file; NULL if it cannot. */
char *rmq_test_read_file(const char *path, size_t *lenp);

/* The "decoded header" JSON block that INDEX.md gives for \p file, as a
 * malloc'ed string, or NULL. \p body_desc receives the text after
 * "- body: " (may be NULL). */
char *rmq_test_index_header(const char *file, char *body_desc,
                            size_t body_desc_size);

#endif /* RMQ_TESTUTIL_H */
