/* The stream worker behind `cloudqe run`: a consumer-group member that runs one
 * partition pipeline (decode → dedup → apply into a delta store) per assigned partition
 * and flushes each partition's deltas, next offset and new duplicate ids to Redis in one
 * transaction (guarantees.md, exactly once); Kafka's committed offsets follow for lag
 * monitoring. */
#ifndef CQE_WORKER_H
#define CQE_WORKER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "model.h"
#include "worker_metrics.h"

#define CQE_WORKER_MAX_TOPICS 16

struct cqe_worker_conf {
    const struct cqe_config *cfg;  /* borrowed */
    const char *state_url;         /* Redis state; NULL = cfg->redis.url */
    const char *bootstrap;         /* NULL = kafka."bootstrap.servers" */
    const char *group;             /* NULL = kafka."group.id", else cloudqe */
    const char *const *topics;     /* input topics; n_topics 0 = topics.input */
    size_t n_topics;               /* at most CQE_WORKER_MAX_TOPICS */
    const char *dead_letter_path;  /* also write dead letters to this file; NULL = none */
    bool dead_letter_topic;        /* publish them to topics.dead_letters */
    int64_t flush_every, flush_ms; /* flush a partition after this many messages / ms */
    int64_t progress_s;            /* seconds between progress lines */
    bool quiet;                    /* no progress lines, no summary unless failing */
    const struct cqe_model *model; /* of the snapshots, borrowed; NULL = the worker emits nothing */
    bool output_topics;            /* publish snapshots and alerts to Kafka */

    /* borrowed: the loop publishes its counters there a few times a second; NULL = none */
    struct cqe_worker_metrics *metrics;
};

/* Consumes until *stop is raised (by a signal; the worker raises it itself when it must
 * stop), then flushes every partition, leaves the group and prints the run_summary line.
 * Test hook: env CQE_FAULT (fault.h). Returns 0 when everything consumed is in Redis,
 * else a negative rc with err set: refused credentials or permissions, a Redis split over
 * another partition count, partitions left unflushed at the stop (named), … */
int cqe_worker_run(const struct cqe_worker_conf *c, volatile sig_atomic_t *stop, struct cqe_err *err);

#endif
