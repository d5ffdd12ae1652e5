/* Loading event files through the pipeline into a merged store (see replay_load.h). */
#include "replay_load.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "json_out.h"
#include "line_reader.h"

int64_t cqe_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int read_file(struct cqe_pipeline *pl, const char *path, struct cqe_progress_line *progress,
                     struct cqe_err *err)
{
    struct cqe_line_reader *r = NULL;
    int rc = cqe_line_reader_open(path, (size_t)pl->cfg->max_message_bytes, &r, err);
    if (rc)
        return rc;
    struct cqe_line line;
    while ((rc = cqe_line_reader_next(r, &line, err)) == 1) {
        struct cqe_origin o = {.file = path, .line = line.line_no};
        char detail[160];
        int hint = CQE_R_NONE;
        if (line.status == CQE_LINE_TOO_LARGE) {
            hint = CQE_R_TOO_LARGE;
            snprintf(detail, sizeof detail, "message of %llu bytes exceeds max_message_bytes %lld",
                     (unsigned long long)line.total, (long long)pl->cfg->max_message_bytes);
        } else if (line.status == CQE_LINE_TRUNCATED) {
            hint = CQE_R_JSON_SYNTAX;
            snprintf(detail, sizeof detail, "input ends inside a zstd frame: the file is truncated");
        }
        rc = cqe_pipeline_feed(pl, line.p, line.n, &o, hint, detail, cqe_wall_ms(), err);
        if (rc)
            break;
        if (progress)
            cqe_progress_line_note(progress, pl->counts.read, progress->base + cqe_line_reader_offset(r));
    }
    if (progress)
        progress->base += cqe_line_reader_offset(r);
    cqe_line_reader_close(r);
    return rc < 0 ? rc : 0;
}

void cqe_replay_print_counts(const struct cqe_pipeline_counts *c, bool quiet)
{
    json_t *o = json_object(), *bt = json_object(), *br = json_object();
    json_object_set_new(o, "kind", json_string("replay_summary"));
    json_object_set_new(o, "lines", json_integer(c->read));
    json_object_set_new(o, "applied", json_integer(c->applied));
    json_object_set_new(o, "duplicates", json_integer(c->duplicates));
    json_object_set_new(o, "dead_letters", json_integer(c->dead_letters));
    for (int t = 0; t < CQE_T__COUNT; t++)
        json_object_set_new(bt, cqe_type_name(t), json_integer(c->by_type[t]));
    for (int r = 1; r < CQE_R__COUNT; r++)
        if (c->by_reason[r])
            json_object_set_new(br, cqe_reason_name(r), json_integer(c->by_reason[r]));
    json_object_set_new(o, "by_type", bt);
    json_object_set_new(o, "dead_by_reason", br);
    if (!quiet) {
        fprintf(stderr, "replay: %lld lines read: %lld applied, %lld duplicates, %lld dead letters\n",
                (long long)c->read, (long long)c->applied, (long long)c->duplicates,
                (long long)c->dead_letters);
        for (int t = 0; t < CQE_T__COUNT; t++)
            if (c->by_type[t])
                fprintf(stderr, "  %-12s %lld\n", cqe_type_name(t), (long long)c->by_type[t]);
        for (int r = 1; r < CQE_R__COUNT; r++)
            if (c->by_reason[r])
                fprintf(stderr, "  dead letter %-20s %lld\n", cqe_reason_name(r), (long long)c->by_reason[r]);
    }
    char *s = cqe_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s)
        fprintf(stderr, "%s\n", s);
    free(s);
    json_decref(o);
}

int cqe_replay_load(const struct cqe_config *cfg, char **files, int n_files, const char *dlq_path,
                    size_t n_streams, struct cqe_progress_line *progress, struct cqe_store **merged,
                    struct cqe_pipeline_counts *counts, struct cqe_err *err)
{
    struct cqe_dead_letters *dlq = NULL;
    struct cqe_store **stores = calloc(n_streams, sizeof *stores);
    struct cqe_pipeline pl;
    bool pl_ready = false;
    int rc;
    *merged = NULL;
    if (!stores)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    if ((rc = cqe_dead_letters_open(dlq_path, cfg->utc_offset_min, &dlq, err)))
        goto out;
    rc = CQE_ENOMEM;
    for (size_t i = 0; i < n_streams; i++)
        if (!(stores[i] = cqe_store_new()))
            goto oom;
    if (cqe_pipeline_init(&pl, cfg, dlq, stores, n_streams))
        goto oom;
    pl_ready = true;
    for (int i = 0; i < n_files; i++)
        if ((rc = read_file(&pl, files[i], progress, err)))
            goto out;
    if ((rc = cqe_dead_letters_flush(dlq, err)))
        goto out;
    if (!(*merged = cqe_store_new()))
        goto oom;
    for (size_t i = 0; i < n_streams; i++)
        if (cqe_store_merge(*merged, stores[i]))
            goto oom;
    *counts = pl.counts;
    rc = 0;
    goto out;
oom:
    rc = cqe_err_set(err, CQE_ENOMEM, "out of memory loading events");
out:
    cqe_progress_line_clear(progress);
    if (rc) {
        cqe_store_free(*merged);
        *merged = NULL;
    }
    if (pl_ready)
        cqe_pipeline_fini(&pl);
    for (size_t i = 0; i < n_streams; i++)
        cqe_store_free(stores[i]);
    free(stores);
    if (cqe_dead_letters_close(dlq, rc ? NULL : err) && !rc)
        rc = CQE_EIO;
    return rc;
}
