/* The Kafka source (see source_kafka.h): consumer configuration with secrets resolved
 * from files or the environment, subscription, batched consumption and the rebalance
 * protocol (eager or cooperative) calling the owner's assign/revoke hooks. */
#include "source_kafka.h"
#include "clock.h"
#include "event.h"
#include "secret.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

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

/* ---- configuration ---- */

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

/* ---- message scan: the key and id without a full parse ---- */

/* Members the scan keeps: "type", "id", then the key member of each type (by enum). */
static const char *const scan_fields[] = {
    "type", "id",
#define CQE_SCAN_KEY_MEMBER(e, wire, key) key,
    CQE_TYPE_LIST(CQE_SCAN_KEY_MEMBER)
#undef CQE_SCAN_KEY_MEMBER
};
#define N_SCAN (sizeof scan_fields / sizeof scan_fields[0])

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* p at an opening quote: returns the byte after the closing quote, or NULL; *esc is
 * raised when the string holds an escape. */
static const char *string_end(const char *p, const char *e, bool *esc)
{
    for (p++; p < e; p++) {
        if (*p == '\\') {
            *esc = true;
            p++;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

static const char *value_end(const char *p, const char *e)
{
    bool esc = false;
    if (p >= e)
        return NULL;
    if (*p == '"')
        return string_end(p, e, &esc);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < e) {
            if (*p == '"') {
                if (!(p = string_end(p, e, &esc)))
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if ((*p == '}' || *p == ']') && --depth == 0)
                return p + 1;
            p++;
        }
        return NULL;
    }
    while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' && *p != '\r' &&
           *p != '\n')
        p++;
    return p;
}

int cqe_kafka_scan(const char *msg, size_t n, struct cqe_kafka_span *key, struct cqe_kafka_span *id)
{
    struct cqe_kafka_span f[N_SCAN];
    bool fesc[N_SCAN];
    const char *e = msg + n, *p = skip_ws(msg, e);
    int out = 0;
    memset(f, 0, sizeof f);
    memset(fesc, 0, sizeof fesc);
    if (p >= e || *p != '{')
        return CQE_SCAN_ESCAPED;
    p = skip_ws(p + 1, e);
    while (p < e && *p != '}') {
        bool kesc = false, vesc = false;
        if (*p != '"')
            return CQE_SCAN_ESCAPED;
        const char *ks = p + 1, *q = string_end(p, e, &kesc);
        if (!q)
            return CQE_SCAN_ESCAPED;
        size_t kn = (size_t)(q - 1 - ks);
        if (kesc)
            out |= CQE_SCAN_ESCAPED;
        p = skip_ws(q, e);
        if (p >= e || *p != ':')
            return CQE_SCAN_ESCAPED;
        p = skip_ws(p + 1, e);
        const char *ve = *p == '"' ? string_end(p, e, &vesc) : value_end(p, e);
        if (!ve)
            return CQE_SCAN_ESCAPED;
        for (size_t i = 0; i < N_SCAN; i++) {
            if (strlen(scan_fields[i]) == kn && !memcmp(scan_fields[i], ks, kn)) {
                /* the last occurrence wins, as in Jansson */
                f[i] = *p == '"' ? (struct cqe_kafka_span){p + 1, (size_t)(ve - 1 - (p + 1))}
                                 : (struct cqe_kafka_span){NULL, 0};
                fesc[i] = vesc;
                break;
            }
        }
        p = skip_ws(ve, e);
        if (p < e && *p == ',')
            p = skip_ws(p + 1, e);
        else if (p < e && *p != '}')
            return out | CQE_SCAN_ESCAPED;
    }
    if (f[1].p) {
        *id = f[1];
        out |= CQE_SCAN_ID;
        if (fesc[1])
            out |= CQE_SCAN_ESCAPED;
    }
    if (f[0].p) {
        for (int t = 0; t < CQE_T__COUNT; t++) {
            const char *name = cqe_type_name((enum cqe_type)t);
            if (strlen(name) != f[0].n || memcmp(name, f[0].p, f[0].n))
                continue;
            if (f[2 + t].p && f[2 + t].n) {
                *key = f[2 + t];
                return out | CQE_SCAN_KEY;
            }
        }
    }
    if (f[1].p && f[1].n) {
        *key = f[1];
        out |= CQE_SCAN_KEY;
    }
    return out;
}

/* ---- callbacks ---- */

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    /* connection failures also reach error_cb, which rate-limits them */
    if (level <= LOG_WARNING && strcmp(fac, "FAIL"))
        fprintf(stderr, "kafka: %s: %s\n", fac, buf);
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
    fprintf(stderr, "kafka: %s (%s)\n", what, rd_kafka_err2name((rd_kafka_resp_err_t)code));
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
                fprintf(stderr, "kafka: cannot load the state of %s [%d], retrying: %s\n", p->topic,
                        (int)p->partition, err.msg);
            logged = true;
            cqe_sleep_ms(backoff);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
        }
        if (rc) {
            fprintf(stderr, "kafka: stopping: %s [%d] left unassigned\n", p->topic, (int)p->partition);
            continue;
        }
        if (logged)
            fprintf(stderr, "kafka: state of %s [%d] loaded\n", p->topic, (int)p->partition);
        rd_kafka_topic_partition_list_add(take, p->topic, p->partition)->offset = off;
        if (off >= 0)
            rd_kafka_topic_partition_list_add(commit, p->topic, p->partition)->offset = off;
    }
    if (s->cooperative) {
        rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, take);
        if (e) {
            fprintf(stderr, "kafka: incremental assign failed: %s\n", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_resp_err_t e = rd_kafka_assign(rk, take);
        if (e)
            fprintf(stderr, "kafka: assign failed: %s\n", rd_kafka_err2str(e));
    }
    /* keep the group's committed offsets (lag monitoring) in step with the state */
    if (commit->cnt)
        rd_kafka_commit(rk, commit, 1);
    if (!s->conf.quiet)
        fprintf(stderr, "kafka: assigned %d partition(s)\n", take->cnt);
    rd_kafka_topic_partition_list_destroy(take);
    rd_kafka_topic_partition_list_destroy(commit);
}

static void do_revoke(struct cqe_kafka_source *s, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts)
{
    bool lost = rd_kafka_assignment_lost(rk);
    if (lost)
        fprintf(stderr,
                "kafka: %d partition(s) lost to the group (session timed out?): pending state dropped\n",
                parts->cnt);
    for (int i = 0; i < parts->cnt; i++)
        s->conf.ops.revoke(s->conf.ops.arg, parts->elems[i].topic, parts->elems[i].partition, lost);
    if (s->cooperative) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e) {
            fprintf(stderr, "kafka: incremental unassign failed: %s\n", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_assign(rk, NULL);
    }
    if (!s->conf.quiet)
        fprintf(stderr, "kafka: revoked %d partition(s)\n", parts->cnt);
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
        fprintf(stderr, "kafka: rebalance error: %s\n", rd_kafka_err2str(e));
        rd_kafka_assign(rk, NULL);
    }
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

/* ---- the source ---- */

int cqe_kafka_source_open(const struct cqe_kafka_source_conf *c, struct cqe_kafka_source **out,
                          struct cqe_err *err)
{
    static const char *const defaults[][2] = {
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", "earliest"},
        {"queued.min.messages", "300000"},
        {"queued.max.messages.kbytes", "262144"},
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
        fprintf(stderr, "kafka: leaving the group: %s\n", rd_kafka_err2str(e));
    rd_kafka_queue_destroy(s->queue);
    rd_kafka_destroy(s->rk);
    free(s->member);
    free(s);
}
