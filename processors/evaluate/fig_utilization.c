/* Utilization (B1.1, B1.2, B2, B3 time-weighted means; p50/p95/max per Readings 9;
 * B1.3 idle share of vm resources) from the exact per-month sums and histograms; their
 * evidence is fig_utilization_evidence.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "evidence.h"
#include "fig_utilization_int.h"

const char *const cqe_metric_names[CQE_M__COUNT] = {"cpu", "mem", "disk", "net"};

static int metric_of(const char *f, size_t n, size_t *rest)
{
    for (int m = 0; m < CQE_M__COUNT; m++) {
        size_t l = strlen(cqe_metric_names[m]);
        if (n > l && !memcmp(f, cqe_metric_names[m], l) && f[l] == '|') {
            *rest = l + 1;
            return m;
        }
    }
    return -1;
}

double cqe_util_percentile(const struct cqe_util_acc *a, double p)
{
    __int128 total = 0;
    for (int b = 0; b <= 100; b++)
        total += a->hist[b];
    double need = p * (double)total - 1e-9;
    __int128 cum = 0;
    for (int b = 0; b <= 100; b++) {
        cum += a->hist[b];
        if ((double)cum >= need)
            return b / 100.0;
    }
    return 1.0;
}

void cqe_util_acc_cell(struct cqe_util_acc acc[CQE_M__COUNT], const struct cqe_cell *c)
{
    if (c->op == CQE_OP_VEC && c->vec_len == CQE_UTIL_VEC_LEN) { /* weights, histograms */
        uint32_t pos = 0, at;
        int64_t e;
        while (cqe_vec_next(c, &pos, &at, &e)) {
            uint32_t mm = at / CQE_UTIL_VEC_STRIDE, off = at % CQE_UTIL_VEC_STRIDE;
            if (mm >= CQE_M__COUNT)
                break;
            if (off)
                acc[mm].hist[off - 1] += e;
            else
                acc[mm].w += e;
        }
        return;
    }
    size_t r;
    int m = metric_of(c->field, c->field_len, &r);
    if (m < 0)
        return;
    const char *f = c->field + r;
    size_t fl = c->field_len - r;
    if (fl == 1 && f[0] == 's')
        acc[m].s += c->sum;
    else if (fl == 3 && !memcmp(f, "max", 3)) {
        if (!acc[m].has_max || c->d > acc[m].max)
            acc[m].max = c->d;
        acc[m].has_max = true;
    }
}

bool cqe_util_cell(const struct cqe_period_eval *pe, size_t target, const struct cqe_agg *a)
{
    return a->fam == CQE_AGG_U && cqe_period_has_month(&pe->period, a->month) &&
           (target == CQE_NONE || a->provider == target);
}

double cqe_util_mean(const struct cqe_util_acc *a)
{
    return (double)a->s / CQE_FIXED_SCALE / (double)a->w;
}

double cqe_util_low_cpu_share(const struct cqe_util_res *r)
{
    return (double)r->cl / (double)r->cw;
}

double cqe_util_mem_mean(const struct cqe_util_res *r)
{
    return (double)r->ms / CQE_UR_MEM_SCALE / (double)r->mw;
}

/* The means, percentiles and maxima of the four metrics from the target's totals acc. */
static void utilization_means(const struct cqe_util_acc acc[CQE_M__COUNT], struct cqe_target_figures *out)
{
    for (int m = 0; m < CQE_M__COUNT; m++) {
        bool has = acc[m].w > 0;
        out->m_mean[m] = (struct cqe_opt){has, has ? cqe_util_mean(&acc[m]) : 0};
        out->m_p50[m] = (struct cqe_opt){has, has ? cqe_util_percentile(&acc[m], 0.5) : 0};
        out->m_p95[m] = (struct cqe_opt){has, has ? cqe_util_percentile(&acc[m], 0.95) : 0};
        out->m_max[m] = (struct cqe_opt){has && acc[m].has_max, acc[m].max};
    }
    out->leaf[CQE_LEAF_B1_1] = out->m_mean[CQE_M_CPU];
    out->leaf[CQE_LEAF_B1_2] = out->m_mean[CQE_M_MEM];
    out->leaf[CQE_LEAF_B2] = out->m_mean[CQE_M_DISK];
    out->leaf[CQE_LEAF_B3] = out->m_mean[CQE_M_NET];
}

int cqe_fig_utilization(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    const struct cqe_config *cfg = v->cfg;
    struct cqe_util_acc acc[CQE_M__COUNT];
    memset(acc, 0, sizeof acc);
    size_t nr = v->resources.n;
    struct cqe_util_res *ia = calloc(nr ? nr : 1, sizeof *ia);
    if (!ia)
        return CQE_ENOMEM;
    for (size_t i = 0; i < v->n_aggs; i++) {
        const struct cqe_agg *a = &v->aggs[i];
        if (cqe_util_cell(pe, target, a))
            cqe_util_acc_cell(acc, a->cell);
        if (a->fam != CQE_AGG_UR || !cqe_period_has_month(&pe->period, a->month) ||
            (target != CQE_NONE && a->provider != target))
            continue;
        const struct cqe_cell *c = a->cell; /* a CQE_UR_LEN vector (checked by the family) */
        struct cqe_util_res *x = &ia[a->aux];
        x->cw += cqe_vec_get(c, CQE_UR_CW); /* sparse or dense (store.h) */
        x->cl += cqe_vec_get(c, CQE_UR_CL);
        x->mw += cqe_vec_get(c, CQE_UR_MW);
        x->ms += cqe_vec_get(c, CQE_UR_MS);
    }
    int64_t with_cpu = 0, idle = 0;
    for (size_t r = 0; r < nr; r++) {
        if (ia[r].cw <= 0)
            continue;
        with_cpu++;
        bool low_cpu = cqe_util_low_cpu_share(&ia[r]) >= cfg->idle_cpu_share;
        bool low_mem = ia[r].mw == 0 || cqe_util_mem_mean(&ia[r]) < cfg->idle_mem_below;
        idle += low_cpu && low_mem;
        if (out->ev) { /* every vm with CPU samples tallied; the idle ones listed */
            cqe_ev_tally(out->ev, CQE_LEAF_B1_3, low_cpu && low_mem ? "idle" : "not_idle");
            if (!(low_cpu && low_mem))
                continue;
            void *o = cqe_ev_item(out->ev, CQE_LEAF_B1_3, "resource", v->resources.keys[r],
                                  v->resources.lens[r], "idle", true);
            cqe_ev_num(out->ev, o, "low_cpu_share", cqe_util_low_cpu_share(&ia[r]));
            cqe_ev_opt(out->ev, o, "mem_mean",
                       (struct cqe_opt){ia[r].mw > 0, ia[r].mw > 0 ? cqe_util_mem_mean(&ia[r]) : 0});
        }
    }
    utilization_means(acc, out);
    out->leaf[CQE_LEAF_B1_3] = (struct cqe_opt){with_cpu > 0, with_cpu ? (double)idle / (double)with_cpu : 0};
    int rc = 0;
    if (out->ev)
        cqe_ev_effects(out->ev, CQE_LEAF_B1_3, with_cpu ? 1.0 / (double)with_cpu : 0);
    if (cqe_ev_wants(out->ev, CQE_LEAF_B1_1) || cqe_ev_wants(out->ev, CQE_LEAF_B1_2) ||
        cqe_ev_wants(out->ev, CQE_LEAF_B2) || cqe_ev_wants(out->ev, CQE_LEAF_B3))
        rc = cqe_util_evidence(pe, target, acc, ia, out->ev);
    free(ia);
    return rc;
}
