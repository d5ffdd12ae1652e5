/* What the API's two loader threads share: their own Redis handle (a handle serves one
 * thread), connected lazily and dropped after an error so the next round reconnects, the
 * error /readyz reports, and a sleep that ends at once when the API stops. */
#include "api_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* How long one command keeps retrying a Redis that went away before the round fails:
 * short, so /readyz reports an outage within about a poll. */
#define API_REDIS_RETRY_MS 1500

int64_t api_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double api_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int api_loader_connect(struct cqe_api *a, struct api_loader *l, struct cqe_err *err)
{
    if (l->r)
        return 0;
    int rc = cqe_redis_connect(&a->o.redis, &l->r, err);
    if (rc)
        return rc;
    cqe_redis_set_retry(l->r, API_REDIS_RETRY_MS);
    return 0;
}

void api_loader_done(struct cqe_api *a, struct api_loader *l, int rc, const struct cqe_err *err)
{
    if (rc) {
        cqe_redis_free(l->r);
        l->r = NULL;
    }
    pthread_mutex_lock(&a->lock);
    if (rc) {
        bool first = !l->err[0] || strstr(l->err, "is not done");
        snprintf(l->err, sizeof l->err, "%s", err && err->msg[0] ? err->msg : cqe_strerror(rc));
        l->failed = true;
        a->redis_errors++;
        if (first)
            fprintf(stderr, "serve: Redis: %s (retrying; the API answers 503 meanwhile)\n", l->err);
    } else if (l->err[0]) {
        if (!strstr(l->err, "is not done"))
            fprintf(stderr, "serve: Redis answers again\n");
        l->err[0] = 0;
        l->failed = false;
    }
    pthread_mutex_unlock(&a->lock);
}

bool api_loader_sleep(struct cqe_api *a, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&a->lock);
    while (!a->stopping && pthread_cond_timedwait(&a->wake, &a->lock, &until) != ETIMEDOUT)
        ;
    bool stop = a->stopping;
    pthread_mutex_unlock(&a->lock);
    return stop;
}
