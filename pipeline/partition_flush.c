/* One partition's flush to Redis (see partition_flush.h). */
#include "partition_flush.h"

#include <stdio.h>
#include <stdlib.h>

int cqe_partition_flush(struct cqe_redis *r, int partition, struct cqe_store *delta, struct cqe_id_batch *ids,
                        const struct cqe_pipeline_counts *now, struct cqe_pipeline_counts *at_flush,
                        int64_t position, int64_t dedup_window, struct cqe_err *err)
{
    const char **ptrs = NULL;
    char pos[24];
    if (cqe_id_batch_ptrs(ids, &ptrs))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    struct cqe_redis_counts c = {now->read - at_flush->read, now->applied - at_flush->applied,
                                 now->duplicates - at_flush->duplicates,
                                 now->dead_letters - at_flush->dead_letters};
    snprintf(pos, sizeof pos, "%lld", (long long)position);
    int rc = cqe_redis_flush_partition(r, CQE_REDIS_NS, partition, delta, pos, ptrs, ids->lens, ids->n,
                                       dedup_window, &c, err);
    free(ptrs);
    if (rc)
        return rc;
    cqe_store_clear(delta);
    cqe_id_batch_clear(ids);
    *at_flush = *now;
    return 0;
}
