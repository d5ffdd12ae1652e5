/* The builder the family parsers share (family_view.h): growth, interning, service
 * attribution, aggregates, record checks and the corrupt-state error; and the view's
 * release. */
#include "family_view.h"

#include <stdlib.h>
#include <string.h>

int cqe_vb_grow(void **arr, size_t *cap, size_t elem, size_t need)
{
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return CQE_ENOMEM;
    memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
    *arr = p;
    *cap = ncap;
    return 0;
}

int cqe_vb_oom(struct cqe_vb *b)
{
    if (!b->rc)
        b->rc = cqe_err_set(b->err, CQE_ENOMEM, "out of memory building the view");
    return b->rc;
}

/* Printable length of a key or field in a message: long ones are cut. */
static int shown(size_t n)
{
    return n > 120 ? 120 : (int)n;
}

int cqe_vb_corrupt(struct cqe_vb *b, const struct cqe_cell *c, const char *what)
{
    if (!b->rc)
        b->rc = cqe_err_set(b->err, CQE_EIO,
                            "corrupt state: key \"%.*s\" field \"%.*s\": %s; the state was "
                            "damaged or written by another version: clear it and replay",
                            shown(c->key_len), c->key, shown(c->field_len), c->field, what);
    return b->rc;
}

size_t cqe_vb_intern(struct cqe_vb *b, struct cqe_strmap *m, const char *s, size_t n)
{
    size_t i = cqe_strmap_intern(m, s, n, NULL);
    if (i == CQE_NONE)
        cqe_vb_oom(b);
    return i;
}

size_t cqe_vb_opt_index(struct cqe_vb *b, struct cqe_strmap *m, const struct cqe_kparts *k, int i)
{
    const char *p;
    size_t n;
    return cqe_kparts_opt(k, i, &p, &n) ? cqe_vb_intern(b, m, p, n) : CQE_NONE;
}

size_t cqe_vb_service(struct cqe_vb *b, const char *s, size_t n)
{
    struct cqe_view *v = b->v;
    int added = 0;
    size_t i = cqe_strmap_intern(&v->services, s, n, &added);
    if (i == CQE_NONE || CQE_VB_GROW(v->svc, i, v->svc_cap)) {
        cqe_vb_oom(b);
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

void cqe_vb_attr(struct cqe_vb *b, size_t svc, int64_t ts, const char *id, size_t idl, size_t provider,
                 size_t dept)
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
        cqe_vb_oom(b);
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

size_t cqe_vb_entity(struct cqe_vb *b, struct cqe_strmap *ids, const char *id, size_t n, void **arr,
                     size_t *count, size_t *cap, size_t elem, int *added)
{
    *added = 0;
    size_t i = cqe_strmap_intern(ids, id, n, added);
    if (i == CQE_NONE || (i >= *cap && cqe_vb_grow(arr, cap, elem, i + 1))) {
        cqe_vb_oom(b);
        return CQE_NONE;
    }
    if (*added)
        *count = i + 1;
    return i;
}

int cqe_vb_agg(struct cqe_vb *b, enum cqe_agg_family fam, int64_t month, size_t provider, size_t aux,
               const struct cqe_cell *c)
{
    struct cqe_view *v = b->v;
    if (b->rc)
        return b->rc;
    if (CQE_VB_GROW(v->aggs, v->n_aggs, v->cap_aggs))
        return cqe_vb_oom(b);
    v->aggs[v->n_aggs++] = (struct cqe_agg){fam, month, provider, aux, c};
    return 0;
}

int cqe_vb_expect(struct cqe_vb *b, const struct cqe_kparts *k, int nparts, const struct cqe_cell *c,
                  enum cqe_cell_op op)
{
    if (k->count != nparts)
        return cqe_vb_corrupt(b, c, "the key has the wrong number of components");
    if (c->op != op)
        return cqe_vb_corrupt(b, c, "the cell is not of the kind its family stores");
    return 0;
}

int cqe_vb_record(struct cqe_vb *b, const struct cqe_cell *c, const char *text, size_t n, int min_parts)
{
    int rc = cqe_kparts_parse(&b->r, text, n);
    if (rc == CQE_ENOMEM)
        return cqe_vb_oom(b);
    if (rc || b->r.count < min_parts)
        return cqe_vb_corrupt(b, c, "the record has too few or too many components");
    return 0;
}

int cqe_vb_i64(struct cqe_vb *b, const struct cqe_cell *c, const struct cqe_kparts *parts, int i,
               const char *what, int64_t *out)
{
    return cqe_kparts_i64(parts, i, out) ? cqe_vb_corrupt(b, c, what) : 0;
}

int cqe_vb_month(struct cqe_vb *b, const struct cqe_cell *c, const struct cqe_kparts *parts, int i,
                 int64_t *out)
{
    return cqe_kparts_month(parts, i, out) ? cqe_vb_corrupt(b, c, "the month is not YYYY-MM") : 0;
}

int cqe_vb_ts(struct cqe_vb *b, const struct cqe_cell *c, double d, int64_t *out)
{
    if (!(d >= -0x1p62 && d <= 0x1p62))
        return cqe_vb_corrupt(b, c, "the value is not a time");
    *out = (int64_t)d;
    return 0;
}

void cqe_vb_fini(struct cqe_vb *b)
{
    for (size_t i = 0; i < b->inc_cap; i++)
        free(b->inc[i].cells);
    free(b->inc);
    b->inc = NULL;
    b->inc_cap = 0;
    cqe_kparts_free(&b->r);
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
    struct cqe_strmap *maps[] = {&v->providers,    &v->depts,         &v->services,  &v->resources,
                                 &v->incident_ids, &v->migration_ids, &v->asset_ids, &v->ticket_ids,
                                 &v->vuln_ids,     &v->window_ids};
    for (size_t i = 0; i < sizeof maps / sizeof *maps; i++)
        cqe_strmap_free(maps[i]);
    free(v);
}
