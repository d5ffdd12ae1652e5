/* The flush of a partition (docs/state.md, "The flush script"): the delta's cells packed
 * into groups, one per Redis key, and sent with the expected and new positions, the new
 * duplicate-id fingerprints and the counts in one EVALSHA, which applies all or nothing. */
#include "state_redis_int.h"

#include "family.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The cells of one Redis key and how the script applies them: 'h' HINCRBY pairs, 'g' / 'l'
 * ZADD GT / LT pairs, 's' SADD members, '<' / '>' register pairs, 'b' "INCRBY i64 #<index>
 * <delta>" quadruples of a dense vector (BITFIELD's arguments), 'r' (day, runs) pairs of
 * the days of a month of a vector kept as runs. */
struct group {
    const struct cqe_cell *const *c; /* the key's cells (a run of the sorted cells) */
    size_t n;                        /* cells */
    enum cqe_rkey_kind kind;
    char op;
    size_t items;   /* pairs or members the script receives */
    uint32_t width; /* 'r': the run width */
};

struct flush {
    int partition;
    const char *position, *expected; /* expected "" = none */
    const char *chunk;               /* the new fingerprints, 8 bytes each, little-endian */
    size_t chunk_len;
    int64_t window;
    const struct cqe_redis_counts *counts;
    int64_t forgotten;
    const struct cqe_cell **cells; /* sorted by op, key, field */
    size_t n_cells;
    struct group *groups;
    size_t n_groups;
    struct cqe_rkey_prefix prefix;
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

/* ---------------------------------------------------------------- the delta's groups */

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

/* The run width of vector cell c when its family keeps it as runs, else 0. */
static uint32_t run_width(const struct cqe_cell *c)
{
    return c->op == CQE_OP_VEC ? cqe_family_vec_run_width(c->key, c->key_len) : 0;
}

/* The length of the part of c's store key that names its Redis key: a run vector's key
 * without its day ("-DD"), so the days of a month share one hash. */
static size_t rkey_len(const struct cqe_cell *c)
{
    size_t month;
    return run_width(c) && !cqe_rkey_split_day(c->key, c->key_len, &month) ? month : c->key_len;
}

/* Whether two cells share a Redis key: the same op and store key; a dense vector has a
 * key of its own, run vectors share their month's hash (same month key, length, field). */
static bool same_key(const struct cqe_cell *a, const struct cqe_cell *b)
{
    if (a->op != b->op)
        return false;
    if (a->op != CQE_OP_VEC)
        return a->key_len == b->key_len && !memcmp(a->key, b->key, a->key_len);
    size_t la = rkey_len(a);
    return run_width(a) && run_width(b) && la == rkey_len(b) && la < a->key_len &&
           !memcmp(a->key, b->key, la) && a->vec_len == b->vec_len && a->field_len == b->field_len &&
           !memcmp(a->field, b->field, a->field_len);
}

/* Whether every entry of vector cell c is 0. */
static bool vec_zero(const struct cqe_cell *c)
{
    uint32_t pos = 0, i;
    int64_t v;
    return !cqe_vec_next(c, &pos, &i, &v);
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

static void add_group(struct flush *f, const struct cqe_cell *const *c, size_t n, enum cqe_rkey_kind kind,
                      char op, size_t items)
{
    f->groups[f->n_groups++] = (struct group){c, n, kind, op, items, 0};
}

/* The group of the vector cells c[0..n) of one Redis key: a dense cell's non-zero
 * entries as BITFIELD quadruples, or the days of a month kept as runs, each day with a
 * non-zero delta as (day, runs); none when every entry is 0. */
static int group_vec(struct flush *f, const struct cqe_cell *const *c, size_t n, struct cqe_err *err)
{
    uint32_t w = run_width(c[0]);
    size_t entries = 0, days = 0, month;
    for (size_t k = 0; k < n; k++) {
        const struct cqe_cell *v = c[k];
        size_t nz = 0;
        if (v->field_len && memchr(v->field, ':', v->field_len))
            return cqe_err_set(err, CQE_EINVAL, "vector %.*s field '%.*s': a vector field holds no ':'",
                               (int)v->key_len, v->key, (int)v->field_len, v->field);
        if (w && cqe_rkey_split_day(v->key, v->key_len, &month))
            return cqe_err_set(err, CQE_EINVAL,
                               "vector %.*s: a vector kept as runs needs a store key ending with a "
                               "date component |YYYY-MM-DD",
                               (int)v->key_len, v->key);
        if (w && v->vec_len % w)
            return cqe_err_set(err, CQE_EINVAL,
                               "vector %.*s: length %u is not a multiple of its run width %u",
                               (int)v->key_len, v->key, (unsigned)v->vec_len, (unsigned)w);
        uint32_t pos = 0, i;
        int64_t e;
        while (cqe_vec_next(v, &pos, &i, &e)) {
            nz++;
            if (w && (e > CQE_RKEY_RUN_MAX || e < -CQE_RKEY_RUN_MAX))
                return cqe_err_set(err, CQE_EINVAL,
                                   "vector %.*s entry %u: %lld is beyond 2^53, the exact range of its runs",
                                   (int)v->key_len, v->key, (unsigned)i, (long long)e);
        }
        entries += nz;
        days += nz != 0;
    }
    if (!entries)
        return 0;
    if (w) {
        add_group(f, c, n, CQE_RKEY_RUNS, 'r', days);
        f->groups[f->n_groups - 1].width = w;
    } else
        add_group(f, c, n, CQE_RKEY_I64, 'b', entries);
    return 0;
}

/* The groups of the run of cells c[0..n) of one key: a sum's low parts always (so the
 * field exists) and its high parts when any is not 0; a vector's non-zero entries. */
static int group_run(struct flush *f, const struct cqe_cell *const *c, size_t n, struct cqe_err *err)
{
    size_t his = 0;
    switch (c[0]->op) {
    case CQE_OP_SUM:
        for (size_t i = 0; i < n; i++) {
            int64_t hi, lo;
            if (!split_sum(c[i]->sum, &hi, &lo))
                return cqe_err_set(err, CQE_EINVAL, "sum %.*s %.*s beyond 2^95", (int)c[i]->key_len,
                                   c[i]->key, (int)c[i]->field_len, c[i]->field);
            his += hi != 0;
        }
        add_group(f, c, n, CQE_RKEY_SUM, 'h', n);
        if (his)
            add_group(f, c, n, CQE_RKEY_SUMHI, 'h', his);
        return 0;
    case CQE_OP_MAX:
    case CQE_OP_MIN:
        for (size_t i = 0; i < n; i++)
            if (isnan(c[i]->d))
                return cqe_err_set(err, CQE_EINVAL, "NaN in %.*s", (int)c[0]->key_len, c[0]->key);
        add_group(f, c, n, cqe_rkey_kind_of(c[0]->op), c[0]->op == CQE_OP_MAX ? 'g' : 'l', n);
        return 0;
    case CQE_OP_SET: add_group(f, c, n, CQE_RKEY_SET, 's', n); return 0;
    case CQE_OP_VEC: return group_vec(f, c, n, err);
    case CQE_OP_REG_MIN:
    case CQE_OP_REG_MAX:
        add_group(f, c, n, cqe_rkey_kind_of(c[0]->op), c[0]->op == CQE_OP_REG_MIN ? '<' : '>', n);
        return 0;
    }
    return cqe_err_set(err, CQE_EINVAL, "cell of unknown op %d", (int)c[0]->op);
}

static int make_groups(struct flush *f, struct cqe_err *err)
{
    int rc = 0;
    for (size_t i = 0, j; !rc && i < f->n_cells; i = j) {
        for (j = i + 1; j < f->n_cells && same_key(f->cells[i], f->cells[j]); j++)
            ;
        rc = group_run(f, f->cells + i, j - i, err);
    }
    return rc;
}

/* ---------------------------------------------------------------- the script call */

/* Appends a group's header argument "<op><items>". */
static void group_header(struct cqe_rargs *a, char op, size_t items)
{
    char h[24];
    int n = snprintf(h, sizeof h, "%c%zu", op, items);
    cqe_rargs_copy(a, h, (size_t)n);
}

/* Appends the day of run vector c (its hash field) and its runs of width w; the
 * entries are made dense for the encoding (a->oom when memory runs out). */
static void vec_runs(struct cqe_rargs *a, const struct cqe_cell *c, uint32_t w)
{
    int64_t *d = malloc((size_t)c->vec_len * sizeof *d);
    if (!d) {
        a->oom = 1;
        return;
    }
    cqe_vec_copy(c, d);
    cqe_rargs_ref(a, c->key + c->key_len - 2, 2);
    cqe_rkey_runs(a, d, c->vec_len, w);
    free(d);
}

static void group_args(struct cqe_rargs *a, const struct group *g)
{
    group_header(a, g->op, g->items);
    for (size_t i = 0; i < g->n; i++) {
        const struct cqe_cell *c = g->c[i];
        int64_t hi = 0, lo = 0;
        switch (g->kind) {
        case CQE_RKEY_SUM:
        case CQE_RKEY_SUMHI:
            split_sum(c->sum, &hi, &lo);
            if (g->kind == CQE_RKEY_SUMHI && !hi)
                break;
            cqe_rargs_ref(a, c->field, c->field_len);
            cqe_rargs_i64(a, g->kind == CQE_RKEY_SUM ? lo : hi);
            break;
        case CQE_RKEY_MAX:
        case CQE_RKEY_MIN:
            cqe_rargs_dbl(a, c->d);
            cqe_rargs_ref(a, c->field, c->field_len);
            break;
        case CQE_RKEY_SET: cqe_rargs_ref(a, c->field, c->field_len); break;
        case CQE_RKEY_I64: {
            uint32_t pos = 0, v;
            int64_t e;
            while (cqe_vec_next(c, &pos, &v, &e)) {
                cqe_rargs_cstr(a, "INCRBY");
                cqe_rargs_cstr(a, "i64");
                cqe_rkey_i64_offset(a, v);
                cqe_rargs_i64(a, e);
            }
            break;
        }
        case CQE_RKEY_RUNS:
            if (!vec_zero(c))
                vec_runs(a, c, g->width);
            break;
        case CQE_RKEY_RMIN:
        case CQE_RKEY_RMAX:
            cqe_rargs_ref(a, c->field, c->field_len);
            cqe_rkey_reg_value(a, c->reg_ts, c->reg_id, c->reg_id_len, c->reg_val, c->reg_val_len);
            break;
        }
    }
}

/* The counts group (on the count key): the non-zero deltas. */
static void counts_args(struct cqe_rargs *a, const struct cqe_redis_counts *c, int64_t forgotten)
{
    size_t n = forgotten != 0;
    for (int i = 0; c && i < CQE_RKEY_COUNTS; i++)
        n += cqe_rkey_count_get(c, i) != 0;
    for (int r = 0; c && r < CQE_R__COUNT; r++)
        n += c->by_reason[r] != 0;
    group_header(a, 'h', n);
    for (int i = 0; c && i < CQE_RKEY_COUNTS; i++)
        if (cqe_rkey_count_get(c, i)) {
            cqe_rargs_cstr(a, cqe_rkey_count_field(i));
            cqe_rargs_i64(a, cqe_rkey_count_get(c, i));
        }
    if (forgotten) {
        cqe_rargs_cstr(a, CQE_RKEY_COUNT_FORGOTTEN);
        cqe_rargs_i64(a, forgotten);
    }
    for (int r = 0; c && r < CQE_R__COUNT; r++)
        if (c->by_reason[r]) {
            cqe_rargs_cstr(a, cqe_reason_name((enum cqe_reason)r));
            cqe_rargs_i64(a, c->by_reason[r]);
        }
}

/* Builds in r->a: EVALSHA sha numkeys, the meta keys and one key per group, then the
 * positions, the chunk, the window, the counts group and the groups. */
static void build_call(struct cqe_redis *r, const struct flush *f)
{
    struct cqe_rargs *a = &r->a;
    cqe_rargs_reset(a);
    cqe_rargs_cstr(a, "EVALSHA");
    cqe_rargs_cstr(a, r->sha);
    cqe_rargs_i64(a, (long long)(3 + f->n_groups));
    cqe_rkey_meta(a, &f->prefix, CQE_RKEY_POS);
    cqe_rkey_meta(a, &f->prefix, CQE_RKEY_DEDUP);
    cqe_rkey_meta(a, &f->prefix, CQE_RKEY_COUNT);
    for (size_t g = 0; g < f->n_groups; g++) {
        const struct group *gr = &f->groups[g];
        const struct cqe_cell *c = gr->c[0];
        if (c->op == CQE_OP_VEC)
            cqe_rkey_vec_state(a, &f->prefix, c->key, rkey_len(c), gr->kind, c->vec_len, c->field,
                               c->field_len);
        else
            cqe_rkey_state(a, &f->prefix, c->key, c->key_len, gr->kind);
    }
    cqe_rargs_cstr(a, f->expected);
    cqe_rargs_cstr(a, f->position);
    cqe_rargs_ref(a, f->chunk, f->chunk_len);
    cqe_rargs_i64(a, f->window > 0 ? f->window : 0);
    counts_args(a, f->counts, f->forgotten);
    for (size_t g = 0; g < f->n_groups; g++)
        group_args(a, &f->groups[g]);
}

/* The fault points before the call is answered: the server receives half of the call's
 * bytes (mid_pipeline) or all but its final CRLF (before_exec), never a whole command. */
static void fault_partial(struct cqe_redis *r, enum cqe_redis_fault here)
{
    char *cmd = NULL;
    if (r->fault != here || r->flushes != r->fault_after || !r->c || cqe_rargs_resolve(&r->a))
        return;
    int len = redisFormatCommandArgv(&cmd, (int)r->a.n, r->a.pv, r->a.lv);
    size_t n = len <= 2 ? 0 : here == CQE_FAULT_MID_PIPELINE ? (size_t)len / 2 : (size_t)len - 2;
    for (size_t off = 0; off < n;) {
        ssize_t w = write(r->c->fd, cmd + off, n - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    _exit(77);
}

/* Sends the call and reads its reply; NOSCRIPT loads the script and sends it again. */
static int call_script(struct cqe_redis *r, const struct flush *f, redisReply **rep, struct cqe_err *err)
{
    for (int attempt = 0;; attempt++) {
        build_call(r, f);
        fault_partial(r, CQE_FAULT_MID_PIPELINE);
        fault_partial(r, CQE_FAULT_BEFORE_EXEC);
        int rc = cqe_rconn_send(r, err);
        if (rc || (rc = cqe_rconn_reply(r, rep, true, err)))
            return rc;
        if ((*rep)->type != REDIS_REPLY_ERROR)
            return 0;
        if (attempt || strncmp((*rep)->str, "NOSCRIPT", 8)) {
            rc = cqe_rconn_reply_error(r, *rep, "the flush script", err);
            freeReplyObject(*rep);
            *rep = NULL;
            return rc;
        }
        freeReplyObject(*rep);
        *rep = NULL;
        if ((rc = cqe_rconn_load_script(r, err)))
            return rc;
    }
}

/* One attempt. The script compares the held position with the expected one itself, so
 * a call of a dropped connection that the server runs late applies nothing twice. */
static int flush_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    const struct flush *f = arg;
    redisReply *rep = NULL;
    /* every key of the call shares the partition's hash tag: one slot, one node */
    int rc = cqe_rconn_route(r, cqe_rconn_prefix_slot(&f->prefix), true, err);
    if (!rc)
        rc = call_script(r, f, &rep, err);
    if (rc)
        return rc;
    long long code = -1;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
        rep->element[0]->type == REDIS_REPLY_INTEGER && rep->element[1]->type == REDIS_REPLY_STRING)
        code = rep->element[0]->integer;
    if (code == 2)
        rc = cqe_err_set(err, CQE_EIO,
                         "redis %s:%d: partition %d holds position %s where %s was expected: Redis "
                         "lost acknowledged state (run it with appendfsync always) or another process "
                         "writes this namespace; start again from an empty database",
                         r->host, r->port, f->partition,
                         rep->element[1]->len ? rep->element[1]->str : "(none)",
                         f->expected[0] ? f->expected : "(none)");
    else if (code != 0 && code != 1)
        rc = cqe_err_set(err, CQE_EIO, "redis: unexpected reply of the flush script for partition %d",
                         f->partition);
    freeReplyObject(rep);
    if (rc || code == 1) /* 1: an earlier attempt's call was applied */
        return rc;
    cqe_rconn_fault(r, CQE_FAULT_AFTER_EXEC);
    if (r->fault == CQE_FAULT_LOST_REPLY && r->flushes == r->fault_after) {
        r->fault = CQE_FAULT_NONE; /* once */
        cqe_rconn_drop(r);
        cqe_err_set(err, CQE_EUNAVAIL, "redis %s:%d: reply lost (test fault)", r->host, r->port);
        return CQE_RETRY;
    }
    return 0;
}

/* The fingerprints as the chunk the script stores: 8 bytes each, little-endian. */
static char *pack_fps(const uint64_t *fps, size_t n)
{
    char *b = malloc(n ? n * 8 : 1);
    for (size_t i = 0; b && i < n; i++)
        for (int k = 0; k < 8; k++)
            b[i * 8 + (size_t)k] = (char)(unsigned char)(fps[i] >> (8 * k));
    return b;
}

int cqe_redis_flush_partition(struct cqe_redis *r, const char *ns, int partition,
                              const struct cqe_store *delta, const char *position, const uint64_t *fps,
                              size_t n_fps, int64_t dedup_window, const struct cqe_redis_counts *counts,
                              int64_t forgotten, struct cqe_err *err)
{
    struct flush f = {.partition = partition,
                      .position = position,
                      .window = dedup_window,
                      .counts = counts,
                      .forgotten = forgotten};
    bool set;
    int rc = cqe_rkey_prefix(&f.prefix, ns, partition, err);
    if (rc)
        return rc;
    if (!position || !*position)
        return cqe_err_set(err, CQE_EINVAL, "redis flush: empty position");
    const char *known = cqe_redis_known_pos(r, partition, &set);
    if (!set)
        return cqe_err_set(err, CQE_EINVAL, "redis flush of partition %d before its position was loaded",
                           partition);
    f.expected = known ? known : "";
    if (dedup_window <= 0 || !fps)
        n_fps = 0;
    if (n_fps > (uint64_t)dedup_window) { /* only the last window can be remembered */
        fps += n_fps - (size_t)dedup_window;
        n_fps = (size_t)dedup_window;
    }
    size_t n = cqe_store_cells(delta);
    struct collect col = {calloc(n ? n : 1, sizeof *col.v), 0};
    f.groups = calloc(2 * n + 1, sizeof *f.groups); /* at most two groups (sum, sumhi) per cell */
    char *chunk = pack_fps(fps, n_fps);
    if (!col.v || !f.groups || !chunk) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    f.chunk = chunk;
    f.chunk_len = n_fps * 8;
    cqe_store_each(delta, collect_cell, &col);
    qsort(col.v, col.n, sizeof *col.v, cmp_cell);
    f.cells = col.v;
    f.n_cells = col.n;
    if ((rc = make_groups(&f, err)))
        goto out;
    if (!(rc = cqe_rconn_retry(r, flush_attempt, &f, err)) &&
        (rc = cqe_redis_set_known(r, partition, position)))
        cqe_err_set(err, rc, "out of memory");
    if (!rc)
        r->flushes++;
out:
    free(col.v);
    free(f.groups);
    free(chunk);
    return rc;
}
