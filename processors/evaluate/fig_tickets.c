/* Tickets and follow-ups (A2.3, C2, C3): requests on time with pending versus late at
 * as_of, follow-up satisfaction, valid complaints per 100 tickets. */
#include <string.h>

#include "evidence.h"
#include "figures.h"

void cqe_fig_tickets(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    int64_t opened = 0, complaints = 0, ok = 0, late = 0;
    for (size_t i = 0; i < v->n_tickets; i++) {
        const struct cqe_ticket *t = &v->tickets[i];
        if (t->provider == CQE_NONE) /* a close with no open */
            continue;
        if (t->open_ts < pe->period.start_ms || t->open_ts >= pe->period.end_ms ||
            (target != CQE_NONE && t->provider != target))
            continue;
        opened++;
        complaints += t->complaint;
        const char *side = "pending";
        if (t->has_close) {
            if (t->close_ts <= t->due) {
                ok++;
                side = "on_time";
            } else {
                late++;
                side = "late";
            }
        } else if (pe->as_of > t->due) {
            late++;
            side = "late";
        }
        if (out->ev) {
            const char *id = v->ticket_ids.keys[i];
            void *o =
                cqe_ev_deadline(out->ev, CQE_LEAF_A2_3, "ticket", id, side, t->open_ts, t->due - t->open_ts,
                                (t->has_close ? t->close_ts : pe->as_of) - t->open_ts);
            cqe_ev_time(out->ev, o, "due", t->due);
            if (t->has_close)
                cqe_ev_time(out->ev, o, "closed", t->close_ts);
            cqe_ev_tally(out->ev, CQE_LEAF_C3, t->complaint ? "complaints" : "tickets_without_complaint");
            if (t->complaint)
                cqe_ev_time(out->ev,
                            cqe_ev_item(out->ev, CQE_LEAF_C3, "ticket", id, strlen(id), "complaint", true),
                            "start", t->open_ts);
        }
    }
    if (out->ev) {
        cqe_ev_effects(out->ev, CQE_LEAF_A2_3, ok + late ? 1.0 / (double)(ok + late) : 0);
        cqe_ev_effects(out->ev, CQE_LEAF_C3, opened ? 100.0 / (double)opened : 0);
    }
    out->leaf[CQE_LEAF_A2_3] =
        (struct cqe_opt){ok + late > 0, ok + late ? (double)ok / (double)(ok + late) : 0};
    out->leaf[CQE_LEAF_C3] =
        (struct cqe_opt){opened > 0, opened ? 100.0 * (double)complaints / (double)opened : 0};

    __int128 n = 0, sat = 0;
    for (size_t i = 0; i < v->n_aggs; i++) {
        const struct cqe_agg *a = &v->aggs[i];
        if (a->fam != CQE_AGG_TF || !cqe_period_has_month(&pe->period, a->month) ||
            (target != CQE_NONE && a->provider != target))
            continue;
        bool all = a->cell->field_len == 1 && a->cell->field[0] == 'n';
        if (all)
            n += a->cell->sum;
        else
            sat += a->cell->sum;
        if (out->ev)
            cqe_ev_month_count(out->ev, CQE_LEAF_C2, a, all ? "events" : "satisfied");
    }
    out->leaf[CQE_LEAF_C2] = (struct cqe_opt){n > 0, n > 0 ? (double)sat / (double)n : 0};
    if (out->ev)
        cqe_ev_month_effects(out->ev, CQE_LEAF_C2, "events", "satisfied", (double)n);
}
