/* Utilization (B1.1, B1.2, B2, B3 time-weighted means; p50/p95/max per Readings 9;
 * B1.3 idle share of vm resources) from the exact per-month sums and histograms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "evidence.h"
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

/* Adds one U cell (the weights/histograms vector, a fixed-point sum or a maximum) to acc. */
static void acc_cell(struct metric_acc acc[CQE_M__COUNT], const struct cqe_cell *c)
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

static bool util_cell(const struct cqe_period_eval *pe, size_t target, const struct cqe_agg *a)
{
    return a->fam == CQE_AGG_U && cqe_period_has_month(&pe->period, a->month) &&
           (target == CQE_NONE || a->provider == target);
}

static double acc_mean(const struct metric_acc *a)
{
    return (double)a->s / CQE_FIXED_SCALE / (double)a->w;
}

static const enum cqe_leaf metric_leaf[CQE_M__COUNT] = {CQE_LEAF_B1_1, CQE_LEAF_B1_2, CQE_LEAF_B2,
                                                        CQE_LEAF_B3};

/* The pools (a provider's month) behind each mean: their weight share, mean, p50, p95
 * and max, and their pull share x (pool mean - mean), which adds up to 0. */
static int util_evidence(const struct cqe_period_eval *pe, size_t target, const struct metric_acc *total,
                         struct cqe_evidence *ev)
{
    const struct cqe_view *v = pe->view;
    struct pool {
        size_t provider;
        int64_t month;
        struct metric_acc acc[CQE_M__COUNT];
    } *pools = NULL;
    size_t n = 0;
    for (size_t i = 0; i < v->n_aggs; i++) {
        const struct cqe_agg *a = &v->aggs[i];
        if (!util_cell(pe, target, a))
            continue;
        size_t j = 0;
        while (j < n && !(pools[j].provider == a->provider && pools[j].month == a->month))
            j++;
        if (j == n) {
            struct pool *np = realloc(pools, (n + 1) * sizeof *np);
            if (!np) {
                free(pools);
                return CQE_ENOMEM;
            }
            pools = np;
            memset(&pools[n], 0, sizeof pools[n]);
            pools[n].provider = a->provider;
            pools[n++].month = a->month;
        }
        acc_cell(pools[j].acc, a->cell);
    }
    for (size_t j = 0; j < n; j++) {
        for (int m = 0; m < CQE_M__COUNT; m++) {
            const struct metric_acc *x = &pools[j].acc[m];
            if (x->w <= 0 || total[m].w <= 0)
                continue;
            const char *prov = v->providers.keys[pools[j].provider];
            char month[48];
            snprintf(month, sizeof month, "%04lld-%02lld", (long long)(pools[j].month / 12),
                     (long long)(pools[j].month % 12 + 1));
            double share = (double)x->w / (double)total[m].w, mean = acc_mean(x);
            double pull = share * (mean - acc_mean(&total[m]));
            void *o = cqe_ev_item(ev, metric_leaf[m], "pool", prov, strlen(prov),
                                  pull >= 0 ? "above" : "below", false);
            cqe_ev_str(ev, o, "month", month);
            cqe_ev_num(ev, o, "weight_share", share);
            cqe_ev_num(ev, o, "mean", mean);
            cqe_ev_num(ev, o, "p50", percentile(x, 0.5));
            cqe_ev_num(ev, o, "p95", percentile(x, 0.95));
            cqe_ev_opt(ev, o, "max", (struct cqe_opt){x->has_max, x->max});
            cqe_ev_num(ev, o, "pull", pull);
            cqe_ev_num(ev, o, "effect", pull < 0 ? -pull : pull);
        }
    }
    free(pools);
    return ev->rc;
}

static int utilization_means(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    struct metric_acc acc[CQE_M__COUNT];
    memset(acc, 0, sizeof acc);
    for (size_t i = 0; i < v->n_aggs; i++)
        if (util_cell(pe, target, &v->aggs[i]))
            acc_cell(acc, v->aggs[i].cell);
    for (int m = 0; m < CQE_M__COUNT; m++) {
        bool has = acc[m].w > 0;
        out->m_mean[m] = (struct cqe_opt){has, has ? acc_mean(&acc[m]) : 0};
        out->m_p50[m] = (struct cqe_opt){has, has ? percentile(&acc[m], 0.5) : 0};
        out->m_p95[m] = (struct cqe_opt){has, has ? percentile(&acc[m], 0.95) : 0};
        out->m_max[m] = (struct cqe_opt){has && acc[m].has_max, acc[m].max};
    }
    out->leaf[CQE_LEAF_B1_1] = out->m_mean[CQE_M_CPU];
    out->leaf[CQE_LEAF_B1_2] = out->m_mean[CQE_M_MEM];
    out->leaf[CQE_LEAF_B2] = out->m_mean[CQE_M_DISK];
    out->leaf[CQE_LEAF_B3] = out->m_mean[CQE_M_NET];
    return out->ev ? util_evidence(pe, target, acc, out->ev) : 0;
}

struct idle_acc {
    __int128 cw, cl, mw, ms;
};

int cqe_fig_utilization(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    const struct cqe_config *cfg = v->cfg;
    if (utilization_means(pe, target, out))
        return CQE_ENOMEM;
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
        if (out->ev) { /* every vm with CPU samples tallied; the idle ones listed */
            cqe_ev_tally(out->ev, CQE_LEAF_B1_3, low_cpu && low_mem ? "idle" : "not_idle");
            if (!(low_cpu && low_mem))
                continue;
            void *o = cqe_ev_item(out->ev, CQE_LEAF_B1_3, "resource", v->resources.keys[r],
                                  v->resources.lens[r], "idle", true);
            cqe_ev_num(out->ev, o, "low_cpu_share", (double)ia[r].cl / (double)ia[r].cw);
            cqe_ev_opt(
                out->ev, o, "mem_mean",
                (struct cqe_opt){ia[r].mw > 0,
                                 ia[r].mw > 0 ? (double)ia[r].ms / CQE_UR_MEM_SCALE / (double)ia[r].mw : 0});
        }
    }
    if (out->ev)
        cqe_ev_effects(out->ev, CQE_LEAF_B1_3, with_cpu ? 1.0 / (double)with_cpu : 0);
    free(ia);
    out->leaf[CQE_LEAF_B1_3] = (struct cqe_opt){with_cpu > 0, with_cpu ? (double)idle / (double)with_cpu : 0};
    return 0;
}
