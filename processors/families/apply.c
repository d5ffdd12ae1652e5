/* Dispatch of one event to its family (family.h), the helpers every family applies
 * with, and the registry of every event: providers, departments, the largest ts. */
#include "apply.h"

#include <string.h>

#include "err.h"
#include "family.h"
#include "timeutil.h"

#define KEY_REGISTRY "G"
static const char key_prov[] = KEY_REGISTRY "|prov";
static const char key_dept[] = KEY_REGISTRY "|dept";
const char cqe_key_max_ts[] = KEY_REGISTRY "|ts";

void cqe_apply_init(struct cqe_apply_ctx *ctx, struct cqe_store *store, const struct cqe_config *cfg)
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

static const char *const count_fields[CQE_COUNT__N] = {"events", "late", "duplicates", "dead_letters"};

static void count_key(struct cqe_kb *k, int64_t month, const char *provider, size_t n)
{
    cqe_kb_reset(k);
    cqe_kb_cstr(k, KEY_REGISTRY);
    cqe_kb_cstr(k, "n");
    cqe_kb_month(k, month);
    cqe_kb_str(k, provider, n);
}

int cqe_apply_count(struct cqe_apply_ctx *ctx, int64_t ts, const char *provider, size_t n, enum cqe_count c)
{
    count_key(&ctx->key, cqe_apply_month(ctx, ts), provider, n);
    return cqe_apply_sum(ctx, count_fields[c], 1);
}

void cqe_apply_counts_read(const struct cqe_store *s, int64_t month, const char *provider, size_t n,
                           int64_t out[CQE_COUNT__N])
{
    struct cqe_kb k = {0};
    count_key(&k, month, provider, n);
    for (int c = 0; !k.oom && c < CQE_COUNT__N; c++) {
        const struct cqe_cell *cell =
            cqe_store_get(s, k.p, k.n, count_fields[c], strlen(count_fields[c]), CQE_OP_SUM);
        out[c] += cell ? (int64_t)cell->sum : 0;
    }
    cqe_kb_free(&k);
}

int cqe_apply_sum(struct cqe_apply_ctx *ctx, const char *field, __int128 delta)
{
    if (ctx->key.oom)
        return CQE_ENOMEM;
    return cqe_store_add(ctx->store, ctx->key.p, ctx->key.n, field, strlen(field), delta);
}

int cqe_apply_max(struct cqe_apply_ctx *ctx, const char *field, double v)
{
    if (ctx->key.oom)
        return CQE_ENOMEM;
    return cqe_store_max(ctx->store, ctx->key.p, ctx->key.n, field, strlen(field), v);
}

int cqe_apply_min(struct cqe_apply_ctx *ctx, const char *field, double v)
{
    if (ctx->key.oom)
        return CQE_ENOMEM;
    return cqe_store_min(ctx->store, ctx->key.p, ctx->key.n, field, strlen(field), v);
}

int cqe_apply_set(struct cqe_apply_ctx *ctx, const char *member, size_t n)
{
    if (ctx->key.oom)
        return CQE_ENOMEM;
    return cqe_store_set_add(ctx->store, ctx->key.p, ctx->key.n, member, n);
}

int cqe_apply_set_kb(struct cqe_apply_ctx *ctx, const struct cqe_kb *m)
{
    if (m->oom)
        return CQE_ENOMEM;
    return cqe_apply_set(ctx, m->p, m->n);
}

int cqe_apply_reg(struct cqe_apply_ctx *ctx, enum cqe_cell_op op, const char *field,
                  const struct cqe_event *ev)
{
    if (ctx->key.oom || ctx->rec.oom)
        return CQE_ENOMEM;
    return cqe_store_reg(ctx->store, op, ctx->key.p, ctx->key.n, field, strlen(field), ev->ts, ev->id.p,
                         ev->id.n, ctx->rec.p, ctx->rec.n);
}

int cqe_apply_event(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    struct cqe_store *s = ctx->store;
    if (cqe_store_set_add(s, key_prov, sizeof key_prov - 1, ev->provider.p, ev->provider.n))
        return CQE_ENOMEM;
    if (ev->dept.p && cqe_store_set_add(s, key_dept, sizeof key_dept - 1, ev->dept.p, ev->dept.n))
        return CQE_ENOMEM;
    if (cqe_store_max(s, cqe_key_max_ts, strlen(cqe_key_max_ts), CQE_FIELD_MAX_TS, strlen(CQE_FIELD_MAX_TS),
                      (double)ev->ts) ||
        cqe_store_min(s, cqe_key_max_ts, strlen(cqe_key_max_ts), CQE_FIELD_MIN_TS, strlen(CQE_FIELD_MIN_TS),
                      (double)ev->ts))
        return CQE_ENOMEM;
    int rc = cqe_family_of_type(ev->type)->apply(ctx, ev);
    if (!rc && (ctx->key.oom || ctx->field.oom || ctx->rec.oom))
        return CQE_ENOMEM;
    return rc;
}

static bool is_key(const struct cqe_cell *c, const char *key)
{
    return c->key_len == strlen(key) && !memcmp(c->key, key, c->key_len);
}

/* G|prov and G|dept: set members are the names; G|ts: the largest ts applied. Other
 * registry cells are left alone. */
static int parse_registry(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    struct cqe_view *v = b->v;
    (void)k;
    if (is_key(c, key_prov) && c->op == CQE_OP_SET)
        cqe_vb_intern(b, &v->providers, c->field, c->field_len);
    else if (is_key(c, key_dept) && c->op == CQE_OP_SET)
        cqe_vb_intern(b, &v->depts, c->field, c->field_len);
    else if (is_key(c, cqe_key_max_ts) && c->op == CQE_OP_MAX)
        cqe_vb_ts(b, c, c->d, &v->max_ts);
    return b->rc;
}

static const char *const registry_prefixes[] = {KEY_REGISTRY, NULL};

/* Retention: the counters of a month go with the month (G|n|<month>|<provider>); the
 * other registry keys (providers, departments, event times) are kept. */
static int registry_month(const struct cqe_kparts *k, const struct cqe_cell *const *cells, size_t n,
                          int offset_min, int64_t *month)
{
    (void)cells;
    (void)n;
    (void)offset_min;
    bool counters = k->count >= 3 && k->n[1] == 1 && k->p[1][0] == 'n';
    *month = counters ? cqe_family_month_part(k, 2) : CQE_MONTH_NEVER;
    return 0;
}

const struct cqe_family cqe_family_registry = {
    .type = CQE_T__COUNT,
    .name = "registry",
    .prefixes = registry_prefixes,
    .apply = NULL,
    .parse = parse_registry,
    .month = registry_month,
};
