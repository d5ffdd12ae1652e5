/* Retention (`cloudqe retain`, docs/state.md "Retention"): every year that ended
 * keep_years or more before as_of is archived — the final records of its months,
 * quarters and the year, as `snapshot --period` prints them, in Hive-partitioned
 * NDJSON+zstd files — then marked archived in Redis, then its state keys deleted. */
#ifndef CQE_RETENTION_H
#define CQE_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "model.h"
#include "state_redis.h"
#include "store.h"

struct cqe_retain_opts {
    const char *archive_dir; /* borrowed: DIR of DIR/period=<id>/part-<hash>.ndjson.zst */
    int64_t as_of;           /* ms; the cutoff is as_of minus keep_years, in the evaluation offset */
    int64_t keep_years;      /* >= 1 */
    bool dry_run;            /* write nothing, delete nothing: count what would be */
};

struct cqe_retain_summary {
    int64_t before_was; /* the first instant Redis held before the run (0: nothing archived) */
    int64_t before;     /* and after it */
    int64_t years, periods, records;
    int64_t bytes;        /* of the files written (compressed) */
    int64_t ndjson_bytes; /* of their NDJSON */
    int64_t keys_deleted; /* Redis keys deleted */
    int64_t earlier_keys; /* of them, of periods an earlier run archived: left by an interrupted
                             run, or written since by a worker that had not seen the marker */
};

/* Runs retention over state, the merged state read from r (borrowed, as `snapshot`
 * loads it), with the outcome counts snapshots carry. Files are written to a temporary
 * name, fsynced and renamed; the marker is written only after every file is durable;
 * keys are deleted only after the marker. Each step is idempotent, so a run stopped
 * anywhere and run again converges (docs/state.md). Returns 0 or a negative rc with err
 * set. */
int cqe_retain(struct cqe_redis *r, const struct cqe_config *cfg, const struct cqe_model *m,
               const struct cqe_store *state, const struct cqe_redis_counts *counts,
               const struct cqe_retain_opts *o, struct cqe_retain_summary *s, struct cqe_err *err);

#endif
