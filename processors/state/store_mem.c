/* The in-memory state store: a flat open-addressing hash table of cells, the hash stored
 * in the slot, the cells in bump-allocated chunks; a vector cell is sparse (sorted
 * index, value pairs) while it is small, dense beyond. Used directly by
 * replay, as the per-flush delta buffer of the Redis store, and as the merged view
 * that figures are computed from. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store.h"

/* A cell with its key and field text; nodes live in the store's chunks and are never
 * freed one by one (a store only grows until cleared). */
struct node {
    struct cqe_cell cell;
    char *reg_buf;    /* owned: reg_id then reg_val */
    uint32_t vec_cap; /* a sparse vector's room in pairs: cell.vec holds vec_cap values,
                         then vec_cap indices (cell.vec_idx), in one allocation */
    char text[];      /* key '\0' field '\0' */
};

/* A slot holds the hash beside the node, so a probe compares hashes without reading
 * the node: one cache line per probe, the node read only on a likely match. */
struct slot {
    uint64_t hash;
    struct node *node; /* NULL: empty */
};

/* Bump-allocated memory for nodes: one malloc per chunk, not per cell. */
struct chunk {
    struct chunk *next;
    size_t used, cap;
    _Alignas(16) char data[];
};

#define CHUNK_MIN 4096
#define CHUNK_MAX (1u << 20)

struct cqe_store {
    struct slot *slots;
    size_t cap; /* power of two */
    size_t count;
    size_t bytes;
    struct chunk *chunks; /* newest first */
};

/* 8 bytes at a time, multiply-xorshift mixing: keys are short and hashed per update. */
static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v * 0x9e3779b97f4a7c15ULL;
    h = (h << 31 | h >> 33) * 0xbf58476d1ce4e5b9ULL;
    return h;
}

static uint64_t hash_bytes(uint64_t h, const char *p, size_t n)
{
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = mix(h, v);
        p += 8;
        n -= 8;
    }
    uint64_t tail = 0;
    memcpy(&tail, p, n);
    return mix(h, tail ^ ((uint64_t)n << 56));
}

static uint64_t hash_cell(const char *k, size_t kl, const char *f, size_t fl, int op)
{
    uint64_t h = hash_bytes(0x243f6a8885a308d3ULL ^ (uint64_t)op, k, kl);
    h = hash_bytes(h ^ 0xff, f, fl);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h;
}

struct cqe_store *cqe_store_new(void)
{
    struct cqe_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cap = 1024;
    s->slots = calloc(s->cap, sizeof *s->slots);
    if (!s->slots) {
        free(s);
        return NULL;
    }
    return s;
}

void cqe_store_clear(struct cqe_store *s)
{
    for (size_t i = 0; i < s->cap; i++) {
        struct node *n = s->slots[i].node;
        if (n) {
            free(n->reg_buf);
            if (n->cell.op == CQE_OP_VEC)
                free(n->cell.vec);
        }
    }
    memset(s->slots, 0, s->cap * sizeof *s->slots);
    while (s->chunks) {
        struct chunk *c = s->chunks;
        s->chunks = c->next;
        free(c);
    }
    s->count = 0;
    s->bytes = 0;
}

void cqe_store_free(struct cqe_store *s)
{
    if (!s)
        return;
    cqe_store_clear(s);
    free(s->slots);
    free(s);
}

/* Returns size bytes, 16-aligned and zeroed, from the newest chunk or a new one
 * (twice the last, at most CHUNK_MAX unless one node needs more); NULL on ENOMEM. */
static void *chunk_alloc(struct cqe_store *s, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    struct chunk *c = s->chunks;
    if (!c || c->cap - c->used < size) {
        size_t cap = c ? c->cap * 2 : CHUNK_MIN;
        if (cap > CHUNK_MAX)
            cap = CHUNK_MAX;
        if (cap < size)
            cap = size;
        struct chunk *nc = malloc(sizeof *nc + cap);
        if (!nc)
            return NULL;
        nc->next = c;
        nc->used = 0;
        nc->cap = cap;
        s->chunks = c = nc;
    }
    void *p = c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

static int grow(struct cqe_store *s)
{
    size_t ncap = s->cap * 2;
    struct slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return CQE_ENOMEM;
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->slots[i].node)
            continue;
        size_t j = s->slots[i].hash & (ncap - 1);
        while (ns[j].node)
            j = (j + 1) & (ncap - 1);
        ns[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = ns;
    s->cap = ncap;
    return 0;
}

static struct slot *find_slot(const struct cqe_store *s, const char *k, size_t kl, const char *f, size_t fl,
                              enum cqe_cell_op op, uint64_t h)
{
    size_t j = h & (s->cap - 1);
    for (;;) {
        struct slot *sl = &s->slots[j];
        const struct node *n = sl->node;
        if (!n)
            return sl;
        if (sl->hash == h && n->cell.op == op && n->cell.key_len == kl && n->cell.field_len == fl &&
            !memcmp(n->text, k, kl) && !memcmp(n->text + kl + 1, f, fl))
            return sl;
        j = (j + 1) & (s->cap - 1);
    }
}

/* Returns the cell for (key, field, op), created zeroed when absent; NULL on ENOMEM. */
static struct cqe_cell *cell_get(struct cqe_store *s, const char *k, size_t kl, const char *f, size_t fl,
                                 enum cqe_cell_op op, int *created)
{
    uint64_t h = hash_cell(k, kl, f, fl, op);
    struct slot *slot = find_slot(s, k, kl, f, fl, op, h);
    *created = 0;
    if (slot->node)
        return &slot->node->cell;
    if ((s->count + 1) * 4 > s->cap * 3) {
        if (grow(s))
            return NULL;
        slot = find_slot(s, k, kl, f, fl, op, h);
    }
    struct node *n = chunk_alloc(s, sizeof *n + kl + fl + 2);
    if (!n)
        return NULL;
    memcpy(n->text, k, kl);
    memcpy(n->text + kl + 1, f, fl);
    n->cell.key = n->text;
    n->cell.key_len = kl;
    n->cell.field = n->text + kl + 1;
    n->cell.field_len = fl;
    n->cell.op = op;
    slot->hash = h;
    slot->node = n;
    s->count++;
    s->bytes += sizeof *n + kl + fl + 2 + sizeof *slot;
    *created = 1;
    return &n->cell;
}

int cqe_store_add(struct cqe_store *s, const char *key, size_t klen, const char *field, size_t flen,
                  __int128 delta)
{
    int created;
    struct cqe_cell *c = cell_get(s, key, klen, field, flen, CQE_OP_SUM, &created);
    if (!c)
        return CQE_ENOMEM;
    c->sum += delta;
    return 0;
}

static int minmax(struct cqe_store *s, enum cqe_cell_op op, const char *key, size_t klen, const char *field,
                  size_t flen, double v)
{
    int created;
    struct cqe_cell *c = cell_get(s, key, klen, field, flen, op, &created);
    if (!c)
        return CQE_ENOMEM;
    if (created || (op == CQE_OP_MAX ? v > c->d : v < c->d))
        c->d = v;
    return 0;
}

int cqe_store_max(struct cqe_store *s, const char *key, size_t klen, const char *field, size_t flen, double v)
{
    return minmax(s, CQE_OP_MAX, key, klen, field, flen, v);
}

int cqe_store_min(struct cqe_store *s, const char *key, size_t klen, const char *field, size_t flen, double v)
{
    return minmax(s, CQE_OP_MIN, key, klen, field, flen, v);
}

int cqe_store_set_add(struct cqe_store *s, const char *key, size_t klen, const char *member, size_t mlen)
{
    int created;
    return cell_get(s, key, klen, member, mlen, CQE_OP_SET, &created) ? 0 : CQE_ENOMEM;
}

/* The node that holds cell c. */
static struct node *node_of(struct cqe_cell *c)
{
    return (struct node *)((char *)c - offsetof(struct node, cell));
}

/* <0, 0, >0 comparing (ts, id) pairs, id by bytes then length. */
static int cmp_ts_id(int64_t ts1, const char *id1, size_t l1, int64_t ts2, const char *id2, size_t l2)
{
    if (ts1 != ts2)
        return ts1 < ts2 ? -1 : 1;
    int c = memcmp(id1, id2, l1 < l2 ? l1 : l2);
    if (c)
        return c;
    return l1 < l2 ? -1 : l1 > l2;
}

int cqe_store_reg(struct cqe_store *s, enum cqe_cell_op op, const char *key, size_t klen, const char *field,
                  size_t flen, int64_t ts, const char *id, size_t idlen, const char *val, size_t vlen)
{
    int created;
    struct cqe_cell *c = cell_get(s, key, klen, field, flen, op, &created);
    if (!c)
        return CQE_ENOMEM;
    if (!created) {
        int cmp = cmp_ts_id(ts, id, idlen, c->reg_ts, c->reg_id, c->reg_id_len);
        if (op == CQE_OP_REG_MIN ? cmp >= 0 : cmp <= 0)
            return 0;
    }
    struct node *n = node_of(c);
    char *buf = malloc(idlen + vlen + 2);
    if (!buf)
        return CQE_ENOMEM;
    memcpy(buf, id, idlen);
    buf[idlen] = 0;
    memcpy(buf + idlen + 1, val, vlen);
    buf[idlen + 1 + vlen] = 0;
    if (n->reg_buf)
        s->bytes -= n->cell.reg_id_len + n->cell.reg_val_len + 2;
    free(n->reg_buf);
    n->reg_buf = buf;
    s->bytes += idlen + vlen + 2;
    c->reg_ts = ts;
    c->reg_id = buf;
    c->reg_id_len = idlen;
    c->reg_val = buf + idlen + 1;
    c->reg_val_len = vlen;
    return 0;
}

/* A sparse vector holds at most len / 3 pairs: 12 bytes a pair, at most half the 8-byte
 * entries of the dense array; beyond, the cell becomes dense for good. */
#define PAIR_BYTES (sizeof(int64_t) + sizeof(uint32_t))

static uint32_t sparse_max(uint32_t len)
{
    return len / 3;
}

static const uint32_t no_idx[1]; /* the indices of an empty sparse vector (no allocation) */

/* Entries wrap around like two's-complement int64 (docs/state.md), as Redis's BITFIELD
 * INCRBY i64 does: no undefined overflow. */
static int64_t wrap_add(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

/* Whether sparse cell c holds index; *pos is where it is or would be inserted. */
static bool vec_find(const struct cqe_cell *c, uint32_t index, uint32_t *pos)
{
    uint32_t lo = 0, hi = c->vec_n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->vec_idx[mid] < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return lo < c->vec_n && c->vec_idx[lo] == index;
}

/* Moves sparse vector n to room for cap pairs (cap >= its pairs). 0 or CQE_ENOMEM,
 * the cell unchanged then. */
static int vec_resize(struct cqe_store *s, struct node *n, uint32_t cap)
{
    struct cqe_cell *c = &n->cell;
    int64_t *v = malloc((size_t)cap * PAIR_BYTES);
    if (!v)
        return CQE_ENOMEM;
    uint32_t *idx = (uint32_t *)(v + cap);
    if (c->vec_n) {
        memcpy(v, c->vec, c->vec_n * sizeof *v);
        memcpy(idx, c->vec_idx, c->vec_n * sizeof *idx);
    }
    free(c->vec);
    s->bytes = s->bytes - n->vec_cap * PAIR_BYTES + cap * PAIR_BYTES;
    c->vec = v;
    c->vec_idx = idx;
    n->vec_cap = cap;
    return 0;
}

/* Makes sparse vector n dense. 0 or CQE_ENOMEM, the cell unchanged then. */
static int vec_densify(struct cqe_store *s, struct node *n)
{
    struct cqe_cell *c = &n->cell;
    int64_t *v = calloc(c->vec_len, sizeof *v);
    if (!v)
        return CQE_ENOMEM;
    cqe_vec_copy(c, v);
    free(c->vec);
    s->bytes = s->bytes - n->vec_cap * PAIR_BYTES + (size_t)c->vec_len * sizeof *v;
    c->vec = v;
    c->vec_idx = NULL;
    c->vec_n = 0;
    n->vec_cap = 0;
    return 0;
}

/* Makes room in vector n for the pairs (index, delta)[0..k): each index absent from a
 * sparse cell with a non-zero delta may take a pair; dense beyond sparse_max. After
 * it, vec_add1 cannot fail: a batch applies whole or not at all. */
static int vec_room(struct cqe_store *s, struct node *n, const uint32_t *index, const int64_t *delta,
                    size_t k)
{
    const struct cqe_cell *c = &n->cell;
    if (!c->vec_idx)
        return 0;
    size_t need = c->vec_n, max = sparse_max(c->vec_len);
    uint32_t pos;
    for (size_t i = 0; i < k && need <= max; i++)
        need += delta[i] && !vec_find(c, index[i], &pos);
    if (need > max)
        return vec_densify(s, n);
    if (need <= n->vec_cap)
        return 0;
    size_t cap = n->vec_cap ? 2 * (size_t)n->vec_cap : 4;
    if (cap < need)
        cap = need;
    return vec_resize(s, n, (uint32_t)(cap < max ? cap : max));
}

/* Adds delta at index of vector n, which has room (vec_room); a sparse entry that
 * becomes 0 leaves. */
static void vec_add1(struct node *n, uint32_t index, int64_t delta)
{
    struct cqe_cell *c = &n->cell;
    if (!c->vec_idx) {
        c->vec[index] = wrap_add(c->vec[index], delta);
        return;
    }
    if (!delta)
        return;
    uint32_t *idx = (uint32_t *)(c->vec + n->vec_cap), pos;
    if (vec_find(c, index, &pos)) {
        c->vec[pos] = wrap_add(c->vec[pos], delta);
        if (c->vec[pos])
            return;
        size_t tail = c->vec_n - pos - 1;
        memmove(c->vec + pos, c->vec + pos + 1, tail * sizeof *c->vec);
        memmove(idx + pos, idx + pos + 1, tail * sizeof *idx);
        c->vec_n--;
        return;
    }
    size_t tail = c->vec_n - pos;
    memmove(c->vec + pos + 1, c->vec + pos, tail * sizeof *c->vec);
    memmove(idx + pos + 1, idx + pos, tail * sizeof *idx);
    c->vec[pos] = delta;
    idx[pos] = index;
    c->vec_n++;
}

int cqe_store_vec_add_n(struct cqe_store *s, const char *key, size_t klen, const char *field, size_t flen,
                        uint32_t len, const uint32_t *index, const int64_t *delta, size_t n)
{
    int created;
    for (size_t i = 0; i < n; i++)
        if (index[i] >= len)
            return CQE_EINVAL;
    struct cqe_cell *c = cell_get(s, key, klen, field, flen, CQE_OP_VEC, &created);
    if (!c)
        return CQE_ENOMEM;
    if (created) { /* sparse and empty: memory comes with the first non-zero entry */
        c->vec_idx = no_idx;
        c->vec_len = len;
    }
    if (c->vec_len != len)
        return CQE_EINVAL;
    struct node *nd = node_of(c);
    int rc = vec_room(s, nd, index, delta, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        vec_add1(nd, index[i], delta[i]);
    return 0;
}

bool cqe_vec_next(const struct cqe_cell *c, uint32_t *pos, uint32_t *index, int64_t *value)
{
    uint32_t end = c->vec_idx ? c->vec_n : c->vec_len;
    while (*pos < end) {
        uint32_t p = (*pos)++;
        if (c->vec[p]) {
            *index = c->vec_idx ? c->vec_idx[p] : p;
            *value = c->vec[p];
            return true;
        }
    }
    return false;
}

int64_t cqe_vec_get(const struct cqe_cell *c, uint32_t index)
{
    uint32_t pos;
    if (!c->vec_idx)
        return c->vec[index];
    return vec_find(c, index, &pos) ? c->vec[pos] : 0;
}

void cqe_vec_copy(const struct cqe_cell *c, int64_t *out)
{
    uint32_t pos = 0, i;
    int64_t v;
    memset(out, 0, (size_t)c->vec_len * sizeof *out);
    while (cqe_vec_next(c, &pos, &i, &v))
        out[i] = v;
}

int cqe_store_vec_add(struct cqe_store *s, const char *key, size_t klen, const char *field, size_t flen,
                      uint32_t len, uint32_t index, int64_t delta)
{
    return cqe_store_vec_add_n(s, key, klen, field, flen, len, &index, &delta, 1);
}

/* Adds vector cell c's non-zero entries, a batch of them per lookup; none: no cell. */
static int apply_vec(struct cqe_store *s, const struct cqe_cell *c)
{
    enum { BATCH = 256 };
    uint32_t idx[BATCH], pos = 0;
    int64_t val[BATCH];
    size_t k = 0;
    bool more;
    do {
        more = cqe_vec_next(c, &pos, &idx[k], &val[k]);
        k += more;
        if (k == BATCH || (!more && k)) {
            int rc =
                cqe_store_vec_add_n(s, c->key, c->key_len, c->field, c->field_len, c->vec_len, idx, val, k);
            if (rc)
                return rc;
            k = 0;
        }
    } while (more);
    return 0;
}

int cqe_store_apply_cell(struct cqe_store *s, const struct cqe_cell *c)
{
    switch (c->op) {
    case CQE_OP_VEC: return apply_vec(s, c);
    case CQE_OP_SUM: return cqe_store_add(s, c->key, c->key_len, c->field, c->field_len, c->sum);
    case CQE_OP_MAX:
    case CQE_OP_MIN: return minmax(s, c->op, c->key, c->key_len, c->field, c->field_len, c->d);
    case CQE_OP_SET: return cqe_store_set_add(s, c->key, c->key_len, c->field, c->field_len);
    case CQE_OP_REG_MIN:
    case CQE_OP_REG_MAX:
        return cqe_store_reg(s, c->op, c->key, c->key_len, c->field, c->field_len, c->reg_ts, c->reg_id,
                             c->reg_id_len, c->reg_val, c->reg_val_len);
    }
    return CQE_EINVAL;
}

static int merge_one(const struct cqe_cell *c, void *arg)
{
    return cqe_store_apply_cell(arg, c);
}

int cqe_store_merge(struct cqe_store *dst, const struct cqe_store *src)
{
    return cqe_store_each(src, merge_one, dst);
}

int cqe_store_each(const struct cqe_store *s, int (*fn)(const struct cqe_cell *c, void *arg), void *arg)
{
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->slots[i].node)
            continue;
        int rc = fn(&s->slots[i].node->cell, arg);
        if (rc)
            return rc;
    }
    return 0;
}

size_t cqe_store_cells(const struct cqe_store *s)
{
    return s->count;
}

size_t cqe_store_bytes(const struct cqe_store *s)
{
    return s->bytes + s->cap * sizeof *s->slots;
}

const struct cqe_cell *cqe_store_get(const struct cqe_store *s, const char *key, size_t klen,
                                     const char *field, size_t flen, enum cqe_cell_op op)
{
    uint64_t h = hash_cell(key, klen, field, flen, op);
    const struct node *n = find_slot(s, key, klen, field, flen, op, h)->node;
    return n ? &n->cell : NULL;
}
