/* SPDX-License-Identifier: Apache-2.0 */
#include "protocol/rmq_java_util.h"

/* HashMap.hash(): the spread hash */
static uint32_t spread(int32_t h) {
        uint32_t u = (uint32_t)h;
        return u ^ (u >> 16);
}

/* The capacity after n insertions into a default HashMap. */
static size_t final_capacity(size_t n) {
        size_t cap = 16;
        while (n > cap / 4 * 3)
                cap *= 2;
        return cap;
}

void rmq__java_hashset_order(const int32_t *hashes, size_t n, size_t *order) {
        size_t mask = final_capacity(n) - 1, i, j;
        for (i = 0; i < n; i++)
                order[i] = i;
        /* Insertion sort: stable, and sets here are small. */
        for (i = 1; i < n; i++) {
                size_t cur = order[i];
                size_t b   = spread(hashes[cur]) & mask;
                for (j = i; j > 0 && (spread(hashes[order[j - 1]]) & mask) > b;
                     j--)
                        order[j] = order[j - 1];
                order[j] = cur;
        }
}

const char *rmq__java_trim(const char *s, size_t *lenp) {
        size_t len = *lenp;
        while (len && (unsigned char)*s <= ' ') {
                s++;
                len--;
        }
        while (len && (unsigned char)s[len - 1] <= ' ')
                len--;
        *lenp = len;
        return s;
}
