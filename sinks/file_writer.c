/* Buffered output file, plain or streaming zstd, optionally written under a temporary
 * name and renamed into place on close (lake files are never read half-written). */
#include "file_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define WRITER_BUF (128 * 1024)
#define ZSTD_LEVEL 3

struct cqe_file_writer {
    char *path;     /* as given, owned */
    char *tmp_path; /* atomic mode: the temporary name, owned; NULL otherwise */
    int fd;
    bool own_fd;        /* false for stdout */
    ZSTD_CCtx *cctx;    /* NULL = plain */
    unsigned char *buf; /* uncompressed bytes not yet pushed */
    size_t len;
    unsigned char *zout; /* compressed staging, zstd only */
    size_t zout_cap;
    uint64_t bytes;
    int failed; /* sticky cqe_rc after an I/O error */
};

/* strerror is not thread-safe; this is the XSI strerror_r (we do not define _GNU_SOURCE). */
static const char *sys_text(int e, char *buf, size_t n)
{
    if (strerror_r(e, buf, n) != 0)
        snprintf(buf, n, "errno %d", e);
    return buf;
}

static bool has_zst_suffix(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && memcmp(path + n - 4, ".zst", 4) == 0;
}

int cqe_file_err(struct cqe_err *err, const char *path, const char *what, int sys_errno)
{
    char tmp[128];
    const char *slash = strrchr(path, '/');
    /* the directory holding path: "." without a slash, "/" for a name at the root */
    int dir_n = !slash ? 1 : slash == path ? 1 : (int)(slash - path);
    const char *dir = slash ? path : ".";
    const char *text = sys_text(sys_errno, tmp, sizeof tmp);
    switch (sys_errno) {
    case ENOSPC:
    case EDQUOT:
        return cqe_err_set(err, CQE_EIO, "%s: %s: %s; free space on the file system of %.*s", path, what,
                           text, dir_n, dir);
    case EACCES:
    case EPERM:
    case EROFS:
        return cqe_err_set(err, CQE_EIO, "%s: %s: %s; give the worker write access to %.*s", path, what, text,
                           dir_n, dir);
    case ENOTDIR:
        return cqe_err_set(err, CQE_EIO, "%s: %s: %s; a part of the path is a file: make it a directory",
                           path, what, text);
    case ENOENT:
        return cqe_err_set(err, CQE_EIO, "%s: %s: %s; create %.*s or choose a directory that exists", path,
                           what, text, dir_n, dir);
    case EFBIG:
        return cqe_err_set(err, CQE_EIO, "%s: %s: %s; raise the worker's file size limit (ulimit -f)", path,
                           what, text);
    case EMFILE:
    case ENFILE:
        return cqe_err_set(err, CQE_EIO, "%s: %s: %s; raise the worker's open-file limit (ulimit -n)", path,
                           what, text);
    case EIO:
        return cqe_err_set(err, CQE_EIO, "%s: %s: %s; check the disk holding %.*s (the kernel log names it)",
                           path, what, text, dir_n, dir);
    default: return cqe_err_set(err, CQE_EIO, "%s: %s: %s", path, what, text);
    }
}

/* Marks w failed (every later call fails too) and describes the system error e. */
static int fail(struct cqe_file_writer *w, struct cqe_err *err, const char *what, int e)
{
    w->failed = CQE_EIO;
    return cqe_file_err(err, w->path, what, e);
}

static int write_all(struct cqe_file_writer *w, const unsigned char *p, size_t n, struct cqe_err *err)
{
    while (n > 0) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return fail(w, err, "write failed", errno);
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Sends n bytes to the file: straight through when plain, through the compressor
 * otherwise, looping until the input is consumed and, for flush / end, until the
 * compressor has nothing left to emit. */
static int push(struct cqe_file_writer *w, const void *p, size_t n, ZSTD_EndDirective mode,
                struct cqe_err *err)
{
    if (!w->cctx)
        return write_all(w, p, n, err);
    ZSTD_inBuffer in = {p, n, 0};
    for (;;) {
        ZSTD_outBuffer out = {w->zout, w->zout_cap, 0};
        size_t left = ZSTD_compressStream2(w->cctx, &out, &in, mode);
        if (ZSTD_isError(left)) {
            w->failed = CQE_EIO;
            return cqe_err_set(err, CQE_EIO, "%s: zstd compression failed: %s", w->path,
                               ZSTD_getErrorName(left));
        }
        if (out.pos > 0) {
            int rc = write_all(w, w->zout, out.pos, err);
            if (rc < 0)
                return rc;
        }
        if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0)
            return 0;
    }
}

static void writer_free(struct cqe_file_writer *w)
{
    if (w->own_fd && w->fd >= 0)
        close(w->fd);
    ZSTD_freeCCtx(w->cctx);
    free(w->buf);
    free(w->zout);
    free(w->tmp_path);
    free(w->path);
    free(w);
}

/* Opens path; atomic: under tmp_path, or "<path>.tmp-<pid>" when tmp_path is NULL. */
static int writer_open(const char *path, bool atomic, const char *tmp_path, struct cqe_file_writer **out,
                       struct cqe_err *err)
{
    int rc = 0;
    struct cqe_file_writer *w = NULL;
    *out = NULL;
    if (!path || !*path) {
        rc = cqe_err_set(err, CQE_EINVAL, "output file: empty path");
        goto out;
    }
    bool is_stdout = strcmp(path, "-") == 0;
    if (is_stdout && atomic) {
        rc = cqe_err_set(err, CQE_EINVAL, "output file: stdout (\"-\") cannot be atomic");
        goto out;
    }
    w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path)) || !(w->buf = malloc(WRITER_BUF))) {
        rc = cqe_err_set(err, CQE_ENOMEM, "%s: out of memory opening output", path);
        goto out;
    }
    w->fd = -1;
    if (atomic && tmp_path) {
        if (!*tmp_path || strcmp(tmp_path, path) == 0) {
            rc = cqe_err_set(err, CQE_EINVAL, "%s: the temporary name must be another, non-empty name", path);
            goto out;
        }
        if (!(w->tmp_path = strdup(tmp_path))) {
            rc = cqe_err_set(err, CQE_ENOMEM, "%s: out of memory opening output", path);
            goto out;
        }
    } else if (atomic) {
        size_t n = strlen(path) + 32;
        if (!(w->tmp_path = malloc(n))) {
            rc = cqe_err_set(err, CQE_ENOMEM, "%s: out of memory opening output", path);
            goto out;
        }
        snprintf(w->tmp_path, n, "%s.tmp-%ld", path, (long)getpid());
    }
    if (!is_stdout && has_zst_suffix(path)) {
        w->zout_cap = ZSTD_CStreamOutSize();
        if (!(w->cctx = ZSTD_createCCtx()) || !(w->zout = malloc(w->zout_cap))) {
            rc = cqe_err_set(err, CQE_ENOMEM, "%s: out of memory opening output", path);
            goto out;
        }
        size_t z = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, ZSTD_LEVEL);
        if (!ZSTD_isError(z))
            z = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
        if (ZSTD_isError(z)) {
            rc = cqe_err_set(err, CQE_EIO, "%s: zstd set-up failed: %s", path, ZSTD_getErrorName(z));
            goto out;
        }
    }
    if (is_stdout) {
        w->fd = STDOUT_FILENO;
        w->own_fd = false;
    } else {
        const char *name = atomic ? w->tmp_path : path;
        w->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (w->fd < 0) {
            rc = cqe_file_err(err, name, "cannot create", errno);
            goto out;
        }
        w->own_fd = true;
    }
    *out = w;
    w = NULL;
out:
    if (w)
        writer_free(w);
    return rc;
}

int cqe_file_writer_open(const char *path, struct cqe_file_writer **out, struct cqe_err *err)
{
    return writer_open(path, false, NULL, out, err);
}

int cqe_file_writer_open_atomic(const char *path, struct cqe_file_writer **out, struct cqe_err *err)
{
    return writer_open(path, true, NULL, out, err);
}

int cqe_file_writer_open_atomic_at(const char *path, const char *tmp_path, struct cqe_file_writer **out,
                                   struct cqe_err *err)
{
    return writer_open(path, true, tmp_path, out, err);
}

int cqe_file_writer_write(struct cqe_file_writer *w, const void *buf, size_t n, struct cqe_err *err)
{
    if (w->failed)
        return cqe_err_set(err, w->failed, "%s: writer failed earlier", w->path);
    if (n <= WRITER_BUF - w->len) {
        memcpy(w->buf + w->len, buf, n);
        w->len += n;
        w->bytes += n;
        return 0;
    }
    int rc = push(w, w->buf, w->len, ZSTD_e_continue, err);
    if (rc < 0)
        return rc;
    w->len = 0;
    if (n >= WRITER_BUF) {
        rc = push(w, buf, n, ZSTD_e_continue, err);
        if (rc < 0)
            return rc;
    } else {
        memcpy(w->buf, buf, n);
        w->len = n;
    }
    w->bytes += n;
    return 0;
}

int cqe_file_writer_flush(struct cqe_file_writer *w, struct cqe_err *err)
{
    if (w->failed)
        return cqe_err_set(err, w->failed, "%s: writer failed earlier", w->path);
    int rc = push(w, w->buf, w->len, ZSTD_e_flush, err);
    if (rc == 0)
        w->len = 0;
    return rc;
}

uint64_t cqe_file_writer_bytes(const struct cqe_file_writer *w)
{
    return w->bytes;
}

const char *cqe_file_writer_path(const struct cqe_file_writer *w)
{
    return w->path;
}

/* The rename is durable only once the directory entry is: fsync the parent. Some
 * file systems refuse fsync on a directory (EINVAL); that is not an error. */
static int sync_parent(struct cqe_file_writer *w, struct cqe_err *err)
{
    int rc = 0;
    const char *slash = strrchr(w->path, '/');
    char *dir = slash ? strndup(w->path, slash == w->path ? 1 : (size_t)(slash - w->path)) : strdup(".");
    if (!dir)
        return cqe_err_set(err, CQE_ENOMEM, "%s: out of memory", w->path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        rc = fail(w, err, "cannot open directory to sync", errno);
        goto out;
    }
    if (fsync(fd) != 0 && errno != EINVAL)
        rc = fail(w, err, "cannot sync directory", errno);
    close(fd);
out:
    free(dir);
    return rc;
}

int cqe_file_writer_close(struct cqe_file_writer *w, struct cqe_err *err)
{
    int rc = 0;
    if (!w)
        return 0;
    if (w->failed) {
        rc = cqe_err_set(err, w->failed, "%s: writer failed earlier", w->path);
        goto out;
    }
    rc = push(w, w->buf, w->len, ZSTD_e_end, err);
    if (rc < 0)
        goto out;
    w->len = 0;
    if (w->tmp_path && fsync(w->fd) != 0) {
        rc = fail(w, err, "fsync failed", errno);
        goto out;
    }
    if (w->own_fd) {
        int fd = w->fd;
        w->fd = -1;
        if (close(fd) != 0) {
            rc = fail(w, err, "close failed", errno);
            goto out;
        }
    }
    if (w->tmp_path) {
        if (rename(w->tmp_path, w->path) != 0) {
            rc = fail(w, err, "cannot rename the temporary file into place", errno);
            goto out;
        }
        free(w->tmp_path);
        w->tmp_path = NULL; /* renamed: nothing to remove any more */
        rc = sync_parent(w, err);
    }
out:
    if (w->tmp_path)
        unlink(w->tmp_path);
    writer_free(w);
    return rc;
}

void cqe_file_writer_abort(struct cqe_file_writer *w)
{
    if (!w)
        return;
    if (w->tmp_path)
        unlink(w->tmp_path);
    writer_free(w);
}
