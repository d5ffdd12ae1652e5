/* The published copy of the stream worker's counters (see worker_metrics.h): one lock,
 * taken by the loop a few times a second and by each HTTP request, never per event. */
#include "worker_metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "worker_metrics_text.h"

const double cqe_wm_flush_le[CQE_WM_FLUSH_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};

struct cqe_worker_metrics {
    pthread_mutex_t mu;      /* guards view, parts_cap and topics */
    struct cqe_wm_view view; /* view.parts owned, parts_cap of them allocated */
    size_t parts_cap;
    char **topics; /* owned */
    size_t n_topics;
    atomic_llong beat_ms; /* monotonic ms of the loop's last beat */
};

void cqe_wm_hist_add(struct cqe_wm_hist *h, double seconds)
{
    size_t i = 0;
    while (i < CQE_WM_FLUSH_BUCKETS && seconds > cqe_wm_flush_le[i])
        i++;
    h->counts[i]++;
    h->sum += seconds;
}

struct cqe_worker_metrics *cqe_worker_metrics_new(void)
{
    struct cqe_worker_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    pthread_mutex_init(&m->mu, NULL);
    m->view.phase = CQE_WM_STARTING;
    atomic_store(&m->beat_ms, cqe_mono_ms());
    return m;
}

void cqe_worker_metrics_free(struct cqe_worker_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_topics; i++)
        free(m->topics[i]);
    free(m->topics);
    free(m->view.parts);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

int cqe_worker_metrics_topics(struct cqe_worker_metrics *m, const char *const *topics, size_t n)
{
    char **names = calloc(n ? n : 1, sizeof *names);
    if (!names)
        return CQE_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!(names[i] = strdup(topics[i]))) {
            while (i--)
                free(names[i]);
            free(names);
            return CQE_ENOMEM;
        }
    }
    pthread_mutex_lock(&m->mu);
    char **old = m->topics;
    size_t n_old = m->n_topics;
    m->topics = names;
    m->n_topics = n;
    pthread_mutex_unlock(&m->mu);
    for (size_t i = 0; i < n_old; i++)
        free(old[i]);
    free(old);
    return 0;
}

void cqe_worker_metrics_publish(struct cqe_worker_metrics *m, const struct cqe_wm_view *v)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    struct cqe_wm_part *parts = m->view.parts;
    if (v->n_parts > m->parts_cap) {
        struct cqe_wm_part *grown = realloc(parts, v->n_parts * sizeof *grown);
        if (grown) {
            parts = grown;
            m->parts_cap = v->n_parts;
        }
    }
    m->view = *v;
    m->view.parts = parts;
    m->view.n_parts = v->n_parts <= m->parts_cap ? v->n_parts : 0;
    if (m->view.n_parts)
        memcpy(parts, v->parts, m->view.n_parts * sizeof *parts);
    pthread_mutex_unlock(&m->mu);
}

void cqe_worker_metrics_phase(struct cqe_worker_metrics *m, enum cqe_wm_phase phase)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    m->view.phase = phase;
    pthread_mutex_unlock(&m->mu);
}

void cqe_worker_metrics_beat(struct cqe_worker_metrics *m)
{
    if (m)
        atomic_store(&m->beat_ms, cqe_mono_ms());
}

int64_t cqe_worker_metrics_beat_age_ms(struct cqe_worker_metrics *m)
{
    return cqe_mono_ms() - (int64_t)atomic_load(&m->beat_ms);
}

void cqe_worker_metrics_read(struct cqe_worker_metrics *m, struct cqe_wm_view *out)
{
    pthread_mutex_lock(&m->mu);
    *out = m->view;
    out->parts = out->n_parts ? malloc(out->n_parts * sizeof *out->parts) : NULL;
    if (out->parts)
        memcpy(out->parts, m->view.parts, out->n_parts * sizeof *out->parts);
    else
        out->n_parts = 0;
    pthread_mutex_unlock(&m->mu);
}

void cqe_wm_view_fini(struct cqe_wm_view *v)
{
    free(v->parts);
    v->parts = NULL;
    v->n_parts = 0;
}

char *cqe_worker_metrics_text(struct cqe_worker_metrics *m, size_t *len)
{
    struct cqe_wm_view v;
    cqe_worker_metrics_read(m, &v);
    /* the names are set before the loop runs and freed only with m */
    pthread_mutex_lock(&m->mu);
    const char *const *topics = (const char *const *)m->topics;
    size_t n_topics = m->n_topics;
    pthread_mutex_unlock(&m->mu);
    char *text = cqe_wm_render(&v, topics, n_topics, len);
    cqe_wm_view_fini(&v);
    return text;
}
