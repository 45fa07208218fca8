/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hash maps. rmq_strmap_t: string keys (copied) to void * values, for the
 * cold-path tables (channels, routes, brokers). rmq_imap_t: an intrusive map
 * from 64-bit keys to nodes embedded in their owner, for hot tables such as
 * the opaque -> request table (no allocation per entry).
 * Neither is thread-safe; the owner serialises access.
 */
#ifndef RMQ_MAP_H
#define RMQ_MAP_H

#include "common/rmq_common.h"

/* ---- string map ---- */

typedef struct rmq_strmap_entry_s {
        struct rmq_strmap_entry_s *next;
        uint32_t hash;
        char *key;
        void *value;
} rmq_strmap_entry_t;

typedef struct rmq_strmap_s {
        rmq_strmap_entry_t **buckets;
        size_t nbuckets; /* power of two */
        size_t count;
} rmq_strmap_t;

void rmq__strmap_init(rmq_strmap_t *m);
/* Frees the entries; \p free_value (may be NULL) is called per value. */
void rmq__strmap_clear(rmq_strmap_t *m, void (*free_value)(void *));
void *rmq__strmap_get(const rmq_strmap_t *m, const char *key);
/* Inserts or replaces; returns the previous value (or NULL). */
void *rmq__strmap_set(rmq_strmap_t *m, const char *key, void *value);
/* Removes; returns the value (or NULL). */
void *rmq__strmap_del(rmq_strmap_t *m, const char *key);

/* Iteration: for (it = NULL; (e = rmq__strmap_next(m, &it, &b));) ...
 * Removing the current entry during iteration is not allowed. */
rmq_strmap_entry_t *rmq__strmap_next(const rmq_strmap_t *m,
                                     rmq_strmap_entry_t **itp, size_t *bucketp);

/* ---- intrusive integer map ---- */

typedef struct rmq_imap_node_s {
        struct rmq_imap_node_s *next;
        int64_t key;
} rmq_imap_node_t;

typedef struct rmq_imap_s {
        rmq_imap_node_t **buckets;
        size_t nbuckets; /* power of two */
        size_t count;
} rmq_imap_t;

void rmq__imap_init(rmq_imap_t *m);
void rmq__imap_free(rmq_imap_t *m); /* frees the table, not the nodes */
void rmq__imap_put(rmq_imap_t *m, rmq_imap_node_t *node); /* key set */
rmq_imap_node_t *rmq__imap_get(const rmq_imap_t *m, int64_t key);
rmq_imap_node_t *rmq__imap_del(rmq_imap_t *m, int64_t key);

#endif /* RMQ_MAP_H */
