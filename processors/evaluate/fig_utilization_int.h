/* Private to the utilization figures (fig_utilization.c) and their evidence
 * (fig_utilization_evidence.c): the exact sums both read from the U and UR cells. */
#ifndef CQE_FIG_UTILIZATION_INT_H
#define CQE_FIG_UTILIZATION_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "evidence.h"
#include "figures.h"

/* One metric over U cells: the time weight (s), the fixed-point sum (CQE_FIXED_SCALE),
 * the maximum and the weight per 0.01-wide bucket (bucket b = the value rounded to b/100). */
struct cqe_util_acc {
    __int128 w, s;
    bool has_max;
    double max;
    __int128 hist[101];
};

/* One vm resource's UR vector summed over the period's months: cpu weight, cpu weight
 * under idle_cpu_below, mem weight, mem sum (CQE_UR_MEM_SCALE). */
struct cqe_util_res {
    __int128 cw, cl, mw, ms;
};

/* True when a is a U cell of the period and of target (a provider or CQE_NONE). */
bool cqe_util_cell(const struct cqe_period_eval *pe, size_t target, const struct cqe_agg *a);
/* Adds one U cell (the weights/histograms vector, a fixed-point sum or a maximum) to acc. */
void cqe_util_acc_cell(struct cqe_util_acc acc[CQE_M__COUNT], const struct cqe_cell *c);
/* The time-weighted mean of a (a->w > 0). */
double cqe_util_mean(const struct cqe_util_acc *a);
/* The p-quantile of a's histogram, a bucket value (Readings 9). */
double cqe_util_percentile(const struct cqe_util_acc *a, double p);

/* A vm's share of its CPU time under idle_cpu_below (r->cw > 0). */
double cqe_util_low_cpu_share(const struct cqe_util_res *r);
/* A vm's time-weighted memory mean (r->mw > 0). */
double cqe_util_mem_mean(const struct cqe_util_res *r);

/* Records into ev (borrowed) the evidence of B1.1, B1.2, B2 and B3 from the target's
 * totals per metric and res (by resource index, borrowed): the pools, each mean's
 * distribution by 10-point band, the vm resources' pulls on the memory mean and the
 * vms' time under the idle CPU threshold. Returns 0 or CQE_ENOMEM. */
int cqe_util_evidence(const struct cqe_period_eval *pe, size_t target,
                      const struct cqe_util_acc total[CQE_M__COUNT], const struct cqe_util_res *res,
                      struct cqe_evidence *ev);

#endif
