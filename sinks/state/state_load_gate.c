/* Loading a partition's bound on incidents never opened (incident_gate.h) when it
 * resumes: the members of its IO set and the fields of its IP sums, one key per call. */
#include "state_redis_int.h"

#include <stdbool.h>
#include <string.h>

#include "incident_gate.h"

struct gate_load {
    struct cqe_rkey_prefix prefix;
    struct cqe_igate *gate;
    bool opened; /* this attempt reads IO (else IP) */
};

/* Loads one reply (not an error) into the gate, checked whole first. */
static int take(const struct gate_load *gl, const redisReply *rep, struct cqe_err *err)
{
    const char *key = gl->opened ? CQE_IGATE_KEY_OPENED : CQE_IGATE_KEY_PENDING;
    bool ok = rep->type == REDIS_REPLY_ARRAY && (gl->opened || rep->elements % 2 == 0);
    for (size_t i = 0; ok && i < rep->elements; i++) {
        const redisReply *e = rep->element[i];
        int64_t x;
        ok = e->type == REDIS_REPLY_STRING &&
             (gl->opened || i % 2 == 0 || (!cqe_rargs_parse_i64(e->str, e->len, &x) && x >= 0));
    }
    if (!ok)
        return cqe_err_set(err, CQE_EIO,
                           "redis: %s%s holds what cloudqe did not write (not incident ids and counts of "
                           "events): start again from an empty database",
                           gl->prefix.s, key);
    for (size_t i = 0; i < rep->elements; i += gl->opened ? 1 : 2) {
        const redisReply *e = rep->element[i];
        int64_t x = 0;
        if (!gl->opened)
            cqe_rargs_parse_i64(rep->element[i + 1]->str, rep->element[i + 1]->len, &x);
        if (gl->opened ? cqe_igate_load_opened(gl->gate, e->str, e->len)
                       : cqe_igate_load_pending(gl->gate, e->str, e->len, x))
            return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    }
    return 0;
}

/* One key, one command: it follows ASK (a migrating slot may hold one of the two keys
 * on each node; each is read where it is, and nothing else writes them meanwhile).
 * Nothing is loaded until the reply arrived whole, so a retried attempt loads nothing twice. */
static int gate_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct gate_load *gl = arg;
    redisReply *rep = NULL;
    int rc = cqe_rconn_route(r, cqe_rconn_prefix_slot(&gl->prefix), true, err);
    if (rc)
        return rc;
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, gl->opened ? "SMEMBERS" : "HGETALL");
    const char *key = gl->opened ? CQE_IGATE_KEY_OPENED : CQE_IGATE_KEY_PENDING;
    cqe_rkey_state(&r->a, &gl->prefix, key, strlen(key), gl->opened ? CQE_RKEY_SET : CQE_RKEY_SUM);
    if ((rc = cqe_rconn_call(r, gl->opened ? "SMEMBERS" : "HGETALL", &rep, err)))
        return rc;
    rc = take(gl, rep, err);
    freeReplyObject(rep);
    return rc;
}

int cqe_redis_load_igate(struct cqe_redis *r, const char *ns, int partition, struct cqe_igate *gate,
                         struct cqe_err *err)
{
    struct gate_load gl = {{"", 0}, gate, true};
    int rc = cqe_rkey_prefix(&gl.prefix, ns, partition, err);
    if (rc || (rc = cqe_rconn_retry(r, gate_attempt, &gl, err)))
        return rc;
    gl.opened = false;
    return cqe_rconn_retry(r, gate_attempt, &gl, err);
}
