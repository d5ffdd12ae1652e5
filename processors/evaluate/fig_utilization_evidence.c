/* The evidence behind the utilization means B1.1, B1.2, B2 and B3 (`cloudqe explain`):
 * the pools (a provider's month) and, for memory, the vm resources that pull each mean;
 * the time weight by 10-point band that places the percentiles; the vms' time under the
 * idle CPU threshold (no per-vm CPU mean is kept). All from the sums the figures read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "fig_utilization_int.h"

static const enum cqe_leaf metric_leaf[CQE_M__COUNT] = {CQE_LEAF_B1_1, CQE_LEAF_B1_2, CQE_LEAF_B2,
                                                        CQE_LEAF_B3};

/* A part of a mean: its weight share of the whole, its own mean and its pull = share x
 * (mean - the whole's mean), one exact term of the whole's decomposition; effect |pull|. */
static void part_of_mean(struct cqe_evidence *ev, void *o, double share, double mean, double whole)
{
    double pull = share * (mean - whole);
    cqe_ev_num(ev, o, "weight_share", share);
    cqe_ev_num(ev, o, "mean", mean);
    cqe_ev_num(ev, o, "pull", pull);
    cqe_ev_num(ev, o, "effect", pull < 0 ? -pull : pull);
}

static const char *side_of(double mean, double whole)
{
    return mean > whole ? "above" : mean < whole ? "below" : "at";
}

/* The pools (a provider's month) behind each mean: their weight share, mean, p50, p95 and
 * max, and their pull, which adds up to 0 over the pools. */
static int pools(const struct cqe_period_eval *pe, size_t target, const struct cqe_util_acc *total,
                 struct cqe_evidence *ev)
{
    const struct cqe_view *v = pe->view;
    struct pool {
        size_t provider;
        int64_t month;
        struct cqe_util_acc acc[CQE_M__COUNT];
    } *pl = NULL;
    size_t n = 0;
    for (size_t i = 0; i < v->n_aggs; i++) {
        const struct cqe_agg *a = &v->aggs[i];
        if (!cqe_util_cell(pe, target, a))
            continue;
        size_t j = 0;
        while (j < n && !(pl[j].provider == a->provider && pl[j].month == a->month))
            j++;
        if (j == n) {
            struct pool *np = realloc(pl, (n + 1) * sizeof *np);
            if (!np) {
                free(pl);
                return CQE_ENOMEM;
            }
            pl = np;
            memset(&pl[n], 0, sizeof pl[n]);
            pl[n].provider = a->provider;
            pl[n++].month = a->month;
        }
        cqe_util_acc_cell(pl[j].acc, a->cell);
    }
    for (size_t j = 0; j < n; j++) {
        for (int m = 0; m < CQE_M__COUNT; m++) {
            const struct cqe_util_acc *x = &pl[j].acc[m];
            if (x->w <= 0 || total[m].w <= 0)
                continue;
            const char *prov = v->providers.keys[pl[j].provider];
            char month[48];
            snprintf(month, sizeof month, "%04lld-%02lld", (long long)(pl[j].month / 12),
                     (long long)(pl[j].month % 12 + 1));
            double mean = cqe_util_mean(x), whole = cqe_util_mean(&total[m]);
            void *o =
                cqe_ev_item(ev, metric_leaf[m], "pool", prov, strlen(prov), side_of(mean, whole), false);
            cqe_ev_str(ev, o, "month", month);
            part_of_mean(ev, o, (double)x->w / (double)total[m].w, mean, whole);
            cqe_ev_num(ev, o, "p50", cqe_util_percentile(x, 0.5));
            cqe_ev_num(ev, o, "p95", cqe_util_percentile(x, 0.95));
            cqe_ev_opt(ev, o, "max", (struct cqe_opt){x->has_max, x->max});
        }
    }
    free(pl);
    return ev->rc;
}

/* The time weight of one mean by 10-point band of its histogram (band k holds the
 * buckets 10k .. 10k+9, the last also 100): what moves p50 and p95. */
static void distribution(struct cqe_evidence *ev, enum cqe_leaf l, const struct cqe_util_acc *a)
{
    __int128 total = 0, cum = 0;
    for (int b = 0; b <= 100; b++)
        total += a->hist[b];
    if (total <= 0)
        return;
    void *d = cqe_ev_distribution(ev, l);
    cqe_ev_int(ev, d, "weight_s", (int64_t)total);
    cqe_ev_num(ev, d, "p50", cqe_util_percentile(a, 0.5));
    cqe_ev_num(ev, d, "p95", cqe_util_percentile(a, 0.95));
    cqe_ev_opt(ev, d, "max", (struct cqe_opt){a->has_max, a->max});
    for (int k = 0; k < 10; k++) {
        __int128 w = 0;
        for (int b = 10 * k; b < 10 * k + 10 || (k == 9 && b == 100); b++)
            w += a->hist[b];
        cum += w;
        char id[16];
        int len = snprintf(id, sizeof id, "%d-%d%%", 10 * k, 10 * k + 10);
        void *o = cqe_ev_sub(ev, d, "bands", "band", id, (size_t)len);
        cqe_ev_num(ev, o, "from", k / 10.0);
        cqe_ev_num(ev, o, "to", (k + 1) / 10.0);
        cqe_ev_int(ev, o, "weight_s", (int64_t)w);
        cqe_ev_num(ev, o, "share", (double)w / (double)total);
        cqe_ev_num(ev, o, "cum_share", (double)cum / (double)total);
    }
}

/* B1.2: each vm resource's part of the memory mean, then the rest of the weight (hosts,
 * which report memory but keep no per-resource sums) as one remainder, so the pulls add
 * up to 0. */
static void memory_parts(const struct cqe_view *v, const struct cqe_util_acc *mem,
                         const struct cqe_util_res *res, struct cqe_evidence *ev)
{
    double whole = cqe_util_mean(mem), vm_s = 0;
    __int128 vm_w = 0;
    for (size_t r = 0; r < v->resources.n; r++) {
        if (res[r].mw <= 0)
            continue;
        double mean = cqe_util_mem_mean(&res[r]);
        void *o = cqe_ev_item(ev, CQE_LEAF_B1_2, "resource", v->resources.keys[r], v->resources.lens[r],
                              side_of(mean, whole), false);
        part_of_mean(ev, o, (double)res[r].mw / (double)mem->w, mean, whole);
        vm_w += res[r].mw;
        vm_s += (double)res[r].ms / CQE_UR_MEM_SCALE;
    }
    if (mem->w - vm_w <= 0)
        return;
    double rest_w = (double)(mem->w - vm_w), rest_mean = ((double)mem->s / CQE_FIXED_SCALE - vm_s) / rest_w;
    void *o = cqe_ev_item(ev, CQE_LEAF_B1_2, "remainder", NULL, 0, side_of(rest_mean, whole), false);
    part_of_mean(ev, o, rest_w / (double)mem->w, rest_mean, whole);
}

/* B1.1: each vm's share of its CPU time under idle_cpu_below and its weight share of the
 * CPU mean. Not a pull: a vm's CPU mean is not kept. low_cpu when the share reaches
 * idle_cpu_share (the CPU half of the B1.3 rule). */
static void cpu_time_under_idle(const struct cqe_view *v, const struct cqe_util_acc *cpu,
                                const struct cqe_util_res *res, struct cqe_evidence *ev)
{
    for (size_t r = 0; r < v->resources.n; r++) {
        if (res[r].cw <= 0)
            continue;
        double low = cqe_util_low_cpu_share(&res[r]);
        void *o = cqe_ev_item(ev, CQE_LEAF_B1_1, "resource", v->resources.keys[r], v->resources.lens[r],
                              low >= v->cfg->idle_cpu_share ? "low_cpu" : "not_low_cpu", false);
        cqe_ev_num(ev, o, "weight_share", (double)res[r].cw / (double)cpu->w);
        cqe_ev_num(ev, o, "low_cpu_share", low);
        cqe_ev_num(ev, o, "idle_cpu_below", v->cfg->idle_cpu_below);
        cqe_ev_num(ev, o, "effect", 0);
    }
}

int cqe_util_evidence(const struct cqe_period_eval *pe, size_t target,
                      const struct cqe_util_acc total[CQE_M__COUNT], const struct cqe_util_res *res,
                      struct cqe_evidence *ev)
{
    if (pools(pe, target, total, ev))
        return CQE_ENOMEM;
    for (int m = 0; m < CQE_M__COUNT; m++)
        distribution(ev, metric_leaf[m], &total[m]);
    if (total[CQE_M_MEM].w > 0)
        memory_parts(pe->view, &total[CQE_M_MEM], res, ev);
    if (total[CQE_M_CPU].w > 0)
        cpu_time_under_idle(pe->view, &total[CQE_M_CPU], res, ev);
    return ev->rc;
}
