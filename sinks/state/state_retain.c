/* Retention in Redis (docs/state.md "Retention"): the marker "<ns>:retention" that
 * `cloudqe retain` writes once its archive is durable and the workers read, and the
 * deletion of archived state keys, partition by partition on every master, in batches. */
#include "state_redis_int.h"

#include <stdlib.h>
#include <string.h>

#define DEL_KEYS 256    /* keys per DEL (one partition's: one Cluster slot) */
#define DEL_PIPELINE 64 /* DEL commands per round trip */

/* ---------------------------------------------------------------- the marker */

struct marker_read {
    const char *ns;
    int64_t before;
};

static int marker_read_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct marker_read *m = arg;
    redisReply *rep = NULL;
    int rc = cqe_rconn_route_ns_key(r, cqe_rkey_retention, m->ns, err);
    if (rc)
        return rc;
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "HGET");
    cqe_rkey_retention(&r->a, m->ns);
    cqe_rargs_cstr(&r->a, "before");
    if ((rc = cqe_rconn_call(r, "HGET", &rep, err)))
        return rc;
    m->before = 0;
    if (rep->type == REDIS_REPLY_STRING &&
        (cqe_rargs_parse_i64(rep->str, rep->len, &m->before) || m->before < 0))
        rc = cqe_err_set(err, CQE_EIO,
                         "redis: %s:retention field before is '%.*s', not an instant in ms: "
                         "write it again with `cloudqe retain`, or delete the key",
                         m->ns, (int)(rep->len > 40 ? 40 : rep->len), rep->str);
    freeReplyObject(rep);
    return rc;
}

int cqe_redis_retention_before(struct cqe_redis *r, const char *ns, int64_t *before, struct cqe_err *err)
{
    struct marker_read m = {ns, 0};
    int rc = cqe_rkey_check_ns(ns, err);
    if (rc || (rc = cqe_rconn_retry(r, marker_read_attempt, &m, err)))
        return rc;
    *before = m.before;
    return 0;
}

struct marker_write {
    const char *ns;
    const char *const *fv;
    size_t n;
};

static int marker_write_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct marker_write *m = arg;
    redisReply *rep = NULL;
    int rc = cqe_rconn_route_ns_key(r, cqe_rkey_retention, m->ns, err);
    if (rc)
        return rc;
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "HSET");
    cqe_rkey_retention(&r->a, m->ns);
    for (size_t i = 0; i < 2 * m->n; i++)
        cqe_rargs_cstr(&r->a, m->fv[i]);
    if ((rc = cqe_rconn_call(r, "HSET", &rep, err)))
        return rc;
    freeReplyObject(rep);
    return 0;
}

int cqe_redis_retention_mark(struct cqe_redis *r, const char *ns, const char *const *fv, size_t n,
                             struct cqe_err *err)
{
    struct marker_write m = {ns, fv, n};
    int rc = cqe_rkey_check_ns(ns, err);
    if (rc || !n)
        return rc;
    return cqe_rconn_retry(r, marker_write_attempt, &m, err);
}

/* ---------------------------------------------------------------- deletion */

/* A key to delete: its class (what doom said), partition and name (borrowed from the
 * scanned key store). */
struct doomed {
    int cls, partition;
    const char *k;
    size_t n;
};

struct del {
    const char *ns;
    cqe_redis_doom_fn doom;
    void *arg;
    bool dry_run;
    int64_t *deleted;       /* [CQE_REDIS_DOOM_CLASSES] */
    struct cqe_store *keys; /* one node's SCAN */
    struct doomed *d;
    size_t n, cap;
    int rc; /* of the doom callback */
};

static int cmp_doomed(const void *a, const void *b)
{
    const struct doomed *x = a, *y = b;
    if (x->cls != y->cls)
        return x->cls - y->cls;
    if (x->partition != y->partition)
        return x->partition < y->partition ? -1 : 1;
    int c = memcmp(x->k, y->k, x->n < y->n ? x->n : y->n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Asks doom about one scanned key; keeps the state keys it condemns. */
static int judge_key(const struct cqe_cell *c, void *arg)
{
    struct del *d = arg;
    struct cqe_rkey_parsed pk;
    if (cqe_rkey_parse(d->ns, c->field, c->field_len, &pk) != 1)
        return 0; /* meta keys stay */
    int cls = d->doom(pk.skey, pk.skey_len, d->arg);
    if (cls < 0) {
        d->rc = cls;
        return 1;
    }
    if (cls == 0)
        return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 1024;
        struct doomed *nd = realloc(d->d, cap * sizeof *nd);
        if (!nd) {
            d->rc = CQE_ENOMEM;
            return 1;
        }
        d->d = nd;
        d->cap = cap;
    }
    d->d[d->n++] = (struct doomed){cls < CQE_REDIS_DOOM_CLASSES ? cls : CQE_REDIS_DOOM_CLASSES - 1,
                                   pk.partition, c->field, c->field_len};
    return 0;
}

/* Reads the replies of `sent` DELs whose first key classes are in cls[]. */
static int del_replies(struct cqe_redis *r, struct del *d, const int *cls, size_t sent, struct cqe_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < sent; i++) {
        redisReply *rep = NULL;
        if ((rc = cqe_rconn_reply(r, &rep, i == 0, err)))
            return rc;
        if (rep->type == REDIS_REPLY_ERROR)
            rc = cqe_rconn_reply_error(r, rep, "DEL", err);
        else if (rep->type == REDIS_REPLY_INTEGER)
            d->deleted[cls[i]] += rep->integer;
        freeReplyObject(rep);
        if (rc) {
            int dr = cqe_rconn_drain(r, sent - i - 1, NULL);
            return dr ? dr : rc;
        }
    }
    return 0;
}

/* DELs the condemned keys of the current node: one command per class, partition and
 * DEL_KEYS keys, DEL_PIPELINE commands per round trip. */
static int del_node(struct cqe_redis *r, struct del *d, struct cqe_err *err)
{
    int cls[DEL_PIPELINE], rc = 0;
    size_t sent = 0, i = 0;
    if (d->n)
        qsort(d->d, d->n, sizeof *d->d, cmp_doomed);
    while (!rc && i < d->n) {
        size_t j = i;
        cqe_rargs_reset(&r->a);
        cqe_rargs_cstr(&r->a, "DEL");
        for (; j < d->n && j - i < DEL_KEYS && d->d[j].cls == d->d[i].cls &&
               d->d[j].partition == d->d[i].partition;
             j++)
            cqe_rargs_ref(&r->a, d->d[j].k, d->d[j].n);
        cls[sent++] = d->d[i].cls;
        i = j;
        if ((rc = cqe_rconn_send(r, err)))
            break;
        if (sent == DEL_PIPELINE || i == d->n) {
            rc = del_replies(r, d, cls, sent, err);
            sent = 0;
        }
    }
    if (rc && sent)
        cqe_rconn_drop(r); /* replies of commands sent are still due */
    return rc;
}

static int del_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct del *d = arg;
    uint64_t layout = 0;
    int rc = cqe_rconn_layout(r, &layout, false, err);
    if (d->dry_run)
        memset(d->deleted, 0, CQE_REDIS_DOOM_CLASSES * sizeof *d->deleted);
    for (int m = 0; !rc && m < cqe_rconn_masters(r); m++) {
        if ((rc = cqe_rconn_route_master(r, m, err)) || (rc = cqe_rload_scan(r, d->ns, d->keys, err)))
            break;
        d->n = 0;
        d->rc = 0;
        cqe_store_each(d->keys, judge_key, d);
        if (d->rc)
            return d->rc == CQE_ENOMEM ? cqe_err_set(err, CQE_ENOMEM, "out of memory") : d->rc;
        if (d->dry_run)
            for (size_t i = 0; i < d->n; i++)
                d->deleted[d->d[i].cls]++;
        else
            rc = del_node(r, d, err);
    }
    return rc ? rc : cqe_rconn_layout(r, &layout, true, err);
}

int cqe_redis_delete_state(struct cqe_redis *r, const char *ns, cqe_redis_doom_fn doom, void *arg,
                           bool dry_run, int64_t deleted[CQE_REDIS_DOOM_CLASSES], struct cqe_err *err)
{
    struct del d = {ns, doom, arg, dry_run, deleted, NULL, NULL, 0, 0, 0};
    memset(deleted, 0, CQE_REDIS_DOOM_CLASSES * sizeof *deleted);
    int rc = cqe_rkey_check_ns(ns, err);
    if (rc)
        return rc;
    if (!(d.keys = cqe_store_new()))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    rc = cqe_rconn_retry(r, del_attempt, &d, err);
    free(d.d);
    cqe_store_free(d.keys);
    return rc;
}
