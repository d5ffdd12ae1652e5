/* The argument arena a Redis command is built in: borrowed bytes, or numbers and composed
 * keys copied into one growing buffer, resolved to hiredis's argv/argvlen at send. Also
 * the inverse: the decimal text of numbers that Redis sends back. */
#ifndef CQE_REDIS_ARGS_H
#define CQE_REDIS_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* One argument: borrowed bytes (p != NULL) or len bytes at `off` in the arena. */
struct cqe_rarg {
    const char *p;
    size_t off, len;
};

/* A command being built. Zero-initialise; `oom` is sticky until cqe_rargs_reset, so
 * call sites check once, at cqe_rargs_resolve. Used by one thread at a time. */
struct cqe_rargs {
    struct cqe_rarg *v;
    size_t n, cap;
    char *arena;
    size_t an, acap;
    const char **pv; /* resolved pointers, valid until the next change */
    size_t *lv;
    size_t pcap;
    int oom;
};

/* Empties the command, keeping the buffers; _free releases them (a zeroed struct stays). */
void cqe_rargs_reset(struct cqe_rargs *a);
void cqe_rargs_free(struct cqe_rargs *a);

/* Borrowed argument: p (NULL reads as "") must stay valid until the command is sent. */
void cqe_rargs_ref(struct cqe_rargs *a, const char *p, size_t len);
void cqe_rargs_cstr(struct cqe_rargs *a, const char *s);

/* One argument, copied into the arena: the concatenation of up to four pieces (a piece
 * of length 0 may be NULL). */
void cqe_rargs_cat(struct cqe_rargs *a, const char *p1, size_t n1, const char *p2, size_t n2, const char *p3,
                   size_t n3, const char *p4, size_t n4);
void cqe_rargs_copy(struct cqe_rargs *a, const char *p, size_t n);

/* Numbers as Redis reads them: "%lld", and "%.17g" (round-trips a double exactly). */
void cqe_rargs_i64(struct cqe_rargs *a, long long v);
void cqe_rargs_dbl(struct cqe_rargs *a, double v);

/* Fills a->pv / a->lv with the a->n arguments (after the arena stopped moving).
 * Returns 0, or CQE_ENOMEM when any step of the build ran out of memory. */
int cqe_rargs_resolve(struct cqe_rargs *a);

/* Parses the n bytes at s as a whole decimal int64 (or, _dbl, a double as strtod reads
 * it). Returns 0, or -1 when empty, too long, or not wholly a number. */
int cqe_rargs_parse_i64(const char *s, size_t n, int64_t *out);
int cqe_rargs_parse_dbl(const char *s, size_t n, double *out);

#endif
