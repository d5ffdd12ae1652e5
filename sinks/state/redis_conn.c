/* The connection of a Redis handle: connect, AUTH, SELECT, timeouts, sending commands and
 * reading replies, classifying error replies (retry, denied, final), reconnecting with
 * capped backoff; also the handle's life cycle (cqe_redis_connect / _free). hiredis 0.14. */
#include "state_redis_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "redis_url.h"
#include "secret.h"

#define CONNECT_TIMEOUT_MS 2000
#define COMMAND_TIMEOUT_MS 30000
#define RETRY_DEFAULT_MS 300000
#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 2000

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
    if (r->c)
        redisFree(r->c);
    r->c = NULL;
}

void cqe_redis_free(struct cqe_redis *r)
{
    if (!r)
        return;
    cqe_rconn_drop(r);
    wipe(r->password);
    free(r->password);
    free(r->host);
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
    r->port = u.port;
    const char *user = rc->user ? rc->user : u.user[0] ? u.user : NULL;
    if (!(r->host = strdup(u.host)) || (user && !(r->user = strdup(user))))
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
    if (!ret && !(r->password = strndup(buf, n)))
        ret = cqe_err_set(err, CQE_ENOMEM, "out of memory");
    cqe_secret_wipe(buf, sizeof buf);
    return ret;
}

/* ---------------------------------------------------------------- commands and replies */

int cqe_rconn_send(struct cqe_redis *r, struct cqe_err *err)
{
    int rc = cqe_rargs_resolve(&r->a);
    if (rc)
        return cqe_err_set(err, rc, "out of memory building a redis command");
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

int cqe_rconn_reply(struct cqe_redis *r, redisReply **out, bool first, struct cqe_err *err)
{
    void *rep = NULL;
    if (first)
        r->round_trips++;
    if (redisGetReply(r->c, &rep) != REDIS_OK || !rep) {
        cqe_err_set(err, CQE_EUNAVAIL, "redis %s:%d: %s", r->host, r->port,
                    r->c->errstr[0] ? r->c->errstr : "connection lost");
        cqe_rconn_drop(r);
        return CQE_RETRY;
    }
    *out = rep;
    return 0;
}

static bool starts_with(const char *msg, const char *prefix)
{
    return !strncmp(msg, prefix, strlen(prefix));
}

int cqe_rconn_classify(const char *msg, int *code)
{
    /* the server is loading, busy or full: worth another attempt */
    static const char *const retry[] = {"LOADING",     "BUSY",       "OOM",       "TRYAGAIN",
                                        "CLUSTERDOWN", "MASTERDOWN", "NOREPLICAS"};
    /* who we are or what we may do is refused: final (docs/state.md, "Retries and outages") */
    static const char *const denied[] = {"WRONGPASS", "NOPERM", "NOAUTH"};
    *code = CQE_EIO;
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
    int code, rc = cqe_rconn_classify(rep->str, &code);
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

/* SCRIPT LOAD the flush script and keep its SHA for EVALSHA. */
static int session_script(struct cqe_redis *r, struct cqe_err *err)
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
    if ((rc = session_auth(r, err)) || (rc = session_select(r, err)) || (rc = session_script(r, err)))
        cqe_rconn_drop(r);
    return rc;
}

int cqe_rconn_retry(struct cqe_redis *r, cqe_redis_attempt_fn attempt, void *arg, struct cqe_err *err)
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
            return cqe_err_set(err, CQE_EUNAVAIL, "gave up after %lld ms: %s",
                               (long long)(cqe_mono_ms() - t0), e.msg);
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
        goto out;
    if ((ret = session_open(r, &e)) == CQE_RETRY)
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
