/* Duplicate-id memory of one partition (semantics.md, Time): the ids of the last
 * `window` applied events, oldest forgotten first. Part of the partition's state. */
#ifndef CQE_DEDUP_H
#define CQE_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cqe_dedup;

/* window 0 remembers nothing. Returns an owned memory (cqe_dedup_free) or NULL. */
struct cqe_dedup *cqe_dedup_new(size_t window);
void cqe_dedup_free(struct cqe_dedup *d);

/* True when id is remembered (a duplicate). */
bool cqe_dedup_seen(const struct cqe_dedup *d, const char *id, size_t n);

/* Remembers id (forgetting the oldest past the window). Returns 0 or CQE_ENOMEM. */
int cqe_dedup_remember(struct cqe_dedup *d, const char *id, size_t n);

/* The longest run of occupied index slots (ids and tombstones) in the memory: no lookup
 * probes more than this many slots plus one, so tests can check that forgetting keeps
 * lookups short without timing them. */
size_t cqe_dedup_longest_run(const struct cqe_dedup *d);

/* Ids remembered, oldest first: calls fn for each (for persisting the memory). */
void cqe_dedup_each(const struct cqe_dedup *d, void (*fn)(const char *id, size_t n, void *arg), void *arg);

#endif
