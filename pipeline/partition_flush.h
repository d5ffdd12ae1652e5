/* Flushing one partition's pipeline to Redis: its delta store, the ids it applied and
 * the counts since the last flush, with its new position, in one transaction. Shared by
 * the stream worker (`run`) and the partitioned file replay. */
#ifndef CQE_PARTITION_FLUSH_H
#define CQE_PARTITION_FLUSH_H

#include <stdint.h>

#include "id_batch.h"
#include "pipeline.h"
#include "state_redis.h"

/* Writes delta, ids and (now − *at_flush) counts with `position` for partition. On
 * success clears delta and ids and sets *at_flush = *now; on error changes nothing, so
 * the same flush can be retried whole. Returns 0 or a negative rc with err set. */
int cqe_partition_flush(struct cqe_redis *r, int partition, struct cqe_store *delta, struct cqe_id_batch *ids,
                        const struct cqe_pipeline_counts *now, struct cqe_pipeline_counts *at_flush,
                        int64_t position, int64_t dedup_window, struct cqe_err *err);

#endif
