/* Rendering a configuration's `kafka` object into librdkafka properties (see
 * kafka_conf.h): values as text, secrets read through core/secret.c, the property lists
 * of each client kind. */
#include "kafka_conf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"

/* Reads the secret of property `name` from file `path` or variable `var` into buf. */
static int read_secret(const char *name, const char *path, const char *var, char *buf, size_t cap,
                       struct cqe_err *err)
{
    char what[300];
    size_t n;
    snprintf(what, sizeof what, "kafka.%s", name);
    return cqe_secret_read(what, path, var, buf, cap, &n, err);
}

/* Renders one property value into buf, resolving secret references (*secret raised). */
static int render_value(const char *name, json_t *v, char *buf, size_t cap, bool *secret, struct cqe_err *err)
{
    *secret = json_is_object(v);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (n > 8 && s[0] == '$' && s[1] == '{' && s[n - 1] == '}') {
            char ref[1024];
            *secret = true;
            if (n - 3 >= sizeof ref)
                return cqe_err_set(err, CQE_ECONFIG, "kafka.%s: the secret reference is too long", name);
            memcpy(ref, s + 2, n - 3);
            ref[n - 3] = '\0';
            if (!strncmp(ref, "env:", 4))
                return read_secret(name, NULL, ref + 4, buf, cap, err);
            if (!strncmp(ref, "file:", 5))
                return read_secret(name, ref + 5, NULL, buf, cap, err);
            return cqe_err_set(err, CQE_ECONFIG, "kafka.%s: use ${env:NAME} or ${file:/path} for a secret",
                               name);
        }
        if (n >= cap || strlen(s) != n)
            return cqe_err_set(err, CQE_ECONFIG, "kafka.%s: the value is too long or holds a NUL", name);
        memcpy(buf, s, n + 1);
        return 0;
    }
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return 0;
    }
    if (json_is_real(v)) {
        snprintf(buf, cap, "%.17g", json_real_value(v));
        return 0;
    }
    if (json_is_boolean(v)) {
        snprintf(buf, cap, "%s", json_is_true(v) ? "true" : "false");
        return 0;
    }
    if (json_is_object(v) && json_object_size(v) == 1) {
        json_t *e = json_object_get(v, "env"), *f = json_object_get(v, "file");
        if (json_is_string(e))
            return read_secret(name, NULL, json_string_value(e), buf, cap, err);
        if (json_is_string(f))
            return read_secret(name, json_string_value(f), NULL, buf, cap, err);
    }
    return cqe_err_set(
        err, CQE_ECONFIG,
        "kafka.%s: use a string, number or boolean, or {\"env\": NAME} / {\"file\": PATH} for a secret",
        name);
}

int cqe_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, struct cqe_err *err)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return cqe_err_set(err, CQE_ECONFIG, "kafka.%s: refused by librdkafka: %s", name, errstr);
    return 0;
}

int cqe_kafka_conf_apply(rd_kafka_conf_t *conf, const void *kafka, const char *const *skip,
                         struct cqe_err *err)
{
    json_t *obj = (json_t *)kafka, *v;
    const char *name;
    char *buf = NULL;
    int rc = 0;
    if (!obj)
        return 0;
    if (!json_is_object(obj))
        return cqe_err_set(err, CQE_ECONFIG, "kafka: must be an object of librdkafka properties");
    if (!(buf = malloc(CQE_SECRET_MAX + 1)))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    json_object_foreach(obj, name, v)
    {
        bool skipped = false;
        for (size_t i = 0; skip && skip[i]; i++)
            skipped |= !strcmp(skip[i], name);
        if (skipped)
            continue;
        bool secret;
        char errstr[512];
        if ((rc = render_value(name, v, buf, CQE_SECRET_MAX + 1, &secret, err)))
            goto out;
        if (rd_kafka_conf_set(conf, name, buf, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
            /* librdkafka may quote the value: not when it is a secret */
            rc = secret
                     ? cqe_err_set(err, CQE_ECONFIG, "kafka.%s: librdkafka refused the secret's value", name)
                     : cqe_err_set(err, CQE_ECONFIG, "kafka.%s: refused by librdkafka: %s", name, errstr);
            goto out;
        }
    }
out:
    cqe_secret_wipe(buf, CQE_SECRET_MAX + 1);
    free(buf);
    return rc;
}

/* Properties only a producer takes (skipped for consumers: librdkafka would warn). */
const char *const cqe_kafka_producer_only[] = {"enable.idempotence",
                                               "linger.ms",
                                               "queue.buffering.max.ms",
                                               "queue.buffering.max.messages",
                                               "queue.buffering.max.kbytes",
                                               "batch.num.messages",
                                               "batch.size",
                                               "compression.type",
                                               "compression.codec",
                                               "compression.level",
                                               "acks",
                                               "request.required.acks",
                                               "message.timeout.ms",
                                               "delivery.timeout.ms",
                                               "retries",
                                               "message.send.max.retries",
                                               "max.in.flight",
                                               "max.in.flight.requests.per.connection",
                                               "partitioner",
                                               "transactional.id",
                                               "transaction.timeout.ms",
                                               "sticky.partitioning.linger.ms",
                                               "enable.gapless.guarantee",
                                               NULL};

/* Properties only a consumer takes (skipped for producers). */
const char *const cqe_kafka_consumer_only[] = {"group.id",
                                               "group.instance.id",
                                               "session.timeout.ms",
                                               "heartbeat.interval.ms",
                                               "max.poll.interval.ms",
                                               "enable.auto.commit",
                                               "auto.commit.interval.ms",
                                               "enable.auto.offset.store",
                                               "auto.offset.reset",
                                               "queued.min.messages",
                                               "queued.max.messages.kbytes",
                                               "fetch.wait.max.ms",
                                               "fetch.min.bytes",
                                               "fetch.max.bytes",
                                               "fetch.message.max.bytes",
                                               "partition.assignment.strategy",
                                               "isolation.level",
                                               "enable.partition.eof",
                                               "check.crcs",
                                               "fetch.error.backoff.ms",
                                               NULL};
