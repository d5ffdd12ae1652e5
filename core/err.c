/* cqe_rc strings and the error-detail formatter. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

const char *cqe_strerror(int rc)
{
    switch (rc) {
#define CQE_RC_CASE(name, value, text)                                                                       \
    case value: return text;
        CQE_RC_LIST(CQE_RC_CASE)
#undef CQE_RC_CASE
    }
    return "unknown error";
}

int cqe_err_set(struct cqe_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
