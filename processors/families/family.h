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
/* Retention (docs/state.md "Retention"): the month bucket (year*12 + month-1) of a
 * stored key whose parsed name is k, given its cells (borrowed; n = 0 when only the
 * name is known): the last month whose figures the key can still change, or
 * CQE_MONTH_NEVER for a key that is never archived (a first-seen register, an entity
 * still open, a key whose cells are unknown). Sets *month; returns 0 or CQE_ENOMEM. */
#define CQE_MONTH_NEVER INT64_MAX
typedef int (*cqe_family_month_fn)(const struct cqe_kparts *k, const struct cqe_cell *const *cells, size_t n,
                                   int offset_min, int64_t *month);

struct cqe_family {
    enum cqe_type type;          /* CQE_T__COUNT for the registry of every event (apply.c) */
    const char *name;            /* the type's name on the wire */
    const char *const *prefixes; /* key prefixes written, NULL-terminated */
    int (*apply)(struct cqe_apply_ctx *ctx, const struct cqe_event *ev); /* NULL: registry */
    cqe_family_parse_fn parse;
    int (*finish)(struct cqe_vb *b);     /* after every cell, or NULL; returns b->rc */
    const struct cqe_vec_runs *vec_runs; /* {NULL}-terminated, or NULL: every vector dense */
    cqe_family_month_fn month;           /* retention; NULL: never archived */
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

/* The retention month of store key k (see cqe_family_month_fn) through the family of
 * its first component; CQE_MONTH_NEVER for a key no family writes. */
int cqe_family_key_month(const struct cqe_kparts *k, const struct cqe_cell *const *cells, size_t n,
                         int offset_min, int64_t *month);

/* Helpers of the month functions (family_month.c). The month of component i of k,
 * "YYYY-MM" or "YYYY-MM-DD" (CQE_MONTH_NEVER when it is neither). */
int64_t cqe_family_month_part(const struct cqe_kparts *k, int i);

/* The month function of keys "<prefix>|<month>|...": component 1. */
int cqe_family_month_of_name(const struct cqe_kparts *k, const struct cqe_cell *const *cells, size_t n,
                             int offset_min, int64_t *month);

/* The latest month of every instant the cells hold (a register's ts, a minimum's or
 * maximum's value, a set record's leading ts): CQE_MONTH_NEVER when none holds one. */
int64_t cqe_family_month_latest(const struct cqe_cell *const *cells, size_t n, int offset_min);

/* Over the set records "ts|id|action|..." of cells: the action of the latest (ts, id)
 * record whose action `counts` accepts (NULL: every record), -1 when none. Returns 0,
 * CQE_ENOMEM, or CQE_EINVAL for a record of another shape. */
int cqe_family_latest_action(const struct cqe_cell *const *cells, size_t n, bool (*counts)(int64_t action),
                             int64_t *action);

/* The families, one file each (processors/families/<family>.c). */
extern const struct cqe_family cqe_family_incident, cqe_family_probe, cqe_family_metric,
    cqe_family_maintenance, cqe_family_ticket, cqe_family_backup, cqe_family_drill, cqe_family_vuln,
    cqe_family_migration, cqe_family_audit, cqe_family_survey, cqe_family_asset, cqe_family_registry;

#endif
