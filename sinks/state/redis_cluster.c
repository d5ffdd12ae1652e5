/* Redis Cluster's slot map (redis_cluster.h): CRC16 and hash tags, the nodes, a CLUSTER
 * SLOTS reply into the map, MOVED / ASK replies taken apart. Routing is redis_conn.c's. */
#include "redis_cluster.h"

#include <stdlib.h>
#include <string.h>

uint16_t cqe_rcluster_crc16(const char *s, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)((uint16_t)(unsigned char)s[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc;
}

int cqe_rcluster_key_slot(const char *k, size_t n)
{
    const char *open = memchr(k, '{', n);
    if (open) {
        size_t from = (size_t)(open - k) + 1;
        const char *close = memchr(open + 1, '}', n - from);
        if (close && close > open + 1)
            return cqe_rcluster_crc16(open + 1, (size_t)(close - open - 1)) & (CQE_RCLUSTER_SLOTS - 1);
    }
    return cqe_rcluster_crc16(k, n) & (CQE_RCLUSTER_SLOTS - 1);
}

struct cqe_rcluster *cqe_rcluster_new(void)
{
    struct cqe_rcluster *cl = calloc(1, sizeof *cl);
    if (cl)
        for (size_t i = 0; i < CQE_RCLUSTER_SLOTS; i++)
            cl->owner[i] = CQE_RCLUSTER_NONE;
    return cl;
}

void cqe_rcluster_free(struct cqe_rcluster *cl)
{
    if (!cl)
        return;
    for (size_t i = 0; i < cl->n_nodes; i++) {
        if (cl->nodes[i].c)
            redisFree(cl->nodes[i].c);
        free(cl->nodes[i].host);
    }
    free(cl->nodes);
    free(cl);
}

int cqe_rcluster_node(struct cqe_rcluster *cl, const char *host, size_t host_len, int port)
{
    for (size_t i = 0; i < cl->n_nodes; i++)
        if (cl->nodes[i].port == port && strlen(cl->nodes[i].host) == host_len &&
            !memcmp(cl->nodes[i].host, host, host_len))
            return (int)i;
    if (cl->n_nodes >= CQE_RCLUSTER_NONE)
        return CQE_ENOMEM;
    if (cl->n_nodes == cl->cap) {
        size_t cap = cl->cap ? cl->cap * 2 : 4;
        struct cqe_rnode *v = realloc(cl->nodes, cap * sizeof *v);
        if (!v)
            return CQE_ENOMEM;
        cl->nodes = v;
        cl->cap = cap;
    }
    struct cqe_rnode *nd = &cl->nodes[cl->n_nodes];
    if (!(nd->host = strndup(host, host_len)))
        return CQE_ENOMEM;
    nd->port = port;
    nd->c = NULL;
    nd->master = false;
    return (int)cl->n_nodes++;
}

/* The master of one range of a CLUSTER SLOTS reply: its node index, or a negative code. */
static int range_master(struct cqe_rcluster *cl, const redisReply *m, const char *asked, struct cqe_err *err)
{
    if (m->type != REDIS_REPLY_ARRAY || m->elements < 2 || m->element[0]->type != REDIS_REPLY_STRING ||
        m->element[1]->type != REDIS_REPLY_INTEGER || m->element[1]->integer < 1 ||
        m->element[1]->integer > 65535)
        return cqe_err_set(err, CQE_EIO, "redis: CLUSTER SLOTS: a master is not [host, port, …]");
    const redisReply *h = m->element[0];
    bool same = h->len == 0 || (h->len == 1 && h->str[0] == '?');
    const char *host = same ? asked : h->str;
    size_t len = same ? strlen(asked) : h->len;
    if (len >= CQE_RCLUSTER_HOST_MAX)
        return cqe_err_set(err, CQE_EIO, "redis: CLUSTER SLOTS: a host name of %zu bytes", len);
    int i = cqe_rcluster_node(cl, host, len, (int)m->element[1]->integer);
    return i < 0 ? cqe_err_set(err, i, "out of memory") : i;
}

int cqe_rcluster_parse_slots(struct cqe_rcluster *cl, const redisReply *rep, const char *asked,
                             struct cqe_err *err)
{
    int rc = 0;
    if (rep->type != REDIS_REPLY_ARRAY)
        return cqe_err_set(err, CQE_EIO, "redis: CLUSTER SLOTS: unexpected reply (type %d)", rep->type);
    uint16_t *owner = malloc(sizeof cl->owner);
    if (!owner)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    for (size_t i = 0; i < CQE_RCLUSTER_SLOTS; i++)
        owner[i] = CQE_RCLUSTER_NONE;
    for (size_t r = 0; !rc && r < rep->elements; r++) {
        const redisReply *e = rep->element[r];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 || e->element[0]->type != REDIS_REPLY_INTEGER ||
            e->element[1]->type != REDIS_REPLY_INTEGER) {
            rc = cqe_err_set(err, CQE_EIO, "redis: CLUSTER SLOTS: range %zu is not [start, end, master, …]",
                             r);
            break;
        }
        long long lo = e->element[0]->integer, hi = e->element[1]->integer;
        if (lo < 0 || hi < lo || hi >= CQE_RCLUSTER_SLOTS) {
            rc = cqe_err_set(err, CQE_EIO, "redis: CLUSTER SLOTS: range %lld-%lld outside 0-16383", lo, hi);
            break;
        }
        int m = range_master(cl, e->element[2], asked, err);
        if (m < 0)
            rc = m;
        for (long long s = lo; !rc && s <= hi; s++)
            owner[s] = (uint16_t)m;
    }
    if (!rc) {
        memcpy(cl->owner, owner, sizeof cl->owner);
        for (size_t i = 0; i < cl->n_nodes; i++)
            cl->nodes[i].master = false;
        for (size_t s = 0; s < CQE_RCLUSTER_SLOTS; s++)
            if (owner[s] != CQE_RCLUSTER_NONE)
                cl->nodes[owner[s]].master = true;
    }
    free(owner);
    return rc;
}

int cqe_rcluster_parse_redirect(const char *msg, size_t n, struct cqe_rredirect *out)
{
    size_t i;
    if (n > 6 && !memcmp(msg, "MOVED ", 6)) {
        out->ask = false;
        i = 6;
    } else if (n > 4 && !memcmp(msg, "ASK ", 4)) {
        out->ask = true;
        i = 4;
    } else {
        return -1;
    }
    long slot = 0;
    size_t digits = i;
    for (; i < n && msg[i] >= '0' && msg[i] <= '9' && slot < CQE_RCLUSTER_SLOTS; i++)
        slot = slot * 10 + (msg[i] - '0');
    if (i == digits || i >= n || msg[i] != ' ' || slot >= CQE_RCLUSTER_SLOTS)
        return -1;
    const char *ep = msg + i + 1, *end = msg + n;
    const char *colon = NULL;
    for (const char *p = ep; p < end; p++)
        if (*p == ':')
            colon = p;
    if (!colon || colon + 1 == end || (size_t)(colon - ep) >= sizeof out->host)
        return -1;
    long port = 0;
    for (const char *p = colon + 1; p < end; p++) {
        if (*p < '0' || *p > '9' || port > 65535)
            return -1;
        port = port * 10 + (*p - '0');
    }
    if (port < 1 || port > 65535)
        return -1;
    memcpy(out->host, ep, (size_t)(colon - ep));
    out->host[colon - ep] = 0;
    out->slot = (int)slot;
    out->port = (int)port;
    return 0;
}
