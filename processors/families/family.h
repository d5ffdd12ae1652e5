/* The family table: for every event family its type, wire name, the key prefixes it
 * writes, how it applies an event and how it parses its stored cells into the view.
 * The pipeline and the view reach a family only through this table; adding a family is
 * one file here, one row in family_table.c and its figure (processors/evaluate). */
#ifndef CQE_FAMILY_H
#define CQE_FAMILY_H

#include "apply.h"
#include "event.h"
#include "family_view.h"
#include "state_key.h"
#include "store.h"

/* Parses one stored cell c whose parsed key k starts with one of the family's
 * prefixes. Returns 0, or b->rc (CQE_ENOMEM, CQE_EIO naming key and field). */
typedef int (*cqe_family_parse_fn)(struct cqe_vb *b, const struct cqe_kparts *k, const struct cqe_cell *c);

/* Vectors a family keeps as runs of equal tuples of `width` entries in Redis (docs/state.md,
 * "Vectors"): the cells of keys with this prefix, mostly constant along the vector (a day of
 * probe minutes). Such keys end with a date component "YYYY-MM-DD": Redis keeps a month's
 * days in one hash. Every other vector is kept dense, one int64 per entry. */
struct cqe_vec_runs {
    const char *prefix;
    uint32_t width;
};

struct cqe_family {
    enum cqe_type type;          /* CQE_T__COUNT for the registry of every event (apply.c) */
    const char *name;            /* the type's name on the wire */
    const char *const *prefixes; /* key prefixes written, NULL-terminated */
    int (*apply)(struct cqe_apply_ctx *ctx, const struct cqe_event *ev); /* NULL: registry */
    cqe_family_parse_fn parse;
    int (*finish)(struct cqe_vb *b);     /* after every cell, or NULL; returns b->rc */
    const struct cqe_vec_runs *vec_runs; /* {NULL}-terminated, or NULL: every vector dense */
};

/* The family of event type t (t < CQE_T__COUNT). */
const struct cqe_family *cqe_family_of_type(enum cqe_type t);

/* The family that writes keys with prefix p (the first key component), the registry
 * included; NULL when none does. */
const struct cqe_family *cqe_family_of_prefix(const char *p, size_t n);

/* The run width of the vector cells of store key (key, n): 0 for dense vectors, else the
 * width its family declares (struct cqe_vec_runs) for the key's prefix. */
uint32_t cqe_family_vec_run_width(const char *key, size_t n);

/* Every family in type order, then the registry: cqe_family_at(i) for i < count. */
size_t cqe_family_count(void);
const struct cqe_family *cqe_family_at(size_t i);

/* The families, one file each (processors/families/<family>.c). */
extern const struct cqe_family cqe_family_incident, cqe_family_probe, cqe_family_metric,
    cqe_family_maintenance, cqe_family_ticket, cqe_family_backup, cqe_family_drill, cqe_family_vuln,
    cqe_family_migration, cqe_family_audit, cqe_family_survey, cqe_family_asset, cqe_family_registry;

#endif
