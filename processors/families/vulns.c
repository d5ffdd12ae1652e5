/* Vulnerability family (A4.2): the first `found` (provider, level) and the first
 * `fixed` of each vulnerability. */
#include "family.h"

#define KEY_VULN "V" /* V|<vuln>: REG_MIN "found" provider|level, MIN "fixed" */
#define FIELD_FOUND "found"
#define FIELD_FIXED "fixed"

enum { R_PROVIDER, R_LEVEL, R__COUNT };

static int apply_vuln(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, KEY_VULN);
    cqe_kb_str(&ctx->key, ev->entity.p, ev->entity.n);
    if (ev->action == CQE_A_FIXED)
        return cqe_apply_min(ctx, FIELD_FIXED, (double)ev->ts);
    struct cqe_kb *r = &ctx->rec;
    cqe_kb_reset(r);
    cqe_kb_str(r, ev->provider.p, ev->provider.n);
    cqe_kb_i64(r, ev->level);
    return cqe_apply_reg(ctx, CQE_OP_REG_MIN, FIELD_FOUND, ev);
}

static int parse_vuln(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    struct cqe_view *v = b->v;
    if (k->count != 2)
        return cqe_vb_corrupt(b, c, "a vulnerability key is V|<vuln>");
    int added;
    size_t j = cqe_vb_entity(b, &v->vuln_ids, k->p[1], k->n[1], (void **)&v->vulns, &v->n_vulns,
                             &v->cap_vulns, sizeof *v->vulns, &added);
    if (j == CQE_NONE)
        return b->rc;
    struct cqe_vuln *u = &v->vulns[j];
    if (added)
        u->provider = CQE_NONE;
    if (c->op == CQE_OP_MIN) {
        u->has_fixed = true;
        return cqe_vb_ts(b, c, c->d, &u->fixed_ts);
    }
    const struct cqe_kparts *r = &b->r;
    int64_t level;
    if (c->op != CQE_OP_REG_MIN)
        return cqe_vb_corrupt(b, c, "the cell is not of the kind its family stores");
    if (cqe_vb_record(b, c, c->reg_val, c->reg_val_len, R__COUNT) ||
        cqe_vb_i64(b, c, r, R_LEVEL, "the vulnerability level is not a number", &level))
        return b->rc;
    if (level < CQE_VULN_CRITICAL || level > CQE_VULN_LOW)
        return cqe_vb_corrupt(b, c, "the vulnerability level is not 0 (critical) to 3 (low)");
    u->provider = cqe_vb_intern(b, &v->providers, r->p[R_PROVIDER], r->n[R_PROVIDER]);
    u->found_ts = c->reg_ts;
    u->level = (int)level;
    return b->rc;
}

/* Retention: a vulnerability counts in the periods of its first found; its fix only
 * judges that found: the later of the two. */
static int month_vuln(const struct cqe_kparts *k, const struct cqe_cell *const *cells, size_t n,
                      int offset_min, int64_t *month)
{
    (void)k;
    *month = cqe_family_month_latest(cells, n, offset_min);
    return 0;
}

static const char *const prefixes[] = {KEY_VULN, NULL};

const struct cqe_family cqe_family_vuln = {
    .type = CQE_T_VULN,
    .name = "vuln",
    .prefixes = prefixes,
    .apply = apply_vuln,
    .parse = parse_vuln,
    .month = month_vuln,
};
