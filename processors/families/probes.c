/* Probe processor: ok/fail counts per service and minute, one dense vector per service
 * and local day (index 2·minute-of-day for ok, +1 for fail: 8 bytes a minute), the
 * service's earliest probe for attribution, and the services with probes per month. */
#include "apply.h"

#include <stdio.h>

#include "timeutil.h"

int cqe_apply_probe(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    int64_t month = cqe_apply_month(ctx, ev->ts);
    int off = ctx->cfg->utc_offset_min;
    int64_t day = cqe_local_day(ev->ts, off);
    int64_t minute = (ev->ts - cqe_local_midnight(day, off)) / 60000; /* whole-minute offsets */
    int64_t y;
    int m, d;
    char date[16];
    int rc;
    cqe_civil_from_days(day, &y, &m, &d);
    snprintf(date, sizeof date, "%04lld-%02d-%02d", (long long)y, m, d);

    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "P");
    cqe_kb_str(&ctx->key, ev->service.p, ev->service.n);
    cqe_kb_cstr(&ctx->key, date);
    if ((rc = cqe_store_vec_add(ctx->store, ctx->key.p, ctx->key.n, "", 0, CQE_PROBE_VEC_LEN,
                                (uint32_t)(2 * minute + (ev->ok ? 0 : 1)), 1)))
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
