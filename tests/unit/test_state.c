/* Unit tests of the order-free store, the key codec, interval lists and curves, with
 * values worked out by hand. */
#include <string.h>

#include "intervals.h"
#include "model.h"
#include "state_key.h"
#include "store.h"
#include "unit.h"

static int sum_cells(const struct cqe_cell *c, void *arg)
{
    *(int *)arg += 1;
    (void)c;
    return 0;
}

CQE_TEST(store_updates_commute)
{
    struct cqe_store *a = cqe_store_new(), *b = cqe_store_new(), *m = cqe_store_new();
    CHECK(a && b && m);
    /* a gets x then y, b gets y then x: identical cells */
    cqe_store_add(a, "k", 1, "f", 1, 5);
    cqe_store_max(a, "k", 1, "mx", 2, 0.25);
    cqe_store_reg(a, CQE_OP_REG_MAX, "r", 1, "", 0, 10, "b", 1, "B", 1);
    cqe_store_reg(a, CQE_OP_REG_MAX, "r", 1, "", 0, 10, "a", 1, "A", 1);
    cqe_store_add(b, "k", 1, "f", 1, 7);
    cqe_store_max(b, "k", 1, "mx", 2, 0.5);
    cqe_store_reg(b, CQE_OP_REG_MAX, "r", 1, "", 0, 9, "z", 1, "Z", 1);
    cqe_store_merge(m, a);
    cqe_store_merge(m, b);
    const struct cqe_cell *c = cqe_store_get(m, "k", 1, "f", 1, CQE_OP_SUM);
    CHECK(c && c->sum == 12);
    c = cqe_store_get(m, "k", 1, "mx", 2, CQE_OP_MAX);
    CHECK(c && c->d == 0.5);
    c = cqe_store_get(m, "r", 1, "", 0, CQE_OP_REG_MAX);
    CHECK(c && c->reg_ts == 10 && c->reg_val_len == 1 && c->reg_val[0] == 'B'); /* ts 10, id "b" > "a" */
    int n = 0;
    cqe_store_each(m, sum_cells, &n);
    CHECK(n == 3);
    for (int i = 0; i < 5000; i++) { /* growth keeps cells */
        char k[16];
        int kl = snprintf(k, sizeof k, "g%d", i);
        cqe_store_set_add(m, k, (size_t)kl, "x", 1);
    }
    CHECK(cqe_store_cells(m) == 5003);
    cqe_store_free(a);
    cqe_store_free(b);
    cqe_store_free(m);
}

CQE_TEST(state_key_escaping)
{
    struct cqe_kb b = {0};
    struct cqe_kparts k = {0};
    cqe_kb_cstr(&b, "I");
    cqe_kb_cstr(&b, "a|b\\c");
    cqe_kb_opt_str(&b, NULL, 0);
    cqe_kb_opt_str(&b, "x", 1);
    cqe_kb_i64(&b, -42);
    CHECK(!strcmp(b.p, "I|a\\|b\\\\c||=x|-42"));
    CHECK(cqe_kparts_parse(&k, b.p, b.n) == 0);
    CHECK(k.count == 5);
    CHECK(k.n[1] == 5 && !memcmp(k.p[1], "a|b\\c", 5));
    const char *p;
    size_t n;
    CHECK(!cqe_kparts_opt(&k, 2, &p, &n));
    CHECK(cqe_kparts_opt(&k, 3, &p, &n) && n == 1 && p[0] == 'x');
    CHECK(cqe_kparts_i64(&k, 4) == -42);
    cqe_kb_free(&b);
    cqe_kparts_free(&k);
}

CQE_TEST(intervals_set_operations)
{
    struct cqe_ivl a = {0}, b = {0}, o = {0};
    cqe_ivl_push(&a, 0, 10);
    cqe_ivl_push(&a, 20, 30);
    cqe_ivl_push(&a, 5, 12); /* merges into [0,12) */
    cqe_ivl_normalize(&a);
    CHECK(a.n == 2 && a.v[0].e == 12);
    cqe_ivl_push(&b, 8, 25);
    cqe_ivl_normalize(&b);
    cqe_ivl_intersect(&a, &b, &o); /* [8,12) [20,25) */
    CHECK(o.n == 2 && cqe_ivl_measure(&o) == 9);
    cqe_ivl_subtract(&a, &b, &o); /* [0,8) [25,30) */
    CHECK(o.n == 2 && o.v[0].s == 0 && o.v[0].e == 8 && o.v[1].s == 25 && cqe_ivl_measure(&o) == 13);
    CHECK(cqe_ivl_measure_within(&a, 9, 21) == 4);
    cqe_ivl_free(&a);
    cqe_ivl_free(&b);
    cqe_ivl_free(&o);
}

CQE_TEST(curve_piecewise_linear)
{
    const double pts[4][2] = {{0.99, 0}, {0.995, 60}, {0.999, 90}, {0.9995, 100}};
    CHECK(cqe_curve_eval(pts, 4, 0.5) == 0);
    CHECK(cqe_curve_eval(pts, 4, 1.0) == 100);
    double y = cqe_curve_eval(pts, 4, 0.997); /* halfway 60 -> 90 */
    CHECK(y > 74.999999 && y < 75.000001);
}

#include "dedup.h"

CQE_TEST(dedup_window_forgets_oldest_and_stays_fast)
{
    struct cqe_dedup *d = cqe_dedup_new(1000);
    CHECK(d != NULL);
    char id[32];
    /* 200 windows' worth of ids: eviction must keep lookups short (no full scans) */
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(id, sizeof id, "e%d", i);
        CHECK(!cqe_dedup_seen(d, id, (size_t)n));
        cqe_dedup_remember(d, id, (size_t)n);
    }
    int n = snprintf(id, sizeof id, "e%d", 199999 - 999); /* oldest still remembered */
    CHECK(cqe_dedup_seen(d, id, (size_t)n));
    n = snprintf(id, sizeof id, "e%d", 199999 - 1000); /* just forgotten */
    CHECK(!cqe_dedup_seen(d, id, (size_t)n));
    cqe_dedup_free(d);
}
