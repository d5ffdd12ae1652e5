/* The day planner of `cloudqe gen`: at each local midnight it decides every sparse
 * entity that starts that day — incidents (heavy-tailed, with acks, updates, reopens,
 * overlaps), maintenance windows, tickets, backups, surveys, drills, vulnerabilities,
 * migrations, audits and assets — and queues all of their events, so a lifecycle is
 * consistent however far ahead it ends. */
#include <math.h>
#include <string.h>

#include "gen.h"
#include "timeutil.h"

struct plan {
    struct cqe_gen_world *w;
    struct cqe_gen_rng *r;
    struct cqe_gen_heap *h;
    struct cqe_err *err;
    int64_t day;    /* index within the span */
    int64_t day_ms; /* local midnight */
    int weekend;
};

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static struct cqe_gen_ev ev_new(int type, int action, int64_t ts, int32_t prov, int32_t dept)
{
    struct cqe_gen_ev ev;
    memset(&ev, 0, sizeof ev);
    ev.type = (uint8_t)type;
    ev.action = (uint8_t)action;
    ev.ts = ts;
    ev.prov = prov;
    ev.dept = dept;
    ev.svc = ev.res = -1;
    ev.tsfmt = CQE_GEN_TS_LOCAL;
    return ev;
}

/* Most producers write +08:00; a few systems send epoch milliseconds or UTC. */
static uint8_t pick_fmt(struct plan *p, uint8_t usual)
{
    double u = cqe_gen_unif(p->r);
    if (u < 0.006)
        return CQE_GEN_TS_EPOCH;
    if (u < 0.010)
        return CQE_GEN_TS_UTC;
    return usual;
}

/* Queues ev if its ts lies in the generated span. */
static int push(struct plan *p, struct cqe_gen_ev *ev)
{
    if (ev->ts < p->w->start_ms || ev->ts >= p->w->end_ms)
        return 0;
    ev->key = ev->ts;
    ev->flags = 0;
    return cqe_gen_heap_push(p->h, ev, p->err);
}

/* An instant in the day: working hours (09:00-18:00) with probability `work`,
 * otherwise anywhere; whole seconds. */
static int64_t at_time(struct plan *p, int64_t day_ms, double work)
{
    if (cqe_gen_chance(p->r, work))
        return day_ms + cqe_gen_range(p->r, 9 * 3600, 18 * 3600 - 1) * 1000;
    return day_ms + cqe_gen_range(p->r, 0, 86399) * 1000;
}

static int64_t midnight(struct plan *p, int64_t day_index)
{
    return cqe_local_midnight(p->w->opts.start_day + day_index, CQE_GEN_OFFSET_MIN);
}

static int32_t random_service_of_provider(struct plan *p, int32_t prov)
{
    const struct cqe_gen_provider *pv = &p->w->provs[prov];
    if (!pv->n_svc)
        return -1;
    return p->w->prov_svcs[pv->first_svc_ix + cqe_gen_range(p->r, 0, pv->n_svc - 1)];
}

static int32_t random_service_of_dept(struct plan *p, int32_t dept)
{
    const struct cqe_gen_dept *d = &p->w->depts[dept];
    if (d->n_svc)
        return d->first_svc + (int32_t)cqe_gen_range(p->r, 0, d->n_svc - 1);
    if (!p->w->n_svcs)
        return -1;
    return (int32_t)cqe_gen_range(p->r, 0, (int64_t)p->w->n_svcs - 1);
}

/* ---- incidents ------------------------------------------------------------------ */

struct inc_shape {
    int severity, category, impact, cause; /* -1: draw */
    double scope;                          /* <= 0: draw */
    double dur_ms;                         /* <= 0: draw */
};

static const struct inc_shape any_incident = {-1, -1, -1, -1, 0, 0};

static int incident_down(struct plan *p, int32_t s, int64_t from, int64_t to, int impact, double scope)
{
    if (impact == CQE_IMPACT_NONE)
        return cqe_gen_world_add_down(p->w, s, from, to, 0.0, 1.6, p->err);
    if (impact == CQE_IMPACT_DEGRADED)
        return cqe_gen_world_add_down(p->w, s, from, to, 0.05 + 0.25 * scope, 3.0, p->err);
    return cqe_gen_world_add_down(p->w, s, from, to, scope >= 0.99 ? 0.97 : clampd(scope, 0.1, 0.9), 2.0,
                                  p->err);
}

static int plan_incident(struct plan *p, int32_t s, int64_t t0, const struct inc_shape *shape, int depth)
{
    static const double sev_w[4] = {0.002, 0.06, 0.40, 0.538};
    static const double cat_w[8] = {0.18, 0.22, 0.28, 0.09, 0.10, 0.03, 0.06, 0.04};
    static const double impact_w[3] = {0.45, 0.45, 0.10};
    static const double cause_w[4] = {0.78, 0.12, 0.08, 0.02};
    static const double scopes[6] = {0.1, 0.2, 0.25, 0.3, 0.5, 0.75};
    static const double dur_med_min[5] = {0, 70, 50, 40, 90};
    static const double ack_med_min[5] = {0, 4, 8, 25, 90};
    struct cqe_gen_world *w = p->w;
    struct cqe_gen_rng *r = p->r;
    const struct cqe_gen_service *sv = &w->svcs[s];
    int rc = 0;

    int sev = shape->severity > 0 ? shape->severity : 1 + cqe_gen_pick(r, sev_w, 4);
    int cat = shape->category >= 0 ? shape->category : cqe_gen_pick(r, cat_w, 8);
    if (cat == 7 && shape->severity <= 0) /* security: very rarely a major one (a veto) */
        sev = cqe_gen_chance(r, 0.01) ? 1 : (sev == 1 ? 2 : sev);
    int impact = shape->impact >= 0 ? shape->impact : cqe_gen_pick(r, impact_w, 3);
    int cause = shape->cause >= 0 ? shape->cause : cqe_gen_pick(r, cause_w, 4);
    double scope = shape->scope > 0         ? shape->scope
                   : cqe_gen_chance(r, 0.6) ? 1.0
                                            : scopes[cqe_gen_range(r, 0, 5)];
    int data_loss = cqe_gen_chance(r, cat == 3 ? 0.0008 : 0.0001); /* a veto: rare */
    double dur_ms = shape->dur_ms > 0 ? shape->dur_ms : cqe_gen_lognormal(r, dur_med_min[sev], 1.0) * 60000.0;
    if (shape->dur_ms <= 0 && cqe_gen_chance(r, 0.06))
        dur_ms *= cqe_gen_pareto(r, 1.0, 1.3); /* the long tail */
    dur_ms = clampd(dur_ms, 60000.0, 10.0 * CQE_GEN_MS_DAY);
    int64_t t1 = t0 + (int64_t)dur_ms;
    uint32_t no = w->next_incident++;
    uint8_t fmt = pick_fmt(p, CQE_GEN_TS_LOCAL_MS);
    int32_t prov = sv->prov, dept = sv->dept;

    struct cqe_gen_ev ev = ev_new(CQE_T_INCIDENT, CQE_A_OPEN, t0, prov, dept);
    ev.no = no;
    ev.svc = s;
    ev.tsfmt = fmt;
    ev.u.inc.has = CQE_GEN_I_SERVICE | CQE_GEN_I_SEVERITY;
    ev.u.inc.severity = (uint8_t)sev;
    ev.u.inc.impact = (uint8_t)impact;
    ev.u.inc.scope = (float)scope;
    ev.u.inc.cause = (uint8_t)cause;
    ev.u.inc.category = (uint8_t)cat;
    ev.u.inc.data_loss = (uint8_t)data_loss;
    if (impact != CQE_IMPACT_OUTAGE || cqe_gen_chance(r, 0.5))
        ev.u.inc.has |= CQE_GEN_I_IMPACT;
    if (scope < 1.0 || cqe_gen_chance(r, 0.2))
        ev.u.inc.has |= CQE_GEN_I_SCOPE;
    if (cause != CQE_CAUSE_PROVIDER || cqe_gen_chance(r, 0.4))
        ev.u.inc.has |= CQE_GEN_I_CAUSE;
    if (cat == 7 || cqe_gen_chance(r, 0.85))
        ev.u.inc.has |= CQE_GEN_I_CATEGORY;
    if (data_loss || cqe_gen_chance(r, 0.05))
        ev.u.inc.has |= CQE_GEN_I_DATA_LOSS;
    if ((rc = push(p, &ev)))
        return rc;
    struct cqe_gen_ev open = ev;

    if (cqe_gen_chance(r, 0.02)) { /* a second monitor re-sends the open */
        ev.sub = 1;
        ev.ts = t0 + cqe_gen_range(r, 30, 600) * 1000;
        if ((rc = push(p, &ev)))
            return rc;
    }

    /* ack: most are acknowledged; fast self-healing ones may resolve first */
    if (!cqe_gen_chance(r, 0.04)) {
        int64_t ack = t0 + (int64_t)clampd(cqe_gen_lognormal(r, ack_med_min[sev], 0.9) * 60000.0, 10000.0,
                                           3.0 * CQE_GEN_MS_DAY);
        if (ack < t1) {
            ev = ev_new(CQE_T_INCIDENT, CQE_A_ACK, ack, prov, dept);
            ev.no = no;
            ev.tsfmt = fmt;
            ev.svc = s;
            if ((rc = push(p, &ev)))
                return rc;
        }
    }

    if (cqe_gen_chance(r, 0.15)) { /* an update re-grades the incident */
        ev = ev_new(CQE_T_INCIDENT, CQE_A_UPDATE, t0 + (int64_t)(cqe_gen_unif(r) * dur_ms), prov, dept);
        ev.no = no;
        ev.tsfmt = fmt;
        ev.svc = s;
        ev.u.inc = open.u.inc;
        double u = cqe_gen_unif(r);
        if (u < 0.4) {
            ev.u.inc.has = CQE_GEN_I_SEVERITY;
            /* re-graded one step; never up to 特别重大 after the fact */
            int ns = sev == 1 ? 2 : sev + (cqe_gen_chance(r, 0.5) ? -1 : 1);
            ev.u.inc.severity = (uint8_t)(ns < 2 ? 3 : ns > 4 ? 3 : ns);
        } else if (u < 0.65) {
            ev.u.inc.has = CQE_GEN_I_SCOPE;
            ev.u.inc.scope = (float)scopes[cqe_gen_range(r, 0, 5)];
        } else if (u < 0.85) {
            ev.u.inc.has = CQE_GEN_I_CAUSE;
            ev.u.inc.cause = (uint8_t)(cqe_gen_chance(r, 0.6) ? CQE_CAUSE_CUSTOMER : CQE_CAUSE_THIRD_PARTY);
        } else {
            ev.u.inc.has = CQE_GEN_I_IMPACT | CQE_GEN_I_CATEGORY;
            ev.u.inc.impact = CQE_IMPACT_OUTAGE;
        }
        if ((rc = push(p, &ev)))
            return rc;
    }

    ev = ev_new(CQE_T_INCIDENT, CQE_A_RESOLVE, t1, prov, dept);
    ev.no = no;
    ev.tsfmt = fmt;
    ev.svc = s;
    if ((rc = push(p, &ev)))
        return rc;
    int64_t lag = (int64_t)clampd(cqe_gen_lognormal(r, 3.0, 0.7) * 60000.0, 0, 30 * 60000.0);
    if ((rc = incident_down(p, s, t0 - lag, t1, impact, scope)))
        return rc;

    if (cqe_gen_chance(r, 0.05)) { /* it comes back */
        int64_t t2 =
            t1 + (int64_t)clampd(cqe_gen_lognormal(r, 40.0, 1.0) * 60000.0, 60000.0, 2.0 * CQE_GEN_MS_DAY);
        int64_t t3 =
            t2 + (int64_t)clampd(cqe_gen_lognormal(r, dur_ms / 2.0, 0.8), 60000.0, 3.0 * CQE_GEN_MS_DAY);
        ev = ev_new(CQE_T_INCIDENT, CQE_A_REOPEN, t2, prov, dept);
        ev.no = no;
        ev.tsfmt = fmt;
        ev.svc = s;
        if ((rc = push(p, &ev)))
            return rc;
        ev = ev_new(CQE_T_INCIDENT, CQE_A_RESOLVE, t3, prov, dept);
        ev.no = no;
        ev.sub = 1;
        ev.tsfmt = fmt;
        ev.svc = s;
        if ((rc = push(p, &ev)))
            return rc;
        if ((rc = incident_down(p, s, t2, t3, impact, scope)))
            return rc;
    }

    if (depth == 0 && cqe_gen_chance(r, 0.04)) /* an overlapping second incident */
        rc = plan_incident(p, s, t0 + (int64_t)(cqe_gen_unif(r) * dur_ms), &any_incident, 1);
    return rc;
}

static int plan_incidents(struct plan *p)
{
    struct cqe_gen_world *w = p->w;
    struct cqe_gen_rng *r = p->r;
    int rc;
    for (size_t s = 0; s < w->n_svcs; s++) {
        int64_t n = cqe_gen_poisson(r, w->svcs[s].inc_rate * (p->weekend ? 0.7 : 1.0));
        for (int64_t k = 0; k < n; k++) {
            int64_t t0 = at_time(p, p->day_ms, 0.4) + cqe_gen_range(r, 0, 999);
            if ((rc = plan_incident(p, (int32_t)s, t0, &any_incident, 0)))
                return rc;
        }
        /* probes also see short blips nobody files an incident for */
        if (w->svcs[s].probed && cqe_gen_chance(r, 0.03)) {
            int64_t t = at_time(p, p->day_ms, 0.0);
            int64_t d = (int64_t)clampd(cqe_gen_lognormal(r, 4.0, 0.8) * 60000.0, 60000.0, 3600000.0);
            if ((rc = cqe_gen_world_add_down(w, (int32_t)s, t, t + d, 0.9, 2.0, p->err)))
                return rc;
        }
    }
    /* a provider-wide network fault hits several services at once */
    for (size_t pv = 0; pv < w->n_provs; pv++) {
        const struct cqe_gen_provider *P = &w->provs[pv];
        if (P->n_svc < 2 || !cqe_gen_chance(r, 0.025 * P->quality))
            continue;
        struct inc_shape shape = {2, 1, CQE_IMPACT_OUTAGE, CQE_CAUSE_PROVIDER, 1.0, 0};
        if (cqe_gen_chance(r, 0.2))
            shape.cause = CQE_CAUSE_THIRD_PARTY; /* the carrier's fibre */
        double base = clampd(cqe_gen_lognormal(r, 45.0, 0.8), 5.0, 600.0) * 60000.0;
        int64_t t0 = at_time(p, p->day_ms, 0.3);
        int64_t k = cqe_gen_range(r, 3, 8);
        if (k > P->n_svc)
            k = P->n_svc;
        int32_t first = (int32_t)cqe_gen_range(r, 0, P->n_svc - 1);
        for (int64_t i = 0; i < k; i++) {
            int32_t s = w->prov_svcs[P->first_svc_ix + (first + i) % P->n_svc];
            shape.dur_ms = base * (0.8 + 0.4 * cqe_gen_unif(r));
            if ((rc = plan_incident(p, s, t0 + cqe_gen_range(r, 0, 600000), &shape, 1)))
                return rc;
        }
    }
    return 0;
}

/* ---- maintenance ------------------------------------------------------------------ */

static int plan_window(struct plan *p, int32_t prov, int32_t svc, int provider_wide)
{
    struct cqe_gen_rng *r = p->r;
    int rc;
    int64_t sched = at_time(p, p->day_ms, 0.9);
    int64_t start;
    double u = cqe_gen_unif(r);
    if (u < 0.80) /* announced days ahead, for a night */
        start = midnight(p, p->day + cqe_gen_range(r, 2, 8)) + cqe_gen_range(r, 0, 24) * 600000;
    else if (u < 0.92) /* announced too late (< 1 day) */
        start = (sched + cqe_gen_range(r, 2 * 6, 20 * 6) * 600000) / 600000 * 600000;
    else /* a big one, weeks ahead */
        start = midnight(p, p->day + cqe_gen_range(r, 10, 30)) + cqe_gen_range(r, 0, 24) * 600000;
    int64_t len = provider_wide ? cqe_gen_range(r, 4, 12) * 1800000 : cqe_gen_range(r, 2, 8) * 1800000;
    uint32_t no = p->w->next_window++;
    int32_t dept = svc >= 0 ? p->w->svcs[svc].dept : -1;

    struct cqe_gen_ev ev = ev_new(CQE_T_MAINTENANCE, CQE_A_SCHEDULE, sched, prov, dept);
    ev.no = no;
    ev.svc = svc;
    ev.tsfmt = pick_fmt(p, CQE_GEN_TS_LOCAL);
    ev.u.maint.start = start;
    ev.u.maint.end = start + len;
    if ((rc = push(p, &ev)))
        return rc;

    if (cqe_gen_chance(r, 0.06) && start - sched > 4 * CQE_GEN_MS_HOUR) { /* rescheduled */
        ev.sub = 1;
        ev.ts = sched + CQE_GEN_MS_HOUR +
                (int64_t)(cqe_gen_unif(r) * (double)(start - sched - 3 * CQE_GEN_MS_HOUR));
        start += cqe_gen_range(r, 1, 7) * CQE_GEN_MS_DAY;
        ev.u.maint.start = start;
        ev.u.maint.end = start + len;
        if ((rc = push(p, &ev)))
            return rc;
    }
    if (cqe_gen_chance(r, 0.05)) { /* called off */
        struct cqe_gen_ev c = ev_new(CQE_T_MAINTENANCE, CQE_A_CANCEL, 0, prov, dept);
        c.no = no;
        c.svc = svc;
        c.ts = ev.ts + (int64_t)(cqe_gen_unif(r) * (double)(start - ev.ts));
        return push(p, &c);
    }
    /* the work itself takes services down for part of the window */
    const struct cqe_gen_provider *P = &p->w->provs[prov];
    int32_t n = svc >= 0 ? 1 : P->n_svc;
    for (int32_t i = 0; i < n; i++) {
        int32_t s = svc >= 0 ? svc : p->w->prov_svcs[P->first_svc_ix + i];
        if (!p->w->svcs[s].probed || !cqe_gen_chance(r, svc >= 0 ? 0.5 : 0.3))
            continue;
        int64_t a = start + (int64_t)(cqe_gen_unif(r) * (double)len * 0.5);
        int64_t d = (int64_t)((double)len * (0.2 + 0.5 * cqe_gen_unif(r)));
        if ((rc = cqe_gen_world_add_down(p->w, s, a, a + d, 0.95, 1.0, p->err)))
            return rc;
    }
    return 0;
}

static int plan_maintenance(struct plan *p)
{
    int rc;
    for (size_t s = 0; s < p->w->n_svcs; s++)
        if (cqe_gen_chance(p->r, 0.008) && (rc = plan_window(p, p->w->svcs[s].prov, (int32_t)s, 0)))
            return rc;
    for (size_t pv = 0; pv < p->w->n_provs; pv++)
        if (cqe_gen_chance(p->r, 0.05) && (rc = plan_window(p, (int32_t)pv, -1, 1)))
            return rc;
    return 0;
}

/* ---- tickets ---------------------------------------------------------------------- */

static int plan_tickets(struct plan *p)
{
    static const double prio_w[3] = {0.10, 0.40, 0.50};
    static const int64_t window_ms[3] = {4 * CQE_GEN_MS_HOUR, CQE_GEN_MS_DAY, 3 * CQE_GEN_MS_DAY};
    struct cqe_gen_world *w = p->w;
    struct cqe_gen_rng *r = p->r;
    int rc;
    for (size_t d = 0; d < w->n_depts; d++) {
        double lam = (0.4 + 0.25 * w->depts[d].n_svc) * (p->weekend ? 0.25 : 1.0);
        int64_t n = cqe_gen_poisson(r, lam);
        for (int64_t k = 0; k < n; k++) {
            int32_t s = random_service_of_dept(p, (int32_t)d);
            int32_t prov = s >= 0 ? w->svcs[s].prov : 0;
            int64_t t = at_time(p, p->day_ms, 0.85);
            int prio = cqe_gen_pick(r, prio_w, 3);
            uint32_t no = w->next_ticket++;
            struct cqe_gen_ev ev = ev_new(CQE_T_TICKET, CQE_A_OPEN, t, prov, (int32_t)d);
            ev.no = no;
            ev.tsfmt = pick_fmt(p, CQE_GEN_TS_LOCAL);
            ev.u.ticket.due = t + window_ms[prio];
            double u = cqe_gen_unif(r);
            ev.u.ticket.complaint = u < 0.015 ? 1 : u < 0.115 ? 2 : 0;
            if ((rc = push(p, &ev)))
                return rc;
            if (cqe_gen_chance(r, 0.03))
                continue; /* never closed */
            int64_t close = t + (int64_t)clampd(cqe_gen_lognormal(r, 0.35 * (double)window_ms[prio], 0.9),
                                                300000.0, 30.0 * CQE_GEN_MS_DAY);
            ev = ev_new(CQE_T_TICKET, CQE_A_CLOSE, close, prov, (int32_t)d);
            ev.no = no;
            if ((rc = push(p, &ev)))
                return rc;
            if (!cqe_gen_chance(r, 0.65))
                continue;
            int on_time = close <= t + window_ms[prio];
            ev = ev_new(CQE_T_TICKET, CQE_A_FEEDBACK,
                        close + (int64_t)clampd(cqe_gen_lognormal(r, 3.0, 1.0) * 3600000.0, 60000.0,
                                                7.0 * CQE_GEN_MS_DAY),
                        prov, (int32_t)d);
            ev.no = no;
            ev.u.ticket.satisfied = (uint8_t)cqe_gen_chance(
                r, (on_time ? 0.95 : 0.7) * (0.85 + 0.15 * w->depts[d].survey_mean / 5.0));
            if ((rc = push(p, &ev)))
                return rc;
        }
    }
    return 0;
}

/* ---- backups ------------------------------------------------------------------------ */

static int plan_backups(struct plan *p)
{
    struct cqe_gen_world *w = p->w;
    struct cqe_gen_rng *r = p->r;
    int rc;
    for (size_t s = 0; s < w->n_svcs; s++) {
        const struct cqe_gen_service *sv = &w->svcs[s];
        for (int k = 0; k < sv->backups_per_day; k++) {
            if (cqe_gen_chance(r, sv->backups_per_day > 1 ? 0.0005 : 0.002))
                continue; /* the run never happened */
            int64_t t = p->day_ms + (int64_t)(sv->backup_hour_min + k * 240) * 60000 +
                        cqe_gen_range(r, 0, 300) * 1000;
            for (int attempt = 0; attempt < 2; attempt++) {
                struct cqe_gen_ev ev = ev_new(CQE_T_BACKUP, CQE_A_NONE, t, sv->prov, sv->dept);
                ev.no = w->next_job++;
                ev.svc = (int32_t)s;
                ev.tsfmt = pick_fmt(p, CQE_GEN_TS_LOCAL);
                ev.u.backup.ok = (uint8_t)!cqe_gen_chance(r, sv->backup_fail);
                ev.u.backup.rpo_target_s = cqe_gen_chance(r, 0.85) ? sv->rpo_target_s : 0;
                if ((rc = push(p, &ev)))
                    return rc;
                if (ev.u.backup.ok || !cqe_gen_chance(r, 0.9))
                    break;
                t += cqe_gen_range(r, 20, 60) * 60000; /* operator retries */
            }
        }
    }
    return 0;
}

/* ---- surveys ------------------------------------------------------------------------ */

static int plan_surveys(struct plan *p)
{
    struct cqe_gen_world *w = p->w;
    struct cqe_gen_rng *r = p->r;
    int64_t y;
    int m, mday, rc;
    cqe_civil_from_days(w->opts.start_day + p->day, &y, &m, &mday);
    for (size_t d = 0; d < w->n_depts; d++) {
        const struct cqe_gen_dept *dp = &w->depts[d];
        if (dp->survey_mday != mday)
            continue;
        int64_t n = cqe_gen_range(r, 3, 10);
        for (int64_t k = 0; k < n; k++) {
            int32_t s = random_service_of_dept(p, (int32_t)d);
            int32_t prov = s >= 0 ? w->svcs[s].prov : 0;
            struct cqe_gen_ev ev =
                ev_new(CQE_T_SURVEY, CQE_A_NONE, at_time(p, p->day_ms, 0.95), prov, (int32_t)d);
            ev.no = w->next_response++;
            ev.tsfmt = pick_fmt(p, CQE_GEN_TS_LOCAL);
            ev.svc = cqe_gen_chance(r, 0.5) ? s : -1;
            for (int j = 0; j < 5; j++) {
                double lv = dp->survey_mean + 0.8 * cqe_gen_normal(r);
                ev.u.survey.levels[j] = (uint8_t)clampd(floor(lv + 0.5), 1, 5);
            }
            if (cqe_gen_chance(r, 0.03))
                ev.u.survey.levels[cqe_gen_range(r, 0, 4)] = 0; /* skipped a question */
            if (cqe_gen_chance(r, 0.04)) {                      /* an old form's extra question */
                ev.u.survey.extra_dim = (uint8_t)(1 + cqe_gen_range(r, 0, (int64_t)cqe_gen_n_extra_dims - 1));
                ev.u.survey.extra_level = (uint8_t)cqe_gen_range(r, 2, 5);
            }
            if ((rc = push(p, &ev)))
                return rc;
        }
    }
    return 0;
}

/* ---- drills -------------------------------------------------------------------------- */

static int drill_done(struct plan *p, int32_t prov, uint32_t no, int kind, int64_t t)
{
    struct cqe_gen_rng *r = p->r;
    struct cqe_gen_ev ev = ev_new(CQE_T_DRILL, CQE_A_DONE, t, prov, -1);
    ev.no = no;
    ev.u.drill.kind = (uint8_t)kind;
    ev.u.drill.ok = (uint8_t)!cqe_gen_chance(r, 0.08);
    int32_t rto_t = kind == CQE_DRILL_DR ? 14400 : 3600;
    ev.u.drill.has_rto = (uint8_t)cqe_gen_chance(r, kind == CQE_DRILL_DR ? 0.95 : 0.8);
    ev.u.drill.rto_target_s = rto_t;
    ev.u.drill.rto_s = (int32_t)clampd(cqe_gen_lognormal(r, 0.55 * rto_t, 0.5), 60, 10.0 * rto_t);
    ev.u.drill.has_rpo = (uint8_t)cqe_gen_chance(r, kind == CQE_DRILL_DR ? 0.85 : 0.2);
    int32_t rpo_t = cqe_gen_chance(r, 0.5) ? 900 : 3600;
    ev.u.drill.rpo_target_s = rpo_t;
    ev.u.drill.rpo_s = (int32_t)clampd(cqe_gen_lognormal(r, 0.5 * rpo_t, 0.6), 0, 10.0 * rpo_t);
    return push(p, &ev);
}

static int plan_drills(struct plan *p)
{
    struct cqe_gen_world *w = p->w;
    struct cqe_gen_rng *r = p->r;
    int rc;
    for (size_t pv = 0; pv < w->n_provs; pv++) {
        for (int kind = 0; kind < 2; kind++) {
            int sure = pv < 64 && w->first_drill_day[pv][kind] == p->day;
            if (!sure && !cqe_gen_chance(r, kind == CQE_DRILL_DR ? 1.0 / 150 : 1.0 / 60))
                continue;
            uint32_t no = w->next_drill++;
            struct cqe_gen_ev ev =
                ev_new(CQE_T_DRILL, CQE_A_PLAN, at_time(p, p->day_ms, 1.0), (int32_t)pv, -1);
            ev.no = no;
            ev.u.drill.kind = (uint8_t)kind;
            if ((rc = push(p, &ev)))
                return rc;
            if (cqe_gen_chance(r, 0.08))
                continue; /* planned, never held */
            int64_t t = at_time(p, midnight(p, p->day + cqe_gen_range(r, 2, 20)), 1.0);
            if ((rc = drill_done(p, (int32_t)pv, no, kind, t)))
                return rc;
        }
        /* a drill planned before the span, done inside it */
        if (p->day == 0) {
            for (int kind = 0; kind < 2; kind++) {
                if (!cqe_gen_chance(r, 0.3))
                    continue;
                int64_t last = w->opts.days < 10 ? w->opts.days - 1 : 9;
                int64_t t = at_time(p, midnight(p, cqe_gen_range(r, 0, last)), 1.0);
                if ((rc = drill_done(p, (int32_t)pv, w->next_drill++, kind, t)))
                    return rc;
            }
        }
    }
    return 0;
}

/* ---- vulnerabilities ------------------------------------------------------------------ */

static int plan_vulns(struct plan *p)
{
    static const double level_w[4] = {0.05, 0.20, 0.45, 0.30};
    static const double deadline_days[4] = {7, 15, 30, 90};
    struct cqe_gen_world *w = p->w;
    struct cqe_gen_rng *r = p->r;
    int rc;
    for (size_t pv = 0; pv < w->n_provs; pv++) {
        int64_t n = cqe_gen_poisson(r, 0.8 + w->provs[pv].n_svc / 80.0);
        for (int64_t k = 0; k < n; k++) {
            int64_t t = cqe_gen_chance(r, 0.6) ? p->day_ms + cqe_gen_range(r, 2 * 3600, 4 * 3600) * 1000
                                               : at_time(p, p->day_ms, 1.0);
            int level = cqe_gen_pick(r, level_w, 4);
            uint32_t no = w->next_vuln++;
            struct cqe_gen_ev ev = ev_new(CQE_T_VULN, CQE_A_FOUND, t, (int32_t)pv, -1);
            ev.no = no;
            ev.tsfmt = CQE_GEN_TS_UTC; /* the scanner reports in UTC */
            ev.u.vuln.level = (uint8_t)level;
            if ((rc = push(p, &ev)))
                return rc;
            if (cqe_gen_chance(r, 0.06))
                continue;
            double fix_days = clampd(cqe_gen_lognormal(r, 0.3 * deadline_days[level], 1.0), 0.02, 365);
            ev = ev_new(CQE_T_VULN, CQE_A_FIXED, t + (int64_t)(fix_days * CQE_GEN_MS_DAY), (int32_t)pv, -1);
            ev.no = no;
            ev.tsfmt = CQE_GEN_TS_UTC;
            if ((rc = push(p, &ev)))
                return rc;
        }
    }
    return 0;
}

/* ---- migrations ------------------------------------------------------------------------ */

static int plan_migrations(struct plan *p)
{
    struct cqe_gen_world *w = p->w;
    struct cqe_gen_rng *r = p->r;
    int rc;
    if (!w->n_svcs)
        return 0;
    int64_t n = cqe_gen_poisson(r, (double)w->n_svcs / 400.0 * (p->weekend ? 0.2 : 1.0));
    for (int64_t k = 0; k < n; k++) {
        int32_t s = (int32_t)cqe_gen_range(r, 0, (int64_t)w->n_svcs - 1);
        const struct cqe_gen_service *sv = &w->svcs[s];
        int64_t t = at_time(p, p->day_ms, 1.0);
        int64_t planned_end = midnight(p, p->day + cqe_gen_range(r, 5, 40)) + 18 * CQE_GEN_MS_HOUR;
        uint32_t no = w->next_migration++;
        struct cqe_gen_ev ev = ev_new(CQE_T_MIGRATION, CQE_A_PLAN, t, sv->prov, sv->dept);
        ev.no = no;
        ev.svc = cqe_gen_chance(r, 0.9) ? s : -1;
        ev.u.mig.planned_end = planned_end;
        if ((rc = push(p, &ev)))
            return rc;
        double u = cqe_gen_unif(r);
        int64_t done;
        if (u < 0.78)
            done = t + (int64_t)((0.5 + 0.45 * cqe_gen_unif(r)) * (double)(planned_end - t));
        else if (u < 0.95)
            done = planned_end + cqe_gen_range(r, 1, 5) * CQE_GEN_MS_DAY;
        else
            continue;
        struct cqe_gen_ev d = ev_new(CQE_T_MIGRATION, CQE_A_DONE, done, sv->prov, sv->dept);
        d.no = no;
        d.svc = ev.svc;
        d.u.mig.ok = (uint8_t)!cqe_gen_chance(r, 0.06);
        d.u.mig.verified = cqe_gen_chance(r, 0.1) ? 2 : (uint8_t)cqe_gen_chance(r, d.u.mig.ok ? 0.9 : 0.3);
        if ((rc = push(p, &d)))
            return rc;
    }
    return 0;
}

/* ---- audits ----------------------------------------------------------------------------- */

static int plan_audits(struct plan *p)
{
    struct cqe_gen_world *w = p->w;
    struct cqe_gen_rng *r = p->r;
    int rc;
    for (size_t pv = 0; pv < w->n_provs; pv++) {
        const struct cqe_gen_provider *P = &w->provs[pv];
        int64_t n = cqe_gen_poisson(r, (40.0 + 0.8 * P->n_svc) * (p->weekend ? 0.3 : 1.0));
        for (int64_t k = 0; k < n; k++) {
            struct cqe_gen_ev ev =
                ev_new(CQE_T_AUDIT, CQE_A_NONE, at_time(p, p->day_ms, 0.8), (int32_t)pv, -1);
            ev.no = w->next_op++;
            ev.tsfmt = pick_fmt(p, CQE_GEN_TS_LOCAL);
            ev.u.audit.actor = (uint16_t)cqe_gen_range(r, 0, (int64_t)cqe_gen_n_actors - 1);
            double u = cqe_gen_unif(r);
            if (u < 0.005) {
                ev.u.audit.target_kind = 3;
            } else if (u < 0.02) {
                ev.u.audit.target_kind = 0;
            } else if (P->n_svc && (cqe_gen_chance(r, 0.5) || !w->n_res)) {
                ev.u.audit.target_kind = 2;
                ev.u.audit.target = random_service_of_provider(p, (int32_t)pv);
            } else if (w->n_res) {
                ev.u.audit.target_kind = 1;
                ev.u.audit.target = (int32_t)cqe_gen_range(r, 0, (int64_t)w->n_res - 1);
            }
            if (cqe_gen_chance(r, P->traced)) {
                if (w->next_ticket > 1 && cqe_gen_chance(r, 0.3)) {
                    ev.u.audit.ref_kind = 2;
                    ev.u.audit.ref = (uint32_t)cqe_gen_range(r, 1, w->next_ticket - 1);
                } else {
                    ev.u.audit.ref_kind = 1;
                    ev.u.audit.ref = w->next_change++;
                }
            } else {
                ev.u.audit.ref_kind = cqe_gen_chance(r, 0.1) ? 3 : 0;
            }
            if ((rc = push(p, &ev)))
                return rc;
        }
    }
    return 0;
}

/* ---- assets ------------------------------------------------------------------------------ */

static int n_vendors(int cls, int domestic)
{
    int n = 0;
    while (n < 6 && cqe_gen_vendors[cls][domestic][n])
        n++;
    return n;
}

static int asset_add(struct plan *p, int32_t prov, int cls, int domestic, int64_t t)
{
    static const double arch_w[3] = {0.35, 0.50, 0.15}; /* 海光 x86, 鲲鹏 arm, 龙芯 */
    struct cqe_gen_rng *r = p->r;
    struct cqe_gen_asset a = {0};
    a.added = t;
    a.no = p->w->next_asset++;
    a.prov = prov;
    a.cls = (uint8_t)cls;
    a.domestic = (uint8_t)domestic;
    a.vendor = cqe_gen_chance(r, 0.03) ? 255 : (uint8_t)cqe_gen_range(r, 0, n_vendors(cls, domestic) - 1);
    if (cls == CQE_ASSET_SERVER || cls == CQE_ASSET_OS)
        a.arch = domestic ? (uint8_t)cqe_gen_pick(r, arch_w, 3) : 0;
    else
        a.arch = 255;
    a.active = 1;
    int rc = cqe_gen_world_add_asset(p->w, &a, NULL, p->err);
    if (rc)
        return rc;
    struct cqe_gen_ev ev = ev_new(CQE_T_ASSET, CQE_A_ADD, t, prov, -1);
    ev.no = a.no;
    ev.u.asset.cls = a.cls;
    ev.u.asset.domestic = a.domestic;
    ev.u.asset.vendor = a.vendor;
    ev.u.asset.arch = a.arch;
    return push(p, &ev);
}

static int asset_remove(struct plan *p, size_t ix, int64_t t)
{
    struct cqe_gen_asset *a = &p->w->assets[ix];
    a->active = 0;
    struct cqe_gen_ev ev = ev_new(CQE_T_ASSET, CQE_A_REMOVE, t, a->prov, -1);
    ev.no = a->no;
    ev.u.asset.cls = a->cls;
    ev.u.asset.domestic = a->domestic;
    ev.u.asset.vendor = ev.u.asset.arch = 255;
    return push(p, &ev);
}

static int plan_assets(struct plan *p)
{
    struct cqe_gen_world *w = p->w;
    struct cqe_gen_rng *r = p->r;
    int rc;
    for (size_t pv = 0; pv < w->n_provs; pv++) {
        const struct cqe_gen_provider *P = &w->provs[pv];
        if (p->day == 0) { /* the CMDB's first sync: the whole inventory */
            int64_t servers = w->opts.hosts / (int64_t)w->n_provs + cqe_gen_range(r, 2, 6);
            int64_t soft = P->n_svc / 3 > 2 ? P->n_svc / 3 : 2;
            int64_t counts[4] = {servers, servers, soft, soft};
            for (int cls = 0; cls < 4; cls++)
                for (int64_t k = 0; k < counts[cls]; k++) {
                    int64_t t = p->day_ms + cqe_gen_range(r, 0, 7200) * 1000;
                    if ((rc = asset_add(p, (int32_t)pv, cls, cqe_gen_chance(r, P->domestic[cls]), t)))
                        return rc;
                }
            continue;
        }
        if (cqe_gen_chance(r, 0.15)) { /* new kit, mostly domestic (信创) */
            int cls = cqe_gen_chance(r, 0.6) ? CQE_ASSET_SERVER : (int)cqe_gen_range(r, 1, 3);
            if ((rc = asset_add(p, (int32_t)pv, cls, cqe_gen_chance(r, 0.85), at_time(p, p->day_ms, 1.0))))
                return rc;
        }
        if (cqe_gen_chance(r, 0.12) && w->n_assets) { /* retire something foreign */
            for (int tries = 0; tries < 20; tries++) {
                size_t ix = (size_t)cqe_gen_range(r, 0, (int64_t)w->n_assets - 1);
                const struct cqe_gen_asset *a = &w->assets[ix];
                int64_t t = at_time(p, p->day_ms, 1.0);
                if (a->active && !a->domestic && a->prov == (int32_t)pv && a->added < t) {
                    if ((rc = asset_remove(p, ix, t)))
                        return rc;
                    break;
                }
            }
        }
    }
    return 0;
}

/* ---- the day ------------------------------------------------------------------------------ */

int cqe_gen_plan_day(struct cqe_gen_world *w, struct cqe_gen_rng *r, struct cqe_gen_heap *h, int64_t day,
                     struct cqe_err *err)
{
    struct plan p = {w, r, h, err, day, 0, 0};
    int rc;
    p.day_ms = midnight(&p, day);
    p.weekend = cqe_weekday(w->opts.start_day + day) >= 5;
    if ((rc = plan_assets(&p)) || (rc = plan_incidents(&p)) || (rc = plan_maintenance(&p)) ||
        (rc = plan_tickets(&p)) || (rc = plan_backups(&p)) || (rc = plan_surveys(&p)) ||
        (rc = plan_drills(&p)) || (rc = plan_vulns(&p)) || (rc = plan_migrations(&p)) ||
        (rc = plan_audits(&p)))
        return rc;
    return 0;
}
