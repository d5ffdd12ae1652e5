/* Packed batch of ids for the next flush (see id_batch.h). */
#include "id_batch.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

int cqe_id_batch_add(struct cqe_id_batch *b, const char *id, size_t n)
{
    if (b->used + n > b->cap) {
        size_t cap = b->cap ? b->cap : 8192;
        while (cap < b->used + n)
            cap *= 2;
        char *p = realloc(b->bytes, cap);
        if (!p)
            return CQE_ENOMEM;
        b->bytes = p;
        b->cap = cap;
    }
    if (b->n == b->lens_cap) {
        size_t cap = b->lens_cap ? b->lens_cap * 2 : 512;
        size_t *l = realloc(b->lens, cap * sizeof *l);
        if (!l)
            return CQE_ENOMEM;
        b->lens = l;
        b->lens_cap = cap;
    }
    memcpy(b->bytes + b->used, id, n);
    b->used += n;
    b->lens[b->n++] = n;
    return 0;
}

int cqe_id_batch_ptrs(const struct cqe_id_batch *b, const char ***out)
{
    *out = NULL;
    if (!b->n)
        return 0;
    const char **p = malloc(b->n * sizeof *p);
    if (!p)
        return CQE_ENOMEM;
    for (size_t k = 0, o = 0; k < b->n; o += b->lens[k], k++)
        p[k] = b->bytes + o;
    *out = p;
    return 0;
}

void cqe_id_batch_clear(struct cqe_id_batch *b)
{
    b->used = 0;
    b->n = 0;
}

void cqe_id_batch_free(struct cqe_id_batch *b)
{
    free(b->bytes);
    free(b->lens);
    memset(b, 0, sizeof *b);
}
