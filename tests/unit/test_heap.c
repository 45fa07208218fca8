/* SPDX-License-Identifier: Apache-2.0 */
/* The deadline heap (rmq_heap): order, ties in insertion order, removal of
 * any node, against a sorted model over many random operations. */
#include <stdlib.h>

#include "common/rmq_heap.h"
#include "common/rmq_list.h"
#include "testutil.h"

typedef struct item_s {
        rmq_heap_node_t hn;
        int id;
} item_t;

static void test_order_and_ties(void **state) {
        rmq_heap_t h;
        item_t it[6];
        int64_t dues[6] = {50, 10, 30, 10, 50, 10};
        int want[6]     = {1, 3, 5, 2, 0, 4};
        int i;
        (void)state;
        rmq__heap_init(&h);
        for (i = 0; i < 6; i++) {
                rmq__heap_node_init(&it[i].hn);
                it[i].id = i;
                rmq__heap_push(&h, &it[i].hn, dues[i]);
        }
        /* nothing due before 10 */
        assert_null(rmq__heap_pop_due(&h, 9));
        for (i = 0; i < 6; i++) {
                rmq_heap_node_t *n = rmq__heap_pop_due(&h, 1000);
                assert_non_null(n);
                assert_int_equal(RMQ_CONTAINER_OF(n, item_t, hn)->id, want[i]);
                assert_false(rmq__heap_node_in(n));
        }
        assert_null(rmq__heap_top(&h));
        rmq__heap_free(&h);
}

static void test_push_reports_new_top(void **state) {
        rmq_heap_t h;
        item_t a, b, c;
        (void)state;
        rmq__heap_init(&h);
        rmq__heap_node_init(&a.hn);
        rmq__heap_node_init(&b.hn);
        rmq__heap_node_init(&c.hn);
        assert_true(rmq__heap_push(&h, &a.hn, 100));
        assert_false(rmq__heap_push(&h, &b.hn, 200));
        assert_true(rmq__heap_push(&h, &c.hn, 50));
        rmq__heap_remove(&h, &c.hn);
        assert_ptr_equal(rmq__heap_top(&h), &a.hn);
        /* removing a node twice, or one never pushed, is a no-op */
        rmq__heap_remove(&h, &c.hn);
        assert_int_equal(h.len, 2);
        rmq__heap_free(&h);
}

static int cmp_item(const void *x, const void *y) {
        const item_t *a = *(item_t *const *)x, *b = *(item_t *const *)y;
        /* by deadline, then by insertion (the item ids are in insertion
         * order) */
        if (a->hn.due != b->hn.due)
                return a->hn.due < b->hn.due ? -1 : 1;
        return a->id < b->id ? -1 : a->id > b->id;
}

/* Random pushes and removals; the pops must come out as the model sorted
 * by (due, insertion) says. */
static void test_random_against_model(void **state) {
        enum { N = 2000 };
        item_t *items = calloc(N, sizeof(*items));
        item_t **live = calloc(N, sizeof(*live));
        size_t nlive  = 0, i;
        rmq_heap_t h;
        unsigned seed = 12345;
        (void)state;
        rmq__heap_init(&h);
        for (i = 0; i < N; i++) {
                rmq__heap_node_init(&items[i].hn);
                items[i].id = (int)i;
                rmq__heap_push(&h, &items[i].hn, rand_r(&seed) % 500);
                live[nlive++] = &items[i];
                if (rand_r(&seed) % 3 == 0) {
                        size_t k = (size_t)rand_r(&seed) % nlive;
                        rmq__heap_remove(&h, &live[k]->hn);
                        live[k] = live[--nlive];
                }
        }
        assert_int_equal(h.len, nlive);
        qsort(live, nlive, sizeof(*live), cmp_item);
        for (i = 0; i < nlive; i++) {
                rmq_heap_node_t *n = rmq__heap_pop_due(&h, INT64_MAX);
                assert_ptr_equal(n, &live[i]->hn);
        }
        assert_null(rmq__heap_top(&h));
        rmq__heap_free(&h);
        free(items);
        free(live);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_order_and_ties),
            cmocka_unit_test(test_push_reports_new_top),
            cmocka_unit_test(test_random_against_model),
        };
        return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
