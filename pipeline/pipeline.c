/* Decode → dedup → apply for one stream (see pipeline.h). */
#include "pipeline.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "timeutil.h"

int cqe_pipeline_init(struct cqe_pipeline *pl, const struct cqe_config *cfg, struct cqe_dead_letters *dlq,
                      struct cqe_store **stores, size_t n_stores)
{
    memset(pl, 0, sizeof *pl);
    pl->cfg = cfg;
    pl->dlq = dlq;
    pl->stores = stores;
    pl->n_stores = n_stores;
    pl->dedup = cqe_dedup_new((size_t)cfg->dedup_window);
    pl->igate = cqe_igate_new(cfg->incident_pending_limit);
    pl->apply = calloc(n_stores, sizeof *pl->apply);
    if (!pl->dedup || !pl->igate || !pl->apply) {
        cqe_pipeline_fini(pl);
        return CQE_ENOMEM;
    }
    for (size_t i = 0; i < n_stores; i++)
        cqe_apply_init(&pl->apply[i], stores[i], cfg);
    return 0;
}

void cqe_pipeline_fini(struct cqe_pipeline *pl)
{
    for (size_t i = 0; pl->apply && i < pl->n_stores; i++)
        cqe_apply_fini(&pl->apply[i]);
    free(pl->apply);
    cqe_dedup_free(pl->dedup);
    cqe_igate_free(pl->igate);
    pl->apply = NULL;
    pl->dedup = NULL;
    pl->igate = NULL;
}

static int dead_letter(struct cqe_pipeline *pl, const char *buf, size_t n, const struct cqe_origin *o,
                       int reason, const char *detail, int64_t now_ms, struct cqe_err *err)
{
    pl->counts.dead_letters++;
    if (cqe_apply_count(&pl->apply[0], now_ms, "", 0, CQE_COUNT_DEAD_LETTERS))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory counting a dead letter");
    if (reason > 0 && reason < CQE_R__COUNT)
        pl->counts.by_reason[reason]++;
    pl->last_reason = reason;
    snprintf(pl->last_detail, sizeof pl->last_detail, "%s", detail ? detail : "");
    if (!pl->dlq)
        return 0;
    return cqe_dead_letters_write(pl->dlq, o, reason, detail, buf, n, now_ms, err);
}

int cqe_pipeline_feed(struct cqe_pipeline *pl, const char *buf, size_t n, const struct cqe_origin *origin,
                      int reason_hint, const char *detail, int64_t now_ms, struct cqe_err *err)
{
    pl->counts.read++;
    if (reason_hint != CQE_R_NONE)
        return dead_letter(pl, buf, n, origin, reason_hint, detail, now_ms, err);
    struct cqe_event ev;
    struct cqe_err derr;
    memset(&ev, 0, sizeof ev);
    int rc = cqe_decode(buf, n, pl->cfg->max_message_bytes, &ev, &derr);
    if (rc == CQE_EINVAL) {
        cqe_event_clear(&ev);
        return dead_letter(pl, buf, n, origin, derr.code, derr.msg, now_ms, err);
    }
    if (rc) {
        pl->counts.read--; /* not consumed: the caller retries or stops */
        return cqe_err_set(err, rc, "decoding: %s", derr.msg);
    }
    rc = cqe_pipeline_feed_event(pl, &ev, buf, n, origin, now_ms, err);
    cqe_event_clear(&ev);
    return rc;
}

/* Whether ev falls in a period retention archived (ts < archived_before); then detail
 * (n bytes) says so, naming the field and the fix. */
static bool archived(const struct cqe_pipeline *pl, const struct cqe_event *ev, char *detail, size_t n)
{
    if (pl->archived_before <= 0 || ev->ts >= pl->archived_before)
        return false;
    char ts[40], before[40];
    cqe_time_format(ev->ts, pl->cfg->utc_offset_min, ts, sizeof ts);
    cqe_time_format(pl->archived_before, pl->cfg->utc_offset_min, before, sizeof before);
    snprintf(detail, n,
             "ts %s is in a period retention archived and deleted from Redis (it holds state from "
             "%s on): not applied; if it must count, recompute that period with `cloudqe replay "
             "--period` over the event files and replace its archive file",
             ts, before);
    return true;
}

/* Dead-letters an event of an incident with no open beyond incident_pending_limit. */
static int refuse_pending(struct cqe_pipeline *pl, const struct cqe_event *ev, const char *buf, size_t n,
                          const struct cqe_origin *origin, int64_t now_ms, struct cqe_err *err)
{
    char detail[200];
    int len = ev->entity.n > 64 ? 64 : (int)ev->entity.n;
    snprintf(detail, sizeof detail,
             "incident: '%.*s%s' has no open and its partition holds incident_pending_limit (%lld) events "
             "of incidents without one: send the open first, or raise incident_pending_limit",
             len, ev->entity.p, ev->entity.n > 64 ? "..." : "", (long long)pl->cfg->incident_pending_limit);
    return dead_letter(pl, buf, n, origin, CQE_R_INCIDENT_PENDING_LIMIT, detail, now_ms, err);
}

int cqe_pipeline_feed_event(struct cqe_pipeline *pl, const struct cqe_event *ev, const char *buf, size_t n,
                            const struct cqe_origin *origin, int64_t now_ms, struct cqe_err *err)
{
    char why[320];
    if (archived(pl, ev, why, sizeof why))
        return dead_letter(pl, buf, n, origin, CQE_R_PERIOD_ARCHIVED, why, now_ms, err);
    if (cqe_dedup_seen(pl->dedup, ev->id.p, ev->id.n)) {
        pl->counts.duplicates++;
        if (cqe_apply_count(&pl->apply[0], ev->ts, ev->provider.p, ev->provider.n, CQE_COUNT_DUPLICATES))
            return cqe_err_set(err, CQE_ENOMEM, "out of memory counting a duplicate");
        return 0;
    }
    bool incident = ev->type == CQE_T_INCIDENT, opens = ev->action == CQE_A_OPEN;
    if (incident && !cqe_igate_admits(pl->igate, ev->entity.p, ev->entity.n, opens))
        return refuse_pending(pl, ev, buf, n, origin, now_ms, err);
    size_t k = (size_t)(pl->counts.applied % (int64_t)pl->n_stores);
    int rc = cqe_apply_event(&pl->apply[k], ev);
    if (!rc && incident)
        rc = cqe_igate_record(pl->igate, ev->entity.p, ev->entity.n, opens, pl->stores[k]);
    if (!rc)
        rc = cqe_dedup_remember(pl->dedup, ev->id.p, ev->id.n);
    if (!rc)
        rc = cqe_apply_count(&pl->apply[k], ev->ts, ev->provider.p, ev->provider.n, CQE_COUNT_EVENTS);
    if (!rc && ev->ts >= pl->late_from && ev->ts < pl->late_before)
        rc = cqe_apply_count(&pl->apply[k], ev->ts, ev->provider.p, ev->provider.n, CQE_COUNT_LATE);
    if (rc)
        return cqe_err_set(err, rc, "out of memory applying an event");
    pl->counts.applied++;
    pl->counts.by_type[ev->type]++;
    /* what can raise an alert (a failed probe, an incident opened or changed, a window):
     * flushed soon; what only lowers down time waits for the next flush */
    pl->down_news |= (incident && ev->action != CQE_A_ACK && ev->action != CQE_A_RESOLVE) ||
                     ev->type == CQE_T_MAINTENANCE || (ev->type == CQE_T_PROBE && !ev->ok);
    if (ev->ts > pl->counts.max_ts)
        pl->counts.max_ts = ev->ts;
    return 0;
}
