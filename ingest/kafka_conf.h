/* librdkafka properties from a configuration's `kafka` object: values rendered as text,
 * secrets (${env:NAME}, ${file:/path}) read through core/secret.c and never echoed, the
 * properties that belong to one client kind only, and the workers' record producers. */
#ifndef CQE_KAFKA_CONF_H
#define CQE_KAFKA_CONF_H

#include <librdkafka/rdkafka.h>

#include "err.h"

/* NULL-terminated property names that belong to one client kind only, for `skip`. */
extern const char *const cqe_kafka_producer_only[];
extern const char *const cqe_kafka_consumer_only[];

/* Applies a configuration's `kafka` object (a json_t * object of librdkafka properties,
 * borrowed; NULL = none) to conf. Values are strings, numbers or booleans. A secret is
 * written "${env:NAME}" or "${file:/path}" (or {"env": NAME} / {"file": PATH}) and read
 * from the environment or the file (one trailing newline dropped); it may only fill a
 * property whose value librdkafka never shows (sasl.password, ...; docs/kafka.md).
 * Messages name the property as $.kafka["<name>"], never a secret's value. Properties
 * in skip (NULL-terminated, may be NULL) are left out, e.g. consumer-only ones for a
 * producer. Returns 0, CQE_ECONFIG or CQE_ENOMEM. */
int cqe_kafka_conf_apply(rd_kafka_conf_t *conf, const void *kafka, const char *const *skip,
                         struct cqe_err *err);

/* Builds a librdkafka configuration from the `kafka` object (as cqe_kafka_conf_apply,
 * for every client kind) without creating a client or reading a secret, so that an
 * unknown property, a value librdkafka refuses or a secret where librdkafka may show it
 * is found before anything runs. Returns 0, CQE_ECONFIG (err names $.kafka["<name>"]
 * and librdkafka's reason) or CQE_ENOMEM. */
int cqe_kafka_conf_check(const void *kafka, struct cqe_err *err);

/* Sets one property (value borrowed). Returns 0 or CQE_ECONFIG naming the property. */
int cqe_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, struct cqe_err *err);

/* The configuration of a worker's record producer (dead letters, outputs): idempotent,
 * zstd, linger.ms 5 and client.id client_id (borrowed) unless the `kafka` object (borrowed,
 * may be NULL; applied as cqe_kafka_conf_apply without the consumer-only properties) says
 * otherwise; bootstrap (borrowed) overrides bootstrap.servers unless NULL; and always
 * message.timeout.ms 0, so that librdkafka never gives a record up while Kafka is away
 * (the caller decides how long to wait). On success *out is owned by the caller (passed
 * to rd_kafka_new, or rd_kafka_conf_destroy). Returns 0, CQE_ECONFIG or CQE_ENOMEM. */
int cqe_kafka_producer_conf_new(const void *kafka, const char *bootstrap, const char *client_id,
                                rd_kafka_conf_t **out, struct cqe_err *err);

#endif
