/* The workers' voice (outputs.md): the output role, held by one worker of a group at a
 * time through a Redis lease. Its holder reads the merged state when it changed, decides
 * alert transitions on every pass and snapshot ticks when one falls (clock wall or
 * event), writes each decision with its records into Redis in one script call (the
 * outbox: latest keys and capped streams), then delivers the streams to the Kafka topics
 * and the lake files from cursors kept in Redis: decisions once, delivery at least once. */
#ifndef CQE_EMITTER_H
#define CQE_EMITTER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "model.h"

struct cqe_emitter_conf {
    const struct cqe_config *cfg;  /* borrowed */
    const struct cqe_model *model; /* borrowed */
    const char *state_url;         /* NULL = cfg->redis.url */
    const char *bootstrap;         /* NULL = kafka."bootstrap.servers" */
    int n_parts;                   /* partitions the state is split into */
    bool kafka;                    /* publish to topics.snapshots / topics.alerts */
    int64_t pass_ms;               /* at most one pass per this many ms */
};

struct cqe_emitter;

/* Connects its own Redis handle (so the worker's flushes never wait for it) and, with
 * kafka, a producer. On success *out is owned by the caller (cqe_emitter_close).
 * Returns 0 or a negative rc (CQE_ECONFIG, CQE_EUNAVAIL, ...). */
int cqe_emitter_open(const struct cqe_emitter_conf *c, struct cqe_emitter **out, struct cqe_err *err);

/* One round, called from the worker's loop: renews or takes the lease, runs a pass when
 * one is due (final: a last tick now, as on SIGTERM) and delivers what the outbox holds.
 * Problems with an output (Kafka, a full disk) are reported on stderr once per outage
 * and retried on later rounds; nothing decided is lost. Returns 0, or a negative rc
 * only when the worker must stop (refused Redis permissions, out of memory). */
int cqe_emitter_step(struct cqe_emitter *e, bool final, struct cqe_err *err);

/* The error that stopped the role's thread by itself (refused Redis permissions, out of
 * memory): 0 while it runs. The worker stops on it. */
int cqe_emitter_failed(struct cqe_emitter *e, struct cqe_err *err);

/* Whether an output is failing (the worker pauses consumption meanwhile). */
bool cqe_emitter_blocked(const struct cqe_emitter *e);

/* Counts for the progress line and run_summary. */
struct cqe_emitter_stats {
    bool holder;
    int64_t passes, ticks, snapshots, revised, alerts, delivered_kafka, delivered_files;
    int64_t last_pass_ms;                /* how long the last pass took */
    int64_t pass_ms_total;               /* ... and every pass together */
    int64_t redis_errors, redis_retries; /* of the role's own Redis handle (cqe_redis_health) */
};
void cqe_emitter_stats(const struct cqe_emitter *e, struct cqe_emitter_stats *out);

/* Runs cqe_emitter_step in a thread of its own (about every 50 ms) until
 * cqe_emitter_stop, so that a pass never holds up consumption. Returns 0 or CQE_ENOMEM. */
int cqe_emitter_start(struct cqe_emitter *e, struct cqe_err *err);

/* Stops the thread (final: after a last tick, as on SIGTERM). Returns 0, or the
 * final error that stopped the thread early (refused permissions, out of memory). */
int cqe_emitter_stop(struct cqe_emitter *e, bool final, struct cqe_err *err);

/* Delivers what is left (waiting at most wait_ms for Kafka), closes the open files,
 * releases the lease and frees e. NULL is a no-op. */
void cqe_emitter_close(struct cqe_emitter *e, int64_t wait_ms);

#endif
