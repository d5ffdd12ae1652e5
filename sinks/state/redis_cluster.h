/* Redis Cluster's slot map, by the Cluster specification: CRC16 (XMODEM) of a key's hash
 * tag mod 16384, the map from CLUSTER SLOTS (masters only), the nodes with one connection
 * each, and MOVED / ASK redirections taken apart. No I/O here: redis_conn.c routes. */
#ifndef CQE_REDIS_CLUSTER_H
#define CQE_REDIS_CLUSTER_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CQE_RCLUSTER_SLOTS 16384
#define CQE_RCLUSTER_NONE 0xffff /* owner of a slot no node serves */
#define CQE_RCLUSTER_HOST_MAX 256

/* One master: its endpoint and its connection. */
struct cqe_rnode {
    char *host;      /* owned: an IPv4 or IPv6 address or a host name, as the cluster gave it */
    int port;        /* its client port */
    redisContext *c; /* owned; NULL while disconnected or while the handle uses it */
    bool master;     /* serves at least one slot in the current map */
};

/* The nodes met so far (never removed, so indexes and host strings stay valid) and the
 * owner of every slot. */
struct cqe_rcluster {
    struct cqe_rnode *nodes;
    size_t n_nodes, cap;
    uint16_t owner[CQE_RCLUSTER_SLOTS]; /* index into nodes, or CQE_RCLUSTER_NONE */
};

/* CRC16-CCITT as the Cluster specification defines it (XMODEM: polynomial 0x1021,
 * initial value 0, no reflection): "123456789" gives 0x31C3. */
uint16_t cqe_rcluster_crc16(const char *s, size_t n);

/* The slot of a key: CRC16 of its hash tag — the bytes between the first '{' and the
 * first '}' after it, when there are any — or of the whole key, mod 16384. */
int cqe_rcluster_key_slot(const char *k, size_t n);

/* A new empty map (every slot unowned, no node); NULL when out of memory. Owned by the
 * caller: cqe_rcluster_free. */
struct cqe_rcluster *cqe_rcluster_new(void);

/* Closes every node's connection and frees cl. NULL is a no-op. */
void cqe_rcluster_free(struct cqe_rcluster *cl);

/* The index of node host:port (bytes compared exactly), added when new. Returns the
 * index, or CQE_ENOMEM. */
int cqe_rcluster_node(struct cqe_rcluster *cl, const char *host, size_t host_len, int port);

/* Replaces the map with a CLUSTER SLOTS reply: per range [start, end, master, replicas…]
 * with a node as [host, port, id, …]; replicas are ignored. An empty host (or "?")
 * stands for the node that answered, `asked`. A malformed reply leaves the map as it
 * was. Returns 0, CQE_EIO (err says what is wrong) or CQE_ENOMEM. */
int cqe_rcluster_parse_slots(struct cqe_rcluster *cl, const redisReply *rep, const char *asked,
                             struct cqe_err *err);

/* A redirection reply taken apart: "MOVED <slot> <host>:<port>" or "ASK …", the port
 * after the last ':' (an IPv6 host keeps its colons). */
struct cqe_rredirect {
    bool ask;
    int slot;
    char host[CQE_RCLUSTER_HOST_MAX];
    int port;
};

/* Parses the n bytes at msg. Returns 0, or -1 when msg is not a well-formed redirection. */
int cqe_rcluster_parse_redirect(const char *msg, size_t n, struct cqe_rredirect *out);

#endif
