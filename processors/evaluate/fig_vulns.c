/* Vulnerabilities fixed on time (A4.2): by the level of the first `found`, the first
 * `fixed`, pending versus late at as_of (Readings 4, 5). */
#include "event.h"
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
        if (u->has_fixed) {
            if (u->fixed_ts - u->found_ts <= deadline)
                ok++;
            else
                late++;
        } else if (pe->as_of - u->found_ts > deadline) {
            late++;
        }
    }
    out->leaf[CQE_LEAF_A4_2] =
        (struct cqe_opt){ok + late > 0, ok + late ? (double)ok / (double)(ok + late) : 0};
}
