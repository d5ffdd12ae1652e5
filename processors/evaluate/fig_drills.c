/* Drills (A3.3 DR, A4.1 emergency): D = max(distinct drills planned in P, the yearly
 * requirement on year periods); value = min(1, distinct successful drills done in P / D). */
#include <string.h>

#include "figures.h"
#include "strmap.h"

int cqe_fig_drills(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    static const enum cqe_leaf leaf[2] = {CQE_LEAF_A3_3, CQE_LEAF_A4_1};
    int rc = 0;
    for (size_t kind = 0; kind < 2; kind++) {
        struct cqe_strmap planned = {0}, success = {0};
        for (size_t i = 0; i < v->n_aggs; i++) {
            const struct cqe_agg *a = &v->aggs[i];
            if (a->fam != CQE_AGG_D || a->aux != kind || !cqe_period_has_month(&pe->period, a->month) ||
                (target != CQE_NONE && a->provider != target))
                continue;
            const struct cqe_cell *c = a->cell;
            /* members "p|<drill>", "d|<drill>", "s|<drill>" (escaped id: compared as is) */
            if (c->field[0] == 'p')
                cqe_strmap_intern(&planned, c->field + 2, c->field_len - 2, NULL);
            else if (c->field[0] == 's')
                cqe_strmap_intern(&success, c->field + 2, c->field_len - 2, NULL);
        }
        int64_t d = (int64_t)planned.n;
        if (pe->period.kind == CQE_PERIOD_YEAR && v->cfg->drill_required[kind] > d)
            d = v->cfg->drill_required[kind];
        double val = d > 0 ? (double)success.n / (double)d : 0;
        out->leaf[leaf[kind]] = (struct cqe_opt){d > 0, val > 1 ? 1 : val};
        if (planned.oom || success.oom)
            rc = CQE_ENOMEM;
        cqe_strmap_free(&planned);
        cqe_strmap_free(&success);
    }
    return rc;
}
