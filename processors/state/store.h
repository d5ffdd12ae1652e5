/* The state store: order-free updates keyed by (key, field). Each cell holds a sum
 * (exact 128-bit integer), a max or min (double), a set membership, or a register that
 * keeps the record with the smallest or largest (ts, id). Applying the same updates in
 * any order, or merging stores, gives identical cells: the basis of exactly-once and
 * order-independent figures (ARCHITECTURE.md, "the one idea"). */
#ifndef CQE_STORE_H
#define CQE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cqe_cell_op {
    CQE_OP_SUM,     /* int128 sum */
    CQE_OP_MAX,     /* double max */
    CQE_OP_MIN,     /* double min */
    CQE_OP_SET,     /* membership: the field is the member */
    CQE_OP_REG_MIN, /* record with the smallest (ts, id) */
    CQE_OP_REG_MAX, /* record with the largest (ts, id) */
    CQE_OP_VEC      /* fixed-length vector of int64 sums (per-minute counters): sparse
                       (sorted index, value) pairs while few entries are non-zero, dense
                       beyond; read with cqe_vec_next / cqe_vec_copy */
};

struct cqe_cell {
    const char *key;   /* family and components, '|'-joined (see state_key.h) */
    const char *field; /* field name or set member */
    uint32_t key_len, field_len;
    enum cqe_cell_op op;
    union {           /* by op */
        __int128 sum; /* SUM */
        double d;     /* MAX, MIN */
        struct {      /* REG_MIN, REG_MAX */
            int64_t reg_ts;
            const char *reg_id;  /* tie-break, byte order */
            const char *reg_val; /* the kept record */
            uint32_t reg_id_len, reg_val_len;
        };
        struct {                     /* VEC: vec_len entries, all 0 unless listed */
            int64_t *vec;            /* dense: vec[0..vec_len); sparse: vec[0..vec_n) */
            const uint32_t *vec_idx; /* NULL: dense; sparse: the indices of vec[0..vec_n),
                                        strictly increasing (a 0 value counts as absent) */
            uint32_t vec_len, vec_n; /* vec_n: sparse only */
        };
    };
};

/* Steps through the non-zero entries of VEC cell c in index order: *pos starts at 0;
 * returns true with the next entry in *index and *value, false after the last. */
bool cqe_vec_next(const struct cqe_cell *c, uint32_t *pos, uint32_t *index, int64_t *value);

/* Entry index (< c->vec_len) of VEC cell c. */
int64_t cqe_vec_get(const struct cqe_cell *c, uint32_t index);

/* Writes VEC cell c dense into out[0..c->vec_len) (the caller's buffer). */
void cqe_vec_copy(const struct cqe_cell *c, int64_t *out);

struct cqe_store;

/* Returns a new empty store (owned by the caller; cqe_store_free) or NULL. */
struct cqe_store *cqe_store_new(void);
void cqe_store_free(struct cqe_store *s);

/* Updates; key and field are copied. Return 0 or CQE_ENOMEM. */
int cqe_store_add(struct cqe_store *s, const char *key, size_t klen, const char *field, size_t flen,
                  __int128 delta);
int cqe_store_max(struct cqe_store *s, const char *key, size_t klen, const char *field, size_t flen,
                  double v);
int cqe_store_min(struct cqe_store *s, const char *key, size_t klen, const char *field, size_t flen,
                  double v);
int cqe_store_set_add(struct cqe_store *s, const char *key, size_t klen, const char *member, size_t mlen);
/* Register: keeps (ts, id, val) when it is smaller (REG_MIN) or larger (REG_MAX) than
 * the held one by ts, then id bytes. */
int cqe_store_reg(struct cqe_store *s, enum cqe_cell_op op, const char *key, size_t klen, const char *field,
                  size_t flen, int64_t ts, const char *id, size_t idlen, const char *val, size_t vlen);

/* Vector: adds delta at index of the len-long vector (created zeroed); entries wrap
 * around as two's-complement int64. A cell created with another len is CQE_EINVAL. */
int cqe_store_vec_add(struct cqe_store *s, const char *key, size_t klen, const char *field, size_t flen,
                      uint32_t len, uint32_t index, int64_t delta);

/* The same for n (index, delta) pairs of one vector, with one lookup. */
int cqe_store_vec_add_n(struct cqe_store *s, const char *key, size_t klen, const char *field, size_t flen,
                        uint32_t len, const uint32_t *index, const int64_t *delta, size_t n);

/* Applies one cell as an update (used by merge and by loaders). */
int cqe_store_apply_cell(struct cqe_store *s, const struct cqe_cell *c);

/* Merges every cell of src into dst (src unchanged). */
int cqe_store_merge(struct cqe_store *dst, const struct cqe_store *src);

/* Calls fn for every cell, in no particular order; stops when fn returns non-zero
 * and returns that value. Cells are borrowed for the call. */
int cqe_store_each(const struct cqe_store *s, int (*fn)(const struct cqe_cell *c, void *arg), void *arg);

/* Number of cells; memory held in bytes (approximate). */
size_t cqe_store_cells(const struct cqe_store *s);
size_t cqe_store_bytes(const struct cqe_store *s);

/* Removes every cell. */
void cqe_store_clear(struct cqe_store *s);

/* Looks a cell up; NULL when absent. Borrowed until the next update. */
const struct cqe_cell *cqe_store_get(const struct cqe_store *s, const char *key, size_t klen,
                                     const char *field, size_t flen, enum cqe_cell_op op);

#endif
