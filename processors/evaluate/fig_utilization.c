/* Utilization (B1.1, B1.2, B2, B3 time-weighted means; p50/p95/max per Readings 9;
 * B1.3 idle share of vm resources) from the exact per-month sums and histograms. */
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "figures.h"

const char *const cqe_metric_names[CQE_M__COUNT] = {"cpu", "mem", "disk", "net"};

struct metric_acc {
    __int128 w, s;
    bool has_max;
    double max;
    __int128 hist[101];
};

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

static double percentile(const struct metric_acc *a, double p)
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

static void utilization_means(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    struct metric_acc acc[CQE_M__COUNT];
    memset(acc, 0, sizeof acc);
    for (size_t i = 0; i < v->n_aggs; i++) {
        const struct cqe_agg *a = &v->aggs[i];
        if (a->fam != CQE_AGG_U || !cqe_period_has_month(&pe->period, a->month) ||
            (target != CQE_NONE && a->provider != target))
            continue;
        const struct cqe_cell *c = a->cell;
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
            continue;
        }
        size_t r;
        int m = metric_of(c->field, c->field_len, &r);
        if (m < 0)
            continue;
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
    for (int m = 0; m < CQE_M__COUNT; m++) {
        bool has = acc[m].w > 0;
        out->m_mean[m] =
            (struct cqe_opt){has, has ? (double)acc[m].s / CQE_FIXED_SCALE / (double)acc[m].w : 0};
        out->m_p50[m] = (struct cqe_opt){has, has ? percentile(&acc[m], 0.5) : 0};
        out->m_p95[m] = (struct cqe_opt){has, has ? percentile(&acc[m], 0.95) : 0};
        out->m_max[m] = (struct cqe_opt){has && acc[m].has_max, acc[m].max};
    }
    out->leaf[CQE_LEAF_B1_1] = out->m_mean[CQE_M_CPU];
    out->leaf[CQE_LEAF_B1_2] = out->m_mean[CQE_M_MEM];
    out->leaf[CQE_LEAF_B2] = out->m_mean[CQE_M_DISK];
    out->leaf[CQE_LEAF_B3] = out->m_mean[CQE_M_NET];
}

struct idle_acc {
    __int128 cw, cl, mw, ms;
};

int cqe_fig_utilization(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    const struct cqe_config *cfg = v->cfg;
    utilization_means(pe, target, out);
    size_t nr = v->resources.n;
    struct idle_acc *ia = calloc(nr ? nr : 1, sizeof *ia);
    if (!ia)
        return CQE_ENOMEM;
    for (size_t i = 0; i < v->n_aggs; i++) {
        const struct cqe_agg *a = &v->aggs[i];
        if (a->fam != CQE_AGG_UR || !cqe_period_has_month(&pe->period, a->month) ||
            (target != CQE_NONE && a->provider != target))
            continue;
        const struct cqe_cell *c = a->cell; /* a CQE_UR_LEN vector (checked by the family) */
        struct idle_acc *x = &ia[a->aux];
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
        bool low_cpu = (double)ia[r].cl / (double)ia[r].cw >= cfg->idle_cpu_share;
        bool low_mem =
            ia[r].mw == 0 || (double)ia[r].ms / CQE_UR_MEM_SCALE / (double)ia[r].mw < cfg->idle_mem_below;
        idle += low_cpu && low_mem;
    }
    free(ia);
    out->leaf[CQE_LEAF_B1_3] = (struct cqe_opt){with_cpu > 0, with_cpu ? (double)idle / (double)with_cpu : 0};
    return 0;
}
