/* Availability of one service in one period (semantics.md "Availability"): agreed time
 * by calendar, maintenance that counts, probe-down minutes and provider-caused incident
 * activity, integrated as the largest down weight over agreed minus excluded time. */
#include <stdlib.h>

#include "event.h"
#include "figures.h"

#define MS_PER_HOUR INT64_C(3600000)

static void agreed_time(const struct cqe_period_eval *pe, const struct cqe_service *sv, struct cqe_ivl *out)
{
    int64_t S = pe->period.start_ms, E = pe->span_end;
    const struct cqe_config *cfg = pe->view->cfg;
    if (sv->calendar == CQE_CAL_7X24) {
        cqe_ivl_push(out, S, E);
        return;
    }
    if (E <= S)
        return;
    int off = cfg->utc_offset_min;
    for (int64_t day = cqe_local_day(S, off); day <= cqe_local_day(E - 1, off); day++) {
        if (!cqe_config_is_workday(cfg, day))
            continue;
        int64_t mid = cqe_local_midnight(day, off);
        const int64_t hours[2][2] = {{8, 12}, {14, 18}};
        for (int i = 0; i < 2; i++) {
            int64_t a = mid + hours[i][0] * MS_PER_HOUR, b = mid + hours[i][1] * MS_PER_HOUR;
            cqe_ivl_push(out, a > S ? a : S, b < E ? b : E);
        }
    }
}

/* Windows that count for service s (scheduled, not cancelled, announced in time). */
static void maintenance_time(const struct cqe_period_eval *pe, size_t s, struct cqe_ivl *out)
{
    const struct cqe_view *v = pe->view;
    int64_t notice_ms = v->cfg->maintenance_notice_s * 1000;
    for (size_t i = 0; i < v->n_win; i++) {
        const struct cqe_window *w = &v->win[i];
        if (!w->scheduled || w->latest_ts > w->start - notice_ms)
            continue;
        if (w->service == s || (w->service == CQE_NONE && w->provider == v->svc[s].provider))
            cqe_ivl_push(out, w->start, w->end);
    }
    cqe_ivl_normalize(out);
}

static double impact_factor(const struct cqe_config *cfg, int impact)
{
    return impact == CQE_IMPACT_OUTAGE ? 1.0 : impact == CQE_IMPACT_DEGRADED ? cfg->degraded_weight : 0.0;
}

struct seg {
    int64_t s, e;
    double w;
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_seg_start(const void *a, const void *b)
{
    const struct seg *x = a, *y = b;
    return (x->s > y->s) - (x->s < y->s);
}

/* A max-heap of segment indexes by weight. */
static void heap_push(size_t *h, size_t *n, const struct seg *segs, size_t v)
{
    size_t i = (*n)++;
    h[i] = v;
    while (i > 0 && segs[h[(i - 1) / 2]].w < segs[h[i]].w) {
        size_t p = (i - 1) / 2, t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
    }
}

static void heap_pop(size_t *h, size_t *n, const struct seg *segs)
{
    h[0] = h[--*n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && segs[h[l]].w > segs[h[m]].w)
            m = l;
        if (r < *n && segs[h[r]].w > segs[h[m]].w)
            m = r;
        if (m == i)
            break;
        size_t t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
}

/* Weighted incident down time outside probe-down minutes, over `counted`. Returns
 * milliseconds x weight, or -1 on ENOMEM. */
static double incident_down(const struct cqe_period_eval *pe, size_t s, const struct cqe_ivl *counted,
                            const struct cqe_ivl *counted_probe)
{
    const struct cqe_view *v = pe->view;
    struct seg *segs = NULL;
    size_t n = 0, cap = 0;
    double total = 0;
    for (size_t k = pe->inc_off[s]; k < pe->inc_off[s + 1]; k++) {
        const struct cqe_incident *in = &v->inc[pe->inc_order[k]];
        if (in->cause != CQE_CAUSE_PROVIDER)
            continue;
        double w = impact_factor(v->cfg, in->impact) * in->scope;
        if (w > 1)
            w = 1;
        if (w <= 0)
            continue;
        for (size_t j = 0; j < in->active.n; j++) {
            int64_t a = in->active.v[j].s, b = in->active.v[j].e;
            if (a < pe->period.start_ms)
                a = pe->period.start_ms;
            if (b > pe->span_end)
                b = pe->span_end;
            if (b <= a)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                struct seg *ns = realloc(segs, cap * sizeof *ns);
                if (!ns) {
                    free(segs);
                    return -1;
                }
                segs = ns;
            }
            segs[n++] = (struct seg){a, b, w};
        }
    }
    if (!n)
        return 0;
    /* sweep the elementary intervals between segment bounds in order, keeping the active
     * segments in a max-heap by weight (ended ones dropped when they reach the top):
     * the down weight of [a, b) is the largest weight of a segment with s <= a < e */
    int64_t *bounds = malloc(2 * n * sizeof *bounds);
    size_t *heap = malloc(n * sizeof *heap);
    if (!bounds || !heap) {
        free(bounds);
        free(heap);
        free(segs);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        bounds[2 * i] = segs[i].s;
        bounds[2 * i + 1] = segs[i].e;
    }
    qsort(bounds, 2 * n, sizeof *bounds, cmp_i64);
    qsort(segs, n, sizeof *segs, cmp_seg_start);
    size_t next = 0, hn = 0;
    for (size_t i = 0; i + 1 < 2 * n; i++) {
        int64_t a = bounds[i], b = bounds[i + 1];
        if (b <= a)
            continue;
        while (next < n && segs[next].s <= a)
            heap_push(heap, &hn, segs, next++);
        while (hn && segs[heap[0]].e <= a)
            heap_pop(heap, &hn, segs);
        double w = hn ? segs[heap[0]].w : 0;
        if (w <= 0)
            continue;
        int64_t len = cqe_ivl_measure_within(counted, a, b) - cqe_ivl_measure_within(counted_probe, a, b);
        total += w * (double)len;
    }
    free(heap);
    free(bounds);
    free(segs);
    return total;
}

int cqe_fig_service(const struct cqe_period_eval *pe, size_t s, struct cqe_service_figures *out)
{
    const struct cqe_view *v = pe->view;
    const struct cqe_service *sv = &v->svc[s];
    int64_t S = pe->period.start_ms, E = pe->span_end;
    struct cqe_ivl agreed = {0}, maint = {0}, excluded = {0}, counted = {0}, probe = {0}, counted_probe = {0};
    int rc = 0;

    out->service = s;
    out->id = v->services.keys[s];
    out->id_len = v->services.lens[s];
    agreed_time(pe, sv, &agreed);
    maintenance_time(pe, s, &maint);
    cqe_ivl_intersect(&agreed, &maint, &excluded);
    cqe_ivl_subtract(&agreed, &maint, &counted);

    int64_t minutes_with_data = 0;
    out->probe_down_minutes = 0;
    /* only minutes that meet [S, E) count (pm is sorted): found by bisection, so a short
     * window (the alerts') costs its own minutes, not the service's history */
    size_t lo = 0, hi = sv->n_pm;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((sv->pm[mid].minute + 1) * 60000 <= S)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < sv->n_pm && sv->pm[i].minute * 60000 < E; i++) {
        const struct cqe_probe_minute *m = &sv->pm[i];
        int64_t a = m->minute * 60000;
        bool down = m->fail > m->ok; /* more than half failed */
        if (down)
            cqe_ivl_push(&probe, a, a + 60000);
        if (a >= S && a < E) {
            minutes_with_data++;
            out->probe_down_minutes += down;
        }
    }
    cqe_ivl_normalize(&probe);
    cqe_ivl_intersect(&counted, &probe, &counted_probe);

    double inc_ms = incident_down(pe, s, &counted, &counted_probe);
    if (inc_ms < 0 || agreed.oom || maint.oom || excluded.oom || counted.oom || probe.oom ||
        counted_probe.oom) {
        rc = CQE_ENOMEM;
        goto out;
    }
    out->agreed_s = (double)cqe_ivl_measure(&agreed) / 1000.0;
    out->maintenance_s = (double)cqe_ivl_measure(&excluded) / 1000.0;
    out->downtime_s = ((double)cqe_ivl_measure(&counted_probe) + inc_ms) / 1000.0;
    double denom = out->agreed_s - out->maintenance_s;
    out->availability.has = denom > 0;
    out->availability.v = denom > 0 ? 1.0 - out->downtime_s / denom : 0;
    out->sla_met = out->availability.has && out->availability.v >= sv->target - 1e-12;

    int64_t span_minutes = E > S ? (E - S + 59999) / 60000 : 0;
    out->probe_coverage.has = sv->has_probe && span_minutes > 0;
    out->probe_coverage.v = out->probe_coverage.has ? (double)minutes_with_data / (double)span_minutes : 0;

    out->incidents = 0;
    for (size_t k = pe->inc_off[s]; k < pe->inc_off[s + 1]; k++) {
        const struct cqe_incident *in = &v->inc[pe->inc_order[k]];
        if (in->has_open && in->open_ts >= S && in->open_ts < pe->period.end_ms)
            out->incidents++;
    }
out:
    cqe_ivl_free(&agreed);
    cqe_ivl_free(&maint);
    cqe_ivl_free(&excluded);
    cqe_ivl_free(&counted);
    cqe_ivl_free(&probe);
    cqe_ivl_free(&counted_probe);
    return rc;
}

double cqe_fig_incident_downtime(const struct cqe_period_eval *pe, size_t i)
{
    const struct cqe_view *v = pe->view;
    const struct cqe_incident *in = &v->inc[i];
    if (in->service == CQE_NONE || in->cause != CQE_CAUSE_PROVIDER)
        return 0;
    double w = impact_factor(v->cfg, in->impact) * in->scope;
    if (w <= 0)
        return 0;
    struct cqe_ivl agreed = {0}, maint = {0}, counted = {0}, both = {0};
    agreed_time(pe, &v->svc[in->service], &agreed);
    maintenance_time(pe, in->service, &maint);
    cqe_ivl_subtract(&agreed, &maint, &counted);
    cqe_ivl_intersect(&counted, &in->active, &both);
    double s = (w > 1 ? 1 : w) * (double)cqe_ivl_measure(&both) / 1000.0;
    cqe_ivl_free(&agreed);
    cqe_ivl_free(&maint);
    cqe_ivl_free(&counted);
    cqe_ivl_free(&both);
    return s;
}
