/* Partition-count claims: the first run records how many partitions the namespace is
 * split into ("<ns>:partitions", SET NX); later runs must resume with the same count. */
#include "state_redis_int.h"

#include <stdlib.h>

struct claim {
    const char *ns;
    int want; /* 0 = only read */
    int got;
};

static int claim_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct claim *c = arg;
    int rc, bad = 0;
    cqe_rargs_reset(&r->a);
    cqe_rkey_partitions(&r->a, c->ns);
    if (cqe_rargs_resolve(&r->a))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    if ((rc = cqe_rconn_route(r, cqe_rcluster_key_slot(r->a.pv[0], r->a.lv[0]), true, err)))
        return rc;
    if (c->want) {
        cqe_rargs_reset(&r->a);
        cqe_rargs_cstr(&r->a, "SET");
        cqe_rkey_partitions(&r->a, c->ns);
        cqe_rargs_i64(&r->a, c->want);
        cqe_rargs_cstr(&r->a, "NX");
        if ((rc = cqe_rconn_send(r, err)))
            return rc;
    }
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "GET");
    cqe_rkey_partitions(&r->a, c->ns);
    if ((rc = cqe_rconn_send(r, err)))
        return rc;
    c->got = 0;
    for (int i = c->want ? 0 : 1; i < 2; i++) {
        redisReply *rep = NULL;
        if ((rc = cqe_rconn_reply(r, &rep, i == 0 || !c->want, err)))
            return rc;
        if (rep->type == REDIS_REPLY_ERROR && !bad)
            bad = cqe_rconn_reply_error(r, rep, i ? "GET" : "SET NX", err);
        else if (i == 1 && rep->type == REDIS_REPLY_STRING)
            c->got = (int)strtol(rep->str, NULL, 10);
        freeReplyObject(rep);
    }
    return bad;
}

int cqe_redis_claim_partitions(struct cqe_redis *r, const char *ns, int partitions, struct cqe_err *err)
{
    struct claim c = {ns, partitions, 0};
    int rc = cqe_rkey_check_ns(ns, err);
    if (rc || (rc = cqe_rconn_retry(r, claim_attempt, &c, err)))
        return rc;
    if (c.got != partitions)
        return cqe_err_set(err, CQE_ECONFIG,
                           "redis %s:%d db %d: namespace %s holds state split over %d partitions, "
                           "not %d: resume with --partitions %d, or start from an empty database",
                           r->host, r->port, r->db, ns, c.got, partitions, c.got);
    return 0;
}

int cqe_redis_partitions(struct cqe_redis *r, const char *ns, int *partitions, struct cqe_err *err)
{
    struct claim c = {ns, 0, 0};
    int rc = cqe_rkey_check_ns(ns, err);
    if (rc || (rc = cqe_rconn_retry(r, claim_attempt, &c, err)))
        return rc;
    *partitions = c.got;
    return 0;
}
