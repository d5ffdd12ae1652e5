/* Benchmark: the cost of encoding output records, Jansson's json_dumps at 17 digits (as
 * records were written before) against cqe_json_dumps (shortest reals), on the records
 * of an NDJSON file (the stdout of `cloudqe replay`); the loops interleave, each rate is
 * the median of the repeats in records per second of this process's CPU time.
 * usage: bench_records FILE [repeats] */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_stats.h"
#include "json_out.h"

#define FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

static size_t count_reals(const json_t *j)
{
    size_t n = json_is_real(j), i;
    const char *key;
    json_t *v;
    if (json_is_object(j))
        json_object_foreach((json_t *)j, key, v) n += count_reals(v);
    else if (json_is_array(j))
        json_array_foreach(j, i, v) n += count_reals(v);
    return n;
}

/* Encodes every record `rounds` times; returns CPU seconds, adds the bytes to *bytes. */
static double encode_all(json_t **recs, size_t n, int rounds, int shortest, size_t *bytes)
{
    double t0 = bench_cpu_s();
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++) {
            char *s = shortest ? cqe_json_dumps(recs[i], FLAGS)
                               : json_dumps(recs[i], FLAGS | JSON_REAL_PRECISION(17));
            if (!s) {
                fprintf(stderr, "bench_records: encoding failed\n");
                exit(1);
            }
            *bytes += strlen(s);
            free(s);
        }
    return bench_cpu_s() - t0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_records FILE [repeats]\n");
        return 2;
    }
    int repeats = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
    if (repeats < 1 || repeats > 99)
        repeats = 5;
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    json_t **recs = NULL;
    size_t n = 0, cap = 0, reals = 0;
    char *line = NULL;
    size_t lcap = 0;
    while (getline(&line, &lcap, f) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        if (!j)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            json_t **p = realloc(recs, cap * sizeof *p);
            if (!p)
                return 1;
            recs = p;
        }
        recs[n++] = j;
        reals += count_reals(j);
    }
    free(line);
    fclose(f);
    if (!n) {
        fprintf(stderr, "bench_records: no JSON records in %s\n", argv[1]);
        return 1;
    }
    int rounds = (int)(20000 / n) + 1;
    double old_r[99] = {0}, new_r[99] = {0};
    size_t old_b = 0, new_b = 0;
    for (int k = 0; k < repeats; k++) {
        old_r[k] = (double)(n * (size_t)rounds) / encode_all(recs, n, rounds, 0, &old_b);
        new_r[k] = (double)(n * (size_t)rounds) / encode_all(recs, n, rounds, 1, &new_b);
    }
    double o = bench_median(old_r, repeats), s = bench_median(new_r, repeats);
    printf("records: %zu (%.0f reals each, %.0f bytes each at 17 digits, %.0f shortest)\n", n,
           (double)reals / (double)n, (double)old_b / (double)(n * (size_t)rounds * (size_t)repeats),
           (double)new_b / (double)(n * (size_t)rounds * (size_t)repeats));
    printf("json_dumps %%.17g: %.0f records/s (%.2f us each)\n", o, 1e6 / o);
    printf("cqe_json_dumps:   %.0f records/s (%.2f us each), %.2f x the time\n", s, 1e6 / s, o / s);
    for (size_t i = 0; i < n; i++)
        json_decref(recs[i]);
    free(recs);
    return 0;
}
