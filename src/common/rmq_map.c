/* SPDX-License-Identifier: Apache-2.0 */
#include "common/rmq_map.h"

static uint32_t str_hash(const char *s) {
        /* FNV-1a */
        uint32_t h = 2166136261u;
        while (*s) {
                h ^= (unsigned char)*s++;
                h *= 16777619u;
        }
        return h;
}

void rmq__strmap_init(rmq_strmap_t *m) {
        m->nbuckets = 16;
        m->buckets  = rmq__calloc(m->nbuckets, sizeof(*m->buckets));
        m->count    = 0;
}

void rmq__strmap_clear(rmq_strmap_t *m, void (*free_value)(void *)) {
        size_t i;
        if (!m->buckets)
                return;
        for (i = 0; i < m->nbuckets; i++) {
                rmq_strmap_entry_t *e = m->buckets[i], *n;
                for (; e; e = n) {
                        n = e->next;
                        if (free_value)
                                free_value(e->value);
                        rmq__free(e->key);
                        rmq__free(e);
                }
        }
        rmq__free(m->buckets);
        m->buckets  = NULL;
        m->nbuckets = 0;
        m->count    = 0;
}

static rmq_strmap_entry_t **strmap_find(const rmq_strmap_t *m, const char *key,
                                        uint32_t h) {
        rmq_strmap_entry_t **pp = &m->buckets[h & (m->nbuckets - 1)];
        for (; *pp; pp = &(*pp)->next)
                if ((*pp)->hash == h && !strcmp((*pp)->key, key))
                        return pp;
        return pp;
}

void *rmq__strmap_get(const rmq_strmap_t *m, const char *key) {
        rmq_strmap_entry_t **pp;
        if (!m->buckets)
                return NULL;
        pp = strmap_find(m, key, str_hash(key));
        return *pp ? (*pp)->value : NULL;
}

static void strmap_grow(rmq_strmap_t *m) {
        size_t nb = m->nbuckets * 2, i;
        rmq_strmap_entry_t **b = rmq__calloc(nb, sizeof(*b));
        for (i = 0; i < m->nbuckets; i++) {
                rmq_strmap_entry_t *e = m->buckets[i], *n;
                for (; e; e = n) {
                        n       = e->next;
                        e->next = b[e->hash & (nb - 1)];
                        b[e->hash & (nb - 1)] = e;
                }
        }
        rmq__free(m->buckets);
        m->buckets  = b;
        m->nbuckets = nb;
}

void *rmq__strmap_set(rmq_strmap_t *m, const char *key, void *value) {
        uint32_t h;
        rmq_strmap_entry_t **pp, *e;
        if (!m->buckets)
                rmq__strmap_init(m);
        h  = str_hash(key);
        pp = strmap_find(m, key, h);
        if (*pp) {
                void *old   = (*pp)->value;
                (*pp)->value = value;
                return old;
        }
        e        = rmq__malloc(sizeof(*e));
        e->next  = NULL;
        e->hash  = h;
        e->key   = rmq__strdup(key);
        e->value = value;
        *pp      = e;
        if (++m->count > m->nbuckets)
                strmap_grow(m);
        return NULL;
}

void *rmq__strmap_del(rmq_strmap_t *m, const char *key) {
        rmq_strmap_entry_t **pp, *e;
        void *v;
        if (!m->buckets)
                return NULL;
        pp = strmap_find(m, key, str_hash(key));
        if (!*pp)
                return NULL;
        e   = *pp;
        *pp = e->next;
        v   = e->value;
        rmq__free(e->key);
        rmq__free(e);
        m->count--;
        return v;
}

rmq_strmap_entry_t *rmq__strmap_next(const rmq_strmap_t *m,
                                     rmq_strmap_entry_t **itp,
                                     size_t *bucketp) {
        rmq_strmap_entry_t *e = *itp;
        if (!m->buckets)
                return NULL;
        if (!e)
                *bucketp = 0;
        else if (e->next) {
                *itp = e->next;
                return e->next;
        } else
                (*bucketp)++;
        for (; *bucketp < m->nbuckets; (*bucketp)++) {
                if (m->buckets[*bucketp]) {
                        *itp = m->buckets[*bucketp];
                        return *itp;
                }
        }
        *itp = NULL;
        return NULL;
}

/* ---- intrusive integer map ---- */

static size_t int_slot(int64_t key, size_t nb) {
        uint64_t x = (uint64_t)key * 0x9E3779B97F4A7C15ull;
        return (size_t)(x >> 32) & (nb - 1);
}

void rmq__imap_init(rmq_imap_t *m) {
        m->nbuckets = 64;
        m->buckets  = rmq__calloc(m->nbuckets, sizeof(*m->buckets));
        m->count    = 0;
}

void rmq__imap_free(rmq_imap_t *m) {
        rmq__free(m->buckets);
        m->buckets  = NULL;
        m->nbuckets = 0;
        m->count    = 0;
}

static void imap_grow(rmq_imap_t *m) {
        size_t nb = m->nbuckets * 2, i;
        rmq_imap_node_t **b = rmq__calloc(nb, sizeof(*b));
        for (i = 0; i < m->nbuckets; i++) {
                rmq_imap_node_t *e = m->buckets[i], *n;
                for (; e; e = n) {
                        size_t s = int_slot(e->key, nb);
                        n        = e->next;
                        e->next  = b[s];
                        b[s]     = e;
                }
        }
        rmq__free(m->buckets);
        m->buckets  = b;
        m->nbuckets = nb;
}

void rmq__imap_put(rmq_imap_t *m, rmq_imap_node_t *node) {
        size_t s = int_slot(node->key, m->nbuckets);
        node->next    = m->buckets[s];
        m->buckets[s] = node;
        if (++m->count > m->nbuckets)
                imap_grow(m);
}

rmq_imap_node_t *rmq__imap_get(const rmq_imap_t *m, int64_t key) {
        rmq_imap_node_t *e = m->buckets[int_slot(key, m->nbuckets)];
        for (; e; e = e->next)
                if (e->key == key)
                        return e;
        return NULL;
}

rmq_imap_node_t *rmq__imap_del(rmq_imap_t *m, int64_t key) {
        rmq_imap_node_t **pp = &m->buckets[int_slot(key, m->nbuckets)];
        for (; *pp; pp = &(*pp)->next) {
                if ((*pp)->key == key) {
                        rmq_imap_node_t *e = *pp;
                        *pp                = e->next;
                        m->count--;
                        return e;
                }
        }
        return NULL;
}
