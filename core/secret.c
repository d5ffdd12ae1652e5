/* Reading secrets from a file or the environment (see secret.h). */
#include "secret.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_file(const char *what, const char *path, char *buf, size_t cap, size_t *n,
                     struct cqe_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return cqe_err_set(err, CQE_ECONFIG, "%s: cannot read the secret file %s: %s", what, path,
                           strerror(errno));
    *n = fread(buf, 1, cap, f);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return cqe_err_set(err, CQE_ECONFIG, "%s: read error on the secret file %s", what, path);
    if (*n > CQE_SECRET_MAX)
        return cqe_err_set(err, CQE_ECONFIG, "%s: the secret file %s is longer than %d bytes", what, path,
                           CQE_SECRET_MAX);
    return 0;
}

static int read_env(const char *what, const char *var, char *buf, size_t *n, struct cqe_err *err)
{
    const char *v = getenv(var);
    if (!v)
        return cqe_err_set(err, CQE_ECONFIG, "%s: the environment variable %s is not set", what, var);
    *n = strlen(v);
    if (*n > CQE_SECRET_MAX)
        return cqe_err_set(err, CQE_ECONFIG, "%s: the environment variable %s is longer than %d bytes", what,
                           var, CQE_SECRET_MAX);
    memcpy(buf, v, *n);
    return 0;
}

int cqe_secret_read(const char *what, const char *path, const char *var, char *buf, size_t cap, size_t *n,
                    struct cqe_err *err)
{
    *n = 0;
    if (cap <= CQE_SECRET_MAX)
        return cqe_err_set(err, CQE_EINVAL, "%s: secret buffer too small", what);
    if (!path && !var)
        return cqe_err_set(err, CQE_EINVAL, "%s: neither a secret file nor a variable given", what);
    int rc = path ? read_file(what, path, buf, cap, n, err) : read_env(what, var, buf, n, err);
    if (rc)
        return rc;
    while (*n && (buf[*n - 1] == '\n' || buf[*n - 1] == '\r'))
        (*n)--;
    buf[*n] = '\0';
    const char *src = path ? "the secret file" : "the environment variable";
    if (!*n)
        return cqe_err_set(err, CQE_ECONFIG, "%s: %s %s is empty", what, src, path ? path : var);
    if (memchr(buf, 0, *n))
        return cqe_err_set(err, CQE_ECONFIG, "%s: %s %s holds a NUL byte", what, src, path ? path : var);
    return 0;
}

void cqe_secret_wipe(char *buf, size_t cap)
{
    volatile char *p = buf;
    for (size_t i = 0; i < cap; i++)
        p[i] = 0;
}
