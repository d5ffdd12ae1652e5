/* The event contract of docs/spec/events.md as tables (see contract.h): the envelope
 * and each type's fields, enumerations, requirements and defaults, next to the schemas. */
#include "contract.h"

#include <math.h>

#define OFF(m) offsetof(struct cqe_event, m)
#define IDENT(nm, m, rq)                                                                                     \
    {                                                                                                        \
        .name = nm, .kind = CQE_F_IDENT, .off = OFF(m), .req = rq                                            \
    }
#define TEXT(nm, m)                                                                                          \
    {                                                                                                        \
        .name = nm, .kind = CQE_F_TEXT, .off = OFF(m)                                                        \
    }
#define NONEMPTY(nm, m, rq)                                                                                  \
    {                                                                                                        \
        .name = nm, .kind = CQE_F_NONEMPTY, .off = OFF(m), .req = rq                                         \
    }
#define BOOL(nm, m, h, rq)                                                                                   \
    {                                                                                                        \
        .name = nm, .kind = CQE_F_BOOL, .off = OFF(m), .has = h, .req = rq                                   \
    }
#define INT(nm, m, h, lo, hi, r)                                                                             \
    {                                                                                                        \
        .name = nm, .kind = CQE_F_INT, .off = OFF(m), .has = h, .ilo = lo, .ihi = hi, .rule = r              \
    }
#define NUM(nm, m, h, open, lo, hi, r)                                                                       \
    {                                                                                                        \
        .name = nm, .kind = CQE_F_NUM, .off = OFF(m), .has = h, .lo_open = open, .dlo = lo, .dhi = hi,       \
        .rule = r                                                                                            \
    }
#define ENUM(nm, m, h, rq, list)                                                                             \
    {                                                                                                        \
        .name = nm, .kind = CQE_F_ENUM, .off = OFF(m), .has = h, .req = rq, .names = list                    \
    }
#define TIME(nm, m, h, rq)                                                                                   \
    {                                                                                                        \
        .name = nm, .kind = CQE_F_TIME, .off = OFF(m), .has = h, .req = rq                                   \
    }
#define ACTION(list) ENUM("action", action, 0, CQE_REQ_ALWAYS, list)

/* Enumerations are written through an int: they must be int-sized. */
_Static_assert(sizeof(enum cqe_action) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cqe_impact) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cqe_cause) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cqe_drill_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cqe_vuln_level) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cqe_asset_class) == sizeof(int), "enum size");
_Static_assert(sizeof(enum cqe_resource_kind) == sizeof(int), "enum size");

static const struct cqe_name_val incident_actions[] = {{"open", CQE_A_OPEN},       {"ack", CQE_A_ACK},
                                                       {"resolve", CQE_A_RESOLVE}, {"reopen", CQE_A_REOPEN},
                                                       {"update", CQE_A_UPDATE},   {NULL, 0}};
static const struct cqe_name_val impacts[] = {
    {"outage", CQE_IMPACT_OUTAGE}, {"degraded", CQE_IMPACT_DEGRADED}, {"none", CQE_IMPACT_NONE}, {NULL, 0}};
static const struct cqe_name_val causes[] = {{"provider", CQE_CAUSE_PROVIDER},
                                             {"customer", CQE_CAUSE_CUSTOMER},
                                             {"third_party", CQE_CAUSE_THIRD_PARTY},
                                             {"force_majeure", CQE_CAUSE_FORCE_MAJEURE},
                                             {NULL, 0}};
static const struct cqe_name_val resource_kinds[] = {{"vm", CQE_KIND_VM}, {"host", CQE_KIND_HOST}, {NULL, 0}};
static const struct cqe_name_val maintenance_actions[] = {
    {"schedule", CQE_A_SCHEDULE}, {"cancel", CQE_A_CANCEL}, {NULL, 0}};
static const struct cqe_name_val ticket_actions[] = {
    {"open", CQE_A_OPEN}, {"close", CQE_A_CLOSE}, {"feedback", CQE_A_FEEDBACK}, {NULL, 0}};
static const struct cqe_name_val drill_kinds[] = {
    {"dr", CQE_DRILL_DR}, {"emergency", CQE_DRILL_EMERGENCY}, {NULL, 0}};
static const struct cqe_name_val plan_done[] = {{"plan", CQE_A_PLAN}, {"done", CQE_A_DONE}, {NULL, 0}};
static const struct cqe_name_val vuln_actions[] = {{"found", CQE_A_FOUND}, {"fixed", CQE_A_FIXED}, {NULL, 0}};
static const struct cqe_name_val vuln_levels[] = {{"critical", CQE_VULN_CRITICAL},
                                                  {"high", CQE_VULN_HIGH},
                                                  {"medium", CQE_VULN_MEDIUM},
                                                  {"low", CQE_VULN_LOW},
                                                  {NULL, 0}};
static const struct cqe_name_val asset_classes[] = {{"server", CQE_ASSET_SERVER},
                                                    {"os", CQE_ASSET_OS},
                                                    {"database", CQE_ASSET_DATABASE},
                                                    {"middleware", CQE_ASSET_MIDDLEWARE},
                                                    {NULL, 0}};
static const struct cqe_name_val asset_actions[] = {{"add", CQE_A_ADD}, {"remove", CQE_A_REMOVE}, {NULL, 0}};

/* Envelope fields after `v` and `type` (`ts` is read on its own, before provider). */
static const struct cqe_field envelope_fields[] = {
    IDENT("provider", provider, CQE_REQ_ALWAYS),
    IDENT("dept", dept, 0),
    NONEMPTY("zone", zone, 0),
    NONEMPTY("source", source, 0),
};

/* Each type's fields in checking order; `action` precedes what depends on it. The
 * first field of a type with an entity is its entity id. */
static const struct cqe_field incident_fields[] = {
    IDENT("incident", entity, CQE_REQ_ALWAYS),
    ACTION(incident_actions),
    IDENT("service", service, CQE_REQ_ON(CQE_A_OPEN)),
    {.name = "severity",
     .kind = CQE_F_INT,
     .off = OFF(severity),
     .has = CQE_HAS_SEVERITY,
     .req = CQE_REQ_ON(CQE_A_OPEN),
     .narrow = true,
     .ilo = 1,
     .ihi = 4,
     .rule = "an integer 1-4"},
    ENUM("impact", impact, CQE_HAS_IMPACT, 0, impacts),
    NUM("scope", scope, CQE_HAS_SCOPE, true, 0.0, 1.0, "a number in (0, 1]"),
    ENUM("cause", cause, CQE_HAS_CAUSE, 0, causes),
    TEXT("category", category),
    BOOL("data_loss", data_loss, CQE_HAS_DATA_LOSS, 0),
};

static const struct cqe_field probe_fields[] = {
    IDENT("service", service, CQE_REQ_ALWAYS),
    BOOL("ok", ok, CQE_HAS_OK, CQE_REQ_ALWAYS),
    TEXT("site", site),
    NUM("latency_ms", latency_ms, CQE_HAS_LATENCY, false, 0.0, INFINITY, "a number >= 0"),
};

static const struct cqe_field metric_fields[] = {
    IDENT("resource", resource, CQE_REQ_ALWAYS),
    IDENT("pool", pool, CQE_REQ_ALWAYS),
    NUM("cpu", cpu, CQE_HAS_CPU, false, 0.0, 1.0, "a ratio in [0, 1]"),
    NUM("mem", mem, CQE_HAS_MEM, false, 0.0, 1.0, "a ratio in [0, 1]"),
    NUM("disk", disk, CQE_HAS_DISK, false, 0.0, 1.0, "a ratio in [0, 1]"),
    NUM("net", net, CQE_HAS_NET, false, 0.0, 1.0, "a ratio in [0, 1]"),
    ENUM("kind", kind, CQE_HAS_KIND, 0, resource_kinds),
    INT("interval_s", interval_s, 0, 1, 86400, "an integer 1-86400"),
};

static const struct cqe_field maintenance_fields[] = {
    IDENT("window", entity, CQE_REQ_ALWAYS),
    ACTION(maintenance_actions),
    TIME("start", start, CQE_HAS_START, CQE_REQ_ON(CQE_A_SCHEDULE)),
    TIME("end", end, CQE_HAS_END, CQE_REQ_ON(CQE_A_SCHEDULE)),
    IDENT("service", service, 0),
};

static const struct cqe_field ticket_fields[] = {
    IDENT("ticket", entity, CQE_REQ_ALWAYS),
    ACTION(ticket_actions),
    TIME("due", due, CQE_HAS_DUE, CQE_REQ_ON(CQE_A_OPEN)),
    BOOL("satisfied", satisfied, CQE_HAS_SATISFIED, CQE_REQ_ON(CQE_A_FEEDBACK)),
    BOOL("complaint", complaint, CQE_HAS_COMPLAINT, 0),
};

static const struct cqe_field backup_fields[] = {
    IDENT("job", entity, CQE_REQ_ALWAYS),
    IDENT("service", service, CQE_REQ_ALWAYS),
    BOOL("ok", ok, CQE_HAS_OK, CQE_REQ_ALWAYS),
    INT("rpo_target_s", rpo_target_s, CQE_HAS_RPO_TARGET, 1, INT64_MAX, "an integer > 0"),
};

static const struct cqe_field drill_fields[] = {
    IDENT("drill", entity, CQE_REQ_ALWAYS),
    ENUM("kind", drill_kind, 0, CQE_REQ_ALWAYS, drill_kinds),
    ACTION(plan_done),
    BOOL("ok", ok, CQE_HAS_OK, CQE_REQ_ON(CQE_A_DONE)),
    INT("rto_s", rto_s, CQE_HAS_RTO, 0, INT64_MAX, "an integer >= 0"),
    INT("rto_target_s", rto_target_s, CQE_HAS_RTO_TARGET, 0, INT64_MAX, "an integer >= 0"),
    INT("rpo_s", rpo_s, CQE_HAS_RPO, 0, INT64_MAX, "an integer >= 0"),
    INT("rpo_target_s", rpo_target_s, CQE_HAS_RPO_TARGET, 0, INT64_MAX, "an integer >= 0"),
};

static const struct cqe_field vuln_fields[] = {
    IDENT("vuln", entity, CQE_REQ_ALWAYS),
    ACTION(vuln_actions),
    ENUM("level", level, CQE_HAS_LEVEL, CQE_REQ_ON(CQE_A_FOUND), vuln_levels),
};

static const struct cqe_field migration_fields[] = {
    IDENT("migration", entity, CQE_REQ_ALWAYS),
    ACTION(plan_done),
    TIME("planned_end", planned_end, CQE_HAS_PLANNED_END, CQE_REQ_ON(CQE_A_PLAN)),
    BOOL("ok", ok, CQE_HAS_OK, CQE_REQ_ON(CQE_A_DONE)),
    IDENT("service", service, 0),
    BOOL("data_verified", data_verified, CQE_HAS_DATA_VERIFIED, 0),
};

static const struct cqe_field audit_fields[] = {
    IDENT("op", entity, CQE_REQ_ALWAYS),
    NONEMPTY("actor", actor, CQE_REQ_ALWAYS),
    TEXT("target", target),
    TEXT("ticket_ref", ticket_ref),
};

static const struct cqe_field survey_fields[] = {
    IDENT("response", entity, CQE_REQ_ALWAYS),
    {.name = "answers", .kind = CQE_F_ANSWERS, .req = CQE_REQ_ALWAYS},
    IDENT("service", service, 0),
};

static const struct cqe_field asset_fields[] = {
    IDENT("asset", entity, CQE_REQ_ALWAYS),
    ENUM("class", asset_class, CQE_HAS_CLASS, CQE_REQ_ALWAYS, asset_classes),
    ACTION(asset_actions),
    BOOL("domestic", domestic, CQE_HAS_DOMESTIC, CQE_REQ_ON(CQE_A_ADD)),
    TEXT("vendor", vendor),
    TEXT("arch", arch),
};

struct type_spec {
    const struct cqe_field *fields;
    size_t n_fields;
};

#define TYPE(t, f) [t] = {f, sizeof f / sizeof f[0]}
static const struct type_spec types[CQE_T__COUNT] = {
    TYPE(CQE_T_INCIDENT, incident_fields),   TYPE(CQE_T_PROBE, probe_fields),
    TYPE(CQE_T_METRIC, metric_fields),       TYPE(CQE_T_MAINTENANCE, maintenance_fields),
    TYPE(CQE_T_TICKET, ticket_fields),       TYPE(CQE_T_BACKUP, backup_fields),
    TYPE(CQE_T_DRILL, drill_fields),         TYPE(CQE_T_VULN, vuln_fields),
    TYPE(CQE_T_MIGRATION, migration_fields), TYPE(CQE_T_AUDIT, audit_fields),
    TYPE(CQE_T_SURVEY, survey_fields),       TYPE(CQE_T_ASSET, asset_fields),
};

static const struct cqe_field id_field = IDENT("id", id, CQE_REQ_ALWAYS);

const struct cqe_field *cqe_contract_id(void)
{
    return &id_field;
}

const struct cqe_field *cqe_contract_envelope(size_t *n)
{
    *n = sizeof envelope_fields / sizeof envelope_fields[0];
    return envelope_fields;
}

const struct cqe_field *cqe_contract_fields(enum cqe_type t, size_t *n)
{
    *n = types[t].n_fields;
    return types[t].fields;
}

void cqe_contract_defaults(struct cqe_event *ev)
{
    switch (ev->type) {
    case CQE_T_INCIDENT:
        ev->impact = CQE_IMPACT_OUTAGE;
        ev->scope = 1.0;
        ev->cause = CQE_CAUSE_PROVIDER;
        break;
    case CQE_T_METRIC:
        ev->kind = CQE_KIND_VM;
        ev->interval_s = 60;
        break;
    case CQE_T_MIGRATION: ev->data_verified = false; break;
    default: break;
    }
}
