/* Duplicate-id memory: a ring of the last `window` ids plus an open-addressing index
 * with tombstones (see dedup.h). */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

#define TOMB ((size_t)-2)
#define EMPTY ((size_t)-1)

struct entry {
    char *id;
    size_t n;
    uint64_t hash;
};

struct cqe_dedup {
    size_t window;
    struct entry *ring; /* window entries */
    size_t head, count; /* oldest at head */
    size_t *index;      /* ring position, EMPTY or TOMB */
    size_t cap;
    size_t tombs; /* TOMB slots: swept when they reach a quarter of cap */
};

static uint64_t hash_id(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h ^ (h >> 33);
}

struct cqe_dedup *cqe_dedup_new(size_t window)
{
    struct cqe_dedup *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->window = window;
    if (!window)
        return d;
    d->cap = 16;
    while (d->cap < window * 2)
        d->cap *= 2;
    d->ring = calloc(window, sizeof *d->ring);
    d->index = malloc(d->cap * sizeof *d->index);
    if (!d->ring || !d->index) {
        cqe_dedup_free(d);
        return NULL;
    }
    for (size_t i = 0; i < d->cap; i++)
        d->index[i] = EMPTY;
    return d;
}

void cqe_dedup_free(struct cqe_dedup *d)
{
    if (!d)
        return;
    for (size_t i = 0; d->ring && i < d->window; i++)
        free(d->ring[i].id);
    free(d->ring);
    free(d->index);
    free(d);
}

static size_t find(const struct cqe_dedup *d, const char *id, size_t n, uint64_t h)
{
    size_t j = h & (d->cap - 1);
    for (size_t probes = 0; probes < d->cap; probes++) {
        size_t p = d->index[j];
        if (p == EMPTY)
            return EMPTY;
        if (p != TOMB && d->ring[p].hash == h && d->ring[p].n == n && !memcmp(d->ring[p].id, id, n))
            return j;
        j = (j + 1) & (d->cap - 1);
    }
    return EMPTY;
}

bool cqe_dedup_seen(const struct cqe_dedup *d, const char *id, size_t n)
{
    return d->window && find(d, id, n, hash_id(id, n)) != EMPTY;
}

static void rebuild(struct cqe_dedup *d)
{
    for (size_t i = 0; i < d->cap; i++)
        d->index[i] = EMPTY;
    d->tombs = 0;
    for (size_t k = 0; k < d->count; k++) {
        size_t p = (d->head + k) % d->window;
        size_t j = d->ring[p].hash & (d->cap - 1);
        while (d->index[j] != EMPTY)
            j = (j + 1) & (d->cap - 1);
        d->index[j] = p;
    }
}

int cqe_dedup_remember(struct cqe_dedup *d, const char *id, size_t n)
{
    if (!d->window)
        return 0;
    if (d->count == d->window) { /* forget the oldest */
        struct entry *old = &d->ring[d->head];
        size_t j = find(d, old->id, old->n, old->hash);
        if (j != EMPTY) {
            d->index[j] = TOMB;
            d->tombs++;
        }
        free(old->id);
        old->id = NULL;
        d->head = (d->head + 1) % d->window;
        d->count--;
    }
    size_t p = (d->head + d->count) % d->window;
    char *copy = malloc(n ? n : 1);
    if (!copy)
        return CQE_ENOMEM;
    memcpy(copy, id, n);
    uint64_t h = hash_id(id, n);
    d->ring[p] = (struct entry){copy, n, h};
    d->count++;
    size_t j = h & (d->cap - 1);
    while (d->index[j] != EMPTY && d->index[j] != TOMB)
        j = (j + 1) & (d->cap - 1);
    if (d->index[j] == TOMB)
        d->tombs--;
    d->index[j] = p;
    /* tombstones lengthen every miss (a miss stops only at EMPTY): sweep them */
    if (d->tombs * 4 > d->cap)
        rebuild(d);
    return 0;
}

size_t cqe_dedup_longest_run(const struct cqe_dedup *d)
{
    size_t longest = 0, run = 0, first_empty = d->cap;
    for (size_t i = 0; i < d->cap; i++)
        if (d->index[i] == EMPTY) {
            first_empty = i;
            break;
        }
    if (first_empty == d->cap)
        return d->cap; /* no empty slot: a miss scans everything */
    /* start after an empty slot so a run wrapping past the end is counted whole */
    for (size_t k = 1; k <= d->cap; k++) {
        size_t i = (first_empty + k) & (d->cap - 1);
        run = d->index[i] == EMPTY ? 0 : run + 1;
        if (run > longest)
            longest = run;
    }
    return longest;
}

void cqe_dedup_each(const struct cqe_dedup *d, void (*fn)(const char *id, size_t n, void *arg), void *arg)
{
    for (size_t k = 0; k < d->count; k++) {
        const struct entry *e = &d->ring[(d->head + k) % d->window];
        fn(e->id, e->n, arg);
    }
}
