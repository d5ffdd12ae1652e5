/* Loading a partition's meta keys: its position and duplicate-id memory (what a resumed
 * partition needs), and the outcome counts of every partition (what snapshot sums). */
#include "state_redis_int.h"

#include <stdlib.h>
#include <string.h>

struct meta {
    int partition;
    char **position; /* NULL: the position is not read */
    struct cqe_dedup *dedup;
    struct cqe_rkey_prefix prefix;
};

/* Appends "<verb> <meta key m of the partition>" (LRANGE: the whole list). */
static int send_meta_read(struct cqe_redis *r, const struct cqe_rkey_prefix *p, enum cqe_rkey_meta m,
                          struct cqe_err *err)
{
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, m == CQE_RKEY_POS ? "GET" : "LRANGE");
    cqe_rkey_meta(&r->a, p, m);
    if (m != CQE_RKEY_POS) {
        cqe_rargs_cstr(&r->a, "0");
        cqe_rargs_cstr(&r->a, "-1");
    }
    return cqe_rconn_send(r, err);
}

/* A GET reply of a position into *out (NULL when the partition was never flushed). */
static int take_position(struct cqe_redis *r, const redisReply *rep, char **out, struct cqe_err *err)
{
    *out = NULL;
    if (rep->type == REDIS_REPLY_ERROR)
        return cqe_rconn_reply_error(r, rep, "GET", err);
    if (rep->type == REDIS_REPLY_STRING && !(*out = strndup(rep->str, rep->len)))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    return 0;
}

static uint64_t le64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v |= (uint64_t)b[k] << (8 * k);
    return v;
}

/* Remembers the fingerprints of an LRANGE reply of the dedup chunks, oldest first. The
 * chunks are checked whole before the first is remembered. */
static int take_chunks(struct cqe_redis *r, const struct meta *m, const redisReply *rep, struct cqe_err *err)
{
    if (rep->type == REDIS_REPLY_ERROR)
        return cqe_rconn_reply_error(r, rep, "LRANGE", err);
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++)
        if (rep->element[i]->type != REDIS_REPLY_STRING || rep->element[i]->len % 8)
            return cqe_err_set(err, CQE_EIO,
                               "redis: %sdedup holds an element that is not 8-byte fingerprints (written by "
                               "an older cloudqe?): start again from an empty database",
                               m->prefix.s);
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        const redisReply *e = rep->element[i];
        for (size_t o = 0; o < e->len; o += 8)
            if (cqe_dedup_remember_fp(m->dedup, le64((const unsigned char *)e->str + o)))
                return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    }
    return 0;
}

/* GET the position and LRANGE the chunks, pipelined: one round trip. Nothing is
 * remembered until both replies arrived, so a retried attempt remembers nothing twice. */
static int meta_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct meta *m = arg;
    redisReply *pos = NULL, *ids = NULL;
    /* ASK is not followed: position and chunks are two keys outside a transaction */
    int rc = cqe_rconn_route(r, cqe_rconn_prefix_slot(&m->prefix), false, err);
    if (rc)
        return rc;
    if (m->position) {
        free(*m->position);
        *m->position = NULL;
        rc = send_meta_read(r, &m->prefix, CQE_RKEY_POS, err);
    }
    if (!rc && m->dedup)
        rc = send_meta_read(r, &m->prefix, CQE_RKEY_DEDUP, err);
    if (rc) {
        cqe_rconn_drop(r); /* half-sent pipeline: discard it with the connection */
        return rc;
    }
    if ((m->position && (rc = cqe_rconn_reply(r, &pos, true, err))) ||
        (m->dedup && (rc = cqe_rconn_reply(r, &ids, !m->position, err))))
        goto out;
    if (m->position && (rc = take_position(r, pos, m->position, err)))
        goto out;
    if (m->dedup)
        rc = take_chunks(r, m, ids, err);
out:
    if (pos)
        freeReplyObject(pos);
    if (ids)
        freeReplyObject(ids);
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

int cqe_redis_load_dedup(struct cqe_redis *r, const char *ns, int partition, struct cqe_dedup *dedup,
                         struct cqe_err *err)
{
    struct meta m = {partition, NULL, dedup, {"", 0}};
    int rc = cqe_rkey_prefix(&m.prefix, ns, partition, err);
    return rc ? rc : cqe_rconn_retry(r, meta_attempt, &m, err);
}

/* ---------------------------------------------------------------- many positions */

struct positions {
    const char *ns;
    int n;
    char **out;
};

static void free_positions(struct positions *ps)
{
    for (int i = 0; i < ps->n; i++) {
        free(ps->out[i]);
        ps->out[i] = NULL;
    }
}

/* GET of the positions of partitions from..to-1 (all served by the current node),
 * pipelined: one round trip. */
static int positions_read(struct cqe_redis *r, struct positions *ps, int from, int to, struct cqe_err *err)
{
    int rc = 0, p;
    for (p = from; !rc && p < to; p++) {
        struct cqe_rkey_prefix prefix;
        if (!(rc = cqe_rkey_prefix(&prefix, ps->ns, p, err)))
            rc = send_meta_read(r, &prefix, CQE_RKEY_POS, err);
    }
    if (rc) {
        cqe_rconn_drop(r);
        return rc;
    }
    for (p = from; p < to; p++) {
        redisReply *rep = NULL;
        if ((rc = cqe_rconn_reply(r, &rep, p == from, err)))
            return rc;
        rc = take_position(r, rep, &ps->out[p], err);
        freeReplyObject(rep);
        if (rc) {
            int d = cqe_rconn_drain(r, (size_t)(to - p - 1), NULL);
            return d ? d : rc;
        }
    }
    return 0;
}

/* Slot of partition p's keys (0 when the namespace is bad: the read reports it). */
static int partition_slot(const char *ns, int p)
{
    struct cqe_rkey_prefix prefix;
    return cqe_rkey_prefix(&prefix, ns, p, NULL) ? 0 : cqe_rconn_prefix_slot(&prefix);
}

/* Every position: one pipeline per run of partitions on the same node (one round trip
 * on one server). */
static int positions_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct positions *ps = arg;
    int rc = 0;
    free_positions(ps);
    for (int p = 0, q; !rc && p < ps->n; p = q) {
        if ((rc = cqe_rconn_route(r, partition_slot(ps->ns, p), false, err)))
            return rc;
        for (q = p + 1; q < ps->n && cqe_rconn_on_current(r, partition_slot(ps->ns, q)); q++)
            ;
        rc = positions_read(r, ps, p, q, err);
    }
    return rc;
}

int cqe_redis_load_positions(struct cqe_redis *r, const char *ns, int n, char **positions,
                             struct cqe_err *err)
{
    struct positions ps = {ns, n, positions};
    for (int i = 0; i < n; i++)
        positions[i] = NULL;
    int rc = cqe_rconn_retry(r, positions_attempt, &ps, err);
    for (int i = 0; !rc && i < n; i++)
        if ((rc = cqe_redis_set_known(r, i, positions[i])))
            cqe_err_set(err, rc, "out of memory");
    if (rc)
        free_positions(&ps);
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

static int counts_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct counts_load *c = arg;
    int rc = 0;
    memset(c->out, 0, sizeof *c->out);
    /* one pipeline per run of partitions on the same node: one on one server */
    for (int p = 0, q; !rc && p < c->partitions; p = q) {
        if ((rc = cqe_rconn_route(r, partition_slot(c->ns, p), false, err)))
            return rc;
        for (q = p + 1; q < c->partitions && cqe_rconn_on_current(r, partition_slot(c->ns, q)); q++)
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
