/* Builds the read view (view.h) from the cells of a store: one pass over the cells,
 * then per-incident derivation in (ts, id) order and service attribution. */
#include "view.h"

#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "state_key.h"
#include "timeutil.h"

#define GROW(arr, n, cap)                                                                \
    ((n) < (cap) ? 0                                                                     \
                 : grow_array((void **)&(arr), &(cap), sizeof *(arr), (n) + 1))

static int grow_array(void **arr, size_t *cap, size_t elem, size_t need)
{
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return -1;
    memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
    *arr = p;
    *cap = ncap;
    return 0;
}

/* The incident records of one incident, grouped during the pass. */
struct inc_group {
    const struct cqe_cell **cells;
    size_t n, cap;
};

struct attr_candidate {
    int64_t ts;
    const char *id;
    size_t id_len;
    size_t provider, dept;
};

struct builder {
    struct cqe_view *v;
    struct cqe_kparts k, r;
    struct inc_group *groups;
    size_t groups_cap;
    struct cqe_strmap ticket_ids, vuln_ids;
    size_t *ticket_index; /* ticket id index -> tickets index */
    size_t ticket_index_cap;
    size_t *vuln_index;
    size_t vuln_index_cap;
    int oom;
};

static size_t intern(struct builder *b, struct cqe_strmap *m, const char *s, size_t n)
{
    size_t i = cqe_strmap_intern(m, s, n, NULL);
    if (i == CQE_NONE)
        b->oom = 1;
    return i;
}

/* Service index of s, with its struct allocated and defaulted. */
static size_t service_at(struct builder *b, const char *s, size_t n)
{
    struct cqe_view *v = b->v;
    int added = 0;
    size_t i = cqe_strmap_intern(&v->services, s, n, &added);
    if (i == CQE_NONE || GROW(v->svc, i, v->svc_cap)) {
        b->oom = 1;
        return CQE_NONE;
    }
    if (added) {
        struct cqe_service *sv = &v->svc[i];
        memset(sv, 0, sizeof *sv);
        sv->provider = CQE_NONE;
        sv->dept = CQE_NONE;
        sv->target = 0.999;
        sv->weight = 1;
        sv->calendar = CQE_CAL_7X24;
    }
    return i;
}

static void consider_attr(struct builder *b, size_t svc, int64_t ts, const char *id, size_t idl,
                          size_t provider, size_t dept)
{
    struct cqe_service *sv = &b->v->svc[svc];
    if (sv->in_catalog)
        return;
    if (sv->has_attr) {
        if (ts > sv->attr_ts)
            return;
        if (ts == sv->attr_ts) {
            size_t ol = strlen(sv->attr_id);
            int c = memcmp(id, sv->attr_id, idl < ol ? idl : ol);
            if (c > 0 || (c == 0 && idl >= ol))
                return;
        }
    }
    char *copy = malloc(idl + 1);
    if (!copy) {
        b->oom = 1;
        return;
    }
    memcpy(copy, id, idl);
    copy[idl] = 0;
    free(sv->attr_id);
    sv->attr_id = copy;
    sv->has_attr = true;
    sv->attr_ts = ts;
    sv->provider = provider;
    sv->dept = dept;
}

static void add_agg(struct builder *b, enum cqe_agg_family fam, int64_t month, size_t provider,
                    size_t aux, const struct cqe_cell *c)
{
    struct cqe_view *v = b->v;
    if (GROW(v->aggs, v->n_aggs, v->cap_aggs)) {
        b->oom = 1;
        return;
    }
    v->aggs[v->n_aggs++] = (struct cqe_agg){fam, month, provider, aux, c};
}

static size_t opt_index(struct builder *b, struct cqe_strmap *m, const struct cqe_kparts *k, int i)
{
    const char *p;
    size_t n;
    return cqe_kparts_opt(k, i, &p, &n) ? intern(b, m, p, n) : CQE_NONE;
}

/* An incident record with its (ts, id) parsed, for sorting. */
struct sorted_rec {
    int64_t ts;
    const char *id; /* points into `buf` of the owner */
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

/* A probe vector: key P|<service>|<local date>, ok/fail counts by minute of the day. */
static void on_cell_probe(struct builder *b, const struct cqe_kparts *k, const struct cqe_cell *c)
{
    int64_t day;
    if (c->op != CQE_OP_VEC || k->count < 3 || cqe_date_parse(k->p[2], k->n[2], &day))
        return;
    size_t s = service_at(b, k->p[1], k->n[1]);
    if (s == CQE_NONE)
        return;
    struct cqe_service *sv = &b->v->svc[s];
    int64_t base = cqe_local_midnight(day, b->v->cfg->utc_offset_min) / 60000;
    for (uint32_t i = 0; i + 1 < c->vec_len; i += 2) {
        if (!c->vec[i] && !c->vec[i + 1])
            continue;
        if (GROW(sv->pm, sv->n_pm, sv->cap_pm)) {
            b->oom = 1;
            return;
        }
        sv->pm[sv->n_pm++] = (struct cqe_probe_minute){base + i / 2, c->vec[i], c->vec[i + 1]};
        sv->has_probe = true;
    }
}

static void on_cell(struct builder *b, const struct cqe_cell *c)
{
    struct cqe_view *v = b->v;
    struct cqe_kparts *k = &b->k, *r = &b->r;
    if (cqe_kparts_parse(k, c->key, c->key_len) || k->count < 1) {
        b->oom = 1;
        return;
    }
    const char *fam = k->p[0];
    size_t fl = k->n[0];
#define FAM(s) (fl == sizeof(s) - 1 && !memcmp(fam, s, fl))
    if (FAM("G")) {
        if (cqe_kparts_is(k, 1, "prov"))
            intern(b, &v->providers, c->field, c->field_len);
        else if (cqe_kparts_is(k, 1, "dept"))
            intern(b, &v->depts, c->field, c->field_len);
        else if (cqe_kparts_is(k, 1, "ts") && c->op == CQE_OP_MAX)
            v->max_ts = (int64_t)c->d;
    } else if (FAM("I")) {
        size_t i = intern(b, &v->incident_ids, k->p[1], k->n[1]);
        if (i == CQE_NONE || GROW(b->groups, i, b->groups_cap)) {
            b->oom = 1;
            return;
        }
        struct inc_group *g = &b->groups[i];
        if (GROW(g->cells, g->n, g->cap)) {
            b->oom = 1;
            return;
        }
        g->cells[g->n++] = c;
    } else if (FAM("P")) {
        on_cell_probe(b, k, c);
    } else if (FAM("PS")) {
        size_t s = service_at(b, c->field, c->field_len);
        if (s == CQE_NONE)
            return;
        struct cqe_service *sv = &v->svc[s];
        if (GROW(sv->probe_months, sv->n_probe_months, sv->cap_probe_months)) {
            b->oom = 1;
            return;
        }
        sv->probe_months[sv->n_probe_months++] = cqe_kparts_month(k, 1);
    } else if (FAM("PF")) {
        size_t s = service_at(b, k->p[1], k->n[1]);
        if (s == CQE_NONE || cqe_kparts_parse(r, c->reg_val, c->reg_val_len)) {
            b->oom = 1;
            return;
        }
        size_t prov = intern(b, &v->providers, r->p[0], r->n[0]);
        size_t dept = opt_index(b, &v->depts, r, 1);
        consider_attr(b, s, c->reg_ts, c->reg_id, c->reg_id_len, prov, dept);
    } else if (FAM("W")) {
        if (GROW(v->win, v->n_win, v->cap_win) || cqe_kparts_parse(r, c->reg_val, c->reg_val_len)) {
            b->oom = 1;
            return;
        }
        struct cqe_window *w = &v->win[v->n_win++];
        w->scheduled = cqe_kparts_i64(r, 0) == CQE_A_SCHEDULE;
        w->latest_ts = c->reg_ts;
        w->provider = intern(b, &v->providers, r->p[1], r->n[1]);
        const char *p;
        size_t n;
        w->service = cqe_kparts_opt(r, 2, &p, &n) ? service_at(b, p, n) : CQE_NONE;
        w->start = cqe_kparts_i64(r, 3);
        w->end = cqe_kparts_i64(r, 4);
    } else if (FAM("T") || FAM("V")) {
        int is_t = FAM("T");
        struct cqe_strmap *ids = is_t ? &b->ticket_ids : &b->vuln_ids;
        int added = 0;
        size_t i = cqe_strmap_intern(ids, k->p[1], k->n[1], &added);
        size_t **index = is_t ? &b->ticket_index : &b->vuln_index;
        size_t *icap = is_t ? &b->ticket_index_cap : &b->vuln_index_cap;
        if (i == CQE_NONE || GROW(*index, i, *icap)) {
            b->oom = 1;
            return;
        }
        if (added) {
            size_t *n = is_t ? &v->n_tickets : &v->n_vulns;
            int g = is_t ? GROW(v->tickets, v->n_tickets, v->cap_tickets)
                         : GROW(v->vulns, v->n_vulns, v->cap_vulns);
            if (g) {
                b->oom = 1;
                return;
            }
            (*index)[i] = (*n)++;
            if (is_t)
                v->tickets[(*index)[i]].provider = CQE_NONE;
            else
                v->vulns[(*index)[i]].provider = CQE_NONE;
        }
        size_t j = (*index)[i];
        if (c->op == CQE_OP_MIN) {
            if (is_t) {
                v->tickets[j].has_close = true;
                v->tickets[j].close_ts = (int64_t)c->d;
            } else {
                v->vulns[j].has_fixed = true;
                v->vulns[j].fixed_ts = (int64_t)c->d;
            }
            return;
        }
        if (cqe_kparts_parse(r, c->reg_val, c->reg_val_len)) {
            b->oom = 1;
            return;
        }
        size_t prov = intern(b, &v->providers, r->p[0], r->n[0]);
        if (is_t) {
            struct cqe_ticket *t = &v->tickets[j];
            t->provider = prov;
            t->open_ts = c->reg_ts;
            t->due = cqe_kparts_i64(r, 1);
            t->complaint = cqe_kparts_i64(r, 2) != 0;
        } else {
            struct cqe_vuln *vu = &v->vulns[j];
            vu->provider = prov;
            vu->found_ts = c->reg_ts;
            vu->level = (int)cqe_kparts_i64(r, 1);
        }
    } else if (FAM("MG")) {
        size_t m = intern(b, &v->migration_ids, k->p[1], k->n[1]);
        if (m == CQE_NONE)
            return;
        if (c->op == CQE_OP_REG_MAX) {
            if (cqe_kparts_parse(r, c->reg_val, c->reg_val_len)) {
                b->oom = 1;
                return;
            }
            if (GROW(v->mig_done, v->n_mig_done, v->cap_mig_done)) {
                b->oom = 1;
                return;
            }
            /* a plan is recorded as a pseudo "done" with provider CQE_NONE */
            v->mig_done[v->n_mig_done++] =
                (struct cqe_migration_done){m, cqe_kparts_i64(r, 0), CQE_NONE, false, false};
            return;
        }
        if (cqe_kparts_parse(r, c->field, c->field_len) || r->count < 5 ||
            GROW(v->mig_done, v->n_mig_done, v->cap_mig_done)) {
            b->oom = 1;
            return;
        }
        v->mig_done[v->n_mig_done++] = (struct cqe_migration_done){
            m, cqe_kparts_i64(r, 0), intern(b, &v->providers, r->p[2], r->n[2]),
            cqe_kparts_i64(r, 3) != 0, cqe_kparts_i64(r, 4) != 0};
    } else if (FAM("AS")) {
        size_t a = intern(b, &v->asset_ids, k->p[1], k->n[1]);
        if (a == CQE_NONE || cqe_kparts_parse(r, c->field, c->field_len) || r->count < 6 ||
            GROW(v->assets, v->n_assets, v->cap_assets)) {
            b->oom = 1;
            return;
        }
        char *id = malloc(r->n[1] + 1);
        if (!id) {
            b->oom = 1;
            return;
        }
        memcpy(id, r->p[1], r->n[1]);
        id[r->n[1]] = 0;
        v->assets[v->n_assets++] = (struct cqe_asset_event){
            a,
            cqe_kparts_i64(r, 0),
            id,
            (int)cqe_kparts_i64(r, 2),
            (int)cqe_kparts_i64(r, 3),
            cqe_kparts_i64(r, 4) != 0,
            intern(b, &v->providers, r->p[5], r->n[5])};
        /* cppcheck-suppress memleak ; false positive: id now belongs to v->assets (freed with the view) */
    } else if (FAM("U") || FAM("TF") || FAM("B") || FAM("AU")) {
        enum cqe_agg_family f = FAM("U") ? CQE_AGG_U : FAM("TF") ? CQE_AGG_TF
                              : FAM("B") ? CQE_AGG_B : CQE_AGG_AU;
        add_agg(b, f, cqe_kparts_month(k, 1), intern(b, &v->providers, k->p[2], k->n[2]),
                CQE_NONE, c);
    } else if (FAM("UD") || FAM("UDR")) {
        add_agg(b, FAM("UD") ? CQE_AGG_UD : CQE_AGG_UDR, cqe_kparts_month(k, 1), CQE_NONE,
                intern(b, &v->depts, k->p[2], k->n[2]), c);
        if (FAM("UDR"))
            intern(b, &v->resources, c->field, c->field_len);
    } else if (FAM("UR")) {
        add_agg(b, CQE_AGG_UR, cqe_kparts_month(k, 1), intern(b, &v->providers, k->p[2], k->n[2]),
                intern(b, &v->resources, k->p[3], k->n[3]), c);
    } else if (FAM("SV")) {
        size_t prov = intern(b, &v->providers, k->p[2], k->n[2]);
        add_agg(b, CQE_AGG_SV, cqe_kparts_month(k, 1), prov, intern(b, &v->depts, k->p[3], k->n[3]),
                c);
    } else if (FAM("BS")) {
        size_t prov = intern(b, &v->providers, k->p[2], k->n[2]);
        add_agg(b, CQE_AGG_BS, cqe_kparts_month(k, 1), prov, service_at(b, k->p[3], k->n[3]), c);
    } else if (FAM("D")) {
        size_t prov = intern(b, &v->providers, k->p[2], k->n[2]);
        add_agg(b, CQE_AGG_D, cqe_kparts_month(k, 1), prov, cqe_kparts_is(k, 3, "dr") ? 0 : 1, c);
    }
#undef FAM
}

static int each_cell(const struct cqe_cell *c, void *arg)
{
    struct builder *b = arg;
    on_cell(b, c);
    return b->oom;
}

/* Derives one incident from its records sorted by (ts, id). */
static void derive_incident(struct builder *b, size_t i)
{
    struct cqe_view *v = b->v;
    struct inc_group *g = &b->groups[i];
    struct cqe_incident *in = &v->inc[i];
    struct cqe_kparts *r = &b->r;
    /* sort by (ts, id): ids unescaped into one buffer */
    struct sorted_rec *recs = calloc(g->n ? g->n : 1, sizeof *recs);
    struct cqe_kparts *ids = calloc(g->n ? g->n : 1, sizeof *ids);
    if (!recs || !ids) {
        free(recs);
        free(ids);
        b->oom = 1;
        return;
    }
    for (size_t j = 0; j < g->n; j++) {
        if (cqe_kparts_parse(&ids[j], g->cells[j]->field, g->cells[j]->field_len) ||
            ids[j].count < 2) {
            b->oom = 1;
            continue;
        }
        recs[j] = (struct sorted_rec){cqe_kparts_i64(&ids[j], 0), ids[j].p[1], ids[j].n[1],
                                      g->cells[j]};
    }
    if (!b->oom)
        qsort(recs, g->n, sizeof *recs, cmp_records);
    for (size_t j = 0; j < g->n; j++)
        g->cells[j] = recs[j].cell;
    for (size_t j = 0; j < g->n; j++)
        cqe_kparts_free(&ids[j]);
    free(ids);
    free(recs);
    if (b->oom)
        return;
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
    if (!in->ev_ts || !in->ev_provider) {
        b->oom = 1;
        return;
    }
    bool active = false;
    int64_t since = 0;
    for (size_t j = 0; j < g->n; j++) {
        const struct cqe_cell *c = g->cells[j];
        if (cqe_kparts_parse(r, c->field, c->field_len) || r->count < 12) {
            b->oom = 1;
            return;
        }
        int64_t ts = cqe_kparts_i64(r, 0);
        int action = (int)cqe_kparts_i64(r, 2);
        size_t prov = intern(b, &v->providers, r->p[3], r->n[3]);
        size_t dept = opt_index(b, &v->depts, r, 4);
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
        if (action == CQE_A_OPEN && cqe_kparts_opt(r, 5, &p, &n)) {
            size_t s = service_at(b, p, n);
            if (s != CQE_NONE)
                consider_attr(b, s, ts, r->p[1], r->n[1], prov, dept);
        }
        if (action == CQE_A_OPEN || action == CQE_A_UPDATE) {
            if (cqe_kparts_opt(r, 5, &p, &n))
                in->service = service_at(b, p, n);
            if (cqe_kparts_opt(r, 6, &p, &n))
                in->severity = (int)(p[0] - '0');
            if (cqe_kparts_opt(r, 7, &p, &n))
                in->impact = (int)(p[0] - '0');
            if (cqe_kparts_opt(r, 8, &p, &n)) {
                char t[40];
                size_t m = n < sizeof t - 1 ? n : sizeof t - 1;
                memcpy(t, p, m);
                t[m] = 0;
                in->scope = strtod(t, NULL);
            }
            if (cqe_kparts_opt(r, 9, &p, &n))
                in->cause = (int)(p[0] - '0');
            if (cqe_kparts_opt(r, 10, &p, &n)) {
                char *cat = malloc(n + 1);
                if (!cat) {
                    b->oom = 1;
                    return;
                }
                memcpy(cat, p, n);
                cat[n] = 0;
                free(in->category);
                in->category = cat;
            }
            if (cqe_kparts_opt(r, 11, &p, &n))
                in->data_loss = p[0] == '1';
        }
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
            cqe_ivl_push(&in->active, since, ts);
            /* zero-length activity still ends the interval */
        }
    }
    if (active)
        cqe_ivl_push(&in->active, since, CQE_TS_INF);
    in->active_at_end = active;
    if (in->active.oom)
        b->oom = 1;
}

static void apply_catalog(struct builder *b)
{
    struct cqe_view *v = b->v;
    const struct cqe_config *cfg = v->cfg;
    for (size_t i = 0; i < cfg->n_services; i++) {
        const struct cqe_service_conf *sc = &cfg->services[i];
        size_t s = service_at(b, sc->id, strlen(sc->id));
        if (s == CQE_NONE)
            return;
        struct cqe_service *sv = &v->svc[s];
        sv->in_catalog = true;
        sv->provider = intern(b, &v->providers, sc->provider, strlen(sc->provider));
        sv->dept = sc->dept ? intern(b, &v->depts, sc->dept, strlen(sc->dept)) : CQE_NONE;
        sv->target = sc->target;
        sv->weight = sc->weight;
        sv->calendar = sc->calendar;
    }
}

static int cmp_minute(const void *a, const void *b)
{
    const struct cqe_probe_minute *x = a, *y = b;
    return (x->minute > y->minute) - (x->minute < y->minute);
}

struct cqe_view *cqe_view_build(const struct cqe_store *store, const struct cqe_config *cfg,
                                struct cqe_err *err)
{
    struct builder b;
    memset(&b, 0, sizeof b);
    struct cqe_view *v = calloc(1, sizeof *v);
    if (!v) {
        cqe_err_set(err, CQE_ENOMEM, "out of memory building the view");
        return NULL;
    }
    v->cfg = cfg;
    b.v = v;
    apply_catalog(&b);
    if (!b.oom)
        cqe_store_each(store, each_cell, &b);
    if (!b.oom) {
        size_t n = v->incident_ids.n;
        v->inc = calloc(n ? n : 1, sizeof *v->inc);
        if (!v->inc)
            b.oom = 1;
        for (size_t i = 0; !b.oom && i < n; i++)
            derive_incident(&b, i);
    }
    /* a service only an update named takes the provider and dept of the first open of
     * its incident (readings.md 3); among several, the earliest open, then incident id */
    size_t *fallback = calloc(v->services.n ? v->services.n : 1, sizeof *fallback);
    if (!fallback)
        b.oom = 1;
    for (size_t s = 0; fallback && s < v->services.n; s++)
        fallback[s] = CQE_NONE;
    for (size_t i = 0; !b.oom && i < v->incident_ids.n; i++) {
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
    /* migrations: plans were recorded with provider CQE_NONE; lift them into arrays */
    if (!b.oom) {
        size_t n = v->migration_ids.n;
        v->mig_plan_end = calloc(n ? n : 1, sizeof *v->mig_plan_end);
        v->mig_has_plan = calloc(n ? n : 1, sizeof *v->mig_has_plan);
        if (!v->mig_plan_end || !v->mig_has_plan)
            b.oom = 1;
        size_t o = 0;
        for (size_t i = 0; !b.oom && i < v->n_mig_done; i++) {
            struct cqe_migration_done d = v->mig_done[i];
            if (d.provider == CQE_NONE) {
                v->mig_plan_end[d.migration] = d.ts;
                v->mig_has_plan[d.migration] = true;
            } else {
                v->mig_done[o++] = d;
            }
        }
        v->n_mig_done = o;
    }
    for (size_t i = 0; !b.oom && i < v->services.n; i++)
        if (v->svc[i].n_pm > 1)
            qsort(v->svc[i].pm, v->svc[i].n_pm, sizeof *v->svc[i].pm, cmp_minute);
    for (size_t i = 0; i < b.groups_cap; i++)
        free(b.groups[i].cells);
    free(b.groups);
    free(b.ticket_index);
    free(b.vuln_index);
    cqe_strmap_free(&b.ticket_ids);
    cqe_strmap_free(&b.vuln_ids);
    cqe_kparts_free(&b.k);
    cqe_kparts_free(&b.r);
    if (b.oom || v->providers.oom || v->depts.oom || v->services.oom) {
        cqe_view_free(v);
        cqe_err_set(err, CQE_ENOMEM, "out of memory building the view");
        return NULL;
    }
    return v;
}

void cqe_view_free(struct cqe_view *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->services.n && v->svc; i++) {
        free(v->svc[i].attr_id);
        free(v->svc[i].pm);
        free(v->svc[i].probe_months);
    }
    free(v->svc);
    for (size_t i = 0; v->inc && i < v->incident_ids.n; i++) {
        free(v->inc[i].category);
        cqe_ivl_free(&v->inc[i].active);
        free(v->inc[i].ev_ts);
        free(v->inc[i].ev_provider);
    }
    free(v->inc);
    free(v->win);
    free(v->tickets);
    free(v->vulns);
    free(v->mig_plan_end);
    free(v->mig_has_plan);
    free(v->mig_done);
    for (size_t i = 0; i < v->n_assets; i++)
        free(v->assets[i].id);
    free(v->assets);
    free(v->aggs);
    cqe_strmap_free(&v->providers);
    cqe_strmap_free(&v->depts);
    cqe_strmap_free(&v->services);
    cqe_strmap_free(&v->resources);
    cqe_strmap_free(&v->incident_ids);
    cqe_strmap_free(&v->migration_ids);
    cqe_strmap_free(&v->asset_ids);
    free(v);
}
