/* Key and record codec of the state store (see state_key.h). */
#include "state_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "timeutil.h"

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

size_t cqe_fmt_i64(char *out, int64_t v)
{
    char t[CQE_I64_CHARS];
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0, k = 0;
    do {
        t[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        out[k++] = '-';
    while (n)
        out[k++] = t[--n];
    return k;
}

void cqe_kb_i64(struct cqe_kb *b, int64_t v)
{
    char t[CQE_I64_CHARS];
    size_t n = cqe_fmt_i64(t, v);
    sep(b);
    put_raw(b, t, n);
}

void cqe_kb_dbl(struct cqe_kb *b, double v)
{
    char t[32];
    int n = snprintf(t, sizeof t, "%.17g", v);
    sep(b);
    put_raw(b, t, (size_t)n);
}

/* v as exactly `width` digits, zero-padded (0 <= v < 10^width). */
static void digits(char *out, int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void cqe_kb_month(struct cqe_kb *b, int64_t month)
{
    char t[24];
    int64_t y = month / 12;
    int m = (int)(month % 12) + 1, n;
    if (y >= 0 && y <= 9999 && m >= 1) {
        digits(t, y, 4);
        t[4] = '-';
        digits(t + 5, m, 2);
        n = 7;
    } else { /* outside the contract's years: printf's rendering */
        n = snprintf(t, sizeof t, "%04lld-%02d", (long long)y, m);
    }
    sep(b);
    put_raw(b, t, (size_t)n);
}

void cqe_kb_date(struct cqe_kb *b, int64_t day)
{
    char t[40];
    int64_t y;
    int m, d, n;
    cqe_civil_from_days(day, &y, &m, &d);
    if (y >= 0 && y <= 9999) {
        digits(t, y, 4);
        t[4] = t[7] = '-';
        digits(t + 5, m, 2);
        digits(t + 8, d, 2);
        n = 10;
    } else {
        n = snprintf(t, sizeof t, "%04lld-%02d-%02d", (long long)y, m, d);
    }
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
            return CQE_ENOMEM;
        k->buf = p;
        k->cap = n + 1;
    }
    k->count = 0;
    size_t o = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '|') {
            if (k->count == CQE_KPARTS_MAX) {
                k->count = 0;
                return CQE_EINVAL;
            }
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

static bool has(const struct cqe_kparts *k, int i)
{
    return i >= 0 && i < k->count;
}

int cqe_kparts_i64(const struct cqe_kparts *k, int i, int64_t *out)
{
    if (!has(k, i) || k->n[i] == 0)
        return CQE_EINVAL;
    const char *p = k->p[i];
    size_t n = k->n[i], j = p[0] == '-';
    if (j == n)
        return CQE_EINVAL;
    uint64_t v = 0, limit = j ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; j < n; j++) {
        if (p[j] < '0' || p[j] > '9')
            return CQE_EINVAL;
        unsigned d = (unsigned)(p[j] - '0');
        if (v > (limit - d) / 10)
            return CQE_EINVAL;
        v = v * 10 + d;
    }
    *out = p[0] == '-' ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int cqe_kparts_dbl(const struct cqe_kparts *k, int i, double *out)
{
    char t[64];
    if (!has(k, i) || k->n[i] == 0 || k->n[i] >= sizeof t)
        return CQE_EINVAL;
    memcpy(t, k->p[i], k->n[i]);
    t[k->n[i]] = 0;
    char *end;
    double v = strtod(t, &end);
    if (*end)
        return CQE_EINVAL;
    *out = v;
    return 0;
}

int cqe_kparts_month(const struct cqe_kparts *k, int i, int64_t *out)
{
    if (!has(k, i) || k->n[i] != 7 || k->p[i][4] != '-')
        return CQE_EINVAL;
    const char *p = k->p[i];
    for (int j = 0; j < 7; j++)
        if (j != 4 && (p[j] < '0' || p[j] > '9'))
            return CQE_EINVAL;
    int64_t y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
    int m = (p[5] - '0') * 10 + (p[6] - '0');
    if (m < 1 || m > 12)
        return CQE_EINVAL;
    *out = y * 12 + m - 1;
    return 0;
}

bool cqe_kparts_is(const struct cqe_kparts *k, int i, const char *s)
{
    size_t n = strlen(s);
    return has(k, i) && k->n[i] == n && !memcmp(k->p[i], s, n);
}

bool cqe_kparts_opt(const struct cqe_kparts *k, int i, const char **p, size_t *n)
{
    if (!has(k, i) || k->n[i] == 0 || k->p[i][0] != '=')
        return false;
    *p = k->p[i] + 1;
    *n = k->n[i] - 1;
    return true;
}
