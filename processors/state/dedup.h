/* Duplicate-id memory of one partition (semantics.md, Time): 64-bit fingerprints of the
 * ids of the last `window` applied events, oldest forgotten first, in memory that grows
 * with the ids held. Part of the partition's state. */
#ifndef CQE_DEDUP_H
#define CQE_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest window kept (ring positions are 32-bit); a larger one is clamped to it. */
#define CQE_DEDUP_MAX_WINDOW ((size_t)UINT32_MAX - 1)

struct cqe_dedup;

/* The fingerprint of an id: a well-mixed 64-bit hash of its bytes, stable across runs,
 * machines and versions (fingerprints are persisted). Two ids share one with
 * probability 2^-64 (docs/state.md, "Duplicate ids"). */
uint64_t cqe_dedup_fp(const char *id, size_t n);

/* window 0 remembers nothing. Starts small and grows by an eighth as ids arrive, up to
 * window: at most 16 B per id held once 64 are held.
 * Returns an owned memory (cqe_dedup_free) or NULL (out of memory). */
struct cqe_dedup *cqe_dedup_new(size_t window);
void cqe_dedup_free(struct cqe_dedup *d);

/* True when id (or its fingerprint) is remembered: a duplicate. */
bool cqe_dedup_seen(const struct cqe_dedup *d, const char *id, size_t n);
bool cqe_dedup_seen_fp(const struct cqe_dedup *d, uint64_t fp);

/* Remembers id (or a fingerprint), forgetting the oldest once `window` are held.
 * Returns 0 or CQE_ENOMEM (nothing changed). */
int cqe_dedup_remember(struct cqe_dedup *d, const char *id, size_t n);
int cqe_dedup_remember_fp(struct cqe_dedup *d, uint64_t fp);

/* Fingerprints held, oldest first: calls fn for each (for persisting the memory). */
void cqe_dedup_each_fp(const struct cqe_dedup *d, void (*fn)(uint64_t fp, void *arg), void *arg);

/* Copies the newest min(k, held) fingerprints, oldest of them first, into out (room
 * for k). Returns how many were copied. */
size_t cqe_dedup_newest(const struct cqe_dedup *d, size_t k, uint64_t *out);

/* Fingerprints held; remembered since creation; forgotten past the window since
 * creation (an id seen again after being forgotten is applied again: this is the
 * count of what falls outside the limit). */
size_t cqe_dedup_held(const struct cqe_dedup *d);
uint64_t cqe_dedup_total(const struct cqe_dedup *d);
uint64_t cqe_dedup_forgotten(const struct cqe_dedup *d);

/* Bytes of heap the memory holds (ring and index, not the struct). */
size_t cqe_dedup_bytes(const struct cqe_dedup *d);

/* The longest run of occupied index slots: no lookup probes more than this many slots
 * plus one, so tests can check that forgetting keeps lookups short without timing them. */
size_t cqe_dedup_longest_run(const struct cqe_dedup *d);

#endif
