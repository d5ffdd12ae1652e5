/* Secrets (passwords, SASL credentials) read from a file or an environment variable,
 * never from the configuration text or the command line, and wiped after use. The one
 * reader behind redis.password_file / password_env and Kafka's ${file:} / ${env:}. */
#ifndef CQE_SECRET_H
#define CQE_SECRET_H

#include <stddef.h>

#include "err.h"

/* Longest secret accepted, in bytes. */
#define CQE_SECRET_MAX 4096

/* Reads the secret in file `path` (file != NULL) or in environment variable `var` into
 * buf (cap > CQE_SECRET_MAX), NUL-terminated, trailing CR/LF removed, length in *n.
 * `what` names the setting in messages (e.g. "redis.password_file"); the secret's text
 * never reaches a message. Returns 0, or CQE_ECONFIG with err naming the file or
 * variable and what is wrong (missing, unreadable, too long, empty, NUL byte).
 * Everything is borrowed; the caller wipes buf with cqe_secret_wipe. */
int cqe_secret_read(const char *what, const char *path, const char *var, char *buf, size_t cap, size_t *n,
                    struct cqe_err *err);

/* Overwrites buf[0..cap) with zeros in a way the compiler keeps. */
void cqe_secret_wipe(char *buf, size_t cap);

#endif
