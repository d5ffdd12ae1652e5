/* The read-only HTTP JSON API of `cloudqe serve` (docs/api.md): what the output role
 * emitted (cqe:{out}:*) and an on-read evaluation of the merged state, each kept fresh by
 * its own loader thread, so a request never waits for Redis. */
#ifndef CQE_API_H
#define CQE_API_H

#include <stddef.h>

#include "config.h"
#include "err.h"
#include "http_server.h"
#include "model.h"

struct cqe_api_options {
    const struct cqe_config *cfg;  /* borrowed, outlives the API */
    const struct cqe_model *model; /* borrowed, outlives the API */
    struct cqe_redis_conf redis;   /* borrowed strings, outlive the API */
    int refresh_s;                 /* evaluation of the merged state at most this often; 0: 10 */
    int poll_ms;                   /* emitted records read this often; 0: 1000 */
};

struct cqe_api;

/* Starts the two loader threads (they connect to Redis themselves and keep retrying
 * while it is unreachable). Returns an owned API (cqe_api_stop) or NULL with err set. */
struct cqe_api *cqe_api_start(const struct cqe_api_options *o, struct cqe_err *err);

/* Stops the loaders and frees everything; the HTTP server using its routes must be
 * stopped first. NULL is a no-op. */
void cqe_api_stop(struct cqe_api *a);

/* Writes the API's routes (/api/v1..., /metrics, /healthz, /readyz) into routes (at most
 * cap) and returns how many it wrote; the caller may append its own before starting the
 * server. The routes' ctx is the API (borrowed). */
size_t cqe_api_routes(struct cqe_api *a, struct cqe_http_route *routes, size_t cap);

/* Tells /metrics which server's request counters to report (borrowed; NULL: none). */
void cqe_api_set_server(struct cqe_api *a, struct cqe_http_server *s);

#endif
