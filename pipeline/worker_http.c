/* The stream worker's endpoint (see worker_http.h): three routes on sinks/http_server.h.
 * /readyz trusts the worker's own Redis outcomes while they are fresh, else pings Redis
 * itself (its own handle, at most once a second), so the loop never waits on a probe. */
#include "worker_http.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "http_server.h"
#include "state_redis.h"

#define REDIS_FRESH_MS 3000  /* the worker's last Redis outcome is trusted this long */
#define PING_EVERY_MS 1000   /* pings of its own at most this often */
#define LOOP_STUCK_MS 120000 /* /healthz fails when the loop has not run for this long */

struct cqe_worker_http {
    struct cqe_http_server *srv;
    struct cqe_http_route routes[3];
    struct cqe_worker_metrics *m;
    struct cqe_redis_conf redis; /* borrowed strings; url maybe --state's */
    pthread_mutex_t ping_mu;     /* guards what follows */
    struct cqe_redis *ping;      /* connected at the first ping */
    int64_t ping_at_ms, ping_ok_ms, ping_fail_ms;
    char ping_err[512];
};

static void on_metrics(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    (void)req;
    struct cqe_worker_http *h = ctx;
    size_t len = 0;
    char *text = cqe_worker_metrics_text(h->m, &len);
    if (!text) {
        cqe_http_reply_error(rep, 500, "out of memory rendering the metrics");
        return;
    }
    rep->status = 200;
    rep->content_type = "text/plain; version=0.0.4; charset=utf-8";
    rep->body = text;
    rep->len = len;
}

static void on_healthz(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    (void)req;
    struct cqe_worker_http *h = ctx;
    int64_t age = cqe_worker_metrics_beat_age_ms(h->m);
    char text[128];
    int status = age < LOOP_STUCK_MS ? 200 : 503;
    if (status == 200)
        snprintf(text, sizeof text, "ok\n");
    else
        snprintf(text, sizeof text, "the worker loop has not run for %lld s\n", (long long)(age / 1000));
    cqe_http_reply_text(rep, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* One ping on the endpoint's own handle; ping_mu held. */
static void ping_now(struct cqe_worker_http *h, int64_t now)
{
    struct cqe_err err = {0};
    int rc = h->ping ? 0 : cqe_redis_connect(&h->redis, &h->ping, &err);
    if (!rc)
        rc = cqe_redis_ping(h->ping, CQE_REDIS_NS, &err);
    h->ping_at_ms = now;
    if (!rc) {
        h->ping_ok_ms = cqe_mono_ms();
        return;
    }
    h->ping_fail_ms = cqe_mono_ms();
    snprintf(h->ping_err, sizeof h->ping_err, "%s", err.msg);
}

/* Whether Redis answered last, of the worker's operations and the endpoint's pings;
 * else why not into why. */
static bool redis_answers(struct cqe_worker_http *h, const struct cqe_wm_view *v, char *why, size_t cap)
{
    if (v->redis_paused) { /* flushes fail now: whatever a ping says, nothing is applied */
        snprintf(why, cap, "redis unreachable: %s", v->redis.error[0] ? v->redis.error : "flushes fail");
        return false;
    }
    int64_t now = cqe_mono_ms();
    int64_t last = v->redis.ok_ms > v->redis.fail_ms ? v->redis.ok_ms : v->redis.fail_ms;
    pthread_mutex_lock(&h->ping_mu);
    if ((!last || now - last > REDIS_FRESH_MS) && (!h->ping_at_ms || now - h->ping_at_ms >= PING_EVERY_MS))
        ping_now(h, now);
    int64_t ok = v->redis.ok_ms > h->ping_ok_ms ? v->redis.ok_ms : h->ping_ok_ms;
    bool ping_failed_last = h->ping_fail_ms > v->redis.fail_ms;
    int64_t fail = ping_failed_last ? h->ping_fail_ms : v->redis.fail_ms;
    bool answers = ok && ok >= fail;
    if (!answers)
        snprintf(why, cap, "redis unreachable: %s",
                 !fail              ? "not connected yet"
                 : ping_failed_last ? h->ping_err
                                    : v->redis.error);
    pthread_mutex_unlock(&h->ping_mu);
    return answers;
}

static void on_readyz(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    (void)req;
    struct cqe_worker_http *h = ctx;
    struct cqe_wm_view v;
    cqe_worker_metrics_read(h->m, &v);
    char text[1200], redis_why[1000] = "";
    size_t used = 0;
    text[0] = 0;
    if (v.phase == CQE_WM_STOPPING)
        used += (size_t)snprintf(text + used, sizeof text - used, "; stopping");
    if (v.held <= 0)
        used += (size_t)snprintf(text + used, sizeof text - used, "; no partitions assigned");
    if (!redis_answers(h, &v, redis_why, sizeof redis_why))
        snprintf(text + used, sizeof text - used, "; %s", redis_why);
    cqe_wm_view_fini(&v);
    char out[1300];
    if (text[0])
        snprintf(out, sizeof out, "not ready: %s\n", text + 2);
    else
        snprintf(out, sizeof out, "ready\n");
    cqe_http_reply_text(rep, text[0] ? 503 : 200, "text/plain; charset=utf-8", out, strlen(out));
}

int cqe_worker_http_start(const struct cqe_worker_http_conf *c, struct cqe_worker_http **out,
                          struct cqe_err *err)
{
    struct cqe_worker_http *h = calloc(1, sizeof *h);
    *out = NULL;
    if (!h)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    pthread_mutex_init(&h->ping_mu, NULL);
    h->m = c->metrics;
    h->redis = *c->redis;
    if (c->state_url)
        h->redis.url = (char *)c->state_url;
    h->routes[0] = (struct cqe_http_route){"/metrics", on_metrics, h, false};
    h->routes[1] = (struct cqe_http_route){"/healthz", on_healthz, h, true};
    h->routes[2] = (struct cqe_http_route){"/readyz", on_readyz, h, true};
    struct cqe_http_options o = {.listen = c->listen, .token = c->token, .threads = 2};
    if (!(h->srv = cqe_http_start(&o, h->routes, 3, err))) {
        int rc = err->code < 0 ? err->code : CQE_EIO;
        if (rc == CQE_EUNAVAIL) {
            size_t n = strlen(err->msg);
            snprintf(err->msg + n, sizeof err->msg - n, ", or --listen off to run without the endpoint");
        }
        pthread_mutex_destroy(&h->ping_mu);
        free(h);
        return rc;
    }
    *out = h;
    return 0;
}

int cqe_worker_http_port(const struct cqe_worker_http *h)
{
    return cqe_http_port(h->srv);
}

void cqe_worker_http_stop(struct cqe_worker_http *h)
{
    if (!h)
        return;
    cqe_http_stop(h->srv); /* no handler runs after this */
    cqe_redis_free(h->ping);
    pthread_mutex_destroy(&h->ping_mu);
    free(h);
}
