/* The stream worker's own HTTP endpoint (`cloudqe run --listen`): /metrics (Prometheus
 * text, bearer token when one is set), /healthz and /readyz (open), served on the HTTP
 * library's threads from the published counters of worker_metrics.h. */
#ifndef CQE_WORKER_HTTP_H
#define CQE_WORKER_HTTP_H

#include "config.h"
#include "err.h"
#include "worker_metrics.h"

#define CQE_WORKER_LISTEN_DEFAULT "127.0.0.1:9464"

struct cqe_worker_http_conf {
    const char *listen;                 /* "HOST:PORT", "[V6]:PORT" or ":PORT"; port 0 picks one */
    const char *token;                  /* bearer token for /metrics; NULL = none (loopback only) */
    const struct cqe_redis_conf *redis; /* borrowed, outlives the endpoint: for readiness pings */
    const char *state_url;              /* NULL = redis->url */
    struct cqe_worker_metrics *metrics; /* borrowed, outlives the endpoint */
};

struct cqe_worker_http;

/* Binds and starts serving. A busy port or an address that cannot be bound is an error
 * naming the address, the errno and the fixes; off loopback without a token is refused
 * (CQE_ECONFIG). On success *out is owned by the caller (cqe_worker_http_stop).
 * Returns 0 or a negative rc with err set. */
int cqe_worker_http_start(const struct cqe_worker_http_conf *c, struct cqe_worker_http **out,
                          struct cqe_err *err);

/* The port bound (after ":0", the one picked). */
int cqe_worker_http_port(const struct cqe_worker_http *h);

/* Stops serving (requests in flight finish) and frees h. NULL is a no-op. */
void cqe_worker_http_stop(struct cqe_worker_http *h);

#endif
