/* SPDX-License-Identifier: Apache-2.0 */
/* Outgoing frame buffers: size-class free lists owned by the transport. */
#include "remoting/rmq_remoting_int.h"

void rmq__frame_cache_init(rmq_remoting_t *rm) {
        size_t cls = FRAME_CLASS_MIN;
        int c;
        for (c = 0; c < FRAME_CLASSES; c++, cls *= 2)
                rm->frame_cache[c] = rmq__freelist_new(
                    cls, RMQ_MIN(FRAME_CACHE_CAP, FRAME_CACHE_BYTES / cls));
}

void rmq__frame_cache_release(rmq_remoting_t *rm) {
        int c;
        for (c = 0; c < FRAME_CLASSES; c++)
                rmq__freelist_release(rm->frame_cache[c]);
}

/* A buffer for a frame of \p len bytes (rmq_frame_alloc_fn_t). */
uint8_t *rmq__frame_alloc(size_t len, void *opaque) {
        rmq_remoting_t *rm = opaque;
        size_t need        = len + sizeof(frame_hdr_t);
        size_t cls_size    = FRAME_CLASS_MIN;
        frame_hdr_t *h;
        int c;
        for (c = 0; c < FRAME_CLASSES; c++, cls_size *= 2) {
                if (need <= cls_size) {
                        h       = rmq__freelist_get(rm->frame_cache[c]);
                        h->home = rm->frame_cache[c];
                        return (uint8_t *)(h + 1);
                }
        }
        h       = rmq__malloc(need);
        h->home = NULL;
        return (uint8_t *)(h + 1);
}

/* Frees a frame from rmq__frame_alloc() (NULL-safe). Any thread, also after
 * the transport is gone (the free lists outlive it while buffers are out).
 */
void rmq__frame_free(uint8_t *data) {
        frame_hdr_t *h;
        if (!data)
                return;
        h = (frame_hdr_t *)data - 1;
        if (h->home)
                rmq__freelist_put(h->home, h);
        else
                rmq__free(h);
}

/* Frees the \p n frames of a write: one lock per run of frames of the
 * same size class. */
void rmq__frames_free(uint8_t **datas, size_t n) {
        void *batch[32];
        rmq_freelist_t *home = NULL;
        size_t i, k = 0;
        for (i = 0; i < n; i++) {
                frame_hdr_t *h = (frame_hdr_t *)datas[i] - 1;
                if (!h->home) {
                        rmq__free(h);
                        continue;
                }
                if (k && (h->home != home || k == RMQ_ARRAY_SIZE(batch))) {
                        rmq__freelist_put_many(home, batch, k);
                        k = 0;
                }
                home       = h->home;
                batch[k++] = h;
        }
        if (k)
                rmq__freelist_put_many(home, batch, k);
}

/* Encodes \p cmd into a new frame. */
uint8_t *rmq__frame_encode(rmq_remoting_t *rm, const rmq_cmd_t *cmd,
                           size_t *lenp) {
        return rmq__cmd_encode_alloc(cmd, rmq__frame_alloc, rm, lenp);
}
