/* The ids applied to a partition since its last flush, packed in one growing buffer:
 * what a flush adds to the partition's duplicate memory in Redis. */
#ifndef CQE_ID_BATCH_H
#define CQE_ID_BATCH_H

#include <stddef.h>

struct cqe_id_batch {
    char *bytes; /* ids back to back, owned */
    size_t used, cap;
    size_t *lens; /* length of each id, owned */
    size_t n, lens_cap;
};

/* Appends a copy of id. Returns 0 or CQE_ENOMEM. */
int cqe_id_batch_add(struct cqe_id_batch *b, const char *id, size_t n);

/* A new array of n pointers into b->bytes (the caller frees the array; the ids stay
 * b's). *out is NULL when the batch is empty. Returns 0 or CQE_ENOMEM. */
int cqe_id_batch_ptrs(const struct cqe_id_batch *b, const char ***out);

/* Empties the batch, keeping its buffers; _free releases them. */
void cqe_id_batch_clear(struct cqe_id_batch *b);
void cqe_id_batch_free(struct cqe_id_batch *b);

#endif
