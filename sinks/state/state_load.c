/* Loading the state: SCAN every partition's state keys (on every master of a cluster),
 * read them with pipelined HGETALL / ZRANGE / SMEMBERS, and merge the cells into a memory
 * store — the same cells one memory store fed with every event holds. */
#include "state_redis_int.h"

#include <stdlib.h>
#include <string.h>

#define LOAD_KEYS 512 /* keys read per pipelined round trip */
#define BAD_VALUE 1   /* apply_element: a value that does not parse */

struct load {
    const char *ns;
    struct cqe_store *tmp;       /* filled by one attempt, merged on success */
    struct cqe_store *keys;      /* SCAN results, deduplicated (SCAN may repeat keys) */
    const char *const *prefixes; /* NULL: every state key; else those whose store key has */
    bool only;                   /* ... one of these prefixes (only) or none of them */
};

/* Whether the store key of pk is read by this load. */
static bool wanted(const struct load *l, const struct cqe_rkey_parsed *pk)
{
    if (!l->prefixes)
        return true;
    bool match = false;
    for (size_t i = 0; l->prefixes[i] && !match; i++) {
        size_t n = strlen(l->prefixes[i]);
        match = pk->skey_len >= n && !memcmp(pk->skey, l->prefixes[i], n) &&
                (pk->skey_len == n || pk->skey[n] == '|');
    }
    return match == l->only;
}

/* ---------------------------------------------------------------- one key's cells */

/* Applies one element (a: field or member; b: its value, NULL for a set) of a key of
 * kind k. Returns 0, a store error, or BAD_VALUE. */
static int apply_element(struct cqe_store *s, enum cqe_rkey_kind k, const char *skey, size_t sl,
                         const redisReply *a, const redisReply *b)
{
    int64_t i, ts;
    double d;
    const char *id, *val;
    size_t idn, valn;
    switch (k) {
    case CQE_RKEY_SUM:
    case CQE_RKEY_SUMHI:
        if (cqe_rargs_parse_i64(b->str, b->len, &i))
            return BAD_VALUE;
        return cqe_store_add(s, skey, sl, a->str, a->len,
                             k == CQE_RKEY_SUMHI ? (__int128)i * ((__int128)1 << 32) : (__int128)i);
    case CQE_RKEY_MAX:
    case CQE_RKEY_MIN:
        if (cqe_rargs_parse_dbl(b->str, b->len, &d))
            return BAD_VALUE;
        return k == CQE_RKEY_MAX ? cqe_store_max(s, skey, sl, a->str, a->len, d)
                                 : cqe_store_min(s, skey, sl, a->str, a->len, d);
    case CQE_RKEY_SET: return cqe_store_set_add(s, skey, sl, a->str, a->len);
    case CQE_RKEY_I64:
    case CQE_RKEY_RUNS: return BAD_VALUE; /* apply_dense, apply_days */
    case CQE_RKEY_RMIN:
    case CQE_RKEY_RMAX:
        if (cqe_rkey_reg_value_parse(b->str, b->len, &ts, &id, &idn, &val, &valn))
            return BAD_VALUE;
        return cqe_store_reg(s, k == CQE_RKEY_RMIN ? CQE_OP_REG_MIN : CQE_OP_REG_MAX, skey, sl, a->str,
                             a->len, ts, id, idn, val, valn);
    }
    return BAD_VALUE;
}

/* Applies the value v (n bytes) of a vector as the cell of store key (key, kl): dense
 * i64 entries, or runs. */
static int apply_vec_value(struct cqe_store *s, const struct cqe_rkey_parsed *pk, const char *key, size_t kl,
                           const char *v, size_t n, const char *rk, size_t rkl, struct cqe_err *err)
{
    struct cqe_cell c = {.key = key, .key_len = (uint32_t)kl, .op = CQE_OP_VEC};
    size_t fn;
    int rc = 0;
    if (cqe_rkey_vec_suffix_parse(pk, &c.vec_len, &c.field, &fn))
        return cqe_err_set(err, CQE_EIO, "redis key %.*s: the vector suffix is not <kind>|<length>|<field>",
                           (int)rkl, rk);
    c.field_len = (uint32_t)fn;
    if (!(c.vec = malloc((size_t)c.vec_len * sizeof *c.vec)))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory loading state");
    if (pk->kind == CQE_RKEY_I64 ? cqe_rkey_i64_parse((const unsigned char *)v, n, c.vec, c.vec_len)
                                 : cqe_rkey_runs_parse(v, n, c.vec, c.vec_len))
        rc = cqe_err_set(err, CQE_EIO, "redis key %.*s: the vector does not parse (%s)", (int)rkl, rk,
                         pk->kind == CQE_RKEY_I64 ? "big-endian int64 entries"
                                                  : "runs <count>*<e1>,...,<ew> joined by ';'");
    else if ((rc = cqe_store_apply_cell(s, &c)))
        cqe_err_set(err, rc, "out of memory loading state");
    free(c.vec);
    return rc;
}

/* Applies a dense vector's string (GET) as its cell. */
static int apply_dense(struct cqe_store *s, const struct cqe_rkey_parsed *pk, const redisReply *rep,
                       const char *rk, size_t rkl, struct cqe_err *err)
{
    if (rep->type == REDIS_REPLY_NIL)
        return 0; /* gone since the SCAN: nothing to read */
    if (rep->type != REDIS_REPLY_STRING)
        return cqe_err_set(err, CQE_EIO, "redis key %.*s: unexpected reply (type %d)", (int)rkl, rk,
                           rep->type);
    return apply_vec_value(s, pk, pk->skey, pk->skey_len, rep->str, rep->len, rk, rkl, err);
}

/* Applies a month's days of a vector kept as runs (HGETALL: field "DD", runs): day DD is
 * the cell of store key "<month key>-DD". */
static int apply_days(struct cqe_store *s, const struct cqe_rkey_parsed *pk, const redisReply *rep,
                      const char *rk, size_t rkl, struct cqe_err *err)
{
    int rc = 0;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2)
        return cqe_err_set(err, CQE_EIO, "redis key %.*s: unexpected reply (type %d)", (int)rkl, rk,
                           rep->type);
    char *key = malloc(pk->skey_len + 3);
    if (!key)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory loading state");
    memcpy(key, pk->skey, pk->skey_len);
    key[pk->skey_len] = '-';
    for (size_t i = 0; !rc && i < rep->elements; i += 2) {
        const redisReply *day = rep->element[i], *v = rep->element[i + 1];
        size_t month;
        if (day->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING || day->len != 2) {
            rc = cqe_err_set(err, CQE_EIO, "redis key %.*s: a field is not a day DD", (int)rkl, rk);
            break;
        }
        memcpy(key + pk->skey_len + 1, day->str, 2);
        if (cqe_rkey_split_day(key, pk->skey_len + 3, &month))
            rc = cqe_err_set(err, CQE_EIO, "redis key %.*s field %s: not a month key and a day", (int)rkl, rk,
                             day->str);
        else
            rc = apply_vec_value(s, pk, key, pk->skey_len + 3, v->str, v->len, rk, rkl, err);
    }
    free(key);
    return rc;
}

/* Applies one key's reply (HGETALL / ZRANGE WITHSCORES / SMEMBERS / GET) into the store. */
static int apply_key(struct cqe_store *s, const struct cqe_rkey_parsed *pk, const redisReply *rep,
                     const char *rk, size_t rkl, struct cqe_err *err)
{
    int rc = 0;
    if (pk->kind == CQE_RKEY_I64)
        return apply_dense(s, pk, rep, rk, rkl, err);
    if (pk->kind == CQE_RKEY_RUNS)
        return apply_days(s, pk, rep, rk, rkl, err);
    if (rep->type != REDIS_REPLY_ARRAY)
        return cqe_err_set(err, CQE_EIO, "redis key %.*s: unexpected reply (type %d)", (int)rkl, rk,
                           rep->type);
    bool pairs = pk->kind != CQE_RKEY_SET;
    if (pairs && rep->elements % 2)
        return cqe_err_set(err, CQE_EIO, "redis key %.*s: odd reply", (int)rkl, rk);
    for (size_t i = 0; !rc && i < rep->elements; i += pairs ? 2 : 1) {
        const redisReply *a = rep->element[i], *b = pairs ? rep->element[i + 1] : NULL;
        if (a->type != REDIS_REPLY_STRING || (b && b->type != REDIS_REPLY_STRING))
            return cqe_err_set(err, CQE_EIO, "redis key %.*s: unexpected element", (int)rkl, rk);
        rc = apply_element(s, (enum cqe_rkey_kind)pk->kind, pk->skey, pk->skey_len, a, b);
    }
    if (rc == BAD_VALUE)
        return cqe_err_set(err, CQE_EIO, "redis key %.*s: a value does not parse", (int)rkl, rk);
    return rc ? cqe_err_set(err, rc, "out of memory loading state") : 0;
}

/* ---------------------------------------------------------------- reading keys */

/* Appends the read of state key k: ZRANGE WITHSCORES (max, min), SMEMBERS (set),
 * HGETALL (the hashes, runs by day) or GET (dense vectors). */
static int send_read(struct cqe_redis *r, const struct cqe_rkey_parsed *pk, const char *k, size_t kn,
                     struct cqe_err *err)
{
    cqe_rargs_reset(&r->a);
    switch (pk->kind) {
    case CQE_RKEY_MAX:
    case CQE_RKEY_MIN: cqe_rargs_cstr(&r->a, "ZRANGE"); break;
    case CQE_RKEY_SET: cqe_rargs_cstr(&r->a, "SMEMBERS"); break;
    case CQE_RKEY_I64: cqe_rargs_cstr(&r->a, "GET"); break;
    case CQE_RKEY_RUNS:
    case CQE_RKEY_SUM:
    case CQE_RKEY_SUMHI:
    case CQE_RKEY_RMIN:
    case CQE_RKEY_RMAX: cqe_rargs_cstr(&r->a, "HGETALL"); break;
    default:
        return cqe_err_set(err, CQE_EIO, "redis key %.*s: unknown kind '%.*s'", (int)kn, k, (int)pk->sfx_len,
                           pk->sfx);
    }
    cqe_rargs_ref(&r->a, k, kn);
    if (pk->kind == CQE_RKEY_MAX || pk->kind == CQE_RKEY_MIN) {
        cqe_rargs_cstr(&r->a, "0");
        cqe_rargs_cstr(&r->a, "-1");
        cqe_rargs_cstr(&r->a, "WITHSCORES");
    }
    return cqe_rconn_send(r, err);
}

/* Reads a batch of keys with one pipelined round trip and applies them; meta keys and
 * keys of other shapes are skipped. */
static int load_batch(struct cqe_redis *r, struct load *l, const char **k, const size_t *kn, size_t count,
                      struct cqe_err *err)
{
    int rc = 0;
    size_t sent = 0, got = 0;
    struct cqe_rkey_parsed pk[LOAD_KEYS];
    bool state[LOAD_KEYS];
    for (size_t i = 0; i < count; i++) {
        if (!(state[i] = cqe_rkey_parse(l->ns, k[i], kn[i], &pk[i]) && wanted(l, &pk[i])))
            continue;
        if ((rc = send_read(r, &pk[i], k[i], kn[i], err))) {
            cqe_rconn_drop(r);
            return rc;
        }
        sent++;
    }
    for (size_t i = 0; i < count; i++) {
        if (!state[i])
            continue;
        redisReply *rep = NULL;
        if ((rc = cqe_rconn_reply(r, &rep, got == 0, err)))
            return rc;
        got++;
        if (rep->type == REDIS_REPLY_ERROR)
            rc = cqe_rconn_reply_error(r, rep, "a read", err);
        else
            rc = apply_key(l->tmp, &pk[i], rep, k[i], kn[i], err);
        freeReplyObject(rep);
        if (rc) {
            int d = cqe_rconn_drain(r, sent - got, NULL);
            return d ? d : rc;
        }
    }
    return 0;
}

int cqe_redis_scan_page(struct cqe_redis *r, const char *ns, char cursor[32], redisReply **keys,
                        struct cqe_err *err)
{
    redisReply *rep = NULL;
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "SCAN");
    cqe_rargs_cstr(&r->a, cursor);
    cqe_rargs_cstr(&r->a, "MATCH");
    cqe_rkey_scan_pattern(&r->a, ns);
    cqe_rargs_cstr(&r->a, "COUNT");
    cqe_rargs_cstr(&r->a, "1000");
    int rc = cqe_rconn_call(r, "SCAN", &rep, err);
    if (rc)
        return rc;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 || rep->element[0]->type != REDIS_REPLY_STRING ||
        rep->element[0]->len >= 32 || rep->element[1]->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(rep);
        return cqe_err_set(err, CQE_EIO, "redis: unexpected SCAN reply");
    }
    memcpy(cursor, rep->element[0]->str, rep->element[0]->len);
    cursor[rep->element[0]->len] = 0;
    *keys = rep;
    return 0;
}

/* SCANs the namespace's partition keys into l->keys. */
static int scan_keys(struct cqe_redis *r, struct load *l, struct cqe_err *err)
{
    char cursor[32] = "0";
    int rc = 0;
    do {
        redisReply *rep = NULL;
        if ((rc = cqe_redis_scan_page(r, l->ns, cursor, &rep, err)))
            return rc;
        const redisReply *ks = rep->element[1];
        for (size_t i = 0; !rc && i < ks->elements; i++)
            if (ks->element[i]->type == REDIS_REPLY_STRING &&
                cqe_store_set_add(l->keys, "k", 1, ks->element[i]->str, ks->element[i]->len))
                rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        freeReplyObject(rep);
    } while (!rc && strcmp(cursor, "0"));
    return rc;
}

int cqe_rload_scan(struct cqe_redis *r, const char *ns, struct cqe_store *keys, struct cqe_err *err)
{
    struct load l = {ns, NULL, keys, NULL, false};
    cqe_store_clear(keys);
    return scan_keys(r, &l, err);
}

struct key_list {
    const char **k;
    size_t *n;
    size_t count;
};

static int collect_key(const struct cqe_cell *c, void *arg)
{
    struct key_list *b = arg;
    b->k[b->count] = c->field;
    b->n[b->count] = c->field_len;
    b->count++;
    return 0;
}

/* SCANs the current node and reads the keys it holds. */
static int load_node(struct cqe_redis *r, struct load *l, struct cqe_err *err)
{
    cqe_store_clear(l->keys);
    int rc = scan_keys(r, l, err);
    if (rc)
        return rc;
    size_t n = cqe_store_cells(l->keys);
    struct key_list all = {calloc(n ? n : 1, sizeof *all.k), calloc(n ? n : 1, sizeof *all.n), 0};
    if (!all.k || !all.n) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    cqe_store_each(l->keys, collect_key, &all);
    for (size_t i = 0; !rc && i < all.count; i += LOAD_KEYS)
        rc = load_batch(r, l, all.k + i, all.n + i, all.count - i < LOAD_KEYS ? all.count - i : LOAD_KEYS,
                        err);
out:
    free(all.k);
    free(all.n);
    return rc;
}

/* Every master in turn; a cluster whose slots moved meanwhile is read again. */
static int load_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct load *l = arg;
    uint64_t layout = 0;
    cqe_store_clear(l->tmp);
    int rc = cqe_rconn_layout(r, &layout, false, err);
    for (int m = 0; !rc && m < cqe_rconn_masters(r); m++)
        if (!(rc = cqe_rconn_route_master(r, m, err)))
            rc = load_node(r, l, err);
    return rc ? rc : cqe_rconn_layout(r, &layout, true, err);
}

int cqe_redis_load_state(struct cqe_redis *r, const char *ns, struct cqe_store *into, struct cqe_err *err)
{
    return cqe_redis_load_state_part(r, ns, into, NULL, false, err);
}

int cqe_redis_load_state_part(struct cqe_redis *r, const char *ns, struct cqe_store *into,
                              const char *const *prefixes, bool only, struct cqe_err *err)
{
    struct load l = {ns, NULL, NULL, prefixes, only};
    int rc = cqe_rkey_check_ns(ns, err);
    if (rc || (rc = cqe_redis_check_format(r, ns, false, err)))
        return rc;
    l.tmp = cqe_store_new();
    l.keys = cqe_store_new();
    if (!l.tmp || !l.keys) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = cqe_rconn_retry(r, load_attempt, &l, err)))
        goto out;
    if ((rc = cqe_store_merge(into, l.tmp)))
        cqe_err_set(err, rc, "out of memory merging state");
out:
    cqe_store_free(l.tmp);
    cqe_store_free(l.keys);
    return rc;
}
