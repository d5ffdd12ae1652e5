/* Unit tests of core/json_out.c: reals written by hand in their shortest round-trip
 * form, integers and strings left alone, the shortening of whole documents (compact,
 * indented, into a buffer), and, over many bit patterns, that every real reads back as
 * the same double with no fewer digits possible. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "unit.h"

static int real_is(double v, const char *want)
{
    char buf[CQE_JSON_REAL_MAX];
    size_t k = cqe_json_real(v, buf, sizeof buf);
    if (k == strlen(want) && !strcmp(buf, want))
        return 1;
    fprintf(stderr, "  %.17g: got '%s', want '%s'\n", v, k ? buf : "(none)", want);
    return 0;
}

CQE_TEST(json_out_reals)
{
    CHECK(real_is(0.99, "0.99"));
    CHECK(real_is(0.1 + 0.2, "0.30000000000000004"));
    CHECK(real_is(0.1, "0.1"));
    CHECK(real_is(2.0 / 3.0, "0.6666666666666666"));
    CHECK(real_is(1 - 86.4 / 86400, "0.999"));
    CHECK(real_is(1e-7, "1e-7"));
    CHECK(real_is(1e21, "1e21"));
    CHECK(real_is(-1.5e-300, "-1.5e-300"));
    CHECK(real_is(1.7976931348623157e308, "1.7976931348623157e308"));
    CHECK(real_is(5e-324, "5e-324")); /* the smallest subnormal: one digit is enough */
    CHECK(real_is(-0.0, "-0.0"));
    CHECK(real_is(0.0, "0.0"));
    CHECK(real_is(86400.0, "86400.0")); /* whole: ".0" keeps it a real on re-read */
    CHECK(real_is(-3.0, "-3.0"));
    CHECK(real_is(2592000.5, "2592000.5"));
    CHECK(real_is(0.0001, "0.0001")); /* plain from 1e-4 */
    CHECK(real_is(0.00001234, "1.234e-5"));
    CHECK(real_is(1e16, "10000000000000000.0")); /* plain below 1e17 */
    CHECK(real_is(1e17, "1e17"));
    CHECK(real_is(123456789012345680000.0, "1.2345678901234568e20"));
    char small[8];
    CHECK(cqe_json_real(0.5, small, sizeof small) == 0); /* cap below CQE_JSON_REAL_MAX */
    CHECK(cqe_json_real(NAN, small, sizeof small) == 0);
}

static int shorten_is(const char *in, const char *want)
{
    char *s = strdup(in);
    size_t k = cqe_json_shorten(s, strlen(s));
    int ok = k == strlen(want) && !memcmp(s, want, k) && (k == strlen(in) || s[k] == '\0');
    if (!ok)
        fprintf(stderr, "  shorten '%s': got '%.*s', want '%s'\n", in, (int)k, s, want);
    free(s);
    return ok;
}

CQE_TEST(json_out_shorten_text)
{
    CHECK(shorten_is("{\"a\":0.98999999999999999,\"b\":[1,-2,0.30000000000000004,9.9999999999999995e-08]}",
                     "{\"a\":0.99,\"b\":[1,-2,0.30000000000000004,1e-7]}"));
    /* numbers inside strings, escaped quotes and backslashes: untouched */
    CHECK(shorten_is("{\"0.10000000000000001\":\"x \\\"0.98999999999999999\\\" \\\\\",\"n\":12}",
                     "{\"0.10000000000000001\":\"x \\\"0.98999999999999999\\\" \\\\\",\"n\":12}"));
    CHECK(shorten_is("[\"\\\\\",0.25000000000000000]", "[\"\\\\\",0.25]"));
    /* integers stay integers, even long ones; an integer-valued real keeps ".0" */
    CHECK(shorten_is("[9007199254740993,-0,86400.0,1e+21]", "[9007199254740993,-0,86400.0,1e21]"));
    /* indented text keeps its layout */
    CHECK(shorten_is("{\n \"a\": 0.59999999999999998,\n \"b\": true\n}", "{\n \"a\": 0.6,\n \"b\": true\n}"));
    CHECK(shorten_is("", ""));
    CHECK(shorten_is("\"unterminated 0.5000", "\"unterminated 0.5000"));
}

CQE_TEST(json_out_dumps)
{
    json_t *o = json_pack("{s:f,s:[I,f,f],s:s,s:f,s:n}", "a", 0.99, "b", (json_int_t)3, 1e-7, 0.1 + 0.2, "c",
                          "0.98999999999999999", "d", 100.0, "e");
    char *s = cqe_json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
    CHECK(s && !strcmp(s, "{\"a\":0.99,\"b\":[3,1e-7,0.30000000000000004],\"c\":\"0.98999999999999999\","
                          "\"d\":100.0,\"e\":null}"));
    /* re-read: the same values with the same types */
    json_t *back = s ? json_loads(s, 0, NULL) : NULL;
    CHECK(back && json_equal(back, o));
    CHECK(back && json_is_real(json_object_get(back, "d")));
    char buf[128];
    size_t k = cqe_json_dumpb(o, buf, sizeof buf, JSON_COMPACT);
    CHECK(s && k == strlen(s) && !memcmp(buf, s, k));
    CHECK(cqe_json_dumpb(o, buf, 8, JSON_COMPACT) > 8); /* too small: the size Jansson needs */
    free(s);
    json_decref(back);
    json_decref(o);
}

static uint64_t next_u64(uint64_t *x)
{
    *x += 0x9e3779b97f4a7c15u; /* splitmix64 */
    uint64_t z = *x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Significant digits of the text of a real (no sign, point, exponent or leading zeros). */
static int sig_digits(const char *s)
{
    int n = 0, lead = 1, trail = 0;
    for (; *s && *s != 'e'; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (lead && *s == '0')
            continue;
        lead = 0;
        n++;
        trail = *s == '0' ? trail + 1 : 0;
    }
    return n - trail;
}

CQE_TEST(json_out_round_trip)
{
    uint64_t seed = 12345;
    int bad = 0;
    for (int i = 0; i < 20000 && bad < 5; i++) {
        double v;
        uint64_t bits = next_u64(&seed);
        if (i % 4 == 1)
            bits &= 0x800fffffffffffffu; /* subnormals */
        memcpy(&v, &bits, sizeof v);
        if (i % 4 == 2)
            v = (double)(bits % 100000) / 1000.0; /* short decimals, as figures are */
        if (!isfinite(v))
            continue;
        char buf[CQE_JSON_REAL_MAX], g[40];
        size_t k = cqe_json_real(v, buf, sizeof buf);
        int p = 1; /* the smallest %.Pg that round-trips */
        for (; p < 17; p++) {
            snprintf(g, sizeof g, "%.*g", p, v);
            if (strtod(g, NULL) == v)
                break;
        }
        char *end;
        double back = strtod(buf, &end);
        int ok = k && *end == '\0' && memcmp(&back, &v, sizeof v) == 0 && (v == 0 || sig_digits(buf) == p) &&
                 (strchr(buf, '.') || strchr(buf, 'e'));
        if (!ok) {
            fprintf(stderr, "  %.17g -> '%s' (shortest %%g has %d digits)\n", v, buf, p);
            bad++;
        }
    }
    CHECK(bad == 0);
}
