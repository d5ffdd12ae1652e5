/* Data-lake files of one worker and one kind of record: zstd NDJSON in
 * <dir>/<kind>/dt=YYYY-MM-DD/hour=HH/part-<worker>-<seq>.ndjson.zst (date and hour of
 * emission in the evaluation offset), written under a dot-prefixed temporary name no lake
 * engine reads and renamed into place once complete and durable. */
#ifndef CQE_LAKE_FILES_H
#define CQE_LAKE_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct cqe_lake_conf {
    const char *dir;    /* root of the lake (outputs.md's OUT), borrowed */
    const char *kind;   /* "snapshots", "alerts", ...: the first directory level, borrowed */
    const char *worker; /* unique per process: part of every file name, borrowed */
    int utc_offset_min; /* the evaluation offset the dt= and hour= directories are in */
    int64_t roll_ms;    /* a file is closed once it is this old; 0 = no age limit */
    uint64_t max_bytes; /* uncompressed NDJSON bytes a file holds at most; 0 = no limit
                           (a record larger than that gets a file of its own) */
};

struct cqe_lake;

/* Checks c and copies its strings; creates nothing yet. kind must not start with '.' or
 * '_' (lake engines skip such directories) nor hold '/' or '='; worker must not hold '/'.
 * On success *out is owned by the caller (cqe_lake_free). Returns 0, CQE_EINVAL (err
 * names the field) or CQE_ENOMEM. Not thread-safe: one writer per thread. */
int cqe_lake_open(const struct cqe_lake_conf *c, struct cqe_lake **out, struct cqe_err *err);

/* Appends one record: the n bytes of line (borrowed, one line: no '\n'; the writer adds
 * it) with the caller's opaque id (borrowed, copied), emitted at now_ms (ms UTC, in
 * [CQE_TS_MIN, CQE_TS_MAX)). First closes the open file when the record does not belong
 * in it (its age reached roll_ms, it would pass max_bytes, or now_ms is in another local
 * hour), then opens a file when none is, creating its directories as needed. seq counts
 * the files this writer opened, from 0; a name already taken in the lake (a process
 * before with the same worker id) is skipped, never overwritten. Returns 0, CQE_EINVAL
 * (nothing written), CQE_ENOMEM (nothing written) or CQE_EIO: err names the path, the
 * system's reason and the fix; the open temporary file was removed with every record
 * appended since the last close, and the writer can be used again: the caller appends
 * again every record after cqe_lake_durable_id. */
int cqe_lake_append(struct cqe_lake *l, const char *line, size_t n, const char *id, int64_t now_ms,
                    struct cqe_err *err);

/* Closes the open file when it is due at now_ms (its age reached roll_ms, or now_ms is in
 * another local hour) or when force: ends the zstd frame, fsyncs the file, renames it
 * into place, fsyncs its directory; then cqe_lake_durable_id is its last record's id.
 * Nothing open: nothing to do. Returns 0 or CQE_EIO as cqe_lake_append (the records of
 * the file are dropped; the caller appends them again). */
int cqe_lake_roll(struct cqe_lake *l, int64_t now_ms, bool force, struct cqe_err *err);

/* The id of the last record in a closed (renamed, fsynced) file: what the caller may
 * acknowledge. NULL = none yet. Borrowed, valid until the next call on l. */
const char *cqe_lake_durable_id(const struct cqe_lake *l);

/* Removes the open temporary file, if any, with its records (never acknowledged: the
 * caller appends them again). The durable id stays. */
void cqe_lake_discard(struct cqe_lake *l);

/* Discards the open file (roll with force first to keep it) and frees l. NULL is a
 * no-op. */
void cqe_lake_free(struct cqe_lake *l);

#endif
