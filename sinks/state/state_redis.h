/* The Redis state store: applies a partition's pre-aggregated delta (a memory store),
 * its new position and its new duplicate ids in one MULTI/EXEC, and reads the
 * partitions back and merges them into a memory store. Key layout: docs/state.md. */
#ifndef CQE_STATE_REDIS_H
#define CQE_STATE_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dedup.h"
#include "err.h"
#include "store.h"

/* The default key namespace: keys are "<ns>:{p<partition>}:...". */
#define CQE_REDIS_NS "cqe"

struct cqe_redis;

/* Outcome counts of a partition, persisted with its state (summed by snapshot). */
struct cqe_redis_counts {
    int64_t read, applied, duplicates, dead_letters;
};

/* Test-only fault points of a flush: the process _exit(77)s there. */
enum cqe_redis_fault {
    CQE_FAULT_NONE,
    CQE_FAULT_MID_PIPELINE, /* MULTI and half of the commands written, no EXEC */
    CQE_FAULT_BEFORE_EXEC,  /* everything but EXEC written */
    CQE_FAULT_AFTER_EXEC    /* EXEC answered, before the caller learns it */
};

/* Connects to rc->url ("redis://[user@]host[:port][/db]", a password in the URL is
 * refused), authenticates with rc->user and the password read from rc->password_file
 * or the environment variable rc->password_env (never logged), selects the database
 * (rc->db when >= 0, else the URL's, else 0) and loads the register script.
 * Fails at once when the server cannot be reached (no retry at start).
 * On success *out is owned by the caller (cqe_redis_free). Returns 0, CQE_ECONFIG
 * (bad URL, unreadable password), CQE_EUNAVAIL (cannot connect), CQE_EIO (the server
 * refused AUTH, SELECT or SCRIPT LOAD: err holds its reply) or CQE_ENOMEM.
 * A handle is used by one thread at a time. */
int cqe_redis_connect(const struct cqe_redis_conf *rc, struct cqe_redis **out, struct cqe_err *err);

/* Closes and frees r (the password copy is wiped). NULL is a no-op. */
void cqe_redis_free(struct cqe_redis *r);

/* How long a flush or load keeps retrying a Redis that is down or busy before giving
 * up with CQE_EUNAVAIL; 0 = forever. Default 300000 ms. */
void cqe_redis_set_retry(struct cqe_redis *r, int64_t max_ms);

/* Arms a fault point: it fires during the flush that follows `after` completed
 * flushes of this handle (after = 0: the first flush). */
void cqe_redis_set_fault(struct cqe_redis *r, enum cqe_redis_fault point, int64_t after);

/* Records the number of partitions the namespace is split into (first run), or checks
 * it against the recorded one: resuming with another split would apply events twice.
 * Returns 0, CQE_ECONFIG on a mismatch, or CQE_EUNAVAIL / CQE_EIO. */
int cqe_redis_claim_partitions(struct cqe_redis *r, const char *ns, int partitions, struct cqe_err *err);

/* The recorded number of partitions (0 when none). Returns 0 or CQE_EUNAVAIL / CQE_EIO. */
int cqe_redis_partitions(struct cqe_redis *r, const char *ns, int *partitions, struct cqe_err *err);

/* Applies, in one MULTI/EXEC on the keys of `partition` only (one Cluster slot): every
 * cell of delta, the position string (strictly greater than the partition's previous
 * one), the n_ids new duplicate ids (oldest first; the list is trimmed to the last
 * dedup_window ids) and the counts delta (NULL = none). All arguments are borrowed;
 * the caller keeps delta until this returns 0, then clears it.
 * Connection errors, timeouts and a server that is loading or out of memory are
 * retried whole with capped backoff (one log line per outage on stderr); after a lost
 * connection the partition's position tells whether the EXEC was applied, so a
 * transaction is never applied twice nor in part.
 * Returns 0; CQE_EUNAVAIL after the retry limit; CQE_EIO when Redis refused a command
 * (err holds its reply) or lost acknowledged state; CQE_ENOMEM. */
int cqe_redis_flush_partition(struct cqe_redis *r, const char *ns, int partition,
                              const struct cqe_store *delta, const char *position, const char **new_dedup_ids,
                              const size_t *id_lens, size_t n_ids, int64_t dedup_window,
                              const struct cqe_redis_counts *counts, struct cqe_err *err);

/* Loads what a partition needs to resume: *position (malloc'd, owned by the caller;
 * NULL when the partition was never flushed) and, when dedup is not NULL, its
 * duplicate-id memory (remembered oldest first into dedup). Returns 0, CQE_EUNAVAIL,
 * CQE_EIO or CQE_ENOMEM. */
int cqe_redis_load_partition_meta(struct cqe_redis *r, const char *ns, int partition, char **position,
                                  struct cqe_dedup *dedup, struct cqe_err *err);

/* Reads every partition's state keys (SCAN "<ns>:{p*}:*", pipelined reads) and applies
 * each as a cell into `into`, merging the partitions: the result holds the same cells
 * as one memory store fed with every event. Returns 0, CQE_EUNAVAIL, CQE_EIO (a key
 * that does not parse) or CQE_ENOMEM. */
int cqe_redis_load_state(struct cqe_redis *r, const char *ns, struct cqe_store *into, struct cqe_err *err);

/* Sums the persisted outcome counts of every recorded partition into *out (zeroed
 * first). Returns 0, CQE_EUNAVAIL, CQE_EIO or CQE_ENOMEM. */
int cqe_redis_load_counts(struct cqe_redis *r, const char *ns, struct cqe_redis_counts *out,
                          struct cqe_err *err);

/* Redis commands sent through r so far (MULTI and EXEC included, retries too). */
int64_t cqe_redis_commands(const struct cqe_redis *r);

/* Round trips (waits for replies) made through r so far. */
int64_t cqe_redis_round_trips(const struct cqe_redis *r);

#endif
