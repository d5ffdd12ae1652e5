/* The stream worker's loop (see worker.h): partitions as they are assigned and revoked,
 * consuming, flushing when due, pausing while Redis is out, stopping within a bound. */
#include "worker.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "dead_letter.h"
#include "dead_letter_kafka.h"
#include "decode.h"
#include "emitter.h"
#include "fault.h"
#include "partition.h"
#include "progress.h"
#include "source_kafka.h"
#include "state_redis.h"
#include "worker_metrics.h"

#define BATCH_MAX 5000
#define POLL_MS 100
#define FLUSH_RETRY_MS 10000 /* a flush gives control back after this much outage ... */
#define OUT_RETRY_MS 1000    /* ... and this much once Redis is known out (retried each round) */
#define STOP_WAIT_MS 4000    /* how long the last flushes may wait for Redis when stopping */
#define DEAD_LETTER_WAIT_MS 10000
#define METRICS_EVERY_MS 250 /* the loop publishes its counters this often (worker_metrics.h) */

/* An input partition: its pending state while held, and what this process fed of it. */
struct part {
    struct cqe_partition st; /* st.pos: the next offset to consume, -1 whatever comes first */
    const char *topic;       /* borrowed from the worker's topic list */
    int topic_i;             /* ... at this index */
    int32_t partition;
    bool active;
    bool failing;     /* the last flush failed: consumption is paused */
    int64_t fed_upto; /* offsets below were fed by this process: their dead letters are out */
    int64_t down_ms;  /* when unflushed news of down time arrived (mono ms); 0 = none */
};

struct worker {
    const struct cqe_config *cfg;
    volatile sig_atomic_t *stop;
    struct cqe_redis *r;
    struct cqe_kafka_source *src;
    const char *topics[CQE_WORKER_MAX_TOPICS];
    int bases[CQE_WORKER_MAX_TOPICS], counts[CQE_WORKER_MAX_TOPICS];
    size_t n_topics;
    struct part *parts; /* by Redis partition index */
    int n_parts;
    char **pre_pos;                    /* positions read for the rebalance under way, by partition (owned) */
    bool prefetched;                   /* pre_pos holds them: cleared once the rebalance returned */
    struct cqe_dead_letters *dlq;      /* file or count only */
    struct cqe_dead_letter_kafka *dlk; /* the dead-letter topic, NULL = none */
    int64_t flush_every, flush_ms;
    int64_t fault_after, execs; /* CQE_FAULT=after_exec_before_commit, -1 = none */
    struct cqe_kafka_pos *commits;
    size_t n_commits;
    bool paused, no_flush;
    bool redis_paused; /* of paused: because flushes fail (not an output) */
    int fatal;         /* a negative rc once the worker must stop without flushing */
    struct cqe_err fatal_err;
    /* totals */
    int64_t msgs, stale, lost, flushes, resets;
    int64_t read, applied, duplicates, dead_letters; /* of partitions no longer held */
    struct cqe_retention_watch watch;
    int64_t pending_refused;                      /* of them, incident_pending_limit */
    struct cqe_emitter *em;                       /* the output role; NULL = no outputs */
    int64_t late_from, late_before, late_read_ms; /* the months emitted already (outputs) */
    int64_t alert_flush_ms;                       /* a partition holding down-time news flushes within this */
    /* the endpoint's numbers (worker_metrics.h): per flush and per publish, never per event */
    struct cqe_worker_metrics *wm;    /* borrowed; NULL = none */
    int64_t by_reason[CQE_R__COUNT];  /* dead letters flushed, of partitions no longer held */
    int64_t flush_failures, wm_at_ms; /* wm_at_ms: the last publish */
    struct cqe_wm_hist flush_hist;    /* latency of the flushes that succeeded */
    struct cqe_wm_part *wm_parts;     /* scratch, n_parts */
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_fatal(struct worker *w, const struct cqe_err *why)
{
    if (!w->fatal) {
        w->fatal = why->code < 0 ? why->code : CQE_EIO;
        w->fatal_err = *why;
    }
    *w->stop = 1;
}

static struct part *part_of(struct worker *w, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < w->n_topics; i++)
        if (!strcmp(w->topics[i], topic))
            return partition >= 0 && partition < w->counts[i] ? &w->parts[w->bases[i] + partition] : NULL;
    return NULL;
}

static void part_drop(struct worker *w, struct part *p)
{
    if (p->st.ready) { /* what reached Redis counts; unflushed work is redone by the next owner */
        w->read += p->st.at_flush.read;
        w->applied += p->st.at_flush.applied;
        w->duplicates += p->st.at_flush.duplicates;
        w->dead_letters += p->st.at_flush.dead_letters;
        w->pending_refused += p->st.at_flush.by_reason[CQE_R_INCIDENT_PENDING_LIMIT];
        for (int r = 0; r < CQE_R__COUNT; r++)
            w->by_reason[r] += p->st.at_flush.by_reason[r];
    }
    cqe_partition_close(&p->st);
    p->active = p->failing = false;
    p->down_ms = 0;
}

/* The retention marker for a partition being opened (read again unless a partition
 * opened within the last second read it). */
static int retention_at_open(struct worker *w, struct part *p, struct cqe_err *err)
{
    int rc = cqe_retention_watch_refresh(&w->watch, w->r, 1000, err);
    p->st.pl.archived_before = w->watch.before;
    p->st.pl.late_from = w->late_from;
    p->st.pl.late_before = w->late_before;
    return rc;
}

/* Reads the retention marker again when it is older than CQE_RETENTION_REFRESH_MS and
 * passes it to the partitions held; while Redis is out the last value stays. */
static void retention_refresh(struct worker *w)
{
    struct cqe_err err = {0};
    if (w->paused || cqe_retention_watch_refresh(&w->watch, w->r, CQE_RETENTION_REFRESH_MS, &err))
        return; /* Redis out: the flushes report the outage, the marker is read when it is back */
    for (int i = 0; i < w->n_parts; i++)
        if (w->parts[i].st.ready)
            w->parts[i].st.pl.archived_before = w->watch.before;
}

/* Reads again, once a second, which months the output role emitted already (its meta
 * fields late_from, late_before): events in them are counted late. Redis out: kept. */
static void late_refresh(struct worker *w)
{
    int64_t now = cqe_mono_ms();
    if (!w->em || w->paused || now - w->late_read_ms < 1000)
        return;
    w->late_read_ms = now;
    const char *argv[] = {"HMGET", "meta", "late_from", "late_before"};
    struct cqe_redis_strs rep = {0};
    struct cqe_err err = {0};
    if (!cqe_redis_out_command(w->r, CQE_REDIS_NS, 4, argv, NULL, 1u << 1, &rep, &err) && rep.n == 2 &&
        rep.v[0] && rep.v[1]) {
        w->late_from = strtoll(rep.v[0], NULL, 10);
        w->late_before = strtoll(rep.v[1], NULL, 10);
        for (int i = 0; i < w->n_parts; i++) {
            w->parts[i].st.pl.late_from = w->late_from;
            w->parts[i].st.pl.late_before = w->late_before;
        }
    }
    cqe_redis_strs_free(&rep);
}

/* Loads a partition's position and duplicate memory from Redis into a fresh pipeline. */
static int part_load(struct worker *w, struct part *p, struct cqe_err *err)
{
    part_drop(w, p);
    int rc = cqe_partition_open(&p->st, p->st.index, w->cfg, w->dlq, w->r, err);
    if (!rc && (rc = retention_at_open(w, p, err)))
        cqe_partition_close(&p->st);
    if (rc)
        return rc;
    p->active = true;
    return 0;
}

/* Makes every dead letter so far durable: the file flushed, the topic's records
 * acknowledged or set aside (dead_letter_kafka.h). */
static int dead_letters_durable(struct worker *w, struct cqe_err *err)
{
    int rc = cqe_dead_letters_flush(w->dlq, err);
    if (rc || !w->dlk)
        return rc;
    return cqe_dead_letter_kafka_settle(w->dlk, w->stop, DEAD_LETTER_WAIT_MS, err);
}

static void queue_commit(struct worker *w, struct part *p, int64_t offset)
{
    for (size_t k = 0; k < w->n_commits; k++) {
        if (w->commits[k].topic == p->topic && w->commits[k].partition == p->partition) {
            w->commits[k].offset = offset;
            return;
        }
    }
    w->commits[w->n_commits++] = (struct cqe_kafka_pos){p->topic, p->partition, offset};
}

/* Forgets the positions read for a rebalance (they are only fresh while it runs). */
static void prefetch_clear(struct worker *w)
{
    for (int i = 0; w->prefetched && i < w->n_parts; i++) {
        free(w->pre_pos[i]);
        w->pre_pos[i] = NULL;
    }
    w->prefetched = false;
}

/* The position of a partition being assigned: the first assignment of a rebalance reads
 * every partition's in one round trip; the others take theirs from it. A partition
 * being assigned is no other member's, so its position cannot move meanwhile (and a
 * flush from a wrong one is refused by the script). */
static int assigned_position(struct worker *w, struct part *p, int64_t *stored, struct cqe_err *err)
{
    int rc;
    if (!w->prefetched) {
        if (!w->pre_pos && !(w->pre_pos = calloc((size_t)w->n_parts, sizeof *w->pre_pos)))
            return cqe_err_set(err, CQE_ENOMEM, "out of memory");
        if ((rc = cqe_redis_load_positions(w->r, CQE_REDIS_NS, w->n_parts, w->pre_pos, err)))
            return rc;
        w->prefetched = true;
    }
    return cqe_partition_parse_pos(w->pre_pos[p->st.index], p->st.index, stored, err);
}

/* Opens an assigned partition at its first message: its duplicate memory is read then,
 * so an assignment of many partitions does not wait for every memory. Retries while
 * Redis is out; a refusal is final. */
static int part_open_lazily(struct worker *w, struct part *p, struct cqe_err *err)
{
    int64_t backoff = 200, stored = p->st.stored;
    while (cqe_partition_open_at(&p->st, p->st.index, stored, w->cfg, w->dlq, w->r, err) ||
           (p->st.ready && retention_at_open(w, p, err))) {
        cqe_partition_close(&p->st);
        if (err->code != CQE_EUNAVAIL || *w->stop)
            return err->code < 0 ? err->code : CQE_EIO;
        fprintf(stderr, "run: %s [%d]: loading the partition failed, retrying: %s\n", p->topic,
                (int)p->partition, err->msg);
        cqe_worker_metrics_beat(w->wm);
        cqe_sleep_ms(backoff);
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
        p->st.stored = p->st.pos = stored;
    }
    return 0;
}

/* Flushes one partition: dead letters first, then one script call of deltas, next offset,
 * new ids and counts; queues the Kafka commit. Returns 0 or the flush's rc. */
static int flush_part(struct worker *w, struct part *p, struct cqe_err *err)
{
    int rc;
    if (!p->active || !p->st.since)
        return 0;
    if ((rc = dead_letters_durable(w, err))) { /* nothing more may be acknowledged */
        set_fatal(w, err);
        return rc;
    }
    double t0 = mono_s();
    if ((rc = cqe_partition_flush(&p->st, w->r, w->cfg->dedup_window, err))) {
        w->flush_failures++;
        return rc;
    }
    cqe_wm_hist_add(&w->flush_hist, mono_s() - t0);
    w->flushes++;
    if (w->fault_after >= 0 && ++w->execs > w->fault_after)
        _exit(77); /* test fault point: state and offset in Redis, Kafka commit not sent */
    queue_commit(w, p, p->st.stored);
    p->down_ms = 0;
    p->st.pl.down_news = false;
    return 0;
}

static void commit_queued(struct worker *w)
{
    struct cqe_err err = {0};
    if (w->n_commits && cqe_kafka_source_commit(w->src, w->commits, w->n_commits, &err))
        fprintf(stderr, "run: %s\n", err.msg);
    w->n_commits = 0;
}

/* Commits every held partition's stored position again: a commit that failed (broker
 * down, coordinator moving) would otherwise leave the group's lag wrong until the next
 * flush, which never comes once the partition is idle. */
static void recommit(struct worker *w)
{
    for (int i = 0; i < w->n_parts; i++) {
        struct part *p = &w->parts[i];
        bool queued = false;
        if (!p->active || p->st.stored < 0)
            continue;
        for (size_t k = 0; k < w->n_commits && !queued; k++)
            queued = w->commits[k].topic == p->topic && w->commits[k].partition == p->partition;
        if (!queued)
            queue_commit(w, p, p->st.stored);
    }
    commit_queued(w);
}

/* After a flush Redis refused: forget the partition's pending state, reload what Redis
 * holds and consume again from there. */
static void part_reset(struct worker *w, struct part *p, const struct cqe_err *why)
{
    struct cqe_err err = {0};
    int64_t backoff = 200;
    fprintf(stderr, "run: %s [%d]: flush refused (%s); reloading the partition from Redis\n", p->topic,
            (int)p->partition, why->msg);
    w->resets++;
    while (part_load(w, p, &err)) {
        if (err.code == CQE_EDENIED || err.code == CQE_ENOMEM)
            set_fatal(w, &err);
        if (*w->stop)
            return;
        fprintf(stderr, "run: %s [%d]: reload failed, retrying: %s\n", p->topic, (int)p->partition, err.msg);
        cqe_worker_metrics_beat(w->wm);
        cqe_sleep_ms(backoff);
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
    struct cqe_kafka_pos pos = {p->topic, p->partition,
                                p->st.pos >= 0 ? p->st.pos : RD_KAFKA_OFFSET_BEGINNING};
    if (cqe_kafka_source_seek(w->src, &pos, &err))
        fprintf(stderr, "run: %s\n", err.msg);
}

/* Flushes the partitions that are due (all when force); on an outage pauses consumption
 * and tries again on the next round. */
static void flush_due(struct worker *w, bool force)
{
    int64_t now = cqe_mono_ms();
    bool failing = false, out = w->paused || *w->stop;
    for (int i = 0; i < w->n_parts && !out; i++)
        out = w->parts[i].active && w->parts[i].failing;
    cqe_redis_set_retry(w->r, out ? OUT_RETRY_MS : FLUSH_RETRY_MS);
    for (int i = 0; i < w->n_parts && !w->fatal; i++) {
        struct part *p = &w->parts[i];
        struct cqe_err err = {0};
        if (!p->active || !p->st.since)
            continue;
        bool urgent = p->down_ms && now - p->down_ms >= w->alert_flush_ms;
        if (!force && !urgent && !p->failing && p->st.since < w->flush_every &&
            now - p->st.first_ms < w->flush_ms)
            continue;
        int rc = flush_part(w, p, &err);
        if (!rc) {
            if (p->failing)
                fprintf(stderr, "run: %s [%d]: flushed again\n", p->topic, (int)p->partition);
            p->failing = false;
            continue;
        }
        if (w->fatal) {
            break;
        } else if (rc == CQE_ENOMEM || rc == CQE_EDENIED) {
            set_fatal(w, &err);
        } else if (rc == CQE_EIO) {
            part_reset(w, p, &err);
        } else {
            if (!p->failing)
                fprintf(stderr, "run: %s [%d]: flush failed, pausing consumption and retrying: %s\n",
                        p->topic, (int)p->partition, err.msg);
            p->failing = failing = true;
            break; /* Redis is out: the other partitions would wait for it too */
        }
    }
    commit_queued(w);
    /* paused while any flush or output fails (again after each rebalance, which resumes) */
    w->redis_paused = failing;
    failing |= cqe_emitter_blocked(w->em);
    if (failing || w->paused)
        cqe_kafka_source_pause(w->src, failing);
    w->paused = failing;
}

/* ---- source hooks ---- */

static int hook_assign(void *arg, const char *topic, int32_t partition, int64_t *offset, struct cqe_err *err)
{
    struct worker *w = arg;
    struct part *p = part_of(w, topic, partition);
    if (!p) {
        struct cqe_err why;
        cqe_err_set(&why, CQE_ECONFIG,
                    "%s [%d] was assigned but the topic had fewer partitions at start: the Redis state is "
                    "split into %d partitions; restart the workers",
                    topic, (int)partition, w->n_parts);
        set_fatal(w, &why);
        return cqe_err_set(err, CQE_ECONFIG, "%s", why.msg);
    }
    int64_t stored = -1;
    part_drop(w, p);
    int rc = assigned_position(w, p, &stored, err);
    if (rc == CQE_EDENIED || rc == CQE_ENOMEM)
        set_fatal(w, err); /* final: retrying cannot help */
    if (rc)
        return rc;
    p->st.stored = p->st.pos = stored; /* opened at its first message (part_open_lazily) */
    p->active = true;
    *offset = p->st.pos >= 0 ? p->st.pos : RD_KAFKA_OFFSET_BEGINNING;
    return 0;
}

static void hook_revoke(void *arg, const char *topic, int32_t partition, bool lost)
{
    struct worker *w = arg;
    struct part *p = part_of(w, topic, partition);
    if (!p || !p->active)
        return;
    if (!lost && !w->no_flush && !w->fatal && p->st.since) {
        struct cqe_err err = {0};
        int rc = flush_part(w, p, &err);
        if (rc)
            fprintf(stderr,
                    "run: %s [%d]: flush before giving the partition up failed (%s); the next owner "
                    "re-reads from the last flushed offset\n",
                    topic, (int)partition, err.msg);
        commit_queued(w);
    }
    part_drop(w, p);
}

/* ---- consuming ---- */

/* Publishes the record of a message the pipeline of p just dead-lettered, with the
 * reason and detail the pipeline gave it. */
static int publish_dead_letter(struct worker *w, const struct part *p, const struct cqe_origin *o,
                               const char *buf, size_t n, struct cqe_err *err)
{
    int reason = p->st.pl.last_reason;
    if (reason <= CQE_R_NONE || reason >= CQE_R__COUNT)
        return 0; /* no reason kept: nothing to publish */
    return cqe_dead_letter_kafka_publish(w->dlk, o, reason, p->st.pl.last_detail, buf, n, wall_ms(), err);
}

static void report_loss(struct worker *w, struct part *p, int64_t from, int64_t to)
{
    w->lost += to - from;
    fprintf(
        stderr,
        "run: DATA LOSS: %s [%d]: offsets %lld to %lld (%lld messages) are no longer in Kafka (retention) "
        "and were never applied; consumption goes on at %lld\n",
        p->topic, (int)p->partition, (long long)from, (long long)to - 1, (long long)(to - from),
        (long long)to);
}

static int consume_one(struct worker *w, const rd_kafka_message_t *m, struct cqe_err *err)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    struct part *p = part_of(w, topic, m->partition);
    int64_t next = p ? p->st.pos : -1;
    if (!p || !p->active || (next >= 0 && m->offset < next)) {
        w->stale++; /* fetched before a rebalance or a reload: not ours, or already in Redis */
        return 0;
    }
    /* a gap after the stored position (or a log that no longer starts at 0 for a
     * partition never flushed) is data Kafka deleted before it was applied */
    if (next >= 0 ? m->offset > next : m->offset > 0)
        report_loss(w, p, next >= 0 ? next : 0, m->offset);
    int rc = p->st.ready ? 0 : part_open_lazily(w, p, err);
    if (rc)
        return rc;
    const char *buf = m->payload ? (const char *)m->payload : "";
    size_t n = m->payload ? m->len : 0;
    char detail[160] = "";
    int hint = CQE_R_NONE;
    if ((int64_t)n > w->cfg->max_message_bytes) {
        hint = CQE_R_TOO_LARGE;
        snprintf(detail, sizeof detail, "message of %llu bytes exceeds max_message_bytes %lld",
                 (unsigned long long)n, (long long)w->cfg->max_message_bytes);
    }
    struct cqe_origin o = {.topic = p->topic, .partition = p->partition, .offset = m->offset};
    int64_t dead = p->st.pl.counts.dead_letters;
    /* consumed again (a reload, a partition back after a rebalance): its dead letter is
     * in this worker's file and topic already, so it is counted only */
    bool again = m->offset < p->fed_upto;
    p->st.pl.dlq = again ? NULL : w->dlq;
    rc = cqe_partition_feed(&p->st, buf, n, &o, hint, detail, wall_ms(), err);
    p->st.pl.dlq = w->dlq;
    if (rc)
        return rc;
    if (p->st.pl.counts.dead_letters != dead && w->dlk && !again &&
        (rc = publish_dead_letter(w, p, &o, buf, n, err)))
        return rc;
    p->st.pos = m->offset + 1;
    if (p->st.pl.down_news && !p->down_ms)
        p->down_ms = cqe_mono_ms();
    if (p->st.pos > p->fed_upto)
        p->fed_upto = p->st.pos;
    w->msgs++;
    return 0;
}

/* ---- progress ---- */

static void totals(struct worker *w, struct cqe_run_totals *t)
{
    memset(t, 0, sizeof *t);
    t->msgs = w->msgs;
    t->read = w->read;
    t->applied = w->applied;
    t->duplicates = w->duplicates;
    t->dead_letters = w->dead_letters;
    t->pending_refused = w->pending_refused;
    t->unpublished = cqe_dead_letter_kafka_unpublished(w->dlk);
    t->stale = w->stale;
    t->lost = w->lost;
    t->flushes = w->flushes;
    t->resets = w->resets;
    t->redis_commands = cqe_redis_commands(w->r);
    t->paused = w->redis_paused;
    if (w->em) {
        struct cqe_emitter_stats es;
        cqe_emitter_stats(w->em, &es);
        t->out_holder = es.holder;
        t->out_blocked = cqe_emitter_blocked(w->em);
        t->out_passes = es.passes;
        t->out_ticks = es.ticks;
        t->out_snapshots = es.snapshots;
        t->out_revised = es.revised;
        t->out_alerts = es.alerts;
        t->out_kafka = es.delivered_kafka;
        t->out_files = es.delivered_files;
        t->out_last_pass_ms = es.last_pass_ms;
        t->out_pass_ms_total = es.pass_ms_total;
    }
    for (int i = 0; w->parts && i < w->n_parts; i++) {
        struct part *p = &w->parts[i];
        if (!p->active)
            continue;
        t->held++;
        t->read += p->st.pl.counts.read;
        t->applied += p->st.pl.counts.applied;
        t->duplicates += p->st.pl.counts.duplicates;
        t->dead_letters += p->st.pl.counts.dead_letters;
        t->pending_refused += p->st.pl.counts.by_reason[CQE_R_INCIDENT_PENDING_LIMIT];
        int64_t hi = w->src ? cqe_kafka_source_high(w->src, p->topic, p->partition) : -1;
        if (hi >= 0 && hi > p->st.pos)
            t->lag += hi - (p->st.pos >= 0 ? p->st.pos : 0);
    }
}

/* ---- the endpoint's numbers ---- */

/* Publishes the counters for /metrics and /readyz (worker_metrics.h), at most every
 * METRICS_EVERY_MS unless forced: flushed counts, lag per held partition, flush
 * latencies, Redis outcomes, the output role's counts. */
static void publish_metrics(struct worker *w, bool force)
{
    int64_t now = cqe_mono_ms();
    if (!w->wm || (!force && now - w->wm_at_ms < METRICS_EVERY_MS))
        return;
    w->wm_at_ms = now;
    struct cqe_wm_view v;
    memset(&v, 0, sizeof v);
    v.phase = *w->stop ? CQE_WM_STOPPING : CQE_WM_RUNNING;
    v.consumed = w->msgs;
    v.applied = w->applied;
    v.duplicates = w->duplicates;
    memcpy(v.dead_letters, w->by_reason, sizeof v.dead_letters);
    v.stale = w->stale;
    v.lost = w->lost;
    v.resets = w->resets;
    v.unpublished = cqe_dead_letter_kafka_unpublished(w->dlk);
    v.flush_failures = w->flush_failures;
    v.flush = w->flush_hist;
    cqe_redis_health(w->r, &v.redis);
    v.redis_paused = w->redis_paused;
    v.outputs = w->em != NULL;
    if (w->em) {
        struct cqe_emitter_stats es;
        cqe_emitter_stats(w->em, &es);
        v.out_holder = es.holder;
        v.out_blocked = cqe_emitter_blocked(w->em);
        v.out_passes = es.passes;
        v.out_ticks = es.ticks;
        v.out_snapshots = es.snapshots;
        v.out_alerts = es.alerts;
        v.out_redis_errors = es.redis_errors;
        v.out_redis_retries = es.redis_retries;
    }
    v.parts = w->wm_parts;
    for (int i = 0; w->parts && i < w->n_parts; i++) {
        struct part *p = &w->parts[i];
        if (!p->active)
            continue;
        v.applied += p->st.at_flush.applied;
        v.duplicates += p->st.at_flush.duplicates;
        for (int r = 0; r < CQE_R__COUNT; r++)
            v.dead_letters[r] += p->st.at_flush.by_reason[r];
        int64_t hi = w->src ? cqe_kafka_source_high(w->src, p->topic, p->partition) : -1;
        int64_t pos = p->st.pos >= 0 ? p->st.pos : 0;
        v.parts[v.n_parts++] = (struct cqe_wm_part){p->topic_i, p->partition,
                                                    hi < 0     ? -1
                                                    : hi > pos ? hi - pos
                                                               : 0};
    }
    v.held = (int)v.n_parts;
    cqe_worker_metrics_publish(w->wm, &v);
}

/* ---- setup ---- */

static int connect_redis(struct worker *w, const struct cqe_worker_conf *c, struct cqe_err *err)
{
    struct cqe_redis_conf rconf = c->cfg->redis;
    if (c->state_url)
        rconf.url = (char *)c->state_url;
    if (!rconf.url)
        return cqe_err_set(err, CQE_ECONFIG,
                           "no Redis state: give --state redis://HOST:PORT/DB or redis.url");
    /* a worker may start before Redis, so wait for it; refused credentials are final */
    for (int64_t backoff = 200, tries = 0; cqe_redis_connect(&rconf, &w->r, err); tries++) {
        if (err->code == CQE_ECONFIG || err->code == CQE_ENOMEM || err->code == CQE_EDENIED || *w->stop)
            return err->code < 0 ? err->code : CQE_EIO;
        if (!tries)
            fprintf(stderr, "run: waiting for Redis: %s\n", err->msg);
        cqe_worker_metrics_beat(w->wm);
        cqe_sleep_ms(backoff);
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
    /* a flush gives control back after a while, so the group is still served */
    cqe_redis_set_retry(w->r, FLUSH_RETRY_MS);
    return 0;
}

static int open_dead_letters(struct worker *w, const struct cqe_worker_conf *c, struct cqe_err *err)
{
    int rc = cqe_dead_letters_open(c->dead_letter_path, c->cfg->utc_offset_min, &w->dlq, err);
    if (rc || !c->dead_letter_topic)
        return rc;
    char fallback[64];
    snprintf(fallback, sizeof fallback, "dead_letters_unpublished.%ld.ndjson", (long)getpid());
    struct cqe_dead_letter_kafka_conf kc = {.kafka = c->cfg->kafka,
                                            .bootstrap = c->bootstrap,
                                            .topic = cqe_config_topic(c->cfg, "dead_letters"),
                                            .raw_max = (size_t)c->cfg->dead_letter_raw_max,
                                            .utc_offset_min = c->cfg->utc_offset_min,
                                            /* with a file, every record is there already */
                                            .fallback_path = c->dead_letter_path ? NULL : fallback};
    return cqe_dead_letter_kafka_open(&kc, &w->dlk, err);
}

/* Splits the Redis state over every partition of the input topics, as Redis records it. */
static int open_partitions(struct worker *w, struct cqe_err *err)
{
    for (size_t i = 0; i < w->n_topics; i++) {
        int n = cqe_kafka_partitions(cqe_kafka_source_handle(w->src), w->topics[i], 60000, err);
        if (n < 0)
            return n;
        w->bases[i] = w->n_parts;
        w->counts[i] = n;
        w->n_parts += n;
    }
    struct cqe_kafka_pos *commits = realloc(w->commits, (size_t)w->n_parts * sizeof *commits);
    if (commits) /* on failure the old block stays w->commits, freed at the end */
        w->commits = commits;
    if (!commits || !(w->parts = calloc((size_t)w->n_parts, sizeof *w->parts)) ||
        (w->wm && !(w->wm_parts = calloc((size_t)w->n_parts, sizeof *w->wm_parts))))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    for (size_t i = 0; i < w->n_topics; i++)
        for (int k = 0; k < w->counts[i]; k++)
            w->parts[w->bases[i] + k] = (struct part){
                .st = {.index = w->bases[i] + k}, .topic = w->topics[i], .topic_i = (int)i, .partition = k};
    return cqe_redis_claim_partitions(w->r, CQE_REDIS_NS, w->n_parts, err);
}

/* Stopping: flushes every partition within STOP_WAIT_MS (what stays unflushed is
 * consumed again by the next owner). Returns 0, or CQE_EUNAVAIL naming the partitions
 * left unflushed. */
static int flush_last(struct worker *w, struct cqe_err *err)
{
    int64_t t0 = cqe_mono_ms();
    char names[400] = "";
    size_t used = 0;
    int left = 0;
    for (;;) {
        bool pending = false;
        flush_due(w, true);
        for (int i = 0; i < w->n_parts; i++)
            pending |= w->parts[i].active && w->parts[i].st.since > 0;
        if (!pending || w->fatal)
            return 0;
        if (cqe_mono_ms() - t0 >= STOP_WAIT_MS)
            break;
        cqe_worker_metrics_beat(w->wm);
        cqe_sleep_ms(500);
    }
    for (int i = 0; i < w->n_parts; i++) {
        struct part *p = &w->parts[i];
        if (!p->active || !p->st.since)
            continue;
        int k = snprintf(names + used, sizeof names - used, "%s%s [%d]", left ? ", " : "", p->topic,
                         (int)p->partition);
        if (k > 0 && (size_t)k < sizeof names - used)
            used += (size_t)k;
        else
            names[used] = '\0'; /* the count below still says how many */
        left++;
    }
    w->no_flush = true; /* leave the group without waiting on Redis again */
    return cqe_err_set(
        err, CQE_EUNAVAIL,
        "Redis did not take the last flushes of %d partition(s), not flushed: %s; the next owner "
        "re-reads them from the offsets stored in Redis",
        left, names);
}

int cqe_worker_run(const struct cqe_worker_conf *c, volatile sig_atomic_t *stop, struct cqe_err *err)
{
    struct worker w;
    rd_kafka_message_t **batch = NULL;
    int rc = 0;
    memset(&w, 0, sizeof w);
    w.cfg = c->cfg;
    w.stop = stop;
    w.flush_every = c->flush_every;
    w.flush_ms = c->flush_ms;
    w.wm = c->metrics;
    for (size_t i = 0; i < c->n_topics && i < CQE_WORKER_MAX_TOPICS; i++)
        w.topics[w.n_topics++] = c->topics[i];
    for (size_t i = 0; !c->n_topics && i < CQE_WORKER_MAX_TOPICS && cqe_config_input_topic(c->cfg, i); i++)
        w.topics[w.n_topics++] = cqe_config_input_topic(c->cfg, i);
    if (!(batch = calloc(BATCH_MAX, sizeof *batch)) || !(w.commits = calloc(1, sizeof *w.commits))) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = connect_redis(&w, c, err)) || (rc = cqe_fault_from_env(w.r, &w.fault_after, err)) ||
        (rc = open_dead_letters(&w, c, err)))
        goto out;
    struct cqe_kafka_source_conf sc = {.kafka = c->cfg->kafka,
                                       .bootstrap = c->bootstrap,
                                       .group = c->group,
                                       .topics = w.topics,
                                       .n_topics = w.n_topics,
                                       .ops = {hook_assign, hook_revoke, &w},
                                       .stop = stop,
                                       .quiet = c->quiet};
    if ((rc = cqe_kafka_source_open(&sc, &w.src, err)) || (rc = open_partitions(&w, err)))
        goto out;
    if (w.wm && cqe_worker_metrics_topics(w.wm, w.topics, w.n_topics)) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    /* news of down time is flushed within a second (4 passes) when this worker emits */
    w.alert_flush_ms = c->model ? 4 * c->cfg->alert_pass_ms : INT64_MAX / 4;
    if (c->model) {
        struct cqe_emitter_conf ec = {.cfg = c->cfg,
                                      .model = c->model,
                                      .state_url = c->state_url,
                                      .bootstrap = c->bootstrap,
                                      .n_parts = w.n_parts,
                                      .kafka = c->output_topics,
                                      .pass_ms = c->cfg->alert_pass_ms};
        if ((rc = cqe_emitter_open(&ec, &w.em, err)) || (rc = cqe_emitter_start(w.em, err)))
            goto out;
    }
    if (!c->quiet)
        fprintf(stderr, "run: consuming %s%s (%d partitions) as group member; state in Redis (%s)\n",
                w.topics[0], w.n_topics > 1 ? " and more" : "", w.n_parts, CQE_REDIS_NS);

    struct cqe_progress prog;
    int64_t last_commit_ms = cqe_mono_ms();
    cqe_progress_start(&prog, c->progress_s);
    while (!*stop && !w.fatal) {
        int n = cqe_kafka_source_poll(w.src, batch, BATCH_MAX, POLL_MS, err);
        prefetch_clear(&w); /* a rebalance runs inside the poll */
        if (n < 0) {
            set_fatal(&w, err);
            break;
        }
        bool out = w.paused; /* Redis out: no flush before flush_due's */
        for (int i = 0; i < n && !w.fatal; i++) {
            if ((rc = consume_one(&w, batch[i], err)))
                set_fatal(&w, err);
            /* a full partition flushes at once, keeping memory bounded */
            struct part *p = part_of(&w, rd_kafka_topic_name(batch[i]->rkt), batch[i]->partition);
            if (!w.fatal && !out && !*stop && p && p->active && p->st.since >= w.flush_every && !p->failing) {
                if ((rc = flush_part(&w, p, err)) == 0)
                    continue;
                p->failing = out = true; /* retried (or reset) by flush_due below */
                fprintf(stderr, "run: %s [%d]: flush failed: %s\n", p->topic, (int)p->partition, err->msg);
            }
        }
        cqe_kafka_source_release(batch, (size_t)n);
        int64_t pending = 0;
        for (int i = 0; i < w.n_parts; i++)
            pending += w.parts[i].active ? w.parts[i].st.since : 0;
        flush_due(&w, pending >= c->cfg->max_pending_events); /* max_pending_events: flush all */
        retention_refresh(&w);
        late_refresh(&w);
        struct cqe_err eerr = {0};
        if (cqe_emitter_failed(w.em, &eerr)) {
            fprintf(stderr, "run: output role: %s\n", eerr.msg);
            set_fatal(&w, &eerr);
        }
        if (cqe_mono_ms() - last_commit_ms >= 2000) {
            recommit(&w);
            last_commit_ms = cqe_mono_ms();
        }
        if (!c->quiet && cqe_progress_due(&prog)) {
            struct cqe_run_totals t;
            totals(&w, &t);
            cqe_progress_line(&prog, &t, stderr);
        }
        cqe_worker_metrics_beat(w.wm);
        publish_metrics(&w, false);
    }
    cqe_worker_metrics_phase(w.wm, CQE_WM_STOPPING);
    rc = 0;
    if (!w.fatal)
        rc = flush_last(&w, err);
    if (w.em) { /* everything consumed is in Redis: the role's last tick sees it */
        struct cqe_err eerr = {0};
        if (cqe_emitter_stop(w.em, !w.fatal && !rc, &eerr))
            fprintf(stderr, "run: output: %s\n", eerr.msg);
    }
    if (w.fatal) {
        rc = w.fatal;
        *err = w.fatal_err;
        w.no_flush = true; /* Redis keeps the last consistent state; the next owner resumes there */
    }
out:
    if (rc)
        w.no_flush = true;
    if (w.src) {
        struct cqe_run_totals t;
        cqe_kafka_source_close(w.src); /* revoke hooks flush what is left and drop the partitions */
        w.src = NULL;
        totals(&w, &t);
        if (!c->quiet || rc)
            cqe_progress_summary(&t, stderr);
    }
    for (int i = 0; w.parts && i < w.n_parts; i++)
        part_drop(&w, &w.parts[i]);
    prefetch_clear(&w);
    if (w.wm && w.parts) { /* the last counts; nothing is held any more */
        publish_metrics(&w, true);
        cqe_worker_metrics_phase(w.wm, CQE_WM_STOPPING);
    }
    free(w.pre_pos);
    free(w.parts);
    free(w.wm_parts);
    free(w.commits);
    free(batch);
    struct cqe_err cerr = {0};
    if (w.em) {
        struct cqe_err eerr = {0};
        cqe_emitter_stop(w.em, false, &eerr); /* no-op when stopped above */
        cqe_emitter_close(w.em, DEAD_LETTER_WAIT_MS);
    }
    if (cqe_dead_letter_kafka_close(w.dlk, DEAD_LETTER_WAIT_MS, &cerr))
        fprintf(stderr, "run: %s\n", cerr.msg);
    cqe_dead_letters_close(w.dlq, NULL);
    cqe_redis_free(w.r);
    return rc;
}
