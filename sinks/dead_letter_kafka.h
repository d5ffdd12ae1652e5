/* The dead-letter topic: an idempotent Kafka producer of dead-letter records, each cut
 * to a size (dead_letter_raw_max) so that it fits the broker's limit. A record Kafka
 * still refuses is retried, then appended to a fallback file and counted: a dead letter
 * never stops its worker. */
#ifndef CQE_DEAD_LETTER_KAFKA_H
#define CQE_DEAD_LETTER_KAFKA_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "dead_letter.h"
#include "err.h"

struct cqe_dead_letter_kafka_conf {
    const void *kafka;         /* json_t * of librdkafka properties, borrowed; may be NULL */
    const char *bootstrap;     /* overrides bootstrap.servers; NULL = from kafka */
    const char *topic;         /* borrowed */
    size_t raw_max;            /* most bytes of raw / raw_b64 as written */
    int utc_offset_min;        /* of received_at */
    const char *fallback_path; /* where unpublished records are appended; NULL: the caller
                                  keeps them elsewhere (its dead-letter file), count only */
};

struct cqe_dead_letter_kafka;

/* Creates the producer (zstd, idempotent, never timing out a record). On success *out
 * is owned by the caller (cqe_dead_letter_kafka_close). Returns 0 or CQE_ECONFIG. */
int cqe_dead_letter_kafka_open(const struct cqe_dead_letter_kafka_conf *c, struct cqe_dead_letter_kafka **out,
                               struct cqe_err *err);

/* Queues the record of one refused message (arguments as cqe_dead_letter_record,
 * borrowed), keyed "PARTITION/OFFSET". Returns 0 or CQE_ENOMEM / CQE_EINVAL. */
int cqe_dead_letter_kafka_publish(struct cqe_dead_letter_kafka *k, const struct cqe_origin *o, int reason,
                                  const char *detail, const void *raw, size_t n, int64_t received_at_ms,
                                  struct cqe_err *err);

/* Waits until every record queued so far is acknowledged, or given up after its retries
 * (appended to the fallback file and counted). Once *stop is raised (may be NULL) it waits
 * at most stop_wait_ms more, then gives up what is left the same way. Returns 0, or
 * CQE_EIO when the fallback file cannot be written (err names it). */
int cqe_dead_letter_kafka_settle(struct cqe_dead_letter_kafka *k, volatile sig_atomic_t *stop,
                                 int64_t stop_wait_ms, struct cqe_err *err);

/* Records given up on Kafka so far. */
int64_t cqe_dead_letter_kafka_unpublished(const struct cqe_dead_letter_kafka *k);

/* Waits up to wait_ms for what is queued, gives up the rest as settle does, frees k.
 * NULL is a no-op. Returns 0 or CQE_EIO (fallback file). */
int cqe_dead_letter_kafka_close(struct cqe_dead_letter_kafka *k, int64_t wait_ms, struct cqe_err *err);

#endif
