/* Dispatch of one event to its family's processor, plus the updates every event makes:
 * the provider and department registries and the largest ts applied. */
#include "apply.h"

#include <string.h>

#include "err.h"
#include "timeutil.h"

void cqe_apply_init(struct cqe_apply_ctx *ctx, struct cqe_store *store,
                    const struct cqe_config *cfg)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->store = store;
    ctx->cfg = cfg;
}

void cqe_apply_fini(struct cqe_apply_ctx *ctx)
{
    cqe_kb_free(&ctx->key);
    cqe_kb_free(&ctx->field);
    cqe_kb_free(&ctx->rec);
}

int64_t cqe_apply_month(const struct cqe_apply_ctx *ctx, int64_t ts)
{
    return cqe_month_index(ts, ctx->cfg->utc_offset_min);
}

int cqe_apply_sum(struct cqe_apply_ctx *ctx, const char *field, __int128 delta)
{
    return cqe_store_add(ctx->store, ctx->key.p, ctx->key.n, field, strlen(field), delta);
}

int cqe_apply_set(struct cqe_apply_ctx *ctx, const char *member, size_t n)
{
    return cqe_store_set_add(ctx->store, ctx->key.p, ctx->key.n, member, n);
}

typedef int (*apply_fn)(struct cqe_apply_ctx *, const struct cqe_event *);

static const apply_fn by_type[CQE_T__COUNT] = {
    [CQE_T_INCIDENT] = cqe_apply_incident, [CQE_T_PROBE] = cqe_apply_probe,
    [CQE_T_METRIC] = cqe_apply_metric,     [CQE_T_MAINTENANCE] = cqe_apply_maintenance,
    [CQE_T_TICKET] = cqe_apply_ticket,     [CQE_T_BACKUP] = cqe_apply_backup,
    [CQE_T_DRILL] = cqe_apply_drill,       [CQE_T_VULN] = cqe_apply_vuln,
    [CQE_T_MIGRATION] = cqe_apply_migration, [CQE_T_AUDIT] = cqe_apply_audit,
    [CQE_T_SURVEY] = cqe_apply_survey,     [CQE_T_ASSET] = cqe_apply_asset,
};

int cqe_apply_event(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    struct cqe_store *s = ctx->store;
    if (cqe_store_set_add(s, "G|prov", 6, ev->provider.p, ev->provider.n))
        return CQE_ENOMEM;
    if (ev->dept.p && cqe_store_set_add(s, "G|dept", 6, ev->dept.p, ev->dept.n))
        return CQE_ENOMEM;
    if (cqe_store_max(s, "G|ts", 4, "max", 3, (double)ev->ts))
        return CQE_ENOMEM;
    int rc = by_type[ev->type](ctx, ev);
    if (ctx->key.oom || ctx->field.oom || ctx->rec.oom)
        return CQE_ENOMEM;
    return rc;
}
