/* Unit tests of the Redis state store's key layout (sinks/state/redis_keys) and of its
 * command argument arena (redis_args), with the expected bytes written out by hand.
 * No server needed. */
#include <stdint.h>
#include <string.h>

#include "redis_args.h"
#include "redis_keys.h"
#include "unit.h"

/* Argument i of a resolved command equals the C string s. */
static int arg_is(const struct cqe_rargs *a, size_t i, const char *s)
{
    return i < a->n && a->lv[i] == strlen(s) && !memcmp(a->pv[i], s, a->lv[i]);
}

/* The one argument a builder appended, resolved. */
static int built(struct cqe_rargs *a, const char *s)
{
    int ok = cqe_rargs_resolve(a) == 0 && a->n == 1 && arg_is(a, 0, s);
    cqe_rargs_reset(a);
    return ok;
}

CQE_TEST(redis_args_build_and_resolve)
{
    struct cqe_rargs a = {0};
    char big[5000];
    memset(big, 'x', sizeof big);
    const char *field = "cpu|s";
    cqe_rargs_cstr(&a, "HINCRBY");
    cqe_rargs_cat(&a, "cqe:{p1}:", 9, "U|k", 3, ":", 1, "sum", 3);
    cqe_rargs_ref(&a, field, 5);
    cqe_rargs_i64(&a, -42);
    cqe_rargs_dbl(&a, 0.1);
    cqe_rargs_ref(&a, NULL, 0);
    cqe_rargs_copy(&a, big, sizeof big); /* the arena grows past 4096 and moves */
    CHECK(cqe_rargs_resolve(&a) == 0);
    CHECK(a.n == 7);
    CHECK(arg_is(&a, 0, "HINCRBY"));
    CHECK(arg_is(&a, 1, "cqe:{p1}:U|k:sum"));
    CHECK(arg_is(&a, 2, "cpu|s") && a.pv[2] == field); /* borrowed, not copied */
    CHECK(arg_is(&a, 3, "-42"));
    CHECK(arg_is(&a, 4, "0.10000000000000001")); /* %.17g */
    CHECK(arg_is(&a, 5, ""));
    CHECK(a.lv[6] == sizeof big && a.pv[6][0] == 'x' && a.pv[6][sizeof big - 1] == 'x');
    size_t acap = a.acap;
    cqe_rargs_reset(&a);
    CHECK(a.n == 0 && a.an == 0 && a.acap == acap); /* buffers kept */
    cqe_rargs_i64(&a, INT64_MIN);
    CHECK(cqe_rargs_resolve(&a) == 0 && a.n == 1 && arg_is(&a, 0, "-9223372036854775808"));
    cqe_rargs_free(&a);
    CHECK(a.v == NULL && a.arena == NULL && a.n == 0);
    cqe_rargs_free(&a); /* a freed arena frees again */
}

CQE_TEST(redis_args_parse_numbers)
{
    int64_t v = 0;
    double d = 0;
    CHECK(cqe_rargs_parse_i64("123", 3, &v) == 0 && v == 123);
    CHECK(cqe_rargs_parse_i64("1234", 2, &v) == 0 && v == 12); /* only n bytes */
    CHECK(cqe_rargs_parse_i64("-9223372036854775808", 20, &v) == 0 && v == INT64_MIN);
    CHECK(cqe_rargs_parse_i64("9223372036854775808", 19, &v) == -1); /* out of range */
    CHECK(cqe_rargs_parse_i64("12a", 3, &v) == -1);
    CHECK(cqe_rargs_parse_i64("", 0, &v) == -1);
    CHECK(cqe_rargs_parse_dbl("0.48880000000000001", 19, &d) == 0 && d == 0.4888);
    CHECK(cqe_rargs_parse_dbl("1e3", 3, &d) == 0 && d == 1000.0);
    CHECK(cqe_rargs_parse_dbl("0.5x", 4, &d) == -1);
}

CQE_TEST(redis_keys_namespace_and_prefix)
{
    struct cqe_rkey_prefix p;
    struct cqe_err e = {0};
    char long_ns[CQE_RKEY_NS_MAX + 2];
    memset(long_ns, 'n', sizeof long_ns - 1);
    long_ns[sizeof long_ns - 1] = 0; /* 257 bytes */
    CHECK(cqe_rkey_prefix(&p, "cqe", 3, &e) == 0 && p.len == 9 && !memcmp(p.s, "cqe:{p3}:", 10));
    CHECK(cqe_rkey_prefix(&p, "cqe", 1234567, &e) == 0 && !strcmp(p.s, "cqe:{p1234567}:"));
    CHECK(cqe_rkey_check_ns("", &e) == CQE_EINVAL);
    CHECK(cqe_rkey_check_ns(NULL, &e) == CQE_EINVAL);
    CHECK(cqe_rkey_check_ns("a{b", &e) == CQE_EINVAL && strstr(e.msg, "'{'"));
    CHECK(cqe_rkey_check_ns(long_ns, &e) == CQE_EINVAL && strstr(e.msg, "too long"));
    long_ns[CQE_RKEY_NS_MAX] = 0; /* 256 bytes: the longest accepted */
    CHECK(cqe_rkey_prefix(&p, long_ns, INT32_MAX, &e) == 0 && p.len == 256 + 3 + 10 + 2);
    CHECK(cqe_rkey_prefix(&p, "cqe", -1, &e) == CQE_EINVAL && strstr(e.msg, "-1"));
}

CQE_TEST(redis_keys_build_every_name)
{
    struct cqe_rargs a = {0};
    struct cqe_rkey_prefix p;
    CHECK(cqe_rkey_prefix(&p, "cqe", 1, NULL) == 0);
    const char *k = "U|2026-03|gz-mobile";
    cqe_rkey_state(&a, &p, k, strlen(k), CQE_RKEY_SUM);
    CHECK(built(&a, "cqe:{p1}:U|2026-03|gz-mobile:sum"));
    cqe_rkey_state(&a, &p, k, strlen(k), CQE_RKEY_SUMHI);
    CHECK(built(&a, "cqe:{p1}:U|2026-03|gz-mobile:sumhi"));
    cqe_rkey_state(&a, &p, "T|TK-0000024", 12, cqe_rkey_kind_of(CQE_OP_REG_MIN));
    CHECK(built(&a, "cqe:{p1}:T|TK-0000024:rmin"));
    cqe_rkey_state(&a, &p, "G|prov", 6, cqe_rkey_kind_of(CQE_OP_SET));
    CHECK(built(&a, "cqe:{p1}:G|prov:set"));
    cqe_rkey_meta(&a, &p, CQE_RKEY_POS);
    CHECK(built(&a, "cqe:{p1}:pos"));
    cqe_rkey_meta(&a, &p, CQE_RKEY_DEDUP);
    CHECK(built(&a, "cqe:{p1}:dedup"));
    cqe_rkey_meta(&a, &p, CQE_RKEY_COUNT);
    CHECK(built(&a, "cqe:{p1}:count"));
    cqe_rkey_partitions(&a, "cqe");
    CHECK(built(&a, "cqe:partitions"));
    cqe_rkey_scan_pattern(&a, "cqe");
    CHECK(built(&a, "cqe:{p*}:*"));
    cqe_rkey_scan_pattern(&a, "a*b?[c]\\");
    CHECK(built(&a, "a\\*b\\?\\[c\\]\\\\:{p*}:*"));
    CHECK(!strcmp(cqe_rkey_suffix(cqe_rkey_kind_of(CQE_OP_MAX)), "max"));
    CHECK(!strcmp(cqe_rkey_suffix(cqe_rkey_kind_of(CQE_OP_MIN)), "min"));
    CHECK(!strcmp(cqe_rkey_suffix(cqe_rkey_kind_of(CQE_OP_REG_MAX)), "rmax"));
    CHECK(!strcmp(cqe_rkey_suffix(cqe_rkey_kind_of(CQE_OP_VEC)), "i64")); /* dense unless runs */
    cqe_rkey_format(&a, "cqe");
    CHECK(built(&a, "cqe:format"));
    cqe_rargs_free(&a);
}

/* Parses the C string k in namespace "cqe". */
static int parse(const char *k, struct cqe_rkey_parsed *out)
{
    memset(out, 0, sizeof *out);
    return cqe_rkey_parse("cqe", k, strlen(k), out);
}

CQE_TEST(redis_keys_parse)
{
    struct cqe_rkey_parsed pk;
    /* a store key holding ':' splits at the last ':' */
    CHECK(parse("cqe:{p12}:T|a:b:rmin", &pk) == 1);
    CHECK(pk.partition == 12 && pk.kind == CQE_RKEY_RMIN);
    CHECK(pk.skey_len == 5 && !memcmp(pk.skey, "T|a:b", 5));
    CHECK(parse("cqe:{p0}:U|2026-03|gz-mobile:sumhi", &pk) == 1 && pk.kind == CQE_RKEY_SUMHI &&
          pk.skey_len == 19);
    CHECK(parse("cqe:{p0}:k:weird", &pk) == 1 && pk.kind == -1 && pk.sfx_len == 5 &&
          !memcmp(pk.sfx, "weird", 5));
    CHECK(parse("cqe:{p99999999999}:k:set", &pk) == 1 && pk.partition == INT32_MAX);
    /* meta keys and foreign shapes are not state keys */
    CHECK(parse("cqe:{p1}:pos", &pk) == 0);
    CHECK(parse("cqe:{p1}:dedup", &pk) == 0);
    CHECK(parse("cqe:{p1}:count", &pk) == 0);
    CHECK(parse("cqe:partitions", &pk) == 0);
    CHECK(parse("cqe:{p}:k:sum", &pk) == 0);
    CHECK(parse("cqe:{px}:k:sum", &pk) == 0);
    CHECK(parse("cqe:{p1}k:sum", &pk) == 0);
    CHECK(parse("cqex:{p1}:k:sum", &pk) == 0);
    CHECK(parse("other:{p1}:k:sum", &pk) == 0);
    /* every kind parses back to itself */
    struct cqe_rargs a = {0};
    struct cqe_rkey_prefix p;
    CHECK(cqe_rkey_prefix(&p, "cqe", 7, NULL) == 0);
    for (int k = CQE_RKEY_SUM; k <= CQE_RKEY_RMAX; k++) {
        cqe_rargs_reset(&a);
        cqe_rkey_state(&a, &p, "B|j:1", 5, (enum cqe_rkey_kind)k);
        CHECK(cqe_rargs_resolve(&a) == 0);
        CHECK(cqe_rkey_parse("cqe", a.pv[0], a.lv[0], &pk) == 1 && pk.kind == k && pk.partition == 7 &&
              pk.skey_len == 5 && !memcmp(pk.skey, "B|j:1", 5));
    }
    cqe_rargs_free(&a);
}

CQE_TEST(redis_keys_vector_keys)
{
    struct cqe_rargs a = {0};
    struct cqe_rkey_prefix p;
    struct cqe_rkey_parsed pk;
    uint32_t len = 0;
    const char *f = NULL;
    size_t fn = 0;
    CHECK(cqe_rkey_prefix(&p, "cqe", 1, NULL) == 0);
    cqe_rkey_vec_state(&a, &p, "U|2026-03|gz", 12, CQE_RKEY_I64, 408, "wh", 2);
    CHECK(built(&a, "cqe:{p1}:U|2026-03|gz:i64|408|wh"));
    cqe_rkey_vec_state(&a, &p, "P|s:1|2026-03", 13, CQE_RKEY_RUNS, 2880, "", 0);
    CHECK(built(&a, "cqe:{p1}:P|s:1|2026-03:runs|2880|"));
    CHECK(parse("cqe:{p1}:U|2026-03|gz:i64|408|wh", &pk) == 1 && pk.kind == CQE_RKEY_I64 &&
          pk.skey_len == 12 && !memcmp(pk.skey, "U|2026-03|gz", 12));
    CHECK(cqe_rkey_vec_suffix_parse(&pk, &len, &f, &fn) == 0 && len == 408 && fn == 2 && !memcmp(f, "wh", 2));
    /* a store key holding ':' still splits at the last ':' */
    CHECK(parse("cqe:{p1}:P|s:1|2026-03:runs|2880|", &pk) == 1 && pk.kind == CQE_RKEY_RUNS &&
          pk.skey_len == 13 && !memcmp(pk.skey, "P|s:1|2026-03", 13));
    CHECK(cqe_rkey_vec_suffix_parse(&pk, &len, &f, &fn) == 0 && len == 2880 && fn == 0);
    /* the format before the marker: a "vec" hash is a key of unknown kind */
    CHECK(parse("cqe:{p1}:P|s|2026-03-01:vec", &pk) == 1 && pk.kind == -1);
    CHECK(parse("cqe:{p1}:k:i64", &pk) == 1 && pk.kind == -1);
    CHECK(parse("cqe:{p1}:k:runs", &pk) == 1 && pk.kind == -1);
    CHECK(parse("cqe:{p1}:k:i64x|1|f", &pk) == 1 && pk.kind == -1);
    CHECK(parse("cqe:{p1}:k:i64|x|f", &pk) == 1 && pk.kind == CQE_RKEY_I64);
    CHECK(cqe_rkey_vec_suffix_parse(&pk, &len, &f, &fn) == -1);
    CHECK(parse("cqe:{p1}:k:runs|0|f", &pk) == 1 && cqe_rkey_vec_suffix_parse(&pk, &len, &f, &fn) == -1);
    CHECK(parse("cqe:{p1}:k:runs|4294967296|", &pk) == 1 &&
          cqe_rkey_vec_suffix_parse(&pk, &len, &f, &fn) == -1);
    CHECK(parse("cqe:{p1}:k:runs|12", &pk) == 1 && cqe_rkey_vec_suffix_parse(&pk, &len, &f, &fn) == -1);
    CHECK(parse("cqe:{p1}:k:sum", &pk) == 1 && cqe_rkey_vec_suffix_parse(&pk, &len, &f, &fn) == -1);
    cqe_rargs_free(&a);
}

/* The day of a run vector's store key: its hash field; the rest names the month's hash. */
CQE_TEST(redis_keys_split_day)
{
    size_t m = 0;
    CHECK(cqe_rkey_split_day("P|svc|2026-03-10", 16, &m) == 0 && m == 13);
    CHECK(cqe_rkey_split_day("|2026-03-10", 11, &m) == 0 && m == 8);
    CHECK(cqe_rkey_split_day("2026-03-10", 10, &m) == -1); /* no '|' before the date */
    CHECK(cqe_rkey_split_day("P|svc|2026-03", 13, &m) == -1);
    CHECK(cqe_rkey_split_day("P|svc|2026-03-1x", 16, &m) == -1);
    CHECK(cqe_rkey_split_day("P|svc|2026/03/10", 16, &m) == -1);
    CHECK(cqe_rkey_split_day("P|svc|12026-03-10", 17, &m) == -1);
}

CQE_TEST(redis_keys_dense_vector)
{
    struct cqe_rargs a = {0};
    int64_t out[4] = {9, 9, 9, 9};
    cqe_rkey_i64_offset(&a, 17);
    CHECK(built(&a, "#17"));
    cqe_rkey_i64_offset(&a, 0);
    CHECK(built(&a, "#0"));
    /* BITFIELD i64 #0 = 1, #1 = -2: big-endian two's complement; the rest was never written */
    const unsigned char s[16] = {0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};
    CHECK(cqe_rkey_i64_parse(s, 16, out, 4) == 0);
    CHECK(out[0] == 1 && out[1] == -2 && out[2] == 0 && out[3] == 0);
    const unsigned char m[8] = {0x80, 0, 0, 0, 0, 0, 0, 0};
    CHECK(cqe_rkey_i64_parse(m, 8, out, 1) == 0 && out[0] == INT64_MIN);
    CHECK(cqe_rkey_i64_parse(s, 12, out, 4) == -1); /* not whole entries */
    CHECK(cqe_rkey_i64_parse(s, 16, out, 1) == -1); /* more entries than the length */
    CHECK(cqe_rkey_i64_parse(s, 0, out, 4) == 0 && out[0] == 0 && out[1] == 0);
    cqe_rargs_free(&a);
}

/* v[0..len) in runs of width w equals the C string want. */
static int runs_are(const int64_t *v, uint32_t len, uint32_t w, const char *want)
{
    struct cqe_rargs a = {0};
    cqe_rkey_runs(&a, v, len, w);
    int ok = built(&a, want);
    cqe_rargs_free(&a);
    return ok;
}

/* The C string s parses as a len-long run form. */
static int runs_parse(const char *s, int64_t *out, uint32_t len)
{
    return cqe_rkey_runs_parse(s, strlen(s), out, len);
}

CQE_TEST(redis_keys_runs_encoding)
{
    static int64_t day[2880], back[2880];
    const int64_t v[8] = {3, 0, 3, 0, 2, 1, 3, 0};
    CHECK(runs_are(v, 8, 2, "2*3,0;1*2,1;1*3,0"));
    CHECK(runs_are(v, 8, 1, "1*3;1*0;1*3;1*0;1*2;1*1;1*3;1*0"));
    CHECK(runs_are(v, 8, 4, "1*3,0,3,0;1*2,1,3,0"));
    const int64_t big[2] = {-CQE_RKEY_RUN_MAX, CQE_RKEY_RUN_MAX};
    CHECK(runs_are(big, 2, 1, "1*-9007199254740992;1*9007199254740992"));
    /* a day without probes, then a clean day probed every minute by 3 sites: one run */
    memset(day, 0, sizeof day);
    CHECK(runs_are(day, 2880, 2, "1440*0,0"));
    for (int m = 0; m < 1440; m++)
        day[2 * m] = 3;
    CHECK(runs_are(day, 2880, 2, "1440*3,0"));
    /* one failure at minute 600 from one of the sites */
    day[1200] = 2;
    day[1201] = 1;
    CHECK(runs_are(day, 2880, 2, "600*3,0;1*2,1;839*3,0"));
    CHECK(runs_parse("600*3,0;1*2,1;839*3,0", back, 2880) == 0 && !memcmp(back, day, sizeof day));
    CHECK(runs_parse("1*-9007199254740992;1*9007199254740992", back, 2) == 0 &&
          back[0] == -CQE_RKEY_RUN_MAX && back[1] == CQE_RKEY_RUN_MAX);
    /* malformed: none of them is taken */
    /* malformed for a 4-long vector: none of them is taken */
    const char *bad[] = {"",       "0*1,1;2*1,1",   "2*1,1;",       ";2*1,1",       "1*1;1*1,1,1",
                         "3*1,1",  "1*1,1",         "2*1,,1",       "2*a,1",        "*1,1;1*1,1",
                         "2*",     "1,1;1*1,1",     "1*1,1;;1*1,1", "-1*1,1;3*1,1", "2*9007199254740993,0",
                         "2*1,1 ", "4294967297*1,1"};
    int64_t two[4];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(runs_parse(bad[i], two, 4) == -1);
    CHECK(runs_parse("1*1,2;1*3,4", two, 4) == 0 && two[0] == 1 && two[1] == 2 && two[2] == 3 && two[3] == 4);
    CHECK(runs_parse("1*1,2;1*3,4", two, 2) == -1); /* covers more than the length */
    CHECK(runs_parse("1*1,2", two, 4) == -1);       /* covers less */
}

/* The merge the flush script does in Lua, written out by hand: two sites' morning, a late
 * third site with failures overlapping it; the sum's runs join equal neighbours. */
CQE_TEST(redis_keys_runs_merge)
{
    static int64_t a[2880], b[2880];
    CHECK(runs_parse("600*2,0;840*0,0", a, 2880) == 0);
    CHECK(runs_parse("590*0,0;20*1,1;830*0,0", b, 2880) == 0);
    for (int i = 0; i < 2880; i++)
        a[i] += b[i];
    CHECK(runs_are(a, 2880, 2, "590*2,0;10*3,1;10*1,1;830*0,0"));
    /* the rest of the day completes it: runs that become equal join */
    CHECK(runs_parse("590*0,0;10*0,0;10*2,0;830*3,0", b, 2880) == 0);
    for (int i = 0; i < 2880; i++)
        a[i] += b[i];
    CHECK(runs_are(a, 2880, 2, "590*2,0;10*3,1;10*3,1;830*3,0") == 0);
    CHECK(runs_are(a, 2880, 2, "590*2,0;20*3,1;830*3,0"));
}

CQE_TEST(redis_keys_register_record)
{
    struct cqe_rargs a = {0};
    int64_t ts = 0;
    const char *id = NULL, *val = NULL;
    size_t idn = 0, valn = 0;
    cqe_rkey_reg_value(&a, 1772522996000, "TK-1", 4, "gz|0", 4);
    CHECK(built(&a, "1772522996000|4:TK-1gz|0"));
    cqe_rkey_reg_value(&a, -5, "", 0, "", 0);
    CHECK(built(&a, "-5|0:"));
    const char *v = "5|3:a:bV:|";
    CHECK(cqe_rkey_reg_value_parse(v, strlen(v), &ts, &id, &idn, &val, &valn) == 0);
    CHECK(ts == 5 && idn == 3 && !memcmp(id, "a:b", 3) && valn == 3 && !memcmp(val, "V:|", 3));
    CHECK(cqe_rkey_reg_value_parse("5|4:abc", 7, &ts, &id, &idn, &val, &valn) == -1); /* id runs past */
    CHECK(cqe_rkey_reg_value_parse("5|3:abc", 7, &ts, &id, &idn, &val, &valn) == 0 && valn == 0);
    CHECK(cqe_rkey_reg_value_parse("x|1:a", 5, &ts, &id, &idn, &val, &valn) == -1);
    CHECK(cqe_rkey_reg_value_parse("5|-1:a", 6, &ts, &id, &idn, &val, &valn) == -1);
    CHECK(cqe_rkey_reg_value_parse("5:1|a", 5, &ts, &id, &idn, &val, &valn) == -1);
    cqe_rargs_free(&a);
}

CQE_TEST(redis_keys_count_fields)
{
    struct cqe_redis_counts c = {3, 5, 7, 11, {0}};
    CHECK(CQE_RKEY_COUNTS == 4);
    CHECK(!strcmp(cqe_rkey_count_field(0), "read") && cqe_rkey_count_get(&c, 0) == 3);
    CHECK(!strcmp(cqe_rkey_count_field(1), "applied") && cqe_rkey_count_get(&c, 1) == 5);
    CHECK(!strcmp(cqe_rkey_count_field(2), "duplicates") && cqe_rkey_count_get(&c, 2) == 7);
    CHECK(!strcmp(cqe_rkey_count_field(3), "dead_letters") && cqe_rkey_count_get(&c, 3) == 11);
    cqe_rkey_count_add(&c, "applied", 7, 100);
    cqe_rkey_count_add(&c, "dead_letters", 12, -1);
    cqe_rkey_count_add(&c, "apply", 5, 1000); /* a prefix is not the name */
    cqe_rkey_count_add(&c, "other", 5, 1000);
    CHECK(c.read == 3 && c.applied == 105 && c.duplicates == 7 && c.dead_letters == 10);
    /* a dead-letter reason is a field named as the reason */
    cqe_rkey_count_add(&c, "json_syntax", 11, 4);
    cqe_rkey_count_add(&c, "incident_pending_limit", 22, 2);
    cqe_rkey_count_add(&c, "json", 4, 1000);
    CHECK(c.by_reason[CQE_R_JSON_SYNTAX] == 4 && c.by_reason[CQE_R_INCIDENT_PENDING_LIMIT] == 2);
    int64_t total = 0;
    for (int r = 0; r < CQE_R__COUNT; r++)
        total += c.by_reason[r];
    CHECK(total == 6);
}
