/* Unit tests of the worker's metrics: flush latencies into the histogram's buckets (a
 * value on a bound belongs to that bucket, as Prometheus' "le" says), the histogram's
 * text, and a rendered view (every family cloudqe_*, lag only where known). */
#include <stdlib.h>
#include <string.h>

#include "prom_text.h"
#include "unit.h"
#include "worker_metrics.h"
#include "worker_metrics_text.h"

CQE_TEST(worker_metrics_hist_buckets)
{
    struct cqe_wm_hist h = {0};
    cqe_wm_hist_add(&h, 0.001);  /* on the first bound: bucket 0 */
    cqe_wm_hist_add(&h, 0.0011); /* bucket 1 (<= 0.0025) */
    cqe_wm_hist_add(&h, 10);     /* the last bound */
    cqe_wm_hist_add(&h, 11);     /* above every bound */
    CHECK(h.counts[0] == 1 && h.counts[1] == 1);
    CHECK(h.counts[CQE_WM_FLUSH_BUCKETS - 1] == 1 && h.counts[CQE_WM_FLUSH_BUCKETS] == 1);
    CHECK(h.sum > 21.0021 - 1e-9 && h.sum < 21.0021 + 1e-9);
}

CQE_TEST(prom_histogram_text)
{
    static const double le[2] = {0.005, 1};
    static const uint64_t counts[3] = {2, 0, 1};
    struct cqe_prom p;
    cqe_prom_init(&p);
    cqe_prom_histogram(&p, "cloudqe_x_seconds", "X.", le, counts, 2, 1.5);
    size_t len;
    char *t = cqe_prom_take(&p, &len);
    const char *want = "# HELP cloudqe_x_seconds X.\n# TYPE cloudqe_x_seconds histogram\n"
                       "cloudqe_x_seconds_bucket{le=\"0.005\"} 2\n"
                       "cloudqe_x_seconds_bucket{le=\"1\"} 2\n"
                       "cloudqe_x_seconds_bucket{le=\"+Inf\"} 3\n"
                       "cloudqe_x_seconds_sum 1.5\n"
                       "cloudqe_x_seconds_count 3\n";
    CHECK(t && !strcmp(t, want));
    free(t);
}

CQE_TEST(worker_metrics_render)
{
    struct cqe_wm_part parts[2] = {{0, 3, 7}, {0, 4, -1}};
    struct cqe_wm_view v = {.consumed = 5, .applied = 3, .held = 2, .parts = parts, .n_parts = 2};
    v.dead_letters[CQE_R_BAD_TYPE] = 2;
    static const char *const topics[] = {"ev\"ents"};
    size_t len;
    char *t = cqe_wm_render(&v, topics, 1, &len);
    CHECK(t != NULL);
    if (!t)
        return;
    CHECK(strstr(t, "cloudqe_events_consumed_total 5\n"));
    CHECK(strstr(t, "cloudqe_dead_letters_total{reason=\"bad_type\"} 2\n"));
    CHECK(strstr(t, "cloudqe_consumer_lag{topic=\"ev\\\"ents\",partition=\"3\"} 7\n"));
    CHECK(!strstr(t, "partition=\"4\""));       /* no watermark yet: no series */
    CHECK(!strstr(t, "connection=\"output\"")); /* no output role */
    for (const char *l = t; *l; l = strchr(l, '\n') + 1) {
        CHECK(!strncmp(l, "# HELP cloudqe_", 15) || !strncmp(l, "# TYPE cloudqe_", 15) ||
              !strncmp(l, "cloudqe_", 8));
        if (!strchr(l, '\n'))
            break;
    }
    free(t);
}
