/* Metric processor (B1-B3): per month and provider, time-weighted sums in fixed point,
 * maxima, and one vector of weights and 0.01-wide histograms for all four metrics; per department the means and resources;
 * per vm resource the idle-share inputs (B1.3). */
#include "apply.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const char *const metric_names[4] = {"cpu", "mem", "disk", "net"};

/* Field names per metric: "cpu|s", "cpu|max" (fixed-point sums stay int128 cells). */
struct metric_fields {
    char s[8], max[12];
};
static struct metric_fields fields[4];
static pthread_once_t fields_once = PTHREAD_ONCE_INIT;

static void build_fields(void)
{
    for (int m = 0; m < 4; m++) {
        snprintf(fields[m].s, sizeof fields[m].s, "%s|s", metric_names[m]);
        snprintf(fields[m].max, sizeof fields[m].max, "%s|max", metric_names[m]);
    }
}

/* Time-weighted sum (fixed point) and, with hist, the maximum; the weight and histogram
 * go into the caller's vector batch (see CQE_UTIL_VEC_LEN). */
static int put_metric(struct cqe_apply_ctx *ctx, int m, double x, int64_t w, int hist, uint32_t *idx,
                      int64_t *delta, size_t *n)
{
    int rc;
    __int128 fixed = (__int128)llround(x * CQE_FIXED_SCALE) * w;
    if ((rc = cqe_apply_sum(ctx, fields[m].s, fixed)))
        return rc;
    if (!hist)
        return 0;
    if ((rc = cqe_store_max(ctx->store, ctx->key.p, ctx->key.n, fields[m].max, strlen(fields[m].max), x)))
        return rc;
    /* Readings 9: bucket = floor(100x + 0.5 + 1e-9) */
    long bucket = (long)floor(100.0 * x + 0.5 + 1e-9);
    if (bucket < 0 || bucket > 100)
        bucket = bucket < 0 ? 0 : 100;
    idx[*n] = (uint32_t)(m * CQE_UTIL_VEC_STRIDE);
    delta[(*n)++] = w;
    idx[*n] = (uint32_t)(m * CQE_UTIL_VEC_STRIDE + 1 + bucket);
    delta[(*n)++] = w;
    return 0;
}

int cqe_apply_metric(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    const double vals[4] = {ev->cpu, ev->mem, ev->disk, ev->net};
    const uint32_t bits[4] = {CQE_HAS_CPU, CQE_HAS_MEM, CQE_HAS_DISK, CQE_HAS_NET};
    int64_t month = cqe_apply_month(ctx, ev->ts);
    int64_t w = ev->interval_s;
    int rc;
    pthread_once(&fields_once, build_fields);

    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "U");
    cqe_kb_month(&ctx->key, month);
    cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
    uint32_t idx[8];
    int64_t delta[8];
    size_t n = 0;
    for (int i = 0; i < 4; i++)
        if ((ev->has & bits[i]) && (rc = put_metric(ctx, i, vals[i], w, 1, idx, delta, &n)))
            return rc;
    if ((rc = cqe_store_vec_add_n(ctx->store, ctx->key.p, ctx->key.n, "wh", 2, CQE_UTIL_VEC_LEN, idx, delta, n)))
        return rc;

    if (ev->dept.p) {
        cqe_kb_reset(&ctx->key);
        cqe_kb_cstr(&ctx->key, "UD");
        cqe_kb_month(&ctx->key, month);
        cqe_kb_str(&ctx->key, ev->dept.p, ev->dept.n);
        for (int i = 0; i < 2; i++) {
            if (!(ev->has & bits[i]))
                continue;
            char wf[8];
            snprintf(wf, sizeof wf, "%s|w", metric_names[i]);
            if ((rc = cqe_apply_sum(ctx, wf, w)) || (rc = put_metric(ctx, i, vals[i], w, 0, NULL, NULL, NULL)))
                return rc;
        }
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
