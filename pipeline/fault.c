/* The CQE_FAULT test hooks, read once for `run` and the partitioned `replay` (see fault.h). */
#include "fault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cqe_fault_from_env(struct cqe_redis *r, int64_t *commit_after, struct cqe_err *err)
{
    const char *point = getenv("CQE_FAULT"), *after = getenv("CQE_FAULT_AFTER");
    long long n = 0;
    if (commit_after)
        *commit_after = -1;
    if (!point || !*point)
        return 0;
    if (after && *after) {
        char *end;
        errno = 0;
        n = strtoll(after, &end, 10);
        if (*end || errno || n < 0)
            return cqe_err_set(err, CQE_EINVAL, "CQE_FAULT_AFTER=%s: a flush count", after);
    }
    if (commit_after && !strcmp(point, "after_exec_before_commit"))
        *commit_after = n;
    else if (!strcmp(point, "before_exec"))
        cqe_redis_set_fault(r, CQE_FAULT_BEFORE_EXEC, n);
    else if (!strcmp(point, "after_exec"))
        cqe_redis_set_fault(r, CQE_FAULT_AFTER_EXEC, n);
    else if (!strcmp(point, "mid_pipeline"))
        cqe_redis_set_fault(r, CQE_FAULT_MID_PIPELINE, n);
    else if (!strcmp(point, "lost_reply"))
        cqe_redis_set_fault(r, CQE_FAULT_LOST_REPLY, n);
    else
        return cqe_err_set(err, CQE_EINVAL,
                           "CQE_FAULT=%s: use %sbefore_exec, after_exec, mid_pipeline or lost_reply", point,
                           commit_after ? "after_exec_before_commit, " : "");
    return 0;
}

void cqe_fault_retain(const char *point)
{
    const char *want = getenv("CQE_FAULT");
    if (want && !strcmp(want, point))
        _exit(77);
}
