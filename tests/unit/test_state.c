/* Unit tests of the order-free store, the key codec, interval lists and curves, with
 * values worked out by hand. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "intervals.h"
#include "model.h"
#include "state_key.h"
#include "store.h"
#include "timeutil.h"
#include "unit.h"

/* One update of the commute tests. */
struct update {
    enum cqe_cell_op op;
    const char *key, *field;
    int64_t ts; /* REG_*; VEC index */
    const char *id, *val;
    double d;    /* MAX, MIN */
    int64_t sum; /* SUM; VEC delta */
};

static const struct update updates[] = {
    {CQE_OP_SUM, "k", "f", 0, NULL, NULL, 0, 5},
    {CQE_OP_SUM, "k", "f", 0, NULL, NULL, 0, -7},
    {CQE_OP_MAX, "k", "mx", 0, NULL, NULL, 0.25, 0},
    {CQE_OP_MAX, "k", "mx", 0, NULL, NULL, 0.5, 0},
    {CQE_OP_MIN, "k", "mn", 0, NULL, NULL, 3, 0},
    {CQE_OP_REG_MAX, "r", "", 10, "b", "B", 0, 0}, /* ts 10 ties: larger id "b" wins */
    {CQE_OP_REG_MAX, "r", "", 10, "a", "A", 0, 0},
    {CQE_OP_REG_MIN, "q", "", 9, "z", "Z", 0, 0},
    {CQE_OP_SET, "s", "m1", 0, NULL, NULL, 0, 0},
    {CQE_OP_VEC, "v", "", 3, NULL, NULL, 0, 2},
};
#define N_UPDATES (sizeof updates / sizeof *updates)

static void apply_update(struct cqe_store *s, const struct update *u)
{
    size_t kl = strlen(u->key), fl = strlen(u->field);
    switch (u->op) {
    case CQE_OP_SUM: cqe_store_add(s, u->key, kl, u->field, fl, u->sum); break;
    case CQE_OP_MAX: cqe_store_max(s, u->key, kl, u->field, fl, u->d); break;
    case CQE_OP_MIN: cqe_store_min(s, u->key, kl, u->field, fl, u->d); break;
    case CQE_OP_SET: cqe_store_set_add(s, u->key, kl, u->field, fl); break;
    case CQE_OP_VEC: cqe_store_vec_add(s, u->key, kl, u->field, fl, 8, (uint32_t)u->ts, u->sum); break;
    case CQE_OP_REG_MIN:
    case CQE_OP_REG_MAX: cqe_store_reg(s, u->op, u->key, kl, u->field, fl, u->ts, u->id, 1, u->val, 1); break;
    }
}

/* Whether two vector cells hold the same entries, whatever their shapes. */
static bool vecs_equal(const struct cqe_cell *a, const struct cqe_cell *b)
{
    if (a->vec_len != b->vec_len)
        return false;
    for (uint32_t i = 0; i < a->vec_len; i++)
        if (cqe_vec_get(a, i) != cqe_vec_get(b, i))
            return false;
    return true;
}

/* True when every cell of a is in b with the same value (and the counts match). */
struct same_arg {
    const struct cqe_store *other;
    int differ;
};

static int cell_in_other(const struct cqe_cell *c, void *arg)
{
    struct same_arg *a = arg;
    const struct cqe_cell *o = cqe_store_get(a->other, c->key, c->key_len, c->field, c->field_len, c->op);
    bool same = o != NULL;
    if (same && c->op == CQE_OP_SUM)
        same = o->sum == c->sum;
    else if (same && (c->op == CQE_OP_MAX || c->op == CQE_OP_MIN))
        same = o->d == c->d;
    else if (same && (c->op == CQE_OP_REG_MIN || c->op == CQE_OP_REG_MAX))
        same = o->reg_ts == c->reg_ts && o->reg_id_len == c->reg_id_len &&
               !memcmp(o->reg_id, c->reg_id, c->reg_id_len) && o->reg_val_len == c->reg_val_len &&
               !memcmp(o->reg_val, c->reg_val, c->reg_val_len);
    else if (same && c->op == CQE_OP_VEC)
        same = vecs_equal(o, c);
    a->differ |= !same;
    return 0;
}

static bool stores_equal(const struct cqe_store *a, const struct cqe_store *b)
{
    struct same_arg x = {b, 0};
    cqe_store_each(a, cell_in_other, &x);
    return !x.differ && cqe_store_cells(a) == cqe_store_cells(b);
}

/* Next permutation of p[0..n) in lexicographic order; false after the last. */
static bool next_perm(size_t *p, size_t n)
{
    size_t i = n - 1;
    while (i > 0 && p[i - 1] >= p[i])
        i--;
    if (i == 0)
        return false;
    size_t j = n - 1;
    while (p[j] <= p[i - 1])
        j--;
    size_t t = p[i - 1];
    p[i - 1] = p[j];
    p[j] = t;
    for (size_t a = i, b = n - 1; a < b; a++, b--) {
        t = p[a];
        p[a] = p[b];
        p[b] = t;
    }
    return true;
}

CQE_TEST(store_updates_commute)
{
    /* the reference, worked out by hand: sum 5-7, max 0.5, min 3, the register of
     * (10, "b"), (9, "z"), one member, vec[3] = 2 */
    struct cqe_store *ref = cqe_store_new();
    CHECK(ref != NULL);
    for (size_t i = 0; i < N_UPDATES; i++)
        apply_update(ref, &updates[i]);
    const struct cqe_cell *c = cqe_store_get(ref, "k", 1, "f", 1, CQE_OP_SUM);
    CHECK(c && c->sum == -2);
    c = cqe_store_get(ref, "k", 1, "mx", 2, CQE_OP_MAX);
    CHECK(c && c->d == 0.5);
    c = cqe_store_get(ref, "r", 1, "", 0, CQE_OP_REG_MAX);
    CHECK(c && c->reg_ts == 10 && c->reg_val_len == 1 && c->reg_val[0] == 'B');
    c = cqe_store_get(ref, "v", 1, "", 0, CQE_OP_VEC);
    CHECK(c && c->vec_len == 8 && cqe_vec_get(c, 3) == 2 && cqe_vec_get(c, 0) == 0);
    CHECK(cqe_store_cells(ref) == 7);

    /* every order of every update (10! is too many: the first 7 permuted, the rest
     * after them, then the whole list rotated so each update also comes last) */
    size_t p[N_UPDATES];
    for (size_t i = 0; i < N_UPDATES; i++)
        p[i] = i;
    int orders = 0, bad = 0;
    do {
        for (size_t rot = 0; rot < N_UPDATES; rot += 3) {
            struct cqe_store *s = cqe_store_new();
            for (size_t i = 0; i < N_UPDATES; i++)
                apply_update(s, &updates[p[(i + rot) % N_UPDATES]]);
            bad += !stores_equal(s, ref) || !stores_equal(ref, s);
            orders++;
            cqe_store_free(s);
        }
    } while (next_perm(p, 7));
    CHECK(orders == 5040 * 4 && bad == 0);

    /* the updates split over three stores, merged in every order, also into a store
     * that already holds some of them */
    struct cqe_store *part[3];
    for (int k = 0; k < 3; k++)
        part[k] = cqe_store_new();
    for (size_t i = 0; i < N_UPDATES; i++)
        apply_update(part[i % 3], &updates[i]);
    size_t q[3] = {0, 1, 2};
    int merges = 0;
    do {
        struct cqe_store *m = cqe_store_new();
        for (int k = 0; k < 3; k++)
            cqe_store_merge(m, part[q[k]]);
        CHECK(stores_equal(m, ref) && stores_equal(ref, m));
        /* (a + b) + c against a + (b + c) */
        struct cqe_store *bc = cqe_store_new(), *a_bc = cqe_store_new();
        cqe_store_merge(bc, part[q[1]]);
        cqe_store_merge(bc, part[q[2]]);
        cqe_store_merge(a_bc, part[q[0]]);
        cqe_store_merge(a_bc, bc);
        CHECK(stores_equal(a_bc, ref));
        cqe_store_free(bc);
        cqe_store_free(a_bc);
        cqe_store_free(m);
        merges++;
    } while (next_perm(q, 3));
    CHECK(merges == 6);
    for (int k = 0; k < 3; k++)
        cqe_store_free(part[k]);

    struct cqe_store *g = cqe_store_new();
    for (int i = 0; i < 5000; i++) { /* growth keeps cells */
        char k[16];
        int kl = snprintf(k, sizeof k, "g%d", i);
        cqe_store_set_add(g, k, (size_t)kl, "x", 1);
    }
    CHECK(cqe_store_cells(g) == 5000);
    CHECK(cqe_store_get(g, "g4999", 5, "x", 1, CQE_OP_SET) != NULL);
    cqe_store_free(g);
    cqe_store_free(ref);
}

/* Vector updates of a 30-long vector (a sparse cell holds at most 30 / 3 = 10 pairs):
 * 12 indices end non-zero, so every order crosses from sparse to dense; index 5
 * cancels to 0, index 2 wraps past INT64_MAX. */
static const struct {
    uint32_t i;
    int64_t d;
} vec_updates[] = {
    {0, 1},  {29, 2}, {5, 3}, {7, 4},  {5, -3}, {11, 5}, {2, INT64_MAX}, {13, 6}, {17, 7},
    {19, 8}, {23, 9}, {2, 2}, {3, 10}, {7, 1},  {1, 11}, {28, 12},       {0, -2}, {4, 13},
};
#define N_VEC_UPDATES (sizeof vec_updates / sizeof *vec_updates)
#define VEC_LEN 30

/* The vector worked out by hand from vec_updates. */
static void vec_expected(int64_t *e)
{
    memset(e, 0, VEC_LEN * sizeof *e);
    e[0] = -1;
    e[1] = 11;
    e[2] = INT64_MIN + 1; /* INT64_MAX + 2, wrapped */
    e[3] = 10;
    e[4] = 13;
    e[7] = 5;
    e[11] = 5;
    e[13] = 6;
    e[17] = 7;
    e[19] = 8;
    e[23] = 9;
    e[28] = 12;
    e[29] = 2;
}

/* Whether store s holds exactly the vector "v" equal to e, entry by entry. */
static bool vec_is(const struct cqe_store *s, const int64_t *e)
{
    const struct cqe_cell *c = cqe_store_get(s, "v", 1, "", 0, CQE_OP_VEC);
    if (!c || c->vec_len != VEC_LEN || cqe_store_cells(s) != 1)
        return false;
    int64_t d[VEC_LEN];
    cqe_vec_copy(c, d);
    uint32_t pos = 0, i, seen = 0;
    int64_t v;
    while (cqe_vec_next(c, &pos, &i, &v)) /* in index order, the non-zero ones */
        if (v != e[i] || (seen && i < seen) || (seen = i + 1, false))
            return false;
    for (i = 0; i < VEC_LEN; i++)
        if (cqe_vec_get(c, i) != e[i] || d[i] != e[i])
            return false;
    return true;
}

/* Applies vec_updates[0..n) taking the k-th update as order[k] (NULL: in order). */
static void vec_apply(struct cqe_store *s, const size_t *order, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++) {
        size_t u = order ? order[k] : k;
        cqe_store_vec_add(s, "v", 1, "", 0, VEC_LEN, vec_updates[u].i, vec_updates[u].d);
    }
}

CQE_TEST(store_vec_sparse_to_dense_in_any_order)
{
    int64_t e[VEC_LEN];
    vec_expected(e);
    size_t order[N_VEC_UPDATES];
    /* orders: as listed, reversed, and strides 5, 7 and 11 (coprime with 18) */
    const size_t strides[] = {1, N_VEC_UPDATES - 1, 5, 7, 11};
    for (size_t t = 0; t < sizeof strides / sizeof *strides; t++) {
        for (size_t k = 0; k < N_VEC_UPDATES; k++)
            order[k] = k * strides[t] % N_VEC_UPDATES;
        struct cqe_store *s = cqe_store_new();
        CHECK(s != NULL);
        vec_apply(s, order, 0, N_VEC_UPDATES);
        CHECK(vec_is(s, e));
        CHECK(cqe_store_get(s, "v", 1, "", 0, CQE_OP_VEC)->vec_idx == NULL); /* 12 > 10: dense */

        /* the same updates split over three stores at different points, merged in
         * different orders, into an empty store and into a store holding a part */
        size_t cut1 = 2 + t, cut2 = 9 + t;
        struct cqe_store *p[3] = {cqe_store_new(), cqe_store_new(), cqe_store_new()};
        struct cqe_store *m = cqe_store_new(), *m2 = cqe_store_new();
        CHECK(p[0] && p[1] && p[2] && m && m2);
        vec_apply(p[0], order, 0, cut1);
        vec_apply(p[1], order, cut1, cut2);
        vec_apply(p[2], order, cut2, N_VEC_UPDATES);
        for (size_t k = 0; k < 3; k++)
            CHECK(cqe_store_merge(m, p[(k + t) % 3]) == 0);
        CHECK(vec_is(m, e));
        vec_apply(m2, order, cut2, N_VEC_UPDATES);
        CHECK(cqe_store_merge(m2, p[1]) == 0 && cqe_store_merge(m2, p[0]) == 0);
        CHECK(vec_is(m2, e) && stores_equal(m, m2) && stores_equal(s, m2));
        for (size_t k = 0; k < 3; k++)
            cqe_store_free(p[k]);
        cqe_store_free(m);
        cqe_store_free(m2);
        cqe_store_free(s);
    }
    /* all at once in one call: the same vector */
    uint32_t idx[N_VEC_UPDATES];
    int64_t d[N_VEC_UPDATES];
    for (size_t k = 0; k < N_VEC_UPDATES; k++) {
        idx[k] = vec_updates[k].i;
        d[k] = vec_updates[k].d;
    }
    struct cqe_store *s = cqe_store_new();
    CHECK(s && cqe_store_vec_add_n(s, "v", 1, "", 0, VEC_LEN, idx, d, N_VEC_UPDATES) == 0);
    CHECK(vec_is(s, e));
    cqe_store_free(s);
}

CQE_TEST(store_vec_stays_sparse_while_small)
{
    struct cqe_store *s = cqe_store_new();
    CHECK(s != NULL);
    /* ten non-zero entries (the most a 30-long sparse vector holds), one cancelled */
    for (uint32_t i = 0; i < 10; i++)
        CHECK(cqe_store_vec_add(s, "v", 1, "", 0, VEC_LEN, 29 - 3 * i, (int64_t)i + 1) == 0);
    CHECK(cqe_store_vec_add(s, "v", 1, "", 0, VEC_LEN, 0, 5) == 0);  /* 11 held: dense */
    CHECK(cqe_store_vec_add(s, "v", 1, "", 0, VEC_LEN, 0, -5) == 0); /* 10 again, stays dense */
    const struct cqe_cell *c = cqe_store_get(s, "v", 1, "", 0, CQE_OP_VEC);
    CHECK(c && c->vec_idx == NULL);
    struct cqe_store *t = cqe_store_new();
    CHECK(t != NULL);
    for (uint32_t i = 0; i < 10; i++)
        CHECK(cqe_store_vec_add(t, "v", 1, "", 0, VEC_LEN, 2 + 3 * i, 10 - (int64_t)i) == 0);
    c = cqe_store_get(t, "v", 1, "", 0, CQE_OP_VEC);
    /* sparse: indices 2, 5, ..., 29 in order with values 10, 9, ..., 1 */
    CHECK(c && c->vec_idx != NULL && c->vec_n == 10);
    for (uint32_t k = 0; k < 10; k++)
        CHECK(c->vec_idx[k] == 2 + 3 * k && c->vec[k] == 10 - (int64_t)k);
    CHECK(stores_equal(s, t) && stores_equal(t, s)); /* the same entries, two shapes */
    /* cancelling an entry removes its pair */
    CHECK(cqe_store_vec_add(t, "v", 1, "", 0, VEC_LEN, 5, -9) == 0);
    c = cqe_store_get(t, "v", 1, "", 0, CQE_OP_VEC);
    CHECK(c->vec_idx != NULL && c->vec_n == 9 && c->vec_idx[1] == 8 && cqe_vec_get(c, 5) == 0);
    CHECK(cqe_store_vec_add(t, "v", 1, "", 0, 31, 5, 1) == CQE_EINVAL); /* another length */
    cqe_store_free(s);
    cqe_store_free(t);
}

CQE_TEST(store_vec_probe_days_cost_their_entries)
{
    /* 300 service-days of 2,880 entries (a probe day), 10 non-zero each: the pairs of
     * one take at most 16 (room doubled from 4) * 12 bytes; with its node (the cell,
     * two words, the key text) and its slot, far under the 23,040 of dense entries */
    enum { CELLS = 300, ENTRIES = 10, LEN = 2880 };
    struct cqe_store *s = cqe_store_new();
    CHECK(s != NULL);
    size_t empty = cqe_store_bytes(s);
    char key[32];
    for (int k = 0; k < CELLS; k++) {
        int kl = snprintf(key, sizeof key, "P|svc-%03d|2026-03-01", k);
        for (int e = 0; e < ENTRIES; e++)
            CHECK(cqe_store_vec_add(s, key, (size_t)kl, "", 0, LEN, (uint32_t)(2 * (100 + 7 * e + k) + e % 2),
                                    1) == 0);
    }
    size_t key_len = strlen("P|svc-000|2026-03-01");
    size_t per_cell = 16 * (sizeof(int64_t) + sizeof(uint32_t)) + sizeof(struct cqe_cell) +
                      2 * sizeof(void *) + key_len + 2 + 2 * sizeof(void *);
    size_t grown = cqe_store_bytes(s) - empty;
    CHECK(cqe_store_cells(s) == CELLS);
    CHECK(grown <= CELLS * per_cell);
    CHECK(per_cell < 1024);
    printf("# store: %zu bytes for %d probe days of %d entries (bound %zu a day)\n", grown, CELLS, ENTRIES,
           per_cell);
    /* one day past 2880 / 3 = 960 entries becomes dense: its bytes grow by the array */
    for (uint32_t i = 0; i < 960; i++)
        CHECK(cqe_store_vec_add(s, "d", 1, "", 0, LEN, 3 * i, 1) == 0);
    CHECK(cqe_store_get(s, "d", 1, "", 0, CQE_OP_VEC)->vec_idx != NULL);
    size_t sparse = cqe_store_bytes(s);
    CHECK(cqe_store_vec_add(s, "d", 1, "", 0, LEN, 1, 1) == 0);
    const struct cqe_cell *c = cqe_store_get(s, "d", 1, "", 0, CQE_OP_VEC);
    CHECK(c->vec_idx == NULL && c->vec[1] == 1 && c->vec[2877] == 1 && c->vec[2878] == 0);
    CHECK(cqe_store_bytes(s) - sparse == LEN * sizeof(int64_t) - 960 * (sizeof(int64_t) + sizeof(uint32_t)));
    cqe_store_free(s);
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
    int64_t v = 0;
    CHECK(cqe_kparts_i64(&k, 4, &v) == 0 && v == -42);
    cqe_kb_free(&b);
    cqe_kparts_free(&k);
}

/* The hand-written number and date formatting of keys, as printf would write them. */
CQE_TEST(state_key_formats_without_printf)
{
    char t[CQE_I64_CHARS];
    CHECK(cqe_fmt_i64(t, 0) == 1 && !memcmp(t, "0", 1));
    CHECK(cqe_fmt_i64(t, 1772323200000) == 13 && !memcmp(t, "1772323200000", 13));
    CHECK(cqe_fmt_i64(t, -7) == 2 && !memcmp(t, "-7", 2));
    CHECK(cqe_fmt_i64(t, INT64_MAX) == 19 && !memcmp(t, "9223372036854775807", 19));
    CHECK(cqe_fmt_i64(t, INT64_MIN) == 20 && !memcmp(t, "-9223372036854775808", 20));
    struct cqe_kb b = {0};
    cqe_kb_cstr(&b, "P");
    cqe_kb_month(&b, 2026 * 12 + 2);                   /* March 2026 */
    cqe_kb_month(&b, 2001 * 12 + 11);                  /* December 2001 */
    cqe_kb_date(&b, 20513);                            /* 1970-01-01 + 20513 days */
    cqe_kb_date(&b, cqe_days_from_civil(2000, 2, 29)); /* a leap day */
    cqe_kb_i64(&b, -1);
    CHECK(b.p && !strcmp(b.p, "P|2026-03|2001-12|2026-03-01|2000-02-29|-1"));
    cqe_kb_free(&b);
}

CQE_TEST(state_key_numbers_are_checked)
{
    struct cqe_kparts k = {0};
    const char rec[] = "12|-9223372036854775808|9223372036854775808|1x||2026-03|2026-13|0.5|abc";
    CHECK(cqe_kparts_parse(&k, rec, sizeof rec - 1) == 0 && k.count == 9);
    int64_t v = 7, m = 0;
    double d = 0;
    CHECK(cqe_kparts_i64(&k, 0, &v) == 0 && v == 12);
    CHECK(cqe_kparts_i64(&k, 1, &v) == 0 && v == INT64_MIN);
    CHECK(cqe_kparts_i64(&k, 2, &v) == CQE_EINVAL); /* overflows int64 */
    CHECK(cqe_kparts_i64(&k, 3, &v) == CQE_EINVAL); /* not digits */
    CHECK(cqe_kparts_i64(&k, 4, &v) == CQE_EINVAL); /* empty */
    CHECK(cqe_kparts_i64(&k, 9, &v) == CQE_EINVAL); /* past the last component */
    CHECK(cqe_kparts_i64(&k, -1, &v) == CQE_EINVAL);
    CHECK(v == INT64_MIN); /* untouched by the refusals */
    CHECK(cqe_kparts_month(&k, 5, &m) == 0 && m == 2026 * 12 + 2);
    CHECK(cqe_kparts_month(&k, 6, &m) == CQE_EINVAL); /* month 13 */
    CHECK(cqe_kparts_month(&k, 0, &m) == CQE_EINVAL);
    CHECK(cqe_kparts_dbl(&k, 7, &d) == 0 && d == 0.5);
    CHECK(cqe_kparts_dbl(&k, 8, &d) == CQE_EINVAL && cqe_kparts_dbl(&k, 20, &d) == CQE_EINVAL);
    CHECK(!cqe_kparts_is(&k, 9, "") && cqe_kparts_is(&k, 8, "abc"));
    /* a short record after a long one: the count, not stale parts, decides */
    CHECK(cqe_kparts_parse(&k, "p1", 2) == 0 && k.count == 1);
    CHECK(cqe_kparts_i64(&k, 1, &v) == CQE_EINVAL);
    /* more than CQE_KPARTS_MAX components is refused, leaving no parts */
    char many[2 * CQE_KPARTS_MAX + 2];
    memset(many, '|', sizeof many);
    CHECK(cqe_kparts_parse(&k, many, sizeof many) == CQE_EINVAL && k.count == 0);
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

CQE_TEST(dedup_window_forgets_oldest_and_keeps_probes_short)
{
    struct cqe_dedup *d = cqe_dedup_new(1000);
    CHECK(d != NULL);
    char id[32];
    /* 200 windows' worth of ids: forgetting shifts probe runs back, so the index
     * (1501 slots) never fills; were forgotten slots left occupied, every slot would end
     * up occupied and a miss would scan them all */
    size_t longest = 0;
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(id, sizeof id, "e%d", i);
        CHECK(!cqe_dedup_seen(d, id, (size_t)n));
        cqe_dedup_remember(d, id, (size_t)n);
        size_t run = i % 1000 == 999 ? cqe_dedup_longest_run(d) : 0;
        longest = run > longest ? run : longest;
    }
    CHECK(longest > 0 && longest < 256);
    int n = snprintf(id, sizeof id, "e%d", 199999 - 999); /* oldest still remembered */
    CHECK(cqe_dedup_seen(d, id, (size_t)n));
    n = snprintf(id, sizeof id, "e%d", 199999 - 1000); /* just forgotten */
    CHECK(!cqe_dedup_seen(d, id, (size_t)n));
    cqe_dedup_free(d);
}

CQE_TEST(dedup_longest_run_counts_occupied_slots)
{
    struct cqe_dedup *d = cqe_dedup_new(8); /* 13 slots */
    CHECK(d != NULL && cqe_dedup_longest_run(d) == 0);
    cqe_dedup_remember(d, "a", 1);
    CHECK(cqe_dedup_longest_run(d) == 1);
    cqe_dedup_free(d);
    struct cqe_dedup *z = cqe_dedup_new(0);
    CHECK(z != NULL && cqe_dedup_longest_run(z) == 0);
    cqe_dedup_free(z);
}

/* Grown on demand: capacity grows by an eighth from 64 up to the window, each slot
 * costing 8 B of ring and 1.5 × 4 B of index (index of 1.5·cap + 1 slots), so never more
 * than 16 B per id held once 64 are. */
CQE_TEST(dedup_grows_with_the_ids_held)
{
    struct cqe_dedup *d = cqe_dedup_new(1000000);
    char id[32];
    CHECK(d != NULL && cqe_dedup_bytes(d) == 64 * 8 + 97 * 4); /* 900 B, not 1 M × 14 B */
    for (int i = 0; i < 64; i++)
        cqe_dedup_remember(d, id, (size_t)snprintf(id, sizeof id, "g%d", i));
    CHECK(cqe_dedup_bytes(d) == 900);
    cqe_dedup_remember(d, "g64", 3); /* the 65th: 72 slots */
    CHECK(cqe_dedup_bytes(d) == 72 * 8 + 109 * 4);
    size_t worst = 0; /* the largest bytes per id held, in thousandths */
    for (int i = 65; i < 50000; i++) {
        cqe_dedup_remember(d, id, (size_t)snprintf(id, sizeof id, "g%d", i));
        size_t per = cqe_dedup_bytes(d) * 1000 / cqe_dedup_held(d);
        worst = per > worst ? per : worst;
    }
    CHECK(worst <= 16000 && worst > 15000); /* just after a growth step: 14 B × 9/8 */
    CHECK(cqe_dedup_held(d) == 50000 && cqe_dedup_forgotten(d) == 0);
    for (int i = 0; i < 50000; i++) /* every id survived the moves */
        CHECK(cqe_dedup_seen(d, id, (size_t)snprintf(id, sizeof id, "g%d", i)));
    CHECK(!cqe_dedup_seen(d, "g50000", 6));
    cqe_dedup_free(d);
    /* a window that is not a power of two stops growing at the window */
    d = cqe_dedup_new(100);
    for (int i = 0; i < 300; i++)
        cqe_dedup_remember(d, id, (size_t)snprintf(id, sizeof id, "w%d", i));
    CHECK(cqe_dedup_held(d) == 100 && cqe_dedup_bytes(d) == 100 * 8 + 151 * 4);
    CHECK(cqe_dedup_total(d) == 300 && cqe_dedup_forgotten(d) == 200);
    cqe_dedup_free(d);
}

static void collect_fp(uint64_t fp, void *arg)
{
    uint64_t **p = arg;
    *(*p)++ = fp;
}

CQE_TEST(dedup_forgets_oldest_first)
{
    struct cqe_dedup *d = cqe_dedup_new(3);
    const char *ids[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 4; i++)
        cqe_dedup_remember(d, ids[i], 1);
    /* a, b, c, d: "a" went when "d" came */
    CHECK(!cqe_dedup_seen(d, "a", 1) && cqe_dedup_seen(d, "b", 1) && cqe_dedup_seen(d, "d", 1));
    CHECK(cqe_dedup_held(d) == 3 && cqe_dedup_forgotten(d) == 1 && cqe_dedup_total(d) == 4);
    uint64_t got[3], *p = got, newest[3];
    cqe_dedup_each_fp(d, collect_fp, &p);
    CHECK(p == got + 3 && got[0] == cqe_dedup_fp("b", 1) && got[1] == cqe_dedup_fp("c", 1) &&
          got[2] == cqe_dedup_fp("d", 1));
    CHECK(cqe_dedup_newest(d, 2, newest) == 2 && newest[0] == got[1] && newest[1] == got[2]);
    CHECK(cqe_dedup_newest(d, 5, newest) == 3 && newest[0] == got[0]);
    cqe_dedup_remember(d, "e", 1); /* then "b" */
    CHECK(!cqe_dedup_seen(d, "b", 1) && cqe_dedup_seen(d, "c", 1) && cqe_dedup_seen(d, "e", 1));
    CHECK(cqe_dedup_forgotten(d) == 2);
    cqe_dedup_free(d);
}

CQE_TEST(dedup_fingerprints_round_trip)
{
    struct cqe_dedup *a = cqe_dedup_new(5), *b = cqe_dedup_new(5);
    char id[16];
    for (int i = 0; i < 7; i++) /* holds r2..r6 */
        cqe_dedup_remember(a, id, (size_t)snprintf(id, sizeof id, "r%d", i));
    uint64_t fa[5], fb[5], *p = fa;
    cqe_dedup_each_fp(a, collect_fp, &p);
    for (int i = 0; i < 5; i++) /* what a load from Redis does, oldest first */
        CHECK(!cqe_dedup_remember_fp(b, fa[i]));
    p = fb;
    cqe_dedup_each_fp(b, collect_fp, &p);
    CHECK(!memcmp(fa, fb, sizeof fa));
    CHECK(!cqe_dedup_seen(b, "r1", 2) && cqe_dedup_seen(b, "r2", 2) && cqe_dedup_seen(b, "r6", 2));
    cqe_dedup_remember(b, "r7", 2); /* forgets r2 in b as in a */
    CHECK(!cqe_dedup_seen(b, "r2", 2) && cqe_dedup_seen(b, "r3", 2));
    /* pinned: fingerprints are persisted, so a change of the function (which would make
     * every stored memory miss) must be deliberate */
    CHECK(cqe_dedup_fp("", 0) == cqe_dedup_fp("", 0) && cqe_dedup_fp("a", 1) != cqe_dedup_fp("a\0", 2));
    CHECK(cqe_dedup_fp("inc-000001-open", 15) == UINT64_C(0xfc0dd9686a7525c0));
    cqe_dedup_free(a);
    cqe_dedup_free(b);
    struct cqe_dedup *z = cqe_dedup_new(0);
    CHECK(z && !cqe_dedup_remember(z, "x", 1) && !cqe_dedup_seen(z, "x", 1) && cqe_dedup_bytes(z) == 0);
    cqe_dedup_free(z);
}
