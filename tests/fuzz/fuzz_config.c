/* libFuzzer target for the configuration loader (make fuzz): any bytes in, a loaded
 * configuration that keeps its invariants or a refusal naming the origin, and no crash,
 * leak or undefined behaviour; a refused load leaves the defaults. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_loaded(const struct cqe_config *c)
{
    for (size_t i = 0; i < c->n_services; i++) {
        const struct cqe_service_conf *s = &c->services[i];
        if (!s->id || !s->provider || !(s->target > 0 && s->target <= 1) || !(s->weight > 0))
            abort();
        if (cqe_config_service(c, s->id, strlen(s->id)) != s) /* the index finds every service */
            abort();
    }
    for (size_t i = 1; i < c->n_holidays; i++)
        if (c->holidays[i - 1] >= c->holidays[i])
            abort();
    for (size_t i = 1; i < c->n_workdays; i++)
        if (c->workdays[i - 1] >= c->workdays[i])
            abort();
    if (!c->n_dims)
        abort();
    for (size_t i = 0; i < 5; i++)
        if (!(c->level_scores[i] >= 0 && c->level_scores[i] <= 100))
            abort();
    if (!cqe_config_input_topic(c, 0) || !cqe_config_topic(c, "alerts"))
        abort();
    /* a literal sasl.password never loads */
    json_t *pw = json_object_get((const json_t *)c->kafka, "sasl.password");
    if (pw && !json_is_object(pw) && !(json_is_string(pw) && !strncmp(json_string_value(pw), "${", 2)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cqe_config c;
    struct cqe_err err = {0};
    char *buf = fuzz_cstring(data, size);
    if (!buf)
        return 0;
    cqe_config_defaults(&c);
    int rc = cqe_config_load_string(&c, buf, "fuzz.json", &err);
    if (rc == 0) {
        check_loaded(&c);
    } else if (rc == CQE_ECONFIG) {
        if (strncmp(err.msg, "fuzz.json: ", 11) || !utf8_ok(err.msg))
            abort();
        if (c.n_services || c.n_dims != 5 || c.kafka || c.topics || c.utc_offset_min != 480)
            abort(); /* a refusal leaves the defaults */
    } else if (rc != CQE_ENOMEM) {
        abort();
    }
    cqe_config_fini(&c);
    free(buf);
    return 0;
}
