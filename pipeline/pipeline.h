/* The per-stream pipeline shared by replay and the stream workers: decode one message,
 * dead-letter it or drop it as a duplicate, else apply it to the state store, counting
 * every outcome so that applied + duplicates + dead letters = messages read. */
#ifndef CQE_PIPELINE_H
#define CQE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apply.h"
#include "config.h"
#include "dead_letter.h"
#include "dedup.h"
#include "event.h"
#include "incident_gate.h"

struct cqe_pipeline_counts {
    int64_t read, applied, duplicates, dead_letters;
    int64_t by_type[CQE_T__COUNT];
    int64_t by_reason[CQE_R__COUNT];
    int64_t max_ts;
};

struct cqe_pipeline {
    const struct cqe_config *cfg; /* borrowed */
    struct cqe_dead_letters *dlq; /* borrowed; may count only */
    struct cqe_dedup *dedup;      /* owned */
    struct cqe_igate *igate;      /* owned: the bound on incidents never opened */
    struct cqe_store **stores;    /* borrowed; applied events go round-robin */
    size_t n_stores;
    struct cqe_apply_ctx *apply; /* one per store, owned */
    struct cqe_pipeline_counts counts;
    int64_t archived_before;        /* retention: events before it are dead-lettered; 0 = none */
    int64_t late_from, late_before; /* events in [from, before) are late: their months were
                                       emitted already (outputs.md counters); 0, 0 = none */
    bool down_news;                 /* an applied event may change a service's down time (alerts) */
    int last_reason;                /* the reason and detail of the last dead letter, for publishing */
    char last_detail[320];
};

/* Sets up a pipeline over stores (borrowed, at least one). Returns 0 or CQE_ENOMEM. */
int cqe_pipeline_init(struct cqe_pipeline *pl, const struct cqe_config *cfg, struct cqe_dead_letters *dlq,
                      struct cqe_store **stores, size_t n_stores);
void cqe_pipeline_fini(struct cqe_pipeline *pl);

/* Handles one message. `reason_hint` is CQE_R_NONE, or CQE_R_TOO_LARGE / CQE_R_JSON_SYNTAX
 * when the reader already knows the message is refused (detail then says why).
 * Returns 0, or a negative cqe_rc when the dead-letter output or memory failed. */
int cqe_pipeline_feed(struct cqe_pipeline *pl, const char *buf, size_t n, const struct cqe_origin *origin,
                      int reason_hint, const char *detail, int64_t now_ms, struct cqe_err *err);

/* The tail of cqe_pipeline_feed for an event the caller already decoded (borrowed), from
 * the message (buf, n) at origin: a period retention archived (a dead letter,
 * period_archived), dedup, the bound on incidents never opened (an event
 * beyond it is a dead letter, incident_pending_limit), then apply. The caller has
 * counted the message in counts.read. */
int cqe_pipeline_feed_event(struct cqe_pipeline *pl, const struct cqe_event *ev, const char *buf, size_t n,
                            const struct cqe_origin *origin, int64_t now_ms, struct cqe_err *err);

#endif
