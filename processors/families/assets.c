/* Asset processor (B4): every asset event is kept as a record ts|id|action|class|
 * domestic|provider, since the asset's state is read at each period's end. */
#include "apply.h"

int cqe_apply_asset(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "AS");
    cqe_kb_str(&ctx->key, ev->entity.p, ev->entity.n);
    struct cqe_kb *r = &ctx->rec;
    cqe_kb_reset(r);
    cqe_kb_i64(r, ev->ts);
    cqe_kb_str(r, ev->id.p, ev->id.n);
    cqe_kb_i64(r, ev->action);
    cqe_kb_i64(r, ev->asset_class);
    cqe_kb_i64(r, (ev->has & CQE_HAS_DOMESTIC) && ev->domestic);
    cqe_kb_str(r, ev->provider.p, ev->provider.n);
    return r->oom ? -2 : cqe_apply_set(ctx, r->p, r->n);
}
