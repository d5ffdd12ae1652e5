/* Incident family: every incident event is kept as a record in the set I|<incident>,
 * so activity, attributes and timings are derived on read in (ts, id) order. */
#include "family.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_INCIDENT "I"

/* Record components: ts|id|action|provider|dept?|service?|severity?|impact?|scope?|
 * cause?|category?|data_loss? */
enum {
    R_TS,
    R_ID,
    R_ACTION,
    R_PROVIDER,
    R_DEPT,
    R_SERVICE,
    R_SEVERITY,
    R_IMPACT,
    R_SCOPE,
    R_CAUSE,
    R_CATEGORY,
    R_DATA_LOSS,
    R__COUNT
};

static void opt_int(struct cqe_kb *b, int present, int64_t v)
{
    char t[CQE_I64_CHARS];
    size_t n = cqe_fmt_i64(t, v);
    cqe_kb_opt_str(b, present ? t : NULL, n);
}

static int apply_incident(struct cqe_apply_ctx *ctx, const struct cqe_event *ev)
{
    struct cqe_kb *r = &ctx->rec;
    cqe_kb_reset(&ctx->key);
    cqe_kb_cstr(&ctx->key, KEY_INCIDENT);
    cqe_kb_str(&ctx->key, ev->entity.p, ev->entity.n);
    cqe_kb_reset(r);
    cqe_kb_i64(r, ev->ts);
    cqe_kb_str(r, ev->id.p, ev->id.n);
    cqe_kb_i64(r, ev->action);
    cqe_kb_str(r, ev->provider.p, ev->provider.n);
    cqe_kb_opt_str(r, ev->dept.p, ev->dept.n);
    cqe_kb_opt_str(r, ev->service.p, ev->service.n);
    opt_int(r, ev->has & CQE_HAS_SEVERITY, ev->severity);
    opt_int(r, ev->has & CQE_HAS_IMPACT, ev->impact);
    char t[32];
    int n = snprintf(t, sizeof t, "%.17g", ev->scope);
    cqe_kb_opt_str(r, (ev->has & CQE_HAS_SCOPE) ? t : NULL, (size_t)n);
    opt_int(r, ev->has & CQE_HAS_CAUSE, ev->cause);
    cqe_kb_opt_str(r, ev->category.p, ev->category.n);
    opt_int(r, ev->has & CQE_HAS_DATA_LOSS, ev->data_loss);
    return cqe_apply_set_kb(ctx, r);
}

/* Groups the records of each incident; they are derived in finish_incidents. */
static int parse_incident(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    if (cqe_vb_expect(b, k, 2, c, CQE_OP_SET))
        return b->rc;
    size_t i = cqe_vb_intern(b, &b->v->incident_ids, k->p[1], k->n[1]);
    if (i == CQE_NONE || CQE_VB_GROW(b->inc, i, b->inc_cap))
        return cqe_vb_oom(b);
    struct cqe_vb_group *g = &b->inc[i];
    if (CQE_VB_GROW(g->cells, g->n, g->cap))
        return cqe_vb_oom(b);
    g->cells[g->n++] = c;
    return 0;
}

/* An incident record with its (ts, id) parsed, for sorting. */
struct sorted_rec {
    int64_t ts;
    const char *id; /* points into the parts of the record */
    size_t id_len;
    const struct cqe_cell *cell;
};

static int cmp_records(const void *a, const void *b)
{
    const struct sorted_rec *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    size_t n = x->id_len < y->id_len ? x->id_len : y->id_len;
    int c = memcmp(x->id, y->id, n);
    return c ? c : (x->id_len > y->id_len) - (x->id_len < y->id_len);
}

/* Sorts the records of group g by (ts, id). */
static int sort_group(struct cqe_vb *b, struct cqe_vb_group *g)
{
    size_t m = g->n ? g->n : 1;
    struct sorted_rec *recs = calloc(m, sizeof *recs);
    struct cqe_kparts *ids = calloc(m, sizeof *ids);
    if (!recs || !ids) {
        cqe_vb_oom(b);
        goto out;
    }
    for (size_t j = 0; j < g->n && !b->rc; j++) {
        const struct cqe_cell *c = g->cells[j];
        int rc = cqe_kparts_parse(&ids[j], c->field, c->field_len);
        int64_t ts;
        if (rc == CQE_ENOMEM)
            cqe_vb_oom(b);
        else if (rc || ids[j].count < R__COUNT)
            cqe_vb_corrupt(b, c, "the incident record has too few or too many components");
        else if (!cqe_vb_i64(b, c, &ids[j], R_TS, "the record's ts is not a number", &ts))
            recs[j] = (struct sorted_rec){ts, ids[j].p[R_ID], ids[j].n[R_ID], c};
    }
    if (b->rc)
        goto out;
    qsort(recs, g->n, sizeof *recs, cmp_records);
    for (size_t j = 0; j < g->n; j++)
        g->cells[j] = recs[j].cell;
out:
    for (size_t j = 0; ids && j < g->n; j++)
        cqe_kparts_free(&ids[j]);
    free(ids);
    free(recs);
    return b->rc;
}

/* An optional one-digit attribute (severity, impact, cause, data_loss): 0 when absent,
 * 1 with *out set, or CQE_EIO. */
static int opt_digit(struct cqe_vb *b, const struct cqe_cell *c, int i, int *out)
{
    const char *p;
    size_t n;
    if (!cqe_kparts_opt(&b->r, i, &p, &n))
        return 0;
    if (n != 1 || p[0] < '0' || p[0] > '9')
        return cqe_vb_corrupt(b, c, "an incident attribute is not one digit");
    *out = p[0] - '0';
    return 1;
}

/* Applies the attributes an open or update sets (r holds the record of c). */
static int take_attributes(struct cqe_vb *b, struct cqe_incident *in, const struct cqe_cell *c)
{
    const struct cqe_kparts *r = &b->r;
    const char *p;
    size_t n;
    int d;
    if (cqe_kparts_opt(r, R_SERVICE, &p, &n))
        in->service = cqe_vb_service(b, p, n);
    if (opt_digit(b, c, R_SEVERITY, &d) > 0)
        in->severity = d;
    if (opt_digit(b, c, R_IMPACT, &d) > 0)
        in->impact = d;
    if (cqe_kparts_opt(r, R_SCOPE, &p, &n)) {
        char t[40], *end;
        size_t m = n < sizeof t - 1 ? n : sizeof t - 1;
        memcpy(t, p, m);
        t[m] = 0;
        double x = strtod(t, &end);
        if (!(x >= 0 && x <= 1) || *end)
            return cqe_vb_corrupt(b, c, "the incident scope is not a number in [0, 1]");
        in->scope = x;
    }
    if (opt_digit(b, c, R_CAUSE, &d) > 0)
        in->cause = d;
    if (cqe_kparts_opt(r, R_CATEGORY, &p, &n)) {
        char *cat = malloc(n + 1);
        if (!cat)
            return cqe_vb_oom(b);
        memcpy(cat, p, n);
        cat[n] = 0;
        free(in->category);
        in->category = cat;
    }
    if (opt_digit(b, c, R_DATA_LOSS, &d) > 0)
        in->data_loss = d == 1;
    return b->rc;
}

/* Derives incident i from its records sorted by (ts, id). */
static int derive_incident(struct cqe_vb *b, size_t i)
{
    struct cqe_view *v = b->v;
    struct cqe_vb_group *g = &b->inc[i];
    struct cqe_incident *in = &v->inc[i];
    if (sort_group(b, g))
        return b->rc;
    in->id = i;
    in->service = CQE_NONE;
    in->provider = CQE_NONE;
    in->dept = CQE_NONE;
    in->impact = CQE_IMPACT_OUTAGE;
    in->scope = 1;
    in->cause = CQE_CAUSE_PROVIDER;
    in->n_events = g->n;
    in->ev_ts = calloc(g->n ? g->n : 1, sizeof *in->ev_ts);
    in->ev_provider = calloc(g->n ? g->n : 1, sizeof *in->ev_provider);
    if (!in->ev_ts || !in->ev_provider)
        return cqe_vb_oom(b);
    bool active = false;
    int64_t since = 0;
    for (size_t j = 0; j < g->n; j++) {
        const struct cqe_cell *c = g->cells[j];
        const struct cqe_kparts *r = &b->r;
        int64_t ts, action;
        if (cqe_vb_record(b, c, c->field, c->field_len, R__COUNT) ||
            cqe_vb_i64(b, c, r, R_TS, "the record's ts is not a number", &ts) ||
            cqe_vb_i64(b, c, r, R_ACTION, "the record's action is not a number", &action))
            return b->rc;
        size_t prov = cqe_vb_intern(b, &v->providers, r->p[R_PROVIDER], r->n[R_PROVIDER]);
        size_t dept = cqe_vb_opt_index(b, &v->depts, r, R_DEPT);
        in->ev_ts[j] = ts;
        in->ev_provider[j] = prov;
        const char *p;
        size_t n;
        if (action == CQE_A_OPEN && !in->has_open) {
            in->has_open = true;
            in->open_ts = ts;
            in->provider = prov;
            in->dept = dept;
        }
        if (action == CQE_A_OPEN && cqe_kparts_opt(r, R_SERVICE, &p, &n)) {
            size_t s = cqe_vb_service(b, p, n);
            if (s != CQE_NONE)
                cqe_vb_attr(b, s, ts, r->p[R_ID], r->n[R_ID], prov, dept);
        }
        if ((action == CQE_A_OPEN || action == CQE_A_UPDATE) && take_attributes(b, in, c))
            return b->rc;
        if (action == CQE_A_ACK && !in->has_ack) {
            in->has_ack = true;
            in->ack_ts = ts;
        }
        if (action == CQE_A_RESOLVE && !in->has_resolve) {
            in->has_resolve = true;
            in->resolve_ts = ts;
        }
        if ((action == CQE_A_OPEN || action == CQE_A_REOPEN) && !active) {
            active = true;
            since = ts;
        } else if (action == CQE_A_RESOLVE && active) {
            active = false;
            cqe_ivl_push(&in->active, since, ts); /* zero-length activity still ends it */
        }
    }
    if (active)
        cqe_ivl_push(&in->active, since, CQE_TS_INF);
    in->active_at_end = active;
    if (in->active.oom)
        return cqe_vb_oom(b);
    return b->rc;
}

/* A service only an update named takes the provider and dept of the first open of its
 * incident (readings.md 3); among several, the earliest open, then incident id. */
static int attribute_by_update(struct cqe_vb *b)
{
    struct cqe_view *v = b->v;
    size_t *fallback = calloc(v->services.n ? v->services.n : 1, sizeof *fallback);
    if (!fallback)
        return cqe_vb_oom(b);
    for (size_t s = 0; s < v->services.n; s++)
        fallback[s] = CQE_NONE;
    for (size_t i = 0; i < v->incident_ids.n; i++) {
        struct cqe_incident *in = &v->inc[i];
        size_t s = in->service;
        if (s == CQE_NONE || !in->has_open || v->svc[s].in_catalog || v->svc[s].has_attr)
            continue;
        size_t f = fallback[s];
        if (f != CQE_NONE && (v->inc[f].open_ts < in->open_ts ||
                              (v->inc[f].open_ts == in->open_ts &&
                               strcmp(v->incident_ids.keys[f], v->incident_ids.keys[i]) < 0)))
            continue;
        fallback[s] = i;
        v->svc[s].provider = in->provider;
        v->svc[s].dept = in->dept;
    }
    free(fallback);
    return 0;
}

static int finish_incidents(struct cqe_vb *b)
{
    struct cqe_view *v = b->v;
    size_t n = v->incident_ids.n;
    v->inc = calloc(n ? n : 1, sizeof *v->inc);
    if (!v->inc)
        return cqe_vb_oom(b);
    for (size_t i = 0; i < n; i++)
        if (derive_incident(b, i))
            return b->rc;
    return attribute_by_update(b);
}

static bool changes_activity(int64_t action)
{
    return action == CQE_A_OPEN || action == CQE_A_REOPEN || action == CQE_A_RESOLVE;
}

/* Retention: an incident whose latest open, reopen or resolve is not a resolve is still
 * active and is kept; a resolved one (or one never opened) by its latest record. */
static int month_incident(const struct cqe_kparts *k, const struct cqe_cell *const *cells, size_t n,
                          int offset_min, int64_t *month)
{
    int64_t action;
    (void)k;
    *month = CQE_MONTH_NEVER;
    int rc = cqe_family_latest_action(cells, n, changes_activity, &action);
    if (rc == CQE_ENOMEM)
        return rc;
    if (!rc && action != CQE_A_OPEN && action != CQE_A_REOPEN)
        *month = cqe_family_month_latest(cells, n, offset_min);
    return 0;
}

static const char *const prefixes[] = {KEY_INCIDENT, NULL};

const struct cqe_family cqe_family_incident = {
    .type = CQE_T_INCIDENT,
    .name = "incident",
    .prefixes = prefixes,
    .apply = apply_incident,
    .parse = parse_incident,
    .finish = finish_incidents,
    .month = month_incident,
};
