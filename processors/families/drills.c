/* Drill processor (A3.3, A4.1): per month, provider and kind, the sets of drills
 * planned, done and done successfully (Readings 5: distinct ids). */
#include "apply.h"

int cqe_apply_drill(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "D");
    cqe_kb_month(&ctx->key, cqe_apply_month(ctx, ev->ts));
    cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
    cqe_kb_cstr(&ctx->key, ev->drill_kind == CQE_DRILL_DR ? "dr" : "emergency");
    struct cqe_kb *f = &ctx->field;
    cqe_kb_reset(f);
    if (ev->action == CQE_A_PLAN) {
        cqe_kb_cstr(f, "p");
        cqe_kb_str(f, ev->entity.p, ev->entity.n);
        return f->oom ? -2 : cqe_apply_set(ctx, f->p, f->n);
    }
    cqe_kb_cstr(f, "d");
    cqe_kb_str(f, ev->entity.p, ev->entity.n);
    int rc = f->oom ? -2 : cqe_apply_set(ctx, f->p, f->n);
    int ok = ev->ok;
    if ((ev->has & CQE_HAS_RTO) && (ev->has & CQE_HAS_RTO_TARGET) && ev->rto_s > ev->rto_target_s)
        ok = 0;
    if ((ev->has & CQE_HAS_RPO) && (ev->has & CQE_HAS_RPO_TARGET) && ev->rpo_s > ev->rpo_target_s)
        ok = 0;
    if (rc || !ok)
        return rc;
    cqe_kb_reset(f);
    cqe_kb_cstr(f, "s");
    cqe_kb_str(f, ev->entity.p, ev->entity.n);
    return f->oom ? -2 : cqe_apply_set(ctx, f->p, f->n);
}
