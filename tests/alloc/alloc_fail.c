/* Allocation-failure tests (SQLite style): the Nth allocation fails, for every N until
 * the operation succeeds, in the decoder and in the store (updates, merge, view build).
 * Each failure must come back as a clean CQE_ENOMEM with nothing leaked. Linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=free (Makefile,
 * build/san/alloc_fail_tests); Jansson allocates through json_set_alloc_funcs. */
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "config.h"
#include "decode.h"
#include "err.h"
#include "store.h"
#include "../unit/unit.h"
#include "view.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
void __wrap_free(void *p);

/* The injector: when armed, allocation number fail_at (from 1) returns NULL; Jansson's
 * allocations count only with `jansson` set. `live` counts blocks not yet freed. */
static struct {
    bool armed, fired, jansson;
    long count, fail_at;
    long live;
} inj;

static bool fail_now(void)
{
    if (!inj.armed || ++inj.count != inj.fail_at)
        return false;
    inj.fired = true;
    return true;
}

void *__wrap_malloc(size_t n)
{
    void *p = fail_now() ? NULL : __real_malloc(n);
    inj.live += p != NULL;
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    void *p = fail_now() ? NULL : __real_calloc(n, size);
    inj.live += p != NULL;
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    if (fail_now())
        return NULL;
    void *q = __real_realloc(p, n);
    inj.live += !p && q;
    return q;
}

char *__wrap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = __wrap_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void __wrap_free(void *p)
{
    inj.live -= p != NULL;
    __real_free(p);
}

static void arm(long n)
{
    inj.armed = true;
    inj.fired = false;
    inj.count = 0;
    inj.fail_at = n;
}

static void *jansson_malloc(size_t n)
{
    bool armed = inj.armed;
    inj.armed = armed && inj.jansson;
    void *p = __wrap_malloc(n);
    inj.armed = armed;
    return p;
}

__attribute__((constructor)) static void route_jansson(void)
{
    json_set_alloc_funcs(jansson_malloc, __wrap_free);
}

/* One event of each type (the contract's examples in shape). */
static const char *const events[] = {
    "{\"v\":1,\"id\":\"i1-open\",\"type\":\"incident\",\"ts\":\"2026-03-01T09:12:00+08:00\","
    "\"provider\":\"p1\",\"dept\":\"d1\",\"incident\":\"I1\",\"action\":\"open\","
    "\"service\":\"s1\",\"severity\":2,\"impact\":\"outage\",\"scope\":0.5,\"category\":\"net\"}",
    "{\"v\":1,\"id\":\"i1-res\",\"type\":\"incident\",\"ts\":\"2026-03-01T10:00:00+08:00\","
    "\"provider\":\"p1\",\"incident\":\"I1\",\"action\":\"resolve\"}",
    "{\"v\":1,\"id\":\"pr1\",\"type\":\"probe\",\"ts\":\"2026-03-01T09:13:00+08:00\","
    "\"provider\":\"p1\",\"service\":\"s1\",\"ok\":false}",
    "{\"v\":1,\"id\":\"m1\",\"type\":\"metric\",\"ts\":\"2026-03-01T09:00:00+08:00\","
    "\"provider\":\"p1\",\"dept\":\"d1\",\"resource\":\"vm1\",\"kind\":\"vm\",\"pool\":\"pool1\",\"interval_"
    "s\":300,"
    "\"cpu\":0.05,\"mem\":0.1}",
    "{\"v\":1,\"id\":\"t1o\",\"type\":\"ticket\",\"ts\":\"2026-03-10T09:00:00+08:00\","
    "\"provider\":\"p1\",\"ticket\":\"T1\",\"action\":\"open\",\"due\":\"2026-03-11T09:00:00+08:00\"}",
    "{\"v\":1,\"id\":\"t1c\",\"type\":\"ticket\",\"ts\":\"2026-03-11T08:00:00+08:00\","
    "\"provider\":\"p1\",\"ticket\":\"T1\",\"action\":\"close\"}",
    "{\"v\":1,\"id\":\"v1f\",\"type\":\"vuln\",\"ts\":\"2026-03-01T00:00:00+08:00\","
    "\"provider\":\"p1\",\"vuln\":\"V1\",\"action\":\"found\",\"level\":\"high\"}",
    "{\"v\":1,\"id\":\"b1\",\"type\":\"backup\",\"ts\":\"2026-03-01T12:00:00+08:00\","
    "\"provider\":\"p1\",\"job\":\"J1\",\"service\":\"s1\",\"ok\":true,\"rpo_target_s\":172800}",
    "{\"v\":1,\"id\":\"d1p\",\"type\":\"drill\",\"ts\":\"2026-03-02T10:00:00+08:00\","
    "\"provider\":\"p1\",\"drill\":\"D1\",\"kind\":\"dr\",\"action\":\"plan\"}",
    "{\"v\":1,\"id\":\"sv1\",\"type\":\"survey\",\"ts\":\"2026-03-05T10:00:00+08:00\","
    "\"provider\":\"p1\",\"dept\":\"d1\",\"response\":\"R1\",\"answers\":"
    "{\"服务态度\":5,\"响应速度\":4}}",
};
#define N_EVENTS (sizeof events / sizeof *events)

/* Fails each allocation of decoding every event in turn. Ours must come back as
 * CQE_ENOMEM. Jansson drops some failures on the floor (its lexer ignores a failed
 * buffer append, so a string loses a byte): with jansson set, an event may then decode
 * or be refused with a contract reason, but never as json_syntax (the pre-scan passed)
 * and never with a leak. Returns the number of allocations failed. */
static long fail_each_decode(bool jansson, int *cqe_failed_)
{
    long total = 0;
    for (size_t e = 0; e < N_EVENTS; e++) {
        long n = 1;
        for (;; n++) {
            struct cqe_event ev;
            struct cqe_err err = {0};
            long before = inj.live;
            arm(n);
            inj.jansson = jansson;
            int rc = cqe_decode(events[e], strlen(events[e]), 1 << 20, &ev, &err);
            inj.armed = false;
            if (!inj.fired) {
                if (rc)
                    fprintf(stderr, "event %zu: %s\n", e, err.msg);
                CHECK(rc == 0);
                cqe_event_clear(&ev);
                CHECK(inj.live == before);
                break;
            }
            bool clean = rc == CQE_ENOMEM && err.code == CQE_ENOMEM;
            if (jansson &&
                (rc == 0 || (rc == CQE_EINVAL && err.code > CQE_R_JSON_SYNTAX && err.code < CQE_R__COUNT)))
                clean = true;
            if (!clean || (rc && ev.root)) {
                fprintf(stderr, "event %zu, allocation %ld: rc %d code %d \"%s\"\n", e, n, rc, err.code,
                        err.msg);
                CHECK(0);
            }
            cqe_event_clear(&ev);
            if (inj.live != before) {
                fprintf(stderr, "event %zu, allocation %ld: %ld blocks leaked\n", e, n, inj.live - before);
                CHECK(0);
            }
        }
        CHECK(!jansson || n > 1); /* Jansson allocates for every event */
        total += n - 1;
    }
    return total;
}

CQE_TEST(alloc_fail_decode)
{
    long ours = fail_each_decode(false, cqe_failed_);
    long all = fail_each_decode(true, cqe_failed_);
    CHECK(ours >= 1 && all > ours); /* survey answers are ours */
    printf("# decode: %ld allocations failed one at a time (%ld with Jansson's)\n", ours, all);
}

/* Updates from every event into one store, a merge into another, the view of it. */
static int store_op(const struct cqe_config *cfg, const struct cqe_event *evs, size_t n, struct cqe_err *err)
{
    struct cqe_store *a = cqe_store_new(), *m = cqe_store_new();
    struct cqe_view *v = NULL;
    struct cqe_apply_ctx ctx;
    int rc = 0;
    if (!a || !m) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory creating a store");
        goto out;
    }
    cqe_apply_init(&ctx, a, cfg);
    for (size_t i = 0; !rc && i < n; i++)
        rc = cqe_apply_event(&ctx, &evs[i]);
    cqe_apply_fini(&ctx);
    if (rc || (rc = cqe_store_merge(m, a)))
        goto out;
    v = cqe_view_build(m, cfg, err);
    if (!v)
        rc = err->code;
out:
    cqe_view_free(v);
    cqe_store_free(a);
    cqe_store_free(m);
    return rc;
}

CQE_TEST(alloc_fail_store_updates_merge_view)
{
    struct cqe_config cfg;
    cqe_config_defaults(&cfg);
    struct cqe_event evs[N_EVENTS];
    size_t n_ev = 0;
    for (size_t e = 0; e < N_EVENTS; e++) {
        struct cqe_err err;
        if (cqe_decode(events[e], strlen(events[e]), 1 << 20, &evs[n_ev], &err) == 0)
            n_ev++;
    }
    CHECK(n_ev == N_EVENTS);
    long n = 1;
    for (;; n++) {
        struct cqe_err err = {0};
        long before = inj.live;
        arm(n);
        int rc = store_op(&cfg, evs, n_ev, &err);
        inj.armed = false;
        if (!inj.fired) {
            CHECK(rc == 0 && inj.live == before);
            break;
        }
        if (rc != CQE_ENOMEM || inj.live != before) {
            fprintf(stderr, "allocation %ld: rc %d \"%s\", %ld blocks leaked\n", n, rc, err.msg,
                    inj.live - before);
            CHECK(0);
        }
    }
    CHECK(n > 50); /* stores, cells, keys, the view: many allocations were failed */
    printf("# store: %ld allocations failed one at a time\n", n - 1);
    for (size_t i = 0; i < n_ev; i++)
        cqe_event_clear(&evs[i]);
    cqe_config_fini(&cfg);
}
