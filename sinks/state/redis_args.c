/* The argument arena of Redis commands (see redis_args.h). */
#include "redis_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

void cqe_rargs_reset(struct cqe_rargs *a)
{
    a->n = 0;
    a->an = 0;
    a->oom = 0;
}

void cqe_rargs_free(struct cqe_rargs *a)
{
    free(a->v);
    free(a->arena);
    free(a->pv);
    free(a->lv);
    memset(a, 0, sizeof *a);
}

static struct cqe_rarg *slot(struct cqe_rargs *a)
{
    if (a->oom)
        return NULL;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        struct cqe_rarg *v = realloc(a->v, cap * sizeof *v);
        if (!v) {
            a->oom = 1;
            return NULL;
        }
        a->v = v;
        a->cap = cap;
    }
    return &a->v[a->n++];
}

void cqe_rargs_ref(struct cqe_rargs *a, const char *p, size_t len)
{
    struct cqe_rarg *g = slot(a);
    if (g)
        *g = (struct cqe_rarg){p ? p : "", 0, len};
}

void cqe_rargs_cstr(struct cqe_rargs *a, const char *s)
{
    cqe_rargs_ref(a, s, strlen(s));
}

/* Reserves n bytes in the arena; returns their offset or SIZE_MAX. */
static size_t arena_take(struct cqe_rargs *a, size_t n)
{
    if (a->oom)
        return SIZE_MAX;
    if (a->an + n > a->acap) {
        size_t cap = a->acap ? a->acap : 4096;
        while (cap < a->an + n)
            cap *= 2;
        char *p = realloc(a->arena, cap);
        if (!p) {
            a->oom = 1;
            return SIZE_MAX;
        }
        a->arena = p;
        a->acap = cap;
    }
    size_t off = a->an;
    a->an += n;
    return off;
}

void cqe_rargs_cat(struct cqe_rargs *a, const char *p1, size_t n1, const char *p2, size_t n2, const char *p3,
                   size_t n3, const char *p4, size_t n4)
{
    size_t off = arena_take(a, n1 + n2 + n3 + n4);
    struct cqe_rarg *g = slot(a);
    if (off == SIZE_MAX || !g)
        return;
    char *d = a->arena + off;
    if (n1)
        memcpy(d, p1, n1);
    if (n2)
        memcpy(d + n1, p2, n2);
    if (n3)
        memcpy(d + n1 + n2, p3, n3);
    if (n4)
        memcpy(d + n1 + n2 + n3, p4, n4);
    *g = (struct cqe_rarg){NULL, off, n1 + n2 + n3 + n4};
}

void cqe_rargs_copy(struct cqe_rargs *a, const char *p, size_t n)
{
    cqe_rargs_cat(a, p, n, NULL, 0, NULL, 0, NULL, 0);
}

void cqe_rargs_i64(struct cqe_rargs *a, long long v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%lld", v);
    cqe_rargs_copy(a, t, (size_t)n);
}

void cqe_rargs_dbl(struct cqe_rargs *a, double v)
{
    char t[40];
    int n = snprintf(t, sizeof t, "%.17g", v);
    cqe_rargs_copy(a, t, (size_t)n);
}

int cqe_rargs_resolve(struct cqe_rargs *a)
{
    if (a->oom)
        return CQE_ENOMEM;
    if (a->pcap < a->n) {
        const char **pv = realloc(a->pv, a->n * sizeof *pv);
        if (pv)
            a->pv = pv;
        size_t *lv = realloc(a->lv, a->n * sizeof *lv);
        if (lv)
            a->lv = lv;
        if (!pv || !lv)
            return CQE_ENOMEM;
        a->pcap = a->n;
    }
    for (size_t i = 0; i < a->n; i++) {
        a->pv[i] = a->v[i].p ? a->v[i].p : a->arena + a->v[i].off;
        a->lv[i] = a->v[i].len;
    }
    return 0;
}

/* Copies the n bytes at s into t (cap bytes) as a C string; -1 when empty or too long. */
static int terminated(const char *s, size_t n, char *t, size_t cap)
{
    if (!n || n >= cap)
        return -1;
    memcpy(t, s, n);
    t[n] = 0;
    return 0;
}

int cqe_rargs_parse_i64(const char *s, size_t n, int64_t *out)
{
    char t[32], *end;
    if (terminated(s, n, t, sizeof t))
        return -1;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

int cqe_rargs_parse_dbl(const char *s, size_t n, double *out)
{
    char t[64], *end;
    if (terminated(s, n, t, sizeof t))
        return -1;
    *out = strtod(t, &end);
    return *end ? -1 : 0;
}
