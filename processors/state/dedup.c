/* Duplicate-id memory: a ring of 64-bit fingerprints (oldest at head) plus an
 * open-addressing index of 32-bit ring positions, both grown by an eighth up to the window
 * (so they never cost more than 16 B per id held);
 * forgetting shifts the probe run back, so no tombstones accumulate (see dedup.h). */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

#define EMPTY UINT32_MAX
#define FIRST_CAP 64

struct cqe_dedup {
    size_t window;
    uint64_t *ring;               /* ring_cap fingerprints */
    size_t ring_cap, head, count; /* oldest at head */
    uint32_t *index;              /* icap slots: a ring position or EMPTY */
    size_t icap;                  /* 1.5 × ring_cap: at most 2/3 full */
    uint64_t total, forgotten;
};

/* A bijective 64-bit mixer (xor-shift-multiply rounds). */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

uint64_t cqe_dedup_fp(const char *id, size_t n)
{
    const unsigned char *s = (const unsigned char *)id;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)n * 0xff51afd7ed558ccdULL);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = 0; /* little-endian whatever the machine: fingerprints are persisted */
        for (size_t k = 0; k < 8 && i + k < n; k++)
            w |= (uint64_t)s[i + k] << (8 * k);
        /* each step is a bijection of h: ids of one length differing in one word never collide */
        h = (h ^ mix(w + 0x632be59bd9b4e019ULL)) * 0xc2b2ae3d27d4eb4fULL;
    }
    return mix(h);
}

static size_t home(const struct cqe_dedup *d, uint64_t fp)
{
    return (size_t)(((unsigned __int128)fp * d->icap) >> 64);
}

static size_t next_slot(const struct cqe_dedup *d, size_t j)
{
    return j + 1 == d->icap ? 0 : j + 1;
}

static void insert(struct cqe_dedup *d, size_t pos)
{
    size_t j = home(d, d->ring[pos]);
    while (d->index[j] != EMPTY)
        j = next_slot(d, j);
    d->index[j] = (uint32_t)pos;
}

/* Empties slot i and moves back the entries after it that may live there (linear probing
 * deletion), so every run stays as short as if the entry had never been inserted. */
static void delete_slot(struct cqe_dedup *d, size_t i)
{
    d->index[i] = EMPTY;
    for (size_t k = next_slot(d, i); d->index[k] != EMPTY; k = next_slot(d, k)) {
        size_t h = home(d, d->ring[d->index[k]]);
        bool stays = i <= k ? (h > i && h <= k) : (h > i || h <= k);
        if (stays)
            continue;
        d->index[i] = d->index[k];
        d->index[k] = EMPTY;
        i = k;
    }
}

/* Ring and index for cap fingerprints; the held ones (head is 0 until the ring is at the
 * window, the only time it wraps) are moved over. Returns 0 or CQE_ENOMEM (d unchanged). */
static int resize(struct cqe_dedup *d, size_t cap)
{
    size_t icap = cap + cap / 2 + 1;
    uint64_t *ring = realloc(d->ring, cap * sizeof *ring);
    if (!ring)
        return CQE_ENOMEM;
    d->ring = ring;
    uint32_t *index = malloc(icap * sizeof *index);
    if (!index)
        return CQE_ENOMEM;
    free(d->index);
    d->index = index;
    d->ring_cap = cap;
    d->icap = icap;
    memset(d->index, 0xff, icap * sizeof *index);
    for (size_t p = 0; p < d->count; p++)
        insert(d, p);
    return 0;
}

struct cqe_dedup *cqe_dedup_new(size_t window)
{
    struct cqe_dedup *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->window = window < CQE_DEDUP_MAX_WINDOW ? window : CQE_DEDUP_MAX_WINDOW;
    if (d->window && resize(d, d->window < FIRST_CAP ? d->window : FIRST_CAP)) {
        cqe_dedup_free(d);
        return NULL;
    }
    return d;
}

void cqe_dedup_free(struct cqe_dedup *d)
{
    if (!d)
        return;
    free(d->ring);
    free(d->index);
    free(d);
}

bool cqe_dedup_seen_fp(const struct cqe_dedup *d, uint64_t fp)
{
    if (!d->count)
        return false;
    for (size_t j = home(d, fp); d->index[j] != EMPTY; j = next_slot(d, j))
        if (d->ring[d->index[j]] == fp)
            return true;
    return false;
}

bool cqe_dedup_seen(const struct cqe_dedup *d, const char *id, size_t n)
{
    return cqe_dedup_seen_fp(d, cqe_dedup_fp(id, n));
}

int cqe_dedup_remember_fp(struct cqe_dedup *d, uint64_t fp)
{
    if (!d->window)
        return 0;
    if (d->count == d->ring_cap && d->ring_cap < d->window) {
        /* an eighth more: 14 B a slot at most 1/8 unused stays within 16 B per id held */
        size_t grown = d->ring_cap + d->ring_cap / 8;
        size_t cap = grown < d->window ? grown : d->window;
        if (resize(d, cap))
            return CQE_ENOMEM;
    } else if (d->count == d->ring_cap) { /* at the window: forget the oldest */
        size_t j = home(d, d->ring[d->head]);
        while (d->index[j] != d->head)
            j = next_slot(d, j);
        delete_slot(d, j);
        d->head = (d->head + 1) % d->ring_cap;
        d->count--;
        d->forgotten++;
    }
    size_t pos = (d->head + d->count) % d->ring_cap;
    d->ring[pos] = fp;
    insert(d, pos);
    d->count++;
    d->total++;
    return 0;
}

int cqe_dedup_remember(struct cqe_dedup *d, const char *id, size_t n)
{
    return cqe_dedup_remember_fp(d, cqe_dedup_fp(id, n));
}

void cqe_dedup_each_fp(const struct cqe_dedup *d, void (*fn)(uint64_t fp, void *arg), void *arg)
{
    for (size_t k = 0; k < d->count; k++)
        fn(d->ring[(d->head + k) % d->ring_cap], arg);
}

size_t cqe_dedup_newest(const struct cqe_dedup *d, size_t k, uint64_t *out)
{
    size_t n = k < d->count ? k : d->count;
    for (size_t i = 0; i < n; i++)
        out[i] = d->ring[(d->head + d->count - n + i) % d->ring_cap];
    return n;
}

size_t cqe_dedup_held(const struct cqe_dedup *d)
{
    return d->count;
}

uint64_t cqe_dedup_total(const struct cqe_dedup *d)
{
    return d->total;
}

uint64_t cqe_dedup_forgotten(const struct cqe_dedup *d)
{
    return d->forgotten;
}

size_t cqe_dedup_bytes(const struct cqe_dedup *d)
{
    return d->ring_cap * sizeof *d->ring + d->icap * sizeof *d->index;
}

size_t cqe_dedup_longest_run(const struct cqe_dedup *d)
{
    size_t longest = 0, run = 0, first_empty = d->icap;
    for (size_t i = 0; i < d->icap; i++)
        if (d->index[i] == EMPTY) {
            first_empty = i;
            break;
        }
    if (first_empty == d->icap)
        return d->icap; /* no empty slot (never at 2/3 load): a miss scans everything */
    /* start after an empty slot so a run wrapping past the end is counted whole */
    for (size_t k = 1; k <= d->icap; k++) {
        size_t i = (first_empty + k) % d->icap;
        run = d->index[i] == EMPTY ? 0 : run + 1;
        if (run > longest)
            longest = run;
    }
    return longest;
}
