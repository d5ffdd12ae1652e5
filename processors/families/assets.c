/* Asset family (B4): every asset event is kept as a record ts|id|action|class|
 * domestic|provider, since the asset's state is read at each period's end. */
#include "family.h"

#include <stdlib.h>
#include <string.h>

#define KEY_ASSET "AS" /* AS|<asset>: set of event records */

enum { R_TS, R_ID, R_ACTION, R_CLASS, R_DOMESTIC, R_PROVIDER, R__COUNT };

static int apply_asset(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, KEY_ASSET);
    cqe_kb_str(&ctx->key, ev->entity.p, ev->entity.n);
    struct cqe_kb *r = &ctx->rec;
    cqe_kb_reset(r);
    cqe_kb_i64(r, ev->ts);
    cqe_kb_str(r, ev->id.p, ev->id.n);
    cqe_kb_i64(r, ev->action);
    cqe_kb_i64(r, ev->asset_class);
    cqe_kb_i64(r, (ev->has & CQE_HAS_DOMESTIC) && ev->domestic);
    cqe_kb_str(r, ev->provider.p, ev->provider.n);
    return cqe_apply_set_kb(ctx, r);
}

static int parse_asset(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    struct cqe_view *v = b->v;
    const struct cqe_kparts *r = &b->r;
    int64_t ts, action, cls, domestic;
    if (cqe_vb_expect(b, k, 2, c, CQE_OP_SET))
        return b->rc;
    size_t a = cqe_vb_intern(b, &v->asset_ids, k->p[1], k->n[1]);
    if (a == CQE_NONE || cqe_vb_record(b, c, c->field, c->field_len, R__COUNT) ||
        cqe_vb_i64(b, c, r, R_TS, "the asset record's ts is not a number", &ts) ||
        cqe_vb_i64(b, c, r, R_ACTION, "the asset record's action is not a number", &action) ||
        cqe_vb_i64(b, c, r, R_CLASS, "the asset record's class is not a number", &cls) ||
        cqe_vb_i64(b, c, r, R_DOMESTIC, "the asset record's domestic is not a number", &domestic))
        return b->rc;
    if (CQE_VB_GROW(v->assets, v->n_assets, v->cap_assets))
        return cqe_vb_oom(b);
    char *id = malloc(r->n[R_ID] + 1);
    if (!id)
        return cqe_vb_oom(b);
    memcpy(id, r->p[R_ID], r->n[R_ID]);
    id[r->n[R_ID]] = 0;
    size_t prov = cqe_vb_intern(b, &v->providers, r->p[R_PROVIDER], r->n[R_PROVIDER]);
    v->assets[v->n_assets++] =
        (struct cqe_asset_event){a, ts, id, (int)action, (int)cls, domestic != 0, prov};
    /* id is owned by v->assets now (freed by cqe_view_free): not a leak */
    // cppcheck-suppress memleak
    return b->rc;
}

/* Retention: an asset whose latest record adds it is in every later period's
 * inventory and is kept; a removed one by its latest record. */
static int month_asset(const struct cqe_kparts *k, const struct cqe_cell *const *cells, size_t n,
                       int offset_min, int64_t *month)
{
    int64_t action;
    (void)k;
    *month = CQE_MONTH_NEVER;
    int rc = cqe_family_latest_action(cells, n, NULL, &action);
    if (rc == CQE_ENOMEM)
        return rc;
    if (!rc && action >= 0 && action != CQE_A_ADD)
        *month = cqe_family_month_latest(cells, n, offset_min);
    return 0;
}

static const char *const prefixes[] = {KEY_ASSET, NULL};

const struct cqe_family cqe_family_asset = {
    .type = CQE_T_ASSET,
    .name = "asset",
    .prefixes = prefixes,
    .apply = apply_asset,
    .parse = parse_asset,
    .month = month_asset,
};
