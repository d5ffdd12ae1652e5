/* Output records of outputs.md as Jansson objects: the score snapshot, the service
 * figures and the department figures. Keys keep a fixed order, so equal figures give
 * equal bytes. */
#ifndef CQE_RECORDS_H
#define CQE_RECORDS_H

#include <stdint.h>

#include "figures.h"
#include "model.h"

struct cqe_counters {
    int64_t events, dead_letters, duplicates, late;
};

/* Each returns a new reference (caller json_decref's) or NULL on ENOMEM. */
void *cqe_record_snapshot(const struct cqe_period_eval *pe, const struct cqe_model *m,
                          const struct cqe_target_figures *f, const struct cqe_score *sc, int64_t revision,
                          const struct cqe_counters *counters);
void *cqe_record_service(const struct cqe_period_eval *pe, const struct cqe_service_figures *sf);
void *cqe_record_dept(const struct cqe_period_eval *pe, const struct cqe_dept_figures *df);

/* Serializes one record as a compact line (no newline); returns malloc'd text. */
char *cqe_record_dumps(void *record);

#endif
