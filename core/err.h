/* Return codes and error detail shared by every module: functions return 0 or a
 * negative cqe_rc, and put a message naming the field and the fix into a caller's
 * struct cqe_err. */
#ifndef CQE_ERR_H
#define CQE_ERR_H

#include <stddef.h>

#define CQE_RC_LIST(X)                                                                                       \
    X(CQE_OK, 0, "ok")                                                                                       \
    X(CQE_EINVAL, -1, "invalid input")                                                                       \
    X(CQE_ENOMEM, -2, "out of memory")                                                                       \
    X(CQE_EIO, -3, "input/output error")                                                                     \
    X(CQE_ECONFIG, -4, "invalid configuration")                                                              \
    X(CQE_ENOTFOUND, -5, "not found")                                                                        \
    X(CQE_EUNAVAIL, -6, "service unavailable")                                                               \
    X(CQE_EDENIED, -7, "credentials or permission refused")

enum cqe_rc {
#define CQE_RC_ENUM(name, value, text) name = value,
    CQE_RC_LIST(CQE_RC_ENUM)
#undef CQE_RC_ENUM
};

struct cqe_err {
    int code;      /* a cqe_rc, or a cqe_reason for decoding errors */
    char msg[512]; /* human text naming the field and the fix */
};

/* Returns a static string for rc. */
const char *cqe_strerror(int rc);

/* Formats into err (may be NULL) and returns code, so callers write
 * `return cqe_err_set(err, CQE_EINVAL, "...", ...)`. */
int cqe_err_set(struct cqe_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
