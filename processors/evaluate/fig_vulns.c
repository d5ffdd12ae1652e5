/* Vulnerabilities fixed on time (A4.2): by the level of the first `found`, the first
 * `fixed`, pending versus late at as_of (Readings 4, 5). */
#include "event.h"
#include "evidence.h"
#include "figures.h"

void cqe_fig_vulns(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    int64_t ok = 0, late = 0;
    for (size_t i = 0; i < v->n_vulns; i++) {
        const struct cqe_vuln *u = &v->vulns[i];
        if (u->provider == CQE_NONE || u->found_ts < pe->period.start_ms ||
            u->found_ts >= pe->period.end_ms || (target != CQE_NONE && u->provider != target))
            continue;
        if (u->level < CQE_VULN_CRITICAL || u->level > CQE_VULN_LOW) /* the view refuses these */
            continue;
        int64_t deadline = v->cfg->vuln_deadline_s[u->level] * 1000;
        int64_t elapsed = (u->has_fixed ? u->fixed_ts : pe->as_of) - u->found_ts;
        const char *side = "pending";
        if (u->has_fixed) {
            if (elapsed <= deadline) {
                ok++;
                side = "on_time";
            } else {
                late++;
                side = "late";
            }
        } else if (elapsed > deadline) {
            late++;
            side = "late";
        }
        if (out->ev) {
            static const char *const levels[] = {"critical", "high", "medium", "low"};
            void *o = cqe_ev_deadline(out->ev, CQE_LEAF_A4_2, "vulnerability", v->vuln_ids.keys[i], side,
                                      u->found_ts, deadline, elapsed);
            cqe_ev_str(out->ev, o, "level", levels[u->level]);
        }
    }
    if (out->ev)
        cqe_ev_effects(out->ev, CQE_LEAF_A4_2, ok + late ? 1.0 / (double)(ok + late) : 0);
    out->leaf[CQE_LEAF_A4_2] =
        (struct cqe_opt){ok + late > 0, ok + late ? (double)ok / (double)(ok + late) : 0};
}
