/* Key and record codec of the state store (see state_key.h). */
#include "state_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cqe_kb_free(struct cqe_kb *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

void cqe_kb_reset(struct cqe_kb *b)
{
    b->n = 0;
}

static void reserve(struct cqe_kb *b, size_t extra)
{
    if (b->n + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 128;
    while (cap < b->n + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return;
    }
    b->p = p;
    b->cap = cap;
}

static void put_raw(struct cqe_kb *b, const char *s, size_t n)
{
    reserve(b, n);
    if (b->oom)
        return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sep(struct cqe_kb *b)
{
    if (b->n)
        put_raw(b, "|", 1);
}

static void put_escaped(struct cqe_kb *b, const char *s, size_t n)
{
    reserve(b, 2 * n);
    if (b->oom)
        return;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '|' || s[i] == '\\')
            b->p[b->n++] = '\\';
        b->p[b->n++] = s[i];
    }
    b->p[b->n] = 0;
}

void cqe_kb_str(struct cqe_kb *b, const char *s, size_t n)
{
    sep(b);
    put_escaped(b, s, n);
}

void cqe_kb_cstr(struct cqe_kb *b, const char *s)
{
    cqe_kb_str(b, s, strlen(s));
}

void cqe_kb_i64(struct cqe_kb *b, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%lld", (long long)v);
    sep(b);
    put_raw(b, t, (size_t)n);
}

void cqe_kb_dbl(struct cqe_kb *b, double v)
{
    char t[32];
    int n = snprintf(t, sizeof t, "%.17g", v);
    sep(b);
    put_raw(b, t, (size_t)n);
}

void cqe_kb_month(struct cqe_kb *b, int64_t month)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%04lld-%02d", (long long)(month / 12), (int)(month % 12) + 1);
    sep(b);
    put_raw(b, t, (size_t)n);
}

void cqe_kb_opt_str(struct cqe_kb *b, const char *s, size_t n)
{
    sep(b);
    if (s) {
        put_raw(b, "=", 1);
        put_escaped(b, s, n);
    } else if (!b->n) {
        /* a leading empty component still needs to exist */
        reserve(b, 0);
    }
}

int cqe_kparts_parse(struct cqe_kparts *k, const char *s, size_t n)
{
    if (k->cap < n + 1) {
        char *p = realloc(k->buf, n + 1);
        if (!p)
            return -1;
        k->buf = p;
        k->cap = n + 1;
    }
    k->count = 0;
    size_t o = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '|') {
            if (k->count == CQE_KPARTS_MAX)
                return -1;
            k->p[k->count] = k->buf + start;
            k->n[k->count] = o - start;
            k->count++;
            start = o;
            continue;
        }
        if (s[i] == '\\' && i + 1 < n)
            i++;
        k->buf[o++] = s[i];
    }
    return 0;
}

void cqe_kparts_free(struct cqe_kparts *k)
{
    free(k->buf);
    k->buf = NULL;
    k->cap = 0;
}

int64_t cqe_kparts_i64(const struct cqe_kparts *k, int i)
{
    int64_t v = 0;
    int neg = 0;
    for (size_t j = 0; j < k->n[i]; j++) {
        char c = k->p[i][j];
        if (c == '-')
            neg = 1;
        else if (c >= '0' && c <= '9')
            v = v * 10 + (c - '0');
    }
    return neg ? -v : v;
}

double cqe_kparts_dbl(const struct cqe_kparts *k, int i)
{
    char t[64];
    size_t n = k->n[i] < sizeof t - 1 ? k->n[i] : sizeof t - 1;
    memcpy(t, k->p[i], n);
    t[n] = 0;
    return strtod(t, NULL);
}

int64_t cqe_kparts_month(const struct cqe_kparts *k, int i)
{
    const char *p = k->p[i];
    if (k->n[i] < 7)
        return 0;
    int64_t y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
    int m = (p[5] - '0') * 10 + (p[6] - '0');
    return y * 12 + m - 1;
}

bool cqe_kparts_is(const struct cqe_kparts *k, int i, const char *s)
{
    size_t n = strlen(s);
    return i < k->count && k->n[i] == n && !memcmp(k->p[i], s, n);
}

bool cqe_kparts_opt(const struct cqe_kparts *k, int i, const char **p, size_t *n)
{
    if (i >= k->count || k->n[i] == 0 || k->p[i][0] != '=')
        return false;
    *p = k->p[i] + 1;
    *n = k->n[i] - 1;
    return true;
}
