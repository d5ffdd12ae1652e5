/* The partition key and the id of an event message, read by a scan of its top-level
 * members without a full parse (see json_scan.h). */
#include "json_scan.h"

#include <stdbool.h>
#include <string.h>

/* Members the scan keeps: "type", "id", then the key member of each type (by enum). */
static const char *const scan_fields[] = {"type", "id",
#define CQE_SCAN_KEY_MEMBER(e, wire, key) key,
                                          CQE_TYPE_LIST(CQE_SCAN_KEY_MEMBER)
#undef CQE_SCAN_KEY_MEMBER
};
#define N_SCAN (sizeof scan_fields / sizeof scan_fields[0])

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* p at an opening quote: returns the byte after the closing quote, or NULL; *esc is
 * raised when the string holds an escape. */
static const char *string_end(const char *p, const char *e, bool *esc)
{
    for (p++; p < e; p++) {
        if (*p == '\\') {
            *esc = true;
            if (++p == e) /* a backslash ending the input escapes nothing */
                break;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

static const char *value_end(const char *p, const char *e)
{
    bool esc = false;
    if (p >= e)
        return NULL;
    if (*p == '"')
        return string_end(p, e, &esc);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < e) {
            if (*p == '"') {
                if (!(p = string_end(p, e, &esc)))
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if ((*p == '}' || *p == ']') && --depth == 0)
                return p + 1;
            p++;
        }
        return NULL;
    }
    while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' && *p != '\r' &&
           *p != '\n')
        p++;
    return p;
}

int cqe_json_scan_key_id(const char *msg, size_t n, struct cqe_str *key, struct cqe_str *id)
{
    struct cqe_str f[N_SCAN];
    bool fesc[N_SCAN];
    const char *e = msg + n, *p = skip_ws(msg, e);
    int out = 0;
    memset(f, 0, sizeof f);
    memset(fesc, 0, sizeof fesc);
    if (p >= e || *p != '{')
        return CQE_SCAN_ESCAPED;
    p = skip_ws(p + 1, e);
    while (p < e && *p != '}') {
        bool kesc = false, vesc = false;
        if (*p != '"')
            return CQE_SCAN_ESCAPED;
        const char *ks = p + 1, *q = string_end(p, e, &kesc);
        if (!q)
            return CQE_SCAN_ESCAPED;
        size_t kn = (size_t)(q - 1 - ks);
        if (kesc)
            out |= CQE_SCAN_ESCAPED;
        p = skip_ws(q, e);
        if (p >= e || *p != ':')
            return CQE_SCAN_ESCAPED;
        p = skip_ws(p + 1, e);
        if (p >= e) /* the input ends before the member's value */
            return CQE_SCAN_ESCAPED;
        const char *ve = *p == '"' ? string_end(p, e, &vesc) : value_end(p, e);
        if (!ve)
            return CQE_SCAN_ESCAPED;
        for (size_t i = 0; i < N_SCAN; i++) {
            if (strlen(scan_fields[i]) == kn && !memcmp(scan_fields[i], ks, kn)) {
                /* the last occurrence wins, as in Jansson */
                f[i] = *p == '"' ? (struct cqe_str){p + 1, (size_t)(ve - 1 - (p + 1))}
                                 : (struct cqe_str){NULL, 0};
                fesc[i] = vesc;
                break;
            }
        }
        p = skip_ws(ve, e);
        if (p < e && *p == ',')
            p = skip_ws(p + 1, e);
        else if (p < e && *p != '}')
            return out | CQE_SCAN_ESCAPED;
    }
    if (f[1].p) {
        *id = f[1];
        out |= CQE_SCAN_ID;
        if (fesc[1])
            out |= CQE_SCAN_ESCAPED;
    }
    if (f[0].p) {
        for (int t = 0; t < CQE_T__COUNT; t++) {
            const char *name = cqe_type_name((enum cqe_type)t);
            if (strlen(name) != f[0].n || memcmp(name, f[0].p, f[0].n))
                continue;
            if (f[2 + t].p && f[2 + t].n) {
                *key = f[2 + t];
                return out | CQE_SCAN_KEY;
            }
        }
    }
    if (f[1].p && f[1].n) {
        *key = f[1];
        out |= CQE_SCAN_KEY;
    }
    return out;
}
