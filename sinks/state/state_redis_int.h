/* Private to sinks/state: the Redis handle and what its files share — the connection and
 * its Cluster routing (redis_conn.c), the flush script (flush_script.c) and the partition
 * positions this handle last wrote or read (state_flush.c). Public: state_redis.h. */
#ifndef CQE_STATE_REDIS_INT_H
#define CQE_STATE_REDIS_INT_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "redis_args.h"
#include "redis_cluster.h"
#include "redis_keys.h"
#include "state_redis.h"

/* Returned by an attempt that failed in a way worth retrying (connection lost, server
 * loading, busy or full); negative codes are final. */
#define CQE_RETRY 1

/* What an attempt met that is no outage: nothing, MOVED or ASK (retried at once), or
 * TRYAGAIN / a slot being migrated (retried after a pause, quietly). */
#define CQE_REDIRECT_NONE 0
#define CQE_REDIRECT_NOW 1
#define CQE_REDIRECT_WAIT 2

/* Replies per pipelined read of many keys (loading). */
#define CQE_REDIS_BATCH 1000

struct cqe_redis {
    redisContext *c;  /* of the current node; NULL while disconnected */
    const char *host; /* the current node's: seed, or a node of cluster */
    int port, db;
    char *seed_host; /* owned: the url's host */
    int seed_port;
    int cluster_conf; /* redis.cluster: -1 auto, 0 no, 1 yes */
    bool detected;    /* whether the server was asked if it is a cluster */
    /* Redis Cluster (NULL on one server): the map, the current node, the redirection the
     * last reply asked for, and the ASKING state of the commands being sent */
    struct cqe_rcluster *cluster;
    int cur;                   /* index of the current node */
    bool refresh;              /* refresh the map before the next routing */
    struct cqe_rredirect hint; /* the last MOVED / ASK; hint_set says whether it is unused */
    bool hint_set;
    int redirected; /* CQE_REDIRECT_*: what the last attempt met */
    bool asking;    /* commands outside MULTI go after an ASKING */
    bool in_multi;
    int ask_unread; /* ASKING replies still to be read and dropped */
    char *user;     /* NULL = default user */
    char *password; /* NULL = no AUTH; wiped on free */
    char sha[41];   /* of the flush script */
    int64_t commands, round_trips;
    int64_t errors, retries; /* cqe_redis_health */
    int64_t ok_ms, fail_ms;  /* monotonic ms of the last success / outage; 0 = none */
    char fail_msg[512];      /* what the last outage was */
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

/* The same, attempted once (redirections aside) and quietly: an outage is CQE_EUNAVAIL
 * at once, with no log line and no backoff (readiness probes). */
int cqe_rconn_once(struct cqe_redis *r, cqe_redis_attempt_fn attempt, void *arg, struct cqe_err *err);

/* Appends the command built in r->a to the output buffer and empties r->a.
 * Returns 0 or CQE_ENOMEM. */
int cqe_rconn_send(struct cqe_redis *r, struct cqe_err *err);

/* Builds and appends a command of C strings (a NULL-terminated list). */
int cqe_rconn_send_strs(struct cqe_redis *r, struct cqe_err *err, const char *first, ...);

/* Reads one reply into *out (owned by the caller: freeReplyObject); `first` counts a
 * round trip. An I/O error or timeout drops the connection and returns CQE_RETRY. */
int cqe_rconn_reply(struct cqe_redis *r, redisReply **out, bool first, struct cqe_err *err);

/* SCRIPT LOAD the flush script on the current connection and keep its SHA for EVALSHA
 * (at connect, and again after NOSCRIPT). Returns 0, CQE_RETRY or a negative code. */
int cqe_rconn_load_script(struct cqe_redis *r, struct cqe_err *err);

/* Classifies an error reply to the command `what`: CQE_RETRY when the server is loading,
 * busy or full, CQE_EDENIED for refused credentials or permissions, else CQE_EIO. */
int cqe_rconn_reply_error(struct cqe_redis *r, const redisReply *rep, const char *what, struct cqe_err *err);

/* The same for the text of an error reply: CQE_RETRY or the final code *code
 * (CQE_EDENIED or CQE_EIO). On a cluster, MOVED and ASK are retried: the redirection is
 * remembered for the next cqe_rconn_route. */
int cqe_rconn_classify(struct cqe_redis *r, const char *msg, int *code);

/* Sends r->a and reads its reply (one round trip); an error reply is classified. */
int cqe_rconn_call(struct cqe_redis *r, const char *what, redisReply **out, struct cqe_err *err);

/* Reads and drops n queued replies after a failure (keeps the connection usable).
 * Returns 0 or CQE_RETRY (the first error goes to err when err has none yet). */
int cqe_rconn_drain(struct cqe_redis *r, size_t n, struct cqe_err *err);

/* Closes the connection; the next attempt opens a new one. */
void cqe_rconn_drop(struct cqe_redis *r);

/* ---- routing (redis_conn.c): which node the next commands go to; on one server every
 * call below picks that server. An attempt routes before its first command. */

/* Makes the master of `slot` the current node, connecting to it when needed (after a
 * MOVED the map is refreshed first). When ask_ok and the last reply for this slot was
 * ASK, the commands go once to the ASK target instead, each one outside MULTI after an
 * ASKING: only for one key, or one transaction (Redis checks every key at EXEC).
 * Returns 0, CQE_RETRY (node down, slot unserved) or a final negative code. */
int cqe_rconn_route(struct cqe_redis *r, int slot, bool ask_ok, struct cqe_err *err);

/* The same for the slot of a namespace-wide key (key(a, ns) appends its name, e.g.
 * cqe_rkey_format): such a key has no hash tag, so it lives in a slot of its own. */
int cqe_rconn_route_ns_key(struct cqe_redis *r, void (*key)(struct cqe_rargs *a, const char *ns),
                           const char *ns, struct cqe_err *err);

/* The slot of a partition's keys (its hash tag). */
int cqe_rconn_prefix_slot(const struct cqe_rkey_prefix *p);

/* Whether `slot` is served by the current node (always on one server). */
bool cqe_rconn_on_current(const struct cqe_redis *r, int slot);

/* Whether the commands go to an ASK target: a key missing there may still be on the
 * node the slot moves from, so an absent key proves nothing. */
bool cqe_rconn_asking(const struct cqe_redis *r);

/* The number of masters (1 on one server), and routing to the i-th one (SCAN visits
 * each). Returns 0, CQE_RETRY or a final negative code. */
int cqe_rconn_masters(const struct cqe_redis *r);
int cqe_rconn_route_master(struct cqe_redis *r, int i, struct cqe_err *err);

/* A fingerprint of the cluster's layout as every master describes itself (its slots,
 * config epoch): with check, compares it with *print instead and returns CQE_RETRY when
 * it differs; CQE_RETRY also while a slot is being migrated. A read of every master is
 * consistent when the layout was the same before and after it. Always 0 on one server.
 * Returns 0, CQE_RETRY or a final negative code. */
int cqe_rconn_layout(struct cqe_redis *r, uint64_t *print, bool check, struct cqe_err *err);

/* Fires the armed fault point `here`: pushes what is buffered to the server, _exit(77). */
void cqe_rconn_fault(struct cqe_redis *r, enum cqe_redis_fault here);

/* ---- state_load.c */

/* SCANs the current node for the keys of every partition of ns into keys (cleared
 * first): one SET cell per key name, field = the name (SCAN's repeats merged).
 * Returns 0, CQE_RETRY or a final negative code. */
int cqe_rload_scan(struct cqe_redis *r, const char *ns, struct cqe_store *keys, struct cqe_err *err);

/* ---- flush_script.c */

/* Appends "SCRIPT LOAD <flush script>" to a (the text is static). */
void cqe_flush_script_load(struct cqe_rargs *a);

/* ---- state_load.c */

/* One page of SCAN MATCH "<ns>:{p*}:*" on the current node from cursor (updated in place:
 * "0" when the scan is done). *keys is the reply (owned by the caller: freeReplyObject),
 * its element[1] the keys. Returns 0, CQE_RETRY or a final negative code. */
int cqe_redis_scan_page(struct cqe_redis *r, const char *ns, char cursor[32], redisReply **keys,
                        struct cqe_err *err);

/* ---- state_claim.c */

/* Checks the namespace's format marker "<ns>:format" (docs/state.md, "Format marker"):
 * 0 when it holds CQE_RKEY_FORMAT, or when the namespace holds no state (no partition
 * key on any master), in which case, with write, the marker is written. Returns 0, CQE_ECONFIG naming the
 * namespace, the format found (or none) and the one expected, CQE_EUNAVAIL or CQE_EIO. */
int cqe_redis_check_format(struct cqe_redis *r, const char *ns, bool write, struct cqe_err *err);

/* ---- state_flush.c: positions known to this handle */

/* Position of partition p as last written or loaded through r (NULL = none);
 * *set is false when this handle never learned it. */
const char *cqe_redis_known_pos(const struct cqe_redis *r, int p, bool *set);

/* Records pos (copied; NULL = none) as partition p's. Returns 0 or CQE_ENOMEM. */
int cqe_redis_set_known(struct cqe_redis *r, int p, const char *pos);

#endif
