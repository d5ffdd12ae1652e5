/* Typed field decoding (see decode_field.h): each kind of contract field read from its
 * Jansson value, bounds checked, stored at its place in struct cqe_event, and every
 * refusal worded with the field, the rule and the value received. */
#include "decode_field.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"
#include "utf8.h"

/* Sets err to a decoding failure (code = reason) and returns CQE_EINVAL. */
int cqe_dec_fail(struct cqe_err *err, enum cqe_reason reason, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = (int)reason;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return CQE_EINVAL;
}

/* A short human rendering of v for messages: the value itself for scalars. */
const char *cqe_dec_describe(const json_t *v, char *buf, size_t n)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    case JSON_INTEGER: snprintf(buf, n, "%lld", (long long)json_integer_value(v)); return buf;
    case JSON_REAL: /* the shortest form that reads back as the same double */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, n, "%.*g", prec, json_real_value(v));
            if (strtod(buf, NULL) == json_real_value(v))
                break;
        }
        return buf;
    case JSON_STRING: break;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v), cut = len, o = 0;
    if (cut > 40) { /* at most 40 bytes, cut at a code point boundary */
        cut = 40;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
    }
    if (n < 4)
        return "a string";
    buf[o++] = '"';
    for (size_t i = 0; i < cut && o + 5 < n; i++)
        buf[o++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
    if (cut < len) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = 0;
    return buf;
}

/* JSON Schema's integer: a JSON integer, or a real with an integral value. Returns 0
 * for anything else, 1 with *out set when it fits int64, 2 when it does not. */
int cqe_dec_as_integer(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 1;
    }
    if (!json_is_real(v))
        return 0;
    double d = json_real_value(v);
    if (d != floor(d))
        return 0;
    if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
        return 2;
    *out = (int64_t)d;
    return 1;
}

static void *slot(struct cqe_dec *d, const struct cqe_field *f)
{
    return (char *)d->ev + f->off;
}

static void names_list(const struct cqe_name_val *names, char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; names[i].name && o < n; i++) {
        int w = snprintf(buf + o, n - o, "%s%s", i ? ", " : "", names[i].name);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

static const char *action_name(const struct cqe_field *fields, size_t n, enum cqe_action a)
{
    for (size_t i = 0; i < n; i++)
        if (fields[i].off == offsetof(struct cqe_event, action))
            for (const struct cqe_name_val *nv = fields[i].names; nv->name; nv++)
                if (nv->val == (int)a)
                    return nv->name;
    return "?";
}

/* A JSON string field: checks the type and the length in code points. */
static int get_string(struct cqe_dec *d, const struct cqe_field *f, const json_t *v, size_t min_chars,
                      size_t max_chars, const char *rule)
{
    char got[64];
    if (!json_is_string(v))
        return cqe_dec_fail(d->err, CQE_R_BAD_TYPE, "field \"%s\": must be %s (got %s)", f->name, rule,
                            cqe_dec_describe(v, got, sizeof got));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (min_chars || max_chars < SIZE_MAX) {
        size_t chars = max_chars < SIZE_MAX ? cqe_utf8_chars(s, n) : n; /* n == 0 iff no chars */
        if (chars < min_chars || chars > max_chars)
            return cqe_dec_fail(d->err, CQE_R_BAD_VALUE, "field \"%s\": must be %s (got %zu characters)",
                                f->name, rule, chars);
    }
    struct cqe_str *out = slot(d, f);
    out->p = s;
    out->n = n;
    return 0;
}

int cqe_dec_time(struct cqe_dec *d, const char *name, const json_t *v, int64_t *out)
{
    static const char rule[] = "an RFC 3339 time with offset, e.g. 2026-03-01T08:00:00+08:00";
    char got[64];
    if (!json_is_string(v))
        return cqe_dec_fail(d->err, CQE_R_BAD_TYPE, "field \"%s\": must be %s (got %s)", name, rule,
                            cqe_dec_describe(v, got, sizeof got));
    switch (cqe_time_parse_rfc3339(json_string_value(v), json_string_length(v), out)) {
    case CQE_TIME_OK: return 0;
    case CQE_TIME_DATE:
        return cqe_dec_fail(d->err, CQE_R_BAD_VALUE,
                            "field \"%s\": must be a real date and time of day (got %s)", name,
                            cqe_dec_describe(v, got, sizeof got));
    case CQE_TIME_RANGE:
        return cqe_dec_fail(d->err, CQE_R_BAD_VALUE,
                            "field \"%s\": must be in [2000-01-01T00:00:00Z, 2101-01-01T00:00:00Z) "
                            "(got %s)",
                            name, cqe_dec_describe(v, got, sizeof got));
    default:
        return cqe_dec_fail(d->err, CQE_R_BAD_VALUE, "field \"%s\": must be %s (got %s)", name, rule,
                            cqe_dec_describe(v, got, sizeof got));
    }
}

static int get_answers(struct cqe_dec *d, const json_t *v)
{
    char got[64];
    if (!json_is_object(v))
        return cqe_dec_fail(d->err, CQE_R_BAD_TYPE,
                            "field \"answers\": must be an object of dimension name to level 1-5 (got %s)",
                            cqe_dec_describe(v, got, sizeof got));
    size_t n = json_object_size(v);
    if (!n)
        return 0;
    struct cqe_event *ev = d->ev;
    ev->answers = malloc(n * sizeof *ev->answers);
    if (!ev->answers) {
        if (d->err)
            cqe_err_set(d->err, CQE_ENOMEM, "out of memory decoding survey answers");
        return CQE_ENOMEM;
    }
    json_t *obj = (json_t *)v; /* Jansson's iterators take a non-const object */
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        const char *key = json_object_iter_key(it);
        const json_t *level = json_object_iter_value(it);
        int64_t x = 0;
        int kind = cqe_dec_as_integer(level, &x);
        if (!kind)
            return cqe_dec_fail(d->err, CQE_R_BAD_TYPE,
                                "field \"answers\".\"%s\": must be an integer level 1-5 (got %s)", key,
                                cqe_dec_describe(level, got, sizeof got));
        if (kind != 1 || x < 1 || x > 5)
            return cqe_dec_fail(d->err, CQE_R_BAD_VALUE,
                                "field \"answers\".\"%s\": must be an integer level 1-5 (got %s)", key,
                                cqe_dec_describe(level, got, sizeof got));
        struct cqe_answer *a = &ev->answers[ev->n_answers++];
        a->dim.p = key;
        a->dim.n = json_object_iter_key_len(it);
        a->level = (int)x;
    }
    return 0;
}

/* Decodes present field f of value v into the event. */
int cqe_dec_field(struct cqe_dec *d, const struct cqe_field *f, const json_t *v)
{
    char got[64], list[128];
    int64_t x = 0;
    switch (f->kind) {
    case CQE_F_IDENT: return get_string(d, f, v, 1, CQE_IDENT_MAX_CHARS, "a string of 1-128 characters");
    case CQE_F_TEXT: return get_string(d, f, v, 0, SIZE_MAX, "a string");
    case CQE_F_NONEMPTY: return get_string(d, f, v, 1, SIZE_MAX, "a non-empty string");
    case CQE_F_BOOL:
        if (!json_is_boolean(v))
            return cqe_dec_fail(d->err, CQE_R_BAD_TYPE, "field \"%s\": must be true or false (got %s)",
                                f->name, cqe_dec_describe(v, got, sizeof got));
        *(bool *)slot(d, f) = json_is_true(v);
        return 0;
    case CQE_F_INT: {
        int kind = cqe_dec_as_integer(v, &x);
        if (!kind)
            return cqe_dec_fail(d->err, CQE_R_BAD_TYPE, "field \"%s\": must be %s (got %s)", f->name, f->rule,
                                cqe_dec_describe(v, got, sizeof got));
        if (kind != 1 || x < f->ilo || x > f->ihi)
            return cqe_dec_fail(d->err, CQE_R_BAD_VALUE, "field \"%s\": must be %s (got %s)", f->name,
                                f->rule, cqe_dec_describe(v, got, sizeof got));
        if (f->narrow)
            *(int *)slot(d, f) = (int)x;
        else
            *(int64_t *)slot(d, f) = x;
        return 0;
    }
    case CQE_F_NUM: {
        if (!json_is_number(v))
            return cqe_dec_fail(d->err, CQE_R_BAD_TYPE, "field \"%s\": must be %s (got %s)", f->name, f->rule,
                                cqe_dec_describe(v, got, sizeof got));
        double y = json_number_value(v);
        if (y > f->dhi || (f->lo_open ? y <= f->dlo : y < f->dlo))
            return cqe_dec_fail(d->err, CQE_R_BAD_VALUE, "field \"%s\": must be %s (got %s)", f->name,
                                f->rule, cqe_dec_describe(v, got, sizeof got));
        *(double *)slot(d, f) = y;
        return 0;
    }
    case CQE_F_ENUM: {
        if (json_is_string(v)) {
            const char *s = json_string_value(v);
            size_t n = json_string_length(v);
            for (const struct cqe_name_val *nv = f->names; nv->name; nv++)
                if (strlen(nv->name) == n && !memcmp(nv->name, s, n)) {
                    int val = nv->val;
                    memcpy(slot(d, f), &val, sizeof val);
                    return 0;
                }
        }
        names_list(f->names, list, sizeof list);
        return cqe_dec_fail(d->err, json_is_string(v) ? CQE_R_BAD_VALUE : CQE_R_BAD_TYPE,
                            "field \"%s\": must be one of %s (got %s)", f->name, list,
                            cqe_dec_describe(v, got, sizeof got));
    }
    case CQE_F_TIME: return cqe_dec_time(d, f->name, v, (int64_t *)slot(d, f));
    case CQE_F_ANSWERS: return get_answers(d, v);
    }
    return 0;
}

/* Every field of the table: present ones are decoded, missing required ones refused. */
int cqe_dec_fields(struct cqe_dec *d, const json_t *root, const struct cqe_field *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct cqe_field *f = &fields[i];
        const json_t *v = json_object_get(root, f->name);
        if (!v) {
            if (f->req & CQE_REQ_ALWAYS)
                return cqe_dec_fail(d->err, CQE_R_MISSING_FIELD,
                                    "field \"%s\": missing; %s events require it", f->name, d->type);
            if (f->req & CQE_REQ_ON(d->ev->action))
                return cqe_dec_fail(d->err, CQE_R_MISSING_FIELD,
                                    "field \"%s\": missing; %s events with action \"%s\" require it", f->name,
                                    d->type, action_name(fields, n, d->ev->action));
            continue;
        }
        int rc = cqe_dec_field(d, f, v);
        if (rc)
            return rc;
        d->ev->has |= f->has;
    }
    return 0;
}
