/* The stream worker's numbers for its own HTTP endpoint (worker_http.h): the loop
 * publishes a copy of its counters a few times a second under a lock, the HTTP threads
 * read that copy and render it. Nothing here runs per event. */
#ifndef CQE_WORKER_METRICS_H
#define CQE_WORKER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "state_redis.h"

/* Upper bounds (seconds) of the flush latency histogram's buckets. */
#define CQE_WM_FLUSH_BUCKETS 12
extern const double cqe_wm_flush_le[CQE_WM_FLUSH_BUCKETS];

/* A histogram of flush latencies: counts[i] the flushes of bucket i only, counts[last]
 * those above the last bound; sum in seconds. Zero-initialise. */
struct cqe_wm_hist {
    uint64_t counts[CQE_WM_FLUSH_BUCKETS + 1];
    double sum;
};

/* Counts one flush of `seconds` into h. */
void cqe_wm_hist_add(struct cqe_wm_hist *h, double seconds);

/* A held partition: its topic (index into the names of cqe_worker_metrics_topics) and
 * its lag, high watermark minus the next offset to consume (-1 unknown). */
struct cqe_wm_part {
    int topic;
    int32_t partition;
    int64_t lag;
};

enum cqe_wm_phase { CQE_WM_STARTING, CQE_WM_RUNNING, CQE_WM_STOPPING };

/* What the loop publishes. Counts of applied, duplicates and dead letters are those
 * flushed to Redis (monotonic); consumed counts every message fed. */
struct cqe_wm_view {
    enum cqe_wm_phase phase;
    int64_t consumed, applied, duplicates, stale, lost, resets, unpublished;
    int64_t dead_letters[CQE_R__COUNT]; /* by reason */
    int64_t flush_failures;
    struct cqe_wm_hist flush;
    struct cqe_redis_health redis;               /* the worker's handle */
    int64_t out_redis_errors, out_redis_retries; /* the output role's handle */
    bool outputs;                                /* the worker runs the output role's thread */
    bool out_holder, out_blocked, redis_paused;
    int64_t out_passes, out_ticks, out_snapshots, out_alerts;
    int held;                  /* partitions assigned */
    struct cqe_wm_part *parts; /* held partitions; owned by whoever holds the view */
    size_t n_parts;
};

struct cqe_worker_metrics;

/* A fresh state (phase starting, nothing counted). Owned: cqe_worker_metrics_free.
 * Returns NULL when out of memory. */
struct cqe_worker_metrics *cqe_worker_metrics_new(void);
void cqe_worker_metrics_free(struct cqe_worker_metrics *m);

/* Copies the topic names the partitions' indices refer to. Call before the first
 * publish, from the loop. Returns 0 or CQE_ENOMEM. */
int cqe_worker_metrics_topics(struct cqe_worker_metrics *m, const char *const *topics, size_t n);

/* Replaces the published view with a copy of v (v->parts copied; v stays the
 * caller's). Loop thread; m NULL is a no-op. On an allocation failure the partitions
 * are left out of this copy. */
void cqe_worker_metrics_publish(struct cqe_worker_metrics *m, const struct cqe_wm_view *v);

/* Sets only the phase of the published view (thread-safe; m NULL is a no-op). */
void cqe_worker_metrics_phase(struct cqe_worker_metrics *m, enum cqe_wm_phase phase);

/* The loop is alive: called each round and inside its waits (an atomic store; m NULL
 * is a no-op). */
void cqe_worker_metrics_beat(struct cqe_worker_metrics *m);

/* Milliseconds since the last beat (thread-safe). */
int64_t cqe_worker_metrics_beat_age_ms(struct cqe_worker_metrics *m);

/* A copy of the published view into *out (out->parts malloc'ed, NULL when none or out
 * of memory: cqe_wm_view_fini). Thread-safe. */
void cqe_worker_metrics_read(struct cqe_worker_metrics *m, struct cqe_wm_view *out);
void cqe_wm_view_fini(struct cqe_wm_view *v);

/* The Prometheus text of the published view (every family cloudqe_*), malloc'ed with its
 * length in *len, or NULL when out of memory. Thread-safe. */
char *cqe_worker_metrics_text(struct cqe_worker_metrics *m, size_t *len);

#endif
