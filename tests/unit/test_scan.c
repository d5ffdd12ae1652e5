/* Unit tests of ingest/json_scan.c: the key member of every type, member order and
 * nesting, escapes, repeated members, and every prefix of several messages scanned from
 * a buffer of exactly that size, so that under ASan a read past the end fails. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "unit.h"

/* A span of the scanned buffer as an offset, valid after the buffer is gone. */
struct span {
    bool set;
    size_t at, n;
};

struct scan_result {
    int flags;
    struct span key, id;
};

static struct span span_of(struct cqe_str s, const char *buf)
{
    return (struct span){s.p != NULL, s.p ? (size_t)(s.p - buf) : 0, s.n};
}

/* Scans the n bytes of s from a heap copy of exactly n bytes (no NUL after them). */
static struct scan_result scan_exact(const char *s, size_t n)
{
    struct scan_result r = {0};
    struct cqe_str key = {0}, id = {0};
    char *buf = malloc(n ? n : 1);
    if (!buf)
        abort();
    memcpy(buf, s, n);
    r.flags = cqe_json_scan_key_id(buf, n, &key, &id);
    r.key = span_of(key, buf);
    r.id = span_of(id, buf);
    free(buf);
    return r;
}

static struct scan_result scan(const char *s)
{
    return scan_exact(s, strlen(s));
}

/* The span holds exactly want (the bytes at its offset in s). */
static bool span_is(const char *s, struct span span, const char *want)
{
    return span.set && span.n == strlen(want) && span.at + span.n <= strlen(s) &&
           !memcmp(s + span.at, want, span.n);
}

CQE_TEST(scan_key_member_of_each_type)
{
    /* events.md, "Keys on Kafka": the member that keys each type, written out by hand */
    static const char *const cases[][2] = {
        {"incident", "incident"},   {"probe", "service"}, {"metric", "resource"}, {"maintenance", "window"},
        {"ticket", "ticket"},       {"backup", "job"},    {"drill", "drill"},     {"vuln", "vuln"},
        {"migration", "migration"}, {"audit", "op"},      {"survey", "response"}, {"asset", "asset"},
    };
    char msg[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* the key member after the type, then before it, with a decoy member around */
        snprintf(msg, sizeof msg,
                 "{\"v\":1,\"id\":\"e-%zu\",\"type\":\"%s\",\"%s\":\"K-%zu\",\"provider\":\"p\"}", i,
                 cases[i][0], cases[i][1], i);
        struct scan_result r = scan(msg);
        char key[32], id[32];
        snprintf(key, sizeof key, "K-%zu", i);
        snprintf(id, sizeof id, "e-%zu", i);
        CHECK(r.flags == (CQE_SCAN_KEY | CQE_SCAN_ID));
        CHECK(span_is(msg, r.key, key));
        CHECK(span_is(msg, r.id, id));

        snprintf(msg, sizeof msg, "{ \"%s\" : \"K-%zu\" , \"type\" : \"%s\" , \"id\" : \"e-%zu\" }",
                 cases[i][1], i, cases[i][0], i);
        r = scan(msg);
        CHECK(r.flags == (CQE_SCAN_KEY | CQE_SCAN_ID));
        CHECK(span_is(msg, r.key, key));
        CHECK(span_is(msg, r.id, id));
    }
}

CQE_TEST(scan_falls_back_to_the_id)
{
    /* no key member, an empty one, an unknown type, no type: the id keys the message */
    static const char *const msgs[] = {
        "{\"type\":\"probe\",\"id\":\"e1\",\"ok\":true}",
        "{\"type\":\"probe\",\"service\":\"\",\"id\":\"e1\"}",
        "{\"type\":\"weather\",\"service\":\"s\",\"id\":\"e1\"}",
        "{\"id\":\"e1\",\"incident\":\"I\"}",
        "{\"type\":\"incident\",\"service\":\"s\",\"id\":\"e1\"}", /* another type's member */
    };
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        struct scan_result r = scan(msgs[i]);
        CHECK(r.flags == (CQE_SCAN_KEY | CQE_SCAN_ID));
        CHECK(span_is(msgs[i], r.key, "e1"));
        CHECK(span_is(msgs[i], r.id, "e1"));
    }
    /* neither: nothing, and an empty id keys nothing */
    struct scan_result r = scan("{\"type\":\"probe\",\"ok\":true}");
    CHECK(r.flags == 0);
    static const char empty_id[] = "{\"type\":\"probe\",\"id\":\"\"}";
    r = scan(empty_id);
    CHECK(r.flags == CQE_SCAN_ID && r.id.set && r.id.n == 0 && !r.key.set);
    /* a non-string id is no id */
    r = scan("{\"type\":\"probe\",\"id\":7,\"service\":\"s\"}");
    CHECK(r.flags == CQE_SCAN_KEY);
}

CQE_TEST(scan_skips_nested_values)
{
    /* members of nested objects are not top-level members; strings may hold brackets */
    static const char msg[] = "{\"a\":{\"id\":\"no\",\"b\":[1,{\"id\":\"no\"},\"]}\"]},"
                              "\"s\":\"}{\\\"id\\\":\",\"n\":-1.5e3,\"t\":true,\"z\":null,"
                              "\"type\":\"backup\",\"job\":\"J\",\"id\":\"yes\"}";
    struct scan_result r = scan(msg);
    CHECK(r.flags == (CQE_SCAN_KEY | CQE_SCAN_ID));
    CHECK(span_is(msg, r.key, "J"));
    CHECK(span_is(msg, r.id, "yes"));
}

CQE_TEST(scan_repeated_member_last_wins)
{
    static const char msg[] = "{\"id\":\"first\",\"type\":\"vuln\",\"vuln\":\"V1\",\"vuln\":\"V2\","
                              "\"id\":\"last\"}";
    struct scan_result r = scan(msg);
    CHECK(r.flags == (CQE_SCAN_KEY | CQE_SCAN_ID));
    CHECK(span_is(msg, r.key, "V2"));
    CHECK(span_is(msg, r.id, "last"));
}

CQE_TEST(scan_escapes_are_flagged)
{
    /* an escaped id: found, raw bytes, flagged */
    static const char esc_id[] = "{\"id\":\"a\\\"b\",\"type\":\"drill\",\"drill\":\"D\"}";
    struct scan_result r = scan(esc_id);
    CHECK(r.flags == (CQE_SCAN_KEY | CQE_SCAN_ID | CQE_SCAN_ESCAPED));
    CHECK(span_is(esc_id, r.id, "a\\\"b"));
    CHECK(span_is(esc_id, r.key, "D"));
    /* an escaped member name may spell "id": flagged, whatever it matched */
    static const char esc_name[] = "{\"\\u0069d\":\"x\",\"id\":\"e\"}";
    r = scan(esc_name);
    CHECK(r.flags & CQE_SCAN_ESCAPED);
    CHECK((r.flags & CQE_SCAN_ID) && span_is(esc_name, r.id, "e"));
    /* escapes elsewhere do not matter */
    static const char esc_other[] = "{\"note\":\"tab\\there\",\"id\":\"e\"}";
    r = scan(esc_other);
    CHECK(r.flags == (CQE_SCAN_KEY | CQE_SCAN_ID));
}

CQE_TEST(scan_malformed_is_flagged)
{
    static const char *const msgs[] = {
        "", "   ", "[1]", "\"id\"", "{\"id\" \"e\"}", "{id:\"e\"}", "{\"id\":\"e\" \"x\":1}",
    };
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        struct scan_result r = scan(msgs[i]);
        CHECK(r.flags & CQE_SCAN_ESCAPED);
        CHECK(!(r.flags & CQE_SCAN_KEY));
    }
}

/* Every prefix of msg, each from a buffer of exactly its size: never a read past the
 * end (ASan), spans inside the prefix, and the whole message scanned as expected. */
static int every_prefix(const char *msg, int want_flags, const char *want_key)
{
    size_t n = strlen(msg);
    int bad = 0;
    for (size_t k = 0; k <= n; k++) {
        struct scan_result r = scan_exact(msg, k);
        if ((r.key.set && r.key.at + r.key.n > k) || (r.id.set && r.id.at + r.id.n > k))
            bad = 1;
        if (r.key.set != !!(r.flags & CQE_SCAN_KEY) || r.id.set != !!(r.flags & CQE_SCAN_ID))
            bad = 1;
        if (k == n && (r.flags != want_flags || (want_key && !span_is(msg, r.key, want_key))))
            bad = 1;
    }
    return bad;
}

CQE_TEST(scan_truncated_at_every_byte)
{
    CHECK(!every_prefix("{\"id\":", CQE_SCAN_ESCAPED, NULL));
    CHECK(!every_prefix("{\"id\":\"", CQE_SCAN_ESCAPED, NULL));
    CHECK(!every_prefix("{\"id\": ", CQE_SCAN_ESCAPED, NULL));
    CHECK(!every_prefix("{\"id\":\"a\\", CQE_SCAN_ESCAPED, NULL));
    CHECK(!every_prefix("{\"type\":\"incident\",\"incident\":\"x\"", CQE_SCAN_KEY, "x"));
    CHECK(!every_prefix("{\"type\":\"incident\",\"incident\":\"x\",\"id\":\"i\\\\\"}",
                        CQE_SCAN_KEY | CQE_SCAN_ID | CQE_SCAN_ESCAPED, "x"));
    CHECK(!every_prefix("{\"a\":[1,{\"b\":\"]\"}],\"type\":\"metric\",\"resource\":\"vm-1\","
                        "\"id\":\"m1\",\"cpu\":0.5}",
                        CQE_SCAN_KEY | CQE_SCAN_ID, "vm-1"));
    CHECK(!every_prefix("{\"v\":1,\"id\":\"p-1\",\"type\":\"probe\",\"ts\":\"2026-03-01T08:00:00+08:00\","
                        "\"provider\":\"p1\",\"service\":\"s1\",\"ok\":true}",
                        CQE_SCAN_KEY | CQE_SCAN_ID, "s1"));
}
