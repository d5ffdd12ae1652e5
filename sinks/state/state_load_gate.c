/* Loading a partition's bound on incidents never opened (incident_gate.h) when it
 * resumes: the members of its IO set and the fields of its IP sums, one round trip. */
#include "state_redis_int.h"

#include <string.h>

#include "incident_gate.h"

struct gate_load {
    struct cqe_rkey_prefix prefix;
    struct cqe_igate *gate;
};

/* Appends "<verb> <the state key of store key `key` kept as kind>". */
static int send_read(struct cqe_redis *r, const struct gate_load *gl, const char *verb, const char *key,
                     enum cqe_rkey_kind kind, struct cqe_err *err)
{
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, verb);
    cqe_rkey_state(&r->a, &gl->prefix, key, strlen(key), kind);
    return cqe_rconn_send(r, err);
}

/* The gate from the two replies, checked whole first. */
static int take(struct cqe_redis *r, const struct gate_load *gl, const redisReply *opened,
                const redisReply *held, struct cqe_err *err)
{
    if (opened->type == REDIS_REPLY_ERROR)
        return cqe_rconn_reply_error(r, opened, "SMEMBERS", err);
    if (held->type == REDIS_REPLY_ERROR)
        return cqe_rconn_reply_error(r, held, "HGETALL", err);
    if (opened->type != REDIS_REPLY_ARRAY || held->type != REDIS_REPLY_ARRAY || held->elements % 2)
        return cqe_err_set(err, CQE_EIO,
                           "redis: %s%s / %s of an unexpected type: start again from an empty database",
                           gl->prefix.s, CQE_IGATE_KEY_OPENED, CQE_IGATE_KEY_PENDING);
    for (size_t i = 0; i < held->elements; i += 2) {
        const redisReply *f = held->element[i], *v = held->element[i + 1];
        int64_t x;
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
            cqe_rargs_parse_i64(v->str, v->len, &x) || x < 0)
            return cqe_err_set(err, CQE_EIO, "redis: %s%s:sum holds a field that is not a count of events",
                               gl->prefix.s, CQE_IGATE_KEY_PENDING);
        if (cqe_igate_load_pending(gl->gate, f->str, f->len, x))
            return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < opened->elements; i++) {
        const redisReply *m = opened->element[i];
        if (m->type == REDIS_REPLY_STRING && cqe_igate_load_opened(gl->gate, m->str, m->len))
            return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    }
    return 0;
}

/* SMEMBERS and HGETALL, pipelined; nothing is loaded until both replies arrived, so a
 * retried attempt loads nothing twice. */
static int gate_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct gate_load *gl = arg;
    redisReply *opened = NULL, *held = NULL;
    /* ASK is not followed: two keys outside a transaction, as for the other meta reads */
    int rc = cqe_rconn_route(r, cqe_rconn_prefix_slot(&gl->prefix), false, err);
    if (rc)
        return rc;
    if ((rc = send_read(r, gl, "SMEMBERS", CQE_IGATE_KEY_OPENED, CQE_RKEY_SET, err)) ||
        (rc = send_read(r, gl, "HGETALL", CQE_IGATE_KEY_PENDING, CQE_RKEY_SUM, err))) {
        cqe_rconn_drop(r); /* half-sent pipeline: discard it with the connection */
        return rc;
    }
    if (!(rc = cqe_rconn_reply(r, &opened, true, err)) && !(rc = cqe_rconn_reply(r, &held, false, err)))
        rc = take(r, gl, opened, held, err);
    if (opened)
        freeReplyObject(opened);
    if (held)
        freeReplyObject(held);
    return rc;
}

int cqe_redis_load_igate(struct cqe_redis *r, const char *ns, int partition, struct cqe_igate *gate,
                         struct cqe_err *err)
{
    struct gate_load gl = {{"", 0}, gate};
    int rc = cqe_rkey_prefix(&gl.prefix, ns, partition, err);
    return rc ? rc : cqe_rconn_retry(r, gate_attempt, &gl, err);
}
