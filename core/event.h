/* The decoded event: one typed struct per input message, the contract of
 * docs/spec/events.md. Decoded once by ingest/decode.c; processors borrow it. */
#ifndef CQE_EVENT_H
#define CQE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Dead-letter reason codes (outputs.md), stable strings. */
#define CQE_REASON_LIST(X)                                                                                   \
    X(CQE_R_NONE, "none")                                                                                    \
    X(CQE_R_JSON_SYNTAX, "json_syntax")                                                                      \
    X(CQE_R_MISSING_FIELD, "missing_field")                                                                  \
    X(CQE_R_BAD_TYPE, "bad_type")                                                                            \
    X(CQE_R_BAD_VALUE, "bad_value")                                                                          \
    X(CQE_R_TOO_LARGE, "too_large")                                                                          \
    X(CQE_R_BAD_UTF8, "bad_utf8")                                                                            \
    X(CQE_R_UNKNOWN_TYPE, "unknown_type")                                                                    \
    X(CQE_R_UNSUPPORTED_VERSION, "unsupported_version")                                                      \
    X(CQE_R_PERIOD_ARCHIVED, "period_archived")                                                              \
    X(CQE_R_INCIDENT_PENDING_LIMIT, "incident_pending_limit")

enum cqe_reason {
#define CQE_REASON_ENUM(name, text) name,
    CQE_REASON_LIST(CQE_REASON_ENUM)
#undef CQE_REASON_ENUM
        CQE_R__COUNT
};

const char *cqe_reason_name(enum cqe_reason r);

/* The event types: enum, name on the wire, and the member whose value keys the
 * message on Kafka (events.md, "Keys on Kafka"). The one list every table derives from. */
#define CQE_TYPE_LIST(X)                                                                                     \
    X(CQE_T_INCIDENT, "incident", "incident")                                                                \
    X(CQE_T_PROBE, "probe", "service")                                                                       \
    X(CQE_T_METRIC, "metric", "resource")                                                                    \
    X(CQE_T_MAINTENANCE, "maintenance", "window")                                                            \
    X(CQE_T_TICKET, "ticket", "ticket")                                                                      \
    X(CQE_T_BACKUP, "backup", "job")                                                                         \
    X(CQE_T_DRILL, "drill", "drill")                                                                         \
    X(CQE_T_VULN, "vuln", "vuln")                                                                            \
    X(CQE_T_MIGRATION, "migration", "migration")                                                             \
    X(CQE_T_AUDIT, "audit", "op")                                                                            \
    X(CQE_T_SURVEY, "survey", "response")                                                                    \
    X(CQE_T_ASSET, "asset", "asset")

enum cqe_type {
#define CQE_TYPE_ENUM(e, wire, key) e,
    CQE_TYPE_LIST(CQE_TYPE_ENUM)
#undef CQE_TYPE_ENUM
        CQE_T__COUNT
};

/* Type names as on the wire ("incident", ...); "unknown" out of range. */
const char *cqe_type_name(enum cqe_type t);

/* Writes every type's wire name, ", "-separated, into buf (cap bytes, NUL-terminated, cut
 * to fit), for messages. Returns buf. Thread-safe. */
const char *cqe_type_names_joined(char *buf, size_t cap);

/* The member that keys a message of type t on Kafka ("incident", "service", ...). */
const char *cqe_type_key_member(enum cqe_type t);

/* The `action` of every type that has one; one enum so processors switch on it. */
enum cqe_action {
    CQE_A_NONE,
    CQE_A_OPEN,
    CQE_A_ACK,
    CQE_A_RESOLVE,
    CQE_A_REOPEN,
    CQE_A_UPDATE, /* incident */
    CQE_A_SCHEDULE,
    CQE_A_CANCEL, /* maintenance */
    CQE_A_CLOSE,
    CQE_A_FEEDBACK, /* ticket (+open) */
    CQE_A_PLAN,
    CQE_A_DONE, /* drill, migration */
    CQE_A_FOUND,
    CQE_A_FIXED, /* vuln */
    CQE_A_ADD,
    CQE_A_REMOVE /* asset */
};

enum cqe_impact { CQE_IMPACT_OUTAGE, CQE_IMPACT_DEGRADED, CQE_IMPACT_NONE };
enum cqe_cause { CQE_CAUSE_PROVIDER, CQE_CAUSE_CUSTOMER, CQE_CAUSE_THIRD_PARTY, CQE_CAUSE_FORCE_MAJEURE };
enum cqe_drill_kind { CQE_DRILL_DR, CQE_DRILL_EMERGENCY };
enum cqe_vuln_level { CQE_VULN_CRITICAL, CQE_VULN_HIGH, CQE_VULN_MEDIUM, CQE_VULN_LOW };
enum cqe_asset_class { CQE_ASSET_SERVER, CQE_ASSET_OS, CQE_ASSET_DATABASE, CQE_ASSET_MIDDLEWARE };
enum cqe_resource_kind { CQE_KIND_VM, CQE_KIND_HOST };

/* A borrowed UTF-8 string (no NUL inside); p == NULL means absent. */
struct cqe_str {
    const char *p;
    size_t n;
};

/* Presence bits for optional scalar fields (strings use p == NULL). */
enum cqe_has {
    CQE_HAS_SEVERITY = 1u << 0,
    CQE_HAS_IMPACT = 1u << 1,
    CQE_HAS_SCOPE = 1u << 2,
    CQE_HAS_CAUSE = 1u << 3,
    CQE_HAS_DATA_LOSS = 1u << 4,
    CQE_HAS_OK = 1u << 5,
    CQE_HAS_LATENCY = 1u << 6,
    CQE_HAS_CPU = 1u << 7,
    CQE_HAS_MEM = 1u << 8,
    CQE_HAS_DISK = 1u << 9,
    CQE_HAS_NET = 1u << 10,
    CQE_HAS_START = 1u << 11,
    CQE_HAS_END = 1u << 12,
    CQE_HAS_DUE = 1u << 13,
    CQE_HAS_SATISFIED = 1u << 14,
    CQE_HAS_COMPLAINT = 1u << 15,
    CQE_HAS_RPO_TARGET = 1u << 16,
    CQE_HAS_RTO = 1u << 17,
    CQE_HAS_RTO_TARGET = 1u << 18,
    CQE_HAS_RPO = 1u << 19,
    CQE_HAS_LEVEL = 1u << 20,
    CQE_HAS_PLANNED_END = 1u << 21,
    CQE_HAS_DATA_VERIFIED = 1u << 22,
    CQE_HAS_DOMESTIC = 1u << 23,
    CQE_HAS_CLASS = 1u << 24,
    CQE_HAS_KIND = 1u << 25
};

/* One survey answer: dimension name and level 1..5. */
struct cqe_answer {
    struct cqe_str dim;
    int level;
};

/* A decoded event. Strings point into `root` (a Jansson value owned by the event);
 * valid until cqe_event_clear(). Fields of other types stay zero / absent. */
struct cqe_event {
    void *root; /* json_t *, owned */
    enum cqe_type type;
    int64_t ts; /* ms since epoch, UTC */
    struct cqe_str id, provider, dept, zone, source;
    uint32_t has; /* enum cqe_has bits */

    enum cqe_action action;
    struct cqe_str entity; /* incident, window, ticket, job, drill, vuln, migration, op, response, asset */
    struct cqe_str service;

    /* incident */
    int severity; /* 1..4 */
    enum cqe_impact impact;
    double scope;
    enum cqe_cause cause;
    struct cqe_str category;
    bool data_loss;

    /* probe, backup, drill, migration: ok */
    bool ok;
    struct cqe_str site;
    double latency_ms;

    /* metric */
    struct cqe_str resource, pool;
    double cpu, mem, disk, net;
    enum cqe_resource_kind kind; /* metric kind (default vm) */
    int64_t interval_s;          /* default 60 */

    /* maintenance */
    int64_t start, end;

    /* ticket */
    int64_t due;
    bool satisfied, complaint;

    /* backup, drill */
    int64_t rpo_target_s, rto_s, rto_target_s, rpo_s;
    enum cqe_drill_kind drill_kind;

    /* vuln */
    enum cqe_vuln_level level;

    /* migration */
    int64_t planned_end;
    bool data_verified; /* default false */

    /* audit */
    struct cqe_str actor, target, ticket_ref;

    /* survey: answers in document order, owned by the event */
    struct cqe_answer *answers;
    size_t n_answers;

    /* asset */
    enum cqe_asset_class asset_class;
    bool domestic;
    struct cqe_str vendor, arch;
};

/* Releases what the event owns and zeroes it; safe on a zeroed event. */
void cqe_event_clear(struct cqe_event *ev);

#endif
