/* The output role's Redis keys (docs/outputs.md, "Where outputs go"): every one is
 * "<ns>:{out}:<name>", so they share one Cluster slot and a script may touch them
 * together. The lease, the decision script and plain commands on those keys. */
#include "state_redis_int.h"

#include <stdlib.h>
#include <string.h>

#include "out_commit_lua.h"
#include "out_lease_lua.h"

static const char out_tag[] = ":{out}:";

static void out_key(struct cqe_rargs *a, const char *ns, const char *name, size_t n)
{
    cqe_rargs_cat(a, ns, strlen(ns), out_tag, sizeof out_tag - 1, name, n, NULL, 0);
}

static int out_slot(void)
{
    return cqe_rcluster_crc16("out", 3) & 16383;
}

void cqe_redis_strs_free(struct cqe_redis_strs *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        free(s->v[i]);
    if (s) {
        free(s->v);
        free(s->len);
        memset(s, 0, sizeof *s);
    }
}

static int strs_push(struct cqe_redis_strs *s, const char *p, size_t n, size_t *cap)
{
    if (s->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        char **v = realloc(s->v, nc * sizeof *v);
        if (v)
            s->v = v;
        size_t *l = v ? realloc(s->len, nc * sizeof *l) : NULL;
        if (!l)
            return CQE_ENOMEM;
        s->len = l;
        *cap = nc;
    }
    char *c = NULL;
    if (p && !(c = malloc(n + 1)))
        return CQE_ENOMEM;
    if (c) {
        memcpy(c, p, n);
        c[n] = '\0';
    }
    s->v[s->n] = c;
    s->len[s->n++] = p ? n : 0;
    return 0;
}

/* Flattens a reply depth-first into s (integers as decimal text, nil as NULL). */
static int flatten(const redisReply *rep, struct cqe_redis_strs *s, size_t *cap)
{
    char num[24];
    switch (rep->type) {
    case REDIS_REPLY_ARRAY:
        for (size_t i = 0; i < rep->elements; i++)
            if (flatten(rep->element[i], s, cap))
                return CQE_ENOMEM;
        return 0;
    case REDIS_REPLY_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)rep->integer);
        return strs_push(s, num, strlen(num), cap);
    case REDIS_REPLY_NIL: return strs_push(s, NULL, 0, cap);
    default: return strs_push(s, rep->str ? rep->str : "", rep->str ? rep->len : 0, cap);
    }
}

struct out_call {
    const char *ns;
    size_t argc;
    const char *const *argv;
    const size_t *lens;
    uint64_t key_mask;
    struct cqe_redis_strs *reply;
};

static int call_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct out_call *c = arg;
    redisReply *rep = NULL;
    int rc = cqe_rconn_route(r, out_slot(), true, err);
    if (rc)
        return rc;
    cqe_rargs_reset(&r->a);
    for (size_t i = 0; i < c->argc; i++) {
        size_t n = c->lens ? c->lens[i] : strlen(c->argv[i]);
        if (i < 64 && (c->key_mask >> i & 1))
            out_key(&r->a, c->ns, c->argv[i], n);
        else
            cqe_rargs_ref(&r->a, c->argv[i], n);
    }
    if ((rc = cqe_rconn_call(r, c->argv[0], &rep, err)))
        return rc;
    size_t cap = 0;
    cqe_redis_strs_free(c->reply);
    rc = c->reply ? flatten(rep, c->reply, &cap) : 0;
    freeReplyObject(rep);
    if (rc) {
        cqe_redis_strs_free(c->reply);
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    }
    return 0;
}

int cqe_redis_out_command(struct cqe_redis *r, const char *ns, size_t argc, const char *const *argv,
                          const size_t *lens, uint64_t key_mask, struct cqe_redis_strs *reply,
                          struct cqe_err *err)
{
    struct out_call c = {ns, argc, argv, lens, key_mask, reply};
    if (reply)
        memset(reply, 0, sizeof *reply);
    int rc = cqe_rkey_check_ns(ns, err);
    return rc ? rc : cqe_rconn_retry(r, call_attempt, &c, err);
}

int cqe_redis_out_lease(struct cqe_redis *r, const char *ns, const char *holder, int64_t ttl_ms, bool release,
                        bool *held, struct cqe_err *err)
{
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
    const char *argv[] = {"EVAL", out_lease_lua, "1", "lease", holder, ttl, release ? "release" : "take"};
    struct cqe_redis_strs rep = {0};
    int rc = cqe_redis_out_command(r, ns, 7, argv, NULL, 1u << 3, &rep, err);
    if (!rc)
        *held = rep.n == 1 && rep.v[0] && !strcmp(rep.v[0], "1") && !release;
    cqe_redis_strs_free(&rep);
    return rc;
}

int cqe_redis_out_commit(struct cqe_redis *r, const char *ns, const char *holder, const char *token,
                         int64_t maxlen, const struct cqe_redis_out_op *ops, size_t n_ops, char *outcome,
                         size_t cap, struct cqe_err *err)
{
    size_t argc = 7 + 4 * n_ops;
    const char **argv = malloc(argc * sizeof *argv);
    size_t *lens = malloc(argc * sizeof *lens);
    char ml[24];
    int rc = 0;
    if (!argv || !lens) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(ml, sizeof ml, "%lld", (long long)maxlen);
    const char *head[] = {"EVAL", out_commit_lua, "1", "lease", holder, token, ml};
    for (size_t i = 0; i < 7; i++) {
        argv[i] = head[i];
        lens[i] = strlen(head[i]);
    }
    for (size_t i = 0; i < n_ops; i++) {
        const char *v[4] = {ops[i].op, ops[i].a, ops[i].b ? ops[i].b : "", ops[i].c ? ops[i].c : "-"};
        size_t l[4] = {strlen(v[0]), strlen(v[1]), ops[i].b ? ops[i].b_len : 0, ops[i].c ? ops[i].c_len : 1};
        for (size_t k = 0; k < 4; k++) {
            argv[7 + 4 * i + k] = v[k];
            lens[7 + 4 * i + k] = l[k];
        }
    }
    struct cqe_redis_strs rep = {0};
    if (!(rc = cqe_redis_out_command(r, ns, argc, argv, lens, 1u << 3, &rep, err)))
        snprintf(outcome, cap, "%s", rep.n == 1 && rep.v[0] ? rep.v[0] : "?");
    cqe_redis_strs_free(&rep);
out:
    free(argv);
    free(lens);
    return rc;
}
