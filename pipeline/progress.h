/* What the stream worker reports on stderr: a progress line every few seconds and the
 * JSON run_summary line at the end. */
#ifndef CQE_PROGRESS_H
#define CQE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct cqe_run_totals {
    int64_t msgs;                                    /* messages consumed */
    int64_t read, applied, duplicates, dead_letters; /* pipeline counts */
    int64_t pending_refused;                         /* of them, incident_pending_limit */
    int64_t unpublished;                             /* dead letters Kafka never took */
    int64_t lag, stale, lost, flushes, resets, redis_commands;
    int held; /* partitions held */
    bool paused;
    /* the output role (emitter.h), when this worker held it */
    bool out_holder, out_blocked;
    int64_t out_passes, out_ticks, out_snapshots, out_revised, out_alerts, out_kafka, out_files;
    int64_t out_last_pass_ms, out_pass_ms_total;
};

struct cqe_progress {
    int64_t every_ms, last_ms, last_msgs;
};

/* Starts the clock of the progress lines, one every every_s seconds. */
void cqe_progress_start(struct cqe_progress *p, int64_t every_s);

/* True when the next progress line is due. */
bool cqe_progress_due(const struct cqe_progress *p);

/* Prints one progress line on f (rate since the previous line) and restarts the clock. */
void cqe_progress_line(struct cqe_progress *p, const struct cqe_run_totals *t, FILE *f);

/* Prints the one-line JSON run_summary on f. */
void cqe_progress_summary(const struct cqe_run_totals *t, FILE *f);

#endif
