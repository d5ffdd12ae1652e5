/* The Redis key layout (see redis_keys.h, docs/state.md "Key layout"): every key name,
 * hash field and register record cloudqe writes or reads is composed or split here. */
#include "redis_keys.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_key.h"

static const char *const suffixes[] = {
    [CQE_RKEY_SUM] = "sum",   [CQE_RKEY_SUMHI] = "sumhi", [CQE_RKEY_MAX] = "max",
    [CQE_RKEY_MIN] = "min",   [CQE_RKEY_SET] = "set",     [CQE_RKEY_RMIN] = "rmin",
    [CQE_RKEY_RMAX] = "rmax", [CQE_RKEY_I64] = "i64",     [CQE_RKEY_RUNS] = "runs",
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
    case CQE_OP_VEC: return CQE_RKEY_I64;
    }
    return CQE_RKEY_SUM;
}

void cqe_rkey_state(struct cqe_rargs *a, const struct cqe_rkey_prefix *p, const char *key, size_t n,
                    enum cqe_rkey_kind k)
{
    const char *sfx = cqe_rkey_suffix(k);
    cqe_rargs_cat(a, p->s, p->len, key, n, ":", 1, sfx, strlen(sfx));
}

void cqe_rkey_vec_state(struct cqe_rargs *a, const struct cqe_rkey_prefix *p, const char *key, size_t n,
                        enum cqe_rkey_kind k, uint32_t len, const char *f, size_t fn)
{
    char sfx[48];
    int sn = snprintf(sfx, sizeof sfx, ":%s|%u|", cqe_rkey_suffix(k), (unsigned)len);
    cqe_rargs_cat(a, p->s, p->len, key, n, sfx, (size_t)sn, f, fn);
}

/* Whether a suffix names a vector kept as kind k: "<name of k>|...". */
static bool vec_suffix(enum cqe_rkey_kind k, const char *sfx, size_t n)
{
    size_t l = strlen(suffixes[k]);
    return n > l && sfx[l] == '|' && !memcmp(sfx, suffixes[k], l);
}

int cqe_rkey_vec_suffix_parse(const struct cqe_rkey_parsed *pk, uint32_t *len, const char **f, size_t *fn)
{
    if (pk->kind != CQE_RKEY_I64 && pk->kind != CQE_RKEY_RUNS)
        return -1;
    size_t start = strlen(suffixes[pk->kind]) + 1;
    const char *s = pk->sfx + start, *bar = memchr(s, '|', pk->sfx_len - start);
    int64_t l;
    if (!bar || cqe_rargs_parse_i64(s, (size_t)(bar - s), &l) || l < 1 || l > UINT32_MAX)
        return -1;
    *len = (uint32_t)l;
    *f = bar + 1;
    *fn = pk->sfx_len - (size_t)(*f - pk->sfx);
    return 0;
}

void cqe_rkey_meta(struct cqe_rargs *a, const struct cqe_rkey_prefix *p, enum cqe_rkey_meta m)
{
    cqe_rargs_cat(a, p->s, p->len, metas[m], strlen(metas[m]), NULL, 0, NULL, 0);
}

/* Appends "<ns><name>", a namespace-wide key. */
static void ns_key(struct cqe_rargs *a, const char *ns, const char *name)
{
    cqe_rargs_cat(a, ns, strlen(ns), name, strlen(name), NULL, 0, NULL, 0);
}

void cqe_rkey_partitions(struct cqe_rargs *a, const char *ns)
{
    ns_key(a, ns, ":partitions");
}

void cqe_rkey_format(struct cqe_rargs *a, const char *ns)
{
    ns_key(a, ns, ":format");
}

void cqe_rkey_retention(struct cqe_rargs *a, const char *ns)
{
    ns_key(a, ns, ":retention");
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
    if (vec_suffix(CQE_RKEY_I64, out->sfx, out->sfx_len))
        out->kind = CQE_RKEY_I64;
    else if (vec_suffix(CQE_RKEY_RUNS, out->sfx, out->sfx_len))
        out->kind = CQE_RKEY_RUNS;
    else if (out->kind == CQE_RKEY_I64 || out->kind == CQE_RKEY_RUNS)
        out->kind = -1; /* a vector suffix without its length and field */
    return 1;
}

int cqe_rkey_split_day(const char *key, size_t n, size_t *month_len)
{
    static const char shape[] = "|dddd-dd-dd"; /* d: a digit */
    size_t l = sizeof shape - 1;
    if (n < l)
        return -1;
    for (size_t i = 0; i < l; i++) {
        char c = key[n - l + i];
        if (shape[i] == 'd' ? c < '0' || c > '9' : c != shape[i])
            return -1;
    }
    *month_len = n - 3;
    return 0;
}

void cqe_rkey_i64_offset(struct cqe_rargs *a, uint32_t idx)
{
    char d[CQE_I64_CHARS];
    cqe_rargs_cat(a, "#", 1, d, cqe_fmt_i64(d, idx), NULL, 0, NULL, 0);
}

int cqe_rkey_i64_parse(const unsigned char *s, size_t n, int64_t *out, uint32_t len)
{
    if (n % 8 || n / 8 > len)
        return -1;
    memset(out, 0, (size_t)len * sizeof *out);
    for (size_t i = 0; i < n / 8; i++) {
        uint64_t u = 0;
        for (size_t k = 0; k < 8; k++)
            u = u << 8 | s[i * 8 + k];
        out[i] = (int64_t)u;
    }
    return 0;
}

void cqe_rkey_runs(struct cqe_rargs *a, const int64_t *v, uint32_t len, uint32_t w)
{
    /* at most len / w runs, each a count and w entries of up to 20 characters plus a
     * separator */
    size_t cap = (size_t)(len / w) * ((size_t)w + 1) * (CQE_I64_CHARS + 1) + 1, o = 0;
    char *b = malloc(cap);
    if (!b) {
        a->oom = 1;
        return;
    }
    for (uint32_t i = 0, j; i < len; i = j) {
        for (j = i + w; j < len && !memcmp(v + i, v + j, w * sizeof *v); j += w)
            ;
        if (o)
            b[o++] = ';';
        o += cqe_fmt_i64(b + o, (j - i) / w);
        b[o++] = '*';
        for (uint32_t e = 0; e < w; e++) {
            if (e)
                b[o++] = ',';
            o += cqe_fmt_i64(b + o, v[i + e]);
        }
    }
    cqe_rargs_copy(a, b, o);
    free(b);
}

/* The decimal int64 at s[*i..) up to the next '*', ',' or ';' (or the end), which *i
 * then points at. Returns 0 or -1. */
static int run_token(const char *s, size_t n, size_t *i, int64_t *v)
{
    size_t j = *i;
    while (j < n && s[j] != '*' && s[j] != ',' && s[j] != ';')
        j++;
    if (cqe_rargs_parse_i64(s + *i, j - *i, v))
        return -1;
    *i = j;
    return 0;
}

int cqe_rkey_runs_parse(const char *s, size_t n, int64_t *out, uint32_t len)
{
    size_t i = 0, w = 0, at = 0;
    while (i < n) {
        int64_t c, e;
        size_t k = 0;
        if (run_token(s, n, &i, &c) || c < 1 || c > len || i == n || s[i++] != '*')
            return -1;
        for (;;) {
            if (run_token(s, n, &i, &e) || e > CQE_RKEY_RUN_MAX || e < -CQE_RKEY_RUN_MAX || at + k >= len)
                return -1;
            out[at + k++] = e;
            if (i == n || s[i] != ',')
                break;
            i++;
        }
        if ((w && k != w) || (uint64_t)c * k > len - at)
            return -1;
        w = k;
        for (int64_t r = 1; r < c; r++)
            memcpy(out + at + (size_t)r * k, out + at, k * sizeof *out);
        at += (size_t)c * k;
        if (i < n && (s[i] != ';' || ++i == n))
            return -1; /* runs are joined by ';', none after the last */
    }
    return at == len ? 0 : -1;
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
    for (int r = 0; r < CQE_R__COUNT; r++) {
        const char *name = cqe_reason_name((enum cqe_reason)r);
        if (strlen(name) == fn && !memcmp(name, f, fn))
            c->by_reason[r] += v;
    }
}
