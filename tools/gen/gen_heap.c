/* Pending events of `cloudqe gen`: a binary min-heap on (key, seq) holding events
 * planned ahead (an incident's ack and resolve, a ticket's close), late events and
 * duplicates until the stream reaches the instant they are written. */
#include <stdlib.h>

#include "gen.h"

static int less(const struct cqe_gen_ev *a, const struct cqe_gen_ev *b)
{
    return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

int cqe_gen_heap_push(struct cqe_gen_heap *h, const struct cqe_gen_ev *ev, struct cqe_err *err)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 1024;
        struct cqe_gen_ev *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return cqe_err_set(err, CQE_ENOMEM, "gen: out of memory queueing events");
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    struct cqe_gen_ev x = *ev;
    x.seq = h->seq++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!less(&x, &h->v[parent]))
            break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = x;
    return 0;
}

int cqe_gen_heap_pop(struct cqe_gen_heap *h, struct cqe_gen_ev *out)
{
    if (!h->n)
        return -1;
    *out = h->v[0];
    struct cqe_gen_ev last = h->v[--h->n];
    size_t i = 0, n = h->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && less(&h->v[c + 1], &h->v[c]))
            c++;
        if (!less(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (n)
        h->v[i] = last;
    return 0;
}

int64_t cqe_gen_heap_top_key(const struct cqe_gen_heap *h)
{
    return h->n ? h->v[0].key : INT64_MAX;
}

void cqe_gen_heap_free(struct cqe_gen_heap *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->v[i].raw);
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}
