/* The Kafka source: a librdkafka consumer-group member that hands out batches of
 * messages, asks its owner where each assigned partition starts (the offset stored with
 * the partition's state) and tells it before a partition goes away, so that the owner
 * can flush first. Kafka's committed offsets serve lag monitoring only. */
#ifndef CQE_SOURCE_KAFKA_H
#define CQE_SOURCE_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "kafka_conf.h"

/* Number of partitions of topic from the cluster metadata, asked through any client
 * handle rk (borrowed); retries until timeout_ms. Returns the count (> 0), or
 * CQE_EUNAVAIL / CQE_ENOTFOUND with err set. */
int cqe_kafka_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms, struct cqe_err *err);

/* Owner callbacks, called on the thread that polls the source (inside
 * cqe_kafka_source_poll and cqe_kafka_source_close). */
struct cqe_kafka_partition_ops {
    /* A partition is being assigned: set *offset to the next offset to consume (the one
     * stored with the partition's state) or RD_KAFKA_OFFSET_BEGINNING when there is
     * none. Return 0, or a negative rc (err set): the source then retries with backoff
     * until it succeeds or *stop is raised (then the partition is left unassigned). */
    int (*assign)(void *arg, const char *topic, int32_t partition, int64_t *offset, struct cqe_err *err);
    /* A partition is being taken away. lost: the group may already have given it to
     * another member, so its pending state must be dropped, not written. */
    void (*revoke)(void *arg, const char *topic, int32_t partition, bool lost);
    void *arg;
};

struct cqe_kafka_source_conf {
    const void *kafka;     /* json_t * of librdkafka properties, borrowed; may be NULL */
    const char *bootstrap; /* overrides bootstrap.servers; NULL = from kafka */
    const char *group;     /* overrides group.id; NULL = from kafka, else "cloudqe" */
    const char *const *topics;
    size_t n_topics;
    struct cqe_kafka_partition_ops ops;
    volatile sig_atomic_t *stop; /* raised by the owner to stop retrying; may be NULL */
    bool quiet;                  /* no informational lines on stderr */
};

struct cqe_kafka_source;

/* Creates the consumer (defaults: enable.auto.commit=false, auto.offset.reset=earliest,
 * queued.min.messages=300000, queued.max.messages.kbytes=262144, each overridden by the
 * kafka object) and subscribes to the topics. The conf struct is borrowed for the life
 * of the source. On success *out is owned by the caller (cqe_kafka_source_close).
 * Returns 0, CQE_ECONFIG (a property refused; err names it) or CQE_EUNAVAIL. */
int cqe_kafka_source_open(const struct cqe_kafka_source_conf *c, struct cqe_kafka_source **out,
                          struct cqe_err *err);

/* Waits up to timeout_ms for up to max messages (rebalances are served here). Error
 * events are logged (once per kind and outage) and not returned. On return msgs[0..n)
 * are owned by the caller: cqe_kafka_source_release them. Returns n >= 0, or CQE_EIO
 * on a fatal consumer error (err set). */
int cqe_kafka_source_poll(struct cqe_kafka_source *s, rd_kafka_message_t **msgs, size_t max, int timeout_ms,
                          struct cqe_err *err);

void cqe_kafka_source_release(rd_kafka_message_t **msgs, size_t n);

/* A partition's next offset, for committing and seeking. */
struct cqe_kafka_pos {
    const char *topic; /* borrowed */
    int32_t partition;
    int64_t offset;
};

/* Commits next offsets to Kafka asynchronously (lag monitoring only). Returns 0 or
 * CQE_ENOMEM; commit failures are logged, never fatal. */
int cqe_kafka_source_commit(struct cqe_kafka_source *s, const struct cqe_kafka_pos *pos, size_t n,
                            struct cqe_err *err);

/* Restarts consumption of an assigned partition at pos->offset (after its state was
 * reloaded). Returns 0 or CQE_EIO. */
int cqe_kafka_source_seek(struct cqe_kafka_source *s, const struct cqe_kafka_pos *pos, struct cqe_err *err);

/* Pauses or resumes every assigned partition (backpressure). */
void cqe_kafka_source_pause(struct cqe_kafka_source *s, bool pause);

/* The log-end offset last seen for a partition (no round trip), or -1 when unknown. */
int64_t cqe_kafka_source_high(struct cqe_kafka_source *s, const char *topic, int32_t partition);

/* The group member id ("" before the first join; borrowed until the next poll). */
const char *cqe_kafka_source_member(struct cqe_kafka_source *s);

/* The consumer handle (borrowed; for metadata and watermark queries). */
rd_kafka_t *cqe_kafka_source_handle(struct cqe_kafka_source *s);

/* Leaves the group (revoke callbacks run), closes and frees s. NULL is a no-op. */
void cqe_kafka_source_close(struct cqe_kafka_source *s);

#endif
