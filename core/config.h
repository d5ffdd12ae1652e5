/* The configuration file (docs/spec/config.md): evaluation keys with their
 * defaults, plus cloudqe's own deployment keys. Loaded once, read-only after. */
#ifndef CQE_CONFIG_H
#define CQE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum cqe_calendar { CQE_CAL_7X24, CQE_CAL_5X8 };
enum cqe_clock { CQE_CLOCK_UNSET, CQE_CLOCK_WALL, CQE_CLOCK_EVENT };

struct cqe_service_conf {
    char *id;       /* owned */
    char *provider; /* owned */
    char *dept;     /* owned, NULL when absent */
    double target;  /* default 0.999 */
    enum cqe_calendar calendar;
    double weight; /* default 1 */
};

struct cqe_survey_dim {
    char *name; /* owned */
    double weight;
};

struct cqe_redis_conf {
    char *url;           /* "redis://host:port/db", NULL = none */
    char *user;          /* ACL user, NULL = default */
    char *password_file; /* secret from a file ... */
    char *password_env;  /* ... or from this environment variable */
    int db;              /* -1 = none given (use 0); the url's /db when it names one */
    int cluster;         /* Redis Cluster: -1 auto (asked of the server), 0 no, 1 yes */
};

struct cqe_config {
    /* evaluation keys (config.md) */
    int utc_offset_min; /* +480 */
    struct cqe_service_conf *services;
    size_t n_services;
    struct cqe_service_conf **svc_by_id; /* owned array of pointers into services, sorted
                                            by id (byte order) for cqe_config_service */
    void *provider_names;                /* json_t object provider id -> name, owned; NULL = none */
    int64_t *holidays;                   /* local days since epoch, sorted, owned */
    size_t n_holidays;
    int64_t *workdays; /* sorted, owned */
    size_t n_workdays;
    int64_t maintenance_notice_s;
    double degraded_weight;
    int64_t ack_s[5]; /* by severity 1..4; [0] unused */
    int64_t fix_s[5];
    int64_t rpo_target_s;
    int64_t drill_required[2];  /* by enum cqe_drill_kind */
    int64_t vuln_deadline_s[4]; /* by enum cqe_vuln_level */
    struct cqe_survey_dim *dims;
    size_t n_dims;
    double level_scores[5];
    double idle_cpu_below, idle_cpu_share, idle_mem_below;
    int64_t max_message_bytes;
    int64_t dedup_window;
    enum cqe_clock clock;

    /* cloudqe's own keys */
    struct cqe_redis_conf redis;
    void *kafka;  /* json_t * object of librdkafka properties, owned; NULL = none */
    void *topics; /* json_t * object, owned; NULL = defaults */
    char *output_dir;
    int64_t snapshot_interval_s;  /* 60 */
    int64_t resolve_after_s;      /* 300 */
    int64_t no_data_after_s;      /* 600 */
    int64_t output_roll_s;        /* 3600: a lake file is closed when this old */
    int64_t output_max_bytes;     /* 67108864: ... or this large (uncompressed) */
    int64_t output_stream_max;    /* 100000: entries an output stream keeps in Redis */
    int64_t alert_pass_ms;        /* 250: the output role's passes over changed state */
    int64_t max_pending_events;   /* 1000000 */
    int64_t dead_letter_raw_max;  /* 65536: bytes of raw / raw_b64 in a published dead letter */
    int64_t retention_keep_years; /* retention.keep_years; 0 = keep everything */

    int64_t incident_pending_limit; /* 10000: events held per partition for incidents never opened */
};

/* Fills cfg with every default. cfg is owned by the caller; release with
 * cqe_config_fini. */
void cqe_config_defaults(struct cqe_config *cfg);

/* Loads and validates a JSON configuration file over the defaults. Unknown keys and
 * wrong types are refused: err names the file, the JSON path and the rule broken.
 * cfg must hold defaults (or be zeroed); what it held is released. Returns 0 or
 * CQE_ECONFIG / CQE_EIO / CQE_ENOMEM; on error cfg holds defaults. */
int cqe_config_load(struct cqe_config *cfg, const char *path, struct cqe_err *err);

/* The same from a string (origin names it in messages). */
int cqe_config_load_string(struct cqe_config *cfg, const char *json, const char *origin, struct cqe_err *err);

/* Releases what cfg owns; safe on a defaulted or zeroed cfg. */
void cqe_config_fini(struct cqe_config *cfg);

/* Catalog lookup by service id (n bytes, need not be NUL-terminated); NULL when
 * absent. Binary search over the index built on load; the result is borrowed. */
const struct cqe_service_conf *cqe_config_service(const struct cqe_config *cfg, const char *id, size_t n);

/* True when local day `days` is worked in the 5x8 calendar (Readings 11). */
bool cqe_config_is_workday(const struct cqe_config *cfg, int64_t days);

/* Kafka topic of an output role ("snapshots", "alerts", "dead_letters"): the
 * configured name, else "cloudqe.<role>"; NULL for an unknown role. Borrowed. */
const char *cqe_config_topic(const struct cqe_config *cfg, const char *role);

/* The i-th input topic (default the single "cloudqe.events"); NULL past the last. */
const char *cqe_config_input_topic(const struct cqe_config *cfg, size_t i);

#endif
