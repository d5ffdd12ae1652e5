/* The Kafka source (see source_kafka.h): subscription, batched consumption and the
 * rebalance protocol (eager or cooperative) calling the owner's assign/revoke hooks. */
#include "source_kafka.h"
#include "clock.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define ERR_KINDS 8

struct cqe_kafka_source {
    rd_kafka_t *rk;
    rd_kafka_queue_t *queue; /* the consumer queue, owned */
    struct cqe_kafka_source_conf conf;
    bool cooperative;
    char *member; /* rd_kafka_memberid, owned */
    /* rate limit of logged consumer errors: the last time each recent code was logged */
    struct {
        int code;
        int64_t at_ms;
    } logged[ERR_KINDS];
    bool fatal;
    char fatal_msg[512];
};

/* ---- callbacks ---- */

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    /* connection failures also reach error_cb, which rate-limits them */
    if (level <= LOG_WARNING && strcmp(fac, "FAIL"))
        fprintf(stderr, "%s: kafka: %s: %s\n", cqe_log_name(), fac, buf);
}

/* Logs a consumer error at most once per 10 s per code. */
static void log_error(struct cqe_kafka_source *s, int code, const char *what)
{
    int64_t now = cqe_mono_ms();
    size_t slot = 0;
    for (size_t i = 0; i < ERR_KINDS; i++) {
        if (s->logged[i].at_ms && s->logged[i].code == code) {
            if (now - s->logged[i].at_ms < 10000)
                return;
            slot = i;
            break;
        }
        if (s->logged[i].at_ms < s->logged[slot].at_ms)
            slot = i;
    }
    s->logged[slot].code = code;
    s->logged[slot].at_ms = now;
    fprintf(stderr, "%s: kafka: %s (%s)\n", cqe_log_name(), what,
            rd_kafka_err2name((rd_kafka_resp_err_t)code));
}

static void error_cb(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    struct cqe_kafka_source *s = opaque;
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[256];
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        s->fatal = true;
        snprintf(s->fatal_msg, sizeof s->fatal_msg, "fatal consumer error: %s", buf);
        return;
    }
    log_error(s, code, reason);
}

static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t *offsets,
                      void *opaque)
{
    (void)rk;
    (void)offsets;
    /* a rebalance voids in-flight commits; the owner commits again afterwards */
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET && e != RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS &&
        e != RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION && e != RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID)
        log_error(opaque, e, "committing offsets to Kafka (lag monitoring only) failed");
}

static void do_assign(struct cqe_kafka_source *s, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts)
{
    struct cqe_err err = {0};
    rd_kafka_topic_partition_list_t *take = rd_kafka_topic_partition_list_new(parts->cnt ? parts->cnt : 1);
    rd_kafka_topic_partition_list_t *commit = rd_kafka_topic_partition_list_new(parts->cnt ? parts->cnt : 1);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        int64_t off = RD_KAFKA_OFFSET_BEGINNING, backoff = 100;
        bool logged = false;
        int rc;
        while ((rc = s->conf.ops.assign(s->conf.ops.arg, p->topic, p->partition, &off, &err))) {
            if (s->conf.stop && *s->conf.stop)
                break;
            if (!logged)
                fprintf(stderr, "%s: kafka: cannot load the state of %s [%d], retrying: %s\n", cqe_log_name(),
                        p->topic, (int)p->partition, err.msg);
            logged = true;
            cqe_sleep_ms(backoff);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
        }
        if (rc) {
            fprintf(stderr, "%s: kafka: stopping: %s [%d] left unassigned\n", cqe_log_name(), p->topic,
                    (int)p->partition);
            continue;
        }
        if (logged)
            fprintf(stderr, "%s: kafka: state of %s [%d] loaded\n", cqe_log_name(), p->topic,
                    (int)p->partition);
        rd_kafka_topic_partition_list_add(take, p->topic, p->partition)->offset = off;
        if (off >= 0)
            rd_kafka_topic_partition_list_add(commit, p->topic, p->partition)->offset = off;
    }
    if (s->cooperative) {
        rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, take);
        if (e) {
            fprintf(stderr, "%s: kafka: incremental assign failed: %s\n", cqe_log_name(),
                    rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_resp_err_t e = rd_kafka_assign(rk, take);
        if (e)
            fprintf(stderr, "%s: kafka: assign failed: %s\n", cqe_log_name(), rd_kafka_err2str(e));
    }
    /* keep the group's committed offsets (lag monitoring) in step with the state */
    if (commit->cnt)
        rd_kafka_commit(rk, commit, 1);
    if (!s->conf.quiet)
        fprintf(stderr, "%s: kafka: assigned %d partition(s)\n", cqe_log_name(), take->cnt);
    rd_kafka_topic_partition_list_destroy(take);
    rd_kafka_topic_partition_list_destroy(commit);
}

static void do_revoke(struct cqe_kafka_source *s, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts)
{
    bool lost = rd_kafka_assignment_lost(rk);
    if (lost)
        fprintf(stderr,
                "%s: kafka: %d partition(s) lost to the group (session timed out?): pending state dropped\n",
                cqe_log_name(), parts->cnt);
    for (int i = 0; i < parts->cnt; i++)
        s->conf.ops.revoke(s->conf.ops.arg, parts->elems[i].topic, parts->elems[i].partition, lost);
    if (s->cooperative) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e) {
            fprintf(stderr, "%s: kafka: incremental unassign failed: %s\n", cqe_log_name(),
                    rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_assign(rk, NULL);
    }
    if (!s->conf.quiet)
        fprintf(stderr, "%s: kafka: revoked %d partition(s)\n", cqe_log_name(), parts->cnt);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    struct cqe_kafka_source *s = opaque;
    s->cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
        do_assign(s, rk, parts);
    else if (e == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
        do_revoke(s, rk, parts);
    else {
        fprintf(stderr, "%s: kafka: rebalance error: %s\n", cqe_log_name(), rd_kafka_err2str(e));
        rd_kafka_assign(rk, NULL);
    }
}

/* ---- the source ---- */

int cqe_kafka_source_open(const struct cqe_kafka_source_conf *c, struct cqe_kafka_source **out,
                          struct cqe_err *err)
{
    static const char *const defaults[][2] = {
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", "earliest"},
        {"queued.min.messages", "300000"},
        {"queued.max.messages.kbytes", "32768"},
        {"group.id", "cloudqe"},
        {"client.id", "cloudqe-run"},
    };
    char errstr[512];
    int rc = 0;
    rd_kafka_topic_partition_list_t *subs = NULL;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct cqe_kafka_source *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s || !conf) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    s->conf = *c;
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if ((rc = cqe_kafka_conf_set(conf, defaults[i][0], defaults[i][1], err)))
            goto out;
    /* the kafka object is shared with the producers: skip what only they take */
    if ((rc = cqe_kafka_conf_apply(conf, c->kafka, cqe_kafka_producer_only, err)))
        goto out;
    if (c->bootstrap && (rc = cqe_kafka_conf_set(conf, "bootstrap.servers", c->bootstrap, err)))
        goto out;
    if (c->group && (rc = cqe_kafka_conf_set(conf, "group.id", c->group, err)))
        goto out;
    char bs[8];
    size_t bsn = sizeof bs;
    if (rd_kafka_conf_get(conf, "bootstrap.servers", bs, &bsn) != RD_KAFKA_CONF_OK || bsn <= 1) {
        rc = cqe_err_set(
            err, CQE_ECONFIG,
            "no Kafka brokers: set kafka.\"bootstrap.servers\" in the configuration or --bootstrap");
        goto out;
    }
    rd_kafka_conf_set_opaque(conf, s);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    if (!(s->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr))) {
        rc = cqe_err_set(err, CQE_ECONFIG, "cannot create the Kafka consumer: %s", errstr);
        goto out;
    }
    conf = NULL; /* taken by rd_kafka_new */
    rd_kafka_poll_set_consumer(s->rk);
    s->queue = rd_kafka_queue_get_consumer(s->rk);
    subs = rd_kafka_topic_partition_list_new((int)c->n_topics);
    for (size_t i = 0; i < c->n_topics; i++)
        rd_kafka_topic_partition_list_add(subs, c->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(s->rk, subs);
    if (e) {
        rc = cqe_err_set(err, CQE_EUNAVAIL, "cannot subscribe: %s", rd_kafka_err2str(e));
        goto out;
    }
out:
    if (subs)
        rd_kafka_topic_partition_list_destroy(subs);
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (rc) {
        if (s && s->queue)
            rd_kafka_queue_destroy(s->queue);
        if (s && s->rk)
            rd_kafka_destroy(s->rk);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int cqe_kafka_source_poll(struct cqe_kafka_source *s, rd_kafka_message_t **msgs, size_t max, int timeout_ms,
                          struct cqe_err *err)
{
    ssize_t got = rd_kafka_consume_batch_queue(s->queue, timeout_ms, msgs, max);
    if (got < 0)
        return cqe_err_set(err, CQE_EIO, "consuming failed: %s", rd_kafka_err2str(rd_kafka_last_error()));
    size_t n = 0;
    for (ssize_t i = 0; i < got; i++) {
        rd_kafka_message_t *m = msgs[i];
        if (!m->err) {
            msgs[n++] = m;
            continue;
        }
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            char what[512];
            if (m->rkt)
                snprintf(what, sizeof what, "%s [%d]: %s", rd_kafka_topic_name(m->rkt), (int)m->partition,
                         rd_kafka_message_errstr(m));
            else
                snprintf(what, sizeof what, "%s", rd_kafka_message_errstr(m));
            log_error(s, m->err, what);
        }
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
            s->fatal = true;
            snprintf(s->fatal_msg, sizeof s->fatal_msg, "fatal consumer error: %s",
                     rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
    }
    if (s->fatal) {
        cqe_kafka_source_release(msgs, n);
        return cqe_err_set(err, CQE_EIO, "%s", s->fatal_msg);
    }
    return (int)n;
}

void cqe_kafka_source_release(rd_kafka_message_t **msgs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rd_kafka_message_destroy(msgs[i]);
}

int cqe_kafka_source_commit(struct cqe_kafka_source *s, const struct cqe_kafka_pos *pos, size_t n,
                            struct cqe_err *err)
{
    if (!n)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    if (!l)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, pos[i].topic, pos[i].partition)->offset = pos[i].offset;
    rd_kafka_resp_err_t e = rd_kafka_commit(s->rk, l, 1);
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
        log_error(s, e, "committing offsets to Kafka (lag monitoring only) failed");
    rd_kafka_topic_partition_list_destroy(l);
    return 0;
}

int cqe_kafka_source_seek(struct cqe_kafka_source *s, const struct cqe_kafka_pos *pos, struct cqe_err *err)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, pos->topic, pos->partition)->offset = pos->offset;
    rd_kafka_error_t *e = rd_kafka_seek_partitions(s->rk, l, 10000);
    int rc = 0;
    if (e) {
        rc = cqe_err_set(err, CQE_EIO, "seeking %s [%d] to %lld failed: %s", pos->topic, (int)pos->partition,
                         (long long)pos->offset, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    } else if (l->elems[0].err) {
        rc = cqe_err_set(err, CQE_EIO, "seeking %s [%d] to %lld failed: %s", pos->topic, (int)pos->partition,
                         (long long)pos->offset, rd_kafka_err2str(l->elems[0].err));
    }
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

void cqe_kafka_source_pause(struct cqe_kafka_source *s, bool pause)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    if (rd_kafka_assignment(s->rk, &l) || !l)
        return;
    if (pause)
        rd_kafka_pause_partitions(s->rk, l);
    else
        rd_kafka_resume_partitions(s->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
}

int64_t cqe_kafka_source_high(struct cqe_kafka_source *s, const char *topic, int32_t partition)
{
    int64_t lo = -1, hi = -1;
    if (rd_kafka_get_watermark_offsets(s->rk, topic, partition, &lo, &hi) || hi < 0)
        return -1;
    return hi;
}

const char *cqe_kafka_source_member(struct cqe_kafka_source *s)
{
    free(s->member);
    s->member = rd_kafka_memberid(s->rk);
    return s->member ? s->member : "";
}

rd_kafka_t *cqe_kafka_source_handle(struct cqe_kafka_source *s)
{
    return s->rk;
}

int cqe_kafka_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms, struct cqe_err *err)
{
    int64_t deadline = cqe_mono_ms() + timeout_ms;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
    int n = 0;
    if (!rkt)
        return cqe_err_set(err, CQE_ENOMEM, "cannot open topic %s: %s", topic,
                           rd_kafka_err2str(rd_kafka_last_error()));
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        int64_t left = deadline - cqe_mono_ms();
        e = rd_kafka_metadata(rk, 0, rkt, &md, (int)(left > 2000 ? 2000 : left > 100 ? left : 100));
        if (!e && md && md->topic_cnt == 1) {
            e = md->topics[0].err;
            n = md->topics[0].partition_cnt;
        }
        if (md)
            rd_kafka_metadata_destroy(md);
        if ((!e && n > 0) || cqe_mono_ms() >= deadline)
            break;
        cqe_sleep_ms(200);
    }
    rd_kafka_topic_destroy(rkt);
    if (!e && n > 0)
        return n;
    if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        return cqe_err_set(err, CQE_ENOTFOUND, "topic %s does not exist", topic);
    return cqe_err_set(err, CQE_EUNAVAIL, "no metadata for topic %s from the brokers: %s", topic,
                       rd_kafka_err2str(e ? e : RD_KAFKA_RESP_ERR__TIMED_OUT));
}

void cqe_kafka_source_close(struct cqe_kafka_source *s)
{
    if (!s)
        return;
    rd_kafka_resp_err_t e = rd_kafka_consumer_close(s->rk);
    if (e)
        fprintf(stderr, "%s: kafka: leaving the group: %s\n", cqe_log_name(), rd_kafka_err2str(e));
    rd_kafka_queue_destroy(s->queue);
    rd_kafka_destroy(s->rk);
    free(s->member);
    free(s);
}
