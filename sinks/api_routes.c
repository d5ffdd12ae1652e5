/* The endpoints over what the output role emitted: the index, targets and periods, the
 * latest snapshot (with the model's tree), the snapshots of a period, a snapshot's
 * history and the alerts. They copy what they need under the lock, then build JSON. */
#include "api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"

void api_h_index(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    struct api_args args;
    if (api_args_parse(ctx, req, api_params_of(cqe_http_path(req)), 0, 0, &args, rep))
        return;
    json_t *eps = json_array();
    for (size_t i = 0; i < api_n_endpoints; i++) {
        const struct api_endpoint *e = &api_endpoints[i];
        json_t *ps = json_array();
        for (size_t j = 0; e->params[j]; j++)
            json_array_append_new(ps, json_string(e->params[j]));
        json_array_append_new(eps, json_pack("{s:s,s:o,s:s,s:b}", "path", e->path, "params", ps, "doc",
                                             e->doc, "token", !e->open));
    }
    api_reply_json(rep, json_pack("{s:s,s:o}", "version", API_VERSION, "endpoints", eps));
}

/* The distinct targets of the snapshots, platform first, and a short list for messages. */
struct known {
    char **v; /* owned */
    size_t n;
};

static void known_free(struct known *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->v[i]);
    free(k->v);
    k->v = NULL;
    k->n = 0;
}

/* Under the lock. */
static int known_targets(const struct api_outputs *o, struct known *k)
{
    k->n = 0;
    if (!(k->v = calloc(o->n_snaps + 1, sizeof *k->v)))
        return CQE_ENOMEM;
    bool platform = false;
    for (size_t i = 0; i < o->n_snaps; i++) {
        const char *t = o->snaps[i].target;
        if (!strcmp(t, "platform"))
            platform = true;
        else if ((!k->n || strcmp(k->v[k->n - 1], t)) && !(k->v[k->n++] = strdup(t)))
            return CQE_ENOMEM;
    }
    if (platform) {
        memmove(&k->v[1], &k->v[0], k->n * sizeof *k->v);
        k->n++;
        if (!(k->v[0] = strdup("platform")))
            return CQE_ENOMEM;
    }
    return 0;
}

static bool known_has(const struct known *k, const char *t)
{
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->v[i], t))
            return true;
    return false;
}

/* 404 for a target no snapshot names, listing the known ones (up to 20). */
static void unknown_target(struct cqe_http_reply *rep, const struct known *k, const char *target)
{
    char list[300] = "";
    size_t at = 0;
    for (size_t i = 0; i < k->n && i < 20 && at < sizeof list; i++)
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "", k->v[i]);
    if (k->n > 20 && at < sizeof list)
        snprintf(list + at, sizeof list - at, ", ...");
    cqe_http_reply_error(rep, 404,
                         "unknown target '%.64s': known targets are %s (GET /api/v1/targets lists them)",
                         target, k->n ? list : "none yet (no snapshot was emitted)");
}

/* Copies the record text of (target, period), or answers 404 (unknown target, or no
 * snapshot of that period). Returns the text (owned) or NULL with rep set. */
static char *snap_text(struct cqe_api *a, const char *target, const char *period, struct cqe_http_reply *rep)
{
    struct known k = {0};
    char *text = NULL;
    pthread_mutex_lock(&a->lock);
    const struct api_snap *s = api_snap_find(&a->out, target, period);
    int rc = s ? ((text = strdup(s->text)) ? 0 : CQE_ENOMEM) : known_targets(&a->out, &k);
    pthread_mutex_unlock(&a->lock);
    if (rc)
        cqe_http_reply_error(rep, 500, "out of memory");
    else if (!s && !known_has(&k, target))
        unknown_target(rep, &k, target);
    else if (!s)
        cqe_http_reply_error(
            rep, 404,
            "no snapshot of %.64s for period %s: GET /api/v1/targets lists the periods that have one", target,
            period);
    known_free(&k);
    return text;
}

static int period_order(const void *x, const void *y)
{
    const struct cqe_period *p = x, *q = y;
    if (p->end_ms != q->end_ms)
        return p->end_ms > q->end_ms ? -1 : 1;
    return (int)p->kind - (int)q->kind;
}

void api_h_targets(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    struct cqe_api *a = ctx;
    struct api_args args;
    if (api_args_parse(a, req, api_params_of(cqe_http_path(req)), 0, 0, &args, rep) ||
        api_unavailable(a, false, rep))
        return;
    struct known k = {0};
    struct cqe_period *ps = NULL;
    size_t n_ps = 0;
    pthread_mutex_lock(&a->lock);
    int64_t latest = a->out.latest_as_of;
    int rc = known_targets(&a->out, &k);
    if (!rc && !(ps = calloc(a->out.n_snaps + 1, sizeof *ps)))
        rc = CQE_ENOMEM;
    for (size_t i = 0; !rc && i < a->out.n_snaps; i++) {
        struct cqe_period p;
        if (cqe_period_parse(a->out.snaps[i].period, a->o.cfg->utc_offset_min, &p))
            continue;
        bool dup = false;
        for (size_t j = 0; j < n_ps && !dup; j++)
            dup = !strcmp(ps[j].id, p.id);
        if (!dup)
            ps[n_ps++] = p;
    }
    pthread_mutex_unlock(&a->lock);
    if (rc) {
        cqe_http_reply_error(rep, 500, "out of memory");
        goto out;
    }
    qsort(ps, n_ps, sizeof *ps, period_order);
    json_t *targets = json_array(), *periods = json_array();
    for (size_t i = 0; i < k.n; i++) {
        bool platform = !strcmp(k.v[i], "platform");
        json_array_append_new(targets, json_pack("{s:s,s:s,s:s}", "target", k.v[i], "kind",
                                                 platform ? "platform" : "provider", "name", k.v[i]));
    }
    for (size_t i = 0; i < n_ps; i++)
        json_array_append_new(periods, json_pack("{s:s,s:s}", "period", ps[i].id, "period_kind",
                                                 cqe_period_kind_name(ps[i].kind)));
    struct cqe_period cur[3];
    api_current_periods(a, cur);
    api_reply_json(rep, json_pack("{s:o,s:o,s:o,s:{s:s,s:s,s:s}}", "as_of",
                                  latest ? api_time(a, latest) : json_null(), "targets", targets, "periods",
                                  periods, "current", "month", cur[0].id, "quarter", cur[1].id, "year",
                                  cur[2].id));
out:
    known_free(&k);
    free(ps);
}

void api_h_snapshot(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    struct cqe_api *a = ctx;
    struct api_args args;
    if (api_args_parse(a, req, api_params_of(cqe_http_path(req)), 0, 0, &args, rep) ||
        api_unavailable(a, false, rep))
        return;
    char *text = snap_text(a, args.target, args.period.id, rep);
    if (!text)
        return;
    json_t *rec = json_loads(text, 0, NULL);
    free(text);
    if (rec)
        json_object_set_new(rec, "tree", api_tree(a->o.model, rec));
    api_reply_json(rep, rec);
}

void api_h_snapshots(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    struct cqe_api *a = ctx;
    struct api_args args;
    if (api_args_parse(a, req, api_params_of(cqe_http_path(req)), 0, 0, &args, rep) ||
        api_unavailable(a, false, rep))
        return;
    json_t *list = json_array();
    pthread_mutex_lock(&a->lock);
    const struct api_snap *plat = api_snap_find(&a->out, "platform", args.period.id);
    if (plat)
        json_array_append_new(list, json_loads(plat->text, 0, NULL));
    for (size_t i = 0; i < a->out.n_snaps; i++) {
        const struct api_snap *s = &a->out.snaps[i];
        if (s != plat && !strcmp(s->period, args.period.id))
            json_array_append_new(list, json_loads(s->text, 0, NULL));
    }
    pthread_mutex_unlock(&a->lock);
    api_reply_json(rep, json_pack("{s:s,s:o}", "period", args.period.id, "snapshots", list));
}

static json_t *point_json(const struct cqe_api *a, const struct api_point *p)
{
    return json_pack("{s:o,s:I,s:o,s:o,s:o,s:o,s:o}", "as_of", api_time(a, p->as_of), "revision",
                     (json_int_t)p->revision, "score", cqe_json_opt(p->score), "grade",
                     p->grade[0] ? json_string(p->grade) : json_null(), "availability",
                     cqe_json_opt(p->availability), "cpu_mean", cqe_json_opt(p->cpu_mean), "mem_mean",
                     cqe_json_opt(p->mem_mean));
}

/* The months of a quarter or a year, from each month's latest snapshot. Under the lock. */
static json_t *months_json(const struct api_outputs *o, const char *target, const struct cqe_period *p)
{
    json_t *months = json_array();
    int64_t first;
    int count;
    cqe_period_months(p, &first, &count);
    for (int i = 0; i < count; i++) {
        char id[32];
        int64_t m = first + i;
        snprintf(id, sizeof id, "%04lld-%02d", (long long)(m / 12), (int)(m % 12) + 1);
        const struct api_snap *s = api_snap_find(o, target, id);
        json_t *rec = s ? json_loads(s->text, 0, NULL) : NULL;
        if (!rec)
            continue;
        const json_t *fig = json_object_get(rec, "figures");
        json_t *row =
            json_pack("{s:s,s:O,s:O,s:O,s:O}", "period", id, "score", json_object_get(rec, "score"),
                      "availability", json_object_get(fig, "availability"), "cpu_mean",
                      json_object_get(fig, "cpu_mean"), "mem_mean", json_object_get(fig, "mem_mean"));
        json_array_append_new(months, row ? row : json_pack("{s:s}", "period", id));
        json_decref(rec);
    }
    return months;
}

void api_h_history(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    struct cqe_api *a = ctx;
    struct api_args args;
    if (api_args_parse(a, req, api_params_of(cqe_http_path(req)), 0, 0, &args, rep) ||
        api_unavailable(a, false, rep))
        return;
    char *text = snap_text(a, args.target, args.period.id, rep); /* the 404s */
    if (!text)
        return;
    free(text);
    json_t *points = json_array(), *months = NULL;
    pthread_mutex_lock(&a->lock);
    const struct api_series *s = api_series_find(&a->out, args.target, args.period.id);
    size_t n = s ? s->n : 0;
    size_t take = n < API_HISTORY_MAX ? n : API_HISTORY_MAX;
    for (size_t i = 0; i < take; i++) { /* evenly thinned, first and last kept */
        size_t j = take == n ? i : (size_t)((double)i * (double)(n - 1) / (double)(take - 1) + 0.5);
        json_array_append_new(points, point_json(a, &s->pts[j]));
    }
    if (args.period.kind != CQE_PERIOD_MONTH)
        months = months_json(&a->out, args.target, &args.period);
    pthread_mutex_unlock(&a->lock);
    json_t *o = json_pack("{s:s,s:s,s:o}", "target", args.target, "period", args.period.id, "points", points);
    if (o && months)
        json_object_set_new(o, "months", months);
    else
        json_decref(months);
    api_reply_json(rep, o);
}

void api_h_alerts(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    struct cqe_api *a = ctx;
    struct api_args args;
    if (api_args_parse(a, req, api_params_of(cqe_http_path(req)), 50, API_RECENT_KEEP, &args, rep) ||
        api_unavailable(a, false, rep))
        return;
    json_t *firing = json_array(), *recent = json_array();
    pthread_mutex_lock(&a->lock);
    const struct api_outputs *o = &a->out;
    for (size_t i = 0; i < o->n_firing; i++)
        json_array_append_new(firing, json_loads(o->firing[i].text, 0, NULL));
    for (size_t i = 0; i < o->n_recent && (long long)i < args.limit; i++) {
        size_t newest = o->n_recent == API_RECENT_KEEP
                            ? (o->recent_head + API_RECENT_KEEP - 1) % API_RECENT_KEEP
                            : o->n_recent - 1;
        size_t j = (newest + API_RECENT_KEEP - i) % API_RECENT_KEEP;
        json_array_append_new(recent, json_loads(o->recent[j], 0, NULL));
    }
    pthread_mutex_unlock(&a->lock);
    api_reply_json(rep, json_pack("{s:o,s:o}", "firing", firing, "recent", recent));
}
