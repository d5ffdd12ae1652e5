/* Metric family (B1-B3): per month and provider, time-weighted sums in fixed point,
 * maxima, and one vector of weights and 0.01-wide histograms for all four metrics; per department the means
 * and resources; per vm resource the idle-share inputs (B1.3). */
#include "family.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define KEY_UTIL "U"            /* U|<month>|<provider> */
#define KEY_UTIL_DEPT "UD"      /* UD|<month>|<dept>: cpu and mem sums and weights */
#define KEY_UTIL_DEPT_RES "UDR" /* UDR|<month>|<dept>: set of resources */
#define KEY_UTIL_RES "UR"       /* UR|<month>|<provider>|<resource>: idle-share inputs */

static const char *const metric_names[4] = {"cpu", "mem", "disk", "net"};

/* Field names per metric: "cpu|s", "cpu|max", "cpu|w" (fixed-point sums stay int128
 * cells), built once. */
struct metric_fields {
    char s[8], max[12], w[8];
};
static struct metric_fields fields[4];
static pthread_once_t fields_once = PTHREAD_ONCE_INIT;

static void build_fields(void)
{
    for (int m = 0; m < 4; m++) {
        snprintf(fields[m].s, sizeof fields[m].s, "%s|s", metric_names[m]);
        snprintf(fields[m].max, sizeof fields[m].max, "%s|max", metric_names[m]);
        snprintf(fields[m].w, sizeof fields[m].w, "%s|w", metric_names[m]);
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
    if ((rc = cqe_apply_max(ctx, fields[m].max, x)))
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

static int apply_metric(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    const double vals[4] = {ev->cpu, ev->mem, ev->disk, ev->net};
    const uint32_t bits[4] = {CQE_HAS_CPU, CQE_HAS_MEM, CQE_HAS_DISK, CQE_HAS_NET};
    int64_t month = cqe_apply_month(ctx, ev->ts);
    int64_t w = ev->interval_s;
    int rc;
    pthread_once(&fields_once, build_fields);

    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, KEY_UTIL);
    cqe_kb_month(&ctx->key, month);
    cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
    uint32_t idx[8];
    int64_t delta[8];
    size_t n = 0;
    for (int i = 0; i < 4; i++)
        if ((ev->has & bits[i]) && (rc = put_metric(ctx, i, vals[i], w, 1, idx, delta, &n)))
            return rc;
    if (ctx->key.oom)
        return CQE_ENOMEM;
    if ((rc = cqe_store_vec_add_n(ctx->store, ctx->key.p, ctx->key.n, "wh", 2, CQE_UTIL_VEC_LEN, idx, delta,
                                  n)))
        return rc;

    if (ev->dept.p) {
        cqe_kb_reset(&ctx->key);
        cqe_kb_cstr(&ctx->key, KEY_UTIL_DEPT);
        cqe_kb_month(&ctx->key, month);
        cqe_kb_str(&ctx->key, ev->dept.p, ev->dept.n);
        for (int i = 0; i < 2; i++) {
            if (!(ev->has & bits[i]))
                continue;
            if ((rc = cqe_apply_sum(ctx, fields[i].w, w)) ||
                (rc = put_metric(ctx, i, vals[i], w, 0, NULL, NULL, NULL)))
                return rc;
        }
        cqe_kb_reset(&ctx->key);
        cqe_kb_cstr(&ctx->key, KEY_UTIL_DEPT_RES);
        cqe_kb_month(&ctx->key, month);
        cqe_kb_str(&ctx->key, ev->dept.p, ev->dept.n);
        if ((rc = cqe_apply_set(ctx, ev->resource.p, ev->resource.n)))
            return rc;
    }

    if (ev->kind == CQE_KIND_VM && (ev->has & (CQE_HAS_CPU | CQE_HAS_MEM))) {
        cqe_kb_reset(&ctx->key);
        cqe_kb_cstr(&ctx->key, KEY_UTIL_RES);
        cqe_kb_month(&ctx->key, month);
        cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
        cqe_kb_str(&ctx->key, ev->resource.p, ev->resource.n);
        if (ctx->key.oom)
            return CQE_ENOMEM;
        uint32_t ri[CQE_UR_LEN];
        int64_t rd[CQE_UR_LEN];
        size_t rn = 0;
        if (ev->has & CQE_HAS_CPU) {
            ri[rn] = CQE_UR_CW, rd[rn++] = w;
            if (ev->cpu < ctx->cfg->idle_cpu_below)
                ri[rn] = CQE_UR_CL, rd[rn++] = w;
        }
        if (ev->has & CQE_HAS_MEM) {
            ri[rn] = CQE_UR_MW, rd[rn++] = w;
            ri[rn] = CQE_UR_MS, rd[rn++] = llround(ev->mem * CQE_UR_MEM_SCALE) * w;
        }
        return cqe_store_vec_add_n(ctx->store, ctx->key.p, ctx->key.n, "i", 1, CQE_UR_LEN, ri, rd, rn);
    }
    return 0;
}

/* U: the weight/histogram vector, fixed-point sums and maxima of a provider's month. */
static int parse_util(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    int64_t month;
    if (k->count != 3 || cqe_vb_month(b, c, k, 1, &month))
        return cqe_vb_corrupt(b, c, "a utilization key is U|<month>|<provider>");
    bool vec = c->op == CQE_OP_VEC && c->vec_len == CQE_UTIL_VEC_LEN;
    if (!vec && c->op != CQE_OP_SUM && c->op != CQE_OP_MAX)
        return cqe_vb_corrupt(b, c, "the cell is not of the kind its family stores");
    size_t prov = cqe_vb_intern(b, &b->v->providers, k->p[2], k->n[2]);
    return cqe_vb_agg(b, CQE_AGG_U, month, prov, CQE_NONE, c);
}

/* UD: "cpu|w", "cpu|s", "mem|w", "mem|s" sums; UDR: the resources of a department. */
static int parse_dept(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    struct cqe_view *v = b->v;
    bool res = cqe_kparts_is(k, 0, KEY_UTIL_DEPT_RES);
    int64_t month;
    if (cqe_vb_expect(b, k, 3, c, res ? CQE_OP_SET : CQE_OP_SUM) || cqe_vb_month(b, c, k, 1, &month))
        return b->rc;
    if (!res && c->field_len != 5)
        return cqe_vb_corrupt(b, c, "a department utilization field is <metric>|w or |s");
    size_t dept = cqe_vb_intern(b, &v->depts, k->p[2], k->n[2]);
    if (cqe_vb_agg(b, res ? CQE_AGG_UDR : CQE_AGG_UD, month, CQE_NONE, dept, c))
        return b->rc;
    if (res)
        cqe_vb_intern(b, &v->resources, c->field, c->field_len);
    return b->rc;
}

/* UR: the cw, cl, mw, ms vector of one vm resource. */
static int parse_resource(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    struct cqe_view *v = b->v;
    int64_t month;
    if (cqe_vb_expect(b, k, 4, c, CQE_OP_VEC) || cqe_vb_month(b, c, k, 1, &month))
        return b->rc;
    if (c->vec_len != CQE_UR_LEN)
        return cqe_vb_corrupt(b, c, "a resource's idle-share vector has 4 entries");
    size_t prov = cqe_vb_intern(b, &v->providers, k->p[2], k->n[2]);
    size_t res = cqe_vb_intern(b, &v->resources, k->p[3], k->n[3]);
    return cqe_vb_agg(b, CQE_AGG_UR, month, prov, res, c);
}

static int parse_metric(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    if (cqe_kparts_is(k, 0, KEY_UTIL))
        return parse_util(b, k, c);
    if (cqe_kparts_is(k, 0, KEY_UTIL_RES))
        return parse_resource(b, k, c);
    return parse_dept(b, k, c);
}

static const char *const prefixes[] = {KEY_UTIL, KEY_UTIL_DEPT, KEY_UTIL_DEPT_RES, KEY_UTIL_RES, NULL};

const struct cqe_family cqe_family_metric = {
    .type = CQE_T_METRIC,
    .name = "metric",
    .prefixes = prefixes,
    .apply = apply_metric,
    .parse = parse_metric,
    .month = cqe_family_month_of_name,
};
