/* Partitioned, resumable replay into the Redis state store (see replay_redis.h): one
 * pipeline and one delta store per partition; a partition is flushed with its position
 * (the global number of its last consumed line) every CQE_REPLAY_FLUSH_EVERY lines. */
#include "replay_redis.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "fault.h"
#include "line_reader.h"
#include "partition.h"
#include "state_redis.h"

#define MAX_PARTITIONS 1024

/* A partition's position is the global number of the last line it consumed: lines up
 * to `stored` are in Redis (none: -1, below every line number). */
struct run {
    const struct cqe_config *cfg;
    struct cqe_redis *r;
    struct cqe_dead_letters *dlq;
    struct cqe_partition *parts;
    int n;
    int64_t flush_every;
    int64_t consumed, skipped, flushes;
    struct cqe_retention_watch watch;
    struct cqe_progress_line *progress; /* NULL: none */
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a: stable across runs and machines, as resuming needs. */
static uint64_t key_hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

/* The partition key of events.md: the entity, the resource of a metric, the service of
 * a probe (the id when absent, so retried copies still meet). */
static struct cqe_str partition_key(const struct cqe_event *ev)
{
    struct cqe_str k = ev->entity;
    if (ev->type == CQE_T_METRIC)
        k = ev->resource;
    else if (ev->type == CQE_T_PROBE)
        k = ev->service;
    return k.p ? k : ev->id;
}

static int flush_part(struct run *run, int i, struct cqe_err *err)
{
    struct cqe_partition *p = &run->parts[i];
    int rc;
    if (!p->since)
        return 0;
    /* dead letters of the lines this flush covers reach the file first */
    if ((rc = cqe_dead_letters_flush(run->dlq, err)) ||
        (rc = cqe_partition_flush(p, run->r, run->cfg->dedup_window, err)))
        return rc;
    run->flushes++;
    return cqe_retention_watch_refresh(&run->watch, run->r, CQE_RETENTION_REFRESH_MS, err);
}

/* Routes one line to its partition and feeds it unless Redis already holds it. */
static int consume(struct run *run, const struct cqe_line *line, const char *path, int64_t g,
                   struct cqe_err *err)
{
    struct cqe_event ev;
    struct cqe_err derr;
    char detail[160] = "";
    int hint = CQE_R_NONE, i = 0, rc = 0;
    bool decoded = false;
    memset(&ev, 0, sizeof ev);
    if (line->status == CQE_LINE_TOO_LARGE) {
        hint = CQE_R_TOO_LARGE;
        snprintf(detail, sizeof detail, "message of %llu bytes exceeds max_message_bytes %lld",
                 (unsigned long long)line->total, (long long)run->cfg->max_message_bytes);
    } else if (line->status == CQE_LINE_TRUNCATED) {
        hint = CQE_R_JSON_SYNTAX;
        snprintf(detail, sizeof detail, "input ends inside a zstd frame: the file is truncated");
    } else if (!cqe_decode(line->p, line->n, run->cfg->max_message_bytes, &ev, &derr)) {
        decoded = true;
        struct cqe_str k = partition_key(&ev);
        i = (int)(key_hash(k.p, k.n) % (uint64_t)run->n);
    } else if (derr.code == CQE_ENOMEM) {
        return cqe_err_set(err, CQE_ENOMEM, "out of memory decoding line %lld", (long long)g);
    } /* undecodable lines go to partition 0, whose pipeline dead-letters them */
    struct cqe_partition *p = &run->parts[i];
    if (g <= p->stored) {
        run->skipped++;
        goto out;
    }
    /* opened at its first line: start-up does not wait on every partition's memory */
    if (!p->ready && (rc = cqe_partition_open_at(p, i, p->stored, run->cfg, run->dlq, run->r, err)))
        goto out;
    struct cqe_origin o = {.file = path, .line = line->line_no};
    p->pl.archived_before = run->watch.before;
    if (decoded) /* decoded once, to route it */
        rc = cqe_partition_feed_event(p, &ev, line->p, line->n, &o, wall_ms(), err);
    else
        rc = cqe_partition_feed(p, line->p, line->n, &o, hint, detail, wall_ms(), err);
    if (rc)
        goto out;
    p->pos = g;
    run->consumed++;
    if (p->since >= run->flush_every)
        rc = flush_part(run, i, err);
out:
    cqe_event_clear(&ev);
    return rc;
}

static int read_file(struct run *run, const char *path, int64_t *offset, int64_t min_pos, struct cqe_err *err)
{
    struct cqe_line_reader *lr = NULL;
    struct cqe_line line;
    int64_t last_no = 0;
    int rc = cqe_line_reader_open(path, (size_t)run->cfg->max_message_bytes, &lr, err);
    if (rc)
        return rc;
    while ((rc = cqe_line_reader_next(lr, &line, err)) == 1) {
        int64_t g = *offset + line.line_no;
        last_no = line.line_no;
        if (g <= min_pos) { /* in Redis for every partition: no need to decode */
            run->skipped++;
            continue;
        }
        if ((rc = consume(run, &line, path, g, err)))
            break;
        cqe_progress_line_note(run->progress, run->consumed + run->skipped,
                               run->progress ? run->progress->base + cqe_line_reader_offset(lr) : 0);
    }
    if (run->progress)
        run->progress->base += cqe_line_reader_offset(lr);
    cqe_line_reader_close(lr);
    *offset += last_no;
    return rc < 0 ? rc : 0;
}

/* Test and tuning knobs from the environment: the fault point, and CQE_FLUSH_EVERY. */
static int parse_env(struct run *run, struct cqe_err *err)
{
    const char *every = getenv("CQE_FLUSH_EVERY");
    run->flush_every = CQE_REPLAY_FLUSH_EVERY;
    if (every && *every) {
        char *end;
        long long v = strtoll(every, &end, 10);
        if (*end || v < 1)
            return cqe_err_set(err, CQE_EINVAL, "CQE_FLUSH_EVERY=%s: a number of lines", every);
        run->flush_every = v;
    }
    return cqe_fault_from_env(run->r, NULL, err);
}

static void summary(const struct run *run)
{
    struct cqe_pipeline_counts t = {0};
    uint64_t forgotten = 0, held = 0, bytes = 0, gate_bytes = 0;
    int64_t pending_held = 0;
    for (int i = 0; i < run->n; i++) {
        const struct cqe_pipeline_counts *c = &run->parts[i].pl.counts;
        if (run->parts[i].ready) {
            const struct cqe_dedup *d = run->parts[i].pl.dedup;
            forgotten += cqe_dedup_forgotten(d) - run->parts[i].forgotten_at_load;
            held += cqe_dedup_held(d);
            bytes += cqe_dedup_bytes(d);
            pending_held += cqe_igate_held(run->parts[i].pl.igate);
            gate_bytes += cqe_igate_bytes(run->parts[i].pl.igate);
        }
        t.read += c->read;
        t.applied += c->applied;
        t.duplicates += c->duplicates;
        t.dead_letters += c->dead_letters;
        t.by_reason[CQE_R_INCIDENT_PENDING_LIMIT] += c->by_reason[CQE_R_INCIDENT_PENDING_LIMIT];
    }
    int64_t cmds = cqe_redis_commands(run->r);
    fprintf(stderr,
            "{\"kind\":\"replay_summary\",\"state\":\"redis\",\"partitions\":%d,\"lines\":%lld,"
            "\"applied\":%lld,\"duplicates\":%lld,\"dead_letters\":%lld,\"skipped\":%lld,"
            "\"flushes\":%lld,\"redis_commands\":%lld,\"redis_round_trips\":%lld,"
            "\"commands_per_1000_events\":%.1f,\"dedup_held\":%llu,\"dedup_bytes\":%llu,"
            "\"dedup_forgotten\":%llu,\"incident_pending_limit\":%lld,\"incident_pending_held\":%lld,"
            "\"incident_gate_bytes\":%llu}\n",
            run->n, (long long)t.read, (long long)t.applied, (long long)t.duplicates,
            (long long)t.dead_letters, (long long)run->skipped, (long long)run->flushes, (long long)cmds,
            (long long)cqe_redis_round_trips(run->r),
            run->consumed ? 1000.0 * (double)cmds / (double)run->consumed : 0.0, (unsigned long long)held,
            (unsigned long long)bytes, (unsigned long long)forgotten,
            (long long)t.by_reason[CQE_R_INCIDENT_PENDING_LIMIT], (long long)pending_held,
            (unsigned long long)gate_bytes);
}

int cqe_replay_redis(const struct cqe_config *cfg, const char *state_url, int partitions, char **files,
                     int n_files, const char *dlq_path, struct cqe_progress_line *progress,
                     struct cqe_err *err)
{
    struct run run = {cfg, NULL, NULL, NULL,          partitions, CQE_REPLAY_FLUSH_EVERY,
                      0,   0,    0,    {0, 0, false}, progress};
    struct cqe_redis_conf rc_conf = cfg->redis;
    char **positions = NULL;
    int rc = 0;
    if (partitions < 1 || partitions > MAX_PARTITIONS)
        return cqe_err_set(err, CQE_EINVAL, "--partitions takes a number from 1 to %d", MAX_PARTITIONS);
    if (state_url)
        rc_conf.url = (char *)state_url;
    if (!rc_conf.url)
        return cqe_err_set(err, CQE_ECONFIG, "no Redis: give --state redis://HOST:PORT/DB or redis.url");
    if (!(run.parts = calloc((size_t)partitions, sizeof *run.parts)))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    if ((rc = cqe_redis_connect(&rc_conf, &run.r, err)) || (rc = parse_env(&run, err)) ||
        (rc = cqe_redis_claim_partitions(run.r, CQE_REDIS_NS, partitions, err)) ||
        (rc = cqe_dead_letters_open(dlq_path, cfg->utc_offset_min, &run.dlq, err)))
        goto out;

    /* every position in one round trip; a partition's memory is read when it is opened */
    int64_t min_pos = INT64_MAX;
    if (!(positions = calloc((size_t)partitions, sizeof *positions))) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = cqe_redis_load_positions(run.r, CQE_REDIS_NS, partitions, positions, err)) ||
        (rc = cqe_retention_watch_refresh(&run.watch, run.r, 0, err)))
        goto out;
    for (int i = 0; i < partitions; i++) {
        struct cqe_partition *p = &run.parts[i];
        p->index = i;
        if ((rc = cqe_partition_parse_pos(positions[i], i, &p->stored, err)))
            goto out;
        if (p->stored < min_pos)
            min_pos = p->stored;
    }

    int64_t offset = 0;
    for (int f = 0; f < n_files; f++)
        if ((rc = read_file(&run, files[f], &offset, min_pos, err)))
            goto out;
    cqe_progress_line_clear(progress);
    for (int i = 0; i < partitions; i++)
        if ((rc = flush_part(&run, i, err)))
            goto out;
    summary(&run);
out:
    cqe_progress_line_clear(progress);
    for (int i = 0; run.parts && i < partitions; i++)
        cqe_partition_close(&run.parts[i]);
    free(run.parts);
    for (int i = 0; positions && i < partitions; i++)
        free(positions[i]);
    free(positions);
    if (run.dlq) {
        struct cqe_err e2;
        int crc = cqe_dead_letters_close(run.dlq, &e2);
        if (crc && !rc) {
            rc = crc;
            if (err)
                *err = e2;
        }
    }
    cqe_redis_free(run.r);
    return rc;
}
