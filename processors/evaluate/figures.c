/* Orchestration of the figures: services in scope and their figures per period, then
 * every figure of a target or a department (see figures.h). */
#include "figures.h"

#include <stdlib.h>
#include <string.h>

#include "evidence.h"

const char *cqe_leaf_name(enum cqe_leaf l)
{
    static const char *const names[] = {
#define CQE_LEAF_NAME(e, s) s,
        CQE_LEAF_LIST(CQE_LEAF_NAME)
#undef CQE_LEAF_NAME
    };
    return names[l];
}

bool cqe_period_has_month(const struct cqe_period *p, int64_t m)
{
    int64_t first;
    int count;
    cqe_period_months(p, &first, &count);
    return m >= first && m < first + count;
}

static int cmp_service_id(const void *a, const void *b)
{
    const struct cqe_service_figures *x = a, *y = b;
    int c = memcmp(x->id, y->id, x->id_len < y->id_len ? x->id_len : y->id_len);
    return c ? c : (x->id_len > y->id_len) - (x->id_len < y->id_len);
}

int cqe_period_eval_init(struct cqe_period_eval *pe, const struct cqe_view *v, const struct cqe_period *p,
                         int64_t as_of)
{
    memset(pe, 0, sizeof *pe);
    pe->view = v;
    pe->period = *p;
    pe->as_of = as_of;
    pe->span_end = as_of < p->end_ms ? as_of : p->end_ms;
    if (pe->span_end < p->start_ms)
        pe->span_end = p->start_ms;
    size_t ns = v->services.n, ni = v->incident_ids.n;
    pe->in_scope = calloc(ns ? ns : 1, sizeof *pe->in_scope);
    pe->inc_off = calloc(ns + 1, sizeof *pe->inc_off);
    pe->inc_order = calloc(ni ? ni : 1, sizeof *pe->inc_order);
    pe->svc = calloc(ns ? ns : 1, sizeof *pe->svc);
    if (!pe->in_scope || !pe->inc_off || !pe->inc_order || !pe->svc)
        goto oom;

    /* incidents grouped by their latest service (counting sort) */
    for (size_t i = 0; i < ni; i++)
        if (v->inc[i].service != CQE_NONE)
            pe->inc_off[v->inc[i].service + 1]++;
    for (size_t s = 0; s < ns; s++)
        pe->inc_off[s + 1] += pe->inc_off[s];
    size_t *fill = calloc(ns ? ns : 1, sizeof *fill);
    if (!fill)
        goto oom;
    for (size_t i = 0; i < ni; i++) {
        size_t s = v->inc[i].service;
        if (s != CQE_NONE)
            pe->inc_order[pe->inc_off[s] + fill[s]++] = i;
    }
    free(fill);

    /* scope: catalog, probes in P, incidents whose first open is in P (Readings 16) */
    for (size_t s = 0; s < ns; s++) {
        const struct cqe_service *sv = &v->svc[s];
        bool in = sv->in_catalog;
        for (size_t j = 0; !in && j < sv->n_probe_months; j++)
            in = cqe_period_has_month(p, sv->probe_months[j]);
        for (size_t k = pe->inc_off[s]; !in && k < pe->inc_off[s + 1]; k++) {
            const struct cqe_incident *inc = &v->inc[pe->inc_order[k]];
            in = inc->has_open && inc->open_ts >= p->start_ms && inc->open_ts < p->end_ms;
        }
        pe->in_scope[s] = in && sv->provider != CQE_NONE;
    }
    for (size_t s = 0; s < ns; s++) {
        if (!pe->in_scope[s])
            continue;
        if (cqe_fig_service(pe, s, &pe->svc[pe->n_svc]))
            goto oom;
        pe->n_svc++;
    }
    qsort(pe->svc, pe->n_svc, sizeof *pe->svc, cmp_service_id);
    return 0;
oom:
    cqe_period_eval_fini(pe);
    return CQE_ENOMEM;
}

void cqe_period_eval_fini(struct cqe_period_eval *pe)
{
    free(pe->in_scope);
    free(pe->inc_off);
    free(pe->inc_order);
    free(pe->svc);
    memset(pe, 0, sizeof *pe);
}

/* Service-level aggregates of a target: A1.1, A5.1 and the availability figures. */
static void service_aggregates(const struct cqe_period_eval *pe, size_t target,
                               struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    double wsum = 0, wa = 0, cov = 0;
    int64_t evaluable = 0, met = 0, with_cov = 0;
    for (size_t i = 0; i < pe->n_svc; i++) {
        const struct cqe_service_figures *f = &pe->svc[i];
        const struct cqe_service *sv = &v->svc[f->service];
        if (target != CQE_NONE && sv->provider != target)
            continue;
        out->services++;
        out->agreed_s += f->agreed_s;
        out->maintenance_s += f->maintenance_s;
        out->downtime_s += f->downtime_s;
        if (f->probe_coverage.has) {
            cov += f->probe_coverage.v;
            with_cov++;
        }
        if (!f->availability.has)
            continue;
        evaluable++;
        met += f->sla_met;
        wsum += sv->weight;
        wa += sv->weight * f->availability.v;
    }
    out->availability = (struct cqe_opt){wsum > 0, wsum > 0 ? wa / wsum : 0};
    out->leaf[CQE_LEAF_A1_1] = out->availability;
    out->leaf[CQE_LEAF_A5_1] =
        (struct cqe_opt){evaluable > 0, evaluable ? (double)met / (double)evaluable : 0};
    out->probe_coverage = (struct cqe_opt){with_cov > 0, with_cov ? cov / (double)with_cov : 0};

    int64_t notice_ms = v->cfg->maintenance_notice_s * 1000;
    for (size_t i = 0; i < v->n_win; i++) {
        const struct cqe_window *w = &v->win[i];
        if (w->scheduled && w->latest_ts > w->start - notice_ms && w->start < pe->period.end_ms &&
            w->end > pe->period.start_ms && (target == CQE_NONE || w->provider == target))
            out->maintenance_late_notice++;
    }
}

/* The services of a target behind A1.1 (each one's pull on the weighted mean, with the
 * intervals behind its down time) and A5.1 (met or missed), recomputed on the figure's
 * own code path with a trace. */
static int explain_services(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    struct cqe_evidence *ev = out->ev;
    if (!cqe_ev_wants(ev, CQE_LEAF_A1_1) && !cqe_ev_wants(ev, CQE_LEAF_A5_1))
        return 0; /* a trace per service is the costly part: only when asked for */
    double wsum = 0;
    int64_t evaluable = 0;
    for (size_t i = 0; i < pe->n_svc; i++) {
        const struct cqe_service_figures *f = &pe->svc[i];
        if ((target == CQE_NONE || v->svc[f->service].provider == target) && f->availability.has) {
            wsum += v->svc[f->service].weight;
            evaluable++;
        }
    }
    for (size_t i = 0; i < pe->n_svc; i++) {
        const struct cqe_service *sv = &v->svc[pe->svc[i].service];
        if (target != CQE_NONE && sv->provider != target)
            continue;
        struct cqe_service_figures f;
        bool has = pe->svc[i].availability.has;
        const char *side = !has ? "not_evaluable" : pe->svc[i].sla_met ? "met" : "missed";
        void *o = cqe_ev_item(ev, CQE_LEAF_A1_1, "service", pe->svc[i].id, pe->svc[i].id_len, side,
                              has && pe->svc[i].downtime_s > 0);
        cqe_ev_num(ev, o, "weight", sv->weight);
        cqe_ev_num(ev, o, "target", sv->target);
        cqe_ev_str(ev, o, "calendar", sv->calendar == CQE_CAL_5X8 ? "5x8" : "7x24");
        if (cqe_fig_service_evidence(pe, pe->svc[i].service, &f, ev, o))
            return CQE_ENOMEM;
        cqe_ev_opt(ev, o, "availability", f.availability);
        cqe_ev_num(ev, o, "agreed_s", f.agreed_s);
        cqe_ev_num(ev, o, "maintenance_s", f.maintenance_s);
        cqe_ev_num(ev, o, "counted_s", f.agreed_s - f.maintenance_s);
        cqe_ev_num(ev, o, "downtime_s", f.downtime_s);
        cqe_ev_int(ev, o, "probe_down_minutes", f.probe_down_minutes);
        cqe_ev_opt(ev, o, "probe_coverage", f.probe_coverage);
        /* its pull on A1.1 = 1 - sum of w_s A_s / sum of w_s: the pulls add up to 1 - A1.1 */
        cqe_ev_num(ev, o, "effect", has && wsum > 0 ? sv->weight / wsum * (1.0 - f.availability.v) : 0);
        void *m = cqe_ev_item(ev, CQE_LEAF_A5_1, "service", f.id, f.id_len, side, has && !f.sla_met);
        cqe_ev_opt(ev, m, "availability", f.availability);
        cqe_ev_num(ev, m, "target", sv->target);
    }
    cqe_ev_effects(ev, CQE_LEAF_A5_1, evaluable ? 1.0 / (double)evaluable : 0);
    return ev->rc;
}

static int target_figures(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out,
                          struct cqe_evidence *ev)
{
    memset(out, 0, sizeof *out);
    out->target = target;
    out->ev = ev;
    service_aggregates(pe, target, out);
    cqe_fig_tickets(pe, target, out);
    cqe_fig_satisfaction(pe, target, out);
    cqe_fig_vulns(pe, target, out);
    cqe_fig_audit(pe, target, out);
    if (cqe_fig_incidents(pe, target, out) || cqe_fig_backups(pe, target, out) ||
        cqe_fig_drills(pe, target, out) || cqe_fig_migrations(pe, target, out) ||
        cqe_fig_utilization(pe, target, out) || cqe_fig_assets(pe, target, out) ||
        (ev && explain_services(pe, target, out))) {
        cqe_target_figures_fini(out);
        return CQE_ENOMEM;
    }
    if (ev) {
        cqe_evidence_sort(ev);
        if (ev->rc) {
            cqe_target_figures_fini(out);
            return ev->rc;
        }
    }
    out->ev = NULL;
    return 0;
}

int cqe_target_figures_compute(const struct cqe_period_eval *pe, size_t target,
                               struct cqe_target_figures *out)
{
    return target_figures(pe, target, out, NULL);
}

int cqe_target_figures_explain(const struct cqe_period_eval *pe, size_t target,
                               struct cqe_target_figures *out, struct cqe_evidence *ev)
{
    return target_figures(pe, target, out, ev);
}

void cqe_target_figures_fini(struct cqe_target_figures *f)
{
    for (size_t i = 0; i < f->n_veto; i++)
        free(f->veto[i]);
    free(f->veto);
    f->veto = NULL;
    f->n_veto = 0;
}

int cqe_dept_figures_compute(const struct cqe_period_eval *pe, size_t dept, struct cqe_dept_figures *out)
{
    const struct cqe_view *v = pe->view;
    memset(out, 0, sizeof *out);
    out->dept = dept;
    double asum = 0;
    int64_t aval = 0;
    for (size_t i = 0; i < pe->n_svc; i++) {
        const struct cqe_service_figures *f = &pe->svc[i];
        if (v->svc[f->service].dept != dept)
            continue;
        out->services++;
        if (f->availability.has) {
            asum += f->availability.v;
            aval++;
        }
    }
    out->availability = (struct cqe_opt){aval > 0, aval ? asum / (double)aval : 0};
    __int128 w[2] = {0, 0}, s[2] = {0, 0};
    for (size_t i = 0; i < v->n_aggs; i++) {
        const struct cqe_agg *a = &v->aggs[i];
        if ((a->fam != CQE_AGG_UD && a->fam != CQE_AGG_UDR) || a->aux != dept ||
            !cqe_period_has_month(&pe->period, a->month))
            continue;
        const struct cqe_cell *c = a->cell;
        if (a->fam == CQE_AGG_UDR)
            continue;
        int m = c->field[0] == 'c' ? 0 : 1; /* "cpu|w" / "mem|s" */
        if (c->field[4] == 'w')
            w[m] += c->sum;
        else
            s[m] += c->sum;
    }
    /* distinct resources across the period's months */
    struct cqe_strmap res = {0};
    for (size_t i = 0; i < v->n_aggs; i++) {
        const struct cqe_agg *a = &v->aggs[i];
        if (a->fam == CQE_AGG_UDR && a->aux == dept && cqe_period_has_month(&pe->period, a->month))
            cqe_strmap_intern(&res, a->cell->field, a->cell->field_len, NULL);
    }
    out->resources = (int64_t)res.n;
    int oom = res.oom;
    cqe_strmap_free(&res);
    out->cpu_mean = (struct cqe_opt){w[0] > 0, w[0] > 0 ? (double)s[0] / 1e12 / (double)w[0] : 0};
    out->mem_mean = (struct cqe_opt){w[1] > 0, w[1] > 0 ? (double)s[1] / 1e12 / (double)w[1] : 0};
    out->survey_score = cqe_fig_survey_score(pe, CQE_NONE, dept, NULL, NULL);
    return oom ? CQE_ENOMEM : 0;
}
