/* `cloudqe retain`'s work (see retention.h): which keys belong to archived periods
 * (each family says, family.h), the archive files, the marker, the deletion. */
#include "retention.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "family.h"
#include "fault.h"
#include "file_writer.h"
#include "records.h"
#include "snapshots.h"
#include "timeutil.h"
#include "view.h"

#define MAX_YEARS 4096 /* years archived by one run */

/* The keys to delete, found in the loaded state: set cells of key "f" (periods this
 * run archives) or "s" (periods archived before: keys written since). */
static const char fresh_set[] = "f", stale_set[] = "s";

struct plan {
    const struct cqe_config *cfg;
    int64_t before_month, was_month; /* month buckets of before and before_was */
    struct cqe_store *doomed;
    int64_t years[MAX_YEARS]; /* with archived keys, sorted, distinct */
    size_t n_years;
    int rc;
};

static int cmp_cell_key(const void *a, const void *b)
{
    const struct cqe_cell *x = *(const struct cqe_cell *const *)a, *y = *(const struct cqe_cell *const *)b;
    int c = memcmp(x->key, y->key, x->key_len < y->key_len ? x->key_len : y->key_len);
    return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

struct cell_list {
    const struct cqe_cell **c;
    size_t n;
};

static int collect_cell(const struct cqe_cell *c, void *arg)
{
    struct cell_list *l = arg;
    l->c[l->n++] = c;
    return 0;
}

static void note_year(struct plan *p, int64_t year)
{
    size_t i = 0;
    while (i < p->n_years && p->years[i] < year)
        i++;
    if ((i < p->n_years && p->years[i] == year) || p->n_years == MAX_YEARS)
        return;
    memmove(p->years + i + 1, p->years + i, (p->n_years - i) * sizeof *p->years);
    p->years[i] = year;
    p->n_years++;
}

/* The class of a key of retention month `month`: 0 kept, 1 archived now, 2 archived
 * by an earlier run. */
static int month_class(const struct plan *p, int64_t month)
{
    if (month == CQE_MONTH_NEVER || month >= p->before_month)
        return 0;
    return month < p->was_month ? 2 : 1;
}

/* Judges one key of the loaded state from all of its cells. */
static int judge_group(struct plan *p, const struct cqe_cell *const *cells, size_t n, struct cqe_kparts *k)
{
    int64_t month;
    int rc = cqe_kparts_parse(k, cells[0]->key, cells[0]->key_len);
    if (rc == CQE_EINVAL)
        return 0; /* not a key a family writes: kept */
    if (rc || (rc = cqe_family_key_month(k, cells, n, p->cfg->utc_offset_min, &month)))
        return rc;
    int cls = month_class(p, month);
    if (!cls)
        return 0;
    if (cls == 1)
        note_year(p, month / 12);
    const char *set = cls == 1 ? fresh_set : stale_set;
    return cqe_store_set_add(p->doomed, set, 1, cells[0]->key, cells[0]->key_len);
}

/* Fills p->doomed and p->years from the loaded state. */
static int plan_keys(struct plan *p, const struct cqe_store *state, struct cqe_err *err)
{
    size_t total = cqe_store_cells(state);
    struct cell_list l = {calloc(total ? total : 1, sizeof *l.c), 0};
    struct cqe_kparts k = {0};
    int rc = 0;
    if (!l.c)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    cqe_store_each(state, collect_cell, &l);
    qsort(l.c, l.n, sizeof *l.c, cmp_cell_key);
    for (size_t i = 0, j; !rc && i < l.n; i = j) {
        for (j = i + 1; j < l.n && !cmp_cell_key(&l.c[i], &l.c[j]); j++)
            ;
        rc = judge_group(p, l.c + i, j - i, &k);
    }
    cqe_kparts_free(&k);
    free(l.c);
    return rc ? cqe_err_set(err, rc, "out of memory planning retention") : 0;
}

/* ---------------------------------------------------------------- archive files */

struct sink {
    struct cqe_file_writer *w; /* NULL: dry run, count only */
    int64_t records, bytes;
    struct cqe_err *err;
};

static int write_record(void *record, void *arg)
{
    struct sink *s = arg;
    char *line = cqe_record_dumps(record);
    if (!line)
        return CQE_ENOMEM;
    size_t n = strlen(line);
    int rc = 0;
    if (s->w && !(rc = cqe_file_writer_write(s->w, line, n, s->err)))
        rc = cqe_file_writer_write(s->w, "\n", 1, s->err);
    free(line);
    s->records++;
    s->bytes += (int64_t)n + 1;
    return rc;
}

/* Makes dir (0755) unless it exists, and its entry durable in its parent. */
static int make_dir(const char *dir, const char *parent, struct cqe_err *err)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return cqe_err_set(err, CQE_EIO, "--archive: cannot create %s: %s", dir, strerror(errno));
    int fd = open(parent, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return cqe_err_set(err, CQE_EIO, "--archive: cannot open %s: %s", parent, strerror(errno));
    int bad = fsync(fd) != 0 && errno != EINVAL;
    close(fd);
    return bad ? cqe_err_set(err, CQE_EIO, "--archive: fsync of %s failed", parent) : 0;
}

/* Makes the archive directory itself, durable in its parent. */
static int make_archive_dir(const char *dir, struct cqe_err *err)
{
    char parent[4096];
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    while (n > 0 && dir[n - 1] != '/')
        n--;
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n >= sizeof parent)
        return cqe_err_set(err, CQE_EINVAL, "--archive %s: the path is too long", dir);
    if (n == 0)
        memcpy(parent, ".", 2);
    else {
        memcpy(parent, dir, n);
        parent[n] = 0;
    }
    return make_dir(dir, parent, err);
}

/* The file name of a period's part: stable per namespace and period, so a run
 * repeated before the marker replaces the file instead of adding a second one. */
static uint64_t part_hash(const char *period)
{
    uint64_t h = 1469598103934665603ULL;
    const char *parts[] = {CQE_REDIS_NS, "\n", period};
    for (size_t i = 0; i < 3; i++)
        for (const char *c = parts[i]; *c; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    return h;
}

/* Writes the records of period pd into DIR/period=<id>/part-<hash>.ndjson.zst and
 * records it as a marker field (fv[0], fv[1]: malloc'd). */
static int write_period(const struct cqe_view *v, const struct cqe_model *m, const struct cqe_period *pd,
                        const struct cqe_redis_counts *counts, const struct cqe_retain_opts *o,
                        struct cqe_retain_summary *s, char **fv, struct cqe_err *err)
{
    char dir[4096], path[4200], rel[256];
    struct sink out = {NULL, 0, 0, err};
    struct stat st = {0};
    int rc;
    snprintf(rel, sizeof rel, "period=%s/part-%016llx.ndjson.zst", pd->id,
             (unsigned long long)part_hash(pd->id));
    if ((size_t)snprintf(dir, sizeof dir, "%s/period=%s", o->archive_dir, pd->id) >= sizeof dir)
        return cqe_err_set(err, CQE_EINVAL, "--archive %s: the path is too long", o->archive_dir);
    snprintf(path, sizeof path, "%s/%s", o->archive_dir, rel);
    if (!o->dry_run &&
        ((rc = make_dir(dir, o->archive_dir, err)) || (rc = cqe_file_writer_open_atomic(path, &out.w, err))))
        return rc;
    struct cqe_emit_options eo = {
        pd, 1, o->as_of, {counts->applied, counts->dead_letters, counts->duplicates, 0}, NULL, true, true};
    rc = cqe_emit_records(v, m, &eo, write_record, &out, err);
    if (rc) {
        cqe_file_writer_abort(out.w);
        return rc == CQE_ENOMEM ? cqe_err_set(err, rc, "out of memory writing %s", path) : rc;
    }
    if (out.w && (rc = cqe_file_writer_close(out.w, err)))
        return rc;
    s->periods++;
    s->records += out.records;
    s->ndjson_bytes += out.bytes;
    if (!o->dry_run && stat(path, &st) == 0)
        s->bytes += st.st_size;
    char val[400];
    snprintf(val, sizeof val, "%s %lld %lld", rel, (long long)(o->dry_run ? 0 : st.st_size),
             (long long)out.records);
    char field[32];
    snprintf(field, sizeof field, "period=%s", pd->id);
    if (!(fv[0] = strdup(field)) || !(fv[1] = strdup(val)))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    return 0;
}

/* The months, quarters and the year of `year`, in that order. */
static size_t year_periods(int64_t year, int offset_min, struct cqe_period out[17])
{
    char id[32];
    size_t n = 0;
    for (int mo = 1; mo <= 12; mo++) {
        snprintf(id, sizeof id, "%04lld-%02d", (long long)year, mo);
        cqe_period_parse(id, offset_min, &out[n++]);
    }
    for (int q = 1; q <= 4; q++) {
        snprintf(id, sizeof id, "%04lld-Q%d", (long long)year, q);
        cqe_period_parse(id, offset_min, &out[n++]);
    }
    snprintf(id, sizeof id, "%04lld", (long long)year);
    cqe_period_parse(id, offset_min, &out[n++]);
    return n;
}

/* Writes every archived year's files; fv collects the marker fields (2 per period). */
static int write_archive(const struct plan *p, const struct cqe_store *state, const struct cqe_model *m,
                         const struct cqe_redis_counts *counts, const struct cqe_retain_opts *o,
                         struct cqe_retain_summary *s, char **fv, size_t *n_fv, struct cqe_err *err)
{
    struct cqe_view *v = NULL;
    int rc = 0;
    if (!p->n_years)
        return 0;
    if (!o->dry_run && (rc = make_archive_dir(o->archive_dir, err)))
        return rc;
    if (!(v = cqe_view_build(state, p->cfg, err)))
        return err->code ? err->code : CQE_ENOMEM;
    for (size_t y = 0; !rc && y < p->n_years; y++) {
        struct cqe_period pd[17];
        size_t n = year_periods(p->years[y], p->cfg->utc_offset_min, pd);
        for (size_t i = 0; !rc && i < n; i++, *n_fv += 2)
            rc = write_period(v, m, &pd[i], counts, o, s, fv + *n_fv, err);
        s->years++;
    }
    cqe_view_free(v);
    return rc;
}

/* ---------------------------------------------------------------- deletion */

/* doom callback: a key found in the loaded state goes by the class planned for it;
 * one written since (a worker that had not seen the marker) by its name alone. */
static int doom_key(const char *skey, size_t n, void *arg)
{
    struct plan *p = arg;
    if (cqe_store_get(p->doomed, fresh_set, 1, skey, n, CQE_OP_SET))
        return 1;
    if (cqe_store_get(p->doomed, stale_set, 1, skey, n, CQE_OP_SET))
        return 2;
    struct cqe_kparts k = {0};
    int64_t month = CQE_MONTH_NEVER;
    int rc = cqe_kparts_parse(&k, skey, n);
    if (!rc)
        rc = cqe_family_key_month(&k, NULL, 0, p->cfg->utc_offset_min, &month);
    cqe_kparts_free(&k);
    if (rc == CQE_ENOMEM)
        return rc;
    return month_class(p, month);
}

/* Writes the marker when `before` moves: the periods written (fv, n_fv strings, owned
 * by the caller, which frees the two more added here), "before" and "through". */
static int write_marker(struct cqe_redis *r, const struct plan *p, const struct cqe_retain_summary *s,
                        char **fv, size_t *n_fv, struct cqe_err *err)
{
    char before[24], through[32];
    if (s->before <= s->before_was)
        return 0;
    int64_t last = p->before_month - 1;
    snprintf(before, sizeof before, "%lld", (long long)s->before);
    snprintf(through, sizeof through, "%04lld-%02d", (long long)(last / 12), (int)(last % 12) + 1);
    const char *add[] = {"before", before, "through", through};
    for (size_t i = 0; i < 4; i++)
        if (!(fv[(*n_fv)++] = strdup(add[i])))
            return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    return cqe_redis_retention_mark(r, CQE_REDIS_NS, (const char *const *)fv, *n_fv / 2, err);
}

/* The first instant of the year keep_years before the year of as_of, in the offset:
 * every year that ended at or before as_of minus keep_years is archived, so the
 * quarters and years still held keep every one of their months. */
static int64_t cutoff(int64_t as_of, int64_t keep_years, int offset_min)
{
    int64_t y;
    int mo, d;
    cqe_civil_from_days(cqe_local_day(as_of, offset_min), &y, &mo, &d);
    return cqe_local_midnight(cqe_days_from_civil(y - keep_years, 1, 1), offset_min);
}

int cqe_retain(struct cqe_redis *r, const struct cqe_config *cfg, const struct cqe_model *m,
               const struct cqe_store *state, const struct cqe_redis_counts *counts,
               const struct cqe_retain_opts *o, struct cqe_retain_summary *s, struct cqe_err *err)
{
    struct plan *p = calloc(1, sizeof *p);
    char **fv = NULL;
    size_t n_fv = 0;
    int64_t deleted[CQE_REDIS_DOOM_CLASSES];
    int rc = 0;
    memset(s, 0, sizeof *s);
    if (!p || !(p->doomed = cqe_store_new())) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    p->cfg = cfg;
    if ((rc = cqe_redis_retention_before(r, CQE_REDIS_NS, &s->before_was, err)))
        goto out;
    s->before = cutoff(o->as_of, o->keep_years, cfg->utc_offset_min);
    if (s->before < s->before_was)
        s->before = s->before_was; /* an earlier as-of archives nothing back */
    p->before_month = cqe_month_index(s->before, cfg->utc_offset_min);
    p->was_month = s->before_was > 0 ? cqe_month_index(s->before_was, cfg->utc_offset_min) : INT64_MIN;
    if ((rc = plan_keys(p, state, err)))
        goto out;

    /* 1. the archive, durable before anything says it exists */
    if (!(fv = calloc(2 * (17 * p->n_years + 2), sizeof *fv))) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = write_archive(p, state, m, counts, o, s, fv, &n_fv, err)))
        goto out;
    if (!o->dry_run) {
        cqe_fault_retain("retain_before_mark");
        /* 2. the marker: workers dead-letter events before `before` from now on */
        if ((rc = write_marker(r, p, s, fv, &n_fv, err)))
            goto out;
        cqe_fault_retain("retain_after_mark");
    }
    /* 3. the keys of every archived period, on every partition */
    if ((rc = cqe_redis_delete_state(r, CQE_REDIS_NS, doom_key, p, o->dry_run, deleted, err)))
        goto out;
    s->keys_deleted = deleted[1] + deleted[2];
    s->earlier_keys = deleted[2];
out:
    for (size_t i = 0; fv && i < n_fv; i++)
        free(fv[i]);
    free(fv);
    if (p)
        cqe_store_free(p->doomed);
    free(p);
    return rc;
}
