/* Maintenance processor: the latest event of each window (by ts, then id) decides
 * (Readings 6), so a REG_MAX register W|<window> holds action|provider|service?|start?|end?. */
#include "apply.h"

int cqe_apply_maintenance(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "W");
    cqe_kb_str(&ctx->key, ev->entity.p, ev->entity.n);
    struct cqe_kb *r = &ctx->rec;
    cqe_kb_reset(r);
    cqe_kb_i64(r, ev->action);
    cqe_kb_str(r, ev->provider.p, ev->provider.n);
    cqe_kb_opt_str(r, ev->service.p, ev->service.n);
    cqe_kb_i64(r, (ev->has & CQE_HAS_START) ? ev->start : 0);
    cqe_kb_i64(r, (ev->has & CQE_HAS_END) ? ev->end : 0);
    if (r->oom)
        return -2;
    return cqe_store_reg(ctx->store, CQE_OP_REG_MAX, ctx->key.p, ctx->key.n, "", 0, ev->ts,
                         ev->id.p, ev->id.n, r->p, r->n);
}
