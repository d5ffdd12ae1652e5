/* Dead letters (outputs.md, "kind":"dead_letter"): one NDJSON record per refused input
 * message, with its reason, origin and exact raw bytes (cut to a size for topics, with
 * their length and SHA-256), plus per-reason counters. */
#ifndef CQE_DEAD_LETTER_H
#define CQE_DEAD_LETTER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Where a message came from (required): file != NULL means file/line, otherwise topic
 * (may be NULL, then omitted) / partition / offset. Strings are borrowed. */
struct cqe_origin {
    const char *file;
    int64_t line;
    const char *topic;
    int32_t partition;
    int64_t offset;
};

struct cqe_dead_letters;

/* Opens the dead-letter output: path NULL counts only, "-" is stdout, a name ending in
 * ".zst" is compressed; the file is created (truncating). received_at is written in
 * utc_offset_min. On success *out is owned by the caller (cqe_dead_letters_close).
 * Returns 0, CQE_EIO or CQE_ENOMEM. Not thread-safe: one instance per thread. */
int cqe_dead_letters_open(const char *path, int utc_offset_min, struct cqe_dead_letters **out,
                          struct cqe_err *err);

/* Builds one record as a new Jansson object (owned by the caller: json_decref), for
 * outputs other than files (the Kafka topic). reason is an enum cqe_reason other than
 * CQE_R_NONE; detail (NULL = "") is human text, ill-formed UTF-8 in it becomes U+FFFD;
 * raw/n are the exact message bytes, written as "raw" when they are valid UTF-8 without
 * NUL, else base64 in "raw_b64". raw_max > 0 bounds that value as written (escapes and
 * base64 included): a longer one keeps its longest whole-character prefix that fits and
 * the record gains "raw_truncated": true, "raw_bytes" (n) and "raw_sha256" (of all n
 * bytes). All arguments are borrowed. Returns 0, CQE_EINVAL (bad reason, o NULL, raw NULL
 * with n > 0) or CQE_ENOMEM. Thread-safe. */
int cqe_dead_letter_record(const struct cqe_origin *o, int reason, const char *detail, const void *raw,
                           size_t n, size_t raw_max, int64_t received_at_ms, int utc_offset_min, json_t **out,
                           struct cqe_err *err);

/* Counts the message under reason and, unless count-only, appends its record (see
 * cqe_dead_letter_record) as one line. Buffered: cqe_dead_letters_flush before
 * acknowledging the input. Returns 0, CQE_EINVAL, CQE_ENOMEM or CQE_EIO; a message is
 * counted only when its record was accepted. */
int cqe_dead_letters_write(struct cqe_dead_letters *d, const struct cqe_origin *o, int reason,
                           const char *detail, const void *raw, size_t n, int64_t received_at_ms,
                           struct cqe_err *err);

/* Pushes buffered records to the file (no fsync). Returns 0 or CQE_EIO. */
int cqe_dead_letters_flush(struct cqe_dead_letters *d, struct cqe_err *err);

/* Messages dead-lettered under reason (0 for an unknown reason), and in all. */
int64_t cqe_dead_letters_count(const struct cqe_dead_letters *d, int reason);
int64_t cqe_dead_letters_total(const struct cqe_dead_letters *d);

/* Flushes, closes the output (zstd frame ended) and frees d, even on error. NULL is a
 * no-op. Returns 0 or CQE_EIO. */
int cqe_dead_letters_close(struct cqe_dead_letters *d, struct cqe_err *err);

#endif
