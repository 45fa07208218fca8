/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "protocol/rmq_running_info.h"
#include "remoting/rmq_remoting_cmd.h"
#include "rocketmq/rmq_mock.h"
#include "testutil.h"

int rmq_test_tmout_multiplier(void) {
        const char *s = getenv("RMQ_TEST_TIMEOUT_MULTIPLIER");
        int m         = s ? atoi(s) : 1;
        return m > 0 ? m : 1;
}

void rmq_test_sleep_ms(int ms) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts))
                ;
}

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool rmq_test_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms) {
        int64_t deadline =
            now_ms() + (int64_t)timeout_ms * rmq_test_tmout_multiplier();
        for (;;) {
                if (cond(arg))
                        return true;
                if (now_ms() >= deadline)
                        return cond(arg);
                rmq_test_sleep_ms(2);
        }
}

const char *rmq_test_fixtures_dir(void) {
        const char *s = getenv("RMQ_FIXTURES_DIR");
        return s && *s ? s : RMQ_FIXTURES_DIR;
}

char *rmq_test_read_file(const char *path, size_t *lenp) {
        FILE *f = fopen(path, "rb");
        char *buf;
        long n;
        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
        }
        fclose(f);
        if (buf) {
                buf[n] = '\0';
                if (lenp)
                        *lenp = (size_t)n;
        }
        return buf;
}

static int cmpstr(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

char **rmq_test_fixture_list(size_t *countp) {
        DIR *d = opendir(rmq_test_fixtures_dir());
        struct dirent *de;
        size_t n = 0, cap = 256;
        char **v = calloc(cap + 1, sizeof(char *));
        if (!d) {
                *countp = 0;
                return v;
        }
        while ((de = readdir(d)) != NULL) {
                size_t l = strlen(de->d_name);
                if (l < 5 || strcmp(de->d_name + l - 4, ".bin"))
                        continue;
                if (n == cap) {
                        cap *= 2;
                        v = realloc(v, (cap + 1) * sizeof(char *));
                }
                v[n++] = strdup(de->d_name);
        }
        closedir(d);
        qsort(v, n, sizeof(char *), cmpstr);
        v[n]    = NULL;
        *countp = n;
        return v;
}

void rmq_test_strv_free(char **v) {
        size_t i;
        for (i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

uint8_t *rmq_test_fixture_load(const char *prefix, size_t *lenp,
                               char *name_out, size_t name_size) {
        size_t n, i;
        char **v = rmq_test_fixture_list(&n);
        uint8_t *data = NULL;
        for (i = 0; i < n; i++) {
                if (!strncmp(v[i], prefix, strlen(prefix))) {
                        char path[1024];
                        snprintf(path, sizeof(path), "%s/%s",
                                 rmq_test_fixtures_dir(), v[i]);
                        data = (uint8_t *)rmq_test_read_file(path, lenp);
                        if (name_out)
                                snprintf(name_out, name_size, "%s", v[i]);
                        break;
                }
        }
        rmq_test_strv_free(v);
        if (!data)
                fail_msg("fixture %s* not found in %s", prefix,
                         rmq_test_fixtures_dir());
        return data;
}

rmq_cmd_t *rmq_test_fixture_cmd(const char *prefix, char *name_out,
                                size_t name_size) {
        rmq_cmd_t *cmd = NULL;
        char err[256]  = "";
        size_t len;
        uint8_t *f;
        f = rmq_test_fixture_load(prefix, &len, name_out, name_size);
        assert_non_null(f);
        if (rmq__cmd_decode(f, len, &cmd, err, sizeof(err)))
                fail_msg("%s: %s", prefix, err);
        free(f);
        return cmd;
}

bool rmq_test_fixture_has_stored_msgs(const char *name) {
        return strstr(name, "PULL_MESSAGE-response-SUCCESS") ||
               strstr(name, "CHECK_TRANSACTION_STATE");
}

/* The "\n### FILE\n" heading of \p file in INDEX.md (read once), or NULL;
 * *contentp (if not NULL) receives the text after the heading. */
static const char *index_section(const char *file, const char **contentp) {
        static char *index;
        char heading[512];
        const char *sec;
        if (!index) {
                char path[1024];
                snprintf(path, sizeof(path), "%s/INDEX.md",
                         rmq_test_fixtures_dir());
                index = rmq_test_read_file(path, NULL);
                if (!index)
                        return NULL;
        }
        snprintf(heading, sizeof(heading), "\n### %s\n", file);
        sec = strstr(index, heading);
        if (sec && contentp)
                *contentp = sec + strlen(heading);
        return sec;
}

char *rmq_test_index_header(const char *file, char *body_desc,
                            size_t body_desc_size) {
        const char *sec, *hdr, *start, *end, *body;
        sec = index_section(file, NULL);
        if (!sec)
                return NULL;
        hdr = strstr(sec, "- decoded header:\n```json\n");
        if (!hdr)
                return NULL;
        start = hdr + strlen("- decoded header:\n```json\n");
        end   = strstr(start, "\n```");
        if (!end)
                return NULL;
        if (body_desc && body_desc_size) {
                body_desc[0] = '\0';
                body = strstr(end, "\n- body: ");
                if (body) {
                        const char *nl;
                        body += strlen("\n- body: ");
                        nl = strchr(body, '\n');
                        snprintf(body_desc, body_desc_size, "%.*s",
                                 (int)(nl ? nl - body : (long)strlen(body)),
                                 body);
                }
        }
        return strndup(start, (size_t)(end - start));
}

cJSON *rmq_test_index_body_json(const char *file) {
        const char *sec, *content, *next, *body, *start, *end;
        char *text;
        cJSON *j;
        sec = index_section(file, &content);
        assert_non_null(sec);
        next = strstr(content, "\n### ");
        body = strstr(sec, "\n- body: ");
        assert_non_null(body);
        assert_true(!next || body < next);
        start = strstr(body, "```json\n");
        assert_non_null(start);
        start += strlen("```json\n");
        end = strstr(start, "\n```");
        assert_non_null(end);
        text = strndup(start, (size_t)(end - start));
        j    = cJSON_Parse(text);
        free(text);
        assert_non_null(j);
        return j;
}

int64_t rmq_test_jnum(const cJSON *o, const char *key) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
        if (!cJSON_IsNumber(it))
                fail_msg("INDEX field %s missing", key);
        return (int64_t)it->valuedouble;
}

void rmq_test_assert_jnums(const cJSON *o, const rmq_test_jnum_t *v, size_t n) {
        size_t i;
        for (i = 0; i < n; i++) {
                int64_t want = rmq_test_jnum(o, v[i].key);
                if (v[i].got != want)
                        fail_msg("%s: %lld, INDEX says %lld", v[i].key,
                                 (long long)v[i].got, (long long)want);
        }
}

const char *rmq_test_jstr(const cJSON *o, const char *key) {
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
        if (!cJSON_IsString(it))
                fail_msg("INDEX field %s missing", key);
        return it->valuestring;
}

const char *rmq_test_info_prop(const struct rmq_consumer_running_info_s *info,
                               const char *name) {
        size_t i;
        for (i = 0; i < info->properties_cnt; i++)
                if (!strcmp(info->properties[i].name, name))
                        return info->properties[i].value;
        return NULL;
}

/* ---- the test PKI (rmq_mock_tls_generate) ---- */

static char test_pki_dir[256];

static const char *const test_pki_files[] = {
    "ca.pem",           "other-ca.pem",
    "server.pem",       "server.key",
    "client.pem",       "client.key",
    "client-enc.key",   "expired.pem",
    "expired.key",      "wronghost.pem",
    "wronghost.key",    "other-server.pem",
    "other-server.key", NULL};

int rmq_test_pki_setup(void **state) {
        const char *tmp = getenv("TMPDIR");
        char err[256];
        (void)state;
        snprintf(test_pki_dir, sizeof(test_pki_dir), "%s/rmq-tls-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(test_pki_dir))
                return -1;
        if (rmq_mock_tls_generate(test_pki_dir, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                return -1;
        }
        return 0;
}

int rmq_test_pki_teardown(void **state) {
        size_t i;
        (void)state;
        for (i = 0; test_pki_files[i]; i++)
                unlink(rmq_test_pki(test_pki_files[i]));
        rmdir(test_pki_dir);
        return 0;
}

const char *rmq_test_pki(const char *file) {
        static _Thread_local char ring[8][320];
        static _Thread_local int next;
        char *p = ring[next++ % 8];
        snprintf(p, sizeof(ring[0]), "%s/%s", test_pki_dir, file);
        return p;
}
