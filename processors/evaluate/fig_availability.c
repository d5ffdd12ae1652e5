/* Availability of one service in one period (semantics.md "Availability"): agreed time
 * by calendar, maintenance that counts, probe-down minutes and provider-caused incident
 * activity, integrated as the largest down weight over agreed minus excluded time. With
 * a trace (explain) the same pass also records the intervals behind each second. */
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "evidence.h"
#include "figures.h"

/* Where the evidence of one service goes (NULL ev: figures only). */
struct trace {
    struct cqe_evidence *ev;
    void *item;
};

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

enum window_use { W_NOT_HERE, W_COUNTS, W_CANCELLED, W_LATE };

/* Whether window w excludes time of service s: it applies to s (its service, or every
 * service of its provider) and counts when scheduled, not cancelled, announced in time. */
static enum window_use window_use(const struct cqe_view *v, const struct cqe_window *w, size_t s)
{
    if (!(w->service == s || (w->service == CQE_NONE && w->provider == v->svc[s].provider)))
        return W_NOT_HERE;
    if (!w->scheduled)
        return W_CANCELLED;
    return w->latest_ts > w->start - v->cfg->maintenance_notice_s * 1000 ? W_LATE : W_COUNTS;
}

/* Windows that count for service s. */
static void maintenance_time(const struct cqe_period_eval *pe, size_t s, struct cqe_ivl *out)
{
    const struct cqe_view *v = pe->view;
    for (size_t i = 0; i < v->n_win; i++)
        if (window_use(v, &v->win[i], s) == W_COUNTS)
            cqe_ivl_push(out, v->win[i].start, v->win[i].end);
    cqe_ivl_normalize(out);
}

static double impact_factor(const struct cqe_config *cfg, int impact)
{
    return impact == CQE_IMPACT_OUTAGE ? 1.0 : impact == CQE_IMPACT_DEGRADED ? cfg->degraded_weight : 0.0;
}

struct seg {
    int64_t s, e;
    double w;
    size_t local; /* the incident: k - inc_off[s] */
    size_t rank;  /* with a trace: the incident id's rank (ties to the smaller id); else 0 */
};

/* Heap order: the larger weight on top; equal weights by rank (all 0 without a trace,
 * so the figure never depends on it). */
static bool seg_above(const struct seg *x, const struct seg *y)
{
    return x->w > y->w || (x->w == y->w && x->rank < y->rank);
}

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
    while (i > 0 && seg_above(&segs[h[i]], &segs[h[(i - 1) / 2]])) {
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
        if (l < *n && seg_above(&segs[h[l]], &segs[h[m]]))
            m = l;
        if (r < *n && seg_above(&segs[h[r]], &segs[h[m]]))
            m = r;
        if (m == i)
            break;
        size_t t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
}

/* One counted down interval of the trace: an incident's (local index) or a probe-down
 * run (local CQE_NONE), with its counted milliseconds and weight. */
struct piece {
    int64_t s, e, ms;
    double w;
    size_t local;
};

struct pieces {
    struct piece *v;
    size_t n, cap;
    int oom;
};

static void piece_add(struct pieces *p, int64_t a, int64_t b, int64_t ms, double w, size_t local)
{
    if (p->n && p->v[p->n - 1].local == local && local != CQE_NONE && p->v[p->n - 1].e == a) {
        p->v[p->n - 1].e = b; /* the same incident on, without a gap */
        p->v[p->n - 1].ms += ms;
        return;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct piece *nv = realloc(p->v, cap * sizeof *nv);
        if (!nv) {
            p->oom = 1;
            return;
        }
        p->v = nv;
        p->cap = cap;
    }
    p->v[p->n++] = (struct piece){a, b, ms, w, local};
}

static const char *incident_id(const struct cqe_view *v, const struct cqe_incident *in)
{
    return v->incident_ids.keys[in->id];
}

/* With a trace, ranks the incidents of segs by id (ties in weight go to the smaller). */
static void rank_segments(const struct cqe_period_eval *pe, size_t s, struct seg *segs, size_t n)
{
    const struct cqe_view *v = pe->view;
    for (size_t i = 0; i < n; i++) {
        const char *me = incident_id(v, &v->inc[pe->inc_order[pe->inc_off[s] + segs[i].local]]);
        segs[i].rank = 0;
        for (size_t j = 0; j < n; j++) /* explain only: a service's incidents are few */
            if (strcmp(incident_id(v, &v->inc[pe->inc_order[pe->inc_off[s] + segs[j].local]]), me) < 0 &&
                (j == 0 || segs[j].local != segs[j - 1].local))
                segs[i].rank++;
    }
}

/* Weighted incident down time outside probe-down minutes, over `counted`. Returns
 * milliseconds x weight, or -1 on ENOMEM. With pieces, also the counted interval each
 * elementary interval gives to the incident holding the largest weight there. */
static double incident_down(const struct cqe_period_eval *pe, size_t s, const struct cqe_ivl *counted,
                            const struct cqe_ivl *counted_probe, struct pieces *pieces)
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
            segs[n++] = (struct seg){a, b, w, k - pe->inc_off[s], 0};
        }
    }
    if (!n)
        return 0;
    if (pieces)
        rank_segments(pe, s, segs, n);
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
        if (pieces && len > 0)
            piece_add(pieces, a, b, len, w, segs[heap[0]].local);
    }
    free(heap);
    free(bounds);
    free(segs);
    return total;
}

static int cmp_piece(const void *a, const void *b)
{
    const struct piece *x = a, *y = b;
    return (x->s > y->s) - (x->s < y->s);
}

static const char *const impact_names[] = {"outage", "degraded", "none"};
static const char *const cause_names[] = {"provider", "customer", "third_party", "force_majeure"};

/* The incidents of service s active in the span, each with its counted seconds and down
 * seconds from pieces (counted / shadowed), or why it does not count. */
static void trace_incidents(const struct cqe_period_eval *pe, size_t s, const struct pieces *p,
                            const struct trace *tr)
{
    const struct cqe_view *v = pe->view;
    for (size_t k = pe->inc_off[s]; k < pe->inc_off[s + 1]; k++) {
        const struct cqe_incident *in = &v->inc[pe->inc_order[k]];
        if (!cqe_ivl_measure_within(&in->active, pe->period.start_ms, pe->span_end))
            continue; /* not active in the span */
        int64_t ms = 0;
        for (size_t i = 0; i < p->n; i++)
            if (p->v[i].local == k - pe->inc_off[s])
                ms += p->v[i].ms;
        double w = impact_factor(v->cfg, in->impact) * in->scope;
        w = w > 1 ? 1 : w;
        const char *side = in->cause != CQE_CAUSE_PROVIDER ? "not_counted"
                           : w <= 0                        ? "not_counted"
                           : ms > 0                        ? "counted"
                                                           : "shadowed";
        const char *id = incident_id(v, in);
        void *o = cqe_ev_sub(tr->ev, tr->item, "incidents", "incident", id, strlen(id));
        cqe_ev_str(tr->ev, o, "side", side);
        cqe_ev_str(tr->ev, o, "cause", cause_names[in->cause]);
        cqe_ev_str(tr->ev, o, "impact", impact_names[in->impact]);
        cqe_ev_num(tr->ev, o, "scope", in->scope);
        cqe_ev_num(tr->ev, o, "weight", w > 0 ? w : 0);
        cqe_ev_int(tr->ev, o, "severity", in->severity);
        cqe_ev_num(tr->ev, o, "seconds", (double)ms / 1000.0);
        cqe_ev_num(tr->ev, o, "down_s", w > 0 ? w * (double)ms / 1000.0 : 0);
        if (in->cause != CQE_CAUSE_PROVIDER)
            cqe_ev_str(tr->ev, o, "reason", "not provider-caused");
        else if (w <= 0)
            cqe_ev_str(tr->ev, o, "reason", "impact none or scope 0");
        else if (!ms)
            cqe_ev_str(tr->ev, o, "reason",
                       "covered by a heavier incident, a probe-down minute, "
                       "maintenance or time outside the agreed hours");
    }
}

/* The down intervals of pieces in time order, and the windows that apply to service s
 * in the span: each counting window's excluded seconds (agreed time not already excluded
 * by an earlier window, so they add up to maintenance_s), the others with why not. */
static int trace_intervals(const struct cqe_period_eval *pe, size_t s, struct pieces *p,
                           const struct cqe_ivl *agreed, const struct trace *tr)
{
    const struct cqe_view *v = pe->view;
    if (p->n) /* an up service has no pieces: p->v is NULL, which qsort may not be given */
        qsort(p->v, p->n, sizeof *p->v, cmp_piece);
    for (size_t i = 0; i < p->n; i++) {
        const struct piece *x = &p->v[i];
        const char *id =
            x->local == CQE_NONE ? NULL : incident_id(v, &v->inc[pe->inc_order[pe->inc_off[s] + x->local]]);
        void *o = cqe_ev_sub(tr->ev, tr->item, "intervals", x->local == CQE_NONE ? "probe_down" : "incident",
                             id, id ? strlen(id) : 0);
        cqe_ev_time(tr->ev, o, "from", x->s);
        cqe_ev_time(tr->ev, o, "to", x->e);
        cqe_ev_num(tr->ev, o, "seconds", (double)x->ms / 1000.0);
        cqe_ev_num(tr->ev, o, "weight", x->w);
        cqe_ev_num(tr->ev, o, "down_s", x->w * (double)x->ms / 1000.0);
    }
    /* windows by start, then id */
    size_t *order = malloc((v->n_win ? v->n_win : 1) * sizeof *order), n = 0;
    struct cqe_ivl prev = {0}, one = {0}, both = {0}, part = {0};
    int rc = 0;
    if (!order)
        return CQE_ENOMEM;
    for (size_t i = 0; i < v->n_win; i++)
        if (window_use(v, &v->win[i], s) != W_NOT_HERE && v->win[i].start < pe->span_end &&
            v->win[i].end > pe->period.start_ms)
            order[n++] = i;
    for (size_t i = 1; i < n; i++) /* insertion sort: a service's windows in a period are few */
        for (size_t j = i; j > 0; j--) {
            const struct cqe_window *a = &v->win[order[j - 1]], *b = &v->win[order[j]];
            if (a->start < b->start ||
                (a->start == b->start && strcmp(v->window_ids.keys[a->id], v->window_ids.keys[b->id]) <= 0))
                break;
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        const struct cqe_window *w = &v->win[order[i]];
        enum window_use use = window_use(v, w, s);
        const char *id = v->window_ids.keys[w->id];
        void *o = cqe_ev_sub(tr->ev, tr->item, "maintenance", "maintenance", id, strlen(id));
        cqe_ev_time(tr->ev, o, "from", w->start);
        cqe_ev_time(tr->ev, o, "to", w->end);
        cqe_ev_str(tr->ev, o, "side", use == W_COUNTS ? "excluded" : "not_excluded");
        double sec = 0;
        if (use == W_COUNTS) {
            cqe_ivl_clear(&one);
            cqe_ivl_push(&one, w->start, w->end);
            cqe_ivl_intersect(&one, agreed, &both);
            cqe_ivl_subtract(&both, &prev, &part);
            sec = (double)cqe_ivl_measure(&part) / 1000.0;
            for (size_t j = 0; j < both.n; j++)
                cqe_ivl_push(&prev, both.v[j].s, both.v[j].e);
            cqe_ivl_normalize(&prev);
        } else {
            cqe_ev_str(tr->ev, o, "reason",
                       use == W_CANCELLED ? "cancelled"
                                          : "announced less than maintenance_notice_s before its start");
        }
        cqe_ev_num(tr->ev, o, "seconds", sec);
    }
    if (prev.oom || one.oom || both.oom || part.oom)
        rc = CQE_ENOMEM;
    free(order);
    cqe_ivl_free(&prev);
    cqe_ivl_free(&one);
    cqe_ivl_free(&both);
    cqe_ivl_free(&part);
    return rc;
}

static int service_eval(const struct cqe_period_eval *pe, size_t s, struct cqe_service_figures *out,
                        const struct trace *tr)
{
    const struct cqe_view *v = pe->view;
    const struct cqe_service *sv = &v->svc[s];
    int64_t S = pe->period.start_ms, E = pe->span_end;
    struct cqe_ivl agreed = {0}, maint = {0}, excluded = {0}, counted = {0}, probe = {0}, counted_probe = {0};
    struct pieces pieces = {0};
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
    if (tr)
        for (size_t i = 0; i < counted_probe.n; i++)
            piece_add(&pieces, counted_probe.v[i].s, counted_probe.v[i].e,
                      counted_probe.v[i].e - counted_probe.v[i].s, 1.0, CQE_NONE);

    double inc_ms = incident_down(pe, s, &counted, &counted_probe, tr ? &pieces : NULL);
    if (inc_ms < 0 || agreed.oom || maint.oom || excluded.oom || counted.oom || probe.oom ||
        counted_probe.oom || pieces.oom) {
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
    if (tr) {
        trace_incidents(pe, s, &pieces, tr);
        rc = trace_intervals(pe, s, &pieces, &agreed, tr);
    }
out:
    free(pieces.v);
    cqe_ivl_free(&agreed);
    cqe_ivl_free(&maint);
    cqe_ivl_free(&excluded);
    cqe_ivl_free(&counted);
    cqe_ivl_free(&probe);
    cqe_ivl_free(&counted_probe);
    return rc;
}

int cqe_fig_service(const struct cqe_period_eval *pe, size_t s, struct cqe_service_figures *out)
{
    return service_eval(pe, s, out, NULL);
}

int cqe_fig_service_evidence(const struct cqe_period_eval *pe, size_t s, struct cqe_service_figures *out,
                             struct cqe_evidence *ev, void *item)
{
    const struct trace tr = {ev, item};
    return service_eval(pe, s, out, &tr);
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
