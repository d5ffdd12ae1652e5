/* One partition's pending state and its flush to Redis (see partition.h). */
#include "partition.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

void cqe_partition_close(struct cqe_partition *p)
{
    int index = p->index;
    if (p->ready)
        cqe_pipeline_fini(&p->pl);
    cqe_store_free(p->delta);
    free(p->fps);
    memset(p, 0, sizeof *p);
    p->index = index;
}

int cqe_partition_parse_pos(const char *s, int index, int64_t *out, struct cqe_err *err)
{
    *out = -1;
    if (!s)
        return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || v < 0 || end == s)
        return cqe_err_set(err, CQE_EIO, "redis: partition %d holds position '%s', not a number", index, s);
    *out = v;
    return 0;
}

/* Opens the pipeline and loads the partition's memory: with its position when
 * `stored` is NULL, else from the position the caller loaded. */
static int open_part(struct cqe_partition *p, int index, const int64_t *stored, const struct cqe_config *cfg,
                     struct cqe_dead_letters *dlq, struct cqe_redis *r, struct cqe_err *err)
{
    char *held = NULL;
    int rc = 0;
    p->index = index;
    if (!(p->delta = cqe_store_new())) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    p->stores[0] = p->delta;
    if ((rc = cqe_pipeline_init(&p->pl, cfg, dlq, p->stores, 1))) {
        rc = cqe_err_set(err, rc, "out of memory");
        goto out;
    }
    p->ready = true;
    if (stored) {
        p->stored = *stored;
        rc = cqe_redis_load_dedup(r, CQE_REDIS_NS, index, p->pl.dedup, err);
    } else if (!(rc = cqe_redis_load_partition_meta(r, CQE_REDIS_NS, index, &held, p->pl.dedup, err))) {
        rc = cqe_partition_parse_pos(held, index, &p->stored, err);
    }
    if (!rc && p->stored >= 0) /* never flushed: nothing held */
        rc = cqe_redis_load_igate(r, CQE_REDIS_NS, index, p->pl.igate, err);
    if (rc)
        goto out;
    p->pos = p->stored;
    p->first_ms = cqe_mono_ms();
    /* what the load remembered (and forgot past the window) is Redis's already */
    p->ids_at_flush = cqe_dedup_total(p->pl.dedup);
    p->forgotten_at_flush = p->forgotten_at_load = cqe_dedup_forgotten(p->pl.dedup);
out:
    free(held);
    if (rc)
        cqe_partition_close(p);
    return rc;
}

int cqe_partition_open(struct cqe_partition *p, int index, const struct cqe_config *cfg,
                       struct cqe_dead_letters *dlq, struct cqe_redis *r, struct cqe_err *err)
{
    return open_part(p, index, NULL, cfg, dlq, r, err);
}

int cqe_partition_open_at(struct cqe_partition *p, int index, int64_t stored, const struct cqe_config *cfg,
                          struct cqe_dead_letters *dlq, struct cqe_redis *r, struct cqe_err *err)
{
    return open_part(p, index, &stored, cfg, dlq, r, err);
}

int cqe_retention_watch_refresh(struct cqe_retention_watch *w, struct cqe_redis *r, int64_t max_age_ms,
                                struct cqe_err *err)
{
    int64_t now = cqe_mono_ms(), before;
    if (w->read && now - w->read_ms < max_age_ms)
        return 0;
    int rc = cqe_redis_retention_before(r, CQE_REDIS_NS, &before, err);
    if (rc)
        return rc;
    w->before = before;
    w->read_ms = now;
    w->read = true;
    return 0;
}

static void consumed(struct cqe_partition *p)
{
    if (!p->since)
        p->first_ms = cqe_mono_ms();
    p->since++;
}

int cqe_partition_feed(struct cqe_partition *p, const char *buf, size_t n, const struct cqe_origin *o,
                       int reason_hint, const char *detail, int64_t now_ms, struct cqe_err *err)
{
    int rc = cqe_pipeline_feed(&p->pl, buf, n, o, reason_hint, detail, now_ms, err);
    if (rc)
        return rc;
    consumed(p);
    return 0;
}

int cqe_partition_feed_event(struct cqe_partition *p, const struct cqe_event *ev, const char *buf, size_t n,
                             const struct cqe_origin *o, int64_t now_ms, struct cqe_err *err)
{
    p->pl.counts.read++;
    int rc = cqe_pipeline_feed_event(&p->pl, ev, buf, n, o, now_ms, err);
    if (rc) {
        p->pl.counts.read--; /* not consumed: the caller retries or stops */
        return rc;
    }
    consumed(p);
    return 0;
}

int cqe_partition_flush(struct cqe_partition *p, struct cqe_redis *r, int64_t dedup_window,
                        struct cqe_err *err)
{
    char pos[24];
    if (!p->since)
        return 0;
    /* the ids applied since the last flush are the newest the memory remembered */
    uint64_t total = cqe_dedup_total(p->pl.dedup), forgotten = cqe_dedup_forgotten(p->pl.dedup);
    size_t n_new = (size_t)(total - p->ids_at_flush);
    if (n_new > p->fps_cap) {
        uint64_t *f = realloc(p->fps, n_new * sizeof *f);
        if (!f)
            return cqe_err_set(err, CQE_ENOMEM, "out of memory");
        p->fps = f;
        p->fps_cap = n_new;
    }
    size_t n_fps = n_new ? cqe_dedup_newest(p->pl.dedup, n_new, p->fps) : 0;
    const struct cqe_pipeline_counts *now = &p->pl.counts, *then = &p->at_flush;
    struct cqe_redis_counts c = {now->read - then->read,
                                 now->applied - then->applied,
                                 now->duplicates - then->duplicates,
                                 now->dead_letters - then->dead_letters,
                                 {0}};
    for (int k = 0; k < CQE_R__COUNT; k++)
        c.by_reason[k] = now->by_reason[k] - then->by_reason[k];
    snprintf(pos, sizeof pos, "%lld", (long long)p->pos);
    int rc = cqe_redis_flush_partition(r, CQE_REDIS_NS, p->index, p->delta, pos, p->fps, n_fps, dedup_window,
                                       &c, (int64_t)(forgotten - p->forgotten_at_flush), err);
    if (rc)
        return rc;
    cqe_store_clear(p->delta);
    p->at_flush = *now;
    p->ids_at_flush = total;
    p->forgotten_at_flush = forgotten;
    p->stored = p->pos;
    p->since = 0;
    return 0;
}
