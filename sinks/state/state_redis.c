/* The Redis state store (see state_redis.h, docs/state.md): a partition's delta goes in
 * one WATCH-guarded MULTI/EXEC with its position, so a retried flush is applied once;
 * loading SCANs every partition and merges it into a memory store. hiredis 0.14. */
#include "state_redis.h"
#include "clock.h"
#include "redis_url.h"
#include "secret.h"

#include "id_batch.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 2000
#define COMMAND_TIMEOUT_MS 30000
#define RETRY_DEFAULT_MS 300000
#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 2000
#define BATCH_ITEMS 1000 /* members per SADD / ZADD, ids per RPUSH, cells per EVALSHA */
#define LOAD_KEYS 512    /* keys read per pipelined round trip when loading */
#define DEDUP_CHUNK 10000

/* An attempt that failed in a way worth retrying (connection lost, server loading,
 * busy or full); negative codes are final. */
#define RETRY 1

/* Keeps, per hash field, the record with the smaller ('<') or larger ('>') (ts, id).
 * Values are "<ts>|<id length>:<id><val>"; ids compare by bytes then length, byte by
 * byte because Lua's '<' on strings follows the locale. */
static const char reg_script[] =
    "local function parse(v)\n"
    "  local bar = string.find(v, '|', 1, true)\n"
    "  local colon = string.find(v, ':', bar + 1, true)\n"
    "  local n = tonumber(string.sub(v, bar + 1, colon - 1))\n"
    "  return tonumber(string.sub(v, 1, bar - 1)), string.sub(v, colon + 1, colon + n)\n"
    "end\n"
    "local function cmp(a, b)\n"
    "  local la, lb = #a, #b\n"
    "  local m = la < lb and la or lb\n"
    "  for i = 1, m do\n"
    "    local x, y = string.byte(a, i), string.byte(b, i)\n"
    "    if x ~= y then return x < y and -1 or 1 end\n"
    "  end\n"
    "  if la == lb then return 0 end\n"
    "  return la < lb and -1 or 1\n"
    "end\n"
    "for i = 1, #KEYS do\n"
    "  local op, field, v = ARGV[3*i-2], ARGV[3*i-1], ARGV[3*i]\n"
    "  local old = redis.call('HGET', KEYS[i], field)\n"
    "  local keep = true\n"
    "  if old then\n"
    "    local t1, id1 = parse(v)\n"
    "    local t0, id0 = parse(old)\n"
    "    local c\n"
    "    if t1 ~= t0 then c = (t1 < t0) and -1 or 1 else c = cmp(id1, id0) end\n"
    "    if op == '<' then keep = c < 0 else keep = c > 0 end\n"
    "  end\n"
    "  if keep then redis.call('HSET', KEYS[i], field, v) end\n"
    "end\n"
    "return #KEYS\n";

/* Type suffixes of state keys: "<ns>:{p<n>}:<store key>:<suffix>". Every state key
 * has one, so a store key holding ':' still parses back (split at the last ':'). */
#define SFX_SUM "sum"
#define SFX_SUMHI "sumhi"
#define SFX_MAX "max"
#define SFX_MIN "min"
#define SFX_SET "set"
#define SFX_RMIN "rmin"
#define SFX_RMAX "rmax"
#define SFX_VEC "vec" /* hash fields "<len>|<index>|<store field>" */

/* ---------------------------------------------------------------- command arguments */

/* One argument: borrowed bytes (p != NULL) or bytes at `off` in the arena. */
struct arg {
    const char *p;
    size_t off, len;
};

/* A command being built; the arena holds formatted numbers and composed keys. */
struct args {
    struct arg *v;
    size_t n, cap;
    char *arena;
    size_t an, acap;
    const char **pv; /* resolved at send */
    size_t *lv;
    size_t pcap;
    int oom;
};

static void args_reset(struct args *a)
{
    a->n = 0;
    a->an = 0;
}

static void args_free(struct args *a)
{
    free(a->v);
    free(a->arena);
    free(a->pv);
    free(a->lv);
    memset(a, 0, sizeof *a);
}

static struct arg *args_slot(struct args *a)
{
    if (a->oom)
        return NULL;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        struct arg *v = realloc(a->v, cap * sizeof *v);
        if (!v) {
            a->oom = 1;
            return NULL;
        }
        a->v = v;
        a->cap = cap;
    }
    return &a->v[a->n++];
}

/* Borrowed argument: p must stay valid until the command is sent. */
static void args_ref(struct args *a, const char *p, size_t len)
{
    struct arg *g = args_slot(a);
    if (g)
        *g = (struct arg){p ? p : "", 0, len};
}

static void args_cstr(struct args *a, const char *s)
{
    args_ref(a, s, strlen(s));
}

/* Reserves n bytes in the arena; returns their offset or SIZE_MAX. */
static size_t arena_take(struct args *a, size_t n)
{
    if (a->oom)
        return SIZE_MAX;
    if (a->an + n > a->acap) {
        size_t cap = a->acap ? a->acap : 4096;
        while (cap < a->an + n)
            cap *= 2;
        char *p = realloc(a->arena, cap);
        if (!p) {
            a->oom = 1;
            return SIZE_MAX;
        }
        a->arena = p;
        a->acap = cap;
    }
    size_t off = a->an;
    a->an += n;
    return off;
}

/* Copies the concatenation of up to four pieces into the arena as one argument. */
static void args_cat(struct args *a, const char *p1, size_t n1, const char *p2, size_t n2, const char *p3,
                     size_t n3, const char *p4, size_t n4)
{
    size_t off = arena_take(a, n1 + n2 + n3 + n4);
    struct arg *g = args_slot(a);
    if (off == SIZE_MAX || !g)
        return;
    char *d = a->arena + off;
    if (n1)
        memcpy(d, p1, n1);
    if (n2)
        memcpy(d + n1, p2, n2);
    if (n3)
        memcpy(d + n1 + n2, p3, n3);
    if (n4)
        memcpy(d + n1 + n2 + n3, p4, n4);
    *g = (struct arg){NULL, off, n1 + n2 + n3 + n4};
}

static void args_copy(struct args *a, const char *p, size_t n)
{
    args_cat(a, p, n, NULL, 0, NULL, 0, NULL, 0);
}

static void args_i64(struct args *a, long long v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%lld", v);
    args_copy(a, t, (size_t)n);
}

static void args_dbl(struct args *a, double v)
{
    char t[40];
    int n = snprintf(t, sizeof t, "%.17g", v);
    args_copy(a, t, (size_t)n);
}

/* Resolves the arguments to pointers (after the arena stopped moving). */
static int args_resolve(struct args *a)
{
    if (a->oom)
        return CQE_ENOMEM;
    if (a->pcap < a->n) {
        const char **pv = realloc(a->pv, a->n * sizeof *pv);
        if (pv)
            a->pv = pv;
        size_t *lv = realloc(a->lv, a->n * sizeof *lv);
        if (lv)
            a->lv = lv;
        if (!pv || !lv)
            return CQE_ENOMEM;
        a->pcap = a->n;
    }
    for (size_t i = 0; i < a->n; i++) {
        a->pv[i] = a->v[i].p ? a->v[i].p : a->arena + a->v[i].off;
        a->lv[i] = a->v[i].len;
    }
    return 0;
}

/* ---------------------------------------------------------------- the handle */

struct cqe_redis {
    redisContext *c; /* NULL while disconnected */
    char *host;
    int port, db;
    char *user;     /* NULL = default user */
    char *password; /* NULL = no AUTH; wiped on free */
    char sha[41];   /* of reg_script */
    int64_t commands, round_trips;
    int64_t retry_max_ms;
    enum cqe_redis_fault fault;
    int64_t fault_after, flushes;
    char **known; /* last position written or loaded, by partition; NULL = none */
    bool *known_set;
    size_t n_known;
    struct args a;
};

static void wipe(char *p)
{
    if (!p)
        return;
    volatile char *v = p;
    while (*v)
        *v++ = 0;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

static void drop(struct cqe_redis *r)
{
    if (r->c)
        redisFree(r->c);
    r->c = NULL;
}

void cqe_redis_free(struct cqe_redis *r)
{
    if (!r)
        return;
    drop(r);
    wipe(r->password);
    free(r->password);
    free(r->host);
    free(r->user);
    for (size_t i = 0; i < r->n_known; i++)
        free(r->known[i]);
    free(r->known);
    free(r->known_set);
    args_free(&r->a);
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

/* Fires the armed fault point: pushes what is buffered to the server, then exits. */
static void fault_point(struct cqe_redis *r, enum cqe_redis_fault here)
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
    r->port = u.port;
    const char *user = rc->user ? rc->user : u.user[0] ? u.user : NULL;
    if (!(r->host = dup_n(u.host, strlen(u.host))) || (user && !(r->user = dup_n(user, strlen(user)))))
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
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
    if (!ret && !(r->password = dup_n(buf, n)))
        ret = cqe_err_set(err, CQE_ENOMEM, "out of memory");
    cqe_secret_wipe(buf, sizeof buf);
    return ret;
}

/* ---------------------------------------------------------------- talking */

static bool retryable_error(const char *msg)
{
    static const char *const prefixes[] = {"LOADING",     "BUSY",       "OOM",       "TRYAGAIN",
                                           "CLUSTERDOWN", "MASTERDOWN", "NOREPLICAS"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (!strncmp(msg, prefixes[i], strlen(prefixes[i])))
            return true;
    return false;
}

/* Appends the built command (r->a) to the output buffer. */
static int send_args(struct cqe_redis *r, struct cqe_err *err)
{
    int rc = args_resolve(&r->a);
    if (rc)
        return cqe_err_set(err, rc, "out of memory building a redis command");
    if (redisAppendCommandArgv(r->c, (int)r->a.n, r->a.pv, r->a.lv) != REDIS_OK)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory buffering a redis command");
    r->commands++;
    args_reset(&r->a);
    return 0;
}

/* Appends a command of string arguments (NULL-terminated list). */
static int send_strs(struct cqe_redis *r, struct cqe_err *err, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    args_reset(&r->a);
    for (const char *s = first; s; s = va_arg(ap, const char *))
        args_cstr(&r->a, s);
    va_end(ap);
    return send_args(r, err);
}

/* Reads one reply. An I/O error or timeout drops the connection (hiredis contexts are
 * dead after one) and returns RETRY; *out is owned by the caller (freeReplyObject). */
static int get_reply(struct cqe_redis *r, redisReply **out, bool first, struct cqe_err *err)
{
    void *rep = NULL;
    if (first)
        r->round_trips++;
    if (redisGetReply(r->c, &rep) != REDIS_OK || !rep) {
        cqe_err_set(err, CQE_EUNAVAIL, "redis %s:%d: %s", r->host, r->port,
                    r->c->errstr[0] ? r->c->errstr : "connection lost");
        drop(r);
        return RETRY;
    }
    *out = rep;
    return 0;
}

/* True for the replies that refuse who we are or what we may do: final, never retried
 * (docs/state.md, "Errors"). */
static bool denied_error(const char *msg)
{
    return !strncmp(msg, "WRONGPASS", 9) || !strncmp(msg, "NOPERM", 6) || !strncmp(msg, "NOAUTH", 6);
}

/* Classifies an error reply: RETRY when the server is loading, busy or full,
 * CQE_EDENIED for refused credentials or permissions, else CQE_EIO. what names the
 * command. */
static int reply_error(struct cqe_redis *r, const redisReply *rep, const char *what, struct cqe_err *err)
{
    int code = denied_error(rep->str) ? CQE_EDENIED : CQE_EIO;
    cqe_err_set(err, code, "redis %s:%d refused %s: %.*s", r->host, r->port, what,
                (int)(rep->len < 300 ? rep->len : 300), rep->str);
    return retryable_error(rep->str) ? RETRY : code;
}

/* Sends the built command and reads its reply (one round trip). */
static int call(struct cqe_redis *r, const char *what, redisReply **out, struct cqe_err *err)
{
    int rc = send_args(r, err);
    if (rc)
        return rc;
    if ((rc = get_reply(r, out, true, err)))
        return rc;
    if ((*out)->type == REDIS_REPLY_ERROR) {
        rc = reply_error(r, *out, what, err);
        freeReplyObject(*out);
        *out = NULL;
    }
    return rc;
}

/* Connects, authenticates, selects the database and loads the script. Returns 0,
 * RETRY (unreachable, loading) or a final negative code (refused credentials). */
static int session_open(struct cqe_redis *r, struct cqe_err *err)
{
    struct timeval ct = {CONNECT_TIMEOUT_MS / 1000, (CONNECT_TIMEOUT_MS % 1000) * 1000};
    struct timeval tt = {COMMAND_TIMEOUT_MS / 1000, (COMMAND_TIMEOUT_MS % 1000) * 1000};
    redisReply *rep = NULL;
    int rc;
    drop(r);
    r->c = redisConnectWithTimeout(r->host, r->port, ct);
    if (!r->c)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory connecting to redis");
    if (r->c->err) {
        cqe_err_set(err, CQE_EUNAVAIL, "redis %s:%d: %s", r->host, r->port, r->c->errstr);
        drop(r);
        return RETRY;
    }
    redisSetTimeout(r->c, tt);
    redisEnableKeepAlive(r->c);
    if (r->password) {
        args_reset(&r->a);
        args_cstr(&r->a, "AUTH");
        if (r->user)
            args_cstr(&r->a, r->user);
        args_cstr(&r->a, r->password);
        if ((rc = call(r, "AUTH", &rep, err)))
            goto fail;
        freeReplyObject(rep);
    } else if (r->user) {
        rc = cqe_err_set(err, CQE_ECONFIG,
                         "redis user %s given without a password "
                         "(redis.password_file or redis.password_env)",
                         r->user);
        goto fail;
    }
    if (r->db) {
        char db[16];
        snprintf(db, sizeof db, "%d", r->db);
        args_reset(&r->a);
        args_cstr(&r->a, "SELECT");
        args_cstr(&r->a, db);
        if ((rc = call(r, "SELECT", &rep, err)))
            goto fail;
        freeReplyObject(rep);
    }
    args_reset(&r->a);
    args_cstr(&r->a, "SCRIPT");
    args_cstr(&r->a, "LOAD");
    args_ref(&r->a, reg_script, sizeof reg_script - 1);
    if ((rc = call(r, "SCRIPT LOAD", &rep, err)))
        goto fail;
    if (rep->type != REDIS_REPLY_STRING || rep->len != 40) {
        freeReplyObject(rep);
        rc = cqe_err_set(err, CQE_EIO, "redis %s:%d: unexpected SCRIPT LOAD reply", r->host, r->port);
        goto fail;
    }
    memcpy(r->sha, rep->str, 40);
    r->sha[40] = 0;
    freeReplyObject(rep);
    return 0;
fail:
    drop(r);
    return rc;
}

typedef int (*attempt_fn)(struct cqe_redis *r, void *arg, struct cqe_err *err);

/* Runs attempt until it succeeds or fails finally, reconnecting and backing off on
 * RETRY up to the retry limit. Logs one line per outage. */
static int with_retry(struct cqe_redis *r, attempt_fn attempt, void *arg, struct cqe_err *err)
{
    int64_t t0 = cqe_mono_ms(), delay = BACKOFF_FIRST_MS;
    bool logged = false;
    struct cqe_err e = {0};
    for (;;) {
        int rc = r->c ? 0 : session_open(r, &e);
        if (!rc)
            rc = attempt(r, arg, &e);
        if (rc <= 0) {
            if (rc && err)
                *err = e;
            return rc;
        }
        if (!logged) {
            fprintf(stderr, "cloudqe: %s; retrying with backoff\n", e.msg);
            logged = true;
        }
        if (r->retry_max_ms && cqe_mono_ms() - t0 >= r->retry_max_ms)
            return cqe_err_set(err, CQE_EUNAVAIL, "gave up after %lld ms: %s", (long long)(cqe_mono_ms() - t0),
                               e.msg);
        cqe_sleep_ms(delay);
        delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
    }
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
        goto fail;
    if ((ret = session_open(r, &e)) == RETRY)
        ret = e.code = CQE_EUNAVAIL;
    if (ret)
        goto fail;
    *out = r;
    return 0;
fail:
    if (!e.msg[0])
        cqe_err_set(&e, ret, "%s", cqe_strerror(ret));
    if (err)
        *err = e;
    cqe_redis_free(r);
    return ret;
}

/* ---------------------------------------------------------------- keys */

static int check_ns(const char *ns, struct cqe_err *err)
{
    if (!ns || !*ns || strpbrk(ns, "{}"))
        return cqe_err_set(err, CQE_EINVAL, "redis namespace '%s': non-empty, without '{' or '}'",
                           ns ? ns : "");
    return 0;
}

/* "<ns>:{p<partition>}:" into buf (NUL-terminated); returns its length. */
static size_t part_prefix(char *buf, size_t cap, const char *ns, int partition)
{
    int n = snprintf(buf, cap, "%s:{p%d}:", ns, partition);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* Position of partition p as last known to this handle; *set false when unknown. */
static const char *known_pos(const struct cqe_redis *r, int p, bool *set)
{
    *set = (size_t)p < r->n_known && r->known_set[p];
    return *set ? r->known[p] : NULL;
}

static int set_known(struct cqe_redis *r, int p, const char *pos)
{
    if ((size_t)p >= r->n_known) {
        size_t n = (size_t)p + 1;
        char **k = realloc(r->known, n * sizeof *k);
        if (k)
            r->known = k;
        bool *s = realloc(r->known_set, n * sizeof *s);
        if (s)
            r->known_set = s;
        if (!k || !s)
            return CQE_ENOMEM;
        for (size_t i = r->n_known; i < n; i++) {
            r->known[i] = NULL;
            r->known_set[i] = false;
        }
        r->n_known = n;
    }
    char *copy = NULL;
    if (pos && !(copy = dup_n(pos, strlen(pos))))
        return CQE_ENOMEM;
    free(r->known[p]);
    r->known[p] = copy;
    r->known_set[p] = true;
    return 0;
}

/* ---------------------------------------------------------------- partitions */

struct claim {
    const char *ns;
    int want; /* 0 = only read */
    int got;
};

static int claim_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct claim *c = arg;
    char key[600], n[16];
    snprintf(key, sizeof key, "%s:partitions", c->ns);
    snprintf(n, sizeof n, "%d", c->want);
    int rc, bad = 0;
    if (c->want && (rc = send_strs(r, err, "SET", key, n, "NX", (const char *)NULL)))
        return rc;
    if ((rc = send_strs(r, err, "GET", key, (const char *)NULL)))
        return rc;
    c->got = 0;
    for (int i = c->want ? 0 : 1; i < 2; i++) {
        redisReply *rep = NULL;
        if ((rc = get_reply(r, &rep, i == 0 || !c->want, err)))
            return rc;
        if (rep->type == REDIS_REPLY_ERROR && !bad)
            bad = reply_error(r, rep, i ? "GET" : "SET NX", err);
        else if (i == 1 && rep->type == REDIS_REPLY_STRING)
            c->got = (int)strtol(rep->str, NULL, 10);
        freeReplyObject(rep);
    }
    return bad;
}

int cqe_redis_claim_partitions(struct cqe_redis *r, const char *ns, int partitions, struct cqe_err *err)
{
    struct claim c = {ns, partitions, 0};
    int rc = check_ns(ns, err);
    if (rc || (rc = with_retry(r, claim_attempt, &c, err)))
        return rc;
    if (c.got != partitions)
        return cqe_err_set(err, CQE_ECONFIG,
                           "redis %s:%d db %d: namespace %s holds state split over %d partitions, "
                           "not %d: resume with --partitions %d, or start from an empty database",
                           r->host, r->port, r->db, ns, c.got, partitions, c.got);
    return 0;
}

int cqe_redis_partitions(struct cqe_redis *r, const char *ns, int *partitions, struct cqe_err *err)
{
    struct claim c = {ns, 0, 0};
    int rc = check_ns(ns, err);
    if (rc || (rc = with_retry(r, claim_attempt, &c, err)))
        return rc;
    *partitions = c.got;
    return 0;
}

/* ---------------------------------------------------------------- flush */

struct flush {
    const char *ns;
    int partition;
    const struct cqe_store *delta;
    const char *position;
    const char **ids;
    const size_t *id_lens;
    size_t n_ids;
    int64_t window;
    const struct cqe_redis_counts *counts;
    const struct cqe_cell **cells; /* sorted by op, key, field */
    size_t n_cells;
    char prefix[600];
    size_t prefix_len;
    bool any_reg;
};

static int cmp_bytes(const char *a, size_t la, const char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

static int cmp_cell(const void *x, const void *y)
{
    const struct cqe_cell *a = *(const struct cqe_cell *const *)x;
    const struct cqe_cell *b = *(const struct cqe_cell *const *)y;
    if (a->op != b->op)
        return a->op < b->op ? -1 : 1;
    int c = cmp_bytes(a->key, a->key_len, b->key, b->key_len);
    return c ? c : cmp_bytes(a->field, a->field_len, b->field, b->field_len);
}

struct collect {
    const struct cqe_cell **v;
    size_t n;
};

static int collect_cell(const struct cqe_cell *c, void *arg)
{
    struct collect *col = arg;
    col->v[col->n++] = c;
    return 0;
}

static const char *suffix_of(enum cqe_cell_op op)
{
    switch (op) {
    case CQE_OP_SUM: return SFX_SUM;
    case CQE_OP_MAX: return SFX_MAX;
    case CQE_OP_MIN: return SFX_MIN;
    case CQE_OP_SET: return SFX_SET;
    case CQE_OP_REG_MIN: return SFX_RMIN;
    case CQE_OP_REG_MAX: return SFX_RMAX;
    case CQE_OP_VEC: return SFX_VEC;
    }
    return "?";
}

static void args_state_key(struct args *a, const struct flush *f, const struct cqe_cell *c, const char *sfx)
{
    args_cat(a, f->prefix, f->prefix_len, c->key, c->key_len, ":", 1, sfx, strlen(sfx));
}

static bool same_key(const struct cqe_cell *a, const struct cqe_cell *b)
{
    return a->op == b->op && a->key_len == b->key_len && !memcmp(a->key, b->key, a->key_len);
}

/* Splits an int128 into hi·2^32 + lo with 0 <= lo < 2^32; false when hi leaves int64. */
static bool split_sum(__int128 v, int64_t *hi, int64_t *lo)
{
    __int128 l = v & (__int128)0xffffffff;
    __int128 h = (v - l) / ((__int128)1 << 32);
    if (h > INT64_MAX || h < INT64_MIN)
        return false;
    *hi = (int64_t)h;
    *lo = (int64_t)l;
    return true;
}

/* Appends the commands of every cell (between MULTI and the position). */
static int send_cells(struct cqe_redis *r, struct flush *f, size_t *sent, struct cqe_err *err)
{
    struct args *a = &r->a;
    size_t half = 0;
    int rc;
    for (size_t i = 0; i < f->n_cells;) {
        const struct cqe_cell *c = f->cells[i];
        size_t j = i + 1;
        args_reset(a);
        switch (c->op) {
        case CQE_OP_SUM: {
            int64_t hi, lo;
            if (!split_sum(c->sum, &hi, &lo))
                return cqe_err_set(err, CQE_EINVAL, "sum %.*s %.*s beyond 2^95", (int)c->key_len, c->key,
                                   (int)c->field_len, c->field);
            args_cstr(a, "HINCRBY");
            args_state_key(a, f, c, SFX_SUM);
            args_ref(a, c->field, c->field_len);
            args_i64(a, lo);
            if ((rc = send_args(r, err)))
                return rc;
            (*sent)++;
            if (hi) {
                args_cstr(a, "HINCRBY");
                args_state_key(a, f, c, SFX_SUMHI);
                args_ref(a, c->field, c->field_len);
                args_i64(a, hi);
                if ((rc = send_args(r, err)))
                    return rc;
                (*sent)++;
            }
            break;
        }
        case CQE_OP_MAX:
        case CQE_OP_MIN:
            args_cstr(a, "ZADD");
            args_state_key(a, f, c, suffix_of(c->op));
            args_cstr(a, c->op == CQE_OP_MAX ? "GT" : "LT");
            for (j = i; j < f->n_cells && j - i < BATCH_ITEMS && same_key(c, f->cells[j]); j++) {
                if (isnan(f->cells[j]->d))
                    return cqe_err_set(err, CQE_EINVAL, "NaN in %.*s", (int)c->key_len, c->key);
                args_dbl(a, f->cells[j]->d);
                args_ref(a, f->cells[j]->field, f->cells[j]->field_len);
            }
            if ((rc = send_args(r, err)))
                return rc;
            (*sent)++;
            break;
        case CQE_OP_SET:
            args_cstr(a, "SADD");
            args_state_key(a, f, c, SFX_SET);
            for (j = i; j < f->n_cells && j - i < BATCH_ITEMS && same_key(c, f->cells[j]); j++)
                args_ref(a, f->cells[j]->field, f->cells[j]->field_len);
            if ((rc = send_args(r, err)))
                return rc;
            (*sent)++;
            break;
        case CQE_OP_VEC:
            /* one HINCRBY per non-zero entry: commands grow with the minutes touched */
            for (uint32_t v = 0; v < c->vec_len; v++) {
                if (!c->vec[v])
                    continue;
                char head[48];
                int hn = snprintf(head, sizeof head, "%u|%u|", (unsigned)c->vec_len, (unsigned)v);
                args_reset(a);
                args_cstr(a, "HINCRBY");
                args_state_key(a, f, c, SFX_VEC);
                args_cat(a, head, (size_t)hn, c->field, c->field_len, NULL, 0, NULL, 0);
                args_i64(a, c->vec[v]);
                if ((rc = send_args(r, err)))
                    return rc;
                (*sent)++;
            }
            break;
        case CQE_OP_REG_MIN:
        case CQE_OP_REG_MAX: {
            /* one EVALSHA for a run of register cells: keys first, then op/field/value */
            for (j = i; j < f->n_cells && j - i < BATCH_ITEMS &&
                        (f->cells[j]->op == CQE_OP_REG_MIN || f->cells[j]->op == CQE_OP_REG_MAX);
                 j++)
                ;
            args_cstr(a, "EVALSHA");
            args_cstr(a, r->sha);
            args_i64(a, (long long)(j - i));
            for (size_t k = i; k < j; k++)
                args_state_key(a, f, f->cells[k], suffix_of(f->cells[k]->op));
            for (size_t k = i; k < j; k++) {
                const struct cqe_cell *g = f->cells[k];
                char head[48];
                int hn =
                    snprintf(head, sizeof head, "%lld|%zu:", (long long)g->reg_ts, (size_t)g->reg_id_len);
                args_cstr(a, g->op == CQE_OP_REG_MIN ? "<" : ">");
                args_ref(a, g->field, g->field_len);
                args_cat(a, head, (size_t)hn, g->reg_id, g->reg_id_len, g->reg_val, g->reg_val_len, NULL, 0);
            }
            if ((rc = send_args(r, err)))
                return rc;
            (*sent)++;
            break;
        }
        }
        i = j;
        if (!half && i * 2 >= f->n_cells) {
            half = 1;
            fault_point(r, CQE_FAULT_MID_PIPELINE);
        }
    }
    if (!half)
        fault_point(r, CQE_FAULT_MID_PIPELINE);
    return 0;
}

/* Appends position, dedup ids and counts (the partition's meta keys). */
static int send_meta(struct cqe_redis *r, struct flush *f, size_t *sent, struct cqe_err *err)
{
    struct args *a = &r->a;
    int rc;
    args_reset(a);
    args_cstr(a, "SET");
    args_cat(a, f->prefix, f->prefix_len, "pos", 3, NULL, 0, NULL, 0);
    args_cstr(a, f->position);
    if ((rc = send_args(r, err)))
        return rc;
    (*sent)++;
    if (f->window > 0 && f->n_ids) {
        size_t first = f->n_ids > (size_t)f->window ? f->n_ids - (size_t)f->window : 0;
        for (size_t i = first; i < f->n_ids; i += BATCH_ITEMS) {
            args_cstr(a, "RPUSH");
            args_cat(a, f->prefix, f->prefix_len, "dedup", 5, NULL, 0, NULL, 0);
            for (size_t k = i; k < f->n_ids && k - i < BATCH_ITEMS; k++)
                args_ref(a, f->ids[k], f->id_lens[k]);
            if ((rc = send_args(r, err)))
                return rc;
            (*sent)++;
        }
        args_cstr(a, "LTRIM");
        args_cat(a, f->prefix, f->prefix_len, "dedup", 5, NULL, 0, NULL, 0);
        args_i64(a, -(long long)f->window);
        args_cstr(a, "-1");
        if ((rc = send_args(r, err)))
            return rc;
        (*sent)++;
    }
    if (f->counts) {
        const char *names[4] = {"read", "applied", "duplicates", "dead_letters"};
        int64_t vals[4] = {f->counts->read, f->counts->applied, f->counts->duplicates,
                           f->counts->dead_letters};
        for (int i = 0; i < 4; i++) {
            if (!vals[i])
                continue;
            args_cstr(a, "HINCRBY");
            args_cat(a, f->prefix, f->prefix_len, "count", 5, NULL, 0, NULL, 0);
            args_cstr(a, names[i]);
            args_i64(a, vals[i]);
            if ((rc = send_args(r, err)))
                return rc;
            (*sent)++;
        }
    }
    return 0;
}

/* Drains n queued replies after a failure, keeping the connection usable. */
static int drain(struct cqe_redis *r, size_t n, struct cqe_err *err)
{
    for (size_t i = 0; i < n; i++) {
        redisReply *rep = NULL;
        struct cqe_err e2;
        if (get_reply(r, &rep, false, &e2)) {
            if (err && !err->msg[0])
                *err = e2;
            return RETRY;
        }
        freeReplyObject(rep);
    }
    return 0;
}

/* One attempt: WATCH the position and read it (it tells whether an earlier attempt's
 * EXEC was applied), then MULTI, the commands, EXEC. The WATCH makes a late EXEC of a
 * dropped connection fail instead of applying twice. */
static int flush_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct flush *f = arg;
    char pos_key[620];
    redisReply *rep = NULL;
    int rc;
    snprintf(pos_key, sizeof pos_key, "%spos", f->prefix);

    if ((rc = send_strs(r, err, "WATCH", pos_key, (const char *)NULL)) ||
        (rc = send_strs(r, err, "GET", pos_key, (const char *)NULL)))
        return rc;
    if ((rc = get_reply(r, &rep, true, err)))
        return rc;
    if (rep->type == REDIS_REPLY_ERROR) {
        rc = reply_error(r, rep, "WATCH", err);
        freeReplyObject(rep);
        int d = drain(r, 1, NULL);
        return d ? d : rc;
    }
    freeReplyObject(rep);
    if ((rc = get_reply(r, &rep, false, err)))
        return rc;
    if (rep->type == REDIS_REPLY_ERROR) {
        rc = reply_error(r, rep, "GET", err);
        freeReplyObject(rep);
        return rc;
    }
    bool held = rep->type == REDIS_REPLY_STRING;
    bool applied = held && !strcmp(rep->str, f->position);
    bool set;
    const char *known = known_pos(r, f->partition, &set);
    bool lost = !applied && set && (known ? !held || strcmp(rep->str, known) : held);
    if (lost)
        cqe_err_set(err, CQE_EIO,
                    "redis %s:%d: partition %d holds position %s where %s was expected: Redis "
                    "lost acknowledged state (run it with appendfsync always) or another process "
                    "writes this namespace; start again from an empty database",
                    r->host, r->port, f->partition, held ? rep->str : "(none)", known ? known : "(none)");
    freeReplyObject(rep);
    if (applied || lost) {
        rc = send_strs(r, err, "UNWATCH", (const char *)NULL);
        if (!rc && !(rc = get_reply(r, &rep, true, err)))
            freeReplyObject(rep);
        if (rc == RETRY && applied)
            rc = 0; /* the state is in; the connection is re-opened next time */
        return lost ? CQE_EIO : rc;
    }

    if ((rc = send_strs(r, err, "MULTI", (const char *)NULL)))
        return rc;
    if ((rc = get_reply(r, &rep, true, err)))
        return rc;
    if (rep->type != REDIS_REPLY_STATUS) {
        rc = rep->type == REDIS_REPLY_ERROR ? reply_error(r, rep, "MULTI", err)
                                            : cqe_err_set(err, CQE_EIO, "redis: unexpected MULTI reply");
        freeReplyObject(rep);
        return rc;
    }
    freeReplyObject(rep);

    size_t sent = 0;
    if (f->any_reg) {
        /* in the transaction, so EVALSHA cannot meet an empty script cache */
        args_reset(&r->a);
        args_cstr(&r->a, "SCRIPT");
        args_cstr(&r->a, "LOAD");
        args_ref(&r->a, reg_script, sizeof reg_script - 1);
        if ((rc = send_args(r, err)))
            return rc;
        sent++;
    }
    if ((rc = send_cells(r, f, &sent, err)) || (rc = send_meta(r, f, &sent, err))) {
        drop(r); /* half-built pipeline: discard it with the connection */
        return rc;
    }
    fault_point(r, CQE_FAULT_BEFORE_EXEC);
    if ((rc = send_strs(r, err, "EXEC", (const char *)NULL)))
        return rc;

    char first_err[320] = "";
    for (size_t i = 0; i < sent; i++) {
        if ((rc = get_reply(r, &rep, i == 0, err)))
            return rc;
        if (rep->type == REDIS_REPLY_ERROR && !first_err[0])
            snprintf(first_err, sizeof first_err, "%.*s", (int)(rep->len < 300 ? rep->len : 300), rep->str);
        freeReplyObject(rep);
    }
    if ((rc = get_reply(r, &rep, false, err)))
        return rc;
    if (rep->type == REDIS_REPLY_NIL) { /* the WATCH fired: someone moved the position */
        freeReplyObject(rep);
        cqe_err_set(err, CQE_EUNAVAIL, "redis: partition %d position changed during the flush", f->partition);
        return RETRY;
    }
    if (rep->type == REDIS_REPLY_ERROR) { /* EXECABORT: nothing applied */
        const char *why = first_err[0] ? first_err : rep->str;
        int code = denied_error(why) ? CQE_EDENIED : CQE_EIO;
        cqe_err_set(err, code, "redis %s:%d refused the transaction of partition %d: %s", r->host, r->port,
                    f->partition, why);
        rc = retryable_error(why) ? RETRY : code;
        freeReplyObject(rep);
        return rc;
    }
    rc = 0;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != sent) {
        rc = cqe_err_set(err, CQE_EIO, "redis: unexpected EXEC reply for partition %d", f->partition);
    } else {
        for (size_t i = 0; i < rep->elements; i++) {
            const redisReply *e = rep->element[i];
            if (e->type == REDIS_REPLY_ERROR) {
                rc = cqe_err_set(err, CQE_EIO,
                                 "redis %s:%d applied the transaction of partition %d in part "
                                 "(command %zu: %.*s): the state is no longer exact",
                                 r->host, r->port, f->partition, i + 1, (int)(e->len < 300 ? e->len : 300),
                                 e->str);
                break;
            }
        }
    }
    freeReplyObject(rep);
    if (rc)
        return rc;
    fault_point(r, CQE_FAULT_AFTER_EXEC);
    return 0;
}

int cqe_redis_flush_partition(struct cqe_redis *r, const char *ns, int partition,
                              const struct cqe_store *delta, const char *position, const char **new_dedup_ids,
                              const size_t *id_lens, size_t n_ids, int64_t dedup_window,
                              const struct cqe_redis_counts *counts, struct cqe_err *err)
{
    struct flush f = {ns,   partition, delta, position, new_dedup_ids, id_lens, n_ids, dedup_window, counts,
                      NULL, 0,         "",    0,        false};
    int rc = check_ns(ns, err);
    if (rc)
        return rc;
    if (partition < 0 || !position || !*position)
        return cqe_err_set(err, CQE_EINVAL, "redis flush: bad partition or empty position");
    if (!(f.prefix_len = part_prefix(f.prefix, sizeof f.prefix, ns, partition)))
        return cqe_err_set(err, CQE_EINVAL, "redis namespace too long");
    size_t n = cqe_store_cells(delta);
    struct collect col = {calloc(n ? n : 1, sizeof *col.v), 0};
    if (!col.v)
        return cqe_err_set(err, CQE_ENOMEM, "out of memory");
    cqe_store_each(delta, collect_cell, &col);
    qsort(col.v, col.n, sizeof *col.v, cmp_cell);
    f.cells = col.v;
    f.n_cells = col.n;
    for (size_t i = 0; i < col.n; i++)
        if (col.v[i]->op == CQE_OP_REG_MIN || col.v[i]->op == CQE_OP_REG_MAX)
            f.any_reg = true;
    rc = with_retry(r, flush_attempt, &f, err);
    if (!rc && (rc = set_known(r, partition, position)))
        cqe_err_set(err, rc, "out of memory");
    if (!rc)
        r->flushes++;
    free(col.v);
    return rc;
}

/* ---------------------------------------------------------------- partition meta */

struct meta {
    const char *ns;
    int partition;
    char **position;
    struct cqe_dedup *dedup;
    char prefix[600];
};

static int meta_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct meta *m = arg;
    char key[620];
    redisReply *rep = NULL;
    /* remembered only once every chunk arrived, so a retried attempt never
     * remembers an id twice */
    struct cqe_id_batch ids = {0};
    int rc;
    free(*m->position);
    *m->position = NULL;
    snprintf(key, sizeof key, "%spos", m->prefix);
    if ((rc = send_strs(r, err, "GET", key, (const char *)NULL)) || (rc = get_reply(r, &rep, true, err)))
        return rc;
    if (rep->type == REDIS_REPLY_ERROR)
        rc = reply_error(r, rep, "GET", err);
    else if (rep->type == REDIS_REPLY_STRING && !(*m->position = dup_n(rep->str, rep->len)))
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
    freeReplyObject(rep);
    if (rc || !m->dedup)
        return rc;
    snprintf(key, sizeof key, "%sdedup", m->prefix);
    for (long long start = 0;; start += DEDUP_CHUNK) {
        char a1[24], a2[24];
        snprintf(a1, sizeof a1, "%lld", start);
        snprintf(a2, sizeof a2, "%lld", start + DEDUP_CHUNK - 1);
        if ((rc = send_strs(r, err, "LRANGE", key, a1, a2, (const char *)NULL)) ||
            (rc = get_reply(r, &rep, true, err)))
            goto out;
        size_t got = 0;
        if (rep->type == REDIS_REPLY_ERROR)
            rc = reply_error(r, rep, "LRANGE", err);
        for (size_t i = 0; !rc && rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
            const redisReply *e = rep->element[i];
            if (e->type == REDIS_REPLY_STRING && cqe_id_batch_add(&ids, e->str, e->len))
                rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
            got++;
        }
        freeReplyObject(rep);
        if (rc)
            goto out;
        if (got < DEDUP_CHUNK)
            break;
    }
    for (size_t i = 0, o = 0; i < ids.n; o += ids.lens[i], i++)
        if (cqe_dedup_remember(m->dedup, ids.bytes + o, ids.lens[i])) {
            rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
            break;
        }
out:
    cqe_id_batch_free(&ids);
    return rc;
}

int cqe_redis_load_partition_meta(struct cqe_redis *r, const char *ns, int partition, char **position,
                                  struct cqe_dedup *dedup, struct cqe_err *err)
{
    struct meta m = {ns, partition, position, dedup, ""};
    *position = NULL;
    int rc = check_ns(ns, err);
    if (rc)
        return rc;
    if (partition < 0 || !part_prefix(m.prefix, sizeof m.prefix, ns, partition))
        return cqe_err_set(err, CQE_EINVAL, "redis: bad partition or namespace");
    if ((rc = with_retry(r, meta_attempt, &m, err)))
        goto fail;
    if ((rc = set_known(r, partition, *position))) {
        cqe_err_set(err, rc, "out of memory");
        goto fail;
    }
    return 0;
fail:
    free(*position);
    *position = NULL;
    return rc;
}

/* ---------------------------------------------------------------- loading state */

struct load {
    const char *ns;
    struct cqe_store *tmp;  /* filled by one attempt, merged on success */
    struct cqe_store *keys; /* SCAN results, deduplicated (SCAN may repeat keys) */
    char pattern[700];
};

/* Splits a state key into store key and op kind; returns the suffix or NULL (meta). */
static const char *parse_state_key(const char *ns, const char *k, size_t n, const char **skey, size_t *slen)
{
    size_t nl = strlen(ns);
    if (n < nl + 4 || memcmp(k, ns, nl) || memcmp(k + nl, ":{p", 3))
        return NULL;
    size_t i = nl + 3, d0 = i;
    while (i < n && k[i] >= '0' && k[i] <= '9')
        i++;
    if (i == d0 || i + 2 > n || k[i] != '}' || k[i + 1] != ':')
        return NULL;
    i += 2;
    const char *colon = NULL;
    for (size_t j = i; j < n; j++)
        if (k[j] == ':')
            colon = k + j;
    if (!colon)
        return NULL; /* pos, dedup, count */
    *skey = k + i;
    *slen = (size_t)(colon - (k + i));
    return colon + 1;
}

struct key_batch {
    const char **k;
    size_t *n;
    size_t count;
};

static int collect_key(const struct cqe_cell *c, void *arg)
{
    struct key_batch *b = arg;
    b->k[b->count] = c->field;
    b->n[b->count] = c->field_len;
    b->count++;
    return 0;
}

static int parse_i64(const char *s, size_t n, int64_t *out)
{
    char t[32];
    if (!n || n >= sizeof t)
        return -1;
    memcpy(t, s, n);
    t[n] = 0;
    char *end;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

static int parse_dbl(const char *s, size_t n, double *out)
{
    char t[64];
    if (!n || n >= sizeof t)
        return -1;
    memcpy(t, s, n);
    t[n] = 0;
    char *end;
    *out = strtod(t, &end);
    return *end ? -1 : 0;
}

/* Applies one key's reply (HGETALL / ZRANGE WITHSCORES / SMEMBERS) into the store. */
static int apply_key(struct cqe_store *s, const char *sfx, const char *skey, size_t sl, const redisReply *rep,
                     const char *rk, size_t rkl, struct cqe_err *err)
{
    int rc = 0;
    if (rep->type != REDIS_REPLY_ARRAY)
        return cqe_err_set(err, CQE_EIO, "redis key %.*s: unexpected reply (type %d)", (int)rkl, rk,
                           rep->type);
    bool pairs = strcmp(sfx, SFX_SET) != 0;
    if (pairs && rep->elements % 2)
        return cqe_err_set(err, CQE_EIO, "redis key %.*s: odd reply", (int)rkl, rk);
    for (size_t i = 0; !rc && i < rep->elements; i += pairs ? 2 : 1) {
        const redisReply *a = rep->element[i], *b = pairs ? rep->element[i + 1] : NULL;
        if (a->type != REDIS_REPLY_STRING || (b && b->type != REDIS_REPLY_STRING))
            return cqe_err_set(err, CQE_EIO, "redis key %.*s: unexpected element", (int)rkl, rk);
        if (!strcmp(sfx, SFX_SUM) || !strcmp(sfx, SFX_SUMHI)) {
            int64_t v;
            if (parse_i64(b->str, b->len, &v))
                goto bad;
            __int128 d = (__int128)v;
            if (!strcmp(sfx, SFX_SUMHI))
                d *= (__int128)1 << 32;
            rc = cqe_store_add(s, skey, sl, a->str, a->len, d);
        } else if (!strcmp(sfx, SFX_MAX) || !strcmp(sfx, SFX_MIN)) {
            double v;
            if (parse_dbl(b->str, b->len, &v))
                goto bad;
            rc = !strcmp(sfx, SFX_MAX) ? cqe_store_max(s, skey, sl, a->str, a->len, v)
                                       : cqe_store_min(s, skey, sl, a->str, a->len, v);
        } else if (!strcmp(sfx, SFX_SET)) {
            rc = cqe_store_set_add(s, skey, sl, a->str, a->len);
        } else if (!strcmp(sfx, SFX_VEC)) { /* "<len>|<index>|<field>" */
            const char *b1 = memchr(a->str, '|', a->len), *b2;
            int64_t len, idx, v;
            if (!b1 || !(b2 = memchr(b1 + 1, '|', a->len - (size_t)(b1 + 1 - a->str))) ||
                parse_i64(a->str, (size_t)(b1 - a->str), &len) ||
                parse_i64(b1 + 1, (size_t)(b2 - b1 - 1), &idx) || parse_i64(b->str, b->len, &v) || len < 1 ||
                len > UINT32_MAX || idx < 0 || idx >= len)
                goto bad;
            rc = cqe_store_vec_add(s, skey, sl, b2 + 1, a->len - (size_t)(b2 + 1 - a->str), (uint32_t)len,
                                   (uint32_t)idx, v);
        } else { /* rmin / rmax: "<ts>|<idlen>:<id><val>" */
            const char *v = b->str, *bar = memchr(v, '|', b->len), *colon;
            int64_t ts, idl;
            if (!bar || !(colon = memchr(bar, ':', b->len - (size_t)(bar - v))) ||
                parse_i64(v, (size_t)(bar - v), &ts) || parse_i64(bar + 1, (size_t)(colon - bar - 1), &idl) ||
                idl < 0 || (size_t)idl > b->len - (size_t)(colon + 1 - v))
                goto bad;
            const char *id = colon + 1, *val = id + idl;
            rc = cqe_store_reg(s, !strcmp(sfx, SFX_RMIN) ? CQE_OP_REG_MIN : CQE_OP_REG_MAX, skey, sl, a->str,
                               a->len, ts, id, (size_t)idl, val, b->len - (size_t)(val - v));
        }
    }
    return rc ? cqe_err_set(err, rc, "out of memory loading state") : 0;
bad:
    return cqe_err_set(err, CQE_EIO, "redis key %.*s: a value does not parse", (int)rkl, rk);
}

/* Reads a batch of keys with one pipelined round trip and applies them. */
static int load_batch(struct cqe_redis *r, struct load *l, const char **k, const size_t *kn, size_t count,
                      struct cqe_err *err)
{
    int rc = 0;
    size_t sent = 0;
    const char *sfx[LOAD_KEYS];
    const char *skey[LOAD_KEYS];
    size_t sl[LOAD_KEYS];
    for (size_t i = 0; i < count; i++) {
        sfx[i] = parse_state_key(l->ns, k[i], kn[i], &skey[i], &sl[i]);
        if (!sfx[i])
            continue;
        args_reset(&r->a);
        if (!strcmp(sfx[i], SFX_MAX) || !strcmp(sfx[i], SFX_MIN)) {
            args_cstr(&r->a, "ZRANGE");
            args_ref(&r->a, k[i], kn[i]);
            args_cstr(&r->a, "0");
            args_cstr(&r->a, "-1");
            args_cstr(&r->a, "WITHSCORES");
        } else if (!strcmp(sfx[i], SFX_SET)) {
            args_cstr(&r->a, "SMEMBERS");
            args_ref(&r->a, k[i], kn[i]);
        } else if (!strcmp(sfx[i], SFX_SUM) || !strcmp(sfx[i], SFX_SUMHI) || !strcmp(sfx[i], SFX_VEC) ||
                   !strcmp(sfx[i], SFX_RMIN) ||
                   !strcmp(sfx[i], SFX_RMAX)) {
            args_cstr(&r->a, "HGETALL");
            args_ref(&r->a, k[i], kn[i]);
        } else {
            return cqe_err_set(err, CQE_EIO, "redis key %.*s: unknown kind '%s'", (int)kn[i], k[i], sfx[i]);
        }
        if ((rc = send_args(r, err))) {
            drop(r);
            return rc;
        }
        sent++;
    }
    size_t got = 0;
    for (size_t i = 0; i < count; i++) {
        if (!sfx[i])
            continue;
        redisReply *rep = NULL;
        if ((rc = get_reply(r, &rep, got == 0, err)))
            return rc;
        got++;
        if (rep->type == REDIS_REPLY_ERROR)
            rc = reply_error(r, rep, "a read", err);
        else
            rc = apply_key(l->tmp, sfx[i], skey[i], sl[i], rep, k[i], kn[i], err);
        freeReplyObject(rep);
        if (rc) {
            int d = drain(r, sent - got, NULL);
            return d ? d : rc;
        }
    }
    return 0;
}

static int load_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct load *l = arg;
    int rc = 0;
    cqe_store_clear(l->tmp);
    cqe_store_clear(l->keys);
    char cursor[32] = "0";
    do {
        redisReply *rep = NULL;
        args_reset(&r->a);
        args_cstr(&r->a, "SCAN");
        args_cstr(&r->a, cursor);
        args_cstr(&r->a, "MATCH");
        args_cstr(&r->a, l->pattern);
        args_cstr(&r->a, "COUNT");
        args_cstr(&r->a, "1000");
        if ((rc = call(r, "SCAN", &rep, err)))
            return rc;
        if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
            rep->element[0]->type != REDIS_REPLY_STRING || rep->element[0]->len >= sizeof cursor ||
            rep->element[1]->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(rep);
            return cqe_err_set(err, CQE_EIO, "redis: unexpected SCAN reply");
        }
        memcpy(cursor, rep->element[0]->str, rep->element[0]->len);
        cursor[rep->element[0]->len] = 0;
        const redisReply *ks = rep->element[1];
        for (size_t i = 0; !rc && i < ks->elements; i++)
            if (ks->element[i]->type == REDIS_REPLY_STRING &&
                cqe_store_set_add(l->keys, "k", 1, ks->element[i]->str, ks->element[i]->len))
                rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        freeReplyObject(rep);
        if (rc)
            return rc;
    } while (strcmp(cursor, "0"));

    size_t n = cqe_store_cells(l->keys);
    struct key_batch all = {calloc(n ? n : 1, sizeof *all.k), calloc(n ? n : 1, sizeof *all.n), 0};
    if (!all.k || !all.n) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    cqe_store_each(l->keys, collect_key, &all);
    for (size_t i = 0; !rc && i < all.count; i += LOAD_KEYS)
        rc = load_batch(r, l, all.k + i, all.n + i, all.count - i < LOAD_KEYS ? all.count - i : LOAD_KEYS,
                        err);
out:
    free(all.k);
    free(all.n);
    return rc;
}

static void glob_escape(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 3 < cap; s++) {
        if (strchr("*?[]\\", *s))
            out[o++] = '\\';
        out[o++] = *s;
    }
    out[o] = 0;
}

int cqe_redis_load_state(struct cqe_redis *r, const char *ns, struct cqe_store *into, struct cqe_err *err)
{
    struct load l = {ns, NULL, NULL, ""};
    int rc = check_ns(ns, err);
    if (rc)
        return rc;
    if (strlen(ns) > 256)
        return cqe_err_set(err, CQE_EINVAL, "redis namespace too long");
    char esc[600];
    glob_escape(esc, sizeof esc, ns);
    snprintf(l.pattern, sizeof l.pattern, "%s:{p*}:*", esc);
    l.tmp = cqe_store_new();
    l.keys = cqe_store_new();
    if (!l.tmp || !l.keys) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = with_retry(r, load_attempt, &l, err)))
        goto out;
    if ((rc = cqe_store_merge(into, l.tmp)))
        cqe_err_set(err, rc, "out of memory merging state");
out:
    cqe_store_free(l.tmp);
    cqe_store_free(l.keys);
    return rc;
}

/* ---------------------------------------------------------------- counts */

struct counts_load {
    const char *ns;
    int partitions;
    struct cqe_redis_counts *out;
};

static int counts_attempt(struct cqe_redis *r, void *arg, struct cqe_err *err)
{
    struct counts_load *c = arg;
    int rc = 0;
    memset(c->out, 0, sizeof *c->out);
    for (int p = 0; p < c->partitions; p++) {
        char key[620];
        int n = snprintf(key, sizeof key, "%s:{p%d}:count", c->ns, p);
        (void)n;
        if ((rc = send_strs(r, err, "HGETALL", key, (const char *)NULL))) {
            drop(r);
            return rc;
        }
    }
    for (int p = 0; p < c->partitions; p++) {
        redisReply *rep = NULL;
        if ((rc = get_reply(r, &rep, p == 0, err)))
            return rc;
        if (rep->type == REDIS_REPLY_ERROR) {
            rc = reply_error(r, rep, "HGETALL", err);
            freeReplyObject(rep);
            int d = drain(r, (size_t)(c->partitions - p - 1), NULL);
            return d ? d : rc;
        }
        for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements; i += 2) {
            const redisReply *f = rep->element[i], *v = rep->element[i + 1];
            int64_t x = 0;
            if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
                parse_i64(v->str, v->len, &x))
                continue;
            if (!strcmp(f->str, "read"))
                c->out->read += x;
            else if (!strcmp(f->str, "applied"))
                c->out->applied += x;
            else if (!strcmp(f->str, "duplicates"))
                c->out->duplicates += x;
            else if (!strcmp(f->str, "dead_letters"))
                c->out->dead_letters += x;
        }
        freeReplyObject(rep);
    }
    return 0;
}

int cqe_redis_load_counts(struct cqe_redis *r, const char *ns, struct cqe_redis_counts *out,
                          struct cqe_err *err)
{
    struct counts_load c = {ns, 0, out};
    memset(out, 0, sizeof *out);
    int rc = cqe_redis_partitions(r, ns, &c.partitions, err);
    if (rc || !c.partitions)
        return rc;
    if (strlen(ns) > 500)
        return cqe_err_set(err, CQE_EINVAL, "redis namespace too long");
    return with_retry(r, counts_attempt, &c, err);
}
