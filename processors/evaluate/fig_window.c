/* Down time of a service over any window [from, to), as availability counts it (agreed
 * time outside maintenance; probe-down minutes, then weighted provider incidents): what
 * the burn-rate alerts of outputs.md measure, on the same derivation as the periods. */
#include "figures.h"

int cqe_fig_window_down(const struct cqe_period_eval *pe, size_t s, int64_t from, int64_t to, double *down_s)
{
    struct cqe_period_eval w = *pe;
    struct cqe_service_figures f;
    w.period.start_ms = from;
    w.span_end = to > from ? to : from;
    int rc = cqe_fig_service(&w, s, &f);
    *down_s = rc ? 0 : f.downtime_s;
    return rc;
}

/* The first probe minute of sv at or after minute m (binary search; sv->pm is sorted). */
static size_t first_minute_at(const struct cqe_service *sv, int64_t m)
{
    size_t lo = 0, hi = sv->n_pm;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sv->pm[mid].minute < m)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool cqe_fig_window_may_be_down(const struct cqe_period_eval *pe, size_t s, int64_t from, int64_t to)
{
    const struct cqe_view *v = pe->view;
    const struct cqe_service *sv = &v->svc[s];
    for (size_t i = first_minute_at(sv, from / 60000 - 1); i < sv->n_pm && sv->pm[i].minute * 60000 < to; i++)
        if (sv->pm[i].fail > sv->pm[i].ok)
            return true;
    for (size_t k = pe->inc_off[s]; k < pe->inc_off[s + 1]; k++) {
        const struct cqe_incident *in = &v->inc[pe->inc_order[k]];
        for (size_t j = 0; j < in->active.n; j++)
            if (in->active.v[j].s < to && in->active.v[j].e > from)
                return true;
    }
    return false;
}

int64_t cqe_fig_last_probe_end(const struct cqe_view *v, size_t s)
{
    const struct cqe_service *sv = &v->svc[s];
    return sv->n_pm ? (sv->pm[sv->n_pm - 1].minute + 1) * 60000 : -1;
}
