/* Audit processor (A5.3): operations per month and provider, and those carrying both
 * `target` and `ticket_ref` (present, even empty: docs/readings.md 2). */
#include "apply.h"

int cqe_apply_audit(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "AU");
    cqe_kb_month(&ctx->key, cqe_apply_month(ctx, ev->ts));
    cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
    int rc = cqe_apply_sum(ctx, "n", 1);
    if (!rc && ev->target.p && ev->ticket_ref.p)
        rc = cqe_apply_sum(ctx, "traced", 1);
    return rc;
}
