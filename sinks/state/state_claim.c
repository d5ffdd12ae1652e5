/* Namespace claims: the format marker ("<ns>:format", written by the first run, checked
 * by every run and snapshot), and the partition count: the first run records how many
 * partitions the namespace is split into ("<ns>:partitions", SET NX); later runs must
 * resume with the same count. */
#include "state_redis_int.h"

#include <stdlib.h>
#include <string.h>

struct format {
    const char *ns;
    bool write;
    bool marker;    /* found */
    char found[32]; /* its value, cut */
    bool state;     /* the namespace holds state */
};

static int marker_get(struct cqe_redis *r, struct format *f, struct cqe_err *err)
{
    redisReply *rep = NULL;
    int rc = cqe_rconn_route_ns_key(r, cqe_rkey_format, f->ns, err);
    if (rc)
        return rc;
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "GET");
    cqe_rkey_format(&r->a, f->ns);
    if ((rc = cqe_rconn_call(r, "GET", &rep, err)))
        return rc;
    f->marker = rep->type == REDIS_REPLY_STRING;
    if (f->marker) {
        size_t n = rep->len < sizeof f->found - 1 ? rep->len : sizeof f->found - 1;
        memcpy(f->found, rep->str, n);
        f->found[n] = 0;
    }
    freeReplyObject(rep);
    return 0;
}

/* SET NX of the marker, then reads it back: a concurrent first run may have won. */
static int marker_set(struct cqe_redis *r, struct format *f, struct cqe_err *err)
{
    redisReply *rep = NULL;
    int rc = cqe_rconn_route_ns_key(r, cqe_rkey_format, f->ns, err);
    if (rc)
        return rc;
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "SET");
    cqe_rkey_format(&r->a, f->ns);
    cqe_rargs_cstr(&r->a, CQE_RKEY_FORMAT);
    cqe_rargs_cstr(&r->a, "NX");
    if ((rc = cqe_rconn_call(r, "SET NX", &rep, err)))
        return rc;
    freeReplyObject(rep);
    return marker_get(r, f, err);
}

/* Whether the namespace holds state: any partition key on any master (one SCAN; it runs
 * only while the namespace has no marker). A partition count alone is no state: nothing
 * was flushed under it, and the claim that follows checks it. */
static int find_state(struct cqe_redis *r, struct format *f, struct cqe_err *err)
{
    redisReply *rep = NULL;
    int rc = 0;
    f->state = false;
    for (int m = 0; !f->state && m < cqe_rconn_masters(r); m++) {
        char cursor[32] = "0";
        if ((rc = cqe_rconn_route_master(r, m, err)))
            return rc;
        do {
            if ((rc = cqe_redis_scan_page(r, f->ns, cursor, &rep, err)))
                return rc;
            f->state = rep->element[1]->elements > 0;
            freeReplyObject(rep);
        } while (!f->state && strcmp(cursor, "0"));
    }
    return rc;
}

static int format_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct format *f = arg;
    f->marker = f->state = false;
    int rc = marker_get(r, f, err);
    if (rc || f->marker || (rc = find_state(r, f, err)) || f->state || !f->write)
        return rc;
    return marker_set(r, f, err);
}

int cqe_redis_check_format(struct cqe_redis *r, const char *ns, bool write, struct cqe_err *err)
{
    struct format f = {.ns = ns, .write = write};
    int rc = cqe_rconn_retry(r, format_attempt, &f, err);
    if (rc || (f.marker ? !strcmp(f.found, CQE_RKEY_FORMAT) : !f.state))
        return rc;
    return cqe_err_set(err, CQE_ECONFIG,
                       "redis %s:%d db %d: namespace %s holds state of format %s%s, this cloudqe reads and "
                       "writes format %s (%s:format): there is no migration; give cloudqe an empty database "
                       "(redis.db, or the url's /db) or another server, and replay the events into it",
                       r->host, r->port, r->db, ns, f.marker ? f.found : "1",
                       f.marker ? ""
                                : " (no format marker: written before the marker, vectors as 'vec' hashes)",
                       CQE_RKEY_FORMAT, ns);
}

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
    if (rc || (rc = cqe_redis_check_format(r, ns, true, err)) ||
        (rc = cqe_rconn_retry(r, claim_attempt, &c, err)))
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

int cqe_redis_ping(struct cqe_redis *r, const char *ns, struct cqe_err *err)
{
    struct claim c = {ns, 0, 0};
    int rc = cqe_rkey_check_ns(ns, err);
    return rc ? rc : cqe_rconn_once(r, claim_attempt, &c, err);
}
