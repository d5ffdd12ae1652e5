/* Backup processor (A3.1, A3.2): success counts per month and provider; per service the
 * timestamps of successful backups and the largest RPO target given. */
#include "apply.h"

#include <stdio.h>
#include <string.h>

int cqe_apply_backup(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    int64_t month = cqe_apply_month(ctx, ev->ts);
    int rc;
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "B");
    cqe_kb_month(&ctx->key, month);
    cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
    if ((rc = cqe_apply_sum(ctx, "n", 1)) || (ev->ok && (rc = cqe_apply_sum(ctx, "ok", 1))))
        return rc;

    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, "BS");
    cqe_kb_month(&ctx->key, month);
    cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
    cqe_kb_str(&ctx->key, ev->service.p, ev->service.n);
    if ((rc = cqe_apply_sum(ctx, "n", 1)))
        return rc;
    if ((ev->has & CQE_HAS_RPO_TARGET) &&
        (rc = cqe_store_max(ctx->store, ctx->key.p, ctx->key.n, "rpo", 3, (double)ev->rpo_target_s)))
        return rc;
    if (!ev->ok)
        return 0;
    char m[32];
    int n = snprintf(m, sizeof m, "t|%lld", (long long)ev->ts);
    return cqe_apply_set(ctx, m, (size_t)n);
}
