/* /metrics (Prometheus text, every series cloudqe_serve_*), /healthz and /readyz of
 * `cloudqe serve`. */
#include "api_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom_text.h"

void api_h_healthz(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    (void)ctx;
    (void)req;
    cqe_http_reply_text(rep, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

void api_h_readyz(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    (void)req;
    struct cqe_api *a = ctx;
    char why[1100] = "";
    pthread_mutex_lock(&a->lock);
    if (a->outputs.err[0] || a->eval.err[0])
        snprintf(why, sizeof why, "not ready: %s%s%s\n", a->outputs.err,
                 a->outputs.err[0] && a->eval.err[0] ? "; " : "", a->eval.err);
    pthread_mutex_unlock(&a->lock);
    if (why[0])
        cqe_http_reply_text(rep, 503, "text/plain; charset=utf-8", why, strlen(why));
    else
        cqe_http_reply_text(rep, 200, "text/plain; charset=utf-8", "ready\n", 6);
}

void api_h_metrics(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    struct cqe_api *a = ctx;
    struct api_args args;
    if (api_args_parse(a, req, api_params_of(cqe_http_path(req)), 0, 0, &args, rep))
        return;
    struct cqe_http_stats hs = {0};
    pthread_mutex_lock(&a->lock);
    struct cqe_http_server *server = a->server;
    uint64_t loads = a->loads, load_failures = a->load_failures, polls = a->polls,
             redis_errors = a->redis_errors;
    double last_load_s = a->last_load_s;
    int64_t load_done = a->last_load_done, poll_done = a->last_poll_done;
    bool up = !a->outputs.err[0] && !a->eval.err[0];
    size_t n_snaps = a->out.n_snaps, n_firing = a->out.n_firing;
    pthread_mutex_unlock(&a->lock);
    if (server)
        cqe_http_stats_get(server, &hs);
    int64_t now = api_wall_ms();
    static const char *const classes[6] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    struct cqe_prom p = {0};
    cqe_prom_family(&p, "cloudqe_serve_requests_total", "counter",
                    "HTTP requests answered, by status class.");
    for (int i = 1; i <= 5; i++)
        cqe_prom_sample_u64(&p, "cloudqe_serve_requests_total", hs.by_status[i], "code", classes[i],
                            (const char *)NULL);
    cqe_prom_counter(&p, "cloudqe_serve_unauthorized_total",
                     "Requests refused for a missing or wrong token (401).", hs.unauthorized);
    cqe_prom_counter(&p, "cloudqe_serve_rate_limited_total",
                     "Requests refused by the per-address rate limit (429).", hs.rate_limited);
    cqe_prom_counter(&p, "cloudqe_serve_loads_total", "Evaluations of the merged state loaded.", loads);
    cqe_prom_counter(&p, "cloudqe_serve_load_failures_total", "Evaluations of the merged state that failed.",
                     load_failures);
    cqe_prom_gauge(&p, "cloudqe_serve_last_load_duration_seconds",
                   "Duration of the last evaluation of the state.", last_load_s);
    cqe_prom_gauge(&p, "cloudqe_serve_last_load_age_seconds",
                   "Seconds since the last evaluation ended (NaN before the first).",
                   load_done ? (double)(now - load_done) / 1000.0 : (double)NAN);
    cqe_prom_counter(&p, "cloudqe_serve_output_polls_total", "Reads of the emitted records (cqe:{out}:*).",
                     polls);
    cqe_prom_gauge(&p, "cloudqe_serve_last_poll_age_seconds",
                   "Seconds since the last successful read of the emitted records (NaN before the first).",
                   poll_done ? (double)(now - poll_done) / 1000.0 : (double)NAN);
    cqe_prom_counter(&p, "cloudqe_serve_redis_errors_total", "Rounds of a loader that failed on Redis.",
                     redis_errors);
    cqe_prom_gauge(&p, "cloudqe_serve_ready", "1 when Redis answers and the first reads are done, else 0.",
                   up ? 1 : 0);
    cqe_prom_gauge(&p, "cloudqe_serve_snapshots", "Latest snapshots held (one per target and period).",
                   (double)n_snaps);
    cqe_prom_gauge(&p, "cloudqe_serve_alerts_firing", "Alerts firing now.", (double)n_firing);
    size_t len;
    char *text = cqe_prom_take(&p, &len);
    if (!text) {
        cqe_http_reply_error(rep, 500, "out of memory writing the metrics");
        return;
    }
    free(rep->body);
    rep->body = text;
    rep->len = len;
    rep->status = 200;
    rep->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
