/* Loading event files into one merged in-memory store through the pipeline: shared by
 * `replay` and `report`. */
#ifndef CQE_REPLAY_LOAD_H
#define CQE_REPLAY_LOAD_H

#include "pipeline.h"
#include "progress_line.h"
#include "store.h"

/* Reads files (NDJSON, .zst, "-") through one pipeline whose applied events go
 * round-robin over n_streams stores, merged into *merged (owned by the caller).
 * dlq_path may be NULL. progress (NULL: none), started with the files' bytes as its
 * total, shows lines read and bytes of the files read; it is erased before the return.
 * Returns 0 or a negative rc with err set. */
int cqe_replay_load(const struct cqe_config *cfg, char **files, int n_files, const char *dlq_path,
                    size_t n_streams, struct cqe_progress_line *progress, struct cqe_store **merged,
                    struct cqe_pipeline_counts *counts, struct cqe_err *err);

/* Prints the counts to stderr: human lines unless quiet, then one JSON summary line. */
void cqe_replay_print_counts(const struct cqe_pipeline_counts *c, bool quiet);

/* Wall-clock milliseconds. */
int64_t cqe_wall_ms(void);

#endif
