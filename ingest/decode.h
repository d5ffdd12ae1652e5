/* The event decoder: raw message bytes to a struct cqe_event, enforcing every rule of
 * the event contract (docs/spec/events.md) and naming the dead-letter reason. */
#ifndef CQE_DECODE_H
#define CQE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"

/* Deepest nesting of objects and arrays accepted; the message itself is level 1. */
#define CQE_DECODE_MAX_DEPTH 64

/* Decodes one message of len bytes (no NUL terminator needed). Checks run in the
 * contract's order: too_large (len > max_message_bytes), bad_utf8, json_syntax, the
 * JSON-level limits, `v`, `type`, the envelope, then the fields of the type.
 * Returns 0 and fills *ev, which then owns the parsed document (strings in ev point
 * into it) until the caller's cqe_event_clear(ev). Returns CQE_EINVAL with err->code
 * an enum cqe_reason and err->msg naming the field and the fix, or CQE_ENOMEM with
 * err->code CQE_ENOMEM; on any error *ev is left cleared. buf is borrowed.
 * Thread-safe: no shared state. */
int cqe_decode(const char *buf, size_t len, int64_t max_message_bytes, struct cqe_event *ev,
               struct cqe_err *err);

#endif
