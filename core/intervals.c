/* Interval-list set operations (see intervals.h). */
#include "intervals.h"

#include <stdlib.h>

void cqe_ivl_free(struct cqe_ivl *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

void cqe_ivl_clear(struct cqe_ivl *l)
{
    l->n = 0;
}

void cqe_ivl_push(struct cqe_ivl *l, int64_t s, int64_t e)
{
    if (e <= s)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct cqe_span *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->oom = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (struct cqe_span){s, e};
}

static int by_start(const void *a, const void *b)
{
    const struct cqe_span *x = a, *y = b;
    return x->s < y->s ? -1 : x->s > y->s ? 1 : (x->e < y->e ? -1 : x->e > y->e);
}

void cqe_ivl_normalize(struct cqe_ivl *l)
{
    if (l->n < 2)
        return;
    qsort(l->v, l->n, sizeof *l->v, by_start);
    size_t o = 0;
    for (size_t i = 1; i < l->n; i++) {
        if (l->v[i].s <= l->v[o].e) {
            if (l->v[i].e > l->v[o].e)
                l->v[o].e = l->v[i].e;
        } else {
            l->v[++o] = l->v[i];
        }
    }
    l->n = o + 1;
}

void cqe_ivl_intersect(const struct cqe_ivl *a, const struct cqe_ivl *b, struct cqe_ivl *out)
{
    cqe_ivl_clear(out);
    size_t i = 0, j = 0;
    while (i < a->n && j < b->n) {
        int64_t s = a->v[i].s > b->v[j].s ? a->v[i].s : b->v[j].s;
        int64_t e = a->v[i].e < b->v[j].e ? a->v[i].e : b->v[j].e;
        cqe_ivl_push(out, s, e);
        if (a->v[i].e < b->v[j].e)
            i++;
        else
            j++;
    }
}

void cqe_ivl_subtract(const struct cqe_ivl *a, const struct cqe_ivl *b, struct cqe_ivl *out)
{
    cqe_ivl_clear(out);
    size_t j = 0;
    for (size_t i = 0; i < a->n; i++) {
        int64_t s = a->v[i].s, e = a->v[i].e;
        while (j < b->n && b->v[j].e <= s)
            j++;
        size_t k = j;
        while (k < b->n && b->v[k].s < e) {
            cqe_ivl_push(out, s, b->v[k].s);
            if (b->v[k].e > s)
                s = b->v[k].e;
            k++;
        }
        cqe_ivl_push(out, s, e);
    }
}

int64_t cqe_ivl_measure(const struct cqe_ivl *l)
{
    int64_t t = 0;
    for (size_t i = 0; i < l->n; i++)
        t += l->v[i].e - l->v[i].s;
    return t;
}

int64_t cqe_ivl_measure_within(const struct cqe_ivl *l, int64_t s, int64_t e)
{
    int64_t t = 0;
    for (size_t i = 0; i < l->n; i++) {
        int64_t a = l->v[i].s > s ? l->v[i].s : s;
        int64_t b = l->v[i].e < e ? l->v[i].e : e;
        if (b > a)
            t += b - a;
    }
    return t;
}
