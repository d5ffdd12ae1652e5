/* The stream worker's progress and summary lines (see progress.h). */
#include "progress.h"

#include "clock.h"

void cqe_progress_start(struct cqe_progress *p, int64_t every_s)
{
    p->every_ms = every_s * 1000;
    p->last_ms = cqe_mono_ms();
    p->last_msgs = 0;
}

bool cqe_progress_due(const struct cqe_progress *p)
{
    return cqe_mono_ms() - p->last_ms >= p->every_ms;
}

static double per_1000(int64_t cmds, int64_t msgs)
{
    return msgs ? 1000.0 * (double)cmds / (double)msgs : 0.0;
}

void cqe_progress_line(struct cqe_progress *p, const struct cqe_run_totals *t, FILE *f)
{
    int64_t now = cqe_mono_ms();
    double secs = (double)(now - p->last_ms) / 1000.0;
    fprintf(f,
            "run: %lld events (%.0f/s), lag %lld, %d partition(s), %lld applied, %lld duplicates, "
            "%lld dead letters, %lld flushes, %.1f redis cmds/1k events%s%s%s\n",
            (long long)t->msgs, secs > 0 ? (double)(t->msgs - p->last_msgs) / secs : 0.0, (long long)t->lag,
            t->held, (long long)t->applied, (long long)t->duplicates, (long long)t->dead_letters,
            (long long)t->flushes, per_1000(t->redis_commands, t->msgs), t->paused ? ", PAUSED (Redis)" : "",
            t->lost ? ", DATA LOST" : "", t->out_blocked ? ", PAUSED (outputs)" : "");
    if (t->out_holder)
        fprintf(f,
                "run: output role: %lld ticks, %lld snapshots (%lld revised), %lld alert records; last pass "
                "%lld ms\n",
                (long long)t->out_ticks, (long long)t->out_snapshots, (long long)t->out_revised,
                (long long)t->out_alerts, (long long)t->out_last_pass_ms);
    p->last_ms = now;
    p->last_msgs = t->msgs;
}

void cqe_progress_summary(const struct cqe_run_totals *t, FILE *f)
{
    fprintf(f,
            "{\"kind\":\"run_summary\",\"events\":%lld,\"applied\":%lld,\"duplicates\":%lld,"
            "\"dead_letters\":%lld,\"dead_letters_unpublished\":%lld,\"stale\":%lld,\"lost\":%lld,"
            "\"flushes\":%lld,\"resets\":%lld,\"redis_commands\":%lld,\"commands_per_1000_events\":%.1f,"
            "\"incident_pending_limit\":%lld,\"output\":{\"passes\":%lld,\"ticks\":%lld,\"snapshots\":%lld,"
            "\"revised\":%lld,\"alerts\":%lld,\"delivered_kafka\":%lld,\"delivered_files\":%lld,"
            "\"last_pass_ms\":%lld,\"pass_ms_total\":%lld}}\n",
            (long long)t->msgs, (long long)t->applied, (long long)t->duplicates, (long long)t->dead_letters,
            (long long)t->unpublished, (long long)t->stale, (long long)t->lost, (long long)t->flushes,
            (long long)t->resets, (long long)t->redis_commands, per_1000(t->redis_commands, t->msgs),
            (long long)t->pending_refused, (long long)t->out_passes, (long long)t->out_ticks,
            (long long)t->out_snapshots, (long long)t->out_revised, (long long)t->out_alerts,
            (long long)t->out_kafka, (long long)t->out_files, (long long)t->out_last_pass_ms,
            (long long)t->out_pass_ms_total);
}
