/* The partition key and the id of an event message, found by scanning its top-level
 * members without a full parse: what `produce` keys a message by and what `run`
 * remembers as the id of an applied message. */
#ifndef CQE_JSON_SCAN_H
#define CQE_JSON_SCAN_H

#include <stddef.h>

#include "event.h"

/* cqe_json_scan_key_id results: *key found; *id found; a member name or the id holds
 * escapes, or the object is malformed (the spans are then raw bytes, not decoded
 * strings). */
#define CQE_SCAN_KEY 1
#define CQE_SCAN_ID 2
#define CQE_SCAN_ESCAPED 4

/* Scans the top-level members of the JSON object msg[0..n) (borrowed; no NUL needed):
 * *key is the partition key events.md suggests (the entity id of the type, the resource
 * of a metric, the service of a probe, else the id), *id the id, both raw bytes between
 * the quotes inside msg (the last occurrence of a repeated member, as Jansson keeps).
 * Never reads outside msg[0..n). Returns CQE_SCAN_* bits; *key and *id are set only
 * when their bit is. Pure, thread-safe. */
int cqe_json_scan_key_id(const char *msg, size_t n, struct cqe_str *key, struct cqe_str *id);

#endif
