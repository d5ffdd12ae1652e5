/* The connection of a Redis handle: connect, AUTH, SELECT, timeouts, sending commands and
 * reading replies, classifying error replies (retry, denied, final), reconnecting with
 * capped backoff, routing to Redis Cluster nodes (MOVED, ASK); also the handle's life
 * cycle (cqe_redis_connect / _free). hiredis 0.14. */
#include "state_redis_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "redis_url.h"
#include "secret.h"

#define CONNECT_TIMEOUT_MS 2000
#define COMMAND_TIMEOUT_MS 30000
#define RETRY_DEFAULT_MS 300000
#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 2000
#define REDIRECTS_AT_ONCE 5 /* MOVED / ASK retried without a pause, then with backoff */

/* ---------------------------------------------------------------- the handle */

static void wipe(char *p)
{
    if (!p)
        return;
    volatile char *v = p;
    while (*v)
        *v++ = 0;
}

void cqe_rconn_drop(struct cqe_redis *r)
{
    if (r->c) {
        redisFree(r->c);
        r->refresh = r->cluster != NULL; /* a node lost: the map may have changed too */
    }
    r->c = NULL;
    r->ask_unread = 0;
    r->in_multi = false;
}

void cqe_redis_free(struct cqe_redis *r)
{
    if (!r)
        return;
    cqe_rconn_drop(r);
    cqe_rcluster_free(r->cluster);
    wipe(r->password);
    free(r->password);
    free(r->seed_host);
    free(r->user);
    for (size_t i = 0; i < r->n_known; i++)
        free(r->known[i]);
    free(r->known);
    free(r->known_set);
    cqe_rargs_free(&r->a);
    free(r);
}

void cqe_redis_set_retry(struct cqe_redis *r, int64_t max_ms)
{
    r->retry_max_ms = max_ms < 0 ? 0 : max_ms;
}

void cqe_redis_set_fault(struct cqe_redis *r, enum cqe_redis_fault point, int64_t after)
{
    r->fault = point;
    r->fault_after = after;
}

int64_t cqe_redis_commands(const struct cqe_redis *r)
{
    return r->commands;
}

int64_t cqe_redis_round_trips(const struct cqe_redis *r)
{
    return r->round_trips;
}

void cqe_rconn_fault(struct cqe_redis *r, enum cqe_redis_fault here)
{
    if (r->fault != here || r->flushes != r->fault_after)
        return;
    int done = 0;
    while (r->c && !done && redisBufferWrite(r->c, &done) == REDIS_OK)
        ;
    _exit(77);
}

/* ---------------------------------------------------------------- URL and secrets */

/* Fills host, port, db and user from the url and the configuration; db and user given in
 * both places must agree. */
static int take_url(struct cqe_redis *r, const struct cqe_redis_conf *rc, struct cqe_err *err)
{
    struct cqe_redis_url u;
    int ret = cqe_redis_url_parse(rc->url, &u, err);
    if (ret)
        return ret;
    if (rc->db >= 0 && u.db >= 0 && rc->db != u.db)
        return cqe_err_set(err, CQE_ECONFIG, "redis: redis.db %d and the url's database %d differ", rc->db,
                           u.db);
    r->db = rc->db >= 0 ? rc->db : u.db >= 0 ? u.db : 0;
    r->port = r->seed_port = u.port;
    r->cluster_conf = rc->cluster;
    const char *user = rc->user ? rc->user : u.user[0] ? u.user : NULL;
    if (!(r->seed_host = strdup(u.host)) || (user && !(r->user = strdup(user))))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    r->host = r->seed_host;
    return 0;
}

/* Reads the password from the file or the environment; the text never reaches a log. */
static int take_secret(struct cqe_redis *r, const struct cqe_redis_conf *rc, struct cqe_err *err)
{
    char buf[CQE_SECRET_MAX + 1];
    size_t n;
    if (!rc->password_file && !rc->password_env)
        return 0;
    int ret = cqe_secret_read(rc->password_file ? "redis.password_file" : "redis.password_env",
                              rc->password_file, rc->password_env, buf, sizeof buf, &n, err);
    if (!ret && !(r->password = strndup(buf, n)))
        ret = cqe_err_set(err, CQE_ENOMEM, "out of memory");
    cqe_secret_wipe(buf, sizeof buf);
    return ret;
}

/* ---------------------------------------------------------------- commands and replies */

/* Whether the resolved command in a is the verb v. */
static bool verb_is(const struct cqe_rargs *a, const char *v)
{
    return a->n && a->lv[0] == strlen(v) && !strncasecmp(a->pv[0], v, a->lv[0]);
}

/* Before a command to an ASK target: ASKING, unless inside MULTI (the flag set before
 * MULTI holds until EXEC, and an ASKING there would be queued). */
static int send_asking(struct cqe_redis *r, struct cqe_err *err)
{
    if (!r->in_multi) {
        if (redisAppendCommand(r->c, "ASKING") != REDIS_OK)
            return cqe_err_set(err, CQE_ENOMEM, "out of memory buffering a redis command");
        r->commands++;
        r->ask_unread++;
    }
    if (verb_is(&r->a, "MULTI"))
        r->in_multi = true;
    else if (verb_is(&r->a, "EXEC") || verb_is(&r->a, "DISCARD"))
        r->in_multi = false;
    return 0;
}

int cqe_rconn_send(struct cqe_redis *r, struct cqe_err *err)
{
    int rc = cqe_rargs_resolve(&r->a);
    if (rc)
        return cqe_err_set(err, rc, "out of memory building a redis command");
    if (r->asking && (rc = send_asking(r, err)))
        return rc;
    if (redisAppendCommandArgv(r->c, (int)r->a.n, r->a.pv, r->a.lv) != REDIS_OK)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory buffering a redis command");
    r->commands++;
    cqe_rargs_reset(&r->a);
    return 0;
}

int cqe_rconn_send_strs(struct cqe_redis *r, struct cqe_err *err, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    cqe_rargs_reset(&r->a);
    for (const char *s = first; s; s = va_arg(ap, const char *))
        cqe_rargs_cstr(&r->a, s);
    va_end(ap);
    return cqe_rconn_send(r, err);
}

/* Reads one reply; a lost connection is dropped (CQE_RETRY). */
static int get_reply(struct cqe_redis *r, void **rep, struct cqe_err *err)
{
    if (redisGetReply(r->c, rep) != REDIS_OK || !*rep) {
        cqe_err_set(err, CQE_EUNAVAIL, "redis %s:%d: %s", r->host, r->port,
                    r->c->errstr[0] ? r->c->errstr : "connection lost");
        cqe_rconn_drop(r);
        return CQE_RETRY;
    }
    return 0;
}

int cqe_rconn_reply(struct cqe_redis *r, redisReply **out, bool first, struct cqe_err *err)
{
    void *rep = NULL;
    int rc;
    if (first)
        r->round_trips++;
    if (r->ask_unread > 0) { /* the ASKING sent before this command: its +OK is dropped */
        if ((rc = get_reply(r, &rep, err)))
            return rc;
        freeReplyObject(rep);
        rep = NULL;
        r->ask_unread--;
    }
    if ((rc = get_reply(r, &rep, err)))
        return rc;
    *out = rep;
    return 0;
}

static bool starts_with(const char *msg, const char *prefix)
{
    return !strncmp(msg, prefix, strlen(prefix));
}

/* On a cluster: MOVED and ASK are remembered for the next routing (an empty host is the
 * node that answered) and retried at once; TRYAGAIN (keys of a slot being migrated) after
 * a pause. Returns 1 when msg was one of those. */
static int cluster_reply(struct cqe_redis *r, const char *msg)
{
    struct cqe_rredirect rd;
    if (!r->cluster)
        return 0;
    if (starts_with(msg, "TRYAGAIN")) {
        r->redirected = CQE_REDIRECT_WAIT;
        return 1;
    }
    if (cqe_rcluster_parse_redirect(msg, strlen(msg), &rd))
        return 0;
    if (!rd.host[0] && strlen(r->host) < sizeof rd.host)
        memcpy(rd.host, r->host, strlen(r->host) + 1);
    r->hint = rd;
    r->hint_set = true;
    r->refresh = r->refresh || !rd.ask;
    r->redirected = CQE_REDIRECT_NOW;
    return 1;
}

int cqe_rconn_classify(struct cqe_redis *r, const char *msg, int *code)
{
    /* the server is loading, busy or full: worth another attempt */
    static const char *const retry[] = {"LOADING",     "BUSY",       "OOM",       "TRYAGAIN",
                                        "CLUSTERDOWN", "MASTERDOWN", "NOREPLICAS"};
    /* who we are or what we may do is refused: final (docs/state.md, "Retries and outages") */
    static const char *const denied[] = {"WRONGPASS", "NOPERM", "NOAUTH"};
    *code = CQE_EIO;
    if (cluster_reply(r, msg))
        return CQE_RETRY;
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++)
        if (starts_with(msg, denied[i]))
            *code = CQE_EDENIED;
    for (size_t i = 0; i < sizeof retry / sizeof retry[0]; i++)
        if (starts_with(msg, retry[i]))
            return CQE_RETRY;
    return *code;
}

int cqe_rconn_reply_error(struct cqe_redis *r, const redisReply *rep, const char *what, struct cqe_err *err)
{
    int code, rc = cqe_rconn_classify(r, rep->str, &code);
    cqe_err_set(err, code, "redis %s:%d refused %s: %.*s", r->host, r->port, what,
                (int)(rep->len < 300 ? rep->len : 300), rep->str);
    return rc;
}

int cqe_rconn_call(struct cqe_redis *r, const char *what, redisReply **out, struct cqe_err *err)
{
    int rc = cqe_rconn_send(r, err);
    if (rc)
        return rc;
    if ((rc = cqe_rconn_reply(r, out, true, err)))
        return rc;
    if ((*out)->type == REDIS_REPLY_ERROR) {
        rc = cqe_rconn_reply_error(r, *out, what, err);
        freeReplyObject(*out);
        *out = NULL;
    }
    return rc;
}

int cqe_rconn_drain(struct cqe_redis *r, size_t n, struct cqe_err *err)
{
    for (size_t i = 0; i < n; i++) {
        redisReply *rep = NULL;
        struct cqe_err e2;
        if (cqe_rconn_reply(r, &rep, false, &e2)) {
            if (err && !err->msg[0])
                *err = e2;
            return CQE_RETRY;
        }
        freeReplyObject(rep);
    }
    return 0;
}

/* ---------------------------------------------------------------- a session */

/* Sends the command built in r->a and drops its (status) reply. */
static int call_ok(struct cqe_redis *r, const char *what, struct cqe_err *err)
{
    redisReply *rep = NULL;
    int rc = cqe_rconn_call(r, what, &rep, err);
    if (!rc)
        freeReplyObject(rep);
    return rc;
}

/* AUTH [user] password when a password is configured; a user alone is a mistake. */
static int session_auth(struct cqe_redis *r, struct cqe_err *err)
{
    if (!r->password && r->user)
        return cqe_err_set(err, CQE_ECONFIG,
                           "redis user %s given without a password "
                           "(redis.password_file or redis.password_env)",
                           r->user);
    if (!r->password)
        return 0;
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "AUTH");
    if (r->user)
        cqe_rargs_cstr(&r->a, r->user);
    cqe_rargs_cstr(&r->a, r->password);
    return call_ok(r, "AUTH", err);
}

/* HELLO 2 (allowed to every ACL user, Redis >= 6) says "mode" "cluster" on a cluster;
 * an error (an older Redis) means one server. Returns 1 (cluster), 0, or an error. */
static int hello_says_cluster(struct cqe_redis *r, struct cqe_err *err)
{
    redisReply *rep = NULL;
    int cluster = 0;
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "HELLO");
    cqe_rargs_cstr(&r->a, "2");
    int rc = cqe_rconn_send(r, err);
    if (rc || (rc = cqe_rconn_reply(r, &rep, true, err)))
        return rc;
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements; i += 2) {
        const redisReply *k = rep->element[i], *v = rep->element[i + 1];
        if (k->type == REDIS_REPLY_STRING && !strcmp(k->str, "mode") && v->type == REDIS_REPLY_STRING)
            cluster = !strcmp(v->str, "cluster");
    }
    freeReplyObject(rep);
    return cluster;
}

/* Once per handle, on the first server: one server or a cluster (redis.cluster, or asked
 * when auto). A cluster has database 0 only: another is refused. */
static int session_detect(struct cqe_redis *r, struct cqe_err *err)
{
    int cluster = r->cluster_conf;
    if (cluster < 0 && (cluster = hello_says_cluster(r, err)) < 0)
        return cluster;
    r->detected = true;
    if (!cluster)
        return 0;
    if (r->db)
        return cqe_err_set(err, CQE_ECONFIG,
                           "redis %s:%d is a Redis Cluster (redis.cluster %s), which has database 0 "
                           "only: use redis://%s:%d/0, not database %d",
                           r->host, r->port, r->cluster_conf < 0 ? "auto" : "true", r->host, r->port, r->db);
    if (!(r->cluster = cqe_rcluster_new()))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    int i = cqe_rcluster_node(r->cluster, r->seed_host, strlen(r->seed_host), r->seed_port);
    if (i < 0)
        return cqe_err_set(err, i, "out of memory");
    r->cur = i;
    r->host = r->cluster->nodes[i].host;
    r->refresh = true;
    return 0;
}

/* SELECT the database when it is not 0. */
static int session_select(struct cqe_redis *r, struct cqe_err *err)
{
    if (!r->db)
        return 0;
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "SELECT");
    cqe_rargs_i64(&r->a, r->db);
    return call_ok(r, "SELECT", err);
}

int cqe_rconn_load_script(struct cqe_redis *r, struct cqe_err *err)
{
    redisReply *rep = NULL;
    cqe_rargs_reset(&r->a);
    cqe_flush_script_load(&r->a);
    int rc = cqe_rconn_call(r, "SCRIPT LOAD", &rep, err);
    if (rc)
        return rc;
    if (rep->type != REDIS_REPLY_STRING || rep->len != 40)
        rc = cqe_err_set(err, CQE_EIO, "redis %s:%d: unexpected SCRIPT LOAD reply", r->host, r->port);
    else
        memcpy(r->sha, rep->str, 40);
    r->sha[40] = 0;
    freeReplyObject(rep);
    return rc;
}

/* Connects, authenticates, selects the database and loads the script. Returns 0,
 * CQE_RETRY (unreachable, loading) or a final negative code (refused credentials). */
static int session_open(struct cqe_redis *r, struct cqe_err *err)
{
    struct timeval ct = {CONNECT_TIMEOUT_MS / 1000, (CONNECT_TIMEOUT_MS % 1000) * 1000};
    struct timeval tt = {COMMAND_TIMEOUT_MS / 1000, (COMMAND_TIMEOUT_MS % 1000) * 1000};
    int rc;
    cqe_rconn_drop(r);
    r->c = redisConnectWithTimeout(r->host, r->port, ct);
    if (!r->c)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory connecting to redis");
    if (r->c->err) {
        cqe_err_set(err, CQE_EUNAVAIL, "redis %s:%d: %s", r->host, r->port, r->c->errstr);
        cqe_rconn_drop(r);
        return CQE_RETRY;
    }
    redisSetTimeout(r->c, tt);
    redisEnableKeepAlive(r->c);
    if ((rc = session_auth(r, err)) || (!r->detected && (rc = session_detect(r, err))) ||
        (!r->cluster && (rc = session_select(r, err))) || (rc = cqe_rconn_load_script(r, err)))
        cqe_rconn_drop(r);
    return rc;
}

/* ---------------------------------------------------------------- cluster routing */

/* Makes node i the current one; its connection moves to r->c and back. */
static void use_node(struct cqe_redis *r, int i)
{
    struct cqe_rcluster *cl = r->cluster;
    if (i == r->cur)
        return;
    cl->nodes[r->cur].c = r->c;
    r->c = cl->nodes[i].c;
    cl->nodes[i].c = NULL;
    r->cur = i;
    r->host = cl->nodes[i].host;
    r->port = cl->nodes[i].port;
    r->ask_unread = 0;
    r->in_multi = false;
}

/* Connects the current node when it is not. */
static int use_open(struct cqe_redis *r, struct cqe_err *err)
{
    return r->c ? 0 : session_open(r, err);
}

/* Replaces the map with CLUSTER SLOTS of the current node, or of the first node after
 * it that answers. */
static int refresh_map(struct cqe_redis *r, struct cqe_err *err)
{
    int rc = CQE_RETRY;
    for (size_t k = 0; rc == CQE_RETRY && k <= r->cluster->n_nodes; k++) {
        redisReply *rep = NULL;
        if (k)
            use_node(r, (int)k - 1);
        if ((rc = use_open(r, err)))
            continue;
        cqe_rargs_reset(&r->a);
        cqe_rargs_cstr(&r->a, "CLUSTER");
        cqe_rargs_cstr(&r->a, "SLOTS");
        if ((rc = cqe_rconn_call(r, "CLUSTER SLOTS", &rep, err)))
            continue;
        rc = cqe_rcluster_parse_slots(r->cluster, rep, r->host, err);
        freeReplyObject(rep);
    }
    if (!rc)
        r->refresh = false;
    return rc;
}

int cqe_rconn_prefix_slot(const struct cqe_rkey_prefix *p)
{
    return cqe_rcluster_key_slot(p->s, p->len);
}

bool cqe_rconn_on_current(const struct cqe_redis *r, int slot)
{
    return !r->cluster || r->cluster->owner[slot] == r->cur;
}

int cqe_rconn_route_ns_key(struct cqe_redis *r, void (*key)(struct cqe_rargs *a, const char *ns),
                           const char *ns, struct cqe_err *err)
{
    cqe_rargs_reset(&r->a);
    key(&r->a, ns);
    if (cqe_rargs_resolve(&r->a))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    return cqe_rconn_route(r, cqe_rcluster_key_slot(r->a.pv[0], r->a.lv[0]), true, err);
}

bool cqe_rconn_asking(const struct cqe_redis *r)
{
    return r->asking;
}

int cqe_rconn_route(struct cqe_redis *r, int slot, bool ask_ok, struct cqe_err *err)
{
    struct cqe_rcluster *cl = r->cluster;
    r->asking = false;
    if (!cl)
        return use_open(r, err);
    bool hint = r->hint_set && r->hint.slot == slot;
    int rc, node = CQE_RCLUSTER_NONE;
    r->hint_set = false;
    if (r->refresh && (rc = refresh_map(r, err)))
        return rc;
    if (hint && (!r->hint.ask || ask_ok)) {
        if ((node = cqe_rcluster_node(cl, r->hint.host, strlen(r->hint.host), r->hint.port)) < 0)
            return cqe_err_set(err, node, "out of memory");
        if (!r->hint.ask) { /* the node that said MOVED knows better than a stale map */
            cl->owner[slot] = (uint16_t)node;
            cl->nodes[node].master = true;
        }
    } else {
        node = cl->owner[slot];
    }
    if (node == CQE_RCLUSTER_NONE) {
        r->refresh = true;
        cqe_err_set(err, CQE_EUNAVAIL, "redis cluster: no node serves slot %d", slot);
        return CQE_RETRY;
    }
    use_node(r, node);
    if ((rc = use_open(r, err)))
        return rc;
    r->asking = hint && r->hint.ask && ask_ok;
    return 0;
}

int cqe_rconn_masters(const struct cqe_redis *r)
{
    int n = 0;
    for (size_t i = 0; r->cluster && i < r->cluster->n_nodes; i++)
        n += r->cluster->nodes[i].master;
    return r->cluster ? n : 1;
}

int cqe_rconn_route_master(struct cqe_redis *r, int i, struct cqe_err *err)
{
    r->asking = false;
    r->hint_set = false;
    if (!r->cluster)
        return use_open(r, err);
    for (size_t k = 0; k < r->cluster->n_nodes; k++)
        if (r->cluster->nodes[k].master && i-- == 0) {
            use_node(r, (int)k);
            return use_open(r, err);
        }
    cqe_err_set(err, CQE_EUNAVAIL, "redis cluster: the masters changed during a read");
    r->refresh = true;
    r->redirected = CQE_REDIRECT_WAIT;
    return CQE_RETRY;
}

/* FNV-1a of the current master's own line of CLUSTER NODES ("myself"), without its ping
 * and pong times; CQE_RETRY while it migrates or imports a slot ("[slot->-id]"). */
static int node_print(struct cqe_redis *r, uint64_t *h, struct cqe_err *err)
{
    redisReply *rep = NULL;
    cqe_rargs_reset(&r->a);
    cqe_rargs_cstr(&r->a, "CLUSTER");
    cqe_rargs_cstr(&r->a, "NODES");
    int rc = cqe_rconn_call(r, "CLUSTER NODES", &rep, err);
    if (rc)
        return rc;
    const char *line = rep->type == REDIS_REPLY_STRING ? strstr(rep->str, "myself") : NULL;
    while (line && line > rep->str && line[-1] != '\n')
        line--;
    if (!line) {
        rc =
            cqe_err_set(err, CQE_EIO, "redis %s:%d: CLUSTER NODES without the node itself", r->host, r->port);
    } else if (memchr(line, '[', strcspn(line, "\n"))) {
        cqe_err_set(err, CQE_EUNAVAIL, "redis %s:%d: a slot is being migrated", r->host, r->port);
        r->redirected = CQE_REDIRECT_WAIT;
        rc = CQE_RETRY;
    }
    for (int field = 0; !rc && *line && *line != '\n'; line++) {
        field += *line == ' ';
        if (field != 4 && field != 5) /* <id> <addr> <flags> <master> <ping> <pong> <epoch> … */
            *h = (*h ^ (unsigned char)*line) * 1099511628211ULL;
    }
    freeReplyObject(rep);
    return rc;
}

int cqe_rconn_layout(struct cqe_redis *r, uint64_t *print, bool check, struct cqe_err *err)
{
    uint64_t h = 14695981039346656037ULL;
    int rc = 0, n = cqe_rconn_masters(r);
    for (int i = 0; r->cluster && !rc && i < n; i++)
        if (!(rc = cqe_rconn_route_master(r, i, err)))
            rc = node_print(r, &h, err);
    if (rc || !check) {
        *print = h;
        return rc;
    }
    if (h == *print)
        return 0;
    cqe_err_set(err, CQE_EUNAVAIL, "redis cluster: the slots moved during a read");
    r->refresh = true;
    r->redirected = CQE_REDIRECT_WAIT;
    return CQE_RETRY;
}

/* Counts the outcome of one attempt (cqe_redis_health): an outage or a refusal is an
 * error; MOVED / ASK / TRYAGAIN are routing, not errors. */
static void note_attempt(struct cqe_redis *r, int rc, const struct cqe_err *e)
{
    if (!rc) {
        r->ok_ms = cqe_mono_ms();
        return;
    }
    if (rc > 0 && r->redirected != CQE_REDIRECT_NONE)
        return;
    r->errors++;
    if (rc > 0 || rc == CQE_EUNAVAIL) { /* unreachable, loading, busy, full */
        r->fail_ms = cqe_mono_ms();
        snprintf(r->fail_msg, sizeof r->fail_msg, "%s", e->msg);
    }
}

/* Attempts until success, a final error, or (once) the first outage; see cqe_rconn_retry. */
static int run_attempts(struct cqe_redis *r, cqe_redis_attempt_fn attempt, void *arg, bool once,
                        struct cqe_err *err)
{
    int64_t t0 = cqe_mono_ms(), delay = BACKOFF_FIRST_MS;
    bool logged = false;
    int at_once = 0;
    struct cqe_err e = {0};
    for (;;) {
        r->redirected = CQE_REDIRECT_NONE;
        int rc = r->c || r->cluster ? 0 : session_open(r, &e);
        if (!rc)
            rc = attempt(r, arg, &e);
        r->asking = false;
        note_attempt(r, rc, &e);
        if (rc <= 0) {
            if (rc && err)
                *err = e;
            return rc;
        }
        if (r->redirected == CQE_REDIRECT_NOW && at_once++ < REDIRECTS_AT_ONCE)
            continue;
        if (once)
            return cqe_err_set(err, CQE_EUNAVAIL, "%s", e.msg);
        if (!logged && r->redirected == CQE_REDIRECT_NONE) {
            fprintf(stderr, "%s: %s; retrying with backoff\n", cqe_log_name(), e.msg);
            logged = true;
        }
        if (r->retry_max_ms && cqe_mono_ms() - t0 >= r->retry_max_ms)
            return cqe_err_set(err, CQE_EUNAVAIL, "gave up after %lld ms: %s",
                               (long long)(cqe_mono_ms() - t0), e.msg);
        cqe_sleep_ms(delay);
        delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
        r->retries++;
    }
}

int cqe_rconn_retry(struct cqe_redis *r, cqe_redis_attempt_fn attempt, void *arg, struct cqe_err *err)
{
    return run_attempts(r, attempt, arg, false, err);
}

int cqe_rconn_once(struct cqe_redis *r, cqe_redis_attempt_fn attempt, void *arg, struct cqe_err *err)
{
    return run_attempts(r, attempt, arg, true, err);
}

void cqe_redis_health(const struct cqe_redis *r, struct cqe_redis_health *out)
{
    memset(out, 0, sizeof *out);
    if (!r)
        return;
    out->errors = r->errors;
    out->retries = r->retries;
    out->ok_ms = r->ok_ms;
    out->fail_ms = r->fail_ms;
    snprintf(out->error, sizeof out->error, "%s", r->fail_msg);
}

int cqe_redis_connect(const struct cqe_redis_conf *rc, struct cqe_redis **out, struct cqe_err *err)
{
    struct cqe_redis *r = calloc(1, sizeof *r);
    struct cqe_err e = {0};
    int ret;
    *out = NULL;
    if (!r)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    r->retry_max_ms = RETRY_DEFAULT_MS;
    if ((ret = take_url(r, rc, &e)) || (ret = take_secret(r, rc, &e)))
        goto out;
    if (!(ret = session_open(r, &e)) && r->cluster)
        ret = refresh_map(r, &e);
    if (ret == CQE_RETRY)
        ret = e.code = CQE_EUNAVAIL;
out:
    if (!ret) {
        *out = r;
        return 0;
    }
    if (!e.msg[0])
        cqe_err_set(&e, ret, "%s", cqe_strerror(ret));
    if (err)
        *err = e;
    cqe_redis_free(r);
    return ret;
}
