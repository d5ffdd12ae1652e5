/* The Prometheus text exposition format (0.0.4) written into a growing buffer: HELP and
 * TYPE lines per family, samples with escaped label values, exact integers. Used by every
 * /metrics endpoint (`cloudqe serve`, `cloudqe run`). */
#ifndef CQE_PROM_TEXT_H
#define CQE_PROM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A text being written. Zero-initialise it (or cqe_prom_init). Not thread-safe: one writer
 * per request. An allocation failure or an invalid name makes every later call a no-op and
 * cqe_prom_take return NULL. */
struct cqe_prom {
    char *buf;
    size_t len, cap;
    bool failed;
};

void cqe_prom_init(struct cqe_prom *p);

/* Starts a family: "# HELP name help" (help escaped) and "# TYPE name type", type one of
 * "counter", "gauge", "untyped" (a histogram is written whole by cqe_prom_histogram;
 * summaries are not written). Call it once per name, before its samples. */
void cqe_prom_family(struct cqe_prom *p, const char *name, const char *type, const char *help);

/* Writes one sample "name{l1="v1",...} value". The labels are name/value pairs of C
 * strings ended by a NULL name: cqe_prom_sample(p, "x_total", 3, "class", "2xx", NULL).
 * Label values are escaped (\\, \", \n); a non-finite value is written NaN, +Inf or -Inf;
 * an integral value up to 2^53 is written exactly, others with 17 significant digits. */
void cqe_prom_sample(struct cqe_prom *p, const char *name, double value, ...);

/* The same for a counter held as uint64_t (written exactly, whatever its size). */
void cqe_prom_sample_u64(struct cqe_prom *p, const char *name, uint64_t value, ...);

/* Shorthand: a family with one unlabelled sample. */
void cqe_prom_gauge(struct cqe_prom *p, const char *name, const char *help, double value);
void cqe_prom_counter(struct cqe_prom *p, const char *name, const char *help, uint64_t value);

/* A whole histogram family: HELP and TYPE, then name_bucket{le="b"} with the cumulative
 * count for each of the n ascending upper bounds le (written as %g: "0.005") and for
 * le="+Inf", name_sum and name_count. counts has n + 1 entries, each the observations of
 * one bucket only (counts[n]: above the last bound); sum is the observations' total. */
void cqe_prom_histogram(struct cqe_prom *p, const char *name, const char *help, const double *le,
                        const uint64_t *counts, size_t n, double sum);

/* True when name is a valid metric or label name ([a-zA-Z_:][a-zA-Z0-9_:]*, no ':' for
 * labels). */
bool cqe_prom_name_ok(const char *name, bool is_label);

/* Returns the text (NUL-terminated, malloc'ed, owned by the caller) and its length in *len,
 * or NULL after a failure; p is reset either way. */
char *cqe_prom_take(struct cqe_prom *p, size_t *len);

/* Frees what p holds (for error paths); p is reset. */
void cqe_prom_free(struct cqe_prom *p);

#endif
