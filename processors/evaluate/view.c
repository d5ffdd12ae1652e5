/* Builds the read view (view.h) from the cells of a store: the catalog's services, one
 * pass over the cells handing each to the family that owns its key prefix (family.h),
 * then each family's finish (incident derivation, plans, minute order). */
#include "view.h"

#include <stdlib.h>
#include <string.h>

#include "family.h"

static int apply_catalog(struct cqe_vb *b)
{
    struct cqe_view *v = b->v;
    const struct cqe_config *cfg = v->cfg;
    for (size_t i = 0; i < cfg->n_services; i++) {
        const struct cqe_service_conf *sc = &cfg->services[i];
        size_t s = cqe_vb_service(b, sc->id, strlen(sc->id));
        if (s == CQE_NONE)
            return b->rc;
        struct cqe_service *sv = &v->svc[s];
        sv->in_catalog = true;
        sv->provider = cqe_vb_intern(b, &v->providers, sc->provider, strlen(sc->provider));
        sv->dept = sc->dept ? cqe_vb_intern(b, &v->depts, sc->dept, strlen(sc->dept)) : CQE_NONE;
        sv->target = sc->target;
        sv->weight = sc->weight;
        sv->calendar = sc->calendar;
    }
    return b->rc;
}

/* The builder and the parts of the current cell's key. */
struct pass {
    struct cqe_vb *b;
    struct cqe_kparts k;
};

static int each_cell(const struct cqe_cell *c, void *arg)
{
    struct pass *ps = arg;
    struct cqe_vb *b = ps->b;
    int rc = cqe_kparts_parse(&ps->k, c->key, c->key_len);
    if (rc == CQE_ENOMEM)
        return cqe_vb_oom(b);
    if (rc)
        return cqe_vb_corrupt(b, c, "the key has too many components");
    const struct cqe_family *f = cqe_family_of_prefix(ps->k.p[0], ps->k.n[0]);
    if (!f)
        return 0; /* keys of no family (none are written today) are left alone */
    return f->parse(b, &ps->k, c);
}

struct cqe_view *cqe_view_build(const struct cqe_store *store, const struct cqe_config *cfg,
                                struct cqe_err *err)
{
    struct cqe_vb b;
    struct pass ps;
    memset(&b, 0, sizeof b);
    memset(&ps, 0, sizeof ps);
    ps.b = &b;
    b.err = err;
    b.v = calloc(1, sizeof *b.v);
    if (!b.v) {
        cqe_vb_oom(&b);
        goto out;
    }
    b.v->cfg = cfg;
    if (apply_catalog(&b) || cqe_store_each(store, each_cell, &ps))
        goto out;
    for (size_t i = 0; i < cqe_family_count(); i++) {
        const struct cqe_family *f = cqe_family_at(i);
        if (f->finish && f->finish(&b))
            goto out;
    }
    const struct cqe_view *v = b.v;
    if (v->providers.oom || v->depts.oom || v->services.oom)
        cqe_vb_oom(&b);
out:
    cqe_vb_fini(&b);
    cqe_kparts_free(&ps.k);
    if (b.rc) {
        cqe_view_free(b.v);
        return NULL;
    }
    return b.v;
}
