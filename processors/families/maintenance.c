/* Maintenance family: the latest event of each window (by ts, then id) decides
 * (Readings 6), so a REG_MAX register W|<window> holds action|provider|service?|start|end. */
#include "family.h"

#include "timeutil.h"

#define KEY_WINDOW "W"

enum { R_ACTION, R_PROVIDER, R_SERVICE, R_START, R_END, R__COUNT };

static int apply_maintenance(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, KEY_WINDOW);
    cqe_kb_str(&ctx->key, ev->entity.p, ev->entity.n);
    struct cqe_kb *r = &ctx->rec;
    cqe_kb_reset(r);
    cqe_kb_i64(r, ev->action);
    cqe_kb_str(r, ev->provider.p, ev->provider.n);
    cqe_kb_opt_str(r, ev->service.p, ev->service.n);
    cqe_kb_i64(r, (ev->has & CQE_HAS_START) ? ev->start : 0);
    cqe_kb_i64(r, (ev->has & CQE_HAS_END) ? ev->end : 0);
    return cqe_apply_reg(ctx, CQE_OP_REG_MAX, "", ev);
}

static int parse_window(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    struct cqe_view *v = b->v;
    const struct cqe_kparts *r = &b->r;
    int64_t action, start, end;
    if (cqe_vb_expect(b, k, 2, c, CQE_OP_REG_MAX) ||
        cqe_vb_record(b, c, c->reg_val, c->reg_val_len, R__COUNT) ||
        cqe_vb_i64(b, c, r, R_ACTION, "the window record's action is not a number", &action) ||
        cqe_vb_i64(b, c, r, R_START, "the window record's start is not a number", &start) ||
        cqe_vb_i64(b, c, r, R_END, "the window record's end is not a number", &end))
        return b->rc;
    if (CQE_VB_GROW(v->win, v->n_win, v->cap_win))
        return cqe_vb_oom(b);
    struct cqe_window *w = &v->win[v->n_win++];
    w->id = cqe_vb_intern(b, &v->window_ids, k->p[1], k->n[1]);
    w->scheduled = action == CQE_A_SCHEDULE;
    w->latest_ts = c->reg_ts;
    w->provider = cqe_vb_intern(b, &v->providers, r->p[R_PROVIDER], r->n[R_PROVIDER]);
    const char *p;
    size_t n;
    w->service = cqe_kparts_opt(r, R_SERVICE, &p, &n) ? cqe_vb_service(b, p, n) : CQE_NONE;
    w->start = start;
    w->end = end;
    return b->rc;
}

/* Retention: a window excludes [start, end) and is judged by its latest event: the
 * latest of the three. */
static int month_window(const struct cqe_kparts *k, const struct cqe_cell *const *cells, size_t n,
                        int offset_min, int64_t *month)
{
    struct cqe_kparts r = {0};
    int64_t start, end, latest = cqe_family_month_latest(cells, n, offset_min);
    (void)k;
    *month = latest;
    for (size_t i = 0; i < n && latest != CQE_MONTH_NEVER; i++) {
        const struct cqe_cell *c = cells[i];
        if (c->op != CQE_OP_REG_MAX)
            continue;
        int rc = cqe_kparts_parse(&r, c->reg_val, c->reg_val_len);
        if (rc == CQE_ENOMEM) {
            cqe_kparts_free(&r);
            return rc;
        }
        if (rc || cqe_kparts_i64(&r, R_START, &start) || cqe_kparts_i64(&r, R_END, &end)) {
            *month = CQE_MONTH_NEVER; /* unreadable: kept */
            break;
        }
        int64_t m = cqe_month_index(start > end ? start : end, offset_min);
        if (m > *month)
            *month = m;
    }
    cqe_kparts_free(&r);
    return 0;
}

static const char *const prefixes[] = {KEY_WINDOW, NULL};

const struct cqe_family cqe_family_maintenance = {
    .type = CQE_T_MAINTENANCE,
    .name = "maintenance",
    .prefixes = prefixes,
    .apply = apply_maintenance,
    .parse = parse_window,
    .month = month_window,
};
