/* Service management beyond SLA: migrations (A5.2, distinct ids done in P, successful
 * when any done in P is ok, verified and not after the latest plan's end) and operation
 * traceability (A5.3). */
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "figures.h"

/* Why a done event d does not make its migration successful (NULL when it does). */
static const char *migration_fault(const struct cqe_view *v, const struct cqe_migration_done *d)
{
    if (!d->ok)
        return "not ok";
    if (!d->verified)
        return "data not verified";
    if (!v->mig_has_plan[d->migration])
        return "no plan (not on time)";
    return d->ts > v->mig_plan_end[d->migration] ? "done after planned_end" : NULL;
}

/* Each migration done in P: successful or failed with the fault of its latest done. */
static void migration_evidence(const struct cqe_period_eval *pe, size_t target, const unsigned char *state,
                               struct cqe_evidence *ev, int64_t done)
{
    const struct cqe_view *v = pe->view;
    for (size_t m = 0; m < v->migration_ids.n; m++) {
        if (!state[m])
            continue;
        const struct cqe_migration_done *last = NULL;
        for (size_t i = 0; i < v->n_mig_done; i++) {
            const struct cqe_migration_done *d = &v->mig_done[i];
            if (d->migration == m && d->ts >= pe->period.start_ms && d->ts < pe->period.end_ms &&
                (target == CQE_NONE || d->provider == target) && (!last || d->ts > last->ts))
                last = d;
        }
        bool good = state[m] == 2;
        cqe_ev_tally(ev, CQE_LEAF_A5_2, good ? "successful" : "failed");
        void *o = cqe_ev_item(ev, CQE_LEAF_A5_2, "migration", v->migration_ids.keys[m],
                              v->migration_ids.lens[m], good ? "successful" : "failed", !good);
        cqe_ev_time(ev, o, "done", last->ts);
        if (v->mig_has_plan[m])
            cqe_ev_time(ev, o, "planned_end", v->mig_plan_end[m]);
        if (!good)
            cqe_ev_str(ev, o, "reason", migration_fault(v, last));
    }
    cqe_ev_effects(ev, CQE_LEAF_A5_2, done ? 1.0 / (double)done : 0);
}

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
        bool good = !migration_fault(v, d);
        if (state[d->migration] < (good ? 2 : 1))
            state[d->migration] = good ? 2 : 1;
    }
    int64_t done = 0, good = 0;
    for (size_t i = 0; i < n; i++) {
        done += state[i] > 0;
        good += state[i] == 2;
    }
    if (out->ev)
        migration_evidence(pe, target, state, out->ev, done);
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
        bool all = a->cell->field_len == 1 && a->cell->field[0] == 'n';
        if (all)
            n += a->cell->sum;
        else
            traced += a->cell->sum;
        if (out->ev)
            cqe_ev_month_count(out->ev, CQE_LEAF_A5_3, a, all ? "events" : "traced");
    }
    out->leaf[CQE_LEAF_A5_3] = (struct cqe_opt){n > 0, n > 0 ? (double)traced / (double)n : 0};
    if (out->ev)
        cqe_ev_month_effects(out->ev, CQE_LEAF_A5_3, "events", "traced", (double)n);
}
