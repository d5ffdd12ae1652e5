/* The Redis state store: applies a partition's pre-aggregated delta (a memory store),
 * its new position and its new duplicate-id fingerprints in one script call, and reads
 * the partitions back and merges them into a memory store. Key layout: docs/state.md. */
#ifndef CQE_STATE_REDIS_H
#define CQE_STATE_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dedup.h"
#include "err.h"
#include "event.h"
#include "store.h"

/* The default key namespace: keys are "<ns>:{p<partition>}:...". */
#define CQE_REDIS_NS "cqe"

struct cqe_redis;

/* Outcome counts of a partition, persisted with its state (summed by snapshot). */
struct cqe_redis_counts {
    int64_t read, applied, duplicates, dead_letters;
    /* of the dead letters, per reason (core/event.h), each kept as a field of the count
     * key named by its reason: incident_pending_limit (readings.md 25) since issue 11,
     * the others since 0.13; a state written before holds only the total of those */
    int64_t by_reason[CQE_R__COUNT];
};

/* Test-only fault points of a flush: the process _exit(77)s there. */
enum cqe_redis_fault {
    CQE_FAULT_NONE,
    CQE_FAULT_MID_PIPELINE, /* half of the script call's bytes written */
    CQE_FAULT_BEFORE_EXEC,  /* all of the script call written but its last CRLF */
    CQE_FAULT_AFTER_EXEC,   /* the script applied and answered, before the caller learns it */
    CQE_FAULT_LOST_REPLY    /* once: the script applied, its reply then dropped with the
                               connection, so the retry meets its own applied flush */
};

/* Connects to rc->url ("redis://[user@]host[:port][/db]", a password in the URL is
 * refused), authenticates with rc->user and the password read from rc->password_file
 * or the environment variable rc->password_env (never logged), selects the database
 * (rc->db when >= 0, else the URL's, else 0) and loads the flush script.
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

/* Applies, in one call of the flush script on the keys of `partition` only (one Cluster
 * slot), atomically: every cell of delta, the position string (strictly greater than
 * the partition's previous one), the n_fps new duplicate-id fingerprints (oldest first,
 * one chunk; whole chunks are trimmed once the newer ones hold dedup_window), the
 * counts delta (NULL = none) and the number of ids the partition's memory forgot past
 * the window since the last flush (field dedup_forgotten of the count key) — provided Redis holds the
 * position this handle last wrote or loaded for the partition (which it must have loaded first). All
 * arguments are borrowed; the caller keeps delta until this returns 0, then clears it. Connection errors,
 * timeouts and a server that is loading or out of memory are retried whole with capped backoff (one log line
 * per outage on stderr); a retry whose earlier call was applied finds the new position and stops there, so a
 * flush is never applied twice nor in part. Returns 0; CQE_EUNAVAIL after the retry limit; CQE_EIO when Redis
 * refused a command (err holds its reply) or holds another position (lost acknowledged state, or another
 * writer); CQE_EINVAL (no position loaded, a sum beyond 2^95, a NaN); CQE_ENOMEM. */
int cqe_redis_flush_partition(struct cqe_redis *r, const char *ns, int partition,
                              const struct cqe_store *delta, const char *position, const uint64_t *fps,
                              size_t n_fps, int64_t dedup_window, const struct cqe_redis_counts *counts,
                              int64_t forgotten, struct cqe_err *err);

/* Loads what a partition needs to resume: *position (malloc'd, owned by the caller;
 * NULL when the partition was never flushed) and, when dedup is not NULL, its
 * duplicate-id memory (remembered oldest first into dedup), in one round trip.
 * Returns 0, CQE_EUNAVAIL, CQE_EIO (a chunk that is not whole fingerprints) or
 * CQE_ENOMEM. */
int cqe_redis_load_partition_meta(struct cqe_redis *r, const char *ns, int partition, char **position,
                                  struct cqe_dedup *dedup, struct cqe_err *err);

/* The positions of partitions 0..n-1 in one pipelined round trip: positions[i] is
 * malloc'd (owned by the caller) or NULL when partition i was never flushed. Each
 * becomes the position this handle expects for its partition. On error every entry
 * is NULL. Returns 0, CQE_EUNAVAIL, CQE_EIO or CQE_ENOMEM. */
int cqe_redis_load_positions(struct cqe_redis *r, const char *ns, int n, char **positions,
                             struct cqe_err *err);

/* Remembers, oldest first into dedup, the duplicate-id memory of a partition whose
 * position was loaded (cqe_redis_load_positions): one round trip. Returns as
 * cqe_redis_load_partition_meta. */
int cqe_redis_load_dedup(struct cqe_redis *r, const char *ns, int partition, struct cqe_dedup *dedup,
                         struct cqe_err *err);

/* Loads into gate (empty, borrowed) the bound on incidents never opened that Redis holds
 * for a partition whose position was loaded (docs/readings.md 25): one round trip.
 * Returns 0, CQE_EUNAVAIL, CQE_EIO (keys of another shape) or CQE_ENOMEM. */
struct cqe_igate;
int cqe_redis_load_igate(struct cqe_redis *r, const char *ns, int partition, struct cqe_igate *gate,
                         struct cqe_err *err);

/* Reads every partition's state keys (SCAN "<ns>:{p*}:*", pipelined reads) and applies
 * each as a cell into `into`, merging the partitions: the result holds the same cells
 * as one memory store fed with every event. Returns 0, CQE_EUNAVAIL, CQE_EIO (a key
 * that does not parse) or CQE_ENOMEM. */
int cqe_redis_load_state(struct cqe_redis *r, const char *ns, struct cqe_store *into, struct cqe_err *err);

/* As cqe_redis_load_state, for part of the state: with only, the state keys whose store
 * key starts with one of prefixes (a NULL-terminated list, e.g. a family's, each then
 * followed by '|' or the end), else every other one (prefixes NULL: all). The keys are
 * still SCANned; only the wanted ones are read. Returns as cqe_redis_load_state. */
int cqe_redis_load_state_part(struct cqe_redis *r, const char *ns, struct cqe_store *into,
                              const char *const *prefixes, bool only, struct cqe_err *err);

/* Sums the persisted outcome counts of every recorded partition into *out (zeroed
 * first). Returns 0, CQE_EUNAVAIL, CQE_EIO or CQE_ENOMEM. */
int cqe_redis_load_counts(struct cqe_redis *r, const char *ns, struct cqe_redis_counts *out,
                          struct cqe_err *err);

/* Retention (docs/state.md "Retention"). The first instant (ms) whose state Redis
 * still holds, from the marker "<ns>:retention" (0 when nothing was archived); events
 * before it are dead-lettered, not applied. Returns 0, CQE_EUNAVAIL or CQE_EIO. */
int cqe_redis_retention_before(struct cqe_redis *r, const char *ns, int64_t *before, struct cqe_err *err);

/* Sets n fields of the marker in one HSET (fv: field, value, field, value, ...;
 * borrowed): `cloudqe retain` writes it once its archive files are durable. Returns 0,
 * CQE_EUNAVAIL, CQE_EIO or CQE_ENOMEM. */
int cqe_redis_retention_mark(struct cqe_redis *r, const char *ns, const char *const *fv, size_t n,
                             struct cqe_err *err);

/* Says whether the state key of store key (skey, n) goes: 0 keeps it, 1 to
 * CQE_REDIS_DOOM_CLASSES - 1 deletes it, counted under that class; a negative rc stops
 * the deletion with that error (CQE_ENOMEM). */
#define CQE_REDIS_DOOM_CLASSES 3
typedef int (*cqe_redis_doom_fn)(const char *skey, size_t n, void *arg);

/* SCANs every partition's state keys on every master and DELs those doom condemns (the
 * keys of one partition together, up to 256 per DEL, pipelined); meta keys are never
 * touched. deleted[c] counts the keys deleted under class c (with dry_run: the keys
 * that would be; nothing is deleted). A cluster whose layout changes meanwhile is
 * scanned again; DEL of a key already gone is harmless, so a retried or repeated run
 * deletes each key once. Returns 0, CQE_EUNAVAIL, CQE_EIO or CQE_ENOMEM. */
int cqe_redis_delete_state(struct cqe_redis *r, const char *ns, cqe_redis_doom_fn doom, void *arg,
                           bool dry_run, int64_t deleted[CQE_REDIS_DOOM_CLASSES], struct cqe_err *err);

/* Redis commands sent through r so far (a flush script call is one; retries count). */
int64_t cqe_redis_commands(const struct cqe_redis *r);

/* Round trips (waits for replies) made through r so far. */
int64_t cqe_redis_round_trips(const struct cqe_redis *r);

/* How r's operations went, for metrics and readiness: attempts that failed (connection
 * lost, timeout, a server loading, busy or full, a refused command; redirections are
 * not counted), attempts repeated after backing off, and when (monotonic ms, 0 = never)
 * the last attempt succeeded and the last one met an outage, with its message. */
struct cqe_redis_health {
    int64_t errors, retries;
    int64_t ok_ms, fail_ms;
    char error[512];
};

/* Copies r's health into *out (zeroed for r NULL). Same thread as r's user. */
void cqe_redis_health(const struct cqe_redis *r, struct cqe_redis_health *out);

/* One read of the namespace's partition count, attempted once with no backoff and no log
 * line: whether Redis answers now (readiness probes; the ACL of `run` allows it).
 * Returns 0, CQE_EUNAVAIL (unreachable, loading, busy), CQE_EIO or CQE_EDENIED. */
int cqe_redis_ping(struct cqe_redis *r, const char *ns, struct cqe_err *err);

/* ---- the output role (docs/outputs.md): keys "<ns>:{out}:<name>", one Cluster slot */

/* A reply flattened depth-first: strings (v[i] NULL for nil), integers as decimal text.
 * Owned by the caller: cqe_redis_strs_free (a zeroed one is empty). */
struct cqe_redis_strs {
    char **v;
    size_t *len;
    size_t n;
};
void cqe_redis_strs_free(struct cqe_redis_strs *s);

/* One command on the output keys: argv[i] (lens NULL = C strings; borrowed) is sent as
 * is, except where bit i of key_mask is set: that argument is a name and becomes
 * "<ns>:{out}:<name>". reply (may be NULL) receives the flattened reply. Retried while
 * Redis is out (as flushes are); an error reply is CQE_EIO (CQE_EDENIED for refused
 * permissions) with err quoting it. Returns 0 or a negative rc. */
int cqe_redis_out_command(struct cqe_redis *r, const char *ns, size_t argc, const char *const *argv,
                          const size_t *lens, uint64_t key_mask, struct cqe_redis_strs *reply,
                          struct cqe_err *err);

/* Takes or renews (release false) the output role's lease for holder, for ttl_ms:
 * *held says whether holder holds it now. With release, gives it up if held
 * (*held false). Returns 0 or a negative rc. */
int cqe_redis_out_lease(struct cqe_redis *r, const char *ns, const char *holder, int64_t ttl_ms, bool release,
                        bool *held, struct cqe_err *err);

/* One step of a decision (out_commit.lua): op "cas" (a hash name, b field, c
 * "expected\0new"), "set" (a key name, b value), "xadd" (a stream name, b record),
 * "hset" (a hash name, b field, c value). Every string is borrowed. */
struct cqe_redis_out_op {
    const char *op, *a, *b, *c;
    size_t b_len, c_len;
};

/* Applies ops atomically if holder holds the lease and no cas field moved, in one script
 * call; token names the decision so that a call retried after a lost reply is not
 * applied twice. Streams are capped near maxlen entries. outcome (cap bytes) receives
 * "ok", "dup" (applied before), "lost" (the lease is another's) or "conflict:<field>"
 * (nothing applied). Returns 0 or a negative rc. */
int cqe_redis_out_commit(struct cqe_redis *r, const char *ns, const char *holder, const char *token,
                         int64_t maxlen, const struct cqe_redis_out_op *ops, size_t n_ops, char *outcome,
                         size_t cap, struct cqe_err *err);

#endif
