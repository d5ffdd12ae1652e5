/* The event decoder: byte-level checks (size, UTF-8), a strict JSON pre-scan (syntax,
 * depth, the JSON-level limits), the Jansson document built from the scanned bytes
 * (json_build.c), then the envelope, and the fields of
 * the type from the contract's tables (contract.c) through decode_field.c. */
#include "decode.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "contract.h"
#include "decode_field.h"
#include "json_build.h"
#include "timeutil.h"
#include "utf8.h"

/* ---- JSON pre-scan ------------------------------------------------------------------
 * Jansson stops at the first problem it meets, in document order, and reports a
 * too-deep document only past 2048 levels. The contract ranks problems instead: any
 * syntax error or nesting past 64 levels (json_syntax) wins over a `\u0000` or unpaired
 * surrogate escape (bad_value) met earlier. So one strict RFC 8259 pass finds the first
 * syntax error and, separately, the first JSON-level limit broken; Jansson then parses
 * only documents known to be well formed. Numeric overflow is left to Jansson, which
 * reports it by its own code. The input is valid UTF-8 already. */

struct scan {
    const unsigned char *base, *p, *end;
    int depth;
    const char *syntax; /* first syntax error, NULL when none */
    size_t syntax_at;
    const char *limit; /* first JSON-level limit broken, NULL when none */
    size_t limit_at;
    unsigned char top; /* first byte of the top-level value */
};

static int scan_error(struct scan *s, const char *what)
{
    s->syntax = what;
    s->syntax_at = (size_t)(s->p - s->base);
    return -1;
}

static void scan_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hex4(const unsigned char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A \uXXXX escape at s->p (on the backslash); advances past it. */
static int scan_unicode_escape(struct scan *s)
{
    if (s->end - s->p < 6 || hex4(s->p + 2) < 0)
        return scan_error(s, "invalid \\u escape in a string");
    int v = hex4(s->p + 2);
    const unsigned char *at = s->p;
    s->p += 6;
    bool bad = false;
    if (v == 0) {
        bad = true;
    } else if (v >= 0xD800 && v <= 0xDBFF) {
        int v2 = s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u' ? hex4(s->p + 2) : -1;
        if (v2 >= 0xDC00 && v2 <= 0xDFFF)
            s->p += 6; /* a proper pair */
        else
            bad = true; /* the next escape, if any, is scanned on its own */
    } else if (v >= 0xDC00 && v <= 0xDFFF) {
        bad = true;
    }
    if (bad && !s->limit) {
        s->limit = v == 0 ? "a string holds \\u0000; strings must not contain NUL"
                          : "a string holds an unpaired surrogate escape; send a valid pair";
        s->limit_at = (size_t)(at - s->base);
    }
    return 0;
}

static int scan_string(struct scan *s)
{
    s->p++; /* the opening quote */
    for (;;) {
        if (s->p >= s->end)
            return scan_error(s, "unterminated string");
        unsigned c = *s->p;
        if (c == '"') {
            s->p++;
            return 0;
        }
        if (c == 0)
            return scan_error(s, "raw NUL byte in a string");
        if (c < 0x20)
            return scan_error(s, "raw control character in a string (escape it)");
        if (c != '\\') {
            s->p++;
            continue;
        }
        if (s->end - s->p < 2)
            return scan_error(s, "unterminated string");
        if (s->p[1] == 'u') {
            if (scan_unicode_escape(s))
                return -1;
        } else if (s->p[1] != 0 && strchr("\"\\/bfnrt", s->p[1])) {
            s->p += 2;
        } else {
            return scan_error(s, "invalid escape in a string");
        }
    }
}

static bool is_digit(const struct scan *s)
{
    return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

static int scan_number(struct scan *s)
{
    if (*s->p == '-')
        s->p++;
    if (!is_digit(s))
        return scan_error(s, "invalid number");
    if (*s->p == '0')
        s->p++;
    else
        while (is_digit(s))
            s->p++;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!is_digit(s))
            return scan_error(s, "invalid number: digits must follow '.'");
        while (is_digit(s))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!is_digit(s))
            return scan_error(s, "invalid number: digits must follow the exponent");
        while (is_digit(s))
            s->p++;
    }
    return 0;
}

static int scan_literal(struct scan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
        return scan_error(s, "invalid literal (true, false and null are lower case)");
    s->p += n;
    return 0;
}

static int scan_value(struct scan *s);

/* An object or an array at s->p; close is '}' or ']'. */
static int scan_container(struct scan *s, unsigned char close)
{
    if (++s->depth > CQE_DECODE_MAX_DEPTH)
        return scan_error(s, "nesting deeper than 64 levels");
    s->p++;
    scan_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        s->depth--;
        return 0;
    }
    for (;;) {
        if (close == '}') {
            if (s->p >= s->end || *s->p != '"')
                return scan_error(s, "expected a string key in an object");
            if (scan_string(s))
                return -1;
            scan_ws(s);
            if (s->p >= s->end || *s->p != ':')
                return scan_error(s, "expected ':' after an object key");
            s->p++;
        }
        if (scan_value(s))
            return -1;
        scan_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            scan_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == close) {
            s->p++;
            s->depth--;
            return 0;
        }
        return scan_error(s, close == '}' ? "expected ',' or '}' in an object"
                                          : "expected ',' or ']' in an array");
    }
}

static int scan_value(struct scan *s)
{
    scan_ws(s);
    if (s->p >= s->end)
        return scan_error(s, "unexpected end of input");
    switch (*s->p) {
    case '{': return scan_container(s, '}');
    case '[': return scan_container(s, ']');
    case '"': return scan_string(s);
    case 't': return scan_literal(s, "true");
    case 'f': return scan_literal(s, "false");
    case 'n': return scan_literal(s, "null");
    case 0: return scan_error(s, "raw NUL byte");
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            return scan_number(s);
        return scan_error(s, "unexpected character");
    }
}

/* Fills s; returns 0 when the document is well formed JSON within the depth limit. */
static int scan_document(struct scan *s, const char *buf, size_t len)
{
    memset(s, 0, sizeof *s);
    s->base = s->p = (const unsigned char *)buf;
    s->end = s->base + len;
    scan_ws(s);
    if (s->p >= s->end)
        return scan_error(s, "empty message");
    s->top = *s->p;
    if (scan_value(s))
        return -1;
    scan_ws(s);
    if (s->p < s->end)
        return scan_error(s, *s->p ? "trailing data after the JSON value" : "raw NUL byte");
    return 0;
}

/* ---- the envelope and the dispatch to the type's fields ------------------------- */

static int get_version(struct cqe_dec *d, const json_t *root)
{
    char got[64];
    const json_t *v = json_object_get(root, "v");
    int64_t x = 0;
    if (!v)
        return cqe_dec_fail(d->err, CQE_R_MISSING_FIELD,
                            "field \"v\": missing; every event must carry \"v\":1");
    int kind = cqe_dec_as_integer(v, &x);
    if (!kind)
        return cqe_dec_fail(d->err, CQE_R_BAD_TYPE, "field \"v\": must be the integer 1 (got %s)",
                            cqe_dec_describe(v, got, sizeof got));
    if (kind != 1 || x != 1)
        return cqe_dec_fail(d->err, CQE_R_UNSUPPORTED_VERSION,
                            "field \"v\": version %s is not supported; this decoder reads \"v\":1",
                            cqe_dec_describe(v, got, sizeof got));
    return 0;
}

static int get_type(struct cqe_dec *d, const json_t *root)
{
    char got[64];
    const json_t *v = json_object_get(root, "type");
    if (!v)
        return cqe_dec_fail(d->err, CQE_R_MISSING_FIELD, "field \"type\": missing; every event needs one");
    if (!json_is_string(v))
        return cqe_dec_fail(d->err, CQE_R_BAD_TYPE, "field \"type\": must be a string (got %s)",
                            cqe_dec_describe(v, got, sizeof got));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    for (int t = 0; t < CQE_T__COUNT; t++) {
        const char *name = cqe_type_name((enum cqe_type)t);
        if (strlen(name) == n && !memcmp(name, s, n)) {
            d->ev->type = (enum cqe_type)t;
            d->type = name;
            return 0;
        }
    }
    char names[256];
    return cqe_dec_fail(d->err, CQE_R_UNKNOWN_TYPE, "field \"type\": %s is not an event type; use one of %s",
                        cqe_dec_describe(v, got, sizeof got), cqe_type_names_joined(names, sizeof names));
}

static int get_ts(struct cqe_dec *d, const json_t *root)
{
    char got[64];
    const json_t *v = json_object_get(root, "ts");
    int64_t x = 0;
    if (!v)
        return cqe_dec_fail(d->err, CQE_R_MISSING_FIELD, "field \"ts\": missing; every event needs one");
    if (json_is_string(v))
        return cqe_dec_time(d, "ts", v, &d->ev->ts);
    int kind = cqe_dec_as_integer(v, &x);
    if (!kind)
        return cqe_dec_fail(d->err, CQE_R_BAD_TYPE,
                            "field \"ts\": must be an RFC 3339 string with offset or integer epoch "
                            "milliseconds (got %s)",
                            cqe_dec_describe(v, got, sizeof got));
    if (kind != 1 || x < CQE_TS_MIN || x >= CQE_TS_MAX)
        return cqe_dec_fail(d->err, CQE_R_BAD_VALUE,
                            "field \"ts\": epoch milliseconds must be in [946684800000, 4133980800000), "
                            "i.e. years 2000-2100 (got %s)",
                            cqe_dec_describe(v, got, sizeof got));
    d->ev->ts = x;
    return 0;
}

/* Rules across fields, after every field of the type was read. */
static int check_type(struct cqe_dec *d)
{
    const struct cqe_event *ev = d->ev;
    switch (ev->type) {
    case CQE_T_METRIC:
        if (!(ev->has & (CQE_HAS_CPU | CQE_HAS_MEM | CQE_HAS_DISK | CQE_HAS_NET)))
            return cqe_dec_fail(d->err, CQE_R_MISSING_FIELD,
                                "fields \"cpu\", \"mem\", \"disk\", \"net\": a metric needs at least one");
        return 0;
    case CQE_T_MAINTENANCE:
        if ((ev->has & CQE_HAS_START) && (ev->has & CQE_HAS_END) && ev->end <= ev->start)
            return cqe_dec_fail(d->err, CQE_R_BAD_VALUE,
                                "field \"end\": must be after \"start\" (got a window of %lld ms)",
                                (long long)(ev->end - ev->start));
        return 0;
    default: return 0;
    }
}

static int get_event(struct cqe_dec *d, const json_t *root)
{
    int rc;
    size_t n;
    if ((rc = get_version(d, root)) || (rc = get_type(d, root)))
        return rc;
    const json_t *id = json_object_get(root, "id");
    if (!id)
        return cqe_dec_fail(d->err, CQE_R_MISSING_FIELD, "field \"id\": missing; every event needs one");
    if ((rc = cqe_dec_field(d, cqe_contract_id(), id)) || (rc = get_ts(d, root)))
        return rc;
    const char *type = d->type;
    d->type = "all"; /* envelope messages speak of every event */
    const struct cqe_field *fields = cqe_contract_envelope(&n);
    rc = cqe_dec_fields(d, root, fields, n);
    d->type = type;
    if (rc)
        return rc;
    if (d->ev->type == CQE_T_SURVEY && !d->ev->dept.p)
        return cqe_dec_fail(d->err, CQE_R_MISSING_FIELD, "field \"dept\": missing; survey events require it");
    cqe_contract_defaults(d->ev);
    fields = cqe_contract_fields(d->ev->type, &n);
    if ((rc = cqe_dec_fields(d, root, fields, n)))
        return rc;
    return check_type(d);
}

int cqe_decode(const char *buf, size_t len, int64_t max_message_bytes, struct cqe_event *ev,
               struct cqe_err *err)
{
    int rc = 0;
    json_t *root = NULL;
    json_error_t jerr;
    struct scan s;
    struct cqe_dec d = {.ev = ev, .err = err, .type = "?"};

    memset(ev, 0, sizeof *ev);
    if (max_message_bytes < 0 || (uint64_t)len > (uint64_t)max_message_bytes) {
        rc = cqe_dec_fail(err, CQE_R_TOO_LARGE,
                          "message of %zu bytes exceeds max_message_bytes (%lld); split it or raise the "
                          "limit",
                          len, (long long)max_message_bytes);
        goto out;
    }
    size_t bad = cqe_utf8_valid_prefix(buf, len);
    if (bad < len) {
        rc = cqe_dec_fail(err, CQE_R_BAD_UTF8, "invalid UTF-8 at byte %zu; events must be UTF-8 text", bad);
        goto out;
    }
    if (scan_document(&s, buf, len)) {
        rc = cqe_dec_fail(err, CQE_R_JSON_SYNTAX, "invalid JSON at byte %zu: %s", s.syntax_at, s.syntax);
        goto out;
    }
    if (s.top != '{') {
        rc = cqe_dec_fail(err, CQE_R_BAD_VALUE, "the message must be a JSON object (got %s)",
                          s.top == '['   ? "an array"
                          : s.top == '"' ? "a string"
                                         : "a scalar");
        goto out;
    }
    if (s.limit) {
        rc = cqe_dec_fail(err, CQE_R_BAD_VALUE, "at byte %zu: %s", s.limit_at, s.limit);
        goto out;
    }
    /* the pre-scan passed: build the document without a second lexer, unless a number
     * is out of range, which json_loadb then names */
    rc = cqe_json_build(buf, len, &root);
    if (rc == CQE_ENOMEM) {
        rc = cqe_err_set(err, CQE_ENOMEM, "out of memory parsing an event");
        goto out;
    }
    if (rc)
        root = json_loadb(buf, len, 0, &jerr);
    rc = 0;
    if (!root) {
        /* the pre-scan accepted the syntax (fuzz_decode holds it to Jansson's), and
         * Jansson reports a failed allocation inside its lexer as a syntax error: so
         * anything but a numeric overflow is memory running out, never a dead letter */
        enum json_error_code code = json_error_code(&jerr);
        if (code == json_error_numeric_overflow)
            rc = cqe_dec_fail(err, CQE_R_BAD_VALUE,
                              "at byte %d: %s; integers must fit in int64 and reals be finite doubles",
                              jerr.position, jerr.text);
        else
            rc = cqe_err_set(err, CQE_ENOMEM, "out of memory parsing an event (Jansson: %s)", jerr.text);
        goto out;
    }
    ev->root = root;
    rc = get_event(&d, root);
out:
    if (rc)
        cqe_event_clear(ev);
    return rc;
}
