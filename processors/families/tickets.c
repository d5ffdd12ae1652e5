/* Ticket family (A2.3, C2, C3): the first open of each ticket (period, provider, due,
 * complaint) and its first close; follow-up feedback counted per month and provider. */
#include "family.h"

#define KEY_TICKET "T"    /* T|<ticket>: REG_MIN "open" provider|due|complaint, MIN "close" */
#define KEY_FEEDBACK "TF" /* TF|<month>|<provider>: sums "n" and "sat" */
#define FIELD_OPEN "open"
#define FIELD_CLOSE "close"

enum { R_PROVIDER, R_DUE, R_COMPLAINT, R__COUNT };

static int apply_ticket(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    cqe_kb_reset(&ctx->key);
    if (ev->action == CQE_A_FEEDBACK) {
        cqe_kb_cstr(&ctx->key, KEY_FEEDBACK);
        cqe_kb_month(&ctx->key, cqe_apply_month(ctx, ev->ts));
        cqe_kb_str(&ctx->key, ev->provider.p, ev->provider.n);
        int rc = cqe_apply_sum(ctx, "n", 1);
        if (!rc && ev->satisfied)
            rc = cqe_apply_sum(ctx, "sat", 1);
        return rc;
    }
    cqe_kb_cstr(&ctx->key, KEY_TICKET);
    cqe_kb_str(&ctx->key, ev->entity.p, ev->entity.n);
    if (ev->action == CQE_A_CLOSE)
        return cqe_apply_min(ctx, FIELD_CLOSE, (double)ev->ts);
    struct cqe_kb *r = &ctx->rec;
    cqe_kb_reset(r);
    cqe_kb_str(r, ev->provider.p, ev->provider.n);
    cqe_kb_i64(r, ev->due);
    cqe_kb_i64(r, (ev->has & CQE_HAS_COMPLAINT) && ev->complaint);
    return cqe_apply_reg(ctx, CQE_OP_REG_MIN, FIELD_OPEN, ev);
}

/* TF|<month>|<provider>: follow-up counts. */
static int parse_feedback(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    int64_t month;
    if (cqe_vb_expect(b, k, 3, c, CQE_OP_SUM) || cqe_vb_month(b, c, k, 1, &month))
        return b->rc;
    size_t prov = cqe_vb_intern(b, &b->v->providers, k->p[2], k->n[2]);
    return cqe_vb_agg(b, CQE_AGG_TF, month, prov, CQE_NONE, c);
}

static int parse_ticket(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    struct cqe_view *v = b->v;
    if (cqe_kparts_is(k, 0, KEY_FEEDBACK))
        return parse_feedback(b, k, c);
    if (k->count != 2)
        return cqe_vb_corrupt(b, c, "a ticket key is T|<ticket>");
    int added;
    size_t j = cqe_vb_entity(b, &v->ticket_ids, k->p[1], k->n[1], (void **)&v->tickets, &v->n_tickets,
                             &v->cap_tickets, sizeof *v->tickets, &added);
    if (j == CQE_NONE)
        return b->rc;
    struct cqe_ticket *t = &v->tickets[j];
    if (added)
        t->provider = CQE_NONE;
    if (c->op == CQE_OP_MIN) {
        t->has_close = true;
        return cqe_vb_ts(b, c, c->d, &t->close_ts);
    }
    const struct cqe_kparts *r = &b->r;
    int64_t due, complaint;
    if (c->op != CQE_OP_REG_MIN)
        return cqe_vb_corrupt(b, c, "the cell is not of the kind its family stores");
    if (cqe_vb_record(b, c, c->reg_val, c->reg_val_len, R__COUNT) ||
        cqe_vb_i64(b, c, r, R_DUE, "the ticket's due is not a number", &due) ||
        cqe_vb_i64(b, c, r, R_COMPLAINT, "the ticket's complaint is not a number", &complaint))
        return b->rc;
    t->provider = cqe_vb_intern(b, &v->providers, r->p[R_PROVIDER], r->n[R_PROVIDER]);
    t->open_ts = c->reg_ts;
    t->due = due;
    t->complaint = complaint != 0;
    return b->rc;
}

/* Retention: TF|<month> by its month; a ticket counts in the periods of its open,
 * and its close only judges that open: the later of the two. */
static int month_tickets(const struct cqe_kparts *k, const struct cqe_cell *const *cells, size_t n,
                         int offset_min, int64_t *month)
{
    *month = cqe_kparts_is(k, 0, KEY_FEEDBACK) ? cqe_family_month_part(k, 1)
                                               : cqe_family_month_latest(cells, n, offset_min);
    return 0;
}

static const char *const prefixes[] = {KEY_TICKET, KEY_FEEDBACK, NULL};

const struct cqe_family cqe_family_ticket = {
    .type = CQE_T_TICKET,
    .name = "ticket",
    .prefixes = prefixes,
    .apply = apply_ticket,
    .parse = parse_ticket,
    .month = month_tickets,
};
