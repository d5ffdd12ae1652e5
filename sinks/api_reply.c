/* JSON replies of the API: compact bodies, times in the configured offset, and the 503
 * every data endpoint gives while Redis is unreachable or the first read is not done. */
#include "api_int.h"

#include <stdlib.h>
#include <string.h>

#include "timeutil.h"

void api_reply_json(struct cqe_http_reply *rep, json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text) {
        cqe_http_reply_error(rep, 500, "out of memory building the answer");
        return;
    }
    free(rep->body);
    rep->body = text;
    rep->len = strlen(text);
    rep->status = 200;
    rep->content_type = "application/json; charset=utf-8";
}

bool api_unavailable(struct cqe_api *a, bool need_eval, struct cqe_http_reply *rep)
{
    char why[512] = "";
    pthread_mutex_lock(&a->lock);
    if (a->outputs.err[0])
        snprintf(why, sizeof why, "%s", a->outputs.err);
    else if ((need_eval || a->eval.failed) && a->eval.err[0]) /* a failure of either: Redis is away */
        snprintf(why, sizeof why, "%s", a->eval.err);
    pthread_mutex_unlock(&a->lock);
    if (!why[0])
        return false;
    cqe_http_reply_error(rep, 503, "not available: %s (retry later; GET /readyz says when)", why);
    return true;
}

json_t *api_time(const struct cqe_api *a, int64_t ms)
{
    char buf[48];
    cqe_time_format(ms, a->o.cfg->utc_offset_min, buf, sizeof buf);
    return json_string(buf);
}
