/* One partition's pending state, shared by the stream worker (`run`) and the partitioned
 * replay: a pipeline into a delta store with its own duplicate memory (whose newest
 * fingerprints are the ids applied since the last flush), its counts since the last
 * flush, and its position; flushed to Redis with that position in one script call. */
#ifndef CQE_PARTITION_H
#define CQE_PARTITION_H

#include <stdbool.h>
#include <stdint.h>

#include "pipeline.h"
#include "state_redis.h"

struct cqe_partition {
    int index;                   /* the Redis partition */
    bool ready;                  /* opened: delta and pl set up */
    struct cqe_store *delta;     /* owned: updates since the last flush */
    struct cqe_store *stores[1]; /* the pipeline's view of delta */
    struct cqe_pipeline pl;
    int64_t stored;   /* the position Redis holds, -1 none */
    int64_t pos;      /* the position the next flush writes (stored until something is consumed) */
    int64_t since;    /* messages consumed since the last flush */
    int64_t first_ms; /* monotonic ms of the oldest unflushed message */
    struct cqe_pipeline_counts at_flush; /* pl.counts as of the last flush */
    uint64_t ids_at_flush;               /* cqe_dedup_total of pl.dedup as of the last flush (or the load) */
    uint64_t forgotten_at_flush;         /* cqe_dedup_forgotten likewise */
    uint64_t forgotten_at_load;          /* cqe_dedup_forgotten right after the load */
    uint64_t *fps;                       /* owned: the flush's new fingerprints */
    size_t fps_cap;
};

/* The retention marker as a writer sees it (docs/state.md "Retention"): read when a
 * partition opens and again every CQE_RETENTION_REFRESH_MS; events before `before` are
 * dead-lettered (period_archived). Zero-initialise. */
#define CQE_RETENTION_REFRESH_MS 30000
struct cqe_retention_watch {
    int64_t before;  /* 0 = nothing archived */
    int64_t read_ms; /* monotonic ms of the last read */
    bool read;
};

/* Reads the marker through r (borrowed) unless it was read less than max_age_ms ago.
 * On error the last value is kept. Returns 0 or a negative rc with err set. */
int cqe_retention_watch_refresh(struct cqe_retention_watch *w, struct cqe_redis *r, int64_t max_age_ms,
                                struct cqe_err *err);

/* Parses a position Redis holds (NULL: none, -1). Returns 0 or CQE_EIO naming the
 * partition when it is not a number. */
int cqe_partition_parse_pos(const char *s, int index, int64_t *out, struct cqe_err *err);

/* Opens p as Redis partition index: a pipeline (cfg, dlq borrowed; dlq may be NULL)
 * over a new delta store, with the duplicate memory and position Redis holds for it
 * (r borrowed; one round trip). p must be zeroed or closed. Returns 0 or a negative rc
 * with err set (CQE_EIO when the stored position is not a number); on error p is left
 * closed. */
int cqe_partition_open(struct cqe_partition *p, int index, const struct cqe_config *cfg,
                       struct cqe_dead_letters *dlq, struct cqe_redis *r, struct cqe_err *err);

/* The same for a partition whose position `stored` (-1 none) the caller loaded through
 * r (cqe_redis_load_positions): only the duplicate memory is read. */
int cqe_partition_open_at(struct cqe_partition *p, int index, int64_t stored, const struct cqe_config *cfg,
                          struct cqe_dead_letters *dlq, struct cqe_redis *r, struct cqe_err *err);

/* Releases what p owns and zeroes it but for its index. Safe on a closed p. */
void cqe_partition_close(struct cqe_partition *p);

/* Feeds one raw message (as cqe_pipeline_feed) and remembers its id when it was applied.
 * Counts it in since; the caller sets pos. Returns 0 or a negative rc with err set. */
int cqe_partition_feed(struct cqe_partition *p, const char *buf, size_t n, const struct cqe_origin *o,
                       int reason_hint, const char *detail, int64_t now_ms, struct cqe_err *err);

/* Feeds an event the caller decoded (borrowed) from the message (buf, n) at o: counts it
 * read, dedups and applies it (or dead-letters it, as cqe_pipeline_feed_event), remembers its id. On error
 * nothing is counted, so the message can be fed again. Returns 0 or a negative rc with err set. */
int cqe_partition_feed_event(struct cqe_partition *p, const struct cqe_event *ev, const char *buf, size_t n,
                             const struct cqe_origin *o, int64_t now_ms, struct cqe_err *err);

/* Writes the delta, the new ids' fingerprints and the counts since the last flush with
 * pos, in one script call, unless nothing was consumed since. On success the delta and ids are
 * cleared, stored = pos, since = 0; on error nothing changes, so the same flush can be
 * retried whole. Returns 0 or a negative rc with err set. */
int cqe_partition_flush(struct cqe_partition *p, struct cqe_redis *r, int64_t dedup_window,
                        struct cqe_err *err);

#endif
