/* Survey score (C1): levels mapped to points, a mean per configured dimension, then
 * the λ-weighted mean over the dimensions present; unknown dimensions are counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "figures.h"

/* Each dimension present: its answers by level, score and λ; its pull on C1 is its λ
 * share of (100 - score), so the pulls add up to 100 - C1. */
static void survey_evidence(struct cqe_evidence *ev, const struct cqe_config *cfg, int64_t (*lv)[5],
                            const int64_t *cnt, double den, int64_t unknown)
{
    for (size_t j = 0; j < cfg->n_dims; j++) {
        if (!cnt[j])
            continue;
        double pts = 0;
        for (int l = 0; l < 5; l++)
            pts += cfg->level_scores[l] * (double)lv[j][l];
        double score = pts / (double)cnt[j];
        void *o = cqe_ev_item(ev, CQE_LEAF_C1, "dimension", cfg->dims[j].name, strlen(cfg->dims[j].name),
                              "answered", score < 100);
        cqe_ev_int(ev, o, "answers", cnt[j]);
        for (int l = 0; l < 5; l++) {
            static const char *const level_keys[5] = {"level_1", "level_2", "level_3", "level_4", "level_5"};
            cqe_ev_int(ev, o, level_keys[l], lv[j][l]);
        }
        cqe_ev_num(ev, o, "score", score);
        cqe_ev_num(ev, o, "lambda", cfg->dims[j].weight);
        cqe_ev_num(ev, o, "effect", cfg->dims[j].weight / den * (100.0 - score));
    }
    cqe_ev_int(ev, cqe_ev_summary(ev, CQE_LEAF_C1), "unknown_answers", unknown);
}

static struct cqe_opt survey_score(const struct cqe_period_eval *pe, size_t target, size_t dept,
                                   int64_t *unknown_answers, int64_t *responses, struct cqe_evidence *ev)
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
    if (ev && den > 0)
        survey_evidence(ev, cfg, lv, cnt, den, unknown);
out:
    free(lv);
    free(cnt);
    if (unknown_answers)
        *unknown_answers = unknown;
    if (responses)
        *responses = resp;
    return res;
}

struct cqe_opt cqe_fig_survey_score(const struct cqe_period_eval *pe, size_t target, size_t dept,
                                    int64_t *unknown_answers, int64_t *responses)
{
    return survey_score(pe, target, dept, unknown_answers, responses, NULL);
}

void cqe_fig_satisfaction(const struct cqe_period_eval *pe, size_t target, struct cqe_target_figures *out)
{
    out->leaf[CQE_LEAF_C1] =
        survey_score(pe, target, CQE_NONE, &out->survey_unknown_answers, &out->survey_responses, out->ev);
}
