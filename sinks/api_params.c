/* Query parameters of the API: only the endpoint's own names, each at most once, each
 * checked; a refusal is a 400 naming the parameter and the fix. */
#include "api_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshots.h"

void api_current_periods(struct cqe_api *a, struct cqe_period out[3])
{
    pthread_mutex_lock(&a->lock);
    int64_t at = a->out.latest_as_of > 0 ? a->out.latest_as_of : api_wall_ms();
    pthread_mutex_unlock(&a->lock);
    cqe_default_periods(at, a->o.cfg->utc_offset_min, out);
}

struct walk {
    const char *const *allowed;
    const char *path;
    const char *seen[16];
    size_t n_seen;
    char msg[512];
};

static int check_name(void *ud, const char *name, const char *value)
{
    (void)value;
    struct walk *w = ud;
    bool known = false;
    for (size_t i = 0; w->allowed[i]; i++)
        known |= !strcmp(w->allowed[i], name);
    if (!known) {
        size_t at =
            (size_t)snprintf(w->msg, sizeof w->msg, "unknown parameter '%.64s': %s takes ", name, w->path);
        if (!w->allowed[0])
            snprintf(w->msg + at, sizeof w->msg - at, "no parameters");
        for (size_t i = 0; w->allowed[i] && at < sizeof w->msg; i++)
            at += (size_t)snprintf(w->msg + at, sizeof w->msg - at, "%s%s", i ? ", " : "", w->allowed[i]);
        return 1;
    }
    for (size_t i = 0; i < w->n_seen; i++)
        if (!strcmp(w->seen[i], name)) {
            snprintf(w->msg, sizeof w->msg, "parameter '%s' given twice: give it once", name);
            return 1;
        }
    if (w->n_seen < 16)
        w->seen[w->n_seen++] = name;
    return 0;
}

static int parse_count(const char *name, const char *v, long long lo, long long hi, long long *out,
                       struct cqe_http_reply *rep)
{
    char *end = NULL;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi) {
        cqe_http_reply_error(rep, 400, "%s '%.64s': give a whole number from %lld to %lld", name, v, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

/* A non-empty identifier, or a 400. */
static int ident(const char *name, const char *v, const char **out, struct cqe_http_reply *rep)
{
    if (!v)
        return 0;
    if (!*v) {
        cqe_http_reply_error(
            rep, 400, "%s is empty: give an id (GET /api/v1/targets lists them) or leave it out", name);
        return -1;
    }
    *out = v;
    return 0;
}

int api_args_parse(struct cqe_api *a, const struct cqe_http_request *req, const char *const *allowed,
                   long long def_limit, long long max_limit, struct api_args *out, struct cqe_http_reply *rep)
{
    memset(out, 0, sizeof *out);
    struct walk w = {.allowed = allowed, .path = cqe_http_path(req)};
    if (cqe_http_args_each(req, check_name, &w)) {
        cqe_http_reply_error(rep, 400, "%s", w.msg);
        return -1;
    }
    out->target = "platform";
    out->limit = def_limit;
    const char *v;
    if (ident("target", cqe_http_arg(req, "target"), &out->target, rep) ||
        ident("provider", cqe_http_arg(req, "provider"), &out->provider, rep) ||
        ident("dept", cqe_http_arg(req, "dept"), &out->dept, rep) ||
        ident("service", cqe_http_arg(req, "service"), &out->service, rep) ||
        ident("indicator", cqe_http_arg(req, "indicator"), &out->indicator, rep))
        return -1;
    if ((v = cqe_http_arg(req, "period"))) {
        if (cqe_period_parse(v, a->o.cfg->utc_offset_min, &out->period)) {
            cqe_http_reply_error(
                rep, 400, "period '%.64s': use a year (2026), a quarter (2026-Q1) or a month (2026-03)", v);
            return -1;
        }
        out->has_period = true;
    } else {
        struct cqe_period cur[3];
        api_current_periods(a, cur);
        out->period = cur[0];
    }
    if ((v = cqe_http_arg(req, "below_target"))) {
        if (strcmp(v, "true") && strcmp(v, "false")) {
            cqe_http_reply_error(rep, 400, "below_target '%.64s': use true or false", v);
            return -1;
        }
        out->below_target = !strcmp(v, "true");
    }
    if ((v = cqe_http_arg(req, "limit")) && parse_count("limit", v, 1, max_limit, &out->limit, rep))
        return -1;
    if ((v = cqe_http_arg(req, "offset")) && parse_count("offset", v, 0, 1000000000, &out->offset, rep))
        return -1;
    return 0;
}
