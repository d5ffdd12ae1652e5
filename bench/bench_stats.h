/* What the C benchmarks measure with: this process's CPU time (steady when the core is
 * shared) and the median of repeated runs. Header-only: each benchmark is one file. */
#ifndef CQE_BENCH_STATS_H
#define CQE_BENCH_STATS_H

#include <stdlib.h>
#include <time.h>

/* CPU seconds of this process. */
static inline double bench_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (n >= 1); sorts v. */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
