/* Incident handling of a target in a period (semantics.md "Incident handling", Readings
 * 3, 4, 15): A1.2 major faults, A2.1 response and A2.2 recovery on time, MTTR, the
 * incident count, orphans and the veto list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "evidence.h"
#include "figures.h"

static struct cqe_opt rate(int64_t ok, int64_t late)
{
    struct cqe_opt o = {ok + late > 0, 0};
    if (o.has)
        o.v = (double)ok / (double)(ok + late);
    return o;
}

static int add_veto(struct cqe_target_figures *out, const char *kind, const char *id)
{
    size_t n = strlen(kind) + strlen(id) + 2;
    char *s = malloc(n);
    char **v = realloc(out->veto, (out->n_veto + 1) * sizeof *v);
    if (!s || !v) {
        free(s);
        if (v)
            out->veto = v;
        return CQE_ENOMEM;
    }
    snprintf(s, n, "%s:%s", kind, id);
    out->veto = v;
    out->veto[out->n_veto++] = s;
    return 0;
}

/* Sorted by incident id (the part after the colon), then kind. */
static int cmp_veto(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int c = strcmp(strchr(x, ':') + 1, strchr(y, ':') + 1);
    return c ? c : strcmp(x, y);
}

int cqe_fig_incidents(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    const struct cqe_config *cfg = v->cfg;
    int64_t S = pe->period.start_ms, E = pe->period.end_ms, as_of = pe->as_of;
    int64_t major = 0, ack_ok = 0, ack_late = 0, fix_ok = 0, fix_late = 0, recovered = 0;
    double recovery_total_ms = 0;

    out->incidents = 0;
    out->incident_orphans = 0;
    for (size_t i = 0; i < v->incident_ids.n; i++) {
        const struct cqe_incident *in = &v->inc[i];
        if (!in->has_open) {
            for (size_t j = 0; j < in->n_events; j++)
                if (in->ev_ts[j] >= S && in->ev_ts[j] < E &&
                    (target == CQE_NONE || in->ev_provider[j] == target))
                    out->incident_orphans++;
            continue;
        }
        if (in->open_ts < S || in->open_ts >= E || (target != CQE_NONE && in->provider != target))
            continue;
        out->incidents++;
        int sev = in->severity >= 1 && in->severity <= 4 ? in->severity : 4;
        bool provider_caused = in->cause == CQE_CAUSE_PROVIDER;
        const char *id = v->incident_ids.keys[i];
        struct cqe_evidence *ev = out->ev;
        if (sev == 1 && provider_caused) {
            major++;
            if (ev) {
                void *o = cqe_ev_item(ev, CQE_LEAF_A1_2, "incident", id, strlen(id), "major_fault", true);
                cqe_ev_time(ev, o, "start", in->open_ts);
                cqe_ev_str(ev, o, "service", in->service == CQE_NONE ? NULL : v->services.keys[in->service]);
                cqe_ev_str(ev, o, "category", in->category);
            }
        }
        if (sev == 1 && provider_caused && in->category && !strcmp(in->category, "security") &&
            add_veto(out, "security_sev1", id))
            return CQE_ENOMEM;
        if (in->data_loss && add_veto(out, "data_loss", id))
            return CQE_ENOMEM;

        int64_t ack_ms = cfg->ack_s[sev] * 1000, fix_ms = cfg->fix_s[sev] * 1000;
        const char *side = "pending";
        int64_t resp = as_of - in->open_ts;
        if (in->has_ack || in->has_resolve) {
            resp = (in->has_ack ? in->ack_ts : in->resolve_ts) - in->open_ts;
            if (resp <= ack_ms) {
                ack_ok++;
                side = "on_time";
            } else {
                ack_late++;
                side = "late";
            }
        } else if (as_of - in->open_ts > ack_ms) {
            ack_late++;
            side = "late";
        }
        if (ev)
            cqe_ev_int(ev,
                       cqe_ev_deadline(ev, CQE_LEAF_A2_1, "incident", id, side, in->open_ts, ack_ms, resp),
                       "severity", sev);

        int64_t elapsed = 0;
        side = "pending";
        if (!in->active_at_end) {
            elapsed = cqe_ivl_measure(&in->active);
            recovered++;
            recovery_total_ms += (double)elapsed;
            if (elapsed <= fix_ms) {
                fix_ok++;
                side = "on_time";
            } else {
                fix_late++;
                side = "late";
            }
        } else {
            for (size_t j = 0; j < in->active.n; j++) {
                int64_t a = in->active.v[j].s, b = in->active.v[j].e < as_of ? in->active.v[j].e : as_of;
                if (b > a)
                    elapsed += b - a;
            }
            if (elapsed > fix_ms) {
                fix_late++;
                side = "late";
            }
        }
        if (ev)
            cqe_ev_int(ev,
                       cqe_ev_deadline(ev, CQE_LEAF_A2_2, "incident", id, side, in->open_ts, fix_ms, elapsed),
                       "severity", sev);
    }
    if (out->ev) {
        cqe_ev_effects(out->ev, CQE_LEAF_A1_2, 1);
        cqe_ev_effects(out->ev, CQE_LEAF_A2_1, ack_ok + ack_late ? 1.0 / (double)(ack_ok + ack_late) : 0);
        cqe_ev_effects(out->ev, CQE_LEAF_A2_2, fix_ok + fix_late ? 1.0 / (double)(fix_ok + fix_late) : 0);
    }
    out->leaf[CQE_LEAF_A1_2] = (struct cqe_opt){out->services > 0, (double)major};
    out->leaf[CQE_LEAF_A2_1] = rate(ack_ok, ack_late);
    out->leaf[CQE_LEAF_A2_2] = rate(fix_ok, fix_late);
    out->mttr_s =
        (struct cqe_opt){recovered > 0, recovered ? recovery_total_ms / 1000.0 / (double)recovered : 0};
    if (out->n_veto > 1)
        qsort(out->veto, out->n_veto, sizeof *out->veto, cmp_veto);
    return 0;
}
