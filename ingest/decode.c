/* The event decoder: byte-level checks (size, UTF-8), a JSON pre-scan (syntax, depth,
 * the JSON-level limits), one Jansson parse, then the envelope and each type's fields
 * from tables, so the contract of events.md reads as data next to the schemas. */
#include "decode.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"
#include "utf8.h"

#define IDENT_MAX_CHARS 128

/* Sets err to a decoding failure (code = reason) and returns CQE_EINVAL. */
__attribute__((format(printf, 3, 4))) static int fail(struct cqe_err *err, enum cqe_reason reason,
                                                       const char *fmt, ...)
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

/* ---- bytes ---------------------------------------------------------------------- */

/* Code points of valid UTF-8 (what JSON Schema's minLength/maxLength count). */
static size_t utf8_chars(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    return chars;
}

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
    case '{':
        return scan_container(s, '}');
    case '[':
        return scan_container(s, ']');
    case '"':
        return scan_string(s);
    case 't':
        return scan_literal(s, "true");
    case 'f':
        return scan_literal(s, "false");
    case 'n':
        return scan_literal(s, "null");
    case 0:
        return scan_error(s, "raw NUL byte");
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

/* ---- field values ---------------------------------------------------------------- */

/* A short human rendering of v for messages: the value itself for scalars. */
static const char *describe(const json_t *v, char *buf, size_t n)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_NULL:
        return "null";
    case JSON_INTEGER:
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
        return buf;
    case JSON_REAL: /* the shortest form that reads back as the same double */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, n, "%.*g", prec, json_real_value(v));
            if (strtod(buf, NULL) == json_real_value(v))
                break;
        }
        return buf;
    case JSON_STRING:
        break;
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
static int as_integer(const json_t *v, int64_t *out)
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

/* ---- field tables ---------------------------------------------------------------- */

enum fkind {
    F_IDENT,    /* string of 1-128 code points */
    F_TEXT,     /* any string, may be empty */
    F_NONEMPTY, /* string of at least one code point */
    F_BOOL,
    F_INT,    /* JSON Schema integer in [ilo, ihi]; stored as int64_t, or int when narrow */
    F_NUM,    /* number in [dlo, dhi], or (dlo, dhi] when lo_open */
    F_ENUM,   /* string among names, stored as int (an enum) */
    F_TIME,   /* RFC 3339 string with offset, in range; stored as int64_t ms */
    F_ANSWERS /* survey answers */
};

struct name_val {
    const char *name;
    int val;
};

#define REQ_ALWAYS (1u << 31)
#define REQ_ON(a) (1u << (a))

struct field {
    const char *name;
    enum fkind kind;
    size_t off;   /* where the value goes in struct cqe_event */
    uint32_t has; /* presence bit (enum cqe_has), 0 for none */
    uint32_t req; /* REQ_ALWAYS, or REQ_ON bits of the actions requiring the field */
    bool narrow;  /* F_INT stored in an int */
    bool lo_open; /* F_NUM lower bound excluded */
    int64_t ilo, ihi;
    double dlo, dhi;
    const struct name_val *names; /* F_ENUM; NULL-terminated */
    const char *rule;             /* F_INT, F_NUM: "an integer 1-4" */
};

#define OFF(m) offsetof(struct cqe_event, m)
#define IDENT(nm, m, rq) {.name = nm, .kind = F_IDENT, .off = OFF(m), .req = rq}
#define TEXT(nm, m) {.name = nm, .kind = F_TEXT, .off = OFF(m)}
#define NONEMPTY(nm, m, rq) {.name = nm, .kind = F_NONEMPTY, .off = OFF(m), .req = rq}
#define BOOL(nm, m, h, rq) {.name = nm, .kind = F_BOOL, .off = OFF(m), .has = h, .req = rq}
#define INT(nm, m, h, lo, hi, r)                                                         \
    {.name = nm, .kind = F_INT, .off = OFF(m), .has = h, .ilo = lo, .ihi = hi, .rule = r}
#define NUM(nm, m, h, open, lo, hi, r)                                                   \
    {.name = nm, .kind = F_NUM, .off = OFF(m), .has = h, .lo_open = open, .dlo = lo,    \
     .dhi = hi, .rule = r}
#define ENUM(nm, m, h, rq, list)                                                         \
    {.name = nm, .kind = F_ENUM, .off = OFF(m), .has = h, .req = rq, .names = list}
#define TIME(nm, m, h, rq) {.name = nm, .kind = F_TIME, .off = OFF(m), .has = h, .req = rq}
#define ACTION(list) ENUM("action", action, 0, REQ_ALWAYS, list)

/* Enumerations are written through an int: they must be int-sized. */
_Static_assert(sizeof(enum cqe_action) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cqe_impact) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cqe_cause) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cqe_drill_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cqe_vuln_level) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cqe_asset_class) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cqe_resource_kind) == sizeof(int), "enum size");

static const struct name_val incident_actions[] = {{"open", CQE_A_OPEN},
                                                   {"ack", CQE_A_ACK},
                                                   {"resolve", CQE_A_RESOLVE},
                                                   {"reopen", CQE_A_REOPEN},
                                                   {"update", CQE_A_UPDATE},
                                                   {NULL, 0}};
static const struct name_val impacts[] = {{"outage", CQE_IMPACT_OUTAGE},
                                          {"degraded", CQE_IMPACT_DEGRADED},
                                          {"none", CQE_IMPACT_NONE},
                                          {NULL, 0}};
static const struct name_val causes[] = {{"provider", CQE_CAUSE_PROVIDER},
                                         {"customer", CQE_CAUSE_CUSTOMER},
                                         {"third_party", CQE_CAUSE_THIRD_PARTY},
                                         {"force_majeure", CQE_CAUSE_FORCE_MAJEURE},
                                         {NULL, 0}};
static const struct name_val resource_kinds[] = {
    {"vm", CQE_KIND_VM}, {"host", CQE_KIND_HOST}, {NULL, 0}};
static const struct name_val maintenance_actions[] = {
    {"schedule", CQE_A_SCHEDULE}, {"cancel", CQE_A_CANCEL}, {NULL, 0}};
static const struct name_val ticket_actions[] = {
    {"open", CQE_A_OPEN}, {"close", CQE_A_CLOSE}, {"feedback", CQE_A_FEEDBACK}, {NULL, 0}};
static const struct name_val drill_kinds[] = {
    {"dr", CQE_DRILL_DR}, {"emergency", CQE_DRILL_EMERGENCY}, {NULL, 0}};
static const struct name_val plan_done[] = {{"plan", CQE_A_PLAN}, {"done", CQE_A_DONE}, {NULL, 0}};
static const struct name_val vuln_actions[] = {
    {"found", CQE_A_FOUND}, {"fixed", CQE_A_FIXED}, {NULL, 0}};
static const struct name_val vuln_levels[] = {{"critical", CQE_VULN_CRITICAL},
                                              {"high", CQE_VULN_HIGH},
                                              {"medium", CQE_VULN_MEDIUM},
                                              {"low", CQE_VULN_LOW},
                                              {NULL, 0}};
static const struct name_val asset_classes[] = {{"server", CQE_ASSET_SERVER},
                                                {"os", CQE_ASSET_OS},
                                                {"database", CQE_ASSET_DATABASE},
                                                {"middleware", CQE_ASSET_MIDDLEWARE},
                                                {NULL, 0}};
static const struct name_val asset_actions[] = {
    {"add", CQE_A_ADD}, {"remove", CQE_A_REMOVE}, {NULL, 0}};

/* Envelope fields after `v` and `type` (`ts` is read on its own, before provider). */
static const struct field envelope_fields[] = {
    IDENT("provider", provider, REQ_ALWAYS),
    IDENT("dept", dept, 0),
    NONEMPTY("zone", zone, 0),
    NONEMPTY("source", source, 0),
};

/* Each type's fields in checking order; `action` precedes what depends on it. The
 * first field of a type with an entity is its entity id. */
static const struct field incident_fields[] = {
    IDENT("incident", entity, REQ_ALWAYS),
    ACTION(incident_actions),
    IDENT("service", service, REQ_ON(CQE_A_OPEN)),
    {.name = "severity", .kind = F_INT, .off = OFF(severity), .has = CQE_HAS_SEVERITY,
     .req = REQ_ON(CQE_A_OPEN), .narrow = true, .ilo = 1, .ihi = 4, .rule = "an integer 1-4"},
    ENUM("impact", impact, CQE_HAS_IMPACT, 0, impacts),
    NUM("scope", scope, CQE_HAS_SCOPE, true, 0.0, 1.0, "a number in (0, 1]"),
    ENUM("cause", cause, CQE_HAS_CAUSE, 0, causes),
    TEXT("category", category),
    BOOL("data_loss", data_loss, CQE_HAS_DATA_LOSS, 0),
};

static const struct field probe_fields[] = {
    IDENT("service", service, REQ_ALWAYS),
    BOOL("ok", ok, CQE_HAS_OK, REQ_ALWAYS),
    TEXT("site", site),
    NUM("latency_ms", latency_ms, CQE_HAS_LATENCY, false, 0.0, INFINITY, "a number >= 0"),
};

static const struct field metric_fields[] = {
    IDENT("resource", resource, REQ_ALWAYS),
    IDENT("pool", pool, REQ_ALWAYS),
    NUM("cpu", cpu, CQE_HAS_CPU, false, 0.0, 1.0, "a ratio in [0, 1]"),
    NUM("mem", mem, CQE_HAS_MEM, false, 0.0, 1.0, "a ratio in [0, 1]"),
    NUM("disk", disk, CQE_HAS_DISK, false, 0.0, 1.0, "a ratio in [0, 1]"),
    NUM("net", net, CQE_HAS_NET, false, 0.0, 1.0, "a ratio in [0, 1]"),
    ENUM("kind", kind, CQE_HAS_KIND, 0, resource_kinds),
    INT("interval_s", interval_s, 0, 1, 86400, "an integer 1-86400"),
};

static const struct field maintenance_fields[] = {
    IDENT("window", entity, REQ_ALWAYS),
    ACTION(maintenance_actions),
    TIME("start", start, CQE_HAS_START, REQ_ON(CQE_A_SCHEDULE)),
    TIME("end", end, CQE_HAS_END, REQ_ON(CQE_A_SCHEDULE)),
    IDENT("service", service, 0),
};

static const struct field ticket_fields[] = {
    IDENT("ticket", entity, REQ_ALWAYS),
    ACTION(ticket_actions),
    TIME("due", due, CQE_HAS_DUE, REQ_ON(CQE_A_OPEN)),
    BOOL("satisfied", satisfied, CQE_HAS_SATISFIED, REQ_ON(CQE_A_FEEDBACK)),
    BOOL("complaint", complaint, CQE_HAS_COMPLAINT, 0),
};

static const struct field backup_fields[] = {
    IDENT("job", entity, REQ_ALWAYS),
    IDENT("service", service, REQ_ALWAYS),
    BOOL("ok", ok, CQE_HAS_OK, REQ_ALWAYS),
    INT("rpo_target_s", rpo_target_s, CQE_HAS_RPO_TARGET, 1, INT64_MAX, "an integer > 0"),
};

static const struct field drill_fields[] = {
    IDENT("drill", entity, REQ_ALWAYS),
    ENUM("kind", drill_kind, 0, REQ_ALWAYS, drill_kinds),
    ACTION(plan_done),
    BOOL("ok", ok, CQE_HAS_OK, REQ_ON(CQE_A_DONE)),
    INT("rto_s", rto_s, CQE_HAS_RTO, 0, INT64_MAX, "an integer >= 0"),
    INT("rto_target_s", rto_target_s, CQE_HAS_RTO_TARGET, 0, INT64_MAX, "an integer >= 0"),
    INT("rpo_s", rpo_s, CQE_HAS_RPO, 0, INT64_MAX, "an integer >= 0"),
    INT("rpo_target_s", rpo_target_s, CQE_HAS_RPO_TARGET, 0, INT64_MAX, "an integer >= 0"),
};

static const struct field vuln_fields[] = {
    IDENT("vuln", entity, REQ_ALWAYS),
    ACTION(vuln_actions),
    ENUM("level", level, CQE_HAS_LEVEL, REQ_ON(CQE_A_FOUND), vuln_levels),
};

static const struct field migration_fields[] = {
    IDENT("migration", entity, REQ_ALWAYS),
    ACTION(plan_done),
    TIME("planned_end", planned_end, CQE_HAS_PLANNED_END, REQ_ON(CQE_A_PLAN)),
    BOOL("ok", ok, CQE_HAS_OK, REQ_ON(CQE_A_DONE)),
    IDENT("service", service, 0),
    BOOL("data_verified", data_verified, CQE_HAS_DATA_VERIFIED, 0),
};

static const struct field audit_fields[] = {
    IDENT("op", entity, REQ_ALWAYS),
    NONEMPTY("actor", actor, REQ_ALWAYS),
    TEXT("target", target),
    TEXT("ticket_ref", ticket_ref),
};

static const struct field survey_fields[] = {
    IDENT("response", entity, REQ_ALWAYS),
    {.name = "answers", .kind = F_ANSWERS, .req = REQ_ALWAYS},
    IDENT("service", service, 0),
};

static const struct field asset_fields[] = {
    IDENT("asset", entity, REQ_ALWAYS),
    ENUM("class", asset_class, CQE_HAS_CLASS, REQ_ALWAYS, asset_classes),
    ACTION(asset_actions),
    BOOL("domestic", domestic, CQE_HAS_DOMESTIC, REQ_ON(CQE_A_ADD)),
    TEXT("vendor", vendor),
    TEXT("arch", arch),
};

struct type_spec {
    const struct field *fields;
    size_t n_fields;
};

#define TYPE(t, f) [t] = {f, sizeof f / sizeof f[0]}
static const struct type_spec types[CQE_T__COUNT] = {
    TYPE(CQE_T_INCIDENT, incident_fields),
    TYPE(CQE_T_PROBE, probe_fields),
    TYPE(CQE_T_METRIC, metric_fields),
    TYPE(CQE_T_MAINTENANCE, maintenance_fields),
    TYPE(CQE_T_TICKET, ticket_fields),
    TYPE(CQE_T_BACKUP, backup_fields),
    TYPE(CQE_T_DRILL, drill_fields),
    TYPE(CQE_T_VULN, vuln_fields),
    TYPE(CQE_T_MIGRATION, migration_fields),
    TYPE(CQE_T_AUDIT, audit_fields),
    TYPE(CQE_T_SURVEY, survey_fields),
    TYPE(CQE_T_ASSET, asset_fields),
};

/* ---- field decoding -------------------------------------------------------------- */

struct dec {
    struct cqe_event *ev;
    struct cqe_err *err;
    const char *type; /* wire name, for messages */
};

static void *slot(struct dec *d, const struct field *f)
{
    return (char *)d->ev + f->off;
}

static void names_list(const struct name_val *names, char *buf, size_t n)
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

static const char *action_name(const struct field *fields, size_t n, enum cqe_action a)
{
    for (size_t i = 0; i < n; i++)
        if (fields[i].off == OFF(action))
            for (const struct name_val *nv = fields[i].names; nv->name; nv++)
                if (nv->val == (int)a)
                    return nv->name;
    return "?";
}

/* A JSON string field: checks the type and the length in code points. */
static int get_string(struct dec *d, const struct field *f, const json_t *v, size_t min_chars,
                      size_t max_chars, const char *rule)
{
    char got[64];
    if (!json_is_string(v))
        return fail(d->err, CQE_R_BAD_TYPE, "field \"%s\": must be %s (got %s)", f->name, rule,
                    describe(v, got, sizeof got));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (min_chars || max_chars < SIZE_MAX) {
        size_t chars = max_chars < SIZE_MAX ? utf8_chars(s, n) : n; /* n == 0 iff no chars */
        if (chars < min_chars || chars > max_chars)
            return fail(d->err, CQE_R_BAD_VALUE, "field \"%s\": must be %s (got %zu characters)",
                        f->name, rule, chars);
    }
    struct cqe_str *out = slot(d, f);
    out->p = s;
    out->n = n;
    return 0;
}

static int get_time(struct dec *d, const char *name, const json_t *v, int64_t *out)
{
    static const char rule[] = "an RFC 3339 time with offset, e.g. 2026-03-01T08:00:00+08:00";
    char got[64];
    if (!json_is_string(v))
        return fail(d->err, CQE_R_BAD_TYPE, "field \"%s\": must be %s (got %s)", name, rule,
                    describe(v, got, sizeof got));
    switch (cqe_time_parse_rfc3339(json_string_value(v), json_string_length(v), out)) {
    case CQE_TIME_OK:
        return 0;
    case CQE_TIME_DATE:
        return fail(d->err, CQE_R_BAD_VALUE,
                    "field \"%s\": must be a real date and time of day (got %s)", name,
                    describe(v, got, sizeof got));
    case CQE_TIME_RANGE:
        return fail(d->err, CQE_R_BAD_VALUE,
                    "field \"%s\": must be in [2000-01-01T00:00:00Z, 2101-01-01T00:00:00Z) "
                    "(got %s)",
                    name, describe(v, got, sizeof got));
    default:
        return fail(d->err, CQE_R_BAD_VALUE, "field \"%s\": must be %s (got %s)", name, rule,
                    describe(v, got, sizeof got));
    }
}

static int get_answers(struct dec *d, const json_t *v)
{
    char got[64];
    if (!json_is_object(v))
        return fail(d->err, CQE_R_BAD_TYPE,
                    "field \"answers\": must be an object of dimension name to level 1-5 (got %s)",
                    describe(v, got, sizeof got));
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
        int kind = as_integer(level, &x);
        if (!kind)
            return fail(d->err, CQE_R_BAD_TYPE,
                        "field \"answers\".\"%s\": must be an integer level 1-5 (got %s)", key,
                        describe(level, got, sizeof got));
        if (kind != 1 || x < 1 || x > 5)
            return fail(d->err, CQE_R_BAD_VALUE,
                        "field \"answers\".\"%s\": must be an integer level 1-5 (got %s)", key,
                        describe(level, got, sizeof got));
        struct cqe_answer *a = &ev->answers[ev->n_answers++];
        a->dim.p = key;
        a->dim.n = json_object_iter_key_len(it);
        a->level = (int)x;
    }
    return 0;
}

/* Decodes present field f of value v into the event. */
static int get_field(struct dec *d, const struct field *f, const json_t *v)
{
    char got[64], list[128];
    int64_t x = 0;
    switch (f->kind) {
    case F_IDENT:
        return get_string(d, f, v, 1, IDENT_MAX_CHARS, "a string of 1-128 characters");
    case F_TEXT:
        return get_string(d, f, v, 0, SIZE_MAX, "a string");
    case F_NONEMPTY:
        return get_string(d, f, v, 1, SIZE_MAX, "a non-empty string");
    case F_BOOL:
        if (!json_is_boolean(v))
            return fail(d->err, CQE_R_BAD_TYPE, "field \"%s\": must be true or false (got %s)",
                        f->name, describe(v, got, sizeof got));
        *(bool *)slot(d, f) = json_is_true(v);
        return 0;
    case F_INT: {
        int kind = as_integer(v, &x);
        if (!kind)
            return fail(d->err, CQE_R_BAD_TYPE, "field \"%s\": must be %s (got %s)", f->name,
                        f->rule, describe(v, got, sizeof got));
        if (kind != 1 || x < f->ilo || x > f->ihi)
            return fail(d->err, CQE_R_BAD_VALUE, "field \"%s\": must be %s (got %s)", f->name,
                        f->rule, describe(v, got, sizeof got));
        if (f->narrow)
            *(int *)slot(d, f) = (int)x;
        else
            *(int64_t *)slot(d, f) = x;
        return 0;
    }
    case F_NUM: {
        if (!json_is_number(v))
            return fail(d->err, CQE_R_BAD_TYPE, "field \"%s\": must be %s (got %s)", f->name,
                        f->rule, describe(v, got, sizeof got));
        double y = json_number_value(v);
        if (y > f->dhi || (f->lo_open ? y <= f->dlo : y < f->dlo))
            return fail(d->err, CQE_R_BAD_VALUE, "field \"%s\": must be %s (got %s)", f->name,
                        f->rule, describe(v, got, sizeof got));
        *(double *)slot(d, f) = y;
        return 0;
    }
    case F_ENUM: {
        if (json_is_string(v)) {
            const char *s = json_string_value(v);
            size_t n = json_string_length(v);
            for (const struct name_val *nv = f->names; nv->name; nv++)
                if (strlen(nv->name) == n && !memcmp(nv->name, s, n)) {
                    int val = nv->val;
                    memcpy(slot(d, f), &val, sizeof val);
                    return 0;
                }
        }
        names_list(f->names, list, sizeof list);
        return fail(d->err, json_is_string(v) ? CQE_R_BAD_VALUE : CQE_R_BAD_TYPE,
                    "field \"%s\": must be one of %s (got %s)", f->name, list,
                    describe(v, got, sizeof got));
    }
    case F_TIME:
        return get_time(d, f->name, v, (int64_t *)slot(d, f));
    case F_ANSWERS:
        return get_answers(d, v);
    }
    return 0;
}

/* Every field of the table: present ones are decoded, missing required ones refused. */
static int get_fields(struct dec *d, const json_t *root, const struct field *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct field *f = &fields[i];
        const json_t *v = json_object_get(root, f->name);
        if (!v) {
            if (f->req & REQ_ALWAYS)
                return fail(d->err, CQE_R_MISSING_FIELD,
                            "field \"%s\": missing; %s events require it", f->name, d->type);
            if (f->req & REQ_ON(d->ev->action))
                return fail(d->err, CQE_R_MISSING_FIELD,
                            "field \"%s\": missing; %s events with action \"%s\" require it",
                            f->name, d->type, action_name(fields, n, d->ev->action));
            continue;
        }
        int rc = get_field(d, f, v);
        if (rc)
            return rc;
        d->ev->has |= f->has;
    }
    return 0;
}

static int get_version(struct dec *d, const json_t *root)
{
    char got[64];
    const json_t *v = json_object_get(root, "v");
    int64_t x = 0;
    if (!v)
        return fail(d->err, CQE_R_MISSING_FIELD,
                    "field \"v\": missing; every event must carry \"v\":1");
    int kind = as_integer(v, &x);
    if (!kind)
        return fail(d->err, CQE_R_BAD_TYPE, "field \"v\": must be the integer 1 (got %s)",
                    describe(v, got, sizeof got));
    if (kind != 1 || x != 1)
        return fail(d->err, CQE_R_UNSUPPORTED_VERSION,
                    "field \"v\": version %s is not supported; this decoder reads \"v\":1",
                    describe(v, got, sizeof got));
    return 0;
}

static int get_type(struct dec *d, const json_t *root)
{
    char got[64];
    const json_t *v = json_object_get(root, "type");
    if (!v)
        return fail(d->err, CQE_R_MISSING_FIELD, "field \"type\": missing; every event needs one");
    if (!json_is_string(v))
        return fail(d->err, CQE_R_BAD_TYPE, "field \"type\": must be a string (got %s)",
                    describe(v, got, sizeof got));
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
    return fail(d->err, CQE_R_UNKNOWN_TYPE,
                "field \"type\": %s is not an event type; use one of incident, probe, metric, "
                "maintenance, ticket, backup, drill, vuln, migration, audit, survey, asset",
                describe(v, got, sizeof got));
}

static int get_ts(struct dec *d, const json_t *root)
{
    char got[64];
    const json_t *v = json_object_get(root, "ts");
    int64_t x = 0;
    if (!v)
        return fail(d->err, CQE_R_MISSING_FIELD, "field \"ts\": missing; every event needs one");
    if (json_is_string(v))
        return get_time(d, "ts", v, &d->ev->ts);
    int kind = as_integer(v, &x);
    if (!kind)
        return fail(d->err, CQE_R_BAD_TYPE,
                    "field \"ts\": must be an RFC 3339 string with offset or integer epoch "
                    "milliseconds (got %s)",
                    describe(v, got, sizeof got));
    if (kind != 1 || x < CQE_TS_MIN || x >= CQE_TS_MAX)
        return fail(d->err, CQE_R_BAD_VALUE,
                    "field \"ts\": epoch milliseconds must be in [946684800000, 4133980800000), "
                    "i.e. years 2000-2100 (got %s)",
                    describe(v, got, sizeof got));
    d->ev->ts = x;
    return 0;
}

/* Rules across fields, after every field of the type was read. */
static int check_type(struct dec *d)
{
    const struct cqe_event *ev = d->ev;
    switch (ev->type) {
    case CQE_T_METRIC:
        if (!(ev->has & (CQE_HAS_CPU | CQE_HAS_MEM | CQE_HAS_DISK | CQE_HAS_NET)))
            return fail(d->err, CQE_R_MISSING_FIELD,
                        "fields \"cpu\", \"mem\", \"disk\", \"net\": a metric needs at least one");
        return 0;
    case CQE_T_MAINTENANCE:
        if ((ev->has & CQE_HAS_START) && (ev->has & CQE_HAS_END) && ev->end <= ev->start)
            return fail(d->err, CQE_R_BAD_VALUE,
                        "field \"end\": must be after \"start\" (got a window of %lld ms)",
                        (long long)(ev->end - ev->start));
        return 0;
    default:
        return 0;
    }
}

static void set_defaults(struct cqe_event *ev)
{
    switch (ev->type) {
    case CQE_T_INCIDENT:
        ev->impact = CQE_IMPACT_OUTAGE;
        ev->scope = 1.0;
        ev->cause = CQE_CAUSE_PROVIDER;
        break;
    case CQE_T_METRIC:
        ev->kind = CQE_KIND_VM;
        ev->interval_s = 60;
        break;
    case CQE_T_MIGRATION:
        ev->data_verified = false;
        break;
    default:
        break;
    }
}

static int get_event(struct dec *d, const json_t *root)
{
    int rc;
    if ((rc = get_version(d, root)) || (rc = get_type(d, root)))
        return rc;
    static const struct field id_field = IDENT("id", id, REQ_ALWAYS);
    const json_t *id = json_object_get(root, "id");
    if (!id)
        return fail(d->err, CQE_R_MISSING_FIELD, "field \"id\": missing; every event needs one");
    if ((rc = get_field(d, &id_field, id)) || (rc = get_ts(d, root)))
        return rc;
    const char *type = d->type;
    d->type = "all"; /* envelope messages speak of every event */
    rc = get_fields(d, root, envelope_fields, sizeof envelope_fields / sizeof envelope_fields[0]);
    d->type = type;
    if (rc)
        return rc;
    if (d->ev->type == CQE_T_SURVEY && !d->ev->dept.p)
        return fail(d->err, CQE_R_MISSING_FIELD,
                    "field \"dept\": missing; survey events require it");
    set_defaults(d->ev);
    const struct type_spec *t = &types[d->ev->type];
    if ((rc = get_fields(d, root, t->fields, t->n_fields)))
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
    struct dec d = {.ev = ev, .err = err, .type = "?"};

    memset(ev, 0, sizeof *ev);
    if (max_message_bytes < 0 || (uint64_t)len > (uint64_t)max_message_bytes) {
        rc = fail(err, CQE_R_TOO_LARGE,
                  "message of %zu bytes exceeds max_message_bytes (%lld); split it or raise the "
                  "limit",
                  len, (long long)max_message_bytes);
        goto out;
    }
    size_t bad = cqe_utf8_valid_prefix(buf, len);
    if (bad < len) {
        rc = fail(err, CQE_R_BAD_UTF8, "invalid UTF-8 at byte %zu; events must be UTF-8 text", bad);
        goto out;
    }
    if (scan_document(&s, buf, len)) {
        rc = fail(err, CQE_R_JSON_SYNTAX, "invalid JSON at byte %zu: %s", s.syntax_at, s.syntax);
        goto out;
    }
    if (s.top != '{') {
        rc = fail(err, CQE_R_BAD_VALUE, "the message must be a JSON object (got %s)",
                  s.top == '[' ? "an array" : s.top == '"' ? "a string" : "a scalar");
        goto out;
    }
    if (s.limit) {
        rc = fail(err, CQE_R_BAD_VALUE, "at byte %zu: %s", s.limit_at, s.limit);
        goto out;
    }
    root = json_loadb(buf, len, 0, &jerr);
    if (!root) {
        /* the pre-scan accepted the syntax (fuzz_decode holds it to Jansson's), and
         * Jansson reports a failed allocation inside its lexer as a syntax error: so
         * anything but a numeric overflow is memory running out, never a dead letter */
        enum json_error_code code = json_error_code(&jerr);
        if (code == json_error_numeric_overflow)
            rc = fail(err, CQE_R_BAD_VALUE,
                      "at byte %d: %s; integers must fit in int64 and reals be finite doubles",
                      jerr.position, jerr.text);
        else
            rc = cqe_err_set(err, CQE_ENOMEM, "out of memory parsing an event (Jansson: %s)",
                             jerr.text);
        goto out;
    }
    ev->root = root;
    rc = get_event(&d, root);
out:
    if (rc)
        cqe_event_clear(ev);
    return rc;
}
