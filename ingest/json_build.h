/* A Jansson document built straight from JSON the decoder's pre-scan has accepted: one
 * pass with no syntax checks left to make, in place of json_loadb's lexer. The result
 * equals what json_loadb(buf, len, 0) gives (members in document order, a repeated
 * name keeping its first place and its last value). */
#ifndef CQE_JSON_BUILD_H
#define CQE_JSON_BUILD_H

#include <jansson.h>
#include <stddef.h>

/* Builds the JSON object or array in buf[0..len) (borrowed). The bytes must be well
 * formed JSON in valid UTF-8 with no `\u0000` and no unpaired surrogate escape, as
 * ingest/decode.c's pre-scan checks; anything else is undefined. Returns 0 with *out
 * owned by the caller (json_decref), CQE_ENOMEM, or CQE_EINVAL when a number is out of
 * Jansson's range (an integer beyond int64, a real beyond double): the caller then lets
 * json_loadb name it. Thread-safe. */
int cqe_json_build(const char *buf, size_t len, json_t **out);

#endif
