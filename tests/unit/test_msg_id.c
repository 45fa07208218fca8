/* SPDX-License-Identifier: Apache-2.0 */
/* Unique client message ids (UNIQ_KEY): the generator reproduces the ids a
 * real Java client wrote in the fixtures, rolls over at the start of a
 * month, wraps its counter as Java does, is unique across threads; the
 * readers recover time, address and pid from the captured ids. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <uv.h>

#include "common/rmq_str.h"
#include "protocol/rmq_message_codec.h"
#include "protocol/rmq_msg_id.h"
#include "remoting/rmq_remoting_cmd.h"
#include "testutil.h"

/* The capture host's values (fixture 005): fd00::2, pid 0x4002, class
 * loader hash 0x30946E09; the capture ran in UTC. */
static const uint8_t ip_fd00_2[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0,
                                      0,    0, 0, 0, 0, 0, 0, 2};
#define NOV_2026_UTC 1793491200000LL /* 2026-11-01T00:00:00Z */

/* Must run first: nothing else in this binary may have made an id. */
static void test_set_ip_before_first_use(void **state) {
        char id[RMQ_MSG_ID_MAX + 1], ip[64];
        (void)state;
        assert_int_equal(rmq__msg_id_set_ip("not-an-ip"),
                         RMQ_ERR__INVALID_ARG);
        assert_int_equal(rmq__msg_id_set_ip("10.0.0.7"), RMQ_OK);
        assert_int_equal(rmq__msg_id_create(id), 32);
        assert_int_equal(strlen(id), 32);
        assert_memory_equal(id, "0A000007", 8);
        assert_int_equal(rmq__msg_id_ip_str(id, 32, ip, sizeof(ip)), 0);
        assert_string_equal(ip, "10.0.0.7");
        assert_int_equal(rmq__msg_id_pid(id, 32), getpid() & 0xffff);
        assert_int_equal(rmq__msg_id_set_ip("10.0.0.8"), RMQ_ERR__STATE);
}

static void test_generator_reproduces_java_ids(void **state) {
        rmq_msg_id_gen_t gen;
        char id[RMQ_MSG_ID_MAX + 1];
        (void)state;
        rmq__msg_id_gen_init(&gen, ip_fd00_2, 16, 0x4002, 0x30946E09,
                             1795617272914LL);
        /* fixtures 005, 008 and 010: the first three ids of that run */
        assert_int_equal(rmq__msg_id_gen_next(&gen, 1795617272914LL, id), 56);
        assert_string_equal(
            id, "FD000000000000000000000000000002400230946E097EB94C520000");
        rmq__msg_id_gen_next(&gen, NOV_2026_UTC + 0x7EB94CB2, id);
        assert_string_equal(
            id, "FD000000000000000000000000000002400230946E097EB94CB20001");
        rmq__msg_id_gen_next(&gen, NOV_2026_UTC + 0x7EB94CC4, id);
        assert_string_equal(
            id, "FD000000000000000000000000000002400230946E097EB94CC40002");
}

static void test_month_rollover_and_counter(void **state) {
        rmq_msg_id_gen_t gen;
        char id[RMQ_MSG_ID_MAX + 1];
        const uint8_t ip4[4] = {192, 0, 2, 2};
        int64_t dec1 = rmq__month_start_ms(NOV_2026_UTC, 1);
        (void)state;
        assert_int_equal(dec1, 1796083200000LL); /* 2026-12-01T00:00Z */
        rmq__msg_id_gen_init(&gen, ip4, 4, 0x1234, -1, NOV_2026_UTC + 5);
        /* last ms of November: 30 days in ms */
        assert_int_equal(rmq__msg_id_gen_next(&gen, dec1 - 1, id), 32);
        assert_string_equal(id, "C00002021234FFFFFFFF9A7EC7FF0000");
        /* first ms of December: the window moves, the counter does not */
        rmq__msg_id_gen_next(&gen, dec1, id);
        assert_string_equal(id, "C00002021234FFFFFFFF000000000001");
        /* a clock a little behind the window start counts as 0 (NTP) */
        rmq__msg_id_gen_next(&gen, dec1 - 500, id);
        assert_string_equal(id + 20, "000000000002");
        /* the counter is Java's int written as its low 16 bits */
        atomic_store(&gen.counter, 0xFFFF);
        rmq__msg_id_gen_next(&gen, dec1 + 1, id);
        assert_string_equal(id + 20, "00000001FFFF");
        rmq__msg_id_gen_next(&gen, dec1 + 1, id);
        assert_string_equal(id + 20, "000000010000");
}

static void test_local_time_month_start(void **state) {
        (void)state;
        /* POSIX TZ without tzdata: UTC+8 */
        setenv("TZ", "CST-8", 1);
        tzset();
        assert_int_equal(rmq__month_start_ms(1795617272914LL, 0),
                         NOV_2026_UTC - 8 * 3600 * 1000LL);
        setenv("TZ", "UTC", 1);
        tzset();
        assert_int_equal(rmq__month_start_ms(1795617272914LL, 0),
                         NOV_2026_UTC);
        assert_int_equal(rmq__month_start_ms(1795617272914LL, -1),
                         NOV_2026_UTC - 31 * 86400000LL);
}

/* Every UNIQ_KEY the Java client sent: its time is the send's
 * bornTimestamp (or a few ms before), its address fd00::2. */
static void test_read_fixture_ids(void **state) {
        size_t n, i, seen = 0;
        char **names = rmq_test_fixture_list(&n);
        (void)state;
        for (i = 0; i < n; i++) {
                size_t len;
                uint8_t *f;
                rmq_cmd_t *cmd = NULL;
                const char *props, *v;
                size_t vl;
                int64_t born, t;
                char ip[64];
                if (!strstr(names[i], "client2broker-SEND_MESSAGE_V2"))
                        continue;
                f = rmq_test_fixture_load(names[i], &len, NULL, 0);
                assert_int_equal(rmq__cmd_decode(f, len, &cmd, NULL, 0),
                                 RMQ_OK);
                props = rmq__cmd_ext(cmd, "i");
                assert_int_equal(rmq__cmd_ext_i64(cmd, "g", &born), 0);
                assert_int_equal(rmq__props_get(props, strlen(props),
                                                RMQ_PROP_UNIQ_KEY, &v, &vl),
                                 0);
                assert_int_equal(vl, 56);
                /* read just after, and early next month (the span then
                 * lies ahead of now, so the previous month is meant) */
                t = rmq__msg_id_nearly_time(v, vl, born + 1);
                assert_true(t <= born && t > born - 50);
                t = rmq__msg_id_nearly_time(
                    v, vl, rmq__month_start_ms(born, 1) + 3600000);
                assert_true(t <= born && t > born - 50);
                assert_int_equal(rmq__msg_id_ip_str(v, vl, ip, sizeof(ip)),
                                 0);
                assert_string_equal(ip,
                                    "fd00:0000:0000:0000:0000:0000:0000:0002");
                assert_true(rmq__msg_id_pid(v, vl) > 0);
                rmq__cmd_destroy(cmd);
                free(f);
                seen++;
        }
        rmq_test_strv_free(names);
        assert_int_equal(seen, 16);
}

static void test_bad_ids(void **state) {
        char ip[64];
        (void)state;
        assert_int_equal(rmq__msg_id_nearly_time("", 0, 0), -1);
        assert_int_equal(rmq__msg_id_nearly_time("ABC", 3, 0), -1);
        assert_int_equal(rmq__msg_id_nearly_time(
                             "ZZ000000000000000000000000000002400230946E097EB94C520000",
                             56, 0),
                         -1);
        assert_int_equal(rmq__msg_id_ip_str(NULL, 0, ip, sizeof(ip)), -1);
        assert_int_equal(rmq__msg_id_pid("C00002021234FFFFFFFF9A7EC7FF00", 30),
                         -1);
}

#define THREADS 4
#define PER_THREAD 10000

static char ids[THREADS * PER_THREAD][RMQ_MSG_ID_MAX + 1];

static void make_ids(void *arg) {
        size_t base = (size_t)(uintptr_t)arg, i;
        for (i = 0; i < PER_THREAD; i++)
                rmq__msg_id_create(ids[base + i]);
}

static int cmp_id(const void *a, const void *b) {
        return strcmp((const char *)a, (const char *)b);
}

static void test_unique_across_threads(void **state) {
        uv_thread_t t[THREADS];
        size_t i;
        (void)state;
        for (i = 0; i < THREADS; i++)
                assert_int_equal(uv_thread_create(&t[i], make_ids,
                                                  (void *)(uintptr_t)(i *
                                                                      PER_THREAD)),
                                 0);
        for (i = 0; i < THREADS; i++)
                uv_thread_join(&t[i]);
        qsort(ids, THREADS * PER_THREAD, sizeof(ids[0]), cmp_id);
        for (i = 1; i < THREADS * PER_THREAD; i++)
                assert_true(strcmp(ids[i - 1], ids[i]) != 0);
        /* the fixed prefix is the same for all */
        assert_memory_equal(ids[0], ids[THREADS * PER_THREAD - 1], 20);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_set_ip_before_first_use),
            cmocka_unit_test(test_local_time_month_start),
            cmocka_unit_test(test_generator_reproduces_java_ids),
            cmocka_unit_test(test_month_rollover_and_counter),
            cmocka_unit_test(test_read_fixture_ids),
            cmocka_unit_test(test_bad_ids),
            cmocka_unit_test(test_unique_across_threads),
        };
        setenv("TZ", "UTC", 1);
        tzset();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
