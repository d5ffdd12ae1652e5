/* Probe processor: ok/fail counts per service and UTC minute (packed in one sum: ok in
 * the low 64 bits, fail in the high), the service's earliest probe for attribution,
 * and the services with probes per month (scope). */
#include "apply.h"

#include <stdio.h>

int cqe_apply_probe(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    int64_t month = cqe_apply_month(ctx, ev->ts);
    int64_t minute = ev->ts >= 0 ? ev->ts / 60000 : -((-ev->ts + 59999) / 60000);
    char f[24];
    int fn = snprintf(f, sizeof f, "%lld", (long long)minute);
    int rc;

    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "P");
    cqe_kb_str(&ctx->key, ev->service.p, ev->service.n);
    cqe_kb_month(&ctx->key, month);
    __int128 delta = ev->ok ? 1 : ((__int128)1 << 64);
    if ((rc = cqe_store_add(ctx->store, ctx->key.p, ctx->key.n, f, (size_t)fn, delta)))
        return rc;

    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "PS");
    cqe_kb_month(&ctx->key, month);
    if ((rc = cqe_apply_set(ctx, ev->service.p, ev->service.n)))
        return rc;

    /* earliest probe of the service: provider|dept? */
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "PF");
    cqe_kb_str(&ctx->key, ev->service.p, ev->service.n);
    cqe_kb_reset(&ctx->rec);
    cqe_kb_str(&ctx->rec, ev->provider.p, ev->provider.n);
    cqe_kb_opt_str(&ctx->rec, ev->dept.p, ev->dept.n);
    return cqe_store_reg(ctx->store, CQE_OP_REG_MIN, ctx->key.p, ctx->key.n, "", 0, ev->ts,
                         ev->id.p, ev->id.n, ctx->rec.p, ctx->rec.n);
}
