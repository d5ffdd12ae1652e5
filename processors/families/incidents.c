/* Incident processor: every incident event is kept as a record in the set I|<incident>,
 * so activity, attributes and timings are derived on read in (ts, id) order. */
#include "apply.h"

#include <stdio.h>

static void opt_int(struct cqe_kb *b, int present, long long v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%lld", v);
    cqe_kb_opt_str(b, present ? t : NULL, (size_t)n);
}

int cqe_apply_incident(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    struct cqe_kb *r = &ctx->rec;
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "I");
    cqe_kb_str(&ctx->key, ev->entity.p, ev->entity.n);
    /* ts|id|action|provider|dept?|service?|severity?|impact?|scope?|cause?|category?|data_loss? */
    cqe_kb_reset(r);
    cqe_kb_i64(r, ev->ts);
    cqe_kb_str(r, ev->id.p, ev->id.n);
    cqe_kb_i64(r, ev->action);
    cqe_kb_str(r, ev->provider.p, ev->provider.n);
    cqe_kb_opt_str(r, ev->dept.p, ev->dept.n);
    cqe_kb_opt_str(r, ev->service.p, ev->service.n);
    opt_int(r, ev->has & CQE_HAS_SEVERITY, ev->severity);
    opt_int(r, ev->has & CQE_HAS_IMPACT, ev->impact);
    char t[32];
    int n = snprintf(t, sizeof t, "%.17g", ev->scope);
    cqe_kb_opt_str(r, (ev->has & CQE_HAS_SCOPE) ? t : NULL, (size_t)n);
    opt_int(r, ev->has & CQE_HAS_CAUSE, ev->cause);
    cqe_kb_opt_str(r, ev->category.p, ev->category.n);
    opt_int(r, ev->has & CQE_HAS_DATA_LOSS, ev->data_loss);
    if (r->oom)
        return -2;
    return cqe_apply_set(ctx, r->p, r->n);
}
