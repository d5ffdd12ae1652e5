/* Survey processor (C1): answer counts per month, provider, department, dimension and
 * level; dimensions are matched against the configuration on read. */
#include "apply.h"

#include <stdio.h>

int cqe_apply_survey(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "SV");
    cqe_kb_month(&ctx->key, cqe_apply_month(ctx, ev->ts));
    cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
    cqe_kb_str(&ctx->key, ev->dept.p, ev->dept.n);
    int rc = cqe_apply_sum(ctx, "n", 1);
    for (size_t i = 0; !rc && i < ev->n_answers; i++) {
        cqe_kb_reset(&ctx->field);
        cqe_kb_i64(&ctx->field, ev->answers[i].level);
        cqe_kb_str(&ctx->field, ev->answers[i].dim.p, ev->answers[i].dim.n);
        if (ctx->field.oom)
            return -2;
        rc = cqe_store_add(ctx->store, ctx->key.p, ctx->key.n, ctx->field.p, ctx->field.n, 1);
    }
    return rc;
}
