/* The bound on incidents never opened (docs/readings.md 25, docs/limits.md): per
 * partition, which incidents have had an `open` and how many events each incident
 * without one holds, so that at most `limit` events of incidents without an open are
 * applied. Part of the partition's state: each change is also written as a store cell
 * (keys IO and IP below) with the event, so Redis holds the gate with the position. */
#ifndef CQE_INCIDENT_GATE_H
#define CQE_INCIDENT_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Store keys of the gate's cells: IO, a set of the incidents opened (member = incident
 * id); IP, sums of the events held per incident while it had no open (field = id). */
#define CQE_IGATE_KEY_OPENED "IO"
#define CQE_IGATE_KEY_PENDING "IP"

struct cqe_igate;

/* A gate holding at most limit (>= 0) events of incidents without an open. Returns an
 * owned gate (cqe_igate_free) or NULL (out of memory). */
struct cqe_igate *cqe_igate_new(int64_t limit);
void cqe_igate_free(struct cqe_igate *g);

/* Whether an event of incident (inc, n) that opens it (is_open) may be applied: 1, or
 * 0 when it does not open an incident with no open and limit events are held already. */
int cqe_igate_admits(const struct cqe_igate *g, const char *inc, size_t n, int is_open);

/* Records an admitted event (after cqe_igate_admits said 1) and writes the cells of
 * the change into s (borrowed): the incident's IO member at its first open, +1 on its
 * IP field for an event held. Returns 0 or CQE_ENOMEM. */
int cqe_igate_record(struct cqe_igate *g, const char *inc, size_t n, int is_open, struct cqe_store *s);

/* Loading what Redis holds (any order): an incident opened; an incident that held
 * `events` before its open (or holds them still). Return 0 or CQE_ENOMEM. */
int cqe_igate_load_opened(struct cqe_igate *g, const char *inc, size_t n);
int cqe_igate_load_pending(struct cqe_igate *g, const char *inc, size_t n, int64_t events);

/* Events held by incidents without an open; such incidents; incidents opened; bytes of
 * heap the gate holds. */
int64_t cqe_igate_held(const struct cqe_igate *g);
size_t cqe_igate_pending(const struct cqe_igate *g);
size_t cqe_igate_opened(const struct cqe_igate *g);
size_t cqe_igate_bytes(const struct cqe_igate *g);

#endif
