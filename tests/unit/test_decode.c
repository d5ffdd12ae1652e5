/* Unit tests of ingest/decode.c: what lands in struct cqe_event for each type (values,
 * presence bits, defaults), the reason and message of refusals, and the order of the
 * checks. The contract corpus (tests/t_contract.py) covers the rules one by one. */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "unit.h"

#define MAX_BYTES INT64_C(1048576)
#define ENV(type) "{\"v\":1,\"id\":\"e1\",\"type\":\"" type "\",\"ts\":1772327520000,\"provider\":\"p\","

static int dec(const char *s, struct cqe_event *ev, struct cqe_err *err)
{
    memset(err, 0, sizeof *err);
    return cqe_decode(s, strlen(s), MAX_BYTES, ev, err);
}

static int str_is(struct cqe_str s, const char *want)
{
    return s.p && s.n == strlen(want) && !memcmp(s.p, want, s.n);
}

/* Decodes s expecting a refusal; returns the reason (or -1 when it was accepted). */
static int reason_of(const char *s, struct cqe_err *err)
{
    struct cqe_event ev;
    int rc = dec(s, &ev, err);
    cqe_event_clear(&ev);
    return rc == CQE_EINVAL ? err->code : -1;
}

CQE_TEST(decode_incident_example)
{
    static const char msg[] =
        "{\"v\":1,\"id\":\"inc-20260301-0007-open\",\"type\":\"incident\","
        "\"ts\":\"2026-03-01T09:12:00+08:00\",\"provider\":\"gz-telecom\",\"dept\":\"市公安局\","
        "\"incident\":\"INC-0007\",\"action\":\"open\",\"service\":\"svc-gaj-portal\","
        "\"severity\":2,\"impact\":\"outage\",\"scope\":0.5,\"zone\":\"政务外网\"}";
    struct cqe_event ev;
    struct cqe_err err;
    CHECK(dec(msg, &ev, &err) == 0);
    CHECK(ev.root != NULL);
    CHECK(ev.type == CQE_T_INCIDENT);
    CHECK(ev.ts == INT64_C(1772327520000));
    CHECK(str_is(ev.id, "inc-20260301-0007-open"));
    CHECK(str_is(ev.provider, "gz-telecom"));
    CHECK(str_is(ev.dept, "市公安局"));
    CHECK(str_is(ev.zone, "政务外网"));
    CHECK(ev.source.p == NULL);
    CHECK(str_is(ev.entity, "INC-0007"));
    CHECK(str_is(ev.service, "svc-gaj-portal"));
    CHECK(ev.action == CQE_A_OPEN);
    CHECK(ev.severity == 2);
    CHECK(ev.impact == CQE_IMPACT_OUTAGE);
    CHECK(ev.scope == 0.5);
    CHECK(ev.cause == CQE_CAUSE_PROVIDER);
    CHECK(ev.has == (CQE_HAS_SEVERITY | CQE_HAS_IMPACT | CQE_HAS_SCOPE));
    CHECK(ev.category.p == NULL);
    cqe_event_clear(&ev);
    CHECK(ev.root == NULL && ev.has == 0 && ev.id.p == NULL);
    cqe_event_clear(&ev); /* twice is harmless */
}

CQE_TEST(decode_incident_defaults_and_update)
{
    struct cqe_event ev;
    struct cqe_err err;
    CHECK(dec(ENV("incident") "\"incident\":\"i\",\"action\":\"resolve\"}", &ev, &err) == 0);
    CHECK(ev.action == CQE_A_RESOLVE);
    CHECK(ev.has == 0);
    CHECK(ev.impact == CQE_IMPACT_OUTAGE && ev.scope == 1.0 && ev.cause == CQE_CAUSE_PROVIDER);
    CHECK(ev.service.p == NULL);
    cqe_event_clear(&ev);
    CHECK(dec(ENV("incident") "\"incident\":\"i\",\"action\":\"update\",\"severity\":1.0,"
                              "\"impact\":\"degraded\",\"cause\":\"force_majeure\","
                              "\"category\":\"\",\"data_loss\":true}",
              &ev, &err) == 0);
    CHECK(ev.action == CQE_A_UPDATE && ev.severity == 1);
    CHECK(ev.impact == CQE_IMPACT_DEGRADED && ev.cause == CQE_CAUSE_FORCE_MAJEURE);
    CHECK(ev.category.p != NULL && ev.category.n == 0);
    CHECK(ev.data_loss);
    CHECK(ev.has == (CQE_HAS_SEVERITY | CQE_HAS_IMPACT | CQE_HAS_CAUSE | CQE_HAS_DATA_LOSS));
    cqe_event_clear(&ev);
}

CQE_TEST(decode_probe_metric)
{
    struct cqe_event ev;
    struct cqe_err err;
    CHECK(dec(ENV("probe") "\"service\":\"s\",\"ok\":false,\"latency_ms\":12,\"site\":\"\"}", &ev, &err) ==
          0);
    CHECK(ev.type == CQE_T_PROBE && !ev.ok && ev.latency_ms == 12.0);
    CHECK(ev.has == (CQE_HAS_OK | CQE_HAS_LATENCY));
    CHECK(ev.entity.p == NULL && str_is(ev.service, "s") && ev.site.n == 0 && ev.site.p);
    cqe_event_clear(&ev);

    CHECK(dec(ENV("metric") "\"resource\":\"vm-1\",\"pool\":\"pa\",\"mem\":0.25,\"net\":1}", &ev, &err) == 0);
    CHECK(ev.type == CQE_T_METRIC && str_is(ev.resource, "vm-1") && str_is(ev.pool, "pa"));
    CHECK(ev.mem == 0.25 && ev.net == 1.0 && ev.cpu == 0.0);
    CHECK(ev.has == (CQE_HAS_MEM | CQE_HAS_NET));
    CHECK(ev.kind == CQE_KIND_VM && ev.interval_s == 60);
    cqe_event_clear(&ev);

    CHECK(dec(ENV("metric") "\"resource\":\"h\",\"pool\":\"pa\",\"cpu\":0,\"kind\":\"host\","
                            "\"interval_s\":300.0}",
              &ev, &err) == 0);
    CHECK(ev.kind == CQE_KIND_HOST && ev.interval_s == 300);
    CHECK(ev.has == (CQE_HAS_CPU | CQE_HAS_KIND));
    cqe_event_clear(&ev);
}

CQE_TEST(decode_maintenance_ticket_backup)
{
    struct cqe_event ev;
    struct cqe_err err;
    CHECK(dec(ENV("maintenance") "\"window\":\"w\",\"action\":\"schedule\","
                                 "\"start\":\"2026-03-07T01:00:00+08:00\","
                                 "\"end\":\"2026-03-06T19:00:00.5Z\"}",
              &ev, &err) == 0);
    CHECK(ev.action == CQE_A_SCHEDULE && str_is(ev.entity, "w") && ev.service.p == NULL);
    CHECK(ev.start == INT64_C(1772816400000));
    CHECK(ev.end == INT64_C(1772823600500));
    CHECK(ev.has == (CQE_HAS_START | CQE_HAS_END));
    cqe_event_clear(&ev);

    CHECK(dec(ENV("ticket") "\"ticket\":\"t\",\"action\":\"open\",\"due\":\"2026-03-02T00:00:00Z\","
                            "\"complaint\":true}",
              &ev, &err) == 0);
    CHECK(ev.action == CQE_A_OPEN && ev.due == INT64_C(1772409600000) && ev.complaint);
    CHECK(ev.has == (CQE_HAS_DUE | CQE_HAS_COMPLAINT));
    cqe_event_clear(&ev);

    CHECK(dec(ENV("ticket") "\"ticket\":\"t\",\"action\":\"feedback\",\"satisfied\":false}", &ev, &err) == 0);
    CHECK(ev.action == CQE_A_FEEDBACK && !ev.satisfied && ev.has == CQE_HAS_SATISFIED);
    cqe_event_clear(&ev);

    CHECK(dec(ENV("backup") "\"job\":\"j\",\"service\":\"s\",\"ok\":true,\"rpo_target_s\":3600}", &ev,
              &err) == 0);
    CHECK(str_is(ev.entity, "j") && ev.ok && ev.rpo_target_s == 3600);
    CHECK(ev.has == (CQE_HAS_OK | CQE_HAS_RPO_TARGET));
    cqe_event_clear(&ev);
}

CQE_TEST(decode_drill_vuln_migration)
{
    struct cqe_event ev;
    struct cqe_err err;
    CHECK(dec(ENV("drill") "\"drill\":\"d\",\"kind\":\"emergency\",\"action\":\"done\",\"ok\":true,"
                           "\"rto_s\":9223372036854775807,\"rto_target_s\":0,\"rpo_s\":5,"
                           "\"rpo_target_s\":6}",
              &ev, &err) == 0);
    CHECK(ev.drill_kind == CQE_DRILL_EMERGENCY && ev.action == CQE_A_DONE && ev.ok);
    CHECK(ev.rto_s == INT64_MAX && ev.rto_target_s == 0 && ev.rpo_s == 5 && ev.rpo_target_s == 6);
    CHECK(ev.has == (CQE_HAS_OK | CQE_HAS_RTO | CQE_HAS_RTO_TARGET | CQE_HAS_RPO | CQE_HAS_RPO_TARGET));
    cqe_event_clear(&ev);

    CHECK(dec(ENV("vuln") "\"vuln\":\"v\",\"action\":\"found\",\"level\":\"critical\"}", &ev, &err) == 0);
    CHECK(ev.action == CQE_A_FOUND && ev.level == CQE_VULN_CRITICAL && ev.has == CQE_HAS_LEVEL);
    cqe_event_clear(&ev);

    CHECK(dec(ENV("migration") "\"migration\":\"m\",\"action\":\"done\",\"ok\":false}", &ev, &err) == 0);
    CHECK(ev.action == CQE_A_DONE && !ev.ok && !ev.data_verified && ev.has == CQE_HAS_OK);
    cqe_event_clear(&ev);

    CHECK(dec(ENV("migration") "\"migration\":\"m\",\"action\":\"plan\","
                               "\"planned_end\":\"2026-06-30T18:00:00+08:00\",\"service\":\"s\","
                               "\"data_verified\":true}",
              &ev, &err) == 0);
    CHECK(ev.action == CQE_A_PLAN && ev.planned_end == INT64_C(1782813600000));
    CHECK(ev.data_verified && str_is(ev.service, "s"));
    CHECK(ev.has == (CQE_HAS_PLANNED_END | CQE_HAS_DATA_VERIFIED));
    cqe_event_clear(&ev);
}

CQE_TEST(decode_audit_survey_asset)
{
    struct cqe_event ev;
    struct cqe_err err;
    CHECK(dec(ENV("audit") "\"op\":\"o\",\"actor\":\"张三\",\"ticket_ref\":\"\"}", &ev, &err) == 0);
    CHECK(str_is(ev.entity, "o") && str_is(ev.actor, "张三"));
    CHECK(ev.target.p == NULL && ev.ticket_ref.p != NULL && ev.ticket_ref.n == 0);
    cqe_event_clear(&ev);

    CHECK(dec(ENV("survey") "\"dept\":\"d\",\"response\":\"r\","
                            "\"answers\":{\"speed\":5,\"quality\":1.0,\"\\u00e9\":3}}",
              &ev, &err) == 0);
    CHECK(ev.n_answers == 3 && ev.answers != NULL);
    if (ev.n_answers == 3) { /* document order */
        CHECK(str_is(ev.answers[0].dim, "speed") && ev.answers[0].level == 5);
        CHECK(str_is(ev.answers[1].dim, "quality") && ev.answers[1].level == 1);
        CHECK(str_is(ev.answers[2].dim, "\xC3\xA9") && ev.answers[2].level == 3);
    }
    cqe_event_clear(&ev);
    CHECK(ev.answers == NULL && ev.n_answers == 0);

    CHECK(dec(ENV("survey") "\"dept\":\"d\",\"response\":\"r\",\"answers\":{}}", &ev, &err) == 0);
    CHECK(ev.n_answers == 0 && ev.answers == NULL);
    cqe_event_clear(&ev);

    CHECK(dec(ENV("asset") "\"asset\":\"a\",\"class\":\"middleware\",\"action\":\"add\","
                           "\"domestic\":false,\"vendor\":\"华为\",\"arch\":\"\"}",
              &ev, &err) == 0);
    CHECK(ev.asset_class == CQE_ASSET_MIDDLEWARE && ev.action == CQE_A_ADD && !ev.domestic);
    CHECK(str_is(ev.vendor, "华为") && ev.arch.p && ev.arch.n == 0);
    CHECK(ev.has == (CQE_HAS_CLASS | CQE_HAS_DOMESTIC));
    cqe_event_clear(&ev);
}

CQE_TEST(decode_messages_name_field_and_fix)
{
    struct cqe_err err;
    CHECK(reason_of(ENV("incident") "\"incident\":\"i\",\"action\":\"open\",\"service\":\"s\","
                                    "\"severity\":7}",
                    &err) == CQE_R_BAD_VALUE);
    CHECK(!strcmp(err.msg, "field \"severity\": must be an integer 1-4 (got 7)"));
    CHECK(reason_of(ENV("incident") "\"incident\":\"i\",\"action\":\"open\",\"service\":\"s\"}", &err) ==
          CQE_R_MISSING_FIELD);
    CHECK(!strcmp(err.msg, "field \"severity\": missing; incident events with action \"open\" require it"));
    CHECK(reason_of(ENV("probe") "\"service\":\"s\",\"ok\":\"yes\"}", &err) == CQE_R_BAD_TYPE);
    CHECK(!strcmp(err.msg, "field \"ok\": must be true or false (got \"yes\")"));
    CHECK(reason_of(ENV("vuln") "\"vuln\":\"v\",\"action\":\"found\",\"level\":\"urgent\"}", &err) ==
          CQE_R_BAD_VALUE);
    CHECK(!strcmp(err.msg, "field \"level\": must be one of critical, high, medium, low (got \"urgent\")"));
    CHECK(reason_of("{\"v\":1,\"type\":\"incident\"}", &err) == CQE_R_MISSING_FIELD);
    CHECK(strstr(err.msg, "\"id\"") != NULL);
    CHECK(reason_of("{\"v\":3,\"type\":\"incident\"}", &err) == CQE_R_UNSUPPORTED_VERSION);
    CHECK(reason_of("{\"v\":1,\"type\":\"incidents\"}", &err) == CQE_R_UNKNOWN_TYPE);
    CHECK(strstr(err.msg, "\"incidents\"") != NULL);
    /* long strings are cut in messages, at a code point boundary */
    CHECK(reason_of(ENV("metric") "\"resource\":\"r\",\"pool\":\"p\",\"kind\":"
                                  "\"编编编编编编编编编编编编编编编编编编编编\"}",
                    &err) == CQE_R_BAD_VALUE);
    CHECK(strstr(err.msg, "(got \"编编编编编编编编编编编编编...\")") != NULL);
}

CQE_TEST(decode_order_of_checks)
{
    struct cqe_event ev;
    struct cqe_err err;
    /* too_large first, at len > max: the bytes are not even read */
    CHECK(cqe_decode("\xff\xff\xff", 3, 2, &ev, &err) == CQE_EINVAL && err.code == CQE_R_TOO_LARGE);
    CHECK(cqe_decode("\xff\xff", 2, 2, &ev, &err) == CQE_EINVAL && err.code == CQE_R_BAD_UTF8);
    CHECK(cqe_decode("{}", 2, -1, &ev, &err) == CQE_EINVAL && err.code == CQE_R_TOO_LARGE);
    /* bad_utf8 before syntax, syntax before JSON-level limits, limits before fields */
    CHECK(reason_of("{,,\"\xC3\"", &err) == CQE_R_BAD_UTF8);
    CHECK(reason_of("{\"a\":\"\\ud800\",}", &err) == CQE_R_JSON_SYNTAX);
    CHECK(reason_of("{\"a\":\"\\u0000\"}", &err) == CQE_R_BAD_VALUE);
    CHECK(reason_of("{\"a\":18446744073709551616}", &err) == CQE_R_BAD_VALUE);
    CHECK(reason_of("[1]", &err) == CQE_R_BAD_VALUE);
    /* v before type before the envelope before the type's fields */
    CHECK(reason_of("{\"v\":\"1\",\"type\":7}", &err) == CQE_R_BAD_TYPE);
    CHECK(strstr(err.msg, "\"v\"") != NULL);
    CHECK(reason_of("{\"v\":1,\"type\":7}", &err) == CQE_R_BAD_TYPE && strstr(err.msg, "\"type\""));
    CHECK(reason_of(ENV("survey") "\"response\":\"r\"}", &err) == CQE_R_MISSING_FIELD);
    CHECK(strstr(err.msg, "\"dept\"") != NULL);
    /* a raw NUL after a token, which Jansson alone would skip */
    static const char nul[] = ENV("probe") "\"service\":\"s\",\"ok\":true\0}";
    CHECK(cqe_decode(nul, sizeof nul - 1, MAX_BYTES, &ev, &err) == CQE_EINVAL);
    CHECK(err.code == CQE_R_JSON_SYNTAX);
    /* a refused event is left cleared */
    CHECK(dec(ENV("probe") "\"service\":\"s\"}", &ev, &err) == CQE_EINVAL);
    CHECK(ev.root == NULL && ev.id.p == NULL);
}

/* A probe whose unknown field "x" holds `arrays` nested arrays. */
static void nested(char *buf, size_t cap, int arrays)
{
    size_t o = (size_t)snprintf(buf, cap, ENV("probe") "\"service\":\"s\",\"ok\":true,\"x\":");
    for (int i = 0; i < arrays && o < cap; i++)
        buf[o++] = '[';
    for (int i = 0; i < arrays && o < cap; i++)
        buf[o++] = ']';
    snprintf(buf + o, cap - o, "}");
}

CQE_TEST(decode_depth_limit)
{
    struct cqe_err err;
    struct cqe_event ev;
    char buf[1024];
    nested(buf, sizeof buf, 63); /* the message is level 1: 64 levels, accepted */
    CHECK(dec(buf, &ev, &err) == 0);
    cqe_event_clear(&ev);
    nested(buf, sizeof buf, 64);
    CHECK(reason_of(buf, &err) == CQE_R_JSON_SYNTAX);
    CHECK(strstr(err.msg, "64 levels") != NULL);
    nested(buf, sizeof buf, 400);
    CHECK(reason_of(buf, &err) == CQE_R_JSON_SYNTAX);
}

CQE_TEST(decode_reads_only_len_bytes)
{
    static const char msg[] = ENV("probe") "\"service\":\"s\",\"ok\":true}GARBAGE";
    struct cqe_event ev;
    struct cqe_err err;
    size_t len = strlen(msg) - strlen("GARBAGE");
    char *copy = malloc(len); /* no NUL after the message */
    CHECK(copy != NULL);
    if (!copy)
        return;
    memcpy(copy, msg, len);
    CHECK(cqe_decode(copy, len, (int64_t)len, &ev, &err) == 0);
    CHECK(str_is(ev.service, "s"));
    cqe_event_clear(&ev);
    CHECK(cqe_decode(copy, len - 1, MAX_BYTES, &ev, &err) == CQE_EINVAL);
    CHECK(err.code == CQE_R_JSON_SYNTAX);
    free(copy);
}

CQE_TEST(decode_names)
{
    CHECK(!strcmp(cqe_reason_name(CQE_R_BAD_UTF8), "bad_utf8"));
    CHECK(!strcmp(cqe_reason_name(CQE_R_UNSUPPORTED_VERSION), "unsupported_version"));
    CHECK(!strcmp(cqe_reason_name(CQE_R__COUNT), "unknown"));
    CHECK(!strcmp(cqe_type_name(CQE_T_MAINTENANCE), "maintenance"));
    CHECK(!strcmp(cqe_type_name(CQE_T_ASSET), "asset"));
    CHECK(!strcmp(cqe_type_name(CQE_T__COUNT), "unknown"));
    cqe_event_clear(NULL);
}
