/* Vulnerability processor (A4.2): the first `found` (provider, level) and the first
 * `fixed` of each vulnerability. */
#include "apply.h"

int cqe_apply_vuln(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "V");
    cqe_kb_str(&ctx->key, ev->entity.p, ev->entity.n);
    if (ev->action == CQE_A_FIXED)
        return cqe_store_min(ctx->store, ctx->key.p, ctx->key.n, "fixed", 5, (double)ev->ts);
    struct cqe_kb *r = &ctx->rec;
    cqe_kb_reset(r);
    cqe_kb_str(r, ev->provider.p, ev->provider.n);
    cqe_kb_i64(r, ev->level);
    if (r->oom)
        return -2;
    return cqe_store_reg(ctx->store, CQE_OP_REG_MIN, ctx->key.p, ctx->key.n, "found", 5, ev->ts,
                         ev->id.p, ev->id.n, r->p, r->n);
}
