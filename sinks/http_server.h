/* A small read-only HTTP server on libmicrohttpd: exact or prefix routes to GET handlers,
 * an optional bearer token, per-client rate limits and request-size limits. Used by
 * `cloudqe serve` (the API and the page) and by every `cloudqe run` (/metrics, /healthz). */
#ifndef CQE_HTTP_SERVER_H
#define CQE_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct cqe_http_server;
struct cqe_http_request; /* opaque: valid only during a handler call */

/* What a handler answers. The server sends it after the handler returns. */
struct cqe_http_reply {
    int status;               /* HTTP status; 200 when left 0 */
    const char *content_type; /* static string; "application/json" when NULL */
    char *body;               /* malloc'ed body, owned by the reply (the server frees it) */
    size_t len;               /* bytes of body, or of static_body */
    const char *static_body;  /* or a body that outlives the server (embedded assets) */
    const char *cache;        /* Cache-Control value; "no-store" when NULL */
};

/* Called on one of the server's threads, possibly several at once: a handler must be
 * thread-safe. ctx is the route's ctx (borrowed). */
typedef void (*cqe_http_handler)(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep);

struct cqe_http_route {
    const char *path; /* "/api/v1/targets"; ending in '/' it is a prefix ("/assets/") */
    cqe_http_handler handler;
    void *ctx;
    bool open; /* answered without the token (/healthz, /readyz, the page's files) */
};

struct cqe_http_options {
    const char *listen;         /* "HOST:PORT", "[V6]:PORT" or ":PORT" (127.0.0.1); port 0 picks one */
    const char *token;          /* bearer token; NULL: none (allowed only on a loopback address) */
    unsigned max_request_bytes; /* request line + headers; 0: 16384. Larger: 431 or 414 */
    unsigned rate_per_s;        /* requests per second per client address; 0: unlimited */
    unsigned rate_burst;        /* bucket size; 0: 2 x rate_per_s */
    unsigned threads;           /* 0: 2 */
};

/* Binds, starts the server's threads and returns it, or NULL with err set (the address
 * and errno named). Binding to a non-loopback address without a token is refused
 * (CQE_ECONFIG). routes is borrowed and must outlive the server. Owned: cqe_http_stop. */
struct cqe_http_server *cqe_http_start(const struct cqe_http_options *opt,
                                       const struct cqe_http_route *routes, size_t n_routes,
                                       struct cqe_err *err);

/* Stops accepting, finishes requests in flight, frees everything. NULL is a no-op. */
void cqe_http_stop(struct cqe_http_server *s);

/* The port actually bound (useful after ":0"). */
int cqe_http_port(const struct cqe_http_server *s);

/* True when the address of opt->listen is a loopback one (127/8, ::1, localhost). */
bool cqe_http_listen_is_loopback(const char *listen);

/* The request's path, without the query string (borrowed, valid during the call). */
const char *cqe_http_path(const struct cqe_http_request *req);

/* The value of query parameter name (borrowed), or NULL. A parameter given without a
 * value ("?x") is "". */
const char *cqe_http_arg(const struct cqe_http_request *req, const char *name);

/* Calls fn for every query parameter in order (repeated ones included); stops and
 * returns fn's first non-zero answer. */
int cqe_http_args_each(const struct cqe_http_request *req,
                       int (*fn)(void *ud, const char *name, const char *value), void *ud);

/* The value of request header name, or NULL (borrowed). */
const char *cqe_http_header(const struct cqe_http_request *req, const char *name);

/* Sets rep to a JSON error {"error": {"status": status, "message": msg}}. */
void cqe_http_reply_error(struct cqe_http_reply *rep, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets rep to the text (copied), with content type ctype (static). */
void cqe_http_reply_text(struct cqe_http_reply *rep, int status, const char *ctype, const char *text,
                         size_t len);

/* Requests answered so far, by status class, for the server's own metrics. */
struct cqe_http_stats {
    uint64_t requests;     /* every request answered */
    uint64_t by_status[6]; /* [0] other, [1] 1xx ... [5] 5xx */
    uint64_t unauthorized; /* 401 */
    uint64_t rate_limited; /* 429 */
};

/* Copies the counters (thread-safe). */
void cqe_http_stats_get(struct cqe_http_server *s, struct cqe_http_stats *out);

#endif
