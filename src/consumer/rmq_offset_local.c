/* SPDX-License-Identifier: Apache-2.0 */
/*
 * LocalFileOffsetStore: the offsets of a broadcasting consumer in
 * <dir>/<clientId>/<groupName>/offsets.json, written as Java writes it
 * (OffsetSerializeWrapper.toJson(true) through MixAll.string2File) so Java
 * and C consumers can read each other's files.
 *
 * Every function here does blocking file I/O (and fsync): run it on a
 * consumer worker or scheduled-task thread, never on the I/O thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/rmq_str.h"
#include "consumer/rmq_offset_store.h"
#include "protocol/rmq_java_util.h"

#define OFFSETS_FILE "offsets.json"
#define DEFAULT_DIR  ".rocketmq_offsets"

typedef struct local_store_s {
        rmq_offset_store_t base; /* first */
        char *storePath;
        /* Serialises the read-merge-write of persist/persistAll and the
         * reads (Java does not; two writers could interleave). */
        uv_mutex_t fileLock;
} local_store_t;

static local_store_t *local_of(rmq_offset_store_t *os) {
        return (local_store_t *)(void *)os;
}

void rmq__offset_local_default_dir(char *buf, size_t size) {
        const char *home = getenv("HOME");
        struct passwd pw, *res = NULL;
        char pwbuf[1024];
        if ((!home || !*home) &&
            !getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) && res)
                home = res->pw_dir;
        snprintf(buf, size, "%s/%s", home && *home ? home : ".", DEFAULT_DIR);
}

/* ---- files (MixAll.file2String / string2FileNotSafe / string2File) ---- */

/* mirrors MixAll.file2String: the content, or NULL if the file does not
 * exist or cannot be read whole. */
static char *file_read(const char *path, size_t *lenp) {
        FILE *f = fopen(path, "rb");
        char *buf;
        long len;
        size_t got;
        *lenp = 0;
        if (!f)
                return NULL;
        if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
            fseek(f, 0, SEEK_SET)) {
                fclose(f);
                return NULL;
        }
        buf = rmq__malloc((size_t)len + 1);
        got = fread(buf, 1, (size_t)len, f);
        fclose(f);
        if (got != (size_t)len) {
                rmq__free(buf);
                return NULL;
        }
        buf[len] = '\0';
        *lenp    = (size_t)len;
        return buf;
}

/* mkdir -p of the directory part of \p path. */
static void mkdirs_parent(const char *path) {
        char *p = rmq__strdup(path), *s;
        for (s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                (void)mkdir(p, 0755);
                *s = '/';
        }
        rmq__free(p);
}

/* mirrors MixAll.string2FileNotSafe (plus an fsync). 0 or an errno. */
static int file_write(const char *path, const char *data, size_t len) {
        int fd, err = 0;
        mkdirs_parent(path);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return errno;
        while (len > 0) {
                ssize_t n = write(fd, data, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        err = errno;
                        break;
                }
                data += n;
                len -= (size_t)n;
        }
        if (!err && fsync(fd))
                err = errno;
        if (close(fd) && !err)
                err = errno;
        return err;
}

/* mirrors MixAll.string2File: <file>.tmp, the previous content copied to
 * <file>.bak, then <file>.tmp renamed over <file> (Java deletes <file>
 * first; rename(2) replaces it atomically instead). */
static rmq_err_t string2file(const char *path, const char *data, size_t len,
                             char *errstr, size_t errstr_size) {
        char *tmp = rmq__asprintf("%s.tmp", path);
        char *bak = rmq__asprintf("%s.bak", path);
        char *prev;
        size_t prevLen;
        rmq_err_t err = RMQ_OK;
        int e;
        if ((e = file_write(tmp, data, len))) {
                err = rmq__seterr(errstr, errstr_size, RMQ_ERR__FAIL, "%s: %s",
                                  tmp, strerror(e));
                goto out;
        }
        prev = file_read(path, &prevLen);
        if (prev) {
                e = file_write(bak, prev, prevLen);
                rmq__free(prev);
                if (e) {
                        err = rmq__seterr(errstr, errstr_size, RMQ_ERR__FAIL,
                                          "%s: %s", bak, strerror(e));
                        goto out;
                }
        }
        if (rename(tmp, path))
                err = rmq__seterr(errstr, errstr_size, RMQ_ERR__FAIL,
                                  "rename %s: %s", tmp, strerror(errno));
out:
        rmq__free(tmp);
        rmq__free(bak);
        return err;
}

/* ---- JSON (OffsetSerializeWrapper, fastjson PrettyFormat) ---- */

/* mirrors OffsetSerializeWrapper.toJson(true) */
void rmq__offset_local_encode(const rmq_mq_offset_t *entries, size_t n,
                              rmq_buf_t *out) {
        size_t i;
        /* JavaBeanSerializer: '{', indent, println; MapSerializer: no
         * println before an object key; the key bean indents one level
         * more; after the map, println at the outer level. */
        rmq__buf_put_str(out, "{\n\t\"offsetTable\":{");
        for (i = 0; i < n; i++) {
                const rmq_mq_t *mq = &entries[i].mq;
                const char *bn     = mq->brokerName ? mq->brokerName : "";
                const char *topic  = mq->topic ? mq->topic : "";
                if (i > 0)
                        rmq__buf_put_u8(out, ',');
                rmq__buf_put_str(out, "{\n\t\t\t\"brokerName\":\"");
                rmq__buf_put_json_escaped(out, bn, strlen(bn));
                rmq__buf_put_str(out, "\",\n\t\t\t\"queueId\":");
                rmq__buf_put_i64_dec(out, mq->queueId);
                rmq__buf_put_str(out, ",\n\t\t\t\"topic\":\"");
                rmq__buf_put_json_escaped(out, topic, strlen(topic));
                rmq__buf_put_str(out, "\"\n\t\t}:");
                rmq__buf_put_i64_dec(out, entries[i].offset);
        }
        if (n > 0)
                rmq__buf_put_str(out, "\n\t");
        rmq__buf_put_str(out, "}\n}");
}

/* Parses a file's content; RMQ_OK and the entries, or the error. */
static rmq_err_t parse(const char *content, size_t len,
                       rmq_mq_offset_t **entriesp, size_t *np, char *errstr,
                       size_t errstr_size) {
        return rmq__offset_table_decode(content, len, "offsetTable", NULL,
                                        entriesp, np, errstr, errstr_size);
}

/* The outcome of readLocalOffset: entries (NULL: no content at all), and
 * what Java would have logged. */
typedef struct read_result_s {
        rmq_mq_offset_t *entries;
        size_t n;
        char warn[512];
} read_result_t;

/* mirrors LocalFileOffsetStore.readLocalOffsetBak */
static rmq_err_t read_bak(local_store_t *ls, read_result_t *rr, char *errstr,
                          size_t errstr_size) {
        char *bak        = rmq__asprintf("%s.bak", ls->storePath);
        char reason[256] = "";
        size_t len;
        char *content = file_read(bak, &len);
        rmq_err_t err = RMQ_OK;
        if (content && len > 0 &&
            parse(content, len, &rr->entries, &rr->n, reason, sizeof(reason)))
                err = rmq__seterr(errstr, errstr_size, RMQ_ERR__BAD_MSG,
                                  "readLocalOffset Exception: %s: %s", bak,
                                  reason);
        rmq__free(content);
        rmq__free(bak);
        return err;
}

/* mirrors LocalFileOffsetStore.readLocalOffset (fileLock held) */
static rmq_err_t read_local(local_store_t *ls, read_result_t *rr, char *errstr,
                            size_t errstr_size) {
        size_t len;
        char *content    = file_read(ls->storePath, &len);
        char reason[256] = "";
        rmq_err_t err;
        memset(rr, 0, sizeof(*rr));
        if (!content || len == 0) {
                rmq__free(content);
                return read_bak(ls, rr, errstr, errstr_size);
        }
        err = parse(content, len, &rr->entries, &rr->n, reason, sizeof(reason));
        rmq__free(content);
        if (err) {
                snprintf(rr->warn, sizeof(rr->warn),
                         "readLocalOffset Exception, and try to correct: "
                         "%s: %s",
                         ls->storePath, reason);
                return read_bak(ls, rr, errstr, errstr_size);
        }
        return RMQ_OK;
}

static void read_result_log(local_store_t *ls, const read_result_t *rr) {
        if (rr->warn[0])
                rmq__log(ls->base.lg, RMQ_LOG_WARN, "OFFSET", "%s", rr->warn);
}

static void read_result_free(read_result_t *rr) {
        rmq__offset_table_free(rr->entries, rr->n);
        rr->entries = NULL;
        rr->n       = 0;
}

/* OffsetSerializeWrapper.getOffsetTable().put(mq, offset) on a wrapper
 * read from the file: replaces or appends. */
static void wrapper_put(rmq_mq_offset_t **entriesp, size_t *np,
                        const rmq_mq_t *mq, int64_t offset) {
        size_t i;
        for (i = 0; i < *np; i++) {
                if (rmq__mq_equal(&(*entriesp)[i].mq, mq)) {
                        (*entriesp)[i].offset = offset;
                        return;
                }
        }
        *entriesp = rmq__realloc(*entriesp, (*np + 1) * sizeof(**entriesp));
        rmq__mq_copy(&(*entriesp)[*np].mq, mq);
        (*entriesp)[*np].offset = offset;
        (*np)++;
}

/* Writes the wrapper; entries in Java's hash order (as near as a
 * HashSet's order models the ConcurrentHashMap's; readers do not care). */
static rmq_err_t wrapper_write(local_store_t *ls, rmq_mq_offset_t *entries,
                               size_t n, char *errstr, size_t errstr_size) {
        rmq_buf_t buf = RMQ_BUF_INIT;
        rmq_err_t err;
        if (n > 1) {
                int32_t *h           = rmq__calloc(n, sizeof(*h));
                size_t *order        = rmq__calloc(n, sizeof(*order));
                rmq_mq_offset_t *tmp = rmq__calloc(n, sizeof(*tmp));
                size_t i;
                for (i = 0; i < n; i++)
                        h[i] = rmq__mq_hash(&entries[i].mq);
                rmq__java_hashset_order(h, n, order);
                for (i = 0; i < n; i++)
                        tmp[i] = entries[order[i]];
                memcpy(entries, tmp, n * sizeof(*tmp));
                rmq__free(tmp);
                rmq__free(order);
                rmq__free(h);
        }
        rmq__offset_local_encode(entries, n, &buf);
        err = string2file(ls->storePath, (const char *)buf.data, buf.len,
                          errstr, errstr_size);
        rmq__buf_free(&buf);
        return err;
}

/* ---- operations ---- */

/* mirrors LocalFileOffsetStore.load */
static rmq_err_t local_load(rmq_offset_store_t *os, char *errstr,
                            size_t errstr_size) {
        local_store_t *ls = local_of(os);
        read_result_t rr;
        rmq_err_t err;
        size_t i;
        uv_mutex_lock(&ls->fileLock);
        err = read_local(ls, &rr, errstr, errstr_size);
        uv_mutex_unlock(&ls->fileLock);
        read_result_log(ls, &rr);
        if (err)
                return err;
        for (i = 0; i < rr.n; i++) {
                rmq__offset_store_table_put(os, &rr.entries[i].mq,
                                            rr.entries[i].offset);
                rmq__log(os->lg, RMQ_LOG_INFO, "OFFSET",
                         "load consumer's offset, %s %s@%s:%d %" PRId64,
                         os->groupName, rr.entries[i].mq.topic,
                         rr.entries[i].mq.brokerName,
                         (int)rr.entries[i].mq.queueId, rr.entries[i].offset);
        }
        read_result_free(&rr);
        return RMQ_OK;
}

/* mirrors the READ_FROM_STORE case of LocalFileOffsetStore.readOffset */
static int64_t local_read_from_store(rmq_offset_store_t *os,
                                     const rmq_mq_t *mq) {
        local_store_t *ls = local_of(os);
        read_result_t rr;
        int64_t offset = RMQ_OFFSET_NOT_FOUND;
        size_t i;
        char err[256];
        uv_mutex_lock(&ls->fileLock);
        if (!read_local(ls, &rr, err, sizeof(err))) {
                for (i = 0; i < rr.n; i++)
                        if (rmq__mq_equal(&rr.entries[i].mq, mq))
                                offset = rr.entries[i].offset;
        }
        uv_mutex_unlock(&ls->fileLock);
        read_result_log(ls, &rr);
        read_result_free(&rr);
        return offset;
}

/* The read-merge-write of persistAll and persist (fileLock held). Returns
 * false with a reason when nothing was written. */
static bool merge_write(local_store_t *ls, const rmq_mq_offset_t *add,
                        size_t nadd, read_result_t *rr, char *reason,
                        size_t reason_size) {
        size_t i;
        if (read_local(ls, rr, reason, reason_size))
                return false; /* Java logs and returns */
        for (i = 0; i < nadd; i++)
                wrapper_put(&rr->entries, &rr->n, &add[i].mq, add[i].offset);
        return !wrapper_write(ls, rr->entries, rr->n, reason, reason_size);
}

/* mirrors LocalFileOffsetStore.persistAll: the file keeps what it had and
 * gets the table's offsets of \p mqs */
static void local_persist_all(rmq_offset_store_t *os, const rmq_mq_t *mqs,
                              size_t n) {
        local_store_t *ls = local_of(os);
        read_result_t rr;
        char reason[512];
        size_t nadd;
        bool ok;
        rmq_mq_offset_t *add =
            rmq__offset_store_table_snapshot(os, mqs, n, &nadd);
        uv_mutex_lock(&ls->fileLock);
        ok = merge_write(ls, add, nadd, &rr, reason, sizeof(reason));
        uv_mutex_unlock(&ls->fileLock);
        read_result_log(ls, &rr);
        if (!ok)
                rmq__log(os->lg, RMQ_LOG_ERROR, "OFFSET",
                         "persistAll consumer offset Exception, %s: %s",
                         ls->storePath, reason);
        read_result_free(&rr);
        rmq__offset_table_free(add, nadd);
}

/* mirrors LocalFileOffsetStore.persist */
static void local_persist(rmq_offset_store_t *os, const rmq_mq_t *mq,
                          int64_t offset) {
        local_store_t *ls = local_of(os);
        read_result_t rr;
        char reason[512];
        rmq_mq_offset_t one;
        bool ok;
        one.mq     = *mq;
        one.offset = offset;
        uv_mutex_lock(&ls->fileLock);
        ok = merge_write(ls, &one, 1, &rr, reason, sizeof(reason));
        uv_mutex_unlock(&ls->fileLock);
        read_result_log(ls, &rr);
        if (!ok)
                rmq__log(os->lg, RMQ_LOG_ERROR, "OFFSET",
                         "persist consumer offset exception, %s: %s",
                         ls->storePath, reason);
        read_result_free(&rr);
}

static void local_destroy(rmq_offset_store_t *os) {
        local_store_t *ls = local_of(os);
        uv_mutex_destroy(&ls->fileLock);
        rmq__free(ls->storePath);
        rmq__free(ls);
}

static const rmq_offset_store_ops_t local_ops = {
    .name             = "local",
    .load             = local_load,
    .read_from_store  = local_read_from_store,
    .persist_all      = local_persist_all,
    .persist          = local_persist,
    .update_to_broker = NULL, /* Java: an empty method */
    .destroy          = local_destroy,
};

/* mirrors the LocalFileOffsetStore constructor */
rmq_err_t rmq__offset_local_new(rmq_offset_store_t **osp, const char *dir,
                                const char *clientId, const char *groupName,
                                const rmq_logger_t *lg, char *errstr,
                                size_t errstr_size) {
        local_store_t *ls;
        char defdir[1024];
        *osp = NULL;
        if (!clientId || !groupName)
                return rmq__seterr(errstr, errstr_size, RMQ_ERR__INVALID_ARG,
                                   "clientId and groupName are required");
        if (!dir || !*dir) {
                rmq__offset_local_default_dir(defdir, sizeof(defdir));
                dir = defdir;
        }
        ls = rmq__calloc(1, sizeof(*ls));
        rmq__offset_store_init(&ls->base, &local_ops, groupName, lg);
        if (uv_mutex_init(&ls->fileLock))
                abort();
        ls->storePath = rmq__asprintf("%s/%s/%s/%s", dir, clientId, groupName,
                                      OFFSETS_FILE);
        *osp          = &ls->base;
        return RMQ_OK;
}

const char *rmq__offset_local_path(const rmq_offset_store_t *os) {
        return ((const local_store_t *)(const void *)os)->storePath;
}
