/* The output topics of a worker (snapshots, alerts): one idempotent, zstd-compressing
 * Kafka producer that never gives a record up while Kafka is away. The caller waits for
 * the acknowledgements and, after a record failed for good, sends again from its own
 * cursor (outputs carry deterministic ids: a record sent twice is deduplicated by id). */
#ifndef CQE_OUTPUT_KAFKA_H
#define CQE_OUTPUT_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct cqe_output_kafka_conf {
    const void *kafka;     /* json_t * of librdkafka properties, borrowed; may be NULL */
    const char *bootstrap; /* overrides bootstrap.servers; NULL = from kafka */
};

struct cqe_output_kafka;

/* Creates the producer: enable.idempotence, compression.type zstd, linger.ms 5 unless the
 * `kafka` object says otherwise (its consumer-only properties are left out, its secrets
 * read as ingest/kafka_conf.h says), and always message.timeout.ms 0. Connects in the
 * background: a broker away is no error here. On success *out is owned by the caller
 * (cqe_output_kafka_close). Returns 0, CQE_ECONFIG (err names the property) or
 * CQE_ENOMEM. Not thread-safe: one producer per thread (its delivery reports are served
 * inside send and wait). */
int cqe_output_kafka_open(const struct cqe_output_kafka_conf *c, struct cqe_output_kafka **out,
                          struct cqe_err *err);

/* Queues one record for topic: key (key_len bytes; NULL with 0 for none) and the len
 * bytes of value are copied; topic (borrowed) gets a handle kept for the producer's life.
 * Returns 0; CQE_EUNAVAIL when librdkafka's queue is full (Kafka has not taken what was
 * sent: wait, then send this record again); CQE_EINVAL when librdkafka refuses this
 * record itself (larger than message.max.bytes, a topic name it refuses); CQE_EIO when
 * the producer cannot send (a fatal error: see cqe_output_kafka_wait); CQE_ENOMEM. On an
 * error nothing was queued. */
int cqe_output_kafka_send(struct cqe_output_kafka *k, const char *topic, const char *key, size_t key_len,
                          const char *value, size_t len, struct cqe_err *err);

/* Waits until every record sent so far is acknowledged, serving delivery reports, at
 * most wait_ms (0 or less: only the reports already in). Returns 0 when all are;
 * CQE_EUNAVAIL when wait_ms passed first (the records stay queued and librdkafka keeps
 * retrying them; wait again later); CQE_EIO when a record failed for good (err names its
 * topic and the reason; reported once, after the records still in flight settled or
 * wait_ms passed): the caller sends again from its own cursor. CQE_EIO also after a
 * fatal producer error (err says so): close this producer, open a new one and send
 * again from the cursor. */
int cqe_output_kafka_wait(struct cqe_output_kafka *k, int64_t wait_ms, struct cqe_err *err);

/* Records acknowledged since open: a count, not a position (records of different
 * partitions are acknowledged in any order). 0 for NULL. */
int64_t cqe_output_kafka_acked(const struct cqe_output_kafka *k);

/* Waits up to wait_ms for what is queued (as cqe_output_kafka_wait), drops the rest
 * (saying on stderr how many records were not acknowledged: the caller's cursor still
 * has them) and frees k. NULL is a no-op. */
void cqe_output_kafka_close(struct cqe_output_kafka *k, int64_t wait_ms);

#endif
