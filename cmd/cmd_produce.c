/* `cloudqe produce`: publishes NDJSON(.zst) event lines to a Kafka topic, each line one
 * message keyed by its entity as events.md suggests, with an idempotent producer and flow
 * control: at most --max-ahead messages of lead per partition over a consumer group's
 * committed offsets, so that a broker with short retention (the mock) loses nothing. */
#include <errno.h>
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "clock.h"
#include "config.h"
#include "line_reader.h"
#include "progress_line.h"
#include "json_scan.h"
#include "source_kafka.h"

#define MAX_LINE ((size_t)16 << 20)

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: cloudqe produce [OPTIONS] FILE...   (FILE: NDJSON, .zst, or - for stdin)\n"
               "  --bootstrap HOSTS   brokers (default: kafka.\"bootstrap.servers\" of --config)\n"
               "  --config FILE       configuration: its kafka properties and topics.input\n"
               "  --topic NAME        topic to publish to (default: the first of topics.input,\n"
               "                      else cloudqe.events)\n"
               "  --group G           consumer group to pace against (flow control, --wait)\n"
               "  --max-ahead N       with --group: at most N messages per partition beyond the\n"
               "                      group's committed offsets (default 20000; 0 = no limit)\n"
               "  --wait              with --group: after producing, wait until the group has\n"
               "                      committed every message of the topic (lag 0)\n"
               "  --wait-timeout S    give up waiting after S seconds (exit 1; default: never)\n"
               "  --quiet             only the summary line\n"
               "Each line is one message, unchanged; its key is the entity id of its type\n"
               "(incident, window, ticket, job, drill, vuln, migration, op, response, asset),\n"
               "the resource of a metric, the service of a probe, else its id.\n"
               "Prints one JSON summary line on stdout. Each FILE is checked (exists, readable,\n"
               "a file or a pipe) before any is read. Exit 130 when stopped by a signal.\n"
               "Progress on a terminal: while reading, stderr shows lines, ev/s, %% done (of the\n"
               "files' bytes) and the time left, unless --quiet.\n"
               "\n"
               "Example:\n"
               "  cloudqe produce --config cfg.json --group cloudqe --wait month.ndjson.zst\n");
}

/* ---- producing ---- */

struct producer {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    const char *topic;
    int32_t n_parts;
    int64_t *base_lo, *base_hi, *enqueued, *committed;
    rd_kafka_t *rkc; /* consumer handle of --group, for its committed offsets; NULL = none */
    int64_t max_ahead;
    int64_t committed_at_ms;
    int64_t lines, delivered, failed, keyless, refused;
    int32_t rr; /* round-robin partition of keyless lines */
    bool quiet, waited_logged;
    struct cqe_progress_line progress;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct producer *P = opaque;
    if (!m->err) {
        P->delivered++;
        return;
    }
    if (P->failed++ < 5)
        fprintf(stderr, "produce: delivery to %s [%d] failed: %s\n", P->topic, (int)m->partition,
                rd_kafka_err2str(m->err));
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 4)
        fprintf(stderr, "produce: kafka: %s: %s\n", fac, buf);
}

/* Refreshes the group's committed offsets (a missing commit counts as the log start). */
static int refresh_committed(struct producer *P, struct cqe_err *err)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(P->n_parts);
    for (int32_t i = 0; i < P->n_parts; i++)
        rd_kafka_topic_partition_list_add(l, P->topic, i);
    rd_kafka_resp_err_t e = rd_kafka_committed(P->rkc, l, 5000);
    int rc = 0;
    if (e) {
        rc = cqe_err_set(err, CQE_EUNAVAIL, "cannot read the group's committed offsets: %s",
                         rd_kafka_err2str(e));
    } else {
        for (int i = 0; i < l->cnt; i++) {
            int32_t p = l->elems[i].partition;
            if (p >= 0 && p < P->n_parts)
                P->committed[p] =
                    l->elems[i].err || l->elems[i].offset < 0 ? P->base_lo[p] : l->elems[i].offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    P->committed_at_ms = cqe_mono_ms();
    return rc;
}

/* Blocks while partition p is max_ahead or more messages beyond the group. */
static void pace(struct producer *P, int32_t p)
{
    if (!P->rkc || !P->max_ahead)
        return;
    int64_t since = 0;
    while (!stop_flag && P->base_hi[p] + P->enqueued[p] - P->committed[p] >= P->max_ahead) {
        struct cqe_err err = {0};
        if (!since)
            since = cqe_mono_ms();
        rd_kafka_poll(P->rk, 50);
        if (cqe_mono_ms() - P->committed_at_ms >= 100 && refresh_committed(P, &err))
            fprintf(stderr, "produce: %s\n", err.msg);
        if (!P->quiet && !P->waited_logged && cqe_mono_ms() - since > 15000) {
            cqe_progress_line_clear(&P->progress);
            fprintf(stderr, "produce: waiting for the group to consume partition %d (lead %lld)\n", (int)p,
                    (long long)(P->base_hi[p] + P->enqueued[p] - P->committed[p]));
            P->waited_logged = true;
        }
    }
}

static int produce_line(struct producer *P, const char *p, size_t n, const char *path, int64_t line_no)
{
    struct cqe_str key = {0}, id;
    int32_t part;
    if (cqe_json_scan_key_id(p, n, &key, &id) & CQE_SCAN_KEY) {
        part = rd_kafka_msg_partitioner_murmur2(P->rkt, key.p, key.n, P->n_parts, NULL, NULL);
    } else {
        P->keyless++;
        part = P->rr++ % P->n_parts;
        if (P->rr >= P->n_parts)
            P->rr = 0;
    }
    pace(P, part);
    for (;;) {
        if (rd_kafka_produce(P->rkt, part, RD_KAFKA_MSG_F_COPY, (void *)p, n, key.p, key.n, NULL) == 0)
            break;
        rd_kafka_resp_err_t e = rd_kafka_last_error();
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            P->refused++;
            fprintf(stderr, "produce: %s:%lld refused: %s\n", path, (long long)line_no, rd_kafka_err2str(e));
            return 0;
        }
        rd_kafka_poll(P->rk, 100); /* the local queue is full: wait for deliveries */
        if (stop_flag)
            return 0;
    }
    P->enqueued[part]++;
    rd_kafka_poll(P->rk, 0);
    return 0;
}

static int produce_file(struct producer *P, const char *path, struct cqe_err *err)
{
    struct cqe_line_reader *r = NULL;
    struct cqe_line line;
    int rc = cqe_line_reader_open(path, MAX_LINE, &r, err);
    if (rc)
        return rc;
    while (!stop_flag && (rc = cqe_line_reader_next(r, &line, err)) == 1) {
        P->lines++;
        if (line.status == CQE_LINE_TOO_LARGE) {
            P->refused++;
            fprintf(stderr,
                    "produce: %s:%lld: a line of %llu bytes is over the %zu-byte limit; not published\n",
                    path, (long long)line.line_no, (unsigned long long)line.total, MAX_LINE);
            continue;
        }
        produce_line(P, line.p, line.n, path, line.line_no);
        cqe_progress_line_note(&P->progress, P->lines, P->progress.base + cqe_line_reader_offset(r));
    }
    P->progress.base += cqe_line_reader_offset(r);
    cqe_line_reader_close(r);
    return rc < 0 ? rc : 0;
}

/* Lag of the group over the whole topic, from fresh watermarks and commits. */
static int group_lag(struct producer *P, int64_t *lag, struct cqe_err *err)
{
    int rc = refresh_committed(P, err);
    if (rc)
        return rc;
    *lag = 0;
    for (int32_t i = 0; i < P->n_parts; i++) {
        int64_t lo, hi;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(P->rk, P->topic, i, &lo, &hi, 5000);
        if (e)
            return cqe_err_set(err, CQE_EUNAVAIL, "cannot read the end of %s [%d]: %s", P->topic, (int)i,
                               rd_kafka_err2str(e));
        if (P->committed[i] < lo)
            P->committed[i] = lo;
        if (hi > P->committed[i])
            *lag += hi - P->committed[i];
    }
    return 0;
}

int cqe_cmd_produce(int argc, char **argv)
{
    static const struct option opts[] = {{"bootstrap", required_argument, 0, 'b'},
                                         {"config", required_argument, 0, 'c'},
                                         {"topic", required_argument, 0, 't'},
                                         {"group", required_argument, 0, 'g'},
                                         {"max-ahead", required_argument, 0, 'm'},
                                         {"wait", no_argument, 0, 'w'},
                                         {"wait-timeout", required_argument, 0, 'W'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    /* consumer-only properties of the shared kafka object, left out of the producer */
    static const char *const defaults[][2] = {
        {"enable.idempotence", "true"},    {"linger.ms", "10"},
        {"batch.num.messages", "10000"},   {"compression.type", "lz4"},
        {"message.max.bytes", "16777216"}, {"client.id", "cloudqe-produce"},
    };
    const char *bootstrap = NULL, *config_path = NULL, *topic = NULL, *group = NULL;
    long long max_ahead = 20000, wait_timeout = 0;
    bool wait = false;
    struct producer P;
    memset(&P, 0, sizeof P);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'b': bootstrap = optarg; break;
        case 'c': config_path = optarg; break;
        case 't': topic = optarg; break;
        case 'g': group = optarg; break;
        case 'w': wait = true; break;
        case 'q': P.quiet = true; break;
        case 'm':
            errno = 0;
            max_ahead = strtoll(optarg, &end, 10);
            if (*end || errno || max_ahead < 0) {
                fprintf(stderr, "produce: --max-ahead takes a number >= 0\n");
                return 2;
            }
            break;
        case 'W':
            errno = 0;
            wait_timeout = strtoll(optarg, &end, 10);
            if (*end || errno || wait_timeout < 0) {
                fprintf(stderr, "produce: --wait-timeout takes seconds >= 0\n");
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc && !wait) {
        fprintf(stderr, "produce: name at least one FILE (or - for stdin)\n");
        usage(stderr);
        return 2;
    }
    if (wait && !group) {
        fprintf(stderr, "produce: --wait needs --group\n");
        return 2;
    }
    struct cqe_err err = {0};
    if (cqe_cli_check_inputs(argv + optind, argc - optind, &err)) {
        fprintf(stderr, "produce: %s\n", err.msg);
        return 1;
    }

    struct cqe_config cfg;
    char errstr[512];
    int status = 1;
    rd_kafka_conf_t *conf = NULL, *cconf = NULL;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    cqe_config_defaults(&cfg);
    if (config_path && cqe_config_load(&cfg, config_path, &err))
        goto fail;
    if (!topic)
        topic = cqe_config_input_topic(&cfg, 0);
    P.topic = topic;
    P.max_ahead = group ? max_ahead : 0;

    conf = rd_kafka_conf_new();
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (cqe_kafka_conf_set(conf, defaults[i][0], defaults[i][1], &err))
            goto fail;
    if (cqe_kafka_conf_apply(conf, cfg.kafka, cqe_kafka_consumer_only, &err) ||
        (bootstrap && cqe_kafka_conf_set(conf, "bootstrap.servers", bootstrap, &err)))
        goto fail;
    char bs[8];
    size_t bsn = sizeof bs;
    if (rd_kafka_conf_get(conf, "bootstrap.servers", bs, &bsn) != RD_KAFKA_CONF_OK || bsn <= 1) {
        cqe_err_set(&err, CQE_ECONFIG,
                    "no Kafka brokers: give --bootstrap or kafka.\"bootstrap.servers\" in --config");
        goto fail;
    }
    if (group) {
        if (!(cconf = rd_kafka_conf_dup(conf)))
            goto oom;
    }
    rd_kafka_conf_set_opaque(conf, &P);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    if (!(P.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr))) {
        cqe_err_set(&err, CQE_ECONFIG, "cannot create the Kafka producer: %s", errstr);
        goto fail;
    }
    conf = NULL; /* taken by rd_kafka_new */
    if (group) {
        /* a group client that never joins: it only reads the group's committed offsets */
        rd_kafka_conf_t *fresh = rd_kafka_conf_new();
        rd_kafka_conf_destroy(cconf);
        cconf = fresh;
        if (cqe_kafka_conf_apply(cconf, cfg.kafka, cqe_kafka_producer_only, &err) ||
            (bootstrap && cqe_kafka_conf_set(cconf, "bootstrap.servers", bootstrap, &err)) ||
            cqe_kafka_conf_set(cconf, "group.id", group, &err) ||
            cqe_kafka_conf_set(cconf, "enable.auto.commit", "false", &err) ||
            cqe_kafka_conf_set(cconf, "client.id", "cloudqe-produce-pacer", &err))
            goto fail;
        rd_kafka_conf_set_log_cb(cconf, log_cb);
        if (!(P.rkc = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, errstr, sizeof errstr))) {
            cqe_err_set(&err, CQE_ECONFIG, "cannot create the group client: %s", errstr);
            goto fail;
        }
        cconf = NULL;
    }
    if (!(P.rkt = rd_kafka_topic_new(P.rk, topic, NULL))) {
        cqe_err_set(&err, CQE_EINVAL, "cannot open topic %s: %s", topic,
                    rd_kafka_err2str(rd_kafka_last_error()));
        goto fail;
    }
    int np = cqe_kafka_partitions(P.rk, topic, 30000, &err);
    if (np < 0)
        goto fail;
    P.n_parts = np;
    P.base_lo = calloc((size_t)np, sizeof *P.base_lo);
    P.base_hi = calloc((size_t)np, sizeof *P.base_hi);
    P.enqueued = calloc((size_t)np, sizeof *P.enqueued);
    P.committed = calloc((size_t)np, sizeof *P.committed);
    if (!P.base_lo || !P.base_hi || !P.enqueued || !P.committed)
        goto oom;
    for (int32_t i = 0; P.rkc && i < np; i++) {
        rd_kafka_resp_err_t e =
            rd_kafka_query_watermark_offsets(P.rk, topic, i, &P.base_lo[i], &P.base_hi[i], 10000);
        if (e) {
            cqe_err_set(&err, CQE_EUNAVAIL, "cannot read the watermarks of %s [%d]: %s", topic, (int)i,
                        rd_kafka_err2str(e));
            goto fail;
        }
    }
    if (P.rkc && refresh_committed(&P, &err))
        goto fail;

    int64_t t0 = cqe_mono_ms();
    cqe_progress_line_start(&P.progress, "produce", P.quiet,
                            cqe_progress_line_bytes(argv + optind, argc - optind));
    for (int i = optind; i < argc && !stop_flag; i++)
        if (produce_file(&P, argv[i], &err))
            goto fail;
    cqe_progress_line_clear(&P.progress);
    /* deliver everything in flight (retried by librdkafka until message.timeout.ms) */
    int64_t last_note = cqe_mono_ms();
    while (rd_kafka_outq_len(P.rk) > 0) {
        rd_kafka_flush(P.rk, 500);
        if (stop_flag && cqe_mono_ms() - last_note > 10000)
            break;
        if (!P.quiet && cqe_mono_ms() - last_note > 10000) {
            fprintf(stderr, "produce: %d message(s) still in flight\n", rd_kafka_outq_len(P.rk));
            last_note = cqe_mono_ms();
        }
    }
    double secs = (double)(cqe_mono_ms() - t0) / 1000.0;
    if (!P.quiet)
        fprintf(stderr,
                "produce: %lld lines, %lld delivered to %s (%d partitions), %lld failed, %lld refused, "
                "%lld unkeyed; %.1f s, %.0f msg/s\n",
                (long long)P.lines, (long long)P.delivered, topic, np, (long long)P.failed,
                (long long)P.refused, (long long)P.keyless, secs,
                secs > 0 ? (double)P.delivered / secs : 0.0);
    if (wait && !stop_flag) {
        int64_t deadline = wait_timeout ? cqe_mono_ms() + wait_timeout * 1000 : 0, lag = -1, note = 0;
        for (;;) {
            if (group_lag(&P, &lag, &err))
                fprintf(stderr, "produce: %s\n", err.msg);
            else if (lag == 0)
                break;
            if (!P.quiet && cqe_mono_ms() - note >= 5000 && lag >= 0) {
                fprintf(stderr, "produce: waiting for group %s: lag %lld\n", group, (long long)lag);
                note = cqe_mono_ms();
            }
            if (stop_flag || (deadline && cqe_mono_ms() > deadline))
                break;
            rd_kafka_poll(P.rk, 300);
        }
        if (lag != 0) {
            fprintf(stderr, "produce: group %s still has a lag of %lld\n", group, (long long)lag);
            status = 1;
            printf("{\"kind\":\"produce_summary\",\"topic\":\"%s\",\"partitions\":%d,\"lines\":%lld,"
                   "\"delivered\":%lld,"
                   "\"failed\":%lld,\"refused\":%lld,\"unkeyed\":%lld,\"lag\":%lld}\n",
                   topic, np, (long long)P.lines, (long long)P.delivered, (long long)P.failed,
                   (long long)P.refused, (long long)P.keyless, (long long)lag);
            goto out;
        }
        if (!P.quiet)
            fprintf(stderr, "produce: group %s has consumed everything (lag 0)\n", group);
    }
    printf(
        "{\"kind\":\"produce_summary\",\"topic\":\"%s\",\"partitions\":%d,\"lines\":%lld,\"delivered\":%lld,"
        "\"failed\":%lld,\"refused\":%lld,\"unkeyed\":%lld,\"seconds\":%.3f}\n",
        topic, np, (long long)P.lines, (long long)P.delivered, (long long)P.failed, (long long)P.refused,
        (long long)P.keyless, secs);
    status = stop_flag ? 130 : (P.failed || P.refused || P.delivered != P.lines) ? 1 : 0;
    goto out;
oom:
    cqe_err_set(&err, CQE_ENOMEM, "out of memory");
fail:
    cqe_progress_line_clear(&P.progress);
    fprintf(stderr, "produce: %s\n", err.msg);
out:
    fflush(stdout);
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (cconf)
        rd_kafka_conf_destroy(cconf);
    if (P.rkt)
        rd_kafka_topic_destroy(P.rkt);
    if (P.rk)
        rd_kafka_destroy(P.rk);
    if (P.rkc)
        rd_kafka_destroy(P.rkc);
    free(P.base_lo);
    free(P.base_hi);
    free(P.enqueued);
    free(P.committed);
    cqe_config_fini(&cfg);
    return status;
}
