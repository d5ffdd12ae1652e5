/* Private to sinks/state: the Redis handle and what its files share — the connection
 * (redis_conn.c), the flush script (flush_script.c) and the partition positions this
 * handle last wrote or read (state_flush.c). Public interface: state_redis.h. */
#ifndef CQE_STATE_REDIS_INT_H
#define CQE_STATE_REDIS_INT_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "redis_args.h"
#include "redis_keys.h"
#include "state_redis.h"

/* Returned by an attempt that failed in a way worth retrying (connection lost, server
 * loading, busy or full); negative codes are final. */
#define CQE_RETRY 1

/* Replies per pipelined read of many keys (loading). */
#define CQE_REDIS_BATCH 1000

struct cqe_redis {
    redisContext *c; /* NULL while disconnected */
    char *host;
    int port, db;
    char *user;     /* NULL = default user */
    char *password; /* NULL = no AUTH; wiped on free */
    char sha[41];   /* of the flush script */
    int64_t commands, round_trips;
    int64_t retry_max_ms;
    enum cqe_redis_fault fault;
    int64_t fault_after, flushes;
    char **known; /* last position written or loaded, by partition; NULL = none */
    bool *known_set;
    size_t n_known;
    struct cqe_rargs a; /* the command being built */
};

/* ---- redis_conn.c: one connection, its commands and replies, retries */

/* An attempt of an operation: 0, CQE_RETRY, or a final negative code. */
typedef int (*cqe_redis_attempt_fn)(struct cqe_redis *r, void *arg, struct cqe_err *err);

/* Runs attempt until it succeeds or fails finally, (re)connecting and backing off on
 * CQE_RETRY up to the handle's retry limit (then CQE_EUNAVAIL). One log line per outage. */
int cqe_rconn_retry(struct cqe_redis *r, cqe_redis_attempt_fn attempt, void *arg, struct cqe_err *err);

/* Appends the command built in r->a to the output buffer and empties r->a.
 * Returns 0 or CQE_ENOMEM. */
int cqe_rconn_send(struct cqe_redis *r, struct cqe_err *err);

/* Builds and appends a command of C strings (a NULL-terminated list). */
int cqe_rconn_send_strs(struct cqe_redis *r, struct cqe_err *err, const char *first, ...);

/* Reads one reply into *out (owned by the caller: freeReplyObject); `first` counts a
 * round trip. An I/O error or timeout drops the connection and returns CQE_RETRY. */
int cqe_rconn_reply(struct cqe_redis *r, redisReply **out, bool first, struct cqe_err *err);

/* Classifies an error reply to the command `what`: CQE_RETRY when the server is loading,
 * busy or full, CQE_EDENIED for refused credentials or permissions, else CQE_EIO. */
int cqe_rconn_reply_error(struct cqe_redis *r, const redisReply *rep, const char *what, struct cqe_err *err);

/* The same for the text of an error reply: CQE_RETRY or the final code *code
 * (CQE_EDENIED or CQE_EIO). */
int cqe_rconn_classify(const char *msg, int *code);

/* Sends r->a and reads its reply (one round trip); an error reply is classified. */
int cqe_rconn_call(struct cqe_redis *r, const char *what, redisReply **out, struct cqe_err *err);

/* Reads and drops n queued replies after a failure (keeps the connection usable).
 * Returns 0 or CQE_RETRY (the first error goes to err when err has none yet). */
int cqe_rconn_drain(struct cqe_redis *r, size_t n, struct cqe_err *err);

/* Closes the connection; the next attempt opens a new one. */
void cqe_rconn_drop(struct cqe_redis *r);

/* Fires the armed fault point `here`: pushes what is buffered to the server, _exit(77). */
void cqe_rconn_fault(struct cqe_redis *r, enum cqe_redis_fault here);

/* ---- flush_script.c */

/* Appends "SCRIPT LOAD <flush script>" to a (the text is static). */
void cqe_flush_script_load(struct cqe_rargs *a);

/* ---- state_flush.c: positions known to this handle */

/* Position of partition p as last written or loaded through r (NULL = none);
 * *set is false when this handle never learned it. */
const char *cqe_redis_known_pos(const struct cqe_redis *r, int p, bool *set);

/* Records pos (copied; NULL = none) as partition p's. Returns 0 or CQE_ENOMEM. */
int cqe_redis_set_known(struct cqe_redis *r, int p, const char *pos);

#endif
