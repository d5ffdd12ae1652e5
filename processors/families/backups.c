/* Backup family (A3.1, A3.2): success counts per month and provider; per service the
 * timestamps of successful backups and the largest RPO target given. */
#include "family.h"

#include <string.h>

#define KEY_BACKUP "B"          /* B|<month>|<provider>: sums "n", "ok" */
#define KEY_BACKUP_SERVICE "BS" /* BS|<month>|<provider>|<service>: "n", max "rpo", "t|<ts>" */
#define MEMBER_OK_TS "t"

static int apply_backup(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    int64_t month = cqe_apply_month(ctx, ev->ts);
    int rc;
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, KEY_BACKUP);
    cqe_kb_month(&ctx->key, month);
    cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
    if ((rc = cqe_apply_sum(ctx, "n", 1)) || (ev->ok && (rc = cqe_apply_sum(ctx, "ok", 1))))
        return rc;

    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, KEY_BACKUP_SERVICE);
    cqe_kb_month(&ctx->key, month);
    cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
    cqe_kb_str(&ctx->key, ev->service.p, ev->service.n);
    if ((rc = cqe_apply_sum(ctx, "n", 1)))
        return rc;
    if ((ev->has & CQE_HAS_RPO_TARGET) && (rc = cqe_apply_max(ctx, "rpo", (double)ev->rpo_target_s)))
        return rc;
    if (!ev->ok)
        return 0;
    char m[sizeof MEMBER_OK_TS + CQE_I64_CHARS] = MEMBER_OK_TS "|";
    size_t n = sizeof MEMBER_OK_TS + cqe_fmt_i64(m + sizeof MEMBER_OK_TS, ev->ts);
    return cqe_apply_set(ctx, m, n);
}

/* A BS cell: sums, the rpo maximum (seconds) or a successful backup "t|<ts>". */
static int check_service_cell(struct cqe_vb *b, const struct cqe_cell *c)
{
    int64_t x;
    if (c->op == CQE_OP_SUM)
        return 0;
    if (c->op == CQE_OP_MAX)
        return cqe_vb_ts(b, c, c->d, &x);
    if (c->op != CQE_OP_SET)
        return cqe_vb_corrupt(b, c, "the cell is not of the kind its family stores");
    if (cqe_vb_record(b, c, c->field, c->field_len, 2))
        return b->rc;
    if (b->r.count != 2 || !cqe_kparts_is(&b->r, 0, MEMBER_OK_TS))
        return cqe_vb_corrupt(b, c, "a backup member is t|<ts>");
    return cqe_vb_i64(b, c, &b->r, 1, "the backup ts is not a number", &x);
}

static int parse_backup(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    struct cqe_view *v = b->v;
    bool svc = cqe_kparts_is(k, 0, KEY_BACKUP_SERVICE);
    int64_t month;
    if (k->count != (svc ? 4 : 3) || cqe_vb_month(b, c, k, 1, &month))
        return cqe_vb_corrupt(b, c, "a backup key is B|<month>|<provider>[|<service>]");
    if (svc ? check_service_cell(b, c) : cqe_vb_expect(b, k, 3, c, CQE_OP_SUM))
        return b->rc;
    size_t prov = cqe_vb_intern(b, &v->providers, k->p[2], k->n[2]);
    if (!svc)
        return cqe_vb_agg(b, CQE_AGG_B, month, prov, CQE_NONE, c);
    size_t s = cqe_vb_service(b, k->p[3], k->n[3]);
    return cqe_vb_agg(b, CQE_AGG_BS, month, prov, s, c);
}

static const char *const prefixes[] = {KEY_BACKUP, KEY_BACKUP_SERVICE, NULL};

const struct cqe_family cqe_family_backup = {
    .type = CQE_T_BACKUP,
    .name = "backup",
    .prefixes = prefixes,
    .apply = apply_backup,
    .parse = parse_backup,
    .month = cqe_family_month_of_name,
};
