/* Builds the Jansson document of pre-scanned JSON (json_build.h): strings without
 * escapes go to Jansson straight from the message, the rest through one scratch buffer. */
#include "json_build.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

struct build {
    const char *p, *end;
    int rc;         /* first failure: CQE_ENOMEM or CQE_EINVAL */
    char *tmp;      /* scratch for unescaped strings and number text */
    size_t tmp_cap; /* 0: tmp is small[] */
    char small[128];
};

static char *scratch(struct build *b, size_t n)
{
    size_t cap = b->tmp_cap ? b->tmp_cap : sizeof b->small;
    if (n <= cap)
        return b->tmp;
    char *p = malloc(n);
    if (!p) {
        b->rc = CQE_ENOMEM;
        return NULL;
    }
    if (b->tmp_cap)
        free(b->tmp);
    b->tmp = p;
    b->tmp_cap = n;
    return p;
}

static void skip_ws(struct build *b)
{
    while (b->p < b->end && (*b->p == ' ' || *b->p == '\t' || *b->p == '\n' || *b->p == '\r'))
        b->p++;
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = (unsigned char)p[i];
        v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The string at b->p (on its opening quote): *s and *n its text, pointing into the
 * message when it has no escape, else into the scratch buffer (valid until the next
 * string). Returns 0 or -1 with b->rc set. */
static int string(struct build *b, const char **s, size_t *n)
{
    const char *start = ++b->p, *q = start;
    while (*q != '"' && *q != '\\')
        q++;
    if (*q == '"') {
        *s = start;
        *n = (size_t)(q - start);
        b->p = q + 1;
        return 0;
    }
    const char *close = q;
    while (*close != '"')
        close += *close == '\\' ? 2 : 1;
    /* an escape never decodes longer than it is written */
    char *o = scratch(b, (size_t)(close - start) + 1);
    if (!o)
        return -1;
    size_t k = (size_t)(q - start);
    memcpy(o, start, k);
    while (q < close) {
        if (*q != '\\') {
            o[k++] = *q++;
            continue;
        }
        char e = q[1];
        q += 2;
        switch (e) {
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'u': {
            uint32_t cp = hex4(q);
            q += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* the pre-scan saw its low half */
                cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4(q + 2) - 0xDC00);
                q += 6;
            }
            k += put_utf8(o + k, cp);
            break;
        }
        default: o[k++] = e; /* '"', '\\', '/' */
        }
    }
    *s = o;
    *n = k;
    b->p = close + 1;
    return 0;
}

/* A number as Jansson reads it: an integer (strtoll) unless it has a fraction or an
 * exponent, then a real (strtod); out of range is CQE_EINVAL. */
static json_t *number(struct build *b)
{
    const char *start = b->p;
    int real = 0;
    while (b->p < b->end) {
        char c = *b->p;
        if (c == '.' || c == 'e' || c == 'E')
            real = 1;
        else if (!(c >= '0' && c <= '9') && c != '-' && c != '+')
            break;
        b->p++;
    }
    size_t n = (size_t)(b->p - start);
    char *t = scratch(b, n + 1);
    if (!t)
        return NULL;
    memcpy(t, start, n);
    t[n] = 0;
    errno = 0;
    json_t *v;
    if (real) {
        double d = strtod(t, NULL);
        if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE) {
            b->rc = CQE_EINVAL;
            return NULL;
        }
        v = json_real(d);
    } else {
        long long i = strtoll(t, NULL, 10);
        if (errno == ERANGE) {
            b->rc = CQE_EINVAL;
            return NULL;
        }
        v = json_integer(i);
    }
    if (!v)
        b->rc = CQE_ENOMEM;
    return v;
}

static json_t *value(struct build *b);

static json_t *object(struct build *b)
{
    json_t *o = json_object();
    if (!o) {
        b->rc = CQE_ENOMEM;
        return NULL;
    }
    b->p++;
    skip_ws(b);
    if (*b->p == '}') {
        b->p++;
        return o;
    }
    json_t *v;
    for (;;) {
        const char *name = b->p; /* decoded after the value, which may reuse scratch */
        while (*++b->p != '"')
            if (*b->p == '\\')
                b->p++;
        b->p++;
        skip_ws(b);
        b->p++; /* ':' */
        v = value(b);
        const char *key;
        size_t kn;
        const char *after = b->p;
        b->p = name;
        if (!v || string(b, &key, &kn))
            goto fail_v;
        b->p = after;
        if (json_object_setn_new_nocheck(o, key, kn, v)) { /* v is released */
            b->rc = CQE_ENOMEM;
            goto fail;
        }
        skip_ws(b);
        if (*b->p++ == '}')
            return o;
        skip_ws(b); /* after ',' */
    }
fail_v:
    json_decref(v);
fail:
    json_decref(o);
    return NULL;
}

static json_t *array(struct build *b)
{
    json_t *a = json_array();
    if (!a) {
        b->rc = CQE_ENOMEM;
        return NULL;
    }
    b->p++;
    skip_ws(b);
    if (*b->p == ']') {
        b->p++;
        return a;
    }
    for (;;) {
        json_t *v = value(b);
        if (!v || json_array_append_new(a, v)) { /* v is released */
            if (!b->rc)
                b->rc = CQE_ENOMEM;
            json_decref(a);
            return NULL;
        }
        skip_ws(b);
        if (*b->p++ == ']')
            return a;
        skip_ws(b);
    }
}

static json_t *value(struct build *b)
{
    skip_ws(b);
    json_t *v;
    switch (*b->p) {
    case '{': return object(b);
    case '[': return array(b);
    case '"': {
        const char *s;
        size_t n;
        if (string(b, &s, &n))
            return NULL;
        v = json_stringn_nocheck(s, n);
        break;
    }
    case 't': b->p += 4; return json_true();
    case 'f': b->p += 5; return json_false();
    case 'n': b->p += 4; return json_null();
    default: return number(b);
    }
    if (!v)
        b->rc = CQE_ENOMEM;
    return v;
}

int cqe_json_build(const char *buf, size_t len, json_t **out)
{
    struct build b = {.p = buf, .end = buf + len};
    b.tmp = b.small;
    *out = value(&b);
    if (b.tmp_cap)
        free(b.tmp);
    if (!*out)
        return b.rc ? b.rc : CQE_ENOMEM;
    return 0;
}
