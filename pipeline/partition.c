/* One partition's pending state and its flush to Redis (see partition.h). */
#include "partition.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json_scan.h"
#include "source_kafka.h"

void cqe_partition_close(struct cqe_partition *p)
{
    int index = p->index;
    if (p->ready)
        cqe_pipeline_fini(&p->pl);
    cqe_store_free(p->delta);
    cqe_id_batch_free(&p->ids);
    memset(p, 0, sizeof *p);
    p->index = index;
}

int cqe_partition_open(struct cqe_partition *p, int index, const struct cqe_config *cfg,
                       struct cqe_dead_letters *dlq, struct cqe_redis *r, struct cqe_err *err)
{
    char *stored = NULL;
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
    if ((rc = cqe_redis_load_partition_meta(r, CQE_REDIS_NS, index, &stored, p->pl.dedup, err)))
        goto out;
    p->stored = -1;
    if (stored) {
        char *end;
        errno = 0;
        long long v = strtoll(stored, &end, 10);
        if (*end || errno || v < 0 || end == stored) {
            rc = cqe_err_set(err, CQE_EIO, "redis: partition %d holds position '%s', not a number", index,
                             stored);
            goto out;
        }
        p->stored = v;
    }
    p->pos = p->stored;
    p->first_ms = cqe_mono_ms();
out:
    free(stored);
    if (rc)
        cqe_partition_close(p);
    return rc;
}

/* The id the pipeline just remembered for an applied message: the raw bytes when the
 * scan is unambiguous, else Jansson's reading (as the decoder's). */
static int remember_raw_id(struct cqe_partition *p, const char *buf, size_t n)
{
    struct cqe_str key, id;
    int f = cqe_json_scan_key_id(buf, n, &key, &id);
    if ((f & CQE_SCAN_ID) && !(f & CQE_SCAN_ESCAPED))
        return cqe_id_batch_add(&p->ids, id.p, id.n);
    json_t *root = json_loadb(buf, n, 0, NULL);
    json_t *v = json_object_get(root, "id");
    int rc = json_is_string(v) ? cqe_id_batch_add(&p->ids, json_string_value(v), json_string_length(v)) : 0;
    json_decref(root);
    return rc;
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
    int64_t applied = p->pl.counts.applied;
    int rc = cqe_pipeline_feed(&p->pl, buf, n, o, reason_hint, detail, now_ms, err);
    if (rc)
        return rc;
    if (p->pl.counts.applied != applied && remember_raw_id(p, buf, n))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    consumed(p);
    return 0;
}

int cqe_partition_feed_event(struct cqe_partition *p, const struct cqe_event *ev, struct cqe_err *err)
{
    int64_t applied = p->pl.counts.applied;
    p->pl.counts.read++;
    int rc = cqe_pipeline_feed_event(&p->pl, ev, err);
    if (rc) {
        p->pl.counts.read--; /* not consumed: the caller retries or stops */
        return rc;
    }
    if (p->pl.counts.applied != applied && cqe_id_batch_add(&p->ids, ev->id.p, ev->id.n))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    consumed(p);
    return 0;
}

int cqe_partition_flush(struct cqe_partition *p, struct cqe_redis *r, int64_t dedup_window,
                        struct cqe_err *err)
{
    const char **ptrs = NULL;
    char pos[24];
    if (!p->since)
        return 0;
    if (cqe_id_batch_ptrs(&p->ids, &ptrs))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    const struct cqe_pipeline_counts *now = &p->pl.counts, *then = &p->at_flush;
    struct cqe_redis_counts c = {now->read - then->read, now->applied - then->applied,
                                 now->duplicates - then->duplicates, now->dead_letters - then->dead_letters};
    snprintf(pos, sizeof pos, "%lld", (long long)p->pos);
    int rc = cqe_redis_flush_partition(r, CQE_REDIS_NS, p->index, p->delta, pos, ptrs, p->ids.lens, p->ids.n,
                                       dedup_window, &c, err);
    free(ptrs);
    if (rc)
        return rc;
    cqe_store_clear(p->delta);
    cqe_id_batch_clear(&p->ids);
    p->at_flush = *now;
    p->stored = p->pos;
    p->since = 0;
    return 0;
}
