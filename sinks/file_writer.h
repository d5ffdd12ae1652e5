/* Buffered output file: plain, or zstd-compressed when the name ends in ".zst"; "-" is
 * stdout. The atomic variant writes to a temporary name ("<path>.tmp-<pid>" or the
 * caller's) and renames on close, so readers of a directory (the data lake) never see a
 * partial file. I/O errors name the file, the system's reason and the fix. */
#ifndef CQE_FILE_WRITER_H
#define CQE_FILE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct cqe_file_writer;

/* Creates (truncating) path, or writes to stdout for "-". A name ending in ".zst" is
 * compressed as one zstd frame (level 3, with content checksum). On success *out is
 * owned by the caller and released with cqe_file_writer_close. Returns 0, CQE_EIO
 * (err names the file and why) or CQE_ENOMEM. Not thread-safe: one writer per thread. */
int cqe_file_writer_open(const char *path, struct cqe_file_writer **out, struct cqe_err *err);

/* Like cqe_file_writer_open, but writes "<path>.tmp-<pid>"; cqe_file_writer_close
 * fsyncs it and renames it to path, cqe_file_writer_abort removes it. "-" is refused. */
int cqe_file_writer_open_atomic(const char *path, struct cqe_file_writer **out, struct cqe_err *err);

/* Like cqe_file_writer_open_atomic, with the temporary name tmp_path (borrowed; in the
 * directory of path, so that the rename stays in one file system): a lake names it so
 * that no reader lists it. Compression follows path, not tmp_path. */
int cqe_file_writer_open_atomic_at(const char *path, const char *tmp_path, struct cqe_file_writer **out,
                                   struct cqe_err *err);

/* Appends n bytes of buf (borrowed); data is buffered. Returns 0 or CQE_EIO /
 * CQE_ENOMEM. After an error the writer stays failed: every later call fails too,
 * and close still releases it. */
int cqe_file_writer_write(struct cqe_file_writer *w, const void *buf, size_t n, struct cqe_err *err);

/* Pushes buffered bytes to the file (for zstd, ends the current block so a reader
 * can decode everything written so far). Does not fsync. Returns 0 or CQE_EIO. */
int cqe_file_writer_flush(struct cqe_file_writer *w, struct cqe_err *err);

/* Uncompressed bytes accepted by cqe_file_writer_write so far. */
uint64_t cqe_file_writer_bytes(const struct cqe_file_writer *w);

/* The path given to open (borrowed, valid until close). */
const char *cqe_file_writer_path(const struct cqe_file_writer *w);

/* Flushes, ends the zstd frame, closes (stdout stays open) and frees w; an atomic
 * writer is fsynced and renamed into place. w is always freed, even on error (then
 * an atomic writer's temporary file is removed). NULL is a no-op. Returns 0 or
 * CQE_EIO. */
int cqe_file_writer_close(struct cqe_file_writer *w, struct cqe_err *err);

/* Closes and frees w without finishing it: an atomic writer's temporary file is
 * removed; a plain file keeps whatever reached it. NULL is a no-op. */
void cqe_file_writer_abort(struct cqe_file_writer *w);

/* Sets err to CQE_EIO: "<path>: <what>: <the system's text for sys_errno>", then the fix
 * when one is known, naming the directory holding path: "free space on the file system
 * of DIR" (ENOSPC, EDQUOT), "give the worker write access to DIR" (EACCES, EPERM,
 * EROFS), ... Returns CQE_EIO. Thread-safe. */
int cqe_file_err(struct cqe_err *err, const char *path, const char *what, int sys_errno);

#endif
