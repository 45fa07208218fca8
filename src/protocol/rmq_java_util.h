/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small pieces of java.lang / java.util behaviour that decide bytes on the
 * wire: the iteration order of a HashSet/HashMap (fastjson writes sets in
 * that order) and String.trim().
 */
#ifndef RMQ_JAVA_UTIL_H
#define RMQ_JAVA_UTIL_H

#include "common/rmq_common.h"

/* Fills \p order with the permutation of 0..n-1 in which a fresh
 * java.util.HashSet (capacity 16, load factor 0.75, doubling) iterates
 * \p n distinct elements with Java hashCode()s \p hashes added in index
 * order: by bucket (h ^ h >>> 16) & (capacity - 1), ties in insertion
 * order. (Buckets of 8 or more colliding entries, which Java turns into
 * trees, are not modelled.) @see Java: HashMap#hash, HashMap#resize */
void rmq__java_hashset_order(const int32_t *hashes, size_t n, size_t *order);

/* String.trim(): drops leading and trailing characters <= ' '. Returns
 * the start and sets *lenp. */
const char *rmq__java_trim(const char *s, size_t *lenp);

#endif /* RMQ_JAVA_UTIL_H */
