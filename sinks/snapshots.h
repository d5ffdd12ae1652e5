/* Emits the output records of a state view: for each period, one snapshot per target
 * (providers in byte order, then platform), one service record per in-scope service
 * and one department record per department. Shared by replay and snapshot. */
#ifndef CQE_SNAPSHOTS_H
#define CQE_SNAPSHOTS_H

#include "model.h"
#include "records.h"
#include "view.h"

/* Receives each record (a json_t *, borrowed for the call); returns 0 or a negative rc. */
typedef int (*cqe_record_fn)(void *record, void *arg);

struct cqe_emit_options {
    const struct cqe_period *periods;
    size_t n_periods;
    int64_t as_of;
    struct cqe_counters counters;
    const char *only_target; /* NULL = every target */
    bool services, depts;    /* also emit service / dept records */
};

int cqe_emit_records(const struct cqe_view *v, const struct cqe_model *m, const struct cqe_emit_options *o,
                     cqe_record_fn fn, void *arg, struct cqe_err *err);

/* The month, quarter and year holding as_of (replay's default periods). */
void cqe_default_periods(int64_t as_of, int offset_min, struct cqe_period out[3]);

#endif
