/* libFuzzer target for reading stored state back (make fuzz): bytes become store cells
 * as a Redis read would hand them over (any key, field, op and record), then the view is
 * built, and when it builds, every figure and score of a month and a year is computed.
 * Corrupt cells must be refused with CQE_EIO (or CQE_ENOMEM), never crash or read out
 * of bounds. Input: lines "<op><key>\t<field>\t<payload>", op a digit 0-6 (enum
 * cqe_cell_op); payload an integer (SUM), a double (MAX, MIN), "ts\tid\tval" (REG_*),
 * "len,index,delta" (VEC), nothing (SET). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "figures.h"
#include "model.h"
#include "store.h"
#include "timeutil.h"
#include "view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Splits s[0..n) at the first tab: the head is s[0..*head), the rest follows it. */
static const char *cut(const char *s, size_t n, size_t *head)
{
    const char *t = memchr(s, '\t', n);
    *head = t ? (size_t)(t - s) : n;
    return t ? t + 1 : s + n;
}

static long long number(const char *s, size_t n)
{
    char t[32];
    size_t m = n < sizeof t - 1 ? n : sizeof t - 1;
    memcpy(t, s, m);
    t[m] = 0;
    return strtoll(t, NULL, 10);
}

static void add_cell(struct cqe_store *st, const char *s, size_t n)
{
    if (n < 1 || s[0] < '0' || s[0] > '6')
        return;
    enum cqe_cell_op op = (enum cqe_cell_op)(s[0] - '0');
    const char *end = s + n, *key = s + 1, *field, *pay;
    size_t kl, fl, pl;
    field = cut(key, (size_t)(end - key), &kl);
    pay = cut(field, (size_t)(end - field), &fl);
    pl = (size_t)(end - pay);
    switch (op) {
    case CQE_OP_SUM: cqe_store_add(st, key, kl, field, fl, number(pay, pl)); break;
    case CQE_OP_MAX:
    case CQE_OP_MIN: {
        char t[64];
        size_t m = pl < sizeof t - 1 ? pl : sizeof t - 1;
        memcpy(t, pay, m);
        t[m] = 0;
        double d = strtod(t, NULL);
        if (op == CQE_OP_MAX)
            cqe_store_max(st, key, kl, field, fl, d);
        else
            cqe_store_min(st, key, kl, field, fl, d);
        break;
    }
    case CQE_OP_SET: cqe_store_set_add(st, key, kl, field, fl); break;
    case CQE_OP_REG_MIN:
    case CQE_OP_REG_MAX: {
        size_t tl, il;
        const char *id = cut(pay, pl, &tl);
        const char *val = cut(id, (size_t)(end - id), &il);
        cqe_store_reg(st, op, key, kl, field, fl, number(pay, tl), id, il, val, (size_t)(end - val));
        break;
    }
    case CQE_OP_VEC: {
        long long len = number(pay, pl), index = 0, delta = 1;
        const char *c = memchr(pay, ',', pl);
        if (c) {
            index = number(c + 1, (size_t)(end - c - 1));
            const char *c2 = memchr(c + 1, ',', (size_t)(end - c - 1));
            if (c2)
                delta = number(c2 + 1, (size_t)(end - c2 - 1));
        }
        if (len > 0 && len <= 4096 && index >= 0 && index < len)
            cqe_store_vec_add(st, key, kl, field, fl, (uint32_t)len, (uint32_t)index, delta);
        break;
    }
    }
}

static void figures_of(const struct cqe_view *v, const struct cqe_model *m, const char *pid)
{
    struct cqe_period p;
    if (cqe_period_parse(pid, v->cfg->utc_offset_min, &p))
        return;
    struct cqe_period_eval pe;
    int64_t as_of = v->max_ts > p.start_ms ? v->max_ts : p.end_ms;
    if (cqe_period_eval_init(&pe, v, &p, as_of))
        return;
    for (size_t t = 0; t <= v->providers.n; t++) {
        struct cqe_target_figures f;
        struct cqe_score sc;
        if (cqe_target_figures_compute(&pe, t == v->providers.n ? CQE_NONE : t, &f) == 0 &&
            cqe_score_compute(m, &f, &sc) == 0)
            cqe_score_fini(&sc);
        cqe_target_figures_fini(&f);
    }
    for (size_t d = 0; d < v->depts.n; d++) {
        struct cqe_dept_figures df;
        cqe_dept_figures_compute(&pe, d, &df);
    }
    cqe_period_eval_fini(&pe);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cqe_config cfg;
    static struct cqe_model model;
    static int ready;
    if (!ready) {
        struct cqe_err err = {0};
        cqe_config_defaults(&cfg);
        if (cqe_model_load_string(&model, cqe_default_model_json, "default model", &err))
            abort();
        ready = 1;
    }
    struct cqe_store *st = cqe_store_new();
    if (!st)
        return 0;
    const char *s = (const char *)data, *end = s + size;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        add_cell(st, s, n);
        s += n + 1;
    }
    struct cqe_err err = {0};
    struct cqe_view *v = cqe_view_build(st, &cfg, &err);
    if (!v && err.code != CQE_EIO && err.code != CQE_ENOMEM)
        abort(); /* a refusal must say corrupt state (or memory) */
    if (v) {
        figures_of(v, &model, "2026-03");
        figures_of(v, &model, "2026");
    }
    cqe_view_free(v);
    cqe_store_free(st);
    return 0;
}
