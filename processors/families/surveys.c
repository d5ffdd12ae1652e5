/* Survey family (C1): answer counts per month, provider, department, dimension and
 * level; dimensions are matched against the configuration on read. */
#include "family.h"

#define KEY_SURVEY "SV" /* SV|<month>|<provider>|<dept>: sums "n" and "<level>|<dim>" */

static int apply_survey(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, KEY_SURVEY);
    cqe_kb_month(&ctx->key, cqe_apply_month(ctx, ev->ts));
    cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
    cqe_kb_str(&ctx->key, ev->dept.p, ev->dept.n);
    int rc = cqe_apply_sum(ctx, "n", 1);
    for (size_t i = 0; !rc && i < ev->n_answers; i++) {
        cqe_kb_reset(&ctx->field);
        cqe_kb_i64(&ctx->field, ev->answers[i].level);
        cqe_kb_str(&ctx->field, ev->answers[i].dim.p, ev->answers[i].dim.n);
        if (ctx->field.oom || ctx->key.oom)
            return CQE_ENOMEM;
        rc = cqe_store_add(ctx->store, ctx->key.p, ctx->key.n, ctx->field.p, ctx->field.n, 1);
    }
    return rc;
}

static int parse_survey(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    struct cqe_view *v = b->v;
    int64_t month;
    if (cqe_vb_expect(b, k, 4, c, CQE_OP_SUM) || cqe_vb_month(b, c, k, 1, &month))
        return b->rc;
    if (!(c->field_len == 1 && c->field[0] == 'n') && (c->field_len < 2 || c->field[1] != '|'))
        return cqe_vb_corrupt(b, c, "a survey field is n or <level>|<dimension>");
    size_t prov = cqe_vb_intern(b, &v->providers, k->p[2], k->n[2]);
    size_t dept = cqe_vb_intern(b, &v->depts, k->p[3], k->n[3]);
    return cqe_vb_agg(b, CQE_AGG_SV, month, prov, dept, c);
}

static const char *const prefixes[] = {KEY_SURVEY, NULL};

const struct cqe_family cqe_family_survey = {
    .type = CQE_T_SURVEY,
    .name = "survey",
    .prefixes = prefixes,
    .apply = apply_survey,
    .parse = parse_survey,
    .month = cqe_family_month_of_name,
};
