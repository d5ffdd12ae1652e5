/* Retention months of stored keys (family.h, cqe_family_month_fn): the dispatch by
 * key prefix and the helpers the families' month functions share. */
#include "family.h"

#include <string.h>

#include "timeutil.h"

int cqe_family_key_month(const struct cqe_kparts *k, const struct cqe_cell *const *cells, size_t n,
                         int offset_min, int64_t *month)
{
    *month = CQE_MONTH_NEVER;
    if (k->count < 1)
        return 0;
    const struct cqe_family *f = cqe_family_of_prefix(k->p[0], k->n[0]);
    if (!f || !f->month)
        return 0;
    return f->month(k, cells, n, offset_min, month);
}

int64_t cqe_family_month_part(const struct cqe_kparts *k, int i)
{
    if (i >= k->count || (k->n[i] != 7 && k->n[i] != 10))
        return CQE_MONTH_NEVER;
    struct cqe_kparts one = {.count = 1, .p = {k->p[i]}, .n = {7}};
    int64_t m;
    return cqe_kparts_month(&one, 0, &m) ? CQE_MONTH_NEVER : m;
}

int cqe_family_month_of_name(const struct cqe_kparts *k, const struct cqe_cell *const *cells, size_t n,
                             int offset_min, int64_t *month)
{
    (void)cells;
    (void)n;
    (void)offset_min;
    *month = cqe_family_month_part(k, 1);
    return 0;
}

/* The decimal integer that starts s (up to the first '|' or the end). */
static bool leading_i64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = n > 0 && s[0] == '-';
    int64_t v = 0;
    if (neg)
        i++;
    size_t first = i;
    for (; i < n && s[i] != '|'; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (i == first)
        return false;
    *out = neg ? -v : v;
    return true;
}

static void later(int64_t *best, bool *any, int64_t ts)
{
    if (!*any || ts > *best)
        *best = ts;
    *any = true;
}

int64_t cqe_family_month_latest(const struct cqe_cell *const *cells, size_t n, int offset_min)
{
    int64_t best = 0, ts;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const struct cqe_cell *c = cells[i];
        switch (c->op) {
        case CQE_OP_REG_MIN:
        case CQE_OP_REG_MAX: later(&best, &any, c->reg_ts); break;
        case CQE_OP_MIN:
        case CQE_OP_MAX:
            if (c->d > -9.2e18 && c->d < 9.2e18)
                later(&best, &any, (int64_t)c->d);
            break;
        case CQE_OP_SET:
            if (leading_i64(c->field, c->field_len, &ts))
                later(&best, &any, ts);
            break;
        default: break;
        }
    }
    return any ? cqe_month_index(best, offset_min) : CQE_MONTH_NEVER;
}

/* Record components of the families that keep event records in a set. */
enum { R_TS, R_ID, R_ACTION };

int cqe_family_latest_action(const struct cqe_cell *const *cells, size_t n, bool (*counts)(int64_t action),
                             int64_t *action)
{
    struct cqe_kparts best = {0}, r = {0};
    int64_t best_ts = 0;
    int rc = 0;
    *action = -1;
    for (size_t i = 0; !rc && i < n; i++) {
        const struct cqe_cell *c = cells[i];
        int64_t ts, a;
        if (c->op != CQE_OP_SET)
            continue;
        if ((rc = cqe_kparts_parse(&r, c->field, c->field_len)))
            break;
        if (r.count <= R_ACTION || cqe_kparts_i64(&r, R_TS, &ts) || cqe_kparts_i64(&r, R_ACTION, &a)) {
            rc = CQE_EINVAL;
            break;
        }
        if (counts && !counts(a))
            continue;
        int cmp = 0;
        if (*action >= 0 && ts == best_ts) {
            size_t m = r.n[R_ID] < best.n[R_ID] ? r.n[R_ID] : best.n[R_ID];
            cmp = memcmp(r.p[R_ID], best.p[R_ID], m);
            if (!cmp)
                cmp = (r.n[R_ID] > best.n[R_ID]) - (r.n[R_ID] < best.n[R_ID]);
        }
        if (*action < 0 || ts > best_ts || cmp > 0) {
            struct cqe_kparts t = best; /* keep r's parts as the best, reuse the old buffer */
            best = r;
            r = t;
            best_ts = ts;
            *action = a;
        }
    }
    cqe_kparts_free(&r);
    cqe_kparts_free(&best);
    return rc;
}
