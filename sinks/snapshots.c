/* Record emission over a view (see snapshots.h). */
#include "snapshots.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct keyed {
    const char *k;
    size_t n, idx;
};

static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    int c = memcmp(x->k, y->k, x->n < y->n ? x->n : y->n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Indexes of a map sorted by key bytes (owned by the caller). */
static size_t *sorted_indexes(const struct cqe_strmap *m)
{
    size_t *ix = malloc((m->n ? m->n : 1) * sizeof *ix);
    struct keyed *kv = malloc((m->n ? m->n : 1) * sizeof *kv);
    if (!ix || !kv) {
        free(ix);
        free(kv);
        return NULL;
    }
    for (size_t i = 0; i < m->n; i++)
        kv[i] = (struct keyed){m->keys[i], m->lens[i], i};
    qsort(kv, m->n, sizeof *kv, cmp_keyed);
    for (size_t i = 0; i < m->n; i++)
        ix[i] = kv[i].idx;
    free(kv);
    return ix;
}

static int emit(void *rec, cqe_record_fn fn, void *arg)
{
    if (!rec)
        return CQE_ENOMEM;
    int rc = fn(rec, arg);
    json_decref(rec);
    return rc;
}

static int emit_target(const struct cqe_period_eval *pe, const struct cqe_model *m, size_t target,
                       const struct cqe_emit_options *o, cqe_record_fn fn, void *arg)
{
    struct cqe_target_figures f;
    struct cqe_score sc;
    if (cqe_target_figures_compute(pe, target, &f))
        return CQE_ENOMEM;
    int rc = cqe_score_compute(m, &f, &sc);
    if (!rc) {
        rc = emit(cqe_record_snapshot(pe, m, &f, &sc, 1, &o->counters), fn, arg);
        cqe_score_fini(&sc);
    }
    cqe_target_figures_fini(&f);
    return rc;
}

int cqe_emit_records(const struct cqe_view *v, const struct cqe_model *m, const struct cqe_emit_options *o,
                     cqe_record_fn fn, void *arg, struct cqe_err *err)
{
    size_t *prov = sorted_indexes(&v->providers), *dept = sorted_indexes(&v->depts);
    int rc = 0;
    if (!prov || !dept) {
        rc = CQE_ENOMEM;
        goto out;
    }
    for (size_t p = 0; !rc && p < o->n_periods; p++) {
        struct cqe_period_eval pe;
        if ((rc = cqe_period_eval_init(&pe, v, &o->periods[p], o->as_of)))
            break;
        for (size_t i = 0; !rc && i < v->providers.n; i++)
            if (!o->only_target || !strcmp(o->only_target, v->providers.keys[prov[i]]))
                rc = emit_target(&pe, m, prov[i], o, fn, arg);
        if (!rc && (!o->only_target || !strcmp(o->only_target, "platform")))
            rc = emit_target(&pe, m, CQE_NONE, o, fn, arg);
        for (size_t i = 0; !rc && o->services && i < pe.n_svc; i++)
            rc = emit(cqe_record_service(&pe, &pe.svc[i]), fn, arg);
        for (size_t i = 0; !rc && o->depts && i < v->depts.n; i++) {
            struct cqe_dept_figures df;
            if ((rc = cqe_dept_figures_compute(&pe, dept[i], &df)))
                break;
            rc = emit(cqe_record_dept(&pe, &df), fn, arg);
        }
        cqe_period_eval_fini(&pe);
    }
out:
    free(prov);
    free(dept);
    if (rc == CQE_ENOMEM)
        cqe_err_set(err, rc, "out of memory computing snapshots");
    return rc;
}

void cqe_default_periods(int64_t as_of, int offset_min, struct cqe_period out[3])
{
    cqe_period_of(as_of, CQE_PERIOD_MONTH, offset_min, &out[0]);
    cqe_period_of(as_of, CQE_PERIOD_QUARTER, offset_min, &out[1]);
    cqe_period_of(as_of, CQE_PERIOD_YEAR, offset_min, &out[2]);
}
