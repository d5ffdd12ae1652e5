/* The one parser of Redis URLs, `redis://[USER@]HOST[:PORT][/DB]`, used by the
 * configuration loader (redis.url) and the state store (--state), so both accept and
 * refuse the same text. A password in the URL is refused: it would show in the process
 * list; it comes from redis.password_file or redis.password_env. */
#ifndef CQE_REDIS_URL_H
#define CQE_REDIS_URL_H

#include "err.h"

#define CQE_REDIS_DEFAULT_PORT 6379
#define CQE_REDIS_MAX_DB 999999999

struct cqe_redis_url {
    char user[256]; /* "" when absent */
    char host[256]; /* without the brackets of an IPv6 address */
    int port;       /* CQE_REDIS_DEFAULT_PORT when absent */
    int db;         /* -1 when absent */
};

/* Parses url into *out. Returns 0, or CQE_ECONFIG with err saying what is wrong and the
 * form to use. Borrowed arguments; thread-safe. */
int cqe_redis_url_parse(const char *url, struct cqe_redis_url *out, struct cqe_err *err);

#endif
