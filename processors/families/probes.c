/* Probe family: ok/fail counts per service and minute, one dense vector per service
 * and local day (index 2·minute-of-day for ok, +1 for fail: 8 bytes a minute), the
 * service's earliest probe for attribution, and the services with probes per month. */
#include "family.h"

#include <stdlib.h>
#include <string.h>

#include "timeutil.h"

#define KEY_PROBES "P"       /* P|<service>|<local date>: the minute vector */
#define KEY_PROBE_MONTH "PS" /* PS|<month>: services with probes */
#define KEY_PROBE_FIRST "PF" /* PF|<service>: register of the earliest probe */

static int apply_probe(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    int64_t month = cqe_apply_month(ctx, ev->ts);
    int off = ctx->cfg->utc_offset_min;
    int64_t day = cqe_local_day(ev->ts, off);
    int64_t minute = (ev->ts - cqe_local_midnight(day, off)) / 60000; /* whole-minute offsets */
    int rc;

    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, KEY_PROBES);
    cqe_kb_str(&ctx->key, ev->service.p, ev->service.n);
    cqe_kb_date(&ctx->key, day);
    if (ctx->key.oom)
        return CQE_ENOMEM;
    if ((rc = cqe_store_vec_add(ctx->store, ctx->key.p, ctx->key.n, "", 0, CQE_PROBE_VEC_LEN,
                                (uint32_t)(2 * minute + (ev->ok ? 0 : 1)), 1)))
        return rc;

    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, KEY_PROBE_MONTH);
    cqe_kb_month(&ctx->key, month);
    if ((rc = cqe_apply_set(ctx, ev->service.p, ev->service.n)))
        return rc;

    /* earliest probe of the service: provider|dept? */
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, KEY_PROBE_FIRST);
    cqe_kb_str(&ctx->key, ev->service.p, ev->service.n);
    cqe_kb_reset(&ctx->rec);
    cqe_kb_str(&ctx->rec, ev->provider.p, ev->provider.n);
    cqe_kb_opt_str(&ctx->rec, ev->dept.p, ev->dept.n);
    return cqe_apply_reg(ctx, CQE_OP_REG_MIN, "", ev);
}

/* P|<service>|<local date>: ok/fail counts by minute of the day. */
static int parse_minutes(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    int64_t day;
    if (cqe_vb_expect(b, k, 3, c, CQE_OP_VEC))
        return b->rc;
    if (cqe_date_parse(k->p[2], k->n[2], &day))
        return cqe_vb_corrupt(b, c, "the probe day is not YYYY-MM-DD");
    size_t s = cqe_vb_service(b, k->p[1], k->n[1]);
    if (s == CQE_NONE)
        return b->rc;
    struct cqe_service *sv = &b->v->svc[s];
    int64_t base = cqe_local_midnight(day, b->v->cfg->utc_offset_min) / 60000;
    uint32_t pos = 0, i, last = UINT32_MAX; /* the minute of this cell last appended */
    int64_t v;
    while (cqe_vec_next(c, &pos, &i, &v)) {
        if (i / 2 >= c->vec_len / 2)
            break; /* an odd length's last entry is no minute */
        if (i / 2 != last) {
            if (CQE_VB_GROW(sv->pm, sv->n_pm, sv->cap_pm))
                return cqe_vb_oom(b);
            sv->pm[sv->n_pm++] = (struct cqe_probe_minute){base + i / 2, 0, 0};
            last = i / 2;
        }
        struct cqe_probe_minute *pm = &sv->pm[sv->n_pm - 1];
        if (i % 2)
            pm->fail = v;
        else
            pm->ok = v;
        sv->has_probe = true;
    }
    return 0;
}

/* PS|<month>: the member is a service with probes in that month. */
static int parse_months(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    int64_t month;
    if (cqe_vb_expect(b, k, 2, c, CQE_OP_SET) || cqe_vb_month(b, c, k, 1, &month))
        return b->rc;
    size_t s = cqe_vb_service(b, c->field, c->field_len);
    if (s == CQE_NONE)
        return b->rc;
    struct cqe_service *sv = &b->v->svc[s];
    if (CQE_VB_GROW(sv->probe_months, sv->n_probe_months, sv->cap_probe_months))
        return cqe_vb_oom(b);
    sv->probe_months[sv->n_probe_months++] = month;
    return 0;
}

/* PF|<service>: register provider|dept? of the earliest probe. */
static int parse_first(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    struct cqe_view *v = b->v;
    if (cqe_vb_expect(b, k, 2, c, CQE_OP_REG_MIN))
        return b->rc;
    size_t s = cqe_vb_service(b, k->p[1], k->n[1]);
    if (s == CQE_NONE || cqe_vb_record(b, c, c->reg_val, c->reg_val_len, 2))
        return b->rc;
    size_t prov = cqe_vb_intern(b, &v->providers, b->r.p[0], b->r.n[0]);
    size_t dept = cqe_vb_opt_index(b, &v->depts, &b->r, 1);
    cqe_vb_attr(b, s, c->reg_ts, c->reg_id, c->reg_id_len, prov, dept);
    v->svc[s].has_probe = true; /* ever probed: PF outlives the minutes retention deletes */
    return b->rc;
}

static int parse_probe(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    if (cqe_kparts_is(k, 0, KEY_PROBES))
        return parse_minutes(b, k, c);
    if (cqe_kparts_is(k, 0, KEY_PROBE_MONTH))
        return parse_months(b, k, c);
    return parse_first(b, k, c);
}

static int cmp_minute(const void *a, const void *b)
{
    const struct cqe_probe_minute *x = a, *y = b;
    return (x->minute > y->minute) - (x->minute < y->minute);
}

static int finish_probes(struct cqe_vb *b)
{
    struct cqe_view *v = b->v;
    for (size_t i = 0; i < v->services.n; i++)
        if (v->svc[i].n_pm > 1)
            qsort(v->svc[i].pm, v->svc[i].n_pm, sizeof *v->svc[i].pm, cmp_minute);
    return b->rc;
}

/* Retention: P|<service>|<date> by its date, PS|<month> by its month; PF, the
 * earliest probe of a service (its attribution), is never archived. */
static int month_probes(const struct cqe_kparts *k, const struct cqe_cell *const *cells, size_t n,
                        int offset_min, int64_t *month)
{
    (void)cells;
    (void)n;
    (void)offset_min;
    *month = cqe_kparts_is(k, 0, KEY_PROBES)        ? cqe_family_month_part(k, 2)
             : cqe_kparts_is(k, 0, KEY_PROBE_MONTH) ? cqe_family_month_part(k, 1)
                                                    : CQE_MONTH_NEVER;
    return 0;
}

static const char *const prefixes[] = {KEY_PROBES, KEY_PROBE_MONTH, KEY_PROBE_FIRST, NULL};

/* A day of (ok, fail) minute pairs is mostly one pair repeated: kept as runs of pairs. */
static const struct cqe_vec_runs vec_runs[] = {{KEY_PROBES, 2}, {NULL, 0}};

const struct cqe_family cqe_family_probe = {
    .type = CQE_T_PROBE,
    .name = "probe",
    .prefixes = prefixes,
    .apply = apply_probe,
    .parse = parse_probe,
    .finish = finish_probes,
    .vec_runs = vec_runs,
    .month = month_probes,
};
