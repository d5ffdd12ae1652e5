/* The stream worker's /metrics text (see worker_metrics_text.h): one family per number,
 * in the order docs/operating.md ("Monitoring") lists them. */
#include "worker_metrics_text.h"

#include <stdio.h>

#include "prom_text.h"
#include "version.h"

static void counter(struct cqe_prom *p, const char *name, const char *help, int64_t v)
{
    cqe_prom_counter(p, name, help, v > 0 ? (uint64_t)v : 0);
}

static void by_connection(struct cqe_prom *p, const char *name, const char *help, int64_t worker,
                          int64_t output, bool outputs)
{
    cqe_prom_family(p, name, "counter", help);
    cqe_prom_sample(p, name, (double)worker, "connection", "worker", (const char *)NULL);
    if (outputs)
        cqe_prom_sample(p, name, (double)output, "connection", "output", (const char *)NULL);
}

static void lag(struct cqe_prom *p, const struct cqe_wm_view *v, const char *const *topics, size_t n_topics)
{
    cqe_prom_family(p, "cloudqe_consumer_lag", "gauge",
                    "Messages of a held partition not consumed yet: the log-end offset (high watermark) "
                    "minus the next offset to consume.");
    for (size_t i = 0; i < v->n_parts; i++) {
        const struct cqe_wm_part *x = &v->parts[i];
        if (x->lag < 0 || x->topic < 0 || (size_t)x->topic >= n_topics)
            continue; /* no watermark seen yet */
        char part[16];
        snprintf(part, sizeof part, "%d", (int)x->partition);
        cqe_prom_sample(p, "cloudqe_consumer_lag", (double)x->lag, "topic", topics[x->topic], "partition",
                        part, (const char *)NULL);
    }
}

char *cqe_wm_render(const struct cqe_wm_view *v, const char *const *topics, size_t n_topics, size_t *len)
{
    struct cqe_prom p;
    cqe_prom_init(&p);
    cqe_prom_family(&p, "cloudqe_build_info", "gauge", "Always 1; the version of this cloudqe.");
    cqe_prom_sample(&p, "cloudqe_build_info", 1, "version", CQE_VERSION, (const char *)NULL);
    counter(&p, "cloudqe_events_consumed_total",
            "Messages consumed from Kafka by this process (a message consumed again after a rebalance "
            "or a reload counts again).",
            v->consumed);
    counter(&p, "cloudqe_events_applied_total",
            "Events applied to the state, counted when their partition's flush reached Redis.", v->applied);
    counter(&p, "cloudqe_duplicates_total",
            "Events dropped as duplicates of an id already applied, counted when flushed to Redis.",
            v->duplicates);
    cqe_prom_family(&p, "cloudqe_dead_letters_total", "counter",
                    "Messages refused by the decoder or the pipeline, by reason code (docs/spec/outputs.md), "
                    "counted when flushed to Redis.");
    for (int r = CQE_R_NONE + 1; r < CQE_R__COUNT; r++)
        cqe_prom_sample(&p, "cloudqe_dead_letters_total", (double)v->dead_letters[r], "reason",
                        cqe_reason_name((enum cqe_reason)r), (const char *)NULL);
    counter(&p, "cloudqe_dead_letters_unpublished_total",
            "Dead letters the dead-letter topic never took (written to the fallback file instead).",
            v->unpublished);
    counter(&p, "cloudqe_stale_messages_total",
            "Messages fetched for a partition no longer held, or below its stored position: skipped.",
            v->stale);
    counter(&p, "cloudqe_data_lost_messages_total",
            "Messages Kafka deleted (retention) before this worker applied them: data loss.", v->lost);
    counter(&p, "cloudqe_partition_reloads_total",
            "Partitions reloaded from Redis after Redis refused a flush (another writer, lost state).",
            v->resets);
    cqe_prom_gauge(&p, "cloudqe_assigned_partitions", "Input partitions this worker holds.", v->held);
    lag(&p, v, topics, n_topics);
    cqe_prom_histogram(&p, "cloudqe_flush_duration_seconds",
                       "Time of one partition flush to Redis (one script call: deltas, offset, ids), "
                       "successful flushes only.",
                       cqe_wm_flush_le, v->flush.counts, CQE_WM_FLUSH_BUCKETS, v->flush.sum);
    counter(&p, "cloudqe_flush_failures_total",
            "Flushes that failed (Redis out, refused); each is retried or the partition reloaded.",
            v->flush_failures);
    by_connection(&p, "cloudqe_redis_errors_total",
                  "Redis operations' failed attempts (connection lost, timeout, loading, busy, refused), "
                  "by connection: the worker's flushes, or the output role's.",
                  v->redis.errors, v->out_redis_errors, v->outputs);
    by_connection(&p, "cloudqe_redis_retries_total",
                  "Redis attempts repeated after a backoff, by connection.", v->redis.retries,
                  v->out_redis_retries, v->outputs);
    cqe_prom_family(&p, "cloudqe_paused", "gauge",
                    "1 while consumption is paused, by cause: Redis refuses or cannot take flushes, or an "
                    "output (Kafka topic, lake files) fails.");
    cqe_prom_sample(&p, "cloudqe_paused", v->redis_paused, "cause", "redis", (const char *)NULL);
    cqe_prom_sample(&p, "cloudqe_paused", v->out_blocked, "cause", "outputs", (const char *)NULL);
    cqe_prom_gauge(&p, "cloudqe_output_role",
                   "1 while this worker holds the output role (snapshots, alerts).", v->out_holder);
    counter(&p, "cloudqe_output_passes_total",
            "Passes of the output role over changed state, by this worker.", v->out_passes);
    counter(&p, "cloudqe_snapshot_ticks_total", "Snapshot ticks this worker decided while holding the role.",
            v->out_ticks);
    counter(&p, "cloudqe_snapshot_records_total",
            "Snapshot records (platform, service, department) decided by this worker while holding the role.",
            v->out_snapshots);
    counter(&p, "cloudqe_alert_records_total",
            "Alert records (firing and resolved) decided by this worker while holding the role.",
            v->out_alerts);
    return cqe_prom_take(&p, len);
}
