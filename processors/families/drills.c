/* Drill family (A3.3, A4.1): per month, provider and kind, the sets of drills
 * planned, done and done successfully (Readings 5: distinct ids). */
#include "family.h"

#define KEY_DRILL "D" /* D|<month>|<provider>|<kind>: members p|, d|, s|<drill> */
#define KIND_DR "dr"

static int add_member(struct cqe_apply_ctx *ctx, const char *set, const struct cqe_event *ev)
{
    struct cqe_kb *f = &ctx->field;
    cqe_kb_reset(f);
    cqe_kb_cstr(f, set);
    cqe_kb_str(f, ev->entity.p, ev->entity.n);
    return cqe_apply_set_kb(ctx, f);
}

static int apply_drill(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, KEY_DRILL);
    cqe_kb_month(&ctx->key, cqe_apply_month(ctx, ev->ts));
    cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
    cqe_kb_cstr(&ctx->key, ev->drill_kind == CQE_DRILL_DR ? KIND_DR : "emergency");
    if (ev->action == CQE_A_PLAN)
        return add_member(ctx, "p", ev);
    int rc = add_member(ctx, "d", ev);
    int ok = ev->ok;
    if ((ev->has & CQE_HAS_RTO) && (ev->has & CQE_HAS_RTO_TARGET) && ev->rto_s > ev->rto_target_s)
        ok = 0;
    if ((ev->has & CQE_HAS_RPO) && (ev->has & CQE_HAS_RPO_TARGET) && ev->rpo_s > ev->rpo_target_s)
        ok = 0;
    if (rc || !ok)
        return rc;
    return add_member(ctx, "s", ev);
}

static int parse_drill(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    int64_t month;
    if (cqe_vb_expect(b, k, 4, c, CQE_OP_SET) || cqe_vb_month(b, c, k, 1, &month))
        return b->rc;
    if (c->field_len < 2 || c->field[1] != '|')
        return cqe_vb_corrupt(b, c, "a drill member is p|, d| or s|<drill>");
    size_t prov = cqe_vb_intern(b, &b->v->providers, k->p[2], k->n[2]);
    return cqe_vb_agg(b, CQE_AGG_D, month, prov, cqe_kparts_is(k, 3, KIND_DR) ? 0 : 1, c);
}

static const char *const prefixes[] = {KEY_DRILL, NULL};

const struct cqe_family cqe_family_drill = {
    .type = CQE_T_DRILL,
    .name = "drill",
    .prefixes = prefixes,
    .apply = apply_drill,
    .parse = parse_drill,
    .month = cqe_family_month_of_name,
};
