/* The table-driven JSON loader of json_table.h: the JSON path of the value being read,
 * refusals that name it, typed getters with ranges, objects loaded through key tables
 * with unknown keys refused (did you mean ...?), and reading the document itself. */
#include "json_table.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_KEY_MAX 48 /* code points of a key shown in a JSON path */

void cqe_jt_init(struct cqe_jt *L, const char *origin, struct cqe_err *err)
{
    memset(L, 0, sizeof *L);
    L->origin = origin;
    L->err = err;
    L->path[0] = '$';
    L->plen = 1;
}

/* ---- the JSON path ---- */

static void path_putc(struct cqe_jt *L, char c)
{
    if (L->plen + 1 < sizeof L->path) {
        L->path[L->plen++] = c;
        L->path[L->plen] = '\0';
    }
}

static void path_puts(struct cqe_jt *L, const char *s)
{
    while (*s)
        path_putc(L, *s++);
}

bool cqe_jt_plain_name(const char *k, size_t n)
{
    if (!n || !((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || *k == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') ||
              k[i] == '_'))
            return false;
    return true;
}

size_t cqe_jt_push_key(struct cqe_jt *L, const char *key)
{
    size_t mark = L->plen;
    size_t n = strlen(key);
    if (n <= PATH_KEY_MAX && cqe_jt_plain_name(key, n)) {
        path_putc(L, '.');
        path_puts(L, key);
        return mark;
    }
    path_puts(L, "[\"");
    size_t cps = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        if ((*p & 0xC0) != 0x80 && ++cps > PATH_KEY_MAX) {
            path_puts(L, "…"); /* a long key is shown by its start */
            break;
        }
        if (*p == '"' || *p == '\\') {
            path_putc(L, '\\');
            path_putc(L, (char)*p);
        } else if (*p < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            path_puts(L, esc);
        } else {
            path_putc(L, (char)*p);
        }
    }
    path_puts(L, "\"]");
    return mark;
}

size_t cqe_jt_push_index(struct cqe_jt *L, size_t i)
{
    size_t mark = L->plen;
    char buf[32];
    snprintf(buf, sizeof buf, "[%zu]", i);
    path_puts(L, buf);
    return mark;
}

void cqe_jt_pop(struct cqe_jt *L, size_t mark)
{
    L->plen = mark;
    L->path[mark] = '\0';
}

/* ---- refusals ---- */

/* The length of s[0..n) without a code point cut short at its end (s was valid UTF-8
 * before a buffer cut it), so messages stay text. */
static int utf8_whole(const char *s, size_t n)
{
    size_t i = n, back = 0;
    while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        back++;
    }
    if (i > 0 && ((unsigned char)s[i - 1] & 0x80)) { /* the lead byte of the last sequence */
        unsigned char lead = (unsigned char)s[i - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        if (back + 1 < need)
            n = i - 1;
    }
    return (int)n;
}

int cqe_jt_fail(struct cqe_jt *L, const char *fmt, ...)
{
    char rule[512], msg[sizeof L->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rule, sizeof rule, fmt, ap);
    va_end(ap);
    int np = utf8_whole(L->path, L->plen), w;
    if (L->note)
        w = snprintf(msg, sizeof msg, "%s: %.*s: %s (%.*s)", L->origin, np, L->path, rule,
                     utf8_whole(L->note, strlen(L->note)), L->note);
    else
        w = snprintf(msg, sizeof msg, "%s: %.*s: %s", L->origin, np, L->path, rule);
    if (w >= (int)sizeof msg) /* cut: end on a whole code point */
        msg[utf8_whole(msg, strlen(msg))] = '\0';
    return cqe_err_set(L->err, CQE_ECONFIG, "%s", msg);
}

int cqe_jt_oom(struct cqe_jt *L)
{
    return cqe_err_set(L->err, CQE_ENOMEM, "%s: %s: out of memory", L->origin, L->path);
}

const char *cqe_jt_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

char *cqe_jt_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

size_t cqe_jt_code_points(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80; /* the bytes that do not continue a code point */
    return n;
}

/* ---- typed values ---- */

static void describe(const struct cqe_jt_range *r, char *buf, size_t n)
{
    const char *kind = r->integer ? "an integer" : "a number";
    if (isinf(r->min) && r->min < 0 && r->max >= CQE_JT_MAX_SAFE_INT)
        snprintf(buf, n, "%s", kind);
    else if (r->max >= CQE_JT_MAX_SAFE_INT)
        snprintf(buf, n, "%s %s %.15g", kind, r->min_excl ? ">" : ">=", r->min);
    else
        snprintf(buf, n, "%s in %c%.15g, %.15g]", kind, r->min_excl ? '(' : '[', r->min, r->max);
}

int cqe_jt_number(struct cqe_jt *L, const json_t *v, const struct cqe_jt_range *r, double *out)
{
    char want[96];
    describe(r, want, sizeof want);
    if (!json_is_number(v))
        return cqe_jt_fail(L, "must be %s; got %s", want, cqe_jt_type_name(v));
    double x = json_number_value(v);
    if (r->integer && json_is_integer(v)) { /* beyond 2^53 a double is inexact: judge the integer */
        json_int_t i = json_integer_value(v);
        if (i > (json_int_t)CQE_JT_MAX_SAFE_INT || i < -(json_int_t)CQE_JT_MAX_SAFE_INT)
            return cqe_jt_fail(L, "must be %s%s; got %lld", want,
                               r->max >= CQE_JT_MAX_SAFE_INT ? " (at most 2^53)" : "", (long long)i);
    } else if (r->integer && x != floor(x)) {
        return cqe_jt_fail(L, "must be %s; got %.15g", want, x);
    }
    bool low = r->min_excl ? !(x > r->min) : !(x >= r->min);
    if (low || x > r->max)
        return cqe_jt_fail(L, "must be %s%s; got %.15g", want,
                           r->max >= CQE_JT_MAX_SAFE_INT && !low ? " (at most 2^53)" : "", x);
    *out = x;
    return 0;
}

int cqe_jt_int(struct cqe_jt *L, const json_t *v, const struct cqe_jt_range *r, int64_t *out)
{
    double x;
    int rc = cqe_jt_number(L, v, r, &x);
    if (!rc)
        *out = (int64_t)x;
    return rc;
}

int cqe_jt_ident(struct cqe_jt *L, const json_t *v, const char **out)
{
    if (!json_is_string(v))
        return cqe_jt_fail(L, "must be a string of 1 to %d characters; got %s", CQE_JT_IDENT_MAX,
                           cqe_jt_type_name(v));
    size_t n = cqe_jt_code_points(json_string_value(v));
    if (n < 1 || n > CQE_JT_IDENT_MAX)
        return cqe_jt_fail(L, "must be a string of 1 to %d characters; got %zu", CQE_JT_IDENT_MAX, n);
    *out = json_string_value(v);
    return 0;
}

int cqe_jt_nonempty(struct cqe_jt *L, const json_t *v, const char **out)
{
    if (!json_is_string(v) || !json_string_length(v))
        return cqe_jt_fail(L, "must be a non-empty string; got %s",
                           json_is_string(v) ? "an empty string" : cqe_jt_type_name(v));
    *out = json_string_value(v);
    return 0;
}

int cqe_jt_set_str(struct cqe_jt *L, char **slot, const char *s)
{
    char *d = cqe_jt_strdup(s);
    if (!d)
        return cqe_jt_oom(L);
    free(*slot);
    *slot = d;
    return 0;
}

/* ---- generic loaders ---- */

#define FIELD(type, base, k) ((type *)((char *)(base) + (k)->off))

int cqe_jt_load_i64(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k)
{
    return cqe_jt_int(L, v, &k->range, FIELD(int64_t, base, k));
}

int cqe_jt_load_double(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k)
{
    return cqe_jt_number(L, v, &k->range, FIELD(double, base, k));
}

int cqe_jt_load_bool(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k)
{
    if (!json_is_boolean(v))
        return cqe_jt_fail(L, "must be true or false; got %s", cqe_jt_type_name(v));
    *FIELD(bool, base, k) = json_is_true(v);
    return 0;
}

int cqe_jt_load_ident(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k)
{
    const char *s = NULL;
    int rc = cqe_jt_ident(L, v, &s);
    return rc ? rc : cqe_jt_set_str(L, FIELD(char *, base, k), s);
}

int cqe_jt_load_nonempty(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *k)
{
    const char *s = NULL;
    int rc = cqe_jt_nonempty(L, v, &s);
    return rc ? rc : cqe_jt_set_str(L, FIELD(char *, base, k), s);
}

/* ---- objects ---- */

/* Edit distance (insert, delete, substitute, swap neighbours) capped at small keys. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 40 || nb > 40)
        return 99;
    size_t d[41][41];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++) {
        for (size_t j = 1; j <= nb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[na][nb];
}

static int unknown_key(struct cqe_jt *L, const char *key, const struct cqe_jt_keys *parts, size_t n_parts)
{
    char known[400] = "";
    size_t used = 0;
    const char *guess = NULL;
    size_t guess_d = 3; /* suggest only within two edits */
    for (size_t p = 0; p < n_parts; p++) {
        for (size_t i = 0; i < parts[p].n; i++) {
            const struct cqe_jt_key *k = &parts[p].key[i];
            if (k->hidden)
                continue;
            int w = snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "", k->name);
            if (w > 0 && (size_t)w < sizeof known - used)
                used += (size_t)w;
            size_t d = edit_distance(key, k->name);
            if (d < guess_d && 2 * d < strlen(k->name)) { /* "0" is not a typo of "1" */
                guess_d = d;
                guess = k->name;
            }
        }
    }
    if (guess)
        return cqe_jt_fail(L, "unknown key; did you mean \"%s\"? known keys are %s", guess, known);
    return cqe_jt_fail(L, "unknown key; known keys are %s", known);
}

static const struct cqe_jt_key *find_key(const struct cqe_jt_keys *parts, size_t n_parts, const char *name)
{
    for (size_t p = 0; p < n_parts; p++)
        for (size_t i = 0; i < parts[p].n; i++)
            if (!strcmp(parts[p].key[i].name, name))
                return &parts[p].key[i];
    return NULL;
}

int cqe_jt_object_parts(struct cqe_jt *L, json_t *obj, const struct cqe_jt_keys *parts, size_t n_parts,
                        void *base)
{
    if (!json_is_object(obj))
        return cqe_jt_fail(L, "must be an object; got %s", cqe_jt_type_name(obj));
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        const struct cqe_jt_key *k = find_key(parts, n_parts, key);
        size_t mark = cqe_jt_push_key(L, key);
        int rc = k ? k->load(L, v, base, k) : unknown_key(L, key, parts, n_parts);
        cqe_jt_pop(L, mark);
        if (rc)
            return rc;
    }
    for (size_t p = 0; p < n_parts; p++)
        for (size_t i = 0; i < parts[p].n; i++)
            if (parts[p].key[i].required && !json_object_get(obj, parts[p].key[i].name))
                return cqe_jt_fail(L, "missing required key \"%s\"", parts[p].key[i].name);
    return 0;
}

/* ---- the document ---- */

int cqe_jt_parse(struct cqe_jt *L, const char *text, size_t len, json_t **root)
{
    json_error_t je;
    *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!*root) {
        /* Jansson ends its reason on " near '<token>'": the file's own bytes, which may be
         * a secret cut short by a typo, or not UTF-8. The line and column say where. */
        char *near = strstr(je.text, " near ");
        if (near)
            *near = '\0';
        return cqe_err_set(L->err, CQE_ECONFIG, "%s: line %d column %d: invalid JSON: %s", L->origin, je.line,
                           je.column, je.text);
    }
    return 0;
}

int cqe_jt_read_file(const char *path, size_t max_bytes, const char *what, char **buf_out, size_t *len_out,
                     struct cqe_err *err)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;

    *buf_out = NULL;
    *len_out = 0;
    if (!(f = fopen(path, "rb"))) {
        rc = cqe_err_set(err, CQE_EIO, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    for (;;) {
        if (len + 1 >= cap) { /* room for the terminating NUL */
            if (cap >= max_bytes) {
                rc = cqe_err_set(err, CQE_ECONFIG, "%s: larger than %zu MiB; not %s", path, max_bytes >> 20,
                                 what);
                goto out;
            }
            size_t ncap = cap ? cap * 2 : 8192;
            char *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                rc = cqe_err_set(err, CQE_ENOMEM, "%s: out of memory", path);
                goto out;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - 1 - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        rc = cqe_err_set(err, CQE_EIO, "%s: cannot read: %s", path, strerror(errno));
        goto out;
    }
    buf[len] = '\0';
    *buf_out = buf;
    *len_out = len;
    buf = NULL;
out:
    if (f)
        fclose(f);
    free(buf);
    return rc;
}
