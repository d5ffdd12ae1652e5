/* Unit tests of core/config.c: every default, overrides over defaults, refusals that
 * name the JSON path, the service index and the 5x8 working-day rule (Readings 11). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "event.h"
#include "timeutil.h"
#include "unit.h"

CQE_TEST(config_defaults)
{
    struct cqe_config c;
    cqe_config_defaults(&c);
    CHECK(c.utc_offset_min == 480);
    CHECK(c.n_services == 0 && c.n_holidays == 0 && c.n_workdays == 0);
    CHECK(c.maintenance_notice_s == 86400);
    CHECK(c.degraded_weight == 0.5);
    CHECK(c.ack_s[1] == 900 && c.fix_s[1] == 14400);
    CHECK(c.ack_s[2] == 1800 && c.fix_s[2] == 28800);
    CHECK(c.ack_s[3] == 7200 && c.fix_s[3] == 86400);
    CHECK(c.ack_s[4] == 28800 && c.fix_s[4] == 259200);
    CHECK(c.rpo_target_s == 86400);
    CHECK(c.drill_required[CQE_DRILL_DR] == 1 && c.drill_required[CQE_DRILL_EMERGENCY] == 2);
    CHECK(c.vuln_deadline_s[CQE_VULN_CRITICAL] == 604800);
    CHECK(c.vuln_deadline_s[CQE_VULN_HIGH] == 1296000);
    CHECK(c.vuln_deadline_s[CQE_VULN_MEDIUM] == 2592000);
    CHECK(c.vuln_deadline_s[CQE_VULN_LOW] == 7776000);
    CHECK(c.n_dims == 5);
    CHECK(c.n_dims == 5 && !strcmp(c.dims[0].name, "服务态度") && !strcmp(c.dims[4].name, "信息安全"));
    for (size_t i = 0; i < c.n_dims; i++)
        CHECK(c.dims[i].weight == 1);
    CHECK(c.level_scores[0] == 0 && c.level_scores[1] == 30 && c.level_scores[2] == 60 &&
          c.level_scores[3] == 80 && c.level_scores[4] == 100);
    CHECK(c.idle_cpu_below == 0.10 && c.idle_cpu_share == 0.95 && c.idle_mem_below == 0.20);
    CHECK(c.max_message_bytes == 1048576);
    CHECK(c.dedup_window == 1000000);
    CHECK(c.clock == CQE_CLOCK_UNSET);
    CHECK(!c.redis.url && !c.redis.user && !c.redis.password_file && !c.redis.password_env);
    CHECK(c.redis.db == -1);
    CHECK(!c.kafka && !c.topics && !c.output_dir);
    CHECK(c.snapshot_interval_s == 60 && c.resolve_after_s == 300 && c.no_data_after_s == 600);
    CHECK(c.max_pending_events == 1000000);
    CHECK(!strcmp(cqe_config_topic(&c, "snapshots"), "cloudqe.snapshots"));
    CHECK(!strcmp(cqe_config_topic(&c, "alerts"), "cloudqe.alerts"));
    CHECK(!strcmp(cqe_config_topic(&c, "dead_letters"), "cloudqe.dead_letters"));
    CHECK(!cqe_config_topic(&c, "metrics"));
    CHECK(!strcmp(cqe_config_input_topic(&c, 0), "cloudqe.events") && !cqe_config_input_topic(&c, 1));
    cqe_config_fini(&c);
    cqe_config_fini(&c); /* fini twice, and on a zeroed cfg, is safe */
}

CQE_TEST(config_overrides)
{
    static const char json[] =
        "{\"utc_offset\":\"-05:30\",\"clock\":\"event\",\"degraded_weight\":0.25,"
        "\"services\":[{\"id\":\"svc-b\",\"provider\":\"p1\",\"dept\":\"市公安局\",\"target\":0.99,"
        "\"calendar\":\"5x8\",\"weight\":3},{\"id\":\"svc-a\",\"provider\":\"p2\"}],"
        "\"incident_deadlines\":{\"2\":{\"ack_s\":60,\"fix_s\":120.0}},"
        "\"drill_required_per_year\":{\"emergency\":0},\"vuln_deadlines_s\":{\"low\":86400},"
        "\"survey_dimensions\":{\"效率\":2,\"态度\":0.5},\"survey_level_scores\":[0,25,50,75,100],"
        "\"max_message_bytes\":4096,\"dedup_window\":0,"
        "\"redis\":{\"url\":\"redis://127.0.0.1:6390/3\",\"password_env\":\"RP\"},"
        "\"kafka\":{\"bootstrap.servers\":\"127.0.0.1:9092\",\"linger.ms\":5},"
        "\"topics\":{\"input\":[\"in1\",\"in2\"],\"alerts\":\"al\"},\"output_dir\":\"/tmp/out\","
        "\"snapshot_interval_s\":5,\"max_pending_events\":10}";
    struct cqe_config c;
    struct cqe_err err = {0};
    cqe_config_defaults(&c);
    CHECK(cqe_config_load_string(&c, json, "t.json", &err) == 0);
    CHECK(c.utc_offset_min == -330);
    CHECK(c.clock == CQE_CLOCK_EVENT);
    CHECK(c.degraded_weight == 0.25);
    CHECK(c.n_services == 2);
    if (c.n_services == 2) {
        CHECK(!strcmp(c.services[0].id, "svc-b") && c.services[0].calendar == CQE_CAL_5X8);
        CHECK(c.services[0].target == 0.99 && c.services[0].weight == 3);
        CHECK(!strcmp(c.services[0].dept, "市公安局"));
        /* defaults inside an entry */
        CHECK(c.services[1].target == 0.999 && c.services[1].weight == 1);
        CHECK(c.services[1].calendar == CQE_CAL_7X24 && !c.services[1].dept);
    }
    /* a partial object overrides only what it names */
    CHECK(c.ack_s[2] == 60 && c.fix_s[2] == 120);
    CHECK(c.ack_s[1] == 900 && c.fix_s[4] == 259200);
    CHECK(c.drill_required[CQE_DRILL_EMERGENCY] == 0 && c.drill_required[CQE_DRILL_DR] == 1);
    CHECK(c.vuln_deadline_s[CQE_VULN_LOW] == 86400 && c.vuln_deadline_s[CQE_VULN_CRITICAL] == 604800);
    /* survey_dimensions replaces the default set, in file order */
    CHECK(c.n_dims == 2);
    if (c.n_dims == 2)
        CHECK(!strcmp(c.dims[0].name, "效率") && c.dims[0].weight == 2 && c.dims[1].weight == 0.5);
    CHECK(c.level_scores[1] == 25);
    CHECK(c.max_message_bytes == 4096 && c.dedup_window == 0);
    CHECK(c.redis.url && !strcmp(c.redis.url, "redis://127.0.0.1:6390/3"));
    CHECK(c.redis.db == 3); /* taken from the url */
    CHECK(c.redis.password_env && !strcmp(c.redis.password_env, "RP"));
    CHECK(c.kafka && json_object_size(c.kafka) == 2);
    CHECK(!strcmp(cqe_config_input_topic(&c, 1), "in2") && !cqe_config_input_topic(&c, 2));
    CHECK(!strcmp(cqe_config_topic(&c, "alerts"), "al"));
    CHECK(!strcmp(cqe_config_topic(&c, "snapshots"), "cloudqe.snapshots"));
    CHECK(c.output_dir && !strcmp(c.output_dir, "/tmp/out"));
    CHECK(c.snapshot_interval_s == 5 && c.max_pending_events == 10 && c.resolve_after_s == 300);

    /* loading again replaces everything (ASan checks nothing leaks) */
    CHECK(cqe_config_load_string(&c, "{\"services\":[{\"id\":\"x\",\"provider\":\"p\"}]}", "u.json", &err) ==
          0);
    CHECK(c.n_services == 1 && c.n_dims == 5 && c.utc_offset_min == 480 && !c.kafka && c.redis.db == -1);
    cqe_config_fini(&c);
}

/* Loads json expecting a refusal whose message holds `want`. */
static int refused(const char *json, const char *want)
{
    struct cqe_config c;
    struct cqe_err err = {0};
    cqe_config_defaults(&c);
    int rc = cqe_config_load_string(&c, json, "bad.json", &err);
    int ok = rc == CQE_ECONFIG && err.code == CQE_ECONFIG && strstr(err.msg, want) != NULL &&
             !strncmp(err.msg, "bad.json: ", 10);
    /* on error cfg holds the defaults */
    ok = ok && c.n_services == 0 && c.n_dims == 5 && c.utc_offset_min == 480 && !c.kafka;
    if (!ok)
        fprintf(stderr, "  for %s\n  got rc %d: %s\n  want: %s\n", json, rc, err.msg, want);
    cqe_config_fini(&c);
    return ok;
}

CQE_TEST(config_bad_keys)
{
    CHECK(refused("{\"services\":[{\"id\":\"a\",\"provider\":\"p\"},{\"id\":\"b\",\"provider\":\"p\"},"
                  "{\"id\":\"c\",\"provider\":\"p\",\"targte\":1}]}",
                  "bad.json: $.services[2].targte: unknown key; did you mean \"target\"? known keys are id, "
                  "provider, dept, target, calendar, weight"));
    CHECK(refused("{\"utc_offset\":\"+08:00\",\"colck\":\"wall\"}", "$.colck: unknown key"));
    CHECK(refused("[1]", "bad.json: $: the configuration must be a JSON object"));
    CHECK(refused("{\"clock\":\"wall\",}", "bad.json: line 1 column"));
    CHECK(refused("{\"clock\":\"wall\",\"clock\":\"event\"}", "duplicate"));
    CHECK(refused("{\"utc_offset\":\"+8:00\"}", "$.utc_offset: must be a fixed UTC offset"));
    CHECK(refused("{\"services\":[{\"id\":\"a\"}]}", "$.services[0]: missing required key \"provider\""));
    CHECK(refused("{\"services\":[{\"id\":\"a\",\"provider\":\"p\"},{\"id\":\"a\",\"provider\":\"q\"}]}",
                  "$.services[1].id: duplicate service id \"a\" (first at $.services[0])"));
    CHECK(refused("{\"services\":[{\"id\":\"a\",\"provider\":\"p\",\"target\":0}]}",
                  "$.services[0].target: must be a number in (0, 1]"));
    CHECK(refused("{\"holidays\":[\"2026-02-29\"]}", "$.holidays[0]: must be a real calendar date"));
    CHECK(refused("{\"incident_deadlines\":{\"1\":{\"ack_s\":600}}}",
                  "$.incident_deadlines[\"1\"]: missing required key \"fix_s\""));
    CHECK(refused("{\"incident_deadlines\":{\"0\":{\"ack_s\":1,\"fix_s\":1}}}",
                  "$.incident_deadlines[\"0\"]: unknown key; known keys are 1, 2, 3, 4"));
    CHECK(
        refused("{\"rpo_target_s\":1.5}", "$.rpo_target_s: must be an integer in [1, 3153600000]; got 1.5"));
    CHECK(refused("{\"survey_dimensions\":{}}", "$.survey_dimensions: must name at least one dimension"));
    CHECK(refused("{\"survey_level_scores\":[0,30,60,80]}",
                  "$.survey_level_scores: must be an array of exactly 5"));
    CHECK(
        refused("{\"idle_cpu_share\":true}", "$.idle_cpu_share: must be a number in [0, 1]; got a boolean"));
    CHECK(refused("{\"max_message_bytes\":1000}", "$.max_message_bytes: must be an integer >= 1024"));
    CHECK(refused("{\"clock\":\"now\"}", "$.clock: must be \"wall\" or \"event\""));
    CHECK(refused("{\"redis\":{\"password\":\"s3cret\"}}",
                  "$.redis.password: refused: secrets come from password_file or password_env, never the "
                  "config or command line"));
    CHECK(refused("{\"redis\":{\"password_file\":\"/f\",\"password_env\":\"E\"}}",
                  "$.redis: give password_file"));
    CHECK(refused("{\"redis\":{\"url\":\"redis://h:6379/1\",\"db\":2}}", "$.redis.db: 2 conflicts"));
    CHECK(refused("{\"kafka\":{\"acks\":null}}", "$.kafka.acks: must be a string, number or boolean"));
    CHECK(refused("{\"kafka\":{\"bootstrap.servers\":[]}}", "$.kafka[\"bootstrap.servers\"]:"));
    CHECK(refused(
        "{\"kafka\":{\"sasl.password\":\"s3cret\"}}",
        "bad.json: $.kafka[\"sasl.password\"]: refused: a literal secret; give it as \"${env:NAME}\""));
    CHECK(refused("{\"kafka\":{\"sasl.password\":{\"env\":\"P\",\"file\":\"/f\"}}}",
                  "$.kafka[\"sasl.password\"]: an object here must be {\"env\": NAME} or {\"file\": PATH}"));
    CHECK(
        refused("{\"topics\":{\"input\":[\"a\",\"b c\"]}}", "$.topics.input[1]: must be a Kafka topic name"));
    CHECK(refused("{\"survey_dimensions\":{\"a\\\"b\":0}}",
                  "$.survey_dimensions[\"a\\\"b\"]: must be a number > 0"));
    /* a failure after services were loaded still leaves defaults */
    CHECK(refused("{\"services\":[{\"id\":\"a\",\"provider\":\"p\"}],\"kafka\":{\"x\":1},\"clock\":1}",
                  "$.clock"));
}

CQE_TEST(config_load_file)
{
    char path[] = "/tmp/cqe-config-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    static const char text[] =
        "{\n  \"services\": [{\"id\": \"s\", \"provider\": \"p\"}],\n  \"dedup_window\": -1\n}\n";
    CHECK(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    struct cqe_config c;
    struct cqe_err err = {0};
    cqe_config_defaults(&c);
    CHECK(cqe_config_load(&c, path, &err) == CQE_ECONFIG);
    CHECK(!strncmp(err.msg, path, strlen(path)) && strstr(err.msg, ": $.dedup_window: "));
    CHECK(c.n_services == 0);
    unlink(path);
    CHECK(cqe_config_load(&c, path, &err) == CQE_EIO);
    CHECK(strstr(err.msg, path) != NULL);
    cqe_config_fini(&c);
}

CQE_TEST(config_service_lookup)
{
    struct cqe_config c;
    struct cqe_err err = {0};
    cqe_config_defaults(&c);
    CHECK(!cqe_config_service(&c, "a", 1));
    CHECK(
        cqe_config_load_string(&c,
                               "{\"services\":[{\"id\":\"svc-b\",\"provider\":\"p\"},{\"id\":\"svc-a\","
                               "\"provider\":\"q\"},{\"id\":\"svc-ab\",\"provider\":\"r\"},{\"id\":\"政务\","
                               "\"provider\":\"s\"}]}",
                               "t.json", &err) == 0);
    const struct cqe_service_conf *s = cqe_config_service(&c, "svc-a", 5);
    CHECK(s && !strcmp(s->provider, "q"));
    s = cqe_config_service(&c, "svc-abc", 6); /* n bytes: "svc-ab" */
    CHECK(s && !strcmp(s->provider, "r"));
    s = cqe_config_service(&c, "svc-b", 5);
    CHECK(s && !strcmp(s->provider, "p"));
    s = cqe_config_service(&c, "政务", strlen("政务"));
    CHECK(s && !strcmp(s->provider, "s"));
    CHECK(!cqe_config_service(&c, "svc-", 4));
    CHECK(!cqe_config_service(&c, "svc-c", 5));
    CHECK(!cqe_config_service(&c, "", 0));
    cqe_config_fini(&c);
}

CQE_TEST(config_workday_rule)
{
    /* 2026-01-01 is a Thursday holiday; 2026-01-04 a Sunday worked in its place */
    struct cqe_config c;
    struct cqe_err err = {0};
    cqe_config_defaults(&c);
    int64_t thu = cqe_days_from_civil(2026, 1, 1);
    CHECK(cqe_weekday(thu) == 3);
    CHECK(cqe_config_is_workday(&c, thu));
    CHECK(!cqe_config_is_workday(&c, thu + 3)); /* Sunday, no make-up yet */
    CHECK(cqe_config_load_string(&c,
                                 "{\"holidays\":[\"2026-01-02\",\"2026-01-01\",\"2026-01-01\"],"
                                 "\"workdays\":[\"2026-01-04\"]}",
                                 "t.json", &err) == 0);
    CHECK(c.n_holidays == 2);                    /* sorted, repeats dropped */
    CHECK(!cqe_config_is_workday(&c, thu));      /* holiday */
    CHECK(!cqe_config_is_workday(&c, thu + 1));  /* Friday holiday */
    CHECK(!cqe_config_is_workday(&c, thu + 2));  /* Saturday */
    CHECK(cqe_config_is_workday(&c, thu + 3));   /* make-up Sunday */
    CHECK(cqe_config_is_workday(&c, thu + 4));   /* ordinary Monday */
    CHECK(!cqe_config_is_workday(&c, thu + 10)); /* the next Sunday */
    cqe_config_fini(&c);
}

/* redis.cluster: true, false or "auto" (the default, -1); anything else is refused. */
CQE_TEST(config_redis_cluster)
{
    static const struct {
        const char *json;
        int want;
    } ok[] = {{"{}", -1},
              {"{\"redis\":{\"cluster\":true}}", 1},
              {"{\"redis\":{\"cluster\":false}}", 0},
              {"{\"redis\":{\"cluster\":\"auto\"}}", -1}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct cqe_config c;
        struct cqe_err err = {0};
        cqe_config_defaults(&c);
        CHECK(cqe_config_load_string(&c, ok[i].json, "c.json", &err) == 0 && c.redis.cluster == ok[i].want);
        cqe_config_fini(&c);
    }
    CHECK(refused("{\"redis\":{\"cluster\":\"yes\"}}", "$.redis.cluster: must be true, false or \"auto\""));
    CHECK(refused("{\"redis\":{\"cluster\":1}}", "$.redis.cluster: must be true, false or \"auto\""));
}
