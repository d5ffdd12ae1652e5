/* Ticket processor (A2.3, C2, C3): the first open of each ticket (period, provider, due,
 * complaint) and its first close; follow-up feedback counted per month and provider. */
#include "apply.h"

int cqe_apply_ticket(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    if (ev->action == CQE_A_FEEDBACK) {
        cqe_kb_cstr(&ctx->key, "TF");
        cqe_kb_month(&ctx->key, cqe_apply_month(ctx, ev->ts));
        cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
        int rc = cqe_apply_sum(ctx, "n", 1);
        if (!rc && ev->satisfied)
            rc = cqe_apply_sum(ctx, "sat", 1);
        return rc;
    }
    cqe_kb_cstr(&ctx->key, "T");
    cqe_kb_str(&ctx->key, ev->entity.p, ev->entity.n);
    if (ev->action == CQE_A_CLOSE)
        return cqe_store_min(ctx->store, ctx->key.p, ctx->key.n, "close", 5, (double)ev->ts);
    /* open: provider|due|complaint */
    struct cqe_kb *r = &ctx->rec;
    cqe_kb_reset(r);
    cqe_kb_str(r, ev->provider.p, ev->provider.n);
    cqe_kb_i64(r, ev->due);
    cqe_kb_i64(r, (ev->has & CQE_HAS_COMPLAINT) && ev->complaint);
    if (r->oom)
        return -2;
    return cqe_store_reg(ctx->store, CQE_OP_REG_MIN, ctx->key.p, ctx->key.n, "open", 4, ev->ts,
                         ev->id.p, ev->id.n, r->p, r->n);
}
