/* Service management beyond SLA: migrations (A5.2, distinct ids done in P, successful
 * when any done in P is ok, verified and not after the latest plan's end) and operation
 * traceability (A5.3). */
#include <stdlib.h>

#include "figures.h"

int cqe_fig_migrations(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    size_t n = v->migration_ids.n;
    unsigned char *state = calloc(n ? n : 1, 1); /* 1 = done in P, 2 = successful */
    if (!state)
        return CQE_ENOMEM;
    for (size_t i = 0; i < v->n_mig_done; i++) {
        const struct cqe_migration_done *d = &v->mig_done[i];
        if (d->ts < pe->period.start_ms || d->ts >= pe->period.end_ms ||
            (target != CQE_NONE && d->provider != target))
            continue;
        bool good =
            d->ok && d->verified && v->mig_has_plan[d->migration] && d->ts <= v->mig_plan_end[d->migration];
        if (state[d->migration] < (good ? 2 : 1))
            state[d->migration] = good ? 2 : 1;
    }
    int64_t done = 0, good = 0;
    for (size_t i = 0; i < n; i++) {
        done += state[i] > 0;
        good += state[i] == 2;
    }
    free(state);
    out->leaf[CQE_LEAF_A5_2] = (struct cqe_opt){done > 0, done ? (double)good / (double)done : 0};
    return 0;
}

void cqe_fig_audit(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    __int128 n = 0, traced = 0;
    for (size_t i = 0; i < v->n_aggs; i++) {
        const struct cqe_agg *a = &v->aggs[i];
        if (a->fam != CQE_AGG_AU || !cqe_period_has_month(&pe->period, a->month) ||
            (target != CQE_NONE && a->provider != target))
            continue;
        if (a->cell->field_len == 1 && a->cell->field[0] == 'n')
            n += a->cell->sum;
        else
            traced += a->cell->sum;
    }
    out->leaf[CQE_LEAF_A5_3] = (struct cqe_opt){n > 0, n > 0 ? (double)traced / (double)n : 0};
}
