/* Survey score (C1): levels mapped to points, a mean per configured dimension, then
 * the λ-weighted mean over the dimensions present; unknown dimensions are counted. */
#include <stdlib.h>
#include <string.h>

#include "figures.h"

struct cqe_opt cqe_fig_survey_score(const struct cqe_period_eval *pe, size_t target, size_t dept,
                                    int64_t *unknown_answers, int64_t *responses)
{
    const struct cqe_view *v = pe->view;
    const struct cqe_config *cfg = v->cfg;
    size_t nd = cfg->n_dims;
    int64_t(*lv)[5] = calloc(nd ? nd : 1, sizeof *lv);
    int64_t *cnt = calloc(nd ? nd : 1, sizeof *cnt);
    struct cqe_opt res = {false, 0};
    int64_t unknown = 0, resp = 0;
    if (!lv || !cnt)
        goto out;
    for (size_t i = 0; i < v->n_aggs; i++) {
        const struct cqe_agg *a = &v->aggs[i];
        if (a->fam != CQE_AGG_SV || !cqe_period_has_month(&pe->period, a->month) ||
            (target != CQE_NONE && a->provider != target) || (dept != CQE_NONE && a->aux != dept))
            continue;
        const struct cqe_cell *c = a->cell;
        if (c->field_len == 1 && c->field[0] == 'n') {
            resp += (int64_t)c->sum;
            continue;
        }
        /* field: level|dimension (dimension escaped like a key component) */
        int level = c->field[0] - '0';
        const char *dim = c->field + 2;
        size_t dl = c->field_len - 2;
        char buf[1024];
        size_t o = 0;
        for (size_t j = 0; j < dl && o < sizeof buf - 1; j++) {
            if (dim[j] == '\\' && j + 1 < dl)
                j++;
            buf[o++] = dim[j];
        }
        buf[o] = 0;
        size_t d = nd;
        for (size_t j = 0; j < nd; j++)
            if (!strcmp(cfg->dims[j].name, buf))
                d = j;
        if (d == nd || level < 1 || level > 5) {
            unknown += (int64_t)c->sum;
            continue;
        }
        lv[d][level - 1] += (int64_t)c->sum;
        cnt[d] += (int64_t)c->sum;
    }
    double num = 0, den = 0;
    for (size_t j = 0; j < nd; j++) {
        if (!cnt[j])
            continue;
        double pts = 0; /* summed in level order, whatever the cell order */
        for (int l = 0; l < 5; l++)
            pts += cfg->level_scores[l] * (double)lv[j][l];
        num += cfg->dims[j].weight * (pts / (double)cnt[j]);
        den += cfg->dims[j].weight;
    }
    if (den > 0)
        res = (struct cqe_opt){true, num / den};
out:
    free(lv);
    free(cnt);
    if (unknown_answers)
        *unknown_answers = unknown;
    if (responses)
        *responses = resp;
    return res;
}

void cqe_fig_satisfaction(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    out->leaf[CQE_LEAF_C1] =
        cqe_fig_survey_score(pe, target, CQE_NONE, &out->survey_unknown_answers, &out->survey_responses);
}
