/* Audit family (A5.3): operations per month and provider, and those carrying both
 * `target` and `ticket_ref` (present, even empty: docs/readings.md 2). */
#include "family.h"

#define KEY_AUDIT "AU" /* AU|<month>|<provider>: sums "n", "traced" */

static int apply_audit(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, KEY_AUDIT);
    cqe_kb_month(&ctx->key, cqe_apply_month(ctx, ev->ts));
    cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
    int rc = cqe_apply_sum(ctx, "n", 1);
    if (!rc && ev->target.p && ev->ticket_ref.p)
        rc = cqe_apply_sum(ctx, "traced", 1);
    return rc;
}

static int parse_audit(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    int64_t month;
    if (cqe_vb_expect(b, k, 3, c, CQE_OP_SUM) || cqe_vb_month(b, c, k, 1, &month))
        return b->rc;
    size_t prov = cqe_vb_intern(b, &b->v->providers, k->p[2], k->n[2]);
    return cqe_vb_agg(b, CQE_AGG_AU, month, prov, CQE_NONE, c);
}

static const char *const prefixes[] = {KEY_AUDIT, NULL};

const struct cqe_family cqe_family_audit = {
    .type = CQE_T_AUDIT,
    .name = "audit",
    .prefixes = prefixes,
    .apply = apply_audit,
    .parse = parse_audit,
    .month = cqe_family_month_of_name,
};
