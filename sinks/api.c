/* The API's handle: its endpoints (the table GET /api/v1 answers), its two loader threads
 * and the routes it hands to the HTTP server. */
#include "api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "figures.h"

#define P(...) ((const char *const[]){__VA_ARGS__, NULL})
static const char *const no_params[] = {NULL};

const struct api_endpoint api_endpoints[] = {
    {"/api/v1", api_h_index, no_params, "this index", false},
    {"/api/v1/targets", api_h_targets, no_params,
     "the targets (platform and providers) and the periods holding an emitted snapshot", false},
    {"/api/v1/snapshot", api_h_snapshot, P("target", "period"),
     "the latest emitted snapshot of (target, period) with the model's tree", false},
    {"/api/v1/snapshots", api_h_snapshots, P("period"), "the latest snapshot of every target for a period",
     false},
    {"/api/v1/history", api_h_history, P("target", "period"),
     "the emitted snapshots of (target, period) over time, at most 500 points", false},
    {"/api/v1/alerts", api_h_alerts, P("limit"), "alerts firing now and the last alert records", false},
    {"/api/v1/services", api_h_services, P("period", "provider", "dept", "below_target", "limit", "offset"),
     "service figures of a period, by availability ascending", false},
    {"/api/v1/depts", api_h_depts, P("period"), "department figures of a period", false},
    {"/api/v1/incidents", api_h_incidents, P("provider", "service"), "open incidents, newest first", false},
    {"/api/v1/explain", api_h_explain, P("target", "period", "indicator", "limit"),
     "why a target has its score: a node's contributions or a leaf's evidence (cloudqe explain --json)",
     false},
    {"/api/v1/utilization", api_h_utilization, P("period", "provider"),
     "utilization of each provider's resources in a period", false},
    {"/metrics", api_h_metrics, no_params, "Prometheus metrics of serve", false},
    {"/healthz", api_h_healthz, no_params, "200 while the process runs", true},
    {"/readyz", api_h_readyz, no_params, "200 once Redis answers and the first reads are done, else 503",
     true},
};
const size_t api_n_endpoints = sizeof api_endpoints / sizeof api_endpoints[0];

const char *const *api_params_of(const char *path)
{
    for (size_t i = 0; i < api_n_endpoints; i++)
        if (!strcmp(api_endpoints[i].path, path))
            return api_endpoints[i].params;
    return no_params;
}

size_t cqe_api_routes(struct cqe_api *a, struct cqe_http_route *routes, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < api_n_endpoints && n < cap; i++)
        routes[n++] =
            (struct cqe_http_route){api_endpoints[i].path, api_endpoints[i].fn, a, api_endpoints[i].open};
    return n;
}

void cqe_api_set_server(struct cqe_api *a, struct cqe_http_server *s)
{
    pthread_mutex_lock(&a->lock);
    a->server = s;
    pthread_mutex_unlock(&a->lock);
}

struct cqe_api *cqe_api_start(const struct cqe_api_options *o, struct cqe_err *err)
{
    struct cqe_api *a = calloc(1, sizeof *a);
    if (!a) {
        cqe_err_set(err, CQE_ENOMEM, "out of memory starting the API");
        return NULL;
    }
    a->o = *o;
    if (a->o.refresh_s <= 0)
        a->o.refresh_s = 10;
    if (a->o.poll_ms <= 0)
        a->o.poll_ms = 1000;
    pthread_mutex_init(&a->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->wake, &ca);
    pthread_condattr_destroy(&ca);
    snprintf(a->outputs.err, sizeof a->outputs.err, "the first read of the emitted records is not done");
    snprintf(a->eval.err, sizeof a->eval.err, "the first evaluation of the state is not done");
    if (pthread_create(&a->outputs.thread, NULL, api_outputs_main, a)) {
        cqe_err_set(err, CQE_ENOMEM, "cannot start the API's loader thread");
        cqe_api_stop(a);
        return NULL;
    }
    a->outputs.started = true;
    if (pthread_create(&a->eval.thread, NULL, api_eval_main, a)) {
        cqe_err_set(err, CQE_ENOMEM, "cannot start the API's loader thread");
        cqe_api_stop(a);
        return NULL;
    }
    a->eval.started = true;
    return a;
}

void cqe_api_stop(struct cqe_api *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->lock);
    a->stopping = true;
    pthread_cond_broadcast(&a->wake);
    pthread_mutex_unlock(&a->lock);
    if (a->outputs.started)
        pthread_join(a->outputs.thread, NULL);
    if (a->eval.started)
        pthread_join(a->eval.thread, NULL);
    cqe_redis_free(a->outputs.r);
    cqe_redis_free(a->eval.r);
    api_outputs_free(&a->out);
    if (a->gen) {
        struct api_gen *g = a->gen;
        a->gen = NULL;
        api_gen_put(a, g);
    }
    pthread_cond_destroy(&a->wake);
    pthread_mutex_destroy(&a->lock);
    free(a);
}
