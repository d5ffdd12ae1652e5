/* One snapshot tick's decisions (outputs.md, "Score snapshot"): the records of the
 * current periods, emitted every tick, and of earlier periods whose figures changed since
 * they were last emitted, each with its revision: the kept one when the figures are the
 * same, one more when they changed. The revision kept per (target, period) is
 * "<revision> <content hash>"; the hash covers the record without as_of, revision and
 * counters. */
#ifndef CQE_TICK_H
#define CQE_TICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "records.h"
#include "strmap.h"
#include "view.h"

/* A record to emit: on stream ("snapshots", "services", "depts"), Kafka key, text. When
 * rev_field is set, the decision also moves the kept revision rev_field from rev_before
 * to rev_after, and the latest snapshot key latest gets the text. All owned. */
struct cqe_tick_record {
    const char *stream;
    char *key, *text;
    char *rev_field, *rev_before, *rev_after, *latest;
};

struct cqe_tick_out {
    struct cqe_tick_record *v;
    size_t n, cap;
    size_t snapshots, revised; /* snapshot records, and of them those with a new revision */
};

void cqe_tick_out_free(struct cqe_tick_out *o);

/* A period to consider, and whether it is current (emitted on every tick). */
struct cqe_tick_period {
    struct cqe_period p;
    bool current;
};

/* Fills *out with the counters of target ("platform" or a provider) over period p. */
typedef void (*cqe_tick_counters_fn)(void *arg, const char *target, const struct cqe_period *p,
                                     struct cqe_counters *out);

/* Decides a tick at as_of over periods; kept maps "<target>|<period>" to the kept
 * revision text (keys, and the parallel array revs; borrowed). counters (may be NULL:
 * zeros) gives each snapshot's counters. Services and departments of a period go out whenever any of
 * its snapshots does. Appends to out (owned by the caller). Returns 0 or CQE_ENOMEM. */
int cqe_tick_decide(const struct cqe_view *v, const struct cqe_model *m,
                    const struct cqe_tick_period *periods, size_t n_periods, int64_t as_of,
                    cqe_tick_counters_fn counters, void *counters_arg, const struct cqe_strmap *kept,
                    char *const *revs, struct cqe_tick_out *out, struct cqe_err *err);

#endif
