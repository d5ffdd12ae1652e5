/* The evaluation loader: at most every --refresh seconds, when a partition's position or
 * the output role's meta token moved, loads the merged state of every partition as
 * `cloudqe snapshot` does and builds its view: a new generation, swapped in whole, so a
 * request uses the last complete one and never waits for a load. Periods are evaluated
 * on a generation when first asked (the current ones right after the load) and kept. */
#include "api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshots.h"
#include "view.h"

struct api_gen *api_gen_get(struct cqe_api *a)
{
    pthread_mutex_lock(&a->lock);
    struct api_gen *g = a->gen;
    if (g)
        g->refs++;
    pthread_mutex_unlock(&a->lock);
    return g;
}

struct api_gen *api_gen_for_request(struct cqe_api *a, struct cqe_http_reply *rep)
{
    struct api_gen *g = api_gen_get(a);
    if (!g)
        cqe_http_reply_error(rep, 503,
                             "not available: the first evaluation of the state is not done (retry later)");
    return g;
}

void api_period_free(struct api_period *ap)
{
    if (!ap)
        return;
    cqe_period_eval_fini(&ap->pe);
    free(ap->depts);
    free(ap->pools);
    free(ap);
}

static void gen_free(struct api_gen *g)
{
    for (size_t i = 0; i < g->n_periods; i++)
        api_period_free(g->periods[i]);
    cqe_view_free(g->view);
    cqe_store_free(g->store);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

void api_gen_put(struct cqe_api *a, struct api_gen *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&a->lock);
    bool last = --g->refs == 0;
    pthread_mutex_unlock(&a->lock);
    if (last)
        gen_free(g);
}

/* Resources (VMs reporting cpu or mem: the UR cells) and utilization of each provider. */
static int eval_pools(struct api_period *ap)
{
    const struct cqe_view *v = ap->pe.view;
    ap->n_pools = v->providers.n;
    ap->pools = calloc(ap->n_pools ? ap->n_pools : 1, sizeof *ap->pools);
    size_t *mark = calloc(v->resources.n ? v->resources.n : 1, sizeof *mark);
    if (!ap->pools || !mark) {
        free(mark);
        return CQE_ENOMEM;
    }
    for (size_t i = 0; i < v->n_aggs; i++) {
        const struct cqe_agg *g = &v->aggs[i];
        if (g->fam != CQE_AGG_UR || !cqe_period_has_month(&ap->pe.period, g->month) ||
            g->provider >= ap->n_pools || g->aux >= v->resources.n || mark[g->aux] == g->provider + 1)
            continue;
        mark[g->aux] = g->provider + 1;
        ap->pools[g->provider].resources++;
    }
    free(mark);
    for (size_t p = 0; p < ap->n_pools; p++) {
        struct cqe_target_figures tf;
        memset(&tf, 0, sizeof tf);
        tf.target = p;
        int rc = cqe_fig_utilization(&ap->pe, p, &tf);
        struct api_pool_row *row = &ap->pools[p];
        row->provider = p;
        row->cpu_mean = tf.m_mean[CQE_M_CPU];
        row->cpu_p95 = tf.m_p95[CQE_M_CPU];
        row->mem_mean = tf.m_mean[CQE_M_MEM];
        row->mem_p95 = tf.m_p95[CQE_M_MEM];
        row->disk_mean = tf.m_mean[CQE_M_DISK];
        row->net_mean = tf.m_mean[CQE_M_NET];
        cqe_target_figures_fini(&tf);
        if (rc)
            return rc;
    }
    return 0;
}

static struct api_period *eval_period(const struct api_gen *g, const struct cqe_period *p)
{
    struct api_period *ap = calloc(1, sizeof *ap);
    if (!ap)
        return NULL;
    if (cqe_period_eval_init(&ap->pe, g->view, p, g->as_of)) {
        free(ap);
        return NULL;
    }
    const struct cqe_view *v = g->view;
    ap->n_depts = v->depts.n;
    if (!(ap->depts = calloc(ap->n_depts ? ap->n_depts : 1, sizeof *ap->depts)))
        goto fail;
    for (size_t d = 0; d < ap->n_depts; d++)
        if (cqe_dept_figures_compute(&ap->pe, d, &ap->depts[d]))
            goto fail;
    if (eval_pools(ap))
        goto fail;
    return ap;
fail:
    api_period_free(ap);
    return NULL;
}

static struct api_period *cached(struct api_gen *g, const char *id)
{
    for (size_t i = 0; i < g->n_periods; i++)
        if (!strcmp(g->periods[i]->pe.period.id, id))
            return g->periods[i];
    return NULL;
}

struct api_period *api_gen_period(struct api_gen *g, const struct cqe_period *p, bool *owned)
{
    *owned = false;
    pthread_mutex_lock(&g->lock);
    struct api_period *ap = cached(g, p->id);
    pthread_mutex_unlock(&g->lock);
    if (ap)
        return ap;
    /* computed outside the lock: two requests may compute the same period, one keeps it */
    struct api_period *mine = eval_period(g, p);
    if (!mine)
        return NULL;
    pthread_mutex_lock(&g->lock);
    if ((ap = cached(g, p->id)))
        ;
    else if (g->n_periods < API_PERIODS_CACHED)
        ap = g->periods[g->n_periods++] = mine, mine = NULL;
    pthread_mutex_unlock(&g->lock);
    if (!ap) {
        *owned = true;
        return mine;
    }
    api_period_free(mine);
    return ap;
}

/* ---- the loop */

struct eval_loader {
    struct cqe_api *a;
    char *sig; /* positions and meta token of the last load, owned */
};

/* The positions of every partition and the role's token, joined: what a load reflects. */
static int read_signature(struct cqe_api *a, char **sig, struct cqe_err *err)
{
    struct cqe_redis *r = a->eval.r;
    int n = 0, rc;
    if ((rc = cqe_redis_partitions(r, CQE_REDIS_NS, &n, err)))
        return rc;
    char **pos = calloc(n > 0 ? (size_t)n : 1, sizeof *pos);
    if (!pos)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    struct cqe_redis_strs tok = {0};
    const char *argv[] = {"HGET", "meta", "token"};
    if (n > 0)
        rc = cqe_redis_load_positions(r, CQE_REDIS_NS, n, pos, err);
    if (!rc)
        rc = cqe_redis_out_command(r, CQE_REDIS_NS, 3, argv, NULL, 2, &tok, err);
    size_t len = 32 + (tok.n && tok.v[0] ? strlen(tok.v[0]) : 0);
    for (int i = 0; i < n; i++)
        len += (pos[i] ? strlen(pos[i]) : 0) + 1;
    char *s = rc ? NULL : malloc(len);
    if (s) {
        size_t at = (size_t)snprintf(s, len, "%d|%s", n, tok.n && tok.v[0] ? tok.v[0] : "");
        for (int i = 0; i < n; i++)
            at += (size_t)snprintf(s + at, len - at, "|%s", pos[i] ? pos[i] : "");
    } else if (!rc)
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++)
        free(pos[i]);
    free(pos);
    cqe_redis_strs_free(&tok);
    *sig = s;
    return rc;
}

/* Loads a new generation (the clock rule of `cloudqe snapshot` gives its as_of) and
 * evaluates its current month, quarter and year. */
static int load(struct cqe_api *a, struct api_gen **out, struct cqe_err *err)
{
    struct api_gen *g = calloc(1, sizeof *g);
    if (!g)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    pthread_mutex_init(&g->lock, NULL);
    g->refs = 1;
    int rc = 0;
    if (!(g->store = cqe_store_new()))
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
    else if (!(rc = cqe_redis_load_state(a->eval.r, CQE_REDIS_NS, g->store, err)) &&
             !(g->view = cqe_view_build(g->store, a->o.cfg, err)))
        rc = err->code ? err->code : CQE_ENOMEM;
    if (rc) {
        gen_free(g);
        return rc;
    }
    bool wall = a->o.cfg->clock == CQE_CLOCK_WALL || g->view->max_ts <= 0;
    g->as_of = wall ? api_wall_ms() : g->view->max_ts;
    struct cqe_period cur[3];
    cqe_default_periods(g->as_of, a->o.cfg->utc_offset_min, cur);
    for (int i = 0; i < 3; i++) {
        bool owned;
        struct api_period *ap = api_gen_period(g, &cur[i], &owned);
        if (!ap) {
            gen_free(g);
            return cqe_err_set(err, CQE_ENOMEM, "out of memory evaluating %s", cur[i].id);
        }
        if (owned)
            api_period_free(ap);
    }
    *out = g;
    return 0;
}

static int eval_round(struct eval_loader *L, struct cqe_err *err)
{
    struct cqe_api *a = L->a;
    char *sig = NULL;
    int rc = api_loader_connect(a, &a->eval, err);
    if (!rc)
        rc = read_signature(a, &sig, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&a->lock);
    bool have = a->gen != NULL;
    pthread_mutex_unlock(&a->lock);
    if (have && L->sig && !strcmp(sig, L->sig)) {
        free(sig);
        return 0;
    }
    double t0 = api_mono_s();
    struct api_gen *g = NULL;
    if ((rc = load(a, &g, err))) {
        free(sig);
        pthread_mutex_lock(&a->lock);
        a->load_failures++;
        pthread_mutex_unlock(&a->lock);
        return rc;
    }
    free(L->sig);
    L->sig = sig;
    pthread_mutex_lock(&a->lock);
    struct api_gen *old = a->gen;
    a->gen = g;
    a->loads++;
    a->last_load_s = api_mono_s() - t0;
    a->last_load_done = api_wall_ms();
    pthread_mutex_unlock(&a->lock);
    api_gen_put(a, old);
    return 0;
}

void *api_eval_main(void *arg)
{
    struct eval_loader L = {.a = arg};
    struct cqe_api *a = L.a;
    int rc;
    do {
        struct cqe_err err = {0};
        rc = eval_round(&L, &err);
        api_loader_done(a, &a->eval, rc, &err);
        /* after a failure, try again within a second (Redis back) */
    } while (!api_loader_sleep(a, rc ? 1000 : (int64_t)a->o.refresh_s * 1000));
    free(L.sig);
    return NULL;
}
