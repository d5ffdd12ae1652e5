/* Evidence: the items behind each leaf's value (services and their down intervals,
 * late tickets, drills, assets, ...), recorded by the figure code itself at the point
 * where it counts them, so the evidence always adds up to the figure (`cloudqe explain`).
 * Items are JSON objects (Jansson, kept behind void *), one array per leaf. */
#ifndef CQE_EVIDENCE_H
#define CQE_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "figures.h"

struct cqe_evidence {
    void *items[CQE_LEAF__COUNT];        /* json_t arrays, owned */
    void *summary[CQE_LEAF__COUNT];      /* json_t objects, owned: the counts on each side */
    void *distribution[CQE_LEAF__COUNT]; /* json_t objects, owned, or NULL: how the value spreads */
    const struct cqe_view *view;         /* borrowed: names of providers, months' offset */
    int offset_min;                      /* for the times items carry */
    int rc;                              /* the first error (CQE_ENOMEM), sticky */
    int only; /* the one leaf recorded (an enum cqe_leaf), or CQE_LEAF__COUNT: every leaf */
};

/* Empty evidence over view v (borrowed), recording every leaf (set `only` to record
 * one); returns 0 or CQE_ENOMEM. Release with cqe_evidence_fini (either way). */
int cqe_evidence_init(struct cqe_evidence *ev, const struct cqe_view *v);
void cqe_evidence_fini(struct cqe_evidence *ev);

/* Whether leaf l's evidence is recorded (false when ev is NULL): the figure code skips
 * the work of a leaf nobody asked about. */
bool cqe_ev_wants(const struct cqe_evidence *ev, enum cqe_leaf l);

/* Appends an item {kind, id, side} to leaf l (id may be NULL: no "id"; id_len is its
 * length). `against` marks an item that keeps the leaf from its best value; its
 * "effect" is set later by cqe_ev_effects. Returns the item (borrowed, owned by ev) or
 * NULL on ENOMEM (ev->rc set) or when ev is NULL; every setter below accepts a NULL
 * item. */
void *cqe_ev_item(struct cqe_evidence *ev, enum cqe_leaf l, const char *kind, const char *id, size_t id_len,
                  const char *side, bool against);
/* The summary object of leaf l (borrowed), for counts such as {"on_time": 12, "late": 2}. */
void *cqe_ev_summary(struct cqe_evidence *ev, enum cqe_leaf l);

/* The distribution object of leaf l (borrowed, owned by ev; created on first use): what
 * the value is made of as a whole (utilization: the time weight by band), not an item and
 * without effect. NULL when ev is NULL or on ENOMEM (ev->rc set). */
void *cqe_ev_distribution(struct cqe_evidence *ev, enum cqe_leaf l);

/* A nested item appended to the array `key` of item parent (created on first use). */
void *cqe_ev_sub(struct cqe_evidence *ev, void *parent, const char *key, const char *kind, const char *id,
                 size_t id_len);

void cqe_ev_num(struct cqe_evidence *ev, void *item, const char *key, double v);
void cqe_ev_int(struct cqe_evidence *ev, void *item, const char *key, int64_t v);
void cqe_ev_str(struct cqe_evidence *ev, void *item, const char *key, const char *s);
void cqe_ev_bool(struct cqe_evidence *ev, void *item, const char *key, bool b);
/* An instant as RFC 3339 in the evaluation offset. */
void cqe_ev_time(struct cqe_evidence *ev, void *item, const char *key, int64_t ms);
/* A value that may be absent (null). */
void cqe_ev_opt(struct cqe_evidence *ev, void *item, const char *key, struct cqe_opt o);

/* Adds 1 to the count `side` of leaf l's summary. */
void cqe_ev_tally(struct cqe_evidence *ev, enum cqe_leaf l, const char *side);

/* One item judged against a deadline (tickets, incidents, vulnerabilities): tallied by
 * side; late and pending ones listed as {kind, id, side, start, deadline_s, elapsed_s,
 * overrun_s (late only)}, late ones against the leaf. Returns the item or NULL. */
void *cqe_ev_deadline(struct cqe_evidence *ev, enum cqe_leaf l, const char *kind, const char *id,
                      const char *side, int64_t start_ms, int64_t deadline_ms, int64_t elapsed_ms);

/* Per-month counts of an aggregate family (feedback, audit, backups): adds a's sum to
 * the field `key` of leaf l's item {kind "month", id "YYYY-MM", provider}. */
void cqe_ev_month_count(struct cqe_evidence *ev, enum cqe_leaf l, const struct cqe_agg *a, const char *key);
/* Then, per month item: against when good_key < all_key, effect (all - good) / total. */
void cqe_ev_month_effects(struct cqe_evidence *ev, enum cqe_leaf l, const char *all_key, const char *good_key,
                          double total);

/* Sets "effect" on every item of leaf l: `per_item` on those marked against, 0 on the
 * others (items that already carry an effect keep it). */
void cqe_ev_effects(struct cqe_evidence *ev, enum cqe_leaf l, double per_item);

/* Sorts every leaf's items: largest effect first, then "overrun_s" / "down_s" /
 * "low_cpu_share" larger first, then kind and id in byte order (deterministic whatever
 * the state's order). */
void cqe_evidence_sort(struct cqe_evidence *ev);

#endif
