/* The output producer (see output_kafka.h): records are copied into librdkafka, counted
 * when sent and again when their delivery report comes back; the first failure is kept
 * for wait to report, topic handles are kept per name. */
#include "output_kafka.h"

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kafka_conf.h"

#define WAIT_SLICE_MS 100 /* longest block inside wait, so that reports are counted often */

struct out_topic {
    struct out_topic *next;
    rd_kafka_topic_t *rkt;
};

struct cqe_output_kafka {
    rd_kafka_t *rk;
    struct out_topic *topics;
    int64_t sent;       /* records queued */
    int64_t acked;      /* delivery reports without error */
    int64_t failed;     /* delivery reports with an error */
    int64_t unreported; /* failures since wait last reported them */
    char failed_topic[256];
    rd_kafka_resp_err_t failed_why; /* the first of the unreported failures */
};

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    /* the consumer reports broker connection failures already */
    if (level <= 4 && strcmp(fac, "FAIL") && strcmp(fac, "ERROR"))
        fprintf(stderr, "run: kafka (outputs): %s: %s\n", fac, buf);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct cqe_output_kafka *k = opaque;
    if (!m->err) {
        k->acked++;
        return;
    }
    k->failed++;
    if (k->unreported++ == 0) {
        snprintf(k->failed_topic, sizeof k->failed_topic, "%s", m->rkt ? rd_kafka_topic_name(m->rkt) : "?");
        k->failed_why = m->err;
    }
}

/* What to do about a record Kafka refused for good, as a clause after the reason. */
static const char *refusal_fix(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        return " (raise the topic's max.message.bytes, or message.max.bytes in $.kafka)";
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED: return " (grant this client WRITE on the topic)";
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC: return " (create the topic)";
    default: return "";
    }
}

/* CQE_EIO naming the fatal error, when the producer had one. */
static int check_fatal(struct cqe_output_kafka *k, struct cqe_err *err)
{
    char why[256];
    if (rd_kafka_fatal_error(k->rk, why, sizeof why) == RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    return cqe_err_set(err, CQE_EIO,
                       "output to Kafka: fatal producer error: %s; close this producer, open a new one and "
                       "send again from the last acknowledged record",
                       why);
}

/* The handle of topic into *out (owned by k), made at its first use. Returns 0,
 * CQE_EINVAL (librdkafka refuses the name) or CQE_ENOMEM. */
static int topic_handle(struct cqe_output_kafka *k, const char *topic, rd_kafka_topic_t **out,
                        struct cqe_err *err)
{
    for (struct out_topic *t = k->topics; t; t = t->next)
        if (!strcmp(rd_kafka_topic_name(t->rkt), topic)) {
            *out = t->rkt;
            return 0;
        }
    struct out_topic *t = calloc(1, sizeof *t);
    if (!t)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    if (!(t->rkt = rd_kafka_topic_new(k->rk, topic, NULL))) {
        free(t);
        return cqe_err_set(err, CQE_EINVAL, "output to Kafka: topic \"%s\": %s", topic,
                           rd_kafka_err2str(rd_kafka_last_error()));
    }
    t->next = k->topics;
    k->topics = t;
    *out = t->rkt;
    return 0;
}

int cqe_output_kafka_open(const struct cqe_output_kafka_conf *c, struct cqe_output_kafka **out,
                          struct cqe_err *err)
{
    char errstr[512];
    int rc = 0;
    rd_kafka_conf_t *conf = NULL;
    struct cqe_output_kafka *k = calloc(1, sizeof *k);
    *out = NULL;
    if (!k) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = cqe_kafka_producer_conf_new(c->kafka, c->bootstrap, "cloudqe-run-outputs", &conf, err)))
        goto out;
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_log_cb(conf, on_log);
    if (!(k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr))) {
        rc = cqe_err_set(err, CQE_ECONFIG, "cannot create the output producer: %s", errstr);
        goto out;
    }
    conf = NULL; /* rd_kafka_new owns it now */
    *out = k;
    k = NULL;
out:
    if (conf)
        rd_kafka_conf_destroy(conf);
    free(k); /* k->rk is set only on success */
    return rc;
}

int cqe_output_kafka_send(struct cqe_output_kafka *k, const char *topic, const char *key, size_t key_len,
                          const char *value, size_t len, struct cqe_err *err)
{
    if (!topic || !*topic)
        return cqe_err_set(err, CQE_EINVAL, "output to Kafka: empty topic name");
    rd_kafka_topic_t *rkt = NULL;
    int rc = topic_handle(k, topic, &rkt, err);
    if (rc)
        return rc;
    for (int tries = 0;; tries++) {
        /* RD_KAFKA_MSG_F_COPY: librdkafka copies value before returning, never writes it */
        if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)value, len, key,
                             key_len, NULL) == 0)
            break;
        rd_kafka_resp_err_t e = rd_kafka_last_error();
        switch (e) {
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            if (tries == 0) { /* served reports make room */
                rd_kafka_poll(k->rk, 0);
                continue;
            }
            return cqe_err_set(err, CQE_EUNAVAIL,
                               "output to Kafka: the producer's queue is full (%d messages wait for Kafka): "
                               "wait, then send again",
                               rd_kafka_outq_len(k->rk));
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
            return cqe_err_set(
                err, CQE_EINVAL,
                "output to Kafka: a record of %zu bytes to %s is larger than message.max.bytes; "
                "raise it in $.kafka (and the topic's max.message.bytes)",
                len + key_len, topic);
        case RD_KAFKA_RESP_ERR__FATAL:
            rc = check_fatal(k, err);
            return rc ? rc : cqe_err_set(err, CQE_EIO, "output to Kafka: fatal producer error");
        default:
            return cqe_err_set(err, CQE_EIO, "output to Kafka: cannot queue a record to %s: %s", topic,
                               rd_kafka_err2str(e));
        }
    }
    k->sent++;
    rd_kafka_poll(k->rk, 0); /* delivery reports of earlier records */
    return 0;
}

int cqe_output_kafka_wait(struct cqe_output_kafka *k, int64_t wait_ms, struct cqe_err *err)
{
    int64_t deadline = cqe_mono_ms() + (wait_ms > 0 ? wait_ms : 0);
    for (;;) {
        rd_kafka_poll(k->rk, 0);
        int rc = check_fatal(k, err);
        if (rc)
            return rc;
        int64_t left = deadline - cqe_mono_ms();
        bool settled = k->acked + k->failed >= k->sent;
        if (k->unreported && (settled || left <= 0)) {
            rc = cqe_err_set(err, CQE_EIO,
                             "output to Kafka: %lld record(s) failed for good, the first to %s: %s%s; send "
                             "again from the last acknowledged record",
                             (long long)k->unreported, k->failed_topic, rd_kafka_err2str(k->failed_why),
                             refusal_fix(k->failed_why));
            k->unreported = 0;
            return rc;
        }
        if (settled)
            return 0;
        if (left <= 0)
            return cqe_err_set(err, CQE_EUNAVAIL,
                               "output to Kafka: %lld record(s) not acknowledged after %lld ms; librdkafka "
                               "keeps sending them (is the cluster reachable?)",
                               (long long)(k->sent - k->acked - k->failed), (long long)wait_ms);
        /* flush sends at once (no linger) and serves the delivery reports */
        rd_kafka_flush(k->rk, (int)(left < WAIT_SLICE_MS ? left : WAIT_SLICE_MS));
    }
}

int64_t cqe_output_kafka_acked(const struct cqe_output_kafka *k)
{
    return k ? k->acked : 0;
}

void cqe_output_kafka_close(struct cqe_output_kafka *k, int64_t wait_ms)
{
    if (!k)
        return;
    struct cqe_err err = {0};
    if (cqe_output_kafka_wait(k, wait_ms, &err) != 0)
        fprintf(stderr, "run: closing the output producer: %s\n", err.msg);
    int64_t unacked = k->sent - k->acked - k->failed;
    if (unacked > 0) {
        rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(k->rk, 0); /* the purged records' reports */
        fprintf(stderr,
                "run: %lld output record(s) dropped unacknowledged at close; the caller's cursor still has "
                "them\n",
                (long long)unacked);
    }
    while (k->topics) {
        struct out_topic *t = k->topics;
        k->topics = t->next;
        rd_kafka_topic_destroy(t->rkt);
        free(t);
    }
    rd_kafka_destroy(k->rk);
    free(k);
}
