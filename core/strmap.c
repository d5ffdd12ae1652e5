/* String interning map (see strmap.h). */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h ^ (h >> 31);
}

size_t cqe_strmap_find(const struct cqe_strmap *m, const char *s, size_t n)
{
    if (!m->cap)
        return SIZE_MAX;
    size_t j = hash_bytes(s, n) & (m->cap - 1);
    while (m->slots[j]) {
        size_t i = m->slots[j] - 1;
        if (m->lens[i] == n && !memcmp(m->keys[i], s, n))
            return i;
        j = (j + 1) & (m->cap - 1);
    }
    return SIZE_MAX;
}

static int rehash(struct cqe_strmap *m, size_t cap)
{
    size_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < m->n; i++) {
        size_t j = hash_bytes(m->keys[i], m->lens[i]) & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = i + 1;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

size_t cqe_strmap_intern(struct cqe_strmap *m, const char *s, size_t n, int *added)
{
    size_t i = cqe_strmap_find(m, s, n);
    if (added)
        *added = 0;
    if (i != SIZE_MAX)
        return i;
    if ((m->n + 1) * 2 > m->cap && rehash(m, m->cap ? m->cap * 2 : 64))
        goto oom;
    if (m->n == m->kcap) {
        size_t kcap = m->kcap ? m->kcap * 2 : 32;
        char **k = realloc(m->keys, kcap * sizeof *k);
        if (!k)
            goto oom;
        m->keys = k;
        size_t *l = realloc(m->lens, kcap * sizeof *l);
        if (!l)
            goto oom;
        m->lens = l;
        m->kcap = kcap;
    }
    char *copy = malloc(n + 1);
    if (!copy)
        goto oom;
    memcpy(copy, s, n);
    copy[n] = 0;
    i = m->n++;
    m->keys[i] = copy;
    m->lens[i] = n;
    size_t j = hash_bytes(s, n) & (m->cap - 1);
    while (m->slots[j])
        j = (j + 1) & (m->cap - 1);
    m->slots[j] = i + 1;
    if (added)
        *added = 1;
    return i;
oom:
    m->oom = 1;
    return SIZE_MAX;
}

void cqe_strmap_free(struct cqe_strmap *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->lens);
    free(m->slots);
    memset(m, 0, sizeof *m);
}
