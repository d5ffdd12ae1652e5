/* The read view's data, filled by the family parsers (one per event family, found
 * through family.h) from the cells of a store, and the builder they share: interning,
 * service attribution, growth and the corrupt-state error. processors/evaluate/view.h
 * builds it; figures read it. */
#ifndef CQE_FAMILY_VIEW_H
#define CQE_FAMILY_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "intervals.h"
#include "state_key.h"
#include "store.h"
#include "strmap.h"

#define CQE_NONE SIZE_MAX
#define CQE_TS_INF INT64_MAX

struct cqe_probe_minute {
    int64_t minute; /* UTC minute index */
    int64_t ok, fail;
};

struct cqe_service {
    size_t provider; /* index in view->providers */
    size_t dept;     /* index in view->depts, or CQE_NONE */
    double target, weight;
    enum cqe_calendar calendar;
    bool in_catalog;
    /* attribution from the earliest open/probe (not catalog) */
    bool has_attr;
    int64_t attr_ts;
    char *attr_id; /* owned */
    bool has_probe;
    struct cqe_probe_minute *pm; /* sorted by minute, owned */
    size_t n_pm, cap_pm;
    int64_t *probe_months; /* months with probes, owned */
    size_t n_probe_months, cap_probe_months;
};

struct cqe_incident {
    size_t id; /* index in view->incident_ids */
    bool has_open;
    int64_t open_ts;
    size_t provider; /* of the first open */
    size_t dept;     /* of the first open, CQE_NONE when absent */
    size_t service;  /* latest service, CQE_NONE when never set */
    int severity;    /* latest; 0 when never set */
    int impact;      /* enum cqe_impact */
    double scope;
    int cause;      /* enum cqe_cause */
    char *category; /* owned, NULL when never set */
    bool data_loss;
    bool has_ack, has_resolve;
    int64_t ack_ts, resolve_ts; /* first */
    struct cqe_ivl active;      /* activity; an open end is CQE_TS_INF */
    bool active_at_end;
    /* orphans: every event when there is no open (ts, provider) */
    size_t n_events;
    int64_t *ev_ts;
    size_t *ev_provider;
};

struct cqe_window {
    size_t id;      /* index in view->window_ids */
    bool scheduled; /* latest event is a schedule */
    int64_t latest_ts, start, end;
    size_t provider;
    size_t service; /* CQE_NONE = every service of the provider */
};

/* tickets.c: one per ticket id (provider CQE_NONE: a close with no open). */
struct cqe_ticket {
    size_t provider;
    int64_t open_ts, due;
    bool complaint, has_close;
    int64_t close_ts;
};

/* vulns.c: one per vulnerability id (provider CQE_NONE: a fix with no find). */
struct cqe_vuln {
    size_t provider;
    int64_t found_ts;
    int level; /* enum cqe_vuln_level, checked on read */
    bool has_fixed;
    int64_t fixed_ts;
};

struct cqe_migration_done {
    size_t migration; /* index in view->migrations */
    int64_t ts;
    size_t provider;
    bool ok, verified;
};

struct cqe_asset_event {
    size_t asset;
    int64_t ts;
    char *id; /* owned */
    int action, asset_class;
    bool domestic;
    size_t provider;
};

enum cqe_agg_family {
    CQE_AGG_U,
    CQE_AGG_UD,
    CQE_AGG_UDR,
    CQE_AGG_UR,
    CQE_AGG_TF,
    CQE_AGG_SV,
    CQE_AGG_B,
    CQE_AGG_BS,
    CQE_AGG_D,
    CQE_AGG_AU
};

/* One per-month aggregate cell with its parsed key. */
struct cqe_agg {
    enum cqe_agg_family fam;
    int64_t month;
    size_t provider; /* CQE_NONE for department families */
    size_t aux;      /* dept (UD, UDR, SV), service (BS), resource (UR), drill kind (D) */
    const struct cqe_cell *cell;
};

struct cqe_view {
    const struct cqe_config *cfg;
    int64_t max_ts; /* largest ts applied; 0 with no event */
    struct cqe_strmap providers, depts, services, resources, incident_ids, migration_ids, asset_ids;
    struct cqe_strmap ticket_ids, vuln_ids; /* by tickets / vulns index */
    struct cqe_strmap window_ids;           /* maintenance window ids (explain names them) */
    struct cqe_service *svc;                /* by services index */
    size_t svc_cap;
    struct cqe_incident *inc; /* by incident_ids index */
    struct cqe_window *win;
    size_t n_win, cap_win;
    struct cqe_ticket *tickets;
    size_t n_tickets, cap_tickets;
    struct cqe_vuln *vulns;
    size_t n_vulns, cap_vulns;
    int64_t *mig_plan_end; /* by migration_ids index; has_plan below */
    bool *mig_has_plan;
    struct cqe_migration_done *mig_done;
    size_t n_mig_done, cap_mig_done;
    struct cqe_asset_event *assets;
    size_t n_assets, cap_assets;
    struct cqe_agg *aggs;
    size_t n_aggs, cap_aggs;
};

/* Releases a view and everything it owns; NULL is a no-op. */
void cqe_view_free(struct cqe_view *v);

/* The incident records of one incident, grouped during the pass (incidents.c). */
struct cqe_vb_group {
    const struct cqe_cell **cells;
    size_t n, cap;
};

/* The builder the family parsers share while one view is built. `rc` is the first
 * error (CQE_ENOMEM, or CQE_EIO for corrupt state with `err` naming key and field). */
struct cqe_vb {
    struct cqe_view *v;
    struct cqe_kparts r;      /* scratch: the parts of one record */
    struct cqe_vb_group *inc; /* by incident_ids index */
    size_t inc_cap;
    struct cqe_err *err;
    int rc;
};

/* Releases the builder's scratch (not the view). */
void cqe_vb_fini(struct cqe_vb *b);

/* Grows arr (elements of elem bytes, zero-filled) to hold need; 0 or CQE_ENOMEM. */
int cqe_vb_grow(void **arr, size_t *cap, size_t elem, size_t need);
#define CQE_VB_GROW(arr, n, cap)                                                                             \
    ((n) < (cap) ? 0 : cqe_vb_grow((void **)&(arr), &(cap), sizeof *(arr), (n) + 1))

/* Record the first error and return b->rc. */
int cqe_vb_oom(struct cqe_vb *b);
int cqe_vb_corrupt(struct cqe_vb *b, const struct cqe_cell *c, const char *what);

/* Index of s in m (inserted when absent); CQE_NONE with b->rc set on ENOMEM. */
size_t cqe_vb_intern(struct cqe_vb *b, struct cqe_strmap *m, const char *s, size_t n);
/* Index of the optional component i of k in m, CQE_NONE when absent. */
size_t cqe_vb_opt_index(struct cqe_vb *b, struct cqe_strmap *m, const struct cqe_kparts *k, int i);
/* Service index of s, its struct allocated and defaulted; CQE_NONE on ENOMEM. */
size_t cqe_vb_service(struct cqe_vb *b, const char *s, size_t n);
/* Attributes a service outside the catalog to (provider, dept) when (ts, id) is its
 * earliest open or probe so far (semantics.md, "Services in scope"). */
void cqe_vb_attr(struct cqe_vb *b, size_t svc, int64_t ts, const char *id, size_t idl, size_t provider,
                 size_t dept);
/* Index of entity id in ids (tickets, vulnerabilities: one per id, in first-seen
 * order), growing the parallel array *arr of *count elements of elem bytes to hold it;
 * *added is 1 for a new one (zero-filled). CQE_NONE with b->rc set on ENOMEM. */
size_t cqe_vb_entity(struct cqe_vb *b, struct cqe_strmap *ids, const char *id, size_t n, void **arr,
                     size_t *count, size_t *cap, size_t elem, int *added);
/* Appends one per-month aggregate cell. Returns b->rc. */
int cqe_vb_agg(struct cqe_vb *b, enum cqe_agg_family fam, int64_t month, size_t provider, size_t aux,
               const struct cqe_cell *c);

/* Checks cell c: its key k has exactly nparts components and its op is op. Returns 0
 * or CQE_EIO naming the key and field. */
int cqe_vb_expect(struct cqe_vb *b, const struct cqe_kparts *k, int nparts, const struct cqe_cell *c,
                  enum cqe_cell_op op);
/* Parses text (a record or field of c) into b->r with at least min_parts components.
 * Returns 0, CQE_ENOMEM, or CQE_EIO naming the key and field. */
int cqe_vb_record(struct cqe_vb *b, const struct cqe_cell *c, const char *text, size_t n, int min_parts);
/* Component i of parts as an int64 / month index, or CQE_EIO naming c and what. */
int cqe_vb_i64(struct cqe_vb *b, const struct cqe_cell *c, const struct cqe_kparts *parts, int i,
               const char *what, int64_t *out);
/* A stored double (a MAX or MIN cell) as a ms timestamp, or CQE_EIO when it is not
 * within ±2^62 (the cast keeps the integer part, as it always has). */
int cqe_vb_ts(struct cqe_vb *b, const struct cqe_cell *c, double d, int64_t *out);
int cqe_vb_month(struct cqe_vb *b, const struct cqe_cell *c, const struct cqe_kparts *parts, int i,
                 int64_t *out);

#endif
