/* Data-lake files (see lake_files.h): one open file at a time through the atomic zstd
 * file writer, rolled by age, size and local hour; the id of the last record in a closed
 * file is what the caller may acknowledge. */
#include "lake_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_writer.h"
#include "timeutil.h"

#define MS_PER_HOUR INT64_C(3600000)
#define MAX_OFFSET_MIN (18 * 60) /* the widest UTC offset RFC 3339 allows in practice */
#define DIR_MODE 0755

/* A growable copy of an id string. */
struct id_buf {
    char *s; /* owned; NULL until the first copy */
    size_t cap;
    bool set;
};

struct cqe_lake {
    char *dir, *kind, *worker; /* owned copies of the configuration */
    int utc_offset_min;
    int64_t roll_ms;
    uint64_t max_bytes;
    uint64_t next_seq;
    /* the open file; w == NULL when none is */
    struct cqe_file_writer *w;
    int64_t opened_ms;     /* now_ms of its first record */
    int64_t hour;          /* local hours since the epoch of its directory */
    struct id_buf last;    /* id of its last record */
    struct id_buf durable; /* id of the last record of a closed file */
};

/* Room for n bytes and a NUL in b. Returns 0 or CQE_ENOMEM. */
static int id_reserve(struct id_buf *b, size_t n, struct cqe_err *err)
{
    if (n < b->cap)
        return 0;
    char *s = realloc(b->s, n + 1);
    if (!s)
        return cqe_err_set(err, CQE_ENOMEM, "lake: out of memory for a record id");
    b->s = s;
    b->cap = n + 1;
    return 0;
}

/* A malloc'd string formatted as printf would, or NULL when out of memory. */
__attribute__((format(printf, 1, 2))) static char *format_new(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* Local hours since the epoch (in the offset) of instant ms. */
static int64_t local_hour(const struct cqe_lake *l, int64_t ms)
{
    int64_t day = cqe_local_day(ms, l->utc_offset_min);
    return day * 24 + (ms - cqe_local_midnight(day, l->utc_offset_min)) / MS_PER_HOUR;
}

/* Makes the new directory dir durable: fsyncs the directory holding it (a file system
 * that refuses fsync on a directory, EINVAL, is no error). */
static int sync_parent_of(const char *dir, struct cqe_err *err)
{
    const char *slash = strrchr(dir, '/');
    char *parent = slash ? strndup(dir, slash == dir ? 1 : (size_t)(slash - dir)) : strdup(".");
    int rc = 0;
    if (!parent)
        return cqe_err_set(err, CQE_ENOMEM, "%s: out of memory", dir);
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        rc = cqe_file_err(err, dir, "cannot open the directory holding it to sync it", errno);
    else if (fsync(fd) != 0 && errno != EINVAL)
        rc = cqe_file_err(err, dir, "cannot sync the directory holding it", errno);
    if (fd >= 0)
        close(fd);
    free(parent);
    return rc;
}

/* Creates dir (writable copy, restored on return) and every missing directory above it,
 * as `mkdir -p` does, each made durable in its parent. The usual case, dir there
 * already, costs one mkdir. Returns 0, CQE_EIO (err names the directory that could not
 * be made) or CQE_ENOMEM. */
static int make_dirs(char *dir, struct cqe_err *err)
{
    if (mkdir(dir, DIR_MODE) == 0)
        return sync_parent_of(dir, err);
    if (errno == EEXIST)
        return 0; /* a file there instead fails the file's creation, naming it */
    if (errno != ENOENT)
        return cqe_file_err(err, dir, "cannot create the directory", errno);
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        if (p[-1] == '/') { /* a repeated or trailing slash */
            if (!*p)
                return 0;
            continue;
        }
        char was = *p;
        *p = '\0';
        int rc = 0;
        if (mkdir(dir, DIR_MODE) == 0)
            rc = sync_parent_of(dir, err);
        else if (errno != EEXIST)
            rc = cqe_file_err(err, dir, "cannot create the directory", errno);
        *p = was;
        if (rc || !was)
            return rc;
    }
}

/* Whether the open file must be closed before `adding` more bytes at now_ms. */
static bool is_due(const struct cqe_lake *l, int64_t now_ms, uint64_t adding)
{
    uint64_t bytes = cqe_file_writer_bytes(l->w);
    return (l->roll_ms > 0 && now_ms - l->opened_ms >= l->roll_ms) || local_hour(l, now_ms) != l->hour ||
           (l->max_bytes > 0 && (bytes > l->max_bytes || adding > l->max_bytes - bytes));
}

void cqe_lake_discard(struct cqe_lake *l)
{
    if (!l || !l->w)
        return;
    cqe_file_writer_abort(l->w);
    l->w = NULL;
    l->last.set = false;
}

/* Closes the open file; on success its last id becomes the durable one. On failure the
 * file writer has removed the temporary file. */
static int close_file(struct cqe_lake *l, struct cqe_err *err)
{
    struct cqe_file_writer *w = l->w;
    l->w = NULL;
    int rc = cqe_file_writer_close(w, err);
    if (rc == 0 && l->last.set) {
        struct id_buf was = l->durable;
        l->durable = l->last;
        l->last = was;
    }
    l->last.set = false;
    return rc;
}

/* Opens the next file of the local hour holding now_ms, in its directory. */
static int open_file(struct cqe_lake *l, int64_t now_ms, struct cqe_err *err)
{
    int rc = 0;
    char *dir = NULL, *path = NULL, *tmp = NULL;
    int64_t hour = local_hour(l, now_ms), y;
    int m, d;
    cqe_civil_from_days(hour / 24, &y, &m, &d);
    if (!(dir = format_new("%s/%s/dt=%04lld-%02d-%02d/hour=%02d", l->dir, l->kind, (long long)y, m, d,
                           (int)(hour % 24)))) {
        rc = cqe_err_set(err, CQE_ENOMEM, "lake: out of memory");
        goto out;
    }
    if ((rc = make_dirs(dir, err)))
        goto out;
    unsigned long long seq;
    for (;;) {
        struct stat st;
        seq = l->next_seq++;
        free(path);
        if (!(path = format_new("%s/part-%s-%llu.ndjson.zst", dir, l->worker, seq))) {
            rc = cqe_err_set(err, CQE_ENOMEM, "lake: out of memory");
            goto out;
        }
        if (lstat(path, &st) != 0)
            break;
    }
    /* a leading dot: Spark and Hive skip it; no ".ndjson.zst" ending: DuckDB's glob does */
    if (!(tmp = format_new("%s/.part-%s-%llu.ndjson.zst.tmp", dir, l->worker, seq))) {
        rc = cqe_err_set(err, CQE_ENOMEM, "lake: out of memory");
        goto out;
    }
    if ((rc = cqe_file_writer_open_atomic_at(path, tmp, &l->w, err)))
        goto out;
    l->opened_ms = now_ms;
    l->hour = hour;
out:
    free(tmp);
    free(path);
    free(dir);
    return rc;
}

/* Whether name is usable as one directory or file name part: non-empty, no '/'. */
static bool plain_name(const char *name)
{
    return name && *name && !strchr(name, '/');
}

int cqe_lake_open(const struct cqe_lake_conf *c, struct cqe_lake **out, struct cqe_err *err)
{
    int rc = 0;
    struct cqe_lake *l = NULL;
    *out = NULL;
    if (!c->dir || !*c->dir) {
        rc = cqe_err_set(err, CQE_EINVAL, "lake: dir is empty: name the lake's root directory");
        goto out;
    }
    if (!plain_name(c->kind) || c->kind[0] == '.' || c->kind[0] == '_' || strchr(c->kind, '=')) {
        rc = cqe_err_set(err, CQE_EINVAL,
                         "lake: kind \"%s\" must be a plain directory name (no '/' or '=', not starting "
                         "with '.' or '_', which lake engines skip)",
                         c->kind ? c->kind : "");
        goto out;
    }
    if (!plain_name(c->worker)) {
        rc = cqe_err_set(err, CQE_EINVAL, "lake: worker \"%s\" must be non-empty, without '/'",
                         c->worker ? c->worker : "");
        goto out;
    }
    if (c->utc_offset_min < -MAX_OFFSET_MIN || c->utc_offset_min > MAX_OFFSET_MIN) {
        rc = cqe_err_set(err, CQE_EINVAL, "lake: utc_offset_min %d is outside -18:00..+18:00",
                         c->utc_offset_min);
        goto out;
    }
    if (c->roll_ms < 0) {
        rc = cqe_err_set(err, CQE_EINVAL, "lake: roll_ms %lld is negative (0 = no age limit)",
                         (long long)c->roll_ms);
        goto out;
    }
    if (!(l = calloc(1, sizeof *l)) || !(l->dir = strdup(c->dir)) || !(l->kind = strdup(c->kind)) ||
        !(l->worker = strdup(c->worker))) {
        rc = cqe_err_set(err, CQE_ENOMEM, "lake: out of memory");
        goto out;
    }
    l->utc_offset_min = c->utc_offset_min;
    l->roll_ms = c->roll_ms;
    l->max_bytes = c->max_bytes;
    *out = l;
    l = NULL;
out:
    cqe_lake_free(l);
    return rc;
}

int cqe_lake_append(struct cqe_lake *l, const char *line, size_t n, const char *id, int64_t now_ms,
                    struct cqe_err *err)
{
    int rc = 0;
    if (!id)
        return cqe_err_set(err, CQE_EINVAL, "lake %s: a record without an id", l->kind);
    if (memchr(line, '\n', n))
        return cqe_err_set(err, CQE_EINVAL, "lake %s: record %s holds a newline: a record is one line",
                           l->kind, id);
    if (now_ms < CQE_TS_MIN || now_ms >= CQE_TS_MAX)
        return cqe_err_set(err, CQE_EINVAL, "lake %s: emission time %lld ms is outside 2000..2100", l->kind,
                           (long long)now_ms);
    size_t id_n = strlen(id);
    if (l->w && is_due(l, now_ms, (uint64_t)n + 1) && (rc = close_file(l, err)))
        goto out;
    /* before a file is opened or a byte written: a record in a file always has its id kept */
    if ((rc = id_reserve(&l->last, id_n, err)))
        goto out;
    if (!l->w && (rc = open_file(l, now_ms, err)))
        goto out;
    if ((rc = cqe_file_writer_write(l->w, line, n, err)) || (rc = cqe_file_writer_write(l->w, "\n", 1, err)))
        goto out;
    memcpy(l->last.s, id, id_n + 1);
    l->last.set = true;
out:
    if (rc == CQE_EIO)
        cqe_lake_discard(l);
    return rc;
}

int cqe_lake_roll(struct cqe_lake *l, int64_t now_ms, bool force, struct cqe_err *err)
{
    if (!l->w || !(force || is_due(l, now_ms, 0)))
        return 0;
    return close_file(l, err);
}

const char *cqe_lake_durable_id(const struct cqe_lake *l)
{
    return l->durable.set ? l->durable.s : NULL;
}

void cqe_lake_free(struct cqe_lake *l)
{
    if (!l)
        return;
    cqe_lake_discard(l);
    free(l->last.s);
    free(l->durable.s);
    free(l->worker);
    free(l->kind);
    free(l->dir);
    free(l);
}
