/* The HTTP server of http_server.h on libmicrohttpd: the listening socket is bound here
 * (so errors name the address and errno, and port 0 works), then handed to the library,
 * which runs a pool of threads and enforces the request-size and connection limits. */
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "json_out.h"

#define RATE_SLOTS 256

struct rate_slot {
    unsigned char addr[16]; /* IPv4 in the first 4 bytes, or IPv6 */
    int family;
    double tokens;
    double at; /* monotonic seconds of the last refill */
};

struct cqe_http_server {
    struct MHD_Daemon *daemon;
    const struct cqe_http_route *routes;
    size_t n_routes;
    char *token;
    int port;
    double rate, burst;
    pthread_mutex_t lock; /* guards stats and the rate slots */
    struct cqe_http_stats stats;
    struct rate_slot slots[RATE_SLOTS];
};

struct cqe_http_request {
    struct MHD_Connection *conn;
    const char *path;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Splits "HOST:PORT", "[V6]:PORT" or ":PORT" into host (default 127.0.0.1) and port. */
static int split_listen(const char *addr, char *host, size_t hostsz, char *port, size_t portsz)
{
    const char *colon;
    if (!addr || !*addr)
        return -1;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':' || (size_t)(close - addr - 1) >= hostsz)
            return -1;
        memcpy(host, addr + 1, (size_t)(close - addr - 1));
        host[close - addr - 1] = 0;
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || (size_t)(colon - addr) >= hostsz)
            return -1;
        if (colon == addr)
            snprintf(host, hostsz, "127.0.0.1");
        else {
            memcpy(host, addr, (size_t)(colon - addr));
            host[colon - addr] = 0;
        }
    }
    if (!colon[1] || strlen(colon + 1) >= portsz || strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return -1;
    if (strtol(colon + 1, NULL, 10) > 65535)
        return -1;
    snprintf(port, portsz, "%s", colon + 1);
    return 0;
}

bool cqe_http_listen_is_loopback(const char *addr)
{
    char host[256], port[16];
    if (split_listen(addr, host, sizeof host, port, sizeof port))
        return false;
    if (!strcmp(host, "localhost") || !strcmp(host, "::1"))
        return true;
    struct in_addr a;
    return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* The symbolic name of the errors binding meets most, for messages ("" for others). */
static const char *errno_name(int e)
{
    switch (e) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    default: return "";
    }
}

/* Returns a listening socket bound to addr, or a negative cqe_rc with err set. */
static int bind_listen(const char *addr, int *port_out, struct cqe_err *err)
{
    char host[256], port[16];
    if (split_listen(addr, host, sizeof host, port, sizeof port))
        return cqe_err_set(err, CQE_EINVAL,
                           "--listen '%s': expected HOST:PORT (127.0.0.1:8080, [::1]:8080 or :8080)",
                           addr ? addr : "");
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai)
        return cqe_err_set(err, CQE_EINVAL, "--listen '%s': cannot resolve '%s': %s", addr, host,
                           gai_strerror(gai));
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return cqe_err_set(err, CQE_EUNAVAIL,
                           "--listen %s: cannot listen: %s (errno %d%s%s): choose another port, or :0 for "
                           "a free one",
                           addr, strerror(saved), saved, errno_name(saved)[0] ? ", " : "", errno_name(saved));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    *port_out = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

const char *cqe_http_path(const struct cqe_http_request *req)
{
    return req->path;
}

const char *cqe_http_arg(const struct cqe_http_request *req, const char *name)
{
    const char *v = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
    if (v)
        return v;
    /* "?x" (no '=') is a parameter without a value: the library reports it as NULL */
    return MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), NULL, NULL) ==
                   MHD_YES
               ? ""
               : NULL;
}

struct args_walk {
    int (*fn)(void *ud, const char *name, const char *value);
    void *ud;
    int answer;
};

static enum MHD_Result arg_visit(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct args_walk *w = cls;
    w->answer = w->fn(w->ud, key, value ? value : "");
    return w->answer ? MHD_NO : MHD_YES;
}

int cqe_http_args_each(const struct cqe_http_request *req,
                       int (*fn)(void *ud, const char *name, const char *value), void *ud)
{
    struct args_walk w = {fn, ud, 0};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, arg_visit, &w);
    return w.answer;
}

const char *cqe_http_header(const struct cqe_http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void cqe_http_reply_text(struct cqe_http_reply *rep, int status, const char *ctype, const char *text,
                         size_t len)
{
    free(rep->body);
    rep->body = malloc(len ? len : 1);
    rep->len = rep->body ? len : 0;
    if (rep->body && len)
        memcpy(rep->body, text, len);
    rep->static_body = NULL;
    rep->status = rep->body ? status : 500;
    rep->content_type = ctype;
}

void cqe_http_reply_error(struct cqe_http_reply *rep, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *o = json_pack("{s:{s:i,s:s}}", "error", "status", status, "message", msg);
    char *text = o ? cqe_json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (text)
        cqe_http_reply_text(rep, status, "application/json", text, strlen(text));
    else
        cqe_http_reply_text(rep, status, "text/plain; charset=utf-8", msg, strlen(msg));
    free(text);
}

static void count(struct cqe_http_server *s, int status)
{
    pthread_mutex_lock(&s->lock);
    s->stats.requests++;
    int cls = status / 100;
    s->stats.by_status[cls >= 1 && cls <= 5 ? cls : 0]++;
    if (status == 401)
        s->stats.unauthorized++;
    if (status == 429)
        s->stats.rate_limited++;
    pthread_mutex_unlock(&s->lock);
}

void cqe_http_stats_get(struct cqe_http_server *s, struct cqe_http_stats *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->stats;
    pthread_mutex_unlock(&s->lock);
}

/* A token bucket per client address, in a fixed table: a new address takes the slot its
 * hash names, so memory stays bounded whatever the number of clients. */
static bool rate_allows(struct cqe_http_server *s, struct MHD_Connection *conn)
{
    if (s->rate <= 0)
        return true;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return true;
    unsigned char addr[16] = {0};
    int family = ci->client_addr->sa_family;
    if (family == AF_INET)
        memcpy(addr, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, 4);
    else if (family == AF_INET6)
        memcpy(addr, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, 16);
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ addr[i]) * 16777619u;
    double t = now_s();
    pthread_mutex_lock(&s->lock);
    struct rate_slot *slot = &s->slots[h % RATE_SLOTS];
    if (slot->family != family || memcmp(slot->addr, addr, 16)) {
        slot->family = family;
        memcpy(slot->addr, addr, 16);
        slot->tokens = s->burst;
        slot->at = t;
    }
    slot->tokens += (t - slot->at) * s->rate;
    if (slot->tokens > s->burst)
        slot->tokens = s->burst;
    slot->at = t;
    bool ok = slot->tokens >= 1.0;
    if (ok)
        slot->tokens -= 1.0;
    pthread_mutex_unlock(&s->lock);
    return ok;
}

/* Constant-time comparison of the Authorization header with "Bearer <token>". */
static bool authorized(const struct cqe_http_server *s, struct MHD_Connection *conn)
{
    if (!s->token)
        return true;
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7)) /* the scheme is case-insensitive (RFC 7235) */
        return false;
    h += 7;
    size_t n = strlen(s->token), m = strlen(h);
    unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(s->token[i] ^ (i < m ? h[i] : 0));
    return diff == 0;
}

static const struct cqe_http_route *find_route(const struct cqe_http_server *s, const char *path)
{
    for (size_t i = 0; i < s->n_routes; i++) {
        const char *p = s->routes[i].path;
        size_t n = strlen(p);
        if (n && p[n - 1] == '/' && n > 1 ? !strncmp(path, p, n) : !strcmp(path, p))
            return &s->routes[i];
    }
    return NULL;
}

static enum MHD_Result send_reply(struct cqe_http_server *s, struct MHD_Connection *conn,
                                  struct cqe_http_reply *rep)
{
    struct MHD_Response *r;
    if (rep->static_body)
        r = MHD_create_response_from_buffer(rep->len, (void *)rep->static_body, MHD_RESPMEM_PERSISTENT);
    else {
        r = MHD_create_response_from_buffer(rep->len, rep->body ? rep->body : (void *)"",
                                            MHD_RESPMEM_MUST_FREE);
        if (r || !rep->body)
            rep->body = NULL; /* the library frees it now (MUST_FREE), or there was none */
    }
    free(rep->body);
    if (!r)
        return MHD_NO;
    int status = rep->status ? rep->status : 200;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            rep->content_type ? rep->content_type : "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, rep->cache ? rep->cache : "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"cloudqe\"");
    if (status == 429)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (status == 405)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    count(s, status);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size,
                                  void **con_cls)
{
    (void)version;
    (void)upload;
    struct cqe_http_server *s = cls;
    struct cqe_http_reply rep = {0};
    if (!*con_cls) { /* first call: headers only; answer on the next one (or now, below) */
        *con_cls = s;
        if (!strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD))
            return MHD_YES;
    }
    if (*upload_size) { /* a read-only server takes no bodies */
        *upload_size = 0;
        cqe_http_reply_error(&rep, 413, "this server is read-only: requests carry no body");
        return send_reply(s, conn, &rep);
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
        cqe_http_reply_error(&rep, 405, "method %s not allowed: this server is read-only (GET, HEAD)",
                             method);
        return send_reply(s, conn, &rep);
    }
    if (!rate_allows(s, conn)) {
        cqe_http_reply_error(
            &rep, 429, "too many requests from this address: slow down (limit %.0f per second)", s->rate);
        return send_reply(s, conn, &rep);
    }
    const struct cqe_http_route *route = find_route(s, url);
    if (route && !route->open && !authorized(s, conn)) {
        cqe_http_reply_error(&rep, 401,
                             "missing or wrong bearer token: send 'Authorization: Bearer <token>'");
        return send_reply(s, conn, &rep);
    }
    if (!route) {
        if (!authorized(s, conn))
            cqe_http_reply_error(&rep, 401,
                                 "missing or wrong bearer token: send 'Authorization: Bearer <token>'");
        else
            cqe_http_reply_error(&rep, 404, "no such path: %s (GET /api/v1 lists the API)", url);
        return send_reply(s, conn, &rep);
    }
    struct cqe_http_request req = {conn, url};
    route->handler(route->ctx, &req, &rep);
    return send_reply(s, conn, &rep);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    (void)fmt;
    (void)ap; /* the library's own messages (client resets, timeouts) are not ours to print */
}

struct cqe_http_server *cqe_http_start(const struct cqe_http_options *opt,
                                       const struct cqe_http_route *routes, size_t n_routes,
                                       struct cqe_err *err)
{
    const char *token = opt->token && *opt->token ? opt->token : NULL;
    if (!token && !cqe_http_listen_is_loopback(opt->listen ? opt->listen : "")) {
        char host[256], port[16];
        if (split_listen(opt->listen, host, sizeof host, port, sizeof port) == 0) {
            cqe_err_set(err, CQE_ECONFIG,
                        "--listen %s is not a loopback address: give a bearer token (--token-file FILE or "
                        "CLOUDQE_TOKEN), or listen on 127.0.0.1",
                        opt->listen);
            return NULL;
        }
    }
    struct cqe_http_server *s = calloc(1, sizeof *s);
    if (!s) {
        cqe_err_set(err, CQE_ENOMEM, "out of memory starting the HTTP server");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->routes = routes;
    s->n_routes = n_routes;
    s->rate = opt->rate_per_s;
    s->burst = opt->rate_burst ? opt->rate_burst : 2.0 * opt->rate_per_s;
    if (token && !(s->token = strdup(token))) {
        cqe_err_set(err, CQE_ENOMEM, "out of memory starting the HTTP server");
        goto fail;
    }
    int fd = bind_listen(opt->listen, &s->port, err);
    if (fd < 0)
        goto fail;
    unsigned limit = opt->max_request_bytes ? opt->max_request_bytes : 16384;
    s->daemon =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                         on_request, s, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
                         (unsigned)(opt->threads ? opt->threads : 2), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                         (size_t)limit, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
                         MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned)30, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
    if (!s->daemon) {
        close(fd);
        cqe_err_set(err, CQE_EUNAVAIL, "--listen %s: the HTTP library could not start its threads",
                    opt->listen);
        goto fail;
    }
    return s;
fail:
    pthread_mutex_destroy(&s->lock);
    free(s->token);
    free(s);
    return NULL;
}

void cqe_http_stop(struct cqe_http_server *s)
{
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon); /* closes the listening socket too */
    pthread_mutex_destroy(&s->lock);
    free(s->token);
    free(s);
}

int cqe_http_port(const struct cqe_http_server *s)
{
    return s->port;
}
