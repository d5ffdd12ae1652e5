/* The bound on incidents never opened (see incident_gate.h): an open-addressing table
 * from an incident's 64-bit fingerprint to its state, opened or the events it holds;
 * entries are never removed (an incident only moves from held to opened). */
#include "incident_gate.h"

#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "err.h"

#define FIRST_CAP 64
#define OPENED (-1) /* the state of an incident that had an open */

struct slot {
    uint64_t fp;   /* 0: empty (a fingerprint 0 is kept as 1) */
    int64_t state; /* OPENED, or the events it holds (>= 1) */
};

struct cqe_igate {
    int64_t limit, held;
    size_t n, n_opened, cap; /* entries, of them opened, slots (a power of two, at most half full) */
    struct slot *slots;
};

struct cqe_igate *cqe_igate_new(int64_t limit)
{
    struct cqe_igate *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->limit = limit < 0 ? 0 : limit;
    g->cap = FIRST_CAP;
    if (!(g->slots = calloc(g->cap, sizeof *g->slots))) {
        free(g);
        return NULL;
    }
    return g;
}

void cqe_igate_free(struct cqe_igate *g)
{
    if (!g)
        return;
    free(g->slots);
    free(g);
}

static uint64_t fingerprint(const char *inc, size_t n)
{
    uint64_t fp = cqe_dedup_fp(inc, n);
    return fp ? fp : 1;
}

/* The slot of fp, or the empty slot where it would go. */
static struct slot *find(const struct cqe_igate *g, uint64_t fp)
{
    size_t j = (size_t)(fp & (g->cap - 1));
    while (g->slots[j].fp && g->slots[j].fp != fp)
        j = (j + 1) & (g->cap - 1);
    return &g->slots[j];
}

/* Doubles the table when one more entry would fill it past half. 0 or CQE_ENOMEM. */
static int reserve(struct cqe_igate *g)
{
    if (2 * (g->n + 1) <= g->cap)
        return 0;
    struct slot *old = g->slots;
    size_t old_cap = g->cap;
    struct slot *s = calloc(2 * old_cap, sizeof *s);
    if (!s)
        return CQE_ENOMEM;
    g->slots = s;
    g->cap = 2 * old_cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].fp)
            *find(g, old[i].fp) = old[i];
    free(old);
    return 0;
}

/* The slot of the incident, added (state 0) when absent. NULL when out of memory. */
static struct slot *entry(struct cqe_igate *g, const char *inc, size_t n)
{
    uint64_t fp = fingerprint(inc, n);
    struct slot *s = find(g, fp);
    if (s->fp)
        return s;
    if (reserve(g))
        return NULL;
    s = find(g, fp);
    s->fp = fp;
    s->state = 0;
    g->n++;
    return s;
}

static void set_opened(struct cqe_igate *g, struct slot *s)
{
    if (s->state > 0)
        g->held -= s->state;
    s->state = OPENED;
    g->n_opened++;
}

int cqe_igate_admits(const struct cqe_igate *g, const char *inc, size_t n, int is_open)
{
    if (is_open)
        return 1;
    const struct slot *s = find(g, fingerprint(inc, n));
    if (s->fp && s->state == OPENED)
        return 1;
    return g->held < g->limit;
}

int cqe_igate_record(struct cqe_igate *g, const char *inc, size_t n, int is_open, struct cqe_store *st)
{
    struct slot *s = entry(g, inc, n);
    if (!s)
        return CQE_ENOMEM;
    if (s->state == OPENED)
        return 0;
    if (is_open) {
        set_opened(g, s);
        return cqe_store_set_add(st, CQE_IGATE_KEY_OPENED, strlen(CQE_IGATE_KEY_OPENED), inc, n);
    }
    s->state++;
    g->held++;
    return cqe_store_add(st, CQE_IGATE_KEY_PENDING, strlen(CQE_IGATE_KEY_PENDING), inc, n, 1);
}

int cqe_igate_load_opened(struct cqe_igate *g, const char *inc, size_t n)
{
    struct slot *s = entry(g, inc, n);
    if (!s)
        return CQE_ENOMEM;
    if (s->state != OPENED)
        set_opened(g, s);
    return 0;
}

int cqe_igate_load_pending(struct cqe_igate *g, const char *inc, size_t n, int64_t events)
{
    struct slot *s = entry(g, inc, n);
    if (!s)
        return CQE_ENOMEM;
    if (s->state != OPENED && events > 0) {
        s->state += events;
        g->held += events;
    }
    return 0;
}

int64_t cqe_igate_held(const struct cqe_igate *g)
{
    return g->held;
}

size_t cqe_igate_pending(const struct cqe_igate *g)
{
    size_t k = 0;
    for (size_t i = 0; i < g->cap; i++)
        k += g->slots[i].fp && g->slots[i].state > 0;
    return k;
}

size_t cqe_igate_opened(const struct cqe_igate *g)
{
    return g->n_opened;
}

size_t cqe_igate_bytes(const struct cqe_igate *g)
{
    return g->cap * sizeof *g->slots;
}
