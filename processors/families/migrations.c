/* Migration processor (A5.2): the latest plan's planned_end, and every done event as a
 * record ts|id|provider|ok|verified (judged against the plan on read). */
#include "apply.h"

int cqe_apply_migration(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "MG");
    cqe_kb_str(&ctx->key, ev->entity.p, ev->entity.n);
    struct cqe_kb *r = &ctx->rec;
    cqe_kb_reset(r);
    if (ev->action == CQE_A_PLAN) {
        cqe_kb_i64(r, ev->planned_end);
        return r->oom ? -2
                      : cqe_store_reg(ctx->store, CQE_OP_REG_MAX, ctx->key.p, ctx->key.n, "plan",
                                      4, ev->ts, ev->id.p, ev->id.n, r->p, r->n);
    }
    cqe_kb_i64(r, ev->ts);
    cqe_kb_str(r, ev->id.p, ev->id.n);
    cqe_kb_str(r, ev->provider.p, ev->provider.n);
    cqe_kb_i64(r, ev->ok);
    cqe_kb_i64(r, ev->data_verified);
    return r->oom ? -2 : cqe_apply_set(ctx, r->p, r->n);
}
