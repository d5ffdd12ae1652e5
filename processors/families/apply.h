/* Processors: each event family turns a decoded event into order-free store updates
 * (see store.h). The keys each family writes are listed in docs/state.md. Processors
 * include only the event, config and store headers. */
#ifndef CQE_APPLY_H
#define CQE_APPLY_H

#include "config.h"
#include "event.h"
#include "state_key.h"
#include "store.h"

/* Fixed-point scale of utilization sums: 1e-12 of a ratio, so sums are exact integers. */
#define CQE_FIXED_SCALE 1e12

/* Probe counters per service and local day: ok and fail for each of 1440 minutes. */
#define CQE_PROBE_VEC_LEN 2880

/* Utilization vector per month and provider (field "wh"): for metric m (cpu, mem, disk,
 * net) the weight at m·102 and the histogram bucket b (0..100) at m·102 + 1 + b. */
#define CQE_UTIL_VEC_STRIDE 102
#define CQE_UTIL_VEC_LEN (4 * CQE_UTIL_VEC_STRIDE)

/* The idle-share inputs of one vm resource and month (UR|<month>|<provider>|<resource>,
 * field "i"): one vector, so Redis applies them in one call (docs/state.md). */
enum { CQE_UR_CW, CQE_UR_CL, CQE_UR_MW, CQE_UR_MS, CQE_UR_LEN };

/* The fixed point of the vector's memory sum (ms = sum of llround(mem * scale) * w): a
 * memory share to 1e-9, and room in 64 bits for 9.2e9 weighted seconds a resource-month
 * (3,400 times a month of samples), where CQE_FIXED_SCALE would leave 3.4 times. */
#define CQE_UR_MEM_SCALE 1e9

struct cqe_apply_ctx {
    struct cqe_store *store;       /* borrowed */
    const struct cqe_config *cfg;  /* borrowed */
    struct cqe_kb key, field, rec; /* scratch, owned */
};

/* ctx borrows store and cfg; release scratch with cqe_apply_fini. */
void cqe_apply_init(struct cqe_apply_ctx *ctx, struct cqe_store *store, const struct cqe_config *cfg);
void cqe_apply_fini(struct cqe_apply_ctx *ctx);

/* Applies one valid event through its family (family.h), after the registry updates
 * every event makes. Returns 0 or CQE_ENOMEM. */
int cqe_apply_event(struct cqe_apply_ctx *ctx, const struct cqe_event *ev);

/* The operational counters of outputs.md kept per month and provider, as sums of the
 * registry key "G|n|<month>|<provider>" (provider "" for dead letters, which name none
 * that can be trusted): what each target's and period's snapshot says it saw. */
enum cqe_count {
    CQE_COUNT_EVENTS,
    CQE_COUNT_LATE,
    CQE_COUNT_DUPLICATES,
    CQE_COUNT_DEAD_LETTERS,
    CQE_COUNT__N
};

/* Adds one to counter c of the month holding ts and provider (n bytes). Returns 0 or
 * CQE_ENOMEM. */
int cqe_apply_count(struct cqe_apply_ctx *ctx, int64_t ts, const char *provider, size_t n, enum cqe_count c);

/* Adds the counters of month index `month` and provider (n bytes) kept in s to out. */
void cqe_apply_counts_read(const struct cqe_store *s, int64_t month, const char *provider, size_t n,
                           int64_t out[CQE_COUNT__N]);

/* Helpers shared by the families: the month bucket of ts, and store updates of the
 * scratch key ctx->key. Each returns 0 or CQE_ENOMEM (also when a scratch buffer ran
 * out of memory while it was built). */
int64_t cqe_apply_month(const struct cqe_apply_ctx *ctx, int64_t ts);
int cqe_apply_sum(struct cqe_apply_ctx *ctx, const char *field, __int128 delta);
int cqe_apply_max(struct cqe_apply_ctx *ctx, const char *field, double v);
int cqe_apply_min(struct cqe_apply_ctx *ctx, const char *field, double v);
/* Set membership of member / of the bytes of buffer m (ctx->rec or ctx->field). */
int cqe_apply_set(struct cqe_apply_ctx *ctx, const char *member, size_t n);
int cqe_apply_set_kb(struct cqe_apply_ctx *ctx, const struct cqe_kb *m);
/* Register op (REG_MIN or REG_MAX) of field, keeping ctx->rec under (ev->ts, ev->id). */
int cqe_apply_reg(struct cqe_apply_ctx *ctx, enum cqe_cell_op op, const char *field,
                  const struct cqe_event *ev);

/* The key of the registry cell holding the largest ts applied (field "max", op MAX). */
extern const char cqe_key_max_ts[];
#define CQE_FIELD_MAX_TS "max"
/* ... and, as a MIN cell, the smallest (the output role's first month). */
#define CQE_FIELD_MIN_TS "min"

#endif
