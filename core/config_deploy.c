/* cloudqe's own deployment keys of the configuration (docs/config.md): redis, kafka
 * (literal secrets refused), topics, output_dir and the timers, loaded through
 * json_table; and the topic queries. */
#include "config_int.h"
#include "kafka_secret.h"

#include <stdlib.h>
#include <string.h>

#include "redis_url.h"

#define MAX_REDIS_DB 999999999.0
#define TOPIC_MAX 249 /* Kafka's limit on a topic name */
#define CFG_OFF(field) offsetof(struct cqe_config, field)

static const char *const default_input_topics[] = {"cloudqe.events"};

static int load_redis_url(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    const char *s = json_string_value(v);
    struct cqe_redis_url u;
    struct cqe_err e = {0};
    if (!s)
        return cqe_jt_fail(L, "must be a string \"redis://[USER@]HOST[:PORT][/DB]\"; got %s",
                           cqe_jt_type_name(v));
    if (cqe_redis_url_parse(s, &u, &e))
        return cqe_jt_fail(L, "%s", e.msg);
    return cqe_jt_set_str(L, (char **)((char *)base + ks->off), s);
}

static int load_redis_db(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    static const struct cqe_jt_range db = CQE_JT_INT(0, MAX_REDIS_DB);
    int64_t x;
    int rc = cqe_jt_int(L, v, &db, &x);
    if (!rc)
        *(int *)((char *)base + ks->off) = (int)x;
    return rc;
}

static int load_env_name(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    const char *s = json_string_value(v);
    bool ok = s && cqe_jt_plain_name(s, json_string_length(v));
    if (!ok)
        return cqe_jt_fail(
            L, "must name an environment variable: letters, digits and _, not starting with a digit");
    return cqe_jt_set_str(L, (char **)((char *)base + ks->off), s);
}

/* redis.cluster: true, false or "auto" (ask the server; the default). */
static int load_redis_cluster(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    int *out = (int *)((char *)base + ks->off);
    if (json_is_boolean(v))
        *out = json_is_true(v);
    else if (json_is_string(v) && !strcmp(json_string_value(v), "auto"))
        *out = -1;
    else
        return cqe_jt_fail(L, "must be true, false or \"auto\"; got %s", cqe_jt_type_name(v));
    return 0;
}

static int refuse_secret(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    (void)v;
    (void)base;
    (void)ks;
    return cqe_jt_fail(L, "refused: secrets come from password_file or password_env, never the config or "
                          "command line");
}

static const struct cqe_jt_key redis_keys[] = {
    {"url", load_redis_url, offsetof(struct cqe_redis_conf, url), {0}, false, false},
    {"user", cqe_jt_load_nonempty, offsetof(struct cqe_redis_conf, user), {0}, false, false},
    {"password_file",
     cqe_jt_load_nonempty,
     offsetof(struct cqe_redis_conf, password_file),
     {0},
     false,
     false},
    {"password_env", load_env_name, offsetof(struct cqe_redis_conf, password_env), {0}, false, false},
    {"db", load_redis_db, offsetof(struct cqe_redis_conf, db), {0}, false, false},
    {"cluster", load_redis_cluster, offsetof(struct cqe_redis_conf, cluster), {0}, false, false},
    {"password", refuse_secret, 0, {0}, false, true},
};

static int load_redis(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    struct cqe_redis_conf *r = &((struct cqe_config *)base)->redis;
    (void)ks;
    int rc = CQE_JT_OBJECT(L, v, redis_keys, r);
    if (rc)
        return rc;
    if (r->password_file && r->password_env)
        return cqe_jt_fail(L, "give password_file or password_env, not both");
    struct cqe_redis_url u = {.db = -1};
    if (r->url && cqe_redis_url_parse(r->url, &u, NULL))
        return cqe_jt_fail(L, "bad url");
    long url_db = u.db;
    if (url_db >= 0 && r->db >= 0 && url_db != r->db) {
        size_t mark = cqe_jt_push_key(L, "db");
        rc = cqe_jt_fail(L, "%d conflicts with database %ld of $.redis.url; give it once", r->db, url_db);
        cqe_jt_pop(L, mark);
        return rc;
    }
    if (url_db >= 0)
        r->db = (int)url_db;
    return 0;
}

/* One property value (the rules are in kafka_secret.h). Never quotes the value: it may
 * be a secret. Which properties a reference may fill is checked with librdkafka at hand
 * (ingest/kafka_conf.c), after whether the property exists at all. */
static int check_kafka_value(struct cqe_jt *L, const char *name, json_t *p)
{
    char ref[1024];
    const char *path, *var;
    if (!*name)
        return cqe_jt_fail(L, "a librdkafka property name must not be empty");
    if (!json_is_object(p) && !json_is_string(p) && !json_is_number(p) && !json_is_boolean(p))
        return cqe_jt_fail(L,
                           "must be a string, number or boolean (a librdkafka property), or {\"env\": NAME} "
                           "/ {\"file\": PATH}; got %s",
                           cqe_jt_type_name(p));
    int ref_kind = cqe_kafka_secret_ref(p, ref, sizeof ref, &path, &var);
    if (ref_kind < 0 && json_is_object(p))
        return cqe_jt_fail(L, "an object here must be {\"env\": NAME} or {\"file\": PATH}, "
                              "one member: NAME a variable name, PATH a non-empty path");
    if (ref_kind < 0)
        return cqe_jt_fail(L, "a reference must be " CQE_KAFKA_REF_FORMS);
    if (!ref_kind && cqe_kafka_prop_credential(name))
        return cqe_jt_fail(L, "refused: a literal secret; give it as " CQE_KAFKA_REF_FORMS
                              ": secrets never sit in the config");
    return 0;
}

static int load_kafka(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    struct cqe_config *cfg = base;
    (void)ks;
    if (!json_is_object(v))
        return cqe_jt_fail(L, "must be an object of librdkafka properties; got %s", cqe_jt_type_name(v));
    const char *key;
    json_t *p;
    json_object_foreach(v, key, p)
    {
        size_t mark = cqe_jt_push_key(L, key);
        int rc = check_kafka_value(L, key, p);
        cqe_jt_pop(L, mark);
        if (rc)
            return rc;
    }
    json_decref((json_t *)cfg->kafka);
    cfg->kafka = json_incref(v);
    return 0;
}

static bool topic_ok(const char *s, size_t n)
{
    if (n < 1 || n > TOPIC_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              s[i] == '.' || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static int check_topic(struct cqe_jt *L, json_t *v)
{
    if (!json_is_string(v) || !topic_ok(json_string_value(v), json_string_length(v)))
        return cqe_jt_fail(L,
                           "must be a Kafka topic name: 1 to %d of letters, digits, '.', '_' and '-', "
                           "not \".\" or \"..\"",
                           TOPIC_MAX);
    return 0;
}

static int load_topic(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    (void)base;
    (void)ks;
    return check_topic(L, v);
}

static int load_input_topics(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    (void)base;
    (void)ks;
    if (!json_is_array(v) || !json_array_size(v))
        return cqe_jt_fail(L, "must be a non-empty array of topic names; got %s",
                           json_is_array(v) ? "an empty array" : cqe_jt_type_name(v));
    for (size_t i = 0; i < json_array_size(v); i++) {
        size_t mark = cqe_jt_push_index(L, i);
        int rc = check_topic(L, json_array_get(v, i));
        for (size_t j = 0; !rc && j < i; j++)
            if (json_equal(json_array_get(v, j), json_array_get(v, i)))
                rc = cqe_jt_fail(L, "topic \"%s\" is listed twice (also at [%zu])",
                                 json_string_value(json_array_get(v, i)), j);
        cqe_jt_pop(L, mark);
        if (rc)
            return rc;
    }
    return 0;
}

/* Topics are checked here and kept as the JSON object (cqe_config_topic reads it). */
static const struct cqe_jt_key topic_keys[] = {
    {"input", load_input_topics, 0, {0}, false, false},
    {"snapshots", load_topic, 0, {0}, false, false},
    {"alerts", load_topic, 0, {0}, false, false},
    {"dead_letters", load_topic, 0, {0}, false, false},
};

static int load_topics(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    struct cqe_config *cfg = base;
    (void)ks;
    int rc = CQE_JT_OBJECT(L, v, topic_keys, NULL);
    if (rc)
        return rc;
    json_decref((json_t *)cfg->topics);
    cfg->topics = json_incref(v);
    return 0;
}

/* retention: {"keep_years": N}; absent keeps everything (docs/state.md "Retention"). */
static const struct cqe_jt_key retention_keys[] = {
    {"keep_years", cqe_jt_load_i64, CFG_OFF(retention_keep_years), CQE_JT_INT(1, 1000), true, false},
};

static int load_retention(struct cqe_jt *L, json_t *v, void *base, const struct cqe_jt_key *ks)
{
    (void)ks;
    if (!json_is_object(v))
        return cqe_jt_fail(L,
                           "must be an object {\"keep_years\": N} with N years kept in Redis (>= 1); got %s",
                           cqe_jt_type_name(v));
    return CQE_JT_OBJECT(L, v, retention_keys, base);
}

static const struct cqe_jt_key deploy_keys[] = {
    {"redis", load_redis, 0, {0}, false, false},
    {"kafka", load_kafka, 0, {0}, false, false},
    {"topics", load_topics, 0, {0}, false, false},
    {"output_dir", cqe_jt_load_nonempty, CFG_OFF(output_dir), {0}, false, false},
    {"snapshot_interval_s", cqe_jt_load_i64, CFG_OFF(snapshot_interval_s), CQE_JT_INT(1, CQE_MAX_SECONDS),
     false, false},
    {"resolve_after_s", cqe_jt_load_i64, CFG_OFF(resolve_after_s), CQE_JT_INT(1, CQE_MAX_SECONDS), false,
     false},
    {"no_data_after_s", cqe_jt_load_i64, CFG_OFF(no_data_after_s), CQE_JT_INT(1, CQE_MAX_SECONDS), false,
     false},
    {"output_roll_s", cqe_jt_load_i64, CFG_OFF(output_roll_s), CQE_JT_INT(1, CQE_MAX_SECONDS), false, false},
    {"output_max_bytes", cqe_jt_load_i64, CFG_OFF(output_max_bytes), CQE_JT_INT(4096, CQE_JT_MAX_SAFE_INT),
     false, false},
    {"output_stream_max", cqe_jt_load_i64, CFG_OFF(output_stream_max), CQE_JT_INT(1000, 100000000), false,
     false},
    {"alert_pass_ms", cqe_jt_load_i64, CFG_OFF(alert_pass_ms), CQE_JT_INT(10, 3600000), false, false},
    {"max_pending_events", cqe_jt_load_i64, CFG_OFF(max_pending_events), CQE_JT_INT(1, CQE_JT_MAX_SAFE_INT),
     false, false},
    {"incident_pending_limit", cqe_jt_load_i64, CFG_OFF(incident_pending_limit),
     CQE_JT_INT(0, CQE_JT_MAX_SAFE_INT), false, false},
    {"dead_letter_raw_max", cqe_jt_load_i64, CFG_OFF(dead_letter_raw_max),
     CQE_JT_INT(1024, CQE_JT_MAX_SAFE_INT), false, false},
    {"retention", load_retention, 0, {0}, false, false},
};

const struct cqe_jt_keys cqe_config_deploy_keys = CQE_JT_KEYS(deploy_keys);

/* ---- queries ---- */

const char *cqe_config_topic(const struct cqe_config *cfg, const char *role)
{
    const char *t = json_string_value(json_object_get((const json_t *)cfg->topics, role));
    if (t)
        return t;
    if (!strcmp(role, "snapshots"))
        return "cloudqe.snapshots";
    if (!strcmp(role, "alerts"))
        return "cloudqe.alerts";
    if (!strcmp(role, "dead_letters"))
        return "cloudqe.dead_letters";
    return NULL;
}

const char *cqe_config_input_topic(const struct cqe_config *cfg, size_t i)
{
    json_t *in = json_object_get((const json_t *)cfg->topics, "input");
    if (in)
        return json_string_value(json_array_get(in, i));
    return i < sizeof default_input_topics / sizeof default_input_topics[0] ? default_input_topics[i] : NULL;
}
