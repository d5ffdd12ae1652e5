/* Encoding of store keys, fields and records: components joined by '|', with '|' and
 * '\' escaped by '\', so keys stay readable in redis-cli and parse back unambiguously.
 * Optional values are written "" when absent and "=" + value when present. */
#ifndef CQE_STATE_KEY_H
#define CQE_STATE_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growing byte buffer; `oom` is sticky so call sites check once at the end. */
struct cqe_kb {
    char *p;
    size_t n, cap;
    int oom;
};

void cqe_kb_free(struct cqe_kb *b);
void cqe_kb_reset(struct cqe_kb *b);
/* Appends a component (a separator first unless the buffer is empty). */
void cqe_kb_str(struct cqe_kb *b, const char *s, size_t n);
void cqe_kb_cstr(struct cqe_kb *b, const char *s);
void cqe_kb_i64(struct cqe_kb *b, int64_t v);
void cqe_kb_dbl(struct cqe_kb *b, double v);
/* Month index (year*12 + month-1) as "YYYY-MM". */
void cqe_kb_month(struct cqe_kb *b, int64_t month);
/* Day (days since 1970-01-01) as "YYYY-MM-DD". */
void cqe_kb_date(struct cqe_kb *b, int64_t day);

/* Writes v in decimal, as "%lld" does, into out (at least CQE_I64_CHARS bytes, no NUL
 * added); returns the length. Keys are built per event: no printf on that path. */
#define CQE_I64_CHARS 20
size_t cqe_fmt_i64(char *out, int64_t v);
/* Optional component: absent when s == NULL. */
void cqe_kb_opt_str(struct cqe_kb *b, const char *s, size_t n);

/* Components of a parsed key or record, unescaped into an internal buffer. */
#define CQE_KPARTS_MAX 24
struct cqe_kparts {
    int count;
    const char *p[CQE_KPARTS_MAX];
    size_t n[CQE_KPARTS_MAX];
    char *buf; /* owned */
    size_t cap;
};

/* Splits s into components; returns 0, CQE_EINVAL when there are more than
 * CQE_KPARTS_MAX, or CQE_ENOMEM. */
int cqe_kparts_parse(struct cqe_kparts *k, const char *s, size_t n);
void cqe_kparts_free(struct cqe_kparts *k);

/* Component i as a decimal int64 (optional '-', digits only), a double (the whole
 * component) or a month index ("YYYY-MM"). Return 0 with *out set, or CQE_EINVAL when
 * i is not a component of k or the text is not such a value (a short or corrupt record). */
int cqe_kparts_i64(const struct cqe_kparts *k, int i, int64_t *out);
int cqe_kparts_dbl(const struct cqe_kparts *k, int i, double *out);
int cqe_kparts_month(const struct cqe_kparts *k, int i, int64_t *out);
/* True when component i exists and equals s. */
bool cqe_kparts_is(const struct cqe_kparts *k, int i, const char *s);
/* Optional component i: true when present, with the value in p and n. */
bool cqe_kparts_opt(const struct cqe_kparts *k, int i, const char **p, size_t *n);

#endif
