/* libFuzzer target for the event decoder (make fuzz): any bytes in, a verdict out, no
 * crash, leak or undefined behaviour; accepted events carry a known type and a ts in
 * range, refusals a reason; the decoder's own JSON pre-scan agrees with Jansson, and
 * the document it builds (json_build.c) equals json_loadb's. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The pre-scan calls a syntax error exactly what Jansson cannot parse, apart from the
 * depth limit (64 here, 2048 there) and the limits Jansson reports as errors itself
 * (numeric overflow, unpaired surrogates, NUL in keys). Aborts on a disagreement. */
static void cross_check(const char *buf, size_t size, int rc, const struct cqe_err *err)
{
    if (rc == CQE_ENOMEM || (rc && (err->code == CQE_R_TOO_LARGE || err->code == CQE_R_BAD_UTF8)))
        return;
    bool syntax = rc && err->code == CQE_R_JSON_SYNTAX;
    if (syntax && strstr(err->msg, "64 levels"))
        return;
    json_error_t je;
    json_t *j = json_loadb(buf, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (j) {
        /* Jansson is lax after a top-level scalar ("true\0" parses); only containers,
         * which it reads strictly and the decoder hands it, are compared */
        bool container = json_is_object(j) || json_is_array(j);
        json_decref(j);
        /* Jansson also skips a raw NUL byte right after a number or literal
         * ("[1\0]" parses): the contract refuses raw NULs, the pre-scan does */
        if (syntax && container && !memchr(buf, 0, size))
            abort(); /* we refused what Jansson reads */
        return;
    }
    enum json_error_code code = json_error_code(&je);
    if (syntax || code == json_error_out_of_memory)
        return;
    if (code == json_error_numeric_overflow || code == json_error_null_byte_in_key ||
        (code == json_error_invalid_syntax && strstr(je.text, "invalid Unicode")))
        return; /* a JSON-level limit: bad_value */
    abort();    /* Jansson found a syntax error we missed */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cqe_event ev;
    struct cqe_err err;
    /* a copy of exactly size bytes, so reading past the message is caught by ASan */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    int rc = cqe_decode(buf, size, 4096, &ev, &err);
    if (rc == 0) {
        if ((unsigned)ev.type >= CQE_T__COUNT || ev.ts < CQE_TS_MIN || ev.ts >= CQE_TS_MAX || !ev.id.p ||
            !ev.provider.p)
            abort();
        for (size_t i = 0; i < ev.n_answers; i++)
            if (ev.answers[i].level < 1 || ev.answers[i].level > 5)
                abort();
        json_t *j = json_loadb(buf, size, 0, NULL);
        bool same = j && json_equal(j, ev.root);
        json_decref(j);
        if (!same)
            abort();
    } else if (rc == CQE_EINVAL) {
        if (err.code <= CQE_R_NONE || err.code >= CQE_R__COUNT || !err.msg[0] || ev.root)
            abort();
    } else if (rc != CQE_ENOMEM) {
        abort();
    }
    cross_check(buf, size, rc, &err);
    cqe_event_clear(&ev);
    free(buf);
    return 0;
}
