/* Migration family (A5.2): the latest plan's planned_end, and every done event as a
 * record ts|id|provider|ok|verified (judged against the plan on read). */
#include "family.h"

#include "timeutil.h"

#include <stdlib.h>

#define KEY_MIGRATION "MG" /* MG|<migration>: REG_MAX "plan", set of done records */
#define FIELD_PLAN "plan"

enum { R_TS, R_ID, R_PROVIDER, R_OK, R_VERIFIED, R__COUNT };

static int apply_migration(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, KEY_MIGRATION);
    cqe_kb_str(&ctx->key, ev->entity.p, ev->entity.n);
    struct cqe_kb *r = &ctx->rec;
    cqe_kb_reset(r);
    if (ev->action == CQE_A_PLAN) {
        cqe_kb_i64(r, ev->planned_end);
        return cqe_apply_reg(ctx, CQE_OP_REG_MAX, FIELD_PLAN, ev);
    }
    cqe_kb_i64(r, ev->ts);
    cqe_kb_str(r, ev->id.p, ev->id.n);
    cqe_kb_str(r, ev->provider.p, ev->provider.n);
    cqe_kb_i64(r, ev->ok);
    cqe_kb_i64(r, ev->data_verified);
    return cqe_apply_set_kb(ctx, r);
}

/* A plan is recorded as a pseudo "done" with provider CQE_NONE until finish. */
static int parse_migration(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    struct cqe_view *v = b->v;
    const struct cqe_kparts *r = &b->r;
    bool plan = c->op == CQE_OP_REG_MAX;
    int64_t ts, ok = 0, verified = 0;
    if (cqe_vb_expect(b, k, 2, c, plan ? CQE_OP_REG_MAX : CQE_OP_SET))
        return b->rc;
    size_t m = cqe_vb_intern(b, &v->migration_ids, k->p[1], k->n[1]);
    if (m == CQE_NONE)
        return b->rc;
    if (plan ? cqe_vb_record(b, c, c->reg_val, c->reg_val_len, 1)
             : cqe_vb_record(b, c, c->field, c->field_len, R__COUNT))
        return b->rc;
    if (cqe_vb_i64(b, c, r, R_TS, "the migration time is not a number", &ts) ||
        (!plan && (cqe_vb_i64(b, c, r, R_OK, "the migration ok is not a number", &ok) ||
                   cqe_vb_i64(b, c, r, R_VERIFIED, "the migration verified is not a number", &verified))))
        return b->rc;
    if (CQE_VB_GROW(v->mig_done, v->n_mig_done, v->cap_mig_done))
        return cqe_vb_oom(b);
    size_t prov = plan ? CQE_NONE : cqe_vb_intern(b, &v->providers, r->p[R_PROVIDER], r->n[R_PROVIDER]);
    v->mig_done[v->n_mig_done++] = (struct cqe_migration_done){m, ts, prov, ok != 0, verified != 0};
    return b->rc;
}

/* Lifts the plans out of mig_done into mig_plan_end / mig_has_plan. */
static int finish_migrations(struct cqe_vb *b)
{
    struct cqe_view *v = b->v;
    size_t n = v->migration_ids.n;
    v->mig_plan_end = calloc(n ? n : 1, sizeof *v->mig_plan_end);
    v->mig_has_plan = calloc(n ? n : 1, sizeof *v->mig_has_plan);
    if (!v->mig_plan_end || !v->mig_has_plan)
        return cqe_vb_oom(b);
    size_t o = 0;
    for (size_t i = 0; i < v->n_mig_done; i++) {
        struct cqe_migration_done d = v->mig_done[i];
        if (d.provider == CQE_NONE) {
            v->mig_plan_end[d.migration] = d.ts;
            v->mig_has_plan[d.migration] = true;
        } else {
            v->mig_done[o++] = d;
        }
    }
    v->n_mig_done = o;
    return 0;
}

/* Retention: the latest of the plan, its planned end and every done (a done judged
 * against a plan whose end has passed is not on time, plan or not). */
static int month_migration(const struct cqe_kparts *k, const struct cqe_cell *const *cells, size_t n,
                           int offset_min, int64_t *month)
{
    int64_t end;
    (void)k;
    *month = cqe_family_month_latest(cells, n, offset_min);
    for (size_t i = 0; i < n && *month != CQE_MONTH_NEVER; i++) {
        const struct cqe_cell *c = cells[i];
        if (c->op != CQE_OP_REG_MAX)
            continue;
        struct cqe_kparts r = {0};
        int rc = cqe_kparts_parse(&r, c->reg_val, c->reg_val_len);
        bool ok = !rc && !cqe_kparts_i64(&r, 0, &end);
        cqe_kparts_free(&r);
        if (rc == CQE_ENOMEM)
            return rc;
        int64_t m = ok ? cqe_month_index(end, offset_min) : CQE_MONTH_NEVER;
        if (m > *month)
            *month = m;
    }
    return 0;
}

static const char *const prefixes[] = {KEY_MIGRATION, NULL};

const struct cqe_family cqe_family_migration = {
    .type = CQE_T_MIGRATION,
    .name = "migration",
    .prefixes = prefixes,
    .apply = apply_migration,
    .parse = parse_migration,
    .finish = finish_migrations,
    .month = month_migration,
};
