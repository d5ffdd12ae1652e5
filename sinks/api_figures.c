/* The endpoints over the evaluated state (api_eval.c): service and department figures,
 * open incidents and utilization, from the last complete generation, so every answer of
 * one generation is of one load and one as_of. */
#include "api_int.h"

#include <stdlib.h>
#include <string.h>

#include "records.h"

/* What a figure request holds: its parameters, a reference to the generation and the
 * period evaluated on it. */
struct fig_req {
    struct cqe_api *a;
    struct api_args args;
    struct api_gen *g;
    struct api_period *ap; /* NULL unless asked for */
    bool owned;            /* ap is the request's own (the generation's cache was full) */
};

/* Parses the parameters, takes the generation and, with want_period, evaluates the
 * period. Returns 0, or -1 with rep set (400, 503, 500); fig_end either way. */
static int fig_begin(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep,
                     long long def_limit, long long max_limit, bool want_period, struct fig_req *fr)
{
    memset(fr, 0, sizeof *fr);
    fr->a = ctx;
    if (api_args_parse(fr->a, req, api_params_of(cqe_http_path(req)), def_limit, max_limit, &fr->args, rep) ||
        api_unavailable(fr->a, true, rep))
        return -1;
    if (!(fr->g = api_gen_for_request(fr->a, rep)))
        return -1;
    if (want_period && !(fr->ap = api_gen_period(fr->g, &fr->args.period, &fr->owned))) {
        cqe_http_reply_error(rep, 500, "out of memory evaluating %s", fr->args.period.id);
        return -1;
    }
    return 0;
}

static void fig_end(struct fig_req *fr)
{
    if (fr->owned)
        api_period_free(fr->ap);
    api_gen_put(fr->a, fr->g);
}

/* Index of id in m, or a 404 naming the kind (and where to find the ids). */
static bool find_id(const struct cqe_strmap *m, const char *kind, const char *id, size_t *out,
                    struct cqe_http_reply *rep)
{
    if (!id) {
        *out = CQE_NONE;
        return true;
    }
    *out = cqe_strmap_find(m, id, strlen(id));
    if (*out != CQE_NONE)
        return true;
    cqe_http_reply_error(
        rep, 404, "unknown %s '%.64s': the state holds no %s of that id (%s)", kind, id, kind,
        !strcmp(kind, "provider") ? "GET /api/v1/targets lists the providers"
                                  : "GET /api/v1/services lists the services and departments");
    return false;
}

struct svc_ref {
    const struct cqe_service_figures *sf;
};

static int by_availability(const void *x, const void *y)
{
    const struct cqe_service_figures *p = ((const struct svc_ref *)x)->sf,
                                     *q = ((const struct svc_ref *)y)->sf;
    /* no availability (no agreed time) last; then ascending; then by id */
    if (p->availability.has != q->availability.has)
        return p->availability.has ? -1 : 1;
    if (p->availability.has && p->availability.v != q->availability.v)
        return p->availability.v < q->availability.v ? -1 : 1;
    return strcmp(p->id, q->id);
}

void api_h_services(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    struct fig_req fr;
    struct svc_ref *refs = NULL;
    size_t prov, dept, n = 0;
    if (fig_begin(ctx, req, rep, 100, 1000, true, &fr) ||
        !find_id(&fr.g->view->providers, "provider", fr.args.provider, &prov, rep) ||
        !find_id(&fr.g->view->depts, "dept", fr.args.dept, &dept, rep))
        goto out;
    const struct cqe_period_eval *pe = &fr.ap->pe;
    if (!(refs = calloc(pe->n_svc + 1, sizeof *refs))) {
        cqe_http_reply_error(rep, 500, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < pe->n_svc; i++) {
        const struct cqe_service_figures *sf = &pe->svc[i];
        const struct cqe_service *sv = &fr.g->view->svc[sf->service];
        if ((prov != CQE_NONE && sv->provider != prov) || (dept != CQE_NONE && sv->dept != dept) ||
            (fr.args.below_target && !(sf->availability.has && !sf->sla_met)))
            continue;
        refs[n++].sf = sf;
    }
    qsort(refs, n, sizeof *refs, by_availability);
    json_t *list = json_array();
    for (size_t i = (size_t)fr.args.offset; i < n && (long long)(i - (size_t)fr.args.offset) < fr.args.limit;
         i++)
        json_array_append_new(list, cqe_record_service(pe, refs[i].sf));
    api_reply_json(rep, json_pack("{s:s,s:o,s:I,s:o}", "period", fr.args.period.id, "as_of",
                                  api_time(fr.a, fr.g->as_of), "total", (json_int_t)n, "services", list));
out:
    free(refs);
    fig_end(&fr);
}

void api_h_depts(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    struct fig_req fr;
    const struct cqe_dept_figures **order = NULL;
    if (fig_begin(ctx, req, rep, 0, 0, true, &fr))
        goto out;
    const struct api_period *ap = fr.ap;
    const struct cqe_strmap *m = &fr.g->view->depts;
    if (!(order = calloc(ap->n_depts + 1, sizeof *order))) {
        cqe_http_reply_error(rep, 500, "out of memory");
        goto out;
    }
    for (size_t d = 0; d < ap->n_depts; d++) { /* by id, as `cloudqe snapshot` */
        size_t j = d;
        while (j > 0 && strcmp(m->keys[order[j - 1]->dept], m->keys[ap->depts[d].dept]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = &ap->depts[d];
    }
    json_t *list = json_array();
    for (size_t i = 0; i < ap->n_depts; i++)
        json_array_append_new(list, cqe_record_dept(&ap->pe, order[i]));
    api_reply_json(rep, json_pack("{s:s,s:o,s:o}", "period", fr.args.period.id, "as_of",
                                  api_time(fr.a, fr.g->as_of), "depts", list));
out:
    free(order);
    fig_end(&fr);
}

static int newest_first(const void *x, const void *y)
{
    const struct cqe_incident *p = *(const struct cqe_incident *const *)x,
                              *q = *(const struct cqe_incident *const *)y;
    if (p->open_ts != q->open_ts)
        return p->open_ts > q->open_ts ? -1 : 1;
    return p->id < q->id ? -1 : p->id > q->id;
}

void api_h_incidents(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    struct fig_req fr;
    const struct cqe_incident **open = NULL;
    size_t prov, svc, n = 0;
    if (fig_begin(ctx, req, rep, 0, 0, false, &fr) ||
        !find_id(&fr.g->view->providers, "provider", fr.args.provider, &prov, rep) ||
        !find_id(&fr.g->view->services, "service", fr.args.service, &svc, rep))
        goto out;
    const struct cqe_view *v = fr.g->view;
    int64_t as_of = fr.g->as_of;
    if (!(open = calloc(v->incident_ids.n + 1, sizeof *open))) {
        cqe_http_reply_error(rep, 500, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < v->incident_ids.n; i++) {
        const struct cqe_incident *in = &v->inc[i];
        if (in->has_open && in->active_at_end && (prov == CQE_NONE || in->provider == prov) &&
            (svc == CQE_NONE || in->service == svc))
            open[n++] = in;
    }
    qsort(open, n, sizeof *open, newest_first);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct cqe_incident *in = open[i];
        const char *status = in->has_resolve ? "reopened" : in->has_ack ? "acknowledged" : "open";
        json_array_append_new(
            list,
            json_pack("{s:s,s:o,s:s,s:o,s:o,s:s,s:o,s:I}", "id", v->incident_ids.keys[in->id], "service",
                      in->service == CQE_NONE ? json_null() : json_string(v->services.keys[in->service]),
                      "provider", v->providers.keys[in->provider], "dept",
                      in->dept == CQE_NONE ? json_null() : json_string(v->depts.keys[in->dept]), "severity",
                      in->severity ? json_integer(in->severity) : json_null(), "status", status, "opened",
                      api_time(fr.a, in->open_ts), "elapsed_s",
                      (json_int_t)((as_of > in->open_ts ? as_of - in->open_ts : 0) / 1000)));
    }
    api_reply_json(rep, json_pack("{s:o,s:o}", "as_of", api_time(fr.a, as_of), "incidents", list));
out:
    free(open);
    fig_end(&fr);
}

void api_h_utilization(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    struct fig_req fr;
    size_t prov;
    if (fig_begin(ctx, req, rep, 0, 0, true, &fr) ||
        !find_id(&fr.g->view->providers, "provider", fr.args.provider, &prov, rep))
        goto out;
    const struct api_period *ap = fr.ap;
    json_t *list = json_array();
    for (size_t p = 0; p < ap->n_pools; p++) {
        const struct api_pool_row *r = &ap->pools[p];
        if ((prov != CQE_NONE && p != prov) ||
            (!r->resources && !r->cpu_mean.has && !r->mem_mean.has && !r->disk_mean.has && !r->net_mean.has))
            continue;
        const char *id = fr.g->view->providers.keys[p];
        json_array_append_new(
            list, json_pack("{s:s,s:s,s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "pool", id, "provider", id, "resources",
                            (json_int_t)r->resources, "cpu_mean", cqe_json_opt(r->cpu_mean), "cpu_p95",
                            cqe_json_opt(r->cpu_p95), "mem_mean", cqe_json_opt(r->mem_mean), "mem_p95",
                            cqe_json_opt(r->mem_p95), "disk_mean", cqe_json_opt(r->disk_mean), "net_mean",
                            cqe_json_opt(r->net_mean)));
    }
    api_reply_json(rep, json_pack("{s:s,s:o,s:o}", "period", fr.args.period.id, "as_of",
                                  api_time(fr.a, fr.g->as_of), "pools", list));
out:
    fig_end(&fr);
}
