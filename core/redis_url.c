/* Parsing of redis:// URLs (see redis_url.h). */
#include "redis_url.h"

#include <stdbool.h>
#include <string.h>

#define FORM "use redis://[USER@]HOST[:PORT][/DB] (port 1-65535, db 0-999999999)"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool host_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' ||
           c == '_';
}

/* Reads a decimal number without a leading zero (except "0") of at most maxd digits. */
static const char *number(const char *p, int maxd, long *v)
{
    const char *s = p;
    *v = 0;
    while (is_digit(*p) && p - s < maxd)
        *v = *v * 10 + (*p++ - '0');
    if (p == s || is_digit(*p) || (p - s > 1 && *s == '0'))
        return NULL;
    return p;
}

static int copy_part(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

int cqe_redis_url_parse(const char *url, struct cqe_redis_url *out, struct cqe_err *err)
{
    static const char scheme[] = "redis://";
    memset(out, 0, sizeof *out);
    out->port = CQE_REDIS_DEFAULT_PORT;
    out->db = -1;
    if (!url || strncmp(url, scheme, sizeof scheme - 1))
        return cqe_err_set(err, CQE_ECONFIG, "redis url \"%s\": %s", url ? url : "", FORM);
    const char *p = url + sizeof scheme - 1;
    const char *at = NULL;
    for (const char *q = p; *q && *q != '/'; q++)
        if (*q == '@')
            at = q;
    if (at) {
        if (memchr(p, ':', (size_t)(at - p)))
            return cqe_err_set(err, CQE_ECONFIG,
                               "redis url: credentials in the url are refused (a password would show in "
                               "the process list); secrets come from redis.password_file or "
                               "redis.password_env, never the config or command line");
        if (at == p || copy_part(out->user, sizeof out->user, p, (size_t)(at - p)))
            return cqe_err_set(err, CQE_ECONFIG, "redis url \"%s\": bad user; %s", url, FORM);
        p = at + 1;
    }
    const char *host = p, *host_end;
    if (*p == '[') {
        host = ++p;
        while (is_digit(*p) || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') || *p == ':' || *p == '.')
            p++;
        if (*p != ']')
            return cqe_err_set(err, CQE_ECONFIG, "redis url \"%s\": bad IPv6 address; %s", url, FORM);
        host_end = p++;
    } else {
        while (host_char(*p))
            p++;
        host_end = p;
    }
    if (host_end == host || copy_part(out->host, sizeof out->host, host, (size_t)(host_end - host)))
        return cqe_err_set(err, CQE_ECONFIG, "redis url \"%s\": no usable host; %s", url, FORM);
    long v;
    if (*p == ':') {
        if (!(p = number(p + 1, 5, &v)) || v < 1 || v > 65535)
            return cqe_err_set(err, CQE_ECONFIG, "redis url \"%s\": bad port; %s", url, FORM);
        out->port = (int)v;
    }
    if (*p == '/') {
        if (!(p = number(p + 1, 9, &v)) || *p)
            return cqe_err_set(err, CQE_ECONFIG, "redis url \"%s\": the path is the database index; %s", url,
                               FORM);
        out->db = (int)v;
    }
    if (*p)
        return cqe_err_set(err, CQE_ECONFIG, "redis url \"%s\": unexpected \"%s\"; %s", url, p, FORM);
    return 0;
}
