/* Drills (A3.3 DR, A4.1 emergency): D = max(distinct drills planned in P, the yearly
 * requirement on year periods); value = min(1, distinct successful drills done in P / D). */
#include <string.h>

#include "evidence.h"
#include "figures.h"
#include "strmap.h"

/* Every drill of the kind named in P: planned and done successfully or not; successes
 * count up to the requirement D, each missing one costs 1 / D. */
static void drill_evidence(struct cqe_evidence *ev, enum cqe_leaf l, const struct cqe_strmap *planned,
                           const struct cqe_strmap *success, int64_t d)
{
    for (size_t i = 0; i < planned->n; i++) {
        bool ok = cqe_strmap_find(success, planned->keys[i], planned->lens[i]) != SIZE_MAX;
        cqe_ev_tally(ev, l, ok ? "planned_and_successful" : "planned_not_successful");
        cqe_ev_item(ev, l, "drill", planned->keys[i], planned->lens[i], ok ? "successful" : "not_successful",
                    !ok);
    }
    for (size_t i = 0; i < success->n; i++)
        if (cqe_strmap_find(planned, success->keys[i], success->lens[i]) == SIZE_MAX) {
            cqe_ev_tally(ev, l, "unplanned_successful");
            cqe_ev_item(ev, l, "drill", success->keys[i], success->lens[i], "successful", false);
        }
    void *sum = cqe_ev_summary(ev, l);
    cqe_ev_int(ev, sum, "planned", (int64_t)planned->n);
    cqe_ev_int(ev, sum, "successful", (int64_t)success->n);
    cqe_ev_int(ev, sum, "required", d);
    int64_t missing = d - (int64_t)success->n;
    if ((int64_t)planned->n < d && missing > 0) { /* the yearly requirement beyond the plan */
        void *o = cqe_ev_item(ev, l, "requirement", NULL, 0, "not_planned", true);
        cqe_ev_int(ev, o, "missing", d - (int64_t)planned->n);
        cqe_ev_num(ev, o, "effect", (double)(d - (int64_t)planned->n) / (double)d);
    }
    cqe_ev_effects(ev, l, d > 0 && missing > 0 ? 1.0 / (double)d : 0);
}

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
        if (out->ev)
            drill_evidence(out->ev, leaf[kind], &planned, &success, d);
        if (planned.oom || success.oom)
            rc = CQE_ENOMEM;
        cqe_strmap_free(&planned);
        cqe_strmap_free(&success);
    }
    return rc;
}
