/* The record fields of json_fields.h, shared by the snapshot, alert, explain and API
 * records so that a figure and an instant read the same in every output. */
#include "json_fields.h"

#include "timeutil.h"

json_t *cqe_json_opt(struct cqe_opt o)
{
    return o.has ? json_real(o.v) : json_null();
}

void cqe_json_set_time(json_t *o, const char *key, int64_t ms, int utc_offset_min)
{
    char buf[48];
    cqe_time_format(ms, utc_offset_min, buf, sizeof buf);
    json_object_set_new(o, key, json_string(buf));
}
