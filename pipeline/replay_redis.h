/* `cloudqe replay --state redis://... --partitions N`: input files spread over N
 * partitions by the keys events.md suggests, each partition's updates flushed to Redis
 * with its position in one transaction, resumable after any crash. */
#ifndef CQE_REPLAY_REDIS_H
#define CQE_REPLAY_REDIS_H

#include "config.h"
#include "err.h"
#include "progress_line.h"

/* Lines a partition consumes between two flushes (env CQE_FLUSH_EVERY overrides). */
#define CQE_REPLAY_FLUSH_EVERY 20000

/* Replays files (paths borrowed, "-" = stdin) into the Redis state at state_url (NULL =
 * cfg->redis.url; user, password and db come from cfg->redis). Lines are numbered
 * across the concatenated files; on start each partition resumes after the position
 * Redis holds for it, so a run killed at any point and started again with the same
 * files and N ends with the state of one clean run. Dead letters of the lines consumed
 * by this run go to dlq_path (NULL = count only). Prints a summary line (JSON, with
 * Redis commands per 1,000 events) on stderr. Test hooks: env CQE_FAULT =
 * before_exec | after_exec | mid_pipeline with CQE_FAULT_AFTER = N (flushes completed
 * before the faulty one) make the process _exit(77) at that point of a flush;
 * CQE_FLUSH_EVERY = lines a partition consumes between flushes (tuning, tests).
 * progress (NULL: none), started with the files' bytes as its total, shows the lines
 * read; it is erased before the return. Returns 0 or a negative cqe_rc with err set. */
int cqe_replay_redis(const struct cqe_config *cfg, const char *state_url, int partitions, char **files,
                     int n_files, const char *dlq_path, struct cqe_progress_line *progress,
                     struct cqe_err *err);

#endif
