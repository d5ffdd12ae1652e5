/* Typed field decoding for the event decoder: one Jansson value checked against one
 * contract field (identifiers, text, booleans, integers, numbers, enumerations, times,
 * survey answers) and stored into struct cqe_event, or refused with a reason. */
#ifndef CQE_DECODE_FIELD_H
#define CQE_DECODE_FIELD_H

#include <jansson.h>
#include <stdint.h>

#include "contract.h"
#include "err.h"
#include "event.h"

/* One decoding in progress: the event being filled and where refusals go (borrowed). */
struct cqe_dec {
    struct cqe_event *ev;
    struct cqe_err *err; /* may be NULL */
    const char *type;    /* wire name, for messages */
};

/* Sets err (when not NULL) to a decoding failure, code = reason, and returns CQE_EINVAL. */
__attribute__((format(printf, 3, 4))) int cqe_dec_fail(struct cqe_err *err, enum cqe_reason reason,
                                                       const char *fmt, ...);

/* A short rendering of v for messages (the value itself for scalars, strings cut at 40
 * bytes) in buf[0..n) or a static string. Returns the text. */
const char *cqe_dec_describe(const json_t *v, char *buf, size_t n);

/* JSON Schema's integer: a JSON integer, or a real with an integral value. Returns 0
 * for anything else, 1 with *out set when it fits int64, 2 when it does not. */
int cqe_dec_as_integer(const json_t *v, int64_t *out);

/* Field `name`, an RFC 3339 time with offset in range, into *out (ms since epoch).
 * Returns 0 or CQE_EINVAL (bad_type, bad_value). */
int cqe_dec_time(struct cqe_dec *d, const char *name, const json_t *v, int64_t *out);

/* Decodes the present field f of value v (borrowed; strings stored in d->ev point into
 * it). Returns 0, CQE_EINVAL with the reason, or CQE_ENOMEM. */
int cqe_dec_field(struct cqe_dec *d, const struct cqe_field *f, const json_t *v);

/* Every field of fields[0..n) in root: present ones decoded and marked in d->ev->has,
 * missing required ones refused (missing_field). Returns as cqe_dec_field. */
int cqe_dec_fields(struct cqe_dec *d, const json_t *root, const struct cqe_field *fields, size_t n);

#endif
