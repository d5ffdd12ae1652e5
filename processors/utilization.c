/* Metric processor (B1-B3): per month and provider, time-weighted sums in fixed point,
 * maxima and 0.01-wide histograms per metric; per department the means and resources;
 * per vm resource the idle-share inputs (B1.3). */
#include "apply.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const metric_names[4] = {"cpu", "mem", "disk", "net"};

static int put_metric(struct cqe_apply_ctx *ctx, const char *m, double x, int64_t w, int hist)
{
    char f[32];
    int rc;
    __int128 fixed = (__int128)llround(x * CQE_FIXED_SCALE) * w;
    snprintf(f, sizeof f, "%s|w", m);
    if ((rc = cqe_apply_sum(ctx, f, w)))
        return rc;
    snprintf(f, sizeof f, "%s|s", m);
    if ((rc = cqe_apply_sum(ctx, f, fixed)))
        return rc;
    if (!hist)
        return 0;
    snprintf(f, sizeof f, "%s|max", m);
    if ((rc = cqe_store_max(ctx->store, ctx->key.p, ctx->key.n, f, strlen(f), x)))
        return rc;
    /* Readings 9: bucket = floor(100x + 0.5 + 1e-9) */
    long bucket = (long)floor(100.0 * x + 0.5 + 1e-9);
    snprintf(f, sizeof f, "%s|h|%ld", m, bucket);
    return cqe_apply_sum(ctx, f, w);
}

int cqe_apply_metric(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    const double vals[4] = {ev->cpu, ev->mem, ev->disk, ev->net};
    const uint32_t bits[4] = {CQE_HAS_CPU, CQE_HAS_MEM, CQE_HAS_DISK, CQE_HAS_NET};
    int64_t month = cqe_apply_month(ctx, ev->ts);
    int64_t w = ev->interval_s;
    int rc;

    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "U");
    cqe_kb_month(&ctx->key, month);
    cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
    for (int i = 0; i < 4; i++)
        if ((ev->has & bits[i]) && (rc = put_metric(ctx, metric_names[i], vals[i], w, 1)))
            return rc;

    if (ev->dept.p) {
        cqe_kb_reset(&ctx->key);
        cqe_kb_cstr(&ctx->key, "UD");
        cqe_kb_month(&ctx->key, month);
        cqe_kb_str(&ctx->key, ev->dept.p, ev->dept.n);
        for (int i = 0; i < 2; i++)
            if ((ev->has & bits[i]) && (rc = put_metric(ctx, metric_names[i], vals[i], w, 0)))
                return rc;
        cqe_kb_reset(&ctx->key);
        cqe_kb_cstr(&ctx->key, "UDR");
        cqe_kb_month(&ctx->key, month);
        cqe_kb_str(&ctx->key, ev->dept.p, ev->dept.n);
        if ((rc = cqe_apply_set(ctx, ev->resource.p, ev->resource.n)))
            return rc;
    }

    if (ev->kind == CQE_KIND_VM && (ev->has & (CQE_HAS_CPU | CQE_HAS_MEM))) {
        cqe_kb_reset(&ctx->key);
        cqe_kb_cstr(&ctx->key, "UR");
        cqe_kb_month(&ctx->key, month);
        cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
        cqe_kb_str(&ctx->key, ev->resource.p, ev->resource.n);
        if (ev->has & CQE_HAS_CPU) {
            if ((rc = cqe_apply_sum(ctx, "cw", w)))
                return rc;
            if (ev->cpu < ctx->cfg->idle_cpu_below && (rc = cqe_apply_sum(ctx, "cl", w)))
                return rc;
        }
        if (ev->has & CQE_HAS_MEM) {
            if ((rc = cqe_apply_sum(ctx, "mw", w)))
                return rc;
            if ((rc = cqe_apply_sum(ctx, "ms", (__int128)llround(ev->mem * CQE_FIXED_SCALE) * w)))
                return rc;
        }
    }
    return 0;
}
