/* Rendering a configuration's `kafka` object into librdkafka properties (see
 * kafka_conf.h): values as text, secrets read through core/secret.c, the property lists
 * of each client kind, the configuration of the workers' record producers. */
#include "kafka_conf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_secret.h"
#include "secret.h"

static bool in_list(const char *const *list, const char *name)
{
    for (size_t i = 0; list && list[i]; i++)
        if (!strcmp(list[i], name))
            return true;
    return false;
}

/* The JSON path of property `name` in messages, as the configuration loader writes it:
 * $.kafka.name for a plain identifier, else $.kafka["name"] (quotes and backslashes
 * escaped, control characters shown as '?'). */
static const char *prop_path(const char *name, char *buf, size_t cap)
{
    static const char lead[] = "$.kafka[\"";
    bool plain = *name && !(*name >= '0' && *name <= '9');
    for (const char *c = name; plain && *c; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_';
    if (plain) {
        snprintf(buf, cap, "$.kafka.%s", name);
        return buf;
    }
    size_t o = sizeof lead - 1;
    memcpy(buf, lead, o); /* cap is far larger */
    for (const char *c = name; *c && o + 6 < cap; c++) {
        if (*c == '"' || *c == '\\')
            buf[o++] = '\\';
        buf[o++] = (unsigned char)*c < 0x20 ? '?' : *c;
    }
    memcpy(buf + o, "\"]", 3);
    return buf;
}

/* Renders the plain value v of property `where` as text into buf. */
static int render_plain(const char *where, const json_t *v, char *buf, size_t cap, struct cqe_err *err)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (n >= cap || strlen(s) != n)
            return cqe_err_set(err, CQE_ECONFIG, "%s: the value is too long or holds a NUL", where);
        memcpy(buf, s, n + 1);
    } else if (json_is_integer(v)) {
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        snprintf(buf, cap, "%.17g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        snprintf(buf, cap, "%s", json_is_true(v) ? "true" : "false");
    } else {
        return cqe_err_set(err, CQE_ECONFIG, "%s: use a string, number or boolean", where);
    }
    return 0;
}

/* Whether librdkafka knows property `name`, asked of a scratch configuration so that no
 * secret has to be read: only an unknown name answers RD_KAFKA_CONF_UNKNOWN whatever the
 * value. On an unknown name errstr holds librdkafka's reason. */
static bool known_property(const char *name, char *errstr, size_t cap)
{
    rd_kafka_conf_t *scratch = rd_kafka_conf_new();
    bool known = rd_kafka_conf_set(scratch, name, "", errstr, cap) != RD_KAFKA_CONF_UNKNOWN;
    rd_kafka_conf_destroy(scratch);
    return known;
}

/* Sets property `name` to the JSON value v on conf. A secret reference is checked, and
 * read only when read_secrets (else left unset). buf (cap > CQE_SECRET_MAX) is scratch. */
static int apply_one(rd_kafka_conf_t *conf, const char *name, const json_t *v, bool read_secrets, char *buf,
                     size_t cap, struct cqe_err *err)
{
    char where[160], ref[1024], errstr[512];
    const char *path, *var;
    prop_path(name, where, sizeof where);
    int secret = cqe_kafka_secret_ref(v, ref, sizeof ref, &path, &var);
    if (secret < 0)
        return cqe_err_set(err, CQE_ECONFIG, "%s: a secret reference must be " CQE_KAFKA_REF_FORMS, where);
    if (secret && !cqe_kafka_prop_redacted(name)) {
        if (!known_property(name, errstr, sizeof errstr))
            return cqe_err_set(err, CQE_ECONFIG, "%s: not a librdkafka property (librdkafka: %s)", where,
                               errstr);
        return cqe_err_set(err, CQE_ECONFIG,
                           "%s: a secret reference may only fill a property whose value librdkafka never "
                           "shows (%s); write this value in the configuration itself",
                           where, cqe_kafka_redacted_list);
    }
    if (secret && !read_secrets)
        return 0;
    size_t n;
    int rc =
        secret ? cqe_secret_read(where, path, var, buf, cap, &n, err) : render_plain(where, v, buf, cap, err);
    if (rc)
        return rc;
    switch (rd_kafka_conf_set(conf, name, buf, errstr, sizeof errstr)) {
    case RD_KAFKA_CONF_OK: return 0;
    case RD_KAFKA_CONF_UNKNOWN: /* librdkafka names the property, not the value */
        return cqe_err_set(err, CQE_ECONFIG, "%s: not a librdkafka property (librdkafka: %s)", where, errstr);
    default: /* librdkafka may quote the value: not when it is a secret */
        if (secret)
            return cqe_err_set(err, CQE_ECONFIG, "%s: librdkafka refused the secret's value", where);
        return cqe_err_set(err, CQE_ECONFIG, "%s: refused by librdkafka: %s", where, errstr);
    }
}

/* Applies every property of kafka (skipping those in skip) to conf. */
static int apply(rd_kafka_conf_t *conf, const void *kafka, const char *const *skip, bool read_secrets,
                 struct cqe_err *err)
{
    json_t *obj = (json_t *)kafka, *v; /* Jansson's iteration takes a non-const object */
    const char *name;
    char *buf = NULL;
    int rc = 0;
    if (!obj)
        return 0;
    if (!json_is_object(obj))
        return cqe_err_set(err, CQE_ECONFIG, "$.kafka: must be an object of librdkafka properties");
    if (!(buf = malloc(CQE_SECRET_MAX + 1)))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    json_object_foreach(obj, name, v)
    {
        if (!in_list(skip, name) &&
            (rc = apply_one(conf, name, v, read_secrets, buf, CQE_SECRET_MAX + 1, err)))
            break;
    }
    cqe_secret_wipe(buf, CQE_SECRET_MAX + 1);
    free(buf);
    return rc;
}

int cqe_kafka_conf_apply(rd_kafka_conf_t *conf, const void *kafka, const char *const *skip,
                         struct cqe_err *err)
{
    return apply(conf, kafka, skip, true, err);
}

int cqe_kafka_conf_check(const void *kafka, struct cqe_err *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!conf)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    int rc = apply(conf, kafka, NULL, false, err);
    rd_kafka_conf_destroy(conf);
    return rc;
}

int cqe_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, struct cqe_err *err)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return cqe_err_set(err, CQE_ECONFIG, "kafka.%s: refused by librdkafka: %s", name, errstr);
    return 0;
}

int cqe_kafka_producer_conf_new(const void *kafka, const char *bootstrap, const char *client_id,
                                rd_kafka_conf_t **out, struct cqe_err *err)
{
    int rc = 0;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    *out = NULL;
    if (!conf)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    if ((rc = cqe_kafka_conf_set(conf, "enable.idempotence", "true", err)) ||
        (rc = cqe_kafka_conf_set(conf, "compression.type", "zstd", err)) ||
        (rc = cqe_kafka_conf_set(conf, "linger.ms", "5", err)) ||
        (rc = cqe_kafka_conf_set(conf, "client.id", client_id, err)) ||
        (rc = cqe_kafka_conf_apply(conf, kafka, cqe_kafka_consumer_only, err)) ||
        (bootstrap && (rc = cqe_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err))) ||
        /* last: a `kafka` object's delivery.timeout.ms (its alias) does not undo it */
        (rc = cqe_kafka_conf_set(conf, "message.timeout.ms", "0", err)))
        goto out;
    *out = conf;
    conf = NULL;
out:
    if (conf)
        rd_kafka_conf_destroy(conf);
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
