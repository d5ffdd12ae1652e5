/* Streaming NDJSON line reader over a plain file, a zstd file (decompressed as it is
 * read, any size) or stdin ("-", zstd detected by its magic). Memory is bounded by
 * max_line plus fixed buffers: longer lines are reported, not buffered. */
#ifndef CQE_LINE_READER_H
#define CQE_LINE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CQE_LINE_MAX_DEFAULT ((size_t)1 << 20) /* max_message_bytes default, 1 MiB */

enum cqe_line_status {
    CQE_LINE_OK,
    /* the line exceeded max_line: p/n hold its first max_line bytes, `total` its full
     * length; the rest was skipped without being buffered */
    CQE_LINE_TOO_LARGE,
    /* the zstd input ended inside a frame: p/n hold the partial final bytes after the
     * last newline (possibly none); always the last line returned, and the next call
     * fails with CQE_EIO naming the file and the complete lines read */
    CQE_LINE_TRUNCATED
};

struct cqe_line {
    const char *p;   /* borrowed from the reader, valid until the next call; p[n] == '\0' */
    size_t n;        /* without the "\n" and a "\r" before it */
    int64_t line_no; /* 1-based physical line number in the decompressed input */
    enum cqe_line_status status;
    uint64_t total; /* full length of the line (== n unless TOO_LARGE / TRUNCATED cut it) */
};

struct cqe_line_reader;

/* Opens path ("-" = stdin, which is not closed). A name ending in ".zst" must be zstd;
 * any other input is sniffed for the zstd magic. max_line 0 means
 * CQE_LINE_MAX_DEFAULT. On success *out is owned by the caller (cqe_line_reader_close).
 * Returns 0, CQE_EIO (err names the file and why), CQE_EINVAL or CQE_ENOMEM.
 * Not thread-safe: one reader per thread. */
int cqe_line_reader_open(const char *path, size_t max_line, struct cqe_line_reader **out,
                         struct cqe_err *err);

/* Reads the next non-blank line into *line (blank lines, only spaces, tabs, CR, VT or
 * FF, are skipped but counted in line_no; a final line without "\n" is a normal line).
 * Returns 1 with a line, 0 at the end of input, or CQE_EIO on a read error, a corrupt
 * zstd stream (err names the file, and for zstd the compressed byte offset) or, after
 * the CQE_LINE_TRUNCATED line, a truncated one; errors are sticky. */
int cqe_line_reader_next(struct cqe_line_reader *r, struct cqe_line *line, struct cqe_err *err);

/* Input bytes consumed so far (compressed bytes for zstd): how far into the file the
 * reader is, for progress; it runs ahead of the lines handed out by up to a 128 KiB
 * chunk. */
uint64_t cqe_line_reader_offset(const struct cqe_line_reader *r);

/* The path given to open (borrowed, valid until close). */
const char *cqe_line_reader_path(const struct cqe_line_reader *r);

/* Closes the file (not stdin) and frees r. NULL is a no-op. */
void cqe_line_reader_close(struct cqe_line_reader *r);

#endif
