/* The flush of a partition (docs/state.md, "The transaction"): WATCH and read its
 * position, then MULTI, every cell of the delta, the position, the new duplicate ids and
 * the counts, EXEC — so a retried flush is applied once, never twice nor in part. */
#include "state_redis_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct flush {
    int partition;
    const char *position;
    const char **ids;
    const size_t *id_lens;
    size_t n_ids;
    int64_t window;
    const struct cqe_redis_counts *counts;
    const struct cqe_cell **cells; /* sorted by op, key, field */
    size_t n_cells;
    struct cqe_rkey_prefix prefix;
    bool any_reg;
};

/* ---------------------------------------------------------------- known positions */

const char *cqe_redis_known_pos(const struct cqe_redis *r, int p, bool *set)
{
    *set = (size_t)p < r->n_known && r->known_set[p];
    return *set ? r->known[p] : NULL;
}

int cqe_redis_set_known(struct cqe_redis *r, int p, const char *pos)
{
    if ((size_t)p >= r->n_known) {
        size_t n = (size_t)p + 1;
        char **k = realloc(r->known, n * sizeof *k);
        if (k)
            r->known = k;
        bool *s = realloc(r->known_set, n * sizeof *s);
        if (s)
            r->known_set = s;
        if (!k || !s)
            return CQE_ENOMEM;
        for (size_t i = r->n_known; i < n; i++) {
            r->known[i] = NULL;
            r->known_set[i] = false;
        }
        r->n_known = n;
    }
    char *copy = NULL;
    if (pos && !(copy = strdup(pos)))
        return CQE_ENOMEM;
    free(r->known[p]);
    r->known[p] = copy;
    r->known_set[p] = true;
    return 0;
}

/* ---------------------------------------------------------------- the delta's cells */

static int cmp_bytes(const char *a, size_t la, const char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

static int cmp_cell(const void *x, const void *y)
{
    const struct cqe_cell *a = *(const struct cqe_cell *const *)x;
    const struct cqe_cell *b = *(const struct cqe_cell *const *)y;
    if (a->op != b->op)
        return a->op < b->op ? -1 : 1;
    int c = cmp_bytes(a->key, a->key_len, b->key, b->key_len);
    return c ? c : cmp_bytes(a->field, a->field_len, b->field, b->field_len);
}

struct collect {
    const struct cqe_cell **v;
    size_t n;
};

static int collect_cell(const struct cqe_cell *c, void *arg)
{
    struct collect *col = arg;
    col->v[col->n++] = c;
    return 0;
}

static bool same_key(const struct cqe_cell *a, const struct cqe_cell *b)
{
    return a->op == b->op && a->key_len == b->key_len && !memcmp(a->key, b->key, a->key_len);
}

static bool is_reg(const struct cqe_cell *c)
{
    return c->op == CQE_OP_REG_MIN || c->op == CQE_OP_REG_MAX;
}

/* Appends the state key of cell c (kept as kind k) to the command being built. */
static void state_key(struct cqe_redis *r, const struct flush *f, const struct cqe_cell *c,
                      enum cqe_rkey_kind k)
{
    cqe_rkey_state(&r->a, &f->prefix, c->key, c->key_len, k);
}

/* Splits an int128 into hi·2^32 + lo with 0 <= lo < 2^32; false when hi leaves int64. */
static bool split_sum(__int128 v, int64_t *hi, int64_t *lo)
{
    __int128 l = v & (__int128)0xffffffff;
    __int128 h = (v - l) / ((__int128)1 << 32);
    if (h > INT64_MAX || h < INT64_MIN)
        return false;
    *hi = (int64_t)h;
    *lo = (int64_t)l;
    return true;
}

/* Sends the command built in r->a as one more of the transaction's *sent commands. */
static int queue(struct cqe_redis *r, size_t *sent, struct cqe_err *err)
{
    int rc = cqe_rconn_send(r, err);
    if (!rc)
        (*sent)++;
    return rc;
}

/* Appends HINCRBY of the cell's key kept as kind k by `by`: on the cell's field, or,
 * when vec_idx >= 0, on the field of that vector entry. */
static int send_hincrby(struct cqe_redis *r, const struct flush *f, const struct cqe_cell *c,
                        enum cqe_rkey_kind k, int64_t vec_idx, int64_t by, size_t *sent, struct cqe_err *err)
{
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "HINCRBY");
    state_key(r, f, c, k);
    if (vec_idx >= 0)
        cqe_rkey_vec_field(&r->a, c->vec_len, (uint32_t)vec_idx, c->field, c->field_len);
    else
        cqe_rargs_ref(&r->a, c->field, c->field_len);
    cqe_rargs_i64(&r->a, by);
    return queue(r, sent, err);
}

/* HINCRBY of one sum: the low part always (so the field exists), the high part when not 0. */
static int send_sum(struct cqe_redis *r, const struct flush *f, const struct cqe_cell *c, size_t *sent,
                    struct cqe_err *err)
{
    int64_t hi, lo;
    if (!split_sum(c->sum, &hi, &lo))
        return cqe_err_set(err, CQE_EINVAL, "sum %.*s %.*s beyond 2^95", (int)c->key_len, c->key,
                           (int)c->field_len, c->field);
    int rc = send_hincrby(r, f, c, CQE_RKEY_SUM, -1, lo, sent, err);
    if (!rc && hi)
        rc = send_hincrby(r, f, c, CQE_RKEY_SUMHI, -1, hi, sent, err);
    return rc;
}

/* One ZADD GT|LT (max, min) or SADD (set) for up to CQE_REDIS_BATCH cells of one key
 * from cells[i]; *next is the first cell not sent. */
static int send_members(struct cqe_redis *r, const struct flush *f, size_t i, size_t *next, size_t *sent,
                        struct cqe_err *err)
{
    const struct cqe_cell *c = f->cells[i];
    bool set = c->op == CQE_OP_SET;
    size_t j;
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, set ? "SADD" : "ZADD");
    state_key(r, f, c, cqe_rkey_kind_of(c->op));
    if (!set)
        cqe_rargs_cstr(&r->a, c->op == CQE_OP_MAX ? "GT" : "LT");
    for (j = i; j < f->n_cells && j - i < CQE_REDIS_BATCH && same_key(c, f->cells[j]); j++) {
        if (!set && isnan(f->cells[j]->d))
            return cqe_err_set(err, CQE_EINVAL, "NaN in %.*s", (int)c->key_len, c->key);
        if (!set)
            cqe_rargs_dbl(&r->a, f->cells[j]->d);
        cqe_rargs_ref(&r->a, f->cells[j]->field, f->cells[j]->field_len);
    }
    *next = j;
    return queue(r, sent, err);
}

/* One HINCRBY per non-zero entry of a vector: commands grow with the minutes touched. */
static int send_vec(struct cqe_redis *r, const struct flush *f, const struct cqe_cell *c, size_t *sent,
                    struct cqe_err *err)
{
    int rc = 0;
    for (uint32_t v = 0; !rc && v < c->vec_len; v++)
        if (c->vec[v])
            rc = send_hincrby(r, f, c, CQE_RKEY_VEC, v, c->vec[v], sent, err);
    return rc;
}

/* One EVALSHA of the register script for a run of up to CQE_REDIS_BATCH register cells
 * from cells[i]: keys first, then op / field / record per cell. */
static int send_regs(struct cqe_redis *r, const struct flush *f, size_t i, size_t *next, size_t *sent,
                     struct cqe_err *err)
{
    size_t j = i;
    while (j < f->n_cells && j - i < CQE_REDIS_BATCH && is_reg(f->cells[j]))
        j++;
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "EVALSHA");
    cqe_rargs_cstr(&r->a, r->sha);
    cqe_rargs_i64(&r->a, (long long)(j - i));
    for (size_t k = i; k < j; k++)
        state_key(r, f, f->cells[k], cqe_rkey_kind_of(f->cells[k]->op));
    for (size_t k = i; k < j; k++) {
        const struct cqe_cell *g = f->cells[k];
        cqe_rargs_cstr(&r->a, g->op == CQE_OP_REG_MIN ? "<" : ">");
        cqe_rargs_ref(&r->a, g->field, g->field_len);
        cqe_rkey_reg_value(&r->a, g->reg_ts, g->reg_id, g->reg_id_len, g->reg_val, g->reg_val_len);
    }
    *next = j;
    return queue(r, sent, err);
}

/* Appends the commands of every cell (between MULTI and the position); the mid-pipeline
 * fault point fires once half of the cells are written. */
static int send_cells(struct cqe_redis *r, const struct flush *f, size_t *sent, struct cqe_err *err)
{
    bool half = false;
    int rc = 0;
    for (size_t i = 0; !rc && i < f->n_cells;) {
        const struct cqe_cell *c = f->cells[i];
        size_t j = i + 1;
        switch (c->op) {
        case CQE_OP_SUM: rc = send_sum(r, f, c, sent, err); break;
        case CQE_OP_MAX:
        case CQE_OP_MIN:
        case CQE_OP_SET: rc = send_members(r, f, i, &j, sent, err); break;
        case CQE_OP_VEC: rc = send_vec(r, f, c, sent, err); break;
        case CQE_OP_REG_MIN:
        case CQE_OP_REG_MAX: rc = send_regs(r, f, i, &j, sent, err); break;
        }
        i = j;
        if (!rc && !half && i * 2 >= f->n_cells) {
            half = true;
            cqe_rconn_fault(r, CQE_FAULT_MID_PIPELINE);
        }
    }
    if (!rc && !half)
        cqe_rconn_fault(r, CQE_FAULT_MID_PIPELINE);
    return rc;
}

/* ---------------------------------------------------------------- the partition's meta */

/* RPUSH the new duplicate ids (the last `window` of them) and LTRIM the list to window. */
static int send_ids(struct cqe_redis *r, const struct flush *f, size_t *sent, struct cqe_err *err)
{
    int rc;
    if (f->window <= 0 || !f->n_ids)
        return 0;
    size_t first = f->n_ids > (size_t)f->window ? f->n_ids - (size_t)f->window : 0;
    for (size_t i = first; i < f->n_ids; i += CQE_REDIS_BATCH) {
        cqe_rargs_reset(&r->a);
        cqe_rargs_cstr(&r->a, "RPUSH");
        cqe_rkey_meta(&r->a, &f->prefix, CQE_RKEY_DEDUP);
        for (size_t k = i; k < f->n_ids && k - i < CQE_REDIS_BATCH; k++)
            cqe_rargs_ref(&r->a, f->ids[k], f->id_lens[k]);
        if ((rc = queue(r, sent, err)))
            return rc;
    }
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "LTRIM");
    cqe_rkey_meta(&r->a, &f->prefix, CQE_RKEY_DEDUP);
    cqe_rargs_i64(&r->a, -(long long)f->window);
    cqe_rargs_cstr(&r->a, "-1");
    if ((rc = queue(r, sent, err)))
        return rc;
    return 0;
}

/* Appends position, dedup ids and counts (the partition's meta keys). */
static int send_meta(struct cqe_redis *r, const struct flush *f, size_t *sent, struct cqe_err *err)
{
    int rc;
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "SET");
    cqe_rkey_meta(&r->a, &f->prefix, CQE_RKEY_POS);
    cqe_rargs_cstr(&r->a, f->position);
    if ((rc = queue(r, sent, err)))
        return rc;
    if ((rc = send_ids(r, f, sent, err)))
        return rc;
    for (int i = 0; f->counts && i < CQE_RKEY_COUNTS; i++) {
        int64_t v = cqe_rkey_count_get(f->counts, i);
        if (!v)
            continue;
        cqe_rargs_reset(&r->a);
        cqe_rargs_cstr(&r->a, "HINCRBY");
        cqe_rkey_meta(&r->a, &f->prefix, CQE_RKEY_COUNT);
        cqe_rargs_cstr(&r->a, cqe_rkey_count_field(i));
        cqe_rargs_i64(&r->a, v);
        if ((rc = queue(r, sent, err)))
            return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------- one attempt */

/* What the partition's position says before the transaction. */
enum held { HELD_PREVIOUS, HELD_APPLIED, HELD_LOST };

/* Appends "<verb> <the partition's position key>". */
static int send_pos_cmd(struct cqe_redis *r, const struct flush *f, const char *verb, struct cqe_err *err)
{
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, verb);
    cqe_rkey_meta(&r->a, &f->prefix, CQE_RKEY_POS);
    return cqe_rconn_send(r, err);
}

/* WATCH the position and read it: the one being written means an earlier attempt's EXEC
 * was applied; anything but the one this handle last knew means acknowledged state was
 * lost (err says so). */
static int watch_position(struct cqe_redis *r, const struct flush *f, enum held *held, struct cqe_err *err)
{
    redisReply *rep = NULL;
    int rc;
    if ((rc = send_pos_cmd(r, f, "WATCH", err)) || (rc = send_pos_cmd(r, f, "GET", err)))
        return rc;
    if ((rc = cqe_rconn_reply(r, &rep, true, err)))
        return rc;
    if (rep->type == REDIS_REPLY_ERROR) {
        rc = cqe_rconn_reply_error(r, rep, "WATCH", err);
        freeReplyObject(rep);
        int d = cqe_rconn_drain(r, 1, NULL);
        return d ? d : rc;
    }
    freeReplyObject(rep);
    if ((rc = cqe_rconn_reply(r, &rep, false, err)))
        return rc;
    if (rep->type == REDIS_REPLY_ERROR) {
        rc = cqe_rconn_reply_error(r, rep, "GET", err);
        freeReplyObject(rep);
        return rc;
    }
    bool has = rep->type == REDIS_REPLY_STRING, set;
    const char *known = cqe_redis_known_pos(r, f->partition, &set);
    *held = HELD_PREVIOUS;
    if (!has && cqe_rconn_asking(r)) { /* the position may not have moved yet: ask its owner */
        freeReplyObject(rep);
        cqe_err_set(err, CQE_EUNAVAIL, "redis cluster: partition %d is being migrated", f->partition);
        r->redirected = CQE_REDIRECT_WAIT;
        return CQE_RETRY;
    }
    if (has && !strcmp(rep->str, f->position))
        *held = HELD_APPLIED;
    else if (set && (known ? !has || strcmp(rep->str, known) : has)) {
        *held = HELD_LOST;
        cqe_err_set(err, CQE_EIO,
                    "redis %s:%d: partition %d holds position %s where %s was expected: Redis "
                    "lost acknowledged state (run it with appendfsync always) or another process "
                    "writes this namespace; start again from an empty database",
                    r->host, r->port, f->partition, has ? rep->str : "(none)", known ? known : "(none)");
    }
    freeReplyObject(rep);
    return 0;
}

/* MULTI, checked alone: commands refused a transaction must not run outside one. */
static int begin(struct cqe_redis *r, struct cqe_err *err)
{
    redisReply *rep = NULL;
    int rc = cqe_rconn_send_strs(r, err, "MULTI", (const char *)NULL);
    if (rc || (rc = cqe_rconn_reply(r, &rep, true, err)))
        return rc;
    if (rep->type != REDIS_REPLY_STATUS)
        rc = rep->type == REDIS_REPLY_ERROR ? cqe_rconn_reply_error(r, rep, "MULTI", err)
                                            : cqe_err_set(err, CQE_EIO, "redis: unexpected MULTI reply");
    freeReplyObject(rep);
    return rc;
}

/* Checks EXEC's reply: NIL (the WATCH fired) is retried, an error (EXECABORT: nothing
 * applied) is classified by the first queued error, an error element means Redis applied
 * the transaction in part. */
static int check_exec(struct cqe_redis *r, const struct flush *f, const redisReply *rep, size_t sent,
                      const char *first_err, struct cqe_err *err)
{
    if (rep->type == REDIS_REPLY_NIL) {
        cqe_err_set(err, CQE_EUNAVAIL, "redis: partition %d position changed during the flush", f->partition);
        return CQE_RETRY;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        const char *why = first_err[0] ? first_err : rep->str;
        int code, rc = cqe_rconn_classify(r, why, &code);
        cqe_err_set(err, code, "redis %s:%d refused the transaction of partition %d: %s", r->host, r->port,
                    f->partition, why);
        return rc;
    }
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != sent)
        return cqe_err_set(err, CQE_EIO, "redis: unexpected EXEC reply for partition %d", f->partition);
    for (size_t i = 0; i < rep->elements; i++) {
        const redisReply *e = rep->element[i];
        if (e->type == REDIS_REPLY_ERROR)
            return cqe_err_set(err, CQE_EIO,
                               "redis %s:%d applied the transaction of partition %d in part "
                               "(command %zu: %.*s): the state is no longer exact",
                               r->host, r->port, f->partition, i + 1, (int)(e->len < 300 ? e->len : 300),
                               e->str);
    }
    return 0;
}

/* EXEC, then the replies of the `sent` queued commands and of EXEC itself. */
static int commit(struct cqe_redis *r, const struct flush *f, size_t sent, struct cqe_err *err)
{
    redisReply *rep = NULL;
    char first_err[320] = "";
    int rc = cqe_rconn_send_strs(r, err, "EXEC", (const char *)NULL);
    if (rc)
        return rc;
    for (size_t i = 0; i < sent; i++) {
        if ((rc = cqe_rconn_reply(r, &rep, i == 0, err)))
            return rc;
        if (rep->type == REDIS_REPLY_ERROR && !first_err[0])
            snprintf(first_err, sizeof first_err, "%.*s", (int)(rep->len < 300 ? rep->len : 300), rep->str);
        freeReplyObject(rep);
    }
    if ((rc = cqe_rconn_reply(r, &rep, false, err)))
        return rc;
    rc = check_exec(r, f, rep, sent, first_err, err);
    freeReplyObject(rep);
    return rc;
}

/* One attempt: the position check, then MULTI, the commands, EXEC. The WATCH makes a
 * late EXEC of a dropped connection fail instead of applying twice. */
static int flush_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct flush *f = arg;
    redisReply *rep = NULL;
    enum held held = HELD_PREVIOUS;
    int rc = cqe_rconn_route(r, cqe_rconn_prefix_slot(&f->prefix), true, err);
    if (rc || (rc = watch_position(r, f, &held, err)))
        return rc;
    if (held != HELD_PREVIOUS) {
        rc = cqe_rconn_send_strs(r, err, "UNWATCH", (const char *)NULL);
        if (!rc && !(rc = cqe_rconn_reply(r, &rep, true, err)))
            freeReplyObject(rep);
        if (rc == CQE_RETRY && held == HELD_APPLIED)
            rc = 0; /* the state is in; the connection is re-opened next time */
        return held == HELD_LOST ? CQE_EIO : rc;
    }
    if ((rc = begin(r, err)))
        return rc;
    size_t sent = 0;
    if (f->any_reg) { /* in the transaction, so EVALSHA cannot meet an empty script cache */
        cqe_rargs_reset(&r->a);
        cqe_reg_script_load(&r->a);
        if ((rc = queue(r, &sent, err)))
            return rc;
    }
    if ((rc = send_cells(r, f, &sent, err)) || (rc = send_meta(r, f, &sent, err))) {
        cqe_rconn_drop(r); /* half-built pipeline: discard it with the connection */
        return rc;
    }
    cqe_rconn_fault(r, CQE_FAULT_BEFORE_EXEC);
    if ((rc = commit(r, f, sent, err)))
        return rc;
    cqe_rconn_fault(r, CQE_FAULT_AFTER_EXEC);
    return 0;
}

int cqe_redis_flush_partition(struct cqe_redis *r, const char *ns, int partition,
                              const struct cqe_store *delta, const char *position, const char **new_dedup_ids,
                              const size_t *id_lens, size_t n_ids, int64_t dedup_window,
                              const struct cqe_redis_counts *counts, struct cqe_err *err)
{
    struct flush f = {.partition = partition,
                      .position = position,
                      .ids = new_dedup_ids,
                      .id_lens = id_lens,
                      .n_ids = n_ids,
                      .window = dedup_window,
                      .counts = counts};
    int rc = cqe_rkey_prefix(&f.prefix, ns, partition, err);
    if (rc)
        return rc;
    if (!position || !*position)
        return cqe_err_set(err, CQE_EINVAL, "redis flush: empty position");
    size_t n = cqe_store_cells(delta);
    struct collect col = {calloc(n ? n : 1, sizeof *col.v), 0};
    if (!col.v)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    cqe_store_each(delta, collect_cell, &col);
    qsort(col.v, col.n, sizeof *col.v, cmp_cell);
    f.cells = col.v;
    f.n_cells = col.n;
    for (size_t i = 0; i < col.n; i++)
        f.any_reg = f.any_reg || is_reg(col.v[i]);
    if (!(rc = cqe_rconn_retry(r, flush_attempt, &f, err)) &&
        (rc = cqe_redis_set_known(r, partition, position)))
        cqe_err_set(err, rc, "out of memory");
    if (!rc)
        r->flushes++;
    free(col.v);
    return rc;
}
