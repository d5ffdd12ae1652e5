/* The test hooks of the Redis writers (`run`, the partitioned `replay`): env CQE_FAULT
 * names a point of a flush where the process _exit(77)s, CQE_FAULT_AFTER how many
 * flushes complete before the faulty one. */
#ifndef CQE_FAULT_H
#define CQE_FAULT_H

#include <stdint.h>

#include "err.h"
#include "state_redis.h"

/* Reads CQE_FAULT / CQE_FAULT_AFTER. The Redis store's own points (before_exec,
 * after_exec, mid_pipeline; lost_reply, which does not stop the process) are set on r
 * (borrowed). after_exec_before_commit, the
 * worker's point after the EXEC and before the Kafka commit, is accepted only when
 * commit_after is not NULL: *commit_after is then its flush count, else -1. Returns 0,
 * or CQE_EINVAL naming the values accepted. */
int cqe_fault_from_env(struct cqe_redis *r, int64_t *commit_after, struct cqe_err *err);

/* The points of `cloudqe retain`: when CQE_FAULT names `point`, the process _exit(77)s
 * here (retain_before_mark: the archive files are durable, the marker not written;
 * retain_after_mark: the marker written, no key deleted yet). */
void cqe_fault_retain(const char *point);

#endif
