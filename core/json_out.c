/* Shortest round-trip reals in cloudqe's JSON output (see json_out.h): the digits come
 * from printf's correctly rounded %.*e, the layout is Jansson's (plain below 1e17, ".0"
 * on whole values), so only the superfluous digits of %.17g go. */
#include "json_out.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXED_MIN_EXP (-4) /* 0.0001 is written plain, 0.00001 as 1e-5 */
#define FIXED_MAX_EXP 16   /* 1e16 plain, 1e17 as 1e17: the layout of Jansson's %.17g */
#define MAX_DIGITS 17      /* enough for any double */

/* A decimal: sign, significant digits d[0..n) (no leading or trailing zeros; "0" for
 * zero) and the exponent of d[0]: value = d[0].d[1]... x 10^x. */
struct dec {
    bool neg;
    int n, x;
    char d[MAX_DIGITS + 3];
};

/* Reads a JSON number's text s[0..len) into *o; false when it has more than MAX_DIGITS
 * significant digits or is not a number. */
static bool parse_dec(const char *s, size_t len, struct dec *o)
{
    size_t i = 0;
    int before_point = 0, lead_zeros = 0, n = 0, exp = 0;
    bool point = false, nonzero = false;
    o->neg = len > 0 && s[0] == '-';
    i += o->neg;
    for (; i < len && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            point = true;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return false;
        before_point += !point;
        if (!nonzero && s[i] == '0') {
            lead_zeros++;
            continue;
        }
        if (n == MAX_DIGITS)
            return false;
        nonzero = true;
        o->d[n++] = s[i];
    }
    if (i < len) {
        char *end;
        long e = strtol(s + i + 1, &end, 10);
        if (end != s + len || e < -9999 || e > 9999)
            return false;
        exp = (int)e;
    }
    while (n > 0 && o->d[n - 1] == '0')
        n--;
    if (!n) { /* zero */
        o->d[0] = '0';
        o->n = 1;
        o->x = 0;
        return true;
    }
    o->n = n;
    o->x = before_point - 1 - lead_zeros + exp;
    return true;
}

/* The p-digit rounding of d into *c (p < d->n); false when d's digits beyond p are a
 * tie that d's own rounding may have made (the true value decides, not d). */
static bool round_dec(const struct dec *d, int p, struct dec *c)
{
    int tail = 0; /* digits p and p+1 of d, as a number of 0..99 */
    for (int k = p; k < p + 2; k++)
        tail = tail * 10 + (k < d->n ? d->d[k] - '0' : 0);
    if (tail == 50)
        return false;
    *c = *d;
    c->n = p;
    if (tail > 50) {
        int k = p - 1;
        for (; k >= 0 && c->d[k] == '9'; k--)
            c->d[k] = '0';
        if (k < 0) { /* 999.. -> 1000.. */
            c->d[0] = '1';
            c->n = 1;
            c->x++;
        } else {
            c->d[k]++;
        }
    }
    while (c->n > 1 && c->d[c->n - 1] == '0')
        c->n--;
    return true;
}

/* Writes o into buf (room for CQE_JSON_REAL_MAX) in the layout of json_out.h. */
static size_t layout(const struct dec *o, char *buf)
{
    const char *d = o->d;
    int n = o->n, x = o->x;
    size_t k = 0;
    if (o->neg)
        buf[k++] = '-';
    if (x < FIXED_MIN_EXP || x > FIXED_MAX_EXP) {
        buf[k++] = d[0];
        if (n > 1) {
            buf[k++] = '.';
            memcpy(buf + k, d + 1, (size_t)n - 1);
            k += (size_t)n - 1;
        }
        int w = snprintf(buf + k, CQE_JSON_REAL_MAX - k, "e%d", x);
        return k + (size_t)w;
    }
    if (x < 0) { /* 0.000ddd */
        buf[k++] = '0';
        buf[k++] = '.';
        for (int i = -1; i > x; i--)
            buf[k++] = '0';
        memcpy(buf + k, d, (size_t)n);
        k += (size_t)n;
    } else { /* ddd[000].ddd, or ".0" when there is no fraction */
        for (int i = 0; i <= x; i++)
            buf[k++] = i < n ? d[i] : '0';
        buf[k++] = '.';
        if (n > x + 1) {
            memcpy(buf + k, d + x + 1, (size_t)(n - x - 1));
            k += (size_t)(n - x - 1);
        } else {
            buf[k++] = '0';
        }
    }
    buf[k] = '\0';
    return k;
}

/* True when the text of c reads back as v. */
static bool reads_as(const struct dec *c, double v)
{
    char t[CQE_JSON_REAL_MAX];
    layout(c, t);
    return strtod(t, NULL) == v;
}

/* The shortest digits of v, the slow way: printf's %.*e at growing precision. */
static void shortest_by_printf(double v, struct dec *o)
{
    char e[40];
    /* For a normal double, the 15-digit rounding is the shortest form whenever one of at
     * most 15 digits exists (the double lies within 2^-53 of it, far inside 15-digit
     * rounding), so only 15, 16 and 17 are tried; subnormals hold fewer digits. */
    int prec = fabs(v) >= DBL_MIN ? 15 : 1;
    for (; prec < MAX_DIGITS; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    if (prec == MAX_DIGITS)
        snprintf(e, sizeof e, "%.16e", v);
    parse_dec(e, strlen(e), o);
}

/* The shortest digits of the value of tok[0..len) (NUL-terminated), a number of at most
 * 17 significant digits that reads back as the double it stands for (Jansson's %.17g).
 * Returns false when tok is no such number. */
static bool shortest(const char *tok, size_t len, struct dec *o)
{
    struct dec d, c;
    if (!parse_dec(tok, len, &d))
        return false;
    /* Up to 15 digits, d is already the shortest (see shortest_by_printf). Else its 15-
     * and 16-digit roundings are those of the double, unless the digits cut off are the
     * tie (5)0 that d's own rounding may have made. Near the subnormals, printf. */
    if (d.n <= 15 && d.x > -300) {
        *o = d;
        return true;
    }
    double v = strtod(tok, NULL);
    if (!isfinite(v))
        return false;
    if (d.x <= -300) {
        shortest_by_printf(v, o);
        return true;
    }
    for (int p = 15; p < d.n; p++) {
        if (!round_dec(&d, p, &c)) {
            shortest_by_printf(v, o);
            return true;
        }
        if (reads_as(&c, v)) {
            *o = c;
            return true;
        }
    }
    *o = d;
    return true;
}

size_t cqe_json_real(double v, char *buf, size_t cap)
{
    char tok[40];
    struct dec o;
    if (!isfinite(v) || cap < CQE_JSON_REAL_MAX)
        return 0;
    int k = snprintf(tok, sizeof tok, "%.16e", v); /* 17 digits: always reads back as v */
    if (!shortest(tok, (size_t)k, &o))
        return 0;
    return layout(&o, buf);
}

static bool is_num_byte(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* Rewrites the number token s[0..len) into out when its real form is shorter or equal;
 * returns the new length, or 0 to keep the token as it is. */
static size_t shorten_token(const char *s, size_t len, char out[CQE_JSON_REAL_MAX])
{
    char tok[64];
    struct dec o;
    if (len >= sizeof tok || (!memchr(s, '.', len) && !memchr(s, 'e', len) && !memchr(s, 'E', len)))
        return 0; /* an integer, or no number Jansson writes */
    memcpy(tok, s, len);
    tok[len] = '\0';
    if (!shortest(tok, len, &o))
        return 0;
    size_t k = layout(&o, out);
    return k <= len ? k : 0;
}

size_t cqe_json_shorten(char *s, size_t n)
{
    /* the text so far is s[0..w) followed by s[kept..r), moved down only when a token
     * shrinks (one memmove per shortened real) */
    size_t r = 0, w = 0, kept = 0;
    while (r < n) {
        char c = s[r];
        if (c == '"') { /* a string, through its first quote after an even run of '\\' */
            size_t open = r;
            for (;;) {
                const char *q = memchr(s + r + 1, '"', n - r - 1);
                if (!q) {
                    r = n;
                    break;
                }
                size_t bs = 0;
                r = (size_t)(q - s);
                while (r - bs - 1 > open && s[r - bs - 1] == '\\')
                    bs++;
                if (bs % 2 == 0) {
                    r++;
                    break;
                }
            }
            continue;
        }
        if (c != '-' && (c < '0' || c > '9')) {
            r++;
            continue;
        }
        size_t from = r;
        while (r < n && is_num_byte(s[r]))
            r++;
        char out[CQE_JSON_REAL_MAX];
        size_t k = shorten_token(s + from, r - from, out);
        if (!k || (k == r - from && !memcmp(out, s + from, k)))
            continue;
        if (w != kept)
            memmove(s + w, s + kept, from - kept);
        w += from - kept;
        memcpy(s + w, out, k);
        w += k;
        kept = r;
    }
    if (w != kept)
        memmove(s + w, s + kept, r - kept);
    w += r - kept;
    if (w < n)
        s[w] = '\0';
    return w;
}

/* Jansson's default precision (0) is 17 digits: exact, then shortened here. */
#define NO_PRECISION(flags) ((flags) & ~(size_t)JSON_REAL_PRECISION(31))

char *cqe_json_dumps(const json_t *j, size_t flags)
{
    char *s = json_dumps(j, NO_PRECISION(flags));
    if (s)
        cqe_json_shorten(s, strlen(s));
    return s;
}

size_t cqe_json_dumpb(const json_t *j, char *buf, size_t size, size_t flags)
{
    size_t k = json_dumpb(j, buf, size, NO_PRECISION(flags));
    if (k == 0 || k > size)
        return k;
    return cqe_json_shorten(buf, k);
}

int cqe_json_dump_file(const json_t *j, const char *path, size_t flags)
{
    char *s = cqe_json_dumps(j, flags);
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    FILE *f = fopen(path, "w");
    int rc = -1;
    if (f) {
        size_t n = strlen(s);
        rc = fwrite(s, 1, n, f) == n ? 0 : -1;
        if (fclose(f) && !rc)
            rc = -1;
    }
    free(s);
    return rc;
}
