/* The stream worker's /metrics text: a published view (worker_metrics.h) in the Prometheus
 * text format, every family named cloudqe_* with HELP and TYPE (docs/operating.md lists
 * them). */
#ifndef CQE_WORKER_METRICS_TEXT_H
#define CQE_WORKER_METRICS_TEXT_H

#include <stddef.h>

#include "worker_metrics.h"

/* Renders v (borrowed; its partitions name topics[i], borrowed). Returns the text,
 * malloc'ed, with its length in *len, or NULL when out of memory. Any thread. */
char *cqe_wm_render(const struct cqe_wm_view *v, const char *const *topics, size_t n_topics, size_t *len);

#endif
