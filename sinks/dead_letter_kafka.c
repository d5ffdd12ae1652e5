/* The dead-letter topic (see dead_letter_kafka.h): records are produced without a copy,
 * each with its letter as opaque; a refused one comes back through the delivery report
 * onto a retry list, and after its last try goes to the fallback file. */
#include "dead_letter_kafka.h"

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json_out.h"
#include "source_kafka.h"

#define MAX_TRIES 3
#define LOGGED_MAX 5

struct letter {
    struct letter *next;
    char *line; /* the serialised record, owned (malloc) */
    size_t n;
    char key[48];
    size_t kn;
    int tries;
    rd_kafka_resp_err_t why; /* the last refusal */
};

struct cqe_dead_letter_kafka {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    const char *topic; /* borrowed */
    size_t raw_max;
    int utc_offset_min;
    char *fallback_path; /* owned; NULL = count only */
    FILE *fallback;      /* opened at the first record given up */
    struct letter *failed;
    int64_t unpublished;
};

static void letter_free(struct letter *l)
{
    if (l) {
        free(l->line);
        free(l);
    }
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    /* the consumer reports broker connection failures already */
    if (level <= 4 && strcmp(fac, "FAIL") && strcmp(fac, "ERROR"))
        fprintf(stderr, "run: kafka (dead letters): %s: %s\n", fac, buf);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct cqe_dead_letter_kafka *k = opaque;
    struct letter *l = m->_private;
    if (!m->err) {
        letter_free(l);
        return;
    }
    l->why = m->err;
    if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
        l->tries = MAX_TRIES; /* given up by settle: no retry */
    l->next = k->failed;
    k->failed = l;
}

/* Produces l once more; a local refusal (record too large, …) puts it on the retry list. */
static void send_letter(struct cqe_dead_letter_kafka *k, struct letter *l)
{
    l->tries++;
    while (rd_kafka_produce(k->rkt, RD_KAFKA_PARTITION_UA, 0, l->line, l->n, l->key, l->kn, l) == -1) {
        rd_kafka_resp_err_t e = rd_kafka_last_error();
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            l->why = e;
            l->next = k->failed;
            k->failed = l;
            return;
        }
        rd_kafka_poll(k->rk, 100);
    }
    rd_kafka_poll(k->rk, 0);
}

/* Appends l to the fallback file (when there is one), counts it and frees it. Returns 0
 * or CQE_EIO. */
static int give_up(struct cqe_dead_letter_kafka *k, struct letter *l, struct cqe_err *err)
{
    int rc = 0;
    if (k->unpublished++ < LOGGED_MAX)
        fprintf(stderr, "run: dead letter %.*s could not be published to %s after %d tries (%s); %s%s\n",
                (int)l->kn, l->key, k->topic, l->tries, rd_kafka_err2str(l->why),
                k->fallback_path ? "appended to " : "it is in the dead-letter file",
                k->fallback_path ? k->fallback_path : "");
    if (k->fallback_path) {
        if (!k->fallback && !(k->fallback = fopen(k->fallback_path, "a")))
            rc = cqe_err_set(err, CQE_EIO, "cannot open %s for unpublished dead letters", k->fallback_path);
        else if (fwrite(l->line, 1, l->n, k->fallback) != l->n || fputc('\n', k->fallback) == EOF)
            rc = cqe_err_set(err, CQE_EIO, "cannot write an unpublished dead letter to %s", k->fallback_path);
    }
    letter_free(l);
    return rc;
}

int cqe_dead_letter_kafka_open(const struct cqe_dead_letter_kafka_conf *c, struct cqe_dead_letter_kafka **out,
                               struct cqe_err *err)
{
    char errstr[512];
    int rc = 0;
    struct cqe_dead_letter_kafka *k = calloc(1, sizeof *k);
    rd_kafka_conf_t *conf = NULL;
    *out = NULL;
    if (!k || (c->fallback_path && !(k->fallback_path = strdup(c->fallback_path)))) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    k->topic = c->topic;
    k->raw_max = c->raw_max;
    k->utc_offset_min = c->utc_offset_min;
    /* a record is not given up while Kafka is away: the flush waits for it */
    if ((rc = cqe_kafka_producer_conf_new(c->kafka, c->bootstrap, "cloudqe-run-dead-letters", &conf, err)))
        goto out;
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_log_cb(conf, on_log);
    if (!(k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr))) {
        rc = cqe_err_set(err, CQE_ECONFIG, "cannot create the dead-letter producer: %s", errstr);
        goto out;
    }
    conf = NULL; /* rd_kafka_new owns it now */
    if (!(k->rkt = rd_kafka_topic_new(k->rk, c->topic, NULL))) {
        rc = cqe_err_set(err, CQE_ECONFIG, "cannot open topic %s", c->topic);
        goto out;
    }
    *out = k;
    k = NULL;
out:
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (k) {
        if (k->rk)
            rd_kafka_destroy(k->rk);
        free(k->fallback_path);
        free(k);
    }
    return rc;
}

int cqe_dead_letter_kafka_publish(struct cqe_dead_letter_kafka *k, const struct cqe_origin *o, int reason,
                                  const char *detail, const void *raw, size_t n, int64_t received_at_ms,
                                  struct cqe_err *err)
{
    json_t *rec = NULL;
    struct letter *l = NULL;
    int rc = cqe_dead_letter_record(o, reason, detail, raw, n, k->raw_max, received_at_ms, k->utc_offset_min,
                                    &rec, err);
    if (rc)
        goto out;
    if (!(l = calloc(1, sizeof *l)) || !(l->line = cqe_json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    l->n = strlen(l->line);
    int kn = snprintf(l->key, sizeof l->key, "%d/%lld", (int)o->partition, (long long)o->offset);
    l->kn = kn > 0 && (size_t)kn < sizeof l->key ? (size_t)kn : 0;
    send_letter(k, l);
    l = NULL;
out:
    letter_free(l);
    json_decref(rec);
    return rc;
}

int cqe_dead_letter_kafka_settle(struct cqe_dead_letter_kafka *k, volatile sig_atomic_t *stop,
                                 int64_t stop_wait_ms, struct cqe_err *err)
{
    int64_t since = cqe_mono_ms(), stopped_at = -1, purged_at = -1;
    bool logged = false;
    int rc = 0;
    for (;;) {
        rd_kafka_poll(k->rk, 0); /* delivery reports */
        while (k->failed && !rc) {
            struct letter *l = k->failed;
            k->failed = l->next;
            if (l->tries < MAX_TRIES)
                send_letter(k, l);
            else
                rc = give_up(k, l, err);
        }
        if (rc || (!k->failed && rd_kafka_outq_len(k->rk) == 0))
            break;
        int64_t now = cqe_mono_ms();
        if (stop && *stop && stopped_at < 0)
            stopped_at = now;
        if (purged_at < 0 && stopped_at >= 0 && now - stopped_at >= stop_wait_ms) {
            /* stopping and Kafka does not take them: the rest come back as failed */
            rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            purged_at = now;
            continue;
        }
        if (purged_at >= 0 && now - purged_at > 2000)
            break; /* what librdkafka still holds is lost with it */
        if (!logged && now - since > 10000) {
            fprintf(stderr, "run: waiting for Kafka to take %d dead letter(s) to %s\n",
                    rd_kafka_outq_len(k->rk), k->topic);
            logged = true;
        }
        rd_kafka_flush(k->rk, 200);
    }
    while (k->failed) { /* after an error: count the rest, still free them */
        struct letter *l = k->failed;
        k->failed = l->next;
        k->unpublished++;
        letter_free(l);
    }
    if (!rc && k->fallback && fflush(k->fallback))
        rc = cqe_err_set(err, CQE_EIO, "cannot write unpublished dead letters to %s", k->fallback_path);
    return rc;
}

int64_t cqe_dead_letter_kafka_unpublished(const struct cqe_dead_letter_kafka *k)
{
    return k ? k->unpublished : 0;
}

int cqe_dead_letter_kafka_close(struct cqe_dead_letter_kafka *k, int64_t wait_ms, struct cqe_err *err)
{
    static volatile sig_atomic_t stopping = 1;
    if (!k)
        return 0;
    int rc = cqe_dead_letter_kafka_settle(k, &stopping, wait_ms, err);
    rd_kafka_topic_destroy(k->rkt);
    rd_kafka_destroy(k->rk);
    if (k->fallback && fclose(k->fallback) && !rc)
        rc = cqe_err_set(err, CQE_EIO, "cannot write unpublished dead letters to %s", k->fallback_path);
    free(k->fallback_path);
    free(k);
    return rc;
}
