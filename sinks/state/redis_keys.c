/* The Redis key layout (see redis_keys.h, docs/state.md "Key layout"): every key name,
 * hash field and register record cloudqe writes or reads is composed or split here. */
#include "redis_keys.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char *const suffixes[] = {
    [CQE_RKEY_SUM] = "sum", [CQE_RKEY_SUMHI] = "sumhi", [CQE_RKEY_MAX] = "max",   [CQE_RKEY_MIN] = "min",
    [CQE_RKEY_SET] = "set", [CQE_RKEY_RMIN] = "rmin",   [CQE_RKEY_RMAX] = "rmax", [CQE_RKEY_VEC] = "vec",
};
#define N_SUFFIXES (sizeof suffixes / sizeof suffixes[0])

static const char *const metas[] = {
    [CQE_RKEY_POS] = "pos", [CQE_RKEY_DEDUP] = "dedup", [CQE_RKEY_COUNT] = "count"};

static const struct {
    const char *name;
    size_t off;
} counts[CQE_RKEY_COUNTS] = {
    {"read", offsetof(struct cqe_redis_counts, read)},
    {"applied", offsetof(struct cqe_redis_counts, applied)},
    {"duplicates", offsetof(struct cqe_redis_counts, duplicates)},
    {"dead_letters", offsetof(struct cqe_redis_counts, dead_letters)},
};

int cqe_rkey_check_ns(const char *ns, struct cqe_err *err)
{
    if (!ns || !*ns || strpbrk(ns, "{}"))
        return cqe_err_set(err, CQE_EINVAL, "redis namespace '%s': non-empty, without '{' or '}'",
                           ns ? ns : "");
    if (strlen(ns) > CQE_RKEY_NS_MAX)
        return cqe_err_set(err, CQE_EINVAL, "redis namespace too long (at most %d bytes)", CQE_RKEY_NS_MAX);
    return 0;
}

int cqe_rkey_prefix(struct cqe_rkey_prefix *p, const char *ns, int partition, struct cqe_err *err)
{
    int rc = cqe_rkey_check_ns(ns, err);
    if (rc)
        return rc;
    if (partition < 0)
        return cqe_err_set(err, CQE_EINVAL, "redis: partition %d is negative", partition);
    int n = snprintf(p->s, sizeof p->s, "%s:{p%d}:", ns, partition);
    p->len = (size_t)n; /* fits: ns is at most CQE_RKEY_NS_MAX bytes */
    return 0;
}

const char *cqe_rkey_suffix(enum cqe_rkey_kind k)
{
    return (size_t)k < N_SUFFIXES ? suffixes[k] : "?";
}

enum cqe_rkey_kind cqe_rkey_kind_of(enum cqe_cell_op op)
{
    switch (op) {
    case CQE_OP_SUM: return CQE_RKEY_SUM;
    case CQE_OP_MAX: return CQE_RKEY_MAX;
    case CQE_OP_MIN: return CQE_RKEY_MIN;
    case CQE_OP_SET: return CQE_RKEY_SET;
    case CQE_OP_REG_MIN: return CQE_RKEY_RMIN;
    case CQE_OP_REG_MAX: return CQE_RKEY_RMAX;
    case CQE_OP_VEC: return CQE_RKEY_VEC;
    }
    return CQE_RKEY_SUM;
}

void cqe_rkey_state(struct cqe_rargs *a, const struct cqe_rkey_prefix *p, const char *key, size_t n,
                    enum cqe_rkey_kind k)
{
    const char *sfx = cqe_rkey_suffix(k);
    cqe_rargs_cat(a, p->s, p->len, key, n, ":", 1, sfx, strlen(sfx));
}

void cqe_rkey_meta(struct cqe_rargs *a, const struct cqe_rkey_prefix *p, enum cqe_rkey_meta m)
{
    cqe_rargs_cat(a, p->s, p->len, metas[m], strlen(metas[m]), NULL, 0, NULL, 0);
}

void cqe_rkey_partitions(struct cqe_rargs *a, const char *ns)
{
    static const char name[] = ":partitions";
    cqe_rargs_cat(a, ns, strlen(ns), name, sizeof name - 1, NULL, 0, NULL, 0);
}

void cqe_rkey_scan_pattern(struct cqe_rargs *a, const char *ns)
{
    static const char tail[] = ":{p*}:*";
    char esc[2 * CQE_RKEY_NS_MAX + 1];
    size_t o = 0;
    for (; *ns && o + 2 < sizeof esc; ns++) {
        if (strchr("*?[]\\", *ns))
            esc[o++] = '\\';
        esc[o++] = *ns;
    }
    cqe_rargs_cat(a, esc, o, tail, sizeof tail - 1, NULL, 0, NULL, 0);
}

/* Skips the decimal digits at s[*i..n); returns their value, INT32_MAX when larger, or
 * -1 when there is none. */
static long long digits(const char *s, size_t n, size_t *i)
{
    size_t d0 = *i;
    long long v = 0;
    for (; *i < n && s[*i] >= '0' && s[*i] <= '9'; (*i)++)
        v = v > (INT32_MAX - (s[*i] - '0')) / 10 ? INT32_MAX : v * 10 + (s[*i] - '0');
    return *i == d0 ? -1 : v;
}

int cqe_rkey_parse(const char *ns, const char *k, size_t n, struct cqe_rkey_parsed *out)
{
    size_t nl = strlen(ns);
    if (n < nl + 4 || memcmp(k, ns, nl) || memcmp(k + nl, ":{p", 3))
        return 0;
    size_t i = nl + 3;
    long long part = digits(k, n, &i);
    if (part < 0 || i + 2 > n || k[i] != '}' || k[i + 1] != ':')
        return 0;
    i += 2;
    const char *colon = NULL;
    for (size_t j = i; j < n; j++)
        if (k[j] == ':')
            colon = k + j;
    if (!colon)
        return 0; /* pos, dedup, count */
    out->partition = (int)part;
    out->skey = k + i;
    out->skey_len = (size_t)(colon - (k + i));
    out->sfx = colon + 1;
    out->sfx_len = n - (size_t)(colon + 1 - k);
    out->kind = -1;
    for (size_t s = 0; s < N_SUFFIXES; s++)
        if (strlen(suffixes[s]) == out->sfx_len && !memcmp(suffixes[s], out->sfx, out->sfx_len))
            out->kind = (int)s;
    return 1;
}

void cqe_rkey_vec_field(struct cqe_rargs *a, uint32_t len, uint32_t idx, const char *f, size_t fn)
{
    char head[48];
    int hn = snprintf(head, sizeof head, "%u|%u|", (unsigned)len, (unsigned)idx);
    cqe_rargs_cat(a, head, (size_t)hn, f, fn, NULL, 0, NULL, 0);
}

int cqe_rkey_vec_field_parse(const char *s, size_t n, uint32_t *len, uint32_t *idx, const char **f,
                             size_t *fn)
{
    const char *b1 = memchr(s, '|', n), *b2;
    int64_t l, x;
    if (!b1 || !(b2 = memchr(b1 + 1, '|', n - (size_t)(b1 + 1 - s))) ||
        cqe_rargs_parse_i64(s, (size_t)(b1 - s), &l) ||
        cqe_rargs_parse_i64(b1 + 1, (size_t)(b2 - b1 - 1), &x) || l < 1 || l > UINT32_MAX || x < 0 || x >= l)
        return -1;
    *len = (uint32_t)l;
    *idx = (uint32_t)x;
    *f = b2 + 1;
    *fn = n - (size_t)(b2 + 1 - s);
    return 0;
}

void cqe_rkey_reg_value(struct cqe_rargs *a, int64_t ts, const char *id, size_t idn, const char *val,
                        size_t valn)
{
    char head[48];
    int hn = snprintf(head, sizeof head, "%lld|%zu:", (long long)ts, idn);
    cqe_rargs_cat(a, head, (size_t)hn, id, idn, val, valn, NULL, 0);
}

int cqe_rkey_reg_value_parse(const char *v, size_t n, int64_t *ts, const char **id, size_t *idn,
                             const char **val, size_t *valn)
{
    const char *bar = memchr(v, '|', n), *colon;
    int64_t l;
    if (!bar || !(colon = memchr(bar, ':', n - (size_t)(bar - v))) ||
        cqe_rargs_parse_i64(v, (size_t)(bar - v), ts) ||
        cqe_rargs_parse_i64(bar + 1, (size_t)(colon - bar - 1), &l) || l < 0 ||
        (size_t)l > n - (size_t)(colon + 1 - v))
        return -1;
    *id = colon + 1;
    *idn = (size_t)l;
    *val = *id + l;
    *valn = n - (size_t)(*val - v);
    return 0;
}

const char *cqe_rkey_count_field(int i)
{
    return i >= 0 && i < CQE_RKEY_COUNTS ? counts[i].name : "?";
}

int64_t cqe_rkey_count_get(const struct cqe_redis_counts *c, int i)
{
    return *(const int64_t *)((const char *)c + counts[i].off);
}

void cqe_rkey_count_add(struct cqe_redis_counts *c, const char *f, size_t fn, int64_t v)
{
    for (int i = 0; i < CQE_RKEY_COUNTS; i++)
        if (strlen(counts[i].name) == fn && !memcmp(counts[i].name, f, fn))
            *(int64_t *)((char *)c + counts[i].off) += v;
    if (strlen(CQE_RKEY_COUNT_PENDING_REFUSED) == fn && !memcmp(CQE_RKEY_COUNT_PENDING_REFUSED, f, fn))
        c->pending_refused += v;
}
