/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RemotingCommand codec benchmark: the producer's hot path.
 *
 * Cases (one output line each):
 *   encode_json_1k, encode_rocketmq_1k
 *       SEND_MESSAGE_V2 request with the 13 compact SendMessageRequestHeaderV2
 *       fields (a..n, shape of fixture 005) and a 1 KiB body: build the
 *       command (rmq__cmd_new_request, rmq__cmd_ext_append[_i64],
 *       rmq__cmd_set_body_ref), rmq__cmd_encode into a reused rmq_buf_t,
 *       destroy the command.
 *   decode_json_1k, decode_rocketmq_1k
 *       rmq__cmd_decode of that frame, rmq__cmd_ext lookups of b, e and i,
 *       destroy.
 *   decode_send_resp_json, decode_send_resp_rocketmq
 *       rmq__cmd_decode of the broker's SEND_MESSAGE_V2 response (fixtures
 *       007 and 106) and the reads the producer does on it: msgId,
 *       queueId (i32), queueOffset (i64).
 *   encode_rocketmq_1k_acl
 *       encode_rocketmq_1k with the request signed as an ACL client signs
 *       it (rmq__acl_sign: AccessKey, HMAC-SHA1 over the sorted fields and
 *       the body, Signature): the cost accessKey/secretKey add per request.
 *   cjson_encode_json_1k
 *       The alternative STYLE R16.7 warns about: the same JSON header built
 *       as a cJSON tree (cJSON_CreateObject, cJSON_AddStringToObject, numbers
 *       through snprintf as the ext map holds strings), cJSON_PrintUnformatted,
 *       then the same frame assembled in the reused buffer.
 *
 * Each figure is the median of 5 runs of N iterations, N calibrated so one
 * run takes about 0.5 s (--quick: about 0.05 s). With --iterations N every
 * case runs exactly once with N iterations and no calibration, for
 *   valgrind --tool=callgrind --toggle-collect=bench_run_case \
 *       bench_codec --iterations 100000 --case =encode_json_1k
 * where the collected instruction count divided by N is the cost per frame.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "remoting/rmq_acl.h"
#include "remoting/rmq_remoting_cmd.h"

#include "bench_util.h"

#ifndef RMQ_FIXTURES_DIR
#define RMQ_FIXTURES_DIR "../shared/fixtures/wire"
#endif

#define BODY_LEN 1024

typedef struct bench_ctx_s {
        uint8_t body[BODY_LEN];
        char props[128];
        rmq_buf_t buf;     /* reused output buffer */
        rmq_buf_t req[2];  /* encoded request, per serialize type */
        uint8_t *resp[2];  /* SEND_MESSAGE_V2 responses (007, 106) */
        size_t resp_len[2];
        uint64_t sink;     /* keeps results alive */
} bench_ctx_t;

typedef struct bench_case_s {
        const char *name;
        void (*fn)(bench_ctx_t *ctx, uint64_t n);
        int needs_resp; /* index + 1 into ctx->resp, or 0 */
} bench_case_t;

/* Where the results end up, so the loops cannot be optimised away. */
volatile uint64_t bench_sink;

static const char producer_group[] = "PG_DEMO";
static const char topic[]          = "TopicTest";
static const char default_topic[]  = "TBW102";
static const char broker_name[]    = "broker-a";

/* SendMessageRequestHeaderV2 as DefaultMQProducerImpl fills it. */
static rmq_cmd_t *build_send_request(bench_ctx_t *ctx, int stype,
                                     uint64_t i) {
        rmq_cmd_t *cmd = rmq__cmd_new_request(RMQ_REQ_SEND_MESSAGE_V2);
        cmd->serialize_type = stype;
        rmq__cmd_ext_append(cmd, "a", producer_group,
                            sizeof(producer_group) - 1);
        rmq__cmd_ext_append(cmd, "b", topic, sizeof(topic) - 1);
        rmq__cmd_ext_append(cmd, "c", default_topic,
                            sizeof(default_topic) - 1);
        rmq__cmd_ext_append_i64(cmd, "d", 4);
        rmq__cmd_ext_append_i64(cmd, "e", (int64_t)(i & 3));
        rmq__cmd_ext_append_i64(cmd, "f", 0);
        rmq__cmd_ext_append_i64(cmd, "g", 1795617272914LL + (int64_t)i);
        rmq__cmd_ext_append_i64(cmd, "h", 0);
        rmq__cmd_ext_append(cmd, "i", ctx->props, strlen(ctx->props));
        rmq__cmd_ext_append_i64(cmd, "j", 0);
        rmq__cmd_ext_append(cmd, "k", "false", 5);
        rmq__cmd_ext_append(cmd, "m", "false", 5);
        rmq__cmd_ext_append(cmd, "n", broker_name, sizeof(broker_name) - 1);
        rmq__cmd_set_body_ref(cmd, ctx->body, BODY_LEN);
        return cmd;
}

static void encode_loop(bench_ctx_t *ctx, uint64_t n, int stype, bool acl) {
        uint64_t i;
        for (i = 0; i < n; i++) {
                rmq_cmd_t *cmd = build_send_request(ctx, stype, i);
                if (acl)
                        rmq__acl_sign(cmd, "RocketMQ", "12345678", NULL);
                rmq__buf_reset(&ctx->buf);
                rmq__cmd_encode(cmd, &ctx->buf);
                ctx->sink += ctx->buf.len;
                rmq__cmd_destroy(cmd);
        }
}

static void case_encode_json(bench_ctx_t *ctx, uint64_t n) {
        encode_loop(ctx, n, RMQ_SERIALIZE_JSON, false);
}

static void case_encode_rocketmq(bench_ctx_t *ctx, uint64_t n) {
        encode_loop(ctx, n, RMQ_SERIALIZE_ROCKETMQ, false);
}

static void case_encode_rocketmq_acl(bench_ctx_t *ctx, uint64_t n) {
        encode_loop(ctx, n, RMQ_SERIALIZE_ROCKETMQ, true);
}

static void decode_req_loop(bench_ctx_t *ctx, uint64_t n,
                            const rmq_buf_t *frame) {
        uint64_t i;
        for (i = 0; i < n; i++) {
                rmq_cmd_t *cmd = NULL;
                const char *b, *e, *p;
                if (rmq__cmd_decode(frame->data, frame->len, &cmd, NULL, 0))
                        abort();
                b = rmq__cmd_ext(cmd, "b");
                e = rmq__cmd_ext(cmd, "e");
                p = rmq__cmd_ext(cmd, "i");
                if (!b || !e || !p)
                        abort();
                ctx->sink += (uint64_t)(b[0] + e[0] + p[0]) + cmd->body_len;
                rmq__cmd_destroy(cmd);
        }
}

static void case_decode_json(bench_ctx_t *ctx, uint64_t n) {
        decode_req_loop(ctx, n, &ctx->req[RMQ_SERIALIZE_JSON]);
}

static void case_decode_rocketmq(bench_ctx_t *ctx, uint64_t n) {
        decode_req_loop(ctx, n, &ctx->req[RMQ_SERIALIZE_ROCKETMQ]);
}

/* MQClientAPIImpl#processSendResponse reads these. */
static void decode_resp_loop(bench_ctx_t *ctx, uint64_t n, int which) {
        uint64_t i;
        for (i = 0; i < n; i++) {
                rmq_cmd_t *cmd = NULL;
                const char *msg_id;
                int32_t qid;
                int64_t qoff;
                if (rmq__cmd_decode(ctx->resp[which], ctx->resp_len[which],
                                    &cmd, NULL, 0))
                        abort();
                msg_id = rmq__cmd_ext(cmd, "msgId");
                if (!msg_id || rmq__cmd_ext_i32(cmd, "queueId", &qid) ||
                    rmq__cmd_ext_i64(cmd, "queueOffset", &qoff))
                        abort();
                ctx->sink += (uint64_t)(msg_id[0] + qid + qoff);
                rmq__cmd_destroy(cmd);
        }
}

static void case_decode_resp_json(bench_ctx_t *ctx, uint64_t n) {
        decode_resp_loop(ctx, n, 0);
}

static void case_decode_resp_rocketmq(bench_ctx_t *ctx, uint64_t n) {
        decode_resp_loop(ctx, n, 1);
}

static void cjson_add_i64(cJSON *obj, const char *key, int64_t v) {
        char tmp[24];
        snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
        cJSON_AddStringToObject(obj, key, tmp);
}

static void case_cjson_encode_json(bench_ctx_t *ctx, uint64_t n) {
        uint64_t i;
        for (i = 0; i < n; i++) {
                cJSON *root = cJSON_CreateObject();
                cJSON *ext  = cJSON_CreateObject();
                char *hdr;
                size_t hlen;
                cJSON_AddNumberToObject(root, "code",
                                        RMQ_REQ_SEND_MESSAGE_V2);
                cJSON_AddItemToObject(root, "extFields", ext);
                cJSON_AddStringToObject(ext, "a", producer_group);
                cJSON_AddStringToObject(ext, "b", topic);
                cJSON_AddStringToObject(ext, "c", default_topic);
                cjson_add_i64(ext, "d", 4);
                cjson_add_i64(ext, "e", (int64_t)(i & 3));
                cjson_add_i64(ext, "f", 0);
                cjson_add_i64(ext, "g", 1795617272914LL + (int64_t)i);
                cjson_add_i64(ext, "h", 0);
                cJSON_AddStringToObject(ext, "i", ctx->props);
                cjson_add_i64(ext, "j", 0);
                cJSON_AddStringToObject(ext, "k", "false");
                cJSON_AddStringToObject(ext, "m", "false");
                cJSON_AddStringToObject(ext, "n", broker_name);
                cJSON_AddNumberToObject(root, "flag", 0);
                cJSON_AddStringToObject(root, "language", "CPP");
                cJSON_AddNumberToObject(root, "opaque",
                                        rmq__cmd_next_opaque());
                cJSON_AddStringToObject(root, "serializeTypeCurrentRPC",
                                        "JSON");
                cJSON_AddNumberToObject(root, "version",
                                        RMQ_REMOTING_VERSION);
                hdr  = cJSON_PrintUnformatted(root);
                hlen = strlen(hdr);
                rmq__buf_reset(&ctx->buf);
                rmq__buf_put_i32(&ctx->buf, (int32_t)(4 + hlen + BODY_LEN));
                rmq__buf_put_i32(&ctx->buf, (int32_t)hlen);
                rmq__buf_put(&ctx->buf, hdr, hlen);
                rmq__buf_put(&ctx->buf, ctx->body, BODY_LEN);
                ctx->sink += ctx->buf.len;
                cJSON_free(hdr);
                cJSON_Delete(root);
        }
}

static const bench_case_t cases[] = {
    {"encode_json_1k", case_encode_json, 0},
    {"encode_rocketmq_1k", case_encode_rocketmq, 0},
    {"encode_rocketmq_1k_acl", case_encode_rocketmq_acl, 0},
    {"decode_json_1k", case_decode_json, 0},
    {"decode_rocketmq_1k", case_decode_rocketmq, 0},
    {"decode_send_resp_json", case_decode_resp_json, 1},
    {"decode_send_resp_rocketmq", case_decode_resp_rocketmq, 2},
    {"cjson_encode_json_1k", case_cjson_encode_json, 0},
};

/* Not inlined and not static (so not cloned or renamed by the optimiser):
 * callgrind collects exactly this with --toggle-collect=bench_run_case. */
__attribute__((noinline)) void bench_run_case(const bench_case_t *bc,
                                              bench_ctx_t *ctx, uint64_t n);
__attribute__((noinline)) void bench_run_case(const bench_case_t *bc,
                                              bench_ctx_t *ctx, uint64_t n) {
        bc->fn(ctx, n);
}

static uint64_t time_case(const bench_case_t *bc, bench_ctx_t *ctx,
                          uint64_t n) {
        uint64_t t0 = bench_now_ns();
        bench_run_case(bc, ctx, n);
        return bench_now_ns() - t0;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

/* Reads the fixture "<prefix>-*.bin" from \p dir; NULL if absent. */
static uint8_t *read_fixture(const char *dir, const char *prefix,
                             size_t *lenp) {
        char path[4096];
        size_t plen = strlen(prefix);
        DIR *d      = opendir(dir);
        struct dirent *de;
        FILE *f;
        uint8_t *data = NULL;
        long n;

        if (!d)
                return NULL;
        path[0] = '\0';
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len > plen + 5 && !strncmp(de->d_name, prefix, plen) &&
                    de->d_name[plen] == '-' &&
                    !strcmp(de->d_name + len - 4, ".bin")) {
                        snprintf(path, sizeof(path), "%s/%s", dir,
                                 de->d_name);
                        break;
                }
        }
        closedir(d);
        if (!path[0] || !(f = fopen(path, "rb")))
                return NULL;
        if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
            fseek(f, 0, SEEK_SET) == 0) {
                data = malloc((size_t)n);
                if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
                        free(data);
                        data = NULL;
                }
                *lenp = (size_t)n;
        }
        fclose(f);
        return data;
}

/* Builds the inputs and checks each case produces what it should. */
static void ctx_init(bench_ctx_t *ctx, const char *fixtures) {
        static const char *const resp_fixture[2] = {"007", "106"};
        size_t i;
        int st;

        memset(ctx, 0, sizeof(*ctx));
        for (i = 0; i < BODY_LEN; i++)
                ctx->body[i] = (uint8_t)('a' + i % 26);
        snprintf(ctx->props, sizeof(ctx->props),
                 "UNIQ_KEY\001%s\002WAIT\001true\002TAGS\001TagA",
                 "7F00000140A418B4AAC25B3D2A8C0000");
        rmq__buf_init(&ctx->buf, 2048);

        for (st = RMQ_SERIALIZE_JSON; st <= RMQ_SERIALIZE_ROCKETMQ; st++) {
                rmq_cmd_t *cmd = build_send_request(ctx, st, 0), *d = NULL;
                rmq__cmd_encode(cmd, &ctx->req[st]);
                if (rmq__cmd_decode(ctx->req[st].data, ctx->req[st].len, &d,
                                    NULL, 0) ||
                    d->ext_cnt != 13 || d->body_len != BODY_LEN ||
                    strcmp(rmq__cmd_ext(d, "i"), ctx->props)) {
                        fprintf(stderr, "bench_codec: self-check failed\n");
                        exit(1);
                }
                rmq__cmd_destroy(d);
                rmq__cmd_destroy(cmd);
        }
        for (i = 0; i < 2; i++)
                ctx->resp[i] = read_fixture(fixtures, resp_fixture[i],
                                         &ctx->resp_len[i]);
}

static void ctx_free(bench_ctx_t *ctx) {
        rmq__buf_free(&ctx->buf);
        rmq__buf_free(&ctx->req[0]);
        rmq__buf_free(&ctx->req[1]);
        free(ctx->resp[0]);
        free(ctx->resp[1]);
}

static size_t frame_len(const bench_case_t *bc, bench_ctx_t *ctx) {
        if (bc->needs_resp)
                return ctx->resp_len[bc->needs_resp - 1];
        if (bc->fn == case_encode_rocketmq || bc->fn == case_decode_rocketmq)
                return ctx->req[RMQ_SERIALIZE_ROCKETMQ].len;
        if (bc->fn == case_cjson_encode_json ||
            bc->fn == case_encode_rocketmq_acl) {
                bc->fn(ctx, 1); /* not counted by callgrind */
                return ctx->buf.len;
        }
        return ctx->req[RMQ_SERIALIZE_JSON].len;
}

static void usage(const char *argv0) {
        fprintf(stderr,
                "usage: %s [--quick] [--runs R] [--iterations N] "
                "[--case NAME] [--fixtures DIR]\n"
                "  --quick         about 0.05 s per run instead of 0.5 s\n"
                "  --runs R        runs per case, median reported "
                "(default 5)\n"
                "  --iterations N  one run of exactly N iterations per "
                "case, no calibration\n"
                "                  (for valgrind --tool=callgrind "
                "--toggle-collect=bench_run_case)\n"
                "  --case NAME     only the cases whose name contains NAME\n"
                "  --case =NAME    only the case named exactly NAME\n"
                "  --fixtures DIR  wire fixtures (default %s)\n",
                argv0, RMQ_FIXTURES_DIR);
}

static int parse_u64(const char *s, uint64_t *out) {
        char *end;
        unsigned long long v;
        errno = 0;
        v     = strtoull(s, &end, 10);
        if (errno || end == s || *end || v == 0 || s[0] == '-')
                return -1;
        *out = v;
        return 0;
}

int main(int argc, char **argv) {
        const char *only     = NULL;
        const char *fixtures = getenv("RMQ_FIXTURES_DIR");
        uint64_t fixed_n = 0, runs = 5;
        double target_s  = 0.5;
        double enc_json_ns = 0, cjson_ns = 0;
        bench_ctx_t ctx;
        size_t c;
        int i;

        if (!fixtures || !*fixtures)
                fixtures = RMQ_FIXTURES_DIR;
        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--quick")) {
                        target_s = 0.05;
                } else if (!strcmp(argv[i], "--iterations") && i + 1 < argc) {
                        if (parse_u64(argv[++i], &fixed_n))
                                goto bad;
                } else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
                        if (parse_u64(argv[++i], &runs) || runs > 101)
                                goto bad;
                } else if (!strcmp(argv[i], "--case") && i + 1 < argc) {
                        only = argv[++i];
                } else if (!strcmp(argv[i], "--fixtures") && i + 1 < argc) {
                        fixtures = argv[++i];
                } else {
                        goto bad;
                }
        }

        ctx_init(&ctx, fixtures);
        printf("# bench_codec: SEND_MESSAGE_V2, %d-byte body; %s\n", BODY_LEN,
               fixed_n ? "fixed iterations, 1 run"
                       : "median of runs, calibrated N");
        for (c = 0; c < RMQ_ARRAY_SIZE(cases); c++) {
                const bench_case_t *bc = &cases[c];
                double ns[101], med;
                uint64_t n, r, nruns = fixed_n ? 1 : runs;

                if (only && (only[0] == '=' ? strcmp(bc->name, only + 1)
                                            : !strstr(bc->name, only)))
                        continue;
                if (bc->needs_resp && !ctx.resp[bc->needs_resp - 1]) {
                        printf("# %s: skipped, fixture not found in %s\n",
                               bc->name, fixtures);
                        continue;
                }
                if (fixed_n) {
                        n = fixed_n;
                } else {
                        /* Calibrate: grow N until a run takes >= 50 ms
                         * (5 ms with --quick), then scale to the target. */
                        uint64_t t;
                        n = 64;
                        while ((t = time_case(bc, &ctx, n)) <
                               (uint64_t)(target_s * 1e8))
                                n *= 2;
                        n = (uint64_t)((double)n * target_s * 1e9 /
                                       (double)t) + 1;
                }
                for (r = 0; r < nruns; r++)
                        ns[r] = (double)time_case(bc, &ctx, n) / (double)n;
                qsort(ns, (size_t)nruns, sizeof(ns[0]), cmp_double);
                med = ns[nruns / 2];
                printf("%s: %.0f frames/s, %.1f ns/frame, frame %zu B, "
                       "n=%llu, runs=%llu\n",
                       bc->name, 1e9 / med, med, frame_len(bc, &ctx),
                       (unsigned long long)n, (unsigned long long)nruns);
                if (bc->fn == case_encode_json)
                        enc_json_ns = med;
                if (bc->fn == case_cjson_encode_json)
                        cjson_ns = med;
        }
        if (enc_json_ns > 0 && cjson_ns > 0)
                printf("ratio cjson_encode_json_1k/encode_json_1k: %.2fx\n",
                       cjson_ns / enc_json_ns);
        bench_sink = ctx.sink;
        ctx_free(&ctx);
        return 0;
bad:
        usage(argv[0]);
        return 2;
}
