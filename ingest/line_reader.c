/* Streaming NDJSON line reader: reads (and for zstd, decompresses) a fixed-size chunk
 * at a time, hands out lines in place when they lie inside one chunk, and assembles
 * lines that cross chunks in a buffer of max_line bytes, counting what does not fit. */
#include "line_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define READ_BUF (128 * 1024)
#define SKIPPABLE_MASK 0xFFFFFFF0u
#define SKIPPABLE_MAGIC 0x184D2A50u

struct cqe_line_reader {
    char *path; /* as given, owned */
    int fd;
    bool own_fd; /* false for stdin */
    size_t max_line;

    /* raw input: bytes in[in_pos..in_len) not yet consumed; in_base counts the input
     * bytes before in[0] (for offsets in messages) */
    unsigned char *in;
    size_t in_pos, in_len;
    uint64_t in_base;
    bool in_eof;

    /* zstd: NULL dctx = plain input */
    ZSTD_DCtx *dctx;
    unsigned char *zbuf;
    size_t zcap;
    bool dec_more;   /* the last call filled zbuf: the decoder may hold more output */
    bool frame_open; /* the last call ended inside a frame */

    /* decoded bytes not yet split into lines: data[pos..len); data is in or zbuf */
    unsigned char *data;
    size_t pos, len;
    bool done;

    /* a line crossing chunk boundaries: its first llen (<= max_line + 1) bytes */
    char *lbuf;
    size_t llen;
    uint64_t ltotal; /* bytes of the line seen so far, stored or not */
    bool pending;
    bool ws_only;
    unsigned char last;

    int64_t line_no;
    int failed;          /* sticky cqe_rc */
    struct cqe_err fail; /* its message */
};

static const char *sys_text(int e, char *buf, size_t n)
{
    if (strerror_r(e, buf, n) != 0)
        snprintf(buf, n, "errno %d", e);
    return buf;
}

static bool is_blank_byte(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool all_blank(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_blank_byte(p[i]))
            return false;
    return true;
}

static bool has_zst_suffix(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && memcmp(path + n - 4, ".zst", 4) == 0;
}

/* Reads once into in[in_len..): returns bytes read (0 = end of input) or CQE_EIO. */
static int read_more(struct cqe_line_reader *r, struct cqe_err *err)
{
    for (;;) {
        ssize_t k = read(r->fd, r->in + r->in_len, READ_BUF - r->in_len);
        if (k >= 0) {
            r->in_len += (size_t)k;
            if (k == 0)
                r->in_eof = true;
            return (int)(k > 0);
        }
        if (errno != EINTR) {
            char tmp[128];
            return cqe_err_set(err, CQE_EIO, "%s: read failed: %s", r->path,
                               sys_text(errno, tmp, sizeof tmp));
        }
    }
}

/* Makes data[pos..len) non-empty: returns 1, 0 at the end of input, or CQE_EIO. */
static int refill(struct cqe_line_reader *r, struct cqe_err *err)
{
    for (;;) {
        if (r->dctx && (r->dec_more || r->in_pos < r->in_len)) {
            ZSTD_inBuffer ib = {r->in, r->in_len, r->in_pos};
            ZSTD_outBuffer ob = {r->zbuf, r->zcap, 0};
            size_t ret = ZSTD_decompressStream(r->dctx, &ob, &ib);
            if (ZSTD_isError(ret))
                return cqe_err_set(err, CQE_EIO, "%s: corrupt zstd stream at compressed byte %llu: %s",
                                   r->path, (unsigned long long)(r->in_base + ib.pos),
                                   ZSTD_getErrorName(ret));
            bool progress = ib.pos > r->in_pos || ob.pos > 0;
            r->in_pos = ib.pos;
            r->frame_open = ret != 0;
            r->dec_more = ob.pos == ob.size;
            if (ob.pos > 0) {
                r->data = r->zbuf;
                r->pos = 0;
                r->len = ob.pos;
                return 1;
            }
            if (r->in_pos < r->in_len) {
                if (progress)
                    continue;
                /* zstd always progresses with input and output room; never spin */
                return cqe_err_set(err, CQE_EIO, "%s: zstd decoder stalled at compressed byte %llu", r->path,
                                   (unsigned long long)(r->in_base + r->in_pos));
            }
        } else if (!r->dctx && r->in_pos < r->in_len) {
            r->data = r->in;
            r->pos = r->in_pos;
            r->len = r->in_len;
            r->in_pos = r->in_len;
            return 1;
        }
        if (r->in_eof)
            return 0;
        if (r->in_pos == r->in_len) {
            r->in_base += r->in_len;
            r->in_pos = r->in_len = 0;
        }
        int rc = read_more(r, err);
        if (rc < 0)
            return rc;
    }
}

static void append(struct cqe_line_reader *r, const unsigned char *p, size_t k)
{
    size_t room = r->max_line + 1 - r->llen;
    size_t take = k < room ? k : room;
    memcpy(r->lbuf + r->llen, p, take);
    r->llen += take;
    if (r->ws_only && !all_blank(p, k))
        r->ws_only = false;
    r->ltotal += k;
    if (k > 0)
        r->last = p[k - 1];
    r->pending = true;
}

/* Turns the assembled line into *line and resets; returns false for a blank line. */
static bool finish_pending(struct cqe_line_reader *r, bool truncated, struct cqe_line *line)
{
    size_t n = r->llen;
    uint64_t total = r->ltotal;
    bool blank = r->ws_only;
    r->line_no++;
    if (!truncated && r->last == '\r' && total > 0) {
        total--;
        if (n > total) /* the "\r" was stored */
            n = (size_t)total;
    }
    if (n > r->max_line)
        n = r->max_line;
    r->lbuf[n] = '\0';
    line->p = r->lbuf;
    line->n = n;
    line->total = total;
    line->line_no = r->line_no;
    line->status = truncated ? CQE_LINE_TRUNCATED : total > r->max_line ? CQE_LINE_TOO_LARGE : CQE_LINE_OK;
    r->llen = 0;
    r->ltotal = 0;
    r->pending = false;
    r->ws_only = true;
    r->last = 0;
    return truncated || !blank;
}

/* The step of cqe_line_reader_next, with errors into r->fail. */
static int next_line(struct cqe_line_reader *r, struct cqe_line *line)
{
    for (;;) {
        if (r->pos == r->len) {
            int rc = refill(r, &r->fail);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                r->done = true;
                bool truncated = r->dctx && r->frame_open;
                if (truncated) /* reported by the call after the partial line */
                    r->failed = cqe_err_set(&r->fail, CQE_EIO,
                                            "%s: truncated: the zstd stream ends inside a frame after %lld "
                                            "complete lines; the file was cut short (copy it again)",
                                            r->path, (long long)r->line_no);
                if (truncated || r->pending)
                    return finish_pending(r, truncated, line) ? 1 : 0;
                return 0;
            }
        }
        unsigned char *start = r->data + r->pos;
        size_t avail = r->len - r->pos;
        unsigned char *nl = memchr(start, '\n', avail);
        if (!nl) {
            append(r, start, avail);
            r->pos = r->len;
            continue;
        }
        size_t k = (size_t)(nl - start);
        r->pos += k + 1;
        if (r->pending) {
            append(r, start, k);
            if (finish_pending(r, false, line))
                return 1;
            continue;
        }
        /* the whole line is in this chunk: hand it out in place */
        r->line_no++;
        if (k > 0 && start[k - 1] == '\r')
            k--;
        if (all_blank(start, k))
            continue;
        line->p = (const char *)start;
        line->total = k;
        line->line_no = r->line_no;
        line->status = CQE_LINE_OK;
        if (k > r->max_line) {
            k = r->max_line;
            line->status = CQE_LINE_TOO_LARGE;
        }
        start[k] = '\0'; /* over a consumed byte: the "\r", "\n" or a skipped one */
        line->n = k;
        return 1;
    }
}

int cqe_line_reader_next(struct cqe_line_reader *r, struct cqe_line *line, struct cqe_err *err)
{
    if (!r->failed && !r->done) {
        int rc = next_line(r, line);
        if (rc >= 0)
            return rc;
        r->failed = rc;
    }
    if (r->failed) {
        if (err)
            *err = r->fail;
        return r->failed;
    }
    return 0;
}

uint64_t cqe_line_reader_offset(const struct cqe_line_reader *r)
{
    return r->in_base + r->in_pos;
}

const char *cqe_line_reader_path(const struct cqe_line_reader *r)
{
    return r->path;
}

void cqe_line_reader_close(struct cqe_line_reader *r)
{
    if (!r)
        return;
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    ZSTD_freeDCtx(r->dctx);
    free(r->zbuf);
    free(r->in);
    free(r->lbuf);
    free(r->path);
    free(r);
}

/* Reads until 4 bytes are buffered (or the input ends) and decides plain or zstd. */
static int sniff(struct cqe_line_reader *r, struct cqe_err *err)
{
    while (r->in_len < 4 && !r->in_eof) {
        int rc = read_more(r, err);
        if (rc < 0)
            return rc;
    }
    bool zstd = false;
    if (r->in_len >= 4) {
        uint32_t m = (uint32_t)r->in[0] | (uint32_t)r->in[1] << 8 | (uint32_t)r->in[2] << 16 |
                     (uint32_t)r->in[3] << 24;
        zstd = m == ZSTD_MAGICNUMBER || (m & SKIPPABLE_MASK) == SKIPPABLE_MAGIC;
    }
    if (!zstd && r->in_len > 0 && has_zst_suffix(r->path))
        return cqe_err_set(err, CQE_EIO, "%s: not a zstd stream (no zstd magic number at byte 0)", r->path);
    if (!zstd)
        return 0;
    r->zcap = ZSTD_DStreamOutSize();
    if (!(r->dctx = ZSTD_createDCtx()) || !(r->zbuf = malloc(r->zcap)))
        return cqe_err_set(err, CQE_ENOMEM, "%s: out of memory opening input", r->path);
    return 0;
}

int cqe_line_reader_open(const char *path, size_t max_line, struct cqe_line_reader **out, struct cqe_err *err)
{
    int rc = 0;
    struct cqe_line_reader *r = NULL;
    *out = NULL;
    if (!path || !*path) {
        rc = cqe_err_set(err, CQE_EINVAL, "input file: empty path");
        goto out;
    }
    if (max_line == 0)
        max_line = CQE_LINE_MAX_DEFAULT;
    if (max_line > SIZE_MAX / 2) {
        rc = cqe_err_set(err, CQE_EINVAL, "%s: max line length %zu is too large", path, max_line);
        goto out;
    }
    r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path)) || !(r->in = malloc(READ_BUF)) || !(r->lbuf = malloc(max_line + 2))) {
        rc = cqe_err_set(err, CQE_ENOMEM, "%s: out of memory opening input", path);
        goto out;
    }
    r->fd = -1;
    r->max_line = max_line;
    r->ws_only = true;
    if (strcmp(path, "-") == 0) {
        r->fd = STDIN_FILENO;
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
            char tmp[128];
            rc = cqe_err_set(err, CQE_EIO, "%s: cannot open: %s", path, sys_text(errno, tmp, sizeof tmp));
            goto out;
        }
        r->own_fd = true;
    }
    rc = sniff(r, err);
    if (rc < 0)
        goto out;
    *out = r;
    r = NULL;
out:
    cqe_line_reader_close(r);
    return rc;
}
