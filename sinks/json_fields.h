/* Fields every output record builds the same way: an optional figure (a number, or null
 * when there is none) and an instant written in the evaluation's offset. */
#ifndef CQE_JSON_FIELDS_H
#define CQE_JSON_FIELDS_H

#include <jansson.h>
#include <stdint.h>

#include "figures.h"

/* A new reference: the figure as a JSON real, or JSON null when it has no value. */
json_t *cqe_json_opt(struct cqe_opt o);

/* Sets o[key] to ms as RFC 3339 in the offset utc_offset_min (o borrowed). */
void cqe_json_set_time(json_t *o, const char *key, int64_t ms, int utc_offset_min);

#endif
