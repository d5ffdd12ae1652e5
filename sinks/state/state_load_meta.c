/* Loading a partition's meta keys: its position and duplicate-id memory (what a resumed
 * partition needs), and the outcome counts of every partition (what snapshot sums). */
#include "state_redis_int.h"

#include <stdlib.h>
#include <string.h>

#include "id_batch.h"

#define DEDUP_CHUNK 10000 /* ids per LRANGE */

struct meta {
    int partition;
    char **position;
    struct cqe_dedup *dedup;
    struct cqe_rkey_prefix prefix;
};

/* GET the position into *m->position (NULL when the partition was never flushed). */
static int read_position(struct cqe_redis *r, struct meta *m, struct cqe_err *err)
{
    redisReply *rep = NULL;
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "GET");
    cqe_rkey_meta(&r->a, &m->prefix, CQE_RKEY_POS);
    int rc = cqe_rconn_send(r, err);
    if (rc || (rc = cqe_rconn_reply(r, &rep, true, err)))
        return rc;
    if (rep->type == REDIS_REPLY_ERROR)
        rc = cqe_rconn_reply_error(r, rep, "GET", err);
    else if (rep->type == REDIS_REPLY_STRING && !(*m->position = strndup(rep->str, rep->len)))
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
    freeReplyObject(rep);
    return rc;
}

/* LRANGEs the duplicate-id list chunk by chunk into ids (oldest first). */
static int read_ids(struct cqe_redis *r, struct meta *m, struct cqe_id_batch *ids, struct cqe_err *err)
{
    for (long long start = 0;; start += DEDUP_CHUNK) {
        redisReply *rep = NULL;
        size_t got = 0;
        int rc;
        cqe_rargs_reset(&r->a);
        cqe_rargs_cstr(&r->a, "LRANGE");
        cqe_rkey_meta(&r->a, &m->prefix, CQE_RKEY_DEDUP);
        cqe_rargs_i64(&r->a, start);
        cqe_rargs_i64(&r->a, start + DEDUP_CHUNK - 1);
        if ((rc = cqe_rconn_send(r, err)) || (rc = cqe_rconn_reply(r, &rep, true, err)))
            return rc;
        if (rep->type == REDIS_REPLY_ERROR)
            rc = cqe_rconn_reply_error(r, rep, "LRANGE", err);
        for (size_t i = 0; !rc && rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
            const redisReply *e = rep->element[i];
            if (e->type == REDIS_REPLY_STRING && cqe_id_batch_add(ids, e->str, e->len))
                rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
            got++;
        }
        freeReplyObject(rep);
        if (rc || got < DEDUP_CHUNK)
            return rc;
    }
}

static int meta_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct meta *m = arg;
    /* remembered only once every chunk arrived, so a retried attempt never
     * remembers an id twice */
    struct cqe_id_batch ids = {0};
    free(*m->position);
    *m->position = NULL;
    int rc = cqe_rconn_route(r, cqe_rconn_prefix_slot(&m->prefix), false, err);
    if (rc || (rc = read_position(r, m, err)) || !m->dedup || (rc = read_ids(r, m, &ids, err)))
        goto out;
    for (size_t i = 0, o = 0; i < ids.n; o += ids.lens[i], i++)
        if (cqe_dedup_remember(m->dedup, ids.bytes + o, ids.lens[i])) {
            rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
            break;
        }
out:
    cqe_id_batch_free(&ids);
    return rc;
}

int cqe_redis_load_partition_meta(struct cqe_redis *r, const char *ns, int partition, char **position,
                                  struct cqe_dedup *dedup, struct cqe_err *err)
{
    struct meta m = {partition, position, dedup, {"", 0}};
    *position = NULL;
    int rc = cqe_rkey_prefix(&m.prefix, ns, partition, err);
    if (rc)
        return rc;
    if ((rc = cqe_rconn_retry(r, meta_attempt, &m, err)))
        goto out;
    if ((rc = cqe_redis_set_known(r, partition, *position)))
        cqe_err_set(err, rc, "out of memory");
out:
    if (rc) {
        free(*position);
        *position = NULL;
    }
    return rc;
}

/* ---------------------------------------------------------------- counts */

struct counts_load {
    const char *ns;
    int partitions;
    struct cqe_redis_counts *out;
};

/* Adds the fields of one HGETALL reply of a count key to *out. */
static void add_counts(struct cqe_redis_counts *out, const redisReply *rep)
{
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements; i += 2) {
        const redisReply *f = rep->element[i], *v = rep->element[i + 1];
        int64_t x = 0;
        if (f->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
            !cqe_rargs_parse_i64(v->str, v->len, &x))
            cqe_rkey_count_add(out, f->str, f->len, x);
    }
}

/* Pipelines HGETALL of the count keys of partitions from..to-1 (all served by the
 * current node) and adds their replies. */
static int counts_read(struct cqe_redis *r, struct counts_load *c, int from, int to, struct cqe_err *err)
{
    int rc = 0;
    for (int p = from; !rc && p < to; p++) {
        struct cqe_rkey_prefix prefix;
        if (!(rc = cqe_rkey_prefix(&prefix, c->ns, p, err))) {
            cqe_rargs_reset(&r->a);
            cqe_rargs_cstr(&r->a, "HGETALL");
            cqe_rkey_meta(&r->a, &prefix, CQE_RKEY_COUNT);
            rc = cqe_rconn_send(r, err);
        }
    }
    if (rc) { /* half-sent pipeline: discard it with the connection */
        cqe_rconn_drop(r);
        return rc;
    }
    for (int p = from; p < to; p++) {
        redisReply *rep = NULL;
        if ((rc = cqe_rconn_reply(r, &rep, p == from, err)))
            return rc;
        if (rep->type == REDIS_REPLY_ERROR) {
            rc = cqe_rconn_reply_error(r, rep, "HGETALL", err);
            freeReplyObject(rep);
            int d = cqe_rconn_drain(r, (size_t)(to - p - 1), NULL);
            return d ? d : rc;
        }
        add_counts(c->out, rep);
        freeReplyObject(rep);
    }
    return 0;
}

/* Slot of partition p's keys (the namespace was checked by cqe_redis_partitions; were it
 * not, counts_read reports it). */
static int count_slot(const struct counts_load *c, int p)
{
    struct cqe_rkey_prefix prefix;
    return cqe_rkey_prefix(&prefix, c->ns, p, NULL) ? 0 : cqe_rconn_prefix_slot(&prefix);
}

static int counts_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct counts_load *c = arg;
    int rc = 0;
    memset(c->out, 0, sizeof *c->out);
    /* one pipeline per run of partitions on the same node: one on one server */
    for (int p = 0, q; !rc && p < c->partitions; p = q) {
        if ((rc = cqe_rconn_route(r, count_slot(c, p), false, err)))
            return rc;
        for (q = p + 1; q < c->partitions && cqe_rconn_on_current(r, count_slot(c, q)); q++)
            ;
        rc = counts_read(r, c, p, q, err);
    }
    return rc;
}

int cqe_redis_load_counts(struct cqe_redis *r, const char *ns, struct cqe_redis_counts *out,
                          struct cqe_err *err)
{
    struct counts_load c = {ns, 0, out};
    memset(out, 0, sizeof *out);
    int rc = cqe_redis_partitions(r, ns, &c.partitions, err);
    if (rc || !c.partitions)
        return rc;
    return cqe_rconn_retry(r, counts_attempt, &c, err);
}
