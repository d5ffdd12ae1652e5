/* Benchmark: decode+validate and decode+apply throughput on the lines of an NDJSON file,
 * beside the raw json_loadb + json_decref rate on the same bytes in the same run; each
 * rate is the median of the repeats, which interleave the three loops, in events per
 * second of this process's CPU time (steady when the core is shared).
 * usage: bench_decode FILE [repeats] */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "bench_stats.h"
#include "config.h"
#include "decode.h"
#include "store.h"

struct lines {
    char *buf;
    size_t *off, *len, n;
    size_t bytes;
};

static int load(const char *path, struct lines *L)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    L->buf = malloc((size_t)size + 1);
    if (!L->buf || fread(L->buf, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        return -1;
    }
    fclose(f);
    size_t cap = 1024;
    L->off = malloc(cap * sizeof *L->off);
    L->len = malloc(cap * sizeof *L->len);
    size_t start = 0;
    for (size_t i = 0; i <= (size_t)size; i++) {
        if (i == (size_t)size || L->buf[i] == '\n') {
            if (i > start) {
                if (L->n == cap) {
                    cap *= 2;
                    L->off = realloc(L->off, cap * sizeof *L->off);
                    L->len = realloc(L->len, cap * sizeof *L->len);
                }
                L->off[L->n] = start;
                L->len[L->n++] = i - start;
                L->bytes += i - start;
            }
            start = i + 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_decode FILE [repeats]\n");
        return 2;
    }
    int repeats = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 3;
    if (repeats < 1 || repeats > 99)
        repeats = 3;
    struct lines L = {0};
    if (load(argv[1], &L)) {
        fprintf(stderr, "bench_decode: cannot read %s\n", argv[1]);
        return 1;
    }
    struct cqe_config cfg;
    cqe_config_defaults(&cfg);
    double t_raw[99] = {0}, t_dec[99] = {0}, t_app[99] = {0};
    size_t ok = 0;
    /* BENCH_ONLY=raw|decode|apply runs one loop alone (for a profiler) */
    const char *only = getenv("BENCH_ONLY");
    for (int r = 0; r < repeats; r++) {
        double t0 = bench_cpu_s();
        if (!only || !strcmp(only, "raw"))
            for (size_t i = 0; i < L.n; i++) {
                json_error_t e;
                json_t *j = json_loadb(L.buf + L.off[i], L.len[i], 0, &e);
                json_decref(j);
            }
        double t1 = bench_cpu_s();
        ok = 0;
        if (!only || !strcmp(only, "decode"))
            for (size_t i = 0; i < L.n; i++) {
                struct cqe_event ev;
                struct cqe_err err;
                memset(&ev, 0, sizeof ev);
                ok += cqe_decode(L.buf + L.off[i], L.len[i], cfg.max_message_bytes, &ev, &err) == 0;
                cqe_event_clear(&ev);
            }
        double t2 = bench_cpu_s();
        if (!only || !strcmp(only, "apply")) {
            struct cqe_store *s = cqe_store_new();
            struct cqe_apply_ctx ctx;
            cqe_apply_init(&ctx, s, &cfg);
            for (size_t i = 0; i < L.n; i++) {
                struct cqe_event ev;
                struct cqe_err err;
                memset(&ev, 0, sizeof ev);
                if (!cqe_decode(L.buf + L.off[i], L.len[i], cfg.max_message_bytes, &ev, &err))
                    cqe_apply_event(&ctx, &ev);
                cqe_event_clear(&ev);
            }
            cqe_apply_fini(&ctx);
            cqe_store_free(s);
        }
        double t3 = bench_cpu_s();
        t_raw[r] = t1 - t0;
        t_dec[r] = t2 - t1;
        t_app[r] = t3 - t2;
    }
    double med_raw = bench_median(t_raw, repeats), med_dec = bench_median(t_dec, repeats);
    double med_app = bench_median(t_app, repeats);
    double mb = (double)L.bytes / 1e6, n = (double)L.n;
    printf("input: %zu events, %.1f MB, %.0f bytes/event, %zu valid\n", L.n, mb, (double)L.bytes / n, ok);
    printf("raw json_loadb+json_decref : %10.0f events/s %8.1f MB/s\n", n / med_raw, mb / med_raw);
    printf("decode+validate            : %10.0f events/s %8.1f MB/s  (%.2f x raw)\n", n / med_dec,
           mb / med_dec, med_raw / med_dec);
    printf("decode+validate+processors : %10.0f events/s %8.1f MB/s  (%.2f x raw)\n", n / med_app,
           mb / med_app, med_raw / med_app);
    printf("ratio: json_loadb %.0f events/s, decode+apply %.0f events/s, %.2f x\n", n / med_raw, n / med_app,
           med_raw / med_app);
    cqe_config_fini(&cfg);
    free(L.buf);
    free(L.off);
    free(L.len);
    return 0;
}
