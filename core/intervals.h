/* Sorted lists of disjoint half-open intervals [s, e) of milliseconds, with the set
 * operations the availability rules need (union, intersection, difference, measure). */
#ifndef CQE_INTERVALS_H
#define CQE_INTERVALS_H

#include <stddef.h>
#include <stdint.h>

struct cqe_span {
    int64_t s, e;
};

struct cqe_ivl {
    struct cqe_span *v;
    size_t n, cap;
    int oom;
};

void cqe_ivl_free(struct cqe_ivl *l);
void cqe_ivl_clear(struct cqe_ivl *l);
/* Appends [s, e) (ignored when empty); call cqe_ivl_normalize before set operations. */
void cqe_ivl_push(struct cqe_ivl *l, int64_t s, int64_t e);
/* Sorts and merges overlapping or touching intervals. */
void cqe_ivl_normalize(struct cqe_ivl *l);
/* out = a ∩ b, out = a − b (inputs normalized; out is overwritten). */
void cqe_ivl_intersect(const struct cqe_ivl *a, const struct cqe_ivl *b, struct cqe_ivl *out);
void cqe_ivl_subtract(const struct cqe_ivl *a, const struct cqe_ivl *b, struct cqe_ivl *out);
/* Total length of l, and of l ∩ [s, e). */
int64_t cqe_ivl_measure(const struct cqe_ivl *l);
int64_t cqe_ivl_measure_within(const struct cqe_ivl *l, int64_t s, int64_t e);

#endif
