/* Private to the API files (sinks/api_*.c): the API handle, the emitted records the
 * outputs loader keeps (api_outputs.c), the evaluated state the evaluation loader keeps
 * (api_eval.c), query parameters (api_params.c) and JSON replies. Public: api.h. */
#ifndef CQE_API_INT_H
#define CQE_API_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "figures.h"
#include "json_fields.h"
#include "state_redis.h"
#include "store.h"

#define API_VERSION "1"
#define API_RECENT_KEEP 1000  /* alert records kept for /alerts?limit= */
#define API_SERIES_KEEP 4096  /* history points kept per (target, period), halved beyond */
#define API_HISTORY_MAX 500   /* points /history answers at most */
#define API_PERIODS_CACHED 48 /* evaluated periods kept per generation */

/* The latest emitted snapshot of one (target, period): its record as stored. */
struct api_snap {
    char *target, *period, *text; /* owned */
    char *rev;                    /* owned: the rev hash value it was read for */
    int64_t as_of;                /* ms */
};

/* One point of a history: what /history answers of a snapshot record. */
struct api_point {
    int64_t as_of, revision;
    struct cqe_opt score, availability, cpu_mean, mem_mean;
    char grade[48];
};

struct api_series {
    char *key; /* owned: "<target>|<period>" */
    struct api_point *pts;
    size_t n, cap;
};

/* An alert record kept by id (the latest state of that id). */
struct api_alert {
    char *id, *text; /* owned */
};

/* What the outputs loader read; guarded by cqe_api.lock. Arrays sorted by key. */
struct api_outputs {
    bool ready;             /* one full read done */
    struct api_snap *snaps; /* sorted by (target, period) */
    size_t n_snaps;
    struct api_series *series; /* sorted by key */
    size_t n_series;
    struct api_alert *firing; /* sorted by id: records whose id the alert hash holds */
    size_t n_firing;
    char **recent; /* ring of the last API_RECENT_KEEP alert records */
    size_t n_recent, recent_head;
    int64_t latest_as_of; /* the largest as_of of the snapshots; 0: none */
};

/* A period evaluated on a generation (immutable once published). */
struct api_pool_row {
    size_t provider;
    int64_t resources;
    struct cqe_opt cpu_mean, cpu_p95, mem_mean, mem_p95, disk_mean, net_mean;
};

struct api_period {
    struct cqe_period_eval pe;
    struct cqe_dept_figures *depts; /* by dept index */
    size_t n_depts;
    struct api_pool_row *pools; /* by provider index */
    size_t n_pools;
};

/* One load of the merged state: the store, its view and the periods evaluated on it.
 * Reference-counted under cqe_api.lock; the view and store never change. */
struct api_gen {
    int refs;
    struct cqe_store *store;
    struct cqe_view *view;
    int64_t as_of;
    pthread_mutex_t lock; /* guards periods */
    struct api_period *periods[API_PERIODS_CACHED];
    size_t n_periods;
};

struct api_loader {
    pthread_t thread;
    bool started;
    struct cqe_redis *r; /* owned by the loader's thread */
    char err[512];       /* last failure, "" when the last round worked (under lock) */
    bool failed;         /* err is a failure, not "the first read is not done" (under lock) */
};

struct cqe_api {
    struct cqe_api_options o;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    struct api_outputs out;
    struct api_gen *gen; /* the last complete evaluation, NULL before the first */
    struct api_loader outputs, eval;
    struct cqe_http_server *server;
    /* counters for /metrics (under lock) */
    uint64_t loads, load_failures, polls, redis_errors;
    double last_load_s;     /* duration of the last evaluation */
    int64_t last_load_done; /* wall ms when it ended; 0: never */
    int64_t last_poll_done;
};

/* ---- api_outputs.c: the emitted records */
void *api_outputs_main(void *arg);
void api_outputs_free(struct api_outputs *o);
/* The snapshot of (target, period) in o, or NULL. */
const struct api_snap *api_snap_find(const struct api_outputs *o, const char *target, const char *period);
const struct api_series *api_series_find(const struct api_outputs *o, const char *target, const char *period);

/* ---- api_eval.c: the evaluated state */
void *api_eval_main(void *arg);
/* Takes a reference to the current generation (NULL: none yet). */
struct api_gen *api_gen_get(struct cqe_api *a);
/* api_gen_get for a request: NULL with rep set to a 503 while there is no generation. */
struct api_gen *api_gen_for_request(struct cqe_api *a, struct cqe_http_reply *rep);
void api_gen_put(struct cqe_api *a, struct api_gen *g);
/* The evaluation of period p on g, or NULL on ENOMEM: cached on g (borrowed while g is
 * held), or, when the cache is full, *owned is set and the caller api_period_free's it. */
struct api_period *api_gen_period(struct api_gen *g, const struct cqe_period *p, bool *owned);
void api_period_free(struct api_period *ap);

/* ---- api_loader.c: what both loaders share */
/* Connects the loader's handle when it has none. 0 or a negative rc with err set. */
int api_loader_connect(struct cqe_api *a, struct api_loader *l, struct cqe_err *err);
/* Records the outcome of a round (rc 0: success, clears the error; else drops the
 * handle so the next round reconnects). */
void api_loader_done(struct cqe_api *a, struct api_loader *l, int rc, const struct cqe_err *err);
/* Waits ms or until stopping; returns true when stopping. */
bool api_loader_sleep(struct cqe_api *a, int64_t ms);
int64_t api_wall_ms(void);
double api_mono_s(void);

/* ---- api_params.c: query parameters */
struct api_args {
    const char *target, *provider, *dept, *service, *indicator; /* borrowed from the request */
    struct cqe_period period;
    bool has_period, below_target;
    long long limit, offset;
};
/* Parses the request's query against the endpoint's allowed names (a NULL-ended list);
 * defaults: target "platform", period the current month, limit def_limit. Returns 0, or
 * -1 with rep set to a 400 naming the parameter and the fix. */
int api_args_parse(struct cqe_api *a, const struct cqe_http_request *req, const char *const *allowed,
                   long long def_limit, long long max_limit, struct api_args *out,
                   struct cqe_http_reply *rep);
/* The current periods: those holding the latest tick's as_of (else the wall clock). */
void api_current_periods(struct cqe_api *a, struct cqe_period out[3]);

/* ---- api_reply.c: replies */
/* Sets rep to the compact JSON of o (stolen reference; NULL: a 500). */
void api_reply_json(struct cqe_http_reply *rep, json_t *o);
/* 503 when the data endpoints cannot answer (Redis unreachable, first read not done):
 * returns true with rep set. */
bool api_unavailable(struct cqe_api *a, bool need_eval, struct cqe_http_reply *rep);
/* RFC 3339 of ms in the configured offset, as a new JSON string. */
json_t *api_time(const struct cqe_api *a, int64_t ms);

/* ---- api_tree.c */
/* The model's tree with the scores of a snapshot record (borrowed): a new reference. */
json_t *api_tree(const struct cqe_model *m, const json_t *record);

/* ---- api.c: the endpoints, documented by GET /api/v1 */
struct api_endpoint {
    const char *path;
    cqe_http_handler fn;
    const char *const *params; /* NULL-ended query parameter names */
    const char *doc;
    bool open; /* answered without the token */
};
extern const struct api_endpoint api_endpoints[];
extern const size_t api_n_endpoints;
/* The parameters of the endpoint at path (an empty list when unknown). */
const char *const *api_params_of(const char *path);

/* ---- handlers (api_routes.c, api_figures.c, api_health.c) */
void api_h_index(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);
void api_h_targets(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);
void api_h_snapshot(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);
void api_h_snapshots(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);
void api_h_history(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);
void api_h_alerts(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);
void api_h_services(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);
void api_h_depts(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);
void api_h_incidents(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);
void api_h_utilization(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);
/* ---- api_explain.c */
void api_h_explain(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);
void api_h_metrics(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);
void api_h_healthz(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);
void api_h_readyz(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);

#endif
