/* Unit tests of ingest/json_build.c: values written out by hand (escapes, surrogate
 * pairs, repeated names, integers and reals, nesting), equality with json_loadb on the
 * same bytes, numbers out of Jansson's range, and buffers of exactly the message size. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json_build.h"
#include "unit.h"

/* Builds from a heap copy of exactly strlen(s) bytes, so ASan catches a read past it. */
static int build_exact(const char *s, json_t **out)
{
    size_t n = strlen(s);
    char *buf = malloc(n);
    if (!buf)
        abort();
    memcpy(buf, s, n);
    int rc = cqe_json_build(buf, n, out);
    free(buf);
    return rc;
}

/* True when the build of s succeeds and equals json_loadb's document, members in order. */
static int same_as_jansson(const char *s)
{
    json_t *a = NULL, *b = json_loadb(s, strlen(s), 0, NULL);
    int ok = build_exact(s, &a) == 0 && b && json_equal(a, b);
    if (ok && json_is_object(a)) {
        void *i = json_object_iter(a), *j = json_object_iter(b);
        for (; ok && i && j; i = json_object_iter_next(a, i), j = json_object_iter_next(b, j))
            ok = !strcmp(json_object_iter_key(i), json_object_iter_key(j));
        ok = ok && !i && !j;
    }
    json_decref(a);
    json_decref(b);
    return ok;
}

CQE_TEST(json_build_values)
{
    json_t *r = NULL;
    CHECK(build_exact(" {\"s\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\" , \"i\":-0,\"j\":-42,"
                      "\"x\":1e2,\"y\":0.5,\"t\":true,\"f\":false,\"z\":null,\"a\":[1,[],{}]}\r\n",
                      &r) == 0);
    const json_t *s = json_object_get(r, "s");
    /* a " b \ c / d newline, é (C3 A9), U+1F600 (F0 9F 98 80) */
    CHECK(json_string_length(s) == 14 &&
          !memcmp(json_string_value(s), "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80", 14));
    CHECK(json_is_integer(json_object_get(r, "i")) && json_integer_value(json_object_get(r, "i")) == 0);
    CHECK(json_integer_value(json_object_get(r, "j")) == -42);
    CHECK(json_is_real(json_object_get(r, "x")) && json_real_value(json_object_get(r, "x")) == 100.0);
    CHECK(json_real_value(json_object_get(r, "y")) == 0.5);
    CHECK(json_is_true(json_object_get(r, "t")) && json_is_false(json_object_get(r, "f")));
    CHECK(json_is_null(json_object_get(r, "z")));
    const json_t *a = json_object_get(r, "a");
    CHECK(json_array_size(a) == 3 && json_integer_value(json_array_get(a, 0)) == 1);
    CHECK(json_is_array(json_array_get(a, 1)) && json_is_object(json_array_get(a, 2)));
    CHECK(json_object_size(r) == 9);
    json_decref(r);

    /* a repeated name keeps its first place and its last value; escaped names decode */
    r = NULL;
    CHECK(build_exact("{\"k\":1,\"m\":2,\"k\":3,\"\\u006b2\":4}", &r) == 0);
    void *it = json_object_iter(r);
    CHECK(it && !strcmp(json_object_iter_key(it), "k") &&
          json_integer_value(json_object_iter_value(it)) == 3);
    it = json_object_iter_next(r, it);
    CHECK(it && !strcmp(json_object_iter_key(it), "m"));
    CHECK(json_integer_value(json_object_get(r, "k2")) == 4);
    json_decref(r);
}

CQE_TEST(json_build_equals_jansson)
{
    static const char *const docs[] = {
        "{}",
        "[]",
        "{\"v\":1,\"id\":\"e1\",\"type\":\"metric\",\"ts\":\"2026-03-01T08:00:00+08:00\",\"cpu\":0.25}",
        "{\"dept\":\"\\u5e02\\u516c\\u5b89\\u5c40\",\"a\":{\"b\":[1.5e-3,2E+2,-0.0,9223372036854775807]}}",
        "{\"n\":-9223372036854775808,\"u\":1e-400,\"d\":123456789012345678901234567890.5}",
        "{\"\\\"q\\\"\":\"\\b\\f\\r\\t\",\"x\":\"\\uD834\\uDD1E\",\"x\":[true,false,null]}",
        "[{\"a\":\"long string well past the small scratch buffer of the builder, with an "
        "escape \\n at its end so that it is decoded through the heap scratch, and then some more "
        "text to make sure of it\"}]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
        CHECK(same_as_jansson(docs[i]));
}

CQE_TEST(json_build_out_of_range)
{
    json_t *r = (json_t *)1;
    CHECK(build_exact("{\"i\":9223372036854775808}", &r) == CQE_EINVAL && r == NULL);
    CHECK(build_exact("[-9223372036854775809]", &r) == CQE_EINVAL);
    CHECK(build_exact("{\"a\":[1,{\"r\":1e400}]}", &r) == CQE_EINVAL);
    CHECK(build_exact("[-1.5e999]", &r) == CQE_EINVAL);
}
