/* GET /api/v1/explain: why a target has its score in a period, on the last complete
 * generation of the evaluated state (api_eval.c): the record `cloudqe explain --json`
 * prints for the same state and as_of (schemas/explain.schema.json). */
#include "api_int.h"

#include "explain.h"

/* With a limit, the first `limit` evidence items of a leaf's record and "items_total",
 * how many it has (a province's A1.1 lists every service: megabytes a page does not
 * need). Returns record. */
static json_t *cut(json_t *record, long long limit)
{
    json_t *ev = json_object_get(record, "evidence"), *items = json_object_get(ev, "items");
    if (limit <= 0 || !json_is_array(items))
        return record;
    size_t n = json_array_size(items);
    json_object_set_new(ev, "items_total", json_integer((json_int_t)n));
    while (json_array_size(items) > (size_t)limit)
        json_array_remove(items, json_array_size(items) - 1);
    return record;
}

void api_h_explain(void *ctx, const struct cqe_http_request *req, struct cqe_http_reply *rep)
{
    struct cqe_api *a = ctx;
    struct api_args args;
    if (api_args_parse(a, req, api_params_of(cqe_http_path(req)), 0, 100000, &args, rep) ||
        api_unavailable(a, true, rep))
        return;
    struct api_gen *g = api_gen_for_request(a, rep);
    if (!g)
        return;
    void *record = NULL;
    struct cqe_err err = {0};
    int rc = cqe_explain_build(g->view, a->o.model, &args.period, g->as_of, args.target, args.indicator,
                               &record, &err);
    api_gen_put(a, g);
    if (rc == CQE_ENOTFOUND)
        cqe_http_reply_error(rep, 404, "%s", err.msg);
    else if (rc)
        cqe_http_reply_error(rep, 500, "explain %s %s: %s", args.target, args.period.id,
                             err.msg[0] ? err.msg : "out of memory");
    else
        api_reply_json(rep, cut(record, args.limit));
}
