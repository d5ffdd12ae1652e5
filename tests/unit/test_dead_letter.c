/* Dead-letter records cut to a size for the Kafka topic: the value as written stays
 * within raw_max, whole characters only, with the whole length and SHA-256 alongside;
 * and a partition that fails to apply a message does not count it. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "dead_letter.h"
#include "decode.h"
#include "event.h"
#include "partition.h"
#include "apply.h"
#include "unit.h"

/* Serialises rec's member key alone as JSON, returns its length without the quotes. */
static size_t written_len(json_t *rec, const char *key)
{
    char *s = json_dumps(json_object_get(rec, key), JSON_ENCODE_ANY | JSON_COMPACT);
    size_t n = s ? strlen(s) - 2 : 0;
    free(s);
    return n;
}

static json_t *record(const void *raw, size_t n, size_t raw_max)
{
    struct cqe_origin o = {.topic = "cloudqe.events", .partition = 2, .offset = 41};
    struct cqe_err err;
    json_t *rec = NULL;
    if (cqe_dead_letter_record(&o, CQE_R_JSON_SYNTAX, "d", raw, n, raw_max, 0, 480, &rec, &err))
        return NULL;
    return rec;
}

CQE_TEST(dead_letter_cut_escaped_controls)
{
    /* 200 KB of 0x01: each written \u0001, 6 bytes: 65536 / 6 = 10922 whole characters */
    size_t n = 204800;
    char *raw = malloc(n);
    memset(raw, 1, n);
    json_t *rec = record(raw, n, 65536);
    CHECK(rec != NULL);
    const char *s = json_string_value(json_object_get(rec, "raw"));
    CHECK(s && json_string_length(json_object_get(rec, "raw")) == 10922 && s[0] == 1 && s[10921] == 1);
    CHECK(written_len(rec, "raw") == 65532);
    CHECK(json_is_true(json_object_get(rec, "raw_truncated")));
    CHECK(json_integer_value(json_object_get(rec, "raw_bytes")) == 204800);
    /* SHA-256 of 204800 bytes of 0x01, from Python's hashlib */
    CHECK(!strcmp(json_string_value(json_object_get(rec, "raw_sha256")),
                  "85ef729c1dbabefb800c88e1f933dca472fced6660a0d392ece22689be371e1f"));
    json_decref(rec);
    free(raw);
}

CQE_TEST(dead_letter_cut_keeps_whole_characters)
{
    /* "é" is 2 bytes, written as is: a limit of 1025 keeps 512 characters (1024 bytes) */
    size_t n = 4000;
    char *raw = malloc(n);
    for (size_t i = 0; i < n; i += 2)
        memcpy(raw + i, "\xC3\xA9", 2);
    json_t *rec = record(raw, n, 1025);
    CHECK(rec && json_string_length(json_object_get(rec, "raw")) == 1024);
    CHECK(written_len(rec, "raw") == 1024);
    json_decref(rec);
    /* quotes and newlines take 2 bytes each */
    memset(raw, '"', n);
    rec = record(raw, n, 1024);
    CHECK(rec && json_string_length(json_object_get(rec, "raw")) == 512 && written_len(rec, "raw") == 1024);
    json_decref(rec);
    free(raw);
}

CQE_TEST(dead_letter_cut_base64)
{
    /* NUL bytes: base64, 4 characters per 3 bytes: 1024 characters hold 768 bytes */
    size_t n = 3000;
    char *raw = calloc(1, n);
    json_t *rec = record(raw, n, 1024);
    CHECK(rec && !json_object_get(rec, "raw"));
    CHECK(written_len(rec, "raw_b64") == 1024);
    CHECK(json_integer_value(json_object_get(rec, "raw_bytes")) == 3000);
    json_decref(rec);
    free(raw);
}

CQE_TEST(dead_letter_uncut_unchanged)
{
    /* within the limit, or no limit: the record is what it always was */
    const char *raw = "{\"v\":1,";
    json_t *rec = record(raw, strlen(raw), 1024);
    CHECK(rec && !strcmp(json_string_value(json_object_get(rec, "raw")), raw));
    CHECK(!json_object_get(rec, "raw_truncated") && !json_object_get(rec, "raw_bytes") &&
          !json_object_get(rec, "raw_sha256"));
    json_decref(rec);
    char big[5000];
    memset(big, 'x', sizeof big);
    rec = record(big, sizeof big, 0);
    CHECK(rec && json_string_length(json_object_get(rec, "raw")) == sizeof big);
    CHECK(!json_object_get(rec, "raw_truncated"));
    json_decref(rec);
}

CQE_TEST(dead_letter_sha256_of_the_whole)
{
    /* "abc" 1000 times, cut at 1024 bytes: the hash is of all 3000 (Python's hashlib) */
    size_t n = 3000;
    char *raw = malloc(n);
    for (size_t i = 0; i < n; i++)
        raw[i] = "abc"[i % 3];
    json_t *rec = record(raw, n, 1024);
    CHECK(rec && json_string_length(json_object_get(rec, "raw")) == 1024);
    CHECK(rec && !strcmp(json_string_value(json_object_get(rec, "raw_sha256")),
                         "328de8f1895f8bb09f6e6b4c2012ef2b2a6f067cd002794b750aa040a6f6d8bd"));
    json_decref(rec);
    rec = record("abc", 3, 0);
    CHECK(rec && !json_object_get(rec, "raw_sha256"));
    json_decref(rec);
    free(raw);
}

/* The partitioned replay's read of a decoded event is undone when applying it fails:
 * a probe whose per-minute vector cell already exists with another length (CQE_EINVAL)
 * leaves the partition's counts as they were, so the line can be fed again. */
CQE_TEST(partition_feed_event_failure_not_counted)
{
    static const char line[] =
        "{\"v\":1,\"id\":\"p-s2-1\",\"type\":\"probe\",\"ts\":\"2026-03-15T12:00:10+08:00\","
        "\"provider\":\"p1\",\"service\":\"s2\",\"ok\":false}";
    struct cqe_config cfg;
    struct cqe_partition p;
    struct cqe_event ev;
    struct cqe_err err;
    cqe_config_defaults(&cfg);
    memset(&p, 0, sizeof p);
    memset(&ev, 0, sizeof ev);
    p.delta = cqe_store_new();
    p.stores[0] = p.delta;
    CHECK(p.delta && cqe_pipeline_init(&p.pl, &cfg, NULL, p.stores, 1) == 0);
    p.ready = true;
    CHECK(cqe_decode(line, sizeof line - 1, cfg.max_message_bytes, &ev, &err) == 0);
    CHECK(cqe_store_vec_add(p.delta, "P|s2|2026-03-15", 15, "", 0, CQE_PROBE_VEC_LEN + 1, 0, 1) == 0);
    CHECK(cqe_partition_feed_event(&p, &ev, line, sizeof line - 1, NULL, 0, &err) == CQE_EINVAL);
    CHECK(p.pl.counts.read == 0 && p.pl.counts.applied == 0 && p.since == 0 &&
          cqe_dedup_total(p.pl.dedup) == 0); /* no id to flush */
    cqe_event_clear(&ev);
    cqe_partition_close(&p);
    cqe_config_fini(&cfg);
}
