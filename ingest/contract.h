/* The event contract of docs/spec/events.md as data: for the envelope and each event
 * type, its fields in checking order (name, kind, bounds, where the value goes in struct
 * cqe_event, when it is required) and the defaults of optional fields. */
#ifndef CQE_CONTRACT_H
#define CQE_CONTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Longest identifier, in code points. */
#define CQE_IDENT_MAX_CHARS 128

enum cqe_field_kind {
    CQE_F_IDENT,    /* string of 1-128 code points */
    CQE_F_TEXT,     /* any string, may be empty */
    CQE_F_NONEMPTY, /* string of at least one code point */
    CQE_F_BOOL,
    CQE_F_INT,    /* JSON Schema integer in [ilo, ihi]; stored as int64_t, or int when narrow */
    CQE_F_NUM,    /* number in [dlo, dhi], or (dlo, dhi] when lo_open */
    CQE_F_ENUM,   /* string among names, stored as int (an enum) */
    CQE_F_TIME,   /* RFC 3339 string with offset, in range; stored as int64_t ms */
    CQE_F_ANSWERS /* survey answers */
};

/* One value of an enumerated field: its wire name and its enum value. */
struct cqe_name_val {
    const char *name;
    int val;
};

/* cqe_field.req: required by every event of the type, or by those whose action is a. */
#define CQE_REQ_ALWAYS (1u << 31)
#define CQE_REQ_ON(a) (1u << (a))

struct cqe_field {
    const char *name;
    enum cqe_field_kind kind;
    size_t off;   /* where the value goes in struct cqe_event */
    uint32_t has; /* presence bit (enum cqe_has), 0 for none */
    uint32_t req; /* CQE_REQ_ALWAYS, or CQE_REQ_ON bits of the actions requiring the field */
    bool narrow;  /* CQE_F_INT stored in an int */
    bool lo_open; /* CQE_F_NUM lower bound excluded */
    int64_t ilo, ihi;
    double dlo, dhi;
    const struct cqe_name_val *names; /* CQE_F_ENUM; NULL-terminated */
    const char *rule;                 /* CQE_F_INT, CQE_F_NUM: "an integer 1-4" */
};

/* The `id` member every event carries. Static data, borrowed. */
const struct cqe_field *cqe_contract_id(void);

/* The envelope fields after `v`, `type`, `id` and `ts`, in checking order; *n their
 * count. Static data, borrowed. */
const struct cqe_field *cqe_contract_envelope(size_t *n);

/* The fields of type t in checking order (`action` precedes what depends on it; the
 * first field of a type with an entity is its entity id); *n their count. Static
 * data, borrowed; t must be a valid type. */
const struct cqe_field *cqe_contract_fields(enum cqe_type t, size_t *n);

/* Sets the defaults of type ev->type's optional fields (impact outage, scope 1, ...),
 * before its fields are read. */
void cqe_contract_defaults(struct cqe_event *ev);

#endif
