/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the remoting frame codec (rmq_remoting_cmd.c).
 *
 * (a) The whole input is a byte stream for the streaming frame decoder,
 *     fed in chunks whose sizes come from a small PRNG seeded with the
 *     input's first bytes (so a captured frame is still a valid seed), now
 *     and then through the zero-copy rmq__fdec_direct/commit path. Every
 *     frame it delivers goes through rmq__cmd_decode_owned; now and then the
 *     callback stops the stream.
 * (b) The whole input goes through rmq__cmd_decode as one frame, and
 *     through rmq__cmd_decode_pooled (the transport's path for small
 *     frames: command and frame copy in one free-list block).
 *
 * Oracles (abort() on failure, so libFuzzer keeps the input):
 * - a decode failure leaves *cmdp NULL and writes a reason;
 * - the stream decoder delivers frames of exactly 4 + length-word bytes,
 *   and what it delivered plus what it still holds is what it was fed;
 * - a command that decodes re-encodes (rmq__cmd_encode, same serialize
 *   type) to a frame that decodes again to the same code, language,
 *   version, opaque, flag, remark, ext fields (in order, byte-exact) and
 *   body; encoding that second command gives the same bytes again;
 * - after rmq__cmd_take_body and freeing the returned storage, the header
 *   is intact (ASan catches strings left pointing into the frame);
 * - a JSON header that decodes no longer does with a ',' after it
 *   (trailing bytes after the header object are an error);
 * - half of the stream runs set a view callback (small frames fed whole
 *   are handed over as views and decoded pooled): the same frames, in
 *   order;
 * - a pooled decode agrees with the plain one (same result, same
 *   command), whether or not the frame fits the block;
 * - a JSON frame that decodes decodes the same with a blank after every
 *   ':' and ',' outside strings (which turns off the decoder's fast
 *   paths for fastjson's compact layout).
 */
#include <stdio.h>
#include <stdlib.h>

#include "remoting/rmq_remoting_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the frame callback returns to stop feeding. */
#define STOP_FEEDING 7

typedef struct stream_s {
        uint64_t rng;
        size_t delivered; /* bytes handed to the frame callbacks */
} stream_t;

/* Blocks of the pooled decode: room for 512-byte frames, as the
 * transport's. One list for the whole run (a fuzzer process). */
static rmq_freelist_t *pool;

static void oracle_fail(const char *what, const rmq_cmd_t *a,
                        const rmq_cmd_t *b) {
        fprintf(stderr, "fuzz_frame: oracle failure: %s\n", what);
        if (a)
                fprintf(stderr,
                        "  first:  type %d code %d lang %d ver %d opaque %d "
                        "flag %d ext %u body %zu\n",
                        a->serialize_type, a->code, a->language, a->version,
                        a->opaque, a->flag, a->ext_cnt, a->body_len);
        if (b)
                fprintf(stderr,
                        "  second: type %d code %d lang %d ver %d opaque %d "
                        "flag %d ext %u body %zu\n",
                        b->serialize_type, b->code, b->language, b->version,
                        b->opaque, b->flag, b->ext_cnt, b->body_len);
        abort();
}

static uint64_t rng_next(uint64_t *s) {
        /* xorshift64* */
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 0x2545f4914f6cdd1dULL;
}

static bool bytes_eq(const void *a, size_t alen, const void *b, size_t blen) {
        return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Compares everything but the body. */
static void check_same_header(const rmq_cmd_t *a, const rmq_cmd_t *b) {
        size_t ra = a->remark ? a->remark_len : 0;
        size_t rb = b->remark ? b->remark_len : 0;
        uint32_t i;

        if (a->serialize_type != b->serialize_type)
                oracle_fail("serialize type differs", a, b);
        if (a->code != b->code)
                oracle_fail("code differs", a, b);
        if (a->language != b->language)
                oracle_fail("language differs", a, b);
        if (a->version != b->version)
                oracle_fail("version differs", a, b);
        if (a->opaque != b->opaque)
                oracle_fail("opaque differs", a, b);
        if (a->flag != b->flag)
                oracle_fail("flag differs", a, b);
        /* An empty ROCKETMQ remark is written as length 0 and read back as
         * no remark (Java: null); JSON keeps "" apart from absent. */
        if (!bytes_eq(a->remark, ra, b->remark, rb))
                oracle_fail("remark differs", a, b);
        if (a->serialize_type == RMQ_SERIALIZE_JSON &&
            (a->remark == NULL) != (b->remark == NULL))
                oracle_fail("remark presence differs", a, b);
        if (a->remark && a->remark[a->remark_len] != '\0')
                oracle_fail("remark not NUL-terminated", a, NULL);
        if (a->ext_cnt != b->ext_cnt)
                oracle_fail("ext field count differs", a, b);
        for (i = 0; i < a->ext_cnt; i++) {
                const rmq_cmd_ext_t *x = &a->ext[i], *y = &b->ext[i];
                if (!bytes_eq(x->key, x->klen, y->key, y->klen))
                        oracle_fail("ext key differs", a, b);
                if (!bytes_eq(x->val, x->vlen, y->val, y->vlen))
                        oracle_fail("ext value differs", a, b);
                if (x->key[x->klen] != '\0' || x->val[x->vlen] != '\0')
                        oracle_fail("ext string not NUL-terminated", a, b);
        }
}

static void check_same(const rmq_cmd_t *a, const rmq_cmd_t *b) {
        check_same_header(a, b);
        if (!bytes_eq(a->body, a->body_len, b->body, b->body_len))
                oracle_fail("body differs", a, b);
}

/* The ext accessors must find every field the decoder produced. */
static void check_lookups(const rmq_cmd_t *cmd) {
        uint32_t i;
        for (i = 0; i < cmd->ext_cnt; i++) {
                int64_t v64;
                int32_t v32;
                const char *v = rmq__cmd_ext(cmd, cmd->ext[i].key);
                if (!v)
                        oracle_fail("rmq__cmd_ext misses a decoded key", cmd,
                                    NULL);
                if (rmq__cmd_ext_i32(cmd, cmd->ext[i].key, &v32) == 0 &&
                    (rmq__cmd_ext_i64(cmd, cmd->ext[i].key, &v64) != 0 ||
                     v64 != v32))
                        oracle_fail("rmq__cmd_ext_i32/_i64 disagree", cmd,
                                    NULL);
        }
}

static void check_decoded(rmq_cmd_t *cmd, bool take_body) {
        rmq_buf_t out1 = RMQ_BUF_INIT, out2 = RMQ_BUF_INIT;
        rmq_cmd_t *again = NULL;
        char errstr[256] = "";
        rmq_err_t err;

        check_lookups(cmd);
        rmq__cmd_encode(cmd, &out1);
        err = rmq__cmd_decode(out1.data, out1.len, &again, errstr,
                              sizeof(errstr));
        if (err != RMQ_OK) {
                fprintf(stderr, "fuzz_frame: re-encoded frame rejected: %s\n",
                        errstr);
                oracle_fail("re-encoded frame does not decode", cmd, NULL);
        }
        check_same(cmd, again);
        rmq__cmd_encode(again, &out2);
        if (!bytes_eq(out1.data, out1.len, out2.data, out2.len))
                oracle_fail("encoding is not stable", cmd, again);

        if (take_body) {
                const uint8_t *body;
                size_t blen;
                void *storage = rmq__cmd_take_body(cmd, &body, &blen);
                if (!bytes_eq(body, blen, again->body, again->body_len))
                        oracle_fail("rmq__cmd_take_body returned another "
                                    "body",
                                    cmd, again);
                if (cmd->body || cmd->body_len)
                        oracle_fail("command still has a body after "
                                    "rmq__cmd_take_body",
                                    cmd, again);
                rmq__free(storage);
                check_same_header(cmd, again);
        }

        rmq__cmd_destroy(again);
        rmq__buf_free(&out1);
        rmq__buf_free(&out2);
}

static void check_decode_result(rmq_err_t err, rmq_cmd_t *cmd,
                                const char *errstr, bool take_body) {
        if (err != RMQ_OK) {
                if (cmd)
                        oracle_fail("failed decode left a command", cmd, NULL);
                if (!errstr[0])
                        oracle_fail("failed decode gave no reason", NULL,
                                    NULL);
                return;
        }
        if (!cmd)
                oracle_fail("successful decode gave no command", NULL, NULL);
        check_decoded(cmd, take_body);
        rmq__cmd_destroy(cmd);
}

static int on_frame(uint8_t *frame, size_t len, void *opaque) {
        stream_t *st     = opaque;
        rmq_cmd_t *cmd   = NULL;
        char errstr[256] = "";
        rmq_err_t err;

        if (len < 8 || rmq__be32_read(frame) + (size_t)4 != len)
                oracle_fail("stream decoder delivered a frame whose length "
                            "word disagrees with its size",
                            NULL, NULL);
        st->delivered += len;
        err = rmq__cmd_decode_owned(frame, len, &cmd, errstr, sizeof(errstr));
        check_decode_result(err, cmd, errstr, (rng_next(&st->rng) & 1) != 0);
        /* Now and then stop the stream from the callback. */
        return (rng_next(&st->rng) & 15) == 0 ? STOP_FEEDING : 0;
}

static int on_view(const uint8_t *frame, size_t len, void *opaque) {
        stream_t *st     = opaque;
        rmq_cmd_t *cmd   = NULL;
        char errstr[256] = "";
        rmq_err_t err;

        if (len < 8 || rmq__be32_read(frame) + (size_t)4 != len || len > 512)
                oracle_fail("stream decoder delivered a view whose length "
                            "word disagrees with its size",
                            NULL, NULL);
        st->delivered += len;
        err = rmq__cmd_decode_pooled(frame, len, pool, &cmd, errstr,
                                     sizeof(errstr));
        check_decode_result(err, cmd, errstr, (rng_next(&st->rng) & 1) != 0);
        return 0;
}

static void fuzz_stream(const uint8_t *data, size_t size) {
        rmq_frame_decoder_t dec;
        stream_t st      = {0, 0};
        uint64_t seed    = 0xcbf29ce484222325ULL ^ size;
        size_t off       = 0;
        size_t i, held;
        char errstr[256] = "";
        int r            = 0;

        for (i = 0; i < size && i < 8; i++)
                seed = (seed ^ data[i]) * 0x100000001b3ULL;
        st.rng = seed ? seed : 1;
        /* One input in eight runs with a small frameMaxLength. */
        rmq__fdec_init(&dec, (rng_next(&st.rng) & 7) == 0 ? 512 : 0);
        if (rng_next(&st.rng) & 1)
                rmq__fdec_set_view(&dec, on_view, 512);

        while (off < size && r == 0) {
                uint64_t x   = rng_next(&st.rng);
                size_t chunk = size - off;
                uint8_t *dst;
                size_t room;

                switch (x & 3) {
                case 0:
                        chunk = 1 + (size_t)((x >> 8) % 4);
                        break;
                case 1:
                        chunk = 1 + (size_t)((x >> 8) % 32);
                        break;
                case 2:
                        chunk = 1 + (size_t)((x >> 8) % 512);
                        break;
                default:
                        break; /* the rest */
                }
                if (chunk > size - off)
                        chunk = size - off;

                dst = rmq__fdec_direct(&dec, &room);
                if (dst && ((x >> 40) & 1)) {
                        /* Zero-copy read into the pending frame. */
                        if (chunk > room)
                                chunk = room;
                        memcpy(dst, data + off, chunk);
                        r = rmq__fdec_commit(&dec, chunk, on_frame, &st);
                } else {
                        r = rmq__fdec_feed(&dec, data + off, chunk, on_frame,
                                           &st, errstr, sizeof(errstr));
                }
                off += chunk;
        }

        if (r == 0) {
                held = dec.frame ? dec.have : dec.lenhave;
                if (st.delivered + held != size)
                        oracle_fail("stream decoder lost or invented bytes",
                                    NULL, NULL);
        } else if (r != STOP_FEEDING && (r != -1 || !errstr[0])) {
                oracle_fail("stream decoder failed without a reason", NULL,
                            NULL);
        }
        rmq__fdec_free(&dec);
}

/* \p data is a frame with a JSON header that decodes to \p cmd: with
 * blanks after ':' and ',' (outside strings) it must decode the same. */
static void check_spaced_same(const uint8_t *data, size_t size,
                              const rmq_cmd_t *cmd) {
        uint32_t hlen = rmq__be32_read(data + 4) & 0xffffff;
        uint8_t *g    = rmq__malloc(2 * size + 8);
        size_t i, o   = 8;
        bool in_str = false, esc = false;
        rmq_cmd_t *again = NULL;
        char errstr[256] = "";
        for (i = 8; i < 8 + hlen; i++) {
                uint8_t c = data[i];
                g[o++]    = c;
                if (in_str) {
                        if (esc)
                                esc = false;
                        else if (c == '\\')
                                esc = true;
                        else if (c == '"')
                                in_str = false;
                } else if (c == '"') {
                        in_str = true;
                } else if (c == ':' || c == ',') {
                        g[o++] = ' ';
                }
        }
        memcpy(g + o, data + 8 + hlen, size - 8 - hlen);
        rmq__be32_write(g, (uint32_t)(o + size - 8 - hlen - 4));
        rmq__be32_write(g + 4, (rmq__be32_read(data + 4) & 0xff000000u) |
                                   (uint32_t)(o - 8));
        if (rmq__cmd_decode_owned(g, o + size - 8 - hlen, &again, errstr,
                                  sizeof(errstr)) != RMQ_OK) {
                fprintf(stderr, "fuzz_frame: spaced header rejected: %s\n",
                        errstr);
                oracle_fail("spaced JSON header does not decode", cmd, NULL);
        }
        check_same(cmd, again);
        rmq__cmd_destroy(again);
}

/* \p data is a frame with a JSON header that decodes: the same frame with
 * a ',' appended to the header must not. */
static void check_trailing_rejected(const uint8_t *data, size_t size) {
        uint32_t hlen    = rmq__be32_read(data + 4) & 0xffffff;
        uint8_t *f       = rmq__malloc(size + 1);
        rmq_cmd_t *cmd   = NULL;
        char errstr[256] = "";

        memcpy(f, data, 8 + hlen);
        f[8 + hlen] = ',';
        memcpy(f + 9 + hlen, data + 8 + hlen, size - 8 - hlen);
        rmq__be32_write(f, rmq__be32_read(data) + 1);
        rmq__be32_write(f + 4, rmq__be32_read(data + 4) + 1);
        if (rmq__cmd_decode_owned(f, size + 1, &cmd, errstr,
                                  sizeof(errstr)) == RMQ_OK)
                oracle_fail("JSON header accepted with a trailing ','", cmd,
                            NULL);
}

static void fuzz_whole(const uint8_t *data, size_t size) {
        rmq_cmd_t *cmd   = NULL;
        char errstr[256] = "";
        rmq_err_t err;
        bool json;

        err  = rmq__cmd_decode(data, size, &cmd, errstr, sizeof(errstr));
        json = err == RMQ_OK && cmd->serialize_type == RMQ_SERIALIZE_JSON;
        {
                rmq_cmd_t *pcmd   = NULL;
                char perrstr[256] = "";
                rmq_err_t perr    = rmq__cmd_decode_pooled(
                    data, size, pool, &pcmd, perrstr, sizeof(perrstr));
                if (perr != err)
                        oracle_fail("pooled and plain decode disagree", cmd,
                                    pcmd);
                if (!err)
                        check_same(cmd, pcmd);
                if (json && size < 65536)
                        check_spaced_same(data, size, cmd);
                check_decode_result(perr, pcmd, perrstr, !(size & 1));
        }
        check_decode_result(err, cmd, errstr, size & 1);
        if (json)
                check_trailing_rejected(data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (!pool)
                pool = rmq__freelist_new(sizeof(rmq_cmd_t) + 512, 8);
        fuzz_stream(data, size);
        fuzz_whole(data, size);
        return 0;
}
