/* Domestic substitution (B4.1 servers, B4.2 system software): each asset's latest event
 * with ts < period end and ts <= as_of decides whether it is active (Readings 10). */
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "evidence.h"
#include "figures.h"

int cqe_fig_assets(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    const struct cqe_view *v = pe->view;
    size_t n = v->asset_ids.n;
    size_t *best = malloc((n ? n : 1) * sizeof *best);
    if (!best)
        return CQE_ENOMEM;
    for (size_t i = 0; i < n; i++)
        best[i] = CQE_NONE;
    for (size_t i = 0; i < v->n_assets; i++) {
        const struct cqe_asset_event *e = &v->assets[i];
        if (e->ts >= pe->period.end_ms || e->ts > pe->as_of)
            continue;
        size_t b = best[e->asset];
        if (b == CQE_NONE || e->ts > v->assets[b].ts ||
            (e->ts == v->assets[b].ts && strcmp(e->id, v->assets[b].id) > 0))
            best[e->asset] = i;
    }
    int64_t servers = 0, dom_servers = 0, sw = 0, dom_sw = 0;
    for (size_t i = 0; i < n; i++) {
        if (best[i] == CQE_NONE)
            continue;
        const struct cqe_asset_event *e = &v->assets[best[i]];
        if (e->action != CQE_A_ADD || (target != CQE_NONE && e->provider != target))
            continue;
        if (e->asset_class == CQE_ASSET_SERVER) {
            servers++;
            dom_servers += e->domestic;
        } else {
            sw++;
            dom_sw += e->domestic;
        }
        if (out->ev) { /* every active asset tallied; the ones not domestic listed */
            static const char *const classes[] = {"server", "os", "database", "middleware"};
            enum cqe_leaf l = e->asset_class == CQE_ASSET_SERVER ? CQE_LEAF_B4_1 : CQE_LEAF_B4_2;
            cqe_ev_tally(out->ev, l, e->domestic ? "domestic" : "not_domestic");
            if (!e->domestic) {
                void *o = cqe_ev_item(out->ev, l, "asset", v->asset_ids.keys[i], v->asset_ids.lens[i],
                                      "not_domestic", true);
                cqe_ev_str(out->ev, o, "class", classes[e->asset_class]);
                cqe_ev_time(out->ev, o, "since", e->ts);
            }
        }
    }
    if (out->ev) {
        cqe_ev_effects(out->ev, CQE_LEAF_B4_1, servers ? 1.0 / (double)servers : 0);
        cqe_ev_effects(out->ev, CQE_LEAF_B4_2, sw ? 1.0 / (double)sw : 0);
    }
    free(best);
    out->leaf[CQE_LEAF_B4_1] =
        (struct cqe_opt){servers > 0, servers ? (double)dom_servers / (double)servers : 0};
    out->leaf[CQE_LEAF_B4_2] = (struct cqe_opt){sw > 0, sw ? (double)dom_sw / (double)sw : 0};
    return 0;
}
